"""The ``bmes-bayes`` command line.

Exit codes: 0 success, 2 bad input (message on stderr, no traceback), 1 an unexpected internal failure, 130 Ctrl-C,
143 SIGTERM. Nothing heavy is imported before :func:`main` is running, so that Ctrl-C at any moment ends with a
one-line message; output never fails on the terminal's encoding (characters it cannot show are written as escapes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from ._io import Terminated, check_target, interrupted, raise_terminated, write_output
from .exceptions import BmesError

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


def _checks_json(post) -> dict:
    """The teaching checks of a diagnosis posterior as plain data: alerts, unasked history, evidence conflict."""
    return {"alerts": [a.to_dict() for a in post.alerts],
            "unasked": [{"variable": u.variable, "state": u.state, "top": u.top, "probability": u.probability}
                        for u in post.unasked],
            "conflict": post.conflict}


def _checks_text(post) -> str:
    """The lines ``str(Posterior)`` shows for alerts, unasked history and conflict (empty when there are none)."""
    from .results import _alert_lines, _conflict_line, _unasked_lines

    lines = _alert_lines(post.alerts) + _unasked_lines(post.unasked)
    if post.conflict is not None:
        lines.append(_conflict_line(post.conflict))
    return "\n".join(lines)


def _uncertainty_text(res, post) -> str:
    """An uncertainty table followed by the point posterior's checks (alerts, unasked history, conflict)."""
    checks = _checks_text(post)
    return f"{res}\n{checks}" if checks else str(res)


def _disclaimer() -> str:
    from .results import DISCLAIMER

    return DISCLAIMER


def _to_stdout(args) -> bool:
    return getattr(args, "output", None) == "-"


def _targets(args, *paths: Path | None) -> None:
    """Check every output file of a command before any work (see :func:`bmes_bayes._io.check_target`)."""
    for path in paths:
        if path is not None:
            check_target(path, overwrite=getattr(args, "force", False))


def _print_result(res, frame, columns: Sequence[str] | None = None) -> None:
    """A result for people: its own text when it has one, else its one-line summary and its table."""
    from .results import frame_text

    text = str(res)
    if text == repr(res):
        shown = frame[list(columns)] if columns else frame
        text = f"{text}\n{frame_text(shown)}\n{_disclaimer()}"
    print(text)


def _emit_frame(args, frame, payload: dict) -> bool:
    """--csv: the frame as CSV; --json: the payload; returns True when one of them was printed."""
    if getattr(args, "csv", False):
        frame.to_csv(sys.stdout, index=False)
        return True
    if getattr(args, "json", False):
        print(json.dumps(_plain(payload), indent=2))
        return True
    return False


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
        res = model.uncertainty(evidence, target=args.target, n_samples=args.samples, seed=args.seed,
                                level=args.level, progress=None)
    if args.json:
        out = {
            "target": post.target,
            "evidence": post.evidence,
            "posterior": {s: float(p) for s, p in zip(post.states, post.probabilities)},
            "top": post.top[0],
            **_checks_json(post),
            "model": _model_json(post.model),
        }
        if res is not None:
            out["uncertainty"] = _uncertainty_json(res)
        print(json.dumps(_plain(out), indent=2))
    elif res is not None:
        print(_uncertainty_text(res, post))
    else:
        print(str(post))
    return 0


def _cmd_demo(args) -> int:
    from . import scenarios

    model = _model(args)
    case = scenarios.load(args.scenario, network=model.network)
    res = model.uncertainty(case.evidence, n_samples=args.samples, seed=args.seed, progress=None)
    post = model.posterior(case.evidence)
    print(f"{case.title}  [{case.name}]")
    print(f"{case.narrative}\nSource: {case.source}\n")
    for stage in case.stages:
        print(f"  {stage.stage:<17} " + ", ".join(f"{k}={v}" for k, v in stage.evidence.items()))
    print()
    print(_uncertainty_text(res, post))
    top = res.to_frame().iloc[0]["diagnosis"]
    verdict = "the model agrees" if top == case.expected_leading else f"the model ranks {top} first: it does not agree"
    print(f"\nThe source's final diagnosis: {case.expected_leading} ({verdict}). Teaching point: {case.teaching_point}")
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
    from .export import FORMATS, export, export_text

    if _to_stdout(args):
        sys.stdout.write(export_text(_model(args), args.format))
        return 0
    _targets(args, Path(args.output) if args.output else None)
    model = _model(args)
    out = Path(args.output) if args.output else Path(f"{model.network.name}{FORMATS[args.format]}")
    export(model, args.format, out, overwrite=args.force)
    print(f"wrote {out}")
    return 0


