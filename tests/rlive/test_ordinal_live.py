"""models.ordinal against live polr, clm, VGAM and the R Brant script on fresh random cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from models.ordinal import polr
from replication.parity.ordinal import (
    BRANT_FIXTURE,
    CLM_FIXTURE,
    PARALLEL_FIXTURE,
    POLR_FIXTURE,
    TOL_ORDINAL,
    brant_diffs,
    clm_diffs,
    parallel_diffs,
    parallel_ok,
    polr_diffs,
)
from replication.rbridge import RError, call_r
from replication.rbridge.fixtures import check, fixture_spec
from tests.conftest import need_r_packages

pytestmark = pytest.mark.r

FIXTURE_TOL = 1e-10
"""Frozen and live R on the same input: the same algorithm, so all but the last bits."""
LIVE = settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                phases=(Phase.explicit, Phase.reuse, Phase.generate))  # no shrinking: R calls
FIXTURES = [POLR_FIXTURE, CLM_FIXTURE, PARALLEL_FIXTURE, BRANT_FIXTURE]


def random_cases(seed: int, n_cases: int = 4) -> list[dict]:
    """Fresh proportional-odds cases in the fixture schema: J in 3..5 levels, 1-3 numeric
    predictors on mixed scales, sometimes a factor."""
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n_cases):
        J = int(rng.integers(3, 6))
        n = int(rng.integers(150, 600))
        p = int(rng.integers(1, 4))
        scales = rng.choice([1.0, 10.0, 0.1, 500.0], size=p)
        X = rng.normal(size=(n, p)) * scales
        data = {f"x{j + 1}": X[:, j] for j in range(p)}
        lat = (X / scales) @ rng.normal(scale=0.8, size=p) + rng.logistic(size=n)
        factors = []
        if rng.random() < 0.5:
            g = rng.choice(["f1", "f2", "f3"], size=n)
            data["g"] = list(g)
            factors.append("g")
            lat += 0.6 * (g == "f2")
        cuts = np.quantile(lat, np.sort(rng.uniform(0.1, 0.9, size=J - 1)))
        levels = [f"level {k}" for k in range(J)]
        codes = np.digitize(lat, cuts)
        codes[:J] = np.arange(J)  # every level present
        data["y"] = [levels[k] for k in codes]
        cases.append({"name": f"live{i}", "formula": "y ~ " + " + ".join(
            [f"x{j + 1}" for j in range(p)] + factors), "levels": levels, "factors": factors,
            "data": data})
    return cases


def _run(fixture: str, cases: list[dict]) -> dict:
    code, packages, seed = fixture_spec(fixture)
    return call_r(code, {"cases": cases}, packages=packages, seed=seed).value


@LIVE
@given(seed=st.integers(0, 2**32 - 1))
def test_polr_clm_parallel_brant_on_fresh_cases(seed):
    need_r_packages("MASS", "ordinal", "VGAM")
    cases = random_cases(seed)
    by = {c["name"]: c for c in cases}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, r in _run(POLR_FIXTURE, cases).items():
            case = by[r["case"][0]]
            d = polr_diffs(case, r)
            keys = ["names", "coef", "zeta", "se_fd", "loglik", "aic", "bic", "fitted"]
            if d["r_off_optimum"]:  # polr's BFGS stopped short: its score is > 1e-8 n, ours not
                keys = ["names", "loglik", "aic", "bic"]
            bad = {k: d[k] for k in keys if not d[k] <= TOL_ORDINAL}
            assert not bad, f"seed {seed} polr {key}: {bad}"
        for key, r in _run(CLM_FIXTURE, cases).items():
            d = clm_diffs(by[r["case"][0]], r)
            bad = {k: v for k, v in d.items() if not v <= TOL_ORDINAL}
            assert not bad, f"seed {seed} clm {key}: {bad}"
        for key, r in _run(BRANT_FIXTURE, cases).items():
            d = brant_diffs(by[key], r)
            bad = {k: v for k, v in d.items() if not v <= TOL_ORDINAL}
            assert not bad, f"seed {seed} brant {key}: {bad}"
    for key, r in _run(PARALLEL_FIXTURE, cases).items():
        ok, why = parallel_ok(parallel_diffs(by[r["case"][0]], r), allow_r_off_optimum=True)
        assert ok, f"seed {seed} parallel {key}: {why}"


@pytest.mark.parametrize("name", FIXTURES)
def test_frozen_fixture_still_matches_live_r(name):
    need_r_packages("MASS", "ordinal", "VGAM")
    out = check(name, tolerance=FIXTURE_TOL)
    assert out.status == "same", f"{name}: {out.message} (largest difference {out.max_rel_diff:.2e} at {out.where})"


def _frame(J: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 120
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    codes = np.digitize(x1 + rng.logistic(size=n), np.linspace(-1, 1, J - 1))
    levels = [f"c{k}" for k in range(J)]
    return pd.DataFrame({"y": pd.Categorical.from_codes(codes, levels, ordered=True),
                         "x1": x1, "x2": x2})


def test_r_messages_we_repeat():
    need_r_packages("MASS")
    with pytest.raises(RError, match="response must have 3 or more levels"):
        call_r("MASS::polr(y ~ x1, input$d)", {"d": _frame(2)})
    with pytest.raises(ValueError, match="response must have 3 or more levels"):
        polr("y ~ x1", _frame(2))
    d = _frame().assign(x3=lambda f: f["x1"] + f["x2"])
    r = call_r("f <- MASS::polr(y ~ x1 + x2 - 1, input$d); g <- MASS::polr(y ~ x1 + x2 + x3, "
               "input$d); list(a = coef(f), b = coef(g))", {"d": d})
    assert "an intercept is needed and assumed" in r.warnings
    assert "design appears to be rank-deficient, so dropping some coefs" in r.warnings
    with pytest.warns(UserWarning, match="^an intercept is needed and assumed$"):
        a = polr("y ~ x1 + x2 - 1", d)
    with pytest.warns(UserWarning, match="^design appears to be rank-deficient, so dropping some coefs"):
        b = polr("y ~ x1 + x2 + x3", d)
    # R's defaults stop early: agreement to polr's default reltol only
    np.testing.assert_allclose(a.coef(), r.value["a"], rtol=1e-3)
    np.testing.assert_allclose(b.coef(), r.value["b"], rtol=1e-3)
