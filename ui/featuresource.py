"""Where a page's features come from: the built-in rules, the LLM labeler (estimate, then confirm), or a file."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from seal_core.errors import SealInputError
from seal_core.features import import_seal_labels, label_pairs, read_features
from seal_core.features.llm import LLMFeaturizer
from ui.errors import user_errors
from ui.loaders import get_features, label_cache
from ui.secrets import llm_settings
from ui.sidebar import Context

RULES = "Built-in rules (offline)"
LLM = "LLM labeler (SEAL's 19 keys)"
IMPORT = "Import a labels file"


@dataclass(frozen=True)
class FeatureChoice:
    """The features a page uses: ``features`` is None until the chosen source is ready (the page says why)."""

    features: pd.DataFrame | None
    rules: pd.DataFrame
    source: str
    key: tuple  # what the features depend on, for memo keys


def choose_features(ctx: Context, *, key: str) -> FeatureChoice:
    """Draw the source picker and return the choice; an LLM run waiting for confirmation, a missing endpoint or a
    bad file leave ``features`` None with a message, so the rest of the page can still draw."""
    source = st.radio("Features from", [RULES, LLM, IMPORT], horizontal=True, key=f"{key}_source")
    with user_errors("Labelling failed"):
        rules = get_features(ctx.pairs, "rules", key=ctx.pairs_key)
    if source == RULES:
        return FeatureChoice(rules, rules, source, ("rules", ctx.pairs_key))
    if source == LLM:
        feats, fkey = _llm(ctx, key)
        return FeatureChoice(feats, rules, source, fkey)
    path = st.text_input("Labels file: a Features table (seal label --out) or a SEAL taxonomy CSV", key=f"{key}_path")
    return FeatureChoice(_imported(ctx, path.strip()), rules, source, ("file", path.strip(), _mtime(path.strip()),
                                                                        ctx.pairs_key))  # fmt: skip


def _mtime(path: str) -> float | None:
    try:
        return os.path.getmtime(path)
    except OSError:
        return None


def _imported(ctx: Context, path: str) -> pd.DataFrame | None:
    if not path:
        st.info("Enter a file path.")
        return None
    try:
        try:
            feats = read_features(path)
        except SealInputError as e:
            if "SEAL taxonomy file" not in str(e):
                raise
            imported = import_seal_labels(path, ctx.loaded.pairs)
            feats = imported.features
            st.caption(f"SEAL taxonomy file joined on (row_id, preference); {imported.unmatched} row(s) matched "
                       "no pair.")  # fmt: skip
    except SealInputError as e:
        st.error(str(e))
        return None
    feats = feats[feats["pair_id"].isin(set(ctx.pairs["pair_id"]))]
    if feats.empty:
        st.error("No labelled text belongs to a pair of the current slice.")
        return None
    return feats


def _llm(ctx: Context, key: str) -> tuple[pd.DataFrame | None, tuple]:
    settings = llm_settings()
    if not {"SEAL_LLM_BASE_URL", "SEAL_LLM_MODEL"} <= set(settings):
        st.info(
            "No LLM endpoint is configured, so nothing is sent anywhere. Set SEAL_LLM_BASE_URL (any "
            "OpenAI-compatible API: OpenAI, Ollama, vLLM, llama.cpp) and SEAL_LLM_MODEL, plus SEAL_LLM_API_KEY if "
            "needed, in the environment or in .streamlit/secrets.toml, then reload."
        )
        return None, ()
    with user_errors("LLM labeler"):
        featurizer = LLMFeaturizer.from_env(base_url=settings["SEAL_LLM_BASE_URL"], model=settings["SEAL_LLM_MODEL"],
                                            api_key=settings.get("SEAL_LLM_API_KEY"))  # fmt: skip
        cache = label_cache()
        estimate = featurizer.estimate(ctx.pairs, cache=cache)
    progress = None
    if estimate.n_requests:
        st.write(estimate.sentence())
        if not st.button(f"Send {estimate.n_requests:,} texts to {estimate.endpoint}", key=f"{key}_llm_go"):
            return None, ()
        bar = st.progress(0.0, text="Labelling…")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=f"Labelling: {done:,}/{total:,}")

    with user_errors("LLM labelling failed"):
        result = label_pairs(ctx.pairs, featurizer, cache=cache, progress=progress)
    failed = len(result.failed)
    if failed:
        st.warning(f"{failed} row(s) could not be labelled and are left out; press the button again "
                   "to retry only those.")  # fmt: skip
    feats = result.labelled()
    return feats, ("llm", featurizer.key, ctx.pairs_key, failed)