def _cmd_report(args) -> int:
    import gc

    # No cyclic garbage collection while a report is made: the command imports pandas, scipy and matplotlib and
    # builds thousands of short-lived objects, so the collector's full passes cost about 8% of its time, and a
    # report leaves only about 2 MB of cycles to collect (peak 191.4 MB against 189.7 MB with collection).
    gc.disable()
    try:
        return _report(args)
    finally:
        gc.enable()


def _report(args) -> int:
    from .report import canonical_scenarios, complete_report, default_report_path, write_reports

    options = {"n_samples": args.samples, "seed": args.seed, "level": args.level}
    if args.canonical:
        if _to_stdout(args):
            raise BmesError("report --canonical writes one file per scenario: give a directory with -o, not -")
        directory = Path(args.output) if args.output else Path("reports")
        names = canonical_scenarios()
        _targets(args, *(default_report_path(scenario=name, directory=directory) for name in names))
        for path in write_reports(_model(args), names, directory, overwrite=args.force, parallel=True, **options):
            print(f"wrote {path}")
        return 0
    from .evidence import parse_assignments

    evidence = parse_assignments(args.evidence) if args.evidence is not None else None
    if _to_stdout(args):
        sys.stdout.write(complete_report(_model(args), evidence, scenario=args.scenario, **options).to_html(
            parallel=True))
        return 0
    out = (Path(args.output) if args.output else
           default_report_path(scenario=args.scenario, evidence=evidence))
    _targets(args, out)
    report = complete_report(_model(args), evidence, scenario=args.scenario, **options)
    report.write(out, overwrite=args.force, parallel=True)  # two processes where there are two CPUs: same bytes
    print(f"wrote {out}")
    return 0


def _cmd_model_card(args) -> int:
    from .report.model_card import DEFAULT_PATH, RELIABILITY_PNG, write_model_card

    if _to_stdout(args):
        from .report.model_card import model_card_text

        sys.stdout.write(model_card_text(_model(args), image=None))
        return 0
    out = Path(args.output) if args.output else DEFAULT_PATH
    _targets(args, out)   # first the card itself: '.' or a directory is refused before its diagram is named
    _targets(args, out.with_name(RELIABILITY_PNG))
    write_model_card(_model(args), out, overwrite=args.force)
    print(f"wrote {out}")
    return 0


def _plain(value):
    """JSON-safe: NaN and infinities become null, numpy scalars become Python numbers."""
    import math

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame) -> list[dict]:
    return _plain(frame.to_dict("records"))


def _cmd_scenarios(args) -> int:
    from . import scenarios
    from .results import frame_text

    model = _model(args)
    cases = scenarios.load_all(network=model.network)
    if args.json:
        print(json.dumps([{"name": c.name, "kind": c.kind, "expected": c.expected_leading,
                           "cant_miss": list(c.cant_miss), "title": c.title, "source": c.source,
                           "teaching_point": c.teaching_point,
                           "stages": [{"stage": st.stage, "evidence": st.evidence} for st in c.stages]}
                          for c in cases], indent=2))
    else:
        import pandas as pd

        frame = pd.DataFrame({"name": [c.name for c in cases], "kind": [c.kind for c in cases],
                              "expected": [c.expected_leading for c in cases], "title": [c.title for c in cases]})
        print(frame_text(frame))
        print(f"\n{len(cases)} scenarios. Run one with: bmes-bayes workup NAME")
    return 0


