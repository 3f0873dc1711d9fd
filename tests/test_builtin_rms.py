"""The built-in offline RMs: a real encoder, a trained head that reproduces, and a zero-shot pre-D scorer."""

import shutil

import numpy as np
import pytest

from seal_core.errors import SealInputError
from seal_core.models import POST_NAME, PRE_NAME, BTHead, list_models, load_reward_model, train_bt_head
from seal_core.models.encoder import Encoder, local_model_path, verify_model_files
from seal_core.models.heads import SHIPPED_HEAD, compose, features
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
    np.testing.assert_allclose(head.fold_weights, shipped.fold_weights, atol=1e-4)
    assert head.train_ids == shipped.train_ids == sample.pairs.pair_id.tolist()
    assert head.train_folds == shipped.train_folds and sorted(set(head.train_folds)) == [0, 1, 2, 3, 4]
    assert head.cv_accuracy == pytest.approx(shipped.cv_accuracy, abs=1e-3)
    assert head.data_hash == shipped.data_hash
    # the default scores of the bundled sample are cross-fitted: their agreement is the cross-validated figure
    scores = score_pairs(sample.pairs, post)
    assert scores.agrees.mean() == pytest.approx(shipped.cv_accuracy, abs=1e-3)
    assert not scores.in_sample.any()
    full = score_pairs(sample.pairs, load_reward_model(POST_NAME, cross_fit=False))
    assert full.agrees.mean() == pytest.approx(shipped.in_sample_accuracy, abs=1e-3)
    assert full.in_sample.all()


def test_training_on_a_subset_is_deterministic_and_fits(sample, tmp_path):
    subset = sample.pairs.head(300)
    a = train_bt_head(subset, folds=3)
    b = train_bt_head(subset, folds=3)
    assert a.weights == b.weights and a.cv_accuracy == b.cv_accuracy
    assert a.in_sample_accuracy > 0.75  # 768 features on 300 pairs: the fit is strong in sample
    assert 0.45 < a.cv_accuracy < a.in_sample_accuracy
    path = a.save(tmp_path / "minilm_bt_head.json")
    rm = load_reward_model(str(tmp_path))  # a folder with a head is loadable by path
    s = score_pairs(subset, rm)  # cross-fitted: three folds of 100 pairs, so the pooled agreement is the CV mean
    assert s.agrees.mean() == pytest.approx(a.cv_accuracy, abs=1e-9) and not s.in_sample.any()
    full = score_pairs(subset, load_reward_model(str(tmp_path), cross_fit=False))
    assert full.agrees.mean() == pytest.approx(a.in_sample_accuracy, abs=1e-9) and full.in_sample.all()
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
        for sub, idx in rm.route(sample.pairs):  # the post RM: one fold head per fifth of the sample
            part = sample.pairs.iloc[idx]
            n_texts = len(set(zip(part.prompt_chosen, part.chosen)) | set(zip(part.prompt_rejected, part.rejected)))
            assert cache.count(sub.cache_key) == n_texts  # the whole bundled sample came from the seed
        fresh = score_pairs(subset, rm)  # no cache: computed now
        np.testing.assert_allclose(seeded.score_chosen, fresh.score_chosen, atol=1e-5)
        np.testing.assert_allclose(seeded.score_rejected, fresh.score_rejected, atol=1e-5)
        assert (seeded.n_tokens_chosen == fresh.n_tokens_chosen).all()


def _fold_scores(head, k, pairs, side):
    feats, _ = features(Encoder.shared(), pairs[f"prompt_{side}"].tolist(), pairs[side].tolist())
    w = head.weights if k < 0 else head.fold_weights[k]
    return feats @ np.asarray(w)


def test_each_training_pair_is_scored_by_the_fold_head_that_never_saw_it(sample, post):
    head = post.head
    pairs = sample.pairs.sample(30, random_state=3)
    scores = score_pairs(pairs, post).set_index("pair_id").loc[pairs.pair_id]
    fold = dict(zip(head.train_ids, head.train_folds))
    for k in range(head.folds):
        sub = pairs[pairs.pair_id.map(fold) == k]
        np.testing.assert_allclose(scores.loc[sub.pair_id, "score_chosen"], _fold_scores(head, k, sub, "chosen"))
        np.testing.assert_allclose(scores.loc[sub.pair_id, "score_rejected"], _fold_scores(head, k, sub, "rejected"))
        assert k not in {fold[p] for p in sub.pair_id}.difference({k})  # held out of fold k's training
    assert post.held_out(pairs).all() and not scores.in_sample.any()


def test_other_pairs_get_the_full_head_and_edits_keep_their_pair_fold(sample, post):
    head = post.head
    pair = sample.pairs.iloc[7]
    new = sample.pairs.iloc[[7]].assign(pair_id="not-a-training-pair", chosen_full=pair.chosen_full + " (edited)")
    s = score_pairs(new, post)
    assert s.score_chosen[0] == pytest.approx(_fold_scores(head, -1, new, "chosen")[0])
    assert not s.in_sample[0] and not post.held_out(new).any()
    # an edit of a bundled pair (same pair id, new text) is scored by that pair's fold head, in the editor too
    k = dict(zip(head.train_ids, head.train_folds))[pair.pair_id]
    edited = sample.pairs.iloc[[7]].assign(chosen=pair.chosen + " I hope that helps.")
    assert score_pairs(edited, post).score_chosen[0] == pytest.approx(_fold_scores(head, k, edited, "chosen")[0])
    scorer = post.for_pair(pair)
    assert scorer.score_one(pair.prompt_chosen, edited.chosen.iloc[0]) == pytest.approx(
        _fold_scores(head, k, edited, "chosen")[0]
    )
    assert scorer.revision.endswith(f"fold{k + 1}of{head.folds}")


def test_a_head_without_its_pair_record_is_flagged_in_sample_by_its_data_hash(sample, tmp_path):
    import json

    subset = sample.pairs.head(60)
    head = train_bt_head(subset, folds=3)
    data = json.loads(head.save(tmp_path / "minilm_bt_head.json").read_text())
    for key in ("fold_weights", "train_ids", "train_folds"):
        data.pop(key)
    (tmp_path / "minilm_bt_head.json").write_text(json.dumps(data))
    rm = load_reward_model(str(tmp_path))
    assert not rm.cross_fit
    assert score_pairs(subset, rm).in_sample.all()  # the whole training set, recognised by its hash
    assert not score_pairs(sample.pairs.iloc[100:110], rm).in_sample.any()


def test_a_malformed_cross_fitting_record_is_refused(sample, tmp_path):
    import json

    head = train_bt_head(sample.pairs.head(30), folds=3)
    data = json.loads(head.save(tmp_path / "h.json").read_text())
    data["train_folds"] = data["train_folds"][:-1]
    (tmp_path / "h.json").write_text(json.dumps(data))
    with pytest.raises(SealInputError, match="cross-fitting record"):
        BTHead.load(tmp_path / "h.json")
