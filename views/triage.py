"""Triage: work through the most ambiguous pairs, record verdicts that are never lost, and export them."""

import tempfile
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from seal_core.metrics.ambiguity import COMPONENTS
from seal_core.review import VERDICTS, cleaned_pairs, export_pairs, reviewer_agreement
from ui.charts import GAMMA_NAMES
from ui.errors import user_errors
from ui.loaders import get_features, review_store
from ui.results import get_triage
from ui.reviewer import linked_queue, reviewer_input, unpin
from ui.sidebar import context, link_params
from ui.text import plain, responses_side_by_side

ctx = context()
st.title("Triage")
st.caption("The most ambiguous pairs first. Each verdict is saved the moment you press its button.")
if not ctx.rms:
    st.info("Pick at least one reward model in the sidebar: the ranking uses their scores.")
    st.stop()
if not len(ctx.pairs):
    st.warning("The slice is empty: widen it in the sidebar.")
    st.stop()
reviewer = reviewer_input()
dataset = ctx.loaded.source
store = review_store()

with user_errors("Scoring failed"):
    scores = ctx.scores()
with user_errors("Labelling failed"):
    rules = get_features(ctx.pairs, "rules", key=ctx.pairs_key)
with st.expander("Ranking weights and filters"):
    cols = st.columns(3)
    weights = {c: cols[i % 3].slider(c.replace("_", " "), 0.0, 3.0, 1.0, 0.25, key=f"triage_w_{c}")
               for i, c in enumerate(COMPONENTS)}  # fmt: skip
    st.caption("γ here comes from the offline rules (harm flags); the score is the weighted mean of the components.")
    f1, f2, f3 = st.columns(3)
    comp_filter = f1.selectbox("Only pairs where component", ["(none)", *COMPONENTS], key="triage_comp")
    comp_min = f2.slider("is at least", 0.0, 1.0, 0.5, 0.05, key="triage_comp_min")
    reviewed = f3.radio("Show", ["not yet reviewed by me", "all", "reviewed by me"], key="triage_reviewed")
with user_errors("Ranking failed"):
    triage, gamma = get_triage(ctx, scores, rules, weights)
current = store.current(dataset)
mine = set(current.loc[current["reviewer"] == reviewer, "pair_id"]) if reviewer else set()
queue = triage.filter(component=None if comp_filter == "(none)" else comp_filter, at_least=comp_min,
                      exclude=mine if reviewed == "not yet reviewed by me" else (),
                      only=mine if reviewed == "reviewed by me" else None)  # fmt: skip
ids = queue.index.tolist()
total = len(triage.ranked)
done = len(mine & set(triage.ranked.index))
st.progress(done / total if total else 0.0,
            text=f"{done:,} of {total:,} pairs in this slice reviewed by {reviewer}" if reviewer
            else f"{total:,} pairs in this slice: enter your name to record verdicts and track your progress")  # fmt: skip
if "triage_msg" in st.session_state:
    st.success(st.session_state.pop("triage_msg"))
ranked = triage.ranked
ids, linked = linked_queue(ids, ranked.index.tolist())
if linked is not None:
    st.session_state["triage_pos"] = linked
if not ids:
    st.info("The queue is empty with these filters.")
    st.stop()
pos = min(max(int(st.session_state.get("triage_pos", 0)), 0), len(ids) - 1)
st.session_state["triage_pos"] = pos
pid = ids[pos]
st.query_params["pair"] = st.session_state["triage_link_used"] = pid  # our own link is no new link
pair = ctx.pairs.set_index("pair_id").loc[pid]


def _move(step: int) -> None:
    st.session_state["triage_pos"] = st.session_state.get("triage_pos", 0) + step - unpin()


def _record(verdict: str, pid: str) -> None:
    if not st.session_state.get("triage_reviewer", "").strip():
        st.session_state["triage_msg_err"] = "Enter your name as reviewer first."
        return
    note = st.session_state.get(f"triage_note_{pid}", "")
    unpin()
    vid = store.record(dataset, pid, st.session_state["triage_reviewer"], verdict, note=note)
    st.session_state["triage_msg"] = f"Saved: {verdict} for pair {pid} (verdict #{vid})."
    if st.session_state.get("triage_reviewed") == "all":
        _move(1)  # in the 'not yet reviewed' queue the pair leaves the queue, so the next one moves up


