"""Multilevel Poisson regression by maximum likelihood, as ``lme4::glmer(family = poisson)``.

Written here (no Python library fits a GLMM by adaptive quadrature); the numerics are in
:mod:`models._glmm_numerics`. What matches lme4 (1.1-31) and how:

* formula: lme4's syntax: ``y ~ x1 + x2 + (1 | la)``, ``(1 + time | la)`` (correlated vector
  random effect), ``(1 + time || la)`` (uncorrelated), several terms (``(1 | la) +
  (1 | region)``, crossed or nested; ``a:b`` as grouping factor), ``offset(log(pop))``.
  The fixed part is built by patsy, with R's column names and term order. Terms are
  reordered by decreasing number of levels as ``mkReTrms`` does.
* estimation: maximum likelihood; adaptive Gauss-Hermite quadrature with ``nagq`` points
  for one scalar random effect (``nagq = 1`` is the Laplace approximation), Laplace
  otherwise. lme4 optimises by bobyqa / Nelder-Mead within bounds; here L-BFGS with
  analytic gradients and a Newton finish over all real theta (the likelihood does not
  change when a column of the relative covariance factor changes sign), reported in
  lme4's form (diagonal >= 0). The optimum is lme4's up to its stopping rule; with random
  slopes lme4 can stop on the boundary "intercept SD = 0" where a higher maximum exists,
  and then ours is higher (the parity table names such cases).
* reported: ``fixef``, ``vcov`` (as ``vcov.merMod``: the fixed-effects block of twice the
  inverse Hessian of the deviance in (theta, beta)), ``theta``, ``var_corr()`` (as
  ``as.data.frame(VarCorr(fit))``), ``ranef()``, ``loglik`` / ``aic`` / ``bic`` on lme4's
  constant (which differs between ``nagq = 1`` and ``nagq > 1``: the latter omits the
  saturated log-likelihood), ``deviance`` (lme4's for a GLMM: the sum of squared deviance
  residuals at the conditional modes, not -2 logLik).
* checks and messages with lme4's wording: rank-deficient fixed design (columns dropped),
  predictors on very different scales, constant response, grouping-factor levels,
  singular fit, convergence (``checkConv``: scaled gradient, Hessian eigenvalues); rows
  with missing values are dropped (``na.omit``) and counted in a warning.
"""

from __future__ import annotations

import contextlib
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import patsy
from scipy import stats

from models._glmm_numerics import (
    MAX_NAGQ,
    GlmmFit,
    GlmmProblem,
    ReTerm,
    fit_glmm,
    lambda_blocks,
    make_evaluator,
    poisson_dev_resid,
    rx_matrix,
    theta_layout,
    theta_lower,
    vcov_from_hessian,
)
from models._result import TidyResult, make_glance, make_tidy

__all__ = ["NA", "GlmerResult", "GlmerWarning", "GlmmInputError", "glmer_poisson",
           "parse_formula"]

NA = "NA"
"""``predict(re_form=NA)``: population-level prediction (fixed effects and offset only)."""

CHECK_CONV_GRAD_TOL = 0.002
"""``glmerControl(check.conv.grad = .makeCC("warning", tol = 0.002))``."""

CHECK_SINGULAR_TOL = 1e-4
"""``isSingular(tol = 1e-4)``: a diagonal theta below this is a boundary (singular) fit."""

CHECK_HESS_TOL = 1e-6
"""``check.conv.hess = .makeCC("warning", tol = 1e-6)``."""

RANK_TOL = 1e-7
"""``chkRank.drop.cols(tol = 1e-7)``: R's ``qr(X, tol)`` rank tolerance."""

SCALE_X_TOL = 1000.0
"""``checkScaleX(tol = 1000)``."""

_CONTROL_KEYS = {"maxiter", "calc_derivs", "check_conv_grad_tol", "check_singular_tol",
                 "check_hess_tol", "check_rank_x", "check_scale_x", "evaluator"}


class GlmmInputError(ValueError):
    """Bad input to :func:`glmer_poisson` (the message names the argument or column)."""


class GlmerWarning(UserWarning):
    """A warning or message lme4 would give (same text)."""


# ============================================================================ formula


@dataclass(frozen=True)
class ParsedFormula:
    """An lme4 formula split into its parts."""

    response: str
    fixed: str  # patsy right-hand side (may be "1" or "0")
    offsets: tuple[str, ...]
    bars: tuple[tuple[str, str], ...]  # (effects expression, grouping expression)


def _split_top(s: str, seps: str) -> list[tuple[str, str]]:
    """Split ``s`` at separators outside parentheses: [(separator before, piece), ...]."""
    out, depth, cur, sep = [], 0, [], "+"
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise GlmmInputError(f"unbalanced parentheses in formula part {s!r}")
        if depth == 0 and ch in seps:
            out.append((sep, "".join(cur).strip()))
            cur, sep = [], ch
            continue
        cur.append(ch)
    if depth != 0:
        raise GlmmInputError(f"unbalanced parentheses in formula part {s!r}")
    out.append((sep, "".join(cur).strip()))
    return out


def _strip_parens(s: str) -> str | None:
    """The inside of ``(…)`` if the parentheses enclose all of ``s``, else None."""
    s = s.strip()
    if not (s.startswith("(") and s.endswith(")")):
        return None
    depth = 0
    for i, ch in enumerate(s):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(s) - 1:
            return None
    return s[1:-1]


