"""One check per kind of argument, defined once and used by every public function.

Each check returns the value in its canonical form (a float, an int, a tuple of names, a Path) or raises the
package's own error, which is always also a built-in the caller may already catch:

- :class:`~bmes_bayes.exceptions.ArgumentTypeError` (a ``TypeError`` and a ``ValueError``): the wrong type;
- :class:`~bmes_bayes.exceptions.ArgumentError` (a ``ValueError``): a value outside its range, an unknown option;
- :class:`~bmes_bayes.exceptions.UnknownNameError` (a ``ValueError`` and a ``KeyError``): an unknown variable or
  state, with the valid names and the closest match;
- :class:`~bmes_bayes.exceptions.TooLargeError` (a ``ValueError``): beyond a bound of :mod:`bmes_bayes.limits`, with
  the memory and time the request would have needed.

No silent reinterpretation: a boolean is never a number here (``threshold=True`` is refused, not read as 1.0), a
float is never a count, one string is never a list of names, and ``None`` is accepted only where the function's
docstring says what it means.
"""

from __future__ import annotations

import itertools
import math
import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar, cast

import numpy as np

from . import limits
from .exceptions import (ArgumentError, ArgumentTypeError, TooLargeError, UnknownNameError, did_you_mean, listing,
                         shown, unknown_name_message)

_S = TypeVar("_S", bound=str)

__all__ = [
    "choice", "count", "flag", "level", "mapping", "names", "path", "positive", "probability", "real",
    "sample_budget", "state", "variable", "estimate",
]


