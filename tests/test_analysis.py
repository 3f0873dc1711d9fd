"""The typed results of the pre/post audit: built once, drawn by pages, serialised by ``seal analyze``."""

import json

import numpy as np
import pandas as pd
import pytest

from seal_core.analysis import Analysis, RegimeAnalysis, ShiftAnalysis, analyze
from seal_core.errors import SealInputError
from seal_core.metrics.ambiguity import TriageQueue, triage_queue
from seal_core.metrics.imprint import feature_imprint
from seal_core.metrics.regimes import RULE_GAMMA_TARGETS, default_gamma_targets, pair_agreement, regime_table
from seal_core.metrics.resistance import ResistanceResult, alignment_resistance, resistance_from_margins
from seal_core.metrics.shift import reward_vectors


def synthetic(n=300, seed=0, ids=None):
    rng = np.random.default_rng(seed)
    ids = ids if ids is not None else np.array([f"pair-{i}" for i in range(n)])
    pre = rng.normal(size=(n, 2))
    post = pre + rng.normal(0, 0.8, (n, 2)) + [0.4, -0.4]
    s = pd.concat([pd.DataFrame({"pair_id": ids, "model": m, "score_chosen": v[:, 0], "score_rejected": v[:, 1]})
                   for m, v in (("pre-rm", pre), ("post-rm", post))], ignore_index=True)  # fmt: skip
    s["margin"] = s.score_chosen - s.score_rejected
    f = pd.DataFrame({"pair_id": np.repeat(ids, 2), "side": ["chosen", "rejected"] * n,
                      "last_response_is_harmless": rng.integers(0, 2, 2 * n),
                      "last_response_is_helpful": rng.integers(0, 2, 2 * n),
                      "response_words": rng.integers(1, 200, 2 * n)})  # fmt: skip
    return s, f


def test_analysis_holds_typed_results_that_match_the_metrics():
    s, f = synthetic()
    a = analyze(s, pre="pre-rm", post="post-rm", features=f)
    assert isinstance(a, Analysis) and isinstance(a.regimes, RegimeAnalysis) and isinstance(a.shift, ShiftAnalysis)
    reg = a.regimes
    # per-pair table with the caller's ids, regimes as pair_agreement computes them
    expected = pair_agreement(s, "pre-rm", "post-rm")
    pd.testing.assert_series_equal(reg.pairs["regime"], expected["regime"], check_names=False)
    assert reg.pairs["pair_id"].tolist() == expected["pair_id"].tolist()
    pd.testing.assert_frame_equal(reg.regimes, regime_table(expected))
    # resistance per role, the same result alignment_resistance gives on one model's scores
    assert isinstance(reg.resistance["post"], ResistanceResult)
    assert reg.resistance["post"] == alignment_resistance(s[s.model == "post-rm"])
    # γ per pair (caller's ids), and carried in the per-pair and per-vector tables
    assert reg.gamma.index.isin(s.pair_id).all() and set(reg.gamma) <= {"c", "i", "r"}
    assert reg.pairs.set_index("pair_id")["gamma"].loc[reg.gamma.index].tolist() == reg.gamma.tolist()
    assert reg.gamma_counts().sum() == len(s) // 2
    # shift: vectors as reward_vectors computes them, plus regime and γ
    v = reward_vectors(s, "pre-rm", "post-rm")
    np.testing.assert_allclose(a.shift.vectors["theta_deg"], v["theta_deg"])
    assert (a.shift.vectors["regime"].to_numpy() == reg.pairs["regime"].to_numpy()).all()
    assert set(a.shift.by_regime["group"]) <= set(reg.regimes["regime"])
    # one regression object shared by the two results (the design is built once)
    assert a.shift.regression is reg.regression
    assert set(reg.regression.table["outcome"]) == {"misalignment", "theta"}
    assert reg.regression.n_pairs == len(s) // 2


def test_to_dict_is_the_report_and_json_ready():
    s, f = synthetic()
    a = analyze(s, pre="pre-rm", post="post-rm", features=f)
    report = a.to_dict()
    assert list(report) == ["schema_version", "pre", "post", "n_pairs", "resistance", "regimes", "shift",
                            "shift_by_regime", "gamma", "misalignment_given_gamma", "regime_by_gamma", "agreement",
                            "shift_by_gamma", "misalignment_regression", "theta_regression", "regression_incomplete_pairs",
                            "mcnemar"]  # fmt: skip
    json.dumps(report, allow_nan=False)
    assert report["resistance"]["post"]["resistance"] == a.regimes.resistance["post"].resistance
    assert report["regimes"]["resisted"]["count"] == int((a.regimes.pairs.regime == "resisted").sum())
    assert report["shift"]["theta_median_ci"] == list(a.shift.summary.theta_median_ci)
    terms = [r["term"] for r in report["misalignment_regression"]]
    assert terms == a.regimes.regression.outcome("misalignment")["term"].tolist()
    # each part serialises on its own, with the same values
    assert a.regimes.to_dict()["mcnemar"] == report["mcnemar"]
    assert a.shift.to_dict()["shift_by_gamma"] == report["shift_by_gamma"]
    # without features: no γ keys, and the γ fields are empty
    bare = analyze(s, pre="pre-rm", post="post-rm")
    assert bare.regimes.gamma is None and bare.regimes.regression is None and bare.shift.by_gamma is None
    assert "gamma" not in bare.to_dict() and "theta_regression" not in bare.to_dict()


