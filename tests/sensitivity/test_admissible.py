"""``bmes_bayes.sensitivity.admissible`` (and its search, ``sensitivity._search``): the admissible deviation
brackets the flip of the top diagnosis, checked by ``tests.reference.brute_force`` on either side of each bound."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bmes_bayes.compile import DrawnTables

from ..reference import brute_force
from .helpers import TOY_EV, _network, _with_entry


# ------------------------------------------------------------------------------------------------ 4. flips and tuning
@pytest.mark.parametrize("node", ["sign", "test"])
def test_admissible_deviation_of_raw_entries_brackets_the_flip(toy, node):
    """Just inside each bound the top state is unchanged and just outside it is another (brute force, 1e-7 away)."""
    ev = {"sign": "mid", "test": "pos"}
    ad = toy.admissible_deviation(ev, target="disease", node=node)
    frame = ad.to_frame()
    states = toy.states("disease")
    assert len(ad.fragile) > 0
    for _, r in ad.fragile.iterrows():
        parents = dict(p.split("=") for p in r["parameter"].split("| ")[1].rstrip(")").split(", "))
        for bound, flips in ((r["admissible_low"], r["flips_below"]), (r["admissible_high"], r["flips_above"])):
            if not flips:
                continue
            step = 1e-7 if bound < r["x0"] else -1e-7
            p_in = brute_force(toy, ev, "disease", tables=_with_entry(toy, node, parents, r["state"], bound + step))
            p_out = brute_force(toy, ev, "disease", tables=_with_entry(toy, node, parents, r["state"], bound - step))
            assert states[int(np.argmax(p_in))] == ad.top and states[int(np.argmax(p_out))] != ad.top
    assert (frame["admissible_low"] <= frame["x0"]).all() and (frame["x0"] <= frame["admissible_high"]).all()


@pytest.fixture(scope="module")
def tie_net(tmp_path_factory):
    """P(d) = (0.3, 0.3, 0.4) and P(f=pos | d) = (0.7, 0.7, 0.1): given f=pos, a and b are exactly tied (0.21 each)."""
    return _network(tmp_path_factory.mktemp("tie"), "tie", """\
  d: {role: diagnosis, states: [a, b, c], parents: [], description: D.}
  f: {role: finding, states: [neg, pos], parents: [d], description: F.}
""", """\
  d: {kind: table, row: {value: {a: 0.3, b: 0.3, c: 0.4}, concentration: 10, source: test}}
  f:
    kind: table
    rows:
      a: {value: {pos: 0.7}, concentration: 10, source: test}
      b: {value: {pos: 0.7}, concentration: 10, source: test}
      c: {value: {pos: 0.1}, concentration: 10, source: test}
