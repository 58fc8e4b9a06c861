"""models.multinomial against live VGAM and nnet on fresh random cases, one R call per batch."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from models.multinomial import multinom
from replication.parity.multinomial import (
    NNET_FIXTURE,
    TOL_VGAM,
    TOL_VGAM_VCOV,
    VGAM_FIXTURE,
    fit_case,
    nnet_diffs,
    nnet_ok,
    vgam_diffs,
)
from replication.rbridge import RError, call_r
from replication.rbridge.fixtures import check, fixture_spec
from tests.conftest import need_r_packages

pytestmark = pytest.mark.r

FIXTURE_TOL = 1e-10
"""Frozen and live R on the same input: the same algorithm, so all but the last bits."""
LIVE = settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                phases=(Phase.explicit, Phase.reuse, Phase.generate))  # no shrinking: R calls


def random_cases(seed: int, n_cases: int = 4) -> list[dict]:
    """Fresh cases in the fixture schema: K in 2..5 levels, 1-3 numeric predictors on mixed
    scales, sometimes a factor, two reference levels each."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n_cases):
        K = int(rng.integers(2, 6))
        n = int(rng.integers(60, 400))
        p = int(rng.integers(1, 4))
        scales = rng.choice([1.0, 10.0, 0.1, 500.0], size=p)
        X = rng.normal(size=(n, p)) * scales
        data = {f"x{j + 1}": X[:, j] for j in range(p)}
        eta = np.column_stack([np.zeros(n)] + [rng.normal(scale=0.3) + (X / scales)
                                               @ rng.normal(scale=0.7, size=p)
                                               for _ in range(K - 1)])
        factors = []
        if rng.random() < 0.5:
            g = rng.choice(["f1", "f2", "f3"], size=n)
            data["g"] = list(g)
            factors.append("g")
            eta[:, 1:] += 0.5 * (g == "f2")[:, None]
        pr = np.exp(eta - eta.max(axis=1, keepdims=True))
        pr /= pr.sum(axis=1, keepdims=True)
        idx = (rng.random(n)[:, None] > np.cumsum(pr, axis=1)).sum(axis=1)
        levels = [f"lev{k}" for k in range(K)]
        if len(np.unique(idx)) < K:
            idx[:K] = np.arange(K)  # every level present
        data["y"] = [levels[k] for k in idx]
        refs = sorted({levels[0], levels[int(rng.integers(0, K))]})
        cases.append({"name": f"live{i}", "formula": "y ~ " + " + ".join(
            [f"x{j + 1}" for j in range(p)] + factors), "levels": levels, "factors": factors,
            "refs": refs, "data": data})
    return cases


def _run(fixture: str, cases: list[dict]) -> dict:
    code, packages, seed = fixture_spec(fixture)
    return call_r(code, {"cases": cases}, packages=packages, seed=seed).value


@LIVE
@given(seed=st.integers(0, 2**32 - 1))
def test_vgam_and_nnet_on_fresh_cases(seed):
    need_r_packages("VGAM", "nnet")
    cases = random_cases(seed)
    by_name = {c["name"]: c for c in cases}
    vg, nn = _run(VGAM_FIXTURE, cases), _run(NNET_FIXTURE, cases)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, r in vg.items():
            d = vgam_diffs(by_name[r["case"][0]], r)
            tol = {"vcov": TOL_VGAM_VCOV, "se": TOL_VGAM_VCOV}
            bad = {k: v for k, v in d.items() if not v <= tol.get(k, TOL_VGAM)}
            # VGAM stops on the change in deviance, so on a fresh draw it can stop a little
            # short of the maximum; within ten times the tolerance that is accepted only
            # when our log-likelihood is at least VGAM's (we are the better maximum).
            ours_ll = fit_case(by_name[r["case"][0]], r["ref"][0]).fit.loglik
            r_ll = float(np.asarray(r["loglik"]).ravel()[0])
            if bad and ours_ll >= r_ll - 1e-12 * abs(r_ll):
                bad = {k: v for k, v in bad.items()
                       if k not in ("coef", "se", "vcov") or not v <= 10 * tol.get(k, TOL_VGAM)}
            assert not bad, f"seed {seed} {key}: {bad}"
        for key, r in nn.items():
            ok, bad = nnet_ok(nnet_diffs(by_name[r["case"][0]], r))
            assert ok, f"seed {seed} {key}: {bad}"


@pytest.mark.parametrize("name", [VGAM_FIXTURE, NNET_FIXTURE])
def test_frozen_fixture_still_matches_live_r(name):
    need_r_packages("VGAM", "nnet")
    out = check(name, tolerance=FIXTURE_TOL)
    assert out.status == "same", f"{name}: {out.message} (largest difference {out.max_rel_diff:.2e} at {out.where})"


def _frame():
    rng = np.random.default_rng(7)
    n = 90
    y = pd.Categorical(rng.choice(["a", "b", "c"], size=n), categories=["a", "b", "gone", "c"])
    return pd.DataFrame({"y": y, "x": rng.normal(size=n)})


def test_empty_group_warning_text_as_nnet():
    need_r_packages("nnet")
    d = _frame()
    r = call_r("nnet::multinom(y ~ x, input$d, trace = FALSE); TRUE", {"d": d})
    with pytest.warns(UserWarning) as rec:
        ours = multinom("y ~ x", d)
    assert [str(w.message) for w in rec] == list(r.warnings)
    coef = call_r("coef(VGAM::vglm(y ~ x, VGAM::multinomial(refLevel = 1), data = input$d, "
                  "control = VGAM::vglm.control(epsilon = 1e-13)))", {"d": d}).value
    # VGAM drops the empty level too; its coefficients are term-major
    np.testing.assert_allclose(ours.coef().to_numpy().T.ravel(), coef.to_numpy(), rtol=TOL_VGAM)


def test_one_class_error_as_nnet():
    need_r_packages("nnet")
    d = _frame().assign(y=pd.Categorical(["a"] * 90))
    with pytest.raises(RError, match="need two or more classes to fit a multinom model"):
        call_r("nnet::multinom(y ~ x, input$d, trace = FALSE)", {"d": d})
    with pytest.raises(ValueError, match="need two or more classes to fit a multinom model"):
        multinom("y ~ x", d)
