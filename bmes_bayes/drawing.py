"""The network drawing, kept importable from its old home.

The result now lives in :mod:`bmes_bayes.results.marginals` (:class:`~bmes_bayes.results.Marginals`) and the drawing
in :mod:`bmes_bayes.plotting.network` (:func:`~bmes_bayes.plotting.draw_network`, its layout and colours).
"""

from __future__ import annotations

from .plotting.network import (BAR, CHAR, GAP, HEADER, MAX_COLUMN, ROW, VALUE, columns,  # noqa: F401
                               draw_network, layout)
from .results.marginals import Marginals

__all__ = ["Marginals", "draw_network", "layout", "columns"]
