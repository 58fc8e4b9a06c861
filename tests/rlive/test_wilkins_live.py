"""The two Wilkins studies' numbers against live R on the same analysis data (synthetic panel):
Spearman, ANOVA, Tukey, the ordinal and multinomial models (wilkins2018); the pooled t-test,
Bonferroni comparisons, the final logit and its Nagelkerke R2 (wilkins2020). One R call each.
Then each study's own ``python_vs_r`` table (``run(with_r=True)``): every number within its
tolerance, and every model table covered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from replication.papers import wilkins2018, wilkins2020
from replication.rbridge import call_r
from tests.conftest import need_r_packages
from tests.replication import wilkins_panels

pytestmark = pytest.mark.r

EXACT_TOL = 1e-10
"""Closed forms (rho, t, F and their p-values, Bonferroni): METHODS section 3."""
TUKEY_TOL = 1e-7
"""R's ptukey is a numerical integral (METHODS section 3)."""
MODEL_TOL = 1e-6
"""Maximum likelihood fits, both sides converged tightly (METHODS section 3: ordinal 1e-6,
multinomial against VGAM 1e-7, binary logit 1e-8)."""


@pytest.fixture(scope="module")
def r18():
    return wilkins2018.run(wilkins_panels.synthetic(0), references=("inadequate",))


@pytest.fixture(scope="module")
def r20():
    return wilkins2020.run(wilkins_panels.synthetic(0), figures=False)


R18 = """
d <- input
d$category <- factor(d$judgement, levels = c("inadequate", "requires_improvement",
                                             "outstanding_good"))
ct <- cor.test(d$rating, d$deprivation_rank, method = "spearman", exact = FALSE)
s <- d[d$judgement == "inadequate" & !is.na(d$spend_per_child), ]
s$tertile <- factor(c("low", "medium", "high")[s$deprivation_tertile],
                    levels = c("low", "medium", "high"))
fit <- aov(spend_per_child ~ tertile, data = s)
a <- summary(fit)[[1]]
tk <- TukeyHSD(fit)$tertile
o <- ordinal::clm(category ~ deprivation, data = d,
                  control = ordinal::clm.control(gradTol = 1e-12, maxIter = 200))
m <- VGAM::vglm(category ~ deprivation, VGAM::multinomial(refLevel = "inadequate"), data = d,
                control = VGAM::vglm.control(epsilon = 1e-13, maxit = 100))
list(rho = unname(ct$estimate), p = ct$p.value, F = a[["F value"]][1],
     pF = a[["Pr(>F)"]][1], tukey = unname(tk[, "p adj"]), tukey_names = rownames(tk),
     clm_beta = unname(coef(o)["deprivation"]),
     clm_se = unname(sqrt(diag(vcov(o)))["deprivation"]),
     clm_zeta = unname(o$alpha), vglm_coef = coef(m), vglm_se = sqrt(diag(vcov(m))))
"""