def _expand_bar(inner: str) -> list[tuple[str, str]]:
    """``lhs | g`` or ``lhs || g`` (expanded as lme4's ``expandDoubleVerts``); ``a/b``
    grouping expanded to ``a`` and ``b:a`` as ``findbars`` does."""
    depth, pos = 0, None
    for i, ch in enumerate(inner):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch == "|":
            pos = i
            break
    if pos is None:
        raise GlmmInputError(f"random-effects term ({inner}) has no '|'")
    double = inner[pos + 1: pos + 2] == "|"
    lhs = inner[:pos].strip()
    grp = inner[pos + (2 if double else 1):].strip()
    if not lhs or not grp:
        raise GlmmInputError(f"random-effects term ({inner}) needs effects and a grouping factor")
    if "/" in grp:
        parts = [p.strip() for p in grp.split("/")]
        groups = []
        for k in range(len(parts), 0, -1):
            groups.append(":".join(reversed(parts[:k])))
    else:
        groups = [grp]
    lhss = [lhs]
    if double:
        pieces = _split_top(lhs, "+-")
        has_int = True
        effects = []
        for sep, piece in pieces:
            if piece in ("0", "1") or piece == "":
                if piece == "0" or (piece == "1" and sep == "-"):
                    has_int = False
                continue
            effects.append(piece)
        lhss = (["1"] if has_int else []) + [f"0 + {e}" for e in effects]
    return [(lh, gr) for gr in groups for lh in lhss]


def parse_formula(formula: str) -> ParsedFormula:
    """Split an lme4 formula into response, fixed part, offsets and random-effects terms."""
    if not isinstance(formula, str):
        raise GlmmInputError(f"formula must be a string, got {type(formula).__name__}")
    parts = _split_top(formula, "~")
    if len(parts) != 2 or not parts[0][1] or not parts[1][1]:
        raise GlmmInputError(f"formula must be 'response ~ terms', got {formula!r}")
    response, rhs = parts[0][1], parts[1][1]
    fixed, offsets, bars = [], [], []
    for sep, term in _split_top(rhs, "+-"):
        if term == "":
            if sep == "+" and not fixed:
                continue
            raise GlmmInputError(f"empty term in formula {formula!r}")
        inner = _strip_parens(term)
        if inner is not None and "|" in inner:
            if sep == "-":
                raise GlmmInputError(f"cannot subtract a random-effects term: {term}")
            bars.extend(_expand_bar(inner))
            continue
        m = re.fullmatch(r"offset\s*\((.*)\)", term, flags=re.S)
        if m:
            if sep == "-":
                raise GlmmInputError(f"cannot subtract an offset: {term}")
            offsets.append(m.group(1).strip())
            continue
        if "|" in term:
            raise GlmmInputError(f"random-effects term {term!r} must be in parentheses")
        fixed.append(f"{sep} {term}" if fixed else (f"-{term}" if sep == "-" else term))
    if not bars:
        raise GlmmInputError("No random effects terms specified in formula")
    fixed_rhs = " ".join(fixed) if fixed else "1"
    return ParsedFormula(response=response.strip(), fixed=fixed_rhs, offsets=tuple(offsets),
                         bars=tuple(bars))


# ============================================================================ data helpers

_FUNCS = {"log": np.log, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs, "log1p": np.log1p,
          "log2": np.log2, "log10": np.log10, "np": np}


def _env() -> patsy.EvalEnvironment:
    return patsy.EvalEnvironment([_FUNCS])


def _py_formula(s: str) -> str:
    return s.replace("^", "**")


def _r_name(name: str) -> str:
    """patsy column name -> R's (``Intercept`` -> ``(Intercept)``, ``f[T.b]`` -> ``fb``)."""
    if name == "Intercept":
        return "(Intercept)"
    name = re.sub(r"C\(([^,()]+)(?:,[^()]*)?\)\[T\.([^\]]*)\]", r"\1\2", name)
    name = re.sub(r"([A-Za-z_.][A-Za-z0-9_.]*)\[T\.([^\]]*)\]", r"\1\2", name)
    name = re.sub(r"([A-Za-z_.][A-Za-z0-9_.]*)\[([^\]]*)\]", r"\1\2", name)
    return re.sub(r"\s*\*\*\s*", "^", name)


def _eval_column(expr: str, data: pd.DataFrame, what: str) -> np.ndarray:
    """A numeric column named ``expr``, or the value of the expression on ``data``."""
    if expr in data.columns:
        col = data[expr]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise GlmmInputError(f"{what} column {expr!r} must be numeric")
        return col.to_numpy(dtype=float)
    try:
        m = patsy.dmatrix(f"0 + I({_py_formula(expr)})", data, eval_env=_env(),
                          NA_action=patsy.NAAction(NA_types=[]))
    except Exception as exc:  # patsy raises many types
        raise GlmmInputError(f"cannot evaluate {what} {expr!r} on data: {exc}") from exc
    return np.asarray(m, dtype=float)[:, 0]


def _identifiers(*exprs: str) -> set[str]:
    out: set[str] = set()
    for e in exprs:
        out.update(re.findall(r"[A-Za-z_.][A-Za-z0-9_.]*", e))
    return out


