"""hood2021 end to end on the synthetic panel: the planted effects are recovered, the tables
and figures have the paper's shape, and the study's plumbing (strata, exposures, parallel
fits, options) gives the same numbers as fitting each model directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import its
from replication.data import make_panel
from replication.papers import hood2021

pytestmark = pytest.mark.filterwarnings(
    # lme4 warns the same on these fits (large counts: the Hessian's eigenvalues are large)
    "ignore:Model is nearly unidentifiable")

COVERAGE_MIN = 0.90
"""The share of planted effects inside their 95% CI required over the seeds (the issue's
criterion); the nominal share is 95%, and with 3 seeds x 7 indicators x 3 strata x 4 stages
= 252 effects (not independent) the binomial SD of the share is about 1.4%."""

PLUMBING_TOL = 1e-10
"""The study's numbers against the same model fitted directly: the same fit, so equal to
rounding."""

RECOVERY_SEEDS = (11, 12, 13)
RECOVERY_INDICATORS = ["section47", "icpc", "cpp", "cin_rate", "re_referrals",
                       "cpp_second_or_subsequent", "spend_safeguarding"]
"""Log-link indicators of each kind (rates, percentages of counts, money by
pseudo-likelihood); logit-link shares are not parameters of a log-linear model."""


@pytest.fixture(scope="module")
def small_result():
    """All five impact models on three indicators of a 60-LA panel, fitted sequentially."""
    panel = make_panel(seed=5, n_la=60, noise="poisson")
    calls = []
    res = hood2021.run(panel, n_jobs=1, indicators=["icpc", "re_referrals", "caseload"],
                       progress=lambda done, total, label: calls.append((done, total, label)))
    return panel, res, calls


@pytest.mark.slow
@pytest.mark.parametrize("how", [
    ["--noise", "poisson"],            # the paper's SEs, where its Poisson model is the truth
    ["--set", "se_scale=robust"],      # the default, overdispersed panel: LA-clustered SEs
])
def test_planted_effects_recovered_by_the_command(tmp_path, how):
    """`replicate run hood2021`: each true stage effect inside its 95% CI for >= 90% of the
    planted effects, per seed and over three seeds, every indicator."""
    from click.testing import CliRunner  # noqa: PLC0415

    from replication.cli import cli  # noqa: PLC0415

    recs = []
    for seed in RECOVERY_SEEDS:
        out = tmp_path / str(seed)
        res = CliRunner().invoke(cli, ["run", "hood2021", *how, "--seed", str(seed),
                                       "--without-r", "--set", "models=['slope_two_steps']",
                                       "--out", str(out)], catch_exceptions=False)
        assert res.exit_code == 0, res.output
        rec = pd.read_csv(out / "hood2021" / "recovery.csv")
        rec = rec[rec["comparable"]]  # logit-link shares have no log-linear truth
        assert rec["indicator"].nunique() >= 18
        assert rec["covered"].mean() >= COVERAGE_MIN, (seed, rec[~rec["covered"]].to_string())
        recs.append(rec.assign(seed=seed))
    rec = pd.concat(recs, ignore_index=True)
    assert rec["covered"].mean() >= COVERAGE_MIN
    # and the estimates are informative: the planted spike (step at Y0) of child protection
    # indicators after an inadequate judgement is detected in every seed
    cp = rec[(rec["indicator"].isin(["section47", "icpc", "cpp"]))
             & (rec["judgement"] == "inadequate") & (rec["stage"] == "step_y0")]
    assert len(cp) == 9 and (cp["conf_low"] > 0).all()


@pytest.mark.slow
def test_scaled_ses_widen_the_cis_on_the_overdispersed_default_panel():
    """On the default (negative-binomial) panel the Poisson model's CIs are too narrow for
    counts; Pearson-scaled and LA-clustered robust SEs bring most planted effects back
    inside, and the default already scales the pseudo-likelihood amounts (whose model-based
    SEs depend on the unit of money)."""
    panel = make_panel(seed=RECOVERY_SEEDS[0])
    cover = {}
    for scale in ("model", "pseudo", "pearson", "robust"):
        res = hood2021.run(panel, n_jobs=1, models=("slope_two_steps",), se_scale=scale,
                           indicators=[*RECOVERY_INDICATORS, "spend_cla"])
        rec = res.tables["recovery"]
        is_money = rec["indicator"].str.startswith("spend")
        cover[scale] = {"money": rec.loc[is_money, "covered"].mean(),
                        "counts": rec.loc[~is_money, "covered"].mean()}
        t2 = res.tables["table2"].set_index("indicator")["se_scale"]
        assert (t2.loc["spend_cla"] == {"model": "model", "robust": "robust"}.get(
            scale, "pearson")).all()
        assert (t2.loc["icpc"] == (scale if scale in ("pearson", "robust") else "model")).all()
    assert cover["model"]["money"] < 0.5 and cover["pseudo"]["money"] >= 0.75
    assert cover["pseudo"]["counts"] == cover["model"]["counts"]
    assert cover["pearson"]["counts"] >= 0.8 > cover["model"]["counts"]
    assert cover["robust"]["counts"] >= 0.85 and cover["robust"]["money"] >= 0.75


def test_recovery_uses_the_generating_coding():
    """The truth's stage values are the generator's coefficients through the same contrasts:
    year-on-year Y0 -> Y+1 is b_pre + b_step1 + b_post."""
    panel = make_panel(seed=1, n_la=20, noise="poisson")
    row = panel.truth.its_row("icpc", "inadequate")
    stages = pd.DataFrame({"indicator": "icpc", "group": "inadequate", "stage": its.STAGES,
                           "pct_change": 0.0, "conf_low": -1e9, "conf_high": 1e9})
    rec = hood2021.recovery_table(panel.truth, stages).set_index("stage")
    want = row["b_pre"] + row["b_step1"] + row["b_post"]
    assert rec.loc["step_y1", "true_pct"] == pytest.approx(100 * np.expm1(want), rel=1e-12)
    term = hood2021.recovery_table(panel.truth, stages, scale="term").set_index("stage")
    assert term.loc["post_annual", "true_pct"] == pytest.approx(100 * np.expm1(row["b_post"]))


def test_tables_and_figures(small_result, tmp_path):
    panel, res, calls = small_result
    inds = ["icpc", "re_referrals", "caseload"]
    t2 = res.tables["table2"]
    assert len(t2) == len(inds) * 4 * 4
    assert set(t2["group"]) == set(hood2021.GROUPS)
    assert list(t2["stage"].unique()) == list(its.STAGES)
    assert list(t2.columns[:11]) == ["indicator", "group", "stage", "term", "log_estimate",
                                     "std_error", "statistic", "p_value", "pct_change",
                                     "conf_low", "conf_high"]
    assert (t2["conf_low"] <= t2["pct_change"]).all() and (t2["pct_change"] <= t2["conf_high"]).all()
    assert set(t2.loc[t2["indicator"] == "caseload", "likelihood"]) == {its.LIKELIHOOD_PSEUDO_PEARSON}
    assert set(t2.loc[t2["indicator"] == "icpc", "likelihood"]) == {its.LIKELIHOOD_ML}
    wide = res.tables["table2_wide"]
    assert list(wide.columns) == ["indicator", "group", *its.STAGES] and len(wide) == 12

    tr = res.tables["trajectories"]
    assert sorted(tr["event_year"].unique()) == list(range(-3, 4))
    base = tr[tr["event_year"] == -3]
    assert (base["percent"] == 100).all()

    mc = res.tables["model_comparison"]
    assert len(mc) == len(inds) * 4 * len(its.IMPACT_MODELS)
    assert (mc.groupby(["indicator", "group"])["chosen"].sum() == 1).all()
    assert (mc.groupby(["indicator", "group"])["delta_aic"].min() == 0).all()
    assert mc["nobs"].groupby([mc["indicator"], mc["group"]]).nunique().eq(1).all()

    med = res.tables["figure1_medians"]
    assert len(med) == len(inds) * 4 * 7
    assert set(res.figures) >= {"figure1", "figure2", "figure3", "figure4"}
    assert res.options["nagq"] == 7 and res.options["impact_model"] == "slope_two_steps"
    assert res.options["outcome_kinds"]["caseload"] == "amount"
    assert any("pseudo-likelihood" in n for n in res.notes)

    assert [c[0] for c in calls] == list(range(1, len(inds) * 4 + 1))
    assert all(c[1] == len(inds) * 4 for c in calls)

    written = res.write(tmp_path)
    assert (tmp_path / "hood2021" / "table2.csv").is_file()
    assert (tmp_path / "hood2021" / "figure1.png").stat().st_size > 1000
    assert len(written) == len(res.tables) + len(res.figures) + 3  # + options, exclusions, summary


def test_medians_by_hand(small_result):
    panel, res, _ = small_result
    med = res.tables["figure1_medians"].set_index(["indicator", "group", "event_year"])
    w = panel.wide(indicators=["icpc"]).merge(panel.las[["la_code", "inspection_year",
                                                         "judgement"]], on="la_code")
    sel = (w["year"] - w["inspection_year"] == 0) & (w["judgement"] == "inadequate")
    assert med.loc[("icpc", "inadequate", 0), "median"] == pytest.approx(
        np.median(w.loc[sel, "icpc"]), rel=PLUMBING_TOL)


def test_table2_equals_direct_fit(small_result):
    """A stratum's Table 2 row is the slope-two-steps fit of that stratum alone."""
    panel, res, _ = small_result
    las = panel.las[["la_code", "inspection_year", "judgement"]]
    d = panel.long[panel.long["indicator"] == "re_referrals"].merge(las, on="la_code")
    d = d[d["judgement"] == "requires_improvement"]
    fit = its.its_fit(d, "numerator", "percentage", denominator="denominator", nagq=7)
    want = its.percent_change(fit).set_index("stage")
    t2 = res.tables["table2"]
    got = t2[(t2["indicator"] == "re_referrals") & (t2["group"] == "requires_improvement")]
    got = got.set_index("stage")
    for col in ("pct_change", "conf_low", "conf_high"):
        np.testing.assert_allclose(got[col], want[col], rtol=PLUMBING_TOL)
    traj = its.trajectory(fit)
    tr = res.tables["trajectories"]
    tr = tr[(tr["indicator"] == "re_referrals") & (tr["group"] == "requires_improvement")]
    np.testing.assert_allclose(tr["percent"], traj["percent"], rtol=PLUMBING_TOL)


