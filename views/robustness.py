"""Alignment robustness: perturb the slice, re-score, and see how often each RM's preference flips, and why.
Everything drawn here comes from one :class:`seal_core.robustness.RobustnessRun`."""

import pandas as pd
import streamlit as st

from seal_core.features import get_featurizer
from seal_core.perturb import PERTURBATIONS
from seal_core.robustness import run_robustness
from ui.errors import user_errors
from ui.loaders import label_cache, memo, score_cache
from ui.robustness import draw_flipped, draw_pi, draw_summary
from ui.sidebar import context

ctx = context()
st.title("Alignment robustness")
st.caption(
    "Meaning-preserving edits should not change which response an RM prefers. Directional probes (an insult, a "
    "refusal, a cut) should lower the score."
)
if not ctx.rms:
    st.info("Pick a reward model in the sidebar.")
    st.stop()
if not len(ctx.pairs):
    st.warning("The slice is empty: widen the filters in the sidebar.")
    st.stop()
names = st.multiselect("Perturbations", list(PERTURBATIONS), default=["typos", "prefix", "insult"], key="rob_names",
                       format_func=lambda n: f"{n} ({PERTURBATIONS[n].kind})")  # fmt: skip
with st.expander("What each perturbation does"):
    st.dataframe(pd.DataFrame([{"name": p.name, "kind": p.kind, "expected score change": p.expected,
                                "what": p.description} for p in PERTURBATIONS.values()]), hide_index=True)  # fmt: skip
c1, c2, c3 = st.columns(3)
seed = c1.number_input("Seed", min_value=0, value=0, key="rob_seed")
use_gate = c2.checkbox(
    "Similarity gate", key="rob_gate", help="exclude perturbed pairs the encoder finds too different"
)
gate = c3.slider("Minimum cosine similarity", 0.5, 1.0, 0.85, 0.01, key="rob_gate_value", disabled=not use_gate)
n_texts = 2 * len(ctx.pairs) * len(names)
st.caption(f"{len(ctx.pairs):,} pairs × {len(names)} perturbation(s) = {n_texts:,} new texts per RM to score.")
key = ("robustness", ctx.scores_key, tuple(names), int(seed), gate if use_gate else None)


def run():
    bar = st.progress(0.0, text="Perturbing, re-scoring and labelling…")
    result = run_robustness(
        ctx.pairs, ctx.rms, names, seed=int(seed), cache=score_cache(), gate=gate if use_gate else None,
        featurizer=get_featurizer("rules"), label_cache=label_cache(),
        progress=lambda d, t: bar.progress(d / t, text=f"Step {d}/{t}: perturbation × RM, then labels"),
    )  # fmt: skip
    bar.empty()
    return result


result = memo().peek(key)
if st.button("Run the robustness suite", key="rob_run", disabled=not names):
    with user_errors("Robustness run failed"):
        result = memo().get(key, run)
if result is None:
    st.info("Choose perturbations and press Run.")
    st.stop()
draw_summary(result)

st.subheader("Which feature changes drive the flips (π)")
pert = st.selectbox("Perturbation", list(result.perturbations), key="rob_pi_pert")
role = st.selectbox("RM", list(ctx.rms), index=len(ctx.rms) - 1, key="rob_pi_rm")
draw_pi(result, pert, ctx.rms[role].model_id)

st.subheader("Pairs that flipped")
draw_flipped(ctx, result, pert, role)
