"""Fuzzing every loader of the raw public files (hypothesis).

Catalogue of cases (:data:`CASES`): each loader reads a small hand-made file in its published
layout, once as made (the baseline) and once damaged; the damaged read must either give the
baseline back, or differ only where it says why, or stop with a :class:`RawDataError` that
names the file (and the row and column where there is one). Never a crash without a message,
never a silently different number, never a silent drop.

=====================  ====================================================  ==================
case                   damage                                                expected
=====================  ====================================================  ==================
suppression codes      random value cells -> c, x, z, u, k, .., :, low, -,   every changed value
                       ., n/a, NULL, blank                                   is missing, with a
                                                                             reason; none is 0
shuffled columns       the columns (and rows) in random order, their names   the baseline
                       in upper, lower or title case
renamed column         a required column renamed                             error naming the
                                                                             file and column
aggregate rows         national and regional rows inserted anywhere          the baseline; the
                                                                             rows are counted
encodings and BOM      UTF-8 with BOM, Windows-1252, UTF-16                  the baseline
numbers as text        thousands separators (quoted "1,234"), spaces         the baseline
truncated file         the bytes cut anywhere                                error naming the
                                                                             file, or a subset
                                                                             of the baseline
                                                                             with the cut row
                                                                             reported
empty file             0 bytes or only blank lines                           error 'empty file'
unknown value          a value cell -> text that is no number and no code    error naming file,
                                                                             row and column
=====================  ====================================================  ==================

LAIT is parquet: its cases are the same except encodings; a truncated parquet file is an error.
The CLA loaders (``cla_*``: SFR27/2010, ADM, Missing and the two EES files) and the two child
populations read from CLA tables (``pop_*``) read only some rows of their files (``row_read``).
The outcome builders are here by their EES readers (``outcomes_ks2``: a file of columns by
social care group; ``outcomes_oc2``: a labelled long file); the SFR11/2016 sheet reader has no
header of its own and is tested in ``test_outcome_builders.py``.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replication.data import (
    cin,
    cla,
    imd,
    lait,
    ofsted,
    outcomes,
    population,
    s251,
    workforce,
)
from replication.data.lacodes import Register
from replication.data.readers import IssueLog, RawDataError
from tests.replication import data_files as F

CASES = ("suppression codes", "shuffled columns", "renamed column", "aggregate rows",
         "encodings and BOM", "numbers as text", "truncated file", "empty file",
         "unknown value")
CODES = ("c", "x", "z", "u", "k", "..", ":", "low", "-", ".", "n/a", "NULL", "", " x ")
FUZZ = settings(max_examples=8, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@dataclass
class Loader:
    """One loader: its file (header, rows as text), which columns hold numbers it reads, a
    column it requires, how to make an aggregate row, and how to read the result."""

    name: str
    header: list[str]
    rows: list[list[str]]
    value_cols: list[str]
    required: str
    aggregate: Callable[[random.Random], list[str]]
    read: Callable[[Path, IssueLog], pd.DataFrame]
    key: tuple[str, ...] = ("la_code", "year", "indicator")
    values: tuple[str, ...] = ("numerator", "denominator")
    row_read: Callable[[list[str]], bool] = lambda row: True


def _table(text: str) -> tuple[list[str], list[list[str]]]:
    import csv

    rec = list(csv.reader(io.StringIO(text)))
    return rec[0], [r for r in rec[1:] if any(c.strip() for c in r)]


def _ees_agg(header):
    def make(rng):
        row = [""] * len(header)
        row[0] = "2013"
        row[1] = "Reporting year"
        national = rng.random() < 0.5
        row[2] = "National" if national else "Regional"
        row[3], row[4] = "E92000001", "England"
        if not national:
            row[5], row[6] = "E12000005", "West Midlands"
        for j in range(10, len(header)):
            row[j] = str(rng.randint(1000, 99999))
        return row
    return make


def _frames(fn):
    def read(path, log):
        out = fn(path, log)
        return pd.concat(out, ignore_index=True) if isinstance(out, list) else out
    return read


def _loaders() -> dict[str, Loader]:
    out = {}
    h, r = _table(F.csv_text(F.EES_HEAD + ["category", "referral_count", "rereferral_count",
                                            "no_further_action_count", "not_in_need_count"],
                             F.ees_rows(2013, {330: ["R", "12000", "2500", "1000", "3000"],
                                               873: ["R", "2345", "400", "17", "500"],
                                               201: ["R", "40", "5", "0", "9"]})))
    out["cin_c1"] = Loader("cin_c1", h, r, ["referral_count", "rereferral_count",
                                            "no_further_action_count", "not_in_need_count"],
                           "referral_count", _ees_agg(h),
                           _frames(lambda p, log: cin.read_file(p, "cin_c1", log=log)))
    h, r = _table(F.csv_text(F.EES_HEAD + ["age_group", "population_estimate"],
                             F.ees_rows(2012, {c: ["Children aged 0 to 17 years", v] for c, v in
                                               ((330, "270000"), (873, "45000"),
                                                (201, "1500"))})))

    def agg_pop(rng, h=h):
        row = _ees_agg(h)(rng)
        row[10] = "Children aged 0 to 17 years"
        return row
    out["population"] = Loader("population", h, r, ["population_estimate"],
                               "population_estimate", agg_pop,
                               _frames(lambda p, log: population.read_ons(p, log=log)))
    h, r = _table(F.csv_text(F.EES_HEAD + F.CSWW_COLS,
                             F.ees_rows(2017, {330: ["500", "75", "100", "125", "17.5"],
                                               873: ["80", "12", "20", "9", "20"]})))
    out["csww"] = Loader("csww", h, r, F.CSWW_COLS, "inpost_fte", _ees_agg(h),
                         _frames(lambda p, log: workforce.read_csww(p, log=log)))
    h, r = _table(F.sfr_workforce_text(2015, {330: ["1000.5", "150", "200", "250", "18"],
                                              873: ["80", "12", "20", "9", "17"]}))
    r = [row for row in r if row[6].strip()]

    def agg_sfr(rng, h=h):
        row = ["E92000001", "England", "E12000005", "West Midlands", "", "", ""]
        return row + [str(rng.randint(10, 9999)) for _ in range(len(h) - 7)]
    out["sfr07"] = Loader("sfr07", h, r, h[7:], h[7], agg_sfr,
                          _frames(lambda p, log: workforce.read_sfr(p, "sfr07", log=log)))
    h, r = _table(F.sfr_cla_text(2013, body={330: ["1800", "2600", "300", "1000", "400"],
                                             873: ["350", "500", "50", "200", "100"]}))
    r = [row for row in r if row[1] == "LA"]

    def agg_sfr_cla(rng, h=h):
        lev = rng.choice(["NATIONAL", "REGION"])
        return ["E92000001", lev, "999" if lev == "NATIONAL" else "F", "X"] + \
            [str(rng.randint(10, 99999)) for _ in range(len(h) - 4)]

    def read_cla(p, log):
        frames, _during = cla.read_sfr_cla(p, 2013, log=log)
        return pd.concat(frames, ignore_index=True)
    out["cla_sfr"] = Loader("cla_sfr", h, r, ["CLA_Mar2013", "CLA_ICO", "CLA_FCO", "CLA_S20"],
                            "CLA_ICO", agg_sfr_cla, read_cla)
    _cla_loaders(out)
    h, r = _table(F.s251_text("1314", {330: {"cyp": "211353458.3", "safe": "51276372",
                                             "cla": "89047932", "fam": "18898461"},
                                       873: {"cyp": "30000000", "safe": "5000000",
                                             "cla": "12000000", "fam": "4000000"}}))

    def agg_s251(rng):
        return ["985", "England", "1", "16 Total Children Looked After", "G",
                str(rng.randint(1, 10**9)), "1"]
    out["s251"] = Loader("s251", h, r, ["TotalExpenditure"], "CYPServiceDescription",
                         agg_s251, _frames(lambda p, log: s251.read_outturn(p, 2014, log=log)),
                         row_read=lambda row: "Residential" not in row[3])
    h, r = _table(F.csv_text(
        ["Upper Tier Local Authority District code (2019)",
         "Upper Tier Local Authority District name (2019)", "IMD - Rank of average rank",
         "IMD - Average score", "IMD - Rank of average score"],
        [["E08000025", "Birmingham", "3", "38.1", "7"], ["E06000031", "Peterborough", "60",
                                                         "27.0", "50"]]))
    reg = Register()
    reg.add([330, 873], ["E08000025", "E06000031"])

    def agg_imd(rng):
        return ["", "England", str(rng.randint(1, 150)), "1", ""]
    out["imd"] = Loader("imd", h, r, h[2:], "IMD - Average score", agg_imd,
                        lambda p, log: imd.read_imd19(p, reg, log=log), key=("la_code",),
                        values=("imd_rank", "imd_score", "imd_rank_average_rank"))
    ks2 = ["t_read_eligible_pupils", "t_read_met_expected_standard",
           "t_writta_eligible_pupils", "t_writta_met_expected_standard",
           "t_mat_eligible_pupils", "t_mat_met_expected_standard", "t_rwm_eligible_pupils",
           "t_rwm_met_expected_standard", "t_gps_eligible_pupils", "t_gps_met_expected_standard"]
    rows = []
    for g in ("CINO at 31 March", "CLA 12 months at 31 March"):
        rows += F.ees_rows("201718", {330: [g, "Revised", "120", "60", "120", "70", "120", "65",
                                            "120", "40", "120", "75"],
                                      873: [g, "Revised", "30", "12", "30", "15", "30", "14",
                                            "30", "9", "30", "18"]})
    h, r = _table(F.csv_text(F.EES_HEAD + ["social_care_group", "version"] + ks2, rows))
    out["outcomes_ks2"] = Loader("outcomes_ks2", h, r, ks2, "t_read_eligible_pupils",
                                 _ees_agg(h),
                                 _frames(lambda p, log: outcomes.read_wide(p, "ks2", log=log)))
    labels = [("Health assessments: Children looked after all ages", "Total all ages"),
              ("Health assessments: Children looked after all ages",
               "Had their annual health assessment"),
              ("Health assessments: Children looked after all ages",
               "Had their immunisations up to date"),
              ("Health assessments: Children looked after all ages",
               "Had their teeth checked by a dentist"),
              ("Substance misuse: Children looked after all ages", "Total all ages"),
              ("Substance misuse: Children looked after all ages",
               "Identified as having a substance misuse problem"),
              ("Substance misuse: Children looked after all ages",
               "Received an intervention for their substance misuse problem"),
              ("Ages 5 to 16 years with SDQ score", "SDQ score was received"),
              ("Ages 5 to 16 years with SDQ score", "SDQ score is a cause for concern"),
              ("Ages 5 to 16 years with SDQ score", "SDQ average score"),
              ("Convictions: Children looked after Ages 10 to 17 years",
               "Total ages 10 to 17 years"),
              ("Convictions: Children looked after Ages 10 to 17 years",
               "Convicted or subject to youth cautions, or youth conditional cautions during "
               "the year")]
    nums = {330: ["400", "360", "350", "330", "400", "40", "30", "300", "120", "14.2", "150",
                  "12"],
            873: ["90", "80", "85", "70", "90", "9", "6", "70", "20", "13.5", "35", "6"]}
    rows = []
    for k, (g, c) in enumerate(labels):
        rows += F.ees_rows(2018, {code: [g, c, v[k], "1"] for code, v in nums.items()})
    h, r = _table(F.csv_text(F.EES_HEAD + ["cla_group", "characteristic", "number",
                                            "percentage"], rows))
    out["outcomes_oc2"] = Loader("outcomes_oc2", h, r, ["number"], "characteristic",
                                 _ees_agg(h),
                                 _frames(lambda p, log: outcomes.read_long(p, "oc2", log=log)))
    return out


def _sfr_agg(header, national_code="999", levels=("NATIONAL", "REGION")):
    """An aggregate row of an SFR CLA table (the level and code columns found by name)."""
    def make(rng):
        row = [str(rng.randint(10, 99999)) for _ in header]
        lev = rng.choice(levels)
        row[header.index("geog_l")] = lev
        row[header.index("geog_c")] = national_code if lev == levels[0] else "F"
        row[header.index("geog_n")] = "ENGLAND" if lev == levels[0] else "WEST MIDLANDS"
        if "New_geog_code" in header:
            row[header.index("New_geog_code")] = "E92000001" if lev == levels[0] else "E12000005"
        return row
    return make


def _ees_label_agg(header, labels):
    def make(rng):
        row = _ees_agg(header)(rng)
        row[10] = rng.choice(labels)
        return row
    return make


def _cla_loaders(out: dict[str, Loader]) -> None:
    """The SFR and EES CLA tables and the two populations read from them."""
    for kind, col, body in (("march", "MarTotal_2010",
                             {330: ["1900", "265000", "40"], 201: ["5", "1500", "0"],
                              873: ["340", "44500", "10"]}),
                            ("started", "StartTotal_2010",
                             {330: ["900", "60"], 201: ["3", "1"], 873: ["150", "20"]})):
        h, r = _table(F.sfr27_text(kind, body, aggregates=False))
        out[f"cla_sfr27_{kind}"] = Loader(
            f"cla_sfr27_{kind}", h, r, [col], col,
            _sfr_agg(h, "921", ("National", "GOR")),
            _frames(lambda p, log, kind=kind: cla.read_sfr27(p, kind, log=log)))
        if kind == "march":
            out["pop_sfr27"] = Loader(
                "pop_sfr27", h, r, ["Mid2009Pop0-17"], "Mid2009Pop0-17",
                _sfr_agg(h, "921", ("National", "GOR")),
                _frames(lambda p, log: population.read_sfr27_population(p, log=log)))
    h, r = _table(F.adm_text(2013, {330: ["700"], 201: ["4"], 873: ["120"]}))
    r = [row for row in r if row[1] == "LA"]
    out["cla_sfr_adm"] = Loader("cla_sfr_adm", h, r, ["CLA_started2013"], "CLA_started2013",
                                _sfr_agg(h),
                                _frames(lambda p, log: cla.read_sfr_adm(p, 2013, log=log)))
    h, r = _table(F.missing_text({330: ["130"], 201: ["1"], 873: ["25"]}))
    r = [row for row in r if row[1] == "LA"]
    during = pd.DataFrame({"la_code": [330, 201, 873], "n": [2600.0, 20.0, 500.0],
                           "reason": [None, None, None]})
    out["cla_sfr_missing"] = Loader(
        "cla_sfr_missing", h, r, ["CLA_MissDuringYear"], "CLA_MissDuringYear", _sfr_agg(h),
        _frames(lambda p, log: cla.read_sfr_missing(p, 2015, during, log=log)))
    labels = list(F.CLA_NUMBER_LABELS.values())
    body = {330: {"at31": ["270000", "2000", "74"], "starting": ["270000", "800", "30"],
                  "ceasing": ["270000", "700", "26"]},
            201: {"at31": ["1500", "5", "33"], "starting": ["1500", "2", "13"],
                  "ceasing": ["1500", "1", "7"]},
            873: {"at31": ["45000", "350", "78"], "starting": ["45000", "120", "27"],
                  "ceasing": ["45000", "110", "24"]}}
    h, r = _table(F.cla_number_text(2019, body, national=False))
    r += _table(F.cla_number_text(2020, {c: {k: [str(int(float(x)) + 7) for x in v]
                                             for k, v in m.items()}
                                         for c, m in body.items()}, national=False))[1]
    out["cla_ees_number"] = Loader(
        "cla_ees_number", h, r, ["number"], "number", _ees_label_agg(h, labels),
        _frames(lambda p, log: cla.read_ees_number(p, log=log)),
        row_read=lambda row: "ceasing" not in row[10])
    out["pop_cla_ees"] = Loader(
        "pop_cla_ees", h, r, ["population_estimate"], "population_estimate",
        _ees_label_agg(h, labels),
        _frames(lambda p, log: population.read_cla_population(p, log=log)),
        row_read=lambda row: "31 March" in row[10])
    labels = list(F.CLA_MISSING_LABELS.values())
    body = {330: {"missing": "150", "during": "3000", "at31": "5"},
            201: {"missing": "1", "during": "20", "at31": "0"},
            873: {"missing": "40", "during": "500", "at31": "2"}}
    h, r = _table(F.cla_missing_text(2019, body, national=False))
    r += _table(F.cla_missing_text(2020, {c: {k: str(int(v) + 3) for k, v in m.items()}
                                          for c, m in body.items()}, national=False))[1]
    out["cla_ees_missing"] = Loader(
        "cla_ees_missing", h, r, ["number"], "number", _ees_label_agg(h, labels),
        _frames(lambda p, log: cla.read_ees_missing(p, log=log)),
        row_read=lambda row: "31 March" not in row[10])


LOADERS = _loaders()


def _text(loader: Loader, header=None, rows=None) -> str:
    return F.csv_text(header or loader.header, loader.rows if rows is None else rows)


def _read(loader: Loader, path: Path):
    log = IssueLog()
    return loader.read(path, log), log


def _canon(loader: Loader, df: pd.DataFrame) -> pd.DataFrame:
    cols = list(loader.key) + list(loader.values)
    out = df[cols].copy()
    for c in loader.values:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    return out.sort_values(list(loader.key)).reset_index(drop=True)


def _baseline(loader: Loader, tmp: Path) -> pd.DataFrame:
    p = tmp / "base.csv"
    p.write_text(_text(loader))
    df, _log = _read(loader, p)
    return _canon(loader, df)


def _same(loader, got: pd.DataFrame, base: pd.DataFrame):
    pd.testing.assert_frame_equal(_canon(loader, got), base, check_dtype=False)


def _error_names_file(exc: RawDataError, name: str):
    assert name in str(exc), str(exc)
    assert exc.file.endswith(name)


def _rng(data) -> random.Random:
    return random.Random(data.draw(st.integers(0, 2**32 - 1), label="seed"))


@pytest.fixture
def tmp(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@pytest.mark.parametrize("name", sorted(LOADERS))
@FUZZ
@given(data=st.data())
def test_suppression_codes_anywhere(name, data, tmp):
    ld = LOADERS[name]
    base = _baseline(ld, tmp)
    rng = _rng(data)
    rows = [list(r) for r in ld.rows]
    cells = [(i, ld.header.index(c)) for i in range(len(rows)) for c in ld.value_cols
             if ld.row_read(rows[i])]
    hit = rng.sample(cells, rng.randint(1, len(cells)))
    for i, j in hit:
        rows[i][j] = rng.choice(CODES)
    p = tmp / "codes.csv"
    p.write_text(_text(ld, rows=rows))
    got, _log = _read(ld, p)
    g = _canon(ld, got)
    assert len(g) == len(base)  # nothing dropped
    m = g.merge(base, on=list(ld.key), suffixes=("", "_b"))
    n_nan = 0
    for c in ld.values:
        a, b = m[c].to_numpy(), m[f"{c}_b"].to_numpy()
        changed = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        assert np.isnan(a[changed]).all(), f"{c}: a suppressed cell became a number"
        n_nan += int(np.isnan(a).sum() - np.isnan(b).sum())
    assert n_nan > 0, "suppressed cells left no missing value"
    if "reason" in got.columns:
        num = pd.to_numeric(got["numerator"], errors="coerce")
        assert got.loc[num.isna(), "reason"].map(lambda x: isinstance(x, str) and x != "").all()


@pytest.mark.parametrize("name", sorted(LOADERS))
@FUZZ
@given(data=st.data())
def test_shuffled_columns(name, data, tmp):
    ld = LOADERS[name]
    base = _baseline(ld, tmp)
    rng = _rng(data)
    order = list(range(len(ld.header)))
    rng.shuffle(order)
    rows = [[r[j] for j in order] for r in ld.rows]
    rng.shuffle(rows)
    case = [rng.choice([str.upper, str.lower, str.title, str]) for _ in order]
    header = [case[k](ld.header[j]) for k, j in enumerate(order)]
    p = tmp / "shuffled.csv"
    p.write_text(_text(ld, header, rows))
    got, _log = _read(ld, p)
    _same(ld, got, base)


@pytest.mark.parametrize("name", sorted(LOADERS))
@FUZZ
@given(data=st.data())
def test_renamed_column(name, data, tmp):
    ld = LOADERS[name]
    rng = _rng(data)
    new = rng.choice(["value", ld.required + "_2", ld.required[::-1], "x" + ld.required])
    header = [new if h == ld.required else h for h in ld.header]
    p = tmp / "renamed.csv"
    p.write_text(_text(ld, header))
    with pytest.raises(RawDataError) as e:
        _read(ld, p)
    _error_names_file(e.value, "renamed.csv")
    assert "not found" in str(e.value) or "no budget line" in str(e.value)


@pytest.mark.parametrize("name", sorted(LOADERS))
@FUZZ
@given(data=st.data())
def test_aggregate_rows_anywhere(name, data, tmp):
    ld = LOADERS[name]
    base = _baseline(ld, tmp)
    rng = _rng(data)
    rows = [list(r) for r in ld.rows]
    n = rng.randint(1, 4)
    for _ in range(n):
        rows.insert(rng.randint(0, len(rows)), ld.aggregate(rng))
    p = tmp / "agg.csv"
    p.write_text(_text(ld, rows=rows))
    got, log = _read(ld, p)
    _same(ld, got, base)
    f = log.frame()
    counted = f[f["kind"].isin(["aggregate_rows", "excluded"])]
    assert len(counted), "aggregate rows skipped without a word"


@pytest.mark.parametrize("name", sorted(LOADERS))
@FUZZ
@given(data=st.data())
def test_encodings_and_bom(name, data, tmp):
    ld = LOADERS[name]
    base = _baseline(ld, tmp)
    enc = data.draw(st.sampled_from(["utf-8-sig", "cp1252", "utf-16", "utf-16-le"]),
                    label="enc")
    p = tmp / "enc.csv"
    p.write_bytes(_text(ld).encode(enc))
    got, _log = _read(ld, p)
    _same(ld, got, base)


def _with_commas(v: str, rng: random.Random) -> str:
    try:
        x = float(v)
    except ValueError:
        return v
    if "." in v:
        whole, frac = v.split(".")
        s = f"{int(whole):,}.{frac}"
    else:
        s = f"{int(x):,}" if x == int(x) else v
    return rng.choice(["", " ", "\u00a0"]) + s + rng.choice(["", " "])


@pytest.mark.parametrize("name", sorted(LOADERS))
@FUZZ
@given(data=st.data())
def test_numbers_as_text(name, data, tmp):
    ld = LOADERS[name]
    base = _baseline(ld, tmp)
    rng = _rng(data)
    rows = [list(r) for r in ld.rows]
    for r in rows:
        for c in ld.value_cols:
            j = ld.header.index(c)
            r[j] = _with_commas(r[j], rng)
    p = tmp / "commas.csv"
    p.write_text(_text(ld, rows=rows))
    got, _log = _read(ld, p)
    _same(ld, got, base)


@pytest.mark.parametrize("name", sorted(LOADERS))
@FUZZ
@given(data=st.data())
def test_truncated_file(name, data, tmp):
    ld = LOADERS[name]
    base = _baseline(ld, tmp)
    raw = _text(ld).encode()
    cut = data.draw(st.integers(1, len(raw) - 1), label="cut")
    p = tmp / "cut.csv"
    p.write_bytes(raw[:cut])
    try:
        got, log = _read(ld, p)
    except RawDataError as exc:
        _error_names_file(exc, "cut.csv")
        return
    g = _canon(ld, got)
    m = g.merge(base, on=list(ld.key), how="left", suffixes=("", "_b"), indicator=True)
    assert (m["_merge"] == "both").all(), "rows not in the file appeared"
    text = raw[:cut].decode(errors="replace")
    if not text.endswith("\n"):
        f = log.frame()
        assert (f["kind"] == "malformed_row").any(), "a cut row read without a word"
        last = int(f[f["kind"] == "malformed_row"]["row"].max())
        assert last >= 1
    else:
        for c in ld.values:
            a, b = m[c].to_numpy(), m[f"{c}_b"].to_numpy()
            assert ((a == b) | np.isnan(a)).all()


@pytest.mark.parametrize("name", sorted(LOADERS))
@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(name, content, tmp):
    ld = LOADERS[name]
    p = tmp / "empty.csv"
    p.write_bytes(content)
    with pytest.raises(RawDataError, match="empty file") as e:
        _read(ld, p)
    _error_names_file(e.value, "empty.csv")


@pytest.mark.parametrize("name", sorted(LOADERS))
@FUZZ
@given(data=st.data())
def test_unknown_value(name, data, tmp):
    ld = LOADERS[name]
    rng = _rng(data)
    rows = [list(r) for r in ld.rows]
    i = rng.choice([k for k in range(len(rows)) if ld.row_read(rows[k])])
    col = rng.choice(ld.value_cols)
    junk = data.draw(st.sampled_from(["abc", "12a", "1.2.3", "??", "1,23", "--", "n.a.",
                                      "twelve"]), label="junk")
    rows[i][ld.header.index(col)] = junk
    p = tmp / "junk.csv"
    p.write_text(_text(ld, rows=rows))
    with pytest.raises(RawDataError) as e:
        _read(ld, p)
    msg = str(e.value)
    _error_names_file(e.value, "junk.csv")
    assert f"column {col!r}" in msg and "row " in msg and repr(junk) in msg


# ---- LAIT (parquet) ----------------------------------------------------------------------

LAIT_ROWS = [["ReReferral", "d", "2016", "Birmingham", "25.5", 330, "WM"],
             ["ReReferral", "d", "2016", "Peterborough", "19", 873, "E"],
             ["CIN", "d", "2016", "Birmingham", "400.1", 330, "WM"],
             ["SafeguardingFinance", "d", "2016-17 (OT)", "Birmingham", "64474817", 330, "WM"],
             ["TotalLACFinance", "d", "2016-17 (OT)", "Birmingham", "100362835", 330, "WM"]]


def _lait(path: Path):
    log = IssueLog()
    return lait.read_snapshot(path, log=log), log


def _lait_canon(df):
    return (df[["la_code", "year", "indicator", "numerator", "denominator"]]
            .sort_values(["la_code", "year", "indicator"]).reset_index(drop=True))


@FUZZ
@given(data=st.data())
def test_lait_damage(data, tmp):
    rng = _rng(data)
    base_p = tmp / "base.parquet"
    F.lait_frame(LAIT_ROWS).to_parquet(base_p, index=False)
    base = _lait_canon(_lait(base_p)[0])
    case = data.draw(st.sampled_from(["codes", "shuffled", "renamed", "aggregate", "commas",
                                      "truncated", "empty", "junk"]), label="case")
    rows = [list(r) for r in LAIT_ROWS]
    df = F.lait_frame(rows)
    p = tmp / "damaged.parquet"
    if case == "codes":
        i = rng.randrange(len(rows))
        df.loc[i, "Values"] = rng.choice(CODES)
        df.to_parquet(p, index=False)
        got = _lait_canon(_lait(p)[0])
        m = got.merge(base, on=["la_code", "year", "indicator"], suffixes=("", "_b"))
        assert len(got) == len(base)
        diff = ~((m["numerator"] == m["numerator_b"])
                 | (m["numerator"].isna() & m["numerator_b"].isna()))
        assert m.loc[diff, "numerator"].isna().all()
    elif case == "shuffled":
        cols = list(df.columns)
        rng.shuffle(cols)
        df[cols].sample(frac=1, random_state=rng.randint(0, 999)).to_parquet(p, index=False)
        pd.testing.assert_frame_equal(_lait_canon(_lait(p)[0]), base)
    elif case == "renamed":
        df.rename(columns={"Values": "Value"}).to_parquet(p, index=False)
        with pytest.raises(RawDataError, match="column 'Values' not found") as e:
            _lait(p)
        _error_names_file(e.value, "damaged.parquet")
    elif case == "aggregate":
        extra = F.lait_frame([["ReReferral", "d", "2016", "England", "22", rng.randint(970, 990),
                               "NA"]])
        pd.concat([df, extra]).to_parquet(p, index=False)
        got, log = _lait(p)
        pd.testing.assert_frame_equal(_lait_canon(got), base)
        assert log.kinds().get("aggregate_rows") == 1
    elif case == "commas":
        df["Values"] = [f"{float(v):,}" for v in df["Values"]]
        df.to_parquet(p, index=False)
        pd.testing.assert_frame_equal(_lait_canon(_lait(p)[0]), base)
    elif case == "truncated":
        raw = base_p.read_bytes()
        p.write_bytes(raw[:rng.randint(1, len(raw) - 1)])
        with pytest.raises(RawDataError) as e:
            _lait(p)
        _error_names_file(e.value, "damaged.parquet")
    elif case == "empty":
        p.write_bytes(b"")
        with pytest.raises(RawDataError, match="empty file"):
            _lait(p)
    else:
        df.loc[rng.randrange(len(rows)), "Values"] = "abc"
        df.to_parquet(p, index=False)
        with pytest.raises(RawDataError, match=r"damaged\.parquet, row \d+, column 'Values'"):
            _lait(p)


# ---- the Ofsted tables -------------------------------------------------------------------

@FUZZ
@given(data=st.data())
def test_ofsted_tables_damage(data, tmp):
    rng = _rng(data)
    which = data.draw(st.sampled_from(["sif", "ilacs"]), label="table")
    root = tmp / "o"
    path = F.write_sif(root) if which == "sif" else F.write_ilacs(root)
    header, rows = _table(path.read_text())
    reg = Register()
    reg.add([330, 873], ["E08000025", "E06000031"])

    def read(p):
        log = IssueLog()
        if which == "sif":
            return ofsted.read_sif(p, log=log), log
        return ofsted.read_ilacs(p, reg, log=log), log

    base, _ = read(path)
    case = data.draw(st.sampled_from(["grades", "shuffled", "renamed", "encoding", "empty",
                                      "truncated"]), label="case")
    p = tmp / "t.csv"
    if case == "grades":
        cols = [j for j, h in enumerate(header) if h in ("overall_effectiveness",
                                                          "Overall effectiveness")]
        i = rng.randrange(len(rows))
        rows[i][cols[0]] = rng.choice(["x", "c", "Excellent", "n/a"])
        p.write_text(F.csv_text(header, rows))
        got, log = read(p)
        assert len(got) == len(base)
        assert (log.frame()["detail"].str.contains("not in the allowed set")).any()
    elif case == "shuffled":
        order = list(range(len(header)))
        rng.shuffle(order)
        p.write_text(F.csv_text([header[j] for j in order], [[r[j] for j in order]
                                                             for r in rows]))
        got, _ = read(p)
        cols = ["la_code", "overall"]
        pd.testing.assert_frame_equal(got[cols].reset_index(drop=True),
                                      base[cols].reset_index(drop=True))
    elif case == "renamed":
        header[header.index("la_code" if which == "sif" else "Inspection date")] = "renamed"
        p.write_text(F.csv_text(header, rows))
        with pytest.raises(RawDataError, match="not found"):
            read(p)
    elif case == "encoding":
        p.write_bytes(F.csv_text(header, rows).encode(rng.choice(["utf-16", "cp1252",
                                                                   "utf-8-sig"])))
        got, _ = read(p)
        assert got["la_code"].tolist() == base["la_code"].tolist()
    elif case == "empty":
        p.write_bytes(b"")
        with pytest.raises(RawDataError, match="empty file"):
            read(p)
    else:
        raw = F.csv_text(header, rows).encode()
        p.write_bytes(raw[:rng.randint(1, len(raw) - 1)])
        try:
            got, log = read(p)
        except RawDataError as exc:
            _error_names_file(exc, "t.csv")
            return
        assert len(got) <= len(base)
        if not p.read_bytes().endswith(b"\n"):
            assert (log.frame()["kind"] == "malformed_row").any()


def test_catalogue_is_covered():
    """Every case of the catalogue has a test here."""
    names = {n for n in globals() if n.startswith("test_")}
    wanted = {"suppression codes": "test_suppression_codes_anywhere",
              "shuffled columns": "test_shuffled_columns",
              "renamed column": "test_renamed_column",
              "aggregate rows": "test_aggregate_rows_anywhere",
              "encodings and BOM": "test_encodings_and_bom",
              "numbers as text": "test_numbers_as_text",
              "truncated file": "test_truncated_file", "empty file": "test_empty_file",
              "unknown value": "test_unknown_value"}
    assert set(wanted) == set(CASES)
    assert set(wanted.values()) <= names
