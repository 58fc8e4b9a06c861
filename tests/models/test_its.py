"""models.its: the segmented design, the outcome handling, the % change and trajectory
arithmetic, the model comparison and the PanelOLS robustness check.

The arithmetic tests use a stand-in fit object with chosen fixed effects and covariance (no
estimator involved); the outcome tests record what :func:`models.its.its_fit` hands to
``glmer_poisson``; the end-to-end tests fit the real GLMM (``models.glmm``).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from models import its
from models._result import validate_glance, validate_tidy
from replication.rbridge import call_r
from tests.conftest import need_r_packages

pytestmark = pytest.mark.filterwarnings(
    # lme4 warns the same on these fits (large counts: the Hessian's eigenvalues are large)
    "ignore:Model is nearly unidentifiable")

ARITH_TOL = 1e-12
"""Closed-form arithmetic (exp, sums of a few products): equal to rounding."""

SIM_TOL = 0.02
"""Monte Carlo check of the delta-method CI: 200,000 normal draws give quantiles of the
log-scale combination to about 0.3% of the SD; 2% relative leaves room for that."""

FE_TOL = 1e-8
"""PanelOLS against the within (two-way demeaned) least squares written out in the test:
the same linear algebra in a different order."""

Z = 1.959963984540054  # qnorm(0.975)


# --------------------------------------------------------------------------- test data


def _hand_panel():
    """Three LAs, inspected 2014, 2015, 2016, observed 2011-2019."""
    rows = [(la, yr, y0) for la, y0 in ((1, 2014), (2, 2015), (3, 2016)) for yr in range(2011, 2020)]
    return pd.DataFrame(rows, columns=["la_code", "year", "inspection_year"])


def _fake_fit(b: dict[str, float], v: np.ndarray):
    names = list(b)
    return SimpleNamespace(fixef=pd.Series(b, dtype=float),
                           vcov=pd.DataFrame(v, index=names, columns=names))


def _spd(k: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(k, k)) * 0.05
    return a @ a.T + np.eye(k) * 1e-3


def sim_panel(seed: int, n_la: int = 60, effects=(0.05, 0.10, -0.08, 0.02), sd_la: float = 0.4,
              base_rate: float = 400.0, years=range(2010, 2020)) -> pd.DataFrame:
    """An LA-by-year panel of counts with planted segmented effects (log scale, ``time, step0,
    step1, post``), a random intercept per LA and a child population offset."""
    rng = np.random.default_rng(seed)
    la = np.arange(100, 100 + n_la)
    y0 = rng.integers(2013, 2018, size=n_la)
    pop = rng.integers(20_000, 120_000, size=n_la).astype(float)
    u = rng.normal(0.0, sd_la, size=n_la)
    rows = []
    for i in range(n_la):
        for yr in years:
            t = yr - y0[i]
            x = its.event_design_matrix([t]).iloc[0]
            eta = (np.log(base_rate / 1e4) + np.log(pop[i]) + u[i]
                   + np.dot(effects, x[list(its.DESIGN_TERMS)].to_numpy()))
            rows.append((la[i], yr, y0[i], pop[i], rng.poisson(np.exp(eta))))
    return pd.DataFrame(rows, columns=["la_code", "year", "inspection_year", "population",
                                       "count"]).astype({"count": float})


# --------------------------------------------------------------------------- design


def test_design_columns_by_hand():
    d = its.segmented_design(_hand_panel(), window=None)
    assert list(d.columns) == ["la_code", "year", "inspection_year", "event_time", "time",
                               "step0", "step1", "post"]
    la2 = d[d["la_code"] == 2].set_index("year")
    # LA 2 inspected 2015: event time -4 .. 4 for 2011 .. 2019
    assert la2["event_time"].tolist() == [-4, -3, -2, -1, 0, 1, 2, 3, 4]
    assert la2["time"].tolist() == [-4, -3, -2, -1, 0, 1, 2, 3, 4]
    assert la2["step0"].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert la2["step1"].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert la2["post"].tolist() == [0, 0, 0, 0, 0, 1, 2, 3, 4]
    la3 = d[d["la_code"] == 3].set_index("year")
    assert la3.loc[2016, "step0"] == 1 and la3.loc[2015, "step0"] == 0
    assert la3.loc[2019, "post"] == 3 and la3.loc[2016, "post"] == 0


def test_design_window_and_order():
    df = _hand_panel().query("year <= 2018").sample(frac=1.0, random_state=3)
    d = its.segmented_design(df, window=(-3, 3))
    assert d["event_time"].between(-3, 3).all()
    assert d.groupby("la_code").size().tolist() == [7, 7, 6]  # LA 3 (2016): 2018 is Y+2
    assert d.sort_values(["la_code", "year"]).index.tolist() == list(range(len(d)))


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.drop(columns="inspection_year"), "inspection_year"),
        (lambda d: d.assign(inspection_year=d["inspection_year"].where(d["la_code"] != 2)), "LA"),
        (lambda d: d.assign(inspection_year=d["inspection_year"] + 0.5), "whole year"),
        (lambda d: pd.concat([d, d.iloc[[0]]]), "repeated"),
        (lambda d: d.assign(inspection_year=np.where(d["year"] == 2012, 2013,
                                                     d["inspection_year"])), "differs"),
    ],
)
def test_design_bad_input(mutate, message):
    with pytest.raises((ValueError, KeyError), match=message):
        its.segmented_design(mutate(_hand_panel()))


def test_design_named_columns():
    df = _hand_panel().rename(columns={"la_code": "LA", "year": "yr", "inspection_year": "y0"})
    d = its.segmented_design(df, la="LA", year="yr", inspection_year="y0", window=None)
    assert d["post"].sum() == sum(range(1, 6)) + sum(range(1, 5)) + sum(range(1, 4))


def test_impact_models_are_design_terms():
    assert set(its.IMPACT_MODELS) == {"level_shift", "slope_change", "slope_one_step",
                                      "two_steps", "slope_two_steps"}
    for rhs in its.IMPACT_MODELS.values():
        assert set(t.strip() for t in rhs.split("+")) <= set(its.DESIGN_TERMS)
    assert its.IMPACT_MODELS["slope_two_steps"] == "time + step0 + step1 + post"


# --------------------------------------------------------------------------- arithmetic


B4 = {"(Intercept)": -3.0, "time": 0.05, "step0": 0.12, "step1": -0.09, "post": -0.03}


def test_percent_change_terms_by_hand():
    v = _spd(5, 1)
    pc = its.percent_change(_fake_fit(B4, v), scale="term").set_index("term")
    for j, term in enumerate(["time", "step0", "step1", "post"], start=1):
        b, se = B4[term], np.sqrt(v[j, j])
        assert pc.loc[term, "pct_change"] == pytest.approx(100 * (np.exp(b) - 1), rel=ARITH_TOL)
        assert pc.loc[term, "conf_low"] == pytest.approx(100 * (np.exp(b - Z * se) - 1),
                                                         rel=ARITH_TOL)
        assert pc.loc[term, "conf_high"] == pytest.approx(100 * (np.exp(b + Z * se) - 1),
                                                          rel=ARITH_TOL)
        assert pc.loc[term, "p_value"] == pytest.approx(
            2 * stats.norm.sf(abs(b / se)), rel=1e-9)


def test_percent_change_stages_by_hand():
    v = _spd(5, 2)
    pc = its.percent_change(_fake_fit(B4, v), scale="stage").set_index("stage")
    # year-on-year: pre = time; Y-1 -> Y0 = time + step0; Y0 -> Y1 = time + step1 + post;
    # after Y1 = time + post
    idx = {"time": 1, "step0": 2, "step1": 3, "post": 4}
    for stage, extra in [("pre_annual", ()), ("step_y0", ("step0",)),
                         ("step_y1", ("step1", "post")), ("post_annual", ("post",))]:
        c = np.zeros(5)
        c[idx["time"]] = 1
        for term in extra:
            c[idx[term]] = 1
        b = c @ np.array(list(B4.values()))
        se = np.sqrt(c @ v @ c)
        assert pc.loc[stage, "log_estimate"] == pytest.approx(b, rel=ARITH_TOL)
        assert pc.loc[stage, "std_error"] == pytest.approx(se, rel=ARITH_TOL)
        assert pc.loc[stage, "conf_low"] == pytest.approx(100 * np.expm1(b - Z * se),
                                                          rel=ARITH_TOL)


def test_percent_change_submodel_leaves_absent_stage_empty():
    b = {"(Intercept)": 1.0, "time": 0.1, "step0": 0.2}
    pc = its.percent_change(_fake_fit(b, _spd(3, 3)), scale="term").set_index("stage")
    assert np.isnan(pc.loc["step_y1", "pct_change"]) and np.isnan(pc.loc["post_annual",
                                                                        "pct_change"])
    st_ = its.percent_change(_fake_fit(b, _spd(3, 3)), scale="stage").set_index("stage")
    # a level-shift model still has a year-on-year change in every stage: the trend
    assert st_.loc["post_annual", "pct_change"] == pytest.approx(100 * np.expm1(0.1))


def test_trajectory_by_hand():
    v = _spd(5, 4)
    tr = its.trajectory(_fake_fit(B4, v)).set_index("event_year")
    a, s0, s1, p = B4["time"], B4["step0"], B4["step1"], B4["post"]
    expect = {-3: 0, -2: a, -1: 2 * a, 0: 3 * a + s0, 1: 4 * a + s0 + s1 + p,
              2: 5 * a + s0 + s1 + 2 * p, 3: 6 * a + s0 + s1 + 3 * p}
    for t, lin in expect.items():
        assert tr.loc[t, "percent"] == pytest.approx(100 * np.exp(lin), rel=ARITH_TOL)
    # the contrast at Y+3: (6, 1, 1, 3) on (time, step0, step1, post)
    c = np.array([0, 6, 1, 1, 3.0])
    se = np.sqrt(c @ v @ c)
    assert tr.loc[3, "std_error"] == pytest.approx(se, rel=ARITH_TOL)
    assert tr.loc[3, "conf_low"] == pytest.approx(100 * np.exp(c @ list(B4.values()) - Z * se),
                                                  rel=ARITH_TOL)
    assert tr.loc[-3, "percent"] == 100 and tr.loc[-3, "conf_low"] == 100


def test_trajectory_ci_matches_simulation():
    """The delta-method CI of 100 exp(c'b) equals the quantiles of simulated exp(c'b*),
    b* ~ N(b, V): exp is monotone, so the quantiles transform exactly."""
    v = _spd(5, 5) * 4
    tr = its.trajectory(_fake_fit(B4, v)).set_index("event_year")
    rng = np.random.default_rng(0)
    draws = rng.multivariate_normal(list(B4.values()), v, size=200_000)
    for t in (0, 2, 3):
        c = its.event_design_matrix([t]) - its.event_design_matrix([-3])
        c = np.r_[0.0, c[list(its.DESIGN_TERMS)].to_numpy()[0]]
        sim = 100 * np.exp(draws @ c)
        lo, hi = np.quantile(sim, [0.025, 0.975])
        assert tr.loc[t, "conf_low"] == pytest.approx(lo, rel=SIM_TOL)
        assert tr.loc[t, "conf_high"] == pytest.approx(hi, rel=SIM_TOL)


@settings(max_examples=40, deadline=None)
@given(b=st.lists(st.floats(-0.5, 0.5), min_size=4, max_size=4),
       scale=st.floats(0.01, 1.0), seed=st.integers(0, 10_000))
def test_trajectory_consistent_with_stages(b, scale, seed):
    """Property: trajectory ratios between consecutive years are the year-on-year stages."""
    coef = dict(zip(["(Intercept)", *its.DESIGN_TERMS], [0.0, *b], strict=True))
    fit = _fake_fit(coef, _spd(5, seed) * scale)
    tr = its.trajectory(fit, years=range(-3, 4)).set_index("event_year")["log_estimate"]
    stg = its.percent_change(fit, scale="stage").set_index("stage")["log_estimate"]
    assert tr[-1] - tr[-2] == pytest.approx(stg["pre_annual"], abs=1e-12)
    assert tr[0] - tr[-1] == pytest.approx(stg["step_y0"], abs=1e-12)
    assert tr[1] - tr[0] == pytest.approx(stg["step_y1"], abs=1e-12)
    assert tr[3] - tr[2] == pytest.approx(stg["post_annual"], abs=1e-12)
    assert (tr.diff().dropna().abs() < 10).all()


# --------------------------------------------------------------------------- outcome kinds


class _Recorder:
    """Stands in for glmer_poisson and records what its_fit passes to it."""

    def __init__(self):
        self.calls = []

    def __call__(self, formula, data, offset=None, nagq=1, control=None,
                 pseudo_likelihood=False, **kw):
        self.calls.append(dict(formula=formula, data=data.copy(), offset=offset, nagq=nagq,
                               pseudo_likelihood=pseudo_likelihood))
        names = ["(Intercept)", *[t.strip() for t in formula.split("~")[1].split("+")
                                  if "|" not in t]]
        k = len(names)
        return SimpleNamespace(fixef=pd.Series(np.zeros(k), index=names),
                               vcov=pd.DataFrame(np.eye(k), index=names, columns=names),
                               loglik=-10.0, aic=20.0 + 2 * (k + 1), bic=25.0, nobs=len(data),
                               converged=True, fitted_values=np.ones(len(data)),
                               theta=np.ones(1),
                               glance=lambda: pd.DataFrame({"nobs": [len(data)]}))


@pytest.fixture
def recorder(monkeypatch):
    rec = _Recorder()
    monkeypatch.setattr(its, "_glmer_poisson", lambda: rec)
    return rec


def _outcome_panel():
    d = _hand_panel()
    rng = np.random.default_rng(1)
    d["count"] = rng.integers(0, 200, len(d)).astype(float)
    d["pop"] = rng.integers(1000, 5000, len(d)).astype(float)
    d["amount"] = rng.uniform(1e5, 1e6, len(d))
    return d


@pytest.mark.parametrize("kind, pseudo", [("rate_per_10000", False), ("percentage", False),
                                          ("money", True), ("fte", True), ("count", False)])
def test_outcome_kinds_offsets(recorder, kind, pseudo):
    d = _outcome_panel()
    outcome = "amount" if pseudo else "count"
    fit = its.its_fit(d, outcome, kind, denominator="pop", nagq=7)
    call = recorder.calls[-1]
    design = its.segmented_design(d)
    np.testing.assert_allclose(call["offset"], np.log(design["pop"]), rtol=ARITH_TOL)
    np.testing.assert_allclose(call["data"]["y"], design[outcome], rtol=ARITH_TOL)
    assert call["pseudo_likelihood"] is pseudo
    assert call["nagq"] == 7
    assert call["formula"] == "y ~ time + step0 + step1 + post + (1 | la)"
    assert (fit.likelihood == its.LIKELIHOOD_PSEUDO) is pseudo
    assert ("pseudo-likelihood" in fit.glance()["likelihood"].iloc[0]) is pseudo


def test_count_without_denominator_has_no_offset(recorder):
    its.its_fit(_outcome_panel(), "count", "count")
    assert recorder.calls[-1]["offset"] is None


def test_random_slope_formula_and_laplace(recorder):
    its.its_fit(_outcome_panel(), "count", "rate_per_10000", denominator="pop",
                random_slope=True, model="level_shift", nagq=7)
    call = recorder.calls[-1]
    assert call["formula"] == "y ~ time + step0 + (1 + time | la)"
    assert call["nagq"] == 1


def test_overdispersion_formula(recorder):
    its.its_fit(_outcome_panel(), "count", "rate_per_10000", denominator="pop",
                overdispersion=True, nagq=7)
    call = recorder.calls[-1]
    assert call["formula"] == "y ~ time + step0 + step1 + post + (1 | la) + (1 | obs)"
    assert call["nagq"] == 1
    assert call["data"]["obs"].tolist() == list(range(len(call["data"])))


def test_missing_rows_are_excluded_and_listed(recorder):
    d = _outcome_panel()
    d.loc[(d["la_code"] == 1) & (d["year"] == 2013), "count"] = np.nan
    d.loc[(d["la_code"] == 2) & (d["year"] == 2015), "pop"] = np.nan
    fit = its.its_fit(d, "count", "rate_per_10000", denominator="pop")
    assert len(fit.excluded) == 2
    assert set(fit.excluded["reason"]) == {"count missing", "pop missing"}
    assert len(recorder.calls[-1]["data"]) == len(its.segmented_design(d)) - 2


@pytest.mark.parametrize(
    "kind, mutate, message",
    [
        ("rate_per_10000", lambda d: d.assign(count=d["count"] + 0.5), "whole count"),
        ("rate_per_10000", lambda d: d.assign(count=-d["count"] - 1), "negative"),
        ("rate_per_10000", lambda d: d.assign(pop=-d["pop"]), "negative"),
        ("rate_per_10000", lambda d: d.assign(pop=0.0, count=5.0), "is 0"),
        ("rate_per_10000", lambda d: d.drop(columns="pop"), "pop"),
        ("percentage", lambda d: d, "denominator"),
        ("odds", lambda d: d, "outcome_kind"),
    ],
)
def test_outcome_bad_input(recorder, kind, mutate, message):
    d = mutate(_outcome_panel())
    den = None if message == "denominator" else "pop"
    with pytest.raises((ValueError, KeyError), match=message):
        its.its_fit(d, "count", kind, denominator=den)


def test_unknown_model(recorder):
    with pytest.raises(KeyError, match="impact model"):
        its.its_fit(_outcome_panel(), "count", "count", model="spline")


def test_compare_models_table(recorder):
    table, fits = its.fit_impact_models(_outcome_panel(), "count", offset="pop", nagq=1,
                                        return_fits=True)
    assert list(table.columns[:8]) == ["model", "k", "loglik", "aic", "bic", "delta_aic",
                                       "delta_bic", "chosen"]
    assert set(table["model"]) == set(its.IMPACT_MODELS)
    # the recorder's AIC = 20 + 2 (p + 1) with loglik -10, p fixed effects: k = p + 1
    assert table.loc[table["chosen"], "model"].tolist() == ["level_shift"]
    assert table["delta_aic"].min() == 0
    assert table.set_index("model")["k"].to_dict() == {
        "level_shift": 4, "slope_change": 4, "slope_one_step": 5, "two_steps": 5,
        "slope_two_steps": 6}


# --------------------------------------------------------------------------- fixed effects


def _within(v: np.ndarray, i: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Residual of v on LA and year dummies (Frisch-Waugh: the two-way within transform)."""
    D = np.column_stack([pd.get_dummies(i).to_numpy(float), pd.get_dummies(t).to_numpy(float)])
    coef, *_ = np.linalg.lstsq(D, v.astype(float), rcond=None)
    return v - D @ coef


