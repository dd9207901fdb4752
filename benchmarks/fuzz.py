"""Fuzz run outside CI (issue 13, item 7): >= 10,000 odd inputs; every one must end in a result or a clear error.

Kinds of input (hypothesis draws them; the strategies of ``tests/test_fuzz.py`` are imported, not copied):

- **evidence**: ``model.posterior`` with fuzzed evidence (random mappings, wrong types, unknown names and states,
  soft evidence of every shape, NaN/inf/huge likelihoods) and fuzzed targets, on the shipped and the toy model;
  now and then a huge mapping (1,000-20,000 keys).
- **arguments**: every analysis with one argument (or none) replaced by a wrong type or an out-of-range value:
  posterior, sensitivity (small ``n_samples``), one_way, sensitivity_function, admissible_deviation, tune, sobol
  (small ``n``), next_test, explain, likelihood_ratio, conflict, marginals, alerts, workup (and its plot), Posterior
  indexing, cpt/states/variables, load_network, load_model, export. Mostly on the toy model (the shipped model's
  admissible deviation and tuning take seconds each).
- **files**: mutated network and prior YAML (toy and shipped), scenario, alert and test-cost YAML, and network files
  of every format for ``load_network`` (mutated exports, random bytes), plus special paths: a directory, a missing
  file, a dangling symlink, symlinks to ``/dev/null`` and ``/dev/zero``, a FIFO.
- **command lines**: random argv for every subcommand, run in-process through ``bmes_bayes.cli.main`` in a
  temporary working directory, output captured, ``SystemExit`` caught.

Each input ends as one of:

- **valid**: a result (whose ``repr``, ``to_frame`` and ``to_html`` also work), or exit code 0;
- **clear error**: the package's own exception (a ``BmesError`` subclass) with a message of at most 10,000
  characters, or for the command line exit code 2 with a message and no traceback;
- **internal error**: anything else: another exception, a result whose display fails, a ``BmesError`` with a longer
  message (the issue's 57 MB message), exit code 1 or a traceback, or no answer within the time limit (10 s for an
  input; 20 s for a command line), which is how a missing bound shows (the process memory is capped at 3 GB so that an
  unbounded allocation fails fast as a MemoryError instead of swapping).

Prints a table per kind (tried / clear errors / valid results / internal errors), then every distinct internal-error
signature (exception type, where in the package it was raised, the message with numbers and quoted text masked) with
its count and the shortest input that produced it.

Run: ``python benchmarks/fuzz.py 10000 --seed 0`` (N is split over the kinds in fixed shares; about 10-15 minutes).
Everything is written inside temporary directories that are removed; no hypothesis database is kept.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import bmes_bayes  # noqa: E402
import bmes_bayes.interop  # noqa: E402,F401 - export and export_text
import bmes_bayes.teaching  # noqa: E402,F401
from bmes_bayes import BmesError  # noqa: E402
from tests.test_fuzz import (NASTY_TEXT, TOY, TOY_NET, argvs, evidence_inputs, mutate,  # noqa: E402
                             names_for, scalars, text_mutation, valid_values_for)

MAX_MESSAGE = 10_000
TIME_LIMIT = 10.0
CLI_TIME_LIMIT = 20.0
MEMORY_LIMIT = 3 * 2**30

# shares of N per kind (they add up to 1)
SHARES = {"evidence": 0.33, "arguments": 0.32, "files": 0.15, "command lines": 0.20}


class FuzzTimeout(BaseException):
    """Raised by the alarm: a BaseException, so that no ``except Exception`` in the package swallows it."""


@contextlib.contextmanager
def time_limit(seconds: float):
    def alarm(signum, frame):
        raise FuzzTimeout()

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def shorten(text: str, n: int = 300) -> str:
    return text if len(text) <= n else text[: n - 20] + f"... ({len(text)} chars)"


def safe_repr(value: object, n: int = 300) -> str:
    """A short repr that never raises (an int of 5,000 digits cannot be printed, a foreign __repr__ can fail)."""
    try:
        return shorten(repr(value), n)
    except Exception:  # noqa: BLE001
        try:
            items = ", ".join(f"{safe_repr(k, 40)}: {safe_repr(v, 60)}" for k, v in value.items())
            return shorten("{" + items + "}", n)
        except Exception:  # noqa: BLE001
            return f"<{type(value).__name__}>"


def masked(message: str) -> str:
    """The message as a pattern: first line, quoted text, numbers and a closing type name masked ("..., not int"
    and "..., got float" are one pattern), at most 120 characters."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", first)
    first = re.sub(r"\b0x[0-9a-fA-F]+|\\x[0-9a-fA-F]{2}", "X", first)
    first = re.sub(r"\d[\d,]*(\.\d+)?(e[-+]?\d+)?", "N", first)
    first = re.sub(r"\b(not|got) (?!iterable|subscriptable|callable|supported)(<class '…'>|[A-Za-z_][\w.]*)\.?$",
                   r"\1 <type>", first)
    return first[:120]


