"""Consistency checks of the published numbers (METHODS.md section 4).

Written here; scipy gives the distributions (as R's ``pt``, ``pf``, ``pchisq``,
``pnorm``) and :mod:`models.correlation` the p-value of R's ``cor.test`` for Spearman
(exact ``prho``, AS 89), imported when needed: without it the exact check is reported
not checkable and the t approximation stands alone. Every check is rounding-aware: a
printed number stands for the interval of values that round to it (an inequality for
the interval it names, see :mod:`.rounding`), a recomputed value is the range its
function takes over the box of its inputs' intervals, and a reported number is
*consistent* when its interval meets that range. Counts ('n', 'count') are exact.

Which records a check combines is set in the CSVs by ``group`` and ``role`` (one or
more '|'-separated keys per record, see :mod:`.records`). Within one group, among
the records of role '':

=====================  ==========================================================
records in the group   check
=====================  ==========================================================
t | F | chi2 | z |     p from the statistic and its ``df`` (two-sided t and z;
Wald, and p            Wald as chi-square with ``df``, 1 when not printed)
t with ``df``          df against n: pooled t n - 2 (n = the two arms' n, else the
                       t's own); F df2 against n - k (k = the ``g_*`` groups, else
                       df1 + 1); chi2 df against the group's record of role 'k'
B, SE, Wald            Wald = (B/SE)^2
B, OR                  OR = exp(B)
B, SE, ci_low/high     the 95% CI exp(B -/+ 1.96 SE) (z = 1.959964), limit by limit
t, mean and sd of      t from two means, SDs and ns (pooled and Welch); the n of
roles 'a' and 'b'      each arm is the ``n`` of its mean
F, mean and sd of      F of a one-way ANOVA from group means and SDs; group sizes
roles 'g_*'            from the means' ``n``, else searched over all splits of n
rho and p              Spearman p from rho and ``n``: R's exact p (prho) and the t
                       approximation; 'spearman_tied' notes that ties rule out exact
R2_nagelkerke |        from the model chi2 (and its ``n``) and the outcome split:
R2_coxsnell, chi2      the records of role 'split'
OR, percent of role    the change in odds 100 (OR - 1), signed by the role
'pct_decrease|_incr.'
median, q1, q3         q1 <= median <= q3
percent and a record   the percent from count / n exactly (n of the percent)
of role 'count'
=====================  ==========================================================

Across roles: 'total' with 'part's: the parts sum to the total (percent parts with no
total: to 100); 'copy': the same quantity printed twice (text and table, or twice in a
table) agrees with its first printing (percent and proportion compared on one scale).
Alone: a 'percent' with ``n`` is a share of n units, so some count k/n must round to
it (GRIM); a 'mean' of role 'integer' likewise k/n; a number with a significance
``mark`` must have a p inside the mark's range (the marks used at that location set
the ranges: '*' alone means p < .05, with '**' also used it means .01 <= p < .05).
Every record no check reaches gets one 'not_checkable' record saying why.

When a number is inconsistent the note says what would make it consistent: another n
or df, a one-tailed test, the other printing of an input, the value implied.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .records import PERCENT_SCALE, STUDIES, load_published
from .rounding import Printed, fmt, fmt_range, overlaps, parse_printed, value_range

STATUSES = ("consistent", "inconsistent", "not_checkable")

#: Two-sided 95% normal quantile used for Wald intervals (SPSS and R use the exact quantile).
Z975 = float(stats.norm.ppf(0.975))

#: Quantities that are exact integers, not rounded values.
EXACT_QUANTITIES = frozenset({"n", "count"})

#: Significance thresholds of the usual marks.
MARK_THRESHOLDS = {"*": 0.05, "**": 0.01, "***": 0.001}

#: Largest n searched when looking for an n that would make a number consistent.
SEARCH_N_MAX = 2000

#: Largest df searched when looking for a df that would make a p-value consistent.
SEARCH_DF_MAX = 1000


@dataclass(frozen=True)
class CheckRecord:
    """One check of one printed number."""

    paper: str
    location: str
    quantity: str
    reported: str
    recomputed: float | str
    status: str
    note: str

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}; got {self.status!r}")

    def as_dict(self) -> dict:
        return {"paper": self.paper, "location": self.location, "quantity": self.quantity,
                "reported": self.reported, "recomputed": self.recomputed,
                "status": self.status, "note": self.note}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class _Rec:
    key: tuple[str, str]          # (study, id)
    order: int
    location: str
    section: str
    row: str
    column: str
    quantity: str
    text: str
    printed: Printed
    n: int | None
    test: str
    df: tuple[float, ...]
    mark: str
    member: tuple[tuple[str, str], ...]   # (group, role)
    note: str

    @property
    def study(self) -> str:
        return self.key[0]

    @property
    def where(self) -> str:
        label = self.row + (f" / {self.column}" if self.column else "")
        if self.location.startswith(("Table", "Figure")) or self.location == self.section:
            return f"{self.location}: {label}"
        return f"{self.location} ({self.section}): {label}"

    @property
    def value(self) -> float:
        return self.printed.value

    @property
    def is_bound(self) -> bool:
        return self.printed.bound in ("<", ">")

    def interval(self, lower: float = -math.inf, upper: float = math.inf) -> tuple[float, float]:
        if self.quantity in EXACT_QUANTITIES and not self.is_bound:
            return self.value, self.value
        return self.printed.interval(lower, upper)

    def allows(self, lo: float, hi: float | None = None, lower: float = -math.inf,
               upper: float = math.inf) -> bool:
        hi = lo if hi is None else hi
        if self.quantity in EXACT_QUANTITIES and not self.is_bound:
            return overlaps((lo, hi), (self.value, self.value))
        return self.printed.allows(lo, hi, lower=lower, upper=upper)

    def roles_in(self, group: str) -> list[str]:
        return [r for g, r in self.member if g == group]


def _to_recs(df: pd.DataFrame) -> list[_Rec]:
    out = []
    for i, row in enumerate(df.itertuples(index=False)):
        r = row._asdict()
        groups = r["group"].split("|") if r["group"] else []
        roles = r["role"].split("|") if r["role"] else [""] * len(groups)
        p = parse_printed(r["value_str"])
        if r["bound"] == "~":
            p = Printed(p.text, p.value, p.decimals, "~")
        n = None if pd.isna(r["n"]) else int(r["n"])
        dfs = tuple(float(x) for x in r["df"].split(",")) if r["df"] else ()
        out.append(_Rec((r["study"], r["id"]), i, r["location"], r["page_or_section"], r["row"],
                        r["column"], r["quantity"], r["value_str"], p, n, r["test"], dfs,
                        r["mark"], tuple(zip(groups, roles, strict=True)), r["note"]))
    return out


# --------------------------------------------------------------------------- formulas


def _two_sided_t(t, df):
    return 2.0 * stats.t.sf(np.abs(t), df)


def _p_function(quantity: str, df: tuple[float, ...]) -> tuple[Callable | None, str]:
    """p as a function of the statistic, and a description; (None, why) if not possible."""
    if quantity == "t":
        if len(df) != 1:
            return None, "t printed without its df"
        return (lambda x: _two_sided_t(x, df[0])), f"two-sided p of t({fmt(df[0])})"
    if quantity == "z":
        return (lambda x: 2.0 * stats.norm.sf(np.abs(x))), "two-sided p of z"
    if quantity == "F":
        if len(df) != 2:
            return None, "F printed without both df"
        return (lambda x: stats.f.sf(x, df[0], df[1])), f"p of F({fmt(df[0])}, {fmt(df[1])})"
    if quantity in ("chi2", "Wald"):
        d = df[0] if df else 1.0
        if quantity == "chi2" and not df:
            return None, "chi-square printed without its df"
        kind = "Wald chi-square" if quantity == "Wald" else "chi-square"
        return (lambda x: stats.chi2.sf(x, d)), f"p of {kind}({fmt(d)})"
    return None, f"no p-value function for {quantity}"


def _stat_interval(rec: _Rec) -> tuple[float, float]:
    lower = 0.0 if rec.quantity in ("F", "chi2", "Wald") else -math.inf
    return rec.interval(lower=lower)


def _contiguous_near(values: Sequence[int], target: float) -> str:
    """'82' or '82 to 85': the run of consecutive values containing the one nearest target."""
    if not values:
        return ""
    vals = sorted(values)
    best = min(vals, key=lambda v: (abs(v - target), v))
    i = vals.index(best)
    lo = hi = i
    while lo > 0 and vals[lo - 1] == vals[lo] - 1:
        lo -= 1
    while hi < len(vals) - 1 and vals[hi + 1] == vals[hi] + 1:
        hi += 1
    a, b = vals[lo], vals[hi]
    return f"{a:g}" if a == b else f"{a:g} to {b:g}"


def _mark_interval(mark: str, marks_used: Iterable[str]) -> tuple[float, float] | None:
    """[lower, upper) of p that ``mark`` means, given the marks used at the same location."""
    used = sorted({m for m in marks_used if m in MARK_THRESHOLDS}, key=len)
    if mark == "none":
        if not used:
            return None
        return MARK_THRESHOLDS[used[0]], 1.0
    if mark not in MARK_THRESHOLDS:
        return None
    upper = MARK_THRESHOLDS[mark]
    stronger = [MARK_THRESHOLDS[m] for m in used if len(m) > len(mark)]
    lower = max(stronger) if stronger else 0.0
    return lower, upper


def _mark_text(mark: str, interval: tuple[float, float]) -> str:
    lo, hi = interval
    if mark == "none":
        return f"no mark: p >= {fmt(lo)}"
    return f"'{mark}': {fmt(lo)} <= p < {fmt(hi)}" if lo > 0 else f"'{mark}': p < {fmt(hi)}"


def _in_mark(lo: float, hi: float, interval: tuple[float, float]) -> bool:
    return overlaps((lo, hi), interval, open_hi=interval[1] < 1.0)


def _spearman_exact_fn(n: int) -> Callable | None:
    """R's exact two-sided Spearman p as a function of rho (None if models.correlation lacks it)."""
    try:
        from models.correlation import pspearman  # noqa: PLC0415
    except ImportError:
        return None
    n3 = float(n) ** 3 - n

    def f(rho):
        rho = np.asarray(rho, dtype=float)
        q = n3 * (1.0 - rho.ravel()) / 6.0
        upper = q > n3 / 6.0
        p = pspearman(q, n, ~upper, exact=True)
        return np.minimum(2.0 * p, 1.0).reshape(rho.shape)
    return f


