"""Binary logistic regression as R's ``glm(family = binomial)`` and SPSS's LOGISTIC REGRESSION print it.

:func:`logit` fits ``glm(formula, family = binomial, weights =)`` by R's glm.fit IRLS,
written here (its start, its stopping rule, its clamp of the fitted probabilities; the
steps before the last may solve the normal equations, whose rounding the next step
removes), converged tightly; the covariance is evaluated at the estimates. statsmodels'
GLM computes the same fit, but its overhead per call exceeded R's whole fit. Model
matrices come from :mod:`models._formula` (patsy underneath, R's treatment contrasts and
R's column names such as ``groupb``). Written here, because no library computes them as R
and SPSS do: R's log-likelihood and AIC/BIC for prior weights, Cox-Snell and Nagelkerke
R², the Hosmer-Lemeshow test, SPSS's classification table, MASS's profile-likelihood
intervals, the separation diagnosis, the score statistic and both stepwise procedures.

Conventions, each checked against R (see the tests):

* ``loglik`` is R's ``logLik``: the binomial log-likelihood with ``round(w)`` trials and
  ``round(w * y)`` successes per row (``binomial()$aic``); AIC = -2 loglik + 2 rank; BIC
  uses R's count of rows, zero-weight rows included (``nobs(logLik(fit))``), while ``nobs``
  is ``sum(w != 0)`` as R's ``nobs(fit)``.
* Cox-Snell R² = 1 - exp(-model_chisq / n) and Nagelkerke R² = Cox-Snell / (1 - exp(2 LL0
  / n)), with n = the sum of the weights (the number of cases without weights) and LL0
  the null model's log-likelihood, as SPSS defines them.
* Hosmer-Lemeshow (g = 10): groups cut at the type-7 quantiles of the fitted probabilities
  (``cut(p, quantile(p, 0:g/g), include.lowest = TRUE)``), so tied probabilities always share
  a group; chi-square over both outcome columns with g - 2 df. This is
  ``ResourceSelection::hoslem.test``'s rule. SPSS forms its "deciles of risk" by case
  counts instead, so its statistic can differ when many cases tie. Coinciding cut points
  are merged (hoslem.test stops with an error there) and df = groups - 2. Not computed
  (NaN) with weights other than 1.
* Classification table: a case is predicted 1 when its fitted probability exceeds the
  cut (``p > cut``), as SPSS's classification cutoff is documented; counts are sums of
  weights.
* Separation: R's two glm.fit warnings with R's texts ("glm.fit: algorithm did not
  converge", "glm.fit: fitted probabilities numerically 0 or 1 occurred"), then a
  :class:`SeparationWarning` naming the cause: a single column that separates the outcome
  completely or quasi-completely, a factor level (the reference level included) whose cases
  all share one outcome, or else the separating combination found by Konis's linear
  program (scipy's HiGHS). This check runs on every fit, also where R is silent; on
  ordinary data the fit's own score equations certify at once that no separation exists.
* Profile intervals (``conf_method = "profile"``) follow MASS 7.3's ``confint.glm`` (R 4.2):
  the profile is traced at steps of ``zmax / 5`` standard errors (zmax =
  sqrt(qchisq(1 - (1 - level) / 4, 1)), at most 9 steps each way) and the limits are read
  off a cubic interpolating spline of the signed root deviance (R's ``spline`` with the
  "fmm" end conditions, at 3 x points) by linear interpolation, exactly as MASS does.
"""

from __future__ import annotations

import dataclasses
import keyword
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from models._formula import aliased_columns, build_design
from models._result import TidyResult, make_glance, make_tidy

__all__ = [
    "CONF_METHODS",
    "STEPWISE_METHODS",
    "ClassificationTable",
    "GlmConvergenceWarning",
    "HosmerLemeshow",
    "LogitResult",
    "SeparationWarning",
    "StepwiseResult",
    "logit",
    "removal_tests",
    "score_tests",
    "stepwise_logit",
]

CONF_METHODS = ("wald", "profile")
STEPWISE_METHODS = ("forward_lr", "forward_wald", "forward_conditional", "backward_lr",
                    "backward_wald", "backward_conditional", "aic")

DEFAULT_TOL = 1e-12
"""IRLS stops when |dev - dev_old| <= tol * (|dev| + 0.1) (R's rule, ``glm.control(epsilon)``)."""
DEFAULT_MAXITER = 100

_EPS01 = 10 * np.finfo(float).eps  # glm.fit's "numerically 0 or 1"


class SeparationWarning(UserWarning):
    """Fitted probabilities of 0 or 1: R's glm.fit warning, and which predictor causes it."""


class GlmConvergenceWarning(UserWarning):
    """IRLS did not converge within ``maxiter`` (R: "glm.fit: algorithm did not converge")."""


# --------------------------------------------------------------------------- numerics


@dataclass(frozen=True, eq=False)
class _Fit:
    """One binomial GLM fit on the columns that are not aliased."""

    params: np.ndarray      # kept columns only
    cov: np.ndarray
    mu: np.ndarray
    deviance: float
    converged: bool
    iterations: int


