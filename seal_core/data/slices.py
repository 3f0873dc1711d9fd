"""Reproducible slices of a Pairs table: by source, text, metadata filter, random sample and first N."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from seal_core.errors import SealInputError
from seal_core.options import choose

__all__ = ["FilterOp", "SliceSpec", "slice_pairs"]

FilterOp = Literal["==", "!=", "<", "<=", ">", ">=", "in", "contains"]
_OPS = {
    "==": lambda s, v: s == v,
    "!=": lambda s, v: s != v,
    "<": lambda s, v: s < v,
    "<=": lambda s, v: s <= v,
    ">": lambda s, v: s > v,
    ">=": lambda s, v: s >= v,
    "in": lambda s, v: s.isin(list(v) if isinstance(v, list | tuple | set) else [v]),
    "contains": lambda s, v: s.astype(str).str.contains(str(v), case=False, regex=False),
}
_SEARCH_FIELDS = {
    "prompt": ("prompt_chosen", "prompt_rejected"),
    "chosen": ("chosen",),
    "rejected": ("rejected",),
    "full": ("chosen_full", "rejected_full"),
}


@dataclass(frozen=True)
class SliceSpec:
    """A reproducible slice of a Pairs table. Filters apply first, then ``sample``, then ``first``.

    Attributes
    ----------
    sources : tuple of str
        Keep pairs whose ``source`` is one of these (empty: all).
    search : str
        Case-insensitive substring that must occur in one of ``search_in``.
    search_in : tuple of str
        Any of ``prompt``, ``chosen``, ``rejected``, ``full``.
    where : tuple of (column, op, value)
        Metadata filters; ``op`` is one of ``== != < <= > >= in contains``.
    sample : int, optional
        Random sample of this many pairs (seeded; the sample keeps the data's order).
    seed : int
        Seed for ``sample``.
    first : int, optional
        Keep the first N pairs.
    """

    sources: tuple[str, ...] = ()
    search: str = ""
    search_in: tuple[str, ...] = ("prompt", "chosen", "rejected")
    where: tuple[tuple[str, str, Any], ...] = ()
    sample: int | None = None
    seed: int = 0
    first: int | None = None

    def describe(self) -> str:
        parts = []
        if self.sources:
            parts.append(f"source in {list(self.sources)}")
        if self.search:
            parts.append(f"text contains {self.search!r}")
        parts += [f"{c} {op} {v!r}" for c, op, v in self.where]
        if self.sample is not None:
            parts.append(f"random {self.sample} (seed {self.seed})")
        if self.first is not None:
            parts.append(f"first {self.first}")
        return "; ".join(parts) or "all pairs"


def slice_pairs(pairs: pd.DataFrame, spec: SliceSpec | None = None) -> pd.DataFrame:
    """Apply a :class:`SliceSpec` to a Pairs table.

    Examples
    --------
    >>> from seal_core.data import load_pairs
    >>> p = load_pairs().pairs
    >>> len(slice_pairs(p, SliceSpec(first=5))), len(slice_pairs(p, SliceSpec(sample=50, seed=1)))
    (5, 50)
    >>> slice_pairs(p, SliceSpec(sample=50, seed=1)).pair_id.tolist() == slice_pairs(p, SliceSpec(sample=50, seed=1)).pair_id.tolist()
    True
    """
    spec = spec or SliceSpec()
    for f in spec.search_in:
        choose("search field", f, _SEARCH_FIELDS, option="search_in")
    for col, op, _ in spec.where:
        if col not in pairs.columns:
            raise SealInputError(
                f"cannot filter on {col!r}: no such column. Columns: {sorted(map(str, pairs.columns))}"
            )
        choose("filter operator", op, _OPS, option="where")
    for n, label in ((spec.sample, "sample"), (spec.first, "first")):
        if n is not None and n < 0:
            raise SealInputError(f"{label} must be a non-negative number of pairs, got {n}")
    mask = pd.Series(True, index=pairs.index)
    if spec.sources:
        mask &= pairs["source"].isin(spec.sources)
    if spec.search:
        hit = pd.Series(False, index=pairs.index)
        for f in spec.search_in:
            for col in _SEARCH_FIELDS[f]:
                hit |= pairs[col].str.contains(spec.search, case=False, regex=False)
        mask &= hit
    for col, op, value in spec.where:
        try:
            mask &= _OPS[op](pairs[col], value).fillna(False).astype(bool)
        except TypeError as e:
            raise SealInputError(f"cannot compare column {col!r} {op} {value!r}: {e}") from None
    out = pairs[mask]
    if spec.sample is not None:
        if spec.sample > len(out):
            warnings.warn(f"sample of {spec.sample} asked from {len(out)} pairs; keeping all", stacklevel=2)
        else:
            out = out.sample(n=spec.sample, random_state=spec.seed).sort_index()
    if spec.first is not None:
        out = out.head(spec.first)
    if 0 < len(out) < 30:
        warnings.warn(f"the slice has only {len(out)} pairs; rates will have wide confidence intervals", stacklevel=2)
    return out.reset_index(drop=True)
