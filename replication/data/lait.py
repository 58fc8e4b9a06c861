"""Builder: the Local Authority Interactive Tool (LAIT) long files.

Written here. LAIT (DfE) republishes many LA indicators, one row per item, year and LA
(``Short Desc``, ``Years``, ``LA Number``, ``Values``). Two snapshots are read: the newest
(2026-04-08, years 2016-2025) is used first and the older one (2024-11-15, years 2015-2024)
fills what the newest lacks; where both have a value and they differ beyond rounding, the
revision is reported and the newest kept.

Most LAIT items are published percentages or rates without their counts. Such a percentage
is stored with the published value as numerator and a nominal denominator of 100 (basis
"published percentage" in the catalogue); a published rate per 10,000 (used only to check
the CIN census) with a nominal denominator of 10,000; counts (numbers of referrals, children)
as counts over the child population; finance lines as GBP over the child population.

Year labels: ``2017`` = year ending 31 March 2017 -> 2017; workforce items (``Annual (end of
Sept)``) ``2017`` = 30 September 2017 -> 2018; finance ``2016-17 (OT)`` -> 2017.
``C&YPExpenditure`` is published in GBP thousands (multiplied by 1,000 here); the other finance
lines in GBP. Which items feed which indicator, and in which role, is :data:`ITEMS` (see
:data:`replication.data.sources.CATALOGUE`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .readers import (
    IssueLog,
    find_columns,
    la_rows,
    numbers,
    open_source,
    read_parquet,
    value_frame,
)
from .sources import CONFLICT_ABS_TOL, CONFLICT_REL_TOL, LAIT_FILES
from .workforce import joint_service_reason

#: indicator -> (LAIT Short Desc, kind). Kinds: pct (published %, nominal denominator 100),
#: rate (published rate per 10,000, nominal denominator 10,000), count (a count over the child
#: population), fte, level (a level: caseload), money / money_k (GBP / GBP thousands over the
#: child population). ``wf_`` prefix: a workforce item (September year).
ITEMS: dict[str, tuple[str, str]] = {
    "referrals": ("CPP_Total_NumRef", "count"),
    "re_referrals": ("ReReferral", "pct"),
    "referrals_nfa": ("CIN_Refferals_NFA", "pct"),
    "cin_rate": ("CIN", "rate"),
    "cin_2_years_plus": ("CINTime2more", "pct"),
    "assessments_within_45_days": ("Continue_Assess_Comp", "pct"),
    "section47": ("Section_47", "rate"),
    "icpc": ("ISCP_Conf", "rate"),
    "icpc_within_15_days": ("CP_conf_15days", "pct"),
    "cpp": ("CPP_Num", "count"),
    "cpp_second_or_subsequent": ("PrevRegCPR", "pct"),
    "cpp_2_years_plus": ("CPPlans2yrs", "pct"),
    "cla_rate": ("LACnum", "count"),
    "cla_starts": ("LACnum_Start", "count"),
    "cla_missing": ("Children_missing", "pct"),
    "social_workers": ("Work_Force_NoSW", "wf_fte"),
    "social_worker_turnover": ("Work_Force_TO_Rate", "wf_pct"),
    "agency_worker_rate": ("Work_Force_Agecy_Rate", "wf_pct"),
    "vacancy_rate": ("Work_Force_Vac_Rate", "wf_pct"),
    "caseload": ("Work_Force_AvgNumCase_SW", "wf_level"),
    "spend_per_child": ("C&YPExpenditure", "money_auto"),
    "spend_safeguarding": ("SafeguardingFinance", "money"),
    "spend_cla": ("TotalLACFinance", "money"),
    "spend_early_help": ("FamilySupportFinance", "money"),
}
UNIT = {"pct": "percentage", "rate": "rate_per_10000", "count": "rate_per_10000",
        "wf_fte": "fte", "wf_pct": "percentage", "wf_level": "score",
        "money": "gbp_per_child", "money_k": "gbp_per_child", "money_auto": "gbp_per_child"}
#: money_auto: a median ratio to TotalLACFinance below this means GBP thousands.
THOUSANDS_RATIO = 0.05
NOMINAL = {"pct": 100.0, "wf_pct": 100.0, "rate": 10000.0}
_ANNUAL = re.compile(r"^(\d{4})$")
_FINANCE = re.compile(r"^(\d{4})-(\d{2}) \(OT\)$")


def _year(label: str, kind: str) -> int | None:
    label = label.strip()
    if kind.startswith("money"):
        m = _FINANCE.match(label)
        if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
            return int(m.group(1)) + 1
        return None
    m = _ANNUAL.match(label)
    if not m:
        return None
    return int(m.group(1)) + (1 if kind.startswith("wf_") else 0)


def read_snapshot(path, *, source: str | None = None, log: IssueLog | None = None,
                  items: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """The :data:`ITEMS` of one LAIT parquet file as a value frame (origin ``lait``)."""
    log = log if log is not None else IssueLog()
    items = ITEMS if items is None else items
    wanted = {v[0] for v in items.values()} | {"TotalLACFinance"}
    table = read_parquet(path, source=source, log=log, where=("Short Desc", sorted(wanted)))
    cols = find_columns(table, {"item": "Short Desc", "years": "Years", "code": "LA Number",
                                "value": "Values"})
    sub, codes = la_rows(table, cols["code"], None, log)
    vals, rsn = numbers(sub, cols["value"], log)
    item = sub.frame[cols["item"]].str.strip().to_numpy()
    labels = sub.frame[cols["years"]].astype(str).to_numpy()
    out = []
    for name, (desc, kind) in items.items():
        sel = item == desc
        if not sel.any():
            log.add("note", sub.source, f"item {desc!r} ({name}) not in this snapshot",
                    indicator=name)
            continue
        yrs = np.array([_year(lb, kind) or -1 for lb in labels[sel]], dtype=np.int64)
        bad = yrs < 0
        if bad.any():
            shown = sorted(set(labels[sel][bad]))[:5]
            log.add("excluded", sub.source, f"item {desc!r}: {int(bad.sum())} rows with a year "
                    f"label not of the expected form ({', '.join(map(repr, shown))})",
                    indicator=name)
        idx = np.flatnonzero(sel)[~bad]
        v = vals[idx].copy()
        if kind == "money_k":
            v = v * 1000.0
        elif kind == "money_auto":
            v = _scale_money(v, labels[idx], codes[idx], vals, item, labels, codes, desc,
                             sub.source, log)
        den = NOMINAL.get(kind)
        f = value_frame(codes[idx], yrs[~bad], name, v, den, UNIT[kind], sub.source,
                        rsn[idx], "lait")
        if kind.startswith("wf_"):
            why = [joint_service_reason(c, y - 1) for c, y in zip(f["la_code"], f["year"],
                                                                   strict=True)]
            hit = np.array([w is not None for w in why], dtype=bool)
            f.loc[hit, "numerator"] = np.nan
            f.loc[hit, "reason"] = [w for w in why if w is not None]
        out.append(f)
    return pd.concat(out, ignore_index=True)


def _scale_money(v, lab, cod, vals, item, labels, codes, desc, source, log):
    """GBP thousands -> GBP where a year's median ratio to TotalLACFinance says so."""
    ref = item == "TotalLACFinance"
    refmap = dict(zip(zip(codes[ref], labels[ref], strict=True), vals[ref], strict=True))
    v = v.copy()
    for label in sorted(set(lab)):
        sel = lab == label
        r = np.array([refmap.get((c, label), np.nan) for c in cod[sel]])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.nanmedian(np.where(r > 0, v[sel] / r, np.nan)) if np.any(r > 0) else np.nan
        if np.isnan(ratio):
            thousands = np.nanmedian(v[sel]) < 1e6 if np.any(~np.isnan(v[sel])) else False
        else:
            thousands = ratio < THOUSANDS_RATIO
        if thousands:
            v[sel] = v[sel] * 1000.0
            log.add("repair", source, f"{desc} {label}: published in GBP thousands (median "
                    f"ratio to TotalLACFinance {ratio:.4g}); multiplied by 1,000")
    return v


