"""The network drawing: marginals computed by the model, drawn without recomputing, observed findings marked."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import FancyArrowPatch

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from bmes_bayes.drawing import Marginals, columns, draw_network, layout  # noqa: E402
from bmes_bayes.exceptions import EvidenceError  # noqa: E402

EVIDENCE = {"joint": "hip", "corticosteroids": "yes", "mri_necrotic_segment": "present",
            "fever": {"no": 0.3, "yes": 0.7}}


@pytest.fixture(scope="module")
def marginals(model):
    return model.marginals(EVIDENCE)


def test_marginals_are_the_posteriors_of_every_variable(model, marginals):
    assert [v.name for v in marginals.variables] == list(model.network.names)
    for name in ("diagnosis", "onset", "age_group", "joint"):
        np.testing.assert_allclose(marginals.probabilities[name], model.posterior(EVIDENCE, target=name).probabilities,
                                   atol=1e-15)
    for p in marginals.probabilities.values():
        assert abs(p.sum() - 1) < 1e-12
    assert marginals.observed == {"joint": "hip", "corticosteroids": "yes", "mri_necrotic_segment": "present"}
    assert list(marginals.soft) == ["fever"]
    frame = marginals.to_frame()
    assert list(frame.columns) == ["variable", "role", "stage", "state", "probability", "evidence"]
    assert set(frame.loc[frame.variable == "fever", "evidence"]) == {"soft"}
    assert marginals["diagnosis"].index.name == "state"
    assert repr(marginals).startswith(f"<Marginals: {len(model.network.variables)} variables | 4 findings observed; top diagnosis = ")
    assert "<table" in marginals._repr_html_()


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_draw_returns_axes_and_marks_observed_findings(model):
    ax = model.draw(EVIDENCE)
    try:
        assert isinstance(ax, matplotlib.axes.Axes)
        texts = _texts(ax)
        assert "joint = hip" in texts and "corticosteroids = yes" in texts
        assert "fever (soft)" in texts
        for v in model.network.variables:  # every variable is drawn, by name
            assert any(t.startswith(v.name.replace("_", " ")) for t in texts), v.name
        faces = [to_hex(p.get_facecolor()) for p in ax.patches]
        assert faces.count("#ffe9c7") == 3  # one amber box per hard finding
        assert "#c8600a" in faces           # the observed state's bar
        dashed = [p for p in ax.patches if p.get_linestyle() == "--"]
        assert len(dashed) == 1             # soft evidence
    finally:
        plt.close(ax.figure)


def test_draw_without_evidence_marks_nothing_and_uses_the_given_axes(model):
    fig, ax = plt.subplots(figsize=(8, 5))
    try:
        out = model.draw(ax=ax)
        assert out is ax
        faces = [to_hex(p.get_facecolor()) for p in ax.patches]
        assert "#ffe9c7" not in faces and "#c8600a" not in faces
        # text shrinks with a smaller Axes (sized for 16 x 10 inches)
        assert max(t.get_fontsize() for t in ax.texts if t.get_text().startswith("onset")) < 7.2
    finally:
        plt.close(fig)


def test_the_drawing_never_queries_the_model(model, marginals, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a plot must not recompute")

    monkeypatch.setattr(type(model), "posterior", refuse)
    monkeypatch.setattr(type(model), "query", refuse)
    ax = marginals.plot()
    plt.close(ax.figure)


def test_layout_by_role_and_stage(model):
    cols = columns(model.network.variables)
    titles = [t for t, _ in cols]
    assert titles[:3] == ["Context", "Risk factors", "Diagnosis"]
    assert all(t.startswith("Findings") for t in titles[3:])
    # findings follow the work-up: stages never go backwards from one column to the next
    from bmes_bayes.spec import STAGES

    order = [STAGES.index(v.stage) for _, vs in cols[3:] for v in vs]
    assert order == sorted(order)
    boxes = layout(model.network.variables)
    assert len(boxes) == len(model.network.variables)
    x = {name: b[0] for name, b in boxes.items()}
    assert x["joint"] < x["corticosteroids"] < x["diagnosis"] < x["onset"] <= x["mri_collapse"]
    # boxes never overlap within a column
    for _, vs in cols:
        spans = sorted((boxes[v.name][1], boxes[v.name][1] + boxes[v.name][3]) for v in vs)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_draw_rejects_unknown_evidence(model):
    with pytest.raises(EvidenceError, match="did you mean 'fever'"):
        model.draw({"fevr": "yes"})


def test_a_hand_built_marginals_draws_on_the_toy_model(toy):
    m = toy.marginals()
    assert isinstance(m, Marginals)
    ax = draw_network(m)
    assert len(ax.patches) > len(toy.network.variables)
    plt.close(ax.figure)


def _svg(marginals, **kw):
    import xml.etree.ElementTree as ET

    from bmes_bayes.plotting import network_svg

    return ET.fromstring(network_svg(marginals, **kw))


def test_the_svg_drawing_shows_what_the_axes_drawing_shows(marginals):
    """network_svg writes the drawing of draw_network directly: the same texts, boxes, bars and arcs."""
    ns = "{http://www.w3.org/2000/svg}"
    root = _svg(marginals)
    assert (root.get("width"), root.get("height")) == ("1440", "900")  # 16 x 10 inches at 90 dpi
    ax = draw_network(marginals)
    try:
        svg_texts = sorted(t.text for t in root.iter(f"{ns}text"))
        mpl_texts = [t.get_text().replace("\\$", "$") for t in ax.texts]
        mpl_texts = [line for t in mpl_texts for line in t.split("\n")] + [ax.get_title(loc="left")]
        assert svg_texts == sorted(mpl_texts)
        rects = [r for r in root.iter(f"{ns}rect")][1:]  # after the white ground
        boxes_and_bars = [p for p in ax.patches if not isinstance(p, FancyArrowPatch)]
        assert sorted(to_hex(r.get("fill")) for r in rects) == sorted(to_hex(p.get_facecolor()) for p in boxes_and_bars)
        assert len([r for r in rects if r.get("stroke-dasharray")]) == 1  # the soft finding
        arcs = [g for g in root.iter(f"{ns}g")]
        assert len(arcs) == sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == sum(
            len(v.parents) for v in marginals.variables)
    finally:
        plt.close(ax.figure)


def test_the_svg_drawing_escapes_names_and_never_queries_the_model(toy, monkeypatch):
    from dataclasses import replace

    def refuse(*args, **kwargs):
        raise AssertionError("a plot must not recompute")

    m = toy.marginals()
    monkeypatch.setattr(type(toy), "posterior", refuse)
    monkeypatch.setattr(type(toy), "query", refuse)
    odd = replace(m.variables[0], states=("<b>&", *m.variables[0].states[1:]))
    root = _svg(replace(m, variables=(odd, *m.variables[1:])), size=(8.0, 5.0), dpi=100)
    assert (root.get("width"), root.get("height")) == ("800", "500")
    assert "<b>&" in [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
