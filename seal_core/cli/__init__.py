"""The ``seal`` command: :mod:`.parser` (arguments), :mod:`.commands` (one function per command), :mod:`.main`."""

from seal_core.cli.main import main
from seal_core.cli.parser import build_parser

__all__ = ["build_parser", "main"]
