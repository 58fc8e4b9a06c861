"""glmnet and cv.glmnet (models.elasticnet) against frozen R output; properties; bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models._result import validate_glance, validate_tidy
from models.elasticnet import cv_glmnet, glmnet, lambda_interp
from models.rrandom import RRNG, r_foldid
from replication.parity.elasticnet import (
    CV_KEYS,
    CV_TOL,
    INTERP_KEYS,
    PATH_KEYS,
    PATH_TOL,
    rel_diff,
    run_cv_case,
    run_path_case,
    same_warning_text,
)
from replication.rbridge.fixtures import load_fixture

PATH = load_fixture("elasticnet_path")
CV = load_fixture("elasticnet_cv")

PROPERTY_TOL = 1e-8
"""Properties that hold exactly in exact arithmetic but reach the answer by a different sequence
of floating-point operations (rescaled columns, permuted rows, a weight of 2 for a duplicated
row), fitted with thresh=1e-14: coordinate descent then agrees to about 1e-10; 1e-8 leaves room."""
TIGHT = 1e-14


def _data(seed: int, n: int = 80, p: int = 6, family: str = "binomial"):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) * rng.uniform(0.5, 10, size=p)
    z = (x - x.mean(0)) / x.std(0)
    eta = z[:, 0] - 0.7 * z[:, 1] + 0.4 * z[:, 2]
    if family == "gaussian":
        return x, eta + rng.normal(size=n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    if y.sum() < 10:
        y[:10] = 1.0
    if (1 - y).sum() < 10:
        y[-10:] = 0.0
    return x, y


# =========================================================================== against R (frozen)


@pytest.mark.parametrize("case", PATH.input["cases"], ids=[c["name"] for c in PATH.input["cases"]])
def test_path_matches_r(case):
    py, r = run_path_case(case), PATH.result[case["name"]]
    for k in PATH_KEYS + INTERP_KEYS:
        assert rel_diff(py[k], r[k]) <= PATH_TOL, k
    np.testing.assert_array_equal(py["df"], r["df"])
    assert py["npasses"] == int(r["npasses"][0])
    assert py["jerr"] == int(r["jerr"][0]) and py["nobs"] == int(r["nobs"][0])
    assert py["warnings"] == [same_warning_text(w) for w in (r["warnings"] or [])]
    if case["family"] == "binomial":
        # R gives the class labels as strings; compare where the link is not a rounding-level tie
        ref = np.asarray(r["class_s"], dtype=object).reshape(py["class_s"].shape, order="F")
        clear = np.abs(np.asarray(r["link_s"])) > 1e-12
        got = py["class_s"][clear]
        want = ref[clear]
        if got.dtype.kind == "f":
            want = want.astype(float)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case", CV.input["cases"], ids=[c["name"] for c in CV.input["cases"]])
def test_cv_matches_r(case):
    py, r = run_cv_case(case, CV.input["datasets"]), CV.result[case["name"]]
    for k in CV_KEYS:
        assert rel_diff(py[k], r[k]) <= CV_TOL, k
    np.testing.assert_array_equal(py["nzero"], r["nzero"])
    np.testing.assert_array_equal(py["index"], r["index"])
    assert py["name"] == r["name"][0]
    np.testing.assert_array_equal(py["foldid"], r["foldid"])
    assert py["warnings"] == list(r["warnings"] or [])


def test_cv_fixture_covers_every_measure_and_rule():
    names = {c["name"] for c in CV.input["cases"]}
    for m in ("deviance", "class", "auc", "mse", "mae"):
        assert f"binomial_{m}_grouped" in names and f"binomial_{m}_ungrouped" in names
    assert {
        "binomial_small_folds",
        "binomial_auc_too_few",
        "binomial_auc_class_absent",
        "binomial_seed_rounding",
        "binomial_full_lambda",
        "gaussian_mae",
    } <= names


# =========================================================================== properties


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    alpha=st.floats(0.05, 1.0),
    family=st.sampled_from(["binomial", "gaussian"]),
)
def test_every_coefficient_is_zero_at_lambda_max(seed, alpha, family):
    x, y = _data(seed, family=family)
    fit = glmnet(x, y, family=family, alpha=alpha)
    assert (fit.beta.iloc[:, 0] == 0).all()
    assert fit.df[0] == 0 and fit.df[1] >= 1  # the first step below lambda_max lets one in
    assert (fit.coef(fit.lambda_[0] * 10).iloc[1:] == 0).all()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6), j=st.integers(0, 5), c=st.floats(1e-3, 1e3))
def test_rescaling_a_predictor_rescales_its_coefficient_inversely(seed, j, c):
    x, y = _data(seed)
    x2 = x.copy()
    x2[:, j] *= c
    a = glmnet(x, y, thresh=TIGHT)
    b = glmnet(x2, y, thresh=TIGHT)
    assert rel_diff(a.lambda_, b.lambda_) <= PROPERTY_TOL
    expect = a.beta.to_numpy().copy()
    expect[j] /= c
    assert rel_diff(b.beta.to_numpy(), expect) <= PROPERTY_TOL
    assert rel_diff(b.a0.to_numpy(), a.a0.to_numpy()) <= PROPERTY_TOL


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    measure=st.sampled_from(["deviance", "class", "auc", "mse", "mae"]),
    grouped=st.booleans(),
)
def test_lambda_min_and_1se_rules(seed, measure, grouped):
    x, y = _data(seed, n=120)
    cv = cv_glmnet(x, y, type_measure=measure, grouped=grouped, seed=seed % 1000)
    imin, i1se = cv.index["min"], cv.index["1se"]
    assert cv.lambda_[imin] == cv.lambda_min and cv.lambda_[i1se] == cv.lambda_1se
    best = cv.cvm.max() if measure == "auc" else cv.cvm.min()
    assert cv.cvm[imin] == best
    assert cv.lambda_1se >= cv.lambda_min
    if measure == "auc":
        assert cv.cvm[i1se] >= cv.cvm[imin] - cv.cvsd[imin]
    else:
        assert cv.cvm[i1se] <= cv.cvm[imin] + cv.cvsd[imin]
    np.testing.assert_array_equal(cv.cvup, cv.cvm + cv.cvsd)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 10**6), measure=st.sampled_from(["deviance", "auc", "mse", "mae"]))
def test_permuting_rows_with_foldid_changes_nothing(seed, measure):
    # "class" is left out on purpose: near the null model a fold's fitted probability can sit at
    # exactly 0.5, where R's rule (p > 0.5) is decided by the last bit of a sum whose order the
    # permutation changes. The continuous measures carry the invariance.
    x, y = _data(seed, n=100)
    fid = r_foldid(100, 5, seed=seed % 1000)
    perm = np.random.default_rng(seed).permutation(100)
    a = cv_glmnet(x, y, foldid=fid, type_measure=measure, thresh=TIGHT)
    b = cv_glmnet(x[perm], y[perm], foldid=fid[perm], type_measure=measure, thresh=TIGHT)
    for k in ("lambda_", "cvm", "cvsd"):
        assert rel_diff(getattr(a, k), getattr(b, k)) <= PROPERTY_TOL, k
    assert a.index.tolist() == b.index.tolist()


@pytest.mark.parametrize("family", ["binomial", "gaussian"])
def test_weight_two_is_a_duplicated_row_and_weight_zero_a_dropped_row(family):
    x, y = _data(3, family=family)
    w = np.ones(len(y))
    w[5], w[9] = 2.0, 0.0
    weighted = glmnet(x, y, family=family, weights=w, thresh=TIGHT)
    rows = [i for i in range(len(y)) if i != 9] + [5]
    dup = glmnet(x[rows], y[rows], family=family, thresh=TIGHT)
    n = min(weighted.lambda_.size, dup.lambda_.size)
    assert rel_diff(weighted.lambda_[:n], dup.lambda_[:n]) <= PROPERTY_TOL
    assert rel_diff(weighted.beta.to_numpy()[:, :n], dup.beta.to_numpy()[:, :n]) <= PROPERTY_TOL


def test_lambda_interp_rules():
    lam = np.array([1.0, 0.5, 0.25, 0.125])
    left, right, frac = lambda_interp(lam, np.array([1.0, 0.25, 0.375, 5.0, 0.01]))
    np.testing.assert_array_equal(left, [0, 2, 1, 0, 3])
    np.testing.assert_array_equal(right, [0, 2, 2, 0, 3])
    np.testing.assert_allclose(frac, [1.0, 1.0, 0.5, 1.0, 1.0])
    x, y = _data(1)
    fit = glmnet(x, y)
    mid = 0.5 * (fit.lambda_[10] + fit.lambda_[11])
    f = (mid - fit.lambda_[11]) / (fit.lambda_[10] - fit.lambda_[11])
    expect = f * fit.coef().iloc[:, 10] + (1 - f) * fit.coef().iloc[:, 11]
    np.testing.assert_allclose(fit.coef(mid).to_numpy(), expect.to_numpy(), rtol=1e-12, atol=1e-15)


def test_seed_gives_r_folds_and_an_rrng_stream_continues():
    x, y = _data(4, n=90)
    cv = cv_glmnet(x, y, seed=2016)
    np.testing.assert_array_equal(cv.foldid, r_foldid(90, 10, 2016))
    g = RRNG(2016)
    cv1 = cv_glmnet(x, y, seed=g)
    cv2 = cv_glmnet(x, y, seed=g)
    np.testing.assert_array_equal(cv1.foldid, cv.foldid)
    assert not np.array_equal(cv2.foldid, cv1.foldid)


def test_full_lambda_mode_fits_folds_on_the_full_sequence():
    x, y = _data(5, n=100)
    fid = r_foldid(100, 5, seed=1)
    own = cv_glmnet(x, y, foldid=fid)
    full = cv_glmnet(x, y, foldid=fid, fold_lambda="full")
    np.testing.assert_array_equal(own.lambda_, full.lambda_)
    assert not np.allclose(own.cvm, full.cvm)


# ============================================================== results: names, tidy, glance


def test_names_coef_predict_and_schema():
    x, y = _data(6)
    df = pd.DataFrame(x, columns=[f"ind_{k}" for k in range(x.shape[1])])
    labels = np.where(y == 1, "inadequate", "other")
    fit = glmnet(df, labels)
    assert list(fit.classes) == ["inadequate", "other"]  # sorted, as R's factor levels
    c = fit.coef(0.01)
    assert list(c.index) == ["(Intercept)", *df.columns]
    assert list(glmnet(x, y).coef(0.01).index) == ["(Intercept)"] + [f"V{j}" for j in range(1, 7)]
    shuffled = df[df.columns[::-1]]
    np.testing.assert_allclose(fit.predict(shuffled, 0.01), fit.predict(df, 0.01))
    p = fit.predict(df, [0.1, 0.01], type="response")
    assert p.shape == (len(y), 2) and ((p > 0) & (p < 1)).all()
    cls = fit.predict(df, 0.01, type="class")
    eta = fit.predict(df, 0.01)
    assert (cls == np.where(eta > 0, "other", "inadequate")).all()
    t = validate_tidy(fit.tidy())
    assert (t["estimate"] != 0).all() and len(t) == int((fit.coef() != 0).to_numpy().sum())
    assert {"step", "lambda", "dev_ratio"} <= set(t.columns)
    g = validate_glance(fit.glance())
    assert g["nobs"].iloc[0] == len(y) and g["npasses"].iloc[0] == fit.npasses

    cv = cv_glmnet(df, labels, seed=1, keep=True)
    t = validate_tidy(cv.tidy())
    assert len(t) == cv.lambda_.size
    np.testing.assert_array_equal(t["estimate"], cv.cvm)
    np.testing.assert_array_equal(t["conf_low"], cv.cvlo)
    g = validate_glance(cv.glance())
    assert g["lambda_min"].iloc[0] == cv.lambda_min and g["lambda_1se"].iloc[0] == cv.lambda_1se
    assert cv.fit_preval.shape == (len(y), cv.lambda_.size) and np.isfinite(cv.fit_preval).all()
    assert cv.coef().equals(fit.coef(cv.lambda_1se))
    np.testing.assert_array_equal(cv.predict(df, "lambda.min"), fit.predict(df, cv.lambda_min))


# =========================================================================== bad input


def test_non_binary_y():
    x, _ = _data(7)
    y = np.arange(len(x)) % 3
    with pytest.raises(ValueError, match="More than two classes"):
        glmnet(x, y)
    with pytest.raises(ValueError, match="needs two classes"):
        glmnet(x, np.zeros(len(x)))


def test_a_class_with_fewer_than_two_members():
    x, _ = _data(8)
    y = np.zeros(len(x))
    y[3] = 1
    with pytest.raises(
        ValueError, match="one multinomial or binomial class has 1 or 0 observations"
    ):
        glmnet(x, y)
    y[4:8] = 1
    with pytest.warns(UserWarning, match="fewer than 8  observations; dangerous ground"):
        glmnet(x, y)


def test_a_class_absent_from_a_training_fold_names_the_fold():
    x, _ = _data(9, n=60)
    y = np.zeros(60)
    y[:3] = 1
    fid = np.resize(np.arange(1, 6), 60)
    fid[:3] = 2  # every member of the minority class held out together
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(
            ValueError, match="fold 2: one multinomial or binomial class has 1 or 0"
        ):
            cv_glmnet(x, y, foldid=fid)


def test_a_class_absent_from_a_held_out_fold_is_handled_as_r():
    """AUC of such a fold is undefined; R drops it from the mean (na.rm) -- see fixture case
    binomial_auc_class_absent for the numbers."""
    x, _ = _data(10, n=60)
    y = np.zeros(60)
    y[[0, 1, 2, 3, 5, 6, 7, 8, 10, 11]] = 1
    fid = np.resize(np.arange(1, 6), 60)
    fid[np.flatnonzero(y == 1)] = np.resize([1, 2], 10)  # folds 3-5 hold no member of class 1
    with pytest.warns(UserWarning, match="fewer than 8"):
        cv = cv_glmnet(x, y, foldid=fid, type_measure="auc")
    assert np.isfinite(cv.cvm).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_x_names_the_column(bad):
    x, y = _data(11)
    df = pd.DataFrame(x, columns=list("abcdef"))
    df.loc[7, "d"] = bad
    with pytest.raises(ValueError, match=r"column 'd' \(first at row 7\)"):
        glmnet(df, y)
    x[2, 4] = bad
    with pytest.raises(ValueError, match="column 'V5'"):
        cv_glmnet(x, y, seed=1)


def test_non_numeric_column_is_named():
    x, y = _data(12)
    df = pd.DataFrame(x, columns=list("abcdef"))
    df["c"] = "text"
    with pytest.raises(TypeError, match="'c'"):
        glmnet(df, y)


def test_nfolds_below_three():
    x, y = _data(13)
    with pytest.raises(ValueError, match="nfolds must be bigger than 3"):
        cv_glmnet(x, y, nfolds=2, seed=1)
    with pytest.raises(ValueError, match="nfolds must be bigger than 3"):
        cv_glmnet(x, y, foldid=np.resize([1, 2], len(y)))


def test_bad_foldid():
    x, y = _data(14)
    with pytest.raises(ValueError, match="foldid has length 79; x has 80 rows"):
        cv_glmnet(x, y, foldid=np.resize(np.arange(1, 6), 79))
    with pytest.raises(ValueError, match=r"fold\(s\) \[3\] empty"):
        cv_glmnet(x, y, foldid=np.resize([1, 2, 4, 5], 80))
    with pytest.raises(ValueError, match="whole numbers"):
        cv_glmnet(x, y, foldid=np.resize([0.5, 1, 2, 3], 80))
    with pytest.raises(ValueError, match="needs foldid or seed"):
        cv_glmnet(x, y)
    with pytest.raises(ValueError, match="not both"):
        cv_glmnet(x, y, seed=1, foldid=np.resize(np.arange(1, 4), 80))


def test_other_bad_arguments():
    x, y = _data(15)
    with pytest.raises(ValueError, match=r"number of elements in weights \(3\)"):
        glmnet(x, y, weights=[1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        glmnet(x, y, weights=-np.ones(len(y)))
    with pytest.raises(ValueError, match="penalty.factor"):
        glmnet(x, y, penalty_factor=[1, 1])
    with pytest.raises(ValueError, match="2 or more columns"):
        glmnet(x[:, :1], y)
    with pytest.raises(ValueError, match="not equal to the number of rows"):
        glmnet(x, y[:-1])
    with pytest.raises(ValueError, match="Need more than one value of lambda"):
        cv_glmnet(x, y, seed=1, lambda_=[0.1])
    with pytest.raises(ValueError, match="type_measure"):
        cv_glmnet(x, y, seed=1, type_measure="C")
    with pytest.warns(
        UserWarning, match="Only mse, deviance, mae available as type.measure for Gaussian"
    ):
        cv = cv_glmnet(
            x, y + np.arange(len(y)) * 0.01, family="gaussian", seed=1, type_measure="auc"
        )
    assert cv.type_measure == "mse"
    with pytest.warns(UserWarning, match="alpha >1; set to 1"):
        glmnet(x, y, alpha=2)
    with pytest.raises(ValueError, match="family"):
        glmnet(x, y, family="poisson")
    with pytest.raises(ValueError, match="y is constant"):
        glmnet(x, np.ones(len(y)), family="gaussian")
