"""Transport and conversions of the R bridge (see the package docstring)."""

from __future__ import annotations

import functools
import json
import math
import os
import shutil
import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BRIDGE_R = Path(__file__).with_name("bridge.R")

#: Debian 12 packages providing R and the reference packages.
_DEBIAN = {
    "R": "r-base-core",
    "jsonlite": "r-cran-jsonlite",
    "glmnet": "r-cran-glmnet",
    "lme4": "r-cran-lme4",
    "MASS": "r-cran-mass",
    "nnet": "r-cran-nnet",
    "ordinal": "r-cran-ordinal",
    "VGAM": "r-cran-vgam",
    "Matrix": "r-cran-matrix",
}


def debian_package(r_package: str) -> str:
    """The Debian package that installs an R package (``r-cran-<lowercase name>``)."""
    return _DEBIAN.get(r_package, f"r-cran-{r_package.lower()}")


class RNotAvailable(RuntimeError):
    """R, or an R package the call needs, is not installed."""


class RError(RuntimeError):
    """R signalled an error while evaluating the code."""


@dataclass(frozen=True)
class RResult:
    """What one call to R returned: the decoded value and R's warnings, in order."""

    value: Any
    warnings: tuple[str, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- encoding


def _num_list(a: np.ndarray) -> list:
    return [None if (isinstance(v, float) and math.isnan(v)) else v for v in a.tolist()]


def _encode(obj: Any) -> Any:
    """Python value -> JSON-ready value tagged with the R class it must become."""
    if obj is None:
        return {"__class__": "null"}
    if isinstance(obj, pd.DataFrame):
        dup = obj.columns[obj.columns.duplicated()].unique().tolist()
        if dup:
            raise ValueError(f"cannot send a data frame with duplicate column names to R: {dup}")
        return {
            "__class__": "data.frame",
            "names": [str(c) for c in obj.columns],
            "columns": [_encode(obj[c]) for c in obj.columns],
        }
    if isinstance(obj, pd.Series):
        if isinstance(obj.dtype, pd.CategoricalDtype):
            return _encode(pd.Categorical(obj))
        return _encode(obj.to_numpy())
    if isinstance(obj, pd.Categorical):
        codes = [None if c < 0 else int(c) + 1 for c in obj.codes]
        return {
            "__class__": "factor",
            "levels": [str(x) for x in obj.categories],
            "codes": codes,
            "ordered": bool(obj.ordered),
        }
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return _encode(obj.item())
        if obj.ndim == 2:
            return {
                "__class__": "matrix",
                "nrow": int(obj.shape[0]),
                "ncol": int(obj.shape[1]),
                "data": _encode(np.asarray(obj).ravel(order="F")),
            }
        if obj.ndim != 1:
            raise TypeError(f"cannot send a {obj.ndim}-D array to R")
        kind = obj.dtype.kind
        if kind == "b":
            return {"__class__": "logical", "data": obj.tolist()}
        if kind in "iu":
            return {"__class__": "integer", "data": obj.astype(np.int64).tolist()}
        if kind == "f":
            return {"__class__": "double", "data": _num_list(obj.astype(np.float64))}
        if kind in "OUS":
            vals = [None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v) for v in obj.tolist()]
            return {"__class__": "character", "data": vals}
        raise TypeError(f"cannot send an array of dtype {obj.dtype} to R")
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return {"__class__": "double", "data": [None if math.isnan(obj) else float(obj)]}
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        if not obj:
            return {"__class__": "null"}
        return {str(k): _encode(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if obj and all(isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, bool) for v in obj):
            return _encode(np.asarray(obj, dtype=np.float64 if any(isinstance(v, (float, np.floating)) for v in obj) else np.int64))
        if obj and all(isinstance(v, str) or v is None for v in obj):
            return {"__class__": "character", "data": list(obj)}
        return [_encode(v) for v in obj]
    raise TypeError(f"cannot send a {type(obj).__name__} to R")


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return x if isinstance(x, list) else [x]


_SPECIAL = {"NA": math.nan, "NaN": math.nan, "Inf": math.inf, "-Inf": -math.inf}


def _decode(obj: Any) -> Any:
    """JSON from ``bridge.R`` -> Python: numeric vectors as float/int arrays, names as Series index."""
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    cls = obj.get("__class__")
    if cls is None:
        return {k: _decode(v) for k, v in obj.items()}
    if cls == "null":
        return None
    if cls in ("double", "integer", "logical", "character"):
        raw = obj.get("data", [])
        # jsonlite unboxes a length-1 vector, so a single NA arrives as JSON null
        data = [None] if raw is None else _as_list(raw)
        if cls == "double":
            arr: Any = np.array([_SPECIAL[v] if isinstance(v, str) else v for v in data], dtype=np.float64)
        elif cls == "integer":
            if any(v is None for v in data):
                arr = np.array([math.nan if v is None else v for v in data], dtype=np.float64)
            else:
                arr = np.array(data, dtype=np.int64)
        elif cls == "logical":
            arr = np.array(data, dtype=object if any(v is None for v in data) else bool)
        else:
            arr = list(data)
        names = obj.get("names")
        if names is not None:
            return pd.Series(arr if cls != "character" else arr, index=[str(n) for n in _as_list(names)])
        return arr
    if cls == "factor":
        levels = [str(v) for v in _as_list(obj["levels"])]
        codes = [(-1 if c is None else int(c) - 1) for c in _as_list(obj["codes"])]
        return pd.Categorical.from_codes(codes, categories=levels, ordered=bool(obj.get("ordered")))
    if cls == "matrix":
        data = _decode(obj["data"])
        values = np.asarray(data.to_numpy() if isinstance(data, pd.Series) else data)
        m = values.reshape((obj["nrow"], obj["ncol"]), order="F")
        rn, cn = obj.get("rownames"), obj.get("colnames")
        if rn is not None or cn is not None:
            return pd.DataFrame(m, index=_as_list(rn) or None, columns=_as_list(cn) or None)
        return m
    if cls == "data.frame":
        cols = {}
        for name, col in zip(_as_list(obj["names"]), _as_list(obj["columns"]), strict=True):
            v = _decode(col)
            cols[name] = v.to_numpy() if isinstance(v, pd.Series) else v
        index = _as_list(obj.get("row_names")) or None
        return pd.DataFrame(cols, index=index)
    raise RError(f"unknown class tag from R: {cls}")


# --------------------------------------------------------------------------- transport


@functools.lru_cache(maxsize=1)
def _rscript() -> str | None:
    return shutil.which("Rscript")


def requested_transport() -> str | None:
    """``CSC_RBRIDGE`` as a transport: "rpy2", "Rscript", or None (automatic)."""
    want = os.environ.get("CSC_RBRIDGE", "").strip().lower()
    if want in ("", "auto"):
        return None
    if want == "rpy2":
        return "rpy2"
    if want == "rscript":
        return "Rscript"
    raise ValueError(f"CSC_RBRIDGE must be 'rpy2', 'rscript' or unset, got {os.environ['CSC_RBRIDGE']!r}")


@functools.lru_cache(maxsize=1)
def _rpy2_load():
    """(``.csc_run`` through rpy2, None) or (None, why rpy2 is unusable)."""
    # Starting the embedded R prepends R's library directories to LD_LIBRARY_PATH in this
    # process's environment; a Python started from here (joblib/loky workers) would then load
    # the system's libpython and lose its site-packages. R's libraries are loaded by then.
    ld_path = os.environ.get("LD_LIBRARY_PATH")
    try:
        import rpy2.robjects as ro  # noqa: PLC0415

        ro.r["source"](str(BRIDGE_R))
        return ro.globalenv[".csc_run"], None
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name.split(".")[0] == "rpy2":
            return None, "rpy2 is not installed: pip install 'rpy2>=3.5,<3.6' (needs r-base-dev)"
        return None, f"rpy2 is installed but failed to load: {type(exc).__name__}: {exc}"
    except Exception as exc:  # rpy2 present but R's shared library not loadable, or R failed
        return None, f"rpy2 is installed but failed to load R: {type(exc).__name__}: {exc}"
    finally:
        if ld_path is None:
            os.environ.pop("LD_LIBRARY_PATH", None)
        else:
            os.environ["LD_LIBRARY_PATH"] = ld_path


@functools.lru_cache(maxsize=1)
def _warn_fallback(why: str) -> None:
    warnings.warn(f"R bridge falling back to Rscript: {why} (set CSC_RBRIDGE=rscript to silence, "
                  "or CSC_RBRIDGE=rpy2 to make this an error)", RuntimeWarning, stacklevel=4)


def _rpy2_run():
    """The in-process ``.csc_run`` through rpy2, or None when the Rscript transport is to be used.

    With ``CSC_RBRIDGE=rpy2`` an unusable rpy2 raises :class:`RNotAvailable` naming the cause;
    left unset, an installed rpy2 that cannot load R falls back to Rscript with one warning.
    """
    want = requested_transport()
    if want == "Rscript":
        return None
    run, why = _rpy2_load()
    if run is not None:
        return run
    if want == "rpy2":
        raise RNotAvailable(f"CSC_RBRIDGE=rpy2 but {why}")
    if not why.startswith("rpy2 is not installed"):
        _warn_fallback(why)
    return None


def backend() -> str | None:
    """'rpy2', 'Rscript', or None when R cannot be reached.

    With ``CSC_RBRIDGE=rpy2`` and rpy2 unusable, raises :class:`RNotAvailable` naming why.
    """
    if _rpy2_run() is not None:
        return "rpy2"
    if _rscript() is not None:
        return "Rscript"
    return None


def r_available() -> bool:
    """True when R is installed, reachable by either transport.

    A transport forced by ``CSC_RBRIDGE`` that cannot be used is reported by
    :func:`require_r` (hence by every :func:`call_r`), not here.
    """
    return _rscript() is not None or _rpy2_load()[0] is not None


def require_r() -> None:
    """Raise :class:`RNotAvailable` with the install line when R is absent."""
    if backend() is None:
        raise RNotAvailable(
            "R is not installed (neither rpy2 nor Rscript found): "
            "apt-get install r-base-core r-cran-jsonlite (Debian), then the reference packages"
        )


def _run_json(payload: str, code: str, packages: list[str], seed: int | None,
              transport: str | None = None) -> str:
    if transport not in (None, "rpy2", "Rscript"):
        raise ValueError(f"transport must be 'rpy2', 'Rscript' or None, got {transport!r}")
    if transport == "rpy2":
        run, why = _rpy2_load()
        if run is None:
            raise RNotAvailable(f"transport='rpy2' but {why}")
    else:
        run = None if transport == "Rscript" else _rpy2_run()
    packages_json = json.dumps(packages)
    if run is not None:
        import rpy2.robjects as ro  # noqa: PLC0415

        s = ro.IntVector([seed]) if seed is not None else ro.IntVector([ro.NA_Integer])
        return str(run(payload, code, packages_json, s)[0])
    rscript = _rscript()
    if rscript is None:
        raise RNotAvailable("Rscript is not on PATH: apt-get install r-base-core (or use the rpy2 transport)")
    with tempfile.TemporaryDirectory(prefix="csc-r-") as tmp:
        tmpd = Path(tmp)
        (tmpd / "in.json").write_text(payload)
        (tmpd / "code.R").write_text(code)
        args = [rscript, "--vanilla", str(BRIDGE_R), "--csc-run", str(tmpd / "in.json"),
                str(tmpd / "code.R"), str(tmpd / "out.json"), packages_json]
        if seed is not None:
            args.append(str(int(seed)))
        proc = subprocess.run(args, capture_output=True, text=True)
        out = tmpd / "out.json"
        if proc.returncode != 0 or not out.exists():
            if "jsonlite" in proc.stderr and "there is no package" in proc.stderr:
                raise RNotAvailable("R package jsonlite is missing: apt-get install r-cran-jsonlite")
            raise RError(f"Rscript failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return out.read_text()


def call_r(code: str, data: dict[str, Any] | None = None, packages: tuple[str, ...] | list[str] = (),
           seed: int | None = None, transport: str | None = None) -> RResult:
    """Evaluate R ``code`` with ``input`` bound to ``data`` converted to R; return its value.

    ``packages`` are attached first (a missing one raises :class:`RNotAvailable` naming its
    Debian package). With ``seed``, R runs ``RNGkind("Mersenne-Twister", "Inversion",
    "Rejection"); set.seed(seed)`` first. R errors raise :class:`RError`; R warnings are
    collected in :attr:`RResult.warnings`, in order. ``transport`` forces "rpy2" or
    "Rscript" (default: ``CSC_RBRIDGE``, else rpy2 when it loads, else Rscript).
    """
    require_r()
    payload = json.dumps(_encode({} if data is None else data), allow_nan=False)
    raw = _run_json(payload, code, list(packages), seed, transport)
    out = json.loads(raw)
    if "missing_package" in out:
        p = out["missing_package"]
        raise RNotAvailable(f"R package {p} is not installed: apt-get install {debian_package(p)}")
    warnings = tuple(_as_list(out.get("warnings")))
    if "error" in out:
        raise RError(f"R error: {out['error']}")
    return RResult(value=_decode(out.get("value")), warnings=warnings)


def r_versions(packages: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    """R's version string and each package's version (None-free; missing ones raise)."""
    code = (
        "v <- list(R = paste(R.version$major, R.version$minor, sep = '.'));"
        "for (p in input$packages) v[[p]] <- as.character(utils::packageVersion(p)); v"
    )
    res = call_r(code, {"packages": list(packages)}, packages=list(packages))
    return {k: str(np.asarray(v).ravel()[0] if not isinstance(v, list) else v[0]) for k, v in res.value.items()}
