"""Multinomial (baseline-category) logistic regression, as R and SPSS NOMREG report it.

``multinom(formula, data, ref=None)`` fits log(P(Y = k) / P(Y = ref)) = x'B_k by exact
maximum likelihood: the log-likelihood, score and analytic Hessian of statsmodels'
``MNLogit`` (its formulas, evaluated here without building the model, for speed), and a
Newton iteration with step halving (written here) runs it to a
gradient of ~1e-12, so the estimates match ``VGAM::vglm(y ~ ., multinomial(refLevel =
ref))`` converged tightly. ``nnet::multinom``, what most authors run, stops its BFGS
early (reltol 1e-8): its deviance agrees to ~1e-8, its coefficients only to a few
thousandths of a standard error (more in ill-conditioned fits), and its printed SEs pass
through a pseudo-inverse that drops singular values below sqrt(eps), which makes them
wrong when a predictor is on a large scale (e.g. spend in pounds).

Reference level: ``ref`` names a level of the response; by default the FIRST level, as
R's ``nnet::multinom`` and ``VGAM``'s ``refLevel = 1``. SPSS NOMREG defaults to the LAST
level: pass ``ref=<last level>`` to reproduce it.

Written here: the Newton driver, the pseudo R-squared (Cox-Snell, Nagelkerke and
McFadden, as SPSS prints them from the case-level log-likelihood), the per-effect
likelihood-ratio tests (SPSS's "Likelihood Ratio Tests" table) and the separation check
(a linear programme, as Konis's ``detectseparation`` does for binary logits).

Bad input, as R: empty response levels are dropped with nnet's warning ("group 'c' is
empty"); fewer than two levels is an error; incomplete rows are dropped with a warning
saying how many. Stricter than R (nnet fits them silently): a rank-deficient design
drops the aliased columns with a warning naming them, and fewer cases than parameters is
an error.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, sparse, stats

from models._formula import Design, aliased_columns, build_design
from models._result import TidyResult, make_glance, make_tidy

__all__ = ["MultinomFit", "MultinomResult", "fit_multinom", "multinom"]

GRAD_TOL = 1e-11
"""Newton stops when the largest |score| (scaled by n) falls below this."""
MAX_ITER = 100


@dataclass(frozen=True)
class MultinomFit:
    """The numbers of one multinomial-logit fit (pure data; see :func:`fit_multinom`).

    ``params`` is (p, K-1): column j holds B for the j-th non-reference level (in level
    order). ``vcov`` is ordered level by level (all terms of the first non-reference
    level, then the next), as ``VGAM``'s ``vcov`` after sorting by level.
    """

    params: np.ndarray
    vcov: np.ndarray
    loglik: float
    null_loglik: float
    fitted: np.ndarray  # (n, K) probabilities, columns in the order of the coded levels
    n_iter: int
    converged: bool
    max_abs_score: float
    separated_columns: tuple[int, ...] = ()


class _MNLogit:
    """The multinomial-logit log-likelihood, score and Hessian, as statsmodels' ``MNLogit``.

    The same formulas and layout (level 0 the reference; score and Hessian level by
    level), with the probabilities computed once per point: building an ``MNLogit`` costs
    more than a whole fit on data of the size used here.
    """

    def __init__(self, y: np.ndarray, X: np.ndarray, K: int):
        self.X = X
        self.D = np.eye(K)[y]
        self.K = K

    def probs(self, theta: np.ndarray) -> np.ndarray:
        """P(Y = k | x) for each row, columns in level order (``MNLogit.cdf``)."""
        e = np.column_stack((np.ones(len(self.X)), np.exp(self.X @ theta)))
        return e / e.sum(1)[:, None]

    def loglike(self, theta: np.ndarray) -> float:
        return float(np.sum(self.D * np.log(self.probs(theta))))

    def score_from(self, P: np.ndarray) -> np.ndarray:
        return ((self.D[:, 1:] - P[:, 1:]).T @ self.X).ravel()

    def hessian_from(self, P: np.ndarray) -> np.ndarray:
        X = self.X
        J, p = self.K - 1, X.shape[1]
        H = np.empty((J, p, J, p))
        for i in range(J):
            for j in range(J):
                wgt = P[:, i + 1] * ((1.0 if i == j else 0.0) - P[:, j + 1])
                H[i, :, j, :] = -((wgt[:, None] * X).T @ X)
        return H.reshape(J * p, J * p)


def fit_multinom(y: np.ndarray, X: np.ndarray, n_levels: int, *, start: np.ndarray | None = None,
                 max_iter: int = MAX_ITER, grad_tol: float = GRAD_TOL) -> MultinomFit:
    """Maximum likelihood for codes ``y`` in 0..K-1 (0 = reference) on design ``X``.

    Every level must occur. Newton with step halving on the MNLogit
    log-likelihood; the covariance is the inverse observed information at the optimum.
    """
    y = np.asarray(y, dtype=np.int64)
    X = np.asarray(X, dtype=np.float64)
    n, p = X.shape
    K = int(n_levels)
    if set(np.unique(y)) != set(range(K)):
        raise ValueError("fit_multinom: every level 0..K-1 must occur in y")
    with np.errstate(all="ignore"):
        return _newton(y, X, K, start, max_iter, grad_tol)


def _newton(y, X, K, start, max_iter, grad_tol) -> MultinomFit:
    n, p = X.shape
    model = _MNLogit(y, X, K)
    theta = np.zeros((p, K - 1)) if start is None else np.array(start, dtype=float).reshape(p, K - 1)
    ll = model.loglike(theta)
    converged = False
    it = 0
    for _ in range(max_iter):
        it += 1
        P = model.probs(theta)
        g = model.score_from(P)  # flattened level by level (order="F")
        H = model.hessian_from(P)
        try:
            step = np.linalg.solve(-H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(-H, g, rcond=None)[0]
        step = step.reshape(p, K - 1, order="F")
        t = 1.0
        while True:
            cand = theta + t * step
            ll_new = model.loglike(cand)
            if np.isfinite(ll_new) and ll_new >= ll - 1e-12 * abs(ll):
                break
            t /= 2
            if t < 1e-10:
                cand, ll_new = theta, ll
                break
        change = ll_new - ll
        theta, ll = cand, ll_new
        gmax = float(np.max(np.abs(model.score_from(model.probs(theta))))) / n
        if not np.isfinite(gmax):
            break
        if gmax < grad_tol or (t < 1e-10) or (abs(change) < 1e-15 * max(1.0, abs(ll)) and gmax < 1e-6):
            converged = gmax < grad_tol
            break
    probs = model.probs(theta)
    H = model.hessian_from(probs)
    try:
        vcov = np.linalg.inv(-H)
    except np.linalg.LinAlgError:
        vcov = np.full_like(H, np.nan)
    counts = np.bincount(y, minlength=K).astype(float)
    null_ll = float(np.sum(counts * np.log(counts / n)))
    gmax = float(np.max(np.abs(model.score_from(probs)))) / n
    sep: tuple[int, ...] = ()
    if not converged or probs.min() < 1e-8:
        sep = _separation_directions(y, X, K)
    return MultinomFit(params=theta, vcov=vcov, loglik=float(ll), null_loglik=null_ll,
                       fitted=probs, n_iter=it, converged=converged, max_abs_score=gmax,
                       separated_columns=sep)


def _separation_directions(y: np.ndarray, X: np.ndarray, K: int) -> tuple[int, ...]:
    """Columns of X along which the likelihood rises for ever (complete or quasi separation).

    Solves the linear programme: find D (p x K-1, reference column 0) in [-1, 1] with
    x_i'(d_{y_i} - d_k) >= 0 for every case i and level k, maximising the total slack.
    A positive optimum means the maximum likelihood estimate does not exist.
    """
    n, p = X.shape
    scale = np.maximum(np.abs(X).max(axis=0), 1e-300)
    Xs = X / scale
    rows, cols, vals = [], [], []
    r = 0
    jj = np.arange(p)
    for k in range(K):
        idx = np.flatnonzero(y != k)  # one constraint row per case not in level k
        rid = r + np.arange(idx.size)
        r += idx.size
        # -(x_i' d_{y_i}) + x_i' d_k <= 0, with d_0 fixed at zero
        own = idx[y[idx] > 0]
        own_r = rid[y[idx] > 0]
        rows.append(np.repeat(own_r, p))
        cols.append(((y[own] - 1)[:, None] * p + jj).ravel())
        vals.append(-Xs[own].ravel())
        if k > 0:
            rows.append(np.repeat(rid, p))
            cols.append(np.tile((k - 1) * p + jj, idx.size))
            vals.append(Xs[idx].ravel())
    rows, cols, vals = (np.concatenate(a) for a in (rows, cols, vals))
    A = sparse.csr_matrix((vals, (rows, cols)), shape=(r, p * (K - 1)))
    d = recession_direction(A)
    if d is None:
        return ()
    D = np.abs(d.reshape(K - 1, p).T)
    return tuple(int(j) for j in np.flatnonzero(D.max(axis=1) > 1e-9 * max(D.max(), 1e-300)))


def recession_direction(A: sparse.spmatrix, tol: float = 1e-7) -> np.ndarray | None:
    """A sparse direction d with A d <= 0 and sum(-A d) > 0, or None when there is none.

    Two linear programmes: the first (d in [-1, 1], maximal total slack) decides whether
    such a direction exists; the second (least L1 norm with total slack 1) finds the
    sparsest one, naming the columns responsible. Used to detect separation, where the
    log-likelihood increases for ever along d.
    """
    A = sparse.csr_matrix(A)
    r, m = A.shape
    c = np.asarray(A.sum(axis=0)).ravel()  # minimise -(total slack)
    res = optimize.linprog(c, A_ub=A, b_ub=np.zeros(r), bounds=[(-1, 1)] * m, method="highs")
    if res.status != 0 or -res.fun <= tol * max(1, r):
        return None
    Apm = sparse.hstack([A, -A]).tocsr()
    A2 = sparse.vstack([Apm, sparse.csr_matrix(np.concatenate([c, -c])[None, :])]).tocsr()
    b2 = np.concatenate([np.zeros(r), [-1.0]])
    res2 = optimize.linprog(np.ones(2 * m), A_ub=A2, b_ub=b2, bounds=[(0, None)] * (2 * m),
                            method="highs")
    return res.x if res2.status != 0 else res2.x[:m] - res2.x[m:]


def _levels_of(y: pd.Series) -> list:
    if isinstance(y.dtype, pd.CategoricalDtype):
        return list(y.cat.categories)
    if pd.api.types.is_bool_dtype(y):
        return [False, True]
    return sorted(pd.unique(y))


def _level_str(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "TRUE" if v else "FALSE"
    return str(v)


def _label_codes(y: pd.Series, lookup: dict[str, int]) -> np.ndarray:
    """``lookup[_level_str(v)]`` for every value of ``y`` (-1 where absent from lookup)."""
    if isinstance(y.dtype, pd.CategoricalDtype):
        labs = [_level_str(c) for c in y.cat.categories]
        if len(set(labs)) == len(labs):  # one label per category: map the codes
            of_code = np.array([lookup.get(lab, -1) for lab in labs] + [-1], dtype=np.int64)
            return of_code[np.asarray(y.cat.codes, dtype=np.int64)]
    return np.array([lookup.get(_level_str(v), -1) for v in y], dtype=np.int64)


@dataclass
class MultinomResult(TidyResult):
    """A fitted multinomial logit: coefficient tables, model fit and per-effect LR tests."""

    fit: MultinomFit
    design: Design
    levels: list[str]
    """All response levels, in level order (reference included)."""
    ref: str
    terms: list[str]
    """Design columns (R's names) that were estimated."""
    dropped_columns: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ accessors
    @property
    def nobs(self) -> int:
        return int(self.fit.fitted.shape[0])

    @property
    def y_levels(self) -> list[str]:
        """The non-reference levels, in level order (one set of coefficients each)."""
        return [lev for lev in self.levels if lev != self.ref]

    def coef(self) -> pd.DataFrame:
        """Coefficients as R's ``coef(multinom)``: one row per non-reference level."""
        return pd.DataFrame(self.fit.params.T, index=self.y_levels, columns=self.terms)

    def vcov(self) -> pd.DataFrame:
        """Covariance of the coefficients, names ``level:term``, level by level."""
        names = [f"{lev}:{t}" for lev in self.y_levels for t in self.terms]
        return pd.DataFrame(self.fit.vcov, index=names, columns=names)

    def fitted_values(self) -> pd.DataFrame:
        """Fitted probabilities, one column per level in level order; rows sum to 1."""
        order = [self.ref, *self.y_levels]
        df = pd.DataFrame(self.fit.fitted, index=self.design.X.index, columns=order)
        return df[self.levels]

    def predict_proba(self, newdata: pd.DataFrame) -> pd.DataFrame:
        """Predicted probabilities for ``newdata`` (as R's ``predict(type = "probs")``)."""
        Xn = self.design.transform(newdata)[self.terms].to_numpy()
        eta = np.column_stack([np.zeros(len(Xn)), Xn @ self.fit.params])
        eta -= eta.max(axis=1, keepdims=True)
        pr = np.exp(eta)
        pr /= pr.sum(axis=1, keepdims=True)
        df = pd.DataFrame(pr, index=newdata.index, columns=[self.ref, *self.y_levels])
        return df[self.levels]

    # ------------------------------------------------------------------ tables
    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """One row per (non-reference level, term): B, SE, z, Wald = z^2 (1 df), p, OR, CIs.

        CIs are Wald intervals B +/- z_(1+conf_level)/2 SE, and their exponentials for the
        odds ratio, as SPSS NOMREG prints them (``confint.default`` in R).
        """
        q = stats.norm.ppf(0.5 + conf_level / 2)
        # numpy throughout: under separation B and its bounds are huge, and their
        # exponentials overflow to inf (R prints Inf) rather than raising
        b = self.fit.params.T.ravel()  # level by level, as vcov
        with np.errstate(all="ignore"):
            se = np.sqrt(np.diag(self.fit.vcov))
            z = b / se
            lo, hi = b - q * se, b + q * se
            p = 2 * stats.norm.sf(np.abs(z))
            odds, or_lo, or_hi = np.exp(b), np.exp(lo), np.exp(hi)
        rows = []
        i = 0
        for lev in self.y_levels:
            for term in self.terms:
                rows.append({"term": term, "estimate": b[i], "std_error": se[i], "statistic": z[i],
                             "p_value": p[i], "conf_low": lo[i], "conf_high": hi[i],
                             "y_level": lev, "wald": z[i] * z[i], "df": 1,
                             "odds_ratio": odds[i], "or_conf_low": or_lo[i],
                             "or_conf_high": or_hi[i]})
                i += 1
        return make_tidy(rows, extra=("y_level", "wald", "df", "odds_ratio", "or_conf_low",
                                      "or_conf_high"))

    def glance(self) -> pd.DataFrame:
        """Model fit: log-likelihoods, deviance, AIC, BIC, LR test against the null, pseudo R^2.

        Null model = intercepts only. Cox-Snell R^2 = 1 - exp(2 (LL0 - LL) / n); Nagelkerke
        = Cox-Snell / (1 - exp(2 LL0 / n)); McFadden = 1 - LL / LL0 (SPSS NOMREG's three).
        """
        f = self.fit
        n = self.nobs
        k = f.params.size
        k0 = len(self.y_levels)
        ll, ll0 = f.loglik, f.null_loglik
        chisq = 2 * (ll - ll0)
        with np.errstate(all="ignore"):
            cs = float(1 - np.exp(2 * (ll0 - ll) / n))
            nagelkerke = float(cs / (1 - np.exp(2 * ll0 / n)))
            mcfadden = float(1 - np.float64(ll) / ll0)
        return make_glance(
            nobs=n, loglik=ll, deviance=-2 * ll, aic=-2 * ll + 2 * k, bic=-2 * ll + math.log(n) * k,
            edf=k, null_loglik=ll0, null_deviance=-2 * ll0, lr_chisq=chisq, lr_df=k - k0,
            lr_p_value=float(stats.chi2.sf(chisq, k - k0)) if k > k0 else math.nan,
            cox_snell_r2=cs, nagelkerke_r2=nagelkerke, mcfadden_r2=mcfadden,
            n_levels=len(self.levels), reference=self.ref,
            converged=f.converged, n_iter=f.n_iter, n_dropped=self.design.n_dropped,
        )

    def lr_tests(self) -> pd.DataFrame:
        """SPSS's "Likelihood Ratio Tests": each effect dropped in turn from the final model.

        Columns: effect, neg2ll_reduced (-2 log-likelihood of the reduced model),
        statistic (chi-square = its increase over the final model), df, p_value, note.
        The intercept's reduced model is the formula without intercept, coded as R and
        patsy code it (the first factor then takes all its levels); where that is the
        same model, df is 0 and the note says so, as SPSS's footnote does.
        """
        X = self.design.X[self.terms]
        y = self._codes()
        K = len(self.levels)
        full = -2 * self.fit.loglik
        rows = []
        for effect, cols in self.design.term_columns.items():
            cols = [c for c in cols if c in self.terms]
            if not cols:
                continue
            if effect == "(Intercept)":
                lhs, rhs = self.design.formula.split("~")
                red = build_design(f"{lhs}~{rhs} - 1", self.design.data, caller="multinom")
                Xr = red.X.to_numpy()
            else:
                Xr = X.drop(columns=cols).to_numpy()
            rank_full = X.shape[1]
            keep = [j for j in range(Xr.shape[1]) if j not in aliased_columns(Xr)]
            Xr = Xr[:, keep]
            df = (K - 1) * (rank_full - Xr.shape[1])
            if df == 0:
                rows.append({"effect": effect, "neg2ll_reduced": full, "statistic": 0.0, "df": 0,
                             "p_value": math.nan,
                             "note": "reduced model equivalent to the final model"})
                continue
            if Xr.shape[1] == 0:
                ll_r = len(y) * math.log(1.0 / K)  # no parameters: every level 1/K
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ll_r = fit_multinom(y, Xr, K).loglik
            stat = -2 * ll_r - full
            rows.append({"effect": effect, "neg2ll_reduced": -2 * ll_r, "statistic": stat,
                         "df": df, "p_value": float(stats.chi2.sf(stat, df)), "note": ""})
        return pd.DataFrame(rows)

    def _codes(self) -> np.ndarray:
        order = [self.ref, *self.y_levels]
        return _label_codes(self.design.y, {lev: i for i, lev in enumerate(order)})


def multinom(formula: str, data: pd.DataFrame, ref=None) -> MultinomResult:
    """Multinomial logit of ``formula`` on ``data`` (R's ``nnet::multinom`` / ``VGAM``).

    ``ref``: the reference level (a level of the response; default the first, as R).
    Factor predictors use treatment contrasts against their first level.
    """
    design = build_design(formula, data, caller="multinom")
    yser = design.y
    all_levels = _levels_of(yser)
    labels = [_level_str(v) for v in all_levels]
    first = {}
    for i, lev in enumerate(labels):
        first.setdefault(lev, i)
    ycode = _label_codes(yser, first)
    counts = np.bincount(ycode[ycode >= 0], minlength=len(labels))
    empty = [lev for lev in labels if counts[first[lev]] == 0]
    if empty:
        quoted = " ".join(f"\u2018{e}\u2019" for e in empty)
        warnings.warn(f"group {quoted} is empty" if len(empty) == 1 else f"groups {quoted} are empty",
                      stacklevel=2)
        labels = [lev for lev in labels if lev not in empty]
    if len(labels) < 2:
        raise ValueError(f"need two or more classes to fit a multinom model (response "
                         f"{design.response!r} has {len(labels)} level(s) with cases: {labels})")
    if ref is None:
        ref_label = labels[0]
    else:
        ref_label = _level_str(ref)
        if ref_label not in labels:
            why = " (it has no cases)" if ref_label in empty else ""
            raise ValueError(f"multinom: ref {ref!r} is not a level of {design.response!r}{why}; "
                             f"levels are {labels}")
    order = [ref_label, *[lev for lev in labels if lev != ref_label]]
    y = _label_codes(yser, {lev: i for i, lev in enumerate(order)})
    X = design.X
    alias = aliased_columns(X)
    dropped = [X.columns[j] for j in alias]
    if dropped:
        warnings.warn(f"multinom: design appears to be rank-deficient, so dropping some coefs: "
                      f"{', '.join(dropped)}", stacklevel=2)
        X = X.drop(columns=dropped)
    K = len(labels)
    n_par = X.shape[1] * (K - 1)
    if n_par > len(y):
        raise ValueError(f"multinom: {n_par} parameters but only {len(y)} cases: the model "
                         "cannot be estimated (fewer cases than parameters)")
    fit = fit_multinom(y, X.to_numpy(), K)
    res = MultinomResult(fit=fit, design=design, levels=labels, ref=ref_label,
                         terms=list(X.columns), dropped_columns=dropped)
    if fit.separated_columns:
        named = [res.terms[j] for j in fit.separated_columns]
        which = ", ".join([t for t in named if t != "(Intercept)"] or named)
        warnings.warn("multinom: fitted probabilities numerically 0 or 1 occurred: complete or "
                      f"quasi-complete separation along {which}; the maximum likelihood estimates "
                      "do not exist (coefficients and standard errors for these terms are not "
                      "meaningful)", stacklevel=2)
    elif not fit.converged:
        warnings.warn(f"multinom: Newton iterations did not converge in {fit.n_iter} steps "
                      f"(largest score {fit.max_abs_score:.3g})", stacklevel=2)
    return res
