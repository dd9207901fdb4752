"""Plot labels show user text as written (issue 13): a name, state, stage or title holding '$' is never parsed as
matplotlib mathtext, which fails when the figure is drawn ('$\\frac$') or silently changes the text ('$x$')."""

from __future__ import annotations

import inspect
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from bmes_bayes import plotting  # noqa: E402

T = "$\\frac$"  # unbalanced mathtext: matplotlib raises ValueError when it draws it
UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")


def _shown(ax) -> list[str]:
    """Every text drawn on the figure of ``ax`` (titles, labels, tick labels, legend, annotations), except
    matplotlib's own mathtext for the numbers of a log axis."""
    ax.figure.canvas.draw()  # tick labels get their text when drawn; mathtext fails here
    return [t.get_text() for t in ax.figure.findobj(Text)
            if t.get_text() and not t.get_text().startswith("$\\mathdefault{")]


def _frames() -> dict[str, dict]:
    """Keyword arguments for each plot function of bmes_bayes.plotting, every text field holding '$\\frac$'."""
    two = [f"{T} a", f"{T} b"]
    return {
        "bar_posterior": {"frame": pd.DataFrame({"state": two, "probability": [0.7, 0.3]}), "title": T},
        "interval_plot": {"frame": pd.DataFrame({"d": two, "point": [0.6, 0.4], "lower": [0.5, 0.3],
                                                 "upper": [0.7, 0.5]}), "label": "d", "level": 0.9, "title": T},
        "trajectory_plot": {"frame": pd.DataFrame({"stage_index": [1, 1, 2, 2], "stage": [T, T, "mri", "mri"],
                                                   "diagnosis": two * 2, "probability": [0.6, 0.4, 0.7, 0.3],
                                                   "lower": [0.5, 0.3, 0.6, 0.2], "upper": [0.7, 0.5, 0.8, 0.4],
                                                   "alert": [False, True, False, True]}),
                            "states": two, "diagnoses": two, "level": 0.9, "title": T},
        "woe_plot": {"frame": pd.DataFrame({"variable": two, "state": [T, T], "value": [3.0, -2.0],
                                            "lr": [2.0, 0.6]}), "unit": "dB", "title": T},
        "what_if_plot": {"frame": pd.DataFrame({"variable": [T, T], "state": two, "observed": [True, False],
                                                "possible": [True, True], "p_target": [0.6, 0.2]}),
                         "target": T, "actual": 0.6},
        "fagan_plot": {"frame": pd.DataFrame({"result": ["positive", "negative"], "state": two, "lr": [5.0, 0.2],
                                              "pre_test": [0.3, 0.3], "post_test": [0.68, 0.08]}), "title": T},
        "next_test_plot": {"frame": pd.DataFrame({"finding": two, "stage": [T, T], "entropy_reduction": [0.4, 0.1],
                                                  "cant_miss_change": [0.05, 0.01]}), "entropy": 1.5},
        "alert_plot": {"frame": pd.DataFrame({"diagnosis": two, "threshold": [0.05, 0.05], "probability": [0.1, 0.01],
                                              "lower": [0.05, 0.005], "upper": [0.2, 0.02], "alert": [True, False]}),
                       "level": 0.9, "title": T},
        "tornado_plot": {"frame": pd.DataFrame({"parameter": two, "p_low": [0.4, 0.5], "p_high": [0.7, 0.6]}),
                         "point": 0.55, "title": T},
        "function_plot": {"curve": pd.DataFrame({"x": np.linspace(0, 1, 5), "probability": np.linspace(0.2, 0.8, 5)}),
                          "x0": 0.5, "y0": 0.5, "xlabel": T, "ylabel": T, "title": T},
        "admissible_plot": {"frame": pd.DataFrame({"parameter": two, "admissible_low": [0.1, 0.2], "admissible_high": [0.5, 0.9],
                                                   "x0": [0.3, 0.4], "flips_below": [True, False],
                                                   "flips_above": [False, False]}), "title": T},
        "tuning_plot": {"frame": pd.DataFrame({"parameter": two, "x0": [0.3, 0.4], "x_new": [0.5, 0.1],
                                               "plausible_low": [0.2, 0.3], "plausible_high": [0.6, 0.5],
                                               "kind": ["row", "row"]}), "title": T},
        "sobol_plot": {"frame": pd.DataFrame({"factor": two, "S1": [0.5, 0.2], "S1_low": [0.4, 0.1],
                                              "S1_high": [0.6, 0.3], "ST": [0.6, 0.3], "ST_low": [0.5, 0.2],
                                              "ST_high": [0.7, 0.4]}), "title": T},
        "atlas_plot": {"frame": pd.DataFrame({"set": [0, 0, 1, 1], T: [T, T, pd.NA, pd.NA], "state": two * 2,
                                              "point": [0.7, 0.3, 0.4, 0.6], "alert": [True, False, False, True]}),
                       "variables": (T,), "states": two, "n": 10, "title": T},
        "reliability_plot": {"frames": {T: pd.DataFrame({"confidence": [0.3, 0.7], "accuracy": [0.4, 0.6],
                                                         "n": [3, 5]})}, "ece": {T: 0.1}, "title": T},
    }


