"""Linear-algebra helpers shared by the regressions: group demeaning on integer codes, rank and VIFs from one QR,
and OLS fits of several outcomes on one design (one pseudo-inverse).

At hh-rlhf scale (321,600 texts) the regressions were dominated by repeated work: pandas ``groupby`` on string ids
for every demeaned column, an SVD of the whole design for every rank check and every VIF, and statsmodels'
search for an implicit constant in every fit. Here groups are factorized once into integer codes, ranks and VIFs
come from the small R factor of a QR decomposition, and the design's pseudo-inverse is computed once per design.
The numbers are those of the plain statsmodels calls (tests compare them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.regression.linear_model import OLSResults


def group_codes(groups) -> np.ndarray:
    """Integer codes 0..g−1 of a group label array (first-seen order).

    Examples
    --------
    >>> group_codes(np.array(["b", "a", "b"]))
    array([0, 1, 0])
    """
    return pd.factorize(np.asarray(groups))[0]


def demean(a: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Subtract from each column its mean within each group (``codes`` from :func:`group_codes`).

    Examples
    --------
    >>> demean(np.array([[1.0], [3.0], [5.0]]), np.array([0, 0, 1]))
    array([[-1.],
           [ 1.],
           [ 0.]])
    """
    a = np.asarray(a, dtype=float)
    flat = a.ndim == 1
    cols = a[:, None] if flat else a
    counts = np.bincount(codes).astype(float)
    out = np.empty_like(cols)
    for j in range(cols.shape[1]):
        out[:, j] = cols[:, j] - (np.bincount(codes, weights=cols[:, j], minlength=counts.size) / counts)[codes]
    return out[:, 0] if flat else out


def rank(a: np.ndarray, *, n_rows: int | None = None) -> int:
    """``np.linalg.matrix_rank(a)`` for a tall matrix, from the singular values of its small R factor (the same
    singular values, and the same tolerance: ``S.max() * max(a.shape) * eps``). Given ``n_rows``, ``a`` already is
    the R factor (or columns of it) of a matrix with that many rows.

    Examples
    --------
    >>> x = np.arange(12.0).reshape(6, 2)
    >>> rank(x), rank(np.column_stack([x, x[:, 0] + x[:, 1]]))
    (2, 2)
    """
    if n_rows is None:
        if a.shape[0] <= a.shape[1]:
            return int(np.linalg.matrix_rank(a))
        n_rows, a = a.shape[0], np.linalg.qr(a, mode="r")
    s = np.linalg.svd(a, compute_uv=False)
    return int((s > s.max(initial=0.0) * max(n_rows, a.shape[1]) * np.finfo(float).eps).sum())


def vifs(design: np.ndarray, columns: range | list[int], *, centered: bool) -> np.ndarray:
    """Variance inflation factors of ``design``'s ``columns``, as statsmodels' ``variance_inflation_factor`` gives
    them (each column regressed on all the others; R² centered when the design has a constant column, uncentered
    otherwise), in closed form: VIF_j = ‖x_j‖² · [(X'X)⁻¹]_jj, with x_j centered when ``centered``.

    Examples
    --------
    >>> from statsmodels.stats.outliers_influence import variance_inflation_factor
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(200, 2))
    >>> X = np.column_stack([np.ones(200), x[:, 0], x[:, 0] + x[:, 1]])
    >>> np.allclose(vifs(X, [1, 2], centered=True), [variance_inflation_factor(X, j) for j in (1, 2)])
    True
    """
    r_inv = np.linalg.inv(np.linalg.qr(design, mode="r"))
    diag = np.einsum("ij,ij->i", r_inv, r_inv)  # diag((X'X)^-1) = row norms of R^-1, squared
    out = []
    for j in columns:
        x = design[:, j]
        x = x - x.mean() if centered else x
        out.append(float(x @ x) * diag[j])
    return np.array(out)


def fit_shared_design(
    Z: np.ndarray, outcomes: list[np.ndarray], *, cov_type: str = "nonrobust", cov_kwds: dict | None = None,
    hasconst: bool | None = None, df_resid: float | None = None,
) -> list:  # fmt: skip
    """OLS of each outcome on the same design ``Z``, with the design's pseudo-inverse (the costly SVD) computed once
    by statsmodels' own ``fit`` and handed to the next models, which build their results exactly as ``fit`` does.

    ``hasconst`` tells statsmodels whether ``Z`` holds a constant column (skipping its search for one);
    ``df_resid`` overrides the residual degrees of freedom (absorbed fixed effects).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> Z = sm.add_constant(rng.normal(size=(50, 2)))
    >>> ys = [Z @ [1.0, 2.0, 3.0] + rng.normal(size=50) for _ in range(2)]
    >>> a, b = fit_shared_design(Z, ys, cov_type="HC1", hasconst=True)
    >>> bool(np.allclose(b.bse, sm.OLS(ys[1], Z).fit(cov_type="HC1").bse, rtol=1e-12))
    True
    """
    results, first = [], None
    for y in outcomes:
        if first is None:
            model = sm.OLS(y, Z, hasconst=hasconst)
            if df_resid is not None:
                model.df_resid = float(df_resid)
            results.append(model.fit(cov_type=cov_type, cov_kwds=cov_kwds))
            first = model
            continue
        results.append(
            fit_with_pinv(y, Z, first.pinv_wexog, first.normalized_cov_params, first.wexog_singular_values,
                          first.rank, cov_type=cov_type, cov_kwds=cov_kwds, hasconst=hasconst, df_resid=df_resid)
        )  # fmt: skip
    return results


