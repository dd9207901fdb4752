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
from .results import DISCLAIMER, frame_text

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage as exit 2 with a one-line hint, like every other bad input."""

    def error(self, message: str):  # noqa: D102
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _model(args):
    from .model import load_model

    return load_model(args.model)


def _cmd_query(args) -> int:
    from .evidence import parse_assignments

    model = _model(args)
    evidence = parse_assignments(args.evidence)
    post = model.posterior(evidence, target=args.target)
    if args.json:
        out = {
            "target": post.target,
            "evidence": post.evidence,
            "posterior": {s: float(p) for s, p in zip(post.states, post.probabilities)},
            "top": post.top[0],
            "model": {"name": post.model.name, "version": post.model.network_version,
                      "package_version": post.model.package_version, "digest": post.model.digest},
        }
        print(json.dumps(out, indent=2))
    else:
        print(str(post))
    return 0


def _cmd_variables(args) -> int:
    model = _model(args)
    vocab = model.variables
    if args.json:
        print(json.dumps([{"variable": v.name, "role": v.role, "stage": v.stage, "states": list(v.states),
                           "parents": list(v.parents), "description": v.description} for v in vocab.variables],
                         indent=2))
    else:
        frame = vocab.to_frame()[["variable", "role", "states", "description"]]
        print(frame_text(frame))
    return 0


def _cmd_export(args) -> int:
    from .interop import FORMATS, export

    model = _model(args)
    out = Path(args.output) if args.output else Path(f"{model.network.name}{FORMATS[args.format]}")
    export(model, args.format, out, overwrite=args.force)
    print(f"wrote {out}")
    return 0


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
    q.set_defaults(func=_cmd_query)

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
    except Exception as exc:  # no internal traceback reaches a user
        print(f"bmes-bayes: internal error ({type(exc).__name__}: {exc}). Please report it.", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
