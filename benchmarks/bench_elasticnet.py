"""Benchmark: cv_glmnet against R's cv.glmnet on the same data and folds, in the same run.

n = 150, p = 30, 10 folds, binomial, type.measure = "deviance" (the hood2016 shape). R is timed
inside R (no bridge overhead), Python in-process; both report the median of ``--reps`` calls.
Prints the ratio Python / R (target: <= 1). Run: ``python benchmarks/bench_elasticnet.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from models.elasticnet import cv_glmnet, glmnet
from models.rrandom import r_foldid
from replication.rbridge import call_r

R_TIMING = """
x <- input$x; y <- input$y; f <- input$foldid
invisible(cv.glmnet(x, y, family = "binomial", foldid = f))
times <- function(expr_fun) sapply(seq_len(input$reps), function(i) {
  t0 <- proc.time()[["elapsed"]]; expr_fun(); proc.time()[["elapsed"]] - t0 })
list(cv = median(times(function() cv.glmnet(x, y, family = "binomial", foldid = f))),
     path = median(times(function() glmnet(x, y, family = "binomial"))),
     folds = { t0 <- proc.time()[["elapsed"]]
               for (i in 1:1000) { set.seed(2016); sample(rep(seq(10), length.out = 150)) }
               (proc.time()[["elapsed"]] - t0) / 1000 })
"""


def _median_time(fn, reps: int) -> float:
    fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def _mean_time(fn, calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def main(reps: int = 30) -> None:
    rng = np.random.default_rng(2016)
    n, p = 150, 30
    x = rng.normal(size=(n, p)) * rng.uniform(0.5, 20, size=p)
    z = (x - x.mean(0)) / x.std(0)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(z[:, 0] - z[:, 1] + 0.5 * z[:, 2])))).astype(float)
    foldid = r_foldid(n, 10, 2016)
    r = call_r(
        R_TIMING, data={"x": x, "y": y, "foldid": foldid, "reps": reps}, packages=["glmnet"]
    ).value
    rows = [
        (
            "cv.glmnet (n=150, p=30, 10 folds, binomial)",
            _median_time(lambda: cv_glmnet(x, y, foldid=foldid), reps),
            float(r["cv"][0]),
        ),
        ("glmnet path (binomial)", _median_time(lambda: glmnet(x, y), reps), float(r["path"][0])),
        (
            "folds: set.seed + sample (mean of 1000)",
            _mean_time(lambda: r_foldid(150, 10, 2016), 1000),
            float(r["folds"][0]),
        ),
    ]
    print(f"{'what':48s} {'python s':>10s} {'R s':>10s} {'ratio':>7s}")
    for what, py, rt in rows:
        ratio = py / rt if rt > 0 else float("inf")
        print(f"{what:48s} {py:10.4f} {rt:10.4f} {ratio:7.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=30)
    main(ap.parse_args().reps)
