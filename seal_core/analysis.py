"""Every resistance and reward-shift number for one pre/post RM pair, as a JSON-ready report (``seal analyze``).

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
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError
from seal_core.features import regression_columns, transform_for_regression
from seal_core.metrics.regimes import (
    SEAL_GAMMA_TARGETS,
    labeler_preference,
    mcnemar_tests,
    misalignment_given_gamma,
    pair_agreement_from_vectors,
    pair_regression,
    regime_by_gamma,
    regime_table,
    three_way_agreement,
    wide_features,
)
from seal_core.metrics.resistance import resistance_table
from seal_core.metrics.shift import reward_vectors, summarize_shift, theta_by_group

SCHEMA_VERSION = 1


def _clean(obj):
    """JSON-safe: numpy scalars to Python, NaN to None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


def _in_sample(scores: pd.DataFrame, model: str, pair_ids: pd.Series) -> dict:
    """How many of the analysed pairs the model was trained on (the Scores table's ``in_sample``)."""
    n = 0
    if "in_sample" in scores:
        n = int(scores.loc[(scores["model"] == model) & scores["pair_id"].isin(pair_ids), "in_sample"].sum())
    return {"in_sample": n > 0, "n_in_sample": n}


def _records(df: pd.DataFrame, key: str) -> dict:
    return {r[key]: {k: v for k, v in r.items() if k != key} for r in df.to_dict("records")}


def analyze(
    scores: pd.DataFrame,
    *,
    pre: str,
    post: str,
    features: pd.DataFrame | None = None,
    gamma_targets: Sequence[str] = SEAL_GAMMA_TARGETS,
    regress: bool = True,
    ci: float = 0.95,
) -> dict:
    """Compute the whole report (see the module docstring for its schema)."""
    # Join on integer codes: the report holds no per-pair ids, and int joins beat (Arrow) string joins ~5x.
    ids = pd.Index(pd.unique(scores["pair_id"]))
    scores = scores.assign(pair_id=ids.get_indexer(scores["pair_id"]))
    if features is not None:
        codes = ids.get_indexer(features["pair_id"])
        features = features.assign(pair_id=codes)[codes >= 0]
    vectors = reward_vectors(scores, pre, post)  # one row per pair scored by both RMs
    agreement = pair_agreement_from_vectors(vectors)
    margins = pd.DataFrame({
        "model": np.repeat([pre, post], len(vectors)),
        "margin": np.concatenate([(vectors["u_chosen"] - vectors["u_rejected"]).to_numpy(),
                                  (vectors["v_chosen"] - vectors["v_rejected"]).to_numpy()]),
    })  # fmt: skip
    res = resistance_table(margins, ci=ci).set_index("model")
    shift = summarize_shift(vectors, ci=ci)
    regime_of = agreement.set_index("pair_id")["regime"]
    report: dict = {
        "schema_version": SCHEMA_VERSION,
        "pre": pre,
        "post": post,
        "n_pairs": len(agreement),
        "resistance": {
            role: {
                k: res.loc[m, k]
                for k in ("agreement", "resistance", "ci_low", "ci_high", "n_ties", "p_chance", "at_chance")
            }  # fmt: skip
            | _in_sample(scores, m, vectors["pair_id"])
            for role, m in (("pre", pre), ("post", post))
        },
        "regimes": _records(regime_table(agreement, ci=ci), "regime"),
        "shift": dict(shift.__dict__),
        "shift_by_regime": _records(theta_by_group(vectors, vectors["pair_id"].map(regime_of), ci=ci), "group"),
    }
    gamma = None
    if features is not None:
        gamma = labeler_preference(features, gamma_targets)
        counts = gamma.value_counts().reindex(["c", "i", "r"], fill_value=0)
        report["gamma"] = {"targets": list(gamma_targets), "counts": counts.to_dict(),
                           "shares": (counts / max(counts.sum(), 1)).to_dict(),
                           "n_incomplete_pairs": gamma.attrs.get("n_incomplete_pairs", 0)}  # fmt: skip
        mg = misalignment_given_gamma(agreement, gamma, ci=ci)
        report["misalignment_given_gamma"] = {
            g: {r: {k: v for k, v in row.items() if k not in ("gamma", "rm")} for r, row in
                mg[mg["gamma"] == g].set_index("rm").to_dict("index").items()}
            for g in ("c", "i", "r")
        }  # fmt: skip
        rg = regime_by_gamma(agreement, gamma)
        report["regime_by_gamma"] = {
            reg: {g: {"count": row["count"], "share_within_gamma": row["share_within_gamma"]}
                  for g, row in rg[rg["regime"] == reg].set_index("gamma").to_dict("index").items()}
            for reg in rg["regime"].unique()
        }  # fmt: skip
        report["agreement"] = _records(three_way_agreement(agreement, gamma, ci=ci), "comparison")
        report["shift_by_gamma"] = _records(
            theta_by_group(vectors, vectors["pair_id"].map(gamma).fillna("unlabelled"), ci=ci), "group"
        )
        if regress:
            feats = transform_for_regression(features.drop(columns=["labeler"], errors="ignore"))
            wide = wide_features(feats, regression_columns(feats))
            y_mis = (~agreement.set_index("pair_id")["agrees_post"]).astype(float)
            y_theta = vectors.set_index("pair_id")["theta_deg"]
            both = pair_regression({"misalignment": y_mis, "theta": y_theta}, wide)
            for label, key in (("misalignment", "misalignment_regression"), ("theta", "theta_regression")):
                report[key] = both[both["outcome"] == label].drop(columns="outcome").to_dict("records")
            report["regression_incomplete_pairs"] = wide.attrs.get("n_incomplete_pairs", 0)
    report["mcnemar"] = mcnemar_tests(agreement, gamma).to_dict("records")
    return _clean(report)


def write_report(report: dict, path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.suffix.lower() != ".json":
        raise SealInputError(f"--out {path.name!r}: the report is JSON; use a .json file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)
    return path
