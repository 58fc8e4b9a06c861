"""Robust reading of the raw public files: CSV, parquet and ODS, as published.

Written here (Python's ``csv`` module, pandas, pyarrow). Every builder reads through this
module, so that every file gets the same treatment:

- encodings: a byte-order mark (UTF-8, UTF-16) is honoured and removed; UTF-16 without one
  is recognised by its NUL bytes; files that are not UTF-8 are read as Windows-1252 (the DfE
  SFR files), then Latin-1; the encoding used is reported when it is not UTF-8;
- every cell is kept as text until a builder asks for numbers; blank rows are dropped and
  counted; a row with fewer fields than the header is padded with blanks and reported; a row
  with more non-blank fields than the header is an error;
- numbers: ``1,234`` (thousands separators), ``£1,234``, ``12.5%`` and surrounding spaces
  are read as numbers; the special codes of :data:`MISSING_CODES` (``c``, ``x``, ``z``,
  ``u``, ``k``, ``..``, ``:``, ``low``, ``.``, ``-``, ``n/a``, ``NULL``, blank) become NaN with the code
  kept as the reason, never zero; anything else raises :class:`RawDataError` naming the file,
  the row (1 = first data row) and the column;
- columns are found by name regardless of case, spacing and order (:func:`find_columns`); a
  missing column raises :class:`RawDataError` listing the columns present.
- a key (LA, year, measure) given twice: the first row is kept and every later one reported,
  as ``duplicate`` (same values) or ``conflict`` (:func:`first_of_duplicates`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

#: Special values in the published tables, all read as missing (NaN) with the code as reason.
MISSING_CODES: dict[str, str] = {
    "c": "suppressed (confidential: small number)",
    "x": "suppressed or not available",
    "z": "not applicable",
    "u": "low reliability (not published)",
    "k": "fewer than 0.5 (rounds to zero; not zero)",
    "..": "not available",
    ":": "not available",
    "low": "low number (suppressed)",
    ".": "not applicable",
    "-": "not available (or nil; not stated)",
    "n/a": "not applicable",
    "na": "not available",
    "null": "not supplied (NULL)",
    "": "blank",
}

#: Columns of a builder's value frame: the panel's long columns plus the reason a value is NaN.
VALUE_COLUMNS = ("la_code", "year", "indicator", "numerator", "denominator", "unit", "source",
                 "reason")
ISSUE_COLUMNS = ("kind", "source", "la_code", "year", "indicator", "column", "row", "detail")
ISSUE_KINDS = ("missing_file", "encoding", "aggregate_rows", "malformed_row", "excluded",
               "repair", "duplicate", "conflict", "fill", "suppressed", "out_of_range",
               "invalid_value", "no_population", "missing_value", "sif_check", "note")

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


class RawDataError(ValueError):
    """A raw file that cannot be read as expected; names the file, the row and the column."""

    def __init__(self, message: str, *, file: str = "", row: int | None = None,
                 column: str | None = None):
        super().__init__(message)
        self.file = file
        self.row = row
        self.column = column


class IssueLog:
    """What a build dropped, repaired, filled or could not use, each with its source file."""

    def __init__(self):
        self._rows: list[dict] = []

    def add(self, kind: str, source: str, detail: str, *, la_code=None, year=None,
            indicator=None, column=None, row=None) -> None:
        if kind not in ISSUE_KINDS:
            raise ValueError(f"unknown issue kind {kind!r}")
        self._rows.append({"kind": kind, "source": source, "la_code": la_code, "year": year,
                           "indicator": indicator, "column": column, "row": row,
                           "detail": detail})

    def extend(self, frame: pd.DataFrame) -> None:
        for rec in frame.to_dict("records"):
            self._rows.append({c: rec.get(c) for c in ISSUE_COLUMNS})

    def __len__(self) -> int:
        return len(self._rows)

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self._rows, columns=list(ISSUE_COLUMNS))
        for col in ("la_code", "year", "row"):
            df[col] = pd.to_numeric(df[col], errors="coerce").astype("Int64")
        for col in ("kind", "source", "indicator", "column", "detail"):
            df[col] = df[col].astype(object)
        return df

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self._rows:
            out[r["kind"]] = out.get(r["kind"], 0) + 1
        return out


@dataclass
class RawTable:
    """A raw file as text: ``frame`` has one object column per header field (strings; ``""``
    for blank); ``rows`` are the 1-based data-row numbers (1 = first row after the header)."""

    frame: pd.DataFrame
    source: str
    encoding: str = "utf-8"
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.frame)

    def subset(self, mask) -> RawTable:
        mask = np.asarray(mask, dtype=bool)
        return RawTable(self.frame.loc[mask].reset_index(drop=True), self.source,
                        self.encoding, self.rows[mask])

    def error(self, what: str, i: int | None = None, column: str | None = None) -> RawDataError:
        """An error naming the file, the data row of position ``i`` and the column."""
        parts = [self.source]
        row = None
        if i is not None:
            row = int(self.rows[i])
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {column!r}")
        return RawDataError(f"{', '.join(parts)}: {what}", file=self.source, row=row,
                            column=column)


def source_name(path: Path, raw_dir: Path | None) -> str:
    """The file name relative to the raw directory (POSIX separators)."""
    path = Path(path)
    if raw_dir is not None:
        try:
            return path.resolve().relative_to(Path(raw_dir).resolve()).as_posix()
        except ValueError:
            pass
    return path.name


def _decode(data: bytes, source: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise RawDataError(f"{source}: has a UTF-8 byte-order mark but is not UTF-8 "
                               f"({exc.reason} at byte {exc.start})", file=source) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise RawDataError(f"{source}: has a UTF-16 byte-order mark but is not UTF-16 "
                               f"({exc.reason})", file=source) from exc
    if data.count(b"\x00") > len(data) // 4:
        odd = data[1::2].count(b"\x00")
        even = data[0::2].count(b"\x00")
        enc = "utf-16-le" if odd > even else "utf-16-be"
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError as exc:
            raise RawDataError(f"{source}: looks like UTF-16 without a byte-order mark but is "
                               f"not ({exc.reason})", file=source) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _clean_header(name: str) -> str:
    return str(name).replace("\ufeff", "").strip()


def read_csv_text(text: str, source: str, encoding: str = "utf-8",
                  log: IssueLog | None = None) -> RawTable:
    """Parse CSV text (see the module docstring for the rules)."""
    if "\x00" in text:
        raise RawDataError(f"{source}: contains NUL bytes (binary or wrongly encoded file)",
                           file=source)
    if not text.strip():
        raise RawDataError(f"{source}: empty file", file=source)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise RawDataError(f"{source}: not readable as CSV ({exc})", file=source) from exc
    # the header: the first non-blank record
    k = 0
    while k < len(records) and not any(c.strip() for c in records[k]):
        k += 1
    if k == len(records):
        raise RawDataError(f"{source}: empty file (no header)", file=source)
    header = [_clean_header(c) for c in records[k]]
    while header and header[-1] == "":
        header.pop()
    if not header:
        raise RawDataError(f"{source}: empty header", file=source)
    width = len(header)
    header = [h if h else f"Unnamed: {j}" for j, h in enumerate(header)]
    body, rows = [], []
    blank = short = 0
    for n, rec in enumerate(records[k + 1:], start=1):
        if not any(c.strip() for c in rec):
            blank += 1
            continue
        if len(rec) > width:
            extra = [c for c in rec[width:] if c.strip()]
            if extra:
                raise RawDataError(
                    f"{source}, row {n}: {len(rec)} fields but the header has {width} "
                    f"(first extra value {extra[0]!r}); malformed or misaligned row",
                    file=source, row=n)
            rec = rec[:width]
        elif len(rec) < width:
            short += 1
            if log is not None:
                log.add("malformed_row", source,
                        f"row {n} has {len(rec)} of {width} fields (truncated?); the missing "
                        f"fields ({', '.join(header[len(rec):][:3])}"
                        f"{', ...' if width - len(rec) > 3 else ''}) are read as blank",
                        row=n)
            rec = rec + [""] * (width - len(rec))
        body.append(rec)
        rows.append(n)
    if not body:
        raise RawDataError(f"{source}: no data rows under the header", file=source)
    if log is not None and not text.endswith(("\n", "\r")):
        log.add("malformed_row", source, f"the file does not end with a line break: its last "
                f"row ({rows[-1]}) may be truncated", row=rows[-1])
    frame = pd.DataFrame(body, columns=header, dtype=object)
    if log is not None and encoding not in ("utf-8", "utf-8-sig"):
        log.add("encoding", source, f"read as {encoding} (not UTF-8)")
    return RawTable(frame, source, encoding, np.asarray(rows, dtype=np.int64))


def read_csv(path, *, raw_dir=None, source: str | None = None,
             log: IssueLog | None = None) -> RawTable:
    """Read a CSV file as text (see the module docstring)."""
    path = Path(path)
    source = source or source_name(path, raw_dir)
    if not path.is_file():
        raise RawDataError(f"{source}: file not found", file=source)
    data = path.read_bytes()
    text, enc = _decode(data, source)
    return read_csv_text(text, source, enc, log)


def _as_text(col: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(col):
        vals = col.to_numpy(dtype=float)
        txt = np.array([repr(float(v)) for v in vals], dtype=object)
        txt[np.isnan(vals)] = ""
        return pd.Series(txt, index=col.index, dtype=object)
    out = col.astype(object).to_numpy()
    miss = pd.isna(out)
    txt = out.astype(str).astype(object)
    txt[miss] = ""
    return pd.Series(txt, index=col.index, dtype=object)


def read_parquet(path, *, raw_dir=None, source: str | None = None,
                 columns: Sequence[str] | None = None,
                 where: tuple[str, Iterable[str]] | None = None,
                 log: IssueLog | None = None) -> RawTable:
    """Read a parquet file; every column as text. ``where=(column, values)`` keeps only the
    rows whose ``column`` (matched as :func:`find_columns` does) is one of ``values``."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    path = Path(path)
    source = source or source_name(path, raw_dir)
    if not path.is_file():
        raise RawDataError(f"{source}: file not found", file=source)
    if path.stat().st_size == 0:
        raise RawDataError(f"{source}: empty file", file=source)
    try:
        table = pq.read_table(path, columns=list(columns) if columns else None)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise RawDataError(f"{source}: not a readable parquet file ({exc})",
                           file=source) from exc
    names = [_clean_header(c) for c in table.column_names]
    table = table.rename_columns(names)
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    if where is not None:
        col, values = where
        hits = [c for c in names if _norm(c) == _norm(col)]
        if not hits:
            shown = ", ".join(repr(c) for c in names)
            raise RawDataError(f"{source}: column {col!r} not found (columns present: "
                               f"{shown})", file=source, column=col)
        arr = table.column(hits[0])
        try:
            arr = pc.utf8_trim_whitespace(arr.cast("string"))
            mask = pc.is_in(arr, value_set=pa_array(values)).to_numpy(zero_copy_only=False)
        except Exception as exc:
            raise RawDataError(f"{source}: column {hits[0]!r} not readable as text ({exc})",
                               file=source, column=hits[0]) from exc
        mask = np.asarray(mask, dtype=bool)
        table = table.filter(mask)
        rows = rows[mask]
    if table.num_rows == 0:
        raise RawDataError(f"{source}: no data rows" + (" with the expected items"
                                                        if where else ""), file=source)
    frame = table.to_pandas()
    frame = pd.DataFrame({c: _as_text(frame[c]) for c in frame.columns})
    return RawTable(frame, source, "parquet", rows)


