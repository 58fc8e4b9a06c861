"""``replicate data``: build the real panel from the raw public files, and describe it.

    replicate data build --raw DIR --out FILE.parquet [--years 2009-2021] [--keep-small-las]
    replicate data describe FILE [--count values|numerators] [--format table|csv]
    replicate data sources [--format table|csv]
    replicate data indicators [--format table|csv]

``build`` writes the long panel (FILE), its LA table (``<stem>.las.parquet``) and the report of
exclusions, repairs, duplicates, conflicts and fills (``<stem>.report.csv``), with progress on
stderr. Failures end with a one-line reason and exit status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import pandas as pd

_FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table",
                       show_default=True)


class _Failure(click.ClickException):
    def show(self, file=None):  # noqa: D401 - click API
        click.echo(f"error: {self.message}", err=True)


def _emit(df: pd.DataFrame, fmt: str, title: str = "") -> None:
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or None, show_lines=False)
    for col in df.columns:
        table.add_column(str(col), overflow="fold")
    for row in df.itertuples(index=False):
        table.add_row(*["" if (isinstance(v, float) and pd.isna(v)) or v is None or v is pd.NA
                        else str(v) for v in row])
    Console(width=200).print(table)


def _years(text: str) -> range:
    try:
        a, _, b = text.partition("-")
        lo, hi = int(a), int(b or a)
    except ValueError as exc:
        raise _Failure(f"--years {text!r}: expected e.g. 2009-2021") from exc
    if hi < lo:
        raise _Failure(f"--years {text!r}: the last year is before the first")
    return range(lo, hi + 1)


@click.group("data")
def data() -> None:
    """Build the real LA x year panel from the raw public files, and describe it."""


@data.command("build")
@click.option("--raw", "raw_dir", required=True, type=click.Path(file_okay=False),
              help="Directory of the raw public files (as its INVENTORY.md lays them out).")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False),
              help="The panel parquet file to write (FILE.parquet).")
@click.option("--years", "years", default="2009-2021", show_default=True,
              help="Panel years kept (year ending 31 March).")
@click.option("--keep-small-las", is_flag=True,
              help="Keep City of London (201) and Isles of Scilly (420).")
def build_cmd(raw_dir: str, out_file: str, years: str, keep_small_las: bool) -> None:
    """Build the panel from --raw and write it to --out (plus .las.parquet and .report.csv)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .build import BuildError, build
    from .panel import report_sidecar
    from .readers import RawDataError

    raw = Path(raw_dir)
    if not raw.is_dir():
        raise _Failure(f"--raw {raw_dir}: no such directory")
    out = Path(out_file)
    if out.suffix != ".parquet":
        raise _Failure(f"--out {out_file}: expected a .parquet file name")
    if not out.parent.exists():
        raise _Failure(f"--out {out_file}: directory {out.parent} does not exist")
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=err, transient=False) as prog:
        task = prog.add_task("building", total=10)

        def cb(done, total, label):
            prog.update(task, completed=done, total=total, description=label)

        try:
            panel, report = build(raw, cb, years=_years(years),
                                  exclude=() if keep_small_las else (201, 420))
        except (BuildError, RawDataError) as exc:
            raise _Failure(str(exc)) from exc
    path, las_path = panel.to_parquet(out)
    rep_path = report_sidecar(out)
    report.to_csv(rep_path)
    n_val = int(panel.values().notna().sum())
    click.echo(f"wrote {path} ({len(panel.long)} rows, {n_val} with a value; "
               f"{len(panel.las)} LAs, {panel.years[0]}-{panel.years[-1]}, "
               f"{len(panel.indicators)} indicators)")
    click.echo(f"wrote {las_path}")
    kinds = ", ".join(f"{r.kind} {r.n}" for r in report.summary().itertuples())
    click.echo(f"wrote {rep_path} ({len(report.issues)} rows: {kinds})")
    for d in report.inventory_differences:
        click.echo(f"SIF table vs INVENTORY: {d}", err=True)
    click.echo(f"built in {report.seconds:.1f} s", err=True)


