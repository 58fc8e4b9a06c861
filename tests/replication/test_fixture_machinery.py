"""fixtures/r machinery: regeneration records provenance; check says which side moved."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from replication.rbridge import fixtures as fx


def test_max_rel_diff_finds_the_worst_place():
    a = {"x": np.array([1.0, 2.0, np.nan]), "y": {"z": pd.Series([10.0], index=["k"])}}
    b = {"x": np.array([1.0, 2.0 * (1 + 1e-9), np.nan]), "y": {"z": pd.Series([10.0], index=["k"])}}
    d, where = fx.max_rel_diff(a, b)
    assert d == pytest.approx(1e-9 / (1 + 1e-9), rel=1e-6)
    assert where == ".x"
    assert fx.max_rel_diff(np.array([np.nan]), np.array([1.0]))[0] == math.inf
    assert fx.max_rel_diff({"a": 1}, {"b": 1})[0] == math.inf
    assert fx.max_rel_diff(["p", "q"], ["p", "q"])[0] == 0.0


def test_missing_fixture_names_the_regen_command(tmp_path, monkeypatch):
    monkeypatch.setenv("CSC_FIXTURES_DIR", str(tmp_path))
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "script.R").write_text("1")
    with pytest.raises(FileNotFoundError, match="replicate fixtures regen --only demo"):
        fx.load_fixture("demo")
    with pytest.raises(FileNotFoundError, match="no fixture named 'nope'"):
        fx.fixture_spec("nope")


def test_committed_fixtures_carry_provenance():
    names = fx.fixture_names()
    for name in names:
        doc = json.loads((fx.fixtures_root() / name / "output.json").read_text())
        meta = doc["meta"]
        for key in ("r_versions", "packages", "seed", "rngkind", "date", "command"):
            assert key in meta, f"{name}: meta lacks {key}"
        assert meta["command"] == f"replicate fixtures regen --only {name}"
        assert "R" in meta["r_versions"]


@pytest.mark.r
def test_regen_then_check_same_then_moved(tmp_path, monkeypatch):
    monkeypatch.setenv("CSC_FIXTURES_DIR", str(tmp_path))
    d = tmp_path / "demo_fixture"
    d.mkdir()
    (d / "script.R").write_text("# packages: stats\n# seed: 11\nlist(m = mean(input$x), u = runif(1))\n")
    (d / "input.py").write_text("def make_input():\n    return {'x': [1.0, 2.5, 4.0]}\n")
    f = fx.regen("demo_fixture")
    assert f.result["m"][0] == 2.5
    assert f.meta["seed"] == 11 and f.meta["rngkind"] == list(fx.RNGKIND)
    assert json.loads((d / "input.json").read_text()) == {"x": [1.0, 2.5, 4.0]}
    assert fx.check("demo_fixture").status == "same"
    # tamper with the frozen value: same versions, so R's output "changed" without a version move
    doc = json.loads((d / "output.json").read_text())
    doc["result"]["m"]["data"] = [2.6]
    (d / "output.json").write_text(json.dumps(doc))
    out = fx.check("demo_fixture")
    assert out.status == "moved" and "same R and package versions" in out.message
    # pretend the fixture was frozen under another R: the check names the version move
    doc["meta"]["r_versions"]["R"] = "3.2.2"
    (d / "output.json").write_text(json.dumps(doc))
    out = fx.check("demo_fixture")
    assert out.status == "moved" and "R 3.2.2 ->" in out.message
