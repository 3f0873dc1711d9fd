"""Visible progress for anything that takes more than a second: what is happening and how far it got."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st


@contextmanager
def progress(what: str, unit: str = "texts") -> Iterator[Callable[[int, int], None]]:
    """A progress bar saying ``what`` and ``done/total unit``; yields the ``progress(done, total)`` callback that
    seal_core functions take, and removes the bar when the work is done."""
    bar = st.progress(0.0, text=f"{what}…")

    def update(done: int, total: int) -> None:
        bar.progress(min(done / total, 1.0) if total else 1.0, text=f"{what}: {done:,}/{total:,} {unit}")

    try:
        yield update
    finally:
        bar.empty()
