"""The result type shared by every estimator: ``tidy()`` and ``glance()`` as R's broom.

``tidy()`` returns one row per estimated quantity with at least the columns of
:data:`TIDY_COLUMNS` (extra columns such as ``y_level``, ``coef_type``, ``odds_ratio``,
``wald``, ``contrast`` or ``adj_p_value`` may follow). ``glance()`` returns a
one-row DataFrame of model-level figures; it must hold ``nobs`` and whichever of
:data:`GLANCE_COMMON` apply. Values that do not apply are NaN, never absent columns
within :data:`TIDY_COLUMNS`.

Numerics live in the estimators' pure functions; result classes only assemble tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

TIDY_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
)
"""Columns every ``tidy()`` table starts with, in this order (broom's names)."""

GLANCE_COMMON: tuple[str, ...] = ("nobs", "loglik", "aic", "bic", "deviance")
"""Model-level figures that ``glance()`` reports where they apply."""

_NUMERIC_TIDY = TIDY_COLUMNS[1:]


class SchemaError(ValueError):
    """A tidy or glance table does not have the shape the suite promises."""


def make_tidy(rows: Iterable[Mapping[str, Any]] | pd.DataFrame, extra: Iterable[str] = ()) -> pd.DataFrame:
    """Build a tidy table: the standard columns first (missing ones filled with NaN), then ``extra``.

    ``term`` is stored as string; the numeric standard columns as float64.
    """
    df = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows.copy()
    for col in TIDY_COLUMNS:
        if col not in df.columns:
            df[col] = np.nan
    extra = [c for c in extra if c not in TIDY_COLUMNS]
    others = [c for c in df.columns if c not in TIDY_COLUMNS and c not in extra]
    df = df[list(TIDY_COLUMNS) + extra + others]
    df["term"] = df["term"].astype(str)
    for col in _NUMERIC_TIDY:
        df[col] = pd.to_numeric(df[col], errors="raise").astype("float64")
    return df.reset_index(drop=True)


def make_glance(**values: Any) -> pd.DataFrame:
    """Build a one-row glance table; ``nobs`` is required."""
    if "nobs" not in values:
        raise SchemaError("glance() needs nobs")
    return pd.DataFrame({k: [v] for k, v in values.items()})


def validate_tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Raise :class:`SchemaError` unless ``df`` is a valid tidy table; return it."""
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"tidy() must return a DataFrame, got {type(df).__name__}")
    cols = list(df.columns)
    if cols[: len(TIDY_COLUMNS)] != list(TIDY_COLUMNS):
        raise SchemaError(f"tidy() must start with columns {TIDY_COLUMNS}, got {cols}")
    if len(df) == 0:
        raise SchemaError("tidy() returned no rows")
    for col in _NUMERIC_TIDY:
        if df[col].dtype != np.float64:
            raise SchemaError(f"tidy() column {col} must be float64, got {df[col].dtype}")
    if not all(isinstance(t, str) for t in df["term"]):
        raise SchemaError("tidy() column term must hold strings")
    p = df["p_value"].dropna()
    if ((p < 0) | (p > 1)).any():
        raise SchemaError("tidy() p_value outside [0, 1]")
    both = df[["conf_low", "conf_high"]].dropna()
    if (both["conf_low"] > both["conf_high"]).any():
        raise SchemaError("tidy() conf_low above conf_high")
    return df


def validate_glance(df: pd.DataFrame) -> pd.DataFrame:
    """Raise :class:`SchemaError` unless ``df`` is a valid one-row glance table; return it."""
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"glance() must return a DataFrame, got {type(df).__name__}")
    if len(df) != 1:
        raise SchemaError(f"glance() must have exactly one row, got {len(df)}")
    if "nobs" not in df.columns:
        raise SchemaError("glance() must report nobs")
    return df


class TidyResult:
    """Mixin for every estimator's result: subclasses implement ``tidy`` and ``glance``."""

    def tidy(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def glance(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError
