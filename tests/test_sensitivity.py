"""Sensitivity analysis: every reference value says where it comes from.

- brute force: ``tests.reference.brute_force`` (explicit enumeration of the joint, independent of the engine) on CPTs
  recompiled by hand with the entry changed and the row co-varied;
- pgmpy: ``VariableElimination`` on the CPTs compiled from one parameter draw;
- analytic: scipy's Beta quantiles, closed-form Sobol indices of a product of two independent Beta variables;
- definitions: the Chan-Darwiche distance computed from the two full joint distributions.
"""

from __future__ import annotations

import inspect

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import bmes_bayes
from bmes_bayes.compile import DrawnTables, FullTables, compile_all
from bmes_bayes.model import BmesModel
from bmes_bayes.parameters import sample_draws
from bmes_bayes.sensitivity import admissible_range, cd_distance, covary, one_way, tune
from bmes_bayes.spec import LogLinearCPD, PriorSpec, TableCPD

from .reference import brute_force, pgmpy_posterior

TOL = 1e-9
HIP = {"joint": "hip", "onset": "sudden"}                     # risk factors, age and sex unobserved
TOY_EV = {"sign": "high", "test": "pos"}
TOY_FULL = {"sex": "female", "pregnant": "no", "risk": "yes", "sign": "mid", "test": "pos"}


# ------------------------------------------------------------------------------------------------ helpers
def _network(tmp: Path, name: str, variables: str, nodes: str) -> BmesModel:
    (tmp / "networks").mkdir(parents=True, exist_ok=True)
    (tmp / "priors").mkdir(exist_ok=True)
    (tmp / "networks" / f"{name}.yaml").write_text(f'name: {name}\nversion: "1"\nvariables:\n{variables}')
    (tmp / "priors" / f"{name}.yaml").write_text(f"nodes:\n{nodes}")
    return bmes_bayes.load_model(tmp)


@pytest.fixture(scope="module")
def beta_net(tmp_path_factory):
    """Two nodes: a root 'a' whose P(a=yes) ~ Beta(3.6, 8.4) (mean 0.3, concentration 12), a fixed child."""
    return _network(tmp_path_factory.mktemp("beta"), "beta", """\
  a: {role: diagnosis, states: ["no", "yes"], parents: [], description: A root.}
  b: {role: finding, states: [neg, pos], parents: [a], description: A child.}
""", """\
  a: {kind: table, row: {value: {"yes": 0.3}, concentration: 12, source: test}}
  b:
    kind: table
    rows:
      "no": {value: {pos: 0.2}, fixed: true, source: test}
      "yes": {value: {pos: 0.7}, fixed: true, source: test}
""")


@pytest.fixture(scope="module")
def and_net(tmp_path_factory):
    """y = x1 AND x2 with P(x1=yes) ~ Beta(2, 2) and P(x2=yes) ~ Beta(3, 7): P(y=yes) = theta1 * theta2."""
    return _network(tmp_path_factory.mktemp("and"), "and", """\
  x1: {role: risk_factor, states: ["no", "yes"], parents: [], description: First cause.}
  x2: {role: risk_factor, states: ["no", "yes"], parents: [], description: Second cause.}
  y: {role: diagnosis, states: ["no", "yes"], parents: [x1, x2], description: Both causes.}
""", """\
  x1: {kind: table, row: {value: {"yes": 0.5}, concentration: 4, source: test}}
  x2: {kind: table, row: {value: {"yes": 0.3}, concentration: 10, source: test}}
  y:
    kind: table
    rows:
      "no":
        "no": {value: {"yes": 0.0}, fixed: true, source: logic}
        "yes": {value: {"yes": 0.0}, fixed: true, source: logic}
      "yes":
        "no": {value: {"yes": 0.0}, fixed: true, source: logic}
        "yes": {value: {"yes": 1.0}, fixed: true, source: logic}
""")


def _point_tables(model) -> dict[str, np.ndarray]:
    return {k: v[0].copy() for k, v in model._tables.tables.items()}


def _with_entry(model, node, parent_states, state, x, scheme="proportional"):
    """CPTs (no sample axis) with one entry set to x and its row co-varied: the brute-force side of the tests."""
    net = model.network
    tables = _point_tables(model)
    r = tuple(net[p].states.index(parent_states[p]) for p in net[node].parents)
    k = net[node].states.index(state)
    tables[node][r] = covary(tables[node][r], k, x, scheme)[0]
    return tables


def _joint(model, tables) -> np.ndarray:
    """The full joint distribution of every variable (brute force), one axis per variable in network order."""
    net = model.network
    names = list(net.names)
    joint = np.ones([net[n].card for n in names])
    for v in net.variables:
        axes = [names.index(a) for a in (*v.parents, v.name)]
        shape = [1] * len(names)
        t = tables[v.name]
        order = np.argsort(axes)
        t = np.transpose(t, order)
        for a, size in zip(sorted(axes), t.shape):
            shape[a] = size
        joint = joint * t.reshape(shape)
    return joint


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
    """Every parameter fixed at its value: every draw is the point model, so lower = median = upper = point."""
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
        np.testing.assert_allclose(frame[col], frame["point"], atol=1e-12, rtol=0)
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