def _spearman_t_fn(n: int) -> Callable:
    def f(rho):
        rho = np.asarray(rho, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.abs(rho) * np.sqrt((n - 2) / (1.0 - rho**2))
        return 2.0 * stats.t.sf(t, n - 2)
    return f


def _cox_snell(chi2, n):
    return 1.0 - np.exp(-np.asarray(chi2, dtype=float) / n)


def _null_loglik(split: Sequence[float]) -> float:
    n = float(sum(split))
    return float(sum(k * math.log(k / n) for k in split if k > 0))


def _nagelkerke(chi2, n, split):
    max_r2 = 1.0 - math.exp(2.0 * _null_loglik(split) / n)
    return _cox_snell(chi2, n) / max_r2


def _t_pooled(m1, s1, n1, m2, s2, n2):
    sp2 = ((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2)
    return (m1 - m2) / np.sqrt(sp2 * (1.0 / n1 + 1.0 / n2))


def _t_welch(m1, s1, n1, m2, s2, n2):
    return (m1 - m2) / np.sqrt(s1**2 / n1 + s2**2 / n2)


def _welch_df(s1, n1, s2, n2):
    a, b = s1**2 / n1, s2**2 / n2
    return (a + b) ** 2 / (a**2 / (n1 - 1) + b**2 / (n2 - 1))


def _anova_f(means, sds, ns):
    """One-way ANOVA F from group summaries; arrays broadcast over a leading grid."""
    ns = [float(x) for x in ns]
    big_n, k = sum(ns), len(ns)
    grand = sum(n * m for n, m in zip(ns, means, strict=True)) / big_n
    between = sum(n * (m - grand) ** 2 for n, m in zip(ns, means, strict=True)) / (k - 1)
    within = sum((n - 1) * s**2 for n, s in zip(ns, sds, strict=True)) / (big_n - k)
    return between / within


def _compositions(total: int, k: int, minimum: int = 2):
    """Every k-tuple of integers >= minimum summing to total."""
    if k == 1:
        if total >= minimum:
            yield (total,)
        return
    for first in range(minimum, total - minimum * (k - 1) + 1):
        for rest in _compositions(total - first, k - 1, minimum):
            yield (first, *rest)


# --------------------------------------------------------------------------- the checker


@dataclass
class _Checker:
    recs: list[_Rec]
    out: list[CheckRecord] = field(default_factory=list)
    covered: set = field(default_factory=set)

    def __post_init__(self):
        self.groups: dict[tuple[str, str], list[tuple[_Rec, str]]] = defaultdict(list)
        for r in self.recs:
            for g, role in r.member:
                self.groups[(r.study, g)].append((r, role))
        self.marks_at: dict[tuple[str, str], set[str]] = defaultdict(set)
        for r in self.recs:
            if r.mark:
                self.marks_at[(r.study, r.location)].add(r.mark)

    # -- output

    def emit(self, rec: _Rec, quantity: str, recomputed: float | str, ok: bool | None,
             note: str, inputs: Iterable[_Rec] = (), reported: str | None = None) -> None:
        status = "not_checkable" if ok is None else ("consistent" if ok else "inconsistent")
        if isinstance(recomputed, float | np.floating):
            recomputed = float(recomputed)
        self.out.append(CheckRecord(rec.study, rec.where, quantity,
                                    rec.text if reported is None else reported, recomputed,
                                    status, note))
        self.covered.add(rec.key)
        for r in inputs:
            self.covered.add(r.key)

    # -- group access

    def members(self, study: str, group: str, role: str = "", quantity: str | None = None):
        return [r for r, ro in self.groups[(study, group)]
                if ro == role and (quantity is None or r.quantity == quantity)]

    def partners(self, rec: _Rec, quantity: str, role: str = "") -> list[_Rec]:
        """Records of ``quantity`` and ``role`` in the groups where ``rec`` has role ''."""
        seen, out = set(), []
        for g, ro in rec.member:
            if ro != "":
                continue
            for r in self.members(rec.study, g, role, quantity):
                if r.key != rec.key and r.key not in seen:
                    seen.add(r.key)
                    out.append(r)
        return out

    def copies(self, rec: _Rec) -> list[_Rec]:
        """Other printings of the same quantity (shared group of role 'copy')."""
        out = []
        for g, ro in rec.member:
            if ro != "copy":
                continue
            out += [r for r in self.members(rec.study, g, "copy", rec.quantity) if r.key != rec.key]
        return out

    # -- checks

    def run(self) -> list[CheckRecord]:
        for rec in self.recs:
            if rec.quantity == "p":
                for stat in [s for q in ("t", "F", "chi2", "z", "Wald")
                             for s in self.partners(rec, q)]:
                    self.p_from_stat(rec, stat)
                if rec.mark:
                    self.p_mark(rec)
            if rec.quantity in ("t", "F", "chi2") and rec.df:
                self.df_check(rec)
            if rec.quantity == "Wald":
                for b in self.partners(rec, "B"):
                    for se in self.partners(rec, "SE"):
                        self.wald_from_b_se(rec, b, se)
            if rec.quantity == "OR":
                for b in self.partners(rec, "B"):
                    self.or_from_b(rec, b)
            if rec.quantity in ("ci_low", "ci_high"):
                for b in self.partners(rec, "B"):
                    for se in self.partners(rec, "SE"):
                        self.ci_from_b_se(rec, b, se)
            if rec.quantity == "t":
                self.t_from_summary(rec)
            if rec.quantity == "F":
                self.f_from_summary(rec)
            if rec.quantity == "rho":
                for p in self.partners(rec, "p"):
                    self.spearman(rec, p)
                if rec.mark:
                    self.spearman(rec, None)
            if rec.quantity in ("R2_nagelkerke", "R2_coxsnell"):
                self.r2(rec)
            if rec.quantity == "percent":
                self.percent(rec)
            if rec.quantity == "mean" and any(ro == "integer" for _, ro in rec.member):
                self.grim_mean(rec)
            if rec.quantity == "median":
                self.median_iqr(rec)
        self.sums()
        self.copy_checks()
        self.not_checkable()
        return self.out

    # p-values ----------------------------------------------------------------

    def p_from_stat(self, p: _Rec, stat: _Rec) -> None:
        df = stat.df or p.df
        f, what = _p_function(stat.quantity, df)
        qty = f"p from {stat.quantity}"
        if f is None:
            self.emit(p, qty, "", None, what, [stat])
            return
        lo, hi = value_range(f, [_stat_interval(stat)])
        centre = float(f(np.asarray(stat.value))) if not stat.is_bound else math.nan
        note = f"{what} = {stat.text}: {fmt_range(lo, hi)} over the rounding of the statistic"
        if stat.is_bound:
            self.emit(p, qty, "", None, f"the statistic is printed as an inequality ({stat.text})",
                      [stat])
            return
        ok = p.allows(lo, hi, lower=0.0, upper=1.0)
        if not ok:
            note += "; " + self._p_alternatives(p, stat, f)
        self.emit(p, qty, centre, ok, note, [stat])

    def _p_alternatives(self, p: _Rec, stat: _Rec, f: Callable) -> str:
        lo, hi = value_range(f, [_stat_interval(stat)])
        hints = []
        if stat.quantity in ("t", "z") and p.allows(lo / 2, hi / 2, lower=0.0, upper=1.0):
            hints.append("consistent with a one-tailed test (half the two-sided p)")
        if stat.quantity in ("t", "z") and p.allows(min(2 * lo, 1), min(2 * hi, 1), 0.0, 1.0):
            hints.append("consistent with a doubled p")
        df = stat.df or p.df
        if stat.quantity in ("t", "F", "chi2") and df:
            pos = len(df) - 1
            good = []
            for d in range(1, SEARCH_DF_MAX + 1):
                dd = list(df)
                dd[pos] = float(d)
                g, _ = _p_function(stat.quantity, tuple(dd))
                a, b = value_range(g, [_stat_interval(stat)])
                if p.allows(a, b, lower=0.0, upper=1.0):
                    good.append(d)
            if good:
                which = "df2" if stat.quantity == "F" else "df"
                hint = f"consistent with {which} = {_contiguous_near(good, df[pos])}"
                n = stat.n or p.n
                k = None if n is None else (df[0] + 1 if stat.quantity == "F" and len(df) == 2
                                            else 2 if stat.quantity == "t" else None)
                if k is not None and (n - k) in good and n - k != df[pos]:
                    hint += f", including the {which} = n - {fmt(k)} = {fmt(n - k)} that n = {n} implies"
                hints.append(hint)
        if not p.is_bound:
            target = p.value
            implied = self._implied_stat(stat, df, target)
            if implied is not None:
                hints.append(f"the printed p implies {stat.quantity} = {fmt(implied)}")
        return "; ".join(hints) if hints else "no nearby df or tail reproduces it"

    @staticmethod
    def _implied_stat(stat: _Rec, df, p: float) -> float | None:
        if not 0 < p < 1:
            return None
        if stat.quantity == "t" and len(df) == 1:
            return float(stats.t.isf(p / 2, df[0]))
        if stat.quantity == "z":
            return float(stats.norm.isf(p / 2))
        if stat.quantity == "F" and len(df) == 2:
            return float(stats.f.isf(p, df[0], df[1]))
        if stat.quantity in ("chi2", "Wald"):
            return float(stats.chi2.isf(p, df[0] if df else 1.0))
        return None

    def p_mark(self, p: _Rec) -> None:
        iv = _mark_interval(p.mark, self.marks_at[(p.study, p.location)])
        if iv is None:
            self.emit(p, "p against its mark", "", None, f"mark {p.mark!r} without a legend")
            return
        lo, hi = p.interval(0.0, 1.0)
        ok = _in_mark(lo, hi, iv)
        self.emit(p, "p against its mark", f"{p.text} vs {_mark_text(p.mark, iv)}", ok,
                  f"printed p {p.text} with {'no mark' if p.mark == 'none' else p.mark!r}; the "
                  f"location's legend gives {_mark_text(p.mark, iv)}", reported=f"{p.text}"
                  + ("" if p.mark == "none" else p.mark))

    # df ----------------------------------------------------------------------

    def df_check(self, stat: _Rec) -> None:
        if stat.quantity == "t":
            arms = [self.partners(stat, "mean", role) for role in ("a", "b")]
            ns = [a[0].n for a in arms if a and a[0].n]
            if len(ns) == 2:
                big_n, src = sum(ns), f"n = {ns[0]} + {ns[1]}"
                inputs = [arms[0][0], arms[1][0]]
            elif stat.n:
                big_n, src, inputs = stat.n, f"n = {stat.n}", []
            else:
                self.emit(stat, "df", "", None, "no n stated for this t", reported=f"{fmt(stat.df[0])}")
                return
            if stat.test == "t_welch":
                self.emit(stat, "df", "", None, "Welch df depends on the SDs (see the t check)",
                          reported=fmt(stat.df[0]))
                return
            expected = big_n - 2
            ok = stat.df[0] == expected
            note = f"pooled t: df = n - 2 with {src}"
            if stat.test != "t_pooled":
                note += " (pooled variance assumed: the test is not named)"
            if not ok:
                note += f"; consistent with n = {fmt(stat.df[0] + 2)}"
            self.emit(stat, "df", float(expected), ok, note, inputs, reported=fmt(stat.df[0]))
        elif stat.quantity == "F":
            if len(stat.df) != 2:
                self.emit(stat, "df", "", None, "F printed without both df",
                          reported=",".join(fmt(d) for d in stat.df))
                return
            df1, df2 = stat.df
            groups = sorted({ro for g, _ in stat.member for r, ro in self.groups[(stat.study, g)]
                             if ro.startswith("g_")})
            k = len(groups) if groups else int(df1) + 1
            how = f"k = {k} groups" + ("" if groups else " (k = df1 + 1)")
            printed = f"{fmt(df1)},{fmt(df2)}"
            if stat.n is None:
                self.emit(stat, "df", "", None, f"no n stated for this F; {how}", reported=printed)
                return
            expected = stat.n - k
            ok = df2 == expected and df1 == k - 1
            note = f"one-way ANOVA: df = (k - 1, n - k) with n = {stat.n}, {how}"
            if not ok:
                hints = []
                if df1 != k - 1:
                    hints.append(f"df1 should be {k - 1}")
                if df2 != expected:
                    if df2 == stat.n - 1:
                        hints.append(f"the printed df2 = {fmt(df2)} is n - 1 (the total df)")
                    hints.append(f"consistent with n = {fmt(df2 + k)}")
                note += "; " + "; ".join(hints)
            self.emit(stat, "df", f"{k - 1},{expected}", ok, note, reported=printed)
        elif stat.quantity == "chi2":
            ks = [r for g, ro in stat.member if ro == "" for r in self.members(stat.study, g, "k")]
            if not ks:
                return  # nothing to compare the df with; the p check uses it
            k = ks[0]
            ok = stat.df[0] == k.value
            note = f"model chi-square df = number of predictors ({k.text}, {k.where})"
            if not ok:
                note += f"; consistent with {fmt(stat.df[0])} predictors"
            self.emit(stat, "df", float(k.value), ok, note, [k], reported=fmt(stat.df[0]))

    # logistic regression -----------------------------------------------------

    def wald_from_b_se(self, w: _Rec, b: _Rec, se: _Rec) -> None:
        def f(bb, ss):
            return (bb / ss) ** 2
        lo, hi = value_range(f, [b.interval(), se.interval(lower=0.0)])
        ok = w.allows(lo, hi, lower=0.0)
        note = f"Wald = (B/SE)^2 with B = {b.text}, SE = {se.text}: {fmt_range(lo, hi)}"
        if not ok:
            hints = []
            for alt in self.copies(b):
                a2, b2 = value_range(f, [alt.interval(), se.interval(lower=0.0)])
                if w.allows(a2, b2, lower=0.0):
                    hints.append(f"consistent with B = {alt.text} as printed at {alt.where}")
            root = math.sqrt(w.value)
            hints.append(f"the printed Wald implies |B| = {fmt(root * se.value)} with SE = "
                         f"{se.text}, or SE = {fmt(abs(b.value) / root)} with B = {b.text}")
            note += "; " + "; ".join(hints)
        self.emit(w, "Wald", float(f(b.value, se.value)), ok, note, [b, se])

    def or_from_b(self, o: _Rec, b: _Rec) -> None:
        lo, hi = value_range(np.exp, [b.interval()])
        ok = o.allows(lo, hi, lower=0.0)
        note = f"OR = exp(B) with B = {b.text}: {fmt_range(lo, hi)}"
        if not ok:
            hints = []
            for alt in self.copies(b):
                a2, b2 = value_range(np.exp, [alt.interval()])
                if o.allows(a2, b2, lower=0.0):
                    hints.append(f"consistent with B = {alt.text} as printed at {alt.where}")
            if o.value > 0:
                hints.append(f"the printed OR implies B = ln(OR) = {fmt(math.log(o.value))}")
            note += "; " + "; ".join(hints)
        self.emit(o, "OR", float(math.exp(b.value)), ok, note, [b])

    def ci_from_b_se(self, c: _Rec, b: _Rec, se: _Rec) -> None:
        sign = -1.0 if c.quantity == "ci_low" else 1.0

        def limit(s):
            return lambda bb, ss: np.exp(bb + s * Z975 * ss)
        box = [b.interval(), se.interval(lower=0.0)]
        lo, hi = value_range(limit(sign), box)
        ok = c.allows(lo, hi, lower=0.0)
        name = "lower" if sign < 0 else "upper"
        note = (f"95% CI {name} limit exp(B {'-' if sign < 0 else '+'} 1.96 SE) with B = {b.text}, "
                f"SE = {se.text}: {fmt_range(lo, hi)}")
        if not ok:
            hints = []
            other = "upper" if sign < 0 else "lower"
            candidates = [(b, "")] + [(alt, f" with B = {alt.text} as printed at {alt.where}")
                                      for alt in self.copies(b) if alt.text != b.text]
            for cand, suffix in candidates:
                cbox = [cand.interval(), se.interval(lower=0.0)]
                if cand is not b:
                    a2, b2 = value_range(limit(sign), cbox)
                    if c.allows(a2, b2, lower=0.0):
                        hints.append(f"consistent{suffix}")
                olo, ohi = value_range(limit(-sign), cbox)
                if c.allows(olo, ohi, lower=0.0):
                    hints.append(f"it matches the {other} limit ({fmt_range(olo, ohi)}){suffix}: "
                                 "the limits appear in the other order")
            for o in self.partners(c, "OR"):
                if o.text == c.text:
                    hints.append(f"it repeats the printed OR ({o.text})")
            if hints:
                note += "; " + "; ".join(hints)
        self.emit(c, f"CI {name} limit", float(limit(sign)(b.value, se.value)), ok, note, [b, se])

    # t and F from summaries --------------------------------------------------

    def t_from_summary(self, t: _Rec) -> None:
        arms = []
        for role in ("a", "b"):
            m, s = self.partners(t, "mean", role), self.partners(t, "sd", role)
            if not (m and s):
                return
            n = m[0].n or s[0].n
            if not n:
                self.emit(t, "t from means and SDs", "", None, f"no n for arm '{role}'", m + s)
                return
            arms.append((m[0], s[0], n))
        (ma, sa, na), (mb, sb, nb) = arms
        box = [ma.interval(), sa.interval(lower=0.0), mb.interval(), sb.interval(lower=0.0)]
        for name, fn in (("pooled", _t_pooled), ("Welch", _t_welch)):
            def f(m1, s1, m2, s2, fn=fn):
                return np.abs(fn(m1, s1, na, m2, s2, nb))
            lo, hi = value_range(f, box)
            centre = float(f(ma.value, sa.value, mb.value, sb.value))
            ok = t.allows(abs(lo), abs(hi)) if t.value >= 0 else t.allows(-hi, -lo)
            note = (f"{name} t from M = {ma.text}, SD = {sa.text}, n = {na} and M = {mb.text}, "
                    f"SD = {sb.text}, n = {nb}: |t| {fmt_range(lo, hi)}")
            if name == "Welch":
                note += f", Welch df = {fmt(_welch_df(sa.value, na, sb.value, nb))}"
            if t.test == "t_pooled" and name == "Welch":
                note += " (the paper reports a pooled t; shown for comparison)"
            self.emit(t, f"t ({name})", centre, ok, note, [ma, sa, mb, sb])

    def f_from_summary(self, fr: _Rec) -> None:
        roles = sorted({ro for g, ro0 in fr.member if ro0 == ""
                        for _, ro in self.groups[(fr.study, g)] if ro.startswith("g_")})
        if len(roles) < 2:
            return
        means, sds = [], []
        for role in roles:
            m, s = self.partners(fr, "mean", role), self.partners(fr, "sd", role)
            if not (m and s):
                return
            means.append(m[0])
            sds.append(s[0])
        k = len(roles)
        inputs = means + sds
        box = [m.interval() for m in means] + [s.interval(lower=0.0) for s in sds]
        ns_given = [m.n for m in means]

        def f_for(ns):
            return lambda *xs: _anova_f(xs[:k], xs[k:], ns)
        if all(ns_given):
            lo, hi = value_range(f_for(ns_given), box, points=3)
            ok = fr.allows(lo, hi, lower=0.0)
            self.emit(fr, "F from group means and SDs", float(f_for(ns_given)(
                *[m.value for m in means], *[s.value for s in sds])), ok,
                f"one-way ANOVA F with group sizes {ns_given}: {fmt_range(lo, hi)}", inputs)
            return
        if fr.n is None:
            self.emit(fr, "F from group means and SDs", "", None,
                      "group sizes and total n not printed", inputs)
            return
        totals = [fr.n] + ([int(fr.df[1]) + k] if len(fr.df) == 2 and int(fr.df[1]) + k != fr.n
                           else [])
        found: dict[int, list[tuple[int, ...]]] = {}
        ranges: dict[int, tuple[float, float]] = {}
        for total in totals:
            fits, lo_all, hi_all = [], math.inf, -math.inf
            for ns in _compositions(total, k):
                lo, hi = value_range(f_for(ns), box, points=2)
                lo_all, hi_all = min(lo_all, lo), max(hi_all, hi)
                if fr.allows(lo, hi, lower=0.0):
                    fits.append(ns)
            found[total], ranges[total] = fits, (lo_all, hi_all)
        ok = bool(found[fr.n])
        fits = found[fr.n]
        centre = (float(f_for(fits[0])(*[m.value for m in means], *[s.value for s in sds]))
                  if fits else "")
        note = (f"group sizes not printed: searched every split of n = {fr.n} into {k} groups of "
                f">= 2 (F ranges {fmt_range(*ranges[fr.n])}); ")
        if ok:
            shown = ", ".join(str(x) for x in fits[:4]) + (" ..." if len(fits) > 4 else "")
            note += f"{len(fits)} split(s) reproduce F, e.g. {shown}"
        else:
            note += "no split reproduces F"
            for total in totals[1:]:
                if found[total]:
                    shown = ", ".join(str(x) for x in found[total][:3])
                    note += f"; with n = {total} (df2 + k): {len(found[total])} split(s), e.g. {shown}"
        self.emit(fr, "F from group means and SDs", centre, ok, note, inputs)

    # Spearman ----------------------------------------------------------------

    def spearman(self, rho: _Rec, p: _Rec | None) -> None:
        n = rho.n or (p.n if p is not None else None)
        target = p if p is not None else rho
        if n is None or n < 3:
            self.emit(target, "p from rho", "", None, "no n for this correlation",
                      [rho] if p is not None else [])
            return
        if p is None:
            iv = _mark_interval(rho.mark, self.marks_at[(rho.study, rho.location)])
            if iv is None:
                return
            reported = f"{rho.text}{'' if rho.mark == 'none' else rho.mark}"
        else:
            iv, reported = None, p.text
        box = [rho.interval(-1.0, 1.0)]
        exact = _spearman_exact_fn(n)
        methods = [("t approximation", _spearman_t_fn)]
        methods.insert(0, ("exact", _spearman_exact_fn) if exact is not None else
                       ("exact", None))
        for name, maker in methods:
            qty = f"p from rho (Spearman, {name})" + (", by mark" if p is None else "")
            if maker is None:
                self.emit(target, qty, "", None, "R's exact Spearman p is not available "
                          "(models.correlation.pspearman missing); see the t approximation",
                          [rho], reported=reported)
                continue
            fn = maker(n)
            lo, hi = value_range(fn, box)
            centre = float(np.asarray(fn(np.asarray([rho.value])))[0])
            if p is None:
                ok = _in_mark(lo, hi, iv)
                note = (f"two-sided p at rho = {rho.text}, n = {n}: {fmt_range(lo, hi)}; "
                        f"the legend gives {_mark_text(rho.mark, iv)}")
            else:
                ok = p.allows(lo, hi, lower=0.0, upper=1.0)
                note = f"two-sided p at rho = {rho.text}, n = {n}: {fmt_range(lo, hi)}"
            if name == "exact":
                note += (" (R's prho: enumeration for n <= 9, Edgeworth series above)"
                         if n <= 1290 else " (above n = 1290 R uses the t approximation)")
                if rho.test == "spearman_tied":
                    note += ("; one variable is a rating with ties, for which R and SPSS "
                             "use the t approximation, so this is shown for reference")
            if not ok:
                note += "; " + self._spearman_alternatives(rho, p, iv, maker, n, box)
            self.emit(target, qty, centre, ok, note, [rho], reported=reported)

    @staticmethod
    def _spearman_alternatives(rho, p, iv, maker, n, box) -> str:
        def fits(lo, hi):
            return _in_mark(lo, hi, iv) if p is None else p.allows(lo, hi, lower=0.0, upper=1.0)
        hints = []
        lo, hi = value_range(maker(n), box)
        if fits(lo / 2, hi / 2):
            hints.append("consistent with a one-tailed test")
        good = []
        for m in range(4, min(SEARCH_N_MAX, max(3 * n, n + 50)) + 1):
            a, b = value_range(maker(m), box, points=9)
            if fits(a, b):
                good.append(m)
        if good:
            hints.append(f"consistent with n = {_contiguous_near(good, n)}")
        return "; ".join(hints) if hints else "no n up to 3n reproduces it"

    # R2 ----------------------------------------------------------------------

    def r2(self, r: _Rec) -> None:
        chis = self.partners(r, "chi2")
        qty = "Nagelkerke R2" if r.quantity == "R2_nagelkerke" else "Cox-Snell R2"
        if not chis:
            return
        chi = chis[0]
        n = chi.n or r.n
        split = [s for g, ro in r.member if ro == "" for s in self.members(r.study, g, "split")]
        if n is None:
            self.emit(r, qty, "", None, "no n for the model", [chi])
            return
        if r.quantity == "R2_nagelkerke" and len(split) < 2:
            self.emit(r, qty, "", None, "Nagelkerke needs the outcome split (records of role 'split')",
                      [chi])
            return
        ks = [s.value for s in split]
        if r.quantity == "R2_nagelkerke":
            if sum(ks) != n:
                note0 = f"the split {'/'.join(fmt(k) for k in ks)} sums to {fmt(sum(ks))}, not n = {n}; "
            else:
                note0 = ""

            def f(x):
                return _nagelkerke(x, n, ks)
            desc = (f"{note0}Nagelkerke R2 = (1 - exp(-chi2/n)) / (1 - exp(2 LL0/n)) with chi2 = "
                    f"{chi.text}, n = {n}, split {'/'.join(fmt(k) for k in ks)}")
        else:
            def f(x):
                return _cox_snell(x, n)
            desc = f"Cox-Snell R2 = 1 - exp(-chi2/n) with chi2 = {chi.text}, n = {n}"
        lo, hi = value_range(f, [chi.interval(lower=0.0)])
        ok = r.allows(lo, hi, lower=0.0, upper=1.0)
        note = f"{desc}: {fmt_range(lo, hi)}"
        if not ok:
            hints = []
            for alt in self.copies(chi):
                a2, b2 = value_range(f, [alt.interval(lower=0.0)])
                hints.append(f"with chi2 = {alt.text} ({alt.where}): {fmt_range(a2, b2)}"
                             + (", consistent" if r.allows(a2, b2, lower=0.0, upper=1.0) else ""))
            if r.quantity == "R2_nagelkerke":
                cs = r.value * (1.0 - math.exp(2.0 * _null_loglik(ks) / n))
            else:
                cs = r.value
            if 0 < cs < 1:
                hints.append(f"the printed R2 implies chi2 = {fmt(-n * math.log(1 - cs))} at n = {n}")
            if r.quantity == "R2_nagelkerke" and sum(ks) == n and len(ks) == 2:
                hints += self._r2_fewer_cases(r, [chi, *self.copies(chi)], ks)
            note += "; " + "; ".join(hints)
        self.emit(r, qty, float(f(chi.value)), ok, note, [chi, *split])

    @staticmethod
    def _r2_fewer_cases(r: _Rec, chis: list[_Rec], ks: list[float]) -> list[str]:
        """Fits with cases dropped (listwise deletion): n' < n, each outcome count <= its own."""
        n = int(sum(ks))
        out = []
        for chi in chis:
            fits = []
            for m in range(n - 1, max(2, n - max(3, n // 4)) - 1, -1):
                for a in range(max(1, m - int(ks[1])), min(int(ks[0]), m - 1) + 1):
                    lo, hi = value_range(lambda x, m=m, a=a: _nagelkerke(x, m, [a, m - a]),
                                         [chi.interval(lower=0.0)])
                    if r.allows(lo, hi, lower=0.0, upper=1.0):
                        fits.append(f"n = {m} ({a}/{m - a})")
            if fits:
                out.append(f"consistent with chi2 = {chi.text} ({chi.where}) if cases were dropped: "
                           + ", ".join(fits[:4]))
        return out

    # percentages and means ---------------------------------------------------

    def percent(self, pct: _Rec) -> None:
        roles = [ro for _, ro in pct.member]
        for ro in ("pct_decrease", "pct_increase"):
            if ro in roles:
                self.pct_change(pct, ro)
                return
        counts = self.partners(pct, "count", "count") + self.partners(pct, "n", "count")
        if counts and pct.n:
            c = counts[0]
            exact = 100.0 * c.value / pct.n
            ok = pct.allows(exact, lower=0.0)
            note = f"100 x {c.text} / {pct.n}"
            if pct.printed.bound == "~":
                note += " (printed as approximate)"
            if not ok:
                good = [m for m in range(max(1, int(c.value)), SEARCH_N_MAX)
                        if pct.allows(100.0 * c.value / m, lower=0.0)]
                note += (f"; consistent with n = {_contiguous_near(good, pct.n)}" if good
                         else "; no n reproduces it with this count")
            self.emit(pct, "percent from count and n", exact, ok, note, [c])
            return
        if pct.n and not pct.is_bound:
            self.grim(pct, scale=100.0, what="percent")

    def grim_mean(self, mean: _Rec) -> None:
        if not mean.n:
            self.emit(mean, "mean (GRIM)", "", None, "no n for a mean of integers")
            return
        self.grim(mean, scale=1.0, what="mean of integers")

    def grim(self, rec: _Rec, scale: float, what: str) -> None:
        n = rec.n

        def achievable(m):
            lo, hi = rec.interval()
            k_lo = math.ceil(lo * m / scale - 1e-9)
            k_hi = math.floor(hi * m / scale + 1e-9)
            if scale == 100.0:
                k_lo, k_hi = max(k_lo, 0), min(k_hi, m)
            return [k for k in range(k_lo, k_hi + 1) if rec.allows(scale * k / m)]
        ks = achievable(n)
        k_near = round(rec.value * n / scale)
        if scale == 100.0:
            k_near = min(max(k_near, 0), n)
        nearest = scale * (ks[0] if ks else k_near) / n
        ok = bool(ks)
        note = (f"GRIM: a {what} of n = {n} units is k/n"
                + (" x 100" if scale == 100.0 else "") + f"; {rec.text} needs "
                + (f"k = {ks[0]} ({fmt(nearest)})" if ok else
                   f"a k that does not exist (nearest: {k_near}/{n} = {fmt(scale * k_near / n)})"))
        if rec.printed.bound == "~":
            note += "; printed as approximate"
        if not ok:
            below = [m for m in range(1, n) if achievable(m)]
            above = [m for m in range(n + 1, 2 * n + 1) if achievable(m)]
            hints = []
            if below:
                m = below[-1]
                hints.append(f"consistent with n = {m} ({achievable(m)[0]}/{m}), e.g. missing data")
            if above:
                m = above[0]
                hints.append(f"or n = {m} ({achievable(m)[0]}/{m})")
            note += "; " + ", ".join(hints)
        self.emit(rec, f"{what} (GRIM)", nearest, ok, note)

    def pct_change(self, pct: _Rec, role: str) -> None:
        ors = [o for g, ro in pct.member if ro == role for o in self.members(pct.study, g, "", "OR")]
        if not ors:
            self.emit(pct, "change in odds", "", None, "no OR in its group")
            return
        o = ors[0]
        sign = -1.0 if role == "pct_decrease" else 1.0

        def f(x):
            return sign * 100.0 * (np.asarray(x) - 1.0)
        lo, hi = value_range(f, [o.interval(lower=0.0)])
        ok = pct.allows(lo, hi)
        word = "decrease" if sign < 0 else "increase"
        note = f"{word} in the odds = {'1 - OR' if sign < 0 else 'OR - 1'} with OR = {o.text}: {fmt_range(lo, hi)}%"
        if pct.printed.bound == "~":
            note += " (printed as approximate)"
        self.emit(pct, f"percent {word} in odds", float(f(o.value)), ok, note, [o])

    def median_iqr(self, med: _Rec) -> None:
        q1s, q3s = self.partners(med, "q1"), self.partners(med, "q3")
        if not (q1s and q3s):
            return
        q1, q3 = q1s[0], q3s[0]
        a1, _ = q1.interval()
        _, b3 = q3.interval()
        lo, hi = med.interval()
        ok = hi >= a1 and lo <= b3 and q1.interval()[0] <= q3.interval()[1]
        self.emit(med, "median within IQR", f"{q1.text} <= {med.text} <= {q3.text}", ok,
                  "a median lies between the quartiles", [q1, q3],
                  reported=f"{med.text} (IQR {q1.text}-{q3.text})")

    # sums and copies ---------------------------------------------------------

    def sums(self) -> None:
        for members in self.groups.values():
            parts = [r for r, ro in members if ro == "part"]
            totals = [r for r, ro in members if ro == "total"]
            if not parts:
                continue
            lo = sum(p.interval()[0] for p in parts)
            hi = sum(p.interval()[1] for p in parts)
            centre = sum(p.value for p in parts)
            terms = " + ".join(p.text for p in parts)
            if totals:
                t = totals[0]
                ok = t.allows(lo, hi)
                note = f"{terms} = {fmt(centre)}" + ("" if lo == hi else f", {fmt_range(lo, hi)} over rounding")
                if not ok:
                    note += f"; differs from the total by {fmt(t.value - centre)}"
                self.emit(t, "sum of parts", float(centre), ok, note, parts)
            elif all(p.quantity in PERCENT_SCALE for p in parts):
                ok = overlaps((lo, hi), (100.0, 100.0))
                note = (f"{terms} = {fmt(centre)}% ({fmt_range(lo, hi)} over rounding); the parts "
                        "of a whole sum to 100%")
                if not ok:
                    note += f"; {fmt(centre - 100.0)} points over" if centre > 100 else \
                        f"; {fmt(100.0 - centre)} points short"
                first = parts[0]
                self.emit(first, "sum of percentages", float(centre), ok, note, parts,
                          reported="100 (implied)")

    def copy_checks(self) -> None:
        for members in self.groups.values():
            copies = [r for r, ro in members if ro == "copy"]
            if len(copies) < 2:
                continue
            families: dict[str, list[_Rec]] = defaultdict(list)
            for r in copies:
                fam = "share" if r.quantity in PERCENT_SCALE | {"R2_nagelkerke", "R2_coxsnell"} \
                    else r.quantity
                families[fam].append(r)
            for fam, recs in families.items():
                first = recs[0]
                for other in recs[1:]:
                    sa = 0.01 if first.quantity in PERCENT_SCALE and fam == "share" else 1.0
                    sb = 0.01 if other.quantity in PERCENT_SCALE and fam == "share" else 1.0
                    lower = 0.0 if fam in ("p", "share") else -math.inf
                    a = tuple(sa * x for x in first.interval(lower=lower))
                    b = tuple(sb * x for x in other.interval(lower=lower))
                    ok = overlaps(a, b, open_hi=other.printed.bound == "<" or first.printed.bound == "<")
                    note = f"printed as {first.text} at {first.where}"
                    if not ok:
                        note += "; the two printings differ beyond rounding"
                    self.emit(other, "same quantity printed twice", first.text, ok, note, [first])

    # the rest ----------------------------------------------------------------

    def not_checkable(self) -> None:
        for r in self.recs:
            if r.key in self.covered:
                continue
            if r.is_bound:
                why = "an inequality with nothing printed to recompute it from"
            elif r.quantity == "coef":
                why = "a penalised coefficient: no SE or statistic printed"
            elif r.quantity in ("median", "q1", "q3", "mean", "sd"):
                why = "a summary of data not printed"
            elif r.quantity == "percent" and not r.n:
                why = "a percentage without its n"
            elif r.quantity in ("sensitivity", "specificity"):
                why = "the numbers of rated and predicted LAs are not printed"
            elif r.quantity in ("n", "count"):
                why = "a count with no related count printed"
            elif r.quantity == "p":
                why = "a p-value printed without its test statistic"
            elif r.quantity == "B" and self.partners(r, "Wald") and r.value:
                w = self.partners(r, "Wald")[0]
                why = (f"no SE printed; with Wald = {w.text} it implies SE = |B|/sqrt(Wald) = "
                       f"{fmt(abs(r.value) / math.sqrt(w.value))}")
            else:
                why = "no related numbers printed to recompute it"
            if r.printed.bound == "~":
                why += " (printed as approximate)"
            self.out.append(CheckRecord(r.study, r.where, r.quantity, r.text, "", "not_checkable",
                                        why))


# --------------------------------------------------------------------------- entry points


def check_records(records: pd.DataFrame) -> list[CheckRecord]:
    """Run every check on ``records`` (a frame as :func:`.records.load_published` returns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = _Checker(_to_recs(records)).run()
    order = {s: i for i, s in enumerate(dict.fromkeys(records["study"]))}
    return sorted(out, key=lambda c: order.get(c.paper, len(order)))


def check_published(paper: str | None = None) -> list[CheckRecord]:
    """Every consistency check of the printed numbers of ``paper`` (all four when None).

    ``paper`` is a study name (:data:`.records.STUDIES`); anything else raises ValueError.
    """
    if paper is not None and paper not in STUDIES:
        raise ValueError(f"paper must be one of {', '.join(STUDIES)}; got {paper!r}")
    return check_records(load_published(paper))


def summarise(checks: Sequence[CheckRecord]) -> pd.DataFrame:
    """Counts of each status per paper (rows: paper; columns: the three statuses)."""
    df = pd.DataFrame([c.as_dict() for c in checks], columns=list(CheckRecord.__dataclass_fields__))
    tab = pd.crosstab(df["paper"], df["status"]).reindex(columns=list(STATUSES), fill_value=0)
    return tab


__all__ = ["STATUSES", "Z975", "CheckRecord", "check_published", "check_records", "summarise"]
