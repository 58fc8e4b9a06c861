"""Builder: the ONS mid-year population aged 0 to 17 (``child_population``).

Written here. Sources (see :mod:`replication.data.sources`):

- ``ons``: the EES file ``ons_mid-year_population_estimates_2012_to_2024.csv`` (rows of age
  group "Children aged 0 to 17 years"); mid-year Y -> panel year Y + 1, the estimate DfE
  uses for the rates of the year ending 31 March Y + 1;
- ``sfr27_pop``: the column ``Mid2009Pop0-17`` of the SFR27/2010 CLA table at 31 March 2010
  (mid-2009 -> panel year 2010), used where the ONS file has nothing;
- ``cla_ees_pop``: the ``population_estimate`` DfE used for the CLA rates of 2018-2022 (the
  row "Children looked after at 31 March each year"; time_period Y -> panel year Y), used where
  the ONS file has nothing: it gives Bournemouth, Poole and Dorset County (835-837), which the
  ONS file lists as ``x`` in every year, a population for 2018 and 2019. It is an earlier ONS
  vintage (1-2% from the ONS file's revised series for other LAs).

No LA estimates for mid-2010 and mid-2011 are in the public files found: panel years 2011 and
2012 have no child population, nor have 835-837 for 2013-2017 (rates there have no
denominator; reported).

An LA given twice for one year is reported (``duplicate``, or ``conflict`` where the values
differ); the first row is kept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .readers import (
    IssueLog,
    ees_rows,
    find_columns,
    first_of_duplicates,
    la_rows,
    numbers,
    open_source,
    read_csv,
    value_frame,
)
from .sources import CLA_EES_NUMBER, CLA_SFR_FILES, SOURCES

AGE_0_17 = "children aged 0 to 17 years"


def _positive(vals, rsn, table, column, log):
    vals = vals.copy()
    zero = vals == 0
    for i in np.flatnonzero(zero):
        rsn[i] = f"zero population in column {column!r}, row {int(table.rows[i])}"
        log.add("invalid_value", table.source, rsn[i] + "; treated as missing",
                column=column, row=int(table.rows[i]))
    vals[zero] = np.nan
    return vals, rsn


def read_ons(path, *, source: str | None = None, log: IssueLog | None = None,
             register=None) -> pd.DataFrame:
    """``child_population`` from the EES ONS population file (mid-year Y -> Y + 1)."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    sub, codes, years = ees_rows(table, log, register)
    cols = find_columns(sub, {"pop": "population_estimate", "age": "age_group"},
                        optional=("age",))
    if "age" in cols:
        age = sub.frame[cols["age"]].astype(str).str.strip().str.lower()
        keep = (age == AGE_0_17).to_numpy()
        if not keep.any():
            raise table.error(f"no rows of age group {AGE_0_17!r}", None, cols["age"])
        sub, codes, years = sub.subset(keep), codes[keep], years[keep]
    vals, rsn = numbers(sub, cols["pop"], log)
    vals, rsn = _positive(vals, rsn, sub, cols["pop"], log)
    keep = first_of_duplicates(sub, codes, years + 1, {cols["pop"]: vals}, log,
                               indicator="child_population")
    return value_frame(codes[keep], years[keep] + 1, "child_population", vals[keep], None,
                       "count", sub.source, rsn[keep], "ons")


def read_sfr27_population(path, *, source: str | None = None, log: IssueLog | None = None,
                          register=None) -> pd.DataFrame:
    """``child_population`` for panel year 2010 from SFR27/2010 (column Mid2009Pop0-17)."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    cols = find_columns(table, {"level": "geog_l", "code": "geog_c", "pop": "Mid2009Pop0-17"})
    sub, codes = la_rows(table, cols["code"], cols["level"], log)
    vals, rsn = numbers(sub, cols["pop"], log)
    vals, rsn = _positive(vals, rsn, sub, cols["pop"], log)
    keep = first_of_duplicates(sub, codes, 2010, {cols["pop"]: vals}, log,
                               indicator="child_population")
    return value_frame(codes[keep], 2010, "child_population", vals[keep], None, "count",
                       sub.source, rsn[keep], "sfr27_pop")


def read_cla_population(path, *, source: str | None = None, log: IssueLog | None = None,
                        register=None) -> pd.DataFrame:
    """``child_population`` from the EES CLA file (time_period Y -> panel year Y)."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    sub, codes, years = ees_rows(table, log, None)
    cols = find_columns(sub, {"label": ("population_count", "cla_group", "measure"),
                              "pop": "population_estimate"})
    lab = sub.frame[cols["label"]].astype(str).str.strip().str.lower()
    keep = (lab == "children looked after at 31 march each year").to_numpy()
    if not keep.any():
        raise table.error("no rows labelled 'Children looked after at 31 March each year'",
                          None, cols["label"])
    sub, codes, years = sub.subset(keep), codes[keep], years[keep]
    vals, rsn = numbers(sub, cols["pop"], log)
    vals, rsn = _positive(vals, rsn, sub, cols["pop"], log)
    keep = first_of_duplicates(sub, codes, years, {cols["pop"]: vals}, log,
                               indicator="child_population")
    return value_frame(codes[keep], years[keep], "child_population", vals[keep], None,
                       "count", sub.source, rsn[keep], "cla_ees_pop")


def build(raw_dir, log: IssueLog, register=None) -> list[pd.DataFrame]:
    """Every population value found under ``raw_dir``."""
    raw = Path(raw_dir)
    out = []
    p = open_source(raw, SOURCES["ons"].files[0], log)
    if p is not None:
        out.append(read_ons(p, source=SOURCES["ons"].files[0], log=log, register=register))
    rel = CLA_SFR_FILES[2010]["march"]
    p = open_source(raw, rel, log)
    if p is not None:
        out.append(read_sfr27_population(p, source=rel, log=log, register=register))
    p = Path(raw) / CLA_EES_NUMBER
    if p.is_file():
        out.append(read_cla_population(p, source=CLA_EES_NUMBER, log=log))
    return out
