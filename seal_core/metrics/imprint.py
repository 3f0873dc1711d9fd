"""Feature imprint (seal-method.md §4): regress RM rewards on the features of each text.

``r(t*_i) = α_i + Σ_τ β_τ t*_i(τ) + ε_i`` over the chosen and the rejected text of every pair.

Estimators:

``pair_fe`` (default)  the paper's pair fixed effect α_i, fitted as the within estimator (rewards and features
                       demeaned within each pair), with SEs clustered by pair. β is identified only from the
                       difference between a pair's two texts. The fixed effects are nested in the clusters, so no
                       degrees-of-freedom correction for them is needed. With ``cov="nonrobust"`` the residual df
                       is ``2n − n − k`` (the n absorbed pair effects count), so the SEs equal those of the
                       dummy-variable regression ``y ~ x + C(pair_id)``.
``pooled_ols``         what SEAL's R code runs: one OLS with an intercept over all texts. SEAL meant to cluster by
                       pair but ``coeftest(..., cluster=)`` silently ignored it, so its SEs were plain OLS; here the
                       clustering is done (``cov="cluster"``), and ``cov="nonrobust"`` reproduces the reference.

Rewards and features are joined on (pair_id, side), never by position (the reference attached rewards by row order).
A pair with a missing label (NaN, e.g. a text the LLM labeler failed on) in any regressor is left out whole, and
counted (``n_incomplete_pairs`` and a note); a feature with no label at all is dropped instead.
``scale="sd"`` divides each RM's rewards by their standard deviation over the fitted texts, so coefficients are in
score-sd units and comparable across RMs with different score scales (the post − pre rows then compare those).
p-values are adjusted across features per model (Bonferroni by default; Holm and Benjamini-Hochberg as options).
Pre vs post: each RM is fitted alone, and the difference (post − pre) with its SE comes from one stacked model with
every feature interacted with a post indicator, fixed effects per (pair, RM), clustered by pair: the two RMs score
the same texts, so their errors are correlated and a naive difference of SEs would be wrong.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

from seal_core.errors import SealInputError
from seal_core.features import feature_roles, regression_columns, transform_for_regression
from seal_core.metrics import _ols
from seal_core.metrics._common import jsonable
from seal_core.metrics.power import IMPRINT_EFFECT_SD, mde_coefficient

Estimator = Literal["pair_fe", "pooled_ols"]
Adjust = Literal["bonferroni", "holm", "fdr_bh", "none"]
_ADJUST: dict[str, str | None] = {"bonferroni": "bonferroni", "holm": "holm", "fdr_bh": "fdr_bh", "none": None}
_ESTIMATORS = ("pair_fe", "pooled_ols")
SMALL = 50
Scale = Literal["raw", "sd"]
TABLE_COLUMNS = ["feature", "feature_role", "rm", "role", "coef", "se", "ci_low", "ci_high", "p", "p_adj", "n_pairs",
                 "scale", "mde", "underpowered"]  # fmt: skip


@dataclass(frozen=True)
class ImprintResult:
    """The tidy imprint table and what was left out.

    Attributes
    ----------
    table : DataFrame
        One row per feature and RM (and per feature for ``post − pre``): ``feature, feature_role``
        (target/spoiler), ``rm, role`` (the RM's role: pre/post/difference/None), ``coef, se, ci_low, ci_high, p,
        p_adj, n_pairs``, ``scale`` (``raw`` score points or ``sd``: per sd of that RM's scores), ``mde`` (the
        smallest coefficient detectable with 80% power at the adjusted level,
        :func:`seal_core.metrics.power.mde_coefficient`), ``underpowered`` (not significant, and ``mde`` above 0.2
        sd of the RM's scores: the slice could not have detected a small imprint; difference rows use the post RM's
        sd).
    dropped : DataFrame
        ``feature, reason`` for features left out (constant, no within-pair variation, collinear).
    vif : DataFrame
        ``feature, vif`` of the regressors used.
    n_incomplete_pairs : int
        Pairs left out because a label was missing (NaN) on either text.
    score_sd : dict
        Standard deviation of each RM's scores over the fitted texts (the unit of ``scale="sd"``).
    """

    table: pd.DataFrame
    dropped: pd.DataFrame
    vif: pd.DataFrame
    estimator: str
    adjust: str
    n_pairs: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    n_incomplete_pairs: int = 0
    scale: str = "raw"
    score_sd: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Every field, JSON-ready (tables as lists of records, NaN as None)."""
        return jsonable(dict(vars(self)))


def _validate(scores, features, estimator, adjust, ci, cov, scale="raw"):
    for name, df, need in (
        ("scores", scores, {"pair_id", "model", "score_chosen", "score_rejected"}),
        ("features", features, {"pair_id", "side"}),
    ):
        if not isinstance(df, pd.DataFrame):
            raise SealInputError(f"{name} must be a DataFrame, got {type(df).__name__}")
        if need - set(df.columns):
            raise SealInputError(f"{name} lack column(s) {sorted(need - set(df.columns))}")
    if estimator not in _ESTIMATORS:
        raise SealInputError(f"unknown estimator {estimator!r}; expected one of {list(_ESTIMATORS)}")
    if adjust not in _ADJUST:
        raise SealInputError(f"unknown p-value adjustment {adjust!r}; expected one of {list(_ADJUST)}")
    if not 0 < ci < 1:
        raise SealInputError(f"ci must be between 0 and 1, got {ci}")
    if cov not in ("cluster", "nonrobust"):
        raise SealInputError(f"cov must be 'cluster' or 'nonrobust', got {cov!r}")
    if scale not in ("raw", "sd"):
        raise SealInputError(f"scale must be 'raw' (score points) or 'sd' (per score sd), got {scale!r}")
    if "labeler" in features and features["labeler"].nunique() > 1:
        raise SealInputError(
            f"features hold {features['labeler'].nunique()} labelers ({sorted(features['labeler'].unique())}); "
            "filter to one before fitting"
        )
    dup = features.duplicated(["pair_id", "side"])
    if dup.any():
        raise SealInputError(f"features have {int(dup.sum())} duplicate (pair_id, side) rows; one row per text needed")


def _long(scores_m: pd.DataFrame, feats: pd.DataFrame, slots: np.ndarray, ids: pd.Index) -> pd.DataFrame:
    """One model's texts with their reward and features, chosen then rejected for each pair (pairs in the
    features' order), keeping only pairs labelled on both sides. ``slots[2 * code + is_rejected]`` is the features
    row of a text (−1: none), ``code`` its pair id's position in ``ids``: joined on (pair_id, side), never by
    position, with integer codes instead of string merges."""
    if scores_m["pair_id"].duplicated().any():
        raise SealInputError("scores repeat a pair_id for one model; one row per pair and model is needed")
    code = ids.get_indexer(scores_m["pair_id"])
    known = np.flatnonzero(code >= 0)
    rows_c, rows_r = slots[2 * code[known]], slots[2 * code[known] + 1]
    both = (rows_c >= 0) & (rows_r >= 0)  # both texts labelled
    keep, rows_c, rows_r = known[both], rows_c[both], rows_r[both]
    order = np.argsort(rows_c, kind="stable")
    keep, rows = keep[order], np.column_stack([rows_c[order], rows_r[order]]).ravel()
    reward = np.column_stack([scores_m["score_chosen"].to_numpy(float)[keep],
                              scores_m["score_rejected"].to_numpy(float)[keep]]).ravel()  # fmt: skip
    return feats.iloc[rows].reset_index(drop=True).assign(reward=reward)


def _select_columns(X: pd.DataFrame, codes: np.ndarray | None) -> tuple[list[str], list[dict]]:
    """Drop constant, no-within-variation and collinear columns (in order), with the reason for each.

    ``codes``: integer pair codes for the within estimator (None: pooled OLS with an intercept)."""
    dropped, keep = [], []
    values = X.to_numpy(dtype=float)
    within = _ols.demean(values, codes) if codes is not None else None
    for j, c in enumerate(X.columns):
        if np.nanstd(values[:, j]) == 0:
            dropped.append({"feature": c, "reason": "constant in this slice"})
            continue
        if within is not None and np.allclose(within[:, j], 0):
            dropped.append({"feature": c, "reason": "never differs between a pair's two texts"})
            continue
        keep.append(j)
    # demeaning is linear, so a subset of the demeaned columns is the demeaned subset; and with one QR of the
    # design (X = QR), any column subset X[:, S] has the singular values of R[:, S]: each rank check is k × k
    design = within if within is not None else np.column_stack([np.ones(len(values)), values])
    shift = 0 if within is not None else 1
    r = np.linalg.qr(design, mode="r") if len(design) > design.shape[1] else design
    used: list[int] = []
    for j in keep:
        cols = ([0] if shift else []) + [k + shift for k in [*used, j]]
        if _ols.rank(r[:, cols], n_rows=len(design)) < len(cols):
            names = ", ".join(str(X.columns[k]) for k in used) or "the intercept"
            dropped.append({"feature": X.columns[j], "reason": f"collinear with {names}"})
            continue
        used.append(j)
    return [X.columns[k] for k in used], dropped


def _rows(res, names, offset, alpha, adjust, meta) -> list[dict]:
    params, bse, pvalues = np.asarray(res.params), np.asarray(res.bse), np.asarray(res.pvalues)
    ci = np.asarray(res.conf_int(alpha))
    p = pvalues[offset : offset + len(names)]
    p_adj = multipletests(p, method=_ADJUST[adjust])[1] if _ADJUST[adjust] and len(p) else p
    out = []
    for k, name in enumerate(names):
        j = offset + k
        out.append({"feature": name, "coef": params[j], "se": bse[j], "ci_low": ci[j, 0], "ci_high": ci[j, 1],
                    "p": p[k], "p_adj": p_adj[k], **meta})  # fmt: skip
    return out


def feature_imprint(
    scores: pd.DataFrame,
    features: pd.DataFrame,
    *,
    pre: str | None = None,
    post: str | None = None,
    models: list[str] | None = None,
    feature_cols: list[str] | None = None,
    roles: dict[str, str] | None = None,
    estimator: Estimator = "pair_fe",
    cov: Literal["cluster", "nonrobust"] = "cluster",
    adjust: Adjust = "bonferroni",
    ci: float = 0.95,
    scale: Scale = "raw",
) -> ImprintResult:
    """Fit the imprint regression for each RM (and post − pre when both are named).

    Parameters
    ----------
    scores : DataFrame
        The Scores table (one or more models).
    features : DataFrame
        The Features table of one labeler (one row per text).
    pre, post : str, optional
        Model ids (as in ``scores.model``) of the pre- and post-training RM; both given adds the difference rows.
    models : list of str, optional
        Fit only these models (default: every model in ``scores``, or ``pre``/``post`` when given).
    feature_cols : list of str, optional
        Regressors (default: every numeric feature column). Counts enter as log2(1 + n).
    roles : dict, optional
        Target/spoiler overrides (defaults: :func:`seal_core.features.feature_roles`).
    scale : {"raw", "sd"}
        ``sd`` reports every coefficient per standard deviation of that RM's scores: use it to compare RMs.

    Returns
    -------
    ImprintResult
        The tidy table (one row per feature and RM, plus post − pre), features dropped with the reason, VIFs.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 400
    >>> f = pd.DataFrame({"pair_id": np.repeat(np.arange(n).astype(str), 2), "side": ["chosen", "rejected"] * n,
    ...                   "helpful": rng.integers(0, 2, 2 * n)})
    >>> alpha = np.repeat(rng.normal(0, 5, n), 2)  # a big pair effect the within estimator removes
    >>> reward = alpha + 2.0 * f.helpful.to_numpy() + rng.normal(0, 0.1, 2 * n)
    >>> s = pd.DataFrame({"pair_id": f.pair_id[::2].to_numpy(), "model": "m",
    ...                   "score_chosen": reward[::2], "score_rejected": reward[1::2]})
    >>> round(float(feature_imprint(s, f).table.coef.iloc[0]), 2)
    2.0
    """
    _validate(scores, features, estimator, adjust, ci, cov, scale)
    if pre is not None and pre == post:
        raise SealInputError(f"pre and post name the same RM ({pre!r}); comparing an RM with itself needs two RMs")
    alpha = 1 - ci
    feats = transform_for_regression(features.drop(columns=["labeler"], errors="ignore"))
    cols = feature_cols or regression_columns(feats)
    unknown = [c for c in cols if c not in feats.columns]
    if unknown:
        raise SealInputError(f"unknown feature column(s) {unknown}; features have {regression_columns(feats)}")
    if not cols:
        raise SealInputError("the features table has no numeric feature columns to regress on")
    feats = feats[["pair_id", "side", *cols]]
    unlabelled = [c for c in cols if feats[c].isna().all()]
    cols = [c for c in cols if c not in unlabelled]
    if not cols:
        raise SealInputError("no feature column holds any label; label the texts first")
    incomplete = pd.Index(feats.loc[feats[cols].isna().any(axis=1), "pair_id"]).unique()
    if len(incomplete):
        feats = feats[~feats["pair_id"].isin(incomplete)]
    if models is None:
        models = [m for m in (pre, post) if m] or list(dict.fromkeys(scores["model"]))
    missing = [m for m in models if m not in set(scores["model"])]
    if missing:
        raise SealInputError(f"model(s) {missing} not in scores; scores hold {sorted(scores['model'].unique())}")
    role_of = {pre: "pre", post: "post"}
    kinds = feature_roles(cols, roles)
    notes: list[str] = []

    # one design for every model: the pairs scored by all of them and labelled on both sides
    pair_code, ids = pd.factorize(feats["pair_id"])
    slots = np.full(2 * len(ids), -1, dtype=np.int64)
    side = feats["side"].to_numpy()
    valid = np.flatnonzero((side == "chosen") | (side == "rejected"))
    slots[2 * pair_code[valid] + (side[valid] == "rejected")] = valid
    longs = {m: _long(scores[scores["model"] == m], feats, slots, pd.Index(ids)) for m in models}
    first = next(iter(longs.values()))["pair_id"].to_numpy()
    if not all(len(d) == len(first) and (d["pair_id"].to_numpy() == first).all() for d in longs.values()):
        common = pd.Index(first)
        for d in longs.values():
            common = common.intersection(pd.Index(d["pair_id"]))
        longs = {m: d[d["pair_id"].isin(common)].reset_index(drop=True) for m, d in longs.items()}
    base = next(iter(longs.values()))
    n_pairs = base["pair_id"].nunique()
    scored = pd.Index(scores.loc[scores["model"].isin(models), "pair_id"]).unique()
    n_incomplete = len(scored.intersection(incomplete)) if len(incomplete) else 0
    if n_incomplete:
        notes.append(f"{n_incomplete} pair(s) with a missing label were left out (incomplete pairs)")
    if n_pairs < len(scored) - n_incomplete:
        notes.append(
            f"{len(scored) - n_incomplete - n_pairs} scored pair(s) lack features for a side and were left out"
        )
    if n_pairs < 3:
        raise SealInputError(f"only {n_pairs} pair(s) have both scores and features; imprint needs more")
    if n_pairs < SMALL:
        msg = f"only {n_pairs} pairs: imprint estimates will be very uncertain"
        warnings.warn(msg, stacklevel=2)
        notes.append(msg)
    codes = _ols.group_codes(base["pair_id"].to_numpy())
    n_groups = int(codes.max()) + 1
    used, dropped = _select_columns(base[cols], codes if estimator == "pair_fe" else None)
    dropped = [{"feature": c, "reason": "no text has this label"} for c in unlabelled] + dropped
    if not used:
        raise SealInputError("no feature varies in this slice (every one is constant or collinear)")
    X = base[used].to_numpy(dtype=float)
    Xv = _ols.demean(X, codes) if estimator == "pair_fe" else sm.add_constant(X, has_constant="add")
    off = 0 if estimator == "pair_fe" else 1
    vif = pd.DataFrame({"feature": used, "vif": (
        _ols.vifs(Xv, range(off, off + len(used)), centered=estimator != "pair_fe") if Xv.shape[1] > 1 else [1.0]
    )})  # fmt: skip
    sd = {m: float(np.std(d["reward"].to_numpy(float), ddof=1)) for m, d in longs.items()}
    if scale == "sd" and not all(v > 0 for v in sd.values()):
        raise SealInputError(f"an RM gives every text the same score ({sd}); per-sd coefficients are undefined")
    reward = {m: d["reward"].to_numpy(float) / (sd[m] if scale == "sd" else 1.0) for m, d in longs.items()}
    rows: list[dict] = []
    fits = dict(zip(longs, _ols.fit_all(list(reward.values()), X, codes, estimator, cov, n_groups)))
    for m, res in fits.items():
        rows += _rows(res, used, off, alpha, adjust, {"rm": m, "role": role_of.get(m), "n_pairs": n_pairs})
    if pre and post:
        # stacked: every feature and its interaction with "post", fixed effects per (pair, RM), clustered by pair
        g_fe = np.concatenate([codes, codes + n_groups])
        if estimator == "pair_fe":
            res = _ols.stacked_pair_fe(fits[pre], fits[post], g_fe, cov, n_groups)
        else:
            y = np.concatenate([reward[pre], reward[post]])
            Z = np.vstack([np.hstack([X, np.zeros_like(X)]), np.hstack([X, X])])
            Z = np.column_stack([np.r_[np.zeros(len(X)), np.ones(len(X))], Z])  # the post dummy; then a constant
            (res,) = _ols.fit_all([y], Z, g_fe, estimator, cov, n_groups)
        off_d = (0 if estimator == "pair_fe" else 2) + len(used)
        rows += _rows(res, used, off_d, alpha, adjust, {"rm": f"{post} − {pre}", "role": "difference",
                                                        "n_pairs": n_pairs})  # fmt: skip
    table = pd.DataFrame(rows).assign(scale=scale)
    n_tests = len(used) if adjust != "none" else 1  # Bonferroni's level; Holm's and BH's strictest step
    table["mde"] = mde_coefficient(table["se"].to_numpy(float), n_tests=n_tests, alpha=alpha)
    unit = table["rm"].map(sd).fillna(sd.get(post, np.nan)) if scale == "raw" else 1.0
    table["underpowered"] = (table["p_adj"] >= 0.05) & ~(table["mde"] <= IMPRINT_EFFECT_SD * unit)
    table.insert(1, "feature_role", table["feature"].map(kinds))
    return ImprintResult(
        table=table[TABLE_COLUMNS],
        dropped=pd.DataFrame(dropped, columns=["feature", "reason"]),
        vif=vif,
        estimator=estimator,
        adjust=adjust,
        n_pairs=n_pairs,
        notes=tuple(notes),
        n_incomplete_pairs=n_incomplete,
        scale=scale,
        score_sd=sd,
    )


def describe_top(table: pd.DataFrame, role: str | None = "post", *, name: Callable[[str], str] = str) -> str:
    """One plain-words sentence about the largest significant imprint of an RM.

    Parameters
    ----------
    table : DataFrame
        ``ImprintResult.table``.
    role : {"post", "pre", "difference"} or None
        Whose imprint; None: every row.
    name : callable
        Feature id → the name to print (e.g. ``seal_core.glossary.feature_name``); by default the id.

    Returns
    -------
    str

    Examples
    --------
    >>> t = pd.DataFrame({"feature": ["apology", "length"], "role": "post", "coef": [0.5, -0.2], "p_adj": [0.01, 0.2],
    ...                   "ci_low": [0.3, -0.5], "ci_high": [0.7, 0.1]})
    >>> describe_top(t)
    "After training, responses marked 'apology' score 0.50 points higher, all else equal (95% CI +0.30 to +0.70)."
    """
    t = table[(table["role"] == role)] if role else table
    weak = int(t["underpowered"].sum()) if "underpowered" in t else 0
    t = t[t["p_adj"] < 0.05]
    if t.empty:
        if weak:
            return (
                f"No feature has a significant imprint after adjusting for multiple testing; for {weak} feature(s) "
                "that is underpowered: this slice could not have detected an effect of 0.2 sd of the RM's scores."
            )
        return "No feature has a significant imprint after adjusting for multiple testing."
    top = t.loc[t["coef"].abs().idxmax()]
    who = {"post": "After training", "pre": "Before training"}.get(role or "", "For this RM")
    direction = "higher" if top["coef"] > 0 else "lower"
    unit = "sd of its scores" if top.get("scale") == "sd" else "points"
    return (
        f"{who}, responses marked '{name(top['feature'])}' score {abs(top['coef']):.2f} {unit} {direction}, all else equal "
        f"(95% CI {top['ci_low']:+.2f} to {top['ci_high']:+.2f})."
    )
