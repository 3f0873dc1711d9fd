"""``seal report``: the audit report (ranked findings in plain words, charts, caveats) as HTML, Markdown or JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seal_core.errors import SealInputError

__all__ = ["add_report_parser", "cmd_report"]

SUFFIXES = {".html": "html", ".htm": "html", ".md": "md", ".json": "json"}


def add_report_parser(sub, add_data_args) -> None:
    r = sub.add_parser("report", help="the audit report: ranked findings in plain words, charts, caveats")
    add_data_args(r)
    r.add_argument(
        "--pre",
        default=None,
        metavar="MODEL",
        help="RM before training: built-in name, hub id, local path, or none (default: built-in pre)",
    )
    r.add_argument(
        "--post",
        default=None,
        metavar="MODEL",
        help="RM after training, as --pre (default: the built-in post-training RM)",
    )
    r.add_argument(
        "--rm",
        action="append",
        default=None,
        metavar="MODEL",
        help="one RM alone, compared with a coin flip (same as --pre none --post MODEL)",
    )
    r.add_argument(
        "--labeler",
        choices=["rules", "llm", "none"],
        default="rules",
        help="labels for the imprint and labeler findings (default: the offline rules)",
    )
    r.add_argument("--yes", action="store_true", help="--labeler llm: confirm sending the texts to the endpoint")
    r.add_argument(
        "--robustness-sample",
        type=int,
        default=200,
        metavar="N",
        help="pairs edited (typos, an appended insult) and re-scored, drawn with --seed (default 200; "
        "0 skips robustness)",
    )
    r.add_argument("--out", default="report.html", help="output file (default report.html)")
    r.add_argument("--format", choices=["html", "md", "json"], default=None,
                   help="output format (default: from the --out suffix)")  # fmt: skip


def cmd_report(args: argparse.Namespace, load_slice) -> int:
    """Run ``seal report``; ``load_slice(args, report=True)`` is the commands' shared data loader."""
    from seal_core.features import LabelCache, get_featurizer
    from seal_core.models import list_models, load_reward_model
    from seal_core.scoring import ScoreCache
    from seal_core.story.audit import run_audit
    from seal_core.story.render import write_report
    from seal_core.story.report import command_line

    fmt = args.format or SUFFIXES.get(Path(args.out).suffix.lower())
    if fmt is None:
        raise SealInputError(f"--out {args.out!r}: name an .html, .md or .json file, or pass --format")
    if args.robustness_sample < 0:
        raise SealInputError(f"--robustness-sample must be 0 or more, got {args.robustness_sample}")
    pre, post = args.pre, args.post
    if args.rm:
        if len(args.rm) > 1 or pre or post:
            raise SealInputError("--rm names one RM alone; for a pair use --pre MODEL --post MODEL")
        pre, post = "none", args.rm[0]
    builtins = {m.role: m.name for m in list_models()}
    pre = None if pre == "none" else pre or builtins.get("pre")
    post = None if post == "none" else post or builtins.get("post")
    if not (pre or post):
        raise SealInputError("the report needs at least one reward model: --pre MODEL and/or --post MODEL")
    loaded, pairs = load_slice(args)
    featurizer = None
    if args.labeler != "none":
        featurizer = get_featurizer(args.labeler)
        if args.labeler == "llm":
            print(featurizer.estimate(pairs).sentence())
            if not args.yes:
                raise SealInputError("the LLM labeler sends every text to the endpoint: pass --yes to confirm")
    command = command_line(args.data, config=args.config, split=args.split if args.config else None, pre=pre,
                           post=post, labeler=args.labeler, sample=args.sample, seed=args.seed, first=args.limit,
                           robustness_sample=args.robustness_sample, out=args.out)  # fmt: skip
    if args.format:
        command = command.replace(" --out ", f" --format {args.format} --out ")
    how = f", first {args.limit}" if args.limit else ""
    how += f", random {args.sample} (seed {args.seed})" if args.sample else ""
    setup = {"data": str(loaded.source), "slice": f"{len(pairs):,} of {len(loaded.pairs):,} pairs{how}",
             "slice_seed": args.seed}  # fmt: skip
    report = run_audit(
        pairs, pre=load_reward_model(pre) if pre else None, post=load_reward_model(post) if post else None,
        featurizer=featurizer, robustness_sample=args.robustness_sample, seed=args.seed, score_cache=ScoreCache(),
        label_cache=LabelCache(), setup=setup, command=command, say=lambda line: print(line, file=sys.stderr),
    )  # fmt: skip
    path = write_report(report, args.out, fmt)
    print(f"{len(report.findings)} findings; the first: {report.findings[0].sentence}")
    print(f"wrote {path}")
    return 0
