"""``bmes_bayes.teaching.explain``: weights of evidence and what-if, checked against ``tests.reference.brute_force``
(explicit enumeration of the joint), the CPTs themselves (direct Bayes) and fresh ``model.posterior`` queries."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from bmes_bayes import EvidenceError, scenarios
from bmes_bayes.teaching import ALL_OTHERS

from ..reference import brute_force
from .helpers import ALL, DIAG, TOH, _cpt

# ============================================================================================ weight of evidence
EXPLAIN_CASES = [s.evidence for s in ALL[:6]] + [
    {"joint": "hip", "sex": "female", "pregnancy": "late_or_postpartum", "mri_edema_pattern": "diffuse"},
    {"joint": "knee", "fever": {"no": 0.3, "yes": 0.7}, "mri_effusion": "present"},  # soft evidence
]


@pytest.mark.parametrize("evidence", EXPLAIN_CASES)
def test_weights_add_up_to_the_change_in_log_odds(model, evidence):
    """ln O(h:a | e) = ln O(h:a) + sum of weights, against every alternative, prior and posterior queried afresh."""
    ex = model.explain(evidence)
    prior = model.posterior({}).to_series()
    post = model.posterior(evidence).to_series()
    h = ex.target_state
    assert h == post.idxmax()
    frame = ex.to_frame()
    for alt in [ALL_OTHERS, *[s for s in post.index if s != h]]:
        if alt == ALL_OTHERS:
            lo0 = math.log(prior[h]) - math.log(prior.drop(h).sum())
            lo1 = math.log(post[h]) - math.log(post.drop(h).sum())
        else:
            lo0 = math.log(prior[h] / prior[alt])
            lo1 = math.log(post[h] / post[alt])
        w = frame[frame["alternative"] == alt]
        assert len(w) == len(ex.variables)
        assert abs(lo0 + w["woe"].sum() - lo1) < 1e-9
        assert abs(ex.log_prior_odds(alt) - lo0) < 1e-9 and abs(ex.log_posterior_odds(alt) - lo1) < 1e-9
        np.testing.assert_allclose(w["decibans"], w["woe"] * 10 / math.log(10), rtol=1e-12)
        np.testing.assert_allclose(np.log(w["lr"]), w["woe"], atol=1e-12)


def test_weight_of_a_finding_is_its_cpt_likelihood_ratio(model):
    """A finding whose only parent is the diagnosis: W = ln P(f | h) / P(f | a), read straight from the CPT."""
    ev = {"joint": "hip", "age_group": "middle", "mri_necrotic_segment": "present", "mri_effusion": "present"}
    ex = model.explain(ev)
    frame = ex.to_frame()
    for finding in ("mri_necrotic_segment", "mri_effusion"):
        p_h = _cpt(model, finding, ex.target_state, ev[finding])
        for alt in model.states(DIAG):
            if alt == ex.target_state:
                continue
            row = frame[(frame["variable"] == finding) & (frame["alternative"] == alt)].iloc[0]
            assert abs(row["woe"] - math.log(p_h / _cpt(model, finding, alt, ev[finding]))) < 1e-10


def test_weight_of_a_context_item_matches_brute_force(model):
    """W_i(h:a) = ln P(e_i | h, e_<i) - ln P(e_i | a, e_<i), each term by enumeration:
    P(e_i | d, e_<i) = P(d | e_<=i) P(e_i | e_<i) / P(d | e_<i)."""
    ev = {"joint": "hip", "age_group": "older", "sex": "female", "low_bone_density": "yes", "onset": "sudden"}
    ex = model.explain(ev)
    frame = ex.to_frame()
    states = model.states(DIAG)
    items = list(ex.variables)
    for i, var in enumerate(items):
        before = {k: ev[k] for k in items[:i]}
        upto = {k: ev[k] for k in items[: i + 1]}
        p_before = brute_force(model, before, DIAG)
        p_upto = brute_force(model, upto, DIAG)
        p_item = brute_force(model, before, var)[model.states(var).index(ev[var])]
        lik = p_upto * p_item / p_before                      # P(e_i | d, e_<i) for every d
        h = states.index(ex.target_state)
        for a, alt in enumerate(states):
            if a == h:
                continue
            row = frame[(frame["variable"] == var) & (frame["alternative"] == alt)].iloc[0]
            assert abs(row["woe"] - math.log(lik[h] / lik[a])) < 1e-9


def test_weights_on_the_toy_model_with_a_two_parent_finding(toy):
    """On the toy network a finding ('test') depends on the diagnosis and a risk factor, so its weight depends on
    what came before: the identity and the brute-force definition must still hold."""
    ev = {"sex": "female", "risk": "yes", "sign": "high", "test": "pos"}
    ex = toy.explain(ev)
    prior, post = brute_force(toy, {}, "disease"), brute_force(toy, ev, "disease")
    frame = ex.to_frame()
    h = toy.states("disease").index(ex.target_state)
    for a, alt in enumerate(toy.states("disease")):
        if a == h:
            continue
        w = frame[frame["alternative"] == alt]
        assert abs(math.log(prior[h] / prior[a]) + w["woe"].sum() - math.log(post[h] / post[a])) < 1e-9
    before = {k: ev[k] for k in ("sex", "risk", "sign")}
    p_item = brute_force(toy, before, "test")[1]
    lik = brute_force(toy, ev, "disease") * p_item / brute_force(toy, before, "disease")
    for a, alt in enumerate(toy.states("disease")):
        if a != h:
            row = frame[(frame["variable"] == "test") & (frame["alternative"] == alt)].iloc[0]
            assert abs(row["woe"] - math.log(lik[h] / lik[a])) < 1e-9


def test_explanation_does_not_depend_on_the_order_the_evidence_is_given(model):
    ev = TOH.evidence
    a = model.explain(ev).to_frame()
    b = model.explain(dict(reversed(list(ev.items())))).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_speaks_for_and_against_follow_the_sign(model):
    ex = model.explain(scenarios.load("septic-hip-normal-initial-workup").evidence, target_state="infection")
    w = ex.weights()
    assert set(ex.speaks_for) == {f"{r.variable}={r.state}" for r in w.itertuples() if r.woe > 1e-9}
    assert set(ex.speaks_against) == {f"{r.variable}={r.state}" for r in w.itertuples() if r.woe < -1e-9}
    assert "synovial_fluid=septic" in ex.speaks_for and "inflammatory_markers=normal" in ex.speaks_against
    with pytest.raises(EvidenceError, match="did you mean 'transient_bmes'"):
        ex.weights("transient_bms")
    with pytest.raises(EvidenceError, match="empty"):
        model.explain({})
    with pytest.raises(EvidenceError, match="did you mean 'tumor'"):
        model.explain({"joint": "hip"}, target_state="tumour")


@pytest.mark.parametrize("evidence", [TOH.evidence, scenarios.load("tophaceous-gout-ankle").evidence])
def test_what_if_equals_requerying(model, evidence):
    ex = model.explain(evidence)
    frame = ex.what_if.to_frame()
    assert set(frame["variable"]) == set(evidence)
    for (var, state), part in frame.groupby(["variable", "state"]):
        changed = {**evidence, var: state}
        expected = model.posterior(changed).to_series()
        np.testing.assert_allclose(part.set_index("diagnosis")["probability"][expected.index], expected, atol=1e-14)
        assert part["observed"].all() == (state == evidence[var])


def test_what_if_marks_impossible_alternatives(model):
    ev = {"joint": "hip", "sex": "female", "pregnancy": "late_or_postpartum"}
    summary = model.explain(ev).what_if.summary()
    row = summary[(summary["variable"] == "sex") & (summary["state"] == "male")].iloc[0]
    assert not row["possible"] and math.isnan(row["p_target"])
    assert "impossible" in str(model.explain(ev).what_if)


def test_explanation_displays_and_plots(model):
    import matplotlib.pyplot as plt

    ex = model.explain(TOH.evidence)
    assert repr(ex).startswith("<Explanation of transient_bmes") and "Why transient_bmes?" in str(ex)
    assert "<table" in ex._repr_html_()
    ax = ex.plot()
    assert len(ax.patches) == len(ex.variables)
    assert "posterior odds" in ax.get_title()
    ax = ex.plot(versus="traumatic_fracture", unit="bits")
    assert "bits" in ax.get_xlabel()
    ax = ex.what_if.plot()
    assert len(ax.get_yticks()) == len(TOH.evidence)
    plt.close("all")
