"""Run a robustness suite: perturb each pair, re-score with each RM, and record what flipped (``seal robustness``).

Output: one row per pair, RM and perturbation (columns of
:data:`seal_core.metrics.robustness.ROBUSTNESS_COLUMNS`, plus ``similarity`` when the gate is on). Deterministic: the
same seed gives the same perturbed texts, and scores come from the content-keyed cache, so the same command writes
byte-identical output.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from seal_core.errors import SealInputError
from seal_core.metrics.robustness import ROBUSTNESS_COLUMNS
from seal_core.models.base import RewardModel
from seal_core.perturb import perturb_pairs, similarity
from seal_core.scoring import ScoreCache, score_pairs


def run_robustness(
    pairs: pd.DataFrame,
    rms: list[RewardModel],
    perturbations: list[str],
    *,
    seed: int = 0,
    cache: ScoreCache | None = None,
    gate: float | None = None,
    gate_model: str | None = None,
    rewritten: pd.DataFrame | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (rows, excluded). With ``gate``, perturbed pairs whose mean cosine similarity to the original (over
    both responses) is below it are excluded and listed in ``excluded`` with their similarity. ``rewritten`` supplies
    LLM rewrites (perturbation name ``rewrite``)."""
    if not len(pairs):
        raise SealInputError("no pairs to perturb")
    if gate is not None and not 0 < gate <= 1:
        raise SealInputError(f"the similarity gate must be in (0, 1], got {gate}")
    frames, excluded = [], []
    steps = len(perturbations) * len(rms)
    step = 0
    originals = {rm.model_id: score_pairs(pairs, rm, cache=cache).set_index("pair_id") for rm in rms}
    for name in perturbations:
        if name == "rewrite":
            if rewritten is None:
                raise SealInputError(
                    "the 'rewrite' perturbation needs LLM rewrites: pass them as `rewritten`", option="rewritten"
                )
            pert = rewritten
        else:
            pert = perturb_pairs(pairs, name, seed=seed)
        sims = None
        if gate is not None or name == "rewrite":
            orig = pairs.set_index("pair_id").loc[pert["pair_id"]]
            sc = similarity(orig["chosen"].tolist(), pert["chosen"].tolist(), model=gate_model)
            sr = similarity(orig["rejected"].tolist(), pert["rejected"].tolist(), model=gate_model)
            sims = pd.Series((sc + sr) / 2, index=pert["pair_id"].to_numpy())
            if gate is not None:
                low = sims[sims < gate]
                excluded += [{"pair_id": pid, "perturbation": name, "similarity": s} for pid, s in low.items()]
                pert = pert[~pert["pair_id"].isin(low.index)]
        for rm in rms:
            o = originals[rm.model_id].loc[pert["pair_id"]]
            p = score_pairs(pert, rm, cache=cache).set_index("pair_id")
            frame = pd.DataFrame({
                "pair_id": pert["pair_id"].to_numpy(), "model": rm.model_id, "perturbation": name,
                "score_chosen": o["score_chosen"].to_numpy(), "score_rejected": o["score_rejected"].to_numpy(),
                "score_chosen_perturbed": p["score_chosen"].to_numpy(),
                "score_rejected_perturbed": p["score_rejected"].to_numpy(),
            })  # fmt: skip
            frame["agrees"] = frame["score_chosen"] > frame["score_rejected"]
            frame["agrees_perturbed"] = frame["score_chosen_perturbed"] > frame["score_rejected_perturbed"]
            frame["became_misaligned"] = frame["agrees"] & ~frame["agrees_perturbed"]
            frame["became_aligned"] = ~frame["agrees"] & frame["agrees_perturbed"]
            if sims is not None:
                frame["similarity"] = sims.loc[frame["pair_id"]].to_numpy()
            frames.append(frame)
            step += 1
            if progress:
                progress(step, steps)
    rows = pd.concat(frames, ignore_index=True)
    cols = ROBUSTNESS_COLUMNS + (["similarity"] if "similarity" in rows else [])
    return rows[cols], pd.DataFrame(excluded, columns=["pair_id", "perturbation", "similarity"])


def expected_directions(names: list[str]) -> dict[str, str]:
    from seal_core.perturb import PERTURBATIONS

    return {n: PERTURBATIONS[n].expected for n in names if n in PERTURBATIONS}
