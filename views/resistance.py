"""Alignment resistance in depth: regimes between the pre and post RM, the labeler's view γ, and the pairs behind
every number. Everything drawn here comes from one :class:`seal_core.analysis.Analysis` of the slice."""

import pandas as pd
import streamlit as st

from seal_core.features import regression_columns
from seal_core.glossary import feature_name
from seal_core.metrics.regimes import SEAL_GAMMA_TARGETS, default_gamma_targets
from seal_core.preset import compare
from ui.errors import user_errors
from ui.featuresource import choose_features
from ui.resistance import draw_drilldown, draw_gamma, draw_mcnemar, draw_regimes
from ui.results import get_analysis
from ui.sidebar import context, require_pre_post
from ui.text import table

ctx = context()
st.title("Alignment resistance")
scores, ids = require_pre_post(ctx, "The regime analysis")
regimes_box = st.container()  # drawn once the analysis (which needs the feature choice below) is there

st.subheader("What the labeler thinks (γ)")
choice = choose_features(ctx, key="resist")
targets: list[str] = []
if choice.features is not None:
    cols = regression_columns(choice.features)
    default = default_gamma_targets(cols)
    options = list(dict.fromkeys(default + cols + [f"-{c}" for c in cols]))
    targets = st.multiselect("Target features, most important first (“Not: …” = having it is worse)", options,
                             default=default, key="resist_targets", format_func=feature_name)  # fmt: skip
    if not set(SEAL_GAMMA_TARGETS) <= set(cols):
        st.caption("SEAL's γ compares (harmless, helpful) from an LM labeler; these labels lack them, so γ here uses "
                   "the chosen targets instead (by default: rule-based harm flags, reversed).")  # fmt: skip
    if not targets:
        st.info("Choose at least one target feature.")
with user_errors("The analysis"):
    analysis = get_analysis(ctx, scores, features=choice.features, features_key=choice.key, targets=targets)
reg = analysis.regimes
with regimes_box:
    draw_regimes(reg)
if reg.gamma is not None:
    draw_gamma(reg)
draw_mcnemar(reg)

st.subheader("Which features go with misalignment")
if reg.regression is not None:
    table(reg.regression.outcome("misalignment"))
    st.caption("Linear probability model of the post RM preferring the rejected response, on the features of the "
               "chosen (c) and rejected (r) texts; robust SEs; Bonferroni-adjusted p.")  # fmt: skip
    if reg.regression.dropped:
        st.caption(f"Left out (constant or collinear on these pairs): {', '.join(reg.regression.dropped)}.")
    if reg.regression_incomplete_pairs:
        st.caption(f"{reg.regression_incomplete_pairs:,} pair(s) missing a label were left out.")
else:
    st.info(reg.regression_note or "Needs features and at least one target feature (above).")

with st.expander("Compare with the paper's numbers"):
    table(pd.DataFrame(compare(analysis.to_dict())))
    st.caption(
        "SEAL's values are for hh-rlhf train (160,800 pairs) with the OpenAssistant DeBERTa RMs and GPT-4 Turbo labels "
        "(seal-method.md §10); the computed ones are for the current dataset, slice, RMs and labels, so they match "
        "only under the Reproduce SEAL setup (Overview page)."
    )

draw_drilldown(ctx, reg)
