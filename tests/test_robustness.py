"""Trust: model files are validated as a whole, nothing unsafe is loaded, posteriors are exact at the numerical
edges (evidence far below 1e-300, zero CPT entries, every variable observed), impossible evidence is detected
exactly, and every HTML output escapes what users wrote.

Reference values: an exact enumeration of the joint distribution in rational arithmetic (:class:`fractions.Fraction`
built from the very doubles of the compiled CPTs and the likelihoods), so neither underflow nor rounding can hide in
the reference; it is written independently of the engine.
"""

from __future__ import annotations

import ast
import math
import re
import shutil
import textwrap
import time
from fractions import Fraction
from itertools import product
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bmes_bayes
from bmes_bayes import ImpossibleEvidenceError, SpecError
from bmes_bayes._yaml import MAX_BYTES, load_yaml
from bmes_bayes.spec import load_network

from .conftest import DATA, ROOT


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(exc) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in exc.value.problems]


def has(found, line, fragment) -> bool:
    return any(ln == line and fragment in m for ln, m in found)


@pytest.fixture
def toy_copy(tmp_path):
    root = tmp_path / "toy"
    shutil.copytree(DATA / "toy", root)
    return root


# ============================================================================================ 1. model files


def test_network_problems_beyond_the_basics_are_all_reported_with_lines(tmp_path):
    """Numbers as states, names that cannot be typed as `variable=state`, wrong nesting, a number as version."""
    net = write(tmp_path / "n.yaml", """
        name: n
        version: 1
        title: [not, text]
        variables:
          a:
            states: [1, 2]
            parents: []
            description: Numbers as states.
          b:
            states: ["x=1", "y y"]
            parents: []
            description: States that cannot be typed on the command line.
          "c d":
            states: [u, v]
            parents: []
            description: A name with a space.
          e: [states, parents]
          f:
            states: [u, v]
            parents: [a, a]
            description: A parent listed twice.
          g:
            states: [u, v, u]
            parents: f
            description: Parents as text, a duplicate state.
          h:
            states: [u, v]
            parents: [[f]]
            description:
        """)
    with pytest.raises(SpecError) as exc:
        load_network(net)
    found = problems_of(exc)
    text = str(exc.value)
    assert has(found, 2, "'version' must be a non-empty string (quote a number"), text
    assert has(found, 3, "'title' must be non-empty text"), text
    assert has(found, 6, "states must be non-empty strings, got [1, 2]"), text
    assert has(found, 10, "state names ['x=1', 'y y'] must use letters"), text
    assert has(found, 13, "variable name 'c d' must be text"), text
    assert has(found, 17, "variable 'e' must be a mapping"), text
    assert has(found, 20, "a parent is listed twice"), text
    assert has(found, 23, "duplicate states ['u']"), text
    assert has(found, 24, "'parents' must be a list"), text
    assert has(found, 28, "unknown parent ['f']"), text
    assert has(found, 29, "needs a one-line description"), text
    assert len(found) == 11, text


@pytest.mark.parametrize("text, fragment", [
    ("", "the file is empty"),
    ("# only a comment\n", "the file is empty"),
    ("- a\n- b\n", "must be a mapping"),
    ("42\n", "must be a mapping"),
    ("name: n\nversion: '1'\nvariables: [a, b]\n", "'variables' must be a non-empty mapping"),
    ("name: ../../evil\nversion: '1'\nvariables: {a: {states: [x, y], description: A.}}\n", "network name"),
])
def test_degenerate_network_files(tmp_path, text, fragment):
    path = tmp_path / "n.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError, match=re.escape(fragment)) as exc:
        load_network(path)
    assert all(p.file == str(path) for p in exc.value.problems)