def pa_array(values):
    import pyarrow as pa

    return pa.array([str(v) for v in values], type=pa.string())


def read_ods(path, sheet, *, raw_dir=None, source: str | None = None, header: int = 0,
             log: IssueLog | None = None) -> RawTable:
    """Read one sheet of an ODS workbook (needs the optional package ``odfpy``)."""
    path = Path(path)
    source = source or source_name(path, raw_dir)
    try:
        import odf  # noqa: F401
    except ImportError as exc:
        raise RawDataError(f"{source}: reading ODS needs the package odfpy "
                           f"(pip install odfpy); use the CSV converted from it instead",
                           file=source) from exc
    try:
        frame = pd.read_excel(path, sheet_name=sheet, engine="odf", header=header, dtype=object)
    except Exception as exc:
        raise RawDataError(f"{source}: sheet {sheet!r} not readable ({exc})",
                           file=source) from exc
    frame.columns = [_clean_header(c) for c in frame.columns]
    frame = frame.dropna(how="all")
    frame = pd.DataFrame({c: _as_text(frame[c]) for c in frame.columns})
    return RawTable(frame.reset_index(drop=True), source, "ods",
                    np.arange(1, len(frame) + 1, dtype=np.int64))


def read_table(path, *, raw_dir=None, source: str | None = None,
               log: IssueLog | None = None) -> RawTable:
    """Read a CSV or parquet file by its extension."""
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        return read_parquet(path, raw_dir=raw_dir, source=source, log=log)
    return read_csv(path, raw_dir=raw_dir, source=source, log=log)


