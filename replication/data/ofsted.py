"""Builder: Ofsted judgements -- SIF inspections 2013-2018 and ILACS inspections 2018-2025.

Written here. Two tables, both LA attributes (``Panel.las``), not yearly values:

- **SIF** (single inspection framework, November 2013 - 2018): the derived table
  ``ofsted/DERIVED_sif_judgements_2013_2018.csv``, parsed by regular expressions from the
  front pages of the inspection reports (PDF). Because of that it is verified
  (:func:`verify_sif`) before use:

  1. judgements are in the allowed set (outstanding, good, requires improvement, inadequate);
  2. start <= end <= publication, fieldwork at most 42 days, publication 14-150 days after
     the end; first inspections from November 2013 (when SIF began) and before 2018;
  3. the inspection dates are re-parsed here from the front-page text
     (``DERIVED_parsed_front_pages_2012_2018.csv``, column ``inspection_dates_text``): the
     first date mentioned is the start and the last the end, a day without month or year
     taking them from the next full date; disagreements are reported and, with
     ``repair=True``, the re-parsed dates used (e.g. Sheffield: "19 November-11 December 2013
     and 28-30 January 2014" had been read as starting 19 November 2014, after its end);
  4. SIF's limiting rule: an inadequate key judgement (help and protection, children looked
     after and permanence, leadership) makes overall effectiveness inadequate, and an
     inadequate overall judgement needs an inadequate key judgement;
  5. one first inspection per LA; the sequence follows the dates; a second inspection should
     be a re-inspection;
  6. the publication date agrees with Ofsted's report listing for the same provider (URN)
     (``ofsted/ofsted_csc_ilacs_history.csv``, an independent scrape of the web pages);
  7. no SIF inspection of an LA on or after its first ILACS inspection (official ILACS
     history), and no SIF inspection coinciding with an ILACS one;
  8. the counts (LAs, first judgements, first start years) against the INVENTORY.

- **ILACS** (inspections of local authority children's services, from January 2018): the
  official Ofsted statistics (ODS), as converted to
  ``CSC_outcomes_and_enablers/DERIVED_ILACS_inspection_history_2025.csv``;
  :func:`read_ilacs_ods` reads the ODS itself where the optional package odfpy is installed.

The first SIF gives ``inspection_date`` (start), ``inspection_year`` (its calendar year),
``inspection_panel_year`` (the year ending 31 March containing it) and ``judgement``
(outstanding_good | requires_improvement | inadequate); the first ILACS gives ``ilacs_date``
and ``ilacs_judgement`` (outstanding | good | requires_improvement | inadequate). The other
judgement columns (``sif_overall``, ``sif_help_and_protection``, ..., ``ilacs_leaders``, ...)
hold the grades as text: outstanding | good | requires improvement | inadequate.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .readers import IssueLog, RawDataError, find_columns, open_source, read_csv, read_ods

SIF_FILE = "ofsted/DERIVED_sif_judgements_2013_2018.csv"
FRONT_PAGES_FILE = "ofsted/DERIVED_parsed_front_pages_2012_2018.csv"
LISTING_FILE = "ofsted/ofsted_csc_ilacs_history.csv"
ILACS_FILE = "CSC_outcomes_and_enablers/DERIVED_ILACS_inspection_history_2025.csv"
ILACS_ODS = "CSC_outcomes_and_enablers/data-raw/LA_Inspection_Outcomes_as_at_31_March_2025.ods"

GRADES = ("outstanding", "good", "requires improvement", "inadequate")
SIF_SUBJUDGEMENTS = ("help_and_protection", "looked_after_permanence", "adoption",
                     "care_leavers", "leadership")
SIF_KEY_JUDGEMENTS = ("help_and_protection", "looked_after_permanence", "leadership")
THREE = {"outstanding": "outstanding_good", "good": "outstanding_good",
         "requires improvement": "requires_improvement", "inadequate": "inadequate"}
FOUR = {"outstanding": "outstanding", "good": "good",
        "requires improvement": "requires_improvement", "inadequate": "inadequate"}
SIF_START = pd.Timestamp("2013-11-01")
MAX_FIELDWORK_DAYS = 42
PUBLICATION_LAG_DAYS = (14, 150)
LISTING_TOLERANCE_DAYS = 3

#: What INVENTORY.md states about the derived SIF table (first SIF per LA).
INVENTORY_SIF = {
    "inspections": 167, "las": 147,
    "first_judgements": {"requires improvement": 61, "good": 51, "inadequate": 32,
                         "outstanding": 3},
    "first_start_years": {2013: 4, 2014: 39, 2015: 38, 2016: 36, 2017: 30},
    "first_without_start": 1,
}

ILACS_COLUMNS = {
    "ons": "Local authority area code", "name": "Local authority name",
    "status": "Local authority status", "date": "Inspection date",
    "published": "Publication date", "type": "Inspection type",
    "overall": "Overall effectiveness",
    "leaders": "The impact of leaders on social work practice with children and families",
    "help_protection": ("The experiences and progress of children who need help and "
                        "protection"),
    "in_care": "The experiences and progress of children in care",
    "care_leavers": "The experiences and progress of care leavers",
}


def grade(value) -> str | None:
    """'Requires improvement to be good' -> 'requires improvement'; None for blank; anything
    else not in :data:`GRADES` is returned as found (lower case) for the caller to reject."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    t = re.sub(r"\s+", " ", str(value)).strip().lower()
    if not t:
        return None
    if t.startswith("requires improvement"):
        return "requires improvement"
    return t