BAD_PRIORS = """
    nodes:
      sex:
        kind: table
        row: {value: {female: .nan}, range: [0.4, 0.6], source: "x"}
      pregnant:
        kind: table
        rows:
          female: {value: {"yes": 0.1}, range: [0.2, 0.1], source: "x"}
          male: {value: {"yes": 1e400}, fixed: true, source: "x"}
      risk:
        kind: table
        row: {value: {"yes": 0.3}, concentration: -.inf, expert_judgement: "x", sorce: "x"}
      disease:
        kind: loglinear
        reference: {pregnant: "no", risk: "no"}
        base:
          parents: [sex]
          rows:
            female: {value: {a: 0.5, b: 0.3, c: 0.2000000021}, concentration: 20, source: "x"}
            male: {value: {a: 0.2, b: 0.5, c: 0.3000000004}, concentration: 20, source: "x"}
        effects:
          pregnant:
            "yes":
              a: {value: 4.0, range: [8, 2], source: "x"}
          risk:
            "yes":
              c: {value: 1e7, fixed: true, source: "x"}
              b: {value: "half", range: [0.25, 1.0]}
      sign:
        kind: table
        rows:
          a: {value: {low: 0.7, mid: 0.2, high: 0.1}, concentration: 30, source: "x"}
          b: {value: {low: 0.2, mid: 0.6, high: 0.2}, concentration: 30, source: "x"}
          c: {value: {low: 0.1, mid: 0.2, high: 0.7}, concentration: 300000000000000000000000000000000, source: ""}
      test:
        kind: table
        rows:
          a: {value: {pos: 0.1}, range: [0.05, 0.2], source: "x"}
          b:
            "no": {value: {pos: 0.5}, range: [0.3, 0.7], source: "x"}
            "yes": {value: {pos: 0.6}, range: [0.4, 0.8], source: "x"}
          c:
            "no": {value: {pos: 0.9}, range: [0.8, 0.97], source: "x"}
            "yes":
              extra: {value: {pos: 0.95}, range: [0.9, 0.99], source: "x"}
"""


def test_prior_problems_are_all_reported_at_once_with_file_and_line(toy_copy):
    """The issue's list: NaN/inf, probabilities outside [0, 1], rows off by more than 1e-9, negative concentration,
    inverted ranges, non-numeric values, missing sources, unknown keys, wrong nesting depth, extreme odds ratios."""
    prior = write(toy_copy / "priors" / "toy.yaml", BAD_PRIORS)
    with pytest.raises(SpecError) as exc:
        bmes_bayes.load_model(toy_copy / "networks" / "toy.yaml")
    found = problems_of(exc)
    text = str(exc.value)
    assert has(found, 4, "probability of 'female' must be a finite number, got nan"), text
    assert has(found, 8, "range [0.2, 0.1] must satisfy 0 <= low < high <= 1"), text
    assert has(found, 9, "probability of 'yes' must be a finite number, got inf"), text
    assert has(found, 12, "unknown key 'sorce'"), text
    assert has(found, 12, "concentration must be a positive number, got -inf"), text
    assert has(found, 19, "sum to 1.0000000021, not 1 (tolerance 1e-9)"), text
    assert not any(ln == 20 for ln, _ in found), "a row off by 4e-10 is within the 1e-9 tolerance"
    assert has(found, 24, "range [8.0, 2.0] must satisfy 0 < low < high"), text
    assert has(found, 27, "value 1e+07 is outside [1e-06, 1e+06]"), text
    assert has(found, 28, "value must be a positive number, got 'half'"), text
    assert has(found, 28, "no 'source' and no 'expert_judgement'"), text
    assert has(found, 34, "'source' must be non-empty text"), text
    assert has(found, 38, "a row is given under a where rows keyed by risk (no, yes) are expected"), text
    assert has(found, 44, "found rows under 'extra' instead of value, uncertainty and source: nested one level"), text
    assert len(found) == 13, text
    assert all(p.file == str(prior) for p in exc.value.problems), text


