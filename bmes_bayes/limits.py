"""Every bound bmes-bayes enforces, in one place.

Nothing a user passes in (an argument, a file, a command line) may exhaust the machine: each size below is checked
before any work starts, and a request beyond it is refused with :class:`~bmes_bayes.exceptions.TooLargeError` (a
``ValueError``) or, for a file, a :class:`~bmes_bayes.exceptions.SpecError` that names it. A refusal of a count states
the memory and time the request would have needed.

=============================  ===================  ==============================================================
Bound                          Value                What it limits
=============================  ===================  ==============================================================
``MAX_SAMPLES``                1,000,000            parameter sets of one uncertainty run: ``sensitivity``,
                                                    ``workup`` (per stage), ``query/demo/uncertainty/report/workup
                                                    --samples``
``MAX_SOBOL_N``                65,536 (2**16)       Sobol' base sample ``n`` (also a power of 2, at least 2)
``MAX_EVALUATIONS``            10,000,000           exact evaluations of one call: a Sobol run, ``n (G + 2)``; a
                                                    work-up, ``stages x n_samples``; an atlas, ``sets x n_samples``
``MAX_ATLAS_SETS``             100,000              evidence sets in one scenario atlas
``MEMORY_LIMIT``               2 GiB                the largest array an analysis plans to hold (draws, a Sobol
                                                    design's sample matrix and bootstrap, an atlas's kept draws)
``MAX_CURVE_POINTS``           1,000,000            points of ``SensitivityFunction.curve(n)``
``MAX_RAW_ENTRIES``            5,000                raw CPT entries ``admissible_deviation(node=...)`` searches
evidence entries               the network's        keys of one evidence mapping (more cannot all be variables)
                               number of variables
``SHOWN`` (exceptions)         10                   problems spelled out in one error message, then "... and N
                                                    more" (50 for a file's problems, 40 valid names per list)
``MAX_FILE_BYTES``             5,000,000            a model, prior, scenario, alert, test-cost or validation YAML
                                                    file, or ``MODEL_CARD.md``; read as a regular file only
``MAX_IMPORT_BYTES``           200,000,000          a BIF/XMLBIF/XDSL/NET/UAI file for ``load_network`` (the
                                                    shipped model exported as BIF is 24 MB); regular files only
``MAX_YAML_NODES``             1,000,000            YAML nodes after expanding aliases
``MAX_TABLE_ENTRIES``          10,000,000           entries of one CPT
``PLAN_CACHE``                 512                  contraction plans kept per model (least recently used evicted)
``CONTRACTION_CACHE``          512                  compiled contractions kept per model (likewise)
``KEEP_PARAMETERS_UP_TO``      20,000               parameter draws kept with an ``Uncertainty`` result
``THREADS``                    2                    threads that evaluate batches of parameter sets at once
                                                    (Monte-Carlo, Sobol), at most one per CPU; 1 runs them serially
``engine.BATCH_BYTES``         24 MiB               the largest table of one engine sub-batch
=============================  ===================  ==============================================================

A file is read only if it is a regular file (after following symlinks): a device such as ``/dev/zero``, a FIFO, a
socket or a directory is refused at once, never read, and the read stops at the byte cap even if the file grows.

Time estimates assume :data:`SETS_PER_SECOND`, about the slowest rate measured on the shipped model (exact
inference with no evidence, one core); with evidence it is 3 to 20 times faster.

These are module attributes read at call time: a user whose machine has room may raise one on purpose, e.g.
``bmes_bayes.limits.MAX_SAMPLES = 10_000_000``.
"""

from __future__ import annotations

__all__ = [
    "CONTRACTION_CACHE", "KEEP_PARAMETERS_UP_TO", "MAX_ATLAS_SETS", "MAX_CURVE_POINTS", "MAX_EVALUATIONS",
    "MAX_FILE_BYTES", "MAX_IMPORT_BYTES", "MAX_RAW_ENTRIES", "MAX_SAMPLES", "MAX_SOBOL_N", "MAX_TABLE_ENTRIES",
    "MAX_YAML_NODES", "MEMORY_LIMIT", "PLAN_CACHE", "SETS_PER_SECOND", "THREADS",
]

MAX_SAMPLES = 1_000_000
MAX_SOBOL_N = 2**16
MAX_EVALUATIONS = 10_000_000
MAX_ATLAS_SETS = 100_000
MEMORY_LIMIT = 2 * 2**30
MAX_CURVE_POINTS = 1_000_000
MAX_RAW_ENTRIES = 5000
MAX_FILE_BYTES = 5_000_000
MAX_IMPORT_BYTES = 200_000_000
MAX_YAML_NODES = 1_000_000
MAX_TABLE_ENTRIES = 10_000_000
PLAN_CACHE = 512
CONTRACTION_CACHE = 512
KEEP_PARAMETERS_UP_TO = 20_000
THREADS = 2
SETS_PER_SECOND = 500
