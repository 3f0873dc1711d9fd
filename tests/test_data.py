import gzip
import json
import warnings

import pandas as pd
import pytest

from seal_core.data import (
    BUNDLED_SAMPLE,
    SliceSpec,
    content_hash,
    load_pairs,
    pairs_from_records,
    parse_turns,
    render_transcript,
    slice_pairs,
    split_transcript,
)
from seal_core.errors import OfflineError, SealInputError

HH = {
    "chosen": "\n\nHuman: How do I bake bread?\n\nAssistant: Mix flour and water.\n\nHuman: Then?\n\nAssistant: Knead it.",
    "rejected": "\n\nHuman: How do I bake bread?\n\nAssistant: Mix flour and water.\n\nHuman: Then?\n\nAssistant: No.",
}


def write_jsonl(path, records, opener=open):
    with opener(path, "wt", encoding="utf-8") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return path


# ---------------------------------------------------------------------------------------------- transcripts


def test_split_transcript_is_seals_rfind_split():
    prompt, response = split_transcript(HH["chosen"])
    pivot = HH["chosen"].rfind("Assistant:")
    assert prompt == HH["chosen"][:pivot]
    assert prompt.endswith("Human: Then?\n\n")
    assert response == "Knead it."
    assert prompt + "Assistant: " + response == HH["chosen"]


def test_parse_turns_and_render_round_trip():
    turns = parse_turns(HH["chosen"])
    assert [t["role"] for t in turns] == ["user", "assistant", "user", "assistant"]
    assert turns[2]["content"] == "Then?"
    assert render_transcript(turns) == HH["chosen"]


def test_bundled_sample_matches_the_raw_file_exactly(sample):
    raw = [json.loads(line) for line in gzip.open(BUNDLED_SAMPLE, "rt", encoding="utf-8")]
    p = sample.pairs
    assert len(p) == len(raw) == 1800
    assert p["chosen_full"].tolist() == [r["chosen"] for r in raw]
    assert p["rejected_full"].tolist() == [r["rejected"] for r in raw]
    assert (p["prompt_chosen"] + "Assistant: " + p["chosen"] == p["chosen_full"]).all()
    assert p["pair_id"].is_unique
    assert p["row_id"].tolist() == list(range(1800))
    assert int(p["empty_response"].sum()) == 4  # four chosen responses in the sample are empty
    assert (BUNDLED_SAMPLE.parent / "hh-rlhf.LICENSE").read_text().startswith("MIT License")


def test_pair_ids_are_stable_and_content_based(sample):
    again = pairs_from_records(
        list(
            reversed(
                [
                    {"chosen": c, "rejected": r}
                    for c, r in zip(sample.pairs.chosen_full[:5], sample.pairs.rejected_full[:5])
                ]
            )
        )
    )
    assert set(again.pairs.pair_id) == set(sample.pairs.pair_id[:5])


def test_duplicate_records_get_suffixed_ids():
    res = pairs_from_records([HH, HH, HH])
    assert res.pairs.pair_id.tolist()[1:] == [res.pairs.pair_id[0] + "-2", res.pairs.pair_id[0] + "-3"]


def test_given_ids_are_used_and_must_be_unique():
    res = pairs_from_records([{**HH, "id": 7}, {**HH, "id": 8}])
    assert res.pairs.pair_id.tolist() == ["7", "8"]
    with pytest.raises(SealInputError, match=r"duplicate pair id \(first seen at records item 1\)"):
        pairs_from_records([{**HH, "id": 7}, {**HH, "id": 7}])


def test_metadata_columns_kept_and_clashes_renamed():
    res = pairs_from_records([{**HH, "subset": "harmless", "source": "x"}])
    assert res.pairs.loc[0, "subset"] == "harmless"
    assert res.pairs.loc[0, "meta_source"] == "x"
    assert res.pairs.loc[0, "source"] == "records"


# ---------------------------------------------------------------------------------------------- TRL formats


def test_trl_plain_strings():
    res = pairs_from_records([{"prompt": "What is 2+2?", "chosen": "4", "rejected": "5"}])
    row = res.pairs.iloc[0]
    assert res.input_format == "trl"
    assert row.prompt_chosen == "\n\nHuman: What is 2+2?\n\n"
    assert (row.chosen, row.rejected) == ("4", "5")
    assert row.chosen_full == "\n\nHuman: What is 2+2?\n\nAssistant: 4"


