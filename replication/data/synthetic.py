"""A seeded synthetic panel with the real data's shape and planted, known effects.

Written here (numpy only, one ``Generator(PCG64(seed))``, no global state): the same seed and
arguments give a bit-identical panel. Calibrated to the summaries in
:mod:`replication.data.calibration` (medians, spreads, trends and a Spearman matrix of the
real LA-level files); the planted effects are returned in :class:`SyntheticTruth`.

The model, for LA i (judgement g), indicator k and panel year t, with event time
``e = t - inspection_year_i`` (so ``e = 0`` is the year of the first SIF inspection)::

    eta = b0 + u_ik + b_pre*e + b_step0*[e >= 0] + b_step1*[e >= 1] + b_post*e*[e >= 0]

``b_pre, b_step0, b_step1, b_post`` depend on (k, g); ``b_post`` is the *change* in annual
slope after inspection (the post-inspection slope is ``b_pre + b_post``). The LA effects
``u_ik = sigma_k * w_ik`` with ``w_i`` multivariate normal (unit variances; correlations from
the real Spearman matrix, together with deprivation). ``eta`` is on the scale of the
indicator's link:

- rate_per_10000 (count): ``count ~ Poisson(pop * exp(eta) * G)``: log E[count | u] =
  log(pop) + eta exactly (G ~ Gamma with mean 1 and variance ``phi``: negative-binomial).
- percentage, log link: ``num ~ Binomial(den, min(exp(eta) * G, P_MAX))``: log E[num | u, den]
  = log(den) + eta wherever the cap does not bind (``truth.capped`` counts where it did).
- percentage, logit link (shares near 100% or very spread): ``num ~ Binomial(den,
  expit(eta + eps))``, ``eps ~ N(0, noise_sd^2)`` (an observation-level effect).
- FTE percentages: the same on FTE (rounded to 0.1); fte, money and days/score levels:
  ``amount = offset * exp(eta) * G``, rounded (offset = child population for fte and money,
  none for caseload and days).

With ``noise="poisson"`` there is no G or eps: counts are Poisson or binomial given eta, and
amounts and levels are exactly ``offset * exp(eta)`` rounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from numpy.random import PCG64, Generator
from scipy.special import expit, logit
from scipy.stats import norm

from . import calibration as cal
from .panel import DEFAULT_EXCLUDED_LAS, ILACS_JUDGEMENTS, INDICATORS, JUDGEMENTS, Panel

P_MAX = 0.98
NOISES = ("negbin", "poisson")
INADEQUATE_YEAR = 2012
SMALL_LAS = (201, 420)
FIRST_SIF_DATE = pd.Timestamp("2013-11-18")

# ---- how each indicator is generated ----------------------------------------------------


@dataclass(frozen=True)
class _Recipe:
    kind: str          # rate | pct | fte | fte_pct | fte_share | amount | level
    link: str          # log | logit
    profile: str       # key of ITS_PROFILES
    base: str = ""     # pct: the count it is a share of
    decimals: int = 0  # rounding of non-count numerators
    summary: str = ""  # key in the calibration summaries (default: the indicator's name)


RECIPES: dict[str, _Recipe] = {
    "referrals": _Recipe("rate", "log", "demand"),
    "assessments": _Recipe("rate", "log", "demand"),
    "section47": _Recipe("rate", "log", "cp"),
    "icpc": _Recipe("rate", "log", "cp"),
    "cpp_starts": _Recipe("rate", "log", "cp"),
    "cpp": _Recipe("rate", "log", "cp"),
    "cin_rate": _Recipe("rate", "log", "demand"),
    "cla_rate": _Recipe("rate", "log", "care"),
    "re_referrals": _Recipe("pct", "log", "quality", base="referrals"),
    "referrals_nfa": _Recipe("pct", "logit", "quality", base="referrals"),
    "assessments_within_45_days": _Recipe("pct", "logit", "timeliness", base="assessments"),
    "initial_assessments_within_10_days": _Recipe("pct", "logit", "timeliness",
                                                  base="assessments"),
    "icpc_within_15_days": _Recipe("pct", "logit", "timeliness", base="icpc"),
    "days_to_icpc": _Recipe("level", "log", "quality", decimals=0),
    "cpp_second_or_subsequent": _Recipe("pct", "log", "repeat_cp", base="cpp_starts"),
    "cpp_2_years_plus": _Recipe("pct", "log", "quality", base="_cpp_ended"),
    "cin_2_years_plus": _Recipe("pct", "log", "quality", base="cin_rate"),
    "cla_missing": _Recipe("pct", "log", "quality", base="cla_rate"),
    "social_workers": _Recipe("fte", "log", "staff", decimals=1,
                              summary="social_workers_per_10000"),
    "social_worker_turnover": _Recipe("fte_pct", "log", "turnover", decimals=1),
    "agency_worker_rate": _Recipe("fte_share", "logit", "agency", decimals=1),
    "vacancy_rate": _Recipe("fte_share", "logit", "vacancy", decimals=1),
    "caseload": _Recipe("level", "log", "caseload", decimals=1),
    "spend_per_child": _Recipe("amount", "log", "spend"),
    "spend_safeguarding": _Recipe("amount", "log", "spend_safeguarding"),
    "spend_cla": _Recipe("amount", "log", "spend_cla"),
    "spend_early_help": _Recipe("amount", "log", "spend_early_help"),
}
GENERATED = tuple(RECIPES)

# Planted ITS stage effects (not calibrated): (step0, step1, post) for the three judgements
# (outstanding_good, requires_improvement, inadequate), in the direction Hood & Goldacre
# (2021) report: a spike in activity at inspection, largest after an inadequate judgement,
# and agency/vacancy/spend rises in inadequate LAs. On the link scale.
ITS_PROFILES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "demand": ((0.03, 0.05, 0.10), (-0.03, -0.04, 0.00), (-0.01, -0.02, -0.03)),
    "cp": ((0.05, 0.08, 0.20), (-0.04, -0.06, 0.02), (-0.02, -0.02, -0.04)),
    "care": ((0.00, 0.01, 0.03), (0.00, 0.00, 0.02), (-0.01, -0.01, 0.00)),
    "quality": ((0.00, 0.00, -0.03), (0.00, 0.00, 0.00), (0.00, 0.00, 0.00)),
    "repeat_cp": ((-0.04, -0.05, -0.08), (-0.03, -0.03, -0.05), (0.02, 0.02, 0.03)),
    "timeliness": ((0.05, 0.00, -0.15), (0.05, 0.05, 0.10), (0.00, 0.00, 0.02)),
    "agency": ((-0.10, 0.05, 0.30), (-0.05, 0.02, 0.15), (-0.02, -0.02, -0.05)),
    "vacancy": ((-0.05, 0.05, 0.20), (0.00, 0.00, 0.05), (-0.02, -0.02, -0.04)),
    "turnover": ((0.00, 0.03, 0.15), (0.00, 0.00, 0.05), (0.00, 0.00, -0.03)),
    "staff": ((0.00, 0.02, 0.05), (0.00, 0.01, 0.04), (0.00, 0.00, 0.01)),
    "caseload": ((0.02, 0.03, 0.08), (-0.02, -0.02, -0.05), (0.00, 0.00, -0.01)),
    "spend": ((-0.02, 0.01, 0.06), (-0.01, 0.01, 0.04), (-0.01, 0.00, 0.01)),
    "spend_safeguarding": ((0.03, 0.05, 0.12), (0.00, 0.02, 0.06), (-0.01, 0.00, 0.01)),
    "spend_cla": ((-0.02, -0.03, -0.03), (-0.02, -0.02, -0.02), (0.00, 0.00, 0.00)),
    "spend_early_help": ((0.05, 0.05, 0.05), (-0.05, -0.05, -0.05), (-0.03, -0.03, -0.03)),
}
# Added to the calibrated pre-inspection slope, per judgement (planted).
PRE_SLOPE_SHIFT = {"agency": (-0.02, 0.0, 0.03), "vacancy": (-0.01, 0.0, 0.02)}
# The calibrated national trend, capped so that 2008-2019 stays in a plausible range.
MAX_ABS_TREND = 0.05

# Planted logistic model of inadequate_2012_13 on 2012 values (original units: the value of
# Panel.wide() in 2012). Signs as Hood et al. (2016) Table 2; sizes larger, to be recoverable
# from 150 LAs: each moves the log-odds by about 1 per standard deviation of its predictor
# across LAs (the SDs pooled over seeds 0-11), so that the default run's cv.glmnet selects
# every planted predictor with its sign and predicts some LAs not rated inadequate (group A).
INADEQUATE_COEFFICIENTS = {
    "initial_assessments_within_10_days": -0.082,
    "re_referrals": 0.152,
    "agency_worker_rate": 0.079,
    "section47": 0.0194,
    "vacancy_rate": 0.067,
}
# Intercept: solved on the predictors of seeds 0-11 so that the mean probability over LAs is
# calibration.HOOD2016_INADEQUATE_SHARE (25 of 150).
INADEQUATE_INTERCEPT = -6.04
# Latent SIF judgement score (higher = worse): coefficients on deprivation (standard normal)
# and on the standardised latent risk of the inadequate model; noise standard logistic.
JUDGEMENT_MODEL = {"deprivation": 0.35, "prior_risk": 0.9}
ILACS_MODEL = {"deprivation": 0.8, "sif_score": 0.5}
RANK_SIGN_THRESHOLD = 0.3

REGION_COUNTS = {"North East": 12, "North West": 23, "Yorkshire and The Humber": 15,
                 "East Midlands": 9, "West Midlands": 14, "East of England": 11,
                 "London": 32, "South East": 19, "South West": 15}
SMALL_LA_META = {201: ("City of London", "London"), 420: ("Isles of Scilly", "South West")}
SOURCES = {"rate": "CIN census", "pct": "CIN census", "level": "CIN census",
           "fte": "CSC workforce census", "fte_pct": "CSC workforce census",
           "fte_share": "CSC workforce census", "amount": "s251 outturn"}


@dataclass(frozen=True, eq=False)
class SyntheticTruth:
    """The effects planted in one synthetic panel (all on the indicator's link scale).

    seed, n_la, years     the arguments that made the panel
    noise                 "negbin" or "poisson" (see the module docstring)
    time_centring         how ``e`` is defined (event time; e = 0 is the inspection year)
    its                   one row per (indicator, judgement): link ('log' | 'logit'),
                          offset ('log(child_population)' | 'log(denominator)' | 'none'),
                          b0, b_pre, b_step0, b_step1, b_post, sigma_la (SD of u),
                          noise_sd (SD of the year-level noise: sqrt(phi) of G, or of eps).
                          b0 is eta at e = 0 on the pre-inspection line for u = 0; within a
                          judgement group u is not centred (the judgement depends on
                          deprivation and on u), so a group's fitted intercept estimates
                          b0 + E[u | group]; the stage terms are unaffected.
    inadequate_year       2012: the year of the predictors of inadequate_2012_13
    inadequate_intercept  intercept of logit P(inadequate_2012_13)
    inadequate_coefficients  indicator -> coefficient per unit of its Panel.wide() value
    latent_corr           correlation matrix of (deprivation, w_i) actually used
    rank_corr_signs       (a, b) -> +1/-1 for pairs with |latent corr| >= 0.3
                          ('deprivation' = more deprived)
    deprivation_loading   indicator -> E[u | z] / z (z = standard-normal deprivation)
    spend_tertile_log_mean  spend indicator -> {tertile: E[u | tertile]} (1 = most deprived),
                          i.e. the expected difference of mean log spend from the overall mean
    judgement_model       coefficients of the latent SIF score (higher = worse)
    judgement_counts      judgement -> number of LAs (the n_la main LAs)
    p_max                 the cap on log-link shares
    capped                indicator -> number of LA-years where the cap bound
    """

    seed: int
    n_la: int
    years: tuple[int, ...]
    noise: str
    time_centring: str
    its: pd.DataFrame
    inadequate_year: int
    inadequate_intercept: float
    inadequate_coefficients: Mapping[str, float]
    latent_corr: pd.DataFrame
    rank_corr_signs: Mapping[tuple[str, str], int]
    deprivation_loading: Mapping[str, float]
    spend_tertile_log_mean: Mapping[str, Mapping[int, float]]
    judgement_model: Mapping[str, float]
    judgement_counts: Mapping[str, int]
    p_max: float = P_MAX
    capped: Mapping[str, int] = field(default_factory=dict)

    def its_row(self, indicator: str, judgement: str) -> pd.Series:
        """The planted ITS coefficients of one indicator and judgement."""
        sel = (self.its["indicator"] == indicator) & (self.its["judgement"] == judgement)
        if not sel.any():
            raise KeyError(f"no planted effects for indicator {indicator!r}, "
                           f"judgement {judgement!r}")
        return self.its.loc[sel].iloc[0]


# ---- constants derived once from the calibration ----------------------------------------


def _summary(name: str) -> dict:
    key = RECIPES[name].summary or name
    if key in cal.INDICATOR_SUMMARY:
        return cal.INDICATOR_SUMMARY[key]
    return cal.PAPER_BASED_SUMMARY[key]


def _scale(name: str) -> float:
    kind = RECIPES[name].kind
    if kind in ("rate", "fte"):
        return 1e4
    if kind in ("pct", "fte_pct", "fte_share"):
        return 100.0
    return 1.0


def _quota(counts: Mapping, n: int) -> dict:
    """Scale counts to total n by largest remainders (ties to the first key)."""
    keys = list(counts)
    w = np.array([counts[k] for k in keys], dtype=float)
    raw = w / w.sum() * n
    base = np.floor(raw).astype(int)
    order = np.argsort(-(raw - base), kind="stable")
    base[order[: n - base.sum()]] += 1
    return dict(zip(keys, base.tolist(), strict=True))


def _stage_terms(name: str) -> np.ndarray:
    """(3 judgements, 4) array of b_pre, b_step0, b_step1, b_post."""
    rec = RECIPES[name]
    s = _summary(name)
    trend = float(np.clip(s["trend"], -MAX_ABS_TREND, MAX_ABS_TREND))
    if rec.link == "logit":
        trend /= 1.0 - s["median"] / 100.0
    step0, step1, post = ITS_PROFILES[rec.profile]
    shift = PRE_SLOPE_SHIFT.get(rec.profile, (0.0, 0.0, 0.0))
    return np.array([[trend + shift[g], step0[g], step1[g], post[g]] for g in range(3)])


def _its_contribution(terms: np.ndarray, e: np.ndarray, g: np.ndarray) -> np.ndarray:
    t = terms[g]
    on = (e >= 0).astype(float)
    return (t[..., 0] * e + t[..., 1] * on + t[..., 2] * (e >= 1) + t[..., 3] * e * on)


def _sampling_var(name: str) -> float:
    """Binomial/Poisson variance on the link scale at the median LA (to leave for G/eps)."""
    rec = RECIPES[name]
    pop = cal.INDICATOR_SUMMARY["child_population"]["median"]
    if rec.kind == "rate":
        return 1.0 / (pop * _summary(name)["median"] / 1e4)
    if rec.kind == "pct":
        base = "cpp_starts" if rec.base == "_cpp_ended" else rec.base
        n = pop * _summary(base)["median"] / 1e4
        p = _summary(name)["median"] / 100.0
        return (1 - p) / (n * p) if rec.link == "log" else 1.0 / (n * p * (1 - p))
    return 0.0


@lru_cache(maxsize=1)
def _constants() -> dict:
    """b0, sigma, noise SD, stage terms of every indicator, and the latent correlation."""
    judg = np.array([cal.HOOD2021_JUDGEMENT_COUNTS[j] for j in JUDGEMENTS], float)
    judg /= judg.sum()
    starts = cal.SIF_FIRST_START_YEAR_COUNTS
    y0 = np.array(list(starts), float)
    py0 = np.array(list(starts.values()), float)
    py0 /= py0.sum()
    out = {}
    for name in GENERATED:
        rec, s = RECIPES[name], _summary(name)
        m = s["median"] / _scale(name)
        level = np.log(m) if rec.link == "log" else logit(m)
        terms = _stage_terms(name)
        yrs = np.arange(s["first_year"], s["last_year"] + 1, dtype=float)
        # mean stage contribution over the calibration window, inspection years, judgements
        e = yrs[None, :] - y0[:, None]
        contrib = [_its_contribution(terms, e, np.full(e.shape, g)) for g in range(3)]
        mean_s = sum(judg[g] * np.sum(py0[:, None] * contrib[g]) / len(yrs) for g in range(3))
        var_s = sum(judg[g] * np.sum(py0[:, None] * (contrib[g] - mean_s) ** 2) / len(yrs)
                    for g in range(3))
        # Spread: the robust total SD from the quartiles (the real log values have heavy
        # tails), less what the stage terms add, split between LA (sigma) and year (noise)
        # in the proportions of the real between- and within-LA variances.
        conv = 1.0 if rec.link == "log" else 1.0 / (1.0 - m)
        q25, q75 = s["q25"] / _scale(name), s["q75"] / _scale(name)
        if q75 / q25 > 1.1:
            lo, hi = (np.log(q25), np.log(q75)) if rec.link == "log" else (logit(q25), logit(q75))
            total = ((hi - lo) / (2 * norm.ppf(0.75))) ** 2
        else:   # published in coarse units (days): use the SDs
            total = (s["log_sd_between"] ** 2 + s["log_sd_within"] ** 2) * conv**2
        target = max(total - var_s, 0.3 * total)
        n_w = len(yrs)
        raw_w = (s["log_sd_within"] * conv) ** 2
        raw_b = max(s["log_sd_between"] ** 2 - s["log_sd_within"] ** 2 / n_w,
                    0.25 * s["log_sd_between"] ** 2) * conv**2
        f = target / (raw_b + raw_w)
        sigma = np.sqrt(f * raw_b)
        noise_var = max(f * raw_w - _sampling_var(name), 0.0625 * f * raw_w)
        # Gamma noise with mean 1 has median ~ exp(-phi/2): shift b0 so that medians match
        gamma_shift = 0.5 * noise_var if rec.link == "log" else 0.0
        out[name] = {"b0": float(level - mean_s + gamma_shift), "sigma": float(sigma),
                     "noise_sd": float(np.sqrt(noise_var)), "terms": terms}
    out["_latent"] = _latent_corr()
    return out


def _latent_corr() -> pd.DataFrame:
    """Pearson correlation of the latent normals from the real Spearman matrix (PSD-repaired).

    Variables: 'deprivation', 'child_population', then every generated indicator. The initial
    assessment timeliness indicator (no LA data) copies the 45-day timeliness row, with
    correlation 0.5 between the two.
    """
    names = list(cal.RANK_CORR_NAMES)
    rho = pd.DataFrame(np.array(cal.RANK_CORR, float), index=names, columns=names)
    rho = rho.rename(index={"social_workers_per_10000": "social_workers"},
                     columns={"social_workers_per_10000": "social_workers"})
    new = "initial_assessments_within_10_days"
    src = "assessments_within_45_days"
    rho.loc[new] = rho.loc[src]
    rho[new] = rho.loc[new]
    rho.loc[new, src] = rho.loc[src, new] = 0.5
    rho.loc[new, new] = 1.0
    order = ["deprivation", "child_population", *GENERATED]
    rho = rho.loc[order, order].fillna(0.0)
    r = 2.0 * np.sin(np.pi / 6.0 * rho.to_numpy())
    r = (r + r.T) / 2.0
    vals, vecs = np.linalg.eigh(r)
    r = (vecs * np.maximum(vals, 1e-3)) @ vecs.T
    d = np.sqrt(np.diag(r))
    r = r / d[:, None] / d[None, :]
    np.fill_diagonal(r, 1.0)
    return pd.DataFrame(r, index=order, columns=order)


# ---- the generator ------------------------------------------------------------------------


def make_panel(seed: int = 0, n_la: int = 150, years: Iterable[int] = range(2008, 2020), *,
               noise: str = "negbin", missing: float = 0.0,
               exclude: Iterable[int] = DEFAULT_EXCLUDED_LAS) -> Panel:
    """A synthetic panel of ``n_la`` LAs (plus City of London and Isles of Scilly, which are
    then excluded by default and reported) over ``years``, with known planted effects.

    ``noise``: "negbin" (default; Gamma-Poisson counts and year-level noise calibrated to the
    real within-LA variation) or "poisson" (counts Poisson/binomial given the model, no extra
    noise: the multilevel Poisson model is then exactly the generating model).
    ``missing``: share of LA-year-indicator entries dropped completely at random (not the
    child population).
    """
    if noise not in NOISES:
        raise ValueError(f"noise: expected one of {NOISES}, got {noise!r}")
    n_la = int(n_la)
    if not 3 <= n_la <= 700:
        raise ValueError(f"n_la: expected 3-700 LAs, got {n_la}")
    years_out = sorted({int(y) for y in years})
    if not years_out:
        raise ValueError("years: empty")
    if not 0.0 <= missing < 1.0:
        raise ValueError(f"missing: expected a share in [0, 1), got {missing}")
    rng = Generator(PCG64(seed))
    const = _constants()
    latent = const["_latent"]
    gen_years = np.array(sorted(set(years_out) | {INADEQUATE_YEAR}))
    n_all = n_la + len(SMALL_LAS)
    main = np.arange(n_all) >= len(SMALL_LAS)   # the first rows are City of London, Scilly

    # LAs: codes, names, regions
    pool = np.setdiff1d(np.arange(202, 939), np.array(SMALL_LAS))
    codes = np.concatenate([np.array(SMALL_LAS), np.sort(rng.choice(pool, n_la, replace=False))])
    reg_counts = _quota(REGION_COUNTS, n_la)
    regions = np.repeat(list(reg_counts), list(reg_counts.values()))
    regions = np.concatenate([[SMALL_LA_META[c][1] for c in SMALL_LAS],
                              rng.permutation(regions)])
    names = [SMALL_LA_META[c][0] if c in SMALL_LA_META else f"Synthetic LA {c}" for c in codes]

    # latent LA effects: deprivation, population, every indicator
    chol = np.linalg.cholesky(latent.to_numpy())
    w = rng.standard_normal((n_all, chol.shape[0])) @ chol.T
    col = {n: i for i, n in enumerate(latent.index)}
    z = w[:, col["deprivation"]]

    # child population 0-17 by year
    ps = cal.INDICATOR_SUMMARY["child_population"]
    pop_level = ps["median"] * np.exp(ps["log_sd_between"] * w[:, col["child_population"]])
    for i, c in enumerate(SMALL_LAS):
        pop_level[i] = cal.SMALL_LA_POPULATION[c]
    mid = (ps["first_year"] + ps["last_year"]) / 2.0
    pop_noise = rng.normal(0.0, ps["log_sd_within"], (n_all, len(gen_years)))
    pop = np.round(pop_level[:, None] * np.exp(ps["trend"] * (gen_years[None, :] - mid)
                                               + pop_noise))
    pop = np.maximum(pop, 1.0)

    # deprivation rank (1 = most deprived) and tertile (1 = most deprived third of main LAs)
    imd_rank = np.empty(n_all, dtype=np.int64)
    imd_rank[np.argsort(-z, kind="stable")] = np.arange(1, n_all + 1)
    hi, lo = np.quantile(z[main], [2 / 3, 1 / 3])
    tertile = np.where(z > hi, 1, np.where(z > lo, 2, 3)).astype(np.int64)

    # first SIF inspection: year quotas, dates
    yq = _quota(cal.SIF_FIRST_START_YEAR_COUNTS, n_la)
    y0 = np.empty(n_all, dtype=np.int64)
    y0[main] = rng.permutation(np.repeat(list(yq), list(yq.values())))
    pyr = np.array(list(cal.SIF_FIRST_START_YEAR_COUNTS.values()), float)
    y0[~main] = rng.choice(list(cal.SIF_FIRST_START_YEAR_COUNTS), (~main).sum(), p=pyr / pyr.sum())
    start = np.array([(FIRST_SIF_DATE if y == FIRST_SIF_DATE.year else pd.Timestamp(y, 1, 1))
                      .to_datetime64() for y in y0]).astype("datetime64[D]")
    end = np.array([np.datetime64(f"{y}-12-31") for y in y0]).astype("datetime64[D]")
    span = (end - start).astype(np.int64) + 1
    insp_date = start + np.floor(rng.random(n_all) * span).astype(np.int64)

    # latent SIF score (higher = worse) and judgement by quota among the main LAs
    coef = INADEQUATE_COEFFICIENTS
    prior = np.zeros(n_all)
    for k, b in coef.items():
        c = const[k]
        level = c["b0"] + c["sigma"] * w[:, col[k]]
        value = (np.exp(level) if RECIPES[k].link == "log" else expit(level)) * _scale(k)
        prior += b * value
    prior = (prior - prior[main].mean()) / prior[main].std()
    sif_score = (JUDGEMENT_MODEL["deprivation"] * z + JUDGEMENT_MODEL["prior_risk"] * prior
                 + rng.logistic(0.0, 1.0, n_all))
    jq = _quota(cal.HOOD2021_JUDGEMENT_COUNTS, n_la)
    g = _ranked_categories(sif_score, main, [jq[j] for j in JUDGEMENTS])

    # ILACS: an inspection per LA, the wilkins2020 window share between Jan 2018 and Mar 2019
    il_counts = cal.WILKINS2020_ILACS_COUNTS
    n_win = int(round(n_la * sum(il_counts.values()) / sum(cal.HOOD2021_JUDGEMENT_COUNTS.values())))
    in_win = np.zeros(n_all, dtype=bool)
    in_win[np.flatnonzero(main)[rng.permutation(n_la)[:n_win]]] = True
    lo_d, mid_d, hi_d = (np.datetime64("2018-01-01"), np.datetime64("2019-04-01"),
                         np.datetime64("2022-01-01"))
    u_date = rng.random(n_all)
    il_date = np.where(in_win, lo_d + np.floor(u_date * (mid_d - lo_d).astype(int)).astype(int),
                       mid_d + np.floor(u_date * (hi_d - mid_d).astype(int)).astype(int))
    il_score = (ILACS_MODEL["deprivation"] * z
                + ILACS_MODEL["sif_score"] * (sif_score - sif_score[main].mean())
                / sif_score[main].std() + rng.logistic(0.0, 1.0, n_all))
    il_g = np.empty(n_all, dtype=np.int64)
    order = list(ILACS_JUDGEMENTS)
    q_in = _quota(il_counts, n_win)
    q_out = _quota(il_counts, n_la - n_win)
    il_g_in = _ranked_categories(il_score, in_win, [q_in[j] for j in order])
    il_g_out = _ranked_categories(il_score, main & ~in_win, [q_out[j] for j in order])
    il_g[:] = np.where(in_win, il_g_in, il_g_out)

    # indicators
    e = gen_years[None, :] - y0[:, None]
    gg = np.broadcast_to(g[:, None], e.shape)
    counts: dict[str, np.ndarray] = {}
    cols: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    capped: dict[str, int] = {}
    for name in GENERATED:
        rec, c = RECIPES[name], const[name]
        eta = (c["b0"] + c["sigma"] * w[:, col[name]][:, None]
               + _its_contribution(c["terms"], e, gg))
        phi = c["noise_sd"] ** 2 if noise == "negbin" else 0.0

        def gamma(shape=e.shape, phi=phi):
            return rng.gamma(1.0 / phi, phi, shape) if phi > 0 else np.ones(shape)

        if rec.kind == "rate":
            num = rng.poisson(pop * np.exp(eta) * gamma()).astype(float)
            counts[name] = num
            cols[name] = (num, pop)
            if name == "cpp_starts":   # plans ending in the year: drawn around plans started
                counts["_cpp_ended"] = rng.poisson(pop * np.exp(eta) * gamma()).astype(float)
        elif rec.kind == "pct":
            den = counts[rec.base]
            if rec.link == "log":
                p = np.exp(eta) * gamma()
                capped[name] = int((p > P_MAX).sum())
                p = np.minimum(p, P_MAX)
            else:
                eps = rng.normal(0.0, c["noise_sd"], e.shape) if phi > 0 else 0.0
                p = expit(eta + eps)
            cols[name] = (rng.binomial(den.astype(np.int64), p).astype(float), den)
        elif rec.kind == "fte":
            fte = np.round(pop * np.exp(eta) * gamma(), rec.decimals)
            counts[name] = fte
            cols[name] = (fte, None)
        elif rec.kind == "fte_pct":
            den = counts["social_workers"]
            p = np.exp(eta) * gamma()
            capped[name] = int((p > P_MAX).sum())
            cols[name] = (np.round(den * np.minimum(p, P_MAX), rec.decimals), den)
        elif rec.kind == "fte_share":
            inpost = counts["social_workers"]
            eps = rng.normal(0.0, c["noise_sd"], e.shape) if phi > 0 else 0.0
            p = expit(eta + eps)
            den = np.round(inpost / (1.0 - p), rec.decimals)
            cols[name] = (np.round(den - inpost, rec.decimals), den)
        elif rec.kind == "amount":
            cols[name] = (np.round(pop * np.exp(eta) * gamma()), pop)
        elif rec.kind == "level":
            cols[name] = (np.round(np.exp(eta) * gamma(), rec.decimals), None)
        else:  # pragma: no cover - RECIPES is fixed
            raise AssertionError(rec.kind)

    # inadequate_2012_13 from the 2012 values
    j12 = int(np.flatnonzero(gen_years == INADEQUATE_YEAR)[0])
    intercept = INADEQUATE_INTERCEPT
    lp = np.full(n_all, intercept)
    for k, b in coef.items():
        num, den = cols[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = num[:, j12] / den[:, j12] * _panel_scale(k) if den is not None else num[:, j12]
        lp = lp + b * x
    u_inad = rng.random(n_all)
    inadequate = np.where(np.isnan(lp), False, u_inad < expit(np.nan_to_num(lp)))

    # long table
    keep_year = np.isin(gen_years, years_out)
    n_y = int(keep_year.sum())
    la_rep = np.repeat(codes, n_y)
    yr_rep = np.tile(gen_years[keep_year], n_all)
    parts = [_long_part("child_population", la_rep, yr_rep, pop[:, keep_year], None,
                        "synthetic: ONS mid-year estimates")]
    for name in GENERATED:
        num, den = cols[name]
        parts.append(_long_part(name, la_rep, yr_rep, num[:, keep_year],
                                None if den is None else den[:, keep_year],
                                f"synthetic: {SOURCES[RECIPES[name].kind]}"))
    long = pd.concat(parts, ignore_index=True)
    if missing > 0:
        drop = (rng.random(len(long)) < missing) & (long["indicator"] != "child_population")
        long = long[~drop].reset_index(drop=True)

    # LA table
    last = int(np.flatnonzero(keep_year)[-1])
    fy = (insp_date.astype("datetime64[Y]").astype(int) + 1970
          + (insp_date.astype("datetime64[M]").astype(int) % 12 >= 3))
    spend_num, spend_den = cols["spend_per_child"]
    spend = np.full(n_all, np.nan)
    for i in range(n_all):
        hit = np.flatnonzero(gen_years == fy[i])
        if hit.size:
            spend[i] = spend_num[i, hit[0]] / spend_den[i, hit[0]]
    las = pd.DataFrame({
        "la_code": codes.astype(np.int64),
        "ons_code": [f"E99000{c}" for c in codes],
        "name": names,
        "region": regions,
        "child_population": pop[:, last],
        "imd_rank": imd_rank,
        "deprivation_tertile": tertile,
        "inspection_year": y0,
        "inspection_date": pd.to_datetime(insp_date),
        "judgement": pd.Categorical.from_codes(g, list(JUDGEMENTS), ordered=True),
        "inadequate_2012_13": inadequate.astype(bool),
        "ilacs_date": pd.to_datetime(il_date.astype("datetime64[D]")),
        "ilacs_judgement": pd.Categorical.from_codes(il_g, list(ILACS_JUDGEMENTS),
                                                     ordered=True),
        "spend_per_child": spend,
    })

    truth = _truth(seed, n_la, tuple(years_out), noise, const, intercept, jq, capped)
    label = f"synthetic (seed {seed})" if noise == "negbin" else f"synthetic (seed {seed}, {noise} noise)"
    return Panel(long, las, truth=truth, label=label, exclude=exclude)


def _panel_scale(name: str) -> float:
    scale = INDICATORS[name].scale
    return 1.0 if scale is None else scale


def _ranked_categories(score: np.ndarray, mask: np.ndarray, quotas: list[int]) -> np.ndarray:
    """Category codes (0 = best) by quota among ``mask`` (lowest scores best); the others
    by the cut points of the masked group."""
    out = np.zeros(len(score), dtype=np.int64)
    idx = np.flatnonzero(mask)
    ranked = idx[np.argsort(score[idx], kind="stable")]
    bounds = np.cumsum(quotas)
    cats = np.searchsorted(bounds, np.arange(len(ranked)), side="right")
    out[ranked] = cats
    if len(ranked):
        cuts = [score[ranked[b - 1]] for b in bounds[:-1] if 0 < b <= len(ranked)]
        rest = np.flatnonzero(~mask)
        out[rest] = np.searchsorted(np.array(cuts), score[rest], side="left")
    return out


def _long_part(name, la, yr, num, den, source) -> pd.DataFrame:
    n = la.size
    return pd.DataFrame({
        "la_code": la, "year": yr,
        "indicator": np.full(n, name, dtype=object),
        "numerator": num.reshape(-1).astype(float),
        "denominator": (np.full(n, np.nan) if den is None else den.reshape(-1).astype(float)),
        "unit": np.full(n, INDICATORS[name].unit, dtype=object),
        "source": np.full(n, source, dtype=object),
    })


def _truth(seed, n_la, years, noise, const, intercept, jq, capped) -> SyntheticTruth:
    latent = const["_latent"]
    rows = []
    for name in GENERATED:
        rec, c = RECIPES[name], const[name]
        offset = {"rate": "log(child_population)", "fte": "log(child_population)",
                  "amount": "log(child_population)", "pct": "log(denominator)",
                  "fte_pct": "log(denominator)", "fte_share": "log(denominator)",
                  "level": "none"}[rec.kind]
        for gi, j in enumerate(JUDGEMENTS):
            t = c["terms"][gi]
            rows.append({"indicator": name, "judgement": j, "link": rec.link, "offset": offset,
                         "b0": c["b0"], "b_pre": t[0], "b_step0": t[1], "b_step1": t[2],
                         "b_post": t[3], "sigma_la": c["sigma"],
                         "noise_sd": c["noise_sd"] if noise == "negbin" else 0.0})
    its = pd.DataFrame(rows)
    names = [n for n in latent.index if n != "child_population"]
    signs = {}
    for a_i, a in enumerate(names):
        for b in names[a_i + 1:]:
            r = latent.loc[a, b]
            if abs(r) >= RANK_SIGN_THRESHOLD:
                signs[(a, b)] = int(np.sign(r))
    loading = {n: float(const[n]["sigma"] * latent.loc["deprivation", n]) for n in GENERATED}
    cz = norm.ppf(2 / 3)
    ez = {1: float(norm.pdf(cz) * 3), 2: 0.0, 3: float(-norm.pdf(cz) * 3)}
    spend = {n: {t: loading[n] * ez[t] for t in (1, 2, 3)}
             for n in GENERATED if RECIPES[n].kind == "amount"}
    return SyntheticTruth(
        seed=seed, n_la=n_la, years=years, noise=noise,
        time_centring="e = year - inspection_year (event time; e = 0 is the inspection year)",
        its=its, inadequate_year=INADEQUATE_YEAR, inadequate_intercept=intercept,
        inadequate_coefficients=dict(INADEQUATE_COEFFICIENTS), latent_corr=latent.copy(),
        rank_corr_signs=signs, deprivation_loading=loading, spend_tertile_log_mean=spend,
        judgement_model=dict(JUDGEMENT_MODEL), judgement_counts=dict(jq), capped=capped)
