"""wilkins2018 end to end: tables and their shapes, the sample rule on hand-made LA tables,
the planted effects of the synthetic panel, the options, and the real panel."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from replication.cli import cli
from replication.data import make_panel
from replication.papers import wilkins2018 as W
from replication.papers._base import StudyResult
from replication.papers._compare import COLUMNS as PVR_COLUMNS
from replication.papers._compare import Reproduced, published_vs_reproduced
from replication.papers._wilkins import deprivation, r_tertiles
from replication.published import load_published
from tests.replication import wilkins_panels

FLIP_TOL = 1e-6
"""Ordinal slopes under the reversed coding: the same likelihood maximised again by Newton
(gradient ~1e-11), so the two fits agree to well below this; Spearman rho and every p-value
of a rank test flip or stay exactly (to rounding)."""


@pytest.fixture(scope="module")
def panel():
    return wilkins_panels.synthetic(0)


@pytest.fixture(scope="module")
def result(panel):
    return W.run(panel)


@pytest.fixture(scope="module")
def flipped(panel):
    return W.run(panel, coding="1=outstanding")


# ---- tables ---------------------------------------------------------------------------------

TABLES = ("sample", "sample_vs_paper", "sample_rules", "variables", "analysis_data",
          "table1_subjudgements", "table3_crosstab", "table4_spearman", "table5_means",
          "table6_means", "table7_means", "table8_spend", "table8_anova", "table8_tukey",
          "ordinal_coefficients", "ordinal_fit", "multinomial", "multinomial_fit",
          "multinomial_lr_tests", "published_vs_reproduced")


def test_every_table_with_its_shape(result):
    assert isinstance(result, StudyResult) and result.study == "wilkins2018"
    assert set(result.tables) == set(TABLES)
    t = result.tables
    n = int(t["sample"]["included"].sum())
    assert len(t["analysis_data"]) == n
    assert len(t["table3_crosstab"]) == 4
    assert t["table3_crosstab"]["total_n"].iloc[-1] == n
    crosstab = t["table3_crosstab"].iloc[:3]
    assert (crosstab[["low_n", "medium_n", "high_n"]].sum(axis=1) == crosstab["total_n"]).all()
    assert len(t["table4_spearman"]) == 3 + len(W.VARIABLES)
    for tab in ("table5", "table6", "table7"):
        k = sum(v.group == tab for v in W.VARIABLES)
        assert len(t[f"{tab}_means"]) == 4 * k
    assert list(t["table8_anova"]["judgement"]) == ["all", "inadequate", "requires_improvement",
                                                   "outstanding_good"]
    assert len(t["table8_tukey"]) == 9 and set(t["table8_tukey"]["contrast"]) == {
        "medium-low", "high-low", "high-medium"}
    of = t["ordinal_fit"]
    models = list(of["model"])
    assert models[-1] == "deprivation + spend_per_child"
    for col in ("parallel_chisq", "parallel_p_value", "brant_chisq", "brant_p_value"):
        assert of[col].notna().all(), col
    mn = t["multinomial"]
    for (model, ref), g in mn.groupby(["model", "reference"]):
        k = 2 if "+" in model else 1
        assert len(g) == 2 * (k + 1), (model, ref)          # two non-reference levels
        assert ref not in set(g["level"])
    assert set(mn["reference"]) == {"inadequate", "requires_improvement"}
    for name, table in t.items():
        assert "options" in table.columns, name
        assert table["options"].str.startswith("coding: 1 = inadequate").all(), name


def test_the_paper_variables_that_the_panel_lacks_are_rows_without_values(panel, result):
    from replication.papers._wilkins import available  # noqa: PLC0415

    sp = result.tables["table4_spearman"].set_index("variable")
    present = set(panel.long["indicator"].unique())
    lacking = [v for v in W.VARIABLES if not available(v, present)]
    # the real-data-only outcomes (persistent absence, GCSEs of children in care) are lacking
    assert {"cic_persistently_absent", "cic_without_5_gcses"} <= {v.name for v in lacking}
    for v in W.VARIABLES:
        if v in lacking:
            assert sp.loc[v.name, "n"] == 0 and math.isnan(sp.loc[v.name, "rho"])
            assert "not in the panel" in sp.loc[v.name, "note"]
        else:
            assert sp.loc[v.name, "n"] > 0
    assert any("Not in the panel" in n for n in result.notes)


def test_spend_anova_matches_the_means(result):
    """The within-category F recomputed from the table's group means, SDs and ns."""
    sp = result.tables["table8_spend"]
    an = result.tables["table8_anova"].set_index("judgement")
    for cat in ("inadequate", "requires_improvement", "outstanding_good"):
        g = sp[(sp["judgement"] == cat) & (sp["deprivation"] != "all")]
        g = g[g["n"] > 0]
        n, m, s = g["n"].to_numpy(), g["mean"].to_numpy(), g["sd"].to_numpy()
        grand = np.sum(n * m) / n.sum()
        between = np.sum(n * (m - grand) ** 2) / (len(n) - 1)
        within = np.nansum((n - 1) * s**2) / (n.sum() - len(n))
        assert an.loc[cat, "F"] == pytest.approx(between / within, rel=1e-10)
        assert an.loc[cat, "df2"] == n.sum() - len(n)


