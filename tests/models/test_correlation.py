"""models.correlation against frozen R (cor.test, prho, pkendall), properties, bad input."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import correlation
from models._result import validate_glance, validate_tidy
from models.correlation import (
    TIES_WARNING,
    cor_matrix,
    cor_test,
    pkendall,
    prho,
)
from replication.parity.correlation import (
    EXACT_ARG,
    cortest_mismatches,
    cortest_p_diffs,
    run_cortest_cases,
)
from replication.rbridge.fixtures import load_fixture

# Tolerances (METHODS.md section 3) and why.
RHO_TOL = 1e-12        # estimates: R's cor() arithmetic is reproduced; observed differences are 0
STAT_TOL = 1e-10       # S, t, z: t = r sqrt(df) / sqrt(1 - r^2) amplifies r's last bit near |r| = 1
P_TOL = 1e-10          # p-values; scipy's normal and t tails differ from R's by ~1e-13 relative
CI_TOL = 1e-10         # Fisher-z bounds: qnorm and tanh, scipy versus R's own
# (Exact Kendall for n >= 50: R's 1 - P can go a few 1e-14 below 0, ours stops at 0; the
# allowance KENDALL_BIG_N_P_ABS lives with the comparison in replication.parity.correlation.)
SYMMETRY_TOL = 1e-12   # mirrored tails of AS 89's series agree to rounding, not bit for bit


def _arr(v) -> np.ndarray:
    return np.array([np.nan if e is None else e for e in v], dtype=np.float64)


def _rel(a: float, b: float) -> float:
    if (math.isnan(a) and math.isnan(b)) or a == b:
        return 0.0
    if math.isnan(a) or math.isnan(b):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


@functools.cache
def _cortest_runs():
    """cor_test on every frozen case, once: (input, R's table, our table)."""
    fx = load_fixture("correlation_cortest")
    return fx.input, fx.result, run_cortest_cases(fx.input["datasets"], fx.input["cases"])


def _case_id(inp, i):
    cs = inp["cases"]
    return (f"case {i}: {cs['data'][i]} {cs['method'][i]} {cs['alternative'][i]} "
            f"exact={cs['exact'][i]} continuity={cs['continuity'][i]}")


def test_fixture_has_the_promised_coverage():
    inp, r, _ = _cortest_runs()
    cs = inp["cases"]
    assert len(cs["data"]) >= 200
    sizes = {len(inp["datasets"][d]["x"]) for d in cs["data"]}
    assert {3, 8, 9, 10, 20, 47, 87, 150, 1289, 1290, 2000} <= sizes
    assert set(cs["method"]) == {"spearman", "pearson", "kendall"}
    assert set(cs["alternative"]) == {"two.sided", "less", "greater"}
    assert set(cs["exact"]) == {"NULL", "TRUE", "FALSE"}
    assert set(cs["continuity"]) == {True, False}
    assert (r["warnings"] == TIES_WARNING).sum() > 50


@pytest.mark.parametrize("quantity,tol", [("estimate", RHO_TOL), ("statistic", STAT_TOL),
                                          ("parameter", 0.0), ("p_value", P_TOL),
                                          ("conf_low", CI_TOL), ("conf_high", CI_TOL)])
def test_cor_test_matches_frozen_r(quantity, tol):
    inp, r, py = _cortest_runs()
    if quantity == "p_value":
        diffs = cortest_p_diffs(py, r)
    else:
        diffs = np.array([_rel(float(a), float(b)) for a, b in zip(py[quantity], r[quantity], strict=True)])
    bad = [f"{_case_id(inp, i)}: ours {py[quantity].iloc[i]!r} R {r[quantity].iloc[i]!r} (rel {diffs[i]:.2e})"
           for i in np.flatnonzero(diffs > tol)]
    assert not bad, f"{len(bad)} cases off:\n" + "\n".join(bad[:20])


def test_cor_test_errors_warnings_and_names_match_frozen_r():
    inp, r, py = _cortest_runs()
    assert (r["error"] != "").sum() >= 5 and (r["warnings"] != "").sum() >= 100
    bad = cortest_mismatches(py, r)
    assert not bad, "\n".join(bad[:20])


def test_exact_routes_are_rs():
    """Which p-value route each case took: R's rule (n <= 1290 for Spearman, n < 50 Kendall)."""
    inp, r, py = _cortest_runs()
    cs = inp["cases"]
    for i in range(len(py)):
        if py["error"].iloc[i] or math.isnan(py["estimate"].iloc[i]):
            continue
        n, ties = int(py["n"].iloc[i]), TIES_WARNING in r["warnings"].iloc[i]
        ex = EXACT_ARG[cs["exact"][i]]
        if cs["method"][i] == "spearman":
            want = (ex is not False) and not ties and n <= 1290
        elif cs["method"][i] == "kendall":
            want = (n < 50 if ex is None else ex) and py["statistic_name"].iloc[i] == "T"
        else:
            want = False
        assert bool(py["exact"].iloc[i]) == want, _case_id(inp, i)


def test_scipy_spearmanr_is_far_from_r_at_n87_and_ours_is_not():
    """scipy's p is the t approximation; R's is AS 89's series for n <= 1290."""
    inp, r, py = _cortest_runs()
    cs = inp["cases"]
    i = next(k for k in range(len(cs["data"]))
             if cs["data"][k] == "n87_moderate" and cs["method"][k] == "spearman"
             and cs["exact"][k] == "NULL" and cs["alternative"][k] == "two.sided")
    d = inp["datasets"]["n87_moderate"]
    r_p = float(r["p_value"].iloc[i])
    scipy_p = scipy.stats.spearmanr(d["x"], d["y"]).pvalue
    assert len(d["x"]) == 87
    assert _rel(scipy_p, r_p) > 0.2
    assert _rel(float(py["p_value"].iloc[i]), r_p) <= P_TOL
    assert bool(py["exact"].iloc[i])


# ----------------------------------------------------------------- R's distribution functions


@functools.cache
def _dist():
    return load_fixture("correlation_distributions")


def test_prho_enumeration_is_exactly_rs():
    """n <= 9: integer counts over n! permutations, the same doubles as R's C code."""
    fx = _dist()
    s, n, lower = (np.asarray(fx.input["prho"][k]) for k in ("s", "n", "lower"))
    sel = n <= 9
    ours = np.array([prho(a, int(b), bool(c))[0] for a, b, c in zip(s[sel], n[sel], lower[sel], strict=True)])
    np.testing.assert_array_equal(ours, fx.result["prho"][sel])


def test_prho_edgeworth_matches_r():
    fx = _dist()
    s, n, lower = (np.asarray(fx.input["prho"][k]) for k in ("s", "n", "lower"))
    sel = n > 9
    ours = np.array([prho(a, int(b), bool(c))[0] for a, b, c in zip(s[sel], n[sel], lower[sel], strict=True)])
    theirs = fx.result["prho"][sel]
    worst = max(_rel(a, b) for a, b in zip(ours, theirs, strict=True))
    assert worst <= P_TOL
    assert (theirs == 0).any() and (theirs == 1).any()  # the clipping is exercised


def test_prho_vectorised_equals_scalar():
    s = np.arange(0, 200, 2.0)
    lower = (np.arange(s.size) % 2).astype(bool)
    for n in (7, 12, 60):
        vec = prho(s, n, lower)
        one = np.array([prho(a, n, b)[0] for a, b in zip(s, lower, strict=True)])
        np.testing.assert_array_equal(vec, one)


def test_pkendall_matches_r():
    fx = _dist()
    q, n = (np.asarray(fx.input["pkendall"][k]) for k in ("q", "n"))
    ours = np.array([pkendall(a, int(b))[0] for a, b in zip(q, n, strict=True)])
    theirs = fx.result["pkendall"]
    small = n < 50  # R's own sums and (n)! by sequential products: the same doubles
    np.testing.assert_array_equal(ours[small], theirs[small])
    assert max(_rel(a, b) for a, b in zip(ours[~small], theirs[~small], strict=True)) <= 1e-12


# ----------------------------------------------------------------- matrix

PROPS_MATRIX = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def _matrix_fixture():
    fx = load_fixture("correlation_matrix")
    df = pd.DataFrame({k: _arr(v) for k, v in fx.input["data"].items()})
    return df, fx.result


@pytest.mark.parametrize("use", ["pairwise.complete.obs", "complete.obs"])
@pytest.mark.parametrize("method", ["spearman", "pearson", "kendall"])
def test_cor_matrix_matches_frozen_r(method, use):
    df, r = _matrix_fixture()
    if use == "complete.obs":
        df = df.drop(columns=["i"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cm = cor_matrix(df, method=method, use=use)
    ref = r[(r["method"] == method) & (r["use"] == use)].reset_index(drop=True)
    lg = cm.long
    assert list(lg["var1"]) == list(ref["var1"]) and list(lg["var2"]) == list(ref["var2"])
    np.testing.assert_array_equal(lg["n"].to_numpy(), ref["n"].to_numpy())
    for col, tol in (("estimate", RHO_TOL), ("statistic", STAT_TOL), ("p_value", P_TOL)):
        worst = max(_rel(a, b) for a, b in zip(lg[col], ref[col], strict=True))
        assert worst <= tol, (col, worst)
    tied = ref.loc[ref["warnings"].str.contains(TIES_WARNING), ["var1", "var2"]]
    messages = [str(w.message) for w in caught]
    if len(tied):
        msg = next(m for m in messages if m.startswith(TIES_WARNING))
        for a, b in tied.itertuples(index=False):
            assert f"{a}:{b}" in msg
    else:
        assert not any(m.startswith(TIES_WARNING) for m in messages)
    if use == "pairwise.complete.obs" and method == "pearson":
        assert any(m.startswith("not enough finite observations") for m in messages)
    assert (cm.n.to_numpy() == cm.n.to_numpy().T).all()
    expected = df["a"].notna().sum() if use == "pairwise.complete.obs" else df.notna().all(axis=1).sum()
    assert cm.n.loc["a", "a"] == expected == cm.long["n"].max()


def test_cor_matrix_n_differs_by_pair_and_marks():
    df, _ = _matrix_fixture()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = cor_matrix(df)
    assert cm.long["n"].nunique() > 3
    est, p, marked = cm.estimate, cm.p_value, cm.marked()
    assert (np.diag(est) == 1).all() and np.isnan(np.diag(p)).all()
    for a in df.columns:
        for b in df.columns:
            if a == b:
                assert marked.loc[a, b] == "1"
                continue
            e, pv = est.loc[a, b], p.loc[a, b]
            if math.isnan(e):
                assert marked.loc[a, b] == ""
                continue
            stars = "**" if pv < 0.01 else "*" if pv < 0.05 else ""
            assert marked.loc[a, b] == f"{e:.3f}{stars}"
    assert marked.map(lambda s: s.endswith("**")).to_numpy().sum() >= 2
    assert cm.marked(leading_zero=False).loc["a", "b"].startswith(".")
    tidy = validate_tidy(cm.tidy())
    assert list(tidy["term"][:2]) == ["a:b", "a:c"]
    assert len(tidy) == len(df.columns) * (len(df.columns) - 1) // 2
    validate_glance(cm.glance())


def test_cor_matrix_equals_cor_test_pair_by_pair():
    df, _ = _matrix_fixture()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = cor_matrix(df.drop(columns=["i"]), exact=False, alternative="greater", continuity=True)
        for row in cm.long.itertuples():
            one = cor_test(df[row.var1], df[row.var2], exact=False, alternative="greater",
                           continuity=True)
            assert one.estimate == row.estimate
            assert one.p_value == row.p_value
            assert one.n == row.n


def test_cor_matrix_pair_by_pair_fallback_gives_the_same(monkeypatch):
    df, _ = _matrix_fixture()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = cor_matrix(df).long
        monkeypatch.setattr(correlation, "_PAIRWISE_RANK_CELLS", 0)
        slow = cor_matrix(df).long
    pd.testing.assert_frame_equal(fast, slow)


@PROPS_MATRIX
@given(st.integers(2, 30), st.integers(2, 5), st.integers(0, 2**32 - 1), st.booleans(),
       st.sampled_from(["two.sided", "less", "greater"]), st.sampled_from([None, False]))
def test_cor_matrix_equals_cor_test_on_random_tables(n, k, seed, tied, alternative, exact):
    rng = np.random.default_rng(seed)
    vals = rng.normal(size=(n, k))
    if tied:
        vals = np.round(vals)
    vals[rng.random(size=vals.shape) < 0.2] = np.nan
    df = pd.DataFrame(vals, columns=[f"v{j}" for j in range(k)])
    cm = _quiet(cor_matrix, df, alternative=alternative, exact=exact)
    for row in cm.long.itertuples():
        if row.n < 2:
            assert math.isnan(row.estimate) and math.isnan(row.p_value)
            continue
        one = _quiet(cor_test, df[row.var1], df[row.var2], alternative=alternative, exact=exact)
        assert one.n == row.n
        assert one.estimate == row.estimate or (math.isnan(one.estimate) and math.isnan(row.estimate))
        assert one.p_value == row.p_value or (math.isnan(one.p_value) and math.isnan(row.p_value))
        assert one.exact == row.exact


# ----------------------------------------------------------------- result tables


def test_tidy_and_glance_schema():
    x = pd.Series([1.0, 2.5, 3.1, 4.7, 5.2, 7.7, 6.1], name="spend")
    y = pd.Series([2.0, 1.0, 4.0, 3.0, 6.0, 7.0, 5.0], name="rating")
    for method in ("spearman", "pearson", "kendall"):
        res = cor_test(x, y, method=method)
        t = validate_tidy(res.tidy())
        assert t["term"].iloc[0] == "spend:rating"
        assert {"method", "alternative", "n"} <= set(t.columns)
        assert t["n"].iloc[0] == 7 and t["method"].iloc[0] == res.method
        assert math.isnan(t["std_error"].iloc[0])
        assert math.isnan(t["conf_low"].iloc[0]) == (method != "pearson")
        validate_glance(res.glance())
    assert cor_test(x.to_numpy(), y.to_numpy()).tidy()["term"].iloc[0] == "rho"
    assert cor_test(list(x), list(y), method="pearson").parameter == 5


# ----------------------------------------------------------------- bad input


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        cor_test([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="not enough finite observations"):
        cor_test([1.0, 2.0], [2.0, 1.0], method="pearson")
    with pytest.raises(ValueError, match="not enough finite observations"):
        cor_test([1.0, np.nan, 3.0], [2.0, 1.0, np.nan], method="pearson")
    with pytest.raises(ValueError, match="not enough finite observations"):
        cor_test([1.0], [2.0], method="spearman")
    with pytest.raises(TypeError, match="'x' must be a numeric vector"):
        cor_test(["a", "b", "c"], [1, 2, 3])
    with pytest.raises(TypeError, match="'y' must be a numeric vector"):
        cor_test([1, 2, 3], [True, False, True])
    with pytest.raises(TypeError, match="'x' must be a numeric vector"):
        cor_test(pd.Series(pd.Categorical(["a", "b", "a"])), [1, 2, 3])
    with pytest.raises(ValueError, match="'method'"):
        cor_test([1, 2, 3], [1, 2, 3], method="spearmann")
    with pytest.raises(ValueError, match="'alternative'"):
        cor_test([1, 2, 3], [1, 2, 3], alternative="two-sided")
    with pytest.raises(TypeError, match="'exact'"):
        cor_test([1, 2, 3], [1, 2, 3], exact="yes")
    with pytest.raises(ValueError, match="conf.level"):
        cor_test([1, 2, 3, 4], [1, 3, 2, 4], method="pearson", conf_level=1.5)
    with pytest.raises(ValueError, match="1-D"):
        cor_test(np.ones((3, 2)), [1, 2, 3])
    with pytest.raises(TypeError, match="column 'b'"):
        cor_matrix(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]}))
    with pytest.raises(ValueError, match="at least 2 columns"):
        cor_matrix(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))
    with pytest.raises(ValueError, match="'use'"):
        cor_matrix(pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, 3.0, 2.0]}), use="everything")


