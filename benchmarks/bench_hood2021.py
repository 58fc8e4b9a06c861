"""Benchmark: the whole hood2021 study against the same GLMM fits in lme4.

Python: ``replication.papers.hood2021.run`` on the synthetic panel (seed 0, 150 LAs): 24
indicators x 4 groups (all LAs and three judgements) x 5 impact models = 480 multilevel
Poisson fits by 7-point adaptive quadrature, plus Figure 1, Table 2 and Figures 2-4 --
timed with 2 joblib workers (the CI machine has 2 cores) and sequentially, with the peak
memory of the main process and of the workers.
R: the same 480 fits with ``lme4::glmer(nAGQ = 7)`` in one R session (fits only, timed inside
R). The ratio Python / R is printed; no assertion (targets: whole study <= 30 s on 2 cores,
memory < 1 GiB).

Environment: CSC_BENCH_NJOBS (default 2), CSC_BENCH_SEED (default 0), CSC_BENCH_R=0 skips R.
"""

from __future__ import annotations

import os
import resource
import time

import numpy as np
import pandas as pd

from models import its
from replication.data import make_panel
from replication.papers import hood2021

N_JOBS = int(os.environ.get("CSC_BENCH_NJOBS", "2"))
SEED = int(os.environ.get("CSC_BENCH_SEED", "0"))
WITH_R = os.environ.get("CSC_BENCH_R", "1") != "0"


def _vm_hwm_mib(pid: int) -> float:
    """Peak resident memory of a live process (Linux /proc), MiB; NaN where unreadable."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return float("nan")


def _worker_peaks() -> list[float]:
    """Peak memory of this process's live child processes (the joblib workers), MiB."""
    pids = set()
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as fh:
                pids.update(int(p) for p in fh.read().split())
    except OSError:
        return []
    return [_vm_hwm_mib(pid) for pid in sorted(pids)]


def python_run(panel, n_jobs: int) -> tuple[float, object]:
    t0 = time.perf_counter()
    res = hood2021.run(panel, n_jobs=n_jobs)
    return time.perf_counter() - t0, res


R_CODE = """
d <- input$d
d$la <- factor(d$la)
models <- input$models
t0 <- proc.time()[["elapsed"]]
n <- 0L
for (ind in unique(d$indicator)) {
  di <- d[d$indicator == ind, ]
  for (g in c("all", "outstanding_good", "requires_improvement", "inadequate")) {
    dg <- if (g == "all") di else di[di$judgement == g, ]
    dg$la <- droplevels(dg$la)
    for (m in names(models)) {
      f <- as.formula(paste("y ~", models[[m]], "+ (1 | la) + offset(off)"))
      suppressWarnings(lme4::glmer(f, data = dg, family = poisson, nAGQ = 7))
      n <- n + 1L
    }
  }
}
c(elapsed = proc.time()[["elapsed"]] - t0, fits = n)
"""


def r_data(panel) -> pd.DataFrame:
    """The rows each study fit uses: response, offset (0 without one), design, LA, judgement."""
    df, kinds, _ = hood2021._analysis_frame(panel, None, {})
    parts = []
    for ind in kinds:
        d = its.segmented_design(df[df["indicator"] == ind])
        d = d[np.isfinite(d["numerator"])]
        off = np.log(d["denominator"]) if d["denominator"].notna().any() else 0.0
        parts.append(pd.DataFrame({
            "indicator": ind, "la": d["la_code"].astype(str), "judgement": d["judgement"],
            "y": d["numerator"], "off": off, "time": d["time"], "step0": d["step0"],
            "step1": d["step1"], "post": d["post"]}))
    return pd.concat(parts, ignore_index=True).dropna()


def main() -> None:
    panel = make_panel(seed=SEED)
    n_fits = len(hood2021.HOOD2021_INDICATORS) * len(hood2021.GROUPS) * len(its.IMPACT_MODELS)
    print(f"hood2021 on {panel!r}: {n_fits} GLMM fits (nAGQ = 7)")

    wall_par, res = python_run(panel, N_JOBS)
    workers = _worker_peaks()
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"python, {N_JOBS} workers: {wall_par:8.2f} s   (target <= 30 s on 2 cores)")
    print(f"peak memory: main {main_peak:.0f} MiB, workers "
          f"{', '.join(f'{w:.0f}' for w in workers) or 'n/a'} MiB, sum "
          f"{main_peak + np.nansum(workers):.0f} MiB   (target < 1024 MiB)")
    n_warn = sum(1 for n in res.notes if n.startswith("Warning in"))
    print(f"tables: {', '.join(res.tables)}; figures: {', '.join(res.figures)}; "
          f"{n_warn} kinds of GLMM warning in the notes")

    wall_seq, _ = python_run(panel, 1)
    print(f"python, sequential:  {wall_seq:8.2f} s")

    if not WITH_R:
        return
    try:
        from replication.rbridge import RNotAvailable, call_r
    except ImportError:  # pragma: no cover
        return
    try:
        out = call_r(R_CODE, data={"d": r_data(panel), "models": dict(its.IMPACT_MODELS)},
                     packages=["lme4"]).value
    except RNotAvailable as exc:
        print(f"R not available ({exc}): no ratio")
        return
    r_time, r_fits = float(out["elapsed"]), int(out["fits"])
    print(f"R lme4, sequential:  {r_time:8.2f} s for {r_fits} fits (fits only)")
    print(f"ratio python/R: sequential {wall_seq / r_time:.2f}; "
          f"{N_JOBS} workers {wall_par / r_time:.2f} (Python times include the whole study)")


if __name__ == "__main__":
    main()
