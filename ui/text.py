"""Show untrusted dataset text as plain text: never HTML, never markdown."""

from __future__ import annotations

import streamlit as st


def plain(text: str, *, label: str | None = None, height: int | None = None) -> None:
    """Render ``text`` verbatim in a wrapped code block (no markdown, no HTML interpretation)."""
    if label:
        st.caption(label)
    kw = {"height": height} if height else {}
    st.code(text if text else "(empty)", language=None, wrap_lines=True, **kw)


def responses_side_by_side(chosen: str, rejected: str) -> None:
    """The two responses of a pair in two columns, as plain text."""
    left, right = st.columns(2)
    with left:
        st.markdown("**Chosen by people**")
        plain(chosen)
    with right:
        st.markdown("**Rejected by people**")
        plain(rejected)