def _na(x) -> bool:
    """A missing grade or date (None, NaN, NaT)."""
    return x is None or (not isinstance(x, str) and bool(pd.isna(x)))


def _grades(values: pd.Series, bad: pd.Series) -> pd.Series:
    """Grades as an object column with None where missing or rejected."""
    return pd.Series([None if (b or _na(v)) else v for v, b in zip(values, bad, strict=True)],
                     dtype=object)


def _date(series: pd.Series) -> pd.Series:
    s = series.astype(str).str.strip()
    s = s.where(s != "", None)
    return pd.to_datetime(s, errors="coerce", format="mixed", dayfirst=False)


# ---- SIF ---------------------------------------------------------------------------------

def read_sif(path, *, source: str | None = None, log: IssueLog | None = None) -> pd.DataFrame:
    """The derived SIF table, standardised: la_code, ons_code, urn, name, sif_seq,
    reinspection, start, end, published, overall and the sub-judgements (grades in
    :data:`GRADES`, None where not read), file, row. A grade outside the set is logged and set
    to None; a row without an LA code is an error."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    want = {"urn": "urn", "la_code": "la_code", "ons": "la_code_new",
            "name": "local_authority_ons_name", "seq": "sif_seq",
            "reinspection": "reinspection", "start": "inspection_start",
            "end": "inspection_end", "published": "report_published_date",
            "overall": "overall_effectiveness", "file": "file",
            **{k: k for k in SIF_SUBJUDGEMENTS}}
    cols = find_columns(table, want, optional=("file", "ons", "name", "seq", "reinspection",
                                               *SIF_SUBJUDGEMENTS))
    f = table.frame
    code = pd.to_numeric(f[cols["la_code"]].str.strip(), errors="coerce")
    if code.isna().any():
        i = int(np.flatnonzero(code.isna().to_numpy())[0])
        raise table.error(f"LA code {f[cols['la_code']].iloc[i]!r} is not a number", i,
                          cols["la_code"])
    out = pd.DataFrame({
        "la_code": code.astype(np.int64).to_numpy(),
        "ons_code": f[cols["ons"]].str.strip().to_numpy() if "ons" in cols else None,
        "urn": f[cols["urn"]].str.strip().to_numpy(),
        "name": f[cols["name"]].to_numpy() if "name" in cols else None,
        "sif_seq": pd.to_numeric(f[cols["seq"]], errors="coerce").to_numpy()
        if "seq" in cols else np.nan,
        "reinspection": (f[cols["reinspection"]].str.strip().str.lower() == "true").to_numpy()
        if "reinspection" in cols else False,
        "start": _date(f[cols["start"]]).to_numpy(),
        "end": _date(f[cols["end"]]).to_numpy(),
        "published": _date(f[cols["published"]]).to_numpy(),
        "file": f[cols["file"]].to_numpy() if "file" in cols else None,
        "row": table.rows,
    })
    for key in ("overall", *SIF_SUBJUDGEMENTS):
        if key not in cols:
            out[key] = pd.Series([None] * len(out), dtype=object)
            continue
        g = f[cols[key]].map(grade)
        bad = g.notna() & ~g.isin(GRADES)
        for i in np.flatnonzero(bad.to_numpy()):
            log.add("sif_check", table.source, f"grade {f[cols[key]].iloc[i]!r} not in the "
                    f"allowed set; read as missing", la_code=int(out["la_code"].iloc[i]),
                    column=cols[key], row=int(table.rows[i]))
        out[key] = _grades(g, bad).to_numpy()
    out["source"] = table.source
    return out


_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_TOKEN = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})|(\d{1,2})(?:st|nd|rd|th)?"
                    r"(?:\s+([a-z]+))?(?:\s+(\d{4}))?")


def parse_inspection_dates(text) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """(start, end) from a front page's 'Inspection dates' text: the first and the last date
    mentioned; a day without month or year takes them from the next date that has them; a
    single date is taken as the end (start None). Months may be abbreviated (Feb, Sept)."""
    if not isinstance(text, str) or not text.strip():
        return None, None
    t = re.split(r"report published", text, flags=re.IGNORECASE)[0].lower()
    t = re.sub(r"[\u2013\u2014\u2500-]", " - ", t)
    toks: list[list] = []
    for m in _TOKEN.finditer(t):
        if m.group(1):
            toks.append([int(m.group(1)), int(m.group(2)), int(m.group(3))])
            continue
        month = _month(m.group(5))
        toks.append([int(m.group(4)), month, int(m.group(6)) if m.group(6) else None])
    toks = [tk for tk in toks if 1 <= tk[0] <= 31]
    if not toks:
        return None, None
    single = len(toks) == 1
    for j in range(len(toks) - 2, -1, -1):
        for k in (1, 2):
            if toks[j][k] is None:
                toks[j][k] = toks[j + 1][k]
    toks = [tk for tk in toks if tk[1] is not None and tk[2] is not None]
    if not toks:
        return None, None

    def ts(tk):
        try:
            return pd.Timestamp(tk[2], tk[1], tk[0])
        except ValueError:
            return None
    if single:
        return None, ts(toks[0])
    return ts(toks[0]), ts(toks[-1])


def _month(word: str | None) -> int | None:
    """'march', 'mar', 'sept' -> 3, 3, 9 (a prefix of the month's name of 3+ letters, or
    'sept'); anything else None."""
    if not word or len(word) < 3:
        return None
    word = "sep" if word == "sept" else word
    for name, k in _MONTHS.items():
        if name.startswith(word):
            return k
    return None


def read_front_pages(path, *, source: str | None = None,
                     log: IssueLog | None = None) -> pd.DataFrame:
    """urn, file, framework, dates_text, start, end (re-parsed here) of the per-PDF parse."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    cols = find_columns(table, {"urn": "urn", "file": "file", "framework": "framework_guess",
                                "dates": "inspection_dates_text"})
    f = table.frame
    parsed = [parse_inspection_dates(t) for t in f[cols["dates"]]]
    return pd.DataFrame({"urn": f[cols["urn"]].str.strip().to_numpy(),
                         "file": f[cols["file"]].to_numpy(),
                         "framework": f[cols["framework"]].to_numpy(),
                         "dates_text": f[cols["dates"]].to_numpy(),
                         "start": [p[0] for p in parsed], "end": [p[1] for p in parsed]})


