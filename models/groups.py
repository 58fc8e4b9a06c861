"""Group comparisons as R's ``stats`` reports them.

* :func:`t_test` matches ``t.test`` (one-sample, paired, Welch and pooled two-sample):
  written here after ``stats:::t.test.default`` (scipy's ``ttest_ind`` returns NaN for a
  pooled test with a single value in one group, where R does not), with scipy's t
  distribution.
* :func:`aov` matches ``summary(aov(values ~ groups))`` for one factor (written here; the F
  distribution is scipy's).
* :func:`tukey_hsd` matches ``TukeyHSD(aov(...))`` including unequal group sizes
  (Tukey-Kramer); the studentized range distribution is scipy's ``studentized_range``.
  R's ``ptukey`` is a numerical integral good to about 1e-9 in absolute terms from 8
  residual df up, but coarser below (1.3e-6 at df = 4, 1e-4 at df = 2, against the exact
  two-group identity with ``pt``; scipy's is exact there); R's ``qtukey`` stops its search
  at about 1e-7. So adjusted p-values agree with R to an absolute 1e-7 from 6 residual df,
  and interval limits to about 1e-7 of their half-width.
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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
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
    else:
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
    """Per-level n, mean and sample variance (NaN where n < 2)."""
    k = len(g.levels)
    n = np.bincount(g.codes, minlength=k).astype(np.float64)
    means = np.array([g.values[g.codes == i].mean() for i in range(k)])
    var = np.array([g.values[g.codes == i].var(ddof=1) if n[i] > 1 else np.nan for i in range(k)])
    return n, means, var


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
        miss = (int(np.isnan(xa).sum()),) + ((int(np.isnan(ya).sum()),) if ya is not None else ())
        xa = xa[~np.isnan(xa)]
        ya = ya[~np.isnan(ya)] if ya is not None else None

    nx = len(xa)
    if ya is None:
        if nx < 2:
            raise ValueError("not enough 'x' observations")
        mx = float(np.mean(xa))
        stderr = float(np.sqrt(np.var(xa, ddof=1) / nx))
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
        mx, my = float(np.mean(xa)), float(np.mean(ya))
        vx = float(np.var(xa, ddof=1)) if nx > 1 else 0.0
        vy = float(np.var(ya, ddof=1)) if ny > 1 else 0.0
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
    if alternative == "less":
        pval = float(stats.t.cdf(tstat, df))
        cint = (-np.inf, tstat + float(stats.t.ppf(conf_level, df)))
    elif alternative == "greater":
        pval = float(stats.t.sf(tstat, df))
        cint = (tstat - float(stats.t.ppf(conf_level, df)), np.inf)
    else:
        pval = float(2 * stats.t.cdf(-abs(tstat), df))
        half = float(stats.t.ppf(1 - (1 - conf_level) / 2, df))
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
    grand = float(np.mean(g.values))
    df_g = float(len(g.levels) - 1)
    ss_g = float(np.sum(n * (means - grand) ** 2))
    ms_g = ss_g / df_g
    f = ms_g / ms_res if ms_res > 0 else np.nan
    p = float(stats.f.sf(f, df_g, df_res)) if np.isfinite(f) else np.nan
    table = pd.DataFrame({"df": [df_g, df_res], "sum_sq": [ss_g, ss_res], "mean_sq": [ms_g, ms_res],
                          "statistic": [f, np.nan], "p_value": [p, np.nan]},
                         index=[g.term, "Residuals"])
    return AovResult(table=table, term=g.term, levels=g.levels, group_n=tuple(int(v) for v in n),
                     group_means=tuple(float(v) for v in means), n_missing=g.n_missing)


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
def _qtukey(p: float, k: int, df: float) -> float:
    """qtukey(p, k, df): scipy's studentized_range quantile (about 0.4 s a call, hence the cache)."""
    return float(stats.studentized_range.ppf(p, k, df))


def tukey_hsd(values: Any, groups: Any, conf_level: float = 0.95, term: str | None = None) -> TukeyHSDResult:
    """R's ``TukeyHSD(aov(values ~ groups), conf.level=)`` for one factor (Tukey-Kramer when unbalanced).

    The arithmetic is written here; ``ptukey``/``qtukey`` are scipy's ``studentized_range``.
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
    qcrit = _qtukey(conf_level, k, df_res)
    width = qcrit * half
    p = np.array([float(stats.studentized_range.sf(abs(v), k, df_res)) for v in q])
    p = np.clip(p, 0.0, 1.0)
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
    if method == "holm":
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
    rows = []
    if pool_sd:
        df_tot = float(np.sum(n - 1))
        pooled = float(np.sqrt(np.sum(var * (n - 1)) / df_tot))
        for i, j in pairs:
            dif = means[i] - means[j]
            t = dif / (pooled * np.sqrt(1 / n[i] + 1 / n[j]))
            if alternative == "two.sided":
                pv = 2 * stats.t.cdf(-abs(t), df_tot)
            elif alternative == "less":
                pv = stats.t.cdf(t, df_tot)
            else:
                pv = stats.t.sf(t, df_tot)
            rows.append((g.levels[i], g.levels[j], dif, t, df_tot, float(pv)))
        method = "t tests with pooled SD"
    else:
        for i, j in pairs:
            r = t_test(g.values[g.codes == i], g.values[g.codes == j], alternative=alternative)
            rows.append((g.levels[i], g.levels[j], means[i] - means[j], r.statistic, r.parameter, r.p_value))
        method = "t tests with non-pooled SD"
    long = pd.DataFrame(rows, columns=["group1", "group2", "estimate", "statistic", "df", "p_unadjusted"])
    long["p_value"] = _p_adjust_fn(long["p_unadjusted"].to_numpy(), method_adj)
    mat = pd.DataFrame(np.nan, index=list(g.levels[1:]), columns=list(g.levels[:-1]))
    for (i, j), pv in zip(pairs, long["p_value"], strict=True):
        mat.iloc[i - 1, j] = pv
    return PairwiseTTestResult(p_value=mat, method=method, p_adjust_method=method_adj, long=long,
                               nobs=len(g.values), n_missing=g.n_missing)


_p_adjust_fn = p_adjust
