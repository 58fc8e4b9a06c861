"""The transcriptions of the published numbers: schema, counts per table, spot checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replication.published import records as rec_mod
from replication.published.records import (
    COLUMNS,
    QUANTITIES,
    STUDIES,
    citation,
    counts_by_location,
    load_published,
    make_records,
)
from replication.published.rounding import parse_printed, parse_words, value_range

# Records per (study, location), counted while transcribing.
EXPECTED_COUNTS = {
    ("hood2016", "Abstract"): 2,     # 152 LAs, 13 years
    ("hood2016", "Figure 2"): 6,     # values read off Figure 2 in the text (80, 50, 40, 22, 24, 26)
    ("hood2016", "Table 2"): 5,      # five elastic-net coefficients
    ("hood2016", "Table 3"): 78,     # 19 indicators x 4 columns + the two group sizes in the header
    ("hood2016", "Text"): 34,
    ("hood2021", "Abstract"): 1,
    ("hood2021", "Text"): 26,        # Tables 1-2 and Figures 1-4 are images in the source
    ("wilkins2018", "Abstract"): 1,
    ("wilkins2018", "Text"): 58,     # Tables 1-8 are images in the source
    ("wilkins2020", "Abstract"): 1,
    ("wilkins2020", "Figure 1"): 1,  # the caption's 47
    ("wilkins2020", "Table 1"): 6,   # 3 rows x (frequency, percent)
    ("wilkins2020", "Table 2"): 8,   # 4 rows x (frequency, percent)
    ("wilkins2020", "Table 4"): 16,  # 4 rows x 5 columns less the empty diagonal
    ("wilkins2020", "Table 5"): 23,  # full model (chi2, p) + 3 predictors x 7 columns
    ("wilkins2020", "Text"): 55,
}


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return load_published()


def _one(df: pd.DataFrame, study: str, rid: str) -> pd.Series:
    sub = df[(df["study"] == study) & (df["id"] == rid)]
    assert len(sub) == 1, f"{study}/{rid}: {len(sub)} records"
    return sub.iloc[0]


# --------------------------------------------------------------------------- schema


def test_columns_and_types(published):
    assert tuple(published.columns) == COLUMNS
    assert published["value"].dtype == np.float64
    assert published["decimals"].dtype == np.int64
    assert str(published["n"].dtype) == "Int64"
    assert set(published["study"]) == set(STUDIES)
    assert set(published["quantity"]) <= QUANTITIES
    assert not published.duplicated(["study", "id"]).any()


def test_counts_per_location(published):
    assert counts_by_location(published) == EXPECTED_COUNTS


def test_load_one_study_matches_the_whole(published):
    for study in STUDIES:
        one = load_published(study)
        assert set(one["study"]) == {study}
        pd.testing.assert_frame_equal(
            one.reset_index(drop=True),
            published[published["study"] == study].reset_index(drop=True))


def test_unknown_study_is_an_error():
    with pytest.raises(ValueError, match="study must be one of"):
        load_published("hood2099")


def test_value_and_decimals_follow_value_str(published):
    for row in published.itertuples():
        p = parse_printed(row.value_str)
        assert row.decimals == p.decimals, row.id
        if row.bound in ("<", ">"):
            assert math.isnan(row.value), row.id
            assert row.value_str.startswith(row.bound), row.id
        else:
            assert row.value == p.value, row.id


def test_every_group_links_at_least_two_records(published):
    """A group key used by one record only is a transcription slip (a misspelt key)."""
    for study in STUDIES:
        sub = published[published["study"] == study]
        keys = [g for cell in sub["group"] if cell for g in cell.split("|")]
        lonely = sorted(k for k in set(keys) if keys.count(k) < 2)
        assert not lonely, f"{study}: groups with one member: {lonely}"


def test_every_study_has_a_citation():
    for study in STUDIES:
        text = citation(study)
        assert study in text and "(20" in text


# --------------------------------------------------------------------------- spot checks


@pytest.mark.parametrize("study, rid, quantity, value_str, extra", [
    # wilkins2018: "levels of deprivation (Spearman's rho=-.245, p=.022)"
    ("wilkins2018", "rho_dep", "rho", "-.245", {"n": 87, "test": "spearman_tied"}),
    ("wilkins2018", "p_dep", "p", ".022", {}),
    # wilkins2018: "children in care with 'missing episodes' (Spearman's rho=.519, p<.001)"
    ("wilkins2018", "p_missing", "p", "<.001", {"bound": "<", "decimals": 3}),
    # wilkins2018: "for the 'inadequate category' (F(2,21)=4.83, p=.02)"
    ("wilkins2018", "anova_inad_f", "F", "4.83", {"df": "2,21", "n": 22}),
    # wilkins2018: "(beta=-1.06, Wald chi2(1)=6.06, p=.014)"
    ("wilkins2018", "mlr_dep_wald", "Wald", "6.06", {"df": "1"}),
    ("wilkins2018", "mlr_dep_b", "B", "-1.06", {}),
    # wilkins2018: "The figure for all 87 authorities was £854.60"
    ("wilkins2018", "spend_mean", "mean", "854.60", {"decimals": 2}),
    # wilkins2018: "just 2% were graded outstanding, 27% good, 56% requires improvement and 27.5% inadequate"
    ("wilkins2018", "in_inad", "percent", "27.5", {"n": 87}),
    # wilkins2020: "(t(45) = 2.26, p = .029)"
    ("wilkins2020", "t_spend_t", "t", "2.26", {"df": "45", "test": "t_pooled"}),
    # wilkins2020: "(M = 829.38, SD = 173.34 and M = 714.77, SD = 174.35, respectively)"
    ("wilkins2020", "t_spend_sd_high", "sd", "174.35", {"n": 23, "role": "b"}),
    # wilkins2020: "(chi2 = 18.815, df = 3, p < .001)" and Table 5 "18.518 (3)"
    ("wilkins2020", "mt_chi2", "chi2", "18.815", {"df": "3"}),
    ("wilkins2020", "t5_model_chi2", "chi2", "18.518", {"df": "3"}),
    # wilkins2020: "(B = .092, Exp b = 1.97, p = .047)"; Table 5 prints 1.097
    ("wilkins2020", "mt_dental_or", "OR", "1.97", {"decimals": 2}),
    ("wilkins2020", "t5_dental_or", "OR", "1.097", {"decimals": 3}),
    # wilkins2020 Table 5: "(1.097, 1.001)" printed as the interval for dental checks
    ("wilkins2020", "t5_dental_ci1", "ci_low", "1.097", {}),
    ("wilkins2020", "t5_dental_ci2", "ci_high", "1.001", {}),
    # wilkins2020 Table 4: "CP rate -.264 .618** .572** .714**" (no mark on -.264)
    ("wilkins2020", "t4_cp_ofsted", "rho", "-.264", {"mark": "none"}),
    ("wilkins2020", "t4_ref_cin", "rho", ".690", {"mark": "**"}),
    # wilkins2020: "deprivation rank (Spearman's rho= -.421, p=004)", read as .004
    ("wilkins2020", "p_dep", "p", ".004", {}),
    # hood2016: "showed a sensitivity of 68% ... and 94% specificity"
    ("hood2016", "or_sens", "sensitivity", "68", {}),
    ("hood2016", "or_spec", "specificity", "94", {}),
    # hood2016 Table 2: "Social worker agency worker rate 2012 0.076"
    ("hood2016", "t2_agency", "coef", "0.076", {"decimals": 3}),
    # hood2016 Table 3: "Rates of Initial Assessments -29.75 19 -54.2 27"
    ("hood2016", "t3_ia_a_med", "median", "-29.75", {"n": 16}),
    ("hood2016", "t3_ia_b_pct", "percent", "27", {"n": 12}),
    # hood2016 Table 3: "Spending on CP services 18 50 537 75"
    ("hood2016", "t3_spend_b_med", "median", "537", {}),
    # hood2016: "the equivalent figures were 58% for initial assessments (IQR 46-63%)"
    ("hood2016", "gb_ia10_q1", "q1", "46", {"n": 12}),
    # hood2021: "about 43% of all LAs (66 out of 152)"
    ("hood2021", "in_inad_pct", "percent", "43", {"bound": "~", "n": 152}),
    # hood2021: "3 - Inadequate (n=33)"
    ("hood2021", "m_n_inad", "n", "33", {"role": "part"}),
])
def test_spot_checks(published, study, rid, quantity, value_str, extra):
    row = _one(published, study, rid)
    assert row["quantity"] == quantity
    assert row["value_str"] == value_str
    for col, want in extra.items():
        got = row[col]
        if col == "n":
            got = int(got)
        assert got == want, f"{study}/{rid} {col}: {got!r} != {want!r}"


def test_words_are_numbers(published):
    # wilkins2020: "We report an analysis of forty-five variables"
    row = _one(published, "wilkins2020", "abs_vars")
    assert row["value_str"] == "forty-five" and row["value"] == 45.0 and row["decimals"] == 0
    assert parse_words("eighty-seven") == 87
    assert parse_words("forty five") == 45
    assert parse_words("five-forty") is None


def test_table3_rows_are_complete(published):
    """hood2016 Table 3: 19 indicators, each with two medians and two percentages."""
    t3 = published[(published["study"] == "hood2016") & (published["location"] == "Table 3")
                   & (published["quantity"] != "n")]
    per_row = t3.groupby("row").size()
    assert len(per_row) == 19 and set(per_row) == {4}
    assert set(t3.loc[t3["column"].str.startswith("Group A"), "n"].astype(int)) == {16}
    assert set(t3.loc[t3["column"].str.startswith("Group B"), "n"].astype(int)) == {12}


# --------------------------------------------------------------------------- validation


def _csv(rows: list[str]) -> str:
    return "# citation line\n" + ",".join(COLUMNS) + "\n" + "\n".join(rows) + "\n"


GOOD = "x1,hood2016,Text,Method,a row,,percent,27.5,27.5,,1,87,,,,,,note"


def test_validation_accepts_a_good_row(monkeypatch):
    rec_mod._load_study.cache_clear()
    monkeypatch.setattr(rec_mod, "_read_text", lambda s: _csv([GOOD]))
    try:
        df = load_published("hood2016")
        assert df["value"].tolist() == [27.5]
    finally:
        rec_mod._load_study.cache_clear()


@pytest.mark.parametrize("bad, column", [
    (GOOD.replace(",1,87,", ",2,87,"), "decimals"),
    (GOOD.replace(",27.5,27.5,", ",27.5,27.6,"), "value"),
    (GOOD.replace(",percent,", ",percentage,"), "quantity"),
    (GOOD.replace(",87,", ",-3,"), "n"),
    (GOOD.replace("27.5,27.5,,", "<.05,0.05,<,").replace(",1,87", ",2,87"), "value"),
    (GOOD.replace(",,,,,,note", ",,,*x,,,note"), "mark"),
    (GOOD.replace(",,,,,,note", ",,,,g1|g2,part,note"), "role"),
    (GOOD.replace("x1,", "X1,"), "id"),
])
def test_validation_names_the_column(monkeypatch, bad, column):
    rec_mod._load_study.cache_clear()
    monkeypatch.setattr(rec_mod, "_read_text", lambda s: _csv([bad]))
    try:
        with pytest.raises(ValueError, match=f"line 3 .*column {column}"):
            load_published("hood2016")
    finally:
        rec_mod._load_study.cache_clear()


def test_validation_rejects_duplicate_ids_and_wrong_header(monkeypatch):
    rec_mod._load_study.cache_clear()
    try:
        monkeypatch.setattr(rec_mod, "_read_text", lambda s: _csv([GOOD, GOOD]))
        with pytest.raises(ValueError, match="duplicated x1"):
            load_published("hood2016")
        rec_mod._load_study.cache_clear()
        monkeypatch.setattr(rec_mod, "_read_text",
                            lambda s: _csv([GOOD]).replace("value_str", "printed"))
        with pytest.raises(ValueError, match="columns must be"):
            load_published("hood2016")
    finally:
        rec_mod._load_study.cache_clear()


def test_make_records_derives_value_and_bound():
    df = make_records([{"quantity": "p", "value_str": "<.001"},
                       {"quantity": "percent", "value_str": "80", "bound": "~"},
                       {"quantity": "count", "value_str": "three"}])
    assert math.isnan(df.loc[0, "value"]) and df.loc[0, "bound"] == "<" and df.loc[0, "decimals"] == 3
    assert df.loc[1, "value"] == 80.0 and df.loc[1, "bound"] == "~"
    assert df.loc[2, "value"] == 3.0
    with pytest.raises(ValueError, match="column quantity"):
        make_records([{"quantity": "ratio_of", "value_str": "1"}])
    with pytest.raises(ValueError, match="not a printed number"):
        make_records([{"quantity": "p", "value_str": "p=.02"}])


# --------------------------------------------------------------------------- rounding


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e4, 1e4, allow_nan=False), st.integers(0, 4))
def test_printed_value_allows_what_rounds_to_it(x, d):
    text = f"{x:.{d}f}"
    p = parse_printed(text)
    assert p.decimals == d
    assert p.allows(x)
    assert not p.allows(p.value + 1.5 * 10.0 ** -d)


def test_bounds_are_open_intervals():
    p = parse_printed("<.001")
    assert p.allows(0.0, 0.0009) and not p.allows(0.001) and not p.allows(0.002)
    q = parse_printed(">.05")
    assert q.allows(0.2) and not q.allows(0.05)
    assert parse_printed(".000").allows(0.0004) and not parse_printed(".000").allows(0.0006)


def test_value_range_of_a_monotone_function_is_exact_at_the_corners():
    lo, hi = value_range(lambda b, s: (b / s) ** 2, [(0.0905, 0.0915), (0.0325, 0.0335)])
    assert lo == pytest.approx((0.0905 / 0.0335) ** 2, rel=1e-14)
    assert hi == pytest.approx((0.0915 / 0.0325) ** 2, rel=1e-14)
