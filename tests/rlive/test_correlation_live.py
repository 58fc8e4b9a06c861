"""models.correlation against live R on fresh inputs drawn by hypothesis, one R call per batch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.correlation import cor_matrix, pkendall, prho
from replication.parity.correlation import (
    EXACT_ARG,
    P_TOL,
    RHO_TOL,
    cortest_mismatches,
    cortest_p_diffs,
    r_cortest_cases,
    rel_diff,
    run_cortest_cases,
)
from replication.rbridge import call_r

pytestmark = pytest.mark.r

STAT_TOL = 1e-10   # t = r sqrt(df) / sqrt(1 - r^2) amplifies r's last bit near |r| = 1
CI_TOL = 1e-10     # Fisher-z bounds: scipy's qnorm and numpy's tanh against R's
BATCH = 40         # cases per R call
LIVE = settings(max_examples=3, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def _case(draw):
    """One cor.test case: data (continuous, tied, with missing values, any size) and arguments."""
    method = draw(st.sampled_from(["spearman", "pearson", "kendall"]))
    big = draw(st.sampled_from([False] * 6 + [True]))
    n = draw(st.sampled_from([87, 150, 1290, 1291, 1500])) if big else draw(st.integers(3, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    kind = draw(st.sampled_from(["continuous", "ties", "missing", "drawn"]))
    rng = np.random.default_rng(seed)
    if kind == "drawn" and n <= 60:
        elems = st.one_of(st.integers(-20, 20), st.floats(-1e6, 1e6, allow_nan=False, width=32))
        x = draw(st.lists(elems, min_size=n, max_size=n))
        y = draw(st.lists(elems, min_size=n, max_size=n))
        x, y = [float(v) for v in x], [float(v) for v in y]
    else:
        rho = draw(st.floats(-0.95, 0.95))
        a = rng.normal(size=n)
        b = rho * a + math.sqrt(1 - rho * rho) * rng.normal(size=n)
        if kind == "ties":
            a, b = np.round(a * 2), np.round(b * 2)
        x, y = [float(v) for v in a], [float(v) for v in b]
        if kind == "missing":
            for i in rng.choice(n, size=n // 8, replace=False):
                (x if rng.random() < 0.5 else y)[i] = None
    exact = draw(st.sampled_from(["NULL", "TRUE", "FALSE"]))
    if method == "kendall" and exact == "TRUE" and n > 100:
        exact = "NULL"  # R's exact Kendall is O(n^4): keep R quick
    return {"x": x, "y": y, "method": method, "exact": exact,
            "alternative": draw(st.sampled_from(["two.sided", "less", "greater"])),
            "continuity": draw(st.booleans()),
            "conf_level": draw(st.sampled_from([0.95, 0.9, 0.99]))}


def _batch(cases: list[dict]) -> tuple[dict, dict]:
    datasets = {f"d{i}": {"x": c["x"], "y": c["y"]} for i, c in enumerate(cases)}
    cols = {k: [c[k] for c in cases] for k in ("method", "alternative", "exact", "continuity", "conf_level")}
    cols["data"] = list(datasets)
    return datasets, cols


@LIVE
@given(st.lists(_case(), min_size=BATCH, max_size=BATCH))
def test_cor_test_matches_live_r(cases):
    datasets, cols = _batch(cases)
    # rbridge sends lists with None as R lists; the fixture script turns those into NA
    r = r_cortest_cases(datasets, cols)
    py = run_cortest_cases(datasets, cols)
    assert not cortest_mismatches(py, r), cortest_mismatches(py, r)[:5]
    for col, tol in (("estimate", RHO_TOL), ("statistic", STAT_TOL), ("parameter", 0.0),
                     ("conf_low", CI_TOL), ("conf_high", CI_TOL)):
        d = [rel_diff(a, b) for a, b in zip(py[col], r[col], strict=True)]
        assert max(d) <= tol, (col, int(np.argmax(d)), cases[int(np.argmax(d))])
    p = cortest_p_diffs(py, r)
    assert p.max() <= P_TOL, (int(p.argmax()), cases[int(p.argmax())])
    assert set(EXACT_ARG) >= set(cols["exact"])


@LIVE
@given(st.lists(st.tuples(st.integers(2, 1290), st.floats(0, 1), st.booleans()),
                min_size=200, max_size=200))
def test_prho_matches_live_r(args):
    n = np.array([a[0] for a in args])
    s = np.array([np.round(a[1] * a[0] * (a[0] ** 2 - 1) / 3 / 2) * 2 for a in args])
    lower = np.array([a[2] for a in args])
    r = call_r("mapply(function(s, n, l) .Call(stats:::C_pRho, s, n, l), input$s, input$n, input$l)",
               {"s": s, "n": n, "l": lower}).value
    ours = np.array([prho(a, int(b), bool(c))[0] for a, b, c in zip(s, n, lower, strict=True)])
    small = n <= 9
    np.testing.assert_array_equal(ours[small], r[small])  # exact enumeration: identical
    assert rel_diff(ours[~small], r[~small]) <= P_TOL


@LIVE
@given(st.lists(st.tuples(st.integers(1, 49), st.floats(0, 1)), min_size=100, max_size=100))
def test_pkendall_matches_live_r(args):
    n = np.array([a[0] for a in args])
    q = np.array([np.floor(a[1] * a[0] * (a[0] - 1) / 2) for a in args])
    r = call_r("mapply(function(q, n) .Call(stats:::C_pKendall, q, n), input$q, input$n)",
               {"q": q, "n": n}).value
    ours = np.array([pkendall(a, int(b))[0] for a, b in zip(q, n, strict=True)])
    np.testing.assert_array_equal(ours, r)


_MATRIX_R = """
d <- input$data
nm <- names(d)
out <- NULL
for (i in seq_along(nm)) for (j in seq_along(nm)) if (i < j) {
  x <- d[[i]]; y <- d[[j]]
  n <- sum(complete.cases(x, y))
  res <- tryCatch(suppressWarnings(cor.test(x, y, method = input$method, exact = NULL)),
                  error = function(e) NULL)
  out <- rbind(out, data.frame(var1 = nm[i], var2 = nm[j], n = n,
    estimate = if (is.null(res)) NA_real_ else unname(res$estimate),
    p_value = if (is.null(res)) NA_real_ else res$p.value))
}
out
"""


@LIVE
@given(st.integers(5, 60), st.integers(2, 9), st.integers(0, 2**32 - 1),
       st.sampled_from(["spearman", "pearson", "kendall"]), st.booleans())
def test_cor_matrix_matches_live_r(n, k, seed, method, tied):
    rng = np.random.default_rng(seed)
    vals = rng.normal(size=(n, k)) @ rng.normal(size=(k, k))
    if tied:
        vals = np.round(vals)
    vals[rng.random(size=vals.shape) < 0.1] = np.nan
    df = pd.DataFrame(vals, columns=[f"v{j}" for j in range(k)])
    r = call_r(_MATRIX_R, {"data": df, "method": method}).value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lg = cor_matrix(df, method=method).long
    assert list(lg["var1"]) == list(r["var1"]) and list(lg["var2"]) == list(r["var2"])
    np.testing.assert_array_equal(lg["n"].to_numpy(), r["n"].to_numpy())
    assert rel_diff(lg["estimate"], r["estimate"]) <= RHO_TOL
    assert rel_diff(lg["p_value"], r["p_value"]) <= P_TOL