def _factor(data: pd.DataFrame, expr: str) -> tuple[np.ndarray, tuple]:
    """Integer codes and levels of a grouping expression (``g`` or ``a:b``), levels ordered
    as R's ``factor()`` (sorted values; categories' order; ``a:b`` with ``a`` slowest),
    unused levels dropped."""
    names = [v.strip() for v in expr.split(":")]
    codes_list, levels_list = [], []
    for v in names:
        if v not in data.columns:
            raise GlmmInputError(f"grouping factor {v!r} is not a column of data")
        col = data[v]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cat = col.cat.remove_unused_categories()
            codes, levels = cat.cat.codes.to_numpy(), tuple(cat.cat.categories)
        else:
            vals = col.to_numpy()
            try:
                levels_arr = np.array(sorted(pd.unique(vals)))
            except TypeError:
                levels_arr = np.array(sorted(pd.unique(vals), key=str), dtype=object)
            lookup = {lv: i for i, lv in enumerate(levels_arr.tolist())}
            codes = np.array([lookup[x] for x in vals.tolist()], dtype=np.int64)
            levels = tuple(levels_arr.tolist())
        codes_list.append(np.asarray(codes, dtype=np.int64))
        levels_list.append(levels)
    if len(names) == 1:
        return codes_list[0], levels_list[0]
    combined = np.zeros(len(data), dtype=np.int64)
    for c, lv in zip(codes_list, levels_list, strict=True):
        combined = combined * len(lv) + c
    used = np.unique(combined)
    codes = np.searchsorted(used, combined)
    levels = []
    for k in used.tolist():
        idx = []
        for lv in reversed(levels_list):
            idx.append(k % len(lv))
            k //= len(lv)
        levels.append(":".join(str(levels_list[i][j]) for i, j in enumerate(reversed(idx))))
    return codes, tuple(levels)


def _qr_keep(X: np.ndarray, tol: float = RANK_TOL) -> np.ndarray:
    """Columns kept by R's ``qr(X, tol)`` (LINPACK dqrdc2, limited pivoting): a column is
    dropped when its norm after projection on the kept columns falls below ``tol`` times
    its original norm."""
    keep = []
    Q = np.zeros((X.shape[0], 0))
    for j in range(X.shape[1]):
        c = X[:, j].astype(float)
        nrm = np.linalg.norm(c)
        if nrm == 0:
            continue
        r = c - Q @ (Q.T @ c)
        r = r - Q @ (Q.T @ r)
        rn = np.linalg.norm(r)
        if rn < tol * nrm:
            continue
        keep.append(j)
        Q = np.column_stack([Q, r / rn])
    return np.array(keep, dtype=int)


# ============================================================================ model frame


@dataclass(frozen=True)
class _Model:
    problem: GlmmProblem
    design_info: object
    fixed_order: np.ndarray  # patsy column index for each kept R column
    parsed: ParsedFormula
    offset_arg: str | np.ndarray | None
    n_dropped: int
    messages: tuple[str, ...]
    bar_design: tuple  # per term: (patsy design_info, grouping expression)
    group_names: tuple[str, ...]  # per term, the grouping expression


def _r_term_order(design_info, rhs: str) -> np.ndarray:
    """Column permutation putting patsy's columns in R's order: terms by degree, then by
    their position in the formula."""
    desc = patsy.ModelDesc.from_formula(rhs)
    order = {t: i for i, t in enumerate(desc.rhs_termlist)}
    terms = list(design_info.terms)
    ranked = sorted(range(len(terms)),
                    key=lambda i: (len(terms[i].factors), order.get(terms[i], 10**6), i))
    cols = []
    for i in ranked:
        sl = design_info.term_slices[terms[i]]
        cols.extend(range(sl.start, sl.stop))
    return np.array(cols, dtype=int)


