"""Read and validate the model files: the network structure (``networks/*.yaml``) and its priors (``priors/*.yaml``).

Every check runs before anything is raised, so one :class:`~bmes_bayes.exceptions.SpecError` lists every problem,
each with its file and line. Only safe YAML is read; nothing is evaluated.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from ._yaml import LinedDict, line_of, load_yaml
from .exceptions import Problem, SpecError, closest

__all__ = [
    "Variable",
    "NetworkSpec",
    "Provenance",
    "RowPrior",
    "OddsRatioPrior",
    "TableCPD",
    "LogLinearCPD",
    "PriorSpec",
    "load_network",
    "load_priors",
    "ROLES",
    "STAGES",
]

ROLES = ("context", "risk_factor", "diagnosis", "finding")
STAGES = ("history", "examination", "xray_and_labs", "mri", "immediate_checks", "followup", "diagnosis")
TOLERANCE = 1e-9
Z95 = 1.959963984540054  # a "range" is read as the central 95% interval


# --------------------------------------------------------------------------------------------- network


@dataclass(frozen=True)
class Variable:
    """One variable of the network: its states, parents and meaning."""

    name: str
    states: tuple[str, ...]
    parents: tuple[str, ...]
    description: str
    role: str
    stage: str | None = None

    @property
    def card(self) -> int:
        return len(self.states)


@dataclass(frozen=True)
class NetworkSpec:
    """The structure of a network, its variables in a topological order."""

    name: str
    version: str
    title: str
    description: str
    variables: tuple[Variable, ...]
    path: str
    digest: str

    def __post_init__(self):
        object.__setattr__(self, "_index", {v.name: v for v in self.variables})

    def __getitem__(self, name: str) -> Variable:
        return self._index[name]  # type: ignore[attr-defined]

    def __contains__(self, name: object) -> bool:
        return name in self._index  # type: ignore[attr-defined]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def children(self, name: str) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables if name in v.parents)


_VARIABLE_KEYS = ("role", "stage", "states", "parents", "description")
_NETWORK_KEYS = ("name", "version", "title", "description", "variables")


def _unknown_keys(mapping: LinedDict, allowed: Sequence[str], file: str, what: str) -> list[Problem]:
    out = []
    for key in mapping:
        if key not in allowed:
            near = closest(str(key), allowed)
            hint = f"; did you mean {near!r}?" if near else f" (allowed: {', '.join(allowed)})"
            out.append(Problem(file, line_of(mapping, key), f"unknown key {key!r} in {what}{hint}"))
    return out


def _is_text(x: Any) -> bool:
    return isinstance(x, str) and x.strip() != ""


def load_network(path: str | Path) -> NetworkSpec:
    """Read and validate a network structure file.

    Raises
    ------
    SpecError
        Listing every problem (unknown parents, cycles, duplicate or missing states, unknown keys...).
    """
    path = Path(path)
    file = str(path)
    data, problems = load_yaml(path)
    if data is None:
        raise SpecError(problems, "network file")
    if not isinstance(data, dict):
        raise SpecError([Problem(file, line_of(data), "the network file must be a mapping")], "network file")
    problems += _unknown_keys(data, _NETWORK_KEYS, file, "the network file")
    for key in ("name", "version"):
        if not _is_text(data.get(key)):
            problems.append(Problem(file, line_of(data, key), f"'{key}' must be a non-empty string"))
    raw_vars = data.get("variables")
    if not isinstance(raw_vars, dict) or not raw_vars:
        problems.append(Problem(file, line_of(data, "variables"), "'variables' must be a non-empty mapping"))
        raise SpecError(problems, "network file")

    names = [str(n) for n in raw_vars]
    variables: dict[str, Variable] = {}
    for name, body in raw_vars.items():
        line = line_of(raw_vars, name)
        name = str(name)
        if not isinstance(body, dict):
            problems.append(Problem(file, line, f"variable {name!r} must be a mapping of {', '.join(_VARIABLE_KEYS)}"))
            continue
        problems += _unknown_keys(body, _VARIABLE_KEYS, file, f"variable {name!r}")
        states = body.get("states")
        ok = True
        if not isinstance(states, list) or len(states) < 2:
            problems.append(Problem(file, line_of(body, "states") or line, f"variable {name!r} needs a list of at least two states"))
            ok = False
        else:
            bad = [s for s in states if not _is_text(s)]
            if bad:
                problems.append(Problem(file, line_of(body, "states"), f"variable {name!r}: states must be non-empty strings, got {bad!r} (quote yes/no)"))
                ok = False
            dup = sorted({s for s in states if states.count(s) > 1}, key=str)
            if dup:
                problems.append(Problem(file, line_of(body, "states"), f"variable {name!r}: duplicate states {dup!r}"))
                ok = False
        parents = body.get("parents", [])
        if not isinstance(parents, list):
            problems.append(Problem(file, line_of(body, "parents") or line, f"variable {name!r}: 'parents' must be a list"))
            parents, ok = [], False
        for p in parents:
            if p not in names:
                near = closest(str(p), names)
                hint = f"; did you mean {near!r}?" if near else ""
                problems.append(Problem(file, line_of(body, "parents"), f"variable {name!r}: unknown parent {p!r}{hint}"))
                ok = False
            elif p == name:
                problems.append(Problem(file, line_of(body, "parents"), f"variable {name!r} lists itself as a parent"))
                ok = False
        if len(set(map(str, parents))) != len(parents):
            problems.append(Problem(file, line_of(body, "parents"), f"variable {name!r}: a parent is listed twice"))
            ok = False
        role = body.get("role", "finding")
        if role not in ROLES:
            problems.append(Problem(file, line_of(body, "role"), f"variable {name!r}: role {role!r} is not one of {', '.join(ROLES)}"))
        stage = body.get("stage")
        if stage is not None and stage not in STAGES:
            problems.append(Problem(file, line_of(body, "stage"), f"variable {name!r}: stage {stage!r} is not one of {', '.join(STAGES)}"))
        description = body.get("description")
        if not _is_text(description):
            problems.append(Problem(file, line_of(body, "description") or line, f"variable {name!r} needs a one-line description"))
        if ok:
            variables[name] = Variable(
                name=name,
                states=tuple(states),
                parents=tuple(parents),
                description=" ".join(str(description or "").split()),
                role=str(role),
                stage=stage,
            )

    graph = nx.DiGraph()
    graph.add_nodes_from(variables)
    for v in variables.values():
        graph.add_edges_from((p, v.name) for p in v.parents if p in variables)
    for cycle in nx.simple_cycles(graph):
        loop = " -> ".join([*cycle, cycle[0]])
        problems.append(Problem(file, line_of(raw_vars, cycle[0]), f"the parents form a cycle: {loop}"))
    if problems:
        raise SpecError(problems, "network file")

    position = {n: i for i, n in enumerate(names)}
    order = list(nx.lexicographical_topological_sort(graph, key=lambda n: position[n]))
    return NetworkSpec(
        name=str(data["name"]),
        version=str(data["version"]),
        title=str(data.get("title") or data["name"]),
        description=" ".join(str(data.get("description") or "").split()),
        variables=tuple(variables[n] for n in order),
        path=file,
        digest=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


# --------------------------------------------------------------------------------------------- priors


@dataclass(frozen=True)
class Provenance:
    """Where a number comes from: a citation, expert reasoning, or both."""

    source: str | None
    expert_judgement: str | None
    file: str
    line: int | None

    @property
    def expert_only(self) -> bool:
        return self.source is None

    @property
    def text(self) -> str:
        parts = []
        if self.source:
            parts.append(self.source)
        if self.expert_judgement:
            parts.append(f"Expert judgement: {self.expert_judgement}")
        return " | ".join(parts)


@dataclass(frozen=True, eq=False)
class RowPrior:
    """A probability vector (a CPT row or a row of base rates) with a Dirichlet uncertainty.

    ``concentration`` is None for a fixed row. ``focus`` is the index of the state a two-state row was stated
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
        if self.concentration is None:
            raise ValueError(f"{self.id} is fixed")
        return self.mean * self.concentration

    @property
    def fixed(self) -> bool:
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


