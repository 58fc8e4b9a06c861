"""One module per study, each reading like the paper's method section.

A study module exposes ``run(panel, **options) -> StudyResult`` (see
:mod:`replication.papers._base`). The registry below lists the four studies; one
whose module is not there yet is reported as not built, never faked.
"""

from __future__ import annotations

import importlib
from types import ModuleType

STUDIES: tuple[str, ...] = ("hood2016", "wilkins2018", "wilkins2020", "hood2021")


def study_module(name: str) -> ModuleType | None:
    """The study's module, or None while it is not built."""
    if name not in STUDIES:
        raise KeyError(f"unknown study {name!r}; choose from {', '.join(STUDIES)}")
    try:
        return importlib.import_module(f"replication.papers.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"replication.papers.{name}":
            return None
        raise


def study_options(module: ModuleType) -> set[str]:
    """The option names a study's ``run`` accepts: its ``DEFAULT_OPTIONS`` and its own keyword
    arguments (not the panel, the progress callback, ``with_r`` or the ``**options`` catch-all)."""
    import inspect  # noqa: PLC0415

    params = inspect.signature(module.run).parameters
    own = {n for n, p in params.items() if p.kind is p.KEYWORD_ONLY
           and n not in ("progress", "with_r")}
    return own | set(getattr(module, "DEFAULT_OPTIONS", {}))


def built_studies() -> list[str]:
    return [s for s in STUDIES if study_module(s) is not None]
