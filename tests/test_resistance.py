import pandas as pd
import pytest

from seal_core.errors import SealInputError
from seal_core.metrics.resistance import alignment_resistance, resistance_table


def scores(margins, model="m"):
    return pd.DataFrame({"model": model, "margin": margins})


def test_strict_agreement_and_ties_count_as_resistance():
    r = alignment_resistance(scores([2.0, 1.0, 0.0, -1.0, 0.5] * 8))
    assert (r.n_pairs, r.n_agree, r.n_ties, r.n_disagree) == (40, 24, 8, 8)
    assert r.agreement == pytest.approx(0.6)
    assert r.resistance == pytest.approx(0.4)


def test_wilson_interval_matches_hand_computation():
    # 3 of 10 resist. Wilson 95%: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964
    with pytest.warns(UserWarning, match="only 10 pairs"):
        r = alignment_resistance(scores([1.0] * 7 + [-1.0] * 3))
    z, n, p = 1.959963984540054, 10, 0.3
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    assert r.ci_low == pytest.approx(centre - half, abs=1e-9)
    assert r.ci_high == pytest.approx(centre + half, abs=1e-9)
    assert (round(r.ci_low, 4), round(r.ci_high, 4)) == (0.1078, 0.6032)


def test_exact_interval_option():
    r = alignment_resistance(scores([1.0] * 70 + [-1.0] * 30), method="exact")
    assert r.ci_method == "exact"
    assert (round(r.ci_low, 4), round(r.ci_high, 4)) == (0.2124, 0.3998)  # Clopper-Pearson 30/100


def test_sentence_in_plain_words():
    r = alignment_resistance(scores([1.0] * 73 + [-1.0] * 26 + [0.0]))
    assert r.sentence() == (
        "The model preferred the response people rejected in 27% of 100 pairs (95% CI 19%–36%) "
        "(1 tie counted as not preferring)."
    )


def test_table_per_model_and_group():
    s = pd.concat([scores([1.0, -1.0, 1.0, 1.0], "a"), scores([-1.0, -1.0, 0.0, 1.0], "b")], ignore_index=True)
    s["source"] = ["x", "x", "y", "y"] * 2
    t = resistance_table(s)
    assert t.set_index("model").resistance.to_dict() == {"a": 0.25, "b": 0.75}
    g = resistance_table(s, by="source")
    assert len(g) == 4
    assert g.set_index(["model", "source"]).loc[("b", "y"), "n_ties"] == 1


def test_validation_errors():
    with pytest.raises(SealInputError, match="must be a DataFrame"):
        alignment_resistance([1, 2])
    with pytest.raises(SealInputError, match=r"lack column\(s\) \['margin'\]"):
        alignment_resistance(pd.DataFrame({"model": ["m"]}))
    with pytest.raises(SealInputError, match="ci must be a confidence level"):
        alignment_resistance(scores([1.0]), ci=95)
    with pytest.raises(SealInputError, match="unknown CI method 'bayes'"):
        alignment_resistance(scores([1.0]), method="bayes")
    with pytest.raises(SealInputError, match="hold 2 models"):
        alignment_resistance(pd.concat([scores([1.0], "a"), scores([1.0], "b")]))
    with pytest.raises(SealInputError, match="NaN"):
        alignment_resistance(scores([1.0, float("nan")]))
    with pytest.raises(SealInputError, match="cannot group by"):
        resistance_table(scores([1.0]), by="nope")


# Every field of the result, computed by hand (written after a mutation run of seal_core/metrics found these unread).


