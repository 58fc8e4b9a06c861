"""The published numbers: loading and validating the transcriptions in ``numbers/*.csv``.

Written here (pandas holds the result). One CSV per study, a few ``#`` lines of citation
on top, then one row per printed number with the columns of :data:`COLUMNS`:

``id``
    unique within the study (``[a-z0-9_]+``); tests and notes refer to records by it.
``study``, ``location``, ``page_or_section``, ``row``, ``column``
    where the number stands: ``location`` is 'Table 5', 'Figure 2', 'Text', 'Abstract'
    (the texts carry no page numbers, so ``page_or_section`` is the section heading);
    ``row`` and ``column`` are the table's labels, or a short description in text.
``quantity``
    what the number is (:data:`QUANTITIES`): 'percent' is a share of ``n`` units
    (so a count of them must be able to produce it); a mean of LA percentages is a
    'mean'; 'sensitivity', 'specificity', 'deviance_explained' are printed in percent;
    'ci_low' and 'ci_high' are the first and second printed limits of an interval.
``value_str``, ``value``, ``bound``, ``decimals``
    the number as printed without its unit ('-.245', '<.001', '854.60', 'three'), its
    value (NaN for an inequality), the bound ('<' or '>' for an inequality, '~' for a
    number printed as approximate, 'about 80%'; else empty) and the decimals printed.
``n``, ``test``, ``df``
    the n the number rests on (where stated or taken from elsewhere in the paper: the
    note says which), the test ('spearman', 'spearman_tied' for a correlation with a
    rating that has ties, 't_pooled', 'anova', 'binary_logit', ...) and its df as
    printed ('45', '2,21').
``mark``
    a significance mark printed with the number ('*', '**', '***'), or 'none' for a
    number printed without one in a table whose legend uses them.
``group``, ``role``
    how records relate, for the consistency checks (see :mod:`.checks`): ``group``
    lists one or more keys separated by '|', and ``role`` the record's role in each
    (same count, '' allowed).
``note``
    the sentence quoted, what was assumed, and anything odd in the print.

Scope: every statistical result the papers print in running text or in tables that
survived extraction (counts, percentages, means, medians, statistics, coefficients,
p-values) and numbers quoted from other sources (marked 'cited'); not years, page
references, software versions or the definitions of indicators ('within 35 days').
"""

from __future__ import annotations

import csv
import functools
import math
import re
from collections.abc import Iterable, Mapping
from importlib import resources

import numpy as np
import pandas as pd

from .rounding import parse_printed

STUDIES = ("hood2016", "wilkins2018", "wilkins2020", "hood2021")

COLUMNS = ("id", "study", "location", "page_or_section", "row", "column", "quantity",
           "value_str", "value", "bound", "decimals", "n", "test", "df", "mark", "group",
           "role", "note")

QUANTITIES = frozenset({
    "n", "count", "percent", "mean", "sd", "median", "q1", "q3", "rho", "p", "alpha", "t",
    "F", "chi2", "z", "Wald", "B", "SE", "OR", "ci_low", "ci_high", "coef", "R2_nagelkerke",
    "R2_coxsnell", "sensitivity", "specificity", "deviance_explained", "ratio",
})

#: Quantities printed on a percent scale (value 68 means 68%).
PERCENT_SCALE = frozenset({"percent", "sensitivity", "specificity", "deviance_explained"})

MARKS = frozenset({"", "none", "*", "**", "***"})
BOUNDS = frozenset({"", "<", ">", "~"})
ROLES = frozenset({"", "copy", "total", "part", "count", "split", "k", "a", "b",
                   "pct_decrease", "pct_increase", "integer"})
_ROLE_PATTERNS = (re.compile(r"^g_[a-z0-9]+$"),)  # groups of a one-way ANOVA: g_low, g_med, ...
_ID = re.compile(r"^[a-z0-9_]+$")
_DF = re.compile(r"^\d+(\.\d+)?(,\d+(\.\d+)?)?$")


def _valid_role(role: str) -> bool:
    return role in ROLES or any(p.match(role) for p in _ROLE_PATTERNS)


def citation(study: str) -> str:
    """The citation lines at the top of ``numbers/<study>.csv``, joined."""
    lines = []
    for line in _read_text(study).splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(lines)


def _read_text(study: str) -> str:
    if study not in STUDIES:
        raise ValueError(f"study must be one of {', '.join(STUDIES)}; got {study!r}")
    return resources.files(__package__).joinpath("numbers", f"{study}.csv").read_text("utf-8")


def _parse_csv(study: str, text: str) -> list[tuple[int, dict[str, str]]]:
    lines = text.splitlines()
    skip = 0
    while skip < len(lines) and lines[skip].startswith("#"):
        skip += 1
    reader = csv.reader(lines[skip:])
    try:
        header = next(reader)
    except StopIteration:
        raise ValueError(f"numbers/{study}.csv: no header") from None
    if tuple(header) != COLUMNS:
        raise ValueError(f"numbers/{study}.csv: columns must be {', '.join(COLUMNS)}; "
                         f"got {', '.join(header)}")
    rows = []
    for i, fields in enumerate(reader):
        line = skip + 2 + i
        if len(fields) != len(COLUMNS):
            raise ValueError(f"numbers/{study}.csv line {line}: {len(fields)} fields, "
                             f"expected {len(COLUMNS)}")
        rows.append((line, dict(zip(COLUMNS, fields, strict=True))))
    return rows


