"""Pair inspector: one pair, everything known about it. Dataset text is shown as plain text only."""

import pandas as pd
import streamlit as st

from seal_core.glossary import model_label
from ui.errors import user_errors
from ui.loaders import get_scores
from ui.pairs import pick_pair
from ui.sidebar import context
from ui.text import plain, responses_side_by_side

ctx = context()
st.title("Pair inspector")
pair = pick_pair(ctx, key="inspector_pair")
if pair is None:
    st.stop()
pid = pair["pair_id"]
flags = [
    name for name, on in (("identical texts", pair["identical"]), ("empty response", pair["empty_response"])) if on
]
st.caption(f"Source: {pair['source']} · row {pair['row_id']}" + (f" · flags: {', '.join(flags)}" if flags else ""))

plain(pair["prompt_chosen"], label="Conversation before the last response (chosen side)", height=220)
if pair["prompt_rejected"] != pair["prompt_chosen"]:
    plain(pair["prompt_rejected"], label="Conversation before the last response (rejected side: differs)", height=220)
responses_side_by_side(pair["chosen"], pair["rejected"])

st.subheader("Reward model scores")
if not ctx.rms:
    st.info("Pick a reward model in the sidebar to see scores.")
    st.stop()
with user_errors("Scoring failed"):
    scores = ctx.scores()
row = scores[scores.pair_id == pid]
if row.empty:  # the pair came from outside the slice
    with user_errors("Scoring failed"):
        row = pd.concat([get_scores(pair.to_frame().T, rm).assign(role=role) for role, rm in ctx.rms.items()])
for r in row.itertuples():
    st.markdown(f"**{model_label(r.model, r.role)}**", help=f"Full model id: {r.model}")
    cols = st.columns(4)
    cols[0].metric("Score, chosen", f"{r.score_chosen:.3f}")
    cols[1].metric("Score, rejected", f"{r.score_rejected:.3f}")
    verdict = "agrees with people" if r.agrees else ("tie" if r.tie else "prefers the rejected one")
    cols[2].metric("Margin", f"{r.margin:+.3f}", help=verdict)
    cols[3].metric("Tokens (chosen / rejected)", f"{r.n_tokens_chosen} / {r.n_tokens_rejected}")
    st.caption(f"The RM {verdict}.")
    for side in ("chosen", "rejected"):
        pc, rc = getattr(r, f"prompt_tokens_cut_{side}"), getattr(r, f"response_tokens_cut_{side}")
        if pc or rc:
            st.warning(
                f"{side.capitalize()} text was cut to {r.max_length} tokens: {pc} token(s) of the earlier "
                f"conversation dropped" + (f" and {rc} token(s) of the response's end" if rc else "") + "."
            )
