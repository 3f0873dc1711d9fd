"""One thin function per ``seal`` command: read the arguments, call the library, print (parser: :mod:`.parser`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seal_core.cli.parser import SEAL_TARGETS_DEFAULT
from seal_core.errors import SealInputError
from seal_core.storage import TABLE_SUFFIXES

__all__ = ["COMMANDS"]


def _check_out(out: str | None) -> None:
    """Stop before any work when ``--out`` names neither a .parquet nor a .csv file."""
    if out and Path(out).suffix.lower() not in TABLE_SUFFIXES:
        raise SealInputError(f"--out {out!r}: use a .parquet or .csv file name")


def _load_slice(args: argparse.Namespace):
    """Load DATA as the data arguments say and take the slice. Notes and skipped records (counts by kind of
    problem plus the first 20) go to the console, which prints them once the work starts."""
    from seal_core.data import SliceSpec, load_pairs, slice_pairs, summarize_skipped

    loaded = load_pairs(args.data, config=args.config, split=args.split, strict=not args.lenient, snapshot=True)
    summary = summarize_skipped(loaded.skipped)
    if summary.total and not len(loaded.pairs):
        kinds = "; ".join(f"{k}: {n:,}" for k, n in summary.by_kind.items())
        first = summary.first.iloc[0]
        raise SealInputError(f"every record of {loaded.source} was skipped, {summary.total:,} in all ({kinds}); the "
                             f"first: {first['where']}: {first['reason']}")  # fmt: skip
    for note in loaded.warnings:
        if not (summary.total and "skipped table" in note):
            args.console.note(note)
    for line in summary.lines():
        args.console.note(line if line.startswith("  ") else f"note: {line}")
    return loaded, slice_pairs(loaded.pairs, SliceSpec(sample=args.sample, seed=args.seed, first=args.limit))


def _cmd_train_rm(args: argparse.Namespace) -> int:
    from seal_core.models.heads import SHIPPED_HEAD
    from seal_core.models.training import train_bt_head

    loaded, pairs = _load_slice(args)
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


def _write_table(df, out: str) -> None:
    from seal_core.storage import write_table

    write_table(df, out)
    print(f"wrote {len(df):,} rows to {Path(out)}")


def _cmd_label(args: argparse.Namespace) -> int:
    from seal_core.features import LabelCache, get_featurizer, label_pairs

    _check_out(args.out)
    loaded, pairs = _load_slice(args)
    options = {"concurrency": args.concurrency} if args.labeler == "llm" else {}
    featurizer = get_featurizer(args.labeler, **options)
    if args.labeler == "llm":
        estimate = featurizer.estimate(pairs)
        print(estimate.sentence())
        if not args.yes:
            if not sys.stdin.isatty():
                raise SealInputError("the LLM labeler sends every text to the endpoint: pass --yes to confirm")
            if input("Proceed? [y/N] ").strip().lower() not in ("y", "yes"):
                print("nothing sent")
                return 1
    with args.console.progress(f"labelling ({featurizer.key})") as progress:
        result = label_pairs(pairs, featurizer, cache=LabelCache(), progress=progress)
    feats, failed = result.features, len(result.failed)
    if failed:
        print(f"warning: {failed} row(s) could not be labelled (their features are empty); every other label "
              "is cached, so re-running the same command asks only for these", file=sys.stderr)  # fmt: skip
        for message in getattr(featurizer, "failures", [])[:10]:
            print(f"  {message}", file=sys.stderr)
    numeric = feats.select_dtypes("number")
    print(f"{len(feats):,} texts from {len(pairs):,} pairs labelled by {featurizer.key}")
    print(numeric.groupby(feats["side"]).mean().T.round(3).to_string())
    if args.out:
        _write_table(feats, args.out)
    return 1 if failed else 0


def _resolve_model(name: str | None, models: list[str]) -> str | None:
    if name is None:
        return None
    hits = [m for m in models if m == name] or [m for m in models if m.startswith(name)]
    if len(hits) != 1:
        raise SealInputError(f"{name!r} matches {len(hits)} model(s) in the scores file; models: {models}")
    return hits[0]


def _check_join(scores, feats, targets: list[str] | None = None) -> None:
    """Stop with one line when the Features table cannot be joined to the Scores or lacks a target feature."""
    if feats is None:
        return
    shared = set(scores["pair_id"].astype(str)) & set(feats["pair_id"].astype(str))
    if not shared:
        raise SealInputError(
            f"the Features table shares no pair ids with the Scores table ({feats['pair_id'].nunique():,} and "
            f"{scores['pair_id'].nunique():,} pairs): were both made from the same data and slice?"
        )
    missing = [t.lstrip("-") for t in targets or () if t.lstrip("-") not in feats.columns]
    if missing:
        raise SealInputError(
            f"--targets names feature(s) the Features table does not have: {missing}; "
            "use its feature columns (`seal label` lists them)"
        )


def _cmd_imprint(args: argparse.Namespace) -> int:
    import pandas as pd

    from seal_core.features import read_features
    from seal_core.metrics.imprint import describe_top, feature_imprint
    from seal_core.scoring import read_scores

    scores = read_scores(args.scores)
    feats = read_features(args.features, labeler=args.labeler)
    models = list(dict.fromkeys(scores["model"]))
    pre, post = _resolve_model(args.pre, models), _resolve_model(args.post, models)
    _check_join(scores, feats)
    res = feature_imprint(scores, feats, pre=pre, post=post, estimator=args.estimator, cov=args.cov,
                          adjust=args.adjust, scale=args.scale)  # fmt: skip
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(res.table.drop(columns=["rm"]).to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    for row in res.dropped.itertuples():
        print(f"dropped {row.feature}: {row.reason}")
    for note in res.notes:
        print(f"note: {note}")
    from seal_core.glossary import feature_name

    for role in ("pre", "post"):
        if role in set(res.table["role"].dropna()):
            print(describe_top(res.table, role, name=feature_name))
    if args.out:
        _write_table(res.table, args.out)
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from seal_core.analysis import analyze, write_report
    from seal_core.features import read_features
    from seal_core.scoring import read_scores

    scores = read_scores(args.scores)
    models = list(dict.fromkeys(scores["model"]))
    pre, post = _resolve_model(args.pre, models), _resolve_model(args.post, models)
    feats = read_features(args.features, labeler=args.labeler) if args.features else None
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    _check_join(scores, feats, targets if args.targets != ",".join(SEAL_TARGETS_DEFAULT) else None)
    report = analyze(scores, pre=pre, post=post, features=feats, gamma_targets=targets).to_dict()
    write_report(report, args.out)
    r = report["regimes"]
    print(
        f"{report['n_pairs']:,} pairs; post RM resistance {report['resistance']['post']['resistance']:.1%}, "
        f"pre RM {report['resistance']['pre']['resistance']:.1%}"
    )
    for role, r in ((k, v) for k, v in report["resistance"].items() if v.get("in_sample")):
        print(f"IN SAMPLE: the {role} RM was trained on {r['n_in_sample']:,} of these pairs (figures optimistic)")
    print("regimes: " + ", ".join(f"{k} {v['share']:.1%}" for k, v in r.items()))
    sh = report["shift"]
    print(f"reward shift θ: mean {sh['theta_mean_deg']:.2f}°, median {sh['theta_median_deg']:.2f}°")
    print(f"wrote {args.out}")
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    import pandas as pd

    from seal_core.data import hub_offline_reason
    from seal_core.preset import SEAL, compare, plan

    print(plan())
    if hub_offline_reason():
        print("\nNothing was run. With network, `seal reproduce` downloads the above, scores and compares.")
        return 2
    from seal_core.analysis import analyze, write_report
    from seal_core.data import SliceSpec, load_pairs, slice_pairs
    from seal_core.features import read_features
    from seal_core.models import load_reward_model
    from seal_core.scoring import ScoreCache, score_pairs
    from seal_core.storage import write_table

    out = Path(args.out)
    loaded = load_pairs(SEAL.dataset, config=SEAL.config, split=SEAL.split)
    pairs = slice_pairs(loaded.pairs, SliceSpec(first=args.limit))
    cache = ScoreCache()
    tables = []
    for spec in (SEAL.pre, SEAL.post):
        rm = load_reward_model(spec, input_format=SEAL.input_format, device=args.device)
        tables.append(score_pairs(pairs, rm, cache=cache))
    scores = pd.concat(tables, ignore_index=True)
    write_table(scores, out / "scores.parquet")
    feats = read_features(args.features) if args.features else None
    models = list(dict.fromkeys(scores["model"]))
    report = analyze(scores, pre=models[0], post=models[1], features=feats).to_dict()
    write_report(report, out / "report.json")
    table = pd.DataFrame(compare(report))
    write_table(table, out / "comparison.csv")
    print(table.to_string(index=False))
    return 0


def _cmd_robustness(args: argparse.Namespace) -> int:
    from seal_core.perturb import PERTURBATIONS, parse_names

    if args.list:
        for p in PERTURBATIONS.values():
            print(f"{p.name:<20} {p.kind:<9} {p.description}")
        return 0
    import pandas as pd

    from seal_core.models import list_models, load_reward_model
    from seal_core.robustness import run_robustness
    from seal_core.scoring import ScoreCache

    _check_out(args.out)
    names = parse_names(args.perturb)
    loaded, pairs = _load_slice(args)
    specs = args.rm or [m.name for m in sorted(list_models(), key=lambda m: m.role != "pre")]
    rms = [load_reward_model(s) for s in specs]
    rewritten = None
    if args.rewrite:
        from seal_core.features import LabelCache
        from seal_core.features.llm import ChatClient, EndpointConfig
        from seal_core.perturb import rewrite_pairs
        from seal_core.redact import endpoint_label

        client = ChatClient(EndpointConfig.from_env())
        print(f"LLM rewrites: {2 * len(pairs):,} requests to {endpoint_label(client.config.base_url)} "
              f"(model {client.config.model}); "
              "cached rewrites are not requested again")  # fmt: skip
        if not args.yes:
            raise SealInputError("--rewrite sends every transcript to the endpoint: pass --yes to confirm")
        rewritten, rejected = rewrite_pairs(pairs, client, cache=LabelCache())
        print(f"rewrites kept for {len(rewritten):,} pairs; {len(rejected)} rewrite(s) rejected by SEAL's rules")
        names = [*names, "rewrite"]
    with args.console.progress("perturbing and scoring", unit="steps") as progress:
        run = run_robustness(pairs, rms, names, seed=args.seed, cache=ScoreCache(), gate=args.gate,
                             gate_model=args.gate_model, rewritten=rewritten, progress=progress)  # fmt: skip
    rows, summary = run.rows, run.summary
    if len(run.excluded):
        print(f"similarity gate {args.gate}: {len(run.excluded)} perturbed pair(s) excluded")
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(summary[["model", "perturbation", "n_pairs", "agreement_before", "agreement_after",
                       "became_misaligned_rate", "became_aligned_rate", "flip_rate", "score_corr"]]
              .to_string(index=False, float_format=lambda v: f"{v:.3f}"))  # fmt: skip
        probes = run.probes.drop(columns="role")
        if len(probes):
            print(probes.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.out:
        _write_table(rows, args.out)
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    from seal_core.models import list_models

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
    from seal_core.metrics.resistance import in_sample_words, resistance_table
    from seal_core.models import list_models
    from seal_core.scoring import ScoreCache, write_scores

    _check_out(args.out)
    if args.fidelity and args.precision == "float32":
        raise SealInputError("--fidelity compares int8 with float32 scores: add --precision int8")
    ray_only = [f"--{k.replace('_', '-')}" for k in ("address", "workers") if getattr(args, k) is not None]
    if args.engine != "ray" and (ray_only or args.gpus_per_worker):
        raise SealInputError(f"{', '.join(ray_only) or '--gpus-per-worker'} only applies with --engine ray")
    loaded, pairs = _load_slice(args)
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
    ray_started = False
    if args.engine == "ray":
        from seal_core.ray_engine import connect

        ray_started = connect(args.address)
    try:
        for spec in rms:
            tables.append(_score_one(spec, args, pairs, cache, args.precision))
            if args.fidelity and args.precision != "float32":
                from seal_core.models.precision import fidelity_report

                ref = _score_one(spec, args, pairs, cache, "float32")
                print(f"{spec}: " + fidelity_report(ref, tables[-1]).sentence(args.precision), file=sys.stderr)
    finally:
        if ray_started:
            import ray

            ray.shutdown()
    scores = pd.concat(tables, ignore_index=True)
    print(f"{len(pairs):,} pairs from {loaded.source}")
    for row in resistance_table(scores, ci=args.ci).itertuples():
        trunc = scores.loc[scores.model == row.model, ["truncated_chosen", "truncated_rejected"]].any(axis=1).sum()
        print(
            f"{row.model}\n  agreement {row.agreement:.1%}  resistance {row.resistance:.1%} "
            f"({args.ci:.0%} CI {row.ci_low:.1%}–{row.ci_high:.1%}, Wilson)  ties {row.n_ties}  "
            f"pairs truncated {trunc}"
        )
        if row.at_chance:
            print(
                f"  at chance: indistinguishable from a coin flip on these pairs (exact binomial p = {row.p_chance:.2g})"
            )
        if n_held := vars(args).get("held_out", {}).get(row.model):  # scored by the fold heads that never saw them
            print(f"  out of sample: its {n_held:,} training pairs were scored by fold heads that never saw them")
        if row.n_in_sample:
            print(f"  IN SAMPLE: {in_sample_words(row.n_in_sample, row.n_pairs)}")
    if args.out:
        write_scores(scores, args.out)
        print(f"wrote {len(scores):,} rows to {args.out}")
    return 0


def _score_one(spec: str, args: argparse.Namespace, pairs, cache, precision: str):
    """One RM's Scores table, on this machine or on Ray (``--engine ray``), with a progress bar."""
    from seal_core.models import RewardModelConfig, load_reward_model
    from seal_core.scoring import score_pairs

    config = RewardModelConfig(
        model=spec,
        revision=args.revision,
        input_format=args.input_format,
        max_length=args.max_length,
        device=args.device,
        dtype=args.dtype,
        batch_size=args.batch_size,
        precision=precision,
        token_budget=args.token_budget,
        cross_fit=not args.no_cross_fit,
    )
    desc = f"scoring {spec}" + (f" ({precision})" if precision != "float32" else "")
    if args.engine == "ray":
        from seal_core.ray_engine import score_pairs_ray

        with args.console.progress(desc) as progress:
            scores, run = score_pairs_ray(pairs, config, cache=cache, address=args.address, workers=args.workers,
                                          gpus_per_worker=args.gpus_per_worker, progress=progress)  # fmt: skip
        args.console.note(f"{spec}: Ray scored {run.scored:,} texts on {run.workers} worker(s); {run.from_cache:,} "
                          f"from the cache, {run.from_shards:,} from earlier shards ({run.shard_dir})")  # fmt: skip
        return scores
    rm = load_reward_model(config)  # before the bar: a bad model ends in one error line, no notes before it
    if hasattr(rm, "held_out"):
        vars(args).setdefault("held_out", {})[rm.model_id] = int(rm.held_out(pairs).sum())
    with args.console.progress(desc) as progress:
        return score_pairs(pairs, rm, cache=cache, progress=progress)


from seal_core.cli.report import cmd_report  # noqa: E402 (the report command lives in its own module)
from seal_core.cli.selfcheck import cmd_selfcheck  # noqa: E402

COMMANDS = {
    "models": _cmd_models,
    "score": _cmd_score,
    "label": _cmd_label,
    "imprint": _cmd_imprint,
    "analyze": _cmd_analyze,
    "reproduce": _cmd_reproduce,
    "robustness": _cmd_robustness,
    "train-rm": _cmd_train_rm,
    "report": lambda args: cmd_report(args, _load_slice),
    "selfcheck": cmd_selfcheck,
}
