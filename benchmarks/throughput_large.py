"""Measure CPU scoring throughput of a DeBERTa-v3-large-sized reward model (random weights, built here).

SEAL's RMs (OpenAssistant/reward-model-deberta-v3-large[-v2]) are DeBERTa-v2 architecture, hidden 1024, 24 layers,
16 heads, FFN 4096. This builds that shape with random weights (no download) and times ``score_pairs`` on the first
--pairs pairs of the bundled sample, then writes the measurement to seal_core/data_files/throughput.json, which the
"Reproduce SEAL" preset uses to estimate how long scoring hh-rlhf would take here.

    python benchmarks/throughput_large.py [--pairs 24] [--precision int8]   (int8: printed, not written)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import date
from pathlib import Path

import torch

from seal_core.data import load_pairs
from seal_core.models import load_reward_model
from seal_core.scoring import score_pairs
from seal_core.testing import build_tiny_pair_rm

OUT = Path(__file__).resolve().parents[1] / "seal_core" / "data_files" / "throughput.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=24)
    ap.add_argument("--precision", default="float32", choices=["float32", "int8"])
    args = ap.parse_args()
    path = build_tiny_pair_rm(tempfile.mkdtemp(), hidden_size=1024, num_layers=24, num_heads=16,
                              intermediate_size=4096, vocab_size=8000, initializer_range=0.02)  # fmt: skip
    rm = load_reward_model(str(path), max_length=512, precision=args.precision)
    pairs = load_pairs().pairs.head(args.pairs)
    score_pairs(pairs.head(2), rm)  # warm-up
    t0 = time.perf_counter()
    score_pairs(pairs, rm)
    dt = time.perf_counter() - t0
    record = {
        "what": f"score_pairs, DeBERTa-v3-large shape (random weights), pair format, max 512 tokens, {args.precision}",
        "device": "cpu",
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "pairs": len(pairs),
        "seconds": round(dt, 2),
        "pairs_per_second": round(len(pairs) / dt, 3),
        "measured_on": date.today().isoformat(),
    }
    if args.precision == "float32":  # the Reproduce-SEAL plan reads the float32 figure
        OUT.write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
