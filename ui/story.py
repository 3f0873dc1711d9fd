"""Findings and presentation mode for the app: the computed findings (memoised), one finding drawn, the frame that
hides controls while presenting, and expanders for technical tables (plain column names, raw ids on demand)."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from seal_core.glossary import plain_columns
from seal_core.story import Finding, find_findings, to_altair
from ui.loaders import memo
from ui.sidebar import Context, link_params
from ui.text import responses_side_by_side
from ui.text import table as show_table

PRESENT_KEY = "present"
PAGES = {"resistance": "views/resistance.py", "imprint": "views/imprint.py", "robustness": "views/robustness.py",
         "shift": "views/shift.py", "overview": "views/overview.py"}  # fmt: skip
PAGE_TITLES = {"resistance": "Resistance", "imprint": "Feature imprint", "robustness": "Robustness",
               "shift": "Reward shift", "overview": "Overview"}  # fmt: skip
PRESENT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stExpander"], [data-testid="stDataFrame"] {display: none !important;}
[data-testid="stMainBlockContainer"] {max-width: 1100px; padding-top: 2rem;}
[data-testid="stMarkdown"] p, [data-testid="stCaptionContainer"] p {font-size: 1.35rem !important;}
h1 {font-size: 2.6rem !important;} h2, h3 {font-size: 2rem !important; line-height: 1.3 !important;}
</style>"""


def presenting() -> bool:
    """Whether presentation mode is on (the toggle, or ``?present=1`` on a session's first run)."""
    state = st.session_state
    if PRESENT_KEY not in state:
        state[PRESENT_KEY] = st.query_params.get("present") in ("1", "true", "yes")
    return bool(state[PRESENT_KEY])


def presentation_frame() -> None:
    """Called by the router on every page: while presenting, hide the sidebar and technical tables, enlarge type."""
    if presenting():
        st.html(PRESENT_CSS)


def _sync_link() -> None:
    if st.session_state.get(PRESENT_KEY):
        st.query_params[PRESENT_KEY] = "1"
    elif PRESENT_KEY in st.query_params:
        del st.query_params[PRESENT_KEY]


def present_toggle() -> bool:
    presenting()
    st.toggle("Presentation mode", key=PRESENT_KEY, on_change=_sync_link,
              help="One finding per screen, larger type, no controls or technical tables. Link: ?present=1")  # fmt: skip
    return bool(st.session_state[PRESENT_KEY])


def md(text: str) -> str:
    """Text safe for st.markdown: markdown and HTML special characters escaped (names may come from a file)."""
    return re.sub(r"([\\`*_\[\]<>#|~$])", r"\\\1", str(text))


def technical(table: pd.DataFrame, title: str = "Technical table", *, key: str) -> None:
    """A tidy table in an expander, with plain column names; the raw ids and columns on demand."""
    if presenting():
        return
    with st.expander(title):
        raw = st.toggle("Show raw ids and column names", key=f"{key}_raw")
        show_table(table if raw else plain_columns(table))


def findings_for(
    ctx: Context, features: pd.DataFrame | None, robustness: pd.DataFrame | None, source: str, *,
    features_key: tuple = (),
):  # fmt: skip
    """The ranked findings for the slice, RMs and labels (in the app's memo, per content)."""
    ids = ctx.model_ids()
    pre, post = ids.get("pre"), ids.get("post")
    key = ("findings", ctx.scores_key, source, features_key if features is not None else None,
           None if robustness is None else len(robustness))  # fmt: skip
    scores = ctx.scores()

    def compute():
        with st.spinner("Working out the findings…"):
            return find_findings(scores, pre=pre, post=post, features=features, robustness=robustness)

    return scores, memo().get(key, compute)


def draw_finding(f: Finding, i: int, ctx: Context, *, big: bool = False) -> None:
    """One finding: the sentence, its chart, why it matters, caveats, example pairs and links."""
    (st.header if big else st.subheader)(f"{i}\\. {md(f.sentence)}", anchor=False)
    st.altair_chart(to_altair(f.chart), width="stretch")
    st.markdown(f"**Why it matters.** {md(f.why)}")
    if f.caveats:
        st.caption("Caveats: " + "; ".join(md(c) for c in f.caveats))
    links = st.columns([1, 1, 2])
    if f.page in PAGES:
        links[0].page_link(PAGES[f.page], label=f"See the {PAGE_TITLES[f.page]} page", icon=":material/open_in_new:",
                           query_params=link_params(ctx))  # fmt: skip
    if f.examples:
        links[1].page_link("views/inspector.py", label="Open an example pair", icon=":material/search:",
                           query_params={**link_params(ctx), "pair": f.examples[0]})  # fmt: skip
    if f.examples and not big:
        by_id = ctx.loaded.pairs.set_index("pair_id")
        with st.expander(f"Example pairs ({len(f.examples)})"):
            for pid in f.examples:
                if pid in by_id.index:
                    st.caption(f"Pair {pid}")
                    responses_side_by_side(by_id.loc[pid, "chosen"], by_id.loc[pid, "rejected"])
    if not big:
        technical(f.chart.data.drop(columns=["n"], errors="ignore"), "Numbers behind this finding", key=f"f_{f.key}")
