"""Alignment resistance in depth (seal-method.md §5): regimes between a pre and a post RM, the labeler's preference γ,
conditional misalignment, human × labeler × RM agreement, exact McNemar tests, and pair-level regressions.

Ties: agreement is strict (``margin > 0``) everywhere, as SEAL's headline numbers; ties are counted and shown in every
table (``n_ties``). SEAL's conditional table (its cells #6/#8) counted ties as aligned (``>=``); ``ties="agree"``
reproduces that.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.contingency_tables import mcnemar

from seal_core.errors import SealInputError
from seal_core.metrics.gamma import (  # noqa: F401 - γ lives in metrics.gamma; named here for the regime tables' callers
    RULE_GAMMA_TARGETS,
    SEAL_GAMMA_TARGETS,
    default_gamma_targets,
    labeler_preference,
)
from seal_core.metrics.intervals import wilson_interval as _wilson
from seal_core.metrics.power import AGREEMENT_EFFECT, chance_test, mde_paired, underpowered

REGIMES = ("stayed_aligned", "got_aligned", "resisted", "reversed")
Ties = Literal["disagree", "agree"]
SMALL = 30


def pair_agreement(scores: pd.DataFrame, pre: str, post: str) -> pd.DataFrame:
    """One row per pair scored by both RMs: margins, strict agreement, ties, and the regime (seal-method.md §5.1).

    Parameters
    ----------
    scores : DataFrame
        The Scores table (``pair_id, model, margin``) with both RMs.
    pre, post : str
        Model ids of the pre- and the post-training RM.

    Returns
    -------
    DataFrame
        ``pair_id, margin_pre, margin_post, agrees_pre, agrees_post, tie_pre, tie_post, regime``; agreement is
        strict (margin > 0), so a tie is not agreement.

    Examples
    --------
    >>> s = pd.DataFrame({"pair_id": ["a", "b", "c", "d"] * 2, "model": ["pre"] * 4 + ["post"] * 4,
    ...                   "margin": [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 0.0, -1.0]})
    >>> a = pair_agreement(s, "pre", "post")
    >>> a[["pair_id", "regime", "tie_post"]].to_dict("list")
    {'pair_id': ['a', 'b', 'c', 'd'], 'regime': ['stayed_aligned', 'got_aligned', 'resisted', 'reversed'], 'tie_post': [False, False, True, False]}
    """
    if pre == post:
        raise SealInputError(f"pre and post name the same RM ({pre!r}); comparing an RM with itself needs two RMs")
    keep = ["pair_id", "margin"]
    a = scores.loc[scores["model"] == pre, keep].rename(columns={"margin": "margin_pre"})
    b = scores.loc[scores["model"] == post, keep].rename(columns={"margin": "margin_post"})
    if a.empty or b.empty:
        raise SealInputError(f"scores need both RMs ({pre!r}, {post!r}); found {sorted(scores['model'].unique())}")
    return _add_regimes(a.merge(b, on="pair_id", how="inner", validate="one_to_one"))


def pair_agreement_from_vectors(vectors: pd.DataFrame) -> pd.DataFrame:
    """:func:`pair_agreement` from :func:`seal_core.metrics.shift.reward_vectors` (saves a second join).

    Parameters
    ----------
    vectors : DataFrame
        One row per pair: ``pair_id, u_chosen, u_rejected, v_chosen, v_rejected``.

    Returns
    -------
    DataFrame
        The columns of :func:`pair_agreement`.

    Examples
    --------
    >>> v = pd.DataFrame({"pair_id": ["a", "b"], "u_chosen": [0.0, 1.0], "u_rejected": [1.0, 0.0],
    ...                   "v_chosen": [2.0, 1.0], "v_rejected": [1.0, 0.0]})
    >>> pair_agreement_from_vectors(v)["regime"].tolist()
    ['got_aligned', 'stayed_aligned']
    """
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
    """SEAL's Table 1: count, share and Wilson CI of each regime (warns under 30 pairs).

    Parameters
    ----------
    agreement : DataFrame
        From :func:`pair_agreement` (needs ``regime``).
    ci : float
        Confidence level of the Wilson intervals.

    Returns
    -------
    DataFrame
        ``regime, count, share, ci_low, ci_high``, one row per regime in :data:`REGIMES` order.

    Examples
    --------
    >>> s = pd.DataFrame({"pair_id": ["a", "b", "c", "d"] * 2, "model": ["pre"] * 4 + ["post"] * 4,
    ...                   "margin": [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 0.0, -1.0]})
    >>> a = pair_agreement(s, "pre", "post")
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # 4 pairs: regime_table warns that the shares are very uncertain
    ...     t = regime_table(a)
    >>> t[["regime", "count", "share"]].to_dict("list")
    {'regime': ['stayed_aligned', 'got_aligned', 'resisted', 'reversed'], 'count': [1, 1, 1, 1], 'share': [0.25, 0.25, 0.25, 0.25]}
    """
    n = len(agreement)
    if 0 < n < SMALL:
        warnings.warn(f"only {n} pairs: regime shares are very uncertain", stacklevel=2)
    rows = []
    for r in REGIMES:
        k = int((agreement["regime"] == r).sum())
        lo, hi = _wilson(k, n, ci)
        rows.append({"regime": r, "count": k, "share": k / n if n else np.nan, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


def misalignment_given_gamma(
    agreement: pd.DataFrame, gamma: pd.Series, *, ci: float = 0.95, ties: Ties = "disagree"
) -> pd.DataFrame:
    """P(RM misaligned | γ) for the pre and post RM, with Wilson CIs, the ties in each cell, and ``p_chance`` (exact
    binomial test of the share against a coin flip) (§5.2).

    Parameters
    ----------
    agreement : DataFrame
        From :func:`pair_agreement`.
    gamma : Series
        γ per pair_id (``c``, ``i``, ``r``), from :func:`labeler_preference`.
    ci : float
        Confidence level.
    ties : {"disagree", "agree"}
        A tie counts as misaligned (strict, SEAL's headline) or, as SEAL's conditional table did, as aligned.

    Returns
    -------
    DataFrame
        ``gamma, rm, n, misaligned, share, ci_low, ci_high, n_ties, p_chance``, one row per γ and RM (pre, post).

    Examples
    --------
    >>> s = pd.DataFrame({"pair_id": ["a", "b", "c", "d"] * 2, "model": ["pre"] * 4 + ["post"] * 4,
    ...                   "margin": [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 0.0, -1.0]})
    >>> a = pair_agreement(s, "pre", "post")
    >>> g = pd.Series({"a": "c", "b": "c", "c": "i", "d": "r"})
    >>> m = misalignment_given_gamma(a, g)
    >>> m[m.gamma == "c"][["rm", "n", "misaligned"]].to_dict("records")
    [{'rm': 'pre', 'n': 2, 'misaligned': 1}, {'rm': 'post', 'n': 2, 'misaligned': 0}]
    >>> int(misalignment_given_gamma(a, g, ties="agree").query("gamma == 'i' and rm == 'post'").misaligned.iloc[0])
    0
    """
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
    """Counts of regime × γ, with the share of each regime within each γ.

    Parameters
    ----------
    agreement : DataFrame
        From :func:`pair_agreement`.
    gamma : Series
        γ per pair_id.

    Returns
    -------
    DataFrame
        ``regime, gamma, count, share_within_gamma``, every regime × (c, i, r).

    Examples
    --------
    >>> s = pd.DataFrame({"pair_id": ["a", "b", "c", "d"] * 2, "model": ["pre"] * 4 + ["post"] * 4,
    ...                   "margin": [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 0.0, -1.0]})
    >>> a = pair_agreement(s, "pre", "post")
    >>> t = regime_by_gamma(a, pd.Series({"a": "c", "b": "c", "c": "i", "d": "r"}))
    >>> t[t.gamma == "c"][["regime", "count", "share_within_gamma"]].to_dict("list")
    {'regime': ['stayed_aligned', 'got_aligned', 'resisted', 'reversed'], 'count': [1, 1, 0, 0], 'share_within_gamma': [0.5, 0.5, 0.0, 0.0]}
    """
    d = agreement.merge(gamma.rename("gamma"), left_on="pair_id", right_index=True)
    counts = pd.crosstab(d["regime"], d["gamma"]).reindex(index=list(REGIMES), columns=["c", "i", "r"], fill_value=0)
    long = counts.stack().rename("count").reset_index()
    long["share_within_gamma"] = long["count"] / long.groupby("gamma")["count"].transform("sum").replace(0, np.nan)
    return long


def three_way_agreement(agreement: pd.DataFrame, gamma: pd.Series, *, ci: float = 0.95) -> pd.DataFrame:
    """Where the labeler has an opinion (γ ≠ i): how often the labeler, each RM and people agree with each other.

    Parameters
    ----------
    agreement : DataFrame
        From :func:`pair_agreement`.
    gamma : Series
        γ per pair_id.
    ci : float
        Confidence level of the Wilson intervals.

    Returns
    -------
    DataFrame
        ``comparison, n, agree, share, ci_low, ci_high``, one row per comparison.

    Examples
    --------
    >>> s = pd.DataFrame({"pair_id": ["a", "b", "c", "d"] * 2, "model": ["pre"] * 4 + ["post"] * 4,
    ...                   "margin": [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 0.0, -1.0]})
    >>> a = pair_agreement(s, "pre", "post")
    >>> t = three_way_agreement(a, pd.Series({"a": "c", "b": "c", "c": "i", "d": "r"})).set_index("comparison")
    >>> t.loc["labeler agrees with people", ["n", "agree"]].tolist(), float(t.loc["post RM agrees with people", "share"])
    ([3, 2], 0.6666666666666666)
    """
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

    Parameters
    ----------
    agreement : DataFrame
        From :func:`pair_agreement`.
    gamma : Series, optional
        γ per pair_id; adds the labeler comparisons.

    Returns
    -------
    DataFrame
        ``a, b, n, share_a, share_b, only_a, only_b, statistic, p, mde, underpowered``, one row per test.

    Examples
    --------
    >>> s = pd.DataFrame({"pair_id": ["a", "b", "c", "d"] * 2, "model": ["pre"] * 4 + ["post"] * 4,
    ...                   "margin": [1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 0.0, -1.0]})
    >>> a = pair_agreement(s, "pre", "post")
    >>> t = mcnemar_tests(a).iloc[0]
    >>> t.a, t.b, int(t.only_a), int(t.only_b), float(t.p)
    ('pre RM agrees with people', 'post RM agrees with people', 1, 1, 1.0)
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
