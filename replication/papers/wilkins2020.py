"""Wilkins & Antonopoulou (2020): do performance indicators predict Ofsted ratings? The
first inspections under the ILACS framework.

METHODS section 2. Reads as the paper's method section:

Sample. The LAs inspected under ILACS between January 2018 and March 2019 (paper: 47), in
two categories of their overall rating: low = inadequate or requires improvement (24),
high = good or outstanding (23) (Table 1; Figure 1 the four ratings). :func:`select_sample`
re-applies the rule to ``panel.las``; the run lists every LA in or out, with the reason.

Measures. Deprivation: the IMD rank, ranked within the sample (1 = least deprived) and cut
into tertiles high / moderate / low (Table 2: 16/15/16). Spend per child (s251, 2017-18):
total spend per child 0-17, under-5s spend per child 0-17, safeguarding spend per child in
need, children-in-care spend per child in care. The 45 variables of Table 3 for 2017-18,
as far as the panel has them (table ``variables`` says which).

Analyses.
1. Spearman's rho of the overall rating with the sub-judgements, and with every variable;
   the correlation matrix of Table 4 (rating, referral, CIN, CP and CIC rates) with * (p <
   .05) and ** (p < .01).
2. Student t-tests (pooled variance, t(45) as SPSS prints) between the low and high
   categories for every variable; one-way ANOVA of total spend per child across deprivation
   tertiles, over all LAs and within each category, with Bonferroni-corrected pairwise
   comparisons.
3. Univariate binary logistic regressions of the category on each variable; then the
   multivariable model by stepwise selection among the significant ones: model chi-square
   and df, Nagelkerke R2, and per predictor B, SE, Wald, p, odds ratio and 95% CI (Table 5).
4. The published numbers beside the reproduced ones (``published_vs_reproduced``).
5. With ``with_r=True`` and R installed: every model table re-computed in R on the same LAs
   (cor.test, t.test, aov, pairwise.t.test, glm) beside ours, with the tolerances of METHODS
   section 3 (``python_vs_r``). R fits the final model the stepwise rule chose; the
   selection itself is SPSS's rule and is not compared.

Named options (:data:`DEFAULT_OPTIONS`; stated in every table's ``options`` column):
``coding`` ("1=inadequate": codes rise with the rating, the binary outcome is 1 = high, as
the published signs imply; "1=outstanding" flips every rho, t, B and inverts every odds
ratio), ``rating_scale`` (the rating in the correlations: the two categories or the four
grades), ``deprivation_rank``, ``tertiles``, ``window``, ``data_year``, ``spend_year``,
``spearman_exact``, ``stepwise_method``, ``candidate_p``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from models.groups import aov, pairwise_t_test, t_test
from models.logistic import logit, score_tests, stepwise_logit
from replication.papers._base import OptionDoc, StudyResult
from replication.papers._compare import (
    REASON_NOT_IN_PANEL,
    REASON_SYNTHETIC,
    Reproduced,
    published_vs_reproduced,
    significance_mark,
    vs_r_row,
)
from replication.papers._wilkins import (
    CHISQ_FLOOR,
    CODINGS,
    FOUR_GRADES,
    R_SPEARMAN,
    Variable,
    check_choice,
    coded_levels,
    coding_text,
    compare_with_r,
    deprivation,
    group_stats,
    imd_source,
    rating_codes,
    spearman_pairs,
    spearman_rows,
    spearman_with,
    stamp,
    study_exclusions,
    values_at,
    variable_values,
    variables_table,
    vs_r_frame,
    wald_rows,
)

STUDY = "wilkins2020"

CATEGORIES = ("high", "low")
"""The two categories, best first: high = good or outstanding, low = inadequate or RI."""
CATEGORY_OF = {"outstanding": "high", "good": "high", "requires_improvement": "low",
               "inadequate": "low"}
CATEGORY_LABELS = {"low": "Low Ofsted ratings (inadequate and requires improvement)",
                   "high": "High Ofsted ratings (good and outstanding)"}
PAPER_SAMPLE = {"low": 24, "high": 23}
PAPER_GRADES = {"outstanding": 5, "good": 18, "requires_improvement": 17, "inadequate": 7}
"""Printed: inadequate 7, outstanding 5; good and requires improvement follow from Table 1
(23 - 5 and 24 - 7)."""
PAPER_TERTILES = {"high": 16, "moderate": 15, "low": 16}
PAPER_N = 47
TERTILE_NAMES = {1: "low", 2: "moderate", 3: "high"}
"""Table 2's names of the deprivation tertiles (1 = least deprived)."""

ILACS_SUBJUDGEMENTS = {
    "ilacs_help_protection": "experiences and progress of children who need help and protection",
    "ilacs_in_care": "experiences and progress of children in care",
    "ilacs_leaders": "impact of leaders on social work practice",
}

RATING_SCALES = ("two_category", "four_point")
STEPWISE_METHODS = ("forward_lr", "forward_wald", "forward_conditional", "backward_lr",
                    "backward_wald", "backward_conditional", "aic", "enter")


def _v(number, name, label, group, indicator=None, transform="value", definition="",
       lower=None) -> Variable:
    return Variable(name, label, group, indicator, transform, definition, lower, number)


