"""glmnet, cv.glmnet and R's fold generator against live R, on cases not in the fixtures."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from models.elasticnet import cv_glmnet, glmnet
from models.rrandom import RRNG, RoundingSamplerWarning, r_foldid
from replication.parity.elasticnet import CV_TOL, PATH_TOL, rel_diff
from replication.rbridge import call_r
from replication.rbridge.fixtures import check
from tests.conftest import need_r_packages

pytestmark = pytest.mark.r

FIXTURE_TOL = 1e-12
"""Frozen fixtures re-run in the same R and glmnet versions must reproduce to rounding."""


def _case(rng: np.random.Generator, family: str):
    n = int(rng.integers(60, 200))
    p = int(rng.integers(3, 25))
    x = rng.normal(size=(n, p)) * rng.uniform(0.1, 50, size=p) + rng.uniform(-5, 5, size=p)
    z = (x - x.mean(0)) / x.std(0)
    beta = rng.normal(size=p) * (rng.uniform(size=p) < 0.4)
    eta = z @ beta + rng.normal() * 0.5
    if family == "gaussian":
        y = eta + rng.normal(size=n)
    else:
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
        y[:8], y[8:16] = 1.0, 0.0  # at least 8 of each class
    k = int(rng.integers(3, 11))
    measures = (
        ["deviance", "class", "auc", "mse", "mae"] if family == "binomial" else ["mse", "mae"]
    )
    return {
        "family": family,
        "x": x,
        "y": y,
        "alpha": float(rng.choice([1.0, 0.5, 0.1])),
        "foldid": r_foldid(n, k, int(rng.integers(1, 10**6))),
        "measure": str(rng.choice(measures)),
        "grouped": bool(rng.uniform() < 0.7),
        "weights": (rng.uniform(0.2, 3, size=n) if rng.uniform() < 0.4 else None),
        "standardize": bool(rng.uniform() < 0.8),
    }


CASES = [
    _case(np.random.default_rng(9000 + i), "binomial" if i < 10 else "gaussian") for i in range(14)
]

R_CODE = """
lapply(input$cases, function(cs) {
  w <- if (is.null(cs$weights)) NULL else cs$weights
  fit <- glmnet(cs$x, cs$y, family = cs$family, alpha = cs$alpha, weights = w,
                standardize = cs$standardize)
  cv <- suppressWarnings(cv.glmnet(cs$x, cs$y, family = cs$family, alpha = cs$alpha, weights = w,
                                   standardize = cs$standardize, foldid = cs$foldid,
                                   type.measure = cs$measure, grouped = cs$grouped, thresh = 1e-12))
  list(lambda = fit$lambda, a0 = unname(fit$a0), beta = unname(as.matrix(fit$beta)),
       df = as.integer(fit$df), dev_ratio = fit$dev.ratio,
       cv_lambda = cv$lambda, cvm = unname(cv$cvm), cvsd = unname(cv$cvsd),
       nzero = as.integer(cv$nzero),
       lambda_min = cv$lambda.min, lambda_1se = cv$lambda.1se,
       coef_min = as.vector(coef(cv, s = "lambda.min")))
})
"""


@pytest.fixture(scope="module")
def r_results():
    need_r_packages("glmnet")
    data = {
        "cases": [{k: v for k, v in c.items() if k != "weights" or v is not None} for c in CASES]
    }
    return call_r(R_CODE, data=data, packages=["glmnet"]).value


@pytest.mark.parametrize(
    "i", range(len(CASES)), ids=[f"{c['family']}-{c['measure']}-{i}" for i, c in enumerate(CASES)]
)
def test_fresh_cases_match_live_r(r_results, i):
    c, r = CASES[i], r_results[i]
    fit = glmnet(
        c["x"],
        c["y"],
        family=c["family"],
        alpha=c["alpha"],
        weights=c["weights"],
        standardize=c["standardize"],
    )
    assert rel_diff(fit.lambda_, r["lambda"]) <= PATH_TOL
    assert rel_diff(fit.a0.to_numpy(), r["a0"]) <= PATH_TOL
    assert rel_diff(fit.beta.to_numpy(), np.asarray(r["beta"]).reshape(fit.beta.shape)) <= PATH_TOL
    assert rel_diff(fit.dev_ratio, r["dev_ratio"]) <= PATH_TOL
    np.testing.assert_array_equal(fit.df, r["df"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = cv_glmnet(
            c["x"],
            c["y"],
            family=c["family"],
            alpha=c["alpha"],
            weights=c["weights"],
            standardize=c["standardize"],
            foldid=c["foldid"],
            type_measure=c["measure"],
            grouped=c["grouped"],
            thresh=1e-12,
        )
    for mine, theirs in [
        (cv.lambda_, r["cv_lambda"]),
        (cv.cvm, r["cvm"]),
        (cv.cvsd, r["cvsd"]),
        (cv.lambda_min, r["lambda_min"]),
        (cv.lambda_1se, r["lambda_1se"]),
        (cv.coef("lambda.min").to_numpy(), r["coef_min"]),
    ]:
        assert rel_diff(mine, theirs) <= CV_TOL
    np.testing.assert_array_equal(cv.nzero, r["nzero"])


def test_fresh_fold_draws_match_live_r():
    rng = np.random.default_rng(77)
    cases = [
        {
            "n": int(rng.integers(1, 3000)),
            "k": int(rng.integers(3, 30)),
            "seed": int(rng.integers(-(2**31) + 1, 2**31 - 1)),
        }
        for _ in range(40)
    ]
    code = """lapply(input$cases, function(cs) {
      res <- list()
      for (kind in c("Rejection", "Rounding")) {
      suppressWarnings(set.seed(cs$seed, sample.kind = kind))
      res[[kind]] <- c(sample(rep(seq(cs$k), length.out = cs$n)), runif(3)) }
      RNGkind("Mersenne-Twister", "Inversion", "Rejection"); res })"""
    r = call_r(code, data={"cases": cases}).value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingSamplerWarning)
        for cs, ref in zip(cases, r, strict=True):
            for kind in ("Rejection", "Rounding"):
                g = RRNG(cs["seed"], kind)
                got = np.concatenate([r_foldid(cs["n"], cs["k"], rng=g), g.runif(3)])
                np.testing.assert_array_equal(
                    got, np.asarray(ref[kind], dtype=float), err_msg=str(cs)
                )


def test_cv_glmnet_seed_matches_r_set_seed():
    """set.seed(s); cv.glmnet(x, y) in R equals cv_glmnet(x, y, seed=s): folds and all."""
    need_r_packages("glmnet")
    c = CASES[0]
    r = call_r(
        "set.seed(31, kind='Mersenne-Twister', sample.kind='Rejection');"
        "cv <- cv.glmnet(input$x, input$y, family='binomial', keep=TRUE, thresh=1e-12);"
        "list(foldid=cv$foldid, cvm=cv$cvm)",
        data={"x": c["x"], "y": c["y"]},
        packages=["glmnet"],
    ).value
    cv = cv_glmnet(c["x"], c["y"], seed=31, thresh=1e-12)
    np.testing.assert_array_equal(cv.foldid, r["foldid"])
    assert rel_diff(cv.cvm, r["cvm"]) <= CV_TOL


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["elasticnet_path", "elasticnet_cv", "rrandom_foldid", "rrandom_streams"]
)
def test_frozen_fixture_reproduces_in_live_r(name):
    need_r_packages("glmnet")
    outcome = check(name, tolerance=FIXTURE_TOL)
    assert outcome.status == "same", (
        f"{name}: {outcome.message} (max rel diff {outcome.max_rel_diff} at {outcome.where})"
    )


def test_hood2016_model_matches_r_as_the_paper_ran_it():
    """The study's default (Rounding folds from seed 2016, folds fitted on the full-data lambda
    sequence, as glmnet 2.0-2 on R 3.2.2) against R: set.seed(2016, sample.kind = "Rounding");
    cv.glmnet(x, y, lambda = glmnet(x, y)$lambda)."""
    need_r_packages("glmnet")
    from replication.data import make_panel
    from replication.papers import hood2016

    panel = make_panel(seed=0)
    res = hood2016.run(panel, figures=False)
    preds = res.options["predictors"]
    X, y, _ = hood2016.model_data(panel, preds, 2012, "inadequate_2012_13")
    code = """
      x <- as.matrix(input$x); y <- as.double(input$y)
      fit0 <- glmnet(x, y, family = "binomial")
      suppressWarnings(set.seed(2016, kind = "Mersenne-Twister", sample.kind = "Rounding"))
      cv <- cv.glmnet(x, y, family = "binomial", lambda = fit0$lambda, keep = TRUE)
      RNGkind("Mersenne-Twister", "Inversion", "Rejection")
      list(foldid = cv$foldid, cvm = cv$cvm, lambda_min = cv$lambda.min,
           coef = as.vector(coef(fit0, s = cv$lambda.min)), dev = fit0$dev.ratio)"""
    r = call_r(
        code, data={"x": X[preds].to_numpy(), "y": y.astype(float)}, packages=["glmnet"]
    ).value
    t2 = res.tables["table2_coefficients"].set_index("term")["coefficient"]
    coef_r = pd.Series(r["coef"], index=["(Intercept)", *preds])
    coef_r = coef_r[(coef_r != 0) | (coef_r.index == "(Intercept)")]
    assert list(t2.index) == list(coef_r.index)
    assert rel_diff(t2.to_numpy(), coef_r.to_numpy()) <= CV_TOL
    assert rel_diff(res.options["lambda"], r["lambda_min"]) <= CV_TOL
