"""The package's exceptions: a small tree that also subclasses the built-ins callers already catch."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "BmesError",
    "EvidenceError",
    "ImpossibleEvidenceError",
    "Problem",
    "SpecError",
    "closest",
]


class BmesError(Exception):
    """Base class of every error bmes-bayes raises on purpose."""


class EvidenceError(BmesError, ValueError):
    """Evidence names an unknown variable or state, or has the wrong form."""


class ImpossibleEvidenceError(EvidenceError):
    """The evidence has probability zero under the model.

    Attributes
    ----------
    conflict : tuple of str
        A smallest set of evidence variables that is already impossible on its own.
    """

    def __init__(self, message: str, conflict: Sequence[str] = ()):
        super().__init__(message)
        self.conflict = tuple(conflict)


@dataclass(frozen=True)
class Problem:
    """One problem found in a model file: where it is and what is wrong."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class SpecError(BmesError, ValueError):
    """A network or prior file is malformed. Holds every problem found, not just the first.

    Attributes
    ----------
    problems : tuple of Problem
    """

    def __init__(self, problems: Iterable[Problem], what: str = "model files"):
        self.problems = tuple(problems)
        n = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the {what}:\n{lines}")


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option most like ``word``, or None when nothing is close."""
    matches = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.5)
    return matches[0] if matches else None


def unknown_name_message(kind: str, word: object, options: Sequence[str], where: str = "") -> str:
    """``unknown variable 'fevr'; did you mean 'fever'? Valid: ...`` in one place for every caller."""
    near = closest(str(word), options)
    hint = f"; did you mean {near!r}?" if near else "."
    return f"unknown {kind} {word!r}{where}{hint} Valid {kind}s: {', '.join(options)}"
