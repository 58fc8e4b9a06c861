"""R-style model matrices from a formula and a DataFrame (patsy underneath).

``model_matrix("y ~ x + g", data)`` returns the response and a design matrix whose
columns carry R's names: ``(Intercept)``, ``x``, ``gb`` (factor ``g`` at level ``b``,
treatment contrasts against its first level), ``x:gb``. It matches what R's
``model.frame`` + ``model.matrix`` build with ``na.action = na.omit`` and
``contrasts = c("contr.treatment", "contr.poly")`` for unordered factors, with two
deliberate differences, both announced:

* rows with a missing value in any variable of the formula are dropped with a warning
  saying how many (R's ``na.omit`` drops them quietly and ``print`` mentions it);
* unused levels of a predictor factor are dropped with a warning (as ``glm``'s
  ``drop.unused.levels = TRUE``; ``polr`` and ``multinom`` keep them and produce an
  all-zero column).

Ordered pandas Categoricals used as predictors get treatment contrasts here; R gives
ordered factors polynomial contrasts (``contr.poly``), so their coefficients differ from
R's although the fit is the same. String columns become factors with levels sorted by
code point (R sorts in the collation of its locale; they differ only for mixed case).
A predictor factor with one level is an error (R: "contrasts can be applied only to
factors with 2 or more levels").

Written here on top of patsy's formula parser; the renaming to R's column names and the
missing-value, unused-level and aliasing rules are ours.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import patsy

__all__ = ["Design", "aliased_columns", "build_design", "model_matrix"]

_LEVEL = re.compile(r"^(?P<name>[^\[]+)\[(?:T\.)?(?P<level>.*)\]$")
ALIAS_TOL = 1e-7
"""R's ``qr()`` tolerance (LINPACK dqrdc2) for declaring a column linearly dependent."""


@dataclass(frozen=True)
class Design:
    """A response and an R-named design matrix, with how they were made."""

    formula: str
    response: str
    y: pd.Series
    X: pd.DataFrame
    term_columns: dict[str, list[str]]
    """R term label (``(Intercept)``, ``x``, ``g``, ``x:g``) -> its columns of ``X``."""
    n_dropped: int
    dropped_index: pd.Index
    design_info: patsy.DesignInfo = field(repr=False)
    factor_columns: tuple[str, ...] = ()
    data: pd.DataFrame | None = field(default=None, repr=False)
    """The rows of ``data`` that were used (unused predictor levels dropped)."""

    def transform(self, newdata: pd.DataFrame) -> pd.DataFrame:
        """The design matrix for ``newdata`` with the same coding and columns as ``X``."""
        newdata = newdata.copy()
        for fac, fi in self.design_info.factor_infos.items():
            col = fac.name()
            if (fi.type == "categorical" and col in newdata.columns
                    and isinstance(newdata[col].dtype, pd.CategoricalDtype)):
                newdata[col] = newdata[col].cat.set_categories(list(fi.categories))
        (m,) = patsy.build_design_matrices([self.design_info], newdata, NA_action="raise",
                                           return_type="dataframe")
        m.columns = [_r_name(c, newdata) for c in m.columns]
        return m[list(self.X.columns)]


def _r_piece(piece: str, data: pd.DataFrame) -> str:
    m = _LEVEL.match(piece)
    if not m:
        return "(Intercept)" if piece == "Intercept" else piece
    name, level = m.group("name"), m.group("level")
    if name in data.columns and pd.api.types.is_bool_dtype(data[name]) and level in ("True", "False"):
        level = level.upper()
    return f"{name}{level}"


def _r_name(col: str, data: pd.DataFrame) -> str:
    return ":".join(_r_piece(p, data) for p in col.split(":"))


def _r_term(term: patsy.Term) -> str:
    name = term.name()
    return "(Intercept)" if name == "Intercept" else name


def _referenced(code: str, columns: pd.Index) -> list[str]:
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError:
        return [code] if code in columns else []
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if code in columns:
        names.add(code)
    return [c for c in columns if c in names]


def _is_factor(s: pd.Series) -> bool:
    return (isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(s)
            or pd.api.types.is_bool_dtype(s) or pd.api.types.is_string_dtype(s))


def _split(formula: str) -> tuple[str, str]:
    if formula.count("~") != 1:
        raise ValueError(f"formula {formula!r} must have the form 'response ~ predictors'")
    lhs, rhs = (s.strip() for s in formula.split("~"))
    if not lhs:
        raise ValueError(f"formula {formula!r} has no response on the left of '~'")
    return lhs, rhs or "1"


