"""Chance and power: each formula against a hand computation or a simulation of the test it is about."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, norm

from seal_core.errors import SealInputError
from seal_core.metrics.power import (
    chance_test,
    mde_coefficient,
    mde_paired,
    underpowered,
    underpowered_note,
)
from seal_core.metrics.resistance import alignment_resistance, resistance_table


def test_chance_test_is_the_exact_two_sided_binomial():
    # 60 of 100: 2 · P(X ≥ 60), X ~ Bin(100, ½), summed by hand
    by_hand = 2 * sum(math.comb(100, k) for k in range(60, 101)) / 2**100
    assert chance_test(60, 100) == pytest.approx(by_hand, rel=1e-9)
    assert chance_test(0, 5) == pytest.approx(2 / 32)
    assert chance_test(5, 10) == 1.0 and math.isnan(chance_test(0, 0))
    with pytest.raises(SealInputError):
        chance_test(11, 10)


def test_resistance_flags_a_chance_level_rm_and_says_so():
    coin = pd.DataFrame({"model": "coin", "margin": [1.0] * 46 + [-1.0] * 54})
    good = pd.DataFrame({"model": "good", "margin": [1.0] * 70 + [-1.0] * 30})
    r = alignment_resistance(coin)
    assert r.at_chance and r.p_chance == pytest.approx(chance_test(46, 100))
    assert "indistinguishable from a coin flip" in r.sentence()
    g = alignment_resistance(good)
    assert not g.at_chance and g.p_chance < 1e-4 and "coin flip" not in g.sentence()
    t = resistance_table(pd.concat([coin, good])).set_index("model")
    assert t.loc["coin", "at_chance"] and not t.loc["good", "at_chance"]


def test_mde_coefficient_by_hand():
    assert mde_coefficient(0.1) == pytest.approx((1.959963985 + 0.841621234) * 0.1, rel=1e-8)
    z13 = norm.isf(0.05 / 13 / 2) + norm.ppf(0.8)  # Bonferroni over 13 features
    np.testing.assert_allclose(mde_coefficient(np.array([0.1, 0.2]), n_tests=13), z13 * np.array([0.1, 0.2]))


def test_mde_coefficient_gives_80_percent_power_in_simulated_regressions():
    rng = np.random.default_rng(0)
    n, reps, sigma = 200, 4000, 1.0
    x = rng.normal(size=n)
    se = sigma / math.sqrt((x**2).sum())
    beta = mde_coefficient(se)
    y = beta * x[None, :] + rng.normal(0, sigma, size=(reps, n))
    b = y @ x / (x @ x)
    resid = y - b[:, None] * x[None, :]
    se_hat = np.sqrt((resid**2).sum(axis=1) / (n - 1) / (x @ x))
    power = (np.abs(b / se_hat) > norm.isf(0.025)).mean()
    assert 0.77 < power < 0.83


def test_mde_paired_gives_80_percent_power_for_the_exact_mcnemar_test():
    rng = np.random.default_rng(1)
    n, psi, reps = 1500, 0.15, 4000
    delta = mde_paired(n, psi)
    assert 0 < delta < psi
    counts = rng.multinomial(n, [(psi + delta) / 2, (psi - delta) / 2, 1 - psi], size=reps)
    b, c = counts[:, 0], counts[:, 1]
    p = np.minimum(1.0, 2 * binom.cdf(np.minimum(b, c), b + c, 0.5))  # exact McNemar
    assert 0.74 < (p < 0.05).mean() < 0.84


def test_mde_paired_edges():
    assert math.isnan(mde_paired(500, 0.0))  # no discordant pair: nothing to test
    assert math.isnan(mde_paired(20, 0.1))  # 2 discordant pairs cannot reach 80% power
    assert mde_paired(4000, 0.2) < mde_paired(1000, 0.2)  # more pairs, smaller detectable effect
    with pytest.raises(SealInputError):
        mde_paired(100, 1.5)


def test_underpowered_label():
    assert underpowered(0.4, 0.09, 0.05) and not underpowered(0.01, 0.09, 0.05)  # significant: not underpowered
    assert not underpowered(0.4, 0.03, 0.05)  # could have detected it: a real null
    assert underpowered(0.4, float("nan"), 0.05)
    note = underpowered_note(0.05, 0.091)
    assert note.startswith("underpowered: this slice could not have detected an effect of 5 percentage points")


def test_mcnemar_rows_carry_mde_and_underpowered():
    from seal_core.metrics.regimes import mcnemar_tests, pair_agreement

    rng = np.random.default_rng(2)
    n = 60
    rows = []
    for model, p in (("pre", 0.6), ("post", 0.62)):
        m = np.where(rng.random(n) < p, 1.0, -1.0)
        rows += [{"pair_id": f"p{i}", "model": model, "margin": v} for i, v in enumerate(m)]
    t = mcnemar_tests(pair_agreement(pd.DataFrame(rows), "pre", "post")).iloc[0]
    psi = (t.only_a + t.only_b) / n
    assert t.mde == pytest.approx(mde_paired(n, psi))
    assert t.p > 0.05 and t.mde > 0.05 and t.underpowered  # 60 pairs cannot see a 5-point change


def test_imprint_rows_carry_mde_and_underpowered():
    from seal_core.metrics.imprint import feature_imprint

    rng = np.random.default_rng(3)
    n = 40
    f = pd.DataFrame({"pair_id": np.repeat([f"p{i}" for i in range(n)], 2), "side": ["chosen", "rejected"] * n,
                      "a": rng.integers(0, 2, 2 * n), "b": rng.integers(0, 2, 2 * n)})  # fmt: skip
    r = rng.normal(size=2 * n)
    s = pd.DataFrame({"pair_id": f.pair_id[::2].to_numpy(), "model": "m", "score_chosen": r[::2],
                      "score_rejected": r[1::2]})  # fmt: skip
    with pytest.warns(UserWarning):
        t = feature_imprint(s, f).table.set_index("feature")
    assert t.loc["a", "mde"] == pytest.approx(mde_coefficient(t.loc["a", "se"], n_tests=2))
    assert t["underpowered"].all()  # noise, 40 pairs: nothing of 0.2 sd was detectable


def test_robustness_summary_tests_the_change_and_its_power():
    from seal_core.metrics.robustness import robustness_summary

    n = 200
    agrees = np.r_[np.ones(150, bool), np.zeros(50, bool)]
    after = agrees.copy()
    after[:12] = False  # 12 became misaligned
    after[150:154] = True  # 4 became aligned
    d = pd.DataFrame({"pair_id": [f"p{i}" for i in range(n)], "model": "m", "perturbation": "typos",
                      "score_chosen": agrees.astype(float), "score_rejected": 0.5,
                      "score_chosen_perturbed": after.astype(float), "score_rejected_perturbed": 0.5,
                      "agrees": agrees, "agrees_perturbed": after, "became_misaligned": agrees & ~after,
                      "became_aligned": ~agrees & after})  # fmt: skip
    s = robustness_summary(d).iloc[0]
    by_hand = 2 * sum(math.comb(16, k) for k in range(5)) / 2**16  # 4 vs 12 discordant
    assert s.p_change == pytest.approx(by_hand, rel=1e-9)
    assert s.mde_change == pytest.approx(mde_paired(200, 16 / 200))
    assert s.underpowered == (s.p_change >= 0.05 and s.mde_change > 0.05)


def test_chance_level_note_and_underpowered_sentences():
    from seal_core.metrics.imprint import describe_top
    from seal_core.metrics.regimes import chance_level_note
    from seal_core.metrics.robustness import underpowered_words

    both = pd.DataFrame({"agrees_pre": [True] * 70 + [False] * 30, "agrees_post": [True] * 80 + [False] * 20})
    assert chance_level_note(both) == ""
    coin = both.assign(agrees_pre=[True, False] * 50)
    note = chance_level_note(coin)
    assert "pre-training RM agrees with people on 50% of these 100 pairs" in note
    assert "post-training RM's agreement split in two" in note and "post-training RM agrees" not in note
    table = pd.DataFrame({"role": "post", "p_adj": [0.5, 0.9], "underpowered": [True, False], "coef": [0.1, 0.2]})
    assert "for 1 feature(s) that is underpowered" in describe_top(table)
    s = pd.DataFrame({"perturbation": ["typos", "case"], "model": "m", "underpowered": [True, False],
                      "mde_change": [0.12, 0.01]})  # fmt: skip
    words = underpowered_words(s)
    assert (
        "typos (m)" in words
        and "case" not in words
        and "effect of 5 percentage points (the smallest it detects with 80% power is 12 percentage points)" in words
    )


def test_power_helpers_types_and_messages():
    assert isinstance(mde_coefficient(0.1), float)
    arr = mde_coefficient(np.array([0.1, 0.2]), n_tests=3)
    assert isinstance(arr, np.ndarray) and arr == pytest.approx(
        (norm.ppf(1 - 0.05 / 6) + norm.ppf(0.8)) * np.array([0.1, 0.2])
    )
    with pytest.raises(SealInputError, match="n_tests must be at least 1, got 0"):
        mde_coefficient(0.1, n_tests=0)
    with pytest.raises(SealInputError, match="need 0 ≤ k ≤ n, got k=5, n=3"):
        chance_test(5, 3)
    assert math.isnan(chance_test(0, 0))
    assert underpowered_note(0.05, float("nan")).endswith("(no effect is detectable)")
