"""The consistency checker: hand-worked cases of every kind, then the four papers.

Expected values are worked out here from the formulas (scipy for the distribution
functions, math for the rest), independently of the checker's own code paths.
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from replication.published import (
    STUDIES,
    CheckRecord,
    check_published,
    check_records,
    load_published,
    make_records,
)
from replication.published.checks import STATUSES

#: Agreement of recomputed values with the same formula evaluated here (float noise only).
REL = 1e-12


def run(*rows):
    return check_records(make_records(rows))


def pick(checks, quantity, reported=None) -> CheckRecord:
    hits = [c for c in checks if c.quantity == quantity
            and (reported is None or c.reported == reported)]
    assert len(hits) == 1, f"{quantity!r} {reported!r}: {[(c.quantity, c.reported) for c in checks]}"
    return hits[0]


# --------------------------------------------------------------------------- CheckRecord


def test_as_dict_has_exactly_the_cli_fields():
    c = CheckRecord("wilkins2020", "Table 5", "Wald", "3.805", 2.41, "inconsistent", "x")
    assert list(c.as_dict()) == ["paper", "location", "quantity", "reported", "recomputed",
                                 "status", "note"]
    with pytest.raises(ValueError, match="status"):
        CheckRecord("a", "b", "c", "d", 1.0, "fine", "")


# --------------------------------------------------------------------------- p from a statistic


def test_p_from_t_two_sided():
    c = pick(run({"quantity": "t", "value_str": "2.26", "df": "45", "group": "g"},
                 {"quantity": "p", "value_str": ".029", "group": "g"}), "p from t")
    assert c.status == "consistent"
    assert c.recomputed == pytest.approx(2 * stats.t.sf(2.26, 45), rel=REL)


def test_p_from_t_one_tailed_is_flagged():
    # 2.26 on 45 df: two-sided .0287, one-sided .0144
    c = pick(run({"quantity": "t", "value_str": "2.26", "df": "45", "group": "g"},
                 {"quantity": "p", "value_str": ".014", "group": "g"}), "p from t")
    assert c.status == "inconsistent"
    assert "consistent with a one-tailed test" in c.note


def test_p_from_t_with_another_df():
    # p printed from t(30) but df printed as 20
    p30 = 2 * stats.t.sf(2.10, 30)
    assert round(p30, 3) != round(2 * stats.t.sf(2.10, 20), 3)
    c = pick(run({"quantity": "t", "value_str": "2.10", "df": "20", "group": "g"},
                 {"quantity": "p", "value_str": f"{p30:.3f}".lstrip("0"), "group": "g"}), "p from t")
    assert c.status == "inconsistent"
    rng = c.note.split("consistent with df = ")[1].split(";")[0]
    lo, _, hi = rng.partition(" to ")
    assert int(lo) <= 30 <= int(hi or lo)


def test_p_from_f_chi2_z_and_wald():
    checks = run({"quantity": "F", "value_str": "4.83", "df": "2,19", "group": "f"},
                 {"quantity": "p", "value_str": ".02", "group": "f"},
                 {"quantity": "chi2", "value_str": "18.815", "df": "3", "group": "c"},
                 {"quantity": "p", "value_str": "<.001", "group": "c"},
                 {"quantity": "z", "value_str": "1.96", "group": "z"},
                 {"quantity": "p", "value_str": ".05", "group": "z"},
                 {"quantity": "Wald", "value_str": "3.805", "df": "1", "group": "w"},
                 {"quantity": "p", "value_str": ".051", "group": "w"},
                 {"quantity": "chi2", "value_str": "7.81", "df": "3", "group": "bad"},
                 {"quantity": "p", "value_str": ".01", "group": "bad"})
    f = pick(checks, "p from F")
    assert f.status == "consistent" and f.recomputed == pytest.approx(stats.f.sf(4.83, 2, 19), rel=REL)
    c = pick(checks, "p from chi2", "<.001")
    assert c.status == "consistent" and c.recomputed == pytest.approx(stats.chi2.sf(18.815, 3), rel=REL)
    z = pick(checks, "p from z")
    assert z.status == "consistent" and z.recomputed == pytest.approx(2 * stats.norm.sf(1.96), rel=REL)
    w = pick(checks, "p from Wald")
    assert w.status == "consistent" and w.recomputed == pytest.approx(stats.chi2.sf(3.805, 1), rel=REL)
    bad = pick(checks, "p from chi2", ".01")
    assert bad.status == "inconsistent"            # chi2(3) = 7.81 gives p = .050
    assert "implies chi2 = 11.34" in bad.note      # qchisq(.99, 3) = 11.345


def test_p_from_a_statistic_without_df_is_not_checkable():
    c = pick(run({"quantity": "t", "value_str": "2.26", "group": "g"},
                 {"quantity": "p", "value_str": ".029", "group": "g"}), "p from t")
    assert c.status == "not_checkable" and "without its df" in c.note


# --------------------------------------------------------------------------- df


def test_df_of_a_one_way_anova_against_n():
    checks = run({"quantity": "F", "value_str": "4.83", "df": "2,21", "n": 22, "group": "f"},
                 {"quantity": "F", "value_str": "4.83", "df": "2,19", "n": 22, "group": "g"})
    bad, good = [c for c in checks if c.quantity == "df"]
    assert bad.reported == "2,21" and bad.status == "inconsistent" and bad.recomputed == "2,19"
    assert "n - 1 (the total df)" in bad.note and "consistent with n = 24" in bad.note
    assert good.status == "consistent"


def test_df_of_a_pooled_t_against_the_arms():
    def rows(df):
        return ({"quantity": "t", "value_str": "2.26", "df": df, "test": "t_pooled", "group": "g"},
                {"quantity": "mean", "value_str": "829.38", "n": 24, "group": "g", "role": "a"},
                {"quantity": "sd", "value_str": "173.34", "group": "g", "role": "a"},
                {"quantity": "mean", "value_str": "714.77", "n": 23, "group": "g", "role": "b"},
                {"quantity": "sd", "value_str": "174.35", "group": "g", "role": "b"})
    ok = pick(run(*rows("45")), "df")
    assert ok.status == "consistent" and ok.recomputed == 45.0
    bad = pick(run(*rows("46")), "df")
    assert bad.status == "inconsistent" and "consistent with n = 48" in bad.note


def test_df_of_a_model_chi2_against_its_predictors():
    def rows(k):
        return ({"quantity": "chi2", "value_str": "18.815", "df": "3", "group": "m"},
                {"quantity": "count", "value_str": k, "group": "m", "role": "k"})
    assert pick(run(*rows("three")), "df").status == "consistent"
    assert pick(run(*rows("four")), "df").status == "inconsistent"


# --------------------------------------------------------------------------- logistic regression


def _logit_rows(B="-.091", SE=".033", W="7.543", OR=".913", lo=".856", hi=".974"):
    return [{"quantity": "B", "value_str": B, "group": "g"},
            {"quantity": "SE", "value_str": SE, "group": "g"},
            {"quantity": "Wald", "value_str": W, "group": "g"},
            {"quantity": "OR", "value_str": OR, "group": "g"},
            {"quantity": "ci_low", "value_str": lo, "group": "g"},
            {"quantity": "ci_high", "value_str": hi, "group": "g"}]


def test_wald_or_and_ci_from_b_and_se():
    checks = run(*_logit_rows())
    w = pick(checks, "Wald")
    assert w.status == "consistent" and w.recomputed == pytest.approx((0.091 / 0.033) ** 2, rel=REL)
    o = pick(checks, "OR")
    assert o.status == "consistent" and o.recomputed == pytest.approx(math.exp(-0.091), rel=REL)
    z = stats.norm.ppf(0.975)
    lo, hi = pick(checks, "CI lower limit"), pick(checks, "CI upper limit")
    assert lo.status == hi.status == "consistent"
    assert lo.recomputed == pytest.approx(math.exp(-0.091 - z * 0.033), rel=REL)
    assert hi.recomputed == pytest.approx(math.exp(-0.091 + z * 0.033), rel=REL)


def test_wald_or_ci_inconsistent_and_what_fits():
    checks = run(*_logit_rows(W="2.0", OR=".940", lo=".974", hi=".856"))
    w = pick(checks, "Wald")
    assert w.status == "inconsistent" and "|B| = 0.04667" in w.note   # sqrt(2) * .033
    o = pick(checks, "OR")
    assert o.status == "inconsistent" and "B = ln(OR) = -0.06188" in o.note
    lo = pick(checks, "CI lower limit")
    assert lo.status == "inconsistent" and "the limits appear in the other order" in lo.note


def test_wald_from_the_other_printing_of_b():
    rows = _logit_rows(B="-.059", SE=".038", W="3.805", OR=".929", lo=".863", hi="1.000")
    rows[0]["group"] = "g|copy_b"
    rows[0]["role"] = "|copy"
    rows.append({"quantity": "B", "value_str": "-.074", "group": "copy_b", "role": "copy"})
    checks = run(*rows)
    w = pick(checks, "Wald")
    assert w.status == "inconsistent" and "consistent with B = -.074" in w.note
    assert "consistent with B = -.074" in pick(checks, "OR").note
    assert pick(checks, "same quantity printed twice").status == "inconsistent"


def test_change_in_odds_from_or():
    def rows(v):
        return ({"quantity": "OR", "value_str": ".913", "group": "g"},
                {"quantity": "percent", "value_str": v, "group": "g", "role": "pct_decrease"})
    ok = pick(run(*rows("8.7")), "percent decrease in odds")
    assert ok.status == "consistent" and ok.recomputed == pytest.approx(8.7, rel=1e-9)
    assert pick(run(*rows("9.7")), "percent decrease in odds").status == "inconsistent"


# --------------------------------------------------------------------------- t and F from summaries


def _summaries(groups):
    return [(f"{np.mean(g):.2f}", f"{np.std(g, ddof=1):.2f}", len(g)) for g in groups]


def test_t_from_two_means_pooled_and_welch():
    rng = np.random.default_rng(7)
    a = np.round(rng.normal(10.0, 1.0, 10), 1)
    b = np.round(rng.normal(14.0, 4.0, 40), 1)
    t_pooled = stats.ttest_ind(a, b, equal_var=True).statistic
    t_welch = stats.ttest_ind(a, b, equal_var=False).statistic
    assert round(abs(t_pooled), 2) != round(abs(t_welch), 2)
    (ma, sa, na), (mb, sb, nb) = _summaries([a, b])

    def rows(t, test):
        return ({"quantity": "t", "value_str": f"{t:.2f}", "test": test, "df": "48", "group": "g"},
                {"quantity": "mean", "value_str": ma, "n": na, "group": "g", "role": "a"},
                {"quantity": "sd", "value_str": sa, "group": "g", "role": "a"},
                {"quantity": "mean", "value_str": mb, "n": nb, "group": "g", "role": "b"},
                {"quantity": "sd", "value_str": sb, "group": "g", "role": "b"})
    pooled = run(*rows(t_pooled, "t_pooled"))
    assert pick(pooled, "t (pooled)").status == "consistent"
    assert pick(pooled, "t (Welch)").status == "inconsistent"
    m1, s1, m2, s2 = (float(x) for x in (ma, sa, mb, sb))
    sp = math.sqrt(((na - 1) * s1**2 + (nb - 1) * s2**2) / (na + nb - 2))
    by_hand = abs(m1 - m2) / (sp * math.sqrt(1 / na + 1 / nb))
    assert pick(pooled, "t (pooled)").recomputed == pytest.approx(by_hand, rel=REL)
    welch = run(*rows(t_welch, "t_welch"))
    assert pick(welch, "t (Welch)").status == "consistent"
    assert pick(welch, "t (pooled)").status == "inconsistent"


def test_f_from_group_means_and_sds():
    rng = np.random.default_rng(11)
    groups = [np.round(rng.normal(m, 20.0, n)) for m, n in ((600, 5), (640, 10), (700, 8))]
    f = stats.f_oneway(*groups).statistic
    summ = _summaries(groups)

    def rows(fv, with_n):
        out = [{"quantity": "F", "value_str": f"{fv:.2f}", "df": "2,20", "n": 23, "group": "g"}]
        for (m, s, n), name in zip(summ, ("g_a", "g_b", "g_c"), strict=True):
            out.append({"quantity": "mean", "value_str": m, "n": n if with_n else "",
                        "group": "g", "role": name})
            out.append({"quantity": "sd", "value_str": s, "group": "g", "role": name})
        return out
    known = pick(run(*rows(f, True)), "F from group means and SDs")
    assert known.status == "consistent" and known.recomputed == pytest.approx(f, rel=1e-3)
    assert pick(run(*rows(f + 0.5, True)), "F from group means and SDs").status == "inconsistent"
    searched = pick(run(*rows(f, False)), "F from group means and SDs")
    assert searched.status == "consistent" and "(5, 10, 8)" in searched.note


# --------------------------------------------------------------------------- Spearman


def test_spearman_exact_p_worked_by_hand():
    # n = 5, rho = .9: S = sum d^2 = (125 - 5)(1 - .9)/6 = 2. Of the 120 permutations, S <= 2
    # for the identity and the 4 adjacent swaps, so the exact two-sided p = 2 x 5/120.
    exact = 2 * 5 / 120
    t = 0.9 * math.sqrt(3 / (1 - 0.81))
    approx = 2 * stats.t.sf(t, 3)
    checks = run({"quantity": "rho", "value_str": ".900", "n": 5, "group": "g"},
                 {"quantity": "p", "value_str": ".083", "group": "g"},
                 {"quantity": "rho", "value_str": ".900", "n": 5, "group": "h"},
                 {"quantity": "p", "value_str": f"{approx:.3f}".lstrip("0"), "group": "h"})
    e1 = pick(checks, "p from rho (Spearman, exact)", ".083")
    assert e1.status == "consistent" and e1.recomputed == pytest.approx(exact, rel=REL)
    a1 = pick(checks, "p from rho (Spearman, t approximation)", ".083")
    assert a1.status == "inconsistent" and a1.recomputed == pytest.approx(approx, rel=REL)
    other = f"{approx:.3f}".lstrip("0")
    assert pick(checks, "p from rho (Spearman, exact)", other).status == "inconsistent"
    assert pick(checks, "p from rho (Spearman, t approximation)", other).status == "consistent"


def test_spearman_exact_falls_back_when_the_module_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "models.correlation", None)
    checks = run({"quantity": "rho", "value_str": "-.245", "n": 87, "group": "g"},
                 {"quantity": "p", "value_str": ".022", "group": "g"})
    ex = pick(checks, "p from rho (Spearman, exact)")
    assert ex.status == "not_checkable" and "not available" in ex.note
    assert pick(checks, "p from rho (Spearman, t approximation)").status == "consistent"


def test_spearman_by_mark_and_n_search():
    checks = run({"quantity": "rho", "value_str": "-.264", "n": 47, "mark": "none",
                  "location": "Table 4"},
                 {"quantity": "rho", "value_str": "-.344", "n": 47, "mark": "*", "location": "Table 4"},
                 {"quantity": "rho", "value_str": "-.264", "n": 47, "mark": "**", "location": "Table 4"})
    by_mark = [c for c in checks if c.quantity.endswith("t approximation), by mark")]
    assert [c.status for c in by_mark] == ["consistent", "consistent", "inconsistent"]
    # rho = -.264 is p < .01 only with a far larger n
    assert "consistent with n = " in by_mark[2].note


def test_p_against_its_mark():
    checks = run({"quantity": "p", "value_str": ".006", "mark": "**", "location": "Table 5"},
                 {"quantity": "p", "value_str": ".047", "mark": "**", "location": "Table 5"},
                 {"quantity": "p", "value_str": ".047", "mark": "*", "location": "Table 5"},
                 {"quantity": "p", "value_str": ".051", "mark": "none", "location": "Table 5"},
                 {"quantity": "p", "value_str": ".041", "mark": "none", "location": "Table 5"})
    marks = [c.status for c in checks if c.quantity == "p against its mark"]
    assert marks == ["consistent", "inconsistent", "consistent", "consistent", "inconsistent"]


# --------------------------------------------------------------------------- R2


def _nagelkerke_by_hand(chi2, n, k1):
    ll0 = k1 * math.log(k1 / n) + (n - k1) * math.log((n - k1) / n)
    return (1 - math.exp(-chi2 / n)) / (1 - math.exp(2 * ll0 / n))


def test_nagelkerke_and_cox_snell():
    def rows(r2, quantity="R2_nagelkerke"):
        return ({"quantity": "chi2", "value_str": "18.815", "df": "3", "n": 47, "group": "m"},
                {"quantity": quantity, "value_str": r2, "group": "m"},
                {"quantity": "n", "value_str": "24", "group": "m", "role": "split"},
                {"quantity": "n", "value_str": "23", "group": "m", "role": "split"})
    want = _nagelkerke_by_hand(18.815, 47, 24)
    ok = pick(run(*rows(f"{want:.3f}".lstrip("0"))), "Nagelkerke R2")
    assert ok.status == "consistent" and ok.recomputed == pytest.approx(want, rel=REL)
    bad = pick(run(*rows(".450")), "Nagelkerke R2")
    assert bad.status == "inconsistent" and "implies chi2 = 19.35" in bad.note
    cs = pick(run(*rows(".330", "R2_coxsnell")), "Cox-Snell R2")
    assert cs.status == "consistent"
    assert cs.recomputed == pytest.approx(1 - math.exp(-18.815 / 47), rel=REL)


# --------------------------------------------------------------------------- percentages, means


def test_grim_percent():
    checks = run({"quantity": "percent", "value_str": "79", "n": 16},
                 {"quantity": "percent", "value_str": "31", "n": 16},
                 {"quantity": "percent", "value_str": "27.5", "n": 87})
    bad, ok, bad2 = [c for c in checks if c.quantity == "percent (GRIM)"]
    assert bad.status == "inconsistent" and "n = 14 (11/14)" in bad.note
    assert ok.status == "consistent" and ok.recomputed == 31.25        # 5/16
    assert bad2.status == "inconsistent"                               # 24/87 = 27.59


def test_grim_mean_of_integers():
    # 19 integers sum to 48: mean 2.526 prints as 2.53; no sum gives 2.54
    checks = run({"quantity": "mean", "value_str": "2.53", "n": 19, "group": "a", "role": "integer"},
                 {"quantity": "mean", "value_str": "2.54", "n": 19, "group": "b", "role": "integer"})
    ok, bad = [c for c in checks if c.quantity == "mean of integers (GRIM)"]
    assert ok.status == "consistent" and ok.recomputed == pytest.approx(48 / 19, rel=REL)
    assert bad.status == "inconsistent"


def test_percent_from_count_and_n():
    def rows(v, approx=False):
        return ({"quantity": "percent", "value_str": v, "n": 152, "group": "g",
                 "bound": "~" if approx else ""},
                {"quantity": "count", "value_str": "66", "group": "g", "role": "count"})
    ok = pick(run(*rows("43", True)), "percent from count and n")
    assert ok.status == "consistent" and ok.recomputed == pytest.approx(6600 / 152, rel=REL)
    bad = pick(run(*rows("45")), "percent from count and n")
    # 66/148 = 44.6 ... 66/146 = 45.2 round to 45; 66/145 = 45.52 and 66/149 = 44.30 do not
    assert bad.status == "inconsistent" and "consistent with n = 146 to 148" in bad.note


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.data(), st.integers(0, 2))
def test_grim_never_rejects_a_true_percentage(n, data, decimals):
    k = data.draw(st.integers(0, n))
    c = pick(run({"quantity": "percent", "value_str": f"{100 * k / n:.{decimals}f}", "n": n}),
             "percent (GRIM)")
    assert c.status == "consistent"


@settings(max_examples=40, deadline=None)
@given(st.floats(0.0, 6.0), st.integers(1, 200))
def test_p_from_t_never_rejects_a_correctly_rounded_p(t, df):
    p = 2 * stats.t.sf(round(t, 2), df)
    c = pick(run({"quantity": "t", "value_str": f"{t:.2f}", "df": str(df), "group": "g"},
                 {"quantity": "p", "value_str": f"{p:.3f}", "group": "g"}), "p from t")
    assert c.status == "consistent"


@settings(max_examples=40, deadline=None)
@given(st.floats(-3.0, 3.0).filter(lambda b: abs(b) > 0.01), st.floats(0.01, 2.0))
def test_wald_never_rejects_correctly_rounded_inputs(b, se):
    w = (b / se) ** 2
    c = pick(run({"quantity": "B", "value_str": f"{b:.3f}", "group": "g"},
                 {"quantity": "SE", "value_str": f"{se:.3f}", "group": "g"},
                 {"quantity": "Wald", "value_str": f"{w:.3f}", "group": "g"}), "Wald")
    assert c.status == "consistent"


# --------------------------------------------------------------------------- sums, copies, IQR


def test_sums_of_parts():
    checks = run({"quantity": "n", "value_str": "87", "group": "s", "role": "total"},
                 {"quantity": "n", "value_str": "22", "group": "s|t", "role": "part|part"},
                 {"quantity": "n", "value_str": "44", "group": "s|t", "role": "part|part"},
                 {"quantity": "n", "value_str": "21", "group": "s", "role": "part"},
                 {"quantity": "n", "value_str": "65", "group": "t", "role": "total"},
                 {"quantity": "percent", "value_str": "34.0", "group": "p", "role": "part"},
                 {"quantity": "percent", "value_str": "31.9", "group": "p", "role": "part"},
                 {"quantity": "percent", "value_str": "34.0", "group": "p", "role": "part"},
                 {"quantity": "percent", "value_str": "2", "group": "q", "role": "part"},
                 {"quantity": "percent", "value_str": "27", "group": "q", "role": "part"},
                 {"quantity": "percent", "value_str": "56", "group": "q", "role": "part"},
                 {"quantity": "percent", "value_str": "27.5", "group": "q", "role": "part"})
    totals = [c for c in checks if c.quantity == "sum of parts"]
    assert [(c.reported, c.status) for c in totals] == [("87", "consistent"), ("65", "inconsistent")]
    pcts = [c for c in checks if c.quantity == "sum of percentages"]
    assert [c.status for c in pcts] == ["consistent", "inconsistent"]   # 99.9 ok; 112.5 not
    assert pcts[1].recomputed == 112.5


def test_same_quantity_printed_twice():
    checks = run({"quantity": "chi2", "value_str": "18.815", "group": "a", "role": "copy"},
                 {"quantity": "chi2", "value_str": "18.518", "group": "a", "role": "copy"},
                 {"quantity": "R2_nagelkerke", "value_str": ".450", "group": "b", "role": "copy"},
                 {"quantity": "percent", "value_str": "45.0", "group": "b", "role": "copy"},
                 {"quantity": "p", "value_str": "<.001", "group": "c", "role": "copy"},
                 {"quantity": "p", "value_str": ".000", "group": "c", "role": "copy"},
                 {"quantity": "p", "value_str": ".002", "group": "c", "role": "copy"})
    got = [(c.reported, c.status) for c in checks if c.quantity == "same quantity printed twice"]
    assert got == [("18.518", "inconsistent"), ("45.0", "consistent"), (".000", "consistent"),
                   (".002", "inconsistent")]


def test_median_within_its_iqr():
    def rows(med):
        return ({"quantity": "median", "value_str": med, "group": "g"},
                {"quantity": "q1", "value_str": "56", "group": "g"},
                {"quantity": "q3", "value_str": "65", "group": "g"})
    assert pick(run(*rows("61")), "median within IQR").status == "consistent"
    assert pick(run(*rows("70")), "median within IQR").status == "inconsistent"


def test_a_lone_number_is_not_checkable():
    c = pick(run({"quantity": "coef", "value_str": "-0.051"}), "coef")
    assert c.status == "not_checkable" and c.recomputed == "" and "no SE" in c.note


# --------------------------------------------------------------------------- the four papers


@pytest.fixture(scope="module")
def all_checks():
    return check_published()


def test_all_papers_run(all_checks):
    per_paper = {s: sum(c.paper == s for c in all_checks) for s in STUDIES}
    assert per_paper == {"hood2016": 106, "wilkins2018": 51, "wilkins2020": 123, "hood2021": 20}
    assert {c.status for c in all_checks} <= set(STATUSES)
    json.dumps([c.as_dict() for c in all_checks], allow_nan=False)


def test_status_counts(all_checks):
    """Each record is checked, used as an input of a check, or listed as not checkable."""
    assert len(load_published()) == 321
    counts = {(s, st_): sum(c.paper == s and c.status == st_ for c in all_checks)
              for s in STUDIES for st_ in STATUSES}
    assert counts == {
        ("hood2016", "consistent"): 42, ("hood2016", "inconsistent"): 8,
        ("hood2016", "not_checkable"): 56,
        ("wilkins2018", "consistent"): 21, ("wilkins2018", "inconsistent"): 9,
        ("wilkins2018", "not_checkable"): 21,
        ("wilkins2020", "consistent"): 99, ("wilkins2020", "inconsistent"): 15,
        ("wilkins2020", "not_checkable"): 9,
        ("hood2021", "consistent"): 9, ("hood2021", "inconsistent"): 0,
        ("hood2021", "not_checkable"): 11,
    }
    b = _find(all_checks, "wilkins2018", "B", "deprivation rank /")
    assert b.status == "not_checkable" and "SE = |B|/sqrt(Wald) = 0.4306" in b.note


def test_one_paper_equals_its_share_of_all(all_checks):
    mine = check_published("wilkins2018")
    assert mine == [c for c in all_checks if c.paper == "wilkins2018"]
    with pytest.raises(ValueError, match="paper must be one of"):
        check_published("wilkins2019")


def _find(checks, paper, quantity, where):
    hits = [c for c in checks if c.paper == paper and c.quantity == quantity and where in c.location]
    assert len(hits) == 1, [(c.quantity, c.location) for c in hits]
    return hits[0]


def test_wilkins2018_deprivation_rho(all_checks):
    # "levels of deprivation (Spearman's rho=-.245, p=.022)", n = 87
    ex = _find(all_checks, "wilkins2018", "p from rho (Spearman, exact)", "deprivation /")
    ap = _find(all_checks, "wilkins2018", "p from rho (Spearman, t approximation)", "deprivation /")
    assert ex.status == ap.status == "consistent"
    assert round(ex.recomputed, 3) == round(ap.recomputed, 3) == 0.022
    assert ex.recomputed > ap.recomputed                       # Edgeworth .02242 vs t .02219
    assert ex.recomputed / ap.recomputed - 1 == pytest.approx(0.0103, abs=5e-4)
    assert "ties" in ex.note


def test_wilkins2018_inconsistencies(all_checks):
    # "assessments overdue (Spearman's rho=-.224, p=.043)": n = 87 gives .037 either way
    for method in ("exact", "t approximation"):
        c = _find(all_checks, "wilkins2018", f"p from rho (Spearman, {method})", "assessments overdue /")
        assert c.status == "inconsistent" and round(c.recomputed, 3) == 0.037
        assert "consistent with n = 82" in c.note
    # "(F(2,21)=4.83 ...)" with n = 22, "(F(2,43)=13.26 ...)" n = 44, "(F(2,20)=9.42 ...)" n = 21
    dfs = [c for c in all_checks if c.paper == "wilkins2018" and c.quantity == "df"]
    assert [(c.reported, c.status) for c in dfs] == [
        ("2,21", "inconsistent"), ("2,43", "inconsistent"), ("2,20", "inconsistent")]
    assert all("is n - 1 (the total df)" in c.note for c in dfs)
    # "2% ... 27% ... 56% ... 27.5%" of 87 authorities sum to 112.5
    s = [c for c in all_checks if c.paper == "wilkins2018" and c.quantity == "sum of percentages"]
    assert [(c.recomputed, c.status) for c in s] == [(112.5, "inconsistent"), (100.0, "consistent")]
    # every Wald p of the multinomial models is reproduced
    walds = [c for c in all_checks if c.paper == "wilkins2018" and c.quantity == "p from Wald"]
    assert len(walds) == 4 and {c.status for c in walds} == {"consistent"}


def test_wilkins2020_known_results(all_checks):
    paper = "wilkins2020"
    # "(t(45) = 2.26, p = .029)" from the means and SDs of the 24 and 23 authorities
    assert _find(all_checks, paper, "t (pooled)", "spend per child (GBP): low").status == "consistent"
    # Table 5, assessments overdue: B = -.059 and SE = .038 do not give Wald 3.805; the text's -.074 does
    w = _find(all_checks, paper, "Wald", "Assessments Overdue")
    assert w.status == "inconsistent" and "consistent with B = -.074" in w.note
    # text chi2 18.815 vs Table 5 18.518
    c = _find(all_checks, paper, "same quantity printed twice", "Full model / chi2")
    assert c.status == "inconsistent"
    # "Exp b = 1.97" in the text: exp(.092) = 1.096
    assert _find(all_checks, paper, "OR", "up to date dental").status == "inconsistent"
    # Table 5 dental CI "(1.097, 1.001)": the first repeats the OR, the second is the lower limit
    lo = _find(all_checks, paper, "CI lower limit", "dental")
    hi = _find(all_checks, paper, "CI upper limit", "dental")
    assert lo.status == hi.status == "inconsistent"
    assert "repeats the printed OR" in lo.note and "other order" in hi.note
    # "Nagelkerke r2 = .450" is not what chi2 = 18.815 on 24/23 gives, but 18.518 on n = 45 does
    r2 = _find(all_checks, paper, "Nagelkerke R2", "final logistic model")
    assert r2.status == "inconsistent"
    assert r2.recomputed == pytest.approx(_nagelkerke_by_hand(18.815, 47, 24), rel=REL)
    assert "chi2 = 18.518" in r2.note and "n = 45 (22/23)" in r2.note
    # "(F(2, 22) = 4.19, p = .03)" within the high category (n = 23)
    assert _find(all_checks, paper, "df", "level, high Ofsted category").status == "inconsistent"
    # every Table 4 mark agrees with the t-approximate p at n = 47
    t4 = [c for c in all_checks if c.paper == paper and c.location.startswith("Table 4")
          and c.quantity == "p from rho (Spearman, t approximation), by mark"]
    assert len(t4) == 16 and {c.status for c in t4} == {"consistent"}


def test_hood2016_table3_percentages(all_checks):
    grim = [c for c in all_checks if c.paper == "hood2016" and c.quantity == "percent (GRIM)"]
    assert len(grim) == 38
    bad = sorted(c.location.removeprefix("Table 3: ") for c in grim if c.status == "inconsistent")
    assert bad == [
        "Agency Worker Rates / Group A % LAs where indicator rises",
        "Core Assessments < 35 Days / Group A % LAs where indicator rises",
        "Initial Assessments < 10 days / Group A % LAs where indicator rises",
        "Initial Assessments < 10 days / Group B % LAs where indicator rises",
        "Initial CP Conference < 15 days / Group A % LAs where indicator rises",
        "Rates of CIN per social worker / Group A % LAs where indicator rises",
        "Rates of Core Assessments / Group A % LAs where indicator rises",
        "Rates of Initial Assessments / Group B % LAs where indicator rises",
    ]


def test_hood2021_counts_agree(all_checks):
    mine = [c for c in all_checks if c.paper == "hood2021" and c.status != "not_checkable"]
    assert mine and {c.status for c in mine} == {"consistent"}
