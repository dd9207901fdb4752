"""Exports are exact, and pyAgrum (an independent engine) agrees with the network it reads from them."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmes_bayes.interop import export, export_text

from .reference import brute_force, pyagrum_posterior
from .inference.test_contraction import evidence_sets


NUMBER = re.compile(r"(?<![\w.])-?\d+\.\d*(?:[eE][-+]?\d+)?|(?<![\w.])\d+[eE][-+]?\d+")


def _template_and_numbers(text: str) -> tuple[str, np.ndarray]:
    return NUMBER.sub("#", text), np.array([float(x) for x in NUMBER.findall(text)])


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    """The network exported as BIF and XMLBIF into a temporary directory (generated files are not kept in git)."""
    d = tmp_path_factory.mktemp("exports")
    for fmt, name in (("bif", "bmes.bif"), ("xmlbif", "bmes.bifxml")):
        export(model, fmt, d / name)
    return d


@pytest.mark.parametrize("fmt, name", [("bif", "bmes.bif"), ("xmlbif", "bmes.bifxml")])
def test_export_writes_every_probability_at_full_precision(model, exported, fmt, name):
    """Reading the numbers back from the written file gives the compiled CPTs to 1e-15 (no rounding on the way)."""
    _, numbers = _template_and_numbers((exported / name).read_text(encoding="utf-8"))
    flat = np.concatenate([model._tables.tables[v.name][0].ravel() for v in model.network.variables])
    assert numbers.size >= flat.size
    assert np.isin(np.round(flat, 15), np.round(numbers, 15)).all()


def test_staleness_check_sees_a_changed_prior(model):
    text = export_text(model, "xmlbif")
    t, x = _template_and_numbers(text)
    i = t.index("<TABLE>")
    changed = text.replace(text[text.index("<TABLE>", i):].split()[0], "<TABLE>0.2999", 1)
    t2, x2 = _template_and_numbers(changed)
    assert t2 == t and np.abs(x2 - x).max() > 1e-12


@pytest.fixture(scope="module")
def agrum_xml(exported):
    gum = pytest.importorskip("pyagrum")
    return gum.loadBN(str(exported / "bmes.bifxml"))


@pytest.fixture(scope="module")
def agrum_bif(exported):
    gum = pytest.importorskip("pyagrum")
    return gum.loadBN(str(exported / "bmes.bif"))


def _compare(model, gum_bn, data, tol):
    hard, softs, target = data.draw(evidence_sets(model, soft=True))
    if brute_force(model, hard, target, softs).sum() == 0:
        return
    ours = model.posterior({**hard, **softs}, target=target).probabilities
    if target in hard:
        return
    theirs = pyagrum_posterior(gum_bn, model, hard, target, softs)
    np.testing.assert_allclose(ours, theirs, atol=tol, rtol=0)


@settings(max_examples=25)  # each example is a fresh pyAgrum inference over the 746,496-entry diagnosis table
@given(data=st.data())
def test_pyagrum_on_xmlbif_agrees_to_1e9(model, agrum_xml, data):
    _compare(model, agrum_xml, data, 1e-9)


@settings(max_examples=15)
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


# ------------------------------------------------------------------------------ XDSL (GeNIe), NET (Hugin), UAI
#
# What pyAgrum 3.3 gets from each file (measured with a value of 17 significant digits and a two-parent table):
#   NET  : single precision (C++ float); tables laid out as Hugin specifies (first parent outermost).
#   XDSL : double precision; but a table with two or more parents is read with the FIRST parent varying fastest,
#          where SMILE documents the first parent as the most significant coordinate (BayesFusion, "SMILE:
#          Multidimensional arrays"; pgmpy's XDSL reader follows SMILE and reads our file exactly, see below).
#   UAI  : single precision; the same parent reversal against the UAI format (the last variable of a scope varies
#          fastest), and no names (variables are numbered in network order, states by position).
# The round trips below load every export with gum.loadBN. Where pyAgrum reverses the parents, the numbers it
# parsed are put back in the layout the format specifies (nothing is taken from our own tables), detected on a
# two-parent file so that the tests keep working if pyAgrum changes.

ROUND_TRIP_TOLERANCE = {"xdsl": 1e-9, "net": 1e-6, "uai": 1e-6}

_TWO_PARENTS = {
    "xdsl": """<?xml version="1.0" encoding="UTF-8"?>
