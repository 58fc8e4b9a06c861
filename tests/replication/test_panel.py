"""The panel schema: validation, the wide view, exclusions, parquet input and output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replication.data import INDICATORS, UNITS, Panel, PanelError, load_panel, make_panel
from replication.data.panel import (
    EXCLUSION_COLUMNS,
    JUDGEMENTS,
    LONG_COLUMNS,
    LONG_DTYPES,
    las_sidecar,
)


def _long(rows) -> pd.DataFrame:
    """rows: (la_code, year, indicator, numerator, denominator, unit)."""
    df = pd.DataFrame(rows, columns=list(LONG_COLUMNS[:-1]))
    df["source"] = "test"
    return df


BASIC = [
    (202, 2015, "referrals", 500.0, 10000.0, "rate_per_10000"),
    (202, 2016, "referrals", 600.0, 12000.0, "rate_per_10000"),
    (202, 2015, "re_referrals", 100.0, 500.0, "percentage"),
    (202, 2015, "child_population", 10000.0, np.nan, "count"),
    (202, 2015, "spend_per_child", 8.0e6, 10000.0, "gbp_per_child"),
    (305, 2015, "referrals", 30.0, 0.0, "rate_per_10000"),
    (305, 2015, "caseload", 17.5, np.nan, "score"),
]


def test_long_has_exactly_the_schema_columns_and_dtypes():
    p = Panel(_long(BASIC))
    assert tuple(p.long.columns) == LONG_COLUMNS
    assert {c: str(t) for c, t in p.long.dtypes.items()} == LONG_DTYPES
    assert all(isinstance(v, str) for v in p.long["indicator"])


def test_lossless_dtype_repairs_are_made():
    df = _long(BASIC)
    df["la_code"] = df["la_code"].astype("int32")
    df["year"] = df["year"].astype(float)
    df["numerator"] = df["numerator"].astype(object)
    p = Panel(df)
    assert p.long["la_code"].dtype == np.int64 and p.long["year"].dtype == np.int64
    assert p.long["numerator"].dtype == np.float64


def test_columns_must_be_exactly_the_schema():
    df = _long(BASIC).drop(columns="source")
    with pytest.raises(PanelError, match=r"missing \['source'\]"):
        Panel(df)
    df = _long(BASIC).assign(extra=1)
    with pytest.raises(PanelError, match=r"unexpected \['extra'\]"):
        Panel(df)


def test_bad_la_code_names_the_la_year_and_column():
    rows = [*BASIC, (150, 2017, "referrals", 1.0, 10.0, "rate_per_10000")]
    with pytest.raises(PanelError) as err:
        Panel(_long(rows))
    msg = str(err.value)
    assert "'la_code'" in msg and "la_code 150" in msg and "year 2017" in msg
    rows = [*BASIC, (940, 2017, "referrals", 1.0, 10.0, "rate_per_10000")]
    with pytest.raises(PanelError, match="la_code 940"):
        Panel(_long(rows))


def test_duplicate_la_year_indicator_is_an_error():
    rows = [*BASIC, (202, 2016, "referrals", 601.0, 12000.0, "rate_per_10000")]
    with pytest.raises(PanelError, match=r"duplicate.*la_code 202, year 2016, "
                                         r"indicator 'referrals'"):
        Panel(_long(rows))


@pytest.mark.parametrize(
    "row, column, what",
    [
        ((202, 2017, "referrals", "many", 10.0, "rate_per_10000"), "numerator", "not a number"),
        ((202, 2017, "referrals", -1.0, 10.0, "rate_per_10000"), "numerator", "negative"),
        ((202, 2017, "referrals", np.inf, 10.0, "rate_per_10000"), "numerator", "infinite"),
        ((202, 2017, "caseload", 5.0, 3.0, "score"), "denominator", "must be NaN"),
        ((202, 2017, "referrals", 5.0, -3.0, "rate_per_10000"), "denominator", "negative"),
        ((202, 2017, "re_referrals", 50.0, 40.0, "percentage"), "numerator", "exceeds"),
        ((202, 2017, "my_new_thing", 5.0, 3.0, "per_fortnight"), "unit", "unknown unit"),
        ((202, 2017, "cla_rate", 5.0, np.nan, "count"), "unit", "must have unit"),
        ((202, 2017.5, "referrals", 5.0, 3.0, "rate_per_10000"), "year", "not an integer"),
        ((202, 1850, "referrals", 5.0, 3.0, "rate_per_10000"), "year", "outside"),
        ((202, 2017, "", 5.0, 3.0, "rate_per_10000"), "indicator", "string"),
    ],
)
def test_bad_values_raise_naming_the_la_year_and_column(row, column, what):
    with pytest.raises(PanelError) as err:
        Panel(_long([*BASIC, row]))
    msg = str(err.value)
    assert f"'{column}'" in msg and what in msg
    if column not in ("year",):
        assert "la_code 202" in msg and "year 2017" in msg


def test_an_indicator_with_two_units_is_an_error():
    rows = [*BASIC, (305, 2016, "my_thing", 1.0, np.nan, "count"),
            (305, 2017, "my_thing", 1.0, 2.0, "ratio")]
    with pytest.raises(PanelError, match="my_thing.*more than one unit"):
        Panel(_long(rows))


def test_wide_values_apply_each_units_scale():
    w = Panel(_long(BASIC)).wide()
    assert list(w.columns[:2]) == ["la_code", "year"]
    a = w.set_index(["la_code", "year"])
    assert a.loc[(202, 2015), "referrals"] == pytest.approx(500 / 10000 * 10000)
    assert a.loc[(202, 2016), "referrals"] == pytest.approx(600 / 12000 * 10000)
    assert a.loc[(202, 2015), "re_referrals"] == pytest.approx(20.0)
    assert a.loc[(202, 2015), "child_population"] == 10000.0
    assert a.loc[(202, 2015), "spend_per_child"] == pytest.approx(800.0)
    assert a.loc[(305, 2015), "caseload"] == 17.5
    assert np.isnan(a.loc[(305, 2015), "referrals"])       # zero denominator
    assert np.isnan(a.loc[(202, 2016), "re_referrals"])    # absent entry
    assert len(w) == 3


def test_wide_restricts_to_indicators_and_years():
    p = Panel(_long(BASIC))
    w = p.wide(indicators=["re_referrals", "referrals"], years=[2015])
    assert list(w.columns) == ["la_code", "year", "re_referrals", "referrals"]
    assert set(w["year"]) == {2015}
    one = p.wide("caseload", 2015)     # every LA-year of the panel, NaN where absent
    assert list(one["la_code"]) == [202, 305] and np.isnan(one.loc[0, "caseload"])
    with pytest.raises(KeyError, match="cla_rate"):
        p.wide(indicators=["cla_rate"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)), min_size=1,
                max_size=15),
       st.sampled_from(["rate_per_10000", "percentage", "gbp_per_child"]))
def test_wide_value_is_numerator_over_denominator_times_scale(pairs, unit):
    name = {"rate_per_10000": "referrals", "percentage": "re_referrals",
            "gbp_per_child": "spend_cla"}[unit]
    rows = []
    for i, (a, b) in enumerate(pairs):
        num, den = (min(a, b), max(a, b)) if unit == "percentage" else (a, b)
        rows.append((202 + i, 2015, name, float(num), float(den), unit))
    w = Panel(_long(rows)).wide()
    for i, row in enumerate(rows):
        num, den = row[3], row[4]
        want = num / den * UNITS[unit] if den > 0 else np.nan
        np.testing.assert_allclose(w.loc[i, name], want, rtol=1e-15, equal_nan=True)


def test_city_of_london_and_scilly_are_excluded_and_reported():
    rows = [*BASIC, (201, 2015, "referrals", 3.0, 900.0, "rate_per_10000"),
            (420, 2015, "referrals", 2.0, 300.0, "rate_per_10000")]
    p = Panel(_long(rows))
    assert set(p.long["la_code"]) == {202, 305}
    assert set(p.las["la_code"]) == {202, 305}
    assert tuple(p.exclusions.columns) == EXCLUSION_COLUMNS
    assert list(p.exclusions["la_code"]) == [201, 420]
    assert p.exclusions["year"].isna().all() and p.exclusions["indicator"].isna().all()
    assert p.exclusions["reason"].str.contains("City of London").iloc[0]
    kept = Panel(_long(rows), exclude=())
    assert {201, 420} <= set(kept.long["la_code"]) and kept.exclusions.empty
    other = Panel(_long(rows), exclude=(201, 420, 305))
    assert set(other.long["la_code"]) == {202} and len(other.exclusions) == 3


def test_nothing_is_reported_when_nothing_is_excluded():
    assert Panel(_long(BASIC)).exclusions.empty


def test_las_is_checked_against_long():
    long = _long(BASIC)
    las = pd.DataFrame({"la_code": [202, 305], "name": ["A", "B"],
                        "judgement": ["inadequate", "outstanding_good"],
                        "inadequate_2012_13": [True, False]})
    p = Panel(long, las)
    assert p.las["judgement"].cat.ordered
    assert list(p.las["judgement"].cat.categories) == list(JUDGEMENTS)
    assert p.las["judgement"].cat.codes.tolist() == [2, 0]
    assert p.las["inadequate_2012_13"].dtype == bool
    with pytest.raises(PanelError, match="la_code 305 is in the long table"):
        Panel(long, las.iloc[:1])
    bad = las.assign(judgement=["inadequate", "good"])
    with pytest.raises(PanelError, match=r"'judgement'.*la_code 305.*'good'"):
        Panel(long, bad)
    with pytest.raises(PanelError, match="duplicate LA"):
        Panel(long, pd.concat([las, las.iloc[:1]]))
    with pytest.raises(PanelError, match="'deprivation_tertile'.*la_code 202"):
        Panel(long, las.assign(deprivation_tertile=[4, 1]))


def test_indicator_table_describes_the_units():
    ind = Panel(_long(BASIC)).indicators
    assert list(ind.columns[:4]) == ["indicator", "unit", "definition", "scale"]
    row = ind.set_index("indicator").loc["re_referrals"]
    assert row["unit"] == "percentage" and row["scale"] == 100
    assert row["definition"] == INDICATORS["re_referrals"].definition
    assert np.isnan(ind.set_index("indicator").loc["caseload", "scale"])


def test_parquet_round_trip(tmp_path):
    p = make_panel(seed=5, n_la=12, years=range(2012, 2016), missing=0.05)
    path, side = p.to_parquet(tmp_path / "panel.parquet")
    assert side == las_sidecar(path) == tmp_path / "panel.las.parquet"
    q = load_panel(path)
    pd.testing.assert_frame_equal(p.long, q.long, check_exact=True)
    pd.testing.assert_frame_equal(p.las, q.las, check_exact=True)
    pd.testing.assert_frame_equal(p.exclusions, q.exclusions)
    pd.testing.assert_frame_equal(p.indicators, q.indicators)
    assert q.label == p.label + ", read from panel.parquet: no planted truth to compare"
    assert q.truth is None
    pd.testing.assert_frame_equal(p.wide(), q.wide(), check_exact=True)


def test_loading_a_long_file_without_sidecar(tmp_path):
    path = tmp_path / "plain.parquet"
    _long(BASIC).to_parquet(path, index=False)
    q = load_panel(str(path))
    assert list(q.las.columns) == ["la_code"] and list(q.las["la_code"]) == [202, 305]
    assert "plain.parquet" in q.label


def test_loading_bad_files_gives_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.parquet"):
        load_panel(tmp_path / "nowhere.parquet")
    bad = tmp_path / "bad.parquet"
    _long([*BASIC, (999, 2015, "referrals", 1.0, 1.0, "rate_per_10000")]).to_parquet(bad)
    with pytest.raises(PanelError, match=r"bad.parquet.*la_code 999"):
        load_panel(bad)
    txt = tmp_path / "text.parquet"
    txt.write_text("not parquet")
    with pytest.raises(PanelError, match="not a readable parquet"):
        load_panel(txt)
    with pytest.raises(TypeError, match="unexpected options"):
        load_panel(bad, seed=3, n_la=4)


def test_load_panel_synthetic_is_make_panel():
    a = load_panel("synthetic", seed=2, n_la=10, years=[2012, 2013])
    b = make_panel(seed=2, n_la=10, years=[2012, 2013])
    pd.testing.assert_frame_equal(a.long, b.long, check_exact=True)
    assert a.label == "synthetic (seed 2)"


def test_the_build_log_beside_a_panel_file_is_read_with_it(tmp_path):
    p = make_panel(seed=1, n_la=20)
    path, _ = p.to_parquet(tmp_path / "panel.parquet")
    assert load_panel(path).build_issues is None  # no log beside it: none, and the report says so
    log = pd.DataFrame({"kind": ["conflict", "repair"], "source": ["a.csv", "b.csv"],
                        "la_code": [305, 306], "year": [2014, 2015], "detail": ["x", "y"]})
    log.to_csv(tmp_path / "panel.report.csv", index=False)
    got = load_panel(path).build_issues
    assert got["kind"].tolist() == ["conflict", "repair"] and got["la_code"].tolist() == [305, 306]
    (tmp_path / "panel.report.csv").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PanelError, match="panel.report.csv: the build report beside the panel"):
        load_panel(path)
