"""Render an :class:`~seal_core.story.report.AuditReport` as one self-contained HTML file (inline CSS and SVG, no
script, no external reference, print-friendly), as Markdown, or as JSON. All dataset text is HTML-escaped."""

from __future__ import annotations

import json
import os
from html import escape
from pathlib import Path
from typing import Literal

import pandas as pd

from seal_core.errors import SealInputError
from seal_core.glossary import display, short_model_name
from seal_core.storage import atomic_write
from seal_core.story.figures import to_svg
from seal_core.story.report import AuditReport, _nan_to_none

Format = Literal["html", "md", "json"]
FORMATS = ("html", "md", "json")

CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2430;margin:0;
background:#fff}
main{max-width:980px;margin:0 auto;padding:32px 24px 64px}
h1{font-size:30px;margin:0 0 4px}h2{font-size:22px;margin:40px 0 12px;border-bottom:2px solid #e3e7ee;
padding-bottom:4px}h3{font-size:18px;margin:0 0 8px}
.lead{color:#4a5568;margin:0 0 24px}
.finding{border:1px solid #dfe4ec;border-left:6px solid #008080;border-radius:6px;padding:16px 20px;margin:18px 0;
break-inside:avoid;page-break-inside:avoid}
.finding .n{color:#008080;font-weight:700;margin-right:6px}
.why{color:#36404f}.caveat{background:#fff7e6;border:1px solid #f3d19c;border-radius:4px;padding:2px 8px;
display:inline-block;margin:4px 6px 0 0;font-size:14px}
figure{margin:12px 0;break-inside:avoid;page-break-inside:avoid}figure svg{max-width:100%;height:auto}
figcaption{font-size:14px;color:#4a5568}
table{border-collapse:collapse;margin:10px 0;font-size:14px}th,td{border:1px solid #dfe4ec;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f4f6f9}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f8fa;border:1px solid #e3e7ee;border-radius:4px;
padding:8px;font-size:13px;margin:4px 0}
details{margin:6px 0}summary{cursor:pointer;color:#2b6cb0}
.pairs{display:grid;grid-template-columns:1fr 1fr;gap:8px}
code{background:#f4f6f9;padding:1px 4px;border-radius:3px}
@media print{body{font-size:11pt}main{max-width:none;padding:0}h2{break-after:avoid;page-break-after:avoid}
details{display:block}details>*{display:block}summary{display:none}.finding{border-left-width:4px}
a{color:inherit;text-decoration:none}}
"""


def _table(df: pd.DataFrame | None) -> str:
    if df is None or df.empty:
        return ""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in df.to_numpy())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(chart, number: int) -> str:
    caption = f"Figure {number}. {chart.title}" + (f" ({chart.caption})" if chart.caption else "")
    return f'<figure role="img" aria-label="{escape(chart.title)}">{to_svg(chart)}<figcaption>{escape(caption)}' \
           "</figcaption></figure>"  # fmt: skip


def _setup_rows(report: AuditReport) -> pd.DataFrame:
    s = report.setup
    rows = [("Data", s.get("data", "")), ("Slice", s.get("slice", "")), ("Pairs", f"{s.get('n_pairs', 0):,}")]
    for role, model in s.get("models", {}).items():
        rows.append((f"Reward model ({display(role).lower()})", f"{short_model_name(model)} (full id: {model})"))
    labels = {"rules": "built-in rules (offline)", "llm": "LLM labeler (SEAL's 19 keys)", "none": "none"}
    key = str(s.get("labeler", ""))
    rows += [
        ("Labels", f"{labels.get(key.split('@')[0], key)} ({key})" if key.split("@")[0] in labels else key),
        ("Seeds", s.get("seeds", "")),
        ("Created", s.get("created", "")),
    ]
    rows.append(("Versions", ", ".join(f"{k} {v}" for k, v in s.get("versions", {}).items())))
    return pd.DataFrame([r for r in rows if r[1] != ""], columns=["", "Value"])


def to_html(report: AuditReport) -> str:
    """The report as one self-contained HTML page."""
    parts, fig = [], 0
    parts.append(f"<h1>{escape(report.title)}</h1><p class='lead'>What the reward model learned from the "
                 f"preference data, in plain words. {len(report.findings)} findings, ranked by how large and how "
                 "certain they are.</p>")  # fmt: skip
    parts.append("<h2>Setup</h2>" + _table(_setup_rows(report)))
    parts.append("<h2>Findings</h2>")
    for i, f in enumerate(report.findings, 1):
        fig += 1
        cav = "".join(f"<span class='caveat'>{escape(c)}</span>" for c in f.caveats)
        ex = []
        for pid in f.examples:
            e = report.examples.get(pid)
            if e:
                ex.append(f"<details><summary>Example pair {escape(pid)}</summary><p>Person asked:</p><pre>"
                          f"{escape(e['prompt'])}</pre><div class='pairs'><div><p>Chosen by people:</p><pre>"
                          f"{escape(e['chosen'])}</pre></div><div><p>Rejected by people:</p><pre>{escape(e['rejected'])}"
                          "</pre></div></div></details>")  # fmt: skip
        more = f"<p>Details: the {escape(display_page(f.page))} page of SEAL Explorer.</p>"
        parts.append(f"<section class='finding'><h3><span class='n'>{i}.</span>{escape(f.sentence)}</h3>"
                     f"<p class='why'>Why it matters: {escape(f.why)}</p>{cav}{_figure(f.chart, fig)}"
                     f"{''.join(ex)}{more}</section>")  # fmt: skip
    for s in report.sections:
        parts.append(f"<h2>{escape(s.title)}</h2>" + "".join(f"<p>{escape(t)}</p>" for t in s.sentences))
        if s.chart is not None:
            fig += 1
            parts.append(_figure(s.chart, fig))
        if s.table is not None:
            parts.append(f"<details><summary>Table: {escape(s.title.lower())}</summary>{_table(s.table)}</details>")
    parts.append("<h2>Caveats</h2>")
    parts.append("<ul>" + "".join(f"<li>{escape(c)}</li>" for c in report.caveats) + "</ul>" if report.caveats
                 else "<p>No caveat applies to these findings.</p>")  # fmt: skip
    parts.append("<h2>Method</h2>" + "".join(f"<p>{escape(m)}</p>" for m in report.method))
    parts.append(f"<h2>Reproduce</h2><pre>{escape(report.command)}</pre>")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
            f"content='width=device-width, initial-scale=1'><title>{escape(report.title)}</title><style>{CSS}"
            f"</style></head><body><main>{''.join(parts)}</main></body></html>\n")  # fmt: skip


PAGES = {"resistance": "Resistance", "imprint": "Feature imprint", "robustness": "Robustness", "shift": "Reward shift",
         "overview": "Overview"}  # fmt: skip


def display_page(page: str) -> str:
    return PAGES.get(page, page.capitalize())


def _md_table(df: pd.DataFrame | None) -> str:
    if df is None or df.empty:
        return ""
    esc = [[str(v).replace("|", "\\|").replace("\n", " ") for v in row] for row in df.to_numpy()]
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in esc]) + "\n"


def to_markdown(report: AuditReport) -> str:
    """The same content as Markdown (charts as their data tables)."""
    out = [f"# {report.title}\n\n", "## Setup\n\n", _md_table(_setup_rows(report)), "\n## Findings\n\n"]
    for i, f in enumerate(report.findings, 1):
        out.append(f"{i}. **{f.sentence}**\n   Why it matters: {f.why}\n")
        out += [f"   - Caveat: {c}\n" for c in f.caveats]
        out.append(f"   - Example pairs: {', '.join(f.examples) or 'none'}; details on the {display_page(f.page)} "
                   "page.\n")  # fmt: skip
    for s in report.sections:
        out += [f"\n## {s.title}\n\n", *(f"{t}\n" for t in s.sentences), "\n", _md_table(s.table)]
    out += ["\n## Caveats\n\n", *(f"- {c}\n" for c in report.caveats), "\n## Method\n\n"]
    out += [f"{m}\n\n" for m in report.method]
    out.append(f"## Reproduce\n\n```\n{report.command}\n```\n")
    return "".join(out)


def to_json(report: AuditReport) -> str:
    """The report as JSON (raw ids kept beside the display names)."""
    return json.dumps(_nan_to_none(report.to_dict()), indent=2, default=str) + "\n"


def render(report: AuditReport, fmt: Format = "html") -> str:
    renderers = {"html": to_html, "md": to_markdown, "json": to_json}
    if fmt not in renderers:
        raise SealInputError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    return renderers[fmt](report)


def write_report(report: AuditReport, path: str | os.PathLike, fmt: Format | None = None) -> Path:
    """Write the report atomically; the format comes from ``fmt`` or the file's suffix (.html, .md, .json)."""
    path = Path(path)
    fmt = fmt or {".html": "html", ".htm": "html", ".md": "md", ".json": "json"}.get(path.suffix.lower())
    if fmt is None:
        raise SealInputError(
            f"cannot write the report to {path.name!r}: name an .html, .md or .json file, or pass fmt", option="fmt"
        )
    text = render(report, fmt)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