def _value(f: pd.DataFrame) -> np.ndarray:
    den = f["denominator"].to_numpy()
    num = f["numerator"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isnan(den), num, num / den)


def combine_snapshots(new: pd.DataFrame, old: pd.DataFrame, log: IssueLog) -> pd.DataFrame:
    """The newest snapshot's values, filled from the older one; revisions reported."""
    key = ["la_code", "year", "indicator"]
    for f, nm in ((new, "newest"), (old, "older")):
        dup = f.duplicated(key, keep="first")
        for r in f[dup].itertuples():
            log.add("duplicate", r.source, f"LAIT {nm} snapshot: more than one row; first kept",
                    la_code=r.la_code, year=r.year, indicator=r.indicator)
    new = new.drop_duplicates(key)
    old = old.drop_duplicates(key)
    m = new.merge(old, on=key, how="outer", suffixes=("", "_old"), indicator=True)
    v_new = _value(m[["numerator", "denominator"]])
    v_old = _value(m[["numerator_old", "denominator_old"]].set_axis(
        ["numerator", "denominator"], axis=1))
    both = ~np.isnan(v_new) & ~np.isnan(v_old)
    scale = np.where(np.isnan(m["denominator"].to_numpy()), 1.0, m["denominator"].to_numpy())
    diff = np.abs(v_new - v_old) * scale
    tol = CONFLICT_ABS_TOL + CONFLICT_REL_TOL * np.abs(v_new * scale)
    revised = both & (diff > tol)
    for i in np.flatnonzero(revised):
        r = m.iloc[i]
        log.add("conflict", r["source"],
                f"LAIT revision: {v_new[i] * scale[i]:g} in this snapshot, "
                f"{v_old[i] * scale[i]:g} in {r['source_old']}; newest kept",
                la_code=int(r["la_code"]), year=int(r["year"]), indicator=r["indicator"])
    use_old = np.isnan(v_new) & ~np.isnan(v_old) | (m["_merge"] == "right_only").to_numpy()
    cols = ["numerator", "denominator", "unit", "source", "reason", "origin"]
    out = m[key].copy()
    for c in cols:
        out[c] = np.where(use_old, m[f"{c}_old"].to_numpy(dtype=object),
                          m[c].to_numpy(dtype=object))
    out["numerator"] = out["numerator"].astype(float)
    out["denominator"] = out["denominator"].astype(float)
    out.loc[~out["numerator"].isna(), "reason"] = None
    return out


def build(raw_dir, log: IssueLog, register=None,
          files: tuple[str, ...] = LAIT_FILES) -> list[pd.DataFrame]:
    """The LAIT values under ``raw_dir`` (the snapshots in ``files``, newest first)."""
    raw = Path(raw_dir)
    frames = []
    for rel in files:
        p = open_source(raw, rel, log)
        if p is not None:
            frames.append(read_snapshot(p, source=rel, log=log))
    if not frames:
        return []
    out = frames[0]
    for older in frames[1:]:
        out = combine_snapshots(out, older, log)
    return [out]
