"""The one way a renamed keyword or attribute is deprecated.

It keeps working for one release, with a ``DeprecationWarning`` that points at the caller.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from .exceptions import ArgumentTypeError

_T = TypeVar("_T")

__all__ = ["UNSET", "renamed", "renamed_attribute"]

UNSET = object()   # "the old keyword was not given" (None may be a value the old keyword was given)


_PACKAGE = str(Path(__file__).resolve().parent)


def caller_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside this package.

    A warning then points at the user's line, however many of the package's functions (a model alias, then the analysis)
    lie in between.
    """
    level = 1
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and str(Path(frame.f_code.co_filename).resolve()).startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


def renamed(new_value: Any, old_value: Any, *, new: str, old: str, where: str, default: Any = None) -> Any:
    """The value of a keyword renamed from ``old`` to ``new``.

    ``old`` still works for one release, with a :class:`DeprecationWarning` pointing at the user's line. ``new_value``
    is None when not given (then ``default``), ``old_value`` is :data:`UNSET` when not given.

    Raises
    ------
    ArgumentTypeError
        When both names are given.
    """
    if old_value is UNSET:
        return default if new_value is None else new_value
    if new_value is not None:
        raise ArgumentTypeError(f"{where}: give {new}= only ({old}= is its old name)")
    warnings.warn(f"{where}: the keyword {old}= is renamed {new}=; {old}= will be removed in the next release",
                  DeprecationWarning, stacklevel=caller_stacklevel())
    return old_value


def renamed_attribute(value: _T, *, old_name: str, new_name: str) -> _T:
    """``value``, read through a result's deprecated attribute ``old_name``.

    A ``DeprecationWarning`` points at the reader.
    """
    warnings.warn(f"the attribute {old_name!r} is deprecated and will be removed in the next release: use "
                  f"{new_name!r}", DeprecationWarning, stacklevel=caller_stacklevel())
    return value
