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