def _cmd_workup(args) -> int:
    import textwrap

    from . import scenarios
    from .teaching import ALL_OTHERS, DECIBANS_PER_NAT, load_test_costs

    model = _model(args)
    case = scenarios.load(args.scenario, network=model.network)
    costs = None
    if args.costs is not None:
        path = (Path(model.priors.files[0]).parent / "teaching" / "test_costs.yaml" if args.costs == "-"
                else Path(args.costs))
        costs = load_test_costs(path, network=model.network)
    work = model.workup(case, n_samples=args.samples, seed=args.seed, level=args.level)
    final = work.final
    why = model.explain(case.evidence)
    nxt = model.next_test(case.evidence, costs=costs, rank_by="value_per_cost" if costs else "information")
    if args.json:
        weights = why.weights()[["variable", "state", "role", "stage", "lr", "woe", "decibans", "direction"]]
        runner = why.weights(why.runner_up)[["variable", "state", "lr", "woe", "decibans", "direction"]]
        out = {
            "scenario": {"name": case.name, "title": case.title, "kind": case.kind, "narrative": case.narrative,
                         "source": case.source, "teaching_point": case.teaching_point,
                         "expected": case.expected_leading, "cant_miss": list(case.cant_miss)},
            "stages": [{"stage_index": i, "stage": s, "added": a, "alerts": [al.to_dict() for al in p.alerts]}
                       for i, (s, a, p) in enumerate(zip(work.stages, work.added, work.posteriors), start=1)],
            "n_samples": work.n_samples, "seed": work.seed, "level": work.level,
            "trajectory": _records(work.to_frame()),
            "final": {"evidence": final.evidence, "top": final.top[0],
                      "posterior": {s: float(p) for s, p in zip(final.states, final.probabilities)},
                      "alerts": [a.to_dict() for a in final.alerts]},
            "explanation": {
                "target_state": why.target_state, "runner_up": why.runner_up,
                "prior": {s: float(p) for s, p in zip(why.states, why.prior)},
                "log_prior_odds_db": why.log_prior_odds() * DECIBANS_PER_NAT,
                "log_posterior_odds_db": why.log_posterior_odds() * DECIBANS_PER_NAT,
                "weights": _records(weights), "versus_runner_up": _records(runner),
                "speaks_for": list(why.speaks_for), "speaks_against": list(why.speaks_against),
                "what_if": _records(why.what_if.summary()),
            },
            "next_test": {"entropy_bits": nxt.entropy, "best": nxt.best, "rank_by": nxt.rank_by,
                          "cant_miss": list(nxt.cant_miss), "ranking": _records(nxt.to_frame())},
            "model": _model_json(work.model),
        }
        print(json.dumps(_plain(out), indent=2))
        return 0
    wrap = lambda text: textwrap.fill(text, width=110)  # noqa: E731
    rule = "-" * 110
    print(f"{case.title}  [{case.name}, {case.kind}]")
    print(wrap(case.narrative))
    print(wrap(f"Source: {case.source}"))
    print(f"\n{rule}\n1. THE WORK-UP TRAJECTORY\n{rule}")
    print(str(work).rsplit("\nmodel:", 1)[0].rstrip())
    print(f"\n{rule}\n2. CAN'T-MISS ALERTS at the end (probability at or above its threshold, whatever the rank)\n{rule}")
    if final.alerts:
        for a in final.alerts:
            print(f"  ! {a.diagnosis} {a.probability:.3f} (threshold {a.threshold:g})")
            print(textwrap.fill(a.reasoning, width=110, initial_indent="      ", subsequent_indent="      "))
    else:
        print("  none: every can't-miss diagnosis is below its threshold")
    print(f"\n{rule}\n3. WHY {why.target_state.upper()}? Weight of evidence of each finding (Good's additive form)\n{rule}")
    print("\n".join(why.weights_text(ALL_OTHERS)))
    print()
    contrast = case.expected_leading if case.expected_leading != why.target_state else why.runner_up
    print("\n".join(why.weights_text(contrast)))
    print()
    print("\n".join(why.what_if.text(n=args.rows)))
    print(f"\n{rule}\n4. WHICH TEST NEXT?\n{rule}")
    print(nxt.__str__(n=args.rows))
    print(f"\n{rule}")
    verdict = "agrees" if final.top[0] == case.expected_leading else "DISAGREES"
    print(f"The source's final diagnosis: {case.expected_leading} (the model's top: {final.top[0]}; it {verdict}).")
    if case.cant_miss:
        print(f"The source says these must still be flagged at the end: {', '.join(case.cant_miss)}.")
    print(wrap(f"Teaching point: {case.teaching_point}"))
    print(f"model: {work.model.short}\n{_disclaimer()}")
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


def _path(text: str) -> str:
    """An argparse type: a path that the operating system can take (not empty, no NUL character)."""
    if not text or "\0" in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a usable path")
    return text


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


