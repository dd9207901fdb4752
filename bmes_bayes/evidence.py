"""Evidence: a mapping of variable to state (hard) or to a likelihood per state (soft), checked against the network.

Every problem in one evidence mapping is reported in one :class:`~bmes_bayes.exceptions.EvidenceError`; nothing is
dropped or guessed.
"""

from __future__ import annotations

import itertools
import sys
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .exceptions import SHOWN, EvidenceError, listing, shown, unknown_name_message
from .spec import NetworkSpec

__all__ = ["Evidence", "as_mapping", "resolve_evidence", "parse_assignments"]


@dataclass(frozen=True, eq=False)
class Evidence:
    """Checked evidence in network order: hard states as indices, soft evidence as likelihood vectors."""

    hard: dict[str, int]
    soft: dict[str, np.ndarray]
    labels: dict[str, str]          # variable -> state name (hard) or a short description (soft)

    def __len__(self) -> int:
        return len(self.hard) + len(self.soft)

    @property
    def variables(self) -> tuple[str, ...]:
        """The entered variables, hard and soft."""
        return tuple(self.labels)

    def without(self, names: Sequence[str]) -> "Evidence":
        """The same evidence with the variables ``names`` left out."""
        drop = set(names)
        return Evidence(
            {k: v for k, v in self.hard.items() if k not in drop},
            {k: v for k, v in self.soft.items() if k not in drop},
            {k: v for k, v in self.labels.items() if k not in drop},
        )

    def as_dict(self) -> dict[str, object]:
        """Plain mapping: hard evidence as state names, soft evidence as {state: likelihood}."""
        return {k: v for k, v in self.labels.items()}


def _soft_label(states: Sequence[str], vec: np.ndarray) -> str:
    return "soft(" + ", ".join(f"{s}:{x:.3g}" for s, x in zip(states, vec)) + ")"


def as_mapping(evidence: object) -> Any:
    """A pandas Series indexed by variable as a plain mapping (a NaN entry means not entered, so it is dropped).

    Anything else as it is. A Series can only come from a caller that has loaded pandas already, so pandas is not
    imported here to find out (a command-line query never loads it).
    """
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(evidence, pd.Series):
        return {k: v for k, v in evidence.items() if not (isinstance(v, float) and v != v)}
    return evidence


