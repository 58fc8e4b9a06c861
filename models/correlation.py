"""Correlation tests as R's ``cor.test``, and matrices of them.

:func:`cor_test` matches ``stats:::cor.test.default`` (R 4.2) for ``method = "pearson"``,
``"spearman"`` and ``"kendall"``: estimate, statistic, df, p-value and (Pearson) the
Fisher-z confidence interval, with R's warnings and R's choice of exact or approximate
p-values. :func:`cor_matrix` runs it over every pair of columns of a DataFrame,
vectorised for Spearman.

Written here, because no library computes what R does:

* R's Spearman p-value (``prho``, algorithm AS 89 as R codes it): the exact
  permutation distribution for n <= 9 (counted exactly, in integers), the Edgeworth
  series for 10 <= n <= 1290, the t approximation beyond or with ties or
  ``exact=False``. scipy's ``spearmanr`` always uses the t approximation.
* R's exact Kendall distribution (``ckendall``), summed in R's order so the doubles agree.
* R's ``cor()`` arithmetic (two-pass means and sums in extended precision), so that
  estimates agree to the last bit or two.

Wrapped: ``scipy.stats.rankdata`` (average ranks, as R's ``rank``) and
``scipy.special`` for the normal and t distributions.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special
from scipy.stats import rankdata

from models._result import TidyResult, make_glance, make_tidy

__all__ = [
    "CorMatrixResult",
    "CorTestResult",
    "cor_matrix",
    "cor_test",
    "pkendall",
    "prho",
    "pspearman",
]

METHODS = ("pearson", "spearman", "kendall")
ALTERNATIVES = ("two.sided", "less", "greater")
USES = ("pairwise.complete.obs", "complete.obs")

METHOD_NAMES = {
    "pearson": "Pearson's product-moment correlation",
    "spearman": "Spearman's rank correlation rho",
    "kendall": "Kendall's rank correlation tau",
}
ESTIMATE_NAMES = {"pearson": "cor", "spearman": "rho", "kendall": "tau"}

#: R's largest n for its exact (AS 89) Spearman p-value: ``n <= 1290 && exact``.
SPEARMAN_EXACT_MAX_N = 1290
#: Up to this n R's ``prho`` enumerates all n! permutations; above, the Edgeworth series.
SPEARMAN_ENUMERATION_MAX_N = 9
#: R's default for Kendall: exact when n < 50 (and no ties).
KENDALL_EXACT_BELOW_N = 50

TIES_WARNING = "Cannot compute exact p-value with ties"
SD_ZERO_WARNING = "the standard deviation is zero"
NOT_ENOUGH = "not enough finite observations"

_LD = np.longdouble


# --------------------------------------------------------------------------- input checks


def _as_numeric(v: Any, name: str) -> np.ndarray:
    """A 1-D float64 copy of ``v`` (missing -> NaN); TypeError unless numeric as R's is.numeric."""
    if isinstance(v, (pd.Series, pd.Index)):
        dt = v.dtype
        if isinstance(dt, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dt) or not pd.api.types.is_numeric_dtype(dt):
            raise TypeError(f"'{name}' must be a numeric vector (got dtype {dt})")
        return v.to_numpy(dtype=np.float64, na_value=np.nan)
    arr = np.asarray(v)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"'{name}' must be a 1-D vector, got shape {arr.shape}")
    kind = arr.dtype.kind
    if kind in "iuf":
        return arr.astype(np.float64)
    if kind == "O":
        out = np.empty(arr.shape[0], dtype=np.float64)
        for i, e in enumerate(arr):
            if e is None or e is pd.NA:
                out[i] = np.nan
            elif isinstance(e, (int, float, np.integer, np.floating)) and not isinstance(e, (bool, np.bool_)):
                out[i] = float(e)
            else:
                raise TypeError(f"'{name}' must be a numeric vector (element {i} is {type(e).__name__} {e!r})")
        return out
    raise TypeError(f"'{name}' must be a numeric vector (got dtype {arr.dtype})")