# ---- columns -----------------------------------------------------------------------------

def _norm(name: str) -> str:
    return re.sub(r"[\s_]+", " ", str(name).replace("\ufeff", "")).strip().lower()


def find_columns(table: RawTable, wanted: Mapping[str, str | Sequence[str]], *,
                 optional: Iterable[str] = ()) -> dict[str, str]:
    """Map each key of ``wanted`` to a column of ``table``.

    ``wanted[key]``: a name or several accepted names (matched ignoring case, underscores and
    spacing), or names starting with ``re:`` (a regular expression matched against the
    normalised name). Keys in ``optional`` may be absent (mapped to ``None``-less: left out).
    A required column that is absent, or a name matching two columns, raises
    :class:`RawDataError` naming the file and the column.
    """
    optional = set(optional)
    cols = list(table.frame.columns)
    normed = [_norm(c) for c in cols]
    out: dict[str, str] = {}
    for key, names in wanted.items():
        names = [names] if isinstance(names, str) else list(names)
        hits: list[int] = []
        for nm in names:
            if nm.startswith("re:"):
                pat = re.compile(nm[3:], re.IGNORECASE)
                hits = [j for j, c in enumerate(normed) if pat.fullmatch(c)]
            else:
                hits = [j for j, c in enumerate(normed) if c == _norm(nm)]
            if hits:
                break
        if len(hits) > 1:
            raise RawDataError(f"{table.source}: column {names[0]!r} is ambiguous: "
                               f"{[cols[j] for j in hits]}", file=table.source,
                               column=names[0])
        if not hits:
            if key in optional:
                continue
            shown = ", ".join(repr(c) for c in cols[:25]) + (" ..." if len(cols) > 25 else "")
            raise RawDataError(f"{table.source}: column {names[0]!r} not found "
                               f"(columns present: {shown})", file=table.source,
                               column=names[0])
        out[key] = cols[hits[0]]
    return out


