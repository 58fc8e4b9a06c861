"""What every study (and the interim correlation analysis) returns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class StudyResult:
    """Named tables and figures of one study run, with the options and data it used.

    ``tables``: name -> DataFrame (written as ``<out>/<study>/<name>.csv``).
    ``figures``: name -> matplotlib Figure (written as PNG beside them).
    ``options``: every analytic choice used, by name (stated in the report).
    ``notes``: plain sentences for the reader (exclusions, departures, warnings).
    """

    study: str
    data_label: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def write(self, out_dir: Path) -> list[Path]:
        """Write tables (CSV), figures (PNG) and a summary (JSON) under ``out_dir/<study>``."""
        d = Path(out_dir) / self.study
        d.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in self.tables.items():
            p = d / f"{name}.csv"
            table.to_csv(p, index=False)
            written.append(p)
        for name, fig in self.figures.items():
            p = d / f"{name}.png"
            fig.savefig(p, dpi=110, bbox_inches="tight")
            written.append(p)
        summary = {
            "study": self.study,
            "data": self.data_label,
            "options": {k: (v if isinstance(v, (int, float, str, bool, type(None), list)) else repr(v))
                        for k, v in self.options.items()},
            "notes": self.notes,
            "tables": sorted(self.tables),
            "figures": sorted(self.figures),
        }
        p = d / "summary.json"
        p.write_text(json.dumps(summary, indent=1) + "\n")
        written.append(p)
        return written
