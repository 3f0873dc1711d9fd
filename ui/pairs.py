"""Pick one pair: from the slice, by id, or from the ``?pair=`` link."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.sidebar import Context


def pick_pair(ctx: Context, *, key: str) -> pd.Series | None:
    """Draw the pair picker and return the chosen row (None when there is nothing to pick).

    A ``?pair=`` link or a typed id selects that pair once; afterwards the select box is in charge. A pair outside
    the slice is shown from the whole dataset, with a note.
    """
    state = st.session_state
    typed = st.text_input("Open a pair by id", key=f"{key}_id", placeholder="pair_id").strip()
    link = st.query_params.get("pair")
    wanted = None
    if typed and typed != state.get(f"{key}_typed_used"):
        wanted = state[f"{key}_typed_used"] = typed
    elif link and link != state.get(f"{key}_link_written"):
        wanted = link
    all_ids = set(ctx.loaded.pairs["pair_id"])
    if wanted and wanted not in all_ids:
        st.error(f"No pair with id {wanted!r} in this dataset; pick one below.")
        wanted = None
    if wanted:
        state[key] = wanted
    pairs = ctx.pairs
    current = state.get(key)
    if current and current in all_ids and current not in set(pairs["pair_id"]):
        st.info(f"Pair {current} is outside the current slice; listing the whole dataset.")
        pairs = ctx.loaded.pairs
    if not len(pairs):
        st.warning("The slice is empty: widen the filters in the sidebar.")
        return None
    ids = pairs["pair_id"].tolist()
    if current not in ids:
        state[key] = ids[0]
    rows = dict(zip(pairs["pair_id"], pairs["row_id"]))
    pid = st.selectbox("Pair", ids, key=key, format_func=lambda p: f"{p}  (row {rows[p]})")
    st.query_params["pair"] = state[f"{key}_link_written"] = pid
    return pairs[pairs["pair_id"] == pid].iloc[0]