def _build_model(formula: str, data, offset, weights, pseudo_likelihood: bool,
                 na_action: str, control: dict) -> _Model:
    if isinstance(data, Mapping) and not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(dict(data))
    if not isinstance(data, pd.DataFrame):
        raise GlmmInputError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    parsed = parse_formula(formula)
    messages: list[str] = []

    # ---- rows with missing values (na.omit)
    used = _identifiers(parsed.response, parsed.fixed, *parsed.offsets,
                        *[b for bar in parsed.bars for b in bar])
    for arg, val in (("offset", offset), ("weights", weights)):
        if isinstance(val, str):
            if val not in data.columns:
                raise GlmmInputError(f"{arg} column {val!r} is not in data")
            used.add(val)
    cols = [c for c in data.columns if c in used]
    na = data[cols].isna() if cols else pd.DataFrame(index=data.index)
    for arg, val in (("offset", offset), ("weights", weights)):
        if val is not None and not isinstance(val, str):
            arr = np.asarray(val, dtype=float)
            if arr.shape != (len(data),):
                raise GlmmInputError(f"{arg} must have one value per row of data "
                                     f"({len(data)}), got shape {arr.shape}")
            na[f"<{arg} argument>"] = np.isnan(arr)
    bad_rows = na.any(axis=1).to_numpy() if na.shape[1] else np.zeros(len(data), bool)
    n_dropped = int(bad_rows.sum())
    if n_dropped:
        counts = {c: int(na[c].sum()) for c in na.columns if na[c].any()}
        detail = ", ".join(f"{c} ({k})" for c, k in counts.items())
        if na_action == "fail":
            raise GlmmInputError(f"missing values in {detail}")
        msg = (f"{n_dropped} row(s) with missing values dropped (na.omit), "
               f"missing in: {detail}")
        messages.append(msg)
    keep = ~bad_rows
    d = data.loc[keep].reset_index(drop=True)
    if len(d) == 0:
        raise GlmmInputError("no rows left after dropping missing values")
    for c in d.columns:
        if isinstance(d[c].dtype, pd.CategoricalDtype):
            d[c] = d[c].cat.remove_unused_categories()

    def sub(val):
        if val is None or isinstance(val, str):
            return val
        return np.asarray(val, dtype=float)[keep]

    offset_k, weights_k = sub(offset), sub(weights)

    # ---- response
    y = _eval_column(parsed.response, d, "response")
    if not np.all(np.isfinite(y)):
        raise GlmmInputError(f"response {parsed.response!r} has non-finite values")
    if np.any(y < 0):
        raise GlmmInputError(f"negative values not allowed for the 'Poisson' family "
                             f"(response {parsed.response!r})")
    nonint = np.abs(y - np.round(y)) > 1e-8 * np.maximum(1.0, np.abs(y))
    if nonint.any() and not pseudo_likelihood:
        raise GlmmInputError(
            f"response {parsed.response!r} has {int(nonint.sum())} non-integer value(s): a "
            "Poisson count must be a whole number; pass pseudo_likelihood=True to fit "
            "amounts (money, FTEs) by Poisson pseudo-likelihood")
    if len(np.unique(y)) < 2:
        raise GlmmInputError("Response is constant")

    # ---- fixed effects
    try:
        dm = patsy.dmatrix(_py_formula(parsed.fixed), d, eval_env=_env(),
                           NA_action="raise", return_type="matrix")
    except Exception as exc:
        raise GlmmInputError(f"cannot build the fixed-effects design from "
                             f"{parsed.fixed!r}: {exc}") from exc
    info = dm.design_info
    order = _r_term_order(info, _py_formula(parsed.fixed))
    Xfull = np.asarray(dm, dtype=float)[:, order]
    names_full = [_r_name(info.column_names[i]) for i in order]
    bad = ~np.all(np.isfinite(Xfull), axis=0)
    if bad.any():
        raise GlmmInputError("non-finite values in fixed-effect column(s): "
                             + ", ".join(np.array(names_full)[bad]))
    if Xfull.shape[1] == 0:
        raise GlmmInputError("the fixed-effects design has no columns")
    kept = _qr_keep(Xfull)
    rank_mode = control.get("check_rank_x", "message+drop.cols")
    if len(kept) < Xfull.shape[1]:
        k = Xfull.shape[1] - len(kept)
        if rank_mode == "stop.deficient":
            raise GlmmInputError(
                f"the fixed-effects model matrix is column rank deficient (rank(X) = "
                f"{len(kept)} < {Xfull.shape[1]} = p);\nthe fixed effects will be jointly "
                "unidentifiable")
        msg = ("fixed-effect model matrix is rank deficient so dropping "
               + (f"{k} column / coefficient" if k == 1 else f"{k} columns / coefficients"))
        if rank_mode != "silent.drop.cols":
            messages.append(msg)
    X = Xfull[:, kept]
    xnames = tuple(names_full[i] for i in kept)
    fixed_order = order[kept]
    if control.get("check_scale_x", "warning") == "warning":
        cont = ~np.all(np.isin(X, (0.0, 1.0)), axis=0)
        if cont.any():
            sd = X[:, cont].std(axis=0, ddof=1)
            with np.errstate(divide="ignore"):
                lsd = np.log(sd)
            comp = np.abs(lsd[:, None] - lsd[None, :])[np.tril_indices(len(sd), -1)]
            if np.any(np.concatenate([comp, np.abs(lsd)]) > math.log(SCALE_X_TOL)):
                messages.append("Some predictor variables are on very different scales: "
                                "consider rescaling")

    # ---- offset(s): formula offsets plus the argument, summed as R does
    off = np.zeros(len(d))
    for expr in parsed.offsets:
        off = off + _eval_column(expr, d, "offset")
    if offset_k is not None:
        off = off + (_eval_column(offset_k, d, "offset") if isinstance(offset_k, str) else offset_k)
    if not np.all(np.isfinite(off)):
        rows = np.flatnonzero(~np.isfinite(off))
        raise GlmmInputError(
            f"offset has {len(rows)} non-finite value(s) (first at row(s) "
            f"{', '.join(map(str, rows[:5]))} of the complete cases): the offset is on the "
            "log scale, so a zero or negative exposure cannot be used")

    # ---- prior weights
    if weights_k is None:
        w = np.ones(len(d))
    else:
        w = _eval_column(weights_k, d, "weights") if isinstance(weights_k, str) else weights_k
        if not np.all(np.isfinite(w)):
            raise GlmmInputError("weights have non-finite values")
        if np.any(w < 0):
            raise GlmmInputError("negative weights not allowed")

    # ---- random-effects terms
    terms, bar_design = [], []
    for lhs, grp in parsed.bars:
        try:
            zm = patsy.dmatrix(_py_formula(lhs), d, eval_env=_env(), NA_action="raise")
        except Exception as exc:
            raise GlmmInputError(f"cannot build random effects ({lhs} | {grp}): {exc}") from exc
        zinfo = zm.design_info
        zorder = _r_term_order(zinfo, _py_formula(lhs))
        Z = np.asarray(zm, dtype=float)[:, zorder]
        if Z.shape[1] == 0:
            raise GlmmInputError(f"random-effects term ({lhs} | {grp}) has no columns")
        if not np.all(np.isfinite(Z)):
            raise GlmmInputError(f"non-finite values in random-effects term ({lhs} | {grp})")
        codes, levels = _factor(d, grp)
        cn = tuple(_r_name(zinfo.column_names[i]) for i in zorder)
        terms.append(ReTerm(group=grp, cnms=cn, codes=codes, levels=levels, Z=Z))
        bar_design.append((zinfo, zorder, grp))
    nl = [t.nlev for t in terms]
    order_bars = list(range(len(terms)))
    if any(b > a for a, b in zip(nl, nl[1:], strict=False)):
        order_bars = list(reversed(np.argsort(nl, kind="stable").tolist()))
        terms = [terms[i] for i in order_bars]
        bar_design = [bar_design[i] for i in order_bars]
    n = len(d)
    if any(t.nlev < 2 for t in terms):
        raise GlmmInputError("grouping factors must have > 1 sampled level")
    badf = [t.group for t in terms if t.nlev > n]
    if badf:
        raise GlmmInputError("number of levels of each grouping factor must be <= number of "
                             f"observations (problems: {', '.join(badf)})")
    for t, (lhs, _) in zip(terms, [parsed.bars[i] for i in order_bars], strict=True):
        nre = t.nlev * t.q
        if n < nre:
            label = re.sub(r"\s*([+\-])\s*", r" \1 ", lhs).strip()
            raise GlmmInputError(
                f"number of observations (={n}) < number of random effects (={nre}) for "
                f"term ({label} | {t.group}); the random-effects parameters are "
                "probably unidentifiable")
    prob = GlmmProblem(y=y, X=X, offset=off, weights=w, terms=tuple(terms), xnames=xnames)
    return _Model(problem=prob, design_info=info, fixed_order=fixed_order, parsed=parsed,
                  offset_arg=offset if isinstance(offset, str) else
                  (None if offset is None else "array"),
                  n_dropped=n_dropped, messages=tuple(messages),
                  bar_design=tuple(bar_design), group_names=tuple(t.group for t in terms))


