"""Posterior.unasked: the history items nobody entered on which the top diagnosis rests, checked against the
definition evaluated one variant at a time with pgmpy (an independent engine)."""

from __future__ import annotations

import numpy as np
import pytest

from bmes_bayes.results import UNASKED_HEAD

from ..reference import pgmpy_posterior

CASES = [
    {"joint": "hip", "age_group": "middle", "sex": "male", "onset": "sudden", "mri_edema_pattern": "diffuse"},
    {"joint": "knee", "infection_risk": "no", "mri_fracture_line": "present"},   # exposure variants ruled out
    {"joint": "hip", "corticosteroid_dose": "high"},                           # corticosteroids=no is impossible
    {"sex": "male", "joint": "ankle_foot", "xray": "normal"},                   # pregnancy ruled out for a man
]


def _by_definition(model, ev):
    """Every unentered context or risk-factor state whose entry makes another diagnosis the top (pgmpy)."""
    states = model.states("diagnosis")
    top = int(np.argmax(pgmpy_posterior(model, ev, "diagnosis")))
    out = []
    for v in model.network.variables:
        if v.role not in ("context", "risk_factor") or v.name in ev:
            continue
        for s in v.states:
            p = pgmpy_posterior(model, {**ev, v.name: s}, "diagnosis")
            if not np.all(np.isfinite(p)) or p.sum() == 0:
                continue  # impossible with the evidence
            k = int(np.argmax(p))
            if k != top and p[k] > p[top] + 1e-12:
                out.append((v.name, s, states[k], float(p[k])))
    return out


@pytest.mark.parametrize("ev", CASES)
def test_unasked_items_are_those_of_the_definition(model, ev):
    got = model.posterior(ev).unasked
    ref = _by_definition(model, ev)
    assert [(u.variable, u.state, u.top) for u in got] == [r[:3] for r in ref]
    np.testing.assert_allclose([u.probability for u in got], [r[3] for r in ref], atol=1e-9)


def test_complete_history_leaves_nothing_unasked(model):
    ev = {v.name: v.states[0] for v in model.network.variables if v.role in ("context", "risk_factor")}
    assert model.posterior(ev).unasked == ()


def test_unasked_is_shown_and_can_be_switched_off(model):
    ev = CASES[0]
    post = model.posterior(ev)
    assert post.unasked and UNASKED_HEAD in str(post) and "Unasked history" in post._repr_html_()
    quiet = model.posterior(ev, checks=False)
    assert quiet.unasked == () and UNASKED_HEAD not in str(quiet)
    np.testing.assert_array_equal(quiet.probabilities, post.probabilities)
    assert model.posterior(ev, target="fever").unasked == ()   # only for the diagnosis
    with pytest.raises(TypeError, match="True or False"):
        model.posterior(ev, checks=1)
