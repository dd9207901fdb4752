"""Every scenario of the library taught from code and from the command line (``workup``, ``scenarios``): the
teaching views together, as a user meets them."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from bmes_bayes.cli import main

from .helpers import ALL, TOH


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