def _kind(value: object) -> str:
    return f"{shown(value)} ({type(value).__name__})"


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def real(value: object, name: str, *, low: float = -math.inf, high: float = math.inf, low_open: bool = False,
         high_open: bool = False, what: str = "a finite number") -> float:
    """A finite real number (an int or float, numpy's included; never a bool) within the given bounds."""
    if not _is_real(value):
        raise ArgumentTypeError(f"{name} must be {what}, got {_kind(value)}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond the float range (10**400)
        x = math.inf if value > 0 else -math.inf  # type: ignore[operator]
    below = x <= low if low_open else x < low
    above = x >= high if high_open else x > high
    if not math.isfinite(x) or below or above:
        raise ArgumentError(f"{name} must be {what}, got {shown(value)}")
    return x


def probability(value: object, name: str, *, low_open: bool = False, high_open: bool = False) -> float:
    """A probability in [0, 1]; ``low_open``/``high_open`` exclude 0 or 1 (a level is in (0, 1))."""
    interval = f"{'(' if low_open else '['}0, 1{')' if high_open else ']'}"
    return real(value, name, low=0.0, high=1.0, low_open=low_open, high_open=high_open,
                what=f"a probability in {interval}")


def level(value: object, name: str = "level") -> float:
    """A credible or confidence level: a number strictly between 0 and 1."""
    return real(value, name, low=0.0, high=1.0, low_open=True, high_open=True,
                what="a number strictly between 0 and 1")


def positive(value: object, name: str) -> float:
    """A finite positive number (a cost, an equivalent sample size)."""
    return real(value, name, low=0.0, low_open=True, what="a finite positive number")


def count(value: object, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number (an int, numpy's included; never a bool or a float) of at least ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ArgumentTypeError(f"{name} must be a whole number of at least {minimum}, got {_kind(value)}")
    n = int(value)
    if n < minimum:
        raise ArgumentError(f"{name} must be a whole number of at least {minimum}, got {shown(value)}")
    if maximum is not None and n > maximum:
        raise TooLargeError(f"{name} must be at most {maximum:,}, got {n:,}")
    return n


def flag(value: object, name: str) -> bool:
    """True or False, nothing else (not 0, 1 or None)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentTypeError(f"{name} must be True or False, got {_kind(value)}")
    return bool(value)


def choice(value: object, name: str, options: Sequence[_S]) -> _S:
    """One of ``options`` (a string option such as ``covariation`` or ``rank_by``)."""
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} must be one of {', '.join(map(repr, options))}, got {_kind(value)}")
    if value not in options:
        raise ArgumentError(f"unknown {name} {shown(value)}{did_you_mean(value, options, '.')} "
                            f"Choose one of: {', '.join(options)}")
    return cast(_S, value)   # equal to one of options: the caller's Literal type


def mapping(value: object, name: str, example: str = "") -> Mapping:
    """A mapping (a dict, a MappingProxy...); ``example`` shows the expected form in the message."""
    if not isinstance(value, Mapping):
        hint = f", such as {example}" if example else ""
        raise ArgumentTypeError(f"{name} must be a mapping{hint}; got {_kind(value)}")
    return value


def variable(net, value: object, name: str = "variable", where: str = "") -> str:
    """A variable of ``net`` (a NetworkSpec): an unknown name, or not a name at all, is an UnknownNameError."""
    if not isinstance(value, str) or value not in net:
        raise UnknownNameError(unknown_name_message("variable", value, net.names, where=where or
                                                    (f" as {name}" if name != "variable" else "")))
    return value


def state(states: Sequence[str], value: object, *, of: str, name: str = "state") -> int:
    """The index of state ``value`` among ``states`` (those of the variable ``of``)."""
    if not isinstance(value, str) or value not in states:
        where = f" of {of}" + (f" (as {name})" if name != "state" else "")
        raise UnknownNameError(unknown_name_message("state", value, states, where=where))
    return list(states).index(value)


def names(value: object, name: str, net, *, what: str = "variable") -> tuple[str, ...]:
    """An iterable of variable names of ``net`` (a list, tuple, set, generator).

    Not one string, not a number, not a mapping. Duplicates are dropped, the order kept.
    """
    if isinstance(value, (str, bytes)) or isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ArgumentTypeError(f"{name} must be a list of {what} names, such as ['fever', 'crp_elevated']; "
                                f"got {_kind(value)}")
    cap = 10 * len(net.names) + 100   # room for repeats; anything longer cannot be a list of this network's names
    items = list(itertools.islice(value, cap + 1))
    if len(items) > cap:
        raise TooLargeError(f"{name} has more than {cap:,} entries; the network has {len(net.names)} variables")
    bad = [v for v in items if not isinstance(v, str) or v not in net]
    if bad:
        lines = [unknown_name_message(what, v, net.names, where=f" in {name}") for v in bad[:3]]
        raise UnknownNameError(listing(lines, 3, total=len(bad), sep="; "))
    return tuple(dict.fromkeys(items))


def path(value: object, name: str = "path") -> Path:
    """A file system path given as ``str`` or ``os.PathLike`` (not bytes, not a number; not empty, no NUL)."""
    if isinstance(value, (bytes, bytearray)) or not isinstance(value, (str, os.PathLike)):
        raise ArgumentTypeError(f"{name} must be a path (str or pathlib.Path), got {_kind(value)}")
    text = os.fspath(value)
    if not isinstance(text, str):
        raise ArgumentTypeError(f"{name} must be a path (str or pathlib.Path), got a path of {type(text).__name__}")
    if not text or "\0" in text:
        raise ArgumentError(f"{name} {shown(text)} is not a usable path (empty, or with a NUL character)")
    return Path(text)


# --------------------------------------------------------------------------------------------- sizes and budgets
def size_text(nbytes: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.3g} {unit}"
    return f"{nbytes:.0f} bytes"


def _duration(seconds: float) -> str:
    for unit, scale in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= 2 * scale:
            return f"{seconds / scale:,.3g} {unit}"
    return f"{seconds:,.2g} seconds"


def estimate(nbytes: float, evaluations: float) -> str:
    """``about 72 GB of memory and about 23 days`` for a request.

    Memory as given, time at the slowest measured rate (:data:`bmes_bayes.limits.SETS_PER_SECOND` exact evaluations a
    second).
    """
    return (f"about {size_text(nbytes)} of memory and up to about {_duration(evaluations / limits.SETS_PER_SECOND)} "
            f"(at {limits.SETS_PER_SECOND:,} exact evaluations a second, the slowest measured on the shipped model)")


def sample_budget(value: object, name: str, *, bytes_per_set: float, sets_per_value: float = 1.0,
                  maximum: int | None = None, limit_name: str = "MAX_SAMPLES", hint: str = "") -> int:
    """A count of parameter sets (``n_samples``) within the documented bounds.

    Within :data:`~bmes_bayes.limits.MAX_SAMPLES` (or ``maximum``), its planned memory, ``value * bytes_per_set``, stays
    under :data:`~bmes_bayes.limits.MEMORY_LIMIT` and its exact evaluations, ``value * sets_per_value`` (the stages of a
    work-up, say), stay under :data:`~bmes_bayes.limits.MAX_EVALUATIONS`.
    """
    n = count(value, name)
    top = getattr(limits, limit_name) if maximum is None else maximum
    memory = n * bytes_per_set
    evaluations = n * sets_per_value
    why = []
    if n > top:
        why.append(f"more than bmes_bayes.limits.{limit_name} = {top:,}")
    if evaluations > limits.MAX_EVALUATIONS:
        why.append(f"{evaluations:,.0f} exact evaluations in all, more than bmes_bayes.limits.MAX_EVALUATIONS = "
                   f"{limits.MAX_EVALUATIONS:,}")
    if memory > limits.MEMORY_LIMIT:
        why.append(f"its arrays would exceed bmes_bayes.limits.MEMORY_LIMIT = {size_text(limits.MEMORY_LIMIT)}")
    if why:
        raise TooLargeError(f"{name}={n:,} is too large ({'; '.join(why)}): it would need "
                            f"{estimate(memory, evaluations)}." + (f" {hint}" if hint else ""))
    return n