@pytest.mark.slow
def test_parallel_equals_sequential(small_result):
    panel, res, _ = small_result
    par = hood2021.run(panel, n_jobs=2, indicators=["icpc", "re_referrals", "caseload"])
    pd.testing.assert_frame_equal(par.tables["table2"], res.tables["table2"])
    pd.testing.assert_frame_equal(par.tables["model_comparison"], res.tables["model_comparison"])


def test_exposures_per_unit(monkeypatch):
    """Offsets: log(denominator) for rates and percentages, log(child population) for FTEs,
    none for levels; the pseudo-likelihood for amounts."""
    panel = make_panel(seed=2, n_la=12, noise="poisson")
    seen = {}

    def fake_fit(data, outcome, kind, *, denominator=None, model=None, **kw):
        seen[(data["numerator"].iloc[0], kind)] = (kind, denominator, data["denominator"].copy())
        raise RuntimeError("recorded")

    monkeypatch.setattr(its, "its_fit", fake_fit)
    inds = ["icpc", "re_referrals", "social_workers", "caseload", "spend_cla"]
    with pytest.raises(RuntimeError, match="every fit failed"):
        hood2021.run(panel, n_jobs=1, indicators=inds, models=("slope_two_steps",))
    df, kinds, _ = hood2021._analysis_frame(panel, inds, {})
    assert kinds == {"icpc": "rate_per_10000", "re_referrals": "percentage",
                     "social_workers": "fte", "caseload": "amount", "spend_cla": "money"}
    pop = panel.long[panel.long["indicator"] == "child_population"]
    sw = df[df["indicator"] == "social_workers"].merge(pop, on=["la_code", "year"])
    np.testing.assert_array_equal(sw["denominator_x"], sw["numerator_y"])
    assert df.loc[df["indicator"] == "caseload", "denominator"].isna().all()
    own = panel.long[panel.long["indicator"] == "icpc"]
    got = df[df["indicator"] == "icpc"].merge(own, on=["la_code", "year"])
    np.testing.assert_array_equal(got["denominator_x"], got["denominator_y"])
    assert {k for k, _ in seen} and {v[0] for v in seen.values()} == set(kinds.values())


