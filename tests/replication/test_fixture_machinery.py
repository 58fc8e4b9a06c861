"""fixtures/r machinery: regeneration records provenance; check says which side moved."""

from __future__ import annotations

import hashlib
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
    assert len(names) >= 20
    for name in names:
        doc = json.loads((fx.fixtures_root() / name / "output.json").read_text())
        meta = doc["meta"]
        for key in ("r_versions", "packages", "seed", "rngkind", "rng_used", "sha256", "date", "command"):
            assert key in meta, f"{name}: meta lacks {key}"
        assert meta["command"] == f"replicate fixtures regen --only {name}"
        assert "R" in meta["r_versions"]
        assert len(meta["rngkind"]) == 3 and all(isinstance(k, str) for k in meta["rngkind"]), name
        # the files on disk are the ones the frozen output was made from
        assert meta["sha256"] == fx.file_hashes(name), f"{name}: changed since regen; run {meta['command']}"


def test_committed_fixtures_using_r_rng_record_their_seeds():
    for name in ("elasticnet_cv", "rrandom_foldid", "rrandom_streams"):
        meta = fx.load_fixture(name).meta
        assert meta["rng_used"] is True, name
        assert meta["seed"] is not None and meta["seed_source"].startswith("input.json"), name
        assert meta["rngkind"] == list(fx.RNGKIND), name
    streams = fx.load_fixture("rrandom_streams")
    assert set(streams.meta["seed"]) >= set(streams.input["seeds"]) | {streams.input["sample_seed"]}
    assert fx.load_fixture("elasticnet_cv").meta["seed"] == 2016


def test_input_seeds_finds_seed_keys_at_any_depth():
    inp = {"cases": [{"seed": 3, "x": [1, 2]}, {"seed": 3}, {"seed": -5}], "seeds": [1, 2, 2],
           "sample_seed": 9, "n": 4, "seedless": {"y": 1}}
    assert fx.input_seeds(inp) == {"cases[].seed": [3, -5], "seeds": [1, 2], "sample_seed": [9]}
    assert fx._seed_meta(None, inp) == ([3, -5, 1, 2, 9], "input.json: cases[].seed, seeds, sample_seed")
    assert fx._seed_meta(None, {"cases": [{"seed": 7}]}) == (7, "input.json: cases[].seed")
    assert fx._seed_meta(11, inp)[0] == 11
    assert fx._seed_meta(None, {"x": 1}) == (None, None)


def _frozen_demo(tmp_path, monkeypatch):
    """A fixture with input.py, input.json and output.json already frozen (old bytes)."""
    monkeypatch.setenv("CSC_FIXTURES_DIR", str(tmp_path))
    d = tmp_path / "demo"
    d.mkdir()
    (d / "script.R").write_text("list(m = mean(input$x))\n")
    (d / "input.py").write_text("def make_input():\n    return {'x': [1.0, 2.0, 9.0]}\n")
    (d / "input.json").write_text('{"x": [1.0, 2.0]}\n')
    (d / "output.json").write_text(json.dumps({"meta": {"command": "old"}, "result": {"m": 1.5}}) + "\n")
    return d


@pytest.mark.parametrize("failure", ["not_available", "r_error", "missing_package"])
def test_failed_regen_leaves_the_fixture_untouched(tmp_path, monkeypatch, failure):
    from replication.rbridge import core  # noqa: PLC0415

    d = _frozen_demo(tmp_path, monkeypatch)
    before = {p.name: p.read_bytes() for p in d.iterdir()}

    def broken_r(payload, code, packages, seed, transport=None):
        assert json.loads(payload) == {"x": {"__class__": "double", "data": [1.0, 2.0, 9.0]}}
        if failure == "not_available":
            raise core.RNotAvailable("Rscript is not on PATH")
        if failure == "r_error":
            return json.dumps({"error": "boom", "warnings": []})
        return json.dumps({"missing_package": "glmnet"})

    monkeypatch.setattr(core, "_run_json", broken_r)
    with pytest.raises((core.RNotAvailable, core.RError)):
        fx.regen("demo")
    after = {p.name: p.read_bytes() for p in d.iterdir()}
    assert after == before  # same files (no temporaries left), same bytes


def test_regen_with_a_broken_input_py_leaves_the_fixture_untouched(tmp_path, monkeypatch):
    d = _frozen_demo(tmp_path, monkeypatch)
    (d / "input.py").write_text("def make_input():\n    raise ValueError('bad input')\n")
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    with pytest.raises(ValueError, match="bad input"):
        fx.regen("demo")
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before


def test_regen_writes_inputs_and_outputs_only_after_r_succeeded(tmp_path, monkeypatch):
    from replication.rbridge import core  # noqa: PLC0415

    d = _frozen_demo(tmp_path, monkeypatch)
    seen = []

    def fake_r(payload, code, packages, seed, transport=None):
        seen.append((d / "input.json").read_text())  # still the old input while R runs
        value = {"value": {"m": {"__class__": "double", "data": [4.0]}},
                 "rngkind": {"__class__": "character", "data": list(fx.RNGKIND)},
                 "rng_used": {"__class__": "logical", "data": False}}
        return json.dumps({"value": value, "warnings": []})

    monkeypatch.setattr(core, "_run_json", fake_r)
    monkeypatch.setattr(fx, "r_versions", lambda packages: {"R": "4.2.2"})
    f = fx.regen("demo")
    assert seen == ['{"x": [1.0, 2.0]}\n']
    assert f.input == {"x": [1.0, 2.0, 9.0]} and f.result["m"][0] == 4.0
    sha = {n: hashlib.sha256((d / n).read_bytes()).hexdigest() for n in ("script.R", "input.json", "input.py")}
    assert f.meta["sha256"] == sha
    assert f.meta["rng_used"] is False and f.meta["seed"] is None
    assert sorted(p.name for p in d.iterdir()) == ["input.json", "input.py", "output.json", "script.R"]


