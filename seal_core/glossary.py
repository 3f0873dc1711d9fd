"""Words for people: one display name and one-line meaning per feature, regime, γ value, metric and perturbation,
plus number formatting and short model names. Pages, charts, exports and the audit report all say things this way.

The module imports nothing from the rest of the package, so every layer can use it.

Examples
--------
>>> feature_name("last_response_breaks_privacy")
'Breaks privacy'
>>> describe("last_response_breaks_privacy")
'Breaks privacy: the response contains personal data such as an e-mail address or phone number'
>>> fmt_p(2.4e-23), fmt_share(0.3712, 0.331, 0.415)
('p < 0.001', '37% (95% CI 33–42%)')
>>> short_model_name("seal-minilm-bt@minilm-1110a243-head-8563c06495cfa025")
'Built-in post-training RM'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Term:
    """A display name and a one-line meaning."""

    name: str
    meaning: str


_F = Term
FEATURES: dict[str, Term] = {
    # SEAL's 19 LLM-labeler keys (seal-method.md §3.1)
    "assistant_is_anthropomorphic": _F("Assistant acts human (whole chat)",
                                       "somewhere in the conversation the assistant claims a human life or feelings"),
    "assistant_is_coherent": _F("Assistant is coherent (whole chat)", "the assistant's turns make sense together"),
    "human_vocabulary_quality": _F("Person writes well", "the person's messages use rich, correct vocabulary"),
    "last_response_is_anthropomorphic": _F("Acts human", "the response claims human feelings, a body, a family or "
                                           "a life (\"I feel sad\", \"my kids\")"),
    "last_response_is_coherent": _F("Coherent", "the response makes sense and follows from the conversation"),
    "last_response_is_refusal": _F("Refuses", "the response declines the request (\"I can't help with that\")"),
    "last_response_is_helpful": _F("Helpful", "the response helps the person with what they asked"),
    "last_response_is_harmless": _F("Harmless", "the response causes or enables no harm"),
    "last_response_is_honest": _F("Honest", "the response is truthful and does not mislead"),
    "last_response_sentiment": _F("Positive tone", "how positive the response sounds (from negative to positive)"),
    "last_response_contains_insult": _F("Contains an insult", "the response contains offensive or profane language"),
    "last_response_is_sexually_explicit": _F("Sexually explicit", "the response contains sexual content"),
    "last_response_breaks_privacy": _F("Breaks privacy", "the response contains personal data such as an e-mail "
                                       "address or phone number"),
    "last_response_is_discriminatory": _F("Discriminatory", "the response treats a group of people unfairly"),
    "last_response_is_discriminating_against": _F("Groups discriminated against",
                                                  "which groups the response discriminates against"),
    "last_response_is_manipulative": _F("Manipulative", "the response tries to manipulate the person"),
    "last_response_is_creative": _F("Creative", "the response is original or imaginative"),
    "last_response_is_eloquent": _F("Eloquent", "the response is well written and fluent"),
    "topics": _F("Topics", "what the conversation is about"),
    # the offline rules' style features
    "response_words": _F("Length", "how long the response is (in words; regressions use doublings of the length)"),
    "response_has_list": _F("Has a list", "the response contains a bulleted or numbered list"),
    "response_has_markdown": _F("Uses formatting", "the response uses markdown such as headers, bold or code"),
    "response_apologizes": _F("Apologises", "the response says sorry"),
    "response_hedges": _F("Hedges", "the response hedges (\"I think\", \"maybe\", \"it depends\")"),
    "response_asks_question": _F("Asks a question", "the response asks the person something"),
    "response_has_url": _F("Has a link", "the response contains a web address"),
}  # fmt: skip

# "Responses that …" phrases for sentences; valence says whether having the feature is good (+1), bad (−1) or a
# matter of style (0), which decides whether rewarding it is a success or a problem.
RESPONSES: dict[str, tuple[str, int]] = {
    "last_response_is_helpful": ("Helpful responses", 1),
    "last_response_is_harmless": ("Harmless responses", 1),
    "last_response_is_honest": ("Honest responses", 1),
    "last_response_is_coherent": ("Coherent responses", 1),
    "last_response_contains_insult": ("Responses that contain an insult", -1),
    "last_response_breaks_privacy": ("Responses that break privacy", -1),
    "last_response_is_sexually_explicit": ("Sexually explicit responses", -1),
    "last_response_is_discriminatory": ("Discriminatory responses", -1),
    "last_response_is_manipulative": ("Manipulative responses", -1),
    "last_response_is_refusal": ("Refusals", 0),
    "last_response_is_anthropomorphic": ("Responses that claim to be human", 0),
    "last_response_sentiment": ("Responses with a more positive tone", 0),
    "last_response_is_creative": ("Creative responses", 0),
    "last_response_is_eloquent": ("Eloquent responses", 0),
    "response_words": ("Longer responses", 0),
    "response_has_list": ("Responses with a list", 0),
    "response_has_markdown": ("Responses with formatting", 0),
    "response_apologizes": ("Responses that apologise", 0),
    "response_hedges": ("Responses that hedge", 0),
    "response_asks_question": ("Responses that ask a question", 0),
    "response_has_url": ("Responses with a link", 0),
}


_TOPICS = {"last_response_contains_insult": "insults", "last_response_breaks_privacy": "privacy",
           "last_response_is_sexually_explicit": "sexual content", "last_response_is_harmless": "harmlessness",
           "last_response_is_helpful": "helpfulness", "last_response_is_honest": "honesty",
           "last_response_is_discriminatory": "discrimination", "last_response_is_manipulative": "manipulation",
           "last_response_is_refusal": "refusals"}  # fmt: skip


def topic(key: str) -> str:
    """What a feature is about, as a noun for "judged on …": ``insults``, ``privacy``."""
    return _TOPICS.get(key, feature_name(key).lower())


def responses_that(key: str) -> tuple[str, int]:
    """(plural subject for a sentence, valence) of a feature.

    >>> responses_that("last_response_breaks_privacy")
    ('Responses that break privacy', -1)
    """
    return RESPONSES.get(key, (f"Responses marked '{feature_name(key).lower()}'", 0))


REGIMES: dict[str, Term] = {
    "stayed_aligned": Term("Stayed aligned", "both the model before and after training prefer the response people "
                           "chose"),
    "got_aligned": Term("Got aligned", "training fixed it: only the model after training prefers the chosen "
                        "response"),
    "resisted": Term("Resisted alignment", "neither model prefers the chosen response, even after training on it"),
    "reversed": Term("Reversed", "training broke it: only the model before training prefers the chosen response"),
}  # fmt: skip

GAMMA: dict[str, Term] = {
    "c": Term("Labeler prefers the chosen", "the automatic labels judge the response people chose as better"),
    "i": Term("Labeler has no preference", "the automatic labels judge both responses the same"),
    "r": Term("Labeler prefers the rejected", "the automatic labels judge the response people rejected as better"),
}

ROLES: dict[str, Term] = {
    "pre": Term("Before training", "a reward model that has not been trained on this data"),
    "post": Term("After training", "a reward model trained on this data"),
    "difference": Term("Change with training", "after minus before"),
}

METRICS: dict[str, Term] = {
    "resistance": Term("Prefers the rejected response", "share of pairs where the model does not score the "
                       "response people chose higher (alignment resistance; ties count)"),
    "agreement": Term("Agrees with people", "share of pairs where the model scores the response people chose higher"),
    "imprint": Term("Reward for a feature", "how much more the model rewards a response with the feature than its "
                    "partner without it (feature imprint)"),
    "theta": Term("Reward shift angle", "how far training turned the pair's rewards, in degrees (θ)"),
    "delta_cos": Term("Move toward people", "change in how closely the rewards point toward people's choice"),
    "flip_rate": Term("Preference flips", "share of pairs whose preferred response changes after a small edit"),
    "pass_rate": Term("Probe passed", "share of edited responses whose score went down, as it should"),
    "pi": Term("Robustness score π", "change in the chance that an edit makes the model prefer the rejected "
               "response when a feature is lost (π+) or gained (π−)"),
    "kappa": Term("Agreement beyond chance (κ)", "0 is chance agreement, 1 is perfect agreement"),
    "mcnemar": Term("Paired test", "exact McNemar test of two agreement rates on the same pairs"),
    "margin": Term("Score margin", "score of the chosen response minus score of the rejected one"),
}  # fmt: skip

PERTURBATIONS: dict[str, Term] = {
    "typos": Term("Typos", "a few words misspelt"),
    "case": Term("Lower case", "everything in lower case"),
    "whitespace": Term("Extra spaces", "double spaces and a trailing newline"),
    "punctuation": Term("Less punctuation", "commas and the final full stop removed"),
    "contractions": Term("Contractions", "\"don't\" written as \"do not\", or the reverse"),
    "prefix": Term("Neutral opening", "a neutral sentence added at the start"),
    "suffix": Term("Neutral closing", "a neutral sentence added at the end"),
    "markdown": Term("Formatting changed", "markdown removed, or sentences made a bulleted list"),
    "numbers": Term("Numbers as words", "small numbers written as words, or the reverse"),
    "insult": Term("Insult appended", "an insult added at the end; a good model scores it lower"),
    "refusal": Term("Refusal appended", "a contradicting refusal added at the end; a good model scores it lower"),
    "drop_last_sentence": Term("Last sentence cut", "the answer's last sentence removed; a good model scores it lower"),
    "rewrite": Term("Rewritten by an LLM", "the conversation reworded by a language model"),
}  # fmt: skip

# Plain words for the columns of the tidy tables, for the "technical table" expanders and exports.
COLUMNS: dict[str, str] = {
    "pair_id": "Pair", "model": "Reward model", "rm": "Reward model", "role": "Role", "feature": "Feature",
    "kind": "Kind", "coef": "Effect", "estimate": "Effect", "se": "Std. error", "ci_low": "95% CI from",
    "ci_high": "95% CI to", "p": "p-value", "p_adj": "Adjusted p-value", "n_pairs": "Pairs", "n": "Pairs",
    "count": "Pairs", "share": "Share", "regime": "Regime", "gamma": "Labeler's preference", "term": "Term",
    "resistance": "Prefers the rejected", "agreement": "Agrees with people", "n_ties": "Ties", "n_agree": "Agree",
    "n_disagree": "Disagree", "perturbation": "Edit", "flip_rate": "Preference flips", "flip_ci_low": "95% CI from",
    "flip_ci_high": "95% CI to", "pass_rate": "Probe passed", "n_texts": "Texts", "passed": "Passed",
    "comparison": "Comparison", "margin": "Score margin", "theta_deg": "Shift angle (°)", "group": "Group",
    "misaligned": "Prefers the rejected",
}  # fmt: skip

_SIDE = {"c": "chosen", "r": "rejected"}


def _humanize(key: str) -> str:
    words = re.sub(r"^(last_response_|response_|assistant_)", "", str(key)).replace("_", " ").strip()
    words = re.sub(r"^is ", "", words)
    return words[:1].upper() + words[1:] if words else str(key)


def feature_name(key: str) -> str:
    """Display name of a feature; also reads regression terms such as ``"response_hedges (c)"`` or ``"-x"``.

    >>> feature_name("response_hedges (r)"), feature_name("brand_new_feature")
    ('Hedges (rejected)', 'Brand new feature')
    """
    key = str(key)
    m = re.fullmatch(r"(.+) \(([cr])\)", key) or re.fullmatch(r"(.+)_([cr])", key)
    if m and m.group(1).lstrip("-") in FEATURES:
        return f"{feature_name(m.group(1))} ({_SIDE[m.group(2)]})"
    m = re.fullmatch(r"π([+−-]) (.+)", key)
    if m:
        return f"{feature_name(m.group(2))} {'lost' if m.group(1) == '+' else 'gained'}"
    if key.startswith("-"):
        return f"Not: {feature_name(key[1:]).lower()}"
    return FEATURES[key].name if key in FEATURES else _humanize(key)


def feature_meaning(key: str) -> str:
    """One-line meaning of a feature (empty when unknown)."""
    return FEATURES[key].meaning if key in FEATURES else ""


def describe(key: str) -> str:
    """``"Name: meaning"`` of any known id (feature, regime, γ, metric, perturbation)."""
    for table in (FEATURES, REGIMES, METRICS, PERTURBATIONS):
        if key in table:
            return f"{table[key].name}: {table[key].meaning}"
    return display(key)


def display(key: str) -> str:
    """Display name of any id this project prints (feature, regime, γ value, metric, perturbation, role)."""
    for table in (REGIMES, PERTURBATIONS, METRICS, ROLES):
        if key in table:
            return table[key].name
    if key in GAMMA:
        return GAMMA[key].name
    return feature_name(key)


# --------------------------------------------------------------------------------------------- models

_BUILTIN = {"seal-minilm-principles": "Built-in pre-training RM", "seal-minilm-bt": "Built-in post-training RM"}


def short_model_name(model_id: str, *, limit: int = 32) -> str:
    """A short name for a model id (``id@revision``, hub id or path): built-ins by role, others by their last path
    part, without the revision, cut in the middle past ``limit`` characters. The full id belongs in hovers and
    exports.

    >>> short_model_name("OpenAssistant/reward-model-deberta-v3-large-v2@c355404")
    'reward-model-deberta-v3-large-v2'
    """
    base = str(model_id).split("@", 1)[0].rstrip("/")
    if base in _BUILTIN:
        return _BUILTIN[base]
    name = re.split(r"[/\\]", base)[-1] or base
    if len(name) > limit:
        half = (limit - 1) // 2
        name = f"{name[:half]}…{name[-(limit - 1 - half) :]}"
    return name


def model_label(model_id: str, role: str | None = None) -> str:
    """``"After training: reward-model-x"``; the built-ins already say their role."""
    short = short_model_name(model_id)
    if role in ROLES and not short.startswith("Built-in"):
        return f"{ROLES[role].name}: {short}"
    return short


# --------------------------------------------------------------------------------------------- numbers


def _isnan(x) -> bool:
    try:
        return x is None or math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def fmt_p(p: float) -> str:
    """A p-value for people: ``p < 0.001`` below 0.001, else two significant digits.

    >>> fmt_p(0.0312), fmt_p(0.5), fmt_p(float("nan"))
    ('p = 0.031', 'p = 0.50', 'p not available')
    """
    if _isnan(p):
        return "p not available"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {float(p):#.2g}".rstrip(".")


def fmt_num(x: float, digits: int = 2) -> str:
    """``digits`` significant digits (2–3 for people), thousands separated, no scientific notation for common sizes.

    >>> fmt_num(0.012345), fmt_num(12345.6), fmt_num(-3.14159, 3), fmt_num(0.0)
    ('0.012', '12,346', '-3.14', '0')
    """
    if _isnan(x):
        return "–"
    x = float(x)
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    if mag >= digits - 1:
        return f"{round(x):,}"
    decimals = digits - 1 - mag
    if decimals > 6:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{decimals}f}"


def fmt_signed(x: float, digits: int = 2) -> str:
    """Like :func:`fmt_num` with a sign: ``+0.57``, ``−0.62``."""
    s = fmt_num(x, digits)
    return s if s in ("0", "–") else ("+" + s if float(x) > 0 else "−" + s.lstrip("-"))


def fmt_pct(x: float, *, decimals: int | None = None) -> str:
    """A share as a percentage: whole percent from 1% up, one decimal below (``0.4%``).

    >>> fmt_pct(0.3712), fmt_pct(0.004), fmt_pct(1.0)
    ('37%', '0.4%', '100%')
    """
    if _isnan(x):
        return "–"
    v = 100 * float(x)
    if decimals is None:
        decimals = 0 if v == 0 or abs(v) >= 1 or round(v) == v else 1
    return f"{v:.{decimals}f}%"


def fmt_share(x: float, lo: float | None = None, hi: float | None = None, *, ci: float = 0.95) -> str:
    """A share with its confidence interval: ``37% (95% CI 33–42%)``."""
    if _isnan(lo) or _isnan(hi):
        return fmt_pct(x)
    return f"{fmt_pct(x)} ({ci:.0%} CI {fmt_pct(lo)[:-1]}–{fmt_pct(hi)})"


def fmt_count(n: int, noun: str) -> str:
    """``1 pair`` / ``1,800 pairs``."""
    return f"{int(n):,} {noun}{'' if int(n) == 1 else 's'}"


def plain_columns(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a tidy table for people: columns renamed (:data:`COLUMNS`), feature, regime, γ, perturbation and
    model ids turned into display names. Raw ids stay in the original table (and in exports)."""
    out = df.copy()
    for col in ("feature", "term"):
        if col in out:
            out[col] = out[col].map(feature_name)
    for col in ("regime", "perturbation", "gamma"):
        if col in out:
            out[col] = out[col].map(lambda v: display(v) if isinstance(v, str) else v)
    for col in ("model", "rm"):
        if col in out:
            out[col] = out[col].map(lambda v: short_model_name(v) if isinstance(v, str) and v not in ROLES else v)
    if "role" in out:
        out["role"] = out["role"].map(lambda v: ROLES[v].name if v in ROLES else v)
    names, used = {}, set()
    for c in out.columns:
        new = COLUMNS.get(c, c)
        names[c] = new if new not in used else c  # never two columns with one name
        used.add(names[c])
    return out.rename(columns=names)
