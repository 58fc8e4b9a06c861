"""Numerics of the Poisson GLMM (written here): the deviance that lme4's ``glmer`` optimises.

Everything is on lme4's scale: the random effects are ``b = Lambda(theta) u`` with
``u ~ N(0, I)``; ``theta`` holds, per random-effects term, the lower triangle of the
relative Cholesky factor column by column (for a scalar term, the SD of the intercept,
since the Poisson scale is 1).

For fixed ``(theta, beta)`` the conditional modes ``u`` are found by Newton's method for
all groups at once; the deviance is then

* Laplace (``nagq = 1``, lme4's ``glmerLaplace``): ``sum(-2 w log dpois(y, mu)) + |u|^2 +
  log det(I + Lambda' Z' W Z Lambda)``, i.e. ``-2 logLik``;
* adaptive Gauss-Hermite (``nagq > 1``, one scalar term, lme4's ``glmerAGQ``): per group
  ``-2 log`` of the quadrature of ``exp(-(sum of deviance residuals + u^2)/2)`` on nodes
  centred at the mode and scaled by the curvature there. Deviance residuals replace
  ``-2 log dpois``, so lme4's logLik for ``nAGQ > 1`` omits the saturated log-likelihood
  ``sum(w log dpois(y, y))``, unlike ``nAGQ = 1``.

Gradients with respect to ``(theta, beta)`` are analytic (implicit differentiation of the
mode); the Hessian used for the standard errors is a central difference of the analytic
gradient, as ``vcov.merMod`` inverts a finite-difference Hessian of the same deviance.

Three evaluators compute the same Laplace deviance: one scalar term (also AGQ), one
vector term (groups as independent q x q blocks) and any number of terms (dense joint
system, for crossed or nested factors); the tests check them against each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.optimize as sopt
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.special import gammaln

MAX_NAGQ = 25
"""lme4's upper limit for nAGQ (``mkGlmerDevfun``)."""

MODE_TOL = 1e-10
"""Newton stops when the largest change of a conditional mode is below this; the step
after it is applied too, so the modes are exact to rounding (quadratic convergence)."""

MODE_MAXIT = 200
"""Most Newton iterations for the conditional modes (the step is halved where it fails)."""

HESS_STEP = 1e-5
"""Relative step of the central difference of the analytic gradient that gives the
Hessian (error O(step^2) ~ 1e-10 relative, well under the 1e-4 required of the SEs)."""

BOUNDARY_TOL = 1e-5
"""``glmerControl(boundary.tol = 1e-5)``: a diagonal theta this close to 0 is tried at 0."""

HESS_BETA_STEP = 1e-3
"""Hessian step for a fixed effect, as a fraction of its approximate standard deviation
(truncation error ~1e-6 relative at most; rounding ~1e-12)."""



class GlmmNumericalError(RuntimeError):
    """The conditional modes or the optimiser failed (non-finite deviance)."""


# ----------------------------------------------------------------------------- quadrature


