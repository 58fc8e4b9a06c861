"""The outcome builders (replication.data.outcomes) on small hand-made files in the published
layouts, and a few values of the real files checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from replication.data import outcomes
from replication.data.build import merge_sources
from replication.data.lacodes import Register
from replication.data.readers import IssueLog, RawDataError
from replication.data.sources import CATALOGUE, OUTCOME_FILES, SOURCES
from tests.replication import data_files as F

KS2_COLS = ["social_care_group", "version", "t_read_eligible_pupils",
            "t_read_met_expected_standard", "t_writta_eligible_pupils",
            "t_writta_met_expected_standard", "t_mat_eligible_pupils",
            "t_mat_met_expected_standard", "t_rwm_eligible_pupils",
            "t_rwm_met_expected_standard", "t_gps_eligible_pupils",
            "t_gps_met_expected_standard"]


def _ks2(groups, header=None):
    """KS2 rows for 201718: ``groups`` = {(code, group): [10 values]}."""
    rows = []
    for (code, group), vals in groups.items():
        rows += F.ees_rows("201718", {code: [group, "Revised", *vals]})
    nat = F.ees_rows("201718", {}, national=["CINO at 31 March", "Revised", *["1000"] * 10],
                     regional=["CINO at 31 March", "Revised", *["100"] * 10])
    return F.csv_text(header or F.EES_HEAD + KS2_COLS, nat + rows)


def _by(frames, indicator):
    df = pd.concat(frames, ignore_index=True)
    return df[df["indicator"] == indicator].set_index("la_code")


def test_wide_reads_counts_and_keeps_suppression_as_missing(tmp_path):
    vals = ["100", "55", "100", "60", "100", "50", "100", "40", "100", "70"]
    text = _ks2({(330, "CINO at 31 March"): vals,
                 (330, "CLA 12 months at 31 March"): ["20", "c", "20", "10", "20", "x", "20",
                                                      "5", "20", "12"],
                 (873, "CINO at 31 March"): ["40", "10", "z", "5", "40", "20", "40", "8", "40",
                                             "20"],
                 (873, "CLA 12 months at 31 March"): vals,
                 (873, "CPPO at 31 March"): vals})
    p = tmp_path / "ks2.csv"
    p.write_text(text)
    log = IssueLog()
    reg = Register()
    frames = outcomes.read_wide(p, "ks2", log=log, register=reg)
    rd = _by(frames, "cin_ks2_reading")
    assert rd.loc[330, "numerator"] == 55 and rd.loc[330, "denominator"] == 100
    assert rd.loc[873, "numerator"] == 10 and rd.loc[873, "denominator"] == 40
    assert set(rd["year"]) == {2018}          # academic year 2017/18 -> year ending March 2018
    wr = _by(frames, "cin_ks2_writing")       # a 'z' base: missing, the code kept
    assert np.isnan(wr.loc[873, "denominator"]) and "'z'" in wr.loc[873, "reason"]
    cla_rd = _by(frames, "cla_ks2_reading")   # 'c' is missing, never zero
    assert np.isnan(cla_rd.loc[330, "numerator"]) and "'c'" in cla_rd.loc[330, "reason"]
    assert cla_rd.loc[873, "numerator"] == 55
    assert _by(frames, "cla_ks2_maths").loc[330, "reason"].startswith("'x'")
    assert (pd.concat(frames)["origin"] == "cin_outcomes_ees").all()
    f = log.frame()
    assert f[f["kind"] == "aggregate_rows"]["detail"].str.startswith("2 ").all()
    assert reg.ons_code(873) == "E06000031"


def test_wide_renamed_case_column_and_missing_column(tmp_path):
    vals = ["100", "55", "100", "60", "100", "50", "100", "40", "100", "70"]
    header = [c.upper() if c == "t_read_met_expected_standard" else c
              for c in F.EES_HEAD + KS2_COLS]
    header = ["Social_Care_Group" if c == "social_care_group" else c for c in header]
    p = tmp_path / "ks2.csv"
    p.write_text(_ks2({(330, "cino at 31 MARCH"): vals,
                       (330, "CLA 12 months at 31 March"): vals}, header))
    frames = outcomes.read_wide(p, "ks2")
    assert _by(frames, "cin_ks2_reading").loc[330, "numerator"] == 55
    bad = [c for c in header if c != "t_gps_eligible_pupils"] + ["other"]
    p.write_text(_ks2({(330, "CINO at 31 March"): vals}, bad))
    with pytest.raises(RawDataError, match="t_gps_eligible_pupils.*not found"):
        outcomes.read_wide(p, "ks2")


def test_wide_duplicate_and_conflict_reported(tmp_path):
    vals = ["100", "55", "100", "60", "100", "50", "100", "40", "100", "70"]
    other = ["100", "45", "100", "60", "100", "50", "100", "40", "100", "70"]
    rows = []
    for g, v in (("CINO at 31 March", vals), ("CINO at 31 March", other),
                 ("CLA 12 months at 31 March", vals), ("CLA 12 months at 31 March", vals)):
        rows += F.ees_rows("201718", {330: [g, "Revised", *v]})
    p = tmp_path / "ks2.csv"
    p.write_text(F.csv_text(F.EES_HEAD + KS2_COLS, rows))
    log = IssueLog()
    frames = outcomes.read_wide(p, "ks2", log=log)
    assert _by(frames, "cin_ks2_reading").loc[330, "numerator"] == 55   # first kept
    f = log.frame()
    conf = f[f["kind"] == "conflict"]
    assert conf["detail"].str.contains("cin_ks2_reading").any()
    assert conf["detail"].str.contains("55, 45").any()
    assert (f[f["kind"] == "duplicate"]["detail"].str.contains("cla_ks2_reading")).any()


ABS_COLS = ["year_breakdown", "social_care_group", "school_type", "t_pupils",
            "t_sess_possible", "t_sess_unauthorised", "t_pupils_pa_10_exact"]


def test_absence_uses_total_school_type_only(tmp_path):
    rows = []
    for g in ("CINO at 31 March", "CLA 12 months at 31 March"):
        rows += F.ees_rows("201718", {330: ["Six half terms", g, "Total", "1000", "350000",
                                            "15000", "270"]})
        rows += F.ees_rows("201718", {330: ["Six half terms", g, "Special", "50", "17000",
                                            "1000", "30"]})
    p = tmp_path / "abs.csv"
    p.write_text(F.csv_text(F.EES_HEAD + ABS_COLS, rows))
    frames = outcomes.read_wide(p, "absence")
    pa = _by(frames, "cin_persistent_absence")
    assert len(pa) == 1 and pa.loc[330, "numerator"] == 270 and pa.loc[330, "denominator"] == 1000
    ua = _by(frames, "cla_unauthorised_absence")
    assert ua.loc[330, "numerator"] == 15000 and ua.loc[330, "denominator"] == 350000


OC2_HEAD = F.EES_HEAD + ["cla_group", "characteristic", "number", "percentage"]
HEALTH = "Health assessments: Children looked after all ages"
SUBST = "Substance misuse: Children looked after all ages"
SDQ = "Ages 5 to 16 years with SDQ score"
CONV = "Convictions: Children looked after Ages 10 to 17 years"


def _oc2_rows(code, numbers):
    labels = [(HEALTH, "Total all ages"), (HEALTH, "Had their annual health assessment"),
              (HEALTH, "Had their immunisations up to date"),
              (HEALTH, "Had their teeth checked by a dentist"), (SUBST, "Total all ages"),
              (SUBST, "Identified as having a substance misuse problem"),
              (SUBST, "Received an intervention for their substance misuse problem"),
              (SDQ, "SDQ score was received"), (SDQ, "SDQ score is a cause for concern"),
              (SDQ, "SDQ average score"), (CONV, "Total ages 10 to 17 years"),
              (CONV, "Convicted or subject to youth cautions, or youth conditional cautions "
                     "during the year")]
    out = []
    for (g, c), n in zip(labels, numbers, strict=True):
        out += F.ees_rows(2018, {code: [g, c, n, ""]})
    return out


def test_long_oc2_ratios_scores_and_codes(tmp_path):
    rows = F.ees_rows(2018, {}, national=[HEALTH, "Total all ages", "60000", "100"],
                      regional=[HEALTH, "Total all ages", "6000", "100"])
    rows += _oc2_rows(330, ["194", "176", "175", "155", "194", "20", "15", "150", "60",
                            "14.5", "90", "10"])
    rows += _oc2_rows(873, ["80", "70", "c", "60", "80", "x", "c", "70", "20", "13.1", "z",
                            "c"])
    p = tmp_path / "oc2.csv"
    p.write_text(F.csv_text(OC2_HEAD, rows))
    log = IssueLog()
    frames = outcomes.read_long(p, "oc2", log=log)
    dent = _by(frames, "cla_dental_check")
    assert dent.loc[330, ["numerator", "denominator"]].tolist() == [155, 194]
    imm = _by(frames, "cla_immunisations")
    assert np.isnan(imm.loc[873, "numerator"]) and "'c'" in imm.loc[873, "reason"]
    sdq = _by(frames, "cla_sdq_mean")
    assert sdq.loc[330, "numerator"] == 14.5 and np.isnan(sdq.loc[330, "denominator"])
    assert sdq.loc[330, "unit"] == "score"
    inter = _by(frames, "cla_substance_intervention")   # base = those with a problem
    assert inter.loc[330, ["numerator", "denominator"]].tolist() == [15, 20]
    assert inter.loc[873, "reason"].startswith("'c'")
    conv = _by(frames, "cla_convicted")                  # prefix label; 'z' base
    assert conv.loc[330, ["numerator", "denominator"]].tolist() == [10, 90]
    assert (pd.concat(frames)["origin"] == "cla_outcomes_ees").all()
    assert (log.frame()["kind"] == "aggregate_rows").sum() == 1


def test_long_renamed_case_label_column_and_missing_label(tmp_path):
    head = [c.upper() if c == "cla_group" else c for c in OC2_HEAD]
    rows = _oc2_rows(330, ["194", "176", "175", "155", "194", "20", "15", "150", "60", "14.5",
                           "90", "10"])
    p = tmp_path / "oc2.csv"
    p.write_text(F.csv_text(head, [[c.upper() if j == 10 else c for j, c in enumerate(r)]
                                   for r in rows]))
    frames = outcomes.read_long(p, "oc2")
    assert _by(frames, "cla_health_assessment").loc[330, "numerator"] == 176
    p.write_text(F.csv_text(OC2_HEAD, [r for r in rows if "teeth" not in r[11]]))
    with pytest.raises(RawDataError, match="no rows labelled"):
        outcomes.read_long(p, "oc2")


def test_care_leavers_and_stability(tmp_path):
    head = F.EES_HEAD + ["age", "activity", "number", "percentage"]
    rows = []
    for age, tot, neet in (("Aged 19 to 21", "63", "31"), ("Aged 17 to 18", "40", "10")):
        rows += F.ees_rows(2018, {330: [age, "Total", tot, "100"],
                                  873: [age, "Total", "c", "c"]})
        rows += F.ees_rows(2018, {330: [age, "Total not in education, employment or training",
                                        neet, "49"],
                                  873: [age, "Total not in education, employment or training",
                                        "5", "c"]})
    p = tmp_path / "act.csv"
    p.write_text(F.csv_text(head, rows))
    neet = _by(outcomes.read_long(p, "leavers_activity"), "care_leavers_neet_19_21")
    assert neet.loc[330, ["numerator", "denominator"]].tolist() == [31, 63]
    assert np.isnan(neet.loc[873, "denominator"]) and neet.loc[873, "reason"] \
        .startswith("denominator: 'c'")
    head = F.EES_HEAD + ["cla_group", "characteristic", "number", "percentage"]
    long_g = ("Children looked after continuously for at least 2.5 years at 31 March aged "
              "under 16 years")
    rows = F.ees_rows(2019, {330: ["Children looked after at 31 March",
                                   "With 3 or more placements during the year", "90", "11"]})
    rows += F.ees_rows(2019, {330: ["Children looked after at 31 March", "Total children",
                                    "800", "100"]})
    rows += F.ees_rows(2019, {330: [long_g, "Living in the same placement for at least 2 "
                                    "years, or are placed for adoption ...", "104", "77"]})
    rows += F.ees_rows(2019, {330: [long_g, "Total children", "135", "100"]})
    p = tmp_path / "stab.csv"
    p.write_text(F.csv_text(head, rows))
    fr = outcomes.read_long(p, "stability")
    assert _by(fr, "cla_3_placements").loc[330, ["numerator", "denominator"]].tolist() == \
        [90, 800]
    assert _by(fr, "cla_long_term_stability").loc[330, "numerator"] == 104


def _sfr_sheet(rows_by_code):
    """An SFR11/2016-style export: title rows, a row of years, two header rows, England and a
    region without codes, LA rows with (ONS code, 3-digit code, name), footnotes."""
    w = 12
    lines = [["Back to index"], ["Table LA6:  Absence1 from school ..."],
             ["Years: 2013 - 2015"], [""] * w,
             ["LA code", "", "", "", "2013", "", "", "", "2014 - 2014 methodology3", "", "",
              "", "2015"],
             ["", "", "", "", "Number of looked after children matched to absence data5",
              "", "Percentage of looked after children classed as persistent absentees7", "",
              "Number of looked after children matched to absence data5", "",
              "Percentage of looked after children classed as persistent absentees7", "",
              "Number of looked after children matched to absence data5", "",
              "Percentage of looked after children classed as persistent absentees7"],
             [""] * w,
             ["", "", "ENGLAND", "", "26,970", "", "5.0", "", "27,730", "", "4.7", "", "28,960",
              "", "4.9"],
             ["", "", "NORTH EAST", "", "1,700", "", "3.6", "", "1,790", "", "2.7", "",
              "1,860", "", "4.4"]]
    for (ons, code, name), vals in rows_by_code.items():
        lines.append([ons, code, name, "", vals[0], "", vals[1], "", vals[2], "", vals[3], "",
                      vals[4], "", vals[5]])
    lines += [[""] * w, ["1. Based upon six half term absence data."],
              ["x = number less than or equal to 5 ..."]]
    return F.csv_text(lines[0], lines[1:])


def test_sfr_sheet_reads_blocks_codes_and_suppression(tmp_path):
    p = tmp_path / "sheet6_absence.csv"
    p.write_text(_sfr_sheet({("E08000025", "330", "Birmingham"): ["1,200", "7.5", "1,250",
                                                                   "x", "1,300", "6.1"],
                             ("E06000031", "873", "Peterborough"): ["150", ".", "160", "4.0",
                                                                    "170", "0.0"],
                             ("E06000031", "873", "Peterborough "): ["150", "3.3", "160",
                                                                     "4.0", "170", "0.0"]}))
    log = IssueLog()
    reg = Register()
    frames = outcomes.read_sfr_sheet(p, "sfr_absence", log=log, register=reg)
    df = pd.concat(frames, ignore_index=True).set_index(["la_code", "year"])
    assert sorted(df.index.get_level_values("year").unique()) == [2013, 2014, 2015]
    assert df.loc[(330, 2013), "numerator"] == 7.5
    assert df.loc[(330, 2013), "denominator"] == 100     # published percentage
    assert np.isnan(df.loc[(330, 2014), "numerator"]) and "'x'" in df.loc[(330, 2014), "reason"]
    assert df.loc[(873, 2015), "numerator"] == 0.0       # a published 0.0 stays 0
    assert np.isnan(df.loc[(873, 2013), "numerator"])    # '.' not applicable, first row kept
    f = log.frame()
    assert (f["kind"] == "conflict").sum() == 1 and (f["kind"] == "duplicate").sum() == 2
    assert (f[f["kind"] == "aggregate_rows"]["detail"].str.startswith("2 ")).all()
    assert reg.ons_code(330) == "E08000025"
    assert (df["origin"] == "cla_oc_sfr").all()


def test_sfr_sheet_without_years_is_an_error(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("Back to index,,\nLA code,,\nE08000025,330,Birmingham\n")
    with pytest.raises(RawDataError, match="bad.csv.*no header row of years"):
        outcomes.read_sfr_sheet(p, "sfr_absence")


def test_registered_in_sources_and_catalogue():
    keys = {"cin_outcomes_ees", "cla_outcomes_ees", "cla_stability_leavers_ees", "cla_oc_sfr"}
    assert keys <= set(SOURCES)
    files = {f for k in keys for f in SOURCES[k].files}
    assert files == set(OUTCOME_FILES.values())
    specs = [s[0] for _f, ss in outcomes.WIDE.values() for s in ss] + \
        [s[0] for _l, ss in outcomes.LONG.values() for s in ss] + \
        [s[0] for s in outcomes.SFR_SHEETS.values()]
    for name in specs:
        entry = CATALOGUE[name]
        assert entry.indicator.definition and entry.extra
        assert entry.origins[0].source in keys


def test_merge_reports_duplicate_rows_of_one_source(tmp_path):
    vals = ["100", "55", "100", "60", "100", "50", "100", "40", "100", "70"]
    p = tmp_path / "ks2.csv"
    p.write_text(_ks2({(330, "CINO at 31 March"): vals,
                       (330, "CLA 12 months at 31 March"): vals}))
    frames = outcomes.read_wide(p, "ks2")
    v = pd.concat(frames + frames[:1], ignore_index=True)
    log = IssueLog()
    out = merge_sources(v, log)
    assert out.duplicated(["la_code", "year", "indicator"]).sum() == 0
    assert (log.frame()["kind"] == "duplicate").sum() == 1


# ---- the real files ------------------------------------------------------------------------

# (file key, indicator, LA, year, numerator, denominator): read by hand from the raw files.
REAL = [
    ("ks2", "cin_ks2_reading", 840, 2018, 56, 102),          # County Durham, CINO, 201718
    ("absence", "cin_persistent_absence", 840, 2018, 311, 1152),
    ("absence", "cla_persistent_absence", 840, 2018, 27, 381),
    ("oc2", "cla_dental_check", 805, 2018, 155, 194),         # Hartlepool
    ("oc2", "cla_health_assessment", 805, 2018, 176, 194),
    ("leavers_activity", "care_leavers_neet_19_21", 805, 2018, 31, 63),
    ("sfr_absence", "cla_persistent_absentees_15pct", 841, 2015, 13.2, 100),  # Darlington
    ("sfr_absence", "cla_persistent_absentees_15pct", 840, 2013, 3.6, 100),   # Durham
    ("sfr_ks4", "cla_gcse_5_a_to_c", 390, 2015, 21.9, 100),   # Gateshead
    ("sfr_ks4", "cla_gcse_5_a_to_c", 929, 2011, 71.4, 100),   # Northumberland
]


@pytest.fixture(scope="module")
def real_frames():
    raw = F.need_real()
    log = IssueLog()
    out = {}
    for key in sorted({r[0] for r in REAL}):
        p = raw / OUTCOME_FILES[key]
        if key in outcomes.WIDE:
            fr = outcomes.read_wide(p, key, log=log)
        elif key in outcomes.LONG:
            fr = outcomes.read_long(p, key, log=log)
        else:
            fr = outcomes.read_sfr_sheet(p, key, log=log)
        out[key] = pd.concat(fr, ignore_index=True)
    return out, log


@pytest.mark.parametrize("key,indicator,la,year,num,den", REAL)
def test_real_values(real_frames, key, indicator, la, year, num, den):
    frames, _log = real_frames
    df = frames[key]
    row = df[(df["indicator"] == indicator) & (df["la_code"] == la) & (df["year"] == year)]
    assert len(row) == 1
    assert row["numerator"].iloc[0] == pytest.approx(num)
    assert row["denominator"].iloc[0] == pytest.approx(den)
    assert row["source"].iloc[0].endswith(OUTCOME_FILES[key].rsplit("/", 1)[-1])


def test_real_suppressed_value_is_missing(real_frames):
    frames, _log = real_frames
    df = frames["sfr_absence"]     # Durham 2014: 'x' in the published table
    row = df[(df["la_code"] == 840) & (df["year"] == 2014)].iloc[0]
    assert np.isnan(row["numerator"]) and "'x'" in row["reason"]
