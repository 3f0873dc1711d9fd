"""Overview: what the data is, and how often each RM disagrees with the human labels."""

import pandas as pd
import streamlit as st

from seal_core.glossary import model_label
from seal_core.metrics.resistance import alignment_resistance
from ui.charts import margin_histogram, resistance_bars
from ui.errors import user_errors
from ui.sidebar import context
from ui.story import technical

ctx = context()
st.title("Overview")
pairs = ctx.pairs
c1, c2, c3, c4 = st.columns(4)
c1.metric("Pairs in the slice", f"{len(pairs):,}", help=f"of {len(ctx.loaded.pairs):,} loaded")
c2.metric("Identical chosen/rejected", int(pairs["identical"].sum()) if len(pairs) else 0)
c3.metric("Skipped while loading", len(ctx.loaded.skipped))
c4.metric("Median turns", int(pairs["prompt_chosen"].str.count("\n\nHuman:").median()) if len(pairs) else "–")
st.caption(f"Data: {ctx.loaded.source} ({ctx.loaded.input_format} format). Slice: {ctx.spec.describe()}.")
for note in ctx.notes:
    st.info(note)
if len(ctx.loaded.skipped):
    with st.expander(f"{len(ctx.loaded.skipped)} skipped record(s) and why"):
        st.dataframe(ctx.loaded.skipped, hide_index=True)

with st.expander("Reproduce SEAL (full hh-rlhf, the OpenAssistant RMs, an LLM labeler)"):
    from seal_core.data import hub_offline_reason
    from seal_core.preset import plan
    from ui.sidebar import PRESET_FLAG

    st.code(plan(), language=None, wrap_lines=True)
    offline = hub_offline_reason()
    if st.button(
        "Use SEAL's setup",
        key="preset_go",
        disabled=bool(offline),
        help=f"Needs the network: {offline}" if offline else None,
    ):
        st.session_state[PRESET_FLAG] = True
        st.rerun()
    st.caption("The Resistance page shows the paper's reference numbers beside the computed ones for any setup.")

st.subheader("Alignment resistance")
if not len(pairs):
    st.warning("The slice is empty: widen the filters in the sidebar.")
    st.stop()
if not ctx.rms:
    st.info("Pick a reward model in the sidebar (a built-in one, a Hugging Face hub id, or a local folder).")
    st.stop()
with user_errors("Scoring failed"):
    scores = ctx.scores()
results = {role: alignment_resistance(g) for role, g in scores.groupby("role", sort=False)}
for role, res in results.items():
    st.markdown(f"**{model_label(res.model, role)}**", help=f"Full model id: {res.model}")
    st.write(res.sentence())
table = pd.DataFrame([{"role": role, **vars(res)} for role, res in results.items()])
st.altair_chart(resistance_bars(table), width="stretch")
st.caption(
    "Each bar is the share of pairs in which the reward model scored the response people rejected at least as high "
    "as the one they chose (ties count as not agreeing, as in SEAL). Black whiskers: 95% Wilson interval."
)
st.altair_chart(margin_histogram(scores), width="stretch")
st.caption("Pairs to the right of zero are ones where the RM agrees with the human label.")
technical(table.drop(columns=["ci"]), "Numbers behind the chart", key="overview_resistance")
truncated = scores[scores.truncated_chosen | scores.truncated_rejected]
if len(truncated):
    st.caption(
        f"{truncated.pair_id.nunique():,} pair(s) had text cut to fit a model's token limit; "
        "the Pair inspector shows what was cut."
    )
