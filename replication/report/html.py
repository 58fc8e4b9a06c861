"""HTML and JSON of a run (see the package docstring)."""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from replication.papers._base import StudyResult

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#fafafa}
header{background:#1d3557;color:#fff;padding:1.2rem 2rem}header h1{margin:0;font-size:1.5rem}
main{padding:1rem 2rem;max-width:1200px}
section{background:#fff;border:1px solid #dde;border-radius:6px;padding:1rem 1.5rem;margin:1rem 0}
h2{margin-top:0;color:#1d3557}h3{color:#345}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0 1rem}
th,td{border:1px solid #ccd;padding:.2rem .5rem;text-align:right}th{background:#eef}
td:first-child,th:first-child{text-align:left}
.flag{background:#fde2e1}.ok{color:#2a7a2a}.bad{color:#b00020}.warn{color:#9a6700}
.notbuilt{color:#9a6700;font-weight:bold}
nav a{margin-right:1rem}
img{max-width:100%;border:1px solid #eee}
details{margin:.3rem 0}
code{background:#f0f0f4;padding:0 .2rem}
"""


def _fig_data_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _table_html(df: pd.DataFrame, max_rows: int = 400) -> str:
    shown = df.head(max_rows)
    body = shown.to_html(index=False, border=0, na_rep="", float_format=lambda v: f"{v:.4g}", escape=True)
    if "flag" in df.columns:
        body = body.replace("<td>True</td>", '<td class="flag">True</td>')
    if "within" in df.columns:  # comparisons: flag the rows where Python and the other side part
        body = body.replace("<td>False</td>", '<td class="flag">False</td>')
    more = f"<p>{len(df) - max_rows} more rows in the CSV.</p>" if len(df) > max_rows else ""
    return body + more


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    if isinstance(v, (str, int, bool)) or v is None:
        return v
    return str(v)


def _records(df: pd.DataFrame) -> list[dict]:
    return [_jsonable(r) for r in df.to_dict(orient="records")]


def _published_summary(r: StudyResult) -> str:
    comp = r.tables.get("published_vs_reproduced")
    if comp is None or "within" not in comp:
        return "no comparison"
    within = comp["within"].fillna(False).astype(bool)
    text = f"{int(within.sum())} of {len(comp)}"
    if "difference" in comp:
        diffs = pd.to_numeric(comp["difference"], errors="coerce").abs().dropna()
        if len(diffs):
            text += f" (median |difference| {diffs.median():.3g})"
    return html.escape(text)


def _r_summary(r: StudyResult) -> str:
    comp = r.tables.get("python_vs_r")
    if comp is None or "within" not in comp:
        return "not compared (R absent or --without-r)"
    within = comp["within"].fillna(False).astype(bool)
    worst = pd.to_numeric(comp.get("difference"), errors="coerce").max() if "difference" in comp else float("nan")
    cls = "ok" if within.all() else "bad"
    return f"<span class='{cls}'>{int(within.sum())} of {len(comp)}</span> (largest relative difference {worst:.2g})"


def write_report(results: list[StudyResult], out_dir: Path, *, data_label: str, not_built: list[str],
                 versions: dict[str, str], checks: list[dict] | None = None) -> Path:
    """Write ``report.html`` and ``results.json`` for a run; return the HTML's path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")

    doc = {
        "generated": now,
        "data": data_label,
        "versions": versions,
        "not_built": not_built,
        "studies": {
            r.study: {
                "data": r.data_label,
                "options": _jsonable(r.options),
                "notes": r.notes,
                "tables": {name: _records(t) for name, t in r.tables.items()},
                "figures": sorted(r.figures),
            }
            for r in results
        },
        "consistency_checks": checks or [],
    }
    (out_dir / "results.json").write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>csc-replication report</title>"
             f"<style>{_CSS}</style></head><body>"
             f"<header><h1>csc-replication: run report</h1><div>{html.escape(data_label)} &middot; {now}</div></header><main>"]
    parts.append("<nav>" + "".join(f"<a href='#{html.escape(r.study)}'>{html.escape(r.study)}</a>" for r in results) + "</nav>")

    # front page
    parts.append("<section id='summary'><h2>Summary</h2><table><tr><th>study</th><th>status</th><th>tables</th>"
                 "<th>figures</th><th>published numbers: reproduced within printed precision</th>"
                 "<th>Python vs R: within tolerance</th></tr>")
    for r in results:
        parts.append(f"<tr><td>{html.escape(r.study)}</td><td class='ok'>ran</td><td>{len(r.tables)}</td>"
                     f"<td>{len(r.figures)}</td><td>{_published_summary(r)}</td><td>{_r_summary(r)}</td></tr>")
    for name in not_built:
        parts.append(f"<tr><td>{html.escape(name)}</td><td class='notbuilt'>not built yet</td><td>-</td><td>-</td><td>-</td><td>-</td></tr>")
    parts.append("</table>")
    if checks:
        counts = pd.Series([c["status"] for c in checks]).value_counts()
        parts.append("<h3>Consistency of the published numbers</h3><table><tr><th>status</th><th>records</th></tr>"
                     + "".join(f"<tr><td>{html.escape(str(k))}</td><td>{int(v)}</td></tr>" for k, v in counts.items())
                     + "</table>")
    parts.append("</section>")

    for r in results:
        parts.append(f"<section id='{html.escape(r.study)}'><h2>{html.escape(r.study)}</h2>")
        parts.append(f"<p>Data: {html.escape(r.data_label)}</p>")
        if r.options:
            parts.append("<h3>Options</h3><table><tr><th>option</th><th>value</th></tr>"
                         + "".join(f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
                                   for k, v in r.options.items()) + "</table>")
        if r.notes:
            parts.append("<h3>Notes</h3><ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in r.notes) + "</ul>")
        for name, fig in r.figures.items():
            parts.append(f"<h3>{html.escape(name)}</h3><img alt='{html.escape(name)}' src='{_fig_data_uri(fig)}'>")
        for name, table in r.tables.items():
            parts.append(f"<details open><summary><b>{html.escape(name)}</b> ({len(table)} rows; "
                         f"<code>{html.escape(r.study)}/{html.escape(name)}.csv</code>)</summary>{_table_html(table)}</details>")
        parts.append("</section>")
    parts.append("<section id='versions'><h2>Versions</h2><table><tr><th>component</th><th>version</th></tr>"
                 + "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>" for k, v in versions.items())
                 + "</table></section></main>"
                 # the page records that it rendered: how many figures decoded (read by the browser test)
                 "<script>window.addEventListener('load',function(){var n=0;"
                 "document.querySelectorAll('img').forEach(function(i){if(i.complete&&i.naturalWidth>0)n++;});"
                 "document.body.setAttribute('data-figures-rendered',String(n));});</script>"
                 "</body></html>")
    path = out_dir / "report.html"
    path.write_text("".join(parts))
    return path