# ============================================================================ result


def _theta_names(terms: Sequence[ReTerm]) -> list[str]:
    out = []
    for k, r, c in theta_layout(tuple(terms)):
        t = terms[k]
        if r == c:
            out.append(f"{t.group}.{t.cnms[r]}")
        else:
            out.append(f"{t.group}.{t.cnms[r]}.{t.cnms[c]}")
    return out


def _unique_names(names: Sequence[str]) -> list[str]:
    """R's ``make.unique``: repeated names get ``.1``, ``.2``, …"""
    seen: dict[str, int] = {}
    out = []
    for nm in names:
        if nm in seen:
            seen[nm] += 1
            out.append(f"{nm}.{seen[nm]}")
        else:
            seen[nm] = 0
            out.append(nm)
    return out


def _check_conv(fit: GlmmFit, ctrl: dict) -> tuple[list[str], bool]:
    """lme4's ``checkConv`` on our gradient and Hessian: (messages, converged)."""
    msgs: list[str] = []
    nt = len(fit.theta)
    lower = fit.lower
    sing_tol = ctrl.get("check_singular_tol", CHECK_SINGULAR_TOL)
    if np.any(fit.theta[lower == 0] < sing_tol):
        msgs.append("boundary (singular) fit: see help('isSingular')")
        return msgs, fit.optimizer_ok
    H, g = fit.hessian, fit.gradient
    if H is None:
        return msgs, fit.optimizer_ok
    ok = fit.optimizer_ok
    tol = ctrl.get("check_conv_grad_tol", CHECK_CONV_GRAD_TOL)
    try:
        L = np.linalg.cholesky(H)
        scgrad = np.linalg.solve(L.T, g)
    except np.linalg.LinAlgError:
        scgrad = None
    if scgrad is None or not np.all(np.isfinite(scgrad)):
        msgs.append("unable to evaluate scaled gradient")
        ok = False
    else:
        mm = float(np.max(np.minimum(np.abs(scgrad), np.abs(g))))
        if mm > tol:
            msgs.append(f"Model failed to converge with max|grad| = {mm:g} (tol = {tol:g}, "
                        "component 1)")
            ok = False
    htol = ctrl.get("check_hess_tol", CHECK_HESS_TOL)
    for Hm, kind in ((H[nt:, nt:], "fixed-effect"), (H, "")):
        m, bad = _check_hess(Hm, htol, kind)
        if m:
            msgs.append(";".join(m))  # lme4 warns once per check, messages joined by ";"
        ok = ok and not bad
    return msgs, ok


def _check_hess(H: np.ndarray, tol: float, kind: str) -> tuple[list[str], bool]:
    """lme4's ``checkHess`` messages (and whether they mean non-convergence)."""
    try:
        ev = np.linalg.eigvalsh(H)[::-1]
    except np.linalg.LinAlgError:
        return ["Problem with Hessian check (infinite or missing values?)"], True
    neg = int(np.sum(ev < -tol))
    if neg:
        return [f"Model failed to converge: degenerate {kind} Hessian with {neg} negative "
                "eigenvalues"], True
    try:
        np.linalg.cholesky(H)
        chol_ok = True
    except np.linalg.LinAlgError:
        chol_ok = False
    if np.any(np.abs(ev) < tol) or not chol_ok:
        return [f"{kind} Hessian is numerically singular: parameters are not uniquely "
                "determined"], True
    out = []
    if ev.max() * tol > 1:
        out.append("Model is nearly unidentifiable: very large eigenvalue\n - Rescale variables?")
    if ev.min() / ev.max() < tol:
        out.append("Model is nearly unidentifiable: large eigenvalue ratio\n - Rescale variables?")
    return out, False