# ------------------------------------------------------------------------------------------------ 3. one-way
def test_one_way_ends_are_beta_quantiles_and_match_brute_force(toy):
    ow = toy.one_way(TOY_EV, target="disease", level=0.9)
    frame = ow.to_frame()
    assert list(frame.columns) == ["parameter", "kind", "node", "state", "low_value", "point_value", "high_value",
                                   "p_low", "p_point", "p_high", "swing", "top_low", "top_high"]
    assert (np.diff(frame["swing"]) <= 0).all()
    # P(test=pos | disease=b, risk=no): stated range [0.3, 0.7] -> a Beta; its 5%/95% quantiles from scipy
    row = frame.set_index("parameter").loc["P(test=pos | disease=b, risk=no)"]
    prior = next(p for p in toy.priors.parameters if p.id == "test | disease=b, risk=no")
    a = prior.alpha
    lo, hi = stats.beta.ppf([0.05, 0.95], a[1], a[0])
    assert row["low_value"] == pytest.approx(lo, abs=1e-12) and row["high_value"] == pytest.approx(hi, abs=1e-12)
    hard = dict(TOY_EV)
    ti = toy.states("disease").index(ow.target_state)
    for x, col in ((lo, "p_low"), (hi, "p_high")):
        ref = brute_force(toy, hard, "disease", tables=_with_entry(toy, "test", {"disease": "b", "risk": "no"}, "pos", x))
        assert row[col] == pytest.approx(ref[ti], abs=TOL)


def test_one_way_odds_ratio_end_matches_brute_force(toy):
    ow = toy.one_way(TOY_EV, target="disease", target_state="c", level=0.95)
    row = ow.to_frame().set_index("parameter").loc["OR of disease=c for risk=yes"]
    # log-normal with median 3 and log-SD ln(6/1.5)/3.92: its 97.5% quantile
    hi = np.exp(np.log(3.0) + np.log(6 / 1.5) / (2 * 1.959963984540054) * stats.norm.ppf(0.975))
    assert row["high_value"] == pytest.approx(hi, rel=1e-12)
    from bmes_bayes.parameters import point_draws

    draws = point_draws(toy.priors)
    i = next(j for j, p in enumerate(toy.priors.parameters) if p.id == "disease: OR risk=yes -> c")
    tables = {k: v[0] for k, v in compile_all(toy.priors, toy.network, draws.replace(i, np.array([hi]))).items()}
    assert row["p_high"] == pytest.approx(brute_force(toy, TOY_EV, "disease", tables=tables)[2], abs=TOL)


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


# ------------------------------------------------------------------------------------------------ 4. flips and tuning
@pytest.mark.parametrize("node", ["sign", "test"])
def test_admissible_deviation_of_raw_entries_brackets_the_flip(toy, node):
    """Just inside each bound the top state is unchanged and just outside it is another (brute force, 1e-7 away)."""
    ev = {"sign": "mid", "test": "pos"}
    ad = toy.admissible_deviation(ev, target="disease", node=node)
    frame = ad.to_frame()
    states = toy.states("disease")
    assert len(ad.fragile) > 0
    for _, r in ad.fragile.iterrows():
        parents = dict(p.split("=") for p in r["parameter"].split("| ")[1].rstrip(")").split(", "))
        for bound, flips in ((r["lower"], r["flips_below"]), (r["upper"], r["flips_above"])):
            if not flips:
                continue
            step = 1e-7 if bound < r["value"] else -1e-7
            p_in = brute_force(toy, ev, "disease", tables=_with_entry(toy, node, parents, r["state"], bound + step))
            p_out = brute_force(toy, ev, "disease", tables=_with_entry(toy, node, parents, r["state"], bound - step))
            assert states[int(np.argmax(p_in))] == ad.top and states[int(np.argmax(p_out))] != ad.top
    assert (frame["lower"] <= frame["value"]).all() and (frame["value"] <= frame["upper"]).all()


@pytest.fixture(scope="module")
def tie_net(tmp_path_factory):
    """P(d) = (0.3, 0.3, 0.4) and P(f=pos | d) = (0.7, 0.7, 0.1): given f=pos, a and b are exactly tied (0.21 each)."""
    return _network(tmp_path_factory.mktemp("tie"), "tie", """\
  d: {role: diagnosis, states: [a, b, c], parents: [], description: D.}
  f: {role: finding, states: [neg, pos], parents: [d], description: F.}
""", """\
  d: {kind: table, row: {value: {a: 0.3, b: 0.3, c: 0.4}, concentration: 10, source: test}}
  f:
    kind: table
    rows:
      a: {value: {pos: 0.7}, concentration: 10, source: test}
      b: {value: {pos: 0.7}, concentration: 10, source: test}
      c: {value: {pos: 0.1}, concentration: 10, source: test}
""")


