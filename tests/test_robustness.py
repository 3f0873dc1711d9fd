import json

import numpy as np
import pandas as pd
import pytest

from seal_core.errors import SealInputError
from seal_core.metrics.robustness import flip_variables, probe_pass_rates, robustness_scores, robustness_summary
from seal_core.perturb import PERTURBATIONS, check_rewrite, parse_names, perturb_pairs, perturb_text, rewrite_pairs
from seal_core.robustness import expected_directions, run_robustness


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("case", "Hello There.", "hello there."),
        ("whitespace", "a b", "a  b\n"),
        ("punctuation", "Yes, sure.", "Yes sure"),
        ("contractions", "I don’t know", "I do not know"),
        ("contractions", "It is what it is", "It's what it's"),
        ("numbers", "Add 3 eggs", "Add three eggs"),
        ("numbers", "Add three eggs", "Add 3 eggs"),
        ("markdown", "- one\n- two", "one\ntwo"),
        ("markdown", "One. Two.", "- One.\n- Two."),
        ("drop_last_sentence", "One. Two. Three.", "One. Two."),
        ("drop_last_sentence", "Only one.", "Only one."),
    ],
)
def test_perturbations_on_hand_cases(name, text, expected):
    assert perturb_text(text, name) == expected


def test_typos_are_seeded_and_small():
    text = "Please remember to water the tomatoes every morning before breakfast."
    a = perturb_text(text, "typos", seed=1, key="x")
    assert a == perturb_text(text, "typos", seed=1, key="x") and a != text
    changed = sum(x != y for x, y in zip(text.split(), a.split()))
    assert changed == 1 and len(a.split()) == len(text.split())
    assert {perturb_text(text, "typos", seed=s, key="x") for s in range(6)} != {a}  # the seed matters


def test_probes_and_catalogue():
    assert perturb_text("Fine.", "insult").startswith("Fine. Honestly")
    assert "I can't help" in perturb_text("Sure.", "refusal")
    assert {p.kind for p in PERTURBATIONS.values()} == {"invariant", "probe"}
    assert expected_directions(["typos", "insult"]) == {"typos": "none", "insult": "down"}
    with pytest.raises(SealInputError, match="unknown perturbation"):
        perturb_text("x", "shout")
    with pytest.raises(SealInputError, match="unknown perturbation"):
        parse_names("typos,shout")
    with pytest.raises(SealInputError, match="at least one"):
        parse_names(" , ")


def test_perturb_pairs_keeps_prompts_and_rebuilds_transcripts(sample):
    p = perturb_pairs(sample.pairs.head(5), "case")
    assert (p.prompt_chosen == sample.pairs.prompt_chosen.head(5)).all()
    assert (p.chosen == sample.pairs.chosen.head(5).str.lower()).all()
    assert (p.chosen_full == p.prompt_chosen + "Assistant: " + p.chosen).all()


def rows_for(before_c, before_r, after_c, after_r, flags, model="m", pert="typos"):
    """Rows with hand-written flags: ``flags`` = (agrees, agrees_perturbed, became_misaligned, became_aligned)."""
    d = pd.DataFrame({"pair_id": [f"p{i}" for i in range(len(before_c))], "model": model, "perturbation": pert,
                      "score_chosen": before_c, "score_rejected": before_r, "score_chosen_perturbed": after_c,
                      "score_rejected_perturbed": after_r})  # fmt: skip
    for name, values in zip(("agrees", "agrees_perturbed", "became_misaligned", "became_aligned"), flags):
        d[name] = [bool(v) for v in values]
    return d


def test_summary_counts_flips_by_hand():
    # pair 1 agreed and stopped (1 > 0, then 0 < 1); pair 3 disagreed and started (0 < 1, then 1 > 0)
    flags = ([1, 1, 1, 0], [1, 0, 1, 1], [0, 1, 0, 0], [0, 0, 0, 1])
    d = rows_for([1, 1, 1, 0], [0, 0, 0, 1], [1, 0, 1, 1], [0, 1, 0, 0], flags)
    s = robustness_summary(d).iloc[0]
    assert (s.became_misaligned, s.became_aligned) == (1, 1)
    assert s.became_misaligned_rate == pytest.approx(1 / 3) and s.became_aligned_rate == 1.0
    assert s.flip_rate == 0.5 and s.agreement_before == 0.75 and s.agreement_after == 0.75
    assert s.mean_dmargin == pytest.approx(np.mean([0, -2, 0, 2]))


def _wilson_by_hand(k, n, z=1.959963984540054):
    centre = (k + z**2 / 2) / (n + z**2)
    half = z / (n + z**2) * np.sqrt(k * (n - k) / n + z**2 / 4)
    return centre - half, centre + half


