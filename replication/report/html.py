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
table.options td{text-align:left}
"""


def _fig_data_uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _table_html(df: pd.DataFrame, max_rows: int = 400) -> str:
    shown = df.head(max_rows).copy()
    for c in shown.columns:  # None and <NA> in text or nullable columns print as empty cells
        if shown[c].dtype == object or isinstance(shown[c].dtype, pd.api.extensions.ExtensionDtype):
            shown[c] = shown[c].astype(object).where(shown[c].notna(), "")
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


def _options_html(opts: pd.DataFrame) -> str:
    """The options table; a row whose option was set away from its default is flagged."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in opts.columns if c != "changed")
    rows = []
    for r in opts.itertuples(index=False):
        cls = " class='flag'" if r.changed else ""
        cells = "".join(f"<td>{html.escape(str(getattr(r, c)))}</td>" for c in opts.columns
                        if c != "changed")
        rows.append(f"<tr{cls}>{cells}</tr>")
    return f"<table class='options'><tr>{head}</tr>{''.join(rows)}</table>"


def _general(ex: pd.DataFrame) -> pd.DataFrame:
    """Exclusions with the row numbers taken out of their reasons, for counting by reason."""
    return ex.assign(reason=ex["reason"].astype(str).str.replace(r",? rows? \d+", "", regex=True))


