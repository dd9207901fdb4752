"""The priors (``priors/*.yaml``): every node's parameterisation, each number with its uncertainty and provenance.

:func:`load_priors` reads and validates prior files against a network with :class:`_PriorReader`, the package's
reader pattern (:mod:`bmes_bayes.spec._reader`) with one method per YAML construct: every problem at once, each with
its file and line.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from .. import _checks
from .._yaml import line_of
from ..exceptions import ArgumentTypeError, Problem, SpecError, did_you_mean
from ._reader import Provenance, Reader, number as _number, pair as _pair
from .network import NetworkSpec

__all__ = ["RowPrior", "OddsRatioPrior", "TableCPD", "LogLinearCPD", "PriorSpec", "load_priors", "TOLERANCE", "Z95",
           "ODDS_RATIO_LIMITS"]

TOLERANCE = 1e-9
Z95 = 1.959963984540054  # a "range" is read as the central 95% interval
ODDS_RATIO_LIMITS = (1e-6, 1e6)  # beyond these an effect is deterministic: state it with fixed probabilities instead


@dataclass(frozen=True, eq=False)
class RowPrior:
    """A probability vector (a CPT row or a row of base rates) with a Dirichlet uncertainty.

    ``concentration`` is None for a fixed row. An uncertain row with three or more states may hold *structural
    zeros* (a state ruled out by logic, such as no dose for a steroid user): its Dirichlet covers the other states
    and the zeros stay zero in every draw. ``focus`` is the index of the state a two-state row was stated
    for (its ``range`` refers to that state); None for rows stated in full.
    """

    id: str
    node: str
    states: tuple[str, ...]
    given: tuple[tuple[str, str], ...]
    mean: np.ndarray
    concentration: float | None
    provenance: Provenance
    focus: int | None = None
    stated_range: tuple[float, float] | None = None
    kind: str = "cpt_row"

    @property
    def alpha(self) -> np.ndarray:
        """Dirichlet parameters; 0 at a structural zero (a state the row rules out by logic)."""
        if self.concentration is None:
            raise ValueError(f"{self.id} is fixed")
        return self.mean * self.concentration

    @property
    def support(self) -> np.ndarray:
        """Indices of the states this row allows (probability > 0); the Dirichlet lives on these only."""
        return np.flatnonzero(self.mean > 0)

    @property
    def fixed(self) -> bool:
        """Whether the row is fixed (no concentration: it never varies between draws)."""
        return self.concentration is None


@dataclass(frozen=True, eq=False)
class OddsRatioPrior:
    """A multiplicative effect of ``parent = parent_state`` on the odds of ``node = target``; log-normal."""

    id: str
    node: str
    parent: str
    parent_state: str
    target: str
    median: float
    log_sd: float
    provenance: Provenance
    stated_range: tuple[float, float] | None = None

    @property
    def fixed(self) -> bool:
        """Whether the odds ratio is fixed (``log_sd`` zero: it never varies between draws)."""
        return self.log_sd == 0.0


@dataclass(frozen=True, eq=False)
class TableCPD:
    """A CPT stated row by row; ``rows`` in C order of the parents' states."""

    node: str
    parents: tuple[str, ...]
    rows: tuple[RowPrior, ...]


@dataclass(frozen=True, eq=False)
class LogLinearCPD:
    """P(node | parents) ∝ base(node | base_parents) × Π odds ratios of the other parents' states."""

    node: str
    parents: tuple[str, ...]
    base_parents: tuple[str, ...]
    base_rows: tuple[RowPrior, ...]
    reference: dict[str, str]
    effects: tuple[OddsRatioPrior, ...]


@dataclass(frozen=True, eq=False)
class PriorSpec:
    """Every node's parameterisation, as read from the prior files."""

    cpds: dict[str, TableCPD | LogLinearCPD]
    files: tuple[str, ...]
    digest: str
    parameters: tuple[RowPrior | OddsRatioPrior, ...] = field(default=())
    tempering: float = 1.0                   # exponent on every finding's CPT rows (see the 'calibration' block)
    tempering_provenance: Provenance | None = None


_ROW_KEYS = ("value", "range", "concentration", "fixed", "source", "expert_judgement", "note")
_OR_KEYS = ("value", "range", "fixed", "source", "expert_judgement", "note")


