"""Interrupted time series by multilevel segmented Poisson regression, in event time.

Written here (no library builds this design); every fit is
:func:`models.glmm.glmer_poisson` (lme4's ``glmer(family = poisson)``) and the
fixed-effects robustness check wraps linearmodels' ``PanelOLS``.

The design (:func:`segmented_design`), with event time ``t = year - Y0`` for an LA first
inspected in year ``Y0``:

* ``time  = t``           annual trend before inspection (continued as the reference after);
* ``step0 = [t >= 0]``    step at the year of inspection;
* ``step1 = [t >= 1]``    step in the year after inspection;
* ``post  = t [t >= 0]``  change of the annual trend from the year of inspection on
  (``(year - Y0) [year >= Y0]``, as Bernal et al. 2017 and the synthetic panel's truth).

The four-stage model of the paper is ``time + step0 + step1 + post``; counting the
post-slope from Y+1 instead would re-parametrise it (same fit, same logLik) and only move
``post`` into ``step1``.

Two readings of the four stages (:func:`percent_change`, ``scale=``):

* ``"stage"`` (default; the paper's Table 2 and Figures 2-4): the year-on-year change in
  each stage -- pre-inspection annual change (Y-2 to Y-1), the change into the year of
  inspection (Y-1 to Y0), the change into the year after (Y0 to Y+1) and the annual change
  after (Y+1 to Y+2). The paper "converted [the estimates] into changes year-on-year" and
  reads a post trend as "the same direction but less steep" than the pre trend, so its
  stages are these absolute changes; they are linear combinations of the coefficients
  (``time``, ``time + step0``, ``time + step1 + post``, ``time + post``), each the
  difference x(t) - x(t - 1) of the design rows.
* ``"term"``: each coefficient alone (segmented regression as Bernal et al. 2017: the steps
  relative to the continued trend, and the change of slope).

Outcomes (METHODS section 2): a rate per 10,000 is the count with offset log(child
population); a percentage is the numerator with offset log(denominator); money and FTEs are
a Poisson pseudo-likelihood on the amount with offset log(population), labelled as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from models._result import TidyResult, make_glance, make_tidy

DESIGN_TERMS: tuple[str, ...] = ("time", "step0", "step1", "post")
"""The segmented-design columns that impact models draw their fixed effects from."""

IMPACT_MODELS: dict[str, str] = {
    "level_shift": "time + step0",
    "slope_change": "time + post",
    "slope_one_step": "time + step0 + post",
    "two_steps": "time + step0 + step1",
    "slope_two_steps": "time + step0 + step1 + post",
}
"""The family of impact models, each a fixed-effects right-hand side over the design.

