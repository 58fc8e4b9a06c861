"""models.groups against frozen R (t.test, aov, TukeyHSD, pairwise.t.test, p.adjust), plus
invariances, identities between the tests, R's errors and the missing-value rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models._result import validate_glance, validate_tidy
from models.groups import P_ADJUST_METHODS, aov, p_adjust, pairwise_t_test, t_test, tukey_hsd
from replication.parity import groups as pg
from replication.rbridge.fixtures import load_fixture

GROUPS_TOL = pg.GROUPS_TOL
TUKEY_P_ABS_TOL = pg.TUKEY_P_ABS_TOL
TUKEY_CI_TOL = pg.TUKEY_CI_TOL
TUKEY_CI_DEFAULT_TOL = pg.TUKEY_CI_DEFAULT_TOL

IDENTITY_TOL = 1e-12
"""Algebraic identities computed two ways in double precision (F = t^2, shifts, swaps)."""
PTUKEY_K2_TOL = 1e-9
"""Tukey with two groups is the pooled t-test (q = sqrt(2) |t|): scipy's studentized range
against its t distribution, both numerical (the integral is good to about 1e-10)."""

# --------------------------------------------------------------------------- frozen R


def test_t_test_matches_frozen_r():
    fx = load_fixture(pg.TTEST)
    py = pg.run_ttest_cases(fx.input)
    d = pg.compare_ttest(py, fx.result)
    assert d["method"] == 0, "R's method strings differ"
    for k, v in d.items():
        assert v <= GROUPS_TOL, f"t.test {k}: max relative difference {v:.2e}"
    # the pooled string has R's leading space, Welch its name
    methods = [p["method"] for p in py]
    assert " Two Sample t-test" in methods and "Welch Two Sample t-test" in methods
    assert "One Sample t-test" in methods and "Paired t-test" in methods


def test_aov_and_tukey_match_frozen_r():
    fx = load_fixture(pg.ANOVA)
    d = pg.compare_anova(pg.run_anova_cases(fx.input), fx.result)
    assert d["contrast"] == 0
    assert d["aov"] <= GROUPS_TOL
    assert d["tukey_diff"] <= GROUPS_TOL
    assert d["tukey_p_abs"] <= TUKEY_P_ABS_TOL
    assert d["tukey_ci_tight"] <= TUKEY_CI_TOL
    assert d["tukey_ci_default"] <= TUKEY_CI_DEFAULT_TOL


def test_tukey_unbalanced_is_tukey_kramer():
    """The unbalanced case (sizes 5, 8, 12, 7): contrast names and R's order."""
    fx = load_fixture(pg.ANOVA)
    case, r = fx.input["cases"][1], fx.result[1]
    res = tukey_hsd(pg.as_float(case["values"]), pd.Categorical(case["groups"], categories=case["levels"]))
    assert list(res.contrast) == ["g2-g1", "g3-g1", "g4-g1", "g3-g2", "g4-g2", "g4-g3"] == list(r["contrast"])
    np.testing.assert_allclose(res.p_adj, r["p_adj"], rtol=0, atol=TUKEY_P_ABS_TOL)
    # Tukey-Kramer: the SE of each difference uses its own two group sizes
    n = np.array([5, 8, 12, 7])
    se = np.sqrt(res.mse * (1 / n[[1, 2, 3, 2, 3, 3]] + 1 / n[[0, 0, 0, 1, 1, 2]]))
    np.testing.assert_allclose(res.std_error, se, rtol=IDENTITY_TOL)


def test_pairwise_t_test_matches_frozen_r():
    fx = load_fixture(pg.PAIRWISE)
    d = pg.compare_pairwise(pg.run_pairwise_cases(fx.input), fx.result)
    assert d["labels"] == 0 and d["method"] == 0
    assert d["p_value"] <= GROUPS_TOL


def test_p_adjust_matches_frozen_r():
    fx = load_fixture(pg.PADJUST)
    assert pg.compare_padjust(pg.run_padjust_cases(fx.input), fx.result) <= GROUPS_TOL


# --------------------------------------------------------------------------- schema


