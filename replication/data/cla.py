"""Builder: children looked after (SSDA903), LA tables 2010-2022.

Written here. Two families of files (see :mod:`replication.data.sources`):

- ``cla_sfr``: the SFR underlying-data tables 2010-2017 (SFR27/2010 March and Started; the
  ``*_CLA<Y>`` tables with CLA at 31 March, during the year and by legal status; the ``ADM``
  tables of children who started to be looked after; the ``Missing`` tables 2015-2017);
- ``cla_ees``: the EES files of the 2022 release, years 2018-2022 (numbers at 31 March and
  starting; missing incidents).

Year = the year ending 31 March of the table. The year written in a column name is checked
against the file's year; ``SFR34_ADM2015`` heads its starts column ``CLA_started2014`` but holds
the 2015 figures (England 31,070 as published for 2015, against 30,430 for 2014 in
``SFR36_ADM2014``): it is read as 2015 and the repair reported.

=================  ==============================================================  ==========
indicator          numerator / denominator                                         years
=================  ==============================================================  ==========
cla_rate           CLA at 31 March / child population                              2010-2022
cla_starts         children starting to be looked after / child population         2010-2022
cla_care_orders    (CLA_ICO + CLA_FCO) / CLA at 31 March (interim + full care      2011-2017
                   orders)
cla_section20      CLA_S20 / CLA at 31 March                                       2011-2017
cla_missing        children with a missing incident in the year / children looked  2015-2022
                   after during the year
=================  ==============================================================  ==========

(The 2018 release's CLA at 31 March by legal status is absent: care orders and section 20
stop in 2017.)

An LA given twice for one year and measure is reported (``duplicate``, or ``conflict`` where
the values differ); the first row is kept.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .readers import (
    IssueLog,
    RawTable,
    add_reasons,
    ees_rows,
    find_columns,
    first_of_duplicates,
    la_rows,
    numbers,
    open_source,
    read_csv,
    value_frame,
)
from .sources import CLA_EES_MISSING, CLA_EES_NUMBER, CLA_SFR_FILES

EES_LABELS = {
    "at31": "children looked after at 31 march each year",
    "starting": "children starting to be looked after each year",
    "missing": "children who had a missing incident during the year",
    "during": "children looked after during the year",
}


def _sfr_rows(table: RawTable, log, register, year):
    cols = find_columns(table, {"level": "geog_l", "code": "geog_c", "ons": "New_geog_code",
                                "name": "geog_n"}, optional=("ons", "name"))
    sub, codes = la_rows(table, cols["code"], cols["level"], log)
    if register is not None and "ons" in cols:
        register.add(codes, sub.frame[cols["ons"]], year, None, None, table.source)
    return sub, codes


def _year_column(table: RawTable, pattern: str, label: str, year: int, log) -> str:
    """The column matching ``pattern`` (with a 4-digit year); a year other than ``year`` is
    reported as a repair (the file's year wins)."""
    col = find_columns(table, {label: f"re:{pattern}"})[label]
    m = re.search(r"(\d{4})\s*$", col)
    if m and int(m.group(1)) != year:
        log.add("repair", table.source, f"column {col!r} is headed {m.group(1)} but the file is "
                f"the {year} table; read as {year}", column=col, year=year)
    return col


def read_sfr27(path, kind: str, *, source: str | None = None, log: IssueLog | None = None,
               register=None) -> list[pd.DataFrame]:
    """SFR27/2010: ``kind`` 'march' (CLA at 31 March 2010) or 'started' (starts in 2009-10)."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    sub, codes = _sfr_rows(table, log, register, 2010)
    if kind not in ("march", "started"):
        raise ValueError(f"kind: expected 'march' or 'started', got {kind!r}")
    name, head = (("cla_rate", "MarTotal_2010") if kind == "march"
                  else ("cla_starts", "StartTotal_2010"))
    col = find_columns(sub, {"n": head})["n"]
    v, r = numbers(sub, col, log)
    keep = first_of_duplicates(sub, codes, 2010, {col: v}, log, indicator=name)
    return [value_frame(codes[keep], 2010, name, v[keep], None, "rate_per_10000", sub.source,
                        r[keep], "cla_sfr")]


def read_sfr_cla(path, year: int, *, source: str | None = None, log: IssueLog | None = None,
                 register=None) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """A ``*_CLA<Y>`` table: (value frames, CLA during the year as (la_code, n, reason))."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    sub, codes = _sfr_rows(table, log, register, year)
    mar = _year_column(sub, r"cla mar\d{4}", "mar", year, log)
    during = _year_column(sub, r"cla \d{4}", "during", year, log)
    cols = find_columns(sub, {"ico": "CLA_ICO", "fco": "CLA_FCO", "s20": "CLA_S20"})
    m, mr = numbers(sub, mar, log)
    ico, icr = numbers(sub, cols["ico"], log)
    fco, fcr = numbers(sub, cols["fco"], log)
    s20, s2r = numbers(sub, cols["s20"], log)
    d, dr = numbers(sub, during, log)
    keep = first_of_duplicates(sub, codes, year, {mar: m, cols["ico"]: ico, cols["fco"]: fco,
                                                  cols["s20"]: s20, during: d}, log)
    codes, m, mr, ico, icr, fco, fcr, s20, s2r, d, dr = (
        a[keep] for a in (codes, m, mr, ico, icr, fco, fcr, s20, s2r, d, dr))
    src = sub.source
    frames = [
        value_frame(codes, year, "cla_rate", m, None, "rate_per_10000", src, mr, "cla_sfr"),
        value_frame(codes, year, "cla_care_orders", ico + fco, m, "percentage", src,
                    add_reasons(icr, fcr), "cla_sfr", mr),
        value_frame(codes, year, "cla_section20", s20, m, "percentage", src, s2r, "cla_sfr",
                    mr),
    ]
    return frames, pd.DataFrame({"la_code": codes, "n": d, "reason": dr})


def read_sfr_adm(path, year: int, *, source: str | None = None, log: IssueLog | None = None,
                 register=None) -> list[pd.DataFrame]:
    """An ``ADM`` table: children who started to be looked after in the year."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    sub, codes = _sfr_rows(table, log, register, year)
    col = _year_column(sub, r"cla started\d{4}", "started", year, log)
    v, r = numbers(sub, col, log)
    keep = first_of_duplicates(sub, codes, year, {col: v}, log, indicator="cla_starts")
    return [value_frame(codes[keep], year, "cla_starts", v[keep], None, "rate_per_10000",
                        sub.source, r[keep], "cla_sfr")]


def read_sfr_missing(path, year: int, during: pd.DataFrame | None, *,
                     source: str | None = None, log: IssueLog | None = None,
                     register=None) -> list[pd.DataFrame]:
    """A ``Missing`` table (2015-2017); the denominator is CLA during the year from the CLA
    table of the same year (``during``: la_code, n, reason)."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    sub, codes = _sfr_rows(table, log, register, year)
    col = find_columns(sub, {"n": ("CLA_MissDuringYear", "Miss_Miss_DuringYear")})["n"]
    v, r = numbers(sub, col, log)
    keep = first_of_duplicates(sub, codes, year, {col: v}, log, indicator="cla_missing")
    codes, v, r = codes[keep], v[keep], r[keep]
    if during is None:
        den = np.full(len(codes), np.nan)
        drs = np.full(len(codes), f"no CLA table for {year} (children looked after during the "
                                  f"year)", dtype=object)
    else:
        first = first_of_duplicates(sub.source, during["la_code"], year,
                                    {"n": during["n"]}, log, indicator="cla_missing",
                                    what="children looked after during the year (the "
                                         "denominator)")
        d = during[first].set_index("la_code")
        den = d["n"].reindex(codes).to_numpy(dtype=float)
        drs = d["reason"].reindex(codes).to_numpy(dtype=object)
        drs = np.array([x if isinstance(x, str) else ("LA absent from the CLA table"
                                                      if np.isnan(y) else None)
                        for x, y in zip(drs, den, strict=True)], dtype=object)
    return [value_frame(codes, year, "cla_missing", v, den, "percentage", sub.source, r,
                        "cla_sfr", drs)]


def _labelled(sub: RawTable, label_col: str, number_col: str, log):
    lab = sub.frame[label_col].astype(str).str.strip().str.lower().to_numpy()
    v, r = numbers(sub, number_col, log)
    return lab, v, r


def read_ees_number(path, *, source: str | None = None, log: IssueLog | None = None,
                    register=None) -> list[pd.DataFrame]:
    """``cla_number_and_rate_per_10k_children.csv``: CLA at 31 March and starting, 2018-2022.

    In this release the measure's label is in the column headed ``population_count``."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    sub, codes, years = ees_rows(table, log, register)
    cols = find_columns(sub, {"label": ("population_count", "cla_group", "measure"),
                              "n": "number"})
    lab, v, r = _labelled(sub, cols["label"], cols["n"], log)
    out = []
    for name, key in (("cla_rate", "at31"), ("cla_starts", "starting")):
        sel = lab == EES_LABELS[key]
        if not sel.any():
            raise table.error(f"no rows labelled {EES_LABELS[key]!r}", None, cols["label"])
        sel[sel] = first_of_duplicates(sub.subset(sel), codes[sel], years[sel],
                                       {cols["n"]: v[sel]}, log, label=lab[sel],
                                       indicator=name)
        out.append(value_frame(codes[sel], years[sel], name, v[sel], None, "rate_per_10000",
                               sub.source, r[sel], "cla_ees"))
    return out


def read_ees_missing(path, *, source: str | None = None, log: IssueLog | None = None,
                     register=None) -> list[pd.DataFrame]:
    """``la_children_who_were_missing_or_away_...csv``: ``cla_missing`` 2018-2022."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    sub, codes, years = ees_rows(table, log, register)
    cols = find_columns(sub, {"label": "cla_group", "n": "number"})
    lab, v, r = _labelled(sub, cols["label"], cols["n"], log)
    num = pd.DataFrame({"la_code": codes, "year": years, "v": v, "r": r})
    parts = {}
    for key in ("missing", "during"):
        sel = lab == EES_LABELS[key]
        if not sel.any():
            raise table.error(f"no rows labelled {EES_LABELS[key]!r}", None, cols["label"])
        sel[sel] = first_of_duplicates(sub.subset(sel), codes[sel], years[sel],
                                       {cols["n"]: v[sel]}, log, label=lab[sel],
                                       indicator="cla_missing")
        parts[key] = num[sel]
    m = parts["missing"].merge(parts["during"], on=["la_code", "year"], how="left",
                               suffixes=("", "_d"))
    return [value_frame(m["la_code"], m["year"], "cla_missing", m["v"], m["v_d"],
                        "percentage", sub.source, m["r"].to_numpy(dtype=object), "cla_ees",
                        m["r_d"].to_numpy(dtype=object))]


def build(raw_dir, log: IssueLog, register=None) -> list[pd.DataFrame]:
    """Every CLA value under ``raw_dir``."""
    raw = Path(raw_dir)
    out: list[pd.DataFrame] = []
    for year, files in sorted(CLA_SFR_FILES.items()):
        during = None
        for kind, rel in files.items():
            p = open_source(raw, rel, log)
            if p is None:
                continue
            if kind in ("march", "started"):
                out.extend(read_sfr27(p, kind, source=rel, log=log, register=register))
            elif kind == "cla":
                frames, during = read_sfr_cla(p, year, source=rel, log=log, register=register)
                out.extend(frames)
            elif kind == "adm":
                out.extend(read_sfr_adm(p, year, source=rel, log=log, register=register))
            elif kind == "missing":
                out.extend(read_sfr_missing(p, year, during, source=rel, log=log,
                                            register=register))
    p = open_source(raw, CLA_EES_NUMBER, log)
    if p is not None:
        out.extend(read_ees_number(p, source=CLA_EES_NUMBER, log=log, register=register))
    p = open_source(raw, CLA_EES_MISSING, log)
    if p is not None:
        out.extend(read_ees_missing(p, source=CLA_EES_MISSING, log=log, register=register))
    return out
