"""The ``seal`` command (also ``python -m seal_core``)."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from seal_core.errors import SealInputError


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data", nargs="?", default=None, help="data file or hub dataset id (default: bundled hh-rlhf sample)"
    )
    p.add_argument("--config", default=None, help="hub dataset config (e.g. harmless-base)")
    p.add_argument("--split", default="train", help="hub dataset split (default: train)")
    p.add_argument("--lenient", action="store_true", help="skip bad records and list them, instead of stopping")
    p.add_argument("--limit", type=int, default=None, help="score only the first N pairs")
    p.add_argument("--sample", type=int, default=None, help="score a random sample of N pairs (see --seed)")
    p.add_argument("--seed", type=int, default=0, help="seed for --sample (default 0)")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="seal", description="SEAL Explorer: audit reward models on preference data.")
    sub = parser.add_subparsers(dest="command", required=True)

    m = sub.add_parser("models", help="list the built-in reward models")
    m.add_argument("--verbose", "-v", action="store_true", help="print each model's card")

    s = sub.add_parser("score", help="score pairs with one or more reward models and print their resistance")
    _add_data_args(s)
    s.add_argument(
        "--rm",
        action="append",
        default=None,
        metavar="MODEL",
        help="built-in name, hub id or local path; repeat for several RMs (default: the built-in pair)",
    )
    s.add_argument(
        "--format",
        dest="input_format",
        default="pair",
        choices=["pair", "chat_template", "raw"],
        help="how (prompt, response) is fed to HF models (default: pair, as SEAL)",
    )
    s.add_argument("--revision", default=None, help="hub revision for the RMs")
    s.add_argument("--max-length", type=int, default=None, help="token budget per text (default: the model's limit)")
    s.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, mps or auto (default: cpu)")
    s.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    s.add_argument(
        "--batch-size", type=int, default=None, help="texts per forward pass (default: 4 on CPU, 32 on GPU)"
    )
    s.add_argument("--out", default=None, help="write the Scores table to FILE.parquet or FILE.csv")
    s.add_argument("--no-cache", action="store_true", help="neither read nor write the score cache")
    s.add_argument("--cache-dir", default=None, help="score cache folder (default: $SEAL_CACHE_DIR or ~/.cache)")
    s.add_argument("--ci", type=float, default=0.95, help="confidence level (default 0.95)")
    t = sub.add_parser("train-rm", help="train the built-in Bradley-Terry reward model head on preference data")
    _add_data_args(t)
    t.add_argument("--out", required=True, help="folder to write minilm_bt_head.json into")
    t.add_argument("--C", type=float, default=0.3, help="inverse L2 regularisation (default 0.3)")
    t.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    t.add_argument("--train-seed", type=int, default=0, help="seed of the fold split (default 0)")
    return parser


def _cmd_train_rm(args: argparse.Namespace) -> int:
    from pathlib import Path

    from seal_core.data import SliceSpec, load_pairs, slice_pairs
    from seal_core.train_rm import SHIPPED_HEAD, train_bt_head

    loaded = load_pairs(args.data, config=args.config, split=args.split, strict=not args.lenient)
    pairs = slice_pairs(loaded.pairs, SliceSpec(sample=args.sample, seed=args.seed, first=args.limit))
    print(
        f"training on {len(pairs):,} pairs from {loaded.source} (embedding takes about a minute per 2,000 pairs on CPU)"
    )
    head = train_bt_head(pairs, C=args.C, folds=args.folds, seed=args.train_seed, trained_on=loaded.source)
    out = head.save(Path(args.out) / SHIPPED_HEAD.name)
    print(
        f"{args.folds}-fold CV accuracy {head.cv_accuracy:.3f} (sd {head.cv_accuracy_sd:.3f}); "
        f"in-sample {head.in_sample_accuracy:.3f}"
    )
    for name, acc in head.baselines.items():
        print(f"  baseline {name}: {acc:.3f}")
    print(f"wrote {out}; score with it: seal score --rm {out}")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from seal_core.rewards import list_models

    models = list_models()
    if not models:
        print("No built-in reward models are installed. Name any Hugging Face RM with --rm (hub id or local path).")
        return 0
    for bm in models:
        print(f"{bm.name:<24} {bm.role:<5} {bm.summary}")
        if args.verbose and bm.card is not None:
            print("\n" + bm.card() + "\n")
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tqdm import tqdm

    from seal_core.data import SliceSpec, load_pairs, slice_pairs
    from seal_core.metrics.resistance import resistance_table
    from seal_core.rewards import list_models, load_reward_model
    from seal_core.scoring import ScoreCache, score_pairs, write_scores

    if args.out and Path(args.out).suffix.lower() not in (".parquet", ".csv"):
        raise SealInputError(f"--out {args.out!r}: use a .parquet or .csv file name")
    loaded = load_pairs(args.data, config=args.config, split=args.split, strict=not args.lenient)
    for note in loaded.warnings:
        print(f"note: {note}", file=sys.stderr)
    for row in loaded.skipped.itertuples():
        print(f"skipped {row.where}: {row.reason}", file=sys.stderr)
    pairs = slice_pairs(loaded.pairs, SliceSpec(sample=args.sample, seed=args.seed, first=args.limit))
    if not len(pairs):
        raise SealInputError("no pairs to score (the data or the slice is empty)")
    rms = args.rm
    if not rms:
        rms = [m.name for m in sorted(list_models(), key=lambda m: m.role != "pre")]
        if not rms:
            raise SealInputError("no --rm given and no built-in reward models installed; pass --rm MODEL")
    cache = None if args.no_cache else ScoreCache(Path(args.cache_dir) / "scores.sqlite" if args.cache_dir else None)
    import pandas as pd

    tables = []
    for spec in rms:
        rm = load_reward_model(
            spec,
            revision=args.revision,
            input_format=args.input_format,
            max_length=args.max_length,
            device=args.device,
            dtype=args.dtype,
            batch_size=args.batch_size,
        )
        bar = tqdm(desc=f"scoring {spec}", unit="text", file=sys.stderr)

        def progress(done: int, total: int, bar=bar) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        tables.append(score_pairs(pairs, rm, cache=cache, progress=progress))
        bar.close()
    scores = pd.concat(tables, ignore_index=True)
    print(f"{len(pairs):,} pairs from {loaded.source}")
    for row in resistance_table(scores, ci=args.ci).itertuples():
        trunc = scores.loc[scores.model == row.model, ["truncated_chosen", "truncated_rejected"]].any(axis=1).sum()
        print(
            f"{row.model}\n  agreement {row.agreement:.1%}  resistance {row.resistance:.1%} "
            f"({args.ci:.0%} CI {row.ci_low:.1%}–{row.ci_high:.1%}, Wilson)  ties {row.n_ties}  "
            f"pairs truncated {trunc}"
        )
    if args.out:
        write_scores(scores, args.out)
        print(f"wrote {len(scores):,} rows to {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    commands = {"models": _cmd_models, "score": _cmd_score, "train-rm": _cmd_train_rm}
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)
            warnings.showwarning = lambda msg, *a, **k: print(f"warning: {msg}", file=sys.stderr)
            return commands[args.command](args)
    except SealInputError as e:
        print(f"seal {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; every batch scored so far is kept in the cache", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
