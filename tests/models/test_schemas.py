"""Every estimator's tidy() and glance() keep the promised schema (models._result).

One small, well-posed fit per estimator and result kind; the numbers themselves are held
against R in each family's own tests. Here: the columns, their order and types, one-row
glance with nobs, p-values in [0, 1], conf_low <= conf_high, and the family's extra columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models._result import TIDY_COLUMNS, validate_glance, validate_tidy


def _data(n=120, seed=1):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    g = pd.Categorical(rng.choice(["a", "b", "c"], size=n))
    eta = 0.3 + 0.8 * x1 - 0.5 * x2
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    lev = np.digitize(eta + rng.logistic(size=n), [-0.3, 0.9])
    ordered = pd.Categorical(np.array(["low", "mid", "high"])[lev], categories=["low", "mid", "high"], ordered=True)
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g, "o": ordered,
                         "m": pd.Categorical(np.array(["low", "mid", "high"])[lev])})


def _fits():
    from models import correlation, elasticnet, groups, logistic, multinomial, ordinal

    d = _data()
    X = d[["x1", "x2"]].to_numpy()
    yield "cor_test spearman", correlation.cor_test(d.x1, d.x2), ()
    yield "cor_test pearson", correlation.cor_test(d.x1, d.x2, method="pearson"), ()
    yield "cor_test kendall", correlation.cor_test(d.x1, d.x2, method="kendall"), ()
    yield "cor_matrix", correlation.cor_matrix(d[["x1", "x2"]].assign(z=d.x1 - 2 * d.x2)), ()
    yield "glmnet", elasticnet.glmnet(X, d.y), ()
    yield "cv_glmnet", elasticnet.cv_glmnet(X, d.y, nfolds=5, seed=1), ()
    yield "t_test", groups.t_test(d.x1[d.y == 1], d.x1[d.y == 0]), ()
    yield "aov", groups.aov(d.x1, d.g), ()
    yield "tukey_hsd", groups.tukey_hsd(d.x1, d.g), ("contrast", "adj_p_value")
    yield "pairwise_t_test", groups.pairwise_t_test(d.x1, d.g, p_adjust="bonferroni"), ()
    yield "logit", logistic.logit("y ~ x1 + x2 + g", d), ("odds_ratio", "wald")
    yield "stepwise_logit", logistic.stepwise_logit(d, "y", ["x1", "x2"]).final, ("odds_ratio", "wald")
    yield "StepwiseResult", logistic.stepwise_logit(d, "y", ["x1", "x2", "g"]), ("odds_ratio", "wald")
    yield "multinom", multinomial.multinom("m ~ x1 + x2", d), ("y_level", "odds_ratio", "wald")
    yield "polr", ordinal.polr("o ~ x1 + x2", d), ("coef_type",)
    yield "parallel_lines_test", ordinal.parallel_lines_test("o ~ x1 + g", d), ("df",)
    yield "brant_test", ordinal.brant_test("o ~ x1 + g", d), ("df",)
    from models.glmm import glmer_poisson

    rng = np.random.default_rng(2)
    la = np.repeat(np.arange(30), 6)
    t = np.tile(np.arange(6.0), 30)
    counts = rng.poisson(np.exp(2 + (0.1 + rng.normal(0, 0.15, 30)[la]) * t + rng.normal(0, 0.3, 30)[la]))
    panel = pd.DataFrame({"y": counts, "t": t, "la": la.astype(str)})
    yield "glmer_poisson nagq=7", glmer_poisson("y ~ t + (1 | la)", panel, nagq=7), ("effect", "group")
    yield "glmer_poisson slope", glmer_poisson("y ~ t + (1 + t | la)", panel), ("effect", "group")


FITS = list(_fits())


@pytest.mark.parametrize(("name", "fit", "extra"), FITS, ids=[f[0] for f in FITS])
def test_tidy_schema(name, fit, extra):
    tidy = validate_tidy(fit.tidy())
    assert list(tidy.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    for col in extra:
        assert col in tidy.columns, f"{name}: tidy() lacks {col}"


@pytest.mark.parametrize(("name", "fit", "extra"), FITS, ids=[f[0] for f in FITS])
def test_glance_schema(name, fit, extra):
    g = validate_glance(fit.glance())
    assert int(g["nobs"].iloc[0]) > 0


def test_polr_zeta_terms_are_named_as_r():
    tidy = [f for f in FITS if f[0] == "polr"][0][1].tidy()
    zeta = tidy.loc[tidy["coef_type"] == "zeta", "term"].tolist()
    assert zeta == ["low|mid", "mid|high"]


def test_logit_glance_reports_pseudo_r2_and_model_chisq():
    g = [f for f in FITS if f[0] == "logit"][0][1].glance()
    for col in ("loglik", "aic", "bic", "deviance", "null_deviance", "model_chisq", "cox_snell_r2", "nagelkerke_r2"):
        assert col in g.columns, col
    assert 0 < g["cox_snell_r2"].iloc[0] < g["nagelkerke_r2"].iloc[0] < 1


def _fit(name):
    return [f for f in FITS if f[0] == name][0][1]


def test_stepwise_result_tables_are_its_final_models():
    res = _fit("StepwiseResult")
    pd.testing.assert_frame_equal(res.tidy(), res.final.tidy())
    pd.testing.assert_frame_equal(res.glance(), res.final.glance())
    assert list(res.tidy()["term"]) == ["(Intercept)", *res.selected]


def test_parallel_lines_tidy_and_glance_hold_the_lr_test():
    res = _fit("parallel_lines_test")
    tidy, g = res.tidy(), res.glance()
    assert len(tidy) == 1 and tidy["term"].iloc[0] == "General"
    assert tidy[["estimate", "std_error", "conf_low", "conf_high"]].isna().all(axis=None)
    assert tidy["statistic"].iloc[0] == res.statistic and tidy["p_value"].iloc[0] == res.p_value
    assert tidy["df"].iloc[0] == res.df == 3  # (J - 2) * p: 3 levels; x1, gb, gc
    assert g["nobs"].iloc[0] == 120
    assert g["statistic"].iloc[0] == pytest.approx(
        2 * (g["loglik_general"].iloc[0] - g["loglik_parallel"].iloc[0]), rel=1e-12)
    from models.ordinal import polr

    assert g["loglik_parallel"].iloc[0] == pytest.approx(
        polr("o ~ x1 + g", _data()).glance()["loglik"].iloc[0], rel=1e-10)
    assert g["loglik_general"].iloc[0] > g["loglik_parallel"].iloc[0]


def test_brant_tidy_has_omnibus_and_one_row_per_predictor_column():
    res = _fit("brant_test")
    tidy, g = res.tidy(), res.glance()
    assert list(tidy["term"]) == ["Omnibus", "x1", "gb", "gc"]
    assert tidy[["estimate", "std_error", "conf_low", "conf_high"]].isna().all(axis=None)
    assert list(tidy["df"]) == [3, 1, 1, 1]
    assert tidy["statistic"].iloc[0] == res.statistic
    np.testing.assert_array_equal(tidy["p_value"].iloc[1:], res.per_term["p_value"])
    assert (g["nobs"].iloc[0], g["df"].iloc[0], g["n_cuts"].iloc[0]) == (120, 3, 2)
    assert g["p_value"].iloc[0] == res.p_value