def _plot_functions() -> list[str]:
    """Every chart (frame in, Axes out) of ``bmes_bayes.plotting.charts``; the network drawing, which takes a
    ``Marginals``, is covered below and in plotting/test_network.py."""
    from bmes_bayes.plotting import charts

    return sorted(name for name, f in inspect.getmembers(charts, inspect.isfunction)
                  if f.__module__ == charts.__name__ and "ax" in inspect.signature(f).parameters)


def test_every_plot_function_is_covered():
    assert _plot_functions() == sorted(_frames())


@pytest.mark.parametrize("name", sorted(_frames()))
def test_user_text_with_dollars_is_drawn_as_written(name):
    ax = getattr(plotting, name)(**_frames()[name])
    texts = _shown(ax)
    assert any("\\frac" in t for t in texts), texts
    assert not [t for t in texts if UNESCAPED_DOLLAR.search(t)]
    plt.close("all")


def test_literal_escapes_every_dollar():
    assert plotting.literal("$x$ and $") == "\\$x\\$ and \\$"
    assert plotting.literal(3) == "3"


NETWORK = """<?xml version="1.0"?>
<BIF VERSION="0.3"><NETWORK><NAME>n</NAME>
<VARIABLE TYPE="nature"><NAME>cause$\\frac$</NAME><OUTCOME>a$\\frac$</OUTCOME><OUTCOME>b</OUTCOME></VARIABLE>
<VARIABLE TYPE="nature"><NAME>sign</NAME><OUTCOME>x$</OUTCOME><OUTCOME>y$</OUTCOME></VARIABLE>
<VARIABLE TYPE="nature"><NAME>other</NAME><OUTCOME>u</OUTCOME><OUTCOME>v</OUTCOME></VARIABLE>
<DEFINITION><FOR>cause$\\frac$</FOR><TABLE>0.3 0.7</TABLE></DEFINITION>
<DEFINITION><FOR>sign</FOR><GIVEN>cause$\\frac$</GIVEN><TABLE>0.9 0.1 0.2 0.8</TABLE></DEFINITION>
<DEFINITION><FOR>other</FOR><GIVEN>cause$\\frac$</GIVEN><TABLE>0.6 0.4 0.3 0.7</TABLE></DEFINITION>
</NETWORK></BIF>
"""


def test_an_imported_network_with_dollars_in_its_names_plots(tmp_path):
    """Names read from another tool's file are not held to the YAML naming rule, so '$' reaches the labels."""
    import bmes_bayes

    path = tmp_path / "dollars.bifxml"
    path.write_text(NETWORK)
    model = bmes_bayes.load_network(path, target="cause$\\frac$")
    ev = {"sign": "x$", "other": "u"}
    results = [model.posterior(ev), model.marginals(ev), model.explain(ev), model.conflict(ev),
               model.uncertainty(ev, n_samples=20, seed=0, progress=False), model.one_way(ev)]
    for res in results:
        texts = _shown(res.plot())
        assert not [t for t in texts if UNESCAPED_DOLLAR.search(t)], type(res).__name__
        plt.close("all")


def test_the_alert_plot_labels_its_log_axis_as_plain_text():
    """Decades as 10 with a superscript exponent, as matplotlib's default labels show them, but without mathtext
    (whose grammar costs about 0.1 s to build, once per process)."""
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    plotting.alert_plot(**{**_frames()["alert_plot"], "ax": ax})
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert {"10\u207b\u2074", "10\u207b\u00b9", "10\u2070"} <= set(labels), labels  # 10⁻⁴, 10⁻¹, 10⁰
    assert not [t for t in labels if "$" in t]
    assert plotting.charts._power_of_ten(0.5) == "0.5" and plotting.charts._power_of_ten(100.0) == "10\u00b2"
