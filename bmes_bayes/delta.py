"""Moved to :mod:`bmes_bayes.sensitivity.delta` (the delta-method preview of the uncertainty); re-exported here."""

from .sensitivity.delta import LABEL, PREVIEW_NOTE, STEP, DeltaUncertainty, delta_uncertainty

__all__ = ["DeltaUncertainty", "delta_uncertainty", "STEP", "LABEL", "PREVIEW_NOTE"]
