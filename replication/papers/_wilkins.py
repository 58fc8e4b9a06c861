"""What the two Wilkins & Antonopoulou studies share: coding of the rating, deprivation
ranks and tertiles, the paper's variables in the panel's vocabulary, spend per child.

Written here (pandas, numpy; Spearman tests by :func:`models.correlation.cor_matrix`). The
Python-vs-R machinery of both studies (``run(..., with_r=True)``) is here too: the columns of
the ``python_vs_r`` table, the rules for comparing a number near zero, R's Spearman tests
(``cor.test``) of a batch of pairs, and the handling of a missing R.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from models.correlation import cor_matrix
from replication.papers._base import combine_exclusions, exclusion_rows, panel_exclusions
from replication.papers._compare import VS_R_COLUMNS, significance_mark, vs_r_row

#: The outcome coding. "1=inadequate": codes rise with the rating (inadequate = 1, the best
#: category highest), the coding the published signs imply (deprivation rho < 0 while the
#: more deprived were less often rated good). "1=outstanding": the reverse; every sign flips.
CODINGS = ("1=inadequate", "1=outstanding")
DEPRIVATION_RANKS = ("sample", "national")
TERTILE_RULES = ("sample", "panel")
TERTILE_LABELS = {1: "low", 2: "medium", 3: "high"}
"""Deprivation tertiles as the studies use them: 1 = least deprived third."""

FOUR_GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
"""Ofsted's four grades, best first (the panel's ILACS spelling)."""
_GRADE_TEXT = {"outstanding": "outstanding", "good": "good",
               "requires improvement": "requires_improvement",
               "requires_improvement": "requires_improvement", "inadequate": "inadequate"}


def check_choice(name: str, value, choices: Sequence) -> None:
    if value not in choices:
        raise ValueError(f"option {name!r} must be one of {list(choices)}; got {value!r}")


def coded_levels(best_first: Sequence[str], coding: str) -> list[str]:
    """The categories in ascending code order (code 1 first) under ``coding``."""
    check_choice("coding", coding, CODINGS)
    return list(reversed(best_first)) if coding == "1=inadequate" else list(best_first)


def rating_codes(values: pd.Series, best_first: Sequence[str], coding: str) -> pd.Series:
    """1, 2, ... for each category (NaN where missing or unknown), by ``coding``."""
    order = coded_levels(best_first, coding)
    lookup = {c: float(i + 1) for i, c in enumerate(order)}
    s = values.astype(object)
    return pd.Series([lookup.get(_GRADE_TEXT.get(str(v).lower(), v), np.nan)
                      if isinstance(v, str) else np.nan for v in s],
                     index=values.index, dtype=float)


def coding_text(coding: str, best_first: Sequence[str]) -> str:
    order = coded_levels(best_first, coding)
    return ", ".join(f"{i + 1} = {c}" for i, c in enumerate(order))


# ---- deprivation --------------------------------------------------------------------------

def r_tertiles(x: np.ndarray) -> np.ndarray:
    """R's ``cut(x, quantile(x, 0:3/3), include.lowest = TRUE, labels = FALSE)``: 1, 2, 3
    (type-7 quantiles; NaN stays NaN). On ranks 1..47 this gives 16/15/16, as Table 2 of
    wilkins2020; on 1..87 it gives 29/29/29."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    ok = ~np.isnan(x)
    if ok.sum() == 0:
        return out
    q = np.quantile(x[ok], [1 / 3, 2 / 3])  # numpy's default is R's type 7
    out[ok] = np.where(x[ok] <= q[0], 1.0, np.where(x[ok] <= q[1], 2.0, 3.0))
    return out