def test_wilkins2018_against_r(r18):
    need_r_packages("ordinal", "VGAM")
    d = r18.tables["analysis_data"]
    cols = ["judgement", "rating", "deprivation_rank", "deprivation_tertile", "deprivation",
            "spend_per_child"]
    inp = d[cols].copy()
    inp["judgement"] = inp["judgement"].astype(str)
    got = call_r(R18, inp, packages=("ordinal", "VGAM")).value
    sp = r18.tables["table4_spearman"].set_index("variable").loc["deprivation_rank"]
    assert sp["rho"] == pytest.approx(float(got["rho"][0]), abs=EXACT_TOL)
    assert sp["p_value"] == pytest.approx(float(got["p"][0]), rel=EXACT_TOL)
    an = r18.tables["table8_anova"].set_index("judgement").loc["inadequate"]
    assert an["F"] == pytest.approx(float(got["F"][0]), rel=EXACT_TOL)
    assert an["p_value"] == pytest.approx(float(got["pF"][0]), rel=EXACT_TOL)
    tk = r18.tables["table8_tukey"]
    tk = tk[tk["judgement"] == "inadequate"].set_index("contrast")["p_adj"]
    for name, p in zip(got["tukey_names"], np.asarray(got["tukey"]), strict=True):
        assert tk[name] == pytest.approx(p, abs=TUKEY_TOL), name
    oc = r18.tables["ordinal_coefficients"]
    oc = oc[oc["model"] == "deprivation"]
    beta = oc[oc["coef_type"] == "coefficient"].iloc[0]
    assert beta["B"] == pytest.approx(float(got["clm_beta"][0]), abs=MODEL_TOL)
    assert beta["SE"] == pytest.approx(float(got["clm_se"][0]), rel=MODEL_TOL)
    np.testing.assert_allclose(oc.loc[oc["coef_type"] == "zeta", "B"],
                               np.asarray(got["clm_zeta"]), atol=MODEL_TOL)
    mn = r18.tables["multinomial"]
    mn = mn[(mn["model"] == "deprivation") & (mn["reference"] == "inadequate")]
    coef, se = got["vglm_coef"], got["vglm_se"]
    for k, level in ((1, "requires_improvement"), (2, "outstanding_good")):
        for term in ("(Intercept)", "deprivation"):
            row = mn[(mn["level"] == level) & (mn["term"] == term)].iloc[0]
            assert row["B"] == pytest.approx(float(coef[f"{term}:{k}"]), abs=MODEL_TOL)
            assert row["SE"] == pytest.approx(float(se[f"{term}:{k}"]), rel=MODEL_TOL)


R20 = """
d <- input$d
d$category <- factor(d$category, levels = c("low", "high"))
tt <- t.test(spend_total ~ category, data = d, var.equal = TRUE)
tert <- factor(c("low", "moderate", "high")[d$deprivation_tertile],
               levels = c("low", "moderate", "high"))
pw <- pairwise.t.test(d$spend_total, tert, p.adjust.method = "bonferroni")$p.value
f <- as.formula(paste("outcome ~", paste(input$terms, collapse = " + ")))
g <- glm(f, family = binomial, data = d, control = glm.control(epsilon = 1e-15, maxit = 100))
g0 <- glm(outcome ~ 1, family = binomial, data = model.frame(g),
          control = glm.control(epsilon = 1e-15))
n <- nobs(g)
ll <- as.numeric(logLik(g)); ll0 <- as.numeric(logLik(g0))
cs <- 1 - exp(2 * (ll0 - ll) / n)
list(t = unname(tt$statistic), p = tt$p.value, pw = c(pw[1, 1], pw[2, 1], pw[2, 2]),
     coef = coef(g), se = sqrt(diag(vcov(g))), chisq = g$null.deviance - g$deviance,
     nagelkerke = cs / (1 - exp(2 * ll0 / n)))
"""


def test_wilkins2020_against_r(r20):
    d = r20.tables["analysis_data"]
    t5 = r20.tables["table5"]
    terms = [r for r in t5["row"] if r not in ("Full model", "(Intercept)")]
    assert terms, "the synthetic panel's final model has predictors"
    cols = list(dict.fromkeys(["category", "outcome", "spend_total", "deprivation_tertile", *terms]))
    inp = d[cols].copy()
    inp["category"] = inp["category"].astype(str)
    got = call_r(R20, {"d": inp, "terms": terms}).value
    tt = r20.tables["ttests"].set_index("variable").loc["spend_total"]
    assert tt["t"] == pytest.approx(float(got["t"][0]), rel=EXACT_TOL)
    assert tt["p_value"] == pytest.approx(float(got["p"][0]), rel=EXACT_TOL)
    bf = r20.tables["spend_bonferroni"]
    bf = bf[bf["ofsted_category"] == "all"].set_index("contrast")["p_bonferroni"]
    np.testing.assert_allclose(bf[["moderate-low", "high-low", "high-moderate"]],
                               np.asarray(got["pw"]), rtol=EXACT_TOL)
    t5 = t5.set_index("row")
    coef, se = got["coef"], got["se"]
    for term in ["(Intercept)", *terms]:
        assert t5.loc[term, "B"] == pytest.approx(float(coef[term]), abs=MODEL_TOL)
        assert t5.loc[term, "SE"] == pytest.approx(float(se[term]), rel=MODEL_TOL)
    full = t5.loc["Full model"]
    assert full["chisq"] == pytest.approx(float(got["chisq"][0]), rel=MODEL_TOL)
    assert full["nagelkerke_r2"] == pytest.approx(float(got["nagelkerke"][0]), rel=MODEL_TOL)
    pd.testing.assert_index_equal(pd.Index(list(coef.index)), pd.Index(["(Intercept)", *terms]))