n1, n2, n3 = st.columns([1, 1, 4])
n1.button("← Previous", on_click=_move, args=(-1,), key="triage_prev", disabled=pos == 0, shortcut="Alt+P")
n2.button("Next →", on_click=_move, args=(1,), key="triage_next", disabled=pos >= len(ids) - 1, shortcut="Alt+N")
n3.caption(f"Pair {pos + 1} of {len(ids):,} in this queue · rank {int(ranked.loc[pid, 'rank'])} of {total:,} by "
           f"ambiguity in the slice · id {pid}")  # fmt: skip
if err := st.session_state.pop("triage_msg_err", None):
    st.error(err)

plain(pair["prompt_chosen"], label="Conversation before the last response", height=180)
responses_side_by_side(pair["chosen"], pair["rejected"])
signals = ranked.loc[[pid], [*COMPONENTS, "score"]].T.rename(columns={pid: "value"})
margins = scores[scores["pair_id"] == pid].assign(RM=lambda d: d["role"] + " RM")[["RM", "margin"]]
s1, s2 = st.columns(2)
s1.dataframe(signals, width="stretch")
s2.dataframe(margins, hide_index=True)
s2.caption(f"Offline rules labeler, γ: {GAMMA_NAMES.get(gamma.get(pid), 'not available')} · chosen "
           f"{len(pair['chosen'].split())} words, rejected {len(pair['rejected'].split())} words")  # fmt: skip
mine_now = current[(current["pair_id"] == pid) & (current["reviewer"] == reviewer)]
if len(mine_now):
    st.caption(f"Your current verdict: {mine_now.iloc[0]['verdict']} ({mine_now.iloc[0]['created_at']}).")
st.text_area("Note (saved with the verdict)", key=f"triage_note_{pid}", height=80)
b = st.columns(4)
for i, verdict in enumerate(VERDICTS):
    b[i].button({"keep": "Keep label", "flip": "Flip label", "ambiguous": "Ambiguous", "drop": "Drop pair"}[verdict],
                on_click=_record, args=(verdict, pid), key=f"triage_{verdict}", shortcut=f"Alt+{i + 1}",
                type="primary" if i == 0 else "secondary", disabled=not reviewer)  # fmt: skip
if not reviewer:
    st.caption("Enter your name as reviewer (top of the page) to record verdicts.")
st.caption("Keyboard: Alt+N next, Alt+P previous, Alt+1 keep, Alt+2 flip, Alt+3 ambiguous, Alt+4 drop.")
query = urlencode({**link_params(ctx), "pair": pid, **({"reviewer": reviewer} if reviewer else {})})
st.caption("Link to exactly this pair and slice (append to the app's address):")
st.code(f"/triage?{query}", language=None)

st.subheader("Verdicts and exports")
history = store.history(dataset)
st.caption(f"{len(history):,} verdict(s) recorded on this dataset, {history['reviewer'].nunique()} reviewer(s).")
if len(history):
    with tempfile.TemporaryDirectory() as tmp:
        data = store.export(Path(tmp) / "verdicts.jsonl", dataset).read_bytes()
        clean = cleaned_pairs(ctx.loaded.pairs, store.current(dataset))
        cleaned = export_pairs(clean, Path(tmp) / "cleaned.jsonl", input_format=ctx.loaded.input_format).read_bytes()
    d1, d2 = st.columns(2)
    d1.download_button("Download verdicts (JSONL)", data, "verdicts.jsonl", "application/jsonl", key="triage_dl_v")
    d2.download_button(f"Download the cleaned dataset ({len(clean):,} pairs)", cleaned, "cleaned.jsonl",
                       "application/jsonl", key="triage_dl_c")  # fmt: skip
    kappa = reviewer_agreement(store.current(dataset))
    if len(kappa):
        st.markdown("**Agreement between reviewers** (Cohen's κ on the pairs both judged)")
        st.dataframe(kappa, hide_index=True)
    st.dataframe(pd.DataFrame(history).tail(20), hide_index=True)