class _PriorReader(Reader):
    """Collects problems while turning prior YAML into CPD specifications.

    One method per YAML construct; the unknown-key and provenance rules are :class:`~bmes_bayes.spec._reader.Reader`'s.
    """

    def __init__(self, network: NetworkSpec):
        super().__init__("prior files")
        self.net = network

    # -- a probability row --------------------------------------------------------------------------
    def row(
        self, body: Any, file: str, line: int | None, node: str, states: tuple[str, ...],
        given: tuple[tuple[str, str], ...], kind: str = "cpt_row",
    ) -> RowPrior | None:
        """One probability row: its values, its uncertainty and its provenance, every problem of each reported."""
        label = f"{node} | " + ", ".join(f"{p}={s}" for p, s in given) if given else node
        if kind == "base_rate":
            label = f"{node} base rates" + (" | " + ", ".join(f"{p}={s}" for p, s in given) if given else "")
        what = f"row {label!r}"
        if not isinstance(body, dict):
            self.problem(file, line, f"{what} must be a mapping with value, an uncertainty and a source")
            return None
        deeper = [k for k, v in body.items() if isinstance(v, dict) and "value" in v]
        if "value" not in body and deeper:
            self.problem(file, line, f"{what}: found rows under {', '.join(map(repr, deeper))} instead of value, "
                                     "uncertainty and source: nested one level too deep?")
            return None
        before = len(self.problems)
        self.unknown_keys(body, _ROW_KEYS, file, what)
        vline = line_of(body, "value") or line_of(body)
        mean, focus = self._row_values(body, file, vline, what, states)
        concentration, stated_range = self._row_uncertainty(body, file, vline, what, states, mean, focus)
        prov = self.provenance(body, file, what)
        if len(self.problems) > before or mean is None or prov is None:
            return None
        return RowPrior(
            id=label, node=node, states=states, given=given, mean=mean, concentration=concentration,
            provenance=prov, focus=focus, stated_range=stated_range, kind=kind,
        )

    def _row_values(self, body: dict, file: str, vline: int | None, what: str,
                    states: tuple[str, ...]) -> tuple[np.ndarray | None, int | None]:
        """The row's probabilities in state order (None after a problem), and the index of the state stated.

        The index is that of the one state a two-state row is stated by (one probability), else None.
        """
        value = body.get("value")
        if not isinstance(value, dict) or not value:
            self.problem(file, vline, f"{what}: 'value' must map states to probabilities")
            return None, None
        before = len(self.problems)
        for s in value:
            if s not in states:
                hint = did_you_mean(str(s), states)
                self.problem(file, vline, f"{what}: unknown state {s!r}{hint} (states: {', '.join(states)})")
        only = next(iter(value))
        focus = states.index(only) if len(states) == 2 and len(value) == 1 and only in states else None
        nums = {}
        for s, v in value.items():
            x = _number(v)
            if x is None:
                self.problem(file, vline, f"{what}: probability of {s!r} must be a finite number, got {v!r}")
            elif not 0.0 <= x <= 1.0:
                self.problem(file, vline, f"{what}: probability of {s!r} is {v}, outside [0, 1]")
            else:
                nums[s] = x
        if len(self.problems) > before:
            return None, focus
        if focus is not None:
            p = nums[states[focus]]
            return (np.array([1 - p, p]) if focus == 1 else np.array([p, 1 - p])), focus
        missing = [s for s in states if s not in value]
        if missing:
            self.problem(file, vline, f"{what}: missing probabilities for {', '.join(missing)}")
            return None, None
        mean = np.array([nums[s] for s in states])
        if abs(mean.sum() - 1.0) > TOLERANCE:
            self.problem(file, vline, f"{what}: probabilities sum to {mean.sum():.12g}, not 1 (tolerance 1e-9)")
            return None, None
        return mean / mean.sum(), None

    def _row_uncertainty(self, body: dict, file: str, vline: int | None, what: str, states: tuple[str, ...],
                         mean: np.ndarray | None, focus: int | None) -> tuple[float | None, tuple[float, float] | None]:
        """Dirichlet concentration (None for a fixed row) and the stated range; checked even when the values are not."""
        modes = [k for k in ("range", "concentration", "fixed") if k in body]
        if len(modes) != 1:
            self.problem(file, line_of(body), f"{what}: give exactly one of range, concentration or fixed (found {modes or 'none'})")
            return None, None
        mode = modes[0]
        concentration: float | None = None
        stated_range = None
        if mode == "fixed":
            if body["fixed"] is not True:
                self.problem(file, line_of(body, "fixed"), f"{what}: 'fixed' must be true")
            return None, None
        if mode == "concentration":
            c = _number(body["concentration"])
            if c is None or c <= 0:
                self.problem(file, line_of(body, "concentration"),
                             f"{what}: concentration must be a positive number, got {body['concentration']!r}")
                return None, None
            concentration = c
        else:
            rline = line_of(body, "range")
            value = body.get("value")
            if len(states) != 2 or (isinstance(value, dict) and len(value) != 1):
                self.problem(file, rline, f"{what}: 'range' is for a two-state row stated by one probability; use concentration")
                return None, None
            pair = _pair(body["range"])
            if pair is None:
                self.problem(file, rline, f"{what}: range must be [low, high] (two finite numbers), got {body['range']!r}")
                return None, None
            lo, hi = pair
            if not 0.0 <= lo < hi <= 1.0:
                self.problem(file, rline, f"{what}: range [{lo}, {hi}] must satisfy 0 <= low < high <= 1")
                return None, None
            if mean is None or focus is None:
                return None, None
            p = float(mean[focus])
            if not lo <= p <= hi:
                self.problem(file, rline, f"{what}: value {p} lies outside its range [{lo}, {hi}]")
                return None, None
            sd = (hi - lo) / (2 * Z95)
            n = p * (1 - p) / sd**2 - 1
            if not n > 0:
                self.problem(file, rline, f"{what}: range [{lo}, {hi}] is too wide for a Beta with mean {p}")
                return None, None
            concentration, stated_range = n, (lo, hi)
        if mean is not None and np.any(mean <= 0) and (len(states) == 2 or int((mean > 0).sum()) < 2):
            zero = [s for s, m in zip(states, mean) if m <= 0]
            self.problem(file, vline, f"{what}: a probability of 0 ({', '.join(zero)}) needs 'fixed: true' here; an "
                                      "uncertain row may hold structural zeros only with at least two other states")
        return concentration, stated_range

    def nested_rows(
        self, rows: Any, file: str, line: int | None, node: str, parents: Sequence[str], kind: str = "cpt_row",
    ) -> tuple[RowPrior, ...] | None:
        """Rows nested by ``parents`` in order, returned in C order of the parents' states.

        Walks the mapping as written (so the work grows with the file, not with the number of parent
        configurations) and reports each misplaced level once, with its line: a row where a level keyed by a parent
        was expected, a missing state, a key that is no state.
        """
        var = self.net[node]
        out: list[RowPrior | None] = []
        ok = True

        def walk(level: Any, level_line: int | None, depth: int, given: tuple[tuple[str, str], ...]) -> None:
            nonlocal ok
            if depth == len(parents):
                out.append(self.row(level, file, level_line, node, var.states, given, kind))
                return
            p = parents[depth]
            states = self.net[p].states
            under = " under " + "/".join(s for _, s in given) if given else ""
            if not isinstance(level, dict):
                self.problem(file, level_line, f"{node}: rows{under} must be a mapping keyed by the states of {p}")
                ok = False
                return
            if "value" in level and not any(k in states for k in level):
                self.problem(file, line_of(level), f"{node}: a row is given{under} where rows keyed by {p} "
                             f"({', '.join(states)}) are expected; nest one level per parent: {', '.join(parents[depth:])}")
                ok = False
                return
            for k in level:
                if k not in states:
                    hint = did_you_mean(str(k), states)
                    self.problem(file, line_of(level, k), f"{node}: {k!r} is not a state of {p}{hint} (states: {', '.join(states)})")
            for s in states:
                if s in level:
                    walk(level[s], line_of(level, s), depth + 1, (*given, (p, s)))
                else:
                    self.problem(file, line_of(level), f"{node}: missing row for {p}={s}{under}")
                    ok = False

        walk(rows, line, 0, ())
        if not ok or any(r is None for r in out):
            return None
        return tuple(out)  # type: ignore[arg-type]

    # -- a declared calibration ------------------------------------------------------------------------
    def calibration(self, body: Any, file: str) -> tuple[float, Provenance | None]:
        """``calibration: {finding_tempering: {value: t, fixed: true, source: ...}}``.

        Every finding's CPT rows are raised to the power t and renormalised (t < 1 flattens them, so the findings weigh
        less).
        """
        line = line_of(body)
        if not isinstance(body, dict) or not isinstance(body.get("finding_tempering"), dict):
            self.problem(file, line, "'calibration' must hold a 'finding_tempering' mapping with value, fixed and a source")
            return 1.0, None
        self.unknown_keys(body, ("finding_tempering", "note"), file, "calibration")
        t = body["finding_tempering"]
        self.unknown_keys(t, ("value", "fixed", "source", "expert_judgement", "note"), file, "finding_tempering")
        x = _number(t.get("value"))
        if x is None or not 0.0 < x <= 1.0:
            self.problem(file, line_of(t, "value") or line_of(t), f"finding_tempering: value must be in (0, 1], got {t.get('value')!r}")
            x = None
        if t.get("fixed") is not True:
            self.problem(file, line_of(t), "finding_tempering: a fitted correction has no prior uncertainty; give 'fixed: true'")
        prov = self.provenance(t, file, "finding_tempering")
        return (x if x is not None else 1.0), prov

    # -- node kinds ---------------------------------------------------------------------------------
    def table(self, body: dict, file: str, node: str) -> TableCPD | None:
        var = self.net[node]
        self.unknown_keys(body, ("kind", "rows", "row", "note"), file, f"node {node!r}")
        if var.parents:
            if "rows" not in body:
                self.problem(file, line_of(body), f"{node}: has parents {', '.join(var.parents)}, so it needs 'rows' nested by them")
                return None
            rows = self.nested_rows(body["rows"], file, line_of(body, "rows"), node, var.parents)
        else:
            if "row" not in body:
                self.problem(file, line_of(body), f"{node}: has no parents, so it needs one 'row'")
                return None
            r = self.row(body["row"], file, line_of(body, "row"), node, var.states, ())
            rows = None if r is None else (r,)
        return None if rows is None else TableCPD(node, var.parents, rows)

    def loglinear(self, body: dict, file: str, node: str) -> LogLinearCPD | None:
        var = self.net[node]
        self.unknown_keys(body, ("kind", "reference", "base", "effects", "note"), file, f"node {node!r}")
        ok = True
        base = body.get("base")
        if not isinstance(base, dict):
            self.problem(file, line_of(body, "base") or line_of(body), f"{node}: 'base' must be a mapping with parents and rows")
            return None
        self.unknown_keys(base, ("parents", "rows", "note"), file, f"{node} base")
        base_parents = base.get("parents", [])
        if not isinstance(base_parents, list) or any(p not in var.parents for p in base_parents):
            self.problem(file, line_of(base, "parents"), f"{node}: base parents {base_parents!r} must be a list of the node's parents ({', '.join(var.parents)})")
            return None
        ordered = tuple(p for p in var.parents if p in base_parents)
        if list(ordered) != list(base_parents):
            self.problem(file, line_of(base, "parents"), f"{node}: list base parents in network order: {list(ordered)}")
            ok = False
        base_rows = self.nested_rows(base.get("rows"), file, line_of(base, "rows"), node, ordered, kind="base_rate")
        others = [p for p in var.parents if p not in ordered]

        reference: dict[str, str] = {p: self.net[p].states[0] for p in others}
        ref = body.get("reference", {})
        if not isinstance(ref, dict):
            self.problem(file, line_of(body, "reference"), f"{node}: 'reference' must map parents to their reference state")
            ok = False
            ref = {}
        for p, s in ref.items():
            if p not in others:
                self.problem(file, line_of(ref, p), f"{node}: reference names {p!r}, which is not a non-base parent ({', '.join(others)})")
                ok = False
            elif s not in self.net[p].states:
                self.problem(file, line_of(ref, p), f"{node}: reference state {s!r} is not a state of {p} ({', '.join(self.net[p].states)})")
                ok = False
            else:
                reference[p] = s

        effects: list[OddsRatioPrior] = []
        raw = body.get("effects", {})
        if not isinstance(raw, dict):
            self.problem(file, line_of(body, "effects"), f"{node}: 'effects' must be a mapping parent -> state -> {node} state -> odds ratio")
            return None
        for p, by_state in raw.items():
            pline = line_of(raw, p)
            if p not in others:
                hint = did_you_mean(str(p), others)
                self.problem(file, pline, f"{node}: effect of {p!r}, which is not a non-base parent{hint} ({', '.join(others)})")
                ok = False
                continue
            if not isinstance(by_state, dict):
                self.problem(file, pline, f"{node}: effects of {p} must be keyed by its states")
                ok = False
                continue
            for s, by_target in by_state.items():
                sline = line_of(by_state, s)
                if s not in self.net[p].states:
                    hint = did_you_mean(str(s), self.net[p].states)
                    self.problem(file, sline, f"{node}: {s!r} is not a state of {p}{hint} ({', '.join(self.net[p].states)})")
                    ok = False
                    continue
                if s == reference.get(p):
                    self.problem(file, sline, f"{node}: {p}={s} is the reference state; its odds ratios are 1 by definition")
                    ok = False
                    continue
                if not isinstance(by_target, dict):
                    self.problem(file, sline, f"{node}: effects of {p}={s} must be keyed by states of {node}")
                    ok = False
                    continue
                for t, spec in by_target.items():
                    tline = line_of(by_target, t)
                    if t not in var.states:
                        hint = did_you_mean(str(t), var.states)
                        self.problem(file, tline, f"{node}: {t!r} is not a state of {node}{hint}")
                        ok = False
                        continue
                    eff = self.odds_ratio(spec, file, tline, node, p, s, t)
                    if eff is None:
                        ok = False
                    else:
                        effects.append(eff)
        if not ok or base_rows is None:
            return None
        return LogLinearCPD(node, var.parents, ordered, base_rows, reference, tuple(effects))

    def odds_ratio(self, spec: Any, file: str, line: int | None, node: str, parent: str, pstate: str, target: str) -> OddsRatioPrior | None:
        """One odds ratio: its value, its uncertainty and its provenance, every problem of each reported."""
        what = f"odds ratio of {node}={target} for {parent}={pstate}"
        if not isinstance(spec, dict):
            self.problem(file, line, f"{what} must be a mapping with value, range (or fixed) and a source")
            return None
        before = len(self.problems)
        self.unknown_keys(spec, _OR_KEYS, file, what)
        v = _number(spec.get("value"))
        lo_or, hi_or = ODDS_RATIO_LIMITS
        vline = line_of(spec, "value") or line
        if v is None or v <= 0:
            self.problem(file, vline, f"{what}: value must be a positive number, got {spec.get('value')!r}")
            v = None
        elif not lo_or <= v <= hi_or:
            self.problem(file, vline, f"{what}: value {v:g} is outside [{lo_or:g}, {hi_or:g}]; "
                         "state a deterministic effect as a table with fixed probabilities")
            v = None
        modes = [k for k in ("range", "fixed") if k in spec]
        log_sd, stated = 0.0, None
        if len(modes) != 1:
            self.problem(file, line_of(spec) or line, f"{what}: give exactly one of range or fixed")
        elif modes[0] == "fixed":
            if spec["fixed"] is not True:
                self.problem(file, line_of(spec, "fixed"), f"{what}: 'fixed' must be true")
        else:
            rng = spec["range"]
            rline = line_of(spec, "range")
            pair = _pair(rng)
            if pair is None:
                self.problem(file, rline, f"{what}: range must be [low, high] (two finite numbers), got {rng!r}")
            elif not 0 < pair[0] < pair[1]:
                self.problem(file, rline, f"{what}: range [{pair[0]}, {pair[1]}] must satisfy 0 < low < high")
            elif not lo_or <= pair[0] < pair[1] <= hi_or:
                self.problem(file, rline, f"{what}: range [{pair[0]:g}, {pair[1]:g}] must lie within [{lo_or:g}, {hi_or:g}]")
            elif v is not None and not pair[0] <= v <= pair[1]:
                self.problem(file, rline, f"{what}: value {v} lies outside its range [{pair[0]}, {pair[1]}]")
            else:
                lo, hi = pair
                log_sd, stated = (math.log(hi) - math.log(lo)) / (2 * Z95), (lo, hi)
        prov = self.provenance(spec, file, what)
        if prov is None or v is None or len(self.problems) > before:
            return None
        return OddsRatioPrior(
            id=f"{node}: OR {parent}={pstate} -> {target}", node=node, parent=parent, parent_state=pstate,
            target=target, median=float(v), log_sd=log_sd, provenance=prov, stated_range=stated,
        )


