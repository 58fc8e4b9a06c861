"""Small hand-made raw files in the layouts of the public sources, for the builder tests.

Every writer puts its file where the builders look for it (the path in
``replication.data.sources``) under a root directory, and returns the path.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from replication.data import sources as S

REPO = Path(__file__).resolve().parents[2]


def real_dir() -> Path:
    """The raw public data: $CSC_REAL_DATA, else ../shared/data/real from the repository."""
    env = os.environ.get("CSC_REAL_DATA")
    return Path(env) if env else (REPO / ".." / "shared" / "data" / "real").resolve()


def need_real() -> Path:
    d = real_dir()
    if not (d / "INVENTORY.md").is_file():
        pytest.skip(f"raw public data not found at {d} (set CSC_REAL_DATA to its directory)")
    return d


def csv_text(header, rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def write(root: Path, rel: str, text: str, encoding: str = "utf-8") -> Path:
    path = Path(root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


EES_HEAD = ["time_period", "time_identifier", "geographic_level", "country_code",
            "country_name", "region_code", "region_name", "old_la_code", "new_la_code",
            "la_name"]
#: (code, ONS code, name, region) of the LAs in the hand-made files.
LAS = [(330, "E08000025", "Birmingham", "West Midlands"),
       (201, "E09000001", "City of London", "Inner London"),
       (873, "E06000031", "Peterborough", "East of England")]


def ees_rows(year, values_by_la, *, national=None, regional=None, las=LAS):
    """EES rows for one year: a national and a regional row, then one row per LA."""
    rows = []
    if national is not None:
        rows.append([year, "Reporting year", "National", "E92000001", "England", "", "", "",
                     "", "", *national])
    if regional is not None:
        rows.append([year, "Reporting year", "Regional", "E92000001", "England", "E12000005",
                     "West Midlands", "", "", "", *regional])
    for code, ons, name, region in las:
        if code in values_by_la:
            rows.append([year, "Reporting year", "Local authority", "E92000001", "England",
                         "E12000005", region, code, ons, name, *values_by_la[code]])
    return rows


def write_ons(root, years=(2012, 2013), pops=None):
    pops = pops or {330: ["270000", "272000"], 201: ["x", "x"], 873: ["45,000", "45500"]}
    rows = []
    for k, y in enumerate(years):
        rows += ees_rows(y, {c: ["Children aged 0 to 17 years", v[k]] for c, v in pops.items()},
                         national=["Children aged 0 to 17 years", "11000000"])
    return write(root, S.SOURCES["ons"].files[0],
                 csv_text(EES_HEAD + ["age_group", "population_estimate"], rows))


def write_c1(root, year=2013, body=None):
    cols = ["category", "referral_count", "rereferral_count", "rereferral_percent",
            "no_further_action_count", "no_further_action_percent", "not_in_need_count",
            "not_in_need_percent"]
    body = body or {330: ["R", "10000", "2500", "25", "1000", "10", "3000", "30"],
                    201: ["R", "c", "c", "c", "c", "c", "c", "c"],
                    873: ["R", "2,000", "400", "20", "z", "z", "500", "25"]}
    rows = ees_rows(year, body, national=["R", "600000", "130000", "21.7", "1", "1", "1", "1"],
                    regional=["R", "60000", "13000", "21.7", "1", "1", "1", "1"])
    return write(root, S.SOURCES["cin_c1"].files[0], csv_text(EES_HEAD + cols, rows))


def write_b1(root, year=2013):
    cols = ["category", "At31_episodes", "Started_episodes"]
    rows = ees_rows(year, {330: ["C", "8000", "9000"], 201: ["C", "c", "x"],
                           873: ["C", "1500", "u"]})
    return write(root, S.SOURCES["cin_b1"].files[0], csv_text(EES_HEAD + cols, rows))


def write_c4(root, year=2013):
    cols = ["category", "Section47", "ICPC", "Duration_0-10_days", "Duration_11-15_days",
            "Duration_16-20_days", "Duration_21+_days", "Duration_median"]
    rows = ees_rows(year, {330: ["S", "5000", "1200", "300", "600", "200", "100", "14"],
                           873: ["S", "800", "200", "50", "100", "c", "30", "13"]})
    return write(root, S.SOURCES["cin_c4"].files[0], csv_text(EES_HEAD + cols, rows))


def write_d3(root, year=2013):
    cols = ["category", "CPP_start", "CPP_subsequent", "CPP_subsequent_percent"]
    rows = ees_rows(year, {330: ["D", "1000", "200", "20"], 873: ["D", "150", "k", "k"]})
    return write(root, S.SOURCES["cin_d3"].files[0], csv_text(EES_HEAD + cols, rows))


def write_d5(root, year=2013):
    cols = ["category", "CPP_At31", "2_years_or_more", "2_years_or_more_percent"]
    rows = ees_rows(year, {330: ["D", "900", "30", "3.3"], 873: ["D", "140", "0", "0"]})
    return write(root, S.SOURCES["cin_d5"].files[0], csv_text(EES_HEAD + cols, rows))


CSWW_COLS = ["inpost_fte", "leavers_fte", "agency_fte", "vacancy_fte", "caseload_fte"]


def write_csww(root, year=2017, body=None, extra_rows=()):
    body = body or {330: ["500", "75", "100", "125", "17.5"], 873: ["80", "low", "20", "x", "20"]}
    rows = ees_rows(year, body, national=["30000", "4000", "5000", "6000", "16"])
    rows += list(extra_rows)
    return write(root, S.SOURCES["csww"].files[0], csv_text(EES_HEAD + CSWW_COLS, rows))


def sfr_workforce_text(sept=2015, body=None):
    head = ["Country_code", "Country_name", "Region_code", "Region_name", "LA_code (9 digit)",
            "LA_name", "LA_code (3 digit)", f"A1_FTE_ChildrensSocialWorkers_{sept}",
            f"B2_FTE_Leavers_{sept}", f"D1_FTE_AgencyWorkers_{sept}",
            f"A2_FTE_Vacancies_{sept}"]
    extra = ["CiNperCSW_FTE_2015"] if sept == 2015 else ["Average_caseload"]
    body = body or {330: ["1,000.0", "150", "200", "250", "18"], 873: ["80", "..", "20", "x", "17"]}
    rows = [["E92000001", "England", "", "", "", "", "", "27,700", "4,190", "5,330", "5,540",
             "15"]]
    for code, ons, name, region in LAS:
        if code in body:
            rows.append(["E92000001", "England", "E12000005", region, ons, name, code,
                         *body[code]])
    rows.append([""] * (len(head) + 1))
    return csv_text(head + extra, rows)


def write_sfr(root, key="sfr07", body=None):
    sept = 2015 if key == "sfr07" else 2016
    return write(root, S.SOURCES[key].files[0], sfr_workforce_text(sept, body), "cp1252")


LAIT_HEAD = ["Short Desc", "Data item", "Years", "LA and Regions", "Values", "LA Number",
             "Region"]


def lait_frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=LAIT_HEAD)
    df["LA Number"] = df["LA Number"].astype(float)
    return df


def write_lait(root, rel, rows):
    path = Path(root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    lait_frame(rows).to_parquet(path, index=False)
    return path


def s251_text(layout="1314", values=None):
    values = values or {330: {"cyp": "211353458.3", "safe": "51276372", "cla": "89047932",
                              "fam": "18898461"},
                        873: {"cyp": "NULL", "safe": "-5", "cla": "30000000", "fam": "8000000"}}
    if layout == "0809":
        head = ["LEA Number:", "LA Name:", "S52 Line Reference:", "PRIVATE (x)",
                "TOTAL EXPENDITURE (k)"]
        lines = {"cla": "14 Total Children Looked After",
                 "safe": "19 Total Children and Young Peoples Safety",
                 "fam": "28 Total Family Support Services",
                 "cyp": "46 TOTAL CHILDREN AND YOUNG PEOPLES SERVICES BUDGET (excluding CERA)"}
        rows = []
        for code, v in values.items():
            rows.append([code, "LA", "5 Residential care", "1", "123"])
            for k, line in lines.items():
                if k in v:
                    rows.append([code, "LA", line, "0", v[k]])
        return csv_text(head, rows)
    head = ["LA", "LA Name", "LineNumber", "CYPServiceDescription", "ReportGroup",
            "TotalExpenditure", "NetCurrentExpenditure"]
    lines = {"cla": "16 Total Children Looked After",
             "safe": "21 Total  Safeguarding Children and Young People\u2019s Services",
             "fam": "27 Total Family Support Services",
             "cyp": "33 CHILDREN AND YOUNG PEOPLE'S SERVICES BUDGET (excluding CERA)"}
    rows = []
    for code, v in values.items():
        rows.append([code, "LA", "6", "6 Residential care", "CLA", "-77", "1"])
        for k, line in lines.items():
            if k in v:
                rows.append([code, "LA", "1", line, "G", v[k], "1"])
    return csv_text(head, rows)


def write_s251(root, year=2014, layout="1314", values=None):
    path = Path(root) / S.S251_FILES[year]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(s251_text(layout, values).encode("cp1252"))
    return path


def sfr_cla_text(year=2013, label_year=None, body=None):
    ly = label_year or year
    head = ["New_geog_code", "geog_l", "geog_c", "geog_n", f"CLA_Mar{ly}", f"CLA_{ly}",
            "CLA_ICO", "CLA_FCO", "CLA_S20"]
    body = body or {330: ["1800", "2600", "300", "1000", "400"],
                    873: ["350", "500", "x", "200", "100"]}
    rows = [["E92000001", "NATIONAL", "999", "ENGLAND", "68000", "97000", "1", "1", "1"],
            ["E12000005", "REGION", "F", "WEST MIDLANDS", "9000", "12000", "1", "1", "1"]]
    for code, ons, name, _r in LAS:
        if code in body:
            rows.append([ons, "LA", code, name, *body[code]])
    return csv_text(head, rows)


def adm_text(label_year, body=None):
    head = ["New_geog_code", "geog_l", "geog_c", "geog_n", f"CLA_started{label_year}"]
    body = body or {330: ["700"], 873: ["c"]}
    rows = [["E92000001", "NATIONAL", "999", "ENGLAND", "31070"]]
    for code, ons, name, _r in LAS:
        if code in body:
            rows.append([ons, "LA", code, name, *body[code]])
    return csv_text(head, rows)


def missing_text(body=None, new_names=False):
    col = "Miss_Miss_DuringYear" if new_names else "CLA_MissDuringYear"
    head = ["New_geog_code", "geog_l", "geog_c", "geog_n", col]
    body = body or {330: ["130"], 873: ["x"]}
    rows = [["E92000001", "NATIONAL", "999", "ENGLAND", "6110"]]
    for code, ons, name, _r in LAS:
        if code in body:
            rows.append([ons, "LA", code, name, *body[code]])
    return csv_text(head, rows)


def sfr27_text(kind="march", body=None, aggregates=True):
    """SFR27/2010 (``kind`` 'march' or 'started'): geog_l, geog_c, geog_n, the total, (march:
    the mid-2009 population), one placement column. The national row's code is 921, which is
    also Isle of Wight's LA code."""
    if kind == "march":
        head = ["geog_l", "geog_c", "geog_n", "MarTotal_2010", "Mid2009Pop0-17",
                "MarPlace_Q1_2010"]
        body = body or {330: ["1900", "265000", "x"], 873: ["340", "44,500", "10"]}
        agg = [["National", "921", "England", "64400", "11012300", "x"],
               ["GOR", "F", "West Midlands", "7000", "1300000", "20"]]
    else:
        head = ["geog_l", "geog_c", "geog_n", "StartTotal_2010", "StartPlace_Q1_2010"]
        body = body or {330: ["900", "60"], 873: ["c", "x"]}
        agg = [["National", "921", "England", "27800", "2600"],
               ["GOR", "F", "West Midlands", "3000", "300"]]
    rows = list(agg) if aggregates else []
    for code, _ons, name, _r in LAS:
        if code in body:
            rows.append(["LA", code, name, *body[code]])
    return csv_text(head, rows)


