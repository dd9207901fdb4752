"""``bmes_bayes.sensitivity.function``: the sensitivity function and co-variation, against
``tests.reference.brute_force`` on CPTs recompiled by hand, finite differences and linearity without evidence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bmes_bayes
from bmes_bayes.sensitivity import admissible_range, covary

from ..reference import brute_force
from .helpers import TOL, TOY_EV, _with_entry


# ------------------------------------------------------------------------------------------------ sensitivity functions
@pytest.mark.parametrize("scheme", ["proportional", "uniform", "order_preserving"])
@pytest.mark.parametrize("node,parents,state,target_state", [
    ("test", {"disease": "b", "risk": "no"}, "pos", "b"),
    ("sign", {"disease": "a"}, "mid", "a"),
    ("disease", {"sex": "female", "pregnant": "no", "risk": "yes"}, "b", "c"),
])
def test_sensitivity_function_matches_brute_force(toy, scheme, node, parents, state, target_state):
    """f(x) from the coefficients equals recompiling the CPT with the entry changed (and co-varied) and
    enumerating the joint, at several x across the admissible range, to 1e-9."""
    try:
        sf = toy.sensitivity_function(TOY_EV, node, parents, state, target_state=target_state, target="disease",
                                      covariation=scheme)
    except bmes_bayes.BmesError:
        assert scheme == "order_preserving"  # the largest entry of a row cannot move under this scheme
        return
    ti = toy.states("disease").index(target_state)
    lo, hi = sf.admissible
    for x in np.linspace(lo, hi, 7)[1:-1].tolist() + [sf.x0]:
        ref = brute_force(toy, TOY_EV, "disease", tables=_with_entry(toy, node, parents, state, x, scheme))[ti]
        assert sf(x) == pytest.approx(ref, abs=TOL), x
    if scheme == "proportional":
        assert sf.value == pytest.approx(toy.posterior(TOY_EV, target="disease")[target_state], abs=1e-12)


def test_sensitivity_function_derivatives_match_finite_differences(toy):
    sf = toy.sensitivity_function(TOY_EV, "test", {"disease": "c", "risk": "yes"}, "neg", target_state="c",
                                  target="disease")
    f = lambda x: brute_force(toy, TOY_EV, "disease", tables=_with_entry(toy, "test", {"disease": "c", "risk": "yes"}, "neg", x))[2]  # noqa: E731
    h, x0 = 1e-4, sf.x0
    d1 = (f(x0 + h) - f(x0 - h)) / (2 * h)
    d2 = (f(x0 + h) - 2 * f(x0) + f(x0 - h)) / h**2
    assert sf.derivative() == pytest.approx(d1, rel=1e-6)
    assert sf.second_derivative() == pytest.approx(d2, rel=1e-4)
    assert sf.sensitivity_value == abs(sf.derivative())
    c1, c2, c3, c4 = sf.coefficients
    assert c3 != 0 and sf.vertex is not None  # evidence present: a hyperbola, whose vertex lies off [0, 1] or in it
    assert c3 * sf.x0 + c4 == pytest.approx(1.0, abs=1e-12)  # normalised by P(e) of the unchanged model


def test_without_evidence_the_sensitivity_function_is_linear(toy):
    sf = toy.sensitivity_function(None, "risk", None, "yes", target_state="c", target="disease")
    assert abs(sf.c3) < 1e-12 and sf.vertex is None


@given(row=st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6), k=st.integers(0, 5),
       x=st.floats(0.0, 1.0), scheme=st.sampled_from(["proportional", "uniform", "order_preserving"]))
def test_covariation_keeps_rows_summing_to_one_and_order(row, k, x, scheme):
    row = np.array(row) / np.sum(row)
    k = k % len(row)
    try:
        lo, hi = admissible_range(row, k, scheme)
    except bmes_bayes.BmesError:
        assert scheme == "order_preserving" and np.argsort(row, kind="stable")[-1] == k
        return
    x = lo + (hi - lo) * x
    new = covary(row, k, x, scheme)[0]
    assert new[k] == x
    assert abs(new.sum() - 1.0) < 1e-12
    assert (new >= -1e-15).all()
    if scheme == "proportional":  # ratios of the other entries are kept
        others = np.arange(len(row)) != k
        np.testing.assert_allclose(new[others] * row[others].sum(), row[others] * new[others].sum(), atol=1e-12)
    if scheme == "order_preserving":  # every pair keeps its order (ties may become equal, never swap)
        order = np.argsort(row, kind="stable")
        assert (np.diff(new[order]) >= -1e-12).all()
