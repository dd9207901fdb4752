"""Monte-Carlo draws as labelled data: long frames, the parameter draws kept and labelled, xarray / ArviZ, netCDF."""

from __future__ import annotations

import numpy as np
import pytest

from bmes_bayes.parameters import Streams, sample_draws
from bmes_bayes._seed import as_generator
from bmes_bayes.draws import CHUNK, parameter_columns, relevant_parameters

EV = {"joint": "hip", "mri_necrotic_segment": "present"}


@pytest.fixture(scope="module")
def unc(model):
    return model.uncertainty(EV, n_samples=300, seed=7, progress=False)


def test_long_frame_is_the_sample_array(unc):
    frame = unc.draws()
    assert list(frame.columns) == ["draw", "state", "probability"]
    assert len(frame) == unc.n_samples * len(unc.states)
    wide = frame.pivot(index="draw", columns="state", values="probability")[list(unc.states)]
    np.testing.assert_array_equal(wide.to_numpy(), unc.samples)


def test_parameter_draws_are_the_sets_that_produced_the_posteriors(model, unc):
    """Redraw the same stream and recompute one posterior from it with pgmpy's engine-independent path: the kept
    parameter draws are exactly those sets, in order, and labelled by parameter."""
    params = unc.parameter_draws()
    labels, where = parameter_columns(model.priors)
    assert list(params.columns) == list(labels) and params.shape == (300, len(labels))
    only = frozenset(relevant_parameters(model, model.resolve(EV), "diagnosis"))
    draws = sample_draws(model.priors, CHUNK, Streams(as_generator(7)), only)
    for col, (i, k) in zip(range(0, len(labels), 97), [where[j] for j in range(0, len(labels), 97)]):
        expected = draws.values[i][:300] if k is None else draws.values[i][:300, k]
        np.testing.assert_array_equal(params.iloc[:, col].to_numpy(), expected)
    # a probability row's kept states sum to one where the row is stated in full
    row = [c for c in labels if c.startswith("xray | diagnosis=tumor, age_group=older: ")]
    assert len(row) == 5
    np.testing.assert_allclose(params[row].sum(axis=1), 1.0, atol=1e-12)


def test_only_the_parameters_that_can_move_the_answer_are_drawn(model, unc):
    """A parameter outside the relevant set (here the X-ray rows: X-ray is a barren finding for this evidence)
    keeps its point value in every draw; a relevant one varies."""
    labels, where = parameter_columns(model.priors)
    params = unc.parameter_draws()
    only = set(relevant_parameters(model, model.resolve(EV), "diagnosis"))
    assert 0 < len(only) < len(model.priors.parameters)
    point = model.point_parameters
    for col, (i, k) in zip(labels, where):
        values = params[col].to_numpy()
        if i in only:
            assert values.std() > 0, col
        else:
            expected = point.values[i][0] if k is None else point.values[i][0, k]
            np.testing.assert_array_equal(values, expected)


def test_each_parameter_has_its_own_stream(model):
    """A parameter's draws depend on the seed alone: the same whether all, some or only it are drawn, and in a
    stream of its own (two parameters' draws are not the same numbers)."""
    spec = model.priors
    varying = [i for i, p in enumerate(spec.parameters) if not p.fixed]
    a, b = varying[3], varying[40]
    every = sample_draws(spec, 50, Streams(as_generator(11)))
    alone = sample_draws(spec, 50, Streams(as_generator(11)), frozenset({a}))
    both = sample_draws(spec, 50, Streams(as_generator(11)), frozenset({b, a}))
    np.testing.assert_array_equal(every.values[a], alone.values[a])
    np.testing.assert_array_equal(every.values[a], both.values[a])
    np.testing.assert_array_equal(every.values[b], both.values[b])
    np.testing.assert_array_equal(alone.values[b], np.broadcast_to(model.point_parameters.values[b][0],
                                                                   alone.values[b].shape))
    # chunk after chunk: the second chunk continues each stream
    streams = Streams(as_generator(11))
    first, second = sample_draws(spec, 25, streams), sample_draws(spec, 25, streams)
    np.testing.assert_array_equal(np.concatenate([first.values[a], second.values[a]]), every.values[a])
    # a reused Generator gives fresh streams; an int seed and a fresh Generator of that seed give the same
    rng = as_generator(11)
    assert not np.array_equal(sample_draws(spec, 5, rng).values[a], sample_draws(spec, 5, rng).values[a])
    np.testing.assert_array_equal(sample_draws(spec, 5, np.random.default_rng(11)).values[a],
                                  sample_draws(spec, 5, as_generator(11)).values[a])


