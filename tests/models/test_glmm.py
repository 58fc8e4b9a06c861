"""glmer_poisson against frozen lme4 fits (fixtures/r/glmm_*), property tests, bad input.

R is lme4::glmer(family = poisson) run to tight convergence (bobyqa rhoend 1e-11,
tolPwrss 1e-14 where PIRLS allows); see each fixture's script.R.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models._glmm_numerics import (
    BlockEvaluator,
    GeneralEvaluator,
    ScalarEvaluator,
    gh_rule,
)
from models._result import validate_glance, validate_tidy
from models.glmm import (
    NA,
    GlmerWarning,
    GlmmInputError,
    glmer_poisson,
    parse_formula,
)
from replication.rbridge.fixtures import load_fixture as _load_fixture

# ---------------------------------------------------------------------------- tolerances
# METHODS.md section 3 (Poisson GLMM). Fixed effects are compared relative to the larger
# of |estimate| and its standard error, so that a coefficient near zero is held to the
# same absolute precision (1e-5 SE) as the others instead of to a meaningless ratio.
FIXEF_RTOL = 1e-5
FIXEF_RTOL_SLOPE = 1e-4  # random slopes: METHODS allows 1e-4
SE_RTOL = 1e-4
THETA_RTOL = 1e-4
# theta is compared relative to max(|theta|, 0.01): an SD under 1% of the rate (on or
# next to the boundary 0, where lme4's bobyqa stops ~1e-8 from 0) is held to 1e-6
THETA_FLOOR = 0.01
LOGLIK_RTOL = 1e-6  # also AIC and BIC, which are -2 logLik plus a constant
# lme4's GLMM deviance is the sum of squared deviance residuals at the conditional modes;
# it is not stationary at the optimum, so it moves to first order with the parameters:
# held to the fixed-effects tolerance
DEVIANCE_RTOL = 1e-5
# conditional modes b: first-order in the parameters; relative to max(|b|, SD of b)
RANEF_RTOL = 1e-4


load_fixture = functools.cache(_load_fixture)


def _frame(case: dict) -> pd.DataFrame:
    d = pd.DataFrame(case["data"])
    for col, rows in case.get("na", {}).items():
        d.loc[np.asarray(rows) - 1, col] = np.nan
    return d


@functools.cache
def _fit(fixture: str, case: str, nagq: int):
    fx = load_fixture(fixture)
    c = fx.input["cases"][case]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = glmer_poisson(c["formula"], _frame(c), nagq=nagq, weights=c.get("weights"))
    return res, [str(w.message) for w in caught if issubclass(w.category, GlmerWarning)]


def _cases(fixture: str):
    fx = load_fixture(fixture)
    out = []
    for name, c in fx.input["cases"].items():
        for k in c["nagq"]:
            out.append(pytest.param(fixture, name, k, id=f"{fixture}-{name}-nagq{k}"))
    return out


ALL_CASES = (_cases("glmm_intercept") + _cases("glmm_slope") + _cases("glmm_crossed"))


def _r(fixture, case, nagq):
    return load_fixture(fixture).result[case][f"nagq{nagq}"]["tight"]


def _assert_close(ours, theirs, rtol, scale=None, what=""):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    assert ours.shape == theirs.shape, what
    denom = np.abs(theirs) if scale is None else np.maximum(np.abs(theirs), scale)
    rel = np.abs(ours - theirs) / np.where(denom == 0, 1.0, denom)
    assert np.all(rel <= rtol), f"{what}: max rel diff {rel.max():.3g} > {rtol:g}"


# ---------------------------------------------------------------------------- vs lme4


@pytest.mark.parametrize(("fixture", "case", "nagq"), ALL_CASES)
def test_fixed_effects_and_se(fixture, case, nagq):
    res, _ = _fit(fixture, case, nagq)
    r = _r(fixture, case, nagq)
    assert list(res.fixef.index) == list(r["fixef"].index)
    se_r = r["se"].to_numpy()
    rtol = FIXEF_RTOL if fixture != "glmm_slope" else FIXEF_RTOL_SLOPE
    _assert_close(res.fixef, r["fixef"], rtol, scale=se_r, what="fixef")
    _assert_close(res.std_errors(), se_r, SE_RTOL, what="SE")
    v_r = r["vcov"].to_numpy()
    scale = np.sqrt(np.outer(np.diag(v_r), np.diag(v_r)))
    _assert_close(res.vcov.to_numpy(), v_r, SE_RTOL, scale=scale, what="vcov")
    assert list(res.vcov.columns) == list(r["vcov"].columns)


@pytest.mark.parametrize(("fixture", "case", "nagq"), ALL_CASES)
def test_theta_varcorr_ranef(fixture, case, nagq):
    res, _ = _fit(fixture, case, nagq)
    r = _r(fixture, case, nagq)
    assert list(res.theta.index) == list(r["theta"].index)
    th_r = r["theta"].to_numpy()
    _assert_close(res.theta, th_r, THETA_RTOL, scale=THETA_FLOOR, what="theta")
    vc, vc_r = res.var_corr(), r["varcorr"]
    assert list(vc["grp"]) == list(vc_r["grp"])
    assert list(vc["var1"]) == list(vc_r["var1"])
    assert ([None if pd.isna(v) else v for v in vc["var2"]]
            == [None if pd.isna(v) else v for v in vc_r["var2"]])
    is_sd = vc_r["var2"].isna().to_numpy()
    sd_r = vc_r["sdcor"].to_numpy()
    _assert_close(vc["sdcor"].to_numpy()[is_sd], sd_r[is_sd], THETA_RTOL, scale=THETA_FLOOR,
                  what="SD")
    # correlations: absolute, on the [-1, 1] scale
    np.testing.assert_allclose(vc["sdcor"].to_numpy()[~is_sd], sd_r[~is_sd], rtol=0,
                               atol=THETA_RTOL * 10)
    re = res.ranef()
    assert set(re) == set(r["ranef"])
    for grp, rr in r["ranef"].items():
        ours = re[grp]
        assert [str(v) for v in ours.index] == list(rr["levels"])
        vals = rr["values"]
        assert list(ours.columns) == list(vals.columns)
        sd = vc.loc[vc["grp"].str.split(".").str[0] == grp.split(".")[0], "sdcor"].max()
        _assert_close(ours.to_numpy(), vals.to_numpy(), RANEF_RTOL,
                      scale=max(sd, THETA_FLOOR), what=f"ranef {grp}")


@pytest.mark.parametrize(("fixture", "case", "nagq"), ALL_CASES)
def test_loglik_aic_bic_deviance(fixture, case, nagq):
    res, _ = _fit(fixture, case, nagq)
    r = _r(fixture, case, nagq)
    _assert_close(res.loglik, r["loglik"][0], LOGLIK_RTOL, what="logLik")
    _assert_close(res.aic, r["aic"][0], LOGLIK_RTOL, what="AIC")
    _assert_close(res.bic, r["bic"][0], LOGLIK_RTOL, what="BIC")
    _assert_close(res.deviance, r["deviance"][0], DEVIANCE_RTOL, what="deviance")
    assert res.nobs == int(r["nobs"][0])


@pytest.mark.parametrize(("fixture", "case", "nagq"), ALL_CASES)
def test_messages_as_lme4(fixture, case, nagq):
    res, caught = _fit(fixture, case, nagq)
    r = _r(fixture, case, nagq)
    theirs = {m.strip() for m in list(r["messages"]) + list(r["warnings"])}
    assert set(res.warnings) == theirs
    assert set(caught) == theirs
    assert res.converged


def test_nagq_changes_the_loglik_constant():
    """lme4's logLik for nAGQ > 1 omits the saturated log-likelihood (trap in METHODS)."""
    r1, _ = _fit("glmm_intercept", "base", 1)
    r7, _ = _fit("glmm_intercept", "base", 7)
    sat = r1._model.problem.saturated_loglik()
    assert abs((r7.loglik + sat) - r1.loglik) < 0.05 * abs(r1.loglik)
    assert abs(r7.loglik - r1.loglik) > 10.0


