"""Local-authority codes: the DfE 3-digit codes, the ONS 9-character codes, and the
reorganisations between 2009 and 2025.

Written here. The panel's key is the DfE "old" 3-digit code (201-943). Every DfE file carries
it; the EES files, the SFR CLA tables, SFR07/SFR08 and the Ofsted files also carry ONS codes
(E06 unitary, E08 metropolitan district, E09 London borough, E10 county). The register of
which ONS code belongs to which 3-digit code is read from the raw files themselves at build
time (:class:`Register`); this module holds only the documented changes below, which no single
file states.

Reorganisations (an LA abolished and replaced; ``first_year`` = first panel year, i.e. year
ending 31 March, in which the successors report):

=================  ===================================  ==============================  ==========
date               predecessors (old code, ONS code)    successors                      first_year
=================  ===================================  ==============================  ==========
2009-04-01         Bedfordshire CC (820),               Bedford (822, E06000055),       2010
                   Cheshire CC (875)                    Central Bedfordshire (823,
                                                        E06000056), Cheshire East
                                                        (895, E06000049), Cheshire
                                                        West and Chester (896,
                                                        E06000050)
2019-04-01         Bournemouth (837, E06000028),        Bournemouth, Christchurch and   2020
                   Poole (836, E06000029),              Poole (839, E06000058),
                   Dorset CC (835, E10000009)           Dorset Council (838, E06000059)
2021-04-01         Northamptonshire (928, E10000021)    North Northamptonshire (940,    2022
                                                        E06000061), West
                                                        Northamptonshire (941,
                                                        E06000062)
2023-04-01         Cumbria (909, E10000006)             Cumberland (942, E06000063),    2024
                                                        Westmorland and Furness (943,
                                                        E06000064)
=================  ===================================  ==============================  ==========

The 2009 counties appear only in the s251 outturn for FY 2008-09 (panel year 2009); no ONS
code for them is in the files. Christchurch moved from Dorset County to BCP, so neither successor continues a predecessor's
series: predecessors and successors are separate LAs in the panel, each with its own years.
The workforce census publishes Northamptonshire's successors as one combined row
(``940 / 941``, the Northamptonshire Children's Trust); such rows cannot be split and are
excluded with the reason reported.

ONS code changes without a change of LA (same 3-digit code; both codes map to it):

==========  ====  =========  =========  =====================================================
LA          code  old ONS    new ONS    why
==========  ====  =========  =========  =====================================================
Gateshead   390   E08000020  E08000037  2013 boundary change with Northumberland
Northumb.   929   E06000048  E06000057  2013 boundary change with Gateshead
Bucks       825   E10000002  E06000060  2020: became a unitary authority
Barnsley    370   E08000016  E08000038  2021 boundary change with Sheffield (files to 2024
                                        still carry the old code)
Sheffield   373   E08000019  E08000039  2021 boundary change with Barnsley
N Yorks     815   E10000023  E06000065  2023: became a unitary authority
Somerset    933   E10000027  E06000066  2023: became a unitary authority
==========  ====  =========  =========  =====================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: The range of DfE LA codes (the successors of 2021 and 2023 are 940-943).
LA_CODE_RANGE = (201, 943)
#: 3-digit codes used for aggregates in some DfE files (England, regions): never an LA.
AGGREGATE_CODES = frozenset(range(970, 1000))
SMALL_LAS = {201: "City of London", 420: "Isles of Scilly"}
#: Regions of LAs abolished before any file with a region column was published.
ABOLISHED_REGIONS = {820: "East of England", 875: "North West"}


@dataclass(frozen=True)
class Reorganisation:
    """One reorganisation: ``predecessors`` abolished on ``date``; ``successors`` report from
    panel year ``first_year``."""

    date: str
    predecessors: Mapping[int, tuple[str | None, str]]
    successors: Mapping[int, tuple[str | None, str]]
    first_year: int
    note: str = ""


REORGANISATIONS: tuple[Reorganisation, ...] = (
    Reorganisation(
        "2009-04-01", {820: (None, "Bedfordshire")},
        {822: ("E06000055", "Bedford"), 823: ("E06000056", "Central Bedfordshire")}, 2010,
        "only the s251 outturn 2008-09 has the old county"),
    Reorganisation(
        "2009-04-01", {875: (None, "Cheshire")},
        {895: ("E06000049", "Cheshire East"), 896: ("E06000050", "Cheshire West and Chester")},
        2010, "only the s251 outturn 2008-09 has the old county"),
    Reorganisation(
        "2019-04-01",
        {837: ("E06000028", "Bournemouth"), 836: ("E06000029", "Poole"),
         835: ("E10000009", "Dorset")},
        {839: ("E06000058", "Bournemouth, Christchurch and Poole"),
         838: ("E06000059", "Dorset")},
        2020, "Christchurch moved from Dorset County to BCP"),
    Reorganisation(
        "2021-04-01",
        {928: ("E10000021", "Northamptonshire")},
        {940: ("E06000061", "North Northamptonshire"),
         941: ("E06000062", "West Northamptonshire")},
        2022, "children's services run jointly by the Northamptonshire Children's Trust; "
              "the workforce census publishes the two as one row"),
    Reorganisation(
        "2023-04-01",
        {909: ("E10000006", "Cumbria")},
        {942: ("E06000063", "Cumberland"), 943: ("E06000064", "Westmorland and Furness")},
        2024),
)

#: (3-digit code, old ONS code, new ONS code, first panel year of the new code, why).
ONS_CODE_CHANGES: tuple[tuple[int, str, str, int, str], ...] = (
    (390, "E08000020", "E08000037", 2013, "Gateshead: 2013 boundary change"),
    (929, "E06000048", "E06000057", 2013, "Northumberland: 2013 boundary change"),
    (825, "E10000002", "E06000060", 2020, "Buckinghamshire became a unitary authority"),
    (370, "E08000016", "E08000038", 2021, "Barnsley: 2021 boundary change"),
    (373, "E08000019", "E08000039", 2021, "Sheffield: 2021 boundary change"),
    (815, "E10000023", "E06000065", 2023, "North Yorkshire became a unitary authority"),
    (933, "E10000027", "E06000066", 2023, "Somerset became a unitary authority"),
)


def _static_pairs() -> dict[str, int]:
    out: dict[str, int] = {}
    for r in REORGANISATIONS:
        for code, (ons, _name) in {**r.predecessors, **r.successors}.items():
            if ons:
                out[ons] = code
    for code, old, new, _y, _why in ONS_CODE_CHANGES:
        out[old] = code
        out[new] = code
    return out


STATIC_ONS_TO_OLD: dict[str, int] = _static_pairs()


def is_la_code(code) -> bool:
    """True for an integer in the DfE LA range that is not an aggregate code."""
    try:
        c = int(code)
    except (TypeError, ValueError):
        return False
    return LA_CODE_RANGE[0] <= c <= LA_CODE_RANGE[1] and c not in AGGREGATE_CODES


def predecessors_of(code: int) -> tuple[int, ...]:
    """The LAs abolished to create ``code`` (empty if none)."""
    for r in REORGANISATIONS:
        if int(code) in r.successors:
            return tuple(sorted(r.predecessors))
    return ()


def successors_of(code: int) -> tuple[int, ...]:
    """The LAs that replaced ``code`` (empty if it was not abolished)."""
    for r in REORGANISATIONS:
        if int(code) in r.predecessors:
            return tuple(sorted(r.successors))
    return ()


def status_of(code: int) -> str:
    """'current', 'abolished YYYY-MM-DD (successors ...)' or 'created YYYY-MM-DD (from ...)'."""
    code = int(code)
    for r in REORGANISATIONS:
        if code in r.predecessors:
            succ = ", ".join(str(c) for c in sorted(r.successors))
            return f"abolished {r.date} (successors {succ})"
        if code in r.successors:
            pred = ", ".join(str(c) for c in sorted(r.predecessors))
            return f"created {r.date} (from {pred})"
    return "current"


def valid_years(code: int) -> tuple[int | None, int | None]:
    """First and last panel year in which ``code`` can report (None = open)."""
    code = int(code)
    for r in REORGANISATIONS:
        if code in r.predecessors:
            return None, r.first_year - 1
        if code in r.successors:
            return r.first_year, None
    return None, None


@dataclass
class Register:
    """The ONS <-> DfE code register, from the static tables plus (code, ONS code) pairs seen
    in the raw files. ``names``/``regions``: latest name and region seen per 3-digit code."""

    ons_to_old: dict[str, int] = field(default_factory=lambda: dict(STATIC_ONS_TO_OLD))
    latest_ons: dict[int, tuple[int, str]] = field(default_factory=dict)
    names: dict[int, tuple[int, str]] = field(default_factory=dict)
    regions: dict[int, tuple[int, str]] = field(default_factory=dict)
    clashes: list[str] = field(default_factory=list)

    def add(self, old: Iterable, ons: Iterable, years: Iterable | int = 0,
            names: Iterable | None = None, regions: Iterable | None = None,
            source: str = "") -> None:
        """Record pairs (3-digit code, ONS code[, name, region]) seen in a file in ``years``."""
        old = list(old)
        ons = list(ons)
        n = len(old)
        yrs = [years] * n if isinstance(years, (int, np.integer)) else list(years)
        nms = list(names) if names is not None else [None] * n
        rgs = list(regions) if regions is not None else [None] * n
        for o, e, y, nm, rg in zip(old, ons, yrs, nms, rgs, strict=True):
            if not is_la_code(o):
                continue
            o = int(o)
            y = int(y) if y is not None and not pd.isna(y) else 0
            if isinstance(e, str) and e.strip().startswith("E") and len(e.strip()) == 9:
                e = e.strip()
                have = self.ons_to_old.get(e)
                if have is not None and have != o:
                    self.clashes.append(f"{source}: ONS code {e} given for LA {o}, "
                                        f"but registered for LA {have}")
                else:
                    self.ons_to_old[e] = o
                    if y >= self.latest_ons.get(o, (-1, ""))[0]:
                        self.latest_ons[o] = (y, e)
            if isinstance(nm, str) and nm.strip() and y >= self.names.get(o, (-1, ""))[0]:
                self.names[o] = (y, nm.strip())
            if isinstance(rg, str) and rg.strip() and y >= self.regions.get(o, (-1, ""))[0]:
                self.regions[o] = (y, rg.strip())

    def to_old(self, ons: str) -> int | None:
        """The 3-digit code of an ONS code, or None if unknown."""
        if not isinstance(ons, str):
            return None
        return self.ons_to_old.get(ons.strip())

    def ons_code(self, old: int) -> str | None:
        """The latest ONS code seen for a 3-digit code (static tables as a fallback)."""
        old = int(old)
        if old in self.latest_ons:
            return self.latest_ons[old][1]
        for r in REORGANISATIONS:
            for c, (e, _n) in {**r.predecessors, **r.successors}.items():
                if c == old and e:
                    return e
        return None

    def name(self, old: int) -> str | None:
        old = int(old)
        if old in self.names:
            return self.names[old][1]
        for r in REORGANISATIONS:
            for c, (_e, n) in {**r.predecessors, **r.successors}.items():
                if c == old:
                    return n
        return SMALL_LAS.get(old)

    def region(self, old: int) -> str | None:
        old = int(old)
        return self.regions[old][1] if old in self.regions else ABOLISHED_REGIONS.get(old)

    def table(self, codes: Iterable[int]) -> pd.DataFrame:
        """One row per code: la_code, ons_code, name, region, status."""
        codes = sorted({int(c) for c in codes})
        return pd.DataFrame({
            "la_code": np.array(codes, dtype=np.int64),
            "ons_code": [self.ons_code(c) for c in codes],
            "name": [self.name(c) for c in codes],
            "region": [self.region(c) for c in codes],
            "status": [status_of(c) for c in codes],
        })


def reorganisation_table() -> pd.DataFrame:
    """The reorganisations as a table (one row per predecessor-successor pair)."""
    rows = []
    for r in REORGANISATIONS:
        for p, (pe, pn) in r.predecessors.items():
            for s, (se, sn) in r.successors.items():
                rows.append({"date": r.date, "predecessor": p, "predecessor_ons": pe,
                             "predecessor_name": pn, "successor": s, "successor_ons": se,
                             "successor_name": sn, "first_year": r.first_year,
                             "note": r.note})
    return pd.DataFrame(rows)
