"""Run R from Python: through rpy2 when it is importable, else through ``Rscript``.

Both transports send the same JSON to the same R function (``bridge.R``) and get the
same JSON back, so results are identical either way. Values travel tagged with their
R class, which keeps the conversions honest:

* a 1-D numpy array or a numeric Series becomes a plain R vector (never an array with
  a ``dim`` attribute); a 2-D array becomes a matrix;
* a pandas Categorical becomes a factor with its levels (ordered if it is ordered);
* NaN and None become NA, and R's NA comes back as NaN (None for strings);
* a DataFrame becomes a data.frame, column by column;
* R doubles come back at full precision (17 significant digits).

The public entry point is :func:`call_r`. A missing R or R package raises
:class:`RNotAvailable` naming the Debian package that provides it.
"""

from __future__ import annotations

from replication.rbridge.core import (
    RError,
    RNotAvailable,
    RResult,
    backend,
    call_r,
    debian_package,
    r_available,
    r_versions,
    require_r,
)

__all__ = [
    "RError",
    "RNotAvailable",
    "RResult",
    "backend",
    "call_r",
    "debian_package",
    "r_available",
    "r_versions",
    "require_r",
]
