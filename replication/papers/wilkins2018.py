"""Wilkins & Antonopoulou (2018): Ofsted judgements, performance indicators, spending and
deprivation in 87 English local authorities.

METHODS section 2. Reads as the paper's method section:

Sample. The LAs inspected under the single inspection framework (SIF) 'between 2014 and
2016' (paper: 87, 'at the time of data collection ... every authority inspected under that
framework'; the introduction quotes the same 87 from Ofsted's 2016 social care annual
report, which covers reports published by 31 March 2016). Their overall judgement in three
categories: inadequate (paper: 22), requires improvement (44), good or outstanding (21).
:func:`select_sample` re-applies the rule to ``panel.las`` and lists every LA with the
reason it is in or out; the run sets the counts beside the paper's, the counts under the
other rule, and names the LAs the Ofsted data lack. Two readings are options
(``sample_rule``): the first SIF report published by 31 March 2016 (default: on the public
data it gives 85 LAs, 20/42/23, and five LAs that SIF inspected are missing from the Ofsted
table, so the paper's 87 is within reach; with it the deprivation coefficient comes out at
-1.03 against the printed -1.06), or the first SIF inspection started in 2014-2016 as METHODS
words it (110 LAs, 27/53/30 on the public data).

Measures. Deprivation: the IMD rank of each LA re-ranked within the sample from least (1) to
most deprived (n), and cut into tertiles (low, medium, high). Spend per child: children's
services spend (s251) in the financial year of the inspection, divided by the child
population (RPI-adjusted to 2015-16 prices when an RPI series is given). The indicators
for the year before the inspection (Table 2, as far as the panel has them).

Analyses.
1. Crosstab of the Ofsted category by deprivation tertile (Table 3).
2. Spearman's rho of the judgement with each variable (Table 4); and, where the panel has
   the sub-judgements, of the overall judgement with each of them (Table 1).
3. Means and SDs per category: CP practice variables (Table 5), children in care
   (Table 6), procedural variables (Table 7).
4. Spend per child: one-way ANOVA across the categories; within each category, one-way
   ANOVA across deprivation tertiles with Tukey HSD (Table 8).
5. Ordinal (cumulative logit) regression of the judgement on each variable, and on
   deprivation with spend, with the test of parallel lines and Brant's test; then, as the
   paper did once the assumption failed, multinomial logistic regression with reference
   'inadequate' and then 'requires improvement': B, SE, Wald chi-square (1 df), p, OR.
6. The published numbers beside the reproduced ones (``published_vs_reproduced``).
7. With ``with_r=True`` and R installed: every model table re-computed in R on the same LAs
   (cor.test, aov, TukeyHSD, ordinal::clm, VGAM's cumulative and multinomial models, Brant's
   test) beside ours, with the tolerances of METHODS section 3 (``python_vs_r``).

Named options (:data:`DEFAULT_OPTIONS`; each is stated in every table's ``options`` column):
``coding`` (1 = inadequate, the published signs' coding, or 1 = outstanding: every sign
flips), ``deprivation_measure`` (how deprivation enters the models and is compared with the
paper: 'tertile', the default, since a B of -1.06 per rank among 87 would be an odds ratio of
0.35 per rank, impossible beside rho = -.245; or 'rank'), ``deprivation_rank``,
``tertiles``, ``sample_rule``, ``indicator_year``, ``spend_indicator``, ``spend_fill``,
``rpi``, ``spearman_exact``, ``references``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from models.groups import aov, tukey_hsd
from models.multinomial import multinom
from models.ordinal import brant_test, parallel_lines_test, polr
from replication.papers._base import OptionDoc, StudyResult
from replication.papers._compare import (
    REASON_NOT_IN_PANEL,
    REASON_SYNTHETIC,
    Reproduced,
    published_vs_reproduced,
    vs_r_row,
)
from replication.papers._wilkins import (
    CHISQ_FLOOR,
    CODINGS,
    FOUR_GRADES,
    P_ABS_FLOOR,
    R_SPEARMAN,
    TERTILE_LABELS,
    Variable,
    available,
    check_choice,
    coded_levels,
    coding_text,
    compare_with_r,
    deprivation,
    fill_adjacent,
    group_stats,
    imd_source,
    rating_codes,
    rpi_adjust,
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

STUDY = "wilkins2018"

CATEGORIES = ("outstanding_good", "requires_improvement", "inadequate")
"""The three categories, best first (``panel.las['judgement']``)."""
CATEGORY_LABELS = {"inadequate": "inadequate", "requires_improvement": "in need of improvement",
                   "outstanding_good": "good and outstanding"}
"""The paper's names of the categories (low, medium, high)."""
PAPER_SAMPLE = {"inadequate": 22, "requires_improvement": 44, "outstanding_good": 21}
PAPER_N = 87

SAMPLE_RULES = ("started_2014_2016", "published_by")
INDICATOR_YEARS = ("prior", "inspection")
SPEND_FILLS = ("none", "adjacent")
SPEND_INDICATORS = ("spend_per_child", "spend_safeguarding", "spend_cla", "spend_early_help")
DEPRIVATION_MEASURES = ("tertile", "rank")

SUBJUDGEMENTS = {"sif_help_and_protection": "children who need help and protection",
                 "sif_looked_after_permanence": "children looked after and permanence",
                 "sif_leadership": "leadership, management and governance"}
"""Table 1: the overall judgement against the key sub-judgements (where the panel has them)."""

VARIABLES: tuple[Variable, ...] = (
    Variable("re_referrals", "Repeat referrals (%)", "table5", "re_referrals",
             definition="referrals within 12 months of a previous referral (%)",
             lower_is_better=True),
    Variable("cin_2_years_plus", "CIN plans lasting 2+ years (%)", "table5", "cin_2_years_plus",
             definition="children in need for 2 years or more at 31 March (%): the panel's "
                        "nearest measure to CIN plans lasting more than two years",
             lower_is_better=True),
    Variable("cpp_2_years_plus", "CP plans lasting 2+ years (%)", "table5", "cpp_2_years_plus",
             definition="CP plans ended in the year that had lasted 2 years or more (%)",
             lower_is_better=True),
    Variable("repeat_cp_plans", "Repeat CP plans (%)", "table5", "cpp_second_or_subsequent",
             definition="CP plans started that were a second or subsequent plan (%)",
             lower_is_better=True),
    Variable("cic_persistently_absent", "Children in care persistently absent (%)", "table6",
             "cla_persistent_absentees_15pct",
             definition="children looked after 12 months classed as persistent absentees "
                        "(about 15% of sessions), as published in SFR11/2016 for 2013-2015",
             lower_is_better=True),
    Variable("cic_missing", "Children in care with a missing episode (%)", "table6",
             "cla_missing", definition="children looked after who went missing in the year (%)",
             lower_is_better=True),
    Variable("cic_without_5_gcses", "Children in care without 5 good GCSEs (%)", "table6",
             "cla_gcse_5_a_to_c", "complement",
             definition="100 - children looked after 12 months with 5+ GCSEs at A*-C or "
                        "equivalent (%), as published in SFR11/2016; 2014 and 2015 under the "
                        "Wolf and early-entry rules (not comparable with 2013)",
             lower_is_better=True),
    Variable("icpc_overdue", "ICPCs overdue (%)", "table7", "icpc_within_15_days", "complement",
             definition="100 - ICPCs held within 15 working days (%)", lower_is_better=True),
    Variable("cp_reviews_overdue", "CP review conferences overdue (%)", "table7", None,
             lower_is_better=True),
    Variable("cp_visits_overdue", "CP visits overdue (%)", "table7", None,
             lower_is_better=True),
    Variable("assessments_overdue", "Assessments overdue (%)", "table7",
             "assessments_within_45_days", "complement",
             definition="100 - assessments completed within 45 working days (%)",
             lower_is_better=True),
)
"""The indicators named in the text (Table 2 did not survive extraction; the paper counts
fifteen variables with spend and deprivation), in the panel's vocabulary."""

CONTEXT = ("deprivation", "spend_per_child")
TABLE_TITLES = {"table5": "CP practice variables", "table6": "children in care variables",
                "table7": "procedural variables"}

