"""Fuzzing: malformed evidence, mutated model files and odd command lines never escape as an internal error.

Every input ends either in a valid result or in the package's own error (a :class:`~bmes_bayes.BmesError`
subclass; a :class:`~bmes_bayes.SpecError` whose problems all name a file, and a line where the file has one), and the
command line exits 0 or 2 with a message, never 1 and never with a traceback.

The number of inputs tried per kind is counted, written to the terminal at the end of this module and, when
``$BMES_FUZZ_COUNTS`` names a file, saved there as JSON (by default nothing is written: a test run leaves no file). ``BMES_FUZZ_SCALE`` multiplies the number of
examples (default 1: a few tens of seconds in the derandomized 'ci' profile).
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import math
import os
import re
import shutil
import tempfile
import time
import types
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import bmes_bayes
from bmes_bayes import BmesError, EvidenceError, SpecError
from bmes_bayes._yaml import _Loader
from bmes_bayes.cli import main
from bmes_bayes.results import Posterior
from bmes_bayes.sensitivity import Uncertainty

from .conftest import DATA, ROOT

SCALE = float(os.environ.get("BMES_FUZZ_SCALE", "1"))
COUNTS: Counter = Counter()      # inputs tried, per kind
OUTCOMES: Counter = Counter()    # (kind, how it ended)
SECONDS: Counter = Counter()
TOY = DATA / "toy"


def n(examples: int) -> int:
    return max(1, int(examples * SCALE))


def counts_file() -> Path | None:
    """Where the counts are saved: ``$BMES_FUZZ_COUNTS``, or nowhere (the suite leaves no file in /tmp)."""
    return Path(os.environ["BMES_FUZZ_COUNTS"]) if os.environ.get("BMES_FUZZ_COUNTS") else None


def test_counts_are_saved_only_where_asked(monkeypatch, tmp_path):
    monkeypatch.delenv("BMES_FUZZ_COUNTS", raising=False)
    assert counts_file() is None
    monkeypatch.setenv("BMES_FUZZ_COUNTS", str(tmp_path / "counts.json"))
    assert counts_file() == tmp_path / "counts.json"


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request):
    """After the module: print how many inputs of each kind were tried, and save the numbers as JSON."""
    failed_before = request.session.testsfailed
    yield
    failed = request.session.testsfailed - failed_before
    out = counts_file()
    record = {"counts": dict(COUNTS), "outcomes": {f"{k}: {o}": v for (k, o), v in sorted(OUTCOMES.items())},
              "seconds": {k: round(v, 1) for k, v in SECONDS.items()}, "total": sum(COUNTS.values()),
              "failed_fuzz_tests": failed}
    if out is not None:
        with contextlib.suppress(OSError):
            out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items()))
        verdict = "none escaped" if not failed else f"{failed} fuzz test(s) FAILED"
        with capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext():
            reporter.write_line("")
            saved = f" (saved to {out})" if out is not None else ""
            reporter.write_line(f"fuzz inputs tried: {parts}; total {record['total']}, {verdict}{saved}")


@contextlib.contextmanager
def timed(kind: str):
    """Time spent on inputs of ``kind``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        SECONDS[kind] += time.perf_counter() - start


def outcome(kind: str, what: str) -> None:
    """Count one input of ``kind`` that ran to the end, and how it ended."""
    COUNTS[kind] += 1
    OUTCOMES[(kind, what)] += 1


# --------------------------------------------------------------------------------------------- (a) evidence

NASTY_TEXT = ["", " ", "<script>alert(1)</script>", "\x00", "é", "日本語", "🦴", "null", "None", "nan", "yes",
              "no", "true", "=", "a=b", "x:1,y:2", "\u202e", "-" * 300]
NUMPY_SCALARS = [np.int64(1), np.int8(-3), np.uint8(3), np.float32(0.5), np.float64("nan"), np.float16(1),
                 np.bool_(True), np.str_("male"), np.complex128(1 + 1j), np.longdouble(1e-320)]
