"""Versions of the Python stack and of R, as recorded beside every parity run."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

PY_PACKAGES = ("numpy", "scipy", "pandas", "statsmodels", "python-glmnet", "scikit-learn", "linearmodels")
R_PACKAGES = ("jsonlite", "glmnet", "lme4", "MASS", "nnet", "ordinal", "VGAM")


def stack_versions(with_r: bool = True) -> dict[str, str]:
    """Python and its numerical packages; R and each reference package when ``with_r``."""
    v = {"python": platform.python_version()}
    for p in PY_PACKAGES:
        try:
            v[p] = version(p)
        except PackageNotFoundError:
            v[p] = "absent"
    if with_r:
        from replication.rbridge import RNotAvailable, call_r  # noqa: PLC0415

        try:
            res = call_r(
                "v <- list(R = paste(R.version$major, R.version$minor, sep = '.'));"
                "for (p in input$p) v[[paste0('R:', p)]] <- if (requireNamespace(p, quietly = TRUE))"
                " as.character(utils::packageVersion(p)) else 'absent'; v",
                {"p": list(R_PACKAGES)},
            )
            v.update({k: (x[0] if isinstance(x, list) else str(x)) for k, x in res.value.items()})
        except RNotAvailable:
            v["R"] = "absent"
    return v
