"""Frozen R outputs in ``fixtures/r/<name>/`` and the only way they change.

Each fixture is a directory holding:

* ``script.R``: the R code that makes it, a body evaluated with ``input`` bound (see
  :func:`replication.rbridge.call_r`). Header comments declare what it needs:
  ``# packages: glmnet, Matrix`` and ``# seed: 20161101``.
* ``input.py`` (optional): ``make_input() -> dict``, deterministic; regeneration
  rewrites ``input.json`` from it.
* ``input.json``: the frozen input, plain JSON.
* ``output.json``: ``{"meta": {...}, "result": ...}``, the R value at full precision with
  the R version, package versions, the seed(s) used, the ``RNGkind()`` in force after the
  script ran, sha256 of ``script.R``, ``input.json`` and ``input.py``, date, backend and the
  command that regenerates it.

``replicate fixtures regen [--only NAME]`` rewrites them, a fixture's files only when R
succeeded; ``replicate fixtures check`` re-runs R on the frozen input and says which side
moved: our script or inputs (hashes), R or a package (versions), or neither (platform, BLAS).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import runpy
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from replication.rbridge.core import _as_list, _decode, _encode, backend, r_versions

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
    return _spec_of(path.read_bytes().decode())


def _spec_of(code: str) -> tuple[str, list[str], int | None]:
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


#: Files whose sha256 output.json records, so that ``check`` can tell when our side moved.
HASHED = ("script.R", "input.json", "input.py")


def _sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def file_hashes(name: str) -> dict[str, str | None]:
    """sha256 of the fixture's ``script.R``, ``input.json`` and ``input.py`` now (None: absent)."""
    d = fixtures_root() / name
    return {f: _sha256((d / f).read_bytes() if (d / f).is_file() else None) for f in HASHED}


def _is_seed_key(key: str) -> bool:
    k = key.lower()
    return k in ("seed", "seeds") or k.endswith(("_seed", "_seeds"))


def input_seeds(inp: Any) -> dict[str, list[int]]:
    """Seeds an input carries, by key path (``cases[].seed``): distinct values, in order."""
    found: dict[str, list[int]] = {}

    def add(path: str, v: Any) -> None:
        if isinstance(v, (list, tuple)):
            for x in v:
                add(path, x)
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer():
            vals = found.setdefault(path, [])
            if int(v) not in vals:
                vals.append(int(v))

    def walk(o: Any, path: str) -> None:
        if isinstance(o, dict):
            for k, v in o.items():
                p = f"{path}.{k}" if path else str(k)
                if _is_seed_key(str(k)):
                    add(p, v)
                else:
                    walk(v, p)
        elif isinstance(o, list):
            for v in o:
                walk(v, f"{path}[]")

    walk(inp, "")
    return found


def _seed_meta(header_seed: int | None, inp: dict[str, Any]) -> tuple[Any, str | None]:
    """(seed, where it came from): the ``# seed:`` header's, else the input's seed(s).

    One distinct seed is recorded as an int, several as a list; none as None.
    """
    if header_seed is not None:
        return header_seed, "script.R header '# seed:' (set.seed by the bridge)"
    found = input_seeds(inp)
    if not found:
        return None, None
    seeds: list[int] = []
    for vals in found.values():
        seeds += [v for v in vals if v not in seeds]
    return (seeds[0] if len(seeds) == 1 else seeds), "input.json: " + ", ".join(found)


# The script is evaluated as the body of a block so that, after it, the same R session
# reports RNGkind() and whether the script drew from (or reseeded) R's RNG. It starts from R's
# default kinds and no .Random.seed, as a fresh Rscript does: an in-process R (rpy2) would
# otherwise carry one fixture's RNGkind() into the next.
_WRAP = """suppressWarnings(RNGkind("Mersenne-Twister", "Inversion", "Rejection"))
if (exists(".Random.seed", envir = globalenv(), inherits = FALSE))
  rm(".Random.seed", envir = globalenv())
{set_seed}
.csc_fx_rng0 <- get0(".Random.seed", envir = globalenv(), inherits = FALSE)
.csc_fx_value <- {{
{code}
}}
list(value = .csc_fx_value, rngkind = RNGkind(),
     rng_used = !identical(.csc_fx_rng0, get0(".Random.seed", envir = globalenv(), inherits = FALSE)))
"""


