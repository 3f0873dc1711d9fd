"""Alignment robustness metrics (seal-method.md §7): how RM preferences move under perturbations.

Input: the long robustness table (one row per pair, RM and perturbation) with original and perturbed scores of both
sides. ``became_misaligned`` = agreed before and not after; ``became_aligned`` = the reverse (strict ``>``).
Rates are reported over the pairs that could flip that way (aligned before / misaligned before), and the flip rate
over all pairs; all with Wilson CIs. Whether a perturbation changes agreement at all is the exact McNemar test of
became-misaligned against became-aligned pairs (``p_change``); ``mde_change`` is the smallest change of agreement
that test detects with 80% power given the flip rate (:func:`seal_core.metrics.power.mde_paired`), and
``underpowered`` marks a non-significant change whose MDE is above 5 percentage points.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import binomtest

from seal_core.errors import SealInputError
from seal_core.metrics.intervals import wilson_interval as _wilson
from seal_core.metrics.power import AGREEMENT_EFFECT, mde_paired, underpowered, underpowered_note
from seal_core.metrics.regression import PairRegression
from seal_core.options import choose

ROBUSTNESS_COLUMNS = [
    "pair_id", "model", "perturbation", "score_chosen", "score_rejected", "score_chosen_perturbed",
    "score_rejected_perturbed", "agrees", "agrees_perturbed", "became_misaligned", "became_aligned",
]  # fmt: skip


def robustness_summary(rows: pd.DataFrame, *, ci: float = 0.95) -> pd.DataFrame:
    """How preferences moved, per RM and perturbation (seal-method.md §7.2).

    Agreement before and after; became-misaligned (among pairs that agreed) and became-aligned (among those that
    did not) rates with Wilson CIs; the flip rate over all pairs; the correlation of original and perturbed scores
    (pooled over sides); mean |Δscore| and mean Δmargin; and the test of a change in agreement with its power
    (``p_change``, ``mde_change``, ``underpowered``).

    Parameters
    ----------
    rows : DataFrame
        The long robustness table (:data:`ROBUSTNESS_COLUMNS`), e.g. ``RobustnessRun.rows``.
    ci : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row per model and perturbation.

    Examples
    --------
    >>> rows = pd.DataFrame({"pair_id": ["a", "b", "c", "d"], "model": "m", "perturbation": "typos",
    ...                      "score_chosen": [1.0, 1.0, 0.0, 0.0], "score_rejected": [0.0, 0.0, 1.0, 1.0],
    ...                      "score_chosen_perturbed": [-1.0, 1.0, 2.0, 0.0], "score_rejected_perturbed": [0.0] * 4})
    >>> rows["agrees"] = rows.score_chosen > rows.score_rejected
    >>> rows["agrees_perturbed"] = rows.score_chosen_perturbed > rows.score_rejected_perturbed
    >>> rows["became_misaligned"] = rows.agrees & ~rows.agrees_perturbed
    >>> rows["became_aligned"] = ~rows.agrees & rows.agrees_perturbed
    >>> t = robustness_summary(rows).iloc[0]
    >>> int(t.became_misaligned), float(t.became_misaligned_rate), int(t.became_aligned), float(t.flip_rate)
    (1, 0.5, 1, 0.5)
    """
    missing = set(ROBUSTNESS_COLUMNS) - set(rows.columns)
    if missing:
        raise SealInputError(f"robustness rows lack column(s) {sorted(missing)}")
    out = []
    for (model, pert), d in rows.groupby(["model", "perturbation"], sort=False):
        n = len(d)
        before, after = d["agrees"].to_numpy(bool), d["agrees_perturbed"].to_numpy(bool)
        n_al, n_mis = int(before.sum()), int((~before).sum())
        k_mis, k_al = int(d["became_misaligned"].sum()), int(d["became_aligned"].sum())
        orig = np.concatenate([d["score_chosen"], d["score_rejected"]])
        new = np.concatenate([d["score_chosen_perturbed"], d["score_rejected_perturbed"]])
        changed = np.abs(new - orig)
        corr = float(np.corrcoef(orig, new)[0, 1]) if n > 1 and orig.std() > 0 and new.std() > 0 else np.nan
        m0 = d["score_chosen"] - d["score_rejected"]
        m1 = d["score_chosen_perturbed"] - d["score_rejected_perturbed"]
        lo_m, hi_m = _wilson(k_mis, n_al, ci)
        lo_a, hi_a = _wilson(k_al, n_mis, ci)
        lo_f, hi_f = _wilson(k_mis + k_al, n, ci)
        p_change = float(binomtest(k_mis, k_mis + k_al, 0.5).pvalue) if k_mis + k_al else 1.0
        mde = mde_paired(n, (k_mis + k_al) / n) if n else np.nan
        out.append({
            "model": model, "perturbation": pert, "n_pairs": n, "agreement_before": before.mean(),
            "agreement_after": after.mean(), "became_misaligned": k_mis, "became_misaligned_rate": k_mis / n_al
            if n_al else np.nan, "became_misaligned_ci_low": lo_m, "became_misaligned_ci_high": hi_m,
            "became_aligned": k_al, "became_aligned_rate": k_al / n_mis if n_mis else np.nan,
            "became_aligned_ci_low": lo_a, "became_aligned_ci_high": hi_a, "flip_rate": (k_mis + k_al) / n,
            "flip_ci_low": lo_f, "flip_ci_high": hi_f, "score_corr": corr, "mean_abs_dscore": float(changed.mean()),
            "mean_dmargin": float((m1 - m0).mean()), "p_change": p_change, "mde_change": mde,
            "underpowered": underpowered(p_change, mde, AGREEMENT_EFFECT),
        })  # fmt: skip
    return pd.DataFrame(out)


def underpowered_words(summary: pd.DataFrame) -> str:
    """A sentence naming the perturbations whose non-significant change in agreement was underpowered."""
    weak = summary[summary["underpowered"].astype(bool)]
    if weak.empty:
        return ""
    worst = float(weak["mde_change"].max())
    names = ", ".join(f"{r.perturbation} ({r.model})" for r in weak.itertuples())
    return f"No significant change in agreement under {names}: {underpowered_note(AGREEMENT_EFFECT, worst)}."


def probe_pass_rates(rows: pd.DataFrame, expected: dict[str, str], *, ci: float = 0.95) -> pd.DataFrame:
    """For directional probes: the share of perturbed texts whose score moved in the expected direction (down).

    Texts the probe left unchanged (equal scores) do not count.

    Parameters
    ----------
    rows : DataFrame
        The long robustness table.
    expected : dict
        Perturbation → expected score change; only ``"down"`` probes are scored.
    ci : float
        Confidence level.

    Returns
    -------
    DataFrame
        ``model, perturbation, expected, n_texts, passed, pass_rate, ci_low, ci_high``.

    Examples
    --------
    >>> rows = pd.DataFrame({"pair_id": ["a", "b", "c", "d"], "model": "m", "perturbation": "typos",
    ...                      "score_chosen": [1.0, 1.0, 0.0, 0.0], "score_rejected": [0.0, 0.0, 1.0, 1.0],
    ...                      "score_chosen_perturbed": [-1.0, 1.0, 2.0, 0.0], "score_rejected_perturbed": [0.0] * 4})
    >>> rows["agrees"] = rows.score_chosen > rows.score_rejected
    >>> rows["agrees_perturbed"] = rows.score_chosen_perturbed > rows.score_rejected_perturbed
    >>> rows["became_misaligned"] = rows.agrees & ~rows.agrees_perturbed
    >>> rows["became_aligned"] = ~rows.agrees & rows.agrees_perturbed
    >>> t = probe_pass_rates(rows, {"typos": "down"}).iloc[0]  # 4 of the 8 texts changed score, 3 went down
    >>> int(t.n_texts), int(t.passed), float(t.pass_rate)
    (4, 3, 0.75)
    """
    out = []
    for (model, pert), d in rows.groupby(["model", "perturbation"], sort=False):
        if expected.get(pert) != "down":
            continue
        delta = np.concatenate([d["score_chosen_perturbed"] - d["score_chosen"],
                                d["score_rejected_perturbed"] - d["score_rejected"]])  # fmt: skip
        moved = delta[delta != 0]
        k, n = int((moved < 0).sum()), len(moved)
        lo, hi = _wilson(k, n, ci)
        out.append({"model": model, "perturbation": pert, "expected": "down", "n_texts": n, "passed": k,
                    "pass_rate": k / n if n else np.nan, "ci_low": lo, "ci_high": hi})  # fmt: skip
    return pd.DataFrame(out)


def flip_variables(original: pd.DataFrame, perturbed: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """SEAL's flips (§7.3): ``flip_{τ}_{c|r} = label_original − label_perturbed``, one row per pair.

    Original and perturbed labels are joined on (pair_id, side), never by position. +1: the feature was lost or
    weakened; −1: gained or strengthened (sentiment: −2..+2).

    Parameters
    ----------
    original, perturbed : DataFrame
        Features tables of the original and the perturbed texts.
    features : list of str
        The feature columns to compare.

    Returns
    -------
    DataFrame
        Indexed by pair_id, one column per feature and side: ``<feature>_c``, ``<feature>_r``.

    Examples
    --------
    >>> o = pd.DataFrame({"pair_id": ["a", "a"], "side": ["chosen", "rejected"], "insult": [0, 1]})
    >>> p = pd.DataFrame({"pair_id": ["a", "a"], "side": ["rejected", "chosen"], "insult": [0, 1]})
    >>> flip_variables(o, p, ["insult"]).to_dict("index")
    {'a': {'insult_c': -1.0, 'insult_r': 1.0}}
    """
    m = original[["pair_id", "side", *features]].merge(perturbed[["pair_id", "side", *features]],
                                                        on=["pair_id", "side"], suffixes=("_o", "_p"))  # fmt: skip
    flips = pd.DataFrame({"pair_id": m["pair_id"], "side": m["side"]})
    for f in features:
        flips[f] = m[f"{f}_o"].astype(float) - m[f"{f}_p"].astype(float)
    wide = flips.pivot(index="pair_id", columns="side", values=features)
    wide.columns = [f"{f}_{'c' if side == 'chosen' else 'r'}" for f, side in wide.columns]
    return wide


_PI_MODELS = {"lpm": lambda y, Z: sm.OLS(y, Z).fit(cov_type="HC1"),
              "logit": lambda y, Z: sm.Logit(y, Z).fit(disp=0, cov_type="HC1")}  # fmt: skip


def robustness_scores(
    flips: pd.DataFrame, became_misaligned: pd.Series, *, model: Literal["lpm", "logit"] = "lpm", ci: float = 0.95
) -> PairRegression:
    """π^{c|r}_{+|−}(τ) (seal-method.md §7.4): ``became_misaligned`` regressed on flip dummies.

    One dummy per flip column and value: +1 (the feature was lost, π₊) and −1 (gained, π₋), baseline no flip; a
    sentiment flip of ±2 (positive ↔ negative) is ``π+2``/``π−2``, not merged into ±1, so ``π+`` is the effect of a
    one-step loss only. A dummy that is constant on the pairs, or collinear with the dummies before it, is left out
    and listed in ``dropped``. Linear probability by default, as SEAL's numbers indicate; logistic as an option (coefficients then
    in log-odds). Robust (HC1) SEs; p unadjusted, as SEAL reported.

    Parameters
    ----------
    flips : DataFrame
        One row per pair_id, one column per feature and side (:func:`flip_variables`).
    became_misaligned : Series
        Per pair_id: the RM agreed with people before the perturbation and not after.
    model : {"lpm", "logit"}
        Linear probability model or logistic regression.
    ci : float
        Confidence level.

    Returns
    -------
    PairRegression
        ``table``: ``term, estimate, se, ci_low, ci_high, p, n_pairs, estimator``; ``dropped``; ``n_pairs``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> flips = pd.DataFrame({"insult_c": rng.choice([0, -1], 4000), "hedges_c": rng.choice([0, 1], 4000)})
    >>> y = pd.Series(rng.random(4000) < 0.1 + 0.5 * (flips["insult_c"] == -1))
    >>> pi = robustness_scores(flips, y)
    >>> pi.table["term"].tolist(), round(float(pi.table["estimate"].iloc[0]), 1)
    (['π− insult_c', 'π+ hedges_c'], 0.5)
    >>> flips = pd.DataFrame({"sentiment_c": [0, 0, 0, 0, 1, 1, 2, 2]}, index=list("abcdefgh"))
    >>> y = pd.Series([0, 0, 0, 1, 0, 1, 1, 1], index=flips.index)
    >>> robustness_scores(flips, y).table[["term", "estimate"]].round(3).values.tolist()
    [['π+ sentiment_c', 0.25], ['π+2 sentiment_c', 0.75]]
    """
    fit = choose("π model", model, _PI_MODELS, option="model")
    d = flips.join(became_misaligned.rename("_y").astype(float), how="inner").dropna()
    odd = sorted(set(np.unique(d[list(flips.columns)].to_numpy(float))) - {-2.0, -1.0, 0.0, 1.0, 2.0})
    if odd:
        raise SealInputError(f"flips must be label differences in −2..2 (booleans, sentiment), found {odd[:5]}")
    X, dropped = {}, []
    for col in flips.columns:
        for value, label in ((1, "+"), (-1, "−"), (2, "+2"), (-2, "−2")):
            dummy = (d[col] == value).astype(float)
            if 0 < dummy.sum() < len(d):
                X[f"π{label} {col}"] = dummy
    if not X:
        raise SealInputError("no feature flipped under this perturbation, so there is nothing to estimate")
    used: list[str] = []
    for term, dummy in X.items():  # collinear dummies (e.g. two features an edit always changes together) out
        cand = np.column_stack([np.ones(len(d)), *(X[t] for t in used), dummy])
        if np.linalg.matrix_rank(cand.T @ cand) == cand.shape[1]:
            used.append(term)
        else:
            dropped.append(term)
    if len(d) < len(used) + 2:
        raise SealInputError(f"{len(d)} pairs are too few to estimate π for {len(used)} flip terms")
    Z = sm.add_constant(pd.DataFrame({t: X[t] for t in used}), has_constant="add")
    res = fit(d["_y"], Z)
    lohi = res.conf_int(1 - ci)
    table = pd.DataFrame({"term": used, "estimate": res.params[used].to_numpy(), "se": res.bse[used].to_numpy(),
                          "ci_low": lohi.loc[used, 0].to_numpy(), "ci_high": lohi.loc[used, 1].to_numpy(),
                          "p": res.pvalues[used].to_numpy(), "n_pairs": len(d), "estimator": model})  # fmt: skip
    return PairRegression(table=table, dropped=tuple(dropped), n_pairs=len(d))
