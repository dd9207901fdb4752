"""A 10,000-sample uncertainty analysis: the batched exact engine vs the naive per-sample loops of pgmpy and pyAgrum.

Same evidence, same kind of work per sample (CPTs from one parameter draw, exact inference of P(diagnosis | e)):

- bmes-bayes: ``model.uncertainty(evidence, n_samples=N)``, which includes drawing the parameters; with the default
  threads (``bmes_bayes.limits.THREADS``, one per CPU up to 2) and with one (the ratios are of the one-thread run:
  one core against one core); with the engine's fast path for the log-linear diagnosis node (the default, in single
  precision inside Monte-Carlo: within 1e-6 of double, see ``bmes_bayes.inference.loglinear``) and on the
  generic contraction alone (``Engine.fast = False``, one thread), so the fast path's gain is measured in the same
  run;
- pgmpy: per sample, new ``TabularCPD``s from that draw's compiled tables, a new ``VariableElimination``, a query;
- pyAgrum: ``bmes.bifxml`` loaded once; per sample, every CPT refilled with ``fillWith``, a new ``LazyPropagation``;
- the arithmetic alone: the fast path's normaliser (two matrix products and a reciprocal per parent configuration the
  evidence allows) on random operands of the shapes and precision the query gives it: the floor of the fast path with numpy's BLAS
  on this machine, and so the largest ratio to the pgmpy loop any implementation of that arithmetic could print here.

The baselines are timed on a few hundred samples (``--baseline``) and scaled to N; the time to draw and compile the
parameters is not charged to them. The first samples of each baseline are checked against the batched engine
(1e-9). Peak memory: ``tracemalloc`` peak of the batched run (Python allocations, numpy included) and the process's
maximum resident set size.

Run: ``python benchmarks/bench_sensitivity.py [--samples 10000] [--baseline 200]``. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
import warnings
import sys
from pathlib import Path

import numpy as np

import bmes_bayes
from bmes_bayes import limits
from bmes_bayes.draws import threads as draw_threads
from bmes_bayes.compile import DrawnTables, compile_all
from bmes_bayes.inference.contraction import Engine
from bmes_bayes.interop import pgmpy_tables
from bmes_bayes.parameters import sample_draws

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _agrum import agrum_network  # noqa: E402

SCENARIOS = {
    "no evidence (the largest sum)": {},
    "hip, sudden onset (risk factors, age, sex unobserved)": {"joint": "hip", "onset": "sudden"},
    "context + risk factors + MRI (typical complete case)": {
        "joint": "hip", "age_group": "middle", "sex": "male", "corticosteroids": "yes", "heavy_alcohol": "no",
        "onset": "gradual", "fever": "no", "inflammatory_markers": "normal", "xray": "normal",
        "mri_edema_pattern": "focal", "mri_necrotic_segment": "present", "mri_fracture_line": "absent",
    },
}


def batched(model, ev, n):
    """Timed without tracing (tracemalloc slows numpy down), then run again under tracemalloc for the peak."""
    t0 = time.perf_counter()
    res = model.uncertainty(ev, n_samples=n, seed=0, progress=False)
    dt = time.perf_counter() - t0
    tracemalloc.start()
    again = model.uncertainty(ev, n_samples=n, seed=0, progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert np.array_equal(res.samples, again.samples), "seeded runs differ"
    return res, dt, peak


def normaliser_floor(model, ev, n):
    """Parameter sets per second of the fast path's arithmetic alone: ``loglinear._normaliser`` (two matrix products
    and a reciprocal per parent configuration the evidence allows) timed on random operands of the shapes the real
    query gives it, in its precision (single inside Monte-Carlo), for ``n`` sets in batches of the engine's size.
    Everything else is left out (drawing, compiling, building the operands), so no implementation of this arithmetic
    with numpy's BLAS on this machine goes faster. None when the query does not take the fast path.
    """
    from bmes_bayes.inference import loglinear

    seen: dict = {}
    real = loglinear._normaliser

    def spy(*args, **kwargs):   # kwargs: groups of sets that share operands (none among draws from the priors)
        seen.setdefault("args", [(a.shape, a.dtype) for a in args])
        return real(*args, **kwargs)

    loglinear._normaliser = spy
    try:
        model.uncertainty(ev, n_samples=500, seed=2, progress=False)
    finally:
        loglinear._normaliser = real
    if not seen:
        return None
    rng = np.random.default_rng(0)
    # the blocks' factors (random, of the real shapes and precision), then out, zbuf, tbuf (buffers)
    inputs = len(seen["args"]) - 3
    args = [rng.uniform(0.5, 1.5, shape).astype(dtype) if i < inputs else np.empty(shape, dtype=dtype)
            for i, (shape, dtype) in enumerate(seen["args"])]
    batch, dtype = len(args[0]), args[-1].dtype
    t0 = time.perf_counter()
    for _ in range(-(-n // batch)):
        real(*args)
    _, c, a, b = seen["args"][-2][0]    # zbuf: (sets, C, A, B)
    x = seen["args"][-1][0][2]          # tbuf: (sets, C, X, A)
    return -(-n // batch) * batch / (time.perf_counter() - t0), (c, a, b, x, np.dtype(dtype).name)


def pgmpy_loop(model, ev, draws, n):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.inference import VariableElimination
        from pgmpy.models import DiscreteBayesianNetwork
    net = model.network
    states = {v.name: list(v.states) for v in net.variables}
    out = np.empty((n, net["diagnosis"].card))
    t0 = time.perf_counter()
    for i in range(n):
        values = pgmpy_tables(net, compile_all(model.priors, net, draws.subset(i, i + 1)))
        bn = DiscreteBayesianNetwork()
        bn.add_nodes_from(net.names)
        bn.add_edges_from((p, v.name) for v in net.variables for p in v.parents)
        bn.add_cpds(*[TabularCPD(v.name, v.card, values[v.name], evidence=list(v.parents) or None,
                                 evidence_card=[net[p].card for p in v.parents] or None,
                                 state_names={x: states[x] for x in (*v.parents, v.name)}) for v in net.variables])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            q = VariableElimination(bn).query(["diagnosis"], evidence=ev, show_progress=False)
        out[i] = [q.values[q.state_names["diagnosis"].index(s)] for s in net["diagnosis"].states]
    return out, time.perf_counter() - t0


def pyagrum_loop(model, ev, draws, n):
    import pyagrum as gum

    net = model.network
    gbn = agrum_network(gum, model)
    # pyAgrum keeps a CPT's variables in its own order: the child first, then the parents (reversed)
    orders = {v.name: list(gbn.cpt(v.name).names) for v in net.variables}
    out = np.empty((n, net["diagnosis"].card))
    t0 = time.perf_counter()
    for i in range(n):
        tables = compile_all(model.priors, net, draws.subset(i, i + 1))
        for v in net.variables:
            axes = (*v.parents, v.name)
            t = tables[v.name][0]
            order = orders[v.name]  # pyAgrum's variable order: the array axes are its reverse (first = fastest)
            flat = np.transpose(t, [axes.index(a) for a in reversed(order)]).ravel()
            gbn.cpt(v.name).fillWith(flat.tolist())
        ie = gum.LazyPropagation(gbn)
        ie.setEvidence(ev)
        ie.makeInference()
        post = ie.posterior("diagnosis")
        out[i] = [post[{"diagnosis": s}] for s in net["diagnosis"].states]
    return out, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=200, help="samples timed for each naive loop")
    args = parser.parse_args()
    model = bmes_bayes.load_model()
    n, nb = args.samples, args.baseline
    print(f"bmes-bayes {bmes_bayes.__version__}; {n} parameter sets; baselines timed on {nb} and scaled; ratio: "
          f"the speed of bmes-bayes on one thread over each row's\n")
    header = (f"{'evidence':<54} {'engine':>16} {'samples/s':>10} {'time for N':>11} {'ratio':>9}")
    for label, ev in SCENARIOS.items():
        model.uncertainty(ev, n_samples=500, seed=1, progress=False)  # warm-up: plans and contraction paths
        res, t_ours, peak = batched(model, ev, n)
        limits.THREADS, threads = 1, limits.THREADS
        try:
            one, t_one, _ = batched(model, ev, n)
        finally:
            limits.THREADS = threads
        assert np.array_equal(one.samples, res.samples), "one thread and several differ"
        Engine.fast, limits.THREADS, threads = False, 1, limits.THREADS
        try:
            model.uncertainty(ev, n_samples=500, seed=1, progress=False)
            generic, t_generic, _ = batched(model, ev, n)
        finally:
            Engine.fast, limits.THREADS = True, threads
        fast_vs_generic = np.abs(res.samples - generic.samples).max()
        floor = normaliser_floor(model, ev, n)
        draws = sample_draws(model.priors, nb, np.random.default_rng(0))
        ref = model.query(model.resolve(ev), "diagnosis", DrawnTables(model.priors, model.network, draws)).posterior
        pg, t_pg = pgmpy_loop(model, ev, draws, nb)
        ag, t_ag = pyagrum_loop(model, ev, draws, nb)
        assert np.abs(pg - ref).max() < 1e-9, "pgmpy disagrees with the batched engine"
        assert np.abs(ag - ref).max() < 1e-9, "pyAgrum disagrees with the batched engine"
        rate = {f"bmes-bayes, {draw_threads()} threads": n / t_ours, "bmes-bayes, 1 thread": n / t_one,
                "generic path only": n / t_generic, "pgmpy VE loop": nb / t_pg, "pyAgrum LP loop": nb / t_ag}
        print(label)
        print(header)
        print("-" * len(header))
        for name, r in rate.items():
            ratio = rate["bmes-bayes, 1 thread"] / r   # one core against one core
            print(f"{'':<54} {name:>16} {r:10.0f} {n / r:10.2f}s {ratio:8.2f}x" if ratio < 10 else
                  f"{'':<54} {name:>16} {r:10.0f} {n / r:10.2f}s {ratio:8.0f}x")
        if floor is not None:
            f_rate, (c, a, b, x, dtype) = floor
            print(f"{'':<54} {'arithmetic alone':>16} {f_rate:10.0f} {n / f_rate:10.2f}s "
                  f"{rate['bmes-bayes, 1 thread'] / f_rate:8.2f}x   (the normaliser's products on random operands "
                  f"of its shapes, in {dtype}: {c} x {a} x {b} parent configurations x {x} states per set; "
                  f"at most {f_rate / rate['pgmpy VE loop']:.0f}x the pgmpy loop)")
        print(f"{'':<54} fast path (single precision) vs generic path (double): largest difference "
              f"{fast_vs_generic:.1e}")
        print(f"{'':<54} peak traced memory of the batched run: {peak / 2**20:.0f} MiB\n")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max resident set size of the whole process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