def test_an_exact_tie_for_the_top_is_resolved_by_rule_not_by_rounding(tie_net):
    """Issue 13: with a and b tied, the rival was kept or dropped by the rounding of its crossing (-c2/c1 = x0 +- 1 ulp);
    P(f=pos | d=b) moving up makes b first at once, yet no flip was reported. The rule: the top is the first tied
    state (a); a tied rival takes over at x0 itself on the side where it grows; a rival that stays tied (moving c's
    row) never does. Exact reference: brute-force enumeration 1e-7 on either side of each bound."""
    ev = {"f": "pos"}
    post = tie_net.posterior(ev, target="d").probabilities
    assert post[0] == post[1] > post[2]
    ad = tie_net.admissible_deviation(ev, target="d", node="f")
    assert ad.top == "a"
    frame = ad.to_frame().set_index("parameter")
    expected = {  # parameter: (lower, top below, upper, top above); c's row: c overtakes at 0.21 / 0.4 = 0.525
        "P(f=pos | d=a)": (0.7, "b", 1.0, ""), "P(f=neg | d=a)": (0.0, "", 0.3, "b"),
        "P(f=pos | d=b)": (0.0, "", 0.7, "b"), "P(f=neg | d=b)": (0.3, "b", 1.0, ""),
        "P(f=pos | d=c)": (0.0, "", 0.525, "c"), "P(f=neg | d=c)": (0.475, "c", 1.0, ""),
    }
    for name, (lo, tb, hi, ta) in expected.items():
        r = frame.loc[name]
        assert (r["top_below"], r["top_above"]) == (tb, ta), name
        assert r["lower"] == pytest.approx(lo, abs=1e-12) and r["upper"] == pytest.approx(hi, abs=1e-12), name
        if tb == "b" or ta == "b":  # the tie is broken at x0 exactly, not a rounding away
            assert (r["lower"] if tb == "b" else r["upper"]) == r["value"]
        state, parent = name[2:].split(" | d=")
        parent = parent.rstrip(")")
        for bound, rival, step in ((r["lower"], tb, -1e-7), (r["upper"], ta, 1e-7)):
            if not rival:
                continue
            outside = brute_force(tie_net, ev, "d", tables=_with_entry(tie_net, "f", {"d": parent}, state.split("=")[1],
                                                                       bound + step))
            assert tie_net.states("d")[int(np.argmax(outside))] == rival, (name, bound)
    again = tie_net.admissible_deviation({"f": "pos"}, target="d", node="f").to_frame()
    pd.testing.assert_frame_equal(again, ad.to_frame())


def test_a_tie_for_the_top_among_clinical_parameters(tie_net):
    """The same rule on the clinical parameters (grid and bisection on the engine): lowering P(d=a) or raising
    P(d=b) lets b take over at once (to the bisection's 1e-12 on the logit scale), and the tie between a and b,
    which moving P(d=c) keeps, never counts as a flip: c takes over where 0.1 x = 0.7 (1 - x) / 2, x = 0.35 / 0.45
    (a and b share the rest of the row equally)."""
    frame = tie_net.admissible_deviation({"f": "pos"}, target="d").to_frame().set_index("parameter")
    r = frame.loc["P(d=a)"]
    assert (r["top_below"], r["top_above"]) == ("b", "") and r["lower"] == pytest.approx(0.3, abs=1e-9)
    r = frame.loc["P(d=b)"]
    assert (r["top_below"], r["top_above"]) == ("", "b") and r["upper"] == pytest.approx(0.3, abs=1e-9)
    r = frame.loc["P(d=c)"]
    assert (r["top_below"], r["top_above"]) == ("", "c") and r["upper"] == pytest.approx(0.35 / 0.45, abs=1e-9)


def test_admissible_deviation_of_clinical_parameters_is_exact_to_1e9(toy):
    ad = toy.admissible_deviation(TOY_EV, target="disease")
    frag = ad.fragile
    assert len(frag) > 0
    from bmes_bayes.draws import relevant_parameters
    from bmes_bayes.sensitivity._perturb import _entries

    ev = toy.resolve(TOY_EV)
    entries = {e.label: e for e in _entries(toy, relevant_parameters(toy, ev, "disease"))}
    from bmes_bayes.sensitivity._perturb import _entry_draws

    for _, r in frag.head(6).iterrows():
        e = entries[r["parameter"]]
        for bound, flips, sign in ((r["lower"], r["flips_below"], -1), (r["upper"], r["flips_above"], 1)):
            if not flips:
                continue
            xs = np.array([bound * (1 - sign * 1e-8), bound * (1 + sign * 1e-8)])  # inside, outside (relative 1e-8)
            post = toy.query(ev, "disease", DrawnTables(toy.priors, toy.network, _entry_draws(toy, [e, e], xs)))
            tops = [toy.states("disease")[i] for i in post.posterior.argmax(axis=1)]
            assert tops[0] == ad.top and tops[1] != ad.top, (r["parameter"], bound)


def _parents_of(r) -> dict[str, str]:
    return dict(p.split("=") for p in r["parent_states"].split(", ")) if r["parent_states"] else {}


def _apply_change(model, r) -> dict[str, np.ndarray]:
    """CPTs (no sample axis) of the model with the tuning candidate ``r`` applied, built independently of tune():
    a raw entry by hand (``_with_entry``); a clinical parameter by replacing its value in the point Draws (a row
    entry with the rest of its row scaled by (1 - x) / (1 - x0)) and compiling every CPT with compile_all."""
    from bmes_bayes.parameters import point_draws
    from bmes_bayes.spec import OddsRatioPrior

    if r["kind"] == "cpt_entry":
        return _with_entry(model, r["node"], _parents_of(r), r["state"], r["x_new"])
    i = next(j for j, q in enumerate(model.priors.parameters) if q.id == r["id"])
    prior = model.priors.parameters[i]
    if isinstance(prior, OddsRatioPrior):
        value = np.array([r["x_new"]])
    else:
        k = prior.states.index(r["state"])
        row = prior.mean * (1 - r["x_new"]) / (1 - prior.mean[k])
        row[k] = r["x_new"]
        value = row[None, :]
    draws = point_draws(model.priors).replace(i, value)
    return {k: v[0] for k, v in compile_all(model.priors, model.network, draws).items()}


