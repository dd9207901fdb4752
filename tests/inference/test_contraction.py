"""Exact inference agrees with brute-force enumeration and pgmpy to 1e-9 (hypothesis over random evidence)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bmes_bayes import ImpossibleEvidenceError

from ..reference import brute_force, pgmpy_posterior

TOL = 1e-9


@st.composite
def evidence_sets(draw, model, soft: bool = False):
    net = model.network
    names = list(net.names)
    observed = draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    hard = {n: draw(st.sampled_from(net[n].states)) for n in observed}
    softs = {}
    if soft:
        free = [n for n in names if n not in hard]
        for n in draw(st.lists(st.sampled_from(free), unique=True, max_size=3)) if free else []:
            lik = draw(st.lists(st.floats(0.01, 1.0), min_size=net[n].card, max_size=net[n].card))
            softs[n] = np.array(lik)
    target = draw(st.sampled_from(names))
    return hard, softs, target


def _check(model, hard, softs, target, pgmpy_bn=None):
    ref = brute_force(model, hard, target, softs)
    if ref.sum() == 0:  # impossible evidence: the engine must say so, never return numbers
        with pytest.raises(ImpossibleEvidenceError):
            model.posterior({**hard, **softs}, target=target)
        return
    post = model.posterior({**hard, **softs}, target=target)
    np.testing.assert_allclose(post.probabilities, ref, atol=TOL, rtol=0)
    assert abs(post.to_series().sum() - 1) < 1e-12
    pg = pgmpy_posterior(model, hard, target, softs, bn=pgmpy_bn)
    np.testing.assert_allclose(post.probabilities, pg, atol=TOL, rtol=0)


@pytest.fixture(scope="module")
def pgmpy_bn(model):
    from bmes_bayes.interop import to_pgmpy

    return to_pgmpy(model)


@given(data=st.data())
def test_default_model_matches_brute_force_and_pgmpy(model, pgmpy_bn, data):
    hard, softs, target = data.draw(evidence_sets(model))
    _check(model, hard, softs, target, pgmpy_bn)


@given(data=st.data())
def test_soft_evidence_matches_brute_force_and_pgmpy(model, pgmpy_bn, data):
    hard, softs, target = data.draw(evidence_sets(model, soft=True))
    assume(softs)
    _check(model, hard, softs, target, pgmpy_bn)


@given(data=st.data())
def test_toy_model_matches_brute_force_and_pgmpy(toy, data):
    hard, softs, target = data.draw(evidence_sets(toy, soft=True))
    _check(toy, hard, softs, target)


def test_pgmpy_check_model_passes(pgmpy_bn):
    assert pgmpy_bn.check_model()


def test_every_cpt_row_sums_to_one(model):
    for name, table in model._tables.tables.items():
        np.testing.assert_allclose(table.sum(axis=-1), 1.0, atol=1e-12, err_msg=name)
        assert (table >= 0).all(), name


def test_loglinear_cpt_is_base_times_odds_ratios(model):
    """Recompute diagnosis rows by hand from the prior spec: base rate x product of odds ratios, normalised."""
    net, spec = model.network, model.priors.cpds["diagnosis"]
    table = model._tables.tables["diagnosis"][0]
    rng = np.random.default_rng(1)
    states = net["diagnosis"].states
    for _ in range(50):
        config = {p: int(rng.integers(net[p].card)) for p in spec.parents}
        base_row = spec.base_rows[int(np.ravel_multi_index([config[p] for p in spec.base_parents],
                                                           [net[p].card for p in spec.base_parents]))]
        w = base_row.mean.copy()
        for eff in spec.effects:
            if net[eff.parent].states[config[eff.parent]] == eff.parent_state:
                w[states.index(eff.target)] *= eff.median
        expected = w / w.sum()
        got = table[tuple(config[p] for p in spec.parents)]
        np.testing.assert_allclose(got, expected, atol=1e-13)


def test_posterior_does_not_depend_on_evidence_order(model):
    ev = {"joint": "hip", "sex": "male", "fever": "no", "mri_fracture_line": "present", "age_group": "middle"}
    a = model.posterior(ev).probabilities
    b = model.posterior(dict(reversed(list(ev.items())))).probabilities
    assert np.array_equal(a, b)


def test_plans_are_cached_not_rebuilt(model):
    model.posterior({"joint": "knee", "fever": "yes"})
    n = len(model._engine._plans)
    model.posterior({"joint": "hip", "fever": "no"})
    assert len(model._engine._plans) == n


def test_underflowing_evidence_still_gives_the_exact_posterior(toy):
    """Soft evidence of 1e-200 scale on two findings: P(e) < 1e-300, yet the posterior equals the analytic one."""
    ev = {"sign": [1e-200, 1e-200, 1e-200], "test": [1e-200, 1e-200]}
    post = toy.posterior(ev, target="disease")
    prior = toy.posterior({}, target="disease")
    np.testing.assert_allclose(post.probabilities, prior.probabilities, atol=1e-12)
    assert post.log_evidence < np.log(1e-300)


def test_log_space_fallback_on_conflicting_extreme_evidence(toy):
    """Two findings that each nearly exclude the other's cause: the scaled contraction underflows to 0 for every
    state, the engine falls back to log space and matches the analytic answer computed with logs."""
    lik_sign = np.array([1.0, 1e-250, 1e-250])     # only 'a' is compatible with sign
    lik_test = np.array([1e-250, 1.0])              # and 'test' speaks against 'a' at 1e-250 ...
    post = toy.posterior({"sign": lik_sign, "test": lik_test, "risk": "no", "sex": "female", "pregnant": "no"},
                         target="disease")
    # analytic in logs: prior(d) * sum_sign lik * P(sign|d) * sum_test lik * P(test|d)
    tables = {k: v[0] for k, v in toy._tables.tables.items()}
    prior_d = tables["disease"][0, 0, 0]
    log_w = []
    for d in range(3):
        ls = np.log(np.sum(lik_sign * tables["sign"][d]))
        lt = np.log(np.sum(lik_test * tables["test"][d, 0]))
        log_w.append(np.log(prior_d[d]) + ls + lt)
    log_w = np.array(log_w)
    expected = np.exp(log_w - log_w.max())
    expected /= expected.sum()
    np.testing.assert_allclose(post.probabilities, expected, rtol=1e-9, atol=1e-12)
