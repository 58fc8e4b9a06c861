"""Shared test set-up: single-threaded BLAS, and the rules for live-R tests.

Tests that need a live R carry the marker ``r``. Where R is absent they are skipped
with the reason shown; with ``CSC_REQUIRE_R=1`` (tox -e r, CI) a missing R or R
package is a failure instead.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from replication.rbridge import RNotAvailable, call_r, r_available  # noqa: E402

REQUIRE_R = os.environ.get("CSC_REQUIRE_R", "") not in ("", "0")

# Property tests draw the same examples on every run by default, so a red run can be
# replayed exactly; HYPOTHESIS_PROFILE=explore searches fresh inputs instead.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))


def pytest_collection_modifyitems(config, items):
    if r_available():
        return
    if REQUIRE_R:
        fail = pytest.mark.xfail(reason="R is required here but absent", run=False, strict=True)
        for item in items:
            if "r" in item.keywords:
                item.add_marker(fail)
        raise pytest.UsageError("CSC_REQUIRE_R is set but R is not installed: apt-get install r-base-core")
    skip = pytest.mark.skip(reason="R is not installed (apt-get install r-base-core and the r-cran-* "
                            "reference packages): live-R test skipped")
    for item in items:
        if "r" in item.keywords:
            item.add_marker(skip)


def need_r_packages(*packages: str) -> None:
    """Skip (or, with CSC_REQUIRE_R, fail) unless every R package is installed."""
    try:
        call_r("TRUE", packages=list(packages))
    except RNotAvailable as exc:
        if REQUIRE_R:
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture
def r_packages():
    """Fixture form of :func:`need_r_packages`: ``r_packages("glmnet")``."""
    return need_r_packages