def _cd_by_definition(model, tables) -> float:
    """D = ln max_w P'(w)/P(w) - ln min_w P'(w)/P(w) over the full joint (every world with P(w) > 0)."""
    before = _joint(model, _point_tables(model))
    after = _joint(model, tables)
    mask = before > 0
    ratio = after[mask] / before[mask]
    return float(np.log(ratio.max()) - np.log(ratio.min()))


TUNE_CASES = [  # (evidence, target state, at least): each has clinical candidates of every kind between them
    (TOY_FULL, "a", 0.5),
    (TOY_EV, "c", 0.9),
    ({"sign": "mid", "test": "neg"}, "b", 0.618),
]


def test_tuning_raw_entries_once_applied_reach_the_constraint(toy):
    at_least = 0.5
    t = toy.tune(TOY_FULL, "a", at_least=at_least, target="disease")
    frame = t.to_frame()
    assert t.current < at_least and len(frame) > 0
    assert "disease" in t.searched and "test" in t.searched and "sign" in t.searched
    assert (np.diff(frame["cd_distance"]) >= 0).all()
    raw = frame[frame["kind"] == "cpt_entry"]
    assert len(raw) > 0
    for _, r in raw.iterrows():
        tables = _with_entry(toy, r["node"], _parents_of(r), r["state"], r["x_new"])
        ref = brute_force(toy, TOY_FULL, "disease", tables=tables)
        assert ref[0] >= at_least - 1e-9
        assert ref[0] == pytest.approx(at_least, abs=1e-9)  # x* is where the constraint is met exactly


@pytest.mark.parametrize("evidence,state,at_least", TUNE_CASES)
def test_every_tuning_change_once_applied_meets_the_constraint(toy, evidence, state, at_least):
    """Each candidate (clinical parameter or raw entry), applied by rebuilding the parameter values and compiling
    every CPT, gives P(state | e) >= at_least - 1e-8 by brute-force enumeration; x* is where it is reached (to 1e-8);
    p_after is that posterior; the plausible flag is the range test; rows are sorted by CD distance."""
    t = toy.tune(evidence, state, at_least=at_least, target="disease")
    frame = t.to_frame()
    assert t.current < at_least and len(frame) > 0
    assert (np.diff(frame["cd_distance"]) >= 0).all()
    ti = toy.states("disease").index(state)
    for _, r in frame.iterrows():
        ref = brute_force(toy, evidence, "disease", tables=_apply_change(toy, r))[ti]
        assert ref >= at_least - 1e-8, r["parameter"]
        assert ref == pytest.approx(at_least, abs=1e-8), r["parameter"]
        assert r["p_after"] == pytest.approx(ref, abs=1e-9) and r["p_after"] >= at_least
        assert r["change"] == pytest.approx(r["x_new"] - r["x0"], abs=1e-15)
        if r["kind"] == "cpt_entry":
            assert pd.isna(r["plausible"])
        else:
            assert bool(r["plausible"]) == (r["plausible_low"] <= r["x_new"] <= r["plausible_high"])
            assert 0 <= r["prior_tail"] <= 1


def test_tuning_plausible_range_is_the_one_way_quantile_range(toy):
    """The plausible range of a clinical candidate is the one one_way() uses at the same level (scipy quantiles)."""
    t = toy.tune(TOY_EV, "c", at_least=0.9, target="disease", level=0.9)
    row = t.to_frame().set_index("parameter").loc["P(sign=high | disease=b)"]
    prior = next(p for p in toy.priors.parameters if p.id == row["id"])
    a = prior.alpha
    k = prior.states.index("high")
    lo, hi = stats.beta.ppf([0.05, 0.95], a[k], a.sum() - a[k])
    assert (row["plausible_low"], row["plausible_high"]) == pytest.approx((lo, hi), abs=1e-12)
    ow = toy.one_way(TOY_EV, target="disease", target_state="c", level=0.9).to_frame().set_index("parameter")
    assert ow.loc["P(sign=high | disease=b)", "low_value"] == pytest.approx(lo, abs=1e-12)
    assert row["prior_tail"] == pytest.approx(stats.beta.cdf(row["x_new"], a[k], a.sum() - a[k]), abs=1e-12)


@pytest.mark.parametrize("evidence,state,at_least,parameter", [
    (TOY_EV, "c", 0.9, "base rate disease=c | sex=male"),
    (TOY_EV, "c", 0.9, "base rate disease=b | sex=female"),
    (TOY_EV, "c", 0.9, "OR of disease=c for risk=yes"),
    (TOY_EV, "c", 0.9, "P(sign=high | disease=b)"),
    ({"sign": "mid", "test": "neg"}, "b", 0.618, "OR of disease=a for pregnant=yes"),
])
def test_cd_distance_of_a_clinical_change_is_its_definition_on_the_full_joint(toy, evidence, state, at_least,
                                                                               parameter):
    """The CD distance of a base-rate or odds-ratio change of the log-linear node (every CPT entry of some rows
    moves) equals ln max P'/P - ln min P'/P over the toy's full joint (144 worlds), to 1e-12."""
    t = toy.tune(evidence, state, at_least=at_least, target="disease")
    r = t.to_frame().set_index("parameter").loc[parameter].copy()
    r["parameter"] = parameter
    tables = _apply_change(toy, r)
    d = _cd_by_definition(toy, tables)
    assert r["cd_distance"] == pytest.approx(d, abs=1e-12, rel=1e-12)
    if r["kind"] == "probability":  # a table row entry: the closed form applies
        assert float(cd_distance(r["x0"], r["x_new"])) == pytest.approx(d, abs=1e-12)
    if parameter.endswith("pregnant=yes"):
        # the rows of pregnant men are impossible, so they carry no world: over every CPT entry the ratio would differ
        before, after = toy._tables.tables["disease"][0], tables["disease"]
        ratio = after[before > 0] / before[before > 0]
        assert np.log(ratio.max()) - np.log(ratio.min()) > d + 0.1


