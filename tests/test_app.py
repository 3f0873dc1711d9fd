"""Every page through the router with AppTest, using tiny local reward models (no network)."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CUSTOM = "Other: hub id or local path…"


@pytest.fixture
def app():
    """The app with no RM preselected (tests pick what they need)."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["rm_pre"] = "(none)"
    at.session_state["rm_post"] = "(none)"
    return at


@pytest.fixture
def default_app():
    """The app exactly as a fresh machine opens it (built-in RMs), on the first 80 pairs to keep tests fast."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["slice_first"] = 80
    return at


def with_rm(at, path, slot="rm_post"):
    at.selectbox(key=slot).set_value(CUSTOM).run()
    at.text_input(key=f"{slot}_custom").set_value(str(path))
    return at


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_overview_opens_on_the_bundled_sample_with_the_builtin_rms(default_app):
    at = default_app.run()
    at.switch_page("views/overview.py").run()
    no_errors(at)
    assert at.title[0].value == "Overview"
    assert at.metric[0].value == "80"
    assert at.selectbox(key="rm_pre").value == "seal-minilm-principles"
    assert at.selectbox(key="rm_post").value == "seal-minilm-bt"
    words = [m.value for m in at.markdown]
    assert sum("The model preferred the response people rejected in" in w for w in words) == 2, words


def test_no_rm_selected_says_so(app):
    at = app.run()
    no_errors(at)
    assert any("Pick a reward model in the sidebar" in i.value for i in at.info)


def test_overview_shows_resistance_in_plain_words(app, pair_rm_path):
    at = app.run()
    at = with_rm(at, pair_rm_path)
    at.number_input(key="slice_first").set_value(60)
    at.switch_page("views/overview.py").run()
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
    at.checkbox(key="data_lenient").check()
    at.switch_page("views/overview.py").run()
    no_errors(at)
    assert at.metric[0].value == "1" and at.metric[2].value == "1"


def test_unloadable_model_is_reported_not_crashed(app):
    at = app.run()
    at = with_rm(at, "./does-not-exist").run()
    assert not at.exception
    assert any("model path not found" in e.value for e in at.sidebar.error)


def test_model_cards_page(app):
    at = app.run()
    at.switch_page("views/models.py").run()
    no_errors(at)
    cards = " ".join(c.value for c in at.code)
    assert "cross-validated accuracy" in cards and "shorter response wins" in cards


def _editor(default_app):
    at = default_app.run()
    at.switch_page("views/editor.py").run()
    no_errors(at)
    return at


def test_editor_scores_move_on_edit_and_reset_restores(default_app, sample):
    at = _editor(default_app)
    pid = at.selectbox(key="editor_pair").value
    original = sample.pairs.set_index("pair_id").loc[pid]
    before = {m.label: m.value for m in at.metric}
    assert before["Score, chosen"] and "P(chosen preferred) = σ(margin)" in before
    box = at.text_area(key=f"edit_chosen_{pid}")
    assert box.value == original.chosen
    box.set_value("You are an idiot and I will not help you. Go away.").run()
    no_errors(at)
    after = [m for m in at.metric if m.label == "Score, chosen"]
    assert len(after) == 2 and any(m.delta not in (None, "", "+0.000") for m in after)
    diffs = [c.value for c in at.code if c.language == "diff"]
    assert diffs and "+ You are an idiot" in diffs[0]
    at.button(key=f"reset_{pid}").click().run()
    assert at.text_area(key=f"edit_chosen_{pid}").value == original.chosen
    assert all(not m.delta for m in at.metric if m.label == "Score, chosen")  # no change shown after a reset


def test_editor_reports_a_flip(default_app):
    at = _editor(default_app)
    pid = at.selectbox(key="editor_pair").value
    chosen = at.text_area(key=f"edit_chosen_{pid}").value
    rejected = at.text_area(key=f"edit_rejected_{pid}").value
    at.text_area(key=f"edit_chosen_{pid}").set_value(rejected)
    at.text_area(key=f"edit_rejected_{pid}").set_value(chosen).run()  # swapping the responses flips every RM
    no_errors(at)
    flips = [w.value for w in at.warning if w.value.startswith("Preference flipped")]
    assert len(flips) == 2, [w.value for w in at.warning]


def test_editor_sentence_attribution_table(default_app):
    at = _editor(default_app)
    frames = at.dataframe
    assert frames and "Score it adds" in frames[-1].value.columns


def _imprint(default_app, n=200):
    default_app.session_state["slice_first"] = n
    at = default_app.run()
    at.switch_page("views/imprint.py").run()
    return at


def test_imprint_page_with_builtin_rules(default_app):
    at = _imprint(default_app)
    no_errors(at)
    assert at.title[0].value == "Feature imprint"
    assert "Effect" in at.dataframe[0].value.columns  # plain column names first, raw ones on demand
    at.toggle(key="imprint_table_raw").set_value(True).run()
    table = at.dataframe[0].value
    assert set(table.role) == {"pre", "post", "difference"} and (table.n_pairs == 200).all()
    words = [m.value for m in at.markdown]
    assert any(w.startswith("After training") or w.startswith("No feature") for w in words), words
    at.toggle(key="imprint_diff").set_value(True).run()
    no_errors(at)


def test_imprint_page_llm_labeler_estimate_confirm_and_agreement(default_app, monkeypatch):
    from test_llm_labeler import FakeLLM

    monkeypatch.delenv("SEAL_LLM_BASE_URL", raising=False)
    at = _imprint(default_app, n=40)
    at.radio(key="imprint_source").set_value("LLM labeler (SEAL's 19 keys)").run()
    assert any("No LLM endpoint is configured, so nothing is sent" in i.value for i in at.info)
    server = FakeLLM()
    try:
        monkeypatch.setenv("SEAL_LLM_BASE_URL", server.url)
        monkeypatch.setenv("SEAL_LLM_MODEL", "tiny")
        at.run()
        assert any("About 80 requests" in m.value for m in at.markdown) and not server.requests
        at.button(key="imprint_llm_go").click().run()
        no_errors(at)
        assert len(server.requests) == 80
        assert any("Agreement between these labels" in s.value for s in at.subheader)
        agreement = at.dataframe[-1].value
        assert "kappa" in agreement.columns and "last_response_is_refusal" in set(agreement.feature)
    finally:
        server.close()


def test_imprint_page_imports_a_seal_taxonomy_file(default_app, tmp_path, sample):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    rows = [{"row_id": r, "preference": side, "last_response_is_helpful": str(bool(rng.integers(0, 2))),
             "last_response_is_harmless": str(bool(rng.integers(0, 2))),
             "last_response_sentiment": rng.choice(["negative", "neutral", "positive"])}
            for r in range(200) for side in ("rejected", "chosen")]  # fmt: skip
    path = tmp_path / "taxonomy.csv"
    pd.DataFrame(rows).sample(frac=1, random_state=0).to_csv(path, index=False)  # row order scrambled
    at = _imprint(default_app)
    at.radio(key="imprint_source").set_value("Import a labels file").run()
    at.text_input(key="imprint_path").set_value(str(path)).run()
    no_errors(at)
    at.toggle(key="imprint_table_raw").set_value(True).run()
    table = at.dataframe[0].value
    assert set(table.feature) == {"last_response_is_helpful", "last_response_is_harmless", "last_response_sentiment"}
    at.text_input(key="imprint_path").set_value(str(tmp_path / "missing.csv")).run()
    assert any("labels file not found" in e.value or "features file not found" in e.value for e in at.error)


def test_resistance_page_drill_down_opens_the_inspector(default_app):
    default_app.session_state["slice_first"] = 150
    at = default_app.run()
    at.switch_page("views/resistance.py").run()
    no_errors(at)
    words = " ".join(m.value for m in at.markdown)
    assert "got aligned by training" in words and "resisted it" in words
    assert any("McNemar" in c.value for c in at.caption)
    at.selectbox(key="resist_drill_regime").set_value("resisted").run()
    pick = at.selectbox(key="resist_open").value
    at.button(key="resist_open_go").click().run()
    no_errors(at)
    assert at.title[0].value == "Pair inspector"
    assert at.selectbox(key="inspector_pair").value == pick


def test_resistance_page_needs_two_rms(app, pair_rm_path):
    at = with_rm(app.run(), pair_rm_path).run()
    at.switch_page("views/resistance.py").run()
    assert any("pick both in the sidebar" in i.value for i in at.info)


def test_resistance_compares_with_the_paper(default_app):
    default_app.session_state["slice_first"] = 150
    at = default_app.run()
    at.switch_page("views/resistance.py").run()
    from seal_core.preset import REFERENCE

    table = next(d.value for d in at.dataframe if "seal" in d.value.columns).set_index("key")
    assert table["seal"].to_dict() == {k: v for k, (v, _) in REFERENCE.items()}
    # the computed column agrees with the regime table drawn higher up the page (a different code path):
    # the post RM is misaligned on the resisted and reversed pairs, the pre RM agrees on stayed and reversed ones
    regimes = next(d.value for d in at.dataframe if "regime" in d.value.columns).set_index("regime")["share"]
    assert table.loc["post_resistance", "computed"] == pytest.approx(regimes["resisted"] + regimes["reversed"])
    assert table.loc["pre_agreement", "computed"] == pytest.approx(regimes["stayed_aligned"] + regimes["reversed"])


def test_shift_page(default_app):
    default_app.session_state["slice_first"] = 150
    at = default_app.run()
    at.switch_page("views/shift.py").run()
    no_errors(at)
    assert any(m.value.startswith("Median θ =") for m in at.markdown)
    at.toggle(key="shift_by_regime_raw").set_value(True).run()
    by_regime = at.dataframe[0].value
    assert set(by_regime.group) <= {"stayed_aligned", "got_aligned", "resisted", "reversed"}
    assert by_regime.n.sum() == 150


def test_overview_explains_the_seal_preset_offline(default_app):
    at = default_app.run()
    at.switch_page("views/overview.py").run()
    plan_text = " ".join(c.value for c in at.code)
    assert "OpenAssistant/reward-model-deberta-v3-large-v2" in plan_text and "160,800 pairs" in plan_text
    assert at.button(key="preset_go").disabled  # offline in tests: the button explains instead of failing


def test_seal_preset_sets_the_sidebar(default_app, monkeypatch):
    import seal_core.data

    monkeypatch.setattr(seal_core.data, "hub_offline_reason", lambda: None)
    at = default_app.run()
    at.session_state["apply_seal_preset"] = True
    at.run()
    assert at.radio(key="data_mode").value == "Hugging Face dataset"
    assert at.text_input(key="data_hub_id").value == "Anthropic/hh-rlhf"
    assert at.session_state["rm_post_custom"] == "OpenAssistant/reward-model-deberta-v3-large-v2"
    assert at.session_state["rm_format"] == "pair"
    assert any("could not be loaded" in e.value for e in at.error)  # no network in tests: a clear message


def test_robustness_page_runs_and_drills_down(default_app):
    default_app.session_state["slice_first"] = 40
    at = default_app.run()
    at.switch_page("views/robustness.py").run()
    no_errors(at)
    assert any("Choose perturbations and press Run" in i.value for i in at.info)
    at.multiselect(key="rob_names").set_value(["typos", "insult"]).run()
    at.button(key="rob_run").click().run()
    no_errors(at)
    summary = next(d.value for d in at.dataframe if "flip_rate" in d.value.columns)
    assert set(summary.perturbation) == {"typos", "insult"} and (summary.n_pairs == 40).all()
    probes = next(d.value for d in at.dataframe if "pass_rate" in d.value.columns)
    assert set(probes.perturbation) == {"insult"}
    assert any("flipped under" in c.value for c in at.caption)


def test_robustness_page_draws_pi_and_flipped_pairs_from_the_run(default_app, monkeypatch):
    import seal_core.perturb
    import seal_core.robustness

    default_app.session_state["slice_first"] = 60
    at = default_app.run()
    at.switch_page("views/robustness.py").run()
    at.multiselect(key="rob_names").set_value(["insult", "typos"]).run()
    at.button(key="rob_run").click().run()
    no_errors(at)

    def forbidden(*args, **kwargs):
        raise AssertionError("the page perturbed, scored or labelled again instead of drawing the run")

    for module, name in ((seal_core.robustness, "perturb_pairs"), (seal_core.robustness, "label_pairs"),
                         (seal_core.robustness, "score_pairs"), (seal_core.perturb, "perturb_pairs")):  # fmt: skip
        monkeypatch.setattr(module, name, forbidden)
    for pert in ("insult", "typos"):
        at.selectbox(key="rob_pi_pert").set_value(pert).run()
        no_errors(at)
        pi = [d.value for d in at.dataframe if "estimate" in d.value.columns]
        notes = [i.value for i in at.info if "π" in i.value or "flipped" in i.value or "pairs" in i.value]
        assert pi or notes, (pert, [i.value for i in at.info])
        if pi:
            assert pi[0].term.str.match(r"^π[+−]2? ").all() and "response_words" not in " ".join(pi[0].term)
    assert any("flipped under 'typos'" in c.value for c in at.caption)


def test_editor_perturbation_buttons(default_app):
    at = _editor(default_app)
    pid = at.selectbox(key="editor_pair").value
    before = at.text_area(key=f"edit_chosen_{pid}").value
    at.selectbox(key=f"pert_name_{pid}").set_value("insult").run()
    at.button(key=f"pert_c_{pid}").click().run()
    no_errors(at)
    after = at.text_area(key=f"edit_chosen_{pid}").value
    assert after.startswith(before.rstrip()) and "idiot" in after
    assert any("+ Honestly, that is a stupid question" in c.value for c in at.code if c.language == "diff")


def test_triage_records_a_verdict_that_survives_a_restart(default_app, tmp_path):
    from seal_core.review import ReviewStore

    default_app.session_state["slice_first"] = 50
    at = default_app.run()
    at.switch_page("views/triage.py").run()
    no_errors(at)
    pid = at.query_params["pair"]
    assert at.button(key="triage_flip").disabled  # no verdict without a reviewer name
    at.text_input(key="triage_reviewer").set_value("ana").run()
    at.text_area(key=f"triage_note_{pid}").set_value("the rejected answer is safer")
    at.button(key="triage_flip").click().run()
    no_errors(at)
    assert any(f"Saved: flip for pair {pid}" in s.value for s in at.success)
    assert at.query_params["pair"] != pid  # the reviewed pair left the 'not yet reviewed' queue
    history = ReviewStore().history()  # the same SQLite file the app wrote: a restart reads it back
    row = history.iloc[-1]
    assert (row.pair_id, row.reviewer, row.verdict, row.note) == (pid, "ana", "flip", "the rejected answer is safer")
    st.cache_resource.clear()
    again = AppTest.from_file(APP, default_timeout=300)
    again.session_state["slice_first"] = 50
    again.session_state["triage_reviewer"] = "ana"
    again.run()
    again.switch_page("views/triage.py").run()
    assert any("1 of 50 pairs in this slice reviewed by ana" in p.text for p in again.get("progress"))


def test_triage_link_opens_the_pair_and_slice(default_app, sample):
    pid = sample.pairs.pair_id[7]
    default_app.query_params.update({"pair": pid, "first": "30"})
    at = default_app.run()
    at.switch_page("views/triage.py").run()
    no_errors(at)
    assert at.number_input(key="slice_first").value == 30
    assert at.query_params["pair"] == pid
    assert any(f"pair={pid}" in c.value and "first=30" in c.value for c in at.code)
