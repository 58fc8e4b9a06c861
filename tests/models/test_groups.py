"""models.groups against frozen R (t.test, aov, TukeyHSD, pairwise.t.test, p.adjust), plus
invariances, identities between the tests, R's errors and the missing-value rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models._result import validate_glance, validate_tidy
from models.groups import (
    P_ADJUST_METHODS,
    aov,
    p_adjust,
    pairwise_t_test,
    ptukey,
    qtukey,
    t_test,
    tukey_hsd,
)
from replication.parity import groups as pg
from replication.rbridge.fixtures import load_fixture

GROUPS_TOL = pg.GROUPS_TOL
TUKEY_P_ABS_TOL = pg.TUKEY_P_ABS_TOL
TUKEY_CI_TOL = pg.TUKEY_CI_TOL
TUKEY_CI_DEFAULT_TOL = pg.TUKEY_CI_DEFAULT_TOL

IDENTITY_TOL = 1e-12
"""Algebraic identities computed two ways in double precision (F = t^2, shifts, swaps)."""
PTUKEY_R_TOL = 2e-11
"""ptukey (and so TukeyHSD's adjusted p) against R's, absolute: the same quadrature, nodes,
cut-offs and stopping rule; what differs is rounding. R sums in long double and its
lgammafn is not scipy's gammaln: at thousands of df the leading constant is a difference of
terms near 3e4, which moves the weights by about 1e-12 relative (3.6e-12 observed at
8000 df; below 1e-14 up to 1000 df)."""
QTUKEY_R_TOL = 1e-10
"""qtukey against R's, relative: R's own secant search from R's own start, stopped by R's
rule, on a ptukey that differs from R's only by the rounding above (1.1e-14 observed)."""
PTUKEY_GRID = "groups_ptukey"


def ptukey_k2_tol(df: float) -> float:
    """How far R's ptukey misses the exact two-group identity ptukey(sqrt(2) |t|, 2, df,
    upper) = 2 pt(-|t|, df): its fixed quadrature is coarse at small (even) df. Measured on
    R's algorithm over q in (0, 12] (R 4.2.2): 1.6e-4 at 2 df, 2.1e-6 at 4, 5.7e-8 at 6,
    3.0e-9 at 8, 2.9e-10 at 10, 1.3e-10 at 100 and 500; bounds with a margin of 1.5 or more."""
    if df < 4:
        return 3e-4
    if df < 6:
        return 4e-6
    if df < 8:
        return 1e-7
    if df < 10:
        return 5e-9
    return 5e-10


def ptukey_k2_limit_tol(df: float) -> float:
    """The same error in the 95% interval's half-width, relative: the exact quantile of R's ptukey
    against sqrt(2) qt(0.975, df). Measured: 8.6e-4 at 2 df, 4.3e-6 at 4, 8.3e-8 at 6,
    3.2e-9 at 8, 2.1e-10 at 10, 5.7e-10 at 500; bounds with a margin of 2 or more."""
    if df < 4:
        return 2e-3
    if df < 6:
        return 1e-5
    if df < 8:
        return 2e-7
    if df < 10:
        return 1e-8
    return 2e-9


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


def _grid_groups(inp: dict) -> dict[tuple[float, float, float], np.ndarray]:
    """Row positions of the ptukey grid by (nmeans, df, nranges): one vectorised call each."""
    keys = list(zip(inp["nmeans"], inp["df"], inp["nranges"], strict=True))
    out: dict[tuple[float, float, float], list[int]] = {}
    for i, k in enumerate(keys):
        out.setdefault(k, []).append(i)
    return {k: np.array(v) for k, v in out.items()}


def test_ptukey_and_qtukey_match_frozen_r():
    """R's algorithm on a grid over every branch (interval lengths at 100, 800, 5000 df; the
    range distribution beyond 25000 df), both tails, nranges 1 and 2."""
    fx = load_fixture(PTUKEY_GRID)
    inp, r = fx.input["p"], fx.result
    q = np.asarray(inp["q"], dtype=float)
    lower, upper = np.full(len(q), np.nan), np.full(len(q), np.nan)
    for (k, df, rr), rows in _grid_groups(inp).items():
        lower[rows] = ptukey(q[rows], k, df, nranges=rr)
        upper[rows] = ptukey(q[rows], k, df, nranges=rr, lower_tail=False)
    np.testing.assert_allclose(lower, r["lower"], rtol=0, atol=PTUKEY_R_TOL)
    np.testing.assert_allclose(upper, r["upper"], rtol=0, atol=PTUKEY_R_TOL)
    qt = fx.input["qt"]
    ours = [qtukey(p, k, df) for p, k, df in zip(qt["p"], qt["nmeans"], qt["df"], strict=True)]
    np.testing.assert_allclose(ours, r["qtukey"], rtol=QTUKEY_R_TOL, atol=0)
    ours = [qtukey(p, k, df, lower_tail=False)
            for p, k, df in zip(qt["p"], qt["nmeans"], qt["df"], strict=True)]
    np.testing.assert_allclose(ours, r["qtukey_upper"], rtol=QTUKEY_R_TOL, atol=0)


def test_tukey_at_small_df_is_r():
    """2 to 5 residual df, where R's ptukey is coarse: our adjusted p are R's, errors and all;
    the limits use the exact quantile of that ptukey, where R's qtukey stops early."""
    fx = load_fixture(PTUKEY_GRID)
    for cs, r in zip(fx.input["tukey"], fx.result["tukey"], strict=True):
        res = tukey_hsd(pg.as_float(cs["values"]), pd.Categorical(cs["groups"], categories=cs["levels"]),
                        conf_level=cs["conf_level"])
        assert res.df_residual == float(r["df"][0]) < 6
        assert list(res.contrast) == list(r["contrast"])
        np.testing.assert_allclose(res.p_adj, r["p_adj"], rtol=0, atol=PTUKEY_R_TOL)
        half = (res.upr - res.lwr) / 2
        assert np.max(np.abs(res.lwr - r["lwr"]) / half) <= TUKEY_CI_DEFAULT_TOL
        assert np.max(np.abs(res.upr - r["upr"]) / half) <= TUKEY_CI_DEFAULT_TOL


def test_ptukey_qtukey_edges_as_r():
    # R answers q <= 0 before it looks at the parameters; q = Inf is 1; NaN stays NaN
    np.testing.assert_array_equal(ptukey([-1.0, 0.0, np.inf], 3, 10), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(ptukey([-1.0, 0.0, np.inf], 3, 10, lower_tail=False), [1.0, 1.0, 0.0])
    assert np.isnan(ptukey(np.nan, 3, 10))
    assert ptukey(0.0, 3, 1) == 0.0
    with pytest.warns(RuntimeWarning, match="NaNs produced"):
        assert np.isnan(ptukey(2.0, 3, 1.5))  # df < 2, as R
    with pytest.warns(RuntimeWarning, match="NaNs produced"):
        assert np.isnan(ptukey(2.0, 1, 10))   # nmeans < 2
    assert qtukey(0.0, 3, 10) == 0.0 and qtukey(1.0, 3, 10) == np.inf
    assert qtukey(0.0, 3, 10, lower_tail=False) == np.inf
    with pytest.warns(RuntimeWarning, match="NaNs produced"):
        assert np.isnan(qtukey(1.5, 3, 10))
    with pytest.warns(RuntimeWarning, match="NaNs produced"):
        assert np.isnan(qtukey(0.95, 3, 1))
    # a scalar gives a float, an array an array of its shape
    assert isinstance(ptukey(3.0, 3, 10), float) and isinstance(qtukey(0.9, 3, 10), float)
    assert ptukey(np.full((2, 3), 3.0), 3, 10).shape == (2, 3)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.01, 30), st.integers(2, 12), st.floats(2, 3000), st.integers(1, 3))