def _prior_files(priors: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(priors, (str, os.PathLike)):
        p = _checks.path(priors, "priors")
        return sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    if isinstance(priors, (bytes, Mapping)) or not isinstance(priors, Iterable):
        raise ArgumentTypeError(f"priors must be a path or a list of paths, got {type(priors).__name__}")
    return [_checks.path(x, "priors") for x in priors]


def load_priors(priors: str | Path | Iterable[str | Path], network: NetworkSpec) -> PriorSpec:
    """Read and validate prior files (a directory of ``*.yaml`` or a list of files) against ``network``.

    Raises
    ------
    SpecError
        Listing every problem in every file, each with its file and line.
    """
    files = _prior_files(priors)
    if isinstance(priors, (str, os.PathLike)) and not Path(priors).exists():
        raise SpecError([Problem(str(priors), None, "no prior files: no such file or directory "
                                                    "(expected a directory of *.yaml files or one file)")], "prior files")
    reader = _PriorReader(network)
    if not files:
        raise SpecError([Problem(str(priors), None, "no prior files (*.yaml) found")], "prior files")
    cpds: dict[str, TableCPD | LogLinearCPD] = {}
    defined_in: dict[str, str] = {}
    tempering, tempering_prov, tempering_at = 1.0, None, None
    digest = hashlib.sha256()
    for path in files:
        file = str(path)
        data, raw = reader.read(path)
        if data is None:
            continue
        digest.update(path.name.encode() + b"\0" + cast(bytes, raw) + b"\0")   # data read, so raw is too
        if isinstance(data, dict):
            reader.unknown_keys(data, ("nodes", "note", "calibration"), file, "the prior file")
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
            reader.problem(file, line_of(data), "a prior file must be a mapping with a 'nodes' mapping")
            continue
        if "calibration" in data:
            if tempering_at is not None:
                reader.problem(file, line_of(data, "calibration"), f"'calibration' is already given in {tempering_at}")
            else:
                tempering_at = f"{file}:{line_of(data, 'calibration')}"
                tempering, tempering_prov = reader.calibration(data["calibration"], file)
        for node, body in data["nodes"].items():
            line = line_of(data["nodes"], node)
            if node not in network:
                hint = did_you_mean(str(node), network.names)
                reader.problem(file, line, f"node {node!r} is not in the network{hint}")
                continue
            if node in defined_in:
                reader.problem(file, line, f"node {node!r} is already defined in {defined_in[node]}")
                continue
            defined_in[node] = f"{file}:{line}"
            if not isinstance(body, dict) or body.get("kind") not in ("table", "loglinear"):
                reader.problem(file, line, f"node {node!r} needs 'kind: table' or 'kind: loglinear'")
                continue
            cpd = reader.table(body, file, node) if body["kind"] == "table" else reader.loglinear(body, file, node)
            if cpd is not None:
                cpds[node] = cpd
    for name in network.names:
        if name not in defined_in:
            reader.problem(", ".join(map(str, files)) if len(files) < 4 else str(Path(files[0]).parent), None,
                           f"no prior for network variable {name!r}")
    reader.done()
    parameters: list[RowPrior | OddsRatioPrior] = []
    for name in network.names:
        cpd = cpds[name]
        if isinstance(cpd, TableCPD):
            parameters += cpd.rows
        else:
            parameters += cpd.base_rows
            parameters += cpd.effects
    return PriorSpec(cpds=cpds, files=tuple(map(str, files)), digest=digest.hexdigest(), parameters=tuple(parameters),
                     tempering=tempering, tempering_provenance=tempering_prov)
