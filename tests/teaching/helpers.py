"""Shared helpers of the teaching tests: the scenario library, the classic transient-BMES case, entropy, a CPT entry.
"""

from __future__ import annotations

import numpy as np

from bmes_bayes import scenarios

ALL = scenarios.load_all()
TOH = scenarios.load("classic-toh")
DIAG = "diagnosis"


def _entropy(p):
    p = np.asarray(p, float)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def _cpt(model, finding, diagnosis, state):
    """P(finding = state | diagnosis) from the point CPT of a finding whose only parent is the diagnosis."""
    assert model.variables[finding].parents == (DIAG,)
    table = model.cpt(finding).to_numpy()
    return float(table[model.states(DIAG).index(diagnosis), model.states(finding).index(state)])
