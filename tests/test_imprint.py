import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from seal_core.errors import SealInputError
from seal_core.metrics.imprint import describe_top, feature_imprint

BETA = {"helpful": 2.0, "harmless": 1.0, "eloquent": -0.5}


def synthetic(n=600, seed=0, beta=BETA, pair_sd=3.0, confound=0.0):
    """Two texts per pair; reward = pair effect + Σ β x + noise. ``confound`` ties the pair effect to features."""
    rng = np.random.default_rng(seed)
    f = pd.DataFrame({"pair_id": np.repeat([f"p{i}" for i in range(n)], 2), "side": ["chosen", "rejected"] * n})
    for k in beta:
        f[k] = rng.integers(0, 2, 2 * n)
    pair_effect = np.repeat(rng.normal(0, pair_sd, n), 2)
    if confound:
        pair_effect = pair_effect + confound * f.groupby("pair_id", sort=False)["helpful"].transform("mean").to_numpy()
    reward = pair_effect + sum(b * f[k].to_numpy() for k, b in beta.items()) + rng.normal(0, 0.3, 2 * n)
    return f, reward


def scores_from(f, reward, model="m"):
    return pd.DataFrame({"pair_id": f.pair_id[::2].to_numpy(), "model": model,
                         "score_chosen": reward[::2], "score_rejected": reward[1::2]})  # fmt: skip


def test_pair_fe_recovers_known_coefficients():
    f, r = synthetic()
    res = feature_imprint(scores_from(f, r), f, roles={"helpful": "target"})
    t = res.table.set_index("feature")
    for k, b in BETA.items():
        assert abs(t.loc[k, "coef"] - b) < 4 * t.loc[k, "se"]
        assert t.loc[k, "ci_low"] < b < t.loc[k, "ci_high"]
    assert t.loc["helpful", "feature_role"] == "target" and (t.n_pairs == 600).all()


def test_pair_fe_equals_first_difference_regression_with_robust_se():
    """With two texts per pair the within estimator is the regression of Δreward on Δfeatures."""
    f, r = synthetic(n=300, seed=3)
    res = feature_imprint(scores_from(f, r), f).table.set_index("feature")
    X = f[list(BETA)].to_numpy(float)
    dX, dy = X[::2] - X[1::2], r[::2] - r[1::2]
    fd = sm.OLS(dy, dX).fit(cov_type="HC0")
    np.testing.assert_allclose(res.loc[list(BETA), "coef"], fd.params, rtol=1e-10)
    # cluster-robust SEs by pair on the demeaned data equal HC SEs of the differences up to the small-sample factor
    n, k = 300, 3
    factor = np.sqrt((n / (n - 1)) * ((2 * n - 1) / (2 * n - k)))
    np.testing.assert_allclose(res.loc[list(BETA), "se"], fd.bse * factor, rtol=1e-8)


def test_pooled_ols_is_biased_by_a_confounded_pair_effect_and_fe_is_not():
    f, r = synthetic(confound=6.0, seed=1)
    s = scores_from(f, r)
    fe = feature_imprint(s, f).table.set_index("feature").loc["helpful"]
    ols = feature_imprint(s, f, estimator="pooled_ols").table.set_index("feature").loc["helpful"]
    assert abs(fe.coef - 2.0) < 4 * fe.se
    assert ols.coef - 2.0 > 10 * ols.se  # pooled OLS picks up the pair effect


def test_pooled_ols_nonrobust_matches_plain_statsmodels():
    f, r = synthetic(n=200, seed=5)
    res = feature_imprint(scores_from(f, r), f, estimator="pooled_ols", cov="nonrobust", adjust="none")
    plain = sm.OLS(r, sm.add_constant(f[list(BETA)].to_numpy(float))).fit()
    t = res.table.set_index("feature").loc[list(BETA)]
    np.testing.assert_allclose(t.coef, plain.params[1:], rtol=1e-10)
    np.testing.assert_allclose(t.se, plain.bse[1:], rtol=1e-10)
    np.testing.assert_allclose(t.p_adj, t.p)


def test_adjustments():
    f, r = synthetic(n=200, seed=2)
    s = scores_from(f, r)
    raw = feature_imprint(s, f, adjust="none").table
    bonf = feature_imprint(s, f).table
    np.testing.assert_allclose(bonf.p_adj, np.minimum(raw.p * 3, 1.0))
    holm = feature_imprint(s, f, adjust="holm").table
    assert (holm.p_adj <= bonf.p_adj + 1e-15).all()