def test_fixed_effects_check_by_hand():
    d = sim_panel(7, n_la=25)
    d = d.drop(index=[3, 40, 41])  # unbalanced
    d.loc[d.index[5], "count"] = 0.0  # log undefined: excluded and listed
    res = its.fixed_effects_check(d, "count", "population")
    assert len(res.excluded) == 1
    des = its.segmented_design(d)
    des = des[des["count"] > 0]
    y = np.log(des["count"] / des["population"]).to_numpy()
    X = des[["step0", "step1", "post"]].to_numpy()
    i, t = des["la_code"].to_numpy(), des["year"].to_numpy()
    yw = _within(y, i, t)
    Xw = np.column_stack([_within(X[:, j], i, t) for j in range(3)])
    bread = np.linalg.inv(Xw.T @ Xw)
    b = bread @ Xw.T @ yw
    e = yw - Xw @ b
    meat = sum(np.outer(Xw[i == g].T @ e[i == g], Xw[i == g].T @ e[i == g]) for g in np.unique(i))
    n, k = len(yw), 3
    d_eff = len(np.unique(i)) + len(np.unique(t)) - 1  # LA and year effects, counted
    se = np.sqrt(np.diag(bread @ meat @ bread) * n / (n - k - d_eff))
    tq = stats.t.ppf(0.975, n - k - d_eff)
    tab = res.tidy().set_index("term")
    np.testing.assert_allclose(tab["estimate"], b, rtol=FE_TOL)
    np.testing.assert_allclose(tab["std_error"], se, rtol=FE_TOL)
    np.testing.assert_allclose(tab["conf_low"], b - tq * se, rtol=FE_TOL)
    np.testing.assert_allclose(tab["pct_change"], 100 * np.expm1(b), rtol=FE_TOL)
    assert res.df_resid == n - k - d_eff
    validate_tidy(res.tidy())
    validate_glance(res.glance())
    assert res.nobs == len(des)


