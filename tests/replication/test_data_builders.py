"""The real-data builders: each on small hand-made files in the published layouts, and on the
raw public files where they are present (skipped with the reason otherwise)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from replication.data import (
    cin,
    cla,
    imd,
    lacodes,
    lait,
    ofsted,
    population,
    s251,
    sources,
    workforce,
)
from replication.data.build import BuildError, build, build_panel, merge_sources
from replication.data.commands import coverage, data
from replication.data.lacodes import Register
from replication.data.panel import load_panel
from replication.data.readers import (
    IssueLog,
    RawDataError,
    find_columns,
    la_rows,
    parse_numbers,
    read_csv,
    read_csv_text,
    value_frame,
)
from tests.replication import data_files as F

# ---- readers -----------------------------------------------------------------------------


def test_numbers_codes_commas_and_errors():
    t = read_csv_text(F.csv_text(["a", "b"], [["1,234", "c"], [" 12.5% ", "z"], ["£7", ".."],
                                             ["-3", "low"], ["", "k"], ["1e3", "NULL"]]),
                      "f.csv")
    a = parse_numbers(t, "a")
    np.testing.assert_array_equal(a.values, [1234, 12.5, 7, -3, np.nan, 1000])
    assert a.codes[4] == ""
    b = parse_numbers(t, "b")
    assert np.isnan(b.values).all() and list(b.codes) == ["c", "z", "..", "low", "k", "null"]
    assert "'c'" in b.reason(0, t) and "row 1" in b.reason(0, t)
    bad = read_csv_text(F.csv_text(["a"], [["1"], ["12a"]]), "g.csv")
    with pytest.raises(RawDataError, match=r"g\.csv, row 2, column 'a': not a number.*'12a'") as e:
        parse_numbers(bad, "a")
    assert (e.value.file, e.value.row, e.value.column) == ("g.csv", 2, "a")


def test_csv_encodings_bom_and_shapes(tmp_path):
    text = F.csv_text(["name", "v"], [["Caf\u00e9 \u2019s", "1"], ["b", "2"]])
    for enc, bom in (("utf-8", ""), ("utf-8", "\ufeff"), ("cp1252", ""), ("utf-16", "")):
        p = tmp_path / f"{enc}{bool(bom)}.csv"
        p.write_bytes((bom + text).encode(enc))
        log = IssueLog()
        t = read_csv(p, log=log)
        assert list(t.frame.columns) == ["name", "v"]
        assert t.frame["name"].iloc[0] == "Caf\u00e9 \u2019s"
        assert ("encoding" in log.kinds()) == (enc in ("cp1252", "utf-16"))
    log = IssueLog()
    t = read_csv_text("a,b,c\n1,2,3\n\n4,5\n", "s.csv", log=log)
    assert list(t.rows) == [1, 3] and t.frame.iloc[1].tolist() == ["4", "5", ""]
    assert log.kinds() == {"malformed_row": 1}
    with pytest.raises(RawDataError, match=r"s\.csv, row 1: 4 fields but the header has 2"):
        read_csv_text("a,b\n1,2,3,4\n", "s.csv")
    read_csv_text("a,b\n1,2,,\n", "s.csv")  # empty trailing fields are fine
    for txt, msg in (("", "empty file"), ("  \n\n", "empty file"), ("a,b\n", "no data rows")):
        with pytest.raises(RawDataError, match=msg):
            read_csv_text(txt, "e.csv")
    log = IssueLog()
    read_csv_text("a,b\n1,2\n3,4", "t.csv", log=log)
    assert "may be truncated" in log.frame()["detail"].iloc[0]
    with pytest.raises(RawDataError, match="file not found"):
        read_csv(tmp_path / "absent.csv")


def test_find_columns_ignores_case_spacing_order():
    t = read_csv_text("Old_LA_Code , TIME period,x\n1,2,3\n", "f.csv")
    assert find_columns(t, {"a": "old_la_code", "b": "time_period"}) == {
        "a": "Old_LA_Code", "b": "TIME period"}
    with pytest.raises(RawDataError, match=r"f\.csv: column 'la_name' not found \(columns "
                                           r"present: 'Old_LA_Code'"):
        find_columns(t, {"n": "la_name"})
    t2 = read_csv_text("a_b,a b\n1,2\n", "d.csv")
    with pytest.raises(RawDataError, match="ambiguous"):
        find_columns(t2, {"x": "a_b"})


def test_la_rows_levels_and_codes():
    t = read_csv_text(F.csv_text(["lev", "code"], [["National", ""], ["Regional", ""],
                                                   ["Local authority", "330"],
                                                   ["Local authority", "940 / 941"],
                                                   ["", "420"]]), "f.csv")
    log = IssueLog()
    sub, codes = la_rows(t, "code", "lev", log)
    assert list(codes) == [330, 420]
    assert log.kinds() == {"aggregate_rows": 1, "excluded": 1, "repair": 1}
    bad = read_csv_text("lev,code\nWard,1\n", "w.csv")
    with pytest.raises(RawDataError, match=r"w\.csv, row 1, column 'lev': unknown geographic"):
        la_rows(bad, "code", "lev")
    t = read_csv_text("code\n330\n\n985\n301.0\n", "n.csv")
    sub, codes = la_rows(t, "code", None, IssueLog())
    assert list(codes) == [330, 301]


def test_value_frame_reasons():
    f = value_frame([1, 2, 3], 2015, "x", [1.0, np.nan, 2.0], [2.0, 3.0, np.nan], "percentage",
                    "s.csv", [None, "'c' here", None], "o", [None, None, "'x' there"])
    r = f["reason"].tolist()
    assert pd.isna(r[0]) and r[1:] == ["'c' here", "denominator: 'x' there"]


# ---- LA codes ----------------------------------------------------------------------------


def test_reorganisations_and_register():
    assert lacodes.successors_of(928) == (940, 941)
    assert lacodes.predecessors_of(839) == (835, 836, 837)
    assert lacodes.successors_of(909) == (942, 943)
    assert lacodes.successors_of(820) == (822, 823)
    assert lacodes.successors_of(875) == (895, 896)
    assert lacodes.valid_years(837) == (None, 2019) and lacodes.valid_years(838) == (2020, None)
    assert lacodes.status_of(330) == "current"
    assert lacodes.status_of(928).startswith("abolished 2021-04-01")
    tab = lacodes.reorganisation_table()
    assert set(tab["successor"]) >= {838, 839, 940, 941, 942, 943}
    reg = Register()
    for old in ("E08000016", "E08000038"):
        assert reg.to_old(old) == 370
    assert reg.to_old("E06000058") == 839 and reg.to_old("E10000002") == 825
    reg.add([330, 330, 999], ["E08000025", "E08000025", "E92000001"], [2013, 2014, 2014],
            ["Brum", "Birmingham", "England"], ["WM", "West Midlands", None], "f.csv")
    assert reg.to_old("E08000025") == 330 and reg.name(330) == "Birmingham"
    assert reg.region(330) == "West Midlands" and reg.to_old("E92000001") is None
    reg.add([331], ["E08000025"], 2014, source="g.csv")
    assert reg.clashes and "E08000025" in reg.clashes[0]
    assert reg.name(820) == "Bedfordshire" and reg.region(875) == "North West"
    assert lacodes.is_la_code(943) and not lacodes.is_la_code(985)


# ---- builders on hand-made files ---------------------------------------------------------


def test_population(tmp_path):
    log, reg = IssueLog(), Register()
    f = population.read_ons(F.write_ons(tmp_path), source="ons.csv", log=log, register=reg)
    assert F.value(f, "child_population", 330, 2013) == 270000  # mid-2012 -> 2013
    assert F.value(f, "child_population", 873, 2014) == 45500
    assert F.value(f, "child_population", 873, 2013) == 45000  # "45,000"
    assert np.isnan(F.value(f, "child_population", 201, 2013))
    assert "'x'" in F.reason(f, "child_population", 201, 2013)
    assert set(f["source"]) == {"ons.csv"} and set(f["unit"]) == {"count"}
    assert reg.to_old("E06000031") == 873 and log.kinds()["aggregate_rows"] == 1
    zero = F.write_ons(tmp_path / "z", years=(2015,), pops={330: ["0"]})
    log = IssueLog()
    f = population.read_ons(zero, log=log)
    assert np.isnan(f["numerator"].iloc[0]) and log.kinds() == {"aggregate_rows": 1,
                                                                "invalid_value": 1}


def test_cin_files(tmp_path):
    log = IssueLog()
    F.write_c1(tmp_path)
    F.write_b1(tmp_path)
    F.write_c4(tmp_path)
    F.write_d3(tmp_path)
    F.write_d5(tmp_path)
    fr = cin.build(tmp_path, log)
    v = pd.concat(fr)
    assert F.value(v, "referrals", 330, 2013) == 10000
    assert np.isnan(F.value(v, "referrals", 330, 2013, "denominator"))  # population later
    assert F.value(v, "re_referrals", 330, 2013) == 2500
    assert F.value(v, "re_referrals", 330, 2013, "denominator") == 10000
    assert F.value(v, "referrals", 873, 2013) == 2000
    assert np.isnan(F.value(v, "referrals_nfa", 873, 2013))
    assert "'z'" in F.reason(v, "referrals_nfa", 873, 2013)
    assert "'c'" in F.reason(v, "referrals", 201, 2013)
    assert F.value(v, "icpc_within_15_days", 330, 2013) == 900
    assert F.value(v, "icpc_within_15_days", 330, 2013, "denominator") == 1200
    assert F.value(v, "icpc_21_days_plus", 330, 2013) == 100
    assert np.isnan(F.value(v, "icpc_within_15_days", 873, 2013, "denominator"))
    assert "denominator" in F.reason(v, "icpc_within_15_days", 873, 2013)
    assert F.value(v, "days_to_icpc", 330, 2013) == 14
    assert F.value(v, "cpp_second_or_subsequent", 330, 2013) == 200
    assert "'k'" in F.reason(v, "cpp_second_or_subsequent", 873, 2013)
    assert F.value(v, "cpp_2_years_plus_at_31_march", 873, 2013) == 0  # a published zero
    assert F.value(v, "cin_rate", 330, 2013) == 8000
    assert "'u'" in F.reason(v, "cin_starts", 873, 2013)
    assert set(v["origin"]) == set(cin.SPECS)
    assert v["source"].str.startswith("CSC_outcomes_and_enablers/data-raw/").all()
    with pytest.raises(ValueError, match="key"):
        cin.read_file(tmp_path / "x.csv", "cin_zz")


def test_workforce(tmp_path):
    log = IssueLog()
    extra = [[2017, "Reporting year", "Local authority", "E92000001", "England", "E12000006",
              "East", "940 / 941", "E06000061 / E06000062", "N/W Northants", "1", "1", "1", "1",
              "1"],
             [2017, "Reporting year", "Local authority", "E92000001", "England", "E13000002",
              "Outer London", "314", "E09000021", "Kingston", "200", "30", "40", "20", "14"]]
    p = F.write_csww(tmp_path, extra_rows=extra)
    v = pd.concat(workforce.read_csww(p, log=log))
    assert F.value(v, "social_workers", 330, 2018) == 500  # September 2017 -> 2018
    assert F.value(v, "social_worker_turnover", 330, 2018) == 75
    assert F.value(v, "social_worker_turnover", 330, 2018, "denominator") == 500
    assert F.value(v, "agency_worker_rate", 330, 2018, "denominator") == 600
    assert F.value(v, "vacancy_rate", 330, 2018, "denominator") == 625
    assert F.value(v, "caseload", 330, 2018) == 17.5
    assert "'low'" in F.reason(v, "social_worker_turnover", 873, 2018)
    assert np.isnan(F.value(v, "vacancy_rate", 873, 2018, "denominator"))
    k = v[v["la_code"] == 314]
    assert k["numerator"].isna().all() and k["reason"].str.contains("Achieving for").all()
    iss = log.frame()
    assert (iss["kind"] == "excluded").sum() == 1 + 5  # the combined row, Kingston's values
    assert iss["detail"].str.contains("'940 / 941'").any()
    log = IssueLog()
    v = pd.concat(workforce.read_sfr(F.write_sfr(tmp_path, "sfr07"), "sfr07", log=log))
    assert F.value(v, "social_workers", 330, 2016) == 1000.0  # "1,000.0", September 2015
    assert F.value(v, "cin_per_social_worker", 330, 2016) == 18
    assert "'..'" in F.reason(v, "social_worker_turnover", 873, 2016)
    assert log.kinds().get("encoding") is None  # plain ASCII is valid UTF-8
    v = pd.concat(workforce.read_sfr(F.write_sfr(tmp_path, "sfr08"), "sfr08", log=IssueLog()))
    assert F.value(v, "caseload", 330, 2017) == 18
    body = {314: ["158.6", "28", "10", "15", "20"], 318: [".", ".", ".", ".", "."]}
    las = F.LAS + [(314, "E09000021", "Kingston", "London"),
                   (318, "E09000027", "Richmond", "London")]
    old = F.LAS[:]
    F.LAS[:] = las
    try:
        p = F.write_sfr(tmp_path / "k", "sfr08", body)
    finally:
        F.LAS[:] = old
    v = pd.concat(workforce.read_sfr(p, "sfr08", log=IssueLog()))
    assert v[v["la_code"] == 314]["numerator"].isna().all()  # joint figures not Kingston's


def _lait_rows(years_new=("2016", "2017")):
    rows = []
    for y in years_new:
        rows += [["ReReferral", "d", y, "Birmingham", "25.5", 330, "WM"],
                 ["ReReferral", "d", y, "Peterborough", "-", 873, "E"],
                 ["ReReferral", "d", y, "England", "22", 970, "NA"],
                 ["Work_Force_TO_Rate", "d", y, "Birmingham", "14", 330, "WM"],
                 ["Work_Force_TO_Rate", "d", y, "Kingston", "9", 314, "L"]]
    rows += [["C&YPExpenditure", "d", "2016-17 (OT)", "Birmingham", "234414.5", 330, "WM"],
             ["TotalLACFinance", "d", "2016-17 (OT)", "Birmingham", "100362835", 330, "WM"],
             ["SafeguardingFinance", "d", "2016-17 (OT)", "Birmingham", "64474817", 330, "WM"],
             ["CINTime2more", "d", "2018 (Revised)", "Birmingham", "12", 330, "WM"]]
    return rows


def test_lait(tmp_path):
    log = IssueLog()
    new, old = sources.LAIT_FILES
    F.write_lait(tmp_path, new, _lait_rows())
    rows_old = [["ReReferral", "d", "2015", "Birmingham", "24", 330, "WM"],
                ["ReReferral", "d", "2016", "Birmingham", "27.5", 330, "WM"],
                ["ReReferral", "d", "2016", "Peterborough", "19", 873, "E"]]
    F.write_lait(tmp_path, old, rows_old)
    v = lait.build(tmp_path, log)[0]
    assert F.value(v, "re_referrals", 330, 2016) == 25.5
    assert F.value(v, "re_referrals", 330, 2016, "denominator") == 100  # nominal
    assert F.value(v, "re_referrals", 330, 2015) == 24  # filled from the older snapshot
    assert F.value(v, "re_referrals", 873, 2016) == 19
    assert F.value(v, "social_worker_turnover", 330, 2017) == 14  # Sept 2016 -> 2017
    assert np.isnan(F.value(v, "social_worker_turnover", 314, 2018))  # joint service
    assert F.value(v, "spend_per_child", 330, 2017) == pytest.approx(234414500)
    assert F.value(v, "spend_safeguarding", 330, 2017) == 64474817
    iss = log.frame()
    assert iss["detail"].str.contains("GBP thousands").any()
    rev = iss[iss["kind"] == "conflict"]
    assert len(rev) == 1 and rev["detail"].iloc[0].startswith("LAIT revision: 25.5")
    assert iss["detail"].str.contains("2018 \\(Revised\\)").any()  # label not understood
    assert set(v["source"]) == {new, old}


def test_s251_layouts(tmp_path):
    log = IssueLog()
    F.write_s251(tmp_path, 2014, "1314")
    F.write_s251(tmp_path, 2009, "0809", values={330: {"cyp": "177029824.1", "safe": "1",
                                                       "cla": "2", "fam": "3"},
                                                 873: {"cla": "4", "safe": "5", "fam": "6"}})
    v = pd.concat(s251.build(tmp_path, log))
    assert F.value(v, "spend_per_child", 330, 2014) == 211353458.3
    assert F.value(v, "spend_safeguarding", 330, 2014) == 51276372  # cp1252 apostrophe
    assert "NULL" in F.reason(v, "spend_per_child", 873, 2014)
    assert "negative" in F.reason(v, "spend_safeguarding", 873, 2014)
    assert F.value(v, "spend_per_child", 330, 2009) == 177029824.1
    assert F.reason(v, "spend_per_child", 873, 2009) == "budget line absent for this LA"
    assert not v.duplicated(["la_code", "year", "indicator"]).any()
    assert s251.normalise_line("20 Total  Safeguarding Children and Young People\u2019s "
                               "Services\t") == ("total safeguarding children and young "
                                                 "peoples services")
    kinds = log.kinds()
    assert kinds["invalid_value"] == 1 and kinds["note"] == 1
    assert kinds["encoding"] == 1  # the 2013-14 file has a cp1252 apostrophe
    bad = F.write(tmp_path / "b", "o.csv", "LA,CYPServiceDescription,TotalExpenditure\n"
                  "330,Something else,1\n")
    with pytest.raises(RawDataError, match="no budget line for spend_per_child"):
        s251.read_outturn(bad, 2012)


def test_cla(tmp_path):
    log = IssueLog()
    fr, during = cla.read_sfr_cla(F.write(tmp_path, "c.csv", F.sfr_cla_text(2013)), 2013,
                                  log=log)
    v = pd.concat(fr)
    assert F.value(v, "cla_rate", 330, 2013) == 1800
    assert F.value(v, "cla_care_orders", 330, 2013) == 1300
    assert F.value(v, "cla_care_orders", 330, 2013, "denominator") == 1800
    assert "'x'" in F.reason(v, "cla_care_orders", 873, 2013)
    assert F.value(v, "cla_section20", 873, 2013) == 100
    assert during.set_index("la_code")["n"][330] == 2600
    log = IssueLog()
    v = pd.concat(cla.read_sfr_adm(F.write(tmp_path, "a.csv", F.adm_text(2014)), 2015, log=log))
    assert F.value(v, "cla_starts", 330, 2015) == 700
    assert log.frame()["detail"].str.contains("headed 2014 but the file is the 2015").any()
    v = pd.concat(cla.read_sfr_missing(F.write(tmp_path, "m.csv", F.missing_text()), 2013,
                                       during, log=IssueLog()))
    assert F.value(v, "cla_missing", 330, 2013) == 130
    assert F.value(v, "cla_missing", 330, 2013, "denominator") == 2600
    v = pd.concat(cla.read_sfr_missing(F.write(tmp_path, "m2.csv",
                                               F.missing_text(new_names=True)), 2017, None))
    assert "no CLA table" in F.reason(v, "cla_missing", 330, 2017)
    head = F.EES_HEAD + ["population_count", "population_estimate", "number", "rate_per_10000"]
    rows = F.ees_rows(2019, {330: ["Children looked after at 31 March each year", "270000",
                                   "2000", "74"]})
    rows += F.ees_rows(2019, {330: ["Children starting to be looked after each year",
                                    "270000", "800", "30"]})
    v = pd.concat(cla.read_ees_number(F.write(tmp_path, "n.csv", F.csv_text(head, rows))))
    assert F.value(v, "cla_rate", 330, 2019) == 2000
    assert F.value(v, "cla_starts", 330, 2019) == 800
    pop = population.read_cla_population(tmp_path / "n.csv")
    assert F.value(pop, "child_population", 330, 2019) == 270000
    head = F.EES_HEAD + ["cla_group", "number"]
    rows = F.ees_rows(2019, {330: ["Children who had a missing incident during the year",
                                   "150"]})
    rows += F.ees_rows(2019, {330: ["Children looked after during the year", "3000"]})
    v = pd.concat(cla.read_ees_missing(F.write(tmp_path, "e.csv", F.csv_text(head, rows))))
    assert F.value(v, "cla_missing", 330, 2019) == 150
    assert F.value(v, "cla_missing", 330, 2019, "denominator") == 3000
    march = F.csv_text(["geog_l", "geog_c", "geog_n", "MarTotal_2010", "Mid2009Pop0-17"],
                       [["National", "921", "England", "64400", "11012300"],
                        ["LA", "921", "Isle of Wight", "200", "25000"]])
    p = F.write(tmp_path, "s27.csv", march)
    v = pd.concat(cla.read_sfr27(p, "march"))
    assert F.value(v, "cla_rate", 921, 2010) == 200  # the national row's 921 is not an LA
    assert F.value(population.read_sfr27_population(p), "child_population", 921, 2010) == 25000


def _with_duplicates(text, change, new, where=None):
    """The rows of LAs 330 and 873 (those matching ``where``: column -> value) given twice,
    at the end of the file: 330's copy with ``change`` set to ``new``, 873's identical.
    Returns (text, data-row number of 330's copy, of 873's copy)."""
    import csv
    import io

    rec = list(csv.reader(io.StringIO(text)))
    header, rows = rec[0], rec[1:]
    code = next(c for c in ("old_la_code", "geog_c") if c in header)
    pick = {c: header.index(c) for c in (where or {})}
    extra, at = [], {}
    for r in rows:
        if r[header.index(code)] in ("330", "873") and all(
                r[j] == where[c] for c, j in pick.items()):
            d = list(r)
            if r[header.index(code)] == "330":
                d[header.index(change)] = new
            extra.append(d)
            at[int(r[header.index(code)])] = len(rows) + len(extra)
    assert set(at) == {330, 873}
    return F.csv_text(header, rows + extra), at[330], at[873]


DUPLICATE_CASES = {
    # name: (text, changed column, new value, rows to copy, reader, indicator, year, first)
    "sfr27 march": (F.sfr27_text("march"), "MarTotal_2010", "2100", None,
                    lambda p, log: cla.read_sfr27(p, "march", log=log), "cla_rate", 2010,
                    1900),
    "sfr27 started": (F.sfr27_text("started"), "StartTotal_2010", "950", None,
                      lambda p, log: cla.read_sfr27(p, "started", log=log), "cla_starts",
                      2010, 900),
    "sfr adm": (F.adm_text(2013, {330: ["700"], 873: ["c"]}), "CLA_started2013", "750", None,
                lambda p, log: cla.read_sfr_adm(p, 2013, log=log), "cla_starts", 2013, 700),
    "sfr missing": (F.missing_text(), "CLA_MissDuringYear", "140", None,
                    lambda p, log: cla.read_sfr_missing(p, 2015, None, log=log),
                    "cla_missing", 2015, 130),
    "sfr cla": (F.sfr_cla_text(2013), "CLA_Mar2013", "1850", None,
                lambda p, log: cla.read_sfr_cla(p, 2013, log=log)[0], "cla_rate", 2013, 1800),
    "ees number": (F.cla_number_text(2019), "number", "2100",
                   {"population_count": F.CLA_NUMBER_LABELS["at31"]},
                   lambda p, log: cla.read_ees_number(p, log=log), "cla_rate", 2019, 2000),
    "ees missing": (F.cla_missing_text(2019), "number", "160",
                    {"cla_group": F.CLA_MISSING_LABELS["missing"]},
                    lambda p, log: cla.read_ees_missing(p, log=log), "cla_missing", 2019, 150),
    "sfr27 population": (F.sfr27_text("march"), "Mid2009Pop0-17", "266000", None,
                         lambda p, log: population.read_sfr27_population(p, log=log),
                         "child_population", 2010, 265000),
    "cla population": (F.cla_number_text(2019), "population_estimate", "271000",
                       {"population_count": F.CLA_NUMBER_LABELS["at31"]},
                       lambda p, log: population.read_cla_population(p, log=log),
                       "child_population", 2019, 270000),
    "ons population": (F.csv_text(F.EES_HEAD + ["age_group", "population_estimate"],
                                  F.ees_rows(2012, {330: ["Children aged 0 to 17 years",
                                                          "270000"],
                                                    873: ["Children aged 0 to 17 years",
                                                          "x"]})),
                       "population_estimate", "275000", None,
                       lambda p, log: population.read_ons(p, log=log), "child_population",
                       2013, 270000),
}


@pytest.mark.parametrize("name", sorted(DUPLICATE_CASES))
def test_duplicates_and_conflicts_are_reported(name, tmp_path):
    text, change, new, where, read, indicator, year, first = DUPLICATE_CASES[name]
    text, row330, row873 = _with_duplicates(text, change, new, where)
    log = IssueLog()
    out = read(F.write(tmp_path, "dup.csv", text), log)
    v = pd.concat(out) if isinstance(out, list) else out
    assert F.value(v, indicator, 330, year) == first  # first kept; one row (F.value checks)
    assert not v.duplicated(["la_code", "year", "indicator"]).any()
    f = log.frame()
    f = f[f["kind"].isin(["duplicate", "conflict"])]
    con = f[f["kind"] == "conflict"]
    assert len(con) == 1 and int(con["la_code"].iloc[0]) == 330
    assert int(con["year"].iloc[0]) == year and int(con["row"].iloc[0]) == row330
    assert con["source"].iloc[0] == "dup.csv" and change in con["column"].iloc[0]
    assert f"{first:g} and {float(new):g}" in con["detail"].iloc[0]
    assert "first kept" in con["detail"].iloc[0]
    if name != "sfr cla":
        assert con["indicator"].iloc[0] == indicator
    dup = f[f["kind"] == "duplicate"]
    assert len(dup) == 1 and int(dup["la_code"].iloc[0]) == 873
    assert int(dup["row"].iloc[0]) == row873


def test_duplicate_denominators_are_reported(tmp_path):
    """The denominators of cla_missing: CLA during the year, given twice."""
    log = IssueLog()
    during = pd.DataFrame({"la_code": [330, 873, 330], "n": [2600.0, 500.0, 2700.0],
                           "reason": [None, None, None]})
    v = pd.concat(cla.read_sfr_missing(F.write(tmp_path, "m.csv", F.missing_text()), 2015,
                                       during, log=log))
    assert F.value(v, "cla_missing", 330, 2015, "denominator") == 2600
    con = log.frame().query("kind == 'conflict'")
    assert len(con) == 1 and int(con["la_code"].iloc[0]) == 330
    assert "2600 and 2700" in con["detail"].iloc[0]
    text, row330, _ = _with_duplicates(F.cla_missing_text(2019), "number", "3100",
                                       {"cla_group": F.CLA_MISSING_LABELS["during"]})
    log = IssueLog()
    v = pd.concat(cla.read_ees_missing(F.write(tmp_path, "e.csv", text), log=log))
    assert F.value(v, "cla_missing", 330, 2019, "denominator") == 3000
    kinds = log.frame()["kind"].tolist()
    assert kinds.count("conflict") == 1 and kinds.count("duplicate") == 1
    con = log.frame().query("kind == 'conflict'")
    assert int(con["row"].iloc[0]) == row330 and "3000 and 3100" in con["detail"].iloc[0]


def test_imd_and_tertiles(tmp_path):
    reg = Register()
    reg.add([330, 873, 201], ["E08000025", "E06000031", "E09000001"])
    log = IssueLog()
    d = imd.read_imd19(F.write_imd(tmp_path), reg, log=log)
    assert d.set_index("la_code")["imd_rank"].to_dict() == {330: 7, 873: 50, 201: 130}
    assert log.kinds() == {"excluded": 1}
    t = imd.tertiles(pd.Series([5, 1, 9, 3, None, 7]), pd.Series([0, 0, 0, 0, 0, 1]))
    assert t.tolist() == [2, 1, 3, 1, pd.NA, pd.NA]


def test_sif_dates_parser():
    p = ofsted.parse_inspection_dates
    ts = pd.Timestamp
    assert p("19 November-11 December 2013 and 28 – 30 January 2014") == (
        ts("2013-11-19"), ts("2014-01-30"))
    assert p("18 Feb 2014 – 12 March 2014") == (ts("2014-02-18"), ts("2014-03-12"))
    assert p("8 – 12 July 2013") == (ts("2013-07-08"), ts("2013-07-12"))
    assert p("19 Sept - 3 Oct 2016 Report published: 1 Dec 2016") == (
        ts("2016-09-19"), ts("2016-10-03"))
    assert p("01/02/2015 - 20/02/2015") == (ts("2015-02-01"), ts("2015-02-20"))
    assert p("28 July 2016") == (None, ts("2016-07-28"))
    assert p(None) == (None, None) and p("no dates") == (None, None)


def test_sif_verification(tmp_path):
    log = IssueLog()
    sif = ofsted.read_sif(F.write_sif(tmp_path), log=log)
    fp = ofsted.read_front_pages(F.write_front_pages(tmp_path))
    reg = Register()
    reg.add([330, 873], ["E08000025", "E06000031"])
    il = ofsted.read_ilacs(F.write_ilacs(tmp_path), reg, log=log)
    listing = pd.DataFrame({"urn": ["80429", "80429"],
                            "published": pd.to_datetime(["2014-05-23", "2016-11-26"]),
                            "file": ["a", "b"]})
    out, found = ofsted.verify_sif(sif, front_pages=fp, listing=listing, ilacs=il, log=log)
    checks = set(zip(found["check"], found["la_code"], strict=True))
    assert ("dates_reparsed", 873) in checks  # 2015-11-19 .. 2015-01-30 -> re-parsed
    assert ("listing", 873) in checks  # URN not listed
    pb = out[out["la_code"] == 873].iloc[0]
    assert pb["start"] == pd.Timestamp("2015-11-19") and pb["end"] == pd.Timestamp("2015-12-11")
    assert not found["check"].eq("limiting_rule").any()
    first = ofsted.first_sif(out)
    b = first.set_index("la_code").loc[330]
    assert b["judgement"] == "inadequate" and b["inspection_year"] == 2014
    assert b["inspection_panel_year"] == 2014 and b["sif_inspections"] == 2
    assert first.set_index("la_code").loc[873, "inspection_panel_year"] == 2016
    # a table that breaks the rules
    bad = sif.copy()
    bad.loc[0, "overall"] = "good"  # a key judgement is inadequate
    bad.loc[2, "reinspection"] = True
    bad.loc[1, "start"] = pd.Timestamp("2019-01-01")  # after the first ILACS
    _o, found = ofsted.verify_sif(bad, ilacs=il, repair=False, log=IssueLog())
    got = set(found["check"])
    assert {"limiting_rule", "sequence", "ilacs", "dates"} <= got
    assert ofsted.compare_with_inventory(ofsted.INVENTORY_SIF) == []
    assert ofsted.compare_with_inventory(ofsted.sif_counts(out))  # differs from INVENTORY
    # ILACS
    f = ofsted.first_ilacs(il).set_index("la_code")
    assert f.loc[330, "ilacs_judgement"] == "requires_improvement"
    assert f.loc[873, "ilacs_in_care"] == "outstanding"
    assert log.frame()["detail"].str.contains("E99999999").any()


def test_grades_outside_the_set_are_reported(tmp_path):
    rows = [["1", "330", "E08000025", "B", "b", "1", "False", "2014-03-10", "2014-04-02",
             "2014-05-23", "brilliant", "good", "good", "good", "good", "good", "f.pdf"]]
    log = IssueLog()
    sif = ofsted.read_sif(F.write_sif(tmp_path, rows), log=log)
    assert pd.isna(sif["overall"].iloc[0])
    assert "'brilliant'" in log.frame()["detail"].iloc[0]


# ---- the build ---------------------------------------------------------------------------


def _raw(tmp_path):
    F.write_ons(tmp_path)
    F.write_c1(tmp_path)
    F.write_b1(tmp_path)
    F.write_csww(tmp_path)
    F.write_s251(tmp_path, 2014, "1314")
    F.write_sif(tmp_path)
    F.write_front_pages(tmp_path)
    F.write_ilacs(tmp_path)
    F.write_imd(tmp_path)
    new, _old = sources.LAIT_FILES
    F.write_lait(tmp_path, new, [
        ["ReReferral", "d", "2013", "Birmingham", "40", 330, "WM"],  # conflicts with c1
        ["CPP_Total_NumRef", "d", "2013", "Peterborough", "2000", 873, "E"],
        ["LACnum", "d", "2013", "Birmingham", "1800", 330, "WM"],
        ["C&YPExpenditure", "d", "2012-13 (OT)", "Birmingham", "200000000", 330, "WM"],
        ["TotalLACFinance", "d", "2012-13 (OT)", "Birmingham", "80000000", 330, "WM"],
    ])
    return tmp_path


def test_build_panel_small(tmp_path):
    seen = []
    panel, rep = build(_raw(tmp_path), lambda d, t, lab: seen.append((d, t)))
    assert seen[0] == (0, 10) and seen[-1] == (10, 10)
    w = panel.wide(years=2013).set_index("la_code")
    assert w.loc[330, "referrals"] == pytest.approx(10000 / 270000 * 1e4)
    assert w.loc[330, "re_referrals"] == 25
    assert w.loc[330, "cla_rate"] == pytest.approx(1800 / 270000 * 1e4)  # LAIT fills
    assert w.loc[873, "referrals"] == pytest.approx(2000 / 45000 * 1e4)
    assert 201 not in w.index and 201 in set(panel.exclusions["la_code"])
    long = panel.long
    src = long[(long["indicator"] == "referrals")]["source"].unique()
    assert list(src) == [sources.SOURCES["cin_c1"].files[0]]
    iss = rep.issues
    conf = iss[iss["kind"] == "conflict"]
    assert (conf["indicator"] == "re_referrals").any()  # LAIT 40 vs c1 25
    cr = long[long["indicator"] == "cla_rate"]
    assert set(cr["source"]) == {sources.LAIT_FILES[0]}  # the only source here
    assert (iss["kind"] == "missing_file").sum() > 10
    ex = panel.exclusions
    r = ex[(ex["la_code"] == 873) & (ex["indicator"] == "referrals_nfa")]["reason"].iloc[0]
    assert "'z'" in r
    las = panel.las.set_index("la_code")
    assert las.loc[330, "judgement"] == "inadequate" and las.loc[330, "imd_rank"] == 7
    assert las.loc[330, "name"] == "Birmingham" and las.loc[330, "ons_code"] == "E08000025"
    # FY of the first SIF (March 2014: FY 2013-14, s251) over the mid-2013 population
    assert las.loc[330, "spend_per_child"] == pytest.approx(211353458.3 / 272000)
    assert pd.isna(las.loc[330, "inadequate_2012_13"])
    assert las.loc[330, "ilacs_judgement"] == "requires_improvement"
    d = panel.indicators.set_index("indicator")
    assert d.loc["referrals_not_in_need", "definition"].startswith("referrals that led")
    # the panel round-trips through parquet
    path, _las = panel.to_parquet(tmp_path / "p.parquet")
    back = load_panel(path)
    pd.testing.assert_frame_equal(back.long, panel.long)
    assert len(back.exclusions) == len(panel.exclusions)
    # over 100%: reported, missing
    F.write_c1(tmp_path, body={330: ["R", "100", "150", "150", "1", "1", "1", "1"]})
    panel, rep = build(tmp_path)
    assert np.isnan(panel.wide("re_referrals", 2013).set_index("la_code").loc[330,
                                                                             "re_referrals"])
    assert (rep.issues["kind"] == "invalid_value").any()


def test_build_keeps_small_las_on_request_and_limits_years(tmp_path):
    panel = build_panel(_raw(tmp_path), exclude=(), years=range(2013, 2014))
    assert 201 in set(panel.las["la_code"]) and panel.years == [2013]
    assert (panel.build_report.issues["kind"] == "out_of_range").any()


def test_build_errors(tmp_path):
    with pytest.raises(BuildError, match="not found"):
        build_panel(tmp_path / "nowhere")
    with pytest.raises(BuildError, match="none of the expected source files"):
        build_panel(tmp_path)


def test_merge_fill():
    log = IssueLog()
    a = value_frame([330], 2016, "cla_rate", [np.nan], None, "rate_per_10000", "a.csv",
                    ["'x' in column 'CLA_Mar2016', row 3"], "cla_sfr")
    b = value_frame([330], 2016, "cla_rate", [1800], [270000], "rate_per_10000", "b.parquet",
                    None, "lait")
    m = merge_sources(pd.concat([a, b]), log)
    assert m["source"].tolist() == ["b.parquet"] and m["numerator"].tolist() == [1800]
    f = log.frame()
    assert f["kind"].tolist() == ["fill"] and "'x' in column 'CLA_Mar2016'" in f["detail"][0]


def test_merge_duplicates_and_order():
    log = IssueLog()
    a = value_frame([330, 330], 2015, "re_referrals", [10, 12], [100, 100], "percentage",
                    "a.csv", None, "cin_c1")
    b = value_frame([330], 2015, "re_referrals", [11.9], [100], "percentage", "b.parquet",
                    None, "lait")
    m = merge_sources(pd.concat([b, a]), log)
    assert len(m) == 1 and m["numerator"].iloc[0] == 10 and m["source"].iloc[0] == "a.csv"
    kinds = log.frame()["kind"].tolist()
    assert kinds.count("conflict") == 2  # 12 vs 10 within a.csv; 11.9 (check) vs 10


# ---- the command line --------------------------------------------------------------------


def test_cli_build_describe_sources_indicators(tmp_path):
    raw = _raw(tmp_path / "raw")
    out = tmp_path / "panel.parquet"
    run = CliRunner().invoke(data, ["build", "--raw", str(raw), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert out.is_file() and (tmp_path / "panel.las.parquet").is_file()
    rep = pd.read_csv(tmp_path / "panel.report.csv")
    assert list(rep.columns) == ["kind", "source", "la_code", "year", "indicator", "column",
                                 "row", "detail"]
    run = CliRunner().invoke(data, ["describe", str(out), "--format", "csv"])
    assert run.exit_code == 0, run.output
    lines = run.output.splitlines()
    assert lines[0].startswith("indicator,unit,2013")
    assert any(ln.startswith("referrals,rate_per_10000,2") for ln in lines)
    run = CliRunner().invoke(data, ["describe", str(out), "--count", "numerators"])
    assert run.exit_code == 0 and "LAs with a numerator" in " ".join(run.output.split())
    run = CliRunner().invoke(data, ["sources", "--format", "csv"])
    assert run.exit_code == 0 and "Open Government Licence v3.0" in run.output
    assert sources.SOURCES["cin_c1"].files[0] in run.output
    run = CliRunner().invoke(data, ["indicators"])
    assert run.exit_code == 0 and "referrals" in run.output
    run = CliRunner().invoke(data, ["indicators", "--format", "csv"])
    assert "not available" in run.output
    run = CliRunner().invoke(data, ["build", "--raw", str(tmp_path / "no"), "--out", str(out)])
    assert run.exit_code == 1 and run.output.strip().startswith("error: --raw")
    run = CliRunner().invoke(data, ["build", "--raw", str(raw), "--out", str(tmp_path / "x.csv")])
    assert run.exit_code == 1 and ".parquet" in run.output
    run = CliRunner().invoke(data, ["describe", str(tmp_path / "none.parquet")])
    assert run.exit_code == 1 and "no such file" in run.output
    empty = tmp_path / "empty"
    empty.mkdir()
    run = CliRunner().invoke(data, ["build", "--raw", str(empty), "--out", str(out)])
    assert run.exit_code == 1 and "none of the expected source files" in run.output


def test_catalogue_and_registry_are_consistent():
    for name, e in sources.CATALOGUE.items():
        assert e.indicator.name == name
        for o in e.origins:
            assert o.source in sources.SOURCES, (name, o.source)
            assert o.role in ("primary", "fill", "check")
    assert all(s.licence.startswith("Open Government Licence v3.0")
               for s in sources.SOURCES.values())
    files = [f for _k, f in sources.expected_files()]
    assert len(files) == len(set(files)) + 2  # CLA files that also give populations


# ---- on the real files (skipped where absent) --------------------------------------------


def test_real_cin_and_population():
    raw = F.need_real()
    log = IssueLog()
    v = pd.concat(cin.build(raw, log) + population.build(raw, log))
    c1 = v[(v["indicator"] == "referrals") & (v["year"] == 2013)]
    assert c1["numerator"].notna().sum() == 151  # INVENTORY coverage: referral_count 2013
    assert not v.duplicated(["la_code", "year", "indicator", "origin"]).any()
    pop = v[(v["origin"] == "ons") & v["la_code"].isin([835, 836, 837])]
    assert pop["numerator"].isna().all() and pop["reason"].str.contains("'x'").all()


def test_real_workforce_lait_s251_cla_imd():
    raw = F.need_real()
    log, reg = IssueLog(), Register()
    w = pd.concat(workforce.build(raw, log, reg))
    t = w[(w["origin"] == "csww") & (w["indicator"] == "social_worker_turnover")
          & (w["year"] == 2018)]
    assert t["numerator"].notna().sum() == 150  # 151 rows less the joint 314 / 318 one
    lt = lait.build(raw, log, reg)[0]
    a = lt[(lt["indicator"] == "assessments_within_45_days") & (lt["year"] == 2015)]
    assert a["numerator"].notna().sum() == 152  # INVENTORY: Continue_Assess_Comp 2015
    s = pd.concat(s251.build(raw, log, reg))
    n = s[s["indicator"] == "spend_cla"].groupby("year")["la_code"].nunique()
    assert n.to_dict() == {2009: 150, 2010: 152, 2011: 152, 2012: 152, 2013: 152, 2014: 152}
    c = pd.concat(cla.build(raw, log, reg))
    m = c[(c["indicator"] == "cla_rate") & (c["year"] == 2010)]
    assert m["numerator"].notna().sum() == 152  # INVENTORY: CLA_Mar 2010
    s20 = c[(c["indicator"] == "cla_section20") & c["numerator"].notna() & (c["la_code"] != 420)]
    assert s20.groupby("year").size().to_dict() == {  # INVENTORY: CLA_S20 2011-2017
        # (2017's Isles of Scilly row has a blank level: INVENTORY does not count it)
        2011: 150, 2012: 150, 2013: 150, 2014: 150, 2015: 142, 2016: 151, 2017: 145}
    d = imd.build(raw, log, reg)
    assert len(d) == 151 and d["imd_rank"].min() == 1


def test_real_ofsted():
    raw = F.need_real()
    log, reg = IssueLog(), Register()
    population.build(raw, log, reg)
    cin.build(raw, log, reg)
    first, il, sif, found = ofsted.build(raw, log, reg)
    counts = ofsted.sif_counts(sif)
    assert counts["las"] == 147 and counts["inspections"] == 167
    assert counts["first_judgements"] == ofsted.INVENTORY_SIF["first_judgements"]
    # the one repair moves Sheffield's first inspection from 2014 to 2013
    assert ofsted.compare_with_inventory(counts) == [
        "first_start_years: INVENTORY {2013: 4, 2014: 39, 2015: 38, 2016: 36, 2017: 30}, "
        "here {2013: 5, 2014: 38, 2015: 38, 2016: 36, 2017: 30}"]
    assert first.set_index("la_code").loc[373, "inspection_year"] == 2013
    assert not found["check"].eq("limiting_rule").any()
    win = il[(il["ilacs_date"] >= "2018-01-01") & (il["ilacs_date"] < "2019-04-01")]
    assert len(win) == 48  # INVENTORY: 47 current LAs + Bournemouth
    assert 837 in set(win["la_code"])


def test_lacodes_agree_with_real_register():
    raw = F.need_real()
    reg = Register()
    population.build(raw, IssueLog(), reg)
    assert not reg.clashes
    for code, old, new, _y, _why in lacodes.ONS_CODE_CHANGES:
        assert reg.to_old(old) == code and reg.to_old(new) == code


def test_coverage_table(tmp_path):
    panel = build_panel(_raw(tmp_path))
    tab = coverage(panel)
    assert tab.loc["referrals", 2013] == 2  # Birmingham, Peterborough (City excluded)
    assert coverage(panel, "numerators").loc["referrals", 2013] == 2
    with pytest.raises(ValueError, match="count"):
        coverage(panel, "rows")
