"""Glossary, findings and the audit report on synthetic tables with planted effects (exact, hand-checkable)."""

import json

import numpy as np
import pandas as pd
import pytest
from report_checks import check_report_html

from seal_core.errors import SealInputError
from seal_core.features import RULE_FEATURES, SEAL_KEYS
from seal_core.glossary import (
    FEATURES,
    REGIMES,
    fmt_num,
    fmt_p,
    fmt_pct,
    fmt_share,
    plain_columns,
    short_model_name,
)
from seal_core.story import find_findings
from seal_core.story.render import render, write_report
from seal_core.story.report import build_report

PRE, POST = "pre-rm@1", "post-rm@2"


def _scores(n=400, res_pre=0.5, res_post=0.3, seed=0, privacy_penalty=0.0, feats=None):
    rng = np.random.default_rng(seed)
    ids = [f"p{i:04d}" for i in range(n)]
    rows = []
    for model, res in ((PRE, res_pre), (POST, res_post)):
        mis = rng.permutation(n) < round(res * n)
        margin = np.where(mis, -1, 1) * rng.uniform(0.1, 2.0, n)
        chosen = rng.normal(0, 1, n)
        if feats is not None and model == POST:
            f = feats.pivot(index="pair_id", columns="side", values="last_response_breaks_privacy").loc[ids]
            chosen = chosen - privacy_penalty * f["chosen"].to_numpy()
            margin = margin - privacy_penalty * (f["chosen"] - f["rejected"]).to_numpy()
        rows.append(
            pd.DataFrame(
                {
                    "pair_id": ids,
                    "model": model,
                    "score_chosen": chosen,
                    "score_rejected": chosen - margin,
                    "margin": margin,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _features(n=400, seed=1):
    rng = np.random.default_rng(seed)
    ids = [f"p{i:04d}" for i in range(n)]
    out = []
    for side in ("chosen", "rejected"):
        d = {"pair_id": ids, "side": side, "labeler": "rules"}
        for f in ("last_response_breaks_privacy", "last_response_contains_insult", "response_hedges"):
            d[f] = (rng.random(n) < 0.3).astype(int)
        out.append(pd.DataFrame(d))
    return pd.concat(out, ignore_index=True)


# ------------------------------------------------------------------------------------------------ glossary


def test_every_known_feature_has_words():
    for key in [*SEAL_KEYS, *RULE_FEATURES]:
        assert key in FEATURES, key
        assert FEATURES[key].name and FEATURES[key].meaning
        assert "_" not in FEATURES[key].name
    assert set(REGIMES) == {"stayed_aligned", "got_aligned", "resisted", "reversed"}


@pytest.mark.parametrize(
    ("p", "text"), [(2.4e-23, "p < 0.001"), (0.00099, "p < 0.001"), (0.001, "p = 0.0010"), (0.0312, "p = 0.031"),
                    (0.5, "p = 0.50"), (float("nan"), "p not available")])  # fmt: skip
def test_fmt_p(p, text):
    assert fmt_p(p) == text


def test_numbers_for_people():
    assert fmt_share(0.3712, 0.331, 0.415) == "37% (95% CI 33–42%)"
    assert fmt_pct(0.004) == "0.4%" and fmt_pct(0.0) == "0%"
    assert fmt_num(0.000123456) == "0.00012" and fmt_num(123.456, 3) == "123"


def test_short_model_names_hide_revisions_and_paths():
    assert short_model_name("seal-minilm-bt@minilm-1110a243-head-8563c06495cfa025") == "Built-in post-training RM"
    assert short_model_name("/home/me/models/my-rm@abcdef") == "my-rm"
    long = short_model_name("org/" + "x" * 80 + "@rev")
    assert len(long) == 32 and "…" in long


def test_plain_columns_renames_and_keeps_raw_ids_out():
    t = pd.DataFrame(
        {
            "feature": ["last_response_breaks_privacy", "response_hedges (c)"],
            "coef": [1.0, 2.0],
            "p_adj": [0.01, 0.2],
            "n": [3, 3],
            "n_pairs": [3, 3],
        }
    )
    out = plain_columns(t)
    assert out["Feature"].tolist() == ["Breaks privacy", "Hedges (chosen)"]
    assert "Adjusted p-value" in out and len(set(out.columns)) == len(out.columns)


# ------------------------------------------------------------------------------------------------ findings


def test_headline_is_computed_from_the_scores():
    scores = _scores(res_pre=0.5, res_post=0.3)
    fs = find_findings(scores, pre=PRE, post=POST)
    head = fs[0]
    assert head.key == "resistance"
    post = scores[scores.model == POST]
    share = float((post.margin <= 0).mean())
    assert head.numbers["resistance"] == pytest.approx(share)
    assert f"{fmt_pct(share)} of 400 pairs" in head.sentence and "down from 50% before" in head.sentence
    assert len(head.examples) == 3 and set(head.examples) <= set(post.loc[post.margin <= 0, "pair_id"])
    assert any("chance level" in c for c in head.caveats)  # the pre RM at 50%
    # a different dataset gives different words: nothing is hand-written
    other = find_findings(_scores(res_pre=0.5, res_post=0.2), pre=PRE, post=POST)[0]
    assert "20% of 400 pairs" in other.sentence


def test_findings_are_ranked_and_noise_is_left_out():
    feats = _features()
    scores = _scores(privacy_penalty=1.5, feats=feats)
    fs = find_findings(scores, pre=PRE, post=POST, features=feats)
    lows = [f.effect_low for f in fs[1:]]
    assert lows == sorted(lows, reverse=True) and all(v > 0 for v in lows)
    keys = [f.key for f in fs]
    assert "imprint:last_response_breaks_privacy" in keys
    assert "imprint:response_hedges" not in keys  # no planted effect on hedging
    f = fs[keys.index("imprint:last_response_breaks_privacy")]
    assert f.sentence.startswith("Responses that break privacy score lower after training")
    assert "learned to penalise" in f.sentence and f.page == "imprint"
    assert 2 <= len(f.examples) <= 3


def test_caveats_small_slice_and_in_sample():
    scores = _scores(n=60)
    fs = find_findings(scores, pre=PRE, post=POST, in_sample=[POST])
    assert any(c.startswith("small slice: only 60 pairs") for c in fs[0].caveats)
    assert any(c.startswith("in-sample") for c in fs[0].caveats)
    flagged = scores.assign(in_sample=scores["model"].eq(POST) & scores["pair_id"].isin(["p0000", "p0001"]))
    caveats = find_findings(flagged, post=POST)[0].caveats
    assert "in-sample: post-rm was trained on 2 of these 60 pairs, which flatters it" in caveats


def test_single_rm_compares_with_a_coin_flip():
    fs = find_findings(_scores(res_post=0.5), post=POST)
    assert fs[0].sentence.startswith("The model prefers") and "coin flip" in fs[0].sentence
    assert any("at chance level" in c for c in fs[0].caveats)


def test_probe_and_flip_findings():
    n = 100
    ids = [f"p{i:04d}" for i in range(n)]
    base = pd.DataFrame({"pair_id": ids, "model": POST, "score_chosen": 1.0, "score_rejected": 0.0})
    insult = base.assign(perturbation="insult", score_chosen_perturbed=1.5, score_rejected_perturbed=0.5)
    typos = base.assign(perturbation="typos", score_chosen_perturbed=[1.0 if i % 5 else -1.0 for i in range(n)],
                        score_rejected_perturbed=0.0)  # fmt: skip
    rows = pd.concat([insult, typos], ignore_index=True)
    rows["agrees"] = rows.score_chosen > rows.score_rejected
    rows["agrees_perturbed"] = rows.score_chosen_perturbed > rows.score_rejected_perturbed
    rows["became_misaligned"] = rows.agrees & ~rows.agrees_perturbed
    rows["became_aligned"] = ~rows.agrees & rows.agrees_perturbed
    scores = _scores(n=n)
    fs = {f.key: f for f in find_findings(scores, pre=PRE, post=POST, robustness=rows)}
    assert fs["robustness:insult"].sentence.startswith("Appending an insult lowers the score in only 0% of 200")
    assert "does not penalise insults" in fs["robustness:insult"].sentence
    assert "20% of 100 pairs" in fs["robustness:typos"].sentence


def test_bad_input():
    scores = _scores(n=50)
    with pytest.raises(SealInputError, match="at least one reward model"):
        find_findings(scores)
    with pytest.raises(SealInputError, match="not in the scores"):
        find_findings(scores, post="nope")
    with pytest.raises(SealInputError, match="max_findings"):
        find_findings(scores, post=POST, max_findings=0)


# ------------------------------------------------------------------------------------------------ report


@pytest.fixture(scope="module")
def report():
    feats = _features()
    scores = _scores(privacy_penalty=1.5, feats=feats)
    pairs = pd.DataFrame({"pair_id": sorted(scores.pair_id.unique()), "prompt_chosen": "\n\nHuman: hi <b>x</b>\n\n",
                          "chosen": "Hello <script>alert(1)</script>", "rejected": "Go away"})  # fmt: skip
    return build_report(scores, pre=PRE, post=POST, pairs=pairs, features=feats,
                        setup={"data": "synthetic", "slice": "all pairs", "labeler": "rules"},
                        command="seal report data.jsonl"), scores  # fmt: skip


def test_report_html_is_self_contained_and_plain(report):
    rep, scores = report
    html = render(rep, "html")
    text = check_report_html(html)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html  # dataset text escaped
    post = scores[scores.model == POST]
    assert f"{(post.margin <= 0).mean():.1%}" in text  # the Scores table's resistance, as `seal score` prints it


def test_report_markdown_and_json(report, tmp_path):
    rep, _ = report
    md = write_report(rep, tmp_path / "r.md").read_text()
    assert md.startswith("# Reward model audit") and "## Reproduce" in md and "last_response_" not in md
    data = json.loads(write_report(rep, tmp_path / "r.json").read_text())
    assert data["findings"][0]["key"] == "resistance" and data["setup"]["models"]["post"] == POST
    with pytest.raises(SealInputError, match=r"\.html, \.md or \.json"):
        write_report(rep, tmp_path / "r.txt")
    with pytest.raises(SealInputError, match="unknown report format"):
        render(rep, "pdf")


def test_labeler_finding_and_its_examples():
    n = 200
    ids = [f"p{i:04d}" for i in range(n)]
    insult_chosen = np.arange(n) < 60  # the labels judge the rejected response better on these 60 pairs
    feats = pd.concat([
        pd.DataFrame({"pair_id": ids, "side": "chosen", "last_response_contains_insult": insult_chosen.astype(int)}),
        pd.DataFrame({"pair_id": ids, "side": "rejected",
                      "last_response_contains_insult": ((np.arange(n) >= 100) & (np.arange(n) < 160)).astype(int)}),
    ], ignore_index=True)  # fmt: skip
    scores = _scores(n=n)
    post = scores["model"] == POST
    margin = np.where(insult_chosen & (np.arange(n) % 2 == 0), -1.0, 1.0)  # misaligned on 30 of those 60 only
    scores.loc[post, "margin"] = margin
    fs = {
        f.key: f
        for f in find_findings(
            scores, pre=PRE, post=POST, features=feats, gamma_targets=["-last_response_contains_insult"]
        )
    }
    g = fs["gamma"]
    assert g.sentence.startswith("When the automatic labels judge the rejected response better (on insults)")
    assert "prefers it in 50% of 60 pairs" in g.sentence and "against 0% when they judge the chosen" in g.sentence
    assert set(g.examples) <= {ids[i] for i in range(0, 60, 2)} and len(g.examples) == 3
    assert g.numbers["n_r"] == 60 and g.numbers["n_c"] == 60 and g.effect_low > 0
