"""Group comparisons as R's ``stats`` reports them.

* :func:`t_test` matches ``t.test`` (one-sample, paired, Welch and pooled two-sample):
  written here after ``stats:::t.test.default`` (scipy's ``ttest_ind`` returns NaN for a
  pooled test with a single value in one group, where R does not), with scipy's t
  distribution.
* :func:`aov` matches ``summary(aov(values ~ groups))`` for one factor (written here; the F
  distribution is scipy's).
* :func:`tukey_hsd` matches ``TukeyHSD(aov(...))`` including unequal group sizes
  (Tukey-Kramer). Its studentized range distribution is :func:`ptukey`, written here after
  R's algorithm (Copenhaver and Holland 1988: fixed Gauss-Legendre rules, vectorised), so
  adjusted p-values are R's to rounding at every df. That includes R's error, deliberately:
  the rule is good to about 1e-9 absolute from 8 residual df up but coarser below (2e-6 at
  df = 4, 1.6e-4 at df = 2, against the exact two-group identity with ``pt``). The interval
  limits use the exact quantile of that ptukey (solved to 1e-14); R's ``qtukey`` (also
  here, as :func:`qtukey`) stops its secant search early, up to about 1e-7 relative.
* :func:`pairwise_t_test` matches ``pairwise.t.test`` (pooled or not), written here.
* :func:`p_adjust` matches ``p.adjust``: statsmodels' ``multipletests`` for every method but
  Holm (one line here: statsmodels' Holm branch runs a garbage collection on every call),
  with R's handling of NA and of ``n <= 1``.

Missing values are dropped as R drops them (``na.omit`` in ``aov``, ``!is.na`` in
``t.test``); the number dropped is kept on the result (``n_missing``) and shown by
``glance()``.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special
from statsmodels.stats.multitest import multipletests

from models._result import TidyResult, make_glance, make_tidy

__all__ = [
    "P_ADJUST_METHODS",
    "AovResult",
    "PairwiseTTestResult",
    "TTestResult",
    "TukeyHSDResult",
    "aov",
    "p_adjust",
    "pairwise_t_test",
    "ptukey",
    "qtukey",
    "t_test",
    "tukey_hsd",
]

P_ADJUST_METHODS: tuple[str, ...] = ("holm", "hochberg", "hommel", "bonferroni", "BH", "BY", "fdr", "none")
"""R's ``p.adjust.methods``; ``"fdr"`` is R's alias of ``"BH"``."""

_ALTERNATIVES = ("two.sided", "less", "greater")

#: statsmodels' name of each R method (hommel with n == 2 is hochberg in R, as in statsmodels).
_SM_METHOD = {
    "bonferroni": "bonferroni",
    "holm": "holm",
    "hochberg": "simes-hochberg",
    "hommel": "hommel",
    "BH": "fdr_bh",
    "BY": "fdr_by",
}

_EPS = np.finfo(float).eps


# --------------------------------------------------------------------------- helpers


def _check_alternative(alternative: str) -> str:
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {_ALTERNATIVES}, got {alternative!r}")
    return alternative


def _check_conf_level(conf_level: float) -> float:
    if not (np.isfinite(conf_level) and 0 < conf_level < 1):
        raise ValueError(f"conf_level must be a single number between 0 and 1, got {conf_level!r}")
    return float(conf_level)


def _as_numeric(x: Any, name: str) -> np.ndarray:
    """A 1-D float array; text that is not a number is an error (R would refuse it too)."""
    try:
        arr = np.asarray(x, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric ({exc})") from None
    if np.isinf(arr).any():
        raise ValueError(f"{name} holds infinite values")
    return arr


@dataclass(frozen=True, eq=False)
class _Grouped:
    values: np.ndarray      # complete cases
    codes: np.ndarray       # 0-based level index per value
    levels: tuple[str, ...]  # levels with at least one value, in R's factor order
    n_missing: int          # cases dropped for NA in values or groups
    term: str               # the factor's name


def _group_levels(groups: Any) -> tuple[np.ndarray, list[Any], np.ndarray]:
    """(codes with -1 for missing, level labels, missing mask) in R's ``factor()`` order."""
    if isinstance(groups, pd.Series):
        groups = groups.array if isinstance(groups.dtype, pd.CategoricalDtype) else groups.to_numpy()
    if isinstance(groups, pd.Categorical):
        cat = pd.Categorical(groups)
        codes = np.asarray(cat.codes, dtype=np.int64)
        return codes, list(cat.categories), codes < 0
    fast = None
    if isinstance(groups, np.ndarray) and groups.dtype.kind in "Ubiu":
        fast = groups.ravel()
    elif isinstance(groups, list | tuple) and all(type(v) is str for v in groups):
        fast = np.asarray(groups, dtype=str)
    if fast is not None:
        # text, logical or integer labels: none missing; levels sorted as sorted() sorts them
        levels, codes = np.unique(fast, return_inverse=True)
        return (codes.astype(np.int64).ravel(), levels.tolist(),
                np.zeros(len(fast), dtype=bool))
    arr = np.asarray(groups, dtype=object).ravel()
    missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA
                        for v in arr], dtype=bool)
    present = arr[~missing]
    try:
        levels = sorted(set(present.tolist()))
    except TypeError as exc:
        raise ValueError(f"groups mixes values that cannot be ordered ({exc}): "
                         "pass a pandas Categorical to fix the level order") from None
    cat = pd.Categorical(np.where(missing, None, arr), categories=levels)
    codes = np.asarray(cat.codes, dtype=np.int64)
    return codes, list(cat.categories), codes < 0