def test_rows_are_checked_at_a_tolerance_of_1e9(toy_copy):
    prior = toy_copy / "priors" / "toy.yaml"
    text = prior.read_text(encoding="utf-8")
    ok = text.replace("{a: 0.5, b: 0.3, c: 0.2}", "{a: 0.5, b: 0.3, c: 0.2000000009}")
    prior.write_text(ok, encoding="utf-8")
    bmes_bayes.load_model(toy_copy / "networks" / "toy.yaml")
    prior.write_text(text.replace("{a: 0.5, b: 0.3, c: 0.2}", "{a: 0.5, b: 0.3, c: 0.2000000011}"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"sum to 1\.0000000011, not 1 \(tolerance 1e-9\)"):
        bmes_bayes.load_model(toy_copy / "networks" / "toy.yaml")


def test_a_node_defined_in_two_files_and_an_empty_prior_file(toy_copy):
    write(toy_copy / "priors" / "again.yaml", """
        nodes:
          sex:
            kind: table
            row: {value: {female: 0.5}, fixed: true, source: "x"}
        """)
    (toy_copy / "priors" / "empty.yaml").write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(SpecError) as exc:
        bmes_bayes.load_model(toy_copy / "networks" / "toy.yaml")
    by_file = {(Path(p.file).name, p.line): p.message for p in exc.value.problems}
    # files are read in name order: again.yaml first, so toy.yaml's 'sex' (line 2) is the second definition
    assert "node 'sex' is already defined in" in by_file[("toy.yaml", 2)] and "again.yaml:2" in by_file[("toy.yaml", 2)]
    assert by_file[("empty.yaml", None)].startswith("the file is empty")


def test_missing_prior_directory_and_missing_network(tmp_path, toy_copy):
    shutil.rmtree(toy_copy / "priors")
    with pytest.raises(SpecError, match="no prior files: no such file or directory"):
        bmes_bayes.load_model(toy_copy / "networks" / "toy.yaml")
    with pytest.raises(SpecError, match="no such file"):
        bmes_bayes.load_model(tmp_path / "nowhere.yaml")
    with pytest.raises(SpecError, match="cannot use this path"):
        bmes_bayes.load_model("x" * 5000)


def _many_parents(root: Path, n: int, card: int = 2) -> Path:
    """The toy network with ``n`` extra parents of 'sign', each with ``card`` states."""
    net = root / "networks" / "toy.yaml"
    states = ", ".join(f"s{k}" for k in range(card))
    extra = "".join(f"  x{i}:\n    role: risk_factor\n    states: [{states}]\n    parents: []\n    description: X.\n"
                    for i in range(n))
    text = net.read_text(encoding="utf-8").replace("variables:\n", "variables:\n" + extra)
    net.write_text(text.replace("parents: [disease]\n", f"parents: [disease, {', '.join(f'x{i}' for i in range(n))}]\n"),
                   encoding="utf-8")
    return net


def test_tables_too_large_to_build_are_refused(toy_copy):
    net = _many_parents(toy_copy, 16, card=3)
    with pytest.raises(SpecError, match=r"variable 'sign': 17 parents give a table of 387,420,489 entries"):
        load_network(net)


def test_missing_rows_of_a_node_with_many_parents_are_reported_quickly(toy_copy):
    """20 new parents (about 3 million parent configurations) and the old rows: the reader walks the file, not every
    configuration, and says once per row where the nesting stops."""
    net = _many_parents(toy_copy, 20)
    start = time.perf_counter()
    with pytest.raises(SpecError) as exc:
        bmes_bayes.load_model(net)
    assert time.perf_counter() - start < 5
    messages = [p.message for p in exc.value.problems]
    assert "sign: a row is given under a where rows keyed by x0 (s0, s1) are expected" in messages[0], messages
    assert len(messages) < 40, messages


def test_yaml_scalars_follow_yaml_1_2(tmp_path):
    """1e-6 is a number (YAML 1.1 would read text), 010 is ten, yes/no/on/off and dates stay text."""
    path = write(tmp_path / "s.yaml", """
        a: 1e-6
        b: 010
        c: [yes, no, on, off, y, n]
        d: 2024-01-31
        e: [.nan, .inf, -.inf, 1e400]
        f: true
        g: 1_000
        """)
    data, problems = load_yaml(path)
    assert not problems
    assert data["a"] == 1e-6 and data["b"] == 10 and data["f"] is True
    assert data["c"] == ["yes", "no", "on", "off", "y", "n"] and data["d"] == "2024-01-31" and data["g"] == "1_000"
    assert math.isnan(data["e"][0]) and data["e"][1:] == [math.inf, -math.inf, math.inf]


@pytest.mark.parametrize("content, fragment, has_line", [
    (b"a: \x00\n", "not valid YAML: unacceptable character", True),
    (b"a: \xff\xfe\n", "cannot read the file", False),
    (b"a: " + b"9" * 5000 + b"\n", "too long", True),
    (b"[" * 5000 + b"]" * 5000, "nested too deeply", False),
    (b"a: &a [*a]\n", "refers to itself", True),
    (b"a: !!python/object/apply:os.system [echo]\n", "not valid YAML: could not determine a constructor", True),
    (b"a: 1\na: 2\n", "duplicate key 'a'", True),
])
def test_hostile_yaml_is_a_problem_not_a_crash(tmp_path, content, fragment, has_line):
    path = tmp_path / "h.yaml"
    path.write_bytes(content)
    _, problems = load_yaml(path)
    assert any(fragment in p.message for p in problems), problems
    assert all((p.line is not None) == has_line for p in problems), problems


def test_alias_bombs_and_huge_files_are_refused_quickly(tmp_path):
    levels = ["l0: &l0 [" + ", ".join(["x"] * 10) + "]"]
    levels += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\n", encoding="utf-8")
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)  # sparse: no time spent writing it
    start = time.perf_counter()
    (_, [p1]), (_, [p2]) = load_yaml(bomb), load_yaml(huge)
    assert time.perf_counter() - start < 2
    assert "expands to more than" in p1.message and p1.line == 1
    assert "a model file may be at most" in p2.message