# ---- published vs reproduced ------------------------------------------------------------------

def test_published_vs_reproduced_lists_every_record(result):
    pvr = result.tables["published_vs_reproduced"]
    assert list(pvr.columns) == [*PVR_COLUMNS, "options"]
    recs = load_published("wilkins2018")
    own = recs[~recs["note"].str.lower().str.startswith("cited")]
    assert list(pvr["id"]) == list(own["id"])
    assert pvr["within"].dtype == bool
    assert not pvr["reason"].str.contains("not reproduced by this module").any()
    assert (pvr["reason"].str.len() > 0).all()
    # synthetic data: said so in every reproduced row that is not a definitions gap
    synth = pvr[pvr["reproduced"].notna()]
    assert synth["reason"].str.contains("synthetic|definitions").all()
    counts = pvr.set_index("id")
    n = int(result.tables["sample"]["included"].sum())
    assert counts.loc["m_n", "reproduced"] == n


def test_within_and_direction_rules():
    rep = {"rho_dep": Reproduced(-0.2454), "p_dep": Reproduced(0.0226),
           "p_missing": Reproduced(0.0009), "rho_missing": Reproduced(-0.2),
           "spend_anova_p": Reproduced(0.049), "mlr_dep_wald": Reproduced(6.065),
           "anova_ri_p": Reproduced(0.00049)}
    t = published_vs_reproduced("wilkins2018", rep, default_reason="test").set_index("id")
    assert t.loc["rho_dep", "within"] and t.loc["rho_dep", "direction_agrees"]
    assert t.loc["rho_dep", "difference"] == pytest.approx(-0.0004)
    assert not t.loc["p_dep", "within"] and t.loc["p_dep", "direction_agrees"]
    assert t.loc["p_missing", "within"]                       # '<.001'
    assert not t.loc["rho_missing", "within"]
    assert not t.loc["rho_missing", "direction_agrees"]       # .519 printed
    assert not t.loc["spend_anova_p", "within"]               # '>.05'
    assert not t.loc["spend_anova_p", "direction_agrees"]
    assert t.loc["mlr_dep_wald", "within"]                    # 6.06 +/- .005, ends included
    assert pd.isna(t.loc["mlr_dep_wald", "direction_agrees"])
    assert t.loc["anova_ri_p", "within"]                      # '.000'
    assert not t.loc["abs_n", "within"] and math.isnan(t.loc["abs_n", "reproduced"])
    assert t.loc["abs_n", "reason"] == "not reproduced by this module"
    with pytest.raises(KeyError, match="no_such_record"):
        published_vs_reproduced("wilkins2018", {"no_such_record": Reproduced(1.0)})


# ---- the sample rule on hand-made LA tables ----------------------------------------------------

def _las(rows):
    return pd.DataFrame(rows, columns=["la_code", "name", "inspection_date",
                                       "inspection_published", "judgement"])


HAND = [
    (301, "A", "2013-12-01", "2014-02-01", "inadequate"),
    (302, "B", "2014-01-01", "2014-03-01", "requires_improvement"),
    (303, "C", "2016-12-31", "2017-02-20", "outstanding_good"),
    (304, "D", "2017-01-02", "2017-03-01", "inadequate"),
    (305, "E", None, None, None),
    (306, "F", "2015-06-01", "2015-08-01", None),
    (307, "G", None, None, None),
]


def test_first_sif_started_2014_2016():
    s = W.select_sample(_las(HAND), rule="started_2014_2016", active={305}).set_index("la_code")
    assert list(s.index[s["included"]]) == [302, 303]
    assert "before 2014-01-01" in s.loc[301, "reason"]
    assert "after 2016-12-31" in s.loc[304, "reason"]
    assert "may be in the paper's sample" in s.loc[305, "reason"]
    assert "no panel data" in s.loc[307, "reason"]
    assert "no overall judgement" in s.loc[306, "reason"]


