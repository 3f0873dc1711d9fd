"""Featurizers by name: ``rules`` (offline) and ``llm`` (an OpenAI-compatible endpoint)."""

from __future__ import annotations

from collections.abc import Callable

from seal_core.features.labelling import Featurizer
from seal_core.features.llm import LLMFeaturizer
from seal_core.features.rules import RulesFeaturizer
from seal_core.options import choose

__all__ = ["FEATURIZERS", "get_featurizer"]

FEATURIZERS: dict[str, Callable[..., Featurizer]] = {"llm": LLMFeaturizer.from_env, "rules": RulesFeaturizer}


def get_featurizer(name: str, **options) -> Featurizer:
    """A featurizer by name: ``rules`` (offline) or ``llm`` (needs an endpoint; see :mod:`seal_core.features.llm`).

    Examples
    --------
    >>> get_featurizer("rules").key
    'rules@1'
    >>> get_featurizer("rule")
    Traceback (most recent call last):
    ...
    seal_core.errors.SealInputError: unknown labeler 'rule'; expected one of ['llm', 'rules']
    """
    return choose("labeler", name, FEATURIZERS)(**options)
