"""models.logistic against frozen R (glm binomial, MASS profile CIs, logLik-based R²,
Hosmer-Lemeshow, anova Rao, drop1, step, SPSS's stepwise rules re-written in R), plus
invariances, planted effects and the rules for bad input."""

from __future__ import annotations

import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import models._formula as formula_module
from models._result import validate_glance, validate_tidy
from models.logistic import (
    GlmConvergenceWarning,
    SeparationWarning,
    _fmm_spline,
    _lp_separation,
    _overlap_certificate,
    logit,
    removal_tests,
    score_tests,
    stepwise_logit,
)
from replication.parity import logistic as pl
from replication.rbridge.fixtures import load_fixture

LOGIT_TOL = pl.LOGIT_TOL
INVARIANCE_TOL = 1e-9
"""Two fits of the same likelihood from different data layouts (rescaled, permuted, duplicated
rows): each converged to 1e-12 on the deviance, so estimates agree to about 1e-10."""
SPLINE_TOL = 1e-9
"""A cubic reproduced by the FMM spline: exact in exact arithmetic; the linear solve and the
evaluation lose a few digits on badly spaced knots."""
PLANTED_Z = 5.0
"""Planted coefficients must lie within 5 standard errors of the estimate (a false failure
has probability about 6e-7 per coefficient)."""


def _sim(seed: int, n: int = 300, beta=(-0.3, 0.8, -0.5), levels=("a", "b", "c"), eff=(0.0, 0.7, -0.4)):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(2.0, 1.5, n)
    g = rng.choice(list(levels), n)
    lin = beta[0] + beta[1] * x1 + beta[2] * x2 + np.array([dict(zip(levels, eff, strict=True))[v] for v in g])
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-lin))).astype(float)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": pd.Categorical(g, categories=list(levels))})


