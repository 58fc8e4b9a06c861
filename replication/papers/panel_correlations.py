"""The panel's correlation analyses: Spearman matrices of every indicator, year by year.

Not one of the four studies: it is what ``replicate run all`` runs on any panel (the
building block of hood2016's Figure 3 and the Wilkins studies' Spearman tables), with
R's exact p-values (:func:`models.correlation.cor_matrix`, pairwise complete).
"""

from __future__ import annotations

import warnings

import pandas as pd

from models.correlation import cor_matrix
from replication.papers._base import OptionDoc, StudyResult, panel_exclusions

DEFAULTS = {"method": "spearman", "use": "pairwise.complete.obs",
            "exact": "R's rule (n <= 1290, no ties)", "alpha": 0.05, "min_years_significant": 3}
OPTION_DOCS = {
    "method": OptionDoc("fixed here; models.correlation.cor_matrix also takes pearson, kendall",
                        "the papers' correlations are Spearman's"),
    "use": OptionDoc("fixed here; cor_matrix also takes complete.obs", "R's cor.test per pair"),
    "exact": OptionDoc("fixed here; cor_test(exact=False) gives the t approximation",
                       "as R's cor.test decides"),
    "alpha": OptionDoc("any level", "the papers' 0.05"),
    "min_years_significant": OptionDoc("any count of years", "hood2016's rule for CIN pairs"),
}


def run(panel, *, progress=None, min_years_significant: int = 3, alpha: float = 0.05) -> StudyResult:
    """Spearman matrix per year; pairs with p < ``alpha`` in at least ``min_years_significant`` years."""
    wide = panel.wide()
    years = sorted(wide["year"].unique())
    indicators = [c for c in wide.columns if c not in ("la_code", "year")]
    tables: dict[str, pd.DataFrame] = {}
    longs = []
    notes: list[str] = []
    for i, year in enumerate(years):
        if progress:
            progress(i, len(years), f"year {year}")
        sub = wide.loc[wide["year"] == year, indicators]
        sub = sub.loc[:, sub.notna().sum() >= 3]
        if sub.shape[1] < 2:
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cm = cor_matrix(sub, method="spearman")
        for w in caught:  # R's warnings (e.g. ties: t approximation used), kept as notes
            notes.append(f"{year}: {w.message}")
        long = cm.long.copy()
        long.insert(0, "year", int(year))
        longs.append(long)
        tables[f"spearman_{year}"] = cm.marked().reset_index(names="indicator")
    if progress:
        progress(len(years), len(years), "done")
    if longs:
        allyears = pd.concat(longs, ignore_index=True)
        tables["spearman_long"] = allyears
        sig = allyears.assign(sig=allyears["p_value"] < alpha, sign=allyears["estimate"].gt(0).map({True: "+", False: "-"}))
        summary = (sig.groupby(["var1", "var2"])
                   .agg(years_significant=("sig", "sum"), years=("year", "count"),
                        signs=("sign", lambda s: "".join(s)), median_rho=("estimate", "median"))
                   .reset_index())
        summary = summary[summary["years_significant"] >= min_years_significant]
        tables["pairs_significant"] = summary.sort_values(["years_significant", "median_rho"], ascending=[False, False]).reset_index(drop=True)
    else:
        notes.append("no year had two indicators with at least 3 values: nothing to correlate")
    return StudyResult(
        study="panel_correlations",
        data_label=panel.label,
        tables=tables,
        options={"method": "spearman", "use": "pairwise.complete.obs", "exact": "R's rule (n <= 1290, no ties)",
                 "alpha": alpha, "min_years_significant": min_years_significant},
        notes=notes,
        defaults=DEFAULTS,
        option_docs=OPTION_DOCS,
        exclusions=panel_exclusions(panel),
    )
