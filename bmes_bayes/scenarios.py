"""The scenario library: published cases as staged evidence, loadable by name.

>>> from bmes_bayes import scenarios
>>> "classic-toh" in scenarios.names()
True
>>> scenarios.load("classic-toh").expected_leading
'transient_bmes'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import _checks
from ._yaml import line_of, load_yaml
from .exceptions import Problem, SpecError, unknown_name_message
from .spec import STAGES, NetworkSpec, _unknown_keys

__all__ = ["Scenario", "Stage", "load", "names", "load_all", "scenario_dir"]

_KEYS = ("name", "title", "kind", "narrative", "source", "teaching_point", "expected", "stages")
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
        out, acc = [], {}
        for st in self.stages:
            acc = {**acc, **st.evidence}
            out.append((st.stage, dict(acc)))
        return out

    def __repr__(self) -> str:
        return f"<Scenario {self.name} ({self.kind}): {len(self.stages)} stages, {len(self.evidence)} findings; expected {self.expected_leading}>"


def scenario_dir() -> Path:
    """The shipped scenario directory (inside the wheel, or the source checkout)."""
    here = Path(__file__).resolve().parent
    for root in (here / "_data", here.parent):
        if (root / "scenarios").is_dir():
            return root / "scenarios"
    raise SpecError([Problem(str(here), None, "the scenario library is not installed with the package")])


def names(directory: str | Path | None = None) -> list[str]:
    """Names of the scenarios in ``directory`` (default: the shipped library), sorted."""
    d = _checks.path(directory, "directory") if directory is not None else scenario_dir()
    return sorted(p.stem for p in d.glob("*.yaml"))


def _network() -> NetworkSpec:
    from .model import default_paths
    from .spec import load_network

    return load_network(default_paths()[0])


def _parse(path: Path, net: NetworkSpec) -> tuple[Scenario | None, list[Problem]]:
    file = str(path)
    data, problems = load_yaml(path)
    if data is None:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(file, line_of(data) or 1, "a scenario must be a mapping of " + ", ".join(_KEYS))]
    problems += _unknown_keys(data, _KEYS, file, "the scenario")
    for key in ("name", "title", "narrative", "source", "teaching_point"):
        if not isinstance(data.get(key), str) or not data.get(key, "").strip():
            problems.append(Problem(file, line_of(data, key) or line_of(data), f"'{key}' must be non-empty text"))
    if isinstance(data.get("name"), str) and data["name"] != path.stem:
        problems.append(Problem(file, line_of(data, "name"), f"name {data['name']!r} differs from the file name {path.stem!r}"))
    if data.get("kind") not in KINDS:
        problems.append(Problem(file, line_of(data, "kind") or line_of(data),
                                unknown_name_message("kind", data.get("kind"), KINDS)
                                + " (textbook: a typical presentation; challenge: a mimic or misleading case)"))
    diag = net["diagnosis"].states if "diagnosis" in net else ()
    expected = data.get("expected") or {}
    if isinstance(expected, dict):
        problems += _unknown_keys(expected, ("leading", "cant_miss"), file, "expected")
    else:
        problems.append(Problem(file, line_of(data, "expected"), "'expected' must be a mapping with 'leading' (and 'cant_miss')"))
    leading = expected.get("leading") if isinstance(expected, dict) else None
    if leading not in diag:
        problems.append(Problem(file, line_of(expected, "leading") or line_of(data, "expected"),
                                unknown_name_message("diagnosis", leading, diag)))
    cant = expected.get("cant_miss", []) if isinstance(expected, dict) else []
    if not isinstance(cant, list):
        problems.append(Problem(file, line_of(expected, "cant_miss"), "'cant_miss' must be a list of diagnoses"))
        cant = []
    for d in cant:
        if d not in diag:
            problems.append(Problem(file, line_of(expected, "cant_miss"), unknown_name_message("diagnosis", d, diag)))
    stages: list[Stage] = []
    seen: dict[str, str] = {}
    raw = data.get("stages")
    if not isinstance(raw, list) or not raw:
        problems.append(Problem(file, line_of(data, "stages") or line_of(data), "'stages' must be a non-empty list"))
        raw = []
    last = -1
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("evidence"), dict):
            problems.append(Problem(file, line_of(item) or line_of(raw), "each stage needs 'stage' and an 'evidence' mapping"))
            continue
        problems += _unknown_keys(item, ("stage", "evidence"), file, "a stage")
        name = item.get("stage")
        if name not in STAGES:
            problems.append(Problem(file, line_of(item, "stage"), unknown_name_message("stage", name, STAGES[:-1])))
        elif STAGES.index(name) < last:
            problems.append(Problem(file, line_of(item, "stage"), f"stage {name!r} is out of work-up order"))
        else:
            last = STAGES.index(name)
        ev = item["evidence"]
        for var, state in ev.items():
            line = line_of(ev, var)
            if var not in net:
                problems.append(Problem(file, line, unknown_name_message("variable", var, net.names)))
            elif state not in net[var].states:
                problems.append(Problem(file, line, unknown_name_message("state", state, net[var].states, where=f" for {var}")))
            if var in seen:
                problems.append(Problem(file, line, f"{var} is given again (first in stage {seen[var]})"))
            seen[var] = str(name)
        stages.append(Stage(str(name), {str(k): str(v) for k, v in ev.items()}))
    if problems:
        return None, problems
    return Scenario(
        name=data["name"], title=" ".join(data["title"].split()), kind=data["kind"], narrative=" ".join(data["narrative"].split()),
        source=" ".join(data["source"].split()), teaching_point=" ".join(data["teaching_point"].split()),
        expected_leading=leading, cant_miss=tuple(cant or ()), stages=tuple(stages), path=file,
    ), []


def load(name_or_path: str | Path, *, network: NetworkSpec | None = None) -> Scenario:
    """Load a scenario by name (from the shipped library) or by path.

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
    scenario, problems = _parse(p, net)
    if problems or scenario is None:
        raise SpecError(problems, "scenario file")
    return scenario


def load_all(directory: str | Path | None = None, *, network: NetworkSpec | None = None) -> list[Scenario]:
    """Every scenario of ``directory`` (default: the shipped library); all problems reported together."""
    net = network or _network()
    d = _checks.path(directory, "directory") if directory is not None else scenario_dir()
    out, problems = [], []
    for path in sorted(d.glob("*.yaml")):
        s, probs = _parse(path, net)
        problems += probs
        if s is not None:
            out.append(s)
    if problems:
        raise SpecError(problems, "scenario library")
    return out