VARIABLES: tuple[Variable, ...] = (
    _v(1, "referral_rate", "Referral rate per 10,000", "population", "referrals",
       definition="referrals in the year per 10,000 children 0-17"),
    _v(2, "cin_rate", "Child in need rate per 10,000", "population", "cin_rate",
       definition="children in need at 31 March per 10,000 children 0-17"),
    _v(3, "cp_rate", "Child protection rate per 10,000", "population", "cpp",
       definition="children on a CP plan at 31 March per 10,000 children 0-17"),
    _v(4, "cic_rate", "Children in care per 10,000", "population", "cla_rate",
       definition="children looked after at 31 March per 10,000 children 0-17"),
    _v(5, "deprivation", "Local authority deprivation (rank, 1 = least deprived)",
       "population", "las:imd_rank", definition="IMD rank re-ranked within the sample"),
    _v(6, "spend_total", "Total spend per child (GBP)", "population", "spend_per_child",
       definition="s251 children's services spend per child 0-17"),
    _v(6, "spend_under5", "Under-5s spend per child (GBP)", "population", None),
    _v(6, "spend_safeguarding", "Safeguarding spend per child in need (GBP)", "population",
       "spend_safeguarding", "per_cin",
       definition="s251 safeguarding spend / children in need at 31 March"),
    _v(6, "spend_cic", "Children in care spend per child in care (GBP)", "population",
       "spend_cla", "per_cla", definition="s251 children looked after spend / children "
                                         "looked after at 31 March"),
    _v(7, "assessments_overdue", "Assessments overdue (%)", "CIN procedural",
       "assessments_within_45_days", "complement",
       definition="100 - assessments completed within 45 working days (%)", lower=True),
    _v(8, "cp_reviews_overdue", "Child protection reviews overdue (%)", "CIN procedural",
       lower=True),
    _v(9, "repeat_referrals", "Repeat referrals (%)", "CIN outcomes", "re_referrals",
       lower=True),
    _v(10, "cin_persistently_absent", "CIN persistently absent from education (%)",
       "CIN outcomes", "cin_persistent_absence",
       definition="children in need at 31 March other than those on a CP plan or looked after "
                  "(CINO) absent from 10% or more of sessions over six half terms (%); the "
                  "paper's 'children in need' may include those on a plan", lower=True),
    _v(11, "cin_fixed_exclusion", "CIN with a fixed term exclusion (%)", "CIN outcomes",
       "cin_suspension", definition="CINO pupils with one or more suspensions (fixed-period "
                                    "exclusions) in the same academic year (%); the 2017/18 "
                                    "release the paper used may have carried 2016/17 "
                                    "exclusions", lower=True),
    _v(12, "cin_unauthorised_absence", "Unauthorised absences of CIN (% of sessions)",
       "CIN outcomes", "cin_unauthorised_absence",
       definition="sessions of unauthorised absence of CINO pupils / possible sessions (%), "
                  "six half terms", lower=True),
    _v(13, "cin_sen_support", "CIN with SEN receiving SEN support (%)", "CIN outcomes",
       "cin_sen_support", definition="CINO pupils on SEN support, as a % of all CINO pupils "
                                     "(the paper's wording may mean % of those with SEN)"),
    _v(14, "cin_ks2_maths", "CIN meeting expected KS2 mathematics (%)", "CIN outcomes",
       "cin_ks2_maths", definition="CINO pupils meeting the expected standard in KS2 "
                                   "mathematics (%)", lower=False),
    _v(15, "cin_ks2_writing", "CIN meeting expected KS2 writing (%)", "CIN outcomes",
       "cin_ks2_writing", definition="CINO pupils meeting the expected standard in KS2 "
                                     "writing (teacher assessment) (%)", lower=False),
    _v(16, "cin_ks2_reading", "CIN meeting expected KS2 reading (%)", "CIN outcomes",
       "cin_ks2_reading", definition="CINO pupils meeting the expected standard in KS2 "
                                     "reading (%)", lower=False),
    _v(17, "cin_ks2_rwm", "CIN meeting expected KS2 reading, writing and maths (%)",
       "CIN outcomes", "cin_ks2_rwm", definition="CINO pupils meeting the expected standard "
                                                 "in KS2 reading, writing and mathematics (%)",
       lower=False),
    _v(18, "cin_ks2_gps", "CIN meeting expected KS2 grammar, spelling and punctuation (%)",
       "CIN outcomes", "cin_ks2_gps", definition="CINO pupils meeting the expected standard "
                                                 "in KS2 grammar, punctuation and spelling (%)",
       lower=False),
    _v(19, "cin_gcse_level4", "CIN level 4 GCSE pass rate (%)", "CIN outcomes",
       "cin_gcse_em_grade4", definition="CINO pupils at the end of KS4 with grade 4 or above "
                                        "in both English and mathematics GCSEs (%)",
       lower=False),
    _v(20, "cin_gcse_level5", "CIN level 5 GCSE pass rate (%)", "CIN outcomes",
       "cin_gcse_em_grade5", definition="CINO pupils at the end of KS4 with grade 5 or above "
                                        "in both English and mathematics GCSEs (%)",
       lower=False),
    _v(21, "repeat_cp_plans", "Repeat child protection plans (%)", "CIN outcomes",
       "cpp_second_or_subsequent", lower=True),
    _v(22, "cp_plans_2_years", "Child protection plans lasting 2+ years (%)", "CIN outcomes",
       "cpp_2_years_plus", definition="CP plans ended in the year that had lasted 2 years or "
                                      "more (%)", lower=True),
    _v(23, "cic_health_assessment", "CIC with an up-to-date health assessment (%)",
       "CIC procedural", "cla_health_assessment",
       definition="children looked after 12 months at 31 March whose annual health "
                  "assessment was up to date (%)", lower=False),
    _v(24, "cic_dental_check", "CIC with an up-to-date dental check (%)", "CIC procedural",
       "cla_dental_check", definition="children looked after 12 months at 31 March whose "
                                      "teeth were checked by a dentist (%)", lower=False),
    _v(25, "cic_persistently_absent", "CIC persistently absent from education (%)",
       "CIC education", "cla_persistent_absence",
       definition="children looked after 12 months absent from 10% or more of sessions over "
                  "six half terms (%; the original 2017/18 release used five half terms)",
       lower=True),
    _v(26, "cic_unauthorised_absence", "Unauthorised absences of CIC (% of sessions)",
       "CIC education", "cla_unauthorised_absence",
       definition="sessions of unauthorised absence of children looked after 12 months / "
                  "possible sessions (%), six half terms", lower=True),
    _v(27, "cic_ks2_reading", "CIC meeting expected KS2 reading (%)", "CIC education",
       "cla_ks2_reading", definition="children looked after 12 months meeting the expected "
                                     "standard in KS2 reading (%)", lower=False),
    _v(28, "cic_ks2_progress_writing", "CIC average KS2 progress in writing", "CIC education",
       lower=False),
    _v(29, "cic_ks2_progress_maths", "CIC average KS2 progress in mathematics",
       "CIC education", lower=False),
    _v(30, "cic_gcse_level5", "CIC level 5 GCSE pass rate (%)", "CIC education",
       "cla_gcse_em_grade5", definition="children looked after 12 months at the end of KS4 "
                                        "with grade 5 or above in English and mathematics "
                                        "(%; most LA cells suppressed)", lower=False),
    _v(31, "cic_attainment8", "CIC average Attainment 8 score", "CIC education",
       "cla_attainment8", definition="average Attainment 8 score of children looked after "
                                     "12 months at the end of KS4", lower=False),
    _v(32, "cic_progress8", "CIC average Progress 8 score", "CIC education", lower=False),
    _v(33, "cic_substance_misuse", "CIC with a substance misuse problem (%)", "CIC health",
       "cla_substance_misuse", definition="children looked after 12 months identified as "
                                          "having a substance misuse problem (%)", lower=True),
    _v(34, "cic_substance_intervention",
       "CIC with a substance misuse problem receiving an intervention (%)", "CIC health",
       "cla_substance_intervention",
       definition="of those identified with a substance misuse problem, the % who received an "
                  "intervention", lower=False),
    _v(35, "cic_sdq_mean", "CIC average SDQ score", "CIC health", "cla_sdq_mean",
       definition="average SDQ score of children looked after 12 months aged 5-16",
       lower=True),
    _v(36, "cic_sdq_concern", "CIC with concerning SDQ scores (%)", "CIC health",
       "cla_sdq_concern", definition="SDQ score a cause for concern, as a % of the SDQ "
                                     "scores received (children aged 5-16)", lower=True),
    _v(37, "cic_immunisations", "CIC with up-to-date immunisations (%)", "CIC health",
       "cla_immunisations", definition="children looked after 12 months whose immunisations "
                                       "were up to date (%)", lower=False),
    _v(38, "cic_placed_20_miles", "CIC placed 20+ miles from home (%)", "CIC other",
       lower=True),
    _v(39, "cic_missing", "CIC with a missing episode (%)", "CIC other", "cla_missing",
       definition="children looked after who went missing in the year (%)", lower=True),
    _v(40, "cic_convicted", "CIC with a criminal conviction (%)", "CIC other",
       "cla_convicted", definition="children looked after 12 months aged 10-17 convicted or "
                                   "subject to a youth caution or youth conditional caution "
                                   "in the year (%; cautions included)", lower=True),
    _v(41, "cic_3_placements", "CIC with 3+ placement moves in one year (%)", "CIC other",
       "cla_3_placements", definition="children looked after at 31 March with 3 or more "
                                      "placements during the year (%)", lower=True),
    _v(42, "cic_stable_placement", "CIC with a stable placement (%)", "CIC other",
       "cla_long_term_stability",
       definition="children looked after 2.5 years or more, under 16, in the same placement "
                  "for 2 years or more (%; DfE's long-term stability measure)", lower=False),
    _v(43, "care_leavers_neet", "Care leavers (19-21) not in education, employment or "
                                "training (%)", "leaving care", "care_leavers_neet_19_21",
       definition="care leavers aged 19-21 not in education, employment or training, as a % "
                  "of all care leavers 19-21 (information not known in the base)", lower=True),
    _v(44, "care_leavers_unsuitable", "Care leavers in unsuitable accommodation (%)",
       "leaving care", "care_leavers_unsuitable_19_21",
       definition="care leavers aged 19-21 in accommodation considered not suitable, as a % "
                  "of all care leavers 19-21 (no information in the base)", lower=True),
    _v(45, "care_leavers_custody", "Care leavers in custody (%)", "leaving care", lower=True),
)
"""Table 3's 45 variables (spending counts as one, item 6, with four measures) in the
panel's vocabulary; ``indicator=None`` where the panel does not have them."""

