"""The network structure (``networks/*.yaml``): its variables, their states, parents, roles and work-up stages.

:func:`load_network` reads and validates a network file with the package's one reader pattern
(:mod:`bmes_bayes.spec._reader`): every problem at once, each with its file and line.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast


from .. import _checks, limits
from .._graph import cycles, topological_order
from .._yaml import line_of
from ..exceptions import BmesError, Problem, did_you_mean
from ._reader import Reader, is_name, is_text, name_rule

__all__ = ["Variable", "NetworkSpec", "load_network", "diagnosis_variable", "ROLES", "STAGES"]

ROLES = ("context", "risk_factor", "diagnosis", "finding")
STAGES = ("history", "examination", "xray_and_labs", "mri", "immediate_checks", "followup", "diagnosis")
MAX_TABLE_ENTRIES = limits.MAX_TABLE_ENTRIES  # one CPT; the shipped diagnosis has 331,776 (read at call time)

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
        """The number of states."""
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
        """The variable names in network order."""
        return tuple(v.name for v in self.variables)

    def children(self, name: str) -> tuple[str, ...]:
        """The variables that have ``name`` as a parent, in network order."""
        return tuple(v.name for v in self.variables if name in v.parents)


_VARIABLE_KEYS = ("role", "stage", "states", "parents", "description")
_NETWORK_KEYS = ("name", "version", "title", "description", "variables")


def load_network(path: str | Path) -> NetworkSpec:
    """Read and validate a network structure file.

    Raises
    ------
    SpecError
        Listing every problem (unknown parents, cycles, duplicate or missing states, unknown keys...).
    ArgumentTypeError
        A path that is not a ``str`` or ``os.PathLike``.
    """
    path = _checks.path(path)
    file = str(path)
    reader = Reader("network file")
    problems = reader.problems
    data, raw = reader.read(path)
    if data is None:
        reader.fail()
    if not isinstance(data, dict):
        reader.fail(Problem(file, line_of(data) or 1, "the network file must be a mapping of " + ", ".join(_NETWORK_KEYS)))
    reader.unknown_keys(data, _NETWORK_KEYS, file, "the network file")
    for key in ("name", "version"):
        if not is_text(data.get(key)):
            hint = ' (quote a number: version: "1")' if isinstance(data.get(key), (int, float)) else ""
            problems.append(Problem(file, line_of(data, key), f"'{key}' must be a non-empty string{hint}"))
    if is_text(data.get("name")) and not is_name(data["name"]):
        problems.append(Problem(file, line_of(data, "name"), f"network name {data['name']!r} must use {name_rule()}"))
    for key in ("title", "description"):
        if key in data and not is_text(data[key]):
            problems.append(Problem(file, line_of(data, key), f"'{key}' must be non-empty text"))
    raw_vars = data.get("variables")
    if not isinstance(raw_vars, dict) or not raw_vars:
        reader.fail(Problem(file, line_of(data, "variables"), "'variables' must be a non-empty mapping"))

    names = [str(n) for n in raw_vars]
    variables: dict[str, Variable] = {}
    for name, body in raw_vars.items():
        line = line_of(raw_vars, name)
        if not is_name(name):
            problems.append(Problem(file, line, f"variable name {name!r} must be text of {name_rule()}"))
            continue
        if not isinstance(body, dict):
            problems.append(Problem(file, line, f"variable {name!r} must be a mapping of {', '.join(_VARIABLE_KEYS)}"))
            continue
        reader.unknown_keys(body, _VARIABLE_KEYS, file, f"variable {name!r}")
        states: Any = body.get("states")
        ok = True
        if not isinstance(states, list) or len(states) < 2:
            problems.append(Problem(file, line_of(body, "states") or line, f"variable {name!r} needs a list of at least two states"))
            ok = False
        else:
            bad = [s for s in states if not is_text(s)]
            if bad:
                problems.append(Problem(file, line_of(body, "states"), f"variable {name!r}: states must be non-empty strings, got {bad!r} (quote numbers and yes/no)"))
                ok = False
            odd = [s for s in states if is_text(s) and not is_name(s)]
            if odd:
                problems.append(Problem(file, line_of(body, "states"), f"variable {name!r}: state names {odd!r} must use {name_rule()}"))
                ok = False
            dup = sorted({s for s in states if is_text(s) and states.count(s) > 1})
            if dup:
                problems.append(Problem(file, line_of(body, "states"), f"variable {name!r}: duplicate states {dup!r}"))
                ok = False
        parents = body.get("parents", [])
        if not isinstance(parents, list):
            problems.append(Problem(file, line_of(body, "parents") or line, f"variable {name!r}: 'parents' must be a list"))
            parents, ok = [], False
        for p in parents:
            if p not in names:
                hint = did_you_mean(str(p), names)
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
        if not is_text(description):
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

    for v in variables.values():
        entries = v.card * math.prod(variables[p].card for p in v.parents if p in variables)
        if entries > limits.MAX_TABLE_ENTRIES:
            problems.append(Problem(file, line_of(raw_vars[v.name], "parents"),
                                    f"variable {v.name!r}: {len(v.parents)} parents give a table of {entries:,} entries "
                                    f"(at most {limits.MAX_TABLE_ENTRIES:,}); combine parents or drop some"))

    graph = {n: tuple(p for p in v.parents if p in variables) for n, v in variables.items()}
    position = {n: i for i, n in enumerate(names)}
    order = topological_order(graph, position)
    if order is None:
        for cycle in cycles(graph):
            loop = " -> ".join([*cycle, cycle[0]])
            problems.append(Problem(file, line_of(raw_vars, cycle[0]), f"the parents form a cycle: {loop}"))
    reader.done()
    if order is None:  # not reached: a cycle is a problem, and reader.done() has raised it
        raise BmesError(f"{file}: the parents form a cycle")
    return NetworkSpec(
        name=str(data["name"]),
        version=str(data["version"]),
        title=str(data.get("title") or data["name"]),
        description=" ".join(str(data.get("description") or "").split()),
        variables=tuple(variables[n] for n in order),
        path=file,
        digest=hashlib.sha256(cast(bytes, raw)).hexdigest(),   # read: reader.done() raised otherwise
    )


def diagnosis_variable(net: NetworkSpec) -> str:
    """The network's diagnosis: the one variable whose role is ``diagnosis``.

    Raises
    ------
    BmesError
        No variable, or more than one, has the role ``diagnosis``.
    """
    found = [v.name for v in net.variables if v.role == "diagnosis"]
    if len(found) != 1:
        raise BmesError(f"the teaching views need exactly one variable with role 'diagnosis'; found {len(found)}")
    return found[0]