def gh_rule(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and weights for the standard normal density (lme4's ``GHrule``).

    ``sum(w * f(z))`` approximates ``E f(Z)``, ``Z ~ N(0, 1)``; exact for polynomials of
    degree < 2n. Wraps numpy's ``hermegauss``.
    """
    if not 1 <= n <= 100:
        raise ValueError(f"number of quadrature points must be in 1..100, got {n}")
    z, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / math.sqrt(2.0 * math.pi)
    if n % 2 == 1:
        z[n // 2] = 0.0
    return z, w


# ----------------------------------------------------------------------------- problem


@dataclass(frozen=True)
class ReTerm:
    """One random-effects term ``(cnms | group)``: ``Z`` holds its q model-matrix columns."""

    group: str
    cnms: tuple[str, ...]
    codes: np.ndarray  # (n,) int, 0..nlev-1
    levels: tuple
    Z: np.ndarray  # (n, q)

    @property
    def q(self) -> int:
        return self.Z.shape[1]

    @property
    def nlev(self) -> int:
        return len(self.levels)

    @property
    def ntheta(self) -> int:
        return self.q * (self.q + 1) // 2


@dataclass(frozen=True)
class GlmmProblem:
    """A Poisson GLMM's data on lme4's scale: response, fixed design, offset, prior weights,
    random-effects terms (already in lme4's term order)."""

    y: np.ndarray
    X: np.ndarray
    offset: np.ndarray
    weights: np.ndarray
    terms: tuple[ReTerm, ...]
    xnames: tuple[str, ...]
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n(self) -> int:
        return self.y.shape[0]

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def ntheta(self) -> int:
        return sum(t.ntheta for t in self.terms)

    def lgamma_sum(self) -> float:
        """``sum(w * lgamma(y + 1))`` (the factorials in ``-2 log dpois``)."""
        if "lgam" not in self._cache:
            self._cache["lgam"] = float(np.sum(self.weights * gammaln(self.y + 1.0)))
        return self._cache["lgam"]

    def ylogy(self) -> np.ndarray:
        """``y log y`` with 0 at y = 0 (the saturated part of the deviance residuals)."""
        if "ylogy" not in self._cache:
            y = self.y
            with np.errstate(divide="ignore", invalid="ignore"):
                v = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
            self._cache["ylogy"] = v
        return self._cache["ylogy"]

    def saturated_loglik(self) -> float:
        """``sum(w log dpois(y, y))``: the difference between lme4's two logLik constants."""
        y, w = self.y, self.weights
        return float(np.sum(w * (self.ylogy() - y)) - self.lgamma_sum())


def theta_layout(terms: tuple[ReTerm, ...]) -> list[tuple[int, int, int]]:
    """(term index, row, column) of each theta element: lower triangle, column-major."""
    out = []
    for k, t in enumerate(terms):
        for c in range(t.q):
            for r in range(c, t.q):
                out.append((k, r, c))
    return out


def theta_lower(terms: tuple[ReTerm, ...]) -> np.ndarray:
    """lme4's lower bounds: 0 for diagonal elements, -inf below the diagonal."""
    return np.array([0.0 if r == c else -np.inf for _, r, c in theta_layout(terms)])


def theta_start(terms: tuple[ReTerm, ...]) -> np.ndarray:
    """lme4's starting theta: 1 on the diagonal, 0 below."""
    return np.array([1.0 if r == c else 0.0 for _, r, c in theta_layout(terms)])


def lambda_blocks(terms: tuple[ReTerm, ...], theta: np.ndarray) -> list[np.ndarray]:
    """Per term, the q x q lower-triangular relative factor Lambda."""
    blocks = [np.zeros((t.q, t.q)) for t in terms]
    for v, (k, r, c) in zip(theta, theta_layout(terms), strict=True):
        blocks[k][r, c] = v
    return blocks


def poisson_dev_resid(y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Unit deviances ``2 w (y log(y/mu) - (y - mu))`` (R's ``poisson()$dev.resids``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ylog = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return 2.0 * w * (ylog - (y - mu))


# ----------------------------------------------------------------------------- evaluators


@dataclass(frozen=True)
class DevState:
    """The deviance and everything the result needs at one ``(theta, beta)``."""

    dev: float
    grad: np.ndarray | None
    u: list[np.ndarray]  # per term, (nlev, q) spherical modes
    b: list[np.ndarray]  # per term, (nlev, q) conditional modes on the data scale
    eta: np.ndarray  # linear predictor incl. offset and random effects
    mu: np.ndarray
    ldL2: float  # log det(I + Lambda' Z' W Z Lambda)


def _exp(eta: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return np.exp(eta)


class _Evaluator:
    """Base: holds the problem and warm-start modes between calls."""

    def __init__(self, prob: GlmmProblem, nagq: int):
        self.prob = prob
        self.nagq = nagq
        self.nevals = 0

    def __call__(self, theta, beta, grad=True) -> DevState:
        self.nevals += 1
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return self._eval(np.asarray(theta, float), np.asarray(beta, float), grad)

    def _eval(self, theta, beta, grad) -> DevState:  # pragma: no cover - abstract
        raise NotImplementedError


class ScalarEvaluator(_Evaluator):
    """One scalar term: Laplace (nagq = 1) or adaptive Gauss-Hermite (nagq > 1)."""

    def __init__(self, prob: GlmmProblem, nagq: int):
        super().__init__(prob, nagq)
        (t,) = prob.terms
        if t.q != 1:
            raise ValueError("ScalarEvaluator needs a single scalar random-effects term")
        self.g = t.codes
        self.m = t.nlev
        self.z = t.Z[:, 0]
        self.G = sp.csr_matrix(
            (np.ones(prob.n), (self.g, np.arange(prob.n))), shape=(self.m, prob.n)
        )
        self.u = np.zeros(self.m)
        if nagq > 1:
            zk, wk = gh_rule(nagq)
            self.zk = zk
            with np.errstate(divide="ignore"):
                self.ck = np.log(wk) + 0.5 * zk**2

    def _gs(self, v):
        return np.bincount(self.g, v, self.m)

    def _warm(self, eta_f, a):
        """Last call's modes, or zero for the groups where zero is better."""
        u = self.u
        if not np.all(np.isfinite(u)):
            return np.zeros(self.m)
        y, w, g = self.prob.y, self.prob.weights, self.g
        eta = eta_f + a * u[g]
        with np.errstate(invalid="ignore"):
            phi = self._gs(w * (_exp(eta) - y * eta)) + 0.5 * u**2
        phi0 = self._gs(w * (_exp(eta_f) - y * eta_f))
        return np.where(phi <= phi0, u, 0.0)

    def _mode(self, eta_f: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Newton for u (all groups), step halved per group where the objective rises."""
        y, w, g = self.prob.y, self.prob.weights, self.g
        u = self._warm(eta_f, a)
        eta = eta_f + a * u[g]
        mu = _exp(eta)
        for _ in range(MODE_MAXIT):
            grad = self._gs(a * w * (mu - y)) + u
            hess = 1.0 + self._gs(a * a * w * mu)
            step = grad / hess
            unew = u - step
            eta_new = eta_f + a * unew[g]
            mu_new = _exp(eta_new)
            # change of the objective sum(w (mu - y eta)) + u^2/2, per group
            d = self._gs(w * ((mu_new - mu) - y * (eta_new - eta))) + 0.5 * (unew**2 - u**2)
            bad = ~(d <= 1e-10 * (1.0 + np.abs(self._gs(w * mu))))
            halvings = 0
            while bad.any():
                halvings += 1
                if halvings > 60:
                    raise GlmmNumericalError("conditional modes: step halving failed")
                step = np.where(bad, step / 2.0, step)
                unew = u - step
                eta_new = eta_f + a * unew[g]
                mu_new = _exp(eta_new)
                d = self._gs(w * ((mu_new - mu) - y * (eta_new - eta))) + 0.5 * (unew**2 - u**2)
                bad = bad & ~(d <= 1e-10 * (1.0 + np.abs(self._gs(w * mu))))
            u, eta, mu = unew, eta_new, mu_new
            if np.max(np.abs(step)) < MODE_TOL:
                break
        else:
            raise GlmmNumericalError("conditional modes did not converge")
        self.u = u
        return u, eta, mu

    def _eval(self, theta, beta, grad) -> DevState:
        prob = self.prob
        y, w, X, g, z = prob.y, prob.weights, prob.X, self.g, self.z
        th = float(theta[0])
        a = th * z
        eta_f = X @ beta + prob.offset
        u, eta0, mu0 = self._mode(eta_f, a)
        W = w * mu0
        r = w * (mu0 - y)
        H = 1.0 + self._gs(a * a * W)
        logH = np.log(H)
        if self.nagq == 1:
            dev = float(-2.0 * np.sum(w * (y * eta0 - mu0)) + 2.0 * prob.lgamma_sum()
                        + np.sum(u**2) + np.sum(logH))
            if not grad:
                return self._state(dev, None, u, th, eta0, mu0, logH)
            coefH = 1.0 / H
            Q = 0.0
            R = r
            direct_theta = 2.0 * np.sum(r * z * u[g])
        else:
            s = 1.0 / np.sqrt(H)
            zk = self.zk
            dlt = (a * s[g])[:, None] * zk[None, :]
            em1 = np.expm1(dlt)
            muk = mu0[:, None] * (1.0 + em1)
            dd = 2.0 * w[:, None] * (mu0[:, None] * em1 - y[:, None] * dlt)
            uk = u[:, None] + s[:, None] * zk[None, :]
            D = np.asarray(self.G @ dd) + (uk**2 - (u**2)[:, None])
            L = self.ck[None, :] - 0.5 * D
            Lmax = L.max(axis=1)
            P = np.exp(L - Lmax[:, None])
            S = P.sum(axis=1)
            lse = Lmax + np.log(S)
            devres0 = 2.0 * w * (prob.ylogy() - y * eta0 - (y - mu0))
            dev = float(np.sum(devres0) + np.sum(u**2) + np.sum(logH) - 2.0 * np.sum(lse))
            if not grad:
                return self._state(dev, None, u, th, eta0, mu0, logH)
            P /= S[:, None]
            rk = w[:, None] * (muk - y[:, None])
            Gp = np.asarray(self.G @ (a[:, None] * rk)) + uk
            Q = 2.0 * np.sum(P * Gp, axis=1)
            Qz = 2.0 * np.sum(P * Gp * zk[None, :], axis=1)
            Pg = P[g]
            R = np.sum(Pg * rk, axis=1)
            direct_theta = 2.0 * np.sum(z * np.sum(Pg * rk * uk[g], axis=1))
            coefH = (1.0 - 0.5 * s * Qz) / H
        cg = coefH[g]
        v = cg * a * a * W
        kappa = self._gs(v * a) + Q
        kH = (kappa / H)[g]
        gbeta = X.T @ (v - kH * a * W + 2.0 * R)
        dudth = -(self._gs(z * r) + u * self._gs(a * W * z)) / H
        gtheta = (np.sum(v * z * u[g]) + 2.0 * np.sum(cg * a * W * z)
                  + np.sum(kappa * dudth) + direct_theta)
        gradv = np.concatenate([[gtheta], gbeta])
        return self._state(dev, gradv, u, th, eta0, mu0, logH)

    def _state(self, dev, gradv, u, th, eta, mu, logH) -> DevState:
        return DevState(dev=dev, grad=gradv, u=[u[:, None].copy()], b=[(th * u)[:, None]],
                        eta=eta, mu=mu, ldL2=float(np.sum(logH)))


class BlockEvaluator(_Evaluator):
    """Terms on one grouping factor (``(1 + t | g)``, or ``(1 | g) + (0 + t | g)``): Laplace
    with the groups' q x q blocks, batched."""

    def __init__(self, prob: GlmmProblem, nagq: int = 1):
        super().__init__(prob, nagq)
        if nagq != 1:
            raise ValueError("adaptive quadrature needs a single scalar random-effects term")
        terms = prob.terms
        if len({t.group for t in terms}) != 1:
            raise ValueError("BlockEvaluator needs terms on a single grouping factor")
        t0 = terms[0]
        self.g = t0.codes
        self.m = t0.nlev
        self.Zr = np.concatenate([t.Z for t in terms], axis=1)
        self.q = self.Zr.shape[1]
        self.offs = np.cumsum([0] + [t.q for t in terms])
        self.G = sp.csr_matrix(
            (np.ones(prob.n), (self.g, np.arange(prob.n))), shape=(self.m, prob.n)
        )
        self.u = np.zeros((self.m, self.q))
        self.layout = [(k, self.offs[k] + r, self.offs[k] + c)
                       for k, r, c in theta_layout(terms)]

    def _lambda(self, theta) -> np.ndarray:
        return sla.block_diag(*lambda_blocks(self.prob.terms, theta))

    def _split(self, v: np.ndarray) -> list[np.ndarray]:
        return [v[:, self.offs[k]:self.offs[k + 1]].copy() for k in range(len(self.offs) - 1)]

    def _gs(self, v):
        if v.ndim == 1:
            return np.bincount(self.g, v, self.m)
        return np.asarray(self.G @ v)

    def _warm(self, eta_f, a):
        u = self.u
        if not np.all(np.isfinite(u)):
            return np.zeros((self.m, self.q))
        y, w, g = self.prob.y, self.prob.weights, self.g
        eta = eta_f + np.sum(a * u[g], axis=1)
        with np.errstate(invalid="ignore"):
            phi = self._gs(w * (_exp(eta) - y * eta)) + 0.5 * np.sum(u**2, axis=1)
        phi0 = self._gs(w * (_exp(eta_f) - y * eta_f))
        return np.where((phi <= phi0)[:, None], u, 0.0)

    def _mode(self, eta_f, a):
        y, w, g, q, m = self.prob.y, self.prob.weights, self.g, self.q, self.m
        u = self._warm(eta_f, a)
        eye = np.eye(q)
        eta = eta_f + np.sum(a * u[g], axis=1)
        mu = _exp(eta)
        aa = (a[:, :, None] * a[:, None, :]).reshape(-1, q * q)
        for _ in range(MODE_MAXIT):
            gr = self._gs(a * (w * (mu - y))[:, None]) + u
            M = self._gs(aa * (w * mu)[:, None]).reshape(m, q, q) + eye
            step = np.linalg.solve(M, gr[:, :, None])[:, :, 0]
            unew = u - step
            eta_new = eta_f + np.sum(a * unew[g], axis=1)
            mu_new = _exp(eta_new)
            d = (self._gs(w * ((mu_new - mu) - y * (eta_new - eta)))
                 + 0.5 * np.sum(unew**2 - u**2, axis=1))
            scale = 1e-10 * (1.0 + np.abs(self._gs(w * mu)))
            bad = ~(d <= scale)
            halvings = 0
            while bad.any():
                halvings += 1
                if halvings > 60:
                    raise GlmmNumericalError("conditional modes: step halving failed")
                step = np.where(bad[:, None], step / 2.0, step)
                unew = u - step
                eta_new = eta_f + np.sum(a * unew[g], axis=1)
                mu_new = _exp(eta_new)
                d = (self._gs(w * ((mu_new - mu) - y * (eta_new - eta)))
                     + 0.5 * np.sum(unew**2 - u**2, axis=1))
                bad = bad & ~(d <= scale)
            u, eta, mu = unew, eta_new, mu_new
            if np.max(np.abs(step)) < MODE_TOL:
                break
        else:
            raise GlmmNumericalError("conditional modes did not converge")
        self.u = u
        return u, eta, mu

    def _eval(self, theta, beta, grad) -> DevState:
        prob = self.prob
        y, w, X, g, q, m = prob.y, prob.weights, prob.X, self.g, self.q, self.m
        Lam = self._lambda(theta)
        Zr = self.Zr
        a = Zr @ Lam  # rows a_j' = Zr_j' Lambda
        eta_f = X @ beta + prob.offset
        u, eta0, mu0 = self._mode(eta_f, a)
        W = w * mu0
        r = w * (mu0 - y)
        aa = (a[:, :, None] * a[:, None, :]).reshape(-1, q * q)
        M = self._gs(aa * W[:, None]).reshape(m, q, q) + np.eye(q)
        C = np.linalg.cholesky(M)
        ldL2 = float(2.0 * np.sum(np.log(np.diagonal(C, axis1=1, axis2=2))))
        dev = float(-2.0 * np.sum(w * (y * eta0 - mu0)) + 2.0 * prob.lgamma_sum()
                    + np.sum(u**2) + ldL2)
        b = u @ Lam.T
        if not grad:
            return DevState(dev, None, self._split(u), self._split(b), eta0, mu0, ldL2)
        Minv = np.linalg.inv(M)
        Ma = np.einsum("nqr,nr->nq", Minv[g], a)  # M^{-1} a_j
        h = np.sum(a * Ma, axis=1)
        kappa = self._gs(a * (W * h)[:, None])
        lam = np.einsum("mqr,mr->mq", Minv, kappa)
        lam_a = np.sum(a * lam[g], axis=1)
        gbeta = X.T @ (W * h - W * lam_a + 2.0 * r)
        ug, lg = u[g], lam[g]
        gth = np.empty(len(theta))
        for l, (_, rr, cc) in enumerate(self.layout):
            zr = Zr[:, rr]
            gth[l] = np.sum(zr * (2.0 * r * ug[:, cc] + 2.0 * W * Ma[:, cc] + W * h * ug[:, cc]
                                  - r * lg[:, cc] - W * lam_a * ug[:, cc]))
        gradv = np.concatenate([gth, gbeta])
        return DevState(dev, gradv, self._split(u), self._split(b), eta0, mu0, ldL2)


class GeneralEvaluator(_Evaluator):
    """Any number of terms (crossed or nested factors): Laplace on the dense joint system."""

    def __init__(self, prob: GlmmProblem, nagq: int = 1):
        super().__init__(prob, nagq)
        if nagq != 1:
            raise ValueError("adaptive quadrature needs a single scalar random-effects term")
        self.layout = theta_layout(prob.terms)
        self.offsets = np.cumsum([0] + [t.nlev * t.q for t in prob.terms])
        self.qt = int(self.offsets[-1])
        if self.qt > 5000:
            raise ValueError(f"{self.qt} random effects in all: too many for the dense Laplace")
        self.u = np.zeros(self.qt)
        n = prob.n
        rows = np.arange(n)
        # column index of each (obs, term, effect) in the joint u vector
        self.cols = [self.offsets[k] + t.codes[:, None] * t.q + np.arange(t.q)[None, :]
                     for k, t in enumerate(prob.terms)]
        self.rows = rows

    def _eval(self, theta, beta, grad) -> DevState:
        prob = self.prob
        y, w, X = prob.y, prob.weights, prob.X
        blocks = lambda_blocks(prob.terms, theta)
        A = _sparse_A(prob.terms, blocks)
        At = A.T.tocsr()
        eta_f = X @ beta + prob.offset
        u = self.u.copy()
        eta = eta_f + A @ u
        with np.errstate(invalid="ignore"):
            phi = np.sum(w * (_exp(eta) - y * eta)) + 0.5 * u @ u
        if not phi <= np.sum(w * (_exp(eta_f) - y * eta_f)):
            u = np.zeros(self.qt)
            eta = eta_f.copy()
        mu = _exp(eta)
        eye = np.eye(self.qt)
        for _ in range(MODE_MAXIT):
            gr = At @ (w * (mu - y)) + u
            M = (At @ sp.diags(w * mu) @ A).toarray() + eye
            step = sla.cho_solve(sla.cho_factor(M, lower=True), gr)
            fac = 1.0
            phi0 = np.sum(w * (mu - y * eta)) + 0.5 * u @ u
            while True:
                unew = u - fac * step
                eta_new = eta_f + A @ unew
                mu_new = _exp(eta_new)
                d = np.sum(w * ((mu_new - mu) - y * (eta_new - eta))) + 0.5 * (unew @ unew - u @ u)
                if d <= 1e-10 * (1.0 + abs(phi0)):
                    break
                fac /= 2.0
                if fac < 1e-18:
                    raise GlmmNumericalError("conditional modes: step halving failed")
            u, eta, mu = unew, eta_new, mu_new
            if np.max(np.abs(fac * step)) < MODE_TOL:
                break
        else:
            raise GlmmNumericalError("conditional modes did not converge")
        self.u = u
        W = w * mu
        r = w * (mu - y)
        M = (At @ sp.diags(W) @ A).toarray() + eye
        cf = sla.cho_factor(M, lower=True)
        ldL2 = float(2.0 * np.sum(np.log(np.diag(cf[0]))))
        dev = float(-2.0 * np.sum(w * (y * eta - mu)) + 2.0 * prob.lgamma_sum() + u @ u + ldL2)
        us, bs = [], []
        for k, t in enumerate(prob.terms):
            uk = u[self.offsets[k]:self.offsets[k + 1]].reshape(t.nlev, t.q)
            us.append(uk.copy())
            bs.append(uk @ blocks[k].T)
        if not grad:
            return DevState(dev, None, us, bs, eta, mu, ldL2)
        B = sla.cho_solve(cf, A.toarray().T).T  # rows: M^{-1} a_j
        h = np.asarray(A.multiply(B).sum(axis=1)).ravel()
        kappa = At @ (W * h)
        lam = sla.cho_solve(cf, kappa)
        lam_a = A @ lam
        gbeta = X.T @ (W * h - W * lam_a + 2.0 * r)
        gth = np.empty(len(theta))
        for l, (k, rr, cc) in enumerate(self.layout):
            t = prob.terms[k]
            zr = t.Z[:, rr]
            col = self.cols[k][:, cc]
            gth[l] = np.sum(zr * (2.0 * r * u[col] + 2.0 * W * B[self.rows, col]
                                  + W * h * u[col] - r * lam[col] - W * lam_a * u[col]))
        gradv = np.concatenate([gth, gbeta])
        return DevState(dev, gradv, us, bs, eta, mu, ldL2)


def make_evaluator(prob: GlmmProblem, nagq: int, kind: str | None = None) -> _Evaluator:
    """The fastest evaluator that handles the problem (or the one named by ``kind``)."""
    if not 1 <= nagq <= MAX_NAGQ:
        raise ValueError(f"nagq must be in 1..{MAX_NAGQ} (lme4's limit), got {nagq}")
    single = len(prob.terms) == 1
    if nagq > 1 and not (single and prob.terms[0].q == 1):
        raise ValueError("nagq > 1 is only available for models with a single, scalar "
                         "random-effects term")
    if kind is None:
        if single and prob.terms[0].q == 1:
            kind = "scalar"
        elif len({t.group for t in prob.terms}) == 1:
            kind = "block"
        else:
            kind = "general"
    return {"scalar": ScalarEvaluator, "block": BlockEvaluator,
            "general": GeneralEvaluator}[kind](prob, nagq)


# ----------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class GlmmFit:
    """The maximum-likelihood fit: parameters, deviance, derivatives, modes."""

    theta: np.ndarray
    beta: np.ndarray
    state: DevState
    gradient: np.ndarray
    hessian: np.ndarray | None
    nagq: int
    lower: np.ndarray
    optimizer_ok: bool
    optimizer_message: str
    nevals: int


def poisson_glm_start(prob: GlmmProblem, maxit: int = 50) -> np.ndarray:
    """Poisson GLM by IRLS (offset, prior weights): the fixed-effects start."""
    y, X, off, w = prob.y, prob.X, prob.offset, prob.weights
    mu = y + 0.1
    eta = np.log(mu)
    beta = np.zeros(prob.p)
    dev_old = np.inf
    for _ in range(maxit):
        z = eta - off + (y - mu) / mu
        ww = w * mu
        sw = np.sqrt(ww)
        beta = np.linalg.lstsq(X * sw[:, None], z * sw, rcond=None)[0]
        eta = X @ beta + off
        mu = _exp(eta)
        dev = float(np.sum(poisson_dev_resid(y, mu, w)))
        if abs(dev - dev_old) <= 1e-10 * (abs(dev) + 0.1):
            break
        dev_old = dev
    return beta


def numeric_hessian(ev: _Evaluator, theta, beta, steps: np.ndarray | None = None) -> np.ndarray:
    """Central difference of the analytic gradient (coordinate steps ``steps``; default
    ``HESS_STEP * max(1, |x|)``), symmetrised."""
    x0 = np.concatenate([theta, beta])
    nt = len(theta)
    k = len(x0)
    if steps is None:
        steps = HESS_STEP * np.maximum(1.0, np.abs(x0))
    H = np.empty((k, k))
    for j in range(k):
        hj = steps[j]
        xp, xm = x0.copy(), x0.copy()
        xp[j] += hj
        xm[j] -= hj
        gp = ev(xp[:nt], xp[nt:]).grad
        gm = ev(xm[:nt], xm[nt:]).grad
        H[:, j] = (gp - gm) / (xp[j] - xm[j])
    return 0.5 * (H + H.T)


def fit_glmm(prob: GlmmProblem, nagq: int = 1, start_theta=None, start_beta=None,
             maxiter: int = 2000, kind: str | None = None, calc_hessian: bool = True) -> GlmmFit:
    """Minimise the deviance over (theta, beta).

    L-BFGS-B with the analytic gradient and lme4's bounds (diagonal theta >= 0), on fixed
    effects whitened by the Cholesky factor of their curvature at the start (the RX
    matrix), then Newton steps on the finite-difference Hessian until the step is at
    rounding level. The Hessian at the optimum is kept for the standard errors.
    """
    ev = make_evaluator(prob, nagq, kind)
    nt, p = prob.ntheta, prob.p
    lower = theta_lower(prob.terms)
    th0 = theta_start(prob.terms) if start_theta is None else np.asarray(start_theta, float)
    b0 = poisson_glm_start(prob) if start_beta is None else np.asarray(start_beta, float)
    if th0.shape != (nt,) or b0.shape != (p,):
        raise ValueError(f"start needs {nt} theta and {p} fixed-effect values")
    th0 = np.maximum(th0, lower)
    st = ev(th0, b0)
    if not np.isfinite(st.dev):
        raise GlmmNumericalError("deviance is not finite at the starting values")

    # x = (theta, beta) = (theta, b0 + T z): T whitens the fixed effects' curvature
    try:
        S = rx_matrix(prob, th0, st)
        T = np.linalg.inv(np.linalg.cholesky(2.0 * S)).T
    except np.linalg.LinAlgError:
        T = np.eye(p)
    big = abs(st.dev) * 1e3 + 1e10
    # theta scaled by its curvature at the start (diagonal, so the bounds stay a box)
    sth = np.ones(nt)
    for l in range(nt):
        h = 1e-4 * max(1.0, abs(th0[l]))
        tp, tm = th0.copy(), th0.copy()
        tp[l] += h
        tm[l] -= h
        try:
            hll = (ev(tp, b0).grad[l] - ev(tm, b0).grad[l]) / (2.0 * h)
        except GlmmNumericalError:
            hll = np.nan
        if np.isfinite(hll) and hll > 1e-8:
            sth[l] = 1.0 / math.sqrt(hll)

    def to_x(v):
        return sth * v[:nt], b0 + T @ v[nt:]

    def fun(v):
        th, be = to_x(v)
        try:
            s = ev(th, be)
        except (GlmmNumericalError, np.linalg.LinAlgError, FloatingPointError):
            s = None
        if s is None or not np.isfinite(s.dev) or not np.all(np.isfinite(s.grad)):
            ev.u = np.zeros_like(ev.u)
            return big, np.zeros_like(v)
        return s.dev, np.concatenate([sth * s.grad[:nt], T.T @ s.grad[nt:]])

    # No bounds: the deviance is unchanged when a column of Lambda changes sign, so the
    # search runs over all of R^k and theta is mapped back to lme4's form (diagonal >= 0)
    # afterwards. This keeps the search off spurious minima on the boundary theta_jj = 0.
    opts = {"maxiter": maxiter, "maxfun": 4 * maxiter, "ftol": 1e-13, "gtol": 1e-5,
            "maxcor": 20}

    def run(v0):
        r = sopt.minimize(fun, v0, jac=True, method="L-BFGS-B", options=opts)
        v1 = r.x.copy()
        v1[:nt] = canonical_theta(prob.terms, sth * v1[:nt]) / sth
        return r, v1

    res, v = run(np.concatenate([th0 / sth, np.zeros(p)]))
    # A diagonal theta of exactly 0 with the rest of its column 0 is stationary (the
    # deviance is even in that column) even where it is a maximum: probe positive values
    # and restart from the best if it is lower.
    diag = np.flatnonzero(lower == 0)
    for _ in range(5):
        at0 = [int(l) for l in diag if v[l] == 0.0]
        if not at0:
            break
        f0 = fun(v)[0]
        best, vbest = f0, None
        for l in at0:
            for t in (1e-3, 1e-2, 0.05, 0.1, 0.3, 1.0):
                vt = v.copy()
                vt[l] = t / sth[l]
                ft = fun(vt)[0]
                if ft < best - 1e-10 * (1.0 + abs(f0)):
                    best, vbest = ft, vt
        if vbest is None:
            break
        res, v = run(vbest)
    th, be = to_x(v)
    x = np.concatenate([th, be])
    ok = bool(res.success)
    msg = str(res.message)
    # Hessian steps: relative for theta, a small fraction of each fixed effect's standard
    # deviation (from the whitening) for beta, so that badly scaled predictors are safe
    sd_beta = np.sqrt(np.sum(T**2, axis=1))
    steps = np.concatenate([np.full(nt, np.nan), HESS_BETA_STEP * sd_beta])
    x, H, s = _newton_polish(ev, x, nt, calc_hessian, steps)
    return GlmmFit(theta=x[:nt].copy(), beta=x[nt:].copy(), state=s, gradient=s.grad,
                   hessian=H, nagq=nagq, lower=lower, optimizer_ok=ok or _small_grad(s, H),
                   optimizer_message=msg, nevals=ev.nevals)


def _small_grad(s: DevState, H) -> bool:
    return H is not None and bool(np.all(np.abs(s.grad) < 1e-6))


def _newton_polish(ev: _Evaluator, x: np.ndarray, nt: int, calc_hessian: bool,
                   steps: np.ndarray):
    """Newton steps (Hessian shifted to positive definite where it is not, step halved
    where the deviance rises), the Hessian recomputed once x has moved; theta mapped to
    lme4's form at the end and the Hessian taken there."""
    terms = ev.prob.terms

    def hess(x):
        st = np.where(np.isnan(steps), HESS_STEP * np.maximum(1.0, np.abs(x)), steps)
        return numeric_hessian(ev, x[:nt], x[nt:], st)

    def canon(x):
        return np.concatenate([canonical_theta(terms, x[:nt]), x[nt:]])

    s = ev(x[:nt], x[nt:])
    H = hess(x)
    xH = x.copy()
    for _ in range(30):
        g = s.grad
        step = _newton_step(H, g)
        if step is None:
            break
        fac = 1.0
        while True:
            xn = x - fac * step
            try:
                sn = ev(xn[:nt], xn[nt:])
            except GlmmNumericalError:
                sn = None
            if sn is not None and sn.dev <= s.dev + 1e-13 * abs(s.dev):
                break
            fac /= 4.0
            if fac < 1e-4:
                sn = None
                break
        if sn is None:
            s = ev(x[:nt], x[nt:])
            break
        rel = np.max(np.abs(xn - x) / np.maximum(1.0, np.abs(x)))
        x, s = xn, sn
        if rel < 1e-11:
            break
        if np.max(np.abs(x - xH) / np.maximum(1.0, np.abs(x))) > 1e-3:
            H = hess(x)
            s = ev(x[:nt], x[nt:])
            xH = x.copy()
    xc = canon(x)
    # lme4's check.boundary: a diagonal theta within BOUNDARY_TOL of 0 is set to 0 where
    # that does not raise the deviance (here: by more than rounding)
    dev_c = ev(xc[:nt], xc[nt:], grad=False).dev
    for l, (_, r, c) in enumerate(theta_layout(terms)):
        if r == c and 0.0 < xc[l] < BOUNDARY_TOL:
            xt = xc.copy()
            xt[l] = 0.0
            dt = ev(xt[:nt], xt[nt:], grad=False).dev
            if dt <= dev_c + 1e-12 * abs(dev_c):
                xc, dev_c = xt, dt
    if not np.array_equal(xc, x):
        x = xc
        s = ev(x[:nt], x[nt:])
        if calc_hessian:
            H = hess(x)
            s = ev(x[:nt], x[nt:])
            xH = x.copy()
    if calc_hessian and np.max(np.abs(x - xH) / np.maximum(1.0, np.abs(x))) > 1e-8:
        H = hess(x)
        s = ev(x[:nt], x[nt:])  # leave the modes at the optimum
    return x, (H if calc_hessian else None), s


def _newton_step(H: np.ndarray, g: np.ndarray) -> np.ndarray | None:
    """Solve (H + lambda I) step = g with the smallest lambda >= 0 that makes it positive
    definite."""
    if not (np.all(np.isfinite(H)) and np.all(np.isfinite(g))):
        return None
    scale = max(1e-12, float(np.max(np.abs(np.diag(H)))))
    lam = 0.0
    for _ in range(40):
        try:
            L = np.linalg.cholesky(H + lam * np.eye(len(g)))
            return sla.cho_solve((L, True), g)
        except np.linalg.LinAlgError:
            lam = max(2.0 * lam, 1e-10 * scale)
    return None


def canonical_theta(terms: tuple[ReTerm, ...], theta: np.ndarray) -> np.ndarray:
    """theta with each Lambda column's sign flipped where its diagonal is negative (the
    deviance is unchanged), so diagonals are >= 0 as lme4 reports them."""
    out = np.array(theta, dtype=float)
    layout = theta_layout(terms)
    for i, (k, r, c) in enumerate(layout):
        if r == c and out[i] < 0:
            for j, (k2, _, c2) in enumerate(layout):
                if k2 == k and c2 == c:
                    out[j] = -out[j]
    return out + 0.0


def rx_matrix(prob: GlmmProblem, theta: np.ndarray, state: DevState) -> np.ndarray:
    """``X'WX - X'W Z Lambda M^{-1} Lambda' Z' W X`` at the modes: lme4's ``RX'RX`` (the
    fixed-effects block of the penalised weighted least-squares system; ``pp$unsc()`` is
    its inverse)."""
    W = prob.weights * state.mu
    X = prob.X
    blocks = lambda_blocks(prob.terms, theta)
    A = _sparse_A(prob.terms, blocks)
    M = (A.T @ sp.diags(W) @ A + sp.identity(A.shape[1])).tocsc()
    AWX = np.asarray(A.T @ (X * W[:, None]))
    lu = spla.splu(M)
    return X.T @ (X * W[:, None]) - AWX.T @ lu.solve(AWX)


def vcov_from_hessian(H: np.ndarray, ntheta: int) -> np.ndarray | None:
    """``vcov.merMod``'s Hessian route: the fixed-effects block of ``2 H^{-1}`` (H being the
    Hessian of the deviance in (theta, beta)); None when singular or not positive definite."""
    try:
        Hi = np.linalg.solve(H, np.eye(H.shape[0]))
    except np.linalg.LinAlgError:
        return None
    V = Hi[ntheta:, ntheta:]
    V = V + V.T
    if not np.all(np.isfinite(V)) or np.min(np.linalg.eigvalsh(V)) <= 0:
        return None
    return V


def vcov_from_rx(prob: GlmmProblem, theta: np.ndarray, state: DevState) -> np.ndarray:
    """``pp$unsc()``: the inverse of :func:`rx_matrix` (lme4's fallback when the Hessian
    is unusable)."""
    return np.linalg.inv(rx_matrix(prob, theta, state))


def _sparse_A(terms: tuple[ReTerm, ...], blocks: list[np.ndarray]) -> sp.csr_matrix:
    """``Z Lambda`` as a sparse n x q matrix (columns: term, level, effect)."""
    n = terms[0].Z.shape[0]
    data, ri, ci = [], [], []
    off = 0
    for t, Lam in zip(terms, blocks, strict=True):
        a = t.Z @ Lam
        data.append(a.ravel())
        ri.append(np.repeat(np.arange(n), t.q))
        ci.append((off + t.codes[:, None] * t.q + np.arange(t.q)[None, :]).ravel())
        off += t.nlev * t.q
    return sp.csr_matrix((np.concatenate(data), (np.concatenate(ri), np.concatenate(ci))),
                         shape=(n, off))