# ---- numbers -----------------------------------------------------------------------------

@dataclass
class Parsed:
    """Numbers of one column: ``values`` (NaN where missing) and ``codes`` (the special code
    of a missing value, ``None`` where the value is a number)."""

    values: np.ndarray
    codes: np.ndarray
    column: str

    def reason(self, i: int, table: RawTable) -> str | None:
        code = self.codes[i]
        if code is None:
            return None
        meaning = MISSING_CODES.get(code, "")
        shown = "blank" if code == "" else repr(code)
        return f"{shown} ({meaning}) in column {self.column!r}, row {int(table.rows[i])}" \
            if code != "" else f"blank in column {self.column!r}, row {int(table.rows[i])}"


def parse_numbers(table: RawTable, column: str) -> Parsed:
    """The numbers of ``column`` (see the module docstring for what is accepted)."""
    raw = table.frame[column]
    text = raw.astype(object).map(lambda v: "" if v is None else str(v))
    s = text.str.replace("\u00a0", " ", regex=False).str.strip()
    low = s.str.lower()
    is_code = low.isin(list(MISSING_CODES))
    t = s.str.replace(r"^£\s*", "", regex=True).str.replace(r"\s*%$", "", regex=True)
    thousands = t.str.fullmatch(_THOUSANDS.pattern)
    t = t.where(~thousands, t.str.replace(",", "", regex=False))
    ok = t.str.fullmatch(_NUMBER.pattern) & ~is_code
    vals = np.full(len(s), np.nan)
    if ok.any():
        vals[ok.to_numpy()] = t[ok].astype(float).to_numpy()
    bad = ~(ok | is_code)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        more = int(bad.sum()) - 1
        tail = f" (and {more} more value{'s' if more != 1 else ''})" if more else ""
        raise table.error(f"not a number or a known special code: {raw.iloc[i]!r}{tail}; "
                          f"known codes: {', '.join(repr(c) for c in MISSING_CODES if c)}",
                          i, column)
    inf = np.isinf(vals)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise table.error(f"infinite value {raw.iloc[i]!r}", i, column)
    codes = np.where(is_code.to_numpy(), low.to_numpy(dtype=object), None).astype(object)
    return Parsed(vals, codes, column)


