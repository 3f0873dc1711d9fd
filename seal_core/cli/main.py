"""``seal`` (also ``python -m seal_core``): parse the arguments, run the command, turn input errors into exit 2."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

from seal_core.cli.commands import COMMANDS
from seal_core.cli.parser import build_parser
from seal_core.errors import SealInputError

__all__ = ["main"]

# The library names the parameter at fault (SealInputError.option); the command line names its flag.
CLI_HINTS = {
    "strict": "pass --lenient to skip bad records and list them",
    "labeler": "choose one with --labeler",
    "rewritten": "add --rewrite",
    "fmt": "name an .html, .md or .json file with --out, or pass --format",
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)
            warnings.showwarning = lambda msg, *a, **k: print(f"warning: {msg}", file=sys.stderr)
            return COMMANDS[args.command](args)
    except SealInputError as e:
        hint = CLI_HINTS.get(getattr(e, "option", None) or "")
        print(f"seal {args.command}: error: {e}" + (f" ({hint})" if hint else ""), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; every batch scored so far is kept in the cache", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