def _quiet_logit(*args, **kw):
    """Fit; a draw whose data separate the outcome (no finite MLE) is discarded by hypothesis."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = logit(*args, **kw)
    assume(not any(issubclass(w.category, (SeparationWarning, GlmConvergenceWarning)) for w in caught))
    return m


# --------------------------------------------------------------------------- frozen R


def test_glm_matches_frozen_r():
    fx = load_fixture(pl.GLM)
    d = pl.compare_glm(pl.run_glm_cases(fx.input), fx.result)
    assert d["terms"] == 0, "term names differ from R's"
    assert d["counts"] == 0, "df_null, df_residual or nobs differ from R's"
    assert d["classification"] == 0, "classification counts differ"
    for k in ("coef_se", "z_p", "wald_ci", "profile_ci", "likelihood", "r2", "hosmer_lemeshow",
              "spss_arith"):
        assert d[k] <= LOGIT_TOL, f"{k}: max relative difference {d[k]:.2e}"
    # R at its default epsilon is close but not converged: what users of R see
    assert d["default"] <= pl.DEFAULT_CONTROL_NOTE_TOL


def test_r_term_names_and_aliasing():
    fx = load_fixture(pl.GLM)
    names = {r["label"][0]: list(r["terms"]) for r in fx.result}
    assert names["interaction"] == ["(Intercept)", "x", "gb", "gc", "x:gb", "x:gc"]
    assert names["small"] == ["(Intercept)", "spend", "depmid", "dephigh", "ofstedyes"]
    cs = next(c for c in fx.input["cases"] if c["label"] == "aliased")
    with pytest.warns(UserWarning, match="not defined because of singularities: x3"):
        m = logit(cs["formula"], pl.case_frame(cs["data"], {}))
    t = m.tidy()
    assert np.isnan(t.loc[t.term == "x3", "estimate"]).all()
    assert m.rank == 3 and m.df_residual == 117


def test_stepwise_matches_frozen_r():
    fx = load_fixture(pl.STEPWISE)
    d = pl.compare_stepwise(pl.run_stepwise(fx.input), fx.result)
    assert d["path"] == 0, "a stepwise path differs from the SPSS rules run in R"
    assert d["aic_path"] <= LOGIT_TOL, "step() path differs"
    for k, v in d.items():
        assert v <= LOGIT_TOL, f"{k}: {v:.2e}"
    # the data make forward selection remove the composite x5 after x1 and x2 entered
    steps = pl.run_stepwise(fx.input)["runs"][0]["steps"]
    assert list(steps["action"]).count("removed") == 1
    assert steps.loc[steps.action == "removed", "variable"].tolist() == ["x5"]


def test_separation_warnings_as_r():
    fx = load_fixture(pl.SEPARATION)
    r_default = [list(r["default"]) for r in fx.result]
    ours_default = pl.run_separation(fx.input, tol=1e-8, maxiter=25)
    ours = pl.run_separation(fx.input)
    for label, rd, od, o in zip([r["label"][0] for r in fx.result], r_default, ours_default, ours, strict=True):
        r_texts = [w for w in rd if w.startswith("glm.fit")]
        assert [w for w in od if w.startswith("glm.fit")] == r_texts, label
        if label == "overlap":
            assert o == [] and od == []
        else:  # R warns at epsilon 1e-15; we always name the separating column
            assert any(w.startswith("logit: separation: ") for w in o), label
    assert any("'x' separates the outcome completely" in w for w in ours[0])
    assert any("every case at level 'c' of g has outcome 1" in w for w in ours[1])
    assert "glm.fit: fitted probabilities numerically 0 or 1 occurred" in ours[0]


# --------------------------------------------------------------------------- schema and SPSS tables


def test_tidy_glance_schema():
    m = logit("y ~ x1 + x2 + g", _sim(1))
    t = validate_tidy(m.tidy())
    assert list(t.columns[7:]) == ["wald", "df", "odds_ratio", "or_conf_low", "or_conf_high"]
    assert list(t["term"]) == ["(Intercept)", "x1", "x2", "gb", "gc"]
    np.testing.assert_allclose(t["wald"], t["statistic"] ** 2, rtol=1e-14)
    np.testing.assert_allclose(t["or_conf_low"], np.exp(t["conf_low"]), rtol=1e-14)
    g = validate_glance(m.glance())
    for col in ("nobs", "loglik", "null_deviance", "deviance", "df_null", "df_residual", "model_chisq",
                "model_df", "model_p", "aic", "bic", "cox_snell_r2", "nagelkerke_r2",
                "hosmer_lemeshow_chisq", "hosmer_lemeshow_df", "hosmer_lemeshow_p"):
        assert col in g.columns, col
    assert g["model_df"].iloc[0] == 4 and g["nobs"].iloc[0] == 300


def test_classification_table_by_hand():
    m = logit("y ~ x1 + x2 + g", _sim(2))
    for cut in (0.5, 0.3):
        ct = m.classification_table(cut)
        pred = m.fitted > cut
        y = m.y == 1
        tab = ct.table
        assert tab.loc[1, 1] == np.sum(y & pred) and tab.loc[0, 0] == np.sum(~y & ~pred)
        assert tab.loc[1, 0] == np.sum(y & ~pred) and tab.loc[0, 1] == np.sum(~y & pred)
        assert ct.sensitivity == np.sum(y & pred) / np.sum(y)
        assert ct.specificity == np.sum(~y & ~pred) / np.sum(~y)
        assert ct.percent_correct == pytest.approx(100 * np.mean(y == pred), rel=1e-14)
    with pytest.raises(ValueError, match="cut"):
        m.classification_table(1.2)


def test_hosmer_lemeshow_keeps_ties_together():
    """Only factor predictors: a few distinct probabilities; a group never splits a tie.

    With R's cut at the unique quantiles, the two lowest distinct values share the first
    (closed) interval, so 3 distinct probabilities make 2 groups and df = 0 (p undefined).
    """
    d = _sim(3, n=200)
    m = logit("y ~ x1", d)
    assert m.hosmer_lemeshow().groups == 10 and m.hosmer_lemeshow().df == 8
    m = logit("y ~ g", d)
    hl = m.hosmer_lemeshow()
    assert hl.table["n"].sum() == 200
    by_value = pd.Series(m.fitted).round(12).value_counts().sort_index().cumsum().to_numpy()
    assert set(hl.table["n"].cumsum()) <= set(by_value)
    assert hl.groups == 2 and hl.df == 0 and np.isnan(hl.p_value)


def test_score_and_removal_tables():
    d = _sim(4)
    sc = score_tests(d, "y", ["x1"], ["x2", "g"])
    assert list(sc["variable"]) == ["x2", "g"] and list(sc["df"]) == [1, 2]
    rm = removal_tests(d, "y", ["x1", "x2", "g"])
    full = logit("y ~ x1 + x2 + g", d)
    red = logit("y ~ x1 + g", d)
    lr = rm.set_index("variable").loc["x2", "lr"]
    assert lr == pytest.approx(red.deviance - full.deviance, rel=1e-10)
    assert rm.set_index("variable").loc["x2", "wald"] == pytest.approx(full.tidy().wald[2], rel=1e-12)


# --------------------------------------------------------------------------- properties


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.01, 100.0))
def test_rescaling_x_rescales_b_inversely(seed, c):
    d = _sim(seed, n=150)
    m = _quiet_logit("y ~ x1 + x2 + g", d)
    d2 = d.assign(x1=d.x1 * c)
    m2 = _quiet_logit("y ~ x1 + x2 + g", d2)
    np.testing.assert_allclose(m2.coef[1], m.coef[1] / c, rtol=INVARIANCE_TOL)
    np.testing.assert_allclose(m2.std_error[1], m.std_error[1] / c, rtol=INVARIANCE_TOL)
    others = [0, 2, 3, 4]
    np.testing.assert_allclose(m2.coef[others], m.coef[others], rtol=INVARIANCE_TOL, atol=1e-12)
    assert m2.loglik == pytest.approx(m.loglik, rel=1e-12)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_row_order_changes_nothing(seed):
    d = _sim(seed, n=120)
    perm = np.random.default_rng(seed).permutation(len(d))
    m = _quiet_logit("y ~ x1 + x2 + g", d, conf_method="profile")
    m2 = _quiet_logit("y ~ x1 + x2 + g", d.iloc[perm])
    np.testing.assert_allclose(m2.coef, m.coef, rtol=INVARIANCE_TOL, atol=1e-12)
    np.testing.assert_allclose(m2.std_error, m.std_error, rtol=INVARIANCE_TOL)
    m3 = _quiet_logit("y ~ x1 + x2 + g", d.iloc[perm], conf_method="profile")
    np.testing.assert_allclose(m3.conf_int, m.conf_int, rtol=1e-7)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000))
def test_weight_two_is_a_duplicated_row_and_zero_a_dropped_row(seed):
    d = _sim(seed, n=100)
    rng = np.random.default_rng(seed)
    w = rng.integers(0, 3, len(d)).astype(float)
    mw = _quiet_logit("y ~ x1 + x2 + g", d, weights=w)
    expanded = d.loc[d.index.repeat(w.astype(int))]
    me = _quiet_logit("y ~ x1 + x2 + g", expanded)
    np.testing.assert_allclose(mw.coef, me.coef, rtol=INVARIANCE_TOL, atol=1e-12)
    np.testing.assert_allclose(mw.std_error, me.std_error, rtol=INVARIANCE_TOL)
    assert mw.deviance == pytest.approx(me.deviance, rel=1e-11)
    assert mw.loglik == pytest.approx(me.loglik, rel=1e-11)
    assert mw.nagelkerke_r2 == pytest.approx(me.nagelkerke_r2, rel=1e-10)
    ct_w, ct_e = mw.classification_table().table, me.classification_table().table
    np.testing.assert_allclose(ct_w[[0, 1]].to_numpy(), ct_e[[0, 1]].to_numpy())


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.floats(-1.0, 1.0))
def test_planted_effects_recovered(seed, b1, b2, gb):
    beta = (-0.2, b1, b2)
    d = _sim(seed, n=3000, beta=beta, eff=(0.0, gb, -0.5))
    m = _quiet_logit("y ~ x1 + x2 + g", d)
    truth = np.array([beta[0], b1, b2, gb, -0.5])
    assert (np.abs(m.coef - truth) < PLANTED_Z * m.std_error).all()


def test_reference_level_maps_coefficients_exactly():
    d = _sim(5)
    m = logit("y ~ x1 + g", d)
    d2 = d.assign(g=d.g.cat.reorder_categories(["c", "a", "b"]))
    m2 = logit("y ~ x1 + g", d2)
    b, b2 = dict(zip(m.terms, m.coef, strict=True)), dict(zip(m2.terms, m2.coef, strict=True))
    assert b2["ga"] == pytest.approx(-b["gc"], rel=INVARIANCE_TOL)
    assert b2["gb"] == pytest.approx(b["gb"] - b["gc"], rel=INVARIANCE_TOL)
    assert b2["(Intercept)"] == pytest.approx(b["(Intercept)"] + b["gc"], rel=INVARIANCE_TOL)
    assert m2.deviance == pytest.approx(m.deviance, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-5, 5), min_size=4, max_size=4), st.integers(4, 20), st.integers(0, 1000))
def test_fmm_spline_reproduces_a_cubic(coefs, n, seed):
    """FMM end conditions match the cubic through the end points: a cubic is reproduced exactly."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, n))
    if np.min(np.diff(x)) < 1e-2:
        return
    poly = np.polynomial.Polynomial(coefs)
    xs = np.linspace(x[0], x[-1], 3 * n)
    scale = 1 + np.max(np.abs(poly(xs)))
    np.testing.assert_allclose(_fmm_spline(x, poly(x), xs), poly(xs), rtol=0, atol=SPLINE_TOL * scale)


