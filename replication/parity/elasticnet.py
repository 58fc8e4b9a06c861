"""Parity of the elastic net and R's fold generator with R.

Rows: the glmnet path (lambda, a0, beta, df, dev.ratio), coefficients and predictions
interpolated at s, cv.glmnet for each type.measure (cvm, cvsd, cvup, cvlo, lambda.min,
lambda.1se, nzero, coefficients), folds drawn from a seed (both sample kinds), runif
streams and sample().

The case runners below turn a fixture case into the Python call; the tests use them too,
so the tests and ``replicate parity`` compare the same things.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from replication.parity import ParityRow

PATH_TOL = 1e-10
"""METHODS.md section 3: the path (same Fortran algorithm; agreement is at rounding, ~1e-15)."""
CV_TOL = 1e-10
"""METHODS.md section 3: cv.glmnet given the same folds."""

PATH_FIXTURE = "elasticnet_path"
CV_FIXTURE = "elasticnet_cv"
FOLD_FIXTURE = "rrandom_foldid"
STREAM_FIXTURE = "rrandom_streams"


SCALE_FLOOR = 1e-4
"""Elements below 1e-4 of their array's largest magnitude are compared relative to that floor
(so to 1e-14 of the array's scale at a 1e-10 tolerance): quantities that are zero in exact
arithmetic (the deviance ratio of the null model, the null intercept for balanced classes)
come out as +-1e-16 rounding noise on either side, and a relative difference of two noises
is meaningless."""


def rel_diff(a: Any, b: Any) -> float:
    """Largest relative difference over the elements, each relative to max(|a|, |b|, floor),
    floor = :data:`SCALE_FLOOR` x the array's largest magnitude (0 where equal; NaN equals
    NaN; a shape mismatch is inf)."""
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        x, y = np.atleast_1d(x).reshape(-1), np.atleast_1d(y).reshape(-1)
        if x.shape != y.shape:
            return math.inf
    if (np.isnan(x) != np.isnan(y)).any():
        return math.inf
    ok = ~np.isnan(x)
    x, y = x[ok], y[ok]
    if x.size == 0:
        return 0.0
    floor = SCALE_FLOOR * max(float(np.abs(x).max()), float(np.abs(y).max()))
    denom = np.maximum(np.maximum(np.abs(x), np.abs(y)), floor)
    d = np.where(x == y, 0.0, np.abs(x - y) / np.where(denom == 0, 1.0, denom))
    return float(d.max())


def same_warning_text(r_message: str) -> str:
    """R's glmnet >= 4.1 says "from glmnet C++ code" where ours runs the Fortran it was ported
    from (older R glmnet said "from glmnet Fortran code"): the rest of the message is R's."""
    return r_message.replace("from glmnet C++ code", "from glmnet Fortran code")


def _matrix(rows: list) -> np.ndarray:
    return np.array(rows, dtype=np.float64)


# ----------------------------------------------------------------------------- case runners


def run_path_case(case: dict) -> dict:
    """Python's counterpart of one ``elasticnet_path`` case (same keys as the R script's output)."""
    from models.elasticnet import glmnet  # noqa: PLC0415

    x = _matrix(case["x"])
    y = np.asarray(case["y"])
    kw: dict[str, Any] = {}
    for k, v in case["args"].items():
        if k == "lambda":
            kw["lambda_"] = np.asarray(v, dtype=float)
        elif k == "penalty_factor":
            kw["penalty_factor"] = np.array([math.inf if t == "Inf" else float(t) for t in v])
        else:
            kw[k] = v
    if case.get("weights") is not None:
        kw["weights"] = np.asarray(case["weights"], dtype=float)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = glmnet(x, y, family=case["family"], **kw)
    s = np.asarray(case["s"], dtype=float)
    newx = x[:5]
    out = {
        "lambda": fit.lambda_,
        "a0": fit.a0.to_numpy(),
        "beta": fit.beta.to_numpy(),
        "df": fit.df,
        "dev_ratio": fit.dev_ratio,
        "nulldev": fit.nulldev,
        "npasses": fit.npasses,
        "jerr": fit.jerr,
        "nobs": fit.nobs,
        "coef_s": fit.coef(s).to_numpy(),
        "link_s": fit.predict(newx, s, type="link"),
        "response_s": fit.predict(newx, s, type="response"),
        "warnings": [str(w.message) for w in caught],
    }
    if case["family"] == "binomial":
        out["class_s"] = fit.predict(newx, s, type="class")
    return out


def cv_case_args(case: dict, datasets: dict) -> tuple[np.ndarray, np.ndarray, dict]:
    """(x, y, keyword arguments of cv_glmnet) for one ``elasticnet_cv`` case."""
    d = datasets[case["data"]]
    kw: dict[str, Any] = {"family": case["family"], "type_measure": case["type_measure"]}
    if case.get("foldid") is not None:
        kw["foldid"] = np.asarray(case["foldid"], dtype=np.int64)
    for k in (
        "grouped",
        "alpha",
        "thresh",
        "alignment",
        "fold_lambda",
        "seed",
        "sample_kind",
        "nfolds",
    ):
        if case.get(k) is not None:
            kw[k] = case[k]
    if case.get("weights") is not None:
        kw["weights"] = np.asarray(case["weights"], dtype=float)
    return _matrix(d["x"]), np.asarray(d["y"], dtype=float), kw


