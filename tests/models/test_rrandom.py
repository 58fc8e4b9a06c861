"""R's random number generator (models.rrandom) against frozen R output, plus properties."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.rrandom import (
    ROUNDING_WARNING,
    RRNG,
    RoundingSamplerWarning,
    r_foldid,
    runif,
    sample,
    set_seed,
)
from replication.rbridge.fixtures import load_fixture

FOLDS = load_fixture("rrandom_foldid")
STREAMS = load_fixture("rrandom_streams")
KINDS = ("Rejection", "Rounding")


# --------------------------------------------------------------------------- against R


def test_fixture_has_enough_fold_cases():
    assert len(FOLDS.input["cases"]) >= 50


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "i",
    range(len(FOLDS.input["cases"])),
    ids=[f"n{c['n']}-k{c['nfolds']}-seed{c['seed']}" for c in FOLDS.input["cases"]],
)
def test_r_foldid_identical_to_r(i, kind):
    case = FOLDS.input["cases"][i]
    ref = np.atleast_1d(FOLDS.result[i][kind])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingSamplerWarning)
        got = r_foldid(case["n"], case["nfolds"], case["seed"], kind)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize(
    "j", range(len(STREAMS.input["seeds"])), ids=[str(s) for s in STREAMS.input["seeds"]]
)
def test_runif_stream_identical_to_r(j):
    seed = STREAMS.input["seeds"][j]
    got = RRNG(seed).runif(STREAMS.input["n_unif"])  # 2000 draws: crosses three MT regenerations
    np.testing.assert_array_equal(got, STREAMS.result["unif"][j])


@pytest.mark.parametrize(
    "j", range(len(STREAMS.input["seeds"])), ids=[str(s) for s in STREAMS.input["seeds"]]
)
def test_state_after_set_seed_is_r_random_seed(j):
    np.testing.assert_array_equal(
        set_seed(STREAMS.input["seeds"][j]).random_seed, STREAMS.result["state"][j]
    )


def test_runif_with_range_identical_to_r():
    np.testing.assert_array_equal(runif(5, 2, 7, seed=7), STREAMS.result["ranged"])


@pytest.mark.parametrize("kind", KINDS)
def test_sample_variants_identical_to_r(kind):
    """One stream through sample() with and without replacement, scalars, strings, the hashed
    sampler (n > 1e7) and n > 2^31 (R's two-draw rounding rule)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingSamplerWarning)
        g = RRNG(STREAMS.input["sample_seed"], kind)
    for cs, ref in zip(STREAMS.input["samples"], STREAMS.result["samples"][kind], strict=True):
        got = g.sample(cs["x"], cs["size"], cs["replace"])
        ref = np.atleast_1d(np.asarray(ref))
        if ref.dtype.kind in "US" or isinstance(ref[0], str):
            assert list(got) == list(ref), cs
        else:
            np.testing.assert_array_equal(
                got.astype(np.float64), ref.astype(np.float64), err_msg=str(cs)
            )


# --------------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 400),
    k=st.integers(1, 25),
    seed=st.integers(-(2**31) + 1, 2**31 - 1),
    kind=st.sampled_from(KINDS),
)
def test_r_foldid_is_a_permutation_of_rep(n, k, seed, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingSamplerWarning)
        f = r_foldid(n, k, seed, kind)
    np.testing.assert_array_equal(np.sort(f), np.sort(np.resize(np.arange(1, k + 1), n)))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(-(2**31) + 1, 2**31 - 1), n=st.integers(1, 1500))
def test_uniforms_in_open_interval_and_deterministic(seed, n):
    a = RRNG(seed).runif(n)
    assert ((a > 0) & (a < 1)).all()
    np.testing.assert_array_equal(a, RRNG(seed).runif(n))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), split=st.integers(0, 700))
def test_draws_continue_the_stream(seed, split):
    """runif(a) then runif(b) equals runif(a + b) (state carried across calls and MT blocks)."""
    g = RRNG(seed)
    two = np.concatenate([g.runif(split), g.runif(900 - split)])
    np.testing.assert_array_equal(two, RRNG(seed).runif(900))


def test_streams_are_independent_objects():
    a, b = RRNG(1), RRNG(1)
    first = a.runif(3)
    RRNG(99).runif(10)  # another stream does not disturb either
    np.testing.assert_array_equal(first, b.runif(3))
    np.testing.assert_array_equal(a.runif(3), b.runif(3))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 300), kind=st.sampled_from(KINDS))
def test_sample_without_replacement_is_a_permutation(seed, n, kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingSamplerWarning)
        s = sample(n, seed=seed, sample_kind=kind)
    np.testing.assert_array_equal(np.sort(s), np.arange(1, n + 1))


def test_rejection_and_rounding_differ_for_the_same_seed():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RoundingSamplerWarning)
        assert not np.array_equal(
            r_foldid(150, 10, 2016, "Rejection"), r_foldid(150, 10, 2016, "Rounding")
        )


def test_foldid_from_a_stream_continues_it():
    g = RRNG(11)
    first = r_foldid(30, 5, rng=g)
    second = r_foldid(30, 5, rng=g)
    np.testing.assert_array_equal(first, r_foldid(30, 5, seed=11))
    h = RRNG(11)
    h.sample(np.resize(np.arange(1, 6), 30))
    np.testing.assert_array_equal(second, h.sample(np.resize(np.arange(1, 6), 30)))


# ------------------------------------------------------------ bad input and R's warnings


def test_rounding_warns_with_r_text():
    with pytest.warns(RoundingSamplerWarning, match="non-uniform 'Rounding' sampler used"):
        set_seed(1, "Rounding")
    assert ROUNDING_WARNING == "non-uniform 'Rounding' sampler used"


@pytest.mark.parametrize("seed", [2**31, -(2**31), float("nan"), float("inf"), "1", [1]])
def test_invalid_seed_is_an_error(seed):
    with pytest.raises(ValueError, match="supplied seed is not a valid integer"):
        RRNG(seed)


def test_seed_is_truncated_as_r_does():
    np.testing.assert_array_equal(RRNG(42.9).runif(3), RRNG(42).runif(3))


def test_bad_sample_kind():
    with pytest.raises(ValueError, match="sample_kind"):
        RRNG(1, "rejection")


def test_sample_larger_than_population():
    with pytest.raises(ValueError, match="cannot take a sample larger than the population"):
        RRNG(1).sample_int(5, 6)


def test_r_foldid_needs_exactly_one_source():
    with pytest.raises(ValueError, match="seed"):
        r_foldid(10, 3)
    with pytest.raises(ValueError, match="exactly one"):
        r_foldid(10, 3, seed=1, rng=RRNG(1))
    with pytest.raises(ValueError, match="n must be"):
        r_foldid(0, 3, seed=1)