@pytest.mark.parametrize("evidence", [{}, EV], ids=["no evidence", "hip, necrotic segment"])
def test_results_do_not_depend_on_how_many_sets_the_engine_gets_at_once(model, monkeypatch, evidence):
    """Draws are made chunk by chunk (CHUNK) and queried in batches of several chunks (BATCH): every parameter's
    stream is consumed in order and each set's arithmetic is its own, so any batch size gives the same draws and
    posteriors bit for bit (here 1,300 sets: batches of 500 against one of 1,300 drawn as 1,500)."""
    from bmes_bayes import draws

    def run(batch):
        monkeypatch.setattr(draws, "BATCH", batch)
        return model.uncertainty(evidence, n_samples=1300, seed=3, progress=False)  # parameters kept (few sets)

    small, large = run(CHUNK), run(4 * CHUNK)
    np.testing.assert_array_equal(small.samples, large.samples)
    assert small.parameters is not None and len(small.parameters) == 1300
    np.testing.assert_array_equal(small.parameters, large.parameters)
    every = sample_draws(model.priors, 3 * CHUNK, Streams(as_generator(9)))
    streams = Streams(as_generator(9))
    parts = [sample_draws(model.priors, CHUNK, streams) for _ in range(3)]
    for i, values in enumerate(every.values):  # every kind of parameter: Dirichlet rows, Betas, odds ratios
        np.testing.assert_array_equal(values, np.concatenate([p.values[i] for p in parts]))


def test_ordered_map_keeps_the_order_bounds_what_is_in_flight_and_raises_errors():
    """Results in the order of the items whatever order the threads finish in; items are taken in the calling thread
    and at most workers + 1 are taken before their results are used; an error in a worker is raised here and the
    items not started are not run; one worker runs everything in the calling thread."""
    import threading
    import time

    from bmes_bayes.draws import ordered_map

    taken, done = [], []

    def items():
        for i in range(12):
            taken.append((i, threading.current_thread() is threading.main_thread()))
            yield i

    def slow_first(i):
        time.sleep(0.02 if i % 3 == 0 else 0)  # later items often finish first
        done.append(i)
        return i * i

    out = []
    for r in ordered_map(slow_first, items(), workers=3):
        out.append(r)
        assert len(taken) <= len(out) + 3 + 1  # never more than workers + 1 ahead of what was used
    assert out == [i * i for i in range(12)]
    assert all(main for _, main in taken)

    def fail_at_2(i):
        if i == 2:
            raise ZeroDivisionError("item 2")
        time.sleep(0.01)
        return i

    started = []
    with pytest.raises(ZeroDivisionError, match="item 2"):
        for _ in ordered_map(lambda i: started.append(i) or fail_at_2(i), range(100), workers=2):
            pass
    assert len(started) < 100  # the rest were never run

    threads = []
    assert list(ordered_map(lambda i: threads.append(threading.current_thread()) or i, range(5), workers=1)) == [
        0, 1, 2, 3, 4]
    assert set(threads) == {threading.current_thread()}


@pytest.mark.parametrize("evidence", [{}, EV], ids=["no evidence", "hip, necrotic segment"])
def test_results_do_not_depend_on_the_number_of_threads(model, monkeypatch, evidence):
    """Batches evaluated in 1 or 2 threads give the same posteriors, parameter sets and Sobol outputs, bit for bit."""
    import importlib

    from bmes_bayes import draws, limits

    def run(n_threads):
        monkeypatch.setattr(limits, "THREADS", n_threads)
        monkeypatch.setattr(draws, "BATCH", CHUNK)  # 5 batches, so two threads do share the work
        monkeypatch.setattr(importlib.import_module("bmes_bayes.sensitivity.sobol"), "ROWS", 100)  # Sobol: several
        unc = model.uncertainty(evidence, n_samples=2300, seed=4, progress=False)
        sob = model.sobol(evidence or {"joint": "knee"}, n=32, seed=1, groups="node", progress=False)
        return unc, sob

    (u1, s1), (u2, s2) = run(1), run(2)
    np.testing.assert_array_equal(u1.samples, u2.samples)
    np.testing.assert_array_equal(u1.parameters, u2.parameters)
    np.testing.assert_array_equal(s1.outputs, s2.outputs)
    monkeypatch.setattr(limits, "THREADS", 64)
    assert 1 <= draws.threads() <= 64  # never more than the CPUs this process may use


