"""Chart specifications for findings and the audit report, drawn the same way on a page and in a file.

A :class:`ChartSpec` is data plus words (no drawing): the Findings page hands it to Streamlit as an Altair chart,
the report renders it to inline SVG offline (``vl-convert-python``). Labels are never cut (``labelLimit=0``), every
row is labelled, and the dashed reference line says what it is in the title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import altair as alt
import pandas as pd

# SEAL's colours: chocolate for the model before training, teal after; grey for everything else.
PALETTE = {"Before training": "#d2691e", "After training": "#008080", "": "#4c6a92"}


@dataclass(frozen=True)
class ChartSpec:
    """What one chart shows.

    ``data`` has ``label`` (row label, in plain words), ``value``, ``ci_low``, ``ci_high`` and optionally ``group``
    (one colour per group, e.g. before/after training). ``percent`` formats the axis as percentages; ``reference``
    draws a dashed line (0.5 = coin flip, 0 = no effect) described by ``reference_label``.
    """

    kind: Literal["bars", "points"]
    data: pd.DataFrame
    title: str
    x_title: str
    percent: bool = True
    reference: float | None = None
    reference_label: str = ""
    caption: str = ""
    domain: tuple[float, float] | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "x_title": self.x_title,
            "percent": self.percent,
            "reference": self.reference,
            "reference_label": self.reference_label,
            "caption": self.caption,
            "data": self.data.to_dict("records"),
        }


def to_altair(spec: ChartSpec, *, width: int = 560) -> alt.LayerChart:
    """The chart as Altair: horizontal bars (or points) with 95% CI whiskers, every row labelled in full."""
    d = spec.data.copy()
    if "group" not in d:
        d["group"] = ""
    rows = list(dict.fromkeys(d["label"]))
    groups = list(dict.fromkeys(d["group"]))
    fmt = ".0%" if spec.percent else ".2f"
    x_scale = alt.Scale(domain=list(spec.domain)) if spec.domain else alt.Scale(zero=spec.kind == "bars")
    x = alt.X("value:Q", title=spec.x_title, axis=alt.Axis(format=fmt, labelLimit=0, titleLimit=0), scale=x_scale)
    y = alt.Y("label:N", sort=rows, title=None, axis=alt.Axis(labelLimit=0, labelFontSize=12))
    colors = alt.Scale(domain=groups, range=[PALETTE.get(g, "#4c6a92") for g in groups])
    legend = alt.Legend(title=None, orient="bottom", labelLimit=0) if len(groups) > 1 and groups != [""] else None
    enc = {"y": y, "color": alt.Color("group:N", scale=colors, legend=legend)}
    if len(groups) > 1:
        enc["yOffset"] = alt.YOffset("group:N", sort=groups)
    tooltip = [alt.Tooltip("label:N", title="Row"), alt.Tooltip("value:Q", format=fmt, title="Value"),
               alt.Tooltip("ci_low:Q", format=fmt, title="95% CI from"),
               alt.Tooltip("ci_high:Q", format=fmt, title="95% CI to")]  # fmt: skip
    base = alt.Chart(d).encode(**enc)
    mark = base.mark_bar(opacity=0.85) if spec.kind == "bars" else base.mark_point(filled=True, size=90)
    layers = [mark.encode(x=x, tooltip=tooltip)]
    if d["ci_low"].notna().any():
        whisker = (
            base if spec.kind == "points" else alt.Chart(d).encode(**{k: v for k, v in enc.items() if k != "color"})
        )
        layers.append(whisker.mark_errorbar(color="#222", ticks=True).encode(x=alt.X("ci_low:Q", title=spec.x_title),
                                                                             x2="ci_high:Q"))  # fmt: skip
    if spec.reference is not None:
        ref = pd.DataFrame({"x": [spec.reference]})
        layers.append(alt.Chart(ref).mark_rule(strokeDash=[4, 4], color="gray").encode(x="x:Q"))
    subtitle = f"Dashed line: {spec.reference_label}" if spec.reference_label else ""
    # A step per row, not a fixed height: Streamlit fits a fixed height around title and legend, which squashed rows.
    # (With groups the step is each group's row inside a label's band.)
    height = alt.Step(24 if len(groups) > 1 else 36)
    title = alt.TitleParams(spec.title, subtitle=subtitle, anchor="start", fontSize=15, subtitleFontSize=13, limit=0,
                            subtitleColor="#4a5568")  # fmt: skip
    return (
        alt.layer(*layers)
        .properties(title=title, width=width, height=height)
        .configure_axis(labelFontSize=13, titleFontSize=13)
        .configure_legend(labelFontSize=13)
    )


def to_svg(spec_or_chart: ChartSpec | alt.TopLevelMixin) -> str:
    """Inline SVG for an HTML file: no external reference, no XML prolog, no ``xmlns`` URLs.

    Examples
    --------
    >>> d = pd.DataFrame({"label": ["Before training", "After training"], "value": [0.5, 0.37],
    ...                   "ci_low": [0.48, 0.35], "ci_high": [0.52, 0.39]})
    >>> svg = to_svg(ChartSpec("bars", d, "Prefers the rejected response", "Share of pairs", reference=0.5))
    >>> svg.startswith("<svg") and "http" not in svg
    True
    """
    import vl_convert as vlc

    chart = to_altair(spec_or_chart) if isinstance(spec_or_chart, ChartSpec) else spec_or_chart
    svg = vlc.vegalite_to_svg(chart.to_json(), vl_version="6.4")
    svg = re.sub(r'\s+xmlns(:xlink)?="http[^"]*"', "", svg)
    return svg.replace("xlink:href", "href")
