"""Benchmark: the group comparisons against their R twins on the same data, in the same run.

t.test (Welch and pooled), one-way aov, TukeyHSD, pairwise.t.test (Bonferroni) and p.adjust
(Holm), on 4 groups of 25 values (the wilkins shapes are smaller). R is timed inside R (no
bridge overhead), Python in-process; both report the median of ``--reps`` calls. Prints the
ratio Python / R (target: <= 1). Run: ``python benchmarks/bench_groups.py``.

TukeyHSD's p-values come from ``models.groups.ptukey``, R's fixed Gauss-Legendre rule
vectorised over the pairs; its exact quantile is cached per (level, k, df), so the timed
calls reuse it (the first call for a new shape costs a few milliseconds more).

Python's BLAS runs one thread by default (``--blas-threads``), like R's reference BLAS here:
on a busy machine OpenBLAS's threads wait for each other and make the timings erratic.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from models.groups import aov, p_adjust, pairwise_t_test, t_test, tukey_hsd
from replication.rbridge import call_r

R_TIMING = """
x <- input$values; g <- factor(input$groups); a <- x[g == "a"]; b <- x[g == "b"]; p <- input$p
times <- function(f) { f(); sapply(seq_len(input$reps), function(i) {
  t0 <- proc.time()[["elapsed"]]; for (j in 1:input$inner) f(); (proc.time()[["elapsed"]] - t0) / input$inner }) }
list(welch = median(times(function() t.test(a, b))),
     pooled = median(times(function() t.test(a, b, var.equal = TRUE))),
     aov = median(times(function() summary(aov(x ~ g)))),
     tukey = median(times(function() TukeyHSD(aov(x ~ g)))),
     pairwise = median(times(function() pairwise.t.test(x, g, p.adjust.method = "bonferroni"))),
     padjust = median(times(function() p.adjust(p, "holm"))))
"""


def _median_time(fn, reps: int, inner: int) -> float:
    fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        out.append((time.perf_counter() - t0) / inner)
    return statistics.median(out)


def main(reps: int = 15, inner: int = 100) -> None:
    rng = np.random.default_rng(2018)
    groups = np.repeat(["a", "b", "c", "d"], 25)
    values = rng.normal(size=100) + (groups == "b") * 0.5
    p = rng.uniform(size=50)
    a, b = values[groups == "a"], values[groups == "b"]
    r = call_r(R_TIMING, {"values": values, "groups": list(groups), "p": p, "reps": reps,
                          "inner": inner}).value
    rows = [
        ("t.test Welch (25 vs 25)", lambda: t_test(a, b), "welch"),
        ("t.test pooled", lambda: t_test(a, b, var_equal=True), "pooled"),
        ("aov one-way (4 x 25)", lambda: aov(values, groups), "aov"),
        ("TukeyHSD (4 groups; quantile cached)", lambda: tukey_hsd(values, groups), "tukey"),
        ("pairwise.t.test bonferroni", lambda: pairwise_t_test(values, groups, p_adjust="bonferroni"),
         "pairwise"),
        ("p.adjust holm (50 p)", lambda: p_adjust(p, "holm"), "padjust"),
    ]
    print(f"{'what':40s} {'python s':>10s} {'R s':>10s} {'ratio':>8s}")
    for what, fn, key in rows:
        py = _median_time(fn, reps, 1 if key == "tukey" else inner)
        rt = float(np.asarray(r[key]).ravel()[0])
        ratio = py / rt if rt > 0 else float("inf")
        print(f"{what:40s} {py:10.6f} {rt:10.6f} {ratio:8.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--inner", type=int, default=100,
                    help="calls per timing (R's clock ticks in milliseconds)")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="BLAS threads on the Python side (0: the library's default); R here runs "
                         "the single-threaded reference BLAS")
    args = ap.parse_args()
    with threadpool_limits(limits=args.blas_threads or None, user_api="blas"):
        main(args.reps, args.inner)