def parse_la_codes(table: RawTable, column: str) -> tuple[np.ndarray, np.ndarray]:
    """3-digit LA codes of ``column``: (codes as float, NaN where not a single integer code;
    the raw text, for messages). ``"301"``, ``" 301 "`` and ``"301.0"`` are all 301."""
    text = table.frame[column].astype(object).map(lambda v: "" if v is None else str(v).strip())
    num = pd.to_numeric(text.where(text.str.fullmatch(r"\d+(\.0*)?"), None), errors="coerce")
    return num.to_numpy(dtype=float), text.to_numpy(dtype=object)


def reasons(parsed: Parsed, table: RawTable) -> np.ndarray:
    """The reason text of every row (None where the value is a number)."""
    out = np.full(len(parsed.codes), None, dtype=object)
    for i, code in enumerate(parsed.codes):
        if code is not None:
            out[i] = parsed.reason(i, table)
    return out


def combine_reasons(*arrays: np.ndarray) -> np.ndarray:
    """Element-wise: the first non-None reason."""
    out = np.full(len(arrays[0]), None, dtype=object)
    for arr in arrays:
        take = np.array([o is None and a is not None for o, a in zip(out, arr, strict=True)],
                        dtype=bool)
        out[take] = arr[take]
    return out


def value_frame(la_code, year, indicator: str, numerator, denominator, unit: str, source: str,
                reason, origin: str = "", den_reason=None) -> pd.DataFrame:
    """A builder's value frame (columns :data:`VALUE_COLUMNS` plus ``origin``, the source key
    of :mod:`replication.data.sources`). ``reason``/``den_reason``: why the numerator /
    denominator is NaN; kept where the value is missing (``"missing"`` where none is given)."""
    la = np.asarray(la_code, dtype=np.int64).reshape(-1)
    n = la.size
    yr = np.broadcast_to(np.asarray(year, dtype=np.int64), (n,)).copy()
    num = np.asarray(numerator, dtype=float).reshape(-1)
    den = (np.full(n, np.nan) if denominator is None
           else np.broadcast_to(np.asarray(denominator, dtype=float), (n,)).copy())
    rsn = np.full(n, None, dtype=object) if reason is None else np.asarray(reason, dtype=object)
    drs = (np.full(n, None, dtype=object) if den_reason is None
           else np.asarray(den_reason, dtype=object))
    out_reason = np.full(n, None, dtype=object)
    for i in np.flatnonzero(np.isnan(num)):
        out_reason[i] = rsn[i] if rsn[i] is not None else "missing"
    if denominator is not None:
        for i in np.flatnonzero(~np.isnan(num) & np.isnan(den)):
            out_reason[i] = (f"denominator: {drs[i]}" if drs[i] is not None
                             else "denominator missing")
    return pd.DataFrame({
        "la_code": la, "year": yr,
        "indicator": np.full(n, indicator, dtype=object),
        "numerator": num, "denominator": den,
        "unit": np.full(n, unit, dtype=object),
        "source": np.full(n, source, dtype=object),
        "reason": out_reason,
        "origin": np.full(n, origin, dtype=object),
    })


def empty_values() -> pd.DataFrame:
    return value_frame(np.zeros(0, np.int64), np.zeros(0, np.int64), "x", np.zeros(0),
                       None, "count", "", None)


# ---- LA rows -----------------------------------------------------------------------------

def _la_code_mask(codes: np.ndarray) -> np.ndarray:
    from .lacodes import AGGREGATE_CODES, LA_CODE_RANGE

    c = np.asarray(codes, dtype=float)
    with np.errstate(invalid="ignore"):
        ok = (c >= LA_CODE_RANGE[0]) & (c <= LA_CODE_RANGE[1]) & (c == np.round(c))
    return ok & ~np.isin(c, list(AGGREGATE_CODES))


LA_LEVELS = frozenset({"local authority", "la", "lea", "local authority (upper tier)"})
AGGREGATE_LEVELS = frozenset({"national", "regional", "region", "gor", "england", "country",
                              "inner and outer london", "inner london", "outer london"})


