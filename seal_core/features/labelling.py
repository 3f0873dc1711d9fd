"""Labelling: the :class:`Featurizer` interface, the on-disk label cache, and :func:`label_pairs`.

Labels are cached on disk by (labeler, version, text hash), so relabelling a dataset only labels new texts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError
from seal_core.features.taxonomy import FeatureSpec
from seal_core.snapshots import MIN_ROWS, Snapshots, snapshot_key
from seal_core.storage import SQLiteStore, fill_cached, text_key

__all__ = ["Featurizer", "LabelCache", "LabelResult", "label_pairs"]


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


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame({"pair_id": pd.Series(dtype=str), "side": pd.Series(dtype=str)})


@dataclass(frozen=True)
class LabelResult:
    """What :func:`label_pairs` returns: the Features table and the texts that could not be labelled.

    Attributes
    ----------
    features : DataFrame
        The Features table, one row per text (``pair_id, side, labeler`` and one column per feature). A text that
        could not be labelled has empty (NaN) features.
    failed : DataFrame
        The rows (``pair_id, side``) of the texts that could not be labelled; empty when every text was. They are
        not cached, so labelling again asks only for these.

    Examples
    --------
    >>> feats = pd.DataFrame({"pair_id": ["a", "a"], "side": ["chosen", "rejected"], "helpful": [1.0, None]})
    >>> res = LabelResult(feats, failed=pd.DataFrame({"pair_id": ["a"], "side": ["rejected"]}))
    >>> res.complete, len(res.failed), res.labelled()["side"].tolist()
    (False, 1, ['chosen'])
    """

    features: pd.DataFrame
    failed: pd.DataFrame = field(default_factory=_no_rows)

    def __post_init__(self) -> None:
        for name in ("features", "failed"):
            table = getattr(self, name)
            if not isinstance(table, pd.DataFrame) or {"pair_id", "side"} - set(table.columns):
                raise SealInputError(f"LabelResult.{name} must be a table with pair_id and side columns")

    @property
    def complete(self) -> bool:
        """True when every text was labelled."""
        return self.failed.empty

    def labelled(self) -> pd.DataFrame:
        """The Features table without the rows of texts that could not be labelled.

        Returns
        -------
        DataFrame
            ``features`` itself when every text was labelled, else a copy without the rows in ``failed``.
        """
        if self.failed.empty:
            return self.features
        rows = pd.MultiIndex.from_frame(self.features[["pair_id", "side"]])
        bad = pd.MultiIndex.from_frame(self.failed[["pair_id", "side"]])
        return self.features[~rows.isin(bad)].reset_index(drop=True)


def label_pairs(
    pairs: pd.DataFrame,
    featurizer: Featurizer,
    *,
    cache: LabelCache | None = None,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    content_key: str | None = None,
) -> LabelResult:
    """Label both sides of every pair; returns the Features table (one row per text) and what failed.

    Each batch is committed to the cache as soon as it is labelled. A text the featurizer could not label (an LLM
    that kept failing) gets empty (NaN) features, is not cached, and is listed in :attr:`LabelResult.failed`; the
    next run asks for it again.

    With a cache, a complete Features table of at least :data:`seal_core.snapshots.MIN_ROWS` pairs is also saved
    whole (:mod:`seal_core.snapshots`); ``content_key`` is the pairs' content hash when the caller has it.

    Examples
    --------
    >>> from seal_core.data import load_pairs
    >>> from seal_core.features import RulesFeaturizer
    >>> res = label_pairs(load_pairs().pairs.head(3), RulesFeaturizer())
    >>> res.features[["pair_id", "side", "labeler"]].shape, sorted(res.features.side.unique()), res.complete
    ((6, 3), ['chosen', 'rejected'], True)
    """
    missing = {"pair_id", "prompt_chosen", "prompt_rejected", "chosen", "rejected"} - set(pairs.columns)
    if missing:
        raise SealInputError(f"the pairs table lacks column(s) {sorted(missing)}; load it with seal_core.load_pairs")

    if cache is None or len(pairs) < MIN_ROWS:
        return _label_pairs(pairs, featurizer, cache=cache, batch_size=batch_size, progress=progress)
    from seal_core.data import content_hash

    built: list[LabelResult] = []

    def build() -> pd.DataFrame:
        built.append(_label_pairs(pairs, featurizer, cache=cache, batch_size=batch_size, progress=progress))
        return built[0].features

    key = snapshot_key("features", content_key or content_hash(pairs), featurizer.key)
    table = Snapshots(cache.path.parent / "snapshots").get_or_build(key, build, keep=lambda _: built[0].complete)
    return built[0] if built else LabelResult(table)  # a snapshot is only ever saved when every text was labelled


def _label_pairs(pairs, featurizer, *, cache, batch_size, progress) -> LabelResult:
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
    if not failed:
        return LabelResult(out)
    failed_keys = set(failed)
    bad = np.array([k in failed_keys for k in keys])
    return LabelResult(out, failed=out.loc[bad, ["pair_id", "side"]].reset_index(drop=True))


def _isnan(v) -> bool:
    return isinstance(v, float) and v != v
