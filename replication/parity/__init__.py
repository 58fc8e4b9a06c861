"""Agreement with R, per method: what ``replicate parity`` prints.

Each method family has a module here (``correlation``, ``elasticnet``, ...) exposing
``parity_rows(live: bool) -> list[ParityRow]``: the largest relative difference of our
numbers from R's, computed against live R when ``live`` is true and R is present, else
against the frozen fixtures. Modules are discovered, so a family adds its rows by
adding its module.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ParityRow:
    method: str          # e.g. "cor_test spearman p-value"
    reference: str       # the R call, e.g. "cor.test(method='spearman')"
    cases: int           # how many cases were compared
    max_rel_diff: float  # largest relative difference over the cases
    tolerance: float     # METHODS.md section 3
    source: str          # "live R" or "frozen fixture <name>"
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.max_rel_diff <= self.tolerance

    def as_dict(self) -> dict:
        d = asdict(self)
        d["ok"] = self.ok
        return d


def family_modules() -> list[str]:
    import replication.parity as pkg  # noqa: PLC0415

    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)
                  if not m.name.startswith("_") and m.name != "versions")


def collect(live: bool) -> list[ParityRow]:
    rows: list[ParityRow] = []
    for name in family_modules():
        mod = importlib.import_module(f"replication.parity.{name}")
        rows.extend(mod.parity_rows(live))
    return rows


def baseline_path():
    """``fixtures/parity_baseline.json`` in the source tree."""
    from replication.rbridge.fixtures import fixtures_root  # noqa: PLC0415

    return fixtures_root().parent / "parity_baseline.json"


def load_baseline() -> dict | None:
    import json  # noqa: PLC0415

    p = baseline_path()
    return json.loads(p.read_text()) if p.is_file() else None


def write_baseline(rows: list[ParityRow], versions: dict[str, str]):
    import datetime  # noqa: PLC0415
    import json  # noqa: PLC0415

    p = baseline_path()
    doc = {"date": datetime.date.today().isoformat(), "versions": versions,
           "rows": [r.as_dict() for r in rows]}
    p.write_text(json.dumps(doc, indent=1) + "\n")
    return p


def moved_versions(baseline: dict, versions: dict[str, str]) -> list[str]:
    """'name old -> new' for every package whose version differs from the baseline's."""
    old = baseline.get("versions", {})
    return [f"{k} {old.get(k)} -> {versions.get(k)}" for k in sorted(set(old) | set(versions))
            if k in old and k in versions and old.get(k) != versions.get(k)]