# ---- the studies' own python_vs_r tables ----------------------------------------------------

W18_TABLES = {"table4_spearman", "table8_anova", "table8_tukey", "ordinal_coefficients",
              "ordinal_fit", "multinomial", "multinomial_fit", "multinomial_lr_tests"}
W20_TABLES = {"spearman", "table4_long", "ttests", "spend_anova", "spend_bonferroni",
              "univariate_logits", "table5"}


def _not_within(vr: pd.DataFrame) -> str:
    return vr[~vr["within"]].to_string()


@pytest.mark.parametrize("options", [
    {},
    {"coding": "1=outstanding", "deprivation_measure": "rank", "spearman_exact": None,
     "references": ("requires_improvement", "outstanding_good")},
], ids=["defaults", "flipped-rank-other-references"])
def test_wilkins2018_python_vs_r(options):
    from replication.papers._wilkins import VS_R_COLUMNS
    from replication.parity.correlation import P_TOL, RHO_TOL
    from replication.parity.multinomial import TOL_VGAM
    from replication.parity.ordinal import TOL_ORDINAL

    need_r_packages("ordinal", "VGAM")
    res = wilkins2018.run(wilkins_panels.synthetic(0), with_r=True, **options)
    vr = res.tables["python_vs_r"]
    assert list(vr.columns) == list(VS_R_COLUMNS)
    assert vr["within"].all(), _not_within(vr)
    assert (vr["difference"] <= vr["tolerance"]).all()
    assert W18_TABLES <= set(vr["table"])
    t = res.tables
    # Table 4: rho and p of every variable the panel has, at METHODS' tolerances
    sp = t["table4_spearman"]
    sp = sp[sp["n"] > 0]
    got = vr[vr["table"] == "table4_spearman"]
    assert list(got.loc[got["quantity"] == "p_value", "row"]) == list(sp["variable"])
    np.testing.assert_array_equal(got.loc[got["quantity"] == "p_value", "python"],
                                  sp["p_value"])
    assert set(got.loc[got["quantity"] == "rho", "tolerance"]) == {RHO_TOL}
    assert set(got.loc[got["quantity"] == "p_value", "tolerance"]) == {P_TOL}
    # every ANOVA and Tukey contrast
    assert len(vr[vr["table"] == "table8_anova"]) == 2 * int(t["table8_anova"]["F"].notna().sum())
    assert (vr.loc[vr["table"] == "table8_tukey", "quantity"] == "p_adj").sum() == \
        len(t["table8_tukey"])
    # every ordinal coefficient and model, with the parallel-lines and Brant tests
    oc = vr[vr["table"] == "ordinal_coefficients"]
    assert len(oc) == 4 * len(t["ordinal_coefficients"])
    assert (oc["tolerance"] == TOL_ORDINAL).all()
    of = vr[vr["table"] == "ordinal_fit"]
    for q in ("parallel_chisq", "parallel_p_value", "brant_chisq", "nagelkerke_r2"):
        assert list(of.loc[of["quantity"] == q, "row"]) == list(t["ordinal_fit"]["model"])
    # every multinomial coefficient under each reference: B, SE, Wald, p, OR
    mn = vr[vr["table"] == "multinomial"]
    assert len(mn) == 5 * len(t["multinomial"])
    assert (mn["tolerance"] == TOL_VGAM).all()
    refs = options.get("references", wilkins2018.DEFAULT_OPTIONS["references"])
    for ref in refs:
        assert mn["row"].str.contains(f"; reference {ref}; ").any()
    assert len(vr[vr["table"] == "multinomial_lr_tests"]) == 2 * len(t["multinomial_lr_tests"])
    assert any("Python vs R (" in n and "within tolerance" in n for n in res.notes)