# ---------------------------------------------------------------------------- lme4's checks


def _check_case(name, **kw):
    fx = load_fixture("glmm_checks")
    c = fx.input["cases"][name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = glmer_poisson(c["formula"], _frame(c), nagq=c["nagq"], **kw)
    return res, [str(w.message) for w in caught], fx.result[name]


@pytest.mark.parametrize("name", ["rank_deficient", "missing", "singular", "huge_counts",
                                  "non_integer"])
def test_checks_fixture_estimates(name):
    res, caught, r = _check_case(name, pseudo_likelihood=(name == "non_integer"))
    assert list(res.fixef.index) == list(r["fixef"].index)
    se_r = r["se"].to_numpy()
    _assert_close(res.fixef, r["fixef"], FIXEF_RTOL, scale=se_r, what="fixef")
    _assert_close(res.std_errors(), se_r, SE_RTOL, what="SE")
    _assert_close(res.theta, r["theta"], THETA_RTOL, scale=THETA_FLOOR, what="theta")
    _assert_close(res.loglik, r["loglik"][0], LOGLIK_RTOL, what="logLik")
    assert res.nobs == int(r["nobs"][0])
    theirs = {m.strip() for m in list(r["messages"]) + list(r["warnings"])
              if not m.startswith("non-integer x")}
    ours = {m for m in caught if "missing values dropped" not in m}
    assert ours == theirs


def test_missing_rows_dropped_and_counted():
    res, caught, r = _check_case("missing")
    assert res.n_dropped == 3 and res.nobs == 177
    msg = [m for m in caught if "missing values dropped" in m]
    assert msg and msg[0].startswith("3 row(s)") and "x1 (2)" in msg[0] and "y (2)" in msg[0]
    with pytest.raises(GlmmInputError, match="missing values in"):
        glmer_poisson(r"y ~ x1 + x2 + (1 | la)",
                      _frame(load_fixture("glmm_checks").input["cases"]["missing"]),
                      na_action="fail")


def test_scale_warning_and_better_optimum_than_r():
    """lme4 warns about the scales and then its fixed-step (1e-4) finite-difference
    Hessian breaks down on the 1e5-scaled predictor ("degenerate Hessian"), so its
    optimum and SEs there are not usable. We give the same scale warning and a higher
    maximum of the same likelihood."""
    res, caught, r = _check_case("scale")
    assert "Some predictor variables are on very different scales: consider rescaling" in caught
    assert res.loglik >= r["loglik"][0] - 1e-9
    assert res.deviance_at(r["theta"].to_numpy(), r["fixef"].to_numpy()) >= -2 * res.loglik


@pytest.mark.parametrize("name", ["constant", "one_level", "too_many_re"])
def test_checks_fixture_errors(name):
    fx = load_fixture("glmm_checks")
    c = fx.input["cases"][name]
    with pytest.raises(GlmmInputError) as exc:
        glmer_poisson(c["formula"], _frame(c), nagq=c["nagq"])
    assert str(exc.value) == fx.result[name]["error"][0]


# ---------------------------------------------------------------------------- bad input


def _small(seed=0, m=12, n=5, sd=0.5):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(m), n)
    x = rng.normal(size=m * n)
    y = rng.poisson(np.exp(0.5 + 0.3 * x + rng.normal(0, sd, m)[g]))
    return pd.DataFrame({"y": y, "x": x, "g": g, "lp": np.log(rng.uniform(1, 3, m * n))})


