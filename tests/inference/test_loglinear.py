"""The engine's fast path for log-linear nodes (bmes_bayes.inference.loglinear) is exact: it agrees with the
generic contraction, with brute-force enumeration and with pgmpy to 1e-9, on the shipped model and on small random
log-linear networks, with hard and soft evidence on the node's parents and children, and it leaves impossible
evidence to the generic path (which raises). In single precision (what Monte-Carlo asks for) it stays within 1e-6
of double precision, and falls back to double where float32 could underflow."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from bmes_bayes.compile import DrawnTables, FactoredTable, compile_all
from bmes_bayes.inference import loglinear
from bmes_bayes.inference.contraction import Engine, ZeroEvidence
from bmes_bayes.parameters import point_draws, sample_draws
from bmes_bayes.spec import NetworkSpec, Variable

from ..reference import brute_force, pgmpy_posterior

TOL = 1e-9

CASES = [
    ({}, {}),
    ({"joint": "hip", "onset": "sudden"}, {}),
    ({"joint": "hip", "age_group": "middle", "sex": "male", "corticosteroids": "yes", "heavy_alcohol": "no",
      "onset": "gradual", "fever": "no", "inflammatory_markers": "normal", "xray": "normal",
      "mri_edema_pattern": "focal", "mri_necrotic_segment": "present", "mri_fracture_line": "absent"}, {}),
    ({"sex": "female", "pregnancy": "late_or_postpartum", "mri_effusion": "present"}, {"night_pain": [0.3, 0.9]}),
    ({"age_group": "older", "xray": "normal"}, {"corticosteroid_dose": [0.2, 0.5, 1.0], "fever": [1.0, 0.1]}),
]


def _both(engine: Engine, source, hard, soft, target):
    engine.fast = False
    try:
        generic = engine.query(source, hard, soft, target)
    finally:
        del engine.fast
    return engine.query(source, hard, soft, target), generic


def _took_fast(engine, source, hard, soft, target) -> bool:
    plan = engine._plan(target, frozenset(hard), frozenset(soft))
    return loglinear.query(engine, plan, source, hard, soft) is not None


def _indices(model, hard):
    return {k: model.network[k].states.index(v) for k, v in hard.items()}


@pytest.mark.parametrize("hard, soft", CASES)
@pytest.mark.parametrize("target", ["diagnosis", "age_group", "pregnancy", "xray"])
def test_real_model_fast_equals_generic(model, hard, soft, target):
    if target in hard:
        return
    source = DrawnTables(model.priors, model.network, sample_draws(model.priors, 30, np.random.default_rng(3)))
    engine = Engine(model.network)
    softs = {k: np.asarray(v, float) for k, v in soft.items()}
    fast, generic = _both(engine, source, _indices(model, hard), softs, target)
    np.testing.assert_allclose(fast.posterior, generic.posterior, atol=TOL, rtol=0)
    np.testing.assert_allclose(fast.log_evidence, generic.log_evidence, atol=1e-9, rtol=1e-12)
    if target == "diagnosis":
        assert _took_fast(engine, source, _indices(model, hard), softs, target)


@pytest.mark.parametrize("hard, soft", CASES[1:])
def test_real_model_fast_equals_brute_force(model, hard, soft):
    draws = sample_draws(model.priors, 2, np.random.default_rng(5))
    source = DrawnTables(model.priors, model.network, draws)
    softs = {k: np.asarray(v, float) for k, v in soft.items()}
    post = Engine(model.network).query(source, _indices(model, hard), softs, "diagnosis").posterior
    tables = compile_all(model.priors, model.network, draws)
    for i in range(2):
        ref = brute_force(model, hard, "diagnosis", softs, tables={k: v[i] for k, v in tables.items()})
        np.testing.assert_allclose(post[i], ref, atol=TOL, rtol=0)


@pytest.mark.parametrize("hard, soft", CASES)
def test_real_model_point_fast_equals_pgmpy(model, hard, soft):
    source = DrawnTables(model.priors, model.network, point_draws(model.priors))
    softs = {k: np.asarray(v, float) for k, v in soft.items()}
    post = Engine(model.network).query(source, _indices(model, hard), softs, "diagnosis").posterior[0]
    np.testing.assert_allclose(post, pgmpy_posterior(model, hard, "diagnosis", softs), atol=TOL, rtol=0)


def test_impossible_evidence_goes_to_the_generic_path(model):
    source = DrawnTables(model.priors, model.network, sample_draws(model.priors, 10, np.random.default_rng(0)))
    hard = _indices(model, {"sex": "male", "pregnancy": "late_or_postpartum", "onset": "sudden"})
    assert not _took_fast(Engine(model.network), source, hard, {}, "diagnosis")
    with pytest.raises(ZeroEvidence):
        Engine(model.network).query(source, hard, {}, "diagnosis")


# ------------------------------------------------------------------------------------------ random networks
class _Source:
    """A table source over explicit tables, with one log-linear node handed over by its weights."""

    def __init__(self, net, tables, node, weights):
        self.net, self.tables, self.node, self.weights = net, tables, node, weights
        self.precision = "double"
        self.n_samples = next(iter(tables.values())).shape[0]
        self.factored_nodes = frozenset({node})
        self.order = {n: i for i, n in enumerate(net.names)}

    def table(self, name, fixed):
        if name == self.node:
            groups, const = [], np.ones((self.n_samples, self.net[name].card))
            for arr, axes in self.weights:
                idx = tuple([slice(None)] + [fixed.get(a, slice(None)) for a in axes])
                arr, axes = arr[idx], tuple(a for a in axes if a not in fixed)
                if axes:
                    groups.append((arr, axes))
                else:
                    const = const * arr
            return FactoredTable(weights=((const, ()), *groups), node=name, state=fixed.get(name), order=self.order)
        axes = (*self.net[name].parents, name)
        idx = tuple([slice(None)] + [fixed.get(a, slice(None)) for a in axes])
        return self.tables[name][idx]

    def full(self):
        """Every CPT written out, the log-linear one from its weights."""
        v = self.net[self.node]
        axes = (*v.parents, v.name)
        w = np.ones((self.n_samples, *(self.net[a].card for a in axes)))
        for arr, names in self.weights:
            shape = [self.n_samples] + [self.net[a].card if a in names + (v.name,) else 1 for a in axes]
            w = w * arr.reshape(shape)
        return {**self.tables, self.node: w / w.sum(axis=-1, keepdims=True)}


def _random_network(rng, n_samples=3):
    names, variables, tables = [], [], {}

    def add(name, parents, card, zeros=False):
        v = Variable(name, tuple(f"s{i}" for i in range(card)), tuple(parents), "", "x")
        variables.append(v)
        names.append(name)
        shape = (n_samples, *(variables[names.index(p)].card for p in parents), card)
        t = rng.gamma(1.0, size=shape)
        if zeros:  # a structural zero: one state impossible under one parent configuration, in every draw
            t[(slice(None),) + (0,) * (len(shape) - 2) + (card - 1,)] = 0.0
        tables[name] = t / t.sum(axis=-1, keepdims=True)
        return v

    n_roots = int(rng.integers(2, 4))
    for i in range(n_roots):
        add(f"r{i}", [], int(rng.integers(2, 4)))
    n_par = int(rng.integers(3, 7))
    for i in range(n_par):
        pool = names[:]
        parents = list(rng.choice(pool, size=int(rng.integers(0, min(2, len(pool)) + 1)), replace=False))
        add(f"p{i}", sorted(parents, key=names.index), int(rng.integers(2, 4)), zeros=bool(rng.random() < 0.3))
    dparents = sorted(rng.choice([n for n in names if n.startswith("p")] + ["r0"], size=min(n_par, 5),
                                 replace=False).tolist(), key=names.index)
    k = int(rng.integers(2, 5))
    add("D", dparents, k)
    del tables["D"]
    for i in range(int(rng.integers(1, 4))):
        extra = [p for p in rng.choice(names[:-1], size=int(rng.integers(0, 2)), replace=False).tolist()]
        add(f"f{i}", sorted(["D", *extra], key=names.index), int(rng.integers(2, 4)))
    net = NetworkSpec("random", "0", "", "", tuple(variables), "", "")
    card = {v.name: v.card for v in variables}
    weights = [(rng.gamma(2.0, size=(n_samples, card[dparents[0]], card[dparents[1]], k)), tuple(dparents[:2]))]
    weights += [(rng.lognormal(0, 1, size=(n_samples, card[p], k)), (p,)) for p in dparents[2:]]
    return net, _Source(net, tables, "D", weights)


@pytest.mark.parametrize("seed", range(25))
def test_random_loglinear_networks(seed):
    rng = np.random.default_rng(seed)
    net, source = _random_network(rng)
    engine = Engine(net)
    full = source.full()
    fake_model = SimpleNamespace(network=net)
    assert _took_fast(engine, source, {}, {}, "D")
    for trial in range(6):
        observed = rng.choice(net.names, size=int(rng.integers(0, 4)), replace=False).tolist()
        hard = {n: f"s{int(rng.integers(net[n].card))}" for n in observed}
        free = [n for n in net.names if n not in hard]
        soft = {n: rng.uniform(0.05, 1.0, size=net[n].card) for n in rng.choice(free, size=int(rng.integers(0, 3)),
                                                                               replace=False).tolist()}
        target = str(rng.choice(free))
        idx = {k: int(v[1:]) for k, v in hard.items()}
        refs = [brute_force(fake_model, hard, target, soft, tables={k: v[i] for k, v in full.items()})
                for i in range(source.n_samples)]
        if any(r.sum() == 0 for r in refs):
            with pytest.raises(ZeroEvidence):
                engine.query(source, idx, soft, target)
            continue
        fast, generic = _both(engine, source, idx, soft, target)
        np.testing.assert_allclose(fast.posterior, generic.posterior, atol=TOL, rtol=0)
        np.testing.assert_allclose(fast.log_evidence, generic.log_evidence, atol=1e-9, rtol=1e-12)
        np.testing.assert_allclose(fast.posterior, np.array(refs), atol=TOL, rtol=0)


# ------------------------------------------------------------------------------------------------- single precision
SINGLE_TOL = 1e-6   # the bound for single precision inside Monte-Carlo (issue 11)


def _single_and_double(engine, make_source, hard, soft, target, monkeypatch):
    """The same query with ``precision="single"`` and "double", and whether float32 produced the single result (not
    its fall-back to double precision)."""
    calls = []
    real = loglinear._evaluate

    def spy(*args):
        out = real(*args)
        calls.append((args[-1], out is not None))
        return out

    monkeypatch.setattr(loglinear, "_evaluate", spy)
    single = engine.query(make_source("single"), hard, soft, target)
    in_float32 = (np.float32, True) in calls
    double = engine.query(make_source("double"), hard, soft, target)
    return single, double, in_float32


@pytest.mark.parametrize("hard, soft", CASES)
def test_single_precision_stays_within_1e_6_of_double_on_the_real_model(model, hard, soft, monkeypatch):
    """Monte-Carlo asks for single precision: every posterior within 1e-6 of double precision (and log P(e) within
    1e-6 relative), computed in float32 (the spy), and not bit-equal to double (float32 was really used)."""
    draws = sample_draws(model.priors, 400, np.random.default_rng(5))
    engine = Engine(model.network)
    softs = {k: np.asarray(v, float) for k, v in soft.items()}
    single, double, in_float32 = _single_and_double(
        engine, lambda p: DrawnTables(model.priors, model.network, draws, precision=p), _indices(model, hard), softs,
        "diagnosis", monkeypatch)
    assert in_float32
    assert not np.array_equal(single.posterior, double.posterior)
    assert np.abs(single.posterior - double.posterior).max() < SINGLE_TOL
    np.testing.assert_allclose(single.log_evidence, double.log_evidence, rtol=SINGLE_TOL, atol=SINGLE_TOL)


@pytest.mark.parametrize("seed", range(10))
def test_single_precision_on_random_loglinear_networks(seed, monkeypatch):
    """Random structures, hard and soft evidence: single precision within 1e-6 of brute-force enumeration."""
    rng = np.random.default_rng(100 + seed)
    net, source = _random_network(rng, n_samples=4)
    engine = Engine(net)
    full = source.full()
    fake_model = SimpleNamespace(network=net)
    source.precision = "single"
    for trial in range(4):
        observed = rng.choice(net.names, size=int(rng.integers(0, 3)), replace=False).tolist()
        hard = {n: f"s{int(rng.integers(net[n].card))}" for n in observed}
        free = [n for n in net.names if n not in hard and n != "D"]
        soft = {n: rng.uniform(0.05, 1.0, size=net[n].card) for n in rng.choice(free, size=int(rng.integers(0, 2)),
                                                                               replace=False).tolist()}
        target = str(rng.choice([n for n in free if n not in soft] or ["D"]))
        idx = {k: int(v[1:]) for k, v in hard.items()}
        refs = [brute_force(fake_model, hard, target, soft, tables={k: v[i] for k, v in full.items()})
                for i in range(source.n_samples)]
        if any(r.sum() == 0 for r in refs):
            continue
        got = engine.query(source, idx, soft, target)
        assert np.abs(got.posterior - np.array(refs)).max() < SINGLE_TOL


def test_single_precision_falls_back_to_double_where_float32_could_underflow(monkeypatch):
    """One parent state's weights scaled by 1e-42 for every state of the node (a constant per parent configuration,
    which cancels in the normaliser: the posterior is unchanged) put some normalisers below float32's smallest normal
    number: the float32 attempt declines (the spy sees it return None), the answer is double precision's bit for bit,
    and it is still the brute-force posterior. Without the scaling, float32 is used (the test can tell)."""
    rng = np.random.default_rng(7)
    net, source = _random_network(rng, n_samples=4)
    engine = Engine(net)
    ref = source.full()
    first, axes = source.weights[0]
    tiny = first.copy()
    tiny[:, 0] *= 1e-42
    source.weights = [(tiny, axes), *source.weights[1:]]

    def make(p):
        source.precision = p
        return source

    single, double, in_float32 = _single_and_double(engine, make, {}, {}, "D", monkeypatch)
    assert not in_float32
    np.testing.assert_array_equal(single.posterior, double.posterior)
    refs = [brute_force(SimpleNamespace(network=net), {}, "D", {}, tables={k: v[i] for k, v in ref.items()})
            for i in range(source.n_samples)]
    np.testing.assert_allclose(single.posterior, np.array(refs), atol=TOL, rtol=0)
    source.weights = [(first, axes), *source.weights[1:]]
    assert _single_and_double(engine, make, {}, {}, "D", monkeypatch)[2]


# ------------------------------------------------------------------------------------------------- shared operands
def _exact_groups(arrays, n):
    """Groups of sets with bit-equal rows of every array with a sample axis of n, by brute force (first set order)."""
    keys = [b"".join(np.ascontiguousarray(a[i]).tobytes() for a in arrays if a.ndim and a.shape[0] == n)
            for i in range(n)]
    groups: dict[bytes, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    return list(groups.values())


def _as_groups(shared):
    order, starts = shared
    return [order[starts[g] : starts[g + 1]].tolist() for g in range(len(starts) - 1)]


@pytest.mark.parametrize("collide", [False, True])
def test_shared_finds_exactly_the_sets_that_agree(monkeypatch, collide):
    """`_shared` groups the sets whose rows agree bit for bit in every array with a sample axis (arrays without one
    are ignored), groups in the order of their first set. With every projection forced equal (all sets collide),
    the bit-for-bit check still never groups sets that differ: those that differ from the first set stand alone
    (a collision costs sharing, never a wrong group)."""
    rng = np.random.default_rng(0)
    n = 40
    base = [rng.random((6, 3, 4)).astype(np.float32), rng.random((6, 5))]
    pick = rng.integers(0, 6, size=n)                         # each set copies one of 6 distinct rows
    arrays = [b[pick] for b in base] + [rng.random((1, 7))]   # the last has no per-set axis
    if collide:
        monkeypatch.setattr(loglinear, "_projection", lambda rows, n: np.zeros(n))
    got = loglinear._shared(arrays, n)
    assert got is not None
    order, starts = got
    assert sorted(order.tolist()) == list(range(n))
    assert [g[0] for g in _as_groups(got)] == sorted(g[0] for g in _as_groups(got))   # by first set
    exact = _exact_groups(arrays, n)
    if not collide:
        assert _as_groups(got) == exact
        assert len(starts) - 1 == len(set(pick.tolist()))
    else:   # the first set's true group, then everyone else alone
        assert _as_groups(got) == [exact[0]] + [[i] for i in range(n) if i not in exact[0]]


@pytest.mark.parametrize("collide", [False, True])
def test_distinct_stands_one_set_for_each_that_agree_among_the_sets_asked(monkeypatch, collide):
    """`_distinct` over a subset of the sets (the groups' first sets, in the fast path): each asked position's
    representative (the first of its kind) agrees with it bit for bit in every array, representatives are the first of their kind in the
    order asked, and there are as many as there are distinct sets (by brute force) unless projections collide (then
    more, never a wrong one). An array without per-set rows makes every set alike; all distinct gives None."""
    rng = np.random.default_rng(5)
    n = 50
    base = [rng.random((4, 3)).astype(np.float32), rng.random((4, 2, 2))]
    pick = rng.integers(0, 4, size=n)
    arrays = [b[pick] for b in base] + [np.broadcast_to(rng.random((1, 3)), (n, 3))]
    sets = rng.permutation(n)[:30]
    if collide:
        monkeypatch.setattr(loglinear, "_projection", lambda rows, n: np.zeros(n))
    first, label = loglinear._distinct(arrays, n, sets)
    reps = sets[first]
    for pos, s_ in enumerate(sets):
        rep = reps[label[pos]]
        assert all(np.array_equal(a[s_], a[rep]) for a in arrays)
    assert [int(sets[list(label).index(g)]) for g in range(len(reps))] == reps.tolist()   # first of their kind
    exact = _exact_groups([a[sets] for a in arrays], len(sets))
    assert len(reps) == len(exact) if not collide else len(reps) >= len(exact)
    alike = loglinear._distinct([np.ones((1, 3))], n, sets)
    assert alike is not None and len(alike[0]) == 1 and not alike[1].any()
    assert loglinear._distinct([rng.random((n, 2))], n, sets) is None


def test_shared_declines_when_every_set_differs():
    rng = np.random.default_rng(1)
    assert loglinear._shared([rng.random((20, 3)), np.ones((1, 3))], 20) is None
    assert loglinear._shared([rng.random((1, 3))], 1) is None
    # -0.0 and 0.0 are equal numbers but not the same bits: not shared (the products see the same values anyway)
    a = np.zeros((2, 3))
    a[1, 0] = -0.0
    assert loglinear._shared([a], 2) is None


@pytest.mark.parametrize("precision, tol", [("double", TOL), ("single", SINGLE_TOL)])
@pytest.mark.parametrize("seed", range(8))
def test_random_networks_with_repeated_sets_share_and_stay_exact(seed, precision, tol, monkeypatch):
    """Sets that repeat another's tables (Sobol's cross-sample does this) share the normaliser's products, and sets
    that agree on one block's inputs share that block's operand: each set's posterior is still its brute-force
    posterior, and the same as with sharing switched off to rounding, and as with only the operands shared; both
    kinds of sharing really happened (the spies) in some query. (Not necessarily in each: operands summed out of other tables
    first can differ in the last bit between equal sets, and only bit-equal operands are shared.) Set 4 differs from
    set 0 in one weight entry (as Sobol's row for an odds ratio does): never grouped with it without evidence."""
    rng = np.random.default_rng(200 + seed)
    net, source = _random_network(rng, n_samples=6)
    other = [n for n in net.names if n != "D"]
    changed = str(rng.choice(other))
    for i in (1, 2, 4):   # sets 1, 2 and 4 repeat set 0, set 1 with one other node's table drawn afresh
        for name, table in source.tables.items():
            if not (i == 1 and name == changed):
                table[i] = table[0]
        for arr, _ in source.weights:
            arr[i] = arr[0]
    source.weights[-1][0][5] = source.weights[-1][0][3]   # set 5 shares one weight array with set 3, not all
    arr = source.weights[int(rng.integers(len(source.weights)))][0]   # then set 4 differs in one weight entry
    arr[(4, *(int(rng.integers(d)) for d in arr.shape[1:]))] *= 1.7
    source.precision = precision
    full = source.full()
    engine = Engine(net)
    groups, sharing, distinct = [], [], []
    real, real_distinct = loglinear._shared, loglinear._distinct
    monkeypatch.setattr(loglinear, "_shared", lambda arrays, n, **kw: groups.append(real(arrays, n, **kw)) or groups[-1])
    spy_distinct = lambda *args, **kw: distinct.append(real_distinct(*args, **kw)) or distinct[-1]  # noqa: E731
    monkeypatch.setattr(loglinear, "_distinct", spy_distinct)
    for trial in range(5):   # the first: no evidence, target D (the fast path's own case)
        observed = rng.choice(net.names, size=int(rng.integers(0, 3)), replace=False).tolist() if trial else []
        hard = {n: f"s{int(rng.integers(net[n].card))}" for n in observed if n != "D"}
        target = str(rng.choice([n for n in net.names if n not in hard])) if trial else "D"
        idx = {k: int(v[1:]) for k, v in hard.items()}
        refs = np.array([brute_force(SimpleNamespace(network=net), hard, target, {},
                                     tables={k: v[i] for k, v in full.items()}) for i in range(6)])
        if (refs.sum(axis=1) == 0).any():
            continue
        groups.clear()
        got = engine.query(source, idx, {}, target).posterior
        assert np.abs(got - refs).max() < tol
        if not _took_fast(engine, source, idx, {}, target):
            continue
        sharing.append(groups[0] is not None and len(groups[0][1]) - 1 < 6)
        if not trial:   # (evidence could slice the changed entry away)
            assert groups[0] is None or not any({0, 4} <= set(g) for g in _as_groups(groups[0]))
        monkeypatch.setattr(loglinear, "_shared", lambda arrays, n, **kw: None)
        operands_only = engine.query(source, idx, {}, target).posterior   # shared block operands, not groups
        monkeypatch.setattr(loglinear, "_distinct", lambda arrays, n, sets, keys=None: None)
        alone = engine.query(source, idx, {}, target).posterior
        monkeypatch.setattr(loglinear, "_distinct", spy_distinct)
        monkeypatch.setattr(loglinear, "_shared", lambda arrays, n, **kw: groups.append(real(arrays, n, **kw)) or groups[-1])
        for shared in (got, operands_only):
            np.testing.assert_allclose(shared, alone, atol=1e-12 if precision == "double" else 1e-7, rtol=0)
    assert any(sharing)
    assert any(found is not None for found in distinct)


@pytest.mark.parametrize("precision, tol", [("double", TOL), ("single", SINGLE_TOL)])
@pytest.mark.parametrize("seed", range(6))
def test_weights_alike_for_every_set_are_built_once_and_stay_exact(seed, precision, tol, monkeypatch):
    """Draws that never repeat, but where all weight arrays except one are the same for every set (broadcast, as
    for parameters not drawn): no two sets share the normaliser, while the blocks whose weights are all alike are
    built once and broadcast. Every posterior is still the brute-force one, and with the searches switched off
    the same to rounding; the spy sees an operand found alike."""
    rng = np.random.default_rng(400 + seed)
    net, source = _random_network(rng, n_samples=5)
    keep = int(rng.integers(len(source.weights)))
    source.weights = [(arr if i == keep else np.broadcast_to(arr[:1], arr.shape), axes)
                      for i, (arr, axes) in enumerate(source.weights)]
    source.precision = precision
    full = source.full()
    engine = Engine(net)
    found = []
    real = loglinear._distinct
    monkeypatch.setattr(loglinear, "_distinct", lambda *a, **kw: found.append(real(*a, **kw)) or found[-1])
    refs = np.array([brute_force(SimpleNamespace(network=net), {}, "D", {}, tables={k: v[i] for k, v in full.items()})
                     for i in range(5)])
    got = engine.query(source, {}, {}, "D").posterior
    assert _took_fast(engine, source, {}, {}, "D")
    assert np.abs(got - refs).max() < tol
    assert any(f is not None and len(f[0]) == 1 for f in found)   # a block's weights alike: built once
    monkeypatch.setattr(loglinear, "_distinct", lambda *a, **kw: None)
    np.testing.assert_allclose(got, engine.query(source, {}, {}, "D").posterior,
                               atol=1e-12 if precision == "double" else 1e-7, rtol=0)


def test_sobol_cross_sample_shares_operands_on_the_real_model(model, monkeypatch):
    """Saltelli's cross-sample for a hip with sudden onset: the rows that change only a finding's likelihood or a
    prior outside block B share their normaliser with the row of A they came from (fewer groups than sets), and
    the posteriors equal those computed set by set (sharing switched off) to float32 rounding."""
    from bmes_bayes.draws import relevant_parameters
    from bmes_bayes.sensitivity.sobol import _problem, _saltelli_blocks

    ev = model.resolve({"joint": "hip", "onset": "sudden"})
    indices = relevant_parameters(model, ev, "diagnosis")
    problem = _problem(model.priors, indices, "parameter")
    make = next(_saltelli_blocks(model.priors, indices, problem, 8, seed=3, rows=8 * 200))
    source = DrawnTables(model.priors, model.network, make(), precision="single")
    hard = _indices(model, {"joint": "hip", "onset": "sudden"})
    engine = Engine(model.network)
    seen = []
    real = loglinear._shared
    monkeypatch.setattr(loglinear, "_shared", lambda arrays, n, **kw: seen.append(real(arrays, n, **kw)) or seen[-1])
    shared = engine.query(source, hard, {}, "diagnosis").posterior
    assert seen and seen[0] is not None
    n_sets, n_groups = source.n_samples, len(seen[0][1]) - 1
    assert n_groups < 0.8 * n_sets
    monkeypatch.setattr(loglinear, "_shared", lambda arrays, n, **kw: None)
    alone = engine.query(source, hard, {}, "diagnosis").posterior
    assert np.abs(shared - alone).max() < 1e-7


def test_shared_takes_an_array_broadcast_along_the_sets_as_the_same_for_all():
    rng = np.random.default_rng(2)
    same = np.broadcast_to(rng.random((1, 4)), (30, 4))
    varying = rng.random((3, 2))[np.arange(30) % 3]
    got = loglinear._shared([same, varying], 30)
    assert got is not None and _as_groups(got) == [list(range(r, 30, 3)) for r in range(3)]
