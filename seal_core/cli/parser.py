"""The ``seal`` command line: the argument parser (the commands live in :mod:`seal_core.cli.commands`)."""

from __future__ import annotations

import argparse

__all__ = ["SEAL_TARGETS_DEFAULT", "build_parser"]

SEAL_TARGETS_DEFAULT = ("last_response_is_harmless", "last_response_is_helpful")


class _Parser(argparse.ArgumentParser):
    """An argument error is one line (no usage block): what was wrong and where to look."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(kind, low=None, high=None, *, low_open=False, what=""):
    """An argparse type: a number of ``kind`` within [low, high] (``low_open``: strictly above low)."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {kind.__name__} value: {text!r}") from None
        if (low is not None and (value <= low if low_open else value < low)) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


_count = _number(int, 1, what="a whole number ≥ 1")
_ci = _number(float, 0, 1, low_open=True, what="a level in (0, 1), e.g. 0.95")


def add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "data", nargs="?", default=None, help="data file or hub dataset id (default: bundled hh-rlhf sample)"
    )
    p.add_argument("--config", default=None, help="hub dataset config (e.g. harmless-base)")
    p.add_argument("--split", default="train", help="hub dataset split (default: train)")
    p.add_argument("--lenient", action="store_true", help="skip bad records and list them, instead of stopping")
    p.add_argument("--limit", type=_count, default=None, help="score only the first N pairs")
    p.add_argument("--sample", type=_count, default=None, help="score a random sample of N pairs (see --seed)")
    p.add_argument("--seed", type=int, default=0, help="seed for --sample (default 0)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="seal", description="SEAL Explorer: audit reward models on preference data.")
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bars or notes; results and errors only"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser = sub.add_parser

    def add(name: str, **kw) -> argparse.ArgumentParser:  # every command also takes --quiet after its name
        p = add_parser(name, **kw)
        p.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
                       help="no progress bars or notes; results and errors only")  # fmt: skip
        return p

    sub.add_parser = add

    m = sub.add_parser("models", help="list the built-in reward models")
    m.add_argument("--verbose", "-v", action="store_true", help="print each model's card")

    s = sub.add_parser("score", help="score pairs with one or more reward models and print their resistance")
    add_data_args(s)
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
    s.add_argument("--max-length", type=_number(int, 8, what="at least 8 tokens"), default=None,
                   help="token budget per text (default: the model's limit)")  # fmt: skip
    s.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, mps or auto (default: cpu)")
    s.add_argument("--dtype", default="float32", choices=["float32", "float16", "bfloat16"])
    s.add_argument(
        "--batch-size", type=_count, default=None, help="texts per forward pass (default: 4 on CPU, 32 on GPU)"
    )
    s.add_argument(
        "--precision",
        default="float32",
        choices=["float32", "int8"],
        help="int8: linear layers quantized to int8 on CPU, faster; cached apart from float32 (see --fidelity)",
    )
    s.add_argument("--fidelity", action="store_true", help="with int8: also score float32 and print what int8 kept")
    s.add_argument("--token-budget", type=int, default=None, help="batch by padded tokens (default: 16384 on CUDA)")
    s.add_argument("--engine", default="local", choices=["local", "ray"], help="ray: score on a Ray cluster")
    s.add_argument("--address", default=None, help="ray: auto or ray://HOST:PORT (default: a local Ray)")
    s.add_argument("--workers", type=int, default=None, help="ray: actors, one model each (default: GPUs, or 2)")
    s.add_argument("--gpus-per-worker", type=float, default=0.0, help="ray: GPUs per actor (default 0: CPU)")
    s.add_argument("--out", default=None, help="write the Scores table to FILE.parquet or FILE.csv")
    s.add_argument("--no-cache", action="store_true", help="neither read nor write the score cache")
    s.add_argument("--cache-dir", default=None, help="score cache folder (default: $SEAL_CACHE_DIR or ~/.cache)")
    s.add_argument("--ci", type=_ci, default=0.95, help="confidence level (default 0.95)")
    s.add_argument(
        "--no-cross-fit",
        action="store_true",
        help="score a trained head's own training pairs with the head fitted on all of them (in sample, and "
        "flagged so) instead of the fold head that never saw each pair",
    )
    lab = sub.add_parser("label", help="label every chosen and rejected text with features (the Features table)")
    add_data_args(lab)
    lab.add_argument("--labeler", default="rules", help="rules (offline, default) or llm (needs an endpoint)")
    lab.add_argument("--out", default=None, help="write the Features table to FILE.parquet or FILE.csv")
    lab.add_argument("--yes", action="store_true", help="llm: skip the cost confirmation prompt")
    lab.add_argument("--concurrency", type=_count, default=4, help="llm: requests in flight (default 4)")

    imp = sub.add_parser("imprint", help="regress RM scores on features (SEAL's feature imprint)")
    imp.add_argument("--scores", required=True, help="Scores table from `seal score --out`")
    imp.add_argument("--features", required=True, help="Features table from `seal label --out` or an import")
    imp.add_argument("--pre", default=None, help="model id (or unique prefix) of the pre-training RM")
    imp.add_argument("--post", default=None, help="model id (or unique prefix) of the post-training RM")
    imp.add_argument("--estimator", default="pair_fe", choices=["pair_fe", "pooled_ols"])
    imp.add_argument(
        "--cov",
        default="cluster",
        choices=["cluster", "nonrobust"],
        help="cluster by pair (default) or plain OLS SEs (SEAL's reference, effectively)",
    )
    imp.add_argument("--adjust", default="bonferroni", choices=["bonferroni", "holm", "fdr_bh", "none"])
    imp.add_argument("--scale", default="raw", choices=["raw", "sd"],
                     help="coefficients in score points (raw) or per sd of each RM's scores (sd: compare RMs)")  # fmt: skip
    imp.add_argument("--labeler", default=None, help="which labeler's rows to use when the file holds several")
    imp.add_argument("--out", default=None, help="write the tidy imprint table to FILE.csv or FILE.parquet")

    an = sub.add_parser("analyze", help="every resistance and reward-shift number for a pre/post RM pair, as JSON")
    an.add_argument("--scores", required=True, help="Scores table holding both RMs")
    an.add_argument("--features", default=None, help="Features table (for γ, conditional tables, regressions)")
    an.add_argument("--pre", required=True, help="model id (or unique prefix) of the pre-training RM")
    an.add_argument("--post", required=True, help="model id (or unique prefix) of the post-training RM")
    an.add_argument(
        "--targets",
        default=",".join(SEAL_TARGETS_DEFAULT),
        help="ordered target features for γ, comma-separated; prefix '-' for a harmful one "
        "(default: SEAL's harmless,helpful)",
    )
    an.add_argument("--labeler", default=None, help="which labeler's rows to use when the file holds several")
    an.add_argument("--out", required=True, help="report.json")

    rp = sub.add_parser("reproduce", help="SEAL's setup on full hh-rlhf; offline, explains what it would take")
    rp.add_argument("--out", default="seal-reproduction", help="folder for scores, report.json and comparison.csv")
    rp.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (default auto)")
    rp.add_argument("--limit", type=_count, default=None, help="only the first N pairs (a quick look)")
    rp.add_argument("--features", default=None, help="a Features table for γ (e.g. from `seal label --labeler llm`)")

    rb = sub.add_parser("robustness", help="perturb pairs, re-score, and count preference flips")
    add_data_args(rb)
    rb.add_argument("--rm", action="append", default=None, metavar="MODEL", help="RMs (default: the built-in pair)")
    rb.add_argument(
        "--perturb",
        default="typos,case,whitespace,punctuation,contractions,prefix,markdown,numbers",
        help="comma-separated perturbations (see `seal robustness --list`)",
    )
    rb.add_argument("--list", action="store_true", help="list the perturbations and exit")
    rb.add_argument("--rewrite", action="store_true", help="add LLM rewrites with SEAL's prompt (needs an endpoint)")
    rb.add_argument("--gate", type=_number(float, -1, 1, what="a cosine similarity in [-1, 1]"), default=None,
                    help="exclude perturbed pairs below this cosine similarity")  # fmt: skip
    rb.add_argument("--gate-model", default=None, help="sentence-transformers id for the gate (default: MiniLM)")
    rb.add_argument("--yes", action="store_true", help="--rewrite: skip the confirmation")
    rb.add_argument("--out", default=None, help="write one row per pair, RM and perturbation (.csv or .parquet)")

    from seal_core.cli.report import add_report_parser

    add_report_parser(sub, add_data_args)

    t = sub.add_parser("train-rm", help="train the built-in Bradley-Terry reward model head on preference data")
    add_data_args(t)
    t.add_argument("--out", required=True, help="folder to write minilm_bt_head.json into")
    t.add_argument("--C", type=_number(float, 0, low_open=True, what="positive"), default=0.3,
                   help="inverse L2 regularisation (default 0.3)")  # fmt: skip
    t.add_argument("--folds", type=_number(int, 2, what="at least 2"), default=5,
                   help="cross-validation folds (default 5)")  # fmt: skip
    t.add_argument("--train-seed", type=int, default=0, help="seed of the fold split (default 0)")

    sc = sub.add_parser("selfcheck", help="plant known effects in synthetic RMs and check every metric recovers them")
    sc.add_argument(
        "data", nargs="?", default=None, help="data whose texts and rule features to use (default: bundled sample)"
    )
    sc.add_argument("--limit", type=int, default=None, help="only the first N pairs")
    sc.add_argument("--reps", type=int, default=200, help="replications (default 200)")
    sc.add_argument("--seed", type=int, default=0, help="seed of the synthetic draws (default 0)")
    sc.add_argument("--checks", default=None, help="comma-separated subset of imprint,regimes,theta,pi (default: all)")
    sc.add_argument("--out", default=None, help="write planted vs recovered to FILE.csv or FILE.parquet")
    return parser
