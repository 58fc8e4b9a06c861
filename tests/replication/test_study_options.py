"""Every study states each option's alternatives and lists whom it left out, and why."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from replication.data import make_panel
from replication.papers import hood2016, hood2021, panel_correlations, wilkins2018, wilkins2020
from replication.papers._base import EXCLUSION_COLUMNS


@pytest.mark.parametrize("mod, defaults", [
    (hood2016, hood2016.DEFAULT_OPTIONS), (wilkins2018, wilkins2018.DEFAULT_OPTIONS),
    (wilkins2020, wilkins2020.DEFAULT_OPTIONS), (panel_correlations, panel_correlations.DEFAULTS),
    (hood2021, {**hood2021.RUN_DEFAULTS, **hood2021.DEFAULT_OPTIONS})])
def test_every_option_has_its_alternatives(mod, defaults):
    assert set(mod.OPTION_DOCS) == set(defaults)
    for name, doc in mod.OPTION_DOCS.items():
        assert doc.alternatives.strip() and doc.note.strip(), name


def test_run_defaults_are_the_signatures():
    sig = inspect.signature(hood2021.run).parameters
    assert {k: sig[k].default for k in hood2021.RUN_DEFAULTS} == hood2021.RUN_DEFAULTS
    sig = inspect.signature(panel_correlations.run).parameters
    assert sig["alpha"].default == panel_correlations.DEFAULTS["alpha"]
    assert sig["min_years_significant"].default == panel_correlations.DEFAULTS["min_years_significant"]


def _blank(panel, la_code: int, year: int, indicator: str) -> None:
    long = panel.long
    hit = (long["la_code"] == la_code) & (long["year"] == year) & (long["indicator"] == indicator)
    assert hit.sum() == 1
    long.loc[hit, "numerator"] = np.nan


def test_hood2016_names_each_la_left_out_of_the_model_and_why():
    panel = make_panel(seed=0)
    codes = panel.las["la_code"].tolist()
    _blank(panel, codes[3], 2012, "caseload")
    panel.las["inadequate_2012_13"] = panel.las["inadequate_2012_13"].astype("boolean")
    panel.las.loc[panel.las["la_code"] == codes[5], "inadequate_2012_13"] = pd.NA
    res = hood2016.run(panel, figures=False, seed=7)
    ex = res.exclusions
    assert list(ex.columns) == list(EXCLUSION_COLUMNS)
    analysis = ex[ex["stage"] == "analysis"].set_index("la_code")["reason"]
    assert analysis.to_dict() == {
        codes[3]: "elastic net (Table 2): missing 2012 predictor(s): caseload",
        codes[5]: "elastic net (Table 2): no inadequate_2012_13 (the outcome)"}
    assert sorted(ex.loc[ex["stage"] == "panel", "la_code"]) == [201, 420]
    n_model = int(res.tables["table2_accuracy"]["denominator"].sum())  # LAs in the model
    assert n_model + len(analysis) == len(codes)
    opts = res.options_table().set_index("option")
    assert bool(opts.loc["seed", "changed"]) and opts.loc["seed", "value"] == "7"
    assert not opts.drop(index="seed")["changed"].any()


def test_hood2021_lists_las_without_an_inspection_and_the_la_years_a_fit_left_out():
    panel = make_panel(seed=3, n_la=40, noise="poisson")
    codes = panel.las["la_code"].tolist()
    panel.las["inspection_year"] = panel.las["inspection_year"].astype("Int64")
    panel.las.loc[panel.las["la_code"].isin(codes[:2]), "inspection_year"] = pd.NA
    year = int(panel.las.loc[panel.las["la_code"] == codes[4], "inspection_year"].iloc[0])
    _blank(panel, codes[4], year, "icpc")
    res = hood2021.run(panel, n_jobs=1, indicators=["icpc"], models=("slope_two_steps",))
    ex = res.exclusions
    assert sorted(ex.loc[ex["stage"] == "sample", "la_code"]) == sorted(codes[:2])
    fit = ex[ex["stage"] == "analysis"]
    assert fit[["la_code", "year", "indicator"]].values.tolist() == [[codes[4], year, "icpc"]]
    assert fit["reason"].iloc[0].startswith("segmented Poisson fit: ")
    full = make_panel(seed=3, n_la=40, noise="poisson")
    full.las["inspection_year"] = panel.las["inspection_year"]
    ref = hood2021.run(full, n_jobs=1, indicators=["icpc"], models=("slope_two_steps",))
    assert not (ref.exclusions["stage"] == "analysis").any()
    nobs = [r.tables["table2"].query("group == 'all'")["nobs"].iloc[0] for r in (ref, res)]
    assert nobs[1] == nobs[0] - 1
    opts = res.options_table().set_index("option")
    assert opts.loc[["indicators", "models", "n_jobs"], "changed"].tolist() == [True, True, False]


@pytest.mark.parametrize("mod", [wilkins2018, wilkins2020])
def test_wilkins_lists_the_sample_and_each_missing_variable(mod):
    panel = make_panel(seed=0)
    res0 = mod.run(panel, **({"figures": False} if mod is wilkins2020 else {}))
    sample = res0.tables["sample"]
    inside = sample.loc[sample["included"], "la_code"].tolist()
    var = next(v.name for v in mod.VARIABLES
               if v.name in res0.tables["analysis_data"] and res0.tables["analysis_data"][v.name].notna().all())
    ind = next(v.indicator for v in mod.VARIABLES if v.name == var)
    rows = panel.long[(panel.long["la_code"] == inside[0]) & (panel.long["indicator"] == ind)]
    panel.long.loc[rows.index, "numerator"] = np.nan  # every year of it: no fill can repair it
    res = mod.run(panel, **({"figures": False} if mod is wilkins2020 else {}))
    ex = res.exclusions
    out = sample.loc[~sample["included"]]
    got = ex[ex["stage"] == "sample"]
    assert got["la_code"].tolist() == sorted(out["la_code"].tolist())
    assert set(got["reason"]) == set(out["reason"])
    miss = ex[(ex["stage"] == "analysis") & (ex["indicator"] == var)]
    assert miss["la_code"].tolist() == [inside[0]]
    assert "left out of every test and model of it" in miss["reason"].iloc[0]
