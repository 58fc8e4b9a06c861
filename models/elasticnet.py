"""Elastic net as R's glmnet computes it: ``glmnet``, ``cv.glmnet`` and their methods.

* :func:`glmnet` wraps python-glmnet's copy of glmnet's own Fortran (``glmnet._glmnet``:
  ``lognet`` for "binomial", ``elnet`` for "gaussian"), called with the arguments R's
  ``glmnet()``, ``lognet()`` and ``elnet()`` pass: the lambda sequence (``flmin``/``ulam``),
  ``dfmax``/``pmax``, bounds, exclusions of infinite penalty factors, weights folded into
  the binomial response, and R's ``fix.lam`` of the first lambda. R >= 4.1 runs a C++ port
  of the same code; their paths agree to rounding.
* :func:`cv_glmnet` is ``cv.glmnet`` written here (no library reproduces it): fold fits,
  ``buildPredmat`` (``lambda.interp``), ``cv.lognet``/``cv.elnet``, ``cvcompute``,
  ``cvstats`` and ``getOptcv.glmnet`` of glmnet 4.1, including the switch to ungrouped
  when folds hold fewer than 3 observations and the AUC fallback, with R's warnings.
  ``fold_lambda="full"`` reproduces glmnet < 3.0 instead (folds fitted on the full-data
  lambda sequence, as in published work run with glmnet 2.0).
* Folds: ``foldid``, or ``seed`` giving exactly R's ``set.seed(seed, sample.kind=...);
  sample(rep(seq(nfolds), length.out = n))`` (:func:`models.rrandom.r_foldid`).

Argument names follow R's in snake_case (``lambda_min_ratio``, ``type_measure``); ``lambda_``
is R's ``lambda``. Results carry R's names (``lambda_``, ``a0``, ``beta``, ``df``,
``dev_ratio``, ``cvm``, ``cvsd``, ``lambda_min``, ``lambda_1se``) and broom's ``tidy()`` /
``glance()``. Indices (``index``) are 0-based, where R's are 1-based.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models._result import TidyResult, make_glance, make_tidy
from models.rrandom import RRNG, r_foldid

__all__ = [
    "CVGlmnet",
    "GlmnetFit",
    "cv_glmnet",
    "glmnet",
    "lambda_interp",
]

FAMILIES: tuple[str, ...] = ("binomial", "gaussian")
TYPE_MEASURES: tuple[str, ...] = ("default", "mse", "deviance", "class", "auc", "mae")
_BIG = 9.9e35  # glmnet.control()$big: the "infinite" coefficient bounds
_PROB_MIN = 1e-5  # cv.lognet clamps probabilities to [1e-5, 1 - 1e-5] for the deviance
_DOUBLE_EPS = np.finfo(float).eps
_EXTRA_GLMNET_ARGS = (
    "nlambda",
    "lambda_min_ratio",
    "standardize",
    "intercept",
    "thresh",
    "maxit",
    "penalty_factor",
    "dfmax",
    "pmax",
)


# =============================================================================== input checks


def _as_matrix(x: Any, what: str = "x") -> tuple[np.ndarray, list[str], bool]:
    """A float64 matrix, its column names (V1..Vp for arrays, as R), and whether it was a frame."""
    if isinstance(x, pd.DataFrame):
        for col in x.columns:
            kind = x[col].dtype.kind
            if kind not in "biuf":
                raise TypeError(f"{what} column {col!r} is not numeric (dtype {x[col].dtype})")
        names = [str(c) for c in x.columns]
        mat = x.to_numpy(dtype=np.float64)
        framed = True
    else:
        mat = np.asarray(x)
        if mat.dtype.kind not in "biuf":
            raise TypeError(f"{what} must be numeric, got dtype {mat.dtype}")
        mat = mat.astype(np.float64)
        if mat.ndim != 2:
            raise ValueError(f"{what} should be a matrix with 2 or more columns (got {mat.ndim}-D)")
        names = [f"V{j + 1}" for j in range(mat.shape[1])]
        framed = False
    if mat.ndim != 2:
        raise ValueError(f"{what} should be a matrix with 2 or more columns")
    bad = ~np.isfinite(mat)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        i = int(np.flatnonzero(bad[:, j])[0])
        kind = "missing values (NaN)" if np.isnan(mat[i, j]) else "infinite values"
        cols = [names[k] for k in np.flatnonzero(bad.any(axis=0))]
        raise ValueError(
            f"{what} has {kind} in column {names[j]!r} (first at row {i}); "
            f"columns with non-finite values: {cols}. Impute or drop them first."
        )
    return mat, names, framed


def _check_weights(weights: Any, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.size != n:
        raise ValueError(
            f"number of elements in weights ({w.size}) not equal to the number of rows of x ({n})"
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return w


@dataclass(frozen=True)
class _Response:
    y: np.ndarray  # binomial: 1.0 for the second class, else 0.0; gaussian: the values
    classes: np.ndarray | None  # binomial: the two class labels, in R's factor order


def _check_y(y: Any, n: int, family: str) -> _Response:
    if isinstance(y, pd.DataFrame):
        raise ValueError("y must be a vector (one column)")
    if isinstance(y, pd.Series):
        y = y.array if isinstance(y.dtype, pd.CategoricalDtype) else y.to_numpy()
    if family == "gaussian":
        v = np.asarray(y)
        if v.dtype.kind not in "biuf":
            raise TypeError(f"gaussian y must be numeric, got dtype {v.dtype}")
        v = v.astype(np.float64).reshape(-1)
        if v.size != n:
            raise ValueError(
                f"number of observations in y ({v.size}) not equal to the number of rows of x ({n})"
            )
        if not np.isfinite(v).all():
            row = int(np.flatnonzero(~np.isfinite(v))[0])
            raise ValueError(f"y has missing or infinite values (first at row {row})")
        return _Response(v, None)
    if isinstance(y, pd.Categorical):
        if (y.codes < 0).any():
            raise ValueError(
                f"y has missing values (first at row {int(np.flatnonzero(y.codes < 0)[0])})"
            )
        classes = np.asarray(y.categories)
        codes = np.asarray(y.codes)
    else:
        v = np.asarray(y).reshape(-1)
        if v.dtype.kind == "f" and np.isnan(v).any():
            raise ValueError(
                f"y has missing values (first at row {int(np.flatnonzero(np.isnan(v))[0])})"
            )
        if v.dtype.kind == "O" and any(
            t is None or (isinstance(t, float) and math.isnan(t)) for t in v
        ):
            raise ValueError("y has missing values")
        classes, codes = np.unique(v, return_inverse=True)
    if codes.size != n:
        raise ValueError(
            f"number of observations in y ({codes.size}) not equal to the number of rows of x ({n})"
        )
    if classes.size > 2:
        raise ValueError(
            "More than two classes; use multinomial family instead in call to glmnet "
            f"(y has {classes.size} distinct values)"
        )
    if classes.size < 2:
        raise ValueError(f"binomial y needs two classes; y has only {list(classes)}")
    return _Response(codes.astype(np.float64), classes)


def _check_class_sizes(y01: np.ndarray) -> None:
    """R's lognet: error below 2 members in a class, warning below 8 (zero weights count)."""
    counts = (int(np.sum(y01 == 0)), int(np.sum(y01 == 1)))
    smallest = min(counts)
    if smallest <= 1:
        raise ValueError("one multinomial or binomial class has 1 or 0 observations; not allowed")
    if smallest < 8:
        warnings.warn(
            "one multinomial or binomial class has fewer than 8  observations; dangerous ground",
            UserWarning,
            stacklevel=4,
        )


