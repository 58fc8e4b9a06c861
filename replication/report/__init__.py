"""The run's report: one self-contained ``report.html``, ``results.json`` and CSVs.

:func:`write_report` takes the results of one ``replicate run`` and writes, under the
output directory:

* ``report.html``: a front page summarising every study, then per study what was run
  and on which data, the options used, notes (exclusions, departures), each table and
  each figure (PNG embedded as data URIs: no network needed), and the versions;
* ``results.json``: every table as records, with options and notes;
* ``<study>/*.csv`` and ``<study>/*.png``, written by each :class:`StudyResult`.
"""

from __future__ import annotations

from replication.report.html import write_report

__all__ = ["write_report"]
