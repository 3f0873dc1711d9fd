"""Alignment resistance in depth: regimes between the pre and post RM, the labeler's view γ, and the pairs behind
every number."""

import pandas as pd
import streamlit as st

from seal_core.errors import SealInputError
from seal_core.features import regression_columns, transform_for_regression
from seal_core.metrics.power import AGREEMENT_EFFECT, underpowered_note
from seal_core.metrics.regimes import (
    GAMMA_WORDS,
    REGIME_WORDS,
    SEAL_GAMMA_TARGETS,
    chance_level_note,
    labeler_preference,
    mcnemar_tests,
    misalignment_given_gamma,
    pair_agreement,
    pair_regression,
    regime_by_gamma,
    regime_table,
    three_way_agreement,
    wide_features,
)
from ui.charts import mosaic, share_bars
from ui.errors import user_errors
from ui.featuresource import choose_features
from ui.sidebar import context, require_pre_post

ctx = context()
st.title("Alignment resistance")
scores, pre, post = require_pre_post(ctx, "The regime analysis")
agreement = pair_agreement(scores, pre, post)
n = len(agreement)
if n < 30:
    st.warning(f"Only {n} pairs in the slice: the shares below are very uncertain.")

st.subheader("Alignment regimes")
regimes = regime_table(agreement)
regimes["label"] = regimes["regime"].map(REGIME_WORDS)
st.altair_chart(share_bars(regimes, category="label", title="How pairs moved from the pre- to the post-training RM",
                           x_title="Share of pairs"), width="stretch")  # fmt: skip
st.caption("Each bar is the share of pairs in a regime (SEAL's Table 1); whiskers: 95% Wilson intervals.")
res = regimes.set_index("regime")
st.write(
    f"Of {n:,} pairs, {res.loc['got_aligned', 'share']:.0%} got aligned by training and "
    f"{res.loc['resisted', 'share']:.0%} resisted it: neither RM prefers the response people chose. "
    f"{res.loc['reversed', 'share']:.0%} went the wrong way."
)
st.dataframe(regimes.drop(columns=["label"]), hide_index=True)
if chance := chance_level_note(agreement):
    st.info(chance)
ties = int(agreement.tie_pre.sum()), int(agreement.tie_post.sum())
if any(ties):
    st.caption(f"Ties (counted as not agreeing, as in SEAL): {ties[0]} for the pre RM, {ties[1]} for the post RM.")

st.subheader("What the labeler thinks (γ)")
feats, _, _ = choose_features(ctx, key="resist")
cols = regression_columns(feats)
default_targets = [t for t in SEAL_GAMMA_TARGETS if t in cols] or [
    t for t in ("-last_response_contains_insult", "-last_response_breaks_privacy",
                "-last_response_is_sexually_explicit") if t.lstrip("-") in cols
]  # fmt: skip
options = list(dict.fromkeys(default_targets + cols + [f"-{c}" for c in cols]))
targets = st.multiselect("Target features, most important first ('-' = having it is worse)", options,
                         default=default_targets, key="resist_targets")  # fmt: skip
if not set(SEAL_GAMMA_TARGETS) <= set(cols):
    st.caption("SEAL's γ compares (harmless, helpful) from an LM labeler; these labels lack them, so γ here uses "
               "the chosen targets instead (by default: rule-based harm flags, reversed).")  # fmt: skip
if not targets:
    st.info("Choose at least one target feature.")
    st.stop()
with user_errors("γ"):
    gamma = labeler_preference(feats, targets)
shares = gamma.value_counts(normalize=True).reindex(["c", "i", "r"], fill_value=0)
st.write(
    f"The labeler prefers the chosen response in {shares['c']:.0%} of pairs, is indifferent in {shares['i']:.0%} "
    f"and prefers the rejected one in {shares['r']:.0%}."
    + (
        f" {gamma.attrs['n_incomplete_pairs']:,} pair(s) missing a target label were left out."
        if gamma.attrs.get("n_incomplete_pairs")
        else ""
    )
)
st.altair_chart(mosaic(agreement, gamma))
st.caption(
    "Each column is one view of the labeler, as wide as its share of pairs; green is where the RM agrees with "
    "people, red where it prefers the rejected response. Training should shrink the red, most of all on the left."
)
mg = misalignment_given_gamma(agreement, gamma)
mg["γ"] = mg["gamma"].map(GAMMA_WORDS)
mg["RM"] = mg["rm"].map({"pre": "pre-training RM", "post": "post-training RM"})
st.altair_chart(share_bars(mg, category="γ", color="RM", title="How often each RM prefers the rejected response, "
                           "by what the labeler thinks", x_title="Share of pairs where the RM is misaligned"),
                width="stretch")  # fmt: skip