# --------------------------------------------------------------------------- bad input


def test_one_level_factor_is_an_error():
    d = _sim(6, n=50).assign(h="only")
    with pytest.raises(ValueError, match="contrasts can be applied only to factors with 2 or more levels"):
        logit("y ~ x1 + h", d)


def test_empty_category_is_dropped_with_a_warning():
    d = _sim(7, n=120)
    d["g"] = d["g"].cat.add_categories(["empty"])
    with pytest.warns(UserWarning, match="unused level"):
        m = logit("y ~ x1 + g", d)
    ref = logit("y ~ x1 + g", d.assign(g=d.g.cat.remove_unused_categories()))
    assert m.terms == ref.terms
    np.testing.assert_array_equal(m.coef, ref.coef)


def test_missing_values_are_dropped_with_a_count():
    d = _sim(8, n=120)
    dn = d.copy()
    dn.loc[[3, 10], "x1"] = np.nan
    dn.loc[20, "y"] = np.nan
    with pytest.warns(UserWarning, match="3 observations deleted due to missingness"):
        m = logit("y ~ x1 + x2", dn)
    ref = logit("y ~ x1 + x2", d.drop(index=[3, 10, 20]))
    np.testing.assert_allclose(m.coef, ref.coef, rtol=1e-13)
    assert m.n_missing == 3 and m.glance()["n_missing"].iloc[0] == 3
    w = np.ones(len(d))
    w[5] = np.nan
    with pytest.warns(UserWarning, match="missing weights"):
        mw = logit("y ~ x1 + x2", d, weights=w)
    assert mw.nobs == 119


