"""Turn seal_core's input errors into st.error messages instead of tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from seal_core.errors import SealInputError


@contextmanager
def user_errors(what: str = "") -> Iterator[None]:
    """Show a :class:`SealInputError` as a red box (the message already says how to fix it) and stop the page."""
    try:
        yield
    except SealInputError as e:
        st.error(f"{what}: {e}" if what else str(e))
        st.stop()
