"""The ``replicate`` command line.

    replicate run all|<study> [--data synthetic|PATH] [--seed N] [--out DIR]
    replicate fixtures regen [--only NAME] | check [--only NAME]
    replicate parity [--format table|json] [--frozen]
    replicate check-published [--paper NAME] [--format table|json|csv]

Failures exit non-zero with a one-line reason; long work shows progress on stderr.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from replication import __version__

err = Console(stderr=True)
out = Console()


class _Failure(click.ClickException):
    """One-line failure: ``error: <reason>`` and exit status 1."""

    def show(self, file=None):  # noqa: D401 - click API
        click.echo(f"error: {self.message}", err=True)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="replicate")
def cli() -> None:
    """Re-run published studies of English children's social care, with every number held against R."""


def main() -> None:
    """Console entry point: any unexpected failure ends with a one-line reason and exit 1.

    Set CSC_DEBUG=1 to see the traceback instead.
    """
    import os  # noqa: PLC0415

    try:
        cli(standalone_mode=True)
    except Exception as exc:  # noqa: BLE001 - last-resort reporting of the CLI
        if os.environ.get("CSC_DEBUG"):
            raise
        click.echo(f"error: {type(exc).__name__}: {exc} (CSC_DEBUG=1 shows the traceback)", err=True)
        sys.exit(1)


# --------------------------------------------------------------------------- run


def _load_panel(data: str, seed: int, noise: str = "negbin"):
    from replication.data import load_panel  # noqa: PLC0415

    if data == "synthetic":
        return load_panel("synthetic", seed=seed, noise=noise)
    path = Path(data)
    if not path.exists():
        raise _Failure(f"--data {data}: no such file (give 'synthetic' or a panel written by `replicate data build`)")
    return load_panel(path)


def _parse_settings(settings: tuple[str, ...], modules: dict) -> dict:
    """``NAME=VALUE`` or ``STUDY.NAME=VALUE`` pairs -> {key: value}; each name must be an
    option of some study run (of that study, when qualified)."""
    import ast  # noqa: PLC0415

    from replication.papers import study_options  # noqa: PLC0415

    options = {name: study_options(m) for name, m in modules.items()}
    known = set().union(*options.values()) if options else set()
    chosen = {}
    for item in settings:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise _Failure(f"--set {item!r}: expected NAME=VALUE")
        study, dot, option = name.rpartition(".")
        if dot:
            if study not in options:
                raise _Failure(f"--set {name}: {study!r} is not a study of this run "
                               f"({', '.join(options) or 'none'})")
            if option not in options[study]:
                raise _Failure(f"--set {name}: {study} has no option {option!r}; known: "
                               + ", ".join(sorted(options[study])))
        elif name not in known:
            raise _Failure(f"--set {name}: no study in this run has that option; known: "
                           + ", ".join(sorted(known)))
        try:
            chosen[name] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            chosen[name] = text.strip()
    return chosen


def _build_note(panel, data: str) -> str:
    """Why a run has no build report to show."""
    if data == "synthetic":
        return ("Synthetic panel: generated, not built from raw files, so there are no repairs, "
                "duplicates or conflicts to report.")
    from replication.data.panel import report_sidecar  # noqa: PLC0415

    return (f"No build report: {report_sidecar(data).name} (written by `replicate data build` "
            "beside the panel) is not beside the panel file, so its repairs, duplicates and "
            "conflicts cannot be listed here.")


@cli.command()
@click.argument("study")
@click.option("--data", default="synthetic", show_default=True,
              help="'synthetic' (built-in generator) or a panel parquet file in the project's schema.")
@click.option("--seed", default=0, show_default=True, help="Seed of the synthetic panel.")
@click.option("--noise", type=click.Choice(["negbin", "poisson"]), default="negbin",
              show_default=True,
              help="Noise of the synthetic panel: 'negbin' (the real data's extra-Poisson "
                   "variation) or 'poisson' (the Poisson models exactly right).")
@click.option("--out", "out_dir", default="replication-output", show_default=True,
              type=click.Path(file_okay=False), help="Output directory.")
@click.option("--with-r/--without-r", "with_r", default=None,
              help="Re-compute each study's key numbers in R and report Python vs R "
                   "(default: when R is installed).")
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a study option (repeatable), e.g. --set alpha=0.5 --set s=lambda.1se; "
                   "VALUE is read as a Python literal (number, True, None, [list]) or else as text. "
                   "With 'all', each option goes to the studies that have it; STUDY.NAME=VALUE "
                   "sets it for one study only. The report lists every option, its default and "
                   "its alternatives.")
