"""Cached loaders: datasets (by source), reward models (by small hashable keys), and one memo (evicting by size)
for scores, features and results (by content hash)."""

from __future__ import annotations

import os

import pandas as pd
import streamlit as st

from seal_core.data import LoadResult, content_hash, load_pairs
from seal_core.models import RewardModel, RewardModelConfig, load_reward_model
from seal_core.scoring import ScoreCache, score_pairs
from ui.memo import Memo
from ui.progress import progress


@st.cache_resource(max_entries=4, show_spinner="Loading the dataset…")
def load_dataset(
    source: str | None, config: str | None, split: str, strict: bool, stamp: tuple = ()
) -> tuple[LoadResult, str]:
    """The loaded dataset and its content key, shared by every session (never modified: pages slice it).

    ``stamp`` (a local file's size and modification time) makes a changed file load again. Large local files are
    parsed once and then read from a snapshot (:func:`seal_core.data.load_pairs` with ``snapshot=True``); the
    content key is computed once here, not on every rerun."""
    res = load_pairs(source or None, config=config or None, split=split, strict=strict, snapshot=True)
    return res, res.content_key or content_hash(res.pairs)


@st.cache_resource(max_entries=6, show_spinner="Loading the reward model…")
def load_rm(config: RewardModelConfig) -> RewardModel:
    """One model instance per config, shared by all sessions (its own lock serialises tokenize + forward)."""
    return load_reward_model(config)


@st.cache_resource
def score_cache() -> ScoreCache:
    return ScoreCache()


@st.cache_resource
def memo() -> Memo:
    """The in-process memo of tables and results (scores, features, analyses…), shared by all sessions."""
    return Memo(int(float(os.environ.get("SEAL_UI_MEMO_MB", "1024")) * 2**20))


def get_scores(pairs: pd.DataFrame, rm: RewardModel, *, label: str = "", key: str | None = None) -> pd.DataFrame:
    """Scores of ``pairs`` under ``rm``: in-memory when seen before, else from the disk cache, else scored now
    with a progress bar (every batch is committed to the disk cache as it finishes)."""

    def compute() -> pd.DataFrame:
        bar = st.progress(0.0, text=f"Scoring with {label or rm.name}…")

        def progress(done: int, total: int) -> None:
            bar.progress(
                done / total if total else 1.0, text=f"Scoring with {label or rm.name}: {done:,}/{total:,} texts"
            )

        scores = score_pairs(pairs, rm, cache=score_cache(), progress=progress, content_key=key)
        bar.empty()
        return scores

    return memo().get(("scores", key or content_hash(pairs), rm.cache_key), compute)


@st.cache_resource
def label_cache():
    """The label cache, warmed once with the shipped rule labels of the bundled sample (a fresh start labels
    nothing on the bundled data)."""
    from seal_core.features import LabelCache, RulesFeaturizer
    from seal_core.features.seed import warm_label_cache

    cache = LabelCache()
    warm_label_cache(cache, RulesFeaturizer().key)
    return cache


def get_features(pairs: pd.DataFrame, featurizer_name: str, *, key: str | None = None) -> pd.DataFrame:
    """The Features table of ``pairs`` from a built-in featurizer (disk-cached; in-memory per content hash)."""
    from seal_core.features import get_featurizer, label_pairs

    featurizer = get_featurizer(featurizer_name)

    def compute() -> pd.DataFrame:
        with progress(f"Labelling the texts ({featurizer_name})") as update:
            return label_pairs(pairs, featurizer, cache=label_cache(), progress=update, content_key=key).features

    return memo().get(("features", key or content_hash(pairs), featurizer.key), compute)


@st.cache_resource
def review_store():
    from seal_core.review import ReviewStore

    return ReviewStore()


def get_similarity(pairs: pd.DataFrame, *, key: str | None = None) -> pd.Series:
    """Chosen-vs-rejected response similarity per pair (MiniLM), memoised by content hash. The bundled sample's
    response embeddings ship with the package; other texts are embedded with a progress bar."""
    from seal_core.models.embedding_seed import response_similarity

    def compute() -> pd.Series:
        with progress("Embedding responses for the near-identical check", "responses") as update:
            return response_similarity(pairs, progress=update)

    return memo().get(("similarity", key or content_hash(pairs)), compute)
