"""The package's exceptions: a small tree that also subclasses the built-ins callers already catch."""

from __future__ import annotations

import difflib
import reprlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "ArgumentError",
    "ArgumentTypeError",
    "BmesError",
    "BmesWarning",
    "EvidenceError",
    "ImpossibleEvidenceError",
    "OutputError",
    "Problem",
    "SHOWN",
    "SpecError",
    "TooLargeError",
    "UnknownNameError",
    "closest",
    "did_you_mean",
    "listing",
    "shown",
]

SHOWN = 10  # problems spelled out in one error message; the rest are counted ("... and 99,990 more")


class BmesError(Exception):
    """Base class of every error bmes-bayes raises on purpose."""


class ArgumentError(BmesError, ValueError):
    """An argument a function cannot take: out of its range, an unknown option, a value that means nothing here.

    A ``ValueError`` too, so ``except ValueError`` catches every bad argument the package refuses (wrong types
    included: :class:`ArgumentTypeError` derives from this class).
    """


class ArgumentTypeError(ArgumentError, TypeError):
    """An argument of the wrong type (an int where names are expected, a bool where a probability is).

    Both a ``TypeError`` (the usual Python meaning) and, through :class:`ArgumentError`, a ``ValueError``.
    """


class TooLargeError(ArgumentError):
    """A request beyond one of the documented bounds (:mod:`bmes_bayes.limits`).

    The message states the estimated memory and time it would have needed.
    """


class EvidenceError(ArgumentError):
    """Evidence names an unknown variable or state, or has the wrong form."""


class UnknownNameError(EvidenceError, KeyError):
    """A variable or state looked up by a name that does not exist (``posterior["tumour"]``).

    A ``KeyError`` too, so mapping-style code keeps working; the message names the valid names and the closest.
    """

    def __str__(self) -> str:  # KeyError would show the message as a quoted repr
        return str(self.args[0]) if self.args else ""


class BmesWarning(UserWarning):
    """A result the package could compute but whose caller should know something about it.

    For example parameter sets drawn from the priors under which the evidence is impossible, left out.
    """


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


class OutputError(BmesError, OSError):
    """A file cannot be written where asked.

    It exists (and replacing was not asked for), it is a directory, a device, a FIFO or a symbolic link, its directory
    is missing, or the file system refused. The message names the path the caller gave (never a temporary file).

    Attributes
    ----------
    path : str
        The path the caller asked to write.
    """

    def __init__(self, message: str, path: object = None):
        super().__init__(message)
        self.path = None if path is None else str(path)


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
        lines = listing([f"  {p}" for p in self.problems[: 5 * SHOWN + 1]], 5 * SHOWN, total=n, indent="  ")
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the {what}:\n{lines}")


def listing(lines: Sequence[str], limit: int = SHOWN, *, total: int | None = None, indent: str = "",
            sep: str = "\n") -> str:
    """The first ``limit`` of ``lines`` joined by ``sep``, then ``... and N more`` for the rest.

    ``total`` counts the lines when only a prefix of them was built. No message grows with the size of a hostile input.
    """
    total = len(lines) if total is None else total
    head = list(lines[:limit])
    if total > len(head):
        head.append(f"{indent}... and {total - len(head):,} more")
    return sep.join(head)


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlong = 40


def shown(value: object) -> str:
    """A short, safe ``repr`` of a value a user passed in, for error messages.

    Long strings and containers are abbreviated; a value whose ``repr`` fails (or an int too long to print) is shown
    by its type, so that building an error message never raises a second error.
    """
    try:
        return _REPR.repr(value)
    except Exception:  # noqa: BLE001 - any failure of a foreign __repr__
        return f"<{type(value).__name__}>"


def closest(word: object, options: Iterable[str]) -> str | None:
    """The option most like ``word``, or None when nothing is close (or ``word`` is not text)."""
    if not isinstance(word, str):
        return None
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return matches[0] if matches else None


def did_you_mean(word: object, options: Sequence[str], otherwise: str = "") -> str:
    """``"; did you mean 'fever'?"`` for the closest option, or ``otherwise`` when nothing is close."""
    near = closest(word, options)
    return f"; did you mean {near!r}?" if near else otherwise


def unknown_name_message(kind: str, word: object, options: Sequence[str], where: str = "") -> str:
    """``unknown variable 'fevr'; did you mean 'fever'? Valid: ...`` in one place for every caller.

    At most 40 valid names are listed: an imported network may have thousands.
    """
    options = list(options)
    hint = did_you_mean(word, options, ".")
    return f"unknown {kind} {shown(word)}{where}{hint} Valid {kind}s: {listing(options, 40, sep=', ')}"
