"""Differential testing at scale (issue 13, item 6): N random networks, the package against three references.

The same comparison as ``tests/test_differential.py`` (the strategy, the references and which reference is used
for which kind of evidence are in ``tests/random_networks.py``), run for many more networks outside CI. Every
network gets six evidence sets: none, two hard, two soft (likelihood vectors, sometimes beside hard findings) and one
impossible (when some CPT has an exact zero); the target posterior and every marginal are compared. Nothing stops at
a disagreement: every one is counted, and the first few are printed with the network and evidence as Python source
to paste into a regression test.

Run: ``python benchmarks/differential.py 10000 --seed 0`` (about 70 ms a network on one core). Files are written
only into temporary directories that are removed; no hypothesis database is kept.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.random_networks import KINDS, Tally, compare, networks, queries, table  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of random networks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", default="uai,xmlbif",
                        help="comma-separated: uai, xmlbif, bif (bif: pgmpy's parser takes ~1 s a file)")
    parser.add_argument("--examples", type=int, default=5, help="problems printed in full")
    args = parser.parse_args(argv)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    tally = Tally()
    start = time.perf_counter()

    @seed(args.seed)
    @settings(max_examples=args.n, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(net=networks(formats=formats), data=st.data())
    def one(net, data):
        qs = [q for kind in (*KINDS, "hard", "soft") if (q := data.draw(queries(net, kind))) is not None]
        compare(net, qs, tally, keep_examples=args.examples)
        if tally.networks % 500 == 0:
            print(f"  {tally.networks} networks, {sum(tally.queries.values())} queries, "
                  f"{sum(tally.disagreements.values())} disagreements, {sum(tally.errors.values())} errors, "
                  f"{time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    try:
        one()
    except KeyboardInterrupt:
        print("interrupted: the figures so far", file=sys.stderr)
    print(table(tally, time.perf_counter() - start, seed=args.seed))
    for kind, what, net, q in tally.examples:
        print(f"\n[{kind}] {what}\n  network: {net!r}\n  evidence: {q!r}")
    return 1 if tally.disagreements or tally.errors else 0


if __name__ == "__main__":
    sys.exit(main())
