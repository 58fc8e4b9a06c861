"""The R bridge: conversions (without R) and round trips through live R (marker r)."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replication.rbridge import (
    RError,
    RNotAvailable,
    backend,
    call_r,
    core,
    debian_package,
    r_versions,
)
from replication.rbridge.core import _decode, _encode


def test_encode_1d_array_is_a_plain_tagged_vector():
    enc = _encode(np.array([1.5, np.nan, 3.0]))
    assert enc == {"__class__": "double", "data": [1.5, None, 3.0]}


def test_encode_factor_keeps_levels_order_and_missing():
    cat = pd.Categorical(["b", None, "a"], categories=["b", "a"], ordered=True)
    enc = _encode(cat)
    assert enc == {"__class__": "factor", "levels": ["b", "a"], "codes": [1, None, 2], "ordered": True}


def test_encode_matrix_is_column_major():
    enc = _encode(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert enc["nrow"] == 2 and enc["ncol"] == 2
    assert enc["data"]["data"] == [1.0, 3.0, 2.0, 4.0]


def test_encode_rejects_unknown_types():
    with pytest.raises(TypeError, match="cannot send"):
        _encode(object())


def test_decode_specials_and_names():
    val = _decode({"__class__": "double", "data": [1.0, "NA", "NaN", "Inf", "-Inf"], "names": ["a", "b", "c", "d", "e"]})
    assert isinstance(val, pd.Series)
    assert list(val.index) == ["a", "b", "c", "d", "e"]
    assert val["a"] == 1.0 and np.isnan(val["b"]) and np.isnan(val["c"])
    assert val["d"] == np.inf and val["e"] == -np.inf


def test_decode_integer_with_na_becomes_float_nan():
    val = _decode({"__class__": "integer", "data": [1, None, 3]})
    assert val.dtype == np.float64 and np.isnan(val[1]) and val[2] == 3.0


def test_debian_package_names():
    assert debian_package("MASS") == "r-cran-mass"
    assert debian_package("VGAM") == "r-cran-vgam"
    assert debian_package("somepkg") == "r-cran-somepkg"


# --------------------------------------------------------------------------- live R



@pytest.mark.r
def test_vector_arrives_without_dim_and_factor_with_levels():
    res = call_r(
        "list(nodim = is.null(dim(input$x)), cls = class(input$x), len = length(input$x),"
        " lev = levels(input$f), ord = is.ordered(input$f), na = which(is.na(input$f)),"
        " dfcls = sapply(input$d, class), nrow = nrow(input$d))",
        {"x": np.array([1.0, 2.0, 3.0]),
         "f": pd.Categorical(["lo", "hi", None], categories=["lo", "hi"], ordered=True),
         "d": pd.DataFrame({"a": [1.0, 2.0], "g": pd.Categorical(["u", "v"]), "s": ["p", "q"]})},
    )
    v = res.value
    assert bool(v["nodim"][0]) is True
    assert v["cls"] == ["numeric"]
    assert v["len"][0] == 3
    assert v["lev"] == ["lo", "hi"]
    assert bool(v["ord"][0]) is True
    assert list(v["na"]) == [3]
    assert list(v["dfcls"]) == ["numeric", "factor", "character"]


@pytest.mark.r
@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=False, width=64), min_size=1, max_size=40))
def test_doubles_round_trip_bit_for_bit(xs):
    x = np.array(xs, dtype=np.float64)
    back = call_r("input$x", {"x": x}).value
    assert back.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(back), np.isnan(x))
    finite = ~np.isnan(x)
    assert np.array_equal(back[finite].view(np.int64), (x[finite] + 0.0).view(np.int64))


@pytest.mark.r
def test_r_values_come_back_typed():
    v = call_r(
        "list(d = c(a = 0.1 + 0.2, b = NA), i = 1:3, s = c('x', NA), b = c(TRUE, FALSE),"
        " m = matrix(1:6 / 7, 2), f = factor(c('q', 'p')), df = data.frame(u = 1:2, w = c('a', 'b')),"
        " nul = NULL, sp = c(Inf, -Inf, NaN))"
    ).value
    assert v["d"]["a"] == 0.1 + 0.2 and np.isnan(v["d"]["b"])
    assert v["i"].dtype == np.int64 and list(v["i"]) == [1, 2, 3]
    assert v["s"] == ["x", None]
    assert list(v["b"]) == [True, False]
    np.testing.assert_array_equal(v["m"], np.arange(1, 7).reshape(2, 3, order="F") / 7)
    assert list(v["f"].categories) == ["p", "q"] and list(v["f"]) == ["q", "p"]
    assert list(v["df"].columns) == ["u", "w"] and list(v["df"]["w"]) == ["a", "b"]
    assert v["nul"] is None
    assert v["sp"][0] == np.inf and v["sp"][1] == -np.inf and np.isnan(v["sp"][2])


@pytest.mark.r
def test_warnings_errors_and_missing_packages():
    res = call_r("as.numeric('a'); warning('second'); 1")
    assert res.warnings == ("NAs introduced by coercion", "second")
    with pytest.raises(RError, match="boom"):
        call_r("stop('boom')")
    with pytest.raises(RNotAvailable, match="apt-get install r-cran-nosuchpkgxyz"):
        call_r("1", packages=["nosuchpkgxyz"])


@pytest.mark.r
def test_seed_sets_r_rng_explicitly():
    # R documents set.seed(42); runif(1) under Mersenne-Twister / Inversion as 0.914806...
    a = call_r("runif(3)", seed=42).value
    b = call_r("runif(3)", seed=42).value
    assert np.array_equal(a, b)
    assert abs(a[0] - 0.914806043496355) < 1e-12
    kind = call_r("RNGkind()", seed=1).value
    assert kind == ["Mersenne-Twister", "Inversion", "Rejection"]


@pytest.mark.r
def test_both_transports_give_identical_results():
    if os.environ.get("CSC_REQUIRE_R", "") not in ("", "0") and core.requested_transport() == "rpy2":
        run, why = core._rpy2_load()
        if run is None:  # tox -e r promises rpy2: a missing or broken one fails, never skips
            pytest.fail(f"CSC_RBRIDGE=rpy2 and CSC_REQUIRE_R=1, but {why}")
    pytest.importorskip("rpy2", reason="rpy2 not installed: the Rscript transport alone is in use")
    data = {"x": np.random.default_rng(1).normal(size=50), "g": pd.Categorical(list("ab") * 25)}
    code = "list(m = tapply(input$x, input$g, mean), q = quantile(input$x, c(.1, .9)), r = runif(2))"
    a = call_r(code, data, seed=7, transport="rpy2")
    b = call_r(code, data, seed=7, transport="Rscript")
    assert json.dumps({k: np.asarray(v).tolist() for k, v in a.value.items()}) == \
        json.dumps({k: np.asarray(v).tolist() for k, v in b.value.items()})


@pytest.mark.r
def test_r_versions_reports_r_and_packages():
    v = r_versions(["jsonlite"])
    assert v["R"].count(".") >= 1 and v["jsonlite"][0].isdigit()


# --------------------------------------------------------------------------- transport choice

_BROKEN = "rpy2 is installed but failed to load R: OSError: libR.so: cannot open shared object file"


@pytest.fixture
def broken_rpy2(monkeypatch):
    """rpy2 importable but unable to start R; Rscript on PATH."""
    monkeypatch.setattr(core, "_rpy2_load", lambda: (None, _BROKEN))
    monkeypatch.setattr(core, "_rscript", lambda: "/bin/Rscript-stub")
    core._warn_fallback.cache_clear()
    yield
    core._warn_fallback.cache_clear()


def test_requested_rpy2_that_cannot_load_is_an_error_naming_why(broken_rpy2, monkeypatch):
    monkeypatch.setenv("CSC_RBRIDGE", "rpy2")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning either: it is an error
        with pytest.raises(RNotAvailable, match="CSC_RBRIDGE=rpy2 but rpy2 is installed but failed to load R: OSError"):
            call_r("1")
        with pytest.raises(RNotAvailable, match="libR.so"):
            backend()
    monkeypatch.setenv("CSC_RBRIDGE", "rscript")  # an explicit transport= argument fails as loudly
    with pytest.raises(RNotAvailable, match="transport='rpy2' but .*libR.so"):
        call_r("1", transport="rpy2")


def test_automatic_choice_falls_back_to_rscript_with_one_warning(broken_rpy2, monkeypatch):
    monkeypatch.delenv("CSC_RBRIDGE", raising=False)
    with pytest.warns(RuntimeWarning, match="falling back to Rscript: rpy2 is installed but failed to load R") as rec:
        assert backend() == "Rscript"
        assert backend() == "Rscript"
        assert core._rpy2_run() is None
    assert len([w for w in rec if issubclass(w.category, RuntimeWarning)]) == 1


def test_forced_rscript_and_absent_rpy2_do_not_warn(monkeypatch):
    monkeypatch.setattr(core, "_rscript", lambda: "/bin/Rscript-stub")
    core._warn_fallback.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        monkeypatch.setenv("CSC_RBRIDGE", "rscript")
        monkeypatch.setattr(core, "_rpy2_load", lambda: (None, _BROKEN))
        assert backend() == "Rscript"
        monkeypatch.delenv("CSC_RBRIDGE")
        monkeypatch.setattr(core, "_rpy2_load", lambda: (None, "rpy2 is not installed: pip install 'rpy2>=3.5,<3.6'"))
        assert backend() == "Rscript"


def test_requested_rpy2_absent_names_the_install(monkeypatch):
    monkeypatch.setenv("CSC_RBRIDGE", "rpy2")
    monkeypatch.setattr(core, "_rpy2_load", lambda: (None, "rpy2 is not installed: pip install 'rpy2>=3.5,<3.6'"))
    with pytest.raises(RNotAvailable, match=r"CSC_RBRIDGE=rpy2 but rpy2 is not installed: pip install"):
        call_r("1")


def test_unknown_transport_request_is_rejected(monkeypatch):
    monkeypatch.setenv("CSC_RBRIDGE", "rpy3")
    with pytest.raises(ValueError, match="CSC_RBRIDGE must be 'rpy2', 'rscript' or unset, got 'rpy3'"):
        backend()


def test_encode_refuses_duplicate_column_names():
    df = pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a"])
    with pytest.raises(ValueError, match=r"duplicate column names to R: \['a'\]"):
        _encode(df)
