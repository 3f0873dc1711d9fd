"""Altair chart builders. Every chart has a title and axis labels in plain words."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from seal_core.glossary import GAMMA, REGIMES, ROLES, display

ROLE_NAMES = {k: t.name for k, t in ROLES.items()}  # display names of the RM roles, from the glossary
REGIME_NAMES = {k: t.name for k, t in REGIMES.items()}
GAMMA_NAMES = {k: t.name for k, t in GAMMA.items()}


def resistance_bars(table: pd.DataFrame) -> alt.Chart:
    """Resistance per reward model with its confidence interval."""
    from seal_core.glossary import model_label

    data = table.assign(label=[model_label(m, r) for m, r in zip(table["model"], table["role"])])
    base = alt.Chart(data).encode(y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=0)))
    bars = base.mark_bar(opacity=0.8).encode(
        x=alt.X(
            "resistance:Q",
            title="Share of pairs where the RM prefers the rejected response",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=alt.Color("role:N", title="Role"),
        tooltip=[
            alt.Tooltip("model:N", title="Full model id"),
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


def margin_histogram(scores: pd.DataFrame, bins: int = 60) -> alt.FacetChart:
    """Distribution of margins (chosen − rejected), one panel per RM (side by side, never overlaid), zero marked.

    The counts are binned here (numpy), so the chart carries ``bins`` rows per RM whatever the number of pairs."""
    from seal_core.glossary import ROLES, short_model_name

    who = scores["role"].map(lambda r: ROLES[r].name if r in ROLES else None)
    who = who.fillna(scores["model"].map(short_model_name))
    margins = scores["margin"].to_numpy(dtype=float)
    finite = np.isfinite(margins)
    lo, hi = (float(margins[finite].min()), float(margins[finite].max())) if finite.any() else (-1.0, 1.0)
    edges = np.linspace(min(lo, 0.0), max(hi, 0.0) + 1e-12, bins + 1)
    frames = []
    for name in pd.unique(who):
        counts, _ = np.histogram(margins[finite & (who == name).to_numpy()], bins=edges)
        frames.append(pd.DataFrame({"who": name, "start": edges[:-1], "end": edges[1:], "pairs": counts}))
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["who", "start", "end", "pairs"])
    order = [ROLES[r].name for r in ("pre", "post") if ROLES[r].name in set(data["who"])] or sorted(set(data["who"]))
    colors = alt.Scale(domain=[ROLES["pre"].name, ROLES["post"].name], range=["#d2691e", "#008080"])
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            x=alt.X("start:Q", title="Score margin (chosen − rejected)"),
            x2="end:Q",
            y=alt.Y("pairs:Q", title="Pairs"),
            color=alt.Color("who:N", scale=colors, legend=None),
            tooltip=[
                alt.Tooltip("start:Q", format=".3g", title="from"),
                alt.Tooltip("end:Q", format=".3g", title="to"),
                alt.Tooltip("pairs:Q", title="pairs"),
            ],  # fmt: skip
        )
    )
    zero = alt.Chart().mark_rule(color="gray", strokeDash=[4, 4]).encode(x=alt.datum(0))
    return (
        alt.layer(bars, zero, data=data)
        .properties(height=150, width=320)
        .facet(column=alt.Column("who:N", title=None, sort=order, header=alt.Header(labelFontSize=13)))
        .properties(title="How strongly each RM prefers the human-chosen response (right of the dashed line: agrees)")
    )


def imprint_forest(table: pd.DataFrame, *, show_difference: bool = False) -> alt.Chart:
    """Forest plot of imprint coefficients: features sorted by coefficient, one colour per RM role."""
    data = table[table["role"].eq("difference") == show_difference].copy()
    data["significant"] = data["p_adj"] < 0.05
    data["who"] = data["role"].map(ROLE_NAMES).fillna(data["rm"])
    data["feature_name"] = data["feature"].map(display)
    sd = "scale" in data and (data["scale"] == "sd").all()
    unit = ", in sd of that RM's scores" if sd else ""
    lead = data[data["role"] == "post"] if (data["role"] == "post").any() else data
    order = lead.sort_values("coef", ascending=False)["feature_name"].drop_duplicates().tolist()
    y = alt.Y("feature_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    palette = {
        "pre": "#d2691e",
        "post": "#008080",
        "difference": "#555555",
    }  # SEAL's colours: chocolate pre, teal post
    shown = [r for r in palette if (data["role"] == r).any()] or list(palette)  # the legend lists only what is drawn
    colors = alt.Scale(domain=[ROLE_NAMES[r] for r in shown], range=[palette[r] for r in shown])
    base = alt.Chart(data).encode(
        y=y, yOffset=alt.YOffset("who:N"), color=alt.Color("who:N", title="Reward model", scale=colors)
    )
    bars = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", title=f"Change in reward when the feature is present{unit} (95% CI)"),
        x2="ci_high:Q",
        opacity=alt.condition("datum.significant", alt.value(1.0), alt.value(0.3)),
    )
    points = base.mark_point(filled=True, size=70).encode(
        x="coef:Q",
        shape=alt.Shape(
            "feature_role:N",
            title="Feature role",
            scale=alt.Scale(domain=["target", "spoiler"], range=["circle", "triangle"]),
        ),
        opacity=alt.condition("datum.significant", alt.value(1.0), alt.value(0.3)),
        tooltip=[
            alt.Tooltip("feature_name:N", title="feature"),
            alt.Tooltip("feature:N", title="column"),
            "feature_role",
            "who",
            alt.Tooltip("coef:Q", format="+.3f"),
            alt.Tooltip("se:Q", format=".3f"),
            alt.Tooltip("p_adj:Q", format=".3g", title="adjusted p"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="gray", strokeDash=[4, 4]).encode(x="x:Q")
    title = "Imprint: post − pre difference" if show_difference else "Feature imprint per reward model"
    return (bars + points + zero).properties(title=title, height=max(240, 36 * len(order)))


def share_bars(table: pd.DataFrame, *, category: str, title: str, x_title: str, color: str | None = None) -> alt.Chart:
    """Horizontal bars of ``share`` with Wilson whiskers (``ci_low``/``ci_high``), one per ``category``."""
    roles = alt.Scale(domain=[ROLE_NAMES["pre"], ROLE_NAMES["post"]], range=["#d2691e", "#008080"])
    enc = {"color": alt.Color(f"{color}:N", title=None, scale=roles)} if color else {}
    base = alt.Chart(table).encode(y=alt.Y(f"{category}:N", sort=None, title=None, axis=alt.Axis(labelLimit=360)),
                                   **({"yOffset": alt.YOffset(f"{color}:N")} if color else {}))  # fmt: skip
    bars = base.mark_bar(opacity=0.85).encode(
        x=alt.X("share:Q", title=x_title, axis=alt.Axis(format="%")),
        tooltip=[category, alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("ci_low:Q", format=".1%"),
                 alt.Tooltip("ci_high:Q", format=".1%")], **enc)  # fmt: skip
    whiskers = base.mark_errorbar(color="black").encode(x=alt.X("ci_low:Q", title=x_title), x2="ci_high:Q")
    return (bars + whiskers).properties(title=title)


# What each direction means, written at the rim of the polar histograms (angle in degrees, 0° = right, CCW).
SHIFT_DIRECTIONS = {0: "0°: no turn", 90: "+90°: counter-clockwise", 180: "±180°: reversed", -90: "−90°: clockwise"}
REWARD_DIRECTIONS = {90: "chosen scored higher (agrees)", -90: "rejected scored higher", 0: "both low",
                     180: "both high"}  # fmt: skip


def polar_histogram(
    angles_deg: pd.Series, *, title: str, bins: int = 16, color: str = "#008080", directions: dict | None = None
) -> alt.LayerChart:
    """A 16-bin polar histogram of angles in degrees. 0° points right and angles grow counter-clockwise, as in the
    (chosen, rejected) plane; each wedge's radius is the number of pairs (square-root scale: area ∝ count). The
    rim says what each direction means (``directions``: angle → words; default :data:`SHIFT_DIRECTIONS`)."""
    a = pd.Series(angles_deg).dropna().to_numpy()
    edges = pd.Series(range(bins + 1)) * (360 / bins) - 180
    counts = pd.cut(pd.Series(a), bins=edges.to_numpy(), include_lowest=True).value_counts(sort=False).to_numpy()
    data = pd.DataFrame({"bin": range(bins), "from_deg": edges[:-1].to_numpy(), "to_deg": edges[1:].to_numpy(),
                         "count": counts})  # fmt: skip
    # Vega-Lite's theta starts at 12 o'clock and runs clockwise; convert so 0° is at 3 o'clock, counter-clockwise.
    data["start"] = (90 - data["to_deg"]) * 3.141592653589793 / 180
    data["end"] = (90 - data["from_deg"]) * 3.141592653589793 / 180
    arcs = (
        alt.Chart(data)
        .mark_arc(stroke="white", color=color)
        .encode(
            theta=alt.Theta("start:Q", scale=None),
            theta2="end:Q",
            radius=alt.Radius("count:Q", scale=alt.Scale(type="sqrt", zero=True, rangeMin=0, range=[0, 95])),
            tooltip=[alt.Tooltip("from_deg:Q", title="from °"), alt.Tooltip("to_deg:Q", title="to °"), "count:Q"],
        )
    )
    rim = pd.DataFrame([{"theta": (90 - deg) * 3.141592653589793 / 180, "label": words}
                        for deg, words in (directions or SHIFT_DIRECTIONS).items()])  # fmt: skip
    ring = alt.Chart(pd.DataFrame({"r": [95]})).mark_arc(filled=False, stroke="#bbb", strokeDash=[2, 3]).encode(
        radius=alt.value(95), theta=alt.value(6.2832))  # fmt: skip
    text = alt.Chart(rim).mark_text(fontSize=11, color="#444").encode(
        theta=alt.Theta("theta:Q", scale=None), radius=alt.value(118), text="label:N")  # fmt: skip
    return alt.layer(ring, arcs, text).properties(
        title=title, width=300, height=300, padding={"left": 5, "right": 5, "top": 14, "bottom": 5}
    )


def reward_heatmap(vectors: pd.DataFrame, prefix: str, *, title: str, color: str) -> alt.Chart:
    """2-D histogram of (chosen reward, rejected reward) for one RM; the diagonal splits agree from disagree."""
    data = vectors[[f"{prefix}_chosen", f"{prefix}_rejected"]].rename(
        columns={f"{prefix}_chosen": "chosen", f"{prefix}_rejected": "rejected"})  # fmt: skip
    lo = float(min(data.min().min(), 0))
    hi = float(max(data.max().max(), 0))
    heat = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("chosen:Q", bin=alt.Bin(maxbins=30), title="Reward of the chosen response"),
            y=alt.Y("rejected:Q", bin=alt.Bin(maxbins=30), title="Reward of the rejected response"),
            color=alt.Color(
                "count():Q", title="Pairs", scale=alt.Scale(scheme="greens" if color == "teal" else "oranges")
            ),
        )
    )
    diag = alt.Chart(pd.DataFrame({"x": [lo, hi], "y": [lo, hi]})).mark_line(color="gray", strokeDash=[4, 4]).encode(
        x="x:Q", y="y:Q")  # fmt: skip
    return (heat + diag).properties(title=title, width=300, height=300)


def mosaic(pairs: pd.DataFrame) -> alt.Chart:
    """Human × labeler × RM mosaic (SEAL's "gpt-human-rm" figure) from the per-pair table of a RegimeAnalysis (with
    ``gamma``): column widths are the shares of γ (labeler prefers chosen / indifferent / rejected), heights the share
    of pairs where each RM agrees with people within that γ."""
    d = pairs.dropna(subset=["gamma"])
    n = len(d)
    rows, x0 = [], 0.0
    for g, label in ((g, GAMMA_NAMES[g]) for g in ("c", "i", "r")):
        sub = d[d["gamma"] == g]
        width = len(sub) / n if n else 0.0
        for role, name in ((r, ROLE_NAMES[r]) for r in ("pre", "post")):
            agree = float(sub[f"agrees_{role}"].mean()) if len(sub) else 0.0
            rows += [
                {"RM": name, "gamma": label, "x0": x0, "x1": x0 + width, "y0": 0.0, "y1": agree,
                 "RM agrees with people": "agrees", "share": agree, "pairs": len(sub)},
                {"RM": name, "gamma": label, "x0": x0, "x1": x0 + width, "y0": agree, "y1": 1.0,
                 "RM agrees with people": "prefers the rejected", "share": 1 - agree, "pairs": len(sub)},
            ]  # fmt: skip
        x0 += width
    data = pd.DataFrame(rows)
    return (
        alt.Chart(data)
        .mark_rect(stroke="white", strokeWidth=2)
        .encode(
            x=alt.X("x0:Q", title="Labeler: chosen · indifferent · rejected", axis=alt.Axis(format="%")), x2="x1:Q",
            y=alt.Y("y0:Q", title="Share within the column", axis=alt.Axis(format="%")), y2="y1:Q",
            color=alt.Color("RM agrees with people:N", title="The RM", scale=alt.Scale(
                domain=["agrees", "prefers the rejected"], range=["#4c9a6a", "#d9534f"])),
            tooltip=["RM", "gamma", "RM agrees with people", alt.Tooltip("share:Q", format=".1%"), "pairs"],
        )
        .properties(width=330, height=260)
        .facet(column=alt.Column("RM:N", title=None, sort=[ROLE_NAMES["pre"], ROLE_NAMES["post"]]))
        .properties(title="People × labeler × RM")
    )  # fmt: skip


def forest(table: pd.DataFrame, *, term: str = "term", estimate: str = "estimate", title: str, x_title: str):
    """A plain forest plot: one row per term, the estimate and its CI (``ci_low``/``ci_high``), a zero line."""
    from seal_core.glossary import feature_name

    table = table.assign(label=table[term].map(feature_name))
    axis = alt.Axis(labelLimit=0, labelOverlap=False)  # every row labelled, in full
    base = alt.Chart(table).encode(y=alt.Y("label:N", sort=None, title=None, axis=axis))
    rules = base.mark_rule(strokeWidth=2, color="#555").encode(x=alt.X("ci_low:Q", title=x_title), x2="ci_high:Q")
    points = base.mark_point(filled=True, size=60, color="#008080").encode(
        x=f"{estimate}:Q",
        tooltip=["label", alt.Tooltip(f"{term}:N", title="id"), alt.Tooltip(f"{estimate}:Q", format="+.3f"),
                 alt.Tooltip("p:Q", format=".3g")],
    )  # fmt: skip
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="gray", strokeDash=[4, 4]).encode(x="x:Q")
    return (rules + points + zero).properties(title=title, height=alt.Step(24))