def test_cd_distance_matches_its_definition_on_the_full_joint(toy):
    """D = ln max_w P'(w)/P(w) - ln min_w P'(w)/P(w) over the toy's full joint (144 worlds), brute force."""
    t = toy.tune(TOY_FULL, "a", at_least=0.5, target="disease")
    for _, r in t.to_frame().head(5).iterrows():
        d = _cd_by_definition(toy, _apply_change(toy, r))
        assert r["cd_distance"] == pytest.approx(d, abs=1e-9)
        if r["kind"] == "cpt_entry":
            assert float(cd_distance(r["x0"], r["x_new"])) == pytest.approx(d, abs=1e-9)


def test_tuning_says_when_the_constraint_already_holds(toy):
    t = toy.tune(TOY_FULL, "a", at_least=0.01, target="disease")
    assert len(t.to_frame()) == 0 and "already satisfied" in t.verdict
    assert "already satisfied" in repr(t)


def test_tuning_finds_clinical_changes_when_risk_factors_are_unobserved(model):
    """sif-knee-older-woman (risk factors unobserved, so the diagnosis CPT has no single row to tune): clinical
    parameters reach P(traumatic_fracture) >= 0.5; each change, applied to the parameter values and compiled into
    full CPTs (the engine's unfactored path), meets the constraint to 1e-8."""
    from bmes_bayes import scenarios
    from bmes_bayes.compile import FullTables

    evidence = scenarios.load("sif-knee-older-woman").evidence
    t = model.tune(evidence, "traumatic_fracture", at_least=0.5)
    frame = t.to_frame()
    assert t.current < 0.5 and len(frame) >= 1 and t.n_parameters > 50
    assert (frame["kind"] != "cpt_entry").any()
    ev = model.resolve(evidence)
    ti = model.states("diagnosis").index("traumatic_fracture")
    for _, r in frame.iterrows():
        tables = {k: v[None] for k, v in _apply_change(model, r).items()}
        p = model.query(ev, "diagnosis", FullTables(model.network, tables)).posterior[0, ti]
        assert p >= 0.5 - 1e-8 and p == pytest.approx(0.5, abs=1e-8), r["parameter"]
    top = frame.iloc[0]
    assert "traumatic_fracture reaches 0.50 if" in t.verdict and "plausible range" in t.verdict
    assert t.describe(0) in repr(t) and t.describe(0) in t.verdict and f"{top['x_new']:.3g}" in t.describe(0)
    done = model.tune(evidence, "subchondral_insufficiency_fracture", at_least=0.5)
    assert len(done.to_frame()) == 0 and "already satisfied" in done.verdict


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

    def with_zeros(spec, n, streams, only=None, every=7):
        draws = real(spec, n, streams, only)
        vals = [v.copy() for v in draws.values]
        i = next(j for j, p in enumerate(spec.parameters) if p.node == "a")
        vals[i][::every] = [1.0, 0.0]  # P(a=yes) = 0 in every 7th set
        return Draws(spec, tuple(vals))

    monkeypatch.setattr(sensitivity, "sample_draws", with_zeros)
    with pytest.warns(BmesWarning, match=r"144 of 1,000 parameter sets drawn from the priors make the evidence"):
        res = tiny_net.uncertainty({"a": "yes"}, target="b", n_samples=1000, seed=0)  # 72 in each chunk of 500
    assert res.n_impossible == 144 and res.n_samples == 856 and res.parameters.shape[0] == 856
    np.testing.assert_allclose(res.samples, np.tile([0.3, 0.7], (856, 1)), rtol=0, atol=1e-15)
    assert "144 more parameter sets drawn make the evidence impossible" in res.verdict
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


# ------------------------------------------------------------------------------------------------ 5. Sobol
def test_sobol_indices_match_the_analytic_product_of_two_betas(and_net):
    """P(y=yes) = t1 t2, t1 ~ Beta(2, 2), t2 ~ Beta(3, 7) independent. With m_i, v_i the means and variances:
    V = (v1 + m1^2)(v2 + m2^2) - m1^2 m2^2, S1_1 = m2^2 v1 / V, ST_1 = 1 - m1^2 v2 / V (and symmetrically);
    here S1 = (0.4400, 0.4667), ST = (0.5333, 0.5600)."""
    res = and_net.sobol(None, target="y", target_state="yes", n=4096, seed=0)
    m1, v1, m2, v2 = 0.5, 0.25 / 5, 0.3, 0.21 / 11
    v = (v1 + m1**2) * (v2 + m2**2) - m1**2 * m2**2
    expected = {"x1": (m2**2 * v1 / v, 1 - m1**2 * v2 / v), "x2": (m1**2 * v2 / v, 1 - m2**2 * v1 / v)}
    frame = res.to_frame().set_index("factor")
    for name, (s1, stot) in expected.items():
        assert frame.loc[name, "S1"] == pytest.approx(s1, abs=0.02)
        assert frame.loc[name, "ST"] == pytest.approx(stot, abs=0.02)
        assert frame.loc[name, "ST_low"] < stot < frame.loc[name, "ST_high"] + 0.02
    assert res.n_evaluations == 4096 * 4


