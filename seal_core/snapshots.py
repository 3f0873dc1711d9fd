"""Whole-table snapshots: a large Pairs, Scores or Features table saved once as Parquet and read back whole.

The score and label caches are keyed per text, which makes them exact and resumable, but reading 321,600 texts'
scores back one key at a time takes seconds. Once a large table has been built completely (every text scored or
labelled), it is also written here under a key naming everything it depends on (the data's content hash or the
file's identity, the model's or labeler's cache key), so the next request for the same table reads one Parquet
file. A snapshot is only ever written from a complete result and only read for the identical key, so it never
changes a number; the per-text caches stay the source of truth. Writes are atomic; the folder keeps its total under
``SEAL_SNAPSHOT_MB`` (default 4096) by removing the least recently used files.

Tables smaller than :data:`MIN_ROWS` are not snapshotted: their per-text lookups are already fast.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from seal_core.storage import atomic_write, default_cache_dir

__all__ = ["MIN_ROWS", "Snapshots", "snapshot_key"]

MIN_ROWS = 20_000


def snapshot_key(kind: str, *parts: object) -> str:
    """A file-safe key for a table of ``kind`` that depends on ``parts``.

    Examples
    --------
    >>> snapshot_key("scores", "abc", "model@rev") == snapshot_key("scores", "abc", "model@rev")
    True
    >>> snapshot_key("scores", "abc", "m1") != snapshot_key("scores", "abc", "m2")
    True
    """
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"{kind}-{digest}"


class Snapshots:
    """A folder of Parquet snapshots (by default ``<cache dir>/snapshots``).

    Examples
    --------
    >>> import tempfile
    >>> snaps = Snapshots(tempfile.mkdtemp())
    >>> snaps.get("scores-x") is None
    True
    >>> snaps.put("scores-x", pd.DataFrame({"a": [1, 2]}))
    >>> snaps.get("scores-x")["a"].tolist()
    [1, 2]
    """

    def __init__(self, folder: str | os.PathLike | None = None, *, max_mb: float | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir() / "snapshots"
        self.max_bytes = int(float(max_mb if max_mb is not None else os.environ.get("SEAL_SNAPSHOT_MB", 4096)) * 2**20)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.parquet"

    def get(self, key: str) -> pd.DataFrame | None:
        """The snapshot under ``key``, or None (also when the file cannot be read: it is then removed)."""
        hit = self.get_with_meta(key)
        return None if hit is None else hit[0]

    def get_with_meta(self, key: str) -> tuple[pd.DataFrame, dict] | None:
        """The snapshot under ``key`` and the ``meta`` it was saved with, or None."""
        import pyarrow.parquet as pq

        path = self._path(key)
        if not path.is_file():
            return None
        try:
            arrow = pq.read_table(path)
            meta = json.loads((arrow.schema.metadata or {}).get(b"seal", b"{}"))
            table = arrow.to_pandas()
        except (OSError, ValueError):  # a damaged snapshot is only a cache miss: drop it, the caller rebuilds it
            path.unlink(missing_ok=True)
            return None
        os.utime(path)  # recently used
        return table, meta

    def get_or_build(
        self,
        key: str,
        build: Callable[[], pd.DataFrame],
        *,
        valid: Callable[[pd.DataFrame], bool] | None = None,
        keep: Callable[[pd.DataFrame], bool] | None = None,
    ) -> pd.DataFrame:
        """The snapshot under ``key``, or else ``build()``, saved under ``key`` when it is complete.

        Parameters
        ----------
        key : str
            From :func:`snapshot_key`.
        build : callable
            Builds the table from the per-text caches (the source of truth).
        valid : callable, optional
            A hit is used only when ``valid(table)`` (e.g. its columns are the current ones); otherwise it is rebuilt.
        keep : callable, optional
            A built table is saved only when ``keep(table)`` (e.g. no text failed).

        Returns
        -------
        DataFrame
            The snapshot, or the table ``build`` returned.

        Examples
        --------
        >>> import tempfile
        >>> snaps, calls = Snapshots(tempfile.mkdtemp()), []
        >>> def build():
        ...     calls.append(1)
        ...     return pd.DataFrame({"a": [1, 2]})
        >>> snaps.get_or_build("t-1", build)["a"].tolist(), snaps.get_or_build("t-1", build)["a"].tolist(), len(calls)
        ([1, 2], [1, 2], 1)
        >>> _ = snaps.get_or_build("t-1", build, valid=lambda t: "b" in t)  # stale columns: rebuilt
        >>> len(calls)
        2
        """
        hit = self.get(key)
        if hit is not None and (valid is None or valid(hit)):
            return hit
        table = build()
        if keep is None or keep(table):
            self.put(key, table)
        return table

    def put(self, key: str, table: pd.DataFrame, meta: dict | None = None) -> None:
        """Save ``table`` (and a JSON-able ``meta``) under ``key`` atomically, then trim the folder to its limit."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrow = pa.Table.from_pandas(table, preserve_index=False)
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), b"seal": json.dumps(meta or {})})
        try:
            atomic_write(self._path(key), lambda tmp: pq.write_table(arrow, tmp))
        except OSError:  # a full or read-only disk costs speed, not correctness
            return
        self._trim()

    def _trim(self) -> None:
        files = sorted(self.folder.glob("*.parquet"), key=lambda p: p.stat().st_mtime, reverse=True)
        total = 0
        for path in files:
            total += path.stat().st_size
            if total > self.max_bytes:
                path.unlink(missing_ok=True)
