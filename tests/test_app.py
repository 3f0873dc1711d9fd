"""Every page through the router with AppTest, using tiny local reward models (no network)."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CUSTOM = "Other: hub id or local path…"


@pytest.fixture
def app():
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=180)


def with_rm(at, path, slot="rm_post"):
    at.selectbox(key=slot).set_value(CUSTOM).run()
    at.text_input(key=f"{slot}_custom").set_value(str(path))
    return at


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_overview_opens_on_the_bundled_sample(app):
    at = app.run()
    no_errors(at)
    assert at.title[0].value == "Overview"
    assert at.metric[0].value == "1,800"


def test_overview_shows_resistance_in_plain_words(app, pair_rm_path):
    at = app.run()
    at.selectbox(key="rm_pre").set_value("(none)")
    at = with_rm(at, pair_rm_path)
    at.number_input(key="slice_first").set_value(60).run()
    no_errors(at)
    words = [m.value for m in at.markdown]
    assert any(
        "The model preferred the response people rejected in" in w and "of 60 pairs (95% CI" in w for w in words
    ), words
    assert len(at.dataframe) >= 1


def test_inspector_shows_pair_text_and_scores(app, pair_rm_path):
    at = app.run()
    at = with_rm(at, pair_rm_path).run()
    at.switch_page("views/inspector.py").run()
    no_errors(at)
    assert at.title[0].value == "Pair inspector"
    codes = [c.value for c in at.code]
    assert any("pranks with a pen" in c for c in codes)  # the first pair's prompt, as plain text
    labels = [m.label for m in at.metric]
    assert "Score, chosen" in labels and "Margin" in labels


def test_inspector_opens_the_pair_named_in_the_link(app, sample):
    pid = sample.pairs.pair_id[5]
    app.query_params["pair"] = pid
    at = app.run()
    at.switch_page("views/inspector.py").run()
    no_errors(at)
    assert at.selectbox(key="inspector_pair").value == pid
    assert any(sample.pairs.chosen[5][:30] in c.value for c in at.code)


def test_bad_dataset_path_shows_a_clear_error(app, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"chosen": "\\n\\nHuman: a\\n\\nAssistant: b", "rejected": "\\n\\nHuman: a\\n\\nAssistant: c"}\n{oops\n'
    )
    at = app.run()
    at.radio(key="data_mode").set_value("Local file").run()
    at.text_input(key="data_path").set_value(str(bad)).run()
    assert any("bad.jsonl line 2: invalid JSON" in e.value for e in at.error)
    at.checkbox(key="data_lenient").check().run()
    no_errors(at)
    assert at.metric[0].value == "1" and at.metric[2].value == "1"


def test_unloadable_model_is_reported_not_crashed(app):
    at = app.run()
    at = with_rm(at, "./does-not-exist").run()
    assert not at.exception
    assert any("model path not found" in e.value for e in at.sidebar.error)
