"""Offline hub requests fail fast: how long a hub dataset or a hub RM takes to be refused offline, as a ratio to
loading the bundled sample in the same process (the tests check what the error says; this checks how fast).

    HF_HUB_OFFLINE=1 python benchmarks/fail_fast.py

Prints each time (after a first call that pays for imports) and its ratio to the baseline; a refusal that waited on network retries would take seconds, many
times the baseline.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from seal_core.data import load_pairs  # noqa: E402
from seal_core.errors import OfflineError  # noqa: E402
from seal_core.models import load_reward_model  # noqa: E402


def _time(fn) -> float:
    t0 = time.perf_counter()
    try:
        fn()
    except OfflineError:
        pass
    return time.perf_counter() - t0


def main() -> None:
    load_pairs()  # warm imports and the file cache, so the baseline is the load itself
    base = min(_time(load_pairs) for _ in range(3))
    cases = {
        "hub dataset (Anthropic/hh-rlhf)": lambda: load_pairs("Anthropic/hh-rlhf", config="harmless-base"),
        "hub dataset with dots (allenai/reward-bench-2.0)": lambda: load_pairs("allenai/reward-bench-2.0"),
        "hub RM (OpenAssistant/reward-model-deberta-v3-large-v2)": lambda: load_reward_model(
            "OpenAssistant/reward-model-deberta-v3-large-v2"
        ),
    }
    print(f"baseline: load the bundled sample {base * 1000:.1f} ms")
    for name, fn in cases.items():
        first = _time(fn)  # includes importing transformers / datasets the first time
        t = min(_time(fn) for _ in range(3))
        print(f"{name}: first call (with imports) {first * 1000:.0f} ms")
        print(f"{name}: refused in {t * 1000:.1f} ms = {t / base:.2f}x the baseline")


if __name__ == "__main__":
    main()