def test_every_result_has_valid_tidy_and_glance():
    rng = np.random.default_rng(1)
    v = rng.normal(size=30)
    g = np.repeat(["a", "b", "c"], 10)
    for res in (t_test(v[:10], v[10:]), aov(v, g), tukey_hsd(v, g), pairwise_t_test(v, g)):
        validate_tidy(res.tidy())
        validate_glance(res.glance())
    t = tukey_hsd(v, g).tidy()
    assert {"contrast", "adj_p_value", "null_value"} <= set(t.columns)
    assert list(t["term"]) == ["group"] * 3
    a = aov(v, pd.Series(g, name="tertile")).tidy()
    assert list(a["term"]) == ["tertile", "Residuals"]
    assert {"df", "sum_sq", "mean_sq"} <= set(a.columns)
    p = pairwise_t_test(v, g, p_adjust="bonferroni").tidy()
    assert list(p["term"]) == ["b-a", "c-a", "c-b"]
    assert list(p["group1"]) == ["b", "c", "c"] and list(p["group2"]) == ["a", "a", "b"]


# --------------------------------------------------------------------------- identities and properties


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def _spread(xs: list[float]) -> bool:
    return np.ptp(xs) > 1e-3 * (1 + np.max(np.abs(xs)))


@settings(max_examples=40, deadline=None)
@given(st.lists(finite, min_size=3, max_size=25).filter(_spread),
       st.lists(finite, min_size=3, max_size=25).filter(_spread),
       st.floats(-50, 50), st.floats(0.1, 10), st.booleans())
def test_t_test_invariances(x, y, shift, scale, var_equal):
    base = t_test(x, y, var_equal=var_equal)
    swapped = t_test(y, x, var_equal=var_equal)
    assert swapped.statistic == pytest.approx(-base.statistic, rel=IDENTITY_TOL, abs=1e-12)
    assert swapped.p_value == pytest.approx(base.p_value, rel=IDENTITY_TOL, abs=1e-15)
    moved = t_test(np.add(x, shift) * scale, np.add(y, shift) * scale, var_equal=var_equal)
    assert moved.statistic == pytest.approx(base.statistic, rel=1e-8, abs=1e-8)
    assert moved.parameter == pytest.approx(base.parameter, rel=1e-8)


@settings(max_examples=20, deadline=None)
@given(st.lists(finite, min_size=3, max_size=20).filter(_spread),
       st.lists(finite, min_size=3, max_size=20).filter(_spread))
def test_two_groups_f_is_t_squared_and_tukey_is_pooled_t(x, y):
    v = np.concatenate([x, y])
    g = ["a"] * len(x) + ["b"] * len(y)
    t = t_test(y, x, var_equal=True)
    a = aov(v, g)
    assert a.statistic == pytest.approx(t.statistic**2, rel=1e-9, abs=1e-12)
    assert a.p_value == pytest.approx(t.p_value, rel=1e-9, abs=1e-14)
    tk = tukey_hsd(v, g)
    assert tk.diff[0] == pytest.approx(np.mean(y) - np.mean(x), rel=1e-12, abs=1e-12)
    assert tk.p_adj[0] == pytest.approx(t.p_value, abs=PTUKEY_K2_TOL)
    assert tk.lwr[0] == pytest.approx(t.conf_int[0], rel=1e-7, abs=1e-9)
    pw = pairwise_t_test(v, g, p_adjust="none")
    assert pw.p_value.iloc[0, 0] == pytest.approx(t.p_value, rel=1e-9, abs=1e-15)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5))
def test_aov_and_tukey_ignore_row_order(seed, k):
    rng = np.random.default_rng(seed)
    n = rng.integers(2, 9, size=k)
    g = np.repeat([f"L{i}" for i in range(k)], n)
    v = rng.normal(size=len(g)) + (g == "L1")
    perm = rng.permutation(len(g))
    a1, a2 = aov(v, g), aov(v[perm], g[perm])
    np.testing.assert_allclose(a1.table.to_numpy(), a2.table.to_numpy(), rtol=1e-10, atol=1e-12)
    t1, t2 = tukey_hsd(v, g), tukey_hsd(v[perm], g[perm])
    assert t1.contrast == t2.contrast
    np.testing.assert_allclose(t1.p_adj, t2.p_adj, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=30))