def test_other_bad_input():
    d = _sim(9, n=30)
    with pytest.raises(ValueError, match="too few cases"):
        logit("y ~ x1 + x2 + g", d.iloc[:4])
    with pytest.raises(ValueError, match="y values must be 0 <= y <= 1"):
        logit("y ~ x1", d.assign(y=d.y * 2))
    with pytest.raises(ValueError, match="not numeric"):
        logit("y ~ x1", d.assign(y=np.where(d.y == 1, "yes", "no")))
    with pytest.raises(ValueError, match="negative weights"):
        logit("y ~ x1", d, weights=-np.ones(len(d)))
    with pytest.raises(ValueError, match="conf_method"):
        logit("y ~ x1", d, conf_method="bootstrap")
    with pytest.warns(UserWarning, match="non-integer #successes in a binomial glm!"):
        logit("y ~ x1", d.assign(y=np.linspace(0.05, 0.95, len(d))))
    # a factor outcome: the first level is failure, as R codes it
    yf = pd.Categorical(np.where(d.y == 1, "event", "none"), categories=["none", "event"])
    np.testing.assert_allclose(logit("y ~ x1", d.assign(y=yf)).coef, logit("y ~ x1", d).coef)


def test_stepwise_bad_arguments():
    d = _sim(10, n=80)
    with pytest.raises(ValueError, match="p_enter < p_remove"):
        stepwise_logit(d, "y", ["x1", "x2"], p_enter=0.1, p_remove=0.05)
    with pytest.raises(ValueError, match="method must be one of"):
        stepwise_logit(d, "y", ["x1"], method="forward")
    with pytest.raises(KeyError, match="nope"):
        stepwise_logit(d, "y", ["x1", "nope"])
    with pytest.raises(ValueError, match="also a candidate"):
        stepwise_logit(d, "y", ["x1", "y"])
    r = stepwise_logit(d, "y", ["x1", "x2", "g"], max_steps=1)
    assert len(r.steps) == 2 and r.stop_reason == "max_steps reached"