def deprivation(sample_codes: Iterable[int], las: pd.DataFrame, *, rank: str = "sample",
                tertiles: str = "sample") -> pd.DataFrame:
    """Deprivation rank (1 = least deprived) and tertile (1 = least deprived third) of the
    sample's LAs, indexed by la_code.

    ``rank="sample"``: the panel's IMD rank (1 = most deprived) re-ranked within the sample,
    from least to most deprived, as wilkins2018 describes ('re-ranked ... from one to
    eighty-seven'); ``"national"``: the panel's rank reversed over all its LAs.
    ``tertiles="sample"``: the sample's ranks cut at their thirds (:func:`r_tertiles`);
    ``"panel"``: the panel's ``deprivation_tertile`` (cut over all LAs), recoded so that 1 is
    the least deprived third.
    """
    check_choice("deprivation_rank", rank, DEPRIVATION_RANKS)
    check_choice("tertiles", tertiles, TERTILE_RULES)
    codes = list(sample_codes)
    if "imd_rank" not in las.columns:
        raise KeyError("panel.las has no column 'imd_rank': the deprivation measure is missing")
    imd = pd.to_numeric(las.set_index("la_code")["imd_rank"], errors="coerce").astype(float)
    mine = imd.reindex(codes)
    out = pd.DataFrame(index=pd.Index(codes, name="la_code"))
    if rank == "sample":
        r = np.full(len(codes), np.nan)
        ok = mine.notna().to_numpy()
        r[ok] = rankdata(-mine.to_numpy()[ok], method="average")
        out["deprivation_rank"] = r
    else:
        out["deprivation_rank"] = (imd.max() + 1 - mine).to_numpy()
    if tertiles == "sample":
        out["deprivation_tertile"] = r_tertiles(out["deprivation_rank"].to_numpy())
    else:
        if "deprivation_tertile" not in las.columns:
            raise KeyError("panel.las has no column 'deprivation_tertile' (tertiles='panel')")
        t = pd.to_numeric(las.set_index("la_code")["deprivation_tertile"], errors="coerce")
        out["deprivation_tertile"] = (4 - t.reindex(codes)).astype(float).to_numpy()
    return out


# ---- the papers' variables ------------------------------------------------------------------

@dataclass(frozen=True)
class Variable:
    """One variable of a paper: its name here, the paper's label, the group (the paper's
    table), how it comes from the panel, and whether a lower value is better performance.

    ``indicator``: the panel indicator it is made from (None: not in the panel);
    ``transform``: "value" (as it is), "complement" (100 - a percentage: 'overdue' from
    'within timescale'), "per_cin" / "per_cla" (a spend per child 0-17 turned into a spend
    per child in need / looked after, with cin_rate / cla_rate).
    """

    name: str
    label: str
    group: str
    indicator: str | None = None
    transform: str = "value"
    definition: str = ""
    lower_is_better: bool | None = None
    number: int | None = None

    @property
    def needs(self) -> tuple[str, ...]:
        if self.indicator is None:
            return ()
        extra = {"per_cin": ("cin_rate",), "per_cla": ("cla_rate",)}.get(self.transform, ())
        return (self.indicator, *extra)


def variable_values(rows: pd.DataFrame, var: Variable) -> pd.Series:
    """The values of ``var`` from ``rows`` (panel.wide() rows, one per LA); NaN where the
    panel lacks the indicator."""
    if var.indicator is None or any(n not in rows.columns for n in var.needs):
        return pd.Series(np.nan, index=rows.index, dtype=float)
    v = rows[var.indicator].astype(float)
    if var.transform == "value":
        return v
    if var.transform == "complement":
        return 100.0 - v
    if var.transform == "per_cin":
        return v / (rows["cin_rate"].astype(float) / 1e4)
    if var.transform == "per_cla":
        return v / (rows["cla_rate"].astype(float) / 1e4)
    raise ValueError(f"unknown transform {var.transform!r} of variable {var.name!r}")


def available(var: Variable, present: Iterable[str]) -> bool:
    present = set(present)
    return var.indicator is not None and all(n in present for n in var.needs)


def values_at(panel, la_year: pd.Series, indicators: Sequence[str]) -> pd.DataFrame:
    """panel.wide() values of ``indicators`` for each LA at its own year (``la_year``:
    la_code -> panel year); one row per LA in ``la_year`` order, NaN where absent."""
    present = [i for i in indicators if i in set(panel.long["indicator"].unique())]
    years = sorted({int(y) for y in la_year.dropna().unique()})
    idx = pd.MultiIndex.from_arrays([la_year.index.to_numpy(),
                                     la_year.fillna(-1).astype(int).to_numpy()])
    if not present or not years:
        return pd.DataFrame(np.nan, index=la_year.index, columns=list(indicators))
    wide = panel.wide(indicators=present, years=years).set_index(["la_code", "year"])
    out = wide.reindex(idx)
    out.index = la_year.index
    for i in indicators:
        if i not in out.columns:
            out[i] = np.nan
    return out[list(indicators)].astype(float)


