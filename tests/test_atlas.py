"""The scenario atlas: every row is the uncertainty analysis of its evidence set, whatever runs it.

References: each set's draws are compared with ``model.sensitivity`` for the same evidence and seed (itself checked
against pgmpy and enumeration in sensitivity/test_uncertainty.py), its point posterior with ``model.posterior``, its alerts with
the point posterior's alerts; the Dask run with the serial run, bit for bit.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from bmes_bayes import BmesError, EvidenceError, TooLargeError
from bmes_bayes import atlas as atlas_module
from bmes_bayes.atlas import atlas, evidence_grid
from bmes_bayes.cli import main

FIXED = {"onset": "sudden", "recent_trauma": "no"}
GRID = {"joint": "*", "sex": ["male", "female"]}


@pytest.fixture(scope="module")
def result(model):
    return atlas(model, GRID, fixed=FIXED, n_samples=120, seed=7, keep_draws=True)


def test_each_set_is_its_own_uncertainty_analysis_bit_for_bit(model, result):
    assert result.n_sets == 6
    for i, ev in enumerate(result.evidence):
        unc = model.uncertainty(ev, n_samples=120, seed=7)
        assert np.array_equal(result.samples[i], unc.samples)
        mine = result.to_frame().query("set == @i").set_index("state")
        theirs = unc.to_frame().set_index("diagnosis")
        for column in ("point", "mean", "median", "lower", "upper", "p_top"):
            np.testing.assert_array_equal(mine.loc[list(unc.states), column], theirs.loc[list(unc.states), column])
        post = model.posterior(ev)
        np.testing.assert_array_equal(mine.loc[list(post.states), "point"], post.probabilities)
        assert set(mine.index[mine["alert"]]) == {a.diagnosis for a in post.alerts}


def test_the_grid_is_the_cartesian_product_in_order(model, result):
    summary = result.summary()
    assert list(zip(summary["joint"], summary["sex"])) == [
        (j, s) for j in model.states("joint") for s in ("male", "female")]
    assert all(ev["onset"] == "sudden" and ev["recent_trauma"] == "no" for ev in result.evidence)
    tops = [max(model.posterior(ev).to_series().items(), key=lambda kv: kv[1])[0] for ev in result.evidence]
    assert summary["top"].tolist() == tops


def test_grid_forms_give_the_same_sets(model):
    _, from_mapping = evidence_grid(model, {"joint": ["hip", "knee"], "fever": ["yes", None]})
    rows = [{"joint": "hip", "fever": "yes"}, {"joint": "hip"}, {"joint": "knee", "fever": "yes"},
            {"joint": "knee"}]
    _, from_list = evidence_grid(model, rows)
    frame = pd.DataFrame({"joint": ["hip", "hip", "knee", "knee"], "fever": ["yes", np.nan, "yes", None]})
    _, from_frame = evidence_grid(model, frame)
    assert from_mapping == from_list == from_frame == rows


def test_not_entered_is_shown_as_missing(model):
    res = atlas(model, {"fever": ["yes", None]}, fixed={"joint": "hip"}, n_samples=20)
    summary = res.summary()
    assert summary["fever"].iloc[0] == "yes" and pd.isna(summary["fever"].iloc[1])
    assert res.evidence[1] == {"joint": "hip"}


def test_impossible_sets_are_flagged_not_fatal(model):
    res = atlas(model, {"corticosteroid_dose": ["none", "high"]}, fixed={"corticosteroids": "no"}, n_samples=20,
                keep_draws=True)
    summary = res.summary()
    assert summary["impossible"].tolist() == [False, True]
    assert np.isnan(res.samples[1]).all() and not np.isnan(res.samples[0]).any()
    assert "1 impossible under the model" in res.verdict


def test_draws_in_long_form(result):
    d = result.draws()
    assert list(d.columns) == ["set", "draw", "state", "probability"]
    assert len(d) == result.samples.size
    row = d[(d["set"] == 4) & (d["draw"] == 17)]
    np.testing.assert_array_equal(row["probability"], result.samples[4, 17])
    assert row["state"].tolist() == list(result.states)


def test_draws_not_kept_say_how_to_keep_them(model):
    res = atlas(model, {"joint": ["hip"]}, n_samples=10)
    assert res.samples is None
    with pytest.raises(BmesError, match="keep_draws=True"):
        res.draws()


def test_bad_grids_and_arguments_are_clear(model):
    with pytest.raises(EvidenceError, match="did you mean 'joint'"):
        atlas(model, {"jiont": "*"}, n_samples=10)
    with pytest.raises(EvidenceError, match="'knee'"):
        atlas(model, {"joint": ["hip", "kne"]}, n_samples=10)
    with pytest.raises(EvidenceError, match="both fixed and varied"):
        atlas(model, {"joint": "*"}, fixed={"joint": "hip"}, n_samples=10)
    with pytest.raises(EvidenceError, match="no evidence sets"):
        atlas(model, [], n_samples=10)
    with pytest.raises(EvidenceError, match="a list of states"):
        atlas(model, {"joint": 3}, n_samples=10)
    with pytest.raises(BmesError, match="int seed"):
        atlas(model, {"joint": "*"}, n_samples=10, seed=np.random.default_rng(0))
    for bad in (0, True, 2.5):
        with pytest.raises(BmesError, match="n_samples"):
            atlas(model, {"joint": "*"}, n_samples=bad)
    with pytest.raises(BmesError, match="workers"):
        atlas(model, {"joint": "*"}, n_samples=10, workers=2.0)


def test_size_bounds_are_checked_before_any_work(model, monkeypatch):
    from bmes_bayes import limits

    monkeypatch.setattr(limits, "MAX_ATLAS_SETS", 5)
    with pytest.raises(TooLargeError, match="6 evidence sets; the limit is 5"):
        atlas(model, GRID, n_samples=10)
    monkeypatch.setattr(limits, "MAX_ATLAS_SETS", 100_000)
    monkeypatch.setattr(atlas_module, "_summarise_block", lambda *a, **k: pytest.fail("computed before refusing"))
    monkeypatch.setattr(limits, "MAX_EVALUATIONS", 50)
    with pytest.raises(TooLargeError, match="MAX_EVALUATIONS"):
        atlas(model, GRID, n_samples=10)
    monkeypatch.setattr(limits, "MAX_EVALUATIONS", 10_000_000)
    monkeypatch.setattr(limits, "MEMORY_LIMIT", 8 * 6 * 9 * 100)
    with pytest.raises(TooLargeError, match="GiB"):
        atlas(model, GRID, n_samples=101, keep_draws=True)
    with pytest.raises(ValueError):   # every refusal of an argument is also a ValueError
        atlas(model, GRID, n_samples=101, keep_draws=True)


def test_plot_reads_the_frame_and_never_recomputes(model, result, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setattr(type(model), "query", lambda *a, **k: pytest.fail("the plot recomputed"))
    ax = result.plot()
    image = ax.get_images()[0].get_array()
    expected = result.to_frame().pivot(index="set", columns="state", values="point")[list(result.states)]
    np.testing.assert_array_equal(np.asarray(image), expected.to_numpy())
    assert len(ax.collections[0].get_offsets()) == int(result.to_frame()["alert"].sum())
    plt.close(ax.figure)


def test_dask_workers_give_bit_identical_results(model, result):
    pytest.importorskip("dask.distributed")
    on_dask = atlas(model, GRID, fixed=FIXED, n_samples=120, seed=7, keep_draws=True, workers=2, block_size=1)
    assert np.array_equal(on_dask.samples, result.samples)
    pd.testing.assert_frame_equal(on_dask.to_frame(), result.to_frame())


def test_cli_csv_equals_the_api_frame(model, capsys):
    assert main(["atlas", "onset=sudden", "recent_trauma=no", "--vary", "joint", "--vary", "sex=male,female",
                 "--samples", "120", "--seed", "7", "--csv"]) == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    api = atlas(model, GRID, fixed=FIXED, n_samples=120, seed=7).to_frame()
    pd.testing.assert_frame_equal(printed, api, check_dtype=False)


def test_cli_parquet_round_trip_and_refusal_before_work(model, tmp_path, capsys, monkeypatch):
    pytest.importorskip("pyarrow")
    out = tmp_path / "atlas.parquet"
    assert main(["atlas", "--vary", "joint", "--samples", "30", "-o", str(out)]) == 0
    back = pd.read_parquet(out)
    pd.testing.assert_frame_equal(back, atlas(model, {"joint": "*"}, n_samples=30).to_frame(), check_dtype=False)
    monkeypatch.setattr(atlas_module, "_summarise_block", lambda *a, **k: pytest.fail("computed before refusing"))
    capsys.readouterr()
    assert main(["atlas", "--vary", "joint", "--samples", "30", "-o", str(out)]) == 2
    assert "exists; pass overwrite=True (--force on the command line)" in capsys.readouterr().err
    assert main(["atlas", "--vary", "joint", "-o", str(tmp_path / "atlas.xlsx")]) == 2
    assert ".parquet or .csv" in capsys.readouterr().err


def test_cli_json_has_one_record_per_set(capsys):
    import json

    assert main(["atlas", "--vary", "joint", "--vary", "fever=yes,-", "--samples", "20", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["sets"]) == 6
    assert {"joint", "fever", "top", "point", "p_top", "alerts"} <= set(data["sets"][0])
    assert data["sets"][1]["fever"] is None and math.isclose(data["level"], 0.9)


def test_a_scheduler_address_that_is_not_one_is_a_clear_error(model, capsys):
    """Found by benchmarks/fuzz.py: `atlas --scheduler 99999999999` ended in dask's ValueError (exit 1)."""
    pytest.importorskip("dask.distributed")
    with pytest.raises(ValueError, match="cannot reach a Dask scheduler at '99999999999'"):
        atlas(model, {"joint": ["hip"]}, n_samples=5, workers="99999999999")
    assert main(["atlas", "--vary", "joint=hip", "--samples", "5", "--scheduler", "99999999999"]) == 2
    assert "cannot reach a Dask scheduler" in capsys.readouterr().err


def test_summaries_are_the_draws_one_equal_tailed_interval_and_p_top(model, result):
    """Every set's interval and p_top are :func:`bmes_bayes.draws.equal_tailed` and :func:`~bmes_bayes.draws.p_top`
    of its draws (the one implementation), and the HTML and dict are built from the frame by the display base."""
    import json

    from bmes_bayes.draws import equal_tailed, p_top

    frame = result.to_frame()
    for s in range(result.n_sets):
        samples = result.samples[s]
        lo, hi = equal_tailed(samples, result.level)
        got = frame[frame["set"] == s].set_index("state").loc[list(result.states)]
        assert np.array_equal(got["lower"].to_numpy(), lo) and np.array_equal(got["upper"].to_numpy(), hi)
        assert np.array_equal(got["p_top"].to_numpy(), p_top(samples))
    html = result.to_html()
    assert html.startswith("<div class='bmes-result'>") and "Fixed evidence:" in html and result.verdict[:30] in html
    d = result.to_dict()
    assert d["result"] == "Atlas" and len(d["rows"]) == len(frame) and json.dumps(d)
