"""Model files are validated as a whole: every problem is reported at once, each with its file and line."""

from __future__ import annotations

import shutil
import textwrap

import pytest

import bmes_bayes
from bmes_bayes import SpecError
from bmes_bayes.spec import load_network

from ..conftest import DATA


def write(path, text):
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(exc) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in exc.value.problems]


def test_network_reports_every_problem_with_its_line(tmp_path):
    net = write(tmp_path / "bad.yaml", """
        name: bad
        version: "1"
        variables:
          a:
            states: [x, y]
            parents: [c]
            description: A.
          b:
            states: [p, p]
            parents: [zz]
            description: B.
          c:
            states: [u, v]
            parents: [a]
            description: C.
          d:
            states: [only]
            parents: []
            parnets: []
        """)
    with pytest.raises(SpecError) as exc:
        load_network(net)
    found = problems_of(exc)
    text = str(exc.value)
    assert "duplicate states ['p']" in text and (9, "variable 'b': duplicate states ['p']") in found
    assert any(line == 10 and "unknown parent 'zz'" in m for line, m in found)
    assert any("cycle" in m and "a -> c -> a" in m.replace("c -> a -> c", "a -> c -> a") for _, m in found)
    assert any(line == 17 and "at least two states" in m for line, m in found)
    assert any(line == 19 and "did you mean 'parents'" in m for line, m in found)
    assert any("needs a one-line description" in m for _, m in found)
    assert all(p.file == str(net) for p in exc.value.problems)
    assert len(found) >= 6


def test_yes_no_are_never_booleans(tmp_path):
    net = write(tmp_path / "n.yaml", """
        name: n
        version: "1"
        variables:
          a:
            states: [no, yes]
            parents: []
            description: A.
        """)
    assert load_network(net)["a"].states == ("no", "yes")


def test_priors_report_every_problem_with_file_and_line(tmp_path):
    toy = tmp_path / "toy"
    shutil.copytree(DATA / "toy", toy)
    write(toy / "priors" / "toy.yaml", """
        nodes:
          sex:
            kind: table
            row: {value: {female: 1.5}, range: [0.4, 0.6], source: "x"}
          pregnant:
            kind: table
            rows:
              female: {value: {"yes": 0.1}, range: [0.2, 0.1], source: "x"}
              male: {value: {"yes": 0.0}, fixed: true}
          risk:
            kind: table
            row: {value: {"yes": 0.3}, concentration: -4, expert_judgement: "x"}
          disease:
            kind: loglinear
            base:
              parents: [sex]
              rows:
                female: {value: {a: 0.5, b: 0.3, c: 0.3}, concentration: 20, source: "x"}
                male: {value: {a: 0.2, b: 0.5, c: 0.3}, concentration: 20, source: "x"}
            effects:
              risk:
                "yes":
                  d: {value: 3.0, range: [1.5, 6], source: "x"}
          sign:
            kind: table
            rows:
              a: {value: {low: 0.7, mid: 0.2, high: 0.1}, concentration: 30, source: "x"}
              b: {value: {low: 0.2, mid: 0.6, high: 0.2}, concentration: 30, source: "x"}
          sign:
            kind: table
        """)
    with pytest.raises(SpecError) as exc:
        bmes_bayes.load_model(toy / "networks" / "toy.yaml")
    found = problems_of(exc)
    text = str(exc.value)
    assert any(line == 4 and "outside [0, 1]" in m for line, m in found), text
    assert any(line == 8 and "low < high" in m for line, m in found), text
    assert any(line == 9 and "no 'source' and no 'expert_judgement'" in m for line, m in found), text
    assert any(line == 12 and "concentration must be a positive number" in m for line, m in found), text
    assert any(line == 18 and "sum to 1.1" in m for line, m in found), text
    assert any(line == 23 and "'d' is not a state of disease" in m for line, m in found), text
    assert any(line == 30 and "needs 'rows'" in m for line, m in found), text
    assert any(line == 29 and "duplicate key 'sign'" in m for line, m in found), text
    assert any("no prior for network variable 'test'" in m for _, m in found), text
    assert all(str(toy / "priors") in p.file for p in exc.value.problems)


def test_syntax_error_names_file_and_line(tmp_path):
    toy = tmp_path / "toy"
    shutil.copytree(DATA / "toy", toy)
    write(toy / "priors" / "extra.yaml", """
        nodes:
          sex: [unclosed
        """)
    with pytest.raises(SpecError) as exc:
        bmes_bayes.load_model(toy / "networks" / "toy.yaml")
    (p,) = [p for p in exc.value.problems if p.file.endswith("extra.yaml")]
    assert "not valid YAML" in p.message and p.line is not None


def test_yaml_tags_are_refused_not_executed(tmp_path):
    toy = tmp_path / "toy"
    shutil.copytree(DATA / "toy", toy)
    write(toy / "priors" / "evil.yaml", """
        nodes: !!python/object/apply:os.system ["echo pwned"]
        """)
    with pytest.raises(SpecError, match="not valid YAML"):
        bmes_bayes.load_model(toy / "networks" / "toy.yaml")


def test_shipped_priors_have_provenance_for_every_parameter(model):
    for p in model.priors.parameters:
        assert p.provenance.source or p.provenance.expert_judgement, p.id


def test_model_card_counts_are_current(model):
    """The model card quotes how many parameters there are and how many rest on expert judgement alone."""
    from ..conftest import ROOT

    card = (ROOT / "networks" / "MODEL_CARD.md").read_text(encoding="utf-8")
    n = len(model.priors.parameters)
    expert = sum(p.provenance.expert_only for p in model.priors.parameters)
    assert f"The model has {n} parameters; {expert} rest on expert judgement alone" in card
