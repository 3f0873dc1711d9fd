"""Storage shared by every layer: cache paths, text hashing, atomic writes, and the SQLite base of the stores.

Everything here depends only on the standard library, pandas and :mod:`seal_core.errors`, so any module may use it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import pandas as pd

from seal_core.errors import SealInputError

__all__ = [
    "DATA_FILES",
    "SQLiteStore",
    "TABLE_SUFFIXES",
    "atomic_write",
    "check_table_path",
    "default_cache_dir",
    "fill_cached",
    "text_key",
    "write_table",
]

DATA_FILES = Path(__file__).parent / "data_files"  # files shipped with the package (sample, seeds, heads)
TABLE_SUFFIXES = (".parquet", ".csv")


def default_cache_dir() -> Path:
    """``$SEAL_CACHE_DIR``, else ``$XDG_CACHE_HOME/seal-explorer``, else ``~/.cache/seal-explorer``.

    Examples
    --------
    >>> import os
    >>> default_cache_dir() == Path(os.environ["SEAL_CACHE_DIR"])  # the doctests run with a throwaway cache
    True
    """
    if os.environ.get("SEAL_CACHE_DIR"):
        return Path(os.environ["SEAL_CACHE_DIR"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "seal-explorer"


def text_key(prompt: str, response: str) -> str:
    """Content hash of one (prompt, response) text: the per-text key of the score and label caches.

    Examples
    --------
    >>> text_key("\\n\\nHuman: hi\\n\\n", "hello") == text_key("\\n\\nHuman: hi\\n\\n", "hello")
    True
    >>> text_key("ab", "c") == text_key("a", "bc")  # the separator keeps the two parts apart
    False
    """
    return hashlib.blake2b(f"{prompt}\x1e{response}".encode(), digest_size=16).hexdigest()


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Write ``path`` through ``write(tmp)`` on a temporary file next to it, then rename it into place.

    A reader never sees half a file, and a failed or killed write leaves the old file as it was.

    Examples
    --------
    >>> import tempfile
    >>> out = atomic_write(Path(tempfile.mkdtemp()) / "sub" / "note.txt", lambda tmp: tmp.write_text("hello"))
    >>> out.read_text(), sorted(p.name for p in out.parent.iterdir())
    ('hello', ['note.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def check_table_path(path: str | os.PathLike, what: str = "table") -> Path:
    """Check that ``path`` names a ``.parquet`` or ``.csv`` file; return it as a Path.

    Examples
    --------
    >>> check_table_path("scores.csv").name
    'scores.csv'
    >>> check_table_path("scores.xlsx")
    Traceback (most recent call last):
    ...
    seal_core.errors.SealInputError: cannot write the table to 'scores.xlsx': use a .parquet or .csv file name
    """
    path = Path(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise SealInputError(f"cannot write the {what} to {path.name!r}: use a .parquet or .csv file name")
    return path


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table (Scores, Features, imprint …) to ``.parquet`` or ``.csv`` atomically (temp file, then rename).

    Examples
    --------
    >>> import tempfile
    >>> out = write_table(pd.DataFrame({"a": [1, 2]}), Path(tempfile.mkdtemp()) / "t.csv")
    >>> out.read_text()
    'a\\n1\\n2\\n'
    """
    path = check_table_path(path)
    if path.suffix.lower() == ".parquet":
        return atomic_write(path, lambda tmp: table.to_parquet(tmp, index=False))
    return atomic_write(path, lambda tmp: table.to_csv(tmp, index=False))


K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
V = TypeVar("V")


def fill_cached(
    items: Mapping[K, T],
    compute: Callable[[list[K], list[T]], Mapping[K, V]],
    *,
    lookup: Callable[[list[K]], Mapping[K, V]] | None = None,
    save: Callable[[dict[K, V]], None] | None = None,
    batch_size: int,
    progress: Callable[[int, int], None] | None = None,
    order: Callable[[T], object] | None = None,
    plan: Callable[[list[T]], list[list[int]]] | None = None,
) -> dict[K, V]:
    """The cache loop of scoring and labelling: look up, compute the rest in batches, commit each batch at once.

    ``items`` maps content keys (already de-duplicated) to inputs. ``lookup(keys)`` returns the cached values;
    the others are sorted by ``order`` (if given), computed ``batch_size`` at a time by ``compute(keys, inputs)``,
    and each batch is passed to ``save`` as soon as it is computed, so an interrupted run keeps every finished batch.
    ``compute`` may leave out keys it could not compute: they are neither saved nor returned. ``progress(done,
    total)`` is called before the first batch and after each one. ``plan(inputs)``, if given, returns the batches
    (lists of positions in ``inputs``) instead of ``order`` and ``batch_size`` (e.g. batches by a token budget).

    Returns
    -------
    dict
        Key → value, for every key cached or computed.

    Examples
    --------
    >>> store = {"a": 1}
    >>> fill_cached({"a": "x", "b": "yy", "c": "zzz"}, lambda ks, xs: {k: len(x) for k, x in zip(ks, xs)},
    ...             lookup=lambda ks: {k: store[k] for k in ks if k in store}, save=store.update, batch_size=1)
    {'a': 1, 'b': 2, 'c': 3}
    >>> store
    {'a': 1, 'b': 2, 'c': 3}
    """
    found: dict[K, V] = dict(lookup(list(items))) if lookup is not None else {}
    todo = [k for k in items if k not in found]
    if order is not None:
        todo.sort(key=lambda k: order(items[k]))
    total, done = len(todo), 0
    if progress:
        progress(0, total)
    if plan is not None:
        batches = [[todo[i] for i in b] for b in plan([items[k] for k in todo])]
    else:
        batches = [todo[start : start + batch_size] for start in range(0, total, batch_size)]
    for chunk in batches:
        new = dict(compute(chunk, [items[k] for k in chunk]))
        if save is not None and new:
            save(new)
        found.update(new)
        done += len(chunk)
        if progress:
            progress(done, total)
    return found


class SQLiteStore:
    """Base for the on-disk stores. WAL lets readers and one writer work at once; every commit is atomic, so a
    killed process never leaves half a write. ``synchronous`` NORMAL keeps commits across a process crash; FULL
    also across a power loss."""

    what = "store"
    default_name = "store.sqlite"
    synchronous = "NORMAL"
    schema: Sequence[str] = ()

    def __init__(self, path: str | os.PathLike | None = None) -> None:
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
