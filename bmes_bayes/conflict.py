"""Evidence conflict (Jensen's conflict measure).

Moved to :mod:`bmes_bayes.teaching.conflict`; this module re-exports it so that ``from bmes_bayes.conflict import
conflict`` keeps working.
"""

from .teaching.conflict import THRESHOLD, Conflict, conflict, conflict_value

__all__ = ["THRESHOLD", "Conflict", "conflict", "conflict_value"]
