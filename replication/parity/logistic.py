"""Parity of the binary logit with R: glm(family = binomial) and the SPSS extras.

Rows: coefficients and SEs; z and p; Wald and MASS profile intervals; logLik, AIC, BIC and
deviances; Cox-Snell and Nagelkerke R² from logLik; Hosmer-Lemeshow; the classification
table; the score statistic (anova test = "Rao"); LR (drop1), Wald and conditional removal
statistics; the SPSS stepwise paths (rules re-written in R on those primitives); R's step()
by AIC; and, for information, the distance from R at its default glm.control().

The case runners below are used by the tests too.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from replication.parity import ParityRow
from replication.parity.groups import abs_diff, as_float, rel_diff

LOGIT_TOL = 1e-8
"""METHODS.md section 3: binary logit (coefficients, SEs, p, CIs, likelihoods, R², tests)."""
DEFAULT_CONTROL_NOTE_TOL = 1e-6
"""R at its default glm.control (epsilon 1e-8) stops early; its coefficients sit within
about 1e-8 relative of the converged ones. Reported so users know what they see in R."""

GLM = "logistic_glm"
STEPWISE = "logistic_stepwise"
SEPARATION = "logistic_separation"


def case_frame(data: dict, factors: dict) -> pd.DataFrame:
    """A fixture case's data as a DataFrame, factors as Categoricals with R's level order."""
    d = pd.DataFrame({k: (as_float(v) if not (v and isinstance(v[0], str)) else v) for k, v in data.items()})
    for f, levels in (factors or {}).items():
        d[f] = pd.Categorical(d[f], categories=list(levels))
    return d


# ----------------------------------------------------------------------------- case runners


def run_glm_cases(inp: dict) -> list[dict]:
    """Python's counterpart of ``logistic_glm/script.R``."""
    from models.logistic import logit  # noqa: PLC0415

    out = []
    for cs in inp["cases"]:
        d = case_frame(cs["data"], cs.get("factors"))
        w = None if cs.get("weights") is None else as_float(cs["weights"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the aliased case warns by design
            m = logit(cs["formula"], d, weights=w, conf_method="profile")
        t = m.tidy()
        wald = m.confint("wald")
        hl = m.hosmer_lemeshow()
        binary = bool(np.all((m.y == 0) | (m.y == 1)))
        ct = m.classification_table().table[[0, 1]].to_numpy().ravel() if binary else None
        out.append({"label": cs["label"], "terms": list(t["term"]), "coef": t["estimate"].to_numpy(),
                    "se": t["std_error"].to_numpy(), "z": t["statistic"].to_numpy(),
                    "p": t["p_value"].to_numpy(), "wald_low": wald["conf_low"].to_numpy(),
                    "wald_high": wald["conf_high"].to_numpy(), "profile_low": t["conf_low"].to_numpy(),
                    "profile_high": t["conf_high"].to_numpy(), "loglik": m.loglik, "aic": m.aic,
                    "bic": m.bic, "deviance": m.deviance, "null_deviance": m.null_deviance,
                    "df_null": m.df_null, "df_residual": m.df_residual, "nobs": m.nobs,
                    "null_loglik": m.null_loglik, "cox_snell": m.cox_snell_r2,
                    "nagelkerke": m.nagelkerke_r2, "model_chisq": m.model_chisq,
                    "model_p": m.model_p, "hosmer_lemeshow": np.array([hl.statistic, hl.df, hl.p_value]),
                    "classification": ct, "fitted": m.fitted, "odds_ratio": t["odds_ratio"].to_numpy(),
                    "wald": t["wald"].to_numpy()})
    return out


def compare_glm(py: list[dict], r: list[dict]) -> dict[str, float]:
    groups = {
        "coef_se": ("coef", "se"),
        "z_p": ("z", "p"),
        "wald_ci": ("wald_low", "wald_high"),
        "profile_ci": ("profile_low", "profile_high"),
        "likelihood": ("loglik", "aic", "bic", "deviance", "null_deviance", "null_loglik",
                       "model_chisq", "model_p", "fitted"),
        "r2": ("cox_snell", "nagelkerke"),
        "hosmer_lemeshow": ("hosmer_lemeshow",),
    }
    worst = dict.fromkeys([*groups, "counts", "terms", "classification", "spss_arith", "default"], 0.0)
    for a, b in zip(py, r, strict=True):
        if a["terms"] != list(b["terms"]):
            worst["terms"] = math.inf
            continue
        for g, keys in groups.items():
            worst[g] = max(worst[g], *(rel_diff(a[k], b[k]) for k in keys))
        for k in ("df_null", "df_residual", "nobs"):
            if int(a[k]) != int(np.asarray(b[k]).ravel()[0]):
                worst["counts"] = math.inf
        if a["classification"] is not None:
            worst["classification"] = max(worst["classification"],
                                          abs_diff(a["classification"], b["classification"]))
        coef, se = np.asarray(b["coef"]), np.asarray(b["se"])
        worst["spss_arith"] = max(worst["spss_arith"], rel_diff(a["wald"], (coef / se) ** 2),
                                  rel_diff(a["odds_ratio"], np.exp(coef)))
        worst["default"] = max(worst["default"], rel_diff(a["coef"], b["coef_default"]))
    return worst


def stepwise_frame(inp: dict) -> pd.DataFrame:
    return case_frame(inp["data"], inp["levels"])


def run_stepwise(inp: dict) -> dict:
    """Python's counterpart of ``logistic_stepwise/script.R``."""
    from models.logistic import removal_tests, score_tests, stepwise_logit  # noqa: PLC0415

    d = stepwise_frame(inp)
    cands = list(inp["candidates"])
    scores = []
    for mm in inp["score_models"]:
        mm = list(mm or [])
        el = [c for c in cands if c not in mm]
        t = score_tests(d, "y", mm, el)
        scores.append({"model": mm, "candidate": list(t["variable"]),
                       "statistic": t["statistic"].to_numpy(), "df": t["df"].to_numpy(dtype=float)})
    removals = []
    for mm in inp["removal_models"]:
        t = removal_tests(d, "y", list(mm))
        removals.append({"model": list(mm), "lr": t["lr"].to_numpy(), "wald": t["wald"].to_numpy(),
                         "cond": t["conditional"].to_numpy(), "df": t["df"].to_numpy(dtype=float)})
    runs = []
    for run in inp["runs"]:
        s = stepwise_logit(d, "y", cands, method=run["method"], p_enter=run["p_enter"],
                           p_remove=run["p_remove"])
        runs.append({"steps": s.steps.iloc[1:].reset_index(drop=True), "final": list(s.selected),
                     "coef": s.final.coef, "terms": list(s.final.terms)})
    s = stepwise_logit(d, "y", cands, method="aic")
    aic = {"steps": s.steps, "terms": list(s.final.terms), "coef": s.final.coef, "aic": s.final.aic}
    return {"scores": scores, "removals": removals, "runs": runs, "aic": aic}


def compare_stepwise(py: dict, r: dict) -> dict[str, float]:
    worst = dict.fromkeys(["score", "lr", "wald", "cond", "path", "path_numbers", "final",
                           "aic_path", "aic_final"], 0.0)
    for a, b in zip(py["scores"], r["scores"], strict=True):
        if a["candidate"] != list(b["candidate"]):
            worst["score"] = math.inf
            continue
        worst["score"] = max(worst["score"], rel_diff(a["statistic"], b["statistic"]),
                             rel_diff(a["df"], b["df"]))
    for a, b in zip(py["removals"], r["removals"], strict=True):
        for k in ("lr", "wald", "cond"):
            worst[k] = max(worst[k], rel_diff(a[k], b[k]))
        worst["wald"] = max(worst["wald"], rel_diff(a["df"], b["df"]))
    for a, b in zip(py["runs"], r["runs"], strict=True):
        sa, sb = a["steps"], b["steps"]
        if list(sa["action"]) != list(sb["action"]) or list(sa["variable"]) != list(sb["variable"]):
            worst["path"] = math.inf
            continue
        pairs = (("statistic", "statistic"), ("df", "df"), ("p_value", "p"), ("model_chisq", "model_chisq"),
                 ("minus2ll", "minus2ll"), ("nagelkerke_r2", "nagelkerke"))
        worst["path_numbers"] = max(worst["path_numbers"],
                                    *(rel_diff(sa[x].to_numpy(), sb[y].to_numpy()) for x, y in pairs))
        if a["final"] != list(b["final"]):
            worst["final"] = math.inf
        else:
            worst["final"] = max(worst["final"], rel_diff(a["coef"], b["coef"]))
    a, b = py["aic"], r["aic"]
    steps = b["steps"]
    changes = [s.strip() for s in steps["Step"]][1:]
    ours = [("+ " if act == "entered" else "- ") + v for act, v in
            zip(a["steps"]["action"][1:], a["steps"]["variable"][1:], strict=True)]
    if changes != ours or a["terms"] != list(b["terms"]):
        worst["aic_path"] = math.inf
    else:
        worst["aic_path"] = rel_diff(a["steps"]["statistic"].to_numpy(), steps["AIC"].to_numpy())
        worst["aic_final"] = max(rel_diff(a["coef"], b["coef"]), rel_diff(a["aic"], b["aic"]))
    return worst


def run_separation(inp: dict, **control) -> list[list[str]]:
    """The warning texts our logit gives on each separation case (``control``: tol, maxiter)."""
    from models.logistic import logit  # noqa: PLC0415

    out = []
    for cs in inp["cases"]:
        d = case_frame(cs["data"], None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            logit(cs["formula"], d, **control)
        out.append([str(w.message) for w in caught])
    return out


# ----------------------------------------------------------------------------- parity rows


def _r_value(name: str, live: bool) -> tuple[Any, dict, str]:
    from replication.rbridge import call_r, r_available  # noqa: PLC0415
    from replication.rbridge.fixtures import fixture_spec, load_fixture  # noqa: PLC0415

    fx = load_fixture(name)
    if live and r_available():
        code, packages, seed = fixture_spec(name)
        return call_r(code, fx.input, packages=packages, seed=seed).value, fx.input, "live R"
    return fx.result, fx.input, f"frozen fixture {name}"


def parity_rows(live: bool) -> list[ParityRow]:
    rows: list[ParityRow] = []
    r, inp, src = _r_value(GLM, live)
    d = compare_glm(run_glm_cases(inp), r)
    n = len(inp["cases"])
    structural = max(d["terms"], d["counts"], d["classification"])
    ref = "glm(family=binomial, control=glm.control(epsilon=1e-15, maxit=100))"
    rows += [
        ParityRow("logit coefficients and SEs", ref, n, max(d["coef_se"], structural), LOGIT_TOL, src,
                  "term names, df and nobs identical" if structural == 0 else "structure differs"),
        ParityRow("logit z and p", "summary(glm)", n, d["z_p"], LOGIT_TOL, src),
        ParityRow("logit Wald CI", "confint.default(glm)", n, d["wald_ci"], LOGIT_TOL, src),
        ParityRow("logit profile CI", "confint(glm) (MASS 7.3 profile + spline)", n, d["profile_ci"],
                  LOGIT_TOL, src),
        ParityRow("logit logLik, AIC, BIC, deviances, model chi-square",
                  "logLik/AIC/BIC(glm), null.deviance", n, d["likelihood"], LOGIT_TOL, src),
        ParityRow("logit Cox-Snell and Nagelkerke R2", "from logLik of the model and of y ~ 1", n,
                  d["r2"], LOGIT_TOL, src),
        ParityRow("logit Hosmer-Lemeshow (g = 10)", "ResourceSelection::hoslem.test's rule, in R", n,
                  d["hosmer_lemeshow"], LOGIT_TOL, src),
        ParityRow("logit Wald (B/SE)^2 and Exp(B)", "from summary(glm)", n, d["spss_arith"], LOGIT_TOL,
                  src),
        ParityRow("logit vs R's default glm.control", "glm(family=binomial) with epsilon 1e-8", n,
                  d["default"], DEFAULT_CONTROL_NOTE_TOL, src,
                  "R's default stopping rule, not ours: what users see in R"),
    ]
    r, inp, src = _r_value(STEPWISE, live)
    d = compare_stepwise(run_stepwise(inp), r)
    rows += [
        ParityRow("score statistic for entry", "anova(m0, m1, test='Rao')", len(inp["score_models"]),
                  d["score"], LOGIT_TOL, src),
        ParityRow("LR removal statistic", "drop1(test='LRT')", len(inp["removal_models"]), d["lr"],
                  LOGIT_TOL, src),
        ParityRow("Wald and conditional removal statistics", "coef/vcov of glm, in R",
                  len(inp["removal_models"]), max(d["wald"], d["cond"]), LOGIT_TOL, src),
        ParityRow("SPSS stepwise paths (6 methods)", "SPSS FSTEP/BSTEP rules re-written in R",
                  len(inp["runs"]), max(d["path"], d["path_numbers"], d["final"]), LOGIT_TOL, src,
                  "same steps, variables and final model" if d["path"] == 0 else "paths differ"),
        ParityRow("stepwise by AIC", "step(glm(y ~ 1), scope, direction='both')", 1,
                  max(d["aic_path"], d["aic_final"]), LOGIT_TOL, src),
    ]
    return rows
