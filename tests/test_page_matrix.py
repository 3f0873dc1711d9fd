"""Every page × every edge case (AppTest): no traceback, and no error box where the data is clean.

A section that needs more data says so in an info note; the rest of the page renders. The page list is read from
``app.py``, so a new page is covered as soon as it is registered.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = re.findall(r'st\.Page\("(views/[a-z_]+\.py)"', (ROOT / "app.py").read_text())
CUSTOM = "Other: hub id or local path…"


def _pair(prompt: str, chosen: str, rejected: str) -> str:
    return json.dumps({
        "chosen": f"\n\nHuman: {prompt}\n\nAssistant: {chosen}",
        "rejected": f"\n\nHuman: {prompt}\n\nAssistant: {rejected}",
    })  # fmt: skip


@pytest.fixture(scope="module")
def edge_files(tmp_path_factory, pair_rm_path):
    folder = tmp_path_factory.mktemp("edges")
    topics = ["tea", "rain", "maps", "bees", "salt", "kites"]
    (folder / "identical.jsonl").write_text(
        "\n".join(_pair(f"About {t}?", f"{t} facts.", f"{t} facts.") for t in topics) + "\n"
    )
    good = [_pair(f"Tips on {t}?", f"Start small with {t}.", "No.") for t in topics[:4]]
    bad = ['{"chosen": "no assistant turn", "rejected": "x"}', "{oops", '{"rejected": "x"}'] * 4
    (folder / "mostly_bad.jsonl").write_text("\n".join(good + bad) + "\n")
    return folder


@pytest.fixture(scope="module")
def constant_rm_paths(tmp_path_factory, pair_rm_path):
    """Two real HF reward models whose heads ignore the text (zero weights, biases 0 and 1): every pair ties."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    outs = []
    for bias in (0.0, 1.0):
        out = tmp_path_factory.mktemp("constant_rm")
        model = AutoModelForSequenceClassification.from_pretrained(pair_rm_path)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.startswith(("classifier", "pooler")):
                    p.fill_(bias if name == "classifier.bias" else 0.0)
        model.save_pretrained(out)
        AutoTokenizer.from_pretrained(pair_rm_path).save_pretrained(out)
        outs.append(out)
    return outs


def _set(**values):
    def apply(at, files, rm):
        for key, value in values.items():
            value = value(files, rm) if callable(value) else value
            at.session_state[key] = value

    return apply


def _local(name: str, lenient: bool = False):
    return _set(data_mode="Local file", data_path=lambda f, rm: str(f / name), data_lenient=lenient)


def _rm(i):
    return lambda f, rms: str(rms[i])


CASES = {
    "empty slice": _set(slice_search="zzqxj-no-such-text"),
    "1 pair": _set(slice_first=1),
    "2 pairs": _set(slice_first=2),
    "3 pairs": _set(slice_first=3),
    "10 pairs": _set(slice_first=10),
    "all pairs identical": _local("identical.jsonl"),
    "most rows skipped": _local("mostly_bad.jsonl", lenient=True),
    "only one RM": _set(rm_pre="(none)", slice_first=30),
    "all ties": _set(rm_pre=CUSTOM, rm_pre_custom=_rm(0), rm_post=CUSTOM, rm_post_custom=_rm(1), slice_first=12),
    "RM fails to load": _set(rm_post=CUSTOM, rm_post_custom="./no-such-model", slice_first=20),
}
SIDEBAR_ERROR_EXPECTED = {"RM fails to load"}


@pytest.fixture(scope="module", autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("page", PAGES)
def test_page_degrades_gracefully(page, case, edge_files, constant_rm_paths):
    at = AppTest.from_file(APP, default_timeout=300)
    CASES[case](at, edge_files, constant_rm_paths)
    at.run()
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception][:1]
    main_errors = [e.value for e in at.main.error]
    assert not main_errors, main_errors
    if case not in SIDEBAR_ERROR_EXPECTED:
        assert not at.sidebar.error, [e.value for e in at.sidebar.error]
    else:
        assert any("no-such-model" in e.value or "not found" in e.value for e in at.sidebar.error)
    assert at.title and at.title[0].value
