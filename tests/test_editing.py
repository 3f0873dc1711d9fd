import math

import pytest

from seal_core.editing import diff_as_text, p_chosen, sentence_attribution, split_sentences, word_diff
from seal_core.models import POST_NAME, load_reward_model


def test_word_diff_runs():
    assert word_diff("a b c", "a b c") == [("=", "a b c")]
    assert word_diff("keep this please", "keep that please now") == [
        ("=", "keep"),
        ("-", "this"),
        ("+", "that"),
        ("=", "please"),
        ("+", "now"),
    ]
    assert diff_as_text(word_diff("x y", "x z")) == "  x\n- y\n+ z"
    assert diff_as_text([]) == "(no change)"


def test_split_sentences():
    assert split_sentences("One. Two? Three!\n\nFour") == ["One.", "Two?", "Three!", "Four"]
    assert split_sentences("   ") == []


def test_p_chosen_is_the_logistic_function():
    assert p_chosen(0.0) == 0.5
    assert p_chosen(2.0) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert p_chosen(-800.0) == pytest.approx(0.0) and p_chosen(800.0) == 1.0  # no overflow


def test_sentence_attribution_matches_rescoring_by_hand(sample):
    rm = load_reward_model(POST_NAME)
    prompt = sample.pairs.prompt_chosen[0]
    response = "I can help with that. You are an idiot. Here is a safe way to do it."
    attr = sentence_attribution(rm, prompt, response)
    assert attr.sentence.tolist() == ["I can help with that.", "You are an idiot.", "Here is a safe way to do it."]
    full = rm.score_one(prompt, response)
    without_insult = rm.score_one(prompt, "I can help with that. Here is a safe way to do it.")
    assert attr.delta[1] == pytest.approx(full - without_insult, abs=1e-9)
    assert sentence_attribution(rm, prompt, "").empty
