"""models.groups against live R on fresh random data (t.test, aov, TukeyHSD, pairwise.t.test,
p.adjust), with missing values, batched into one R call per function family. The R code is
each fixture's own script, so live and frozen checks compare the same things."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from models.groups import aov, ptukey, qtukey, t_test, tukey_hsd
from replication.parity import groups as pg
from replication.rbridge import RError, call_r
from replication.rbridge.fixtures import fixture_spec, load_fixture
from tests.models.test_groups import PTUKEY_GRID, PTUKEY_R_TOL, QTUKEY_R_TOL, ptukey_k2_tol

pytestmark = pytest.mark.r

SEEDS = (101, 202, 303)


def _nan_some(rng, v, p=0.08):
    v = np.asarray(v, dtype=float).copy()
    v[rng.uniform(size=len(v)) < p] = np.nan
    return [None if np.isnan(e) else float(e) for e in v]


def _ttest_input(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(12):
        nx, ny = int(rng.integers(3, 40)), int(rng.integers(3, 40))
        x = rng.normal(rng.normal(10, 3), rng.uniform(0.5, 4), nx)
        y = rng.normal(rng.normal(10, 3), rng.uniform(0.5, 4), ny)
        paired = bool(rng.uniform() < 0.2)
        one = not paired and rng.uniform() < 0.15
        if paired:
            y = x + rng.normal(0.3, 1.0, nx)
        case = {"x": _nan_some(rng, x), "var_equal": bool(rng.uniform() < 0.5),
                "alternative": str(rng.choice(["two.sided", "less", "greater"])),
                "conf_level": float(rng.choice([0.9, 0.95, 0.99])), "mu": float(rng.choice([0.0, 0.5, -1.0])),
                "paired": paired}
        if not one:
            case["y"] = y.tolist() if paired else _nan_some(rng, y)
        cases.append(case)
    return {"cases": cases}


def _groups_input(seed: int) -> tuple[dict, dict]:
    rng = np.random.default_rng(seed)
    anova, data = [], []
    for _ in range(6):
        k = int(rng.integers(2, 7))
        labels = [f"G{i}" for i in rng.permutation(k)]
        values, groups = [], []
        for lab in labels:
            n = int(rng.integers(3, 20))
            values.extend(rng.normal(rng.normal(0, 1), 1.5, n).tolist())
            groups.extend([lab] * n)
        vals = _nan_some(rng, values, 0.05)
        anova.append({"values": vals, "groups": groups, "levels": labels,
                      "conf_level": float(rng.choice([0.9, 0.95, 0.99]))})
        data.append({"values": vals, "groups": groups, "levels": labels})
    cases = [{"data": i, "method": m, "pool_sd": bool(pool), "alternative": alt}
             for i in range(len(data))
             for m in ("holm", "hochberg", "hommel", "bonferroni", "BH", "BY", "none")
             for pool in (True, False)
             for alt in (("two.sided",) if m != "bonferroni" else ("two.sided", "less", "greater"))]
    return {"cases": anova}, {"data": data, "cases": cases}


def _r(name: str, inp: dict):
    code, packages, seed = fixture_spec(name)
    return call_r(code, inp, packages=packages, seed=seed).value


@pytest.mark.parametrize("seed", SEEDS)
def test_t_test_live(seed):
    inp = _ttest_input(seed)
    d = pg.compare_ttest(pg.run_ttest_cases(inp), _r(pg.TTEST, inp))
    assert d["method"] == 0
    assert max(d.values()) <= pg.GROUPS_TOL, d


@pytest.mark.parametrize("seed", SEEDS)
def test_aov_tukey_pairwise_live(seed):
    anova, pairwise = _groups_input(seed)
    d = pg.compare_anova(pg.run_anova_cases(anova), _r(pg.ANOVA, anova))
    assert d["contrast"] == 0 and d["aov"] <= pg.GROUPS_TOL and d["tukey_diff"] <= pg.GROUPS_TOL
    assert d["tukey_p_abs"] <= pg.TUKEY_P_ABS_TOL
    assert d["tukey_ci_tight"] <= pg.TUKEY_CI_TOL
    assert d["tukey_ci_default"] <= pg.TUKEY_CI_DEFAULT_TOL
    assert d["tukey_small_df"] <= pg.TUKEY_P_SMALL_DF_TOL
    # ptukey is R's algorithm: adjusted p agree to rounding at every df, small ones included
    for a, b in zip(pg.run_anova_cases(anova), _r(pg.ANOVA, anova), strict=True):
        np.testing.assert_allclose(a["p_adj"], b["p_adj"], rtol=0, atol=PTUKEY_R_TOL)
    d = pg.compare_pairwise(pg.run_pairwise_cases(pairwise), _r(pg.PAIRWISE, pairwise))
    assert d["labels"] == 0 and d["method"] == 0 and d["p_value"] <= pg.GROUPS_TOL


def test_small_df_tukey_is_r_and_misses_the_exact_identity_as_r_does():
    """Two groups, 4 residual df: Tukey's p equals the pooled t-test's p in exact arithmetic
    (q = sqrt(2) |t|). R's ptukey misses that by about 1e-6 here; ours is R's algorithm, so it
    gives R's number, and misses the identity by the same amount (see ``ptukey_k2_tol``)."""
    v = [1.0, 2.5, 3.1, 4.0, 5.2, 3.3]
    g = ["a", "a", "a", "b", "b", "b"]
    tk = tukey_hsd(v, g)
    exact = t_test(v[3:], v[:3], var_equal=True).p_value
    r = call_r("TukeyHSD(aov(v ~ g, data.frame(v = input$v, g = factor(input$g))))$g[, 'p adj']",
               {"v": np.array(v), "g": g}).value
    r = float(np.asarray(r).ravel()[0])
    assert tk.p_adj[0] == pytest.approx(r, abs=PTUKEY_R_TOL)
    assert 1e-8 < abs(r - exact) <= ptukey_k2_tol(4)
    assert abs(tk.p_adj[0] - exact) <= ptukey_k2_tol(4)


