"""Ordinal (cumulative link) regression as R's ``MASS::polr`` and SPSS PLUM report it.

``polr(formula, data, method="logistic" | "probit")`` fits the proportional-odds model
in R's parametrisation, F^-1(P(Y <= j)) = zeta_j - x'beta, by Newton's method on the
exact log-likelihood with its analytic gradient and Hessian (written here); standard
errors come from the observed information at the optimum, as ``ordinal::clm``
(analytic) and ``polr(Hess = TRUE)``, whose Hessian is optim's finite difference (step
1e-3) inverted by ``MASS::ginv``: its SEs are off by a few per cent when a predictor is on
a large scale (spend in pounds), where ours agree with clm's.
statsmodels' ``OrderedModel`` fits the same model but stores the cut-points as log
increments and differentiates numerically; the tests check our log-likelihood against it.

``parallel_lines_test``: SPSS's test of parallel lines, the likelihood-ratio test of the
proportional-odds model against the general cumulative model with one slope vector per
cut-point (``VGAM::vglm(cumulative(parallel = FALSE))``), fitted here by the same Newton
code. The general model's cumulative probabilities need not be ordered; where its fit
needs negative probabilities, or does not converge, the test warns, as SPSS and VGAM do.

``brant_test``: Brant's (1990) Wald test from separate binary logits of 1(Y > j)
(statsmodels ``Logit``) and their joint covariance; omnibus and per predictor, as R's
``brant`` package prints it (written here from the paper). Both tests' results have
``tidy()`` (one row per test: statistic, df, p; estimate and CI NaN) and ``glance()``.

Bad input: a response that is not a Categorical (or given ``levels=``) is an error, as R's
"response must be a factor"; fewer than 3 levels is R's error "response must have 3 or
more levels"; a response level with no cases is an error naming it (R fits a degenerate
model silently); incomplete rows are dropped with a warning; a rank-deficient design
drops the aliased columns with R's warning; separation is detected by a linear programme
and warned about, naming the predictors.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, sparse, special, stats
from statsmodels.discrete.discrete_model import Logit

from models._formula import Design, aliased_columns, build_design
from models._result import TidyResult, make_glance, make_tidy
from models.multinomial import recession_direction

__all__ = [
    "BrantResult",
    "CumulativeFit",
    "ParallelLinesResult",
    "PolrResult",
    "brant_test",
    "fit_cumulative",
    "parallel_lines_test",
    "polr",
]

METHODS = ("logistic", "probit")
GRAD_TOL = 1e-11
"""Newton stops when the largest |score| / n falls below this."""
MAX_ITER = 200


# --------------------------------------------------------------------------- links


def _cdf(x, method):
    return special.expit(x) if method == "logistic" else special.ndtr(x)


def _sf(x, method):
    return special.expit(-x) if method == "logistic" else special.ndtr(-x)


def _pdf(x, method):
    if method == "logistic":
        with np.errstate(over="ignore"):
            return special.expit(x) * special.expit(-x)
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _dpdf(x, method):
    f = _pdf(x, method)
    if method == "logistic":
        return f * (special.expit(-x) - special.expit(x))
    return -x * f


def _finite(x):
    return np.where(np.isfinite(x), x, 0.0)


# --------------------------------------------------------------------------- core fit


@dataclass(frozen=True)
class CumulativeFit:
    """One cumulative-link fit (pure data; see :func:`fit_cumulative`).

    Parallel: ``beta`` (p,), parameters ordered (beta, zeta) as ``polr``'s ``vcov``.
    General: ``beta`` (q, p) with one row per cut-point, parameters ordered
    (zeta, beta_1, ..., beta_q).
    """

    beta: np.ndarray
    zeta: np.ndarray
    vcov: np.ndarray
    loglik: float
    fitted: np.ndarray  # (n, J) probabilities of every level
    n_iter: int
    converged: bool
    max_abs_score: float
    parallel: bool
    method: str


class _Cumulative:
    """Log-likelihood, score and Hessian of F^-1(P(Y <= j)) = zeta_j - x'beta_j."""

    def __init__(self, y: np.ndarray, X: np.ndarray, J: int, method: str, parallel: bool):
        self.y, self.X, self.J, self.method, self.parallel = y, X, J, method, parallel
        n, p = X.shape
        self.n, self.p, self.q = n, p, J - 1
        q = self.q
        self.has_up = y < q
        self.has_lo = y > 0
        self.n_par = p + q if parallel else q + q * p
        # d eta_up / d theta and d eta_lo / d theta as dense (n, P) matrices
        U = np.zeros((n, self.n_par))
        L = np.zeros((n, self.n_par))
        iu = np.flatnonzero(self.has_up)
        il = np.flatnonzero(self.has_lo)
        if parallel:
            U[iu, :p] = -X[iu]
            U[iu, p + y[iu]] = 1.0
            L[il, :p] = -X[il]
            L[il, p + y[il] - 1] = 1.0
        else:
            U[iu, y[iu]] = 1.0
            L[il, y[il] - 1] = 1.0
            for j in range(q):
                ru = iu[y[iu] == j]
                U[ru, q + j * p:q + (j + 1) * p] = -X[ru]
                rl = il[y[il] - 1 == j]
                L[rl, q + j * p:q + (j + 1) * p] = -X[rl]
        self.U, self.L = U, L

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p, q = self.p, self.q
        if self.parallel:
            return theta[:p], theta[p:]
        return theta[q:].reshape(q, p), theta[:q]

    def pack(self, beta: np.ndarray, zeta: np.ndarray) -> np.ndarray:
        if self.parallel:
            return np.concatenate([beta, zeta])
        return np.concatenate([zeta, np.asarray(beta).ravel()])

    def cut_eta(self, theta: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
        """(n, q) matrix of zeta_j - x_i'beta_j."""
        X = self.X if X is None else X
        beta, zeta = self.unpack(theta)
        if self.parallel:
            return zeta[None, :] - (X @ beta)[:, None]
        return zeta[None, :] - X @ beta.T

    def probabilities(self, theta: np.ndarray, X: np.ndarray | None = None) -> np.ndarray:
        cum = _cdf(self.cut_eta(theta, X), self.method)
        n = cum.shape[0]
        return np.diff(np.column_stack([np.zeros(n), cum, np.ones(n)]), axis=1)

    def _pieces(self, theta: np.ndarray):
        E = self.cut_eta(theta)
        idx = np.arange(self.n)
        up = np.where(self.has_up, E[idx, np.minimum(self.y, self.q - 1)], np.inf)
        lo = np.where(self.has_lo, E[idx, np.maximum(self.y - 1, 0)], -np.inf)
        m = self.method
        pr = np.where(lo > 0, _sf(lo, m) - _sf(up, m), _cdf(up, m) - _cdf(lo, m))
        return up, lo, pr

    def loglik(self, theta: np.ndarray) -> float:
        _, _, pr = self._pieces(theta)
        if not np.all(pr > 0):
            return -np.inf
        return float(np.sum(np.log(pr)))

    def derivatives(self, theta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        up, lo, pr = self._pieces(theta)
        if not np.all(pr > 0):
            return -np.inf, np.full(self.n_par, np.nan), np.full((self.n_par,) * 2, np.nan)
        m = self.method
        fu = np.where(self.has_up, _pdf(_finite(up), m), 0.0)
        fl = np.where(self.has_lo, _pdf(_finite(lo), m), 0.0)
        du = np.where(self.has_up, _dpdf(_finite(up), m), 0.0)
        dl = np.where(self.has_lo, _dpdf(_finite(lo), m), 0.0)
        gu, gl = fu / pr, -fl / pr
        huu = du / pr - gu * gu
        hll = -dl / pr - gl * gl
        hul = -gu * gl  # = f(u) f(l) / p^2
        U, L = self.U, self.L
        g = U.T @ gu + L.T @ gl
        cross = U.T @ (hul[:, None] * L)
        H = U.T @ (huu[:, None] * U) + L.T @ (hll[:, None] * L) + cross + cross.T
        return float(np.sum(np.log(pr))), g, H


def _start(y: np.ndarray, p: int, J: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    cum = np.cumsum(np.bincount(y, minlength=J))[:-1] / len(y)
    zeta = special.logit(cum) if method == "logistic" else special.ndtri(cum)
    return np.zeros(p), zeta


def fit_cumulative(y: np.ndarray, X: np.ndarray, n_levels: int, method: str = "logistic",
                   parallel: bool = True, start: tuple[np.ndarray, np.ndarray] | None = None,
                   max_iter: int = MAX_ITER, grad_tol: float = GRAD_TOL) -> CumulativeFit:
    """Maximum likelihood of a cumulative link model for codes ``y`` in 0..J-1.

    ``X`` has no intercept column (the cut-points play its part). Newton with step
    halving (a Levenberg-type damping where the Hessian is not negative definite, which
    can happen only for the general model); covariance = inverse observed information.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    y = np.asarray(y, dtype=np.int64)
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    J = int(n_levels)
    model = _Cumulative(y, X, J, method, parallel)
    if start is None:
        b0, z0 = _start(y, X.shape[1], J, method)
        if not parallel:
            b0 = np.tile(b0, (J - 1, 1))
    else:
        b0, z0 = start
        if not parallel and np.ndim(b0) == 1:
            b0 = np.tile(b0, (J - 1, 1))
    theta = model.pack(np.asarray(b0, float), np.asarray(z0, float))
    with np.errstate(all="ignore"):
        ll, g, H = model.derivatives(theta)
        if not np.isfinite(ll):
            raise ValueError("fit_cumulative: the starting values give a zero probability")
        converged = False
        it = 0
        n = len(y)
        for _ in range(max_iter):
            it += 1
            step = _newton_step(H, g)
            t = 1.0
            while True:
                cand = theta + t * step
                ll_new = model.loglik(cand)
                if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                    break
                t /= 2
                if t < 1e-12:
                    cand, ll_new = theta, ll
                    break
            change = ll_new - ll
            theta = cand
            ll, g, H = model.derivatives(theta)
            gmax = float(np.max(np.abs(g))) / n if g.size else 0.0
            if gmax < grad_tol:
                converged = True
                break
            if t < 1e-12 or (abs(change) < 1e-15 * max(1.0, abs(ll)) and gmax < 1e-6):
                break
        try:
            vcov = np.linalg.inv(-H)
        except np.linalg.LinAlgError:
            vcov = np.full_like(H, np.nan)
        fitted = model.probabilities(theta)
    beta, zeta = model.unpack(theta)
    gmax = float(np.max(np.abs(g))) / n if g.size else 0.0
    return CumulativeFit(beta=beta, zeta=zeta, vcov=vcov, loglik=float(ll), fitted=fitted,
                         n_iter=it, converged=converged, max_abs_score=gmax,
                         parallel=parallel, method=method)


def _newton_step(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    A = -H
    mu = 0.0
    scale = max(float(np.max(np.abs(np.diag(A)))), 1e-12)
    for _ in range(60):
        try:
            c = linalg.cho_factor(A + mu * np.eye(len(g)), check_finite=True)
            return linalg.cho_solve(c, g)
        except (linalg.LinAlgError, ValueError):
            mu = scale * 1e-10 if mu == 0 else mu * 10
    return g / scale


# --------------------------------------------------------------------------- inputs


def _response(design: Design, levels, caller: str) -> tuple[np.ndarray, list[str]]:
    y = design.y
    name = design.response
    if levels is not None:
        levs = list(levels)
        if len(set(map(str, levs))) != len(levs):
            raise ValueError(f"{caller}: levels= has duplicates: {levs}")
        lookup = {str(v): i for i, v in enumerate(levs)}
        ys = y.astype(object).map(str) if not isinstance(y.dtype, pd.CategoricalDtype) \
            else y.astype(str)
        bad = sorted(set(ys) - set(lookup))
        if bad:
            raise ValueError(f"{caller}: response {name!r} has values not in levels=: {bad}")
        codes = ys.map(lookup).to_numpy(dtype=np.int64)
        labels = [str(v) for v in levs]
    elif isinstance(y.dtype, pd.CategoricalDtype):
        labels = [str(v) for v in y.cat.categories]
        codes = y.cat.codes.to_numpy(dtype=np.int64)
    else:
        raise TypeError(f"{caller}: response {name!r} must be a factor: give an ordered pandas "
                        "Categorical, or the level order as levels=[...] (R: 'response must be "
                        "a factor')")
    if len(labels) <= 2:
        raise ValueError(f"{caller}: response must have 3 or more levels ({name!r} has "
                         f"{len(labels)}: {labels})")
    counts = np.bincount(codes, minlength=len(labels))
    empty = [labels[i] for i in np.flatnonzero(counts == 0)]
    if empty:
        raise ValueError(f"{caller}: response {name!r} level(s) {empty} have no cases; drop them "
                         "(e.g. .cat.remove_unused_categories()) or merge them with a neighbour "
                         "(R's polr would fit a degenerate model)")
    return codes, labels


def _prepare(formula: str, data: pd.DataFrame, levels, caller: str):
    design = build_design(formula, data, caller=caller)
    if "(Intercept)" not in design.X.columns:
        warnings.warn("an intercept is needed and assumed", stacklevel=3)
        design = build_design(formula + " + 1", data, caller=caller)
    codes, labels = _response(design, levels, caller)
    X = design.X
    alias = aliased_columns(X)
    dropped = [X.columns[j] for j in alias]
    if dropped:
        warnings.warn("design appears to be rank-deficient, so dropping some coefs: "
                      + ", ".join(dropped), stacklevel=3)
        X = X.drop(columns=dropped)
    X = X.drop(columns=["(Intercept)"])
    n_par = X.shape[1] + len(labels) - 1
    if n_par > len(codes):
        raise ValueError(f"{caller}: {n_par} parameters but only {len(codes)} cases: the model "
                         "cannot be estimated (fewer cases than parameters)")
    return design, codes, labels, X, dropped


def _separation(y: np.ndarray, X: np.ndarray, J: int) -> tuple[int, ...]:
    """Columns of X along which the proportional-odds likelihood rises for ever.

    Linear programme over directions (d_beta, d_zeta): d_zeta_{y_i} - x_i'd_beta >= 0 and
    d_zeta_{y_i - 1} - x_i'd_beta <= 0 for every case, d_zeta non-decreasing.
    """
    n, p = X.shape
    if p == 0:
        return ()
    q = J - 1
    scale = np.maximum(np.abs(X).max(axis=0), 1e-300)
    Xs = X / scale
    blocks = []
    up = np.flatnonzero(y < q)
    A_up = np.zeros((up.size, p + q))
    A_up[:, :p] = Xs[up]
    A_up[np.arange(up.size), p + y[up]] = -1.0  # -(dz - x'db) <= 0
    blocks.append(A_up)
    lo = np.flatnonzero(y > 0)
    A_lo = np.zeros((lo.size, p + q))
    A_lo[:, :p] = -Xs[lo]
    A_lo[np.arange(lo.size), p + y[lo] - 1] = 1.0  # dz - x'db <= 0
    blocks.append(A_lo)
    if q > 1:
        A_ord = np.zeros((q - 1, p + q))
        A_ord[np.arange(q - 1), p + np.arange(q - 1)] = 1.0
        A_ord[np.arange(q - 1), p + np.arange(1, q)] = -1.0
        blocks.append(A_ord)
    d = recession_direction(sparse.csr_matrix(np.vstack(blocks)))
    if d is None:
        return ()
    db = np.abs(d[:p])
    if db.max() <= 0:
        return ()
    return tuple(int(j) for j in np.flatnonzero(db > 1e-9 * db.max()))


# --------------------------------------------------------------------------- polr


@dataclass
class PolrResult(TidyResult):
    """A fitted proportional-odds model: coefficients, cut-points (zeta), fit statistics."""

    fit: CumulativeFit
    design: Design
    levels: list[str]
    terms: list[str]
    null_loglik: float
    dropped_columns: list[str] = field(default_factory=list)

    @property
    def nobs(self) -> int:
        return int(self.fit.fitted.shape[0])

    @property
    def method(self) -> str:
        return self.fit.method

    @property
    def zeta_names(self) -> list[str]:
        return [f"{a}|{b}" for a, b in zip(self.levels[:-1], self.levels[1:], strict=True)]

    def coef(self) -> pd.Series:
        """The slopes beta, as R's ``coef(polr)``."""
        return pd.Series(self.fit.beta, index=self.terms, dtype=float)

    def zeta(self) -> pd.Series:
        """The cut-points zeta_j, named "a|b" as R names them."""
        return pd.Series(self.fit.zeta, index=self.zeta_names, dtype=float)

    def vcov(self) -> pd.DataFrame:
        """Covariance of (beta, zeta), as ``vcov(polr(Hess = TRUE))``."""
        names = self.terms + self.zeta_names
        return pd.DataFrame(self.fit.vcov, index=names, columns=names)

    def fitted_values(self) -> pd.DataFrame:
        """Fitted probabilities of every level (rows sum to 1)."""
        return pd.DataFrame(self.fit.fitted, index=self.design.X.index, columns=self.levels)

    def predict_proba(self, newdata: pd.DataFrame) -> pd.DataFrame:
        Xn = self.design.transform(newdata)[self.terms].to_numpy()
        E = self.fit.zeta[None, :] - (Xn @ self.fit.beta)[:, None]
        cum = _cdf(E, self.method)
        pr = np.diff(np.column_stack([np.zeros(len(Xn)), cum, np.ones(len(Xn))]), axis=1)
        return pd.DataFrame(pr, index=newdata.index, columns=self.levels)

    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """Slopes (coef_type "coefficient") then cut-points ("zeta"): estimate, SE, z, p, Wald CI.

        ``statistic`` is R's "t value" (estimate / SE); p and CIs use the normal
        distribution, as SPSS PLUM (which also prints wald = statistic^2 on 1 df).
        """
        q = stats.norm.ppf(0.5 + conf_level / 2)
        est = np.concatenate([self.fit.beta, self.fit.zeta])
        se = np.sqrt(np.diag(self.fit.vcov))
        z = est / se
        types = ["coefficient"] * len(self.terms) + ["zeta"] * len(self.zeta_names)
        df = pd.DataFrame({
            "term": self.terms + self.zeta_names, "estimate": est, "std_error": se,
            "statistic": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
            "conf_low": est - q * se, "conf_high": est + q * se, "coef_type": types,
            "wald": z * z, "df": 1,
        })
        return make_tidy(df, extra=("coef_type", "wald", "df"))

    def glance(self) -> pd.DataFrame:
        """nobs, loglik, deviance, AIC, BIC, edf; LR test against the thresholds-only model
        and the pseudo R^2 of SPSS PLUM (Cox-Snell, Nagelkerke, McFadden)."""
        f = self.fit
        n = self.nobs
        k = len(self.terms) + len(self.zeta_names)
        ll, ll0 = f.loglik, self.null_loglik
        chisq = 2 * (ll - ll0)
        cs = 1 - math.exp(2 * (ll0 - ll) / n)
        p = len(self.terms)
        return make_glance(
            nobs=n, loglik=ll, deviance=-2 * ll, aic=-2 * ll + 2 * k, bic=-2 * ll + math.log(n) * k,
            edf=k, null_loglik=ll0, lr_chisq=chisq, lr_df=p,
            lr_p_value=float(stats.chi2.sf(chisq, p)) if p else math.nan,
            cox_snell_r2=cs, nagelkerke_r2=cs / (1 - math.exp(2 * ll0 / n)),
            mcfadden_r2=1 - ll / ll0, method=self.method, converged=f.converged,
            n_iter=f.n_iter, n_dropped=self.design.n_dropped,
        )


def _null_loglik(codes: np.ndarray, J: int) -> float:
    counts = np.bincount(codes, minlength=J).astype(float)
    return float(np.sum(counts * np.log(counts / counts.sum())))


def polr(formula: str, data: pd.DataFrame, method: str = "logistic", levels=None) -> PolrResult:
    """Proportional-odds (cumulative link) model, as ``MASS::polr(Hess = TRUE)``.

    F^-1(P(Y <= j)) = zeta_j - x'beta with F logistic or normal (``method``). The
    response is a pandas Categorical (its category order is the level order; ordered
    or not, as R takes any factor) or any column with ``levels=`` giving the order.
    """
    if method not in METHODS:
        raise ValueError(f"polr: method must be one of {METHODS}, got {method!r}")
    design, codes, labels, X, dropped = _prepare(formula, data, levels, "polr")
    J = len(labels)
    fit = fit_cumulative(codes, X.to_numpy(), J, method=method, parallel=True)
    res = PolrResult(fit=fit, design=design, levels=labels, terms=list(X.columns),
                     null_loglik=_null_loglik(codes, J), dropped_columns=dropped)
    _warn_fit(fit, codes, X, J, "polr")
    return res


def _warn_fit(fit: CumulativeFit, codes, X: pd.DataFrame, J: int, caller: str) -> None:
    observed = fit.fitted[np.arange(len(codes)), codes]
    if fit.converged and observed.max() < 1 - 1e-8:
        return
    sep = _separation(codes, X.to_numpy(), J)
    if sep:
        which = ", ".join(X.columns[j] for j in sep)
        warnings.warn(f"{caller}: fitted probabilities numerically 0 or 1 occurred: complete or "
                      f"quasi-complete separation along {which}; the maximum likelihood "
                      "estimates do not exist (coefficients and standard errors for these terms "
                      "are not meaningful)", stacklevel=3)
    elif not fit.converged:
        warnings.warn(f"{caller}: Newton iterations did not converge in {fit.n_iter} steps "
                      f"(largest score {fit.max_abs_score:.3g})", stacklevel=3)


# --------------------------------------------------------------------------- parallel lines


@dataclass(frozen=True)
class ParallelLinesResult(TidyResult):
    """SPSS's "Test of Parallel Lines": proportional-odds vs general cumulative model."""

    statistic: float
    df: int
    p_value: float
    loglik_parallel: float
    loglik_general: float
    converged_general: bool
    n_negative_probabilities: int
    general_zeta: pd.Series
    general_beta: pd.DataFrame
    """One row per cut-point "a|b", one column per predictor (polr's sign: zeta_j - x'beta_j)."""
    general_se: pd.DataFrame
    """Standard errors of the general model: column "zeta", then one per predictor."""
    method: str
    notes: tuple[str, ...] = ()
    nobs: int = field(kw_only=True)

    def table(self) -> pd.DataFrame:
        """SPSS's layout: -2 log-likelihood of each model, chi-square, df, p."""
        return pd.DataFrame({
            "model": ["Null Hypothesis", "General"],
            "neg2ll": [-2 * self.loglik_parallel, -2 * self.loglik_general],
            "statistic": [math.nan, self.statistic],
            "df": [math.nan, self.df],
            "p_value": [math.nan, self.p_value],
        })

    def tidy(self) -> pd.DataFrame:
        """One row, term "General" (SPSS's row): the LR statistic, df and p; no estimate."""
        return make_tidy([{"term": "General", "statistic": self.statistic, "p_value": self.p_value,
                           "df": self.df}], extra=("df",))

    def glance(self) -> pd.DataFrame:
        """nobs, the two log-likelihoods, the LR test, and whether the general fit is sound."""
        return make_glance(
            nobs=self.nobs, loglik_parallel=self.loglik_parallel,
            loglik_general=self.loglik_general, statistic=self.statistic, df=self.df,
            p_value=self.p_value, method=self.method, converged_general=self.converged_general,
            n_negative_probabilities=self.n_negative_probabilities,
        )


def parallel_lines_test(formula: str, data: pd.DataFrame, method: str = "logistic",
                        levels=None) -> ParallelLinesResult:
    """LR test of parallel lines (SPSS PLUM ``/PRINT = TPARALLEL``).

    Statistic = 2 (LL_general - LL_parallel) on (J - 2) * p df, where the general model
    lets every cut-point have its own slopes, as ``VGAM::vglm(cumulative(parallel =
    FALSE))`` (whose sign convention differs; the statistic does not).
    """
    if method not in METHODS:
        raise ValueError(f"parallel_lines_test: method must be one of {METHODS}, got {method!r}")
    design, codes, labels, X, _ = _prepare(formula, data, levels, "parallel_lines_test")
    J = len(labels)
    if X.shape[1] == 0:
        raise ValueError("parallel_lines_test: the model has no predictors to test")
    Xa = X.to_numpy()
    po = fit_cumulative(codes, Xa, J, method=method, parallel=True)
    _warn_fit(po, codes, X, J, "parallel_lines_test")
    gen = fit_cumulative(codes, Xa, J, method=method, parallel=False, start=(po.beta, po.zeta))
    notes = []
    neg = int(np.sum(np.any(gen.fitted < 0, axis=1)))
    if not gen.converged:
        notes.append(f"the general model did not converge in {gen.n_iter} iterations "
                     f"(largest score {gen.max_abs_score:.3g}); the log-likelihood may not be "
                     "its maximum and the validity of the test is uncertain")
    if neg:
        notes.append(f"the general model's cumulative probabilities are not ordered (negative "
                     f"fitted probabilities) for {neg} case(s); the validity of the test is "
                     "uncertain")
    for note in notes:
        warnings.warn(f"parallel_lines_test: {note}", stacklevel=2)
    stat = 2 * (gen.loglik - po.loglik)
    df = (J - 2) * X.shape[1]
    zn = [f"{a}|{b}" for a, b in zip(labels[:-1], labels[1:], strict=True)]
    q = J - 1
    gse = np.sqrt(np.abs(np.diag(gen.vcov)))
    general_se = pd.DataFrame(np.column_stack([gse[:q], gse[q:].reshape(q, -1)]), index=zn,
                              columns=["zeta", *X.columns])
    return ParallelLinesResult(
        statistic=stat, df=df, p_value=float(stats.chi2.sf(max(stat, 0.0), df)),
        loglik_parallel=po.loglik, loglik_general=gen.loglik, converged_general=gen.converged,
        n_negative_probabilities=neg, general_zeta=pd.Series(gen.zeta, index=zn),
        general_beta=pd.DataFrame(gen.beta, index=zn, columns=list(X.columns)),
        general_se=general_se, method=method,
        notes=tuple(notes), nobs=len(codes))


# --------------------------------------------------------------------------- Brant


@dataclass(frozen=True)
class BrantResult(TidyResult):
    """Brant's test of proportional odds: omnibus and one test per predictor column."""

    statistic: float
    df: int
    p_value: float
    per_term: pd.DataFrame
    """Columns term, statistic, df, p_value (one row per design column)."""
    binary_coefficients: pd.DataFrame
    """The separate binary logits of 1(Y > j): one row per cut-point "a|b"."""
    nobs: int = field(kw_only=True)

    def table(self) -> pd.DataFrame:
        """As R's ``brant`` prints it: the omnibus row, then one per predictor."""
        omni = pd.DataFrame({"term": ["Omnibus"], "statistic": [self.statistic],
                             "df": [self.df], "p_value": [self.p_value]})
        return pd.concat([omni, self.per_term], ignore_index=True)

    def tidy(self) -> pd.DataFrame:
        """:meth:`table` as a tidy table: statistic, df, p per row; no estimate or CI."""
        return make_tidy(self.table(), extra=("df",))

    def glance(self) -> pd.DataFrame:
        """nobs and the omnibus test."""
        return make_glance(nobs=self.nobs, statistic=self.statistic, df=self.df,
                           p_value=self.p_value, n_cuts=len(self.binary_coefficients))


def brant_test(formula: str, data: pd.DataFrame, levels=None) -> BrantResult:
    """Brant (1990) Wald test of the proportional-odds assumption (logit link).

    For each cut j, a binary logit of 1(Y > j) on the same predictors; with pi_j its
    fitted probabilities, Cov(b_j, b_l) = (X'W_j X)^-1 X' diag(pi_l - pi_j pi_l) X
    (X'W_l X)^-1 for j < l. The statistic is the Wald test that the slopes are equal
    across cuts: omnibus on (J - 2) p df, and per column on J - 2 df.
    """
    design, codes, labels, X, _ = _prepare(formula, data, levels, "brant_test")
    J = len(labels)
    q = J - 1
    p = X.shape[1]
    if p == 0:
        raise ValueError("brant_test: the model has no predictors to test")
    Xi = np.column_stack([np.ones(len(codes)), X.to_numpy()])
    coefs, pis, invs = [], [], []
    for j in range(q):
        z = (codes > j).astype(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = Logit(z, Xi).fit(method="newton", maxiter=100, tol=1e-14, disp=False)
        pi = r.predict()
        if np.any(pi < 1e-10) or np.any(pi > 1 - 1e-10) or not r.mle_retvals["converged"]:
            warnings.warn(f"brant_test: the binary logit for cut {labels[j]}|{labels[j + 1]} "
                          "did not converge or has fitted probabilities numerically 0 or 1 "
                          "(separation); the test is unreliable", stacklevel=2)
        coefs.append(r.params)
        pis.append(pi)
        invs.append(np.linalg.inv(Xi.T @ (Xi * (pi * (1 - pi))[:, None])))
    V = np.zeros((q * p, q * p))
    for j in range(q):
        for l in range(j, q):
            if j == l:
                blk = invs[j]
            else:
                w = pis[l] - pis[j] * pis[l]
                blk = invs[j] @ (Xi.T @ (Xi * w[:, None])) @ invs[l]
            V[j * p:(j + 1) * p, l * p:(l + 1) * p] = blk[1:, 1:]
            V[l * p:(l + 1) * p, j * p:(j + 1) * p] = blk[1:, 1:].T
    b = np.concatenate([c[1:] for c in coefs])
    D = np.zeros(((q - 1) * p, q * p))
    for m in range(1, q):
        D[(m - 1) * p:m * p, :p] = np.eye(p)
        D[(m - 1) * p:m * p, m * p:(m + 1) * p] = -np.eye(p)
    Db = D @ b
    stat = float(Db @ np.linalg.solve(D @ V @ D.T, Db))
    df = (q - 1) * p
    rows = []
    for k in range(p):
        sel = [j * p + k for j in range(q)]
        Dk = D[np.ix_([(m - 1) * p + k for m in range(1, q)], sel)]
        bk = b[sel]
        Vk = V[np.ix_(sel, sel)]
        s = float((Dk @ bk) @ np.linalg.solve(Dk @ Vk @ Dk.T, Dk @ bk))
        rows.append({"term": X.columns[k], "statistic": s, "df": q - 1,
                     "p_value": float(stats.chi2.sf(s, q - 1))})
    zn = [f"{a}|{b}" for a, b in zip(labels[:-1], labels[1:], strict=True)]
    return BrantResult(statistic=stat, df=df, p_value=float(stats.chi2.sf(stat, df)),
                       per_term=pd.DataFrame(rows), nobs=len(codes),
                       binary_coefficients=pd.DataFrame(np.array(coefs), index=zn,
                                                        columns=["(Intercept)", *X.columns]))