def test_fixed_effects_check_rejects_time():
    with pytest.raises(ValueError, match="collinear"):
        its.fixed_effects_check(sim_panel(1, n_la=5), "count", "population",
                                terms=("time", "step0"))


# --------------------------------------------------------------------------- with the GLMM

REFIT_TOL = 1e-5
"""Two maximisations of the same likelihood (a re-parametrised design, or the study against
a direct call): they agree to the optimiser's convergence, well inside lme4's own 1e-5."""


@pytest.fixture(scope="module")
def sim():
    return sim_panel(21, n_la=80)


@pytest.fixture(scope="module")
def full_fit(sim):
    return its.its_fit(sim, "count", "rate_per_10000", denominator="population", nagq=7)


def test_its_fit_is_glmer_on_the_design(sim, full_fit):
    from models.glmm import glmer_poisson

    d = its.segmented_design(sim)
    res = glmer_poisson("count ~ time + step0 + step1 + post + (1 | la_code)", d,
                        offset=np.log(d["population"].to_numpy()), nagq=7)
    np.testing.assert_allclose(full_fit.fixef.to_numpy(), res.fixef.to_numpy(), rtol=1e-10)
    assert full_fit.loglik == pytest.approx(res.loglik, rel=1e-12)
    assert full_fit.nobs == len(d) and full_fit.n_la == 80 and full_fit.converged
    tab = full_fit.tidy()
    validate_tidy(tab)
    np.testing.assert_allclose(tab["pct_change"], 100 * np.expm1(tab["estimate"]), rtol=1e-12)
    g = validate_glance(full_fit.glance())
    assert g["likelihood"].iloc[0] == its.LIKELIHOOD_ML and g["n_excluded"].iloc[0] == 0


