"""models.logistic against live R on fresh random data: glm(family = binomial) with factors,
weights and proportions, MASS's profile intervals, R² and Hosmer-Lemeshow, the score, LR,
Wald and conditional statistics, the SPSS stepwise paths and step() by AIC, R's spline().
The R code is each fixture's own script, batched: one R call per family of checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from models.logistic import _fmm_spline, _profile_limits
from replication.parity import logistic as pl
from replication.rbridge import call_r
from replication.rbridge.fixtures import fixture_spec
from tests.conftest import need_r_packages

pytestmark = pytest.mark.r

SPLINE_TOL = 1e-12
"""R's spline() and ours solve the same tridiagonal system in a different order."""


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _glm_input(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    cases = []
    for j in range(4):
        n = int(rng.integers(40, 250))
        x1, x2 = rng.normal(size=n), rng.normal(rng.uniform(-2, 2), rng.uniform(0.5, 3), n)
        k = int(rng.integers(2, 5))
        levels = [f"l{i}" for i in rng.permutation(k)]
        g = rng.choice(levels, n)
        eff = dict(zip(levels, rng.normal(0, 0.6, k), strict=True))
        lin = rng.normal(0, 0.5) + rng.normal(0, 0.7) * x1 + rng.normal(0, 0.3) * x2 + np.array([eff[v] for v in g])
        data = {"x1": x1.tolist(), "x2": x2.tolist(), "g": g.tolist()}
        weights = None
        if j == 2:  # a proportion outcome with trials as weights
            trials = rng.integers(2, 12, n)
            data["y"] = (rng.binomial(trials, _expit(lin)) / trials).tolist()
            weights = trials.astype(float).tolist()
        else:
            data["y"] = (rng.uniform(size=n) < _expit(lin)).astype(float).tolist()
            if j == 1:
                w = rng.integers(0, 4, n).astype(float)
                weights = w.tolist()
        formula = ["y ~ x1 + x2 + g", "y ~ x1 + g", "y ~ x1 * x2", "y ~ x1 + x2 + g + x1:g"][j]
        cases.append({"label": f"live{j}", "formula": formula, "data": data, "factors": {"g": levels},
                      "weights": weights})
    return {"cases": cases}


def _stepwise_input(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n = 220
    x = {f"x{i}": rng.normal(size=n) for i in range(1, 5)}
    x["x5"] = x["x1"] + x["x2"] + rng.normal(0, 0.5, n)
    f = rng.choice(["p", "q", "r"], n)
    b = rng.choice(["no", "yes"], n)
    lin = (-0.3 + 1.2 * x["x1"] + 0.8 * x["x2"] + 0.25 * x["x3"] + np.where(f == "r", 0.8, 0.0)
           + np.where(b == "yes", 0.3, 0.0))
    y = (rng.uniform(size=n) < _expit(lin)).astype(float)
    data = {"y": y.tolist(), **{k: v.tolist() for k, v in x.items()}, "f": f.tolist(), "b": b.tolist()}
    runs = [{"method": m, "p_enter": pe, "p_remove": pr}
            for m in ("forward_lr", "forward_wald", "forward_conditional", "backward_lr", "backward_wald",
                      "backward_conditional") for pe, pr in ((0.05, 0.10), (0.25, 0.30))]
    return {"data": data, "levels": {"f": ["p", "q", "r"], "b": ["no", "yes"]},
            "candidates": ["x1", "x2", "x3", "x4", "x5", "f", "b"], "runs": runs,
            "score_models": [[], ["x5", "b"]], "removal_models": [["x1", "x2", "x3", "x4", "x5", "f", "b"]]}


def _r(name: str, inp: dict):
    code, packages, seed = fixture_spec(name)
    return call_r(code, inp, packages=packages, seed=seed).value


@pytest.mark.parametrize("seed", (11, 22))
def test_glm_live(seed):
    need_r_packages("MASS")
    inp = _glm_input(seed)
    d = pl.compare_glm(pl.run_glm_cases(inp), _r(pl.GLM, inp))
    assert d["terms"] == 0 and d["counts"] == 0 and d["classification"] == 0
    for k in ("coef_se", "z_p", "wald_ci", "profile_ci", "likelihood", "r2", "hosmer_lemeshow", "spss_arith"):
        assert d[k] <= pl.LOGIT_TOL, f"{k}: {d[k]:.2e}"


@pytest.mark.slow
def test_stepwise_live():
    inp = _stepwise_input(33)
    d = pl.compare_stepwise(pl.run_stepwise(inp), _r(pl.STEPWISE, inp))
    assert d["path"] == 0 and d["final"] <= pl.LOGIT_TOL
    for k, v in d.items():
        assert v <= pl.LOGIT_TOL, f"{k}: {v:.2e}"


def test_separation_warnings_live():
    rng = np.random.default_rng(44)
    x = rng.normal(size=30)
    inp = {"cases": [{"label": "complete", "formula": "y ~ x", "data": {"y": (x > 0).astype(float).tolist(),
                                                                      "x": x.tolist()}}]}
    r = _r(pl.SEPARATION, inp)
    ours = pl.run_separation(inp, tol=1e-8, maxiter=25)[0]
    assert [w for w in ours if w.startswith("glm.fit")] == list(r[0]["default"])


def test_fmm_spline_and_approx_match_r_live():
    rng = np.random.default_rng(55)
    cases = []
    for n in (3, 4, 5, 9, 19):
        x = np.sort(rng.uniform(-2, 2, n))
        y = np.tanh(x) + rng.normal(0, 0.05, n)
        cases.append({"x": x, "y": y})
    r = call_r("lapply(input$cases, function(cs) spline(cs$x, cs$y))",
               {"cases": [{"x": c["x"], "y": c["y"]} for c in cases]}).value
    for c, rr in zip(cases, r, strict=True):
        np.testing.assert_allclose(rr["x"], np.linspace(c["x"][0], c["x"][-1], 3 * len(c["x"])), rtol=1e-14)
        np.testing.assert_allclose(_fmm_spline(c["x"], c["y"], rr["x"]), rr["y"], rtol=0, atol=SPLINE_TOL)
    # MASS's inversion of a profile: spline, then linear approx at the normal quantiles
    z = np.array([-3.1, -2.2, -1.3, -0.6, 0.0, 0.7, 1.5, 2.4, 3.2])
    b = 0.4 + 0.3 * z + 0.02 * z**2
    rr = call_r("sp <- spline(x = input$b, y = input$z); approx(sp$y, sp$x, xout = qnorm(c(0.025, 0.975)))$y",
                {"b": b, "z": z}).value
    np.testing.assert_allclose(_profile_limits(b, z, 0.95), rr, rtol=1e-13)


def test_irls_iterations_and_stopping_are_glm_fits():
    """IRLS is glm.fit's (its start, stopping rule and clamp): the same convergence flag as R
    at R's default control and at 1e-12, and where the estimates exist the same iteration
    count and R's coefficients, even where R's default control stops early. On separated
    data the deviance creeps towards 0 and rounding (LAPACK's QR here, LINPACK's in R) can
    move the stopping iteration by one."""
    from models.logistic import SeparationWarning, logit  # noqa: PLC0415

    inp = _glm_input(77)
    ours, separated = [], []
    for cs in inp["cases"]:
        d = pl.case_frame(cs["data"], cs.get("factors"))
        w = None if cs.get("weights") is None else pl.as_float(cs["weights"])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours.append([logit(cs["formula"], d, weights=w, tol=tol, maxiter=mx)
                         for tol, mx in ((1e-8, 25), (1e-12, 100))])
        separated.append(any(issubclass(c.category, SeparationWarning) for c in caught))
    code = """
    lapply(input$cases, function(cs) {
      d <- as.data.frame(lapply(cs$data, unlist))
      d$g <- factor(d$g, levels = unlist(cs$factors$g))
      w <- if (is.null(cs$weights)) rep(1, nrow(d)) else unlist(cs$weights)
      lapply(list(c(1e-8, 25), c(1e-12, 100)), function(ct) {
        f <- suppressWarnings(glm(as.formula(cs$formula), binomial, d, weights = w,
                                  control = glm.control(epsilon = ct[1], maxit = ct[2])))
        list(iter = f$iter, converged = f$converged, coef = unname(coef(f)))
      })
    })"""
    r = call_r(code, inp).value
    for mine, theirs, sep in zip(ours, r, separated, strict=True):
        for m, t in zip(mine, theirs, strict=True):
            assert m.converged == bool(t["converged"][0])
            assert abs(m.iterations - int(t["iter"][0])) <= (1 if sep else 0)
            if not sep:
                np.testing.assert_allclose(m.coef, t["coef"], rtol=1e-9, atol=1e-12)
    assert not all(separated)