def test_las_without_inspection_are_excluded_and_noted():
    panel = make_panel(seed=3, n_la=40, noise="poisson")
    drop = panel.las["la_code"].iloc[:2].tolist()
    panel.las["inspection_year"] = panel.las["inspection_year"].astype("Int64")
    panel.las.loc[panel.las["la_code"].isin(drop), "inspection_year"] = pd.NA
    res = hood2021.run(panel, n_jobs=1, indicators=["icpc"], models=("slope_two_steps",))
    assert any(str(drop[0]) in n and "excluded" in n for n in res.notes)
    t2 = res.tables["table2"]
    assert t2.loc[t2["group"] == "all", "n_la"].iloc[0] == 38


def test_extra_poisson_panel_is_flagged():
    """On the default (Gamma-Poisson) synthetic panel the Poisson model's CIs are too narrow:
    the result says so beside the coverage."""
    panel = make_panel(seed=6, n_la=60)
    res = hood2021.run(panel, n_jobs=1, indicators=["cpp"], models=("slope_two_steps",))
    note = next(n for n in res.notes if n.startswith("Planted effects"))
    assert "too narrow" in note and "overdispersion='olre'" in note
    assert res.options["overdispersion"] == "none" and res.options["warm_start"] is True


@pytest.mark.parametrize("kwargs, err, match", [
    ({"alpha": 0.5}, TypeError, "unknown option"),
    ({"impact_model": "spline"}, KeyError, "impact model"),
    ({"stage_scale": "odds"}, ValueError, "stage_scale"),
    ({"indicators": ["nonesuch"]}, KeyError, "nonesuch"),
    ({"outcome_kinds": {"icpc": "odds"}}, ValueError, "outcome_kinds"),
    ({"overdispersion": "negbin"}, ValueError, "overdispersion"),
])
def test_bad_options(kwargs, err, match):
    panel = make_panel(seed=4, n_la=10, noise="poisson")
    with pytest.raises(err, match=match):
        hood2021.run(panel, n_jobs=1, **kwargs)