class GlmerResult(TidyResult):
    """A fitted Poisson GLMM (what ``glmer`` returns), with lme4's accessors.

    Attributes: ``fixef`` (Series), ``vcov`` (DataFrame), ``theta`` (Series, lme4's
    ``getME(fit, "theta")`` names), ``loglik``, ``aic``, ``bic``, ``deviance``, ``nobs``,
    ``ngroups`` (dict, R's ``ngrps``), ``nagq``, ``converged``, ``warnings`` (list of
    lme4's warning and message texts), ``fitted_values`` (conditional means), ``formula``.
    """

    def __init__(self, model: _Model, fit: GlmmFit, vcov: np.ndarray, msgs: list[str],
                 converged: bool, pseudo_likelihood: bool):
        prob = model.problem
        self._model = model
        self._fit = fit
        self.formula = model.parsed
        self.nagq = fit.nagq
        self.pseudo_likelihood = pseudo_likelihood
        self.fixef = pd.Series(fit.beta, index=list(prob.xnames), name="fixef")
        self.vcov = pd.DataFrame(vcov, index=list(prob.xnames), columns=list(prob.xnames))
        self.theta = pd.Series(fit.theta, index=_theta_names(prob.terms), name="theta")
        npar = prob.p + prob.ntheta
        dev = fit.state.dev
        self.loglik = -0.5 * dev
        self.aic = dev + 2.0 * npar
        self.bic = dev + math.log(prob.n) * npar
        self.deviance = float(np.sum(poisson_dev_resid(prob.y, fit.state.mu, prob.weights)))
        self.nobs = prob.n
        self.npar = npar
        self.df_residual = prob.n - npar
        self.ngroups = {}
        for t in prob.terms:
            self.ngroups.setdefault(t.group, t.nlev)
        self.converged = bool(converged)
        self.warnings = list(msgs)
        self.n_dropped = model.n_dropped
        self.fitted_values = fit.state.mu.copy()
        self.linear_predictor = fit.state.eta.copy()
        self.gradient = fit.gradient
        self.hessian = fit.hessian
        self.optimizer_message = fit.optimizer_message

    # ----------------------------------------------------------------- lme4 accessors
    def ranef(self) -> dict[str, pd.DataFrame]:
        """Conditional modes per grouping factor (rows: levels, columns: effects), as
        ``ranef(fit)``; terms sharing a factor are side by side."""
        prob = self._model.problem
        out: dict[str, pd.DataFrame] = {}
        for t, b in zip(prob.terms, self._fit.state.b, strict=True):
            df = pd.DataFrame(b, index=pd.Index(list(t.levels), name=t.group),
                              columns=list(t.cnms))
            out[t.group] = df if t.group not in out else pd.concat([out[t.group], df], axis=1)
        return out

    def var_corr(self) -> pd.DataFrame:
        """``as.data.frame(VarCorr(fit))``: grp, var1, var2 (None for variances), vcov, sdcor."""
        prob = self._model.problem
        rows = []
        grp_names = _unique_names([t.group for t in prob.terms])
        blocks = lambda_blocks(prob.terms, self._fit.theta)
        for t, gname, Lam in zip(prob.terms, grp_names, blocks, strict=True):
            S = Lam @ Lam.T
            sd = np.sqrt(np.diag(S))
            for i in range(t.q):
                rows.append((gname, t.cnms[i], None, S[i, i], sd[i]))
            for c in range(t.q):
                for r in range(c + 1, t.q):
                    cor = S[r, c] / (sd[r] * sd[c]) if sd[r] * sd[c] > 0 else np.nan
                    rows.append((gname, t.cnms[c], t.cnms[r], S[r, c], cor))
        out = pd.DataFrame(rows, columns=["grp", "var1", "var2", "vcov", "sdcor"])
        out["var2"] = pd.Series([r[2] for r in rows], dtype=object)
        return out

    def std_errors(self) -> pd.Series:
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.fixef.index)

    # ----------------------------------------------------------------- likelihood at params
    def deviance_at(self, theta=None, fixef=None, nagq: int | None = None) -> float:
        """lme4's stage-2 deviance function (``-2 logLik`` on lme4's constant for ``nagq``)
        at the given parameters (default: the estimates)."""
        prob = self._model.problem
        th = self._fit.theta if theta is None else np.asarray(theta, float).ravel()
        be = self._fit.beta if fixef is None else np.asarray(fixef, float).ravel()
        if th.shape != (prob.ntheta,) or be.shape != (prob.p,):
            raise GlmmInputError(f"need {prob.ntheta} theta and {prob.p} fixef values")
        ev = make_evaluator(prob, self.nagq if nagq is None else int(nagq))
        return ev(th, be, grad=False).dev

    def loglik_at(self, theta=None, fixef=None, nagq: int | None = None) -> float:
        """The log-likelihood at given parameters, on lme4's constant (see ``deviance_at``)."""
        return -0.5 * self.deviance_at(theta, fixef, nagq)

    # ----------------------------------------------------------------- prediction
    def predict(self, newdata: pd.DataFrame | None = None, re_form=None, type: str = "link",
                offset=None, allow_new_levels: bool = False) -> np.ndarray:
        """``predict.merMod``: ``re_form=None`` conditional on the random effects,
        ``re_form=NA`` fixed effects and offset only; ``type`` "link" or "response".
        With ``newdata``, an offset given to the fit as an array must be given again here;
        unseen levels are an error unless ``allow_new_levels`` (their effects are then 0)."""
        if type not in ("link", "response"):
            raise GlmmInputError(f"type must be 'link' or 'response', got {type!r}")
        population = _is_na(re_form)
        if not population and re_form is not None:
            raise GlmmInputError("re_form must be None (all random effects) or NA (none)")
        prob = self._model.problem
        if newdata is None:
            eta = self._fit.state.eta.copy()
            if population:
                eta = prob.X @ self._fit.beta + prob.offset
        else:
            eta = self._predict_new(newdata, population, offset, allow_new_levels)
        return np.exp(eta) if type == "response" else eta

    def _predict_new(self, newdata, population, offset, allow_new_levels):
        m, prob = self._model, self._model.problem
        if not isinstance(newdata, pd.DataFrame):
            raise GlmmInputError("newdata must be a pandas DataFrame")
        nd = newdata.reset_index(drop=True)
        try:
            (dm,) = patsy.build_design_matrices([m.design_info], nd, NA_action="raise")
        except Exception as exc:
            raise GlmmInputError(f"cannot build the fixed effects for newdata: {exc}") from exc
        X = np.asarray(dm, dtype=float)[:, m.fixed_order]
        eta = X @ self._fit.beta
        for expr in m.parsed.offsets:
            eta = eta + _eval_column(expr, nd, "offset")
        if offset is not None:
            eta = eta + (_eval_column(offset, nd, "offset") if isinstance(offset, str)
                         else np.asarray(offset, float))
        elif isinstance(m.offset_arg, str) and m.offset_arg != "array":
            eta = eta + _eval_column(m.offset_arg, nd, "offset")
        elif m.offset_arg == "array":
            raise GlmmInputError("the model was fitted with an offset array: give offset= "
                                 "for newdata")
        if population:
            return eta
        for t, b, (zinfo, zorder, grp) in zip(prob.terms, self._fit.state.b, m.bar_design,
                                              strict=True):
            (zm,) = patsy.build_design_matrices([zinfo], nd, NA_action="raise")
            Z = np.asarray(zm, dtype=float)[:, zorder]
            keys = _level_keys(nd, grp)
            lookup = {str(lv): i for i, lv in enumerate(t.levels)}
            idx = np.array([lookup.get(k, -1) for k in keys])
            if np.any(idx < 0):
                new = sorted({k for k, i in zip(keys, idx, strict=True) if i < 0})
                if not allow_new_levels:
                    raise GlmmInputError(f"new levels detected in newdata: {', '.join(new[:10])}"
                                         f" (grouping factor {grp})")
            bb = np.where((idx >= 0)[:, None], b[np.maximum(idx, 0)], 0.0)
            eta = eta + np.sum(Z * bb, axis=1)
        return eta

    # ----------------------------------------------------------------- broom
    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """broom.mixed's tidy: fixed effects (Wald z, p, CI) then ``ran_pars`` (SDs and
        correlations, named ``sd__x`` and ``cor__x.y``)."""
        se = self.std_errors()
        zq = stats.norm.ppf(0.5 + conf_level / 2.0)
        rows = []
        for term, est in self.fixef.items():
            s = se[term]
            z = est / s
            rows.append(dict(term=term, estimate=est, std_error=s, statistic=z,
                             p_value=2.0 * stats.norm.sf(abs(z)), conf_low=est - zq * s,
                             conf_high=est + zq * s, effect="fixed", group=None))
        for _, r in self.var_corr().iterrows():
            term = (f"sd__{r['var1']}" if r["var2"] is None or pd.isna(r["var2"])
                    else f"cor__{r['var1']}.{r['var2']}")
            rows.append(dict(term=term, estimate=r["sdcor"], effect="ran_pars", group=r["grp"]))
        return make_tidy(rows, extra=("effect", "group"))

    def glance(self) -> pd.DataFrame:
        ng = list(self.ngroups.values())
        extra = {}
        if len(ng) > 1:
            extra = {f"ngroups_{k}": v for k, v in self.ngroups.items()}
        return make_glance(nobs=self.nobs, sigma=1.0, loglik=self.loglik, aic=self.aic,
                           bic=self.bic, deviance=self.deviance, df_residual=self.df_residual,
                           ngroups=ng[0] if len(ng) == 1 else int(sum(ng)), nagq=self.nagq,
                           converged=self.converged, **extra)

    def __repr__(self) -> str:
        method = ("Laplace" if self.nagq == 1 else f"adaptive Gauss-Hermite, nAGQ = {self.nagq}")
        return (f"<GlmerResult poisson {method}: {self.nobs} obs, groups "
                f"{self.ngroups}, logLik {self.loglik:.4f}, converged={self.converged}>")