def _package_sources() -> list[Path]:
    return sorted((ROOT / "bmes_bayes").rglob("*.py"))


def test_nothing_unsafe_is_loaded_or_evaluated():
    """No pickle, marshal or shelve, no eval/exec/compile, no unsafe YAML loader, no pickled numpy/pandas anywhere in
    the package (checked on the syntax tree, plus a plain-text scan that also covers comments and strings)."""
    banned_modules = {"pickle", "cPickle", "dill", "marshal", "shelve", "cloudpickle", "joblib"}
    banned_builtins = {"eval", "exec", "compile", "__import__"}
    banned_methods = {"read_pickle", "to_pickle"}
    yaml_loaders = {"load", "load_all", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all"}
    text_patterns = re.compile(r"\bpickle\b|yaml\.load\(|yaml\.(?:Unsafe|Full)?Loader\b|UnsafeLoader|FullLoader"
                               r"|\beval\(|\bexec\(|allow_pickle\s*=\s*True")
    offences = []
    for path in _package_sources():
        source = path.read_text(encoding="utf-8")
        for lineno, line in enumerate(source.splitlines(), 1):
            if text_patterns.search(line):
                offences.append(f"{path.name}:{lineno}: {line.strip()}")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                offences += [f"{path.name}:{node.lineno}: import {a.name}" for a in node.names
                             if a.name.split(".")[0] in banned_modules]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in banned_modules:
                offences.append(f"{path.name}:{node.lineno}: from {node.module} import")
            elif isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in banned_builtins:
                    offences.append(f"{path.name}:{node.lineno}: call to {func.id}")
                elif isinstance(func, ast.Attribute):
                    owner = getattr(func.value, "id", "")
                    if (func.attr in banned_methods or (owner == "yaml" and func.attr in yaml_loaders)
                            or (owner in {"np", "numpy"} and func.attr == "load")):
                        offences.append(f"{path.name}:{node.lineno}: call to {owner}.{func.attr}")
    assert not offences, "\n".join(offences)


def test_the_only_yaml_loader_is_the_safe_one():
    from bmes_bayes._yaml import _Loader

    yaml = __import__("yaml")
    assert issubclass(_Loader, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert issubclass(_Loader, yaml.constructor.SafeConstructor) and not issubclass(_Loader, yaml.constructor.FullConstructor)
    imports = re.compile(r"^\s*(?:import yaml|from yaml)", re.M)
    users = [p.name for p in _package_sources() if imports.search(p.read_text(encoding="utf-8"))]
    assert users == ["_yaml.py"], users


# ============================================================================================ 2. exact numerics


def _tables(model) -> dict[str, np.ndarray]:
    """Point CPTs through the public ``model.cpt`` (rows = parent configurations in C order)."""
    cache = model.__dict__.setdefault("_test_exact_tables", {})
    if not cache:
        for v in model.network.variables:
            shape = (*(model.network[p].card for p in v.parents), v.card)
            cache[v.name] = model.cpt(v.name).to_numpy().reshape(shape)
    return cache


def exact(model, hard: dict[str, str], soft: dict[str, list[float]], target: str) -> tuple[list[Fraction], Fraction]:
    """Unnormalised P(target = k, evidence) for every k and P(evidence), in exact rational arithmetic.

    Enumerates every configuration of the unobserved ancestors of the target and the evidence; barren nodes sum to 1.
    """
    net = model.network
    tables = _tables(model)
    keep, stack = set([target, *hard, *soft]), [target, *hard, *soft]
    while stack:
        for p in net[stack.pop()].parents:
            if p not in keep:
                keep.add(p)
                stack.append(p)
    free = [v.name for v in net.variables if v.name in keep and v.name not in hard]
    fixed = {n: net[n].states.index(s) for n, s in hard.items()}
    buckets = [Fraction(0)] * net[target].card
    for combo in product(*(range(net[n].card) for n in free)):
        at = {**fixed, **dict(zip(free, combo))}
        w = Fraction(1)
        for name in (v.name for v in net.variables if v.name in keep):
            entry = tables[name][tuple(at[a] for a in (*net[name].parents, name))]
            if entry == 0:
                w = Fraction(0)
                break
            w *= Fraction(float(entry))
        if w:
            for name, lik in soft.items():
                w *= Fraction(float(lik[at[name]]))
        buckets[at[target]] += w
    return buckets, sum(buckets, Fraction(0))


def log_fraction(x: Fraction) -> float:
    return math.log(x.numerator) - math.log(x.denominator)


def check_exact(model, hard, soft, target, rtol=1e-9):
    """The engine's posterior and log P(evidence) against the exact enumeration; P(e) = 0 exactly must raise."""
    buckets, total = exact(model, hard, soft, target)
    evidence = {**hard, **{k: list(v) for k, v in soft.items()}}
    if total == 0:
        with pytest.raises(ImpossibleEvidenceError):
            model.posterior(evidence, target=target)
        return None
    post = model.posterior(evidence, target=target)
    expected = np.array([float(b / total) for b in buckets])
    np.testing.assert_allclose(post.probabilities, expected, rtol=rtol, atol=1e-15)
    assert abs(post.probabilities.sum() - 1) < 1e-12
    log_e = log_fraction(total)
    assert abs(post.log_evidence - log_e) <= rtol * max(1.0, abs(log_e)), (post.log_evidence, log_e)
    return log_e


@st.composite
def full_assignments(draw, model):
    return {v.name: draw(st.sampled_from(v.states)) for v in model.network.variables}


@given(data=st.data())
def test_every_vocabulary_variable_observed_but_the_diagnosis(model, data):
    """All 32 other variables observed at once (every consistent combination drawn is checked exactly; an
    inconsistent one, e.g. a pregnant man, must be called impossible)."""
    ev = data.draw(full_assignments(model))
    del ev["diagnosis"]
    check_exact(model, ev, {}, "diagnosis")


@given(data=st.data())
def test_every_vocabulary_variable_observed_including_the_target(model, data):
    """Every variable observed: the posterior of any of them is a point mass and log P(e) is the exact log joint."""
    ev = data.draw(full_assignments(model))
    target = data.draw(st.sampled_from(model.network.names))
    check_exact(model, ev, {}, target)


EDGE_PRIORS = """
    # The toy model at the numerical edges: exact zeros and entries down to 1e-300 (fixed, so no uncertainty).
    nodes:
      sex:
        kind: table
        row: {value: {female: 0.5}, range: [0.4, 0.6], source: "toy"}
      pregnant:
        kind: table
        rows:
          female: {value: {"yes": 1e-200}, fixed: true, source: "toy"}
          male: {value: {"yes": 0.0}, fixed: true, source: "logic: men are never pregnant"}
      risk:
        kind: table
        row: {value: {"yes": 0.3}, concentration: 10, expert_judgement: "toy"}
      disease:
        kind: loglinear
        reference: {pregnant: "no", risk: "no"}
        base:
          parents: [sex]
          rows:
            female: {value: {a: 0.5, b: 0.5, c: 0.0}, fixed: true, source: "toy"}
            male: {value: {a: 1e-250, b: 0.5, c: 0.5}, fixed: true, source: "toy"}
        effects:
          pregnant:
            "yes":
              a: {value: 1e-6, fixed: true, source: "toy"}
          risk:
            "yes":
              c: {value: 1e6, fixed: true, source: "toy"}
      sign:
        kind: table
        rows:
          a: {value: {low: 1.0, mid: 0.0, high: 0.0}, fixed: true, source: "toy"}
          b: {value: {low: 1e-200, mid: 0.5, high: 0.5}, fixed: true, source: "toy"}
          c: {value: {low: 3e-250, mid: 1e-300, high: 1.0}, fixed: true, source: "toy"}
      test:
        kind: table
        rows:
          a:
            "no": {value: {pos: 1e-180}, fixed: true, source: "toy"}
            "yes": {value: {pos: 0.0}, fixed: true, source: "toy"}
          b:
            "no": {value: {pos: 2e-160}, fixed: true, source: "toy"}
            "yes": {value: {pos: 1.0}, fixed: true, source: "toy"}
          c:
            "no": {value: {pos: 0.5}, range: [0.3, 0.7], source: "toy"}
            "yes": {value: {pos: 1e-300}, fixed: true, source: "toy"}
"""


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    root = tmp_path_factory.mktemp("edge") / "toy"
    shutil.copytree(DATA / "toy", root)
    write(root / "priors" / "toy.yaml", EDGE_PRIORS)
    return bmes_bayes.load_model(root / "networks" / "toy.yaml")


def test_edge_model_really_has_zeros_and_tiny_entries(edge):
    tables = _tables(edge)
    assert (tables["sign"] == 0).sum() == 2 and tables["sign"].min(where=tables["sign"] > 0, initial=1) == 1e-300
    assert tables["disease"][1, 0, 0, 0] == 1e-250 and (tables["disease"] == 0).any()


def test_every_hard_evidence_combination_on_the_edge_model(edge):
    """All 1,296 hard-evidence combinations of the edge model, each checked exactly: zero-probability combinations
    raise, all others (down to P(e) of about 1e-800) give the exact posterior."""
    net = edge.network
    choices = [[None, *v.states] for v in net.variables]
    impossible = tiny = 0
    for combo in product(*choices):
        hard = {v.name: s for v, s in zip(net.variables, combo) if s is not None}
        log_e = check_exact(edge, hard, {}, "disease")
        impossible += log_e is None
        tiny += log_e is not None and log_e < math.log(1e-300)
    assert impossible > 100 and tiny > 100  # both edges are really exercised


LIKELIHOODS = [0.0, 5e-324, 1e-320, 1e-300, 1e-200, 1e-100, 0.25, 1.0, 1e300]


@given(data=st.data())
@settings(max_examples=200)
def test_soft_evidence_at_the_edges_of_double_precision(edge, data):
    """Soft likelihoods from 0 and 5e-324 to 1e300 with hard evidence on the edge model, checked exactly."""
    net = edge.network
    names = list(net.names)
    hard_names = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=3))
    hard = {n: data.draw(st.sampled_from(net[n].states)) for n in hard_names}
    soft = {}
    free = [n for n in names if n not in hard]   # a variable carries hard or soft evidence, not both
    for n in data.draw(st.lists(st.sampled_from(free), unique=True, min_size=1, max_size=4)):
        lik = data.draw(st.lists(st.sampled_from(LIKELIHOODS), min_size=net[n].card, max_size=net[n].card)
                        .filter(lambda v: max(v) > 0))
        soft[n] = lik
    target = data.draw(st.sampled_from(names))
    check_exact(edge, hard, soft, target)


