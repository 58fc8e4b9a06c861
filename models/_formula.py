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
factors with 2 or more levels"). An infinite value in a design column of a row that is
used (not dropped for a missing value) is an error naming the column(s) and rows, where R's
fitters stop with "NA/NaN/Inf in 'x'".

Written here on top of patsy's formula parser; the renaming to R's column names and the
missing-value, unused-level and aliasing rules are ours. Formulas that only add columns
(``y ~ x1 + g + b``: numbers, text, logical columns and Categoricals of text, no
functions, interactions or removed intercept) take a direct numpy path that yields the
same matrix, names, warnings and errors as patsy does, several times faster; the tests hold
the two paths to identity.
"""

from __future__ import annotations

import ast
import functools
import keyword
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

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
    info: patsy.DesignInfo | None = field(repr=False)
    """patsy's DesignInfo; None until first asked for where the direct path built the matrix."""
    factor_columns: tuple[str, ...] = ()
    frame: pd.DataFrame | None = field(default=None, repr=False)
    """The rows used (see :attr:`data`); None until first asked for on the direct path."""
    source: tuple | None = field(default=None, repr=False)
    """Direct path: (the caller's data, positions of the rows used, factors with unused levels)."""

    @property
    def data(self) -> pd.DataFrame:
        """The rows of ``data`` that were used (unused predictor levels dropped)."""
        if self.frame is None:
            data, rows, unused = self.source
            sub = data.iloc[rows]
            for c in unused:
                sub[c] = sub[c].cat.remove_unused_categories()
            object.__setattr__(self, "frame", sub)
        return self.frame

    @property
    def design_info(self) -> patsy.DesignInfo:
        """patsy's description of the design (built from ``data`` on first use if needed)."""
        if self.info is None:
            _, rhs = _split(self.formula)
            info = patsy.dmatrix(rhs, self.data.reset_index(drop=True), NA_action="raise",
                                 return_type="dataframe").design_info
            object.__setattr__(self, "info", info)
        return self.info

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


def _check_finite(M: np.ndarray, names: list[str], index: pd.Index, caller: str) -> None:
    """Raise ValueError naming the design columns with +-Inf (or NaN made from Inf) in the rows
    used, as R's ``glm`` stops with "NA/NaN/Inf in 'x'"; missing values were dropped before."""
    bad = ~np.isfinite(M)
    if not bad.any():
        return
    per_col = bad.sum(axis=0)
    cols = ", ".join(f"{names[j]!r} ({int(per_col[j])} row{'s' if per_col[j] != 1 else ''})"
                     for j in np.flatnonzero(per_col))
    rows = index[np.flatnonzero(bad.any(axis=1))]
    shown = ", ".join(map(str, rows[:5])) + (", ..." if len(rows) > 5 else "")
    rows_word = "rows" if len(rows) != 1 else "row"
    raise ValueError(f"{caller}: infinite values (Inf or -Inf) in predictor column(s) {cols}; "
                     f"{rows_word} {shown}. R stops here too (\"NA/NaN/Inf in 'x'\"): drop or "
                     "recode these values (missing values are dropped, as na.omit)")


# --------------------------------------------------------------------------- direct path


def _text_column(s: pd.Series) -> np.ndarray | None:
    """The values of an object or string column as an object array, if every value is text or
    missing (None or NaN, patsy's missing values); else None."""
    vals = s.to_numpy(dtype=object)
    types = set(map(type, vals))
    if not types <= {str, float, type(None)}:
        return None
    if float in types and any(v == v for v in vals if type(v) is float):
        return None  # a number among the text: patsy's rules
    return vals


def _simple_kind(s: Any) -> str | None:
    """How the direct path codes a column: 'num', 'bool', 'text', 'cat'; None: leave it to patsy."""
    if not isinstance(s, pd.Series):
        return None
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype):
        cats = dt.categories
        ok = (pd.api.types.is_object_dtype(cats.dtype) or pd.api.types.is_string_dtype(cats.dtype))
        return "cat" if ok and all(type(c) is str for c in cats) else None
    if isinstance(dt, np.dtype):
        if dt.kind == "b":
            return "bool"
        if dt.kind in "iuf":
            return "num"
        if dt.kind == "O":
            return "text"
        return None
    if pd.api.types.is_string_dtype(dt) and getattr(dt, "na_value", None) is not pd.NA:
        return "text"
    return None


