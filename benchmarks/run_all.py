"""Run every benchmark script in this folder (each prints Python and R timings and their ratio)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

here = Path(__file__).parent
only = set(sys.argv[1:])
for script in sorted(here.glob("bench_*.py")):
    if only and script.stem.removeprefix("bench_") not in only:
        continue
    print(f"== {script.stem}", flush=True)
    sys.argv = [str(script)]  # the selection above is ours, not the script's
    runpy.run_path(str(script), run_name="__main__")