def test_impossibility_is_exact_not_a_tolerance(edge):
    """P(e) of about 1e-430 (not even a double) is possible and gives the exact posterior; P(e) = 0 exactly is
    impossible, whatever the other numbers."""
    ev = {"sex": "male", "disease": "a", "sign": "low", "test": "pos", "risk": "no"}
    log_e = check_exact(edge, ev, {}, "pregnant")          # about 0.5 * 2e-250 * 0.7 * 1 * 1e-180
    assert log_e < -400 * math.log(10)           # P(e) < 1e-400: below the smallest double
    soft = {"pregnant": [5e-324, 0.0], "sign": [1e-320, 1e-320, 1e-320]}
    log_e = check_exact(edge, {"sex": "male", "test": "pos", "disease": "c", "risk": "yes"}, soft, "disease")
    assert log_e < -600 * math.log(10)
    for impossible in ({"sex": "male", "pregnant": "yes"},            # a fixed zero in a CPT
                       {"disease": "a", "sign": "mid"},                # a zero likelihood row
                       {"disease": "a", "risk": "yes", "test": "pos"},
                       {"sex": "female", "disease": "c"}):             # a zero base rate, no odds ratio can lift it
        with pytest.raises(ImpossibleEvidenceError):
            edge.posterior(impossible, target="sign")
    with pytest.raises(ImpossibleEvidenceError) as exc:
        edge.posterior({"sex": "male", "pregnant": [0.0, 1.0], "risk": "no"}, target="disease")
    assert set(exc.value.conflict) == {"sex", "pregnant"}


