"""``bmes_bayes.inference.enumeration``: the package's brute-force backend, held to the suite's one reference,
``tests.reference.enumerate_joint`` (log space, the tests' own code), and to the contraction engine behind the same
model calls. The reference is kept apart from the package (see ``tests/reference.py`` for why)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bmes_bayes import ImpossibleEvidenceError, TooLargeError
from bmes_bayes.compile import FullTables
from bmes_bayes.inference import enumeration
from bmes_bayes.inference.enumeration import Enumeration
from bmes_bayes.model import BmesModel

from ..reference import brute_force, needed
from .test_contraction import evidence_sets

TOL = 1e-9


@pytest.fixture(scope="module")
def toy_enum(toy):
    """The toy model answered by the enumeration backend instead of the contraction engine."""
    return BmesModel(toy.network, toy.priors, backend=Enumeration(toy.network))


@given(data=st.data())
def test_the_enumeration_backend_matches_the_reference_and_the_engine(toy, toy_enum, data):
    hard, softs, target = data.draw(evidence_sets(toy, soft=True))
    ev = {**hard, **softs}
    ref = brute_force(toy, hard, target, softs)
    if ref.sum() == 0:
        with pytest.raises(ImpossibleEvidenceError):
            toy_enum.posterior(ev, target=target)
        return
    got = toy_enum.posterior(ev, target=target)
    np.testing.assert_allclose(got.probabilities, ref, atol=TOL, rtol=0)
    engine = toy.posterior(ev, target=target)
    np.testing.assert_allclose(got.probabilities, engine.probabilities, atol=TOL, rtol=0)
    assert abs(got.log_evidence - engine.log_evidence) <= TOL * max(1.0, abs(engine.log_evidence))


def test_relevant_nodes_are_the_ancestral_set_in_network_order(model):
    net = model.network
    backend = Enumeration(net)
    for target, hard in (("diagnosis", ["joint", "fever"]), ("mri_fracture_line", []), ("diagnosis", [])):
        got = backend.relevant_nodes(target, frozenset(hard), frozenset())
        assert set(got) == needed(net.names, {v.name: v.parents for v in net.variables}, [target, *hard])
        assert list(got) == [n for n in net.names if n in got]


def test_every_parameter_set_is_enumerated_on_its_own(toy):
    """Two parameter sets in one query: each row is the reference on that set's tables."""
    point = {k: v[0] for k, v in toy._tables.tables.items()}
    other = {k: v.copy() for k, v in point.items()}
    other["disease"] = np.broadcast_to(np.array([0.2, 0.3, 0.5]), other["disease"].shape).copy()
    source = FullTables(toy.network, {k: np.stack([point[k], other[k]]) for k in point})
    hard = {"sign": toy.states("sign").index("high")}
    res = Enumeration(toy.network).query(source, hard, {}, "disease")
    for s, tables in enumerate((point, other)):
        np.testing.assert_allclose(res.posterior[s], brute_force(toy, {"sign": "high"}, "disease", tables=tables),
                                   atol=TOL, rtol=0)


def test_a_joint_beyond_the_bound_is_refused(toy_enum, monkeypatch):
    monkeypatch.setattr(enumeration, "MAX_JOINT", 2)
    with pytest.raises(TooLargeError, match="contraction engine"):
        toy_enum.posterior({"sign": "high"}, target="disease")
