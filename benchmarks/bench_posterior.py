"""Median single-posterior latency: bmes-bayes ``model.posterior`` vs pgmpy and pyAgrum, same network and evidence.

Baselines, each built once before timing:
- pgmpy ``VariableElimination(model).query`` on the same CPTs;
- pyAgrum ``LazyPropagation`` on the exported XMLBIF (double precision), evidence set and inference made per query.

Run: ``python benchmarks/bench_posterior.py`` (prints medians and the ratios; nothing is asserted).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
import sys
from pathlib import Path

import numpy as np

import bmes_bayes
from bmes_bayes.interop import to_pgmpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _agrum import agrum_network  # noqa: E402


SCENARIOS = {
    "context + risk factors + MRI (typical query)": {
        "joint": "hip", "age_group": "middle", "sex": "male", "corticosteroids": "yes", "heavy_alcohol": "no",
        "onset": "gradual", "fever": "no", "inflammatory_markers": "normal", "xray": "normal",
        "mri_edema_pattern": "focal", "mri_necrotic_segment": "present", "mri_fracture_line": "absent",
    },
    "few findings, risk factors unobserved (hardest sum)": {
        "joint": "hip", "onset": "sudden", "mri_necrotic_segment": "absent",
    },
    "every variable but the diagnosis observed": None,  # filled in below
}


def timed(fn, repeat: int) -> float:
    fn()  # warm-up (plans, caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    model = bmes_bayes.load_model()
    full = {v.name: v.states[0] for v in model.network.variables if v.name != "diagnosis"}
    full.update(joint="knee", age_group="older", sex="female", mri_cartilage_loss="present", xray="degenerative")
    SCENARIOS["every variable but the diagnosis observed"] = full

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.inference import VariableElimination

        ve = VariableElimination(to_pgmpy(model))
    import pyagrum as gum

    gbn = agrum_network(gum, model)
    lazy = gum.LazyPropagation(gbn)

    print(f"bmes-bayes {bmes_bayes.__version__}; {len(model.network.variables)} variables; "
          f"median of {args.repeat} queries (seconds); ratio = baseline / bmes-bayes (>1: we are faster)\n")
    print("bmes-bayes = model.posterior(ev, checks=False), the same work as the baselines; '+ checks' is the default\n"
          "model.posterior(ev), which also finds the unentered history the top rests on and the evidence conflict\n")
    header = (f"{'evidence':<52} {'bmes-bayes':>11} {'+ checks':>11} {'pgmpy VE':>11} {'pyAgrum LP':>11} "
              f"{'vs pgmpy':>9} {'vs pyAgrum':>10}")
    print(header)
    print("-" * len(header))
    for label, ev in SCENARIOS.items():
        ours = model.posterior(ev).probabilities

        def run_pgmpy(ev=ev):
            return ve.query(["diagnosis"], evidence=ev, show_progress=False)

        def run_agrum(ev=ev):
            lazy.setEvidence(ev)
            lazy.makeInference()
            return lazy.posterior("diagnosis")

        q = run_pgmpy()
        ref = np.array([q.values[q.state_names["diagnosis"].index(s)] for s in model.states("diagnosis")])
        assert np.abs(ref - ours).max() < 1e-9, "pgmpy disagrees"
        t_ours = timed(lambda ev=ev: model.posterior(ev, checks=False), args.repeat)
        t_full = timed(lambda ev=ev: model.posterior(ev), max(args.repeat // 10, 5))
        t_pg = timed(run_pgmpy, max(args.repeat // 10, 5))
        t_ag = timed(run_agrum, args.repeat)
        print(f"{label:<52} {t_ours:11.2e} {t_full:11.2e} {t_pg:11.2e} {t_ag:11.2e} {t_pg / t_ours:8.1f}x "
              f"{t_ag / t_ours:9.2f}x")


if __name__ == "__main__":
    main()
