"""Build the real LA x year panel from the raw public files.

Written here (pandas). ``build_panel(raw_dir)`` runs every builder (population, CIN census,
workforce, LAIT, s251 outturn, CLA, outcomes of CIN and CLA, IMD, Ofsted), then:

1. merges the child population first (ONS, then SFR27/2010 for 2010) and puts it under every
   rate per 10,000 and every amount per child;
2. makes a percentage whose numerator exceeds its denominator missing (reported);
3. merges the sources of each indicator by their role in
   :data:`replication.data.sources.CATALOGUE`: the first primary source with a value is used
   (then ``fill`` sources); a source's duplicate rows are reported (identical: duplicate;
   different: conflict, first kept); every other source's value that differs from the one
   used by more than rounding is reported as a conflict (``check`` sources are only compared);
4. keeps the panel years in ``years`` (default 2009-2021: the studies' span; later years would
   bring in LA codes 940-943, beyond the panel schema's 201-938) and reports what it drops;
5. assembles ``Panel.las`` (codes, names, regions, status, IMD 2019, first SIF, first ILACS,
   spend per child in the financial year of the first SIF inspection) and the exclusions
   (City of London and Isles of Scilly by default, and every missing value with its reason,
   which the report lists too, as ``missing_value``).

Every value keeps its source file (``source``: path relative to the raw directory). The
:class:`BuildReport` lists exclusions, repairs, duplicates, conflicts and fills, each with its
source file; ``replicate data build`` writes it as ``<stem>.report.csv``.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import cin, cla, imd, lait, ofsted, outcomes, population, s251, workforce
from .lacodes import Register
from .panel import (
    DEFAULT_EXCLUDED_LAS,
    EXCLUSION_REASONS,
    LA_CODE_MAX,
    LONG_COLUMNS,
    UNITS,
    Panel,
    indicator_table,
)
from .readers import ISSUE_COLUMNS, IssueLog
from .sources import (
    CATALOGUE,
    CONFLICT_ABS_TOL,
    CONFLICT_REL_TOL,
    CONFLICT_REL_TOL_BY_INDICATOR,
    EXTRA_INDICATORS,
    NOT_AVAILABLE,
    SOURCES,
    origin_order,
)

DEFAULT_YEARS = range(2009, 2022)
KEY = ["la_code", "year", "indicator"]
POPULATION_BASED = frozenset(
    name for name, e in CATALOGUE.items() if e.indicator.denominator == "children aged 0-17")
ProgressFn = Callable[[int, int, str], None]


class BuildError(RuntimeError):
    """The raw directory cannot give a panel (e.g. none of the expected files is there)."""


@dataclass
class BuildReport:
    """What the build did besides reading values.

    issues        one row per event: kind, source, la_code, year, indicator, column, row,
                  detail (kinds: readers.ISSUE_KINDS)
    sif_findings  the SIF verification (check, severity, la_code, name, detail) or None
    sif_counts    counts of the verified SIF table (first SIF per LA) or None
    inventory_differences  how those counts differ from INVENTORY.md
    seconds, peak_rss_mb   time and the process's peak resident memory
    """

    issues: pd.DataFrame
    sif_findings: pd.DataFrame | None = None
    sif_counts: dict | None = None
    inventory_differences: list[str] = field(default_factory=list)
    seconds: float = float("nan")
    peak_rss_mb: float = float("nan")
    raw_dir: str = ""

    def summary(self) -> pd.DataFrame:
        """Counts of issues by kind."""
        s = self.issues.groupby("kind").size().rename("n").reset_index()
        return s.sort_values("n", ascending=False).reset_index(drop=True)

    def to_csv(self, path) -> Path:
        path = Path(path)
        self.issues.to_csv(path, index=False)
        return path


# ---- merging -----------------------------------------------------------------------------

def _values(df: pd.DataFrame) -> np.ndarray:
    scale = df["unit"].map(lambda u: np.nan if UNITS.get(u) is None else UNITS[u])
    sc = scale.to_numpy(dtype=float)
    num = df["numerator"].to_numpy(dtype=float)
    den = df["denominator"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(den > 0, num / den * sc, np.nan)
    return np.where(np.isnan(sc), num, ratio)


def _check_ratios(v: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """Percentages above 100% (numerator > denominator) are made missing and reported."""
    num = v["numerator"].to_numpy()
    den = v["denominator"].to_numpy()
    with np.errstate(invalid="ignore"):
        bad = (v["unit"] == "percentage").to_numpy() & (num > den * (1 + 1e-9))
    if bad.any():
        v = v.copy()
        for r in v[bad].itertuples():
            log.add("invalid_value", r.source, f"numerator {r.numerator:g} exceeds denominator "
                    f"{r.denominator:g} (over 100%); treated as missing", la_code=r.la_code,
                    year=r.year, indicator=r.indicator)
        v.loc[bad, "reason"] = [f"numerator {n:g} exceeds denominator {d:g}"
                                for n, d in zip(num[bad], den[bad], strict=True)]
        v.loc[bad, "numerator"] = np.nan
    return v


def merge_sources(values: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """One row per (la_code, year, indicator) from the candidate rows of every source (see
    the module docstring). ``values``: builder frames (readers.VALUE_COLUMNS + origin)."""
    if values.empty:
        return values.drop(columns=["origin"], errors="ignore")
    v = values.reset_index(drop=True).copy()
    orders = {}
    for name in v["indicator"].unique():
        orders[name] = origin_order(name)
    ordrole = [orders[i].get(o, (99, "primary")) for i, o in zip(v["indicator"], v["origin"],
                                                                 strict=True)]
    unknown = {(i, o) for (i, o), (k, _r) in zip(zip(v["indicator"], v["origin"], strict=True),
                                                 ordrole, strict=True) if k == 99}
    for i, o in sorted(unknown):
        log.add("note", o, f"source {o!r} not in the catalogue for {i!r}; used after the "
                           f"catalogued ones", indicator=i)
    v["order_"] = np.array([k for k, _r in ordrole], dtype=np.int64)
    v["role_"] = np.array([r for _k, r in ordrole], dtype=object)
    v["val_"] = _values(v)
    v["has_"] = ~np.isnan(v["val_"].to_numpy())
    v["id_"] = np.arange(len(v))

    # duplicates within one source
    dup = v.duplicated(KEY + ["origin"], keep=False)
    if dup.any():
        for _k, g in v[dup].groupby(KEY + ["origin"], sort=False):
            first = g.iloc[0]
            for r in g.iloc[1:].itertuples():
                same = (np.isnan(r.val_) and np.isnan(first["val_"])) or \
                    (not np.isnan(r.val_) and not np.isnan(first["val_"])
                     and abs(r.val_ - first["val_"]) <= 1e-9 * max(1.0, abs(r.val_)))
                kind = "duplicate" if same else "conflict"
                log.add(kind, r.source, f"more than one row in this source "
                        f"({first['val_']:g} and {r.val_:g}); first kept", la_code=r.la_code,
                        year=r.year, indicator=r.indicator)
        v = v[~v.duplicated(KEY + ["origin"], keep="first")]

    usable = v[v["role_"] != "check"]
    ranked = usable.sort_values(KEY + ["has_", "order_"], ascending=[True, True, True, False,
                                                                      True], kind="stable")
    chosen = ranked.drop_duplicates(KEY, keep="first")

    # fills: the chosen row is not the first-ordered usable row
    first_order = usable.groupby(KEY)["order_"].min().rename("min_")
    ch = chosen.join(first_order, on=KEY)
    filled = ch[(ch["order_"] > ch["min_"]) & ch["has_"]]
    if len(filled):
        prim = usable.sort_values(KEY + ["order_"]).drop_duplicates(KEY, keep="first")
        prim = prim.set_index(KEY)
        for r in filled.itertuples():
            p = prim.loc[(r.la_code, r.year, r.indicator)]
            log.add("fill", r.source, f"value from {r.origin} ({r.val_:g}) because "
                    f"{p['origin']} has none ({p['reason'] or 'missing'}; {p['source']})",
                    la_code=r.la_code, year=r.year, indicator=r.indicator)

    # conflicts: any other source's value against the chosen one
    others = v[v["has_"] & ~v["id_"].isin(chosen["id_"])]
    if len(others):
        m = others.merge(chosen[KEY + ["val_", "source", "origin"]].rename(
            columns={"val_": "val_c", "source": "source_c", "origin": "origin_c"}), on=KEY)
        m = m[~np.isnan(m["val_c"].to_numpy())]
        diff = np.abs(m["val_"].to_numpy() - m["val_c"].to_numpy())
        rel = m["indicator"].map(lambda i: CONFLICT_REL_TOL_BY_INDICATOR.get(
            i, CONFLICT_REL_TOL)).to_numpy(dtype=float)
        tol = CONFLICT_ABS_TOL + rel * np.abs(m["val_c"].to_numpy())
        for r in m[diff > tol].itertuples():
            log.add("conflict", r.source, f"{r.origin} gives {r.val_:.6g}, {r.origin_c} "
                    f"({r.source_c}) {r.val_c:.6g}; {r.origin_c} used", la_code=r.la_code,
                    year=r.year, indicator=r.indicator)
    out = chosen.drop(columns=["order_", "role_", "val_", "has_", "id_"])
    return out.sort_values(KEY, kind="stable").reset_index(drop=True)


def _attach_population(values: pd.DataFrame, pop: pd.DataFrame,
                       log: IssueLog) -> pd.DataFrame:
    """Put the child population under the rates and amounts per child."""
    v = values.copy()
    need = v["indicator"].isin(list(POPULATION_BASED)).to_numpy() & \
        np.isnan(v["denominator"].to_numpy())
    p = pop.set_index(["la_code", "year"])["numerator"]
    idx = pd.MultiIndex.from_arrays([v.loc[need, "la_code"], v.loc[need, "year"]])
    den = p.reindex(idx).to_numpy(dtype=float)
    v.loc[need, "denominator"] = den
    nopop = need.copy()
    nopop[need] = np.isnan(den)
    hasnum = ~np.isnan(v["numerator"].to_numpy())
    msg = "no child population for this LA and year (denominator missing)"
    v.loc[nopop & hasnum, "reason"] = msg
    if (nopop & hasnum).any():
        g = v[nopop & hasnum].groupby(["indicator", "source"])
        for (ind, src), d in g:
            yrs = sorted(d["year"].unique())
            log.add("no_population", src, f"{len(d)} values without a child population "
                    f"(years {', '.join(map(str, yrs))}); numerators kept, values missing",
                    indicator=ind)
    return v


def _exclusions(long: pd.DataFrame, reasons: pd.Series, exclude: Iterable[int]) -> pd.DataFrame:
    vals = _values(long)
    miss = np.isnan(vals) & ~long["la_code"].isin(list(exclude)).to_numpy()
    ex = long.loc[miss, ["la_code", "year", "indicator"]].copy()
    r = reasons[miss].astype(object)
    ex["reason"] = ["value missing: " + (x if isinstance(x, str) else "not published")
                    for x in r]
    return ex.reset_index(drop=True)


# ---- LA table ----------------------------------------------------------------------------

def _las(long: pd.DataFrame, register: Register, imd_df, sif_first, ilacs_first,
         exclude) -> pd.DataFrame:
    codes = sorted(long["la_code"].unique())
    las = register.table(codes)
    pop = long[long["indicator"] == "child_population"].dropna(subset=["numerator"])
    latest = pop.sort_values("year").drop_duplicates("la_code", keep="last")
    las = las.merge(latest[["la_code", "numerator"]].rename(
        columns={"numerator": "child_population"}), on="la_code", how="left")
    if imd_df is not None:
        las = las.merge(imd_df, on="la_code", how="left")
        las["imd_rank"] = las["imd_rank"].astype("Int64")
        las["deprivation_tertile"] = imd.tertiles(las["imd_rank"],
                                                  las["la_code"].isin(list(exclude)))
    if sif_first is not None:
        las = las.merge(sif_first, on="la_code", how="left")
        spend = long[long["indicator"] == "spend_per_child"]
        s = spend.assign(v=_values(spend)).set_index(["la_code", "year"])["v"]
        key = pd.MultiIndex.from_arrays([las["la_code"],
                                         las["inspection_panel_year"].fillna(-1).astype(int)])
        las["spend_per_child"] = s.reindex(key).to_numpy(dtype=float)
    if ilacs_first is not None:
        las = las.merge(ilacs_first, on="la_code", how="left")
    for col in ("inspection_panel_year", "sif_inspections"):
        if col in las.columns:
            las[col] = las[col].astype("Int64")
    las["inadequate_2012_13"] = pd.array([pd.NA] * len(las), dtype="boolean")
    return las


# ---- the build ---------------------------------------------------------------------------

def build(raw_dir, progress: ProgressFn | None = None, *, years: Iterable[int] = DEFAULT_YEARS,
          exclude: Iterable[int] = DEFAULT_EXCLUDED_LAS, repair_sif: bool = True,
          lait_files: tuple[str, ...] | None = None) -> tuple[Panel, BuildReport]:
    """(the panel, the build report). See :func:`build_panel`."""
    t0 = time.perf_counter()
    raw = Path(raw_dir)
    if not raw.is_dir():
        raise BuildError(f"raw directory not found: {raw}")
    years = sorted({int(y) for y in years})
    exclude = tuple(int(c) for c in exclude)
    log = IssueLog()
    register = Register()
    steps = ["population", "CIN census", "workforce", "LAIT", "s251 outturn", "CLA", "IMD",
             "Ofsted", "merge", "LA table"]
    total = len(steps)

    def tick(k, label):
        if progress is not None:
            progress(k, total, label)

    frames: list[pd.DataFrame] = []
    tick(0, steps[0])
    frames += population.build(raw, log, register)
    tick(1, steps[1])
    frames += cin.build(raw, log, register)
    tick(2, steps[2])
    frames += workforce.build(raw, log, register)
    tick(3, steps[3])
    frames += (lait.build(raw, log, register) if lait_files is None
               else lait.build(raw, log, register, files=lait_files))
    tick(4, steps[4])
    frames += s251.build(raw, log, register)
    tick(5, steps[5])
    frames += cla.build(raw, log, register)
    frames += outcomes.build(raw, log, register)
    tick(6, steps[6])
    imd_df = imd.build(raw, log, register)
    tick(7, steps[7])
    sif_first, ilacs_first, sif, findings = ofsted.build(raw, log, register, repair=repair_sif)
    tick(8, steps[8])
    frames = [f for f in frames if len(f)]
    if not frames:
        expected = ", ".join(sorted({f for s in SOURCES.values() for f in s.files})[:3])
        raise BuildError(f"{raw}: none of the expected source files found (e.g. {expected}; "
                         f"see `replicate data sources`)")
    for c in register.clashes:
        log.add("conflict", "", c)
    values = pd.concat(frames, ignore_index=True)
    values = _check_ratios(values, log)

    popv = merge_sources(values[values["indicator"] == "child_population"], log)
    rest = _attach_population(values[values["indicator"] != "child_population"], popv, log)
    merged = pd.concat([popv, merge_sources(rest, log)], ignore_index=True)

    # years and LA codes the panel holds
    out_years = ~merged["year"].isin(years)
    if out_years.any():
        for src, d in merged[out_years].groupby("source"):
            log.add("out_of_range", src, f"{len(d)} values in years "
                    f"{', '.join(map(str, sorted(d['year'].unique())))} outside the panel's "
                    f"{years[0]}-{years[-1]}; not in the panel")
    merged = merged[~out_years]
    big = merged["la_code"] > LA_CODE_MAX
    if big.any():
        for c, d in merged[big].groupby("la_code"):
            log.add("excluded", ", ".join(sorted(d["source"].unique()))[:200],
                    f"LA code {c} is beyond the panel schema's range (201-{LA_CODE_MAX}); "
                    f"{len(d)} values not in the panel", la_code=int(c))
        merged = merged[~big]
    for name, why in NOT_AVAILABLE.items():
        log.add("note", "", f"vocabulary indicator {name!r} not built: {why}", indicator=name)

    tick(9, steps[9])
    long = merged.loc[:, list(LONG_COLUMNS)].reset_index(drop=True)
    exclusions = _exclusions(long, merged["reason"].reset_index(drop=True), exclude)
    keys = zip(long["la_code"], long["year"], long["indicator"], strict=True)
    src = dict(zip(keys, long["source"], strict=True))
    for r in exclusions.itertuples():
        log.add("missing_value", src[(r.la_code, r.year, r.indicator)],
                r.reason.removeprefix("value missing: "), la_code=r.la_code, year=r.year,
                indicator=r.indicator)
    for c in exclude:
        if (long["la_code"] == c).any():
            log.add("excluded", "", f"{EXCLUSION_REASONS.get(c, 'excluded by request')} "
                    f"({int((long['la_code'] == c).sum())} values)", la_code=c)
    las = _las(long, register, imd_df, sif_first, ilacs_first, exclude)
    if sif_first is not None:
        no_sif = sorted(set(las["la_code"]) - set(sif_first["la_code"]))
        for c in no_sif:
            log.add("note", ofsted.SIF_FILE, "no SIF inspection in the derived table (the "
                    "scraper held only current LAs' pages)" if c in (835, 836, 837, 909, 928)
                    else "no SIF inspection in the derived table", la_code=int(c))
    panel = Panel(long, las, label=f"real public data ({raw.name})", exclusions=exclusions,
                  exclude=exclude)
    _describe_extras(panel)
    counts = ofsted.sif_counts(sif) if sif is not None else None
    report = BuildReport(
        issues=_in_years(log.frame(), years), sif_findings=findings, sif_counts=counts,
        inventory_differences=ofsted.compare_with_inventory(counts) if counts else [],
        seconds=time.perf_counter() - t0,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        raw_dir=str(raw))
    panel.build_report = report
    panel.build_issues = report.issues
    tick(10, "done")
    return panel, report


def _in_years(issues: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Conflicts, fills and duplicates of years outside the panel are summarised, not listed."""
    y = issues["year"]
    drop = (issues["kind"].isin(["conflict", "fill", "duplicate"]) & y.notna()
            & ~y.isin(years)).to_numpy(dtype=bool)
    if not drop.any():
        return issues
    extra = (issues[drop].groupby(["kind", "source"]).size().rename("n").reset_index())
    rows = [{"kind": "note", "source": r.source, "detail": f"{r.n} {r.kind} events in years "
             f"outside the panel's {years[0]}-{years[-1]} (not listed)"}
            for r in extra.itertuples()]
    out = pd.concat([issues[~drop], pd.DataFrame(rows, columns=issues.columns)],
                    ignore_index=True)
    for col in ("la_code", "year", "row"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
    return out


def _describe_extras(panel: Panel) -> None:
    """Fill the definitions of the real-only indicators into ``panel.indicators``."""
    units = dict(zip(panel.indicators["indicator"], panel.indicators["unit"], strict=True))
    table = indicator_table(units)
    for i, name in enumerate(table["indicator"]):
        spec = EXTRA_INDICATORS.get(name)
        if spec is not None:
            table.loc[i, "definition"] = spec.definition
            table.loc[i, "denominator"] = spec.denominator
    panel.indicators = table


def build_panel(raw_dir, progress: ProgressFn | None = None, **options) -> Panel:
    """The real panel from the raw files in ``raw_dir`` (laid out as its INVENTORY.md says).

    ``progress(done, total, label)`` is called as each step starts. Options: ``years``
    (panel years kept, default 2009-2021), ``exclude`` (LA codes excluded and reported;
    default City of London and Isles of Scilly), ``repair_sif`` (use the SIF dates re-parsed
    from the front pages where they disagree; default True), ``lait_files`` (LAIT snapshots,
    newest first). The :class:`BuildReport` is ``panel.build_report``.
    """
    panel, _report = build(raw_dir, progress, **options)
    return panel


__all__ = ["BuildError", "BuildReport", "DEFAULT_YEARS", "ISSUE_COLUMNS", "build",
           "build_panel", "merge_sources"]
