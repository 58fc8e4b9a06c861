"""wilkins2020 end to end: tables and their shapes, the ILACS sample rule on hand-made LA
tables, the planted effects of the synthetic panel, the options, and the real panel."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from replication.papers import wilkins2020 as W
from replication.papers._compare import COLUMNS as PVR_COLUMNS
from replication.published import load_published
from tests.replication import wilkins_panels

FLIP_TOL = 1e-8
"""Logit coefficients under the reversed outcome: IRLS converged to 1e-12 relative change in
deviance on both sides, so B and -B agree far inside this."""

TABLE4_TRUTH = {"referral_rate": "referrals", "cin_rate": "cin_rate", "cp_rate": "cpp",
                "cic_rate": "cla_rate"}


@pytest.fixture(scope="module")
def panel():
    return wilkins_panels.synthetic(0)


@pytest.fixture(scope="module")
def result(panel):
    return W.run(panel)


@pytest.fixture(scope="module")
def flipped(panel):
    return W.run(panel, coding="1=outstanding", figures=False)


TABLES = ("sample", "sample_vs_paper", "variables", "analysis_data", "figure1_ratings",
          "table1_categories", "table2_deprivation", "subjudgements", "spearman", "table4",
          "table4_long", "ttests", "spend_by_deprivation", "spend_anova", "spend_bonferroni",
          "univariate_logits", "table5", "stepwise_steps", "published_vs_reproduced")


def test_every_table_with_its_shape(result):
    t = result.tables
    assert set(t) == set(TABLES)
    n = int(t["sample"]["included"].sum())
    assert len(t["analysis_data"]) == n
    assert t["figure1_ratings"]["n"].sum() == n
    assert t["figure1_ratings"]["percent"].sum() == pytest.approx(100)
    assert list(t["table1_categories"]["code"]) == ["low", "high", "total"]
    assert t["table1_categories"]["frequency"].iloc[-1] == n
    assert list(t["table2_deprivation"]["frequency"]) == [16, 15, 16, 47]   # R's cut at thirds
    assert len(t["spearman"]) == len(W.VARIABLES) + 1
    assert len(t["ttests"]) == len(t["univariate_logits"]) == len(W.VARIABLES)
    assert t["table4"].shape == (5, 6 + 1)          # row label, five columns, options
    assert len(t["table4_long"]) == 10
    assert list(t["spend_anova"]["ofsted_category"]) == ["all", "low", "high"]
    assert len(t["spend_bonferroni"]) == 9
    t5 = t["table5"]
    assert t5["row"].iloc[0] == "Full model" and t5["row"].iloc[1] == "(Intercept)"
    assert t5["chisq"].iloc[0] > 0 and t5["df"].iloc[0] == len(t5) - 2
    assert 0 < t5["nagelkerke_r2"].iloc[0] < 1
    assert set(result.figures) == {"figure1"}
    for name, table in t.items():
        assert table["options"].str.startswith("coding: 1 = low, 2 = high").all(), name


def test_table4_as_printed(result):
    t4 = result.tables["table4"].set_index("row")
    long = result.tables["table4_long"]
    r = long[(long["var1"] == "cin_rate") & (long["var2"] == "cic_rate")].iloc[0]
    text = f"{r['rho']:.3f}".replace("0.", ".", 1) + r["mark"]
    assert t4.loc["CIN rate", "CIC rate"] == text == t4.loc["CIC rate", "CIN rate"]
    assert t4.loc["CP rate", "CP rate"] == "1"


def test_ttests_are_pooled_and_low_minus_high(result):
    tt = result.tables["ttests"].set_index("variable")
    r = tt.loc["spend_total"]
    assert (r["group1"], r["group2"]) == ("low", "high") and r["df"] == r["n1"] + r["n2"] - 2
    sp = math.sqrt(((r["n1"] - 1) * r["sd1"] ** 2 + (r["n2"] - 1) * r["sd2"] ** 2) / r["df"])
    t = (r["mean1"] - r["mean2"]) / (sp * math.sqrt(1 / r["n1"] + 1 / r["n2"]))
    assert r["t"] == pytest.approx(t, rel=1e-12)


def test_bonferroni_is_three_times_the_pooled_p(result):
    bf = result.tables["spend_bonferroni"]
    np.testing.assert_allclose(bf["p_bonferroni"], np.minimum(1, 3 * bf["p_unadjusted"]),
                               rtol=1e-12)


def test_published_vs_reproduced_lists_every_record(result):
    pvr = result.tables["published_vs_reproduced"]
    assert list(pvr.columns) == [*PVR_COLUMNS, "options"]
    recs = load_published("wilkins2020")
    own = recs[~recs["note"].str.lower().str.startswith("cited")]
    assert list(pvr["id"]) == list(own["id"])
    assert not pvr["reason"].str.contains("not reproduced by this module").any()
    t = pvr.set_index("id")
    # synthetic LAs are drawn to the paper's counts: these match exactly
    for rid in ("m_n", "t1_low_n", "t1_high_n", "m_n_inad", "m_n_out", "t2_high_n", "t2_mod_n"):
        assert t.loc[rid, "within"], rid
    # Table 4's printed marks are set beside ours
    assert t.loc["t4_cin_ref", "published_mark"] == "**"
    assert t.loc["t4_cin_ref", "reproduced_mark"] in ("", "*", "**")


# ---- the sample rule on hand-made LA tables ----------------------------------------------------

def test_ilacs_window():
    las = pd.DataFrame({
        "la_code": [301, 302, 303, 304, 305, 306],
        "name": list("ABCDEF"),
        "status": ["current", "current", "abolished 2019-04-01 (successors 839)", "current",
                   "current", "current"],
        "ilacs_date": pd.to_datetime(["2017-12-31", "2018-01-01", "2018-07-16", "2019-03-31",
                                      "2019-04-01", None]),
        "ilacs_judgement": ["good", "inadequate", "requires_improvement", "outstanding", "good",
                            None]})
    s = W.select_sample(las).set_index("la_code")
    assert list(s.index[s["included"]]) == [302, 303, 304]
    assert list(s.loc[[302, 303, 304], "category"]) == ["low", "low", "high"]
    assert "before 2018-01-01" in s.loc[301, "reason"]
    assert "after 2019-03-31" in s.loc[305, "reason"]
    assert "no ILACS inspection" in s.loc[306, "reason"]
    assert "no longer exists" in s.loc[303, "reason"]
    s2 = W.select_sample(las, window=("2018-01-01", "2019-04-01"))
    assert 305 in set(s2.loc[s2["included"], "la_code"])
    with pytest.raises(KeyError, match="ilacs_date"):
        W.select_sample(las.drop(columns="ilacs_date"))


# ---- planted effects ----------------------------------------------------------------------------

def test_planted_effects_are_found(panel, result):
    truth = panel.truth
    sp = result.tables["spearman"].set_index("variable")
    # the ILACS score rises with deprivation (higher = worse): rho with the rating < 0
    assert sp.loc["deprivation", "rho"] < 0
    # the planted rank correlations between the four rates (all positive) come out with their
    # sign and significant
    long = result.tables["table4_long"]
    for r in long[long["var1"] != "rating"].itertuples():
        key = (TABLE4_TRUTH[r.var1], TABLE4_TRUTH[r.var2])
        sign = truth.rank_corr_signs.get(key, truth.rank_corr_signs.get(key[::-1]))
        assert sign == 1, key
        assert r.rho > 0 and r.p_value < 0.05, key
    # spend per child rises with deprivation (planted), over all LAs significantly
    sb = result.tables["spend_by_deprivation"]
    m = sb[sb["ofsted_category"] == "all"].set_index("deprivation")["mean"]
    assert m["low"] < m["moderate"] < m["high"]
    an = result.tables["spend_anova"].set_index("ofsted_category")
    assert an.loc["all", "p_value"] < 0.05
    assert sp.loc["deprivation~spend_total", "rho"] > 0


# ---- options -------------------------------------------------------------------------------------

def test_coding_flips_every_sign(result, flipped):
    a = result.tables["spearman"].set_index("variable")
    b = flipped.tables["spearman"].set_index("variable")
    ok = (a["n"] > 0) & (a.index != "deprivation~spend_total")
    np.testing.assert_allclose(b.loc[ok, "rho"], -a.loc[ok, "rho"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(b.loc[ok, "p_value"], a.loc[ok, "p_value"], rtol=1e-12)
    ta = result.tables["ttests"].set_index("variable")
    tb = flipped.tables["ttests"].set_index("variable")
    np.testing.assert_allclose(tb["t"], -ta["t"], rtol=1e-12)
    ua = result.tables["univariate_logits"].set_index("variable")
    ub = flipped.tables["univariate_logits"].set_index("variable")
    fit = ua["n"] > 0
    np.testing.assert_allclose(ub.loc[fit, "B"], -ua.loc[fit, "B"], rtol=0, atol=FLIP_TOL)
    np.testing.assert_allclose(ub.loc[fit, "odds_ratio"], 1 / ua.loc[fit, "odds_ratio"],
                               rtol=1e-7)
    np.testing.assert_allclose(ub.loc[fit, "p_value"], ua.loc[fit, "p_value"], rtol=1e-7)
    t5a, t5b = result.tables["table5"], flipped.tables["table5"]
    assert list(t5a["row"]) == list(t5b["row"])
    np.testing.assert_allclose(t5b["B"].iloc[1:], -t5a["B"].iloc[1:], atol=FLIP_TOL)
    assert t5b["nagelkerke_r2"].iloc[0] == pytest.approx(t5a["nagelkerke_r2"].iloc[0])
    assert flipped.tables["table5"]["options"].iloc[0].startswith(
        "coding: 1 = high, 2 = low (logit event: low)")
    pa = result.tables["published_vs_reproduced"].set_index("id")
    pb = flipped.tables["published_vs_reproduced"].set_index("id")
    assert pb.loc["t_spend_t", "reproduced"] == pytest.approx(-pa.loc["t_spend_t", "reproduced"])
    assert pb.loc["t_spend_mean_low", "reproduced"] == pa.loc["t_spend_mean_low", "reproduced"]


def test_four_point_rating_and_enter(panel, result):
    r = W.run(panel, rating_scale="four_point", stepwise_method="enter", figures=False)
    d = r.tables["analysis_data"]
    assert (d["rating"] == d["grade_code"]).all() and set(d["rating"]) == {1.0, 2.0, 3.0, 4.0}
    cand = result.tables["univariate_logits"]
    cand = cand.loc[cand["p_value"] < 0.05, "variable"].tolist()
    assert r.tables["table5"]["row"].tolist()[2:] == cand


def test_bad_options_are_named(panel):
    with pytest.raises(TypeError, match="unknown options"):
        W.run(panel, reference="low")
    with pytest.raises(ValueError, match="'stepwise_method'"):
        W.run(panel, stepwise_method="lasso")
    with pytest.raises(ValueError, match="no LA has an ILACS inspection"):
        W.run(panel, window=("2030-01-01", "2030-12-31"))


# ---- Python vs R (without R; the comparison itself is in tests/rlive/test_wilkins_live.py) ------

def test_no_r_comparison_unless_asked(result):
    assert "python_vs_r" not in result.tables
    assert not any("Python vs R" in n for n in result.notes)


def test_with_r_but_r_absent_gives_a_note(panel, monkeypatch):
    import replication.rbridge as rbridge

    monkeypatch.setattr(rbridge, "r_available", lambda: False)
    seen = []
    res = W.run(panel, figures=False, with_r=True,
                progress=lambda i, n, label: seen.append((i, n, label)))
    assert "python_vs_r" not in res.tables
    assert set(res.tables) == set(TABLES)
    assert "Python vs R not compared: R is not installed." in res.notes
    assert (5, 7, "the same in R") in seen and seen[-1] == (7, 7, "done")


def test_with_r_and_r_failing_gives_a_note(panel, monkeypatch):
    import replication.rbridge as rbridge

    def fails(*args, **kwargs):
        raise rbridge.RError("R error: boom")

    monkeypatch.setattr(rbridge, "r_available", lambda: True)
    monkeypatch.setattr(W, "python_vs_r", fails)
    res = W.run(panel, figures=False, with_r=True)
    assert "python_vs_r" not in res.tables
    assert "Python vs R not compared: R stopped with an error: R error: boom" in res.notes


# ---- the real panel ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_result():
    return W.run(wilkins_panels.real(), figures=False)


def test_on_the_real_panel(real_result):
    t = real_result.tables
    pvr = t["published_vs_reproduced"]
    assert len(pvr) > 90 and not pvr["reason"].str.contains("synthetic").any()
    vs = t["sample_vs_paper"].set_index("group")
    n = int(t["sample"]["included"].sum())
    assert vs.loc["total", "reproduced_n"] == n and 40 <= n <= 60
    # ILACS sub-judgements are on the real panel and agree with the overall rating
    assert (t["subjudgements"]["rho"] > 0.5).all()
    assert t["table5"]["chisq"].iloc[0] > 0