def test_bad_input_errors():
    d = _small()
    with pytest.raises(GlmmInputError, match="negative values not allowed"):
        glmer_poisson("y ~ x + (1 | g)", d.assign(y=d.y - 5))
    with pytest.raises(GlmmInputError, match="non-integer"):
        glmer_poisson("y ~ x + (1 | g)", d.assign(y=d.y + 0.5))
    with pytest.raises(GlmmInputError, match="offset has 1 non-finite"):
        glmer_poisson("y ~ x + (1 | g)", d, offset=np.where(np.arange(len(d)) == 3, -np.inf,
                                                                  0.0))
    with pytest.raises(GlmmInputError, match="No random effects"):
        glmer_poisson("y ~ x", d)
    with pytest.raises(GlmmInputError, match="'nope' is not a column"):
        glmer_poisson("y ~ x + (1 | nope)", d)
    with pytest.raises(GlmmInputError, match="only available for models with a single, scalar"):
        glmer_poisson("y ~ x + (1 + x | g)", d, nagq=7)
    with pytest.raises(GlmmInputError, match="nagq must be in"):
        glmer_poisson("y ~ x + (1 | g)", d, nagq=26)
    with pytest.raises(GlmmInputError, match="unknown control"):
        glmer_poisson("y ~ x + (1 | g)", d, control={"tolerance": 1})
    with pytest.raises(GlmmInputError, match="negative weights"):
        glmer_poisson("y ~ x + (1 | g)", d, weights=-np.ones(len(d)))
    with pytest.raises(GlmmInputError, match="one value per row"):
        glmer_poisson("y ~ x + (1 | g)", d, offset=np.zeros(3))
    with pytest.raises(GlmmInputError, match="incorrect number of theta"):
        glmer_poisson("y ~ x + (1 | g)", d, start={"theta": [1.0, 2.0]})
    with pytest.raises(GlmmInputError, match="must be in parentheses"):
        glmer_poisson("y ~ x + 1 | g", d)