def where(exc: BaseException) -> str:
    """The deepest frame inside bmes_bayes: file:function."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f"{os.sep}bmes_bayes{os.sep}" in f.filename]
    if not frames:
        return "outside the package"
    f = frames[-1]
    return f"{Path(f.filename).name}:{f.name}"


class Tally:
    def __init__(self):
        self.tried = Counter()
        self.outcome = Counter()                 # (kind, "valid" | "clear" | "internal")
        self.signatures: dict[tuple, dict] = {}  # signature -> {count, kind, input, message}
        self.seconds = Counter()

    def valid(self, kind: str) -> None:
        self.tried[kind] += 1
        self.outcome[(kind, "valid")] += 1

    def clear(self, kind: str) -> None:
        self.tried[kind] += 1
        self.outcome[(kind, "clear")] += 1

    def internal(self, kind: str, signature: tuple, shown_input: str, message: str) -> None:
        """``signature`` is (what was called, exception or exit code, where: message pattern); inputs that differ
        only in what was called share one entry, which counts the callers."""
        self.tried[kind] += 1
        self.outcome[(kind, "internal")] += 1
        caller, key = signature[0], signature[1:]
        entry = self.signatures.setdefault(key, {"count": 0, "kind": kind, "input": shown_input,
                                                 "message": message, "callers": Counter()})
        entry["count"] += 1
        entry["callers"][caller] += 1
        if len(shown_input) < len(entry["input"]):
            entry["input"], entry["message"] = shown_input, message


TALLY = Tally()


def check_result(res) -> None:
    """A valid result must also display: repr, to_frame and to_html (issue: 'HTML that always renders')."""
    repr(res)
    for name in ("to_frame", "to_html"):
        if hasattr(res, name) and callable(getattr(res, name)):
            getattr(res, name)()
    if isinstance(res, bmes_bayes.Posterior):
        p = np.asarray(res.probabilities, dtype=float)
        if not (np.all(np.isfinite(p)) and np.all(p >= 0) and abs(p.sum() - 1) < 1e-9):
            raise AssertionError(f"posterior is not a distribution: {p}")


def attempt(kind: str, label: str, call, shown_input, *, check=check_result) -> None:
    """Run one input and count how it ended."""
    start = time.perf_counter()
    try:
        shown = shorten(f"{label}: {shown_input}" if not callable(shown_input) else f"{label}: {shown_input()}")
    except Exception as exc:  # noqa: BLE001
        shown = f"{label}: <input not printable: {type(exc).__name__}>"
    try:
        with time_limit(TIME_LIMIT), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = call()
            if check is not None:
                check(res)
    except FuzzTimeout as exc:
        TALLY.internal(kind, (label, "timeout", f"{where(exc)}: no answer within {TIME_LIMIT:g} s (no bound?)"),
                       shown, "")
    except BmesError as exc:
        msg = str(exc)
        if len(msg) > MAX_MESSAGE:
            TALLY.internal(kind, (label, type(exc).__name__, f"message longer than {MAX_MESSAGE:,} characters "
                                  "(unbounded)"),
                           shown, shorten(msg, 200))
        elif not msg.strip():
            TALLY.internal(kind, (label, type(exc).__name__, "empty message"), shown, "")
        else:
            TALLY.clear(kind)
    except AssertionError as exc:
        TALLY.internal(kind, (label, "invalid result", masked(str(exc))), shown, shorten(str(exc), 200))
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - what the fuzz is looking for
        TALLY.internal(kind, (label, type(exc).__name__, f"{where(exc)}: {masked(str(exc))}"), shown,
                       shorten(str(exc), 200))
    else:
        TALLY.valid(kind)
    finally:
        TALLY.seconds[kind] += time.perf_counter() - start
        import matplotlib.pyplot as plt

        plt.close("all")


# ------------------------------------------------------------------------------------------------ values

def junk() -> st.SearchStrategy:
    """Wrong types and out-of-range values for any argument."""
    return st.one_of(scalars(), st.sampled_from([[], {}, (), [1, 2], {"a": 1}, object(), Path("x"), b"x",
                                                 np.array([0.5]), -1, 0, 1.5, 10**400, True, False, None]))


def small_counts() -> st.SearchStrategy:
    """Sample counts: mostly small and valid, sometimes of the wrong type or out of range."""
    return st.one_of(st.integers(1, 30), st.integers(1, 30), st.integers(1, 30), st.integers(-5, 0),
                     st.sampled_from([10**6, 10**9, 2**63, 10**400, 1.0, 2.5, "10", None, True, np.int64(5),
                                      np.float64(8.0), math.inf, math.nan]))


def probabilities_like() -> st.SearchStrategy:
    return st.one_of(st.floats(0.01, 0.99), st.sampled_from([0.0, 1.0, -0.1, 1.5, math.nan, math.inf, True, "0.9",
                                                             None, 1e-320, np.float32(0.9), 1]))


def seeds() -> st.SearchStrategy:
    return st.one_of(st.none(), st.integers(0, 2**70), st.integers(-3, -1),
                     st.builds(np.random.default_rng, st.integers(0, 9)), scalars())


@st.composite
def with_one_bad(draw, good: dict, bad: dict):
    """Keyword arguments: every one valid, or (most of the time) one replaced by a malformed value."""
    which = draw(st.sampled_from(["none"] + list(bad) * 2))
    return {k: draw(bad[k] if k == which else v) for k, v in good.items()}, which


# ------------------------------------------------------------------------------------------------ kinds

def fuzz_evidence(models, n: int, run_seed: int) -> None:
    kind = "evidence"

    @seed(run_seed)
    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data):
        m = data.draw(st.sampled_from(models))
        mode = data.draw(st.sampled_from(["fuzzed"] * 200 + ["huge"]))
        if mode == "huge":
            size = data.draw(st.sampled_from([1_000, 5_000, 20_000]))
            evidence = {f"x{i}": "yes" for i in range(size)}
            evidence.update({n_: m.network[n_].states[0] for n_ in m.network.names[:2]})
        else:
            evidence = data.draw(evidence_inputs(m))
        target = data.draw(st.one_of(st.sampled_from(m.network.names), names_for(m.network.names)))
        attempt(kind, f"{m.network.name}.posterior", lambda: m.posterior(evidence, target=target),
                lambda: f"evidence={safe_repr(evidence, 200)}, target={safe_repr(target, 60)}")

    one()


def fuzz_arguments(toy, shipped, n: int, run_seed: int, tmp: Path) -> None:
    kind = "arguments"
    toy_export = tmp / "toy_for_args.xmlbif"
    toy_export.write_text(bmes_bayes.interop.export_text(toy, "xmlbif"), encoding="utf-8")
    from bmes_bayes import scenarios

    def cases(m):
        """name -> (call(evidence, kwargs), good kwargs strategies, malformed kwargs strategies)."""
        net = m.network
        names = net.names
        dx = bmes_bayes.teaching.diagnosis_variable(net)
        dx_states = net[dx].states
        target = st.sampled_from(names)
        state_of_dx = st.sampled_from(dx_states)
        findings = [v.name for v in net.variables if v.name != dx]
        name_junk = st.one_of(names_for(names), junk())
        state_junk = st.one_of(names_for(dx_states), junk())

        @st.composite
        def cpt_entry(draw):
            node = draw(st.sampled_from(names))
            ps = {p: draw(st.sampled_from(net[p].states)) for p in net[node].parents} or None
            return node, ps, draw(st.sampled_from(net[node].states))

        return {
            "posterior": (lambda ev, kw: m.posterior(ev, **kw),
                          {"target": target, "checks": st.booleans()},
                          {"target": name_junk, "checks": junk()}),
            "uncertainty": (lambda ev, kw: m.uncertainty(ev, progress=False, **kw),
                            {"target": st.just(dx), "n_samples": st.integers(1, 30), "level": probabilities_like(),
                             "seed": st.integers(0, 99), "threshold": st.floats(0.01, 1)},
                            {"target": name_junk, "n_samples": small_counts(), "level": junk(), "seed": seeds(),
                             "threshold": junk()}),
            "one_way": (lambda ev, kw: m.one_way(ev, **kw),
                        {"target_state": st.one_of(st.none(), state_of_dx), "level": st.floats(0.5, 0.99)},
                        {"target_state": state_junk, "level": st.one_of(junk(), probabilities_like())}),
            "sensitivity_function": (
                lambda ev, kw: m.sensitivity_function(ev, *kw.pop("entry"), **kw),
                {"entry": cpt_entry(), "target_state": state_of_dx,
                 "covariation": st.sampled_from(["proportional", "uniform", "order_preserving"])},
                {"entry": st.tuples(name_junk, st.one_of(st.none(), st.dictionaries(name_junk, junk(), max_size=2),
                                                        junk()), st.one_of(junk(), st.text(max_size=4))),
                 "target_state": state_junk, "covariation": st.one_of(st.text(max_size=8), junk())}),
            "admissible_deviation": (lambda ev, kw: m.admissible_deviation(ev, **kw),
                                     {"node": st.one_of(st.none(), st.sampled_from(names))},
                                     {"node": name_junk}),
            "tune": (lambda ev, kw: m.tune(ev, kw.pop("target_state"), **kw),
                     {"target_state": state_of_dx, "at_least": st.floats(0.05, 0.95), "level": st.floats(0.5, 0.99)},
                     {"target_state": state_junk, "at_least": st.one_of(junk(), probabilities_like()),
                      "level": junk()}),
            "sobol": (lambda ev, kw: m.sobol(ev, progress=False, **kw),
                      {"n": st.sampled_from([4, 8, 16]), "seed": st.integers(0, 9),
                       "groups": st.sampled_from(["parameter", "node"]),
                       "target_state": st.one_of(st.none(), state_of_dx)},
                      {"n": st.one_of(small_counts(), st.sampled_from([3, 6, 2**20, 2**40])), "seed": seeds(),
                       "groups": st.one_of(st.text(max_size=6), junk()), "target_state": state_junk}),
            "next_test": (lambda ev, kw: m.next_test(ev, **kw),
                          {"costs": st.one_of(st.none(), st.just({f: 1.0 + i for i, f in enumerate(findings)})),
                           "candidates": st.one_of(st.none(), st.lists(st.sampled_from(findings), min_size=1,
                                                                        unique=True)),
                           "rank_by": st.sampled_from(["information", "cant_miss", "value_per_cost"])},
                          {"costs": st.one_of(junk(), st.dictionaries(st.sampled_from(findings), junk(), max_size=3),
                                              st.just({findings[0]: 10**400}), st.just({findings[0]: -1.0})),
                           "candidates": st.one_of(junk(), st.lists(name_junk, max_size=3), st.just(5)),
                           "rank_by": st.one_of(st.text(max_size=8), junk())}),
            "explain": (lambda ev, kw: m.explain(ev, **kw),
                        {"target_state": st.one_of(st.none(), state_of_dx)}, {"target_state": state_junk}),
            "likelihood_ratio": (lambda ev, kw: m.likelihood_ratio(kw.pop("finding"), kw.pop("diagnosis"), context=ev,
                                                                   **kw),
                                 {"finding": st.sampled_from(findings), "diagnosis": state_of_dx,
                                  "positive": st.none()},
                                 {"finding": name_junk, "diagnosis": state_junk,
                                  "positive": st.one_of(st.text(max_size=5), junk())}),
            "conflict": (lambda ev, kw: m.conflict(ev), {}, {}),
            "marginals": (lambda ev, kw: m.marginals(ev), {}, {}),
            "alerts": (lambda ev, kw: m.alerts(ev, **kw), {"config": st.none()},
                       {"config": st.one_of(junk(), st.sampled_from(["missing.yaml", str(tmp)]))}),
            "Posterior[...]": (lambda ev, kw: m.posterior(ev, checks=False).__getitem__(kw["key"]),
                               {"key": state_of_dx}, {"key": st.one_of(state_junk, st.integers(-3, 12))}),
            "cpt/states/variables": (lambda ev, kw: (m.cpt(kw["name"]), m.states(kw["name"]), m.variables[kw["name"]]),
                                     {"name": st.sampled_from(names)}, {"name": name_junk}),
            "workup": (lambda ev, kw: workup_and_plot(m, **kw),
                       {"stages": st.lists(st.tuples(st.one_of(st.sampled_from(["history", "MRI"]),
                                                               st.sampled_from(NASTY_TEXT + ["$\\frac$", "a_b^c"])),
                                                     st.fixed_dictionaries({})), min_size=1, max_size=3),
                        "n_samples": st.integers(1, 20), "seed": st.integers(0, 9), "level": st.floats(0.5, 0.99),
                        "plot": st.booleans()},
                       {"stages": st.one_of(junk(), st.lists(junk(), max_size=3), st.just([("a", {"x": 1})])),
                        "n_samples": small_counts(), "seed": seeds(), "level": junk(), "plot": st.just(True)}),
            "load_network": (lambda ev, kw: bmes_bayes.load_network(kw["path"], target=kw["target"], ess=kw["ess"]),
                             {"path": st.sampled_from([toy_export, str(toy_export)]),
                              "target": st.one_of(st.none(), st.sampled_from(names)),
                              "ess": st.floats(0.5, 100)},
                             {"path": st.one_of(junk(), st.sampled_from([str(tmp), "missing.bif", "x.txt", ""])),
                              "target": name_junk, "ess": junk()}),
            "load_model": (lambda ev, kw: bmes_bayes.load_model(kw["path"], priors=kw["priors"]),
                           {"path": st.sampled_from([TOY_NET, str(TOY)]), "priors": st.none()},
                           {"path": st.one_of(junk(), st.sampled_from(["", "missing.yaml", str(tmp)])),
                            "priors": st.one_of(junk(), st.sampled_from(["missing", str(tmp)]))}),
            "export": (lambda ev, kw: bmes_bayes.interop.export(m, kw["fmt"], tmp / "out" / "x" if kw["path"] == "tmp"
                                                                else kw["path"], overwrite=kw["overwrite"]),
                       {"fmt": st.sampled_from(["bif", "xmlbif", "xdsl", "net", "uai"]), "path": st.just("tmp"),
                        "overwrite": st.booleans()},
                       {"fmt": st.one_of(st.text(max_size=6), junk()),
                        "path": st.one_of(junk().filter(lambda v: not isinstance(v, (str, Path, bytes))),
                                          st.just(str(tmp))),
                        "overwrite": junk()}),
            "scenarios.load": (lambda ev, kw: scenarios.load(kw["name"], network=net),
                               {"name": st.sampled_from(["classic-toh", "steroid-osteonecrosis-sle"])},
                               {"name": st.one_of(junk(), st.text(max_size=8), st.sampled_from(["", ".", "../x"]))}),
        }

    toy_cases, shipped_cases = cases(toy), cases(shipped)
    cheap_on_shipped = ["posterior", "sensitivity_function", "explain", "conflict", "Posterior[...]",
                        "cpt/states/variables", "alerts", "likelihood_ratio"]
    functions = sorted(toy_cases)
    os.makedirs(tmp / "out", exist_ok=True)

    @seed(run_seed)
    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data):
        name = data.draw(st.sampled_from(functions))
        on_shipped = name in cheap_on_shipped and data.draw(st.integers(0, 4)) == 0
        m = shipped if on_shipped else toy
        call, good, bad = (shipped_cases if on_shipped else toy_cases)[name]
        kwargs, which = data.draw(with_one_bad(good, bad)) if good else ({}, "none")
        if name in WITHOUT_EVIDENCE:
            evidence = {}
        else:
            evidence = data.draw(st.one_of(valid_ev(m), valid_ev(m), valid_ev(m), evidence_inputs(m)))
        shown = {k: v for k, v in kwargs.items()}
        with contextlib.chdir(tmp):
            attempt(kind, f"{m.network.name}.{name}", lambda: call(evidence, dict(kwargs)),
                    lambda: (f"evidence={safe_repr(evidence, 150)}, " if name not in WITHOUT_EVIDENCE else "")
                    + f"{safe_repr(shown, 250)} (bad: {which})")
        shutil.rmtree(tmp / "out", ignore_errors=True)
        os.makedirs(tmp / "out", exist_ok=True)

    one()


WITHOUT_EVIDENCE = {"cpt/states/variables", "workup", "load_network", "load_model", "export", "scenarios.load"}


def valid_ev(m) -> st.SearchStrategy:
    """Well-formed evidence on a few variables of ``m``."""
    return st.lists(st.sampled_from(m.network.names), unique=True, max_size=3).flatmap(
        lambda keys: st.fixed_dictionaries({k: valid_values_for(m.network[k].states) for k in keys}))


def workup_and_plot(m, *, stages, n_samples, seed, level, plot):
    w = m.workup(stages, n_samples=n_samples, seed=seed, level=level)
    if plot:
        w.plot()
    return w


def fuzz_files(toy, shipped, n: int, run_seed: int, tmp: Path) -> None:
    kind = "files"
    from bmes_bayes import scenarios, teaching

    exports = {fmt: bmes_bayes.interop.export_text(toy, fmt) for fmt in ["bif", "xmlbif", "xdsl", "net", "uai"]}
    extensions = {"bif": ".bif", "xmlbif": ".xmlbif", "xdsl": ".xdsl", "net": ".net", "uai": ".uai"}
    scenario_files = sorted((ROOT / "scenarios").glob("*.yaml"))
    teaching_dir = ROOT / "priors" / "teaching"

    def model_copy(source: Path, network_file: str, where: Path) -> Path:
        root = where / "m"
        (root / "networks").mkdir(parents=True)
        shutil.copy(source / "networks" / network_file, root / "networks" / network_file)
        shutil.copytree(source / "priors", root / "priors", ignore=shutil.ignore_patterns("*.md"))
        return root

    @seed(run_seed)
    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data):
        what = data.draw(st.sampled_from(["toy model"] * 6 + ["shipped model"] + ["scenario"] * 3 + ["alerts"] * 2
                                         + ["costs"] * 2 + ["network file"] * 6 + ["random bytes"]))
        with tempfile.TemporaryDirectory(dir=tmp) as d:
            d = Path(d)
            if what in ("toy model", "shipped model"):
                root = model_copy(TOY if what == "toy model" else ROOT, "toy.yaml" if what == "toy model"
                                  else "bmes.yaml", d)
                candidates = [*(root / "networks").glob("*.yaml"), *sorted((root / "priors").glob("*.yaml"))]
                chosen = data.draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=2, unique=True))
                for path in chosen:
                    path.write_text(mutate(data, path.read_text(encoding="utf-8")), encoding="utf-8")
                net_file = next((root / "networks").glob("*.yaml"))

                def call():
                    m = bmes_bayes.load_model(net_file)
                    return m.posterior({}, target=m.network.names[-1])
                attempt(kind, f"load_model ({what})", call, lambda: f"mutated {[p.name for p in chosen]}: "
                        + " | ".join(shorten(p.read_text(encoding='utf-8'), 400) for p in chosen))
            elif what == "scenario":
                path = d / "case.yaml"
                src = data.draw(st.sampled_from(scenario_files))
                path.write_text(mutate(data, src.read_text(encoding="utf-8")), encoding="utf-8")
                attempt(kind, "scenarios.load", lambda: scenarios.load(path, network=shipped.network),
                        lambda: shorten(path.read_text(encoding="utf-8"), 600), check=None)
            elif what in ("alerts", "costs"):
                src = teaching_dir / ("cant_miss.yaml" if what == "alerts" else "test_costs.yaml")
                path = d / src.name
                path.write_text(mutate(data, src.read_text(encoding="utf-8")), encoding="utf-8")
                if what == "alerts":
                    attempt(kind, "load_alert_config",
                            lambda: teaching.load_alert_config(path, network=shipped.network),
                            lambda: shorten(path.read_text(encoding="utf-8"), 600), check=None)
                else:
                    attempt(kind, "load_test_costs", lambda: teaching.load_test_costs(path, network=shipped.network),
                            lambda: shorten(path.read_text(encoding="utf-8"), 600), check=None)
            else:
                fmt = data.draw(st.sampled_from(["uai", "uai", "xmlbif", "xmlbif", "xdsl", "xdsl", "bif", "net"]))
                path = d / f"net{extensions[fmt]}"
                if what == "random bytes":
                    path.write_bytes(data.draw(st.binary(max_size=200)))
                else:
                    text = exports[fmt]
                    for _ in range(data.draw(st.integers(1, 3))):
                        text = text_mutation(data, text)
                    path.write_text(text, encoding="utf-8")
                target = data.draw(st.one_of(st.none(), st.sampled_from(toy.network.names), st.sampled_from(
                    ["var_0", "var_5", "var_9"])))

                def call():
                    m = bmes_bayes.load_network(path, target=target)
                    return m.posterior({}, target=m.network.names[-1])
                attempt(kind, f"load_network ({fmt})", call,
                        lambda: f"target={target!r}, file: {shorten(repr(path.read_bytes()), 600)}")

    one()


def special_paths(toy, shipped, tmp: Path) -> None:
    """Each loader on each special path, once: a directory, a missing file, a dangling symlink, symlinks to
    /dev/null and /dev/zero, a FIFO."""
    from bmes_bayes import scenarios, teaching

    kind = "files"
    d = tmp / "special"
    d.mkdir()
    loaders = {
        "load_model": lambda p: bmes_bayes.load_model(p),
        "load_model(priors=)": lambda p: bmes_bayes.load_model(TOY_NET, priors=p),
        "scenarios.load": lambda p: scenarios.load(p, network=shipped.network),
        "load_alert_config": lambda p: teaching.load_alert_config(p, network=shipped.network),
        "load_test_costs": lambda p: teaching.load_test_costs(p, network=shipped.network),
        "load_network": lambda p: bmes_bayes.load_network(p),
    }
    for suffix in (".yaml", ".uai"):
        (d / f"dir{suffix}").mkdir()
        os.symlink(d / "nowhere", d / f"dangling{suffix}")
        os.symlink("/dev/null", d / f"null{suffix}")
        os.symlink("/dev/zero", d / f"zero{suffix}")
        os.mkfifo(d / f"fifo{suffix}")
    for label, load in loaders.items():
        suffix = ".uai" if label == "load_network" else ".yaml"
        for name in ("dir", "missing", "dangling", "null", "zero", "fifo"):
            path = d / f"{name}{suffix}"
            attempt(kind, f"{label} (special path)", lambda: load(path), path.name, check=None)


def fuzz_command_lines(n: int, run_seed: int, tmp: Path) -> None:
    kind = "command lines"
    from tests.test_fuzz import run_cli

    @seed(run_seed)
    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(argv=st.one_of(argvs(), subcommand_argvs(), subcommand_argvs()))
    def one(argv):
        start = time.perf_counter()
        shown = safe_repr(argv, 400)
        with tempfile.TemporaryDirectory(dir=tmp) as d, contextlib.chdir(d):
            try:
                with time_limit(CLI_TIME_LIMIT), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    code, out, err = run_cli(argv)
            except FuzzTimeout as exc:
                TALLY.internal(kind, ("cli", "timeout", f"{where(exc)}: no answer within {CLI_TIME_LIMIT:g} s "
                                      "(no bound?)"), shown, "")
                return
            except BaseException as exc:  # noqa: BLE001 - escaped main() altogether
                TALLY.internal(kind, ("cli", type(exc).__name__, f"escaped main(): {masked(str(exc))}"), shown,
                               shorten(str(exc), 200))
                return
            finally:
                TALLY.seconds[kind] += time.perf_counter() - start
                import matplotlib.pyplot as plt

                plt.close("all")
        command = next((a for a in argv if not a.startswith("-") and a in KNOWN_COMMANDS), "?")
        if code == 0:
            TALLY.valid(kind)
        elif code == 2 and err.strip() and "Traceback" not in err and "internal error" not in err:
            TALLY.clear(kind)
        else:
            last = err.strip().splitlines()[-1] if err.strip() else "(no message)"
            tb = " with a traceback" if "Traceback" in err else ""
            TALLY.internal(kind, (f"cli {command}", f"exit {code}{tb}", masked(last)), shown, shorten(err.strip(), 300))

    one()


def _vocabulary():
    import argparse as ap

    from bmes_bayes.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, ap._SubParsersAction))
    return parser, sub.choices


PARSER, SUBCOMMANDS = _vocabulary()
KNOWN_COMMANDS = set(SUBCOMMANDS)
TOY_VARIABLES = {"sex": ["female", "male"], "pregnant": ["no", "yes"], "risk": ["no", "yes"],
                 "disease": ["a", "b", "c"], "sign": ["low", "mid", "high"], "test": ["neg", "pos"]}
SLOW = {"validate", "report", "demo", "workup", "tune", "uncertainty"}


@st.composite
def subcommand_argvs(draw):
    """Every subcommand with its own options (read from the parser) given plausible or odd values, on the toy model
    (or the shipped one for the quick subcommands)."""
    command = draw(st.sampled_from(sorted(SUBCOMMANDS)))
    shipped = command not in SLOW and draw(st.integers(0, 9)) == 0  # each run loads it: 1.7 s
    argv = [] if shipped else ["--model", TOY_NET]
    argv.append(command)
    variables = TOY_VARIABLES if not shipped else {"joint": ["hip", "knee"], "fever": ["no", "yes"],
                                                    "sex": ["female", "male"]}
    number = st.sampled_from(["1", "3", "7", "0", "-1", "0.5", "1e400", "nan", "x", "", "2.5", "99999999999"])
    values = {"--samples": st.sampled_from(["1", "5", "20", "0", "-3", "x", "1e3", "1000000000", "2.5"]),
              "--seed": st.sampled_from(["0", "1", "-1", "x", "1e3", "99999999999999999999999"]),
              "--level": st.sampled_from(["0.5", "0.9", "0", "1", "1.5", "nan", "x"]),
              "--at-least": st.sampled_from(["0.5", "0.9", "0", "1", "1.5", "nan", "x", "-1"]),
              "--top": number, "--target": st.sampled_from(list(variables) + ["diagnosis", "nope", ""]),
              "--state": st.sampled_from(["a", "b", "yes", "infection", "nope", ""]),
              "--format": st.sampled_from(["bif", "xmlbif", "xdsl", "net", "uai", "pdf", ""]),
              "-o": st.sampled_from(["out.x", "-", "sub/out.x", ".", ""]),
              "--output": st.sampled_from(["out.x", "-", "sub/out.x", ".", ""]),
              "--scenario": st.sampled_from(["classic-toh", "nope", ""]),
              "--costs": st.sampled_from(["costs.yaml", "-", ""]),
              "--cases": st.sampled_from([".", "missing"]), "--plot": st.sampled_from(["p.png", "sub/p.png"])}
    options = [a for a in SUBCOMMANDS[command]._actions if a.option_strings and "-h" not in a.option_strings]
    for action in draw(st.lists(st.sampled_from(options), unique_by=id, max_size=5)) if options else []:
        flag = draw(st.sampled_from(action.option_strings))
        if action.nargs == 0:
            argv.append(flag)
        elif action.nargs in ("+", "*"):
            argv += [flag, *draw(st.lists(st.sampled_from([f"{v}={s}" for v, ss in variables.items() for s in ss]
                                                          + ["bad", "a=b"]), min_size=1, max_size=3))]
        else:
            key = flag if flag in values else next((o for o in action.option_strings if o in values), None)
            argv += [flag, draw(values[key]) if key else draw(number)]
    positional = [a for a in SUBCOMMANDS[command]._actions if not a.option_strings and a.dest != "help"]
    for action in positional:
        if action.dest == "evidence":
            argv += draw(st.lists(st.sampled_from([f"{v}={s}" for v, ss in variables.items() for s in ss]
                                                  + [f"{v}={ss[0]}:0.2,{ss[-1]}:0.8" for v, ss in variables.items()]
                                                  + ["bad", "a=b", "=", "sex=male"]), max_size=4))
        else:
            argv.append(draw(st.sampled_from(["classic-toh", "steroid-osteonecrosis-sle", "nope", "case.yaml", ""])))
    return argv


# ------------------------------------------------------------------------------------------------ report

def report(seconds: float, run_seed: int) -> str:
    kinds = list(SHARES)
    lines = [f"fuzz run: {sum(TALLY.tried.values())} inputs (seed {run_seed}), {seconds:.0f} s, bmes-bayes "
             f"{bmes_bayes.__version__} from {Path(bmes_bayes.__file__).parent}", ""]
    head = f"{'kind':<15}{'tried':>8}{'clear errors':>14}{'valid results':>15}{'internal errors':>17}{'seconds':>9}"
    lines += [head, "-" * len(head)]
    for k in kinds:
        lines.append(f"{k:<15}{TALLY.tried[k]:>8}{TALLY.outcome[(k, 'clear')]:>14}{TALLY.outcome[(k, 'valid')]:>15}"
                     f"{TALLY.outcome[(k, 'internal')]:>17}{TALLY.seconds[k]:>9.0f}")
    lines.append("-" * len(head))
    tot = lambda o: sum(v for (k, oo), v in TALLY.outcome.items() if oo == o)  # noqa: E731
    lines.append(f"{'total':<15}{sum(TALLY.tried.values()):>8}{tot('clear'):>14}{tot('valid'):>15}{tot('internal'):>17}"
                 f"{sum(TALLY.seconds.values()):>9.0f}")
    sigs = sorted(TALLY.signatures.items(), key=lambda kv: -kv[1]["count"])
    lines += ["", f"{len(sigs)} distinct internal-error signatures (exception or exit code | where: message pattern), "
              "what raised them, and the shortest input that produced each:"]
    for i, (sig, e) in enumerate(sigs, 1):
        callers = ", ".join(f"{c} x{k}" for c, k in e["callers"].most_common(4))
        more = f" and {len(e['callers']) - 4} more" if len(e["callers"]) > 4 else ""
        lines.append(f"{i:>3}. [{e['kind']}] x{e['count']}  {' | '.join(sig)}")
        lines.append(f"       from: {callers}{more}")
        lines.append(f"       input: {e['input']}")
        if e["message"]:
            lines.append(f"       message: {shorten(e['message'], 240)}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of inputs, split over the kinds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default=",".join(SHARES), help="comma-separated subset of: " + ", ".join(SHARES))
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard),
                                           hard))
    import matplotlib

    matplotlib.use("Agg")
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    start = time.perf_counter()
    toy = bmes_bayes.load_model(TOY_NET)
    shipped = bmes_bayes.load_model()
    with tempfile.TemporaryDirectory(prefix="bmes-fuzz-") as tmp:
        tmp = Path(tmp)
        try:
            if "evidence" in kinds:
                fuzz_evidence([shipped, toy, toy], round(args.n * SHARES["evidence"]), args.seed)
                print_progress(start)
            if "arguments" in kinds:
                fuzz_arguments(toy, shipped, round(args.n * SHARES["arguments"]), args.seed, tmp)
                print_progress(start)
            if "files" in kinds:
                special_paths(toy, shipped, tmp)
                fuzz_files(toy, shipped, max(1, round(args.n * SHARES["files"]) - TALLY.tried["files"]), args.seed, tmp)
                print_progress(start)
            if "command lines" in kinds:
                fuzz_command_lines(round(args.n * SHARES["command lines"]), args.seed, tmp)
        except KeyboardInterrupt:
            print("interrupted: the figures so far", file=sys.stderr)
    print(report(time.perf_counter() - start, args.seed))
    return 1 if TALLY.signatures else 0


def print_progress(start: float) -> None:
    parts = ", ".join(f"{k} {v}" for k, v in TALLY.tried.items())
    print(f"  {parts}; {sum(o for (k, w), o in TALLY.outcome.items() if w == 'internal')} internal errors, "
          f"{time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