def test_pre_post_difference_from_one_stacked_model():
    f, r_pre = synthetic(n=400, seed=7, beta={"helpful": 0.5, "harmless": 0.0, "eloquent": 1.0})
    _, noise = synthetic(n=400, seed=8, beta={"helpful": 0.0, "harmless": 0.0, "eloquent": 0.0})
    r_post = r_pre + 1.5 * f.helpful.to_numpy() - 1.0 * f.eloquent.to_numpy() + 0.2 * noise
    s = pd.concat([scores_from(f, r_pre, "pre-rm"), scores_from(f, r_post, "post-rm")], ignore_index=True)
    t = feature_imprint(s, f, pre="pre-rm", post="post-rm").table
    assert set(t.role) == {"pre", "post", "difference"}
    by = t.set_index(["role", "feature"])
    for k in BETA:  # the stacked model's point estimate is exactly the difference of the separate fits
        assert by.loc[("difference", k), "coef"] == pytest.approx(
            by.loc[("post", k), "coef"] - by.loc[("pre", k), "coef"], abs=1e-9
        )
    assert by.loc[("difference", "helpful"), "ci_low"] < 1.5 < by.loc[("difference", "helpful"), "ci_high"]
    assert by.loc[("difference", "eloquent"), "ci_low"] < -1.0 < by.loc[("difference", "eloquent"), "ci_high"]
    # the texts are shared, so the difference is far more precise than the separate SEs suggest
    assert by.loc[("difference", "helpful"), "se"] < by.loc[("post", "helpful"), "se"]
    assert "post-rm − pre-rm" in set(t.rm)


def test_constant_and_collinear_features_are_dropped_and_reported():
    f, r = synthetic(n=200)
    f["always"] = 1
    f["same_in_pair"] = np.repeat(np.arange(200) % 2, 2)
    f["copy_of_helpful"] = f["helpful"]
    res = feature_imprint(scores_from(f, r), f)
    reasons = res.dropped.set_index("feature").reason
    assert reasons["always"] == "constant in this slice"
    assert reasons["same_in_pair"] == "never differs between a pair's two texts"
    assert reasons["copy_of_helpful"].startswith("collinear with helpful")
    assert set(res.table.feature) == set(BETA)
    assert set(res.vif.feature) == set(BETA) and (res.vif.vif < 2).all()


def test_join_is_by_key_not_position():
    f, r = synthetic(n=300, seed=9)
    s = scores_from(f, r)
    shuffled = f.sample(frac=1.0, random_state=0)
    a = feature_imprint(s, f).table
    b = feature_imprint(s.sample(frac=1.0, random_state=1), shuffled).table
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9)


def test_missing_features_small_slices_and_errors():
    f, r = synthetic(n=60)
    s = scores_from(f, r)
    res = feature_imprint(s, f[f.pair_id != "p0"])
    assert res.n_pairs == 59 and any("lack features" in n for n in res.notes)
    with pytest.warns(UserWarning, match="only 20 pairs"):
        feature_imprint(scores_from(*synthetic(n=20)), synthetic(n=20)[0])
    with pytest.raises(SealInputError, match="unknown estimator"):
        feature_imprint(s, f, estimator="lasso")
    with pytest.raises(SealInputError, match="unknown p-value adjustment"):
        feature_imprint(s, f, adjust="magic")
    with pytest.raises(SealInputError, match="not in scores"):
        feature_imprint(s, f, models=["other"])
    with pytest.raises(SealInputError, match="duplicate"):
        feature_imprint(s, pd.concat([f, f.head(1)]))
    two = pd.concat([f.assign(labeler="a"), f.assign(labeler="b")])
    with pytest.raises(SealInputError, match="2 labelers"):
        feature_imprint(s, two)
    with pytest.raises(SealInputError, match="unknown feature column"):
        feature_imprint(s, f, feature_cols=["nope"])


def test_describe_top_in_plain_words():
    f, r = synthetic()
    t = feature_imprint(scores_from(f, r, "post"), f, post="post").table
    sentence = describe_top(t, "post")
    assert sentence.startswith("After training, responses with 'helpful' score 2.0") and "higher" in sentence