def test_trl_messages_with_system():
    rec = {
        "prompt": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "chosen": [{"role": "assistant", "content": "Hello!"}],
        "rejected": [{"role": "assistant", "content": "Go away."}],
    }
    row = pairs_from_records([rec]).pairs.iloc[0]
    assert row.prompt_chosen == "\n\nSystem: Be brief.\n\nHuman: Hi\n\n"
    assert row.chosen == "Hello!" and row.rejected == "Go away."
    assert parse_turns(row.prompt_chosen)[0] == {"role": "system", "content": "Be brief."}


def test_trl_hh_style_prompt_string_is_split_like_seal():
    rec = {"prompt": "\n\nHuman: Hi\n\nAssistant:", "chosen": " Hello", "rejected": " Bye"}
    row = pairs_from_records([rec]).pairs.iloc[0]
    assert (row.prompt_chosen, row.chosen) == ("\n\nHuman: Hi\n\n", "Hello")


def test_implicit_prompt_conversations():
    conv = [{"role": "user", "content": "Hi"}]
    rec = {
        "chosen": conv + [{"role": "assistant", "content": "Hey"}],
        "rejected": conv + [{"role": "assistant", "content": "No"}],
    }
    row = pairs_from_records([rec]).pairs.iloc[0]
    assert (row.prompt_chosen, row.chosen, row.rejected) == ("\n\nHuman: Hi\n\n", "Hey", "No")


def test_trl_message_errors():
    with pytest.raises(SealInputError, match="must end with an assistant message"):
        pairs_from_records([{"prompt": "Hi", "chosen": [{"role": "user", "content": "x"}], "rejected": "y"}])
    with pytest.raises(SealInputError, match="message 0 has an unknown role; expected user, assistant or system"):
        pairs_from_records([{"prompt": "Hi", "chosen": [{"role": "robot", "content": "x"}], "rejected": "y"}])


# ---------------------------------------------------------------------------------------------- file types


@pytest.mark.parametrize("kind", ["jsonl", "jsonl.gz", "json", "csv", "csv.gz", "parquet"])
def test_every_file_type_loads_the_same_pairs(tmp_path, kind):
    records = [HH, {"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: a\n\nAssistant: c"}]
    path = tmp_path / f"d.{kind}"
    df = pd.DataFrame(records)
    if kind == "jsonl":
        write_jsonl(path, records)
    elif kind == "jsonl.gz":
        write_jsonl(path, records, opener=gzip.open)
    elif kind == "json":
        path.write_text(json.dumps(records))
    elif kind == "csv":
        df.to_csv(path, index=False)
    elif kind == "csv.gz":
        df.to_csv(path, index=False, compression="gzip")
    else:
        df.to_parquet(path)
    res = load_pairs(path)
    assert res.pairs.chosen.tolist() == ["Knead it.", "b"]
    assert res.pairs.source.iloc[0] == path.name


# ---------------------------------------------------------------------------------------------- bad input


def test_malformed_json_line_strict_names_file_and_line(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [HH, '{"chosen": "x", ', HH])
    with pytest.raises(SealInputError, match=r"bad\.jsonl line 2: invalid JSON .*load leniently"):
        load_pairs(path)


def test_malformed_json_line_lenient_skips_and_reports(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [HH, '{"chosen": "x", ', "[1, 2]", HH])
    res = load_pairs(path, strict=False)
    assert len(res.pairs) == 2
    assert res.skipped["where"].tolist() == ["bad.jsonl line 2", "bad.jsonl line 3"]
    assert "invalid JSON" in res.skipped.reason[0] and "expected a JSON object" in res.skipped.reason[1]
    assert any("2 record(s) skipped" in w for w in res.warnings)


def test_missing_column_is_an_error_even_when_lenient(tmp_path):
    path = write_jsonl(tmp_path / "cols.jsonl", [{"chosen": HH["chosen"], "answer": "x"}])
    with pytest.raises(SealInputError, match=r"missing column\(s\) 'rejected'.*Expected hh-rlhf"):
        load_pairs(path, strict=False)


def test_missing_field_in_a_later_line(tmp_path):
    path = write_jsonl(tmp_path / "m.jsonl", [HH, {"chosen": HH["chosen"]}])
    with pytest.raises(SealInputError, match=r"m\.jsonl line 2: 'rejected' is missing"):
        load_pairs(path)
    assert len(load_pairs(path, strict=False).pairs) == 1


def test_empty_text(tmp_path):
    path = write_jsonl(tmp_path / "e.jsonl", [HH, {"chosen": "   ", "rejected": HH["rejected"]}])
    with pytest.raises(SealInputError, match=r"e\.jsonl line 2: empty text in 'chosen'"):
        load_pairs(path)
    res = load_pairs(path, strict=False)
    assert res.skipped.reason.tolist() == ["empty text in 'chosen'"]