def read_listing(path, *, source: str | None = None,
                 log: IssueLog | None = None) -> pd.DataFrame:
    """urn, published (dd/mm/yy) and pdf file name of Ofsted's report listing (JT-39)."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    cols = find_columns(table, {"urn": "urn", "published": "publication_date",
                                "file": "pdf_filename"})
    f = table.frame
    pub = pd.to_datetime(f[cols["published"]].str.strip(), format="%d/%m/%y", errors="coerce")
    return pd.DataFrame({"urn": f[cols["urn"]].str.strip().to_numpy(), "published": pub,
                         "file": f[cols["file"]].to_numpy()})


def verify_sif(sif: pd.DataFrame, *, front_pages: pd.DataFrame | None = None,
               listing: pd.DataFrame | None = None, ilacs: pd.DataFrame | None = None,
               repair: bool = True, log: IssueLog | None = None,
               source: str = SIF_FILE) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check the SIF table (see the module docstring). Returns (the table, repaired where
    ``repair`` and re-sequenced by date; a table of findings: check, severity, la_code, name,
    detail). Every finding is also logged as ``sif_check``."""
    log = log if log is not None else IssueLog()
    sif = sif.copy()
    found: list[dict] = []

    def add(check, severity, r, detail):
        la = int(r["la_code"]) if r is not None else None
        nm = r["name"] if r is not None else None
        found.append({"check": check, "severity": severity, "la_code": la, "name": nm,
                      "detail": detail})
        log.add("sif_check", source, f"[{check}, {severity}] {detail}", la_code=la,
                row=int(r["row"]) if r is not None and "row" in r else None)

    # 3. re-parse the dates from the front-page text
    if front_pages is not None and "file" in sif.columns:
        fp = front_pages.drop_duplicates(["urn", "file"]).set_index(["urn", "file"])
        for i, r in sif.iterrows():
            key = (r["urn"], r["file"])
            if key not in fp.index:
                add("front_page", "warning", r, f"no front-page parse for {r['file']!r}")
                continue
            p = fp.loc[key]
            for what in ("start", "end"):
                mine = p[what]
                theirs = r[what]
                if _na(mine):
                    continue
                if pd.isna(theirs) or pd.Timestamp(theirs) != pd.Timestamp(mine):
                    shown = "missing" if pd.isna(theirs) else pd.Timestamp(theirs).date()
                    act = "; re-parsed date used" if repair else ""
                    add("dates_reparsed", "error" if not pd.isna(theirs) else "warning", r,
                        f"inspection {what} {shown} in the table, "
                        f"{pd.Timestamp(mine).date()} re-parsed from {p['dates_text']!r}{act}")
                    if repair:
                        sif.at[i, what] = pd.Timestamp(mine)
    # 1/2. grades and dates
    for _i, r in sif.iterrows():
        if _na(r["overall"]):
            add("grade", "error", r, "overall effectiveness not read")
        for k in SIF_SUBJUDGEMENTS:
            if _na(r[k]):
                add("grade", "info", r, f"{k} not read")
        s, e, p = r["start"], r["end"], r["published"]
        if pd.isna(s):
            add("dates", "warning", r, "no inspection start date")
        if not pd.isna(s) and not pd.isna(e):
            dur = (pd.Timestamp(e) - pd.Timestamp(s)).days
            if dur < 0:
                add("dates", "error", r, f"start {pd.Timestamp(s).date()} after end "
                    f"{pd.Timestamp(e).date()}")
            elif dur > MAX_FIELDWORK_DAYS:
                add("dates", "warning", r, f"fieldwork of {dur} days (start "
                    f"{pd.Timestamp(s).date()}, end {pd.Timestamp(e).date()})")
        if not pd.isna(e) and not pd.isna(p):
            lag = (pd.Timestamp(p) - pd.Timestamp(e)).days
            if not PUBLICATION_LAG_DAYS[0] <= lag <= PUBLICATION_LAG_DAYS[1]:
                add("dates", "warning", r, f"published {lag} days after the end of the "
                    f"inspection ({pd.Timestamp(e).date()} -> {pd.Timestamp(p).date()})")
    # 4. limiting judgement rule
    for _i, r in sif.iterrows():
        keys = [r[k] for k in SIF_KEY_JUDGEMENTS]
        if any(k == "inadequate" for k in keys) and not _na(r["overall"]) \
                and r["overall"] != "inadequate":
            add("limiting_rule", "error", r, f"a key judgement is inadequate but overall is "
                f"{r['overall']}")
        if r["overall"] == "inadequate" and all(not _na(k) and k != "inadequate"
                                                for k in keys):
            add("limiting_rule", "error", r, "overall inadequate without an inadequate key "
                "judgement")
    # 5. sequence by date
    sif["_key"] = pd.to_datetime(sif["start"]).fillna(pd.to_datetime(sif["end"]))
    sif = sif.sort_values(["la_code", "_key"], kind="stable").reset_index(drop=True)
    new_seq = sif.groupby("la_code").cumcount() + 1
    changed = sif["sif_seq"].notna() & (sif["sif_seq"] != new_seq)
    for i in np.flatnonzero(changed.to_numpy()):
        r = sif.iloc[i]
        add("sequence", "warning", r, f"sif_seq {int(r['sif_seq'])} in the table, "
            f"{int(new_seq.iloc[i])} by date")
    sif["sif_seq"] = new_seq.to_numpy()
    for _i, r in sif[(sif["sif_seq"] > 1) & ~sif["reinspection"].astype(bool)].iterrows():
        add("sequence", "info", r, f"inspection {int(r['sif_seq'])} (start "
            f"{pd.Timestamp(r['_key']).date()}) is not flagged as a re-inspection")
    for _i, r in sif[(sif["sif_seq"] == 1) & sif["reinspection"].astype(bool)].iterrows():
        add("sequence", "error", r, "first inspection flagged as a re-inspection")
    first = sif[sif["sif_seq"] == 1]
    for _i, r in first.iterrows():
        k = r["_key"]
        if not pd.isna(k) and (pd.Timestamp(k) < SIF_START or pd.Timestamp(k).year > 2017):
            add("dates", "warning", r, f"first SIF inspection dated {pd.Timestamp(k).date()}, "
                f"outside SIF's first round (November 2013 - 2017)")
    # 6. publication dates against Ofsted's listing
    if listing is not None:
        lst = listing.dropna(subset=["published"])
        by_urn = {u: g["published"].to_numpy() for u, g in lst.groupby("urn")}
        for _i, r in sif.iterrows():
            pubs = by_urn.get(r["urn"])
            if pubs is None:
                add("listing", "warning", r, f"URN {r['urn']} not in Ofsted's report listing")
                continue
            if pd.isna(r["published"]):
                continue
            gap = np.min(np.abs((pd.to_datetime(pubs) - pd.Timestamp(r["published"])).days))
            if gap > LISTING_TOLERANCE_DAYS:
                add("listing", "warning", r, f"published {pd.Timestamp(r['published']).date()}; "
                    f"no report of URN {r['urn']} listed within {LISTING_TOLERANCE_DAYS} days "
                    f"(nearest {int(gap)} days away)")
    # 7. against ILACS
    if ilacs is not None and len(ilacs):
        first_il = ilacs.dropna(subset=["date"]).groupby("la_code")["date"].min()
        for _i, r in sif.iterrows():
            d = first_il.get(r["la_code"])
            k = r["_key"]
            if d is None or pd.isna(k):
                continue
            if pd.Timestamp(k) >= pd.Timestamp(d) - pd.Timedelta(days=7):
                add("ilacs", "error", r, f"SIF inspection starting {pd.Timestamp(k).date()} on "
                    f"or after the LA's first ILACS inspection ({pd.Timestamp(d).date()})")
    sif = sif.drop(columns="_key")
    return sif, pd.DataFrame(found, columns=["check", "severity", "la_code", "name", "detail"])