@pytest.mark.parametrize("method", ["spearman", "pearson", "kendall"])
def test_constant_vector_gives_nan_with_rs_warning(method):
    with pytest.warns(UserWarning, match="^the standard deviation is zero$"):
        res = cor_test([1.0, 2.0, 3.0, 4.0, 5.0], [2.0] * 5, method=method)
    assert math.isnan(res.estimate) and math.isnan(res.p_value) and math.isnan(res.statistic)


def test_ties_warn_with_rs_text_and_use_t_approximation():
    x, y = [1, 2, 2, 3, 4, 5, 6], [1, 3, 2, 4, 4, 6, 5]
    with pytest.warns(UserWarning, match=f"^{TIES_WARNING}$"):
        res = cor_test(x, y)
    assert not res.exact
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cor_test(x, y, exact=False).p_value == res.p_value


def test_missing_pairs_are_dropped_and_counted():
    x = [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, None]
    y = [2.0, 1.0, 3.0, np.nan, 6.0, 5.0, 7.0]
    res = cor_test(np.array(x, dtype=float), y)
    ref = cor_test([1.0, 2.0, 5.0, 6.0], [2.0, 1.0, 6.0, 5.0])
    assert res.n == 4 and res.estimate == ref.estimate and res.p_value == ref.p_value
    s = pd.Series([1, 2, None, 4, 5], dtype="Int64")
    assert cor_test(s, [1.0, 2.0, 3.0, 5.0, 4.0]).n == 4