def _counts(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Rows and distinct LAs per ``by`` group, largest first."""
    if df is None or not len(df):
        return pd.DataFrame(columns=[*by, "rows", "las"])
    g = df.assign(_la=df["la_code"] if "la_code" in df else pd.NA).groupby(by, dropna=False)
    out = g.agg(rows=("_la", "size"), las=("_la", "nunique")).reset_index()
    return out.sort_values("rows", ascending=False, kind="stable").reset_index(drop=True)


def _exclusion_summary(r: StudyResult) -> str:
    ex = r.exclusions
    if ex is None or not len(ex):
        return "none"
    parts = []
    for stage in ("panel", "sample", "analysis"):
        sub = ex[ex["stage"] == stage]
        if len(sub):
            parts.append(f"{stage} {sub['la_code'].nunique()}")
    return html.escape(", ".join(parts) + " LAs")


def _data_section(data_exclusions: pd.DataFrame | None, build_issues: pd.DataFrame | None,
                  build_note: str) -> str:
    parts = ["<section id='data'><h2>Data: exclusions and repairs</h2>"]
    ex = data_exclusions if data_exclusions is not None else pd.DataFrame()
    if len(ex):
        wide = ex[ex["year"].isna() & ex["indicator"].isna()]
        values = ex.drop(wide.index)
        parts.append("<h3>LAs left out of the panel</h3>" + (_table_html(wide) if len(wide) else
                                                            "<p>none</p>"))
        parts.append("<h3>Missing values, by indicator and reason</h3><p>Every missing value keeps the reason "
                     "it is missing (a suppression code, a file not available, ...); no value "
                     "is replaced by zero. All rows: <code>data/exclusions.csv</code>.</p>")
        parts.append(_table_html(_counts(_general(values), ["indicator", "reason"]), max_rows=80)
                     if len(values) else "<p>none</p>")
    else:
        parts.append("<p>The panel lists no exclusions.</p>")
    parts.append("<h3>Repairs, duplicates, conflicts and fills of the build</h3>")
    if build_issues is not None and len(build_issues):
        parts.append("<p>From the build's issue log (all rows: <code>data/build_issues.csv</code>"
                     "). Counts by kind:</p>" + _table_html(_counts(build_issues, ["kind"])))
        shown = build_issues[build_issues["kind"].isin(REPAIR_KINDS)]
        if len(shown):
            parts.append("<details><summary><b>Each repair, conflict, duplicate, fill and "
                         f"exclusion</b> ({len(shown)} rows)</summary>{_table_html(shown)}"
                         "</details>")
    else:
        parts.append(f"<p>{html.escape(build_note)}</p>")
    parts.append("</section>")
    return "".join(parts)


REPAIR_KINDS = ("repair", "conflict", "duplicate", "fill", "excluded")
"""Kinds of the build's issue log listed one by one in the report (the others are counted)."""


def write_report(results: list[StudyResult], out_dir: Path, *, data_label: str, not_built: list[str],
                 versions: dict[str, str], checks: list[dict] | None = None,
                 not_run: dict[str, str] | None = None,
                 data_exclusions: pd.DataFrame | None = None,
                 build_issues: pd.DataFrame | None = None,
                 build_note: str = "No build report: the panel was not built from raw files in "
                                   "this run and no <stem>.report.csv lies beside it.") -> Path:
    """Write ``report.html``, ``results.json`` and ``data/*.csv`` for a run; return the HTML's
    path. ``not_run``: study -> why it could not run on this data. ``data_exclusions``: the
    panel's exclusions (``Panel.exclusions``);
    ``build_issues``: the build's issue log (``Panel.build_issues``), or ``build_note`` says
    why there is none."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    data_dir = out_dir / "data"
    data_dir.mkdir(exist_ok=True)
    if data_exclusions is not None:
        data_exclusions.to_csv(data_dir / "exclusions.csv", index=False)
    if build_issues is not None:
        build_issues.to_csv(data_dir / "build_issues.csv", index=False)

    doc = {
        "generated": now,
        "data": data_label,
        "versions": versions,
        "not_built": not_built,
        "not_run": dict(not_run or {}),
        "studies": {
            r.study: {
                "data": r.data_label,
                "options": _jsonable(r.options),
                "options_table": _records(r.options_table()),
                "exclusions": _records(r.exclusions),
                "notes": r.notes,
                "tables": {name: _records(t) for name, t in r.tables.items()},
                "figures": sorted(r.figures),
            }
            for r in results
        },
        "consistency_checks": checks or [],
        "data_exclusions": _records(_counts(_general(data_exclusions), ["indicator", "reason"])
                                    if data_exclusions is not None else pd.DataFrame()),
        "build_issues": (_records(_counts(build_issues, ["kind"])) if build_issues is not None
                         else build_note),
    }
    (out_dir / "results.json").write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")

    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>csc-replication report</title>"
             f"<style>{_CSS}</style></head><body>"
             f"<header><h1>csc-replication: run report</h1><div>{html.escape(data_label)} &middot; {now}</div></header><main>"]
    parts.append("<nav>" + "".join(f"<a href='#{html.escape(r.study)}'>{html.escape(r.study)}</a>" for r in results) + "</nav>")

    # front page
    parts.append("<section id='summary'><h2>Summary</h2><table><tr><th>study</th><th>status</th><th>tables</th>"
                 "<th>figures</th><th>published numbers: reproduced within printed precision</th>"
                 "<th>Python vs R: within tolerance</th><th>LAs left out (stage)</th></tr>")
    for r in results:
        parts.append(f"<tr><td>{html.escape(r.study)}</td><td class='ok'>ran</td><td>{len(r.tables)}</td>"
                     f"<td>{len(r.figures)}</td><td>{_published_summary(r)}</td><td>{_r_summary(r)}</td>"
                     f"<td>{_exclusion_summary(r)}</td></tr>")
    for name, why in (not_run or {}).items():
        parts.append(f"<tr><td>{html.escape(name)}</td><td class='bad' colspan='7'>could not run on "
                     f"this data: {html.escape(why)}</td></tr>")
    for name in not_built:
        parts.append(f"<tr><td>{html.escape(name)}</td><td class='notbuilt'>not built yet</td><td>-</td><td>-</td><td>-</td><td>-</td><td>-</td></tr>")
    parts.append("</table>")
    if checks:
        counts = pd.Series([c["status"] for c in checks]).value_counts()
        parts.append("<h3>Consistency of the published numbers</h3><table><tr><th>status</th><th>records</th></tr>"
                     + "".join(f"<tr><td>{html.escape(str(k))}</td><td>{int(v)}</td></tr>" for k, v in counts.items())
                     + "</table>")
    parts.append("</section>")
    parts.append(_data_section(data_exclusions, build_issues, build_note))

    for r in results:
        parts.append(f"<section id='{html.escape(r.study)}'><h2>{html.escape(r.study)}</h2>")
        parts.append(f"<p>Data: {html.escape(r.data_label)}</p>")
        if r.options:
            opts = r.options_table()
            n_changed = int(opts["changed"].sum())
            parts.append("<h3>Options used and their alternatives</h3><p>"
                         + (f"{n_changed} option(s) set away from the default (flagged). "
                            if n_changed else "Every option at its default. ")
                         + f"Also in <code>{html.escape(r.study)}/options.csv</code>.</p>"
                         + _options_html(opts))
        ex = r.exclusions
        parts.append("<h3>Exclusions</h3>")
        if ex is not None and len(ex):
            parts.append("<p>LAs left out, at which stage and why (panel: out of the panel; "
                         "sample: outside the study's sample rule; analysis: in the sample, "
                         "without a value a table or model needs). The panel's missing values and "
                         "the build's repairs are in <a href='#data'>Data</a>. All rows: "
                         f"<code>{html.escape(r.study)}/exclusions.csv</code>.</p>"
                         + _table_html(_counts(ex, ["stage", "reason"]), max_rows=80)
                         + f"<details><summary>each exclusion ({len(ex)} rows)</summary>"
                         + _table_html(ex) + "</details>")
        else:
            parts.append("<p>none</p>")
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
