"""Featurizers: label every chosen and rejected text with SEAL's target and spoiler features.

The Features table has one row per text: ``pair_id``, ``side`` (``chosen``/``rejected``), ``labeler``, then one
column per feature (booleans as 0/1, sentiment as −1/0/+1, counts as numbers). Labels are cached on disk by
(labeler, version, text hash), so relabelling a dataset only labels new texts.

Built-in labelers:

``rules``  offline rules, lexicons and small shipped models (VADER, alt-profanity-check); see :data:`RULE_FEATURES`
           for what each feature means and what it misses. Instant, deterministic, no network.
``llm``    SEAL's LM labeler (all 19 keys) through any OpenAI-compatible endpoint (:mod:`seal_core.llm_labeler`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from seal_core._sqlite import SQLiteStore
from seal_core.errors import SealInputError

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


# --------------------------------------------------------------------------------------------- rules

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


# --------------------------------------------------------------------------------------------- interface


class Featurizer:
    """Labels (prompt, response) texts; subclasses set ``name``, ``version``, ``specs`` and implement ``_label``."""

    name: str = ""
    version: str = "1"
    specs: dict[str, FeatureSpec] = {}

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    def _label(self, prompts: list[str], responses: list[str]) -> pd.DataFrame:
        raise NotImplementedError


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


def _text_key(prompt: str, response: str) -> str:
    return hashlib.blake2b(f"{prompt}\x1e{response}".encode(), digest_size=16).hexdigest()


class LabelCache(SQLiteStore):
    """Feature labels on disk (SQLite, WAL): one JSON object per (labeler key, text hash); each batch one commit."""

    what = "label cache"
    default_name = "labels.sqlite"
    schema = (
        "CREATE TABLE IF NOT EXISTS labels (labeler TEXT NOT NULL, text_key TEXT NOT NULL, "
        "labels TEXT NOT NULL, PRIMARY KEY (labeler, text_key)) WITHOUT ROWID",
    )

    def get_many(self, labeler: str, keys: Sequence[str]) -> dict[str, dict]:
        out = {}
        keys = list(dict.fromkeys(keys))
        con = self._conn()
        for i in range(0, len(keys), 900):
            chunk = keys[i : i + 900]
            q = f"SELECT text_key, labels FROM labels WHERE labeler = ? AND text_key IN ({','.join('?' * len(chunk))})"
            for k, v in con.execute(q, [labeler, *chunk]):
                out[k] = json.loads(v)
        return out

    def put_many(self, labeler: str, items: dict[str, dict]) -> None:
        con = self._conn()
        with con:
            con.executemany(
                "INSERT OR REPLACE INTO labels VALUES (?, ?, ?)",
                [(labeler, k, json.dumps(v, sort_keys=True)) for k, v in items.items()],
            )


def _clean(value):
    if isinstance(value, np.integer | np.bool_):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def label_pairs(
    pairs: pd.DataFrame,
    featurizer: Featurizer,
    *,
    cache: LabelCache | None = None,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Label both sides of every pair; returns the Features table (one row per text).

    Each batch is committed to the cache as soon as it is labelled. A text the featurizer could not label (an LLM
    that kept failing) gets empty (NaN) features, is not cached, and is listed in ``result.attrs["failed"]``; the
    next run asks for it again.

    Examples
    --------
    >>> from seal_core import load_pairs
    >>> feats = label_pairs(load_pairs().pairs.head(3), RulesFeaturizer())
    >>> feats[["pair_id", "side", "labeler"]].shape, sorted(feats.side.unique())
    ((6, 3), ['chosen', 'rejected'])
    """
    missing = {"pair_id", "prompt_chosen", "prompt_rejected", "chosen", "rejected"} - set(pairs.columns)
    if missing:
        raise SealInputError(f"the pairs table lacks column(s) {sorted(missing)}; load it with seal_core.load_pairs")
    prompts = pairs["prompt_chosen"].tolist() + pairs["prompt_rejected"].tolist()
    responses = pairs["chosen"].tolist() + pairs["rejected"].tolist()
    keys = [_text_key(p, r) for p, r in zip(prompts, responses)]
    unique = dict(zip(keys, zip(prompts, responses)))
    found = cache.get_many(featurizer.key, list(unique)) if cache is not None else {}
    todo = [k for k in unique if k not in found]
    batch_size = batch_size or getattr(featurizer, "batch_size", None) or 256
    failed: list[str] = []
    if progress:
        progress(0, len(todo))
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        labels = featurizer._label([unique[k][0] for k in chunk], [unique[k][1] for k in chunk])
        new = {}
        for k, row in zip(chunk, labels.to_dict("records")):
            if row.get("__failed__") is True:
                failed.append(k)
                continue
            new[k] = {c: _clean(v) for c, v in row.items() if c != "__failed__" and not _isnan(v)}
        if cache is not None and new:
            cache.put_many(featurizer.key, new)
        found.update(new)
        if progress:
            progress(min(start + batch_size, len(todo)), len(todo))
    n = len(pairs)
    table = pd.DataFrame([found.get(k, {}) for k in keys], columns=list(featurizer.specs) or None)
    head = pd.DataFrame({
        "pair_id": np.concatenate([pairs["pair_id"].to_numpy()] * 2),
        "side": ["chosen"] * n + ["rejected"] * n,
        "labeler": featurizer.key,
    })  # fmt: skip
    out = pd.concat([head, table.reset_index(drop=True)], axis=1)
    out.attrs["failed"] = failed
    return out


