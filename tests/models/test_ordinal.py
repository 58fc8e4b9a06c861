"""models.ordinal against frozen polr, clm, VGAM and Brant-in-R outputs; properties; bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.miscmodels.ordinal_model import OrderedModel

from models._result import validate_glance, validate_tidy
from models.ordinal import brant_test, fit_cumulative, parallel_lines_test, polr
from replication.parity.ordinal import (
    BRANT_FIXTURE,
    CLM_FIXTURE,
    PARALLEL_FIXTURE,
    POLR_FIXTURE,
    TOL_ORDINAL,
    brant_diffs,
    case_frame,
    clm_diffs,
    parallel_diffs,
    parallel_ok,
    polr_diffs,
)
from replication.rbridge.fixtures import load_fixture

PROPERTY_TOL = 1e-8
"""Two Newton fits of the same likelihood, each to a score below 1e-11 * n."""
POLR_SE_SCALING_GAP = 1e-2
"""polr's finite-difference SEs are off by more than this on the unscaled spend case."""

POLR = load_fixture(POLR_FIXTURE)
CLM = load_fixture(CLM_FIXTURE)
PARALLEL = load_fixture(PARALLEL_FIXTURE)
BRANT = load_fixture(BRANT_FIXTURE)
CASES = {c["name"]: c for c in POLR.input["cases"]}


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


# --------------------------------------------------------------------------- frozen R


@pytest.mark.parametrize("key", sorted(POLR.result))
def test_matches_polr(key):
    r = POLR.result[key]
    case = CASES[r["case"][0]]
    d = polr_diffs(case, r)
    assert d["names"] == 0, "coefficient or zeta names differ from polr's"
    # SEs as polr computes them (finite-difference Hessian, ginv); exact ones: see below
    keys = ["coef", "zeta", "se_fd", "loglik", "deviance", "aic", "bic", "edf", "nobs", "fitted"]
    bad = {k: d[k] for k in keys if not d[k] <= TOL_ORDINAL}
    assert not bad, f"{key}: differences from polr above {TOL_ORDINAL}: {bad}"


def test_polr_finite_difference_se_fails_on_unscaled_predictor():
    # the spend-in-pounds case: polr is off, clm (analytic Hessian) agrees with us
    key = "wilkins_like/logistic"
    d = polr_diffs(CASES["wilkins_like"], POLR.result[key])
    assert d["se"] > POLR_SE_SCALING_GAP and d["se_fd"] <= TOL_ORDINAL
    assert clm_diffs(CASES["wilkins_like"], CLM.result[key])["vcov"] <= TOL_ORDINAL


@pytest.mark.parametrize("key", sorted(CLM.result))
def test_matches_clm(key):
    r = CLM.result[key]
    d = clm_diffs(CASES[r["case"][0]], r)
    bad = {k: v for k, v in d.items() if not v <= TOL_ORDINAL}
    assert not bad, f"{key}: differences from clm above {TOL_ORDINAL}: {bad}"


@pytest.mark.parametrize("key", sorted(PARALLEL.result))
def test_parallel_lines_matches_vgam(key):
    r = PARALLEL.result[key]
    d = parallel_diffs(CASES[r["case"][0]], r)
    ok, why = parallel_ok(d)
    assert ok, f"{key}: {why}"
    if not d["r_valid"]:
        # VGAM's general model has crossing curves (negative fitted probabilities, NaN logLik)
        assert r["min_fitted"][0] < 0 and d["negative"] > 0


@pytest.mark.parametrize("key", sorted(BRANT.result))
def test_brant_matches_r_script(key):
    d = brant_diffs(CASES[key], BRANT.result[key])
    bad = {k: v for k, v in d.items() if not v <= TOL_ORDINAL}
    assert not bad, f"{key}: differences from the R Brant script above {TOL_ORDINAL}: {bad}"


def test_brant_and_parallel_lines_reject_nonparallel_case():
    d = case_frame(CASES["five_nonparallel_ordered"])
    assert brant_test("y ~ x1 + x2", d).p_value < 1e-4
    assert parallel_lines_test("y ~ x1 + x2", d).p_value < 1e-4
    b = brant_test("y ~ x1 + x2", d).per_term.set_index("term")
    assert b.loc["x1", "p_value"] < 1e-4  # the slope that varies by cut