SPECIAL_FLOATS = [0.0, -0.0, 5e-324, 1e-320, 1e-300, 1e300, 1.7976931348623157e308, math.inf, -math.inf, math.nan, -1.0]


@functools.cache
def scalars() -> st.SearchStrategy:
    return st.one_of(
        st.none(), st.booleans(), st.integers(), st.sampled_from([10**400, -(10**400), 10**5000]),
        st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(SPECIAL_FLOATS),
        st.text(max_size=12), st.sampled_from(NASTY_TEXT), st.binary(max_size=8), st.sampled_from(NUMPY_SCALARS),
        st.complex_numbers(max_magnitude=10),
    )


@functools.cache
def likelihoods(card: int) -> st.SearchStrategy:
    """Likelihood vectors of the right length with edge values (tiny, huge, zero, NaN, negative)."""
    good = st.one_of(st.floats(0, 1), st.sampled_from([0.0, 5e-324, 1e-300, 1.0, 1e300]),
                     st.floats(min_value=0, max_value=1e308))
    anything = st.one_of(good, st.sampled_from(SPECIAL_FLOATS), st.integers(-5, 10**30))
    return st.one_of(st.lists(good, min_size=card, max_size=card), st.lists(anything, min_size=card, max_size=card))


@functools.cache
def values_for(states: tuple[str, ...]) -> st.SearchStrategy:
    """Values for one variable: right and wrong states, soft evidence (lists, tuples, dicts, arrays) and junk."""
    card = len(states)
    state = st.sampled_from(states)
    near = state.flatmap(lambda s: st.sampled_from([s.upper(), f" {s}", f"{s} ", s[:-1], s + "x", s.encode()]))
    edge = st.one_of(st.floats(0, 1e300), st.sampled_from(SPECIAL_FLOATS))
    soft_dict = st.fixed_dictionaries({s: edge for s in states})
    partial_dict = st.dictionaries(st.one_of(state, st.text(max_size=5), st.integers()), scalars(), max_size=card + 1)
    arrays = hnp.arrays(dtype=st.sampled_from([np.float64, np.int64, np.bool_, np.float32, np.dtype("U3")]),
                        shape=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=card + 1))
    malformed = st.one_of(
        near, scalars(),
        likelihoods(card), likelihoods(card).map(tuple), likelihoods(card).map(np.array),
        st.lists(scalars(), max_size=card + 2), soft_dict, partial_dict,
        st.dictionaries(state, st.dictionaries(st.text(max_size=3), scalars(), max_size=2), max_size=2),  # nested
        arrays, st.sets(st.integers(), max_size=3), st.frozensets(state, max_size=card),
        st.builds(lambda s: {"state": s}, state),
    )
    return st.one_of(valid_values_for(states), malformed)


@functools.cache
def valid_values_for(states: tuple[str, ...]) -> st.SearchStrategy:
    """Well-formed evidence for one variable: a state, or soft evidence as a list, tuple, array or mapping."""
    card = len(states)
    lik = st.one_of(st.floats(0, 1), st.sampled_from([0.0, 5e-324, 1e-300, 1e300]))
    vectors = st.lists(lik, min_size=card, max_size=card).filter(lambda v: max(v) > 0)
    return st.one_of(st.sampled_from(states), st.sampled_from(states), vectors, vectors.map(tuple),
                     vectors.map(np.array), vectors.map(lambda v: dict(zip(states, v))),
                     vectors.map(lambda v: {s: np.float32(min(x, 1.0)) for s, x in zip(states, v)}))


@functools.cache
def names_for(names: tuple[str, ...]) -> st.SearchStrategy:
    name = st.sampled_from(names)
    return st.one_of(
        name,
        name.map(str.upper), name.map(lambda s: s[:-1]), name.map(lambda s: s.replace("_", " ")),
        st.text(max_size=10), st.sampled_from(NASTY_TEXT), st.integers(), st.none(), st.binary(max_size=4),
        st.tuples(name, name), st.floats(allow_nan=True), name.map(np.str_),
    )