def test_published_by_rule_and_its_fallback():
    s = W.select_sample(_las(HAND), published_by="2016-03-31")           # the default rule
    assert list(s.loc[s["included"], "la_code"]) == [301, 302]
    assert "after 2016-03-31" in s.set_index("la_code").loc[303, "reason"]
    no_pub = _las(HAND).drop(columns="inspection_published")
    s2 = W.select_sample(no_pub, rule="published_by", published_by="2016-03-31")
    assert list(s2.loc[s2["included"], "la_code"]) == [301, 302]
    assert s2["reason"].str.contains("no publication date").sum() == 5


def test_selection_needs_its_columns():
    with pytest.raises(KeyError, match="inspection_date"):
        W.select_sample(pd.DataFrame({"la_code": [301], "judgement": ["inadequate"]}))
    with pytest.raises(ValueError, match="sample_rule"):
        W.select_sample(_las(HAND), rule="any")


def test_indicator_and_spend_years():
    d = pd.Series(pd.to_datetime(["2015-03-31", "2015-04-01", "2014-11-20"]))
    assert list(W.indicator_years(d, "prior")) == [2014, 2015, 2014]
    assert list(W.indicator_years(d, "inspection")) == [2015, 2016, 2015]
    assert list(W.financial_years(d)) == [2015, 2016, 2015]


def test_deprivation_ranks_and_tertiles():
    assert np.bincount(r_tertiles(np.arange(1, 48)).astype(int))[1:].tolist() == [16, 15, 16]
    assert np.bincount(r_tertiles(np.arange(1, 88)).astype(int))[1:].tolist() == [29, 29, 29]
    las = pd.DataFrame({"la_code": [301, 302, 303, 304, 305], "imd_rank": [1, 40, 7, 150, 90],
                        "deprivation_tertile": [1, 2, 1, 3, 3]})
    d = deprivation([301, 302, 303, 304], las)
    assert d["deprivation_rank"].tolist() == [4.0, 2.0, 3.0, 1.0]   # 1 = least deprived
    nat = deprivation([301, 304], las, rank="national", tertiles="panel")
    assert nat["deprivation_rank"].tolist() == [150.0, 1.0]
    assert nat["deprivation_tertile"].tolist() == [3.0, 1.0]


# ---- planted effects ----------------------------------------------------------------------------

BIG = 600
"""LAs in the panel for the planted effects: the judgement's dependence on deprivation is
modest (0.35 on the logistic scale per SD), so with the ~90 LAs of the paper's sample its
rank correlation is about -0.2 and not always significant; with ~370 sampled LAs it is."""


@pytest.fixture(scope="module")
def big_panel():
    return wilkins_panels.synthetic(0, BIG)


def test_planted_effects_are_found(big_panel):
    truth = big_panel.truth
    result = W.run(big_panel, references=("inadequate",))
    sp = result.tables["table4_spearman"].set_index("variable")
    assert sp.loc["deprivation_rank", "n"] > 300
    # the latent SIF score rises with deprivation (higher = worse): with codes rising with the
    # rating and ranks rising with deprivation, rho is negative and significant
    assert truth.judgement_model["deprivation"] > 0
    assert sp.loc["deprivation_rank", "rho"] < 0 and sp.loc["deprivation_rank", "p_value"] < 0.05
    # more deprived LAs spend more per child (planted): mean spend rises across the tertiles
    planted = truth.spend_tertile_log_mean["spend_per_child"]
    assert planted[1] > planted[3]                       # tertile 1 = most deprived there
    allrow = result.tables["table8_spend"]
    means = allrow[allrow["judgement"] == "all"].set_index("deprivation")["mean"]
    assert means["low"] < means["medium"] < means["high"]
    tk = result.tables["table8_tukey"]
    assert (tk.loc[tk["contrast"] == "high-low", "diff"] > 0).all()
    mn = result.tables["multinomial"]
    b = mn[(mn["model"] == "deprivation") & (mn["reference"] == "inadequate")
           & (mn["level"] == "outstanding_good") & (mn["term"] == "deprivation")]
    assert float(b["B"].iloc[0]) < 0


# ---- options -------------------------------------------------------------------------------------