def test_separation_in_a_factor_level_is_named():
    d = _sim(11, n=90)
    d.loc[d.g == "c", "y"] = 1.0
    with pytest.warns(SeparationWarning, match="every case at level 'c' of g has outcome 1"):
        logit("y ~ x1 + g", d)
    # the reference level: R stays silent here (probabilities near 1e-12, not below 2e-15)
    d = _sim(12, n=90)
    d.loc[d.g == "a", "y"] = 0.0
    with pytest.warns(SeparationWarning, match="every case at the reference level of g has outcome 0"):
        logit("y ~ x1 + g", d)


def test_separation_by_a_combination_is_found():
    rng = np.random.default_rng(13)
    x1, x2 = rng.normal(size=80), rng.normal(size=80)
    d = pd.DataFrame({"y": (x1 + x2 > 0).astype(float), "x1": x1, "x2": x2})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logit("y ~ x1 + x2", d)
    texts = [str(w.message) for w in caught]
    assert "glm.fit: fitted probabilities numerically 0 or 1 occurred" in texts
    assert any("a combination of predictors separates the outcome: (Intercept), x1, x2" in t
               for t in texts)


def test_no_separation_warning_on_ordinary_data():
    fx = load_fixture(pl.GLM)
    for cs in fx.input["cases"]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            logit(cs["formula"], pl.case_frame(cs["data"], cs.get("factors")),
                  weights=None if cs.get("weights") is None else pl.as_float(cs["weights"]))
        assert not [w for w in caught if issubclass(w.category, SeparationWarning)], cs["label"]


