"""The audit of a pre/post RM pair: resistance in depth (seal-method.md §5) and reward shift (§6), computed once.

:func:`analyze` joins the two RMs' scores (and the features) once, on integer codes, and builds two typed results:
:class:`RegimeAnalysis` (regimes, γ and its tables, McNemar tests, the misalignment regression) and
:class:`ShiftAnalysis` (reward vectors, θ and its summaries, the θ regression). Pages draw them, and
:meth:`Analysis.to_dict` is the ``seal analyze`` JSON report.

Report schema (version 1); every share comes with ``ci_low``/``ci_high`` (95% Wilson unless noted):

``schema_version``, ``pre``, ``post``, ``n_pairs``
``resistance``      ``{pre|post: {agreement, resistance, ci_low, ci_high, n_ties, p_chance, at_chance, in_sample,
                    n_in_sample}}`` (``p_chance``: exact binomial test against a coin flip; ``at_chance``: p ≥ 0.05;
                    ``in_sample``: the RM was trained on ``n_in_sample`` of these pairs, so its agreement is
                    optimistic)
``regimes``         ``{stayed_aligned|got_aligned|resisted|reversed: {count, share, ci_low, ci_high}}``
``shift``           ``theta_mean_deg, theta_median_deg, theta_median_ci`` (order-statistic CI), ``share_positive,
                    sign_test_p, n_undefined, delta_cos_mean`` (mean change of the cosine to (1, −1)/√2, the
                    quadrant-free move toward agreement), ``quadrants_pre, quadrants_post`` (shares of
                    chosen_pos_rejected_neg / both_pos / chosen_neg_rejected_pos / both_neg)
``shift_by_regime`` ``{regime: {n, theta_mean_deg, theta_median_deg, median_ci_low, median_ci_high,
                    share_positive, sign_test_p}}``
``mcnemar``         list of ``{a, b, n, share_a, share_b, only_a, only_b, statistic, p, mde, underpowered}``
                    (exact; ``mde``: smallest difference detectable with 80% power on these pairs)

With features (γ from ``gamma_targets``, SEAL's harmless-then-helpful by default):

``gamma``                   ``{targets, counts: {c, i, r}, shares: {c, i, r}, n_incomplete_pairs}`` (pairs left out
                            for a missing target label)
``misalignment_given_gamma`` ``{c|i|r: {pre|post: {n, misaligned, share, ci_low, ci_high, n_ties}}}``
``regime_by_gamma``         ``{regime: {c|i|r: {count, share_within_gamma}}}``
``agreement``               ``{comparison: {n, agree, share, ci_low, ci_high}}`` (γ ≠ i)
``shift_by_gamma``          as ``shift_by_regime``
``misalignment_regression``  list of ``{term, coef, se, ci_low, ci_high, p, p_adj, n_pairs}`` (LPM of post-RM
                            disagreement on chosen (c) and rejected (r) features; robust SEs; Bonferroni)
``theta_regression``        the same for θ in degrees
``regression_incomplete_pairs`` pairs left out of both regressions for a missing label
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError
from seal_core.features import regression_columns, to_regression_scale
from seal_core.metrics._common import jsonable, records
from seal_core.metrics.design import _by_pair, _wide_frame
from seal_core.metrics.gamma import SEAL_GAMMA_TARGETS, _compare, _target_names
from seal_core.metrics.regimes import (
    mcnemar_tests,
    misalignment_given_gamma,
    pair_agreement_from_vectors,
    regime_by_gamma,
    regime_table,
    three_way_agreement,
)
from seal_core.metrics.regression import PairRegression, pair_regression
from seal_core.metrics.resistance import ResistanceResult, resistance_from_margins
from seal_core.metrics.shift import ShiftSummary, _reward_vectors, summarize_shift, theta_by_group

SCHEMA_VERSION = 1
GAMMAS = ("c", "i", "r")


@dataclass(frozen=True)
class RegimeAnalysis:
    """Alignment resistance in depth between a pre- and a post-training RM (seal-method.md §5).

    Attributes
    ----------
    pre, post : str
        The two RMs' model ids.
    pairs : DataFrame
        One row per pair scored by both RMs: ``pair_id, margin_pre, margin_post, agrees_pre, agrees_post, tie_pre,
        tie_post, regime`` and, with features, ``gamma`` (c/i/r; NaN where a side has no labels).
    resistance : dict of str to ResistanceResult
        ``{"pre": …, "post": …}`` on the same pairs.
    regimes : DataFrame
        SEAL's Table 1: ``regime, count, share, ci_low, ci_high``.
    mcnemar : DataFrame
        Exact McNemar tests of paired agreement (see :func:`~seal_core.metrics.regimes.mcnemar_tests`).
    gamma_targets : tuple of str
        The targets γ compares (empty without features); γ and its tables below are None without features.
    gamma : Series or None
        γ per pair_id (c: the labeler prefers the chosen response, i: indifferent, r: the rejected one), for the
        pairs labelled on both sides.
    misalignment_given_gamma, regime_by_gamma, agreement : DataFrame or None
        P(RM misaligned | γ), regime × γ, and who agrees with whom where γ ≠ i.
    regression : PairRegression or None
        The linear probability model of the post RM preferring the rejected response on the features of the chosen
        (c) and rejected (r) texts; None without features, when not asked for, or when it could not be fitted (then
        ``regression_note`` says why).
    gamma_incomplete_pairs, regression_incomplete_pairs : int
        Labelled pairs left out of γ (a target label missing on either side) and of the regressions (any label
        missing).
    """

    pre: str
    post: str
    pairs: pd.DataFrame
    resistance: dict[str, ResistanceResult]
    regimes: pd.DataFrame
    mcnemar: pd.DataFrame
    gamma_targets: tuple[str, ...] = ()
    gamma: pd.Series | None = None
    misalignment_given_gamma: pd.DataFrame | None = None
    regime_by_gamma: pd.DataFrame | None = None
    agreement: pd.DataFrame | None = None
    regression: PairRegression | None = None
    regression_note: str | None = None
    gamma_incomplete_pairs: int = 0
    regression_incomplete_pairs: int = 0

    @property
    def n_pairs(self) -> int:
        return len(self.pairs)

    def gamma_counts(self) -> pd.Series:
        """Pairs per γ value (c, i, r)."""
        g = self.gamma
        return (g.value_counts() if g is not None else pd.Series(dtype=int)).reindex(list(GAMMAS), fill_value=0)

    def to_dict(self) -> dict:
        """The resistance part of the ``seal analyze`` report (JSON-ready)."""
        out: dict = {
            "pre": self.pre,
            "post": self.post,
            "n_pairs": self.n_pairs,
            "resistance": {
                role: {
                    k: getattr(r, k)
                    for k in (
                        "agreement",
                        "resistance",
                        "ci_low",
                        "ci_high",
                        "n_ties",
                        "p_chance",
                        "at_chance",
                        "in_sample",
                        "n_in_sample",
                    )
                }
                for role, r in self.resistance.items()
            },
            "regimes": records(self.regimes, "regime"),
        }
        if self.gamma_targets:
            counts = self.gamma_counts()
            mg, rg = self.misalignment_given_gamma, self.regime_by_gamma
            out["gamma"] = {"targets": list(self.gamma_targets), "counts": counts.to_dict(),
                            "shares": (counts / max(counts.sum(), 1)).to_dict(),
                            "n_incomplete_pairs": self.gamma_incomplete_pairs}  # fmt: skip
            out["misalignment_given_gamma"] = {
                g: {r: {k: v for k, v in row.items() if k not in ("gamma", "rm")} for r, row in
                    mg[mg["gamma"] == g].set_index("rm").to_dict("index").items()}
                for g in GAMMAS
            }  # fmt: skip
            out["regime_by_gamma"] = {
                reg: {g: {"count": row["count"], "share_within_gamma": row["share_within_gamma"]}
                      for g, row in rg[rg["regime"] == reg].set_index("gamma").to_dict("index").items()}
                for reg in rg["regime"].unique()
            }  # fmt: skip
            out["agreement"] = records(self.agreement, "comparison")
            if self.regression is not None:
                out["misalignment_regression"] = self.regression.outcome("misalignment").to_dict("records")
                out["regression_incomplete_pairs"] = self.regression_incomplete_pairs
        out["mcnemar"] = self.mcnemar.to_dict("records")
        return jsonable(out)


@dataclass(frozen=True)
class ShiftAnalysis:
    """Reward shift from the pre- to the post-training RM (seal-method.md §6).

    Attributes
    ----------
    vectors : DataFrame
        One row per pair: the columns of :func:`~seal_core.metrics.shift.reward_vectors`, plus ``regime`` and,
        with features, ``gamma``.
    summary : ShiftSummary
        θ mean and median (with CI), share positive and sign test, mean change of the cosine to agreement, quadrants.
    by_regime, by_gamma : DataFrame
        θ per regime and per γ (``by_gamma`` None without features).
    regression : PairRegression or None
        OLS of θ (degrees) on the features of the chosen (c) and rejected (r) texts.
    """

    pre: str
    post: str
    vectors: pd.DataFrame
    summary: ShiftSummary
    by_regime: pd.DataFrame
    by_gamma: pd.DataFrame | None = None
    regression: PairRegression | None = None

    def to_dict(self) -> dict:
        """The reward-shift part of the ``seal analyze`` report (JSON-ready)."""
        out: dict = {"shift": dict(self.summary.__dict__), "shift_by_regime": records(self.by_regime, "group")}
        if self.by_gamma is not None:
            out["shift_by_gamma"] = records(self.by_gamma, "group")
        if self.regression is not None:
            out["theta_regression"] = self.regression.outcome("theta").to_dict("records")
        return jsonable(out)


@dataclass(frozen=True)
class Analysis:
    """Both results of one pre/post audit; :meth:`to_dict` is the ``seal analyze`` report."""

    regimes: RegimeAnalysis
    shift: ShiftAnalysis

    def to_dict(self) -> dict:
        r, s = self.regimes.to_dict(), self.shift.to_dict()
        report = {"schema_version": SCHEMA_VERSION, "pre": r["pre"], "post": r["post"], "n_pairs": r["n_pairs"],
                  "resistance": r["resistance"], "regimes": r["regimes"], "shift": s["shift"],
                  "shift_by_regime": s["shift_by_regime"]}  # fmt: skip
        for key in ("gamma", "misalignment_given_gamma", "regime_by_gamma", "agreement"):
            if key in r:
                report[key] = r[key]
        if "shift_by_gamma" in s:
            report["shift_by_gamma"] = s["shift_by_gamma"]
        if "misalignment_regression" in r:
            report["misalignment_regression"] = r["misalignment_regression"]
            report["theta_regression"] = s["theta_regression"]
            report["regression_incomplete_pairs"] = r["regression_incomplete_pairs"]
        report["mcnemar"] = r["mcnemar"]
        return report


def analyze(
    scores: pd.DataFrame,
    *,
    pre: str,
    post: str,
    features: pd.DataFrame | None = None,
    gamma_targets: Sequence[str] = SEAL_GAMMA_TARGETS,
    regress: bool | Literal["if_possible"] = True,
    ci: float = 0.95,
) -> Analysis:
    """Every resistance and reward-shift number for one pre/post RM pair, computed once.

    Parameters
    ----------
    scores : DataFrame
        The Scores table with both RMs (``pair_id, model, score_chosen, score_rejected``).
    pre, post : str
        Model ids (as in ``scores.model``) of the pre- and the post-training RM.
    features : DataFrame, optional
        The Features table of one labeler; adds γ, its tables and the two regressions.
    gamma_targets : sequence of str
        γ's targets, most important first (``-name``: having it is worse). Default: SEAL's (harmless, helpful).
    regress : bool or "if_possible"
        Fit the misalignment and θ regressions (with features). ``True`` raises when they cannot be fitted (too
        few pairs); ``"if_possible"`` leaves them out and says why in ``regimes.regression_note``.
    ci : float
        Confidence level of every interval.

    Returns
    -------
    Analysis
        ``.regimes`` (:class:`RegimeAnalysis`) and ``.shift`` (:class:`ShiftAnalysis`).

    Examples
    --------
    >>> s = pd.DataFrame({"pair_id": ["a", "b", "c", "a", "b", "c"], "model": ["pre"] * 3 + ["post"] * 3,
    ...                   "score_chosen": [0.0, 1.0, -1.0, 2.0, 2.0, -1.0], "score_rejected": [1.0, 0.0, 0.0] * 2})
    >>> a = analyze(s, pre="pre", post="post")
    >>> a.regimes.pairs[["pair_id", "regime"]].to_dict("records")
    [{'pair_id': 'a', 'regime': 'got_aligned'}, {'pair_id': 'b', 'regime': 'stayed_aligned'}, {'pair_id': 'c', 'regime': 'resisted'}]
    >>> a.regimes.resistance["post"].resistance, a.to_dict()["regimes"]["resisted"]["count"]
    (0.3333333333333333, 1)
    """
    if regress not in (True, False, "if_possible"):
        raise SealInputError(f"regress must be True, False or 'if_possible', got {regress!r}")
    missing = {"pair_id", "model", "score_chosen", "score_rejected"} - set(scores.columns)
    if missing:
        raise SealInputError(f"scores lack column(s) {sorted(missing)}; pass the table returned by score_pairs")
    # Number the pairs once (scores' ids first, in order of appearance); every join below is on these numbers, and
    # the ids come back once, at the end.
    both = scores["pair_id"] if features is None else pd.concat([scores["pair_id"], features["pair_id"]])
    codes, ids = pd.factorize(both)
    n = int(codes[: len(scores)].max()) + 1 if len(scores) else 0  # numbers of pairs in the scores
    vectors = _reward_vectors(scores, pre, post, codes[: len(scores)], n)  # one row per pair scored by both RMs
    agreement = pair_agreement_from_vectors(vectors)
    analysed = np.zeros(n, dtype=bool)  # pairs scored by both RMs
    analysed[vectors["pair_id"].to_numpy()] = True
    trained = (scores["in_sample"].fillna(False).astype(bool).to_numpy() if "in_sample" in scores
               else np.zeros(len(scores), dtype=bool))  # fmt: skip
    resistance = {
        role: resistance_from_margins(
            m,
            agreement[f"margin_{role}"].to_numpy(),
            ci=ci,
            n_in_sample=int(
                (trained & analysed[codes[: len(scores)]] & (scores["model"] == m).to_numpy(dtype=bool)).sum()
            ),
        )
        for role, m in (("pre", pre), ("post", post))
    }
    vectors["regime"] = agreement["regime"].to_numpy()
    shift = summarize_shift(vectors, ci=ci)
    by_regime = theta_by_group(vectors, vectors["regime"], ci=ci)
    gamma = wide = None
    extra: dict = {}
    if features is not None:
        fcodes = codes[len(scores) :]
        scored = fcodes < n  # feature rows of pairs in the scores
        labelled = np.zeros(n, dtype=bool)  # pairs with at least one feature row
        labelled[fcodes[scored]] = True
        names = _target_names(features, gamma_targets)
        complete, cmp = _compare(*_by_pair(features, names, fcodes, n)[1:], gamma_targets)
        gamma = pd.Series(cmp, index=np.flatnonzero(complete)).map({1: "c", 0: "i", -1: "r"}).rename("gamma")
        extra = {
            "gamma_targets": tuple(gamma_targets),
            "gamma": gamma,
            "gamma_incomplete_pairs": int((labelled & ~complete).sum()),
            "misalignment_given_gamma": misalignment_given_gamma(agreement, gamma, ci=ci),
            "regime_by_gamma": regime_by_gamma(agreement, gamma),
            "agreement": three_way_agreement(agreement, gamma, ci=ci),
        }
        if regress:  # True or "if_possible"
            # a feature no scored text has a label for is left out, instead of every pair
            cols = [c for c in regression_columns(features) if features[c][scored].notna().any()]
            _, chosen, rejected = _by_pair(features, cols, fcodes, n, transform=to_regression_scale)
            wide = _wide_frame(chosen, rejected, cols, pd.RangeIndex(n, name="pair_id"))
            complete_rows = ~(np.isnan(chosen).any(axis=1) | np.isnan(rejected).any(axis=1))
            extra["regression_incomplete_pairs"] = int((labelled & ~complete_rows).sum())
            del chosen, rejected
    regression, note = None, None
    if wide is not None:
        y_mis = (~agreement.set_index("pair_id")["agrees_post"]).astype(float)
        y_theta = vectors.set_index("pair_id")["theta_deg"]
        try:
            regression = pair_regression({"misalignment": y_mis, "theta": y_theta}, wide)
        except SealInputError as e:
            if regress is True:
                raise
            note = str(e)
    mcnemar = mcnemar_tests(agreement, gamma)
    by_gamma = None
    if gamma is not None:
        g = vectors["pair_id"].map(gamma)
        by_gamma = theta_by_group(vectors, g.fillna("unlabelled"), ci=ci)
        agreement["gamma"] = agreement["pair_id"].map(gamma).to_numpy()
        vectors["gamma"] = g.to_numpy()
    for table in (agreement, vectors):  # back to the caller's ids
        table["pair_id"] = ids.take(table["pair_id"].to_numpy())
    if gamma is not None:
        gamma.index = ids.take(gamma.index.to_numpy())
    regimes = RegimeAnalysis(
        pre=pre, post=post, pairs=agreement, resistance=resistance, regimes=regime_table(agreement, ci=ci),
        mcnemar=mcnemar, regression=regression, regression_note=note, **extra,
    )  # fmt: skip
    shift_analysis = ShiftAnalysis(pre=pre, post=post, vectors=vectors, summary=shift, by_regime=by_regime,
                                   by_gamma=by_gamma, regression=regression)  # fmt: skip
    return Analysis(regimes=regimes, shift=shift_analysis)


def write_report(report: dict, path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise SealInputError(f"--out {path.name!r}: the report is JSON; use a .json file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)
    return path
