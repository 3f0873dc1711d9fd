"""Labels in and out: read a Features table, import SEAL's taxonomy export, compare two labelers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError
from seal_core.features.taxonomy import SEAL_KEYS, code_value, regression_columns
from seal_core.table_io import read_table

__all__ = ["ImportedLabels", "import_seal_labels", "labeler_agreement", "read_features"]


def read_features(path: str | Path, *, labeler: str | None = None) -> pd.DataFrame:
    """Read a Features table (``seal label --out``); one labeler's rows.

    SEAL taxonomy files (``row_id, preference, <keys>``) need the pairs to join on: use :func:`import_seal_labels`.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "features.csv"
    >>> pd.DataFrame({"pair_id": ["a", "a"], "side": ["chosen", "rejected"], "labeler": "rules@1",
    ...               "response_hedges": [1, 0]}).to_csv(path, index=False)
    >>> read_features(path).shape
    (2, 4)
    """
    path = Path(path)
    df = read_table(path, what="features file", dtype={"pair_id": str})
    if {"row_id", "preference"} <= set(df.columns) and "pair_id" not in df.columns:
        raise SealInputError(
            f"{path.name} is a SEAL taxonomy file (row_id, preference, …): import it against its dataset with "
            "import_seal_labels(file, pairs) (or the app's Imprint page), which joins on (row_id, preference)"
        )
    need = {"pair_id", "side"}
    if need - set(df.columns):
        raise SealInputError(f"{path.name} lacks column(s) {sorted(need - set(df.columns))}; is it a Features table?")
    if labeler is not None:
        if "labeler" not in df.columns or labeler not in set(df["labeler"]):
            raise SealInputError(f"{path.name} has no rows of labeler {labeler!r}")
        df = df[df["labeler"] == labeler]
    elif "labeler" in df.columns and df["labeler"].nunique() > 1:
        raise SealInputError(
            f"{path.name} holds labelers {sorted(df['labeler'].unique())}; choose one (labeler=...)", option="labeler"
        )
    return df.reset_index(drop=True)


@dataclass(frozen=True)
class ImportedLabels:
    """What :func:`import_seal_labels` returns.

    Attributes
    ----------
    features : DataFrame
        The Features table (``pair_id, side, labeler`` and the label keys the file has).
    unmatched : int
        Rows of the file that match no pair of the dataset (dropped).
    """

    features: pd.DataFrame
    unmatched: int = 0


def import_seal_labels(path: str | Path, pairs: pd.DataFrame, *, labeler: str | None = None) -> ImportedLabels:
    """Import labels in SEAL's taxonomy format (``row_id, preference, <keys>``) as a Features table.

    Rows are joined to ``pairs`` on (``row_id``, ``preference``) → (``pair_id``, ``side``), never by position.
    Rows that match no pair are dropped and counted in :attr:`ImportedLabels.unmatched`.

    Examples
    --------
    >>> import tempfile
    >>> pairs = pd.DataFrame({"row_id": [0, 1], "pair_id": ["p0", "p1"]})
    >>> path = Path(tempfile.mkdtemp()) / "taxonomy.csv"
    >>> pd.DataFrame({"row_id": [1, 0, 7], "preference": ["chosen", "rejected", "chosen"],
    ...               "last_response_is_helpful": [True, False, True]}).to_csv(path, index=False)
    >>> out = import_seal_labels(path, pairs)
    >>> out.features[["pair_id", "side", "last_response_is_helpful"]].values.tolist(), out.unmatched
    ([['p1', 'chosen', 1], ['p0', 'rejected', 0]], 1)
    """
    path = Path(path)
    df = read_table(path, what="labels file")
    need = {"row_id", "preference"}
    if need - set(df.columns):
        raise SealInputError(
            f"{path.name} lacks column(s) {sorted(need - set(df.columns))}: SEAL taxonomy files have row_id, "
            "preference (chosen/rejected) and the label keys"
        )
    keys = [k for k in SEAL_KEYS if k in df.columns]
    if not keys:
        raise SealInputError(f"{path.name} has none of SEAL's label keys (e.g. last_response_is_helpful)")
    bad_pref = set(df["preference"].astype(str).str.lower()) - {"chosen", "rejected", "1", "0"}
    if bad_pref:
        raise SealInputError(f"{path.name}: preference must be chosen/rejected (or 1/0), found {len(bad_pref)} other "
                             "value(s)")  # fmt: skip
    side = df["preference"].astype(str).str.lower().map({"chosen": "chosen", "1": "chosen", "rejected": "rejected",
                                                         "0": "rejected"})  # fmt: skip
    out = pd.DataFrame({"row_id": pd.to_numeric(df["row_id"], errors="coerce"), "side": side})
    for k in keys:
        try:
            out[k] = [code_value(v, SEAL_KEYS[k]) for v in df[k]]
        except SealInputError as e:
            raise SealInputError(f"{path.name} column {k}: {e}") from None
    ids = pairs[["row_id", "pair_id"]]
    merged = out.merge(ids, on="row_id", how="inner")
    dup = merged.duplicated(["pair_id", "side"])
    if dup.any():
        raise SealInputError(f"{path.name}: {int(dup.sum())} duplicate (row_id, preference) rows")
    merged.insert(2, "labeler", labeler or f"import:{path.name}")
    result = merged[["pair_id", "side", "labeler", *keys]].reset_index(drop=True)
    return ImportedLabels(result, unmatched=int(len(out) - len(merged)))


def labeler_agreement(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Per shared feature: agreement, Cohen's κ and each labeler's prevalence, joined on (pair_id, side).

    (SEAL's notebook compared two labelers' rows by position, after one was reordered: see seal-method.md §3.3.)

    Examples
    --------
    >>> a = pd.DataFrame({"pair_id": ["1", "1", "2", "2"], "side": ["chosen", "rejected"] * 2, "x": [1, 0, 1, 1]})
    >>> b = a.iloc[::-1].assign(x=[1, 1, 0, 1])  # the same labels in another row order
    >>> labeler_agreement(a, b)[["feature", "n", "agreement"]].to_dict("records")  # by position it would be 0.5
    [{'feature': 'x', 'n': 4, 'agreement': 1.0}]
    """
    from sklearn.metrics import cohen_kappa_score

    shared = [c for c in regression_columns(a) if c in set(regression_columns(b))]
    if not shared:
        raise SealInputError("the two labelers share no feature columns to compare")
    m = a[["pair_id", "side", *shared]].merge(b[["pair_id", "side", *shared]], on=["pair_id", "side"],
                                              suffixes=("_a", "_b"))  # fmt: skip
    rows = []
    for f in shared:
        both = m[[f"{f}_a", f"{f}_b"]].dropna()
        x, y = both[f"{f}_a"].to_numpy(), both[f"{f}_b"].to_numpy()
        same = float((x == y).mean()) if len(x) else float("nan")
        kappa = float(cohen_kappa_score(x, y)) if len(x) and len(set(x) | set(y)) > 1 else float("nan")
        rows.append({"feature": f, "n": len(x), "agreement": same, "kappa": kappa,
                     "prevalence_a": float(np.mean(x)) if len(x) else float("nan"),
                     "prevalence_b": float(np.mean(y)) if len(y) else float("nan")})  # fmt: skip
    return pd.DataFrame(rows)