def _isnan(v) -> bool:
    return isinstance(v, float) and v != v


_SENTIMENT_CODES = {"negative": -1, "neutral": 0, "positive": 1}


def _code_value(value, kind: str):
    """SEAL's coding (seal-method.md §3.2): True→1, False→0; negative/neutral/positive → −1/0/+1; lists as JSON."""
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
                raise SealInputError(f"sentiment {value!r}: expected negative, neutral or positive")
            return code
        return int(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("true", "1", "yes"):
            return 1
        if v in ("false", "0", "no"):
            return 0
        raise SealInputError(f"boolean label {value!r}: expected true/false")
    return int(bool(value))


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
    """Precision, recall and Cohen's κ of the rules featurizer against a hand-labelled JSONL
    (``{"text": ..., "labels": {short key: 0/1, "sent": -1/0/1}}``); sentiment is scored as two binary features."""
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


FEATURIZERS: dict[str, Callable[[], Featurizer]] = {"rules": RulesFeaturizer}


def get_featurizer(name: str, **options) -> Featurizer:
    """A featurizer by name: ``rules`` (offline) or ``llm`` (needs an endpoint; see :mod:`seal_core.llm_labeler`)."""
    if name == "llm":
        from seal_core.llm_labeler import LLMFeaturizer

        return LLMFeaturizer.from_env(**options)
    if name not in FEATURIZERS:
        raise SealInputError(f"unknown labeler {name!r}; expected one of {sorted([*FEATURIZERS, 'llm'])}")
    return FEATURIZERS[name]()


def feature_roles(features: Sequence[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Target or spoiler for each feature: SEAL's defaults, the rules' defaults, then the user's overrides."""
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
    """The numeric feature columns of a Features table (identifiers and list/text columns excluded)."""
    skip = {"pair_id", "side", "labeler", "row_id", "preference", "text"}
    return [c for c in features.columns if c not in skip and pd.api.types.is_numeric_dtype(features[c])]


def transform_for_regression(features: pd.DataFrame) -> pd.DataFrame:
    """Numeric design columns: counts enter as log2(1 + n); everything else as is."""
    out = features.copy()
    for c in regression_columns(features):
        spec = RULE_FEATURES.get(c)
        if spec is not None and spec.kind == "count":
            out[c] = np.log2(1.0 + out[c].astype(float))
    return out
