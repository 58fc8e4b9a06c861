"""The command line as a user meets it: help, version, failures, and `run all` end to end."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from replication import __version__
from replication.cli import cli
from replication.papers import STUDIES, built_studies


def _run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version_and_help():
    res = _run("--version")
    assert res.exit_code == 0 and __version__ in res.output
    res = _run("--help")
    assert res.exit_code == 0
    for cmd in ("run", "fixtures", "parity", "check-published"):
        assert cmd in res.output


def test_unknown_study_fails_with_one_line():
    res = CliRunner().invoke(cli, ["run", "nosuchstudy"])
    assert res.exit_code == 1
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert lines == ["error: unknown study 'nosuchstudy'; choose 'all' or one of: " + ", ".join(STUDIES)]


def test_missing_data_file_fails_with_one_line(tmp_path):
    res = CliRunner().invoke(cli, ["run", "all", "--data", str(tmp_path / "absent.parquet"), "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "no such file" in res.output


def test_unknown_fixture_fails_with_one_line():
    res = CliRunner().invoke(cli, ["fixtures", "regen", "--only", "no_such_fixture"])
    assert res.exit_code == 1 and "no fixture named no_such_fixture" in res.output


def test_run_all_on_the_synthetic_panel(tmp_path):
    res = _run("run", "all", "--without-r", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    out = tmp_path / "out"
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["ran"][0] == "panel_correlations"
    assert manifest["with_r"] is False
    built = built_studies()
    assert set(manifest["not_built"]) == set(STUDIES) - set(built)
    for name in manifest["not_built"]:
        assert f"not built yet {name}" in " ".join(res.output.split())
    # the correlation analyses really ran: a Spearman table per year with R-exact p-values
    long = (out / "panel_correlations" / "spearman_long.csv").read_text().splitlines()
    assert long[0].startswith("year,var1,var2,estimate")
    assert len(long) > 100
    assert (out / "report.html").is_file() and (out / "results.json").is_file()
    doc = json.loads((out / "results.json").read_text())
    assert "panel_correlations" in doc["studies"]


def test_parity_json_lists_rows_and_versions():
    res = CliRunner().invoke(cli, ["parity", "--format", "json", "--frozen"])
    doc = json.loads(res.output[: res.output.rindex("}") + 1])
    assert doc["live"] is False
    assert "numpy" in doc["versions"]
    assert all({"method", "max_rel_diff", "tolerance", "ok"} <= set(r) for r in doc["rows"])
    assert res.exit_code == (0 if all(r["ok"] for r in doc["rows"]) else 1)


def test_run_all_goes_on_past_a_study_the_data_cannot_serve(tmp_path):
    from replication.data import make_panel  # noqa: PLC0415

    panel = make_panel(seed=2, n_la=60)
    panel.las["inadequate_2012_13"] = pd.Series(pd.NA, index=panel.las.index, dtype="boolean")
    path, _ = panel.to_parquet(tmp_path / "panel.parquet")
    pd.DataFrame({"kind": ["repair"], "source": ["ofsted/sif.csv"], "la_code": [305], "year": [2015],
                  "indicator": [None], "column": [None], "row": [None],
                  "detail": ["inspection date re-parsed from the report's front page"]}
                 ).to_csv(tmp_path / "panel.report.csv", index=False)
    res = _run("run", "all", "--data", str(path), "--without-r", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    said = " ".join(res.output.split())
    assert "could not run hood2016: no LA has a value of the outcome 'inadequate_2012_13'" in said
    manifest = json.loads((tmp_path / "out" / "run.json").read_text())
    assert "hood2016" not in manifest["ran"] and "wilkins2018" in manifest["ran"]
    assert manifest["not_run"]["hood2016"].startswith("hood2016: no LA has a value")
    text = (tmp_path / "out" / "report.html").read_text()
    assert "could not run on this data: hood2016" in text
    assert "inspection date re-parsed from the report" in text
    # one study asked for by name: its failure is the command's failure
    res = CliRunner().invoke(cli, ["run", "hood2016", "--data", str(path), "--without-r",
                                   "--out", str(tmp_path / "one")])
    assert res.exit_code == 1 and "no LA has a value of the outcome" in res.output


def test_a_synthetic_run_says_there_is_no_build_log(tmp_path):
    res = _run("run", "wilkins2020", "--without-r", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    text = (tmp_path / "report.html").read_text()
    assert "Synthetic panel: generated, not built from raw files" in text
    assert "Options used and their alternatives" in text and "SPSS&#x27;s Forward: LR" in text


def test_set_changes_a_study_option_and_the_report_flags_it(tmp_path):
    res = _run("run", "hood2016", "--without-r", "--set", "alpha=0.5", "--set", "s=lambda.1se",
               "--set", "correlation_years=[2011, 2012]", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    opts = pd.read_csv(tmp_path / "hood2016" / "options.csv").set_index("option")
    assert opts.loc["alpha", ["value", "changed"]].tolist() == ["0.5", True]
    assert opts.loc["s", ["value", "changed"]].tolist() == ["lambda.1se", True]
    assert opts.loc["correlation_years", "value"] == "[2011, 2012]"
    assert not opts.loc["nfolds", "changed"]
    manifest = json.loads((tmp_path / "run.json").read_text())
    assert manifest["settings"] == {"alpha": 0.5, "s": "lambda.1se", "correlation_years": [2011, 2012]}
    spear = pd.read_csv(tmp_path / "hood2016" / "spearman_long.csv")
    assert set(spear["year"]) <= {2011, 2012, 2013, 2014}  # the workforce years stay


def test_set_refuses_an_unknown_option_and_a_bad_value_with_one_line(tmp_path):
    res = CliRunner().invoke(cli, ["run", "hood2016", "--set", "bogus=1", "--out", str(tmp_path)])
    assert res.exit_code == 1 and "--set bogus: no study in this run has that option" in res.output
    res = CliRunner().invoke(cli, ["run", "hood2016", "--set", "alpha", "--out", str(tmp_path)])
    assert res.exit_code == 1 and "expected NAME=VALUE" in res.output
    res = CliRunner().invoke(cli, ["run", "hood2016", "--without-r", "--set", "s=lambda.2se",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "hood2016: s must be 'lambda.min' or 'lambda.1se', got 'lambda.2se'" in " ".join(res.output.split())


def test_set_can_name_the_study_an_option_is_for(tmp_path):
    res = _run("run", "all", "--without-r", "--set", "hood2021.window=(-2, 2)",
               "--set", "hood2021.indicators=['icpc']", "--set", "hood2021.models=['slope_two_steps']",
               "--set", "wilkins2020.candidate_p=0.1", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    h21 = pd.read_csv(tmp_path / "hood2021" / "options.csv").set_index("option")
    assert h21.loc["window", ["value", "changed"]].tolist() == ["[-2, 2]", True]
    w18 = pd.read_csv(tmp_path / "wilkins2018" / "options.csv").set_index("option")
    assert not w18.loc["window", "changed"]  # the same name in another study is untouched
    w20 = pd.read_csv(tmp_path / "wilkins2020" / "options.csv").set_index("option")
    assert w20.loc["candidate_p", ["value", "changed"]].tolist() == ["0.1", True]
    bad = CliRunner().invoke(cli, ["run", "hood2016", "--set", "hood2021.window=(-2, 2)",
                                   "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "'hood2021' is not a study of this run" in bad.output
    bad = CliRunner().invoke(cli, ["run", "all", "--set", "hood2016.window=1", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "hood2016 has no option 'window'" in bad.output
