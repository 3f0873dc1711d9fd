"""The audit report: setup, findings, summaries of resistance, regimes, imprint and robustness, caveats, method
notes and the command that reproduces it, as one :class:`AuditReport` that renders to HTML, Markdown or JSON.

Everything in it is computed from the tables it is given; the words come from :mod:`seal_core.glossary`.
"""

from __future__ import annotations

import platform
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata

import numpy as np
import pandas as pd

from seal_core.glossary import (
    REGIMES,
    ROLES,
    display,
    feature_name,
    fmt_count,
    fmt_pct,
    fmt_signed,
    model_label,
    short_model_name,
)
from seal_core.story._base import share_row
from seal_core.story.figures import ChartSpec
from seal_core.story.findings import Finding, find_findings

PACKAGES = ("seal-explorer", "torch", "transformers", "pandas", "numpy", "statsmodels", "scipy", "altair",
            "vl-convert-python")  # fmt: skip

METHOD_NOTES = (
    "A pair is a conversation with two answers, one chosen and one rejected by people. A reward model (RM) agrees "
    "with people on a pair when it scores the chosen answer strictly higher; a tie counts as not agreeing (as in "
    "SEAL, Revel et al., AAAI 2025).",
    "Alignment resistance is the share of pairs where the RM does not agree, with a 95% Wilson interval.",
    "Regimes compare the RM before training with the RM after it on the same pairs: stayed aligned, got aligned, "
    "resisted (neither agrees) and reversed. The before/after difference is tested with an exact McNemar test.",
    "Feature imprint regresses each text's score on its features with a fixed effect per pair and standard errors "
    "clustered by pair; p-values are Bonferroni-adjusted across features.",
    "Robustness re-scores pairs after small edits: edits that keep the meaning should not flip the preferred answer; "
    "probes (an appended insult) should lower the score.",
    "Findings are ranked by the lower end of the 95% interval of a standardised effect size (Cohen's h for shares, "
    "Cohen's d for score effects); the headline comes first, and an effect whose interval reaches zero is left out.",
)


@dataclass(frozen=True)
class Section:
    """One summary section: sentences, an optional chart and a table for people (display names)."""

    key: str
    title: str
    sentences: tuple[str, ...]
    chart: ChartSpec | None = None
    table: pd.DataFrame | None = None


@dataclass(frozen=True)
class AuditReport:
    """Everything the report says. ``setup`` holds raw ids (full model ids with revisions) for reproduction."""

    title: str
    setup: dict
    findings: tuple[Finding, ...]
    sections: tuple[Section, ...]
    caveats: tuple[str, ...]
    method: tuple[str, ...]
    command: str
    examples: dict = field(default_factory=dict)  # pair_id -> {prompt, chosen, rejected} (plain text)

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "setup": self.setup,
            "findings": [f.to_dict() for f in self.findings],
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "sentences": list(s.sentences),
                    "chart": s.chart.to_dict() if s.chart else None,
                    "table": s.table.to_dict("records") if s.table is not None else None,
                }
                for s in self.sections
            ],  # fmt: skip
            "caveats": list(self.caveats),
            "method": list(self.method),
            "command": self.command,
            "examples": self.examples,
        }


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def _resistance(scores: pd.DataFrame, roles: dict[str, str]) -> Section:
    from seal_core.metrics.resistance import in_sample_words, resistance_table

    t = resistance_table(scores)
    order = {m: i for i, m in enumerate(roles)}
    t = t.assign(_o=t["model"].map(order)).sort_values("_o")
    sentences, rows, chart = [], [], []
    for r in t.itertuples():
        role = roles.get(r.model)
        name = model_label(r.model, role)
        sentences.append(f"{name} prefers the response people rejected in {r.resistance:.1%} of {r.n_pairs:,} "
                         f"pairs (95% CI {r.ci_low:.1%} to {r.ci_high:.1%}; {fmt_count(r.n_ties, 'tie')})."
                         + (f" In sample: {in_sample_words(r.n_in_sample, r.n_pairs)}" if r.n_in_sample else ""))  # fmt: skip
        rows.append({"Reward model": name, "Prefers the rejected": f"{r.resistance:.1%}",
                     "95% CI": f"{r.ci_low:.1%} to {r.ci_high:.1%}", "Ties": int(r.n_ties), "Pairs": int(r.n_pairs)})  # fmt: skip
        chart.append({"label": name, "value": r.resistance, "ci_low": r.ci_low, "ci_high": r.ci_high,
                      "group": ROLES[role].name if role in ROLES else ""})  # fmt: skip
    spec = ChartSpec("bars", pd.DataFrame(chart), "How often each model prefers the rejected response",
                     "Share of pairs (95% CI)", reference=0.5, reference_label="a coin flip", domain=(0, 1))  # fmt: skip
    return Section("resistance", "Alignment resistance", tuple(sentences), spec, pd.DataFrame(rows))


