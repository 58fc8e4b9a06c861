"""hood2016 end to end on the synthetic panel: tables, reporting rules, the planted model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.elasticnet import cv_glmnet
from models.rrandom import RoundingSamplerWarning
from replication.data import make_panel
from replication.papers import hood2016
from replication.papers._base import StudyResult

STRONG_PER_SD = 0.5
"""A planted coefficient moving the log-odds by >= 0.5 per standard deviation of its predictor
is 'strong': with 150 LAs (about 25 rated inadequate) the lasso finds these. The generator
plants about 1 per SD for every predictor (replication.data.synthetic)."""


@pytest.fixture(scope="module")
def panel():
    return make_panel(seed=0)


@pytest.fixture(scope="module")
def result(panel):
    return hood2016.run(panel, figures=False)


def test_tables_and_options(result):
    assert isinstance(result, StudyResult) and result.study == "hood2016"
    for name in (
        "figure2_trends",
        "correlations_reported",
        "figure3_re_referrals",
        "table2_coefficients",
        "table2_model",
        "table2_accuracy",
        "cv_curve",
        "groups",
        "table3",
        "groups_levels_at_y",
        "recovery",
    ):
        assert name in result.tables and isinstance(result.tables[name], pd.DataFrame), name
    for opt in ("alpha", "s", "nfolds", "seed", "sample_kind", "type_measure", "fold_lambda"):
        assert opt in result.options
    assert result.options["sample_kind"] == "Rounding" and result.options["fold_lambda"] == "full"
    assert any("non-uniform 'Rounding' sampler used" in n for n in result.notes)


def test_model_is_cv_glmnet_on_the_2012_data(panel, result):
    """Table 2 is exactly cv.glmnet's coefficients at lambda.min on the 2012 indicators."""
    preds = result.options["predictors"]
    X, y, _ = hood2016.model_data(panel, preds, 2012, "inadequate_2012_13")
    with pytest.warns(RoundingSamplerWarning):
        cv = cv_glmnet(X[preds], y, seed=2016, sample_kind="Rounding", fold_lambda="full")
    coef = cv.coef("lambda.min")
    t2 = result.tables["table2_coefficients"].set_index("term")["coefficient"]
    nz = coef[(coef != 0) | (coef.index == "(Intercept)")]
    pd.testing.assert_series_equal(t2, nz, check_names=False)
    assert result.options["lambda"] == cv.lambda_min
    model = result.tables["table2_model"].set_index("measure")
    at = int(np.flatnonzero(cv.fit.lambda_ == cv.lambda_min)[0])
    assert model.loc["deviance_explained", "percent"] == 100 * cv.fit.dev_ratio[at]
    acc = result.tables["table2_accuracy"].set_index("measure")
    assert acc.loc["sensitivity", "denominator"] == y.sum()
    assert acc.loc["specificity", "denominator"] == (~y).sum()
    p = cv.predict(X[preds], "lambda.min", type="response")
    assert acc.loc["sensitivity", "numerator"] == int(np.sum((p > 0.5) & y))
    assert acc.loc["specificity", "percent"] == 100 * np.sum((p <= 0.5) & ~y) / (~y).sum()


def test_every_planted_predictor_recovered_on_the_default_panel(result):
    """What `replicate run hood2016` shows: every planted predictor selected with its sign."""
    rec = result.tables["recovery"]
    planted = rec[rec["planted"] != 0]
    assert set(planted["indicator"]) == set(make_panel(seed=0).truth.inadequate_coefficients)
    assert (planted["planted_per_sd"].abs() >= STRONG_PER_SD).all()
    assert planted["sign_recovered"].all(), planted
    others = rec[rec["planted"] == 0]
    assert others["selected"].all() and others["sign_recovered"].isna().all()