def test_p_adjust_orderings(p):
    p = np.array(p)
    adj = {m: p_adjust(p, m) for m in P_ADJUST_METHODS}
    eps = 1e-12
    for m, a in adj.items():
        assert ((a >= 0) & (a <= 1)).all(), m
        assert (a >= p - eps).all(), m
    assert (adj["hommel"] <= adj["hochberg"] + eps).all()
    assert (adj["hochberg"] <= adj["holm"] + eps).all()
    assert (adj["holm"] <= adj["bonferroni"] + eps).all()
    assert (adj["BH"] <= adj["BY"] + eps).all()
    np.testing.assert_array_equal(adj["fdr"], adj["BH"])
    perm = np.random.default_rng(len(p)).permutation(len(p))
    for m in P_ADJUST_METHODS:
        np.testing.assert_allclose(p_adjust(p[perm], m), adj[m][perm], rtol=1e-14, atol=0)


# --------------------------------------------------------------------------- R's rules for bad input


def test_t_test_errors_as_r():
    with pytest.raises(ValueError, match="data are essentially constant"):
        t_test([3.0, 3.0, 3.0], [3.0, 3.0, 3.0])
    with pytest.raises(ValueError, match="data are essentially constant"):
        t_test([5.0, 5.0, 5.0, 5.0])
    with pytest.raises(ValueError, match="not enough 'x' observations"):
        t_test([1.0], [2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="not enough 'y' observations"):
        t_test([1.0, 2.0], [np.nan, 3.0])
    with pytest.raises(ValueError, match="alternative"):
        t_test([1.0, 2.0], [3.0, 4.0], alternative="two-sided")
    with pytest.raises(ValueError, match="conf_level"):
        t_test([1.0, 2.0], [3.0, 4.0], conf_level=95)
    # a pooled test allows a single value in one group, as R does
    r = t_test([1.0], [2.0, 3.0, 4.5], var_equal=True)
    assert r.parameter == 2 and np.isfinite(r.p_value)


def test_missing_values_dropped_and_counted():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=12), rng.normal(size=15)
    xn, yn = x.copy(), y.copy()
    xn[[2, 5]] = np.nan
    yn[0] = np.nan
    r = t_test(xn, yn)
    assert r.n_missing == (2, 1) and r.nobs == (10, 14)
    assert r.glance()["n_missing"].iloc[0] == 3
    ref = t_test(x[~np.isnan(xn)], y[1:])
    assert r.statistic == ref.statistic and r.p_value == ref.p_value
    v = np.concatenate([x, y])
    g = np.array(["a"] * 12 + ["b"] * 15, dtype=object)
    vn, gn = v.copy(), g.copy()
    vn[3] = np.nan
    gn[20] = None
    a = aov(vn, gn)
    assert a.n_missing == 2
    keep = np.ones(len(v), bool)
    keep[[3, 20]] = False
    assert a.statistic == pytest.approx(aov(v[keep], g[keep]).statistic, rel=1e-14)


def test_group_errors():
    with pytest.raises(ValueError, match="at least 2 groups"):
        aov([1.0, 2.0, 3.0], ["a", "a", "a"])
    with pytest.raises(ValueError, match="at least 2 groups"):
        tukey_hsd([1.0, 2.0, np.nan], ["a", "a", "b"])
    with pytest.raises(ValueError, match="no residual degrees of freedom"):
        aov([1.0, 2.0], ["a", "b"])
    with pytest.raises(ValueError, match=r"\['c'\] have fewer than 2 values"):
        pairwise_t_test([1.0, 2.0, 3.0, 4.0, 5.0], ["a", "a", "b", "b", "c"])
    with pytest.raises(ValueError, match="p_adjust must be one of"):
        pairwise_t_test([1.0, 2.0, 3.0, 4.0], ["a", "a", "b", "b"], p_adjust="sidak")
    with pytest.raises(ValueError, match="4 elements but groups has 3"):
        aov([1.0, 2.0, 3.0, 4.0], ["a", "b", "b"])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        p_adjust([0.2, 1.5], "holm")


def test_unused_levels_dropped_and_level_order_kept():
    v = np.array([1.0, 2.0, 3.0, 4.0, 6.0, 7.0])
    g = pd.Categorical(["z", "z", "a", "a", "m", "m"], categories=["z", "m", "a", "q"])
    t = tukey_hsd(v, g)
    assert t.contrast == ("m-z", "a-z", "a-m")
    a = aov(v, g)
    assert a.table["df"].iloc[0] == 2 and a.levels == ("z", "m", "a")
