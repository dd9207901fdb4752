"""Sobol over every clinical parameter (n=1024) and a 2,000-draw work-up: this checkout against an earlier release.

Each analysis runs in a fresh process per repetition (model loaded and warmed up first, not timed), alternately for
this checkout and for the baseline checkout given with ``--baseline-tree`` (e.g. ``git worktree add
/tmp/bmes-af06116 af06116``); the medians and their ratio are printed. Without a baseline only this checkout is timed.
Aim (issue 11): each under 2 s.

Run: ``python benchmarks/bench_analyses.py [--runs 3] [--baseline-tree DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = {
    "Sobol, every parameter, n=1024 (classic-toh)": (
        "ev = scenarios.load('classic-toh').evidence; m.sobol(ev, n=64, seed=0)",
        "m.sobol(ev, n=1024, seed=0)"),
    "Sobol, every parameter, n=1024 (hip, sudden onset)": (
        "ev = {'joint': 'hip', 'onset': 'sudden'}; m.sobol(ev, n=64, seed=0)",
        "m.sobol(ev, n=1024, seed=0)"),
    "work-up, 2,000 draws (classic-toh, 4 stages)": (
        "case = scenarios.load('classic-toh'); m.workup(case, n_samples=50, seed=0)",
        "m.workup(case, n_samples=2000, seed=0)"),
}
TEMPLATE = """
import json, time, warnings
warnings.simplefilter('ignore')
import bmes_bayes
from bmes_bayes import scenarios
m = bmes_bayes.load_model()
{setup}
t0 = time.perf_counter()
{timed}
print(json.dumps(time.perf_counter() - t0))
"""


def run(tree: Path, setup: str, timed: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", TEMPLATE.format(setup=setup, timed=timed)], env=env, cwd=tree,
                         check=True, capture_output=True, text=True)
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-tree", type=Path, default=None)
    args = parser.parse_args()
    print(f"{'analysis':<52} {'this checkout':>14} {'baseline':>10} {'ratio':>7}")
    for name, (setup, timed) in SNIPPETS.items():
        mine, theirs = [], []
        for _ in range(args.runs):
            mine.append(run(ROOT, setup, timed))
            if args.baseline_tree is not None:
                theirs.append(run(args.baseline_tree, setup, timed))
        m = statistics.median(mine)
        if theirs:
            b = statistics.median(theirs)
            print(f"{name:<52} {m:12.2f} s {b:8.2f} s {b / m:6.1f}x")
        else:
            print(f"{name:<52} {m:12.2f} s {'-':>10} {'-':>7}")


if __name__ == "__main__":
    main()