def sif_counts(sif: pd.DataFrame) -> dict:
    """The counts INVENTORY.md states (first SIF per LA), for comparison. The start year of a
    first inspection without a start date is that of its end, as INVENTORY counts it."""
    first = sif[sif["sif_seq"] == 1]
    start = pd.to_datetime(first["start"])
    when = start.fillna(pd.to_datetime(first["end"]))
    return {
        "inspections": int(len(sif)),
        "las": int(sif["la_code"].nunique()),
        "first_judgements": {str(k): int(v) for k, v in
                             first["overall"].value_counts().items()},
        "first_start_years": {int(k): int(v) for k, v in
                              when.dt.year.dropna().value_counts().sort_index().items()},
        "first_without_start": int(start.isna().sum()),
    }


def compare_with_inventory(counts: dict) -> list[str]:
    """Differences between :func:`sif_counts` and :data:`INVENTORY_SIF` (empty if none)."""
    out = []
    for k, v in INVENTORY_SIF.items():
        if counts.get(k) != v:
            out.append(f"{k}: INVENTORY {v}, here {counts.get(k)}")
    return out


def first_sif(sif: pd.DataFrame) -> pd.DataFrame:
    """One row per LA: its first SIF inspection, as ``Panel.las`` columns."""
    f = sif[sif["sif_seq"] == 1].drop_duplicates("la_code")
    start = pd.to_datetime(f["start"])
    when = start.fillna(pd.to_datetime(f["end"]))
    out = pd.DataFrame({
        "la_code": f["la_code"].astype(np.int64).to_numpy(),
        "inspection_date": start.to_numpy(),
        "inspection_end": pd.to_datetime(f["end"]).to_numpy(),
        "inspection_published": pd.to_datetime(f["published"]).to_numpy(),
        "inspection_year": when.dt.year.astype("Int64").to_numpy(),
        "inspection_panel_year": (when.dt.year + (when.dt.month >= 4)).astype("Int64")
        .to_numpy(),
        "judgement": f["overall"].map(THREE).to_numpy(),
        "sif_overall": f["overall"].to_numpy(),
    })
    for k in SIF_SUBJUDGEMENTS:
        out[f"sif_{k}"] = f[k].to_numpy()
    counts = sif.groupby("la_code").size()
    out["sif_inspections"] = pd.array(counts.reindex(out["la_code"]).to_numpy(), dtype="Int64")
    return out


