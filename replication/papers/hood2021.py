"""Hood & Goldacre (2021): the impact of Ofsted inspections on performance (METHODS section 2).

Reads as the paper's method section:

1. Median rates by event year Y-3 ... Y+3, centred on each LA's first SIF inspection
   (Figure 1).
2. For each indicator, a multilevel segmented Poisson regression (:mod:`models.its`):
   log E[y] = log(offset) + b0 + four stage terms + u_LA, by maximum likelihood with adaptive
   Gauss-Hermite quadrature (``nagq``, 7 as Stata mepoisson), for all LAs and by judgement
   (outstanding or good; requires improvement; inadequate). Results as % change with 95%
   Wald CIs for the four stages (Table 2) and as the seven-year trajectory with Y-3 = 100%
   (Figures 2-4).
3. The family of impact models (:data:`models.its.IMPACT_MODELS`) compared by AIC and BIC for
   every indicator and group (the paper reports choosing "a slope with two step changes").
4. Every number the paper prints beside its reproduction (``published_vs_reproduced``,
   :mod:`replication.papers._compare`), with the reason where they cannot agree.
5. With ``with_r=True`` and R installed: the reported model of every indicator for all LAs
   refitted by lme4's ``glmer`` (nAGQ as fitted), its four stages, their SEs and the logLik
   beside ours (``python_vs_r``).

Independent fits run in parallel (joblib), the progress callback counting finished
indicator-by-group batches. Every analytic choice is in ``StudyResult.options``.
"""

from __future__ import annotations

import math
import os
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from models import its
from replication.papers._base import (
    OptionDoc,
    StudyResult,
    combine_exclusions,
    exclusion_rows,
    panel_exclusions,
)
from replication.papers._compare import (
    REASON_NOT_IN_PANEL,
    REASON_SYNTHETIC,
    VS_R_COLUMNS,
    Reproduced,
    published_vs_reproduced,
    vs_r_row,
)

STUDY = "hood2021"

GROUPS: tuple[str, ...] = ("all", "outstanding_good", "requires_improvement", "inadequate")
"""All LAs, then the three judgement strata of the paper."""

