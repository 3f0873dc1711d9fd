"""Alignment resistance: the share of pairs where a reward model does not prefer the human-chosen response.

SEAL (seal-method.md §5.1): agreement on pair i is ``r(chosen) > r(rejected)`` (strict), so a tie counts as a
disagreement; alignment resistance is ``1 − agreement``. Ties are reported separately so a reader can see how much
of the resistance they make up. Every figure is tested against a coin flip (exact binomial, ``p_chance``); an RM
with ``p_chance ≥ 0.05`` is ``at_chance``: on this slice it cannot be told apart from guessing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from seal_core.errors import SealInputError
from seal_core.metrics._common import jsonable
from seal_core.metrics.power import ALPHA, chance_test

CIMethod = Literal["wilson", "exact"]
_CI_METHODS: dict[str, str] = {"wilson": "wilson", "exact": "beta"}  # statsmodels' name for Clopper-Pearson
SMALL_SLICE = 30


@dataclass(frozen=True)
class ResistanceResult:
    """Agreement and resistance of one reward model on one set of pairs.

    Attributes
    ----------
    n_pairs, n_agree, n_ties, n_disagree : int
        ``n_agree`` counts margin > 0, ``n_ties`` margin == 0, ``n_disagree`` margin < 0.
    agreement : float
        ``n_agree / n_pairs``.
    resistance : float
        ``1 − agreement``: ties count as resistance, as in SEAL.
    ci_low, ci_high : float
        Confidence interval of ``resistance``.
    ci, ci_method : float, str
        Confidence level and method (``wilson`` or ``exact`` Clopper-Pearson).
    p_chance : float
        Exact two-sided binomial p of ``n_agree`` in ``n_pairs`` against a coin flip (½).
    at_chance : bool
        ``p_chance ≥ 0.05``: the RM is indistinguishable from guessing on these pairs.
    n_in_sample : int
        Pairs the RM was trained on (the Scores table's ``in_sample``): its agreement on them is optimistic.
    """

    model: str
    n_pairs: int
    n_agree: int
    n_ties: int
    n_disagree: int
    agreement: float
    resistance: float
    ci_low: float
    ci_high: float
    ci: float
    ci_method: str
    p_chance: float = float("nan")
    at_chance: bool = False
    n_in_sample: int = 0

    @property
    def in_sample(self) -> bool:
        return self.n_in_sample > 0

    def sentence(self) -> str:
        """The result in plain words."""
        if self.n_pairs == 0:
            return "No pairs to judge."
        ties = (
            f" ({self.n_ties} tie{'s' if self.n_ties != 1 else ''} counted as not preferring)" if self.n_ties else ""
        )
        chance = (
            f" That is indistinguishable from a coin flip on these pairs (exact binomial p = {self.p_chance:.2g})."
            if self.at_chance
            else ""
        )
        out = (
            f"The model preferred the response people rejected in {self.resistance:.0%} of {self.n_pairs:,} pairs "
            f"({self.ci:.0%} CI {self.ci_low:.0%}–{self.ci_high:.0%}){ties}.{chance}"
        )
        return f"{out} In sample: {in_sample_words(self.n_in_sample, self.n_pairs)}" if self.n_in_sample else out

    def to_dict(self) -> dict:
        """Every field and ``in_sample``, JSON-ready (NaN as None)."""
        return jsonable({**vars(self), "in_sample": self.in_sample})


def in_sample_words(n_in_sample: int, n_pairs: int) -> str:
    """The in-sample warning, in words.

    Examples
    --------
    >>> in_sample_words(1800, 1800)
    'the model was trained on all 1,800 of these pairs, so this agreement is optimistic.'
    """
    which = f"all {n_pairs:,}" if n_in_sample == n_pairs else f"{n_in_sample:,} of the {n_pairs:,}"
    return f"the model was trained on {which} of these pairs, so this agreement is optimistic."


def _validate(scores: pd.DataFrame, ci: float, method: str) -> None:
    if not isinstance(scores, pd.DataFrame):
        raise SealInputError(f"scores must be a DataFrame (the Scores table), got {type(scores).__name__}")
    missing = {"model", "margin"} - set(scores.columns)
    if missing:
        raise SealInputError(f"scores lack column(s) {sorted(missing)}; pass the table returned by score_pairs")
    if not 0 < ci < 1:
        raise SealInputError(f"ci must be a confidence level between 0 and 1 (e.g. 0.95), got {ci}")
    if method not in _CI_METHODS:
        raise SealInputError(f"unknown CI method {method!r}; expected one of {list(_CI_METHODS)}")
    if scores["margin"].isna().any():
        raise SealInputError(f"{int(scores['margin'].isna().sum())} margin(s) are NaN; re-score those pairs")


def resistance_from_margins(
    model: str, margins: np.ndarray, *, ci: float = 0.95, method: CIMethod = "wilson", n_in_sample: int = 0
) -> ResistanceResult:
    """Alignment resistance of one model from its margins (chosen − rejected), with no table to validate.

    Parameters
    ----------
    model : str
        The model id to report.
    margins : array
        Score of the chosen minus score of the rejected response, one per pair.
    ci : float
        Confidence level of the interval.
    method : {"wilson", "exact"}
        Wilson score interval, or exact Clopper-Pearson.
    n_in_sample : int
        How many of these pairs the model was trained on (its agreement on them is optimistic).

    Returns
    -------
    ResistanceResult

    Examples
    --------
    >>> r = resistance_from_margins("m", np.array([2.0, 0.0, -1.0, 3.0]))
    >>> r.n_agree, r.n_ties, r.n_disagree, r.resistance
    (2, 1, 1, 0.5)
    """
    if not 0 < ci < 1:
        raise SealInputError(f"ci must be a confidence level between 0 and 1 (e.g. 0.95), got {ci}")
    if method not in _CI_METHODS:
        raise SealInputError(f"unknown CI method {method!r}; expected one of {list(_CI_METHODS)}")
    margins = np.asarray(margins, dtype=float)
    if np.isnan(margins).any():
        raise SealInputError(f"{int(np.isnan(margins).sum())} margin(s) are NaN; re-score those pairs")
    return _compute(model, margins, ci, method, n_in_sample)


def _compute(model: str, margin: np.ndarray, ci: float, method: str, n_in_sample: int = 0) -> ResistanceResult:
    n = int(margin.size)
    n_agree = int((margin > 0).sum())
    n_ties = int((margin == 0).sum())
    n_res = n - n_agree
    if n:
        lo, hi = proportion_confint(n_res, n, alpha=1 - ci, method=_CI_METHODS[method])
    else:
        lo = hi = float("nan")
    p_chance = chance_test(n_agree, n)
    return ResistanceResult(
        model=model,
        n_pairs=n,
        n_agree=n_agree,
        n_ties=n_ties,
        n_disagree=n - n_agree - n_ties,
        agreement=n_agree / n if n else float("nan"),
        resistance=n_res / n if n else float("nan"),
        ci_low=float(lo),
        ci_high=float(hi),
        ci=ci,
        ci_method=method,
        p_chance=p_chance,
        at_chance=bool(n) and p_chance >= ALPHA,
        n_in_sample=int(n_in_sample),
    )


def _n_in_sample(scores: pd.DataFrame) -> int:
    return int(scores["in_sample"].fillna(False).astype(bool).sum()) if "in_sample" in scores else 0


def alignment_resistance(scores: pd.DataFrame, *, ci: float = 0.95, method: CIMethod = "wilson") -> ResistanceResult:
    """Alignment resistance of the one model in ``scores``.

    Parameters
    ----------
    scores : DataFrame
        The Scores table of one model (``model, margin``).
    ci : float
        Confidence level of the interval.
    method : {"wilson", "exact"}
        Wilson score interval, or exact Clopper-Pearson.

    Returns
    -------
    ResistanceResult
        Counts, agreement, resistance and its interval; warns under 30 pairs.

    Examples
    --------
    >>> s = pd.DataFrame({"model": "m", "margin": [1.0, -1.0, 0.0, 2.0]})
    >>> r = alignment_resistance(s)
    >>> r.n_agree, r.n_ties, r.resistance
    (2, 1, 0.5)
    """
    _validate(scores, ci, method)
    models = scores["model"].unique()
    if len(models) > 1:
        raise SealInputError(f"scores hold {len(models)} models; use resistance_table, or filter to one model")
    res = _compute(str(models[0]) if len(models) else "", scores["margin"].to_numpy(dtype=float), ci, method,
                   _n_in_sample(scores))  # fmt: skip
    if 0 < res.n_pairs < SMALL_SLICE:
        warnings.warn(f"only {res.n_pairs} pairs: the resistance CI is wide", stacklevel=2)
    return res


def resistance_table(
    scores: pd.DataFrame, *, by: str | list[str] | None = None, ci: float = 0.95, method: CIMethod = "wilson"
) -> pd.DataFrame:
    """Resistance per model (and per group of ``by`` columns, e.g. a slice or source), one row each.

    Columns: ``model``, the ``by`` columns, ``n_pairs, n_agree, n_ties, n_disagree, agreement, resistance, ci_low,
    ci_high, ci, ci_method, p_chance, at_chance, n_in_sample``.

    Parameters
    ----------
    scores : DataFrame
        The Scores table (``model, margin`` and the ``by`` columns).
    by : str or list of str, optional
        Columns to group by besides the model (e.g. ``source``, or ``role`` in the app).
    ci : float
        Confidence level of the intervals.
    method : {"wilson", "exact"}
        Wilson score interval, or exact Clopper-Pearson.

    Returns
    -------
    DataFrame
        One row per model (and group).

    Examples
    --------
    >>> s = pd.DataFrame({"model": ["a", "a", "b", "b"], "margin": [1.0, -1.0, 1.0, 1.0]})
    >>> resistance_table(s)[["model", "resistance"]].to_dict("records")
    [{'model': 'a', 'resistance': 0.5}, {'model': 'b', 'resistance': 0.0}]
    """
    _validate(scores, ci, method)
    keys = ["model"] + ([by] if isinstance(by, str) else list(by or []))
    unknown = [k for k in keys if k not in scores.columns]
    if unknown:
        raise SealInputError(f"cannot group by {unknown}: no such column(s); columns are {sorted(scores.columns)}")
    rows = []
    for key, grp in scores.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        res = _compute(str(key[0]), grp["margin"].to_numpy(dtype=float), ci, method, _n_in_sample(grp))
        rows.append({**dict(zip(keys, key)), **{k: v for k, v in res.__dict__.items() if k != "model"}})
    return pd.DataFrame(rows)
