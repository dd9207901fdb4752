"""The ``bmes-bayes`` command line.

Exit codes: 0 success, 2 bad input (message on stderr, no traceback), 1 an unexpected internal failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .exceptions import BmesError
from .results import DISCLAIMER

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as exit 2 with a one-line hint, like every other bad input."""

    def error(self, message: str):  # noqa: D102
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _model(args):
    from .model import load_model

    return load_model(args.model)


def _uncertainty_json(res) -> dict:
    frame = res.to_frame()
    return {
        "n_samples": res.n_samples, "level": res.level, "seed": res.seed, "threshold": res.threshold,
        "verdict": res.verdict,
        "states": {row[res.target]: {k: float(row[k]) for k in ("point", "mean", "median", "lower", "upper", "p_top")}
                   for row in frame.to_dict("records")},
    }


def _model_json(info) -> dict:
    return {"name": info.name, "version": info.network_version, "package_version": info.package_version,
            "digest": info.digest}


def _cmd_query(args) -> int:
    from .evidence import parse_assignments

    model = _model(args)
    evidence = parse_assignments(args.evidence)
    post = model.posterior(evidence, target=args.target)
    res = None
    if args.samples:
        res = model.sensitivity(evidence, target=args.target, n_samples=args.samples, seed=args.seed,
                                level=args.level, progress=False)
    if args.json:
        out = {
            "target": post.target,
            "evidence": post.evidence,
            "posterior": {s: float(p) for s, p in zip(post.states, post.probabilities)},
            "top": post.top[0],
            "model": _model_json(post.model),
        }
        if res is not None:
            out["uncertainty"] = _uncertainty_json(res)
        print(json.dumps(out, indent=2))
    else:
        print(str(res if res is not None else post))
    return 0


def _cmd_demo(args) -> int:
    from . import scenarios

    model = _model(args)
    case = scenarios.load(args.scenario, network=model.network)
    res = model.sensitivity(case.evidence, n_samples=args.samples, seed=args.seed, progress=False)
    print(f"{case.title}  [{case.name}]")
    print(f"{case.narrative}\nSource: {case.source}\n")
    for stage in case.stages:
        print(f"  {stage.stage:<17} " + ", ".join(f"{k}={v}" for k, v in stage.evidence.items()))
    print()
    print(str(res))
    print(f"\nThe source's final diagnosis: {case.expected_leading}. Teaching point: {case.teaching_point}")
    return 0


def _cmd_variables(args) -> int:
    model = _model(args)
    vocab = model.variables
    if args.json:
        print(json.dumps([{"variable": v.name, "role": v.role, "stage": v.stage, "states": list(v.states),
                           "parents": list(v.parents), "description": v.description} for v in vocab.variables],
                         indent=2))
    else:
        print(str(vocab))
    return 0


def _cmd_export(args) -> int:
    from .interop import FORMATS, export

    model = _model(args)
    out = Path(args.output) if args.output else Path(f"{model.network.name}{FORMATS[args.format]}")
    export(model, args.format, out, overwrite=args.force)
    print(f"wrote {out}")
    return 0


def _whole(minimum: int, what: str):
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} {text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be at least {minimum}, got {value}")
        return value

    return parse


_positive_int = _whole(1, "count")
_seed = _whole(0, "seed")


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"level {text!r} is not a number") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("level must be strictly between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bmes-bayes",
        description=f"Bayesian differential diagnosis of bone marrow edema on MRI. {DISCLAIMER}",
    )
    parser.add_argument("--model", metavar="PATH", default=None,
                        help="network YAML file or model directory (default: the shipped model)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    q = sub.add_parser("query", help="posterior of a variable given evidence",
                       description="Posterior given evidence as variable=state; soft evidence as "
                                   "variable=state:likelihood,state:likelihood.")
    q.add_argument("evidence", nargs="*", metavar="variable=state")
    q.add_argument("--target", default="diagnosis", help="variable to query (default: diagnosis)")
    q.add_argument("--json", action="store_true", help="machine-readable output")
    q.add_argument("--samples", type=_positive_int, default=0, metavar="N",
                   help="also draw N parameter sets from the priors and show credible intervals")
    q.add_argument("--seed", type=_seed, default=0, help="seed for --samples (default 0)")
    q.add_argument("--level", type=_level, default=0.9, help="credible level for --samples (default 0.9)")
    q.set_defaults(func=_cmd_query)

    d = sub.add_parser("demo", help="a published case: its evidence, posterior and uncertainty",
                       description="Runs the main job on a published case from the scenario library.")
    d.add_argument("scenario", nargs="?", default="steroid-osteonecrosis-sle", help="scenario name (see `scenarios`)")
    d.add_argument("--samples", type=_positive_int, default=2000, metavar="N", help="parameter sets (default 2000)")
    d.add_argument("--seed", type=_seed, default=0, help="seed (default 0)")
    d.set_defaults(func=_cmd_demo)

    v = sub.add_parser("variables", help="list the vocabulary: variables, states and descriptions")
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.set_defaults(func=_cmd_variables)

    e = sub.add_parser("export", help="write the network for other tools (pyAgrum, GeNIe, SamIam)")
    e.add_argument("--format", required=True, choices=["bif", "xmlbif"])
    e.add_argument("-o", "--output", default=None, help="output file (default: <network name>.<ext>)")
    e.add_argument("--force", action="store_true", help="replace an existing file")
    e.set_defaults(func=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BmesError as exc:
        print(f"bmes-bayes: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bmes-bayes: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # no internal traceback reaches a user
        print(f"bmes-bayes: internal error ({type(exc).__name__}: {exc}). Please report it.", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