def test_zero_cpt_entries_give_exact_posteriors(edge):
    post = edge.posterior({"sign": "mid"}, target="disease")
    assert post["a"] == 0.0                                      # sign=mid is impossible under a: exactly zero
    post = edge.posterior({"sex": "female", "risk": "yes"}, target="disease")
    assert post["c"] == 0.0                                      # base rate 0 times odds ratio 1e6 stays 0
    check_exact(edge, {"sex": "female", "risk": "yes"}, {}, "disease")


# ============================================================================================ 3. safe output

XSS = "<script>alert('x')</script>"


def _assert_escaped(html_text: str) -> None:
    assert "<script" not in html_text.lower() and "<img" not in html_text.lower(), html_text
    assert "&lt;script&gt;" in html_text or "&lt;img" in html_text, html_text


def test_posterior_html_escapes_every_user_string(toy):
    import dataclasses

    post = toy.posterior({"sex": "male"}, target="disease")
    crafted = dataclasses.replace(post, target=XSS, states=("<img src=x onerror=alert(1)>", "b", "c"),
                                  evidence={XSS: "<img src=x onerror=alert(1)>", "note": f"{XSS} & more"})
    for html_text in (crafted.to_html(), crafted._repr_html_()):
        _assert_escaped(html_text)
        assert "&amp; more" in html_text


