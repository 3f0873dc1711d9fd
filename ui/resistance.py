"""Sections of the Resistance page, each drawing one part of a :class:`~seal_core.analysis.RegimeAnalysis`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from seal_core.analysis import RegimeAnalysis
from seal_core.metrics.power import AGREEMENT_EFFECT, underpowered_note
from seal_core.metrics.regimes import chance_level_note
from ui.charts import GAMMA_NAMES, REGIME_NAMES, ROLE_NAMES, mosaic, share_bars
from ui.sidebar import Context
from ui.text import table

SHOWN = 2_000  # pairs listed in a drill-down table


def draw_regimes(reg: RegimeAnalysis) -> None:
    """SEAL's Table 1 as bars and a sentence, and the ties."""
    st.subheader("Alignment regimes")
    n = reg.n_pairs
    if n < 30:
        st.warning(f"Only {n} pairs in the slice: the shares below are very uncertain.")
    regimes = reg.regimes.assign(label=reg.regimes["regime"].map(REGIME_NAMES))
    st.altair_chart(share_bars(regimes, category="label", title="How pairs moved from the pre- to the post-training "
                               "RM", x_title="Share of pairs"), width="stretch")  # fmt: skip
    st.caption("Each bar is the share of pairs in a regime (SEAL's Table 1); whiskers: 95% Wilson intervals.")
    share = reg.regimes.set_index("regime")["share"]
    st.write(
        f"Of {n:,} pairs, {share['got_aligned']:.0%} got aligned by training and {share['resisted']:.0%} resisted "
        f"it: neither RM prefers the response people chose. {share['reversed']:.0%} went the wrong way."
    )
    table(reg.regimes)
    if chance := chance_level_note(reg.pairs):
        st.info(chance)
    ties = reg.resistance["pre"].n_ties, reg.resistance["post"].n_ties
    if any(ties):
        st.caption(f"Ties (counted as not agreeing, as in SEAL): {ties[0]} for the pre RM, {ties[1]} for the post RM.")


def draw_gamma(reg: RegimeAnalysis) -> None:
    """The labeler's view γ: shares, the mosaic, P(misaligned | γ), regime × γ, agreement and McNemar tests."""
    shares = reg.gamma_counts() / max(reg.gamma_counts().sum(), 1)
    st.write(
        f"The labeler prefers the chosen response in {shares['c']:.0%} of pairs, is indifferent in {shares['i']:.0%} "
        f"and prefers the rejected one in {shares['r']:.0%}."
        + (
            f" {reg.gamma_incomplete_pairs:,} pair(s) missing a target label were left out."
            if reg.gamma_incomplete_pairs
            else ""
        )  # fmt: skip
    )
    st.altair_chart(mosaic(reg.pairs))
    st.caption(
        "Each column is one view of the labeler, as wide as its share of pairs; green is where the RM agrees with "
        "people, red where it prefers the rejected response. Training should shrink the red, most of all on the left."
    )
    mg = reg.misalignment_given_gamma
    chart = mg.assign(**{"γ": mg["gamma"].map(GAMMA_NAMES), "RM": mg["rm"].map(ROLE_NAMES)})
    st.altair_chart(share_bars(chart, category="γ", color="RM", title="How often each RM prefers the rejected "
                               "response, by what the labeler thinks", x_title="Share of pairs where the RM is "
                               "misaligned"), width="stretch")  # fmt: skip
    st.caption(
        "P(RM misaligned | γ), with 95% Wilson intervals; ties count as misaligned (strict, as SEAL's headline)."
    )
    table(mg)
    st.markdown("**Regime × γ** (counts, and the share of each regime within each γ)")
    table(reg.regime_by_gamma)
    st.markdown("**Who agrees with whom** (pairs where the labeler has an opinion, γ ≠ indifferent)")
    table(reg.agreement)


def draw_mcnemar(reg: RegimeAnalysis) -> None:
    st.markdown("**Exact McNemar tests** (paired: the same pairs judged two ways)")
    table(reg.mcnemar)
    first = reg.mcnemar.iloc[0]
    st.caption(
        f"The post RM agrees with people on {first.share_b:.0%} of pairs against {first.share_a:.0%} for the pre RM "
        f"(McNemar exact p = {first.p:.2g}): a p below 0.05 means the change is unlikely to be chance."
        + (f" {underpowered_note(AGREEMENT_EFFECT, first.mde).capitalize()}." if first.underpowered else "")
    )


def draw_drilldown(ctx: Context, reg: RegimeAnalysis) -> None:
    """The pairs behind a regime (and γ), with a button that opens one in the Pair inspector."""
    st.subheader("The pairs behind a number")
    c1, c2 = st.columns(2)
    regime = c1.selectbox("Regime", ["(any)", *REGIME_NAMES], key="resist_drill_regime")
    cell = reg.pairs if regime == "(any)" else reg.pairs[reg.pairs["regime"] == regime]
    if "gamma" in cell:
        g = c2.selectbox("γ", ["(any)", *GAMMA_NAMES], key="resist_drill_gamma",
                         format_func=lambda v: GAMMA_NAMES.get(v, v))  # fmt: skip
        cell = cell if g == "(any)" else cell[cell["gamma"] == g]
    n_cell = len(cell)
    cell = cell.head(SHOWN)  # a table of 160,800 rows helps nobody and takes seconds to send to the browser
    prompts = ctx.pairs.set_index("pair_id")["prompt_chosen"]
    cell = cell.assign(prompt=cell["pair_id"].map(prompts).str.slice(0, 120))
    st.caption(f"{n_cell:,} pair(s)" + (f"; the first {SHOWN:,} are listed (narrow the slice in the sidebar to see "
                                        "others)." if n_cell > SHOWN else "."))  # fmt: skip
    cols = [c for c in ("pair_id", "regime", "gamma", "margin_pre", "margin_post", "prompt") if c in cell]
    table(pd.DataFrame(cell[cols]))
    if len(cell):
        pick = st.selectbox("Open a pair in the inspector", cell["pair_id"].tolist(), key="resist_open")
        if st.button("Open in the Pair inspector", key="resist_open_go"):
            st.session_state["inspector_pair"] = pick
            st.switch_page("views/inspector.py", query_params={"pair": pick})