def test_ptukey_qtukey_live():
    """A fresh random grid, non-integer df and nmeans included, against R now."""
    rng = np.random.default_rng(505)
    cases = []
    for _ in range(40):
        k = float(rng.choice([2, 3, 4, 6, 9, 15])) + float(rng.choice([0.0, 0.5]))
        df = float(np.exp(rng.uniform(np.log(2), np.log(40000))))
        rr = float(rng.choice([1, 1, 1, 2, 3]))
        q = np.sort(rng.uniform(0.01, 12, 6))
        cases.append({"q": q, "k": k, "df": df, "rr": rr, "p": float(rng.uniform(0.01, 0.99))})
    code = """lapply(input$cases, function(cs) list(
      lower = ptukey(cs$q, cs$k, cs$df, cs$rr), upper = ptukey(cs$q, cs$k, cs$df, cs$rr, lower.tail = FALSE),
      qt = qtukey(cs$p, cs$k, cs$df, cs$rr)))"""
    r = call_r(code, {"cases": cases}).value
    for cs, rr in zip(cases, r, strict=True):
        np.testing.assert_allclose(ptukey(cs["q"], cs["k"], cs["df"], cs["rr"]), rr["lower"],
                                   rtol=0, atol=PTUKEY_R_TOL)
        np.testing.assert_allclose(ptukey(cs["q"], cs["k"], cs["df"], cs["rr"], lower_tail=False),
                                   rr["upper"], rtol=0, atol=PTUKEY_R_TOL)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ours = qtukey(cs["p"], cs["k"], cs["df"], cs["rr"])
        # where R's secant divides 0 by 0 (a flat ptukey far out) both give NaN, and say so
        np.testing.assert_allclose(ours, rr["qt"][0], rtol=QTUKEY_R_TOL, equal_nan=True)
        assert [str(w.message) for w in caught] == (["qtukey: NaNs produced"] if np.isnan(ours) else [])


def test_ptukey_fixture_still_matches_live_r():
    fx_code, packages, seed = fixture_spec(PTUKEY_GRID)
    fx = load_fixture(PTUKEY_GRID)
    r = call_r(fx_code, fx.input, packages=packages, seed=seed).value
    for key in ("lower", "upper", "qtukey", "qtukey_upper"):
        np.testing.assert_array_equal(r[key], fx.result[key])


def test_p_adjust_live():
    rng = np.random.default_rng(404)
    vectors = [rng.uniform(0, 1, int(n)).tolist() for n in rng.integers(2, 60, 8)]
    vectors += [np.round(rng.uniform(0, 0.1, 25), 2).tolist()]  # many ties
    inp = {"vectors": vectors, "with_na": [0.5, None, 0.001, 0.04, None, 0.04, 0.2]}
    assert pg.compare_padjust(pg.run_padjust_cases(inp), _r(pg.PADJUST, inp)) <= pg.GROUPS_TOL


def test_errors_match_r_live():
    code = """
    msg <- function(expr) tryCatch({ expr; "no error" }, error = function(e) conditionMessage(e))
    c(msg(t.test(c(3, 3, 3), c(3, 3, 3))), msg(t.test(5)), msg(t.test(1, c(2, 3, 4))),
      msg(t.test(c(1, 2), c(NA, 3))))
    """
    r = call_r(code).value
    calls = [lambda: t_test([3.0, 3, 3], [3.0, 3, 3]), lambda: t_test([5.0]),
             lambda: t_test([1.0], [2.0, 3, 4]), lambda: t_test([1.0, 2], [np.nan, 3.0])]
    for fn, msg in zip(calls, r, strict=True):
        with pytest.raises(ValueError) as exc:
            fn()
        assert str(exc.value) == msg
    # one group: R's aov runs without a group term; we refuse with a clear error
    with pytest.raises(RError):
        call_r("TukeyHSD(aov(v ~ g, data.frame(v = c(1, 2, 3), g = factor(c('a', 'a', 'a')))))")
    with pytest.raises(ValueError, match="at least 2 groups"):
        aov([1.0, 2.0, 3.0], ["a", "a", "a"])
