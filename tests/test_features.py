from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seal_core.data import pairs_from_records
from seal_core.errors import SealInputError
from seal_core.features import (
    RULE_FEATURES,
    LabelCache,
    RulesFeaturizer,
    feature_roles,
    get_featurizer,
    label_pairs,
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

    f = label_pairs(pairs, Counting(), cache=cache)
    assert list(f.columns[:3]) == ["pair_id", "side", "labeler"] and len(f) == 20
    assert f.labeler.unique().tolist() == ["rules@1"]
    assert f.pair_id.tolist() == pairs.pair_id.tolist() * 2
    again = label_pairs(pairs, Counting(), cache=LabelCache(tmp_path / "labels.sqlite"))
    assert calls == [20]  # the second run came from the cache
    assert again.equals(f)
    assert np.issubdtype(f["last_response_sentiment"].dtype, np.integer)


def test_identical_pair_gets_identical_labels():
    full = "\n\nHuman: hi\n\nAssistant: Hello there, friend!"
    f = label_pairs(pairs_from_records([{"chosen": full, "rejected": full}]).pairs, RulesFeaturizer())
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
