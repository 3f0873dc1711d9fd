"""Featurizers by name: ``rules`` (offline) and ``llm`` (an OpenAI-compatible endpoint)."""

from __future__ import annotations

from collections.abc import Callable

from seal_core.errors import SealInputError
from seal_core.features.labelling import Featurizer
from seal_core.features.llm import LLMFeaturizer
from seal_core.features.rules import RulesFeaturizer

__all__ = ["FEATURIZERS", "get_featurizer"]

FEATURIZERS: dict[str, Callable[..., Featurizer]] = {"rules": RulesFeaturizer, "llm": LLMFeaturizer.from_env}


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
    if name not in FEATURIZERS:
        raise SealInputError(f"unknown labeler {name!r}; expected one of {sorted(FEATURIZERS)}")
    return FEATURIZERS[name](**options)
