"""Helpers shared by the typed results: JSON-ready conversion and records keyed by a column."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd


def jsonable(obj):
    """JSON-safe: numpy scalars to Python, NaN/inf to None, tables to lists of records, results to dicts."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return obj.to_dict() if hasattr(obj, "to_dict") else jsonable(dataclasses.asdict(obj))
    if isinstance(obj, pd.DataFrame):
        return jsonable(obj.to_dict("records"))
    if isinstance(obj, pd.Series):
        return jsonable(obj.to_dict())
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


def records(df: pd.DataFrame, key: str) -> dict:
    """``{row[key]: the rest of the row}`` for a table with one row per ``key``."""
    return {r[key]: {k: v for k, v in r.items() if k != key} for r in df.to_dict("records")}
