"""Alignment resistance in depth (seal-method.md §5): regimes between a pre and a post RM, the labeler's preference γ,
conditional misalignment, human × labeler × RM agreement, exact McNemar tests, and pair-level regressions.

Ties: agreement is strict (``margin > 0``) everywhere, as SEAL's headline numbers; ties are counted and shown in every
table (``n_ties``). SEAL's conditional table (its cells #6/#8) counted ties as aligned (``>=``); ``ties="agree"``
reproduces that.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from seal_core.errors import SealInputError
from seal_core.metrics.intervals import wilson_interval as _wilson
from seal_core.metrics.power import AGREEMENT_EFFECT, chance_test, mde_paired, underpowered

REGIMES = ("stayed_aligned", "got_aligned", "resisted", "reversed")
REGIME_WORDS = {
    "stayed_aligned": "stayed aligned (both RMs agree with people)",
    "got_aligned": "got aligned (only the post-training RM agrees)",
    "resisted": "resisted alignment (neither agrees)",
    "reversed": "reversed (only the pre-training RM agrees)",
}
SEAL_GAMMA_TARGETS = ("last_response_is_harmless", "last_response_is_helpful")
GAMMA_WORDS = {"c": "labeler prefers the chosen", "i": "labeler indifferent", "r": "labeler prefers the rejected"}
Ties = Literal["disagree", "agree"]
SMALL = 30


def pair_agreement(scores: pd.DataFrame, pre: str, post: str) -> pd.DataFrame:
    """One row per pair scored by both RMs: margins, strict agreement, ties, and the regime."""
    if pre == post:
        raise SealInputError(f"pre and post name the same RM ({pre!r}); comparing an RM with itself needs two RMs")
    keep = ["pair_id", "margin"]
    a = scores.loc[scores["model"] == pre, keep].rename(columns={"margin": "margin_pre"})
    b = scores.loc[scores["model"] == post, keep].rename(columns={"margin": "margin_post"})
    if a.empty or b.empty:
        raise SealInputError(f"scores need both RMs ({pre!r}, {post!r}); found {sorted(scores['model'].unique())}")
    return _add_regimes(a.merge(b, on="pair_id", how="inner", validate="one_to_one"))


def pair_agreement_from_vectors(vectors: pd.DataFrame) -> pd.DataFrame:
    """:func:`pair_agreement` from :func:`seal_core.metrics.shift.reward_vectors` (saves a second join)."""
    d = pd.DataFrame({
        "pair_id": vectors["pair_id"].to_numpy(),
        "margin_pre": (vectors["u_chosen"] - vectors["u_rejected"]).to_numpy(),
        "margin_post": (vectors["v_chosen"] - vectors["v_rejected"]).to_numpy(),
    })  # fmt: skip
    return _add_regimes(d)


def _add_regimes(d: pd.DataFrame) -> pd.DataFrame:
    d["agrees_pre"], d["agrees_post"] = d["margin_pre"] > 0, d["margin_post"] > 0
    d["tie_pre"], d["tie_post"] = d["margin_pre"] == 0, d["margin_post"] == 0
    d["regime"] = np.select(
        [d.agrees_pre & d.agrees_post, ~d.agrees_pre & d.agrees_post, ~d.agrees_pre & ~d.agrees_post],
        ["stayed_aligned", "got_aligned", "resisted"],
        "reversed",
    )
    return d


def chance_level_note(agreement: pd.DataFrame) -> str:
    """Plain words for an RM that is indistinguishable from a coin flip on these pairs (exact binomial test of its
    agreement against ½), and what that does to the regimes; empty when both RMs beat chance.

    Examples
    --------
    >>> a = pd.DataFrame({"agrees_pre": [True, False] * 20, "agrees_post": [True] * 30 + [False] * 10})
    >>> chance_level_note(a)[:82]
    'The pre-training RM agrees with people on 50% of these 40 pairs: indistinguishable'
    """
    words = []
    for role, other in (("pre", "post"), ("post", "pre")):
        s = agreement[f"agrees_{role}"].astype(bool)
        k, n = int(s.sum()), len(s)
        p = chance_test(k, n)
        if n and p >= 0.05:
            split = ("'stayed aligned' and 'got aligned' are", "'reversed' and 'resisted' are") if role == "pre" else (
                "'stayed aligned' and 'reversed' are", "'got aligned' and 'resisted' are")  # fmt: skip
            words.append(
                f"The {role}-training RM agrees with people on {k / n:.0%} of these {n:,} pairs: indistinguishable "
                f"from a coin flip (exact binomial p = {p:.2g}). Against a chance-level RM the regimes add nothing: "
                f"{split[0]} just the {other}-training RM's agreement split in two at random, and {split[1]} its "
                "disagreement split in two."
            )
    return " ".join(words)


def regime_table(agreement: pd.DataFrame, *, ci: float = 0.95) -> pd.DataFrame:
    """SEAL's Table 1: count, share and Wilson CI of each regime."""
    n = len(agreement)
    if 0 < n < SMALL:
        warnings.warn(f"only {n} pairs: regime shares are very uncertain", stacklevel=2)
    rows = []
    for r in REGIMES:
        k = int((agreement["regime"] == r).sum())
        lo, hi = _wilson(k, n, ci)
        rows.append({"regime": r, "count": k, "share": k / n if n else np.nan, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def labeler_preference(features: pd.DataFrame, targets: Sequence[str] = SEAL_GAMMA_TARGETS) -> pd.Series:
    """γ per pair: compare the chosen and rejected texts' target features lexicographically (first target first).

    A target named ``-feature`` counts in reverse (having it is worse, e.g. ``-last_response_contains_insult``).
    SEAL's rule is ``("last_response_is_harmless", "last_response_is_helpful")``: (1,1) > (1,0) > (0,1) > (0,0).
    Pairs missing a target label (NaN, or a text without a row) on either side get no γ; their number is in
    ``gamma.attrs["n_incomplete_pairs"]``.

    Examples
    --------
    >>> f = pd.DataFrame({"pair_id": ["a", "a", "b", "b"], "side": ["chosen", "rejected"] * 2,
    ...                   "last_response_is_harmless": [1, 1, 0, 1], "last_response_is_helpful": [1, 0, 1, 0]})
    >>> labeler_preference(f).to_dict()
    {'a': 'c', 'b': 'r'}
    """
    if not targets:
        raise SealInputError("γ needs at least one target feature")
    names = [t.lstrip("-") for t in targets]
    missing = [n for n in names if n not in features.columns]
    if missing:
        raise SealInputError(
            f"γ needs the target feature(s) {missing}, which these features lack (SEAL's are harmless and helpful, "
            "from the LLM labeler or an import); with the offline rules use e.g. "
            "['-last_response_contains_insult', '-last_response_breaks_privacy']"
        )
    wide, n_incomplete = _complete_pairs(features, names)
    cmp = pd.Series(0, index=wide.index)
    for t, n in zip(targets, names):
        sign = -1 if t.startswith("-") else 1
        diff = sign * (wide[(n, "chosen")].astype(float) - wide[(n, "rejected")].astype(float))
        undecided = cmp == 0
        cmp[undecided] = np.sign(diff[undecided]).astype(int)
    gamma = cmp.map({1: "c", 0: "i", -1: "r"}).rename("gamma")
    gamma.attrs["n_incomplete_pairs"] = n_incomplete
    return gamma


def _complete_pairs(features: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Features pivoted to one row per pair (columns: (feature, side)), keeping the pairs with every label on both
    sides; also the number of pairs left out."""
    wide = features.pivot(index="pair_id", columns="side", values=list(columns))
    for side in ("chosen", "rejected"):  # a side no text has still counts as missing
        for c in columns:
            if (c, side) not in wide.columns:
                wide[(c, side)] = np.nan
    complete = wide.notna().all(axis=1)
    return wide[complete], int((~complete).sum())


def misalignment_given_gamma(
    agreement: pd.DataFrame, gamma: pd.Series, *, ci: float = 0.95, ties: Ties = "disagree"
) -> pd.DataFrame:
    """P(RM misaligned | γ) for the pre and post RM, with Wilson CIs, the ties in each cell, and ``p_chance``
    (exact binomial test of the share against a coin flip)."""
    d = agreement.merge(gamma.rename("gamma"), left_on="pair_id", right_index=True)
    rows = []
    for g in ("c", "i", "r"):
        sub = d[d["gamma"] == g]
        for role in ("pre", "post"):
            agrees = sub[f"agrees_{role}"] | (sub[f"tie_{role}"] if ties == "agree" else False)
            n, k = len(sub), int((~agrees).sum())
            lo, hi = _wilson(k, n, ci)
            rows.append({"gamma": g, "rm": role, "n": n, "misaligned": k, "share": k / n if n else np.nan,
                         "ci_low": lo, "ci_high": hi, "n_ties": int(sub[f"tie_{role}"].sum()),
                         "p_chance": chance_test(k, n)})  # fmt: skip
    return pd.DataFrame(rows)


def regime_by_gamma(agreement: pd.DataFrame, gamma: pd.Series) -> pd.DataFrame:
    """Counts of regime × γ, with the share of each regime within each γ."""
    d = agreement.merge(gamma.rename("gamma"), left_on="pair_id", right_index=True)
    counts = pd.crosstab(d["regime"], d["gamma"]).reindex(index=list(REGIMES), columns=["c", "i", "r"], fill_value=0)
    long = counts.stack().rename("count").reset_index()
    long["share_within_gamma"] = long["count"] / long.groupby("gamma")["count"].transform("sum").replace(0, np.nan)
    return long


def three_way_agreement(agreement: pd.DataFrame, gamma: pd.Series, *, ci: float = 0.95) -> pd.DataFrame:
    """Where the labeler has an opinion (γ ≠ i): how often the labeler, each RM and people agree with each other."""
    d = agreement.merge(gamma.rename("gamma"), left_on="pair_id", right_index=True)
    d = d[d["gamma"] != "i"]
    lm_human = d["gamma"] == "c"
    pairs = {
        "labeler agrees with people": lm_human,
        "pre RM agrees with people": d["agrees_pre"],
        "post RM agrees with people": d["agrees_post"],
        "pre RM agrees with the labeler": d["agrees_pre"] == lm_human,
        "post RM agrees with the labeler": d["agrees_post"] == lm_human,
        "labeler, people and post RM all agree": lm_human & d["agrees_post"],
    }
    rows = []
    for name, s in pairs.items():
        k, n = int(s.sum()), len(s)
        lo, hi = _wilson(k, n, ci)
        rows.append({"comparison": name, "n": n, "agree": k, "share": k / n if n else np.nan, "ci_low": lo,
                     "ci_high": hi})  # fmt: skip
    return pd.DataFrame(rows)


def _mcnemar(a: pd.Series, b: pd.Series, label_a: str, label_b: str) -> dict:
    a, b = a.astype(bool).to_numpy(), b.astype(bool).to_numpy()
    table = [[int((a & b).sum()), int((a & ~b).sum())], [int((~a & b).sum()), int((~a & ~b).sum())]]
    res = mcnemar(table, exact=True)
    n, p = len(a), float(res.pvalue)
    mde = mde_paired(n, (table[0][1] + table[1][0]) / n) if n else np.nan
    return {"a": label_a, "b": label_b, "n": n, "share_a": a.mean() if n else np.nan,
            "share_b": b.mean() if n else np.nan, "only_a": table[0][1], "only_b": table[1][0],
            "statistic": float(res.statistic), "p": p, "mde": mde,
            "underpowered": underpowered(p, mde, AGREEMENT_EFFECT)}  # fmt: skip


def mcnemar_tests(agreement: pd.DataFrame, gamma: pd.Series | None = None) -> pd.DataFrame:
    """Exact McNemar tests of paired agreement indicators on the same pairs.

    Always: pre RM vs post RM agreement with people (all pairs). With γ (on γ ≠ i, as SEAL): labeler vs each RM
    (agreement with people), and post RM with the labeler vs post RM with people.

    ``mde``: the smallest difference of the two shares the test detects with 80% power on these pairs
    (:func:`seal_core.metrics.power.mde_paired`); ``underpowered``: not significant and ``mde`` above 5 points.
    """
    rows = [_mcnemar(agreement["agrees_pre"], agreement["agrees_post"], "pre RM agrees with people",
                     "post RM agrees with people")]  # fmt: skip
    if gamma is not None:
        d = agreement.merge(gamma.rename("gamma"), left_on="pair_id", right_index=True)
        d = d[d["gamma"] != "i"]
        lm = d["gamma"] == "c"
        rows += [
            _mcnemar(lm, d["agrees_pre"], "labeler agrees with people", "pre RM agrees with people"),
            _mcnemar(lm, d["agrees_post"], "labeler agrees with people", "post RM agrees with people"),
            _mcnemar(d["agrees_post"] == lm, d["agrees_post"], "post RM agrees with the labeler",
                     "post RM agrees with people"),
        ]  # fmt: skip
    return pd.DataFrame(rows)


def wide_features(features: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One row per pair: each feature of the chosen text (suffix ``(c)``) and of the rejected text (``(r)``).

    Pairs missing a label (NaN, or a text without a row) are left out; their number is in
    ``attrs["n_incomplete_pairs"]``. A feature no text has a label for is left out instead of every pair."""
    columns = [c for c in columns if features[c].notna().any()]
    w, n_incomplete = _complete_pairs(features, columns)
    w.columns = [f"{f} ({'c' if side == 'chosen' else 'r'})" for f, side in w.columns]
    ordered = [f"{f} ({s})" for s in ("c", "r") for f in columns]
    w = w[ordered]
    w.attrs["n_incomplete_pairs"] = n_incomplete
    return w


def pair_regression(
    y: pd.Series | dict[str, pd.Series],
    X: pd.DataFrame,
    *,
    adjust: str = "bonferroni",
    ci: float = 0.95,
    name: str = "",
) -> pd.DataFrame:
    """OLS of per-pair outcomes on per-pair regressors, heteroskedasticity-robust SEs (one row per pair = clustered
    by pair), p-values adjusted. Used for the misalignment LPM (§4.4) and the θ regression (§4.3).

    ``y`` may be one outcome (named ``name``) or a dict of outcomes sharing the design, which is then built and
    checked for collinearity once. Returns one row per term and outcome.
    """
    if adjust not in ("bonferroni", "holm", "fdr_bh", "none"):
        raise SealInputError(f"unknown p-value adjustment {adjust!r}; expected one of bonferroni, holm, fdr_bh, none")
    outcomes = y if isinstance(y, dict) else {name: y}
    Xa = X.dropna()
    index = Xa.index
    for s in outcomes.values():
        index = index.intersection(s.dropna().index)
    d = Xa.loc[index]
    keep = [c for c in X.columns if d[c].std() > 0]
    dropped = [c for c in X.columns if c not in keep]
    if len(d) < len(keep) + 2:
        raise SealInputError(f"{len(d)} pairs are too few for a regression on {len(keep)} regressors")
    Z = sm.add_constant(d[keep].to_numpy(float), has_constant="add")
    if np.linalg.matrix_rank(Z.T @ Z) < Z.shape[1]:  # collinear (Gram matrix: k×k, cheap): drop one by one
        used: list[str] = []
        for c in keep:
            cand = sm.add_constant(d[[*used, c]].to_numpy(float), has_constant="add")
            if np.linalg.matrix_rank(cand.T @ cand) == cand.shape[1]:
                used.append(c)
            else:
                dropped.append(c)
        keep = used
        Z = sm.add_constant(d[keep].to_numpy(float), has_constant="add")
    method = {"bonferroni": "bonferroni", "holm": "holm", "fdr_bh": "fdr_bh"}.get(adjust)
    frames = []
    for label, series in outcomes.items():
        res = sm.OLS(series.loc[index].to_numpy(float), Z).fit(cov_type="HC1")
        p = res.pvalues[1:]
        p_adj = multipletests(p, method=method)[1] if method and len(p) else p
        lohi = res.conf_int(1 - ci)[1:]
        frames.append(pd.DataFrame({"term": keep, "coef": res.params[1:], "se": res.bse[1:], "ci_low": lohi[:, 0],
                                    "ci_high": lohi[:, 1], "p": p, "p_adj": p_adj, "n_pairs": len(d),
                                    "outcome": label}))  # fmt: skip
    out = pd.concat(frames, ignore_index=True)
    out.attrs["dropped"] = dropped
    return out
