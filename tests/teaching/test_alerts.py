"""``bmes_bayes.teaching.alerts``: can't-miss alerts fire exactly when the probability reaches the threshold."""

from __future__ import annotations

import numpy as np
import pytest

from bmes_bayes import BmesError, SpecError, scenarios, teaching

from ..reference import brute_force
from .helpers import ALL, DIAG


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