def test_overlap_certificate_never_contradicts_the_linear_program():
    """The certificate that spares the separation checks on ordinary data only ever says
    "not separated" where Konis's linear program agrees (overlapping, nearly separated,
    quasi- and completely separated draws)."""
    rng = np.random.default_rng(21)
    held = 0
    for i in range(60):
        n = int(rng.integers(15, 80))
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        noise = [0.0, 0.05, 0.3, 1.0, 3.0][i % 5]
        y = ((x1 + 0.5 * x2 + noise * rng.logistic(size=n)) > 0).astype(float)
        if i % 7 == 0:
            x1 = np.round(x1)  # ties: quasi-complete separation becomes possible
        d = pd.DataFrame({"y": y, "x1": x1, "x2": x2})
        if y.min() == y.max():
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = logit("y ~ x1 + x2", d, maxiter=50)
        w = np.ones(n)
        if _overlap_certificate(m.X.to_numpy(), m.y, w, m.fitted):
            held += 1
            assert _lp_separation(m.X, m.y, w) is None, i
    assert held >= 10  # it does hold on the overlapping draws


# --------------------------------------------------------------------------- the design's direct path

FORMULA_COLUMNS = ("x1", "x2", "b", "t", "s", "c", "o")


def _formula_frame(seed: int, missing: bool, n: int = 40) -> pd.DataFrame:
    """Every kind of column the direct path codes: float, int, bool, text (object and pandas
    str), a Categorical with an unused level and an ordered one; optionally with NA."""
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "y": rng.integers(0, 2, n).astype(float),
        "x1": rng.normal(size=n), "x2": rng.integers(0, 5, n), "b": rng.uniform(size=n) < 0.5,
        "t": rng.choice(["b", "a", "c:d"], n).astype(object),
        "s": pd.array(rng.choice(["q", "p", "r"], n), dtype="str"),
        "c": pd.Categorical(rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi", "zz"]),
        "o": pd.Categorical(rng.choice(["u", "v"], n), categories=["v", "u"], ordered=True),
    })
    d.index = rng.permutation(np.arange(100, 100 + n))
    if missing:
        for col in ("y", "x1", "t", "c", "s"):
            d.loc[d.index[rng.integers(0, n, 3)], col] = None if col == "t" else np.nan
    return d


def _design_both_ways(formula: str, data: pd.DataFrame) -> list[tuple]:
    """(design, error, warnings) from the direct path and from patsy's."""
    out = []
    for direct in (True, False):
        with warnings.catch_warnings(record=True) as caught, \
                mock.patch.object(formula_module, "_simple_terms",
                                  formula_module._simple_terms if direct else (lambda rhs, d: None)):
            warnings.simplefilter("always")
            try:
                d, err = formula_module.build_design(formula, data, caller="t"), None
            except (ValueError, KeyError) as exc:
                d, err = None, (type(exc), str(exc))
        out.append((d, err, [(w.category, str(w.message)) for w in caught]))
    return out


def _assert_same_design(formula: str, data: pd.DataFrame, *, direct: bool) -> None:
    (a, ea, wa), (b, eb, wb) = _design_both_ways(formula, data)
    assert ea == eb and wa == wb, formula
    if a is None:
        return
    assert (a.info is None) == direct, formula  # the direct path was (or was not) taken
    pd.testing.assert_frame_equal(a.X, b.X, check_exact=True)
    pd.testing.assert_series_equal(a.y, b.y, check_exact=True)
    assert list(a.term_columns.items()) == list(b.term_columns.items())
    assert a.factor_columns == b.factor_columns and a.n_dropped == b.n_dropped
    pd.testing.assert_index_equal(a.dropped_index, b.dropped_index)
    pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
    new = b.data.iloc[:5]
    pd.testing.assert_frame_equal(a.transform(new), b.transform(new), check_exact=True)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.lists(st.sampled_from(FORMULA_COLUMNS), unique=True, max_size=4),
       st.booleans(), st.booleans())
def test_direct_design_is_patsys(seed, cols, missing, extra_one):
    """Identical matrix, names, response, rows, warnings and errors, whichever path builds it."""
    rhs = " + ".join(cols) or "1"
    if extra_one and cols:
        rhs += " + 1"
    _assert_same_design(f"y ~ {rhs}", _formula_frame(seed, missing), direct=True)


