"""Hood, Grant, Jones & Goldacre (2016): performance indicators and Ofsted ratings.

METHODS section 2.

Reads as the paper's method section:

1. National trends: for each quality indicator, the median and interquartile range across
   LAs per year (Figure 2).
2. Correlations: for each year 2009-10 ... 2013-14, the Spearman matrix of the indicators
   (pairwise complete, R's exact p-values, :func:`models.correlation.cor_matrix`). A pair is
   reported when p < 0.05 in at least 3 years (CIN indicators), or in both years for a pair
   with a workforce indicator (collected only in 2012-13 and 2013-14), with its sign in each
   year (Figure 3: the correlations with re-referrals).
3. Prediction of an inadequate rating (rated inadequate in 2012 or 2013) from the 2012
   quality and quantity indicators: binomial elastic net with the penalty chosen by
   cross-validation (:func:`models.elasticnet.cv_glmnet`, R's cv.glmnet). Table 2: the
   non-zero coefficients in original units; the fraction of deviance explained at the chosen
   lambda; sensitivity and specificity at probability 0.5 with their counts.
4. Groups A and B (Table 3): the model applied to 2010, 2011 and 2012; an LA is "predicted"
   in the first year Y its probability exceeds 0.5. Group B: predicted and rated inadequate;
   group A: predicted and not. For every indicator, the change from Y to Y+1 (median per
   group, % of LAs where it rose); medians and IQRs of three indicators at Y.

The paper leaves these choices unstated; each is a named option of :func:`run`, with the
default stated there: ``alpha``, ``s``, ``nfolds``, ``seed``, ``sample_kind``,
``type_measure``, ``fold_lambda``. The published run used glmnet 2.0-2 on R 3.2.2, so the
defaults draw folds with R's pre-3.6 "Rounding" sampler and fit the folds on the full-data
lambda sequence as glmnet < 3.0 did; ``sample_kind="Rejection", fold_lambda="own"`` gives
what cv.glmnet does in R today.

On a synthetic panel the planted model of ``inadequate_2012_13`` (``panel.truth``) is set
beside the estimates (table ``recovery``).

Every number the paper prints is set beside its reproduction (``published_vs_reproduced``,
:mod:`replication.papers._compare`), with the reason where they cannot agree (synthetic data,
years or variables the public data lack). With ``with_r=True`` and R installed, the key
numbers are computed again in R in one call (glmnet, cv.glmnet from the same seed and sampler,
cor.test) and compared (``python_vs_r``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from models.correlation import cor_matrix
from models.elasticnet import cv_glmnet
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
    rel_difference,
    vs_r_row,
)

STUDY = "hood2016"

QUALITY_INDICATORS: tuple[str, ...] = (
    "initial_assessments_within_10_days",
    "assessments_within_45_days",
    "icpc_within_15_days",
    "cpp_2_years_plus",
    "cin_2_years_plus",
    "caseload",
    "vacancy_rate",
    "social_worker_turnover",
    "agency_worker_rate",
    "re_referrals",
    "cpp_second_or_subsequent",
)
"""The paper's Table 1 (quality of effort, then quality of effect) in the panel's vocabulary:
assessment, conference and plan timeliness, CIN per social worker (caseload), the workforce
rates, re-referrals and repeat child protection plans."""

QUANTITY_INDICATORS: tuple[str, ...] = (
    "referrals",
    "referrals_nfa",
    "assessments",
    "section47",
    "icpc",
    "cpp_starts",
    "cpp",
    "cin_rate",
    "cla_rate",
)
"""Rates of activity (per 10,000 children; referrals_nfa: share of referrals closed with NFA)."""

WORKFORCE_INDICATORS: tuple[str, ...] = (
    "social_worker_turnover",
    "vacancy_rate",
    "agency_worker_rate",
)
"""Collected only in 2012-13 and 2013-14 at the time: their pairs need p < 0.05 in both years."""

OUTCOME_INDICATOR = "re_referrals"
"""Figure 3 shows the correlations with re-referrals."""

GROUP_LEVEL_INDICATORS: tuple[str, ...] = (
    "initial_assessments_within_10_days",
    "agency_worker_rate",
    "re_referrals",
)
"""The three indicators whose medians and IQRs at Y the paper gives for groups A and B."""

TABLE3_INDICATORS: tuple[str, ...] = (
    "cin_rate",
    "referrals",
    "assessments",
    "initial_assessments_within_10_days",
    "assessments_within_45_days",
    "section47",
    "icpc",
    "icpc_within_15_days",
    "cpp",
    "cla_rate",
    "re_referrals",
    "cpp_second_or_subsequent",
    "spend_safeguarding",
    "caseload",
    "vacancy_rate",
    "social_worker_turnover",
    "agency_worker_rate",
)
"""Table 3's indicators in the panel's vocabulary (care proceedings -> children looked after,
core assessments within 35 days -> assessments within 45 days, spend on CP -> safeguarding
spend)."""

PUBLISHED: dict[str, float] = {"deviance_explained": 40.0, "sensitivity": 68.0, "specificity": 94.0}
"""The paper's model summary (percent), as printed in 'Analysis of Ofsted ratings'."""

DEFAULT_OPTIONS: dict[str, Any] = {
    "alpha": 1.0,
    "s": "lambda.min",
    "nfolds": 10,
    "seed": 2016,
    "sample_kind": "Rounding",
    "type_measure": "deviance",
    "fold_lambda": "full",
    "standardize": True,
    "threshold": 0.5,
    "prediction_year": 2012,
    "outcome": "inadequate_2012_13",
    "predictors": None,
    "correlation_years": (2010, 2011, 2012, 2013, 2014),
    "workforce_years": (2013, 2014),
    "min_years_significant": 3,
    "significance": 0.05,
    "trend_years": None,
    "group_years": (2010, 2011, 2012),
}
"""Every analytic choice, with its default:

alpha 1.0            glmnet's default mixing (the lasso); the paper names elastic net but not alpha
s "lambda.min"       the paper's "best model" from cross-validation ("lambda.1se" is the
                     default of R's coef.cv.glmnet)
nfolds 10            cv.glmnet's default
seed 2016            the paper's seed is not published: folds are drawn as R's
                     set.seed(seed); sample(rep(seq(nfolds), length.out = n))
sample_kind          "Rounding": R 3.2.2's sampler (the paper's R); "Rejection" is R >= 3.6.0
type_measure         "deviance": cv.glmnet's default for binomial
fold_lambda "full"   glmnet 2.0-2 fitted every fold on the full-data lambda sequence; "own" is
                     glmnet >= 3.0 (each fold its own sequence, interpolated)
standardize True     glmnet's default; coefficients are reported in original units either way
threshold 0.5        the paper's probability cut-off for sensitivity, specificity and groups A/B
prediction_year 2012 the predictors' year; outcome: rated inadequate in 2012 or 2013
predictors None      QUALITY_INDICATORS + QUANTITY_INDICATORS present in the panel
correlation_years    2009-10 ... 2013-14 (panel years 2010-2014)
workforce_years      2012-13 and 2013-14
min_years_significant 3, significance 0.05: the paper's rule for CIN indicator pairs
trend_years None     every year in the panel (the paper: 2001-02 to 2013-14)
group_years          2010-11 ... 2012-13 (panel years 2010-2012)
"""

