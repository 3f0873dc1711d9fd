"""What a ``seal`` command prints besides its results: notes, progress bars with units and totals, ``--quiet``.

Notes about the input (identical pairs, skipped records, a small slice) are held until the work starts, so a bad
option or model found after loading still ends in one line; progress bars appear once their total is known (no
``0text`` placeholder) and are closed before any error is printed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["Console"]


class Console:
    """Notes and progress for one command run; ``quiet`` silences both (results and errors still print).

    Examples
    --------
    >>> import io
    >>> err = io.StringIO()
    >>> con = Console(stream=err)
    >>> con.note("2 pair(s) are identical")
    >>> err.getvalue()  # held until the work starts
    ''
    >>> with con.progress("scoring", unit="texts") as tick:
    ...     tick(4, 4)
    >>> print(err.getvalue().splitlines()[0])
    note: 2 pair(s) are identical
    >>> "4/4 texts" in err.getvalue()
    True
    """

    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self._stream = stream
        self._held: list[str] = []

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def note(self, message: str) -> None:
        """A note for stderr, printed when the work starts (or at the end); dropped when the command fails first."""
        if not self.quiet:
            self._held.append(message)

    def flush(self) -> None:
        """Print the held notes now."""
        for message in self._held:
            print(message if message.startswith(("note:", "warning:", "  ")) else f"note: {message}",
                  file=self.stream)  # fmt: skip
        self._held.clear()

    def discard(self) -> None:
        self._held.clear()

    @contextmanager
    def progress(self, desc: str, *, unit: str = "texts") -> Iterator[Callable[[int, int], None]]:
        """A ``progress(done, total)`` callback drawing one bar, created at the first call (when the total is
        known) and closed when the block ends, error or not."""
        self.flush()
        bar = None

        def tick(done: int, total: int) -> None:
            nonlocal bar
            if self.quiet:
                return
            if bar is None:
                from tqdm import tqdm

                bar = tqdm(total=total, desc=desc, unit=f" {unit}", file=self.stream, dynamic_ncols=True,
                           bar_format="{desc}: {percentage:3.0f}%|{bar:24}| {n_fmt}/{total_fmt} " + unit
                           + " [{elapsed}<{remaining}, {rate_fmt}]")  # fmt: skip
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            yield tick
        finally:
            if bar is not None:
                bar.close()
