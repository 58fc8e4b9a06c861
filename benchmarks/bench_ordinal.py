"""Benchmark: ordinal logit and its tests against their R twins on the same data, same run.

``polr`` (Newton with the analytic Hessian) against ``MASS::polr(Hess = TRUE)`` run tightly
(reltol 1e-15) and ``ordinal::clm`` (gradTol 1e-12); ``parallel_lines_test`` against the
two ``VGAM::vglm`` cumulative fits (epsilon 1e-13); ``brant_test`` against Brant's test
written in R on glm.fit (epsilon 1e-15). R is timed inside R, Python in-process; medians
of ``--reps`` calls. Prints the ratio Python / R (target: <= 1).
Run: ``python benchmarks/bench_ordinal.py``.

Python's BLAS runs one thread by default (``--blas-threads``), like R's reference BLAS here:
on a busy machine OpenBLAS's threads wait for each other and make the timings erratic.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from models.ordinal import brant_test, parallel_lines_test, polr
from replication.rbridge import call_r
from replication.rbridge.fixtures import fixture_spec

R_TIMING = """
suppressMessages({library(MASS); library(ordinal); library(VGAM)})
options(contrasts = c("contr.treatment", "contr.poly"))
times <- function(f) { f(); sapply(seq_len(input$reps), function(i) {
  t0 <- proc.time()[["elapsed"]]; f(); proc.time()[["elapsed"]] - t0 }) }
out <- list()
for (case in input$cases) {
  d <- as.data.frame(case$data, stringsAsFactors = FALSE)
  d$y <- factor(d$y, levels = case$levels, ordered = TRUE)
  if (!is.null(d$g)) d$g <- factor(d$g)
  form <- as.formula(case$formula)
  pl <- function() {
    po <- vglm(form, cumulative(parallel = TRUE), data = d, epsilon = 1e-13, maxit = 200)
    ge <- vglm(form, cumulative(parallel = FALSE), data = d, epsilon = 1e-13, maxit = 200)
    2 * (logLik(ge) - logLik(po))
  }
  out[[case$name]] <- c(
    polr = median(times(function() polr(form, d, Hess = TRUE, control = list(reltol = 1e-15, maxit = 10000)))),
    polr_default = median(times(function() polr(form, d, Hess = TRUE))),
    clm = median(times(function() clm(form, data = d, control = clm.control(gradTol = 1e-12)))),
    parallel = median(times(pl)),
    brant = median(times(function() brant_by_hand(form, d))))
}
out
"""


def _brant_r() -> str:
    code = fixture_spec("ordinal_brant")[0]
    return code[: code.index("out <- list()")]  # the function definition only


def _median_time(fn, reps: int) -> float:
    fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def _case(name: str, n: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    if name.startswith("wilkins"):
        rank = rng.permutation(np.arange(1.0, n + 1))
        spend = rng.normal(700, 150, size=n)
        lat = -0.02 * rank + 0.002 * spend + rng.logistic(size=n)
        data = {"rank": rank, "spend": spend}
        formula, levels, q = "y ~ rank + spend", ["inadequate", "requires improvement", "good"], [0.25, 0.75]
    else:
        X = rng.normal(size=(n, 4))
        g = rng.choice(["a", "b", "c"], size=n)
        lat = X @ np.array([0.8, -0.5, 0.3, 0.0]) + 0.4 * (g == "b") + rng.logistic(size=n)
        data = {f"x{j + 1}": X[:, j] for j in range(4)} | {"g": list(g)}
        formula, levels, q = "y ~ x1 + x2 + x3 + x4 + g", ["l1", "l2", "l3", "l4", "l5"], [0.15, 0.4, 0.7, 0.9]
    data["y"] = [levels[i] for i in np.digitize(lat, np.quantile(lat, q))]
    return {"name": name, "formula": formula, "levels": levels, "data": data}


def main(reps: int = 10) -> None:
    cases = [_case("wilkins-like n=87", 87, 1), _case("5 levels, 6 columns, n=2000", 2000, 2)]
    r = call_r(_brant_r() + R_TIMING, {"cases": cases, "reps": reps},
               packages=["MASS", "ordinal", "VGAM"]).value
    print(f"{'case':30s} {'what':34s} {'python s':>10s} {'R s':>10s} {'ratio':>7s}")
    for case in cases:
        d = pd.DataFrame(case["data"])
        d["y"] = pd.Categorical(d["y"], categories=case["levels"], ordered=True)
        fo = case["formula"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = _median_time(lambda: polr(fo, d), reps)  # noqa: B023
            pl = _median_time(lambda: parallel_lines_test(fo, d), reps)  # noqa: B023
            br = _median_time(lambda: brant_test(fo, d), reps)  # noqa: B023
        rr = r[case["name"]]
        for what, py, rt in (("polr vs polr(reltol=1e-15, Hess)", fit, rr["polr"]),
                             ("polr vs polr() defaults", fit, rr["polr_default"]),
                             ("polr vs clm(gradTol=1e-12)", fit, rr["clm"]),
                             ("parallel lines vs 2 x vglm", pl, rr["parallel"]),
                             ("brant vs R script (glm.fit)", br, rr["brant"])):
            print(f"{case['name']:30s} {what:34s} {py:10.4f} {rt:10.4f} {py / max(rt, 1e-9):7.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="BLAS threads on the Python side (0: the library's default); R here runs "
                         "the single-threaded reference BLAS")
    args = ap.parse_args()
    with threadpool_limits(limits=args.blas_threads or None, user_api="blas"):
        main(args.reps)
