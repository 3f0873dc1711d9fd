"""Live pair editor: edit a response and watch every selected RM's scores move (only the editor reruns)."""

import streamlit as st

from seal_core.editing import diff_as_text, p_chosen, sentence_attribution, word_diff
from seal_core.glossary import model_label
from seal_core.perturb import PERTURBATIONS, perturb_text
from ui.errors import user_errors
from ui.pairs import pick_pair
from ui.sidebar import context
from ui.text import plain

ctx = context()
st.title("Live pair editor")
st.caption(
    "Edit the chosen or rejected response; the scores below update on each edit. Only this editor reruns, "
    "not the rest of the app. Text is shown as plain text."
)
if not ctx.rms:
    st.info("Pick at least one reward model in the sidebar.")
    st.stop()
pair = pick_pair(ctx, key="editor_pair")
if pair is None:
    st.stop()
pid = pair["pair_id"]
plain(pair["prompt_chosen"], label="Conversation before the last response", height=180)


def _reset(pid: str) -> None:
    st.session_state[f"edit_chosen_{pid}"] = pair["chosen"]
    st.session_state[f"edit_rejected_{pid}"] = pair["rejected"]


def _perturb(pid: str, side: str, name: str) -> None:
    k = f"edit_{side}_{pid}"
    n = st.session_state.get(f"pert_count_{pid}", 0) + 1  # a new seed per press: typos differ each time
    st.session_state[f"pert_count_{pid}"] = n
    st.session_state[k] = perturb_text(st.session_state[k], name, seed=n, key=f"{pid}|{side}")


@st.fragment
def editor() -> None:
    for side in ("chosen", "rejected"):
        st.session_state.setdefault(f"edit_{side}_{pid}", pair[side])
    left, right = st.columns(2)
    chosen = left.text_area("Chosen by people (editable)", key=f"edit_chosen_{pid}", height=220)
    rejected = right.text_area("Rejected by people (editable)", key=f"edit_rejected_{pid}", height=220)
    b1, b2, b3, b4 = st.columns([2, 1, 1, 1])
    name = b1.selectbox("Perturbation", list(PERTURBATIONS), key=f"pert_name_{pid}", label_visibility="collapsed",
                        format_func=lambda n: f"{n}: {PERTURBATIONS[n].description[:60]}")  # fmt: skip
    b2.button("Apply to chosen", on_click=_perturb, args=(pid, "chosen", name), key=f"pert_c_{pid}")
    b3.button("Apply to rejected", on_click=_perturb, args=(pid, "rejected", name), key=f"pert_r_{pid}")
    b4.button("Reset", on_click=_reset, args=(pid,), key=f"reset_{pid}", help="back to the original texts")

    rows = []
    with user_errors("Scoring failed"):
        for role, model in ctx.rms.items():
            rm = model.for_pair(pair)  # a bundled pair: the head of its cross-validation fold, which never saw it
            orig = rm.score([pair["prompt_chosen"], pair["prompt_rejected"]], [pair["chosen"], pair["rejected"]])
            now = rm.score([pair["prompt_chosen"], pair["prompt_rejected"]], [chosen, rejected])
            m0, m1 = orig.scores[0] - orig.scores[1], now.scores[0] - now.scores[1]
            rows.append(
                {"role": role, "model": model.model_id, "orig": orig.scores, "now": now.scores, "m0": m0, "m1": m1}
            )

    ROLE_WORDS = {"pre": "pre-training RM", "post": "post-training RM"}

    def change(v: float) -> str | None:
        return f"{v:+.3f}" if abs(v) >= 5e-4 else None

    for r in rows:
        st.markdown(f"**{model_label(r['model'], r['role'])}**", help=f"Full model id: {r['model']}")
        c = st.columns(4)
        c[0].metric("Score, chosen", f"{r['now'][0]:.3f}", delta=change(r["now"][0] - r["orig"][0]))
        c[1].metric("Score, rejected", f"{r['now'][1]:.3f}", delta=change(r["now"][1] - r["orig"][1]))
        c[2].metric("Margin (chosen − rejected)", f"{r['m1']:+.3f}", delta=change(r["m1"] - r["m0"]))
        c[3].metric("P(chosen preferred) = σ(margin)", f"{p_chosen(r['m1']):.1%}")
        was, now = r["m0"] > 0, r["m1"] > 0
        prefers = "chosen" if now else "rejected"
        if was != now:
            st.warning(
                f"Preference flipped: the {ROLE_WORDS.get(r['role'], r['role'])} now prefers the {prefers} response "
                f"(originally the {'chosen' if was else 'rejected'})."
            )
        elif chosen == pair["chosen"] and rejected == pair["rejected"]:
            st.caption(f"Unedited: the RM prefers the {prefers} response. Edit a response above to see whether "
                       "that changes.")  # fmt: skip
        else:
            st.caption(f"No flip: the RM still prefers the {prefers} response.")

    for side, text in (("chosen", chosen), ("rejected", rejected)):
        if text != pair[side]:
            st.markdown(f"**Word diff, {side} response** (`-` removed, `+` added)")
            st.code(diff_as_text(word_diff(pair[side], text)), language="diff", wrap_lines=True)

    with st.expander("What moved the score: each sentence's share"):
        side = st.radio("Response", ["chosen", "rejected"], horizontal=True, key=f"attr_side_{pid}")
        role = st.radio("Reward model", list(ctx.rms), horizontal=True, key=f"attr_rm_{pid}")
        text = chosen if side == "chosen" else rejected
        with user_errors("Attribution failed"):
            attr = sentence_attribution(ctx.rms[role].for_pair(pair), pair[f"prompt_{side}"], text)
        if attr.empty:
            st.info("The response is empty.")
        else:
            scale = max(float(attr["delta"].abs().max()), 1e-9)

            def shade(v: float) -> str:
                alpha = min(abs(v) / scale, 1.0) * 0.6
                rgb = "46, 160, 67" if v > 0 else "218, 54, 51"
                return f"background-color: rgba({rgb}, {alpha:.2f})"

            st.dataframe(
                attr.rename(
                    columns={"sentence": "Sentence", "delta": "Score it adds", "score_without": "Score without it"}
                )
                .style.map(shade, subset=["Score it adds"])
                .format({"Score it adds": "{:+.3f}", "Score without it": "{:.3f}"}),
                hide_index=True,
                width="stretch",
            )
            st.caption(
                "Each row removes one sentence and re-scores the response. Green: the RM rewards that sentence "
                "(the score drops without it); red: the RM penalises it."
            )


editor()
st.caption(f"Pair {pid} · link to this pair: `?pair={pid}`")
