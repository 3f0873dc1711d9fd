from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seal_core.data import pairs_from_records
from seal_core.errors import SealInputError
from seal_core.features import (
    RULE_FEATURES,
    LabelCache,
    LabelResult,
    RulesFeaturizer,
    feature_roles,
    get_featurizer,
    import_seal_labels,
    label_pairs,
    labeler_agreement,
    read_features,
    rules_quality,
)

HAND = Path(__file__).parent / "data" / "hand_labels.jsonl"


def test_every_rule_feature_beats_chance_on_the_hand_labelled_set():
    q = rules_quality(HAND)
    assert len(q) == len(RULE_FEATURES) - 2 + 2  # words and sentiment are scored separately (sentiment as 2)
    bad = q[q.kappa < 0.4]
    assert bad.empty, bad  # κ ≥ 0.4 (moderate agreement) for every shipped feature; κ = 0 is chance
    assert (q.positives >= 2).all()  # each feature has positives to find


@pytest.mark.parametrize(
    ("text", "feature", "value"),
    [
        ("I’m sorry, I can’t help you with that.", "last_response_is_refusal", 1),  # curly apostrophes
        ("Sure, here is how.", "last_response_is_refusal", 0),
        ("You are wonderful and kind!", "last_response_sentiment", 1),
        ("This is awful and sad.", "last_response_sentiment", -1),
        ("The train leaves at six.", "last_response_sentiment", 0),
        ("Write to me at someone@example.org", "last_response_breaks_privacy", 1),
        ("1. one\n2. two", "response_has_list", 1),
        ("1. only one item", "response_has_list", 0),
        ("see www.example.com", "response_has_url", 1),
        ("one two three", "response_words", 3),
    ],
)
def test_rules_on_hand_computed_cases(text, feature, value):
    assert RulesFeaturizer()._label([""], [text]).loc[0, feature] == value


def test_features_table_contract_and_cache(sample, tmp_path):
    pairs = sample.pairs.head(10)
    cache = LabelCache(tmp_path / "labels.sqlite")
    calls = []

    class Counting(RulesFeaturizer):
        def _label(self, prompts, responses):
            calls.append(len(responses))
            return super()._label(prompts, responses)

    f = label_pairs(pairs, Counting(), cache=cache).features
    assert list(f.columns[:3]) == ["pair_id", "side", "labeler"] and len(f) == 20
    assert f.labeler.unique().tolist() == ["rules@1"]
    assert f.pair_id.tolist() == pairs.pair_id.tolist() * 2
    again = label_pairs(pairs, Counting(), cache=LabelCache(tmp_path / "labels.sqlite")).features
    assert calls == [20]  # the second run came from the cache
    assert again.equals(f)
    assert np.issubdtype(f["last_response_sentiment"].dtype, np.integer)


def test_identical_pair_gets_identical_labels():
    full = "\n\nHuman: hi\n\nAssistant: Hello there, friend!"
    f = label_pairs(pairs_from_records([{"chosen": full, "rejected": full}]).pairs, RulesFeaturizer()).features
    assert f.iloc[0, 3:].tolist() == f.iloc[1, 3:].tolist()


def test_roles_defaults_and_overrides():
    roles = feature_roles(["last_response_is_helpful", "last_response_is_eloquent", "response_words", "custom"])
    assert roles == {"last_response_is_helpful": "target", "last_response_is_eloquent": "spoiler",
                     "response_words": "spoiler", "custom": "spoiler"}  # fmt: skip
    assert feature_roles(["response_words"], {"response_words": "target"})["response_words"] == "target"
    with pytest.raises(SealInputError, match="must be 'target' or 'spoiler'"):
        feature_roles(["x"], {"x": "villain"})


def test_featurizer_lookup_errors():
    with pytest.raises(SealInputError, match="unknown labeler 'magic'"):
        get_featurizer("magic")
    with pytest.raises(SealInputError, match="lacks column"):
        label_pairs(pd.DataFrame({"pair_id": ["a"]}), RulesFeaturizer())


