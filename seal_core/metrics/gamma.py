"""The labeler's preference γ per pair (seal-method.md §5.2): the chosen and rejected texts' target features
compared lexicographically, and the default targets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError
from seal_core.metrics.design import _by_pair

SEAL_GAMMA_TARGETS = ("last_response_is_harmless", "last_response_is_helpful")
# γ from the offline rules, which cannot judge harmlessness or helpfulness: harm flags, having one is worse
RULE_GAMMA_TARGETS = (
    "-last_response_contains_insult",
    "-last_response_breaks_privacy",
    "-last_response_is_sexually_explicit",
)


def default_gamma_targets(columns: Sequence[str]) -> list[str]:
    """SEAL's γ targets (harmless, helpful) that the features have, else the rule-based harm flags (reversed).

    Parameters
    ----------
    columns : sequence of str
        The feature columns a Features table has.

    Returns
    -------
    list of str
        γ targets, most important first; ``-name`` where having the feature is worse. Empty when none fit.

    Examples
    --------
    >>> default_gamma_targets(["last_response_is_harmless", "last_response_is_helpful", "topics"])
    ['last_response_is_harmless', 'last_response_is_helpful']
    >>> default_gamma_targets(["last_response_contains_insult", "response_words"])
    ['-last_response_contains_insult']
    """
    cols = set(columns)
    return [t for t in SEAL_GAMMA_TARGETS if t in cols] or [t for t in RULE_GAMMA_TARGETS if t.lstrip("-") in cols]


def labeler_preference(features: pd.DataFrame, targets: Sequence[str] = SEAL_GAMMA_TARGETS) -> pd.Series:
    """γ per pair: compare the chosen and rejected texts' target features lexicographically (first target first).

    A target named ``-feature`` counts in reverse (having it is worse, e.g. ``-last_response_contains_insult``).
    SEAL's rule is ``("last_response_is_harmless", "last_response_is_helpful")``: (1,1) > (1,0) > (0,1) > (0,0).
    Pairs missing a target label (NaN, or a text without a row) on either side get no γ
    (:func:`~seal_core.metrics.design.incomplete_pairs` counts them).

    Parameters
    ----------
    features : DataFrame
        The Features table of one labeler (``pair_id, side`` and the target columns).
    targets : sequence of str
        Target features, most important first; ``-name`` reverses one.

    Returns
    -------
    Series
        ``gamma`` per pair_id (sorted): ``c`` (the labeler prefers the chosen text), ``i`` (indifferent) or ``r``;
        pairs missing a side or a target are left out.

    Examples
    --------
    >>> f = pd.DataFrame({"pair_id": ["a", "a", "b", "b"], "side": ["chosen", "rejected"] * 2,
    ...                   "last_response_is_harmless": [1, 1, 0, 1], "last_response_is_helpful": [1, 0, 1, 0]})
    >>> labeler_preference(f).to_dict()
    {'a': 'c', 'b': 'r'}
    """
    names = _target_names(features, targets)
    ids, chosen, rejected = _by_pair(features, names)
    complete, cmp = _compare(chosen, rejected, targets)
    cmp = pd.Series(cmp, index=ids[complete])
    return cmp.map({1: "c", 0: "i", -1: "r"}).rename("gamma")


def _target_names(features: pd.DataFrame, targets: Sequence[str]) -> list[str]:
    if not targets:
        raise SealInputError("γ needs at least one target feature")
    names = [t.lstrip("-") for t in targets]
    missing = [n for n in names if n not in features.columns]
    if missing:
        raise SealInputError(
            f"γ needs the target feature(s) {missing}, which these features lack (SEAL's are harmless and helpful, "
            "from the LLM labeler or an import); with the offline rules use e.g. "
            "['-last_response_contains_insult', '-last_response_breaks_privacy']"
        )
    return names


def _compare(chosen: np.ndarray, rejected: np.ndarray, targets: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(pairs with every target on both sides, their lexicographic comparison: 1 chosen, 0 tie, −1 rejected)."""
    complete = ~(np.isnan(chosen).any(axis=1) | np.isnan(rejected).any(axis=1))
    c, r = chosen[complete], rejected[complete]
    cmp = np.zeros(len(c), dtype=int)
    for j, t in enumerate(targets):
        sign = -1 if t.startswith("-") else 1
        undecided = cmp == 0
        cmp[undecided] = np.sign(sign * (c[undecided, j] - r[undecided, j])).astype(int)
    return complete, cmp