# ---- ILACS -------------------------------------------------------------------------------

def _ilacs_frame(table, log, register) -> pd.DataFrame:
    cols = find_columns(table, ILACS_COLUMNS, optional=("status", "published", "type",
                                                        "leaders", "help_protection",
                                                        "in_care", "care_leavers", "name"))
    f = table.frame
    ons = f[cols["ons"]].astype(str).str.strip().to_numpy()
    codes = [register.to_old(e) if register is not None else None for e in ons]
    out = pd.DataFrame({
        "la_code": pd.array(codes, dtype="Int64"),
        "ons_code": ons,
        "name": f[cols["name"]].to_numpy() if "name" in cols else None,
        "status": f[cols["status"]].to_numpy() if "status" in cols else None,
        "date": _date(f[cols["date"]]).to_numpy(),
        "published": _date(f[cols["published"]]).to_numpy() if "published" in cols else None,
        "type": f[cols["type"]].to_numpy() if "type" in cols else None,
        "row": table.rows,
    })
    for key in ("overall", "leaders", "help_protection", "in_care", "care_leavers"):
        if key not in cols:
            out[key] = pd.Series([None] * len(out), dtype=object)
            continue
        g = f[cols[key]].map(grade)
        bad = g.notna() & ~g.isin(GRADES)
        for i in np.flatnonzero(bad.to_numpy()):
            log.add("invalid_value", table.source, f"grade {f[cols[key]].iloc[i]!r} not in the "
                    f"allowed set; read as missing", column=cols[key], row=int(table.rows[i]))
        out[key] = _grades(g, bad).to_numpy()
    nodate = out["date"].isna().to_numpy()
    for i in np.flatnonzero(nodate):
        log.add("excluded", table.source, f"inspection date {f[cols['date']].iloc[i]!r} not a "
                f"date; row not used", row=int(table.rows[i]), column=cols["date"])
    unmapped = out["la_code"].isna().to_numpy() & ~nodate
    for i in np.flatnonzero(unmapped):
        log.add("excluded", table.source, f"ONS code {ons[i]!r} not matched to a DfE LA code; "
                f"row not used", row=int(table.rows[i]), column=cols["ons"])
    out = out[~nodate & ~unmapped].reset_index(drop=True)
    out["la_code"] = out["la_code"].astype(np.int64)
    dup = out.duplicated(["la_code", "date"], keep="first")
    for r in out[dup].itertuples():
        log.add("duplicate", table.source, f"ILACS inspection listed twice "
                f"({pd.Timestamp(r.date).date()}); first kept", la_code=int(r.la_code),
                row=int(r.row))
    out = out[~dup].reset_index(drop=True)
    out["source"] = table.source
    return out