OPTION_DOCS: dict[str, OptionDoc] = {
    "alpha": OptionDoc("any mixing in [0, 1]: 0 = ridge, 0.5 = an even elastic net",
                       "glmnet's default (the lasso); the paper names elastic net, not alpha"),
    "s": OptionDoc('"lambda.1se" (the default of R\'s coef.cv.glmnet)',
                   "the paper reports its 'best model' from cross-validation"),
    "nfolds": OptionDoc("any integer from 3 to the number of LAs", "cv.glmnet's default"),
    "seed": OptionDoc("any integer", "the paper's seed is unpublished: the folds depend on it"),
    "sample_kind": OptionDoc('"Rejection" (R >= 3.6.0)', "R 3.2.2's sampler, the paper's R"),
    "type_measure": OptionDoc('"class", "auc", "mse", "mae"', "cv.glmnet's default for binomial"),
    "fold_lambda": OptionDoc('"own" (glmnet >= 3.0: each fold its own lambda sequence)',
                             "glmnet 2.0-2 (the paper's) fitted folds on the full-data sequence"),
    "standardize": OptionDoc("False", "glmnet's default; coefficients are in original units "
                                      "either way"),
    "threshold": OptionDoc("any probability in (0, 1)", "the paper's cut-off"),
    "prediction_year": OptionDoc("any panel year with the predictors", "the paper's 2012 data"),
    "outcome": OptionDoc("any 0/1 column of panel.las",
                         "rated inadequate in 2012 or 2013, the paper's outcome"),
    "predictors": OptionDoc("a list of panel indicators",
                            "None = the paper's quality and quantity indicators present"),
    "correlation_years": OptionDoc("any panel years", "2009-10 ... 2013-14, the paper's"),
    "workforce_years": OptionDoc("any panel years", "2012-13 and 2013-14: the only years the "
                                                     "paper had workforce data"),
    "min_years_significant": OptionDoc("any count of years", "the paper's rule"),
    "significance": OptionDoc("any level", "the paper's"),
    "trend_years": OptionDoc("a list of panel years", "None = every year in the panel"),
    "group_years": OptionDoc("any panel years", "2010-11 ... 2012-13, the paper's"),
}
"""Alternatives of each option of :data:`DEFAULT_OPTIONS` and why its default is what it is
(the report's options table)."""


def model_exclusions(panel: Any, kept: pd.Series, predictors: Sequence[str], year: int,
                     outcome: str) -> pd.DataFrame:
    """Stage "analysis" rows for the panel's LAs left out of the elastic net, with the reason:
    no row in ``year``, no outcome, or which predictors are missing."""
    wide = panel.wide(years=[year]).set_index("la_code")
    las = panel.las.set_index("la_code")
    parts = []
    for code in sorted(set(las.index) - set(int(c) for c in kept)):
        if code not in wide.index:
            why = f"no data for {year} in the panel"
        elif pd.isna(las.at[code, outcome]):
            why = f"no {outcome} (the outcome)"
        else:
            miss = [p for p in predictors if pd.isna(wide.at[code, p])]
            why = f"missing {year} predictor(s): {', '.join(miss)}"
        parts.append(exclusion_rows("analysis", [code], f"elastic net (Table 2): {why}"))
    return combine_exclusions(*parts)


# --------------------------------------------------------------------------- 1. trends


def national_trends(
    wide: pd.DataFrame, indicators: Sequence[str], years: Sequence[int] | None = None
) -> pd.DataFrame:
    """Median and IQR across LAs per year (R's quantile type 7), with the number of LAs."""
    rows = []
    for ind in indicators:
        for year, vals in wide.groupby("year")[ind]:
            if years is not None and year not in years:
                continue
            v = vals.dropna().to_numpy()
            if v.size == 0:
                continue
            q25, med, q75 = np.quantile(v, [0.25, 0.5, 0.75])
            rows.append(
                {
                    "indicator": ind,
                    "year": int(year),
                    "n": int(v.size),
                    "median": med,
                    "q25": q25,
                    "q75": q75,
                }
            )
    return pd.DataFrame(rows, columns=["indicator", "year", "n", "median", "q25", "q75"])


# --------------------------------------------------------------------------- 2. correlations


def yearly_spearman(
    wide: pd.DataFrame, indicators: Sequence[str], years: Sequence[int]
) -> tuple[pd.DataFrame, list[str]]:
    """Spearman tests of every pair, year by year (pairwise complete); returns (long, notes)."""
    longs, notes = [], []
    for year in years:
        sub = wide.loc[wide["year"] == year, list(indicators)]
        sub = sub.loc[:, sub.notna().sum() >= 3]
        if sub.shape[1] < 2:
            notes.append(
                f"{year}: fewer than two indicators with 3 or more values; no correlations"
            )
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cm = cor_matrix(sub, method="spearman")
        if any("ties" in str(w.message) for w in caught):
            notes.append(
                f"{year}: some pairs have ties, so their p-values use R's t approximation "
                "(as cor.test does)"
            )
        long = cm.long[["var1", "var2", "estimate", "p_value", "n"]].copy()
        long.insert(0, "year", int(year))
        longs.append(long)
    cols = ["year", "var1", "var2", "estimate", "p_value", "n"]
    return (pd.concat(longs, ignore_index=True) if longs else pd.DataFrame(columns=cols)), notes