def test_uncertainty_html_escapes_every_user_string(toy):
    import dataclasses

    res = toy.uncertainty({"sex": "male", "sign": [0.2, 0.3, 0.5]}, target="disease", n_samples=50, seed=0)
    assert "soft(" in res.to_html()                       # soft-evidence labels are shown ...
    crafted = dataclasses.replace(res, target=XSS, states=(XSS, "<img src=x onerror=alert(1)>", "c"),
                                  evidence={XSS: f"soft({XSS}:0.2)"})
    _assert_escaped(crafted.to_html())                    # ... and escaped like every other string


def test_descriptions_and_titles_from_a_crafted_network_are_escaped(toy_copy):
    net = toy_copy / "networks" / "toy.yaml"
    text = net.read_text(encoding="utf-8")
    text = text.replace("description: Sex.", f"description: \"{XSS} & <b>bold</b>\"")
    net.write_text(text.replace("name: toy", f"name: toy\ntitle: \"{XSS}\""), encoding="utf-8")
    m = bmes_bayes.load_model(net)
    for html_text in (m.variables.to_html(), m._repr_html_()):
        _assert_escaped(html_text)
        assert "&lt;b&gt;bold" in html_text


def test_markup_cannot_enter_through_variable_or_state_names(toy_copy):
    net = toy_copy / "networks" / "toy.yaml"
    net.write_text(net.read_text(encoding="utf-8").replace("states: [female, male]", f"states: [\"{XSS}\", male]"),
                   encoding="utf-8")
    with pytest.raises(SpecError, match="state names"):
        bmes_bayes.load_model(net)


