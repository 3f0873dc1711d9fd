"""The built-in offline RMs: a real encoder, a trained head that reproduces, and a zero-shot pre-D scorer."""

import shutil

import numpy as np
import pytest

from seal_core.errors import SealInputError
from seal_core.models import POST_NAME, PRE_NAME, BTHead, list_models, load_reward_model, train_bt_head
from seal_core.models.encoder import Encoder, local_model_path, verify_model_files
from seal_core.models.heads import SHIPPED_HEAD, compose
from seal_core.scoring import score_pairs


@pytest.fixture(scope="module")
def pre():
    return load_reward_model(PRE_NAME)


@pytest.fixture(scope="module")
def post():
    return load_reward_model(POST_NAME)


def test_registry_lists_a_pre_and_a_post_model():
    roles = {m.role: m.name for m in list_models()}
    assert roles == {"pre": PRE_NAME, "post": POST_NAME}
    for m in list_models():
        card = m.card()
        assert "accuracy" in card


def test_encoder_files_are_verified(tmp_path):
    verify_model_files(local_model_path())  # the installed package matches the pinned hashes
    copy = tmp_path / "model"
    shutil.copytree(local_model_path(), copy)
    (copy / "config.json").write_text((copy / "config.json").read_text().replace("384", "385", 1))
    with pytest.raises(SealInputError, match=r"config\.json has SHA-256 .* Refusing to load a modified model"):
        verify_model_files(copy)
    (copy / "tokenizer.json").unlink()
    with pytest.raises(SealInputError, match="tokenizer.json is missing"):
        verify_model_files(copy)


def test_scores_are_real_deterministic_and_vary(pre, post, sample):
    p = sample.pairs.head(16)
    for rm in (pre, post):
        a = rm.score(p.prompt_chosen.tolist(), p.chosen.tolist())
        b = rm.score(p.prompt_chosen.tolist(), p.chosen.tolist())
        np.testing.assert_array_equal(a.scores, b.scores)
        assert a.scores.dtype == np.float64 and a.scores.std() > 0.01


def test_an_edit_costs_one_encoder_call_for_both_models(pre, post, sample):
    prompt, response = sample.pairs.prompt_chosen[3], sample.pairs.chosen[3]
    pre.score_one(prompt, response)
    post.score_one(prompt, response)
    enc = Encoder.shared()
    before = enc.calls
    edited = response + " I hope that helps."
    s_pre, s_post = pre.score_one(prompt, edited), post.score_one(prompt, edited)
    assert enc.calls == before + 1  # one forward pass served both RMs
    assert s_post != post.score_one(prompt, response)
    # the shared encoder pass gives each RM the score it gives the edited text on its own, in a batch
    assert s_pre == pytest.approx(float(pre.score([prompt], [edited]).scores[0]), abs=1e-6)
    assert s_post == pytest.approx(float(post.score([prompt], [edited]).scores[0]), abs=1e-6)


def test_compose_keeps_the_response_and_cuts_the_human_turn_from_the_left():
    enc = Encoder.shared()
    human = " ".join(f"w{i}" for i in range(400))
    comp = compose(enc, [f"\n\nHuman: {human}\n\n"], ["the whole answer stays"])
    text = comp.contextual[0]
    assert text.endswith("\n\nthe whole answer stays")
    assert "w399" in text and "w0 " not in text
    assert comp.prompt_tokens_cut[0] > 0 and comp.response_tokens_cut[0] == 0 and comp.n_tokens[0] == 256


def test_shipped_head_beats_the_baseline_out_of_sample():
    head = BTHead.load(SHIPPED_HEAD)
    assert head.cv_accuracy > head.baselines["shorter response wins"] + 0.03
    assert head.cv_accuracy > 0.6 and head.in_sample_accuracy > head.cv_accuracy
    assert head.n_pairs == 1800 and len(head.weights) == 768


def test_shipped_head_is_reproduced_by_training_on_the_bundled_sample(sample, post):
    """`seal train-rm` on the bundled sample with default options gives the committed head, and the card's
    in-sample accuracy is what the model really scores."""
    shipped = BTHead.load(SHIPPED_HEAD)
    head = train_bt_head(sample.pairs, trained_on=shipped.trained_on)
    np.testing.assert_allclose(head.weights, shipped.weights, atol=1e-4)
    assert head.cv_accuracy == pytest.approx(shipped.cv_accuracy, abs=1e-3)
    assert head.data_hash == shipped.data_hash
    scores = score_pairs(sample.pairs, post)
    assert scores.agrees.mean() == pytest.approx(shipped.in_sample_accuracy, abs=1e-3)


def test_training_on_a_subset_is_deterministic_and_fits(sample, tmp_path):
    subset = sample.pairs.head(300)
    a = train_bt_head(subset, folds=3)
    b = train_bt_head(subset, folds=3)
    assert a.weights == b.weights and a.cv_accuracy == b.cv_accuracy
    assert a.in_sample_accuracy > 0.75  # 768 features on 300 pairs: the fit is strong in sample
    assert 0.45 < a.cv_accuracy < a.in_sample_accuracy
    path = a.save(tmp_path / "minilm_bt_head.json")
    rm = load_reward_model(str(tmp_path))  # a folder with a head is loadable by path
    s = score_pairs(subset, rm)
    assert s.agrees.mean() == pytest.approx(a.in_sample_accuracy, abs=1e-9)
    assert rm.name == str(path.resolve())


def test_training_errors(sample, tmp_path):
    with pytest.raises(SealInputError, match="C .* must be positive"):
        train_bt_head(sample.pairs.head(20), C=0)
    with pytest.raises(SealInputError, match="at least 10 non-identical pairs"):
        train_bt_head(sample.pairs.head(5))
    bad = tmp_path / "head.json"
    bad.write_text("{not json")
    with pytest.raises(SealInputError, match="is not a reward-model head"):
        BTHead.load(bad)
    with pytest.raises(SealInputError, match="takes no input format option"):
        load_reward_model(POST_NAME, input_format="raw")


def test_shipped_seed_scores_match_fresh_scoring(sample, pre, post, tmp_path):
    """The precomputed scores that make a fresh app open at once are what the models really output."""
    from seal_core.scoring import ScoreCache

    cache = ScoreCache(tmp_path / "c.sqlite")
    subset = sample.pairs.sample(40, random_state=1)
    for rm in (pre, post):
        seeded = score_pairs(subset, rm, cache=cache)
        n_texts = len(
            set(zip(sample.pairs.prompt_chosen, sample.pairs.chosen))
            | set(zip(sample.pairs.prompt_rejected, sample.pairs.rejected))
        )
        assert cache.count(rm.cache_key) == n_texts  # the whole bundled sample came from the seed
        fresh = score_pairs(subset, rm)  # no cache: computed now
        np.testing.assert_allclose(seeded.score_chosen, fresh.score_chosen, atol=1e-5)
        np.testing.assert_allclose(seeded.score_rejected, fresh.score_rejected, atol=1e-5)
        assert (seeded.n_tokens_chosen == fresh.n_tokens_chosen).all()
