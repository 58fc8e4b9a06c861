"""Builder: section 251 outturn, children's and young people's services, FY 2008-09 to 2013-14.

Written here. One file per financial year, one row per LA and budget line; the layout (column
names, line numbers and wording) changes from year to year, so lines are found by their
description (case, punctuation, line numbers and spacing ignored) and the gross spend is the
column "Total Expenditure". FY (Y-1)-Y -> panel year Y. Amounts are in GBP; the indicators are
amounts over the child population (filled in by the build).

=====================  =========================================================================
indicator              line
=====================  =========================================================================
spend_per_child        CHILDREN AND YOUNG PEOPLE'S SERVICES BUDGET (excluding CERA)
spend_safeguarding     Total Children and Young People's Safety (2008-09 to 2010-11; it then
                       holds child death reviews, preventative services, child protection and
                       the LSCB), Total Children and Young People's Safety/children social care
                       (2011-12), Total Safeguarding Children and Young People's Services
                       (2012-13, 2013-14: social work and commissioning moved into it) -- the
                       series breaks in 2011-12
spend_cla              Total Children Looked After
spend_early_help       Total Family Support Services
=====================  =========================================================================

FY 2014-15 (panel year 2015) is not in any public repository found.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .readers import IssueLog, find_columns, la_rows, numbers, open_source, read_csv, value_frame
from .sources import S251_FILES

#: indicator -> regular expressions matched against the normalised line description.
LINES: dict[str, tuple[str, ...]] = {
    "spend_per_child": (r"(total )?children and young peoples services budget \(?excluding cera\)?",),
    "spend_safeguarding": (r"total children and young peoples safety( children social care)?",
                           r"total safeguarding children and young peoples services"),
    "spend_cla": (r"total children looked after",),
    "spend_early_help": (r"total family support services",),
}
CODE_NAMES = ("LA", "LEA", "LEA Number:", "LEA Number", "LA code")
NAME_NAMES = ("LA Name", "LEA Name", "LA Name:")
LINE_NAMES = ("CYPServiceDescription", "S52 Line Reference", "S52 Line Reference:")
TOTAL_NAMES = ("TotalExpenditure", "Total Expenditure (k)", "TOTAL EXPENDITURE (k)",
               "Total Expenditure")


def normalise_line(text: str) -> str:
    """'20 Total  Safeguarding Children and Young People\\u2019s Services' ->
    'total safeguarding children and young peoples services'."""
    t = str(text).replace("\u2019", "'").replace("\x92", "'").lower()
    t = re.sub(r"^\s*\d+\s*", "", t)
    t = t.replace("'", "").replace("/", " ")
    t = re.sub(r"[^a-z0-9() ]+", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def read_outturn(path, year: int, *, source: str | None = None,
                 log: IssueLog | None = None, register=None) -> list[pd.DataFrame]:
    """The four spend indicators of one outturn file (``year``: the panel year, i.e. the year
    in which the financial year ends)."""
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    cols = find_columns(table, {"code": CODE_NAMES, "line": LINE_NAMES, "total": TOTAL_NAMES,
                                "name": NAME_NAMES}, optional=("name",))
    sub, codes = la_rows(table, cols["code"], None, log)
    if register is not None and "name" in cols:
        first = ~pd.Series(codes).duplicated().to_numpy()
        register.add(codes[first], [None] * int(first.sum()), year,
                     sub.frame[cols["name"]].to_numpy()[first], None, sub.source)
    desc = np.array([normalise_line(t) for t in sub.frame[cols["line"]]], dtype=object)
    la_all = np.unique(codes)
    hits = {}
    for name, patterns in LINES.items():
        pats = [re.compile(p) for p in patterns]
        hit = np.array([any(p.fullmatch(d) for p in pats) for d in desc], dtype=bool)
        if not hit.any():
            raise table.error(f"no budget line for {name} (looked for "
                              f"{' or '.join(repr(p) for p in patterns)})", None, cols["line"])
        hits[name] = hit
    used = np.logical_or.reduce(list(hits.values()))
    lines = sub.subset(used)
    lcodes = codes[used]
    vals, rsn = numbers(lines, cols["total"], log)
    out = []
    for name, hit in hits.items():
        idx = np.flatnonzero(hit[used])
        frame = value_frame(lcodes[idx], year, name, vals[idx], None, "gbp_per_child",
                            lines.source, rsn[idx], "s251")
        missing = np.setdiff1d(la_all, lcodes[idx])
        if missing.size:
            for c in missing:
                log.add("note", lines.source, f"no {name} line for this LA", la_code=int(c),
                        year=year, indicator=name)
            frame = pd.concat([frame, value_frame(
                missing, year, name, np.full(missing.size, np.nan), None, "gbp_per_child",
                lines.source, np.full(missing.size, "budget line absent for this LA", object),
                "s251")], ignore_index=True)
        out.append(frame)
    return out


def build(raw_dir, log: IssueLog, register=None) -> list[pd.DataFrame]:
    """Every s251 outturn value under ``raw_dir``."""
    raw = Path(raw_dir)
    out: list[pd.DataFrame] = []
    for year, rel in sorted(S251_FILES.items()):
        p = open_source(raw, rel, log)
        if p is not None:
            out.extend(read_outturn(p, year, source=rel, log=log, register=register))
    return out