def test_stages_do_not_depend_on_the_post_slope_counting(sim, full_fit):
    """Counting the post-slope from Y+1 re-parametrises the model: same logLik, and the same
    year-on-year stages (which is what makes them the reportable quantities)."""
    from models.glmm import glmer_poisson

    d = its.segmented_design(sim)
    d["post1"] = np.maximum(d["event_time"] - 1.0, 0.0)
    alt = glmer_poisson("count ~ time + step0 + step1 + post1 + (1 | la_code)", d,
                        offset=np.log(d["population"].to_numpy()), nagq=7)
    assert alt.loglik == pytest.approx(full_fit.loglik, abs=1e-6)
    b = alt.fixef
    by_hand = {"pre_annual": b["time"], "step_y0": b["time"] + b["step0"],
               "step_y1": b["time"] + b["step1"], "post_annual": b["time"] + b["post1"]}
    got = its.percent_change(full_fit).set_index("stage")["log_estimate"]
    for stage, value in by_hand.items():
        assert got[stage] == pytest.approx(value, abs=REFIT_TOL)


def test_stages_not_identified_by_the_data_are_empty(sim):
    """Without pre-inspection years the GLMM drops aliased columns (as lme4); the stages the
    data cannot identify are NaN, the others are the year-on-year changes of the fit."""
    with pytest.warns(UserWarning, match="rank deficient"):
        fit = its.its_fit(sim, "count", "rate_per_10000", denominator="population",
                          window=(0, 3))
    assert fit.event_times == (0, 1, 2, 3)
    pc = its.percent_change(fit).set_index("stage")
    assert pc.loc[["pre_annual", "step_y0"], "pct_change"].isna().all()
    tr = its.trajectory(fit, years=range(0, 4)).set_index("event_year")["log_estimate"]
    assert pc.loc["step_y1", "log_estimate"] == pytest.approx(tr[1] - tr[0], abs=1e-12)
    assert pc.loc["post_annual", "log_estimate"] == pytest.approx(tr[3] - tr[2], abs=1e-12)
    # planted: Y0 -> Y+1 = time + step1 + post = 0.05 - 0.08 + 0.02
    assert pc.loc["step_y1", "conf_low"] < 100 * np.expm1(-0.01) < pc.loc["step_y1", "conf_high"]
    assert its.trajectory(fit)["percent"].iloc[1:].isna().all()  # Y-3 is not in the data