@st.composite
def evidence_inputs(draw, model):
    """A whole evidence argument: usually a mapping of fuzzed names to fuzzed values, sometimes no mapping at all."""
    net = model.network
    names = net.names
    mode = draw(st.sampled_from(["valid", "one bad", "chaos"]), label="mode")
    ev = {}
    if mode != "chaos":  # well-formed, then (maybe) one malformed entry among good ones
        for key in draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names))):
            ev[key] = draw(valid_values_for(net[key].states))
    if mode != "valid":
        for _ in range(draw(st.integers(1 if mode == "one bad" else 0, 1 if mode == "one bad" else 7))):
            key = draw(st.sampled_from(names) if draw(st.integers(0, 3)) else names_for(names))
            known = isinstance(key, str) and key in net
            states = net[key].states if known else net[draw(st.sampled_from(names))].states
            ev[key] = draw(values_for(states))
    kind = draw(st.sampled_from(["dict"] * 12 + ["proxy", "list", "other"]))
    if kind == "proxy":
        return types.MappingProxyType(ev)
    if kind == "list":
        return list(ev.items())
    if kind == "other":
        return draw(st.one_of(scalars(), st.just(np.array([1.0, 2.0])), st.just(set(map(str, ev)))))
    return ev


def check_posterior(post: Posterior, model) -> None:
    probs = np.asarray(post.probabilities)
    assert probs.shape == (model.network[post.target].card,)
    assert np.all(np.isfinite(probs)) and np.all(probs >= 0), probs
    assert abs(probs.sum() - 1) < 1e-9, probs.sum()
    assert math.isfinite(post.log_evidence)
    assert isinstance(post.to_html(), str) and isinstance(repr(post), str)


@settings(max_examples=n(800))
@given(data=st.data())
def test_malformed_evidence_gives_a_posterior_or_our_error(model, toy, data):
    """Evidence of every wrong type, unknown names, mixed hard/soft, NaN/inf/negative/huge likelihoods, unicode."""
    m = data.draw(st.sampled_from([model, toy]), label="model")
    evidence = data.draw(evidence_inputs(m), label="evidence")
    target = data.draw(st.one_of(st.sampled_from(m.network.names), names_for(m.network.names)), label="target")
    with timed("evidence"):
        try:
            post = m.posterior(evidence, target=target)
        except BmesError as exc:
            assert str(exc).strip()
            outcome("evidence", type(exc).__name__)
        else:
            check_posterior(post, m)
            outcome("evidence", "posterior")


@settings(max_examples=n(100))
@given(data=st.data())
def test_malformed_sensitivity_arguments_give_a_result_or_our_error(toy, data):
    """The uncertainty run also validates its own arguments: sample counts, seeds, levels and thresholds."""
    evidence = data.draw(evidence_inputs(toy), label="evidence")
    # half the time every argument is valid; otherwise one of them is malformed
    bad = data.draw(st.sampled_from(["none"] * 5 + ["target", "n_samples", "seed", "level", "threshold"]), label="bad")
    good = {
        "target": st.sampled_from(toy.network.names),
        "n_samples": st.integers(1, 40),
        "seed": st.one_of(st.none(), st.integers(0, 2**70), st.builds(np.random.default_rng, st.integers(0, 9))),
        "level": st.floats(0.01, 0.99),
        "threshold": st.floats(0.01, 1),
    }
    malformed = {
        "target": names_for(toy.network.names),
        "n_samples": st.one_of(st.integers(-3, 0), scalars()),
        "seed": scalars(),
        "level": scalars(),
        "threshold": scalars(),
    }
    kwargs = {k: data.draw(malformed[k] if k == bad else good[k], label=k) for k in good}
    with timed("sensitivity arguments"):
        try:
            res = toy.uncertainty(evidence, progress=False, **kwargs)
        except BmesError as exc:
            assert str(exc).strip()
            outcome("sensitivity arguments", type(exc).__name__)
        else:
            outcome("sensitivity arguments", "result")
            assert isinstance(res, Uncertainty)
            assert np.all(np.isfinite(res.samples)) and np.allclose(res.samples.sum(axis=1), 1, atol=1e-9, rtol=0)
            assert isinstance(res.to_html(), str)


