"""The feature taxonomy: SEAL's 19 LM-labeler keys, the offline rules' features, their roles and their coding.

The Features table has one row per text: ``pair_id``, ``side`` (``chosen``/``rejected``), ``labeler``, then one
column per feature (booleans as 0/1, sentiment as −1/0/+1, counts as numbers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from seal_core.errors import SealInputError

__all__ = ["RULE_FEATURES", "SEAL_KEYS", "SEAL_REGRESSORS", "SEAL_TARGETS", "FeatureKind", "FeatureSpec", "Role",
           "code_value", "feature_roles", "regression_columns", "transform_for_regression"]  # fmt: skip

FeatureKind = Literal["bool", "sentiment", "count"]
Role = Literal["target", "spoiler"]


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: its column name, value kind, default SEAL role and documentation."""

    name: str
    kind: FeatureKind
    role: Role
    definition: str
    misses: str = ""


# SEAL's 19 LM-labeler keys (seal-method.md §3.1); lists are kept as JSON text and left out of regressions.
SEAL_KEYS: dict[str, str] = {
    "assistant_is_anthropomorphic": "bool",
    "assistant_is_coherent": "bool",
    "human_vocabulary_quality": "bool",
    "last_response_is_anthropomorphic": "bool",
    "last_response_is_coherent": "bool",
    "last_response_is_refusal": "bool",
    "last_response_is_helpful": "bool",
    "last_response_is_harmless": "bool",
    "last_response_is_honest": "bool",
    "last_response_sentiment": "sentiment",
    "last_response_contains_insult": "bool",
    "last_response_is_sexually_explicit": "bool",
    "last_response_breaks_privacy": "bool",
    "last_response_is_discriminatory": "bool",
    "last_response_is_discriminating_against": "list",
    "last_response_is_manipulative": "bool",
    "last_response_is_creative": "bool",
    "last_response_is_eloquent": "bool",
    "topics": "list",
}
# SEAL's defaults (seal-method.md §3.1): helpful and harmless are targets, and so (plausibly) are honesty, refusal
# and the harmful-content flags; sentiment, eloquence and coherence are named spoilers; the rest are style too.
SEAL_TARGETS = {
    "last_response_is_helpful", "last_response_is_harmless", "last_response_is_honest", "last_response_is_refusal",
    "last_response_contains_insult", "last_response_is_sexually_explicit", "last_response_breaks_privacy",
    "last_response_is_discriminatory", "last_response_is_manipulative",
}  # fmt: skip
# The 15 regressors of SEAL's imprint regressions (assistant_* dropped for VIF, lists left out).
SEAL_REGRESSORS = [
    k for k, kind in SEAL_KEYS.items() if kind in ("bool", "sentiment") and not k.startswith("assistant_")
]


RULE_FEATURES: dict[str, FeatureSpec] = {
    f.name: f
    for f in [
        FeatureSpec("last_response_is_refusal", "bool", "target",
                    "the response declines the request: 'I can't/won't/cannot help', 'I'm sorry, but I…', "
                    "'that's illegal', 'I'd rather not'",
                    "refusals phrased as redirection or questions; quoted refusals count as refusals"),
        FeatureSpec("last_response_sentiment", "sentiment", "spoiler",
                    "VADER compound score: ≥ 0.05 → +1, ≤ −0.05 → −1, else 0 (VADER's own thresholds)",
                    "sarcasm, and sentiment about a topic rather than toward the user"),
        FeatureSpec("last_response_contains_insult", "bool", "target",
                    "offensive or profane language by alt-profanity-check (probability ≥ 0.5), a linear model "
                    "trained on offensive-language data",
                    "polite or indirect insults; flags profanity that is not aimed at anyone"),
        FeatureSpec("last_response_is_sexually_explicit", "bool", "target",
                    "a sexual-content word from a fixed lexicon (sex, porn, naked, genitals, …)",
                    "euphemisms; flags clinical or educational mentions"),
        FeatureSpec("last_response_breaks_privacy", "bool", "target",
                    "the response contains personal data patterns: e-mail address, phone number, US SSN, card "
                    "number, street address",
                    "names, and personal details written out in words (e.g. 'she lives next to the bakery')"),
        FeatureSpec("last_response_is_anthropomorphic", "bool", "spoiler",
                    "first-person claims of a human life: feelings ('I feel sad'), a body, family, childhood, "
                    "eating or sleeping, 'as a human'",
                    "subtle claims of consciousness; role-play the user asked for"),
        FeatureSpec("response_words", "count", "spoiler",
                    "length of the response in words (whitespace-separated), entered as log2(1 + words) in "
                    "regressions", ""),
        FeatureSpec("response_has_list", "bool", "spoiler",
                    "two or more lines that start a bulleted or numbered list item", "inline lists ('first…, then…')"),
        FeatureSpec("response_has_markdown", "bool", "spoiler",
                    "markdown formatting: headers, **bold**, `code`, [links](…), or bullets",
                    "plain-text emphasis (CAPS, quotes)"),
        FeatureSpec("response_apologizes", "bool", "spoiler",
                    "an apology: sorry, apologise/apologize, apologies, forgive me",
                    "'sorry' in other senses ('a sorry state') also counts"),
        FeatureSpec("response_hedges", "bool", "spoiler",
                    "hedging phrases: I think, maybe, perhaps, probably, might, not sure, it depends, …",
                    "'might' as a noun; hedging by structure rather than words"),
        FeatureSpec("response_asks_question", "bool", "spoiler",
                    "the response asks the user something (contains '?')", "questions without a question mark"),
        FeatureSpec("response_has_url", "bool", "spoiler",
                    "a URL or a bare domain (http(s)://, www., example.com)", "spelled-out addresses ('example dot com')"),
    ]
}  # fmt: skip


