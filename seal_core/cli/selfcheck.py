"""``seal selfcheck``: the planted-effect self-check of every metric (:mod:`seal_core.selfcheck`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from seal_core.errors import SealInputError
from seal_core.storage import TABLE_SUFFIXES, write_table

__all__ = ["cmd_selfcheck"]


def cmd_selfcheck(args: argparse.Namespace) -> int:
    """Run ``seal selfcheck``: print planted against recovered values; exit 1 when any check fails."""
    import pandas as pd

    from seal_core.data import SliceSpec, load_pairs, slice_pairs
    from seal_core.selfcheck import CHECKS, selfcheck

    if args.out and Path(args.out).suffix.lower() not in TABLE_SUFFIXES:
        raise SealInputError(f"--out {args.out!r}: use a .parquet or .csv file name")
    checks = tuple(c.strip() for c in args.checks.split(",") if c.strip()) if args.checks else CHECKS
    loaded = load_pairs(args.data)
    pairs = slice_pairs(loaded.pairs, SliceSpec(first=args.limit))
    print(f"planted-effect self-check: {len(pairs):,} pairs from {loaded.source} with their rule features, "
          f"{args.reps} replications, seed {args.seed}")  # fmt: skip
    with args.console.progress("self-check") as progress:
        res = selfcheck(pairs, reps=args.reps, seed=args.seed, checks=checks, progress=progress)
    shown = res.table.assign(ok=res.table["ok"].map({True: "ok", False: "FAILED"}))
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for r in res.pooled.itertuples():
        print(f"{r.check}: {r.coverage:.3f} of {r.n_intervals:,} {res.ci:.0%} intervals held the planted value "
              f"(expected {r.band_low:.3f}–{r.band_high:.3f}): {'ok' if r.ok else 'FAILED'}")  # fmt: skip
    if args.out:
        write_table(res.table, args.out)
        print(f"wrote {len(res.table):,} rows to {Path(args.out)}")
    if res.passed:
        print(f"every planted effect was recovered ({res.seconds:.0f} s)")
        return 0
    print("FAILED: " + "; ".join(res.failures()))
    return 1
