"""Any discrete network as a model: round trips through every format, a public textbook network (asia), and every
exact analysis on a chosen target, against pyAgrum (an independent engine reading the same file)."""

from __future__ import annotations

import re
import numpy as np
import pytest

import bmes_bayes
from bmes_bayes.exceptions import BmesError, EvidenceError
from bmes_bayes.interop import FORMATS, export

from .conftest import DATA

ASIA = DATA / "asia.bif"   # Lauritzen & Spiegelhalter 1988, as shipped with pgmpy's example models


def _same_posteriors(a, b, evidence_sets, target_a, target_b, names=None, states=None):
    for ev in evidence_sets:
        ev_b = {names.get(k, k) if names else k: (states[k][v] if states else v) for k, v in ev.items()}
        pa = a.posterior(ev, target=target_a, checks=False).probabilities
        pb = b.posterior(ev_b, target=target_b, checks=False).probabilities
        np.testing.assert_allclose(pa, pb, atol=1e-9, rtol=0)


@pytest.mark.parametrize("fmt", ["xmlbif", "xdsl", "uai"])
def test_our_network_round_trips(model, tmp_path, fmt):
    """bmes itself (a 746,496-entry diagnosis table) through XMLBIF, XDSL and UAI: identical posteriors. (pgmpy's
    BIF and NET parsers take from 30 s to many minutes on a table this size, so those two formats are round-tripped
    on the toy network below; see load_network.)"""
    path = tmp_path / f"bmes{FORMATS[fmt]}"
    export(model, fmt, path)
    back = bmes_bayes.load_network(path, target="diagnosis" if fmt != "uai" else None)
    evidence = [{}, {"joint": "hip", "corticosteroids": "yes", "mri_necrotic_segment": "present"},
                {"joint": "knee", "age_group": "older", "fever": "yes", "inflammatory_markers": "markedly_elevated"}]
    if fmt == "uai":
        names = {n: back.network.names[i] for i, n in enumerate(model.network.names)}
        states = {n: {s: back.network[names[n]].states[j] for j, s in enumerate(model.network[n].states)}
                  for n in model.network.names}
        _same_posteriors(model, back, evidence, "diagnosis", names["diagnosis"], names, states)
    else:
        assert back.network.names == model.network.names
        _same_posteriors(model, back, evidence, "diagnosis", "diagnosis")


@pytest.mark.parametrize("fmt", ["bif", "xmlbif", "xdsl", "net", "uai"])
def test_a_network_of_ours_round_trips_through_every_format(toy, tmp_path, fmt):
    path = tmp_path / f"toy{FORMATS[fmt]}"
    export(toy, fmt, path)
    target = "disease" if fmt != "uai" else None
    back = bmes_bayes.load_network(path, target=target)
    evidence = [{}, {"sex": "female", "sign": "high"}, {"risk": "yes", "test": "pos", "sign": "low"}]
    if fmt == "uai":  # UAI carries no names: variables and states by position
        names = {n: back.network.names[i] for i, n in enumerate(toy.network.names)}
        states = {n: {s: back.network[names[n]].states[j] for j, s in enumerate(toy.network[n].states)}
                  for n in toy.network.names}
        _same_posteriors(toy, back, evidence, "disease", names["disease"], names, states)
    else:
        _same_posteriors(toy, back, evidence, "disease", "disease")


@pytest.fixture(scope="module")
def asia():
    return bmes_bayes.load_network(ASIA, target="lung")


@pytest.fixture(scope="module")
def asia_gum():
    gum = pytest.importorskip("pyagrum")
    return gum.loadBN(str(ASIA))


@pytest.mark.parametrize("ev", [{}, {"smoke": "yes"}, {"smoke": "yes", "xray": "yes"}, {"asia": "yes", "dysp": "yes"},
                                {"xray": "no", "bronc": "yes", "either": "yes"}])
def test_asia_posteriors_match_pyagrum(asia, asia_gum, ev):
    import pyagrum as gum

    ie = gum.LazyPropagation(asia_gum)
    ie.setEvidence(ev)
    ie.makeInference()
    for target in ("lung", "tub", "bronc", "either"):
        post = ie.posterior(target)
        theirs = np.array([post[{target: s}] for s in asia.network[target].states])
        np.testing.assert_allclose(asia.posterior(ev, target=target, checks=False).probabilities, theirs,
                                   atol=1e-6)   # pyAgrum reads BIF in single precision


