"""Sizes: every bound of bmes_bayes.limits is enforced before any work, with the package's own error.

Issue 13's "Sizes" examples as regression tests: sample counts (``sensitivity(n_samples=10**9)``, ``query --samples
1000000000``), Sobol's ``n`` (``sobol(n=2**20)``), a 100,000-key evidence dict (its error was 57 MB), model,
scenario, cost, alert, validation and imported network files that are a symlink to ``/dev/zero`` or a FIFO, and the
engine's plan and contraction caches under 50,000 distinct evidence signatures.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import bmes_bayes
from bmes_bayes import limits, scenarios, teaching, validation
from bmes_bayes.cli import main
from bmes_bayes.exceptions import EvidenceError, Problem, SpecError, TooLargeError

from .conftest import DATA

HIP = {"joint": "hip", "fever": "yes"}


@contextmanager
def within(seconds: float):
    """Fail (instead of hanging the suite) if the block takes longer than ``seconds``."""
    def expired(signum, frame):  # pragma: no cover - only when a read blocks
        raise AssertionError(f"took more than {seconds} s: the read blocked or ran away")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# ------------------------------------------------------------------------------------------------ sample counts
@pytest.mark.parametrize("n", [10**9, 10**8, limits.MAX_SAMPLES + 1])
def test_sample_counts_beyond_the_bound_are_refused_with_memory_and_time(model, n):
    with within(5), pytest.raises(TooLargeError) as err:
        model.uncertainty(HIP, n_samples=n)
    message = str(err.value)
    assert isinstance(err.value, ValueError)
    assert f"n_samples={n:,} is too large" in message and "MAX_SAMPLES = 1,000,000" in message
    assert " of memory and up to about " in message and ("days" in message or "hours" in message
                                                        or "minutes" in message)


def test_the_memory_estimate_is_the_arrays_the_run_would_hold(model, monkeypatch):
    """10**9 draws of a 9-state posterior are 72 GB of float64; over MEMORY_LIMIT even when the count is allowed."""
    with pytest.raises(TooLargeError, match=r"about 72 GB of memory and up to about 23\.1 days"):
        model.uncertainty(HIP, n_samples=10**9)
    monkeypatch.setattr(limits, "MAX_SAMPLES", 10**12)
    with pytest.raises(TooLargeError, match="MEMORY_LIMIT"):
        model.uncertainty(HIP, n_samples=10**9)
    monkeypatch.setattr(limits, "MEMORY_LIMIT", 10**12)
    monkeypatch.setattr(limits, "MAX_EVALUATIONS", 10**12)
    monkeypatch.setattr(limits, "MAX_SAMPLES", 10)  # a bound raised or lowered at run time takes effect at once
    with pytest.raises(TooLargeError, match=r"MAX_SAMPLES = 10\)"):
        model.uncertainty(HIP, n_samples=11)


def test_a_workup_counts_every_stage(model, monkeypatch):
    stages = [("a", {"joint": "hip"}), ("b", {"fever": "yes"}), ("c", {"sex": "male"})]
    monkeypatch.setattr(limits, "MAX_EVALUATIONS", 299)
    with pytest.raises(TooLargeError, match="300 exact evaluations in all"):
        model.workup(stages, n_samples=100, seed=0)
    assert model.workup(stages, n_samples=99, seed=0).n_samples == 99


@pytest.mark.parametrize("argv", [["query", "joint=hip", "--samples", "1000000000"],
                                  ["uncertainty", "joint=hip", "--samples", "100000000"],
                                  ["demo", "--samples", "1000000000"]])
def test_the_command_line_refuses_huge_sample_counts_as_bad_input(capsys, argv):
    with within(30):
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert "is too large" in err and "of memory" in err and "internal error" not in err


# ------------------------------------------------------------------------------------------------ Sobol
def test_sobol_n_beyond_the_bound_is_refused_before_the_design(model, monkeypatch):
    import importlib

    from scipy.stats import qmc

    def never(*args, **kwargs):  # pragma: no cover - the bound must come first
        raise AssertionError("the design was drawn")

    monkeypatch.setattr(importlib.import_module("bmes_bayes.sensitivity.sobol"), "_saltelli_base", never)
    monkeypatch.setattr(qmc, "Sobol", never)
    with within(10), pytest.raises(TooLargeError, match=r"sobol\(n=1,048,576\) is too large \(n is above "
                                                        r"bmes_bayes.limits.MAX_SOBOL_N = 65,536"):
        model.sobol(None, target="corticosteroids", target_state="yes", n=2**20, seed=0)
    with pytest.raises(bmes_bayes.ArgumentError, match="power of 2"):
        model.sobol(None, target="corticosteroids", target_state="yes", n=1000, seed=0)


def test_a_sobol_run_too_large_for_memory_says_so_and_suggests_fewer_factors(model, monkeypatch):
    """Without evidence 107 parameters (167 uniform inputs) can move the diagnosis: at n = 1024 the bound, SALib's
    sample matrix, has 1024 x 109 rows by 167 columns, about 158 MB with the bootstrap, over a lowered MEMORY_LIMIT."""
    monkeypatch.setattr(limits, "MEMORY_LIMIT", 100 * 2**20)
    with within(10), pytest.raises(TooLargeError) as err:
        model.sobol(None, n=1024, seed=0)
    message = str(err.value)
    assert "111,616 evaluations" not in message  # under MAX_EVALUATIONS: only the memory is too much
    assert "MEMORY_LIMIT = 105 MB" in message and "about 158 MB of memory" in message
    assert "groups='node'" in message
    monkeypatch.setattr(limits, "MAX_EVALUATIONS", 100)
    with pytest.raises(TooLargeError, match=r"evaluations \(n x \(\d+ factors \+ 2\)\) are above .*MAX_EVALUATIONS = 100"):
        model.sobol(HIP, n=64, seed=0, groups="node")


# ------------------------------------------------------------------------------------------------ evidence, messages
def test_a_huge_evidence_dict_gives_a_short_error_quickly(model):
    evidence = {f"x{i}": "y" for i in range(100_000)}
    start = time.perf_counter()
    with pytest.raises(EvidenceError) as err:
        model.posterior(evidence)
    assert time.perf_counter() - start < 2
    message = str(err.value)
    assert len(message) < 1000, len(message)
    assert "100,000 entries but the network has 36 variables" in message and "'x0'" in message


def test_evidence_problems_are_listed_up_to_ten_then_counted(model):
    evidence = {f"x{i}": "y" for i in range(30)}
    with pytest.raises(EvidenceError) as err:
        model.posterior(evidence)
    message = str(err.value)
    assert message.count("unknown variable") == 10 and "... and 20 more problems" in message
    with pytest.raises(EvidenceError) as err:
        model.posterior({"fever": {f"s{i}": 1.0 for i in range(100_000)}})
    assert len(str(err.value)) < 500 and "100,000 entries" in str(err.value)


def test_a_file_with_thousands_of_problems_gives_a_bounded_message():
    problems = [Problem("f.yaml", i, f"problem {i}") for i in range(1, 10_001)]
    err = SpecError(problems, "prior files")
    assert len(err.problems) == 10_000 and str(err).startswith("10000 problems in the prior files")
    assert "f.yaml:50: problem 50" in str(err) and "problem 51" not in str(err)
    assert str(err).endswith("... and 9,950 more") and len(str(err)) < 3000


def test_a_list_of_valid_names_is_cut_at_forty(model):
    from bmes_bayes.exceptions import unknown_name_message

    text = unknown_name_message("variable", "nope", [f"v{i}" for i in range(5000)])
    assert "v39" in text and "v40," not in text and "... and 4,960 more" in text


def test_other_sizes_of_arguments(model, monkeypatch):
    sf = model.sensitivity_function(HIP, "fever", {"diagnosis": "infection"}, "yes", target_state="infection")
    with pytest.raises(TooLargeError, match="MAX_CURVE|at most 1,000,000"):
        sf.curve(n=10**9)
    monkeypatch.setattr(limits, "MAX_RAW_ENTRIES", 3)
    with pytest.raises(TooLargeError, match="MAX_RAW_ENTRIES = 3"):
        model.admissible_deviation(HIP, node="fever")


# ------------------------------------------------------------------------------------------------ files
def _dev_zero(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


SPECIALS = {"dev-zero": _dev_zero, "fifo": _fifo}
pytestmark_files = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(),
                                      reason="needs FIFOs and /dev/zero")


@pytest.fixture
def toy_copy(tmp_path):
    root = tmp_path / "toy"
    shutil.copytree(DATA / "toy", root)
    return root


@pytestmark_files
@pytest.mark.parametrize("special", list(SPECIALS))
def test_model_files_that_are_not_regular_files_are_refused_at_once(toy_copy, special):
    make = SPECIALS[special]
    kind = "character device" if special == "dev-zero" else "FIFO"
    net = toy_copy / "networks" / "toy.yaml"
    net.unlink()
    make(net)
    with within(5), pytest.raises(SpecError, match=f"it is a {kind}.*not a regular model file"):
        bmes_bayes.load_model(net)
    with within(10):
        assert main(["--model", str(net), "variables"]) == 2


@pytestmark_files
@pytest.mark.parametrize("special", list(SPECIALS))
def test_prior_scenario_alert_cost_and_case_files_are_refused_at_once(tmp_path, toy_copy, model, special):
    make = SPECIALS[special]
    kind = "character device" if special == "dev-zero" else "FIFO"
    make(toy_copy / "priors" / "zz.yaml")
    with within(5), pytest.raises(SpecError, match=f"zz.yaml: cannot read the file: it is a {kind}"):
        bmes_bayes.load_model(toy_copy / "networks" / "toy.yaml")
    with within(5), pytest.raises(SpecError, match=kind):
        scenarios.load(make(tmp_path / "case.yaml"), network=model.network)
    with within(5), pytest.raises(SpecError, match=kind):
        teaching.load_alert_config(make(tmp_path / "alerts.yaml"), network=model.network)
    with within(5), pytest.raises(SpecError, match=kind):
        teaching.load_test_costs(make(tmp_path / "costs.yaml"), network=model.network)
    cases = tmp_path / "cases"
    cases.mkdir()
    make(cases / "cases.yaml")
    make(cases / "coded.yaml")
    with within(5), pytest.raises(SpecError, match=kind):
        validation.load_cases(cases, network=model.network)


@pytestmark_files
@pytest.mark.parametrize("special", list(SPECIALS))
@pytest.mark.parametrize("suffix", [".bif", ".uai", ".xdsl"])
def test_imported_networks_that_are_not_regular_files_are_refused_at_once(tmp_path, special, suffix):
    path = SPECIALS[special](tmp_path / f"net{suffix}")
    with within(5), pytest.raises(SpecError, match="not a regular network file"):
        bmes_bayes.load_network(path)


def test_imported_networks_and_model_files_are_read_up_to_their_byte_cap(tmp_path, toy_copy, monkeypatch):
    monkeypatch.setattr(limits, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(SpecError, match="a network file may be at most 100"):
        bmes_bayes.load_network(DATA / "asia.bif")
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 100)
    with pytest.raises(SpecError, match="a model file may be at most 100"):
        bmes_bayes.load_model(toy_copy / "networks" / "toy.yaml")


@pytestmark_files
def test_a_hand_written_model_card_is_read_within_its_cap_and_never_from_a_device(toy_copy, monkeypatch):
    from bmes_bayes.model_card import model_card_text

    card = toy_copy / "networks" / "MODEL_CARD.md"
    card.write_text("# Toy card\n", encoding="utf-8")
    model = bmes_bayes.load_model(toy_copy / "networks" / "toy.yaml")
    assert "# Toy card" in model_card_text(model, image=None)
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 5)
    with pytest.raises(SpecError, match="a model card may be at most 5"):
        model_card_text(model, image=None)
    card.unlink()
    _dev_zero(card)
    with within(5):  # not a regular file: no hand-written card, and nothing read
        assert "# Toy card" not in model_card_text(model, image=None)


def test_a_symlink_to_a_regular_file_is_read_as_usual(tmp_path, toy_copy):
    link = toy_copy / "networks" / "link.yaml"
    link.symlink_to(toy_copy / "networks" / "toy.yaml")
    assert bmes_bayes.load_model(toy_copy / "networks" / "toy.yaml").info.digest == \
        bmes_bayes.load_model(link).info.digest


# ------------------------------------------------------------------------------------------------ caches
@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """A diagnosis and 16 independent binary findings: 2**16 hard-evidence signatures, each planned in microseconds."""
    root = tmp_path_factory.mktemp("wide")
    (root / "networks").mkdir()
    (root / "priors").mkdir()
    variables = "".join(f"  v{i}: {{role: finding, states: [a, b], parents: [d], description: V.}}\n" for i in range(16))
    (root / "networks" / "wide.yaml").write_text(
        'name: wide\nversion: "1"\nvariables:\n  d: {role: diagnosis, states: [x, y], parents: [], description: D.}\n'
        + variables)
    nodes = "".join(f'  v{i}: {{kind: table, rows: {{x: {{value: {{b: 0.{i + 1:02d}}}, fixed: true, source: t}}, '
                    f'y: {{value: {{b: 0.5}}, fixed: true, source: t}}}}}}\n' for i in range(16))
    (root / "priors" / "wide.yaml").write_text(
        "nodes:\n  d: {kind: table, row: {value: {y: 0.3}, fixed: true, source: t}}\n" + nodes)
    return bmes_bayes.load_model(root)


def test_50000_evidence_signatures_keep_the_plan_cache_at_its_bound(wide):
    engine = wide._engine
    names = [f"v{i}" for i in range(16)]
    for i in range(50_000):
        engine._plan("d", frozenset(n for j, n in enumerate(names) if i >> j & 1), frozenset())
    assert len(engine._plans) == limits.PLAN_CACHE
    wide.clear_cache()
    assert len(engine._plans) == len(engine._contractions) == 0


def test_queries_keep_both_caches_bounded_and_results_exact(wide, monkeypatch):
    monkeypatch.setattr(limits, "PLAN_CACHE", 8)
    monkeypatch.setattr(limits, "CONTRACTION_CACHE", 8)
    wide.clear_cache()
    first = {}
    for i in range(300):
        ev = {f"v{j}": "b" for j in range(16) if i >> j & 1}
        soft = {"v15": [0.2, 0.9]} if i % 3 == 0 and "v15" not in ev else {}
        first[i] = wide.posterior({**ev, **soft}, checks=False).probabilities
        assert len(wide._engine._plans) <= 8 and len(wide._engine._contractions) <= 8
    for i in (0, 7, 150, 299):  # evicted long ago: rebuilt, same numbers to the last bit
        ev = {f"v{j}": "b" for j in range(16) if i >> j & 1}
        soft = {"v15": [0.2, 0.9]} if i % 3 == 0 and "v15" not in ev else {}
        assert np.array_equal(wide.posterior({**ev, **soft}, checks=False).probabilities, first[i])
    # the exact answer: P(d | findings) by Bayes' rule on the stated rows
    p = np.array([0.7, 0.3]) * np.prod([[0.01 * (j + 1), 0.5] for j in range(16) if 299 >> j & 1], axis=0)
    assert np.allclose(first[299], p / p.sum(), rtol=1e-12)
