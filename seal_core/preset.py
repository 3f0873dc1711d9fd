"""The "Reproduce SEAL" preset: SEAL's data, RMs and labeler, and the paper's reference numbers to compare against.

Preset (seal-method.md §2): ``Anthropic/hh-rlhf`` default config, train split (160,800 pairs); pre-D RM
``OpenAssistant/reward-model-deberta-v3-large``, post-D RM ``OpenAssistant/reward-model-deberta-v3-large-v2``, both
in ``pair`` format; the LLM labeler (SEAL used ``gpt-4-turbo-2024-04-09`` at temperature 0).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from seal_core.data.hub import hub_offline_reason

THROUGHPUT_FILE = Path(__file__).parent / "data_files" / "throughput.json"


@dataclass(frozen=True)
class Preset:
    dataset: str = "Anthropic/hh-rlhf"
    config: str | None = None
    split: str = "train"
    n_pairs: int = 160_800
    pre: str = "OpenAssistant/reward-model-deberta-v3-large"
    post: str = "OpenAssistant/reward-model-deberta-v3-large-v2"
    input_format: str = "pair"
    labeler_model: str = "gpt-4-turbo-2024-04-09"
    rm_parameters: int = 435_000_000  # DeBERTa-v3-large: 304M backbone + 131M embedding parameters


SEAL = Preset()

# seal-method.md §10 (notebook outputs of the reference code); keys match `seal analyze` report fields.
REFERENCE: dict[str, tuple[float, str]] = {
    "pre_agreement": (0.570, "pre-D RM accuracy on D (strict >)"),
    "post_agreement": (0.741, "post-D RM accuracy on D"),
    "post_resistance": (0.259, "post-D alignment resistance (1 − accuracy)"),
    "stayed_aligned": (0.4829, "regime share: stayed aligned"),
    "got_aligned": (0.2577, "regime share: got aligned"),
    "resisted": (0.1719, "regime share: resisted"),
    "reversed": (0.0875, "regime share: reversed"),
    "gamma_i": (0.756, "γ = indifferent"),
    "gamma_c": (0.177, "γ = labeler prefers chosen"),
    "gamma_r": (0.067, "γ = labeler prefers rejected"),
    "post_misaligned_given_c": (0.103, "P(post-D misaligned | γ = c)"),
    "post_misaligned_given_i": (0.274, "P(post-D misaligned | γ = i), ties counted as aligned (as SEAL)"),
    "post_misaligned_given_r": (0.439, "P(post-D misaligned | γ = r)"),
    "pre_misaligned_given_c": (0.373, "P(pre-D misaligned | γ = c)"),
    "pre_misaligned_given_i": (0.422, "P(pre-D misaligned | γ = i), ties counted as aligned (as SEAL)"),
    "pre_misaligned_given_r": (0.592, "P(pre-D misaligned | γ = r)"),
    "labeler_agrees_with_people": (0.724, "LM–human agreement where γ ≠ i"),
    "theta_mean_deg": (6.48, "mean reward shift θ (degrees)"),
    "theta_median_deg": (4.95, "median reward shift θ (degrees)"),
}


def measured_throughput() -> dict | None:
    """The CPU throughput measured by ``benchmarks/throughput_large.py`` (a DeBERTa-v3-large-shaped RM), if any."""
    try:
        return json.loads(THROUGHPUT_FILE.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def plan(preset: Preset = SEAL) -> str:
    """What reproducing SEAL would download and how long scoring would take (from a measurement made here)."""
    gb = preset.rm_parameters * 4 / 1e9
    lines = [
        f"Reproduce SEAL: {preset.dataset} ({preset.split} split, {preset.n_pairs:,} pairs), scored by",
        f"  pre-D  {preset.pre}",
        f"  post-D {preset.post}",
        f"in '{preset.input_format}' format (tokenizer(prompt, response), as SEAL), then the LLM labeler for γ and",
        f"the imprint regressions (SEAL used {preset.labeler_model}; any OpenAI-compatible endpoint works).",
        f"Downloads: the dataset from the Hugging Face Hub, and two RMs of ≈{preset.rm_parameters / 1e6:.0f}M "
        f"parameters (≈{gb:.1f} GB each in float32).",
    ]
    texts = 2 * preset.n_pairs
    tp = measured_throughput()
    if tp:
        hours = preset.n_pairs / tp["pairs_per_second"] / 3600
        lines.append(
            f"Scoring time on CPU, measured here ({tp['cores']} cores, {tp['what']}): {tp['pairs_per_second']:.2f} "
            f"pairs/s, so ≈{hours:,.0f} hours per RM for {preset.n_pairs:,} pairs ({texts:,} texts); "
            f"≈{2 * hours:,.0f} hours for both."
        )
    else:
        lines.append("Scoring time on CPU: not measured yet (run benchmarks/throughput_large.py).")
    lines.append(
        "On a GPU: not measured here (no GPU was available); batching, which buys little on a CPU, is what makes a "
        "GPU fast. The score cache keeps every finished batch, so a long run can be stopped and resumed."
    )
    reason = hub_offline_reason()
    lines.append(
        f"Network: {'unavailable (' + reason + '); nothing can be downloaded now' if reason else 'available'}."
    )
    return "\n".join(lines)


def compare(report: dict) -> list[dict]:
    """Computed values of a ``seal analyze`` report beside SEAL's reference numbers."""
    got: dict[str, float | None] = {
        "pre_agreement": report["resistance"]["pre"]["agreement"],
        "post_agreement": report["resistance"]["post"]["agreement"],
        "post_resistance": report["resistance"]["post"]["resistance"],
        "theta_mean_deg": report["shift"]["theta_mean_deg"],
        "theta_median_deg": report["shift"]["theta_median_deg"],
    }
    for regime, row in report["regimes"].items():
        got[regime] = row["share"]
    if "gamma" in report:
        for g, share in report["gamma"]["shares"].items():
            got[f"gamma_{g}"] = share
        for g, by_rm in report["misalignment_given_gamma"].items():
            for rm, row in by_rm.items():
                # SEAL's γ = i row counted ties as aligned (>=): so does this one; the report itself stays strict
                k = row["misaligned"] - (row["n_ties"] if g == "i" else 0)
                got[f"{rm}_misaligned_given_{g}"] = k / row["n"] if row["n"] else None
        got["labeler_agrees_with_people"] = report["agreement"]["labeler agrees with people"]["share"]
    return [{"quantity": desc, "key": k, "seal": ref, "computed": got.get(k)} for k, (ref, desc) in REFERENCE.items()]