@pytest.mark.slow
def test_every_planted_predictor_recovered_with_its_sign_on_a_large_panel():
    big = make_panel(seed=0, n_la=700, years=range(2010, 2015))
    res = hood2016.run(big, figures=False)
    rec = res.tables["recovery"]
    planted = rec[rec["planted"] != 0]
    assert set(planted["indicator"]) == set(big.truth.inadequate_coefficients)
    assert planted["sign_recovered"].all(), planted


def test_groups_a_and_b(panel, result):
    g = result.tables["groups"]
    assert {"A", "B"} <= set(g["group"])  # both groups present on the default panel
    rated = panel.las.set_index("la_code")["inadequate_2012_13"]
    assert (g["group"] == np.where(g["la_code"].map(rated), "B", "A")).all()
    assert (g["probability"] > 0.5).all() and g["year"].isin([2010, 2011, 2012]).all()
    assert g["la_code"].is_unique
    t3 = result.tables["table3_long"]
    wide = panel.wide()
    ind = "re_referrals"
    for name in ("A", "B"):  # Y -> Y+1 changes of each group's LAs, by hand
        grp = g[g["group"] == name]
        y0 = grp.merge(wide[["la_code", "year", ind]], on=["la_code", "year"])[ind].to_numpy()
        y1 = (
            grp.assign(year=grp["year"] + 1)
            .merge(wide[["la_code", "year", ind]], on=["la_code", "year"])[ind]
            .to_numpy()
        )
        assert len(y0) == len(y1) == len(grp)
        row = t3[(t3["group"] == name) & (t3["indicator"] == ind)].iloc[0]
        assert row["median_change"] == pytest.approx(np.median(y1 - y0), rel=1e-12)
        assert row["pct_rising"] == pytest.approx(100 * np.mean(y1 - y0 > 0))


def test_trends_are_medians_and_iqrs(panel, result):
    tr = result.tables["figure2_trends"]
    wide = panel.wide()
    row = tr[(tr["indicator"] == "re_referrals") & (tr["year"] == 2012)].iloc[0]
    v = wide.loc[wide["year"] == 2012, "re_referrals"].dropna()
    assert row["median"] == v.median()
    assert row["q25"] == pytest.approx(v.quantile(0.25)) and row["q75"] == pytest.approx(
        v.quantile(0.75)
    )


def test_reporting_rules():
    rows = []
    p_cin = {2010: 0.01, 2011: 0.2, 2012: 0.03, 2013: 0.04, 2014: 0.5}
    p_wf = {2013: 0.01, 2014: 0.07}
    for y, p in p_cin.items():
        rows.append(
            {
                "year": y,
                "var1": "referrals",
                "var2": "re_referrals",
                "estimate": 0.3 if y != 2012 else -0.2,
                "p_value": p,
                "n": 150,
            }
        )
    for y, p in p_wf.items():
        rows.append(
            {
                "year": y,
                "var1": "agency_worker_rate",
                "var2": "re_referrals",
                "estimate": 0.4,
                "p_value": p,
                "n": 150,
            }
        )
    rows.append(
        {
            "year": 2013,
            "var1": "vacancy_rate",
            "var2": "cin_rate",
            "estimate": -0.3,
            "p_value": 0.001,
            "n": 150,
        }
    )
    rows.append(
        {
            "year": 2014,
            "var1": "vacancy_rate",
            "var2": "cin_rate",
            "estimate": -0.25,
            "p_value": 0.002,
            "n": 150,
        }
    )
    long = pd.DataFrame(rows)
    out = hood2016.significant_pairs(
        long, hood2016.WORKFORCE_INDICATORS, (2010, 2011, 2012, 2013, 2014), (2013, 2014), 3, 0.05
    ).set_index(["var1", "var2"])
    cin = out.loc[("referrals", "re_referrals")]
    assert cin["reported"] and cin["years_significant"] == 3 and cin["signs"] == "+ . - + ."
    assert not out.loc[("agency_worker_rate", "re_referrals")]["reported"]  # 2014 not significant
    wf = out.loc[("vacancy_rate", "cin_rate")]
    assert wf["reported"] and wf["signs"] == "- -" and wf["rule"].startswith("workforce")
    fig3 = hood2016.figure3_table(long, out.reset_index())
    assert set(fig3["indicator"]) == {"referrals"}


