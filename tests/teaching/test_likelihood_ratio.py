"""``bmes_bayes.teaching.likelihood_ratio``: likelihood ratios against direct Bayes on the CPTs and brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bmes_bayes import EvidenceError

from ..reference import brute_force
from .helpers import DIAG, _cpt


# ============================================================================================ likelihood ratios
@pytest.mark.parametrize("finding, diagnosis, positive, context", [
    ("fever", "infection", None, {"joint": "knee"}),
    ("mri_necrotic_segment", "osteonecrosis", None, {"joint": "hip", "corticosteroids": "yes"}),
    ("xray", "tumor", "lytic_or_destructive", {"joint": "hip", "age_group": "older"}),
    ("recent_trauma", "traumatic_fracture", None, {"joint": "hip", "age_group": "older", "sex": "female"}),
])
def test_likelihood_ratio_matches_brute_force(model, finding, diagnosis, positive, context):
    lr = model.likelihood_ratio(finding, diagnosis, positive=positive, evidence=context)
    states = model.states(DIAG)
    d = states.index(diagnosis)
    fstates = model.states(finding)
    k = fstates.index(lr.positive)
    pf = brute_force(model, context, finding)                       # P(f | ctx)
    pd_ = brute_force(model, context, DIAG)[d]                      # P(d | ctx)
    joint = np.array([pf[j] * brute_force(model, {**context, finding: s}, DIAG)[d] for j, s in enumerate(fstates)])
    p_d = joint / pd_
    p_not = (pf - joint) / (1 - pd_)
    assert abs(lr.lr_positive - p_d[k] / p_not[k]) < 1e-9 * lr.lr_positive
    assert abs(lr.lr_negative - (1 - p_d[k]) / (1 - p_not[k])) < 1e-9 * lr.lr_negative
    assert abs(lr.pre_test - pd_) < 1e-12
    # Bayes in odds form, both results: post-test odds = pre-test odds x LR
    odds = lambda p: p / (1 - p)  # noqa: E731
    frame = lr.to_frame().set_index("result")
    for result in ("positive", "negative"):
        r = frame.loc[result]
        assert abs(math.log(odds(r["post_test"])) - math.log(odds(r["pre_test"]) * r["lr"])) < 1e-9
    if model.variables[finding].parents == (DIAG,):   # direct Bayes: P(f | d, ctx) is the CPT entry
        assert abs(lr.sensitivity - _cpt(model, finding, diagnosis, lr.positive)) < 1e-12


def test_likelihood_ratio_rejects_bad_requests(model):
    with pytest.raises(EvidenceError, match="say which result counts"):
        model.likelihood_ratio("xray", "tumor")
    with pytest.raises(EvidenceError, match="already in the context"):
        model.likelihood_ratio("fever", "infection", evidence={"fever": "yes"})
    with pytest.raises(EvidenceError, match="did you mean 'fever'"):
        model.likelihood_ratio("fevr", "infection")
    with pytest.raises(EvidenceError, match="did you mean 'infection'"):
        model.likelihood_ratio("fever", "infecton")
    with pytest.raises(EvidenceError, match="diagnosis itself"):
        model.likelihood_ratio("diagnosis", "infection")


def test_fagan_plot(model):
    import matplotlib.pyplot as plt

    lr = model.likelihood_ratio("inflammatory_markers", "infection", positive="markedly_elevated",
                                evidence={"joint": "knee"})
    assert lr.negative == "not markedly_elevated" and "LR+" in repr(lr)
    ax = lr.plot()
    assert "Fagan" in ax.get_title()
    assert len(ax.get_legend().get_texts()) == 2
    plt.close("all")
