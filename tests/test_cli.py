import subprocess
import sys

import pandas as pd

from seal_core.cli import main


def test_models_lists_builtins(capsys):
    from seal_core.models import POST_NAME, PRE_NAME

    assert main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.split()[:2] == [PRE_NAME, "pre"] for line in lines)
    assert any(line.split()[:2] == [POST_NAME, "post"] for line in lines)


def test_score_writes_the_scores_table_and_prints_resistance(pair_rm_path, tmp_path, capsys):
    out = tmp_path / "scores.parquet"
    assert main(["score", "--rm", str(pair_rm_path), "--limit", "40", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "40 pairs from hh-rlhf harmless-base test (bundled sample)" in printed
    assert "resistance" in printed and "95% CI" in printed
    s = pd.read_parquet(out)
    assert len(s) == 40 and {"pair_id", "model", "score_chosen", "score_rejected", "margin", "agrees", "tie"} <= set(s)


def test_two_rms_and_csv_and_sample(pair_rm_path, chat_rm_path, tmp_path, capsys):
    out = tmp_path / "s.csv"
    code = main(
        [
            "score",
            "--rm",
            str(pair_rm_path),
            "--rm",
            str(chat_rm_path),
            "--format",
            "raw",
            "--sample",
            "35",
            "--seed",
            "2",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    s = pd.read_csv(out)
    assert s.model.nunique() == 2 and len(s) == 70


def test_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["score", "missing.jsonl", "--rm", "x"]) == 2
    assert "file not found: missing.jsonl" in capsys.readouterr().err
    assert main(["score", "--rm", "./nowhere"]) == 2
    assert "model path not found" in capsys.readouterr().err
    assert main(["score", "--rm", "x", "--out", "s.xlsx"]) == 2
    assert "use a .parquet or .csv" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"chosen": "x"\n')
    assert main(["score", str(bad), "--rm", "x"]) == 2
    assert "bad.jsonl line 1: invalid JSON" in capsys.readouterr().err


def test_python_dash_m_entry_point():
    res = subprocess.run([sys.executable, "-m", "seal_core", "--help"], capture_output=True, text=True, check=True)
    assert "models" in res.stdout and "score" in res.stdout


def test_default_rms_are_the_builtin_pair(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["score", "--limit", "30", "--out", str(out)]) == 0
    s = pd.read_csv(out)
    assert sorted(s.model.str.split("@").str[0].unique()) == ["seal-minilm-bt", "seal-minilm-principles"]


def test_models_verbose_prints_cards(capsys):
    assert main(["models", "--verbose"]) == 0
    text = capsys.readouterr().out
    assert "5-fold cross-validated accuracy (out of sample): 0.631" in text
    assert "shorter response wins: 0.548" in text


def test_train_rm_writes_a_usable_head(tmp_path, capsys):
    assert main(["train-rm", "--limit", "60", "--folds", "3", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "3-fold CV accuracy" in printed
    head = tmp_path / "minilm_bt_head.json"
    assert head.exists()
    assert main(["score", "--rm", str(head), "--limit", "60"]) == 0
    assert "agreement" in capsys.readouterr().out
    assert main(["train-rm", "--limit", "5", "--out", str(tmp_path / "x")]) == 2
    assert "at least 10 non-identical pairs" in capsys.readouterr().err


def test_label_and_imprint_commands(tmp_path, capsys):
    feats, scores, out = tmp_path / "f.parquet", tmp_path / "s.parquet", tmp_path / "imprint.csv"
    assert main(["label", "--limit", "120", "--out", str(feats)]) == 0
    assert main(["score", "--limit", "120", "--out", str(scores)]) == 0
    capsys.readouterr()
    code = main(["imprint", "--scores", str(scores), "--features", str(feats), "--pre", "seal-minilm-principles",
                 "--post", "seal-minilm-bt", "--adjust", "holm", "--out", str(out)])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "difference" in printed and "After training" in printed
    table = pd.read_csv(out)
    assert {"feature", "feature_role", "rm", "coef", "se", "ci_low", "ci_high", "p", "p_adj", "n_pairs"} <= set(
        table.columns
    )
    assert set(table.role) == {"pre", "post", "difference"} and (table.n_pairs == 120).all()
    assert main(["imprint", "--scores", str(scores), "--features", str(feats), "--post", "seal"]) == 2
    assert "matches 2 model(s)" in capsys.readouterr().err


def test_llm_labeling_needs_confirmation_and_an_endpoint(tmp_path, monkeypatch, capsys):
    from test_llm_labeler import FakeLLM

    monkeypatch.delenv("SEAL_LLM_BASE_URL", raising=False)
    assert main(["label", "--labeler", "llm", "--limit", "2"]) == 2
    assert "nothing was sent" in capsys.readouterr().err
    server = FakeLLM()
    try:
        monkeypatch.setenv("SEAL_LLM_BASE_URL", server.url)
        monkeypatch.setenv("SEAL_LLM_MODEL", "tiny")
        monkeypatch.setattr("sys.stdin", open("/dev/null"))
        assert main(["label", "--labeler", "llm", "--limit", "2"]) == 2
        assert "pass --yes to confirm" in capsys.readouterr().err and not server.requests
        out = tmp_path / "llm.csv"
        assert main(["label", "--labeler", "llm", "--limit", "2", "--yes", "--out", str(out)]) == 0
        assert "About 4 requests" in capsys.readouterr().out
        assert len(pd.read_csv(out)) == 4 and len(server.requests) == 4
    finally:
        server.close()


def test_analyze_writes_the_json_report(tmp_path, capsys):
    feats, scores, out = tmp_path / "f.parquet", tmp_path / "s.parquet", tmp_path / "report.json"
    assert main(["label", "--limit", "150", "--out", str(feats)]) == 0
    assert main(["score", "--limit", "150", "--out", str(scores)]) == 0
    code = main(["analyze", "--scores", str(scores), "--features", str(feats), "--pre", "seal-minilm-principles",
                 "--post", "seal-minilm-bt", "--targets=-last_response_contains_insult,-last_response_breaks_privacy",
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    import json

    report = json.loads(out.read_text())
    assert report["n_pairs"] == 150 and report["schema_version"] == 1
    assert set(report["regimes"]) == {"stayed_aligned", "got_aligned", "resisted", "reversed"}
    assert report["gamma"]["targets"] == ["-last_response_contains_insult", "-last_response_breaks_privacy"]
    assert "theta_regression" in report and "mcnemar" in report
    assert main(["analyze", "--scores", str(scores), "--features", str(feats), "--pre", "seal-minilm-principles",
                 "--post", "seal-minilm-bt", "--out", str(out)]) == 2  # fmt: skip
    assert "γ needs the target feature" in capsys.readouterr().err


def test_reproduce_offline_explains_and_exits_2(capsys):
    assert main(["reproduce"]) == 2
    out = capsys.readouterr().out
    assert "Anthropic/hh-rlhf (train split, 160,800 pairs)" in out and "Nothing was run" in out
    assert "Network: unavailable" in out


def test_robustness_command_is_deterministic(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    args = ["robustness", "--limit", "20", "--perturb", "typos,insult", "--seed", "4"]
    assert main([*args, "--out", str(a)]) == 0
    printed = capsys.readouterr().out
    assert "typos" in printed and "pass_rate" in printed  # the summary and the probe table
    assert main([*args, "--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()  # same seed, byte-identical output
    rows = pd.read_csv(a)
    assert len(rows) == 20 * 2 * 2 and set(rows.perturbation) == {"typos", "insult"}
    assert main(["robustness", "--perturb", "shout"]) == 2
    assert "unknown perturbation" in capsys.readouterr().err
    assert main(["robustness", "--list"]) == 0
    assert "drop_last_sentence" in capsys.readouterr().out