@pytest.mark.r
def test_regen_then_check_same_then_moved(tmp_path, monkeypatch):
    monkeypatch.setenv("CSC_FIXTURES_DIR", str(tmp_path))
    d = tmp_path / "demo_fixture"
    d.mkdir()
    (d / "script.R").write_text("# packages: stats\n# seed: 11\nlist(m = mean(input$x), u = runif(1))\n")
    (d / "input.py").write_text("def make_input():\n    return {'x': [1.0, 2.5, 4.0]}\n")
    f = fx.regen("demo_fixture")
    assert f.result["m"][0] == 2.5
    # Rscript: set.seed(11); runif(1) is 0.27724979422055185 under Mersenne-Twister / Inversion
    assert f.result["u"][0] == pytest.approx(0.27724979422055185, abs=1e-15)
    assert f.meta["seed"] == 11 and f.meta["rngkind"] == list(fx.RNGKIND) and f.meta["rng_used"] is True
    assert f.meta["seed_source"].startswith("script.R header")
    assert f.meta["sha256"] == fx.file_hashes("demo_fixture")
    assert f.meta["sha256"]["input.json"] == hashlib.sha256((d / "input.json").read_bytes()).hexdigest()
    assert json.loads((d / "input.json").read_text()) == {"x": [1.0, 2.5, 4.0]}
    out = fx.check("demo_fixture")
    assert out.status == "same" and "hashes match" in out.message
    # tamper with the frozen value: same files and versions, so neither side moved
    doc = json.loads((d / "output.json").read_text())
    doc["result"]["m"]["data"] = [2.6]
    (d / "output.json").write_text(json.dumps(doc))
    out = fx.check("demo_fixture")
    assert out.status == "moved" and "same script, inputs, R and package versions" in out.message
    assert "platform or BLAS" in out.message and "our side" not in out.message
    # pretend the fixture was frozen under another R: the check names the version move
    doc["meta"]["r_versions"]["R"] = "3.2.2"
    (d / "output.json").write_text(json.dumps(doc))
    out = fx.check("demo_fixture")
    assert out.status == "moved" and "R 3.2.2 ->" in out.message and "our side" not in out.message
    # frozen before hashes were recorded: still checks, and says so
    del doc["meta"]["sha256"]
    doc["meta"]["r_versions"]["R"] = f.meta["r_versions"]["R"]
    (d / "output.json").write_text(json.dumps(doc))
    out = fx.check("demo_fixture")
    assert out.status == "moved" and "not recorded" in out.message


@pytest.mark.r
def test_check_says_when_our_script_or_input_moved(tmp_path, monkeypatch):
    monkeypatch.setenv("CSC_FIXTURES_DIR", str(tmp_path))
    d = tmp_path / "demo"
    d.mkdir()
    (d / "script.R").write_text("list(m = mean(input$x))\n")
    (d / "input.json").write_text('{"x": [1.0, 2.0]}\n')
    fx.regen("demo")
    (d / "script.R").write_text("list(m = mean(input$x) + 1)\n")
    out = fx.check("demo")
    assert out.status == "moved" and "our side moved since regen: script.R changed" in out.message
    assert "R's side" not in out.message and "platform" not in out.message
    (d / "script.R").write_text("list(m = median(input$x))\n")  # a new script, same numbers
    out = fx.check("demo")
    assert out.status == "same" and "script.R changed" in out.message
    (d / "script.R").write_text("list(m = mean(input$x))\n")
    (d / "input.json").write_text('{"x": [1.0, 4.0]}\n')
    out = fx.check("demo")
    assert out.status == "moved" and "input.json changed" in out.message and "script.R" not in out.message
    (d / "input.json").write_text('{"x": [1.0, 2.0]}\n')
    assert fx.check("demo").status == "same"
    (d / "input.py").write_text("def make_input():\n    return {'x': [1.0, 2.0]}\n")
    assert "input.py added" in fx.check("demo").message


@pytest.mark.r
def test_regen_records_the_rngkind_in_force_after_the_script(tmp_path, monkeypatch):
    monkeypatch.setenv("CSC_FIXTURES_DIR", str(tmp_path))
    d = tmp_path / "demo"
    d.mkdir()
    (d / "script.R").write_text(
        "RNGkind(\"L'Ecuyer-CMRG\", \"Box-Muller\", \"Rounding\")\n"
        "lapply(input$cases, function(cs) { set.seed(cs$seed); runif(1) })\n")
    (d / "input.json").write_text('{"cases": [{"seed": 5}, {"seed": 6}]}\n')
    f = fx.regen("demo")
    assert f.meta["rngkind"] == ["L'Ecuyer-CMRG", "Box-Muller", "Rounding"]
    assert f.meta["seed"] == [5, 6] and f.meta["seed_source"] == "input.json: cases[].seed"
    assert f.meta["rng_used"] is True
    # R's one warning (the biased 'Rounding' sampler) is kept whole, not split into characters
    assert f.meta["warnings"] == ["non-uniform 'Rounding' sampler used"]
    # no RNG touched: R's default kinds are in force and rng_used is False
    (d / "script.R").write_text("sum(1:3)\n")
    (d / "input.json").write_text("{}\n")
    f = fx.regen("demo")
    assert f.meta["rngkind"] == list(fx.RNGKIND) and f.meta["rng_used"] is False and f.meta["seed"] is None
    assert f.result[0] == 6
