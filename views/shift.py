"""Reward shift: how each pair's reward vector rotated from the pre- to the post-training RM. Everything drawn here
comes from the :class:`seal_core.analysis.ShiftAnalysis` of the slice."""

import streamlit as st

from seal_core.features import regression_columns
from seal_core.glossary import display
from seal_core.metrics.regimes import default_gamma_targets
from ui.charts import REWARD_DIRECTIONS, polar_histogram, reward_heatmap
from ui.errors import user_errors
from ui.loaders import get_features
from ui.results import get_analysis
from ui.sidebar import context, require_pre_post
from ui.story import technical

ctx = context()
st.title("Reward shift")
st.caption(
    "Each pair is a point (reward of the chosen response, reward of the rejected one). Below the dashed diagonal the "
    "RM agrees with people. θ is the signed angle by which a pair's point rotated from the pre- to the "
    "post-training RM (counter-clockwise positive, as in SEAL)."
)
scores, ids = require_pre_post(ctx, "The reward shift")
with user_errors("Labelling failed"):
    rules = get_features(ctx.pairs, "rules", key=ctx.pairs_key)
with user_errors("Reward shift"):
    analysis = get_analysis(ctx, scores, features=rules, features_key=("rules", ctx.pairs_key),
                            targets=default_gamma_targets(regression_columns(rules)))  # fmt: skip
shift = analysis.shift
vectors, summary = shift.vectors, shift.summary
c1, c2 = st.columns(2)
c1.altair_chart(reward_heatmap(vectors, "u", title="Pre-training RM", color="chocolate"))
c2.altair_chart(reward_heatmap(vectors, "v", title="Post-training RM", color="teal"))
lo, hi = summary.theta_median_ci
st.write(
    f"Median θ = {summary.theta_median_deg:.1f}° (95% CI {lo:.1f}° to {hi:.1f}°), mean "
    f"{summary.theta_mean_deg:.1f}°; {summary.share_positive:.0%} of pairs rotated counter-clockwise (sign test "
    f"p = {summary.sign_test_p:.2g}). On average the rewards moved "
    f"{'toward' if summary.delta_cos_mean > 0 else 'away from'} agreement with people (mean change of the cosine to "
    f"the ideal direction: {summary.delta_cos_mean:+.3f})."
)
toward = vectors["delta_cos"].dropna()
if len(toward):
    st.caption(
        f"In {(toward > 0).mean():.0%} of pairs the rewards turned toward the response people chose (the cosine to "
        "the ideal direction grew): that is the share the Findings page reports. It differs from the share that "
        "rotated counter-clockwise, because θ is the turn of the reward vector itself, measured from wherever it "
        "started: the same counter-clockwise turn moves a pair toward agreement in one quadrant and away from it in "
        "another."
    )
if summary.n_undefined:
    st.caption(f"{summary.n_undefined} pair(s) have a zero reward vector, so no angle; they are left out of θ.")
p1, p2, p3 = st.columns(3)
p1.altair_chart(polar_histogram(vectors["dir_u_deg"], title="Reward directions, pre RM", color="#d2691e",
                                directions=REWARD_DIRECTIONS))  # fmt: skip
p2.altair_chart(polar_histogram(vectors["dir_v_deg"], title="Reward directions, post RM", color="#008080",
                                directions=REWARD_DIRECTIONS))  # fmt: skip
p3.altair_chart(polar_histogram(vectors["theta_deg"], title="Reward shifts θ", color="#777777"))
st.caption(
    "Polar histograms, 16 bins, wedge area ∝ number of pairs. Directions are angles from e = (−1, −1)/√2; 0° points "
    "right and angles grow counter-clockwise."
)
st.subheader("θ by regime")
technical(shift.by_regime, "θ by regime: the table", key="shift_by_regime")
st.caption("Median with a 95% CI; the sign test asks whether θ is as often positive as negative.")
sel = st.selectbox("Polar histogram of θ for one regime", shift.by_regime["group"].tolist(), key="shift_regime",
                   format_func=display)  # fmt: skip
st.altair_chart(
    polar_histogram(vectors.loc[vectors["regime"] == sel, "theta_deg"], title=f"Reward shifts θ: {display(sel)}")
)

st.subheader("Which features go with the shift")
if shift.regression is not None:
    st.dataframe(shift.regression.outcome("theta"), hide_index=True)
    st.caption(
        "OLS of θ (degrees) on the built-in rule features of the chosen (c) and rejected (r) texts (SEAL §4.3); "
        "robust SEs, Bonferroni-adjusted p."
    )
else:
    st.info(analysis.regimes.regression_note or "The θ regression needs the rule features of the slice.")