def _cmd_uncertainty(args) -> int:
    from .evidence import parse_assignments

    model = _model(args)
    evidence = parse_assignments(args.evidence)
    if args.delta:
        res = model.delta_uncertainty(evidence, target=args.target, level=args.level)
        frame = res.to_frame()
        if not _emit_frame(args, frame, {"target": args.target, "method": res.method, "evidence": res.evidence,
                                          "level": res.level, "states": _records(frame),
                                          "model": _model_json(res.model)}):
            print(str(res))
        return 0
    res = model.uncertainty(evidence, target=args.target, n_samples=args.samples, seed=args.seed, level=args.level,
                            progress=None)
    post = model.posterior(evidence, target=args.target)
    if not _emit_frame(args, res.to_frame(), {"target": args.target, "evidence": post.evidence,
                                               "uncertainty": _uncertainty_json(res), **_checks_json(post),
                                               "model": _model_json(res.model)}):
        print(_uncertainty_text(res, post))
    return 0


def _cmd_one_way(args) -> int:
    from .evidence import parse_assignments

    model = _model(args)
    evidence = parse_assignments(args.evidence)
    res = model.one_way(evidence, target_state=args.state, target=args.target, plausible=args.plausible)
    frame = res.to_frame()
    if not _emit_frame(args, frame, {"target": args.target, "target_state": res.target_state,
                                      "point": res.point, "plausible": args.plausible, "parameters": _records(frame),
                                      "model": _model_json(model.info)}):
        _print_result(res, frame)
    return 0


def _cmd_tune(args) -> int:
    from .evidence import parse_assignments

    model = _model(args)
    evidence = parse_assignments(args.evidence)
    res = model.tune(evidence, args.state, at_least=args.at_least, target=args.target, plausible=args.plausible)
    frame = res.to_frame()
    if not _emit_frame(args, frame, {"target": args.target, "target_state": args.state, "at_least": args.at_least,
                                      "candidates": _records(frame), "model": _model_json(model.info)}):
        _print_result(res, frame)
    return 0


def _cmd_explain(args) -> int:
    from .evidence import parse_assignments

    model = _model(args)
    evidence = parse_assignments(args.evidence)
    res = model.explain(evidence, target_state=args.state)
    frame = res.to_frame()
    if not _emit_frame(args, frame, {"target_state": res.target_state, "runner_up": res.runner_up,
                                      "weights": _records(frame), "speaks_for": list(res.speaks_for),
                                      "speaks_against": list(res.speaks_against),
                                      "model": _model_json(model.info)}):
        print(str(res))
    return 0


def _vary(text: str) -> tuple[str, object]:
    """``--vary VAR`` (every state) or ``--vary VAR=s1,s2`` (these states; ``-`` for "not entered")."""
    name, sep, states = text.partition("=")
    if not name or (sep and not states):
        raise argparse.ArgumentTypeError(f"expected VARIABLE or VARIABLE=state,state, got {text!r}")
    if not sep:
        return name, None
    return name, [None if s == "-" else s for s in states.split(",")]


def _cmd_atlas(args) -> int:
    from .atlas import atlas
    from .evidence import parse_assignments

    out = None if args.output in (None, "-") else Path(args.output)
    if out is not None:  # before any work
        if out.suffix.lower() not in (".parquet", ".csv"):
            raise BmesError(f"{out}: the atlas is written as .parquet or .csv")
        _targets(args, out)
    model = _model(args)
    grid = dict(args.vary or [])
    if len(grid) != len(args.vary or []):
        raise BmesError("a variable is given to --vary more than once")
    workers = args.scheduler if args.scheduler else args.workers
    res = atlas(model, grid, fixed=parse_assignments(args.evidence), target=args.target, n_samples=args.samples,
                seed=args.seed, level=args.level, workers=workers)
    if args.output == "-" or args.csv:
        res.to_frame().to_csv(sys.stdout, index=False)
    elif out is not None:
        (res.to_parquet if out.suffix.lower() == ".parquet" else res.to_csv)(out, overwrite=args.force)
        print(f"wrote {out} ({res.n_sets} evidence sets x {len(res.states)} states)")
    elif args.json:
        print(json.dumps(_plain({"target": res.target, "fixed": res.fixed, "n_samples": res.n_samples,
                                 "level": res.level, "seed": res.seed, "sets": _records(res.summary()),
                                 "model": _model_json(res.model)}), indent=2))
    else:
        print(str(res))
    return 0


