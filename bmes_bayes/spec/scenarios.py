"""Scenario files (``scenarios/*.yaml``): published cases as staged evidence, each citing its source.

:func:`load` and :func:`load_all` read and validate scenario files with the package's reader pattern
(:mod:`bmes_bayes.spec._reader`): every problem of every file at once with its line, unknown keys named with the valid
ones, and the one provenance rule (a published case cites its ``source``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from .. import _checks
from .._yaml import line_of
from ..exceptions import Problem, SpecError, unknown_name_message
from ._paths import default_paths, shipped
from ._reader import Reader
from .network import STAGES, NetworkSpec, load_network

__all__ = ["Scenario", "Stage", "load", "names", "load_all", "scenario_dir", "KINDS"]

_KEYS = ("name", "title", "kind", "narrative", "source", "teaching_point", "expected", "stages")
_EXPECTED_KEYS = ("leading", "cant_miss")
_STAGE_KEYS = ("stage", "evidence")
KINDS = ("textbook", "challenge")


@dataclass(frozen=True)
class Stage:
    """One step of the work-up and the evidence it adds."""

    stage: str
    evidence: dict[str, str]


@dataclass(frozen=True)
class Scenario:
    """A published case as staged evidence, with the diagnosis its source reports."""

    name: str
    title: str
    kind: str
    narrative: str
    source: str
    teaching_point: str
    expected_leading: str
    cant_miss: tuple[str, ...]
    stages: tuple[Stage, ...]
    path: str

    @property
    def evidence(self) -> dict[str, str]:
        """All evidence of every stage together."""
        out: dict[str, str] = {}
        for st in self.stages:
            out.update(st.evidence)
        return out

    def cumulative(self) -> list[tuple[str, dict[str, str]]]:
        """(stage name, evidence so far) after each stage."""
        out: list[tuple[str, dict[str, str]]] = []
        acc: dict[str, str] = {}
        for st in self.stages:
            acc = {**acc, **st.evidence}
            out.append((st.stage, dict(acc)))
        return out

    def __repr__(self) -> str:
        return f"<Scenario {self.name} ({self.kind}): {len(self.stages)} stages, {len(self.evidence)} findings; expected {self.expected_leading}>"


def scenario_dir() -> Path:
    """The shipped scenario directory (inside the wheel, or the source checkout).

    Raises
    ------
    SpecError
        The scenario library is not installed with the package.
    """
    return shipped("scenarios", missing="the scenario library is not installed with the package")


def names(directory: str | Path | None = None) -> list[str]:
    """Names of the scenarios in ``directory`` (default: the shipped library), sorted.

    Parameters
    ----------
    directory : path, optional

    Returns
    -------
    list of str
    """
    d = _checks.path(directory, "directory") if directory is not None else scenario_dir()
    return sorted(p.stem for p in d.glob("*.yaml"))


def _network() -> NetworkSpec:
    return load_network(default_paths()[0])


def _parse(reader: Reader, path: Path, net: NetworkSpec) -> Scenario | None:
    """One scenario file, every problem recorded in ``reader``; None after a problem."""
    file = str(path)
    before = len(reader.problems)
    data, _ = reader.read(path)
    if data is None:
        return None
    if not isinstance(data, dict):
        reader.problem(file, line_of(data) or 1, "a scenario must be a mapping of " + ", ".join(_KEYS))
        return None
    reader.unknown_keys(data, _KEYS, file, "the scenario")
    texts: dict[str, Any] = {key: reader.text(data, key, file) for key in ("name", "title", "narrative")}
    provenance = reader.provenance(data, file, expert=False)
    texts["teaching_point"] = reader.text(data, "teaching_point", file)
    if isinstance(data.get("name"), str) and data["name"] != path.stem:
        reader.problem(file, line_of(data, "name"), f"name {data['name']!r} differs from the file name {path.stem!r}")
    if data.get("kind") not in KINDS:
        reader.problem(file, line_of(data, "kind") or line_of(data),
                       unknown_name_message("kind", data.get("kind"), KINDS)
                       + " (textbook: a typical presentation; challenge: a mimic or misleading case)")
    diag = net["diagnosis"].states if "diagnosis" in net else ()
    expected = data.get("expected") or {}
    if isinstance(expected, dict):
        reader.unknown_keys(expected, _EXPECTED_KEYS, file, "expected")
    else:
        reader.problem(file, line_of(data, "expected"), "'expected' must be a mapping with 'leading' (and 'cant_miss')")
    leading: Any = expected.get("leading") if isinstance(expected, dict) else None
    if not isinstance(leading, str) or leading not in diag:
        reader.problem(file, line_of(expected, "leading") or line_of(data, "expected"),
                       unknown_name_message("diagnosis", leading, diag))
    cant = expected.get("cant_miss", []) if isinstance(expected, dict) else []
    if not isinstance(cant, list):
        reader.problem(file, line_of(expected, "cant_miss"), "'cant_miss' must be a list of diagnoses")
        cant = []
    for d in cant:
        if not isinstance(d, str) or d not in diag:
            reader.problem(file, line_of(expected, "cant_miss"), unknown_name_message("diagnosis", d, diag))
    stages = _stages(reader, file, data, net)
    if len(reader.problems) > before or provenance is None:
        return None
    return Scenario(
        name=data["name"], title=texts["title"], kind=data["kind"], narrative=texts["narrative"],
        source=cast(str, provenance.source), teaching_point=texts["teaching_point"],   # required: expert=False
        expected_leading=leading, cant_miss=tuple(cant or ()), stages=tuple(stages), path=file,
    )


def _stages(reader: Reader, file: str, data: dict, net: NetworkSpec) -> list[Stage]:
    """The stages in work-up order, each variable given once; every problem recorded."""
    stages: list[Stage] = []
    seen: dict[str, str] = {}
    raw = data.get("stages")
    if not isinstance(raw, list) or not raw:
        reader.problem(file, line_of(data, "stages") or line_of(data), "'stages' must be a non-empty list")
        raw = []
    last = -1
    for item in raw:
        if not isinstance(item, dict):
            reader.problem(file, line_of(item) or line_of(raw), "each stage needs 'stage' and an 'evidence' mapping")
            continue
        reader.unknown_keys(item, _STAGE_KEYS, file, "a stage")
        name = item.get("stage")
        if not isinstance(name, str) or name not in STAGES:
            reader.problem(file, line_of(item, "stage"), unknown_name_message("stage", name, STAGES[:-1]))
        elif STAGES.index(name) < last:
            reader.problem(file, line_of(item, "stage"), f"stage {name!r} is out of work-up order")
        else:
            last = STAGES.index(name)
        ev = item.get("evidence")
        if not isinstance(ev, dict):
            reader.problem(file, line_of(item, "evidence") or line_of(item),
                           "each stage needs 'stage' and an 'evidence' mapping")
            continue
        reader.evidence(ev, file, net)
        for var in ev:
            if var in seen:
                reader.problem(file, line_of(ev, var), f"{var} is given again (first in stage {seen[var]})")
            seen[var] = str(name)
        stages.append(Stage(str(name), {str(k): str(v) for k, v in ev.items()}))
    return stages


def load(name_or_path: str | Path, *, network: NetworkSpec | None = None) -> Scenario:
    """Load a scenario by name (from the shipped library) or by path.

    Parameters
    ----------
    name_or_path : str or path
        A scenario's name (``"classic-toh"``) or a ``.yaml`` file.
    network : NetworkSpec, optional
        The network the evidence must fit. Default: the shipped network.

    Returns
    -------
    Scenario
        The scenario, its evidence checked against ``network``.

    Raises
    ------
    SpecError
        Unknown name (with the closest match) or a malformed file (every problem, with its line).
    """
    net = network or _network()
    p = _checks.path(name_or_path, "name_or_path")
    if p.suffix != ".yaml":
        available = names()
        if str(name_or_path) not in available:
            raise SpecError([Problem(str(scenario_dir()), None, unknown_name_message("scenario", name_or_path, available))],
                            "scenario library")
        p = scenario_dir() / f"{name_or_path}.yaml"
    reader = Reader("scenario file")
    scenario = _parse(reader, p, net)
    reader.done()
    return scenario  # type: ignore[return-value]  # not None when there is no problem


def load_all(directory: str | Path | None = None, *, network: NetworkSpec | None = None) -> list[Scenario]:
    """Every scenario of ``directory`` (default: the shipped library); all problems of all files reported together.

    Parameters
    ----------
    directory : path, optional
        A directory of scenario ``.yaml`` files. Default: the shipped library.
    network : NetworkSpec, optional
        The network the evidence must fit. Default: the shipped network.

    Returns
    -------
    list of Scenario
        In the order of their file names.

    Raises
    ------
    SpecError
        Every problem of every file, each with its line.
    """
    net = network or _network()
    d = _checks.path(directory, "directory") if directory is not None else scenario_dir()
    reader = Reader("scenario library")
    out = [s for s in (_parse(reader, path, net) for path in sorted(d.glob("*.yaml"))) if s is not None]
    reader.done()
    return out
