"""Helpers for the live pair editor: word-level diffs, sentence splitting and sentence attribution.

Pure functions over text and a :class:`~seal_core.models.RewardModel`; the app page only draws their results.
"""

from __future__ import annotations

import difflib
import math
import re

import pandas as pd

from seal_core.models.base import RewardModel

_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|\n+")


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Word-level diff as ``(op, text)`` runs, ``op`` in ``=`` (same), ``-`` (removed), ``+`` (added).

    Examples
    --------
    >>> word_diff("the cat sat", "the dog sat")
    [('=', 'the'), ('-', 'cat'), ('+', 'dog'), ('=', 'sat')]
    """
    a, b = before.split(), after.split()
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("=", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("-", " ".join(a[i1:i2])))
        if j2 > j1:
            out.append(("+", " ".join(b[j1:j2])))
    return out


def diff_as_text(runs: list[tuple[str, str]]) -> str:
    """Render :func:`word_diff` runs as a unified-diff-like text (one run per line), safe to show verbatim."""
    return "\n".join(f"{' ' if op == '=' else op} {text}" for op, text in runs) or "(no change)"


def split_sentences(text: str) -> list[str]:
    """Split a response into sentences (after . ! ? and at line breaks); empty pieces are dropped.

    Examples
    --------
    >>> split_sentences("Hi there. How are you?\\nFine!")
    ['Hi there.', 'How are you?', 'Fine!']
    """
    return [s.strip() for s in _SENTENCE_RE.split(text) if s.strip()]


def sentence_attribution(rm: RewardModel, prompt: str, response: str) -> pd.DataFrame:
    """How much each sentence holds up the score: ``score(response) − score(response without that sentence)``.

    Positive ``delta``: removing the sentence lowers the score (the RM rewards it). All variants are scored in one
    batch. Columns: ``sentence``, ``delta``, ``score_without``.
    """
    sentences = split_sentences(response)
    if not sentences:
        return pd.DataFrame(columns=["sentence", "delta", "score_without"])
    variants = [" ".join(s for k, s in enumerate(sentences) if k != i) for i in range(len(sentences))]
    out = rm.score([prompt] * (len(variants) + 1), [response, *variants])
    full = out.scores[0]
    return pd.DataFrame({"sentence": sentences, "delta": full - out.scores[1:], "score_without": out.scores[1:]})


def p_chosen(margin: float) -> float:
    """Bradley-Terry probability that the chosen response is preferred, σ(margin)."""
    if margin >= 0:
        return 1.0 / (1.0 + math.exp(-margin))
    z = math.exp(margin)
    return z / (1.0 + z)
