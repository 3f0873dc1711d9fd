"""Error messages and the skipped table name the line, the field and the kind of problem, never the file's content
(a short, truncated excerpt only when asked for: the user's own upload); lenient loading summarises."""

import json

import pytest

from seal_core.data import load_pairs, summarize_skipped
from seal_core.errors import SealInputError

SECRETS = ("alice", "hunter2", "sk-live-XYZ", "robot-overlord", "p4ssw0rd")
HH = {"chosen": "\n\nHuman: hi\n\nAssistant: yes", "rejected": "\n\nHuman: hi\n\nAssistant: no"}


def _assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {text!r}"


def test_a_headerless_csv_does_not_echo_its_first_row(tmp_path):
    path = tmp_path / "creds.csv"
    path.write_text("alice,hunter2,sk-live-XYZ\nbob,pw,sk-live-ABC\n")
    with pytest.raises(SealInputError) as err:
        load_pairs(path)
    assert "missing column(s) 'chosen', 'rejected'; found 3 other column(s)" in str(err.value)
    _assert_no_secret(str(err.value))
    with pytest.raises(SealInputError) as err:
        load_pairs(path, excerpts=True)  # the user's own upload: a short excerpt helps
    assert "'alice'" in str(err.value)


def test_jsonl_record_errors_quote_neither_keys_nor_values(tmp_path):
    lines = [
        json.dumps(HH),
        json.dumps({"prompt": "Hi", "chosen": [{"role": "robot-overlord", "content": "x"}], "rejected": "y"}),
        json.dumps({"prompt": "Hi", "chosen": ["p4ssw0rd is the password"], "rejected": "y"}),
        json.dumps({**HH, "id": "hunter2"}),
        json.dumps({**HH, "id": "hunter2"}),
        '{"chosen": "alice hunter2 sk-live-XYZ',  # broken JSON
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    res = load_pairs(path, strict=False)
    table = res.skipped.to_string()
    _assert_no_secret(table + " ".join(res.warnings))
    assert set(res.skipped["kind"]) >= {"invalid JSON", "duplicate pair id"}
    for strict_text in lines[1:3]:
        one = tmp_path / "one.jsonl"
        one.write_text(strict_text + "\n")
        with pytest.raises(SealInputError) as err:
            load_pairs(one)
        _assert_no_secret(str(err.value))
        assert "one.jsonl line 1: 'chosen' message 0" in str(err.value)


def test_excerpts_are_short_and_marked_truncated(tmp_path):
    path = tmp_path / "pairs.jsonl"
    role = "robot-overlord-" + "x" * 200
    path.write_text(json.dumps({"prompt": "Hi", "chosen": [{"role": role, "content": "x"}], "rejected": "y"}) + "\n")
    with pytest.raises(SealInputError) as err:
        load_pairs(path, excerpts=True)
    assert "(value: 'robot-overlord-xxxxxxxxx…' (truncated))" in str(err.value)
    assert "x" * 30 not in str(err.value)


def test_lenient_loading_is_summarised_by_kind(tmp_path):
    lines = [json.dumps(HH)] + ["{broken"] * 50 + [json.dumps({"chosen": "no turn", "rejected": "x"})] * 30
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(lines) + "\n")
    res = load_pairs(path, strict=False)
    summary = summarize_skipped(res.skipped)
    assert summary.total == 80
    assert summary.by_kind == {"invalid JSON": 50, "no 'Assistant:' turn": 30}
    assert len(summary.first) == 20 and summary.first["where"].iloc[0] == "pairs.jsonl line 2"
    text = summary.lines()
    assert text[0] == "80 record(s) skipped (invalid JSON: 50; no 'Assistant:' turn: 30)"
    assert text[1] == "the first 20:" and len(text) == 22


def test_restricted_loading_refuses_paths_outside_the_roots_alike(tmp_path):
    root, other = tmp_path / "root", tmp_path / "other"
    root.mkdir()
    other.mkdir()
    (root / "ok.jsonl").write_text(json.dumps(HH) + "\n")
    (other / "private.jsonl").write_text(json.dumps(HH) + "\n")
    assert len(load_pairs("ok.jsonl", restrict=True, roots=[root]).pairs) == 1
    messages = set()
    for text in (str(other / "private.jsonl"), str(other / "missing.jsonl"), str(other), "/dev/zero"):
        with pytest.raises(SealInputError) as err:
            load_pairs(text, restrict=True, roots=[root])
        messages.add(str(err.value).replace(repr(text), "<path>"))
    assert len(messages) == 1


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_by_load_pairs(device):
    with pytest.raises(SealInputError, match="character device, not a regular file"):
        load_pairs(device)
