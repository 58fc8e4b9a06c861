"""Builder: outcomes of children in need and of children looked after; placement stability
and care leavers (EES LA files), and the older SSDA903 outcome tables (OC, 2013-2015).

Written here (pandas). Files (see :mod:`replication.data.sources`):

- ``cin_outcomes_ees``: the EES files of 'Outcomes for children in need, including children
  looked after' (academic years 2016/17-2021/22): ``ks2_la``, ``ks4_la``,
  ``absence_six_half_terms_la``, ``sen_la``, ``permanent_exclusions_and_suspensions_la``; one
  row per LA, year and social care group (``CINO``: in need, not on a plan, not looked after;
  ``CPPO``: on a child protection plan, not looked after; ``CLA 12 months``: looked after
  continuously for 12 months at 31 March). The ``cin_`` indicators take CINO (adding CPPO
  would lose most LAs: its LA cells are mostly ``c`` or ``x``, e.g. every KS4 cell in
  2017/18); the ``cla_`` ones take CLA 12 months. Absence: school type 'Total' only.
- ``cla_outcomes_ees``: ``la_conviction_health_outcome_cla`` (OC2, 2018-2022: health, dental,
  immunisations, substance misuse, SDQ, convictions of children looked after 12 months).
- ``cla_stability_leavers_ees``: placement stability at 31 March and care leavers' activity
  and accommodation (2018-2022).
- ``cla_oc_sfr``: the LA tables of SFR11/2016 (CLA outcomes at 31 March 2015): persistent
  absence (years 2013-2015) and 5+ GCSEs A*-C (2011-2015), as exported from the workbook
  (several header rows of which one holds the years; LA codes in the second column).

Year = the year ending 31 March: an academic year 2017/18 (``time_period`` 201718) holds the
cohort at 31 March 2018 and is panel year 2018 (checked: KS2 of children looked after in
``ks2_la`` 201718 equals the 'year ending 31 March 2018' release); reporting year 2018 is
2018; the SFR11/2016 column headed 2015 is 2015.

Counts give numerator and denominator. An average score (SDQ, Attainment 8) is a ``score``
(the published average). The SFR11/2016 tables publish percentages only (bases rounded to
5): stored as the published percentage over a nominal 100 (basis 'published percentage').
Suppressed cells (``c``, ``x``, ...) are missing with the code as the reason, never zero. A
row given twice for one LA and year is reported (identical: duplicate; different: conflict)
and the first kept.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .readers import (
    IssueLog,
    RawDataError,
    RawTable,
    _decode,
    add_reasons,
    ees_rows,
    find_columns,
    la_rows,
    numbers,
    open_source,
    read_csv,
    read_csv_text,
    value_frame,
)
from .sources import OUTCOME_FILES

CIN_GROUPS = ("cino at 31 march",)
CLA_GROUP = "cla 12 months at 31 march"

#: file key -> (row filters {column: value}, specs). A spec: (indicator, unit, group 'cin' |
#: 'cla', numerator columns (summed), denominator columns or None for a score).
WIDE: dict[str, tuple[dict[str, str], tuple]] = {
    "ks2": ({}, (
        ("cin_ks2_reading", "percentage", "cin", ("t_read_met_expected_standard",),
         ("t_read_eligible_pupils",)),
        ("cin_ks2_writing", "percentage", "cin", ("t_writta_met_expected_standard",),
         ("t_writta_eligible_pupils",)),
        ("cin_ks2_maths", "percentage", "cin", ("t_mat_met_expected_standard",),
         ("t_mat_eligible_pupils",)),
        ("cin_ks2_rwm", "percentage", "cin", ("t_rwm_met_expected_standard",),
         ("t_rwm_eligible_pupils",)),
        ("cin_ks2_gps", "percentage", "cin", ("t_gps_met_expected_standard",),
         ("t_gps_eligible_pupils",)),
        ("cla_ks2_reading", "percentage", "cla", ("t_read_met_expected_standard",),
         ("t_read_eligible_pupils",)),
        ("cla_ks2_writing", "percentage", "cla", ("t_writta_met_expected_standard",),
         ("t_writta_eligible_pupils",)),
        ("cla_ks2_maths", "percentage", "cla", ("t_mat_met_expected_standard",),
         ("t_mat_eligible_pupils",)),
        ("cla_ks2_rwm", "percentage", "cla", ("t_rwm_met_expected_standard",),
         ("t_rwm_eligible_pupils",)),
    )),
    "ks4": ({}, (
        ("cin_gcse_em_grade4", "percentage", "cin", ("t_l2basics_94",), ("t_pupils",)),
        ("cin_gcse_em_grade5", "percentage", "cin", ("t_l2basics_95",), ("t_pupils",)),
        ("cla_gcse_em_grade4", "percentage", "cla", ("t_l2basics_94",), ("t_pupils",)),
        ("cla_gcse_em_grade5", "percentage", "cla", ("t_l2basics_95",), ("t_pupils",)),
        ("cla_attainment8", "score", "cla", ("avg_att8",), None),
    )),
    "absence": ({"school_type": "total"}, (
        ("cin_persistent_absence", "percentage", "cin", ("t_pupils_pa_10_exact",),
         ("t_pupils",)),
        ("cin_unauthorised_absence", "percentage", "cin", ("t_sess_unauthorised",),
         ("t_sess_possible",)),
        ("cla_persistent_absence", "percentage", "cla", ("t_pupils_pa_10_exact",),
         ("t_pupils",)),
        ("cla_unauthorised_absence", "percentage", "cla", ("t_sess_unauthorised",),
         ("t_sess_possible",)),
    )),
    "sen": ({}, (
        ("cin_sen_support", "percentage", "cin", ("t_SEN_support",), ("t_pupils",)),
    )),
    "exclusions": ({}, (
        ("cin_suspension", "percentage", "cin", ("t_one_plus_sus",), ("t_pupils",)),
        ("cla_suspension", "percentage", "cla", ("t_one_plus_sus",), ("t_pupils",)),
    )),
}

#: file key -> (the two label columns, specs). A spec: (indicator, unit, numerator labels,
#: denominator labels or None). Labels match ignoring case and outer spaces; one ending in
#: ``*`` matches as a prefix.
LONG: dict[str, tuple[tuple[str, str], tuple]] = {
    "oc2": (("cla_group", "characteristic"), (
        ("cla_health_assessment", "percentage",
         ("health assessments: children looked after all ages",
          "had their annual health assessment"),
         ("health assessments: children looked after all ages", "total all ages")),
        ("cla_dental_check", "percentage",
         ("health assessments: children looked after all ages",
          "had their teeth checked by a dentist"),
         ("health assessments: children looked after all ages", "total all ages")),
        ("cla_immunisations", "percentage",
         ("health assessments: children looked after all ages",
          "had their immunisations up to date"),
         ("health assessments: children looked after all ages", "total all ages")),
        ("cla_substance_misuse", "percentage",
         ("substance misuse: children looked after all ages",
          "identified as having a substance misuse problem"),
         ("substance misuse: children looked after all ages", "total all ages")),
        ("cla_substance_intervention", "percentage",
         ("substance misuse: children looked after all ages",
          "received an intervention for their substance misuse problem"),
         ("substance misuse: children looked after all ages",
          "identified as having a substance misuse problem")),
        ("cla_sdq_mean", "score", ("ages 5 to 16 years with sdq score", "sdq average score"),
         None),
        ("cla_sdq_concern", "percentage",
         ("ages 5 to 16 years with sdq score", "sdq score is a cause for concern"),
         ("ages 5 to 16 years with sdq score", "sdq score was received")),
        ("cla_convicted", "percentage",
         ("convictions: children looked after ages 10 to 17 years", "convicted or subject to*"),
         ("convictions: children looked after ages 10 to 17 years",
          "total ages 10 to 17 years")),
    )),
    "stability": (("cla_group", "characteristic"), (
        ("cla_3_placements", "percentage",
         ("children looked after at 31 march", "with 3 or more placements during the year"),
         ("children looked after at 31 march", "total children")),
        ("cla_long_term_stability", "percentage",
         ("children looked after continuously for at least 2.5 years at 31 march aged under "
          "16 years", "living in the same placement for at least 2 years*"),
         ("children looked after continuously for at least 2.5 years at 31 march aged under "
          "16 years", "total children")),
    )),
    "leavers_activity": (("age", "activity"), (
        ("care_leavers_neet_19_21", "percentage",
         ("aged 19 to 21", "total not in education, employment or training"),
         ("aged 19 to 21", "total")),
    )),
    "leavers_accommodation": (("age", "accommodation_suitability"), (
        ("care_leavers_unsuitable_19_21", "percentage",
         ("19 to 21 years", "accommodation considered not suitable"),
         ("19 to 21 years", "total")),
    )),
}

#: SFR11/2016 sheets: key -> (indicator, value label, base label) as regular expressions on
#: the header (footnote digits removed, lower case).
SFR_SHEETS: dict[str, tuple[str, str, str]] = {
    "sfr_absence": ("cla_persistent_absentees_15pct",
                    r"percentage of looked after children classed as persistent absentees",
                    r"number of looked after children matched to absence data"),
    "sfr_ks4": ("cla_gcse_5_a_to_c", r"5\+ gcses (at grades )?a\*-c( or equivalent)?",
                r"number eligible to sit gcses"),
}


def _norm(values) -> np.ndarray:
    return np.array([re.sub(r"\s+", " ", str(v)).strip().lower() for v in values],
                    dtype=object)


def _matches(labels: np.ndarray, want: str) -> np.ndarray:
    if want.endswith("*"):
        return np.array([lab.startswith(want[:-1]) for lab in labels], dtype=bool)
    return labels == want


def first_per_key(df: pd.DataFrame, source: str, log: IssueLog, what: str,
                  keys=("la_code", "year")) -> pd.DataFrame:
    """One row per ``keys`` (columns ``v`` value, ``r`` reason): a repeated row is reported
    (identical: duplicate; different: conflict) and the first kept."""
    keys = list(keys)
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        for k, g in df[dup].groupby(keys, sort=False):
            a = g["v"].to_numpy(dtype=float)
            same = bool(np.all(a == a[0]) or np.all(np.isnan(a)))
            log.add("duplicate" if same else "conflict", source,
                    f"{what}: {len(g)} rows for this LA and year "
                    f"({', '.join(f'{x:g}' for x in a)}); first kept",
                    la_code=int(k[0]), year=int(k[1]))
    return df[~df.duplicated(keys, keep="first")]


def _group_frame(codes, years, mask, v, r) -> pd.DataFrame:
    return pd.DataFrame({"la_code": codes[mask], "year": years[mask], "v": v[mask],
                         "r": r[mask]})


def read_wide(path, key: str, *, source: str | None = None, log: IssueLog | None = None,
              register=None) -> list[pd.DataFrame]:
    """One of the CIN outcome files (``key``: ks2, ks4, absence, sen, exclusions)."""
    if key not in WIDE:
        raise ValueError(f"key: expected one of {sorted(WIDE)}, got {key!r}")
    log = log if log is not None else IssueLog()
    filters, specs = WIDE[key]
    table = read_csv(path, source=source, log=log)
    sub, codes, years = ees_rows(table, log, register)
    needed = sorted({c for s in specs for c in s[3] + (s[4] or ())})
    wanted = {"group": "social_care_group", **{f"f:{c}": c for c in filters},
              **{c: c for c in needed}}
    cols = find_columns(sub, wanted)
    parsed = {c: numbers(sub, cols[c], log) for c in needed}
    keep = np.ones(len(sub), dtype=bool)
    for c, val in filters.items():
        keep &= _norm(sub.frame[cols[f"f:{c}"]]) == val
    group = _norm(sub.frame[cols["group"]])
    src = sub.source
    out = []
    for name, unit, grp, num_cols, den_cols in specs:
        parts = []
        for part, cs in (("n", num_cols), ("d", den_cols or ())):
            if not cs:
                continue
            v, r = parsed[cs[0]]
            for c in cs[1:]:
                v, r = v + parsed[c][0], add_reasons(r, parsed[c][1])
            parts.append((part, v, r))
        names = CIN_GROUPS if grp == "cin" else (CLA_GROUP,)
        merged = None
        for g in names:
            mask = keep & (group == g)
            if not mask.any():
                raise table.error(f"no rows of social care group {g!r}", None, cols["group"])
            gf = None
            for part, v, r in parts:
                f = first_per_key(_group_frame(codes, years, mask, v, r), src, log,
                                  f"{name} ({g}, {'numerator' if part == 'n' else 'base'})")
                f = f.rename(columns={"v": f"{part}_{g}", "r": f"{part}r_{g}"})
                gf = f if gf is None else gf.merge(f, on=["la_code", "year"], how="outer")
            merged = gf if merged is None else merged.merge(gf, on=["la_code", "year"],
                                                            how="outer")
        res = {}
        for part, _v, _r in parts:
            vals = np.zeros(len(merged))
            rsn = np.full(len(merged), None, dtype=object)
            for g in names:
                col = merged[f"{part}_{g}"].to_numpy(dtype=float)
                rs = merged[f"{part}r_{g}"].to_numpy(dtype=object)
                absent = pd.isna(merged[f"{part}_{g}"]).to_numpy() & pd.isna(rs)
                rs = np.where(absent, f"no {g!r} row for this LA and year", rs)
                rs = np.array([x if isinstance(x, str) else None for x in rs], dtype=object)
                vals = vals + col
                rsn = add_reasons(rsn, rs)
            res[part] = (vals, rsn)
        num, nr = res["n"]
        den, dr = res.get("d", (None, None))
        out.append(value_frame(merged["la_code"], merged["year"], name, num, den, unit, src,
                               nr, "cin_outcomes_ees", dr))
    return out


def read_long(path, key: str, *, source: str | None = None, log: IssueLog | None = None,
              register=None) -> list[pd.DataFrame]:
    """A labelled EES file (``key``: oc2, stability, leavers_activity,
    leavers_accommodation): one row per LA, year and label pair, the count in ``number``."""
    if key not in LONG:
        raise ValueError(f"key: expected one of {sorted(LONG)}, got {key!r}")
    log = log if log is not None else IssueLog()
    (lab_a, lab_b), specs = LONG[key]
    table = read_csv(path, source=source, log=log)
    sub, codes, years = ees_rows(table, log, register)
    cols = find_columns(sub, {"a": lab_a, "b": lab_b, "n": "number"})
    a = _norm(sub.frame[cols["a"]])
    b = _norm(sub.frame[cols["b"]])
    v, r = numbers(sub, cols["n"], log)
    src = sub.source
    origin = {"oc2": "cla_outcomes_ees"}.get(key, "cla_stability_leavers_ees")
    out = []
    for name, unit, num_lab, den_lab in specs:
        parts = {}
        for part, lab in (("n", num_lab), ("d", den_lab)):
            if lab is None:
                continue
            mask = _matches(a, lab[0]) & _matches(b, lab[1])
            if not mask.any():
                raise table.error(f"no rows labelled {lab[0]!r} / {lab[1]!r}", None,
                                  cols["b"])
            parts[part] = first_per_key(_group_frame(codes, years, mask, v, r), src, log,
                                        f"{name} ({lab[1]})")
        m = parts["n"]
        if "d" in parts:
            m = m.merge(parts["d"], on=["la_code", "year"], how="left", suffixes=("", "_d"))
            dr = m["r_d"].to_numpy(dtype=object)
            dr = np.where(pd.isna(m["v_d"]).to_numpy() & pd.isna(dr),
                          "no base row for this LA and year", dr)
            den = m["v_d"].to_numpy(dtype=float)
        else:
            den, dr = None, None
        out.append(value_frame(m["la_code"], m["year"], name, m["v"], den, unit, src,
                               m["r"].to_numpy(dtype=object), origin, dr))
    return out


# ---- SFR11/2016 LA tables (several header rows) -------------------------------------------

_YEAR = re.compile(r"^((?:19|20)\d\d)")


def _label(text: str) -> str:
    t = re.sub(r"\s+", " ", str(text)).strip().lower()
    return re.sub(r"\d+$", "", t).strip()


def read_grid(path, *, source: str | None = None, log: IssueLog | None = None) -> RawTable:
    """A CSV exported from a workbook sheet, without a header of its own: every record a row
    (columns ``col0``, ``col1``, ...; row 1 = the file's first line), read as
    :func:`replication.data.readers.read_csv` reads (encodings, blank rows, truncation)."""
    path = Path(path)
    source = source or path.name
    if not path.is_file():
        raise RawDataError(f"{source}: file not found", file=source)
    text, enc = _decode(path.read_bytes(), source)
    if not text.strip():
        raise RawDataError(f"{source}: empty file", file=source)
    try:
        width = max(len(r) for r in csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise RawDataError(f"{source}: not readable as CSV ({exc})", file=source) from exc
    head = ",".join(f"col{j}" for j in range(width)) + "\n"
    table = read_csv_text(head + text, source, enc, log)
    return table


def read_sfr_sheet(path, key: str, *, source: str | None = None, log: IssueLog | None = None,
                   register=None) -> list[pd.DataFrame]:
    """An SFR11/2016 LA table (``key``: sfr_absence, sfr_ks4): the row of years heads
    blocks of columns; in each block the value column and its base are found by their
    headers; LA rows carry the 3-digit code."""
    if key not in SFR_SHEETS:
        raise ValueError(f"key: expected one of {sorted(SFR_SHEETS)}, got {key!r}")
    log = log if log is not None else IssueLog()
    name, value_pat, base_pat = SFR_SHEETS[key]
    table = read_grid(path, source=source, log=log)
    grid = table.frame.to_numpy(dtype=object)
    ncol = grid.shape[1]
    # the year row: the first with two or more cells that start with a year
    year_row = None
    for i in range(min(len(grid), 40)):
        if sum(1 for c in grid[i] if _YEAR.match(str(c).strip())) >= 2:
            year_row = i
            break
    if year_row is None:
        raise table.error("no header row of years found in the first 40 rows")
    # the code column: a column whose cells below the header are mostly 3-digit codes
    below = grid[year_row + 1:]
    code_col = None
    for j in range(min(ncol, 4)):
        vals = [str(c).strip() for c in below[:, j] if str(c).strip()]
        if vals and sum(bool(re.fullmatch(r"\d{3}", x)) for x in vals) >= 0.5 * len(vals):
            code_col = j
            break
    if code_col is None:
        raise table.error("no column of 3-digit LA codes found")
    is_data = np.array([any(re.fullmatch(r"[\d,.]+", str(c).strip()) for c in row)
                        for row in below])
    first_data = int(np.flatnonzero(is_data)[0]) if is_data.any() else len(below)
    heads = below[:first_data]
    # the block year of each column, and its header (the last non-blank cell above the data)
    block = [None] * ncol
    cur = None
    for j in range(ncol):
        m = _YEAR.match(str(grid[year_row][j]).strip())
        if m:
            cur = int(m.group(1))
        block[j] = cur
    label = []
    for j in range(ncol):
        cells = [str(c).strip() for c in heads[:, j] if str(c).strip()]
        label.append(_label(cells[-1]) if cells else "")
    years = sorted({y for y in block if y is not None})
    value_col, base_col = {}, {}
    for y in years:
        in_block = [j for j in range(ncol) if block[j] == y]
        for j in in_block:
            if re.fullmatch(value_pat, label[j]) and y not in value_col:
                value_col[y] = j
            if re.fullmatch(base_pat, label[j]) and y not in base_col:
                base_col[y] = j
    if not value_col:
        raise table.error(f"no column headed like {value_pat!r} under any year")
    # data rows: below the headers, with a code or a name (regions and England: no code)
    data_idx = np.arange(year_row + 1 + first_data, len(grid))
    name_col = code_col + 1 if code_col + 1 < ncol else code_col
    rows_text = grid[data_idx]
    has = np.array([bool(str(r[code_col]).strip()) or bool(str(r[name_col]).strip())
                    for r in rows_text])
    sel = data_idx[has]
    body = RawTable(table.frame.iloc[sel].reset_index(drop=True), table.source,
                    table.encoding, table.rows[sel])
    code_name = table.frame.columns[code_col]
    sub, codes = la_rows(body, code_name, None, log)
    if register is not None and code_col > 0:
        register.add(codes, sub.frame[table.frame.columns[code_col - 1]], max(years),
                     sub.frame[table.frame.columns[name_col]], None, table.source)
    out = []
    for y in years:
        if y not in value_col:
            continue
        col = table.frame.columns[value_col[y]]
        v, r = numbers(sub, col, log)
        f = first_per_key(pd.DataFrame({"la_code": codes, "year": y, "v": v, "r": r}),
                          table.source, log, f"{name} {y}")
        out.append(value_frame(f["la_code"], y, name, f["v"], np.full(len(f), 100.0),
                               "percentage", table.source, f["r"].to_numpy(dtype=object),
                               "cla_oc_sfr"))
    return out


# ---- the build -----------------------------------------------------------------------------

def build(raw_dir, log: IssueLog, register=None) -> list[pd.DataFrame]:
    """Every outcome, placement-stability and care-leaver value under ``raw_dir``."""
    raw = Path(raw_dir)
    out: list[pd.DataFrame] = []
    for key, rel in OUTCOME_FILES.items():
        p = open_source(raw, rel, log)
        if p is None:
            continue
        if key in WIDE:
            out.extend(read_wide(p, key, source=rel, log=log, register=register))
        elif key in LONG:
            out.extend(read_long(p, key, source=rel, log=log, register=register))
        else:
            out.extend(read_sfr_sheet(p, key, source=rel, log=log, register=register))
    return out


__all__ = ["CIN_GROUPS", "CLA_GROUP", "LONG", "SFR_SHEETS", "WIDE", "build", "first_per_key",
           "read_long", "read_sfr_sheet", "read_wide"]