#: The measures of the EES CLA number file (its label column is headed population_count).
CLA_NUMBER_LABELS = {"at31": "Children looked after at 31 March each year",
                     "starting": "Children starting to be looked after each year",
                     "ceasing": "Children ceasing to be looked after each year"}
CLA_NUMBER_COLS = ["population_count", "population_estimate", "number", "rate_per_10000"]


def cla_number_text(year=2019, body=None, national=True):
    """``cla_number_and_rate_per_10k_children.csv``: ``body`` maps an LA to {measure:
    [population_estimate, number, rate_per_10000]} (measures of :data:`CLA_NUMBER_LABELS`)."""
    body = body or {330: {"at31": ["270000", "2000", "74"], "starting": ["270000", "800", "30"],
                          "ceasing": ["270000", "700", "26"]},
                    873: {"at31": ["45,000", "350", "78"], "starting": ["45,000", "c", "c"]}}
    rows = []
    for key, label in CLA_NUMBER_LABELS.items():
        rows += ees_rows(year, {c: [label, *v[key]] for c, v in body.items() if key in v},
                         national=[label, "12000000", "80000", "67"] if national else None)
    return csv_text(EES_HEAD + CLA_NUMBER_COLS, rows)


#: Three measures of the EES missing file (the third is not read).
CLA_MISSING_LABELS = {"missing": "Children who had a missing incident during the year",
                      "during": "Children looked after during the year",
                      "at31": "Children missing at 31 March"}


