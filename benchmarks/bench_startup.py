"""What a user waits for at the command line: ``bmes-bayes query`` cold start and ``bmes-bayes report``.

Each command runs as a fresh process (imports, model loading and all), alternately for this checkout and for the
baseline, and the medians and their ratio are printed. The baseline is a checkout of an earlier release given with
``--baseline-tree`` (e.g. ``git worktree add /tmp/bmes-0.1-af06116 af06116``), run with the same interpreter; without
it, the figures recorded for release af06116 (the last release before the speed work of issue 11) are printed beside
this run's, marked as recorded.

Run: ``python benchmarks/bench_startup.py [--runs 5] [--baseline-tree DIR]``.
"""

from __future__ import annotations

import argparse
import os
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
# Medians recorded for release af06116 on this project's 2-core benchmark machine, quiet, 5 runs each.
RECORDED = {"query (cold start)": 1.79, "report --scenario classic-toh": 6.8}
AIMS = {"query (cold start)": 0.5, "report --scenario classic-toh": 2.0}


def run(tree: Path, args: list[str], tmp: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
    argv = [sys.executable, "-m", "bmes_bayes", *(a.format(tmp=tmp) for a in args)]
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=tmp, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-tree", type=Path, default=None,
                        help="a checkout of an earlier release, timed alternately in the same run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'command':<32} {'this checkout':>14} {'baseline':>22} {'ratio':>7} {'aim':>6}")
        for name, argv in COMMANDS.items():
            run(ROOT, argv, tmp)  # warm the file cache
            mine, theirs = [], []
            for _ in range(args.runs):
                mine.append(run(ROOT, argv, tmp))
                if args.baseline_tree is not None:
                    theirs.append(run(args.baseline_tree, argv, tmp))
            m = statistics.median(mine)
            if theirs:
                b, label = statistics.median(theirs), "same run"
            else:
                b, label = RECORDED[name], "recorded"
            print(f"{name:<32} {m:12.2f} s {b:10.2f} s ({label:>8}) {b / m:6.1f}x {AIMS[name]:5.1f}s")


if __name__ == "__main__":
    main()
