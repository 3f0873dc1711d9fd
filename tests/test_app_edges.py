"""The app at its edges (AppTest): the page and section guards, file upload."""

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _guarded_script():
    import streamlit as st

    from seal_core.errors import SealInputError
    from ui.guard import page_guard, section

    with page_guard("Demo"):
        st.title("Demo")
        with section("The regression"):
            raise SealInputError("3 pairs are too few for a regression; it needs at least 20")
        with section("The chart"):
            raise KeyError("a bug")
        st.write("the rest of the page")
        if st.session_state.get("boom"):
            raise RuntimeError("unexpected at page level")
        st.write("end of page")


def test_section_guard_turns_input_problems_into_notes_and_bugs_into_short_errors(caplog):
    at = AppTest.from_function(_guarded_script).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["The regression: 3 pairs are too few for a regression; it needs at least 20"]
    assert len(at.error) == 1 and "The chart could not be shown" in at.error[0].value
    assert "Reference" in at.error[0].value
    assert at.expander[0].label == "Details" and "KeyError: 'a bug'" in at.code[0].value
    assert [m.value for m in at.markdown][-2:] == ["the rest of the page", "end of page"]
    assert any("The chart failed (ref" in r.getMessage() and r.exc_info for r in caplog.records)


def test_page_guard_catches_what_escapes_the_sections():
    at = AppTest.from_function(_guarded_script)
    at.session_state["boom"] = True
    at.run()
    assert not at.exception
    assert any("The Demo page could not be shown" in e.value for e in at.error)
    assert "RuntimeError: unexpected at page level" in at.code[-1].value
    assert "end of page" not in [m.value for m in at.markdown]


def _pair(prompt, chosen, rejected):
    return json.dumps({
        "chosen": f"\n\nHuman: {prompt}\n\nAssistant: {chosen}",
        "rejected": f"\n\nHuman: {prompt}\n\nAssistant: {rejected}",
    })  # fmt: skip


@pytest.fixture
def local_file_app():
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["rm_pre"] = "(none)"
    at.session_state["rm_post"] = "(none)"
    at.run()
    at.switch_page("views/overview.py").run()
    at.radio(key="data_mode").set_value("Local file").run()
    return at


def test_upload_loads_through_the_same_loader_and_names_the_uploaded_file(local_file_app):
    at = local_file_app
    uploader = at.get("file_uploader")[0]
    assert "up to 200 MB" in uploader.label
    good = "\n".join(_pair(f"q{i}", f"answer {i}", "no") for i in range(5))
    bad = (good + "\n{oops\n").encode()
    uploader.set_value(("my data.jsonl", bad, "application/jsonl"))
    at.run()
    messages = [e.value for e in at.error]
    assert any("my_data.jsonl line 6: invalid JSON" in m for m in messages), messages
    assert not any("seal-explorer-uploads" in m for m in messages), messages  # no server path in the message
    at.checkbox(key="data_lenient").check().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.metric[0].value == "5" and at.metric[2].value == "1"  # 5 pairs, 1 skipped
    at.switch_page("views/inspector.py").run()  # the upload stays for the session
    assert not at.exception
    assert any("answer 0" in c.value for c in at.code)


def test_data_roots_refuse_paths_outside_with_one_message_and_allow_inside(local_file_app, tmp_path, monkeypatch):
    root = tmp_path / "root"
    root.mkdir()
    (root / "ok.jsonl").write_text("\n".join(_pair(f"q{i}", f"answer {i}", "no") for i in range(3)) + "\n")
    outside = tmp_path / "secret.jsonl"
    outside.write_text((root / "ok.jsonl").read_text())
    monkeypatch.setenv("SEAL_RESTRICT_DATA", "1")
    monkeypatch.setenv("SEAL_DATA_DIRS", str(root))
    at = local_file_app
    messages = []
    for path in (outside, tmp_path / "missing.jsonl", "/dev/zero", "etc/passwd"):
        at.text_input(key="data_path").set_value(str(path)).run()
        assert not at.exception
        messages.append([e.value.replace(str(path), "PATH") for e in at.main.error])
    assert all(m == messages[0] for m in messages) and "data folders" in messages[0][0], messages
    at.text_input(key="data_path").set_value("ok.jsonl").run()  # relative to a data root
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.metric[0].value == "3"


def test_triage_remembers_the_reviewer_and_a_link_opens_exactly_its_pair_even_when_reviewed(sample):
    from seal_core.review import ReviewStore

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"first": "20", "reviewer": "ana"})
    at.run()
    at.switch_page("views/triage.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.text_input(key="triage_reviewer").value == "ana"
    assert at.query_params["reviewer"] == "ana"
    pid = at.query_params["pair"]
    assert not at.button(key="triage_keep").disabled
    at.button(key="triage_keep").click().run()
    assert at.query_params["pair"] != pid  # the reviewed pair left the 'not yet reviewed' queue
    assert ReviewStore().current().iloc[-1].pair_id == pid

    # a shared link to the reviewed pair opens exactly that pair, with the verdict shown
    link = AppTest.from_file(APP, default_timeout=300)
    link.query_params.update({"first": "20", "reviewer": "ana", "pair": pid})
    link.run()
    link.switch_page("views/triage.py").run()
    assert not link.exception and not link.error, [e.value for e in link.error]
    assert link.query_params["pair"] == pid
    assert any("Your current verdict: keep" in c.value for c in link.caption)
    link.button(key="triage_next").click().run()  # moving on releases it: the first pair of the queue follows
    assert link.query_params["pair"] != pid
    assert link.button(key="triage_prev").disabled  # the reviewed pair is no longer pinned in front of the queue