def _run_raw(name: str, inp: dict[str, Any], code: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Run a fixture's script (or ``code``) on ``inp``; return (raw tagged JSON result, meta)."""
    if code is None:
        code = fixture_spec(name)[0]
    code, packages, seed = _spec_of(code)
    # call_r decodes; we want the raw tagged form on disk, so re-encode through the same path
    from replication.rbridge.core import _run_json  # noqa: PLC0415

    payload = json.dumps(_encode(inp), allow_nan=False)
    set_seed = "" if seed is None else f"set.seed({int(seed)})"  # the script's '# seed:' header
    raw = json.loads(_run_json(payload, _WRAP.format(code=code, set_seed=set_seed),
                               ["jsonlite", *packages], None))
    if "missing_package" in raw:
        from replication.rbridge.core import RNotAvailable, debian_package  # noqa: PLC0415

        p = raw["missing_package"]
        raise RNotAvailable(f"R package {p} is not installed: apt-get install {debian_package(p)}")
    if "error" in raw:
        from replication.rbridge.core import RError  # noqa: PLC0415

        raise RError(f"fixture {name}: R error: {raw['error']}")
    wrapped = raw.get("value") or {}
    used_seed, seed_source = _seed_meta(seed, inp)
    meta = {
        "fixture": name,
        "r_versions": r_versions(packages),
        "packages": packages,
        "seed": used_seed,
        "seed_source": seed_source,
        "rngkind": [str(k) for k in _decode(wrapped.get("rngkind"))],
        "rng_used": bool(np.asarray(_decode(wrapped.get("rng_used"))).ravel()[0]),
        "date": _dt.date.today().isoformat(),
        "backend": backend(),
        "warnings": [str(w) for w in _as_list(raw.get("warnings"))],  # one warning arrives unboxed
        "command": f"replicate fixtures regen --only {name}",
    }
    return wrapped.get("value"), meta


def _replace_all(d: Path, contents: dict[str, bytes]) -> None:
    """Write each file to a temporary beside it, then move them all into place."""
    temps: dict[str, str] = {}
    try:
        for fname, data in contents.items():
            fd, tmp = tempfile.mkstemp(prefix=f".{fname}.", suffix=".tmp", dir=d)
            temps[fname] = tmp
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            target = d / fname
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o777)
            else:
                os.chmod(tmp, 0o644)
        for fname, tmp in temps.items():
            os.replace(tmp, d / fname)
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)


def regen(name: str) -> Fixture:
    """Regenerate one fixture: its input (from input.py if present), then R's output.

    Atomic per fixture: nothing on disk changes unless R succeeded.
    """
    d = fixtures_root() / name
    script = (d / "script.R").read_bytes() if (d / "script.R").is_file() else None
    if script is None:
        fixture_spec(name)  # raises, naming the fixture
    make_py = (d / "input.py").read_bytes() if (d / "input.py").is_file() else None
    if make_py is not None:
        make = runpy.run_path(str(d / "input.py"))["make_input"]
        input_bytes: bytes | None = (json.dumps(_jsonable(make()), indent=1, allow_nan=False) + "\n").encode()
    else:
        input_bytes = (d / "input.json").read_bytes() if (d / "input.json").is_file() else None
    inp = json.loads(input_bytes) if input_bytes is not None else {}
    value, meta = _run_raw(name, inp, script.decode())
    meta["sha256"] = {"script.R": _sha256(script), "input.json": _sha256(input_bytes), "input.py": _sha256(make_py)}
    doc = {"meta": meta, "result": value}
    files = {"output.json": (json.dumps(doc, indent=1) + "\n").encode()}
    if make_py is not None:
        files = {"input.json": input_bytes, **files}
    _replace_all(d, files)
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


def _our_side(name: str, frozen_meta: dict[str, Any]) -> tuple[list[str], bool]:
    """(files of ours whose sha256 differs from the one recorded at regen, recorded at all)."""
    recorded = frozen_meta.get("sha256")
    if not isinstance(recorded, dict):
        return [], False
    now = file_hashes(name)
    moved = []
    for f in HASHED:
        if recorded.get(f) != now[f]:
            moved.append(f"{f} {'added' if recorded.get(f) is None else 'removed' if now[f] is None else 'changed'}")
    return moved, True


def check(name: str, tolerance: float = 1e-12) -> CheckOutcome:
    """Re-run R on a fixture's frozen input and compare with the frozen output.

    A difference is put down to our side (script.R, input.json or input.py changed since
    regen, by sha256), to R's (R or a package version moved), or to neither (platform, BLAS).
    Fixtures frozen before hashes were recorded say so ("not recorded").
    """
    frozen = load_fixture(name)
    ours, recorded = _our_side(name, frozen.meta)
    ours_note = ("our side moved since regen: " + ", ".join(ours)) if ours else (
        "script/input hashes match" if recorded else "script/input hashes not recorded")
    try:
        value, meta = _run_raw(name, frozen.input)
    except Exception as exc:  # report, do not crash the whole check
        return CheckOutcome(name, math.nan, "", "error", f"{exc} ({ours_note})")
    live = _decode(value)
    diff, where = max_rel_diff(frozen.result, live)
    if diff <= tolerance:
        return CheckOutcome(name, diff, where, "same", f"frozen and live R agree ({ours_note})")
    old, new = frozen.meta.get("r_versions", {}), meta["r_versions"]
    moved = [f"{k} {old.get(k)} -> {new.get(k)}" for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]
    why = []
    if ours:
        why.append(ours_note)
    if moved:
        why.append("R's side moved: " + ", ".join(moved))
    if not why:
        if recorded:
            why.append("R's output changed with the same script, inputs, R and package versions "
                       "(platform or BLAS)")
        else:
            why.append("R's output changed with the same R and package versions; script/input hashes "
                       "not recorded (platform, BLAS or the script changed)")
    elif not recorded:
        why.append("script/input hashes not recorded")
    return CheckOutcome(name, diff, where, "moved", "; ".join(why))
