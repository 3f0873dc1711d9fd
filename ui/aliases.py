"""Natural aliases for page addresses (``/overview``, ``/home``, ``/review``…): hidden pages that forward to the
real page with the link's query parameters, so a guessed or old link never ends in "Page not found"."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# alias -> the page it opens, by url_path or file name ("" is the default page)
ALIASES = {
    "overview": "overview", "home": "", "index": "", "start": "",
    "resistance-in-depth": "resistance", "regimes": "resistance", "alignment-resistance": "resistance",
    "feature-imprint": "imprint", "features": "imprint",
    "reward-shift": "shift", "theta": "shift",
    "alignment-robustness": "robustness", "perturbations": "robustness",
    "review": "triage", "ambiguous": "triage",
    "live-editor": "editor", "edit": "editor",
    "pair-inspector": "inspector", "pair": "inspector", "pairs": "inspector",
    "model-cards": "models", "cards": "models",
    "story": "findings", "summary": "findings",
}  # fmt: skip


def _forward(target: st.Page):
    def forward() -> None:
        st.switch_page(target, query_params=st.query_params.to_dict())

    return forward


def _names(page: st.Page) -> set[str]:
    """The addresses a page answers to: its url_path and its file's name (Streamlit reserves both)."""
    names = {page.url_path}
    source = getattr(page, "_page", None)  # private in Streamlit, and absent outside a running app
    if isinstance(source, (str, Path)):
        names.add(Path(str(source)).stem)
    return names


def alias_pages(pages: list[st.Page]) -> list[st.Page]:
    """Hidden forwarding pages for every alias whose target is among ``pages`` and that names no real page."""
    by_name = {name: p for p in pages for name in _names(p)}
    out = []
    for alias, target in ALIASES.items():
        if target in by_name and alias not in by_name:
            page = by_name[target]
            out.append(st.Page(_forward(page), title=page.title, url_path=alias, visibility="hidden"))
    return out