_ROW_KEYS = ("value", "range", "concentration", "fixed", "source", "expert_judgement", "note")
_OR_KEYS = ("value", "range", "fixed", "source", "expert_judgement", "note")


class _PriorReader:
    """Collects problems while turning prior YAML into CPD specifications."""

    def __init__(self, network: NetworkSpec):
        self.net = network
        self.problems: list[Problem] = []

    def problem(self, file: str, line: int | None, message: str) -> None:
        self.problems.append(Problem(file, line, message))

    # -- provenance ---------------------------------------------------------------------------------
    def provenance(self, body: LinedDict, file: str, what: str) -> Provenance | None:
        source, expert = body.get("source"), body.get("expert_judgement")
        line = line_of(body)
        for key, val in (("source", source), ("expert_judgement", expert)):
            if val is not None and not _is_text(val):
                self.problem(file, line_of(body, key), f"{what}: '{key}' must be non-empty text")
                return None
        if source is None and expert is None:
            self.problem(file, line, f"{what}: no 'source' and no 'expert_judgement'; every number needs one")
            return None
        clean = lambda s: " ".join(str(s).split()) if s is not None else None  # noqa: E731
        return Provenance(clean(source), clean(expert), file, line)

    # -- a probability row --------------------------------------------------------------------------
    def row(
        self, body: Any, file: str, line: int | None, node: str, states: tuple[str, ...],
        given: tuple[tuple[str, str], ...], kind: str = "cpt_row",
    ) -> RowPrior | None:
        label = f"{node} | " + ", ".join(f"{p}={s}" for p, s in given) if given else node
        if kind == "base_rate":
            label = f"{node} base rates" + (" | " + ", ".join(f"{p}={s}" for p, s in given) if given else "")
        what = f"row {label!r}"
        if not isinstance(body, dict):
            self.problem(file, line, f"{what} must be a mapping with value, an uncertainty and a source")
            return None
        before = len(self.problems)
        self.problems += _unknown_keys(body, _ROW_KEYS, file, what)
        value = body.get("value")
        vline = line_of(body, "value") or line_of(body)
        if not isinstance(value, dict) or not value:
            self.problem(file, vline, f"{what}: 'value' must map states to probabilities")
            return None
        for s in value:
            if s not in states:
                near = closest(str(s), states)
                hint = f"; did you mean {near!r}?" if near else ""
                self.problem(file, vline, f"{what}: unknown state {s!r}{hint} (states: {', '.join(states)})")
        nums = {}
        for s, v in value.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                self.problem(file, vline, f"{what}: probability of {s!r} must be a number, got {v!r}")
            elif not 0.0 <= v <= 1.0:
                self.problem(file, vline, f"{what}: probability of {s!r} is {v}, outside [0, 1]")
            else:
                nums[s] = float(v)
        focus = None
        if len(self.problems) == before:
            if len(states) == 2 and len(value) == 1:
                (s, p), = nums.items()
                focus = states.index(s)
                mean = np.array([1 - p, p]) if focus == 1 else np.array([p, 1 - p])
            else:
                missing = [s for s in states if s not in value]
                if missing:
                    self.problem(file, vline, f"{what}: missing probabilities for {', '.join(missing)}")
                    return None
                mean = np.array([nums[s] for s in states])
                if abs(mean.sum() - 1.0) > TOLERANCE:
                    self.problem(file, vline, f"{what}: probabilities sum to {mean.sum():.12g}, not 1 (tolerance 1e-9)")
                    return None
                mean = mean / mean.sum()
        else:
            return None

        modes = [k for k in ("range", "concentration", "fixed") if k in body]
        if len(modes) != 1:
            self.problem(file, line_of(body), f"{what}: give exactly one of range, concentration or fixed (found {modes or 'none'})")
            return None
        mode = modes[0]
        concentration: float | None = None
        stated_range = None
        if mode == "fixed":
            if body["fixed"] is not True:
                self.problem(file, line_of(body, "fixed"), f"{what}: 'fixed' must be true")
                return None
        elif mode == "concentration":
            c = body["concentration"]
            if isinstance(c, bool) or not isinstance(c, (int, float)) or not math.isfinite(c) or c <= 0:
                self.problem(file, line_of(body, "concentration"), f"{what}: concentration must be a positive number, got {c!r}")
                return None
            concentration = float(c)
        else:
            rng = body["range"]
            rline = line_of(body, "range")
            if focus is None:
                self.problem(file, rline, f"{what}: 'range' is for a two-state row stated by one probability; use concentration")
                return None
            ok = (isinstance(rng, list) and len(rng) == 2
                  and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in rng))
            if not ok:
                self.problem(file, rline, f"{what}: range must be [low, high], got {rng!r}")
                return None
            lo, hi = map(float, rng)
            p = float(mean[focus])
            if not 0.0 <= lo < hi <= 1.0:
                self.problem(file, rline, f"{what}: range [{lo}, {hi}] must satisfy 0 <= low < high <= 1")
                return None
            if not lo <= p <= hi:
                self.problem(file, rline, f"{what}: value {p} lies outside its range [{lo}, {hi}]")
                return None
            sd = (hi - lo) / (2 * Z95)
            n = p * (1 - p) / sd**2 - 1
            if not n > 0:
                self.problem(file, rline, f"{what}: range [{lo}, {hi}] is too wide for a Beta with mean {p}")
                return None
            concentration, stated_range = n, (lo, hi)
        if concentration is not None and np.any(mean <= 0):
            zero = [s for s, m in zip(states, mean) if m <= 0]
            self.problem(file, vline, f"{what}: a probability of 0 ({', '.join(zero)}) needs 'fixed: true'; an uncertain row must be positive")
            return None
        prov = self.provenance(body, file, what)
        if prov is None:
            return None
        return RowPrior(
            id=label, node=node, states=states, given=given, mean=mean, concentration=concentration,
            provenance=prov, focus=focus, stated_range=stated_range, kind=kind,
        )

    def nested_rows(
        self, rows: Any, file: str, line: int | None, node: str, parents: Sequence[str], kind: str = "cpt_row",
    ) -> tuple[RowPrior, ...] | None:
        """Rows nested by ``parents`` in order, returned in C order of the parents' states."""
        var = self.net[node]
        out: list[RowPrior | None] = []
        states_of = [self.net[p].states for p in parents]
        ok = True
        for combo in product(*states_of):
            cur, cur_line, path = rows, line, []
            for p, s in zip(parents, combo):
                if not isinstance(cur, dict):
                    self.problem(file, cur_line, f"{node}: rows under {'/'.join(path) or 'rows'} must be a mapping keyed by {p}")
                    return None
                if s not in cur:
                    where = " under " + "/".join(path) if path else ""
                    self.problem(file, line_of(cur), f"{node}: missing row for {p}={s}{where}")
                    ok = False
                    break
                cur_line = line_of(cur, s)
                cur = cur[s]
                path.append(s)
            else:
                out.append(self.row(cur, file, cur_line, node, var.states, tuple(zip(parents, combo)), kind))
        # keys that name no state
        def check_keys(level: Any, depth: int, path: list[str]) -> None:
            if depth == len(parents) or not isinstance(level, dict):
                return
            valid = self.net[parents[depth]].states
            for k, v in level.items():
                if k not in valid:
                    near = closest(str(k), valid)
                    hint = f"; did you mean {near!r}?" if near else ""
                    self.problem(file, line_of(level, k), f"{node}: {k!r} is not a state of {parents[depth]}{hint} (states: {', '.join(valid)})")
                else:
                    check_keys(v, depth + 1, [*path, str(k)])
        check_keys(rows, 0, [])
        if not ok or any(r is None for r in out):
            return None
        return tuple(out)  # type: ignore[arg-type]

    # -- node kinds ---------------------------------------------------------------------------------
    def table(self, body: LinedDict, file: str, node: str) -> TableCPD | None:
        var = self.net[node]
        self.problems += _unknown_keys(body, ("kind", "rows", "row", "note"), file, f"node {node!r}")
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

    def loglinear(self, body: LinedDict, file: str, node: str) -> LogLinearCPD | None:
        var = self.net[node]
        self.problems += _unknown_keys(body, ("kind", "reference", "base", "effects", "note"), file, f"node {node!r}")
        ok = True
        base = body.get("base")
        if not isinstance(base, dict):
            self.problem(file, line_of(body, "base") or line_of(body), f"{node}: 'base' must be a mapping with parents and rows")
            return None
        self.problems += _unknown_keys(base, ("parents", "rows", "note"), file, f"{node} base")
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
                near = closest(str(p), others)
                hint = f"; did you mean {near!r}?" if near else ""
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
                    near = closest(str(s), self.net[p].states)
                    hint = f"; did you mean {near!r}?" if near else ""
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
                        near = closest(str(t), var.states)
                        hint = f"; did you mean {near!r}?" if near else ""
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
        what = f"odds ratio of {node}={target} for {parent}={pstate}"
        if not isinstance(spec, dict):
            self.problem(file, line, f"{what} must be a mapping with value, range (or fixed) and a source")
            return None
        before = len(self.problems)
        self.problems += _unknown_keys(spec, _OR_KEYS, file, what)
        v = spec.get("value")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            self.problem(file, line_of(spec, "value") or line, f"{what}: value must be a positive number, got {v!r}")
            return None
        modes = [k for k in ("range", "fixed") if k in spec]
        if len(modes) != 1:
            self.problem(file, line_of(spec) or line, f"{what}: give exactly one of range or fixed")
            return None
        log_sd, stated = 0.0, None
        if modes[0] == "fixed":
            if spec["fixed"] is not True:
                self.problem(file, line_of(spec, "fixed"), f"{what}: 'fixed' must be true")
                return None
        else:
            rng = spec["range"]
            ok = (isinstance(rng, list) and len(rng) == 2
                  and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in rng))
            if not ok:
                self.problem(file, line_of(spec, "range"), f"{what}: range must be [low, high], got {rng!r}")
                return None
            lo, hi = map(float, rng)
            if not 0 < lo < hi:
                self.problem(file, line_of(spec, "range"), f"{what}: range [{lo}, {hi}] must satisfy 0 < low < high")
                return None
            if not lo <= v <= hi:
                self.problem(file, line_of(spec, "range"), f"{what}: value {v} lies outside its range [{lo}, {hi}]")
                return None
            log_sd, stated = (math.log(hi) - math.log(lo)) / (2 * Z95), (lo, hi)
        prov = self.provenance(spec, file, what)
        if prov is None or len(self.problems) > before:
            return None
        return OddsRatioPrior(
            id=f"{node}: OR {parent}={pstate} -> {target}", node=node, parent=parent, parent_state=pstate,
            target=target, median=float(v), log_sd=log_sd, provenance=prov, stated_range=stated,
        )


