"""The real panel built from the raw public files (skipped, with the reason, where absent).

The raw directory is $CSC_REAL_DATA, else ``../shared/data/real`` beside the repository. The
coverage checks hold the panel against the coverage matrix of its INVENTORY.md (LAs with a
numeric value per source, variable and year; City of London and Isles of Scilly included,
so the panel here is built keeping them). The time and memory of the build are measured and
printed (``pytest -s``), not asserted: see BuildReport.seconds and .peak_rss_mb.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from replication.data.build import build
from replication.data.commands import coverage, data
from replication.data.panel import JUDGEMENTS, load_panel
from tests.replication import data_files as F

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built():
    raw = F.need_real()
    panel, report = build(raw, exclude=())
    print(f"\nreal panel built in {report.seconds:.1f} s; peak RSS {report.peak_rss_mb:.0f} MB; "
          f"{len(panel.long)} rows, {len(panel.las)} LAs")
    return panel, report


def _numerators(panel, indicator, year):
    long = panel.long
    sel = (long["indicator"] == indicator) & (long["year"] == year)
    return int(long.loc[sel, "numerator"].notna().sum())


# (indicator, panel year, LAs with a value in INVENTORY's coverage matrix, its row)
COVERAGE = [
    ("referrals", 2013, 151, "c1 referral_count 2013"),
    ("referrals", 2016, 152, "c1 referral_count 2016"),
    ("cin_rate", 2013, 149, "b1 At31_episodes 2013"),
    ("section47", 2015, 152, "c4 Section47 2015"),
    ("icpc", 2019, 152, "c4 ICPC 2019"),
    ("cpp_starts", 2016, 152, "d3 CPP_start 2016"),
    ("cpp", 2014, 152, "d5 CPP_At31 2014"),
    ("assessments_within_45_days", 2017, 152, "LAIT Continue_Assess_Comp 2017"),
    ("cin_2_years_plus", 2016, 152, "LAIT CINTime2more 2016"),
    ("cla_rate", 2010, 152, "SFR CLA_Mar 2010"),
    ("cla_rate", 2019, 152, "EES CLA 31 March 2019"),
    ("spend_cla", 2009, 150, "s251 outturn 2009 (LAs present)"),
    ("spend_cla", 2012, 152, "s251 outturn 2012"),
    ("spend_safeguarding", 2018, 152, "LAIT SafeguardingFinance FY 2017-18"),
    ("cin_per_social_worker", 2016, 151, "SFR07 CiNperCSW_FTE Sept 2015"),
]


@pytest.mark.parametrize("indicator,year,n,row", COVERAGE,
                         ids=[f"{c[0]}-{c[1]}" for c in COVERAGE])
def test_coverage_matches_inventory(built, indicator, year, n, row):
    panel, _ = built
    assert _numerators(panel, indicator, year) == n, row


def test_workforce_coverage_and_joint_services(built):
    panel, _ = built
    # INVENTORY counts Sept 2017 turnover for 151 "LAs" including the joint Kingston and
    # Richmond row (314 / 318), which is not attributable to either and is excluded here
    assert _numerators(panel, "social_worker_turnover", 2018) == 150
    w = panel.long[(panel.long["la_code"].isin([314, 318]))
                   & (panel.long["indicator"] == "agency_worker_rate")
                   & (panel.long["year"] >= 2017)]
    assert w["numerator"].isna().all()
    iss = report_of(built)
    assert iss["detail"].str.contains("'314 / 318'").any()  # the joint rows, reported
    k = iss[(iss["kind"] == "excluded") & (iss["la_code"] == 314)]
    assert k["detail"].str.contains("Achieving for Children").any()  # SFR08's joint figures


def report_of(built):
    return built[1].issues


def test_las_and_judgements(built):
    panel, report = built
    las = panel.las.set_index("la_code")
    first = las.dropna(subset=["judgement"])
    assert len(first) == 147
    counts = first["judgement"].value_counts().to_dict()
    assert counts == {"requires_improvement": 61, "outstanding_good": 54, "inadequate": 32}
    assert set(first["judgement"].cat.categories) == set(JUDGEMENTS)
    assert las.loc[373, "inspection_year"] == 2013  # Sheffield, repaired (reported)
    assert las.loc[330, "judgement"] == "inadequate"  # Birmingham 2014
    for code in (835, 836, 837, 909, 928):  # predecessors the scraper did not hold
        assert pd.isna(las.loc[code, "judgement"])
    win = las[(las["ilacs_date"] >= "2018-01-01") & (las["ilacs_date"] < "2019-04-01")]
    assert len(win) == 48
    assert las["imd_rank"].notna().sum() >= 148
    assert set(las["deprivation_tertile"].dropna()) == {1, 2, 3}
    assert las.loc[838, "status"].startswith("created 2019-04-01")
    assert report.inventory_differences == [
        "first_start_years: INVENTORY {2013: 4, 2014: 39, 2015: 38, 2016: 36, 2017: 30}, "
        "here {2013: 5, 2014: 38, 2015: 38, 2016: 36, 2017: 30}"]
    f = report.sif_findings
    assert set(f.loc[f["severity"] == "error", "la_code"]) == {373}


def test_values_sources_and_report(built):
    panel, report = built
    long = panel.long
    raw = F.real_dir()
    for src in long["source"].unique():
        assert (raw / src).is_file(), src
    w = panel.wide(["referrals", "re_referrals", "child_population"], 2013).set_index("la_code")
    # Birmingham 2012-13: referrals per 10,000 children within a plausible range
    assert 300 < w.loc[330, "referrals"] < 1200
    assert 10 < w.loc[330, "re_referrals"] < 40
    assert pd.isna(w.loc[835, "referrals"])  # Dorset CC: the ONS file has 'x'
    kinds = report.summary().set_index("kind")["n"]
    for k in ("conflict", "excluded", "no_population", "repair", "sif_check"):
        assert kinds.get(k, 0) > 0, k
    assert report.peak_rss_mb < 2048


def test_cli_on_real_data(tmp_path):
    raw = F.need_real()
    out = tmp_path / "panel.parquet"
    run = CliRunner().invoke(data, ["build", "--raw", str(raw), "--out", str(out)])
    assert run.exit_code == 0, run.output
    panel = load_panel(out)
    # 152 LAs of 2019 less City of London and Isles of Scilly, plus Bedfordshire and Cheshire
    # (s251 2008-09 only) and BCP and Dorset Council (from 2020)
    assert 201 not in set(panel.las["la_code"]) and len(panel.las) == 154
    assert {820, 875, 838, 839} <= set(panel.las["la_code"])
    tab = coverage(panel)
    assert tab.loc["referrals", 2013] == 146  # 151 less City of London, and 835-837, 420
    assert (tmp_path / "panel.report.csv").is_file()


def test_the_studies_run_from_the_command_line_on_the_real_panel(tmp_path):
    """`replicate data build` then `replicate run all --data` on its file: the Wilkins samples
    as the Ofsted data give them (named in sample_vs_paper), hood2021 fitted, hood2016 reported
    as not runnable (the 2012-13 ratings are not in the raw data), the build's log in the
    report."""
    from replication.cli import cli  # noqa: PLC0415

    raw = F.need_real()
    path = tmp_path / "panel.parquet"
    assert CliRunner().invoke(data, ["build", "--raw", str(raw), "--out", str(path)]).exit_code == 0
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["run", "all", "--data", str(path), "--without-r",
                                   "--set", "indicators=['referrals', 'icpc']",
                                   "--set", "models=['slope_two_steps']", "--out", str(out)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    manifest = __import__("json").loads((out / "run.json").read_text())
    assert manifest["ran"] == ["panel_correlations", "wilkins2018", "wilkins2020", "hood2021"]
    assert "no LA has a value of the outcome 'inadequate_2012_13'" in manifest["not_run"]["hood2016"]
    # wilkins2018: first SIF reports published by 2016-03-31 -> 85 LAs (paper 87)
    s18 = pd.read_csv(out / "wilkins2018" / "sample_vs_paper.csv").set_index("category")
    assert s18["reproduced_n"].tolist()[:3] == [20, 42, 23]
    assert s18["paper_n"].tolist()[:3] == [22, 44, 21]
    # wilkins2020: ILACS January 2018 to March 2019 -> 48 LAs (paper 47)
    s20 = pd.read_csv(out / "wilkins2020" / "sample.csv")
    assert int(s20["included"].sum()) == 48
    t2 = pd.read_csv(out / "hood2021" / "table2.csv")
    assert set(t2["indicator"]) == {"referrals", "icpc"} and t2["converged"].all()
    assert (out / "data" / "build_issues.csv").is_file()
    ex = pd.read_csv(out / "wilkins2020" / "exclusions.csv")
    assert (ex["stage"] == "sample").sum() == len(s20) - 48
