"""The command line as a user meets it: help, version, failures, and `run all` end to end."""

from __future__ import annotations

import json

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