@settings(max_examples=n(150))
@given(data=st.data())
def test_vocabulary_lookups_give_an_answer_or_our_error(model, data):
    """``states``, ``cpt`` and ``variables[...]`` with fuzzed names."""
    name = data.draw(names_for(model.network.names))
    with timed("vocabulary lookups"):
        for call in (model.states, model.cpt, model.variables.__getitem__):
            try:
                call(name)
            except EvidenceError as exc:
                assert str(exc).strip()
                outcome("vocabulary lookups", "EvidenceError")
            else:
                outcome("vocabulary lookups", "answer")


# --------------------------------------------------------------------------------------------- (b) model files


def plain(x):
    """Loaded YAML (with line bookkeeping) as plain dicts and lists that yaml.safe_dump can write."""
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [plain(v) for v in x]
    return x


def paths(tree, prefix=()):
    """Every (path, container, key) in a YAML tree."""
    out = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            out.append((prefix + (k,), tree, k))
            out += paths(v, prefix + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out.append((prefix + (i,), tree, i))
            out += paths(v, prefix + (i,))
    return out


JUNK_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(SPECIAL_FLOATS + [2.0, -0.5, 1.0000001]),
    st.integers(-10**30, 10**30), st.text(max_size=8), st.sampled_from(NASTY_TEXT), st.none(), st.booleans(),
    st.lists(st.one_of(st.floats(-2, 2), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=4), st.floats(-1, 2), max_size=2),
)
JUNK_TOKENS = [".nan", ".inf", "-.inf", "1e400", "-1", "0", "1e-320", "0x1F", "010", "yes", "~", "[", "]", "{", "}",
               "&a", "*a", "!!python/object:os.system", "'", '"', "- ", ": ", "\t", "%", "@", "`", "|", ">"]


def structural_mutation(data, tree):
    """Change the meaning of the file: delete or retype a value, rename a key, drop a row, add a cycle."""
    spots = paths(tree)
    if not spots:
        return data.draw(JUNK_VALUES)
    path, container, key = data.draw(st.sampled_from(spots))
    op = data.draw(st.sampled_from(["delete", "replace", "rename", "duplicate", "cycle", "negate"]))
    if op == "delete":
        del container[key]
    elif op == "replace":
        container[key] = data.draw(JUNK_VALUES)
    elif op == "rename" and isinstance(container, dict):
        new = data.draw(st.one_of(st.text(min_size=1, max_size=8), st.sampled_from([str(k) for k in container])))
        container[new] = container.pop(key)
    elif op == "duplicate" and isinstance(container, list):
        container.append(container[key])
    elif op == "negate" and isinstance(container[key], (int, float)) and not isinstance(container[key], bool):
        container[key] = -container[key]
    elif op == "cycle" and isinstance(tree, dict) and isinstance(tree.get("variables"), dict):
        variables = tree["variables"]
        edges = [(v, p) for v, body in variables.items() if isinstance(body, dict)
                 for p in (body.get("parents") or [])
                 if isinstance(body.get("parents"), list) and isinstance(p, str) and p in variables]
        if edges:
            child, parent = data.draw(st.sampled_from(edges))
            body = variables[parent]
            if isinstance(body, dict):
                old = body.get("parents")
                body["parents"] = [*old, child] if isinstance(old, list) else [child]
    return tree


