"""Evidence conflict (Jensen): conf(e) = ln(prod_i P(e_i) / P(e)), checked by enumerating the joint distribution of a
toy network, and its display."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bmes_bayes.exceptions import ImpossibleEvidenceError

from ..reference import model_exact


def _p_evidence(model, ev: dict[str, str]) -> float:
    """P(e) by brute force: the suite's one enumerator over the toy's full joint (``tests/reference.py``)."""
    return math.exp(model_exact(model, ev).log_evidence)


EVIDENCE = [
    {"sex": "female", "sign": "high", "test": "pos"},
    {"risk": "yes", "sign": "low", "test": "neg", "pregnant": "no"},
    {"sex": "male", "sign": "mid"},
]


@pytest.mark.parametrize("ev", EVIDENCE)
def test_conflict_is_the_definition_by_enumeration(toy, ev):
    c = toy.conflict(ev)
    expected = sum(math.log(_p_evidence(toy, {k: v})) for k, v in ev.items()) - math.log(_p_evidence(toy, ev))
    assert c.value == pytest.approx(expected, abs=1e-12)
    for row in c.to_frame().itertuples():
        rest = {k: v for k, v in ev.items() if k != row.variable}
        given_rest = math.log(_p_evidence(toy, ev) / _p_evidence(toy, rest))
        assert row.log_p_alone == pytest.approx(math.log(_p_evidence(toy, {row.variable: row.state})), abs=1e-12)
        assert row.surprise == pytest.approx(row.log_p_alone - given_rest, abs=1e-12)


def test_independent_items_do_not_conflict(toy):
    """sex and risk are independent roots of the toy network: P(e) = P(sex) P(risk), so conf = 0."""
    assert toy.conflict({"sex": "male", "risk": "yes"}).value == pytest.approx(0.0, abs=1e-12)


def test_one_item_has_nothing_to_conflict_with(toy):
    c = toy.conflict({"sign": "high"})
    assert c.value == pytest.approx(0.0, abs=1e-15) and not c.conflicting and "nothing" in c.verdict


def test_impossible_evidence_is_refused(toy):
    with pytest.raises(ImpossibleEvidenceError):
        toy.conflict({"sex": "male", "pregnant": "yes"})


def test_findings_of_one_cause_support_each_other_and_a_clash_is_flagged(model):
    agree = model.conflict({"joint": "hip", "corticosteroids": "yes", "mri_necrotic_segment": "present"})
    assert agree.value < 0 and "support each other" in agree.verdict
    clash = model.conflict({"joint": "knee", "age_group": "young", "fever": "yes", "inflammatory_markers": "normal",
                            "xray": "degenerative"})
    assert clash.conflicting and clash.drivers and "pull against each other" in clash.verdict
    assert set(clash.drivers) <= set(clash.to_frame()["variable"])


def test_the_posterior_carries_the_conflict(model):
    ev = {"joint": "hip", "corticosteroids": "yes", "mri_necrotic_segment": "present"}
    post = model.posterior(ev)
    assert post.conflict == pytest.approx(model.conflict(ev).value, abs=1e-12)
    assert "evidence conflict: conf =" in str(post)
    assert model.posterior(ev, checks=False).conflict is None
    assert model.posterior({"joint": "hip"}).conflict is None     # one item: no conflict to measure


def test_display_and_plot_do_not_recompute(model, monkeypatch):
    import matplotlib.pyplot as plt

    import bmes_bayes.model as model_module

    c = model.conflict({"joint": "knee", "fever": "yes", "inflammatory_markers": "normal"})
    monkeypatch.setattr(model_module.BmesModel, "query", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    assert repr(c).startswith("<Conflict: conf = ") and "<table" in c._repr_html_() and "Jensen" in str(c)
    ax = c.plot()
    assert len(ax.patches) == len(c.to_frame()) and np.isfinite(c.value)
    plt.close("all")