SPEND = ("spend_total", "spend_under5", "spend_safeguarding", "spend_cic")
TABLE4 = ("referral_rate", "cin_rate", "cp_rate", "cic_rate")
TABLE4_LABELS = {"rating": "Ofsted overall judgement", "referral_rate": "Referral rate",
                 "cin_rate": "CIN rate", "cp_rate": "CP rate", "cic_rate": "CIC rate"}

DEFAULT_OPTIONS: dict[str, Any] = {
    "coding": "1=inadequate",
    "rating_scale": "two_category",
    "window": ("2018-01-01", "2019-03-31"),
    "data_year": 2018,
    "spend_year": 2018,
    "deprivation_rank": "sample",
    "tertiles": "sample",
    "spearman_exact": False,
    "stepwise_method": "forward_lr",
    "p_enter": 0.05,
    "p_remove": 0.10,
    "candidate_p": 0.05,
}
"""Every option of :func:`run` and its default.

coding           "1=inadequate" (low = 1, high = 2; the logit's event is 'high') or
                 "1=outstanding" (the reverse: every sign flips)
rating_scale     the rating in the Spearman tests: "two_category" (low/high) or "four_point"
window           ILACS inspection dates included (inclusive)
data_year        the year (ending 31 March) of the variables: 2018 = 2017-18
spend_year       the financial year (ending 31 March) of the s251 spend
deprivation_rank "sample" (re-ranked 1..n within the sample, 1 = least deprived) or
                 "national"
tertiles         "sample" (cut within the sample: 16/15/16 for 47) or "panel"
spearman_exact   False: t-approximation p-values, as SPSS; None: R's default
stepwise_method  a method of :func:`models.logistic.stepwise_logit` ("forward_lr" default,
                 SPSS's Forward: LR), or "enter" (all candidates at once)
p_enter, p_remove  the stepwise entry and removal levels (SPSS's defaults)
candidate_p      univariate p below which a variable is a candidate for the final model
"""

OPTION_DOCS: dict[str, OptionDoc] = {
    "coding": OptionDoc('"1=outstanding" (flips every rho, t and B; inverts every odds ratio)',
                        "the binary outcome is 1 = high, as the published signs imply"),
    "rating_scale": OptionDoc('"four_point": the four grades in the correlations',
                              "the paper's two categories"),
    "window": OptionDoc("any (first, last) dates", "ILACS January 2018 to March 2019: the "
                                                   "paper's 47 LAs"),
    "data_year": OptionDoc("any panel year", "2017-18, the paper's"),
    "spend_year": OptionDoc("any financial year in the panel", "2017-18, the paper's"),
    "deprivation_rank": OptionDoc('"national"', "re-ranked 1..n within the sample"),
    "tertiles": OptionDoc('"panel" (the panel\'s tertiles)', "cut within the sample: "
                                                              "16/15/16 for 47"),
    "spearman_exact": OptionDoc("None: R's default (exact for small n without ties); True",
                                "t-approximation p-values, as SPSS prints"),
    "stepwise_method": OptionDoc("forward_wald, forward_conditional, backward_lr, "
                                 'backward_wald, "aic" (R\'s step), "enter"',
                                 "SPSS's Forward: LR"),
    "p_enter": OptionDoc("any level", "SPSS's default"),
    "p_remove": OptionDoc("any level above p_enter", "SPSS's default"),
    "candidate_p": OptionDoc("any level", "the paper's: significant in a univariate model"),
}
"""Alternatives of each option and why its default is what it is (the report's options
table)."""


# ---- sample -------------------------------------------------------------------------------

def select_sample(las: pd.DataFrame, *, window: tuple[str, str] = ("2018-01-01",
                                                                     "2019-03-31")
                  ) -> pd.DataFrame:
    """One row per LA of ``las``: la_code, name, ilacs_date, ilacs_judgement, category,
    included, reason. Included: an ILACS inspection dated within ``window`` (inclusive)
    with an overall rating. An LA that no longer exists is flagged in the reason."""
    if "la_code" not in las.columns:
        raise KeyError("las: column 'la_code' is required")
    for col in ("ilacs_date", "ilacs_judgement"):
        if col not in las.columns:
            raise KeyError(f"las: column {col!r} is required to select the wilkins2020 sample")
    lo, hi = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    date = pd.to_datetime(las["ilacs_date"])
    rows = []
    for i, r in las.iterrows():
        d = date[i]
        g = r["ilacs_judgement"]
        g = str(g) if isinstance(g, str) and g in CATEGORY_OF else None
        status = str(r.get("status", "") or "")
        gone = "abolished" in status.lower() or "no longer" in status.lower()
        if pd.isna(d):
            ok, why = False, "no ILACS inspection in the Ofsted data"
        elif d < lo:
            ok, why = False, f"first ILACS inspection {d.date()}: before {lo.date()}"
        elif d > hi:
            ok, why = False, f"first ILACS inspection {d.date()}: after {hi.date()}"
        else:
            ok, why = True, f"ILACS inspection {d.date()}"
        if ok and g is None:
            ok, why = False, why + "; no overall rating"
        if gone and pd.notna(d):
            why += f"; the LA no longer exists ({status}): it may not be in the paper's sample"
        rows.append((r["la_code"], r.get("name", ""), d, g, CATEGORY_OF.get(g) if g else None,
                     ok, why))
    out = pd.DataFrame(rows, columns=["la_code", "name", "ilacs_date", "ilacs_judgement",
                                      "category", "included", "reason"])
    out["la_code"] = out["la_code"].astype("int64")
    out["included"] = out["included"].astype(bool)
    return out


# ---- the analysis data ----------------------------------------------------------------------

def analysis_data(panel, sample: pd.DataFrame, opt: dict) -> tuple[pd.DataFrame, list[str]]:
    """One row per sampled LA: rating, category, outcome, deprivation and the variables."""
    notes: list[str] = []
    s = sample[sample["included"]].set_index("la_code")
    codes = list(s.index)
    data = pd.DataFrame(index=pd.Index(codes, name="la_code"))
    data["name"] = s["name"]
    data["ilacs_judgement"] = s["ilacs_judgement"]
    data["category"] = s["category"]
    order = coded_levels(CATEGORIES, opt["coding"])
    data["category_code"] = rating_codes(s["category"], CATEGORIES, opt["coding"])
    data["grade_code"] = rating_codes(s["ilacs_judgement"], FOUR_GRADES, opt["coding"])
    data["rating"] = data["category_code" if opt["rating_scale"] == "two_category"
                          else "grade_code"]
    data["outcome"] = (s["category"] == order[-1]).astype(float)
    dep = deprivation(codes, panel.las, rank=opt["deprivation_rank"], tertiles=opt["tertiles"])
    data = data.join(dep)
    data["deprivation"] = data["deprivation_rank"]
    no_imd = data[data["deprivation"].isna()]
    if len(no_imd):
        notes.append("Sampled LA(s) without an IMD rank in the panel, left out of the "
                     "deprivation analyses: " + ", ".join(
                         f"{r['name']} ({i})" for i, r in no_imd.iterrows()) + ".")
    present = set(panel.long["indicator"].unique())
    needed = sorted({n for v in VARIABLES for n in v.needs if n in present})
    year = pd.Series(opt["data_year"], index=data.index)
    rows = values_at(panel, year, needed)
    spend_needed = sorted({n for v in VARIABLES if v.name in SPEND for n in v.needs
                           if n in present})
    srows = values_at(panel, pd.Series(opt["spend_year"], index=data.index), spend_needed)
    for v in VARIABLES:
        if v.name == "deprivation":
            continue
        src = srows if v.name in SPEND else rows
        data[v.name] = variable_values(src, v).to_numpy()
    return data, notes


def present_variables(panel) -> set[str]:
    return set(panel.long["indicator"].unique()) | {"las:imd_rank"}


