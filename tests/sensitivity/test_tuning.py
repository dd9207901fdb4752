"""``bmes_bayes.sensitivity.tuning``: every change, once applied by hand and recomputed by
``tests.reference.brute_force``, meets the constraint; the Chan-Darwiche distance against its definition on the
two full joint distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bmes_bayes.compile import FullTables, compile_all
from bmes_bayes.sensitivity import cd_distance

from ..reference import brute_force, model_joint
from .helpers import TOY_EV, TOY_FULL, _point_tables, _with_entry


def _parents_of(r) -> dict[str, str]:
    return dict(p.split("=") for p in r["parent_states"].split(", ")) if r["parent_states"] else {}


def _apply_change(model, r) -> dict[str, np.ndarray]:
    """CPTs (no sample axis) of the model with the tuning candidate ``r`` applied, built independently of tune():
    a raw entry by hand (``_with_entry``); a clinical parameter by replacing its value in the point Draws (a row
    entry with the rest of its row scaled by (1 - x) / (1 - x0)) and compiling every CPT with compile_all."""
    from bmes_bayes.parameters import point_draws
    from bmes_bayes.spec import OddsRatioPrior

    if r["kind"] == "cpt_entry":
        return _with_entry(model, r["node"], _parents_of(r), r["state"], r["x_new"])
    i = next(j for j, q in enumerate(model.priors.parameters) if q.id == r["id"])
    prior = model.priors.parameters[i]
    if isinstance(prior, OddsRatioPrior):
        value = np.array([r["x_new"]])
    else:
        k = prior.states.index(r["state"])
        row = prior.mean * (1 - r["x_new"]) / (1 - prior.mean[k])
        row[k] = r["x_new"]
        value = row[None, :]
    draws = point_draws(model.priors).replace(i, value)
    return {k: v[0] for k, v in compile_all(model.priors, model.network, draws).items()}


def _cd_by_definition(model, tables) -> float:
    """D = ln max_w P'(w)/P(w) - ln min_w P'(w)/P(w) over the full joint (every world with P(w) > 0)."""
    before = model_joint(model, _point_tables(model))
    after = model_joint(model, tables)
    mask = before > 0
    ratio = after[mask] / before[mask]
    return float(np.log(ratio.max()) - np.log(ratio.min()))


TUNE_CASES = [  # (evidence, target state, at least): each has clinical candidates of every kind between them
    (TOY_FULL, "a", 0.5),
    (TOY_EV, "c", 0.9),
    ({"sign": "mid", "test": "neg"}, "b", 0.618),
]


def test_tuning_raw_entries_once_applied_reach_the_constraint(toy):
    at_least = 0.5
    t = toy.tune(TOY_FULL, "a", at_least=at_least, target="disease")
    frame = t.to_frame()
    assert t.current < at_least and len(frame) > 0
    assert "disease" in t.searched and "test" in t.searched and "sign" in t.searched
    assert (np.diff(frame["cd_distance"]) >= 0).all()
    raw = frame[frame["kind"] == "cpt_entry"]
    assert len(raw) > 0
    for _, r in raw.iterrows():
        tables = _with_entry(toy, r["node"], _parents_of(r), r["state"], r["x_new"])
        ref = brute_force(toy, TOY_FULL, "disease", tables=tables)
        assert ref[0] >= at_least - 1e-9
        assert ref[0] == pytest.approx(at_least, abs=1e-9)  # x* is where the constraint is met exactly


@pytest.mark.parametrize("evidence,state,at_least", TUNE_CASES)
def test_every_tuning_change_once_applied_meets_the_constraint(toy, evidence, state, at_least):
    """Each candidate (clinical parameter or raw entry), applied by rebuilding the parameter values and compiling
    every CPT, gives P(state | e) >= at_least - 1e-8 by brute-force enumeration; x* is where it is reached (to 1e-8);
    p_after is that posterior; the plausible flag is the range test; rows are sorted by CD distance."""
    t = toy.tune(evidence, state, at_least=at_least, target="disease")
    frame = t.to_frame()
    assert t.current < at_least and len(frame) > 0
    assert (np.diff(frame["cd_distance"]) >= 0).all()
    ti = toy.states("disease").index(state)
    for _, r in frame.iterrows():
        ref = brute_force(toy, evidence, "disease", tables=_apply_change(toy, r))[ti]
        assert ref >= at_least - 1e-8, r["parameter"]
        assert ref == pytest.approx(at_least, abs=1e-8), r["parameter"]
        assert r["p_after"] == pytest.approx(ref, abs=1e-9) and r["p_after"] >= at_least
        assert r["change"] == pytest.approx(r["x_new"] - r["x0"], abs=1e-15)
        if r["kind"] == "cpt_entry":
            assert pd.isna(r["plausible"])
        else:
            assert bool(r["plausible"]) == (r["plausible_low"] <= r["x_new"] <= r["plausible_high"])
            assert 0 <= r["prior_tail"] <= 1


def test_tuning_plausible_range_is_the_one_way_quantile_range(toy):
    """The plausible range of a clinical candidate is the one one_way() uses at the same level (scipy quantiles)."""
    t = toy.tune(TOY_EV, "c", at_least=0.9, target="disease", plausible=0.9)
    row = t.to_frame().set_index("parameter").loc["P(sign=high | disease=b)"]
    prior = next(p for p in toy.priors.parameters if p.id == row["id"])
    a = prior.alpha
    k = prior.states.index("high")
    lo, hi = stats.beta.ppf([0.05, 0.95], a[k], a.sum() - a[k])
    assert (row["plausible_low"], row["plausible_high"]) == pytest.approx((lo, hi), abs=1e-12)
    ow = toy.one_way(TOY_EV, target="disease", target_state="c", plausible=0.9).to_frame().set_index("parameter")
    assert ow.loc["P(sign=high | disease=b)", "plausible_low"] == pytest.approx(lo, abs=1e-12)
    assert row["prior_tail"] == pytest.approx(stats.beta.cdf(row["x_new"], a[k], a.sum() - a[k]), abs=1e-12)


@pytest.mark.parametrize("evidence,state,at_least,parameter", [
    (TOY_EV, "c", 0.9, "base rate disease=c | sex=male"),
    (TOY_EV, "c", 0.9, "base rate disease=b | sex=female"),
    (TOY_EV, "c", 0.9, "OR of disease=c for risk=yes"),
    (TOY_EV, "c", 0.9, "P(sign=high | disease=b)"),
    ({"sign": "mid", "test": "neg"}, "b", 0.618, "OR of disease=a for pregnant=yes"),
])
def test_cd_distance_of_a_clinical_change_is_its_definition_on_the_full_joint(toy, evidence, state, at_least,
                                                                               parameter):
    """The CD distance of a base-rate or odds-ratio change of the log-linear node (every CPT entry of some rows
    moves) equals ln max P'/P - ln min P'/P over the toy's full joint (144 worlds), to 1e-12."""
    t = toy.tune(evidence, state, at_least=at_least, target="disease")
    r = t.to_frame().set_index("parameter").loc[parameter].copy()
    r["parameter"] = parameter
    tables = _apply_change(toy, r)
    d = _cd_by_definition(toy, tables)
    assert r["cd_distance"] == pytest.approx(d, abs=1e-12, rel=1e-12)
    if r["kind"] == "probability":  # a table row entry: the closed form applies
        assert float(cd_distance(r["x0"], r["x_new"])) == pytest.approx(d, abs=1e-12)
    if parameter.endswith("pregnant=yes"):
        # the rows of pregnant men are impossible, so they carry no world: over every CPT entry the ratio would differ
        before, after = toy._tables.tables["disease"][0], tables["disease"]
        ratio = after[before > 0] / before[before > 0]
        assert np.log(ratio.max()) - np.log(ratio.min()) > d + 0.1