def test_loglik_agrees_with_statsmodels_ordered_model():
    case = CASES["four_mixed"]
    f = polr(case["formula"], case_frame(case))
    X = f.design.X[f.terms].to_numpy()
    y = case_frame(case)["y"].cat.codes.to_numpy()
    om = OrderedModel(y, X, distr="logit")
    # OrderedModel stores the first cut-point, then log increments
    params = np.concatenate([f.fit.beta, [f.fit.zeta[0]], np.log(np.diff(f.fit.zeta))])
    assert om.loglike(params) == pytest.approx(f.fit.loglik, rel=1e-12)
    assert np.max(np.abs(om.score(params))) < 1e-6


def test_tidy_and_glance_schema():
    case = CASES["four_mixed"]
    f = polr(case["formula"], case_frame(case))
    td = validate_tidy(f.tidy())
    assert list(td["coef_type"]) == ["coefficient"] * 4 + ["zeta"] * 3
    assert list(td["term"][4:]) == ["inadequate|requires_improvement",
                                    "requires_improvement|good", "good|outstanding"]
    np.testing.assert_allclose(td["wald"], td["statistic"] ** 2, rtol=1e-14)
    g = validate_glance(f.glance())
    assert g.columns[0] == "nobs"
    assert g["edf"].iloc[0] == 7
    assert g["lr_df"].iloc[0] == 4
    r = POLR.result["four_mixed/logistic"]
    ll0 = f.null_loglik
    assert g["mcfadden_r2"].iloc[0] == pytest.approx(1 - r["loglik"][0] / ll0, rel=TOL_ORDINAL)
    t = parallel_lines_test(case["formula"], case_frame(case)).table()
    assert list(t["model"]) == ["Null Hypothesis", "General"]
    assert t["neg2ll"].iloc[0] == pytest.approx(-2 * f.fit.loglik, rel=1e-12)
    assert list(brant_test(case["formula"], case_frame(case)).table()["term"]) == [
        "Omnibus", "x1", "x2", "gsouth", "gwest"]


# --------------------------------------------------------------------------- properties


def _synthetic(seed: int, n: int = 200, J: int = 4, method: str = "logistic") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    g = rng.choice(["a", "b"], size=n)
    beta = rng.normal(scale=0.8, size=3)
    err = rng.logistic(size=n) if method == "logistic" else rng.normal(size=n)
    lat = beta[0] * x1 + beta[1] * x2 + beta[2] * (g == "b") + err
    cuts = np.quantile(lat, np.linspace(0, 1, J + 1)[1:-1])
    levels = [f"c{k}" for k in range(J)]
    y = pd.Categorical([levels[i] for i in np.digitize(lat, cuts)], categories=levels,
                       ordered=True)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g})


PROP = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROP
@given(seed=st.integers(0, 10_000), c=st.sampled_from([1e-3, 0.25, 9.0, 1e3]),
       method=st.sampled_from(["logistic", "probit"]))
def test_rescaling_x_rescales_beta_inversely(seed, c, method):
    d = _synthetic(seed, method=method)
    base = polr("y ~ x1 + x2 + g", d, method=method)
    scaled = polr("y ~ x1 + x2 + g", d.assign(x1=d["x1"] * c), method=method)
    assert scaled.coef()["x1"] * c == pytest.approx(base.coef()["x1"], rel=PROPERTY_TOL)
    np.testing.assert_allclose(scaled.zeta(), base.zeta(), rtol=PROPERTY_TOL, atol=PROPERTY_TOL)
    se_b = np.sqrt(np.diag(base.fit.vcov))[0]
    se_s = np.sqrt(np.diag(scaled.fit.vcov))[0]
    assert se_s * c == pytest.approx(se_b, rel=1e-6)


