"""Natural aliases for page addresses (``/overview``, ``/home``, ``/review``…): hidden pages that forward to the
real page with the link's query parameters, so a guessed or old link never ends in "Page not found"."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# alias -> the url_path of the page it opens ("" is the default page, Overview)
ALIASES = {
    "overview": "", "home": "", "index": "", "start": "",
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


def alias_pages(pages: list[st.Page]) -> list[st.Page]:
    """Hidden forwarding pages for every alias whose target is among ``pages`` and that names no real page."""
    by_path = {p.url_path: p for p in pages}
    reserved = set(by_path) | {Path(str(p._page)).stem for p in pages if isinstance(p._page, (str, Path))}
    out = []
    for alias, target in ALIASES.items():
        if target in by_path and alias not in reserved:
            out.append(st.Page(_forward(by_path[target]), title=by_path[target].title, url_path=alias,
                               visibility="hidden"))  # fmt: skip
    return out