def test_coding_flips_every_sign(result, flipped):
    a = result.tables["table4_spearman"].set_index("variable")
    b = flipped.tables["table4_spearman"].set_index("variable")
    ok = a["n"] > 0
    np.testing.assert_allclose(b.loc[ok, "rho"], -a.loc[ok, "rho"], rtol=0, atol=1e-14)
    np.testing.assert_allclose(b.loc[ok, "p_value"], a.loc[ok, "p_value"], rtol=1e-12)
    oa, ob = result.tables["ordinal_coefficients"], flipped.tables["ordinal_coefficients"]
    ca = oa[oa["coef_type"] == "coefficient"].set_index(["model", "term"])["B"]
    cb = ob[ob["coef_type"] == "coefficient"].set_index(["model", "term"])["B"]
    np.testing.assert_allclose(cb.loc[ca.index], -ca, rtol=0, atol=FLIP_TOL)
    za = oa[oa["coef_type"] == "zeta"].groupby("model")["B"].apply(list)
    zb = ob[ob["coef_type"] == "zeta"].groupby("model")["B"].apply(list)
    for m in za.index:
        np.testing.assert_allclose(zb[m], [-z for z in reversed(za[m])], atol=FLIP_TOL)
    # the multinomial models do not depend on the coding
    ma = result.tables["multinomial"].drop(columns="options")
    mb = flipped.tables["multinomial"].drop(columns="options")
    pd.testing.assert_frame_equal(ma, mb, rtol=1e-9)
    # every table states the coding
    assert flipped.tables["table4_spearman"]["options"].str.startswith(
        "coding: 1 = outstanding_good").all()
    pa = result.tables["published_vs_reproduced"].set_index("id")
    pb = flipped.tables["published_vs_reproduced"].set_index("id")
    for rid in ("rho_dep", "rho_overdue", "rho_missing"):
        assert pb.loc[rid, "reproduced"] == pytest.approx(-pa.loc[rid, "reproduced"])
        assert pb.loc[rid, "direction_agrees"] != pa.loc[rid, "direction_agrees"]


def test_deprivation_measure_changes_the_models(panel, result):
    r = W.run(panel, deprivation_measure="rank", references=("inadequate",))
    d = r.tables["analysis_data"]
    assert (d["deprivation"] == d["deprivation_rank"]).all()
    dt = result.tables["analysis_data"]
    assert (dt["deprivation"] == dt["deprivation_tertile"]).all()
    assert set(r.tables["multinomial"]["reference"]) == {"inadequate"}
    assert "deprivation in the models: rank" in r.tables["multinomial"]["options"].iloc[0]


def test_rpi_scales_spend_exactly(panel, result):
    rpi = {y: 100.0 + 5 * (y - 2010) for y in range(2009, 2020)}
    r = W.run(panel, rpi=rpi, references=("inadequate",))
    a = result.tables["analysis_data"].set_index("la_code")
    b = r.tables["analysis_data"].set_index("la_code")
    factor = a["spend_year"].map(lambda y: rpi[2016] / rpi[int(y)])
    np.testing.assert_allclose(b["spend_per_child"], a["spend_per_child"] * factor, rtol=1e-14)
    assert "RPI-adjusted to 2015-16 prices" in r.tables["table8_spend"]["options"].iloc[0]
    with pytest.raises(KeyError, match="financial year"):
        W.run(panel, rpi={2016: 100.0})


def test_spend_indicator_and_adjacent_fill():
    panel = make_panel(seed=3, missing=0.3)
    sample = W.select_sample(panel.las)
    wide = panel.wide(indicators=["spend_cla"]).set_index(["la_code", "year"])["spend_cla"]
    d, _ = W.analysis_data(panel, sample, {**W.DEFAULT_OPTIONS, "spend_indicator": "spend_cla"})
    own = np.array([wide.get((i, int(y)), np.nan) for i, y in zip(d.index, d["spend_year"],
                                                                   strict=True)])
    np.testing.assert_array_equal(d["spend_per_child"].to_numpy(), own)
    assert np.isnan(own).sum() > 5
    f, notes = W.analysis_data(panel, sample, {**W.DEFAULT_OPTIONS, "spend_indicator": "spend_cla",
                                               "spend_fill": "adjacent"})
    for i, y, v, o in zip(f.index, f["spend_year"], f["spend_per_child"], own, strict=True):
        near = [wide.get((i, int(y) + k), np.nan) for k in (-1, 1)]
        want = o if not np.isnan(o) else (np.nanmean(near) if not np.isnan(near).all()
                                          else np.nan)
        np.testing.assert_equal(v, want)
    assert any("adjacent years" in n for n in notes)


def test_bad_options_are_named(panel):
    with pytest.raises(TypeError, match="unknown options"):
        W.run(panel, alpha=0.5)
    with pytest.raises(ValueError, match="'coding'"):
        W.run(panel, coding="1=good")
    with pytest.raises(ValueError, match="'references'"):
        W.run(panel, references=("good",))


