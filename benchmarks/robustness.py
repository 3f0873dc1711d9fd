"""Robustness suite cost: perturbation + re-scoring, and the similarity gate, as ratios to plain scoring.

In one process, with the built-in post-D RM on the first --pairs pairs of the bundled sample (caches off, so every
text is encoded):
  (a) plain scoring of the original pairs (2 texts per pair)
  (b) perturbing the same pairs (typos) and scoring them: the suite's work per perturbation
  (c) the similarity gate on the same pairs: embedding originals and perturbed responses and their cosines

    python benchmarks/robustness.py [--pairs 300]
"""

from __future__ import annotations

import argparse
import time

from seal_core.data import load_pairs
from seal_core.models import POST_NAME, BTRewardModel, RewardModelConfig
from seal_core.models.encoder import Encoder
from seal_core.perturb import perturb_pairs, similarity
from seal_core.scoring import score_pairs


def fresh_encoder() -> Encoder:
    enc = Encoder.shared()
    enc._cache.clear()  # time real encoder work, not cache hits
    return enc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=300)
    args = ap.parse_args()
    pairs = load_pairs().pairs.head(args.pairs)
    rm = BTRewardModel(RewardModelConfig(POST_NAME))
    fresh_encoder()
    t0 = time.perf_counter()
    score_pairs(pairs, rm)
    plain = time.perf_counter() - t0
    fresh_encoder()
    t0 = time.perf_counter()
    score_pairs(perturb_pairs(pairs, "typos", seed=0), rm)
    suite = time.perf_counter() - t0
    pert = perturb_pairs(pairs, "typos", seed=1)
    fresh_encoder()
    t0 = time.perf_counter()
    similarity(
        pairs["chosen"].tolist() + pairs["rejected"].tolist(), pert["chosen"].tolist() + pert["rejected"].tolist()
    )
    gate = time.perf_counter() - t0
    n = 2 * len(pairs)
    print(f"{len(pairs)} pairs ({n} texts), built-in post-D RM, 2-core CPU, caches cleared before each step")
    print(f"(a) plain scoring            {n / plain:7.1f} texts/s  ({plain:.2f} s)")
    print(
        f"(b) perturb + re-score       {n / suite:7.1f} texts/s  ({suite:.2f} s)   ratio to (a): {suite / plain:.2f}x time"
    )
    print(
        f"(c) similarity gate          {n / gate:7.1f} texts/s  ({gate:.2f} s)   ratio to (a): {gate / plain:.2f}x time"
    )


if __name__ == "__main__":
    main()
