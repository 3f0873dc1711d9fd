"""Feature imprint: which target and spoiler features each RM rewards or punishes, with honest uncertainty."""

import streamlit as st

from seal_core.features import feature_roles, labeler_agreement
from seal_core.glossary import feature_name
from seal_core.metrics.imprint import describe_top
from ui.charts import imprint_forest
from ui.errors import user_errors
from ui.featuresource import RULES, choose_features
from ui.guard import needs
from ui.results import get_imprint
from ui.sidebar import context
from ui.story import technical

ctx = context()
st.title("Feature imprint")
st.caption(
    "SEAL's feature imprint: the reward of each text regressed on its features, with a fixed effect per pair, so "
    "each coefficient is how much more (or less) the RM rewards a response with that feature than its pair partner."
)
if not ctx.rms:
    st.info("Pick a reward model in the sidebar.")
    st.stop()
if len(ctx.pairs) < 3:
    st.warning("The slice has fewer than 3 pairs: widen it in the sidebar.")
    st.stop()

choice = choose_features(ctx, key="imprint")
if choice.features is None:
    st.stop()
feats = choice.features

c1, c2, c3 = st.columns(3)
estimator = c1.selectbox(
    "Estimator",
    ["pair_fe", "pooled_ols"],
    key="imprint_estimator",
    format_func={"pair_fe": "pair fixed effects (default)", "pooled_ols": "pooled OLS (SEAL's code)"}.get,
)
adjust = c2.selectbox("Multiple-testing adjustment", ["bonferroni", "holm", "fdr_bh", "none"], key="imprint_adjust")
show_diff = c3.toggle("Show post − pre", key="imprint_diff", disabled=not {"pre", "post"} <= set(ctx.rms))
per_sd = c3.toggle("Per score sd (compare RMs)", value=len(ctx.rms) > 1, key="imprint_per_sd",
                   help="RMs score on different scales; per-sd coefficients compare them fairly.")  # fmt: skip
cols = [c for c in feats.columns if c not in ("pair_id", "side", "labeler") and feats[c].dtype.kind in "iufb"]
defaults = feature_roles(cols)
targets = st.multiselect(
    "Target features (the rest are spoilers)",
    cols,
    default=[c for c in cols if defaults[c] == "target"],
    key="imprint_targets",
    format_func=feature_name,
)
roles = {c: ("target" if c in targets else "spoiler") for c in cols}

with user_errors("Scoring failed"):
    scores = ctx.scores()
with needs("The imprint regression"):
    res = get_imprint(ctx, scores, feats, choice.key, roles=roles, estimator=estimator, adjust=adjust,
                      scale="sd" if per_sd else "raw")  # fmt: skip
for note in res.notes:
    st.warning(note)
st.altair_chart(imprint_forest(res.table, show_difference=show_diff), width="stretch")
st.caption(
    "Dots: estimated change in reward when a text has the feature (circles: target features; triangles: "
    "spoilers). Lines: 95% confidence intervals, clustered by pair. Faded: not significant after "
    f"{adjust} adjustment. Dashed line: no effect."
)
for role in ("post", "pre"):
    if role in ctx.rms:
        st.write(describe_top(res.table, role, name=feature_name))
technical(res.table, "The imprint table", key="imprint_table")
st.download_button("Download the table (CSV)", res.table.to_csv(index=False), "imprint.csv", "text/csv")
with st.expander("Features left out, and variance inflation factors"):
    if len(res.dropped):
        st.dataframe(res.dropped, hide_index=True)
    else:
        st.caption("No feature was left out.")
    st.dataframe(res.vif, hide_index=True)
if choice.source != RULES:
    st.subheader("Agreement between these labels and the built-in rules")
    with user_errors("Agreement"):
        st.dataframe(labeler_agreement(feats, choice.rules), hide_index=True)
    st.caption("Joined on (pair_id, side). κ: Cohen's kappa (0 = chance agreement, 1 = perfect).")