def _group(values: Any, groups: Any, term: str | None) -> _Grouped:
    x = _as_numeric(values, "values")
    codes, labels, gmiss = _group_levels(groups)
    if len(codes) != len(x):
        raise ValueError(f"values has {len(x)} elements but groups has {len(codes)}")
    if term is None:
        term = str(groups.name) if isinstance(groups, pd.Series) and groups.name is not None else "group"
    ok = ~np.isnan(x) & ~gmiss
    x, codes = x[ok], codes[ok]
    used = np.unique(codes)
    remap = np.full(len(labels), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    levels = tuple(_label(labels[i]) for i in used)
    return _Grouped(values=x, codes=remap[codes], levels=levels, n_missing=int((~ok).sum()), term=term)


def _label(v: Any) -> str:
    """A level as R prints it (TRUE/FALSE for logicals, integers without .0)."""
    if isinstance(v, bool | np.bool_):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _group_stats(g: _Grouped) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-level n, mean and sample variance (NaN where n < 2), as numpy's mean and var."""
    k = len(g.levels)
    n = np.bincount(g.codes, minlength=k).astype(np.float64)
    means = np.empty(k)
    var = np.full(k, np.nan)
    for i in range(k):
        v = g.values[g.codes == i]
        means[i] = v.sum() / n[i]
        if n[i] > 1:
            d = v - means[i]
            var[i] = (d * d).sum() / (n[i] - 1)
    return n, means, var


def _mean_var(x: np.ndarray) -> tuple[float, float]:
    """np.mean(x) and np.var(x, ddof=1) (0 for one value), by the same arithmetic, faster."""
    n = len(x)
    m = x.sum() / n
    if n < 2:
        return float(m), 0.0
    d = x - m
    return float(m), float((d * d).sum() / (n - 1))


# --------------------------------------------------------------------------- t.test


@dataclass(frozen=True, eq=False)
class TTestResult(TidyResult):
    """R's ``htest`` from ``t.test``: the same components, snake_case."""

    statistic: float
    parameter: float                 # degrees of freedom
    p_value: float
    conf_int: tuple[float, float]
    estimate: tuple[float, ...]      # (mean of x, mean of y), or the one mean
    estimate_names: tuple[str, ...]  # R's names of the estimates
    null_value: float
    stderr: float
    alternative: str
    method: str                      # R's string, e.g. "Welch Two Sample t-test"
    conf_level: float
    nobs: tuple[int, ...]            # cases used in x (and y)
    n_missing: tuple[int, ...]       # NA dropped from x (and y)

    @property
    def df(self) -> float:
        return self.parameter

    def tidy(self) -> pd.DataFrame:
        """One row: the difference in means (two-sample), the mean difference (paired) or the mean."""
        if len(self.estimate) == 2:
            term, est = "difference in means", self.estimate[0] - self.estimate[1]
            extra = {"estimate1": self.estimate[0], "estimate2": self.estimate[1]}
        else:
            term, est = self.estimate_names[0], self.estimate[0]
            extra = {}
        row = {"term": term, "estimate": est, "std_error": self.stderr, "statistic": self.statistic,
               "p_value": self.p_value, "conf_low": self.conf_int[0], "conf_high": self.conf_int[1],
               **extra, "df": self.parameter, "method": self.method, "alternative": self.alternative}
        return make_tidy([row])

    def glance(self) -> pd.DataFrame:
        return make_glance(nobs=int(sum(self.nobs)), statistic=self.statistic, df=self.parameter,
                           p_value=self.p_value, method=self.method, alternative=self.alternative,
                           n_missing=int(sum(self.n_missing)))


def t_test(x: Any, y: Any = None, var_equal: bool = False, alternative: str = "two.sided",
           conf_level: float = 0.95, mu: float = 0.0, paired: bool = False) -> TTestResult:
    """R's ``t.test(x, y, var.equal=, alternative=, conf.level=, mu=, paired=)``.

    Two-sample Welch (default) or pooled (``var_equal=True``); one-sample when ``y`` is None;
    paired on complete pairs. NA are dropped as R drops them; the counts are in
    ``n_missing``. Raises R's errors: "not enough 'x' observations", "data are essentially
    constant".
    """
    alternative = _check_alternative(alternative)
    conf_level = _check_conf_level(conf_level)
    if not np.isfinite(mu):
        raise ValueError("'mu' must be a single number")
    xa = _as_numeric(x, "x")
    if y is None:
        if paired:
            raise ValueError("'y' is missing for paired test")
        ya = None
    else:
        ya = _as_numeric(y, "y")
    if paired:
        if len(xa) != len(ya):
            raise ValueError(f"paired test: x has {len(xa)} values but y has {len(ya)}")
        ok = ~np.isnan(xa) & ~np.isnan(ya)
        miss = (int((~ok).sum()),)
        xa, ya = xa[ok] - ya[ok], None
    else:
        nx_na = np.isnan(xa)
        miss_x = int(nx_na.sum())
        xa = xa[~nx_na] if miss_x else xa
        if ya is not None:
            ny_na = np.isnan(ya)
            miss_y = int(ny_na.sum())
            ya = ya[~ny_na] if miss_y else ya
            miss = (miss_x, miss_y)
        else:
            miss = (miss_x,)

    nx = len(xa)
    if ya is None:
        if nx < 2:
            raise ValueError("not enough 'x' observations")
        mx, vx = _mean_var(xa)
        stderr = float(np.sqrt(vx / nx))
        if stderr < 10 * _EPS * abs(mx) or stderr == 0:
            raise ValueError("data are essentially constant")
        tstat = (mx - mu) / stderr
        df = float(nx - 1)
        method = "Paired t-test" if paired else "One Sample t-test"
        estimate, names, nobs = (mx,), ("mean difference" if paired else "mean of x",), (nx,)
    else:
        ny = len(ya)
        if nx < 1 or (not var_equal and nx < 2):
            raise ValueError("not enough 'x' observations")
        if ny < 1 or (not var_equal and ny < 2):
            raise ValueError("not enough 'y' observations")
        if var_equal and nx + ny < 3:
            raise ValueError("not enough observations")
        mx, vx = _mean_var(xa)
        my, vy = _mean_var(ya)
        if var_equal:
            df = float(nx + ny - 2)
            stderr = float(np.sqrt(((nx - 1) * vx + (ny - 1) * vy) / df * (1 / nx + 1 / ny)))
        else:
            sx2, sy2 = vx / nx, vy / ny
            stderr = float(np.sqrt(sx2 + sy2))
        if stderr < 10 * _EPS * max(abs(mx), abs(my)) or stderr == 0:
            raise ValueError("data are essentially constant")
        if not var_equal:
            df = float(stderr**4 / (sx2**2 / (nx - 1) + sy2**2 / (ny - 1)))
        tstat = (mx - my - mu) / stderr
        method = ("Welch" if not var_equal else "") + " Two Sample t-test"
        estimate, names, nobs = (mx, my), ("mean of x", "mean of y"), (nx, ny)
    # scipy's t distribution: stats.t.cdf(x, df) is special.stdtr(df, x), called directly
    if alternative == "less":
        pval = float(special.stdtr(df, tstat))
        cint = (-np.inf, tstat + float(special.stdtrit(df, conf_level)))
    elif alternative == "greater":
        pval = float(special.stdtr(df, -tstat))
        cint = (tstat - float(special.stdtrit(df, conf_level)), np.inf)
    else:
        pval = float(2 * special.stdtr(df, -abs(tstat)))
        half = float(special.stdtrit(df, 1 - (1 - conf_level) / 2))
        cint = (tstat - half, tstat + half)
    return TTestResult(statistic=float(tstat), parameter=df, p_value=pval,
                       conf_int=(mu + cint[0] * stderr, mu + cint[1] * stderr), estimate=estimate,
                       estimate_names=names, null_value=float(mu), stderr=stderr,
                       alternative=alternative, method=method, conf_level=conf_level, nobs=nobs,
                       n_missing=miss)


# --------------------------------------------------------------------------- aov


@dataclass(frozen=True, eq=False)
class AovResult(TidyResult):
    """``summary(aov(values ~ groups))`` for one factor: the ANOVA table."""

    table: pd.DataFrame        # index [term, "Residuals"]; df, sum_sq, mean_sq, statistic, p_value
    term: str
    levels: tuple[str, ...]
    group_n: tuple[int, ...]
    group_means: tuple[float, ...]
    n_missing: int

    @property
    def statistic(self) -> float:
        return float(self.table["statistic"].iloc[0])

    @property
    def p_value(self) -> float:
        return float(self.table["p_value"].iloc[0])

    def tidy(self) -> pd.DataFrame:
        """broom's ``tidy(aov)``: one row per term and Residuals, with df, sum_sq, mean_sq."""
        t = self.table
        rows = pd.DataFrame({"term": list(t.index), "statistic": t["statistic"].to_numpy(),
                             "p_value": t["p_value"].to_numpy(), "df": t["df"].to_numpy(),
                             "sum_sq": t["sum_sq"].to_numpy(), "mean_sq": t["mean_sq"].to_numpy()})
        return make_tidy(rows, extra=("df", "sum_sq", "mean_sq"))

    def glance(self) -> pd.DataFrame:
        t = self.table
        return make_glance(nobs=int(sum(self.group_n)), statistic=self.statistic, p_value=self.p_value,
                           df=float(t["df"].iloc[0]), df_residual=float(t["df"].iloc[1]),
                           n_missing=self.n_missing)


def _aov_parts(g: _Grouped) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    n, means, _ = _group_stats(g)
    k, ntot = len(g.levels), len(g.values)
    if k < 2:
        raise ValueError(f"need at least 2 groups with values; {g.term} has {k}")
    df_res = float(ntot - k)
    if df_res < 1:
        raise ValueError(f"no residual degrees of freedom: {ntot} values in {k} groups")
    resid = g.values - means[g.codes]
    ss_res = float(np.sum(resid**2))
    return n, means, df_res, ss_res, ss_res / df_res


def aov(values: Any, groups: Any, term: str | None = None) -> AovResult:
    """One-way ANOVA as ``summary(aov(values ~ groups))`` (written here).

    ``term`` names the factor row (default: the Series name of ``groups``, else "group").
    Levels without values are dropped, as R's ``lm`` does; NA are dropped (``na.omit``).
    """
    g = _group(values, groups, term)
    n, means, df_res, ss_res, ms_res = _aov_parts(g)
    grand = float(g.values.sum() / len(g.values))  # np.mean's arithmetic
    df_g = float(len(g.levels) - 1)
    ss_g = float(np.sum(n * (means - grand) ** 2))
    ms_g = ss_g / df_g
    f = ms_g / ms_res if ms_res > 0 else np.nan
    # scipy's F distribution: stats.f.sf(f, d1, d2) is special.fdtrc(d1, d2, f), called directly
    p = float(special.fdtrc(df_g, df_res, f)) if np.isfinite(f) else np.nan
    table = pd.DataFrame(np.array([[df_g, ss_g, ms_g, f, p], [df_res, ss_res, ms_res, np.nan, np.nan]]),
                         index=[g.term, "Residuals"],
                         columns=["df", "sum_sq", "mean_sq", "statistic", "p_value"])
    return AovResult(table=table, term=g.term, levels=g.levels, group_n=tuple(int(v) for v in n),
                     group_means=tuple(float(v) for v in means), n_missing=g.n_missing)


# --------------------------------------------------------------------------- studentized range

# Gauss-Legendre rules of R's ptukey (Copenhaver and Holland 1988): 16 points over the
# distribution of s, 12 over the range of normal means. Nodes ascending on [-1, 1].
_GL16_X, _GL16_W = np.polynomial.legendre.leggauss(16)
_GL12_X, _GL12_W = np.polynomial.legendre.leggauss(12)
# R visits the 16 nodes of an interval as twa1 - x (x descending from the outermost node),
# then twa1 + x (likewise): the same order here, so the sums add up in R's order.
_OUTER = np.concatenate([_GL16_X[:8], -_GL16_X[:8]])  # offsets in units of ulen: -0.989.. then +0.989..
_OUTER_W = np.concatenate([_GL16_W[:8], _GL16_W[:8]])
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def _wprob(w: np.ndarray, rr: float, cc: float) -> np.ndarray:
    """P(range of cc standard normals < w) ** rr, by R's fixed quadrature (vectorised)."""
    w = np.asarray(w, dtype=np.float64)
    half = 0.5 * w
    out = np.ones_like(w)
    todo = half < 8.0
    if not todo.any():
        return out
    w = w[todo]
    half = half[todo]
    # the first term of Hartley's form, (2 Phi(w/2) - 1) ** cc, taken as 0 when below 2e-22
    pr = 2.0 * special.ndtr(half) - 1.0
    pr = np.where(pr >= np.exp(-50.0 / cc), np.power(np.maximum(pr, 0.0), cc), 0.0)
    # the second term: integral over (w/2, 8) in 3 equal intervals (2 when w > 3)
    nint = np.where(w > 3.0, 2.0, 3.0)
    binc = (8.0 - half) / nint
    hb = 0.5 * binc                                                     # (m,)
    centre = half[:, None] + (np.arange(3) + 0.5)[None, :] * binc[:, None]  # (m, 3)
    ac = centre[:, :, None] + hb[:, None, None] * _GL12_X[None, None, :]    # (m, 3, 12)
    sq = ac * ac
    inner = special.ndtr(ac) - special.ndtr(ac - w[:, None, None])
    cc1 = cc - 1.0
    use = (sq <= 60.0) & (inner >= np.exp(-30.0 / cc1)) & (np.arange(3)[None, :, None]
                                                           < nint[:, None, None])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        terms = np.where(use, _GL12_W * np.exp(-0.5 * sq) * np.power(np.maximum(inner, 0.0), cc1), 0.0)
    elsum = terms.sum(axis=2) * (2.0 * hb * cc * _INV_SQRT_2PI)[:, None]
    pr = pr + elsum.sum(axis=1)
    with np.errstate(divide="ignore"):
        res = np.where(pr <= np.exp(-30.0 / rr), 0.0, np.power(np.maximum(pr, 0.0), rr))
    out[todo] = np.minimum(res, 1.0)
    return out


@functools.lru_cache(maxsize=512)
def _ptukey_nodes(df: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """R's outer quadrature over s for ``df``: (u, weight * density, node-to-interval map, ulen).

    u = 2 s^2 runs over intervals of length 2 ulen; nodes whose log weight is below -30 are
    left out, as R leaves them out. At most 50 intervals, and none past the first (from
    interval 1/ulen on) without a node: there R's loop stops whatever q is.
    """
    ulen = 1.0 if df <= 100 else 0.5 if df <= 800 else 0.25 if df <= 5000 else 0.125
    f2 = 0.5 * df
    lead = f2 * np.log(df) - df * np.log(2.0) - special.gammaln(f2) + np.log(ulen)
    i = np.arange(1, 51, dtype=np.float64)
    twa1 = (2.0 * i - 1.0) * ulen
    u = twa1[:, None] + _OUTER[None, :] * ulen                          # (50, 16)
    t1 = lead + (f2 - 1.0) * np.log(u) - u * (0.25 * df)
    active = t1 >= -30.0
    empty = ~active.any(axis=1) & (i * ulen >= 1.0)
    last = int(np.argmax(empty)) if empty.any() else 50               # intervals 0..last-1 matter
    keep = active[:last]
    rows = np.nonzero(keep)[0]
    # sums per interval as one product: node j adds into column rows[j]
    to_interval = np.zeros((len(rows), last))
    to_interval[np.arange(len(rows)), rows] = 1.0
    return u[:last][keep], (_OUTER_W[None, :] * np.exp(t1[:last]))[keep], to_interval, ulen


def _ptukey_lower(q: np.ndarray, nmeans: float, df: float, nranges: float) -> tuple[np.ndarray, bool]:
    """R's ptukey(q, nmeans, df, nranges) (lower tail) for finite q > 0; and whether all converged."""
    if df > 25000:
        return _wprob(q, nranges, nmeans), True
    u, wt, to_interval, ulen = _ptukey_nodes(float(df))
    nint = to_interval.shape[1]
    wp = _wprob((q[:, None] * np.sqrt(0.5 * u)[None, :]).ravel(), nranges, nmeans)
    otsum = (wp.reshape(len(q), len(u)) * wt[None, :]) @ to_interval     # (nq, nint)
    # R stops at the first interval (from 1/ulen on) whose sum is <= 1e-14, not adding it;
    # past the intervals kept here the next one has no node, sums to 0 and stops the loop
    i = np.arange(1, nint + 1)
    stop = (otsum <= 1e-14) & (i * ulen >= 1.0)[None, :]
    stopped = stop.any(axis=1)
    first = np.where(stopped, np.argmax(stop, axis=1), nint)
    converged = bool(stopped.all()) or nint < 50
    csum = np.concatenate([np.zeros((len(q), 1)), np.cumsum(otsum, axis=1)], axis=1)
    ans = csum[np.arange(len(q)), first]
    return np.minimum(ans, 1.0), converged


def _shaped(out: np.ndarray, like: Any) -> np.ndarray | float:
    """``out`` in the shape of ``like``: a float for a scalar, else an array."""
    shape = np.shape(like)
    return float(out[0]) if shape == () else out.reshape(shape)


def ptukey(q: Any, nmeans: float, df: float, nranges: float = 1,
           lower_tail: bool = True) -> np.ndarray | float:
    """R's ``ptukey(q, nmeans, df, nranges, lower.tail)``: the studentized range distribution.

    Written here after R's algorithm (Copenhaver and Holland 1988: fixed Gauss-Legendre
    rules, the same nodes, cut-offs and stopping rule as R's nmath ``ptukey``), vectorised
    over ``q``, so its values are R's to rounding. R's rule is coarse at small even df
    (1.6e-4 absolute at df = 2, 2e-6 at df = 4, 6e-8 at df = 6): so is this one,
    deliberately. ``df < 2``, ``nmeans < 2`` or ``nranges < 1`` give NaN with R's warning
    "NaNs produced" (``q <= 0`` still gives 0, as in R). A scalar ``q`` gives a float.
    """
    qa = np.atleast_1d(np.asarray(q, dtype=np.float64)).ravel()
    out = np.full(qa.shape, np.nan)
    if any(np.isnan(v) for v in (nmeans, df, nranges)):
        return _shaped(out, q)
    ok = ~np.isnan(qa)
    if df < 2 or nranges < 1 or nmeans < 2:  # R answers q <= 0 before it checks these
        zero = ok & (qa <= 0)
        out[zero] = 0.0 if lower_tail else 1.0
        if (ok & ~zero).any():
            warnings.warn("ptukey: NaNs produced", RuntimeWarning, stacklevel=2)
        return _shaped(out, q)
    low = np.zeros(qa.shape)
    low[ok & np.isinf(qa) & (qa > 0)] = 1.0
    mid = ok & (qa > 0) & np.isfinite(qa)
    if mid.any():
        vals, converged = _ptukey_lower(qa[mid], float(nmeans), float(df), float(nranges))
        if not converged:
            warnings.warn("ptukey: full precision may not have been achieved", RuntimeWarning,
                          stacklevel=2)
        low[mid] = vals
    out[ok] = low[ok] if lower_tail else (0.5 - low[ok]) + 0.5
    return _shaped(out, q)


def _qinv(p: float, c: float, v: float) -> float:
    """Starting value of R's qtukey: Odeh and Evans (1974, AS 70) with its published constants."""
    ps = 0.5 - 0.5 * p
    yi = np.sqrt(np.log(1.0 / (ps * ps)))
    num = (((yi * -0.453642210148e-04 - 0.204231210125) * yi - 0.342242088547) * yi - 1.0) * yi \
        + 0.322232421088
    den = (((yi * 0.38560700634e-02 + 0.103537752850) * yi + 0.531103462366) * yi
           + 0.588581570495) * yi + 0.993484626060e-01
    t = yi + num / den
    if v < 120.0:
        t += (t * t * t + t) / v / 4.0
    q = 0.8832 - 0.2368 * t
    if v < 120.0:
        q += -1.214 / v + 1.208 * t / v
    return float(t * (q * np.log(c - 1.0) + 1.4142))


def _ptukey1(q: float, nmeans: float, df: float, nranges: float) -> float:
    if q <= 0:
        return 0.0
    return float(_ptukey_lower(np.array([q]), nmeans, df, nranges)[0][0])


def qtukey(p: Any, nmeans: float, df: float, nranges: float = 1,
           lower_tail: bool = True) -> np.ndarray | float:
    """R's ``qtukey(p, nmeans, df, nranges, lower.tail)``: R's secant search on :func:`ptukey`.

    Written here after R's nmath ``qtukey``: the same start (Odeh and Evans's AS 70
    approximation), the same steps, and R's stop when two iterates differ by less than
    1e-4, so the quantile is R's and carries R's error (up to about 1e-7 relative).
    """
    pa = np.atleast_1d(np.asarray(p, dtype=np.float64)).ravel()
    out = np.full(pa.shape, np.nan)
    if any(np.isnan(v) for v in (nmeans, df, nranges)):
        return _shaped(out, p)
    if df < 2 or nranges < 1 or nmeans < 2:
        warnings.warn("qtukey: NaNs produced", RuntimeWarning, stacklevel=2)
        return _shaped(out, p)
    for idx, pv in enumerate(pa):
        if np.isnan(pv) or pv < 0 or pv > 1:
            if not np.isnan(pv):
                warnings.warn("qtukey: NaNs produced", RuntimeWarning, stacklevel=2)
            continue
        lo = pv if lower_tail else (0.5 - pv) + 0.5
        if lo == 0:
            out[idx] = 0.0
            continue
        if lo == 1:
            out[idx] = np.inf
            continue
        out[idx] = _qtukey_secant(lo, float(nmeans), float(df), float(nranges))
    return _shaped(out, p)


def _qtukey_secant(p: float, cc: float, df: float, rr: float) -> float:
    x0 = _qinv(p, cc, df)
    v0 = _ptukey1(x0, cc, df, rr) - p
    x1 = max(0.0, x0 - 1.0) if v0 > 0 else x0 + 1.0
    v1 = _ptukey1(x1, cc, df, rr) - p
    ans = 0.0
    for _ in range(1, 50):
        with np.errstate(divide="ignore", invalid="ignore"):
            ans = x1 - (v1 * (x1 - x0)) / (v1 - v0)
        v0 = v1
        x0 = x1
        if ans < 0:
            ans = 0.0
        v1 = _ptukey1(ans, cc, df, rr) - p
        x1 = ans
        if abs(x1 - x0) < 1e-4:
            return ans
    # R: a secant step that divides 0 by 0 leaves NaN ("NaNs produced"); else it stopped short
    warnings.warn("qtukey: NaNs produced" if np.isnan(ans) else "qtukey: convergence failed",
                  RuntimeWarning, stacklevel=3)
    return ans


# --------------------------------------------------------------------------- TukeyHSD


@dataclass(frozen=True, eq=False)
class TukeyHSDResult(TidyResult):
    """``TukeyHSD(aov(values ~ groups))``: one row per pair, named "b-a" as R names them."""

    term: str
    contrast: tuple[str, ...]
    diff: np.ndarray
    lwr: np.ndarray
    upr: np.ndarray
    p_adj: np.ndarray
    std_error: np.ndarray      # SE of each difference, sqrt(MSE (1/n_i + 1/n_j))
    q: np.ndarray              # studentized range statistic diff / sqrt(MSE/2 (1/n_i + 1/n_j))
    conf_level: float
    df_residual: float
    mse: float
    nobs: int
    n_missing: int

    def table(self) -> pd.DataFrame:
        """R's printed matrix: diff, lwr, upr, p adj, rows named by contrast."""
        return pd.DataFrame({"diff": self.diff, "lwr": self.lwr, "upr": self.upr, "p_adj": self.p_adj},
                            index=list(self.contrast))

    def tidy(self) -> pd.DataFrame:
        """broom's columns: term (the factor), contrast, estimate, conf_low, conf_high, adj_p_value.

        ``p_value`` repeats ``adj_p_value`` (Tukey's test has no unadjusted p); ``statistic`` is
        the studentized range statistic, ``std_error`` the SE of the difference.
        """
        rows = pd.DataFrame({"term": self.term, "estimate": self.diff, "std_error": self.std_error,
                             "statistic": self.q, "p_value": self.p_adj, "conf_low": self.lwr,
                             "conf_high": self.upr, "contrast": list(self.contrast),
                             "null_value": 0.0, "adj_p_value": self.p_adj})
        return make_tidy(rows, extra=("contrast", "null_value", "adj_p_value"))

    def glance(self) -> pd.DataFrame:
        return make_glance(nobs=self.nobs, df_residual=self.df_residual, mse=self.mse,
                           conf_level=self.conf_level, n_missing=self.n_missing)


def _lower_tri_pairs(k: int) -> list[tuple[int, int]]:
    """(i, j) with i > j in R's column-major ``lower.tri`` order: (1,0), (2,0), ..., (2,1), ..."""
    return [(i, j) for j in range(k) for i in range(j + 1, k)]


@functools.lru_cache(maxsize=256)
def _qtukey_exact(p: float, k: int, df: float) -> float:
    """The root of ptukey(q, k, df) = p solved to 1e-14 (R's qtukey stops near 1e-7 relative).

    Brent's method (scipy) on :func:`ptukey`, from a bracket around R's own secant answer.
    """
    if df < 2:
        return float(qtukey(p, k, df))
    x = float(qtukey(p, k, df))
    lo, hi = (x * (1 - 1e-3), x * (1 + 1e-3)) if np.isfinite(x) and x > 0 else (0.5, 50.0)
    while _ptukey1(lo, k, df, 1.0) > p:
        lo *= 0.5
    while _ptukey1(hi, k, df, 1.0) < p:
        hi *= 2.0
    return float(optimize.brentq(lambda v: _ptukey1(v, k, df, 1.0) - p, lo, hi, xtol=1e-14,
                                 rtol=4 * _EPS, maxiter=200))


def tukey_hsd(values: Any, groups: Any, conf_level: float = 0.95, term: str | None = None) -> TukeyHSDResult:
    """R's ``TukeyHSD(aov(values ~ groups), conf.level=)`` for one factor (Tukey-Kramer when unbalanced).

    Written here, on :func:`ptukey` (R's algorithm); the limits use its exact quantile.
    With fewer than 2 residual df, p-values and limits are NaN with R's warning, as in R.
    """
    conf_level = _check_conf_level(conf_level)
    g = _group(values, groups, term)
    n, means, df_res, _, mse = _aov_parts(g)
    k = len(g.levels)
    pairs = _lower_tri_pairs(k)
    ii = np.array([p[0] for p in pairs])
    jj = np.array([p[1] for p in pairs])
    diff = means[ii] - means[jj]
    half = np.sqrt((mse / 2.0) * (1.0 / n[ii] + 1.0 / n[jj]))
    q = diff / half
    qcrit = _qtukey_exact(conf_level, k, df_res)
    width = qcrit * half
    p = ptukey(np.abs(q), k, df_res, lower_tail=False)
    return TukeyHSDResult(term=g.term, contrast=tuple(f"{g.levels[i]}-{g.levels[j]}" for i, j in pairs),
                          diff=diff, lwr=diff - width, upr=diff + width, p_adj=p,
                          std_error=half * np.sqrt(2.0), q=q, conf_level=conf_level,
                          df_residual=df_res, mse=mse, nobs=len(g.values), n_missing=g.n_missing)


# --------------------------------------------------------------------------- p.adjust


def p_adjust(p: Any, method: str = "holm") -> np.ndarray:
    """R's ``p.adjust(p, method)``; NA stay NA and do not count in n (statsmodels underneath)."""
    if method not in P_ADJUST_METHODS:
        raise ValueError(f"method must be one of {P_ADJUST_METHODS}, got {method!r}")
    arr = _as_numeric(p, "p")
    ok = ~np.isnan(arr)
    if ((arr[ok] < 0) | (arr[ok] > 1)).any():
        raise ValueError("p-values must lie in [0, 1]")
    out = arr.copy()
    n = int(ok.sum())
    if method == "fdr":
        method = "BH"
    if n <= 1 or method == "none":
        return out
    if method == "hommel" and n == 2:
        method = "hochberg"
    if method == "bonferroni":
        # statsmodels' bonferroni is this line too (n * p, capped at 1), behind more overhead
        out[ok] = np.minimum(1.0, n * arr[ok])
    elif method == "holm":
        # statsmodels' holm branch calls gc.collect() (about 0.1 s a call): the step-down
        # maximum is one line
        q = arr[ok]
        o = np.argsort(q, kind="stable")
        adj = np.empty(n)
        adj[o] = np.minimum(1.0, np.maximum.accumulate((n - np.arange(n)) * q[o]))
        out[ok] = adj
    else:
        out[ok] = multipletests(arr[ok], method=_SM_METHOD[method])[1]
    return out


# --------------------------------------------------------------------------- pairwise.t.test


@dataclass(frozen=True, eq=False)
class PairwiseTTestResult(TidyResult):
    """``pairwise.t.test``: R's lower-triangular matrix of adjusted p and a long table."""

    p_value: pd.DataFrame      # rows levels[1:], columns levels[:-1], NaN above the diagonal
    method: str                # R's METHOD string
    p_adjust_method: str
    long: pd.DataFrame = field(repr=False)  # group1, group2, estimate, statistic, df, p_unadjusted, p_value
    nobs: int = 0
    n_missing: int = 0

    def tidy(self) -> pd.DataFrame:
        """One row per pair: term "b-a", group1 (b), group2 (a), adjusted p_value; estimate = mean(b) - mean(a)."""
        d = self.long
        rows = pd.DataFrame({"term": d["group1"] + "-" + d["group2"], "estimate": d["estimate"],
                             "statistic": d["statistic"], "p_value": d["p_value"],
                             "group1": d["group1"], "group2": d["group2"], "df": d["df"],
                             "p_unadjusted": d["p_unadjusted"]})
        return make_tidy(rows, extra=("group1", "group2", "df", "p_unadjusted"))

    def glance(self) -> pd.DataFrame:
        return make_glance(nobs=self.nobs, method=self.method, p_adjust_method=self.p_adjust_method,
                           n_missing=self.n_missing)


_LONG_COLUMNS = pd.Index(["group1", "group2", "estimate", "statistic", "df", "p_unadjusted", "p_value"])


@functools.lru_cache(maxsize=256)
def _labels_index(labels: tuple[str, ...]) -> pd.Index:
    """An Index of these labels, built once (callers take a ``view``: same values, own name)."""
    return pd.Index(list(labels))


@functools.lru_cache(maxsize=256)
def _pair_labels(levels: tuple[str, ...]) -> tuple[Any, Any]:
    """group1 and group2 of every pair in R's order, as string arrays, built once."""
    arr = _labels_index(levels).array
    pairs = _lower_tri_pairs(len(levels))
    return arr[np.array([p[0] for p in pairs])], arr[np.array([p[1] for p in pairs])]


def pairwise_t_test(values: Any, groups: Any, p_adjust: str = "holm", pool_sd: bool = True,
                    alternative: str = "two.sided") -> PairwiseTTestResult:
    """R's ``pairwise.t.test(values, groups, p.adjust.method=, pool.sd=, alternative=)``.

    The default adjustment is R's ("holm"); Bonferroni as SPSS prints it is
    ``p_adjust="bonferroni"``. Pooled SD (default) uses all groups' residual variance
    with ``sum(n_i - 1)`` df; unpooled runs Welch :func:`t_test` per pair. Written here.
    """
    method_adj = p_adjust
    if method_adj not in P_ADJUST_METHODS:
        raise ValueError(f"p_adjust must be one of {P_ADJUST_METHODS}, got {method_adj!r}")
    alternative = _check_alternative(alternative)
    g = _group(values, groups, None)
    k = len(g.levels)
    if k < 2:
        raise ValueError(f"need at least 2 groups with values; groups has {k}")
    n, means, var = _group_stats(g)
    small = [g.levels[i] for i in range(k) if n[i] < 2]
    if small:
        raise ValueError(f"group(s) {small} have fewer than 2 values: their variance is undefined "
                         "(R returns NA)")
    pairs = _lower_tri_pairs(k)
    ii = np.array([p[0] for p in pairs], dtype=np.int64)
    jj = np.array([p[1] for p in pairs], dtype=np.int64)
    dif = means[ii] - means[jj]
    if pool_sd:
        df_tot = float(np.sum(n - 1))
        pooled = float(np.sqrt(np.sum(var * (n - 1)) / df_tot))
        t = dif / (pooled * np.sqrt(1 / n[ii] + 1 / n[jj]))
        # scipy's t distribution (stats.t.cdf(x, df) is special.stdtr(df, x)), called directly
        if alternative == "two.sided":
            pv = 2 * special.stdtr(df_tot, -np.abs(t))
        elif alternative == "less":
            pv = special.stdtr(df_tot, t)
        else:
            pv = special.stdtr(df_tot, -t)
        dfs = np.full(len(pairs), df_tot)
        method = "t tests with pooled SD"
    else:
        t, dfs, pv = np.empty(len(pairs)), np.empty(len(pairs)), np.empty(len(pairs))
        for m, (i, j) in enumerate(pairs):
            r = t_test(g.values[g.codes == i], g.values[g.codes == j], alternative=alternative)
            t[m], dfs[m], pv[m] = r.statistic, r.parameter, r.p_value
        method = "t tests with non-pooled SD"
    padj = _p_adjust_fn(pv, method_adj)
    # keyed by position, then named by a prebuilt Index: pandas builds no column names (the
    # constructor copies the cached label arrays, so results never share them)
    long = pd.DataFrame(dict(enumerate([*_pair_labels(g.levels), dif, t, dfs, pv, padj])))
    long.columns = _LONG_COLUMNS.view()
    full = np.full((k - 1, k - 1), np.nan)
    full[ii - 1, jj] = padj
    mat = pd.DataFrame(full, index=_labels_index(g.levels[1:]).view(),
                       columns=_labels_index(g.levels[:-1]).view())
    return PairwiseTTestResult(p_value=mat, method=method, p_adjust_method=method_adj, long=long,
                               nobs=len(g.values), n_missing=g.n_missing)


_p_adjust_fn = p_adjust
