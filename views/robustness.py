"""Alignment robustness: perturb the slice, re-score, and see how often each RM's preference flips, and why."""

import pandas as pd
import streamlit as st

from seal_core.data import content_hash
from seal_core.editing import diff_as_text, word_diff
from seal_core.features import RulesFeaturizer, label_pairs
from seal_core.metrics.robustness import (
    flip_variables,
    probe_pass_rates,
    robustness_scores,
    robustness_summary,
    underpowered_words,
)
from seal_core.perturb import PERTURBATIONS, perturb_pairs
from seal_core.robustness import expected_directions, run_robustness
from ui.charts import forest, share_bars
from ui.errors import user_errors
from ui.loaders import label_cache, score_cache
from ui.sidebar import context
from ui.text import plain

ctx = context()
st.title("Alignment robustness")
st.caption(
    "Meaning-preserving edits should not change which response an RM prefers. Directional probes (an insult, a "
    "refusal, a cut) should lower the score."
)
if not ctx.rms:
    st.info("Pick a reward model in the sidebar.")
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
key = (content_hash(ctx.pairs), tuple(names), int(seed), gate if use_gate else None,
       tuple(rm.cache_key for rm in ctx.rms.values()))  # fmt: skip
if st.button("Run the robustness suite", key="rob_run", disabled=not names):
    bar = st.progress(0.0, text="Perturbing and re-scoring…")
    with user_errors("Robustness run failed"):
        rows, excluded = run_robustness(
            ctx.pairs, list(ctx.rms.values()), names, seed=int(seed), cache=score_cache(),
            gate=gate if use_gate else None,
            progress=lambda d, t: bar.progress(d / t, text=f"Perturbation × RM {d}/{t}"),
        )  # fmt: skip
    bar.empty()
    st.session_state["rob_result"] = (key, rows, excluded)
result = st.session_state.get("rob_result")
if not result or result[0] != key:
    st.info("Choose perturbations and press Run.")
    st.stop()
_, rows, excluded = result
role_of = {rm.model_id: role for role, rm in ctx.rms.items()}
rows = rows.assign(role=rows["model"].map(role_of))
if len(excluded):
    st.caption(f"The similarity gate excluded {len(excluded)} perturbed pair(s) below {gate:.2f}.")
summary = robustness_summary(rows)
summary["RM"] = summary["model"].map(role_of).map({"pre": "pre-training RM", "post": "post-training RM"})
chart = summary.assign(share=summary["flip_rate"], ci_low=summary["flip_ci_low"], ci_high=summary["flip_ci_high"])
st.altair_chart(share_bars(chart, category="perturbation", color="RM", title="How often the preference flips",
                           x_title="Share of pairs whose preferred response changed"), width="stretch")  # fmt: skip
st.caption("Flip rate per perturbation and RM (either direction), with 95% Wilson intervals.")
st.dataframe(summary.drop(columns=["RM"]), hide_index=True)
if weak := underpowered_words(summary):
    st.caption(weak)
probes = probe_pass_rates(rows, expected_directions(names))
if len(probes):
    st.markdown("**Directional probes**: share of texts whose score went down, as it should")
    st.dataframe(probes, hide_index=True)

st.subheader("Which feature changes drive the flips (π)")
pert_for_pi = st.selectbox("Perturbation", [n for n in names], key="rob_pi_pert")
role = st.selectbox("RM", list(ctx.rms), index=len(ctx.rms) - 1, key="rob_pi_rm")
sub = rows[(rows["perturbation"] == pert_for_pi) & (rows["role"] == role)]
perturbed = perturb_pairs(ctx.pairs[ctx.pairs["pair_id"].isin(set(sub["pair_id"]))], pert_for_pi, seed=int(seed))
with user_errors("Labelling"):
    f0 = label_pairs(ctx.pairs[ctx.pairs["pair_id"].isin(set(sub["pair_id"]))], RulesFeaturizer(), cache=label_cache())
    f1 = label_pairs(perturbed, RulesFeaturizer(), cache=label_cache())
feats = ["last_response_sentiment", "last_response_is_refusal", "last_response_contains_insult", "response_hedges",
         "response_apologizes", "response_asks_question"]  # fmt: skip
flips = flip_variables(f0, f1, feats)
try:
    pi = robustness_scores(flips, sub.set_index("pair_id")["became_misaligned"])
    st.altair_chart(forest(pi, title="Robustness scores π", x_title="Change in the chance of becoming misaligned "
                           "(95% CI)"), width="stretch")  # fmt: skip
    st.dataframe(pi, hide_index=True)
    st.caption("Linear probability model of 'became misaligned' on flips of the rule features (SEAL §7.4): π+ is a "
               "feature lost by the edit, π− one gained; _c chosen, _r rejected. Robust SEs, unadjusted p.")  # fmt: skip
except Exception as e:  # noqa: BLE001 - shown to the user as a message
    st.info(str(e))

st.subheader("Pairs that flipped")
flipped = sub[sub["became_misaligned"] | sub["became_aligned"]]
st.caption(f"{len(flipped):,} pair(s) flipped under '{pert_for_pi}' for the {role} RM.")
if len(flipped):
    pick = st.selectbox("Pair", flipped["pair_id"].tolist(), key="rob_pair")
    original = ctx.pairs.set_index("pair_id").loc[pick]
    edited = perturbed.set_index("pair_id").loc[pick]
    r = flipped.set_index("pair_id").loc[pick]
    st.write(
        f"Margin {r.score_chosen - r.score_rejected:+.3f} → "
        f"{r.score_chosen_perturbed - r.score_rejected_perturbed:+.3f}: the RM "
        f"{'now prefers the rejected response' if r.became_misaligned else 'now prefers the chosen response'}."
    )
    for side in ("chosen", "rejected"):
        left, right = st.columns(2)
        with left:
            plain(original[side], label=f"{side}, original")
        with right:
            plain(edited[side], label=f"{side}, perturbed")
        st.code(diff_as_text(word_diff(original[side], edited[side])), language="diff", wrap_lines=True)