def resolve_evidence(net: NetworkSpec, evidence: Mapping[str, object] | None) -> Evidence:
    """Check ``evidence`` against ``net``.

    Parameters
    ----------
    evidence : mapping, pandas Series or None
        ``{variable: state}`` for hard evidence; ``{variable: {state: likelihood, ...}}`` or
        ``{variable: [likelihood per state]}`` for soft evidence (every state given, non-negative, finite,
        not all zero). A Series indexed by variable is read the same way (a NaN entry means not entered), so a
        row of a DataFrame of cases can be passed as it is.

    Raises
    ------
    EvidenceError
        Naming every unknown variable or state with the valid options and the closest match.
    """
    if evidence is None:
        return Evidence({}, {}, {})
    evidence = as_mapping(evidence)
    if not isinstance(evidence, Mapping):
        raise EvidenceError(
            f"evidence must be a mapping of variable to state, such as {{'joint': 'hip'}}; got {type(evidence).__name__}"
        )
    if len(evidence) > len(net.names):  # more entries than variables: refuse before reading them all
        unknown = [k for k in itertools.islice((k for k in evidence if not isinstance(k, str) or k not in net),
                                               SHOWN)]
        raise EvidenceError(f"evidence has {len(evidence):,} entries but the network has {len(net.names)} variables; "
                            f"unknown: {', '.join(shown(k) for k in unknown)}"
                            f"{' ...' if len(evidence) - len(net.names) > len(unknown) else ''} "
                            f"(see model.variables)")
    problems: list[str] = []
    more = 0

    def problem(message: Callable[[], str]) -> None:
        """Keep the first SHOWN messages; only count the rest (building a did-you-mean costs time)."""
        nonlocal more
        if len(problems) < SHOWN:
            problems.append(message())
        else:
            more += 1

    hard: dict[str, int] = {}
    soft: dict[str, np.ndarray] = {}
    for name, value in evidence.items():
        if not isinstance(name, str) or name not in net:
            problem(lambda: unknown_name_message("variable", name, net.names))
            continue
        var = net[name]
        if isinstance(value, (str, np.str_)):
            if value in var.states:
                hard[name] = var.states.index(str(value))
            else:
                problem(lambda: unknown_name_message("state", value, var.states, where=f" for {name}"))
        elif isinstance(value, (bool, np.bool_)):
            guess = ("yes" if value else "no") if "yes" in var.states else None
            hint = f"; did you mean {guess!r}?" if guess else ""
            problem(lambda: f"{name}: a state is a name, not {value!r}{hint} Valid states: {', '.join(var.states)}")
        elif isinstance(value, Mapping):
            if len(value) > 10 * var.card:
                problem(lambda: f"soft evidence for {name} has {len(value):,} entries; {name} has {var.card} states "
                                f"({', '.join(var.states)})")
                continue
            unknown = [s for s in value if s not in var.states]
            for s in unknown:
                problem(lambda: unknown_name_message("state", s, var.states, where=f" in soft evidence for {name}"))
            missing = [s for s in var.states if s not in value]
            if missing:
                problem(lambda: f"soft evidence for {name} must give a likelihood for every state; missing "
                                f"{', '.join(missing)}")
            if unknown or missing:
                continue
            vec, msg = _likelihoods(name, [value[s] for s in var.states])
            if msg:
                text = msg
                problem(lambda: text)
            else:
                soft[name] = vec
        elif isinstance(value, np.ndarray) and value.ndim != 1:
            problem(lambda: f"soft evidence for {name} must be a flat list of {var.card} likelihoods "
                            f"({', '.join(var.states)}), got an array of shape {value.shape}")
        elif isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, (bytes, bytearray)):
            if len(value) != var.card:
                problem(lambda: f"soft evidence for {name} needs {var.card} likelihoods ({', '.join(var.states)}), "
                                f"got {len(value):,}")
                continue
            vec, msg = _likelihoods(name, list(value))
            if msg:
                text = msg
                problem(lambda: text)
            else:
                soft[name] = vec
        else:
            problem(lambda: f"{name}: evidence must be a state name ({', '.join(var.states)}) or likelihoods per "
                            f"state, got {type(value).__name__} {shown(value)}")
    if problems:
        raise EvidenceError("invalid evidence:\n  " + listing(problems, total=len(problems) + more,
                                                               indent="", sep="\n  ") + (" problems" if more else ""))
    order = {n: i for i, n in enumerate(net.names)}
    hard = dict(sorted(hard.items(), key=lambda kv: order[kv[0]]))
    soft = dict(sorted(soft.items(), key=lambda kv: order[kv[0]]))
    labels = {n: (net[n].states[hard[n]] if n in hard else _soft_label(net[n].states, soft[n]))
              for n in sorted([*hard, *soft], key=order.__getitem__)}
    return Evidence(hard, soft, labels)


def _likelihoods(name: str, values: list[Any]) -> tuple[np.ndarray, str | None]:
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))]
    if bad:
        return np.empty(0), f"soft evidence for {name}: likelihoods must be numbers, got {shown(bad[0])}"
    try:
        vec = np.array([float(v) for v in values], dtype=float)
    except OverflowError:  # an int beyond the float range
        return np.empty(0), f"soft evidence for {name}: likelihoods must be finite (no NaN or inf), got {shown(values)}"
    if not np.all(np.isfinite(vec)):
        return vec, f"soft evidence for {name}: likelihoods must be finite (no NaN or inf), got {shown(values)}"
    if np.any(vec < 0):
        return vec, f"soft evidence for {name}: likelihoods must be non-negative, got {shown(values)}"
    if not vec.max() > 0:
        return vec, f"soft evidence for {name}: at least one likelihood must be positive"
    return vec, None


def parse_assignments(items: Sequence[str]) -> dict[str, object]:
    """``["joint=hip", "fever=no:0.2,yes:0.8"]`` -> evidence mapping (the command line's syntax).

    A value with ``:`` is soft evidence, ``state:likelihood`` pairs separated by commas.
    """
    out: dict[str, object] = {}
    problems = []
    for item in items:
        if "=" not in item:
            problems.append(f"{item!r} is not of the form variable=state")
            continue
        name, _, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if name in out:
            problems.append(f"{name} is given twice")
            continue
        if ":" in value:
            soft: dict[str, object] = {}
            for pair in value.split(","):
                state, _, lik = pair.partition(":")
                try:
                    x = float(lik)
                except ValueError:
                    problems.append(f"{name}: likelihood {lik!r} for {state!r} is not a number")
                    break
                if not math.isfinite(x):
                    problems.append(f"{name}: likelihood {lik!r} for {state!r} must be finite")
                    break
                soft[state.strip()] = x
            else:
                out[name] = soft
        else:
            out[name] = value
    if problems:
        raise EvidenceError("invalid evidence:\n  " + "\n  ".join(problems))
    return out
