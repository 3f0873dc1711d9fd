"""``seal`` (also ``python -m seal_core``): parse the arguments, run the command, and end every failure in one line.

Bad input (:class:`SealInputError`, a file the system cannot read, a bad option) exits with status 2; anything else
that goes wrong exits with status 1, also in one line (``SEAL_DEBUG=1`` shows the traceback). Never a traceback by
default.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence

from seal_core.cli.commands import COMMANDS
from seal_core.cli.console import Console
from seal_core.cli.parser import build_parser
from seal_core.errors import SealInputError

__all__ = ["main"]

# The library names the parameter at fault (SealInputError.option); the command line names its flag.
CLI_HINTS = {
    "strict": "pass --lenient to skip bad records and list them",
    "labeler": "choose one with --labeler",
    "rewritten": "add --rewrite",
    "fmt": "name an .html, .md or .json file with --out, or pass --format",
    "source": "e.g. `seal score path/to/pairs.jsonl.gz`; with no DATA the bundled sample is used",
    "model": "see `seal models` for the built-in ones",
}


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help (0) or a bad option (2, one line already printed)
        return e.code if isinstance(e.code, int) else 2
    console = Console(quiet=args.quiet)
    args.console = console
    error = None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)
            warnings.showwarning = lambda msg, *a, **k: console.note(f"warning: {msg}")
            code = COMMANDS[args.command](args)
        console.flush()
        return code
    except SealInputError as e:
        hint = CLI_HINTS.get(getattr(e, "option", None) or "")
        error, code = f"{e}" + (f" ({hint})" if hint else ""), 2
    except OSError as e:  # a path the system refused (permissions, a vanished file)
        what = f"{e.strerror}: {e.filename}" if e.strerror and e.filename else f"{type(e).__name__}: {e}"
        error, code = what, 2
    except KeyboardInterrupt:
        console.discard()
        print("interrupted; every batch scored so far is kept in the cache", file=sys.stderr)
        return 130
    except Exception as e:
        if os.environ.get("SEAL_DEBUG", "").strip() not in ("", "0"):
            raise
        error, code = f"unexpected {type(e).__name__}: {e} (set SEAL_DEBUG=1 to see where)", 1
    console.discard()
    print(f"seal {args.command}: error: {_one_line(error)}", file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
