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


def linked_position(queue_ids: list[str], ranked_ids: list[str]) -> tuple[list[str], int | None]:
    """The queue to walk and the position a ``?pair=`` link asks for, once per link.

    A linked pair in the slice is opened even when the queue's filters leave it out (reviewed already, below a
    threshold): it is put in front of the queue. Returns ``(queue_ids, position or None)``.
    """
    link = st.query_params.get("pair")
    if not link or link not in ranked_ids:
        return queue_ids, None
    ids = queue_ids if link in queue_ids else [link, *queue_ids]
    if st.session_state.get("triage_link_used") == link:
        return ids, None
    st.session_state["triage_link_used"] = link
    return ids, ids.index(link)