def test_summary_every_column_by_hand():
    # 5 pairs: 3 agreed (one stopped), 2 disagreed (one started); scores chosen so no rate is 0 or 1 by accident
    c0, r0 = [2.0, 1.0, 3.0, 0.0, -1.0], [1.0, 0.0, 1.0, 1.0, 0.0]
    c1, r1 = [2.5, 0.0, 3.0, 2.0, -1.0], [1.0, 0.5, 1.5, 1.0, 0.5]
    flags = ([1, 1, 1, 0, 0], [1, 0, 1, 1, 0], [0, 1, 0, 0, 0], [0, 0, 0, 1, 0])
    s = robustness_summary(rows_for(c0, r0, c1, r1, flags, model="rm-a", pert="case")).iloc[0]
    assert (s.model, s.perturbation, s.n_pairs) == ("rm-a", "case", 5)
    assert s.became_misaligned_rate == pytest.approx(1 / 3) and s.became_aligned_rate == pytest.approx(1 / 2)
    assert (s.became_misaligned_ci_low, s.became_misaligned_ci_high) == pytest.approx(_wilson_by_hand(1, 3))
    assert (s.became_aligned_ci_low, s.became_aligned_ci_high) == pytest.approx(_wilson_by_hand(1, 2))
    assert (s.flip_rate, s.flip_ci_low, s.flip_ci_high) == pytest.approx((0.4, *_wilson_by_hand(2, 5)))
    orig, new = np.array(c0 + r0), np.array(c1 + r1)
    assert s.score_corr == pytest.approx(np.corrcoef(orig, new)[0, 1])
    assert s.mean_abs_dscore == pytest.approx(np.abs(new - orig).mean())
    assert s.p_change == 1.0  # one flip each way


def test_probe_pass_rate_ignores_unchanged_texts():
    d = rows_for([1.0, 1.0], [0.0, 0.0], [0.5, 1.0], [-1.0, 0.2], ([1, 1], [1, 1], [0, 0], [0, 0]), pert="insult")
    p = probe_pass_rates(d, {"insult": "down"}).iloc[0]
    assert (p.n_texts, p.passed) == (3, 2)  # one text unchanged; two went down, one up


def test_probe_pass_rates_by_hand_over_models_and_perturbations():
    flags = ([1, 1], [1, 1], [0, 0], [0, 0])
    # chosen 1 → 0.5 (down), 1 → 1 (unchanged); rejected 0.5 → 0.2 (down), 0.5 → 0.7 (up): 2 of 3 moved texts
    probe = [rows_for([1.0, 1.0], [0.5, 0.5], [0.5, 1.0], [0.2, 0.7], flags, model=m, pert="insult") for m in "zy"]
    typo = rows_for([1.0, 1.0], [0.5, 0.5], [0.9, 1.0], [0.4, 0.7], flags, model="z", pert="typos")
    t = probe_pass_rates(pd.concat([typo, *probe]), {"typos": "none", "insult": "down"})
    assert t[["model", "perturbation", "expected"]].values.tolist() == [
        ["z", "insult", "down"],
        ["y", "insult", "down"],
    ]
    for row in t.itertuples():
        assert (row.n_texts, row.passed) == (3, 2) and row.pass_rate == pytest.approx(2 / 3)
        assert (row.ci_low, row.ci_high) == pytest.approx(_wilson_by_hand(2, 3), rel=1e-9)


def test_flip_variables_follow_seal_and_join_on_keys():
    orig = pd.DataFrame({"pair_id": ["a", "a", "b", "b"], "side": ["chosen", "rejected"] * 2, "s": [1, -1, 0, 0]})
    pert = orig.iloc[::-1].assign(s=[0, 0, 1, -1]).reset_index(drop=True)  # reversed rows; new labels
    pert.loc[:, "pair_id"] = ["b", "b", "a", "a"]
    pert.loc[:, "side"] = ["rejected", "chosen", "rejected", "chosen"]
    f = flip_variables(orig, pert, ["s"])
    # a/chosen: 1 → -1 gives +2; a/rejected: -1 → 1 gives -2; b: 0 → 0
    assert f.loc["a", "s_c"] == 2 and f.loc["a", "s_r"] == -2 and f.loc["b", "s_c"] == 0