def _regimes(scores: pd.DataFrame, pre: str, post: str) -> Section:
    from seal_core.metrics.regimes import pair_agreement, regime_table

    t = regime_table(pair_agreement(scores, pre, post))
    rows = [share_row(REGIMES[r.regime].name, int(r.count), int(t["count"].sum())) for r in t.itertuples()]
    sentences = tuple(f"{REGIMES[r.regime].name} ({REGIMES[r.regime].meaning}): {fmt_pct(r.share)} of pairs "
                      f"({fmt_count(int(r.count), 'pair')})." for r in t.itertuples())  # fmt: skip
    table = pd.DataFrame({"Regime": [REGIMES[r].name for r in t["regime"]], "Pairs": t["count"].astype(int),
                          "Share": [f"{s:.1%}" for s in t["share"]],
                          "95% CI": [f"{lo:.1%} to {hi:.1%}" for lo, hi in zip(t["ci_low"], t["ci_high"])]})  # fmt: skip
    spec = ChartSpec("bars", pd.DataFrame(rows), "What training did to each pair", "Share of pairs (95% CI)",
                     domain=(0, 1))  # fmt: skip
    return Section("regimes", "Regimes: before and after training", sentences, spec, table)


def _imprint(scores: pd.DataFrame, features: pd.DataFrame, pre: str | None, post: str | None) -> Section:
    from seal_core.metrics.imprint import feature_imprint

    with warnings.catch_warnings():  # the findings' caveats say it in plain words
        warnings.simplefilter("ignore")
        res = feature_imprint(scores, features.drop(columns=["labeler"], errors="ignore"), pre=pre, post=post,
                              models=[m for m in (pre, post) if m])  # fmt: skip
    t = res.table[res.table["role"].isin(["pre", "post"]) | res.table["role"].isna()].copy()
    t["role"] = t["role"].fillna("post")
    lead = t[t["rm"] == (post or pre)].sort_values("coef")
    order = [feature_name(f) for f in lead["feature"]]
    data = pd.DataFrame({"label": t["feature"].map(feature_name), "value": t["coef"], "ci_low": t["ci_low"],
                         "ci_high": t["ci_high"], "group": t["role"].map(lambda r: ROLES[r].name)})  # fmt: skip
    data["_o"] = data["label"].map({n: i for i, n in enumerate(order)})
    spec = ChartSpec("points", data.sort_values("_o").drop(columns="_o"), "How much each feature changes the score",
                     "Change in score when a response has the feature (95% CI)", percent=False, reference=0.0,
                     reference_label="no effect")  # fmt: skip
    sig = lead[lead["p_adj"] < 0.05]
    who = model_label(post or pre, "post" if post else "pre")
    sentences = [f"{who}: {feature_name(r.feature)} {fmt_signed(r.coef)} points (95% CI {fmt_signed(r.ci_low)} to "
                 f"{fmt_signed(r.ci_high)})." for r in sig.iloc[::-1].itertuples()]  # fmt: skip
    if not sentences:
        sentences = [f"{who}: no feature changes the score significantly after adjusting for multiple testing."]
    table = pd.DataFrame({"Feature": t["feature"].map(feature_name), "Reward model": t["role"].map(
        lambda r: ROLES[r].name), "Effect": t["coef"].round(3), "95% CI": [f"{fmt_signed(a)} to {fmt_signed(b)}"
        for a, b in zip(t["ci_low"], t["ci_high"])], "Adjusted p-value": t["p_adj"].map(lambda p: f"{p:.2g}")})  # fmt: skip
    return Section("imprint", "Feature imprint: what the scores reward", tuple(sentences), spec, table)