def test_planted_terms_recovered(full_fit):
    tab = its.percent_change(full_fit, scale="term").set_index("term")
    true = dict(zip(its.DESIGN_TERMS, (0.05, 0.10, -0.08, 0.02), strict=True))
    for term, value in true.items():
        assert tab.loc[term, "conf_low"] <= 100 * np.expm1(value) <= tab.loc[term, "conf_high"]


def test_impact_model_comparison_nested(sim):
    table = its.fit_impact_models(sim, "count", offset="population", nagq=7)
    t = table.set_index("model")
    full = t.loc["slope_two_steps", "loglik"]
    for m in ("level_shift", "slope_change", "slope_one_step", "two_steps"):
        assert t.loc[m, "loglik"] <= full + 1e-6  # nested in the full model
    assert t["k"].to_dict() == {"level_shift": 4, "slope_change": 4, "slope_one_step": 5,
                                "two_steps": 5, "slope_two_steps": 6}
    np.testing.assert_allclose(t["aic"], -2 * t["loglik"] + 2 * t["k"], rtol=1e-12)
    assert t.loc["slope_two_steps", "chosen"]  # the generating model


def test_random_slope_option(sim):
    # no random slope was planted: the slope SD is estimated at 0, as lme4 says
    with pytest.warns(UserWarning, match="singular"):
        fit = its.its_fit(sim, "count", "rate_per_10000", denominator="population",
                          random_slope=True)
    assert fit.nagq == 1 and fit.n_params == 8
    vc = fit.glmm.var_corr()
    assert len(vc) == 3
    tr = fit.trajectory()
    assert tr["percent"].iloc[0] == 100 and np.isfinite(tr["conf_high"]).all()