def test_direct_design_hands_the_rest_to_patsy():
    d = _formula_frame(5, missing=True)
    # errors come from patsy's path, with its texts
    _assert_same_design("y ~ x1 + t", d.assign(t="a"), direct=False)  # a single level
    _assert_same_design("y ~ x1", d.assign(x1=np.nan), direct=False)  # no complete case
    # what the direct path does not read: left to patsy, same answer either way
    mixed = pd.Series(["a", 1, "b", "a"] * 10, index=d.index, dtype=object)
    _assert_same_design("y ~ x1 + m", d.assign(m=mixed), direct=False)
    _assert_same_design("y ~ x1 + np.log(x2 + 1)", d, direct=False)
    _assert_same_design("y ~ x1 * t", d, direct=False)
    _assert_same_design("y ~ x1 + t - 1", d, direct=False)
    # text levels with ':' keep the names _r_name gives them
    _assert_same_design("y ~ t + x2", d, direct=True)


# --------------------------------------------------------------------------- infinite predictors


def test_infinite_predictor_is_an_error_naming_the_column_as_r():
    """R: glm(y ~ x1 + x2, binomial) with an Inf in x2 stops with "NA/NaN/Inf in 'x'"."""
    d = _sim(40, n=80)
    d.loc[[3, 11], "x2"] = [np.inf, -np.inf]
    with pytest.raises(ValueError, match=r"^logit: infinite values .* column\(s\) 'x2' \(2 rows\); "
                                         r"rows 3, 11\."):
        logit("y ~ x1 + x2 + g", d)
    # the patsy path names the design columns the Inf reaches
    with pytest.raises(ValueError, match=r"column\(s\) 'x2' \(2 rows\), 'x1:x2' \(2 rows\)"):
        logit("y ~ x1 * x2", d)
    # a transformation that makes an Inf (R: glm(y ~ log(x1 + 5)) stops the same way)
    d.loc[7, "x1"] = -5.0
    with np.errstate(divide="ignore"), \
            pytest.raises(ValueError, match=r"column\(s\) 'np.log\(x1 \+ 5\)' \(1 row\); row 7\."):
        logit("y ~ np.log(x1 + 5)", d)


def test_infinite_predictor_is_an_error_in_stepwise_logit():
    d = _sim(41, n=80)
    d.loc[5, "x1"] = np.inf
    with pytest.raises(ValueError, match=r"^stepwise_logit: infinite values .* 'x1' \(1 row\); row 5\."):
        stepwise_logit(d, "y", ["x1", "x2", "g"])
    with pytest.raises(ValueError, match=r"^score_tests: infinite values"):
        score_tests(d, "y", ["x2"], ["x1"])


def test_infinite_value_in_a_row_dropped_for_missingness_is_no_error():
    """As R: na.omit drops the row with the NA first, and the Inf goes with it."""
    d = _sim(42, n=80)
    d.loc[6, "x1"], d.loc[6, "x2"] = np.inf, np.nan
    with pytest.warns(UserWarning, match="1 observation deleted due to missingness"):
        m = logit("y ~ x1 + x2", d)
    ref = logit("y ~ x1 + x2", d.drop(index=6))
    assert m.nobs == 79
    np.testing.assert_array_equal(m.coef, ref.coef)


@pytest.mark.parametrize("formula", ["y ~ x1 + x2 + t", "y ~ t + x2 + x1 + c", "y ~ x1 + s + 1"])
def test_direct_design_and_patsy_give_the_same_infinite_value_error(formula):
    d = _formula_frame(7, missing=True).astype({"x2": float})
    d.loc[d.index[[2, 9]], "x1"] = np.inf
    d.loc[d.index[4], "x2"] = -np.inf
    (_, ea, _), (_, eb, _) = _design_both_ways(formula, d)
    assert ea is not None and ea == eb
    assert ea[0] is ValueError and "infinite values (Inf or -Inf)" in ea[1]
    _assert_same_design(formula, d, direct=True)