def _is_na(v) -> bool:
    if v is None:
        return False
    if isinstance(v, str):
        return v.strip() in ("NA", "~0", "~ 0")
    if v is False:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _level_keys(d: pd.DataFrame, grp: str) -> list[str]:
    names = [v.strip() for v in grp.split(":")]
    for v in names:
        if v not in d.columns:
            raise GlmmInputError(f"grouping factor {v!r} is not a column of newdata")
    cols = [d[v].astype(object).map(str).tolist() for v in names]
    return [":".join(parts) for parts in zip(*cols, strict=True)]


# ============================================================================ entry point


def glmer_poisson(formula: str, data, offset=None, nagq: int = 1, weights=None, start=None,
                  control: dict | None = None, *, pseudo_likelihood: bool = False,
                  na_action: str = "omit") -> GlmerResult:
    """Fit ``lme4::glmer(formula, data, family = poisson, nAGQ = nagq, offset, weights)``.

    ``offset``: array (one per row of ``data``) or column name, on the log scale (as R's
    ``offset``; added to any ``offset()`` in the formula). ``weights``: prior weights.
    ``start``: theta values, or a dict with ``theta`` and/or ``fixef`` (lme4's ``start``).
    ``control``: dict with keys ``maxiter``, ``calc_derivs``, ``check_conv_grad_tol``,
    ``check_singular_tol``, ``check_hess_tol``, ``check_rank_x`` (lme4's ``check.rankX``
    values), ``check_scale_x`` ("warning" or "ignore"), ``evaluator`` (testing).
    ``pseudo_likelihood``: allow a non-integer response (Poisson pseudo-likelihood for
    amounts); its logLik uses ``lgamma(y + 1)``, where R's ``dpois`` would give -Inf.
    ``na_action``: "omit" (R's default: drop incomplete rows, with a warning giving the
    count) or "fail".
    """
    ctrl = dict(control or {})
    unknown = set(ctrl) - _CONTROL_KEYS
    if unknown:
        raise GlmmInputError(f"unknown control option(s): {', '.join(sorted(unknown))}")
    if na_action not in ("omit", "fail"):
        raise GlmmInputError(f"na_action must be 'omit' or 'fail', got {na_action!r}")
    if isinstance(nagq, bool) or not isinstance(nagq, (int, np.integer)):
        raise GlmmInputError(f"nagq must be an integer, got {nagq!r}")
    nagq = int(nagq)
    if nagq == 0:
        raise GlmmInputError("nagq = 0 (beta profiled by PIRLS) is not implemented; use 1 "
                             "(Laplace) or more")
    if not 1 <= nagq <= MAX_NAGQ:
        raise GlmmInputError(f"nagq must be in 1..{MAX_NAGQ}, got {nagq}")
    model = _build_model(formula, data, offset, weights, pseudo_likelihood, na_action, ctrl)
    prob = model.problem
    if nagq > 1 and not (len(prob.terms) == 1 and prob.terms[0].q == 1):
        raise GlmmInputError("nAGQ > 1 is only available for models with a single, scalar "
                             "random-effects term")
    st_theta, st_beta = _parse_start(start, prob)
    calc = bool(ctrl.get("calc_derivs", True))
    with _single_thread_blas():
        fit = fit_glmm(prob, nagq=nagq, start_theta=st_theta, start_beta=st_beta,
                       maxiter=int(ctrl.get("maxiter", 2000)), kind=ctrl.get("evaluator"),
                       calc_hessian=True)
    msgs = list(model.messages)
    if calc:
        conv_msgs, converged = _check_conv(fit, ctrl)
    else:
        conv_msgs, converged = [], fit.optimizer_ok
    if not fit.optimizer_ok and not any("failed to converge" in m for m in conv_msgs):
        conv_msgs.append(f"optimizer (L-BFGS-B) did not converge: {fit.optimizer_message}")
        converged = False
    msgs.extend(conv_msgs)
    V = vcov_from_hessian(fit.hessian, prob.ntheta) if fit.hessian is not None else None
    if V is None:
        msgs.append("variance-covariance matrix computed from finite-difference Hessian is\n"
                    "not positive definite or contains NA values: falling back to var-cov "
                    "estimated from RX")
        V = np.linalg.inv(rx_matrix(prob, fit.theta, fit.state))
    msgs = list(dict.fromkeys(msgs))  # lme4 repeats a Hessian message for the beta block
    for msg in msgs:
        warnings.warn(msg, GlmerWarning, stacklevel=2)
    return GlmerResult(model, fit, V, msgs, converged, pseudo_likelihood)