def test_import_seal_taxonomy_joins_on_row_id_and_preference(sample, tmp_path):
    pairs = sample.pairs.head(6)
    rows = pd.DataFrame({
        "row_id": [5, 0, 5, 0, 99],
        "preference": ["rejected", "chosen", "chosen", "rejected", "chosen"],
        "last_response_is_helpful": ["True", "False", "true", True, "False"],
        "last_response_sentiment": ["negative", "positive", "neutral", "neutral", "neutral"],
        "topics": ['["Human activities"]'] * 5,
    })  # fmt: skip
    path = tmp_path / "tax.csv"
    rows.to_csv(path, index=False)
    imported = import_seal_labels(path, pairs)
    f = imported.features
    assert imported.unmatched == 1  # row 99 is not in the pairs
    by = f.set_index(["pair_id", "side"])
    pid5, pid0 = pairs.pair_id[5], pairs.pair_id[0]
    assert by.loc[(pid5, "rejected"), "last_response_is_helpful"] == 1
    assert by.loc[(pid0, "chosen"), "last_response_is_helpful"] == 0
    assert by.loc[(pid5, "rejected"), "last_response_sentiment"] == -1
    assert by.loc[(pid0, "chosen"), "last_response_sentiment"] == 1
    assert f.labeler.iloc[0] == "import:tax.csv"


def test_import_errors(sample, tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"row_id": [0], "preference": ["maybe"], "last_response_is_helpful": ["True"]}).to_csv(bad)
    with pytest.raises(SealInputError, match="preference must be chosen/rejected"):
        import_seal_labels(bad, sample.pairs)
    pd.DataFrame({"row_id": [0], "preference": ["chosen"], "last_response_is_helpful": ["perhaps"]}).to_csv(bad)
    with pytest.raises(
        SealInputError, match="column last_response_is_helpful: a boolean label that is not true/false"
    ):
        import_seal_labels(bad, sample.pairs)
    pd.DataFrame({"row_id": [0], "preference": ["chosen"], "nothing": [1]}).to_csv(bad)
    with pytest.raises(SealInputError, match="none of SEAL's label keys"):
        import_seal_labels(bad, sample.pairs)
    pd.DataFrame({"x": [0]}).to_csv(bad)
    with pytest.raises(SealInputError, match=r"lacks column\(s\) \['preference', 'row_id'\]"):
        import_seal_labels(bad, sample.pairs)
    with pytest.raises(SealInputError, match="labels file not found"):
        import_seal_labels(tmp_path / "none.csv", sample.pairs)
    pd.DataFrame({"row_id": [0], "preference": ["chosen"], "last_response_is_helpful": [1]}).to_csv(bad)
    with pytest.raises(SealInputError, match="SEAL taxonomy file"):
        read_features(bad)


def test_agreement_joins_on_keys_and_reports_kappa():
    a = pd.DataFrame({"pair_id": list("aabbcc"), "side": ["chosen", "rejected"] * 3, "f": [1, 0, 1, 0, 1, 1],
                      "g": [0, 0, 0, 0, 0, 0]})  # fmt: skip
    b = a.sample(frac=1.0, random_state=3).assign(f=lambda d: d["f"])  # same labels, shuffled rows
    b.loc[b.index[0], "g"] = 1
    t = labeler_agreement(a, b).set_index("feature")
    assert t.loc["f", "agreement"] == 1.0 and t.loc["f", "kappa"] == pytest.approx(1.0)
    assert t.loc["g", "agreement"] == pytest.approx(5 / 6) and t.loc["g", "prevalence_b"] == pytest.approx(1 / 6)
    assert t.loc["g", "kappa"] == pytest.approx(0.0)
    with pytest.raises(SealInputError, match="share no feature"):
        labeler_agreement(a[["pair_id", "side", "f"]], b[["pair_id", "side", "g"]].rename(columns={"g": "h"}))


def test_label_result_checks_its_tables_and_drops_exactly_the_failed_rows():
    feats = pd.DataFrame({"pair_id": ["a", "a", "b", "b"], "side": ["chosen", "rejected"] * 2, "x": [1, None, 2, 3]})
    res = LabelResult(feats, failed=pd.DataFrame({"pair_id": ["a"], "side": ["rejected"]}))
    assert not res.complete and res.labelled()[["pair_id", "side"]].values.tolist() == [
        ["a", "chosen"], ["b", "chosen"], ["b", "rejected"]]  # fmt: skip
    assert LabelResult(feats).complete and LabelResult(feats).labelled() is feats
    with pytest.raises(SealInputError, match="LabelResult.failed must be a table with pair_id and side"):
        LabelResult(feats, failed=pd.DataFrame({"pair_id": ["a"]}))
    with pytest.raises(SealInputError, match="LabelResult.features"):
        LabelResult(None)
