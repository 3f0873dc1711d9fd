"""Every bad input to every `seal` command ends in one line on stderr and exit status 2, never a traceback; progress
bars have units and totals and `--quiet` silences them."""

import pandas as pd
import pytest

from seal_core.cli import main


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """A Scores table with two RMs, a matching Features table, one that shares no pair ids, and junk files."""
    d = tmp_path_factory.mktemp("tables")
    ids = [f"p{i}" for i in range(30)]
    rows = []
    for model, shift in (("pre@1", 0.0), ("post@1", 0.5)):
        for i, pid in enumerate(ids):
            c, r = (i % 7) / 7 + shift, (i % 5) / 5
            rows.append({"pair_id": pid, "model": model, "score_chosen": c, "score_rejected": r, "margin": c - r,
                         "agrees": c > r, "tie": c == r})  # fmt: skip
    pd.DataFrame(rows).to_csv(d / "scores.csv", index=False)
    feats = pd.DataFrame([{"pair_id": pid, "side": side, "labeler": "rules", "last_response_contains_insult": (i + k) % 3 == 0,
                           "response_apologizes": (i * k) % 2}
                          for i, pid in enumerate(ids) for k, side in enumerate(("chosen", "rejected"))])  # fmt: skip
    feats.to_csv(d / "features.csv", index=False)
    feats.assign(pair_id=lambda f: "other-" + f["pair_id"]).to_csv(d / "other_features.csv", index=False)
    (d / "junk.csv").write_bytes(b"\x00\x01\x02 not a table \xff\xfe\n" * 50)
    (d / "empty.csv").write_bytes(b"")
    (d / "no_cols.csv").write_text("a,b\n1,2\n")
    return d


def one_error_line(capsys, argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (argv, err)
    assert "Traceback" not in err
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"seal {argv[0]}: error: "), lines[0]
    return lines[0]


BAD_TABLE_ARGS = [
    ("missing.csv", "not found"),
    ("junk.csv", "junk.csv"),
    ("empty.csv", "empty.csv"),
    ("no_cols.csv", "no_cols.csv"),
]


@pytest.mark.parametrize(("name", "expected"), BAD_TABLE_ARGS)
def test_imprint_and_analyze_refuse_bad_scores_tables(tables, capsys, name, expected):
    for cmd in (["imprint", "--features", str(tables / "features.csv")], ["analyze", "--out", "r.json"]):
        line = one_error_line(capsys, [*cmd, "--scores", str(tables / name), "--pre", "pre", "--post", "post"])
        assert expected in line


@pytest.mark.parametrize(("name", "expected"), BAD_TABLE_ARGS)
def test_imprint_and_analyze_refuse_bad_features_tables(tables, capsys, name, expected):
    base = ["--scores", str(tables / "scores.csv"), "--pre", "pre", "--post", "post", "--features", str(tables / name)]
    for cmd in (["imprint", *base], ["analyze", *base, "--out", str(tables / "r.json")]):
        assert expected in one_error_line(capsys, cmd)


def test_analyze_with_features_sharing_no_pair_ids_exits_2(tables, capsys):
    line = one_error_line(capsys, ["analyze", "--scores", str(tables / "scores.csv"), "--pre", "pre", "--post", "post",
                                   "--features", str(tables / "other_features.csv"),
                                   "--targets=-last_response_contains_insult", "--out", str(tables / "r.json")])  # fmt: skip
    assert "no pair ids" in line


def test_imprint_with_features_sharing_no_pair_ids_exits_2(tables, capsys):
    line = one_error_line(capsys, ["imprint", "--scores", str(tables / "scores.csv"), "--pre", "pre", "--post", "post",
                                   "--features", str(tables / "other_features.csv")])  # fmt: skip
    assert "no pair ids" in line


def test_analyze_with_an_unknown_target_feature_exits_2(tables, capsys):
    line = one_error_line(capsys, ["analyze", "--scores", str(tables / "scores.csv"), "--pre", "pre", "--post", "post",
                                   "--features", str(tables / "features.csv"), "--targets=-no_such_feature",
                                   "--out", str(tables / "r.json")])  # fmt: skip
    assert "no_such_feature" in line