def test_every_field_by_hand_exact_interval_at_90_percent():
    import math

    from scipy.stats import beta, binom

    from seal_core.metrics.resistance import resistance_from_margins

    r = resistance_from_margins("rm@1", [2, 0, -1, 3, -0.5, 0], ci=0.9, method="exact", n_in_sample=2)
    k, n, a = 4, 6, 0.1  # 2 agree, 2 ties, 2 disagree: 4 of 6 resist
    assert (r.model, r.n_pairs, r.n_agree, r.n_ties, r.n_disagree, r.n_in_sample) == ("rm@1", 6, 2, 2, 2, 2)
    assert (r.agreement, r.resistance, r.ci, r.ci_method, r.in_sample) == (2 / 6, 4 / 6, 0.9, "exact", True)
    assert r.ci_low == pytest.approx(beta.ppf(a / 2, k, n - k + 1))  # Clopper-Pearson
    assert r.ci_high == pytest.approx(beta.ppf(1 - a / 2, k + 1, n - k))
    assert r.p_chance == pytest.approx(min(1.0, 2 * binom.cdf(2, 6, 0.5))) and r.at_chance
    assert r.sentence() == (
        f"The model preferred the response people rejected in 67% of 6 pairs (90% CI {r.ci_low:.0%}–{r.ci_high:.0%})"
        f" (2 ties counted as not preferring). That is indistinguishable from a coin flip on these pairs (exact "
        f"binomial p = {r.p_chance:.2g}). In sample: the model was trained on 2 of the 6 of these pairs, so this "
        "agreement is optimistic."
    )
    one_tie = resistance_from_margins("m", [1.0] * 30 + [0.0])
    assert "(1 tie counted as not preferring)." in one_tie.sentence() and not one_tie.at_chance
    assert "In sample" not in one_tie.sentence() and not one_tie.in_sample
    assert "tie" not in resistance_from_margins("m", [1.0] * 30).sentence()
    z = 1.6448536269514722  # Wilson at 90%: the level is passed on
    w = resistance_from_margins("m", [1.0] * 7 + [-1.0] * 3, ci=0.9)
    centre = (0.3 + z**2 / 20) / (1 + z**2 / 10)
    half = z * math.sqrt(0.3 * 0.7 / 10 + z**2 / 400) / (1 + z**2 / 10)
    assert (w.ci_low, w.ci_high) == pytest.approx((centre - half, centre + half))


def test_no_pairs_gives_nan_not_an_error():
    import math

    from seal_core.metrics.resistance import resistance_from_margins

    r = resistance_from_margins("m", [])
    assert r.n_pairs == 0 and not r.at_chance
    assert all(math.isnan(v) for v in (r.agreement, r.resistance, r.ci_low, r.ci_high, r.p_chance))
    assert r.sentence() == "No pairs to judge."
    assert resistance_from_margins("m", [1.0]).sentence() != "No pairs to judge."


def test_model_id_in_sample_count_and_small_slice_warning_from_the_table():
    import warnings

    s = pd.DataFrame({"model": "rm@2", "margin": [1.0, -1.0] * 20, "in_sample": [True, None, False, True] * 10})
    r = alignment_resistance(s)
    assert (r.model, r.n_pairs, r.n_in_sample) == ("rm@2", 40, 20)  # missing in_sample counts as not trained on
    assert alignment_resistance(s.drop(columns="in_sample")).n_in_sample == 0
    with pytest.warns(UserWarning, match="only 29 pairs: the resistance CI is wide"):
        alignment_resistance(s.head(29))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        alignment_resistance(s.head(30))  # 30 pairs: no warning
        empty = alignment_resistance(s.head(0))  # no pairs: nothing to warn about
    assert empty.model == "" and empty.n_pairs == 0


def test_table_keeps_group_order_missing_groups_and_each_groups_counts():
    s = pd.DataFrame({
        "model": ["b", "b", "a", "a", "a"],
        "src": ["x", None, "y", "y", None],
        "margin": [1.0, -1.0, 1.0, 0.0, 2.0],
        "in_sample": [True, False, True, True, False],
    })  # fmt: skip
    t = resistance_table(s, by="src")
    assert list(t.columns[:3]) == ["model", "src", "n_pairs"] and list(t.columns).count("model") == 1
    rows = t[["model", "src", "n_pairs", "n_agree", "n_ties", "n_in_sample"]].astype(object)
    rows = rows.where(rows.notna(), None).values.tolist()
    assert rows == [["b", "x", 1, 1, 0, 1], ["b", None, 1, 0, 0, 0], ["a", "y", 2, 1, 1, 2], ["a", None, 1, 1, 0, 0]]


def test_error_messages_name_the_problem():
    from seal_core.metrics.resistance import resistance_from_margins

    for call in (lambda: resistance_from_margins("m", [1.0], method="clopper"),
                 lambda: alignment_resistance(scores([1.0]), method="clopper")):  # fmt: skip
        with pytest.raises(
            SealInputError, match=r"unknown CI method 'clopper'; expected one of \['wilson', 'exact'\]"
        ):
            call()
    with pytest.raises(SealInputError, match=r"^2 margin\(s\) are NaN; re-score those pairs"):
        resistance_from_margins("m", [1.0, float("nan"), float("nan")])


@pytest.mark.parametrize("ci", [0, 1, 1.5, -0.1])
def test_confidence_level_must_be_strictly_between_0_and_1(ci):
    from seal_core.metrics.resistance import resistance_from_margins

    for call in (
        lambda: resistance_from_margins("m", [1.0], ci=ci),
        lambda: alignment_resistance(scores([1.0]), ci=ci),
    ):
        with pytest.raises(SealInputError, match=f"ci must be a confidence level between 0 and 1 .*, got {ci}"):
            call()
