"""The ``bmes_bayes.sensitivity`` package's surface: old import paths, deprecated keywords (the warning points at the
caller), the model's aliases, read-only arrays and the display base of every result."""

from __future__ import annotations

import pandas as pd
import pytest

from bmes_bayes.sensitivity import one_way, tune

from .helpers import TOY_EV, TOY_FULL


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
    import inspect
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