def _simple_terms(rhs: str, data: pd.DataFrame) -> list[tuple[str, str, pd.Series]] | None:
    """The columns of a formula that only adds columns of ``data``: (name, kind, column);
    None where patsy must read it."""
    out: list[tuple[str, str, pd.Series]] = []
    for piece in rhs.split("+"):
        name = piece.strip()
        if name == "1":
            continue
        if (not name.isidentifier() or keyword.iskeyword(name) or name == "Intercept"
                or name not in data.columns
                or any(name == c for c, _, _ in out)):
            return None
        col = data[name]
        kind = _simple_kind(col)
        if kind is None:
            return None
        out.append((name, kind, col))
    return out


@functools.lru_cache(maxsize=512)
def _column_index(names: tuple[str, ...]) -> pd.Index:
    """The column Index for these names, built once (callers take a ``view``: same values,
    its own name)."""
    return pd.Index(list(names))


def _build_simple(formula: str, lhs: str, simple: list[tuple[str, str, pd.Series]],
                  data: pd.DataFrame, caller: str) -> Design | None:
    """The design of a formula that only adds columns, built directly (see the module doc).

    Returns None where patsy's path must answer instead (a column patsy would read
    differently, no complete case, a factor with one level): it then gives its own errors.
    """
    original_index = data.index
    df = data  # read by position only: its index never matters here
    n = len(df)
    terms = [(c, kind) for c, kind, _ in simple]
    column = {c: col for c, _, col in simple}
    # patsy puts the factor-only terms first, then the numeric ones, each in written order
    patsy_order = ([c for c, k in terms if k != "num"] + [c for c, k in terms if k == "num"])
    na = np.zeros(n, dtype=bool)
    values: dict[str, np.ndarray] = {}
    for c, kind in terms:
        s = column[c]
        if kind == "num":
            v = s.to_numpy(dtype=np.float64)
            na |= np.isnan(v)
        elif kind == "bool":
            v = s.to_numpy()
        elif kind == "cat":
            v = np.asarray(s.cat.codes, dtype=np.int64)
            na |= v < 0
        else:
            if isinstance(s.dtype, np.dtype) and _text_column(s) is None:  # object: check
                return None
            # codes into the distinct values in order of appearance; -1 for None or NaN
            codes, uniq = s.array.factorize()
            na |= codes < 0
            v = (codes, list(uniq))
        values[c] = v
    used: list[str] = [lhs]
    for c in patsy_order:
        if c not in used:
            used.append(c)
    resp = df[lhs]
    if isinstance(resp.dtype, np.dtype) and resp.dtype.kind in "iub":
        keep = ~na
    elif isinstance(resp.dtype, np.dtype) and resp.dtype.kind == "f":
        keep = ~na & ~np.isnan(resp.to_numpy())
    else:
        keep = ~na & resp.notna().to_numpy()
    n_kept = int(keep.sum())
    if n_kept == 0:
        return None
    kept_pos = np.flatnonzero(keep)
    kinds = dict(terms)
    # levels of each factor among the rows kept, checked before anything is announced
    levels: dict[str, list] = {}
    unused: dict[str, list] = {}
    for c in used[1:]:
        kind = kinds.get(c)
        if kind is None:  # the response used as a predictor: leave it to patsy
            return None
        if kind == "num":
            continue
        if kind == "text":
            codes, uniq = values[c]
            seen = np.unique(codes[kept_pos])
            levels[c] = sorted(uniq[i] for i in seen)
            if len(levels[c]) < 2:
                return None
            continue
        v = values[c][kept_pos]
        if kind == "cat":
            cats = list(column[c].dtype.categories)
            present = np.bincount(v, minlength=len(cats)) > 0
            levels[c] = [cat for cat, p in zip(cats, present, strict=True) if p]
            unused[c] = [cat for cat, p in zip(cats, present, strict=True) if not p]
        else:  # bool
            levels[c] = sorted(set(v.tolist()))
        if len(levels[c]) < 2:
            return None
    nums = [c for c, kind in terms if kind == "num"]
    if any(np.isinf(values[c]).any() for c in nums):
        _check_finite(np.column_stack([values[c][kept_pos] for c in nums]), nums,
                      original_index[kept_pos], caller)
    n_dropped = n - n_kept
    if n_dropped:
        counts = {c: int(df[c].isna().sum()) for c in used if df[c].isna().any()}
        detail = ", ".join(f"{c}: {k}" for c, k in counts.items())
        warnings.warn(f"{caller}: {n_dropped} observation{'s' if n_dropped != 1 else ''} deleted "
                      f"due to missingness (na.omit; missing values per column: {detail})",
                      stacklevel=4)
    factors: list[str] = []
    recoded: list[str] = []
    for c in used[1:]:
        if kinds[c] == "num":
            continue
        factors.append(c)
        if unused.get(c):
            warnings.warn(f"{caller}: predictor {c!r}: unused level(s) "
                          f"{', '.join(repr(str(u)) for u in unused[c])} dropped", stacklevel=4)
            recoded.append(c)
    # columns in R's order: the intercept, then the terms as written
    blocks = [np.ones((n_kept, 1))]
    term_columns: dict[str, list[str]] = {"(Intercept)": ["(Intercept)"]}
    for c, kind in terms:
        v = values[c][0][kept_pos] if kind == "text" else values[c][kept_pos]
        if kind == "num":
            blocks.append(v[:, None])
            names = [c]
        else:
            labs = levels[c]
            if kind == "cat":
                cats = list(column[c].dtype.categories)
                code_of = np.array([labs.index(cat) if cat in labs else -1 for cat in cats])
                code = code_of[v]
            elif kind == "bool":
                code = np.searchsorted(np.array(labs), v)
            else:  # appearance codes -> positions among the sorted levels
                where = {lab: i for i, lab in enumerate(labs)}
                code = np.array([where.get(u, -1) for u in values[c][1]], dtype=np.int64)[v]
            blocks.append((code[:, None] == np.arange(1, len(labs))[None, :]).astype(np.float64))
            names = [f"{c}[T.{lab!s}]" if isinstance(lab, str) else f"{c}[T.{lab!r}]"
                     for lab in labs[1:]]
        if kind == "num":
            term_columns[c] = [c]
        elif kind == "bool":
            term_columns[c] = [f"{c}TRUE"]
        else:  # R's name, as _r_name makes it from patsy's (levels with ':[]' confuse it)
            term_columns[c] = [f"{c}{lab}" if not any(ch in lab for ch in ":[]\n") else _r_name(nm, df)
                               for lab, nm in zip(labs[1:], names, strict=True)]
    y = resp if n_dropped == 0 else resp.iloc[kept_pos]
    X = pd.DataFrame(np.hstack(blocks), index=y.index,
                     columns=_column_index(("(Intercept)", *(nm for c, _ in terms
                                                             for nm in term_columns[c]))).view())
    return Design(formula=formula, response=lhs, y=y, X=X, term_columns=term_columns,
                  n_dropped=n_dropped, dropped_index=original_index[np.flatnonzero(~keep)],
                  info=None, factor_columns=tuple(factors),
                  source=(df.copy(deep=False), kept_pos, recoded))  # a copy-on-write snapshot


