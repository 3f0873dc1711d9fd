"""Print precision, recall and Cohen's κ of each rules feature against the hand-labelled set in tests/data.

python scripts/featurizer_quality.py
"""

from pathlib import Path

from seal_core.features import rules_quality

if __name__ == "__main__":
    table = rules_quality(Path(__file__).resolve().parents[1] / "tests" / "data" / "hand_labels.jsonl")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