""")


def test_an_exact_tie_for_the_top_is_resolved_by_rule_not_by_rounding(tie_net):
    """Issue 13: with a and b tied, the rival was kept or dropped by the rounding of its crossing (-c2/c1 = x0 +- 1 ulp);
    P(f=pos | d=b) moving up makes b first at once, yet no flip was reported. The rule: the top is the first tied
    state (a); a tied rival takes over at x0 itself on the side where it grows; a rival that stays tied (moving c's
    row) never does. Exact reference: brute-force enumeration 1e-7 on either side of each bound."""
    ev = {"f": "pos"}
    post = tie_net.posterior(ev, target="d").probabilities
    assert post[0] == post[1] > post[2]
    ad = tie_net.admissible_deviation(ev, target="d", node="f")
    assert ad.top == "a"
    frame = ad.to_frame().set_index("parameter")
    expected = {  # parameter: (lower, top below, upper, top above); c's row: c overtakes at 0.21 / 0.4 = 0.525
        "P(f=pos | d=a)": (0.7, "b", 1.0, ""), "P(f=neg | d=a)": (0.0, "", 0.3, "b"),
        "P(f=pos | d=b)": (0.0, "", 0.7, "b"), "P(f=neg | d=b)": (0.3, "b", 1.0, ""),
        "P(f=pos | d=c)": (0.0, "", 0.525, "c"), "P(f=neg | d=c)": (0.475, "c", 1.0, ""),
    }
    for name, (lo, tb, hi, ta) in expected.items():
        r = frame.loc[name]
        assert (r["top_below"], r["top_above"]) == (tb, ta), name
        assert r["admissible_low"] == pytest.approx(lo, abs=1e-12) and r["admissible_high"] == pytest.approx(hi, abs=1e-12), name
        if tb == "b" or ta == "b":  # the tie is broken at x0 exactly, not a rounding away
            assert (r["admissible_low"] if tb == "b" else r["admissible_high"]) == r["x0"]
        state, parent = name[2:].split(" | d=")
        parent = parent.rstrip(")")
        for bound, rival, step in ((r["admissible_low"], tb, -1e-7), (r["admissible_high"], ta, 1e-7)):
            if not rival:
                continue
            outside = brute_force(tie_net, ev, "d", tables=_with_entry(tie_net, "f", {"d": parent}, state.split("=")[1],
                                                                       bound + step))
            assert tie_net.states("d")[int(np.argmax(outside))] == rival, (name, bound)
    again = tie_net.admissible_deviation({"f": "pos"}, target="d", node="f").to_frame()
    pd.testing.assert_frame_equal(again, ad.to_frame())


def test_a_tie_for_the_top_among_clinical_parameters(tie_net):
    """The same rule on the clinical parameters (grid and bisection on the engine): lowering P(d=a) or raising
    P(d=b) lets b take over at once (to the bisection's 1e-12 on the logit scale), and the tie between a and b,
    which moving P(d=c) keeps, never counts as a flip: c takes over where 0.1 x = 0.7 (1 - x) / 2, x = 0.35 / 0.45
    (a and b share the rest of the row equally)."""
    frame = tie_net.admissible_deviation({"f": "pos"}, target="d").to_frame().set_index("parameter")
    r = frame.loc["P(d=a)"]
    assert (r["top_below"], r["top_above"]) == ("b", "") and r["admissible_low"] == pytest.approx(0.3, abs=1e-9)
    r = frame.loc["P(d=b)"]
    assert (r["top_below"], r["top_above"]) == ("", "b") and r["admissible_high"] == pytest.approx(0.3, abs=1e-9)
    r = frame.loc["P(d=c)"]
    assert (r["top_below"], r["top_above"]) == ("", "c") and r["admissible_high"] == pytest.approx(0.35 / 0.45, abs=1e-9)


def test_admissible_deviation_of_clinical_parameters_is_exact_to_1e9(toy):
    ad = toy.admissible_deviation(TOY_EV, target="disease")
    frag = ad.fragile
    assert len(frag) > 0
    from bmes_bayes.draws import relevant_parameters
    from bmes_bayes.sensitivity._perturb import _entries

    ev = toy.resolve(TOY_EV)
    entries = {e.label: e for e in _entries(toy, relevant_parameters(toy, ev, "disease"))}
    from bmes_bayes.sensitivity._perturb import _entry_draws

    for _, r in frag.head(6).iterrows():
        e = entries[r["parameter"]]
        for bound, flips, sign in ((r["admissible_low"], r["flips_below"], -1), (r["admissible_high"], r["flips_above"], 1)):
            if not flips:
                continue
            xs = np.array([bound * (1 - sign * 1e-8), bound * (1 + sign * 1e-8)])  # inside, outside (relative 1e-8)
            post = toy.query(ev, "disease", DrawnTables(toy.priors, toy.network, _entry_draws(toy, [e, e], xs)))
            tops = [toy.states("disease")[i] for i in post.posterior.argmax(axis=1)]
            assert tops[0] == ad.top and tops[1] != ad.top, (r["parameter"], bound)


def test_the_search_brackets_the_first_crossing_on_each_side():
    """The one grid-and-bisection search (admissible deviation and tuning): on f_i(t) = |t - t0_i| - c_i the
    condition f >= 0 first holds at t0 -/+ c_i; every bracket ends within the tolerance of it, the value at the
    outer end is f there, and an entry whose grid never crosses has no bracket."""
    from bmes_bayes.sensitivity._search import search

    t0 = np.array([0.0, 1.0, 2.0])
    c = np.array([0.3, 0.7, 50.0])                       # the third never crosses within the grid
    grid = np.linspace(-5.0, 5.0, 21)[None, :] + t0[:, None]
    calls = []

    def evaluate(which, ts):
        calls.append(len(ts))
        return np.abs(ts - t0[which]) - c[which]

    got = search(evaluate, lambda v: v >= 0, t0, grid, sides=(1, -1), steps=200, tol=1e-12)
    assert got.entry.tolist() == [0, 0, 1, 1]            # grouped by entry, the sides in the order asked
    roots = t0[got.entry] + np.array([1, -1, 1, -1]) * c[got.entry]
    assert np.all(np.abs(got.outside - roots) <= 1e-12) and np.all(np.abs(got.inside - roots) <= 1e-12)
    assert np.all(got.value >= 0) and np.allclose(got.value, np.abs(got.outside - t0[got.entry]) - c[got.entry])
    assert calls[0] == grid.size                          # the whole grid in one batched call
    fixed = search(evaluate, lambda v: v >= 0, t0, grid, sides=(-1,), steps=3)
    assert fixed.entry.tolist() == [0, 1] and np.all(np.abs(fixed.outside - fixed.inside) == 0.5 / 2**3)
