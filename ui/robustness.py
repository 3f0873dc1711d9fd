"""Sections of the Robustness page, each drawing one part of a :class:`~seal_core.robustness.RobustnessRun`."""

from __future__ import annotations

import streamlit as st

from seal_core.editing import diff_as_text, word_diff
from seal_core.glossary import display, model_label
from seal_core.metrics.robustness import underpowered_words
from seal_core.robustness import RobustnessRun
from ui.charts import ROLE_NAMES, forest, share_bars
from ui.sidebar import Context
from ui.text import plain, table


def draw_summary(run: RobustnessRun) -> None:
    """Flip rates per perturbation and RM with CIs, the summary table and the probes' pass rates."""
    if len(run.excluded):
        st.caption(f"The similarity gate excluded {len(run.excluded)} perturbed pair(s) below {run.gate:.2f}.")
    s = run.summary
    chart = s.assign(RM=s["role"].map(ROLE_NAMES), share=s["flip_rate"], ci_low=s["flip_ci_low"],
                     ci_high=s["flip_ci_high"])  # fmt: skip
    st.altair_chart(share_bars(chart, category="perturbation", color="RM", title="How often the preference flips",
                               x_title="Share of pairs whose preferred response changed"), width="stretch")  # fmt: skip
    st.caption("Flip rate per perturbation and RM (either direction), with 95% Wilson intervals.")
    table(s)
    if weak := underpowered_words(_for_people(s)):
        st.caption(weak)
    if len(run.probes):
        st.markdown("**Directional probes**: share of texts whose score went down, as it should")
        st.dataframe(run.probes, hide_index=True)
        st.caption(
            "A probe tests cause and effect: it adds an insult (or a refusal, or a cut) to these texts and scores them "
            "again. Feature imprint measures an association across the data's own texts. An RM can score insulting "
            "texts lower on average (imprint) and still not react when an insult is added (probe): then it has "
            "learned something that goes with insults in this data rather than the insult itself."
        )


def _for_people(summary):
    """The summary with display names for perturbations and RMs (for sentences; tables keep the ids)."""
    roles = summary["role"] if "role" in summary else [None] * len(summary)
    return summary.assign(
        perturbation=summary["perturbation"].map(display),
        model=[model_label(m, r) for m, r in zip(summary["model"], roles)],
    )


def draw_pi(run: RobustnessRun, perturbation: str, model: str) -> None:
    """The robustness scores π of one perturbation and RM, or why there are none."""
    pi = run.pi[(run.pi["perturbation"] == perturbation) & (run.pi["model"] == model)]
    if pi.empty:
        notes = run.pi_notes[(run.pi_notes["perturbation"] == perturbation) & (run.pi_notes["model"] == model)]
        st.info(notes["note"].iloc[0] if len(notes) else "No π for this perturbation and RM.")
        return
    st.altair_chart(forest(pi, title="Robustness scores π", x_title="Change in the chance of becoming misaligned "
                           "(95% CI)"), width="stretch")  # fmt: skip
    table(pi)
    st.caption("Linear probability model of 'became misaligned' on flips of the rule features (SEAL §7.4): π+ is a "
               "feature lost by the edit, π− one gained; _c chosen, _r rejected. Robust SEs, unadjusted p.")  # fmt: skip


def draw_flipped(ctx: Context, run: RobustnessRun, perturbation: str, role: str) -> None:
    """The pairs whose preference flipped, one at a time: original and perturbed texts side by side, with a diff."""
    flipped = run.flipped(perturbation, ctx.rms[role].model_id)
    st.caption(f"{len(flipped):,} pair(s) flipped under '{perturbation}' for the {role} RM.")
    if not len(flipped):
        return
    pick = st.selectbox("Pair", flipped["pair_id"].tolist(), key="rob_pair")
    original = ctx.pairs.set_index("pair_id").loc[pick]
    edited = run.perturbed_pair(perturbation, pick)
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