def test_adding_a_stage_changes_no_draw_of_the_others(model):
    """The work-up draws the union of what its stages need; with a stream per parameter, a stage's posteriors are
    those of the same evidence alone, bit for bit, although more parameters are drawn for the other stages."""
    alone = model.uncertainty({"joint": "hip"}, n_samples=60, seed=5, progress=False)
    work = model.workup([{"joint": "hip"}, {"mri_necrotic_segment": "present", "xray": "normal"}], n_samples=60,
                        seed=5)
    np.testing.assert_array_equal(work.samples[0], alone.samples)


def test_workup_draws_carry_the_stage(model):
    work = model.workup([{"joint": "hip"}, {"mri_necrotic_segment": "present"}], n_samples=20, seed=1)
    frame = work.draws()
    assert list(frame.columns) == ["stage", "draw", "state", "probability"]
    last = frame[frame["stage"] == "stage 2"].pivot(index="draw", columns="state", values="probability")
    np.testing.assert_array_equal(last[list(work.posteriors[0].states)].to_numpy(), work.samples[1])


def test_xarray_and_netcdf_round_trip(unc, tmp_path):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    ds = unc.to_xarray()
    assert ds["posterior"].dims == ("draw", "state") and ds["parameters"].dims == ("draw", "parameter")
    np.testing.assert_array_equal(ds["posterior"].to_numpy(), unc.samples)
    path = tmp_path / "draws.nc"
    ds.to_netcdf(path, engine="h5netcdf")
    back = xr.load_dataset(path, engine="h5netcdf")
    np.testing.assert_array_equal(back["posterior"].to_numpy(), unc.samples)
    assert list(back["parameter"].values) == list(unc.parameter_labels)
    tree = unc.to_datatree()
    tree.to_netcdf(tmp_path / "tree.nc", engine="h5netcdf")
    back_tree = xr.open_datatree(tmp_path / "tree.nc", engine="h5netcdf")
    np.testing.assert_array_equal(back_tree["posterior"]["diagnosis"].to_numpy()[0], unc.samples)


def test_arviz_reads_the_datatree_with_no_glue(unc):
    az = pytest.importorskip("arviz_base")
    sample = az.extract(unc.to_datatree(), group="posterior", var_names="diagnosis")
    assert dict(sample.sizes) == {"state": len(unc.states), "sample": unc.n_samples}
    np.testing.assert_allclose(sample.mean("sample").to_numpy(), unc.samples.mean(axis=0), atol=1e-15)


# ------------------------------------------------------------------------------------------------ tiny concentrations
def test_ordinary_dirichlet_draws_are_numpys_bit_for_bit():
    """The floor touches only rows with an entry that underflowed: ordinary draws are numpy's own, so every seeded
    result computed before the floor existed is unchanged."""
    from bmes_bayes.parameters import _dirichlet

    alpha = np.array([2.0, 0.5, 7.5, 0.0, 1.0])
    support = np.flatnonzero(alpha > 0)
    got = _dirichlet(alpha, support, np.random.default_rng(3), 1000)
    expected = np.zeros((1000, 5))
    expected[:, support] = np.random.default_rng(3).dirichlet(alpha[support], size=1000)
    np.testing.assert_array_equal(got, expected)


def test_tiny_concentrations_never_draw_an_exact_zero_and_keep_their_distribution():
    """Beta(0.001, 0.003): most of its mass lies within 1e-308 of 0 or 1, which doubles store as exact 0 and 1.
    Floored draws are positive, sum to one, and P(theta > 1/2) is still scipy's exact Beta tail (to Monte-Carlo
    error, 4 standard errors), both by numpy's sampler and through the inverse CDFs that Sobol uses."""
    from scipy import stats

    from bmes_bayes.parameters import TINY, _dirichlet, _log_rows
    from scipy import special

    alpha = np.array([0.001, 0.003])
    n = 20_000
    raw = np.random.default_rng(0).dirichlet(alpha, size=n)
    assert (raw == 0).any()  # the defect: numpy's own draws underflow
    draws = _dirichlet(alpha, np.arange(2), np.random.default_rng(0), n)
    assert draws.min() >= TINY and np.allclose(draws.sum(axis=1), 1, rtol=0, atol=1e-15)
    exact = stats.beta.sf(0.5, alpha[0], alpha[1])
    se = np.sqrt(exact * (1 - exact) / n)
    assert abs((draws[:, 0] > 0.5).mean() - exact) < 4 * se
    u = np.random.default_rng(1).random((n, 2))
    g = special.gammaincinv(alpha[None], u)
    assert (g.sum(axis=1) == 0).any()  # a row of zeros: 0 / 0 before
    rows = _log_rows(alpha, u, g, np.arange(2), 2)
    assert rows.min() >= TINY and np.isfinite(rows).all() and np.allclose(rows.sum(axis=1), 1, atol=1e-15)
    assert abs((rows[:, 0] > 0.5).mean() - exact) < 4 * se