def test_ptukey_tails_and_vectorisation(q, k, df, rr):
    """The upper tail is R's 0.5 - lower + 0.5; a vector gives each scalar's value."""
    lo = ptukey(q, k, df, nranges=rr)
    up = ptukey(q, k, df, nranges=rr, lower_tail=False)
    assert 0.0 <= lo <= 1.0 and up == (0.5 - lo) + 0.5
    v = ptukey(np.array([q / 2, q, 2 * q]), k, df, nranges=rr)
    assert v[1] == pytest.approx(lo, abs=1e-15)
    assert v[0] <= v[1] + 1e-12 and v[1] <= v[2] + 1e-12


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
    # the identity holds up to R's quadrature error, which ours reproduces on purpose
    assert tk.p_adj[0] == pytest.approx(t.p_value, abs=ptukey_k2_tol(t.parameter))
    # the interval: the same centre, and half-widths equal up to the quantile's error
    assert (tk.lwr[0] + tk.upr[0]) / 2 == pytest.approx(tk.diff[0], rel=1e-12, abs=1e-12)
    assert (tk.upr[0] - tk.lwr[0]) / 2 == pytest.approx((t.conf_int[1] - t.conf_int[0]) / 2,
                                                        rel=ptukey_k2_limit_tol(t.parameter))
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


