"""Per-pair regressions with robust SEs: the misalignment LPM (seal-method.md §4.4) and the θ regression (§4.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from seal_core.errors import SealInputError
from seal_core.metrics._common import jsonable
from seal_core.metrics._ols import fit_shared_design
from seal_core.options import choose


@dataclass(frozen=True)
class PairRegression:
    """Per-pair regressions sharing one design (:func:`pair_regression`).

    Attributes
    ----------
    table : DataFrame
        One row per term and outcome: ``term, coef, se, ci_low, ci_high, p, p_adj, n_pairs, outcome``.
    dropped : tuple of str
        Regressors left out: constant on the pairs used, or collinear with the ones before them.
    n_pairs : int
        Pairs with every regressor and every outcome.
    """

    table: pd.DataFrame
    dropped: tuple[str, ...]
    n_pairs: int

    def outcome(self, name: str) -> pd.DataFrame:
        """The rows of one outcome, without the ``outcome`` column."""
        return self.table[self.table["outcome"] == name].drop(columns="outcome").reset_index(drop=True)

    def to_dict(self) -> dict:
        return jsonable({"table": self.table, "dropped": list(self.dropped), "n_pairs": self.n_pairs})


_ADJUST: dict[str, str | None] = {"bonferroni": "bonferroni", "holm": "holm", "fdr_bh": "fdr_bh", "none": None}


def pair_regression(
    y: pd.Series | dict[str, pd.Series],
    X: pd.DataFrame,
    *,
    adjust: Literal["bonferroni", "holm", "fdr_bh", "none"] = "bonferroni",
    ci: float = 0.95,
    name: str = "",
) -> PairRegression:
    """OLS of per-pair outcomes on per-pair regressors with heteroskedasticity-robust (HC1) SEs.

    One row per pair, so robust SEs are SEs clustered by pair. p-values are adjusted across terms per outcome. Used
    for the misalignment LPM (seal-method.md §4.4) and the θ regression (§4.3).

    Parameters
    ----------
    y : Series or dict of Series
        The outcome per pair (indexed by pair), or several outcomes by name; they share the design, which is then
        built and checked for collinearity once.
    X : DataFrame
        Regressors, one row per pair (e.g. :func:`wide_features`). Rows with a missing value are left out.
    adjust : {"bonferroni", "holm", "fdr_bh", "none"}
        Multiple-testing adjustment of the p-values.
    ci : float
        Confidence level of ``ci_low``/``ci_high``.
    name : str
        The outcome's name when ``y`` is one Series.

    Returns
    -------
    PairRegression
        The tidy table, the regressors dropped and the number of pairs used.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.integers(0, 2, 500), "b": rng.integers(0, 2, 500)})
    >>> X["always"] = 1
    >>> y = 0.3 * X["a"] + rng.normal(0, 0.1, 500)
    >>> reg = pair_regression(y, X, name="y")
    >>> reg.table["term"].tolist(), reg.dropped, reg.n_pairs
    (['a', 'b'], ('always',), 500)
    >>> round(float(reg.table["coef"].iloc[0]), 1)
    0.3
    """
    method = choose("p-value adjustment", adjust, _ADJUST, option="adjust")
    outcomes = y if isinstance(y, dict) else {name: y}
    for label, s in outcomes.items():
        if not s.index.is_unique:
            raise SealInputError(f"outcome {label!r} has repeated pairs in its index; one value per pair needed")
    if not X.index.is_unique:
        raise SealInputError("the regressors have repeated pairs in their index; one row per pair needed")
    # Rows: the pairs with every regressor and every outcome, in the order of X.
    Xv = X.to_numpy(dtype=float)
    ok = ~np.isnan(Xv).any(axis=1)
    values = {}
    for label, s in outcomes.items():
        pos = s.index.get_indexer(X.index)
        v = np.where(pos >= 0, s.to_numpy(dtype=float)[pos], np.nan)
        ok &= ~np.isnan(v)
        values[label] = v
    rows = Xv if ok.all() else Xv[ok]
    n = len(rows)
    varies = (
        rows.max(axis=0, initial=-np.inf) > rows.min(axis=0, initial=np.inf) if n else np.zeros(len(X.columns), bool)
    )
    keep = [c for c, v in zip(X.columns, varies) if v]
    dropped = [c for c, v in zip(X.columns, varies) if not v]
    if n < len(keep) + 2:
        raise SealInputError(f"{n} pairs are too few for a regression on {len(keep)} regressors")
    Z = _design(rows, np.flatnonzero(varies))
    if np.linalg.matrix_rank(Z.T @ Z) < Z.shape[1]:  # collinear (Gram matrix: k×k, cheap): drop one by one
        used: list[int] = []
        for j in np.flatnonzero(varies):
            cand = _design(rows, [*used, j])
            if np.linalg.matrix_rank(cand.T @ cand) == cand.shape[1]:
                used.append(j)
            else:
                dropped.append(X.columns[j])
        keep = [X.columns[j] for j in used]
        Z = _design(rows, used)
    frames = []
    for label, res in zip(
        values, fit_shared_design(Z, [v[ok] for v in values.values()], cov_type="HC1", hasconst=True)
    ):
        p = res.pvalues[1:]
        p_adj = multipletests(p, method=method)[1] if method and len(p) else p
        lohi = res.conf_int(1 - ci)[1:]
        frames.append(pd.DataFrame({"term": keep, "coef": res.params[1:], "se": res.bse[1:], "ci_low": lohi[:, 0],
                                    "ci_high": lohi[:, 1], "p": p, "p_adj": p_adj, "n_pairs": n,
                                    "outcome": label}))  # fmt: skip
    return PairRegression(table=pd.concat(frames, ignore_index=True), dropped=tuple(dropped), n_pairs=n)


def _design(rows: np.ndarray, columns) -> np.ndarray:
    """A constant column, then ``rows[:, columns]`` (one allocation; same values as ``sm.add_constant``)."""
    columns = list(columns)
    Z = np.empty((rows.shape[0], len(columns) + 1))
    Z[:, 0] = 1.0
    if columns == list(range(rows.shape[1])):
        Z[:, 1:] = rows
    else:
        Z[:, 1:] = rows[:, columns]
    return Z