def analysed(data: pd.DataFrame) -> list[str]:
    """The variables with enough values to analyse (at least 3 in each category)."""
    out = []
    for v in VARIABLES:
        if v.name not in data:
            continue
        ok = data[v.name].notna()
        if all((ok & (data["category"] == c)).sum() >= 3 for c in CATEGORIES):
            out.append(v.name)
    return out


# ---- tables ---------------------------------------------------------------------------------

def ratings_table(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Figure 1 (the four ratings, %), Table 1 (low/high), Table 2 (deprivation tertiles)."""
    n = len(data)
    fig = pd.DataFrame([{"rating": g, "n": int((data["ilacs_judgement"] == g).sum())}
                        for g in FOUR_GRADES])
    fig["percent"] = 100 * fig["n"] / n if n else np.nan
    t1 = pd.DataFrame([{"category": CATEGORY_LABELS[c], "code": c,
                        "frequency": int((data["category"] == c).sum())}
                       for c in ("low", "high")])
    t1 = pd.concat([t1, pd.DataFrame([{"category": "Total", "code": "total",
                                       "frequency": int(t1["frequency"].sum())}])],
                   ignore_index=True)
    t1["percent"] = 100 * t1["frequency"] / n if n else np.nan
    d = data.dropna(subset=["deprivation_tertile"])
    t2 = pd.DataFrame([{"deprivation": f"{TERTILE_NAMES[t].capitalize()} deprivation",
                        "tertile": TERTILE_NAMES[t],
                        "frequency": int((d["deprivation_tertile"] == t).sum())}
                       for t in (3, 2, 1)])
    t2 = pd.concat([t2, pd.DataFrame([{"deprivation": "Total", "tertile": "total",
                                       "frequency": int(t2["frequency"].sum())}])],
                   ignore_index=True)
    t2["percent"] = 100 * t2["frequency"] / len(d) if len(d) else np.nan
    return fig, t1, t2


def subjudgement_codes(panel, data: pd.DataFrame, coding: str) -> pd.DataFrame | None:
    """The overall grade ('overall') and the ILACS sub-judgements of the sampled LAs, coded by
    ``coding`` on the four grades; None when the panel has no sub-judgements."""
    las = panel.las.set_index("la_code").reindex(data.index)
    cols = [c for c in ILACS_SUBJUDGEMENTS if c in las.columns]
    if not cols:
        return None
    d = pd.DataFrame({"overall": data["grade_code"]})
    for c in cols:
        d[c] = rating_codes(las[c], FOUR_GRADES, coding)
    return d


def subjudgements(panel, data: pd.DataFrame, coding: str, exact) -> pd.DataFrame:
    """Spearman rho of the overall rating (four grades) with each sub-judgement."""
    d = subjudgement_codes(panel, data, coding)
    if d is None:
        return pd.DataFrame({"subjudgement": list(ILACS_SUBJUDGEMENTS),
                             "label": list(ILACS_SUBJUDGEMENTS.values()), "rho": np.nan,
                             "p_value": np.nan, "n": 0, "mark": "",
                             "note": "the panel has no ILACS sub-judgements"})
    cols = [c for c in ILACS_SUBJUDGEMENTS if c in d.columns]
    out = spearman_with(d, "overall", cols, exact).rename(columns={"variable": "subjudgement"})
    out.insert(1, "label", out["subjudgement"].map(ILACS_SUBJUDGEMENTS))
    out["note"] = ""
    return out


def spearman_table(data: pd.DataFrame, exact) -> pd.DataFrame:
    out = spearman_with(data, "rating", [v.name for v in VARIABLES], exact)
    lab = {v.name: v for v in VARIABLES}
    out.insert(0, "number", out["variable"].map(lambda n: lab[n].number).astype("Int64"))
    out.insert(2, "label", out["variable"].map(lambda n: lab[n].label))
    out.insert(3, "group", out["variable"].map(lambda n: lab[n].group))
    out["note"] = ["" if n > 0 else REASON_NOT_IN_PANEL for n in out["n"]]
    extra = spearman_with(data, "deprivation", ["spend_total"], exact).iloc[0]
    row = {"number": pd.NA, "variable": "deprivation~spend_total",
           "label": "Deprivation with total spend per child", "group": "population",
           "rho": extra["rho"], "p_value": extra["p_value"], "n": extra["n"],
           "mark": extra["mark"], "note": "between the two variables, not with the rating"}
    return pd.concat([out, pd.DataFrame([row])], ignore_index=True)


def table4(data: pd.DataFrame, exact) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 4: the Spearman matrix of the rating and the four population rates, as printed
    (rho to 3 decimals, no leading zero, * p < .05, ** p < .01) and as numbers (long)."""
    from models.correlation import cor_matrix

    cols = ["rating", *(c for c in TABLE4 if data[c].notna().sum() >= 3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = cor_matrix(data[cols].astype(float), method="spearman", exact=exact)
    marked = cm.marked(digits=3, leading_zero=False)
    marked = marked.rename(index=TABLE4_LABELS, columns=TABLE4_LABELS)
    marked.insert(0, "row", marked.index)
    long = cm.long[["var1", "var2", "estimate", "p_value", "n"]].rename(
        columns={"estimate": "rho"})
    long["mark"] = [significance_mark(p) for p in long["p_value"]]
    return marked.reset_index(drop=True), long


def ttests(data: pd.DataFrame, coding: str) -> pd.DataFrame:
    """Pooled-variance t-test of every variable between the categories: the group coded 1
    minus the group coded 2 (low minus high under coding '1=inadequate')."""
    first, second = coded_levels(CATEGORIES, coding)
    rows = []
    for v in VARIABLES:
        x = data.loc[data["category"] == first, v.name].dropna() if v.name in data else []
        y = data.loc[data["category"] == second, v.name].dropna() if v.name in data else []
        row = {"number": v.number, "variable": v.name, "label": v.label, "group1": first,
               "group2": second, "n1": len(x), "mean1": np.mean(x) if len(x) else np.nan,
               "sd1": np.std(x, ddof=1) if len(x) > 1 else np.nan, "n2": len(y),
               "mean2": np.mean(y) if len(y) else np.nan,
               "sd2": np.std(y, ddof=1) if len(y) > 1 else np.nan,
               "t": np.nan, "df": np.nan, "p_value": np.nan, "note": ""}
        if len(x) >= 2 and len(y) >= 2:
            try:
                r = t_test(x.to_numpy(), y.to_numpy(), var_equal=True)
                row.update({"t": r.statistic, "df": r.parameter, "p_value": r.p_value})
            except ValueError as exc:
                row["note"] = str(exc)
        else:
            row["note"] = REASON_NOT_IN_PANEL if not (len(x) or len(y)) else \
                "fewer than 2 values in a group"
        rows.append(row)
    out = pd.DataFrame(rows)
    out["number"] = out["number"].astype("Int64")
    return out


def spend_frame(data: pd.DataFrame) -> pd.DataFrame:
    """The LAs with total spend and a deprivation tertile, with ``tertile`` a Categorical
    (low, moderate, high = 1, 2, 3: 1 least deprived)."""
    d = data.dropna(subset=["spend_total", "deprivation_tertile"])
    names = [TERTILE_NAMES[t] for t in (1, 2, 3)]
    return d.assign(tertile=pd.Categorical(d["deprivation_tertile"].map(TERTILE_NAMES),
                                           categories=names))


def spend_by_deprivation(data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Total spend per child across deprivation tertiles: means, one-way ANOVA and
    Bonferroni-corrected pairwise t-tests (pooled SD), over all LAs and within each
    category."""
    d = spend_frame(data)
    names = [TERTILE_NAMES[t] for t in (1, 2, 3)]
    stat_rows, an_rows, bf_rows = [], [], []
    for grp in ("all", "low", "high"):
        sub = d if grp == "all" else d[d["category"] == grp]
        st = group_stats(sub["spend_total"], sub["tertile"].astype(object), names)
        for r in st.itertuples(index=False):
            stat_rows.append({"ofsted_category": grp, "deprivation": r.group, "n": r.n,
                              "mean": r.mean, "sd": r.sd})
        row = {"ofsted_category": grp, "F": np.nan, "df1": np.nan, "df2": np.nan,
               "p_value": np.nan, "n": len(sub), "note": ""}
        try:
            a = aov(sub["spend_total"].to_numpy(), sub["tertile"].array)
            row.update({"F": a.statistic, "df1": float(a.table["df"].iloc[0]),
                        "df2": float(a.table["df"].iloc[1]), "p_value": a.p_value})
            pw = pairwise_t_test(sub["spend_total"].to_numpy(), sub["tertile"].array,
                                 p_adjust="bonferroni")
            for r in pw.long.itertuples(index=False):
                bf_rows.append({"ofsted_category": grp, "contrast": f"{r.group1}-{r.group2}",
                                "difference": r.estimate, "t": r.statistic, "df": r.df,
                                "p_unadjusted": r.p_unadjusted, "p_bonferroni": r.p_value})
        except ValueError as exc:
            row["note"] = str(exc)
        an_rows.append(row)
    bf = pd.DataFrame(bf_rows, columns=["ofsted_category", "contrast", "difference", "t", "df",
                                        "p_unadjusted", "p_bonferroni"])
    return {"spend_by_deprivation": pd.DataFrame(stat_rows),
            "spend_anova": pd.DataFrame(an_rows), "spend_bonferroni": bf}


def _logit_row(res, term: str) -> dict:
    t = res.tidy().set_index("term")
    r = t.loc[term]
    return {"B": r["estimate"], "SE": r["std_error"], "wald": r["wald"], "df": 1,
            "p_value": r["p_value"], "odds_ratio": r["odds_ratio"],
            "or_conf_low": r["or_conf_low"], "or_conf_high": r["or_conf_high"]}


def univariate_logits(data: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """A binary logit of the outcome on each variable alone (glm, Wald intervals)."""
    rows, notes = [], []
    lab = {v.name: v for v in VARIABLES}
    for v in VARIABLES:
        row = {"number": v.number, "variable": v.name, "label": v.label, "n": 0}
        if v.name in names:
            d = data[["outcome", v.name]].dropna()
            row["n"] = len(d)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = logit(f"outcome ~ {v.name}", d)
            row.update(_logit_row(res, v.name))
            row["nagelkerke_r2"] = res.nagelkerke_r2
            msgs = sorted({str(w.message) for w in caught})
            row["warnings"] = "; ".join(msgs)
            if msgs:
                notes.append(f"univariate logit of {lab[v.name].label}: {msgs[0]}")
        else:
            row["note"] = REASON_NOT_IN_PANEL if v.indicator is None else "too few values"
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("B", "SE", "wald", "df", "p_value", "odds_ratio", "or_conf_low", "or_conf_high",
              "nagelkerke_r2", "warnings", "note"):
        if c not in out:
            out[c] = np.nan if c not in ("warnings", "note") else ""
    out["number"] = out["number"].astype("Int64")
    out["warnings"] = out["warnings"].fillna("")
    out["note"] = out["note"].fillna("")
    return out, notes


def final_model(data: pd.DataFrame, uni: pd.DataFrame, opt: dict
                ) -> tuple[pd.DataFrame, pd.DataFrame, Any, list[str]]:
    """Table 5: the stepwise model among the univariate candidates (p < candidate_p).
    Returns (table5, steps, the final LogitResult or None, notes)."""
    notes: list[str] = []
    cand = uni.loc[uni["p_value"] < opt["candidate_p"], "variable"].tolist()
    empty_steps = pd.DataFrame()
    if not cand:
        notes.append("No variable reached the univariate candidate level: no final model.")
        return _table5(None, []), empty_steps, None, notes
    d = data[["outcome", *cand]].dropna()
    notes.append(f"Final-model candidates (univariate p < {opt['candidate_p']}): "
                 f"{', '.join(cand)}; {len(d)} LAs with all of them.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if opt["stepwise_method"] == "enter":
            res, steps, selected = logit("outcome ~ " + " + ".join(cand), d), empty_steps, cand
        else:
            sw = stepwise_logit(d, "outcome", cand, method=opt["stepwise_method"],
                                p_enter=opt["p_enter"], p_remove=opt["p_remove"])
            res, steps, selected = sw.final, sw.steps, list(sw.selected)
    for m in sorted({str(w.message) for w in caught}):
        notes.append(f"final model: {m}")
    left = [c for c in cand if c not in selected]
    if left and selected:
        sc = score_tests(d, "outcome", selected, left)
        for r in sc.itertuples(index=False):
            notes.append(f"Not in the final model: {r.variable} (score test p = "
                         f"{r.p_value:.3f}).")
    return _table5(res, selected), steps, res, notes


def _table5(res, selected: list[str]) -> pd.DataFrame:
    cols = ["row", "chisq", "df", "B", "SE", "wald", "odds_ratio", "or_conf_low",
            "or_conf_high", "p_value", "nagelkerke_r2", "cox_snell_r2", "n"]
    if res is None:
        return pd.DataFrame([{"row": "Full model"}], columns=cols)
    rows = [{"row": "Full model", "chisq": res.model_chisq, "df": res.model_df,
             "p_value": res.model_p, "nagelkerke_r2": res.nagelkerke_r2,
             "cox_snell_r2": res.cox_snell_r2, "n": res.nobs}]
    for term in ["(Intercept)", *selected]:
        r = _logit_row(res, term)
        rows.append({"row": term, "B": r["B"], "SE": r["SE"], "wald": r["wald"], "df": 1,
                     "odds_ratio": r["odds_ratio"], "or_conf_low": r["or_conf_low"],
                     "or_conf_high": r["or_conf_high"], "p_value": r["p_value"]})
    return pd.DataFrame(rows, columns=cols)


# ---- Python against R -----------------------------------------------------------------------

R_CODE = R_SPEARMAN + r"""
ctl <- glm.control(epsilon = 1e-15, maxit = 100)
logit <- function(d, terms) {
  f <- if (length(terms)) reformulate(terms, "outcome") else outcome ~ 1
  g <- glm(f, family = binomial, data = d, control = ctl)
  # one more pass from the estimates, so that vcov is taken at them (see the docstring)
  g <- glm(f, family = binomial, data = d, control = ctl, start = coef(g))
  g0 <- glm(outcome ~ 1, family = binomial, data = d, control = ctl)
  n <- nobs(g)
  ll <- as.numeric(logLik(g)); ll0 <- as.numeric(logLik(g0))
  chisq <- g$null.deviance - g$deviance
  cs <- 1 - exp(2 * (ll0 - ll) / n)
  c(.wald(coef(g), sqrt(diag(vcov(g)))),
    list(chisq = chisq, df = length(terms),
         model_p = if (length(terms)) pchisq(chisq, length(terms), lower.tail = FALSE) else NA,
         nagelkerke_r2 = cs / (1 - exp(2 * ll0 / n)), cox_snell_r2 = cs, n = n))
}
complete <- function(cols) input$d[complete.cases(input$d[, cols]), cols, drop = FALSE]
ttests <- lapply(input$ttests, function(p) {
  r <- t.test(p$x, p$y, var.equal = TRUE)
  c(unname(r$statistic), unname(r$parameter), r$p.value)
})
groups <- lapply(input$groups, function(a) {
  a$g <- droplevels(a$g)
  fit <- aov(a$y ~ a$g)
  s <- summary(fit)[[1]]
  list(F = s[["F value"]][1], p = s[["Pr(>F)"]][1],
       bonferroni = pairwise.t.test(a$y, a$g, p.adjust.method = "bonferroni")$p.value,
       unadjusted = pairwise.t.test(a$y, a$g, p.adjust.method = "none")$p.value)
})
uni <- lapply(input$uni, function(v) logit(complete(c("outcome", v)), v))
names(uni) <- unlist(input$uni)
final <- if (length(input$cand)) logit(complete(c("outcome", unlist(input$cand))),
                                       unlist(input$terms)) else NULL
list(spearman = .spearman(input$spearman, input$exact),
     subjudgements = .spearman(input$subjudgements, input$exact),
     table4 = .spearman(input$table4, input$exact), ttests = ttests, groups = groups,
     uni = uni, final = final)
"""
"""The study's tests and models in R on the same LAs: ``cor.test``; ``t.test(var.equal =
TRUE)``; ``aov`` and ``pairwise.t.test`` (pooled SD; Bonferroni and unadjusted);
``glm(binomial)`` (epsilon 1e-15) for each univariate logit and for the final model's
predictors on the final model's LAs, with the intercept-only model for the model chi-square,
Cox-Snell and Nagelkerke R2. glm's covariance comes from the weights of its last IRLS pass,
taken one step before its final coefficients (its SEs then differ from those at the
estimates by ~1e-8); each fit is therefore run once more from its own estimates, as the
logistic fixtures do."""


def python_vs_r(data: pd.DataFrame, tables: dict[str, pd.DataFrame], opt: dict,
                subjudgement_frame: pd.DataFrame | None
                ) -> tuple[pd.DataFrame, tuple[str, ...], list[str]]:
    """Every model table of the study re-computed in R (one call) beside the study's numbers:
    (the ``python_vs_r`` table, R's warnings, notes on the comparison). The stepwise
    selection is SPSS's rule, which R has no function for: R fits the final model that the
    selection chose (same LAs, same predictors), and that fit is compared. Raises
    :class:`replication.rbridge.RNotAvailable` when R is missing."""
    from replication.parity.groups import GROUPS_TOL  # noqa: PLC0415
    from replication.parity.logistic import LOGIT_TOL  # noqa: PLC0415
    from replication.rbridge import call_r  # noqa: PLC0415

    sp = tables["spearman"]
    sp = sp[sp["n"] > 0]
    sp_pairs = [tuple(v.split("~")) if "~" in v else ("rating", v) for v in sp["variable"]]
    sj = tables["subjudgements"]
    sj = sj[sj["n"] > 0] if subjudgement_frame is not None else sj.iloc[:0]
    t4 = tables["table4_long"]
    t4 = t4[t4["n"] >= 3]
    tt = tables["ttests"]
    tt = tt[tt["t"].notna()]
    first, second = coded_levels(CATEGORIES, opt["coding"])
    d_sp = spend_frame(data)
    an = tables["spend_anova"]
    an = an[an["F"].notna()]
    group_frames = [d_sp if g == "all" else d_sp[d_sp["category"] == g]
                    for g in an["ofsted_category"]]
    uni = tables["univariate_logits"]
    uni = uni[uni["B"].notna()]
    t5 = tables["table5"].set_index("row")
    terms = [r for r in t5.index if r not in ("Full model", "(Intercept)")]
    has_final = pd.notna(t5.loc["Full model", "n"])
    cand = (tables["univariate_logits"].loc[lambda u: u["p_value"] < opt["candidate_p"],
                                            "variable"].tolist() if has_final else [])
    cols = sorted({"outcome", *uni["variable"], *cand})
    inp = {
        "exact": opt["spearman_exact"],
        "spearman": spearman_pairs(data, sp_pairs),
        "subjudgements": spearman_pairs(subjudgement_frame,
                                        [("overall", v) for v in sj["subjudgement"]])
        if len(sj) else [],
        "table4": spearman_pairs(data, list(zip(t4["var1"], t4["var2"], strict=True))),
        "ttests": [{"x": data.loc[data["category"] == first, v].dropna().to_numpy(float),
                    "y": data.loc[data["category"] == second, v].dropna().to_numpy(float)}
                   for v in tt["variable"]],
        "groups": [{"y": g["spend_total"].to_numpy(dtype=float), "g": g["tertile"].array}
                   for g in group_frames],
        "d": data[cols].astype(float).reset_index(drop=True),
        "uni": list(uni["variable"]),
        "cand": cand,
        "terms": terms,
    }
    res = call_r(R_CODE, data=inp, packages=())
    r = res.value
    rows = spearman_rows("spearman", list(sp["variable"]), sp["rho"].to_numpy(),
                         sp["p_value"].to_numpy(), r["spearman"])
    rows += spearman_rows("subjudgements", list(sj["subjudgement"]), sj["rho"].to_numpy(),
                          sj["p_value"].to_numpy(), r["subjudgements"])
    rows += spearman_rows("table4_long", [f"{a} x {b}" for a, b in zip(t4["var1"], t4["var2"],
                                                                         strict=True)],
                          t4["rho"].to_numpy(), t4["p_value"].to_numpy(), r["table4"])
    for row, rt in zip(tt.itertuples(index=False), r["ttests"], strict=True):
        rt = np.asarray(rt, dtype=float)
        rows += [vs_r_row("ttests", row.variable, "t", row.t, rt[0], GROUPS_TOL),
                 vs_r_row("ttests", row.variable, "df", row.df, rt[1], GROUPS_TOL),
                 vs_r_row("ttests", row.variable, "p_value", row.p_value, rt[2], GROUPS_TOL)]
    bf = tables["spend_bonferroni"]
    for row, ra in zip(an.itertuples(index=False), r["groups"], strict=True):
        g = row.ofsted_category
        rows += [vs_r_row("spend_anova", g, "F", row.F, ra["F"][0], GROUPS_TOL),
                 vs_r_row("spend_anova", g, "p_value", row.p_value, ra["p"][0], GROUPS_TOL)]
        for b in bf[bf["ofsted_category"] == g].itertuples(index=False):
            hi, lo = b.contrast.split("-")
            for q, key in (("p_bonferroni", "bonferroni"), ("p_unadjusted", "unadjusted")):
                m = ra[key]
                rv = float(m.loc[hi, lo]) if hi in m.index and lo in m.columns else math.nan
                rows.append(vs_r_row("spend_bonferroni", f"{g}: {b.contrast}", q,
                                     getattr(b, q), rv, GROUPS_TOL))
    logit_q = ("B", "SE", "wald", "p_value", "odds_ratio", "or_conf_low", "or_conf_high")
    for u in uni.itertuples(index=False):
        ru = r["uni"][u.variable]
        rows += wald_rows("univariate_logits", u.variable, u._asdict(), ru, u.variable,
                          LOGIT_TOL, logit_q)
        rows.append(vs_r_row("univariate_logits", u.variable, "nagelkerke_r2",
                             u.nagelkerke_r2, ru["nagelkerke_r2"][0], LOGIT_TOL))
    if has_final and r.get("final") is not None:
        rf = r["final"]
        full = t5.loc["Full model"]
        for q, rq, floor in (("chisq", "chisq", CHISQ_FLOOR), ("df", "df", 0.0),
                             ("p_value", "model_p", 0.0), ("nagelkerke_r2", "nagelkerke_r2", 0.0),
                             ("cox_snell_r2", "cox_snell_r2", 0.0), ("n", "n", 0.0)):
            rows.append(vs_r_row("table5", "Full model", q, full[q], rf[rq][0], LOGIT_TOL,
                                 floor))
        for term in ["(Intercept)", *terms]:
            rows += wald_rows("table5", term, t5.loc[term].to_dict(), rf, term, LOGIT_TOL,
                              logit_q)
    more = []
    if has_final and opt["stepwise_method"] != "enter":
        more.append(f"table5: R's glm fits the final model that the stepwise rule "
                    f"({opt['stepwise_method']}, SPSS's) chose, on the same LAs; the selection "
                    "itself is SPSS's rule, which R has no function for, and is not compared")
    return vs_r_frame(rows), res.warnings, more


def sample_vs_paper(data: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for c in ("low", "high"):
        k = int((data["category"] == c).sum())
        rows.append({"group": CATEGORY_LABELS[c], "paper_n": PAPER_SAMPLE[c],
                     "reproduced_n": k})
    for g in FOUR_GRADES:
        k = int((data["ilacs_judgement"] == g).sum())
        rows.append({"group": f"rated {g}", "paper_n": PAPER_GRADES[g],
                     "reproduced_n": k})
    rows.append({"group": "total", "paper_n": PAPER_N, "reproduced_n": len(data)})
    out = pd.DataFrame(rows)
    out["paper_n"] = out["paper_n"].astype("Int64")
    out["difference"] = out["reproduced_n"] - out["paper_n"]
    return out


# ---- figure ---------------------------------------------------------------------------------

def figure1(ratings: pd.DataFrame):
    """Figure 1: the overall ratings (%) of the sampled LAs."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.0, 3.0))
    labels = [g.replace("_", "\n", 1).replace("_", " ") for g in ratings["rating"]]
    bars = ax.bar(labels, ratings["percent"], color="0.45")
    ax.set_ylim(0, max(float(np.nanmax(ratings["percent"])), 1.0) * 1.15)
    for b, pct in zip(bars, ratings["percent"], strict=True):
        ax.annotate(f"{pct:.1f}", (b.get_x() + b.get_width() / 2, b.get_height()),
                    ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("% of authorities")
    ax.set_title(f"Overall ILACS ratings of {int(ratings['n'].sum())} authorities", fontsize=9)
    fig.tight_layout()
    return fig


# ---- published vs reproduced ----------------------------------------------------------------

def reproduce_published(data, tables, res, opt, synthetic) -> dict[str, Reproduced]:
    base = REASON_SYNTHETIC if synthetic else ""
    real = "sample: the reproduced sample differs from the paper's (see sample_vs_paper)"
    out: dict[str, Reproduced] = {}

    def put(rid, value, reason="", mark=None):
        v = float(value) if value is not None and not pd.isna(value) else math.nan
        out[rid] = Reproduced(v, reason or base or real, mark)

    n = len(data)
    for rid in ("m_n", "f1_n", "t1_total_n"):
        put(rid, n, base or "sample: the selection rule re-applied to the Ofsted data")
    t1 = tables["table1_categories"].set_index("code")
    for c in ("low", "high"):
        put(f"t1_{c}_n", t1.loc[c, "frequency"])
        put(f"t1_{c}_pct", t1.loc[c, "percent"])
    put("t1_total_pct", t1.loc["total", "percent"])
    fig = tables["figure1_ratings"].set_index("rating")
    put("m_n_inad", fig.loc["inadequate", "n"])
    put("m_n_out", fig.loc["outstanding", "n"])
    t2 = tables["table2_deprivation"].set_index("tertile")
    imd = opt.get("_imd_source", "")
    imd_def = (f"definitions: {imd} in the panel, the paper used the IMD then current (2015)"
               if imd else "")
    dep_reason = base or "; ".join(x for x in (real, imd_def) if x)
    for key, tert in (("high", "high"), ("mod", "moderate"), ("low", "low")):
        put(f"t2_{key}_n", t2.loc[tert, "frequency"], dep_reason)
        put(f"t2_{key}_pct", t2.loc[tert, "percent"], dep_reason)
    put("t2_total_n", t2.loc["total", "frequency"], dep_reason + "; LAs with an IMD rank")
    put("t2_total_pct", t2.loc["total", "percent"], dep_reason)
    k = int(sum(1 for v in VARIABLES if v.name in data and data[v.name].notna().any())
            - sum(1 for v in VARIABLES if v.name in SPEND and v.name in data
                  and data[v.name].notna().any()) + (1 if any(
                      data[s].notna().any() for s in SPEND if s in data) else 0))
    why_vars = f"definitions: {k} of the paper's 45 variables are in the panel"
    for rid in ("abs_vars", "in_vars", "sum_vars"):
        put(rid, k, why_vars)
    put("sa_alpha", 0.05, "the significance level used here")
    put("mt_alpha", 0.05, "the significance level used here")
    sp = tables["spearman"].set_index("variable")

    def rho(rid_r, rid_p, var, defin=""):
        r = sp.loc[var]
        why = REASON_NOT_IN_PANEL if r["n"] == 0 else \
            "; ".join(x for x in (base or real, defin) if x)
        put(rid_r, r["rho"], why)
        put(rid_p, r["p_value"], why)

    rho("rho_absent", "p_absent", "cin_persistently_absent")
    rho("rho_overdue", "p_overdue", "assessments_overdue",
        "" if synthetic else "definitions: overdue = 100 - assessments within 45 working days")
    rho("rho_dental", "p_dental", "cic_dental_check")
    rho("rho_dep", "p_dep", "deprivation", "" if synthetic else imd_def)
    rho("rho_spend", "p_spend", "spend_total")
    rho("rho_dep_spend", "p_dep_spend", "deprivation~spend_total")
    t4 = tables["table4_long"]
    names = {"ofsted": "rating", "ref": "referral_rate", "cin": "cin_rate", "cp": "cp_rate",
             "cic": "cic_rate"}
    for a in ("ref", "cin", "cp", "cic"):
        for b in ("ofsted", "ref", "cin", "cp", "cic"):
            rid = f"t4_{a}_{b}"
            if a == b:
                continue
            x, y = names[a], names[b]
            sel = t4[((t4["var1"] == x) & (t4["var2"] == y))
                     | ((t4["var1"] == y) & (t4["var2"] == x))]
            if len(sel):
                put(rid, sel["rho"].iloc[0], mark=sel["mark"].iloc[0])
            else:
                put(rid, math.nan, REASON_NOT_IN_PANEL)
    tt = tables["ttests"].set_index("variable")
    r = tt.loc["spend_total"]
    put("t_spend_t", r["t"])
    put("t_spend_p", r["p_value"])
    low_first = opt["coding"] == "1=inadequate"
    put("t_spend_mean_low", r["mean1"] if low_first else r["mean2"])
    put("t_spend_sd_low", r["sd1"] if low_first else r["sd2"])
    put("t_spend_mean_high", r["mean2"] if low_first else r["mean1"])
    put("t_spend_sd_high", r["sd2"] if low_first else r["sd1"])
    other = tt.loc[["spend_under5", "spend_safeguarding", "spend_cic"], "p_value"].dropna()
    put("t_other_p", other.min() if len(other) else math.nan,
        (base or real) + "; the smallest p of the other spend measures the panel has "
                         "(no under-5s spend)")
    an = tables["spend_anova"].set_index("ofsted_category")
    put("anova_f", an.loc["high", "F"])
    put("anova_p", an.loc["high", "p_value"])
    sb = tables["spend_by_deprivation"]
    hi = sb[sb["ofsted_category"] == "high"].set_index("deprivation")
    for key, tert in (("low", "low"), ("med", "moderate"), ("high", "high")):
        put(f"anova_mean_{key}", hi.loc[tert, "mean"])
        put(f"anova_sd_{key}", hi.loc[tert, "sd"])
    t5 = tables["table5"].set_index("row")
    full = t5.loc["Full model"]
    for rid in ("mt_chi2", "t5_model_chi2"):
        put(rid, full["chisq"])
    for rid in ("mt_p", "t5_model_p"):
        put(rid, full["p_value"])
    put("mt_k", (len(t5) - 2) if res is not None else 0)
    put("mt_n", full["n"])
    put("mt_pct", 100 * full["nagelkerke_r2"])
    put("mt_r2", full["nagelkerke_r2"])
    for tag, var in (("dep", "deprivation"), ("dental", "cic_dental_check"),
                     ("overdue", "assessments_overdue")):
        if var in t5.index:
            r = t5.loc[var]
            vals = {"b": r["B"], "se": r["SE"], "wald": r["wald"], "or": r["odds_ratio"],
                    "ci1": r["or_conf_low"], "ci2": r["or_conf_high"], "p": r["p_value"]}
            why = base or real
        else:
            vals = dict.fromkeys(("b", "se", "wald", "or", "ci1", "ci2", "p"), math.nan)
            in_panel = any(v.name == var and v.indicator for v in VARIABLES)
            why = (base or real) + "; not in the reproduced final model" if in_panel else \
                REASON_NOT_IN_PANEL
        for k2 in ("b", "se", "wald", "or", "ci1", "ci2", "p"):
            rid = f"t5_{tag}_{k2}"
            extra = "; the printed interval's limits are out of order" if \
                k2 in ("ci1", "ci2") and tag != "dep" else ""
            put(rid, vals[k2], why + extra)
        for k2 in ("b", "or", "p"):
            put(f"mt_{tag}_{k2}", vals[k2], why)
    if "deprivation" in t5.index:
        pct = 100 * (1 - t5.loc["deprivation", "odds_ratio"])
    else:
        pct = math.nan
    put("mt_dep_pct", pct)
    put("mt_dep_pct_approx", pct)
    # spend in the final model: its Wald p if selected, else its score test
    if "spend_total" in t5.index:
        sp_p = t5.loc["spend_total", "p_value"]
    else:
        sp_p = tables.get("_spend_score_p", math.nan)
    put("mt_spend_p", sp_p, (base or real) + "; spend's Wald p in the final model, or its "
                                             "score test when it is not in it")
    return out


def options_text(opt: dict) -> str:
    return (f"coding: {coding_text(opt['coding'], CATEGORIES)} (logit event: "
            f"{coded_levels(CATEGORIES, opt['coding'])[-1]}); rating in correlations: "
            f"{opt['rating_scale']} ({coding_text(opt['coding'], FOUR_GRADES)} for four "
            f"grades); deprivation: rank {opt['deprivation_rank']}, 1 = least deprived; "
            f"tertiles {opt['tertiles']}; variables: year ending March {opt['data_year']}; "
            f"spend: s251 financial year ending March {opt['spend_year']}, nominal; "
            f"final model: {opt['stepwise_method']}")


# ---- run ------------------------------------------------------------------------------------

def run(panel: Any, *, progress: Callable[[int, int, str], None] | None = None,
        figures: bool = True, with_r: bool = False, **options: Any) -> StudyResult:
    """Run the study on ``panel``; options as :data:`DEFAULT_OPTIONS`. ``figures=False``
    skips drawing Figure 1 (its table is always made). ``with_r=True`` adds the table
    ``python_vs_r`` (:func:`python_vs_r`: every model table re-computed in R) when R is
    installed; otherwise a note says why not."""
    unknown = set(options) - set(DEFAULT_OPTIONS)
    if unknown:
        raise TypeError(f"wilkins2020.run: unknown options {sorted(unknown)}; known: "
                        f"{sorted(DEFAULT_OPTIONS)}")
    opt = {**DEFAULT_OPTIONS, **options}
    check_choice("coding", opt["coding"], CODINGS)
    check_choice("rating_scale", opt["rating_scale"], RATING_SCALES)
    check_choice("stepwise_method", opt["stepwise_method"], STEPWISE_METHODS)
    total = 7 if with_r else 6

    def step(i: int, label: str) -> None:
        if progress is not None:
            progress(i, total, label)

    synthetic = getattr(panel, "truth", None) is not None
    notes: list[str] = []
    tables: dict[str, pd.DataFrame] = {}

    step(0, "sample")
    sample = select_sample(panel.las, window=opt["window"])
    if not sample["included"].any():
        raise ValueError(f"wilkins2020: no LA has an ILACS inspection in {opt['window'][0]} - "
                         f"{opt['window'][1]}")
    tables["sample"] = sample
    data, dnotes = analysis_data(panel, sample, opt)
    notes += dnotes
    vs = sample_vs_paper(data)
    tables["sample_vs_paper"] = vs
    notes.append(f"Sample: {len(data)} LAs (paper: {PAPER_N}); "
                 + ", ".join(f"{r.group} {r.reproduced_n}"
                             + (f" (paper {r.paper_n})" if pd.notna(r.paper_n) else "")
                             for r in vs.itertuples()) + ".")
    gone = sample[sample["included"] & sample["reason"].str.contains("no longer exists")]
    if len(gone):
        notes.append("In the sample but no longer existing (a candidate difference from the "
                     "paper's 47): " + ", ".join(f"{r.name} ({r.la_code})"
                                                for r in gone.itertuples()) + ".")
    notes.append("The paper does not list its LAs: differences from its sample are counted "
                 "by rating, and named only where the data explain them.")
    if synthetic:
        notes.append("Synthetic data: the numbers are not the paper's and are not expected to "
                     "match it; published_vs_reproduced still sets them side by side.")
    present = present_variables(panel)
    tables["variables"] = variables_table(VARIABLES, present, data)
    k = int(tables["variables"]["available"].sum())
    notes.append(f"{k} of the {len(VARIABLES)} variable rows (45 variables, spend as four "
                 "measures) are in the panel; the others' rows are empty.")
    notes.append("Spend is nominal (s251 outturn as published), per child 0-17 (ONS) or per "
                 "child in need / in care at 31 March.")
    tables["analysis_data"] = data.reset_index()

    step(1, "ratings and correlations")
    fig_t, t1, t2 = ratings_table(data)
    tables["figure1_ratings"] = fig_t
    tables["table1_categories"] = t1
    tables["table2_deprivation"] = t2
    tables["subjudgements"] = subjudgements(panel, data, opt["coding"], opt["spearman_exact"])
    tables["spearman"] = spearman_table(data, opt["spearman_exact"])
    marked, long = table4(data, opt["spearman_exact"])
    tables["table4"] = marked
    tables["table4_long"] = long

    step(2, "t-tests and ANOVA")
    tables["ttests"] = ttests(data, opt["coding"])
    tables.update(spend_by_deprivation(data))

    step(3, "logistic regressions")
    names = analysed(data)
    uni, unotes = univariate_logits(data, names)
    notes += unotes
    tables["univariate_logits"] = uni
    t5, steps, res, fnotes = final_model(data, uni, opt)
    notes += fnotes
    tables["table5"] = t5
    tables["stepwise_steps"] = steps if len(steps) else pd.DataFrame({"step": []})
    spend_score = math.nan
    if res is not None and "spend_total" in names and "spend_total" not in t5["row"].tolist():
        sel = [r for r in t5["row"] if r not in ("Full model", "(Intercept)")]
        d = data[["outcome", "spend_total", *sel]].dropna()
        spend_score = float(score_tests(d, "outcome", sel, ["spend_total"])["p_value"].iloc[0])

    step(4, "published vs reproduced")
    rep = reproduce_published(data, {**tables, "_spend_score_p": spend_score}, res,
                              {**opt, "_imd_source": imd_source(panel.las)}, synthetic)
    tables["published_vs_reproduced"] = published_vs_reproduced(STUDY, rep)
    text = options_text(opt)
    stamp(tables, text)
    notes.append("Options: " + text + ".")
    if with_r:
        step(5, "the same in R")
        subj = subjudgement_codes(panel, data, opt["coding"])
        vr = compare_with_r(lambda: python_vs_r(data, tables, opt, subj), notes,
                            "cor.test, t.test, aov, pairwise.t.test, glm",
                            "Coefficients are compared relative to max(|B|, SE), Wald and "
                            "model chi-squares relative to max(chi-square, 1).")
        if vr is not None:
            tables["python_vs_r"] = vr

    step(total - 1, "figures")
    figs = {"figure1": figure1(fig_t)} if figures else {}
    step(total, "done")
    options_out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opt.items()}
    options_out["coding_levels"] = coding_text(opt["coding"], CATEGORIES)
    return StudyResult(study=STUDY, data_label=str(getattr(panel, "label", "panel")),
                       tables=tables, figures=figs, options=options_out, notes=notes,
                       defaults=DEFAULT_OPTIONS, option_docs=OPTION_DOCS, given=tuple(options),
                       exclusions=study_exclusions(panel, sample, tables["analysis_data"],
                                                   VARIABLES, ("deprivation_rank",)))


__all__ = ["CATEGORIES", "DEFAULT_OPTIONS", "OPTION_DOCS", "R_CODE", "STUDY", "VARIABLES", "analysis_data",
           "python_vs_r", "run", "select_sample", "spend_frame", "subjudgement_codes"]