# --------------------------------------------------------------------------- planted effects

PLANTED_Z = 6.0
"""A planted mean difference lies within 6 true standard errors of the estimate (the
difference of means is normal: a false failure has probability about 2e-9 per draw)."""
SHIFT_TOL = 1e-9
"""Statistics before and after adding a constant (|c| <= 1e3) to every value: the means move
by c with rounding of about 1e-13 absolute, tiny against standard errors of 0.1 or more."""


def _planted(seed: int, sizes: list[int], means: list[float], sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Values and labels "g0", "g1", ... of groups drawn from N(means[i], sd)."""
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.normal(m, sd, size=n) for n, m in zip(sizes, means, strict=True)])
    labels = np.repeat([f"g{i}" for i in range(len(sizes))], sizes)
    return values, labels


planted_two = dict(seed=st.integers(0, 10_000), n1=st.integers(2, 40), n2=st.integers(2, 40),
                   base=st.floats(-100, 100), delta=st.floats(-20, 20), sd=st.floats(0.5, 10))


@settings(max_examples=40, deadline=None)
@given(**planted_two, var_equal=st.booleans())
def test_t_test_estimate_is_the_difference_of_sample_means(seed, n1, n2, base, delta, sd, var_equal):
    v, g = _planted(seed, [n1, n2], [base, base + delta], sd)
    x, y = v[g == "g1"], v[g == "g0"]
    t = t_test(x, y, var_equal=var_equal)
    tidy = t.tidy()
    assert t.estimate == (np.mean(x), np.mean(y))
    assert tidy["estimate"].iloc[0] == np.mean(x) - np.mean(y)
    assert tidy["conf_low"].iloc[0] < tidy["estimate"].iloc[0] < tidy["conf_high"].iloc[0]
    assert t.statistic == pytest.approx((np.mean(x) - np.mean(y)) / t.stderr, rel=1e-14)
    # the estimate minus the planted delta is N(0, sd^2 (1/n1 + 1/n2)) exactly
    assert abs(tidy["estimate"].iloc[0] - delta) < PLANTED_Z * sd * np.sqrt(1 / n1 + 1 / n2)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n1=st.integers(30, 80), n2=st.integers(30, 80),
       base=st.floats(-100, 100), effect=st.floats(5, 20), sign=st.sampled_from([-1, 1]),
       sd=st.floats(0.5, 10), var_equal=st.booleans())
def test_large_planted_difference_is_found(seed, n1, n2, base, effect, sign, sd, var_equal):
    """A difference of 5 to 20 SD with 30+ per group: t is near 19 or more, p far below 1e-6."""
    v, g = _planted(seed, [n1, n2], [base, base + sign * effect * sd], sd)
    t = t_test(v[g == "g1"], v[g == "g0"], var_equal=var_equal)
    assert t.p_value < 1e-6
    assert np.sign(t.statistic) == sign
    a = aov(v, g)
    assert a.p_value < 1e-6
    assert tukey_hsd(v, g).p_adj[0] < 1e-6


@settings(max_examples=30, deadline=None)
@given(**planted_two)
def test_planted_aov_f_is_pooled_t_squared(seed, n1, n2, base, delta, sd):
    v, g = _planted(seed, [n1, n2], [base, base + delta], sd)
    t = t_test(v[g == "g1"], v[g == "g0"], var_equal=True)
    a = aov(v, g)
    assert a.statistic == pytest.approx(t.statistic**2, rel=1e-9)
    assert a.p_value == pytest.approx(t.p_value, rel=1e-9, abs=1e-14)
    assert a.table["df"].iloc[1] == t.parameter == n1 + n2 - 2


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), sizes=st.lists(st.integers(2, 25), min_size=2, max_size=6),
       spacing=st.floats(-10, 10), sd=st.floats(0.5, 10))
def test_tukey_estimates_are_the_pairwise_mean_differences(seed, sizes, spacing, sd):
    k = len(sizes)
    v, g = _planted(seed, sizes, [spacing * i for i in range(k)], sd)
    tk = tukey_hsd(v, g)
    means = [np.mean(v[g == f"g{i}"]) for i in range(k)]
    pairs = [(i, j) for j in range(k) for i in range(j + 1, k)]  # R's order: g1-g0, g2-g0, ...
    assert tk.contrast == tuple(f"g{i}-g{j}" for i, j in pairs)
    np.testing.assert_array_equal(tk.diff, [means[i] - means[j] for i, j in pairs])
    np.testing.assert_array_equal(tk.tidy()["estimate"], tk.diff)
    assert ((tk.lwr < tk.diff) & (tk.diff < tk.upr)).all()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), sizes=st.lists(st.integers(3, 25), min_size=2, max_size=5),
       spacing=st.floats(-10, 10), sd=st.floats(0.5, 10), shift=st.floats(-1e3, 1e3))
def test_shifting_every_value_leaves_the_statistics_unchanged(seed, sizes, spacing, sd, shift):
    v, g = _planted(seed, sizes, [spacing * i for i in range(len(sizes))], sd)
    w = v + shift
    for var_equal in (False, True):
        t0 = t_test(v[g == "g1"], v[g == "g0"], var_equal=var_equal)
        t1 = t_test(w[g == "g1"], w[g == "g0"], var_equal=var_equal)
        assert t1.statistic == pytest.approx(t0.statistic, rel=SHIFT_TOL, abs=SHIFT_TOL)
        assert t1.parameter == pytest.approx(t0.parameter, rel=SHIFT_TOL)
        assert t1.p_value == pytest.approx(t0.p_value, rel=1e-6, abs=1e-15)
        assert t1.tidy()["estimate"].iloc[0] == pytest.approx(t0.tidy()["estimate"].iloc[0],
                                                             rel=SHIFT_TOL, abs=SHIFT_TOL)
    a0, a1 = aov(v, g), aov(w, g)
    np.testing.assert_allclose(a1.table[["df", "sum_sq", "mean_sq", "statistic"]],
                               a0.table[["df", "sum_sq", "mean_sq", "statistic"]], rtol=SHIFT_TOL)
    k0, k1 = tukey_hsd(v, g), tukey_hsd(w, g)
    np.testing.assert_allclose(k1.diff, k0.diff, rtol=SHIFT_TOL, atol=SHIFT_TOL)
    np.testing.assert_allclose(k1.q, k0.q, rtol=SHIFT_TOL, atol=SHIFT_TOL)
    np.testing.assert_allclose(k1.p_adj, k0.p_adj, rtol=1e-6, atol=1e-12)


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
