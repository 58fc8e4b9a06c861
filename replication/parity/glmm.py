"""Parity of glmer_poisson with lme4::glmer(family = poisson).

Rows: fixed effects, their standard errors, theta and logLik, for the random intercept
by Laplace (nAGQ = 1) and by adaptive quadrature (nAGQ = 7), and for random slopes
(Laplace); each against lme4 run to tight convergence, and, for information, against
lme4 at its defaults (what users see: its bobyqa / Nelder-Mead stopping rules and PIRLS
tolerance 1e-7 leave fixed effects ~1e-3 and SEs ~1e-2 from the optimum).

Live: fresh simulated panels fitted by R now (one R call); otherwise the frozen fixtures
``glmm_intercept``, ``glmm_slope`` and ``glmm_crossed``. The helpers are shared with the
tests. Where lme4 stops at a lower maximum of the same likelihood (it happens with random
slopes, on the boundary intercept SD = 0) the case is named in the note, not counted.
"""

from __future__ import annotations

import math
import runpy
import warnings
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from replication.parity import ParityRow

FIXEF_TOL = 1e-5
FIXEF_TOL_SLOPE = 1e-4
SE_TOL = 1e-4
THETA_TOL = 1e-4
LOGLIK_TOL = 1e-6
THETA_FLOOR = 0.01
"""theta is compared relative to max(|theta|, 0.01): an SD below 1% on the log-rate scale
(on or next to the boundary 0, where lme4's bobyqa stops ~1e-8 from 0) is compared
absolutely, to 1e-6."""

REFERENCE = "lme4::glmer(family=poisson)"
METRICS = ("fixef", "se", "theta", "loglik")
TOLERANCES = {
    ("intercept", "fixef"): FIXEF_TOL, ("slope", "fixef"): FIXEF_TOL_SLOPE,
    "se": SE_TOL, "theta": THETA_TOL, "loglik": LOGLIK_TOL,
}


def tolerance(kind: str, metric: str) -> float:
    return TOLERANCES.get((kind, metric), TOLERANCES.get(metric, math.nan))


def compare(res, r: dict) -> dict[str, float]:
    """Largest relative differences of a GlmerResult from one lme4 fit (fixture layout).

    Fixed effects relative to max(|estimate|, SE) (a coefficient near 0 is held to the
    same absolute precision as the others); theta relative to max(|theta|, 0.01). Also
    ``gain``: our logLik minus lme4's, relative, and ``check``: our likelihood at lme4's
    parameters against lme4's logLik, relative (the two compute the same function)."""
    fe_r = np.asarray(r["fixef"], float)
    se_r = np.asarray(r["se"], float)
    th_r = np.asarray(r["theta"], float)
    fe = res.fixef.to_numpy()
    se = res.std_errors().to_numpy()
    th = res.theta.to_numpy()
    if fe.shape != fe_r.shape or th.shape != th_r.shape:
        return dict.fromkeys(METRICS, math.inf)
    ll_r = float(np.asarray(r["loglik"], float)[0])
    return {
        "fixef": float(np.max(np.abs(fe - fe_r) / np.maximum(np.abs(fe_r), se_r))),
        "se": float(np.max(np.abs(se - se_r) / se_r)),
        "theta": float(np.max(np.abs(th - th_r) / np.maximum(np.abs(th_r), THETA_FLOOR))),
        "loglik": abs(res.loglik - ll_r) / abs(ll_r),
        "gain": (res.loglik - ll_r) / abs(ll_r),
        "check": abs(res.loglik_at(th_r, fe_r) - ll_r) / abs(ll_r),
    }


def r_at_lower_maximum(diff: dict[str, float]) -> bool:
    """lme4 stopped where the (same) likelihood is lower than our maximum: a case to
    report, not a disagreement in what is computed. lme4's bobyqa can stop on the
    boundary theta_11 = 0 of a random-slope model (intercept SD 0) where a higher maximum
    lies inside lme4's parameter space."""
    return diff["gain"] > LOGLIK_TOL and diff["check"] <= LOGLIK_TOL


def case_frame(case: dict) -> pd.DataFrame:
    d = pd.DataFrame(case["data"])
    for col, rows in case.get("na", {}).items():
        d.loc[np.asarray(rows) - 1, col] = np.nan
    return d


def fit_case(case: dict, nagq: int):
    """Our fit of one fixture-layout case (lme4's warnings silenced; they are kept on the
    result)."""
    from models.glmm import GlmerWarning, glmer_poisson  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GlmerWarning)
        return glmer_poisson(case["formula"], case_frame(case), nagq=nagq,
                             weights=case.get("weights"))


def case_kind(case: dict) -> str:
    """"intercept" (one scalar term), "slope" (vector effects on one factor) or
    "crossed" (several grouping factors)."""
    from models.glmm import parse_formula  # noqa: PLC0415

    bars = parse_formula(case["formula"]).bars
    if len({g for _, g in bars}) > 1:
        return "crossed"
    return "intercept" if len(bars) == 1 and bars[0][0].strip() == "1" else "slope"