def test_transcript_without_assistant_turn(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"chosen": "\n\nHuman: hi", "rejected": HH["rejected"]}])
    with pytest.raises(SealInputError, match=r"line 1: 'chosen' has no 'Assistant:' turn"):
        load_pairs(path)


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin.jsonl"
    path.write_bytes(json.dumps(HH).encode() + b"\n" + '{"chosen": "caf\xe9"}'.encode("latin-1") + b"\n")
    with pytest.raises(SealInputError, match=r"latin\.jsonl line 2: bytes are not valid UTF-8 \(byte 0xe9"):
        load_pairs(path)
    res = load_pairs(path, strict=False)
    assert len(res.pairs) == 1 and res.skipped.reason.tolist() == ["not valid UTF-8"]
    csv = tmp_path / "latin.csv"
    csv.write_bytes(b"chosen,rejected\n" + "caf\xe9,x\n".encode("latin-1"))
    with pytest.raises(SealInputError, match=r"latin\.csv line 2: bytes are not valid UTF-8"):
        load_pairs(csv)


def test_identical_pairs_kept_and_flagged():
    res = pairs_from_records([{"chosen": HH["chosen"], "rejected": HH["chosen"]}, HH])
    assert res.pairs.identical.tolist() == [True, False]
    assert any("identical" in w for w in res.warnings)


def test_file_level_errors(tmp_path):
    with pytest.raises(SealInputError, match="file not found: nope.jsonl"):
        load_pairs("nope.jsonl")
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(SealInputError, match="unsupported file type '.txt'"):
        load_pairs(tmp_path / "x.txt")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(SealInputError, match="no records found"):
        load_pairs(tmp_path / "empty.jsonl")
    (tmp_path / "bad.json").write_text('[{"chosen": 1,]')
    with pytest.raises(SealInputError, match=r"bad\.json line 1 column \d+: invalid JSON"):
        load_pairs(tmp_path / "bad.json")
    with pytest.raises(SealInputError, match="is a directory"):
        load_pairs(tmp_path)


def test_hub_dataset_fails_fast_offline():
    with pytest.raises(OfflineError, match=r"needs the network: HF_HUB_OFFLINE is set.*load a local file"):
        load_pairs("Anthropic/hh-rlhf", config="harmless-base")
    with pytest.raises(OfflineError):  # dots in a dataset name do not make it a file
        load_pairs("allenai/reward-bench-2.0")  # how fast it fails: benchmarks/fail_fast.py


# ---------------------------------------------------------------------------------------------- slices


def test_slices(sample):
    p = sample.pairs
    assert len(slice_pairs(p, SliceSpec(first=10))) == 10
    s1 = slice_pairs(p, SliceSpec(sample=100, seed=3))
    assert s1.pair_id.tolist() == slice_pairs(p, SliceSpec(sample=100, seed=3)).pair_id.tolist()
    assert s1.pair_id.tolist() != slice_pairs(p, SliceSpec(sample=100, seed=4)).pair_id.tolist()
    hits = slice_pairs(p, SliceSpec(search="BOMB", search_in=("chosen",)))
    assert len(hits) and hits.chosen.str.lower().str.contains("bomb").all()
    where = slice_pairs(p, SliceSpec(where=(("row_id", "<", 20),)))
    assert where.row_id.tolist() == list(range(20))
    assert len(slice_pairs(p, SliceSpec(sources=("other",)))) == 0
    assert len(slice_pairs(p, SliceSpec(where=(("empty_response", "==", True),)))) == 4
    combined = slice_pairs(p, SliceSpec(where=(("row_id", ">=", 100),), sample=50, seed=0, first=7))
    assert len(combined) == 7 and (combined.row_id >= 100).all()


def test_slice_errors_and_warnings(sample):
    with pytest.raises(SealInputError, match="cannot filter on 'nope': no such column"):
        slice_pairs(sample.pairs, SliceSpec(where=(("nope", "==", 1),)))
    with pytest.raises(SealInputError, match="unknown filter operator '~'"):
        slice_pairs(sample.pairs, SliceSpec(where=(("row_id", "~", 1),)))
    with pytest.raises(SealInputError, match="sample must be a non-negative"):
        slice_pairs(sample.pairs, SliceSpec(sample=-1))
    with pytest.warns(UserWarning, match="only 3 pairs"):
        slice_pairs(sample.pairs, SliceSpec(first=3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert len(slice_pairs(sample.pairs.head(5), SliceSpec(sample=10))) == 5


def test_content_hash(sample):
    p = sample.pairs
    assert content_hash(p) == content_hash(p.copy())
    changed = p.copy()
    changed.loc[3, "chosen_full"] += "!"
    assert content_hash(changed) != content_hash(p)