def test_pseudo_likelihood_on_amounts(sim):
    d = sim.assign(amount=sim["count"] * 1234.5)
    fit = its.its_fit(d, "amount", "money", denominator="population")
    ml = its.its_fit(sim, "count", "rate_per_10000", denominator="population")
    assert fit.likelihood == its.LIKELIHOOD_PSEUDO
    # rescaling the amount moves the intercept by log(1234.5); the stage terms stay close
    # (not equal: the Poisson pseudo-likelihood is not scale-invariant in its variance)
    assert fit.fixef["(Intercept)"] - ml.fixef["(Intercept)"] == pytest.approx(np.log(1234.5),
                                                                               abs=0.05)
    np.testing.assert_allclose(fit.fixef[list(its.DESIGN_TERMS)],
                               ml.fixef[list(its.DESIGN_TERMS)], atol=5e-3)
    with pytest.raises(ValueError, match="whole count"):
        its.its_fit(d, "amount", "rate_per_10000", denominator="population")


def test_fit_strata(sim):
    s = sim.assign(judgement=np.where(sim["la_code"] % 2 == 0, "a", "b"))
    fits = its.fit_strata(s, "count", "rate_per_10000", denominator="population",
                          model="level_shift", nagq=1)
    assert list(fits) == ["all", "a", "b"]
    assert fits["a"].n_la + fits["b"].n_la == fits["all"].n_la


