"""Golden outputs of the ``seal`` command: same input, byte-identical output.

Each case runs ``seal_core.cli.main`` in-process, in one shared work folder and in order (later cases read the
tables earlier ones wrote), and records its exit code, its standard output, the messages it printed to standard
error (progress bars left out) and every file it wrote. Only what legitimately varies is normalised: the work folder
becomes ``{work}``, and floats in written tables are written with 6
significant digits and compared within 1e-4 relative (scores computed in batches of another size differ in the last
float32 bits); everything printed must match byte for byte.

When a change alters a CLI output on purpose, regenerate the expected files and say so in the commit message::

    .venv/bin/pytest tests/test_golden.py --update-golden
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

EXPECTED = Path(__file__).parent / "expected"
_STDERR_KEEP = re.compile(r"^(note|skipped|warning|seal [\w-]+: error|interrupted|  \S)")
_PRE, _POST = "seal-minilm-principles", "seal-minilm-bt"


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    files: tuple[str, ...] = ()  # files the command writes, relative to the work folder


CASES: tuple[Case, ...] = (
    Case("models", ("models",)),
    Case("models_verbose", ("models", "--verbose")),
    Case("score_builtin", ("score", "--limit", "60", "--out", "{work}/scores.csv"), ("scores.csv",)),
    Case("score_builtin_sample", ("score", "--sample", "40", "--seed", "3", "--ci", "0.9")),
    # No case scores with the tiny test RM of seal_core.testing: its tokenizer is trained afresh at each build, and
    # its vocabulary ids (so its scores) differ from one build to the next.
    Case("score_bad_out", ("score", "--limit", "5", "--out", "{work}/scores.xlsx")),
    Case("score_missing_file", ("score", "{work}/missing.jsonl")),
    Case("label_rules", ("label", "--limit", "60", "--out", "{work}/features.csv"), ("features.csv",)),
    Case(
        "imprint",
        (
            "imprint",
            "--scores",
            "{work}/scores.csv",
            "--features",
            "{work}/features.csv",
            "--pre",
            _PRE,
            "--post",
            _POST,
            "--out",
            "{work}/imprint.csv",
        ),
        ("imprint.csv",),
    ),  # fmt: skip
    Case(
        "imprint_post_only",
        (
            "imprint",
            "--scores",
            "{work}/scores.csv",
            "--features",
            "{work}/features.csv",
            "--post",
            "seal-minilm-b",
            "--estimator",
            "pooled_ols",
            "--cov",
            "nonrobust",
        ),
    ),  # fmt: skip
    Case(
        "analyze_no_features",
        (
            "analyze",
            "--scores",
            "{work}/scores.csv",
            "--pre",
            _PRE,
            "--post",
            _POST,
            "--out",
            "{work}/report_plain.json",
        ),
        ("report_plain.json",),
    ),  # fmt: skip
    Case(
        "analyze_default_targets",
        (
            "analyze",
            "--scores",
            "{work}/scores.csv",
            "--features",
            "{work}/features.csv",
            "--pre",
            _PRE,
            "--post",
            _POST,
            "--out",
            "{work}/report_default.json",
        ),
        ("report_default.json",),
    ),  # fmt: skip
    Case(
        "analyze_targets",
        (
            "analyze",
            "--scores",
            "{work}/scores.csv",
            "--features",
            "{work}/features.csv",
            "--pre",
            _PRE,
            "--post",
            _POST,
            "--targets",
            "last_response_is_refusal,-last_response_contains_insult",
            "--out",
            "{work}/report_targets.json",
        ),
        ("report_targets.json",),
    ),  # fmt: skip
    Case("robustness_list", ("robustness", "--list")),
    Case(
        "robustness",
        ("robustness", "--limit", "30", "--perturb", "case,whitespace,typos", "--out", "{work}/robustness.csv"),
        ("robustness.csv",),
    ),  # fmt: skip
    Case("robustness_bad_name", ("robustness", "--limit", "5", "--perturb", "nope")),
    Case("reproduce_offline", ("reproduce",)),
)


def _round(value):
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def _file_text(path: Path) -> str:
    if not path.exists():
        return "(not written)\n"
    if path.suffix == ".json":
        return json.dumps(_round(json.loads(path.read_text())), indent=1, ensure_ascii=False) + "\n"
    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype={"pair_id": str})
    return df.to_csv(index=False, float_format="%.6g", lineterminator="\n")


def parser_spec() -> str:
    """Every subcommand's options (flags, defaults, choices, help) as JSON: a Python-version-independent golden."""
    from seal_core.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    spec = {}
    for name, p in sub.choices.items():
        spec[name] = [
            {
                "flags": list(a.option_strings) or [a.dest],
                "dest": a.dest,
                "default": a.default
                if isinstance(a.default, str | int | float | bool | type(None))
                else repr(a.default),
                "choices": list(a.choices) if a.choices else None,
                "required": a.required,
                "nargs": a.nargs,
                "type": getattr(a.type, "__name__", None),
                "help": a.help,
            }
            for a in p._actions
            if a.dest != "help"
        ]
    return json.dumps(spec, indent=1, ensure_ascii=False) + "\n"


def run_case(case: Case, work: Path) -> str:
    """Run one case and return its normalised record (the text stored under ``expected/``)."""
    from seal_core.cli import main

    argv = [a.replace("{work}", str(work)) for a in case.argv]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    kept = [s for line in err.getvalue().splitlines() for s in line.split("\r") if _STDERR_KEEP.match(s)]
    parts = [f"$ seal {' '.join(case.argv)}\nexit {code}\n", "--- stdout\n" + out.getvalue()]
    if kept:
        parts.append("--- stderr (messages)\n" + "\n".join(kept) + "\n")
    for name in case.files:
        parts.append(f"--- file {name}\n" + _file_text(work / name))
    return "".join(parts).replace(str(work.resolve()), "{work}").replace(str(work), "{work}")


def run_all(work: Path) -> dict[str, str]:
    """Every case in order (later ones read what earlier ones wrote), plus the parser's spec."""
    results = {"parser": parser_spec()}
    for case in CASES:
        results[case.name] = run_case(case, work)
    return results