# =============================================================================== the path


@dataclass(frozen=True)
class GlmnetPath:
    """The numbers of one glmnet path (R's ``a0``, ``beta``, ``lambda``, ... as arrays)."""

    lambda_: np.ndarray  # L
    a0: np.ndarray  # L
    beta: np.ndarray  # p x L, original units
    df: np.ndarray  # L, number of non-zero coefficients
    dev_ratio: np.ndarray  # L
    nulldev: float
    npasses: int
    jerr: int


def _jerr_message(n: int, maxit: int, pmax: int, family: str) -> tuple[bool, str]:
    """(fatal, message) as R's ``jerr.elnet`` / ``jerr.lognet`` word them."""
    if n > 0:
        if n < 7777:
            msg = "Memory allocation error; contact package maintainer"
        elif n == 7777:
            msg = "All used predictors have zero variance"
        elif n == 10000:
            msg = "All penalty factors are <= 0"
        elif family == "binomial" and 8000 < n < 9000:
            msg = f"Null probability for class {n - 8000} < 1.0e-5"
        elif family == "binomial" and 9000 < n < 10000:
            msg = f"Null probability for class {n - 9000} > 1.0 - 1.0e-5"
        else:
            msg = "Unknown error"
        fatal = True
    else:
        if n > -10000:
            msg = (
                f"Convergence for {-n}th lambda value not reached after maxit={maxit} iterations; "
                "solutions for larger lambdas returned"
            )
        else:
            msg = (
                f"Number of nonzero coefficients along the path exceeds pmax={pmax} at "
                f"{-n - 10000}th lambda value; solutions for larger lambdas returned"
            )
        if family == "binomial" and n < -20000:
            msg = (
                f"Max(p(1-p),1.0e-6 at  {-n - 20000} th value of lambda; solutions for larger "
                "values of lambda returned"
            )
        fatal = False
    return fatal, f"from glmnet Fortran code (error code {n}); {msg}"