def test_every_exact_analysis_runs_on_the_chosen_target(asia):
    ev = {"smoke": "yes", "xray": "yes"}
    post = asia.posterior(ev)
    assert post.target == "lung" and post.alerts == ()
    ex = asia.explain(ev)
    frame = ex.to_frame()
    assert set(frame["variable"]) == {"smoke", "xray"}
    # Good's additive weights: log prior odds + sum of weights = log posterior odds, against all others
    w = ex.weights()
    assert np.isclose(ex.log_prior_odds() + w["woe"].sum(), ex.log_posterior_odds(), atol=1e-12)
    nxt = asia.next_test({"smoke": "yes"})
    assert nxt.best in asia.network.names and nxt.best != "lung"
    sf = asia.sensitivity_function(ev, "lung", {"smoke": "yes"}, "yes", target_state="yes")
    x0 = sf.x0
    assert sf(x0) == pytest.approx(asia.posterior(ev)["yes"], abs=1e-12)
    assert asia.admissible_deviation(ev).to_frame().shape[0] > 0
    tuned = asia.tune({"smoke": "yes"}, "yes", at_least=0.5).to_frame()
    assert (tuned["p_after"] >= 0.5 - 1e-9).all()
    unc = asia.uncertainty({"smoke": "yes"}, n_samples=200, seed=0, progress=False)
    assert unc.target == "lung" and unc.samples.shape == (200, 2)


def test_uncertainty_rule_is_a_dirichlet_of_the_stated_size(asia):
    rows = [p for p in asia.priors.parameters if p.node == "lung"]
    assert all(p.concentration == 10.0 for p in rows)
    assert "equivalent sample size 10" in rows[0].provenance.text
    either = [p for p in asia.priors.parameters if p.node == "either"]
    assert any(p.fixed for p in either)      # a deterministic OR: rows with a zero are kept fixed
    stricter = bmes_bayes.load_network(ASIA, target="lung", ess=100)
    assert {p.concentration for p in stricter.priors.parameters if p.node == "lung"} == {100.0}


def test_bad_inputs_name_what_is_wrong(tmp_path):
    with pytest.raises(BmesError, match="did you mean 'lung'"):
        bmes_bayes.load_network(ASIA, target="lungs")
    with pytest.raises(BmesError, match="unknown network format"):
        bmes_bayes.load_network(tmp_path / "x.dne")
    with pytest.raises(BmesError, match="no such file"):
        bmes_bayes.load_network(tmp_path / "missing.bif")
    bad = tmp_path / "bad.bif"
    bad.write_text("network x { }\nvariable a { type discrete [ 2 ] { y, n }; }\nprobability ( a ) { table 0.5; }\n")
    with pytest.raises(BmesError, match="bad.bif"):
        bmes_bayes.load_network(bad)
    with pytest.raises(BmesError, match="ess must be a finite positive number"):
        bmes_bayes.load_network(ASIA, ess=0)
    with pytest.raises(TypeError):
        bmes_bayes.load_network(3)
    with pytest.raises(EvidenceError):
        bmes_bayes.load_network(ASIA, target="lung").posterior({"lung": "maybe"})


@pytest.mark.parametrize("body, fragment", [
    ("2 2 2\n2\n1 0\n2 0 5\n2 0.5 0.5\n4 0.9 0.1 0.2 0.8\n", "names variable 5; the file has variables 0 to 1"),
    ("2 2 2\n2\n1 0\n2 0 0\n2 0.5 0.5\n4 0.9 0.1 0.2 0.8\n", "names a variable twice"),
    ("2 2 2\n2\n1 0\n1 0\n2 0.5 0.5\n2 0.5 0.5\n", "two functions are tables of variable 0"),
    ("2 2 0\n1\n1 0\n2 0.5 0.5\n", "expected at least 1"),
    ("2 2 2\n1\n0\n", "expected at least 1"),
])
def test_malformed_uai_scopes_are_named_not_internal_errors(tmp_path, body, fragment):
    """Found by benchmarks/fuzz.py: a mutated UAI file ended in an IndexError inside the reader."""
    path = tmp_path / "bad.uai"
    path.write_text("BAYES\n" + body)
    with pytest.raises(bmes_bayes.BmesError, match=re.escape(fragment)):
        bmes_bayes.load_network(path, target="var_0")


def test_an_output_path_of_the_wrong_type_is_a_type_error(tmp_path):
    """Found by benchmarks/fuzz.py: export(path=0) ended in os.fspath's TypeError inside the writer."""
    from bmes_bayes.interop import export

    model = bmes_bayes.load_network(ASIA, target="lung")
    for bad in (0, 1.5, None, ["a"]):
        with pytest.raises(bmes_bayes.ArgumentTypeError, match="path-like"):
            export(model, "uai", bad, overwrite=True)


def test_a_file_with_no_variables_is_named(tmp_path):
    """Found by benchmarks/fuzz.py: a one-byte BIF file ended in an IndexError while choosing the default target."""
    path = tmp_path / "n.bif"
    path.write_text("n")
    with pytest.raises(BmesError, match="no variables|cannot"):
        bmes_bayes.load_network(path)


def test_an_export_format_of_the_wrong_type_is_named(tmp_path):
    """Found by benchmarks/fuzz.py: export(fmt={}) ended in 'unhashable type'."""
    from bmes_bayes.interop import export_text

    model = bmes_bayes.load_network(ASIA, target="lung")
    with pytest.raises(bmes_bayes.ArgumentTypeError, match="fmt must be one of"):
        export_text(model, {})
    with pytest.raises(bmes_bayes.ArgumentError, match="Choose one of: bif"):
        export_text(model, "xyz")
