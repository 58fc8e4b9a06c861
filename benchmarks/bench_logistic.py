"""Benchmark: the binary logit against its R twins on the same data, in the same run.

glm(family = binomial) with a factor (n = 500), MASS's profile confint, step() by AIC from
y ~ 1 over 7 candidates, and SPSS's forward LR stepwise against the same rules written in R
on anova(test = "Rao") and drop1(test = "LRT") (R has no SPSS stepwise of its own). Both
sides converge to epsilon 1e-12 (R: glm.control(epsilon = 1e-12)). R is timed inside R,
Python in-process; medians of ``--reps`` calls (the glm row: of ``--inner`` calls each, since
one fit takes about as long as R's timer resolution). Prints the ratio Python / R (target: <= 1).
Run: ``python benchmarks/bench_logistic.py``.

Python's BLAS runs one thread by default (``--blas-threads``), like R's reference BLAS here:
on a busy machine OpenBLAS's threads wait for each other and make the timings erratic.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from models.logistic import logit, stepwise_logit
from replication.rbridge import call_r

R_TIMING = """
d <- as.data.frame(input$data[c("y", "x1", "x2", "x3", "x4", "x5")])
d$f <- factor(input$data$f); d$b <- factor(input$data$b)
ctl <- glm.control(epsilon = 1e-12, maxit = 100)
times <- function(f, inner = 1) { f(); sapply(seq_len(input$reps), function(i) {
  t0 <- proc.time()[["elapsed"]]; for (j in seq_len(inner)) f()
  (proc.time()[["elapsed"]] - t0) / inner }) }
fit <- function(fo) glm(fo, family = binomial, data = d, control = ctl)
m <- fit(y ~ x1 + x2 + f)
cands <- c("x1", "x2", "x3", "x4", "x5", "f", "b")
spss_forward <- function() {
  model <- character(0); m <- fit(y ~ 1)
  repeat {
    el <- setdiff(cands, model); if (!length(el)) break
    sc <- sapply(el, function(v) { a <- anova(m, update(m, as.formula(paste(". ~ . +", v))), test = "Rao")
                                   pchisq(a$Rao[2], a$Df[2], lower.tail = FALSE) })
    if (min(sc) >= 0.05) break
    model <- c(model, el[which.min(sc)]); m <- fit(reformulate(model, "y"))
    repeat {
      dd <- drop1(m, test = "LRT"); p <- dd[-1, "Pr(>Chi)"]
      if (max(p) <= 0.10) break
      model <- setdiff(model, rownames(dd)[-1][which.max(p)]); m <- fit(reformulate(model, "y"))
    }
  }
  m
}
list(glm = median(times(function() fit(y ~ x1 + x2 + f), input$inner)),
     profile = median(times(function() suppressMessages(confint(m)))),
     step = median(times(function() step(fit(y ~ 1), scope = ~ x1 + x2 + x3 + x4 + x5 + f + b,
                                          direction = "both", trace = 0))),
     spss = median(times(spss_forward)))
"""


def _median_time(fn, reps: int, inner: int = 1) -> float:
    fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        out.append((time.perf_counter() - t0) / inner)
    return statistics.median(out)


def main(reps: int = 10, inner: int = 20) -> None:
    rng = np.random.default_rng(2020)
    n = 500
    x = {f"x{i}": rng.normal(size=n) for i in range(1, 5)}
    x["x5"] = x["x1"] + x["x2"] + rng.normal(0, 0.5, n)
    f = rng.choice(["p", "q", "r"], n)
    b = rng.choice(["no", "yes"], n)
    lin = -0.3 + 1.0 * x["x1"] + 0.6 * x["x2"] + 0.2 * x["x3"] + np.where(f == "r", 0.7, 0.0)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-lin))).astype(float)
    d = pd.DataFrame({"y": y, **x, "f": f, "b": b})
    r = call_r(R_TIMING, {"data": {c: (d[c].to_numpy() if d[c].dtype.kind == "f" else list(d[c]))
                                   for c in d.columns}, "reps": reps, "inner": inner},
               packages=["MASS"]).value
    cands = ["x1", "x2", "x3", "x4", "x5", "f", "b"]
    rows = [
        ("glm binomial (n=500, 5 coefficients)", lambda: logit("y ~ x1 + x2 + f", d), "glm"),
        ("profile confint (MASS)", lambda: logit("y ~ x1 + x2 + f", d, conf_method="profile"), "profile"),
        ("step() by AIC, 7 candidates", lambda: stepwise_logit(d, "y", cands, method="aic"), "step"),
        ("SPSS forward LR vs the rules in R", lambda: stepwise_logit(d, "y", cands), "spss"),
    ]
    print(f"{'what':40s} {'python s':>10s} {'R s':>10s} {'ratio':>8s}")
    for what, fn, key in rows:
        py = _median_time(fn, reps, inner if key == "glm" else 1)
        rt = float(np.asarray(r[key]).ravel()[0])
        ratio = py / rt if rt > 0 else float("inf")
        print(f"{what:40s} {py:10.4f} {rt:10.4f} {ratio:8.2f}")
    print("(profile: Python's time includes the fit; R's is confint() alone)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--inner", type=int, default=20, help="calls per timing of the glm row")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="BLAS threads on the Python side (0: the library's default); R here runs "
                         "the single-threaded reference BLAS")
    args = ap.parse_args()
    with threadpool_limits(limits=args.blas_threads or None, user_api="blas"):
        main(args.reps, args.inner)
