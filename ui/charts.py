"""Altair chart builders. Every chart has a title and axis labels in plain words."""

from __future__ import annotations

import altair as alt
import pandas as pd


def resistance_bars(table: pd.DataFrame) -> alt.Chart:
    """Resistance per reward model with its confidence interval."""
    data = table.assign(label=table["role"] + " RM: " + table["model"].str.slice(0, 60))
    base = alt.Chart(data).encode(y=alt.Y("label:N", title=None, sort=None))
    bars = base.mark_bar(opacity=0.8).encode(
        x=alt.X(
            "resistance:Q",
            title="Share of pairs where the RM prefers the rejected response",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=alt.Color("role:N", title="Role"),
        tooltip=[
            alt.Tooltip("model:N"),
            alt.Tooltip("resistance:Q", format=".1%"),
            alt.Tooltip("ci_low:Q", format=".1%", title="CI low"),
            alt.Tooltip("ci_high:Q", format=".1%", title="CI high"),
            alt.Tooltip("n_pairs:Q"),
        ],
    )
    errs = base.mark_errorbar(color="black").encode(
        x=alt.X("ci_low:Q", title="Share of pairs where the RM prefers the rejected response"), x2="ci_high:Q"
    )
    rule = alt.Chart(pd.DataFrame({"x": [0.5]})).mark_rule(strokeDash=[4, 4], color="gray").encode(x="x:Q")
    return (bars + errs + rule).properties(title="Alignment resistance (lower is better; dashed line = coin flip)")


def margin_histogram(scores: pd.DataFrame) -> alt.Chart:
    """Distribution of margins (chosen − rejected) per RM."""
    return (
        alt.Chart(scores)
        .mark_bar(opacity=0.6)
        .encode(
            x=alt.X("margin:Q", bin=alt.Bin(maxbins=60), title="Score margin (chosen − rejected)"),
            y=alt.Y("count():Q", stack=None, title="Pairs"),
            color=alt.Color("role:N", title="Role"),
        )
        .properties(title="How strongly each RM prefers the human-chosen response", height=220)
    )


def imprint_forest(table: pd.DataFrame, *, show_difference: bool = False) -> alt.Chart:
    """Forest plot of imprint coefficients: features sorted by coefficient, one colour per RM role."""
    data = table[table["role"].eq("difference") == show_difference].copy()
    data["significant"] = data["p_adj"] < 0.05
    data["who"] = (
        data["role"]
        .fillna(data["rm"])
        .map({"pre": "pre-training RM", "post": "post-training RM", "difference": "post − pre"})
        .fillna(data["rm"])
    )
    lead = data[data["role"] == "post"] if (data["role"] == "post").any() else data
    order = lead.sort_values("coef", ascending=False)["feature"].drop_duplicates().tolist()
    y = alt.Y("feature:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    colors = alt.Scale(
        domain=["pre-training RM", "post-training RM", "post − pre"], range=["#d2691e", "#008080", "#555555"]
    )  # SEAL's colours: chocolate pre, teal post
    base = alt.Chart(data).encode(
        y=y, yOffset=alt.YOffset("who:N"), color=alt.Color("who:N", title="Reward model", scale=colors)
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title="Change in reward when the feature is present (95% CI)"),
        x2="ci_high:Q",
        opacity=alt.condition("datum.significant", alt.value(1.0), alt.value(0.3)),
    )
    points = base.mark_point(filled=True, size=70).encode(
        x="coef:Q",
        shape=alt.Shape(
            "kind:N", title="Feature kind", scale=alt.Scale(domain=["target", "spoiler"], range=["circle", "triangle"])
        ),
        opacity=alt.condition("datum.significant", alt.value(1.0), alt.value(0.3)),
        tooltip=[
            "feature",
            "kind",
            "who",
            alt.Tooltip("coef:Q", format="+.3f"),
            alt.Tooltip("se:Q", format=".3f"),
            alt.Tooltip("p_adj:Q", format=".3g", title="adjusted p"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="gray", strokeDash=[4, 4]).encode(x="x:Q")
    title = "Imprint: post − pre difference" if show_difference else "Feature imprint per reward model"
    return (bars + points + zero).properties(title=title, height=max(240, 36 * len(order)))
