"""The synthetic generator: determinism, calibration to the real data's summaries, and
recovery of the planted effects (statsmodels fits, kept small)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr

from replication.data import INDICATORS, SyntheticTruth, make_panel
from replication.data import calibration as cal
from replication.data.panel import ILACS_JUDGEMENTS, JUDGEMENTS, LONG_DTYPES
from replication.data.synthetic import GENERATED, RECIPES, _quota, _summary

# Tolerances (each a property of a 150-LA sample, not of numerical error):
# Median of LA-years in the calibration window: 3 sampling SEs of a median of ~150
# (correlated) LA values, SE ~ 1.25 * sd / sqrt(150) with sd = log IQR / 1.349, relative;
# at least 10%.
MEDIAN_SE_MULTIPLE = 3.0
MEDIAN_REL_TOL_MIN = 0.10
# Log interquartile range: sampling error of a quartile ratio at n = 150 (~10-15%), plus the
# approximation in splitting the spread between LA and year; 30%.
LOG_IQR_REL_TOL = 0.30
# Spearman of LA means against the calibrated matrix: SE ~0.08 per pair at n = 150.
RANK_CORR_MEAN_ABS_TOL = 0.10
# Planted-effect recovery: estimates within this many standard errors of the truth.
RECOVERY_Z = 4.0
# Mean log spend per deprivation tertile vs the planted expectation (SE ~0.05 per tertile).
SPEND_TERTILE_TOL = 0.12


@pytest.fixture(scope="module")
def panel():
    return make_panel(seed=0)


@pytest.fixture(scope="module")
def wide(panel):
    return panel.wide()


# ---- shape and schema ----------------------------------------------------------------


def test_default_panel_shape(panel):
    assert len(panel.las) == 150 and panel.las["la_code"].is_unique
    assert panel.years == list(range(2008, 2020))
    assert set(panel.long["indicator"]) == set(INDICATORS)
    assert len(panel.long) == 150 * 12 * len(INDICATORS)
    assert {c: str(t) for c, t in panel.long.dtypes.items()} == LONG_DTYPES
    assert panel.label == "synthetic (seed 0)"
    assert isinstance(panel.truth, SyntheticTruth)
    assert panel.las["la_code"].between(202, 938).all()


def test_small_las_are_generated_then_excluded_and_reported(panel):
    assert list(panel.exclusions["la_code"]) == [201, 420]
    assert not panel.long["la_code"].isin([201, 420]).any()
    kept = make_panel(seed=0, n_la=6, years=[2012, 2013], exclude=())
    assert {201, 420} <= set(kept.las["la_code"]) and kept.exclusions.empty
    small = kept.wide(indicators="child_population").groupby("la_code").mean()
    assert (small.loc[[201, 420], "child_population"] < 2000).all()


def test_counts_are_integers_and_shares_within_their_base(panel):
    long = panel.long
    for name, rec in RECIPES.items():
        rows = long[long["indicator"] == name]
        if rec.kind in ("rate", "pct"):
            assert (rows["numerator"] == np.round(rows["numerator"])).all(), name
            assert (rows["denominator"] == np.round(rows["denominator"])).all(), name
        if INDICATORS[name].unit == "percentage":
            assert (rows["numerator"] <= rows["denominator"]).all(), name
    pct = long[long["unit"] == "percentage"]
    assert pct["denominator"].notna().all()


def test_rate_denominator_is_the_child_population(panel):
    long = panel.long.set_index(["la_code", "year", "indicator"])
    pop = long.xs("child_population", level="indicator")["numerator"]
    ref = long.xs("referrals", level="indicator")["denominator"]
    pd.testing.assert_series_equal(pop, ref, check_names=False)


def test_las_columns(panel):
    las = panel.las
    for col in ("la_code", "ons_code", "name", "region", "child_population", "imd_rank",
                "deprivation_tertile", "inspection_year", "inspection_date", "judgement",
                "inadequate_2012_13", "ilacs_date", "ilacs_judgement", "spend_per_child"):
        assert col in las.columns, col
    assert las["judgement"].cat.ordered
    assert list(las["judgement"].cat.categories) == list(JUDGEMENTS)
    assert list(las["ilacs_judgement"].cat.categories) == list(ILACS_JUDGEMENTS)
    assert las["inadequate_2012_13"].dtype == bool
    assert las["inspection_year"].between(2013, 2017).all()
    assert (las["inspection_date"].dt.year == las["inspection_year"]).all()
    assert (las["inspection_date"] >= "2013-11-01").all()
    assert sorted(las["imd_rank"]) == sorted(set(las["imd_rank"]))
    assert set(las["deprivation_tertile"]) == {1, 2, 3}
    assert las["spend_per_child"].between(200, 3000).all()


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(3, 40), st.sampled_from(["negbin", "poisson"]),
       st.lists(st.integers(2005, 2022), min_size=1, max_size=4))
def test_any_seed_size_and_years_give_a_valid_panel(seed, n_la, noise, years):
    p = make_panel(seed=seed, n_la=n_la, years=years, noise=noise)
    assert len(p.las) == n_la and p.years == sorted(set(years))
    assert p.las["judgement"].value_counts().to_dict() == _quota(
        cal.HOOD2021_JUDGEMENT_COUNTS, n_la)
    pct = p.long[p.long["unit"] == "percentage"]
    assert (pct["numerator"] <= pct["denominator"]).all()
    assert np.isfinite(p.long["numerator"]).all()


# ---- determinism ----------------------------------------------------------------------


def test_same_seed_is_bit_identical():
    a, b = make_panel(seed=11, n_la=40), make_panel(seed=11, n_la=40)
    pd.testing.assert_frame_equal(a.long, b.long, check_exact=True)
    pd.testing.assert_frame_equal(a.las, b.las, check_exact=True)
    assert a.long["numerator"].to_numpy().tobytes() == b.long["numerator"].to_numpy().tobytes()
    pd.testing.assert_frame_equal(a.truth.its, b.truth.its, check_exact=True)
    assert a.truth.capped == b.truth.capped


def test_different_seeds_differ():
    a, b = make_panel(seed=1, n_la=40), make_panel(seed=2, n_la=40)
    assert not np.array_equal(a.long["numerator"].to_numpy(), b.long["numerator"].to_numpy())
    assert not a.las["la_code"].equals(b.las["la_code"])


def test_no_global_random_state_is_used():
    np.random.seed(0)
    before = np.random.random(3)
    np.random.seed(0)
    make_panel(seed=3, n_la=8, years=[2012])
    assert np.array_equal(np.random.random(3), before)


def test_truth_is_frozen(panel):
    with pytest.raises(dataclasses.FrozenInstanceError):
        panel.truth.seed = 3


def test_bad_arguments():
    with pytest.raises(ValueError, match="noise"):
        make_panel(noise="gaussian")
    with pytest.raises(ValueError, match="n_la"):
        make_panel(n_la=1)
    with pytest.raises(ValueError, match="missing"):
        make_panel(missing=1.5)
    with pytest.raises(ValueError, match="years"):
        make_panel(years=[])


def test_years_and_missing_options():
    p = make_panel(seed=4, n_la=30, years=range(2014, 2017), missing=0.2)
    assert p.years == [2014, 2015, 2016]
    full = 30 * 3 * len(INDICATORS)
    pop_rows = (p.long["indicator"] == "child_population").sum()
    assert pop_rows == 30 * 3
    dropped = 1 - len(p.long) / full
    assert 0.12 < dropped < 0.25
    assert p.las["inadequate_2012_13"].dtype == bool


# ---- calibration ----------------------------------------------------------------------


@pytest.mark.parametrize("name", GENERATED)
def test_medians_and_spreads_match_the_calibration(name, wide):
    s = _summary(name)
    sub = wide[wide["year"].between(s["first_year"], s["last_year"])]
    v = sub[name]
    if name == "social_workers":           # calibrated per 10,000 children
        v = v / sub["child_population"] * 1e4
    sd = np.log(s["q75"] / s["q25"]) / 1.349
    tol = max(MEDIAN_REL_TOL_MIN, MEDIAN_SE_MULTIPLE * 1.2533 * sd / np.sqrt(150))
    assert v.median() == pytest.approx(s["median"], rel=tol)
    if s["q75"] / s["q25"] > 1.1:         # days_to_icpc is published in whole days
        got = np.log(v.quantile(0.75) / v.quantile(0.25))
        assert got == pytest.approx(np.log(s["q75"] / s["q25"]), rel=LOG_IQR_REL_TOL)


def test_population_matches_the_calibration(wide):
    s = cal.INDICATOR_SUMMARY["child_population"]
    v = wide.loc[wide["year"].between(2014, 2019), "child_population"]
    sd = np.log(s["q75"] / s["q25"]) / 1.349
    tol = MEDIAN_SE_MULTIPLE * 1.2533 * sd / np.sqrt(150)
    assert v.median() == pytest.approx(s["median"], rel=tol)


def test_judgement_and_inspection_counts(panel):
    las = panel.las
    assert las["judgement"].value_counts().to_dict() == cal.HOOD2021_JUDGEMENT_COUNTS
    assert panel.truth.judgement_counts == cal.HOOD2021_JUDGEMENT_COUNTS
    want = _quota(cal.SIF_FIRST_START_YEAR_COUNTS, 150)
    assert las["inspection_year"].value_counts().to_dict() == want
    window = las[(las["ilacs_date"] >= "2018-01-01") & (las["ilacs_date"] < "2019-04-01")]
    assert window["ilacs_judgement"].value_counts().to_dict() == cal.WILKINS2020_ILACS_COUNTS
    share = las["inadequate_2012_13"].mean()
    assert 0.08 < share < 0.30      # planted: about 25 of 150


def test_judgements_scale_with_n_la():
    las = make_panel(seed=7, n_la=60, years=[2012]).las
    assert las["judgement"].value_counts().to_dict() == _quota(
        cal.HOOD2021_JUDGEMENT_COUNTS, 60)


def test_deprivation_goes_with_worse_judgements(panel):
    las = panel.las
    rho = spearmanr(las["judgement"].cat.codes, -las["imd_rank"])[0]
    assert rho > 0.0      # planted about +0.2 (real first SIF judgements: +0.185)


def test_rank_correlations_match_the_calibration_and_planted_signs(panel, wide):
    w = wide.assign(social_workers=wide["social_workers"] / wide["child_population"] * 1e4)
    means = w.groupby("la_code").mean().drop(columns="year")
    means["deprivation"] = -panel.las.set_index("la_code")["imd_rank"]
    names = [n.replace("social_workers_per_10000", "social_workers")
             for n in cal.RANK_CORR_NAMES]
    got = means[names].corr(method="spearman").to_numpy()
    want = np.array(cal.RANK_CORR)
    iu = np.triu_indices(len(names), 1)
    assert np.mean(np.abs(got[iu] - want[iu])) < RANK_CORR_MEAN_ABS_TOL
    signs = panel.truth.rank_corr_signs
    assert signs[("re_referrals", "cpp_second_or_subsequent")] == 1
    assert signs[("deprivation", "cla_rate")] == 1
    assert len(signs) >= 20
    for (a, b), sign in signs.items():
        rho = spearmanr(means[a], means[b])[0]
        assert np.sign(rho) == sign, (a, b, rho)


def test_spend_differs_across_deprivation_tertiles_as_planted(panel):
    las = panel.las
    log_spend = np.log(panel.wide("spend_per_child")
                       .groupby("la_code")["spend_per_child"].mean())
    tert = las.set_index("la_code")["deprivation_tertile"]
    by = (log_spend.groupby(tert).mean() - log_spend.mean()).to_dict()
    planted = panel.truth.spend_tertile_log_mean["spend_per_child"]
    assert by[1] > by[2] > by[3]
    for t in (1, 2, 3):
        assert by[t] == pytest.approx(planted[t], abs=SPEND_TERTILE_TOL)


# ---- planted-effect recovery ------------------------------------------------------------


def _its_fit(panel, indicator, judgement):
    """GLM with LA fixed effects and the four stage terms (offset: log denominator):
    Poisson for noise="poisson", negative binomial with the planted Gamma variance otherwise
    (the generating model, up to the LA effects being fixed rather than random)."""
    long = panel.long[panel.long["indicator"] == indicator]
    d = long.merge(panel.las[["la_code", "inspection_year", "judgement"]])
    d = d[d["judgement"] == judgement]
    e = (d["year"] - d["inspection_year"]).to_numpy(float)
    on = (e >= 0).astype(float)
    fe = pd.get_dummies(d["la_code"], dtype=float).to_numpy()
    x = np.column_stack([fe, e, on, (e >= 1).astype(float), e * on])
    truth = panel.truth.its_row(indicator, judgement)
    phi = truth["noise_sd"] ** 2
    family = sm.families.NegativeBinomial(alpha=phi) if phi > 0 else sm.families.Poisson()
    fit = sm.GLM(d["numerator"].to_numpy(), x, family=family,
                 offset=np.log(d["denominator"].to_numpy())).fit()
    want = truth[["b_pre", "b_step0", "b_step1", "b_post"]].to_numpy(float)
    return fit.params[-4:], fit.bse[-4:], want


@pytest.mark.parametrize("noise, indicator, judgement", [
    ("poisson", "section47", "inadequate"),
    ("poisson", "cpp_second_or_subsequent", "requires_improvement"),
    ("negbin", "referrals", "inadequate"),
    ("negbin", "cpp", "outstanding_good"),
])
def test_its_effects_are_recovered(noise, indicator, judgement):
    p = make_panel(seed=1, noise=noise)
    est, se, want = _its_fit(p, indicator, judgement)
    z = (est - want) / se
    assert np.all(np.abs(z) < RECOVERY_Z), (est, want, se)
    # the planted spike is there: step at inspection is positive and clear of zero
    if indicator == "section47":
        assert est[1] - 2 * se[1] > 0


def test_inadequate_model_is_recovered():
    p = make_panel(seed=2, n_la=500, years=[2012])
    truth = p.truth
    w = p.wide(years=[truth.inadequate_year]).set_index("la_code")
    names = list(truth.inadequate_coefficients)
    x = sm.add_constant(w[names])
    y = p.las.set_index("la_code").loc[w.index, "inadequate_2012_13"].astype(float)
    fit = sm.Logit(y, x).fit(disp=0)
    want = pd.Series({"const": truth.inadequate_intercept, **truth.inadequate_coefficients})
    z = (fit.params - want) / fit.bse
    assert np.all(np.abs(z) < RECOVERY_Z), z
    for name in ("initial_assessments_within_10_days", "re_referrals", "agency_worker_rate"):
        assert np.sign(fit.params[name]) == np.sign(want[name]), name


def test_truth_tables_are_complete(panel):
    its = panel.truth.its
    assert len(its) == len(GENERATED) * 3
    assert set(its["link"]) == {"log", "logit"}
    assert its[["b0", "b_pre", "b_step0", "b_step1", "b_post", "sigma_la"]].notna().all().all()
    assert (its["sigma_la"] > 0).all()
    row = panel.truth.its_row("section47", "inadequate")
    assert row["offset"] == "log(child_population)" and row["link"] == "log"
    with pytest.raises(KeyError, match="nothing"):
        panel.truth.its_row("nothing", "inadequate")
    corr = panel.truth.latent_corr.to_numpy()
    assert np.allclose(corr, corr.T) and np.linalg.eigvalsh(corr).min() > 0
    log_shares = {n for n, r in RECIPES.items()
                  if r.kind in ("pct", "fte_pct") and r.link == "log"}
    assert set(panel.truth.capped) == log_shares
    assert sum(panel.truth.capped.values()) < 0.001 * len(panel.long)


# ---- re-deriving the constants from the raw files --------------------------------------


def _raw_dir() -> Path | None:
    env = os.environ.get("CSC_REAL_DATA")
    root = Path(__file__).resolve().parents[2]
    for cand in ([Path(env)] if env else []) + [root.parent / "shared" / "data" / "real"]:
        if (cand / "CSC_outcomes_and_enablers").is_dir():
            return cand
    return None


@pytest.mark.slow
@pytest.mark.skipif(_raw_dir() is None, reason="the raw public data directory is not present")
def test_constants_are_rederived_from_the_raw_files():
    from replication.data.calibrate import calibrate

    got = calibrate(_raw_dir())
    for key, value in got.items():
        stored = getattr(cal, key)
        if key == "INDICATOR_SUMMARY":
            assert set(value) == set(stored)
            for name, summ in value.items():
                for k, v in summ.items():
                    assert v == pytest.approx(stored[name][k], rel=1e-3, abs=1e-6), (name, k)
        elif key == "RANK_CORR":
            np.testing.assert_allclose(value, stored, atol=2e-3)
        elif key == "RANK_CORR_NAMES":
            assert list(value) == list(stored)
        else:
            assert value == pytest.approx(stored, rel=1e-3), key
