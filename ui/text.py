"""Show untrusted dataset text as plain text (never HTML, never markdown), and tables with readable p-values."""

from __future__ import annotations

import re

import pandas as pd
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


P_COLUMNS = re.compile(r"^(p|p_adj|p_value|pvalue|p_change|p_exact)$|p-value", re.IGNORECASE)


def table(df: pd.DataFrame, **kwargs) -> None:
    """``st.dataframe`` with p-values shown to two significant digits (``2e-14``, not ``0.00000000000002``)."""
    p_cols = [c for c in df.columns if P_COLUMNS.search(str(c))]
    config = {c: st.column_config.NumberColumn(format="%.2g") for c in p_cols}
    st.dataframe(df, hide_index=True, column_config={**config, **kwargs.pop("column_config", {})}, **kwargs)
