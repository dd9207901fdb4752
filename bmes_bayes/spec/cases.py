"""The validation case files (``validation/cases.yaml`` and ``validation/coded.yaml``), joined by case id.

``cases.yaml`` holds each case's source, the diagnosis its source reports (the reference standard), its split and
its findings-only vignette; ``coded.yaml`` holds the evidence that coders, blind to the diagnosis, read from each
vignette. :func:`load_cases` reads both with the package's reader pattern (:mod:`bmes_bayes.spec._reader`): every
problem of both files at once with its line, unknown keys named with the valid ones, the one provenance rule (a
published case cites its ``source``) and each coded finding checked against the network's vocabulary at its line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    pass

from .. import _checks
from .._yaml import LinedDict, line_of
from ..exceptions import Problem, SpecError, did_you_mean
from ._paths import default_paths, shipped
from ._reader import Reader, is_text
from .network import NetworkSpec, load_network

__all__ = ["Case", "CaseSet", "load_cases", "split_of", "validation_dir", "HALVES", "SOURCE_TYPES", "PRESENTATIONS"]

HALVES = ("tuning", "frozen")
_CASE_KEYS = ("id", "source", "url", "patient", "source_type", "reported_diagnosis", "diagnosis", "acceptable",
              "reference_standard", "presentation", "presentation_reason", "joint", "age_years", "split", "vignette")
_REQUIRED = ("id", "source", "reported_diagnosis", "diagnosis", "presentation", "split", "vignette")
_CODED_KEYS = ("id", "evidence", "extra", "notes", "coder")
SOURCE_TYPES = ("case_report", "teaching_file", "series_patient")
PRESENTATIONS = ("typical", "atypical")
_WHAT = "validation cases"


def split_of(case_id: str) -> str:
    """The protocol's fixed split rule: ``frozen`` when the first byte of sha256(case id) is odd, else ``tuning``.

    Parameters
    ----------
    case_id : str

    Returns
    -------
    str
        ``"frozen"`` or ``"tuning"``.
    """
    return "frozen" if hashlib.sha256(case_id.encode("utf-8")).digest()[0] % 2 else "tuning"


def validation_dir() -> Path:
    """The shipped validation case set (inside the wheel, or the source checkout).

    Raises
    ------
    SpecError
        The case set is not installed with the package.
    """
    return shipped("validation", "cases.yaml", kind="file", subject=_WHAT,
                   missing="the validation case set is not installed with the package").parent


@dataclass(frozen=True)
class Case:
    """One published case: the reference standard from its key, the evidence from its blind coding."""

    id: str
    source: str
    diagnosis: str
    acceptable: tuple[str, ...]
    presentation: str
    split: str
    evidence: dict[str, str]
    reported_diagnosis: str
    vignette: str
    extra: dict[str, object]


@dataclass(frozen=True)
class CaseSet:
    """The validation cases, with where they came from."""

    cases: tuple[Case, ...]
    path: str
    dropped: int = 0   # findings dropped because the network lacks their variable (load_cases(drop_unknown=True))

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self):
        return iter(self.cases)

    def half(self, name: str) -> tuple[Case, ...]:
        """The cases of one half (``"tuning"`` or ``"frozen"``)."""
        return tuple(c for c in self.cases if c.split == name)

    def to_frame(self) -> pd.DataFrame:
        """One row per case: id, split, diagnosis, acceptable, presentation, joint, age group, number of findings."""
        import pandas as pd

        return pd.DataFrame([{
            "id": c.id, "split": c.split, "diagnosis": c.diagnosis, "acceptable": ",".join(c.acceptable),
            "presentation": c.presentation, "joint": c.evidence.get("joint"), "age_group": c.evidence.get("age_group"),
            "n_findings": len(c.evidence), "source": c.source,
        } for c in self.cases])

    def __repr__(self) -> str:
        counts = {h: len(self.half(h)) for h in HALVES}
        return f"<CaseSet: {len(self.cases)} cases ({counts['tuning']} tuning, {counts['frozen']} frozen) from {Path(self.path).name}/>"


def load_cases(directory: str | Path | None = None, *, network: NetworkSpec | None = None,
               drop_unknown: bool = False) -> CaseSet:
    """Read ``cases.yaml`` and ``coded.yaml`` from ``directory`` (default: the shipped set) and join them by id.

    Every problem in either file is reported at once with its file and line: unknown or missing keys, a case without
    a cited source, a diagnosis or evidence outside the network's vocabulary, a split that does not follow
    :func:`split_of`, duplicate ids, a case without coding or coding without a case.

    Parameters
    ----------
    directory : path, optional
        Holding ``cases.yaml`` and ``coded.yaml``. Default: the shipped case set.
    network : NetworkSpec, optional
        The network the diagnoses and evidence must fit. Default: the shipped network.
    drop_unknown : bool
        Score a network that lacks some coded variables (an earlier release, say): evidence on variables the
        network does not have is dropped, and the count is kept in ``CaseSet.dropped``.

    Returns
    -------
    CaseSet
        The cases, their evidence checked against ``network``.

    Raises
    ------
    SpecError
        Listing every problem found.
    """
    drop_unknown = _checks.flag(drop_unknown, "drop_unknown")
    if network is None:
        network = load_network(default_paths()[0])
    d = _checks.path(directory, "directory") if directory is not None else validation_dir()
    if "diagnosis" not in network:
        raise SpecError([Problem(str(network.path), None, "the network has no 'diagnosis' variable to validate")],
                        what=_WHAT)
    reader = Reader(_WHAT)
    keys_path, coded_path = d / "cases.yaml", d / "coded.yaml"
    keys, _ = reader.read(keys_path)
    coded, _ = reader.read(coded_path)
    by_id = _keys(reader, str(keys_path), keys, network)
    coding, coded_ids, dropped = _coding(reader, str(coded_path), coded, network, by_id if keys is not None else None,
                                         drop_unknown)
    if coded is not None:
        for cid, item in by_id.items():
            if cid not in coded_ids:
                reader.problem(str(keys_path), line_of(item), f"case {cid!r} has no coded evidence in coded.yaml")
    reader.done()
    cases = []
    for cid, item in by_id.items():
        c = coding[cid]
        cases.append(Case(
            id=cid, source=str(item["source"]), diagnosis=item["diagnosis"], acceptable=tuple(item["acceptable"]),
            presentation=item["presentation"], split=item["split"], evidence=c["evidence"],
            reported_diagnosis=str(item["reported_diagnosis"]), vignette=str(item["vignette"]),
            extra=dict(c.get("extra") or {}),
        ))
    return CaseSet(tuple(cases), str(d), dropped)


def _keys(reader: Reader, f: str, keys: object, network: NetworkSpec) -> dict[str, dict]:
    """The case keys by id (``cases.yaml``), every problem recorded."""
    dx_states = network["diagnosis"].states
    by_id: dict[str, dict] = {}
    if keys is not None and not isinstance(keys, list):
        reader.problem(f, line_of(keys), "must be a list of cases")
        return by_id
    for item in keys or ():
        line = line_of(item)
        if not isinstance(item, dict):
            reader.problem(f, line, "each case must be a mapping")
            continue
        reader.unknown_keys(item, _CASE_KEYS, f, "a case")
        for k in _REQUIRED:
            if k not in item and k != "source":  # a missing source is the provenance rule's (below)
                reader.problem(f, line, f"case {item.get('id', '?')!r}: missing {k!r}")
        cid: Any = item.get("id")
        if not is_text(cid):
            if "id" in item:
                reader.problem(f, line_of(item, "id"), f"case id {cid!r} must be non-empty text (quote it)")
            continue
        if cid in by_id:
            reader.problem(f, line, f"duplicate case id {cid!r}")
            continue
        reader.provenance(item, f, f"case {cid!r}", expert=False)
        dx = item.get("diagnosis")
        if dx is not None and dx not in dx_states:
            reader.problem(f, line_of(item, "diagnosis"), f"case {cid!r}: unknown diagnosis {dx!r}{did_you_mean(dx, dx_states)}")
        alts = item.get("acceptable") or []
        if not isinstance(alts, list) or any(a not in dx_states for a in alts):
            reader.problem(f, line_of(item, "acceptable"), f"case {cid!r}: 'acceptable' must list diagnosis states")
            alts = []
        if item.get("presentation") not in PRESENTATIONS and "presentation" in item:
            reader.problem(f, line_of(item, "presentation"), f"case {cid!r}: presentation must be typical or atypical")
        if "source_type" in item and item["source_type"] not in SOURCE_TYPES:
            reader.problem(f, line_of(item, "source_type"),
                           f"case {cid!r}: source_type must be one of {', '.join(SOURCE_TYPES)}")
        if "split" in item and item["split"] != split_of(cid):
            reader.problem(f, line_of(item, "split"),
                           f"case {cid!r}: split is {item['split']!r} but the protocol's rule gives {split_of(cid)!r}")
        by_id[cid] = dict(item, acceptable=alts)
    return by_id


def _coding(reader: Reader, f: str, coded: object, network: NetworkSpec, by_id: dict[str, dict] | None,
            drop_unknown: bool) -> tuple[dict[str, dict], set[str], int]:
    """The coded evidence by id (``coded.yaml``), the ids coded (valid or not) and the findings dropped."""
    coding: dict[str, dict] = {}
    seen: set[str] = set()
    dropped = 0
    if coded is not None and not isinstance(coded, list):
        reader.problem(f, line_of(coded), "must be a list of coded cases")
        return coding, seen, dropped
    for item in coded or ():
        line = line_of(item)
        if not isinstance(item, dict) or not is_text(item.get("id")):
            reader.problem(f, line, "each coded case must be a mapping with an 'id'")
            continue
        reader.unknown_keys(item, _CODED_KEYS, f, "a coded case")
        cid = item["id"]
        if cid in seen:
            reader.problem(f, line, f"duplicate coded id {cid!r}")
            continue
        seen.add(cid)
        if by_id is not None and cid not in by_id:
            reader.problem(f, line, f"coded case {cid!r} has no entry in cases.yaml")
        ev = item.get("evidence") or {}
        if not isinstance(ev, dict):
            reader.problem(f, line_of(item, "evidence"), f"case {cid!r}: evidence must be a mapping")
            continue
        if drop_unknown:
            kept = LinedDict((k, v) for k, v in ev.items() if str(k) in network and network[str(k)].role != "diagnosis")
            kept.line, kept.key_lines = line_of(ev), getattr(ev, "key_lines", {})
            dropped += len(ev) - len(kept)
            ev = kept
        evidence = reader.evidence(ev, f, network, f"case {cid!r}")
        if evidence is not None:
            coding[cid] = {**item, "evidence": evidence}
    return coding, seen, dropped