_BLAS_CONTROLLER: list = []


def _single_thread_blas():
    """Single-threaded BLAS for the fit: its matrices are small, where threads only cost."""
    if not _BLAS_CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController  # noqa: PLC0415

            _BLAS_CONTROLLER.append(ThreadpoolController())
        except Exception:  # threadpoolctl absent or unable to inspect the libraries
            _BLAS_CONTROLLER.append(None)
    ctl = _BLAS_CONTROLLER[0]
    return ctl.limit(limits=1, user_api="blas") if ctl is not None else contextlib.nullcontext()


def _parse_start(start, prob: GlmmProblem):
    if start is None:
        return None, None
    if isinstance(start, Mapping):
        bad = set(start) - {"theta", "fixef"}
        if bad:
            raise GlmmInputError(f"bad name(s) for start ({', '.join(sorted(bad))}); should be "
                                 "'theta' and/or 'fixef'")
        th, fe = start.get("theta"), start.get("fixef")
    else:
        th, fe = start, None
    if th is not None:
        th = np.asarray(th, float).ravel()
        if th.shape != (prob.ntheta,):
            raise GlmmInputError(f"incorrect number of theta components (!={prob.ntheta})")
        lower = theta_lower(prob.terms)
        if np.any(th < lower):
            raise GlmmInputError("start theta below lme4's lower bounds (diagonal must be >= 0)")
    if fe is not None:
        if isinstance(fe, pd.Series):
            missing = [n for n in prob.xnames if n not in fe.index]
            if missing:
                raise GlmmInputError(f"start fixef lacks {', '.join(missing)}")
            fe = fe[list(prob.xnames)].to_numpy(float)
        fe = np.asarray(fe, float).ravel()
        if fe.shape != (prob.p,):
            raise GlmmInputError(f"incorrect number of fixef components (!={prob.p})")
    return th, fe

