"""Findings: the story of the audit in plain words, ranked; presentation mode; the downloadable audit report."""

import streamlit as st

from seal_core.robustness import run_robustness
from seal_core.story.render import to_html
from seal_core.story.report import build_report, command_line
from ui.errors import user_errors
from ui.featuresource import RULES, choose_features
from ui.loaders import score_cache
from ui.sidebar import context, link_params
from ui.story import draw_finding, findings_for, present_toggle

ROBUST_EDITS, ROBUST_SAMPLE, ROBUST_SEED = ["typos", "insult"], 200, 0

ctx = context()
head, toggle = st.columns([4, 1])
head.title("Findings")
with toggle:
    big = present_toggle()
if not ctx.rms:
    st.info("Pick a reward model in the sidebar (the built-in pair is the default) to see what it learned.")
    st.stop()
if not len(ctx.pairs):
    st.warning("The slice is empty: widen the filters in the sidebar.")
    st.stop()
if big:
    features, source, features_key = None, RULES, ("rules", ctx.pairs_key)
    memo = st.session_state.get("findings_features")
    if memo and memo[0] == ctx.pairs_key:
        features, source, features_key = memo[1], memo[2], memo[3]
    else:
        from ui.loaders import get_features

        with user_errors("Labelling failed"):
            features = get_features(ctx.pairs, "rules", key=ctx.pairs_key)
else:
    st.caption(
        "What the reward models learned from this data, ranked by how large and how certain each effect is "
        "(computed from the results, never written by hand). Caveats are listed under each finding."
    )
    with st.expander("Labels used for the findings"):
        choice = choose_features(ctx, key="findings")
    features, source, features_key = choice.features, choice.source, choice.key
    st.session_state["findings_features"] = (ctx.pairs_key, features, source, features_key)

rob_key = ctx.scores_key
rob = st.session_state.get("findings_robustness")
robustness = rob[1] if rob and rob[0] == rob_key else None
if robustness is None and not big:
    n = min(ROBUST_SAMPLE, len(ctx.pairs))
    if st.button(f"Add robustness findings (typos and an appended insult on {n} random pairs)", key="findings_rob"):
        sample = ctx.pairs.sample(n, random_state=ROBUST_SEED) if len(ctx.pairs) > n else ctx.pairs
        bar = st.progress(0.0, text="Editing and re-scoring…")
        with user_errors("Robustness run failed"):
            rows = run_robustness(
                sample,
                ctx.rms,
                ROBUST_EDITS,
                seed=ROBUST_SEED,
                cache=score_cache(),
                progress=lambda d, t: bar.progress(d / t, text=f"Edit × model {d}/{t}"),
            ).rows
        bar.empty()
        st.session_state["findings_robustness"] = (rob_key, rows)
        robustness = rows

with user_errors("The findings could not be computed"):
    scores, findings = findings_for(ctx, features, robustness, source, features_key=features_key)

if big:
    pos = min(st.session_state.get("present_pos", 0), len(findings) - 1)
    st.caption(f"Finding {pos + 1} of {len(findings)}")
    draw_finding(findings[pos], pos + 1, ctx, big=True)
    prev, nxt, _ = st.columns([1, 1, 4])
    if prev.button("← Previous", key="present_prev", disabled=pos == 0, shortcut="Alt+P"):
        st.session_state["present_pos"] = pos - 1
        st.rerun()
    if nxt.button("Next →", key="present_next", disabled=pos >= len(findings) - 1, shortcut="Alt+N"):
        st.session_state["present_pos"] = pos + 1
        st.rerun()
    st.stop()

for i, f in enumerate(findings, 1):
    with st.container(border=True):
        draw_finding(f, i, ctx)
if len(findings) < 5:
    st.caption(f"Only {len(findings)} finding(s) are clear on this slice; a larger slice, labels (above) or the "
               "robustness run can add more.")  # fmt: skip

st.subheader("The audit report")
st.caption("One HTML file with the setup, these findings and their charts, summaries, caveats, method notes and the "
           "command that reproduces it. It needs nothing else to open, and prints cleanly.")  # fmt: skip
if st.button("Prepare the report", key="findings_report"):
    pre, post = ctx.rms.get("pre"), ctx.rms.get("post")
    spec = ctx.spec
    where = link_params(ctx)
    cmd = command_line(where.get("data") or where.get("hub"), split=where.get("split"), pre=pre and pre.name,
                       post=post and post.name, labeler="llm" if "LLM" in source else "rules", sample=spec.sample,
                       seed=spec.seed, first=spec.first, robustness_sample=ROBUST_SAMPLE if robustness is not None
                       else 0)  # fmt: skip
    with st.spinner("Writing the report (drawing the charts)…"), user_errors("The report could not be written"):
        report = build_report(scores, pre=pre and pre.model_id, post=post and post.model_id, pairs=ctx.pairs,
                              features=features, robustness=robustness, command=cmd,
                              setup={"data": str(ctx.loaded.source), "slice": spec.describe(), "labeler": source,
                                     "seeds": f"slice {spec.seed}, robustness {ROBUST_SEED}"})  # fmt: skip
        st.session_state["findings_report_html"] = (rob_key, source, to_html(report))
ready = st.session_state.get("findings_report_html")
if ready and ready[:2] == (rob_key, source):
    st.download_button("Download report", ready[2], "seal-audit-report.html",
                       "text/html", key="findings_download", icon=":material/download:")  # fmt: skip
