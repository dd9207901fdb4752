"""The teaching package's surface after the split into one module per method (issue 10): every old import path,
the renamed keywords (``evidence``, ``n``) with their deprecated old names, the shared interval and p_top summaries,
read-only arrays, and the display built by the one display base."""

from __future__ import annotations

import importlib
import inspect
import warnings

import numpy as np
import pytest

from bmes_bayes import ArgumentTypeError, draws, teaching

HIP = {"joint": "hip", "age_group": "middle", "sex": "male"}
KNEE = {"joint": "knee"}
OLD_ALL = ["ALL_OTHERS", "Alert", "AlertCheck", "AlertConfig", "AlertRule", "Explanation", "LikelihoodRatio",
           "NextTest", "WhatIf", "Workup", "alert_config_for", "alerts", "explain", "likelihood_ratio",
           "load_alert_config", "load_test_costs", "next_test", "workup"]


# -------------------------------------------------------------------------------- import paths
def test_every_old_name_is_importable_from_teaching():
    """The old ``teaching.__all__`` plus the names other modules import (cli, benchmarks, tests)."""
    for name in [*OLD_ALL, "DECIBANS_PER_NAT", "BITS_PER_NAT", "diagnosis_variable", "_outcome_values"]:
        assert hasattr(teaching, name), name
    assert set(OLD_ALL) <= set(teaching.__all__)


def _module(name: str):
    """A submodule of teaching by name (``import bmes_bayes.teaching.workup as m`` would give the function
    ``teaching.workup``, which the package re-exports under the module's name)."""
    return importlib.import_module(f"bmes_bayes.teaching.{name}")


def test_each_method_lives_in_its_own_module():
    m_alerts, m_explain, m_lr, m_next, m_workup = map(_module, ["alerts", "explain", "likelihood_ratio",
                                                                 "next_test", "workup"])

    assert teaching.workup is m_workup.workup and teaching.Workup is m_workup.Workup
    assert teaching.explain is m_explain.explain and teaching.WhatIf is m_explain.WhatIf
    assert teaching.likelihood_ratio is m_lr.likelihood_ratio
    assert teaching.next_test is m_next.next_test
    assert teaching.alerts is m_alerts.alerts and teaching.AlertCheck is m_alerts.AlertCheck


def test_conflict_keeps_its_old_path():
    import bmes_bayes.conflict as old

    new = _module("conflict")

    for name in old.__all__:
        assert getattr(old, name) is getattr(new, name)
    assert teaching.conflict is new.conflict


# -------------------------------------------------------------------------------- renamed keywords
def _one_deprecation(record) -> warnings.WarningMessage:
    deps = [w for w in record if issubclass(w.category, DeprecationWarning)]
    assert len(deps) == 1, [str(w.message) for w in record]
    assert deps[0].filename == __file__, "the warning must point at the caller"
    return deps[0]


def test_likelihood_ratio_takes_evidence_like_every_other_function(model):
    """``evidence`` by keyword or position; ``context=`` still works with a DeprecationWarning at the caller."""
    by_keyword = teaching.likelihood_ratio(model, "fever", "infection", evidence=KNEE)
    by_position = teaching.likelihood_ratio(model, "fever", "infection", KNEE)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        old = teaching.likelihood_ratio(model, "fever", "infection", context=KNEE)
    assert "context=" in str(_one_deprecation(record).message)
    for lr in (by_position, old, model.likelihood_ratio("fever", "infection", evidence=KNEE)):
        assert lr.to_frame().equals(by_keyword.to_frame())
        assert lr.evidence == by_keyword.evidence == {"joint": "knee"}
    with pytest.raises(ArgumentTypeError, match="evidence= only"):
        teaching.likelihood_ratio(model, "fever", "infection", evidence=KNEE, context=KNEE)


def test_likelihood_ratio_context_attribute_is_deprecated(model):
    lr = teaching.likelihood_ratio(model, "fever", "infection", KNEE)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert lr.context == lr.evidence
    _one_deprecation(record)
    assert "joint=knee" in lr.to_html()      # the evidence is shown by the display base


