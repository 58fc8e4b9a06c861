"""The table of published against reproduced numbers, shared by the study modules.

Written here (pandas). A study maps the ids of its published records
(:func:`replication.published.load_published`) to what it reproduced
(:class:`Reproduced`); :func:`published_vs_reproduced` sets each beside the number as
printed, with two verdicts:

``within``
    the reproduced value prints as the published one: it lies within half a unit of the
    printed last decimal (ends included, so either rounding rule), or satisfies the printed
    bound ('<.001', '>.05'). False when nothing was reproduced.
``direction_agrees``
    the looser verdict, where one is defined: the same sign (rho, B, t, z), the same side
    of 1 (odds ratios and their limits), the same side of 0.05 (p-values). NA for counts,
    means and other unsigned quantities, and when nothing was reproduced.

Records of numbers the papers cite from other sources (note beginning 'cited') are left
out: no analysis reproduces them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from replication.published import load_published
from replication.published.rounding import parse_printed

#: Quantities whose sign carries the finding (and flips with the outcome coding).
SIGNED = frozenset({"rho", "B", "t", "z", "coef"})
#: Quantities read on the odds-ratio scale: the finding is the side of 1.
RATIO_SCALE = frozenset({"OR", "ci_low", "ci_high"})
#: The significance level the papers use (both state p < 0.05).
ALPHA = 0.05

COLUMNS = ("id", "location", "quantity", "row", "column", "published", "published_value",
           "reproduced", "difference", "within", "direction_agrees", "tolerance",
           "published_mark", "reproduced_mark", "reason")

#: Reasons, in the words the tables use.
REASON_SYNTHETIC = "synthetic data: not the paper's LAs or values"
REASON_NOT_IN_PANEL = "definitions: the variable is not in the panel"


@dataclass(frozen=True)
class Reproduced:
    """One reproduced number: its value (NaN when it cannot be computed), why it may
    differ from the paper, and the significance mark it would carry ('', '*', '**')."""

    value: float
    reason: str = ""
    mark: str | None = None


def _tolerance(printed) -> str:
    if printed.bound in ("<", ">"):
        return f"{printed.bound} {printed.threshold:g}"
    return f"+/- {printed.half_unit:g}"


def _p_significant(value: float, printed) -> bool | None:
    if printed.bound == "<":
        return True if printed.threshold <= ALPHA else None
    if printed.bound == ">":
        return False if printed.threshold >= ALPHA else None
    return bool(value < ALPHA)


def direction_agrees(quantity: str, published, reproduced: float) -> bool | None:
    """The loose verdict for one record (None where it is not defined)."""
    if reproduced is None or not math.isfinite(reproduced):
        return None
    if quantity in SIGNED:
        if not math.isfinite(published.value) or published.value == 0 or reproduced == 0:
            return None
        return bool(np.sign(published.value) == np.sign(reproduced))
    if quantity in RATIO_SCALE:
        if not math.isfinite(published.value) or published.value == 1 or reproduced == 1:
            return None
        return bool((published.value > 1) == (reproduced > 1))
    if quantity == "p":
        pub = _p_significant(published.value, published)
        return None if pub is None else bool(pub == (reproduced < ALPHA))
    return None


def published_vs_reproduced(study: str, reproduced: Mapping[str, Reproduced], *,
                            default_reason: str = "") -> pd.DataFrame:
    """One row per published record of ``study`` (cited numbers left out).

    ``reproduced``: record id -> :class:`Reproduced`. A record without an entry is listed
    with reproduced NaN and the reason 'not reproduced by this module'. ``default_reason``
    is used where an entry gives none (e.g. synthetic data). Raises KeyError for an id
    that is not a record of the study.
    """
    records = load_published(study)
    unknown = sorted(set(reproduced) - set(records["id"]))
    if unknown:
        raise KeyError(f"{study}: not published records: {unknown}")
    rows = []
    for rec in records.itertuples(index=False):
        if str(rec.note).lower().startswith("cited"):
            continue
        printed = parse_printed(rec.value_str)
        if rec.bound == "~":
            printed = type(printed)(printed.text, printed.value, printed.decimals, "~")
        got = reproduced.get(rec.id)
        value = float(got.value) if got is not None else math.nan
        finite = math.isfinite(value)
        within = bool(finite and printed.allows(value))
        diff = value - printed.value if finite and math.isfinite(printed.value) else math.nan
        reason = (got.reason or default_reason) if got is not None else \
            "not reproduced by this module"
        rows.append({
            "id": rec.id, "location": rec.location, "quantity": rec.quantity, "row": rec.row,
            "column": rec.column, "published": rec.value_str, "published_value": printed.value,
            "reproduced": value, "difference": diff, "within": within,
            "direction_agrees": direction_agrees(rec.quantity, printed, value),
            "tolerance": _tolerance(printed), "published_mark": rec.mark,
            "reproduced_mark": (got.mark if got is not None and got.mark is not None else ""),
            "reason": reason,
        })
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["within"] = out["within"].astype(bool)
    out["direction_agrees"] = out["direction_agrees"].astype("boolean")
    return out


def significance_mark(p: float) -> str:
    """'**' for p < .01, '*' for p < .05, '' otherwise (the papers' legend)."""
    if p is None or not math.isfinite(p):
        return ""
    return "**" if p < 0.01 else ("*" if p < 0.05 else "")


__all__ = ["ALPHA", "COLUMNS", "REASON_NOT_IN_PANEL", "REASON_SYNTHETIC", "RATIO_SCALE",
           "Reproduced", "SIGNED", "direction_agrees", "published_vs_reproduced",
           "significance_mark"]


VS_R_COLUMNS: tuple[str, ...] = ("table", "row", "quantity", "python", "r", "difference",
                                 "tolerance", "within")
"""Columns of every study's ``python_vs_r`` table (one row per number re-computed in R)."""


def rel_difference(py: float, r: float, floor: float = 0.0) -> float:
    """|py - r| / max(|py|, |r|, floor); 0 when equal (NaN equals NaN), inf when one is NaN."""
    py, r = float(py), float(r)
    if math.isnan(py) or math.isnan(r):
        return 0.0 if math.isnan(py) and math.isnan(r) else math.inf
    if py == r:
        return 0.0
    return abs(py - r) / max(abs(py), abs(r), floor)


def vs_r_row(table: str, row: str, quantity: str, py: float, r: float, tol: float,
             floor: float = 0.0) -> dict:
    """One row of a study's ``python_vs_r`` table."""
    d = rel_difference(py, r, floor)
    return {"table": table, "row": row, "quantity": quantity, "python": float(py),
            "r": float(r), "difference": d, "tolerance": tol, "within": bool(d <= tol)}
