"""What a user waits for at the command line: ``bmes-bayes query`` cold start and ``bmes-bayes report``.

Each command runs as a fresh process (imports, model loading and all), alternately for this checkout and for the
baseline, and the medians and their ratio are printed: wall time (what the user waits) and CPU time (user + system
of the process and every process it waited for; the report renders its figures in two processes where there are two
free CPUs, so its wall time can be below its CPU time, and a busy machine shows in the gap). The baseline is a
checkout of an earlier release given with ``--baseline-tree`` (e.g. ``git worktree add --detach /tmp/bmes-base
cd3362f``), run with the same interpreter. The figures recorded for release af06116 (the last release before the
speed work of issue 11) are always printed beside this run's, marked as recorded.

Run: ``python benchmarks/bench_startup.py [--runs 5] [--baseline-tree DIR] [--only report|query]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "query (cold start)": ["query", "joint=hip", "onset=sudden", "mri_necrotic_segment=absent"],
    "report --scenario classic-toh": ["report", "--scenario", "classic-toh", "-o", "{tmp}/r.html", "--force"],
}
# Medians of wall time recorded for release af06116 on this project's 2-core benchmark machine, quiet, 5 runs each.
RECORDED = {"query (cold start)": 1.79, "report --scenario classic-toh": 6.8}
AIMS = {"query (cold start)": 0.5, "report --scenario classic-toh": 2.0}


def run(tree: Path, args: list[str], tmp: str) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh ``python -m bmes_bayes ARGS`` run from ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
    argv = [sys.executable, "-m", "bmes_bayes", *(a.format(tmp=tmp) for a in args)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _median(times: list[tuple[float, float]], i: int) -> float:
    return statistics.median(t[i] for t in times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-tree", type=Path, default=None,
                        help="a checkout of an earlier release, timed alternately in the same run")
    parser.add_argument("--only", choices=["report", "query"], default=None, help="time one command only")
    args = parser.parse_args()
    names = [n for n in COMMANDS if args.only is None or n.startswith(args.only)]
    print(f"{args.runs} runs each, alternately; medians. load average at start: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'command':<32} {'':>5} {'this checkout':>14} {'baseline (same run)':>20} {'speedup':>7} "
              f"{'af06116 (recorded)':>19} {'aim':>6}")
        for name in names:
            argv = COMMANDS[name]
            run(ROOT, argv, tmp)  # warm the file cache
            if args.baseline_tree is not None:
                run(args.baseline_tree, argv, tmp)
            mine, theirs = [], []
            for _ in range(args.runs):
                mine.append(run(ROOT, argv, tmp))
                if args.baseline_tree is not None:
                    theirs.append(run(args.baseline_tree, argv, tmp))
            for i, kind in enumerate(("wall", "cpu")):
                m = _median(mine, i)
                if theirs:
                    b = _median(theirs, i)
                    base = f"{b:16.2f} s {b / m:6.2f}x"
                else:
                    base = f"{'-':>18} {'':>7}"
                recorded = f"{RECORDED[name]:15.2f} s" if kind == "wall" else f"{'':>17}"
                aim = f"{AIMS[name]:5.1f}s" if kind == "wall" else ""
                spread = f"({min(t[i] for t in mine):.2f}-{max(t[i] for t in mine):.2f})"
                print(f"{name if kind == 'wall' else '':<32} {kind:>5} {m:10.2f} s {base}  {recorded}  {aim}  "
                      f"this checkout's range {spread}")


if __name__ == "__main__":
    main()