DEFAULT_OPTIONS: dict[str, Any] = {
    "coding": "1=inadequate",
    "sample_rule": "published_by",
    "window": ("2014-01-01", "2016-12-31"),
    "published_by": "2016-03-31",
    "indicator_year": "prior",
    "spend_indicator": "spend_per_child",
    "spend_fill": "none",
    "rpi": None,
    "rpi_base_year": 2016,
    "deprivation_measure": "tertile",
    "deprivation_rank": "sample",
    "tertiles": "sample",
    "spearman_exact": False,
    "references": ("inadequate", "requires_improvement"),
}
"""Every option of :func:`run` and its default.

coding               "1=inadequate" (codes rise with the rating) or "1=outstanding"
sample_rule          "published_by" (default): first SIF report published by ``published_by``
                     (2016-03-31: the period of Ofsted's 2016 social care annual report,
                     whose count of inspected LAs the paper quotes: 87);
                     "started_2014_2016": first SIF inspection started within ``window``
                     (METHODS' wording)
indicator_year       "prior": the last year ending 31 March before the inspection (the
                     paper: 'the year immediately prior'); "inspection": the year ending 31
                     March that contains the inspection
spend_indicator      the panel indicator (GBP per child 0-17) used as spend per child:
                     "spend_per_child" (children's services total, the paper's) or another
                     s251 line ("spend_safeguarding", "spend_cla", "spend_early_help")
spend_fill           "none" or "adjacent" (a missing spend in the inspection's financial year
                     replaced by the mean of the adjacent years)
rpi                  None (nominal spend) or {year ending March: RPI annual index}; with
                     ``rpi_base_year`` (2016 = 2015-16 prices)
deprivation_measure  "tertile" or "rank": deprivation in the models and the comparisons
deprivation_rank     "sample" (re-ranked 1..n within the sample) or "national"
tertiles             "sample" (cut within the sample) or "panel" (the panel's tertiles)
spearman_exact       False: t-approximation p-values, as SPSS; None: R's default
references           the multinomial reference categories, in turn
"""

OPTION_DOCS: dict[str, OptionDoc] = {
    "coding": OptionDoc('"1=outstanding" (every sign flips)',
                        "codes rise with the rating, as the published signs imply"),
    "sample_rule": OptionDoc('"started_2014_2016": first SIF inspection started within window '
                             "(METHODS' wording)", "first SIF report published by "
                             "published_by: the period of the count (87) the paper quotes"),
    "window": OptionDoc("any (first, last) dates", "used by sample_rule='started_2014_2016'"),
    "published_by": OptionDoc("any date", "the period of Ofsted's 2016 social care annual "
                                          "report, whose count (87) the paper quotes"),
    "indicator_year": OptionDoc('"inspection": the year ending 31 March that contains the '
                                "inspection", "the paper: 'the year immediately prior'"),
    "spend_indicator": OptionDoc("spend_safeguarding, spend_cla, spend_early_help",
                                 "children's services total per child 0-17, the paper's"),
    "spend_fill": OptionDoc('"adjacent": a missing spend replaced by the mean of the adjacent '
                            "years", "a missing spend stays missing"),
    "rpi": OptionDoc("{year ending March: RPI annual index}",
                     "None = nominal spend (no RPI series in the raw data); the paper used "
                     "2015-16 prices"),
    "rpi_base_year": OptionDoc("any year ending March", "2015-16 prices, the paper's"),
    "deprivation_measure": OptionDoc('"rank"', "a B of -1.06 per rank among 87 LAs is "
                                     "impossible beside rho = -.245: the paper's B is per "
                                     "tertile"),
    "deprivation_rank": OptionDoc('"national"', "re-ranked 1..n within the sample"),
    "tertiles": OptionDoc('"panel" (the panel\'s tertiles)', "cut within the sample"),
    "spearman_exact": OptionDoc("None: R's default (exact for small n without ties); True",
                                "t-approximation p-values, as SPSS prints"),
    "references": OptionDoc("any categories, in turn", "the paper's two reference categories"),
}
"""Alternatives of each option and why its default is what it is (the report's options
table)."""


# ---- sample -------------------------------------------------------------------------------

def select_sample(las: pd.DataFrame, *, rule: str = "published_by",
                  window: tuple[str, str] = ("2014-01-01", "2016-12-31"),
                  published_by: str = "2016-03-31",
                  active: set[int] | None = None) -> pd.DataFrame:
    """One row per LA of ``las`` (panel.las): la_code, name, inspection_date,
    inspection_published, judgement, included, reason.

    ``rule="published_by"``: the first SIF report was published on or before
    ``published_by`` (``inspection_published``; where the table lacks it, the inspection
    start date is used and the reason says so); ``"started_2014_2016"``: the first SIF
    inspection started within ``window`` (inclusive). An LA needs a judgement to be included.
    ``active``: LA codes with panel data in the years of the window; an LA without a SIF
    inspection is then said to have existed then (it may be in the paper's sample).
    """
    check_choice("sample_rule", rule, SAMPLE_RULES)
    if "la_code" not in las.columns:
        raise KeyError("las: column 'la_code' is required")
    for col in ("inspection_date", "judgement"):
        if col not in las.columns:
            raise KeyError(f"las: column {col!r} is required to select the wilkins2018 sample")
    lo, hi = pd.Timestamp(window[0]), pd.Timestamp(window[1])
    cutoff = pd.Timestamp(published_by)
    date = pd.to_datetime(las["inspection_date"])
    has_pub = "inspection_published" in las.columns
    pub = pd.to_datetime(las["inspection_published"]) if has_pub else \
        pd.Series(pd.NaT, index=las.index)
    rows = []
    for i, r in las.iterrows():
        d, p = date[i], pub[i]
        j = r["judgement"]
        j = None if (j is None or (isinstance(j, float) and np.isnan(j)) or pd.isna(j)) else str(j)
        name = r.get("name", "")
        if pd.isna(d) and pd.isna(p):
            why = "no first SIF inspection in the Ofsted data"
            if active is not None:
                why += ("; the LA has panel data for the window's years, so it may be in the "
                        "paper's sample" if int(r["la_code"]) in active else
                        "; the LA has no panel data for the window's years")
            rows.append((r["la_code"], name, d, p, j, False, why))
            continue
        if rule == "started_2014_2016":
            if pd.isna(d):
                ok, why = False, "first SIF inspection has no start date"
            elif d < lo:
                ok, why = False, f"first SIF inspection started {d.date()}: before {lo.date()}"
            elif d > hi:
                ok, why = False, f"first SIF inspection started {d.date()}: after {hi.date()}"
            else:
                ok, why = True, f"first SIF inspection started {d.date()}"
        else:
            when, what = (p, "report published") if pd.notna(p) else (d, "inspection started")
            if not has_pub or pd.isna(p):
                what += " (no publication date)"
            ok = bool(pd.notna(when) and when <= cutoff)
            why = f"first SIF {what} {when.date() if pd.notna(when) else '?'}" + \
                ("" if ok else f": after {cutoff.date()}")
        if ok and j not in CATEGORIES:
            ok, why = False, why + "; no overall judgement"
        rows.append((r["la_code"], name, d, p, j, ok, why))
    out = pd.DataFrame(rows, columns=["la_code", "name", "inspection_date",
                                      "inspection_published", "judgement", "included", "reason"])
    out["la_code"] = out["la_code"].astype("int64")
    out["included"] = out["included"].astype(bool)
    return out


def _active_las(panel, years) -> set[int]:
    long = panel.long
    sel = long["year"].isin(list(years)) & (long["indicator"] != "child_population")
    return set(int(c) for c in long.loc[sel & long["numerator"].notna(), "la_code"].unique())


def indicator_years(dates: pd.Series, rule: str) -> pd.Series:
    """The panel year (year ending 31 March) of the indicators for each inspection date."""
    check_choice("indicator_year", rule, INDICATOR_YEARS)
    d = pd.to_datetime(dates)
    fy = d.dt.year + (d.dt.month >= 4).astype(int)   # the year ending 31 March containing d
    return (fy - 1 if rule == "prior" else fy).astype("Int64")