def _validate_row(where: str, row: Mapping[str, str], study: str | None,
                  known_study: bool = True) -> list[str]:
    """Problems with one raw (string) row; each names the column."""
    errs = []

    def bad(col, msg):
        errs.append(f"{where}, column {col}: {msg}")

    if study is not None and row["study"] != study:
        bad("study", f"{row['study']!r} in the file of {study!r}")
    if known_study and row["study"] not in STUDIES:
        bad("study", f"unknown study {row['study']!r}")
    if not _ID.match(row["id"]):
        bad("id", f"{row['id']!r} is not [a-z0-9_]+")
    for col in ("location", "page_or_section", "row"):
        if not row[col].strip():
            bad(col, "empty")
    if row["quantity"] not in QUANTITIES:
        bad("quantity", f"{row['quantity']!r} is not one of {sorted(QUANTITIES)}")
    if row["bound"] not in BOUNDS:
        bad("bound", f"{row['bound']!r} is not one of '', '<', '>', '~'")
    try:
        p = parse_printed(row["value_str"])
    except ValueError as exc:
        bad("value_str", str(exc))
        p = None
    if p is not None:
        want_bound = p.bound or ("~" if row["bound"] == "~" else "")
        if row["bound"] != want_bound:
            bad("bound", f"{row['bound']!r} but value_str {row['value_str']!r} implies {want_bound!r}")
        try:
            value = float(row["value"])
        except ValueError:
            bad("value", f"{row['value']!r} is not a number")
        else:
            if p.bound:
                if not math.isnan(value):
                    bad("value", f"must be NaN for the inequality {row['value_str']!r}")
            elif value != p.value:
                bad("value", f"{row['value']!r} differs from value_str {row['value_str']!r}")
        if row["decimals"] != str(p.decimals):
            bad("decimals", f"{row['decimals']!r} but value_str {row['value_str']!r} has "
                            f"{p.decimals}")
    if row["n"] and not (row["n"].isdigit() and int(row["n"]) > 0):
        bad("n", f"{row['n']!r} is not a positive integer")
    if row["df"] and not _DF.match(row["df"]):
        bad("df", f"{row['df']!r} is not a df as printed ('45' or '2,21')")
    if row["mark"] not in MARKS:
        bad("mark", f"{row['mark']!r} is not one of '', 'none', '*', '**', '***'")
    groups = row["group"].split("|") if row["group"] else []
    roles = row["role"].split("|") if row["role"] else [""] * len(groups)
    if row["role"] and not groups:
        bad("role", f"{row['role']!r} given without a group")
    elif len(roles) != len(groups):
        bad("role", f"{len(roles)} roles for {len(groups)} groups")
    if any(not g.strip() for g in groups):
        bad("group", f"empty key in {row['group']!r}")
    for r in roles:
        if not _valid_role(r):
            bad("role", f"{r!r} is not one of {sorted(ROLES)} or g_<name>")
    return errs


def _frame(rows: list[dict[str, str]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["value"] = np.array([float(v) for v in df["value"]], dtype="float64")
    df["decimals"] = df["decimals"].astype("int64")
    df["n"] = pd.array([int(v) if v else pd.NA for v in df["n"]], dtype="Int64")
    for col in COLUMNS:
        if col not in ("value", "decimals", "n"):
            df[col] = df[col].astype(object)
    return df


@functools.cache
def _load_study(study: str) -> pd.DataFrame:
    rows = _parse_csv(study, _read_text(study))
    errs = []
    for line, row in rows:
        errs.extend(_validate_row(f"numbers/{study}.csv line {line} (id {row['id']!r})", row, study))
    ids = [row["id"] for _, row in rows]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        errs.append(f"numbers/{study}.csv, column id: duplicated {', '.join(dups)}")
    if errs:
        raise ValueError("invalid transcription:\n" + "\n".join(errs))
    return _frame([row for _, row in rows])


def load_published(study: str | None = None) -> pd.DataFrame:
    """Every published number of ``study`` (all four studies when None), validated.

    Columns as :data:`COLUMNS`: ``value`` float (NaN for an inequality), ``decimals``
    int, ``n`` nullable Int64, the rest strings ('' where empty). Raises ValueError
    naming the file, line and column of every problem found.
    """
    studies = STUDIES if study is None else (study,)
    frames = [_load_study(s) for s in studies]
    return pd.concat(frames, ignore_index=True).copy()


def make_records(rows: Iterable[Mapping[str, object]], study: str = "example") -> pd.DataFrame:
    """Records built in code (tests, ad hoc checks), completed and validated as the CSVs are.

    Each mapping needs ``quantity`` and ``value_str``; ``value``, ``decimals`` and the
    inequality ``bound`` are derived from ``value_str`` (pass ``bound='~'`` for an
    approximate number); other columns default to '' (``id`` to ``r1``, ``r2``, ...,
    ``location`` to 'Text', ``page_or_section`` and ``row`` to 'example').
    """
    out = []
    errs = []
    for i, src in enumerate(rows, start=1):
        row = {c: "" for c in COLUMNS}
        row.update({"id": f"r{i}", "study": study, "location": "Text",
                    "page_or_section": "example", "row": "example"})
        for k, v in src.items():
            if k not in COLUMNS:
                raise ValueError(f"record {i}: unknown column {k!r}")
            row[k] = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        p = parse_printed(row["value_str"])
        row["value"] = "NaN" if p.bound else repr(p.value)
        row["decimals"] = str(p.decimals)
        row["bound"] = p.bound or ("~" if row["bound"] == "~" else "")
        errs.extend(_validate_row(f"record {i}", row, None, known_study=False))
        out.append(row)
    if errs:
        raise ValueError("invalid records:\n" + "\n".join(errs))
    return _frame(out)


def counts_by_location(df: pd.DataFrame) -> dict[tuple[str, str], int]:
    """{(study, location): number of records}: what the transcription tests pin down."""
    g = df.groupby(["study", "location"], sort=True).size()
    return {k: int(v) for k, v in g.items()}


def is_missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