def test_the_cli_runs_it(tmp_path):
    res = CliRunner().invoke(cli, ["run", "wilkins2018", "--data", "synthetic", "--out",
                                   str(tmp_path)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    out = tmp_path / "wilkins2018"
    assert (out / "published_vs_reproduced.csv").is_file()
    assert (out / "table4_spearman.csv").is_file()


# ---- Python vs R (without R; the comparison itself is in tests/rlive/test_wilkins_live.py) ------

def test_no_r_comparison_unless_asked(result):
    assert "python_vs_r" not in result.tables
    assert not any("Python vs R" in n for n in result.notes)


def test_with_r_but_r_absent_gives_a_note(panel, monkeypatch):
    import replication.rbridge as rbridge

    monkeypatch.setattr(rbridge, "r_available", lambda: False)
    seen = []
    res = W.run(panel, with_r=True, references=("inadequate",),
                progress=lambda i, n, label: seen.append((i, n, label)))
    assert "python_vs_r" not in res.tables
    assert set(res.tables) == set(TABLES)
    assert "Python vs R not compared: R is not installed." in res.notes
    assert seen[-2] == (7, 8, "the same in R") and seen[-1] == (8, 8, "done")


@pytest.mark.parametrize("error, message, note", [
    ("RError", "R error: boom", "Python vs R not compared: R stopped with an error: R error: boom"),
    ("RNotAvailable", "R package VGAM is not installed",
     "Python vs R not compared: R package VGAM is not installed"),
])
def test_with_r_and_r_failing_gives_a_note(panel, monkeypatch, error, message, note):
    import replication.rbridge as rbridge

    def fails(*args, **kwargs):
        raise getattr(rbridge, error)(message)

    monkeypatch.setattr(rbridge, "r_available", lambda: True)
    monkeypatch.setattr(W, "python_vs_r", fails)
    res = W.run(panel, with_r=True, references=("inadequate",))
    assert "python_vs_r" not in res.tables
    assert note in res.notes


def test_python_vs_r_rows_hold_near_zero_values_to_their_scale():
    """B relative to max(|B|, SE), Wald relative to max(Wald, 1), p plainly relative."""
    from replication.papers._wilkins import spearman_pairs, vs_r_frame, wald_rows

    r = {"B": pd.Series({"x": 1e-3 + 1e-12}), "SE": pd.Series({"x": 1.0}),
         "wald": pd.Series({"x": 1e-6 + 2e-15}), "p_value": pd.Series({"x": 0.5 * (1 + 1e-9)})}
    py = {"B": 1e-3, "SE": 1.0, "wald": 1e-6, "p_value": 0.5}
    vr = vs_r_frame(wald_rows("t", "x", py, r, "x", 1e-10)).set_index("quantity")
    assert vr.loc["B", "difference"] == pytest.approx(1e-12, rel=1e-3)     # not 1e-9
    assert vr.loc["wald", "difference"] == pytest.approx(2e-15, rel=1e-2)  # not 2e-9
    assert vr.loc["p_value", "difference"] == pytest.approx(1e-9, rel=1e-3)
    assert vr["within"].tolist() == [True, True, True, False]
    assert vr.loc["SE", "difference"] == 0.0
    f = pd.DataFrame({"a": [np.nan, 1.0, 2.0, 3.0], "b": [1.0, 2.0, np.nan, 4.0]})
    (pair,) = spearman_pairs(f, [("a", "b")])
    np.testing.assert_array_equal(pair["x"], [1.0, 3.0])
    np.testing.assert_array_equal(pair["y"], [2.0, 4.0])


# ---- the real panel ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_result():
    return W.run(wilkins_panels.real())


def test_on_the_real_panel(real_result):
    t = real_result.tables
    assert real_result.data_label.startswith("real")
    pvr = t["published_vs_reproduced"]
    assert len(pvr) == len(t["published_vs_reproduced"]["id"].unique()) > 40
    assert not pvr["reason"].str.contains("synthetic").any()
    assert pvr["within"].dtype == bool
    vs = t["sample_vs_paper"].set_index("category")
    assert vs.loc["total", "paper_n"] == 87
    n = int(t["sample"]["included"].sum())
    assert vs.loc["total", "reproduced_n"] == n and 60 <= n <= 152
    # every LA of the panel is accounted for, with a reason
    assert t["sample"]["reason"].str.len().gt(0).all()
    # the sub-judgements exist on the real panel and agree with the overall judgement
    assert (t["table1_subjudgements"]["rho"] > 0.5).all()
    # LAs missing from the Ofsted data are named
    assert any("may be in the paper's sample" in n for n in real_result.notes)
