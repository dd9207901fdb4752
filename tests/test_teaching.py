"""Teaching views: work-up trajectory, weight of evidence, what-if, likelihood ratios, which test next, alerts.

Every quantity is checked against an independent computation: ``tests/reference.py``'s ``brute_force`` (explicit
enumeration of the joint distribution, written independently of the engine), the CPTs themselves (direct Bayes for a
finding whose only parent is the diagnosis), a fresh ``model.posterior`` query, or ``model.sensitivity``.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bmes_bayes
from bmes_bayes import BmesError, EvidenceError, SpecError, scenarios, teaching
from bmes_bayes.cli import main
from bmes_bayes.teaching import ALL_OTHERS

from .reference import brute_force

ALL = scenarios.load_all()
TOH = scenarios.load("classic-toh")
DIAG = "diagnosis"


def _entropy(p):
    p = np.asarray(p, float)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def _cpt(model, finding, diagnosis, state):
    """P(finding = state | diagnosis) from the point CPT of a finding whose only parent is the diagnosis."""
    assert model.variables[finding].parents == (DIAG,)
    table = model.cpt(finding).to_numpy()
    return float(table[model.states(DIAG).index(diagnosis), model.states(finding).index(state)])


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


# ============================================================================================ weight of evidence
EXPLAIN_CASES = [s.evidence for s in ALL[:6]] + [
    {"joint": "hip", "sex": "female", "pregnancy": "late_or_postpartum", "mri_edema_pattern": "diffuse"},
    {"joint": "knee", "fever": {"no": 0.3, "yes": 0.7}, "mri_effusion": "present"},  # soft evidence
]


@pytest.mark.parametrize("evidence", EXPLAIN_CASES)
def test_weights_add_up_to_the_change_in_log_odds(model, evidence):
    """ln O(h:a | e) = ln O(h:a) + sum of weights, against every alternative, prior and posterior queried afresh."""
    ex = model.explain(evidence)
    prior = model.posterior({}).to_series()
    post = model.posterior(evidence).to_series()
    h = ex.target_state
    assert h == post.idxmax()
    frame = ex.to_frame()
    for alt in [ALL_OTHERS, *[s for s in post.index if s != h]]:
        if alt == ALL_OTHERS:
            lo0 = math.log(prior[h]) - math.log(prior.drop(h).sum())
            lo1 = math.log(post[h]) - math.log(post.drop(h).sum())
        else:
            lo0 = math.log(prior[h] / prior[alt])
            lo1 = math.log(post[h] / post[alt])
        w = frame[frame["alternative"] == alt]
        assert len(w) == len(ex.variables)
        assert abs(lo0 + w["woe"].sum() - lo1) < 1e-9
        assert abs(ex.log_prior_odds(alt) - lo0) < 1e-9 and abs(ex.log_posterior_odds(alt) - lo1) < 1e-9
        np.testing.assert_allclose(w["decibans"], w["woe"] * 10 / math.log(10), rtol=1e-12)
        np.testing.assert_allclose(np.log(w["lr"]), w["woe"], atol=1e-12)


def test_weight_of_a_finding_is_its_cpt_likelihood_ratio(model):
    """A finding whose only parent is the diagnosis: W = ln P(f | h) / P(f | a), read straight from the CPT."""
    ev = {"joint": "hip", "age_group": "middle", "mri_necrotic_segment": "present", "mri_effusion": "present"}
    ex = model.explain(ev)
    frame = ex.to_frame()
    for finding in ("mri_necrotic_segment", "mri_effusion"):
        p_h = _cpt(model, finding, ex.target_state, ev[finding])
        for alt in model.states(DIAG):
            if alt == ex.target_state:
                continue
            row = frame[(frame["variable"] == finding) & (frame["alternative"] == alt)].iloc[0]
            assert abs(row["woe"] - math.log(p_h / _cpt(model, finding, alt, ev[finding]))) < 1e-10


def test_weight_of_a_context_item_matches_brute_force(model):
    """W_i(h:a) = ln P(e_i | h, e_<i) - ln P(e_i | a, e_<i), each term by enumeration:
    P(e_i | d, e_<i) = P(d | e_<=i) P(e_i | e_<i) / P(d | e_<i)."""
    ev = {"joint": "hip", "age_group": "older", "sex": "female", "low_bone_density": "yes", "onset": "sudden"}
    ex = model.explain(ev)
    frame = ex.to_frame()
    states = model.states(DIAG)
    items = list(ex.variables)
    for i, var in enumerate(items):
        before = {k: ev[k] for k in items[:i]}
        upto = {k: ev[k] for k in items[: i + 1]}
        p_before = brute_force(model, before, DIAG)
        p_upto = brute_force(model, upto, DIAG)
        p_item = brute_force(model, before, var)[model.states(var).index(ev[var])]
        lik = p_upto * p_item / p_before                      # P(e_i | d, e_<i) for every d
        h = states.index(ex.target_state)
        for a, alt in enumerate(states):
            if a == h:
                continue
            row = frame[(frame["variable"] == var) & (frame["alternative"] == alt)].iloc[0]
            assert abs(row["woe"] - math.log(lik[h] / lik[a])) < 1e-9


def test_weights_on_the_toy_model_with_a_two_parent_finding(toy):
    """On the toy network a finding ('test') depends on the diagnosis and a risk factor, so its weight depends on
    what came before: the identity and the brute-force definition must still hold."""
    ev = {"sex": "female", "risk": "yes", "sign": "high", "test": "pos"}
    ex = toy.explain(ev)
    prior, post = brute_force(toy, {}, "disease"), brute_force(toy, ev, "disease")
    frame = ex.to_frame()
    h = toy.states("disease").index(ex.target_state)
    for a, alt in enumerate(toy.states("disease")):
        if a == h:
            continue
        w = frame[frame["alternative"] == alt]
        assert abs(math.log(prior[h] / prior[a]) + w["woe"].sum() - math.log(post[h] / post[a])) < 1e-9
    before = {k: ev[k] for k in ("sex", "risk", "sign")}
    p_item = brute_force(toy, before, "test")[1]
    lik = brute_force(toy, ev, "disease") * p_item / brute_force(toy, before, "disease")
    for a, alt in enumerate(toy.states("disease")):
        if a != h:
            row = frame[(frame["variable"] == "test") & (frame["alternative"] == alt)].iloc[0]
            assert abs(row["woe"] - math.log(lik[h] / lik[a])) < 1e-9


def test_explanation_does_not_depend_on_the_order_the_evidence_is_given(model):
    ev = TOH.evidence
    a = model.explain(ev).to_frame()
    b = model.explain(dict(reversed(list(ev.items())))).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_speaks_for_and_against_follow_the_sign(model):
    ex = model.explain(scenarios.load("septic-hip-normal-initial-workup").evidence, target_state="infection")
    w = ex.weights()
    assert set(ex.speaks_for) == {f"{r.variable}={r.state}" for r in w.itertuples() if r.woe > 1e-9}
    assert set(ex.speaks_against) == {f"{r.variable}={r.state}" for r in w.itertuples() if r.woe < -1e-9}
    assert "synovial_fluid=septic" in ex.speaks_for and "inflammatory_markers=normal" in ex.speaks_against
    with pytest.raises(EvidenceError, match="did you mean 'transient_bmes'"):
        ex.weights("transient_bms")
    with pytest.raises(EvidenceError, match="empty"):
        model.explain({})
    with pytest.raises(EvidenceError, match="did you mean 'tumor'"):
        model.explain({"joint": "hip"}, target_state="tumour")


@pytest.mark.parametrize("evidence", [TOH.evidence, scenarios.load("tophaceous-gout-ankle").evidence])
def test_what_if_equals_requerying(model, evidence):
    ex = model.explain(evidence)
    frame = ex.what_if.to_frame()
    assert set(frame["variable"]) == set(evidence)
    for (var, state), part in frame.groupby(["variable", "state"]):
        changed = {**evidence, var: state}
        expected = model.posterior(changed).to_series()
        np.testing.assert_allclose(part.set_index("diagnosis")["probability"][expected.index], expected, atol=1e-14)
        assert part["observed"].all() == (state == evidence[var])


def test_what_if_marks_impossible_alternatives(model):
    ev = {"joint": "hip", "sex": "female", "pregnancy": "late_or_postpartum"}
    summary = model.explain(ev).what_if.summary()
    row = summary[(summary["variable"] == "sex") & (summary["state"] == "male")].iloc[0]
    assert not row["possible"] and math.isnan(row["p_target"])
    assert "impossible" in str(model.explain(ev).what_if)


def test_explanation_displays_and_plots(model):
    import matplotlib.pyplot as plt

    ex = model.explain(TOH.evidence)
    assert repr(ex).startswith("<Explanation of transient_bmes") and "Why transient_bmes?" in str(ex)
    assert "<table" in ex._repr_html_()
    ax = ex.plot()
    assert len(ax.patches) == len(ex.variables)
    assert "posterior odds" in ax.get_title()
    ax = ex.plot(versus="traumatic_fracture", unit="bits")
    assert "bits" in ax.get_xlabel()
    ax = ex.what_if.plot()
    assert len(ax.get_yticks()) == len(TOH.evidence)
    plt.close("all")


# ============================================================================================ likelihood ratios
@pytest.mark.parametrize("finding, diagnosis, positive, context", [
    ("fever", "infection", None, {"joint": "knee"}),
    ("mri_necrotic_segment", "osteonecrosis", None, {"joint": "hip", "corticosteroids": "yes"}),
    ("xray", "tumor", "lytic_or_destructive", {"joint": "hip", "age_group": "older"}),
    ("recent_trauma", "traumatic_fracture", None, {"joint": "hip", "age_group": "older", "sex": "female"}),
])
def test_likelihood_ratio_matches_brute_force(model, finding, diagnosis, positive, context):
    lr = model.likelihood_ratio(finding, diagnosis, positive=positive, context=context)
    states = model.states(DIAG)
    d = states.index(diagnosis)
    fstates = model.states(finding)
    k = fstates.index(lr.positive)
    pf = brute_force(model, context, finding)                       # P(f | ctx)
    pd_ = brute_force(model, context, DIAG)[d]                      # P(d | ctx)
    joint = np.array([pf[j] * brute_force(model, {**context, finding: s}, DIAG)[d] for j, s in enumerate(fstates)])
    p_d = joint / pd_
    p_not = (pf - joint) / (1 - pd_)
    assert abs(lr.lr_positive - p_d[k] / p_not[k]) < 1e-9 * lr.lr_positive
    assert abs(lr.lr_negative - (1 - p_d[k]) / (1 - p_not[k])) < 1e-9 * lr.lr_negative
    assert abs(lr.pre_test - pd_) < 1e-12
    # Bayes in odds form, both results: post-test odds = pre-test odds x LR
    odds = lambda p: p / (1 - p)  # noqa: E731
    frame = lr.to_frame().set_index("result")
    for result in ("positive", "negative"):
        r = frame.loc[result]
        assert abs(math.log(odds(r["post_test"])) - math.log(odds(r["pre_test"]) * r["lr"])) < 1e-9
    if model.variables[finding].parents == (DIAG,):   # direct Bayes: P(f | d, ctx) is the CPT entry
        assert abs(lr.sensitivity - _cpt(model, finding, diagnosis, lr.positive)) < 1e-12


def test_likelihood_ratio_rejects_bad_requests(model):
    with pytest.raises(EvidenceError, match="say which result counts"):
        model.likelihood_ratio("xray", "tumor")
    with pytest.raises(EvidenceError, match="already in the context"):
        model.likelihood_ratio("fever", "infection", context={"fever": "yes"})
    with pytest.raises(EvidenceError, match="did you mean 'fever'"):
        model.likelihood_ratio("fevr", "infection")
    with pytest.raises(EvidenceError, match="did you mean 'infection'"):
        model.likelihood_ratio("fever", "infecton")
    with pytest.raises(EvidenceError, match="diagnosis itself"):
        model.likelihood_ratio("diagnosis", "infection")


def test_fagan_plot(model):
    import matplotlib.pyplot as plt

    lr = model.likelihood_ratio("inflammatory_markers", "infection", positive="markedly_elevated",
                                context={"joint": "knee"})
    assert lr.negative == "not markedly_elevated" and "LR+" in repr(lr)
    ax = lr.plot()
    assert "Fagan" in ax.get_title()
    assert len(ax.get_legend().get_texts()) == 2
    plt.close("all")


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


# ============================================================================================ alerts
def test_alerts_fire_iff_probability_reaches_the_threshold(model):
    cfg = model.alert_config
    assert set(cfg.diagnoses) == {"infection", "tumor", "traumatic_fracture", "stress_fracture", "osteonecrosis"}
    for case in ALL:
        for _, ev in case.cumulative():
            post = model.posterior(ev)
            expected = {r.diagnosis for r in cfg.rules if post[r.diagnosis] >= r.threshold}
            assert {a.diagnosis for a in post.alerts} == expected
            assert model.alerts(ev) == post.alerts
            for a in post.alerts:
                assert a.probability == post[a.diagnosis] and a.reasoning == cfg[a.diagnosis].reasoning


def test_alert_even_when_not_ranked_first(model):
    post = model.posterior(scenarios.load("septic-hip-normal-initial-workup").evidence)
    assert post.top[0] != "infection"
    assert "infection" in {a.diagnosis for a in post.alerts}
    assert "alerts: infection" in repr(post) and "can't-miss alerts" in str(post)
    assert "Can't-miss alerts" in post._repr_html_()


def test_every_scenario_flags_the_cant_miss_its_source_asks_for(model):
    for case in ALL:
        flagged = {a.diagnosis for a in model.posterior(case.evidence).alerts}
        assert set(case.cant_miss) <= flagged, case.name


def test_posterior_text_is_unchanged_without_alerts(model):
    post = model.posterior({"joint": "knee", "age_group": "older", "mri_cartilage_loss": "present",
                            "xray": "degenerative", "inflammatory_markers": "normal"})
    assert post.alerts == ()
    assert "can't-miss" not in str(post) and "alerts" not in repr(post)
    assert model.posterior({"joint": "hip"}, target="sex").alerts == ()


def test_alert_check_agrees_with_the_posterior_and_with_its_parameter_sets(model):
    """AlertConfig.assess: the same alerts as Posterior.alerts; intervals and p_alert recomputed from the draws."""
    import matplotlib.pyplot as plt

    ev = scenarios.load("metastasis-classic").evidence
    unc = model.uncertainty(ev, n_samples=300, seed=3)
    check = model.alert_config.assess(unc)
    assert check.alerts == model.posterior(ev).alerts
    frame = check.to_frame()
    assert list(frame.columns) == ["diagnosis", "threshold", "probability", "lower", "upper", "p_alert", "alert",
                                   "reasoning"]
    assert set(frame["diagnosis"]) == set(model.alert_config.diagnoses)
    assert list(frame["alert"]) == sorted(frame["alert"], reverse=True)  # firing alerts first
    for r in frame.itertuples():
        draws = unc.samples[:, model.states(DIAG).index(r.diagnosis)]
        assert r.p_alert == pytest.approx(float(np.mean(draws >= r.threshold)), abs=1e-12)
        assert r.lower == pytest.approx(float(np.quantile(draws, 0.05)), abs=1e-12)
        assert r.upper == pytest.approx(float(np.quantile(draws, 0.95)), abs=1e-12)
    assert "tumor" in check.verdict and "fires in" in check.verdict
    assert "AlertCheck" in repr(check) and "<table" in check.to_html()
    ax = check.plot()
    assert ax.get_xscale() == "log" and len(ax.get_yticklabels()) == len(frame)
    plt.close("all")
    quiet = model.alert_config.assess(model.uncertainty({
        "joint": "knee", "age_group": "older", "mri_cartilage_loss": "present", "xray": "degenerative",
        "inflammatory_markers": "normal", "fever": "no", "mri_t1_marrow_replacement": "absent", "recent_trauma": "no",
        "mri_edema_site": "subchondral", "synovial_fluid": "not_inflammatory"}, n_samples=50, seed=0))
    assert quiet.alerts == () and quiet.verdict.startswith("None of the 5")
    with pytest.raises(BmesError, match="alert set is about"):
        model.alert_config.assess(model.uncertainty({"joint": "hip"}, target="sex", n_samples=10, seed=0))
    assert teaching.AlertConfig(()).assess(unc).verdict == "No can't-miss alerts are configured."


def _write_config(path, body):
    path.write_text("variable: diagnosis\nalerts:\n" + body)
    return path


def test_alert_config_is_validated_and_reports_every_problem(tmp_path, model):
    bad = _write_config(tmp_path / "bad.yaml",
                        "  infecton: {threshold: 0.05, reasoning: r, source: s}\n"
                        "  tumor: {threshold: 1.5, reasoning: r, source: s}\n"
                        "  osteonecrosis: {threshold: 0, reasoning: r, expert_judgement: e}\n"
                        "  stress_fracture: {threshold: 0.1, reasoning: '', source: s}\n"
                        "  traumatic_fracture: {threshold: 0.1, reasoning: r}\n"
                        "  infection: {threshold: 0.1, reasoning: r, source: s, treshold: 2}\n")
    with pytest.raises(SpecError) as exc:
        teaching.load_alert_config(bad, network=model.network)
    msg = str(exc.value)
    assert "6 problems" in msg
    assert "unknown diagnosis 'infecton'; did you mean 'infection'?" in msg
    assert msg.count("strictly between 0 and 1") == 2
    assert "'reasoning' must be non-empty" in msg and "give a 'source' or an 'expert_judgement'" in msg
    assert "did you mean 'threshold'" in msg and "bad.yaml:" in msg


def test_alert_config_can_be_replaced(tmp_path, model):
    cfg_path = _write_config(tmp_path / "only_tumor.yaml",
                             "  tumor: {threshold: 0.001, reasoning: Look for cancer., expert_judgement: test}\n")
    ev = {"joint": "hip", "fever": "yes"}
    custom = model.with_alerts(cfg_path)
    assert [a.diagnosis for a in custom.posterior(ev).alerts] == ["tumor"]
    assert [a.diagnosis for a in model.alerts(ev, config=cfg_path)] == ["tumor"]
    assert "infection" in {a.diagnosis for a in model.posterior(ev).alerts}  # the original is unchanged
    assert custom.next_test(ev, candidates=["xray"]).cant_miss == ("tumor",)
    assert model.with_alerts(teaching.AlertConfig(())).posterior(ev).alerts == ()


def test_toy_model_has_no_alerts_but_the_teaching_views_work(toy):
    assert "no can't-miss alerts" in repr(toy.alert_config)
    assert toy.posterior({"sex": "male"}, target="disease").alerts == ()
    nt = toy.next_test({"sex": "female"})
    assert set(nt.to_frame()["finding"]) == {"risk", "sign", "test"} and nt.cant_miss == ()
    w = toy.workup([("a", {"sex": "female"}), ("b", {"sign": "high"})], n_samples=10, seed=0)
    np.testing.assert_allclose(w.final.probabilities, brute_force(toy, {"sex": "female", "sign": "high"}, "disease"),
                               atol=1e-12)


# ============================================================================================ every scenario
@pytest.fixture
def cli_model(model, monkeypatch):
    """The CLI on the session model (no reload per call)."""
    import bmes_bayes.cli as cli

    monkeypatch.setattr(cli, "_model", lambda args: model)
    return model


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_every_scenario_can_be_taught_from_code_and_cli(cli_model, capsys, case):
    model = cli_model
    final = model.posterior(case.evidence)
    # from code
    w = model.workup(case, n_samples=16, seed=0)
    np.testing.assert_allclose(w.final.probabilities, final.probabilities, atol=1e-15)
    assert w.alerts == final.alerts
    ex = model.explain(case.evidence)
    assert ex.target_state == final.top[0]
    lo1 = math.log(final[ex.target_state]) - math.log(1 - final[ex.target_state])
    assert abs(ex.log_prior_odds() + ex.weights()["woe"].sum() - lo1) < 1e-9
    nt = model.next_test(case.evidence)
    frame = nt.to_frame()
    assert not set(frame["finding"]) & set(case.evidence)
    assert (frame["entropy_reduction"] >= 0).all() and nt.best is not None
    # from the command line
    assert main(["workup", case.name, "--samples", "16", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    got = np.array([data["final"]["posterior"][s] for s in final.states])
    np.testing.assert_allclose(got, final.probabilities, atol=1e-15)
    assert [a["diagnosis"] for a in data["final"]["alerts"]] == [a.diagnosis for a in final.alerts]
    assert data["explanation"]["target_state"] == ex.target_state
    ranked = [r["finding"] for r in data["next_test"]["ranking"]]
    assert ranked == list(frame["finding"]) and data["next_test"]["best"] == nt.best
    assert len(data["trajectory"]) == len(case.stages) * len(final.states)
    last = [r for r in data["trajectory"] if r["stage_index"] == len(case.stages)]
    np.testing.assert_allclose([r["probability"] for r in last], final.probabilities, atol=1e-15)


# ============================================================================================ command line
def test_cli_scenarios_lists_the_library(cli_model, capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for c in ALL:
        assert c.name in out
    assert "challenge" in out and "textbook" in out
    assert main(["scenarios", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["name"] for d in data] == [c.name for c in ALL]
    assert data[0]["expected"] == ALL[0].expected_leading and data[0]["stages"]


def test_cli_workup_text_reads_like_a_lesson(cli_model, capsys):
    assert main(["workup", "classic-toh", "--samples", "50", "--top", "5"]) == 0
    out = capsys.readouterr().out
    for heading in ("1. THE WORK-UP TRAJECTORY", "2. CAN'T-MISS ALERTS", "3. WHY TRANSIENT_BMES?",
                    "4. WHICH TEST NEXT?", "Teaching point:", "not a clinical device"):
        assert heading in out
    final = cli_model.posterior(TOH.evidence)
    for a in final.alerts:  # the alerts of the final stage, with the model's own numbers
        assert f"{a.diagnosis} {a.probability:.3f} (threshold {a.threshold:g})" in out
    assert f"best: {cli_model.next_test(TOH.evidence).best}" in out
    assert main(["workup", "classic-toh", "--samples", "20", "--costs"]) == 0
    assert "value_per_cost" in capsys.readouterr().out


def test_cli_workup_accepts_a_scenario_file(cli_model, capsys):
    assert main(["workup", TOH.path, "--samples", "10", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenario"]["name"] == "classic-toh"


@pytest.mark.parametrize("args, fragment", [
    (["workup", "clasic-toh"], "did you mean 'classic-toh'"),
    (["workup", "classic-toh", "--level", "1.5"], "level"),
    (["workup", "classic-toh", "--samples", "0"], "at least 1"),
    (["workup", "/nonexistent/case.yaml"], "cannot read"),
    (["workup", "classic-toh", "--costs", "/nonexistent/costs.yaml"], "cannot read"),
    (["workup"], "required"),
])
def test_cli_workup_bad_input_exits_2(cli_model, capsys, args, fragment):
    import sys

    with pytest.raises(SystemExit) as exc:
        sys.exit(main(args))
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert fragment in err and "Traceback" not in err