def cla_missing_text(year=2019, body=None, national=True):
    """The EES missing file: ``body`` maps an LA to {measure: number} (measures of
    :data:`CLA_MISSING_LABELS`), in columns cla_group and number."""
    body = body or {330: {"missing": "150", "during": "3,000", "at31": "5"},
                    873: {"missing": "x", "during": "500", "at31": "x"}}
    rows = []
    for key, label in CLA_MISSING_LABELS.items():
        rows += ees_rows(year, {c: [label, v[key]] for c, v in body.items() if key in v},
                         national=[label, "12000"] if national else None)
    return csv_text(EES_HEAD + ["cla_group", "number"], rows)


def write_sif(root, rows=None):
    head = ["urn", "la_code", "la_code_new", "local_authority_ons_name", "la_folder", "sif_seq",
            "reinspection", "inspection_start", "inspection_end", "report_published_date",
            "overall_effectiveness", "help_and_protection", "looked_after_permanence",
            "adoption", "care_leavers", "leadership", "file"]
    rows = rows or [
        ["80429", "330", "E08000025", "Birmingham", "birmingham", "1", "False", "2014-03-10",
         "2014-04-02", "2014-05-23", "inadequate", "inadequate", "requires improvement",
         "good", "requires improvement", "inadequate", "b1.pdf"],
        ["80429", "330", "E08000025", "Birmingham", "birmingham", "2", "True", "2016-09-12",
         "2016-10-06", "2016-11-25", "inadequate", "inadequate", "inadequate", "good",
         "requires improvement", "inadequate", "b2.pdf"],
        ["80473", "873", "E06000031", "Peterborough", "peterborough", "1", "False",
         "2015-11-19", "2015-01-30", "2016-01-29", "good", "good", "good", "outstanding", "good",
         "good", "p1.pdf"],
    ]
    return write(root, "ofsted/DERIVED_sif_judgements_2013_2018.csv", csv_text(head, rows))


