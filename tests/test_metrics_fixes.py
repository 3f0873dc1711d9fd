"""Regression tests for statistical defects found in review: each failed on the code before its fix."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from seal_core.errors import SealInputError
from seal_core.metrics import shift
from seal_core.metrics.design import incomplete_pairs, wide_features
from seal_core.metrics.imprint import feature_imprint
from seal_core.metrics.regimes import labeler_preference, pair_agreement
from seal_core.metrics.regression import pair_regression
from seal_core.metrics.robustness import robustness_scores
from seal_core.metrics.shift import median_ci, reward_vectors, signed_angle, summarize_shift
from seal_core.preset import compare

FEATS = ("helpful", "harmless", "eloquent")


def _data(n=80, seed=0):
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"pair_id": np.repeat([f"p{i:03d}" for i in range(n)], 2), "side": ["chosen", "rejected"] * n})
    for k in FEATS:
        f[k] = rng.integers(0, 2, 2 * n).astype(float)
    alpha = np.repeat(rng.normal(0, 2, n), 2)
    pre = alpha + 0.5 * f["helpful"].to_numpy() + rng.normal(0, 1.0, 2 * n)
    post = alpha + 2.0 * f["helpful"].to_numpy() + 1.0 * f["harmless"].to_numpy() + rng.normal(0, 0.7, 2 * n)
    scores = pd.concat([
        pd.DataFrame({"pair_id": f.pair_id[::2].to_numpy(), "model": m, "score_chosen": r[::2],
                      "score_rejected": r[1::2]}) for m, r in (("pre", pre), ("post", post))
    ], ignore_index=True)  # fmt: skip
    return f, scores, pre, post


def test_nonrobust_pair_fe_ses_equal_dummy_variable_ols():
    f, scores, _, post = _data()
    res = feature_imprint(scores, f, models=["post"], cov="nonrobust").table.set_index("feature")
    d = f.assign(y=post)
    dv = smf.ols("y ~ helpful + harmless + eloquent + C(pair_id)", data=d).fit()
    np.testing.assert_allclose(res.loc[list(FEATS), "coef"], dv.params[list(FEATS)], rtol=1e-9)
    np.testing.assert_allclose(res.loc[list(FEATS), "se"], dv.bse[list(FEATS)], rtol=1e-6)
    np.testing.assert_allclose(res.loc[list(FEATS), "p"], dv.pvalues[list(FEATS)], rtol=1e-6)


def test_nonrobust_stacked_difference_ses_equal_dummy_variable_ols():
    f, scores, pre, post = _data(seed=1)
    t = feature_imprint(scores, f, pre="pre", post="post", cov="nonrobust").table
    diff = t[t.role == "difference"].set_index("feature")
    n = len(f)
    d = pd.concat([f.assign(y=pre, post=0.0, g=f.pair_id + "|pre"), f.assign(y=post, post=1.0, g=f.pair_id + "|post")])
    for k in FEATS:
        d[f"{k}_x_post"] = d[k] * d["post"]
    terms = " + ".join([*FEATS, *(f"{k}_x_post" for k in FEATS)])
    dv = smf.ols(f"y ~ {terms} + C(g)", data=d.reset_index(drop=True)).fit()
    assert len(d) == 2 * n
    for k in FEATS:
        assert diff.loc[k, "coef"] == pytest.approx(dv.params[f"{k}_x_post"], rel=1e-9)
        assert diff.loc[k, "se"] == pytest.approx(dv.bse[f"{k}_x_post"], rel=1e-6)


def _with_missing(f, pairs):
    f = f.copy()
    for j, pid in enumerate(pairs):
        col = FEATS[j % len(FEATS)]
        f.loc[(f.pair_id == pid) & (f.side == ("chosen" if j % 2 else "rejected")), col] = np.nan
    return f


def test_imprint_drops_pairs_with_a_missing_label_and_says_how_many():
    f, scores, _, _ = _data()
    g = _with_missing(f, ["p001", "p010", "p042"])
    res = feature_imprint(scores, g, pre="pre", post="post")
    assert res.n_pairs == 77 and (res.table.n_pairs == 77).all()
    assert res.n_incomplete_pairs == 3
    assert any("3 pair(s)" in n and "missing" in n for n in res.notes)
    clean = f[~f.pair_id.isin(["p001", "p010", "p042"])]
    ref = feature_imprint(scores, clean, pre="pre", post="post").table
    np.testing.assert_allclose(res.table["coef"], ref["coef"], rtol=1e-12)


def test_imprint_drops_a_feature_nobody_labelled_instead_of_every_pair():
    f, scores, _, _ = _data()
    res = feature_imprint(scores, f.assign(creative=np.nan), models=["post"])
    assert res.n_pairs == 80 and "creative" in set(res.dropped.feature)


def test_labeler_preference_and_wide_features_count_incomplete_pairs():
    f, _, _, _ = _data(n=20)
    g = _with_missing(f, ["p001", "p002"])
    gamma = labeler_preference(g, ["harmless", "helpful"])
    # p001 misses its 'helpful' label, p002 its 'harmless' one: both are targets, so both pairs are dropped
    assert len(gamma) == 18
    assert "p001" not in gamma.index and "p002" not in gamma.index
    assert incomplete_pairs(g, ["harmless", "helpful"]) == 2
    w = wide_features(g, list(FEATS))
    assert len(w) == 18 and incomplete_pairs(g, list(FEATS)) == 2


def test_labeler_preference_keeps_pairs_missing_only_a_non_target_label():
    f, _, _, _ = _data(n=20)
    g = _with_missing(f, ["p000"])  # j = 0: 'helpful' on the rejected side
    gamma = labeler_preference(g, ["harmless"])
    assert len(gamma) == 20 and incomplete_pairs(g, ["harmless"]) == 0


def test_pi_codes_sentiment_flips_of_two_apart_from_one():
    rng = np.random.default_rng(0)
    n = 400
    flip = rng.choice([0, 1, -1, 2, -2], size=n, p=[0.6, 0.15, 0.15, 0.05, 0.05])
    y = rng.random(n) < np.select([flip == 2, flip == 1], [0.9, 0.3], 0.1)
    flips = pd.DataFrame({"sentiment_c": flip.astype(float)}, index=[f"p{i}" for i in range(n)])
    res = robustness_scores(flips, pd.Series(y, index=flips.index)).table.set_index("term")
    assert {"π+ sentiment_c", "π− sentiment_c", "π+2 sentiment_c", "π−2 sentiment_c"} == set(res.index)
    # the +1 dummy is the mean difference of its own group only, not of +1 and +2 merged
    base = y[flip == 0].mean()
    assert res.loc["π+ sentiment_c", "estimate"] == pytest.approx(y[flip == 1].mean() - base, abs=1e-12)
    assert res.loc["π+2 sentiment_c", "estimate"] == pytest.approx(y[flip == 2].mean() - base, abs=1e-12)


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_median_ci_gives_no_interval_when_exact_coverage_is_out_of_reach(n):
    # [min, max] covers the median with probability 1 − 2·0.5^n < 0.95 for n ≤ 5
    lo, hi = median_ci(np.arange(n, dtype=float))
    assert np.isnan(lo) and np.isnan(hi)
    assert "at least 6" in shift.median_ci_reason(n)


def test_median_ci_is_min_max_at_six_and_exact_at_larger_n():
    assert median_ci(np.arange(6.0)) == (0.0, 5.0)  # coverage 1 − 2/64 = 0.969
    assert shift.median_ci_reason(6) is None
    # n = 20: the 6th and 15th order statistics (coverage 0.9586), from the binomial table
    assert median_ci(np.arange(1.0, 21.0)) == (6.0, 15.0)


def test_median_ci_reason_shows_in_shift_summary():
    v = pd.DataFrame({"u_chosen": [1.0, 2, 3], "u_rejected": [2.0, 1, 1], "v_chosen": [2.0, 1, 3],
                      "v_rejected": [1.0, 1, 2], "delta_cos": 0.0})  # fmt: skip
    v["theta_deg"] = signed_angle(v[["u_chosen", "u_rejected"]].to_numpy(), v[["v_chosen", "v_rejected"]].to_numpy())
    s = summarize_shift(v)
    assert np.isnan(s.theta_median_ci[0]) and "at least 6" in s.theta_median_ci_note


def test_paper_comparison_counts_ties_as_aligned_where_seal_did():
    report = {
        "resistance": {"pre": {"agreement": 0.5, "resistance": 0.5}, "post": {"agreement": 0.7, "resistance": 0.3}},
        "shift": {"theta_mean_deg": 1.0, "theta_median_deg": 1.0},
        "regimes": {"stayed_aligned": {"share": 0.5}},
        "gamma": {"shares": {"c": 0.2, "i": 0.7, "r": 0.1}},
        "misalignment_given_gamma": {
            g: {rm: {"n": 100, "misaligned": 30, "share": 0.3, "n_ties": 10} for rm in ("pre", "post")}
            for g in ("c", "i", "r")
        },
        "agreement": {"labeler agrees with people": {"share": 0.7}},
    }
    got = {r["key"]: r["computed"] for r in compare(report)}
    assert got["post_misaligned_given_i"] == pytest.approx(0.2)  # (30 − 10 ties) / 100
    assert got["pre_misaligned_given_i"] == pytest.approx(0.2)
    assert got["post_misaligned_given_c"] == pytest.approx(0.3)  # strict, as SEAL's γ = c figures


def test_pair_regression_rejects_an_unknown_adjustment():
    X = pd.DataFrame({"a": np.arange(20.0) % 3, "b": np.arange(20.0) % 2})
    y = pd.Series(np.arange(20.0))
    with pytest.raises(SealInputError, match="bonferoni"):
        pair_regression(y, X, adjust="bonferoni")
    assert (pair_regression(y, X, adjust="none").table.eval("p == p_adj")).all()


def test_identical_rms_give_exactly_zero_shift_and_no_sign_test_evidence():
    rng = np.random.default_rng(0)
    u = rng.normal(size=(200, 2)) * rng.uniform(0.1, 30, size=(200, 1))
    theta = signed_angle(u, u * 1.0)
    assert (theta == 0).all()
    v = pd.DataFrame({"pair_id": np.arange(200), "u_chosen": u[:, 0], "u_rejected": u[:, 1], "v_chosen": u[:, 0],
                      "v_rejected": u[:, 1], "theta_deg": theta, "delta_cos": 0.0})  # fmt: skip
    s = summarize_shift(v)
    assert s.share_positive == 0 and (np.isnan(s.sign_test_p) or s.sign_test_p == 1.0)


def test_parallel_multiples_give_zero_not_float_noise():
    a = np.array([[3.0, 3.0], [1.0, 8.0], [-2.0, 5.0]])
    assert (signed_angle(a, a * 7) == 0).all() and (signed_angle(a, a * 3) == 0).all()


def test_same_rm_as_pre_and_post_is_refused():
    f, scores, _, _ = _data(n=10)
    with pytest.raises(SealInputError, match="same"):
        reward_vectors(scores.assign(margin=0.0), "post", "post")
    with pytest.raises(SealInputError, match="same"):
        pair_agreement(scores.assign(margin=0.0), "post", "post")
    with pytest.raises(SealInputError, match="same"):
        feature_imprint(scores, f, pre="post", post="post")


def test_standardised_imprint_is_per_score_sd():
    f, scores, pre, post = _data(seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = feature_imprint(scores, f, pre="pre", post="post").table
        std = feature_imprint(scores, f, pre="pre", post="post", scale="sd").table
    for rm, r in (("pre", pre), ("post", post)):
        a, b = raw[raw.rm == rm].set_index("feature"), std[std.rm == rm].set_index("feature")
        np.testing.assert_allclose(b["coef"], a["coef"] / np.std(r, ddof=1), rtol=1e-10)
        np.testing.assert_allclose(b["p"], a["p"], rtol=1e-8)
    d_raw = raw[raw.role == "difference"].set_index("feature")["coef"]
    d_std = std[std.role == "difference"].set_index("feature")["coef"]
    s_pre, s_post = np.std(pre, ddof=1), np.std(post, ddof=1)
    expect = (
        raw[raw.rm == "post"].set_index("feature")["coef"] / s_post
        - raw[raw.rm == "pre"].set_index("feature")["coef"] / s_pre
    )
    np.testing.assert_allclose(d_std, expect, rtol=1e-9)
    assert not np.allclose(d_std, d_raw)
    assert set(std["scale"]) == {"sd"} and set(raw["scale"]) == {"raw"}


def test_imprint_table_names_the_target_spoiler_column_for_what_it_holds():
    f, scores, _, _ = _data(n=40)
    t = feature_imprint(scores, f, models=["post"], roles={"helpful": "target", "eloquent": "spoiler"}).table
    assert "kind" not in t.columns
    assert t.set_index("feature").loc["helpful", "feature_role"] == "target"
    assert t.set_index("feature").loc["eloquent", "feature_role"] == "spoiler"


def test_cli_imprint_fits_on_complete_pairs_and_refuses_pre_equal_to_post(tmp_path, capsys):
    from seal_core.cli import main

    f, scores, _, _ = _data()
    s_path, f_path = tmp_path / "s.parquet", tmp_path / "f.parquet"
    scores.to_parquet(s_path)
    _with_missing(f, ["p003", "p030", "p060"]).to_parquet(f_path)
    out = tmp_path / "imprint.csv"
    args = ["imprint", "--scores", str(s_path), "--features", str(f_path), "--pre", "pre", "--post", "post"]
    assert main([*args, "--cov", "nonrobust", "--out", str(out)]) == 0
    assert "3 pair(s) with a missing label were left out" in capsys.readouterr().out
    assert (pd.read_csv(out)["n_pairs"] == 77).all()
    assert main([*args[:-4], "--pre", "post", "--post", "post"]) == 2
    assert "same RM" in capsys.readouterr().err
    assert main(["analyze", "--scores", str(s_path), "--pre", "post", "--post", "post", "--out",
                 str(tmp_path / "r.json")]) == 2  # fmt: skip
    assert "same RM" in capsys.readouterr().err


def test_analyze_report_counts_incomplete_pairs():
    from seal_core.analysis import analyze

    f, scores, _, _ = _data()
    g = _with_missing(f, ["p003", "p030"])  # helpful (rejected) and harmless (chosen)
    report = analyze(scores.assign(margin=scores.score_chosen - scores.score_rejected), pre="pre", post="post",
                     features=g, gamma_targets=["harmless", "helpful"]).to_dict()  # fmt: skip
    assert report["gamma"]["n_incomplete_pairs"] == 2
    assert report["regression_incomplete_pairs"] == 2
    assert sum(report["gamma"]["counts"].values()) == 78