def _fit_path(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    family: str,
    *,
    alpha: float = 1.0,
    nlambda: int = 100,
    lambda_min_ratio: float | None = None,
    lambda_: np.ndarray | None = None,
    standardize: bool = True,
    intercept: bool = True,
    thresh: float = 1e-7,
    maxit: int = 100000,
    penalty_factor: np.ndarray | None = None,
    dfmax: int | None = None,
    pmax: int | None = None,
) -> GlmnetPath:
    """One glmnet path on checked inputs (R's ``glmnet`` -> ``lognet``/``elnet`` -> Fortran)."""
    from glmnet import _glmnet  # noqa: PLC0415  (python-glmnet's Fortran)

    nobs, nvars = X.shape
    if alpha > 1:
        warnings.warn("alpha >1; set to 1", UserWarning, stacklevel=3)
        alpha = 1.0
    if alpha < 0:
        warnings.warn("alpha<0; set to 0", UserWarning, stacklevel=3)
        alpha = 0.0
    vp = (
        np.ones(nvars)
        if penalty_factor is None
        else np.asarray(penalty_factor, dtype=np.float64).copy()
    )
    if vp.size != nvars:
        raise ValueError("the length of penalty.factor does not match the number of variables")
    if np.isnan(vp).any() or (vp < 0).any():
        raise ValueError("penalty_factor must be non-negative")
    excluded = np.flatnonzero(np.isinf(vp)) + 1
    if excluded.size:
        vp[excluded - 1] = 1.0
        jd = np.concatenate([[excluded.size], excluded]).astype(np.int32)
    else:
        jd = np.zeros(1, dtype=np.int32)
    ne = nvars + 1 if dfmax is None else int(dfmax)
    nx = min(ne * 2 + 20, nvars) if pmax is None else int(pmax)
    cl = np.asfortranarray(np.vstack([np.full(nvars, -_BIG), np.full(nvars, _BIG)]))
    if lambda_ is None:
        if lambda_min_ratio is None:
            lambda_min_ratio = 0.01 if nobs < nvars else 1e-4
        if lambda_min_ratio >= 1:
            raise ValueError("lambda.min.ratio should be less than 1")
        flmin, ulam, nlam = float(lambda_min_ratio), np.zeros(1), int(nlambda)
    else:
        lam = np.asarray(lambda_, dtype=np.float64).reshape(-1)
        if lam.size == 0 or np.isnan(lam).any() or (lam < 0).any():
            raise ValueError("lambdas should be non-negative")
        flmin, ulam, nlam = 1.0, np.sort(lam)[::-1].copy(), lam.size
    Xf = np.array(X, dtype=np.float64, order="F", copy=True)  # the Fortran standardises in place
    if family == "binomial":
        yw = np.column_stack([y * w, (1.0 - y) * w])  # R: second class first, times weights
        keep = yw.sum(axis=1) > 0
        if not keep.all():
            yw, Xf = yw[keep], np.asfortranarray(Xf[keep])
        out = _glmnet.lognet(
            float(alpha),
            1,
            Xf,
            np.asfortranarray(yw),
            np.zeros((yw.shape[0], 2), order="F"),
            jd,
            vp,
            cl,
            nx,
            flmin,
            ulam,
            float(thresh),
            ne=ne,
            nlam=nlam,
            isd=int(bool(standardize)),
            intr=int(bool(intercept)),
            maxit=int(maxit),
            kopt=0,
        )
        lmu, a0, ca, ia, nin, dev0, dev, alm, nlp, jerr = out
        a0, ca, nulldev = a0[0], ca[:, 0, :], float(dev0[0])
    elif family == "gaussian":
        ybar = float(np.sum(w * y) / np.sum(w)) if intercept else 0.0
        nulldev = float(np.sum(w * (y - ybar) ** 2))
        if nulldev == 0:
            raise ValueError("y is constant; gaussian glmnet fails at standardization step")
        ka = 1 if nvars < 500 else 2
        out = _glmnet.elnet(
            ka,
            float(alpha),
            Xf,
            np.array(y, dtype=np.float64, copy=True),
            np.array(w, dtype=np.float64, copy=True),
            jd,
            vp,
            cl,
            nx,
            flmin,
            ulam,
            float(thresh),
            ne=ne,
            nlam=nlam,
            isd=int(bool(standardize)),
            intr=int(bool(intercept)),
            maxit=int(maxit),
        )
        lmu, a0, ca, ia, nin, dev, alm, nlp, jerr = out
    else:  # pragma: no cover - checked by callers
        raise ValueError(f"family must be one of {FAMILIES}")
    lmu, jerr = int(lmu), int(jerr)
    if jerr != 0:
        fatal, msg = _jerr_message(jerr, int(maxit), nx, family)
        if fatal:
            raise RuntimeError(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)
    if lmu < 1:
        warnings.warn(
            "an empty model has been returned; probably a convergence issue",
            UserWarning,
            stacklevel=3,
        )
        return GlmnetPath(
            np.array([np.inf]),
            np.asarray(a0[:1], dtype=float),
            np.zeros((nvars, 1)),
            np.zeros(1, dtype=np.int64),
            np.zeros(1),
            nulldev,
            int(nlp),
            jerr,
        )
    beta = np.zeros((nvars, lmu))
    for k in range(lmu):
        m = int(nin[k])
        if m:
            beta[ia[:m] - 1, k] = ca[:m, k]
    lam = np.array(alm[:lmu], dtype=np.float64)
    if (
        lambda_ is None and lam.size > 2
    ):  # R's fix.lam: the first lambda is "infinity" in the Fortran
        llam = np.log(lam)
        lam[0] = math.exp(2 * llam[1] - llam[2])
    return GlmnetPath(
        lambda_=lam,
        a0=np.array(a0[:lmu], dtype=np.float64),
        beta=beta,
        df=(beta != 0).sum(axis=0).astype(np.int64),
        dev_ratio=np.array(dev[:lmu], dtype=np.float64),
        nulldev=nulldev,
        npasses=int(nlp),
        jerr=jerr,
    )