def fit_with_pinv(
    y: np.ndarray, Z: np.ndarray, pinv: np.ndarray, normalized_cov: np.ndarray, singular_values: np.ndarray,
    rank: int, *, cov_type: str = "nonrobust", cov_kwds: dict | None = None, hasconst: bool | None = None,
    df_resid: float | None = None,
) -> OLSResults:  # fmt: skip
    """The statsmodels OLS result of ``y`` on ``Z`` given the design's pseudo-inverse, ``pinv @ pinv.T``, its
    singular values and rank (what ``fit`` would compute first), built the way ``fit`` builds it.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> Z = rng.normal(size=(40, 3))
    >>> y = Z @ [1.0, 0.0, -1.0] + rng.normal(size=40)
    >>> P = np.linalg.pinv(Z)
    >>> r = fit_with_pinv(y, Z, P, P @ P.T, np.linalg.svd(Z, compute_uv=False), 3, cov_type="HC1")
    >>> bool(np.allclose(r.bse, sm.OLS(y, Z).fit(cov_type="HC1").bse, rtol=1e-10))
    True
    """
    model = sm.OLS(y, Z, hasconst=hasconst)
    if df_resid is not None:
        model.df_resid = float(df_resid)
    model.pinv_wexog, model.normalized_cov_params = pinv, normalized_cov
    model.wexog_singular_values, model.rank = singular_values, rank
    beta = np.dot(pinv, model.wendog)
    return OLSResults(model, beta, normalized_cov_params=normalized_cov, cov_type=cov_type, cov_kwds=cov_kwds)


def stacked_pinv(pinv: np.ndarray, normalized_cov: np.ndarray, singular_values: np.ndarray):
    """Pseudo-inverse, ``pinv @ pinv.T`` and singular values of the stacked design ``[[X, 0], [X, X]]`` from those
    of ``X`` (full column rank), by block algebra instead of a new SVD of a matrix twice as tall and wide.

    With A = X'X: the stacked Gram matrix is [[2A, A], [A, A]], whose inverse is [[A⁻¹, −A⁻¹], [−A⁻¹, 2A⁻¹]]; so the
    pseudo-inverse is [[P, 0], [−P, P]] with P = pinv(X), and the singular values are those of X times those of
    [[1, 0], [1, 1]] (the golden ratio φ and 1/φ).

    Examples
    --------
    >>> X = np.random.default_rng(3).normal(size=(30, 2))
    >>> P = np.linalg.pinv(X)
    >>> Ps, C, s = stacked_pinv(P, P @ P.T, np.linalg.svd(X, compute_uv=False))
    >>> Z = np.block([[X, np.zeros_like(X)], [X, X]])
    >>> bool(np.allclose(Ps, np.linalg.pinv(Z)) and np.allclose(s, np.linalg.svd(Z, compute_uv=False)))
    True
    """
    k, n = pinv.shape
    zeros = np.zeros((k, n))
    stacked = np.block([[pinv, zeros], [-pinv, pinv]])
    cov = np.block([[normalized_cov, -normalized_cov], [-normalized_cov, 2 * normalized_cov]])
    phi = (1 + 5**0.5) / 2
    values = np.sort(np.concatenate([singular_values * phi, singular_values / phi]))[::-1]
    return stacked, cov, values


def fit_all(ys: list[np.ndarray], X: np.ndarray, codes: np.ndarray, estimator: str, cov: str, n_groups: int):
    """Fit each outcome on the same design (pair fixed effects absorbed by demeaning, or pooled with an intercept).

    Nonrobust SEs after demeaning count the absorbed fixed effects in the residual df (n_obs − n_groups − k), as the
    dummy-variable regression does; cluster-robust SEs cluster by pair (``codes`` modulo the pairs)."""
    fe = estimator == "pair_fe"
    if fe:
        Z = demean(X, codes)
        ys = [demean(y, codes) for y in ys]
    else:
        Z = sm.add_constant(X, has_constant="add")
    kwargs: dict = {"hasconst": not fe}
    if cov == "cluster":
        kwargs.update(cov_type="cluster", cov_kwds={"groups": codes % n_groups})
    elif fe:
        kwargs["df_resid"] = len(Z) - np.unique(codes).size - rank(Z)
    return fit_shared_design(Z, ys, **kwargs)


def stacked_pair_fe(pre_fit, post_fit, g_fe: np.ndarray, cov: str, n_groups: int):
    """The stacked post − pre model with pair fixed effects, from the two per-RM fits on the same demeaned design:
    its design is [[Xd, 0], [Xd, Xd]] (demeaning per (pair, RM) demeans each block as the per-RM fits did), so its
    pseudo-inverse follows from theirs (:func:`stacked_pinv`) instead of a new SVD."""
    Xd = pre_fit.model.exog
    Z = np.block([[Xd, np.zeros_like(Xd)], [Xd, Xd]])
    y = np.concatenate([pre_fit.model.endog, post_fit.model.endog])
    m = pre_fit.model
    pinv, ncp, values = stacked_pinv(m.pinv_wexog, m.normalized_cov_params, m.wexog_singular_values)
    kwargs: dict = {"hasconst": False}
    if cov == "cluster":
        kwargs.update(cov_type="cluster", cov_kwds={"groups": g_fe % n_groups})
    else:
        kwargs["df_resid"] = len(Z) - np.unique(g_fe).size - 2 * int(m.rank)
    return fit_with_pinv(y, Z, pinv, ncp, values, 2 * int(m.rank), **kwargs)
