"""The app's one memo: shared values, least recently used evicted by size."""

import threading

import numpy as np
import pandas as pd

from seal_core.metrics.ambiguity import triage_queue
from ui.memo import Memo, nbytes


def test_evicts_least_recently_used_beyond_the_budget():
    m = Memo(max_bytes=25_000)
    calls = []

    def make(k):
        calls.append(k)
        return np.zeros(1000)  # 8,000 bytes

    for k in "abc":
        m.get(k, lambda k=k: make(k))
    assert m.keys() == ["a", "b", "c"] and m.size == 24_000
    m.get("a", lambda: make("a again"))  # a hit: nothing computed, a is now the most recent
    m.get("d", lambda: make("d"))  # 32 kB > 25 kB: b (least recently used) goes
    assert m.keys() == ["c", "a", "d"] and m.size == 24_000
    assert calls == ["a", "b", "c", "d"]
    assert m.peek("b") is None and m.peek("c") is not None


def test_a_single_entry_larger_than_the_budget_is_kept_until_the_next():
    m = Memo(max_bytes=100)
    m.get("big", lambda: np.zeros(100))
    assert m.keys() == ["big"]
    m.get("next", lambda: np.zeros(1))
    assert m.keys() == ["next"]


def test_sizes_of_tables_and_typed_results():
    df = pd.DataFrame({"x": np.zeros(1000), "y": np.zeros(1000)})
    assert nbytes(df) >= 16_000
    q = triage_queue(pd.DataFrame({"small_margin": np.zeros(500)}, index=[f"p{i}" for i in range(500)]))
    assert nbytes(q) >= nbytes(q.ranked) > 0
    assert nbytes((df, df)) == 2 * nbytes(df)


def test_concurrent_sessions_share_one_value():
    m = Memo(max_bytes=10**6)
    out = []
    threads = [threading.Thread(target=lambda: out.append(m.get("k", lambda: object()))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(v) for v in out}) == 1 and len(m.keys()) == 1
