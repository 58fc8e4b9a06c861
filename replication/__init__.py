"""The four studies, their data, the R bridge, the report and the command line."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("csc-replication")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0"