def test_regressions_that_cannot_be_fitted_raise_or_say_why():
    s, f = synthetic(n=6)  # 6 regressors need at least 8 pairs
    with pytest.raises(SealInputError, match="too few"):
        analyze(s, pre="pre-rm", post="post-rm", features=f)
    a = analyze(s, pre="pre-rm", post="post-rm", features=f, regress="if_possible")
    assert a.regimes.regression is None and "too few" in a.regimes.regression_note
    assert a.regimes.misalignment_given_gamma is not None  # the rest is there
    assert "misalignment_regression" not in a.to_dict()
    with pytest.raises(SealInputError, match="regress must be"):
        analyze(s, pre="pre-rm", post="post-rm", regress="maybe")
    with pytest.raises(SealInputError, match="lack column"):
        analyze(s.drop(columns="score_chosen"), pre="pre-rm", post="post-rm")


def test_ids_are_kept_whatever_their_type_and_order():
    ids = np.array([f"z{i}" for i in range(200)])[::-1]
    s, f = synthetic(n=200, ids=ids)
    s = s.sample(frac=1, random_state=0)  # rows shuffled
    a = analyze(s, pre="pre-rm", post="post-rm", features=f.sample(frac=1, random_state=1))
    assert set(a.regimes.pairs.pair_id) == set(ids) and set(a.shift.vectors.pair_id) == set(ids)
    row = a.regimes.pairs.set_index("pair_id").loc["z7"]
    pre = s[(s.pair_id == "z7") & (s.model == "pre-rm")].iloc[0]
    assert row.margin_pre == pytest.approx(pre.score_chosen - pre.score_rejected)


def test_default_gamma_targets_and_words():
    assert default_gamma_targets(["last_response_is_helpful"]) == ["last_response_is_helpful"]
    assert default_gamma_targets(["last_response_breaks_privacy", "last_response_contains_insult"]) == [
        "-last_response_contains_insult", "-last_response_breaks_privacy"]  # fmt: skip
    assert default_gamma_targets(["response_words"]) == []
    assert all(t.startswith("-") for t in RULE_GAMMA_TARGETS)


def test_resistance_result_and_imprint_to_dict():
    r = resistance_from_margins("m", np.array([1.0, 0.0, -2.0]))
    d = r.to_dict()
    assert d["n_ties"] == 1 and d["model"] == "m" and json.dumps(d, allow_nan=False)
    empty = resistance_from_margins("m", np.array([])).to_dict()
    assert empty["resistance"] is None  # NaN becomes null
    with pytest.raises(SealInputError, match="NaN"):
        resistance_from_margins("m", np.array([np.nan]))
    s, f = synthetic()
    imp = feature_imprint(s, f, pre="pre-rm", post="post-rm")
    d = imp.to_dict()
    assert len(d["table"]) == len(imp.table) and d["estimator"] == "pair_fe" and d["n_pairs"] == 300
    assert json.dumps(d, allow_nan=False)


def test_triage_queue_ranks_filters_and_serialises():
    c = pd.DataFrame({"small_margin": [0.9, 0.1, 0.5, np.nan], "rm_disagreement": [1.0, 0.0, 1.0, 1.0]},
                     index=pd.Index(["a", "b", "c", "d"], name="pair_id"))  # fmt: skip
    q = triage_queue(c, {"small_margin": 1.0, "rm_disagreement": 1.0})
    assert isinstance(q, TriageQueue) and q.ranked.index.tolist() == ["d", "a", "c", "b"]  # d: 1.0 (NaN skipped)
    assert q.filter(component="small_margin", at_least=0.5).index.tolist() == ["a", "c"]  # NaN counts as 0
    assert q.filter(exclude={"d"}).index.tolist() == ["a", "c", "b"]
    assert q.filter(only={"b", "c"})["rank"].tolist() == [3, 4]  # ranks unchanged by filters
    with pytest.raises(SealInputError, match="unknown component"):
        q.filter(component="length")
    d = q.to_dict()
    assert d["ranked"][0]["pair_id"] == "d" and d["ranked"][0]["small_margin"] is None
    json.dumps(d, allow_nan=False)


def test_every_public_metric_has_numpydoc_with_a_runnable_example():
    import inspect

    import seal_core.metrics as metrics

    for name in metrics.__all__:
        obj = getattr(metrics, name)
        doc = inspect.getdoc(obj) or ""
        if inspect.isfunction(obj):
            for section in ("Parameters", "Returns", "Examples"):
                assert f"{section}\n---" in doc, f"{name}: no {section} section"
            assert ">>> " in doc, f"{name}: no example"
        elif inspect.isclass(obj):
            assert "Attributes\n---" in doc, f"{name}: no Attributes section"
