"""Feature imprint (seal-method.md §4): regress RM rewards on the features of each text.

``r(t*_i) = α_i + Σ_τ β_τ t*_i(τ) + ε_i`` over the chosen and the rejected text of every pair.

Estimators:

``pair_fe`` (default)  the paper's pair fixed effect α_i, fitted as the within estimator (rewards and features
                       demeaned within each pair), with SEs clustered by pair. β is identified only from the
                       difference between a pair's two texts. The fixed effects are nested in the clusters, so no
                       degrees-of-freedom correction for them is needed.
``pooled_ols``         what SEAL's R code runs: one OLS with an intercept over all texts. SEAL meant to cluster by
                       pair but ``coeftest(..., cluster=)`` silently ignored it, so its SEs were plain OLS; here the
                       clustering is done (``cov="cluster"``), and ``cov="nonrobust"`` reproduces the reference.

Rewards and features are joined on (pair_id, side), never by position (the reference attached rewards by row order).
p-values are adjusted across features per model (Bonferroni by default; Holm and Benjamini-Hochberg as options).
Pre vs post: each RM is fitted alone, and the difference (post − pre) with its SE comes from one stacked model with
every feature interacted with a post indicator, fixed effects per (pair, RM), clustered by pair: the two RMs score
the same texts, so their errors are correlated and a naive difference of SEs would be wrong.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.outliers_influence import variance_inflation_factor

from seal_core.errors import SealInputError
from seal_core.features import feature_roles, regression_columns, transform_for_regression

Estimator = Literal["pair_fe", "pooled_ols"]
Adjust = Literal["bonferroni", "holm", "fdr_bh", "none"]
_ADJUST: dict[str, str | None] = {"bonferroni": "bonferroni", "holm": "holm", "fdr_bh": "fdr_bh", "none": None}
_ESTIMATORS = ("pair_fe", "pooled_ols")
SMALL = 50
TABLE_COLUMNS = ["feature", "kind", "rm", "role", "coef", "se", "ci_low", "ci_high", "p", "p_adj", "n_pairs"]


@dataclass(frozen=True)
class ImprintResult:
    """The tidy imprint table and what was left out.

    Attributes
    ----------
    table : DataFrame
        One row per feature and RM (and per feature for ``post − pre``): ``feature, kind`` (target/spoiler),
        ``rm, role`` (pre/post/difference/None), ``coef, se, ci_low, ci_high, p, p_adj, n_pairs``.
    dropped : DataFrame
        ``feature, reason`` for features left out (constant, no within-pair variation, collinear).
    vif : DataFrame
        ``feature, vif`` of the regressors used.
    """

    table: pd.DataFrame
    dropped: pd.DataFrame
    vif: pd.DataFrame
    estimator: str
    adjust: str
    n_pairs: int
    notes: tuple[str, ...] = field(default_factory=tuple)


def _validate(scores, features, estimator, adjust, ci, cov):
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
    if "labeler" in features and features["labeler"].nunique() > 1:
        raise SealInputError(
            f"features hold {features['labeler'].nunique()} labelers ({sorted(features['labeler'].unique())}); "
            "filter to one before fitting"
        )
    dup = features.duplicated(["pair_id", "side"])
    if dup.any():
        raise SealInputError(f"features have {int(dup.sum())} duplicate (pair_id, side) rows; one row per text needed")


def _long(scores_m: pd.DataFrame, feats: pd.DataFrame) -> pd.DataFrame:
    s = scores_m[["pair_id", "score_chosen", "score_rejected"]]
    long = pd.concat(
        [
            s[["pair_id"]].assign(side="chosen", reward=s["score_chosen"].to_numpy()),
            s[["pair_id"]].assign(side="rejected", reward=s["score_rejected"].to_numpy()),
        ],
        ignore_index=True,
    )
    merged = long.merge(feats, on=["pair_id", "side"], how="inner", validate="one_to_one")
    complete = merged.groupby("pair_id")["side"].transform("size") == 2  # both texts labelled
    return merged[complete].sort_values(["pair_id", "side"]).reset_index(drop=True)


def _select_columns(X: pd.DataFrame, groups: np.ndarray | None) -> tuple[list[str], list[dict]]:
    """Drop constant, no-within-variation and collinear columns (in order), with the reason for each."""
    dropped, keep = [], []
    for c in X.columns:
        col = X[c].to_numpy(dtype=float)
        if np.nanstd(col) == 0:
            dropped.append({"feature": c, "reason": "constant in this slice"})
            continue
        if groups is not None:
            within = col - pd.Series(col).groupby(groups).transform("mean").to_numpy()
            if np.allclose(within, 0):
                dropped.append({"feature": c, "reason": "never differs between a pair's two texts"})
                continue
        keep.append(c)
    used: list[str] = []
    for c in keep:
        cand = X[[*used, c]].to_numpy(dtype=float)
        if groups is not None:
            cand = cand - pd.DataFrame(cand).groupby(groups).transform("mean").to_numpy()
        else:
            cand = np.column_stack([np.ones(len(cand)), cand])
        if np.linalg.matrix_rank(cand) < cand.shape[1]:
            dropped.append({"feature": c, "reason": f"collinear with {', '.join(used) or 'the intercept'}"})
            continue
        used.append(c)
    return used, dropped


def _demean(a: np.ndarray, groups: np.ndarray) -> np.ndarray:
    return a - pd.DataFrame(a).groupby(groups).transform("mean").to_numpy()


def _fit(y: np.ndarray, X: np.ndarray, groups: np.ndarray, estimator: str, cov: str):
    if estimator == "pair_fe":
        yy, XX = _demean(y[:, None], groups)[:, 0], _demean(X, groups)
    else:
        yy, XX = y, sm.add_constant(X, has_constant="add")
    model = sm.OLS(yy, XX)
    if cov == "cluster":
        return model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(groups)[0]})
    return model.fit()


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
    _validate(scores, features, estimator, adjust, ci, cov)
    alpha = 1 - ci
    feats = transform_for_regression(features.drop(columns=["labeler"], errors="ignore"))
    cols = feature_cols or regression_columns(feats)
    unknown = [c for c in cols if c not in feats.columns]
    if unknown:
        raise SealInputError(f"unknown feature column(s) {unknown}; features have {regression_columns(feats)}")
    if not cols:
        raise SealInputError("the features table has no numeric feature columns to regress on")
    feats = feats[["pair_id", "side", *cols]]
    if models is None:
        models = [m for m in (pre, post) if m] or list(dict.fromkeys(scores["model"]))
    missing = [m for m in models if m not in set(scores["model"])]
    if missing:
        raise SealInputError(f"model(s) {missing} not in scores; scores hold {sorted(scores['model'].unique())}")
    role_of = {pre: "pre", post: "post"}
    kinds = feature_roles(cols, roles)
    notes: list[str] = []

    # one design for every model: the pairs scored by all of them and labelled on both sides
    longs = {m: _long(scores[scores["model"] == m], feats) for m in models}
    common = set.intersection(*(set(d["pair_id"]) for d in longs.values()))
    longs = {m: d[d["pair_id"].isin(common)].reset_index(drop=True) for m, d in longs.items()}
    base = next(iter(longs.values()))
    n_pairs = base["pair_id"].nunique()
    n_scored = scores[scores["model"].isin(models)]["pair_id"].nunique()
    if n_pairs < n_scored:
        notes.append(f"{n_scored - n_pairs} scored pair(s) lack features for a side and were left out")
    if n_pairs < 3:
        raise SealInputError(f"only {n_pairs} pair(s) have both scores and features; imprint needs more")
    if n_pairs < SMALL:
        msg = f"only {n_pairs} pairs: imprint estimates will be very uncertain"
        warnings.warn(msg, stacklevel=2)
        notes.append(msg)
    groups = base["pair_id"].to_numpy()
    used, dropped = _select_columns(base[cols], groups if estimator == "pair_fe" else None)
    if not used:
        raise SealInputError("no feature varies in this slice (every one is constant or collinear)")
    X = base[used].to_numpy(dtype=float)
    Xv = _demean(X, groups) if estimator == "pair_fe" else sm.add_constant(X, has_constant="add")
    off = 0 if estimator == "pair_fe" else 1
    vif = pd.DataFrame({"feature": used, "vif": [
        variance_inflation_factor(Xv, off + k) if Xv.shape[1] > 1 else 1.0 for k in range(len(used))
    ]})  # fmt: skip

    rows: list[dict] = []
    for m, d in longs.items():
        res = _fit(d["reward"].to_numpy(dtype=float), X, groups, estimator, cov)
        rows += _rows(res, used, off, alpha, adjust, {"rm": m, "role": role_of.get(m), "n_pairs": n_pairs})
    if pre and post:
        y = np.concatenate([longs[pre]["reward"].to_numpy(float), longs[post]["reward"].to_numpy(float)])
        Z = np.vstack([np.hstack([X, np.zeros_like(X)]), np.hstack([X, X])])
        g_fe = np.concatenate([np.char.add(groups.astype(str), "|pre"), np.char.add(groups.astype(str), "|post")])
        g_cl = np.concatenate([groups, groups])
        if estimator == "pair_fe":
            yy, ZZ = _demean(y[:, None], g_fe)[:, 0], _demean(Z, g_fe)
        else:
            post_dummy = np.r_[np.zeros(len(X)), np.ones(len(X))]
            yy, ZZ = y, np.column_stack([np.ones(len(y)), post_dummy, Z])
        model = sm.OLS(yy, ZZ)
        res = (model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(g_cl)[0]}) if cov == "cluster"
               else model.fit())  # fmt: skip
        off_d = (0 if estimator == "pair_fe" else 2) + len(used)
        rows += _rows(res, used, off_d, alpha, adjust, {"rm": f"{post} − {pre}", "role": "difference",
                                                        "n_pairs": n_pairs})  # fmt: skip
    table = pd.DataFrame(rows)
    table.insert(1, "kind", table["feature"].map(kinds))
    return ImprintResult(
        table=table[TABLE_COLUMNS],
        dropped=pd.DataFrame(dropped, columns=["feature", "reason"]),
        vif=vif,
        estimator=estimator,
        adjust=adjust,
        n_pairs=n_pairs,
        notes=tuple(notes),
    )


def describe_top(table: pd.DataFrame, role: str | None = "post") -> str:
    """One plain-words sentence about the largest significant imprint of an RM."""
    t = table[(table["role"] == role)] if role else table
    t = t[t["p_adj"] < 0.05]
    if t.empty:
        return "No feature has a significant imprint after adjusting for multiple testing."
    top = t.loc[t["coef"].abs().idxmax()]
    who = {"post": "After training", "pre": "Before training"}.get(role or "", "For this RM")
    direction = "higher" if top["coef"] > 0 else "lower"
    return (
        f"{who}, responses with '{top['feature']}' score {abs(top['coef']):.2f} points {direction}, all else equal "
        f"(95% CI {top['ci_low']:+.2f} to {top['ci_high']:+.2f})."
    )