def run_cv_case(case: dict, datasets: dict) -> dict:
    """Python's counterpart of one ``elasticnet_cv`` case."""
    from models.elasticnet import cv_glmnet  # noqa: PLC0415

    x, y, kw = cv_case_args(case, datasets)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cv = cv_glmnet(x, y, keep=True, **kw)
    return {
        "lambda": cv.lambda_,
        "cvm": cv.cvm,
        "cvsd": cv.cvsd,
        "cvup": cv.cvup,
        "cvlo": cv.cvlo,
        "nzero": cv.nzero,
        "lambda_min": cv.lambda_min,
        "lambda_1se": cv.lambda_1se,
        "index": cv.index.to_numpy() + 1,
        "name": cv.name,
        "coef_min": cv.coef("lambda.min").to_numpy(),
        "coef_1se": cv.coef("lambda.1se").to_numpy(),
        "foldid": cv.foldid,
        "warnings": [
            str(w.message) for w in caught if "non-uniform 'Rounding'" not in str(w.message)
        ],
    }


def run_foldid_case(case: dict) -> dict:
    from models.rrandom import r_foldid  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            k: r_foldid(case["n"], case["nfolds"], case["seed"], k)
            for k in ("Rejection", "Rounding")
        }


# ----------------------------------------------------------------------------- comparisons

PATH_KEYS = ("lambda", "a0", "beta", "df", "dev_ratio", "nulldev")
INTERP_KEYS = ("coef_s", "link_s", "response_s")
CV_KEYS = (
    "lambda",
    "cvm",
    "cvsd",
    "cvup",
    "cvlo",
    "nzero",
    "lambda_min",
    "lambda_1se",
    "coef_min",
    "coef_1se",
)


def _reference(name: str, live: bool) -> tuple[Any, dict, str]:
    """(R's result, fixture input, source label): live R on the frozen input, or frozen output."""
    from replication.rbridge import r_available  # noqa: PLC0415
    from replication.rbridge.core import _decode  # noqa: PLC0415
    from replication.rbridge.fixtures import _run_raw, load_fixture  # noqa: PLC0415

    fx = load_fixture(name)
    if live and r_available():
        value, _ = _run_raw(name, fx.input)
        return _decode(value), fx.input, "live R"
    return fx.result, fx.input, f"frozen fixture {name}"


def parity_rows(live: bool) -> list[ParityRow]:
    rows: list[ParityRow] = []
    ref, inp, src = _reference(PATH_FIXTURE, live)
    worst_path, worst_interp = 0.0, 0.0
    for case in inp["cases"]:
        py, r = run_path_case(case), ref[case["name"]]
        worst_path = max(worst_path, *(rel_diff(py[k], r[k]) for k in PATH_KEYS))
        worst_interp = max(worst_interp, *(rel_diff(py[k], r[k]) for k in INTERP_KEYS))
    n = len(inp["cases"])
    rows.append(
        ParityRow(
            "glmnet path (lambda, a0, beta, df, dev.ratio)",
            "glmnet(family=binomial|gaussian)",
            n,
            worst_path,
            PATH_TOL,
            src,
        )
    )
    rows.append(
        ParityRow(
            "glmnet coef/predict at s (lambda.interp)",
            "coef.glmnet, predict.glmnet",
            n,
            worst_interp,
            PATH_TOL,
            src,
        )
    )

    ref, inp, src = _reference(CV_FIXTURE, live)
    by_measure: dict[str, list[float]] = {}
    for case in inp["cases"]:
        py, r = run_cv_case(case, inp["datasets"]), ref[case["name"]]
        d = max(rel_diff(py[k], r[k]) for k in CV_KEYS)
        by_measure.setdefault(f"{case['family']} {case['type_measure']}", []).append(d)
    for label, diffs in sorted(by_measure.items()):
        rows.append(
            ParityRow(
                f"cv.glmnet {label} (cvm, cvsd, lambda.min/1se, nzero, coef)",
                "cv.glmnet(foldid=)",
                len(diffs),
                max(diffs),
                CV_TOL,
                src,
            )
        )

    ref, inp, src = _reference(FOLD_FIXTURE, live)
    mism = 0
    for case, r in zip(inp["cases"], ref, strict=True):
        py = run_foldid_case(case)
        mism += sum(
            not np.array_equal(py[k], np.atleast_1d(r[k])) for k in ("Rejection", "Rounding")
        )
    rows.append(
        ParityRow(
            "r_foldid (folds from set.seed, both sample kinds)",
            "set.seed(s, sample.kind=); sample(rep(seq(k), length.out=n))",
            2 * len(inp["cases"]),
            math.inf if mism else 0.0,
            0.0,
            src,
            note=f"{mism} of {2 * len(inp['cases'])} fold vectors differ" if mism else "identical",
        )
    )

    from models.rrandom import RRNG  # noqa: PLC0415

    ref, inp, src = _reference(STREAM_FIXTURE, live)
    worst = max(
        rel_diff(RRNG(s).runif(inp["n_unif"]), u)
        for s, u in zip(inp["seeds"], ref["unif"], strict=True)
    )
    rows.append(
        ParityRow(
            "runif after set.seed", "set.seed(s); runif(n)", len(inp["seeds"]), worst, 0.0, src
        )
    )
    return rows