GROUP_LABELS: dict[str, str] = {
    "all": "All LAs",
    "outstanding_good": "Outstanding or good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}

EVENT_YEARS: tuple[int, ...] = tuple(range(-3, 4))

DEFAULT_OPTIONS: dict[str, Any] = {
    "window": (-3, 3),
    "stage_scale": "stage",
    "criterion": "aic",
    "models": tuple(its.IMPACT_MODELS),
    "indicators": None,
    "outcome_kinds": None,
    "warm_start": True,
    "overdispersion": "none",
    "se_scale": "pseudo",
    "years": (2010, 2019),
    "fixed_effects_check": False,
}
"""Named options besides nagq, random_slope, impact_model and n_jobs (see :func:`run`)."""

RUN_DEFAULTS: dict[str, Any] = {"nagq": 7, "random_slope": False,
                                "impact_model": "slope_two_steps", "n_jobs": None}
"""The defaults of :func:`run`'s own keyword options (kept equal to its signature)."""

OPTION_DOCS: dict[str, OptionDoc] = {
    "nagq": OptionDoc("1 (Laplace, lme4's default) or any number of quadrature points",
                      "7: Stata mepoisson's default, the paper's estimator"),
    "random_slope": OptionDoc("True: a random slope of time per LA (fitted by Laplace)",
                              "the paper: a random intercept per LA"),
    "impact_model": OptionDoc("level_shift, slope_change, slope_one_step, two_steps "
                              "(models.its.IMPACT_MODELS)",
                              "the paper's model: pre-slope, steps at Y0 and Y+1, post-slope change"),
    "n_jobs": OptionDoc("any number of worker processes; 1 = sequential",
                        "None = every core, capped at the number of fits"),
    "window": OptionDoc("any (first, last) event years, or None = every year",
                        "(-3, 3): the paper's seven years"),
    "stage_scale": OptionDoc('"term" (each coefficient as fitted)',
                             "the year-on-year change in each stage, the paper's reading"),
    "criterion": OptionDoc('"bic"', "AIC chooses among the impact models"),
    "models": OptionDoc("any subset of models.its.IMPACT_MODELS", "every impact model"),
    "indicators": OptionDoc("a list of panel indicators", "None = every indicator present"),
    "outcome_kinds": OptionDoc("{indicator: kind} of models.its.OUTCOME_KINDS",
                               "None = the kind read from each indicator's unit"),
    "warm_start": OptionDoc("False", "the same optimum, reached sooner"),
    "overdispersion": OptionDoc('"olre": an observation-level random intercept (Laplace; '
                                "slow)", "the paper's Poisson model"),
    "years": OptionDoc("any (first, last) panel years, or None = every year of the panel",
                       "2009-10 to 2018-19, the paper's data (METHODS section 2)"),
    "fixed_effects_check": OptionDoc(
        "True: the robustness check of every indicator (all LAs) by two-way fixed effects "
        "(linearmodels PanelOLS, LA and year effects, log rates, SEs clustered by LA)",
        "not in the paper"),
    "se_scale": OptionDoc('"model" (every SE model-based, as lme4 and mepoisson report); '
                          '"pearson" (every SE Pearson-scaled: quasi-Poisson, for counts more '
                          'variable than Poisson); "robust" (every SE from the sandwich '
                          "clustered by LA, as mepoisson's vce(robust))",
                          "Pearson-scaled SEs for the pseudo-likelihood amounts (money, FTE, "
                          "levels), whose model-based SEs depend on the amount's unit; "
                          "model-based for counts, as the paper"),
}
"""Alternatives of each option and why its default is what it is (the report's options
table)."""

UNIT_KINDS: dict[str, tuple[str, str]] = {
    "rate_per_10000": ("rate_per_10000", "denominator"),
    "percentage": ("percentage", "denominator"),
    "gbp_per_child": ("money", "denominator"),
    "ratio": ("count", "denominator"),
    "money_gbp": ("money", "population"),
    "fte": ("fte", "population"),
    "count": ("count", "none"),
    "days": ("amount", "none"),
    "score": ("amount", "none"),
}
"""Panel unit -> (:func:`models.its.its_fit` outcome kind, exposure whose log is the offset).

METHODS section 2: a rate per 10,000 is the count with offset log(child population); a
percentage the numerator with offset log(denominator); money and FTEs a Poisson
pseudo-likelihood on the amount with offset log(population) (the entry's own denominator
for spend per child, the panel's ``child_population`` otherwise). Days and scores (levels
with no denominator) are a pseudo-likelihood without offset."""

HOOD2021_INDICATORS: tuple[str, ...] = (
    # rates of service provision (per 10,000 children)
    "referrals", "assessments", "cin_rate", "section47", "icpc", "cpp_starts", "cpp",
    "cla_rate",
    # period of service, timescales and quality (percentages)
    "cin_2_years_plus", "cpp_2_years_plus", "assessments_within_45_days",
    "icpc_within_15_days", "re_referrals", "referrals_nfa", "cpp_second_or_subsequent",
    "cla_missing",
    # workforce
    "social_worker_turnover", "agency_worker_rate", "vacancy_rate", "caseload",
    # expenditure (per child)
    "spend_per_child", "spend_safeguarding", "spend_cla", "spend_early_help",
)
"""The 24 indicators of Table 2, as named in the panel's vocabulary. The paper's own list is
in its online supplement (not available here); these follow its categories: provision,
period of service, timescales, quality, workforce and expenditure."""

POPULATION_INDICATOR = "child_population"
NOT_ANALYSED: frozenset[str] = frozenset({POPULATION_INDICATOR})
"""Panel entries that are exposures, not performance indicators."""


def outcome_kind_for_unit(unit: str, indicator: str = "") -> tuple[str, str]:
    """(outcome kind, exposure) for a panel unit; see :data:`UNIT_KINDS`."""
    try:
        return UNIT_KINDS[str(unit)]
    except KeyError:
        raise ValueError(f"indicator {indicator!r}: unit {unit!r} has no outcome kind; known "
                         f"units {sorted(UNIT_KINDS)}") from None


# --------------------------------------------------------------------------- data


def _analysis_frame(panel: Any, indicators: Sequence[str] | None,
                    override: dict[str, str]) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Long LA-year-indicator rows with the exposure of each indicator in ``denominator``,
    joined to each LA's inspection year and judgement; the outcome kind of each indicator."""
    las = panel.las
    for col in ("la_code", "inspection_year", "judgement"):
        if col not in las.columns:
            raise KeyError(f"panel.las has no column {col!r}")
    notes = []
    miss = las["inspection_year"].isna() | las["judgement"].isna()
    if miss.any():
        notes.append(f"{int(miss.sum())} LA(s) without a first SIF inspection year or judgement "
                     f"excluded: {sorted(las.loc[miss, 'la_code'].astype(int).tolist())}")
    las = las.loc[~miss, ["la_code", "inspection_year", "judgement"]].copy()
    las["judgement"] = las["judgement"].astype(str)
    unknown = sorted(set(las["judgement"]) - set(GROUPS[1:]))
    if unknown:
        raise ValueError(f"panel.las column 'judgement' has levels {unknown}; "
                         f"expected {list(GROUPS[1:])}")
    las["inspection_year"] = las["inspection_year"].astype(int)
    long = panel.long
    have = [i for i in dict.fromkeys(long["indicator"]) if i not in NOT_ANALYSED]
    if indicators is None:
        indicators = [i for i in HOOD2021_INDICATORS if i in have]
        absent = [i for i in HOOD2021_INDICATORS if i not in have]
        if absent:
            notes.append(f"Indicators of Table 2 absent from this panel: {absent}.")
        if not indicators:
            raise ValueError(f"none of the hood2021 indicators is in the panel; have {have}")
    else:
        indicators = list(dict.fromkeys(indicators))
        absent = [i for i in indicators if i not in have]
        if absent:
            raise KeyError(f"indicators {absent} are not in the panel; have {have}")
    long = long[long["indicator"].isin(indicators)]
    units = long.groupby("indicator", sort=False)["unit"].first()
    kinds, exposure = {}, {}
    fractional = []
    for ind in indicators:
        kind, expo = outcome_kind_for_unit(units[ind], ind)
        num = long.loc[long["indicator"] == ind, "numerator"].to_numpy(dtype=float)
        num = num[np.isfinite(num)]
        if kind not in its.PSEUDO_KINDS and np.any(num != np.round(num)):
            kind = "amount"  # e.g. a percentage of FTEs: not a count
            fractional.append(ind)
        kinds[ind] = override.get(ind, kind)
        exposure[ind] = expo
    if fractional:
        notes.append(f"Numerators that are not whole counts (FTEs), modelled as amounts by "
                     f"Poisson pseudo-likelihood with the same offset: {fractional}.")
    df = long[["la_code", "year", "indicator", "numerator", "denominator"]].copy()
    by_pop = [i for i in indicators if exposure[i] == "population"]
    if by_pop:
        pop = panel.long.loc[panel.long["indicator"] == POPULATION_INDICATOR,
                             ["la_code", "year", "numerator"]]
        if pop.empty:
            raise ValueError(f"indicators {by_pop} need the panel's {POPULATION_INDICATOR!r} "
                             "(offset log(population)), which is absent")
        pop = pop.rename(columns={"numerator": "_pop"})
        df = df.merge(pop, on=["la_code", "year"], how="left")
        sel = df["indicator"].isin(by_pop)
        df.loc[sel, "denominator"] = df.loc[sel, "_pop"]
        df = df.drop(columns="_pop")
    none = [i for i in indicators if exposure[i] == "none"]
    df.loc[df["indicator"].isin(none), "denominator"] = np.nan
    df = df.merge(las, on="la_code", how="inner", validate="many_to_one")
    return df, kinds, notes


# --------------------------------------------------------------------------- figure 1


def median_by_event_year(panel: Any, df: pd.DataFrame, indicators: Sequence[str],
                         years: Iterable[int] = EVENT_YEARS) -> pd.DataFrame:
    """Median (and quartiles) across LAs of each indicator by event year (Figure 1).

    Values are the panel's own scaled values (``Panel.wide``: numerator / denominator times
    the unit's scale). Columns: indicator, group, event_year, median, q25, q75, n_la.
    """
    years = list(years)
    wide = panel.wide(indicators=list(indicators))
    key = df[["la_code", "inspection_year", "judgement"]].drop_duplicates("la_code")
    w = wide.merge(key, on="la_code", how="inner")
    w["event_year"] = w["year"] - w["inspection_year"]
    w = w[w["event_year"].isin(years)]
    rows = []
    for group in GROUPS:
        sub = w if group == "all" else w[w["judgement"] == group]
        g = sub.groupby("event_year")
        for ind in indicators:
            q = g[ind].quantile([0.25, 0.5, 0.75]).unstack()
            n = g[ind].count()
            for t in years:
                has = t in q.index
                rows.append({
                    "indicator": ind, "group": group, "event_year": t,
                    "median": q.loc[t, 0.5] if has else np.nan,
                    "q25": q.loc[t, 0.25] if has else np.nan,
                    "q75": q.loc[t, 0.75] if has else np.nan,
                    "n_la": int(n.get(t, 0)),
                })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- fits


SE_SCALE_CHOICES = ("pseudo", "model", "pearson", "robust")
"""The study's ``se_scale`` option (:func:`models.its.its_fit`'s ``se_scale`` per fit):
Pearson-scaled SEs for the pseudo-likelihood amounts only, model-based SEs for all,
Pearson-scaled for all, or LA-clustered robust SEs for all."""


def _fit_se_scale(choice: str, kind: str) -> str:
    """its_fit's se_scale for an indicator of outcome ``kind`` under the study's choice."""
    if choice in ("pearson", "robust"):
        return choice
    return "pearson" if choice == "pseudo" and kind in its.PSEUDO_KINDS else "model"


def _fit_batch(
    indicator: str,
    group: str,
    data: pd.DataFrame,
    kind: str,
    *,
    models: Sequence[str],
    impact_model: str,
    nagq: int,
    random_slope: bool,
    window: tuple[int, int] | None,
    stage_scale: str,
    criterion: str,
    warm_start: bool,
    overdispersion: bool,
    se_scale: str = "pseudo",
) -> dict[str, Any]:
    """All impact models for one indicator and group; the reported model's stages and trajectory.

    The reported model is fitted first from lme4's default start; with ``warm_start`` the
    other models start from its variance parameters (theta), which only shortens their
    optimisation. Runs in a worker: returns plain tables, the errors and the (lme4-worded)
    warnings.
    """
    denominator = None if data["denominator"].isna().all() else "denominator"
    fits: dict[str, its.ITSFit] = {}
    errors: list[str] = []
    caught: list[str] = []
    start = None
    for m in dict.fromkeys([impact_model, *models]):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            try:
                fits[m] = its.its_fit(data, "numerator", kind, denominator=denominator,
                                      model=m, nagq=nagq, random_slope=random_slope,
                                      window=window, start=start,
                                      overdispersion=overdispersion,
                                      se_scale=_fit_se_scale(se_scale, kind))
                if warm_start and start is None and fits[m].converged:
                    start = np.asarray(fits[m].glmm.theta, dtype=float)
            except Exception as exc:  # reported in the notes, the cell left empty
                errors.append(f"{indicator} / {group} / {m}: {type(exc).__name__}: {exc}")
        caught.extend(dict.fromkeys(" ".join(str(w.message).split()) for w in rec))
    out: dict[str, Any] = {"indicator": indicator, "group": group, "errors": errors,
                           "warnings": caught}
    compared = {m: fits[m] for m in models if m in fits}
    if compared:
        tab = its.compare_models(compared, criterion=criterion)
        tab.insert(0, "group", group)
        tab.insert(0, "indicator", indicator)
        out["comparison"] = tab
    fit = fits.get(impact_model)
    if fit is not None:
        pc = its.percent_change(fit, scale=stage_scale)
        pc.insert(0, "group", group)
        pc.insert(0, "indicator", indicator)
        pc["outcome_kind"] = kind
        pc["likelihood"] = fit.likelihood
        pc["dispersion"] = fit.dispersion
        pc["se_scale"] = fit.se_scale
        pc["n_la"] = fit.n_la
        pc["nobs"] = fit.nobs
        pc["converged"] = fit.converged
        out["stages"] = pc
        tr = its.trajectory(fit, years=EVENT_YEARS)
        tr.insert(0, "group", group)
        tr.insert(0, "indicator", indicator)
        out["trajectory"] = tr
        out["n_excluded"] = len(fit.excluded)
        out["excluded"] = fit.excluded
        out["fit_info"] = {"loglik": fit.loglik, "formula": fit.formula, "nagq": fit.nagq,
                           "se_scale": fit.se_scale,
                           "theta": fit.glmm.theta.to_numpy(dtype=float),
                           "fixef": fit.glmm.fixef.to_numpy(dtype=float)}
    return out


def _batches(df: pd.DataFrame, indicators: Sequence[str], kinds: dict[str, str]):
    cols = ["la_code", "year", "inspection_year", "judgement", "numerator", "denominator"]
    for ind in indicators:
        d = df.loc[df["indicator"] == ind, cols].reset_index(drop=True)
        for group in GROUPS:
            sub = d if group == "all" else d[d["judgement"] == group].reset_index(drop=True)
            yield ind, group, sub, kinds[ind]


def _run_parallel(tasks: list, fn: Callable, n_jobs: int, progress: Callable | None) -> list:
    total = len(tasks)
    results = []
    if n_jobs == 1 or total <= 1:
        for i, (ind, group, data, kind) in enumerate(tasks, 1):
            results.append(fn(ind, group, data, kind))
            if progress is not None:
                progress(i, total, f"{ind} / {group}")
        return results
    from joblib import Parallel, delayed

    par = Parallel(n_jobs=n_jobs, return_as="generator_unordered", batch_size=1)
    gen = par(delayed(fn)(ind, group, data, kind) for ind, group, data, kind in tasks)
    for i, res in enumerate(gen, 1):
        results.append(res)
        if progress is not None:
            progress(i, total, f"{res['indicator']} / {res['group']}")
    return results


# --------------------------------------------------------------------------- tables


def _fmt(est: float, lo: float, hi: float) -> str:
    if not np.isfinite(est):
        return ""
    return f"{est:.1f} ({lo:.1f}, {hi:.1f})"


def table2_wide(stages: pd.DataFrame) -> pd.DataFrame:
    """Table 2 as printed: one row per indicator and group, "% (low, high)" per stage."""
    s = stages.assign(cell=[_fmt(e, lo, hi) for e, lo, hi in
                            zip(stages["pct_change"], stages["conf_low"], stages["conf_high"],
                                strict=True)])
    wide = s.pivot_table(index=["indicator", "group"], columns="stage", values="cell",
                         aggfunc="first", sort=False)
    wide = wide.reindex(columns=list(its.STAGES)).reset_index()
    wide.columns.name = None
    return wide


TRUTH_TERMS: dict[str, str] = {"time": "b_pre", "step0": "b_step0", "step1": "b_step1",
                               "post": "b_post"}
"""Design term of :mod:`models.its` -> column of the synthetic truth (the same coding)."""


def recovery_table(truth: Any, stages: pd.DataFrame, scale: str = "stage") -> pd.DataFrame:
    """Planted effects beside their estimates, per judgement stratum and stage.

    ``truth``: the synthetic panel's :class:`SyntheticTruth` (its ``its`` table holds the
    planted ``b_pre, b_step0, b_step1, b_post`` per indicator and judgement, in the coding of
    :func:`models.its.segmented_design`). The true stage value is c'b with the same contrast
    c as the estimate (:func:`models.its.stage_contrasts`). ``comparable`` is False where the
    planted effect is on the logit scale (a Poisson log-linear model does not estimate it).
    Columns: indicator, judgement, stage, link, comparable, true_pct, pct_change, conf_low,
    conf_high, covered.
    """
    t = truth.its
    c = its.stage_contrasts(its.DESIGN_TERMS, scale=scale)
    b = t[[TRUTH_TERMS[k] for k in its.DESIGN_TERMS]].to_numpy(dtype=float)
    vals = b @ c.to_numpy().T  # rows: (indicator, judgement); columns: stages
    long = pd.DataFrame(vals, columns=list(its.STAGES))
    long["indicator"] = t["indicator"].to_numpy()
    long["judgement"] = t["judgement"].astype(str).to_numpy()
    long["link"] = t["link"].to_numpy()
    long = long.melt(id_vars=["indicator", "judgement", "link"], var_name="stage",
                     value_name="true_log")
    est = stages.rename(columns={"group": "judgement"})
    m = long.merge(est[["indicator", "judgement", "stage", "pct_change", "conf_low",
                        "conf_high"]], on=["indicator", "judgement", "stage"], how="inner")
    m["true_pct"] = 100.0 * np.expm1(m["true_log"])
    m["comparable"] = m["link"] == "log"
    m["covered"] = (m["conf_low"] <= m["true_pct"]) & (m["true_pct"] <= m["conf_high"])
    order = {s: k for k, s in enumerate(its.STAGES)}
    m = m.sort_values(["indicator", "judgement", "stage"],
                      key=lambda col: col.map(order) if col.name == "stage" else col)
    return m[["indicator", "judgement", "stage", "link", "comparable", "true_pct",
              "pct_change", "conf_low", "conf_high", "covered"]].reset_index(drop=True)


# --------------------------------------------------------------------------- published numbers

REASON_HISTORY = ("needs every Ofsted judgement 2009-2019 (pre-SIF frameworks are not public "
                  "here; the panel keeps each LA's first SIF and first ILACS judgement)")
ILACS_FIRST_TWO_YEARS = ("2018-01-01", "2019-12-31")
"""'The first two years of the ILACS framework' (in operation since January 2018)."""


def reproduce_published(panel: Any, df: pd.DataFrame, indicators: Sequence[str],
                        stages: pd.DataFrame, window: tuple[int, int] | None,
                        impact_model: str, excluded_las: Sequence[int]) -> dict[str, Reproduced]:
    """The reproduced value of every published record of the study, by record id."""
    synthetic = getattr(panel, "truth", None) is not None
    base = REASON_SYNTHETIC if synthetic else ""
    out: dict[str, Reproduced] = {}

    def put(rid: str, value: Any, reason: str = "") -> None:
        v = math.nan if value is None else float(value)
        out[rid] = Reproduced(v, reason if not math.isfinite(v) else
                              "; ".join(x for x in (base, reason) if x))

    las = panel.las
    ex = panel.exclusions
    la_wide = ex[ex["year"].isna() & ex["indicator"].isna()] if len(ex) else ex
    n_panel = int(las["la_code"].nunique())
    reorganised = ("" if synthetic or "status" not in las.columns else
                   "definitions: the panel keeps LAs before and after the reorganisations "
                   "(2009, 2019, 2021, 2023) as separate codes"
                   if (las["status"].astype(str) != "current").any() else "")
    n_all = int(df["la_code"].nunique())
    sample = "" if not len(excluded_las) else (
        f"sample: {len(excluded_las)} LA(s) without a first SIF judgement in the Ofsted data "
        f"are left out ({', '.join(str(c) for c in excluded_las)})")
    for rid in ("m_las", "in_inad_of", "in_good_of"):
        put(rid, n_panel + len(la_wide), "; ".join(x for x in (
            "the panel's LAs and the LAs it excludes", reorganised) if x))
    put("m_excluded", len(la_wide), "LA-wide exclusions of the panel")
    for rid in ("abs_las", "m_pop", "m_n_all"):
        put(rid, n_all, sample)
    counts = df.drop_duplicates("la_code")["judgement"].value_counts()
    for rid, level in (("m_n_good", "outstanding_good"), ("m_n_ri", "requires_improvement"),
                       ("m_n_inad", "inadequate")):
        put(rid, counts.get(level, 0), sample)
    if "sif_overall" in las.columns:
        put("m_n_out", int((las["sif_overall"].astype(str) == "outstanding").sum()),
            "first SIF judgements")
    else:
        put("m_n_out", None, REASON_NOT_IN_PANEL + " (outstanding apart from good)")
    if window is not None:
        put("m_years_window", window[1] - window[0] + 1, "the window as fitted")
        put("f_years_window", window[1] - window[0] + 1, "the window as fitted")
        put("m_years_before", -window[0], "the window as fitted")
        put("m_years_after", window[1], "the window as fitted")
    else:
        for rid in ("m_years_window", "f_years_window", "m_years_before", "m_years_after"):
            put(rid, None, "window=None: every event year is fitted")
    put("m_stages", len(its.IMPACT_MODELS[impact_model].split("+")),
        f"stage terms of the impact model '{impact_model}'")
    n_ind = int(stages["indicator"].nunique()) if len(stages) else 0
    in_panel = set(panel.long["indicator"].unique())
    absent = [i for i in HOOD2021_INDICATORS if i not in in_panel]
    unchosen = [i for i in HOOD2021_INDICATORS if i in in_panel and i not in indicators]
    put("f_measures", n_ind, "; ".join(x for x in (
        "indicators with a Table 2 fit",
        f"definitions: not in the panel: {', '.join(absent)}" if absent else "",
        f"option indicators: {len(unchosen)} of Table 2's indicators not chosen" if unchosen
        else "") if x))
    years = df["year"] - df["inspection_year"]
    fitted = df.loc[years.between(*window) if window is not None else years.notna(), "year"]
    put("d_years", fitted.nunique(), f"distinct years of the fitted LA-years "
                                     f"({fitted.min()}-{fitted.max()})")
    put("in_cycle_years", None, "a statement about Ofsted, not an analysis of the data")
    for rid in ("in_inad_pct", "in_inad_count", "in_good_pct", "in_good_count"):
        put(rid, None, REASON_HISTORY)
    las = panel.las
    if {"ilacs_date", "ilacs_judgement"} <= set(las.columns):
        first_two = pd.to_datetime(las["ilacs_date"]).between(*ILACS_FIRST_TWO_YEARS)
        grades = las.loc[first_two, "ilacs_judgement"].dropna().astype(str)
        how = (f"each LA's first ILACS judgement dated {ILACS_FIRST_TWO_YEARS[0]} to "
               f"{ILACS_FIRST_TWO_YEARS[1]} (standard and short inspections): {len(grades)} LAs")
        put("in_ilacs_pct", 100.0 * grades.isin(["good", "outstanding"]).mean()
            if len(grades) else None, how)
        sif = las["sif_overall"].dropna().astype(str) if "sif_overall" in las else pd.Series([])
        n_sif = int((sif == "outstanding").sum())
        put("d_outstanding_ratio", (grades == "outstanding").sum() / n_sif if n_sif else None,
            f"outstanding: {int((grades == 'outstanding').sum())} in {how}, over {n_sif} among "
            "the first SIF judgements" if n_sif else "no outstanding first SIF judgement in "
            "the data (panel.las sif_overall)")
    else:
        for rid in ("in_ilacs_pct", "d_outstanding_ratio"):
            put(rid, None, "panel.las has no ILACS judgements (ilacs_date, ilacs_judgement)")
    return out


# --------------------------------------------------------------------------- Python vs R

R_COLUMNS = VS_R_COLUMNS

R_CODE = """
C <- as.matrix(input$contrasts)
terms <- colnames(C)
one <- function(cs) {
  d <- as.data.frame(cs$data)
  d$la <- factor(d$la)
  if (!is.null(d$obs)) d$obs <- factor(d$obs)
  f <- as.formula(cs$formula)
  st <- if (is.null(cs$theta)) NULL else list(theta = cs$theta, fixef = cs$fixef)
  fit <- NULL
  msg <- ""
  for (tp in if (is.null(cs$tol)) 10^-(14:7) else cs$tol) {
    ctl <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-11, maxfun = 1e4),
                        tolPwrss = tp)
    fit <- tryCatch(suppressWarnings(suppressMessages(
      if (isTRUE(cs$has_offset)) glmer(f, data = d, family = poisson, offset = off,
                                       nAGQ = cs$nagq, control = ctl, start = st)
      else glmer(f, data = d, family = poisson, nAGQ = cs$nagq, control = ctl, start = st))),
      error = function(e) { msg <<- conditionMessage(e); NULL })
    if (!is.null(fit)) break
  }
  if (is.null(fit)) return(list(failed = TRUE, message = msg))
  fe <- fixef(fit)
  V <- as.matrix(vcov(fit))
  if (identical(cs$se_scale, "pearson")) {  # Pearson dispersion on the conditional means
    V <- V * sum(residuals(fit, type = "pearson")^2) /
      (nobs(fit) - length(fe) - length(getME(fit, "theta")))
  }
  if (identical(cs$se_scale, "robust")) {  # sandwich clustered by LA, scores at the modes
    S <- rowsum(getME(fit, "X") * (d$y - fitted(fit)), d$la)
    V <- V %*% crossprod(S) %*% V * nrow(S) / (nrow(S) - 1)
  }
  keep <- intersect(terms, names(fe))
  b <- setNames(rep(0, length(terms)), terms)
  b[keep] <- fe[keep]
  W <- matrix(0, length(terms), length(terms), dimnames = list(terms, terms))
  W[keep, keep] <- V[keep, keep]
  list(est = as.vector(C %*% b), se = sqrt(pmax(diag(C %*% W %*% t(C)), 0)),
       loglik = as.numeric(logLik(fit)), tolPwrss = tp)
}
lapply(input$cases, one)
"""
"""lme4::glmer for each case, run to tight convergence as the GLMM parity does: bobyqa in
both stages, rhoend 1e-11, the smallest tolPwrss PIRLS allows from 1e-14 up to lme4's default
1e-7 (amounts in pounds need ~1e-10), or the case's ``tol``; from lme4's default start, or from
the case's ``theta`` and ``fixef``. At most 1e4 evaluations (the parity allows 1e5): the
well-conditioned fits need about 400-1200, while a deviance of ~1e8 (spend in pounds) is too
noisy for rhoend 1e-11 and bobyqa would wander on to 1e5 evaluations (10 s and more) without
getting closer. Then the stage contrasts c'b and sqrt(c'Vc) over the design terms (a term
lme4 drops as aliased counts as 0)."""


def _r_case(data: pd.DataFrame, kind: str, info: dict[str, Any],
            window: tuple[int, int] | None) -> dict[str, Any]:
    """The rows, response and offset of one fit exactly as :func:`models.its.its_fit` built
    them, for R."""
    denominator = None if data["denominator"].isna().all() else "denominator"
    design = its.segmented_design(data, window=window)
    kept, y, off, _, _ = its._outcome_and_offset(design, "numerator", kind, denominator,
                                                 "la_code", "year")
    d = pd.DataFrame({"y": y, "la": kept["la_code"].to_numpy(dtype=float)})
    for t in its.DESIGN_TERMS:
        d[t] = kept[t].to_numpy(dtype=float)
    if "(1 | obs)" in info["formula"]:
        d["obs"] = np.arange(len(d), dtype=float)
    if off is not None:
        d["off"] = off
    return {"data": d, "formula": info["formula"], "nagq": int(info["nagq"]),
            "has_offset": off is not None, "se_scale": str(info.get("se_scale", "model"))}


CASES_PER_PROCESS = 6
"""An extra Rscript process (about 1.5 s to start R and load lme4) only for at least this many
fits."""


def _call_r_batches(cases: dict[str, dict], contrasts: pd.DataFrame, n_jobs: int) -> dict:
    """One R call, or up to ``n_jobs`` Rscript processes at once (at least
    :data:`CASES_PER_PROCESS` fits each), each fitting a share of the cases."""
    import shutil  # noqa: PLC0415
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    from replication.rbridge import call_r  # noqa: PLC0415

    names = list(cases)
    k = max(1, min(int(n_jobs), len(names) // CASES_PER_PROCESS)) if shutil.which("Rscript") \
        else 1
    if k == 1:
        return call_r(R_CODE, data={"cases": cases, "contrasts": contrasts},
                      packages=["lme4"]).value
    shares = [names[i::k] for i in range(k)]

    def go(share: list[str]) -> dict:
        return call_r(R_CODE, data={"cases": {n: cases[n] for n in share},
                                    "contrasts": contrasts},
                      packages=["lme4"], transport="Rscript").value

    with ThreadPoolExecutor(max_workers=k) as pool:
        parts = list(pool.map(go, shares))
    out: dict = {}
    for part in parts:
        out.update(part)
    return out


def python_vs_r(df: pd.DataFrame, kinds: dict[str, str], results: list[dict],
                stages: pd.DataFrame, *, group: str, window: tuple[int, int] | None,
                stage_scale: str, n_jobs: int) -> tuple[pd.DataFrame, list[str]]:
    """Table 2's stages (log scale), their SEs and the logLik of the reported model of every
    indicator for one group, refitted by lme4::glmer in R; returns (table, notes).

    lme4 starts from its default start. Where a number then leaves its tolerance and lme4's
    logLik is below ours (lme4 stopped short of the maximum of the same likelihood: on
    large counts the intercept direction is so steep that bobyqa halts ~1e-5 away), the case
    is refitted in R from our estimates with the same tolPwrss, and the row's ``r_start`` says
    so with both logLiks. Where lme4's logLik is above ours the difference stands. Raises
    :class:`replication.rbridge.RNotAvailable` when R or lme4 is missing.
    """
    from replication.parity.glmm import (  # noqa: PLC0415
        FIXEF_TOL,
        FIXEF_TOL_SLOPE,
        LOGLIK_TOL,
        SE_TOL,
    )

    infos = {r["indicator"]: r["fit_info"] for r in results
             if r["group"] == group and "fit_info" in r}
    cases = {ind: _r_case(data, kind, infos[ind], window)
             for ind, grp, data, kind in _batches(df, list(infos), kinds) if grp == group}
    if not cases:
        return pd.DataFrame(columns=[*R_COLUMNS, "r_start"]), [
            f"Python vs R: no {group!r} fits to compare."]
    contrasts = its.stage_contrasts(its.DESIGN_TERMS, scale=stage_scale).reset_index(drop=True)
    st = stages[stages["group"] == group].set_index(["indicator", "stage"])

    def rows_for(ind: str, res: dict) -> list[dict]:
        info = infos[ind]
        fe_tol = FIXEF_TOL_SLOPE if "time |" in info["formula"] else FIXEF_TOL
        est_r = np.asarray(res["est"], dtype=float)
        se_r = np.asarray(res["se"], dtype=float)
        out = []
        for k, stage in enumerate(its.STAGES):
            py = st.loc[(ind, stage)]
            if not np.isfinite(py["log_estimate"]):
                continue  # not in the model, or not identified by the fitted rows
            label = f"{ind} / {group} / {stage}"
            out.append(vs_r_row("table2", label, "log estimate", py["log_estimate"],
                                 est_r[k], fe_tol, floor=se_r[k]))
            out.append(vs_r_row("table2", label, "std_error", py["std_error"], se_r[k],
                                 SE_TOL))
        ll_r = float(np.asarray(res["loglik"], dtype=float)[0])
        if np.isfinite(ll_r):
            out.append(vs_r_row("model fit", f"{ind} / {group}",
                                 f"logLik (nAGQ = {info['nagq']})", info["loglik"], ll_r,
                                 LOGLIK_TOL))
        return out

    notes: list[str] = []
    first = _call_r_batches(cases, contrasts, n_jobs)
    rows: dict[str, list[dict]] = {}
    start: dict[str, str] = {}
    restart: dict[str, float] = {}
    for ind in cases:
        res = first[ind]
        if isinstance(res, dict) and res.get("failed"):
            msg = res.get("message") or []
            why = " ".join(str(m) for m in ([msg] if isinstance(msg, str) else msg))
            rows[ind] = [vs_r_row("model fit", f"{ind} / {group}",
                                   f"logLik (nAGQ = {infos[ind]['nagq']})",
                                   infos[ind]["loglik"], math.nan, LOGLIK_TOL)]
            start[ind] = f"lme4 failed: {why}"
            notes.append(f"Python vs R: lme4 failed to fit {ind} / {group}: {why}")
            continue
        rows[ind] = rows_for(ind, res)
        start[ind] = "lme4 default"
        ll_r = float(np.asarray(res["loglik"], dtype=float)[0])
        if not np.isfinite(ll_r):
            notes.append(f"Python vs R: {ind} / {group}: R gives no log-likelihood (dpois of "
                         "non-integer amounts); logLik not compared.")
        if not all(r["within"] for r in rows[ind]) and ll_r < infos[ind]["loglik"]:
            restart[ind] = ll_r
    if restart:
        again = {ind: {**cases[ind], "theta": infos[ind]["theta"], "fixef": infos[ind]["fixef"],
                       "tol": float(np.asarray(first[ind]["tolPwrss"], dtype=float)[0])}
                 for ind in restart}
        second = _call_r_batches(again, contrasts, n_jobs)
        for ind, ll_first in restart.items():
            res = second[ind]
            if isinstance(res, dict) and res.get("failed"):
                continue
            rows[ind] = rows_for(ind, res)
            start[ind] = (f"restarted from Python's estimates: from its default start lme4 "
                          f"stopped at logLik {ll_first:.15g}, "
                          f"{infos[ind]['loglik'] - ll_first:.2g} below Python's "
                          f"{infos[ind]['loglik']:.15g}")
        notes.append(f"Python vs R: lme4 stopped below Python's maximum for {sorted(restart)} "
                     "and was restarted from Python's estimates (see r_start).")
    flat = [{**r, "r_start": start[ind]} for ind in rows for r in rows[ind]]
    out = pd.DataFrame(flat, columns=[*R_COLUMNS, "r_start"])
    out["within"] = out["within"].astype(bool)
    return out, notes


# --------------------------------------------------------------------------- figures


def _figure_grid(n: int, ncols: int = 4, size: tuple[float, float] = (3.2, 2.4)):
    """A matplotlib Figure (not registered with pyplot, so nothing stays open) and its axes."""
    from matplotlib.figure import Figure

    ncols = max(1, min(ncols, n))
    nrows = max(1, int(np.ceil(n / ncols)))
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def figure_medians(medians: pd.DataFrame, indicators: Sequence[str]):
    """Figure 1: median by event year (all LAs), Y-1 to Y+1 shaded, IQR as a band."""
    fig, axes = _figure_grid(len(indicators))
    for ax, ind in zip(axes, indicators, strict=False):
        d = medians[(medians["indicator"] == ind) & (medians["group"] == "all")]
        ax.axvspan(-1, 1, color="0.9")
        ax.fill_between(d["event_year"], d["q25"], d["q75"], color="C0", alpha=0.15)
        ax.plot(d["event_year"], d["median"], "o-", color="C0")
        ax.set_title(ind, fontsize=8)
        ax.set_xticks(list(EVENT_YEARS))
        ax.set_xlabel("years from inspection", fontsize=7)
        ax.tick_params(labelsize=7)
    fig.suptitle("Median by year relative to inspection (Y0); band: interquartile range")
    fig.tight_layout()
    return fig


def figure_trajectories(traj: pd.DataFrame, indicators: Sequence[str], groups: Sequence[str],
                        title: str):
    """Figures 2-4: modelled trajectory, Y-3 = 100%, 95% CI bands, Y-1 to Y+1 shaded."""
    fig, axes = _figure_grid(len(indicators), ncols=3)
    for ax, ind in zip(axes, indicators, strict=False):
        ax.axvspan(-1, 1, color="0.92")
        ax.axhline(100, color="0.6", lw=0.6)
        for j, g in enumerate(groups):
            d = traj[(traj["indicator"] == ind) & (traj["group"] == g)]
            if d.empty:
                continue
            ax.fill_between(d["event_year"], d["conf_low"], d["conf_high"], color=f"C{j}",
                            alpha=0.15)
            ax.plot(d["event_year"], d["percent"], "o-", color=f"C{j}", ms=3,
                    label=GROUP_LABELS[g])
        ax.set_title(ind, fontsize=8)
        ax.set_xticks(list(EVENT_YEARS))
        ax.set_xlabel("years from inspection", fontsize=7)
        ax.set_ylabel("% of Y-3", fontsize=7)
        ax.tick_params(labelsize=7)
    if len(groups) > 1 and len(indicators):
        axes[0].legend(fontsize=6)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _pick(indicators: Sequence[str], kinds: dict[str, str], words: Sequence[str],
          kinds_wanted: Sequence[str] = ()) -> list[str]:
    out = [i for i in indicators
           if any(w in i.lower() for w in words) or kinds[i] in kinds_wanted]
    return out


# --------------------------------------------------------------------------- run


def run(
    panel: Any,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    nagq: int = 7,
    random_slope: bool = False,
    impact_model: str = "slope_two_steps",
    n_jobs: int | None = None,
    with_r: bool = False,
    **options: Any,
) -> StudyResult:
    """Run hood2021 on a panel: Figure 1, Table 2, Figures 2-4 and the impact-model comparison.

    Options (defaults in :data:`DEFAULT_OPTIONS`; alternatives in :data:`OPTION_DOCS`):
    ``years`` the panel years used ((2010, 2019): the paper's 2009-10 to 2018-19; None =
    every year); ``se_scale`` the SEs ("pseudo": Pearson-scaled for the pseudo-likelihood
    amounts, model-based otherwise; "model"; "pearson": all Pearson-scaled; "robust": all
    clustered by LA); ``window`` event years kept for the fits
    ((-3, 3), the paper's seven years; None = every year); ``stage_scale`` "stage" (the
    year-on-year change in each stage, the paper's reading) or "term" (each coefficient);
    ``criterion`` "aic" or "bic" for the comparison's ``chosen``; ``models`` the impact
    models compared; ``indicators`` a subset (default: every indicator of the panel);
    ``outcome_kinds`` {indicator: kind} overriding the kind read from the unit;
    ``warm_start`` start the other impact models from the reported model's theta (True;
    the same optimum, reached sooner); ``overdispersion`` "none" (the paper's Poisson model)
    or "olre" (an observation-level random intercept: Poisson-lognormal, Laplace, much
    slower; for counts more variable than Poisson, where the Poisson CIs are too narrow).
    ``nagq`` quadrature points (7, Stata mepoisson's default; 1 = Laplace);
    ``random_slope`` a random slope of time per LA (fitted by Laplace); ``impact_model``
    the model reported in Table 2 and the figures; ``n_jobs`` joblib workers (default: all
    cores, capped at the number of batches; 1 = sequential). ``with_r=True`` adds the table
    ``python_vs_r`` (:func:`python_vs_r`: the all-LA fits refitted by lme4, in up to
    ``n_jobs`` R processes at once) when R and lme4 are installed, else a note saying why it
    is absent.
    """
    unknown = sorted(set(options) - set(DEFAULT_OPTIONS))
    if unknown:
        raise TypeError(f"hood2021.run: unknown option(s) {unknown}; "
                        f"known: {sorted(DEFAULT_OPTIONS)}")
    opts = {**DEFAULT_OPTIONS, **options}
    models = tuple(opts["models"])
    for m in (*models, impact_model):
        if m not in its.IMPACT_MODELS:
            raise KeyError(f"unknown impact model {m!r}; choose from {list(its.IMPACT_MODELS)}")
    if opts["se_scale"] not in SE_SCALE_CHOICES:
        raise ValueError(f"se_scale must be one of {SE_SCALE_CHOICES}, got {opts['se_scale']!r}")
    if opts["overdispersion"] not in ("none", "olre"):
        raise ValueError(f"overdispersion must be 'none' or 'olre', got {opts['overdispersion']!r}")
    if opts["stage_scale"] not in ("stage", "term"):
        raise ValueError(f"stage_scale must be 'stage' or 'term', got {opts['stage_scale']!r}")
    window = None if opts["window"] is None else tuple(int(v) for v in opts["window"])

    override = dict(opts["outcome_kinds"] or {})
    bad = {k: v for k, v in override.items() if v not in its.OUTCOME_KINDS}
    if bad:
        raise ValueError(f"outcome_kinds: unknown kind(s) {bad}; choose from {its.OUTCOME_KINDS}")
    df, kinds, notes = _analysis_frame(panel, opts["indicators"], override)
    if opts["years"] is not None:
        yrs = opts["years"]
        if not (isinstance(yrs, (tuple, list)) and len(yrs) == 2
                and all(isinstance(v, (int, np.integer)) for v in yrs) and yrs[0] <= yrs[1]):
            raise ValueError(f"years must be None or (first, last) panel years, got {yrs!r}")
        lo, hi = (int(v) for v in yrs)
        outside = ~df["year"].between(lo, hi)
        if outside.all():
            raise ValueError(f"years={opts['years']!r}: the panel has no LA-year in {lo}-{hi}")
        if outside.any():
            notes.append(f"Panel years outside {lo}-{hi} (option years) are not used: "
                         f"{sorted(int(y) for y in df.loc[outside, 'year'].unique())}.")
        df = df[~outside].reset_index(drop=True)
    indicators = list(kinds)
    pseudo = [i for i in indicators if kinds[i] in its.PSEUDO_KINDS]
    if pseudo:
        how = ("model-based (they depend on the amount's unit)" if opts["se_scale"] == "model"
               else "Pearson-scaled (the model-based SEs of a pseudo-likelihood depend on the "
                    "amount's unit)")
        notes.append("Money, FTE and other amounts are modelled by Poisson pseudo-likelihood on "
                     f"the amount (offset log(population) for money and FTEs), SEs {how}: "
                     f"{pseudo}.")

    medians = median_by_event_year(panel, df, indicators)

    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    tasks = list(_batches(df, indicators, kinds))
    n_jobs = max(1, min(int(n_jobs), len(tasks))) if n_jobs > 0 else n_jobs

    from functools import partial

    fn = partial(_fit_batch, models=models, impact_model=impact_model, nagq=nagq,
                 random_slope=random_slope, window=window, stage_scale=opts["stage_scale"],
                 criterion=opts["criterion"], warm_start=bool(opts["warm_start"]),
                 overdispersion=opts["overdispersion"] == "olre", se_scale=opts["se_scale"])
    results = _run_parallel(tasks, fn, n_jobs, progress)
    order = {(ind, g): k for k, (ind, g, _, _) in enumerate(tasks)}
    results.sort(key=lambda r: order[(r["indicator"], r["group"])])

    if not any("stages" in r or "comparison" in r for r in results):
        first = next((e for r in results for e in r["errors"]), "no fits were run")
        raise RuntimeError(f"hood2021: every fit failed; first error: {first}")
    stages = _concat(results, "stages")
    traj = _concat(results, "trajectory")
    comparison = _concat(results, "comparison")
    for r in results:
        notes.extend(r["errors"])
    n_fits = len(results) * len(dict.fromkeys([impact_model, *models]))
    for msg, n in Counter(w for r in results for w in r["warnings"]).most_common():
        notes.append(f"Warning in {n} of {n_fits} fits: {msg}")
    n_excl = sum(r.get("n_excluded", 0) for r in results if r["group"] == "all")
    if n_excl:
        notes.append(f"{n_excl} LA-year values missing (outcome or exposure) were left out of "
                     "the all-LA fits.")

    tables: dict[str, pd.DataFrame] = {
        "figure1_medians": medians,
        "table2": stages,
        "table2_wide": table2_wide(stages) if not stages.empty else stages,
        "trajectories": traj,
        "model_comparison": comparison,
    }
    if not comparison.empty:
        chosen = comparison[comparison["chosen"]]
        summary = (chosen.groupby(["group", "model"]).size().rename("n_indicators_chosen")
                   .reset_index())
        tables["model_comparison_summary"] = summary
    if opts["fixed_effects_check"]:
        tables["fixed_effects_check"], fe_notes = fixed_effects_table(df, indicators, window)
        notes.extend(fe_notes)
    truth = getattr(panel, "truth", None)
    if truth is not None and not stages.empty:
        if impact_model == "slope_two_steps":
            rec = recovery_table(truth, stages, scale=opts["stage_scale"])
            tables["recovery"] = rec
            ok = rec[rec["comparable"]]
            notes.append(
                f"Planted effects (log link) covered by their 95% CI: {int(ok['covered'].sum())} "
                f"of {len(ok)} ({100 * ok['covered'].mean():.0f}%); synthetic noise "
                f"{truth.noise!r}" + ("" if truth.noise == "poisson" or opts["overdispersion"]
                                      == "olre" or opts["se_scale"] in ("pearson", "robust")
                                      else " (extra-Poisson variation: the Poisson model's CIs "
                                      "are too narrow for counts; see se_scale='robust', "
                                      "se_scale='pearson' or overdispersion='olre')")
                + ".")
        else:
            notes.append("Planted effects are compared only for impact_model='slope_two_steps' "
                         "(the generating model).")

    las = panel.las
    no_sif = las["inspection_year"].isna() | las["judgement"].isna()
    tables["published_vs_reproduced"] = published_vs_reproduced(STUDY, reproduce_published(
        panel, df, indicators, stages, window, impact_model,
        sorted(las.loc[no_sif, "la_code"].astype(int).tolist())))
    if truth is not None:
        notes.append("Synthetic data: the numbers are not the paper's and are not expected to "
                     "match it; published_vs_reproduced still sets them side by side.")

    if with_r:
        from replication.rbridge import RError, RNotAvailable, r_available  # noqa: PLC0415

        if not r_available():
            notes.append("Python vs R not compared: R is not installed.")
        else:
            try:
                vr, rnotes = python_vs_r(df, kinds, results, stages, group="all",
                                         window=window, stage_scale=opts["stage_scale"],
                                         n_jobs=n_jobs if n_jobs > 0 else os.cpu_count() or 1)
            except RNotAvailable as exc:
                notes.append(f"Python vs R not compared: {exc}")
            except RError as exc:
                notes.append(f"Python vs R not compared: R stopped with an error: {exc}")
            else:
                tables["python_vs_r"] = vr
                notes.extend(rnotes)
                notes.append(
                    f"Python vs R (lme4::glmer, tight convergence, for the '{impact_model}' "
                    f"model of every indicator, all LAs): {int(vr['within'].sum())} of "
                    f"{len(vr)} numbers within tolerance; largest relative difference "
                    f"{vr['difference'].max():.2g}. Stage estimates are compared relative to "
                    "max(|estimate|, R's SE), as the GLMM parity compares fixed effects.")

    figures = _figures(medians, traj, indicators, kinds)
    olre = opts["overdispersion"] == "olre"
    options_out = {
        "nagq": 1 if (random_slope or olre) else nagq,
        "random_slope": random_slope,
        "impact_model": impact_model,
        "impact_model_formula": its.IMPACT_MODELS[impact_model],
        "models": list(models),
        "criterion": opts["criterion"],
        "window": list(window) if window is not None else None,
        "stage_scale": opts["stage_scale"],
        "random_effects": (("(1 + time | la)" if random_slope else "(1 | la)")
                           + (" + (1 | obs)" if olre else "")),
        "estimation": ("Laplace" if (random_slope or olre) else
                       f"adaptive Gauss-Hermite quadrature, {nagq} points"),
        "overdispersion": opts["overdispersion"],
        "se_scale": opts["se_scale"],
        "fixed_effects_check": bool(opts["fixed_effects_check"]),
        "years": list(opts["years"]) if opts["years"] is not None else None,
        "outcome_kinds": kinds,
        "indicators": indicators,
        "n_jobs": n_jobs,
        "confidence": "95% Wald, normal quantile",
        "warm_start": bool(opts["warm_start"]),
    }
    return StudyResult(study=STUDY, data_label=str(getattr(panel, "label", "panel")),
                       tables=tables, figures=figures, options=options_out, notes=notes,
                       defaults={**RUN_DEFAULTS, **DEFAULT_OPTIONS}, option_docs=OPTION_DOCS,
                       given=tuple(options) + tuple(k for k, v in (
                           ("nagq", nagq), ("random_slope", random_slope),
                           ("impact_model", impact_model)) if v != RUN_DEFAULTS[k]),
                       exclusions=combine_exclusions(
                           panel_exclusions(panel),
                           exclusion_rows("sample", las.loc[no_sif, "la_code"],
                                          "no first SIF inspection year or judgement"),
                           fit_exclusions(results)))


def fixed_effects_table(df: pd.DataFrame, indicators: Sequence[str],
                        window: tuple[int, int] | None) -> tuple[pd.DataFrame, list[str]]:
    """The robustness check (option ``fixed_effects_check``): for each indicator, all LAs,
    :func:`models.its.fixed_effects_check` (two-way fixed effects on the log rate; the step
    and slope-change terms against the common calendar trend). Returns (table, notes)."""
    parts, notes = [], []
    for ind in indicators:
        d = df[df["indicator"] == ind]
        den = None if d["denominator"].isna().all() else "denominator"
        try:
            chk = its.fixed_effects_check(d, "numerator", den, window=window)
        except Exception as exc:  # reported, the indicator's rows left empty
            notes.append(f"fixed-effects check, {ind}: {type(exc).__name__}: {exc}")
            continue
        tab = chk.tidy()
        tab.insert(0, "indicator", ind)
        tab["nobs"] = int(chk.glance()["nobs"].iloc[0])
        parts.append(tab)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    notes.append("Robustness check (fixed_effects_check): two-way fixed effects (LA and year) "
                 "on the log rate, SEs clustered by LA; the pre-inspection slope is not "
                 "identified beside year effects, so only the steps and the slope change are "
                 "estimated.")
    return table, notes


def fit_exclusions(results: list[dict]) -> pd.DataFrame:
    """Stage "analysis" rows: the LA-years each all-LA fit left out (missing outcome or
    exposure), by indicator, with :func:`models.its.its_fit`'s reason."""
    parts = []
    for r in results:
        ex = r.get("excluded")
        if r["group"] != "all" or ex is None or not len(ex):
            continue
        parts.append(pd.DataFrame({"stage": "analysis", "la_code": ex["la_code"].to_numpy(),
                                   "year": ex["year"].to_numpy(), "indicator": r["indicator"],
                                   "reason": "segmented Poisson fit: " + ex["reason"].astype(str)}))
    return combine_exclusions(*parts)


def _concat(results: list[dict], key: str) -> pd.DataFrame:
    parts = [r[key] for r in results if key in r]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _figures(medians: pd.DataFrame, traj: pd.DataFrame, indicators: Sequence[str],
             kinds: dict[str, str]) -> dict[str, Any]:
    figs: dict[str, Any] = {"figure1": figure_medians(medians, indicators)}
    if traj.empty:
        return figs
    provision = [i for i in indicators if kinds[i] == "rate_per_10000"] or list(indicators)
    figs["figure2"] = figure_trajectories(
        traj, provision, ["all"], "ITS: rates of service provision, Y-3 = 100% (all LAs)")
    cin_cp = _pick(provision, kinds, ("cin", "cp", "child_protection", "in_need")) or provision[:2]
    figs["figure3"] = figure_trajectories(
        traj, cin_cp, list(GROUPS[1:]), "ITS: CIN and CP plans by inspection outcome")
    wf = _pick(indicators, kinds, ("agency", "vacan", "turnover", "spend", "expend", "worker",
                                  "caseload"),
               ("money", "fte"))
    if wf:
        figs["figure4"] = figure_trajectories(
            traj, wf, list(GROUPS[1:]), "ITS: workforce and expenditure by inspection outcome")
    return figs