# ----------------------------------------------------------------- properties

_distinct = st.lists(st.integers(-10_000, 10_000), min_size=3, max_size=60, unique=True)
PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def _pairs(draw, unique: bool = False):
    n = draw(st.integers(3, 60))
    vals = st.integers(-50, 50) if not unique else st.integers(-10_000, 10_000)
    x = draw(st.lists(vals, min_size=n, max_size=n, unique=unique))
    y = draw(st.lists(vals, min_size=n, max_size=n, unique=unique))
    return np.array(x, dtype=float), np.array(y, dtype=float)


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


@PROPS
@given(_pairs())
def test_rho_invariant_under_monotone_transforms(xy):
    x, y = xy
    a = _quiet(cor_test, x, y)
    b = _quiet(cor_test, np.exp(x / 20.0), y**3 + 7.0)
    assert a.estimate == b.estimate or (math.isnan(a.estimate) and math.isnan(b.estimate))
    assert a.p_value == b.p_value or (math.isnan(a.p_value) and math.isnan(b.p_value))


@PROPS
@given(_pairs(), st.sampled_from(["spearman", "pearson", "kendall"]),
       st.sampled_from(["two.sided", "less", "greater"]))
def test_symmetric_in_x_and_y(xy, method, alternative):
    x, y = xy
    a = _quiet(cor_test, x, y, method=method, alternative=alternative)
    b = _quiet(cor_test, y, x, method=method, alternative=alternative)
    assert _rel(a.estimate, b.estimate) <= RHO_TOL
    assert _rel(a.p_value, b.p_value) <= SYMMETRY_TOL


