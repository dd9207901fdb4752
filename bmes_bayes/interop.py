"""Former home of the pgmpy adapter and the exports, kept so that old imports keep working.

New code imports :mod:`bmes_bayes.export` (writing other formats) and :mod:`bmes_bayes.inference.pgmpy_adapter`
(pgmpy models and reading other formats).
"""

from .export import FORMATS, Format, export, export_text  # noqa: F401
from .inference.pgmpy_adapter import READERS, pgmpy_tables, read_network, read_network_file, to_pgmpy  # noqa: F401

__all__ = ["to_pgmpy", "export", "export_text", "FORMATS", "pgmpy_tables", "read_network_file", "READERS"]
