"""Triage links: the reviewer's name (remembered in the session and the address) and the pair a link names."""

from __future__ import annotations

import streamlit as st

KEY = "triage_reviewer"
PARAM = "reviewer"


def reviewer_input() -> str:
    """Draw the Reviewer box; the name comes from the session, else from ``?reviewer=``, and is written back to the
    address so a reload or a bookmark keeps it."""
    state = st.session_state
    if KEY not in state and st.query_params.get(PARAM):
        state[KEY] = st.query_params[PARAM][:80]
    name = st.text_input("Reviewer", key=KEY, placeholder="your name (needed to record verdicts)").strip()
    if name:
        st.query_params[PARAM] = name
    elif PARAM in st.query_params:
        del st.query_params[PARAM]
    return name


def linked_queue(queue_ids: list[str], ranked_ids: list[str]) -> tuple[list[str], int | None]:
    """The queue to walk, and the position to jump to when a new ``?pair=`` link arrives.

    A linked pair of the slice opens even when the queue's filters leave it out (reviewed already, below a
    threshold): it stays pinned in front of the queue until the reviewer records a verdict or moves on
    (:func:`unpin`). Returns ``(ids, position or None)``.
    """
    state = st.session_state
    link = st.query_params.get("pair")
    jump = False
    if link and link in ranked_ids and state.get("triage_link_used") != link:
        state["triage_link_used"] = state["triage_pinned"] = link
        jump = True
    pinned = state.get("triage_pinned")
    extra = pinned in ranked_ids and pinned not in queue_ids
    state["triage_pinned_extra"] = extra
    ids = [pinned, *queue_ids] if extra else list(queue_ids)
    return ids, (ids.index(pinned) if jump else None)


def unpin() -> int:
    """Release a linked pair pinned in front of the queue; returns how many places the queue shifts (0 or 1)."""
    pinned = st.session_state.pop("triage_pinned", None)
    return int(pinned is not None and st.session_state.pop("triage_pinned_extra", False))
