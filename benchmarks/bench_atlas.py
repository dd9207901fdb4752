"""The scenario atlas: in this process against a 2-worker Dask LocalCluster on the same grid, time per evidence set.

Grid: every joint x age group x sex x fever (yes / no / not entered), with a sudden onset and no trauma: 54 evidence
sets, each under the same parameter draws. Baseline: the atlas in this process (its batches of parameter sets in
``bmes_bayes.limits.THREADS`` threads; on Dask each worker uses one). The Dask time includes
starting the LocalCluster and sending the model to the workers (what a user waits for); the time on an already
running cluster is printed too. The two results are checked to be bit-identical.

Run: ``python benchmarks/bench_atlas.py [--samples N] [--workers K]`` (needs the ``atlas`` extra).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import bmes_bayes
from bmes_bayes.atlas import atlas
from bmes_bayes.draws import threads

GRID = {"joint": "*", "age_group": "*", "sex": "*", "fever": ["yes", "no", None]}
FIXED = {"onset": "sudden", "recent_trauma": "no"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from dask.distributed import Client, LocalCluster

    model = bmes_bayes.load_model()
    atlas(model, {"joint": ["hip"]}, fixed=FIXED, n_samples=10)  # warm-up: imports and plan caches

    t0 = time.perf_counter()
    serial = atlas(model, GRID, fixed=FIXED, n_samples=args.samples, seed=0, keep_draws=True)
    t_serial = time.perf_counter() - t0

    t0 = time.perf_counter()
    on_dask = atlas(model, GRID, fixed=FIXED, n_samples=args.samples, seed=0, keep_draws=True, workers=args.workers)
    t_dask = time.perf_counter() - t0

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        atlas(model, {"joint": ["hip"]}, fixed=FIXED, n_samples=10, workers=client)  # workers import and warm up
        t0 = time.perf_counter()
        running = atlas(model, GRID, fixed=FIXED, n_samples=args.samples, seed=0, keep_draws=True, workers=client)
        t_running = time.perf_counter() - t0

    same = np.array_equal(serial.samples, on_dask.samples) and np.array_equal(serial.samples, running.samples)
    n = serial.n_sets
    print(f"atlas: {n} evidence sets x {args.samples} parameter draws ({n * args.samples:,} exact inferences)")
    print(f"  in process, {threads()} threads (baseline)    {t_serial:7.2f} s   {1e3 * t_serial / n:7.1f} ms per set")
    print(f"  Dask LocalCluster, {args.workers} workers, incl. start {t_dask:7.2f} s   {1e3 * t_dask / n:7.1f} ms per set"
          f"   speed-up {t_serial / t_dask:.2f}x")
    print(f"  Dask, cluster already running           {t_running:7.2f} s   {1e3 * t_running / n:7.1f} ms per set"
          f"   speed-up {t_serial / t_running:.2f}x")
    print(f"  results bit-identical: {same}")


if __name__ == "__main__":
    main()