def test_rank_deficient_dropped_with_lme4_message():
    d = _small().assign(x2=lambda t: 3.0 * t.x)
    with pytest.warns(GlmerWarning, match="rank deficient so dropping 1 column / coefficient"):
        res = glmer_poisson("y ~ x + x2 + (1 | g)", d)
    assert list(res.fixef.index) == ["(Intercept)", "x"]
    with pytest.raises(GlmmInputError, match="column rank deficient"):
        glmer_poisson("y ~ x + x2 + (1 | g)", d, control={"check_rank_x": "stop.deficient"})


def test_pseudo_likelihood_allows_amounts():
    d = _small().assign(y=lambda t: t.y * 1.37)
    res = glmer_poisson("y ~ x + (1 | g)", d, pseudo_likelihood=True)
    assert res.pseudo_likelihood and np.isfinite(res.loglik)


# ---------------------------------------------------------------------------- API


def test_tidy_glance_predict_api():
    d = _small(3)
    res = glmer_poisson("y ~ x + (1 | g) + offset(lp)", d, nagq=7)
    t = validate_tidy(res.tidy())
    assert list(t["effect"]) == ["fixed", "fixed", "ran_pars"]
    assert t["term"].tolist() == ["(Intercept)", "x", "sd__(Intercept)"]
    z = t["estimate"][:2] / t["std_error"][:2]
    np.testing.assert_allclose(t["statistic"][:2], z)
    np.testing.assert_allclose(t["conf_high"][:2] - t["estimate"][:2],
                               1.959963984540054 * t["std_error"][:2])
    g = validate_glance(res.glance())
    assert g.loc[0, "nobs"] == len(d) and g.loc[0, "ngroups"] == 12 and g.loc[0, "nagq"] == 7
    assert g.loc[0, "df_residual"] == len(d) - 3
    assert res.ngroups == {"g": 12}
    # in-sample predictions from newdata equal the fitted values
    np.testing.assert_allclose(res.predict(d, type="response"), res.fitted_values, rtol=1e-12)
    np.testing.assert_allclose(res.predict(), np.log(res.fitted_values), rtol=1e-12)
    pop = res.predict(d, re_form=NA)
    np.testing.assert_allclose(pop, res.fixef["(Intercept)"] + res.fixef["x"] * d.x + d.lp)
    np.testing.assert_allclose(res.predict(re_form=NA), pop)
    with pytest.raises(GlmmInputError, match="new levels detected"):
        res.predict(d.assign(g=d.g + 100))
    new = res.predict(d.assign(g=d.g + 100), allow_new_levels=True)
    np.testing.assert_allclose(new, pop)