def test_every_evidence_argument_is_called_evidence():
    for fn in (teaching.explain, teaching.next_test, teaching.alerts, teaching.likelihood_ratio, teaching.conflict):
        assert "evidence" in inspect.signature(fn).parameters, fn.__name__


@pytest.mark.parametrize("call", ["what_if.text", "outcome_text", "__str__", "plot"])
def test_row_counts_are_n_and_limit_is_deprecated(model, call):
    import matplotlib.pyplot as plt

    nxt = model.next_test(HIP)
    why = model.explain({"joint": "hip", "mri_necrotic_segment": "present", "corticosteroids": "yes"})
    calls = {
        "what_if.text": lambda **kw: why.what_if.text(**kw),
        "outcome_text": lambda **kw: nxt.outcome_text(nxt.best, **kw),
        "__str__": lambda **kw: nxt.__str__(**kw),
        "plot": lambda **kw: len(nxt.plot(**kw).patches),
    }
    fn = calls[call]
    new = fn(n=2)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        old = fn(limit=2)
    assert "limit=" in str(_one_deprecation(record).message)
    assert old == new
    with pytest.raises(ArgumentTypeError):
        fn(n=2, limit=2)
    plt.close("all")


def test_default_credible_level_is_0_9():
    assert inspect.signature(teaching.workup).parameters["level"].default == 0.9


# -------------------------------------------------------------------------------- one summary of draws
def test_workup_bands_are_the_shared_equal_tailed_interval_and_p_top(model):
    """Bit for bit what the hand-written quantiles and bincount gave before the split."""
    w = model.workup([("a", HIP), ("b", {"fever": "no"})], n_samples=40, seed=3, level=0.8)
    frame = w.to_frame()
    for i in range(len(w.stages)):
        part = frame[frame["stage_index"] == i + 1]
        q = np.quantile(w.samples[i], [(1 - 0.8) / 2, (1 + 0.8) / 2], axis=0)
        top = np.bincount(w.samples[i].argmax(axis=1), minlength=len(w.states)) / w.n_samples
        assert part["lower"].to_numpy().tobytes() == q[0].tobytes()
        assert part["upper"].to_numpy().tobytes() == q[1].tobytes()
        assert part["p_top"].to_numpy().tobytes() == top.tobytes()
        lo, hi = draws.equal_tailed(w.samples[i], 0.8)
        assert np.array_equal(part["lower"], lo) and np.array_equal(part["upper"], hi)


def test_alert_check_interval_is_the_shared_equal_tailed_interval(model):
    unc = model.uncertainty(KNEE, n_samples=40, seed=0)
    check = model.alert_config.assess(unc)
    idx = [unc.states.index(r.diagnosis) for r in check.rules]
    lo, hi = draws.equal_tailed(unc.samples[:, idx], unc.level)
    assert np.array_equal(check.lower, lo) and np.array_equal(check.upper, hi)


# -------------------------------------------------------------------------------- frozen arrays and display
def test_arrays_held_by_results_are_read_only(model):
    w = model.workup([("a", HIP)], n_samples=10, seed=0)
    ex = model.explain(HIP)
    lr = model.likelihood_ratio("fever", "infection")
    nxt = model.next_test(HIP)
    for arr in (w.samples, ex.steps, lr.p_given_diagnosis, lr.p_given_other, lr.post_test, nxt.current):
        with pytest.raises(ValueError):
            arr[..., 0] = 0.5


def test_displays_come_from_the_frame_with_title_evidence_and_footer(model):
    results = [model.workup([("history", HIP)], n_samples=10, seed=0), model.explain(HIP),
               model.likelihood_ratio("fever", "infection", evidence=KNEE), model.next_test(HIP),
               model.conflict(HIP)]
    for res in results:
        page, data = res.to_html(), res.to_dict()
        assert "<pre>" not in page, type(res).__name__          # the display base did not fall back
        assert "<table" in page and "Educational and research model" in page
        assert "Evidence:" in page and data["evidence"]
        assert data["title"] != type(res).__name__               # a real title, not the class name
    assert "stage 1 history: joint=hip" in results[0].to_html()  # the stages, as notes under the table
