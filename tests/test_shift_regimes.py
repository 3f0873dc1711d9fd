import json
import math

import numpy as np
import pandas as pd
import pytest

from seal_core.analysis import analyze, write_report
from seal_core.errors import SealInputError
from seal_core.metrics.regimes import (
    labeler_preference,
    mcnemar_tests,
    misalignment_given_gamma,
    pair_agreement,
    regime_by_gamma,
    regime_table,
    three_way_agreement,
)
from seal_core.metrics.regression import pair_regression
from seal_core.metrics.shift import (
    E,
    bootstrap_ci,
    median_ci,
    reward_vectors,
    signed_angle,
    summarize_shift,
    theta_by_group,
)

# ---------------------------------------------------------------------------------------------- angles


def test_signed_angle_hand_cases():
    a = np.array([[1, 0], [1, 0], [1, 0], [1, 1], [0, 1], [1, 0]], float)
    b = np.array([[0, 1], [0, -3], [-2, 0], [1, 0], [1, 1], [1, 1]], float)
    np.testing.assert_allclose(signed_angle(a, b), [90, -90, 180, -45, -45, 45])


def test_signed_angle_matches_seal_compute_angle():
    """The reference: degrees(arccos(â·b̂)), negated when the cross product is negative."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(200, 2)), rng.normal(size=(200, 2))
    ref = []
    for x, y in zip(a, b):
        xh, yh = x / np.linalg.norm(x), y / np.linalg.norm(y)
        ang = math.degrees(math.acos(float(np.dot(xh, yh))))
        ref.append(-ang if xh[0] * yh[1] - xh[1] * yh[0] < 0 else ang)
    np.testing.assert_allclose(signed_angle(a, b), ref, atol=1e-9)


def test_near_parallel_vectors_are_clipped_not_lost():
    a = np.array([[0.1, 0.7], [3.0, 3.0]])
    b = a * 7.000000001  # rounding can push the cosine just past 1
    out = signed_angle(a, b)
    assert not np.isnan(out).any() and np.all(np.abs(out) < 1e-5)
    same = signed_angle(np.array([[1e-8, 1e-8]]), np.array([[1e-8, 1e-8]]))
    assert abs(same[0]) < 1e-5


def test_zero_vector_has_no_angle():
    out = signed_angle(np.array([[0.0, 0.0], [1.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 0.0]]))
    assert np.isnan(out).all()


def test_directions_from_e():
    # a vector along e is at 0°, the ideal direction (1, −1) is 90° away from e, rotated clockwise (negative)
    np.testing.assert_allclose(signed_angle(E[None, :], np.array([[-2.0, -2.0]])), [0.0], atol=1e-12)
    np.testing.assert_allclose(signed_angle(E[None, :], np.array([[1.0, -1.0]])), [90.0])


def scores_for(pre, post):
    """pre/post: lists of (chosen, rejected) scores."""
    rows = []
    for model, vals in (("pre", pre), ("post", post)):
        for i, (c, r) in enumerate(vals):
            rows.append({"pair_id": f"p{i}", "model": model, "score_chosen": c, "score_rejected": r, "margin": c - r})
    return pd.DataFrame(rows)


def test_reward_vectors_and_theta():
    s = scores_for([(1.0, 0.0), (0.0, 1.0), (0.0, 0.0)], [(0.0, 1.0), (1.0, 0.0), (1.0, 1.0)])
    v = reward_vectors(s, "pre", "post").set_index("pair_id")
    assert v.loc["p0", "theta_deg"] == pytest.approx(90.0)
    assert v.loc["p1", "theta_deg"] == pytest.approx(-90.0)
    assert np.isnan(v.loc["p2", "theta_deg"])  # zero pre vector
    assert v.loc["p0", "cos_u"] == pytest.approx(1 / math.sqrt(2))
    summary = summarize_shift(v.reset_index())
    assert summary.n_undefined == 1 and summary.theta_mean_deg == pytest.approx(0.0)
    assert summary.quadrants_post["both_pos"] == pytest.approx(1 / 3)


def test_bootstrap_and_median_intervals():
    x = np.random.default_rng(1).normal(5, 1, 500)
    lo, hi = bootstrap_ci(x)
    assert lo < x.mean() < hi and hi - lo < 0.3
    assert bootstrap_ci(x) == bootstrap_ci(x)  # seeded
    mlo, mhi = median_ci(x)
    assert mlo < np.median(x) < mhi
    rng = np.random.default_rng(2)  # coverage of the order-statistic interval is at least nominal
    hits = sum(lo <= 0 <= hi for lo, hi in (median_ci(rng.normal(size=41)) for _ in range(400)))
    assert hits / 400 > 0.92


# ---------------------------------------------------------------------------------------------- regimes and γ


def test_regimes_hand_counted():
    pre = [(1, 0), (1, 0), (0, 1), (0, 1), (0, 1), (1, 1)]
    post = [(1, 0), (0, 1), (1, 0), (0, 1), (0, 1), (2, 0)]
    a = pair_agreement(scores_for(pre, post), "pre", "post")
    assert a.regime.tolist() == ["stayed_aligned", "reversed", "got_aligned", "resisted", "resisted", "got_aligned"]
    assert a.tie_pre.tolist()[-1]  # a tie counts as not agreeing, and is shown
    with pytest.warns(UserWarning, match="only 6 pairs"):
        t = regime_table(a).set_index("regime")
    assert t["count"].to_dict() == {"stayed_aligned": 1, "got_aligned": 2, "resisted": 2, "reversed": 1}
    assert t.loc["resisted", "share"] == pytest.approx(2 / 6)
    assert t.loc["resisted", "ci_low"] < 2 / 6 < t.loc["resisted", "ci_high"]


def features_for(chosen, rejected, names=("last_response_is_harmless", "last_response_is_helpful")):
    rows = []
    for i, (c, r) in enumerate(zip(chosen, rejected)):
        rows.append({"pair_id": f"p{i}", "side": "chosen", **dict(zip(names, c))})
        rows.append({"pair_id": f"p{i}", "side": "rejected", **dict(zip(names, r))})
    return pd.DataFrame(rows)


def test_gamma_is_lexicographic_harmless_first():
    order = [(1, 1), (1, 0), (0, 1), (0, 0)]  # SEAL: (1,1) > (1,0) > (0,1) > (0,0)
    chosen, rejected, expected = [], [], []
    for i, c in enumerate(order):
        for j, r in enumerate(order):
            chosen.append(c)
            rejected.append(r)
            expected.append("c" if i < j else ("i" if i == j else "r"))
    g = labeler_preference(features_for(chosen, rejected))
    assert g.loc[[f"p{k}" for k in range(16)]].tolist() == expected


def test_gamma_with_reversed_targets_and_errors():
    f = features_for([(1,), (0,)], [(0,), (0,)], names=("last_response_contains_insult",))
    assert labeler_preference(f, ["-last_response_contains_insult"]).to_dict() == {"p0": "r", "p1": "i"}
    with pytest.raises(SealInputError, match="γ needs the target feature"):
        labeler_preference(f)
    with pytest.raises(SealInputError, match="at least one target"):
        labeler_preference(f, [])


def test_conditional_tables_and_ties():
    pre = [(1, 0), (0, 1), (0, 0), (1, 0)]
    post = [(1, 0), (1, 0), (0, 0), (0, 1)]
    a = pair_agreement(scores_for(pre, post), "pre", "post")
    g = pd.Series({"p0": "c", "p1": "c", "p2": "i", "p3": "r"})
    m = misalignment_given_gamma(a, g).set_index(["gamma", "rm"])
    assert m.loc[("c", "pre"), "share"] == 0.5 and m.loc[("c", "post"), "share"] == 0.0
    assert m.loc[("i", "post"), "misaligned"] == 1 and m.loc[("i", "post"), "n_ties"] == 1
    seal = misalignment_given_gamma(a, g, ties="agree").set_index(["gamma", "rm"])
    assert seal.loc[("i", "post"), "misaligned"] == 0  # SEAL's table counted ties as aligned
    rg = regime_by_gamma(a, g).set_index(["regime", "gamma"])
    assert rg.loc[("got_aligned", "c"), "count"] == 1 and rg.loc[("stayed_aligned", "c"), "share_within_gamma"] == 0.5
    three = three_way_agreement(a, g).set_index("comparison")
    assert three.loc["labeler agrees with people", "share"] == pytest.approx(2 / 3)
    assert three.loc["post RM agrees with the labeler", "share"] == pytest.approx(1.0)


def test_mcnemar_is_the_exact_test_on_the_paired_table():
    rng = np.random.default_rng(0)
    n = 300
    pre = [(float(x), 0.0) for x in rng.choice([-1, 1], n, p=[0.45, 0.55])]
    post = [(float(x), 0.0) for x in rng.choice([-1, 1], n, p=[0.25, 0.75])]
    a = pair_agreement(scores_for(pre, post), "pre", "post")
    t = mcnemar_tests(a).iloc[0]
    x, y = a.agrees_pre.to_numpy(), a.agrees_post.to_numpy()
    b, c = int((x & ~y).sum()), int((~x & y).sum())
    assert (t.only_a, t.only_b) == (b, c)
    # exact McNemar = two-sided binomial test of the discordant pairs against ½, summed by hand
    tail = sum(math.comb(b + c, k) for k in range(min(b, c) + 1)) / 2 ** (b + c)
    assert t.p == pytest.approx(min(1.0, 2 * tail), rel=1e-9)


def test_mcnemar_on_a_small_table_by_hand():
    # 3 pairs only the pre RM gets right, 12 only the post RM: p = 2·(1 + 15 + 105 + 455) / 2¹⁵
    pre = [(1.0, 0.0)] * 3 + [(-1.0, 0.0)] * 12 + [(1.0, 0.0)] * 5
    post = [(-1.0, 0.0)] * 3 + [(1.0, 0.0)] * 12 + [(1.0, 0.0)] * 5
    t = mcnemar_tests(pair_agreement(scores_for(pre, post), "pre", "post")).iloc[0]
    assert (t.only_a, t.only_b, t.n) == (3, 12, 20)
    assert t.p == pytest.approx(2 * 576 / 32768, rel=1e-12)


def test_pair_regression_recovers_an_lpm():
    rng = np.random.default_rng(0)
    n = 4000
    X = pd.DataFrame({"harmless (c)": rng.integers(0, 2, n), "harmless (r)": rng.integers(0, 2, n)},
                     index=[f"p{i}" for i in range(n)])  # fmt: skip
    p = 0.3 - 0.15 * X["harmless (c)"] + 0.2 * X["harmless (r)"]
    y = pd.Series(rng.random(n) < p, index=X.index).astype(float)
    t = pair_regression(y, X).table.set_index("term")
    assert abs(t.loc["harmless (c)", "coef"] + 0.15) < 4 * t.loc["harmless (c)", "se"]
    assert abs(t.loc["harmless (r)", "coef"] - 0.2) < 4 * t.loc["harmless (r)", "se"]
    assert (t.p_adj >= t.p).all()


def test_analyze_report_schema_and_json(sample):
    rng = np.random.default_rng(0)
    n = 200
    ids = sample.pairs.pair_id[:n]
    pre_c, pre_r = rng.normal(size=n), rng.normal(size=n)
    post_c, post_r = pre_c + rng.normal(0.5, 0.5, n), pre_r + rng.normal(-0.5, 0.5, n)
    s = pd.concat([
        pd.DataFrame({"pair_id": ids, "model": "pre", "score_chosen": pre_c, "score_rejected": pre_r}),
        pd.DataFrame({"pair_id": ids, "model": "post", "score_chosen": post_c, "score_rejected": post_r}),
    ], ignore_index=True)  # fmt: skip
    s["margin"] = s.score_chosen - s.score_rejected
    f = features_for(
        [tuple(rng.integers(0, 2, 2)) for _ in range(n)], [tuple(rng.integers(0, 2, 2)) for _ in range(n)]
    )
    f["pair_id"] = f["pair_id"].map(dict(zip([f"p{i}" for i in range(n)], ids)))
    report = analyze(s, pre="pre", post="post", features=f).to_dict()
    for key in ("resistance", "regimes", "shift", "shift_by_regime", "gamma", "misalignment_given_gamma",
                "regime_by_gamma", "agreement", "shift_by_gamma", "misalignment_regression", "theta_regression",
                "mcnemar"):  # fmt: skip
        assert key in report, key
    assert set(report["regimes"]) == {"stayed_aligned", "got_aligned", "resisted", "reversed"}
    assert sum(r["count"] for r in report["regimes"].values()) == n
    assert report["shift"]["theta_mean_deg"] > 0  # the post RM was built to rotate toward agreeing
    assert {"theta_mean_deg", "theta_median_deg", "theta_median_ci", "sign_test_p"} <= set(report["shift"])
    assert report["gamma"]["counts"]["c"] + report["gamma"]["counts"]["i"] + report["gamma"]["counts"]["r"] == n
    text = json.dumps(report)  # strictly JSON: no NaN
    assert "NaN" not in text
    with pytest.raises(SealInputError, match="use a .json"):
        write_report(report, "r.txt")


def test_theta_by_group_sign_test():
    v = pd.DataFrame({"theta_deg": [10.0, 12.0, 9.0, 11.0, -1.0, -2.0, 1.0, -3.0]})
    t = theta_by_group(v, pd.Series(["a"] * 4 + ["b"] * 4)).set_index("group")
    assert t.loc["a", "share_positive"] == 1.0 and t.loc["a", "theta_mean_deg"] == pytest.approx(10.5)
    assert t.loc["b", "share_positive"] == 0.25


def test_pair_regression_drops_constant_and_collinear_terms_and_shares_the_design():
    rng = np.random.default_rng(1)
    n = 500
    X = pd.DataFrame({"a": rng.integers(0, 2, n), "b": rng.integers(0, 2, n)}, index=[f"p{i}" for i in range(n)])
    X["a_copy"], X["const"] = X["a"], 1
    ys = {"one": pd.Series(rng.normal(size=n), index=X.index) + X["a"],
          "two": pd.Series(rng.normal(size=n), index=X.index)}  # fmt: skip
    reg = pair_regression(ys, X)
    t = reg.table
    assert set(t.outcome) == {"one", "two"} and set(t.term) == {"a", "b"}
    assert sorted(reg.dropped) == ["a_copy", "const"] and reg.n_pairs == n
    assert reg.outcome("one")["term"].tolist() == ["a", "b"] and "outcome" not in reg.outcome("one")
    with pytest.raises(SealInputError, match="unknown p-value adjustment"):
        pair_regression(ys, X, adjust="sidak")
    with pytest.raises(SealInputError, match="too few"):
        pair_regression(ys["one"].head(2), X.head(2))


def test_regressions_sharing_a_design_match_separate_statsmodels_fits_bit_for_bit():
    import statsmodels.api as sm

    from seal_core.metrics._ols import fit_shared_design

    rng = np.random.default_rng(3)
    Z = sm.add_constant(rng.integers(0, 2, (400, 5)).astype(float))
    ys = [rng.normal(size=400), (rng.random(400) < 0.3).astype(float), rng.normal(size=400) * 10]
    for shared, y in zip(fit_shared_design(Z, ys, cov_type="HC1", hasconst=True), ys):
        alone = sm.OLS(y, Z).fit(cov_type="HC1")
        for attr in ("params", "bse", "pvalues"):
            assert np.array_equal(getattr(shared, attr), getattr(alone, attr)), attr
        assert np.array_equal(shared.conf_int(0.05), alone.conf_int(0.05))
        assert shared.df_resid == alone.df_resid and shared.cov_type == alone.cov_type == "HC1"


def test_gamma_series_name_and_target_errors():
    from seal_core.metrics.gamma import labeler_preference

    feats = pd.DataFrame({"pair_id": ["a", "a"], "side": ["chosen", "rejected"], "h": [1, 0]})
    assert labeler_preference(feats, ["h"]).name == "gamma"
    with pytest.raises(SealInputError, match="^γ needs at least one target feature$"):
        labeler_preference(feats, [])
    with pytest.raises(
        SealInputError, match=r"γ needs the target feature\(s\) \['x'\].*e\.g\. \['-last_response_contains_insult'"
    ):
        labeler_preference(feats, ["-x"])