def test_cd_distance_matches_its_definition_on_the_full_joint(toy):
    """D = ln max_w P'(w)/P(w) - ln min_w P'(w)/P(w) over the toy's full joint (144 worlds), brute force."""
    t = toy.tune(TOY_FULL, "a", at_least=0.5, target="disease")
    for _, r in t.to_frame().head(5).iterrows():
        d = _cd_by_definition(toy, _apply_change(toy, r))
        assert r["cd_distance"] == pytest.approx(d, abs=1e-9)
        if r["kind"] == "cpt_entry":
            assert float(cd_distance(r["x0"], r["x_new"])) == pytest.approx(d, abs=1e-9)


def test_tuning_says_when_the_constraint_already_holds(toy):
    t = toy.tune(TOY_FULL, "a", at_least=0.01, target="disease")
    assert len(t.to_frame()) == 0 and "already satisfied" in t.verdict
    assert "already satisfied" in repr(t)


def test_tuning_finds_clinical_changes_when_risk_factors_are_unobserved(model):
    """sif-knee-older-woman (risk factors unobserved, so the diagnosis CPT has no single row to tune): clinical
    parameters reach P(traumatic_fracture) >= 0.5; each change, applied to the parameter values and compiled into
    full CPTs (the engine's unfactored path), meets the constraint to 1e-8."""
    from bmes_bayes import scenarios

    evidence = scenarios.load("sif-knee-older-woman").evidence
    t = model.tune(evidence, "traumatic_fracture", at_least=0.5)
    frame = t.to_frame()
    assert t.current < 0.5 and len(frame) >= 1 and t.n_parameters > 50
    assert (frame["kind"] != "cpt_entry").any()
    ev = model.resolve(evidence)
    ti = model.states("diagnosis").index("traumatic_fracture")
    for _, r in frame.iterrows():
        tables = {k: v[None] for k, v in _apply_change(model, r).items()}
        p = model.query(ev, "diagnosis", FullTables(model.network, tables)).posterior[0, ti]
        assert p >= 0.5 - 1e-8 and p == pytest.approx(0.5, abs=1e-8), r["parameter"]
    top = frame.iloc[0]
    assert "traumatic_fracture reaches 0.50 if" in t.verdict and "plausible range" in t.verdict
    assert t.describe(0) in repr(t) and t.describe(0) in t.verdict and f"{top['x_new']:.3g}" in t.describe(0)
    done = model.tune(evidence, "subchondral_insufficiency_fracture", at_least=0.5)
    assert len(done.to_frame()) == 0 and "already satisfied" in done.verdict