def test_analyze_and_imprint_refuse_unknown_models(tables, capsys):
    base = ["--scores", str(tables / "scores.csv"), "--features", str(tables / "features.csv")]
    assert "matches 0 model(s)" in one_error_line(capsys, ["analyze", *base, "--pre", "nope", "--post", "post",
                                                            "--out", str(tables / "r.json")])  # fmt: skip
    assert "matches 0 model(s)" in one_error_line(capsys, ["imprint", *base, "--pre", "nope", "--post", "post"])


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["score", "--limit", "-3"], "--limit"),
        (["score", "--sample", "0"], "--sample"),
        (["score", "--batch-size", "0", "--limit", "2"], "--batch-size"),
        (["score", "--max-length", "3", "--limit", "2", "--rm", "seal-minilm-bt"], "--max-length"),
        (["score", "--format", "xml"], "invalid choice"),
        (["score", "--limit", "many"], "invalid int value"),
        (["score", "--device", "cuda:7", "--limit", "2", "--rm", "x/y"], ""),
        (["score", "--ci", "1.5", "--limit", "2"], "--ci"),
        (["score", "--rm", "./no/such/model"], "model path not found"),
        (["score", "--out", "scores.xlsx"], "use a .parquet or .csv"),
        (["label", "--labeler", "magic", "--limit", "2"], "magic"),
        (["label", "--out", "f.txt"], "use a .parquet or .csv"),
        (["label", "--labeler", "llm", "--limit", "2", "--concurrency", "0"], "--concurrency"),
        (["robustness", "--perturb", "typos,teleport", "--limit", "2"], "teleport"),
        (["robustness", "--gate", "2", "--limit", "2"], "--gate"),
        (["robustness", "--limit", "2", "--out", "r.txt"], "use a .parquet or .csv"),
        (["train-rm", "--out", "x", "--C", "-1", "--limit", "20"], "C"),
        (["train-rm", "--out", "x", "--folds", "1", "--limit", "20"], "folds"),
        (["train-rm", "--out", "x", "--limit", "3"], "at least"),
        (["imprint"], "--scores"),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_options_end_in_one_line(tmp_path, monkeypatch, capsys, argv, expected):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEAL_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("SEAL_LLM_MODEL", raising=False)
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (argv, err)
    assert "Traceback" not in err and len(lines) == 1, lines
    assert lines[0].startswith("seal"), lines[0]
    assert expected in lines[0], lines[0]


def test_lenient_loading_prints_a_summary_not_every_skipped_line(tmp_path, capsys):
    good = '{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: yes", "rejected": "\\n\\nHuman: hi\\n\\nAssistant: no"}'
    lines = [good] * 3 + ["{broken"] * 60 + ['{"chosen": "no assistant turn", "rejected": "x"}'] * 40
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")
    code = main(["score", str(path), "--lenient", "--rm", "seal-minilm-principles", "--no-cache"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    err = [line for line in captured.err.splitlines() if line.strip()]
    skipped_lines = [line for line in err if line.lstrip().startswith("mixed.jsonl line")]
    assert len(skipped_lines) == 20  # the first 20, not all 100
    assert any("100 record(s) skipped" in line for line in err)
    assert any("60" in line and "invalid JSON" in line for line in err)
    assert any("40" in line and "Assistant" in line for line in err)


def test_progress_has_units_and_totals_and_no_noise(tmp_path, capsys):
    assert main(["score", "--limit", "5", "--rm", "seal-minilm-principles", "--no-cache"]) == 0
    err = capsys.readouterr().err
    assert "0text" not in err and "?text/s" not in err
    assert "10/10 texts" in err  # 5 pairs: 10 texts


def test_quiet_prints_results_only(tmp_path, capsys):
    assert main(["score", "--limit", "5", "--rm", "seal-minilm-principles", "--no-cache", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "resistance" in captured.out
