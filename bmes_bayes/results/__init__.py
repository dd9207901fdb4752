"""Results of the model itself (layer 6): frozen, labelled, displayed from their own ``to_frame()``.

- :mod:`~bmes_bayes.display`: the display base every result of the package derives from, and the HTML and text
  pieces results share. It is a foundation module outside this package, so that the layers below (``spec`` for
  ``AlertConfig``) can load it without loading any result;
- :mod:`~bmes_bayes.results.posterior`: :class:`Posterior`, :class:`Unasked`, :class:`Vocabulary`;
- :mod:`~bmes_bayes.results.marginals`: :class:`Marginals` (was in ``bmes_bayes.drawing``).

The names below were importable from the module ``bmes_bayes.results`` before it became this package and stay so,
private helpers included (other modules still import them).
"""

from __future__ import annotations

from ..display import (DISCLAIMER, UNASKED_HEAD, ModelInfo, ResultDisplay, _alert_lines, _alerts_html,  # noqa: F401
                      _conflict_line, _evidence_html, _footer_html, _frame_html, _plain, _unasked_html,
                      _unasked_lines, draws_frame, frame_text, read_only)
from .marginals import Marginals
from .posterior import Posterior, Unasked, Vocabulary

__all__ = ["ModelInfo", "Posterior", "Unasked", "Vocabulary", "Marginals", "ResultDisplay", "draws_frame",
           "frame_text", "read_only", "DISCLAIMER", "UNASKED_HEAD"]
