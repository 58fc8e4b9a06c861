"""Benchmark: multinomial logit against its R twins on the same data, in the same run.

``multinom`` (Newton on statsmodels' MNLogit, to a score of 1e-11 n) against
``VGAM::vglm(multinomial)`` run tightly (epsilon 1e-13) and ``nnet::multinom`` with its
defaults (BFGS, reltol 1e-8: less work, less precision); and SPSS's per-effect
likelihood-ratio tests against the same reduced fits in VGAM. R is timed inside R, Python
in-process; medians of ``--reps`` calls. Prints the ratio Python / R (target: <= 1).
Run: ``python benchmarks/bench_multinomial.py``.

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

from models.multinomial import multinom
from replication.rbridge import call_r

R_TIMING = """
suppressMessages({library(VGAM); library(nnet)})
options(contrasts = c("contr.treatment", "contr.poly"))
times <- function(f) { f(); sapply(seq_len(input$reps), function(i) {
  t0 <- proc.time()[["elapsed"]]; f(); proc.time()[["elapsed"]] - t0 }) }
out <- list()
for (case in input$cases) {
  d <- as.data.frame(case$data, stringsAsFactors = FALSE)
  d$y <- factor(d$y, levels = case$levels)
  if (!is.null(d$g)) d$g <- factor(d$g)
  form <- as.formula(case$formula)
  vg <- function(fo) vglm(fo, multinomial(refLevel = 1), data = d, epsilon = 1e-13, maxit = 200)
  lr <- function() {
    full <- vg(form)
    for (eff in attr(terms(form), "term.labels")) vg(update(form, as.formula(paste(". ~ . -", eff))))
    vg(update(form, . ~ . - 1))
  }
  out[[case$name]] <- c(vglm = median(times(function() vg(form))),
                        nnet = median(times(function() multinom(form, d, trace = FALSE, Hess = TRUE))),
                        lr = median(times(lr)))
}
out
"""


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
        eta = np.column_stack([np.zeros(n), 1 - 0.02 * rank + 0.001 * spend,
                               -1 - 0.03 * rank + 0.003 * spend])
        data = {"rank": rank, "spend": spend}
        formula, levels = "y ~ rank + spend", ["inadequate", "requires improvement", "good"]
    else:
        X = rng.normal(size=(n, 4))
        g = rng.choice(["a", "b", "c"], size=n)
        eta = np.column_stack([np.zeros(n)] + [X @ rng.normal(size=4) * 0.5 + 0.4 * (g == "b")
                                               for _ in range(3)])
        data = {f"x{j + 1}": X[:, j] for j in range(4)} | {"g": list(g)}
        formula, levels = "y ~ x1 + x2 + x3 + x4 + g", ["l1", "l2", "l3", "l4"]
    p = np.exp(eta - eta.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    idx = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    data["y"] = [levels[i] for i in idx]
    return {"name": name, "formula": formula, "levels": levels, "data": data}


def main(reps: int = 10) -> None:
    cases = [_case("wilkins-like n=87", 87, 1), _case("4 levels, 7 columns, n=2000", 2000, 2)]
    r = call_r(R_TIMING, {"cases": cases, "reps": reps}, packages=["VGAM", "nnet"]).value
    print(f"{'case':32s} {'what':28s} {'python s':>10s} {'R s':>10s} {'ratio':>7s}")
    for case in cases:
        d = pd.DataFrame(case["data"])
        d["y"] = pd.Categorical(d["y"], categories=case["levels"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = _median_time(lambda d=d, c=case: multinom(c["formula"], d), reps)
            res = multinom(case["formula"], d)
            lr = _median_time(lambda res=res: res.lr_tests(), reps) + fit
        rr = r[case["name"]]
        for what, py, rt in (("fit vs vglm(epsilon=1e-13)", fit, rr["vglm"]),
                             ("fit vs nnet::multinom()", fit, rr["nnet"]),
                             ("fit + LR tests vs vglm", lr, rr["lr"])):
            print(f"{case['name']:32s} {what:28s} {py:10.4f} {rt:10.4f} {py / max(rt, 1e-9):7.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="BLAS threads on the Python side (0: the library's default); R here runs "
                         "the single-threaded reference BLAS")
    args = ap.parse_args()
    with threadpool_limits(limits=args.blas_threads or None, user_api="blas"):
        main(args.reps)
