"""The Findings page and presentation mode through the router (AppTest), on the built-in RMs and a small slice."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def findings_app():
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["slice_first"] = 120
    return at


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_findings_is_the_first_page_and_tells_the_story(findings_app):
    at = findings_app.run()
    _ok(at)
    assert at.title[0].value == "Findings"
    heads = [h.value for h in at.subheader]
    first = heads[0]
    assert first.startswith("1\\. After training, the model prefers the response people rejected in")
    assert "of 120 pairs (95% CI" in first
    # numbered findings (the post-D model's cross-fitted scores make fewer effects clear on 120 pairs than its
    # in-sample scores did)
    assert sum(h[0].isdigit() for h in heads) >= 2
    text = " ".join(m.value for m in at.markdown) + " ".join(heads)
    assert "last_response_" not in text and "seal-minilm-bt@" not in text
    assert any("Why it matters" in m.value for m in at.markdown)
    assert any(c.value.startswith("Caveats:") and "chance level" in c.value for c in at.caption)


def test_report_download_on_the_findings_page(findings_app):
    at = findings_app.run()
    at.button(key="findings_report").click().run()
    _ok(at)
    html = at.session_state["findings_report_html"][2]
    assert html.startswith("<!DOCTYPE html>") and html.count("<svg") >= 4
    assert "seal report --pre seal-minilm-principles --post seal-minilm-bt --labeler rules --limit 120" in html


def test_presentation_mode_one_finding_per_screen(findings_app):
    at = findings_app.run()
    n_findings = sum(h.value[0].isdigit() for h in at.subheader)
    at.toggle(key="present").set_value(True).run()
    _ok(at)
    assert at.query_params.get("present") in ("1", ["1"])
    assert len(at.main.header) == 1 and at.main.header[0].value.startswith("1\\. After training")
    assert at.main.caption[0].value == f"Finding 1 of {n_findings}"
    assert len(at.main.dataframe) == 0 and len(at.main.expander) == 0  # no technical tables, no controls
    assert at.button(key="present_prev").disabled
    at.button(key="present_next").click().run()
    _ok(at)
    assert at.main.header[0].value.startswith("2\\.") and at.main.caption[0].value == f"Finding 2 of {n_findings}"


def test_present_link_opens_presentation_mode(findings_app):
    at = findings_app
    at.query_params["present"] = "1"
    at.run()
    _ok(at)
    assert at.session_state["present"] is True
    assert len(at.main.header) == 1 and at.main.caption[0].value.startswith("Finding 1 of ")