# --------------------------------------------------------------------------- published numbers


def test_published_vs_reproduced(small_result):
    from replication.published import load_published

    panel, res, _ = small_result
    pv = res.tables["published_vs_reproduced"]
    records = load_published("hood2021")
    kept = records[~records["note"].str.lower().str.startswith("cited")]
    assert list(pv["id"]) == list(kept["id"]) and len(pv) == 25
    assert pv["reason"].str.len().gt(0).all()
    assert not pv.loc[pv["reproduced"].isna(), "within"].any()
    pv = pv.set_index("id")
    las = panel.las
    assert pv.loc["m_n_all", "reproduced"] == len(las) == 60
    for rid, level in (("m_n_good", "outstanding_good"), ("m_n_ri", "requires_improvement"),
                       ("m_n_inad", "inadequate")):
        assert pv.loc[rid, "reproduced"] == (las["judgement"] == level).sum(), rid
    assert pv.loc["m_excluded", "reproduced"] == 2 and pv.loc["m_excluded", "within"]
    assert pv.loc["m_las", "reproduced"] == 62
    assert pv.loc["m_years_window", "reproduced"] == 7 and pv.loc["m_years_window", "within"]
    assert pv.loc["m_stages", "reproduced"] == 4 and pv.loc["m_stages", "within"]
    assert pv.loc["f_measures", "reproduced"] == 3
    assert "21 of Table 2's indicators not chosen" in pv.loc["f_measures", "reason"]
    assert "synthetic data" in pv.loc["m_n_all", "reason"]
    assert np.isnan(pv.loc["in_inad_count", "reproduced"])
    assert "2009-2019" in pv.loc["in_inad_count", "reason"]


def test_published_sample_reason_names_the_las_left_out():
    panel = make_panel(seed=3, n_la=30, noise="poisson")
    drop = sorted(panel.las["la_code"].iloc[:2].tolist())
    panel.las["judgement"] = panel.las["judgement"].astype(object)
    panel.las.loc[panel.las["la_code"].isin(drop), "judgement"] = None
    res = hood2021.run(panel, n_jobs=1, indicators=["icpc"], models=("slope_two_steps",))
    pv = res.tables["published_vs_reproduced"].set_index("id")
    assert pv.loc["m_n_all", "reproduced"] == 28
    assert f"({drop[0]}, {drop[1]})" in pv.loc["m_n_all", "reason"]


# --------------------------------------------------------------------------- Python vs R


def test_no_r_comparison_unless_asked(small_result):
    _, res, _ = small_result
    assert "python_vs_r" not in res.tables
    assert not any("Python vs R" in n for n in res.notes)