def test_draws_from_uniform_with_a_tiny_concentration_are_finite(tmp_path):
    import bmes_bayes
    from bmes_bayes.parameters import draws_from_uniform, n_uniform_inputs

    (tmp_path / "networks").mkdir()
    (tmp_path / "priors").mkdir()
    (tmp_path / "networks" / "t.yaml").write_text('name: t\nversion: "1"\nvariables:\n'
                                                  '  a: {role: diagnosis, states: [x, y, z], parents: [], '
                                                  'description: A.}\n')
    (tmp_path / "priors" / "t.yaml").write_text("nodes:\n  a: {kind: table, row: {value: {x: 0.2, y: 0.3, z: 0.5}, "
                                                "concentration: 0.003, source: test}}\n")
    spec = bmes_bayes.load_model(tmp_path).priors
    k = sum(n_uniform_inputs(p) for p in spec.parameters)
    values = draws_from_uniform(spec, np.random.default_rng(0).random((4000, k))).values[0]
    assert np.isfinite(values).all() and values.min() > 0 and np.allclose(values.sum(axis=1), 1, atol=1e-15)
    # P(the largest entry is x) is the Dirichlet's: alpha_x / alpha_0 as alpha_0 -> 0 (one entry takes it all)
    assert abs((values.argmax(axis=1) == 0).mean() - 0.2) < 4 * np.sqrt(0.16 / 4000)


def test_workup_atlas_and_sobol_draws_round_trip_through_netcdf(model, tmp_path):
    """Every Monte-Carlo result offers its draws as labelled data (issue 12): the work-up (stage, draw, state), the
    atlas (set, draw, state, the varied variables along set) and Sobol (draw, matrix), each equal after netCDF."""
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    work = model.workup([{"joint": "hip"}, {"mri_necrotic_segment": "present"}], n_samples=20, seed=1)
    atlas = model.atlas({"joint": "*", "fever": ["yes", None]}, n_samples=15, seed=2, keep_draws=True)
    sob = model.sobol({"joint": "hip", "onset": "sudden"}, target_state="infection", n=8, seed=0, groups="node")
    for name, ds, arr, dims in (("work", work.to_xarray(), work.samples, ("stage", "draw", "state")),
                                ("atlas", atlas.to_xarray(), atlas.samples, ("set", "draw", "state")),
                                ("sobol", sob.to_xarray(), sob.outputs.reshape(8, -1), ("draw", "matrix"))):
        var = "probability" if name == "sobol" else "posterior"
        assert ds[var].dims == dims
        path = tmp_path / f"{name}.nc"
        ds.to_netcdf(path, engine="h5netcdf")
        back = xr.load_dataset(path, engine="h5netcdf")
        np.testing.assert_array_equal(back[var].to_numpy(), arr)
    back = xr.load_dataset(tmp_path / "atlas.nc", engine="h5netcdf")
    assert list(back["joint"].values) == [ev["joint"] for ev in atlas.evidence]
    assert list(back["fever"].values) == ["yes", "", "yes", "", "yes", ""]
    assert list(xr.load_dataset(tmp_path / "work.nc", engine="h5netcdf")["stage"].values) == list(work.stages)


def test_parameter_sets_are_written_out_only_when_asked_and_as_the_draws_were(model):
    """The kept parameter sets of two batches (the second partly used), less the sets left out twice over, equal the
    columns of the draws stacked by hand; the matrix is read-only and an Uncertainty builds it on first access."""
    from bmes_bayes.draws import ParameterSets

    labels, where = parameter_columns(model.priors)
    streams = Streams(as_generator(5))
    first, second = sample_draws(model.priors, 6, streams), sample_draws(model.priors, 6, streams)
    sets = ParameterSets(((first, 6), (second, 4)))
    mask1 = np.array([True, False, True, True, True, True, True, False, True, True])
    mask2 = np.array([True, True, False, True, True, True, True, True])
    got = sets.take(mask1).take(mask2).matrix()

    def by_hand(draws, n):
        return np.column_stack([draws.values[i][:n] if k is None else draws.values[i][:n, k] for i, k in where])

    every = np.concatenate([by_hand(first, 6), by_hand(second, 4)])
    expected = every[mask1][mask2]
    assert got.shape == (7, len(labels)) and sets.take(mask1).take(mask2).n_samples == 7
    np.testing.assert_array_equal(got, expected)
    assert not got.flags.writeable
    unc = model.uncertainty(EV, n_samples=40, seed=2, progress=False)
    assert "parameters" not in vars(unc)
    assert unc.parameters.shape == (40, len(labels)) and "parameters" in vars(unc)