def _prior_files(priors: str | Path | Iterable[str | Path]) -> list[Path]:
    if isinstance(priors, (str, Path)):
        p = Path(priors)
        return sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    return [Path(x) for x in priors]


def load_priors(priors: str | Path | Iterable[str | Path], network: NetworkSpec) -> PriorSpec:
    """Read and validate prior files (a directory of ``*.yaml`` or a list of files) against ``network``.

    Raises
    ------
    SpecError
        Listing every problem in every file, each with its file and line.
    """
    files = _prior_files(priors)
    reader = _PriorReader(network)
    if not files:
        raise SpecError([Problem(str(priors), None, "no prior files (*.yaml) found")], "prior files")
    cpds: dict[str, TableCPD | LogLinearCPD] = {}
    defined_in: dict[str, str] = {}
    digest = hashlib.sha256()
    for path in files:
        file = str(path)
        data, problems = load_yaml(path)
        reader.problems += problems
        if data is None:
            continue
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
            reader.problem(file, line_of(data), "a prior file must be a mapping with a 'nodes' mapping")
            continue
        reader.problems += _unknown_keys(data, ("nodes", "note"), file, "the prior file")
        for node, body in data["nodes"].items():
            line = line_of(data["nodes"], node)
            if node not in network:
                near = closest(str(node), network.names)
                hint = f"; did you mean {near!r}?" if near else ""
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
    if reader.problems:
        raise SpecError(reader.problems, "prior files")
    parameters: list[RowPrior | OddsRatioPrior] = []
    for name in network.names:
        cpd = cpds[name]
        if isinstance(cpd, TableCPD):
            parameters += cpd.rows
        else:
            parameters += cpd.base_rows
            parameters += cpd.effects
    return PriorSpec(cpds=cpds, files=tuple(map(str, files)), digest=digest.hexdigest(), parameters=tuple(parameters))
