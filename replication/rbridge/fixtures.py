"""Frozen R outputs in ``fixtures/r/<name>/`` and the only way they change.

Each fixture is a directory holding:

* ``script.R``: the R code that makes it, a body evaluated with ``input`` bound (see
  :func:`replication.rbridge.call_r`). Header comments declare what it needs:
  ``# packages: glmnet, Matrix`` and ``# seed: 20161101``.
* ``input.py`` (optional): ``make_input() -> dict``, deterministic; regeneration
  rewrites ``input.json`` from it.
* ``input.json``: the frozen input, plain JSON.
* ``output.json``: ``{"meta": {...}, "result": ...}``, the R value at full precision with
  the R version, package versions, seed, RNGkind, date, backend and the command that
  regenerates it.

``replicate fixtures regen [--only NAME]`` rewrites them; ``replicate fixtures check``
re-runs R on the frozen input and says which side moved.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from replication.rbridge.core import _decode, _encode, backend, r_versions

RNGKIND = ("Mersenne-Twister", "Inversion", "Rejection")


def fixtures_root() -> Path:
    """``fixtures/r`` of the source tree (or ``$CSC_FIXTURES_DIR``)."""
    env = os.environ.get("CSC_FIXTURES_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "fixtures" / "r"


@dataclass(frozen=True)
class Fixture:
    """One frozen fixture: its decoded input, decoded R result and provenance."""

    name: str
    input: dict[str, Any]
    result: Any
    meta: dict[str, Any]


def _header(script: str, key: str) -> str | None:
    for line in script.splitlines():
        line = line.strip()
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    return None


def fixture_names() -> list[str]:
    root = fixtures_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "script.R").is_file())


def fixture_spec(name: str) -> tuple[str, list[str], int | None]:
    """(R code, packages, seed) declared by a fixture's ``script.R``."""
    path = fixtures_root() / name / "script.R"
    if not path.is_file():
        raise FileNotFoundError(f"no fixture named {name!r} (looked for {path.name} in fixtures/r/{name})")
    code = path.read_text()
    pk = _header(code, "packages")
    packages = [p.strip() for p in pk.split(",") if p.strip()] if pk else []
    sd = _header(code, "seed")
    return code, packages, (int(sd) if sd else None)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return None if math.isnan(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def load_input(name: str) -> dict[str, Any]:
    path = fixtures_root() / name / "input.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def load_fixture(name: str) -> Fixture:
    """The frozen fixture ``name`` (raises FileNotFoundError naming the regen command)."""
    out = fixtures_root() / name / "output.json"
    if not out.is_file():
        raise FileNotFoundError(f"fixture {name!r} has no output.json: run `replicate fixtures regen --only {name}`")
    doc = json.loads(out.read_text())
    return Fixture(name=name, input=load_input(name), result=_decode(doc["result"]), meta=doc["meta"])


def _run_raw(name: str, inp: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Run a fixture's script on ``inp``; return (raw tagged JSON result, meta)."""
    code, packages, seed = fixture_spec(name)
    # call_r decodes; we want the raw tagged form on disk, so re-encode through the same path
    from replication.rbridge.core import _run_json  # noqa: PLC0415

    payload = json.dumps(_encode(inp), allow_nan=False)
    raw = json.loads(_run_json(payload, code, ["jsonlite", *packages], seed))
    if "missing_package" in raw:
        from replication.rbridge.core import RNotAvailable, debian_package  # noqa: PLC0415

        p = raw["missing_package"]
        raise RNotAvailable(f"R package {p} is not installed: apt-get install {debian_package(p)}")
    if "error" in raw:
        from replication.rbridge.core import RError  # noqa: PLC0415

        raise RError(f"fixture {name}: R error: {raw['error']}")
    meta = {
        "fixture": name,
        "r_versions": r_versions(packages),
        "packages": packages,
        "seed": seed,
        "rngkind": list(RNGKIND) if seed is not None else None,
        "date": _dt.date.today().isoformat(),
        "backend": backend(),
        "warnings": list(raw.get("warnings") or []),
        "command": f"replicate fixtures regen --only {name}",
    }
    return raw.get("value"), meta


def regen(name: str) -> Fixture:
    """Regenerate one fixture: its input (from input.py if present), then R's output."""
    d = fixtures_root() / name
    if (d / "input.py").is_file():
        make = runpy.run_path(str(d / "input.py"))["make_input"]
        inp = _jsonable(make())
        (d / "input.json").write_text(json.dumps(inp, indent=1, allow_nan=False) + "\n")
    inp = load_input(name)
    value, meta = _run_raw(name, inp)
    doc = {"meta": meta, "result": value}
    (d / "output.json").write_text(json.dumps(doc, indent=1) + "\n")
    return load_fixture(name)


def max_rel_diff(a: Any, b: Any, path: str = "") -> tuple[float, str]:
    """Largest relative difference between two decoded R values, and where it is.

    Structure mismatches count as infinite. NaN equals NaN.
    """
    if isinstance(a, pd.Series):
        a = a.to_numpy()
    if isinstance(b, pd.Series):
        b = b.to_numpy()
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        if list(a.columns) != list(b.columns) or len(a) != len(b):
            return math.inf, path
        worst = (0.0, path)
        for c in a.columns:
            worst = max(worst, max_rel_diff(a[c].to_numpy(), b[c].to_numpy(), f"{path}.{c}"), key=lambda t: t[0])
        return worst
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return math.inf, f"{path} (keys differ)"
        worst = (0.0, path)
        for k in a:
            worst = max(worst, max_rel_diff(a[k], b[k], f"{path}.{k}"), key=lambda t: t[0])
        return worst
    if isinstance(a, list) and isinstance(b, list) and not (a and isinstance(a[0], (str, type(None)))):
        if len(a) != len(b):
            return math.inf, path
        worst = (0.0, path)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            worst = max(worst, max_rel_diff(x, y, f"{path}[{i}]"), key=lambda t: t[0])
        return worst
    try:
        x = np.asarray(a, dtype=np.float64)
        y = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return (0.0, path) if list(np.asarray(a, dtype=object).ravel()) == list(np.asarray(b, dtype=object).ravel()) else (math.inf, path)
    if x.shape != y.shape:
        return math.inf, path
    both_nan = np.isnan(x) & np.isnan(y)
    if (np.isnan(x) != np.isnan(y)).any():
        return math.inf, path
    x, y = x[~both_nan], y[~both_nan]
    if x.size == 0:
        return 0.0, path
    same = x == y
    denom = np.maximum(np.abs(x), np.abs(y))
    with np.errstate(invalid="ignore"):
        rel = np.where(same, 0.0, np.abs(x - y) / np.where(denom == 0, 1.0, denom))
    return float(rel.max()), path


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    max_rel_diff: float
    where: str
    status: str  # "same" | "moved" | "error"
    message: str


def check(name: str, tolerance: float = 1e-12) -> CheckOutcome:
    """Re-run R on a fixture's frozen input and compare with the frozen output."""
    frozen = load_fixture(name)
    try:
        value, meta = _run_raw(name, frozen.input)
    except Exception as exc:  # report, do not crash the whole check
        return CheckOutcome(name, math.nan, "", "error", str(exc))
    live = _decode(value)
    diff, where = max_rel_diff(frozen.result, live)
    if diff <= tolerance:
        return CheckOutcome(name, diff, where, "same", "frozen and live R agree")
    old, new = frozen.meta.get("r_versions", {}), meta["r_versions"]
    moved = [f"{k} {old.get(k)} -> {new.get(k)}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    if moved:
        why = "R's side moved: " + ", ".join(moved)
    else:
        why = "R's output changed with the same R and package versions (platform, BLAS or the script changed)"
    return CheckOutcome(name, diff, where, "moved", why)
