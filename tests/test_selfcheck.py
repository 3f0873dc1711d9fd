"""The planted-effect self-check: it passes on the real pipelines and fails when a pipeline is biased."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

import seal_core.selfcheck as sc
from seal_core.errors import SealInputError
from seal_core.features import LabelCache, RulesFeaturizer, label_pairs
from seal_core.metrics.imprint import feature_imprint
from seal_core.metrics.regimes import pair_agreement
from seal_core.metrics.robustness import robustness_scores
from seal_core.metrics.shift import reward_vectors

REPS = 20
FEW = 8  # enough to catch a planted bias


@pytest.fixture(scope="module")
def features(sample, tmp_path_factory):
    """Rule features of the first 400 bundled pairs (a small version of the full check)."""
    cache = LabelCache(tmp_path_factory.mktemp("labels") / "labels.sqlite")
    return label_pairs(sample.pairs.head(400), RulesFeaturizer(), cache=cache).features


@pytest.fixture(scope="module")
def passing(features):
    return sc.selfcheck(features=features, reps=REPS, seed=1)


def test_real_pipelines_recover_planted_values(passing):
    assert passing.passed, passing.failures()
    t = passing.table.set_index("quantity")
    assert set(t["check"]) == set(sc.CHECKS)
    assert passing.n_pairs == 400 and passing.n_reps == REPS
    # the strongest planted effects are recovered to within a few of their standard errors
    for q in ("β (post RM): response_apologizes", "β − β̲: last_response_is_refusal", "δ last_response_is_refusal (c)",
              "π+ response_hedges_c"):  # fmt: skip
        row = t.loc[q]
        assert abs(row.recovered - row.planted) < 4 * row.sd / np.sqrt(REPS)
        assert row.coverage >= 0.8
    assert t.loc["θ per pair (max |error|, degrees)", "recovered"] < 1e-6
    assert set(passing.pooled["check"]) == set(sc.CHECKS)
    assert passing.to_dict()["passed"] is True


def test_planted_values_are_the_ones_configured(passing):
    planted = sc.Planted()
    t = passing.table.set_index("quantity")
    for f, b in planted.beta_post.items():
        assert t.loc[f"β (post RM): {f}", "planted"] == b
        assert t.loc[f"β − β̲: {f}", "planted"] == pytest.approx(b - planted.beta_pre[f])
    for term, p in planted.pi.items():
        assert t.loc[term, "planted"] == p
    shares = t[t.index.str.startswith("share ")]["planted"]
    assert shares.sum() == pytest.approx(1.0)  # the four regimes partition the pairs


def test_a_biased_imprint_is_detected(features, monkeypatch):
    def biased(*args, **kwargs):  # every coefficient (and its CI) pushed up by 0.15
        res = feature_imprint(*args, **kwargs)
        t = res.table.copy()
        for c in ("coef", "ci_low", "ci_high"):
            t[c] = t[c] + 0.15
        return type(res)(**{**res.__dict__, "table": t})

    monkeypatch.setattr(sc, "feature_imprint", biased)
    res = sc.selfcheck(features=features, reps=FEW, seed=1, checks=("imprint",))
    assert not res.passed
    assert any("β (post RM): response_words" in f for f in res.failures())


def test_overconfident_intervals_are_detected(features, monkeypatch):
    def narrow(*args, **kwargs):  # right estimates, intervals half as wide as they should be
        res = feature_imprint(*args, **kwargs)
        t = res.table.copy()
        half = (t["ci_high"] - t["ci_low"]) / 4
        t["ci_low"], t["ci_high"], t["se"] = t["coef"] - half, t["coef"] + half, t["se"] / 2
        return type(res)(**{**res.__dict__, "table": t})

    monkeypatch.setattr(sc, "feature_imprint", narrow)
    res = sc.selfcheck(features=features, reps=FEW, seed=1, checks=("imprint",))
    pooled = res.pooled.set_index("check").loc["imprint"]
    assert not pooled.ok and pooled.coverage < 0.8


def test_a_biased_agreement_is_detected(features, monkeypatch):
    def ties_agree(scores, pre, post):  # counts every near-tie as agreement: misalignment biased down
        d = pair_agreement(scores, pre, post)
        d["agrees_post"] = d["margin_post"] > -0.3
        d["regime"] = np.select(
            [d.agrees_pre & d.agrees_post, ~d.agrees_pre & d.agrees_post, ~d.agrees_pre & ~d.agrees_post],
            ["stayed_aligned", "got_aligned", "resisted"],
            "reversed",
        )
        return d

    monkeypatch.setattr(sc, "pair_agreement", ties_agree)
    res = sc.selfcheck(features=features, reps=FEW, seed=1, checks=("regimes",))
    assert not res.passed
    assert any("P(post RM misaligned" in f for f in res.failures())


def test_a_wrong_angle_is_detected(features, monkeypatch):
    def off_by_a_bit(scores, pre, post):
        v = reward_vectors(scores, pre, post)
        return v.assign(theta_deg=v["theta_deg"] + 0.01)

    monkeypatch.setattr(sc, "reward_vectors", off_by_a_bit)
    res = sc.selfcheck(features=features, reps=FEW, seed=1, checks=("theta",))
    assert "theta: θ per pair (max |error|, degrees)" in res.failures()


def test_merged_flip_directions_are_detected(features, monkeypatch):
    def merged(flips, y, **kwargs):  # one dummy for any flip: π+ and π− no longer told apart
        res = robustness_scores(flips.abs(), y, **kwargs)
        out = res.table
        table = pd.concat([out, out.assign(term=out["term"].str.replace("π+", "π−"))], ignore_index=True)
        return dataclasses.replace(res, table=table)

    monkeypatch.setattr(sc, "robustness_scores", merged)
    res = sc.selfcheck(features=features, reps=FEW, seed=1, checks=("pi",))
    assert not res.passed


def test_bad_input(features):
    with pytest.raises(SealInputError, match="at least 2 replications"):
        sc.selfcheck(features=features, reps=1)
    with pytest.raises(SealInputError, match="unknown check"):
        sc.selfcheck(features=features, reps=5, checks=("imprint", "vibes"))
    with pytest.raises(SealInputError, match="lack"):
        sc.selfcheck(features=features.drop(columns=["response_hedges"]), reps=5)
    with pytest.raises(SealInputError, match="50 or more"):
        sc.selfcheck(features=features[features["pair_id"].isin(features["pair_id"].unique()[:20])], reps=5)
    big = sc.Planted(pi={"π+ response_hedges_c": 0.95})
    with pytest.raises(SealInputError, match="outside"):
        sc.selfcheck(features=features, reps=3, planted=big, checks=("pi",))


def test_incomplete_labels_are_left_out(features):
    f = features.copy()
    f.loc[f.index[:3], "response_hedges"] = np.nan  # an LLM text that failed: left empty
    res = sc.selfcheck(features=f, reps=3, checks=("regimes",))
    assert res.n_pairs == 400 - f.loc[f.index[:3], "pair_id"].nunique()


def test_seal_selfcheck_command(tmp_path, capsys, monkeypatch):
    from seal_core.cli import main

    out = tmp_path / "selfcheck.csv"
    assert main(["selfcheck", "--limit", "300", "--reps", "5", "--checks", "theta,pi", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "300 pairs" in printed and "every planted effect was recovered" in printed
    table = pd.read_csv(out)
    assert set(table["check"]) == {"theta", "pi"} and table["ok"].all()

    def off(scores, pre, post):
        v = reward_vectors(scores, pre, post)
        return v.assign(theta_deg=v["theta_deg"] * 1.01)

    monkeypatch.setattr(sc, "reward_vectors", off)
    assert main(["selfcheck", "--limit", "150", "--reps", "3", "--checks", "theta"]) == 1
    assert "FAILED: theta: θ per pair" in capsys.readouterr().out
    assert main(["selfcheck", "--limit", "150", "--reps", "1"]) == 2
    assert main(["selfcheck", "--checks", "imprint,nope"]) == 2
    assert "unknown check" in capsys.readouterr().err
