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
shuffled columns       the columns in random order                           the baseline
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

from replication.data import cin, cla, imd, lait, ofsted, population, s251, workforce
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
    return out


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
    p = tmp / "shuffled.csv"
    p.write_text(_text(ld, [ld.header[j] for j in order], rows))
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
    i = rng.randrange(len(rows))
    col = rng.choice(ld.value_cols)
    junk = data.draw(st.sampled_from(["abc", "12a", "1.2.3", "??", "1,23", "--", "n.a.",
                                      "twelve"]), label="junk")
    rows[i][ld.header.index(col)] = junk
    if name == "s251" and rows[i][3].startswith("6 "):
        rows[i][3] = "16 Total Children Looked After" if i == 0 else rows[i][3]
    p = tmp / "junk.csv"
    p.write_text(_text(ld, rows=rows))
    if name == "s251" and not any(k in rows[i][3].lower() for k in
                                  ("total", "budget")):
        return  # a line the builder does not read
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