def run(study: str, data: str, seed: int, out_dir: str, with_r: bool | None,
        settings: tuple[str, ...] = (), noise: str = "negbin") -> None:
    """Run STUDY ('all' or one of the studies) and write its tables and figures to --out."""
    import inspect  # noqa: PLC0415

    from replication.rbridge import r_available  # noqa: PLC0415

    if with_r is None:
        with_r = r_available()
    elif with_r and not r_available():
        raise _Failure("--with-r: R is not installed (apt-get install r-base-core and the r-cran-* packages)")
    from replication.papers import STUDIES, study_module, study_options  # noqa: PLC0415
    from replication.papers.panel_correlations import run as run_panel_correlations  # noqa: PLC0415

    if study != "all" and study not in STUDIES:
        raise _Failure(f"unknown study {study!r}; choose 'all' or one of: {', '.join(STUDIES)}")
    wanted = list(STUDIES) if study == "all" else [study]
    chosen = _parse_settings(settings, {n: m for n in wanted
                                        if (m := study_module(n)) is not None})
    t0 = time.perf_counter()
    try:
        if data != "synthetic" and (seed != 0 or noise != "negbin"):
            raise _Failure("--seed and --noise describe the synthetic panel; they do not apply "
                           f"to --data {data}")
        panel = _load_panel(data, seed, noise)
    except (ValueError, FileNotFoundError) as exc:
        raise _Failure(str(exc)) from exc
    err.print(f"data: {panel.label}")
    out_path = Path(out_dir)
    out_path.mkdir(parents=True, exist_ok=True)
    results = []
    not_built = []
    not_run: dict[str, str] = {}
    with _progress() as prog:
        if study == "all":
            task = prog.add_task("panel correlations", total=None)

            def cb(done, total, label, _task=task):
                prog.update(_task, completed=done, total=total, description=f"panel correlations: {label}")

            results.append(run_panel_correlations(panel, progress=cb))
        for name in wanted:
            mod = study_module(name)
            if mod is None:
                not_built.append(name)
                continue
            task = prog.add_task(name, total=None)

            def cb(done, total, label, _task=task, _name=name):
                prog.update(_task, completed=done, total=total, description=f"{_name}: {label}")

            kwargs = {"with_r": with_r} if "with_r" in inspect.signature(mod.run).parameters else {}
            accepted = study_options(mod)
            kwargs.update({k: v for k, v in chosen.items() if k in accepted})
            kwargs.update({k.partition(".")[2]: v for k, v in chosen.items()
                           if "." in k and k.partition(".")[0] == name})
            try:
                results.append(mod.run(panel, progress=cb, **kwargs))
            except (ValueError, KeyError, TypeError) as exc:
                msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
                msg = msg if msg.startswith(f"{name}:") else f"{name}: {msg}"
                if study != "all":
                    raise _Failure(msg) from exc
                not_run[name] = msg  # the other studies go on; the report says why
                prog.update(task, description=f"{name}: could not run")
    written = []
    for res in results:
        written.extend(res.write(out_path))
    from replication.parity.versions import stack_versions  # noqa: PLC0415
    from replication.report import write_report  # noqa: PLC0415

    checks = None
    try:
        from replication.published.checks import check_published  # noqa: PLC0415

        checks = [c.as_dict() for c in check_published(None)]
    except ModuleNotFoundError:
        pass
    report = write_report(results, out_path, data_label=panel.label, not_built=not_built,
                          not_run=not_run,
                          versions=stack_versions(with_r=with_r), checks=checks,
                          data_exclusions=panel.exclusions, build_issues=panel.build_issues,
                          build_note=_build_note(panel, data))
    written.extend([report, out_path / "results.json"])
    manifest = {
        "version": __version__,
        "data": panel.label,
        "ran": [r.study for r in results],
        "not_built": not_built,
        "not_run": not_run,
        "with_r": with_r,
        "settings": {k: (v if isinstance(v, (int, float, str, bool, type(None), list)) else repr(v))
                     for k, v in chosen.items()},
        "seconds": round(time.perf_counter() - t0, 2),
    }
    (out_path / "run.json").write_text(json.dumps(manifest, indent=1) + "\n")
    for res in results:
        out.print(f"[green]ran[/green] {res.study}: {len(res.tables)} tables, {len(res.figures)} figures "
                  f"-> {out_path / res.study}")
    for why in not_run.values():
        out.print(f"[yellow]could not run[/yellow] {escape(why)}")
    for name in not_built:
        out.print(f"[yellow]not built yet[/yellow] {name}: its study module does not exist in this version; nothing was run for it")
    out.print(f"wrote {len(written)} files to {out_path} in {manifest['seconds']} s")


# --------------------------------------------------------------------------- fixtures


@cli.group()
def fixtures() -> None:
    """Frozen R outputs in fixtures/r: regenerate them, or check them against live R."""


@fixtures.command("regen")
@click.option("--only", "only", multiple=True, help="Fixture name (repeatable); default all.")
def fixtures_regen(only: tuple[str, ...]) -> None:
    """Regenerate fixtures through the R bridge (the only way they change)."""
    from replication.rbridge import RError, RNotAvailable  # noqa: PLC0415
    from replication.rbridge.fixtures import fixture_names, regen  # noqa: PLC0415

    names = list(only) or fixture_names()
    unknown = sorted(set(names) - set(fixture_names()))
    if unknown:
        raise _Failure(f"no fixture named {', '.join(unknown)} (see fixtures/r/)")
    with _progress() as prog:
        task = prog.add_task("regenerating fixtures", total=len(names))
        for name in names:
            prog.update(task, description=f"regenerating {name}")
            try:
                fx = regen(name)
            except (RNotAvailable, RError) as exc:
                raise _Failure(f"{name}: {exc}") from exc
            prog.advance(task)
            out.print(f"regenerated {name} (R {fx.meta['r_versions'].get('R')})")


