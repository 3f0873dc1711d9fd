"""Secrets and endpoint settings: the environment first, then ``.streamlit/secrets.toml`` (git-ignored).

A missing secrets file is fine; values are never shown, logged or exported.
"""

from __future__ import annotations

import os

import streamlit as st

LLM_VARS = ("SEAL_LLM_BASE_URL", "SEAL_LLM_MODEL", "SEAL_LLM_API_KEY", "SEAL_LLM_PRICE_IN", "SEAL_LLM_PRICE_OUT")


def secret(name: str) -> str | None:
    if os.environ.get(name):
        return os.environ[name]
    try:
        value = st.secrets.get(name)
    except Exception:  # no secrets file, or a malformed one: treat as unset
        return None
    return str(value) if value not in (None, "") else None


def llm_settings() -> dict[str, str]:
    """The LLM endpoint variables that are set (environment or secrets)."""
    return {k: v for k in LLM_VARS if (v := secret(k))}