def test_options_and_bad_input(panel):
    with pytest.raises(TypeError, match="unknown options"):
        hood2016.run(panel, lambda_choice="min")
    with pytest.raises(ValueError, match="lambda.min"):
        hood2016.run(panel, s="min")
    with pytest.raises(ValueError, match="no column 'rated'"):
        hood2016.run(panel, outcome="rated", figures=False, sample_kind="Rejection")
    late = make_panel(seed=1, n_la=40, years=range(2013, 2016))
    with pytest.raises(ValueError, match="no data for 2012"):
        hood2016.run(late, figures=False, sample_kind="Rejection")


def test_lambda_1se_gives_a_sparser_model(panel):
    res = hood2016.run(
        panel, s="lambda.1se", sample_kind="Rejection", fold_lambda="own", figures=False
    )
    assert res.options["s"] == "lambda.1se"
    assert len(res.tables["table2_coefficients"]) <= 1 + len(res.options["predictors"])
    full = hood2016.run(panel, sample_kind="Rejection", fold_lambda="own", figures=False)
    assert res.options["lambda"] >= full.options["lambda"]


def test_figures_are_drawn(result):
    fig2 = hood2016.figure_trends(result.tables["figure2_trends"], hood2016.QUALITY_INDICATORS)
    fig3 = hood2016.figure_correlations(result.tables["figure3_re_referrals"])
    assert len([a for a in fig2.axes if a.get_visible()]) == len(
        set(result.tables["figure2_trends"]["indicator"])
    )
    assert fig3.axes[0].get_xlabel() == "Spearman rho with re_referrals"


# --------------------------------------------------------------------------- published numbers


def test_published_vs_reproduced_covers_every_record(result):
    from replication.published import load_published

    pv = result.tables["published_vs_reproduced"]
    records = load_published("hood2016")
    kept = records[~records["note"].str.lower().str.startswith("cited")]
    assert list(pv["id"]) == list(kept["id"]) and len(pv) == 125
    assert pv["reason"].str.len().gt(0).all()  # every row says why it may differ
    missing = pv[pv["reproduced"].isna()]
    assert not missing["within"].any()
    assert not missing["reason"].str.startswith("not reproduced").any()  # each has its reason
    got = pv[pv["reproduced"].notna()]
    assert got["reason"].str.startswith("synthetic data").all()


def test_published_vs_reproduced_holds_the_studys_numbers(panel, result):
    pv = result.tables["published_vs_reproduced"].set_index("id")
    model = result.tables["table2_model"].set_index("measure")["percent"]
    assert pv.loc["or_deviance", "reproduced"] == model["deviance_explained"]
    assert pv.loc["or_sens", "reproduced"] == model["sensitivity"]
    assert pv.loc["sum_accuracy", "reproduced"] == model["sensitivity"]
    assert pv.loc["or_spec", "reproduced"] == model["specificity"]
    coef = result.tables["table2_coefficients"].set_index("term")["coefficient"]
    assert pv.loc["t2_ia10", "reproduced"] == coef["initial_assessments_within_10_days"]
    assert pv.loc["t2_s47", "reproduced"] == coef.get("section47", 0.0)
    groups = result.tables["groups"]
    assert pv.loc["t3_nb", "reproduced"] == (groups["group"] == "B").sum()
    assert pv.loc["ga_n", "reproduced"] == (groups["group"] == "A").sum()
    t3 = result.tables["table3_long"].set_index(["indicator", "group"])
    assert pv.loc["t3_s47_b_med", "reproduced"] == t3.loc[("section47", "B"), "median_change"]
    assert pv.loc["t3_reref_b_pct", "reproduced"] == t3.loc[("re_referrals", "B"), "pct_rising"]
    assert "definitions" in pv.loc["t3_care_b_med", "reason"]  # children looked after
    # counts of the panel: 150 LAs analysed, City of London and Isles of Scilly excluded
    assert pv.loc["tr_las", "reproduced"] == 150 and pv.loc["tr_las", "within"]
    assert pv.loc["m_excluded", "reproduced"] == 2 and pv.loc["m_excluded", "within"]
    assert pv.loc["abs_las", "reproduced"] == 152
    assert pv.loc["abs_years", "reproduced"] == len(panel.years)
    # what the public data cannot give
    assert np.isnan(pv.loc["ga_good", "reproduced"]) and "2010-2013" in pv.loc["ga_good", "reason"]
    assert "not in the panel" in pv.loc["t3_review_a_med", "reason"]
    assert "2002-2007" in pv.loc["tr_ceiling", "reason"]


