"""Monte-Carlo draws as labelled data: long frames, the parameter draws kept and labelled, xarray / ArviZ, netCDF."""

from __future__ import annotations

import numpy as np
import pytest

from bmes_bayes.parameters import sample_draws
from bmes_bayes._seed import as_generator
from bmes_bayes.sensitivity import CHUNK, parameter_columns

EV = {"joint": "hip", "mri_necrotic_segment": "present"}


@pytest.fixture(scope="module")
def unc(model):
    return model.sensitivity(EV, n_samples=300, seed=7, progress=False)


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
    draws = sample_draws(model.priors, CHUNK, as_generator(7))
    for col, (i, k) in zip(range(0, len(labels), 97), [where[j] for j in range(0, len(labels), 97)]):
        expected = draws.values[i][:300] if k is None else draws.values[i][:300, k]
        np.testing.assert_array_equal(params.iloc[:, col].to_numpy(), expected)
    # a probability row's kept states sum to one where the row is stated in full
    row = [c for c in labels if c.startswith("xray | diagnosis=tumor, age_group=older: ")]
    assert len(row) == 5
    np.testing.assert_allclose(params[row].sum(axis=1), 1.0, atol=1e-12)


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