def _cmd_validate(args) -> int:
    _targets(args, Path(args.plot) if args.plot is not None else None)
    from . import validation

    model = _model(args)
    res = validation.validate(model, args.cases, drop_unknown=args.drop_unknown)
    if args.plot is not None:
        write_output(args.plot, res.reliability_png(), overwrite=args.force)
    if args.json:
        print(json.dumps(res.to_dict(), indent=2, default=str))
    else:
        print(str(res))
        if args.plot is not None:
            print(f"\nreliability diagrams: {args.plot}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bmes-bayes",
        description=f"Bayesian differential diagnosis of bone marrow edema on MRI. {_disclaimer()}",
    )
    parser.add_argument("--model", metavar="PATH", default=None, type=_path,
                        help="network YAML file or model directory (default: the shipped model)")
    from ._version import __version__

    parser.add_argument("--version", action="version", version=f"bmes-bayes {__version__}")
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

    e = sub.add_parser("export", help="write the network for other tools (pyAgrum, GeNIe, Hugin, SamIam, UAI solvers)")
    e.add_argument("--format", required=True, choices=["bif", "xmlbif", "xdsl", "net", "uai"],
                   help="bif, xmlbif (.bifxml), xdsl (GeNIe), net (Hugin) or uai (no names: variables in "
                        "network order)")
    e.add_argument("-o", "--output", default=None, type=_path,
                   help="output file (default: <network name>.<ext>; - for standard output)")
    e.add_argument("--force", action="store_true", help="replace an existing file")
    e.set_defaults(func=_cmd_export)

    r = sub.add_parser("report", help="write a self-contained HTML report for a scenario or for evidence",
                       description="One HTML file with everything inlined (opens offline): the evidence by stage, "
                                   "the posterior with credible intervals, can't-miss alerts, the work-up "
                                   "trajectory (for a scenario), which test next, the tornado of one-way "
                                   "sensitivity, the network drawn, and the model's provenance.")
    which = r.add_mutually_exclusive_group(required=True)
    which.add_argument("--scenario", metavar="NAME", help="a scenario of the library (see `scenarios`)")
    which.add_argument("--evidence", nargs="+", metavar="variable=state",
                       help="evidence as for `query` (soft: variable=state:likelihood,...)")
    which.add_argument("--canonical", action="store_true",
                       help="one textbook scenario per diagnosis, each to <directory>/<name>.html "
                            "(-o: the directory)")
    r.add_argument("-o", "--output", default=None, type=_path,
                   help="output file (default: reports/<scenario>.html, or reports/evidence-<hash>.html; "
                        "- for standard output)")
    r.add_argument("--force", action="store_true", help="replace an existing file")
    r.add_argument("--samples", type=_positive_int, default=2000, metavar="N",
                   help="parameter sets for the credible intervals (default 2000)")
    r.add_argument("--seed", type=_seed, default=0, help="seed (default 0)")
    r.add_argument("--level", type=_level, default=0.9, help="credible level (default 0.9)")
    r.set_defaults(func=_cmd_report)

    mc = sub.add_parser("model-card", help="write the model card: assumptions and every parameter with its source",
                        description="Markdown: the hand-written networks/MODEL_CARD.md followed by every parameter "
                                    "(value, uncertainty with its 95% interval, source or expert judgement).")
    mc.add_argument("-o", "--output", default=None, type=_path,
                    help="output file (default: reports/model_card.md; - for standard output, without the diagram)")
    mc.add_argument("--force", action="store_true", help="replace an existing file")
    mc.set_defaults(func=_cmd_model_card)

    sc = sub.add_parser("scenarios", help="list the teaching scenarios (published cases as staged evidence)")
    sc.add_argument("--json", action="store_true", help="machine-readable output (with each scenario's stages)")
    sc.set_defaults(func=_cmd_scenarios)

    w = sub.add_parser("workup", help="teach a scenario: trajectory with bands, alerts, why, which test next",
                       description="Runs a scenario stage by stage: the posterior after each stage with credible "
                                   "bands, the can't-miss alerts, the weight of evidence of each finding for the "
                                   "final top diagnosis, what-if alternatives and the next best test.")
    w.add_argument("scenario", help="scenario name (see `scenarios`) or path to a scenario YAML file")
    w.add_argument("--samples", type=_positive_int, default=500, metavar="N",
                   help="parameter sets for the bands (default 500)")
    w.add_argument("--seed", type=_seed, default=0, help="seed (default 0)")
    w.add_argument("--level", type=_level, default=0.9, help="credible level of the bands (default 0.9)")
    w.add_argument("-n", "--rows", "--top", dest="rows", type=_positive_int, default=8, metavar="N",
                   help="rows of what-if and next test (default 8; --top is its old name)")
    w.add_argument("--costs", nargs="?", const="-", default=None, type=_path, metavar="PATH",
                   help="rank tests by information per cost (the model's priors/teaching/test_costs.yaml, or PATH)")
    w.add_argument("--json", action="store_true", help="machine-readable output")
    w.set_defaults(func=_cmd_workup)

    def analysis(name: str, help_text: str, description: str, func, *, state: str | None = None):
        a = sub.add_parser(name, help=help_text, description=description)
        a.add_argument("evidence", nargs="*", metavar="variable=state",
                       help="evidence as for `query` (soft: variable=state:likelihood,...)")
        a.add_argument("--target", default="diagnosis", help="the variable analysed (default: diagnosis)")
        if state == "required":
            a.add_argument("--state", required=True, help="the target state")
        elif state == "optional":
            a.add_argument("--state", default=None, help="the target state (default: the current top)")
        how = a.add_mutually_exclusive_group()
        how.add_argument("--json", action="store_true", help="machine-readable output")
        how.add_argument("--csv", action="store_true", help="the result table as CSV")
        a.set_defaults(func=func)
        return a

    u = analysis("uncertainty", "credible intervals of the posterior over the plausible range of every prior",
                 "Draws parameter sets from the priors and reports point, mean, median, interval and how often each "
                 "state comes first (the same as query --samples), with the can't-miss alerts.", _cmd_uncertainty)
    u.add_argument("--samples", type=_positive_int, default=2000, metavar="N", help="parameter sets (default 2000)")
    u.add_argument("--seed", type=_seed, default=0, help="seed (default 0)")
    u.add_argument("--level", type=_level, default=0.9, help="credible level (default 0.9)")
    u.add_argument("--delta", action="store_true",
                   help="a fast first-order (delta-method) preview instead of Monte-Carlo, labelled as such: too "
                        "narrow near 0 or 1, too wide with few findings")
    o = analysis("one-way", "tornado: the posterior at both ends of each prior's plausible range",
                 "Moves every uncertain parameter alone to the ends of its plausible range and reports the target "
                 "probability there, widest swing first.", _cmd_one_way, state="optional")
    o.add_argument("--plausible", "--level", dest="plausible", type=_level, default=0.95, metavar="P",
                   help="central prior probability of each plausible range (default 0.95; --level is its old name)")
    t = analysis("tune", "single parameter changes that would make a state reach a probability",
                 "Finds, for each parameter alone, the value that would make P(target = state | evidence) reach "
                 "--at-least, ranked by the Chan-Darwiche distance.", _cmd_tune, state="required")
    t.add_argument("--at-least", type=float, required=True, dest="at_least", help="the probability to reach")
    t.add_argument("--plausible", "--level", dest="plausible", type=_level, default=0.95, metavar="P",
                   help="central prior probability of each plausible range (default 0.95; --level is its old name)")
    analysis("explain", "weight of evidence of each finding for the top (or a chosen) diagnosis",
             "Each observed item's weight of evidence (decibans) for the target state against every alternative; "
             "the weights add up to the change from prior to posterior odds.", _cmd_explain, state="optional")

    at = sub.add_parser("atlas", help="a grid of evidence sets x the same parameter draws, summarised per set",
                        description="Evaluates every combination of the --vary variables (plus the fixed evidence) "
                                    "under the same parameter sets drawn from the priors, and reports per set and "
                                    "state the point posterior, its interval, how often it ranks first and whether "
                                    "its can't-miss alert fires. Serial by default; on Dask with --workers N (a local "
                                    "cluster) or --scheduler ADDRESS (needs the atlas extra). Results are identical "
                                    "whatever the number of workers.")
    at.add_argument("evidence", nargs="*", metavar="variable=state", help="evidence common to every set")
    at.add_argument("--vary", action="append", type=_vary, metavar="VAR[=s1,s2]",
                    help="a variable to vary: every state, or the states listed ('-' for not entered); repeat it")
    at.add_argument("--target", default="diagnosis", help="the variable analysed (default: diagnosis)")
    at.add_argument("--samples", type=_positive_int, default=500, metavar="N", help="parameter sets (default 500)")
    at.add_argument("--seed", type=_seed, default=0, help="seed (default 0)")
    at.add_argument("--level", type=_level, default=0.9, help="credible level (default 0.9)")
    where = at.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="run on a Dask LocalCluster of N worker processes")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a running Dask cluster (e.g. tcp://host:8786)")
    at.add_argument("-o", "--output", default=None, metavar="PATH",
                    help="write the long table as .parquet or .csv ('-': CSV on standard output)")
    at.add_argument("--force", action="store_true", help="replace PATH if it exists")
    how = at.add_mutually_exclusive_group()
    how.add_argument("--json", action="store_true", help="one record per evidence set, machine-readable")
    how.add_argument("--csv", action="store_true", help="the long table as CSV on standard output")
    at.set_defaults(func=_cmd_atlas)

    va = sub.add_parser("validate", help="score the model on published cases (tuning and frozen halves) against baselines",
                        description="Scores the network on the validation case set (validation/: protocol, coding "
                                    "manual, cases coded blind to the diagnosis) and, in the same run, a flat prior, "
                                    "context and risk factors only, and findings counted as independent: top-1, "
                                    "top-3, recall per diagnosis, Brier, log-loss, calibration (ECE), confident "
                                    "errors, can't-miss recall at the alert thresholds with the alert burden, misses.")
    va.add_argument("--cases", default=None, type=_path, metavar="DIR",
                    help="directory with cases.yaml and coded.yaml (default: the shipped set)")
    va.add_argument("--plot", default=None, type=_path, metavar="PNG", help="also write the reliability diagrams")
    va.add_argument("--force", action="store_true", help="replace an existing --plot file")
    va.add_argument("--drop-unknown", action="store_true",
                    help="drop coded findings on variables the network lacks (to score an earlier release, --model)")
    va.add_argument("--json", action="store_true", help="machine-readable output")
    va.set_defaults(func=_cmd_validate)
    return parser


_LOSSLESS = ("backslashreplace", "namereplace", "xmlcharrefreplace", "replace")  # never fail on a character


@contextlib.contextmanager
def _console():
    """For the length of a command.

    Output that cannot fail on the terminal's encoding (``PYTHONIOENCODING=ascii``, ``LANG=C``: characters it cannot
    show are written as backslash escapes), and SIGTERM unwinding like Ctrl-C so that temporary files are removed. Both
    are put back afterwards (``main`` may be called in-process).
    """
    saved = []
    for stream in (sys.stdout, sys.stderr):
        errors = getattr(stream, "errors", None)
        if errors not in _LOSSLESS and callable(getattr(stream, "reconfigure", None)):
            with contextlib.suppress(Exception):
                stream.reconfigure(errors="backslashreplace")
                saved.append((stream, errors))
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        handlers = {signal.SIGTERM: signal.signal(signal.SIGTERM, raise_terminated),
                    signal.SIGINT: signal.getsignal(signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        for stream, errors in saved:
            with contextlib.suppress(Exception):
                stream.reconfigure(errors=errors)


def _stop(message: str, code: int) -> int:
    """After Ctrl-C or SIGTERM: further interrupts are ignored while the one-line message is written."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print(f"bmes-bayes: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line (``argv`` defaults to ``sys.argv[1:]``); returns the exit code."""
    with _console():
        try:
            args = build_parser().parse_args(argv)
            code = int(args.func(args))
            # a Ctrl-C that a library swallowed on its way up still ends the run as one
            return _stop("interrupted", 130) if interrupted() else code
        except BmesError as exc:
            print(f"bmes-bayes: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return _stop("interrupted", 130)
        except Terminated:
            return _stop("terminated", 143)
        except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        except OSError as exc:  # the file system refused (reading): permission, a name too long...
            where = f": {exc.filename}" if exc.filename else ""
            print(f"bmes-bayes: {exc.strerror or exc}{where}", file=sys.stderr)
            return 2
        except Exception as exc:  # no internal traceback reaches a user
            if interrupted():  # e.g. a KeyboardInterrupt turned into a RuntimeError while a class was created
                return _stop("interrupted", 130)
            print(f"bmes-bayes: internal error ({type(exc).__name__}: {exc}). Please report it.", file=sys.stderr)
            return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
