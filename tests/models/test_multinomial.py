"""models.multinomial.multinom against frozen VGAM and nnet fits, properties, bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from models._result import validate_glance, validate_tidy
from models.multinomial import fit_multinom, multinom
from replication.parity.multinomial import (
    GINV_TOL,
    NNET_FIXTURE,
    TOL_NNET,
    TOL_VGAM,
    TOL_VGAM_VCOV,
    VGAM_FIXTURE,
    case_frame,
    fit_case,
    nnet_diffs,
    nnet_ok,
    vgam_diffs,
)
from replication.rbridge.fixtures import load_fixture

PROPERTY_TOL = 1e-8
"""Two fits of the same likelihood, each converged to a score below 1e-11 * n: their
coefficients agree to ~1e-10; 1e-8 leaves room for ill-conditioning."""

VGAM = load_fixture(VGAM_FIXTURE)
NNET = load_fixture(NNET_FIXTURE)
CASES = {c["name"]: c for c in VGAM.input["cases"]}


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


# --------------------------------------------------------------------------- frozen R


@pytest.mark.parametrize("key", sorted(VGAM.result))
def test_matches_vgam(key):
    r = VGAM.result[key]
    d = vgam_diffs(CASES[r["case"][0]], r)
    assert d["names"] == 0, "coefficient names or level order differ from VGAM's"
    tol = {"vcov": TOL_VGAM_VCOV, "se": TOL_VGAM_VCOV}
    bad = {k: v for k, v in d.items() if not v <= tol.get(k, TOL_VGAM)}
    assert not bad, f"{key}: differences from VGAM above tolerance: {bad}"


@pytest.mark.parametrize("key", sorted(NNET.result))
def test_matches_nnet(key):
    r = NNET.result[key]
    ok, bad = nnet_ok(nnet_diffs(CASES[r["case"][0]], r))
    assert ok, f"{key}: {bad}"


def test_nnet_standard_errors_wrong_when_hessian_ill_conditioned():
    # spend in pounds and x3 around 1500: nnet's pseudo-inverse drops singular values
    seen = 0
    for key, r in NNET.result.items():
        d = nnet_diffs(CASES[r["case"][0]], r)
        if d["condition"] > 1 / GINV_TOL:
            seen += 1
            assert d["se_ratio_min"] < 0.9, key  # nnet's SEs too small ...
            assert nnet_diffs(CASES[r["case"][0]], r)["se_ginv"] <= TOL_NNET  # ... as explained
            v = VGAM.result[key]
            res = fit_case(CASES[r["case"][0]], r["ref"][0])
            se = np.sqrt(np.diag(res.fit.vcov)).reshape(res.coef().shape)
            np.testing.assert_allclose(se, v["se"].to_numpy(), rtol=TOL_VGAM)
    assert seen >= 2


def test_tidy_and_glance_schema_and_identities():
    res = fit_case(CASES["three_mixed"], "good")
    td = validate_tidy(res.tidy())
    assert list(td.columns[7:]) == ["y_level", "wald", "df", "odds_ratio", "or_conf_low",
                                    "or_conf_high"]
    assert list(td["y_level"].unique()) == ["inadequate", "requires_improvement"]
    np.testing.assert_allclose(td["wald"], td["statistic"] ** 2, rtol=1e-14)
    np.testing.assert_allclose(td["odds_ratio"], np.exp(td["estimate"]), rtol=1e-14)
    np.testing.assert_allclose(td["or_conf_low"], np.exp(td["conf_low"]), rtol=1e-14)
    np.testing.assert_allclose(td["conf_high"] - td["estimate"], 1.959963984540054 * td["std_error"],
                               rtol=1e-12)
    g = validate_glance(res.glance())
    assert g.columns[0] == "nobs" and g["nobs"].iloc[0] == 200


def test_pseudo_r2_from_r_logliks():
    # SPSS's formulas evaluated on VGAM's log-likelihoods
    r = VGAM.result["wilkins_like/inadequate"]
    ll, ll0, n = r["loglik"][0], r["null_loglik"][0], 87
    g = fit_case(CASES["wilkins_like"], "inadequate").glance().iloc[0]
    cs = 1 - math.exp(2 * (ll0 - ll) / n)
    assert g["cox_snell_r2"] == pytest.approx(cs, rel=TOL_VGAM)
    assert g["nagelkerke_r2"] == pytest.approx(cs / (1 - math.exp(2 * ll0 / n)), rel=TOL_VGAM)
    assert g["mcfadden_r2"] == pytest.approx(1 - ll / ll0, rel=TOL_VGAM)
    assert g["lr_chisq"] == pytest.approx(2 * (ll - ll0), rel=TOL_VGAM)
    assert g["lr_df"] == 4


def test_lr_tests_intercept_equivalent_with_factor():
    lr = fit_case(CASES["three_mixed"], "inadequate").lr_tests().set_index("effect")
    assert lr.loc["(Intercept)", "df"] == 0 and "equivalent" in lr.loc["(Intercept)", "note"]
    assert lr.loc["g", "df"] == 4 and lr.loc["x1", "df"] == 2


def test_predict_proba_matches_fitted():
    case = CASES["three_mixed"]
    res = fit_case(case, "inadequate")
    d = case_frame(case)
    np.testing.assert_allclose(res.predict_proba(d.iloc[:25]).to_numpy(),
                               res.fitted_values().iloc[:25].to_numpy(), rtol=1e-12)


# --------------------------------------------------------------------------- properties


def _synthetic(seed: int, n: int = 150, K: int = 3, beta_scale: float = 0.8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    g = rng.choice(["a", "b"], size=n)
    B = rng.normal(scale=beta_scale, size=(4, K - 1))
    X = np.column_stack([np.ones(n), x1, x2, g == "b"])
    eta = np.column_stack([np.zeros(n), X @ B])
    p = np.exp(eta - eta.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    idx = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    levels = [f"l{k}" for k in range(K)]
    y = pd.Categorical([levels[i] for i in idx], categories=levels)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g})


def _usable(d: pd.DataFrame) -> bool:
    counts = d["y"].value_counts()
    return bool((counts >= 8).all())


PROP = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROP
@given(seed=st.integers(0, 10_000), K=st.sampled_from([3, 4]))
def test_reference_level_maps_coefficients(seed, K):
    d = _synthetic(seed, K=K)
    assume(_usable(d))
    levels = list(d["y"].cat.categories)
    a, b = levels[0], levels[-1]
    fa = _quiet(multinom, "y ~ x1 + x2 + g", d, ref=a).coef()
    fb = _quiet(multinom, "y ~ x1 + x2 + g", d, ref=b).coef()
    for k in levels:
        if k == b:
            continue
        expected = (fa.loc[k] if k != a else 0.0) - fa.loc[b]
        np.testing.assert_allclose(fb.loc[k], expected, rtol=PROPERTY_TOL, atol=PROPERTY_TOL)


@PROP
@given(seed=st.integers(0, 10_000), c=st.sampled_from([1e-3, 0.5, 7.0, 1e3]))
def test_rescaling_x_rescales_b_inversely(seed, c):
    d = _synthetic(seed)
    assume(_usable(d))
    base = _quiet(multinom, "y ~ x1 + x2 + g", d).coef()
    d2 = d.assign(x1=d["x1"] * c)
    scaled = _quiet(multinom, "y ~ x1 + x2 + g", d2).coef()
    np.testing.assert_allclose(scaled["x1"] * c, base["x1"], rtol=PROPERTY_TOL)
    np.testing.assert_allclose(scaled.drop(columns="x1"), base.drop(columns="x1"),
                               rtol=PROPERTY_TOL, atol=PROPERTY_TOL)


@PROP
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_row_order_changes_nothing_and_probabilities_sum_to_one(seed, perm_seed):
    d = _synthetic(seed)
    assume(_usable(d))
    base = _quiet(multinom, "y ~ x1 + x2 + g", d)
    perm = np.random.default_rng(perm_seed).permutation(len(d))
    other = _quiet(multinom, "y ~ x1 + x2 + g", d.iloc[perm])
    np.testing.assert_allclose(other.coef(), base.coef(), rtol=PROPERTY_TOL, atol=PROPERTY_TOL)
    assert other.glance()["loglik"].iloc[0] == pytest.approx(base.glance()["loglik"].iloc[0],
                                                              rel=1e-12)
    np.testing.assert_allclose(base.fitted_values().sum(axis=1), 1.0, rtol=1e-13)
    assert (base.fitted_values().to_numpy() > 0).all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_effects_recovered(seed):
    rng = np.random.default_rng(seed)
    n = 4000
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(-1, 1, size=n)])
    B = np.array([[0.3, -0.5], [1.0, -0.7], [0.0, 1.5]])
    eta = np.column_stack([np.zeros(n), X @ B])
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    idx = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    d = pd.DataFrame({"y": pd.Categorical(np.array(["r", "s", "t"])[idx], categories=["r", "s", "t"]),
                      "x1": X[:, 1], "x2": X[:, 2]})
    res = multinom("y ~ x1 + x2", d)
    td = res.tidy()
    z = (td["estimate"].to_numpy() - B.T.ravel()) / td["std_error"].to_numpy()
    assert np.all(np.abs(z) < 4.5), z  # a deterministic draw: each |z| < 4.5 (P ~ 7e-6 each)


def test_fit_multinom_pure_function():
    d = _synthetic(5)
    res = multinom("y ~ x1 + x2 + g", d)
    y = d["y"].cat.codes.to_numpy()
    f = fit_multinom(y, res.design.X.to_numpy(), 3)
    np.testing.assert_allclose(f.params, res.fit.params, rtol=1e-14)
    assert f.converged and f.max_abs_score < 1e-11


# --------------------------------------------------------------------------- bad input


def test_empty_response_level_dropped_with_nnets_warning():
    d = _synthetic(11)
    d["y"] = d["y"].cat.add_categories(["never"])
    with pytest.warns(UserWarning, match="^group \u2018never\u2019 is empty$"):
        res = multinom("y ~ x1 + x2", d)
    assert res.levels == ["l0", "l1", "l2"]
    ref = multinom("y ~ x1 + x2", d.assign(y=d["y"].cat.remove_unused_categories()))
    np.testing.assert_allclose(res.coef(), ref.coef(), rtol=1e-14)


def test_one_response_level_is_an_error():
    d = _synthetic(12).assign(y=pd.Categorical(["only"] * 150, categories=["only", "b"]))
    with pytest.warns(UserWarning, match="is empty"), \
            pytest.raises(ValueError, match="need two or more classes to fit a multinom model"):
        multinom("y ~ x1", d)


def test_one_level_factor_predictor_is_an_error():
    d = _synthetic(13).assign(g="same")
    with pytest.raises(ValueError, match="predictor 'g' has a single level"):
        multinom("y ~ x1 + g", d)


def test_missing_values_dropped_and_counted():
    d = _synthetic(14)
    d.loc[[3, 7, 9], "x1"] = np.nan
    d.loc[20, "g"] = None
    with pytest.warns(UserWarning, match="4 observations deleted due to missingness"):
        res = multinom("y ~ x1 + x2 + g", d)
    assert res.nobs == 146 and res.glance()["n_dropped"].iloc[0] == 4
    ref = multinom("y ~ x1 + x2 + g", d.dropna())
    np.testing.assert_allclose(res.coef(), ref.coef(), rtol=1e-14)


def test_perfect_separation_warns_naming_the_predictor():
    rng = np.random.default_rng(15)
    n = 90
    y = np.repeat(["a", "b", "c"], 30)
    sep = np.where(y == "a", -1.0, 1.0) * rng.uniform(0.1, 2, size=n)
    d = pd.DataFrame({"y": pd.Categorical(y), "x": rng.normal(size=n), "sep": sep})
    with pytest.warns(UserWarning, match="separation along sep;"):
        multinom("y ~ x + sep", d)


def test_separated_fit_warns_and_tidy_gives_infinite_odds_ratios():
    """``good ~ sx`` with sx = 2 good + U(0, 1) separates every level: as VGAM::vglm, which
    warns "fitted probabilities numerically 0 or 1 occurred" and whose
    exp(confint.default()) is 0 and Inf, tidy() must give inf, not raise OverflowError."""
    rng = np.random.default_rng(27)
    good = np.repeat([0, 1, 2], 20)
    d = pd.DataFrame({"good": pd.Categorical(np.array(["a", "b", "c"])[good]),
                      "sx": good * 2 + rng.uniform(0, 1, size=60)})
    with pytest.warns(UserWarning, match="fitted probabilities numerically 0 or 1 occurred.*"
                                         "separation along sx;"):
        res = multinom("good ~ sx", d)
    tidy = validate_tidy(res.tidy())
    assert len(tidy) == 4 and list(tidy["y_level"]) == ["b", "b", "c", "c"]
    slope = tidy[tidy["term"] == "sx"]
    assert (slope["estimate"] > 10).all()
    assert np.isposinf(slope["or_conf_high"]).all() and (slope["or_conf_low"] == 0).all()
    assert np.isposinf(tidy["or_conf_high"]).all()
    np.testing.assert_array_equal(tidy["odds_ratio"], np.exp(tidy["estimate"]))
    np.testing.assert_array_equal(tidy["wald"], tidy["statistic"] ** 2)
    g = validate_glance(res.glance())
    assert g["loglik"].iloc[0] > -1e-6 and g["mcfadden_r2"].iloc[0] == pytest.approx(1, abs=1e-8)


def test_infinite_predictor_is_an_error_naming_the_column():
    """R: nnet::multinom stops ("NA/NaN/Inf in foreign function call"); here the column is named."""
    d = _synthetic(28)
    d.loc[4, "x2"] = np.inf
    with pytest.raises(ValueError, match=r"^multinom: infinite values .* 'x2' \(1 row\); row 4\."):
        multinom("y ~ x1 + x2 + g", d)
    d.loc[4, "x1"] = np.nan  # a row na.omit drops takes its Inf with it
    with pytest.warns(UserWarning, match="1 observation deleted"):
        res = multinom("y ~ x1 + x2 + g", d)
    np.testing.assert_array_equal(res.coef(), multinom("y ~ x1 + x2 + g", d.drop(index=4)).coef())


def test_no_separation_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        multinom("y ~ x1 + x2 + g", _synthetic(16))


def test_fewer_cases_than_parameters_is_an_error():
    d = _synthetic(17, n=8)
    d["y"] = pd.Categorical(["l0", "l1", "l2"] * 2 + ["l0", "l1"])
    d["x3"], d["x4"] = np.arange(8.0), np.arange(8.0) ** 2
    with pytest.raises(ValueError, match="10 parameters but only 8 cases"):
        _quiet(multinom, "y ~ x1 + x2 + x3 + x4", d)


def test_rank_deficient_design_drops_aliased_column():
    d = _synthetic(18).assign(x3=lambda f: 2 * f["x1"] - f["x2"])
    with pytest.warns(UserWarning, match="rank-deficient.*x3"):
        res = multinom("y ~ x1 + x2 + x3", d)
    assert "x3" not in res.terms


def test_bad_reference_and_column_names():
    d = _synthetic(19)
    with pytest.raises(ValueError, match="ref 'zz' is not a level of 'y'"):
        multinom("y ~ x1", d, ref="zz")
    with pytest.raises(KeyError, match="'nope'"):
        multinom("nope ~ x1", d)
    with pytest.raises(ValueError, match="cannot build the design"):
        multinom("y ~ x1 + missing_column", d)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5), st.integers(1, 4))
def test_likelihood_pieces_are_statsmodels_mnlogit(seed, K, p):
    """The log-likelihood, score and Hessian evaluated here are statsmodels' MNLogit's."""
    from statsmodels.discrete.discrete_model import MNLogit  # noqa: PLC0415

    from models.multinomial import _MNLogit  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    n = 40
    X = np.column_stack([np.ones(n), rng.normal(size=(n, p - 1))]) if p > 1 else np.ones((n, 1))
    y = np.concatenate([np.arange(K), rng.integers(0, K, n - K)])
    theta = rng.normal(0, 0.7, size=(p, K - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = MNLogit(y, X)
    ours = _MNLogit(y, X, K)
    P = ours.probs(theta)
    np.testing.assert_allclose(P, ref.predict(theta), rtol=1e-13, atol=0)
    assert ours.loglike(theta) == pytest.approx(ref.loglike(theta), rel=1e-13)
    np.testing.assert_allclose(ours.score_from(P), ref.score(theta), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.hessian_from(P), ref.hessian(theta), rtol=1e-12, atol=1e-12)