def test_crafted_scenario_text_is_kept_as_text(model, tmp_path):
    from bmes_bayes import scenarios

    path = write(tmp_path / "xss-case.yaml", f"""
        name: xss-case
        title: "{XSS}"
        kind: textbook
        narrative: "<img src=x onerror=alert(1)> narrative"
        source: "a source & co"
        teaching_point: "<b>point</b>"
        expected: {{leading: osteonecrosis, cant_miss: []}}
        stages:
          - stage: history
            evidence: {{joint: hip}}
        """)
    case = scenarios.load(path, network=model.network)
    assert case.title == XSS                          # stored verbatim, escaped only where HTML is written
    post = model.posterior(case.evidence)
    import dataclasses

    _assert_escaped(dataclasses.replace(post, evidence={case.title: case.narrative}).to_html())


@pytest.mark.parametrize("which", ["posterior", "uncertainty", "vocabulary"])
def test_html_falls_back_to_escaped_text_when_rendering_fails(toy, monkeypatch, which):
    from bmes_bayes.results import Posterior, Vocabulary
    from bmes_bayes.sensitivity import Uncertainty

    obj = {"posterior": lambda: toy.posterior({"sex": "male"}, target="disease"),
           "uncertainty": lambda: toy.uncertainty({"sex": "male"}, target="disease", n_samples=20, seed=1),
           "vocabulary": lambda: toy.variables}[which]()
    cls = {"posterior": Posterior, "uncertainty": Uncertainty, "vocabulary": Vocabulary}[which]

    def broken(self):
        raise RuntimeError(f"{XSS} rendering failed")

    monkeypatch.setattr(cls, "to_frame", broken)
    for html_text in (obj.to_html(), obj._repr_html_()):
        assert html_text.startswith("<pre>") and html_text.endswith("</pre>")
        assert "<script" not in html_text


# ============================================================================================ 4. CLI writes


def _run(argv, capsys):
    from bmes_bayes.cli import main

    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    out = tmp_path / "toy.bif"
    toy = str(DATA / "toy" / "networks" / "toy.yaml")
    code, _, err = _run(["--model", toy, "export", "--format", "bif", "-o", str(out)], capsys)
    assert code == 0 and err == "" and out.read_text().startswith("network toy")
    out.write_text("my own notes\n")
    code, _, err = _run(["--model", toy, "export", "--format", "bif", "-o", str(out)], capsys)
    assert code == 2 and "exists" in err and "--force" in err and "Traceback" not in err
    assert out.read_text() == "my own notes\n"
    code, _, err = _run(["--model", toy, "export", "--format", "bif", "-o", str(out), "--force"], capsys)
    assert code == 0 and out.read_text().startswith("network toy")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.bif"]   # no temporary files left behind


def test_cli_writes_atomically(tmp_path, capsys, monkeypatch):
    """If the final rename fails the old file is untouched and no partial or temporary file remains."""
    import os

    out = tmp_path / "toy.bif"
    out.write_text("previous export\n")
    toy = str(DATA / "toy" / "networks" / "toy.yaml")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(dst))

    with monkeypatch.context() as m:
        m.setattr(os, "replace", refuse)
        code, _, err = _run(["--model", toy, "export", "--format", "bif", "-o", str(out), "--force"], capsys)
    assert code == 2 and "Permission denied" in err and "Traceback" not in err
    assert out.read_text() == "previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy.bif"]


def test_cli_path_problems_exit_2(tmp_path, capsys):
    toy = str(DATA / "toy" / "networks" / "toy.yaml")
    (tmp_path / "dir.bif").mkdir()
    for argv in (["--model", toy, "export", "--format", "bif", "-o", str(tmp_path / "dir.bif"), "--force"],
                 ["--model", toy, "export", "--format", "bif", "-o", "a\0b"],
                 ["--model", "x" * 5000, "variables"], ["--model", "", "variables"]):
        try:
            code, _, err = _run(argv, capsys)
        except SystemExit as exc:
            code, err = exc.code, capsys.readouterr().err
        assert code == 2 and err.strip() and "Traceback" not in err and "internal error" not in err, (argv, err)
