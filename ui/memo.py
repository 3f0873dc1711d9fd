"""One in-process memo for the app: least recently used entries are evicted once the entries' size passes a budget."""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

import numpy as np
import pandas as pd

T = TypeVar("T")


def nbytes(obj) -> int:
    """Approximate memory held by a table, an array, a typed result (its fields) or a container of them.

    Examples
    --------
    >>> nbytes(np.zeros(1000))
    8000
    >>> nbytes({"a": np.zeros(10), "b": pd.Series(np.zeros(10))}) >= 160
    True
    """
    if isinstance(obj, pd.DataFrame | pd.Series | pd.Index):
        usage = obj.memory_usage(index=True, deep=False) if not isinstance(obj, pd.Index) else obj.memory_usage()
        return int(np.sum(usage))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return sum(nbytes(getattr(obj, f.name)) for f in dataclasses.fields(obj))
    if isinstance(obj, dict):
        return sum(nbytes(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return sum(nbytes(v) for v in obj)
    return sys.getsizeof(obj)


class Memo:
    """Values by key, shared by all sessions; over ``max_bytes`` the least recently used entries go first.

    The value is computed outside the lock (a slow computation does not block other sessions); if two sessions
    compute the same key at once, the first result stored wins.

    Examples
    --------
    >>> m = Memo(max_bytes=20_000)
    >>> a = m.get("a", lambda: np.zeros(1000))  # 8 kB
    >>> b = m.get("b", lambda: np.zeros(1000))
    >>> _ = m.get("a", lambda: None)  # a is now the most recently used
    >>> c = m.get("c", lambda: np.zeros(1000))  # 24 kB > 20 kB: b goes
    >>> sorted(m.keys()), m.size
    (['a', 'c'], 16000)
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._store: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.size = 0

    def keys(self) -> list:
        with self._lock:
            return list(self._store)

    def peek(self, key: Hashable):
        """The value if present (marking it recently used), else None; computes nothing."""
        with self._lock:
            if key in self._store:
                self._store.move_to_end(key)
                return self._store[key][0]
        return None

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value for ``key``, computed by ``compute()`` on a miss."""
        with self._lock:
            if key in self._store:
                self._store.move_to_end(key)
                return self._store[key][0]
        value = compute()
        size = nbytes(value)
        with self._lock:
            if key in self._store:
                return self._store[key][0]
            self._store[key] = (value, size)
            self.size += size
            while self.size > self.max_bytes and len(self._store) > 1:
                _, (_, freed) = self._store.popitem(last=False)
                self.size -= freed
        return value

    def clear(self) -> None:
        with self._lock:
            self._store.clear()
            self.size = 0