@pytest.fixture(scope="module")
def dirichlet_net(tmp_path_factory):
    """y = (a = p) AND (b = yes), P(a) ~ Dirichlet(2, 3, 5) (three Gamma inputs), P(b=yes) ~ Beta(3, 7)."""
    return _network(tmp_path_factory.mktemp("dir"), "dir", """\
  a: {role: risk_factor, states: [p, q, r], parents: [], description: Three states.}
  b: {role: risk_factor, states: ["no", "yes"], parents: [], description: Two states.}
  y: {role: diagnosis, states: ["no", "yes"], parents: [a, b], description: Both.}
""", """\
  a: {kind: table, row: {value: {p: 0.2, q: 0.3, r: 0.5}, concentration: 10, source: test}}
  b: {kind: table, row: {value: {"yes": 0.3}, concentration: 10, source: test}}
  y:
    kind: table
    rows:
      p: {"no": {value: {"yes": 0.0}, fixed: true, source: logic}, "yes": {value: {"yes": 1.0}, fixed: true, source: logic}}
      q: {"no": {value: {"yes": 0.0}, fixed: true, source: logic}, "yes": {value: {"yes": 0.0}, fixed: true, source: logic}}
      r: {"no": {value: {"yes": 0.0}, fixed: true, source: logic}, "yes": {value: {"yes": 0.0}, fixed: true, source: logic}}
""")


def test_one_relevant_factor_has_indices_of_exactly_one(model, dirichlet_net):
    """Issue 13: with one factor X the whole input, Var(E[Y | X]) = Var(Y), so S1 = ST = 1 exactly; SALib, given
    the factor's Gamma inputs ungrouped, reported the index of the first Gamma input (0.05). The variance is the
    prior's: P(corticosteroids=yes) ~ Beta(a, b) has variance m (1 - m) / (a + b + 1)."""
    res = model.sobol(None, target="corticosteroids", target_state="yes", n=1024, seed=0)
    frame = res.to_frame()
    assert list(frame["factor"]) == ["corticosteroids"]
    assert frame.loc[0, ["S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"]].tolist() == [1.0] * 6
    (row,) = [p for p in model.priors.parameters if p.node == "corticosteroids"]
    k = row.states.index("yes")
    m, c = row.mean[k], row.alpha.sum()
    assert res.variance == pytest.approx(m * (1 - m) / (c + 1), rel=0.03)
    assert res.n_evaluations == 1024
    three = dirichlet_net.sobol(None, target="a", target_state="p", n=256, seed=0)  # one group of 3 Gamma inputs
    assert three.to_frame()["S1"].tolist() == [1.0] and three.variance == pytest.approx(0.16 / 11, rel=0.05)


def test_sobol_indices_are_per_factor_whatever_its_number_of_gamma_inputs(dirichlet_net):
    """P(y=yes) = t1 t2 with t1 = P(a=p) from a 3-state Dirichlet (three Gamma inputs, one factor) and t2 ~ Beta(3, 7):
    the closed form of the product of two independent variables, as for two Betas above, with m1 = 0.2,
    v1 = 0.2 x 0.8 / 11."""
    res = dirichlet_net.sobol(None, target="y", target_state="yes", n=4096, seed=0)
    m1, v1, m2, v2 = 0.2, 0.16 / 11, 0.3, 0.21 / 11
    v = (v1 + m1**2) * (v2 + m2**2) - m1**2 * m2**2
    frame = res.to_frame().set_index("factor")
    assert sorted(frame.index) == ["a", "b"]
    for name, (s1, stot) in {"a": (m2**2 * v1 / v, 1 - m1**2 * v2 / v), "b": (m1**2 * v2 / v, 1 - m2**2 * v1 / v)}.items():
        assert frame.loc[name, "S1"] == pytest.approx(s1, abs=0.02)
        assert frame.loc[name, "ST"] == pytest.approx(stot, abs=0.02)
    assert res.n_evaluations == 4096 * 4


def test_sobol_on_the_model_runs_and_leaves_out_what_cannot_matter(model):
    res = model.sobol({"joint": "hip", "age_group": "middle", "sex": "male", "corticosteroids": "yes",
                       "mri_necrotic_segment": "present"}, n=32, seed=1, groups="node")
    frame = res.to_frame()
    assert "diagnosis" in set(frame["factor"]) and "mri_necrotic_segment" in set(frame["factor"])
    assert "fever" not in set(frame["factor"])  # unobserved finding: barren, exactly no effect
    assert res.n_irrelevant > 0


