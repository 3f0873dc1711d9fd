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
    assert sentence.startswith("After training, responses marked 'helpful' score 2.0") and "higher" in sentence


@pytest.mark.parametrize("cov", ["cluster", "nonrobust"])
def test_fast_paths_equal_plain_statsmodels_fits_on_the_explicit_designs(cov):
    """The stacked difference (pseudo-inverse by block algebra), the shared-design fits and the closed-form VIFs
    give what statsmodels gives on the explicit designs with string pair groups."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor

    f, r_pre = synthetic(n=300, seed=11)
    r_post = r_pre + 0.7 * f.helpful.to_numpy() + np.random.default_rng(12).normal(0, 0.3, len(r_pre))
    s = pd.concat([scores_from(f, r_pre, "a"), scores_from(f, r_post, "b")], ignore_index=True)
    res = feature_imprint(s, f, pre="a", post="b", cov=cov, adjust="none")
    cols = list(BETA)
    d = f.sort_values(["pair_id", "side"]).reset_index(drop=True)
    g = d.pair_id.to_numpy()
    dm = lambda a: a - pd.DataFrame(a).groupby(g).transform("mean").to_numpy()  # noqa: E731
    X = dm(d[cols].to_numpy(float))
    ys = {}
    for m, r in (("a", r_pre), ("b", r_post)):
        y = scores_from(f, r).set_index("pair_id")
        ys[m] = dm(np.where(d.side == "chosen", y.score_chosen.reindex(g), y.score_rejected.reindex(g))[:, None])[:, 0]
    Z = np.block([[X, np.zeros_like(X)], [X, X]])
    g2 = np.r_[g, g]
    if cov == "cluster":
        ref = sm.OLS(np.r_[ys["a"], ys["b"]], Z).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(g2)[0]})
    else:
        model = sm.OLS(np.r_[ys["a"], ys["b"]], Z)
        model.df_resid = float(len(Z) - 2 * len(set(g)) - 2 * len(cols))
        ref = model.fit()
    diff = res.table[res.table.role == "difference"].set_index("feature").loc[cols]
    np.testing.assert_allclose(diff.coef, ref.params[len(cols) :], rtol=1e-9)
    np.testing.assert_allclose(diff.se, ref.bse[len(cols) :], rtol=1e-9)
    vif = res.vif.set_index("feature").loc[cols, "vif"]
    np.testing.assert_allclose(vif, [variance_inflation_factor(X, k) for k in range(len(cols))], rtol=1e-9)


def test_scores_that_repeat_a_pair_for_one_model_are_refused():
    f, r = synthetic(n=50)
    s = scores_from(f, r)
    with pytest.raises(SealInputError, match="repeat a pair_id"):
        feature_imprint(pd.concat([s, s.head(1)], ignore_index=True), f)
