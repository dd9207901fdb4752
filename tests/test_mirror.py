"""The tests mirror the package (issue 10, item 3): ``bmes_bayes/a/b.py`` is tested in ``tests/a/test_b.py``.

Every module of the package has a test module at the mirrored path, or is named below with the reason it has none
(a re-export kept for old imports, the package's own ``__init__``/``__main__``, or a helper whose tests live with the
module that uses it: the test file named must exist). ``tests/README.md`` lists what each test file covers.
"""

from __future__ import annotations

from pathlib import Path

import bmes_bayes

PACKAGE = Path(bmes_bayes.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent

# Short modules that only re-export names from their new home, kept so that old imports keep working: their names
# are tested where they now live (and their importability by the ``test_api`` modules and tests/test_checks.py).
REEXPORTS = {
    "conflict.py": "teaching/conflict.py",
    "delta.py": "sensitivity/delta.py",
    "drawing.py": "plotting/network.py and results/marginals.py",
    "interop.py": "export.py and inference/pgmpy_adapter.py",
    "model_card.py": "report/model_card.py",
    "scenarios.py": "spec/scenarios.py",
}

# Modules without a mirrored test file, each with the test file(s) that cover it (they must exist).
TESTED_ELSEWHERE = {
    # private helpers, tested through the modules that use them
    "_deprecation.py": "sensitivity/test_api.py",              # the deprecated keywords point at the caller
    "_read.py": "test_limits.py",                              # size-limited reading; non-regular files refused
    "_seed.py": "test_reproducibility.py",                     # bad seeds refused, seeded results repeat
    "_version.py": "test_reproducibility.py",                  # the version every result records
    "_yaml.py": "test_robustness.py",                          # hostile YAML, the safe loader
    "plotting/_axes.py": "plotting/test_charts.py",            # user text drawn literally ('$' not parsed)
    "sensitivity/_perturb.py": "sensitivity/test_function.py",  # co-variation of a row
    "sensitivity/_search.py": "sensitivity/test_admissible.py",  # the grid-and-bisection search
    "spec/_paths.py": "test_reproducibility.py",               # the default model's paths
    "teaching/_common.py": "teaching/test_explain.py",         # ALL_OTHERS, weights in nats, bits, decibans
    # modules whose tests are a cross-cutting suite or another module's
    "compile.py": "inference/test_contraction.py",             # CPT arrays, the log-linear rows by hand
    "exceptions.py": "test_checks.py",                         # the error tree and its messages
    "parameters.py": "test_draws.py",                          # sampling of the parameter draws
    "model.py": "inference/test_contraction.py",               # posterior/marginals; also test_robustness.py
    "inference/pgmpy_adapter.py": "test_export.py",            # to_pgmpy, pgmpy_tables, reading other formats
    "display.py": "test_views.py",                             # every result's HTML and dict from its frame
    "results/marginals.py": "plotting/test_network.py",
    "report/render.py": "report/test_build.py",
    "spec/alerts.py": "spec/test_reader.py",                   # the one reader pattern, every data file
    "spec/cases.py": "spec/test_reader.py",
    "spec/costs.py": "spec/test_reader.py",
    "spec/priors.py": "spec/test_network.py",                  # networks and priors validated together
}


def _modules() -> list[str]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if path.name in ("__init__.py", "__main__.py") or rel in REEXPORTS:
            continue
        out.append(rel)
    return out


def _mirror(rel: str) -> Path:
    path = Path(rel)
    return TESTS / path.parent / f"test_{path.name.lstrip('_')}"


def test_every_module_has_a_mirrored_test_module_or_a_stated_reason():
    missing = [f"bmes_bayes/{rel} -> tests/{_mirror(rel).relative_to(TESTS).as_posix()}" for rel in _modules()
               if rel not in TESTED_ELSEWHERE and not _mirror(rel).is_file()]
    assert not missing, "modules without a test module at the mirrored path:\n" + "\n".join(missing)


def test_the_exceptions_name_real_modules_and_existing_test_files():
    modules = set(_modules())
    stale = [rel for rel in TESTED_ELSEWHERE if rel not in modules]
    assert not stale, f"listed as tested elsewhere but no such module (remove them): {stale}"
    reexports = [rel for rel in REEXPORTS if not (PACKAGE / rel).is_file()]
    assert not reexports, f"re-export modules that no longer exist (remove them): {reexports}"
    absent = {rel: where for rel, where in TESTED_ELSEWHERE.items() if not (TESTS / where).is_file()}
    assert not absent, f"the test files named for these modules do not exist: {absent}"
    mirrored = [rel for rel in TESTED_ELSEWHERE if _mirror(rel).is_file()]
    assert not mirrored, f"these now have a mirrored test module; drop them from the exceptions: {mirrored}"


def test_every_test_package_is_a_package_of_the_library():
    """A sub-directory of tests/ mirrors a sub-package of bmes_bayes/ (``data/`` holds test data)."""
    extra = [d.name for d in TESTS.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))
             and d.name != "data" and not (PACKAGE / d.name / "__init__.py").is_file()]
    assert not extra, f"test directories with no package of that name: {extra}"