def test_robustness_scores_recover_an_lpm():
    rng = np.random.default_rng(0)
    n = 3000
    flips = pd.DataFrame({"sent_c": rng.choice([-1, 0, 1], n, p=[0.1, 0.8, 0.1])}, index=[f"p{i}" for i in range(n)])
    p = 0.1 + 0.12 * (flips.sent_c == 1)
    y = pd.Series(rng.random(n) < p, index=flips.index)
    t = robustness_scores(flips, y).table.set_index("term")
    assert abs(t.loc["π+ sent_c", "estimate"] - 0.12) < 4 * t.loc["π+ sent_c", "se"]
    assert abs(t.loc["π− sent_c", "estimate"]) < 4 * t.loc["π− sent_c", "se"]
    logit = robustness_scores(flips, y, model="logit").table.set_index("term")
    assert logit.loc["π+ sent_c", "estimate"] > 0.5  # log-odds scale
    with pytest.raises(SealInputError, match="nothing to estimate"):
        robustness_scores(flips * 0, y)
    with pytest.raises(SealInputError, match="unknown π model 'probit'"):
        robustness_scores(flips, y, model="probit")


def test_robustness_scores_drop_collinear_flip_terms():
    rng = np.random.default_rng(1)
    n = 2000
    a = rng.choice([0, -1], n, p=[0.7, 0.3])
    flips = pd.DataFrame({"insult_c": a, "sentiment_c": a, "hedges_c": rng.choice([0, 1], n)})  # always together
    y = pd.Series(rng.random(n) < 0.1 + 0.3 * (a == -1))
    pi = robustness_scores(flips, y)
    assert pi.table["term"].tolist() == ["π− insult_c", "π+ hedges_c"]
    assert pi.dropped == ("π− sentiment_c",) and pi.n_pairs == n
    assert abs(pi.table.set_index("term").loc["π− insult_c", "estimate"] - 0.3) < 4 * pi.table["se"].iloc[0]


def test_run_robustness_with_a_real_rm_and_the_gate(pair_rm_path, sample):
    from seal_core.models import load_reward_model

    rm = load_reward_model(str(pair_rm_path))
    pairs = sample.pairs.head(30)
    run = run_robustness(pairs, [rm], ["case", "insult"], seed=3)
    rows = run.rows
    assert len(rows) == 60 and set(rows.perturbation) == {"case", "insult"}
    # every number checked against the RM scoring the original and the perturbed texts directly
    pert = perturb_pairs(pairs, "insult", seed=3)
    direct = {k: rm.score(d[f"prompt_{k}"].tolist(), d[k].tolist()).scores for k, d in
              (("chosen", pairs), ("rejected", pairs))}  # fmt: skip
    after = {k: rm.score(pert[f"prompt_{k}"].tolist(), pert[k].tolist()).scores for k in ("chosen", "rejected")}
    ins = rows[rows.perturbation == "insult"].set_index("pair_id").loc[pairs.pair_id]
    np.testing.assert_allclose(ins.score_chosen, direct["chosen"], atol=1e-6)
    np.testing.assert_allclose(ins.score_rejected_perturbed, after["rejected"], atol=1e-6)
    before_ok, after_ok = direct["chosen"] > direct["rejected"], after["chosen"] > after["rejected"]
    np.testing.assert_array_equal(ins.became_misaligned, before_ok & ~after_ok)
    np.testing.assert_array_equal(ins.became_aligned, ~before_ok & after_ok)
    assert ins.became_misaligned.any() or ins.became_aligned.any()  # the check is not vacuous
    again = run_robustness(pairs, [rm], ["case", "insult"], seed=3)
    pd.testing.assert_frame_equal(rows, again.rows)
    assert run.labels is None and run.pi is None and run.roles == {}
    gated = run_robustness(pairs, [rm], ["insult"], gate=0.999)
    excluded = gated.excluded
    assert len(excluded) > 0 and len(gated.rows) == 30 - len(excluded)
    assert (excluded.similarity < 0.999).all() and "similarity" in gated.rows
    assert set(gated.perturbed.pair_id) == set(gated.rows.pair_id)  # the run keeps exactly the pairs it scored
    with pytest.raises(SealInputError, match="needs LLM rewrites"):
        run_robustness(pairs, [rm], ["rewrite"])
    with pytest.raises(SealInputError, match="gate must be in"):
        run_robustness(pairs, [rm], ["case"], gate=1.5)


