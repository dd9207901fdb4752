"""``bmes_bayes.teaching.workup``: the work-up trajectory, checked against a fresh ``model.posterior`` query per
stage and against ``uncertainty`` with the same seed."""

from __future__ import annotations

import numpy as np
import pytest

from bmes_bayes import BmesError, EvidenceError

from .helpers import DIAG, TOH


# ============================================================================================ work-up
def test_workup_final_stage_is_the_posterior_of_all_evidence(model):
    w = model.workup(TOH, n_samples=50, seed=3)
    expected = model.posterior(TOH.evidence)
    np.testing.assert_allclose(w.final.probabilities, expected.probabilities, rtol=0, atol=1e-15)
    assert w.stages == ("history", "xray_and_labs", "mri", "followup")
    frame = w.to_frame()
    assert list(frame.columns) == ["stage_index", "stage", "diagnosis", "probability", "lower", "upper", "p_top",
                                   "alert"]
    assert len(frame) == 4 * 9 and sorted(frame["stage_index"].unique()) == [1, 2, 3, 4]
    for i, (_, ev) in enumerate(TOH.cumulative(), start=1):
        part = frame[frame["stage_index"] == i]
        np.testing.assert_allclose(part["probability"], model.posterior(ev).probabilities, atol=1e-15)
        assert np.all(part["lower"] <= part["upper"])


def test_workup_bands_equal_sensitivity_per_stage_with_the_same_seed(model):
    """The bands are model.sensitivity on each stage's cumulative evidence with one shared seed."""
    w = model.workup(TOH, n_samples=40, seed=11, level=0.8)
    frame = w.to_frame()
    for i, (_, ev) in enumerate(TOH.cumulative(), start=1):
        ref = model.uncertainty(ev, n_samples=40, seed=11, level=0.8, progress=False).to_frame().set_index(DIAG)
        part = frame[frame["stage_index"] == i].set_index("diagnosis")
        np.testing.assert_allclose(part["lower"], ref.loc[part.index, "lower"], atol=1e-12)
        np.testing.assert_allclose(part["upper"], ref.loc[part.index, "upper"], atol=1e-12)
        np.testing.assert_allclose(part["p_top"], ref.loc[part.index, "p_top"], atol=1e-12)


def test_workup_from_pairs_and_seed_is_recorded(model):
    stages = [("history", {"joint": "knee", "age_group": "older", "sex": "female"}),
              ("mri", {"mri_fracture_line": "present"})]
    w = model.workup(stages, n_samples=20)
    assert isinstance(w.seed, int)
    again = model.workup(stages, n_samples=20, seed=w.seed)
    np.testing.assert_array_equal(w.samples, again.samples)
    assert w.name == "work-up" and "Workup work-up" in repr(w) and "at 0x" not in repr(w)
    assert "<table" in w._repr_html_()


@pytest.mark.parametrize("stages, fragment", [
    ([("history", {"joint": "hip"}), ("mri", {"joint": "knee"})], "given again"),
    ([], "empty"),
    ({"joint": "hip"}, "must be a Scenario, an ordered list of evidence mappings"),
    ([("history", "joint=hip")], "must be a mapping"),
    ([("history", {"jiont": "hip"})], "did you mean 'joint'"),
])
def test_workup_rejects_malformed_stages(model, stages, fragment):
    with pytest.raises(EvidenceError, match=fragment):
        model.workup(stages, n_samples=5, seed=0)


def test_workup_rejects_bad_options(model):
    with pytest.raises(BmesError, match="level"):
        model.workup(TOH, level=1.5)
    with pytest.raises(BmesError, match="n_samples"):
        model.workup(TOH, n_samples=0)
    with pytest.raises(BmesError, match="seed"):
        model.workup(TOH, seed=-1)


def test_workup_plot(model):
    import matplotlib.pyplot as plt

    w = model.workup(TOH, n_samples=20, seed=0)
    ax = w.plot()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "transient_bmes" in labels and "can't-miss alert" in labels
    assert len(ax.get_xticks()) == 4
    plt.close("all")


def test_workup_plot_shows_a_stage_name_with_dollars_as_written(model):
    """Issue 13: a stage (or work-up) name like '$\\frac$' was parsed as mathtext and failed when drawn."""
    import matplotlib.pyplot as plt

    w = model.workup([("$\\frac$", {"joint": "hip"}), ("mri $x", {"mri_edema_pattern": "diffuse"})], n_samples=20,
                     seed=0)
    ax = w.plot()
    ax.figure.canvas.draw()
    shown = [t.get_text() for t in ax.get_xticklabels()]
    assert shown == ["1\n\\$\\frac\\$", "2\nmri \\$x"]  # escaped: drawn as "$\frac$" and "mri $x"
    plt.close("all")
