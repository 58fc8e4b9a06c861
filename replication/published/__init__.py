"""Every number the four studies print, as data, and the consistency checks of them.

``load_published(study=None)`` returns the transcriptions (``numbers/<study>.csv``,
validated); ``check_published(paper=None)`` recomputes what the printed numbers allow
(METHODS.md section 4) and returns one :class:`CheckRecord` per check.
"""

from .checks import CheckRecord, check_published, check_records
from .records import COLUMNS, QUANTITIES, STUDIES, citation, load_published, make_records

__all__ = ["COLUMNS", "QUANTITIES", "STUDIES", "CheckRecord", "check_published", "check_records",
           "citation", "load_published", "make_records"]
