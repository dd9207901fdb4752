"""The one reader pattern of every data file, with its one unknown-key rule and its one provenance rule.

A reader of a data file (:class:`Reader`, or a subclass with one method per construct of the file) walks the whole
file, collects every problem as a :class:`~bmes_bayes.exceptions.Problem` with its file and line, and raises one
:class:`~bmes_bayes.exceptions.SpecError` at the end listing them all (:meth:`Reader.done`). It never stops at the
first problem: a part that cannot be read is skipped, and the parts that do not depend on it are still checked.

The unknown-key rule (:func:`unknown_keys`): a key a construct does not define is an error that names the closest
valid key and every valid key, ``unknown key 'treshold' in alert 'infection'; did you mean 'threshold'? (valid keys:
threshold, reasoning, ...)``. No reader accepts an unknown key silently.

The provenance rule (:meth:`Reader.provenance`): a clinical number or claim says where it comes from, by a
``source`` (a citation), an ``expert_judgement`` (the reasoning in words) or both; each one given must be non-empty
text. A published case (a scenario, a validation case) must cite its ``source``: expert judgement does not stand in
for a publication there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .._yaml import line_of, read_yaml
from ..exceptions import Problem, SpecError, did_you_mean, shown, unknown_name_message

if TYPE_CHECKING:  # pragma: no cover
    from .network import NetworkSpec

__all__ = ["Provenance", "Reader", "unknown_keys", "is_text", "is_name", "number", "pair", "clean", "NAME", "name_rule"]

# names of the network, its variables and states: used as `variable=state` on the command line, in soft evidence
# (`state:likelihood,...`), in file names of exports and in BIF files, so no spaces, quotes, '=', ':', ',' or '/'
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*")


def is_text(x: Any) -> bool:
    """Non-empty text (not only white space)."""
    return isinstance(x, str) and x.strip() != ""


def is_name(x: Any) -> bool:
    """A name of a network, variable or state (:data:`NAME`)."""
    return isinstance(x, str) and NAME.fullmatch(x) is not None


def name_rule() -> str:
    """The rule of :data:`NAME` in words, for messages."""
    return "letters, digits, '_', '.', '+' or '-', not starting with '.', '+' or '-'"


def clean(text: Any) -> str:
    """``text`` with its white space runs folded to single spaces (YAML's folded blocks keep line breaks)."""
    return " ".join(str(text).split())


def number(x: Any) -> float | None:
    """``x`` as a finite float, or None for text, booleans, NaN, infinities and integers too large for a float."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    try:
        value = float(x)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None


def pair(x: Any) -> tuple[float, float] | None:
    """A ``[low, high]`` list of two finite numbers, or None."""
    if not isinstance(x, list) or len(x) != 2:
        return None
    lo, hi = number(x[0]), number(x[1])
    return None if lo is None or hi is None else (lo, hi)


def unknown_keys(mapping: Mapping, allowed: Sequence[str], file: str, what: str) -> list[Problem]:
    """The unknown-key rule.

    One problem per key of ``mapping`` not in ``allowed``, each naming the closest valid key and every valid key.

    Parameters
    ----------
    mapping : mapping
        Read from YAML (a :class:`~bmes_bayes._yaml.LinedDict` gives each key's line).
    allowed : sequence of str
        The keys the construct defines.
    file : str
        The file, for the problems.
    what : str
        The construct in words (``"alert 'infection'"``), for the messages.

    Returns
    -------
    list of Problem
    """
    valid = f" (valid keys: {', '.join(allowed)})"
    return [Problem(file, line_of(mapping, key), f"unknown key {shown(key)} in {what}{did_you_mean(key, allowed)}{valid}")
            for key in mapping if key not in allowed]


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


class Reader:
    """Collects the problems of data files and raises them together (the one reader pattern).

    Parameters
    ----------
    what : str
        The files in words (``"test cost file"``): the subject of the :class:`SpecError` raised.
    """

    def __init__(self, what: str):
        self.what = what
        self.problems: list[Problem] = []

    def problem(self, file: str, line: int | None, message: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(file, line, message))

    def read(self, path: Path) -> tuple[Any, bytes | None]:
        """The data of one YAML file (None when it cannot be read; the reason is recorded) and the bytes read."""
        data, problems, raw = read_yaml(path)
        self.problems += problems
        return data, raw

    def unknown_keys(self, mapping: Mapping, allowed: Sequence[str], file: str, what: str) -> bool:
        """Record the unknown keys of ``mapping`` (:func:`unknown_keys`); True when there were none."""
        found = unknown_keys(mapping, allowed, file, what)
        self.problems += found
        return not found

    def text(self, body: Mapping, key: str, file: str, what: str = "", *, line: int | None = None) -> str | None:
        """``body[key]`` as non-empty text with its white space folded; None (and a problem) otherwise."""
        value = body.get(key)
        if is_text(value):
            return clean(value)
        self.problem(file, line_of(body, key) or line or line_of(body), f"{_prefix(what)}'{key}' must be non-empty text")
        return None

    def provenance(self, body: Mapping, file: str, what: str = "", *, line: int | None = None,
                   expert: bool = True) -> Provenance | None:
        """The provenance rule: ``source`` and/or ``expert_judgement``, each one given non-empty text.

        Parameters
        ----------
        body : mapping
            The construct that carries the provenance.
        file, what : str
            Where, and the construct in words (a message prefix).
        line : int, optional
            The line of a missing provenance (default: the line of ``body``).
        expert : bool
            False for a published case, which must cite a ``source`` (``expert_judgement`` is then not a key of
            the construct, and the unknown-key rule reports it).

        Returns
        -------
        Provenance or None
            None after a problem, which is recorded.
        """
        keys = ("source", "expert_judgement") if expert else ("source",)
        given = {k: body[k] for k in keys if body.get(k) is not None}
        bad = [k for k, v in given.items() if not is_text(v)]
        for k in bad:
            self.problem(file, line_of(body, k), f"{_prefix(what)}'{k}' must be non-empty text")
        where = line or line_of(body)
        if not given:
            if expert:
                self.problem(file, where, f"{_prefix(what)}no 'source' and no 'expert_judgement'; give a 'source' or "
                                          "an 'expert_judgement' (non-empty text): every number needs one")
            else:
                self.problem(file, where, f"{_prefix(what)}no 'source': a published case must cite the publication")
        if bad or not given:
            return None
        source, judgement = given.get("source"), given.get("expert_judgement")
        return Provenance(None if source is None else clean(source), None if judgement is None else clean(judgement),
                          file, where)

    def evidence(self, evidence: Mapping, file: str, network: "NetworkSpec", what: str = "") -> dict[str, str] | None:
        """Hard evidence ``{variable: state}`` checked entry by entry against ``network``, each problem at its line.

        None after a problem.
        """
        before = len(self.problems)
        for var, state in evidence.items():
            line = line_of(evidence, var)
            if not isinstance(var, str) or var not in network:
                self.problem(file, line, _prefix(what) + unknown_name_message("variable", var, network.names))
            elif not isinstance(state, str) or state not in network[var].states:
                self.problem(file, line, _prefix(what) + unknown_name_message("state", state, network[var].states,
                                                                              where=f" for {var}"))
        if len(self.problems) > before:
            return None
        return {str(k): str(v) for k, v in evidence.items()}

    def done(self) -> None:
        """Raise every problem recorded so far as one :class:`SpecError`; nothing when there is none."""
        if self.problems:
            self.fail()

    def fail(self, *more: Problem) -> NoReturn:
        """Raise the problems recorded so far (and ``more``) as one :class:`SpecError`."""
        raise SpecError([*self.problems, *more], self.what)


def _prefix(what: str) -> str:
    return f"{what}: " if what else ""