def variables_table(variables: Sequence[Variable], present: Iterable[str],
                    data: pd.DataFrame) -> pd.DataFrame:
    """One row per paper variable: what it is made from here and how many LAs have it."""
    present = set(present)
    rows = []
    for v in variables:
        ok = available(v, present)
        n = int(data[v.name].notna().sum()) if ok and v.name in data else 0
        rows.append({"number": v.number, "variable": v.name, "label": v.label, "group": v.group,
                     "panel_indicator": v.indicator or "", "transform": v.transform
                     if v.indicator else "", "definition_here": v.definition,
                     "available": ok, "n": n,
                     "lower_is_better": v.lower_is_better})
    out = pd.DataFrame(rows)
    out["number"] = out["number"].astype("Int64")
    out["lower_is_better"] = out["lower_is_better"].astype("boolean")
    return out


# ---- spend ----------------------------------------------------------------------------------

def rpi_adjust(values: pd.Series, years: pd.Series, rpi: Mapping[int, float] | None,
               base_year: int) -> pd.Series:
    """Spend in the prices of ``base_year`` (year ending 31 March), by RPI (``rpi``: year
    ending 31 March -> annual index). ``rpi=None`` leaves the values nominal."""
    if rpi is None:
        return values.astype(float)
    rpi = {int(k): float(v) for k, v in rpi.items()}
    if base_year not in rpi:
        raise KeyError(f"option 'rpi' has no index for the base year {base_year}")
    need = sorted({int(y) for y, v in zip(years, values, strict=True)
                   if pd.notna(y) and pd.notna(v)} - set(rpi))
    if need:
        raise KeyError(f"option 'rpi' has no index for the financial year(s) ending March "
                       f"{need}")
    factor = years.map(lambda y: rpi[base_year] / rpi[int(y)] if pd.notna(y) else np.nan)
    return values.astype(float) * factor.astype(float)


def fill_adjacent(panel, la_year: pd.Series, indicator: str) -> tuple[pd.Series, pd.Series]:
    """(value at the LA's year, or else the mean of the two adjacent years where they have
    values, or the one that has; the year used as a label: 'Y', 'Y-1/Y+1', ...)."""
    own = values_at(panel, la_year, [indicator])[indicator]
    before = values_at(panel, la_year - 1, [indicator])[indicator]
    after = values_at(panel, la_year + 1, [indicator])[indicator]
    both = pd.concat([before, after], axis=1)
    filled = own.copy()
    used = pd.Series(np.where(own.notna(), "same year", ""), index=own.index, dtype=object)
    gap = own.isna()
    filled[gap] = both[gap].mean(axis=1)
    used[gap & before.notna() & after.notna()] = "mean of the adjacent years"
    used[gap & before.notna() & after.isna()] = "year before"
    used[gap & before.isna() & after.notna()] = "year after"
    return filled, used


# ---- analyses used by both ----------------------------------------------------------------

def spearman_with(data: pd.DataFrame, rating: str, columns: Sequence[str],
                  exact: bool | None) -> pd.DataFrame:
    """Spearman rho of ``rating`` with each column (pairwise complete): rho, p, n, mark.

    R's ``cor.test(method = "spearman", exact = exact)`` (:func:`cor_matrix`); the rating has
    ties, so its p-values are the t approximation whatever ``exact`` is, as SPSS prints them.
    """
    cols = [c for c in columns if c in data.columns and data[c].notna().sum() >= 3]
    out = pd.DataFrame({"variable": list(columns)})
    out["rho"] = np.nan
    out["p_value"] = np.nan
    out["n"] = 0
    if cols:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cm = cor_matrix(data[[rating, *cols]].astype(float), method="spearman",
                            exact=exact)
        est, p, n = cm.estimate, cm.p_value, cm.n
        for c in cols:
            i = out.index[out["variable"] == c][0]
            out.loc[i, "rho"] = est.loc[rating, c]
            out.loc[i, "p_value"] = p.loc[rating, c]
            out.loc[i, "n"] = int(n.loc[rating, c])
    out["n"] = out["n"].astype("int64")
    out["mark"] = [significance_mark(p) for p in out["p_value"]]
    return out