def coverage(panel, count: str = "values") -> pd.DataFrame:
    """Number of LAs with a value (``count="values"``) or with a published numerator
    (``"numerators"``: a rate without a population still counts), per indicator (rows) and
    year (columns)."""
    if count not in ("values", "numerators"):
        raise ValueError(f"count: expected 'values' or 'numerators', got {count!r}")
    long = panel.long.assign(value=panel.values() if count == "values"
                             else panel.long["numerator"])
    have = long[long["value"].notna()]
    tab = have.groupby(["indicator", "year"])["la_code"].nunique().unstack("year")
    tab = tab.reindex(index=list(panel.indicators["indicator"]), columns=panel.years)
    return tab.fillna(0).astype(int)


@data.command("describe")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--count", type=click.Choice(["values", "numerators"]), default="values",
              show_default=True, help="Count LAs with a value, or with a published numerator.")
@_FORMAT
def describe_cmd(file: str, count: str, fmt: str) -> None:
    """Coverage of a panel FILE: LAs with a value per indicator and year."""
    from .panel import PanelError, load_panel

    path = Path(file)
    if not path.is_file():
        raise _Failure(f"{file}: no such file")
    try:
        panel = load_panel(path)
    except PanelError as exc:
        raise _Failure(str(exc)) from exc
    tab = coverage(panel, count)
    df = tab.reset_index().rename(columns={"index": "indicator"})
    df.columns = [str(c) for c in df.columns]
    units = dict(zip(panel.indicators["indicator"], panel.indicators["unit"], strict=True))
    df.insert(1, "unit", df["indicator"].map(units))
    title = (f"{panel.label}: {len(panel.las)} LAs, {len(panel.indicators)} indicators; "
             f"LAs with a {'value' if count == 'values' else 'numerator'} per year "
             f"({len(panel.exclusions)} exclusions)")
    _emit(df, fmt, title)


@data.command("sources")
@_FORMAT
def sources_cmd(fmt: str) -> None:
    """The raw files the builders expect, who publishes them, where, and under which licence."""
    from .sources import SOURCES

    rows = []
    for s in SOURCES.values():
        for f in s.files:
            rows.append({"source": s.key, "file": f, "title": s.title, "publisher": s.publisher,
                         "published_at": s.published_at, "found_in": s.found_in,
                         "licence": s.licence, "years": s.years,
                         "panel_year": s.year_mapping, "note": s.note})
    df = pd.DataFrame(rows)
    if fmt == "table":
        df = df[["source", "file", "publisher", "licence", "years", "panel_year"]]
    _emit(df, fmt, "Raw sources (paths relative to --raw)")


@data.command("indicators")
@_FORMAT
def indicators_cmd(fmt: str) -> None:
    """The indicators of the real panel: names, definitions, units, sources."""
    from .sources import CATALOGUE, NOT_AVAILABLE

    rows = []
    for e in CATALOGUE.values():
        ind = e.indicator
        rows.append({"indicator": ind.name, "unit": ind.unit, "definition": ind.definition,
                     "denominator": ind.denominator, "basis": e.basis,
                     "sources": "; ".join(f"{o.source} ({o.role}{', ' + o.years if o.years else ''})"
                                          f": {o.how}" for o in e.origins),
                     "note": e.note})
    for name, why in NOT_AVAILABLE.items():
        rows.append({"indicator": name, "unit": "", "definition": "", "denominator": "",
                     "basis": "not available", "sources": "", "note": why})
    df = pd.DataFrame(rows)
    if fmt == "table":
        df = df[["indicator", "unit", "definition", "denominator", "basis"]]
    _emit(df, fmt, "Indicators of the real panel")


def main() -> None:  # pragma: no cover - `python -m replication.data.commands`
    data(standalone_mode=True)
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