# ------------------------------------------------------------------------------------------------ displays
def test_result_displays_and_plots(toy):
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    ow = toy.one_way(TOY_EV, target="disease")
    ax = ow.plot(n=5)
    assert len(ax.patches) == min(5, len(ow.to_frame()))
    sf = toy.sensitivity_function(TOY_EV, "sign", {"disease": "a"}, "high", target_state="a", target="disease")
    ax = sf.plot()
    assert len(ax.lines) == 2 and ax.get_xlim()[0] <= sf.x0 <= ax.get_xlim()[1]
    ad = toy.admissible_deviation(TOY_EV, target="disease", node="sign")
    assert any(isinstance(c, LineCollection) for c in ad.plot().collections)
    tu = toy.tune(TOY_FULL, "a", at_least=0.5, target="disease")
    assert len(tu.plot(n=4).texts) == min(4, len(tu.to_frame()))  # one arrow annotation per change
    tu2 = toy.tune(TOY_EV, "c", at_least=0.9, target="disease")
    ax = tu2.plot(n=20)
    assert len(ax.texts) == len(tu2.to_frame()) and ax.get_xscale() == "log"  # odds ratios among them: log axis
    for res in (ow, sf, ad, tu):
        assert "at 0x" not in repr(res) and res._repr_html_().startswith("<div")
    plt.close("all")


def test_sobol_plot_has_two_bars_per_factor(and_net):
    import matplotlib.pyplot as plt

    res = and_net.sobol(None, target="y", target_state="yes", n=64, seed=0)
    ax = res.plot()
    assert len(ax.patches) == 2 * len(res.to_frame())
    assert repr(res).startswith("<Sobol")
    plt.close("all")


@pytest.mark.parametrize("groups", [None, ["g1", "g2", "g1", "g3", "g2"]])
def test_saltelli_rows_are_salibs_sample_element_for_element(groups):
    """Our chunked cross-sample is SALib's ``sobol.sample`` (the reference), generated without its Python loop."""
    from SALib.sample import sobol as sobol_sample

    from bmes_bayes.sensitivity import saltelli_rows

    problem = {"num_vars": 5, "names": [f"x{i}" for i in range(5)], "bounds": [[0.0, 1.0]] * 5}
    if groups:
        problem["groups"] = groups
    ref = sobol_sample.sample(problem, 64, calc_second_order=False, scramble=True, seed=11)
    for rows in (1, 7, 100, 10_000):
        mine = np.concatenate(list(saltelli_rows(problem, 64, seed=11, rows=rows)))
        np.testing.assert_array_equal(mine, ref)


def test_sobol_draws_are_the_design_evaluations_in_long_form(model):
    """Sobol's .draws() (issue 12): one row per model evaluation, in the layout of Saltelli's design (A, each
    factor's cross-sample, B, for every base row), the same numbers the indices were computed from."""
    ev = {"joint": "hip", "sex": "male", "age_group": "middle", "onset": "sudden", "mri_fracture_line": "present"}
    res = model.sobol(ev, target_state="traumatic_fracture", n=8, seed=3, groups="node")
    d = res.draws()
    assert list(d.columns) == ["draw", "matrix", "state", "probability"]
    assert len(d) == res.n_evaluations == 8 * (len(res.design_factors) + 2)
    assert set(d["matrix"]) == {"A", "B", *res.design_factors}
    np.testing.assert_array_equal(d["probability"], res.outputs)
    assert (d["state"] == "traumatic_fracture").all() and d["probability"].between(0, 1).all()
    # A and B are independent points of the design: their evaluations differ
    a0 = d[(d["draw"] == 0) & (d["matrix"] == "A")]["probability"].item()
    b0 = d[(d["draw"] == 0) & (d["matrix"] == "B")]["probability"].item()
    assert a0 != b0
    assert res.variance == pytest.approx(np.var(res.outputs))


# ------------------------------------------------------------------------------------------------ the package's layout
OLD_ALL = ["Uncertainty", "uncertainty", "CHUNK", "OneWay", "one_way", "SensitivityFunction", "sensitivity_function",
           "covary", "admissible_range", "AdmissibleDeviation", "admissible_deviation", "Tuning", "tune",
           "cd_distance", "Sobol", "sobol", "sobol_indices", "relevant_parameters"]


def test_every_name_of_the_old_module_is_still_importable():
    """bmes_bayes.sensitivity was one module; as a package it re-exports every name of its old ``__all__``, the
    draws it used to define (now in bmes_bayes.draws, the same objects) and the delta preview's old path."""
    import bmes_bayes.delta
    import bmes_bayes.draws
    import bmes_bayes.sensitivity as sens
    from bmes_bayes.sensitivity import delta

    for name in OLD_ALL + ["posterior_draws", "possible_draws", "parameter_columns", "sample_count"]:
        assert name in sens.__all__ and getattr(sens, name) is not None, name
    for name in ("CHUNK", "posterior_draws", "possible_draws", "parameter_columns", "sample_count",
                 "relevant_parameters"):
        assert getattr(sens, name) is getattr(bmes_bayes.draws, name)
    assert bmes_bayes.delta.delta_uncertainty is delta.delta_uncertainty is sens.delta_uncertainty
    assert bmes_bayes.delta.DeltaUncertainty is delta.DeltaUncertainty


