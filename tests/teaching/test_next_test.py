"""``bmes_bayes.teaching.next_test``: value of information against a brute-force expected entropy, costs and ranks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bmes_bayes
from bmes_bayes import BmesError, EvidenceError, SpecError, teaching

from ..reference import brute_force
from .helpers import DIAG, TOH, _entropy


# ============================================================================================ which test next
def _brute_voi(model, evidence, var, watch):
    now = brute_force(model, evidence, DIAG)
    px = brute_force(model, evidence, var)
    h, change = 0.0, 0.0
    for j, s in enumerate(model.states(var)):
        if px[j] > 0:
            post = brute_force(model, {**evidence, var: s}, DIAG)
            h += px[j] * _entropy(post)
            change += px[j] * np.abs(post[watch] - now[watch]).sum()
    return _entropy(now) - h, change


@pytest.mark.parametrize("evidence", [
    {"joint": "hip", "age_group": "middle", "sex": "male", "onset": "sudden", "xray": "normal"},
    {"joint": "knee", "infection_risk": "yes", "fever": "yes"},
])
def test_value_of_information_matches_brute_force_expected_entropy(model, evidence):
    nt = model.next_test(evidence)
    states = model.states(DIAG)
    watch = [states.index(d) for d in model.alert_config.diagnoses]
    frame = nt.to_frame().set_index("finding")
    assert not set(frame.index) & set(evidence)
    for var in ("fever", "mri_necrotic_segment", "synovial_fluid", "inflammatory_markers", "recent_trauma",
                "followup_course"):
        if var in evidence:
            continue
        info, change = _brute_voi(model, evidence, var, watch)
        assert abs(frame.at[var, "entropy_reduction"] - info) < 1e-10
        assert abs(frame.at[var, "cant_miss_change"] - change) < 1e-10
    assert abs(nt.entropy - _entropy(brute_force(model, evidence, DIAG))) < 1e-10
    assert frame["entropy_reduction"].is_monotonic_decreasing
    # the outcomes average back to the current posterior (a posterior is a martingale)
    out = nt.outcomes[nt.outcomes["finding"] == nt.best]
    avg = out.assign(w=out["p_state"] * out["probability"]).groupby("diagnosis")["w"].sum()
    np.testing.assert_allclose(avg[list(states)], nt.current, atol=1e-12)


def test_observed_findings_are_worth_exactly_zero(model):
    ev = {"joint": "hip", "fever": "no", "xray": "normal"}
    nt = model.next_test(ev, candidates=["fever", "xray", "mri_collapse"])
    frame = nt.to_frame().set_index("finding")
    assert frame.at["fever", "entropy_reduction"] == 0.0 and frame.at["xray", "entropy_reduction"] == 0.0
    assert frame.at["fever", "cant_miss_change"] == 0.0 and bool(frame.at["fever", "observed"])
    assert frame.at["mri_collapse", "entropy_reduction"] > 0
    assert nt.best == "mri_collapse" and list(nt.to_frame()["finding"])[0] == "mri_collapse"


# pregnancy and the refinements of a risk factor (dose, kind of exposure) have structural zeros given their parent
ORDINARY = [v for v in bmes_bayes.load_model().variables.variables
            if v.role in ("context", "risk_factor", "finding") and v.name != "pregnancy"
            and not (v.role == "risk_factor" and v.parents and v.parents[0] in ("corticosteroids", "infection_risk"))]


@st.composite
def random_evidence(draw):
    ev = {}
    for v in ORDINARY:
        i = draw(st.integers(-2, len(v.states) - 1))
        if i >= 0:
            ev[v.name] = v.states[i]
    return ev


@settings(max_examples=25)
@given(ev=random_evidence(), pick=st.lists(st.sampled_from([v.name for v in ORDINARY]), min_size=1, max_size=3))
def test_information_values_are_never_negative(model, ev, pick):
    target = DIAG
    watch = [model.states(DIAG).index(d) for d in model.alert_config.diagnoses]
    resolved = model.resolve(ev)
    for var in pick:
        if var in ev:
            continue
        raw, change, _ = teaching._outcome_values(model, resolved, var, target, watch)
        assert raw >= -1e-12 and change >= 0
    nt = model.next_test(ev, candidates=pick)
    frame = nt.to_frame()
    assert (frame["entropy_reduction"] >= 0).all()
    assert (frame.loc[frame["observed"], "entropy_reduction"] == 0.0).all()
    # alerts fire iff probability >= threshold
    post = model.posterior(ev)
    expected = {r.diagnosis for r in model.alert_config.rules if post[r.diagnosis] >= r.threshold}
    assert {a.diagnosis for a in post.alerts} == expected


def test_costs_and_ranking_options(model):
    costs = teaching.load_test_costs()
    ev = TOH.evidence
    nt = model.next_test(ev, costs=costs, rank_by="value_per_cost")
    frame = nt.to_frame()
    np.testing.assert_allclose(frame["value_per_cost"], frame["entropy_reduction"] / frame["cost"])
    assert frame["value_per_cost"].is_monotonic_decreasing
    assert model.next_test(ev, rank_by="cant_miss").to_frame()["cant_miss_change"].is_monotonic_decreasing
    assert model.next_test(ev).to_frame()["value_per_cost"].isna().all()
    with pytest.raises(BmesError, match="needs costs"):
        model.next_test(ev, rank_by="value_per_cost")
    with pytest.raises(BmesError, match="no cost for xray"):
        model.next_test({"joint": "hip"}, costs={"fever": 1.0}, candidates=["fever", "xray"])
    with pytest.raises(BmesError, match="positive"):
        model.next_test({"joint": "hip"}, costs={"fever": -1.0}, candidates=["fever"])
    with pytest.raises(EvidenceError, match="did you mean 'fever'"):
        model.next_test({"joint": "hip"}, candidates=["fevr"])
    with pytest.raises(BmesError, match="did you mean 'information'"):
        model.next_test({"joint": "hip"}, rank_by="informaton")


def test_cost_file_is_validated(tmp_path, model):
    bad = tmp_path / "costs.yaml"
    bad.write_text("costs:\n  fevr: {cost: 1, expert_judgement: x}\n  xray: {cost: 0, expert_judgement: x}\n"
                   "  fever: {cost: 2}\n")
    with pytest.raises(SpecError) as exc:
        teaching.load_test_costs(bad, network=model.network)
    msg = str(exc.value)
    assert "3 problems" in msg and "did you mean 'fever'" in msg and "positive number" in msg


def test_next_test_displays_and_plots(model):
    import matplotlib.pyplot as plt

    nt = model.next_test(TOH.evidence)
    frame = nt.to_frame()
    best = frame.iloc[0]["finding"]
    assert nt.best == best and not frame.iloc[0]["observed"] and best not in TOH.evidence
    assert frame["entropy_reduction"].iloc[0] == frame["entropy_reduction"].max()
    assert f"best = {best}" in repr(nt) and f"if {best}=" in str(nt)
    assert "<table" in nt._repr_html_()
    ax = nt.plot()
    assert len(ax.patches) == min(12, len(nt.to_frame()))
    plt.close("all")
