"""The BIF and XMLBIF copies in networks/ are current, and pyAgrum (an independent engine) agrees with them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmes_bayes.interop import export, export_text

from .conftest import ROOT
from .reference import brute_force, pyagrum_posterior
from .test_engine import evidence_sets


NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d*(?:[eE][-+]?\d+)?|(?<![\w.])\d+[eE][-+]?\d+")


def _template_and_numbers(text: str) -> tuple[str, np.ndarray]:
    return NUMBER.sub("#", text), np.array([float(x) for x in NUMBER.findall(text)])


@pytest.mark.parametrize("fmt, name", [("bif", "bmes.bif"), ("xmlbif", "bmes.bifxml")])
def test_exported_copies_are_not_stale(model, fmt, name):
    """Same structure, names and states to the letter, and every probability equal to 1e-12.

    (Floating-point noise from a change in how CPTs are compiled is not staleness; a changed prior is.)"""
    path = ROOT / "networks" / name
    fix = f"run `bmes-bayes export --format {fmt} -o networks/{name} --force`"
    stored_t, stored_x = _template_and_numbers(path.read_text(encoding="utf-8"))
    fresh_t, fresh_x = _template_and_numbers(export_text(model, fmt))
    assert stored_t == fresh_t, f"networks/{name} is stale (structure or labels differ): {fix}"
    assert stored_x.shape == fresh_x.shape, f"networks/{name} is stale (table sizes differ): {fix}"
    bad = np.abs(stored_x - fresh_x) > 1e-12
    assert not bad.any(), f"networks/{name} is stale ({bad.sum()} probabilities differ, max {np.abs(stored_x - fresh_x).max():.2e}): {fix}"


def test_staleness_check_sees_a_changed_prior(model):
    text = export_text(model, "xmlbif")
    t, x = _template_and_numbers(text)
    i = t.index("<TABLE>")
    changed = text.replace(text[text.index("<TABLE>", i):].split()[0], "<TABLE>0.2999", 1)
    t2, x2 = _template_and_numbers(changed)
    assert t2 == t and np.abs(x2 - x).max() > 1e-12


@pytest.fixture(scope="module")
def agrum_xml():
    gum = pytest.importorskip("pyagrum")
    return gum.loadBN(str(ROOT / "networks" / "bmes.bifxml"))


@pytest.fixture(scope="module")
def agrum_bif():
    gum = pytest.importorskip("pyagrum")
    return gum.loadBN(str(ROOT / "networks" / "bmes.bif"))


def _compare(model, gum_bn, data, tol):
    hard, softs, target = data.draw(evidence_sets(model, soft=True))
    if brute_force(model, hard, target, softs).sum() == 0:
        return
    ours = model.posterior({**hard, **softs}, target=target).probabilities
    if target in hard:
        return
    theirs = pyagrum_posterior(gum_bn, model, hard, target, softs)
    np.testing.assert_allclose(ours, theirs, atol=tol, rtol=0)


@settings(max_examples=80)
@given(data=st.data())
def test_pyagrum_on_xmlbif_agrees_to_1e9(model, agrum_xml, data):
    _compare(model, agrum_xml, data, 1e-9)


@settings(max_examples=40)
@given(data=st.data())
def test_pyagrum_on_bif_agrees_to_single_precision(model, agrum_bif, data):
    """pyAgrum parses BIF probabilities as C++ floats, so agreement is ~1e-7, not 1e-9."""
    _compare(model, agrum_bif, data, 1e-6)


def test_pyagrum_tables_are_ours_in_double_precision(model, agrum_xml):
    net = model.network
    for v in net.variables:
        if len(v.parents) > 4:
            continue
        ours = model._tables.tables[v.name][0]
        cpt = agrum_xml.cpt(v.name)
        for idx in np.ndindex(ours.shape):
            inst = {name: net[name].states[i] for name, i in zip((*v.parents, v.name), idx)}
            assert abs(cpt[inst] - ours[idx]) < 1e-15


def test_export_refuses_to_overwrite_and_writes_atomically(model, tmp_path):
    out = tmp_path / "m.bifxml"
    out.write_text("precious")
    with pytest.raises(Exception, match="exists"):
        export(model, "xmlbif", out)
    assert out.read_text() == "precious"
    export(model, "xmlbif", out, overwrite=True)
    assert out.read_text() == export_text(model, "xmlbif")
    assert [p.name for p in tmp_path.iterdir()] == ["m.bifxml"]
