"""``bmes_bayes.sensitivity.sobol``: closed-form Sobol indices of a product of two independent Beta variables, and
SALib's Saltelli design element for element."""

from __future__ import annotations

import numpy as np
import pytest

from .helpers import HIP, _network


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


def _salib_analyze(problem, y, confidence, seed):
    import warnings

    from SALib.analyze import sobol as sobol_analyze

    with warnings.catch_warnings():   # SALib warns on constant outputs
        warnings.simplefilter("ignore")
        return sobol_analyze.analyze(problem, y, calc_second_order=False, conf_level=confidence,
                                     print_to_console=False, seed=seed)


@pytest.mark.parametrize("factors, n, groups", [(2, 8, None), (5, 64, None), (40, 256, None),
                                                (5, 64, ["g1", "g2", "g1", "g3", "g2"])])
def test_indices_and_intervals_are_salibs_bit_for_bit(factors, n, groups, monkeypatch):
    """Our estimators (what every factor shares computed once, factors in steps) give SALib's ``sobol.analyze``
    numbers (the reference) bit for bit: on smooth and on rounded outputs (ties), several confidence levels, all
    factors in one step and in steps of 3 factors, and grouped inputs."""
    import importlib

    sobol_module = importlib.import_module("bmes_bayes.sensitivity.sobol")
    rng = np.random.default_rng(factors * n)
    names = [f"x{i}" for i in range(len(groups) if groups else factors)]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if groups:
        problem["groups"] = groups
    n_factors = len(set(groups)) if groups else factors
    assert sobol_module.BOOTSTRAP_BYTES // (8 * n * sobol_module.RESAMPLES) >= n_factors   # one step by default
    for y, confidence, seed in [(rng.random(n * (n_factors + 2)) ** 3, 0.95, 12345),
                                (np.round(rng.random(n * (n_factors + 2)), 1), 0.9, 7),
                                (rng.normal(size=n * (n_factors + 2)), 0.99, 2**31 - 2)]:
        ref = _salib_analyze(problem, y, confidence, seed)
        for step_bytes in (sobol_module.BOOTSTRAP_BYTES, 3 * 8 * n * sobol_module.RESAMPLES):
            monkeypatch.setattr(sobol_module, "BOOTSTRAP_BYTES", step_bytes)
            mine = sobol_module._analyze(problem, y, confidence, seed)
            assert sorted(mine) == ["S1", "S1_conf", "ST", "ST_conf"]
            for key in mine:
                np.testing.assert_array_equal(mine[key], np.asarray(ref[key]), err_msg=key)
        monkeypatch.undo()


@pytest.mark.parametrize("groups", [None, ["g1", "g2", "g1", "g3", "g2"]])
def test_sobol_indices_returns_salibs_result_and_frames(groups):
    """``sobol_indices`` on a function of the uniforms (the Ishigami-like ``sin(x0) + 3 x1^2 + x0 x2 ...``): its
    indices and ``to_df()`` frames are those of SALib's ``analyze`` on SALib's own sample (the reference)."""
    import pandas as pd
    from SALib.sample import sobol as sobol_sample

    from bmes_bayes.sensitivity import sobol_indices

    problem = {"num_vars": 5, "names": [f"x{i}" for i in range(5)], "bounds": [[0.0, 1.0]] * 5}
    if groups:
        problem["groups"] = groups

    def fn(u):
        return np.sin(6 * u[:, 0]) + 3 * u[:, 1] ** 2 + u[:, 0] * u[:, 2] + 0.5 * u[:, 3] - u[:, 4] ** 3

    mine, y = sobol_indices(problem, fn, n=64, seed=9)
    ref = _salib_analyze(problem, fn(sobol_sample.sample(problem, 64, calc_second_order=False, scramble=True,
                                                         seed=9)), 0.95, 9)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        np.testing.assert_array_equal(mine[key], np.asarray(ref[key]))
    for got, expected in zip(mine.to_df(), ref.to_df()):
        pd.testing.assert_frame_equal(got, expected)
    assert len(mine.to_df()) == 2 and list(mine.to_df()[0].index) == list(dict.fromkeys(groups or problem["names"]))


def test_indices_of_constant_outputs_are_salibs_zeros():
    """Outputs that do not vary (all of them, or A and B with only the cross-sample varying): SALib's rules give
    zero indices and intervals, and ours the same numbers."""
    from bmes_bayes.sensitivity.sobol import _analyze

    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    rng = np.random.default_rng(0)
    ab_only = rng.random(16 * 5)
    ab_only[::5] = ab_only[4::5] = 0.5
    for y in (np.full(16 * 5, 0.3), ab_only):
        ref, mine = _salib_analyze(problem, y, 0.95, 3), _analyze(problem, y, 0.95, 3)
        for key in mine:
            np.testing.assert_array_equal(mine[key], np.asarray(ref[key]), err_msg=key)
            assert not mine[key].any()
    with pytest.raises(ValueError, match="not a multiple"):
        _analyze(problem, np.ones(16 * 5 + 1), 0.95, 3)


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


