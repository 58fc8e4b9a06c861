"""The LA x year panel: schema, validation, the wide view, parquet input and output.

Written here (pandas and pyarrow). The schema is METHODS.md section 1: one row per LA, year
and indicator, stored long as numerator, denominator and unit, so that the same entry gives a
rate per 10,000 children, a percentage, a Poisson count with an offset or an amount.

``Panel.long`` columns (exactly these, in this order):

=============  =========  ===============================================================
la_code        int64      DfE 3-digit LA code, 201-938
year           int64      year ending 31 March (2013 = 2012-13); see each source's mapping
indicator      object     indicator name (str), e.g. ``"referrals"``
numerator      float64    count, amount or level; NaN = not published
denominator    float64    the base of a ratio unit; NaN for units that are not ratios
unit           object     one of :data:`UNITS`
source         object     where the number comes from (str)
=============  =========  ===============================================================

The value of an entry is ``numerator / denominator * scale`` for the ratio units
(rate_per_10000: 10000, percentage: 100, gbp_per_child and ratio: 1), and the numerator
as it is for the others (count, money_gbp, fte, days, score). A zero denominator gives NaN.

City of London (201) and Isles of Scilly (420) are excluded by default, as in the papers,
and every exclusion is listed in ``Panel.exclusions``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

LONG_COLUMNS = ("la_code", "year", "indicator", "numerator", "denominator", "unit", "source")
LONG_DTYPES = {"la_code": "int64", "year": "int64", "indicator": "object",
               "numerator": "float64", "denominator": "float64", "unit": "object",
               "source": "object"}

#: unit -> scale; None = no denominator, the numerator is the value.
UNITS: dict[str, float | None] = {
    "rate_per_10000": 10000.0,
    "percentage": 100.0,
    "gbp_per_child": 1.0,
    "ratio": 1.0,
    "count": None,
    "money_gbp": None,
    "fte": None,
    "days": None,
    "score": None,
}
RATIO_UNITS = frozenset(u for u, s in UNITS.items() if s is not None)

LA_CODE_MIN, LA_CODE_MAX = 201, 938
YEAR_MIN, YEAR_MAX = 1990, 2100
DEFAULT_EXCLUDED_LAS: tuple[int, ...] = (201, 420)
EXCLUSION_REASONS = {
    201: "City of London: very small child population; excluded by default, as in the papers",
    420: "Isles of Scilly: very small child population; excluded by default, as in the papers",
}

#: First SIF overall effectiveness in the three categories used by the studies (best first).
JUDGEMENTS = ("outstanding_good", "requires_improvement", "inadequate")
#: ILACS overall effectiveness (best first); wilkins2020's low/high is derived from it.
ILACS_JUDGEMENTS = ("outstanding", "good", "requires_improvement", "inadequate")
EXCLUSION_COLUMNS = ("la_code", "year", "indicator", "reason")
FORMAT_VERSION = 1


class PanelError(ValueError):
    """Bad panel input; the message names the LA, the year and the column where it can."""


@dataclass(frozen=True)
class Indicator:
    """One indicator of the public vocabulary: its unit, what it measures, its denominator."""

    name: str
    unit: str
    definition: str
    denominator: str = ""

    @property
    def scale(self) -> float | None:
        return UNITS[self.unit]


def _ind(name, unit, definition, denominator=""):
    return name, Indicator(name, unit, definition, denominator)


#: The indicator vocabulary shared by the synthetic generator and the real-data builders.
INDICATORS: dict[str, Indicator] = dict([
    _ind("child_population", "count", "children aged 0-17 (ONS mid-year estimate)"),
    _ind("referrals", "rate_per_10000", "referrals to children's social care in the year",
         "children aged 0-17"),
    _ind("re_referrals", "percentage", "referrals within 12 months of a previous referral",
         "referrals"),
    _ind("referrals_nfa", "percentage", "referrals closed with no further action",
         "referrals"),
    _ind("assessments", "rate_per_10000", "assessments completed in the year",
         "children aged 0-17"),
    _ind("assessments_within_45_days", "percentage",
         "assessments completed within 45 working days", "assessments"),
    _ind("initial_assessments_within_10_days", "percentage",
         "initial assessments completed within 10 working days (pre-2014 framework)",
         "assessments"),
    _ind("section47", "rate_per_10000", "section 47 enquiries started in the year",
         "children aged 0-17"),
    _ind("icpc", "rate_per_10000", "initial child protection conferences in the year",
         "children aged 0-17"),
    _ind("icpc_within_15_days", "percentage",
         "ICPCs held within 15 working days of the strategy discussion", "ICPCs"),
    _ind("days_to_icpc", "days", "median working days from strategy discussion to ICPC"),
    _ind("cpp_starts", "rate_per_10000", "child protection plans started in the year",
         "children aged 0-17"),
    _ind("cpp", "rate_per_10000", "children subject to a child protection plan at 31 March",
         "children aged 0-17"),
    _ind("cpp_second_or_subsequent", "percentage",
         "child protection plans started that were a second or subsequent plan",
         "plans started"),
    _ind("cpp_2_years_plus", "percentage",
         "child protection plans ended in the year that had lasted 2 years or more",
         "plans ended"),
    _ind("cin_rate", "rate_per_10000", "children in need at 31 March", "children aged 0-17"),
    _ind("cin_2_years_plus", "percentage", "children in need for 2 years or more",
         "children in need at 31 March"),
    _ind("cla_rate", "rate_per_10000", "children looked after at 31 March",
         "children aged 0-17"),
    _ind("cla_missing", "percentage", "children looked after who went missing in the year",
         "children looked after"),
    _ind("social_workers", "fte", "children and family social workers in post (FTE)"),
    _ind("social_worker_turnover", "percentage", "social worker leavers in the year (FTE)",
         "social workers in post (FTE)"),
    _ind("agency_worker_rate", "percentage", "agency social workers (FTE)",
         "social workers in post plus agency workers (FTE)"),
    _ind("vacancy_rate", "percentage", "social worker vacancies (FTE)",
         "vacancies plus social workers in post (FTE)"),
    _ind("caseload", "score", "average cases per case-holding social worker"),
    _ind("spend_per_child", "gbp_per_child",
         "children and young people's services gross spend (s251 outturn), GBP",
         "children aged 0-17"),
    _ind("spend_safeguarding", "gbp_per_child",
         "safeguarding children and young people's services spend (s251), GBP",
         "children aged 0-17"),
    _ind("spend_cla", "gbp_per_child", "children looked after spend (s251), GBP",
         "children aged 0-17"),
    _ind("spend_early_help", "gbp_per_child", "family support services spend (s251), GBP",
         "children aged 0-17"),
])


def indicator_table(units: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The ``Panel.indicators`` table (indicator, unit, definition, scale, denominator).

    ``units``: indicator -> unit of the indicators present; names outside the vocabulary get
    an empty definition. Without it, the whole vocabulary.
    """
    names = list(INDICATORS) if units is None else _ordered(units)
    rows = []
    for name in names:
        spec = INDICATORS.get(name)
        unit = units[name] if units is not None else spec.unit
        scale = UNITS[unit]
        rows.append({"indicator": name, "unit": unit,
                     "definition": spec.definition if spec else "",
                     "scale": np.nan if scale is None else scale,
                     "denominator": spec.denominator if spec else ""})
    return pd.DataFrame(rows, columns=["indicator", "unit", "definition", "scale", "denominator"])


