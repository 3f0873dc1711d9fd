"""Precomputed rule labels of the bundled sample, so a fresh app shows its first findings without labelling.

``data_files/bundled_rule_labels.json.gz`` holds the ``rules`` labeler's output for every text of the bundled hh-rlhf
sample, keyed by the label cache's text key and stamped with the labeler's key (name@version). :func:`warm_label_cache`
copies them into a :class:`LabelCache` once; a labeler whose version changed finds no match and labels as usual, so a
stale seed is never used. Regenerate with ``python -m seal_core.features.seed``.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from seal_core.features.labelling import LabelCache

__all__ = ["SEED_LABELS", "seed_labels", "warm_label_cache", "write_seed_labels"]

SEED_LABELS = Path(__file__).parents[1] / "data_files" / "bundled_rule_labels.json.gz"


def seed_labels(labeler_key: str, path: Path = SEED_LABELS) -> dict[str, dict]:
    """Text key → labels shipped for ``labeler_key`` (empty when the file is absent or for another labeler).

    Examples
    --------
    >>> from seal_core.features import RulesFeaturizer
    >>> len(seed_labels(RulesFeaturizer().key)) > 3000, seed_labels("someone-else@1")
    (True, {})
    """
    if not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)
    return data["labels"] if data.get("labeler") == labeler_key else {}


def warm_label_cache(cache: LabelCache, labeler_key: str) -> int:
    """Copy the shipped labels for ``labeler_key`` into ``cache`` (those not there yet); returns how many."""
    items = seed_labels(labeler_key)
    if not items:
        return 0
    have = cache.get_many(labeler_key, list(items))
    new = {k: v for k, v in items.items() if k not in have}
    if new:
        cache.put_many(labeler_key, new)
    return len(new)


def write_seed_labels(path: Path = SEED_LABELS) -> Path:
    """Label every text of the bundled sample with the rules and write the seed file."""
    from seal_core.data import load_pairs
    from seal_core.features.labelling import label_pairs
    from seal_core.features.rules import RulesFeaturizer
    from seal_core.storage import text_key

    pairs = load_pairs().pairs
    featurizer = RulesFeaturizer()
    feats = label_pairs(pairs, featurizer).features
    prompts = pairs["prompt_chosen"].tolist() + pairs["prompt_rejected"].tolist()
    responses = pairs["chosen"].tolist() + pairs["rejected"].tolist()
    cols = [c for c in feats.columns if c not in ("pair_id", "side", "labeler")]
    labels = {}
    for k, row in zip((text_key(p, r) for p, r in zip(prompts, responses)), feats[cols].to_dict("records")):
        labels[k] = {c: (v.item() if hasattr(v, "item") else v) for c, v in row.items() if v == v}
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump({"labeler": featurizer.key, "labels": labels}, f, separators=(",", ":"), sort_keys=True)
    return path


if __name__ == "__main__":
    print(write_seed_labels())