_SENTIMENT_CODES = {"negative": -1, "neutral": 0, "positive": 1}


def code_value(value, kind: str):
    """SEAL's coding (seal-method.md §3.2): True→1, False→0; negative/neutral/positive → −1/0/+1; lists as JSON.

    Examples
    --------
    >>> code_value("true", "bool"), code_value(False, "bool"), code_value("negative", "sentiment")
    (1, 0, -1)
    >>> code_value(["Gender"], "list")
    '["Gender"]'
    """
    if kind == "list":
        if isinstance(value, str):
            return value
        return json.dumps(list(value) if isinstance(value, list | tuple | np.ndarray) else [])
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if kind == "sentiment":
        if isinstance(value, str):
            code = _SENTIMENT_CODES.get(value.strip().lower())
            if code is None:
                raise SealInputError("a sentiment label that is not negative, neutral or positive")
            return code
        return int(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "1", "yes"):
            return 1
        if v in ("false", "0", "no"):
            return 0
        raise SealInputError("a boolean label that is not true/false (or 1/0)")
    return int(bool(value))


def feature_roles(features: Sequence[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Target or spoiler for each feature: SEAL's defaults, the rules' defaults, then the user's overrides.

    Examples
    --------
    >>> feature_roles(["last_response_is_helpful", "response_words", "my_flag"], {"my_flag": "target"})
    {'last_response_is_helpful': 'target', 'response_words': 'spoiler', 'my_flag': 'target'}
    """
    roles = {}
    for f in features:
        if f in RULE_FEATURES:
            roles[f] = RULE_FEATURES[f].role
        elif f in SEAL_KEYS:
            roles[f] = "target" if f in SEAL_TARGETS else "spoiler"
        else:
            roles[f] = "spoiler"
    for f, role in (overrides or {}).items():
        if role not in ("target", "spoiler"):
            raise SealInputError(f"feature role for {f!r} must be 'target' or 'spoiler', got {role!r}")
        roles[f] = role
    return roles


def regression_columns(features: pd.DataFrame) -> list[str]:
    """The numeric feature columns of a Features table (identifiers and list/text columns excluded).

    Examples
    --------
    >>> regression_columns(pd.DataFrame({"pair_id": ["a"], "side": ["chosen"], "topics": ["[]"], "response_words": [3]}))
    ['response_words']
    """
    skip = {"pair_id", "side", "labeler", "row_id", "preference", "text"}
    return [c for c in features.columns if c not in skip and pd.api.types.is_numeric_dtype(features[c])]


def to_regression_scale(column: str, values):
    """The values of one feature column as they enter a regression: counts as log2(1 + n), the rest as they are.

    Examples
    --------
    >>> to_regression_scale("response_words", np.array([0.0, 1.0, 7.0])), to_regression_scale("x", 3)
    (array([0., 1., 3.]), 3)
    """
    spec = RULE_FEATURES.get(column)
    return np.log2(1.0 + values) if spec is not None and spec.kind == "count" else values


def transform_for_regression(features: pd.DataFrame) -> pd.DataFrame:
    """Numeric design columns: counts enter as log2(1 + n); everything else as is.

    Examples
    --------
    >>> transform_for_regression(pd.DataFrame({"response_words": [0, 1, 3], "response_hedges": [1, 0, 1]})).values.tolist()
    [[0.0, 1.0], [1.0, 0.0], [2.0, 1.0]]
    """
    out = features.copy()
    for c in regression_columns(features):
        spec = RULE_FEATURES.get(c)
        if spec is not None and spec.kind == "count":
            out[c] = to_regression_scale(c, out[c].astype(float))
    return out