def test_with_r_but_r_absent_gives_a_note(monkeypatch):
    import replication.rbridge as rbridge

    monkeypatch.setattr(rbridge, "r_available", lambda: False)
    panel = make_panel(seed=4, n_la=12, noise="poisson")
    res = hood2021.run(panel, n_jobs=1, indicators=["icpc"], models=("slope_two_steps",),
                       with_r=True)
    assert "python_vs_r" not in res.tables
    assert "Python vs R not compared: R is not installed." in res.notes


def _stand_in_for_r(calls: list, first_loglik_shift: float | None):
    """A stand-in for the R call: the same model fitted here (so the numbers agree), with the
    first call's estimates moved by 1e-3 and its logLik moved by ``first_loglik_shift``
    (None: lme4 fails)."""
    from models.glmm import glmer_poisson

    def fake(cases, contrasts, n_jobs):
        calls.append(cases)
        out = {}
        for ind, cs in cases.items():
            d = cs["data"]
            fit = glmer_poisson(cs["formula"], d, offset=d["off"].to_numpy(), nagq=cs["nagq"])
            terms = list(contrasts.columns)
            b = fit.fixef.reindex(terms).to_numpy()
            v = fit.vcov.reindex(index=terms, columns=terms).to_numpy()
            c = contrasts.to_numpy()
            est, se, ll = c @ b, np.sqrt(np.einsum("ij,jk,ik->i", c, v, c)), fit.loglik
            if first_loglik_shift is None:
                out[ind] = {"failed": True, "message": ["PIRLS failed"]}
                continue
            if len(calls) == 1:
                est, ll = est * (1 + 1e-3), ll + first_loglik_shift
            out[ind] = {"est": est, "se": se, "loglik": np.array([ll]),
                        "tolPwrss": np.array([1e-13])}
        return out
    return fake


def test_r_stopping_short_is_refitted_from_our_estimates(monkeypatch):
    """lme4 below our logLik and outside tolerance: refitted in R from our estimates (with the
    tolPwrss of the first fit), and the row says so; lme4 above our logLik: the difference
    stands; lme4 failing: a row outside tolerance with R's message."""
    import replication.rbridge as rbridge

    monkeypatch.setattr(rbridge, "r_available", lambda: True)
    panel = make_panel(seed=4, n_la=20, noise="poisson")
    kw = dict(n_jobs=1, indicators=["icpc"], models=("slope_two_steps",), with_r=True)

    calls: list = []
    monkeypatch.setattr(hood2021, "_call_r_batches", _stand_in_for_r(calls, -1.0))
    res = hood2021.run(panel, **kw)
    vr = res.tables["python_vs_r"]
    assert len(calls) == 2 and calls[1]["icpc"]["tol"] == 1e-13
    las = panel.las[["la_code", "inspection_year", "judgement"]]
    d = panel.long[panel.long["indicator"] == "icpc"].merge(las, on="la_code")
    ours = its.its_fit(d, "numerator", "rate_per_10000", denominator="denominator", nagq=7)
    np.testing.assert_allclose(calls[1]["icpc"]["fixef"], ours.fixef.to_numpy(),
                               rtol=PLUMBING_TOL)  # R restarted from our estimates
    assert "theta" in calls[1]["icpc"] and "theta" not in calls[0]["icpc"]
    assert vr["within"].all() and len(vr) == 4 * 2 + 1
    assert vr["r_start"].str.startswith("restarted from Python's estimates").all()
    assert any("restarted from Python's estimates" in n for n in res.notes)

    calls.clear()
    monkeypatch.setattr(hood2021, "_call_r_batches", _stand_in_for_r(calls, +1.0))
    res = hood2021.run(panel, **kw)
    vr = res.tables["python_vs_r"]
    assert len(calls) == 1 and (vr["r_start"] == "lme4 default").all()
    est = vr[vr["quantity"] == "log estimate"]
    assert not est["within"].any()
    assert (est["difference"] > est["tolerance"]).all()

    calls.clear()
    monkeypatch.setattr(hood2021, "_call_r_batches", _stand_in_for_r(calls, None))
    res = hood2021.run(panel, **kw)
    vr = res.tables["python_vs_r"]
    assert len(vr) == 1 and not vr["within"].iloc[0] and np.isnan(vr["r"].iloc[0])
    assert vr["r_start"].iloc[0] == "lme4 failed: PIRLS failed"
    assert any("lme4 failed to fit icpc / all: PIRLS failed" in n for n in res.notes)


