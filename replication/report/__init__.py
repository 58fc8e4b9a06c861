"""The run's report: one self-contained ``report.html``, ``results.json`` and CSVs.

:func:`write_report` takes the results of one ``replicate run`` and writes, under the
output directory:

* ``report.html``: a front page summarising every study (and any that could not run on
  the data, with the reason); the data's exclusions, missing values and the build's
  repairs; then per study what was run and on which data, each option with its value,
  default and alternatives, whom the study left out and why, notes, each table and each
  figure (PNG embedded as data URIs: no network needed), and the versions;
* ``results.json``: every table as records, with options, exclusions and notes;
* ``data/exclusions.csv`` and ``data/build_issues.csv`` (the panel's exclusions, the
  build's issue log where known);
* ``<study>/*.csv`` and ``<study>/*.png``, written by each :class:`StudyResult`
  (including ``options.csv`` and ``exclusions.csv``).
"""

from __future__ import annotations

from replication.report.html import write_report

__all__ = ["write_report"]