def la_rows(table: RawTable, code_col: str, level_col: str | None = None,
            log: IssueLog | None = None) -> tuple[RawTable, np.ndarray]:
    """The LA rows of ``table`` and their 3-digit codes.

    With ``level_col``: rows whose level is national or regional are aggregates; a level not
    known raises. Without it: rows whose code is blank, not numeric or an aggregate code
    (970-999) are aggregates. Aggregate rows are counted in the log. An LA-level row whose
    code is not a DfE LA code is excluded and logged (a combined code such as ``940 / 941``
    included).
    """
    codes, text = parse_la_codes(table, code_col)
    if level_col is not None:
        lev = table.frame[level_col].astype(object).map(
            lambda v: "" if v is None else str(v)).str.strip().str.lower()
        is_la = lev.isin(list(LA_LEVELS)).to_numpy()
        is_agg = lev.isin(list(AGGREGATE_LEVELS)).to_numpy()
        blank = (lev == "").to_numpy()
        if blank.any():
            by_code = _la_code_mask(codes)
            is_la = is_la | (blank & by_code)
            is_agg = is_agg | (blank & ~by_code & (text == ""))
            if log is not None:
                for i in np.flatnonzero(blank & by_code):
                    log.add("repair", table.source, f"blank geographic level; row read as an "
                            f"LA row from its LA code {text[i]!r}", column=level_col,
                            row=int(table.rows[i]), la_code=int(codes[i]))
        unknown = ~(is_la | is_agg)
        if unknown.any():
            i = int(np.flatnonzero(unknown)[0])
            raise table.error(f"unknown geographic level {table.frame[level_col].iloc[i]!r} "
                              f"(expected one of: Local authority, Regional, National)",
                              i, level_col)
    else:
        is_la = _la_code_mask(codes)
        is_agg = ~is_la & ((np.isnan(codes) & (text == "")) | ((codes >= 970) & (codes <= 999)))
        other = ~(is_la | is_agg)
        # numeric but out of range, or non-numeric text: not an LA; treated as excluded below
        is_la = is_la | other
    n_agg = int(is_agg.sum())
    if n_agg and log is not None:
        log.add("aggregate_rows", table.source,
                f"{n_agg} national/regional rows skipped (not LAs)")
    sub = table.subset(is_la)
    c = codes[is_la]
    t = text[is_la]
    good = _la_code_mask(c)
    if (~good).any() and log is not None:
        for i in np.flatnonzero(~good):
            log.add("excluded", table.source,
                    f"LA code {t[i]!r} is not a single DfE LA code (e.g. a combined row); "
                    f"row excluded", row=int(sub.rows[i]), column=code_col)
    return sub.subset(good), c[good].astype(np.int64)


def parse_years(table: RawTable, column: str) -> np.ndarray:
    """EES ``time_period``: ``2013`` or ``201213`` (the year ending in 2013) -> 2013."""
    text = table.frame[column].astype(object).map(lambda v: "" if v is None else str(v).strip())
    out = np.empty(len(text), dtype=np.int64)
    for i, t in enumerate(text):
        if len(t) == 4 and t.isdigit():
            out[i] = int(t)
        elif len(t) == 6 and t.isdigit() and int(t[4:]) == (int(t[:4]) + 1) % 100:
            out[i] = int(t[:4]) + 1
        else:
            raise table.error(f"not a year (expected e.g. 2013 or 201213): {t!r}", i, column)
    return out


def ees_rows(table: RawTable, log: IssueLog | None = None,
             register=None) -> tuple[RawTable, np.ndarray, np.ndarray]:
    """The LA rows of an EES open-data file, their 3-digit codes and years; the ONS codes,
    names and regions seen are added to ``register``."""
    cols = find_columns(table, {"level": "geographic_level", "code": "old_la_code",
                                "period": "time_period", "ons": "new_la_code",
                                "name": "la_name", "region": "region_name"},
                        optional=("ons", "name", "region"))
    sub, codes = la_rows(table, cols["code"], cols["level"], log)
    years = parse_years(sub, cols["period"])
    if register is not None and len(sub):
        f = sub.frame
        register.add(codes, f[cols["ons"]] if "ons" in cols else [None] * len(sub), years,
                     f[cols["name"]] if "name" in cols else None,
                     f[cols["region"]] if "region" in cols else None, table.source)
    return sub, codes, years


