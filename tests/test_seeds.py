"""The shipped seeds of the bundled sample (response embeddings, rule labels) match what would be computed now."""

import numpy as np

from seal_core.features import LabelCache, RulesFeaturizer, label_pairs
from seal_core.features.seed import seed_labels, warm_label_cache
from seal_core.metrics.ambiguity import response_similarity as computed_similarity
from seal_core.models.embedding_seed import response_similarity, seeded_fraction


def test_shipped_embeddings_cover_the_sample_and_match_the_encoder(sample):
    pairs = sample.pairs
    assert seeded_fraction(pairs["chosen"].tolist() + pairs["rejected"].tolist()) == 1.0
    head = pairs.sample(40, random_state=1)
    seeded, fresh = response_similarity(head), computed_similarity(head)
    assert list(seeded.index) == list(fresh.index)
    assert np.abs(seeded.to_numpy() - fresh.to_numpy()).max() < 2e-3  # float16 storage


def test_texts_outside_the_seed_are_embedded_with_progress(sample):
    pairs = sample.pairs.head(3).copy()
    pairs["chosen"] = ["A response that is not in the sample.", "Another new one.", "A third new text."]
    calls = []
    sim = response_similarity(pairs, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(3, 3)]
    assert np.abs(sim.to_numpy() - computed_similarity(pairs).to_numpy()).max() < 1e-5


def test_shipped_rule_labels_equal_fresh_labels(sample):
    featurizer = RulesFeaturizer()
    head = sample.pairs.sample(60, random_state=2)
    cache = LabelCache()
    assert warm_label_cache(cache, featurizer.key) == len(seed_labels(featurizer.key)) > 3000
    warm = label_pairs(head, featurizer, cache=cache).features
    fresh = label_pairs(head, RulesFeaturizer()).features
    assert warm.equals(fresh)
    assert warm_label_cache(cache, featurizer.key) == 0  # already there