def read_ilacs(path, register=None, *, source: str | None = None,
               log: IssueLog | None = None) -> pd.DataFrame:
    """The ILACS history CSV: la_code, ons_code, name, status, date, published, type,
    overall, leaders, help_protection, in_care, care_leavers (grades in :data:`GRADES`)."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    return _ilacs_frame(table, log, register)


def read_ilacs_ods(path, register=None, *, sheet="ILACS_inspection_history",
                   source: str | None = None, header: int = 0,
                   log: IssueLog | None = None) -> pd.DataFrame:
    """The same from the official ODS (needs odfpy; ``sheet``/``header``: where the history
    table is in the workbook)."""
    log = log if log is not None else IssueLog()
    table = read_ods(path, sheet, source=source, header=header, log=log)
    return _ilacs_frame(table, log, register)


def first_ilacs(ilacs: pd.DataFrame) -> pd.DataFrame:
    """One row per LA: its first ILACS inspection, as ``Panel.las`` columns."""
    f = ilacs.sort_values(["la_code", "date"], kind="stable").drop_duplicates("la_code")
    return pd.DataFrame({
        "la_code": f["la_code"].astype(np.int64).to_numpy(),
        "ilacs_date": pd.to_datetime(f["date"]).to_numpy(),
        "ilacs_published": pd.to_datetime(f["published"]).to_numpy(),
        "ilacs_type": f["type"].to_numpy(),
        "ilacs_judgement": f["overall"].map(FOUR).to_numpy(),
        "ilacs_leaders": f["leaders"].to_numpy(),
        "ilacs_help_protection": f["help_protection"].to_numpy(),
        "ilacs_in_care": f["in_care"].to_numpy(),
        "ilacs_care_leavers": f["care_leavers"].to_numpy(),
    })


def build(raw_dir, log: IssueLog, register=None, *, repair: bool = True):
    """(first SIF per LA, first ILACS per LA, the verified SIF table, the SIF findings);
    None for what is absent."""
    raw = Path(raw_dir)
    ilacs = None
    p = open_source(raw, ILACS_FILE, log)
    if p is not None:
        ilacs = read_ilacs(p, register, source=ILACS_FILE, log=log)
    sif = findings = first = None
    p = open_source(raw, SIF_FILE, log)
    if p is not None:
        sif = read_sif(p, source=SIF_FILE, log=log)
        fp = lst = None
        q = raw / FRONT_PAGES_FILE
        if q.is_file():
            try:
                fp = read_front_pages(q, source=FRONT_PAGES_FILE, log=log)
            except RawDataError as exc:
                log.add("note", FRONT_PAGES_FILE, f"not used for the SIF checks: {exc}")
        q = raw / LISTING_FILE
        if q.is_file():
            try:
                lst = read_listing(q, source=LISTING_FILE, log=log)
            except RawDataError as exc:
                log.add("note", LISTING_FILE, f"not used for the SIF checks: {exc}")
        sif, findings = verify_sif(sif, front_pages=fp, listing=lst, ilacs=ilacs,
                                   repair=repair, log=log)
        first = first_sif(sif)
    return first, (first_ilacs(ilacs) if ilacs is not None else None), sif, findings