def lambda_interp(lambda_: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R's ``lambda.interp``: (left, right, frac), 0-based, for coefficients at ``s``.

    The coefficient at ``s`` is ``frac * coef[left] + (1 - frac) * coef[right]``, linear in
    lambda between path values; outside the path, the nearest end.
    """
    lam = np.asarray(lambda_, dtype=np.float64)
    s = np.atleast_1d(np.asarray(s, dtype=np.float64))
    if lam.size == 1:
        z = np.zeros(s.size, dtype=np.int64)
        return z, z.copy(), np.ones(s.size)
    k = lam.size
    sfrac = (lam[0] - s) / (lam[0] - lam[k - 1])
    lamn = (lam[0] - lam) / (lam[0] - lam[k - 1])
    sfrac = np.clip(sfrac, lamn.min(), lamn.max())
    # approx(lamn, seq_along(lamn), sfrac): R's bisection then linear interpolation
    i = np.clip(np.searchsorted(lamn, sfrac, side="right") - 1, 0, k - 2)
    j = i + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        coord = (i + 1) + 1.0 * ((sfrac - lamn[i]) / (lamn[j] - lamn[i]))
    coord = np.where(sfrac == lamn[j], j + 1.0, np.where(sfrac == lamn[i], i + 1.0, coord))
    left = np.floor(coord).astype(np.int64) - 1
    right = np.ceil(coord).astype(np.int64) - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (sfrac - lamn[right]) / (lamn[left] - lamn[right])
    frac = np.where(left == right, 1.0, frac)
    frac = np.where(np.abs(lamn[left] - lamn[right]) < _DOUBLE_EPS, 1.0, frac)
    return left, right, frac


def _coef_matrix(path: GlmnetPath, s: np.ndarray | None) -> np.ndarray:
    """(p + 1) x k coefficients (intercept first), at the path's lambdas or interpolated at s."""
    nbeta = np.vstack([path.a0[None, :], path.beta])
    if s is None:
        return nbeta
    left, right, frac = lambda_interp(path.lambda_, s)
    return nbeta[:, left] * frac + nbeta[:, right] * (1.0 - frac)


def _link(path: GlmnetPath, X: np.ndarray, s: np.ndarray | None) -> np.ndarray:
    b = _coef_matrix(path, s)
    return b[0][None, :] + X @ b[1:]


# =============================================================================== glmnet


def _check_family(family: str) -> str:
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    return family


def _s_array(s: Any) -> tuple[np.ndarray | None, bool]:
    """(s as an array or None, whether s was a scalar)."""
    if s is None:
        return None, False
    arr = np.asarray(s, dtype=np.float64)
    if np.isnan(arr).any():
        raise ValueError("s must not be NaN")
    return np.atleast_1d(arr).reshape(-1), arr.ndim == 0


class GlmnetFit(TidyResult):
    """A glmnet path, as R's ``glmnet`` object.

    Attributes (R's names): ``lambda_``, ``a0`` (Series by step ``s0``..), ``beta``
    (DataFrame p x L, original units), ``df``, ``dev_ratio``, ``nulldev``, ``npasses``,
    ``jerr``, ``nobs``, ``classes`` (binomial: the two labels, the second is "1"),
    ``family``, ``alpha``; ``path`` holds the same numbers as a frozen dataclass.
    """

    def __init__(
        self,
        path: GlmnetPath,
        names: list[str],
        family: str,
        classes: np.ndarray | None,
        nobs: int,
        alpha: float,
        framed: bool,
    ):
        self.path = path
        self.names = list(names)
        self.family = family
        self.classes = classes
        self.nobs = int(nobs)
        self.alpha = float(alpha)
        self._framed = framed
        steps = [f"s{k}" for k in range(path.lambda_.size)]
        self.lambda_ = path.lambda_
        self.a0 = pd.Series(path.a0, index=steps, name="a0")
        self.beta = pd.DataFrame(path.beta, index=self.names, columns=steps)
        self.df = path.df
        self.dev_ratio = path.dev_ratio
        self.nulldev = path.nulldev
        self.npasses = path.npasses
        self.jerr = path.jerr

    def __repr__(self) -> str:
        return (
            f"GlmnetFit(family={self.family!r}, alpha={self.alpha}, nobs={self.nobs}, "
            f"p={len(self.names)}, n_lambda={self.lambda_.size})"
        )

    # ------------------------------------------------------------------ R's methods
    def coef(self, s: Any = None) -> pd.Series | pd.DataFrame:
        """R's ``coef(fit, s)``: "(Intercept)" then the predictors.

        ``s=None``: every step (columns s0..); a scalar: a Series; a sequence: columns s1..sk,
        interpolated in lambda as R's ``lambda.interp``.
        """
        sa, scalar = _s_array(s)
        b = _coef_matrix(self.path, sa)
        index = ["(Intercept)", *self.names]
        if sa is None:
            return pd.DataFrame(b, index=index, columns=[f"s{k}" for k in range(b.shape[1])])
        if scalar:
            return pd.Series(b[:, 0], index=index, name="s1")
        return pd.DataFrame(b, index=index, columns=[f"s{k + 1}" for k in range(b.shape[1])])

    def _newx(self, newx: Any) -> np.ndarray:
        if isinstance(newx, pd.DataFrame) and self._framed:
            missing = [c for c in self.names if c not in [str(k) for k in newx.columns]]
            if missing:
                raise ValueError(f"newx lacks the fitted columns {missing}")
            newx = newx.rename(columns=str)[self.names]
        if not isinstance(newx, pd.DataFrame) and np.ndim(newx) == 1:
            newx = np.asarray(newx).reshape(1, -1)  # one observation, as R's predict
        X, _, _ = _as_matrix(newx, "newx")
        if X.shape[1] != len(self.names):
            raise ValueError(f"The number of variables in newx must be {len(self.names)}")
        return X

    def predict(self, newx: Any, s: Any = None, type: str = "link") -> np.ndarray:  # noqa: A002
        """R's ``predict(fit, newx, s, type)``: "link", "response" or "class".

        Returns n x k (k steps, or len(s)); a 1-D array when ``s`` is a scalar. "class" gives
        the labels of y (R gives them as strings).
        """
        if type not in ("link", "response", "class"):
            raise ValueError(f"type must be 'link', 'response' or 'class', got {type!r}")
        if type == "class" and self.family != "binomial":
            raise ValueError("type='class' is for binomial fits")
        sa, scalar = _s_array(s)
        eta = _link(self.path, self._newx(newx), sa)
        if type == "response" and self.family == "binomial":
            out: np.ndarray = 1.0 / (1.0 + np.exp(-eta))
        elif type == "class":
            out = np.asarray(self.classes)[(eta > 0).astype(np.int64)]
        else:
            out = eta
        return out[:, 0] if scalar else out

    # ------------------------------------------------------------------ broom
    def tidy(self, return_zeros: bool = False) -> pd.DataFrame:
        """broom's ``tidy.glmnet``: term, step (1-based), estimate, lambda, dev_ratio.

        Rows by term then step; zero estimates dropped unless ``return_zeros``.
        """
        b = _coef_matrix(self.path, None)
        terms = ["(Intercept)", *self.names]
        L = b.shape[1]
        df = pd.DataFrame(
            {
                "term": np.repeat(terms, L),
                "estimate": b.reshape(-1),
                "step": np.tile(np.arange(1, L + 1), len(terms)),
                "lambda": np.tile(self.lambda_, len(terms)),
                "dev_ratio": np.tile(self.dev_ratio, len(terms)),
            }
        )
        if not return_zeros:
            df = df[df["estimate"] != 0]
        return make_tidy(df, extra=("step", "lambda", "dev_ratio"))

    def glance(self) -> pd.DataFrame:
        """broom's ``glance.glmnet``: nobs, nulldev, npasses (and family, alpha, n_lambda, jerr)."""
        return make_glance(
            nobs=self.nobs,
            nulldev=self.nulldev,
            npasses=self.npasses,
            family=self.family,
            alpha=self.alpha,
            n_lambda=int(self.lambda_.size),
            jerr=self.jerr,
        )


def _prepare(
    x: Any, y: Any, family: str, weights: Any
) -> tuple[np.ndarray, list[str], bool, _Response, np.ndarray]:
    X, names, framed = _as_matrix(x)
    n, p = X.shape
    if p < 2:
        raise ValueError("x should be a matrix with 2 or more columns")
    resp = _check_y(y, n, family)
    w = _check_weights(weights, n)
    return X, names, framed, resp, w


def glmnet(
    x: Any,
    y: Any,
    family: str = "binomial",
    alpha: float = 1.0,
    nlambda: int = 100,
    lambda_min_ratio: float | None = None,
    lambda_: Any = None,
    standardize: bool = True,
    intercept: bool = True,
    thresh: float = 1e-7,
    maxit: int = 100000,
    penalty_factor: Any = None,
    weights: Any = None,
    dfmax: int | None = None,
    pmax: int | None = None,
) -> GlmnetFit:
    """R's ``glmnet(x, y, family, alpha, ...)`` for "binomial" and "gaussian" (wraps the Fortran).

    ``x``: matrix or DataFrame of numbers (no NaN or infinities: the error names the
    column); ``y``: binomial: two classes, the second (sorted, or a Categorical's second
    category) modelled as 1, as R's factor levels; ``lambda_`` is R's ``lambda``;
    ``lambda_min_ratio`` None is R's ``ifelse(nobs < nvars, 0.01, 1e-4)``.
    """
    family = _check_family(family)
    X, names, framed, resp, w = _prepare(x, y, family, weights)
    if family == "binomial":
        _check_class_sizes(resp.y)
    path = _fit_path(
        X,
        resp.y,
        w,
        family,
        alpha=alpha,
        nlambda=nlambda,
        lambda_min_ratio=lambda_min_ratio,
        lambda_=None if lambda_ is None else np.asarray(lambda_, dtype=float),
        standardize=standardize,
        intercept=intercept,
        thresh=thresh,
        maxit=maxit,
        penalty_factor=penalty_factor,
        dfmax=dfmax,
        pmax=pmax,
    )
    return GlmnetFit(
        path, names, family, resp.classes, X.shape[0], min(max(alpha, 0.0), 1.0), framed
    )


# =============================================================================== cv.glmnet

_CV_NAMES = {
    "deviance": {"binomial": "Binomial Deviance", "gaussian": "Mean-squared Error"},
    "mse": "Mean-Squared Error",
    "mae": "Mean Absolute Error",
    "auc": "AUC",
    "class": "Misclassification Error",
}
_CV_ALLOWED = {
    "binomial": ("deviance", "class", "auc", "mse", "mae"),
    "gaussian": ("mse", "deviance", "mae"),
}


def _cvtype(type_measure: str, family: str) -> str:
    """R's ``cvtype``: the default per family, and R's warning for a measure the family lacks."""
    if type_measure not in TYPE_MEASURES:
        raise ValueError(f"type_measure must be one of {TYPE_MEASURES}, got {type_measure!r}")
    allowed = _CV_ALLOWED[family]
    if type_measure == "default":
        return allowed[0]
    if type_measure not in allowed:
        model = {"binomial": "Binomial", "gaussian": "Gaussian"}[family]
        warnings.warn(
            f"Only {', '.join(allowed)} available as type.measure for {model} models; "
            f"{allowed[0]} used instead",
            UserWarning,
            stacklevel=3,
        )
        return allowed[0]
    return type_measure


def _cv_name(measure: str, family: str) -> str:
    name = _CV_NAMES[measure]
    return name[family] if isinstance(name, dict) else name


def _weighted_mean_cols(mat: np.ndarray, w: np.ndarray) -> np.ndarray:
    """R's ``apply(mat, 2, weighted.mean, w = w, na.rm = TRUE)``."""
    ok = ~np.isnan(mat)
    ww = np.where(ok, w[:, None], 0.0)
    num = np.where(ok & (w[:, None] != 0), mat * w[:, None], 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / ww.sum(axis=0)


def _auc(y1: np.ndarray, prob: np.ndarray, w: np.ndarray) -> float:
    """glmnet's ``auc.mat`` (survival's weighted concordance): P(p1 > p0) + P(tie) / 2."""
    w1 = w * y1
    w0 = w * (1.0 - y1)
    W1, W0 = w1.sum(), w0.sum()
    if W1 == 0 or W0 == 0:
        return math.nan
    order = np.argsort(prob, kind="stable")
    p, a1, a0 = prob[order], w1[order], w0[order]
    uniq, start = np.unique(p, return_index=True)
    s1 = np.add.reduceat(a1, start)
    s0 = np.add.reduceat(a0, start)
    below0 = np.concatenate([[0.0], np.cumsum(s0)[:-1]])
    conc = float(np.sum(s1 * below0) + 0.5 * np.sum(s1 * s0))
    return conc / (W1 * W0)


@dataclass(frozen=True)
class _CVStuff:
    cvraw: np.ndarray
    weights: np.ndarray
    N: np.ndarray
    measure: str
    grouped: bool


def _cv_lognet(
    predmat: np.ndarray,
    y01: np.ndarray,
    measure: str,
    w: np.ndarray,
    foldid: np.ndarray,
    grouped: bool,
    nlams: np.ndarray,
) -> _CVStuff:
    n = y01.size
    nfolds = int(foldid.max())
    if n / nfolds < 10 and measure == "auc":
        warnings.warn(
            "Too few (< 10) observations per fold for type.measure='auc' in cv.lognet; "
            "changed to type.measure='deviance'. Alternatively, use smaller value for nfolds",
            UserWarning,
            stacklevel=4,
        )
        measure = "deviance"
    prob = 1.0 / (1.0 + np.exp(-predmat))
    L = predmat.shape[1]
    y1 = y01  # second class
    y0 = 1.0 - y01  # first class
    if measure == "auc":
        cvraw = np.full((nfolds, L), np.nan)
        good = np.zeros((nfolds, L))
        for i in range(nfolds):
            good[i, : nlams[i]] = 1
            rows = foldid == i + 1
            for j in range(nlams[i]):
                cvraw[i, j] = _auc(y1[rows], prob[rows, j], w[rows])
        N = good.sum(axis=0)
        wsum = np.array([w[foldid == i + 1].sum() for i in range(nfolds)])
        return _CVStuff(cvraw, wsum, N, measure, False)
    N = n - np.isnan(predmat).sum(axis=0)
    yy0, yy1 = y0[:, None], y1[:, None]
    if measure == "mse":
        cvraw = (yy0 - (1 - prob)) ** 2 + (yy1 - prob) ** 2
    elif measure == "mae":
        cvraw = np.abs(yy0 - (1 - prob)) + np.abs(yy1 - prob)
    elif measure == "deviance":
        pc = np.minimum(np.maximum(prob, _PROB_MIN), 1 - _PROB_MIN)
        lp = yy0 * np.log(1 - pc) + yy1 * np.log(pc)
        cvraw = 2 * (0.0 - lp)  # ly = 0 for a 0/1 response
    else:  # class
        cvraw = yy0 * (prob > 0.5) + yy1 * (prob <= 0.5)
    cvraw = np.where(np.isnan(predmat), np.nan, cvraw)  # R's NA stays NA
    return _CVStuff(cvraw, w, N.astype(float), measure, grouped)


def _cv_elnet(
    predmat: np.ndarray,
    y: np.ndarray,
    measure: str,
    w: np.ndarray,
    foldid: np.ndarray,
    grouped: bool,
    nlams: np.ndarray,
) -> _CVStuff:
    N = y.size - np.isnan(predmat).sum(axis=0)
    resid = y[:, None] - predmat
    cvraw = np.abs(resid) if measure == "mae" else resid**2
    return _CVStuff(cvraw, w, N.astype(float), measure, grouped)


def _cvcompute(st: _CVStuff, foldid: np.ndarray, nlams: np.ndarray) -> _CVStuff:
    """R's ``cvcompute``: one weighted mean per fold; N = folds reaching each lambda."""
    nfolds = int(foldid.max())
    mat = np.where(np.isinf(st.cvraw), np.nan, st.cvraw)
    L = mat.shape[1]
    out = np.full((nfolds, L), np.nan)
    good = np.zeros((nfolds, L))
    wisum = np.empty(nfolds)
    for i in range(nfolds):
        rows = foldid == i + 1
        out[i] = _weighted_mean_cols(mat[rows], st.weights[rows])
        good[i, : nlams[i]] = 1
        wisum[i] = st.weights[rows].sum()
    return _CVStuff(out, wisum, good.sum(axis=0), st.measure, st.grouped)


@dataclass(frozen=True)
class CVStats:
    """The numbers of one cross-validation (R's ``cv.glmnet`` components, as arrays)."""

    lambda_: np.ndarray
    cvm: np.ndarray
    cvsd: np.ndarray
    cvup: np.ndarray
    cvlo: np.ndarray
    nzero: np.ndarray
    lambda_min: float
    lambda_1se: float
    index_min: int  # 0-based
    index_1se: int  # 0-based
    measure: str
    grouped: bool


def _cvstats(
    st: _CVStuff,
    foldid: np.ndarray,
    lam: np.ndarray,
    nz: np.ndarray,
    grouped: bool,
    nlams: np.ndarray,
) -> tuple[np.ndarray, ...]:
    if grouped:
        st = _cvcompute(st, foldid, nlams)
    cvm = _weighted_mean_cols(st.cvraw, st.weights)
    dev2 = (st.cvraw - cvm[None, :]) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        cvsd = np.sqrt(_weighted_mean_cols(dev2, st.weights) / (st.N - 1))
    keep = ~np.isnan(cvsd)
    return lam[keep], cvm[keep], cvsd[keep], nz[keep]


def _get_opt(
    lam: np.ndarray, cvm: np.ndarray, cvsd: np.ndarray, measure: str
) -> tuple[float, float, int, int]:
    """R's ``getOptcv.glmnet``: the largest lambda at the minimum, and within one SE of it."""
    m = -cvm if measure == "auc" else cvm
    if m.size == 0 or np.isnan(m).all():
        raise ValueError("cross-validation gave no usable error estimate at any lambda")
    cvmin = np.nanmin(m)
    lambda_min = float(np.max(lam[m <= cvmin]))
    idmin = int(np.flatnonzero(lam == lambda_min)[0])
    semin = (m + cvsd)[idmin]
    lambda_1se = float(np.max(lam[m <= semin]))
    id1se = int(np.flatnonzero(lam == lambda_1se)[0])
    return lambda_min, lambda_1se, idmin, id1se


def _check_foldid(foldid: Any, n: int) -> np.ndarray:
    f = np.asarray(foldid)
    if f.ndim != 1 or f.size != n:
        raise ValueError(f"foldid has length {f.size}; x has {n} rows: give one fold per row")
    if f.dtype.kind == "f":
        if not np.isfinite(f).all() or (f != np.round(f)).any():
            raise ValueError("foldid must hold whole numbers 1..nfolds")
    elif f.dtype.kind not in "iu":
        raise ValueError(f"foldid must hold whole numbers 1..nfolds, got dtype {f.dtype}")
    f = f.astype(np.int64)
    if f.min() < 1:
        raise ValueError("foldid must hold whole numbers 1..nfolds (found values below 1)")
    empty = sorted(set(range(1, int(f.max()) + 1)) - set(f.tolist()))
    if empty:
        raise ValueError(
            f"foldid leaves fold(s) {empty} empty: number the folds 1..nfolds with none empty"
        )
    return f


def cv_glmnet(
    x: Any,
    y: Any,
    family: str = "binomial",
    alpha: float = 1.0,
    nfolds: int = 10,
    foldid: Any = None,
    type_measure: str = "deviance",
    grouped: bool = True,
    keep: bool = False,
    seed: int | RRNG | None = None,
    sample_kind: str = "Rejection",
    weights: Any = None,
    lambda_: Any = None,
    alignment: str = "lambda",
    fold_lambda: str = "own",
    **glmnet_kwargs: Any,
) -> CVGlmnet:
    """R's ``cv.glmnet`` (glmnet 4.1), written here.

    Folds: ``foldid`` (1..nfolds, one per row), else drawn as R's ``set.seed(seed,
    sample.kind=sample_kind); sample(rep(seq(nfolds), length.out=n))``; ``seed`` may also be
    an :class:`~models.rrandom.RRNG` stream. One of the two is required (R without
    ``set.seed`` is not reproducible).

    ``type_measure``: "deviance", "class", "auc", "mse", "mae" ("default" as R). ``grouped``
    as R, switched off (with R's warning) when folds average fewer than 3 observations.
    ``alignment`` as R ("lambda": fold fits interpolated at the full-data lambdas;
    "fraction": by position). ``fold_lambda="full"`` instead fits every fold on the
    full-data lambda sequence, as glmnet < 3.0 did (e.g. 2.0-2). Other keyword arguments go
    to :func:`glmnet` (``nlambda``, ``lambda_min_ratio``, ``standardize``, ``thresh``, ...).
    """
    family = _check_family(family)
    unknown = set(glmnet_kwargs) - set(_EXTRA_GLMNET_ARGS)
    if unknown:
        raise TypeError(f"cv_glmnet got unexpected arguments {sorted(unknown)}")
    if alignment not in ("lambda", "fraction"):
        raise ValueError(f"alignment must be 'lambda' or 'fraction', got {alignment!r}")
    if fold_lambda not in ("own", "full"):
        raise ValueError(
            f"fold_lambda must be 'own' (glmnet >= 3.0) or 'full' (glmnet < 3.0), "
            f"got {fold_lambda!r}"
        )
    if type_measure not in TYPE_MEASURES:
        raise ValueError(f"type_measure must be one of {TYPE_MEASURES}, got {type_measure!r}")
    if lambda_ is not None:
        lambda_ = np.asarray(lambda_, dtype=float).reshape(-1)
        if lambda_.size < 2:
            raise ValueError("Need more than one value of lambda for cv.glmnet")
        if alignment == "fraction":
            warnings.warn(
                "fraction of path alignment not available if lambda given as argument; "
                "switched to alignment=`lambda`",
                UserWarning,
                stacklevel=2,
            )
            alignment = "lambda"
    X, names, framed, resp, w = _prepare(x, y, family, weights)
    n = X.shape[0]
    if foldid is None:
        if seed is None:
            raise ValueError(
                "cv_glmnet needs foldid or seed: R's cv.glmnet without set.seed() draws "
                "folds that cannot be reproduced. Pass the seed used in R (seed=...), "
                "with sample_kind='Rounding' for R < 3.6.0, or foldid."
            )
        if isinstance(seed, RRNG):
            fid = r_foldid(n, int(nfolds), rng=seed)
        else:
            fid = r_foldid(n, int(nfolds), seed, sample_kind)
    else:
        if seed is not None:
            raise ValueError("give foldid or seed, not both")
        fid = _check_foldid(foldid, n)
    K = int(fid.max())
    if K < 3:
        raise ValueError("nfolds must be bigger than 3; nfolds=10 recommended")
    kw = dict(glmnet_kwargs)
    alpha_used = min(max(alpha, 0.0), 1.0)
    if family == "binomial":
        _check_class_sizes(resp.y)
    full = _fit_path(X, resp.y, w, family, alpha=alpha, lambda_=lambda_, **kw)
    measure = _cvtype(type_measure, family)
    lam = full.lambda_
    L = lam.size
    predmat = np.full((n, L), np.nan)
    nlams = np.full(K, L, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="alpha")  # R warns once, on the full fit
        for i in range(K):
            held = fid == i + 1
            train = ~held
            if family == "binomial":
                try:
                    _check_class_sizes(resp.y[train])
                except ValueError as exc:
                    raise ValueError(f"fold {i + 1}: {exc}") from None
            fold_lam = lam if fold_lambda == "full" else lambda_
            fit = _fit_path(
                X[train], resp.y[train], w[train], family, alpha=alpha, lambda_=fold_lam, **kw
            )
            Xh = X[held]
            if fold_lambda == "full":
                preds = _link(fit, Xh, None)
                m = min(preds.shape[1], L)
                predmat[held, :m] = preds[:, :m]
                nlams[i] = m
            elif alignment == "lambda":
                predmat[held] = _link(fit, Xh, lam)
            else:
                preds = _link(fit, Xh, None)
                m = min(preds.shape[1], L)
                predmat[held, :m] = preds[:, :m]
                if m < L:
                    predmat[held, m - 1 :] = preds[:, [m - 1]]
    if family == "binomial":
        st = _cv_lognet(predmat, resp.y, measure, w, fid, grouped, nlams)
    else:
        st = _cv_elnet(predmat, resp.y, measure, w, fid, grouped, nlams)
    use_grouped = st.grouped
    if n / K < 3 and use_grouped:
        warnings.warn(
            "Option grouped=FALSE enforced in cv.glmnet, since < 3 observations per fold",
            UserWarning,
            stacklevel=2,
        )
        use_grouped = False
    lam_k, cvm, cvsd, nz = _cvstats(st, fid, lam, full.df, use_grouped, nlams)
    lmin, l1se, imin, i1se = _get_opt(lam_k, cvm, cvsd, st.measure)
    stats = CVStats(
        lambda_=lam_k,
        cvm=cvm,
        cvsd=cvsd,
        cvup=cvm + cvsd,
        cvlo=cvm - cvsd,
        nzero=nz,
        lambda_min=lmin,
        lambda_1se=l1se,
        index_min=imin,
        index_1se=i1se,
        measure=st.measure,
        grouped=use_grouped,
    )
    fit_obj = GlmnetFit(full, names, family, resp.classes, n, alpha_used, framed)
    return CVGlmnet(stats, fit_obj, fid, predmat if keep else None, nfolds=K, family=family)


class CVGlmnet(TidyResult):
    """A cross-validated glmnet, as R's ``cv.glmnet`` object.

    Attributes: ``lambda_``, ``cvm``, ``cvsd``, ``cvup``, ``cvlo``, ``nzero``, ``name``
    (R's measure label), ``type_measure``, ``lambda_min``, ``lambda_1se``, ``index``
    (Series "min", "1se": 0-based positions in ``lambda_``), ``fit`` (R's ``glmnet.fit``),
    ``foldid``, ``fit_preval`` (``keep=True``: out-of-fold linear predictors, n x L),
    ``grouped`` (after R's small-fold rule), ``stats`` (the numbers as a dataclass).
    """

    def __init__(
        self,
        stats: CVStats,
        fit: GlmnetFit,
        foldid: np.ndarray,
        fit_preval: np.ndarray | None,
        nfolds: int,
        family: str,
    ):
        self.stats = stats
        self.fit = fit
        self.foldid = foldid
        self.fit_preval = fit_preval
        self.nfolds = nfolds
        self.family = family
        self.lambda_ = stats.lambda_
        self.cvm = stats.cvm
        self.cvsd = stats.cvsd
        self.cvup = stats.cvup
        self.cvlo = stats.cvlo
        self.nzero = stats.nzero
        self.lambda_min = stats.lambda_min
        self.lambda_1se = stats.lambda_1se
        self.index = pd.Series(
            [stats.index_min, stats.index_1se], index=["min", "1se"], name="Lambda"
        )
        self.type_measure = stats.measure
        self.name = _cv_name(stats.measure, family)
        self.grouped = stats.grouped

    def __repr__(self) -> str:
        return (
            f"CVGlmnet(measure={self.type_measure!r}, nfolds={self.nfolds}, "
            f"lambda_min={self.lambda_min:.6g}, lambda_1se={self.lambda_1se:.6g})"
        )

    def _s(self, s: Any) -> Any:
        if isinstance(s, str):
            if s in ("lambda.1se", "lambda_1se"):
                return self.lambda_1se
            if s in ("lambda.min", "lambda_min"):
                return self.lambda_min
            raise ValueError(f"s must be 'lambda.1se', 'lambda.min' or a number, got {s!r}")
        return s

    def coef(self, s: Any = "lambda.1se") -> pd.Series | pd.DataFrame:
        """R's ``coef(cvfit, s)``: at "lambda.1se" (R's default), "lambda.min" or numbers."""
        return self.fit.coef(self._s(s))

    def predict(self, newx: Any, s: Any = "lambda.1se", type: str = "link") -> np.ndarray:  # noqa: A002
        """R's ``predict(cvfit, newx, s, type)``."""
        return self.fit.predict(newx, self._s(s), type)

    def tidy(self) -> pd.DataFrame:
        """broom's ``tidy.cv.glmnet``: per lambda, estimate = cvm, std_error = cvsd,
        conf_low = cvlo, conf_high = cvup, with lambda and nzero; term is R's step name."""
        df = pd.DataFrame(
            {
                "term": [f"s{k}" for k in range(self.lambda_.size)],
                "estimate": self.cvm,
                "std_error": self.cvsd,
                "conf_low": self.cvlo,
                "conf_high": self.cvup,
                "lambda": self.lambda_,
                "nzero": self.nzero,
            }
        )
        return make_tidy(df, extra=("lambda", "nzero"))

    def glance(self) -> pd.DataFrame:
        """broom's ``glance.cv.glmnet``: nobs, lambda_min, lambda_1se (and the measure, folds)."""
        return make_glance(
            nobs=self.fit.nobs,
            lambda_min=self.lambda_min,
            lambda_1se=self.lambda_1se,
            type_measure=self.type_measure,
            measure=self.name,
            nfolds=self.nfolds,
            grouped=self.grouped,
        )
