"""The command line: readable tables, JSON, exit code 0 on success and 2 on bad input with no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from bmes_bayes.cli import main


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_query_prints_a_table(capsys, model):
    code, out, err = run(["query", "joint=hip", "onset=sudden", "mri_necrotic_segment=absent"], capsys)
    assert code == 0 and err == ""
    expected = model.posterior({"joint": "hip", "onset": "sudden", "mri_necrotic_segment": "absent"})
    top, p = expected.top
    assert f"{top}" in out.splitlines()[1] and f"{p:.3f}" in out.splitlines()[1]
    assert "not a clinical device" in out


def test_query_json_matches_the_api(capsys, model):
    code, out, _ = run(["query", "--json", "joint=knee", "age_group=older", "mri_cartilage_loss=present"], capsys)
    assert code == 0
    data = json.loads(out)
    expected = model.posterior({"joint": "knee", "age_group": "older", "mri_cartilage_loss": "present"})
    got = np.array([data["posterior"][s] for s in expected.states])
    np.testing.assert_allclose(got, expected.probabilities, atol=1e-15)
    assert data["model"]["digest"] == model.info.digest


def test_soft_evidence_on_the_command_line(capsys, model):
    code, out, _ = run(["query", "--json", "joint=hip", "fever=no:0.2,yes:0.8"], capsys)
    assert code == 0
    got = json.loads(out)["posterior"]
    expected = model.posterior({"joint": "hip", "fever": {"no": 0.2, "yes": 0.8}})
    assert abs(got["infection"] - expected["infection"]) < 1e-15


@pytest.mark.parametrize("args, fragment", [
    (["query", "jont=hip"], "did you mean 'joint'"),
    (["query", "joint=hipp"], "did you mean 'hip'"),
    (["query", "joint"], "not of the form variable=state"),
    (["query", "sex=male", "pregnancy=late_or_postpartum"], "impossible evidence"),
    (["query", "--target", "diagnosys"], "did you mean 'diagnosis'"),
    (["query", "fever=no:x,yes:1"], "not a number"),
    (["query", "joint=hip", "joint=knee"], "given twice"),
    (["frobnicate"], "invalid choice"),
    (["--model", "/nonexistent/path.yaml", "variables"], "no such file"),
])
def test_bad_input_exits_2_with_a_message_and_no_traceback(capsys, args, fragment):
    with pytest.raises(SystemExit) as exc:
        sys.exit(main(args))
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert fragment in err
    assert "Traceback" not in err


def test_variables_lists_the_vocabulary(capsys, model):
    code, out, _ = run(["variables"], capsys)
    assert code == 0
    for name in model.variables:
        assert name in out
    code, out, _ = run(["variables", "--json"], capsys)
    assert [v["variable"] for v in json.loads(out)] == list(model.variables)


def test_console_script_runs_as_a_process():
    proc = subprocess.run([sys.executable, "-m", "bmes_bayes", "query", "joint=hip", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert abs(sum(json.loads(proc.stdout)["posterior"].values()) - 1) < 1e-12
    proc = subprocess.run([sys.executable, "-m", "bmes_bayes", "query", "joint=elbow"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "elbow" in proc.stderr


def test_closed_pipe_is_not_an_error():
    """`bmes-bayes variables | head -1`: the reader leaves early; no 'internal error', no traceback."""
    proc = subprocess.run(f"{sys.executable} -m bmes_bayes variables | head -n 1", shell=True,
                          capture_output=True, text=True, timeout=120)
    assert proc.stdout.count("\n") == 1
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
