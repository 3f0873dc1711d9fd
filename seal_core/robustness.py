"""Run a robustness suite: perturb each pair, re-score with each RM, and record what flipped (``seal robustness``).

:func:`run_robustness` returns a :class:`RobustnessRun`: the long table (one row per pair, RM and perturbation;
columns of :data:`seal_core.metrics.robustness.ROBUSTNESS_COLUMNS`, plus ``similarity`` when the gate is on), the
pairs the gate excluded, the perturbed pairs that were scored, and (with a featurizer) their labels and the
robustness scores π, so nothing needs to be perturbed, scored or labelled again to draw it. Deterministic: the same
seed gives the same perturbed texts, and scores come from the content-keyed cache, so the same command writes
byte-identical output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from seal_core.errors import SealInputError
from seal_core.features import Featurizer, LabelCache, label_pairs
from seal_core.metrics._common import jsonable
from seal_core.metrics.robustness import (
    ROBUSTNESS_COLUMNS,
    flip_variables,
    probe_pass_rates,
    robustness_scores,
    robustness_summary,
)
from seal_core.models.base import RewardModel
from seal_core.perturb import PERTURBATIONS, perturb_pairs, similarity
from seal_core.scoring import ScoreCache, score_pairs

PERTURBED_COLUMNS = ["perturbation", "pair_id", "prompt_chosen", "prompt_rejected", "chosen", "rejected"]
PI_COLUMNS = ["perturbation", "model", "role", "term", "estimate", "se", "ci_low", "ci_high", "p", "n_pairs"]


@dataclass(frozen=True)
class RobustnessRun:
    """One robustness suite on a slice (seal-method.md §7), computed once.

    Attributes
    ----------
    rows : DataFrame
        One row per pair, RM and perturbation (:data:`~seal_core.metrics.robustness.ROBUSTNESS_COLUMNS`, plus
        ``similarity`` with the gate): what ``seal robustness --out`` writes.
    excluded : DataFrame
        ``pair_id, perturbation, similarity`` of the perturbed pairs the similarity gate left out.
    perturbed : DataFrame
        The perturbed pairs that were scored: ``perturbation, pair_id, prompt_chosen, prompt_rejected, chosen,
        rejected``.
    roles : dict
        Model id → role (``pre``/``post``) when the RMs were given by role, else empty.
    summary, probes : DataFrame
        :func:`~seal_core.metrics.robustness.robustness_summary` and the directional probes' pass rates, each with
        a ``role`` column.
    labels : DataFrame or None
        With a featurizer: the Features table of the original texts (``perturbation`` = ``"original"``) and of
        every perturbed text.
    pi : DataFrame or None
        With a featurizer: the robustness scores π per perturbation and RM (:data:`PI_COLUMNS`).
    pi_notes : DataFrame or None
        ``perturbation, model, role, note``: why π could not be estimated for a perturbation and RM.
    """

    rows: pd.DataFrame
    excluded: pd.DataFrame
    perturbed: pd.DataFrame
    perturbations: tuple[str, ...]
    seed: int
    gate: float | None
    roles: dict[str, str]
    summary: pd.DataFrame
    probes: pd.DataFrame
    labels: pd.DataFrame | None = None
    pi: pd.DataFrame | None = None
    pi_notes: pd.DataFrame | None = None

    def flipped(self, perturbation: str, model: str) -> pd.DataFrame:
        """Rows of one perturbation and RM whose preferred response changed."""
        r = self.rows
        sub = r[(r["perturbation"] == perturbation) & (r["model"] == model)]
        return sub[sub["became_misaligned"] | sub["became_aligned"]]

    def perturbed_pair(self, perturbation: str, pair_id: str) -> pd.Series:
        """The perturbed texts of one pair."""
        p = self.perturbed
        return p[(p["perturbation"] == perturbation) & (p["pair_id"] == pair_id)].iloc[0]

    def to_dict(self) -> dict:
        """Settings, summary, probes and π (JSON-ready; the per-pair rows are left to ``seal robustness --out``)."""
        return jsonable({"perturbations": list(self.perturbations), "seed": self.seed, "gate": self.gate,
                         "n_excluded": len(self.excluded), "roles": self.roles, "summary": self.summary,
                         "probes": self.probes, "pi": self.pi, "pi_notes": self.pi_notes})  # fmt: skip


def run_robustness(
    pairs: pd.DataFrame,
    rms: Sequence[RewardModel] | Mapping[str, RewardModel],
    perturbations: Sequence[str],
    *,
    seed: int = 0,
    cache: ScoreCache | None = None,
    gate: float | None = None,
    gate_model: str | None = None,
    rewritten: pd.DataFrame | None = None,
    featurizer: Featurizer | None = None,
    label_cache: LabelCache | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RobustnessRun:
    """Perturb every pair, re-score it with every RM and collect what flipped.

    Parameters
    ----------
    pairs : DataFrame
        The Pairs table (a slice).
    rms : list of RewardModel, or dict of role to RewardModel
        The RMs; given by role (``{"pre": …, "post": …}``), every table of the run carries a ``role`` column.
    perturbations : sequence of str
        Names from :data:`seal_core.perturb.PERTURBATIONS`, or ``rewrite`` with ``rewritten``.
    seed : int
        Seed of the perturbations (the same seed gives the same texts).
    gate : float, optional
        Similarity gate: perturbed pairs whose mean cosine similarity to the original (over both responses) is
        below it are excluded and listed in ``excluded``.
    gate_model : str, optional
        Sentence-transformers model of the gate (default: the offline MiniLM encoder).
    rewritten : DataFrame, optional
        LLM rewrites (perturbation ``rewrite``), from :func:`seal_core.perturb.rewrite_pairs`.
    featurizer : Featurizer, optional
        Label the original and the perturbed texts and estimate the robustness scores π (§7.4) from the flips of
        its bool and sentiment features.
    label_cache : LabelCache, optional
        Where the labels are cached.
    progress : callable, optional
        ``progress(done, total)`` after each perturbation × RM (and each labelling step).
    """
    if not len(pairs):
        raise SealInputError("no pairs to perturb")
    if gate is not None and not 0 < gate <= 1:
        raise SealInputError(f"the similarity gate must be in (0, 1], got {gate}")
    by_role = dict(rms) if isinstance(rms, Mapping) else {}
    models = list(by_role.values()) if by_role else list(rms)
    roles = {rm.model_id: role for role, rm in by_role.items()}
    frames, excluded, perturbed = [], [], []
    steps = len(perturbations) * len(models) + (len(perturbations) + 1 if featurizer is not None else 0)
    step = 0

    def tick() -> None:
        nonlocal step
        step += 1
        if progress:
            progress(step, steps)

    originals = {rm.model_id: score_pairs(pairs, rm, cache=cache).set_index("pair_id") for rm in models}
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
        perturbed.append(pert.assign(perturbation=name))
        for rm in models:
            frames.append(_compare(originals[rm.model_id], score_pairs(pert, rm, cache=cache), pert, rm, name, sims))
            tick()
    rows = pd.concat(frames, ignore_index=True)
    cols = ROBUSTNESS_COLUMNS + (["similarity"] if "similarity" in rows else [])
    rows = rows[cols]
    perturbed_all = pd.concat(perturbed, ignore_index=True)
    labels = pi = pi_notes = None
    if featurizer is not None:
        labels, pi, pi_notes = _flips_and_pi(pairs, perturbed_all, rows, roles, featurizer, label_cache, tick)
    with_role = {"role": lambda d: d["model"].map(roles)} if roles else {"role": None}
    return RobustnessRun(
        rows=rows,
        excluded=pd.DataFrame(excluded, columns=["pair_id", "perturbation", "similarity"]),
        perturbed=perturbed_all[[c for c in PERTURBED_COLUMNS if c in perturbed_all]],
        perturbations=tuple(perturbations),
        seed=seed,
        gate=gate,
        roles=roles,
        summary=robustness_summary(rows).assign(**with_role),
        probes=probe_pass_rates(rows, expected_directions(list(perturbations))).assign(**with_role),
        labels=labels,
        pi=pi,
        pi_notes=pi_notes,
    )


def _compare(o: pd.DataFrame, p: pd.DataFrame, pert: pd.DataFrame, rm, name: str, sims) -> pd.DataFrame:
    o = o.loc[pert["pair_id"]]
    p = p.set_index("pair_id")
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
    return frame


def _flips_and_pi(pairs, perturbed, rows, roles, featurizer, label_cache, tick):
    """Label the originals and every perturbed pair once; π per perturbation and RM from the label flips."""
    names = [n for n, spec in featurizer.specs.items() if spec.kind in ("bool", "sentiment")]
    original = label_pairs(pairs, featurizer, cache=label_cache).features
    tick()
    labels, pis, notes = [original.assign(perturbation="original")], [], []
    for name, pert in perturbed.groupby("perturbation", sort=False):
        if not len(pert):
            tick()
            continue
        changed = label_pairs(pert, featurizer, cache=label_cache).features
        tick()
        labels.append(changed.assign(perturbation=name))
        flips = flip_variables(original, changed, [n for n in names if n in changed])
        for model, sub in rows[rows["perturbation"] == name].groupby("model", sort=False):
            try:
                res = robustness_scores(flips, sub.set_index("pair_id")["became_misaligned"])
            except SealInputError as e:
                notes.append({"perturbation": name, "model": model, "role": roles.get(model), "note": str(e)})
                continue
            pis.append(res.table.assign(perturbation=name, role=roles.get(model), model=model))
    pi = pd.concat(pis, ignore_index=True)[PI_COLUMNS] if pis else pd.DataFrame(columns=PI_COLUMNS)
    return (pd.concat(labels, ignore_index=True), pi,
            pd.DataFrame(notes, columns=["perturbation", "model", "role", "note"]))  # fmt: skip


def expected_directions(names: list[str]) -> dict[str, str]:
    """The expected score change (``down`` for probes) of each named perturbation."""
    return {n: PERTURBATIONS[n].expected for n in names if n in PERTURBATIONS}
