"""Benchmark: a 45 x 45 Spearman matrix with exact p-values on n = 47 (the wilkins2020 shape).

Python: :func:`models.correlation.cor_matrix` (vectorised ranks and AS 89 series). R: the
double loop of ``cor.test(method = "spearman")`` that an R user writes, timed inside R with
``proc.time`` (no bridge overhead), and also as seen from Python through the bridge.
Both report the median of ``--reps`` runs; prints the ratio Python / R (target: <= 1).
A second row adds 10% missing values (pairwise complete, so n varies by pair).
Run: ``python benchmarks/bench_correlation.py``.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd

from models.correlation import cor_matrix
from replication.rbridge import call_r

R_LOOP = """
d <- input$data
k <- ncol(d)
one <- function() {
  est <- p <- matrix(NA_real_, k, k)
  for (i in 1:(k - 1)) for (j in (i + 1):k) {
    r <- suppressWarnings(cor.test(d[[i]], d[[j]], method = "spearman"))
    est[i, j] <- r$estimate
    p[i, j] <- r$p.value
  }
  list(est = est[upper.tri(est)], p = p[upper.tri(p)])
}
"""
R_ONCE = R_LOOP + "one()\n"
R_TIMING = R_LOOP + """
res <- one()
times <- sapply(seq_len(input$reps), function(i) {
  t0 <- proc.time()[["elapsed"]]; one(); proc.time()[["elapsed"]] - t0 })
list(seconds = median(times), est = res$est, p = res$p)
"""


def _median_time(fn, reps: int) -> float:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def _python(df: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cor_matrix(df, method="spearman")


def _upper(sq: pd.DataFrame) -> np.ndarray:
    """Column-major upper triangle, R's ``m[upper.tri(m)]`` order."""
    a = sq.to_numpy()
    k = a.shape[0]
    return np.array([a[i, j] for j in range(k) for i in range(j)])


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    ok = ~(np.isnan(a) & np.isnan(b))
    a, b = a[ok], b[ok]
    d = np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-300)
    return float(np.where(a == b, 0.0, d).max())


def main(reps: int = 10) -> None:
    rng = np.random.default_rng(2020)
    n, k = 47, 45
    z = rng.normal(size=(n, 6))
    vals = z @ rng.normal(size=(6, k)) + rng.normal(size=(n, k))
    full = pd.DataFrame(vals, columns=[f"v{j:02d}" for j in range(k)])
    gappy = full.mask(rng.random(size=full.shape) < 0.10)
    print(f"{'case':<58}{'Python s':>10}{'R s':>10}{'R+bridge s':>12}{'Py/R':>7}{'Py/(R+br)':>10}")
    for label, df in (("45x45 Spearman, exact p, n=47 (990 pairs)", full),
                      ("same, 10% missing, pairwise complete", gappy)):
        cm = _python(df)  # warm: imports, caches
        py = _median_time(lambda df=df: _python(df), reps)
        r = call_r(R_TIMING, data={"data": df, "reps": reps}).value
        bridge = _median_time(lambda df=df: call_r(R_ONCE, data={"data": df}), 3)
        r_s = float(r["seconds"][0])
        est_d = _rel(_upper(cm.estimate), np.asarray(r["est"]))
        p_d = _rel(_upper(cm.p_value), np.asarray(r["p"]))
        print(f"{label:<58}{py:>10.4f}{r_s:>10.4f}{bridge:>12.4f}{py / r_s:>7.3f}{py / bridge:>10.3f}")
        print(f"{'':<58}agreement: rho {est_d:.1e}, p {p_d:.1e} (max relative difference)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    main(ap.parse_args().reps)