def group_stats(values: pd.Series, groups: pd.Series, order: Sequence) -> pd.DataFrame:
    """n, mean and SD (n - 1) of ``values`` per group in ``order``, then 'all'."""
    rows = []
    for g in [*order, "all"]:
        v = values[groups == g] if g != "all" else values[groups.notna()]
        v = v.dropna().astype(float)
        rows.append({"group": g, "n": int(len(v)), "mean": float(v.mean()) if len(v) else np.nan,
                     "sd": float(v.std(ddof=1)) if len(v) > 1 else np.nan})
    return pd.DataFrame(rows)


def imd_source(las: pd.DataFrame) -> str:
    """The panel's statement of its IMD (``las['imd_source']``), or '' where it has none."""
    if "imd_source" not in las.columns:
        return ""
    vals = las["imd_source"].dropna().astype(str).unique()
    return vals[0] if len(vals) else ""


def stamp(tables: dict[str, pd.DataFrame], text: str) -> None:
    """Add the column ``options`` (the coding and the other choices, stated) to every table."""
    for name, t in tables.items():
        t = t.copy()
        t["options"] = text
        tables[name] = t


def fmt_p(p: float) -> str:
    if p is None or not math.isfinite(p):
        return "nan"
    return "<.001" if p < 0.001 else f"{p:.3f}".lstrip("0")


# ---- Python against R ---------------------------------------------------------------------

VS_R_COLUMNS = VS_R_COLUMNS
"""The columns of a study's ``python_vs_r`` table. ``difference`` is relative:
|python - r| / max(|python|, |r|, floor), 0 when equal; ``within``: difference <= tolerance."""

CHISQ_FLOOR = 1.0
"""Wald and likelihood-ratio chi-squares are compared relative to max(|x|, 1), the scale of a
1-df chi-square: a statistic near 0 (a coefficient far smaller than its SE) would otherwise
turn a difference of 1e-12 standard errors in B into a large relative one."""

P_ABS_FLOOR = 1.0
"""Tukey's adjusted p is held to an absolute tolerance (METHODS section 3; R's ptukey is a
numerical integral): relative to max(|p|, 1), i.e. absolute."""

R_SPEARMAN = """
.spearman <- function(pairs, exact) {
  if (!length(pairs)) return(matrix(numeric(0), 0, 2))
  t(vapply(pairs, function(p) {
    ct <- suppressWarnings(cor.test(p$x, p$y, method = "spearman", exact = exact))
    c(unname(ct$estimate), ct$p.value)
  }, numeric(2)))
}
.wald <- function(b, se) {
  w <- (b / se)^2
  list(B = b, SE = se, wald = w, p_value = pchisq(w, 1, lower.tail = FALSE),
       odds_ratio = exp(b), or_conf_low = exp(b - qnorm(0.975) * se),
       or_conf_high = exp(b + qnorm(0.975) * se))
}
"""
"""R helpers both studies' R code starts with: ``.spearman(pairs, exact)`` (``cor.test``
with ``exact`` as the study's option: NULL is R's default; its ties warning is the same as
ours and is muffled) and ``.wald(b, se)`` (Wald chi-square on 1 df, p, OR and its 95% Wald
interval, as SPSS prints them)."""


def spearman_pairs(frame: pd.DataFrame, pairs: Sequence[tuple[str, str]]) -> list[dict]:
    """The pairwise-complete values of each (x, y) column pair, for ``.spearman`` in R."""
    out = []
    for a, b in pairs:
        d = frame[[a, b]].astype(float).dropna()
        out.append({"x": d[a].to_numpy(dtype=float), "y": d[b].to_numpy(dtype=float)})
    return out


def spearman_rows(table: str, rows: Sequence[str], rho: Sequence[float],
                  p: Sequence[float], r: Any) -> list[dict]:
    """rho (METHODS: 1e-12) and p (1e-10 relative) of each row against R's ``.spearman``."""
    from replication.parity.correlation import P_TOL, RHO_TOL  # noqa: PLC0415

    m = np.asarray(r, dtype=float).reshape(-1, 2) if len(rows) else np.empty((0, 2))
    out = []
    for k, label in enumerate(rows):
        out.append(vs_r_row(table, label, "rho", rho[k], m[k, 0], RHO_TOL))
        out.append(vs_r_row(table, label, "p_value", p[k], m[k, 1], P_TOL))
    return out


