"""The one reader pattern of spec/: every data file reports every problem at once with its file and line, unknown
keys name the valid keys and the closest, and every number carries its provenance.

Each test here was a defect of a reader before the readers shared the pattern (accepted silently, or stopped at
the first problem); the expected messages are those the rule prescribes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from bmes_bayes import SpecError, spec
from bmes_bayes.spec import load_alert_config, load_cases, load_network, load_test_costs
from bmes_bayes.spec.scenarios import load as load_scenario

from ..conftest import ROOT


@pytest.fixture(scope="module")
def net():
    return load_network(ROOT / "networks" / "bmes.yaml")


def _problems(exc: pytest.ExceptionInfo) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in exc.value.problems]


def _write(path, text: str):
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- the rules
def test_unknown_key_rule_names_the_closest_and_every_valid_key(tmp_path):
    f = str(tmp_path / "x.yaml")
    [p] = spec.unknown_keys({"treshold": 1, "threshold": 2}, ("threshold", "reasoning"), f, "alert 'tumor'")
    assert p.message == ("unknown key 'treshold' in alert 'tumor'; did you mean 'threshold'? "
                         "(valid keys: threshold, reasoning)")
    [q] = spec.unknown_keys({"colour": 1}, ("threshold", "reasoning"), f, "alert 'tumor'")
    assert q.message == "unknown key 'colour' in alert 'tumor' (valid keys: threshold, reasoning)"


def test_provenance_rule_checks_every_key_given(tmp_path):
    reader = spec.Reader("test file")
    assert reader.provenance({"source": " a  b ", "expert_judgement": "c"}, "f").text == "a b | Expert judgement: c"
    assert reader.provenance({"source": 5, "expert_judgement": ""}, "f", "x") is None
    assert [p.message for p in reader.problems] == ["x: 'source' must be non-empty text",
                                                    "x: 'expert_judgement' must be non-empty text"]
    reader.problems.clear()
    assert reader.provenance({}, "f", "x") is None
    assert "no 'source' and no 'expert_judgement'; give a 'source' or an 'expert_judgement'" in reader.problems[0].message
    reader.problems.clear()
    assert reader.provenance({"expert_judgement": "e"}, "f", "case 'a'", expert=False) is None
    assert reader.problems[0].message == "case 'a': no 'source': a published case must cite the publication"


# ------------------------------------------------------------------------------------------- test costs
def test_cost_reader_reports_unknown_keys_and_every_problem_of_an_entry(tmp_path, net):
    """Before: unknown keys in an entry were accepted silently, a non-text source counted as provenance, and an
    entry stopped at its first problem (an unknown variable hid its bad cost; a bad cost hid a missing source)."""
    bad = _write(tmp_path / "costs.yaml", """
        units: blood tests
        costs:
          fever: {cost: 1, expert_judgement: x, sorce: y}
          xray: {cost: 2, source: 5}
          fevr: {cost: -1, expert_judgement: x}
          night_pain: {cost: 0}
        """)
    with pytest.raises(SpecError) as exc:
        load_test_costs(bad, network=net)
    found = _problems(exc)
    assert (1, "unknown key 'units' in the test cost file; did you mean 'unit'? (valid keys: costs, unit, note)") in found
    assert any(line == 3 and "unknown key 'sorce'" in m and "did you mean 'source'?" in m for line, m in found)
    assert (4, "xray: 'source' must be non-empty text") in found
    assert any(line == 5 and "unknown variable 'fevr'" in m for line, m in found)
    assert any(line == 5 and "fevr: cost must be a positive number" in m for line, m in found)
    assert any(line == 6 and "night_pain: cost must be a positive number" in m for line, m in found)
    assert any(line == 6 and "night_pain: no 'source' and no 'expert_judgement'" in m for line, m in found)
    assert len(found) == 7


def test_cost_reader_reports_top_level_keys_even_without_costs(tmp_path, net):
    bad = _write(tmp_path / "costs.yaml", "cost: {}\n")
    with pytest.raises(SpecError) as exc:
        load_test_costs(bad, network=net)
    messages = [m for _, m in _problems(exc)]
    assert any("unknown key 'cost'" in m and "did you mean 'costs'?" in m for m in messages)
    assert any("must hold a 'costs' mapping" in m for m in messages)


def test_shipped_costs_still_read(net):
    costs = load_test_costs(network=net)
    assert costs and all(c > 0 for c in costs.values())


# ------------------------------------------------------------------------------------------- alerts
def test_alert_reader_goes_on_after_an_unknown_variable(tmp_path, net):
    """Before: an unknown ``variable`` stopped the reading, so the alerts' own problems came one run later."""
    bad = _write(tmp_path / "alerts.yaml", """
        variable: diagnoss
        alerts:
          tumor: {threshold: 2, reasoning: r, source: s}
          infection: {threshold: 0.1, reasoning: r}
        """)
    with pytest.raises(SpecError) as exc:
        load_alert_config(bad, network=net)
    found = _problems(exc)
    assert any(line == 1 and "unknown variable 'diagnoss'; did you mean 'diagnosis'?" in m for line, m in found)
    assert any(line == 3 and "threshold must be a number strictly between 0 and 1" in m for line, m in found)
    assert any(line == 4 and "give a 'source' or an 'expert_judgement'" in m for line, m in found)


def test_alert_reader_refuses_a_variable_that_is_not_a_name(tmp_path, net):
    """Before: ``variable: [a, b]`` raised a TypeError (unhashable list) instead of a SpecError."""
    bad = _write(tmp_path / "alerts.yaml", "variable: [a, b]\nalerts:\n  tumor: {threshold: 0.1, reasoning: r, source: s}\n")
    with pytest.raises(SpecError, match="unknown variable"):
        load_alert_config(bad, network=net)