def build_design(formula: str, data: pd.DataFrame, *, caller: str = "model") -> Design:
    """Parse ``formula`` against ``data``; drop incomplete rows (warning); R-named columns.

    ``caller`` prefixes warnings and errors (e.g. ``"multinom"``).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{caller}: data must be a pandas DataFrame, got {type(data).__name__}")
    lhs, rhs = _split(formula)
    if lhs not in data.columns:
        raise KeyError(f"{caller}: response column {lhs!r} is not in data")
    original_index = data.index
    df = data.reset_index(drop=True)
    try:
        first = patsy.dmatrix(rhs, df, NA_action="drop", return_type="dataframe")
    except patsy.PatsyError as exc:
        raise ValueError(f"{caller}: cannot build the design for {formula!r}: {exc}") from exc
    info = first.design_info
    used: list[str] = [lhs]
    for term in info.terms:
        for fac in term.factors:
            for c in _referenced(fac.name(), df.columns):
                if c not in used:
                    used.append(c)
    keep = pd.Series(False, index=df.index)
    keep[first.index] = True
    keep &= df[lhs].notna()
    n_dropped = int((~keep).sum())
    if n_dropped == len(df):
        raise ValueError(f"{caller}: no complete cases: every row has a missing value in "
                         f"one of {used}")
    if n_dropped:
        counts = {c: int(df[c].isna().sum()) for c in used if df[c].isna().any()}
        detail = ", ".join(f"{c}: {k}" for c, k in counts.items())
        warnings.warn(f"{caller}: {n_dropped} observation{'s' if n_dropped != 1 else ''} deleted "
                      f"due to missingness (na.omit; missing values per column: {detail})",
                      stacklevel=3)
    sub = df.loc[keep].copy()
    # the first matrix serves unless rows beyond patsy's or unused levels must go
    recode = int(keep.sum()) != len(first)
    factors: list[str] = []
    for c in used[1:]:
        s = sub[c]
        if not _is_factor(s):
            continue
        factors.append(c)
        if isinstance(s.dtype, pd.CategoricalDtype):
            unused = [lev for lev in s.cat.categories if not (s == lev).any()]
            if unused:
                warnings.warn(f"{caller}: predictor {c!r}: unused level(s) "
                              f"{', '.join(repr(str(u)) for u in unused)} dropped",
                              stacklevel=3)
                sub[c] = s.cat.remove_unused_categories()
                recode = True
        levels = pd.unique(sub[c])
        if len(levels) < 2:
            only = f" ({str(levels[0])!r})" if len(levels) else ""
            raise ValueError(f"{caller}: predictor {c!r} has a single level{only}; contrasts can "
                             "be applied only to factors with 2 or more levels")
    if recode:
        try:
            X = patsy.dmatrix(rhs, sub, NA_action="raise", return_type="dataframe")
        except patsy.PatsyError as exc:
            raise ValueError(f"{caller}: cannot build the design for {formula!r}: {exc}") from exc
    else:
        X = first
    info = X.design_info
    X.columns = [_r_name(c, sub) for c in X.columns]
    names = list(X.columns)
    # R orders terms by interaction degree, then as written; patsy groups them by factor
    slices = info.term_slices
    order = sorted(slices, key=lambda t: (len(t.factors), info.terms.index(t)))
    written = patsy.ModelDesc.from_formula(rhs).rhs_termlist
    order = sorted(order, key=lambda t: (len(t.factors), written.index(t) if t in written else 0))
    term_columns = {_r_term(t): names[slices[t]] for t in order}
    X = X[[c for cols in term_columns.values() for c in cols]]
    kept_pos = np.flatnonzero(keep.to_numpy())
    X.index = original_index[kept_pos]
    y = sub[lhs]
    y.index = X.index
    return Design(formula=formula, response=lhs, y=y, X=X, term_columns=term_columns,
                  n_dropped=n_dropped, dropped_index=original_index[np.flatnonzero(~keep.to_numpy())],
                  design_info=info, factor_columns=tuple(factors),
                  data=sub.set_axis(X.index, axis=0))


def model_matrix(formula: str, data: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """``(y, X)`` as R's ``model.response`` and ``model.matrix`` (treatment contrasts).

    Columns are named as R names them, e.g. ``"(Intercept)"``, ``"x"``, ``"groupb"``.
    """
    d = build_design(formula, data, caller="model_matrix")
    return d.y, d.X


def aliased_columns(X: pd.DataFrame | np.ndarray, tol: float = ALIAS_TOL) -> list[int]:
    """Positions of columns that are linear combinations of earlier ones (R's ``qr`` rule).

    A column is aliased when its residual on the kept earlier columns has a norm below
    ``tol`` times its own norm, as LINPACK's dqrdc2 with R's default tolerance decides.
    """
    A = np.asarray(X, dtype=np.float64)
    kept: list[int] = []
    out: list[int] = []
    Q = np.zeros((A.shape[0], 0))
    for j in range(A.shape[1]):
        v = A[:, j]
        norm = np.linalg.norm(v)
        r = v - Q @ (Q.T @ v)
        r = r - Q @ (Q.T @ r)
        if norm == 0 or np.linalg.norm(r) < tol * norm:
            out.append(j)
            continue
        kept.append(j)
        Q = np.column_stack([Q, r / np.linalg.norm(r)])
    return out
