"""Builder: the children in need census, LA tables 2013-2025 (EES files b1, c1, c4, d3, d5).

Written here. Panel year = the collection year (``time_period`` 2013 = year ending 31 March
2013). Rates per 10,000 leave the denominator empty here; the build fills it with the child
population of the same LA and year. What each indicator is made of:

=============================  ======  =====================================================
indicator                      file    numerator / denominator
=============================  ======  =====================================================
cin_rate                       b1      At31_episodes / child population
cin_starts                     b1      Started_episodes / child population
referrals                      c1      referral_count / child population
re_referrals                   c1      rereferral_count / referral_count
referrals_nfa                  c1      no_further_action_count / referral_count
referrals_not_in_need          c1      not_in_need_count / referral_count
section47                      c4      Section47 / child population
icpc                           c4      ICPC / child population
icpc_within_15_days            c4      Duration_0-10_days + Duration_11-15_days / the sum of
                                       the four duration bands (ICPCs with a known duration)
icpc_21_days_plus              c4      Duration_21+_days / the sum of the four bands
days_to_icpc                   c4      Duration_median (working days; a level)
cpp_starts                     d3      CPP_start / child population
cpp_second_or_subsequent       d3      CPP_subsequent / CPP_start
cpp                            d5      CPP_At31 / child population
cpp_2_years_plus_at_31_march   d5      2_years_or_more / CPP_At31
=============================  ======  =====================================================

Suppressed cells (``c``, ``x``, ``z``, ``u``, ...) are missing with the code as the reason; a
ratio is missing when either part is.
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
    numbers,
    open_source,
    read_csv,
    value_frame,
)
from .sources import SOURCES

#: file key -> (indicator, unit, numerator column(s), denominator column(s) or None).
SPECS: dict[str, tuple[tuple[str, str, tuple[str, ...], tuple[str, ...] | None], ...]] = {
    "cin_b1": (
        ("cin_rate", "rate_per_10000", ("At31_episodes",), None),
        ("cin_starts", "rate_per_10000", ("Started_episodes",), None),
    ),
    "cin_c1": (
        ("referrals", "rate_per_10000", ("referral_count",), None),
        ("re_referrals", "percentage", ("rereferral_count",), ("referral_count",)),
        ("referrals_nfa", "percentage", ("no_further_action_count",), ("referral_count",)),
        ("referrals_not_in_need", "percentage", ("not_in_need_count",), ("referral_count",)),
    ),
    "cin_c4": (
        ("section47", "rate_per_10000", ("Section47",), None),
        ("icpc", "rate_per_10000", ("ICPC",), None),
        ("icpc_within_15_days", "percentage", ("Duration_0-10_days", "Duration_11-15_days"),
         ("Duration_0-10_days", "Duration_11-15_days", "Duration_16-20_days",
          "Duration_21+_days")),
        ("icpc_21_days_plus", "percentage", ("Duration_21+_days",),
         ("Duration_0-10_days", "Duration_11-15_days", "Duration_16-20_days",
          "Duration_21+_days")),
        ("days_to_icpc", "days", ("Duration_median",), None),
    ),
    "cin_d3": (
        ("cpp_starts", "rate_per_10000", ("CPP_start",), None),
        ("cpp_second_or_subsequent", "percentage", ("CPP_subsequent",), ("CPP_start",)),
    ),
    "cin_d5": (
        ("cpp", "rate_per_10000", ("CPP_At31",), None),
        ("cpp_2_years_plus_at_31_march", "percentage", ("2_years_or_more",), ("CPP_At31",)),
    ),
}


def _sum(table, cols, log):
    total = None
    rsn = None
    for c in cols:
        v, r = numbers(table, c, log)
        total = v if total is None else total + v
        rsn = r if rsn is None else add_reasons(rsn, r)
    return total, rsn


def read_file(path, key: str, *, source: str | None = None, log: IssueLog | None = None,
              register=None) -> list[pd.DataFrame]:
    """The indicators of one CIN census file (``key``: cin_b1, cin_c1, cin_c4, cin_d3,
    cin_d5)."""
    if key not in SPECS:
        raise ValueError(f"key: expected one of {sorted(SPECS)}, got {key!r}")
    log = log if log is not None else IssueLog()
    table = read_csv(path, source=source, log=log)
    sub, codes, years = ees_rows(table, log, register)
    needed = sorted({c for spec in SPECS[key] for c in spec[2] + (spec[3] or ())})
    cols = find_columns(sub, {c: c for c in needed})
    out = []
    for name, unit, num_cols, den_cols in SPECS[key]:
        num, rsn = _sum(sub, [cols[c] for c in num_cols], log)
        if den_cols is None:
            den, drs = None, None
        else:
            den, drs = _sum(sub, [cols[c] for c in den_cols], log)
        out.append(value_frame(codes, years, name, num, den, unit, sub.source, rsn, key, drs))
    return out


def build(raw_dir, log: IssueLog, register=None) -> list[pd.DataFrame]:
    """Every CIN census indicator found under ``raw_dir``."""
    raw = Path(raw_dir)
    out: list[pd.DataFrame] = []
    for key in SPECS:
        rel = SOURCES[key].files[0]
        p = open_source(raw, rel, log)
        if p is not None:
            out.extend(read_file(p, key, source=rel, log=log, register=register))
    return out


__all__ = ["SPECS", "build", "read_file", "np"]