def financial_years(dates: pd.Series) -> pd.Series:
    d = pd.to_datetime(dates)
    return (d.dt.year + (d.dt.month >= 4).astype(int)).astype("Int64")


# ---- the analysis data ----------------------------------------------------------------------

def analysis_data(panel, sample: pd.DataFrame, opt: dict) -> tuple[pd.DataFrame, list[str]]:
    """One row per sampled LA: judgement, coded rating, category, deprivation, spend and the
    variables, indexed by la_code."""
    notes: list[str] = []
    s = sample[sample["included"]].set_index("la_code")
    codes = list(s.index)
    data = pd.DataFrame(index=pd.Index(codes, name="la_code"))
    data["name"] = s["name"]
    data["judgement"] = s["judgement"]
    order = coded_levels(CATEGORIES, opt["coding"])
    data["category"] = pd.Categorical(s["judgement"], categories=order, ordered=True)
    data["rating"] = rating_codes(s["judgement"], CATEGORIES, opt["coding"])
    dep = deprivation(codes, panel.las, rank=opt["deprivation_rank"], tertiles=opt["tertiles"])
    data = data.join(dep)
    no_imd = data[data["deprivation_rank"].isna()]
    if len(no_imd):
        notes.append("Sampled LA(s) without an IMD rank in the panel, left out of the "
                     "deprivation analyses: " + ", ".join(
                         f"{r['name']} ({i})" for i, r in no_imd.iterrows()) + ".")
    data["deprivation"] = data["deprivation_tertile" if opt["deprivation_measure"] == "tertile"
                               else "deprivation_rank"]
    # spend per child in the financial year of the inspection
    fy = financial_years(s["inspection_date"])
    present = set(panel.long["indicator"].unique())
    spend_ind = opt["spend_indicator"]
    if spend_ind in present:
        if opt["spend_fill"] == "adjacent":
            spend, used = fill_adjacent(panel, fy, spend_ind)
            n_fill = int((~used.isin(["same year", ""])).sum())
            if n_fill:
                notes.append(f"Spend per child: {n_fill} LA(s) without a value in the "
                             "financial year of the inspection take the adjacent years' "
                             "(option spend_fill='adjacent').")
        else:
            spend = values_at(panel, fy, [spend_ind])[spend_ind]
        data["spend_year"] = fy
        data["spend_per_child"] = rpi_adjust(spend, fy, opt["rpi"], opt["rpi_base_year"])
        miss = data["spend_per_child"].isna()
        if miss.any():
            yrs = sorted({int(y) for y in fy[miss].dropna()})
            notes.append(f"Spend per child missing for {int(miss.sum())} sampled LA(s) "
                         f"(financial years ending March {yrs}); they are left out of the "
                         "spend analyses.")
    else:
        data["spend_year"] = fy
        data["spend_per_child"] = np.nan
        notes.append(f"The panel has no {spend_ind}: the spend analyses are empty.")
    # the indicators for the year before the inspection
    yr = indicator_years(s["inspection_date"], opt["indicator_year"])
    data["indicator_year"] = yr
    needed = sorted({n for v in VARIABLES for n in v.needs if n in present})
    rows = values_at(panel, yr, needed)
    for v in VARIABLES:
        data[v.name] = variable_values(rows, v).to_numpy()
    return data, notes


def model_variables(data: pd.DataFrame) -> list[str]:
    """Context and indicator variables that have enough values to analyse."""
    names = [*CONTEXT, *(v.name for v in VARIABLES)]
    return [n for n in names if n in data and data[n].notna().sum() >= 5]


# ---- tables ---------------------------------------------------------------------------------

def table3_crosstab(data: pd.DataFrame) -> pd.DataFrame:
    """Counts and row percentages of category by deprivation tertile (Table 3)."""
    rows = []
    d = data.dropna(subset=["deprivation_tertile"])
    for cat in [*reversed(CATEGORIES), "total"]:
        sub = d if cat == "total" else d[d["judgement"] == cat]
        row = {"category": CATEGORY_LABELS.get(cat, cat), "judgement": cat}
        for t, lab in TERTILE_LABELS.items():
            k = int((sub["deprivation_tertile"] == t).sum())
            row[f"{lab}_n"] = k
            row[f"{lab}_pct"] = 100 * k / len(sub) if len(sub) else np.nan
        row["total_n"] = int(len(sub))
        row["total_pct"] = 100 * len(sub) / len(d) if len(d) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def table4_spearman(data: pd.DataFrame, exact) -> pd.DataFrame:
    """Spearman rho of the coded judgement with deprivation (rank and tertile), spend and
    each variable (Table 4)."""
    cols = ["deprivation_rank", "deprivation_tertile", "spend_per_child",
            *(v.name for v in VARIABLES)]
    out = spearman_with(data, "rating", cols, exact)
    labels = {"deprivation_rank": "Deprivation (rank, 1 = least deprived)",
              "deprivation_tertile": "Deprivation (tertile, 1 = least deprived)",
              "spend_per_child": "Spend per child (GBP)", **{v.name: v.label for v in VARIABLES}}
    out.insert(1, "label", out["variable"].map(labels))
    out["note"] = ["" if n > 0 else REASON_NOT_IN_PANEL for n in out["n"]]
    return out


def subjudgement_codes(panel, sample: pd.DataFrame, coding: str) -> pd.DataFrame | None:
    """The sampled LAs' overall SIF grade ('overall') and key sub-judgements, coded by
    ``coding`` on the four grades; None when the panel has none of them."""
    las = panel.las.set_index("la_code").reindex(sample.loc[sample["included"], "la_code"])
    cols = [c for c in SUBJUDGEMENTS if c in las.columns]
    if "sif_overall" not in las.columns or not cols:
        return None
    d = pd.DataFrame({"overall": rating_codes(las["sif_overall"], FOUR_GRADES, coding)})
    for c in cols:
        d[c] = rating_codes(las[c], FOUR_GRADES, coding)
    return d


def table1_subjudgements(panel, sample: pd.DataFrame, coding: str, exact) -> pd.DataFrame:
    """Spearman rho of the overall judgement (four grades) with each key sub-judgement."""
    d = subjudgement_codes(panel, sample, coding)
    cols = [c for c in SUBJUDGEMENTS if d is not None and c in d.columns]
    if d is None or not cols:
        return pd.DataFrame({"subjudgement": list(SUBJUDGEMENTS),
                             "label": list(SUBJUDGEMENTS.values()), "rho": np.nan,
                             "p_value": np.nan, "n": 0, "mark": "",
                             "note": "the panel has no SIF sub-judgements"})
    out = spearman_with(d, "overall", cols, exact).rename(columns={"variable": "subjudgement"})
    out.insert(1, "label", out["subjudgement"].map(SUBJUDGEMENTS))
    out["note"] = ""
    return out