``level_shift``: a common trend and a step at Y0. ``slope_change``: the trend changes from
Y0, no step. ``slope_one_step``: a step at Y0 and a post-inspection slope change.
``two_steps``: steps at Y0 and Y+1 on a common trend (no post-slope change).
``slope_two_steps``: the paper's model -- steps at Y0 and Y+1 plus the post-slope change
(four stages). Every model has a random intercept per LA (and optionally a random slope of
``time``)."""

STAGES: tuple[str, ...] = ("pre_annual", "step_y0", "step_y1", "post_annual")
"""The four stages of the paper, in order (Table 2's columns)."""

_STAGE_STEP: dict[str, int] = {"pre_annual": -1, "step_y0": 0, "step_y1": 1, "post_annual": 2}
"""Each stage's year-on-year change is x(t) - x(t - 1) at this event year t."""

_STAGE_TERM: dict[str, str] = dict(zip(STAGES, DESIGN_TERMS, strict=True))

OUTCOME_KINDS: tuple[str, ...] = ("rate_per_10000", "percentage", "money", "fte", "count",
                                   "amount")
"""How :func:`its_fit` treats the outcome; ``amount`` is any other non-count level (days, a
score), modelled like money by Poisson pseudo-likelihood, with an offset only if given."""

PSEUDO_KINDS: frozenset[str] = frozenset({"money", "fte", "amount"})

LIKELIHOOD_ML = "Poisson maximum likelihood"
LIKELIHOOD_PSEUDO = "Poisson pseudo-likelihood on the amount (model-based SEs)"
LIKELIHOOD_PSEUDO_PEARSON = "Poisson pseudo-likelihood on the amount (Pearson-scaled SEs)"
LIKELIHOOD_PSEUDO_ROBUST = "Poisson pseudo-likelihood on the amount (LA-clustered robust SEs)"

SE_SCALES = ("model", "pearson", "robust")
"""``se_scale`` of :func:`its_fit`: "model" (lme4's vcov, the paper's mepoisson SEs);
"pearson" (that vcov times the Pearson dispersion, as a quasi-Poisson GLM scales it);
"robust" (the sandwich clustered by LA, in the manner of Stata's ``mepoisson, vce(robust)``:
see :func:`cluster_robust_vcov`)."""

# --------------------------------------------------------------------------- design


def _need_columns(df: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: column(s) {missing} not found; have {list(df.columns)}")


def event_design_matrix(event_time: Sequence[float] | np.ndarray) -> pd.DataFrame:
    """The segmented design columns (``time, step0, step1, post``) at given event times."""
    return pd.DataFrame(_design_arrays(np.asarray(event_time, dtype=float)))


def _design_arrays(t: np.ndarray) -> dict[str, np.ndarray]:
    return {"time": t, "step0": (t >= 0).astype(float), "step1": (t >= 1).astype(float),
            "post": t * (t >= 0)}


def segmented_design(
    panel_df: pd.DataFrame,
    la: str = "la_code",
    year: str = "year",
    inspection_year: str = "inspection_year",
    window: tuple[int, int] | None = (-3, 3),
) -> pd.DataFrame:
    """Add the segmented ITS design in event time to an LA-by-year frame.

    Returns a copy with ``event_time = year - inspection_year`` and the columns of
    :data:`DESIGN_TERMS` (see the module docstring), restricted to event years within
    ``window`` (inclusive; ``None`` keeps every year). Rows are sorted by LA and year.

    Errors name the column and the LA: a missing column, an LA with no or a non-integer
    inspection year, an inspection year that differs between an LA's rows, a non-integer
    year, or a repeated (LA, year).
    """
    _need_columns(panel_df, (la, year, inspection_year), "segmented_design")
    if window is not None and window[0] > window[1]:
        raise ValueError(f"window must be (low, high) with low <= high, got {window}")
    codes = panel_df[la].to_numpy()
    y0 = pd.to_numeric(panel_df[inspection_year], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(y0) | (y0 != np.round(y0))
    if bad.any():
        raise ValueError(
            f"column {inspection_year!r} is missing or not a whole year for LA(s) "
            f"{sorted(pd.unique(codes[bad]).tolist())[:10]}; exclude them (and report it) "
            "before building the design"
        )
    yr = pd.to_numeric(panel_df[year], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(yr) | (yr != np.round(yr))
    if bad.any():
        raise ValueError(f"column {year!r} must hold whole years; bad rows:\n"
                         f"{panel_df.loc[bad, [la, year]].head(5)}")
    la_id, la_levels = pd.factorize(codes, sort=True)
    y0_min = np.full(len(la_levels), np.inf)
    y0_max = np.full(len(la_levels), -np.inf)
    np.minimum.at(y0_min, la_id, y0)
    np.maximum.at(y0_max, la_id, y0)
    if (y0_min != y0_max).any():
        raise ValueError(f"column {inspection_year!r} differs between rows of LA(s) "
                         f"{la_levels[y0_min != y0_max].tolist()[:10]}")
    order = np.lexsort((yr, la_id))
    key_la, key_yr = la_id[order], yr[order]
    dup = (key_la[1:] == key_la[:-1]) & (key_yr[1:] == key_yr[:-1])
    if dup.any():
        k = order[1:][dup]
        raise ValueError(f"repeated ({la}, {year}) rows, e.g.\n"
                         f"{panel_df.iloc[k][[la, year]].drop_duplicates().head(5)}")
    t = (yr - y0)[order]
    if window is not None:
        keep = (t >= window[0]) & (t <= window[1])
        order, t = order[keep], t[keep]
    df = panel_df.iloc[order].reset_index(drop=True)
    df["event_time"] = t.astype(np.int64)
    for name, col in _design_arrays(t).items():
        df[name] = col
    return df


# --------------------------------------------------------------------------- fits


def _glmer_poisson():
    """lme4's glmer(family = poisson) as written in :mod:`models.glmm` (imported on use)."""
    from models.glmm import glmer_poisson

    return glmer_poisson


def _rhs_terms(rhs: str) -> tuple[str, ...]:
    terms = tuple(t.strip() for t in rhs.split("+") if t.strip())
    unknown = [t for t in terms if t not in DESIGN_TERMS]
    if unknown:
        raise ValueError(f"impact model terms {unknown} are not design columns {DESIGN_TERMS}")
    return terms


def _resolve_model(model: str) -> tuple[str, tuple[str, ...]]:
    if model in IMPACT_MODELS:
        return model, _rhs_terms(IMPACT_MODELS[model])
    if "+" in model or model in DESIGN_TERMS:
        return model, _rhs_terms(model)
    raise KeyError(f"unknown impact model {model!r}; choose from {list(IMPACT_MODELS)} "
                   "or give a right-hand side over the design columns")


@dataclass(frozen=True)
class ITSFit(TidyResult):
    """One segmented multilevel Poisson fit: the GLMM result plus what the ITS needs.

    ``glmm`` is the :func:`models.glmm.glmer_poisson` result; ``excluded`` lists the LA-year
    rows left out of the fit (missing outcome or exposure) with the reason.
    """

    model: str
    terms: tuple[str, ...]
    formula: str
    outcome: str
    outcome_kind: str
    likelihood: str
    nagq: int
    random_slope: bool
    overdispersion: bool
    window: tuple[int, int] | None
    glmm: Any
    n_la: int
    excluded: pd.DataFrame = field(repr=False)
    event_times: tuple[int, ...] = ()
    """The event years present in the fitted rows (which stages the data identify)."""
    se_scale: str = "model"
    dispersion: float = float("nan")
    """Pearson dispersion sum((y - mu)^2 / mu) / (n - p - k), mu the conditional means, p the
    fixed effects, k the variance parameters: 1 for Poisson data, the factor by which
    ``se_scale="pearson"`` multiplies the covariance."""
    robust_vcov: pd.DataFrame | None = field(default=None, repr=False)
    """The LA-clustered sandwich of the fixed effects (:func:`cluster_robust_vcov`)."""

    @property
    def fixef(self) -> pd.Series:
        return self.glmm.fixef

    @property
    def vcov(self) -> pd.DataFrame:
        """lme4's vcov; times :attr:`dispersion` when ``se_scale="pearson"``; the LA-clustered
        sandwich when ``se_scale="robust"``."""
        v = pd.DataFrame(self.glmm.vcov, dtype=float)
        if self.se_scale == "pearson":
            return v * self.dispersion
        if self.se_scale == "robust" and self.robust_vcov is not None:
            return self.robust_vcov.copy()
        return v

    @property
    def loglik(self) -> float:
        return float(self.glmm.loglik)

    @property
    def aic(self) -> float:
        return float(self.glmm.aic)

    @property
    def bic(self) -> float:
        return float(self.glmm.bic)

    @property
    def nobs(self) -> int:
        return int(self.glmm.nobs)

    @property
    def converged(self) -> bool:
        return bool(self.glmm.converged)

    @property
    def n_params(self) -> int:
        """Number of estimated parameters (fixed effects and variance components), from AIC."""
        return int(round((self.aic + 2.0 * self.loglik) / 2.0))

    def percent_change(self, scale: str = "stage", level: float = 0.95) -> pd.DataFrame:
        return percent_change(self, scale=scale, level=level)

    def trajectory(self, years: Iterable[int] = range(-3, 4), level: float = 0.95) -> pd.DataFrame:
        return trajectory(self, years=years, level=level)

    def tidy(self) -> pd.DataFrame:
        """The GLMM's tidy table with the % change (100(exp(b) - 1)) and its CI per term
        (fixed-effect SEs, statistics, p-values and CIs from :attr:`vcov` when ``se_scale``
        is "pearson" or "robust")."""
        tab = self.glmm.tidy().copy()
        if self.se_scale != "model":
            fixed = tab["std_error"].notna() & tab["term"].isin(self.glmm.fixef.index)
            se = np.sqrt(np.diag(self.vcov.loc[tab.loc[fixed, "term"], tab.loc[fixed, "term"]]))
            z = tab.loc[fixed, "estimate"] / se
            q = stats.norm.ppf(0.975)
            tab.loc[fixed, "std_error"] = se
            tab.loc[fixed, "statistic"] = z
            tab.loc[fixed, "p_value"] = 2.0 * stats.norm.sf(np.abs(z))
            tab.loc[fixed, "conf_low"] = tab.loc[fixed, "estimate"] - q * se
            tab.loc[fixed, "conf_high"] = tab.loc[fixed, "estimate"] + q * se
        tab["pct_change"] = 100.0 * np.expm1(tab["estimate"])
        tab["pct_low"] = 100.0 * np.expm1(tab["conf_low"])
        tab["pct_high"] = 100.0 * np.expm1(tab["conf_high"])
        return tab

    def glance(self) -> pd.DataFrame:
        g = self.glmm.glance().copy()
        g["model"] = self.model
        g["outcome_kind"] = self.outcome_kind
        g["likelihood"] = self.likelihood
        g["n_la"] = self.n_la
        g["n_excluded"] = len(self.excluded)
        g["dispersion"] = self.dispersion
        g["se_scale"] = self.se_scale
        return g


def _outcome_and_offset(
    df: pd.DataFrame,
    outcome: str,
    outcome_kind: str,
    denominator: str | None,
    la: str,
    year: str,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None, bool, pd.DataFrame]:
    """Check the outcome and exposure columns; return (kept rows, y, offset, pseudo, excluded)."""
    if outcome_kind not in OUTCOME_KINDS:
        raise ValueError(f"outcome_kind must be one of {OUTCOME_KINDS}, got {outcome_kind!r}")
    _need_columns(df, (outcome,), "its_fit outcome")
    pseudo = outcome_kind in PSEUDO_KINDS
    if denominator is None and outcome_kind not in ("count", "amount"):
        what = {"rate_per_10000": "the child population", "percentage": "the denominator",
                "money": "the population", "fte": "the population"}[outcome_kind]
        raise ValueError(f"outcome_kind={outcome_kind!r} needs denominator= ({what}): "
                         "its log is the offset")
    y = pd.to_numeric(df[outcome], errors="coerce").to_numpy(dtype=float)
    reason = np.where(np.isnan(y), f"{outcome} missing", "")
    if denominator is not None:
        _need_columns(df, (denominator,), "its_fit denominator")
        d = pd.to_numeric(df[denominator], errors="coerce").to_numpy(dtype=float)
        reason = np.where((reason == "") & np.isnan(d), f"{denominator} missing", reason)
        ok_d = ~np.isnan(d)
        neg = ok_d & (d < 0)
        if neg.any():
            i = int(np.flatnonzero(neg)[0])
            raise ValueError(f"column {denominator!r} is negative (LA {df[la].iloc[i]}, "
                             f"{year} {df[year].iloc[i]}): the exposure must be positive")
        zero = ok_d & (d == 0)
        if (zero & ~np.isnan(y) & (y > 0)).any():
            i = int(np.flatnonzero(zero & (y > 0))[0])
            raise ValueError(f"column {denominator!r} is 0 where {outcome!r} is positive "
                             f"(LA {df[la].iloc[i]}, {year} {df[year].iloc[i]})")
        reason = np.where((reason == "") & zero, f"{denominator} is 0", reason)
    ok_y = ~np.isnan(y)
    if (ok_y & (y < 0)).any():
        i = int(np.flatnonzero(ok_y & (y < 0))[0])
        raise ValueError(f"column {outcome!r} is negative (LA {df[la].iloc[i]}, "
                         f"{year} {df[year].iloc[i]})")
    if not pseudo:
        frac = ok_y & (np.abs(y - np.round(y)) > 1e-8 * np.maximum(1.0, np.abs(y)))
        if frac.any():
            i = int(np.flatnonzero(frac)[0])
            raise ValueError(
                f"column {outcome!r} is not a whole count (LA {df[la].iloc[i]}, {year} "
                f"{df[year].iloc[i]}: {y[i]}) but outcome_kind={outcome_kind!r} is a Poisson "
                "count; amounts need outcome_kind='money', 'fte' or 'amount' (Poisson "
                "pseudo-likelihood)"
            )
    keep = reason == ""
    excluded = pd.DataFrame({la: df[la].to_numpy()[~keep], year: df[year].to_numpy()[~keep],
                             "reason": reason[~keep]})
    kept = df.loc[keep]
    y = y[keep] if pseudo else np.round(y[keep])
    off = np.log(pd.to_numeric(kept[denominator]).to_numpy(dtype=float)) if denominator else None
    return kept, y, off, pseudo, excluded


def its_fit(
    df: pd.DataFrame,
    outcome: str,
    outcome_kind: str = "rate_per_10000",
    *,
    denominator: str | None = None,
    model: str = "slope_two_steps",
    nagq: int = 7,
    random_slope: bool = False,
    overdispersion: bool = False,
    la: str = "la_code",
    year: str = "year",
    inspection_year: str = "inspection_year",
    window: tuple[int, int] | None = (-3, 3),
    control: Mapping[str, Any] | None = None,
    start: Any = None,
    se_scale: str = "model",
) -> ITSFit:
    """Fit one segmented multilevel Poisson model to an LA-by-year frame.

    ``df`` holds one row per LA and year with ``outcome``, ``denominator`` and the LA's
    ``inspection_year``. The outcome kind sets the likelihood and the offset:

    ==================  =======================  ==========================  ================
    outcome_kind        response                 offset                      likelihood
    ==================  =======================  ==========================  ================
    rate_per_10000      count (``outcome``)      log(child population)       Poisson ML
    percentage          numerator                log(denominator)            Poisson ML
    money, fte          amount                   log(population)             pseudo-likelihood
    count               count                    log(denominator) or none    Poisson ML
    amount              level (days, score)      log(denominator) or none    pseudo-likelihood
    ==================  =======================  ==========================  ================

    The pseudo-likelihood is the Poisson likelihood evaluated at non-integer amounts: the
    point estimates are consistent for a log-linear mean, the SEs are model-based and depend
    on the unit of the amount (stated in ``likelihood``).
    Rows with a missing outcome or exposure (or a zero exposure with a zero outcome) are
    left out and listed in ``excluded``. Random intercept per LA always;
    ``random_slope=True`` adds a correlated random slope of ``time`` (fitted by Laplace, as
    lme4 does for vector random effects). ``overdispersion=True`` adds an observation-level
    random intercept ``(1 | obs)`` (a Poisson-lognormal model for counts more variable than
    Poisson; not in the paper; Laplace, as lme4 for several terms). ``nagq`` is lme4's nAGQ
    (7 = Stata mepoisson's default, which the paper used). ``control`` and ``start`` (theta
    values, as lme4's ``start``) are passed to ``glmer_poisson``. ``se_scale="pearson"``
    multiplies the fixed effects' covariance by the Pearson dispersion (:attr:`ITSFit.dispersion`;
    not in the paper): SEs that do not depend on the unit of a pseudo-likelihood amount, and
    that widen for counts more variable than Poisson, at no extra fitting cost;
    ``se_scale="robust"`` uses the LA-clustered sandwich (:func:`cluster_robust_vcov`).
    """
    if se_scale not in SE_SCALES:
        raise ValueError(f"se_scale must be one of {SE_SCALES}, got {se_scale!r}")
    name, terms = _resolve_model(model)
    design = segmented_design(df, la=la, year=year, inspection_year=inspection_year,
                              window=window)
    kept, y, off, pseudo, excluded = _outcome_and_offset(design, outcome, outcome_kind,
                                                         denominator, la, year)
    if len(kept) == 0:
        raise ValueError(f"no rows left to fit for {outcome!r} (all excluded)")
    data = pd.DataFrame({"y": y, "la": kept[la].to_numpy()})
    for term in DESIGN_TERMS:
        data[term] = kept[term].to_numpy()
    re = "(1 + time | la)" if random_slope else "(1 | la)"
    if overdispersion:
        data["obs"] = np.arange(len(data))
        re += " + (1 | obs)"
    formula = f"y ~ {' + '.join(terms)} + {re}"
    glmm_nagq = 1 if (random_slope or overdispersion) else nagq
    res = _glmer_poisson()(formula, data, offset=off, nagq=glmm_nagq, control=control,
                           start=start, pseudo_likelihood=pseudo)
    return ITSFit(
        model=name,
        terms=terms,
        formula=formula,
        outcome=outcome,
        outcome_kind=outcome_kind,
        likelihood=(LIKELIHOOD_ML if not pseudo else {
            "pearson": LIKELIHOOD_PSEUDO_PEARSON, "robust": LIKELIHOOD_PSEUDO_ROBUST}.get(
                se_scale, LIKELIHOOD_PSEUDO)),
        se_scale=se_scale,
        robust_vcov=(cluster_robust_vcov(res, data, y) if se_scale == "robust" else None),
        dispersion=pearson_dispersion(y, np.asarray(res.fitted_values, dtype=float),
                                      len(res.fixef) + len(np.atleast_1d(res.theta))),
        nagq=glmm_nagq,
        random_slope=random_slope,
        overdispersion=overdispersion,
        window=window,
        glmm=res,
        n_la=int(data["la"].nunique()),
        excluded=excluded,
        event_times=tuple(int(t) for t in np.unique(kept["event_time"])),
    )


def fit_strata(
    df: pd.DataFrame,
    outcome: str,
    outcome_kind: str = "rate_per_10000",
    *,
    by: str = "judgement",
    include_all: bool = True,
    **kwargs: Any,
) -> dict[str, ITSFit]:
    """:func:`its_fit` for all LAs (key ``"all"``) and for each level of ``by``."""
    _need_columns(df, (by,), "fit_strata")
    fits: dict[str, ITSFit] = {}
    if include_all:
        fits["all"] = its_fit(df, outcome, outcome_kind, **kwargs)
    for level, sub in df.groupby(by, sort=True, observed=True):
        fits[str(level)] = its_fit(sub, outcome, outcome_kind, **kwargs)
    return fits


# --------------------------------------------------------------------------- comparison


def compare_models(fits: Mapping[str, ITSFit], criterion: str = "aic") -> pd.DataFrame:
    """AIC/BIC table of impact models fitted to the same rows.

    Columns: model, k (parameters, fixed and variance), loglik, aic, bic, delta_aic,
    delta_bic (from the smallest), chosen (the smallest ``criterion``: "aic" or "bic"),
    then formula, nobs, converged. The paper chose the model lowest on both.
    """
    if criterion not in ("aic", "bic"):
        raise ValueError(f"criterion must be 'aic' or 'bic', got {criterion!r}")
    if not fits:
        raise ValueError("compare_models needs at least one fit")
    nobs = {f.nobs for f in fits.values()}
    if len(nobs) > 1:
        raise ValueError(f"impact models fitted to different numbers of rows {sorted(nobs)}: "
                         "AIC/BIC are not comparable")
    rows = [
        {"model": name, "k": f.n_params, "loglik": f.loglik, "aic": f.aic, "bic": f.bic,
         "formula": f.formula, "nobs": f.nobs, "converged": f.converged}
        for name, f in fits.items()
    ]
    tab = pd.DataFrame(rows)
    tab["delta_aic"] = tab["aic"] - tab["aic"].min()
    tab["delta_bic"] = tab["bic"] - tab["bic"].min()
    tab["chosen"] = False
    tab.loc[int(np.argmin(tab[criterion].to_numpy())), "chosen"] = True
    cols = ["model", "k", "loglik", "aic", "bic", "delta_aic", "delta_bic", "chosen",
            "formula", "nobs", "converged"]
    return tab[cols]


def fit_impact_models(
    df: pd.DataFrame,
    outcome: str,
    offset: str | None = None,
    nagq: int = 7,
    random_slope: bool = False,
    *,
    outcome_kind: str = "rate_per_10000",
    models: Sequence[str] | None = None,
    criterion: str = "aic",
    return_fits: bool = False,
    **kwargs: Any,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, ITSFit]]:
    """Fit every impact model of :data:`IMPACT_MODELS` and compare them (:func:`compare_models`).

    ``offset`` names the exposure column (its log is the offset, see :func:`its_fit`).
    ``return_fits=True`` also returns the fits by model name.
    """
    names = list(models) if models is not None else list(IMPACT_MODELS)
    fits = {
        m: its_fit(df, outcome, outcome_kind, denominator=offset, model=m, nagq=nagq,
                   random_slope=random_slope, **kwargs)
        for m in names
    }
    table = compare_models(fits, criterion=criterion)
    return (table, fits) if return_fits else table


# --------------------------------------------------------------------------- reporting


def cluster_robust_vcov(glmm: Any, data: pd.DataFrame, y: np.ndarray,
                        group: str = "la") -> pd.DataFrame:
    """The fixed effects' sandwich covariance clustered by ``group``:
    ``V (sum_i s_i s_i') V * G / (G - 1)``, with V lme4's vcov (the bread), s_i = X_i'(y_i -
    mu_i) the score of group i at the conditional modes (mu the conditional means: the
    Laplace approximation of the group's marginal score) and G the number of groups. Valid
    whatever the variance of the counts within a group (overdispersion, correlation over
    years), as Stata's ``mepoisson, vce(robust)``; the fit itself is unchanged."""
    names = list(glmm.fixef.index)
    X = np.column_stack([np.ones(len(data)) if n == "(Intercept)" else
                         data[n].to_numpy(dtype=float) for n in names])
    r = np.asarray(y, dtype=float) - np.asarray(glmm.fitted_values, dtype=float)
    codes, groups = pd.factorize(data[group])
    scores = np.zeros((len(groups), len(names)))
    np.add.at(scores, codes, X * r[:, None])
    G = len(groups)
    meat = scores.T @ scores * (G / (G - 1.0) if G > 1 else np.nan)
    V = pd.DataFrame(glmm.vcov, dtype=float).loc[names, names].to_numpy()
    return pd.DataFrame(V @ meat @ V, index=names, columns=names)


def pearson_dispersion(y: np.ndarray, mu: np.ndarray, n_params: int) -> float:
    """sum((y - mu)^2 / mu) / (n - n_params): the Pearson dispersion of a Poisson fit (as
    R's summary.glm estimates it for family=quasipoisson), NaN without residual df."""
    y, mu = np.asarray(y, dtype=float), np.asarray(mu, dtype=float)
    df = y.size - int(n_params)
    if df <= 0:
        return float("nan")
    return float(np.sum((y - mu) ** 2 / mu) / df)


def _coef_vcov(fit: Any) -> tuple[list[str], pd.Series, pd.DataFrame]:
    """The model's design terms, and its fixed effects and their covariance over
    ``(Intercept)`` and those terms; a term the GLMM dropped as aliased (rank-deficient design,
    as lme4) is 0 with variance 0, which gives the same value to every estimable c'b."""
    glmm = fit.glmm if isinstance(fit, ITSFit) else fit
    fixef = pd.Series(glmm.fixef, dtype=float)
    terms = list(fit.terms) if isinstance(fit, ITSFit) else [t for t in DESIGN_TERMS
                                                              if t in fixef.index]
    names = ["(Intercept)", *terms]
    b = fixef.reindex(names, fill_value=0.0)
    v = pd.DataFrame(fit.vcov if isinstance(fit, ITSFit) else glmm.vcov,
                     dtype=float).reindex(index=names, columns=names, fill_value=0.0)
    return terms, b, v


def _estimable(fit: Any, terms: list[str], rows: pd.DataFrame) -> np.ndarray:
    """Whether each contrast c (over ``terms``) is identified by the fitted rows: c lies in the
    span of the design rows [1, x(t)] of the event years observed. Without that information
    (a bare GLMM result) every contrast is taken as identified."""
    times = getattr(fit, "event_times", ())
    if not len(times):
        return np.ones(len(rows), dtype=bool)
    X = event_design_matrix(list(times))[terms].to_numpy(dtype=float)
    X = np.column_stack([np.ones(len(X)), X])
    C = np.column_stack([np.zeros(len(rows)), rows[terms].to_numpy(dtype=float)])
    a, *_ = np.linalg.lstsq(X.T, C.T, rcond=None)
    resid = np.abs(C.T - X.T @ a).max(axis=0)
    return resid <= 1e-8 * np.maximum(1.0, np.abs(C).max(axis=1))


def _linear_combinations(b: pd.Series, v: pd.DataFrame, rows: pd.DataFrame, level: float):
    """Estimate, SE and Wald CI of c'b for each row c (columns named as terms of b)."""
    c = rows.reindex(columns=b.index, fill_value=0.0).to_numpy(dtype=float)
    est = c @ b.to_numpy()
    var = np.einsum("ij,jk,ik->i", c, v.to_numpy(), c)
    se = np.sqrt(np.maximum(var, 0.0))
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    return est, se, est - z * se, est + z * se


def stage_contrasts(terms: Iterable[str] = DESIGN_TERMS, scale: str = "stage") -> pd.DataFrame:
    """The contrast vectors c (one row per stage, one column per design term) behind each stage.

    ``scale="stage"``: x(t) - x(t - 1) at t = -1, 0, 1, 2 (the year-on-year change in each
    stage); ``scale="term"``: the unit vector of the stage's own term.
    """
    terms = tuple(terms)
    if scale == "stage":
        t = np.array([_STAGE_STEP[s] for s in STAGES], dtype=float)
        diff = event_design_matrix(t) - event_design_matrix(t - 1.0)
        rows = diff[list(DESIGN_TERMS)]
    elif scale == "term":
        rows = pd.DataFrame(np.eye(len(DESIGN_TERMS)), columns=list(DESIGN_TERMS))
    else:
        raise ValueError(f"scale must be 'stage' or 'term', got {scale!r}")
    rows = rows.reindex(columns=list(terms), fill_value=0.0)
    rows.index = list(STAGES)
    return rows


def percent_change(fit: Any, scale: str = "stage", level: float = 0.95) -> pd.DataFrame:
    """% change = 100(exp(b) - 1) with its Wald CI, for the four stages of the paper.

    ``b`` is a linear combination c'b of the fixed effects (:func:`stage_contrasts`): with
    ``scale="stage"`` the year-on-year change within each stage (the paper's reading), with
    ``scale="term"`` the stage's own coefficient. SE = sqrt(c'Vc) with V the fixed effects'
    covariance (lme4's ``vcov``); CI = 100(exp(c'b -/+ z SE) - 1), z the normal quantile
    (1.959964 for 95%). NaN where the stage is not in the model (its combination is zero)
    or the fitted rows do not identify it (e.g. no pre-inspection years in the data).
    Columns: stage, term, log_estimate, std_error, statistic, p_value, pct_change,
    conf_low, conf_high.
    """
    terms, b, v = _coef_vcov(fit)
    rows = stage_contrasts(terms, scale=scale)
    est, se, lo, hi = _linear_combinations(b, v, rows, level)
    present = (rows.abs().sum(axis=1).to_numpy() > 0) & _estimable(fit, terms, rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        zstat = np.where(se > 0, est / se, np.nan)
    out = pd.DataFrame({
        "stage": list(STAGES),
        "term": [_STAGE_TERM[s] for s in STAGES],
        "log_estimate": est,
        "std_error": se,
        "statistic": zstat,
        "p_value": 2.0 * stats.norm.sf(np.abs(zstat)),
        "pct_change": 100.0 * np.expm1(est),
        "conf_low": 100.0 * np.expm1(lo),
        "conf_high": 100.0 * np.expm1(hi),
    })
    out.loc[~present, ["log_estimate", "std_error", "statistic", "p_value", "pct_change",
                       "conf_low", "conf_high"]] = np.nan
    return out


def trajectory(fit: Any, years: Iterable[int] = range(-3, 4), level: float = 0.95) -> pd.DataFrame:
    """The modelled trajectory over event years, first year = 100%, with delta-method CIs.

    For event year t and baseline t0 (the first of ``years``, Y-3 by default) the fixed-effect
    linear predictors differ by c'b with c = x(t) - x(t0) (design rows of :func:`segmented_design`;
    the intercept and the LA's random effect cancel when it has no random slope, and the
    trajectory is that of an LA with a zero random slope otherwise). The trajectory is
    100 exp(c'b); var(c'b) = c'Vc, so the CI is 100 exp(c'b -/+ z sqrt(c'Vc)) (z = 1.959964
    for 95%): the delta method on the log scale, exact for the linear predictor and
    transformed by exp. A year whose contrast the fitted rows do not identify is NaN.
    Columns: event_year, log_estimate, std_error, percent, conf_low, conf_high.
    """
    years = np.asarray(list(years), dtype=float)
    if len(years) == 0:
        raise ValueError("trajectory needs at least one year")
    terms, b, v = _coef_vcov(fit)
    rows = (event_design_matrix(years) - event_design_matrix(np.full_like(years, years[0])))
    rows = rows[terms]
    est, se, lo, hi = _linear_combinations(b, v, rows, level)
    bad = ~_estimable(fit, terms, rows)
    est, se, lo, hi = (np.where(bad, np.nan, a) for a in (est, se, lo, hi))
    return pd.DataFrame({
        "event_year": years.astype(int),
        "log_estimate": est,
        "std_error": se,
        "percent": 100.0 * np.exp(est),
        "conf_low": 100.0 * np.exp(lo),
        "conf_high": 100.0 * np.exp(hi),
    })


# --------------------------------------------------------------------------- robustness


@dataclass(frozen=True)
class FixedEffectsCheck(TidyResult):
    """PanelOLS robustness check: log rate on the stage terms with LA and year effects."""

    table: pd.DataFrame
    nobs: int
    n_la: int
    df_resid: int
    r2_within: float
    excluded: pd.DataFrame = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        return self.table

    def glance(self) -> pd.DataFrame:
        return make_glance(nobs=self.nobs, n_la=self.n_la, df_resid=self.df_resid,
                           r2_within=self.r2_within, n_excluded=len(self.excluded))


def fixed_effects_check(
    df: pd.DataFrame,
    outcome: str,
    denominator: str | None = None,
    *,
    terms: Sequence[str] = ("step0", "step1", "post"),
    la: str = "la_code",
    year: str = "year",
    inspection_year: str = "inspection_year",
    window: tuple[int, int] | None = (-3, 3),
    level: float = 0.95,
) -> FixedEffectsCheck:
    """Robustness check ``"fixed_effects"``: two-way fixed-effects regression of log rates.

    Wraps linearmodels ``PanelOLS(entity_effects=True, time_effects=True)`` with SEs
    clustered by LA, set explicitly: ``debiased=True`` with the LA and year effects counted,
    so the cluster covariance is scaled by n / (n - k - d) (k stage terms, d effects) and
    p-values and CIs use the t distribution with n - k - d degrees of freedom. The
    response is log(outcome / denominator) (log(outcome) without a denominator); rows
    with a missing or non-positive rate are left out and listed. The linear ``time`` term
    is not identified beside LA and year effects (event time = year - inspection year), so
    only the step and slope-change terms are estimated, against the common calendar trend.
    Extra columns pct_change, pct_low, pct_high = 100(exp(.) - 1).
    """
    from linearmodels.panel import PanelOLS

    terms = list(terms)
    if "time" in terms:
        raise ValueError("'time' is collinear with LA and year effects; leave it out of terms")
    _resolve_model(" + ".join(terms))
    design = segmented_design(df, la=la, year=year, inspection_year=inspection_year,
                              window=window)
    _need_columns(design, [outcome] + ([denominator] if denominator else []),
                  "fixed_effects_check")
    y = pd.to_numeric(design[outcome], errors="coerce").to_numpy(dtype=float)
    if denominator:
        y = y / pd.to_numeric(design[denominator], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(y) & (y > 0)
    excluded = pd.DataFrame({la: design[la].to_numpy()[~keep],
                             year: design[year].to_numpy()[~keep],
                             "reason": "rate missing or not positive (log undefined)"})
    d = design.loc[keep].copy()
    d["log_rate"] = np.log(y[keep])
    d = d.set_index([la, year])
    mod = PanelOLS(d["log_rate"], d[terms], entity_effects=True, time_effects=True)
    res = mod.fit(cov_type="clustered", cluster_entity=True, debiased=True, auto_df=True,
                  count_effects=True)
    ci = res.conf_int(level=level)
    tab = make_tidy(
        pd.DataFrame({
            "term": terms,
            "estimate": res.params[terms].to_numpy(),
            "std_error": res.std_errors[terms].to_numpy(),
            "statistic": res.tstats[terms].to_numpy(),
            "p_value": res.pvalues[terms].to_numpy(),
            "conf_low": ci.loc[terms, "lower"].to_numpy(),
            "conf_high": ci.loc[terms, "upper"].to_numpy(),
        })
    )
    tab["pct_change"] = 100.0 * np.expm1(tab["estimate"])
    tab["pct_low"] = 100.0 * np.expm1(tab["conf_low"])
    tab["pct_high"] = 100.0 * np.expm1(tab["conf_high"])
    return FixedEffectsCheck(table=tab, nobs=int(res.nobs), n_la=int(res.entity_info["total"]),
                             df_resid=int(res.df_resid), r2_within=float(res.rsquared_within),
                             excluded=excluded)