@pytest.mark.parametrize("groups", ["parameter", "node"])
def test_saltelli_draws_are_salibs_sample_through_the_inverse_cdfs(model, groups):
    """The design's parameter sets are built from the inverse CDFs of A and B alone (a parameter's values depend only
    on its own uniform inputs): they must equal SALib's ``sobol.sample`` (the reference layout) mapped row by row
    through ``draws_from_uniform``, element for element, in the same order and whatever the chunk size."""
    from SALib.sample import sobol as sobol_sample

    from bmes_bayes.draws import relevant_parameters
    from bmes_bayes.parameters import draws_from_uniform
    from bmes_bayes.sensitivity.sobol import BALANCE, _problem, _saltelli_blocks

    indices = relevant_parameters(model, model.resolve(HIP), "diagnosis")
    problem = _problem(model.priors, indices, groups)
    assert len(set(problem["groups"])) > 2     # several factors, among them Dirichlet rows of several inputs
    ref = draws_from_uniform(model.priors, sobol_sample.sample(problem, 8, calc_second_order=False, scramble=True,
                                                               seed=5), parameters=indices)
    for rows in (1, 40, 100_000):
        chunks = [make() for make in _saltelli_blocks(model.priors, indices, problem, 8, seed=5, rows=rows)]
        # as many blocks as rows asks for, rounded up to a multiple of BALANCE (threads get equal shares), at most n
        assert len(chunks) % BALANCE == 0 and len(chunks) == {1: 8, 100_000: BALANCE}.get(rows, len(chunks))
        for j, expected in enumerate(ref.values):
            np.testing.assert_array_equal(np.concatenate([c.values[j] for c in chunks]), expected)


def test_seeded_sobol_is_the_per_row_mapping_of_saltelli_rows(model, monkeypatch):
    """The fast design (inverse CDFs of A and B only, larger engine batches) gives bit for bit the outputs and indices
    of the former route: every row of :func:`saltelli_rows` mapped by ``draws_from_uniform`` and evaluated in batches
    of 2,000 by ``sobol_indices``. And the batch size (``ROWS``) does not change the outputs."""
    import importlib

    from bmes_bayes._seed import as_generator
    from bmes_bayes.compile import DrawnTables
    from bmes_bayes.draws import relevant_parameters
    from bmes_bayes.parameters import draws_from_uniform
    from bmes_bayes.sensitivity import sobol_indices
    from bmes_bayes.sensitivity.sobol import _problem

    sobol_module = importlib.import_module("bmes_bayes.sensitivity.sobol")
    res = model.sobol(HIP, n=16, seed=4)
    ev = model.resolve(HIP)
    ti = model.network["diagnosis"].states.index(res.target_state)
    indices = relevant_parameters(model, ev, "diagnosis")

    def per_row(u):
        draws = draws_from_uniform(model.priors, u, parameters=indices)
        return model.query(ev, "diagnosis", DrawnTables(model.priors, model.network, draws, precision="single")
                           ).posterior[:, ti]

    salib_seed = int(as_generator(4).integers(2**31 - 1))    # as sobol() derives it
    old, y = sobol_indices(_problem(model.priors, indices, "parameter"), per_row, n=16, seed=salib_seed)
    np.testing.assert_array_equal(res.outputs, y)
    frame = res.to_frame().set_index("factor")
    for k, factor in enumerate(res.design_factors):
        assert (frame.loc[factor, "S1"], frame.loc[factor, "ST"]) == (old["S1"][k], old["ST"][k])
    monkeypatch.setattr(sobol_module, "ROWS", 37)
    np.testing.assert_array_equal(model.sobol(HIP, n=16, seed=4).outputs, res.outputs)


def test_saltelli_draws_refuse_a_group_that_splits_a_parameter(dirichlet_net):
    """The cross-sample is assembled from whole parameters' draws: a problem whose groups split the three Gamma
    inputs of a Dirichlet row between two factors cannot be built that way, and is refused rather than mis-built."""
    from bmes_bayes.sensitivity.sobol import _problem, _saltelli_blocks

    spec = dirichlet_net.priors
    indices = [i for i, p in enumerate(spec.parameters) if not p.fixed]
    problem = _problem(spec, indices, "parameter")
    assert problem["groups"] == ["a", "a", "a", "b", "b"]
    list(_saltelli_blocks(spec, indices, problem, 4, seed=0, rows=100))     # whole parameters: fine
    problem["groups"] = ["a", "a", "c", "b", "b"]
    with pytest.raises(ValueError, match="several groups"):
        list(_saltelli_blocks(spec, indices, problem, 4, seed=0, rows=100))