def test_an_empty_group_is_said_so(result):
    """A group with no LA (group A on the default panel) is named as such, not left blank."""
    pv = result.tables["published_vs_reproduced"].set_index("id")
    sizes = result.tables["groups"]["group"].value_counts()
    for g in ("a", "b"):
        empty = sizes.get(g.upper(), 0) == 0
        for rid in (f"t3_cin_{g}_med", f"g{g}_ia10_median"):
            assert (f"group {g.upper()} is empty" in pv.loc[rid, "reason"]) == empty, rid
            assert np.isnan(pv.loc[rid, "reproduced"]) or not empty


# --------------------------------------------------------------------------- Python vs R


def test_no_r_comparison_unless_asked(result):
    assert "python_vs_r" not in result.tables
    assert not any("Python vs R" in n for n in result.notes)


def test_with_r_but_r_absent_gives_a_note(panel, monkeypatch):
    import replication.rbridge as rbridge

    monkeypatch.setattr(rbridge, "r_available", lambda: False)
    res = hood2016.run(panel, figures=False, with_r=True, sample_kind="Rejection")
    assert "python_vs_r" not in res.tables
    assert "Python vs R not compared: R is not installed." in res.notes


def test_with_r_and_r_failing_gives_a_note(panel, monkeypatch):
    import replication.rbridge as rbridge

    def fails(*args, **kwargs):
        raise rbridge.RError("R error: boom")

    monkeypatch.setattr(rbridge, "r_available", lambda: True)
    monkeypatch.setattr(hood2016, "python_vs_r", fails)
    res = hood2016.run(panel, figures=False, with_r=True, sample_kind="Rejection")
    assert "python_vs_r" not in res.tables
    assert "Python vs R not compared: R stopped with an error: R error: boom" in res.notes


@pytest.mark.parametrize("py, r, floor, want", [
    (1.0, 1.0, 0.0, 0.0),
    (2.0, 1.0, 0.0, 0.5),            # |2 - 1| / 2
    (-1.0, 1.0, 0.0, 2.0),           # |-1 - 1| / max(1, 1)
    (1e-16, -1e-16, 1e-4, 2e-12),    # rounding noise around 0, held to the floor
    (np.nan, np.nan, 0.0, 0.0),
    (np.nan, 1.0, 0.0, np.inf),
])
def test_relative_difference(py, r, floor, want):
    assert hood2016.rel_difference(py, r, floor) == pytest.approx(want, rel=1e-12)
    row = hood2016.vs_r_row("t", "row", "q", py, r, 1e-10, floor)
    assert list(row) == list(hood2016.R_COLUMNS)
    assert row["within"] == (want <= 1e-10)


def test_worst_row_reports_the_worst_element():
    row = hood2016._worst_row("t", "3 values", "x", [1.0, 2.0, 3.0], [1.0, 2.2, 3.0], 1e-10)
    assert row["python"] == 2.0 and row["r"] == 2.2 and "element 2" in row["quantity"]
    assert row["difference"] == pytest.approx(0.2 / 2.2) and not row["within"]
    bad = hood2016._worst_row("t", "n", "x", [1.0, 2.0], [1.0], 1e-10)
    assert bad["difference"] == np.inf and not bad["within"]
