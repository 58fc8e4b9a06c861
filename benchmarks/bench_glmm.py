"""Benchmark: the hood2021 shape, 150 LAs x 10 years, Poisson GLMM with an offset.

Python: :func:`models.glmm.glmer_poisson`. R: ``lme4::glmer(family = poisson)`` at its
defaults, timed inside R with ``proc.time`` (no bridge overhead). Rows: random intercept
by adaptive quadrature (nAGQ = 7, the study's setting), by Laplace (nAGQ = 1), and a
correlated random slope of time (Laplace). Each side reports the median of ``--reps``
fits of the same data (both include their checks and the Hessian for the SEs); prints the
ratio Python / R (target: <= 1) and the largest difference of the fixed effects.
Run: ``python benchmarks/bench_glmm.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from models.glmm import GlmerWarning, glmer_poisson  # noqa: E402
from replication.rbridge import call_r  # noqa: E402

R_TIMING = """
df <- input$data
df$la <- factor(df$la)
one <- function() suppressMessages(suppressWarnings(
  glmer(as.formula(input$formula), data = df, family = poisson, nAGQ = input$nagq)))
fit <- one()
times <- sapply(seq_len(input$reps), function(i) {
  t0 <- proc.time()[["elapsed"]]; one(); proc.time()[["elapsed"]] - t0 })
list(seconds = median(times), fixef = fixef(fit))
"""


def panel(seed: int = 2021, n_la: int = 150, n_year: int = 10) -> pd.DataFrame:
    """An interrupted-time-series panel: counts per LA-year with log(child population)."""
    rng = np.random.default_rng(seed)
    la = np.repeat(np.arange(n_la), n_year)
    t = np.tile(np.arange(n_year), n_la) - 4.0
    step0 = (t >= 0).astype(float)
    step1 = (t >= 1).astype(float)
    post = np.where(t >= 1, t, 0.0)
    lp = np.log(rng.uniform(2e4, 3e5, n_la))[la]
    b0 = rng.normal(0, 0.3, n_la)[la]
    b1 = rng.normal(0, 0.03, n_la)[la]
    eta = np.log(0.005) + lp + 0.02 * t - 0.1 * step0 + 0.05 * step1 - 0.03 * post + b0 + b1 * t
    y = rng.poisson(np.exp(eta))
    return pd.DataFrame({"y": y, "time": t, "step0": step0, "step1": step1, "post": post,
                         "la": 201 + la, "lp": lp})


def _median_time(fn, reps: int) -> float:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    d = panel()
    fixed = "y ~ time + step0 + step1 + post + offset(lp)"
    rows = [("random intercept, nAGQ = 7", fixed + " + (1 | la)", 7),
            ("random intercept, nAGQ = 1", fixed + " + (1 | la)", 1),
            ("random slope (1 + time | la), Laplace", fixed + " + (1 + time | la)", 1)]
    print(f"{len(d)} rows: {d.la.nunique()} LAs x {d.time.nunique()} years; "
          f"median of {args.reps} fits")
    print(f"{'model':40s} {'Python s':>9s} {'R s':>9s} {'ratio':>7s} {'max|dfixef|':>12s}")
    for label, formula, nagq in rows:
        def fit(formula=formula, nagq=nagq):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", GlmerWarning)
                return glmer_poisson(formula, d, nagq=nagq)

        res = fit()
        py = _median_time(fit, args.reps)
        r = call_r(R_TIMING, data={"data": d, "formula": formula, "nagq": nagq,
                                   "reps": args.reps}, packages=["lme4"]).value
        r_s = float(r["seconds"][0])
        diff = float(np.max(np.abs(res.fixef.to_numpy() - r["fixef"].to_numpy())))
        print(f"{label:40s} {py:9.3f} {r_s:9.3f} {py / r_s:7.2f} {diff:12.2e}")


if __name__ == "__main__":
    main()
