"""Builder: the children's social work workforce (CSWW) at 30 September.

Written here. Panel year = September year + 1 (30 September 2017 lies in the year ending
31 March 2018). Sources: ``csww`` (EES indicators, September 2017-2025), ``csww_2022`` (the
2022 release of the headline measures: used only to check for revisions), ``sfr07``
(SFR07/2016: September 2015) and ``sfr08`` (SFR08/2017: September 2016).

The rates are rebuilt from the published FTE counts, so that each is a numerator over a
denominator (they agree with the published rates to their rounding):

=======================  ============================  ===========================  ==========
indicator                csww (2017+)                  SFR07/SFR08 (2015, 2016)     unit
=======================  ============================  ===========================  ==========
social_workers           inpost_fte                    A1_FTE_ChildrensSocialWorkers fte
social_worker_turnover   leavers_fte / inpost_fte      B2_FTE_Leavers / A1          percentage
agency_worker_rate       agency_fte / (agency_fte +    D1_FTE_AgencyWorkers /       percentage
                         inpost_fte)                   (D1 + A1)
vacancy_rate             vacancy_fte / (vacancy_fte +  A2_FTE_Vacancies / (A2 + A1) percentage
                         inpost_fte)
caseload                 caseload_fte                  Average_caseload (SFR08)     score
cin_per_social_worker    -                             CiNperCSW_FTE_2015 (SFR07)   score
=======================  ============================  ===========================  ==========

Joint services (:data:`JOINT_SERVICES`): Kingston upon Thames and Richmond upon Thames
(Achieving for Children) have been published as one workforce from September 2016, and North
and West Northamptonshire (the Northamptonshire Children's Trust) from September 2021: as a
row coded ``314 / 318`` or ``940 / 941``, or as the first LA's row holding the joint figures
with the partner's row blank (SFR08, the 2022 release). Joint figures cannot be split, so every
workforce value of both LAs from that September on is missing, with the reason reported.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .readers import (
    IssueLog,
    add_reasons,
    ees_rows,
    find_columns,
    la_rows,
    numbers,
    open_source,
    read_csv,
    value_frame,
)
from .sources import SOURCES

#: The column names of each EES release: in post, leavers, agency, vacancies, caseload.
EES_COLUMNS = {
    "csww": {"inpost": "inpost_fte", "leavers": "leavers_fte", "agency": "agency_fte",
             "vacancy": "vacancy_fte", "caseload": "caseload_fte"},
    "csww_2022": {"inpost": "social_worker_fte", "leavers": "leaver_fte",
                  "agency": "agency_fte", "vacancy": "vacancy_fte",
                  "caseload": "caseload_fte"},
}
SFR_SEPTEMBER = {"sfr07": 2015, "sfr08": 2016}
#: LAs published as one workforce: (codes, first September, name of the joint service).
JOINT_SERVICES = (((314, 318), 2016, "Achieving for Children (Kingston upon Thames and "
                                     "Richmond upon Thames)"),
                  ((940, 941), 2021, "Northamptonshire Children's Trust (North and West "
                                     "Northamptonshire)"))


def joint_service_reason(code: int, september: int) -> str | None:
    """Why a workforce value of LA ``code`` at 30 September ``september`` is not its own."""
    for codes, first, name in JOINT_SERVICES:
        if int(code) in codes and int(september) >= first:
            return (f"published jointly by {name} from September {first}; not attributable "
                    f"to one LA")
    return None


def blank_joint_services(frames: list[pd.DataFrame], log: IssueLog) -> list[pd.DataFrame]:
    """Make the values of LAs in a joint service missing (panel year = September + 1)."""
    out = []
    for f in frames:
        f = f.copy()
        why = [joint_service_reason(c, y - 1) for c, y in zip(f["la_code"], f["year"],
                                                               strict=True)]
        hit = np.array([w is not None for w in why], dtype=bool)
        if hit.any():
            idx = np.flatnonzero(hit)
            had = f["numerator"].to_numpy()[idx]
            f.loc[hit, "numerator"] = np.nan
            f.loc[hit, "reason"] = [why[i] for i in idx]
            for i, h in zip(idx, had, strict=True):
                if not np.isnan(h):
                    log.add("excluded", f["source"].iloc[i], why[i] + f" (value {h:g} dropped)",
                            la_code=int(f["la_code"].iloc[i]), year=int(f["year"].iloc[i]),
                            indicator=f["indicator"].iloc[i])
        out.append(f)
    return out


def _frames(codes, years, src, origin, inpost, leavers, agency, vacancy, caseload=None,
            extra=()):
    (ip, ipr), (lv, lvr), (ag, agr), (vc, vcr) = inpost, leavers, agency, vacancy
    out = [
        value_frame(codes, years, "social_workers", ip, None, "fte", src, ipr, origin),
        value_frame(codes, years, "social_worker_turnover", lv, ip, "percentage", src, lvr,
                    origin, ipr),
        value_frame(codes, years, "agency_worker_rate", ag, ag + ip, "percentage", src, agr,
                    origin, add_reasons(agr, ipr)),
        value_frame(codes, years, "vacancy_rate", vc, vc + ip, "percentage", src, vcr, origin,
                    add_reasons(vcr, ipr)),
    ]
    if caseload is not None:
        out.append(value_frame(codes, years, "caseload", caseload[0], None, "score", src,
                               caseload[1], origin))
    for name, (v, r) in extra:
        out.append(value_frame(codes, years, name, v, None, "score", src, r, origin))
    return out


def read_csww(path, key: str = "csww", *, source: str | None = None,
              log: IssueLog | None = None, register=None) -> list[pd.DataFrame]:
    """A CSWW EES file (``key``: csww or csww_2022); September Y -> panel year Y + 1."""
    if key not in EES_COLUMNS:
        raise ValueError(f"key: expected one of {sorted(EES_COLUMNS)}, got {key!r}")
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    sub, codes, years = ees_rows(table, log, register)
    cols = find_columns(sub, EES_COLUMNS[key])
    get = {k: numbers(sub, c, log) for k, c in cols.items()}
    return blank_joint_services(
        _frames(codes, years + 1, sub.source, key, get["inpost"], get["leavers"],
                get["agency"], get["vacancy"], get["caseload"]), log)


def read_sfr(path, key: str, *, source: str | None = None, log: IssueLog | None = None,
             register=None) -> list[pd.DataFrame]:
    """SFR07/2016 (``key`` sfr07, September 2015) or SFR08/2017 (sfr08, September 2016)."""
    if key not in SFR_SEPTEMBER:
        raise ValueError(f"key: expected one of {sorted(SFR_SEPTEMBER)}, got {key!r}")
    log = log if log is not None else IssueLog()
    sept = SFR_SEPTEMBER[key]
    table = read_csv(path, source=source, log=log)
    want = {"code": "LA_code (3 digit)", "ons": "LA_code (9 digit)", "name": "LA_name",
            "region": "Region_name",
            "inpost": f"A1_FTE_ChildrensSocialWorkers_{sept}",
            "leavers": f"B2_FTE_Leavers_{sept}", "agency": f"D1_FTE_AgencyWorkers_{sept}",
            "vacancy": f"A2_FTE_Vacancies_{sept}"}
    optional = ["ons", "name", "region"]
    if key == "sfr07":
        want["cin_per_sw"] = f"CiNperCSW_FTE_{sept}"
    else:
        want["caseload"] = "Average_caseload"
    cols = find_columns(table, want, optional=optional)
    sub, codes = la_rows(table, cols["code"], None, log)
    year = sept + 1
    if register is not None and "ons" in cols:
        register.add(codes, sub.frame[cols["ons"]], year,
                     sub.frame[cols["name"]] if "name" in cols else None,
                     sub.frame[cols["region"]] if "region" in cols else None, sub.source)
    get = {k: numbers(sub, cols[k], log) for k in ("inpost", "leavers", "agency", "vacancy")}
    if key == "sfr07":
        frames = _frames(codes, np.full(len(codes), year), sub.source, key, get["inpost"],
                         get["leavers"], get["agency"], get["vacancy"],
                         extra=[("cin_per_social_worker",
                                 numbers(sub, cols["cin_per_sw"], log))])
    else:
        frames = _frames(codes, np.full(len(codes), year), sub.source, key, get["inpost"],
                         get["leavers"], get["agency"], get["vacancy"],
                         caseload=numbers(sub, cols["caseload"], log))
    return blank_joint_services(frames, log)


def build(raw_dir, log: IssueLog, register=None) -> list[pd.DataFrame]:
    """Every workforce value found under ``raw_dir``."""
    raw = Path(raw_dir)
    out: list[pd.DataFrame] = []
    for key in ("csww", "csww_2022"):
        rel = SOURCES[key].files[0]
        p = open_source(raw, rel, log)
        if p is not None:
            out.extend(read_csww(p, key, source=rel, log=log, register=register))
    for key in SFR_SEPTEMBER:
        rel = SOURCES[key].files[0]
        p = open_source(raw, rel, log)
        if p is not None:
            out.extend(read_sfr(p, key, source=rel, log=log, register=register))
    return out