def _check_choice(value: str, choices: Sequence[str], name: str) -> str:
    if value not in choices:
        raise ValueError(f"'{name}' must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def _check_exact(exact: Any) -> bool | None:
    if exact is None or isinstance(exact, (bool, np.bool_)):
        return None if exact is None else bool(exact)
    raise TypeError(f"'exact' must be None, True or False; got {exact!r}")


# --------------------------------------------------------------------------- R's cor() arithmetic


def _cor_from_sums(sxy, sxx, syy, n1: int):
    """R's last steps of ``cor()``: cov and sd in extended precision, ratio in double, clamped.

    Returns (r, sd_zero) arrays; r is NaN where a standard deviation is zero.
    """
    sxy = np.asarray(sxy, dtype=_LD)
    cov = (sxy / _LD(n1)).astype(np.float64)
    sdx = np.sqrt(np.asarray(sxx, dtype=_LD) / _LD(n1)).astype(np.float64)
    sdy = np.sqrt(np.asarray(syy, dtype=_LD) / _LD(n1)).astype(np.float64)
    zero = (sdx == 0.0) | (sdy == 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = cov / (sdx * sdy)
    r = np.clip(r, -1.0, 1.0)
    r = np.where(zero, np.nan, r)
    return r, zero


def _r_mean(v: np.ndarray) -> float:
    """R's two-pass mean: extended-precision sums, sequential, then a correction pass."""
    n = v.shape[0]
    vl = v.astype(_LD)
    tmp = np.cumsum(vl)[-1] / _LD(n)
    if np.isfinite(tmp):
        tmp = tmp + np.cumsum(vl - tmp)[-1] / _LD(n)
    return float(tmp.astype(np.float64))


def _pearson_r(x: np.ndarray, y: np.ndarray) -> tuple[float, bool]:
    """``cor(x, y)`` as R computes it (complete data); (r, sd_zero)."""
    with np.errstate(invalid="ignore", over="ignore"):  # infinite values give NaN, as in R
        xm, ym = _LD(_r_mean(x)), _LD(_r_mean(y))
        dx = x.astype(_LD) - xm
        dy = y.astype(_LD) - ym
        sxy = np.cumsum(dx * dy)[-1]
        sxx = np.cumsum(dx * dx)[-1]
        syy = np.cumsum(dy * dy)[-1]
        r, zero = _cor_from_sums(sxy, sxx, syy, x.shape[0] - 1)
    return float(r), bool(zero)


def _centered_ranks(v: np.ndarray) -> np.ndarray:
    """Average ranks (R's ``rank``) minus their mean (n + 1) / 2: exact half-integers."""
    return rankdata(v) - (v.shape[0] + 1) / 2.0


def _spearman_rho(x: np.ndarray, y: np.ndarray) -> tuple[float, bool]:
    """``cor(rank(x), rank(y))`` as R computes it; (rho, sd_zero).

    Centred ranks are half-integers, so the sums are exact in double whatever the order;
    R's extended-precision division and square roots are then applied to them.
    """
    rx, ry = _centered_ranks(x), _centered_ranks(y)
    r, zero = _cor_from_sums(rx @ ry, rx @ rx, ry @ ry, x.shape[0] - 1)
    return float(r), bool(zero)


def _kendall_tau(x: np.ndarray, y: np.ndarray) -> tuple[float, bool]:
    """``cor(x, y, method = "kendall")`` (tau-b) as R computes it; (tau, sd_zero)."""
    n = x.shape[0]
    # signs of differences are those of the dense ranks: small integers are cheaper
    _, xr = np.unique(x, return_inverse=True)
    _, yr = np.unique(y, return_inverse=True)
    small = np.int16 if n < 2**15 else np.int64
    xr, yr = xr.astype(small), yr.astype(small)
    s = 0
    step = max(1, 1_000_000 // max(n, 1))
    for i0 in range(0, n, step):
        sx = np.sign(xr[i0:i0 + step, None] - xr[None, :])
        sy = np.sign(yr[i0:i0 + step, None] - yr[None, :])
        s += int((sx * sy).sum(dtype=np.int64))
    _, cx = np.unique(x, return_counts=True)
    _, cy = np.unique(y, return_counts=True)
    tx = n * n - int((cx.astype(np.int64) ** 2).sum())
    ty = n * n - int((cy.astype(np.int64) ** 2).sum())
    sdx = float(np.sqrt(_LD(tx)).astype(np.float64))
    sdy = float(np.sqrt(_LD(ty)).astype(np.float64))
    if sdx == 0.0 or sdy == 0.0:
        return math.nan, True
    return float(min(1.0, max(-1.0, float(s) / (sdx * sdy)))), False


# --------------------------------------------------------------------------- Spearman distribution


@functools.cache
def _rho_upper_counts(n: int) -> np.ndarray:
    """``c[s]`` = number of permutations p of 1..n with sum (i - p_i)^2 >= s, s = 0..max+1.

    Counted exactly by dynamic programming over the set of values used so far.
    """
    smax = n * (n * n - 1) // 3
    table = np.zeros((1 << n, smax + 1), dtype=np.int64)
    table[0, 0] = 1
    for mask in range(1 << n):
        row = table[mask]
        if not row.any():
            continue
        pos = mask.bit_count()
        for v in range(n):
            if mask >> v & 1:
                continue
            d = (pos - v) ** 2
            table[mask | (1 << v), d:] += row[: smax + 1 - d]
    dist = table[(1 << n) - 1]
    upper = np.zeros(smax + 2, dtype=np.int64)
    upper[: smax + 1] = np.cumsum(dist[::-1])[::-1]
    upper.setflags(write=False)
    return upper


_EDGEWORTH = (0.2274, 0.2531, 0.1745, 0.0758, 0.1033, 0.3932, 0.0879, 0.0151, 0.0072,
              0.0831, 0.0131, 4.6e-4)


def prho(s, n: int, lower_tail) -> np.ndarray:
    """R's C ``prho`` (AS 89): P(S >= s), or P(S < s) where ``lower_tail``, for Spearman's S.

    ``s`` is what R passes, ``round(q) + 2 * lower.tail``; vectorised over ``s`` and
    ``lower_tail``. Exact enumeration (integer counts) for n <= 9, else the Edgeworth
    series with R's coefficients, clipped to [0, 1].
    """
    s = np.atleast_1d(np.asarray(s, dtype=np.float64))
    lower = np.broadcast_to(np.asarray(lower_tail, dtype=bool), s.shape)
    pv = np.where(lower, 0.0, 1.0)
    if n <= 1:
        return pv
    n3 = float(n)
    n3 *= (n3 * n3 - 1.0) / 3.0
    done = s <= 0.0
    above = ~done & (s > n3)
    pv = np.where(above, 1.0 - pv, pv)
    todo = ~done & ~above
    if not todo.any():
        return pv
    st, lt = s[todo], lower[todo]
    if n <= SPEARMAN_ENUMERATION_MAX_N:
        upper = _rho_upper_counts(n)
        nfac = math.factorial(n)
        idx = np.ceil(st).astype(np.int64)
        ifr = np.where(st == n3, 1, upper[np.clip(idx, 0, upper.shape[0] - 1)])
        vals = np.where(lt, (nfac - ifr) / nfac, ifr / nfac)
    else:
        c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12 = _EDGEWORTH
        y = float(n)
        b = 1.0 / y
        x = (6.0 * (st - 1.0) * b / (y * y - 1.0) - 1.0) * math.sqrt(y - 1.0)
        y2 = x * x
        u = x * b * (c1 + b * (c2 + c3 * b)
                     + y2 * (-c4 + b * (c5 + c6 * b)
                             - y2 * b * (c7 + c8 * b
                                         - y2 * (c9 - c10 * b + y2 * b * (c11 - c12 * y2)))))
        y3 = u / np.exp(y2 / 2.0)
        vals = np.where(lt, -y3, y3) + np.where(lt, special.ndtr(x), special.ndtr(-x))
        vals = np.clip(vals, 0.0, 1.0)
    pv = pv.copy()
    pv[todo] = vals
    return pv


def _pt(t, df, lower_tail):
    """R's ``pt(t, df, lower.tail)``, elementwise (scipy.special.stdtr)."""
    t = np.asarray(t, dtype=np.float64)
    return np.where(lower_tail, special.stdtr(df, t), special.stdtr(df, -t))


def pspearman(q, n: int, lower_tail, exact: bool, continuity: bool = False) -> np.ndarray:
    """The p-value helper inside R's ``cor.test`` for Spearman, vectorised over ``q``.

    ``q`` is S; with ``exact`` and n <= 1290, :func:`prho` at ``round(q) + 2 * lower_tail``;
    otherwise the t approximation with n - 2 df (``continuity`` adds 1 to the
    denominator of r, as R does; R applies no correction on the exact branch).
    """
    q = np.atleast_1d(np.asarray(q, dtype=np.float64))
    lower = np.broadcast_to(np.asarray(lower_tail, dtype=bool), q.shape)
    if n <= SPEARMAN_EXACT_MAX_N and exact:
        return prho(np.round(q) + 2.0 * lower, n, lower)
    den = (n * (float(n) ** 2 - 1.0)) / 6.0
    if continuity:
        den = den + 1.0
    r = 1.0 - q / den
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r / np.sqrt((1.0 - r**2) / (n - 2))
        p = _pt(t, float(n - 2), ~lower)
    if n - 2 <= 0:
        p = np.full_like(q, np.nan)
    return p


def _spearman_p(q, n: int, alternative: str, exact: bool, continuity: bool) -> np.ndarray:
    """cor.test's switch on ``alternative`` for Spearman's S, vectorised over ``q``."""
    q = np.atleast_1d(np.asarray(q, dtype=np.float64))
    if alternative == "two.sided":
        upper = q > (float(n) ** 3 - n) / 6.0
        p = pspearman(q, n, ~upper, exact, continuity)
        return np.minimum(2.0 * p, 1.0)
    return pspearman(q, n, alternative == "greater", exact, continuity)


# --------------------------------------------------------------------------- Kendall distribution

_CKENDALL: list[np.ndarray] = [np.zeros(1), np.ones(1)]


def _ckendall(n: int) -> np.ndarray:
    """R's ``ckendall(k, n)`` for k = 0..n(n-1)/2: permutations of n with k inversions.

    Built with R's recursion and R's summation order in double, so that the rounding
    for n >= 19 (where the counts exceed 2^53) is R's too.
    """
    while len(_CKENDALL) <= n:
        m = len(_CKENDALL)
        prev = _CKENDALL[m - 1]
        acc = np.zeros(m * (m - 1) // 2 + 1)
        for i in range(m):
            acc[i:i + prev.shape[0]] += prev
        _CKENDALL.append(acc)
    return _CKENDALL[n]


_STIRLING = (1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188)
_LN_SQRT_2PI = 0.918938533204672741780329736406


def _stirling_remainder(y: float) -> float:
    """log(gamma(y)) - Stirling's leading terms, by the truncated series R uses for y > 15."""
    s0, s1, s2, s3, s4 = _STIRLING
    yy = y * y
    if y > 500:
        return (s0 - s1 / yy) / y
    if y > 80:
        return (s0 - (s1 - s2 / yy) / yy) / y
    if y > 35:
        return (s0 - (s1 - (s2 - s3 / yy) / yy) / yy) / y
    return (s0 - (s1 - (s2 - (s3 - s4 / yy) / yy) / yy) / yy) / y


@functools.cache
def _r_gamma_int(k: int) -> float:
    """R's ``gammafn(k)`` for an integer 1 <= k: sequential products up to k = 50, then
    Stirling's series (a few ulp from (k - 1)!, which R's Kendall p-values inherit)."""
    if k <= 50:
        v = 1.0
        for i in range(2, k):
            v *= i
        return v
    if k > 171:
        return math.inf
    y = float(k)
    return math.exp((y - 0.5) * math.log(y) - y + _LN_SQRT_2PI + _stirling_remainder(y))


@functools.cache
def _pkendall_cum(n: int) -> np.ndarray:
    cum = np.cumsum(_ckendall(n)) / _r_gamma_int(n + 1)
    cum.setflags(write=False)
    return cum


def pkendall(q, n: int) -> np.ndarray:
    """R's ``pkendall(q, n)``: P(T <= q) for T the number of concordant pairs, no ties."""
    q = np.floor(np.atleast_1d(np.asarray(q, dtype=np.float64)) + 1e-7)
    u = n * (n - 1) // 2
    cum = _pkendall_cum(n)
    out = np.where(q < 0, 0.0, 1.0)
    inside = (q >= 0) & (q <= u)
    out[inside] = cum[q[inside].astype(np.int64)]
    return out


# --------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class CorTestResult(TidyResult):
    """What R's ``cor.test`` returns (an ``htest``), field by field.

    ``statistic`` is S (Spearman), t (Pearson), T or z (Kendall), named in
    ``statistic_name``; ``parameter`` is the df for Pearson, else None; ``conf_int`` is
    Pearson's Fisher-z interval when n > 3, else None. ``exact`` says whether the exact
    distribution was used (for Spearman with 10 <= n <= 1290 that is R's AS 89 series).
    """

    estimate: float
    statistic: float
    statistic_name: str
    parameter: float | None
    p_value: float
    method: str
    alternative: str
    conf_int: tuple[float, float] | None
    conf_level: float | None
    n: int
    exact: bool
    continuity: bool
    term: str
    warnings: tuple[str, ...] = field(default=())

    def tidy(self) -> pd.DataFrame:
        lo, hi = self.conf_int if self.conf_int is not None else (math.nan, math.nan)
        row = {
            "term": self.term,
            "estimate": self.estimate,
            "std_error": math.nan,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "conf_low": lo,
            "conf_high": hi,
            "method": self.method,
            "alternative": self.alternative,
            "n": self.n,
            "parameter": math.nan if self.parameter is None else float(self.parameter),
            "exact": self.exact,
        }
        return make_tidy([row], extra=("method", "alternative", "n", "parameter", "exact"))

    def glance(self) -> pd.DataFrame:
        lo, hi = self.conf_int if self.conf_int is not None else (math.nan, math.nan)
        return make_glance(
            nobs=self.n, estimate=self.estimate, statistic=self.statistic,
            statistic_name=self.statistic_name,
            parameter=math.nan if self.parameter is None else float(self.parameter),
            p_value=self.p_value, conf_low=lo, conf_high=hi, method=self.method,
            alternative=self.alternative, exact=self.exact, continuity=self.continuity,
        )


# --------------------------------------------------------------------------- cor_test


def _term(x: Any, y: Any, method: str) -> str:
    nx = getattr(x, "name", None) if isinstance(x, pd.Series) else None
    ny = getattr(y, "name", None) if isinstance(y, pd.Series) else None
    if nx is not None and ny is not None:
        return f"{nx}:{ny}"
    return ESTIMATE_NAMES[method]


def _warn(msgs: list[str], msg: str) -> None:
    msgs.append(msg)


def _cor_test_core(x: np.ndarray, y: np.ndarray, method: str, alternative: str,
                   exact: bool | None, continuity: bool, conf_level: float,
                   term: str) -> CorTestResult:
    """cor.test on complete pairs; warnings are returned in the result, not issued."""
    msgs: list[str] = []
    n = int(x.shape[0])
    nan = math.nan
    conf_int = None
    parameter = None
    used_exact = False
    if method == "pearson":
        if n < 3:
            raise ValueError(f"{NOT_ENOUGH} (n = {n} complete pairs; Pearson needs 3)")
        r, zero = _pearson_r(x, y)
        if zero:
            _warn(msgs, SD_ZERO_WARNING)
        df = n - 2
        parameter = float(df)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = float(np.float64(math.sqrt(df)) * r / np.sqrt(np.float64(1.0) - r * r))
        statistic, stat_name = t, "t"
        if n > 3:
            with np.errstate(divide="ignore", invalid="ignore"):
                z = float(np.arctanh(np.float64(r)))
            sigma = 1.0 / math.sqrt(n - 3)
            if alternative == "less":
                cint = (-math.inf, z + sigma * float(special.ndtri(conf_level)))
            elif alternative == "greater":
                cint = (z - sigma * float(special.ndtri(conf_level)), math.inf)
            else:
                h = sigma * float(special.ndtri((1.0 + conf_level) / 2.0))
                cint = (z + -h, z + h)
            conf_int = (float(np.tanh(cint[0])), float(np.tanh(cint[1])))
        if math.isnan(t):
            p = nan
        elif alternative == "less":
            p = float(special.stdtr(df, t))
        elif alternative == "greater":
            p = float(special.stdtr(df, -t))
        else:
            p = 2.0 * min(float(special.stdtr(df, t)), float(special.stdtr(df, -t)))
        estimate = r
    else:
        if n < 2:
            raise ValueError(f"{NOT_ENOUGH} (n = {n} complete pairs; rank methods need 2)")
        ties = min(np.unique(x).shape[0], np.unique(y).shape[0]) < n
        if method == "kendall":
            estimate, zero = _kendall_tau(x, y)
            if zero:
                _warn(msgs, SD_ZERO_WARNING)
            if math.isnan(estimate):
                statistic, stat_name, p = nan, "T", nan
            else:
                ex = (n < KENDALL_EXACT_BELOW_N) if exact is None else exact
                if ex and not ties:
                    used_exact = True
                    q = float(round((estimate + 1.0) * n * (n - 1) / 4.0))
                    statistic, stat_name = q, "T"
                    if alternative == "two.sided":
                        if q > n * (n - 1) / 4.0:
                            pp = 1.0 - float(pkendall(q - 1.0, n)[0])
                        else:
                            pp = float(pkendall(q, n)[0])
                        p = min(2.0 * pp, 1.0)
                    elif alternative == "greater":
                        p = 1.0 - float(pkendall(q - 1.0, n)[0])
                    else:
                        p = float(pkendall(q, n)[0])
                    # for n >= 50, R's 1 - P can fall a few 1e-14 below 0: a p-value is >= 0
                    p = max(p, 0.0)
                else:
                    statistic, p = _kendall_normal(x, y, n, estimate, alternative, continuity)
                    stat_name = "z"
                    if ex and ties:
                        _warn(msgs, TIES_WARNING)
        else:
            ex = True if exact is None else exact
            estimate, zero = _spearman_rho(x, y)
            if zero:
                _warn(msgs, SD_ZERO_WARNING)
            stat_name = "S"
            if math.isnan(estimate):
                statistic, p = nan, nan
            else:
                q = (float(n) ** 3 - n) * (1.0 - estimate) / 6.0
                statistic = q
                if ties and ex:
                    ex = False
                    _warn(msgs, TIES_WARNING)
                used_exact = bool(ex and n <= SPEARMAN_EXACT_MAX_N)
                if not used_exact and n <= 2:
                    _warn(msgs, "NaNs produced")
                p = float(_spearman_p(q, n, alternative, ex, continuity)[0])
    return CorTestResult(
        estimate=float(estimate), statistic=float(statistic), statistic_name=stat_name,
        parameter=parameter, p_value=float(p), method=METHOD_NAMES[method],
        alternative=alternative, conf_int=conf_int,
        conf_level=conf_level if conf_int is not None else None, n=n, exact=used_exact,
        continuity=bool(continuity), term=term, warnings=tuple(msgs),
    )


def _kendall_normal(x, y, n, tau, alternative, continuity) -> tuple[float, float]:
    """Kendall's z with R's tie-corrected variance, and its normal p-value."""
    _, cx = np.unique(x, return_counts=True)
    _, cy = np.unique(y, return_counts=True)
    xt = cx[cx > 1].astype(np.float64)
    yt = cy[cy > 1].astype(np.float64)
    t0 = n * (n - 1) / 2
    t1 = float(np.sum(xt * (xt - 1))) / 2
    t2 = float(np.sum(yt * (yt - 1))) / 2
    s = tau * math.sqrt((t0 - t1) * (t0 - t2))
    v0 = n * (n - 1) * (2 * n + 5)
    vt = float(np.sum(xt * (xt - 1) * (2 * xt + 5)))
    vu = float(np.sum(yt * (yt - 1) * (2 * yt + 5)))
    v1 = float(np.sum(xt * (xt - 1))) * float(np.sum(yt * (yt - 1)))
    v2 = float(np.sum(xt * (xt - 1) * (xt - 2))) * float(np.sum(yt * (yt - 1) * (yt - 2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        var_s = ((v0 - vt - vu) / 18.0 + np.float64(v1) / (2.0 * n * (n - 1))
                 + np.float64(v2) / (9.0 * n * (n - 1) * (n - 2)))
        if continuity:
            s = math.copysign(1.0, s) * (abs(s) - 1.0) if s != 0 else 0.0
        z = float(np.float64(s) / np.sqrt(var_s))
    if math.isnan(z):
        return z, math.nan
    if alternative == "less":
        p = float(special.ndtr(z))
    elif alternative == "greater":
        p = float(special.ndtr(-z))
    else:
        p = 2.0 * min(float(special.ndtr(z)), float(special.ndtr(-z)))
    return z, p


def cor_test(x, y, method: str = "spearman", alternative: str = "two.sided",
             exact: bool | None = None, continuity: bool = False,
             conf_level: float = 0.95) -> CorTestResult:
    """R's ``cor.test(x, y, method, alternative, exact, continuity, conf.level)``.

    Incomplete pairs are dropped first (R's ``complete.cases``); ``n`` is what is left.
    The default method here is Spearman (R's is Pearson). ``exact=None`` is R's rule:
    Spearman exact for n <= 1290 without ties, Kendall exact for n < 50 without ties.
    R's warnings ("Cannot compute exact p-value with ties", "the standard deviation is
    zero") are issued with R's text; a constant vector gives NaN estimate and p-value.
    """
    method = _check_choice(method, METHODS, "method")
    alternative = _check_choice(alternative, ALTERNATIVES, "alternative")
    exact = _check_exact(exact)
    if not isinstance(continuity, (bool, np.bool_)):
        raise TypeError(f"'continuity' must be True or False; got {continuity!r}")
    if not (isinstance(conf_level, (int, float)) and math.isfinite(conf_level) and 0 <= conf_level <= 1):
        raise ValueError(f"'conf.level' must be a single number between 0 and 1; got {conf_level!r}")
    xa = _as_numeric(x, "x")
    ya = _as_numeric(y, "y")
    if xa.shape[0] != ya.shape[0]:
        raise ValueError(f"'x' and 'y' must have the same length (got {xa.shape[0]} and {ya.shape[0]})")
    ok = ~(np.isnan(xa) | np.isnan(ya))
    res = _cor_test_core(xa[ok], ya[ok], method, alternative, exact, bool(continuity),
                         float(conf_level), _term(x, y, method))
    for msg in res.warnings:
        warnings.warn(msg, UserWarning, stacklevel=2)
    return res


# --------------------------------------------------------------------------- cor_matrix

LONG_COLUMNS = ("var1", "var2", "estimate", "statistic", "p_value", "n", "exact")


@dataclass(frozen=True, eq=False)
class CorMatrixResult(TidyResult):
    """Pairwise correlation tests of a DataFrame's columns.

    ``long``: one row per unordered pair (var1 before var2 in column order) with
    estimate, statistic, p_value, n and exact. ``estimate``, ``p_value`` and ``n`` are
    square DataFrames (diagonal: estimate 1, p-value NaN, n = non-missing values of the
    column). ``marked()`` is the table as the papers print it.
    """

    long: pd.DataFrame
    columns: tuple[str, ...]
    method: str
    use: str
    alternative: str
    nobs: int
    col_n: tuple[int, ...]

    def _square(self, col: str, diag) -> pd.DataFrame:
        k = len(self.columns)
        m = np.full((k, k), np.nan)
        pos = {c: i for i, c in enumerate(self.columns)}
        i = self.long["var1"].map(pos).to_numpy()
        j = self.long["var2"].map(pos).to_numpy()
        v = self.long[col].to_numpy(dtype=np.float64)
        m[i, j] = v
        m[j, i] = v
        np.fill_diagonal(m, diag)
        return pd.DataFrame(m, index=list(self.columns), columns=list(self.columns))

    @property
    def estimate(self) -> pd.DataFrame:
        return self._square("estimate", 1.0)

    @property
    def p_value(self) -> pd.DataFrame:
        return self._square("p_value", np.nan)

    @property
    def n(self) -> pd.DataFrame:
        return self._square("n", np.asarray(self.col_n, dtype=np.float64)).astype("int64")

    @property
    def statistic(self) -> pd.DataFrame:
        return self._square("statistic", np.nan)

    def marked(self, digits: int = 3, leading_zero: bool = True) -> pd.DataFrame:
        """Estimates to ``digits`` decimals with ``*`` for p < .05 and ``**`` for p < .01.

        The diagonal is "1"; a missing estimate is "". ``leading_zero=False`` prints
        ".245" as SPSS does.
        """
        est = self.estimate.to_numpy()
        p = self.p_value.to_numpy()
        k = len(self.columns)
        out = np.empty((k, k), dtype=object)
        for i in range(k):
            for j in range(k):
                if i == j:
                    out[i, j] = "1"
                    continue
                e = est[i, j]
                if math.isnan(e):
                    out[i, j] = ""
                    continue
                s = f"{e:.{digits}f}"
                if not leading_zero:
                    s = s.replace("0.", ".", 1)
                pv = p[i, j]
                if not math.isnan(pv):
                    s += "**" if pv < 0.01 else ("*" if pv < 0.05 else "")
                out[i, j] = s
        return pd.DataFrame(out, index=list(self.columns), columns=list(self.columns))

    def tidy(self) -> pd.DataFrame:
        lg = self.long
        df = pd.DataFrame({
            "term": lg["var1"].astype(str) + ":" + lg["var2"].astype(str),
            "estimate": lg["estimate"],
            "std_error": np.nan,
            "statistic": lg["statistic"],
            "p_value": lg["p_value"],
            "conf_low": lg["conf_low"] if "conf_low" in lg else np.nan,
            "conf_high": lg["conf_high"] if "conf_high" in lg else np.nan,
            "var1": lg["var1"],
            "var2": lg["var2"],
            "n": lg["n"],
            "method": METHOD_NAMES[self.method],
            "alternative": self.alternative,
        })
        return make_tidy(df, extra=("var1", "var2", "n", "method", "alternative"))

    def glance(self) -> pd.DataFrame:
        return make_glance(nobs=self.nobs, variables=len(self.columns), pairs=len(self.long),
                           method=METHOD_NAMES[self.method], use=self.use,
                           alternative=self.alternative)


def _numeric_frame(data: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"'data' must be a pandas DataFrame, got {type(data).__name__}")
    cols = [str(c) for c in data.columns]
    if len(set(cols)) != len(cols):
        raise ValueError("'data' has duplicated column names")
    if len(cols) < 2:
        raise ValueError(f"'data' needs at least 2 columns to correlate, got {len(cols)}")
    out = np.empty((len(data), len(cols)), dtype=np.float64)
    for j, c in enumerate(data.columns):
        try:
            out[:, j] = _as_numeric(data[c], str(c))
        except TypeError as exc:
            raise TypeError(f"column {c!r} of 'data' is not numeric: {exc}") from None
    return out, cols


#: Above this many cells (columns x rows x columns) the pairwise ranks are made pair by pair.
_PAIRWISE_RANK_CELLS = 30_000_000


def _pairwise_centered_ranks(vals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranks of every column restricted to each pair's complete rows, all pairs at once.

    Returns ``c[i, :, j]`` (column i's average ranks among the rows where columns i and j
    are both present, minus their mean (m + 1) / 2; 0 on the other rows), ``m[i, j]``
    (those rows' count) and ``ties[i, j]`` (column i has ties among them). Sorting each
    column once, a running count of the rows each other column keeps gives the ranks.
    """
    n, k = vals.shape
    valid = ~np.isnan(vals)
    c = np.zeros((k, n, k))
    m = np.zeros((k, k), dtype=np.int64)
    ties = np.zeros((k, k), dtype=bool)
    for i in range(k):
        nv = int(valid[:, i].sum())
        if nv == 0:
            continue
        order = np.argsort(vals[:, i], kind="stable")[:nv]  # NaN sort last
        sv = vals[order, i]
        starts = np.flatnonzero(np.concatenate([[True], sv[1:] != sv[:-1]]))
        ends = np.concatenate([starts[1:], [nv]]) - 1
        keep = valid[order, :].astype(np.int64)  # rows (in i's order) each column keeps
        run = np.cumsum(keep, axis=0)
        before = np.where(starts[:, None] > 0, run[np.maximum(starts - 1, 0), :], 0)
        last = run[ends, :]
        m[i] = run[-1, :]
        ties[i] = ((last - before) >= 2).any(axis=0)
        group = np.repeat(np.arange(starts.shape[0]), ends - starts + 1)
        avg = (before + 1 + last) / 2.0
        cent = avg[group, :] - (m[i][None, :] + 1) / 2.0
        c[i, order, :] = np.where(keep == 1, cent, 0.0)
    return c, m, ties


def _spearman_pairs(vals: np.ndarray, cols: list[str], exact: bool | None,
                    alternative: str, continuity: bool) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Every pair's Spearman test, vectorised over pairs (ranks, sums and p-values)."""
    n, k = vals.shape
    iu, ju = np.triu_indices(k, 1)
    npair = iu.shape[0]
    if k * n * k <= _PAIRWISE_RANK_CELLS:
        c, mm, tt = _pairwise_centered_ranks(vals)
        # sums of products of half-integers: exact in double, whatever the order
        sxy = np.einsum("irj,jri->ij", c, c)[iu, ju]
        ss = np.einsum("irj,irj->ij", c, c)
        sxx, syy = ss[iu, ju], ss[ju, iu]
        npr = mm[iu, ju]
        ties = tt[iu, ju] | tt[ju, iu]
    else:
        valid = ~np.isnan(vals)
        sxy, sxx, syy = np.empty(npair), np.empty(npair), np.empty(npair)
        npr = np.empty(npair, dtype=np.int64)
        ties = np.zeros(npair, dtype=bool)
        for p in range(npair):
            ok = valid[:, iu[p]] & valid[:, ju[p]]
            x, y = vals[ok, iu[p]], vals[ok, ju[p]]
            npr[p] = x.shape[0]
            rx, ry = _centered_ranks(x), _centered_ranks(y)
            sxy[p], sxx[p], syy[p] = rx @ ry, rx @ rx, ry @ ry
            ties[p] = min(np.unique(x).shape[0], np.unique(y).shape[0]) < x.shape[0]
    est = np.full(npair, np.nan)
    stat = np.full(npair, np.nan)
    pval = np.full(npair, np.nan)
    used = np.zeros(npair, dtype=bool)
    notes: dict[str, list[str]] = {"few": [], "sd0": [], "ties": []}
    names = [f"{cols[i]}:{cols[j]}" for i, j in zip(iu, ju, strict=True)]
    want_exact = True if exact is None else exact
    for m in np.unique(npr):
        sel = np.flatnonzero(npr == m)
        if m < 2:
            notes["few"].extend(names[s] for s in sel)
            continue
        r, zero = _cor_from_sums(sxy[sel], sxx[sel], syy[sel], int(m) - 1)
        est[sel] = r
        notes["sd0"].extend(names[s] for s in sel[zero])
        ok = ~zero
        q = (float(m) ** 3 - m) * (1.0 - r) / 6.0
        stat[sel[ok]] = q[ok]
        tie = ties[sel] & ok
        if want_exact:
            notes["ties"].extend(names[s] for s in sel[tie])
        for tie_flag in (False, True):
            g = ok & (tie == tie_flag)
            if not g.any():
                continue
            ex = want_exact and not tie_flag
            pval[sel[g]] = _spearman_p(q[g], int(m), alternative, ex, continuity)
            used[sel[g]] = ex and m <= SPEARMAN_EXACT_MAX_N
    long = pd.DataFrame({
        "var1": [cols[i] for i in iu], "var2": [cols[j] for j in ju],
        "estimate": est, "statistic": stat, "p_value": pval, "n": npr, "exact": used,
    })
    return long, notes


def _generic_pairs(vals: np.ndarray, cols: list[str], method: str, exact: bool | None,
                   alternative: str, continuity: bool) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    k = vals.shape[1]
    rows = []
    notes: dict[str, list[str]] = {"few": [], "sd0": [], "ties": []}
    need = 3 if method == "pearson" else 2
    for i in range(k):
        for j in range(i + 1, k):
            ok = ~(np.isnan(vals[:, i]) | np.isnan(vals[:, j]))
            name = f"{cols[i]}:{cols[j]}"
            m = int(ok.sum())
            row = {"var1": cols[i], "var2": cols[j], "estimate": np.nan, "statistic": np.nan,
                   "p_value": np.nan, "n": m, "exact": False, "conf_low": np.nan, "conf_high": np.nan}
            if m < need:
                notes["few"].append(name)
                rows.append(row)
                continue
            res = _cor_test_core(vals[ok, i], vals[ok, j], method, alternative, exact,
                                 continuity, 0.95, name)
            if SD_ZERO_WARNING in res.warnings:
                notes["sd0"].append(name)
            if TIES_WARNING in res.warnings:
                notes["ties"].append(name)
            lo, hi = res.conf_int if res.conf_int is not None else (np.nan, np.nan)
            row.update(estimate=res.estimate, statistic=res.statistic, p_value=res.p_value,
                       exact=res.exact, conf_low=lo, conf_high=hi)
            rows.append(row)
    long = pd.DataFrame(rows, columns=[*LONG_COLUMNS, "conf_low", "conf_high"])
    if method != "pearson":
        long = long.drop(columns=["conf_low", "conf_high"])
    return long, notes


def _list(names: list[str], limit: int = 10) -> str:
    more = f", ... ({len(names)} in all)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def cor_matrix(data: pd.DataFrame, method: str = "spearman", use: str = "pairwise.complete.obs",
               exact: bool | None = None, *, alternative: str = "two.sided",
               continuity: bool = False) -> CorMatrixResult:
    """``cor.test`` for every pair of ``data``'s numeric columns (R: a double loop of cor.test).

    ``use="pairwise.complete.obs"``: each pair on its own complete cases (n per pair);
    ``"complete.obs"``: rows with any missing value are dropped first. A pair with too
    few complete cases gets NaN, with a warning naming it; R's warnings for ties and
    zero standard deviations are issued once, naming the pairs.
    """
    method = _check_choice(method, METHODS, "method")
    use = _check_choice(use, USES, "use")
    alternative = _check_choice(alternative, ALTERNATIVES, "alternative")
    exact = _check_exact(exact)
    vals, cols = _numeric_frame(data)
    if use == "complete.obs":
        vals = vals[~np.isnan(vals).any(axis=1)]
    if method == "spearman":
        long, notes = _spearman_pairs(vals, cols, exact, alternative, bool(continuity))
    else:
        long, notes = _generic_pairs(vals, cols, method, exact, alternative, bool(continuity))
    if notes["few"]:
        warnings.warn(f"{NOT_ENOUGH} for {len(notes['few'])} pair(s), left NaN: {_list(notes['few'])}",
                      UserWarning, stacklevel=2)
    if notes["sd0"]:
        warnings.warn(f"{SD_ZERO_WARNING} (pairs: {_list(notes['sd0'])})", UserWarning, stacklevel=2)
    if notes["ties"]:
        warnings.warn(f"{TIES_WARNING} (pairs: {_list(notes['ties'])})", UserWarning, stacklevel=2)
    col_n = tuple(int(v) for v in (~np.isnan(vals)).sum(axis=0))
    return CorMatrixResult(long=long, columns=tuple(cols), method=method, use=use,
                           alternative=alternative, nobs=int(vals.shape[0]), col_n=col_n)
