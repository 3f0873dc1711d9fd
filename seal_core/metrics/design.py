"""Pair-level layout of the Features table: each pair's chosen and rejected texts side by side, for γ and the
per-pair regressions (seal-method.md §4.3, §4.4, §5.2)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError


def wide_features(features: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One row per pair (sorted by pair_id): each feature of the chosen text (suffix ``(c)``), then of the rejected
    text (``(r)``); pairs missing a side or a value are left out (:func:`incomplete_pairs` counts them), and a
    feature no text has a label for is left out instead of every pair.

    Parameters
    ----------
    features : DataFrame
        A Features table (``pair_id, side`` and the columns).
    columns : sequence of str
        The feature columns to lay out.

    Returns
    -------
    DataFrame
        Indexed by pair_id: ``<feature> (c)`` for every column, then ``<feature> (r)``; floats.

    Examples
    --------
    >>> f = pd.DataFrame({"pair_id": ["b", "b", "a", "a", "c"], "side": ["rejected", "chosen"] * 2 + ["chosen"],
    ...                   "refusal": [1, 0, 0, 0, 1]})
    >>> wide_features(f, ["refusal"]).to_dict("index")  # pair c lacks its rejected text
    {'a': {'refusal (c)': 0.0, 'refusal (r)': 0.0}, 'b': {'refusal (c)': 0.0, 'refusal (r)': 1.0}}
    """
    columns = [c for c in columns if features[c].notna().any()]  # a feature nobody labelled: drop it, not every pair
    ids, chosen, rejected = _by_pair(features, columns)
    return _wide_frame(chosen, rejected, columns, ids)


def incomplete_pairs(features: pd.DataFrame, columns: Sequence[str]) -> int:
    """Pairs of a Features table missing a label of ``columns`` (NaN, or a text without a row) on either side: the
    pairs :func:`wide_features` and :func:`~seal_core.metrics.regimes.labeler_preference` leave out.

    Parameters
    ----------
    features : DataFrame
        A Features table.
    columns : sequence of str
        The feature columns that must be labelled.

    Returns
    -------
    int

    Examples
    --------
    >>> f = pd.DataFrame({"pair_id": ["a", "a", "b", "b", "c"], "side": ["chosen", "rejected"] * 2 + ["chosen"],
    ...                   "helpful": [1, 0, 1, None, 1]})
    >>> incomplete_pairs(f, ["helpful"])  # b lacks a label, c its rejected text
    2
    """
    _, chosen, rejected = _by_pair(features, list(columns))
    return int((np.isnan(chosen).any(axis=1) | np.isnan(rejected).any(axis=1)).sum())


def _wide_frame(chosen: np.ndarray, rejected: np.ndarray, columns: Sequence[str], ids: pd.Index) -> pd.DataFrame:
    data = np.hstack([chosen, rejected])
    names = [f"{f} (c)" for f in columns] + [f"{f} (r)" for f in columns]
    complete = ~np.isnan(data).any(axis=1)
    if not complete.all():
        data, ids = data[complete], ids[complete]
    return pd.DataFrame(data, index=ids, columns=names, copy=False)


def _by_pair(
    features: pd.DataFrame, columns: Sequence[str], codes: np.ndarray | None = None, n: int = 0, transform=None
) -> tuple[pd.Index | None, np.ndarray, np.ndarray]:
    """Pair ids (sorted) and the ``columns`` of each pair's chosen and rejected text as float arrays (NaN where a
    side or a value is missing). Raises on a text given twice or a side other than chosen/rejected.

    With ``codes`` (a pair number per text, 0 ≤ code < ``n``; other codes are left out) the rows are pair numbers
    and no ids are returned. ``transform(column, values)`` rescales a column first (e.g. counts to log2(1 + n)).
    """
    ids = None
    if codes is None:
        codes, ids = pd.factorize(features["pair_id"], sort=True)
        n = len(ids)
    is_chosen = (features["side"] == "chosen").to_numpy(dtype=bool, na_value=False)
    is_rejected = (features["side"] == "rejected").to_numpy(dtype=bool, na_value=False)
    if not (is_chosen | is_rejected).all():
        bad = sorted(set(features.loc[~(is_chosen | is_rejected), "side"].astype(str)))[:3]
        raise SealInputError(f"side must be 'chosen' or 'rejected', got {bad}")
    keep = (codes >= 0) & (codes < n)
    if keep.any() and np.bincount(2 * codes[keep] + is_rejected[keep]).max() > 1:
        raise SealInputError("features have duplicate (pair_id, side) rows; one row per text needed")
    chosen = np.full((n, len(columns)), np.nan)
    rejected = np.full((n, len(columns)), np.nan)
    rows_c, rows_r = np.flatnonzero(keep & is_chosen), np.flatnonzero(keep & is_rejected)
    for j, col in enumerate(columns):  # column by column: no copy of the whole table
        values = features[col].to_numpy(dtype=float, na_value=np.nan)
        if transform is not None:
            values = transform(col, values)
        chosen[codes[rows_c], j] = values[rows_c]
        rejected[codes[rows_r], j] = values[rows_r]
    return (ids.rename("pair_id") if ids is not None else None), chosen, rejected