def test_overdispersion_recovers_the_planted_noise():
    """On the synthetic panel's Gamma-Poisson counts, the observation-level SD estimates the
    planted year-level noise SD (log scale), and the stage effects stay covered."""
    from replication.data import make_panel
    from replication.papers.hood2021 import _analysis_frame

    panel = make_panel(31, n_la=40)
    df, _, _ = _analysis_frame(panel, ["cpp"], {})
    fit = its.its_fit(df, "numerator", "rate_per_10000", denominator="denominator",
                      overdispersion=True)
    vc = fit.glmm.var_corr().set_index("grp")
    planted = panel.truth.its_row("cpp", "inadequate")
    assert vc.loc["obs", "sdcor"] == pytest.approx(planted["noise_sd"], abs=0.03)
    assert vc.loc["la", "sdcor"] == pytest.approx(planted["sigma_la"], abs=0.15)
    assert fit.overdispersion and fit.nagq == 1


@pytest.mark.r
def test_stages_and_trajectory_against_lme4(sim, full_fit):
    """The same segmented model in lme4 (nAGQ = 7), with the stages and the trajectory
    computed in R from fixef and vcov."""
    need_r_packages("lme4")
    d = its.segmented_design(sim)[["la_code", "count", "population", "time", "step0",
                                   "step1", "post"]]
    d = d.assign(la_code=pd.Categorical(d["la_code"].astype(str)))
    out = call_r("""
        d <- input$d
        f <- lme4::glmer(count ~ time + step0 + step1 + post + (1 | la_code) +
                         offset(log(population)), data = d, family = poisson, nAGQ = 7,
                         control = lme4::glmerControl(optimizer = "bobyqa",
                             optCtrl = list(rhobeg = 2e-3, rhoend = 1e-10, maxfun = 1e5)))
        b <- lme4::fixef(f); V <- as.matrix(vcov(f)); z <- qnorm(0.975)
        C <- rbind(c(0, 1, 0, 0, 0), c(0, 1, 1, 0, 0), c(0, 1, 0, 1, 1), c(0, 1, 0, 0, 1))
        tt <- -3:3
        X <- cbind(0, tt, tt >= 0, tt >= 1, tt * (tt >= 0))
        X <- sweep(X, 2, X[1, ])
        ci <- function(M) { e <- drop(M %*% b); s <- sqrt(diag(M %*% V %*% t(M)))
                            cbind(e, e - z * s, e + z * s) }
        list(stages = 100 * expm1(ci(C)), traj = 100 * exp(ci(X)))
    """, data={"d": d}).value
    pc = its.percent_change(full_fit)
    np.testing.assert_allclose(pc[["pct_change", "conf_low", "conf_high"]].to_numpy(),
                               out["stages"], rtol=1e-4)
    tr = its.trajectory(full_fit)
    np.testing.assert_allclose(tr[["percent", "conf_low", "conf_high"]].to_numpy(),
                               out["traj"], rtol=1e-4)


