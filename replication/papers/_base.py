"""What every study (and the interim correlation analysis) returns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

EXCLUSION_COLUMNS = ("stage", "la_code", "year", "indicator", "reason")
"""Columns of :attr:`StudyResult.exclusions`. ``stage``: "panel" (left out of the panel
itself), "sample" (outside the study's sample rule) or "analysis" (in the sample, left out of
a table or model, e.g. a missing value); ``year``/``indicator`` empty = every one."""

OPTION_TABLE_COLUMNS = ("option", "value", "default", "changed", "alternatives", "note")


@dataclass(frozen=True)
class OptionDoc:
    """What else an option can be (``alternatives``) and why the default is what it is."""

    alternatives: str
    note: str = ""


def _plain(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    if isinstance(v, (list, int, float, str, bool, type(None))):
        return v
    return repr(v)


def _text(v: Any) -> str:
    v = _plain(v)
    return "None" if v is None else (json.dumps(v) if isinstance(v, (list, dict)) else str(v))


def exclusion_rows(stage: str, la_codes, reason: str, *, year: Any = None,
                   indicator: str | None = None) -> pd.DataFrame:
    """One exclusion row per LA code, all with the same stage, reason, year and indicator."""
    codes = sorted(int(c) for c in la_codes)
    return pd.DataFrame({"stage": stage, "la_code": pd.array(codes, dtype="Int64"),
                         "year": pd.array([year] * len(codes), dtype="Int64"),
                         "indicator": pd.Series([indicator] * len(codes), dtype=object),
                         "reason": reason}, columns=list(EXCLUSION_COLUMNS))


def combine_exclusions(*parts: pd.DataFrame | None) -> pd.DataFrame:
    """Stack exclusion tables in the schema of :data:`EXCLUSION_COLUMNS`."""
    frames = [p.loc[:, list(EXCLUSION_COLUMNS)] for p in parts if p is not None and len(p)]
    if not frames:
        return exclusion_rows("panel", [], "")
    out = pd.concat(frames, ignore_index=True)
    out["la_code"] = pd.to_numeric(out["la_code"], errors="coerce").astype("Int64")
    out["year"] = pd.to_numeric(out["year"], errors="coerce").astype("Int64")
    return out


def panel_exclusions(panel: Any) -> pd.DataFrame:
    """The panel's LA-wide exclusions (``Panel.exclusions`` with no year and no indicator), as
    stage "panel" rows. Value-level gaps (a missing value and its reason) are listed in the
    run's data section, not per study."""
    ex = getattr(panel, "exclusions", None)
    if ex is None or not len(ex):
        return combine_exclusions()
    wide = ex[ex["year"].isna() & ex["indicator"].isna()]
    return combine_exclusions(pd.DataFrame({
        "stage": "panel", "la_code": wide["la_code"].to_numpy(), "year": pd.NA,
        "indicator": None, "reason": wide["reason"].to_numpy()}))


@dataclass
class StudyResult:
    """Named tables and figures of one study run, with the options and data it used.

    ``tables``: name -> DataFrame (written as ``<out>/<study>/<name>.csv``).
    ``figures``: name -> matplotlib Figure (written as PNG beside them).
    ``options``: every analytic choice used, by name (stated in the report).
    ``defaults``, ``option_docs`` and ``given``: each option's default, its alternatives
    (:class:`OptionDoc`) and the names the caller set, for :meth:`options_table`.
    ``exclusions``: the LAs (and LA-years) left out, at which stage and why
    (:data:`EXCLUSION_COLUMNS`).
    ``notes``: plain sentences for the reader (exclusions, departures, warnings).
    """

    study: str
    data_label: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)
    option_docs: dict[str, OptionDoc] = field(default_factory=dict)
    given: tuple[str, ...] = ()
    exclusions: pd.DataFrame = field(default_factory=combine_exclusions)

    def options_table(self) -> pd.DataFrame:
        """option, value used, default, changed, alternatives, note: one row per option.

        ``changed``: the caller set the option to something other than its default (a
        default such as None that the study resolves, e.g. to the indicators present, is not
        a change)."""
        rows = []
        for name, value in self.options.items():
            doc = self.option_docs.get(name)
            has_default = name in self.defaults
            default = _text(self.defaults[name]) if has_default else ""
            rows.append({"option": name, "value": _text(value), "default": default,
                         "changed": bool(name in self.given and _text(value) != default),
                         "alternatives": doc.alternatives if doc else "",
                         "note": doc.note if doc else "derived from the options above"
                         if not has_default else ""})
        return pd.DataFrame(rows, columns=list(OPTION_TABLE_COLUMNS))

    def write(self, out_dir: Path) -> list[Path]:
        """Write tables (CSV), figures (PNG), ``options.csv``, ``exclusions.csv`` and a summary
        (JSON) under ``out_dir/<study>``."""
        d = Path(out_dir) / self.study
        d.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in self.tables.items():
            p = d / f"{name}.csv"
            table.to_csv(p, index=False)
            written.append(p)
        for name, table in (("options", self.options_table()), ("exclusions", self.exclusions)):
            p = d / f"{name}.csv"
            table.to_csv(p, index=False)
            written.append(p)
        for name, fig in self.figures.items():
            p = d / f"{name}.png"
            fig.savefig(p, dpi=110, bbox_inches="tight")
            written.append(p)
        summary = {
            "study": self.study,
            "data": self.data_label,
            "options": {k: _plain(v) for k, v in self.options.items()},
            "notes": self.notes,
            "tables": sorted(self.tables),
            "figures": sorted(self.figures),
            "exclusions": int(len(self.exclusions)),
        }
        p = d / "summary.json"
        p.write_text(json.dumps(summary, indent=1) + "\n")
        written.append(p)
        return written
