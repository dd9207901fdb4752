"""Views never recompute (docs/architecture.md): every result's ``.plot()``, HTML and dict, and a report's rendering,
work from the computed result alone, with the model's queries broken.

The result classes are found by walking the package for subclasses of the display base, so a new result without an
entry in ``BUILDERS`` fails ``test_every_result_class_is_covered``.
"""

from __future__ import annotations

import importlib
import pkgutil

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import bmes_bayes  # noqa: E402
from bmes_bayes.display import ResultDisplay  # noqa: E402

EV = {"joint": "hip", "corticosteroids": "yes", "mri_necrotic_segment": "present", "onset": "sudden"}
TOP = "osteonecrosis"


def _result_classes() -> dict[str, type]:
    """Every ResultDisplay subclass defined in the package (its modules imported first)."""
    for info in pkgutil.walk_packages(bmes_bayes.__path__, prefix="bmes_bayes."):
        if info.name.split(".")[-1] != "__main__":
            importlib.import_module(info.name)
    found: dict[str, type] = {}
    todo = list(ResultDisplay.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls.__module__.startswith("bmes_bayes."):
            found[cls.__name__] = cls
    return found


def _validation(m):
    from bmes_bayes.report.model_card import _shipped_validation

    return _shipped_validation(m)


#: How to compute one result of each class (cheap options: these tests are about the views).
BUILDERS = {
    "Posterior": lambda m: m.posterior(EV),
    "Vocabulary": lambda m: m.variables,
    "Marginals": lambda m: m.marginals(EV),
    "Conflict": lambda m: m.conflict(EV),
    "Uncertainty": lambda m: m.uncertainty(EV, n_samples=30, seed=0, progress=False),
    "DeltaUncertainty": lambda m: m.delta_uncertainty(EV),
    "OneWay": lambda m: m.one_way(EV),
    "SensitivityFunction": lambda m: m.sensitivity_function(EV, "mri_necrotic_segment", {"diagnosis": TOP}, "present",
                                                            target_state=TOP),
    "AdmissibleDeviation": lambda m: m.admissible_deviation(EV, node="mri_necrotic_segment"),
    "Tuning": lambda m: m.tune(EV, "transient_bmes", at_least=0.2),
    "Sobol": lambda m: m.sobol(EV, n=64, seed=0, groups="node", progress=False),
    "Atlas": lambda m: m.atlas({"joint": "*"}, fixed={"onset": "sudden"}, n_samples=20),
    "AlertConfig": lambda m: m.alert_config,
    "AlertCheck": lambda m: m.alert_config.assess(m.uncertainty(EV, n_samples=30, seed=0, progress=False)),
    "Workup": lambda m: m.workup([{"joint": "hip"}, {"onset": "sudden"}], n_samples=20, seed=0),
    "Explanation": lambda m: m.explain(EV),
    "WhatIf": lambda m: m.explain(EV).what_if,
    "LikelihoodRatio": lambda m: m.likelihood_ratio("mri_necrotic_segment", TOP),
    "NextTest": lambda m: m.next_test(EV),
    "Validation": _validation,
}


def test_every_result_class_is_covered():
    classes = _result_classes()
    missing = sorted(set(classes) - set(BUILDERS))
    assert not missing, f"result classes without a views-never-recompute test: {missing} (add them to BUILDERS)"


def _break(monkeypatch, model) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("a view must not recompute")

    for name in ("query", "posterior", "possible"):
        monkeypatch.setattr(type(model), name, refuse)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_result_displays_and_plots_without_the_model(model, monkeypatch, name):
    result = BUILDERS[name](model)
    assert type(result).__name__ == name
    _break(monkeypatch, model)
    with pytest.raises(AssertionError, match="must not recompute"):
        model.posterior(EV)  # the model is broken indeed
    html = result.to_html()
    assert not html.startswith("<pre>"), html[:300]  # the fallback would hide a failure
    result.to_dict()
    repr(result)
    if callable(getattr(result, "plot", None)):
        ax = result.plot()
        assert isinstance(ax, matplotlib.axes.Axes)
    plt.close("all")


def test_a_report_renders_without_the_model(model, monkeypatch):
    from bmes_bayes.report import complete_report

    rep = complete_report(model, scenario="classic-toh", n_samples=30)
    _break(monkeypatch, model)
    for name in ("marginals", "sensitivity", "workup", "next_test", "one_way"):
        monkeypatch.setattr(type(model), name, lambda *a, **k: pytest.fail("a render must not compute"))
    page = rep.to_html()
    assert list(rep.sections) == ["alerts", "workup", "next_test", "tornado"]
    assert page.count('src="data:image/png;base64,') + page.count('src="data:image/svg+xml;base64,') == 6
    plt.close("all")
