"""The hood2016 and hood2021 studies with ``with_r=True`` against live R: the study's own
``python_vs_r`` table (glmnet, cv.glmnet and cor.test; lme4::glmer) must be within the
tolerances of METHODS section 3 everywhere, on synthetic panels."""

from __future__ import annotations

import numpy as np
import pytest

from models import its
from replication.data import make_panel
from replication.papers import hood2016, hood2021
from replication.parity.correlation import P_TOL, RHO_TOL
from replication.parity.elasticnet import CV_TOL, PATH_TOL
from replication.parity.glmm import FIXEF_TOL, LOGLIK_TOL, SE_TOL
from tests.conftest import need_r_packages

pytestmark = [pytest.mark.r,
              # lme4 warns the same on these fits (large counts: large Hessian eigenvalues)
              pytest.mark.filterwarnings("ignore:Model is nearly unidentifiable")]

HOOD2021_INDICATORS = ["icpc", "re_referrals", "caseload", "spend_cla"]
"""One indicator of each kind: a rate (count with offset), a percentage, an amount without
offset and money (both Poisson pseudo-likelihood)."""


@pytest.fixture(scope="module")
def h16_panel():
    return make_panel(seed=0)


@pytest.mark.parametrize("options", [
    {},  # the paper's run: Rounding folds from seed 2016, folds on the full-data lambdas
    {"sample_kind": "Rejection", "fold_lambda": "own", "s": "lambda.1se", "alpha": 0.5},
], ids=["as-published", "today-1se-alpha0.5"])
def test_hood2016_python_vs_r(h16_panel, options):
    need_r_packages("glmnet")
    res = hood2016.run(h16_panel, figures=False, with_r=True, **options)
    vr = res.tables["python_vs_r"]
    assert list(vr.columns) == list(hood2016.R_COLUMNS)
    assert vr["within"].all(), vr[~vr["within"]].to_string()
    assert (vr["difference"] <= vr["tolerance"]).all()
    # every Table 2 coefficient, both lambdas, the deviance explained, every Figure 3 p-value
    t2 = res.tables["table2_coefficients"]
    coef_rows = vr[vr["table"] == "table2_coefficients"]
    assert set(t2["term"]) <= set(coef_rows["row"])
    assert (coef_rows["tolerance"] == CV_TOL).all()
    assert set(vr.loc[vr["table"] == "cv_curve", "row"]) >= {"lambda.min", "lambda.1se"}
    assert (vr.loc[vr["table"] == "glmnet path", "tolerance"] == PATH_TOL).all()
    assert "deviance_explained" in set(vr["row"])
    fig3 = res.tables["figure3_re_referrals"]
    sp = vr[vr["table"] == "figure3_re_referrals"]
    assert len(fig3) > 0 and len(sp) == 2 * len(fig3)
    assert set(sp.loc[sp["quantity"] == "rho", "tolerance"]) == {RHO_TOL}
    assert set(sp.loc[sp["quantity"] == "p_value", "tolerance"]) == {P_TOL}
    np.testing.assert_array_equal(sp.loc[sp["quantity"] == "p_value", "python"],
                                  fig3["p_value"])
    assert any("Python vs R" in n and "within tolerance" in n for n in res.notes)


@pytest.mark.parametrize("se_scale", ["pseudo", "robust"])
def test_hood2021_python_vs_r(se_scale):
    """A 60-LA panel and four indicators, the paper's model for all LAs by nAGQ = 7; the SEs
    as the study reports them (Pearson-scaled amounts; or every SE LA-clustered), the R side
    scaling lme4's vcov in R."""
    need_r_packages("lme4")
    panel = make_panel(seed=5, n_la=60, noise="poisson")
    res = hood2021.run(panel, n_jobs=1, indicators=HOOD2021_INDICATORS,
                       models=("slope_two_steps",), with_r=True, se_scale=se_scale)
    assert set(res.tables["table2"]["se_scale"]) == (
        {"model", "pearson"} if se_scale == "pseudo" else {"robust"})
    vr = res.tables["python_vs_r"]
    assert list(vr.columns[:8]) == list(hood2021.R_COLUMNS)
    assert vr["within"].all(), vr[~vr["within"]].to_string()
    assert len(vr) == len(HOOD2021_INDICATORS) * (len(its.STAGES) * 2 + 1)
    est = vr[vr["quantity"] == "log estimate"]
    assert set(est["tolerance"]) == {FIXEF_TOL}
    assert set(vr.loc[vr["quantity"] == "std_error", "tolerance"]) == {SE_TOL}
    assert set(vr.loc[vr["table"] == "model fit", "tolerance"]) == {LOGLIK_TOL}
    t2 = res.tables["table2"]
    t2 = t2[t2["group"] == "all"]
    np.testing.assert_array_equal(np.sort(est["python"].to_numpy()),
                                  np.sort(t2["log_estimate"].to_numpy()))


@pytest.mark.slow
def test_hood2021_r_fits_in_parallel_processes(monkeypatch):
    """Twelve fits with n_jobs=2 run in two Rscript processes and give the numbers of one R
    call."""
    need_r_packages("lme4")
    import replication.rbridge as rbridge

    panel = make_panel(seed=6, n_la=40, noise="poisson")
    inds = ["referrals", "section47", "icpc", "cpp_starts", "cpp", "cla_rate", "re_referrals",
            "referrals_nfa", "cpp_second_or_subsequent", "cla_missing", "icpc_within_15_days",
            "cin_rate"]
    df, kinds, _ = hood2021._analysis_frame(panel, inds, {})
    info = {"formula": "y ~ time + step0 + step1 + post + (1 | la)", "nagq": 7}
    cases = {ind: hood2021._r_case(data, kind, info, (-3, 3))
             for ind, grp, data, kind in hood2021._batches(df, inds, kinds) if grp == "all"}
    contrasts = its.stage_contrasts(its.DESIGN_TERMS).reset_index(drop=True)
    transports = []
    real = rbridge.call_r

    def spy(*args, **kwargs):
        transports.append(kwargs.get("transport"))
        return real(*args, **kwargs)

    monkeypatch.setattr(rbridge, "call_r", spy)
    one = hood2021._call_r_batches(cases, contrasts, 1)
    two = hood2021._call_r_batches(cases, contrasts, 2)
    assert transports == [None, "Rscript", "Rscript"]
    assert set(one) == set(two) == set(inds)
    for ind in inds:
        for key in ("est", "se", "loglik"):
            np.testing.assert_allclose(two[ind][key], one[ind][key], rtol=1e-10,
                                       err_msg=f"{ind} {key}")
