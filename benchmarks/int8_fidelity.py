"""int8 against float32 on the same pairs: fidelity (preferences kept, Spearman of margins, max |Δscore|) and speed.

Default: both built-in RMs (their trained head / fixed scorer on the real MiniLM encoder) on the bundled hh-rlhf
sample, no cache, in one process, as ``seal score --precision int8 --no-cache`` would score them. ``--rm`` adds any
reward model (hub id or folder). ``--write`` stores the built-in figures in seal_core/data_files/int8_fidelity.json,
which the built-in models' cards show.

    python benchmarks/int8_fidelity.py [--pairs 1800] [--rm PATH] [--write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import date
from pathlib import Path

import torch

from seal_core.data import load_pairs
from seal_core.models import Encoder, list_models, load_reward_model
from seal_core.models.precision import fidelity_report
from seal_core.scoring import score_pairs

OUT = Path(__file__).resolve().parents[1] / "seal_core" / "data_files" / "int8_fidelity.json"


def compare(name: str, pairs) -> dict:
    runs = {}
    for precision in ("float32", "int8"):
        for enc in Encoder._shared.values():  # the built-in RMs share embeddings: start each run cold
            enc.clear_cache()
        t0 = time.perf_counter()
        rm = load_reward_model(name, precision=precision)
        scores = score_pairs(pairs, rm, cache=None)
        runs[precision] = (time.perf_counter() - t0, scores)
    rep = fidelity_report(runs["float32"][1], runs["int8"][1])
    speed = runs["float32"][0] / runs["int8"][0]
    print(f"{name}: {rep.sentence()}")
    print(
        f"  float32 {runs['float32'][0]:.1f} s, int8 {runs['int8'][0]:.1f} s; int8 / float32 speed: {speed:.2f}x; "
        f"targets (>= 98% kept, Spearman >= 0.98): {'met' if rep.meets() else 'NOT met'}"
    )
    return {
        "n_pairs": rep.n_pairs,
        "preferences_kept": round(rep.preferences_kept, 4),
        "spearman": round(rep.spearman, 4),
        "max_abs_delta_score": float(f"{rep.max_abs_delta_score:.3g}"),
        "mean_abs_delta_score": float(f"{rep.mean_abs_delta_score:.3g}"),
        "margin_sd": float(f"{rep.margin_scale:.3g}"),
        "speed_ratio": round(speed, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=1800, help="first N pairs of the bundled sample (default: all)")
    ap.add_argument("--rm", action="append", default=[], help="also compare this RM (hub id or local folder)")
    ap.add_argument("--write", action="store_true", help=f"store the built-in figures in {OUT.name}")
    args = ap.parse_args()
    pairs = load_pairs().pairs.head(args.pairs)
    print(f"{len(pairs)} bundled pairs, {torch.get_num_threads()} torch threads, no cache")
    record = {m.name: compare(m.name, pairs) for m in list_models()}
    for name in args.rm:
        compare(name, pairs)
    if args.write:
        meta = {
            "what": "int8 (Linear layers: int8 weights, per-token int8 activations, 16 outlier channels in float32) "
            "vs float32 scores of the same pairs, no cache",
            "data": f"bundled hh-rlhf sample, first {len(pairs)} pairs",
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "measured_on": date.today().isoformat(),
            "reproduce": "python benchmarks/int8_fidelity.py --write",
        }
        OUT.write_text(json.dumps({"meta": meta, "models": record}, indent=1) + "\n")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