st.caption("P(RM misaligned | γ), with 95% Wilson intervals; ties count as misaligned (strict, as SEAL's headline).")
st.dataframe(mg.drop(columns=["γ", "RM"]), hide_index=True)
st.markdown("**Regime × γ** (counts, and the share of each regime within each γ)")
st.dataframe(regime_by_gamma(agreement, gamma), hide_index=True)
st.markdown("**Who agrees with whom** (pairs where the labeler has an opinion, γ ≠ indifferent)")
st.dataframe(three_way_agreement(agreement, gamma), hide_index=True)
st.markdown("**Exact McNemar tests** (paired: the same pairs judged two ways)")
tests = mcnemar_tests(agreement, gamma)
st.dataframe(tests, hide_index=True)
first = tests.iloc[0]
st.caption(
    f"The post RM agrees with people on {first.share_b:.0%} of pairs against {first.share_a:.0%} for the pre RM "
    f"(McNemar exact p = {first.p:.2g}): a p below 0.05 means the change is unlikely to be chance."
    + (f" {underpowered_note(AGREEMENT_EFFECT, first.mde).capitalize()}." if first.underpowered else "")
)

st.subheader("Which features go with misalignment")
with user_errors("Regression"):
    design = transform_for_regression(feats.drop(columns=["labeler"], errors="ignore"))
    wide = wide_features(design, regression_columns(design))
    try:
        lpm = pair_regression((~agreement.set_index("pair_id")["agrees_post"]).astype(float), wide,
                              name="post RM disagrees")  # fmt: skip
        st.dataframe(lpm.drop(columns=["outcome"]), hide_index=True)
        if wide.attrs.get("n_incomplete_pairs"):
            st.caption(f"{wide.attrs['n_incomplete_pairs']:,} pair(s) missing a label were left out.")
        st.caption("Linear probability model of the post RM preferring the rejected response, on the features of the "
                   "chosen (c) and rejected (r) texts; robust SEs; Bonferroni-adjusted p.")  # fmt: skip
    except SealInputError as e:
        st.info(str(e))

with st.expander("Compare with the paper's numbers"):
    from seal_core.analysis import analyze
    from seal_core.preset import compare

    report = analyze(scores, pre=pre, post=post, features=feats, gamma_targets=targets, regress=False)
    table = pd.DataFrame(compare(report))
    st.dataframe(table, hide_index=True)
    st.caption(
        "SEAL's values are for hh-rlhf train (160,800 pairs) with the OpenAssistant DeBERTa RMs and GPT-4 Turbo labels "
        "(seal-method.md §10); the computed ones are for the current dataset, slice, RMs and labels, so they match "
        "only under the Reproduce SEAL setup (Overview page)."
    )

st.subheader("The pairs behind a number")
c1, c2 = st.columns(2)
regime = c1.selectbox("Regime", ["(any)", *REGIME_WORDS], key="resist_drill_regime")
g = c2.selectbox("γ", ["(any)", "c", "i", "r"], key="resist_drill_gamma", format_func=lambda v: GAMMA_WORDS.get(v, v))
cell = agreement.merge(gamma.rename("gamma"), left_on="pair_id", right_index=True, how="left")
if regime != "(any)":
    cell = cell[cell["regime"] == regime]
if g != "(any)":
    cell = cell[cell["gamma"] == g]
prompts = ctx.pairs.set_index("pair_id")["prompt_chosen"]
cell = cell.assign(prompt=cell["pair_id"].map(prompts).str.slice(0, 120))
st.caption(f"{len(cell):,} pair(s).")
st.dataframe(pd.DataFrame(cell[["pair_id", "regime", "gamma", "margin_pre", "margin_post", "prompt"]]),
             hide_index=True)  # fmt: skip
if len(cell):
    pick = st.selectbox("Open a pair in the inspector", cell["pair_id"].tolist(), key="resist_open")
    if st.button("Open in the Pair inspector", key="resist_open_go"):
        st.session_state["inspector_pair"] = pick
        st.switch_page("views/inspector.py", query_params={"pair": pick})