def test_ranef_varcorr_shapes_slope():
    rng = np.random.default_rng(4)
    m, n = 20, 6
    g = np.repeat(np.arange(m), n)
    t = np.tile(np.arange(n), m) - 2.5
    y = rng.poisson(np.exp(1 + 0.1 * t + rng.normal(0, .4, m)[g] + rng.normal(0, .1, m)[g] * t))
    d = pd.DataFrame({"y": y, "t": t, "la": [f"L{k:02d}" for k in g]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlmerWarning)
        res = glmer_poisson("y ~ t + (1 + t | la)", d)
    assert list(res.theta.index) == ["la.(Intercept)", "la.t.(Intercept)", "la.t"]
    vc = res.var_corr()
    assert vc["var1"].tolist() == ["(Intercept)", "t", "(Intercept)"]
    assert vc["var2"].tolist()[:2] == [None, None] and vc["var2"][2] == "t"
    re = res.ranef()["la"]
    assert re.shape == (20, 2) and list(re.columns) == ["(Intercept)", "t"]
    assert re.index[0] == "L00"
    assert validate_tidy(res.tidy())["term"].tolist()[-3:] == [
        "sd__(Intercept)", "sd__t", "cor__(Intercept).t"]


def test_parse_formula():
    p = parse_formula("y ~ x1 + log(x2) + (1 + t || la) + offset(log(pop)) - 1")
    assert p.response == "y" and p.offsets == ("log(pop)",)
    assert p.fixed == "x1 + log(x2) - 1"
    assert p.bars == (("1", "la"), ("0 + t", "la"))
    assert parse_formula("y ~ (1 | a/b)").bars == (("1", "b:a"), ("1", "a"))


# ---------------------------------------------------------------------------- properties


def _sim(seed, m, n, sd, beta0=0.5, off=False):
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(m), n)
    x = rng.normal(size=m * n)
    lp = rng.normal(1.0, 0.3, m * n) if off else np.zeros(m * n)
    y = rng.poisson(np.exp(beta0 + 0.3 * x + lp + rng.normal(0, sd, m)[g]))
    return pd.DataFrame({"y": y, "x": x, "g": g, "lp": lp})


_prop = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_prop
@given(seed=st.integers(0, 10**6), nagq=st.sampled_from([1, 7]),
       dx=st.lists(st.floats(-0.05, 0.05), min_size=3, max_size=3))
def test_maximum_not_below_perturbed(seed, nagq, dx):
    d = _sim(seed, 15, 4, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlmerWarning)
        res = glmer_poisson("y ~ x + (1 | g)", d, nagq=nagq)
    th = np.maximum(res.theta.to_numpy() + dx[0], 0.0)
    ll = res.loglik_at(th, res.fixef.to_numpy() + np.array(dx[1:]))
    assert res.loglik >= ll - 1e-9
    assert res.loglik == pytest.approx(res.loglik_at(), abs=1e-12)


def _singular_fit(nagq):
    """A zero-variance panel whose ML estimate of the SD is 0 (first such seed)."""
    for seed in range(50):
        d = _sim(seed, 10, 4, 0.0, off=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GlmerWarning)
            res = glmer_poisson("y ~ x + (1 | g) + offset(lp)", d, nagq=nagq)
        if res.theta.iloc[0] == 0.0:
            return d, res
    raise AssertionError("no singular fit found")


