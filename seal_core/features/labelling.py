"""Labelling: the :class:`Featurizer` interface, the on-disk label cache, and :func:`label_pairs`.

Labels are cached on disk by (labeler, version, text hash), so relabelling a dataset only labels new texts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError
from seal_core.features.taxonomy import FeatureSpec
from seal_core.snapshots import MIN_ROWS, Snapshots, snapshot_key
from seal_core.storage import SQLiteStore, fill_cached, text_key

__all__ = ["Featurizer", "LabelCache", "label_pairs"]


class Featurizer:
    """Labels (prompt, response) texts; subclasses set ``name``, ``version``, ``specs`` and implement ``_label``."""

    name: str = ""
    version: str = "1"
    specs: dict[str, FeatureSpec] = {}

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    def _label(self, prompts: list[str], responses: list[str]) -> pd.DataFrame:
        raise NotImplementedError


class LabelCache(SQLiteStore):
    """Feature labels on disk (SQLite, WAL): one JSON object per (labeler key, text hash); each batch one commit."""

    what = "label cache"
    default_name = "labels.sqlite"
    schema = (
        "CREATE TABLE IF NOT EXISTS labels (labeler TEXT NOT NULL, text_key TEXT NOT NULL, "
        "labels TEXT NOT NULL, PRIMARY KEY (labeler, text_key)) WITHOUT ROWID",
    )

    def get_many(self, labeler: str, keys: Sequence[str]) -> dict[str, dict]:
        out = {}
        keys = list(dict.fromkeys(keys))
        con = self._conn()
        for i in range(0, len(keys), 900):
            chunk = keys[i : i + 900]
            q = f"SELECT text_key, labels FROM labels WHERE labeler = ? AND text_key IN ({','.join('?' * len(chunk))})"
            for k, v in con.execute(q, [labeler, *chunk]):
                out[k] = json.loads(v)
        return out

    def put_many(self, labeler: str, items: dict[str, dict]) -> None:
        con = self._conn()
        with con:
            con.executemany(
                "INSERT OR REPLACE INTO labels VALUES (?, ?, ?)",
                [(labeler, k, json.dumps(v, sort_keys=True)) for k, v in items.items()],
            )


def _clean(value):
    if isinstance(value, np.integer | np.bool_):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def label_pairs(
    pairs: pd.DataFrame,
    featurizer: Featurizer,
    *,
    cache: LabelCache | None = None,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    content_key: str | None = None,
) -> pd.DataFrame:
    """Label both sides of every pair; returns the Features table (one row per text).

    Each batch is committed to the cache as soon as it is labelled. A text the featurizer could not label (an LLM
    that kept failing) gets empty (NaN) features, is not cached, and is listed in ``result.attrs["failed"]``; the
    next run asks for it again.

    With a cache, a complete Features table of at least :data:`seal_core.snapshots.MIN_ROWS` pairs is also saved
    whole (:mod:`seal_core.snapshots`); ``content_key`` is the pairs' content hash when the caller has it.

    Examples
    --------
    >>> from seal_core.data import load_pairs
    >>> from seal_core.features import RulesFeaturizer
    >>> feats = label_pairs(load_pairs().pairs.head(3), RulesFeaturizer())
    >>> feats[["pair_id", "side", "labeler"]].shape, sorted(feats.side.unique())
    ((6, 3), ['chosen', 'rejected'])
    """
    missing = {"pair_id", "prompt_chosen", "prompt_rejected", "chosen", "rejected"} - set(pairs.columns)
    if missing:
        raise SealInputError(f"the pairs table lacks column(s) {sorted(missing)}; load it with seal_core.load_pairs")
    snaps, snap_key = None, None
    if cache is not None and len(pairs) >= MIN_ROWS:
        from seal_core.data import content_hash

        snaps = Snapshots(cache.path.parent / "snapshots")
        snap_key = snapshot_key("features", content_key or content_hash(pairs), featurizer.key)
        if (hit := snaps.get(snap_key)) is not None:
            hit.attrs["failed"] = []
            return hit
    out = _label_pairs(pairs, featurizer, cache=cache, batch_size=batch_size, progress=progress)
    if snaps is not None and not out.attrs["failed"]:
        snaps.put(snap_key, out)
    return out


def _label_pairs(pairs, featurizer, *, cache, batch_size, progress) -> pd.DataFrame:
    prompts = pairs["prompt_chosen"].tolist() + pairs["prompt_rejected"].tolist()
    responses = pairs["chosen"].tolist() + pairs["rejected"].tolist()
    keys = [text_key(p, r) for p, r in zip(prompts, responses)]
    unique = dict(zip(keys, zip(prompts, responses)))
    failed: list[str] = []

    def label(chunk: list[str], texts: list[tuple[str, str]]) -> dict[str, dict]:
        labels = featurizer._label([p for p, _ in texts], [r for _, r in texts])
        new = {}
        for k, row in zip(chunk, labels.to_dict("records")):
            if row.get("__failed__") is True:
                failed.append(k)
                continue
            new[k] = {c: _clean(v) for c, v in row.items() if c != "__failed__" and not _isnan(v)}
        return new

    found = fill_cached(
        unique,
        label,
        lookup=(lambda ks: cache.get_many(featurizer.key, ks)) if cache is not None else None,
        save=(lambda new: cache.put_many(featurizer.key, new)) if cache is not None else None,
        batch_size=batch_size or getattr(featurizer, "batch_size", None) or 256,
        progress=progress,
    )
    n = len(pairs)
    table = pd.DataFrame([found.get(k, {}) for k in keys], columns=list(featurizer.specs) or None)
    head = pd.DataFrame({
        "pair_id": np.concatenate([pairs["pair_id"].to_numpy()] * 2),
        "side": ["chosen"] * n + ["rejected"] * n,
        "labeler": featurizer.key,
    })  # fmt: skip
    out = pd.concat([head, table.reset_index(drop=True)], axis=1)
    out.attrs["failed"] = failed
    return out


def _isnan(v) -> bool:
    return isinstance(v, float) and v != v