@lru_cache(maxsize=1)
def _generators() -> dict[str, Any]:
    from replication.rbridge.fixtures import fixtures_root  # noqa: PLC0415

    root = fixtures_root()
    return {"intercept": runpy.run_path(str(root / "glmm_intercept" / "input.py"))["_panel"],
            "slope": runpy.run_path(str(root / "glmm_slope" / "input.py"))["_panel"]}


def fresh_cases(seed: int, n_intercept: int = 4, n_slope: int = 2) -> dict[str, dict]:
    """Random panels not in the fixtures (same generators, random settings)."""
    gen = _generators()
    rng = np.random.default_rng(seed)
    cases = {}
    for i in range(n_intercept):
        off = float(rng.uniform(0, 7)) if rng.uniform() < 0.6 else None
        b0 = float(rng.uniform(-1.5, 1.5)) - (off or 0.0)
        cases[f"intercept{i}"] = gen["intercept"](
            int(rng.integers(1, 10**6)), int(rng.integers(10, 50)), int(rng.integers(2, 9)),
            float(rng.uniform(0.0, 1.2)), (b0, float(rng.uniform(-.5, .5)),
                                           float(rng.uniform(-.5, .5))),
            offset_mean=off, unbalanced=bool(rng.uniform() < 0.3), nagq=(1, 7))
    for i in range(n_slope):
        cases[f"slope{i}"] = gen["slope"](
            int(rng.integers(1, 10**6)), int(rng.integers(15, 40)), int(rng.integers(4, 9)),
            float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.0, 0.2)),
            float(rng.uniform(-0.6, 0.6)), (float(rng.uniform(-1, 1.5)),
                                            float(rng.uniform(-.1, .1)), 0.2))
    return cases


def r_script() -> str:
    """The fixtures' R code (tight and default glmer fits of every case and nAGQ)."""
    from replication.rbridge.fixtures import fixture_spec  # noqa: PLC0415

    return fixture_spec("glmm_intercept")[0]


def run_r(cases: dict[str, dict]) -> dict:
    """lme4's fits of ``cases`` now, in one R call."""
    from replication.rbridge import call_r  # noqa: PLC0415

    return call_r(r_script(), data={"cases": cases}, packages=["lme4"]).value


def collect(cases: dict[str, dict], results: dict) -> dict[tuple[str, int, str], dict]:
    """{(case, nagq, "tight" | "default"): metric -> rel diff}."""
    out = {}
    for name, case in cases.items():
        for k in case["nagq"]:
            res = fit_case(case, k)
            for which in ("tight", "default"):
                r = results[name][f"nagq{k}"][which]
                if isinstance(r, dict) and r.get("error") is not None and "fixef" not in r:
                    continue
                out[(name, k, which)] = compare(res, r)
    return out


def _rows(cases, diffs, source) -> list[ParityRow]:
    groups = {"nAGQ=1 random intercept": lambda c, k: case_kind(c) == "intercept" and k == 1,
              "nAGQ=7 random intercept": lambda c, k: case_kind(c) == "intercept" and k == 7,
              "random slope (Laplace)": lambda c, k: case_kind(c) == "slope",
              "crossed/nested intercepts (Laplace)": lambda c, k: case_kind(c) == "crossed"}
    rows = []
    for label, sel in groups.items():
        kind = "slope" if "slope" in label else "intercept"
        for which in ("tight", "default"):
            keys = [key for key in diffs if key[2] == which and sel(cases[key[0]], key[1])]
            lower = [key for key in keys if r_at_lower_maximum(diffs[key])]
            same = [key for key in keys if key not in lower]
            if not keys:
                continue
            note = "lme4 run to tight convergence"
            if lower:
                gain = max(diffs[key]["gain"] for key in lower)
                note += (f"; {len(lower)} case(s) where lme4 stopped at a lower maximum of the "
                         f"same likelihood (ours higher by up to {gain:.2g} relative) not "
                         "counted: " + ", ".join(key[0] for key in lower))
            for metric in METRICS:
                worst = max((diffs[key][metric] for key in same), default=0.0)
                if which == "tight":
                    rows.append(ParityRow(
                        method=f"glmer_poisson {label}: {metric}", reference=REFERENCE,
                        cases=len(same), max_rel_diff=worst, tolerance=tolerance(kind, metric),
                        source=source, note=note))
                else:
                    rows.append(ParityRow(
                        method=f"glmer_poisson {label}: {metric} (vs lme4 defaults)",
                        reference=REFERENCE + " defaults", cases=len(same), max_rel_diff=worst,
                        tolerance=math.inf, source=source,
                        note="informational: lme4's default stopping rules"
                        + note.removeprefix("lme4 run to tight convergence")))
    return rows


def parity_rows(live: bool) -> list[ParityRow]:
    from replication.rbridge import r_available  # noqa: PLC0415

    if live and r_available():
        cases = fresh_cases(20240611)
        return _rows(cases, collect(cases, run_r(cases)), "live R")
    from replication.rbridge.fixtures import load_fixture  # noqa: PLC0415

    rows = []
    for name in ("glmm_intercept", "glmm_slope", "glmm_crossed"):
        fx = load_fixture(name)
        cases = fx.input["cases"]
        rows.extend(_rows(cases, collect(cases, fx.result), f"frozen fixture {name}"))
    return rows