def test_pearson_dispersion_is_quasipoissons():
    """The GLM case against statsmodels' Pearson chi-square over the residual df (what R's
    summary(glm(family = quasipoisson)) calls the dispersion)."""
    import statsmodels.api as sm  # noqa: PLC0415

    rng = np.random.default_rng(4)
    x = rng.normal(size=200)
    y = rng.negative_binomial(5, 5 / (5 + np.exp(2 + 0.3 * x)))
    glm = sm.GLM(y, sm.add_constant(x), family=sm.families.Poisson()).fit()
    got = its.pearson_dispersion(y, glm.fittedvalues, 2)
    assert got == pytest.approx(glm.pearson_chi2 / glm.df_resid, rel=1e-12)
    assert got > 1.5  # negative binomial: overdispersed
    assert np.isnan(its.pearson_dispersion(y[:2], glm.fittedvalues[:2], 2))


def test_pearson_scaled_fit_scales_every_se_and_nothing_else(sim, full_fit):
    scaled = its.its_fit(sim, "count", "rate_per_10000", denominator="population", nagq=7,
                         se_scale="pearson")
    phi = full_fit.dispersion
    mu = full_fit.glmm.fitted_values
    y = its.segmented_design(sim)["count"].to_numpy()
    assert phi == pytest.approx(np.sum((y - mu) ** 2 / mu) / (len(y) - 5 - 1), rel=1e-12)
    assert 0.8 < phi < 1.25  # Poisson data
    assert scaled.dispersion == phi and full_fit.se_scale == "model"
    np.testing.assert_allclose(scaled.fixef, full_fit.fixef, rtol=0, atol=0)
    np.testing.assert_allclose(scaled.vcov, full_fit.vcov * phi, rtol=1e-14)
    a, b = full_fit.percent_change(), scaled.percent_change()
    np.testing.assert_allclose(b["std_error"], a["std_error"] * np.sqrt(phi), rtol=1e-12)
    np.testing.assert_allclose(b["pct_change"], a["pct_change"], rtol=0, atol=0)
    ta, tb = full_fit.tidy().set_index("term"), scaled.tidy().set_index("term")
    fixed = list(full_fit.fixef.index)
    np.testing.assert_allclose(tb.loc[fixed, "std_error"], ta.loc[fixed, "std_error"] * np.sqrt(phi),
                               rtol=1e-12)
    np.testing.assert_allclose(tb.loc[fixed, "conf_high"] - tb.loc[fixed, "estimate"],
                               Z * tb.loc[fixed, "std_error"], rtol=1e-9)
    g = scaled.glance()
    assert g["se_scale"].iloc[0] == "pearson" and g["dispersion"].iloc[0] == phi
    with pytest.raises(ValueError, match="se_scale must be one of"):
        its.its_fit(sim, "count", "rate_per_10000", denominator="population", se_scale="sandwich")


def test_cluster_robust_vcov_by_hand(sim, full_fit):
    """V (sum_i s_i s_i') V G/(G-1), s_i = X_i'(y_i - mu_i), by an explicit loop over LAs."""
    robust = its.its_fit(sim, "count", "rate_per_10000", denominator="population", nagq=7,
                         se_scale="robust")
    d = its.segmented_design(sim)
    names = list(full_fit.fixef.index)
    X = np.column_stack([np.ones(len(d)), *(d[t].to_numpy(float) for t in names[1:])])
    r = d["count"].to_numpy() - full_fit.glmm.fitted_values
    meat = sum(np.outer(X[m].T @ r[m], X[m].T @ r[m])
               for m in (d["la_code"] == la for la in d["la_code"].unique()))
    V = full_fit.glmm.vcov.loc[names, names].to_numpy()
    G = d["la_code"].nunique()
    np.testing.assert_allclose(robust.vcov.to_numpy(), V @ meat @ V * G / (G - 1), rtol=1e-10)
    np.testing.assert_allclose(robust.fixef, full_fit.fixef, rtol=0, atol=0)
    se = robust.tidy().set_index("term").loc[names, "std_error"]
    np.testing.assert_allclose(se, np.sqrt(np.diag(robust.vcov)), rtol=1e-12)
    # Poisson data: the sandwich and the model-based SEs agree roughly
    ratio = se / full_fit.tidy().set_index("term").loc[names, "std_error"]
    assert ((ratio > 0.7) & (ratio < 1.4)).all(), ratio