def means_tables(data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Tables 5-7: n, mean and SD per category and overall; for each category whether it
    does better than the overall mean (lower is better for all of them)."""
    out = {}
    for tab in ("table5", "table6", "table7"):
        rows = []
        for v in (v for v in VARIABLES if v.group == tab):
            st = group_stats(data[v.name], data["judgement"].astype(object), list(
                reversed(CATEGORIES)))
            overall = float(st.loc[st["group"] == "all", "mean"].iloc[0])
            for r in st.itertuples(index=False):
                rel = ""
                if r.group != "all" and math.isfinite(r.mean) and math.isfinite(overall):
                    better = r.mean < overall if v.lower_is_better else r.mean > overall
                    rel = "equal" if r.mean == overall else ("better" if better else "worse")
                rows.append({"variable": v.name, "label": v.label,
                             "category": CATEGORY_LABELS.get(r.group, "all authorities"),
                             "judgement": r.group, "n": r.n, "mean": r.mean, "sd": r.sd,
                             "relative_to_overall": rel,
                             "note": "" if r.n or v.indicator else REASON_NOT_IN_PANEL})
        out[f"{tab}_means"] = pd.DataFrame(rows)
    return out


def anova_inputs(data: pd.DataFrame) -> list[dict]:
    """The one-way ANOVAs of Table 8: spend across the categories (all LAs), then within each
    category across deprivation tertiles (with Tukey HSD): comparison, judgement, factor,
    y (spend), g (the groups, a Categorical), tukey."""
    d = data.dropna(subset=["spend_per_child"])
    out = [{"comparison": "spend across Ofsted categories (all LAs)", "judgement": "all",
            "factor": "category", "y": d["spend_per_child"].to_numpy(dtype=float),
            "g": pd.Categorical(d["judgement"], categories=list(reversed(CATEGORIES))),
            "tukey": False}]
    for cat in reversed(CATEGORIES):
        sub = d[(d["judgement"] == cat) & d["deprivation_tertile"].notna()]
        out.append({"comparison": f"spend across deprivation tertiles: {CATEGORY_LABELS[cat]}",
                    "judgement": cat, "factor": "deprivation tertile",
                    "y": sub["spend_per_child"].to_numpy(dtype=float),
                    "g": pd.Categorical(sub["deprivation_tertile"].map(TERTILE_LABELS),
                                        categories=list(TERTILE_LABELS.values())),
                    "tukey": True})
    return out


def table8(data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Spend per child: by category and tertile; ANOVA across categories and, within each
    category, across tertiles with Tukey HSD."""
    d = data.dropna(subset=["spend_per_child"])
    tert = pd.Categorical(d["deprivation_tertile"].map(TERTILE_LABELS),
                          categories=list(TERTILE_LABELS.values()))
    d = d.assign(tertile=tert)
    stats_rows = []
    for cat in [*reversed(CATEGORIES), "all"]:
        sub = d if cat == "all" else d[d["judgement"] == cat]
        st = group_stats(sub["spend_per_child"], sub["tertile"].astype(object),
                         list(TERTILE_LABELS.values()))
        for r in st.itertuples(index=False):
            stats_rows.append({"category": CATEGORY_LABELS.get(cat, "all authorities"),
                               "judgement": cat, "deprivation": r.group, "n": r.n,
                               "mean": r.mean, "sd": r.sd})
    anova_rows, tukey_rows = [], []

    def anova_row(label, judgement, factor, values, groups):
        try:
            a = aov(values, groups)
            t = a.table
            return {"comparison": label, "judgement": judgement, "factor": factor,
                    "F": a.statistic, "df1": float(t["df"].iloc[0]),
                    "df2": float(t["df"].iloc[1]), "p_value": a.p_value,
                    "n": int(sum(a.group_n)), "note": ""}
        except ValueError as exc:
            return {"comparison": label, "judgement": judgement, "factor": factor,
                    "F": np.nan, "df1": np.nan, "df2": np.nan, "p_value": np.nan,
                    "n": int(pd.Series(values).notna().sum()), "note": str(exc)}

    for a in anova_inputs(data):
        anova_rows.append(anova_row(a["comparison"], a["judgement"], a["factor"], a["y"],
                                    a["g"]))
        if not a["tukey"]:
            continue
        cat = a["judgement"]
        try:
            tk = tukey_hsd(a["y"], a["g"])
            for c, diff, lo, hi, p in zip(tk.contrast, tk.diff, tk.lwr, tk.upr, tk.p_adj,
                                          strict=True):
                tukey_rows.append({"category": CATEGORY_LABELS[cat], "judgement": cat,
                                   "contrast": c, "diff": diff, "lwr": lo, "upr": hi,
                                   "p_adj": p})
        except ValueError:
            pass
    tukey = pd.DataFrame(tukey_rows, columns=["category", "judgement", "contrast", "diff", "lwr",
                                              "upr", "p_adj"])
    return {"table8_spend": pd.DataFrame(stats_rows), "table8_anova": pd.DataFrame(anova_rows),
            "table8_tukey": tukey}


def _models(data: pd.DataFrame) -> list[tuple[str, list[str]]]:
    names = model_variables(data)
    models = [(n, [n]) for n in names]
    if "deprivation" in names and "spend_per_child" in names:
        models.append(("deprivation + spend_per_child", ["deprivation", "spend_per_child"]))
    return models


def ordinal_models(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Cumulative logit (polr) of the category on each model's predictors; the test of
    parallel lines and Brant's test. (coefficients, fit, notes)."""
    coef_rows, fit_rows, notes = [], [], []
    for label, xs in _models(data):
        d = data[["category", *xs]].dropna()
        formula = "category ~ " + " + ".join(xs)
        row = {"model": label, "n": len(d)}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = polr(formula, d)
                t = res.tidy()
                for r in t.itertuples(index=False):
                    coef_rows.append({"model": label, "term": r.term, "coef_type": r.coef_type,
                                      "B": r.estimate, "SE": r.std_error, "wald": r.wald,
                                      "df": 1, "p_value": r.p_value})
                g = res.glance().iloc[0]
                row.update({"loglik": g["loglik"], "lr_chisq": g["lr_chisq"],
                            "lr_df": g["lr_df"], "lr_p_value": g["lr_p_value"],
                            "nagelkerke_r2": g["nagelkerke_r2"]})
                pl = parallel_lines_test(formula, d)
                row.update({"parallel_chisq": pl.statistic, "parallel_df": pl.df,
                            "parallel_p_value": pl.p_value})
                br = brant_test(formula, d)
                row.update({"brant_chisq": br.statistic, "brant_df": br.df,
                            "brant_p_value": br.p_value})
            except (ValueError, np.linalg.LinAlgError) as exc:
                row["error"] = str(exc)
        msgs = sorted({str(w.message) for w in caught})
        row["warnings"] = "; ".join(msgs)
        fit_rows.append(row)
    cols = ["model", "n", "loglik", "lr_chisq", "lr_df", "lr_p_value", "nagelkerke_r2",
            "parallel_chisq", "parallel_df", "parallel_p_value", "brant_chisq", "brant_df",
            "brant_p_value", "warnings"]
    fit = pd.DataFrame(fit_rows)
    for c in cols:
        if c not in fit:
            fit[c] = np.nan
    fit = fit[cols + (["error"] if "error" in fit else [])]
    failed = fit["parallel_p_value"] < 0.05
    if failed.any():
        notes.append(f"Test of parallel lines rejected (p < .05) in {int(failed.sum())} of "
                     f"{len(fit)} ordinal models ({', '.join(fit.loc[failed, 'model'])}); the "
                     "paper moved to multinomial regression because the assumption failed.")
    return pd.DataFrame(coef_rows), fit, notes


def multinomial_models(data: pd.DataFrame, references
                       ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Multinomial logit of the category on each model's predictors, for each reference:
    (coefficients with B, SE, Wald (1 df), p, OR and its CI; fit with the LR test against
    the intercept-only model; the LR test of each effect, which no reference changes)."""
    coef_rows, fit_rows, lr_rows = [], [], []
    for label, xs in _models(data):
        d = data[["category", *xs]].dropna()
        d = d.assign(category=pd.Categorical(d["category"].astype(str),
                                             categories=list(reversed(CATEGORIES))))
        formula = "category ~ " + " + ".join(xs)
        for ref in references:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    res = multinom(formula, d, ref=ref)
                except ValueError as exc:
                    fit_rows.append({"model": label, "reference": ref, "n": len(d),
                                     "warnings": str(exc)})
                    continue
                t = res.tidy()
                lr = res.lr_tests().set_index("effect")
            for r in t.itertuples(index=False):
                coef_rows.append({"model": label, "reference": ref, "level": r.y_level,
                                  "term": r.term, "B": r.estimate, "SE": r.std_error,
                                  "wald": r.wald, "df": 1, "p_value": r.p_value,
                                  "odds_ratio": r.odds_ratio, "or_conf_low": r.or_conf_low,
                                  "or_conf_high": r.or_conf_high})
            g = res.glance().iloc[0]
            fit_rows.append({"model": label, "reference": ref, "n": res.nobs,
                             "loglik": g["loglik"], "lr_chisq": g["lr_chisq"],
                             "lr_df": g["lr_df"], "lr_p_value": g["lr_p_value"],
                             "nagelkerke_r2": g["nagelkerke_r2"],
                             "warnings": "; ".join(sorted({str(w.message) for w in caught}))})
            if ref == references[0]:
                for x in xs:
                    if x in lr.index:
                        lr_rows.append({"model": label, "effect": x,
                                        "chisq": float(lr.loc[x, "statistic"]),
                                        "df": int(lr.loc[x, "df"]),
                                        "p_value": float(lr.loc[x, "p_value"])})
    return (pd.DataFrame(coef_rows), pd.DataFrame(fit_rows),
            pd.DataFrame(lr_rows, columns=["model", "effect", "chisq", "df", "p_value"]))


# ---- Python against R -----------------------------------------------------------------------

R_CODE = R_SPEARMAN + r"""
options(contrasts = c("contr.treatment", "contr.poly"))
ctl <- ordinal::clm.control(gradTol = 1e-11, relTol = 1e-14, maxIter = 1000)
vfit <- function(f, family, d) VGAM::vglm(f, family, data = d, epsilon = 1e-13, maxit = 200)
brant <- function(f, d) {
  # Brant (1990): binary logits of 1(Y > j); Wald test that their slopes agree
  X <- model.matrix(f, d); p <- ncol(X) - 1; q <- nlevels(d$y) - 1; y <- as.integer(d$y)
  fits <- lapply(seq_len(q), function(j) glm.fit(X, as.numeric(y > j), family = binomial(),
                 control = glm.control(epsilon = 1e-15, maxit = 100)))
  info <- lapply(fits, function(g) solve(crossprod(X, X * (g$fitted.values *
                                                           (1 - g$fitted.values)))))
  V <- matrix(0, q * p, q * p)
  for (j in seq_len(q)) for (l in j:q) {
    pj <- fits[[j]]$fitted.values; pl <- fits[[l]]$fitted.values
    blk <- if (j == l) info[[j]] else info[[j]] %*% crossprod(X, X * (pl - pj * pl)) %*% info[[l]]
    V[(j - 1) * p + 1:p, (l - 1) * p + 1:p] <- blk[-1, -1]
    V[(l - 1) * p + 1:p, (j - 1) * p + 1:p] <- t(blk[-1, -1])
  }
  b <- unlist(lapply(fits, function(g) g$coefficients[-1]))
  D <- matrix(0, (q - 1) * p, q * p)
  for (m in 2:q) {
    D[(m - 2) * p + 1:p, 1:p] <- diag(p)
    D[(m - 2) * p + 1:p, (m - 1) * p + 1:p] <- -diag(p)
  }
  s <- as.numeric(t(D %*% b) %*% solve(D %*% V %*% t(D), D %*% b))
  c(s, pchisq(s, (q - 1) * p, lower.tail = FALSE))
}
r2 <- function(ll, ll0, n) {
  cs <- 1 - exp(2 * (ll0 - ll) / n)
  cs / (1 - exp(2 * ll0 / n))
}
anova <- lapply(input$anova, function(a) {
  g <- droplevels(a$g)
  fit <- aov(a$y ~ g)
  s <- summary(fit)[[1]]
  out <- list(F = s[["F value"]][1], p = s[["Pr(>F)"]][1])
  if (isTRUE(a$tukey)) out$tukey <- TukeyHSD(fit)$g
  out
})
models <- lapply(input$models, function(m) {
  d <- input$d[complete.cases(input$d[, c("category", m$xs)]), c("category", m$xs),
               drop = FALSE]
  n <- nrow(d)
  f <- reformulate(m$xs, "y")
  d$y <- factor(d$category, levels = input$ord_levels, ordered = TRUE)
  o <- ordinal::clm(f, data = d, control = ctl)
  o0 <- ordinal::clm(y ~ 1, data = d, control = ctl)
  ll <- as.numeric(logLik(o)); ll0 <- as.numeric(logLik(o0))
  b <- c(o$beta, o$alpha)
  po <- vfit(f, VGAM::cumulative(parallel = TRUE), d)
  gen_warn <- character(0)
  gen <- tryCatch(withCallingHandlers(vfit(f, VGAM::cumulative(parallel = FALSE), d),
                                      warning = function(w) {
                                        gen_warn <<- c(gen_warn, conditionMessage(w))
                                        invokeRestart("muffleWarning")
                                      }), error = function(e) conditionMessage(e))
  status <- if (is.character(gen)) paste("failed:", gen) else
    if (any(grepl("convergence not obtained", gen_warn))) "did not converge" else
    if (min(fitted(gen)) < 1e-10) "clamped negative fitted probabilities" else "valid"
  pl <- if (is.character(gen)) NA_real_ else
    2 * (as.numeric(logLik(gen)) - as.numeric(logLik(po)))
  pl_df <- (nlevels(d$y) - 2) * length(o$beta)
  ordinal <- c(.wald(b, sqrt(diag(vcov(o)))[names(b)]),
               list(loglik = ll, lr_chisq = 2 * (ll - ll0),
                    lr_p_value = pchisq(2 * (ll - ll0), length(o$beta), lower.tail = FALSE),
                    nagelkerke_r2 = r2(ll, ll0, n), parallel_chisq = pl,
                    parallel_p_value = pchisq(pl, pl_df, lower.tail = FALSE),
                    general_status = status, brant = brant(f, d)))
  d$y <- factor(d$category, levels = input$mn_levels)
  K <- nlevels(d$y)
  ll0 <- as.numeric(logLik(vfit(y ~ 1, VGAM::multinomial(), d)))
  multinomial <- lapply(input$refs, function(ref) {
    g <- vfit(f, VGAM::multinomial(refLevel = ref), d)
    # restarted from its own estimate, so that vcov is at the maximum (see the docstring)
    g <- VGAM::vglm(f, VGAM::multinomial(refLevel = ref), data = d, epsilon = 1e-13,
                    maxit = 200, coefstart = coef(g))
    ll <- as.numeric(logLik(g))
    c(.wald(coef(g), sqrt(diag(vcov(g)))),
      list(loglik = ll, lr_chisq = 2 * (ll - ll0),
           lr_p_value = pchisq(2 * (ll - ll0), (K - 1) * length(m$xs), lower.tail = FALSE),
           nagelkerke_r2 = r2(ll, ll0, n)))
  })
  names(multinomial) <- input$refs
  full <- multinomial[[1]]$loglik
  drop <- vapply(m$xs, function(x) {
    rest <- setdiff(m$xs, x)
    f0 <- if (length(rest)) reformulate(rest, "y") else y ~ 1
    2 * (full - as.numeric(logLik(vfit(f0, VGAM::multinomial(), d))))
  }, numeric(1))
  list(ordinal = ordinal, multinomial = multinomial,
       lr_tests = list(chisq = drop, p_value = pchisq(drop, K - 1, lower.tail = FALSE)))
})
names(models) <- vapply(input$models, function(m) m$label, "")
list(table4 = .spearman(input$table4, input$exact),
     table1 = .spearman(input$table1, input$exact), anova = anova, models = models)
"""
"""The study's Spearman tests, ANOVAs and Tukey HSD, ordinal and multinomial models in R, on
the same LAs: ``cor.test``, ``aov``, ``TukeyHSD``; ``ordinal::clm`` (gradTol 1e-11) with its
intercept-only model for the LR test and Nagelkerke R2; the test of parallel lines as the LR
of ``VGAM::vglm(cumulative(parallel = FALSE))`` against ``parallel = TRUE``; Brant's test
written out (binary logits by ``glm.fit``); ``VGAM::vglm(multinomial(refLevel = ref))``
(epsilon 1e-13) for each reference, and its drop-one LR tests. VGAM computes vcov from the
working weights of its last iteration, one step behind its final coefficients (its SEs then
differ from the maximum's by ~1e-7, see ``replication.parity.multinomial``); the fit is
therefore run once more from its own coefficients (``coefstart``), which puts vcov at the
maximum."""


def python_vs_r(data: pd.DataFrame, tables: dict[str, pd.DataFrame], opt: dict,
                subjudgements: pd.DataFrame | None
                ) -> tuple[pd.DataFrame, tuple[str, ...], list[str]]:
    """Every model table of the study re-computed in R (one call) beside the study's numbers:
    (the ``python_vs_r`` table, R's warnings, notes on the comparison). Raises
    :class:`replication.rbridge.RNotAvailable` when R, ordinal or VGAM is missing."""
    from replication.parity.groups import (  # noqa: PLC0415
        GROUPS_TOL,
        TUKEY_CI_DEFAULT_TOL,
        TUKEY_MIN_DF,
        TUKEY_P_ABS_TOL,
        TUKEY_P_SMALL_DF_TOL,
    )
    from replication.parity.multinomial import TOL_VGAM  # noqa: PLC0415
    from replication.parity.ordinal import TOL_ORDINAL  # noqa: PLC0415
    from replication.rbridge import call_r  # noqa: PLC0415

    t4 = tables["table4_spearman"]
    t4 = t4[t4["n"] > 0]
    t1 = tables["table1_subjudgements"]
    t1 = t1[t1["n"] > 0] if subjudgements is not None else t1.iloc[:0]
    anovas = anova_inputs(data)
    an = tables["table8_anova"]
    ok = an["F"].notna().to_numpy()
    anovas = [a for a, keep in zip(anovas, ok, strict=True) if keep]
    an = an[ok]
    models = _models(data)
    cols = sorted({x for _, xs in models for x in xs})
    d = data[["category", *cols]].copy()
    d["category"] = d["category"].astype(str).where(d["category"].notna())
    inp = {
        "exact": opt["spearman_exact"],
        "table4": spearman_pairs(data, [("rating", v) for v in t4["variable"]]),
        "table1": spearman_pairs(subjudgements, [("overall", v) for v in t1["subjudgement"]])
        if len(t1) else [],
        "anova": [{"y": a["y"], "g": a["g"], "tukey": a["tukey"]} for a in anovas],
        "d": d.reset_index(drop=True),
        "models": [{"label": label, "xs": list(xs)} for label, xs in models],
        "ord_levels": coded_levels(CATEGORIES, opt["coding"]),
        "mn_levels": list(reversed(CATEGORIES)),
        "refs": list(opt["references"]),
    }
    res = call_r(R_CODE, data=inp, packages=("ordinal", "VGAM"))
    r = res.value
    rows = spearman_rows("table4_spearman", list(t4["variable"]), t4["rho"].to_numpy(),
                         t4["p_value"].to_numpy(), r["table4"])
    rows += spearman_rows("table1_subjudgements", list(t1["subjudgement"]),
                          t1["rho"].to_numpy(), t1["p_value"].to_numpy(), r["table1"])
    tk = tables["table8_tukey"]
    for row, ra in zip(an.itertuples(index=False), r["anova"], strict=True):
        label = f"{row.factor}: {row.judgement}"
        rows.append(vs_r_row("table8_anova", label, "F", row.F, ra["F"][0], GROUPS_TOL))
        rows.append(vs_r_row("table8_anova", label, "p_value", row.p_value, ra["p"][0],
                             GROUPS_TOL))
        if "tukey" not in ra:
            continue
        rt = ra["tukey"]
        ptol = TUKEY_P_ABS_TOL if row.df2 >= TUKEY_MIN_DF else TUKEY_P_SMALL_DF_TOL
        for t in tk[tk["judgement"] == row.judgement].itertuples(index=False):
            lab = f"{row.judgement}: {t.contrast}"
            if t.contrast not in rt.index:
                rows.append(vs_r_row("table8_tukey", lab, "diff", t.diff, math.nan, GROUPS_TOL))
                continue
            q = rt.loc[t.contrast]
            half = abs(float(q["upr"]) - float(q["lwr"])) / 2
            rows += [vs_r_row("table8_tukey", lab, "diff", t.diff, q["diff"], GROUPS_TOL),
                     vs_r_row("table8_tukey", lab, "lwr", t.lwr, q["lwr"],
                              TUKEY_CI_DEFAULT_TOL, half),
                     vs_r_row("table8_tukey", lab, "upr", t.upr, q["upr"],
                              TUKEY_CI_DEFAULT_TOL, half),
                     vs_r_row("table8_tukey", lab, "p_adj", t.p_adj, q["p adj"], ptol,
                              P_ABS_FLOOR)]
    oc, of = tables["ordinal_coefficients"], tables["ordinal_fit"].set_index("model")
    mc, mf = tables["multinomial"], tables["multinomial_fit"]
    ml = tables["multinomial_lr_tests"]
    crossing: list[str] = []
    for label, _xs in models:
        rm = r["models"][label]
        ro = rm["ordinal"]
        for c in oc[oc["model"] == label].itertuples(index=False):
            rows += wald_rows("ordinal_coefficients", f"{label}: {c.term}", c._asdict(), ro,
                              c.term, TOL_ORDINAL)
        f = of.loc[label]
        status = ro["general_status"][0]
        if status != "valid":
            crossing.append(f"{label} (VGAM's general model: {status}"
                            + ("; ours warned: " + f["warnings"] if f["warnings"] else "")
                            + ")")
        for q, floor in (("loglik", 0.0), ("lr_chisq", CHISQ_FLOOR), ("lr_p_value", 0.0),
                         ("nagelkerke_r2", 0.0), ("parallel_chisq", CHISQ_FLOOR),
                         ("parallel_p_value", 0.0)):
            rows.append(vs_r_row("ordinal_fit", label, q, f[q], ro[q][0], TOL_ORDINAL, floor))
        rows.append(vs_r_row("ordinal_fit", label, "brant_chisq", f["brant_chisq"],
                             ro["brant"][0], TOL_ORDINAL, CHISQ_FLOOR))
        rows.append(vs_r_row("ordinal_fit", label, "brant_p_value", f["brant_p_value"],
                             ro["brant"][1], TOL_ORDINAL))
        for ref in opt["references"]:
            rr = rm["multinomial"][ref]
            others = [lv for lv in inp["mn_levels"] if lv != ref]
            sel = mc[(mc["model"] == label) & (mc["reference"] == ref)]
            for c in sel.itertuples(index=False):
                key = f"{c.term}:{others.index(c.level) + 1}"
                rows += wald_rows("multinomial", f"{label}; reference {ref}; {c.level}: "
                                  f"{c.term}", c._asdict(), rr, key, TOL_VGAM,
                                  ("B", "SE", "wald", "p_value", "odds_ratio"))
            fr = mf[(mf["model"] == label) & (mf["reference"] == ref)]
            if len(fr):
                fr = fr.iloc[0]
                for q, floor in (("loglik", 0.0), ("lr_chisq", CHISQ_FLOOR),
                                 ("lr_p_value", 0.0), ("nagelkerke_r2", 0.0)):
                    rows.append(vs_r_row("multinomial_fit", f"{label}; reference {ref}", q,
                                         fr[q], rr[q][0], TOL_VGAM, floor))
        lr = rm["lr_tests"]
        for t in ml[ml["model"] == label].itertuples(index=False):
            rows.append(vs_r_row("multinomial_lr_tests", f"{label}: {t.effect}", "chisq",
                                 t.chisq, lr["chisq"][t.effect], TOL_VGAM, CHISQ_FLOOR))
            rows.append(vs_r_row("multinomial_lr_tests", f"{label}: {t.effect}", "p_value",
                                 t.p_value, lr["p_value"][t.effect], TOL_VGAM))
    more = []
    if crossing:
        more.append("test of parallel lines: the general (non-parallel) cumulative model "
                    "may be no maximum-likelihood fit for " + "; ".join(crossing) + ". Where "
                    "its cumulative curves cross within the data, each program stops at a "
                    "different invalid point, the two statistics need not agree, and the "
                    "test is not valid")
    return vs_r_frame(rows), res.warnings, more


def sample_tables(sample: pd.DataFrame, las: pd.DataFrame, opt: dict,
                  active: set[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the sample's counts beside the paper's, the counts under each sample rule)."""
    inc = sample[sample["included"]]
    rows = []
    for cat in reversed(CATEGORIES):
        k = int((inc["judgement"] == cat).sum())
        rows.append({"category": CATEGORY_LABELS[cat], "judgement": cat,
                     "paper_n": PAPER_SAMPLE[cat], "reproduced_n": k,
                     "difference": k - PAPER_SAMPLE[cat]})
    rows.append({"category": "total", "judgement": "", "paper_n": PAPER_N,
                 "reproduced_n": len(inc), "difference": len(inc) - PAPER_N})
    vs = pd.DataFrame(rows)
    rules = []
    for rule in SAMPLE_RULES:
        s = select_sample(las, rule=rule, window=opt["window"], published_by=opt["published_by"],
                          active=active)
        i = s[s["included"]]
        rules.append({"rule": rule, "in_use": rule == opt["sample_rule"], "n": len(i),
                      **{CATEGORY_LABELS[c]: int((i["judgement"] == c).sum())
                         for c in reversed(CATEGORIES)},
                      "paper": f"{PAPER_N} ({PAPER_SAMPLE['inadequate']}/"
                               f"{PAPER_SAMPLE['requires_improvement']}/"
                               f"{PAPER_SAMPLE['outstanding_good']})"})
    return vs, pd.DataFrame(rules)


# ---- published vs reproduced ----------------------------------------------------------------

def reproduce_published(data: pd.DataFrame, tables: dict[str, pd.DataFrame], opt: dict,
                        synthetic: bool) -> dict[str, Reproduced]:
    """The reproduced value of every published record of the study (by record id)."""
    base = REASON_SYNTHETIC if synthetic else ""
    real_sample = "sample: the reproduced sample differs from the paper's (see sample_vs_paper)"
    out: dict[str, Reproduced] = {}

    def put(rid, value, reason=""):
        out[rid] = Reproduced(float(value) if value is not None else math.nan,
                              reason or base or real_sample)

    n = len(data)
    for rid in ("abs_n", "m_n", "sl_n", "sum_n", "spend_n", "m_rerank"):
        put(rid, n, base or "sample: the selection rule re-applied to the Ofsted data")
    counts = data["judgement"].value_counts()
    put("m_low", counts.get("inadequate", 0))
    put("m_med", counts.get("requires_improvement", 0))
    put("m_high", counts.get("outstanding_good", 0))
    put("sum_lowmed", counts.get("inadequate", 0) + counts.get("requires_improvement", 0))
    put("sl_gcse_n", math.nan, REASON_NOT_IN_PANEL + " (GCSEs of children in care)")
    put("sl_gcse_of", n)
    k = sum(1 for v in VARIABLES if data[v.name].notna().any()) + 2
    put("sl_vars", k, "definitions: the variables of Table 2 that the panel has, with spend and "
                      "deprivation (Table 2 itself did not survive extraction)")
    put("sl_pct_england", 100 * n / 152, (base or real_sample) + "; of the 152 LAs in England "
                                                                  "then")
    sp = tables["table4_spearman"].set_index("variable")
    dep_var = "deprivation_tertile" if opt["deprivation_measure"] == "tertile" else \
        "deprivation_rank"
    imd = opt.get("_imd_source", "")
    dep_def = f"deprivation as {opt['deprivation_measure']}" + (
        f"; definitions: {imd} in the panel, the paper used IMD 2015" if imd else "")
    for tag, var in (("dep", dep_var), ("overdue", "assessments_overdue"),
                     ("missing", "cic_missing")):
        r = sp.loc[var]
        why = "" if r["n"] > 0 else REASON_NOT_IN_PANEL
        defin = {"overdue": "definitions: assessments overdue = 100 - assessments within 45 "
                            "working days",
                 "dep": dep_def}.get(tag, "")
        text = why or "; ".join(x for x in (base or real_sample, defin) if x)
        put(f"rho_{tag}", r["rho"], text)
        put(f"p_{tag}", r["p_value"], text)
    means = tables["table5_means"].set_index(["variable", "judgement"])
    m6 = tables["table6_means"].set_index(["variable", "judgement"])

    def mean_of(tab, var, cat):
        try:
            return float(tab.loc[(var, cat), "mean"])
        except KeyError:
            return math.nan

    put("mean_reref_inad", mean_of(means, "re_referrals", "inadequate"))
    put("mean_reref_ri", mean_of(means, "re_referrals", "requires_improvement"))
    put("mean_reref_go", mean_of(means, "re_referrals", "outstanding_good"))
    put("mean_repeatcp_inad", mean_of(means, "repeat_cp_plans", "inadequate"))
    put("mean_repeatcp_go", mean_of(means, "repeat_cp_plans", "outstanding_good"))
    put("mean_gcse_ri", mean_of(m6, "cic_without_5_gcses", "requires_improvement"),
        REASON_NOT_IN_PANEL)
    put("mean_gcse_go", mean_of(m6, "cic_without_5_gcses", "outstanding_good"),
        REASON_NOT_IN_PANEL)
    allm = pd.concat([tables[f"{t}_means"] for t in ("table5", "table6", "table7")])
    go = allm[allm["judgement"] == "outstanding_good"]
    put("count_better", int((go["relative_to_overall"] == "better").sum()),
        (base or real_sample) + f"; counted over the {int((go['n'] > 0).sum())} of 11 variables "
                                "the panel has")
    put("count_worse", int((go["relative_to_overall"] == "worse").sum()),
        (base or real_sample) + f"; counted over the {int((go['n'] > 0).sum())} of 11 variables "
                                "the panel has")
    spend = data["spend_per_child"].dropna()
    n_gap = int(data["spend_per_child"].isna().sum())
    spend_reason = base or (
        real_sample + f"; definitions: s251 {opt['spend_indicator']} per child 0-17 (ONS), "
        + ("RPI-adjusted" if opt["rpi"] else "nominal, not RPI-adjusted")
        + (f"; {n_gap} LAs without spend in the inspection's financial year" if n_gap else ""))
    put("spend_mean", spend.mean() if len(spend) else math.nan, spend_reason)
    an = tables["table8_anova"].set_index("judgement")
    put("spend_anova_p", an.loc["all", "p_value"], spend_reason)
    for tag, cat in (("inad", "inadequate"), ("ri", "requires_improvement"),
                     ("go", "outstanding_good")):
        put(f"anova_{tag}_f", an.loc[cat, "F"], spend_reason)
        put(f"anova_{tag}_p", an.loc[cat, "p_value"], spend_reason)
    tk = tables["table8_tukey"]
    sel = tk[(tk["judgement"] == "inadequate") & (tk["contrast"] == "high-low")]
    put("tukey_p", sel["p_adj"].iloc[0] if len(sel) else math.nan,
        spend_reason + "; read as the inadequate category's low vs high deprivation contrast")
    mn = tables["multinomial"]
    ref = opt["references"][0]

    def coef(model, term, quantity):
        s = mn[(mn["model"] == model) & (mn["reference"] == ref) & (mn["term"] == term)
               & (mn["level"] == "outstanding_good")]
        return float(s[quantity].iloc[0]) if len(s) else math.nan

    mreason = (base or real_sample) + f"; reference category '{ref}' (not stated in the " \
                                      "sentence)"
    dep_reason = mreason + "; " + dep_def
    for tag, model, term, why in (
            ("dep", "deprivation", "deprivation", dep_reason),
            ("dep_spend", "deprivation + spend_per_child", "deprivation", dep_reason),
            ("overdue", "assessments_overdue", "assessments_overdue", mreason),
            ("missing", "cic_missing", "cic_missing", mreason)):
        for suffix, q in (("b", "B"), ("wald", "wald"), ("p", "p_value")):
            v = coef(model, term, q)
            put(f"mlr_{tag}_{suffix}", v, why if math.isfinite(v) else REASON_NOT_IN_PANEL)
    lr = tables["multinomial_lr_tests"]
    s = lr[(lr["model"] == "spend_per_child") & (lr["effect"] == "spend_per_child")]
    put("mlr_spend_p", float(s["p_value"].iloc[0]) if len(s) else math.nan,
        (base or real_sample) + "; the likelihood-ratio test of spend (2 df)")
    return out


def options_text(opt: dict) -> str:
    what = "children's services" if opt["spend_indicator"] == "spend_per_child" else \
        opt["spend_indicator"]
    spend = f"s251 {what} spend per child 0-17, financial year of the inspection" \
        + (" (gaps filled from the adjacent years)" if opt["spend_fill"] == "adjacent" else "") \
        + (f", RPI-adjusted to {opt['rpi_base_year'] - 1}-{str(opt['rpi_base_year'])[2:]} "
           "prices" if opt["rpi"] else ", nominal")
    return (f"coding: {coding_text(opt['coding'], CATEGORIES)}; deprivation in the models: "
            f"{opt['deprivation_measure']} (rank {opt['deprivation_rank']}, 1 = least deprived; "
            f"tertiles {opt['tertiles']}); spend: {spend}; indicators: year "
            f"{opt['indicator_year']}; sample: {_rule_text(opt)}")


def _rule_text(opt: dict) -> str:
    if opt["sample_rule"] == "published_by":
        return f"first SIF report published by {opt['published_by']}"
    return f"first SIF inspection started {opt['window'][0]} to {opt['window'][1]}"


# ---- run ------------------------------------------------------------------------------------

def _check_options(opt: dict) -> None:
    check_choice("coding", opt["coding"], CODINGS)
    check_choice("sample_rule", opt["sample_rule"], SAMPLE_RULES)
    check_choice("indicator_year", opt["indicator_year"], INDICATOR_YEARS)
    check_choice("spend_fill", opt["spend_fill"], SPEND_FILLS)
    check_choice("spend_indicator", opt["spend_indicator"], SPEND_INDICATORS)
    check_choice("deprivation_measure", opt["deprivation_measure"], DEPRIVATION_MEASURES)
    for r in opt["references"]:
        check_choice("references", r, CATEGORIES)


def run(panel: Any, *, progress: Callable[[int, int, str], None] | None = None,
        with_r: bool = False, **options: Any) -> StudyResult:
    """Run the study on ``panel`` (synthetic or real); options as :data:`DEFAULT_OPTIONS`.

    ``with_r=True`` adds the table ``python_vs_r`` (:func:`python_vs_r`: every model table
    re-computed in R) when R, ordinal and VGAM are installed; otherwise a note says why not.
    """
    unknown = set(options) - set(DEFAULT_OPTIONS)
    if unknown:
        raise TypeError(f"wilkins2018.run: unknown options {sorted(unknown)}; known: "
                        f"{sorted(DEFAULT_OPTIONS)}")
    opt = {**DEFAULT_OPTIONS, **options}
    _check_options(opt)
    total = 8 if with_r else 7

    def step(i: int, label: str) -> None:
        if progress is not None:
            progress(i, total, label)

    synthetic = getattr(panel, "truth", None) is not None
    notes: list[str] = []
    tables: dict[str, pd.DataFrame] = {}

    step(0, "sample")
    years = range(pd.Timestamp(opt["window"][0]).year + 1, pd.Timestamp(opt["window"][1]).year + 2)
    active = _active_las(panel, years)
    sample = select_sample(panel.las, rule=opt["sample_rule"], window=opt["window"],
                           published_by=opt["published_by"], active=active)
    if not sample["included"].any():
        raise ValueError(f"wilkins2018: no LA meets the sample rule ({_rule_text(opt)}, with "
                         "a judgement)")
    tables["sample"] = sample
    vs, rules = sample_tables(sample, panel.las, opt, active)
    tables["sample_vs_paper"] = vs
    tables["sample_rules"] = rules
    n = int(sample["included"].sum())
    notes.append(f"Sample: {n} LAs (paper: {PAPER_N}); by category "
                 + ", ".join(f"{r.category} {r.reproduced_n} (paper {r.paper_n})"
                             for r in vs.iloc[:3].itertuples()) + ".")
    missing = sample[~sample["included"] & sample["reason"].str.contains("may be in the paper")]
    if len(missing):
        notes.append("LAs without a SIF inspection in the Ofsted data that existed then (they "
                     "may be in the paper's sample): " + ", ".join(
                         f"{r.name} ({r.la_code})" for r in missing.itertuples()) + ".")
    for r in rules.itertuples():
        if not r.in_use:
            notes.append(f"Under sample_rule={r.rule!r} the sample would have {r.n} LAs "
                         f"({r.inadequate} inadequate, {r._5} in need of improvement, "
                         f"{r._6} good and outstanding; paper {r.paper}).")
    notes.append("The paper does not list its LAs: differences can be named only where the "
                 "data explain them (LAs missing from the Ofsted data), else only counted.")
    if synthetic:
        notes.append("Synthetic data: the numbers are not the paper's and are not expected to "
                     "match it; published_vs_reproduced still sets them side by side.")

    step(1, "analysis data")
    data, dnotes = analysis_data(panel, sample, opt)
    notes += dnotes
    present = set(panel.long["indicator"].unique())
    tables["variables"] = variables_table(VARIABLES, present, data)
    absent = [v.label for v in VARIABLES if not available(v, present)]
    if absent:
        notes.append("Not in the panel (their rows are empty): " + "; ".join(absent) + ".")
    if opt["rpi"] is None:
        notes.append("Spend per child is nominal: no RPI series was given (option rpi); the "
                     "paper adjusted to 2015-16 prices.")
    tables["analysis_data"] = data.reset_index()

    step(2, "crosstab and correlations")
    tables["table1_subjudgements"] = table1_subjudgements(panel, sample, opt["coding"],
                                                          opt["spearman_exact"])
    tables["table3_crosstab"] = table3_crosstab(data)
    tables["table4_spearman"] = table4_spearman(data, opt["spearman_exact"])

    step(3, "means by category")
    tables.update(means_tables(data))

    step(4, "spend per child")
    tables.update(table8(data))

    step(5, "ordinal and multinomial models")
    oc, of, onotes = ordinal_models(data)
    notes += onotes
    tables["ordinal_coefficients"] = oc
    tables["ordinal_fit"] = of
    mc, mf, ml = multinomial_models(data, opt["references"])
    tables["multinomial"] = mc
    tables["multinomial_fit"] = mf
    tables["multinomial_lr_tests"] = ml
    notes.append("The coding direction does not change the multinomial models (their signs "
                 "depend on the reference category only); it flips every Spearman rho and "
                 "ordinal coefficient.")

    step(6, "published vs reproduced")
    rep = reproduce_published(data, tables, {**opt, "_imd_source": imd_source(panel.las)},
                              synthetic)
    tables["published_vs_reproduced"] = published_vs_reproduced(STUDY, rep)
    text = options_text(opt)
    stamp(tables, text)
    notes.append("Options: " + text + ".")
    if with_r:
        step(7, "the same in R")
        subj = subjudgement_codes(panel, sample, opt["coding"])
        vr = compare_with_r(lambda: python_vs_r(data, tables, opt, subj), notes,
                            "cor.test, aov, TukeyHSD, ordinal::clm, VGAM::vglm cumulative and "
                            "multinomial, Brant's test written in R",
                            "Coefficients are compared relative to max(|B|, SE), chi-squares "
                            "relative to max(chi-square, 1), Tukey's adjusted p absolutely.")
        if vr is not None:
            tables["python_vs_r"] = vr
    step(total, "done")
    options_out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opt.items()}
    options_out["coding_levels"] = coding_text(opt["coding"], CATEGORIES)
    return StudyResult(study=STUDY, data_label=str(getattr(panel, "label", "panel")),
                       tables=tables, figures={}, options=options_out, notes=notes,
                       defaults=DEFAULT_OPTIONS, option_docs=OPTION_DOCS, given=tuple(options),
                       exclusions=study_exclusions(panel, sample, tables["analysis_data"],
                                                   VARIABLES, ("spend_per_child", "deprivation_rank")))


__all__ = ["CATEGORIES", "DEFAULT_OPTIONS", "OPTION_DOCS", "R_CODE", "STUDY", "VARIABLES", "analysis_data",
           "anova_inputs", "indicator_years", "python_vs_r", "run", "select_sample",
           "subjudgement_codes"]