@PROP
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_row_order_changes_nothing_and_probabilities_sum_to_one(seed, perm_seed):
    d = _synthetic(seed)
    base = polr("y ~ x1 + x2 + g", d)
    perm = np.random.default_rng(perm_seed).permutation(len(d))
    other = polr("y ~ x1 + x2 + g", d.iloc[perm])
    np.testing.assert_allclose(other.coef(), base.coef(), rtol=PROPERTY_TOL)
    np.testing.assert_allclose(other.zeta(), base.zeta(), rtol=PROPERTY_TOL, atol=PROPERTY_TOL)
    fv = base.fitted_values()
    np.testing.assert_allclose(fv.sum(axis=1), 1.0, rtol=1e-13)
    assert (fv.to_numpy() > 0).all()
    t1 = _quiet(parallel_lines_test, "y ~ x1 + x2 + g", d)
    t2 = _quiet(parallel_lines_test, "y ~ x1 + x2 + g", d.iloc[perm])
    assert t2.statistic == pytest.approx(t1.statistic, rel=1e-6, abs=1e-9)


@PROP
@given(seed=st.integers(0, 10_000), method=st.sampled_from(["logistic", "probit"]))
def test_reversing_the_levels_flips_every_sign(seed, method):
    d = _synthetic(seed)
    base = polr("y ~ x1 + x2 + g", d, method=method)
    rev = polr("y ~ x1 + x2 + g", d, method=method, levels=list(d["y"].cat.categories)[::-1])
    np.testing.assert_allclose(rev.coef(), -base.coef(), rtol=PROPERTY_TOL)
    np.testing.assert_allclose(rev.fit.zeta, -base.fit.zeta[::-1], rtol=PROPERTY_TOL,
                               atol=PROPERTY_TOL)
    assert rev.fit.loglik == pytest.approx(base.fit.loglik, rel=1e-12)


def test_levels_argument_equals_categorical_order():
    d = _synthetic(3)
    a = polr("y ~ x1 + x2", d)
    b = polr("y ~ x1 + x2", d.assign(y=d["y"].astype(str)), levels=["c0", "c1", "c2", "c3"])
    np.testing.assert_allclose(b.coef(), a.coef(), rtol=1e-14)
    assert list(b.zeta().index) == ["c0|c1", "c1|c2", "c2|c3"]


@pytest.mark.parametrize("seed,method", [(1, "logistic"), (2, "probit"), (3, "logistic")])
def test_planted_effects_recovered(seed, method):
    rng = np.random.default_rng(seed)
    n = 4000
    x1, x2 = rng.normal(size=n), rng.uniform(-1, 1, size=n)
    beta, zeta = np.array([0.8, -1.2]), np.array([-1.0, 0.2, 1.5])
    err = rng.logistic(size=n) if method == "logistic" else rng.normal(size=n)
    lat = beta[0] * x1 + beta[1] * x2 + err
    y = pd.Categorical(np.digitize(lat, zeta), categories=[0, 1, 2, 3], ordered=True)
    f = polr("y ~ x1 + x2", pd.DataFrame({"y": y, "x1": x1, "x2": x2}), method=method)
    td = f.tidy()
    z = (td["estimate"].to_numpy() - np.concatenate([beta, zeta])) / td["std_error"].to_numpy()
    assert np.all(np.abs(z) < 4.5), z  # deterministic draws; each |z| < 4.5 (P ~ 7e-6 each)
    t = parallel_lines_test("y ~ x1 + x2", pd.DataFrame({"y": y, "x1": x1, "x2": x2}),
                            method=method)
    assert t.p_value > 1e-3  # the planted model is proportional


def test_fit_cumulative_pure_function():
    d = _synthetic(8)
    f = polr("y ~ x1 + x2", d)
    g = fit_cumulative(d["y"].cat.codes.to_numpy(), d[["x1", "x2"]].to_numpy(), 4)
    np.testing.assert_allclose(g.beta, f.fit.beta, rtol=1e-14)
    assert g.converged and g.max_abs_score < 1e-11


# --------------------------------------------------------------------------- bad input


def test_response_must_be_a_factor():
    d = _synthetic(20).assign(y=lambda f: f["y"].cat.codes)
    with pytest.raises(TypeError, match="response 'y' must be a factor"):
        polr("y ~ x1", d)


def test_fewer_than_three_levels():
    d = _synthetic(21, J=2)
    with pytest.raises(ValueError, match="response must have 3 or more levels"):
        polr("y ~ x1", d)