def wald_rows(table: str, row: str, py: Mapping[str, float], r: Mapping[str, Any], key: str,
              tol: float, quantities: Sequence[str] = ("B", "SE", "wald", "p_value")
              ) -> list[dict]:
    """One coefficient's numbers against R's ``.wald`` output (``r[q][key]``): B relative to
    max(|B|, SE) (METHODS section 3), Wald relative to max(Wald, 1) (:data:`CHISQ_FLOOR`),
    the others plainly relative."""
    se = float(np.asarray(r["SE"][key]))
    floors = {"B": abs(se), "wald": CHISQ_FLOOR}
    return [vs_r_row(table, row, q, py[q], float(np.asarray(r[q][key])), tol,
                     floors.get(q, 0.0)) for q in quantities]


def vs_r_frame(rows: Sequence[dict]) -> pd.DataFrame:
    out = pd.DataFrame(list(rows), columns=list(VS_R_COLUMNS))
    out["within"] = out["within"].astype(bool)
    return out


def compare_with_r(compute: Callable[[], tuple[pd.DataFrame, Sequence[str], Sequence[str]]],
                   notes: list[str], what: str, rules: str = "") -> pd.DataFrame | None:
    """Run ``compute`` (returning the python_vs_r table, R's warnings and notes on the
    comparison) when R is there, and say in ``notes`` what came of it (``what``: the R
    functions; ``rules``: how numbers near zero are compared); None (and a note) when R or a
    package is missing or R stops with an error."""
    from replication.rbridge import RError, RNotAvailable, r_available  # noqa: PLC0415

    if not r_available():
        notes.append("Python vs R not compared: R is not installed.")
        return None
    try:
        vr, r_warnings, more = compute()
    except RNotAvailable as exc:
        notes.append(f"Python vs R not compared: {exc}")
        return None
    except RError as exc:
        notes.append(f"Python vs R not compared: R stopped with an error: {exc}")
        return None
    worst = float(vr["difference"].max()) if len(vr) else 0.0
    notes.append(f"Python vs R ({what}): {int(vr['within'].sum())} of {len(vr)} numbers within "
                 f"tolerance (METHODS section 3); largest relative difference {worst:.2g}."
                 + (f" {rules}" if rules else ""))
    if r_warnings:
        notes.append("R warned while re-computing (at the tight convergence settings of "
                     "METHODS section 3; the table shows whether the numbers still agree): "
                     + "; ".join(sorted({w.strip() for w in r_warnings})) + ".")
    notes.extend(f"Python vs R: {m}." for m in more)
    return vr


def study_exclusions(panel: Any, sample: pd.DataFrame, data: pd.DataFrame,
                     variables: Sequence[Variable], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Who is left out, at which stage and why: the panel's LA-wide exclusions; the LAs outside
    the sample (``sample``'s reason); and, for each variable the panel has (and each column of
    ``extra``), the sample LAs without a value, which every test and model of it leaves out."""
    out = sample.loc[~sample["included"].astype(bool)]
    parts = [panel_exclusions(panel),
             pd.DataFrame({"stage": "sample", "la_code": out["la_code"].to_numpy(), "year": pd.NA,
                           "indicator": None, "reason": out["reason"].astype(str).to_numpy()})]
    codes = data["la_code"] if "la_code" in data.columns else pd.Series(data.index)
    labels = {v.name: v.label for v in variables}
    for col in (*(v.name for v in variables), *extra):
        if col not in data.columns or not data[col].notna().any():
            continue  # absent from the panel: its rows are empty and say so
        miss = codes[data[col].isna().to_numpy()]
        if len(miss):
            parts.append(exclusion_rows("analysis", miss, f"no value of {labels.get(col, col)}: "
                                        "left out of every test and model of it",
                                        indicator=col))
    return combine_exclusions(*parts)


__all__ = ["CHISQ_FLOOR", "CODINGS", "DEPRIVATION_RANKS", "P_ABS_FLOOR", "R_SPEARMAN",
           "VS_R_COLUMNS", "compare_with_r", "spearman_pairs", "spearman_rows", "vs_r_frame",
           "wald_rows", "FOUR_GRADES", "TERTILE_LABELS", "TERTILE_RULES",
           "Variable", "available", "check_choice", "coded_levels", "coding_text",
           "deprivation", "fill_adjacent", "fmt_p", "group_stats", "imd_source", "r_tertiles",
           "rating_codes", "rpi_adjust", "spearman_with", "stamp", "study_exclusions", "values_at",
           "variable_values", "variables_table"]