@pytest.mark.parametrize("nagq", [1, 7])
def test_theta_zero_equals_poisson_glm(nagq):
    d, res = _singular_fit(nagq)
    assert "boundary (singular) fit: see help('isSingular')" in res.warnings
    glm = sm.GLM(d.y, sm.add_constant(d[["x"]]), family=sm.families.Poisson(),
                 offset=d.lp).fit(tol=1e-14)
    np.testing.assert_allclose(res.fixef.to_numpy(), glm.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.std_errors().to_numpy(), glm.bse.to_numpy(), rtol=1e-6)
    # Laplace logLik is the GLM's; AGQ's omits the saturated part (its deviance = GLM's)
    if nagq == 1:
        assert res.loglik == pytest.approx(glm.llf, rel=1e-12)
    else:
        assert -2 * res.loglik == pytest.approx(glm.deviance, rel=1e-10)
    np.testing.assert_allclose(res.deviance, glm.deviance, rtol=1e-10)


@_prop
@given(seed=st.integers(0, 10**6), beta=st.lists(st.floats(-1, 1), min_size=2, max_size=2))
def test_deviance_at_theta_zero_is_glm(seed, beta):
    d = _sim(seed, 8, 3, 0.7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlmerWarning)
        res = glmer_poisson("y ~ x + (1 | g)", d)
    mu = np.exp(beta[0] + beta[1] * d.x.to_numpy())
    ll = sm.families.Poisson().loglike(d.y.to_numpy(), mu)
    assert res.loglik_at([0.0], beta) == pytest.approx(ll, rel=1e-12)


# Gauss-Hermite converges slowly for all-zero groups under a large SD (a skewed posterior:
# |ll(15) - ll(25)| reached 9e-6 relative at SD 2, where lme4 gives the same numbers), so
# agreement between orders is held to 1e-4 and the limit to the exact integral to 1e-5
QUADRATURE_ORDER_RTOL = 1e-4
QUADRATURE_EXACT_RTOL = 1e-5


def _exact_loglik(d, theta, beta):
    """log of the integral over each group's effect by a fine grid, minus the saturated
    log-likelihood (lme4's nAGQ > 1 constant)."""
    from scipy.stats import poisson  # noqa: PLC0415

    b = np.linspace(-10.0, 10.0, 40001)
    eta = beta[0] + beta[1] * d.x.to_numpy()
    y, g = d.y.to_numpy(), d.g.to_numpy()
    total = 0.0
    for i in np.unique(g):
        m = g == i
        lp = poisson.logpmf(y[m][:, None], np.exp(eta[m][:, None] + theta * b[None, :])).sum(0)
        lp = lp - b**2 / 2 - 0.5 * np.log(2 * np.pi)
        top = lp.max()
        total += top + np.log(np.trapezoid(np.exp(lp - top), b))
    return total - float(np.sum(poisson.logpmf(y, y)))


@_prop
@given(seed=st.integers(0, 10**6), sd=st.floats(0.2, 1.5))
def test_quadrature_converges(seed, sd):
    d = _sim(seed, 10, 3, sd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlmerWarning)
        res = glmer_poisson("y ~ x + (1 | g)", d, nagq=7)
    ll15 = res.loglik_at(nagq=15)
    ll25 = res.loglik_at(nagq=25)
    assert abs(ll15 - ll25) < QUADRATURE_ORDER_RTOL * abs(ll25)
    exact = _exact_loglik(d, res.theta.iloc[0], res.fixef.to_numpy())
    assert abs(ll25 - exact) < QUADRATURE_EXACT_RTOL * abs(exact)


