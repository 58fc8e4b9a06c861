"""Parity of cor.test and pairwise correlation matrices with R.

Rows: Spearman rho; Spearman p by R's exact route (prho: enumeration for n <= 9, AS 89's
series up to n = 1290) and by the t approximation (ties, ``exact=FALSE``, n > 1290);
Pearson r, t, p and Fisher-z interval; Kendall tau and p (exact and normal); R's prho
and pkendall themselves; the pairwise Spearman matrix with missing values.

The case runners below turn fixture cases into Python calls; the tests use them too, so
the tests and ``replicate parity`` compare the same things.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from replication.parity import ParityRow

RHO_TOL = 1e-12
"""METHODS.md section 3: estimates (R's cor() arithmetic is reproduced, observed 0)."""
P_TOL = 1e-10
"""METHODS.md section 3: p-values, relative (scipy's normal and t tails vs R's: ~1e-13)."""
KENDALL_BIG_N_P_ABS = 1e-13
SUBNORMAL_P = float(np.finfo(np.float64).tiny)
"""p-values below the smallest normal double (2.2e-308) carry fewer than 53 bits on either side
(scipy's and R's tails both round into subnormals), so two such p-values count as agreeing."""
"""Exact Kendall for n >= 50: R's 1 - P may be a few 1e-14 below 0 where ours stops at 0."""

CORTEST_FIXTURE = "correlation_cortest"
DIST_FIXTURE = "correlation_distributions"
MATRIX_FIXTURE = "correlation_matrix"

NUMERIC = ("estimate", "statistic", "parameter", "p_value", "conf_low", "conf_high")
EXACT_ARG = {"NULL": None, "TRUE": True, "FALSE": False}


def as_float(v: Any) -> np.ndarray:
    """A JSON list (None for NA) as a float array with NaN."""
    return np.array([np.nan if e is None else e for e in v], dtype=np.float64)


def rel_diff(a: Any, b: Any) -> float:
    """Largest elementwise relative difference; NaN equals NaN; NaN against a number is inf."""
    x = np.atleast_1d(np.asarray(a, dtype=np.float64))
    y = np.atleast_1d(np.asarray(b, dtype=np.float64))
    if x.shape != y.shape or (np.isnan(x) != np.isnan(y)).any():
        return math.inf
    ok = ~np.isnan(x)
    x, y = x[ok], y[ok]
    if x.size == 0:
        return 0.0
    denom = np.maximum(np.abs(x), np.abs(y))
    with np.errstate(invalid="ignore"):
        d = np.where(x == y, 0.0, np.abs(x - y) / np.where(denom == 0, 1.0, denom))
    return float(np.nan_to_num(d, nan=math.inf).max())


# ----------------------------------------------------------------------------- case runners


def run_cortest_cases(datasets: dict, cases: dict) -> pd.DataFrame:
    """Python's counterpart of the ``correlation_cortest`` script: one row per case.

    Columns as R's: estimate, statistic, parameter, p_value, conf_low, conf_high,
    statistic_name, method, warnings (joined by " | "), error; plus n and exact.
    """
    from models.correlation import cor_test  # noqa: PLC0415

    rows = []
    for i in range(len(cases["data"])):
        d = datasets[cases["data"][i]]
        row: dict[str, Any] = dict.fromkeys(NUMERIC, math.nan)
        row.update(statistic_name=None, method=None, warnings="", error="", n=-1, exact=False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = cor_test(as_float(d["x"]), as_float(d["y"]), method=cases["method"][i],
                               alternative=cases["alternative"][i],
                               exact=EXACT_ARG[cases["exact"][i]],
                               continuity=bool(cases["continuity"][i]),
                               conf_level=float(cases["conf_level"][i]))
            except ValueError as exc:
                res = None
                row["error"] = str(exc)
        row["warnings"] = " | ".join(str(w.message) for w in caught)
        if res is not None:
            lo, hi = res.conf_int if res.conf_int is not None else (math.nan, math.nan)
            row.update(estimate=res.estimate, statistic=res.statistic, p_value=res.p_value,
                       parameter=math.nan if res.parameter is None else res.parameter,
                       conf_low=lo, conf_high=hi, statistic_name=res.statistic_name,
                       method=res.method, n=res.n, exact=res.exact)
        rows.append(row)
    return pd.DataFrame(rows)


def r_cortest_cases(datasets: dict, cases: dict) -> pd.DataFrame:
    """R's ``cor.test`` on the same cases, live, through the fixture's own script."""
    from replication.rbridge import call_r  # noqa: PLC0415
    from replication.rbridge.fixtures import fixture_spec  # noqa: PLC0415

    code, packages, seed = fixture_spec(CORTEST_FIXTURE)
    return call_r(code, {"datasets": datasets, "cases": cases}, packages=packages, seed=seed).value


def cortest_p_diffs(py: pd.DataFrame, r: pd.DataFrame) -> np.ndarray:
    """Per-case relative difference of the p-values, with the Kendall n >= 50 allowance."""
    out = np.zeros(len(py))
    for i in range(len(py)):
        a, b = float(py["p_value"].iloc[i]), float(r["p_value"].iloc[i])
        if abs(a) < SUBNORMAL_P and abs(b) < SUBNORMAL_P:
            continue
        if (str(py["method"].iloc[i]).startswith("Kendall") and bool(py["exact"].iloc[i])
                and py["n"].iloc[i] >= 50 and abs(a - b) <= KENDALL_BIG_N_P_ABS):
            continue
        out[i] = rel_diff(a, b)
    return out


def cortest_mismatches(py: pd.DataFrame, r: pd.DataFrame) -> list[str]:
    """Cases whose error, warnings, method or statistic name differ from R's."""
    bad = []
    for i in range(len(py)):
        pe, re_ = py["error"].iloc[i], r["error"].iloc[i]
        if bool(pe) != bool(re_) or (re_ and not pe.startswith(re_)):
            bad.append(f"case {i}: error ours {pe!r}, R {re_!r}")
            continue
        if py["warnings"].iloc[i] != r["warnings"].iloc[i]:
            bad.append(f"case {i}: warnings ours {py['warnings'].iloc[i]!r}, R {r['warnings'].iloc[i]!r}")
        if not re_ and (py["method"].iloc[i] != r["method"].iloc[i]
                        or py["statistic_name"].iloc[i] != r["statistic_name"].iloc[i]):
            bad.append(f"case {i}: method/statistic name differ")
    return bad


def matrix_data(inp: dict) -> pd.DataFrame:
    return pd.DataFrame({k: as_float(v) for k, v in inp["data"].items()})


def run_matrix_cases(inp: dict) -> pd.DataFrame:
    """Python's counterpart of the ``correlation_matrix`` script (long table, same rows)."""
    from models.correlation import cor_matrix  # noqa: PLC0415

    df = matrix_data(inp)
    parts = []
    for use in ("pairwise.complete.obs", "complete.obs"):
        d = df.drop(columns=["i"]) if use == "complete.obs" else df
        for method in ("spearman", "pearson", "kendall"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lg = cor_matrix(d, method=method, use=use).long
            parts.append(lg.assign(use=use, method=method)[["use", "method", "var1", "var2", "n",
                                                              "estimate", "statistic", "p_value"]])
    return pd.concat(parts, ignore_index=True)


def run_distribution_cases(inp: dict) -> dict[str, np.ndarray]:
    from models.correlation import pkendall, prho  # noqa: PLC0415

    r = inp["prho"]
    k = inp["pkendall"]
    return {
        "prho": np.array([prho(s, int(n), bool(lo))[0] for s, n, lo in zip(r["s"], r["n"], r["lower"], strict=True)]),
        "pkendall": np.array([pkendall(q, int(n))[0] for q, n in zip(k["q"], k["n"], strict=True)]),
    }


# ----------------------------------------------------------------------------- rows


def _reference(name: str, live: bool) -> tuple[Any, dict, str]:
    """(R's result, the fixture input, source label): live R on the frozen input, or frozen."""
    from replication.rbridge import r_available  # noqa: PLC0415
    from replication.rbridge.core import _decode  # noqa: PLC0415
    from replication.rbridge.fixtures import _run_raw, load_fixture  # noqa: PLC0415

    fx = load_fixture(name)
    if live and r_available():
        value, _ = _run_raw(name, fx.input)
        return _decode(value), fx.input, "live R"
    return fx.result, fx.input, f"frozen fixture {name}"


def _row(method: str, reference: str, diffs, tol: float, src: str, note: str = "") -> ParityRow:
    diffs = np.asarray(diffs, dtype=np.float64)
    return ParityRow(method, reference, int(diffs.size), float(diffs.max()) if diffs.size else 0.0,
                     tol, src, note)


def parity_rows(live: bool) -> list[ParityRow]:
    rows: list[ParityRow] = []
    ref, inp, src = _reference(CORTEST_FIXTURE, live)
    py = run_cortest_cases(inp["datasets"], inp["cases"])
    ok = (py["error"] == "").to_numpy()
    meth = np.asarray(inp["cases"]["method"])
    est = np.array([rel_diff(a, b) for a, b in zip(py["estimate"], ref["estimate"], strict=True)])
    stat = np.array([rel_diff(a, b) for a, b in zip(py["statistic"], ref["statistic"], strict=True)])
    ci = np.array([max(rel_diff(a, b), rel_diff(c, d)) for a, b, c, d in
                   zip(py["conf_low"], ref["conf_low"], py["conf_high"], ref["conf_high"], strict=True)])
    pd_ = cortest_p_diffs(py, ref)
    exact = py["exact"].to_numpy(dtype=bool)
    mism = cortest_mismatches(py, ref)
    note = f"{len(mism)} cases differ in error/warning text" if mism else "errors and warnings as R's"
    sp, pe, ke = ok & (meth == "spearman"), ok & (meth == "pearson"), ok & (meth == "kendall")
    rows.append(_row("cor_test spearman rho and S", "cor.test(method='spearman')",
                     np.maximum(est, stat)[sp], RHO_TOL, src, note))
    rows.append(_row("cor_test spearman p, exact (prho: n<=9 enumeration, AS 89 series)",
                     "cor.test(method='spearman', exact=NULL/TRUE)", pd_[sp & exact], P_TOL, src))
    rows.append(_row("cor_test spearman p, t approximation (ties, exact=FALSE, n>1290)",
                     "cor.test(method='spearman', exact=FALSE, continuity=)", pd_[sp & ~exact], P_TOL, src))
    rows.append(_row("cor_test pearson r, t, p, Fisher-z CI", "cor.test(method='pearson')",
                     np.maximum.reduce([est, stat, pd_, ci])[pe], P_TOL, src))
    rows.append(_row("cor_test kendall tau, T/z, p (exact and normal)", "cor.test(method='kendall')",
                     np.maximum.reduce([est, stat, pd_])[ke], P_TOL, src,
                     "exact n>=50: R's p below 0 is reported as 0 (abs diff <= 1e-13)"))

    ref, inp, src = _reference(DIST_FIXTURE, live)
    ours = run_distribution_cases(inp)
    rows.append(_row("prho (R's C routine for Spearman's S)", ".Call(stats:::C_pRho, q, n, lower)",
                     [rel_diff(a, b) for a, b in zip(ours["prho"], ref["prho"], strict=True)], P_TOL, src))
    rows.append(_row("pkendall (R's C routine for Kendall's T)", ".Call(stats:::C_pKendall, q, n)",
                     [rel_diff(a, b) for a, b in zip(ours["pkendall"], ref["pkendall"], strict=True)],
                     P_TOL, src))

    ref, inp, src = _reference(MATRIX_FIXTURE, live)
    py = run_matrix_cases(inp)
    n_ok = bool((py["n"].to_numpy() == ref["n"].to_numpy()).all())
    diffs = [max(rel_diff(py[c].iloc[i], ref[c].iloc[i]) for c in ("estimate", "statistic", "p_value"))
             for i in range(len(py))]
    if not n_ok:
        diffs.append(math.inf)
    rows.append(_row("cor_matrix (pairwise and listwise; spearman, pearson, kendall)",
                     "cor.test over every pair of columns", diffs, P_TOL, src,
                     "pairwise n as R's" if n_ok else "pairwise n differ from R's"))
    return rows