def build_design(formula: str, data: pd.DataFrame, *, caller: str = "model") -> Design:
    """Parse ``formula`` against ``data``; drop incomplete rows (warning); R-named columns.

    ``caller`` prefixes warnings and errors (e.g. ``"multinom"``).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{caller}: data must be a pandas DataFrame, got {type(data).__name__}")
    lhs, rhs = _split(formula)
    if lhs not in data.columns:
        raise KeyError(f"{caller}: response column {lhs!r} is not in data")
    simple = _simple_terms(rhs, data)
    if simple is not None:
        design = _build_simple(formula, lhs, simple, data, caller)
        if design is not None:
            return design
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
    if not np.isfinite(first.to_numpy()).all():
        in_first = keep[first.index].to_numpy()
        _check_finite(first.to_numpy()[in_first], [_r_name(c, df) for c in first.columns],
                      original_index[first.index[in_first]], caller)
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
                  info=info, factor_columns=tuple(factors),
                  frame=sub.set_axis(X.index, axis=0))


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
    if 0 < A.shape[1] <= A.shape[0] and np.isfinite(A).all():
        # quick answer for the usual full-rank case: |R_jj| of a Householder QR is the norm of
        # column j's residual on all earlier columns; far from the threshold, none is aliased
        norms = np.linalg.norm(A, axis=0)
        diag = np.abs(np.diag(np.linalg.qr(A, mode="r")))
        if np.all(norms > 0) and np.all(diag >= 1e3 * tol * norms):
            return []
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