def _ordered(names: Iterable[str]) -> list[str]:
    names = set(names)
    known = [n for n in INDICATORS if n in names]
    return known + sorted(names - set(known))


def _where(df: pd.DataFrame, mask: np.ndarray, column: str, what: str) -> PanelError:
    """An error naming the first offending LA, year (and indicator) and the column."""
    i = int(np.flatnonzero(mask)[0])
    row = df.iloc[i]
    parts = [f"la_code {_fmt(row['la_code'])}"]
    if "year" in df.columns:
        parts.append(f"year {_fmt(row['year'])}")
    if "indicator" in df.columns:
        parts.append(f"indicator {_fmt(row['indicator'])}")
    more = int(mask.sum()) - 1
    tail = f" (and {more} more row{'s' if more != 1 else ''})" if more > 0 else ""
    return PanelError(f"column {column!r}: {what} at {', '.join(parts)}: "
                      f"{_fmt(row[column])}{tail}")


def _fmt(v) -> str:
    """A value for an error message: numbers plainly (2017, 2017.5), strings quoted."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v) if isinstance(v, str) else str(v)


def _as_int(df: pd.DataFrame, col: str) -> pd.Series:
    s = df[col]
    if pd.api.types.is_integer_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype):
        if s.isna().any():
            raise _where(df, s.isna().to_numpy(), col, "missing value")
        return s.astype("int64")
    num = pd.to_numeric(s, errors="coerce")
    bad = (num.isna() | (num != np.round(num))).to_numpy()
    if bad.any():
        raise _where(df, bad, col, "not an integer")
    return num.astype("int64")


def _as_str(df: pd.DataFrame, col: str) -> pd.Series:
    s = df[col]
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    if pd.api.types.infer_dtype(s, skipna=False) != "string" or (s == "").any():
        bad = ~s.map(lambda v: isinstance(v, str) and v != "").to_numpy(dtype=bool)
        if bad.any():
            raise _where(df, bad, col, "not a non-empty string")
    return s.astype(object)


def _as_float(df: pd.DataFrame, col: str) -> pd.Series:
    s = df[col]
    if pd.api.types.is_bool_dtype(s) or not (pd.api.types.is_numeric_dtype(s)
                                            or s.dtype == object):
        raise PanelError(f"column {col!r}: expected numbers, got dtype {s.dtype}")
    num = pd.to_numeric(s, errors="coerce")
    bad = (num.isna() & s.notna()).to_numpy()
    if bad.any():
        raise _where(df, bad, col, "not a number")
    return num.astype("float64")


def validate_long(long: pd.DataFrame) -> pd.DataFrame:
    """Check and normalise a long panel table; returns a new, sorted DataFrame.

    Lossless dtype repairs (int32 -> int64, integral floats -> int64, ints -> float64) are
    made; anything else raises :class:`PanelError` naming the LA, year, indicator and column.
    """
    if not isinstance(long, pd.DataFrame):
        raise PanelError(f"long: expected a pandas DataFrame, got {type(long).__name__}")
    missing = [c for c in LONG_COLUMNS if c not in long.columns]
    extra = [c for c in long.columns if c not in LONG_COLUMNS]
    if missing or extra:
        raise PanelError(f"long: columns must be exactly {list(LONG_COLUMNS)}; "
                         f"missing {missing}, unexpected {extra}")
    df = long.loc[:, list(LONG_COLUMNS)].reset_index(drop=True)
    df["la_code"] = _as_int(df, "la_code")
    df["year"] = _as_int(df, "year")
    for col in ("indicator", "unit", "source"):
        df[col] = _as_str(df, col)
    for col in ("numerator", "denominator"):
        df[col] = _as_float(df, col)

    code = df["la_code"].to_numpy()
    bad = (code < LA_CODE_MIN) | (code > LA_CODE_MAX)
    if bad.any():
        raise _where(df, bad, "la_code",
                     f"not a DfE 3-digit LA code ({LA_CODE_MIN}-{LA_CODE_MAX})")
    yr = df["year"].to_numpy()
    bad = (yr < YEAR_MIN) | (yr > YEAR_MAX)
    if bad.any():
        raise _where(df, bad, "year", f"year outside {YEAR_MIN}-{YEAR_MAX}")
    bad = ~df["unit"].isin(list(UNITS)).to_numpy()
    if bad.any():
        raise _where(df, bad, "unit", f"unknown unit (known: {', '.join(UNITS)})")
    pairs = df[["indicator", "unit"]].drop_duplicates()
    multi = pairs["indicator"].duplicated(keep=False)
    if multi.any():
        name = pairs.loc[multi, "indicator"].iloc[0]
        raise PanelError(f"column 'unit': indicator {name!r} has more than one unit: "
                         f"{sorted(pairs.loc[pairs['indicator'] == name, 'unit'])}")
    for name, unit in zip(pairs["indicator"], pairs["unit"], strict=True):
        spec = INDICATORS.get(name)
        if spec is not None and unit != spec.unit:
            sel = ((df["indicator"] == name) & (df["unit"] == unit)).to_numpy()
            raise _where(df, sel, "unit", f"indicator {name!r} must have unit {spec.unit!r}")
    dup = df.duplicated(["la_code", "year", "indicator"], keep="first").to_numpy()
    if dup.any():
        raise _where(df, dup, "indicator", "duplicate la_code x year x indicator")

    num = df["numerator"].to_numpy()
    den = df["denominator"].to_numpy()
    is_ratio = df["unit"].isin(list(RATIO_UNITS)).to_numpy()
    bad = np.isinf(num) | (num < 0)
    if bad.any():
        raise _where(df, bad, "numerator", "negative or infinite value")
    bad = ~is_ratio & ~np.isnan(den)
    if bad.any():
        raise _where(df, bad, "denominator",
                     "must be NaN for a unit that is not a ratio (count, money_gbp, fte, "
                     "days, score)")
    bad = is_ratio & (np.isinf(den) | (den < 0))
    if bad.any():
        raise _where(df, bad, "denominator", "negative or infinite value")
    with np.errstate(invalid="ignore"):
        bad = ((df["unit"] == "percentage").to_numpy() & (num > den * (1 + 1e-9)))
    if bad.any():
        raise _where(df, bad, "numerator", "a percentage's numerator exceeds its denominator")
    return df.sort_values(["la_code", "year", "indicator"], kind="stable").reset_index(drop=True)


def _categorical(df: pd.DataFrame, col: str, levels: tuple[str, ...]) -> pd.Series:
    s = df[col]
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    bad = (s.notna() & ~s.isin(list(levels))).to_numpy()
    if bad.any():
        raise _where(df, bad, col, f"unknown category (allowed: {', '.join(levels)})")
    return pd.Series(pd.Categorical(s, categories=list(levels), ordered=True), index=df.index)


def validate_las(las: pd.DataFrame | None, long: pd.DataFrame) -> pd.DataFrame:
    """Check the one-row-per-LA table against the long table; returns a new DataFrame.

    Only ``la_code`` is required; the known columns are checked where present:
    ``judgement`` and ``ilacs_judgement`` become ordered categoricals (best first),
    ``inadequate_2012_13`` a boolean (nullable where missing), ``inspection_year``,
    ``imd_rank`` and ``deprivation_tertile`` integers (nullable), ``inspection_date`` and
    ``ilacs_date`` datetimes.
    """
    codes = np.unique(long["la_code"].to_numpy())
    if las is None:
        las = pd.DataFrame({"la_code": codes})
    if not isinstance(las, pd.DataFrame):
        raise PanelError(f"las: expected a pandas DataFrame, got {type(las).__name__}")
    if "la_code" not in las.columns:
        raise PanelError("las: column 'la_code' is required")
    df = las.reset_index(drop=True).copy()
    df["la_code"] = _as_int(df, "la_code")
    code = df["la_code"].to_numpy()
    bad = (code < LA_CODE_MIN) | (code > LA_CODE_MAX)
    if bad.any():
        raise _where(df, bad, "la_code",
                     f"not a DfE 3-digit LA code ({LA_CODE_MIN}-{LA_CODE_MAX})")
    dup = df["la_code"].duplicated().to_numpy()
    if dup.any():
        raise _where(df, dup, "la_code", "duplicate LA in las")
    absent = np.setdiff1d(codes, code)
    if absent.size:
        raise PanelError(f"las: la_code {int(absent[0])} is in the long table but has no row "
                         f"in las ({absent.size} such LA{'s' if absent.size > 1 else ''})")
    if "judgement" in df.columns:
        df["judgement"] = _categorical(df, "judgement", JUDGEMENTS)
    if "ilacs_judgement" in df.columns:
        df["ilacs_judgement"] = _categorical(df, "ilacs_judgement", ILACS_JUDGEMENTS)
    if "inadequate_2012_13" in df.columns:
        s = df["inadequate_2012_13"]
        if not pd.api.types.is_bool_dtype(s):
            ok = s.map(lambda v: v is pd.NA or v is None or isinstance(v, (bool, np.bool_))
                       or (isinstance(v, float) and np.isnan(v)))
            if not ok.all():
                raise _where(df, ~ok.to_numpy(dtype=bool), "inadequate_2012_13",
                             "not a boolean")
            s = s.astype("boolean")
            if not s.isna().any():
                s = s.astype(bool)
        df["inadequate_2012_13"] = s
    for col in ("inspection_year", "imd_rank", "deprivation_tertile"):
        if col in df.columns:
            num = pd.to_numeric(df[col], errors="coerce")
            bad = ((num.isna() & df[col].notna()) | (num.notna() & (num != np.round(num))))
            if bad.any():
                raise _where(df, bad.to_numpy(), col, "not an integer")
            df[col] = num.astype("int64") if num.notna().all() else num.astype("Int64")
    if "deprivation_tertile" in df.columns:
        bad = (df["deprivation_tertile"].notna()
               & ~df["deprivation_tertile"].isin([1, 2, 3])).to_numpy(dtype=bool)
        if bad.any():
            raise _where(df, bad, "deprivation_tertile", "must be 1, 2 or 3")
    for col in ("inspection_date", "ilacs_date"):
        if col in df.columns:
            try:
                df[col] = pd.to_datetime(df[col]).astype("datetime64[ns]")
            except (ValueError, TypeError) as exc:
                raise PanelError(f"las: column {col!r}: not a date ({exc})") from exc
    return df.sort_values("la_code", kind="stable").reset_index(drop=True)


def _empty_exclusions() -> pd.DataFrame:
    return pd.DataFrame({"la_code": pd.Series(dtype="int64"), "year": pd.Series(dtype="Int64"),
                         "indicator": pd.Series(dtype=object), "reason": pd.Series(dtype=object)})


def _validate_exclusions(ex: pd.DataFrame | None) -> pd.DataFrame:
    if ex is None:
        return _empty_exclusions()
    missing = [c for c in EXCLUSION_COLUMNS if c not in ex.columns]
    if missing:
        raise PanelError(f"exclusions: missing columns {missing}")
    out = ex.loc[:, list(EXCLUSION_COLUMNS)].reset_index(drop=True).copy()
    out["la_code"] = _as_int(out, "la_code")
    out["year"] = pd.to_numeric(out["year"], errors="raise").astype("Int64")
    out["indicator"] = out["indicator"].astype(object).where(out["indicator"].notna(), None)
    out["reason"] = out["reason"].astype(str).astype(object)
    return out


class Panel:
    """A validated LA x year panel.

    Attributes:
      long        the long table (columns :data:`LONG_COLUMNS`)
      las         one row per LA (la_code, name, region, child_population, imd_rank,
                  deprivation_tertile, inspection_year, inspection_date, judgement,
                  inadequate_2012_13, ilacs_date, ilacs_judgement, spend_per_child, ...)
      indicators  indicator, unit, definition, scale, denominator
      truth       the planted effects (``SyntheticTruth``) or None for real data
      label       a short description, e.g. ``"synthetic (seed 0)"``
      exclusions  la_code, year (NA = all years), indicator (None = all), reason

    ``exclude``: LA codes dropped (and reported) on construction; default City of London
    and Isles of Scilly. Pass ``()`` to keep them.
    """

    def __init__(self, long: pd.DataFrame, las: pd.DataFrame | None = None, *,
                 truth: Any = None, label: str = "", exclusions: pd.DataFrame | None = None,
                 exclude: Iterable[int] = DEFAULT_EXCLUDED_LAS):
        long = validate_long(long)
        las = validate_las(las, long)
        excl = _validate_exclusions(exclusions)
        rows = []
        for code in exclude:
            code = int(code)
            hit = (long["la_code"] == code).any() or (las["la_code"] == code).any()
            if hit:
                rows.append({"la_code": code, "year": pd.NA, "indicator": None,
                             "reason": EXCLUSION_REASONS.get(code, "excluded by request")})
                long = long[long["la_code"] != code]
                las = las[las["la_code"] != code]
        if rows:
            excl = pd.concat([excl, _validate_exclusions(pd.DataFrame(rows))],
                             ignore_index=True)
        self.long = long.reset_index(drop=True)
        self.las = las.reset_index(drop=True)
        pairs = self.long[["indicator", "unit"]].drop_duplicates()
        units = dict(zip(pairs["indicator"], pairs["unit"], strict=True))
        self.indicators = indicator_table(units)
        self.truth = truth
        self.label = str(label)
        self.exclusions = excl
        self.build_issues: pd.DataFrame | None = None
        """The build's issue log (exclusions, repairs, duplicates, conflicts, fills: see
        :class:`replication.data.build.BuildReport`) where known: set by the build, or read
        from ``<stem>.report.csv`` beside a panel file."""

    def __repr__(self) -> str:
        yrs = self.years
        span = f"{yrs[0]}-{yrs[-1]}" if len(yrs) else "no years"
        return (f"Panel({self.label!r}: {len(self.las)} LAs, {span}, "
                f"{len(self.indicators)} indicators, {len(self.long)} rows)")

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.long["year"].unique())

    def values(self) -> pd.Series:
        """The value of every long row: numerator / denominator * scale, or the numerator."""
        scale = self.long["unit"].map(lambda u: np.nan if UNITS[u] is None else UNITS[u])
        num = self.long["numerator"].to_numpy()
        den = self.long["denominator"].to_numpy()
        sc = scale.to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(den > 0, num / den * sc, np.nan)
        return pd.Series(np.where(np.isnan(sc), num, ratio), index=self.long.index,
                         name="value")

    def wide(self, indicators: Iterable[str] | str | None = None,
             years: Iterable[int] | int | None = None) -> pd.DataFrame:
        """One row per (la_code, year) of the panel, one column per indicator (its value).

        ``indicators``/``years``: restrict to these (an indicator not in the panel raises
        KeyError). Rows are sorted by la_code and year; absent entries are NaN.
        """
        long = self.long.assign(value=self.values())
        if years is not None:
            yrs = [years] if isinstance(years, (int, np.integer)) else [int(y) for y in years]
            long = long[long["year"].isin(yrs)]
        rows = pd.MultiIndex.from_frame(long[["la_code", "year"]].drop_duplicates()
                                        .sort_values(["la_code", "year"]))
        present = _ordered(self.long["indicator"].unique())
        if indicators is None:
            cols = present
        else:
            cols = [indicators] if isinstance(indicators, str) else list(indicators)
            unknown = [c for c in cols if c not in present]
            if unknown:
                raise KeyError(f"indicators: not in this panel: {unknown}")
            long = long[long["indicator"].isin(cols)]
        out = long.pivot(index=["la_code", "year"], columns="indicator", values="value")
        out = out.reindex(index=rows, columns=cols)
        out.columns.name = None
        return out.reset_index()

    # ---- parquet -----------------------------------------------------------------------
    def to_parquet(self, path) -> tuple[Path, Path]:
        """Write the long table to ``path`` and the LA table to ``<stem>.las.parquet``.

        The label and the exclusions travel in the long file's metadata; ``truth`` is not
        written (a loaded panel has ``truth=None``).
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        table = pa.Table.from_pandas(self.long, preserve_index=False)
        ex = self.exclusions.astype({"year": "float64"})
        meta = {"format_version": FORMAT_VERSION, "label": self.label,
                "exclusions": json.loads(ex.to_json(orient="records"))}
        md = dict(table.schema.metadata or {})
        md[b"csc_panel"] = json.dumps(meta).encode()
        pq.write_table(table.replace_schema_metadata(md), path)
        las_path = las_sidecar(path)
        self.las.to_parquet(las_path, index=False)
        return path, las_path


