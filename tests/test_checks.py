"""Arguments: one check per kind (bmes_bayes._checks), the package's own errors, and built-ins a caller already catches.

Every example of issue 13's "Arguments" bullet is here as a regression test: a huge cost, ``candidates=5``, a list
given as ``parent_states``, path arguments of the wrong type, ``threshold=True``, ``target_state=None``,
``Posterior['tumour']``, and ``except ValueError`` catching every bad-argument error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bmes_bayes
from bmes_bayes import _checks, scenarios, spec, teaching, validation
from bmes_bayes.exceptions import (ArgumentError, ArgumentTypeError, BmesError, EvidenceError, TooLargeError,
                                   UnknownNameError)

HIP = {"joint": "hip", "fever": "yes"}


# ------------------------------------------------------------------------------------------------ the tree
def test_the_error_tree_subclasses_the_built_ins():
    assert issubclass(ArgumentError, BmesError) and issubclass(ArgumentError, ValueError)
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(ArgumentTypeError, ValueError)
    assert issubclass(TooLargeError, ArgumentError)
    assert issubclass(EvidenceError, ArgumentError)
    assert issubclass(UnknownNameError, KeyError) and issubclass(UnknownNameError, EvidenceError)
    assert str(UnknownNameError("unknown state 'x'")) == "unknown state 'x'"  # not KeyError's quoted repr


# ------------------------------------------------------------------------------------------------ issue examples
def test_a_cost_beyond_the_float_range_is_our_error_not_an_overflow(model):
    with pytest.raises(ArgumentError, match=r"costs must be finite positive numbers \('fever'=1000"):
        model.next_test(HIP, costs={"fever": 10**400}, candidates=["fever"])
    with pytest.raises(ArgumentError, match="'fever'=True"):
        model.next_test(HIP, costs={"fever": True}, candidates=["fever"])


@pytest.mark.parametrize("candidates", [5, 2.5, "fever", {"fever": 1}, b"fever"])
def test_candidates_must_be_a_collection_of_names(model, candidates):
    with pytest.raises(ArgumentTypeError, match="candidates must be a list of variable names") as err:
        model.next_test(HIP, candidates=candidates)
    assert isinstance(err.value, TypeError) and isinstance(err.value, ValueError)


def test_candidates_accept_any_iterable_and_name_unknown_entries(model):
    a = model.next_test(HIP, candidates=("crp_elevated", "xray") if "crp_elevated" in model.network else ["xray"])
    b = model.next_test(HIP, candidates=iter(list(a.to_frame()["finding"])))
    assert list(a.to_frame()["finding"]) == list(b.to_frame()["finding"])
    with pytest.raises(UnknownNameError, match="did you mean 'fever'"):
        model.next_test(HIP, candidates=["fevr"])
    with pytest.raises(UnknownNameError, match="unknown variable 5"):
        model.next_test(HIP, candidates=[5])


def test_parent_states_must_be_a_mapping(model):
    with pytest.raises(ArgumentTypeError, match=r"parent_states must be a mapping, such as \{'diagnosis': "):
        model.sensitivity_function(HIP, "fever", ["infection"], "yes", target_state="infection")
    sf = model.sensitivity_function(HIP, "fever", {"diagnosis": "infection"}, "yes", target_state="infection")
    assert sf.parent_states == {"diagnosis": "infection"}


@pytest.mark.parametrize("call", [
    lambda m: bmes_bayes.load_model(5),
    lambda m: bmes_bayes.load_model(priors=5),
    lambda m: bmes_bayes.load_model(b"networks/bmes.yaml"),
    lambda m: bmes_bayes.load_network(3.5),
    lambda m: spec.load_network(["networks/bmes.yaml"]),
    lambda m: spec.load_priors(7, m.network),
    lambda m: spec.load_priors([None], m.network),
    lambda m: scenarios.load(5),
    lambda m: scenarios.load_all(5),
    lambda m: teaching.load_alert_config(5, network=m.network),
    lambda m: teaching.load_test_costs(5),
    lambda m: validation.validate(m, cases=5),
    lambda m: m.with_alerts(5),
    lambda m: m.alerts({"joint": "hip"}, config=5.0),
], ids=["load_model", "priors", "bytes", "load_network", "spec.load_network", "load_priors", "prior list",
        "scenario", "scenario dir", "alerts file", "costs file", "validation cases", "with_alerts", "alerts"])
def test_path_arguments_of_the_wrong_type(model, call):
    with pytest.raises(ArgumentTypeError, match="must be a path") as err:
        call(model)
    assert isinstance(err.value, TypeError) and isinstance(err.value, ValueError)


@pytest.mark.parametrize("value", ["", "a\0b"])
def test_unusable_path_text_is_refused_before_the_file_system(value):
    with pytest.raises(ArgumentError, match="not a usable path"):
        bmes_bayes.load_model(value)


def test_a_bool_is_never_a_number(model, toy):
    with pytest.raises(ArgumentTypeError, match=r"threshold must be a probability in \(0, 1\], got True"):
        toy.uncertainty({}, target="disease", n_samples=5, seed=0, threshold=True)
    with pytest.raises(ArgumentTypeError, match="level"):
        toy.uncertainty({}, target="disease", n_samples=5, seed=0, level=True)
    with pytest.raises(ArgumentTypeError, match="n_samples must be a whole number"):
        toy.uncertainty({}, target="disease", n_samples=True, seed=0)
    with pytest.raises(ArgumentTypeError, match="at_least"):
        model.tune(HIP, "infection", at_least=True)
    with pytest.raises(ArgumentTypeError, match="checks must be True or False"):
        model.posterior(HIP, checks=1)
    res = toy.uncertainty({}, target="disease", n_samples=5, seed=0, threshold=1)  # an int 1 is the number 1
    assert res.threshold == 1.0


def test_target_state_none_is_refused_where_it_is_required(model):
    """tune and sensitivity_function ask about one state: None there would be a guess, so it is refused."""
    with pytest.raises(ArgumentTypeError, match="target_state is required"):
        model.tune(HIP, None, at_least=0.5)
    with pytest.raises(ArgumentTypeError, match="target_state is required"):
        model.sensitivity_function(HIP, "fever", {"diagnosis": "infection"}, "yes", target_state=None)


def test_target_state_none_is_the_documented_current_top_where_it_is_optional(model):
    top = model.posterior(HIP).top[0]
    assert model.one_way(HIP, target_state=None).target_state == top
    assert model.explain(HIP, target_state=None).target_state == top
    assert model.sobol(HIP, target_state=None, n=4, seed=0, groups="node").target_state == top


def test_an_unknown_state_of_a_posterior_is_a_key_error_with_the_closest_match(model):
    post = model.posterior(HIP)
    with pytest.raises(KeyError) as err:
        post["tumour"]
    assert isinstance(err.value, UnknownNameError) and isinstance(err.value, ValueError)
    message = str(err.value)
    assert "did you mean 'tumor'?" in message and "osteonecrosis" in message and "tuple.index" not in message
    with pytest.raises(UnknownNameError):
        post[3]
    assert post["tumor"] == pytest.approx(float(post.to_series()["tumor"]))
    with pytest.raises(KeyError, match="did you mean 'fever'"):
        model.variables["fevr"]


BAD_CALLS = {
    "n_samples=0": lambda m: m.uncertainty(HIP, n_samples=0),
    "n_samples=2.0": lambda m: m.uncertainty(HIP, n_samples=2.0),
    "level=1": lambda m: m.uncertainty(HIP, n_samples=5, level=1),
    "level=nan": lambda m: m.one_way(HIP, level=float("nan")),
    "threshold=0": lambda m: m.uncertainty(HIP, n_samples=5, threshold=0),
    "seed=-1": lambda m: m.uncertainty(HIP, n_samples=5, seed=-1),
    "seed=True": lambda m: m.uncertainty(HIP, n_samples=5, seed=True),
    "sobol n=3": lambda m: m.sobol(HIP, n=3),
    "sobol groups": lambda m: m.sobol(HIP, n=4, groups="nodes"),
    "covariation": lambda m: m.sensitivity_function(HIP, "fever", {"diagnosis": "infection"}, "yes",
                                                    target_state="infection", covariation="linear"),
    "node": lambda m: m.admissible_deviation(HIP, node="fevr"),
    "state": lambda m: m.sensitivity_function(HIP, "fever", {"diagnosis": "infection"}, "si",
                                              target_state="infection"),
    "at_least=1": lambda m: m.tune(HIP, "infection", at_least=1.0),
    "rank_by": lambda m: m.next_test(HIP, rank_by="info"),
    "costs list": lambda m: m.next_test(HIP, costs=[1, 2]),
    "workup level": lambda m: m.workup([("a", {"joint": "hip"})], n_samples=5, level=0),
    "workup n_samples": lambda m: m.workup([("a", {"joint": "hip"})], n_samples=-5),
    "lr positive": lambda m: m.likelihood_ratio("fever", "infection", positive="si"),
    "target": lambda m: m.posterior(HIP, target=["diagnosis"]),
    "evidence": lambda m: m.posterior({"fever": True}),
    "ess": lambda m: bmes_bayes.load_network(Path("x.bif"), ess=0),
    "curve n": lambda m: m.sensitivity_function(HIP, "fever", {"diagnosis": "infection"}, "yes",
                                                target_state="infection").curve(n=True),
    "plot n": lambda m: m.next_test(HIP).plot(n=-1),
    "validate models": lambda m: validation.validate(m, models="network"),
    "drop_unknown": lambda m: validation.load_cases(drop_unknown="yes"),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_except_value_error_catches_every_bad_argument(model, name):
    """A caller's ``except ValueError`` catches the package's refusal of any bad argument, and it is ours."""
    try:
        BAD_CALLS[name](model)
    except ValueError as exc:
        assert isinstance(exc, BmesError), type(exc)
        assert str(exc).strip() and len(str(exc)) < 2000
    else:  # pragma: no cover - the call must fail
        pytest.fail(f"{name} was accepted")


# ------------------------------------------------------------------------------------------------ the checks
@pytest.mark.parametrize("value, ok", [(0, True), (1, True), (0.5, True), (np.float32(0.25), True), (True, False),
                                       (np.bool_(False), False), (-0.1, False), (1.0000001, False),
                                       (float("nan"), False), (10**400, False), ("0.5", False), (None, False),
                                       (0.5 + 0j, False)])
def test_probability(value, ok):
    if ok:
        assert _checks.probability(value, "p") == float(value)
    else:
        with pytest.raises(ArgumentError, match="p must be a probability in"):
            _checks.probability(value, "p")


@pytest.mark.parametrize("value, ok", [(1, True), (np.int64(7), True), (0, False), (True, False), (2.0, False),
                                       ("3", False), (None, False)])
def test_count(value, ok):
    if ok:
        assert _checks.count(value, "n") == int(value) and type(_checks.count(value, "n")) is int
    else:
        with pytest.raises(ArgumentError, match="n must be a whole number of at least 1"):
            _checks.count(value, "n")
    with pytest.raises(TooLargeError, match="at most 10"):
        _checks.count(11, "n", maximum=10)


def test_level_positive_choice_flag_and_path():
    assert _checks.level(0.9) == 0.9
    for bad in (0, 1, 0.0, 1.0, -1, True, "0.9"):
        with pytest.raises(ArgumentError):
            _checks.level(bad)
    assert _checks.positive(10**300, "cost") == 1e300
    for bad in (0, -1, float("inf"), 10**400, True, "1"):
        with pytest.raises(ArgumentError):
            _checks.positive(bad, "cost")
    assert _checks.choice("node", "groups", ("parameter", "node")) == "node"
    with pytest.raises(ArgumentError, match="did you mean 'node'"):
        _checks.choice("nodes", "groups", ("parameter", "node"))
    with pytest.raises(ArgumentTypeError):
        _checks.choice(None, "groups", ("parameter", "node"))
    assert _checks.flag(np.bool_(True), "x") is True
    with pytest.raises(ArgumentTypeError):
        _checks.flag(0, "x")
    assert _checks.path(Path("a/b")) == Path("a/b") == _checks.path("a/b")
    for bad in (b"a", 3, None, ["a"]):
        with pytest.raises(ArgumentTypeError):
            _checks.path(bad)


def test_names_reads_a_bounded_prefix_of_an_endless_iterable(model):
    import itertools

    with pytest.raises(TooLargeError, match="more than"):
        _checks.names(itertools.repeat("fever"), "candidates", model.network)
    assert _checks.names(["fever", "fever", "xray"], "candidates", model.network) == ("fever", "xray")


@pytest.mark.parametrize("value", [10**400, "true", True, 0, 1, ".nan"])
def test_a_threshold_or_cost_in_a_file_beyond_the_float_range_is_a_problem_not_an_overflow(model, tmp_path, value):
    """The alert and test-cost files use the same checks as the arguments (an int of 401 digits is legal YAML)."""
    from bmes_bayes.exceptions import SpecError

    alerts = tmp_path / "alerts.yaml"
    alerts.write_text(f"alerts:\n  infection:\n    threshold: {value}\n    reasoning: r\n    source: s\n",
                      encoding="utf-8")
    with pytest.raises(SpecError, match="threshold must be a number strictly between 0 and 1"):
        teaching.load_alert_config(alerts, network=model.network)
    costs = tmp_path / "costs.yaml"
    costs.write_text(f"costs:\n  fever:\n    cost: {value if value != 1 else -1}\n    source: s\n", encoding="utf-8")
    with pytest.raises(SpecError, match="cost must be a positive number"):
        teaching.load_test_costs(costs, network=model.network)