def significant_pairs(
    long: pd.DataFrame,
    workforce: Sequence[str],
    cin_years: Sequence[int],
    workforce_years: Sequence[int],
    min_years: int,
    significance: float,
) -> pd.DataFrame:
    """The paper's reporting rule, with the sign in each year (+, -, or . when not significant).

    A pair with a workforce indicator: p < ``significance`` in every one of ``workforce_years``.
    Any other pair: p < ``significance`` in at least ``min_years`` of ``cin_years``.
    """
    rows = []
    for (a, b), d in long.groupby(["var1", "var2"], sort=False):
        is_wf = a in workforce or b in workforce
        years = list(workforce_years if is_wf else cin_years)
        d = d[d["year"].isin(years)].set_index("year")
        sig = {y: bool(y in d.index and d.loc[y, "p_value"] < significance) for y in years}
        n_sig = sum(sig.values())
        reported = n_sig == len(years) if is_wf else n_sig >= min_years
        signs = " ".join(
            ("+" if d.loc[y, "estimate"] > 0 else "-") if sig[y] else "." for y in years
        )
        rows.append(
            {
                "var1": a,
                "var2": b,
                "rule": "workforce: both years" if is_wf else f"CIN: >= {min_years} years",
                "years": " ".join(str(y) for y in years),
                "years_significant": n_sig,
                "signs": signs,
                "median_rho": float(d["estimate"].median()) if len(d) else np.nan,
                "reported": reported,
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[
            "var1",
            "var2",
            "rule",
            "years",
            "years_significant",
            "signs",
            "median_rho",
            "reported",
        ],
    )
    return out.sort_values(
        ["reported", "years_significant", "median_rho"],
        ascending=[False, False, False],
        ignore_index=True,
    )


def figure3_table(
    long: pd.DataFrame, pairs: pd.DataFrame, outcome: str = OUTCOME_INDICATOR
) -> pd.DataFrame:
    """The reported correlations with ``outcome``: rho and p per year (Figure 3)."""
    rep = pairs[pairs["reported"] & ((pairs["var1"] == outcome) | (pairs["var2"] == outcome))]
    parts = []
    for a, b, years in zip(rep["var1"], rep["var2"], rep["years"], strict=True):
        yrs = [int(y) for y in years.split()]  # the years the pair's rule looks at
        d = long[(long["var1"] == a) & (long["var2"] == b) & long["year"].isin(yrs)].copy()
        d["indicator"] = b if a == outcome else a
        parts.append(d)
    cols = ["indicator", "year", "estimate", "p_value", "n"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts)[cols].sort_values(["indicator", "year"], ignore_index=True)


# --------------------------------------------------------------------------- 3. the model


def model_data(
    panel: Any, predictors: Sequence[str], year: int, outcome: str
) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """(X: one row per LA with complete predictors in ``year``, y, notes on the LAs left out)."""
    wide = panel.wide(years=[year])
    if wide.empty:
        raise ValueError(f"hood2016: the panel has no data for {year} (the predictors' year)")
    missing = [p for p in predictors if p not in wide.columns]
    if missing:
        raise ValueError(f"hood2016: the panel lacks predictors {missing} in {year}")
    las = panel.las
    if outcome not in las.columns:
        raise ValueError(f"hood2016: panel.las has no column {outcome!r} (the outcome)")
    if las[outcome].isna().all():
        raise ValueError(f"hood2016: no LA has a value of the outcome {outcome!r} in panel.las "
                         "(the Ofsted ratings it is made from are not in this data)")
    d = wide[["la_code", *predictors]].merge(las[["la_code", outcome]], on="la_code", how="inner")
    notes = []
    no_y = d[outcome].isna()
    if no_y.any():
        notes.append(
            f"{int(no_y.sum())} LAs without {outcome} left out: "
            f"{sorted(d.loc[no_y, 'la_code'].tolist())}"
        )
    incomplete = d[list(predictors)].isna().any(axis=1) & ~no_y
    if incomplete.any():
        notes.append(
            f"{int(incomplete.sum())} LAs with a missing {year} predictor left out: "
            f"{sorted(d.loc[incomplete, 'la_code'].tolist())}"
        )
    d = d[~no_y & ~incomplete].reset_index(drop=True)
    return d[["la_code", *predictors]], d[outcome].astype(bool).to_numpy(), notes


def accuracy_table(y: np.ndarray, prob: np.ndarray, threshold: float) -> pd.DataFrame:
    """Sensitivity and specificity at ``threshold`` with their counts (in-sample, as the paper)."""
    pred = prob > threshold
    tp, fn = int(np.sum(pred & y)), int(np.sum(~pred & y))
    tn, fp = int(np.sum(~pred & ~y)), int(np.sum(pred & ~y))
    rows = [
        {
            "measure": "sensitivity",
            "percent": 100 * tp / (tp + fn) if tp + fn else np.nan,
            "numerator": tp,
            "denominator": tp + fn,
            "counts": f"{tp} of {tp + fn} rated inadequate predicted",
        },
        {
            "measure": "specificity",
            "percent": 100 * tn / (tn + fp) if tn + fp else np.nan,
            "numerator": tn,
            "denominator": tn + fp,
            "counts": f"{tn} of {tn + fp} not rated inadequate not predicted",
        },
    ]
    return pd.DataFrame(rows)


def recovery_table(truth: Any, coef: pd.Series, wide_year: pd.DataFrame) -> pd.DataFrame | None:
    """Planted versus estimated coefficients of the inadequate model (synthetic panels); a
    predictor selected but not planted (planted 0) has ``sign_recovered`` empty."""
    planted = getattr(truth, "inadequate_coefficients", None) if truth is not None else None
    if not planted:
        return None
    rows = []
    for ind, b in planted.items():
        est = float(coef.get(ind, np.nan))
        sd = float(wide_year[ind].std()) if ind in wide_year.columns else np.nan
        rows.append(
            {
                "indicator": ind,
                "planted": b,
                "estimate": est,
                "planted_per_sd": b * sd,
                "selected": bool(np.isfinite(est) and est != 0),
                "sign_recovered": bool(
                    np.isfinite(est) and est != 0 and np.sign(est) == np.sign(b)
                ),
            }
        )
    others = [k for k, v in coef.items() if k != "(Intercept)" and k not in planted and v != 0]
    for ind in others:
        rows.append(
            {
                "indicator": ind,
                "planted": 0.0,
                "estimate": float(coef[ind]),
                "planted_per_sd": 0.0,
                "selected": True,
                "sign_recovered": None,  # not planted: a false positive, no sign to recover
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- 4. groups A and B


def first_predicted_year(
    panel: Any, cv: Any, s: float, predictors: Sequence[str], years: Sequence[int], threshold: float
) -> pd.DataFrame:
    """Per LA: the first year of ``years`` with a predicted probability above ``threshold``."""
    rows = []
    for year in years:
        w = panel.wide(years=[year])
        if w.empty or any(p not in w.columns for p in predictors):
            continue
        w = w[["la_code", *predictors]].dropna()
        if w.empty:
            continue
        prob = cv.predict(w[list(predictors)], s=s, type="response")
        rows.append(
            pd.DataFrame({"la_code": w["la_code"].to_numpy(), "year": year, "probability": prob})
        )
    if not rows:
        return pd.DataFrame(columns=["la_code", "year", "probability"])
    p = pd.concat(rows, ignore_index=True)
    hit = p[p["probability"] > threshold].sort_values(["la_code", "year"])
    return hit.groupby("la_code", as_index=False).first()


def group_changes(
    panel: Any, groups: pd.DataFrame, indicators: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table 3: change from Y to Y+1 per LA, summarised per group; and the values at Y."""
    wide = panel.wide()
    ind = [i for i in indicators if i in wide.columns]
    at_y = groups[["la_code", "year", "group"]].merge(
        wide[["la_code", "year", *ind]], on=["la_code", "year"], how="left"
    )
    nxt = (
        groups[["la_code", "year"]]
        .assign(year=groups["year"] + 1)
        .merge(wide[["la_code", "year", *ind]], on=["la_code", "year"], how="left")
    )
    change = nxt[ind].to_numpy() - at_y[ind].to_numpy()
    rows = []
    for g in ("A", "B"):
        sel = (at_y["group"] == g).to_numpy()
        for j, name in enumerate(ind):
            c = change[sel, j]
            c = c[np.isfinite(c)]
            rows.append(
                {
                    "indicator": name,
                    "group": g,
                    "n": int(c.size),
                    "median_change": float(np.median(c)) if c.size else np.nan,
                    "pct_rising": 100 * float(np.mean(c > 0)) if c.size else np.nan,
                }
            )
    return pd.DataFrame(rows), at_y


def _table3_wide(long: pd.DataFrame, n_a: int, n_b: int) -> pd.DataFrame:
    a = long[long["group"] == "A"].set_index("indicator")
    b = long[long["group"] == "B"].set_index("indicator")
    out = pd.DataFrame(
        {
            "indicator": a.index,
            f"A (n={n_a}) median change": a["median_change"].to_numpy(),
            f"A (n={n_a}) % LAs rising": a["pct_rising"].to_numpy(),
            f"B (n={n_b}) median change": b.loc[a.index, "median_change"].to_numpy(),
            f"B (n={n_b}) % LAs rising": b.loc[a.index, "pct_rising"].to_numpy(),
        }
    )
    return out.reset_index(drop=True)


def group_levels(at_y: pd.DataFrame, indicators: Sequence[str]) -> pd.DataFrame:
    rows = []
    for g in ("A", "B"):
        d = at_y[at_y["group"] == g]
        for ind in indicators:
            if ind not in d.columns:
                continue
            v = d[ind].dropna().to_numpy()
            q = np.quantile(v, [0.25, 0.5, 0.75]) if v.size else [np.nan] * 3
            rows.append(
                {
                    "group": g,
                    "indicator": ind,
                    "n": int(v.size),
                    "median": q[1],
                    "q25": q[0],
                    "q75": q[2],
                }
            )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- figures


def _grid(n: int, ncols: int = 4):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.4 * nrows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def figure_trends(trends: pd.DataFrame, indicators: Sequence[str]):
    """Figure 2: national medians with the interquartile range as a band."""
    inds = [i for i in indicators if i in set(trends["indicator"])]
    fig, axes = _grid(max(len(inds), 1))
    for ax, ind in zip(axes, inds, strict=False):
        d = trends[trends["indicator"] == ind]
        ax.fill_between(d["year"], d["q25"], d["q75"], color="C0", alpha=0.15)
        ax.plot(d["year"], d["median"], "o-", color="C0", ms=3)
        ax.set_title(ind, fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Quality indicators: median across LAs by year (band: IQR)")
    fig.tight_layout()
    return fig


def figure_correlations(fig3: pd.DataFrame, outcome: str = OUTCOME_INDICATOR):
    """Figure 3: Spearman rho of each reported indicator with re-referrals, by year.

    Bars of years with p >= 0.05 are faded.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    inds = list(dict.fromkeys(fig3["indicator"]))
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(inds), 2) + 1.2))
    years = sorted(fig3["year"].unique()) if len(fig3) else []
    width = 0.8 / max(len(years), 1)
    for k, year in enumerate(years):
        d = fig3[fig3["year"] == year].set_index("indicator").reindex(inds)
        pos = np.arange(len(inds)) + k * width
        bars = ax.barh(pos, d["estimate"].fillna(0.0), height=width, label=str(year), color=f"C{k}")
        for bar, p in zip(bars, d["p_value"], strict=True):
            if not p < 0.05:  # not significant in this year: faded
                bar.set_alpha(0.3)
    ax.set_yticks(np.arange(len(inds)) + 0.4 - width / 2)
    ax.set_yticklabels(inds, fontsize=7)
    ax.axvline(0, color="0.5", lw=0.6)
    ax.set_xlabel(f"Spearman rho with {outcome}")
    if years:
        ax.legend(fontsize=6, title="year", title_fontsize=6)
    ax.set_title("Significant correlations with re-referral rates", fontsize=9)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- published numbers

TABLE3_RECORDS: dict[str, tuple[str, str]] = {
    "cin": ("cin_rate", ""),
    "referrals": ("referrals", ""),
    "ia": ("assessments", "definitions: single assessments (from 2013-14) for initial "
                          "assessments"),
    "ia10": ("initial_assessments_within_10_days", ""),
    "ca": ("assessments", "definitions: single assessments (from 2013-14) for core assessments"),
    "ca35": ("assessments_within_45_days", "definitions: assessments within 45 working days "
                                           "for core assessments within 35 days"),
    "s47": ("section47", ""),
    "cpc": ("icpc", "definitions: initial CP conferences for all CP conferences"),
    "icpc15": ("icpc_within_15_days", ""),
    "cpp": ("cpp", ""),
    "review": ("", REASON_NOT_IN_PANEL + " (review CP conferences on time)"),
    "care": ("cla_rate", "definitions: children looked after for care proceedings"),
    "reref": ("re_referrals", ""),
    "repeatcp": ("cpp_second_or_subsequent", ""),
    "spend": ("spend_safeguarding", "definitions: s251 safeguarding spend for spend on CP "
                                    "services"),
    "cinsw": ("caseload", ""),
    "vacancy": ("vacancy_rate", ""),
    "turnover": ("social_worker_turnover", ""),
    "agency": ("agency_worker_rate", ""),
}
"""Table 3's rows (record id infix) -> (panel indicator, definitional difference)."""

TABLE2_RECORDS: dict[str, str] = {
    "t2_ia10": "initial_assessments_within_10_days",
    "t2_s47": "section47",
    "t2_reref": "re_referrals",
    "t2_vacancy": "vacancy_rate",
    "t2_agency": "agency_worker_rate",
}

GROUP_LEVEL_RECORDS: dict[str, str] = {
    "ia10": "initial_assessments_within_10_days",
    "agency": "agency_worker_rate",
    "reref": "re_referrals",
}

REASON_OLD_RATINGS = ("needs the Ofsted ratings of 2010-2013 (pre-SIF frameworks), which are "
                      "not public here")


def _years_reason(panel_years: Sequence[int], first: int, last: int) -> str:
    have = sorted(int(y) for y in panel_years)
    span = f"{have[0]}-{have[-1]}" if have else "none"
    return f"years: needs {first}-{last} (panel years ending 31 March); the panel covers {span}"


def reproduce_published(panel: Any, tables: dict[str, pd.DataFrame], opt: dict,
                        n_groups: tuple[int, int]) -> dict[str, Reproduced]:
    """The reproduced value of every published record of the study, by record id."""
    synthetic = getattr(panel, "truth", None) is not None
    base = REASON_SYNTHETIC if synthetic else (
        "data: the panel's values, not the paper's 2001-2014 extract (revisions, definitions)")
    out: dict[str, Reproduced] = {}

    def put(rid: str, value: Any, reason: str = "") -> None:
        v = math.nan if value is None else float(value)
        out[rid] = Reproduced(v, reason if not math.isfinite(v) else
                              "; ".join(x for x in (base, reason) if x))

    years = sorted(int(y) for y in getattr(panel, "years", panel.wide()["year"].unique()))
    ex = panel.exclusions
    la_wide = ex[ex["year"].isna() & ex["indicator"].isna()] if len(ex) else ex
    n_las = int(panel.las["la_code"].nunique())
    put("abs_las", n_las + len(la_wide), "the panel's LAs and the LAs it excludes")
    put("m_excluded", len(la_wide), "LA-wide exclusions of the panel")
    put("tr_las", n_las)
    for rid in ("abs_years", "tr_years"):
        put(rid, len(years), f"years in the panel: {years[0]}-{years[-1]}" if years else "")
    put("tr_ceiling", None, _years_reason(years, 2002, 2007))
    put("tr_cin_cease3m", None, REASON_NOT_IN_PANEL + " (CIN cases ceasing within 3 months)")
    put("tr_cp_cease6_11m", None, REASON_NOT_IN_PANEL + " (CP plans lasting 6-11 months)")
    put("tr_assess_years", None, REASON_NOT_IN_PANEL + " (assessments as a % of referrals, "
                                                       "2001-2014)")
    tr = tables["figure2_trends"]
    rr = tr[tr["indicator"] == OUTCOME_INDICATOR]
    before = rr[rr["year"] <= 2009]["median"]
    after = rr[rr["year"] >= 2010]["median"]
    if len(before):
        why = "medians of the panel's years up to 2008-09" + (
            "" if years and years[0] <= 2002 else f" ({_years_reason(years, 2002, 2009)})")
        put("tr_reref_low", before.min(), why)
        put("tr_reref_high", before.max(), why)
    else:
        put("tr_reref_low", None, _years_reason(years, 2002, 2009))
        put("tr_reref_high", None, _years_reason(years, 2002, 2009))
    put("tr_reref_peak", after.max() if len(after) else None,
        "the highest yearly median from 2009-10 on" if len(after) else
        _years_reason(years, 2010, 2014))
    put("co_alpha", opt["significance"], "the reporting rule as applied")
    put("co_years_cin", opt["min_years_significant"], "the reporting rule as applied")
    put("co_years_wf", len(opt["workforce_years"]), "the reporting rule as applied")
    model = tables["table2_model"].set_index("measure")["percent"]
    put("or_deviance", model["deviance_explained"])
    put("or_sens", model["sensitivity"])
    put("or_spec", model["specificity"])
    put("sum_accuracy", model["sensitivity"], "the Results call this the sensitivity")
    coef = tables["table2_coefficients"].set_index("term")["coefficient"]
    for rid, term in TABLE2_RECORDS.items():
        if term in opt["predictors"]:
            put(rid, coef.get(term, 0.0), "" if term in coef.index else "not selected (0)")
        else:
            put(rid, None, REASON_NOT_IN_PANEL + f" ({term})")
    n_a, n_b = n_groups
    put("ga_n", n_a)
    put("t3_na", n_a)
    put("t3_nb", n_b)
    for rid in ("ga_noinsp", "ga_rated", "ga_good", "ga_adequate"):
        put(rid, None, REASON_OLD_RATINGS)
    size = {"a": n_a, "b": n_b}
    empty = "group {} is empty on this panel (no LA predicted{} in 2010-2012)"
    lev = tables["groups_levels_at_y"]
    lev = lev.set_index(["group", "indicator"]) if len(lev) else lev
    for g in ("a", "b"):
        why_empty = empty.format(g.upper(), ", not rated inadequate" if g == "a" else
                                 " and rated inadequate")
        for tag, ind in GROUP_LEVEL_RECORDS.items():
            for suffix, col in (("median", "median"), ("q1", "q25"), ("q3", "q75")):
                rid = f"g{g}_{tag}_{suffix}"
                key = (g.upper(), ind)
                ok = len(lev) and key in lev.index and lev.loc[key, "n"] > 0
                put(rid, lev.loc[key, col] if ok else None,
                    ("quartiles by R's type 7" if suffix != "median" else "") if ok else
                    why_empty if not size[g] else f"no LA of group {g.upper()} has {ind} at Y")
    t3 = tables["table3_long"].set_index(["indicator", "group"])
    for tag, (ind, defin) in TABLE3_RECORDS.items():
        for g in ("a", "b"):
            why_empty = empty.format(g.upper(), ", not rated inadequate" if g == "a" else
                                     " and rated inadequate")
            for suffix, col in (("med", "median_change"), ("pct", "pct_rising")):
                rid = f"t3_{tag}_{g}_{suffix}"
                key = (ind, g.upper())
                if not ind or key not in t3.index:
                    put(rid, None, defin or REASON_NOT_IN_PANEL + f" ({ind})")
                elif not t3.loc[key, "n"]:
                    put(rid, None, why_empty if not size[g] else
                        f"no LA of group {g.upper()} has {ind} in Y and Y+1")
                else:
                    put(rid, t3.loc[key, col], defin)
    return out


# --------------------------------------------------------------------------- Python vs R

R_COLUMNS = VS_R_COLUMNS

SCALE_FLOOR = 1e-4
"""Elements of a vector (a path, a coefficient vector) are compared relative to at least 1e-4
of the vector's largest magnitude, as the elastic-net parity does, and the deviance explained
relative to at least 1e-4 of its scale (100%): a value that is zero in exact arithmetic (the
null model's deviance ratio) comes out as rounding noise of either sign on both sides."""

R_CODE = """
x <- as.matrix(input$x); y <- as.double(input$y); o <- input$opt
fit0 <- glmnet(x, y, family = "binomial", alpha = o$alpha, standardize = o$standardize)
suppressWarnings(set.seed(o$seed, kind = "Mersenne-Twister", normal.kind = "Inversion",
                          sample.kind = o$sample_kind))
args <- list(x, y, family = "binomial", alpha = o$alpha, standardize = o$standardize,
             nfolds = o$nfolds, type.measure = o$type_measure)
if (o$fold_lambda == "full") args$lambda <- fit0$lambda
cv <- do.call(cv.glmnet, args)
RNGkind("Mersenne-Twister", "Inversion", "Rejection")
s <- if (o$s == "lambda.min") cv$lambda.min else cv$lambda.1se
i <- match(s, cv$glmnet.fit$lambda)
prob <- as.vector(predict(cv, newx = x, s = o$s, type = "response"))
sp <- if (length(input$pairs)) do.call(rbind, lapply(input$pairs, function(p) {
  ct <- suppressWarnings(cor.test(p$x, p$y, method = "spearman", exact = NULL))
  c(unname(ct$estimate), ct$p.value)
})) else NULL
list(lambda = fit0$lambda, dev_ratio = fit0$dev.ratio, df = as.double(fit0$df),
     cv_lambda = cv$lambda, cvm = cv$cvm, cvsd = cv$cvsd, lambda_min = cv$lambda.min,
     lambda_1se = cv$lambda.1se, coef = as.vector(coef(cv, s = o$s)),
     dev = cv$glmnet.fit$dev.ratio[i], prob = prob, spearman = sp)
"""
"""The study's model and Figure 3 in R: glmnet, then cv.glmnet with folds drawn from the
study's seed and sampler (and, for fold_lambda='full', the full-data lambda sequence, as
glmnet 2.0-2), coefficients, deviance ratio and predictions at s; cor.test per pair."""


def _worst_row(table: str, row: str, quantity: str, py: Any, r: Any, tol: float) -> dict:
    """One row for a whole vector: the element with the largest relative difference."""
    a = np.asarray(py, dtype=float).ravel()
    b = np.asarray(r, dtype=float).ravel()
    if a.shape != b.shape:
        return {"table": table, "row": row, "quantity": f"{quantity} (length {a.size} vs "
                f"{b.size})", "python": float(a.size), "r": float(b.size),
                "difference": math.inf, "tolerance": tol, "within": False}
    if a.size == 0:
        return vs_r_row(table, row, quantity, 0.0, 0.0, tol)
    floor = SCALE_FLOOR * float(np.nanmax(np.abs(np.concatenate([a, b]))))
    d = [rel_difference(x, y, floor) for x, y in zip(a, b, strict=True)]
    k = int(np.argmax(d))
    return vs_r_row(table, row, f"{quantity} (largest difference, element {k + 1})", a[k],
                    b[k], tol, floor)


def figure3_pairs(wide: pd.DataFrame, fig3: pd.DataFrame,
                  outcome: str = OUTCOME_INDICATOR) -> list[dict[str, np.ndarray]]:
    """The pairwise-complete (indicator, outcome) values behind each Figure 3 row."""
    pairs = []
    for ind, year in zip(fig3["indicator"], fig3["year"], strict=True):
        d = wide.loc[wide["year"] == year, [ind, outcome]].dropna()
        pairs.append({"x": d[ind].to_numpy(dtype=float), "y": d[outcome].to_numpy(dtype=float)})
    return pairs


def python_vs_r(X: pd.DataFrame, y: np.ndarray, cv: Any, s: float, prob: np.ndarray,
                tables: dict[str, pd.DataFrame], wide: pd.DataFrame, opt: dict,
                threshold: float) -> pd.DataFrame:
    """The model and Figure 3 computed again in R (one call), beside the study's numbers.

    Raises :class:`replication.rbridge.RNotAvailable` when R or glmnet is missing.
    """
    from replication.parity.correlation import P_TOL, RHO_TOL  # noqa: PLC0415
    from replication.parity.elasticnet import CV_TOL, PATH_TOL  # noqa: PLC0415
    from replication.rbridge import call_r  # noqa: PLC0415

    fig3 = tables["figure3_re_referrals"]
    data = {
        "x": X.to_numpy(dtype=float), "y": y.astype(float),
        "opt": {k: opt[k] for k in ("alpha", "standardize", "seed", "sample_kind", "nfolds",
                                    "type_measure", "fold_lambda", "s")},
    }
    pairs = figure3_pairs(wide, fig3)
    if pairs:
        data["pairs"] = pairs
    r = call_r(R_CODE, data=data, packages=["glmnet"]).value
    rows = [
        _worst_row("glmnet path", f"{len(cv.fit.lambda_)} lambdas", "lambda", cv.fit.lambda_,
                   r["lambda"], PATH_TOL),
        _worst_row("glmnet path", f"{len(cv.fit.lambda_)} lambdas", "dev.ratio",
                   cv.fit.dev_ratio, r["dev_ratio"], PATH_TOL),
        _worst_row("glmnet path", f"{len(cv.fit.lambda_)} lambdas", "df", cv.fit.df, r["df"],
                   PATH_TOL),
        _worst_row("cv_curve", f"{len(cv.lambda_)} lambdas", "cvm", cv.cvm, r["cvm"], CV_TOL),
        _worst_row("cv_curve", f"{len(cv.lambda_)} lambdas", "cvsd", cv.cvsd, r["cvsd"],
                   CV_TOL),
        vs_r_row("cv_curve", "lambda.min", "lambda", cv.lambda_min, r["lambda_min"][0],
                 CV_TOL),
        vs_r_row("cv_curve", "lambda.1se", "lambda", cv.lambda_1se, r["lambda_1se"][0],
                 CV_TOL),
    ]
    coef = cv.coef(s)
    coef_r = pd.Series(np.asarray(r["coef"], dtype=float), index=coef.index)
    floor = SCALE_FLOOR * float(max(coef.abs().max(), coef_r.abs().max()))
    for term in coef.index:
        if coef[term] != 0 or coef_r[term] != 0 or term == "(Intercept)":
            rows.append(vs_r_row("table2_coefficients", term, f"coefficient at {opt['s']}",
                                 coef[term], coef_r[term], CV_TOL, floor))
    model = tables["table2_model"].set_index("measure")["percent"]
    rows.append(vs_r_row("table2_model", "deviance_explained", "percent",
                         model["deviance_explained"], 100 * float(r["dev"][0]), CV_TOL,
                         floor=100 * SCALE_FLOOR))
    prob_r = np.asarray(r["prob"], dtype=float)
    acc_r = accuracy_table(y, prob_r, threshold).set_index("measure")["percent"]
    acc = tables["table2_accuracy"].set_index("measure")["percent"]
    for m in ("sensitivity", "specificity"):
        rows.append(vs_r_row("table2_accuracy", m, "percent", acc[m], acc_r[m], CV_TOL))
    rows.append(_worst_row("table2_accuracy", f"{len(prob)} LAs", "predicted probability",
                           prob, prob_r, CV_TOL))
    sp = np.asarray(r["spearman"], dtype=float).reshape(-1, 2) if pairs else np.empty((0, 2))
    for k, (ind, year, est, p) in enumerate(zip(fig3["indicator"], fig3["year"],
                                                fig3["estimate"], fig3["p_value"],
                                                strict=True)):
        label = f"{ind} x {OUTCOME_INDICATOR}, {year}"
        rows.append(vs_r_row("figure3_re_referrals", label, "rho", est, sp[k, 0], RHO_TOL))
        rows.append(vs_r_row("figure3_re_referrals", label, "p_value", p, sp[k, 1], P_TOL))
    out = pd.DataFrame(rows, columns=list(R_COLUMNS))
    out["within"] = out["within"].astype(bool)
    return out


# --------------------------------------------------------------------------- run


def run(
    panel: Any,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    figures: bool = True,
    with_r: bool = False,
    **options: Any,
) -> StudyResult:
    """Run the study on ``panel`` (see :data:`DEFAULT_OPTIONS` for every option and its default).

    ``figures=False`` skips drawing Figures 2 and 3 (their tables are always made).
    ``with_r=True`` adds the table ``python_vs_r`` (:func:`python_vs_r`) when R and glmnet
    are installed, else a note saying why it is absent.
    """
    unknown = set(options) - set(DEFAULT_OPTIONS)
    if unknown:
        raise TypeError(
            f"hood2016.run: unknown options {sorted(unknown)}; known: {sorted(DEFAULT_OPTIONS)}"
        )
    opt = {**DEFAULT_OPTIONS, **options}
    if opt["s"] not in ("lambda.min", "lambda.1se"):
        raise ValueError(f"s must be 'lambda.min' or 'lambda.1se', got {opt['s']!r}")
    total = 7 if with_r else 6

    def step(i: int, label: str) -> None:
        if progress is not None:
            progress(i, total, label)

    notes: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    wide = panel.wide()
    present = [c for c in wide.columns if c not in ("la_code", "year")]

    # 1. national trends (Figure 2)
    step(0, "national trends")
    quality = [i for i in QUALITY_INDICATORS if i in present]
    trends = national_trends(wide, quality, opt["trend_years"])
    tables["figure2_trends"] = trends

    # 2. correlations (Figure 3)
    step(1, "Spearman correlations")
    corr_inds = [i for i in (*QUALITY_INDICATORS, *QUANTITY_INDICATORS) if i in present]
    years = sorted(set(opt["correlation_years"]) | set(opt["workforce_years"]))
    long, cnotes = yearly_spearman(wide, corr_inds, years)
    notes += cnotes
    pairs = significant_pairs(
        long,
        WORKFORCE_INDICATORS,
        opt["correlation_years"],
        opt["workforce_years"],
        opt["min_years_significant"],
        opt["significance"],
    )
    fig3 = figure3_table(long, pairs)
    tables["spearman_long"] = long
    tables["correlations_reported"] = pairs[pairs["reported"]].reset_index(drop=True)
    tables["figure3_re_referrals"] = fig3

    # 3. elastic net (Table 2)
    step(2, "elastic net (cv.glmnet)")
    predictors = (
        list(opt["predictors"])
        if opt["predictors"] is not None
        else [i for i in (*QUALITY_INDICATORS, *QUANTITY_INDICATORS) if i in present]
    )
    X, y, mnotes = model_data(panel, predictors, opt["prediction_year"], opt["outcome"])
    notes += mnotes
    excluded = model_exclusions(panel, X["la_code"], predictors, opt["prediction_year"],
                                opt["outcome"])
    if y.size == 0:
        why = excluded["reason"].value_counts()
        raise ValueError(
            f"hood2016: no LA can enter the elastic net ({why.index[0]}: {int(why.iloc[0])} LAs"
            + (f"; {len(why) - 1} other reasons" if len(why) > 1 else "") + ")"
        )
    if y.sum() < 2 or (~y).sum() < 2:
        raise ValueError(
            f"hood2016: the outcome {opt['outcome']!r} needs at least 2 LAs in each class "
            f"(has {int(y.sum())} rated inadequate of {y.size})"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cv = cv_glmnet(
            X[predictors],
            y,
            family="binomial",
            alpha=opt["alpha"],
            nfolds=opt["nfolds"],
            seed=opt["seed"],
            sample_kind=opt["sample_kind"],
            type_measure=opt["type_measure"],
            fold_lambda=opt["fold_lambda"],
            standardize=opt["standardize"],
        )
    for w in caught:
        if "Rounding" in str(w.message):
            notes.append(
                "Folds drawn with R's pre-3.6.0 sampler, as the paper's R 3.2.2 did (R now warns: "
                f"{w.message})."
            )
        else:
            notes.append(f"cv.glmnet: {w.message}")
    s = cv.lambda_min if opt["s"] == "lambda.min" else cv.lambda_1se
    idx = int(np.flatnonzero(cv.fit.lambda_ == s)[0])  # s is a value of the full-data path
    coef = cv.coef(s)
    table2 = pd.DataFrame({"term": coef.index, "coefficient": coef.to_numpy()})
    table2 = table2[(table2["coefficient"] != 0) | (table2["term"] == "(Intercept)")].reset_index(
        drop=True
    )
    tables["table2_coefficients"] = table2
    prob = cv.predict(X[predictors], s=s, type="response")
    acc = accuracy_table(y, prob, opt["threshold"])
    dev = float(cv.fit.dev_ratio[idx])
    summary = pd.DataFrame(
        [
            {
                "measure": "deviance_explained",
                "percent": 100 * dev,
                "published": PUBLISHED["deviance_explained"],
            },
            *(
                {
                    "measure": r["measure"],
                    "percent": r["percent"],
                    "published": PUBLISHED[r["measure"]],
                }
                for _, r in acc.iterrows()
            ),
        ]
    )
    tables["table2_model"] = summary
    tables["table2_accuracy"] = acc
    tables["cv_curve"] = cv.tidy()
    rec = recovery_table(
        getattr(panel, "truth", None), coef, panel.wide(years=[opt["prediction_year"]])
    )
    if rec is not None:
        tables["recovery"] = rec
        planted = rec[rec["planted"] != 0]
        notes.append(
            f"Planted predictors selected with their sign: {int(planted['sign_recovered'].sum())} "
            f"of {len(planted)}; unplanted predictors selected: {int((rec['planted'] == 0).sum())}."
        )

    # 4. groups A and B (Table 3)
    step(3, "groups A and B")
    first = first_predicted_year(panel, cv, s, predictors, opt["group_years"], opt["threshold"])
    rated = panel.las.set_index("la_code")[opt["outcome"]]
    first["rated_inadequate"] = first["la_code"].map(rated).fillna(False).astype(bool)
    first["group"] = np.where(first["rated_inadequate"], "B", "A")
    tables["groups"] = first
    n_a, n_b = int((first["group"] == "A").sum()), int((first["group"] == "B").sum())
    change_long, at_y = group_changes(panel, first, TABLE3_INDICATORS)
    tables["table3_long"] = change_long
    tables["table3"] = _table3_wide(change_long, n_a, n_b)
    tables["groups_levels_at_y"] = group_levels(at_y, GROUP_LEVEL_INDICATORS)
    notes.append(
        f"Group A (predicted, not rated inadequate): {n_a} LAs; group B (predicted and rated "
        f"inadequate): {n_b} LAs (paper: 16 and 12). 'Rated inadequate' is {opt['outcome']!r}."
    )

    step(4, "published vs reproduced")
    tables["published_vs_reproduced"] = published_vs_reproduced(
        STUDY, reproduce_published(panel, tables, {**opt, "predictors": predictors}, (n_a, n_b)))
    if getattr(panel, "truth", None) is not None:
        notes.append("Synthetic data: the numbers are not the paper's and are not expected to "
                     "match it; published_vs_reproduced still sets them side by side.")

    if with_r:
        step(5, "the same in R")
        from replication.rbridge import RError, RNotAvailable, r_available  # noqa: PLC0415

        if not r_available():
            notes.append("Python vs R not compared: R is not installed.")
        else:
            try:
                tables["python_vs_r"] = python_vs_r(X[predictors], y, cv, s, prob, tables,
                                                    wide, opt, opt["threshold"])
            except RNotAvailable as exc:
                notes.append(f"Python vs R not compared: {exc}")
            except RError as exc:
                notes.append(f"Python vs R not compared: R stopped with an error: {exc}")
            else:
                vr = tables["python_vs_r"]
                notes.append(
                    f"Python vs R (glmnet, cv.glmnet from seed {opt['seed']} with the "
                    f"{opt['sample_kind']} sampler, cor.test): {int(vr['within'].sum())} of "
                    f"{len(vr)} numbers within tolerance; largest relative difference "
                    f"{vr['difference'].max():.2g}. Vectors (paths, CV curve, predictions) are "
                    f"compared element by element relative to at least {SCALE_FLOOR:g} of the "
                    "vector's largest magnitude, and their worst element is shown.")

    step(total - 1, "figures")
    figs = (
        {"figure2": figure_trends(trends, quality), "figure3": figure_correlations(fig3)}
        if figures
        else {}
    )
    step(total, "done")
    options_out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in opt.items()}
    options_out["predictors"] = predictors
    options_out["lambda"] = s
    options_out["folds"] = "given by seed " + str(opt["seed"]) + f" ({opt['sample_kind']} sampler)"
    return StudyResult(
        study=STUDY,
        data_label=str(getattr(panel, "label", "panel")),
        tables=tables,
        figures=figs,
        options=options_out,
        notes=notes,
        defaults=DEFAULT_OPTIONS,
        option_docs=OPTION_DOCS, given=tuple(options),
        exclusions=combine_exclusions(panel_exclusions(panel), excluded),
    )