def write_front_pages(root, rows=None):
    head = ["urn", "la_folder", "file", "file_date", "framework_guess", "inspection_dates_text",
            "report_published", "overall_effectiveness"]
    rows = rows or [
        ["80429", "birmingham", "b1.pdf", "", "SIF", "10 March 2014 - 2 April 2014", "", ""],
        ["80429", "birmingham", "b2.pdf", "", "SIF re-inspection", "12 - 6 October 2016", "",
         ""],
        ["80473", "peterborough", "p1.pdf", "", "SIF",
         "19 November - 11 December 2015", "", ""],
    ]
    return write(root, "ofsted/DERIVED_parsed_front_pages_2012_2018.csv", csv_text(head, rows))


def write_ilacs(root, rows=None):
    head = ["Web link", "Local authority area code", "Local authority name",
            "Local authority status", "Ofsted region", "Inspection date", "Publication date",
            "Inspection type", "Overall effectiveness",
            "The impact of leaders on social work practice with children and families",
            "The experiences and progress of children who need help and protection",
            "The experiences and progress of children in care",
            "The experiences and progress of care leavers"]
    rows = rows or [
        ["x", "E08000025", "Birmingham", "Current", "West Midlands", "2018-12-03 00:00:00",
         "2019-02-01 00:00:00", "ILACS Standard Inspection", "Requires improvement to be good",
         "Good", "Requires improvement to be good", "Good", ""],
        ["x", "E06000031", "Peterborough", "Current", "East", "2019-01-14 00:00:00",
         "2019-03-01 00:00:00", "ILACS Standard Inspection", "Good", "Good", "Good",
         "Outstanding", ""],
        ["x", "E99999999", "Nowhere", "Current", "East", "2019-01-14 00:00:00", "", "", "Good",
         "", "", "", ""],
    ]
    return write(root, "CSC_outcomes_and_enablers/DERIVED_ILACS_inspection_history_2025.csv",
                 csv_text(head, rows))


def write_imd(root, rows=None):
    head = ["Upper Tier Local Authority District code (2019)",
            "Upper Tier Local Authority District name (2019)", "IMD - Average rank ",
            "IMD - Rank of average rank ", "IMD - Average score ",
            "IMD - Rank of average score "]
    rows = rows or [["E08000025", "Birmingham", "25000", "3", "38.1", "7"],
                    ["E06000031", "Peterborough", "18000", "60", "27.0", "50"],
                    ["E09000001", "City of London", "10000", "140", "14.7", "130"],
                    ["E99999999", "Nowhere", "1", "1", "1", "1"]]
    return write(root, S.SOURCES["imd"].files[0], "\ufeff" + csv_text(head, rows))


def value(frames, indicator, la, year=None, column="numerator"):
    f = pd.concat(frames) if isinstance(frames, list) else frames
    sel = (f["indicator"] == indicator) & (f["la_code"] == la)
    if year is not None:
        sel &= f["year"] == year
    got = f.loc[sel, column]
    assert len(got) == 1, f"{indicator} {la} {year}: {len(got)} rows"
    return float(got.iloc[0])


def reason(frames, indicator, la, year=None):
    f = pd.concat(frames) if isinstance(frames, list) else frames
    sel = (f["indicator"] == indicator) & (f["la_code"] == la)
    if year is not None:
        sel &= f["year"] == year
    return f.loc[sel, "reason"].iloc[0]


__all__ = ["np"]