@PROPS
@given(_pairs(), st.sampled_from(["spearman", "kendall"]), st.sampled_from([None, False]))
def test_reversing_one_variable_flips_sign_and_tails(xy, method, exact):
    x, y = xy
    for alt, mirrored in (("less", "greater"), ("greater", "less"), ("two.sided", "two.sided")):
        a = _quiet(cor_test, x, y, method=method, alternative=alt, exact=exact)
        b = _quiet(cor_test, -x, y, method=method, alternative=mirrored, exact=exact)
        if math.isnan(a.estimate):
            assert math.isnan(b.estimate)
            continue
        assert b.estimate == -a.estimate
        assert _rel(a.p_value, b.p_value) <= SYMMETRY_TOL or abs(a.p_value - b.p_value) <= 1e-15


@PROPS
@given(_pairs(), st.sampled_from(["spearman", "pearson", "kendall"]),
       st.sampled_from(["two.sided", "less", "greater"]), st.sampled_from([None, True, False]),
       st.booleans())
def test_p_in_unit_interval(xy, method, alternative, exact, continuity):
    x, y = xy
    res = _quiet(cor_test, x, y, method=method, alternative=alternative, exact=exact,
                 continuity=continuity)
    assert math.isnan(res.p_value) or 0.0 <= res.p_value <= 1.0
    assert math.isnan(res.estimate) or -1.0 <= res.estimate <= 1.0


@PROPS
@given(st.integers(3, 40), st.integers(2, 6), st.integers(0, 2**32 - 1), st.booleans())
def test_cor_matrix_symmetric(n, k, seed, with_missing):
    rng = np.random.default_rng(seed)
    vals = np.round(rng.normal(size=(n, k)), 1)
    if with_missing:
        vals[rng.random(size=vals.shape) < 0.15] = np.nan
    df = pd.DataFrame(vals, columns=[f"v{j}" for j in range(k)])
    cm = _quiet(cor_matrix, df)
    for sq in (cm.estimate, cm.p_value, cm.n):
        a = sq.to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(a.T))
        np.testing.assert_array_equal(np.nan_to_num(a), np.nan_to_num(a.T))
    assert list(cm.estimate.index) == list(df.columns)