@_prop
@given(seed=st.integers(0, 10**6), nagq=st.sampled_from([1, 3]))
def test_duplicating_groups_doubles_loglik(seed, nagq):
    d = _sim(seed, 10, 3, 0.6)
    d2 = pd.concat([d, d.assign(g=d.g + 1000)], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlmerWarning)
        r1 = glmer_poisson("y ~ x + (1 | g)", d, nagq=nagq)
        r2 = glmer_poisson("y ~ x + (1 | g)", d2, nagq=nagq)
    assert r2.loglik == pytest.approx(2 * r1.loglik, rel=1e-8)
    np.testing.assert_allclose(r2.fixef, r1.fixef, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(r2.theta, r1.theta, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(r2.std_errors() * np.sqrt(2), r1.std_errors(), rtol=1e-5)


@_prop
@given(seed=st.integers(0, 10**6), nagq=st.sampled_from([1, 7]))
def test_weight_two_is_a_duplicated_row_and_zero_a_dropped_row(seed, nagq):
    d = _sim(seed, 8, 4, 0.5)
    doubled, zeroed = np.arange(0, len(d), 5), np.arange(2, len(d), 5)
    w = np.ones(len(d))
    w[doubled], w[zeroed] = 2.0, 0.0
    same = pd.concat([d.drop(index=zeroed), d.iloc[doubled]], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlmerWarning)
        rw = glmer_poisson("y ~ x + (1 | g)", d, nagq=nagq, weights=w)
        rd = glmer_poisson("y ~ x + (1 | g)", same, nagq=nagq)
    assert rw.loglik == pytest.approx(rd.loglik, rel=1e-9)
    np.testing.assert_allclose(rw.fixef, rd.fixef, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(rw.theta, rd.theta, rtol=1e-6, atol=1e-7)


@_prop
@given(seed=st.integers(0, 10**6))
def test_row_order_does_not_matter(seed):
    d = _sim(seed, 9, 4, 0.5)
    perm = np.random.default_rng(seed).permutation(len(d))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlmerWarning)
        r1 = glmer_poisson("y ~ x + (1 | g)", d, nagq=5)
        r2 = glmer_poisson("y ~ x + (1 | g)", d.iloc[perm], nagq=5)
    assert r2.loglik == pytest.approx(r1.loglik, rel=1e-10)
    np.testing.assert_allclose(r2.fixef, r1.fixef, rtol=1e-7, atol=1e-9)


# ---------------------------------------------------------------------------- numerics


def _problem(seed, q=1, two_factors=False):
    from models._glmm_numerics import GlmmProblem, ReTerm  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    m, n = 12, 5
    g = np.repeat(np.arange(m), n)
    t = np.tile(np.arange(n), m).astype(float)
    x = rng.normal(size=m * n)
    y = rng.poisson(np.exp(0.3 + 0.2 * x + rng.normal(0, .5, m)[g])).astype(float)
    X = np.column_stack([np.ones(m * n), x])
    Z = np.ones((m * n, 1)) if q == 1 else np.column_stack([np.ones(m * n), t])
    terms = [ReTerm("g", ("(Intercept)", "t")[:q], g, tuple(range(m)), Z)]
    if two_factors:
        h = np.arange(m * n) % 4
        terms.append(ReTerm("h", ("(Intercept)",), h, tuple(range(4)), np.ones((m * n, 1))))
    return GlmmProblem(y, X, rng.normal(0, .1, m * n), rng.uniform(.5, 2, m * n),
                       tuple(terms), ("(Intercept)", "x"))


def _fd_grad(ev, theta, beta, h=1e-6):
    x0 = np.concatenate([theta, beta])
    nt = len(theta)
    out = []
    for j in range(len(x0)):
        xp, xm = x0.copy(), x0.copy()
        xp[j] += h
        xm[j] -= h
        out.append((ev(xp[:nt], xp[nt:], grad=False).dev
                    - ev(xm[:nt], xm[nt:], grad=False).dev) / (2 * h))
    return np.array(out)


@pytest.mark.parametrize("nagq", [1, 2, 7])
def test_scalar_gradient_is_derivative_of_deviance(nagq):
    prob = _problem(1)
    ev = ScalarEvaluator(prob, nagq)
    th, be = np.array([0.6]), np.array([0.2, 0.1])
    np.testing.assert_allclose(ev(th, be).grad, _fd_grad(ev, th, be), rtol=1e-6, atol=1e-5)


def test_evaluators_agree_on_laplace():
    prob = _problem(2)
    th, be = np.array([0.45]), np.array([0.25, 0.15])
    s, b, g = (E(prob, 1)(th, be) for E in (ScalarEvaluator, BlockEvaluator, GeneralEvaluator))
    assert s.dev == pytest.approx(b.dev, rel=1e-12) == pytest.approx(g.dev, rel=1e-12)
    np.testing.assert_allclose(s.grad, b.grad, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(s.grad, g.grad, rtol=1e-9, atol=1e-9)
    prob2 = _problem(3, q=2)
    th2 = np.array([0.4, -0.05, 0.1])
    b2, g2 = BlockEvaluator(prob2)(th2, be), GeneralEvaluator(prob2)(th2, be)
    assert b2.dev == pytest.approx(g2.dev, rel=1e-12)
    np.testing.assert_allclose(b2.grad, g2.grad, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(b2.grad, _fd_grad(BlockEvaluator(prob2), th2, be),
                               rtol=1e-6, atol=1e-5)
    prob3 = _problem(4, two_factors=True)
    th3 = np.array([0.4, 0.3])
    ev3 = GeneralEvaluator(prob3)
    np.testing.assert_allclose(ev3(th3, be).grad, _fd_grad(ev3, th3, be), rtol=1e-6, atol=1e-5)


def test_gh_rule_integrates_normal_moments():
    z, w = gh_rule(7)
    assert w.sum() == pytest.approx(1.0, abs=1e-15)
    for k, mom in ((2, 1.0), (4, 3.0), (6, 15.0), (8, 105.0), (12, 10395.0)):
        assert np.sum(w * z**k) == pytest.approx(mom, rel=1e-12)


# ---------------------------------------------------------------------------- checkConv


def _fake_fit(theta, grad, H, lower=None):
    from models._glmm_numerics import GlmmFit  # noqa: PLC0415

    theta = np.asarray(theta, float)
    lower = np.zeros(len(theta)) if lower is None else np.asarray(lower, float)
    return GlmmFit(theta=theta, beta=np.zeros(len(grad) - len(theta)), state=None,
                   gradient=np.asarray(grad, float), hessian=np.asarray(H, float), nagq=1,
                   lower=lower, optimizer_ok=True, optimizer_message="", nevals=0)


def test_check_conv_messages_as_lme4():
    from models.glmm import _check_conv  # noqa: PLC0415

    H = np.diag([50.0, 200.0, 30.0])
    msgs, ok = _check_conv(_fake_fit([0.5], [0.0, 1.0, 0.0], H), {})
    assert msgs == ["Model failed to converge with max|grad| = 0.0707107 (tol = 0.002, "
                    "component 1)"] and not ok
    msgs, ok = _check_conv(_fake_fit([0.5], [1e-6, 0, 0], np.diag([50.0, -2.0, 30.0])), {})
    # the texts lme4 gave on the checks fixture's "scale" case (two spaces: empty hesstype)
    r = load_fixture("glmm_checks").result["scale"]["warnings"]
    assert msgs[0] == r[1] == "unable to evaluate scaled gradient"
    assert msgs[-1] == r[2]
    assert "Model failed to converge: degenerate fixed-effect Hessian with 1 negative " \
           "eigenvalues" in msgs and not ok
    msgs, ok = _check_conv(_fake_fit([0.5], [0, 0, 0], np.diag([5e6, 2.0, 1.0])), {})
    assert msgs == ["Model is nearly unidentifiable: very large eigenvalue\n - Rescale "
                    "variables?;Model is nearly unidentifiable: large eigenvalue ratio\n"
                    " - Rescale variables?"] and ok
    msgs, ok = _check_conv(_fake_fit([5e-5], [1.0, 1.0, 1.0], H), {})
    assert msgs == ["boundary (singular) fit: see help('isSingular')"] and ok
