"""The report as a person sees it: HTML and JSON content, and a headless Chromium rendering."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from replication.papers._base import StudyResult  # noqa: E402
from replication.report import write_report  # noqa: E402


def _demo_result() -> StudyResult:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([2013, 2014, 2015], [520.0, 548.5, 531.0], marker="o")
    ax.set_title("median referrals per 10,000")
    table = pd.DataFrame({"indicator": ["referrals", "re_referrals"], "published": [0.245, 0.31],
                          "python": [0.2451, 0.29], "flag": [False, True]})
    vs_r = pd.DataFrame({"table": ["t4", "t4"], "row": ["a", "b"], "quantity": ["p", "p"],
                         "python": [0.02, 0.5], "r": [0.02, 0.4], "difference": [0.0, 0.2],
                         "tolerance": [1e-10, 1e-10], "within": [True, False]})
    return StudyResult(study="demo", data_label="synthetic (seed 5)", tables={"table_1": table, "python_vs_r": vs_r},
                       figures={"figure_1": fig}, options={"alpha": 1.0, "s": "lambda.1se"},
                       notes=["City of London (201) excluded"])


def test_report_html_and_json_content(tmp_path):
    res = _demo_result()
    res.write(tmp_path)
    path = write_report([res], tmp_path, data_label="synthetic (seed 5)", not_built=["hood2021"],
                        versions={"python": "3.11", "numpy": "2"}, checks=[
                            {"paper": "p", "location": "T1", "quantity": "p", "reported": ".02",
                             "recomputed": 0.021, "status": "consistent", "note": ""}])
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert "http://" not in text and "https://" not in text  # self-contained: nothing fetched
    assert text.count("data:image/png;base64,") == 1
    assert "not built yet" in text and "hood2021" in text
    assert "lambda.1se" in text and "City of London (201) excluded" in text
    assert '<td class="flag">True</td>' in text
    assert "0.2451" in text
    assert "<span class='bad'>1 of 2</span> (largest relative difference 0.2)" in text
    assert '<td class="flag">False</td>' in text
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["not_built"] == ["hood2021"]
    rows = doc["studies"]["demo"]["tables"]["table_1"]
    assert rows[1] == {"indicator": "re_referrals", "published": 0.31, "python": 0.29, "flag": True}
    assert doc["consistency_checks"][0]["status"] == "consistent"
    assert (tmp_path / "demo" / "table_1.csv").read_text().splitlines()[0] == "indicator,published,python,flag"
    assert (tmp_path / "demo" / "figure_1.png").stat().st_size > 1000


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--enable-logging=stderr", "--v=0"]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (CI installs it)")
def test_report_renders_in_headless_chromium(tmp_path):
    res = _demo_result()
    res.write(tmp_path)
    path = write_report([res], tmp_path, data_label="synthetic (seed 5)", not_built=[], versions={"python": "3.11"})
    profile = tmp_path / "profile"
    shot = tmp_path / "shot.png"
    url = path.resolve().as_uri()
    run = subprocess.run([CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", "--window-size=1200,1600",
                          f"--screenshot={shot}", url], capture_output=True, text=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 10_000, run.stderr[-2000:]
    img = plt.imread(shot)
    assert img.shape[0] >= 1000 and img.std() > 0.05  # not a blank page
    dom = subprocess.run([CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120)
    assert 'data-figures-rendered="1"' in dom.stdout
    console_errors = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln and ("Error" in ln or "Uncaught" in ln)]
    assert console_errors == []


def _options_result() -> StudyResult:
    from replication.papers._base import OptionDoc, exclusion_rows

    ex = pd.concat([exclusion_rows("panel", [201, 420], "very small child population"),
                    exclusion_rows("sample", [305], "first SIF inspection after 2016-03-31"),
                    exclusion_rows("analysis", [305, 306], "no value of spend per child",
                                   indicator="spend_per_child")], ignore_index=True)
    return StudyResult(
        study="demo", data_label="synthetic (seed 5)",
        options={"alpha": 0.5, "s": "lambda.min", "predictors": ["a", "b"], "lambda": 0.035},
        defaults={"alpha": 1.0, "s": "lambda.min", "predictors": None},
        option_docs={"alpha": OptionDoc("any mixing in [0, 1]", "glmnet's default"),
                     "s": OptionDoc('"lambda.1se"', "the paper's best model"),
                     "predictors": OptionDoc("a list of indicators", "None = all present")},
        given=("alpha",), exclusions=ex)


def test_options_table_states_value_default_alternatives_and_what_was_changed():
    t = _options_result().options_table().set_index("option")
    assert list(t.columns) == ["value", "default", "changed", "alternatives", "note"]
    assert t.loc["alpha", ["value", "default", "changed"]].tolist() == ["0.5", "1.0", True]
    assert t.loc["alpha", "alternatives"] == "any mixing in [0, 1]"
    assert not t.loc["s", "changed"]
    # a default the study resolves (None -> the indicators present) is not the caller's change
    assert t.loc["predictors", ["value", "default", "changed"]].tolist() == ['["a", "b"]', "None", False]
    assert t.loc["lambda", "note"] == "derived from the options above"


def test_report_lists_options_with_alternatives_exclusions_and_the_build_log(tmp_path):
    res = _options_result()
    res.write(tmp_path)
    data_ex = pd.DataFrame({"la_code": [201, 420, 305, 306], "year": [None, None, 2014, 2015],
                            "indicator": [None, None, "referrals", "referrals"],
                            "reason": ["City of London", "Isles of Scilly",
                                       "value missing: 'c' in column 'n', row 12",
                                       "value missing: 'c' in column 'n', row 40"]})
    issues = pd.DataFrame({"kind": ["repair", "conflict", "missing_value"], "source": ["a.csv"] * 3,
                           "la_code": [305, 306, 305], "year": [2014, 2015, 2014],
                           "detail": ["SIF date re-parsed from the front page", "b.csv differs", "c"]})
    path = write_report([res], tmp_path, data_label="built", not_built=[], versions={},
                        not_run={"hood2016": "hood2016: no LA has a value of the outcome"},
                        data_exclusions=data_ex, build_issues=issues)
    text = re.sub(r">\s+<", "><", path.read_text())
    # options: the changed one flagged, alternatives and notes shown
    assert "<tr class='flag'><td>alpha</td><td>0.5</td><td>1.0</td><td>any mixing in [0, 1]</td>" in text
    assert "<tr><td>s</td><td>lambda.min</td><td>lambda.min</td><td>&quot;lambda.1se&quot;</td>" in text
    assert "1 option(s) set away from the default" in text
    # exclusions: per stage in the summary, per stage and reason in the study
    assert "panel 2, sample 1, analysis 2 LAs" in text
    assert "<td>analysis</td><td>no value of spend per child</td><td>2</td><td>2</td>" in text
    # the data section: row numbers taken out of the reasons, so the two gaps count together
    assert "<td>referrals</td><td>value missing: 'c' in column 'n'</td><td>2</td><td>2</td>" in text
    assert "SIF date re-parsed from the front page" in text and "b.csv differs" in text
    assert "could not run on this data: hood2016: no LA has a value of the outcome" in text
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["not_run"] == {"hood2016": "hood2016: no LA has a value of the outcome"}
    assert {r["kind"]: r["rows"] for r in doc["build_issues"]} == {"repair": 1, "conflict": 1, "missing_value": 1}
    study = doc["studies"]["demo"]
    assert [r["option"] for r in study["options_table"] if r["changed"]] == ["alpha"]
    assert sorted({r["stage"] for r in study["exclusions"]}) == ["analysis", "panel", "sample"]
    assert pd.read_csv(tmp_path / "data" / "build_issues.csv")["kind"].tolist() == ["repair", "conflict", "missing_value"]
    assert len(pd.read_csv(tmp_path / "data" / "exclusions.csv")) == 4
    written = pd.read_csv(tmp_path / "demo" / "exclusions.csv")
    assert written["stage"].tolist() == ["panel", "panel", "sample", "analysis", "analysis"]
    assert pd.read_csv(tmp_path / "demo" / "options.csv")["changed"].tolist() == [True, False, False, False]


def test_report_says_why_there_is_no_build_log(tmp_path):
    path = write_report([_options_result()], tmp_path, data_label="synthetic", not_built=[], versions={},
                        build_note="Synthetic panel: generated, not built from raw files.")
    text = path.read_text()
    assert "Synthetic panel: generated, not built from raw files." in text
    assert json.loads((tmp_path / "results.json").read_text())["build_issues"] == (
        "Synthetic panel: generated, not built from raw files.")
    assert not (tmp_path / "data" / "build_issues.csv").exists()
