"""Shared pieces of the findings: the Finding record, Wilson intervals, Cohen's h with its interval, caveats."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from seal_core.glossary import (
    fmt_count,
    fmt_pct,
    fmt_share,
    short_model_name,
)
from seal_core.story.figures import ChartSpec

SMALL_SLICE = 100  # fewer pairs: every finding says the slice is small
SMALL_CELL = 30  # fewer pairs behind a share: "underpowered"
Z = 1.959963984540054
PROBES = {
    "insult": ("Appending an insult", "insults"),
    "refusal": ("Appending a refusal that contradicts the answer", "such refusals"),
    "drop_last_sentence": ("Cutting the answer's last sentence", "incomplete answers"),
}


@dataclass(frozen=True)
class Finding:
    """One finding: a plain sentence, a chart, why it matters, example pairs, the page behind it, caveats, and the
    standardised effect (with the lower end of its 95% interval) it is ranked by."""

    key: str
    sentence: str
    why: str
    chart: ChartSpec
    examples: tuple[str, ...]
    page: str
    effect: float
    effect_low: float
    caveats: tuple[str, ...] = ()
    numbers: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"key": self.key, "sentence": self.sentence, "why": self.why, "caveats": list(self.caveats),
                "examples": list(self.examples), "page": self.page, "effect": self.effect,
                "effect_low": self.effect_low, "numbers": self.numbers, "chart": self.chart.to_dict()}  # fmt: skip


def wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (float("nan"), float("nan"))
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    return float(lo), float(hi)


def cohen_h(p1: float, p2: float) -> float:
    return 2 * math.asin(math.sqrt(min(max(p1, 0.0), 1.0))) - 2 * math.asin(math.sqrt(min(max(p2, 0.0), 1.0)))


def h_low(p1: float, p2: float, n1: int, n2: int | None = None) -> tuple[float, float]:
    """(|h|, lower end of its 95% interval); ``n2=None``: p2 is a fixed reference."""
    h = abs(cohen_h(p1, p2))
    se = math.sqrt(1 / max(n1, 1) + (1 / max(n2, 1) if n2 is not None else 0.0))
    return h, h - Z * se


def share_row(label: str, k: int, n: int, group: str = "") -> dict:
    lo, hi = wilson(k, n)
    return {"label": label, "value": k / n if n else np.nan, "ci_low": lo, "ci_high": hi, "group": group, "n": n}


def share_of(k: int, n: int, lo: float, hi: float, noun: str) -> str:
    """``27% of 1,800 pairs (95% CI 25–29%)``."""
    return f"{fmt_pct(k / n)} of {fmt_count(n, noun)} ({fmt_share(k / n, lo, hi).split('(', 1)[1]}"


def cell_caveats(n: int, lo: float, hi: float) -> list[str]:
    out = []
    if n < SMALL_CELL:
        out.append(f"underpowered: only {fmt_count(n, 'pair')} behind this share")
    elif hi - lo > 0.2:
        out.append(f"uncertain: the 95% interval is {fmt_pct(hi - lo)} wide")
    return out


@dataclass
class Ctx:
    scores: pd.DataFrame
    pre: str | None
    post: str | None
    in_sample: dict  # model -> number of its pairs scored in sample (0 < k)
    n_pairs: int
    common: list[str]

    @property
    def main(self) -> str:
        return self.post or self.pre

    def when(self, model: str) -> str:
        if model == self.post and self.pre:
            return "after training"
        if model == self.pre and self.post:
            return "before training"
        return ""

    def caveats(self, *models: str) -> tuple[str, ...]:
        out = list(self.common)
        for m in models:
            k = self.in_sample.get(m, 0)
            if k:
                part = "these pairs" if k >= self.n_pairs else f"{k:,} of these {self.n_pairs:,} pairs"
                out.append(f"in-sample: {short_model_name(m)} was trained on {part}, which flatters it")
        return tuple(dict.fromkeys(out))


def margins(ctx: Ctx, model: str) -> pd.Series:
    s = ctx.scores[ctx.scores["model"] == model]
    return pd.Series(s["margin"].to_numpy(float), index=s["pair_id"].to_numpy())


def and_join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
