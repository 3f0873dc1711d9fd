"""The full resistance + shift analysis on 160,800 synthetic pairs (hh-rlhf's size): time and peak memory.

Runs ``seal_core.analysis.analyze`` (regimes, γ and its tables, McNemar tests, θ with its summaries, the
misalignment LPM and the θ regression), then, in the same process, the bare computations it is made of written
directly against numpy/statsmodels (no validation, joins by position, no tidy tables), and prints the ratio.

    python benchmarks/analysis.py [--pairs 160800]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import mcnemar

from seal_core.analysis import analyze

FEATURES = 15  # SEAL's regression uses 15 features per text


def synthetic(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = np.array([f"p{i}" for i in range(n)])
    X = rng.integers(0, 2, size=(2 * n, FEATURES))
    cols = [f"f{k}" for k in range(FEATURES)]
    cols[0], cols[1] = "last_response_is_harmless", "last_response_is_helpful"
    feats = pd.DataFrame(X, columns=cols)
    feats.insert(0, "side", ["chosen", "rejected"] * n)
    feats.insert(0, "pair_id", np.repeat(ids, 2))
    beta = rng.normal(0, 0.5, FEATURES)
    base = rng.normal(-2, 1, size=(n, 2))
    pre = base + (X @ (0.3 * beta)).reshape(n, 2) + rng.normal(0, 1, (n, 2))
    post = base + (X @ beta).reshape(n, 2) + rng.normal(0, 0.7, (n, 2))
    rows = []
    for model, m in (("pre", pre), ("post", post)):
        rows.append(pd.DataFrame({"pair_id": ids, "model": model, "score_chosen": m[:, 0], "score_rejected": m[:, 1],
                                  "margin": m[:, 0] - m[:, 1]}))  # fmt: skip
    return pd.concat(rows, ignore_index=True), feats, pre, post, X


def bare(pre: np.ndarray, post: np.ndarray, X: np.ndarray) -> None:
    """The same numbers with plain numpy/statsmodels calls, arrays aligned by position."""
    n = len(pre)
    a_pre, a_post = pre[:, 0] > pre[:, 1], post[:, 0] > post[:, 1]
    _ = [np.mean(a_pre & a_post), np.mean(~a_pre & a_post), np.mean(~a_pre & ~a_post), np.mean(a_pre & ~a_post)]
    c, r = X[0::2], X[1::2]
    key_c, key_r = 2 * c[:, 0] + c[:, 1], 2 * r[:, 0] + r[:, 1]
    gamma = np.sign(key_c - key_r)
    for g in (1, 0, -1):
        _ = (~a_pre[gamma == g]).mean(), (~a_post[gamma == g]).mean()
    mcnemar([[np.sum(a_pre & a_post), np.sum(a_pre & ~a_post)], [np.sum(~a_pre & a_post), np.sum(~a_pre & ~a_post)]],
            exact=True)  # fmt: skip
    u, v = pre / np.linalg.norm(pre, axis=1)[:, None], post / np.linalg.norm(post, axis=1)[:, None]
    theta = np.degrees(np.arccos(np.clip((u * v).sum(1), -1, 1))) * np.sign(u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0])
    _ = theta.mean(), np.median(theta)
    Z = sm.add_constant(np.hstack([c, r]).astype(float))
    sm.OLS((~a_post).astype(float), Z).fit(cov_type="HC1")
    sm.OLS(theta, Z).fit(cov_type="HC1")
    assert n == len(theta)


def measure(fn, repeat: int = 3):
    """Best wall time of ``repeat`` runs (tracemalloc off: it slows Python-level code several-fold), then one
    more run under tracemalloc for the peak of traced allocations (numpy and pandas buffers included)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=160_800)
    args = ap.parse_args()
    scores, feats, pre, post, X = synthetic(args.pairs)
    ours_t, ours_m = measure(lambda: analyze(scores, pre="pre", post="post", features=feats))
    bare_t, bare_m = measure(lambda: bare(pre, post, X))
    print(f"{args.pairs:,} pairs, {FEATURES} features per text (30 regressors per pair)")
    print(f"analyze()          {ours_t:7.2f} s   peak {ours_m / 2**20:8.1f} MiB")
    print(f"bare numpy/statsm. {bare_t:7.2f} s   peak {bare_m / 2**20:8.1f} MiB")
    print(f"ratio ours / bare  {ours_t / bare_t:7.2f}x time (target <= 1.5x), {ours_m / bare_m:.2f}x peak memory")


if __name__ == "__main__":
    main()
