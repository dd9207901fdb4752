"""The model card, kept importable from its old home: it now lives in :mod:`bmes_bayes.report.model_card`.

>>> import bmes_bayes
>>> from bmes_bayes.model_card import model_card_text
>>> text = model_card_text(bmes_bayes.load_model())
>>> "## Every parameter" in text and "What the structure assumes" in text
True
"""

from __future__ import annotations

from .report.model_card import (DEFAULT_PATH, HAND_WRITTEN, RELIABILITY_PNG, _md_table,  # noqa: F401
                                _shipped_validation, hand_written_card, model_card_text, parameter_rows,
                                validation_section, write_model_card)

__all__ = ["model_card_text", "hand_written_card", "parameter_rows", "write_model_card", "DEFAULT_PATH"]
