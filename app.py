"""SEAL Explorer: router and frame. Page config, the shared sidebar, and the page list."""

import streamlit as st

from ui.aliases import alias_pages
from ui.guard import page_guard
from ui.sidebar import render_sidebar
from ui.story import presentation_frame

st.set_page_config(page_title="SEAL Explorer", layout="wide")

pages = [
    st.Page("views/findings.py", title="Findings", url_path="findings", default=True),
    st.Page("views/overview.py", title="Overview", url_path="overview"),
    st.Page("views/resistance.py", title="Resistance", url_path="resistance"),
    st.Page("views/imprint.py", title="Feature imprint", url_path="imprint"),
    st.Page("views/shift.py", title="Reward shift", url_path="shift"),
    st.Page("views/robustness.py", title="Robustness", url_path="robustness"),
    st.Page("views/triage.py", title="Triage", url_path="triage"),
    st.Page("views/editor.py", title="Live editor", url_path="editor"),
    st.Page("views/inspector.py", title="Pair inspector", url_path="inspector"),
    st.Page("views/models.py", title="Model cards", url_path="models"),
]
pg = st.navigation(pages + alias_pages(pages))
render_sidebar()
presentation_frame()
with page_guard(pg.title):
    pg.run()