def text_mutation(data, text: str) -> str:
    """Break the text: duplicate, delete or re-indent a line, insert junk, truncate, swap lines."""
    lines = text.split("\n")
    i = data.draw(st.integers(0, max(0, len(lines) - 1)))
    op = data.draw(st.sampled_from(["dup_line", "del_line", "indent", "dedent", "insert", "truncate", "swap", "token"]))
    if op == "dup_line":
        lines.insert(i, lines[i])
    elif op == "del_line":
        del lines[i]
    elif op == "indent":
        lines[i] = " " * data.draw(st.integers(1, 3)) + lines[i]
    elif op == "dedent":
        lines[i] = lines[i][data.draw(st.integers(1, 4)):]
    elif op == "insert":
        pos = data.draw(st.integers(0, len(lines[i])))
        junk = data.draw(st.one_of(st.sampled_from(JUNK_TOKENS), st.text(max_size=4)))
        lines[i] = lines[i][:pos] + junk + lines[i][pos:]
    elif op == "truncate":
        return text[: data.draw(st.integers(0, len(text)))]
    elif op == "swap":
        j = data.draw(st.integers(0, max(0, len(lines) - 1)))
        lines[i], lines[j] = lines[j], lines[i]
    else:  # replace one number by a junk token
        numbers = [m for m in re.finditer(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?", text)]
        if numbers:
            m = data.draw(st.sampled_from(numbers))
            return text[: m.start()] + data.draw(st.sampled_from(JUNK_TOKENS)) + text[m.end():]
    return "\n".join(lines)


def mutate(data, text: str) -> str:
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        if data.draw(st.booleans(), label="structural"):
            loaded = None
            with contextlib.suppress(Exception):
                loaded = plain(_Loader(text).get_single_data())  # the package's own safe loader
            if isinstance(loaded, (dict, list)):
                text = yaml.safe_dump(structural_mutation(data, loaded), sort_keys=False, allow_unicode=True)
                continue
        text = text_mutation(data, text)
    return text


def check_spec_error(exc: SpecError, files: dict[str, str]) -> None:
    """Every problem names a model file (or the prior directory) and, when it has a line, one inside that file."""
    assert exc.problems, "a SpecError must list at least one problem"
    for p in exc.problems:
        assert isinstance(p.file, str) and p.file, p
        assert p.message.strip(), p
        named = [f for f in files if f in p.file or p.file in f or Path(f).parent == Path(p.file)]
        assert named, (p, list(files))
        if p.line is not None:
            longest = max(files[f].count("\n") + 2 for f in named)
            assert 1 <= p.line <= longest, p
        if "not valid YAML:" in p.message or "duplicate key" in p.message:
            assert p.line is not None, p


def run_mutated_model(data, source: Path, network_file: str, kind: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "m"
        (root / "networks").mkdir(parents=True)
        shutil.copy(source / "networks" / network_file, root / "networks" / network_file)
        shutil.copytree(source / "priors", root / "priors", ignore=shutil.ignore_patterns("*.md"))
        candidates = [root / "networks" / network_file, *sorted((root / "priors").glob("*.yaml"))]
        targets = data.draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=2, unique=True), label="files")
        for path in targets:
            path.write_text(mutate(data, path.read_text(encoding="utf-8")), encoding="utf-8")
        files = {str(p): p.read_text(encoding="utf-8") for p in candidates}
        try:
            m = bmes_bayes.load_model(root / "networks" / network_file)
        except SpecError as exc:
            check_spec_error(exc, files)
            outcome(kind, "SpecError")
        else:
            target = m.network.names[-1]
            check_posterior(m.posterior({}, target=target), m)
            outcome(kind, "loaded")


@settings(max_examples=n(300))
@given(data=st.data())
def test_mutated_toy_model_files_load_or_raise_spec_error(data):
    with timed("model files (toy)"):
        run_mutated_model(data, TOY, "toy.yaml", "model files (toy)")


@settings(max_examples=n(40))
@given(data=st.data())
def test_mutated_shipped_model_files_load_or_raise_spec_error(data):
    with timed("model files (shipped)"):
        run_mutated_model(data, ROOT, "bmes.yaml", "model files (shipped)")


@settings(max_examples=n(100))
@given(data=st.data())
def test_mutated_scenario_files_load_or_raise_spec_error(model, data):
    from bmes_bayes import scenarios

    source = sorted((ROOT / "scenarios").glob("*.yaml"))
    original = data.draw(st.sampled_from(source), label="scenario")
    with timed("scenario files"), tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / original.name
        path.write_text(mutate(data, original.read_text(encoding="utf-8")), encoding="utf-8")
        try:
            case = scenarios.load(path, network=model.network)
        except SpecError as exc:
            check_spec_error(exc, {str(path): path.read_text(encoding="utf-8")})
            outcome("scenario files", "SpecError")
        else:
            assert case.stages and case.expected_leading in model.states("diagnosis")
            outcome("scenario files", "loaded")


# --------------------------------------------------------------------------------------------- (c) command line

TOY_NET = str(TOY / "networks" / "toy.yaml")
TOY_VARIABLES = {"sex": ["female", "male"], "pregnant": ["no", "yes"], "risk": ["no", "yes"],
                 "disease": ["a", "b", "c"], "sign": ["low", "mid", "high"], "test": ["neg", "pos"]}


def _parser_vocabulary() -> tuple[list[str], list[str]]:
    """Every subcommand and option the command line knows today (read from the parser, so new ones are fuzzed too)."""
    import argparse

    from bmes_bayes.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    flags = {o for a in parser._actions for o in a.option_strings}
    for command in sub.choices.values():
        flags |= {o for a in command._actions for o in a.option_strings}
    return sorted(sub.choices), sorted(flags)


KNOWN_COMMANDS, KNOWN_FLAGS = _parser_vocabulary()
FLAGS = KNOWN_FLAGS + ["--", "-", "--json=1", "--samples=", "--target=", "--unknown"]
COMMANDS = KNOWN_COMMANDS + ["frobnicate", ""]
SLOW_ON_SHIPPED = {"demo", "report", "workup"}   # default sample counts of seconds each: run on the toy model only
FORMATS = ["bif", "xmlbif", "xdsl", "net", "uai", "pdf", ""]


@functools.cache
def cli_tokens(shipped: bool) -> st.SearchStrategy:
    variables = (["joint", "fever", "sex", "pregnancy", "mri_fracture_line", "diagnosis"] if shipped
                 else list(TOY_VARIABLES))
    states = ["hip", "yes", "no", "male", "present", "a", "b", "pos", "high", "female"]
    assignment = st.builds(lambda v, s: f"{v}={s}", st.sampled_from(variables + ["jont", ""]),
                           st.sampled_from(states + [""]))
    soft = st.builds(lambda v, a, b: f"{v}=no:{a},yes:{b}", st.sampled_from(variables),
                     st.sampled_from(["0.2", "0", "-1", "nan", "inf", "1e400", "x", ""]),
                     st.sampled_from(["0.8", "0", "1e-320", "", "1:2"]))
    junk = st.text(st.characters(blacklist_characters="/\\", blacklist_categories=("Cs",)), max_size=8)
    numbers = st.sampled_from(["0", "1", "3", "-1", "1.5", "1e400", "nan", "99999999999999999999999", "0x10", " 2"])
    flags = FLAGS if not shipped else [f for f in FLAGS if not f.startswith("--samples")]
    return st.one_of(st.sampled_from(flags), assignment, soft, junk, numbers, st.sampled_from(variables),
                     st.sampled_from(FORMATS), st.sampled_from(["=", "==", "", " ", "ü=ü", "a=b=c", "out.bif"]),
                     st.sampled_from(["classic-toh", "clasic-toh", "missing.yaml", "costs.yaml"]))


def plausible_argv(draw) -> list[str]:
    """A well-formed command on the toy model, sometimes with one odd token slipped in."""
    argv = ["--model", draw(st.sampled_from([TOY_NET, str(TOY)]))]
    command = draw(st.sampled_from(["query", "query", "query", "variables", "export", "scenarios", "model-card"]))
    argv.append(command)
    if command == "query":
        argv += ["--target", draw(st.sampled_from(list(TOY_VARIABLES)))]
        for var in draw(st.lists(st.sampled_from(list(TOY_VARIABLES)), unique=True, max_size=4)):
            states = TOY_VARIABLES[var]
            if draw(st.booleans()):
                argv.append(f"{var}={draw(st.sampled_from(states))}")
            else:
                liks = draw(st.lists(st.sampled_from(["0", "0.2", "1", "1e-300", "5e-324", "3"]),
                                     min_size=len(states), max_size=len(states)))
                argv.append(f"{var}=" + ",".join(f"{s}:{x}" for s, x in zip(states, liks)))
        for option in draw(st.lists(st.sampled_from(["--json", "--samples", "--seed", "--level"]), unique=True)):
            argv += {"--json": ["--json"], "--samples": ["--samples", draw(st.sampled_from(["1", "7", "600"]))],
                     "--seed": ["--seed", draw(st.sampled_from(["0", "1", "123456789"]))],
                     "--level": ["--level", draw(st.sampled_from(["0.5", "0.9", "0.99"]))]}[option]
    elif command in ("variables", "scenarios"):
        argv += draw(st.sampled_from([[], ["--json"]]))
    elif command == "model-card":
        argv += ["-o", draw(st.sampled_from(["card.md", "sub/card.md"])), *draw(st.sampled_from([[], ["--force"]]))]
    else:
        argv += ["--format", draw(st.sampled_from(["bif", "xmlbif"])), "-o",
                 draw(st.sampled_from(["toy.bif", "out", "ü.xml", "sub/dir/x"]))]
        argv += draw(st.sampled_from([[], ["--force"]]))
    if draw(st.booleans()):
        argv.insert(draw(st.integers(0, len(argv))), draw(cli_tokens(False)))
    return argv


@st.composite
def argvs(draw):
    which = draw(st.sampled_from(["plausible", "plausible", "toy", "toy", "shipped", "junk"]))
    if which == "plausible":
        return plausible_argv(draw)
    argv: list[str] = []
    if which == "toy":
        argv += ["--model", draw(st.sampled_from([TOY_NET, str(TOY)]))]
    elif which == "junk":
        junk = st.text(st.characters(blacklist_characters="/\\", blacklist_categories=("Cs",)), max_size=6)
        argv += ["--model", draw(st.one_of(st.sampled_from(["", "nowhere.yaml", ".", "x" * 300, "a\x00b"]), junk))]
    commands = [c for c in COMMANDS if not (which == "shipped" and c in SLOW_ON_SHIPPED)]
    argv.append(draw(st.sampled_from(commands)))
    if argv[-1] == "export":
        argv += draw(st.sampled_from([["--format", "bif"], ["--format", "xmlbif"], ["--format"], []]))
    if which == "toy" and draw(st.booleans()):
        argv += ["--target", draw(st.sampled_from(list(TOY_VARIABLES) + ["diagnosis"]))]
    argv += draw(st.lists(cli_tokens(which == "shipped"), max_size=6))
    if which == "shipped" and "--samples" in " ".join(argv):
        argv = [a for a in argv if not a.startswith("--samples")]
    return argv


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: usage errors and --help
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=n(400))
@given(argv=argvs())
def test_odd_command_lines_exit_0_or_2_with_a_message(argv, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("cli")
    with timed("command lines"), contextlib.chdir(workdir):
        code, out, err = run_cli(argv)
    outcome("command lines", f"exit {code}")
    assert code in (0, 2), f"exit {code} for {argv!r}:\n{err}"
    assert "Traceback" not in err and "internal error" not in err, err
    if code == 2:
        assert err.strip(), f"exit 2 without a message for {argv!r}"