def test_empty_level_is_an_error_naming_it():
    d = _synthetic(22)
    d["y"] = d["y"].cat.add_categories(["never"])
    with pytest.raises(ValueError, match=r"level\(s\) \['never'\] have no cases"):
        polr("y ~ x1", d)


def test_one_level_factor_predictor():
    with pytest.raises(ValueError, match="predictor 'g' has a single level"):
        polr("y ~ x1 + g", _synthetic(23).assign(g="a"))


def test_missing_values_dropped_and_counted():
    d = _synthetic(24)
    d.loc[[1, 2], "x2"] = np.nan
    d.loc[5, "y"] = np.nan
    with pytest.warns(UserWarning, match="3 observations deleted due to missingness"):
        f = polr("y ~ x1 + x2", d)
    assert f.nobs == 197
    ref = polr("y ~ x1 + x2", d.dropna())
    np.testing.assert_allclose(f.coef(), ref.coef(), rtol=1e-14)


def test_perfect_separation_warns_naming_the_predictor():
    rng = np.random.default_rng(25)
    n = 90
    codes = np.repeat([0, 1, 2], 30)
    sep = codes * 3.0 + rng.uniform(0, 1, size=n)
    d = pd.DataFrame({"y": pd.Categorical.from_codes(codes, ["a", "b", "c"], ordered=True),
                      "x": rng.normal(size=n), "sep": sep})
    with pytest.warns(UserWarning, match="separation along sep;"):
        polr("y ~ x + sep", d)


@pytest.mark.parametrize("fn", [polr, parallel_lines_test, brant_test], ids=lambda f: f.__name__)
def test_infinite_predictor_is_an_error_naming_the_column(fn):
    """R: MASS::polr(y ~ x1 + x2) with an Inf in x2 stops with "NA/NaN/Inf in 'x'"."""
    d = _synthetic(29)
    d.loc[[8, 9], "x2"] = [-np.inf, np.inf]
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: infinite values .* 'x2' \(2 rows\); "
                                         r"rows 8, 9\."):
        fn("y ~ x1 + x2 + g", d)
    d.loc[[8, 9], "x1"] = np.nan  # rows na.omit drops take their Inf with them
    with pytest.warns(UserWarning, match="2 observations deleted"):
        got = fn("y ~ x1 + x2 + g", d)
    ref = fn("y ~ x1 + x2 + g", d.drop(index=[8, 9]))
    assert got.glance()["nobs"].iloc[0] == 198
    pd.testing.assert_frame_equal(got.tidy(), ref.tidy())


def test_no_spurious_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = _synthetic(26, n=1000)
        polr("y ~ x1 + x2 + g", d)
        parallel_lines_test("y ~ x1 + x2 + g", d)
        brant_test("y ~ x1 + x2 + g", d)


def test_fewer_cases_than_parameters():
    d = _synthetic(27, n=6)
    d["y"] = pd.Categorical.from_codes([0, 1, 2, 3, 0, 1], ["c0", "c1", "c2", "c3"], ordered=True)
    with pytest.raises(ValueError, match="7 parameters but only 6 cases"):
        _quiet(polr, "y ~ x1 + x2 + g + I(x1 * x2)", d)


def test_intercept_assumed_and_rank_deficiency_warn_as_r():
    d = _synthetic(28)
    with pytest.warns(UserWarning, match="an intercept is needed and assumed"):
        a = polr("y ~ x1 + x2 - 1", d)
    np.testing.assert_allclose(a.coef(), polr("y ~ x1 + x2", d).coef(), rtol=1e-14)
    with pytest.warns(UserWarning, match="design appears to be rank-deficient.*x3"):
        b = polr("y ~ x1 + x2 + x3", d.assign(x3=lambda f: f["x1"] + f["x2"]))
    assert "x3" not in b.terms


def test_bad_method():
    with pytest.raises(ValueError, match="method must be one of"):
        polr("y ~ x1", _synthetic(29), method="cloglog")


def test_parallel_lines_warns_when_general_model_crosses():
    case = CASES["five_nonparallel"]
    with pytest.warns(UserWarning, match="not ordered"):
        t = parallel_lines_test(case["formula"], case_frame(case))
    assert t.n_negative_probabilities > 0 and t.notes