<smile version="1.0" id="t" numsamples="1000">
  <nodes>
    <cpt id="a"><state id="x" /><state id="y" /><probabilities>0.5 0.5</probabilities></cpt>
    <cpt id="b"><state id="u" /><state id="v" /><probabilities>0.5 0.5</probabilities></cpt>
    <cpt id="c"><state id="p" /><state id="q" /><parents>a b</parents>
      <probabilities>0.1 0.9 0.2 0.8 0.3 0.7 0.4 0.6</probabilities></cpt>
  </nodes>
  <extensions><genie version="1.0" app="t" name="t"></genie></extensions>
</smile>
""",
    "uai": "BAYES\n3\n2 2 2\n3\n1 0\n1 1\n3 0 1 2\n\n2\n0.5 0.5\n2\n0.5 0.5\n8\n0.1 0.9 0.2 0.8 0.3 0.7 0.4 0.6\n",
}


def _agrum_reverses_parents(gum, fmt: str, directory) -> bool:
    """Does pyAgrum read this format's two-parent tables with the first parent fastest (against the format)?"""
    if fmt not in _TWO_PARENTS:
        return False
    path = directory / f"two_parents.{fmt}"
    path.write_text(_TWO_PARENTS[fmt])
    bn = gum.loadBN(str(path))
    a, b, c = ("0", "1", "2") if fmt == "uai" else ("a", "b", "c")
    labels = {v: bn.variable(v).labels() for v in (a, b)}
    # the format says: P(c = first | a = first, b = second) = 0.2
    got = bn.cpt(c)[{a: labels[a][0], b: labels[b][1]}][0]
    assert abs(got - 0.2) < 1e-6 or abs(got - 0.3) < 1e-6, f"pyAgrum reads {fmt} tables in an unknown layout"
    return abs(got - 0.3) < 1e-6


def _agrum_array(bn, v, names) -> np.ndarray:
    """pyAgrum's CPT of ``v`` as an array in our layout ``(*parents, v)``."""
    cpt = bn.cpt(names[v.name])
    axes = list(cpt.names)[::-1]  # toarray() puts pyAgrum's first (fastest) variable last
    return cpt.toarray().transpose([axes.index(names[n]) for n in (*v.parents, v.name)])


def _load_export(gum, model, fmt, directory):
    """gum.loadBN on a fresh export, with names restored (UAI) and the parent layout read as the format says."""
    from bmes_bayes.interop import FORMATS

    net = model.network
    path = directory / f"bmes{FORMATS[fmt]}"
    export(model, fmt, path, overwrite=True)
    bn = gum.loadBN(str(path))
    if fmt == "uai":  # the format has no names: variable i is the i-th of the network, states by position
        for i, v in enumerate(net.variables):
            bn.changeVariableName(str(i), v.name)
            for k, s in enumerate(v.states):
                bn.changeVariableLabel(v.name, bn.variable(v.name).label(k), s)
    if _agrum_reverses_parents(gum, fmt, directory):
        for v in net.variables:
            if len(v.parents) < 2:
                continue
            cpt = bn.cpt(v.name)
            parsed = cpt.toarray().ravel()  # the file's numbers in file order, as pyAgrum parsed them
            table = parsed.reshape([net[p].card for p in v.parents] + [v.card])  # the format's layout
            axes = (*v.parents, v.name)
            cpt.fillWith(table.transpose([axes.index(n) for n in list(cpt.names)[::-1]]).ravel().tolist())
    return bn


@pytest.fixture(scope="module", params=sorted(ROUND_TRIP_TOLERANCE))
def agrum_export(request, model, tmp_path_factory):
    gum = pytest.importorskip("pyagrum")
    fmt = request.param
    return fmt, _load_export(gum, model, fmt, tmp_path_factory.mktemp(fmt))


def test_pyagrum_reads_every_table_of_each_export(model, agrum_export):
    fmt, bn = agrum_export
    net = model.network
    assert sorted(bn.names()) == sorted(net.names) and bn.sizeArcs() == sum(len(v.parents) for v in net.variables)
    for v in net.variables:
        assert tuple(bn.variable(v.name).labels()) == v.states
        assert sorted(bn.cpt(v.name).names[1:]) == sorted(v.parents)
        got = _agrum_array(bn, v, {n: n for n in net.names})
        np.testing.assert_allclose(got, model._tables.tables[v.name][0], atol=ROUND_TRIP_TOLERANCE[fmt] / 10, rtol=0,
                                   err_msg=f"{fmt}: {v.name}")


@settings(max_examples=25)
@given(data=st.data())
def test_pyagrum_posteriors_on_each_export_agree(model, agrum_export, data):
    fmt, bn = agrum_export
    _compare(model, bn, data, ROUND_TRIP_TOLERANCE[fmt])


