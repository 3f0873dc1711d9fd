"""Where a page's features come from: the built-in rules, the LLM labeler (estimate, then confirm), or a file."""

from __future__ import annotations

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


def choose_features(ctx: Context, *, key: str) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Draw the source picker; return (features, the rules' features, source). Stops the page until ready."""
    source = st.radio("Features from", [RULES, LLM, IMPORT], horizontal=True, key=f"{key}_source")
    with user_errors("Labelling failed"):
        rules = get_features(ctx.pairs, "rules")
    if source == RULES:
        return rules, rules, source
    if source == LLM:
        return _llm(ctx, key), rules, source
    path = st.text_input("Labels file: a Features table (seal label --out) or a SEAL taxonomy CSV", key=f"{key}_path")
    if not path.strip():
        st.info("Enter a file path.")
        st.stop()
    try:
        try:
            feats = read_features(path.strip())
        except SealInputError as e:
            if "SEAL taxonomy file" not in str(e):
                raise
            feats = import_seal_labels(path.strip(), ctx.loaded.pairs)
            st.caption(f"SEAL taxonomy file joined on (row_id, preference); {feats.attrs['unmatched']} row(s) "
                       "matched no pair.")  # fmt: skip
    except SealInputError as e:
        st.error(str(e))
        st.stop()
    feats = feats[feats["pair_id"].isin(set(ctx.pairs["pair_id"]))]
    if feats.empty:
        st.error("No labelled text belongs to a pair of the current slice.")
        st.stop()
    return feats, rules, source


def _llm(ctx: Context, key: str) -> pd.DataFrame:
    settings = llm_settings()
    if not {"SEAL_LLM_BASE_URL", "SEAL_LLM_MODEL"} <= set(settings):
        st.info(
            "No LLM endpoint is configured, so nothing is sent anywhere. Set SEAL_LLM_BASE_URL (any "
            "OpenAI-compatible API: OpenAI, Ollama, vLLM, llama.cpp) and SEAL_LLM_MODEL, plus SEAL_LLM_API_KEY if "
            "needed, in the environment or in .streamlit/secrets.toml, then reload."
        )
        st.stop()
    with user_errors("LLM labeler"):
        featurizer = LLMFeaturizer.from_env(base_url=settings["SEAL_LLM_BASE_URL"], model=settings["SEAL_LLM_MODEL"],
                                            api_key=settings.get("SEAL_LLM_API_KEY"))  # fmt: skip
        cache = label_cache()
        estimate = featurizer.estimate(ctx.pairs, cache=cache)
    progress = None
    if estimate.n_requests:
        st.write(estimate.sentence())
        if not st.button(f"Send {estimate.n_requests:,} texts to {estimate.endpoint}", key=f"{key}_llm_go"):
            st.stop()
        bar = st.progress(0.0, text="Labelling…")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=f"Labelling: {done:,}/{total:,}")

    with user_errors("LLM labelling failed"):
        feats = label_pairs(ctx.pairs, featurizer, cache=cache, progress=progress)
    if feats.attrs.get("failed"):
        st.warning(f"{len(feats.attrs['failed'])} text(s) could not be labelled and are left out; press the button "
                   "again to retry only those.")  # fmt: skip
        feats = feats.dropna(subset=["last_response_is_helpful"])
    return feats
