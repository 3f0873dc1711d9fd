"""One SQLite file per store (scores, labels, reviews): WAL, a connection per thread, clear errors."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from seal_core.errors import SealInputError


class SQLiteStore:
    """Base for the on-disk stores. WAL lets readers and one writer work at once; every commit is atomic, so a
    killed process never leaves half a write. ``synchronous`` NORMAL keeps commits across a process crash; FULL
    also across a power loss."""

    what = "store"
    default_name = "store.sqlite"
    synchronous = "NORMAL"
    schema: Sequence[str] = ()

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        from seal_core.scoring import default_cache_dir

        self.path = Path(path) if path is not None else default_cache_dir() / self.default_name
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise SealInputError(f"cannot create the folder {self.path.parent}: {e}. Set SEAL_CACHE_DIR.") from None
        self._local = threading.local()
        with self._conn() as con:
            for statement in self.schema:
                con.execute(statement)

    def _conn(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            try:
                con = sqlite3.connect(self.path, timeout=60)
                con.execute("PRAGMA journal_mode=WAL")
                con.execute(f"PRAGMA synchronous={self.synchronous}")
            except sqlite3.DatabaseError as e:
                raise SealInputError(
                    f"the {self.what} {self.path} cannot be opened ({e}); move it aside or set SEAL_CACHE_DIR"
                ) from None
            self._local.con = con
        return con

    def integrity_ok(self) -> bool:
        return self._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None