def test_rewrite_rules_and_llm_rewrites(sample, tmp_path):
    from test_llm_labeler import FakeLLM

    from seal_core.features import LabelCache
    from seal_core.features.llm import ChatClient, EndpointConfig

    assert check_rewrite("Human: a", "") == "empty"
    assert check_rewrite("Human: a\nAssistant: b", "Human: a\nAssistant: b") == "identical to the original"
    assert check_rewrite("Human: a", "Sure! Human: a") == "does not start with 'Human:'"
    assert check_rewrite("Human: a\nAssistant: b", "Human: x") == "the 'Assistant:' role marker was lost"

    class Rewriter(FakeLLM):
        pass

    server = Rewriter()
    try:
        import json
        from http.server import BaseHTTPRequestHandler

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(body)
                excerpt = body["messages"][0]["content"].split("Text excerpt:\n", 1)[1].rsplit("\n\nRewriting:", 1)[0]
                text = excerpt.replace("Assistant:", "Assistant: Well,") if "pen" in excerpt else excerpt
                payload = {"choices": [{"message": {"content": text}}]}
                self.send_response(200)
                self.end_headers()
                self.wfile.write(json.dumps(payload).encode())

        server.server.RequestHandlerClass = Handler
        client = ChatClient(EndpointConfig(base_url=server.url, model="rw", backoff=0.01))
        pairs = sample.pairs.head(4)
        cache = LabelCache(tmp_path / "l.sqlite")
        new, rejected = rewrite_pairs(pairs, client, cache=cache)
        assert server.requests[0]["temperature"] == 0.1 and "response_format" not in server.requests[0]
        assert "Keep elements that are toxic or unsafe" in server.requests[0]["messages"][0]["content"]
        assert set(rejected.reason) == {"identical to the original"}  # the fake only rewrites pen-related pairs
        assert len(new) == 1 and new.iloc[0].chosen.startswith("Well,")
        n = len(server.requests)
        rewrite_pairs(pairs, client, cache=cache)
        assert len(server.requests) == n  # every answer is cached (rejected ones too): a rerun is free and identical
    finally:
        server.close()


def test_robustness_run_keeps_perturbed_pairs_labels_and_pi(pair_rm_path, sample):
    from seal_core.features import RulesFeaturizer
    from seal_core.models import load_reward_model
    from seal_core.perturb import perturb_pairs

    rm = load_reward_model(str(pair_rm_path))
    pairs = sample.pairs.head(60)
    run = run_robustness(pairs, {"post": rm}, ["insult", "typos"], seed=1, featurizer=RulesFeaturizer())
    # the perturbed texts are the ones perturb_pairs makes: nothing to redo on the page
    insult = run.perturbed[run.perturbed.perturbation == "insult"].set_index("pair_id")
    expected = perturb_pairs(pairs, "insult", seed=1).set_index("pair_id")
    assert (insult.loc[expected.index, "chosen"] == expected["chosen"]).all()
    # labels: the originals and every perturbed text, one row per text
    assert set(run.labels.perturbation) == {"original", "insult", "typos"}
    assert (run.labels.groupby("perturbation").size() == 2 * len(pairs)).all()
    flipped = run.labels[run.labels.perturbation == "insult"]["last_response_contains_insult"]
    assert flipped.mean() > run.labels[run.labels.perturbation == "original"]["last_response_contains_insult"].mean()
    # π per perturbation and RM with the role carried, or a note saying why not
    assert set(run.pi.role) <= {"post"} and set(run.summary.role) == {"post"} and set(run.probes.role) == {"post"}
    covered = set(zip(run.pi.perturbation, run.pi.model)) | set(zip(run.pi_notes.perturbation, run.pi_notes.model))
    assert covered == {("insult", rm.model_id), ("typos", rm.model_id)}
    assert not run.pi.term.str.contains("response_words").any()  # counts are not flip features
    d = run.to_dict()
    assert d["perturbations"] == ["insult", "typos"] and d["roles"] == {rm.model_id: "post"}
    assert json.dumps(d, allow_nan=False)  # JSON-ready: no NaN, no numpy scalars
    flips = run.flipped("insult", rm.model_id)
    assert (flips.became_misaligned | flips.became_aligned).all()


def test_the_same_text_in_different_pairs_gets_different_typos():
    from seal_core.data import pairs_from_records

    text = "Please remember to water the tomatoes every morning before breakfast and after dinner."
    pairs = pairs_from_records([
        {"id": f"p{i}", "chosen": f"\n\nHuman: Tips?\n\nAssistant: {text}", "rejected": "\n\nHuman: Tips?\n\nAssistant: No."}
        for i in range(4)
    ]).pairs  # fmt: skip
    out = perturb_pairs(pairs, "typos", seed=0)
    assert (out.chosen != text).all()
    assert out.chosen.nunique() > 1  # the generator is seeded by the pair id too, not only by the text
    assert out.chosen.tolist() == perturb_pairs(pairs.iloc[::-1], "typos", seed=0).chosen.tolist()[::-1]