def test_xdsl_follows_smile_layout_per_pgmpy_reader(model, tmp_path):
    """pgmpy's XDSL reader follows SMILE (first parent most significant) and reads every table exactly."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.readwrite import XDSLReader

        path = export(model, "xdsl", tmp_path / "bmes.xdsl")
        bn = XDSLReader(str(path)).get_model()
    from bmes_bayes.interop import pgmpy_tables

    expected = pgmpy_tables(model.network, model._tables.tables)
    for v in model.network.variables:
        cpd = bn.get_cpds(v.name)
        assert list(cpd.variables) == [v.name, *v.parents]
        assert tuple(cpd.state_names[v.name]) == v.states
        assert np.array_equal(cpd.get_values(), expected[v.name]), v.name


@pytest.mark.parametrize("fmt", ["xdsl", "net", "uai"])
def test_new_exports_write_full_precision(model, fmt):
    text = export_text(model, fmt)
    ours = np.concatenate([np.asarray(model._tables.tables[v.name][0]).ravel() for v in model.network.variables])
    numbers = np.array([float(x) for x in NUMBER.findall(text)])
    # every probability is written so that it reads back as the same double
    assert np.isin(ours, numbers).all()


def test_hugin_net_nesting_on_a_small_table(model):
    from bmes_bayes.export import _nested_lines

    table = np.arange(12.0).reshape(2, 3, 2)
    assert "".join(_nested_lines(table, fmt=lambda x: str(int(x)))) == "(((0 1)(2 3)(4 5))((6 7)(8 9)(10 11)))"
    assert list(_nested_lines(np.array([0.25, 0.75]))) == ["(0.25 0.75)"]


def test_cli_exports_every_format_and_refuses_to_overwrite(model, tmp_path, capsys):
    from bmes_bayes.cli import main

    out = tmp_path / "m.uai"
    assert main(["export", "--format", "uai", "-o", str(out)]) == 0
    assert out.read_text().startswith(f"BAYES\n{len(model.network.variables)}\n")
    assert main(["export", "--format", "uai", "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["export", "--format", "dne"])
    assert exc.value.code == 2


# ------------------------------------------------------------------------- free text in exports (issue 13, item 5)
HOSTILE = 'Line one\nline -- two <b>&amp; "quoted" \\ back \x01\x0b\x7f ctrl $\\frac$ Ödem -->-'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The toy network renamed '1toy-net.v+2' (a legal name, not an identifier), with a title, a description and a
    variable description holding a newline, '--', markup, quotes, a backslash and control characters."""
    import shutil

    import yaml

    import bmes_bayes

    from .conftest import DATA

    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(DATA / "toy", root, dirs_exist_ok=True)
    spec = yaml.safe_load((root / "networks" / "toy.yaml").read_text(encoding="utf-8"))
    spec.update(name="1toy-net.v+2", title=HOSTILE, description=HOSTILE)
    spec["variables"]["sex"]["description"] = HOSTILE
    (root / "networks" / "toy.yaml").unlink()
    (root / "networks" / "1toy-net.v+2.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    (root / "priors" / "toy.yaml").rename(root / "priors" / "1toy-net.v+2.yaml")
    model = bmes_bayes.load_model(root)
    assert model.network.title == HOSTILE
    return model


@pytest.mark.parametrize("fmt", ["bif", "xmlbif", "xdsl", "net", "uai"])
def test_exports_with_hostile_text_load_in_pgmpy_pyagrum_and_a_strict_xml_parser(hostile, fmt, tmp_path):
    import xml.etree.ElementTree as ET

    from bmes_bayes.interop import FORMATS, read_network_file

    gum = pytest.importorskip("pyagrum")
    path = export(hostile, fmt, tmp_path / f"hostile{FORMATS[fmt]}")
    text = path.read_text(encoding="utf-8")
    net = hostile.network
    names, states, parents, tables = read_network_file(path)  # pgmpy's readers (UAI: by its specification)
    assert len(names) == len(net.variables)
    bn = gum.loadBN(str(path))
    assert bn.size() == len(net.variables) and bn.sizeArcs() == sum(len(v.parents) for v in net.variables)
    if fmt in ("xmlbif", "xdsl"):
        ET.fromstring(text.encode("utf-8"))  # expat: no control character, no "--" inside a comment
    if fmt in ("xdsl", "net"):  # the title is kept, on one line, as far as the format allows
        assert "Line one line" in text and "Ödem" in text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