@fixtures.command("check")
@click.option("--only", "only", multiple=True, help="Fixture name (repeatable); default all.")
def fixtures_check(only: tuple[str, ...]) -> None:
    """Compare frozen fixtures with live R; say which side moved. Exit 1 if any moved."""
    from replication.rbridge import r_available  # noqa: PLC0415
    from replication.rbridge.fixtures import check, fixture_names  # noqa: PLC0415

    if not r_available():
        raise _Failure("R is not installed: apt-get install r-base-core r-cran-jsonlite and the reference packages")
    names = list(only) or fixture_names()
    table = Table("fixture", "status", "max rel diff", "where", "note")
    bad = 0
    with _progress() as prog:
        task = prog.add_task("checking fixtures", total=len(names))
        for name in names:
            res = check(name)
            bad += res.status != "same"
            table.add_row(name, res.status, f"{res.max_rel_diff:.3g}", res.where, res.message)
            prog.advance(task)
    out.print(table)
    if bad:
        raise _Failure(f"{bad} fixture(s) differ from live R (see the table)")


# --------------------------------------------------------------------------- parity


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--frozen", is_flag=True, help="Compare with the frozen fixtures even when R is present.")
@click.option("--update-baseline", is_flag=True,
              help="Record these differences and versions as the baseline later runs are compared with.")
def parity(fmt: str, frozen: bool, update_baseline: bool) -> None:
    """Largest relative difference from R per method, against its tolerance. Exit 1 if any is out.

    When a method leaves its tolerance, the versions are compared with those recorded in the
    baseline (fixtures/parity_baseline.json) to say which side moved: Python's stack or R's.
    """
    from replication.parity import collect, load_baseline, moved_versions, write_baseline  # noqa: PLC0415
    from replication.parity.versions import stack_versions  # noqa: PLC0415
    from replication.rbridge import r_available  # noqa: PLC0415

    live = r_available() and not frozen
    rows = collect(live=live)
    versions = stack_versions(with_r=live)
    baseline = load_baseline()
    moved = moved_versions(baseline, versions) if baseline else []
    if fmt == "json":
        click.echo(json.dumps({"live": live, "versions": versions, "moved_since_baseline": moved,
                               "rows": [r.as_dict() for r in rows]}, indent=1))
    else:
        table = Table("method", "R reference", "cases", "max rel diff", "tolerance", "ok", "against")
        for r in rows:
            table.add_row(r.method, r.reference, str(r.cases), f"{r.max_rel_diff:.3g}", f"{r.tolerance:.0e}",
                          "[green]yes[/green]" if r.ok else "[red]NO[/red]", r.source)
        out.print(table)
        out.print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
        if moved:
            out.print("moved since the baseline: " + ", ".join(moved))
    if update_baseline:
        path = write_baseline(rows, versions)
        err.print(f"baseline written to {path}")
    failed = [r for r in rows if not r.ok]
    if failed:
        side = ("; moved since the baseline: " + ", ".join(moved)) if moved else \
            "; no version moved since the baseline: the change is in this project's code"
        raise _Failure(f"{len(failed)} method(s) outside tolerance: "
                       + "; ".join(f"{r.method} ({r.max_rel_diff:.3g} > {r.tolerance:.0e})" for r in failed) + side)


# --------------------------------------------------------------------------- published


@cli.command("check-published")
@click.option("--paper", default=None, help="One study (default: all four).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def check_published_cmd(paper: str | None, fmt: str) -> None:
    """Check the internal consistency of the numbers the papers print (METHODS section 4)."""
    try:
        from replication.published.checks import check_published  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        raise _Failure("the published-numbers checker is not built in this version") from exc
    try:
        records = [r.as_dict() for r in check_published(paper)]
    except (KeyError, ValueError) as exc:
        raise _Failure(str(exc)) from exc
    if fmt == "json":
        click.echo(json.dumps(records, indent=1, default=str))
    elif fmt == "csv":
        import pandas as pd  # noqa: PLC0415

        click.echo(pd.DataFrame(records).to_csv(index=False), nl=False)
    else:
        table = Table("paper", "location", "quantity", "reported", "recomputed", "status", "note")
        colour = {"consistent": "green", "inconsistent": "red", "not_checkable": "yellow"}
        for r in records:
            rec = r["recomputed"]
            rec_s = f"{rec:.4g}" if isinstance(rec, float) else str(rec)
            table.add_row(r["paper"], r["location"], r["quantity"], str(r["reported"]), rec_s,
                          f"[{colour[r['status']]}]{r['status']}[/]", r["note"])
        out.print(table)


from replication.data.commands import data as _data_group  # noqa: E402

cli.add_command(_data_group)


if __name__ == "__main__":  # pragma: no cover
    main()
