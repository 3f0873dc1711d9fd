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
