"""The panels the two Wilkins study tests share, each built once per test session."""

from __future__ import annotations

import functools
import importlib.util

import pytest

from replication.data import make_panel
from tests.replication.data_files import need_real


@functools.lru_cache(maxsize=3)
def synthetic(seed: int = 0, n_la: int = 150):
    return make_panel(seed=seed, n_la=n_la)


@functools.lru_cache(maxsize=1)
def _real(path: str):
    from replication.data.build import build_panel

    return build_panel(path)


def real():
    """The real panel built from the raw public files, or a skip saying why it cannot be."""
    d = need_real()
    if importlib.util.find_spec("replication.data.build") is None:
        pytest.skip("replication.data.build is not there: the real panel cannot be built")
    return _real(str(d))