def _dev_resids(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> np.ndarray:
    """binomial()$dev.resids: 2 w (y log(y/mu) + (1-y) log((1-y)/(1-mu)))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if ((y == 0) | (y == 1)).all():  # y log y = 0: the same numbers, two calls fewer
            a = -special.xlogy(y, mu)
            b = -special.xlogy(1 - y, 1 - mu)
        else:
            a = special.xlogy(y, y) - special.xlogy(y, mu)
            b = special.xlogy(1 - y, 1 - y) - special.xlogy(1 - y, 1 - mu)
    return 2.0 * w * (a + b)


def _deviance(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(_dev_resids(y, mu, w)))


def _loglik(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
    """R's binomial log-likelihood: sum over w > 0 of dbinom(round(w y), round(w), mu, log).

    scipy's ``binom.logpmf`` arithmetic (its ``_logpmf``), called directly: the cases here
    all lie in the support.
    """
    pos = w > 0
    m = np.round(w[pos])
    k = np.round(w[pos] * y[pos])
    p = mu[pos]
    if (m == 1).all():  # one trial each: log choose(1, k) = gammaln(2) - ... = 0 exactly
        combiln = 0.0
    else:
        combiln = special.gammaln(m + 1) - (special.gammaln(k + 1) + special.gammaln(m - k + 1))
    return float(np.sum(combiln + special.xlogy(k, p) + special.xlog1py(m - k, -p)))


_EPS = np.finfo(float).eps
_THRESH = 30.0


def _linkinv(eta: np.ndarray) -> np.ndarray:
    """binomial()$linkinv: the logistic function with R's clamp (eps beyond |eta| > 30)."""
    return _link_parts(eta)[0]


def _link_parts(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """binomial()$linkinv and $mu.eta at ``eta``, as R's C code computes them (one exp)."""
    big = np.abs(eta) > _THRESH
    if big.any():
        e = np.exp(np.clip(eta, -_THRESH, _THRESH))
        e[eta < -_THRESH] = _EPS
        e[eta > _THRESH] = 1.0 / _EPS
    else:
        e = np.exp(eta)
    ope = 1.0 + e
    mu = e / ope
    mu_eta = e / (ope * ope)
    if big.any():
        mu_eta[big] = _EPS
    return mu, mu_eta


def _wls(X: np.ndarray, eta: np.ndarray, off: np.ndarray, y: np.ndarray, w: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """One IRLS step of glm.fit at ``eta``: the weighted least-squares coefficients and R's R."""
    mu, me = _link_parts(eta)
    good = (w > 0) & (me != 0)
    if not good.all():
        X, eta, off, y, w, mu, me = (a[good] for a in (X, eta, off, y, w, mu, me))
    z = (eta - off) + (y - mu) / me
    sw = np.sqrt(w * me * me / (mu * (1.0 - mu)))
    q, r = np.linalg.qr(X * sw[:, None])
    beta = np.linalg.solve(r, q.T @ (z * sw))  # numpy's LAPACK: scipy's here contends for threads
    return beta, r


def _step(X: np.ndarray, y: np.ndarray, w: np.ndarray, mu: np.ndarray, me: np.ndarray,
          wpos: np.ndarray) -> np.ndarray | None:
    """The IRLS step at (mu, mu.eta) as an increment from the coefficients behind them.

    (X'WX) d = X'W (y - mu) / mu.eta by the normal equations, with W = w mu.eta (the logit's
    mu.eta is its variance): cheaper than the QR, and its rounding is relative to the step,
    which vanishes at the optimum, so the estimates carry no trace of it. None (the caller
    then takes R's QR step) when the weights span more than six orders of magnitude (R's
    clamp, separation) or X'WX is singular to working precision.
    """
    if not wpos.all():
        X, y, w, mu, me = (a[wpos] for a in (X, y, w, mu, me))
    ww = w * me
    if not len(ww) or ww.min() < 1e-6 * ww.max():
        return None
    try:
        return np.linalg.solve((X * ww[:, None]).T @ X, X.T @ (w * (y - mu)))
    except np.linalg.LinAlgError:
        return None


def _irls(X: np.ndarray, y: np.ndarray, w: np.ndarray, offset: np.ndarray | None,
          tol: float, maxiter: int, eta_start: np.ndarray | None = None, cov: bool = True) -> _Fit:
    """R's glm.fit for the binomial logit: IRLS with R's start, stopping rule and clamp.

    Written here (statsmodels' GLM computes the same fit, with more overhead per call than
    the whole fit here). As in R, the estimates, fitted values and deviance are the last
    iterate's; the covariance (X'WX)^-1 is taken at the estimates. ``eta_start`` is R's
    ``etastart``. ``cov=False`` leaves the covariance out (NaN), for the profile's fits.
    """
    if maxiter < 1:
        raise ValueError("maximum number of iterations must be > 0")
    n = len(y)
    off = np.zeros(n) if offset is None else offset
    if X.shape[1] == 0:
        mu = _linkinv(off)
        return _Fit(np.empty(0), np.empty((0, 0)), mu, _deviance(y, mu, w), True, 0)
    if eta_start is None:
        mustart = (w * y + 0.5) / (w + 1.0)  # binomial()$initialize
        eta = np.log(mustart / (1.0 - mustart))
    else:
        eta = eta_start
    wpos = w > 0
    y1 = y == 1
    if ((y == 0) | y1).all():  # 0/1 outcome: the deviance is -2 sum w log P(observed)
        def deviance(mu: np.ndarray) -> float:
            with np.errstate(divide="ignore", invalid="ignore"):
                return float(-2.0 * (w @ np.log(np.where(y1, mu, 1.0 - mu))))
    else:
        def deviance(mu: np.ndarray) -> float:
            return _deviance(y, mu, w)
    mu, me = _link_parts(eta)
    devold = deviance(mu)
    converged = False
    iterations = 0
    beta = None
    for it in range(1, maxiter + 1):
        iterations = it
        d = None if beta is None else _step(X, y, w, mu, me, wpos)
        beta = _wls(X, eta, off, y, w)[0] if d is None else beta + d
        eta = X @ beta + off
        mu, me = _link_parts(eta)
        dev = deviance(mu)
        if abs(dev - devold) / (abs(dev) + 0.1) < tol:
            converged = True
            break
        devold = dev
    # the covariance at the estimates themselves (R's comes from the weights one step back,
    # which differ from these by the last step's size: up to 1e-7 relative at epsilon 1e-12)
    if not cov:
        return _Fit(beta, np.full((len(beta), len(beta)), np.nan), mu, dev, converged, iterations)
    _, r = _wls(X, eta, off, y, w)
    rinv = np.linalg.inv(r)
    return _Fit(beta, rinv @ rinv.T, mu, dev, converged, iterations)


def _null_deviance(y: np.ndarray, w: np.ndarray, intercept: bool) -> float:
    mu0 = np.full(len(y), np.sum(w * y) / np.sum(w) if intercept else 0.5)
    return _deviance(y, mu0, w)


# --------------------------------------------------------------------------- outcome and weights


def _outcome(y: pd.Series, name: str) -> np.ndarray:
    """R's binomial outcome coding: factor -> not the first level; logical; numbers in [0, 1]."""
    if isinstance(y.dtype, pd.CategoricalDtype):
        cats = list(y.cat.categories)
        if len(cats) > 2:
            warnings.warn(f"logit: outcome {name!r} has {len(cats)} levels: the first "
                          f"({cats[0]!r}) is failure and all others success, as R's binomial family "
                          "codes a factor", stacklevel=3)
        return (np.asarray(y.cat.codes) != 0).astype(np.float64)
    if pd.api.types.is_bool_dtype(y):
        return y.to_numpy(dtype=np.float64)
    if not pd.api.types.is_numeric_dtype(y):
        raise ValueError(f"logit: outcome {name!r} is not numeric: code it 0/1 or make it a pandas "
                         "Categorical (first level = failure)")
    v = y.to_numpy(dtype=np.float64)
    if ((v < 0) | (v > 1)).any():
        raise ValueError(f"logit: outcome {name!r}: y values must be 0 <= y <= 1")
    return v


def _weights(weights: Any, data: pd.DataFrame) -> np.ndarray | None:
    if weights is None:
        return None
    if isinstance(weights, str):
        if weights not in data.columns:
            raise KeyError(f"logit: weights column {weights!r} is not in data")
        w = data[weights].to_numpy(dtype=np.float64)
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
    if len(w) != len(data):
        raise ValueError(f"logit: weights has {len(w)} values but data has {len(data)} rows")
    if (w[~np.isnan(w)] < 0).any():
        raise ValueError("logit: negative weights not allowed")
    return w


def _prepare(formula: str, data: pd.DataFrame, weights: Any, caller: str):
    """(design, y, w, weighted); rows missing the weight are dropped as R's na.omit does."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{caller}: data must be a pandas DataFrame, got {type(data).__name__}")
    data = data.reset_index(drop=True)
    w = _weights(weights, data)
    if w is not None and np.isnan(w).any():
        bad = int(np.isnan(w).sum())
        warnings.warn(f"{caller}: {bad} observation{'s' if bad != 1 else ''} deleted due to "
                      "missing weights (na.omit)", stacklevel=3)
        keep = ~np.isnan(w)
        data, w = data.loc[keep].reset_index(drop=True), w[keep]
    design = build_design(formula, data, caller=caller)
    pos = design.X.index.to_numpy()
    y = _outcome(design.y, design.response)
    w = np.ones(len(y)) if w is None else w[pos]
    weighted = not np.all(w == 1.0)
    m = w * y
    if (np.abs(m - np.round(m)) > 0.001).any():
        warnings.warn("non-integer #successes in a binomial glm!", stacklevel=3)
    return design, y, w, weighted


# --------------------------------------------------------------------------- separation


def _separation_messages(X: pd.DataFrame, y: np.ndarray, w: np.ndarray,
                         skip: frozenset[str] = frozenset()) -> list[str]:
    """Which single columns separate a 0/1 outcome, completely or quasi-completely.

    With an intercept in the model, either kind means the maximum-likelihood estimate does
    not exist (Albert and Anderson 1984): the coefficient runs off to infinity.
    """
    pos = w > 0
    yy = y[pos]
    out: list[str] = []
    if "(Intercept)" not in X.columns or not np.all((yy == 0) | (yy == 1)):
        return out
    A = X.to_numpy()[pos]
    A0, A1 = A[yy == 0], A[yy == 1]
    if not len(A0) or not len(A1):
        return out
    max0, min0, max1, min1 = A0.max(axis=0), A0.min(axis=0), A1.max(axis=0), A1.min(axis=0)
    touching = (max0 <= min1) | (max1 <= min0)  # the only columns that can separate
    for j in np.flatnonzero(touching):
        name = X.columns[j]
        if name == "(Intercept)" or name in skip:
            continue
        x = A[:, j]
        binary = bool(np.all((x == 0) | (x == 1)))
        if max0[j] < min1[j] or max1[j] < min0[j]:
            up = max0[j] < min1[j]
            cut = max0[j] if up else max1[j]
            out.append(f"{name!r} separates the outcome completely: every case with {name} > "
                       f"{cut:.6g} has outcome {1 if up else 0}, every other case outcome "
                       f"{0 if up else 1}")
        else:
            up = max0[j] <= min1[j]
            edge = max0[j] if up else max1[j]
            if binary:
                out.append(f"{name!r} separates the outcome quasi-completely: every case with "
                           f"{name} = 1 has outcome {1 if up else 0}")
            else:
                out.append(f"{name!r} separates the outcome quasi-completely: every case with "
                           f"{name} > {edge:.6g} has outcome {1 if up else 0} and every case below "
                           f"it outcome {0 if up else 1}; only cases at {edge:.6g} have both")
    return out


def _factor_level_messages(X: pd.DataFrame, y: np.ndarray, w: np.ndarray,
                           factor_terms: dict[str, list[str]]) -> list[str]:
    """Levels of a factor (the reference level included) whose cases all share one outcome."""
    pos = w > 0
    out = []
    names = list(X.columns)
    A = X.to_numpy()[pos]
    yy = y[pos]
    for term, cols in factor_terms.items():
        cols = [c for c in cols if c in names]
        if not cols:
            continue
        D = A[:, [names.index(c) for c in cols]]
        ref = ~(D != 0).any(axis=1)
        groups = [(f"the reference level of {term}", ref)] + [
            (f"level {c[len(term):]!r} of {term}", D[:, j] == 1) for j, c in enumerate(cols)]
        for label, rows in groups:
            if rows.sum() and np.all(yy[rows] == yy[rows][0]):
                out.append(f"every case at {label} has outcome {int(yy[rows][0])}")
    return out


CERTIFICATE_MARGIN = 1e-6
"""Smallest multiplier, relative to the largest, that :func:`_overlap_certificate` accepts."""


def _overlap_certificate(X: np.ndarray, y: np.ndarray, w: np.ndarray, mu: np.ndarray) -> bool:
    """True when the fit itself proves that no combination of columns separates the outcome.

    By Gordan's alternative, no b != 0 has (2y - 1) x'b >= 0 for every case (X of full column
    rank) exactly when some multipliers l > 0 give sum l_i (2y_i - 1) x_i = 0. At the MLE the
    score equation supplies them: l_i = w_i |y_i - mu_i|. Here the small remaining score is
    removed by the least-norm correction, and the certificate holds if every multiplier stays
    above ``CERTIFICATE_MARGIN`` times the largest. Every separation that the single-column,
    factor-level and linear-program checks of :func:`_warn_fit` name is such a direction, so
    on ordinary data the certificate answers for them; when it fails, they decide.
    """
    pos = w > 0
    A = X[pos] * (2.0 * y[pos] - 1.0)[:, None]
    lam = w[pos] * np.abs(y[pos] - mu[pos])
    if not len(lam) or not np.all(np.isfinite(lam)):
        return False
    try:
        corr = A @ np.linalg.solve(A.T @ A, A.T @ lam)
    except np.linalg.LinAlgError:
        return False
    lam = lam - corr
    top = lam.max()
    return bool(top > 0 and lam.min() > CERTIFICATE_MARGIN * top)


def _lp_separation(X: pd.DataFrame, y: np.ndarray, w: np.ndarray) -> list[str] | None:
    """Konis's linear program: is there b with (2y - 1) x'b >= 0 for every case, not all zero?

    Returns the columns of such a b (the separating combination), or None when the outcome
    is not separated (the maximum-likelihood estimate is finite). scipy's HiGHS solves it.
    """
    from scipy.optimize import linprog  # noqa: PLC0415

    pos = w > 0
    A = X.to_numpy(dtype=np.float64)[pos]
    scale = np.max(np.abs(A), axis=0)
    scale[scale == 0] = 1.0
    A = A / scale
    sgn = 2 * y[pos] - 1
    S = sgn[:, None] * A
    res = linprog(-S.sum(axis=0), A_ub=-S, b_ub=np.zeros(len(S)), bounds=[(-1, 1)] * A.shape[1],
                  method="highs")
    if res.status != 0 or -res.fun <= 1e-7 * len(S):
        return None
    b = res.x
    return [c for c, v in zip(X.columns, b, strict=True) if abs(v) > 1e-7]


def _warn_fit(fit: _Fit, X: pd.DataFrame, y: np.ndarray, w: np.ndarray, maxiter: int,
              factor_terms: dict[str, list[str]] | None = None) -> None:
    """R's glm.fit warnings, in R's order, then whether and how the outcome is separated.

    The separation check runs on every fit, also where R stays silent (quasi-complete
    separation with R's default epsilon stops before the probabilities reach 0 or 1): single
    columns, factor levels (the reference level too), then Konis's linear program for a
    separating combination.
    """
    if not fit.converged:
        warnings.warn("glm.fit: algorithm did not converge", GlmConvergenceWarning, stacklevel=3)
    numerically01 = bool((fit.mu > 1 - _EPS01).any() or (fit.mu < _EPS01).any())
    if numerically01:
        warnings.warn("glm.fit: fitted probabilities numerically 0 or 1 occurred", SeparationWarning,
                      stacklevel=3)
    binary = bool(np.all((y[w > 0] == 0) | (y[w > 0] == 1)))
    msgs: list[str] = []
    # every separation the checks below can name is a separating direction, which the
    # certificate rules out: on ordinary data it answers for all of them at once
    if binary and not _overlap_certificate(X.to_numpy(dtype=np.float64), y, w, fit.mu):
        dummies = frozenset(c for cols in (factor_terms or {}).values() for c in cols)
        msgs = _separation_messages(X, y, w, skip=dummies)
        if "(Intercept)" in X.columns:
            msgs += _factor_level_messages(X, y, w, factor_terms or {})
        if not msgs:
            combo = _lp_separation(X, y, w)
            if combo:
                msgs.append("a combination of predictors separates the outcome: " + ", ".join(combo))
    if msgs or numerically01:
        detail = "; ".join(msgs) if msgs else "some cases are fitted with probability 0 or 1"
        warnings.warn(f"logit: separation: {detail}. The estimates of the separating terms "
                      "(and their standard errors) are not finite in truth: do not report them.",
                      SeparationWarning, stacklevel=3)


# --------------------------------------------------------------------------- spline (MASS confint)


def _regularize(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's regularize.values(ties = mean): sort by x (stably), average y over tied x."""
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    ux, inv = np.unique(x, return_inverse=True)
    if len(ux) == len(x):
        return x, y
    sums = np.bincount(inv, weights=y)
    counts = np.bincount(inv)
    return ux, sums / counts


def _divided_difference(x: np.ndarray, y: np.ndarray) -> float:
    """The highest-order divided difference f[x0, ..., xk] of the points given."""
    c = np.array(y, dtype=np.float64)
    for j in range(1, len(x)):
        c[j:] = (c[j:] - c[j - 1:-1]) / (x[j:] - x[:-j])
    return float(c[-1])


def _fmm_spline(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """The interpolating cubic spline with Forsythe-Malcolm-Moler end conditions (R's "fmm").

    End conditions: the spline's third derivative on the first (last) interval equals that
    of the cubic through the first (last) four points; with three points it is zero (the
    interpolating parabola), with two the spline is the line. Solved here for the second
    derivatives at the knots.
    """
    n = len(x)
    if n == 1:
        return np.full(len(xout), y[0])
    h = np.diff(x)
    if n == 2:
        return y[0] + (xout - x[0]) * (y[1] - y[0]) / h[0]
    delta = np.diff(y) / h
    A = np.zeros((n, n))
    b = np.zeros(n)
    for i in range(1, n - 1):
        A[i, i - 1], A[i, i], A[i, i + 1] = h[i - 1], 2 * (h[i - 1] + h[i]), h[i]
        b[i] = 6 * (delta[i] - delta[i - 1])
    # (M1 - M0) / h0 = s''' on the first interval; likewise at the end
    A[0, 0], A[0, 1] = -1.0 / h[0], 1.0 / h[0]
    A[-1, -2], A[-1, -1] = -1.0 / h[-1], 1.0 / h[-1]
    if n > 3:
        b[0] = 6 * _divided_difference(x[:4], y[:4])
        b[-1] = 6 * _divided_difference(x[-4:], y[-4:])
    M = np.linalg.solve(A, b)
    i = np.clip(np.searchsorted(x, xout, side="right") - 1, 0, n - 2)
    hi = h[i]
    left, right = x[i + 1] - xout, xout - x[i]
    return (M[i] * left**3 / (6 * hi) + M[i + 1] * right**3 / (6 * hi)
            + (y[i] / hi - M[i] * hi / 6) * left + (y[i + 1] / hi - M[i + 1] * hi / 6) * right)


def _seq_length_out(a: float, b: float, n: int) -> np.ndarray:
    """R's seq.int(a, b, length.out = n)."""
    if n == 1:
        return np.array([a])
    by = (b - a) / (n - 1)
    out = a + np.arange(n) * by
    out[-1] = b
    return out


def _approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R's approx(x, y, xout) with rule = 1 (NA outside) and ties = mean."""
    x, y = _regularize(x, y)
    res = np.interp(xout, x, y)
    res[(xout < x[0]) | (xout > x[-1])] = np.nan
    return res


def _profile_limits(par: np.ndarray, z: np.ndarray, level: float) -> tuple[float, float]:
    """MASS's confint.profile.glm for one parameter: spline the profile, invert linearly."""
    order = np.argsort(z, kind="stable")
    px, pz = _regularize(par[order], z[order])
    xs = _seq_length_out(px[0], px[-1], 3 * len(px))
    ys = _fmm_spline(px, pz, xs)
    a = (1 - level) / 2
    lo, hi = _approx(ys, xs, stats.norm.ppf([a, 1 - a]))
    return float(lo), float(hi)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class HosmerLemeshow:
    """Hosmer-Lemeshow test: statistic, df, p_value and the table of groups."""

    statistic: float
    df: float                 # groups - 2; NaN where not computed
    p_value: float
    groups: int
    table: pd.DataFrame = field(repr=False)  # per group: n, observed_1, expected_1, observed_0, expected_0


@dataclass(frozen=True, eq=False)
class ClassificationTable:
    """SPSS's classification table: observed (rows 0, 1) by predicted (columns 0, 1)."""

    table: pd.DataFrame
    cut: float
    sensitivity: float        # % of observed 1 predicted 1, as a proportion
    specificity: float        # % of observed 0 predicted 0, as a proportion
    percent_correct: float    # overall, as a percentage (SPSS prints percentages)
    ppv: float
    npv: float


@dataclass(frozen=True, eq=False)
class LogitResult(TidyResult):
    """A fitted ``glm(family = binomial)`` with SPSS's extras."""

    formula: str
    terms: tuple[str, ...]
    coef: np.ndarray
    std_error: np.ndarray
    cov: pd.DataFrame
    aliased: tuple[str, ...]
    conf_method: str
    conf_level: float
    conf_int: np.ndarray
    fitted: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    X: pd.DataFrame = field(repr=False)
    deviance: float
    null_deviance: float
    loglik: float
    rank: int
    df_residual: int
    df_null: int
    converged: bool
    iterations: int
    n_missing: int
    weighted: bool
    term_columns: dict = field(repr=False, default_factory=dict)
    design: Any = field(repr=False, default=None)
    tol: float = DEFAULT_TOL
    maxiter: int = DEFAULT_MAXITER

    # ---- model-level figures

    @property
    def nobs(self) -> int:
        """R's nobs(fit): rows with non-zero weight."""
        return int(np.sum(self.weights != 0))

    @property
    def aic(self) -> float:
        return -2 * self.loglik + 2 * self.rank

    @property
    def bic(self) -> float:
        return -2 * self.loglik + np.log(len(self.y)) * self.rank

    @property
    def model_chisq(self) -> float:
        return self.null_deviance - self.deviance

    @property
    def model_df(self) -> int:
        return self.df_null - self.df_residual

    @property
    def model_p(self) -> float:
        return float(stats.chi2.sf(self.model_chisq, self.model_df)) if self.model_df > 0 else np.nan

    @property
    def null_loglik(self) -> float:
        return self.loglik - self.model_chisq / 2

    @property
    def cox_snell_r2(self) -> float:
        n = float(np.sum(self.weights))
        return float(-np.expm1(-self.model_chisq / n))

    @property
    def nagelkerke_r2(self) -> float:
        n = float(np.sum(self.weights))
        return float(self.cox_snell_r2 / -np.expm1(2 * self.null_loglik / n))

    @property
    def wald(self) -> np.ndarray:
        return (self.coef / self.std_error) ** 2

    # ---- tables

    def tidy(self) -> pd.DataFrame:
        """B, SE, z, p, CI of B; then wald = (B/SE)², df = 1, odds_ratio and its CI (SPSS's Exp(B))."""
        z = self.coef / self.std_error
        rows = pd.DataFrame({
            "term": list(self.terms), "estimate": self.coef, "std_error": self.std_error,
            "statistic": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
            "conf_low": self.conf_int[:, 0], "conf_high": self.conf_int[:, 1],
            "wald": z**2, "df": np.where(np.isnan(self.coef), np.nan, 1.0),
            "odds_ratio": np.exp(self.coef), "or_conf_low": np.exp(self.conf_int[:, 0]),
            "or_conf_high": np.exp(self.conf_int[:, 1]),
        })
        return make_tidy(rows, extra=("wald", "df", "odds_ratio", "or_conf_low", "or_conf_high"))

    def glance(self) -> pd.DataFrame:
        hl = self.hosmer_lemeshow()
        return make_glance(
            nobs=self.nobs, loglik=self.loglik, aic=self.aic, bic=self.bic, deviance=self.deviance,
            null_deviance=self.null_deviance, df_null=self.df_null, df_residual=self.df_residual,
            model_chisq=self.model_chisq, model_df=self.model_df, model_p=self.model_p,
            minus2ll=-2 * self.loglik, cox_snell_r2=self.cox_snell_r2,
            nagelkerke_r2=self.nagelkerke_r2, hosmer_lemeshow_chisq=hl.statistic,
            hosmer_lemeshow_df=hl.df, hosmer_lemeshow_p=hl.p_value, converged=self.converged,
            iterations=self.iterations, n_missing=self.n_missing)

    def hosmer_lemeshow(self, g: int = 10) -> HosmerLemeshow:
        """Hosmer-Lemeshow with ``g`` groups cut at quantiles of the fitted probabilities (see module doc)."""
        p, y = self.fitted, self.y
        if self.weighted or not np.all((y == 0) | (y == 1)):
            return HosmerLemeshow(np.nan, np.nan, np.nan, 0, pd.DataFrame())
        breaks = np.unique(_quantile7(p, np.arange(g + 1) / g))
        if len(breaks) < 2:
            return HosmerLemeshow(np.nan, np.nan, np.nan, 1, pd.DataFrame())
        # cut(include.lowest = TRUE): (b_{j-1}, b_j], the first closed on the left
        grp = np.clip(np.searchsorted(breaks, p, side="left") - 1, 0, len(breaks) - 2)
        k = len(breaks) - 1
        tab = pd.DataFrame({
            "n": np.bincount(grp, minlength=k),
            "observed_1": np.bincount(grp, weights=y, minlength=k),
            "expected_1": np.bincount(grp, weights=p, minlength=k),
            "observed_0": np.bincount(grp, weights=1 - y, minlength=k),
            "expected_0": np.bincount(grp, weights=1 - p, minlength=k),
        })
        tab = tab[tab["n"] > 0].reset_index(drop=True)
        chisq = float(np.sum((tab["observed_1"] - tab["expected_1"]) ** 2 / tab["expected_1"])
                      + np.sum((tab["observed_0"] - tab["expected_0"]) ** 2 / tab["expected_0"]))
        df = float(len(tab) - 2)
        pv = float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan
        return HosmerLemeshow(chisq, df, pv, len(tab), tab)

    def classification_table(self, cut: float = 0.5) -> ClassificationTable:
        """SPSS's classification table at ``cut``: predicted 1 when the fitted probability > cut."""
        if not 0 < cut < 1:
            raise ValueError(f"cut must lie strictly between 0 and 1, got {cut!r}")
        if not np.all((self.y == 0) | (self.y == 1)):
            raise ValueError("classification_table needs a 0/1 outcome (this fit has proportions)")
        pred = (self.fitted > cut).astype(int)
        w = self.weights
        counts = np.zeros((2, 2))
        for o in (0, 1):
            for q in (0, 1):
                counts[o, q] = np.sum(w[(self.y == o) & (pred == q)])
        tab = pd.DataFrame(counts, index=pd.Index([0, 1], name="observed"),
                           columns=pd.Index([0, 1], name="predicted"))
        tab["percent_correct"] = [100 * counts[0, 0] / counts[0].sum() if counts[0].sum() else np.nan,
                                  100 * counts[1, 1] / counts[1].sum() if counts[1].sum() else np.nan]
        total = counts.sum()
        return ClassificationTable(
            table=tab, cut=cut,
            sensitivity=_ratio(counts[1, 1], counts[1].sum()),
            specificity=_ratio(counts[0, 0], counts[0].sum()),
            percent_correct=100 * (counts[0, 0] + counts[1, 1]) / total,
            ppv=_ratio(counts[1, 1], counts[:, 1].sum()),
            npv=_ratio(counts[0, 0], counts[:, 0].sum()))

    def predict(self, newdata: pd.DataFrame | None = None, type: str = "response") -> np.ndarray:
        """Fitted probabilities (``type="response"``) or the linear predictor (``"link"``)."""
        if type not in ("response", "link"):
            raise ValueError(f"type must be 'response' or 'link', got {type!r}")
        keep = [t for t in self.terms if t not in self.aliased]
        b = self.coef[[self.terms.index(t) for t in keep]]
        if newdata is not None and self.design is None:
            raise ValueError("predict(newdata) needs the model's design: refit with logit()")
        X = self.X[keep] if newdata is None else self.design.transform(newdata)[keep]
        eta = X.to_numpy() @ b
        return special.expit(eta) if type == "response" else eta

    def confint(self, method: str = "wald", level: float = 0.95) -> pd.DataFrame:
        """Intervals for B: Wald, or MASS's profile likelihood (see the module docstring)."""
        ci = _conf_int(self, method, level)
        return pd.DataFrame(ci, index=list(self.terms), columns=["conf_low", "conf_high"])


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else np.nan


def _quantile7(x: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """R's quantile(x, probs, type = 7), written as R computes it."""
    xs = np.sort(x)
    n = len(xs)
    index = 1 + max(n - 1, 0) * probs
    lo = np.floor(index).astype(int)
    hi = np.ceil(index).astype(int)
    qs = xs[lo - 1]
    h = index - lo
    adj = (index > lo) & (xs[hi - 1] != qs)
    qs = np.where(adj, (1 - h) * qs + h * xs[hi - 1], qs)
    return qs


# --------------------------------------------------------------------------- fitting


def _factor_terms(design: Any) -> dict[str, list[str]]:
    """Main-effect factor terms of a design and their dummy columns."""
    return {t: cols for t, cols in design.term_columns.items() if t in design.factor_columns}


def _fit_matrix(X: pd.DataFrame, y: np.ndarray, w: np.ndarray, tol: float, maxiter: int
                ) -> tuple[_Fit, list[str], list[str]]:
    A = X.to_numpy(dtype=np.float64)
    al = aliased_columns(A * np.sqrt(w)[:, None])
    aliased = [X.columns[j] for j in al]
    kept = [c for c in X.columns if c not in aliased]
    fit = _irls(np.delete(A, al, axis=1) if al else A, y, w, None, tol, maxiter)
    return fit, kept, aliased


def _assemble(formula: str, X: pd.DataFrame, y: np.ndarray, w: np.ndarray, fit: _Fit,
              kept: list[str], aliased: list[str], n_missing: int, weighted: bool,
              conf_method: str, conf_level: float, term_columns: dict, design: Any,
              tol: float, maxiter: int) -> LogitResult:
    terms = tuple(X.columns)
    idx = [terms.index(c) for c in kept]
    cols = X.columns if len(idx) == len(terms) else X.columns[idx]  # kept, as an Index
    coef = np.full(len(terms), np.nan)
    se = np.full(len(terms), np.nan)
    coef[idx] = fit.params
    se[idx] = np.sqrt(np.diag(fit.cov))
    intercept = "(Intercept)" in terms
    n_ok = int(np.sum(w != 0))
    rank = len(kept)
    if conf_method == "wald" and 0 < conf_level < 1:
        q = special.ndtri(1 - (1 - conf_level) / 2)  # stats.norm.ppf's arithmetic
        ci = np.column_stack([coef - q * se, coef + q * se])
    else:
        ci = np.full((len(terms), 2), np.nan)
    res = LogitResult(
        formula=formula, terms=terms, coef=coef, std_error=se,
        cov=pd.DataFrame(fit.cov, index=cols, columns=cols), aliased=tuple(aliased),
        conf_method=conf_method, conf_level=conf_level, conf_int=ci,
        fitted=fit.mu, y=y, weights=w, X=X, deviance=fit.deviance,
        null_deviance=_null_deviance(y, w, intercept), loglik=_loglik(y, fit.mu, w), rank=rank,
        df_residual=n_ok - rank, df_null=n_ok - int(intercept), converged=fit.converged,
        iterations=fit.iterations, n_missing=n_missing, weighted=weighted,
        term_columns=term_columns, design=design, tol=tol, maxiter=maxiter)
    if conf_method == "wald" and 0 < conf_level < 1:
        return res
    return dataclasses.replace(res, conf_int=_conf_int(res, conf_method, conf_level))


def _conf_int(res: LogitResult, method: str, level: float) -> np.ndarray:
    if method not in CONF_METHODS:
        raise ValueError(f"conf_method must be one of {CONF_METHODS}, got {method!r}")
    if not 0 < level < 1:
        raise ValueError(f"conf_level must lie strictly between 0 and 1, got {level!r}")
    if method == "wald":
        q = special.ndtri(1 - (1 - level) / 2)  # stats.norm.ppf's arithmetic
        return np.column_stack([res.coef - q * res.std_error, res.coef + q * res.std_error])
    return _profile_ci(res, level)


def _profile_ci(res: LogitResult, level: float) -> np.ndarray:
    """MASS::profile.glm + confint.profile.glm (alpha = (1 - level)/4, maxsteps 10, del = zmax/5)."""
    tol, maxiter = res.tol, res.maxiter
    kept = [t for t in res.terms if t not in res.aliased]
    X = res.X[kept].to_numpy(dtype=np.float64)
    y, w = res.y, res.weights
    alpha = (1 - level) / 4
    zmax = float(np.sqrt(stats.chi2.ppf(1 - alpha, 1)))
    delta = zmax / 5
    maxsteps = 10
    out = np.full((len(res.terms), 2), np.nan)
    b_kept = res.coef[[res.terms.index(t) for t in kept]]
    for col, name in enumerate(kept):
        j = res.terms.index(name)
        b0, se0 = res.coef[j], res.std_error[j]
        Xi = np.delete(X, col, axis=1)
        zs, bs = [0.0], [b0]
        for sgn in (-1.0, 1.0):
            step, z = 0, 0.0
            lp = X @ b_kept  # MASS starts each direction from the fit's linear predictor
            while True:
                step += 1
                if not (step < maxsteps and abs(z) < zmax):
                    break
                bi = b0 + sgn * step * delta * se0
                off = X[:, col] * bi
                fit = _irls(Xi, y, w, off, tol, maxiter, eta_start=lp, cov=False)
                lp = Xi @ fit.params + off
                zz = fit.deviance - res.deviance
                if zz > -1e-3:
                    zz = max(zz, 0.0)
                else:
                    raise RuntimeError("profiling has found a better solution, so original fit had "
                                       "not converged")
                z = sgn * np.sqrt(zz)
                zs.append(z)
                bs.append(bi)
        out[j] = _profile_limits(np.array(bs), np.array(zs), level)
    return out


def logit(formula: str, data: pd.DataFrame, weights: Any = None, conf_method: str = "wald",
          conf_level: float = 0.95, tol: float = DEFAULT_TOL, maxiter: int = DEFAULT_MAXITER) -> LogitResult:
    """R's ``glm(formula, family = binomial, data, weights)`` (R's IRLS, written here).

    ``formula`` is R-style (``"y ~ x + g + x:g"``; patsy's ``C(g)`` and functions work;
    text, Categorical and bool columns are factors with treatment contrasts against the
    first level, named as R names them, e.g. ``gb``). ``weights`` is an array or a column
    name (R's prior weights). ``conf_method`` "wald" (SPSS's CI for Exp(B)) or "profile"
    (R's ``confint``, MASS's algorithm). ``tol`` and ``maxiter`` are R's ``glm.control(epsilon,
    maxit)``; the default is tighter than R's 1e-8.

    Rows with a missing value are dropped with a warning; an unused factor level is dropped
    with a warning; a one-level factor is an error; aliased columns get NA as in R (with a
    warning); fewer cases than parameters is an error. Separation and non-convergence give
    R's warnings, plus one naming the separating predictor.
    """
    if conf_method not in CONF_METHODS:
        raise ValueError(f"conf_method must be one of {CONF_METHODS}, got {conf_method!r}")
    design, y, w, weighted = _prepare(formula, data, weights, "logit")
    n_missing = int(len(data) - len(y))
    X = design.X
    n_ok = int(np.sum(w != 0))
    if n_ok < X.shape[1]:
        raise ValueError(f"logit: {n_ok} cases with non-zero weight but {X.shape[1]} parameters "
                         f"({', '.join(X.columns)}): too few cases to estimate the model")
    fit, kept, aliased = _fit_matrix(X, y, w, tol, maxiter)
    if aliased:
        warnings.warn(f"logit: {len(aliased)} coefficient{'s' if len(aliased) != 1 else ''} not "
                      f"defined because of singularities: {', '.join(aliased)} (NA, as in R)",
                      stacklevel=2)
    _warn_fit(fit, X[kept] if aliased else X, y, w, maxiter, _factor_terms(design))
    return _assemble(formula, X, y, w, fit, kept, aliased, n_missing, weighted, conf_method,
                     conf_level, design.term_columns, design, tol, maxiter)


# --------------------------------------------------------------------------- score statistic


def score_statistic(X1: np.ndarray, X2: np.ndarray, y: np.ndarray, w: np.ndarray,
                    mu: np.ndarray) -> tuple[float, int]:
    """Rao's efficient score statistic for adding ``X2`` to a model on ``X1`` fitted at ``mu``.

    S = U' V^-1 U with U = X2' w (y - mu) and V = I22 - I21 I11^-1 I12 the information of
    X2 given X1 (W = w mu (1 - mu)). R: ``anova(fit0, fit1, test = "Rao")``. Written here
    (statsmodels' ``score_test`` is not verified with prior weights). Returns (S, df); df
    is the rank of V (0 when X2 is aliased with X1).
    """
    W = w * mu * (1 - mu)
    U = X2.T @ (w * (y - mu))
    I22 = X2.T @ (W[:, None] * X2)
    if X1.shape[1]:
        I11 = X1.T @ (W[:, None] * X1)
        I12 = X1.T @ (W[:, None] * X2)
        V = I22 - I12.T @ np.linalg.solve(I11, I12)
    else:
        V = I22
    ev = np.linalg.eigvalsh(V)
    if ev.max() <= 0 or ev.min() <= 1e-10 * ev.max():
        return np.nan, 0
    return float(U @ np.linalg.solve(V, U)), int(X2.shape[1])


# --------------------------------------------------------------------------- stepwise


@dataclass(frozen=True, eq=False)
class StepwiseResult:
    """Every step of a stepwise selection and the final model."""

    method: str
    steps: pd.DataFrame
    final: LogitResult
    selected: tuple[str, ...]
    p_enter: float
    p_remove: float
    stop_reason: str

    def tidy(self) -> pd.DataFrame:
        return self.final.tidy()

    def glance(self) -> pd.DataFrame:
        return self.final.glance()


class _Stepper:
    """Fits of subsets of candidate terms on one fixed set of rows."""

    def __init__(self, design, y, w, tol, maxiter, n_missing, weighted, term_of):
        self.design, self.y, self.w = design, y, w
        self.tol, self.maxiter = tol, maxiter
        self.n_missing, self.weighted = n_missing, weighted
        self.term_of = term_of  # candidate -> term label
        self.X = design.X
        self.intercept = "(Intercept)" in self.X.columns
        self.null_dev = _null_deviance(y, w, self.intercept)
        self.n_w = float(np.sum(w))
        self.n_ok = int(np.sum(w != 0))
        self._cache: dict[tuple[str, ...], tuple[_Fit, list[str], list[str]]] = {}

    def columns(self, model: tuple[str, ...]) -> list[str]:
        cols = ["(Intercept)"] if self.intercept else []
        for c in model:
            cols.extend(self.design.term_columns[self.term_of[c]])
        return cols

    def fit(self, model: tuple[str, ...]) -> tuple[_Fit, list[str], list[str]]:
        key = tuple(sorted(model))
        if key not in self._cache:
            X = self.X[self.columns(model)]
            self._cache[key] = _fit_matrix(X, self.y, self.w, self.tol, self.maxiter)
        return self._cache[key]

    def summary(self, model: tuple[str, ...]) -> dict:
        fit, kept, _ = self.fit(model)
        ll = _loglik(self.y, fit.mu, self.w)
        chisq = self.null_dev - fit.deviance
        ll0 = ll - chisq / 2
        cs = float(-np.expm1(-chisq / self.n_w))
        nk = float(cs / -np.expm1(2 * ll0 / self.n_w))
        df_null = self.n_ok - int(self.intercept)
        return {"model_chisq": chisq, "model_df": df_null - (self.n_ok - len(kept)),
                "minus2ll": -2 * ll, "cox_snell_r2": cs, "nagelkerke_r2": nk,
                "aic": -2 * ll + 2 * len(kept), "deviance": fit.deviance, "rank": len(kept)}

    def score(self, model: tuple[str, ...], cand: str) -> tuple[float, int]:
        fit, kept, _ = self.fit(model)
        X1 = self.X[kept].to_numpy(dtype=np.float64)
        X2 = self.X[self.design.term_columns[self.term_of[cand]]].to_numpy(dtype=np.float64)
        return score_statistic(X1, X2, self.y, self.w, fit.mu)

    def removal(self, model: tuple[str, ...], var: str, kind: str) -> tuple[float, int]:
        fit, kept, _ = self.fit(model)
        cols = [c for c in self.design.term_columns[self.term_of[var]] if c in kept]
        if not cols:
            return np.nan, 0
        df = len(cols)
        if kind == "lr":
            reduced = tuple(v for v in model if v != var)
            rfit, _, _ = self.fit(reduced)
            return max(rfit.deviance - fit.deviance, 0.0), df
        idx = [kept.index(c) for c in cols]
        rest = [i for i in range(len(kept)) if i not in idx]
        b = fit.params
        C = fit.cov
        if kind == "wald":
            bi = b[idx]
            return float(bi @ np.linalg.solve(C[np.ix_(idx, idx)], bi)), df
        # conditional: parameters left in the model moved to their conditional estimates
        bt = b[rest] - C[np.ix_(rest, idx)] @ np.linalg.solve(C[np.ix_(idx, idx)], b[idx])
        Xr = self.X[[kept[i] for i in rest]].to_numpy(dtype=np.float64)
        mu = special.expit(Xr @ bt)
        return max(_deviance(self.y, mu, self.w) - fit.deviance, 0.0), df

    def result(self, model: tuple[str, ...]) -> LogitResult:
        cols = self.columns(model)
        X = self.X[cols]
        fit, kept, aliased = self.fit(model)
        _warn_fit(fit, X[kept], self.y, self.w, self.maxiter, _factor_terms(self.design))
        rhs = " + ".join(self.term_of[c] for c in model) or "1"
        tc = {t: c for t, c in self.design.term_columns.items()
              if t == "(Intercept)" or t in {self.term_of[m] for m in model}}
        return _assemble(f"{self.design.response} ~ {rhs}", X, self.y, self.w, fit, kept, aliased,
                         self.n_missing, self.weighted, "wald", 0.95, tc, self.design, self.tol,
                         self.maxiter)


def _stepper(data: pd.DataFrame, outcome: str, candidates: list[str], weights: Any, tol: float,
             maxiter: int, caller: str) -> _Stepper:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{caller}: data must be a pandas DataFrame, got {type(data).__name__}")
    candidates = list(candidates)
    if len(set(candidates)) != len(candidates):
        raise ValueError(f"{caller}: candidates are repeated")
    missing = [c for c in [outcome, *candidates] if c not in data.columns]
    if missing:
        raise KeyError(f"{caller}: column(s) {missing} are not in data")
    if outcome in candidates:
        raise ValueError(f"{caller}: the outcome {outcome!r} is also a candidate")
    term_of = {c: _term_label(c) for c in candidates}
    rhs = " + ".join(term_of[c] for c in candidates) or "1"
    design, y, w, weighted = _prepare(f"{_term_label(outcome)} ~ {rhs}", data, weights, caller)
    return _Stepper(design, y, w, tol, maxiter, int(len(data) - len(y)), weighted, term_of)


def score_tests(data: pd.DataFrame, outcome: str, model: list[str], candidates: list[str],
                weights: Any = None, tol: float = DEFAULT_TOL,
                maxiter: int = DEFAULT_MAXITER) -> pd.DataFrame:
    """SPSS's "Variables not in the Equation": the score statistic of adding each candidate.

    One row per candidate (variable, statistic, df, p_value), at the estimates of the model
    with the terms ``model``. R: ``anova(fit, update(fit, . ~ . + v), test = "Rao")``.
    Rows are those complete in the outcome and every variable named (listwise).
    """
    model = list(model)
    st = _stepper(data, outcome, model + [c for c in candidates if c not in model], weights, tol,
                  maxiter, "score_tests")
    rows = []
    for c in candidates:
        s, df = st.score(tuple(model), c)
        rows.append({"variable": c, "statistic": s, "df": df,
                     "p_value": float(stats.chi2.sf(s, df)) if df else np.nan})
    return pd.DataFrame(rows)


def removal_tests(data: pd.DataFrame, outcome: str, model: list[str], weights: Any = None,
                  tol: float = DEFAULT_TOL, maxiter: int = DEFAULT_MAXITER) -> pd.DataFrame:
    """The three removal statistics of SPSS's stepwise methods for each term of ``model``.

    Columns variable, df, lr (R: ``drop1(fit, test = "LRT")``), wald (B' V^-1 B) and
    conditional (see :func:`stepwise_logit`), each with its chi-square p-value.
    """
    model = list(model)
    st = _stepper(data, outcome, model, weights, tol, maxiter, "removal_tests")
    rows = []
    for v in model:
        row: dict[str, Any] = {"variable": v}
        for kind in ("lr", "wald", "conditional"):
            s, df = st.removal(tuple(model), v, kind)
            row["df"] = df
            row[kind] = s
            row[f"p_{kind}"] = float(stats.chi2.sf(s, df)) if df else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _term_label(name: str) -> str:
    ok = name.isidentifier() and not keyword.iskeyword(name)
    return name if ok else f"Q({name!r})"


def stepwise_logit(data: pd.DataFrame, outcome: str, candidates: list[str], method: str = "forward_lr",
                   p_enter: float = 0.05, p_remove: float = 0.10, weights: Any = None,
                   max_steps: int | None = None, tol: float = DEFAULT_TOL,
                   maxiter: int = DEFAULT_MAXITER) -> StepwiseResult:
    """Stepwise binary logit: SPSS LOGISTIC REGRESSION's FSTEP/BSTEP, or R's ``step()`` by AIC.

    SPSS methods (``forward_lr``, ``forward_wald``, ``forward_conditional``, ``backward_lr``,
    ``backward_wald``, ``backward_conditional``) follow the IBM SPSS Statistics Algorithms
    chapter on LOGISTIC REGRESSION ("Stepwise Variable Selection"):

    * forward starts from the constant-only model, backward from all candidates;
    * entry: the score statistic (Rao's efficient score, :func:`score_statistic`) of every
      candidate not in the model, at the current model's estimates; the one with the
      smallest p-value enters if p < ``p_enter``;
    * removal, after every entry (and first, for backward): for every variable in the model,
      the likelihood-ratio statistic (refit without it), the Wald statistic (B' V^-1 B) or
      the conditional statistic (-2 log-likelihood at the conditional estimates
      b_rest - C_rest,i C_ii^-1 b_i, minus that at the MLE; Lawless and Singhal 1978); the
      one with the largest p-value is removed if p > ``p_remove``, and removal repeats;
      when none is removed, entry is tried again;
    * a factor enters and leaves as one block (df = its number of columns);
    * selection stops when no candidate meets the entry rule, or when an entry or removal
      would give a model already fitted (a removed variable may re-enter later, but no
      model is visited twice), or after ``max_steps`` entries and removals (default: no
      limit besides that rule);
    * ties in p-value go to the candidate listed first in ``candidates``.

    ``p_enter`` must be below ``p_remove`` (SPSS's requirement: otherwise a variable could
    cycle).

    ``method="aic"`` is R's ``step(glm(outcome ~ 1), scope = ~ candidates, direction =
    "both", k = 2)``: from the constant-only model, every step compares the current model,
    each single-term deletion and each single-term addition by AIC (computed from the
    deviances as R's ``drop1``/``add1`` do), takes the smallest (ties: the current model,
    then deletions in model order, then additions in ``candidates`` order) and stops when
    the current model is best.

    Rows missing the outcome, any candidate or the weight are dropped first (listwise, as
    SPSS), with a warning. Returns every step (``steps``) and the final :class:`LogitResult`.
    """
    if method not in STEPWISE_METHODS:
        raise ValueError(f"method must be one of {STEPWISE_METHODS}, got {method!r}")
    candidates = list(candidates)
    if not candidates:
        raise ValueError("stepwise_logit: no candidates given")
    if method != "aic" and not (0 < p_enter < p_remove <= 1):
        raise ValueError(f"stepwise_logit: need 0 < p_enter < p_remove <= 1, got p_enter={p_enter}, "
                         f"p_remove={p_remove}")
    st = _stepper(data, outcome, candidates, weights, tol, maxiter, "stepwise_logit")
    if method == "aic":
        return _step_aic(st, candidates, max_steps)
    return _step_spss(st, candidates, method, p_enter, p_remove, max_steps)


def _row(step: int, action: str, variable: str | None, statistic: float, df: float, p: float,
         summary: dict) -> dict:
    return {"step": step, "action": action, "variable": variable, "statistic": statistic, "df": df,
            "p_value": p, "model_chisq": summary["model_chisq"], "model_df": summary["model_df"],
            "minus2ll": summary["minus2ll"], "cox_snell_r2": summary["cox_snell_r2"],
            "nagelkerke_r2": summary["nagelkerke_r2"], "aic": summary["aic"]}


def _step_spss(st: _Stepper, candidates: list[str], method: str, p_enter: float, p_remove: float,
               max_steps: int | None) -> StepwiseResult:
    direction, kind = method.split("_")
    kind = {"lr": "lr", "wald": "wald", "conditional": "conditional"}[kind]
    model: tuple[str, ...] = () if direction == "forward" else tuple(candidates)
    visited = {frozenset(model)}
    rows = [_row(0, "start", None, np.nan, np.nan, np.nan, st.summary(model))]
    step = 0
    reason = ""

    def budget_left() -> bool:
        return max_steps is None or step < max_steps

    def removal_phase() -> str | None:
        nonlocal model, step
        while model:
            if not budget_left():
                return "max_steps reached"
            tests = []
            for v in model:
                s, df = st.removal(model, v, kind)
                pv = float(stats.chi2.sf(s, df)) if df > 0 else 1.0
                tests.append((pv, v, s, df))
            # largest p; ties: the first listed in candidates
            best = max(tests, key=lambda t: (t[0], -candidates.index(t[1])))
            pv, v, s, df = best
            if not pv > p_remove:
                return None
            new = tuple(m for m in model if m != v)
            if frozenset(new) in visited:
                return f"removing {v!r} would give a model already fitted"
            model = new
            visited.add(frozenset(model))
            step += 1
            rows.append(_row(step, "removed", v, s, df, pv, st.summary(model)))
        return None

    if direction == "backward":
        reason = removal_phase() or ""
    while not reason:
        eligible = [c for c in candidates if c not in model]
        if not eligible:
            reason = "every candidate is in the model"
            break
        if not budget_left():
            reason = "max_steps reached"
            break
        tests = []
        for c in eligible:
            s, df = st.score(model, c)
            if df == 0:
                continue
            tests.append((float(stats.chi2.sf(s, df)), c, s, df))
        if not tests:
            reason = "no candidate can enter (each is aliased with the model)"
            break
        pv, c, s, df = min(tests, key=lambda t: (t[0], candidates.index(t[1])))
        if not pv < p_enter:
            reason = f"no candidate has a score p-value below p_enter = {p_enter}"
            break
        new = tuple([m for m in candidates if m in model or m == c])
        if frozenset(new) in visited:
            reason = f"entering {c!r} would give a model already fitted"
            break
        model = new
        visited.add(frozenset(model))
        step += 1
        rows.append(_row(step, "entered", c, s, df, pv, st.summary(model)))
        reason = removal_phase() or ""
    final = st.result(model)
    return StepwiseResult(method=method, steps=pd.DataFrame(rows), final=final, selected=model,
                          p_enter=p_enter, p_remove=p_remove, stop_reason=reason)


def _step_aic(st: _Stepper, candidates: list[str], max_steps: int | None) -> StepwiseResult:
    model: list[str] = []
    cur = st.summary(tuple(model))
    rows = [_row(0, "start", None, cur["aic"], np.nan, np.nan, cur)]
    steps_left = 1000 if max_steps is None else max_steps  # R's step(steps = 1000)
    reason = ""
    step = 0
    while steps_left > 0:
        steps_left -= 1
        base = cur["aic"] - cur["deviance"] - 2 * cur["rank"]
        options: list[tuple[float, str, str, dict]] = [(cur["aic"], "none", "", cur)]
        for v in model:
            s = st.summary(tuple(m for m in model if m != v))
            if s["rank"] == cur["rank"]:
                continue
            options.append((s["deviance"] + 2 * s["rank"] + base, "removed", v, s))
        for v in candidates:
            if v in model:
                continue
            s = st.summary(tuple(model + [v]))
            if s["rank"] == cur["rank"]:
                continue
            options.append((s["deviance"] + 2 * s["rank"] + base, "entered", v, s))
        best = min(range(len(options)), key=lambda i: (options[i][0], i))
        if best == 0:
            reason = "no deletion or addition lowers the AIC"
            break
        _, action, v, s = options[best]
        old_aic, old_rank = cur["aic"], cur["rank"]
        model = [m for m in model if m != v] if action == "removed" else model + [v]
        cur = s
        step += 1
        rows.append(_row(step, action, v, cur["aic"], cur["rank"] - old_rank, np.nan, cur))
        if cur["aic"] >= old_aic + 1e-7:  # R's step keeps this fit and stops
            reason = "the refitted AIC did not improve"
            break
    else:
        reason = "max_steps reached"
    final = st.result(tuple(model))
    return StepwiseResult(method="aic", steps=pd.DataFrame(rows), final=final, selected=tuple(model),
                          p_enter=np.nan, p_remove=np.nan, stop_reason=reason)