@pytest.mark.slow
def test_published_vs_reproduced_on_the_real_panel():
    """The real panel (skipped where the raw public data are absent): the sample counts from
    the first SIF judgements, with the LAs left out named."""
    from replication.data.build import build
    from tests.replication import data_files as F

    panel, _ = build(F.need_real())
    res = hood2021.run(panel, n_jobs=1, indicators=["icpc"], models=("slope_two_steps",))
    pv = res.tables["published_vs_reproduced"].set_index("id")
    las = panel.las
    sif = las[las["inspection_year"].notna() & las["judgement"].notna()]
    left_out = sorted(set(las["la_code"]) - set(sif["la_code"]))
    assert pv.loc["m_n_all", "reproduced"] == len(sif) and len(left_out) > 0
    assert pv.loc["m_n_all", "reason"].startswith(f"sample: {len(left_out)} LA(s)")
    assert str(left_out[0]) in pv.loc["m_n_all", "reason"]
    for rid, level in (("m_n_good", "outstanding_good"), ("m_n_ri", "requires_improvement"),
                       ("m_n_inad", "inadequate")):
        assert pv.loc[rid, "reproduced"] == (sif["judgement"] == level).sum(), rid
    assert pv.loc["m_n_out", "reproduced"] == (las["sif_overall"] == "outstanding").sum()
    assert pv.loc["m_excluded", "reproduced"] == 2 and pv.loc["m_excluded", "within"]
    assert not pv["reason"].str.contains("synthetic").any()
    assert "reorganisations" in pv.loc["m_las", "reason"]



def test_fixed_effects_robustness_check_is_a_named_option():
    panel = make_panel(seed=4, n_la=40, noise="poisson")
    res = hood2021.run(panel, n_jobs=1, indicators=["icpc", "re_referrals"],
                       models=("slope_two_steps",), fixed_effects_check=True)
    fe = res.tables["fixed_effects_check"]
    assert fe["indicator"].tolist() == ["icpc"] * 3 + ["re_referrals"] * 3
    assert fe["term"].tolist() == ["step0", "step1", "post"] * 2
    df, _, _ = hood2021._analysis_frame(panel, ["icpc"], {})
    d = df[df["indicator"] == "icpc"]
    direct = its.fixed_effects_check(d[d["year"].between(2010, 2019)], "numerator", "denominator")
    np.testing.assert_allclose(fe["estimate"].iloc[:3], direct.tidy()["estimate"], rtol=1e-12)
    np.testing.assert_allclose(fe["std_error"].iloc[:3], direct.tidy()["std_error"], rtol=1e-12)
    assert res.options["fixed_effects_check"] is True
    assert "fixed_effects_check" not in hood2021.run(
        panel, n_jobs=1, indicators=["icpc"], models=("slope_two_steps",)).tables


def test_ilacs_numbers_and_the_years_option_by_hand():
    panel = make_panel(seed=3, n_la=40, noise="poisson")
    las = panel.las
    las["sif_overall"] = np.where(np.arange(len(las)) < 2, "outstanding", "good")
    res = hood2021.run(panel, n_jobs=1, indicators=["icpc"], models=("slope_two_steps",),
                       years=(2012, 2017))
    pv = res.tables["published_vs_reproduced"].set_index("id")["reproduced"]
    d = pd.to_datetime(las["ilacs_date"])
    grades = las.loc[d.between("2018-01-01", "2019-12-31"), "ilacs_judgement"].dropna()
    assert len(grades) > 0
    assert pv["in_ilacs_pct"] == pytest.approx(100 * grades.isin(["good", "outstanding"]).mean())
    assert pv["d_outstanding_ratio"] == pytest.approx((grades == "outstanding").sum() / 2)
    # years: only 2012-2017 are fitted, and the note names the years left out
    assert pv["d_years"] == 6
    assert any("outside 2012-2017 (option years) are not used: [2008, 2009, 2010, 2011, 2018, "
               "2019]" in n for n in res.notes)
    with pytest.raises(ValueError, match="no LA-year in 2030-2031"):
        hood2021.run(panel, n_jobs=1, indicators=["icpc"], years=(2030, 2031))
    for bad in (5, (2019, 2012), ("2012", "2017")):
        with pytest.raises(ValueError, match="years must be None or"):
            hood2021.run(panel, n_jobs=1, indicators=["icpc"], years=bad)
