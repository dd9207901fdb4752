"""``bmes_bayes.sensitivity.uncertainty``: Monte-Carlo over the parameters; every reference says where it comes from.

- pgmpy: ``VariableElimination`` on the CPTs compiled from one parameter draw;
- analytic: scipy's Beta quantiles (a root with a Beta prior).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

from bmes_bayes.compile import DrawnTables, FullTables, compile_all
from bmes_bayes.model import BmesModel
from bmes_bayes.parameters import sample_draws
from bmes_bayes.spec import LogLinearCPD, PriorSpec, TableCPD

from ..reference import pgmpy_posterior
from .helpers import HIP, TOL, TOY_EV, _network


# ------------------------------------------------------------------------------------------------ 1. the engine
@pytest.mark.parametrize("evidence", [HIP, {"joint": "knee", "fever": "yes", "sex": "female", "mri_fracture_line": "present"},
                                      {"onset": "gradual", "fever": {"yes": 0.2, "no": 1.0}}])
def test_each_batched_sample_equals_pgmpy(model, evidence):
    """Per parameter draw, the batched (factored, sub-batched) engine equals pgmpy VariableElimination on the CPTs
    compiled from that draw alone, to 1e-9."""
    from bmes_bayes.interop import to_pgmpy

    draws = sample_draws(model.priors, 3, np.random.default_rng(7))
    ev = model.resolve(evidence)
    batched = model.query(ev, "diagnosis", DrawnTables(model.priors, model.network, draws)).posterior
    hard = {k: v for k, v in evidence.items() if isinstance(v, str)}
    soft = {k: np.array([v[s] for s in model.states(k)]) for k, v in evidence.items() if isinstance(v, dict)}
    for i in range(draws.n_samples):
        tables = compile_all(model.priors, model.network, draws.subset(i, i + 1))
        ref = pgmpy_posterior(model, hard, "diagnosis", soft, bn=to_pgmpy(model, tables))
        np.testing.assert_allclose(batched[i], ref, atol=TOL, rtol=0)


def test_sub_batching_and_factoring_do_not_change_results(model, monkeypatch):
    """A 64 KB sub-batch budget (many sub-batches) and full CPT tables (no factoring) give the same posteriors
    as one batch of factored tables, to 1e-12."""
    import bmes_bayes.inference.contraction as engine

    draws = sample_draws(model.priors, 40, np.random.default_rng(1))
    ev = model.resolve(HIP)
    one = model.query(ev, "diagnosis", DrawnTables(model.priors, model.network, draws)).posterior
    full = model.query(ev, "diagnosis", FullTables(model.network, compile_all(model.priors, model.network, draws)))
    monkeypatch.setattr(engine, "BATCH_BYTES", 64 * 1024)
    small = model.query(ev, "diagnosis", DrawnTables(model.priors, model.network, draws)).posterior
    np.testing.assert_allclose(small, one, atol=1e-12, rtol=0)
    np.testing.assert_allclose(full.posterior, one, atol=1e-12, rtol=0)


# ------------------------------------------------------------------------------------------------ 2. Monte Carlo
def test_uncertainty_is_reproducible_by_seed_whatever_the_evidence_order(model):
    a = model.uncertainty(HIP | {"fever": "no"}, n_samples=700, seed=11)
    b = model.uncertainty(dict(reversed(list((HIP | {"fever": "no"}).items()))), n_samples=700, seed=11)
    assert np.array_equal(a.samples, b.samples)
    assert a.to_frame().equals(b.to_frame())
    c = model.uncertainty(HIP | {"fever": "no"}, n_samples=700, seed=12)
    assert not np.array_equal(a.samples, c.samples)


def test_zero_variance_prior_collapses_intervals_to_the_point(toy):
    """Every parameter fixed at its value: every draw is the point model, so lower = median = upper = point (to
    1e-6: the draws are evaluated in single precision, within 1e-6 of double; a real interval would be far wider)."""
    fix = lambda p: dataclasses.replace(p, concentration=None) if hasattr(p, "concentration") else dataclasses.replace(p, log_sd=0.0)  # noqa: E731
    cpds, params = {}, []
    for name, cpd in toy.priors.cpds.items():
        if isinstance(cpd, TableCPD):
            cpds[name] = TableCPD(cpd.node, cpd.parents, tuple(map(fix, cpd.rows)))
        else:
            cpds[name] = LogLinearCPD(cpd.node, cpd.parents, cpd.base_parents, tuple(map(fix, cpd.base_rows)),
                                      cpd.reference, tuple(map(fix, cpd.effects)))
    for name in toy.network.names:
        c = cpds[name]
        params += list(c.rows) if isinstance(c, TableCPD) else [*c.base_rows, *c.effects]
    fixed = BmesModel(toy.network, PriorSpec(cpds, toy.priors.files, toy.priors.digest, tuple(params)))
    res = fixed.uncertainty(TOY_EV, target="disease", n_samples=300, seed=0)
    frame = res.to_frame()
    for col in ("mean", "median", "lower", "upper"):
        np.testing.assert_allclose(frame[col], frame["point"], atol=1e-6, rtol=0)
    assert frame["p_top"].iloc[0] == 1.0


def test_mc_quantiles_match_the_analytic_beta(beta_net):
    """Target 'a' without evidence: P(a=yes) is the parameter itself, Beta(3.6, 8.4); its MC quantiles match
    scipy.stats.beta.ppf within 4 standard errors of a sample quantile (sqrt(q(1-q)/n) / density)."""
    n = 20000
    res = beta_net.uncertainty(None, target="a", n_samples=n, level=0.9, seed=5)
    row = res.to_frame().set_index("a").loc["yes"]
    dist = stats.beta(3.6, 8.4)
    for q, col in ((0.05, "lower"), (0.5, "median"), (0.95, "upper")):
        x = dist.ppf(q)
        se = np.sqrt(q * (1 - q) / n) / dist.pdf(x)
        assert abs(row[col] - x) < 4 * se, (col, row[col], x, se)
    assert abs(row["mean"] - 0.3) < 4 * dist.std() / np.sqrt(n)


# ------------------------------------------------------------------------------------------------ tiny concentrations
@pytest.fixture(scope="module")
def tiny_net(tmp_path_factory):
    """P(a=yes) ~ Beta(0.001, 0.001) (a legal prior: concentration 0.002), b | a fixed. Half the Beta draws are below
    1e-308 and used to underflow to an exact 0, which made a=yes 'impossible' under those draws."""
    return _network(tmp_path_factory.mktemp("tiny"), "tiny", """\
  a: {role: diagnosis, states: ["no", "yes"], parents: [], description: A root.}
  b: {role: finding, states: [neg, pos], parents: [a], description: A child.}
