"""The report as a person sees it: HTML and JSON content, and a headless Chromium rendering."""

from __future__ import annotations

import json
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