def test_alert_config_html_comes_from_the_display_base(net):
    cfg = load_alert_config(network=net)
    html = cfg.to_html()
    assert "t-miss diagnoses (flagged at or above the threshold)" in html and "<table" in html and "infection" in html
    assert cfg.to_dict()["title"].startswith("Can't-miss diagnoses")


# ------------------------------------------------------------------------------------------- scenarios
def test_scenario_reader_checks_a_stage_without_evidence_and_cites_its_source(tmp_path, net):
    """Before: a stage without an evidence mapping skipped the check of its stage name."""
    bad = _write(tmp_path / "case.yaml", """
        name: case
        title: t
        kind: textbook
        narrative: n
        teaching_point: p
        expected: {leading: infection, cant_mis: []}
        stages:
          - stage: histroy
          - stage: mri
            evidence: {fevr: 'yes', mri_edema_pattern: difuse}
        """)
    with pytest.raises(SpecError) as exc:
        load_scenario(bad, network=net)
    found = _problems(exc)
    assert any("no 'source': a published case must cite the publication" in m for _, m in found)
    assert any(line == 6 and "unknown key 'cant_mis'" in m and "(valid keys: leading, cant_miss)" in m for line, m in found)
    assert any(line == 8 and "unknown stage 'histroy'; did you mean 'history'?" in m for line, m in found)
    assert any(line == 8 and "'evidence' mapping" in m for line, m in found)
    assert any(line == 10 and "unknown variable 'fevr'" in m for line, m in found)
    assert any(line == 10 and "did you mean 'diffuse'?" in m for line, m in found)


# ------------------------------------------------------------------------------------------- validation cases
_CASE = "{id: %s, source: s, reported_diagnosis: r, diagnosis: infection, presentation: typical, split: %s, vignette: v}"


def test_case_reader_refuses_a_numeric_id(tmp_path, net):
    """Before: a case whose id YAML reads as a number was dropped without a word."""
    _write(tmp_path / "cases.yaml", f"- {_CASE % ('12345', 'frozen')}\n")
    _write(tmp_path / "coded.yaml", "[]\n")
    with pytest.raises(SpecError) as exc:
        load_cases(tmp_path, network=net)
    assert any(line == 1 and "case id 12345 must be non-empty text" in m for line, m in _problems(exc))


def test_case_reader_checks_each_coded_finding_at_its_line(tmp_path, net):
    """Before: soft evidence in coded.yaml passed the check and became a nonsense state string; an evidence problem
    was reported at the line of 'evidence', all joined in one message."""
    _write(tmp_path / "cases.yaml", f"- {_CASE % ('toy-a', 'tuning')}\n")
    _write(tmp_path / "coded.yaml", """
        - id: toy-a
          evidence:
            joint: hip
            fever: {'yes': 1.0, 'no': 0.5}
            sex: mal
        """)
    with pytest.raises(SpecError) as exc:
        load_cases(tmp_path, network=net)
    found = _problems(exc)
    assert any(line == 4 and m.startswith("case 'toy-a': unknown state") and "for fever" in m for line, m in found)
    assert any(line == 5 and "did you mean 'male'?" in m for line, m in found)
    assert not any("no coded evidence" in m for _, m in found)


def test_case_without_coding_is_reported_even_when_its_key_has_problems(tmp_path, net):
    """Before: a case with any problem of its own hid that it had no coding at all."""
    _write(tmp_path / "cases.yaml", "- {id: toy-a, reported_diagnosis: r, diagnosis: infection, presentation: odd, "
                                    "split: tuning, vignette: v}\n")
    _write(tmp_path / "coded.yaml", "[]\n")
    with pytest.raises(SpecError) as exc:
        load_cases(tmp_path, network=net)
    messages = [m for _, m in _problems(exc)]
    assert "case 'toy-a': no 'source': a published case must cite the publication" in messages
    assert "case 'toy-a': presentation must be typical or atypical" in messages
    assert "case 'toy-a' has no coded evidence in coded.yaml" in messages
    assert not any("missing 'source'" in m for m in messages)   # reported once, by the provenance rule


# ------------------------------------------------------------------------------------------- layering
def test_spec_imports_nothing_above_it():
    code = ("import sys, bmes_bayes.spec; "
            "print(sorted(m for m in sys.modules if m.startswith('bmes_bayes')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    from bmes_bayes._layers import layer_of

    loaded = set(eval(out))  # a list of module names printed by the child
    names = {m.split(".", 1)[1] if "." in m else "__init__" for m in loaded} - {"__init__"}
    assert {m: layer_of(m) for m in names if layer_of(m) > layer_of("spec")} == {}   # foundation and spec only


def test_the_model_loads_its_alerts_without_the_teaching_views():
    code = ("import sys, bmes_bayes; m = bmes_bayes.load_model(); assert m.alert_config.rules; "
            "print('bmes_bayes.teaching' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "False"


def test_moved_names_keep_their_old_homes():
    from bmes_bayes import scenarios, teaching, validation

    assert teaching.load_alert_config is spec.load_alert_config and teaching.AlertConfig is spec.AlertConfig
    assert teaching.load_test_costs is spec.load_test_costs and teaching.alert_config_for is spec.alert_config_for
    assert scenarios.Scenario is spec.Scenario and scenarios.load is load_scenario
    assert validation.load_cases is spec.load_cases and validation.split_of("x") in validation.HALVES
