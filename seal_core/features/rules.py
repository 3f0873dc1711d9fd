"""The offline ``rules`` labeler: rules, lexicons and small shipped models (VADER, alt-profanity-check).

See :data:`~seal_core.features.taxonomy.RULE_FEATURES` for what each feature means and what it misses. Instant,
deterministic, no network. :func:`rules_quality` measures it against hand labels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from seal_core.features.labelling import Featurizer
from seal_core.features.taxonomy import RULE_FEATURES

__all__ = ["HAND_LABEL_KEYS", "RulesFeaturizer", "rules_quality"]


_REFUSAL = re.compile(
    r"\b(i\s*(?:can(?:no|')t|cannot|won't|will not|am not able to|'m not able to|am unable to|'m unable to|"
    r"refuse|don't feel comfortable|do not feel comfortable|'m not comfortable|am not comfortable|"
    r"would rather not|'d rather not|must decline|can't help|cannot help|can't assist|cannot assist)|"
    r"i'm (?:sorry|afraid),? (?:but )?i (?:can|won|will|am|'m)|"
    r"(?:it|that) (?:is|'s|would be) (?:illegal|not (?:okay|ok|appropriate|something i))|"
    r"i don't (?:think i (?:can|should)|want to help)|not going to help|"
    r"i do not (?:think i (?:can|should)|want to help)|not programmed (?:for|to)|"
    r"(?:is|are) (?:an )?illegal(?: activity| activities)?\b)",
    re.IGNORECASE,
)
_SEXUAL = re.compile(
    r"\b(sex(?:ual(?:ly)?)?|porn\w*|naked|nude|nudity|penis|vagina|orgasm\w*|masturbat\w*|erotic\w*|"
    r"genital\w*|horny|intercourse|blowjob|dildo|boobs?|breasts?|clitoris|ejaculat\w*|fetish\w*|"
    r"threesome|stripper|hooker|prostitut\w*)\b",
    re.IGNORECASE,
)
_PII = {
    "email": re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b"),
    "phone": re.compile(r"(?<!\d)(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}(?!\d)"),
    "ssn": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "card": re.compile(r"\b(?:\d{4}[ -]?){3}\d{4}\b"),
    "street address": re.compile(
        r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|"
        r"Court|Ct|Way|Place|Pl|Terrace)\b\.?"
    ),
}
_ANTHRO = re.compile(
    r"\b(i (?:feel|felt) (?:so |very |really )?(?:sad|happy|hurt|angry|lonely|scared|excited|bad|good|great|"
    r"tired|upset)|my (?:wife|husband|girlfriend|boyfriend|mom|mother|dad|father|kids?|children|family|"
    r"body|childhood|parents|friends?)|when i was (?:a kid|young|little|growing up|in (?:school|college))|"
    r"as a (?:human|person|woman|man)|i(?:'m| am) (?:a )?(?:human|real person|person)|i have feelings|"
    r"i (?:ate|drank|slept|went to|grew up|live in|was born)|i love (?:you|eating|going|to eat)|"
    r"i(?:'m| am) (?:so )?(?:hungry|tired|sleepy|lonely))\b",
    re.IGNORECASE,
)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_APOLOGY = re.compile(r"\b(sorry|apologi[sz]e|apologies|my apology|my bad|forgive me)\b", re.IGNORECASE)
_HEDGE = re.compile(
    r"\b(i think|i believe|i guess|i'm not sure|i am not sure|not sure|maybe|perhaps|possibly|probably|might|"
    r"it seems|it depends|i suppose|likely|could be|kind of|sort of)\b",
    re.IGNORECASE,
)
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|org|net|gov|edu|io)\b(?:/\S*)?", re.IGNORECASE)
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+\S", re.MULTILINE)
_MARKDOWN = re.compile(r"(^#{1,6}\s)|(\*\*[^*]+\*\*)|(`[^`]+`)|(^\s*[-*]\s)|(\[[^\]]+\]\([^)]+\))", re.MULTILINE)


def _vader() -> Callable[[str], float]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return lambda text: analyzer.polarity_scores(text)["compound"]


def _profanity(texts: Sequence[str]) -> np.ndarray:
    from profanity_check import predict_prob  # a linear model; 4 s to import, fast when batched

    return predict_prob(list(texts)) if len(texts) else np.zeros(0)


def _rules_featurize(prompts: Sequence[str], responses: Sequence[str]) -> pd.DataFrame:
    vader = _vader()
    profane = _profanity(responses) >= 0.5
    rows = []
    for raw, prof in zip(responses, profane):
        resp = raw.translate(_QUOTES)  # hh-rlhf mixes ’ and ': match both
        compound = vader(resp) if resp.strip() else 0.0
        rows.append({
            "last_response_is_refusal": int(bool(_REFUSAL.search(resp))),
            "last_response_sentiment": 1 if compound >= 0.05 else (-1 if compound <= -0.05 else 0),
            "last_response_contains_insult": int(bool(prof)),
            "last_response_is_sexually_explicit": int(bool(_SEXUAL.search(resp))),
            "last_response_breaks_privacy": int(any(p.search(resp) for p in _PII.values())),
            "last_response_is_anthropomorphic": int(bool(_ANTHRO.search(resp))),
            "response_words": len(resp.split()),
            "response_has_list": int(len(_LIST_LINE.findall(resp)) >= 2),
            "response_has_markdown": int(bool(_MARKDOWN.search(resp))),
            "response_apologizes": int(bool(_APOLOGY.search(resp))),
            "response_hedges": int(bool(_HEDGE.search(resp))),
            "response_asks_question": int("?" in resp),
            "response_has_url": int(bool(_URL.search(resp))),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(RULE_FEATURES))


class RulesFeaturizer(Featurizer):
    """The offline rules featurizer (see :data:`RULE_FEATURES`).

    Examples
    --------
    >>> f = RulesFeaturizer()._label(["\\n\\nHuman: hi\\n\\n"], ["I'm sorry, but I can't help with that. Maybe ask a doctor?"])
    >>> f.loc[0, ["last_response_is_refusal", "response_apologizes", "response_hedges", "response_asks_question"]].tolist()
    [1, 1, 1, 1]
    """

    name = "rules"
    version = "1"
    specs = RULE_FEATURES

    def _label(self, prompts: list[str], responses: list[str]) -> pd.DataFrame:
        return _rules_featurize(prompts, responses)


HAND_LABEL_KEYS = {
    "ref": "last_response_is_refusal",
    "ins": "last_response_contains_insult",
    "sex": "last_response_is_sexually_explicit",
    "priv": "last_response_breaks_privacy",
    "anth": "last_response_is_anthropomorphic",
    "list": "response_has_list",
    "md": "response_has_markdown",
    "apol": "response_apologizes",
    "hedge": "response_hedges",
    "q": "response_asks_question",
    "url": "response_has_url",
}


def rules_quality(hand_labels: str | Path) -> pd.DataFrame:
    """Precision, recall and Cohen's κ of the rules featurizer against hand labels.

    The hand labels are JSON Lines, ``{"text": ..., "labels": {short key: 0/1, "sent": -1/0/1}}`` (short keys in
    :data:`HAND_LABEL_KEYS`); sentiment is scored as two binary features (positive, negative).

    Examples
    --------
    >>> import json, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "hand.jsonl"
    >>> labels = dict.fromkeys(HAND_LABEL_KEYS, 0) | {"sent": 0}
    >>> _ = path.write_text("\\n".join(json.dumps({"text": t, "labels": labels | extra}) for t, extra in [
    ...     ("I'm sorry, I can't help.", {"ref": 1, "apol": 1, "sent": -1}), ("The capital is Paris.", {})]))
    >>> q = rules_quality(path).set_index("feature")
    >>> q.loc["last_response_is_refusal", ["precision", "recall"]].tolist()
    [1.0, 1.0]
    """
    from sklearn.metrics import cohen_kappa_score, precision_score, recall_score

    rows = [json.loads(line) for line in Path(hand_labels).read_text().splitlines() if line.strip()]
    got = RulesFeaturizer()._label([""] * len(rows), [r["text"] for r in rows])
    pairs = {name: ([r["labels"][k] for r in rows], got[name].tolist()) for k, name in HAND_LABEL_KEYS.items()}
    sent_true, sent_pred = [r["labels"]["sent"] for r in rows], got["last_response_sentiment"].tolist()
    for sign, label in ((1, "positive"), (-1, "negative")):
        pairs[f"last_response_sentiment = {label}"] = (
            [int(v == sign) for v in sent_true],
            [int(v == sign) for v in sent_pred],
        )
    out = []
    for name, (y, yhat) in pairs.items():
        out.append({
            "feature": name, "n": len(y), "positives": int(sum(y)),
            "precision": precision_score(y, yhat, zero_division=0.0), "recall": recall_score(y, yhat, zero_division=0.0),
            "kappa": cohen_kappa_score(y, yhat),
        })  # fmt: skip
    return pd.DataFrame(out)
