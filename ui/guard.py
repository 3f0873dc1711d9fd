"""Never a raw traceback: a guard around each page and around each section of a page.

``page_guard`` (used once, by the router, around whichever page runs) turns any unexpected exception into a short
message with a "Details" expander and one log line with the traceback on the server. ``section`` does the same for
one part of a page and lets the rest of the page render; inside it, a :class:`SealInputError` (not enough data, a
bad choice) becomes a plain-words note rather than an error.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from seal_core.errors import SealInputError

log = logging.getLogger("seal_explorer.app")
MAX_DETAIL = 600


def _short(e: BaseException) -> str:
    text = f"{type(e).__name__}: {e}"
    return text if len(text) <= MAX_DETAIL else text[:MAX_DETAIL] + " … (cut)"


def show_unexpected(e: Exception, where: str) -> str:
    """Draw a short error with a details expander and log the traceback; returns the reference in both."""
    ref = uuid.uuid4().hex[:8]
    log.error("%s failed (ref %s)", where, ref, exc_info=e)
    st.error(
        f"{where} could not be shown: something unexpected went wrong. The rest of the app still works; "
        f"changing the slice or the models may help. Reference {ref} (in the server log)."
    )
    with st.expander("Details"):
        st.code(_short(e), language=None, wrap_lines=True)
    return ref


@contextmanager
def page_guard(page: str) -> Iterator[None]:
    """Run a whole page: an input problem is one clear message, anything else a short message with details."""
    try:
        yield
    except SealInputError as e:
        st.error(str(e))
    except Exception as e:  # noqa: BLE001 - the point of the guard; Streamlit's stop/rerun are BaseExceptions
        show_unexpected(e, f"The {page} page")


@contextmanager
def section(what: str, *, needs: str = "") -> Iterator[None]:
    """Run one section of a page; on failure say so in its place and carry on with the rest of the page.

    A :class:`SealInputError` (too few pairs, one RM, an empty slice…) becomes an info note in plain words, with
    ``needs`` appended when given; any other exception a short error with details and a log line.
    """
    try:
        yield
    except SealInputError as e:
        st.info(f"{what}: {e}" + (f" {needs}" if needs else ""))
    except Exception as e:  # noqa: BLE001
        show_unexpected(e, what)


@contextmanager
def needs(what: str) -> Iterator[None]:
    """Run what the rest of the page depends on; when the data cannot support it (a :class:`SealInputError`: too
    few pairs, nothing that varies…), say so in a note and end the page there, without an error box."""
    try:
        yield
    except SealInputError as e:
        st.info(f"{what} needs more varied data than this slice has: {e}. Widen the slice or pick other data.")
        st.stop()