def las_sidecar(path) -> Path:
    """``panel.parquet`` -> ``panel.las.parquet``."""
    path = Path(path)
    return path.with_name(f"{path.stem}.las.parquet")


def report_sidecar(path) -> Path:
    """``panel.parquet`` -> ``panel.report.csv`` (the build's issue log)."""
    path = Path(path)
    return path.with_name(f"{path.stem}.report.csv")


def read_parquet_panel(path, *, exclude: Iterable[int] = DEFAULT_EXCLUDED_LAS) -> Panel:
    """Read a panel written by :meth:`Panel.to_parquet` (or any parquet in the long schema),
    with its ``<stem>.report.csv`` as ``build_issues`` where that file is present."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"panel file not found: {path}")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a non-parquet file
        raise PanelError(f"{path}: not a readable parquet file ({exc})") from exc
    long = table.to_pandas()
    for col in ("indicator", "unit", "source"):
        if col in long.columns:
            long[col] = long[col].astype(object)
    raw = (table.schema.metadata or {}).get(b"csc_panel")
    meta = json.loads(raw) if raw else {}
    label = meta.get("label") or f"parquet ({path.name})"
    if label.startswith("synthetic"):  # the planted truth is not written with the panel
        label += f", read from {path.name}: no planted truth to compare"
    exclusions = pd.DataFrame(meta["exclusions"]) if meta.get("exclusions") else None
    side = las_sidecar(path)
    las = pd.read_parquet(side) if side.is_file() else None
    try:
        panel = Panel(long, las, label=label, exclusions=exclusions, exclude=exclude)
    except PanelError as exc:
        raise PanelError(f"{path}: {exc}") from exc
    report = report_sidecar(path)
    if report.is_file():
        try:
            panel.build_issues = pd.read_csv(report, dtype={"detail": str, "source": str})
        except (ValueError, OSError) as exc:
            raise PanelError(f"{report}: the build report beside the panel is not a readable "
                             f"CSV ({exc}); remove it or rebuild the panel") from exc
    return panel


def load_panel(source="synthetic", seed: int = 0, **options) -> Panel:
    """The synthetic panel (``source="synthetic"``: ``make_panel(seed=seed, **options)``) or
    a panel read from a parquet file in the long schema (with its ``<stem>.las.parquet``
    sidecar where present; ``options``: ``exclude``)."""
    if isinstance(source, str) and source == "synthetic":
        from .synthetic import make_panel

        return make_panel(seed=seed, **options)
    if not isinstance(source, (str, Path)):
        raise TypeError(f"source: expected 'synthetic' or a path, got {type(source).__name__}")
    unknown = set(options) - {"exclude"}
    if unknown:
        raise TypeError(f"load_panel: unexpected options for a parquet source: {sorted(unknown)}")
    return read_parquet_panel(source, **options)