def _robustness(rows: pd.DataFrame, roles: dict[str, str]) -> Section:
    from seal_core.metrics.robustness import robustness_summary

    s = robustness_summary(rows)
    data = pd.DataFrame({"label": s["perturbation"].map(display), "value": s["flip_rate"], "ci_low": s["flip_ci_low"],
                         "ci_high": s["flip_ci_high"],
                         "group": s["model"].map(lambda m: ROLES[roles[m]].name if m in roles else "")})  # fmt: skip
    spec = ChartSpec("bars", data, "How often a small edit changes the preferred response", "Share of pairs (95% CI)")
    sentences = tuple(f"{display(r.perturbation)}: the preference of {model_label(r.model, roles.get(r.model))} "
                      f"changed in {fmt_pct(r.flip_rate)} of {r.n_pairs:,} pairs." for r in s.itertuples())  # fmt: skip
    table = pd.DataFrame({"Edit": s["perturbation"].map(display), "Reward model": s["model"].map(short_model_name),
                          "Preference flips": s["flip_rate"].map(lambda v: f"{v:.1%}"),
                          "95% CI": [f"{a:.1%} to {b:.1%}" for a, b in zip(s["flip_ci_low"], s["flip_ci_high"])],
                          "Pairs": s["n_pairs"]})  # fmt: skip
    return Section("robustness", "Robustness: small edits", sentences, spec, table)


def _examples(pairs: pd.DataFrame | None, ids: list[str], limit: int = 600) -> dict:
    if pairs is None:
        return {}
    p = pairs.set_index("pair_id")
    out = {}
    for pid in dict.fromkeys(ids):
        if pid in p.index:
            row = p.loc[pid]
            human = str(row["prompt_chosen"]).rsplit("Human:", 1)[-1].strip()
            out[pid] = {k: (v if len(v) <= limit else v[:limit] + " …")
                        for k, v in (("prompt", human), ("chosen", str(row["chosen"])),
                                     ("rejected", str(row["rejected"])))}  # fmt: skip
    return out


def build_report(
    scores: pd.DataFrame,
    *,
    pre: str | None,
    post: str | None,
    pairs: pd.DataFrame | None = None,
    features: pd.DataFrame | None = None,
    robustness: pd.DataFrame | None = None,
    setup: dict | None = None,
    command: str = "",
    in_sample: tuple[str, ...] = (),
) -> AuditReport:
    """Build the audit report from the Scores table (and labels, robustness rows) of one slice.

    ``setup`` carries what the tables cannot know (data source, slice, labeler, seeds); package versions and the
    models (full ids with revisions) are added here.
    """
    findings = find_findings(scores, pre=pre, post=post, features=features, robustness=robustness,
                             in_sample=in_sample)  # fmt: skip
    roles = {m: r for r, m in (("pre", pre), ("post", post)) if m}
    sections = [_resistance(scores[scores["model"].isin(roles)], roles)]
    if pre and post:
        sections.append(_regimes(scores, pre, post))
    if features is not None and len(features):
        sections.append(_imprint(scores, features, pre, post))
    if robustness is not None and len(robustness):
        sections.append(_robustness(robustness[robustness["model"].isin(roles)], roles))
    caveats = tuple(dict.fromkeys(c for f in findings for c in f.caveats))
    info = {**(setup or {}), "models": {r: m for m, r in roles.items()}, "n_pairs": int(scores["pair_id"].nunique()),
            "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "versions": package_versions()}  # fmt: skip
    ids = [p for f in findings for p in f.examples]
    return AuditReport("Reward model audit", info, tuple(findings), tuple(sections), caveats, METHOD_NOTES, command,
                       _examples(pairs, ids))  # fmt: skip


def _nan_to_none(obj):
    if isinstance(obj, dict):
        return {str(k): _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_nan_to_none(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def command_line(
    data: str | None,
    *,
    config: str | None = None,
    split: str | None = None,
    pre: str | None,
    post: str | None,
    labeler: str = "rules",
    sample: int | None = None,
    seed: int = 0,
    first: int | None = None,
    robustness_sample: int = 200,
    out: str = "report.html",
) -> str:
    """The ``seal report`` command that reproduces a report (shell-quoted).

    >>> command_line(None, pre="seal-minilm-principles", post="seal-minilm-bt", first=300)
    'seal report --pre seal-minilm-principles --post seal-minilm-bt --labeler rules --limit 300 --out report.html'
    """
    import shlex

    parts = ["seal", "report"] + ([data] if data else [])
    parts += ["--config", config] if config else []
    parts += ["--split", split] if split else []
    parts += ["--pre", pre] if pre else ["--pre", "none"]
    parts += ["--post", post] if post else ["--post", "none"]
    parts += ["--labeler", labeler]
    if sample:
        parts += ["--sample", str(sample), "--seed", str(seed)]
    if first:
        parts += ["--limit", str(first)]
    if robustness_sample != 200:
        parts += ["--robustness-sample", str(robustness_sample)]
    parts += ["--out", out]
    return " ".join(shlex.quote(p) for p in parts)
