"""Re-derive the summary constants in :mod:`replication.data.calibration` from the raw files.

``calibrate(raw_dir)`` reads the public LA-level files (the directory laid out as described in
its ``INVENTORY.md``) and returns the same summary constants that ``calibration.py`` holds:
per-indicator medians, quartiles, log-scale spreads and trends; a Spearman matrix of LA means;
spend by deprivation tertile; the timing and outcome of first SIF inspections; and child
populations. Nothing from the raw files is kept beyond these summaries.

Run ``python -m replication.data.calibrate RAW_DIR`` to print the constants. Written here
(pandas and numpy only); the tests run it only where the raw directory is present.

Conventions (stated once, used throughout):
- panel year = year ending 31 March; CIN-census and LAIT CIN measures carry that year already;
- ONS mid-year population estimate of mid-year Y is the denominator for panel year Y + 1;
- workforce at 30 September Y is mapped to panel year Y + 1;
- finance for financial year (Y-1)-Y is mapped to panel year Y;
- calibration window: panel years 2014-2019 (2015-2019 for LAIT measures, 2016-2019 for finance,
  2018-2020 for workforce, the first years each source covers).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

EES_DIR = Path("CSC_outcomes_and_enablers") / "data-raw"
LAIT_FILE = Path("local-authority-interactive-tool") / "bds_long_0_09c1940_2024-11-15.parquet"
IMD_FILE = (Path("childrens_social_care_data") / "Raw_Data" / "LA_level"
            / "Economic_Political_Contextual" / "imd19.csv")
SIF_FILE = Path("ofsted") / "DERIVED_sif_judgements_2013_2018.csv"
ILACS_FILE = Path("CSC_outcomes_and_enablers") / "DERIVED_ILACS_inspection_history_2025.csv"

WINDOW = (2014, 2019)
WORKFORCE_WINDOW = (2018, 2020)
WORKFORCE = ("social_workers_per_10000", "social_worker_turnover", "agency_worker_rate",
             "vacancy_rate", "caseload")
SMALL_LAS = (201, 420)

# LAIT short descriptions used, by panel indicator.
LAIT_ITEMS = {
    "assessments_within_45_days": "Continue_Assess_Comp",
    "cin_2_years_plus": "CINTime2more",
    "cla_rate": "LAC",
    "cla_missing": "Children_missing",
    "cpp_2_years_plus": "CPPlans2yrs",
}
LAIT_FINANCE = {
    "spend_per_child": "C&YPExpenditure",
    "spend_safeguarding": "SafeguardingFinance",
    "spend_cla": "TotalLACFinance",
    "spend_early_help": "FamilySupportFinance",
}
# C&YPExpenditure is published in GBP thousands, the other finance lines in GBP.
LAIT_FINANCE_SCALE = {"spend_per_child": 1000.0}

FILES = {
    "ons": EES_DIR / "ons_mid-year_population_estimates_2012_to_2024.csv",
    "b1": EES_DIR / "b1_children_in_need_2013_to_2025.csv",
    "c1": EES_DIR / "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv",
    "c4": EES_DIR / "c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv",
    "d3": EES_DIR / "d3_cpps_subsequent_plan_2013_to_2025.csv",
    "d5": EES_DIR / "d5_cpps_at31march_by_duration_2013_to_2025.csv",
    "csww": EES_DIR / "csww_indicators_2017_to_2025.csv",
    "lait": LAIT_FILE,
    "imd": IMD_FILE,
    "sif": SIF_FILE,
    "ilacs": ILACS_FILE,
}
#: How each calibrated quantity is computed (cited in calibration.py).
SOURCES = {
    "child_population": "[ons] population_estimate, mid-year Y -> panel year Y+1",
    "referrals": "[c1] referral_count / [ons] * 10000",
    "re_referrals": "[c1] rereferral_percent",
    "referrals_nfa": "[c1] no_further_action_percent",
    "assessments": "[c1] (referral_count - no_further_action_count) / [ons] * 10000 (proxy)",
    "cin_rate": "[b1] At31_episodes / [ons] * 10000",
    "section47": "[c4] Section47 / [ons] * 10000",
    "icpc": "[c4] ICPC / [ons] * 10000",
    "icpc_within_15_days": "[c4] (Duration_0-10_days + Duration_11-15_days) / ICPC * 100",
    "days_to_icpc": "[c4] Duration_median",
    "cpp_starts": "[d3] CPP_start / [ons] * 10000",
    "cpp_second_or_subsequent": "[d3] CPP_subsequent_percent",
    "cpp": "[d5] CPP_At31 / [ons] * 10000",
    "social_workers_per_10000": "[csww] inpost_fte / [ons] * 10000, Sept Y -> panel year Y+1",
    "social_worker_turnover": "[csww] turnover_rate_fte",
    "agency_worker_rate": "[csww] agency_rate_fte",
    "vacancy_rate": "[csww] vacancy_rate_fte",
    "caseload": "[csww] caseload_fte",
    "assessments_within_45_days": "[lait] Continue_Assess_Comp",
    "cin_2_years_plus": "[lait] CINTime2more",
    "cla_rate": "[lait] LAC",
    "cla_missing": "[lait] Children_missing",
    "cpp_2_years_plus": "[lait] CPPlans2yrs",
    "spend_per_child": "[lait] C&YPExpenditure (GBP thousands) * 1000 / [ons], FY (Y-1)-Y -> Y",
    "spend_safeguarding": "[lait] SafeguardingFinance / [ons]",
    "spend_cla": "[lait] TotalLACFinance / [ons]",
    "spend_early_help": "[lait] FamilySupportFinance / [ons]",
}


def _num(s: pd.Series) -> pd.Series:
    """Published values to float; suppression codes (c, x, z, ..) become NaN."""
    return pd.to_numeric(s, errors="coerce")


def _ees(raw: Path, name: str) -> pd.DataFrame:
    d = pd.read_csv(raw / EES_DIR / name, dtype=str)
    d = d[d["geographic_level"] == "Local authority"].copy()
    d["la_code"] = _num(d["old_la_code"]).astype("Int64")
    d["year"] = _num(d["time_period"]).astype("Int64")
    return d.dropna(subset=["la_code", "year"])


def _frame(d: pd.DataFrame, value: pd.Series, year_shift: int = 0) -> pd.DataFrame:
    out = pd.DataFrame({"la_code": d["la_code"].astype(int).to_numpy(),
                        "year": d["year"].astype(int).to_numpy() + year_shift,
                        "value": np.asarray(value, dtype=float)})
    return out.dropna()


def _population(raw: Path) -> pd.DataFrame:
    d = _ees(raw, "ons_mid-year_population_estimates_2012_to_2024.csv")
    return _frame(d, _num(d["population_estimate"]), year_shift=1)


def _lait(raw: Path) -> pd.DataFrame:
    p = pd.read_parquet(raw / LAIT_FILE)
    p = p[p["LA Number"].notna()].copy()
    p["la_code"] = p["LA Number"].astype(int)
    p["value"] = _num(p["Values"])
    return p


def _lait_year(label: str) -> float:
    """'2017' -> 2017; '2016-17 (OT)' (financial year) -> 2017; anything else NaN."""
    label = str(label).strip()
    if label.isdigit() and len(label) == 4:
        return float(label)
    if label.endswith("(OT)") and len(label) >= 7 and label[:4].isdigit():
        return float(label[:4]) + 1.0
    return np.nan


def indicator_values(raw_dir) -> dict[str, pd.DataFrame]:
    """Every calibrated indicator as a (la_code, year, value) frame in panel units."""
    raw = Path(raw_dir)
    pop = _population(raw).rename(columns={"value": "pop"})
    out: dict[str, pd.DataFrame] = {}

    def per10k(d: pd.DataFrame, count: pd.Series) -> pd.DataFrame:
        f = _frame(d, count).merge(pop, on=["la_code", "year"])
        f["value"] = f["value"] / f["pop"] * 1e4
        return f.drop(columns="pop")

    out["child_population"] = pop.rename(columns={"pop": "value"})
    c1 = _ees(raw, "c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv")
    out["referrals"] = per10k(c1, _num(c1["referral_count"]))
    out["re_referrals"] = _frame(c1, _num(c1["rereferral_percent"]))
    out["referrals_nfa"] = _frame(c1, _num(c1["no_further_action_percent"]))
    # No LA assessment counts are published here: referrals not closed with no further action.
    assessed = _num(c1["referral_count"]) - _num(c1["no_further_action_count"])
    out["assessments"] = per10k(c1, assessed)
    b1 = _ees(raw, "b1_children_in_need_2013_to_2025.csv")
    out["cin_rate"] = per10k(b1, _num(b1["At31_episodes"]))
    c4 = _ees(raw, "c4_children_in_need_section_47s_and_icpcs_2013_to_2025.csv")
    out["section47"] = per10k(c4, _num(c4["Section47"]))
    out["icpc"] = per10k(c4, _num(c4["ICPC"]))
    within = _num(c4["Duration_0-10_days"]) + _num(c4["Duration_11-15_days"])
    out["icpc_within_15_days"] = _frame(c4, within / _num(c4["ICPC"]) * 100)
    out["days_to_icpc"] = _frame(c4, _num(c4["Duration_median"]))
    d3 = _ees(raw, "d3_cpps_subsequent_plan_2013_to_2025.csv")
    out["cpp_starts"] = per10k(d3, _num(d3["CPP_start"]))
    out["cpp_second_or_subsequent"] = _frame(d3, _num(d3["CPP_subsequent_percent"]))
    d5 = _ees(raw, "d5_cpps_at31march_by_duration_2013_to_2025.csv")
    out["cpp"] = per10k(d5, _num(d5["CPP_At31"]))
    ww = _ees(raw, "csww_indicators_2017_to_2025.csv")
    sw = _frame(ww, _num(ww["inpost_fte"]), year_shift=1).merge(pop, on=["la_code", "year"])
    sw["value"] = sw["value"] / sw["pop"] * 1e4
    out["social_workers_per_10000"] = sw.drop(columns="pop")
    out["social_worker_turnover"] = _frame(ww, _num(ww["turnover_rate_fte"]), year_shift=1)
    out["agency_worker_rate"] = _frame(ww, _num(ww["agency_rate_fte"]), year_shift=1)
    out["vacancy_rate"] = _frame(ww, _num(ww["vacancy_rate_fte"]), year_shift=1)
    out["caseload"] = _frame(ww, _num(ww["caseload_fte"]), year_shift=1)

    lait = _lait(raw)
    lait["year"] = lait["Years"].map(_lait_year)
    lait = lait.dropna(subset=["year", "value"])
    lait["year"] = lait["year"].astype(int)
    for name, item in LAIT_ITEMS.items():
        q = lait[(lait["Short Desc"] == item) & ~lait["Years"].str.contains("OT")]
        out[name] = q[["la_code", "year", "value"]].reset_index(drop=True)
    for name, item in LAIT_FINANCE.items():
        q = lait[(lait["Short Desc"] == item) & lait["Years"].str.contains("OT")]
        f = q[["la_code", "year", "value"]].merge(pop, on=["la_code", "year"])
        f["value"] = f["value"] * LAIT_FINANCE_SCALE.get(name, 1.0) / f["pop"]
        out[name] = f.drop(columns="pop").reset_index(drop=True)
    for name, f in out.items():
        f = f[~f["la_code"].isin(SMALL_LAS)]
        f = f[(f["la_code"] >= 201) & (f["la_code"] <= 938)]
        out[name] = f.drop_duplicates(["la_code", "year"]).reset_index(drop=True)
    return out


def deprivation(raw_dir) -> pd.DataFrame:
    """IMD 2019 rank of average score per LA (1 = most deprived), keyed by the 3-digit code."""
    raw = Path(raw_dir)
    imd = pd.read_csv(raw / IMD_FILE, encoding="utf-8-sig")
    imd.columns = [c.strip() for c in imd.columns]
    code_col = [c for c in imd.columns if c.startswith("Upper Tier") and "code" in c][0]
    b1 = _ees(raw, "b1_children_in_need_2013_to_2025.csv")
    lookup = b1[["new_la_code", "la_code"]].drop_duplicates("new_la_code")
    m = imd.merge(lookup, left_on=code_col, right_on="new_la_code")
    m = m[~m["la_code"].isin(SMALL_LAS)]
    return pd.DataFrame({"la_code": m["la_code"].astype(int),
                         "imd_rank": m["IMD - Rank of average score"].astype(float)})


def _in_window(name: str, f: pd.DataFrame) -> pd.DataFrame:
    lo, hi = WORKFORCE_WINDOW if name in WORKFORCE else WINDOW
    return f[(f["year"] >= lo) & (f["year"] <= hi)]


def _summaries(values: dict[str, pd.DataFrame]) -> dict[str, dict]:
    res = {}
    for name, f in values.items():
        f = _in_window(name, f)
        v = f["value"].to_numpy()
        pos = f[f["value"] > 0].copy()
        pos["lv"] = np.log(pos["value"])
        la_mean = pos.groupby("la_code")["lv"].transform("mean")
        yr_mean = pos.groupby("year")["lv"].transform("mean")
        resid = pos["lv"] - la_mean - yr_mean + pos["lv"].mean()
        n_obs = len(pos)
        n_la = pos["la_code"].nunique()
        n_yr = pos["year"].nunique()
        dof = max(n_obs - n_la - n_yr + 1, 1)
        med_by_year = f.groupby("year")["value"].median()
        med_by_year = med_by_year[med_by_year > 0]
        trend = (float(np.polyfit(med_by_year.index.to_numpy(float),
                                  np.log(med_by_year.to_numpy()), 1)[0])
                 if len(med_by_year) >= 2 else 0.0)
        res[name] = {
            "median": float(np.median(v)),
            "q25": float(np.quantile(v, 0.25)),
            "q75": float(np.quantile(v, 0.75)),
            "log_sd_between": float(pos.groupby("la_code")["lv"].mean().std(ddof=1)),
            "log_sd_within": float(np.sqrt(np.sum(resid.to_numpy() ** 2) / dof)),
            "trend": trend,
            "first_year": int(f["year"].min()),
            "last_year": int(f["year"].max()),
            "n_la": int(n_la),
        }
    return res


def _rank_corr(values: dict[str, pd.DataFrame], dep: pd.DataFrame,
               names: list[str]) -> list[list[float]]:
    """Spearman matrix of LA means over the window (pairwise complete); 'deprivation' first."""
    cols = {}
    for name in names:
        f = _in_window(name, values[name])
        cols[name] = f.groupby("la_code")["value"].mean()
    wide = pd.DataFrame(cols)
    wide = wide.join(dep.set_index("la_code")["imd_rank"], how="left")
    wide.insert(0, "deprivation", -wide.pop("imd_rank"))  # higher = more deprived
    rho = wide.corr(method="spearman", min_periods=30)
    return [[round(float(x), 3) for x in row] for row in rho.to_numpy()]


def _inspections(raw: Path, dep: pd.DataFrame) -> dict:
    sif = pd.read_csv(raw / SIF_FILE)
    sif = sif[sif["sif_seq"] == 1].copy()
    sif["start"] = pd.to_datetime(sif["inspection_start"], errors="coerce")
    sif = sif.dropna(subset=["start"])
    sif = sif[~sif["la_code"].isin(SMALL_LAS)]
    years = sif["start"].dt.year.value_counts().sort_index()
    oe = sif["overall_effectiveness"].str.lower().str.strip()
    cat = oe.map({"outstanding": "outstanding_good", "good": "outstanding_good",
                  "requires improvement": "requires_improvement", "inadequate": "inadequate"})
    badness = cat.map({"outstanding_good": 1, "requires_improvement": 2, "inadequate": 3})
    m = pd.DataFrame({"la_code": sif["la_code"].astype(int), "bad": badness}).merge(dep)
    rho = m["bad"].corr(-m["imd_rank"], method="spearman")
    il = pd.read_csv(raw / ILACS_FILE)
    il["date"] = pd.to_datetime(il["Inspection date"], errors="coerce")
    win = il[(il["date"] >= "2018-01-01") & (il["date"] < "2019-04-01")]
    win = win.sort_values("date").drop_duplicates("Local authority area code")
    return {
        "sif_first_start_year_counts": {int(k): int(v) for k, v in years.items()},
        "sif_first_judgement_counts": {str(k): int(v) for k, v in cat.value_counts().items()},
        "sif_badness_deprivation_spearman": round(float(rho), 3),
        "ilacs_2018_01_to_2019_03_counts": {
            str(k): int(v) for k, v in win["Overall effectiveness"].value_counts().items()},
    }


def _sig(x, digits: int = 4):
    """Round every float in a nested structure to ``digits`` significant figures."""
    if isinstance(x, dict):
        return {k: _sig(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_sig(v, digits) for v in x]
    if isinstance(x, float):
        if not np.isfinite(x) or x == 0:
            return x
        return float(f"{x:.{digits}g}")
    return x


def calibrate(raw_dir) -> dict:
    """Recompute every summary constant of ``calibration.py`` from the raw files in ``raw_dir``.

    Returns a dict whose keys are the constant names of ``calibration.py`` (floats rounded to
    4 significant figures, as stored there).
    """
    raw = Path(raw_dir)
    if not (raw / EES_DIR).is_dir():
        raise FileNotFoundError(f"raw_dir: {raw} does not hold {EES_DIR} (see its INVENTORY.md)")
    values = indicator_values(raw)
    dep = deprivation(raw)
    names = list(values)
    small = _population(raw)
    small = small[small["la_code"].isin(SMALL_LAS) & (small["year"] == WINDOW[1])]
    # spend per child by IMD tertile (1 = most deprived third), relative to the overall median
    spend = values["spend_per_child"]
    spend = spend[(spend["year"] >= 2016) & (spend["year"] <= WINDOW[1])]
    la_spend = spend.groupby("la_code")["value"].median().reset_index().merge(dep)
    tert = pd.qcut(la_spend["imd_rank"].rank(method="first"), 3, labels=[1, 2, 3])
    overall = la_spend["value"].median()
    ratio = la_spend.groupby(tert, observed=True)["value"].median() / overall
    insp = _inspections(raw, dep)
    return _sig({
        "INDICATOR_SUMMARY": _summaries(values),
        "RANK_CORR_NAMES": ["deprivation", *names],
        "RANK_CORR": _rank_corr(values, dep, names),
        "SPEND_TERTILE_RATIO": {int(k): float(v) for k, v in ratio.items()},
        "SMALL_LA_POPULATION": {int(r.la_code): float(r.value) for r in small.itertuples()},
        "SIF_FIRST_START_YEAR_COUNTS": insp["sif_first_start_year_counts"],
        "SIF_FIRST_JUDGEMENT_COUNTS": insp["sif_first_judgement_counts"],
        "SIF_BADNESS_DEPRIVATION_SPEARMAN": insp["sif_badness_deprivation_spearman"],
        "ILACS_2018_01_TO_2019_03_COUNTS": insp["ilacs_2018_01_to_2019_03_counts"],
    })


def render(constants: dict) -> str:
    """Python source for the calibrated block of ``calibration.py``, each value with its source."""
    out = []
    for key, value in constants.items():
        if key == "INDICATOR_SUMMARY":
            out.append("INDICATOR_SUMMARY = {")
            for name, summ in value.items():
                out.append(f"    # {SOURCES.get(name, '')}")
                out.append(f"    {name!r}: {summ!r},")
            out.append("}")
        elif key == "RANK_CORR":
            out.append("RANK_CORR = [")
            out.extend(f"    {row!r}," for row in value)
            out.append("]")
        else:
            out.append(f"{key} = {value!r}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: python -m replication.data.calibrate RAW_DIR")
    print(render(calibrate(argv[0])), end="")


if __name__ == "__main__":  # pragma: no cover
    main()
