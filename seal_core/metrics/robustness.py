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

ROBUSTNESS_COLUMNS = [
    "pair_id", "model", "perturbation", "score_chosen", "score_rejected", "score_chosen_perturbed",
    "score_rejected_perturbed", "agrees", "agrees_perturbed", "became_misaligned", "became_aligned",
]  # fmt: skip


def robustness_summary(rows: pd.DataFrame, *, ci: float = 0.95) -> pd.DataFrame:
    """Per RM and perturbation: agreement before/after, became-misaligned and became-aligned rates with CIs, flip
    rate, correlation of original and perturbed scores (pooled over sides), mean |Δscore| and mean Δmargin, and the
    test of a change in agreement with its power (``p_change``, ``mde_change``, ``underpowered``)."""
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
    Texts the probe left unchanged (equal scores) do not count."""
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
    """SEAL's flips (§7.3): ``flip_{τ}_{c|r} = label_original − label_perturbed``, one row per pair, joined on
    (pair_id, side). +1: the feature was lost or weakened; −1: gained or strengthened (sentiment: −2..+2)."""
    m = original[["pair_id", "side", *features]].merge(perturbed[["pair_id", "side", *features]],
                                                        on=["pair_id", "side"], suffixes=("_o", "_p"))  # fmt: skip
    flips = pd.DataFrame({"pair_id": m["pair_id"], "side": m["side"]})
    for f in features:
        flips[f] = m[f"{f}_o"].astype(float) - m[f"{f}_p"].astype(float)
    wide = flips.pivot(index="pair_id", columns="side", values=features)
    wide.columns = [f"{f}_{'c' if side == 'chosen' else 'r'}" for f, side in wide.columns]
    return wide


def robustness_scores(
    flips: pd.DataFrame, became_misaligned: pd.Series, *, model: Literal["lpm", "logit"] = "lpm", ci: float = 0.95
) -> pd.DataFrame:
    """π^{c|r}_{+|−}(τ) (§7.4): regression of ``became_misaligned`` on dummies for flips of +1 (feature lost,
    π_+) and −1 (feature gained, π_−), baseline no flip. Linear probability by default, as SEAL's numbers indicate;
    logistic as an option (coefficients then in log-odds). Robust (HC1) SEs; p unadjusted, as SEAL reported.

    Each flip value has its own dummy: a sentiment flip of ±2 (positive ↔ negative) is ``π+2``/``π−2``, not merged
    into ±1, so ``π+`` is the effect of a one-step loss only. A dummy no pair (or every pair) has is left out.

    Examples
    --------
    >>> flips = pd.DataFrame({"sentiment_c": [0, 0, 0, 0, 1, 1, 2, 2]}, index=list("abcdefgh"))
    >>> y = pd.Series([0, 0, 0, 1, 0, 1, 1, 1], index=flips.index)
    >>> robustness_scores(flips, y)[["term", "estimate"]].round(3).values.tolist()
    [['π+ sentiment_c', 0.25], ['π+2 sentiment_c', 0.75]]
    """
    if model not in ("lpm", "logit"):
        raise SealInputError(f"model must be 'lpm' or 'logit', got {model!r}")
    d = flips.join(became_misaligned.rename("_y").astype(float), how="inner").dropna()
    odd = sorted(set(np.unique(d[list(flips.columns)].to_numpy(float))) - {-2.0, -1.0, 0.0, 1.0, 2.0})
    if odd:
        raise SealInputError(f"flips must be label differences in −2..2 (booleans, sentiment), found {odd[:5]}")
    X = {}
    for col in flips.columns:
        for value, label in ((1, "+"), (-1, "−"), (2, "+2"), (-2, "−2")):
            dummy = (d[col] == value).astype(float)
            if 0 < dummy.sum() < len(d):
                X[f"π{label} {col}"] = dummy
    if not X:
        raise SealInputError("no feature flipped under this perturbation, so there is nothing to estimate")
    Z = sm.add_constant(pd.DataFrame(X), has_constant="add")
    if model == "lpm":
        res = sm.OLS(d["_y"], Z).fit(cov_type="HC1")
    else:
        res = sm.Logit(d["_y"], Z).fit(disp=0, cov_type="HC1")
    lohi = res.conf_int(1 - ci)
    terms = [c for c in Z.columns if c != "const"]
    return pd.DataFrame({"term": terms, "estimate": res.params[terms].to_numpy(), "se": res.bse[terms].to_numpy(),
                         "ci_low": lohi.loc[terms, 0].to_numpy(), "ci_high": lohi.loc[terms, 1].to_numpy(),
                         "p": res.pvalues[terms].to_numpy(), "n_pairs": len(d), "model": model})  # fmt: skip