def test_the_search_brackets_the_first_crossing_on_each_side():
    """The one grid-and-bisection search (admissible deviation and tuning): on f_i(t) = |t - t0_i| - c_i the
    condition f >= 0 first holds at t0 -/+ c_i; every bracket ends within the tolerance of it, the value at the
    outer end is f there, and an entry whose grid never crosses has no bracket."""
    from bmes_bayes.sensitivity._search import search

    t0 = np.array([0.0, 1.0, 2.0])
    c = np.array([0.3, 0.7, 50.0])                       # the third never crosses within the grid
    grid = np.linspace(-5.0, 5.0, 21)[None, :] + t0[:, None]
    calls = []

    def evaluate(which, ts):
        calls.append(len(ts))
        return np.abs(ts - t0[which]) - c[which]

    got = search(evaluate, lambda v: v >= 0, t0, grid, sides=(1, -1), steps=200, tol=1e-12)
    assert got.entry.tolist() == [0, 0, 1, 1]            # grouped by entry, the sides in the order asked
    roots = t0[got.entry] + np.array([1, -1, 1, -1]) * c[got.entry]
    assert np.all(np.abs(got.outside - roots) <= 1e-12) and np.all(np.abs(got.inside - roots) <= 1e-12)
    assert np.all(got.value >= 0) and np.allclose(got.value, np.abs(got.outside - t0[got.entry]) - c[got.entry])
    assert calls[0] == grid.size                          # the whole grid in one batched call
    fixed = search(evaluate, lambda v: v >= 0, t0, grid, sides=(-1,), steps=3)
    assert fixed.entry.tolist() == [0, 1] and np.all(np.abs(fixed.outside - fixed.inside) == 0.5 / 2**3)


def _one_way(m, **kw):
    return one_way(m, TOY_EV, target="disease", **kw)


def _tune(m, **kw):
    return tune(m, TOY_EV, "c", at_least=0.9, target="disease", **kw)


@pytest.mark.parametrize("call", [_one_way, _tune])
def test_the_old_keyword_level_for_the_plausible_range_still_works_with_a_warning(toy, call):
    """Issue 10, item 6: ``plausible`` is the central prior probability of a parameter's plausible range; ``level``
    (its old name) works for one release with a DeprecationWarning that points at the caller."""
    with pytest.warns(DeprecationWarning, match="level= is renamed plausible=") as caught:
        before = call(toy, level=0.9)
    assert (caught[0].filename, caught[0].lineno) == (__file__, call.__code__.co_firstlineno + 1)  # the caller
    after = call(toy, plausible=0.9)
    pd.testing.assert_frame_equal(before.to_frame(), after.to_frame())
    with pytest.warns(DeprecationWarning, match="plausible"):
        assert before.level == 0.9


def test_the_old_keyword_level_for_sobols_confidence_still_works_with_a_warning(and_net):
    from bmes_bayes.sensitivity import sobol

    with pytest.warns(DeprecationWarning, match="level= is renamed confidence=") as caught:
        old = sobol(and_net, None, target="y", target_state="yes", n=64, seed=0, level=0.9)
    assert caught[0].filename == __file__
    new = sobol(and_net, None, target="y", target_state="yes", n=64, seed=0, confidence=0.9)
    pd.testing.assert_frame_equal(old.to_frame(), new.to_frame())
    assert new.confidence == 0.9 and "90% bootstrap intervals" in new.to_html()
    with pytest.warns(DeprecationWarning, match="confidence"):
        assert new.level == 0.9


def test_the_model_aliases_take_the_new_names_and_warn_at_the_users_line_for_the_old(toy):
    """The method form has the function's signature: ``plausible`` without a warning, ``level`` with one that
    points at this file's line, through the alias and the function (two frames of the package)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert toy.one_way(TOY_EV, target="disease", plausible=0.8).plausible == 0.8
        assert toy.tune(TOY_EV, "c", at_least=0.9, target="disease", plausible=0.8).plausible_mass == 0.8
    with pytest.warns(DeprecationWarning, match="level= is renamed plausible=") as caught:
        line = inspect.currentframe().f_lineno + 1
        toy.one_way(TOY_EV, target="disease", level=0.8)
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)
    with pytest.raises(TypeError, match="give plausible= only"):
        toy.one_way(TOY_EV, target="disease", level=0.8, plausible=0.8)


def test_uncertainty_arrays_are_read_only(toy):
    res = toy.uncertainty(TOY_EV, target="disease", n_samples=20, seed=0)
    for a in (res.point, res.samples, res.parameters):
        assert not a.flags.writeable


def test_every_result_builds_its_html_and_dict_from_its_frame(toy, and_net):
    """The display base: title, the frame's rows, the verdict (or notes), evidence and model footer, as HTML and as
    JSON-ready data."""
    import json

    results = [toy.uncertainty(TOY_EV, target="disease", n_samples=30, seed=0), toy.delta_uncertainty(TOY_EV),
               toy.one_way(TOY_EV, target="disease"),
               toy.sensitivity_function(TOY_EV, "sign", {"disease": "a"}, "high", target_state="a", target="disease"),
               toy.admissible_deviation(TOY_EV, target="disease"), toy.tune(TOY_FULL, "a", at_least=0.5,
                                                                             target="disease"),
               and_net.sobol(None, target="y", target_state="yes", n=64, seed=0)]
    for res in results:
        html, d = res.to_html(), res.to_dict()
        assert html.startswith("<div class='bmes-result'><p><b>") and "not a clinical device" in html
        assert d["result"] == type(res).__name__ and d["title"] == res._title() and json.dumps(d)
        assert len(d["rows"]) == len(res.to_frame()) and d["notes"]