def clip_nonnegative(values: np.ndarray, table: RawTable, column: str,
                     log: IssueLog | None, reason: np.ndarray | None = None):
    """Negative numbers where counts are expected become NaN, logged as invalid values."""
    vals = values.copy()
    rsn = np.full(len(vals), None, dtype=object) if reason is None else reason.copy()
    neg = vals < 0
    for i in np.flatnonzero(neg):
        msg = f"negative value {vals[i]:g} in column {column!r}, row {int(table.rows[i])}"
        rsn[i] = msg
        if log is not None:
            log.add("invalid_value", table.source, msg + "; treated as missing",
                    column=column, row=int(table.rows[i]))
    vals[neg] = np.nan
    return vals, rsn


def numbers(table: RawTable, column: str, log: IssueLog | None = None, *,
            nonnegative: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(values, reasons) of one column: :func:`parse_numbers`, the reason of every missing
    value, and (``nonnegative``) negative values made missing and logged."""
    p = parse_numbers(table, column)
    rsn = reasons(p, table)
    if nonnegative:
        return clip_nonnegative(p.values, table, column, log, rsn)
    return p.values, rsn


def _same_number(a: float, b: float) -> bool:
    if np.isnan(a) or np.isnan(b):
        return bool(np.isnan(a) and np.isnan(b))
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def first_of_duplicates(where: RawTable | str, la_code, year=None,
                        values: Mapping[str, np.ndarray] | None = None,
                        log: IssueLog | None = None, *, label=None,
                        indicator: str | None = None, what: str = "") -> np.ndarray:
    """Which rows to keep: the first of each LA (and ``year``, and ``label`` where given).

    Every later row of the same key is reported, as ``duplicate`` where its ``values``
    (column name -> numbers) equal the first row's (missing equal to missing), as ``conflict``
    otherwise. ``where``: the table read (its source and data-row numbers), or the source name.
    """
    la = np.asarray(la_code, dtype=np.int64).reshape(-1)
    keys = {"la": la}
    if year is not None:
        keys["year"] = np.broadcast_to(np.asarray(year, dtype=np.int64), la.shape)
    if label is not None:
        keys["label"] = np.asarray(label, dtype=object)
    frame = pd.DataFrame(keys)
    dup = frame.duplicated(keep="first").to_numpy()
    if not dup.any() or log is None:
        return ~dup
    values = {k: np.asarray(v, dtype=float) for k, v in (values or {}).items()}
    source = where if isinstance(where, str) else where.source
    rows = None if isinstance(where, str) else where.rows
    first = frame.groupby(list(keys), sort=False).ngroup().to_numpy()
    first_pos = pd.Series(np.arange(len(la))).groupby(first).transform("min").to_numpy()

    def show(x: float) -> str:
        return "missing" if np.isnan(x) else f"{x:g}"

    for i in np.flatnonzero(dup):
        j = int(first_pos[i])
        differ = [c for c, v in values.items() if not _same_number(v[j], v[i])]
        kind = "conflict" if differ else "duplicate"
        shown = differ or list(values)
        pair = "; ".join(f"{c} {show(values[c][j])} and {show(values[c][i])}" for c in shown)
        at = (f"rows {int(rows[j])} and {int(rows[i])}" if rows is not None
              else "two rows")
        yr = f" {int(keys['year'][i])}" if year is not None else ""
        lab = f" ({keys['label'][i]!r})" if label is not None else ""
        log.add(kind, source, f"{what + ': ' if what else ''}LA {int(la[i])}{yr}{lab} in "
                f"{at}{' (' + pair + ')' if pair else ''}; first kept", la_code=int(la[i]),
                year=int(keys["year"][i]) if year is not None else None, indicator=indicator,
                column=", ".join(differ) if differ else None,
                row=int(rows[i]) if rows is not None else None)
    return ~dup


def add_reasons(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Reasons for a value computed from two inputs (sum or ratio): the first one's, else the
    second's."""
    return combine_reasons(a, b)


def open_source(raw_dir: Path, rel: str, log: IssueLog) -> Path | None:
    """``raw_dir / rel`` if it exists; otherwise log a missing file and return None."""
    path = Path(raw_dir) / rel
    if path.is_file():
        return path
    log.add("missing_file", rel, "expected file not found; its values are absent from the "
                                 "panel")
    return None