""", """\
  a: {kind: table, row: {value: {"yes": 0.5}, concentration: 0.002, source: test}}
  b:
    kind: table
    rows:
      "no": {value: {pos: 0.2}, fixed: true, source: test}
      "yes": {value: {pos: 0.7}, fixed: true, source: test}
""")


def test_a_tiny_concentration_does_not_make_legal_evidence_impossible(tiny_net):
    """Issue 13: sensitivity reported "impossible evidence". Exact reference: given a=yes, P(b) is the fixed row
    (0.3, 0.7) under every parameter set."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing is left out: no warning
        res = tiny_net.uncertainty({"a": "yes"}, target="b", n_samples=2000, seed=0)
    assert res.n_impossible == 0 and res.n_samples == 2000
    np.testing.assert_allclose(res.samples, np.tile([0.3, 0.7], (2000, 1)), rtol=0, atol=1e-15)
    work = tiny_net.workup([("one", {"a": "yes"}), ("two", {"b": "pos"})], n_samples=300, seed=0)
    assert work.n_impossible == 0 and work.samples.shape == (2, 300, 2) and np.isfinite(work.samples).all()
    s = tiny_net.sobol(None, target="a", target_state="yes", n=256, seed=0)
    assert s.to_frame()["S1"].tolist() == [1.0] and s.variance == pytest.approx(0.25 / 1.002, rel=0.05)


def test_impossible_under_some_draws_is_counted_and_left_out_not_an_error(tiny_net, monkeypatch):
    """A parameter set with an exact 0 where the point model is positive rules the evidence out for that set
    only: it is left out, counted in n_impossible and warned about; the rest are the exact posteriors."""
    from bmes_bayes import draws as sensitivity  # where the draws are made
    from bmes_bayes.exceptions import BmesWarning, ImpossibleEvidenceError
    from bmes_bayes.parameters import Draws

    real = sensitivity.sample_draws

    calls = []

    def with_zeros(spec, n, streams, only=None, every=7):
        calls.append(n)
        draws = real(spec, n, streams, only)
        vals = [v.copy() for v in draws.values]
        i = next(j for j, p in enumerate(spec.parameters) if p.node == "a")
        vals[i][::every] = [1.0, 0.0]  # P(a=yes) = 0 in every 7th set
        return Draws(spec, tuple(vals))

    monkeypatch.setattr(sensitivity, "sample_draws", with_zeros)
    with pytest.warns(BmesWarning) as caught:
        res = tiny_net.uncertainty({"a": "yes"}, target="b", n_samples=1000, seed=0)
    # every 7th set of each batch drawn (whole chunks: all 1,000 sets are used, however they are batched)
    assert sum(calls) == 1000
    bad = sum(-(-n // 7) for n in calls)
    assert any(f"{bad} of 1,000 parameter sets drawn from the priors make the evidence" in str(w.message)
               for w in caught)
    assert res.n_impossible == bad and res.n_samples == 1000 - bad and res.parameters.shape[0] == 1000 - bad
    np.testing.assert_allclose(res.samples, np.tile([0.3, 0.7], (1000 - bad, 1)), rtol=0, atol=1e-15)
    assert f"{bad} more parameter sets drawn make the evidence impossible" in res.verdict
    free = tiny_net.uncertainty({"b": "pos"}, target="a", n_samples=50, seed=0)  # a=yes not observed: all possible
    assert free.n_impossible == 0
    with pytest.warns(BmesWarning):
        work = tiny_net.workup([("b", {"b": "pos"}), ("a", {"a": "yes"})], n_samples=100, seed=0)
    assert work.n_impossible == 15 and work.samples.shape == (2, 85, 2)
    monkeypatch.setattr(sensitivity, "sample_draws",
                        lambda spec, n, streams, only=None: with_zeros(spec, n, streams, only, every=1))
    with pytest.raises(ImpossibleEvidenceError, match="under every one of the 20 parameter sets drawn"):
        tiny_net.uncertainty({"a": "yes"}, target="b", n_samples=20, seed=0)


def test_impossible_under_the_model_is_still_the_error(toy):
    from bmes_bayes.exceptions import ImpossibleEvidenceError

    with pytest.raises(ImpossibleEvidenceError, match="probability zero under the model|cannot occur together"):
        toy.uncertainty({"sex": "male", "pregnant": "yes"}, target="disease", n_samples=10, seed=0)


def test_uncertainty_arrays_are_read_only(toy):
    res = toy.uncertainty(TOY_EV, target="disease", n_samples=20, seed=0)
    for a in (res.point, res.samples, res.parameters):
        assert not a.flags.writeable