def test_wilkins2018_parallel_lines_where_the_general_model_is_no_mle():
    """Where a general cumulative fit is not valid (crossing curves, VGAM clamps or does not
    converge), the note names the model, and only its parallel-lines rows may part."""
    need_r_packages("ordinal", "VGAM")
    res = wilkins2018.run(wilkins_panels.synthetic(1), with_r=True,
                          references=("inadequate",))
    vr = res.tables["python_vs_r"]
    note = [n for n in res.notes if "test of parallel lines" in n]
    bad = vr[~vr["within"]]
    assert set(bad["quantity"]) <= {"parallel_chisq", "parallel_p_value"}, _not_within(vr)
    for model in set(bad["row"]):
        assert note, "rows part but no note says why"
        assert f" {model} (VGAM's general model: " in note[0], note[0]


@pytest.mark.parametrize("options", [
    {},
    {"coding": "1=outstanding", "rating_scale": "four_point", "spearman_exact": None,
     "stepwise_method": "enter"},
], ids=["defaults", "flipped-four-point-enter"])
def test_wilkins2020_python_vs_r(options):
    from replication.papers._wilkins import VS_R_COLUMNS
    from replication.parity.groups import GROUPS_TOL
    from replication.parity.logistic import LOGIT_TOL

    res = wilkins2020.run(wilkins_panels.synthetic(0), figures=False, with_r=True, **options)
    vr = res.tables["python_vs_r"]
    assert list(vr.columns) == list(VS_R_COLUMNS)
    assert vr["within"].all(), _not_within(vr)
    assert W20_TABLES <= set(vr["table"])
    t = res.tables
    sp = t["spearman"]
    assert (vr["table"] == "spearman").sum() == 2 * int((sp["n"] > 0).sum())
    assert "deprivation~spend_total" in set(vr.loc[vr["table"] == "spearman", "row"])
    assert (vr["table"] == "table4_long").sum() == 2 * len(t["table4_long"])
    tt = vr[vr["table"] == "ttests"]
    assert (tt["quantity"] == "t").sum() == int(t["ttests"]["t"].notna().sum())
    assert (tt["tolerance"] == GROUPS_TOL).all()
    assert (vr["table"] == "spend_bonferroni").sum() == 2 * len(t["spend_bonferroni"])
    uni = vr[vr["table"] == "univariate_logits"]
    assert set(uni["quantity"]) == {"B", "SE", "wald", "p_value", "odds_ratio", "or_conf_low",
                                    "or_conf_high", "nagelkerke_r2"}
    assert set(uni["row"]) == set(t["univariate_logits"].dropna(subset=["B"])["variable"])
    assert (uni["tolerance"] == LOGIT_TOL).all()
    t5 = vr[vr["table"] == "table5"]
    assert set(t5["row"]) == set(t["table5"]["row"])
    full = t5[t5["row"] == "Full model"].set_index("quantity")
    assert {"chisq", "nagelkerke_r2", "cox_snell_r2", "p_value"} <= set(full.index)
    stepwise = [n for n in res.notes if "selection itself is SPSS's rule" in n]
    assert bool(stepwise) == (options.get("stepwise_method") != "enter")
