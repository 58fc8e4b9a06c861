"""Builder: deprivation, the English Indices of Deprivation 2019 (IMD) for upper-tier LAs.

Written here. Reads MHCLG's upper-tier summaries of IMD 2019 (151 upper-tier LAs, 2019
boundaries; ``imd19.csv``) into LA attributes of ``Panel.las``:

- ``imd_rank``: "IMD - Rank of average score" (1 = most deprived of the 151);
- ``imd_score``: "IMD - Average score";
- ``imd_rank_average_rank``: "IMD - Rank of average rank";
- ``deprivation_tertile`` (by the build): tertiles of ``imd_rank`` among the panel's LAs with
  a rank, City of London and Isles of Scilly left out (1 = most deprived third). The studies
  re-rank within their own samples.

ONS codes are mapped to the 3-digit codes through the register (:mod:`replication.data.lacodes`);
the 2019 boundaries mean Bournemouth, Christchurch and Poole and the new Dorset Council have
ranks, and their predecessors (835, 836, 837) have none.

**What the papers' IMD 2015 would need.** Wilkins and Antonopoulou rank LAs by IMD 2015. That
needs the IoD2015 upper-tier summaries (DCLG, 30 September 2015, "File 11: upper-tier local
authority summaries", 152 LAs on 2015 boundaries), which are in no public repository found;
or the IoD2015 LSOA scores (File 5) with the LSOA populations used for the average score,
aggregated to the 152 upper-tier LAs. The IoD2015 file held here (traffordDataLab) is
re-aggregated to 317 lower-tier districts (2019 boundaries): counties are not units in it,
so an upper-tier IMD 2015 rank can be reproduced only for unitaries, metropolitan districts
and London boroughs, and even then as a rank among 317 districts, not 152 LAs. This module
therefore provides IMD 2019, and the studies state which index they use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .readers import IssueLog, find_columns, numbers, open_source, read_csv
from .sources import SOURCES

IMD_COLUMNS = {
    "code": ("Upper Tier Local Authority District code (2019)", "re:.*upper tier.*code.*"),
    "name": ("Upper Tier Local Authority District name (2019)", "re:.*upper tier.*name.*"),
    "rank": ("IMD - Rank of average score",),
    "score": ("IMD - Average score",),
    "rank_avg_rank": ("IMD - Rank of average rank",),
}


def read_imd19(path, register=None, *, source: str | None = None,
               log: IssueLog | None = None) -> pd.DataFrame:
    """la_code, imd_rank, imd_score, imd_rank_average_rank, imd_source (one row per LA)."""
    from .lacodes import Register

    log = log if log is not None else IssueLog()
    register = register if register is not None else Register()
    table = read_csv(path, source=source, log=log)
    cols = find_columns(table, IMD_COLUMNS, optional=("name", "rank_avg_rank"))
    ons = table.frame[cols["code"]].astype(str).str.strip().to_numpy()
    rank, _ = numbers(table, cols["rank"], log)
    score, _ = numbers(table, cols["score"], log)
    rar = (numbers(table, cols["rank_avg_rank"], log)[0] if "rank_avg_rank" in cols
           else np.full(len(table), np.nan))
    codes = np.array([register.to_old(e) or -1 for e in ons], dtype=np.int64)
    unknown = codes < 0
    for i in np.flatnonzero(unknown):
        log.add("excluded", table.source, f"ONS code {ons[i]!r} not matched to a DfE LA code; "
                f"row not used", row=int(table.rows[i]), column=cols["code"])
    ok = ~unknown
    out = pd.DataFrame({"la_code": codes[ok], "imd_rank": rank[ok], "imd_score": score[ok],
                        "imd_rank_average_rank": rar[ok]})
    dup = out["la_code"].duplicated(keep="first")
    for c in out.loc[dup, "la_code"]:
        log.add("duplicate", table.source, "more than one IMD row for this LA; first kept",
                la_code=int(c))
    out = out[~dup].reset_index(drop=True)
    out["imd_source"] = "IMD 2019 (rank of average score among 151 upper-tier LAs)"
    return out


def tertiles(rank: pd.Series, exclude: pd.Series | None = None) -> pd.Series:
    """Tertile 1-3 of an IMD rank (1 = most deprived third), over the non-missing ranks not
    in ``exclude``; ties broken by order of rank (as ``rank(method='first')``)."""
    r = pd.to_numeric(rank, errors="coerce").astype(float)
    use = r.notna() if exclude is None else (r.notna() & ~exclude.astype(bool))
    out = pd.Series(pd.NA, index=rank.index, dtype="Int64")
    if use.sum() >= 3:
        pos = r[use].rank(method="first")
        out.loc[use] = pd.qcut(pos, 3, labels=[1, 2, 3]).astype(int).to_numpy()
    return out


def build(raw_dir, log: IssueLog, register=None) -> pd.DataFrame | None:
    """IMD 2019 LA attributes, or None if the file is absent."""
    rel = SOURCES["imd"].files[0]
    p = open_source(Path(raw_dir), rel, log)
    if p is None:
        return None
    return read_imd19(p, register, source=rel, log=log)
