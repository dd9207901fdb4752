"""The one seed helper: ``None | int | numpy.random.Generator`` -> Generator. ``seed=0`` is a real seed."""

from __future__ import annotations

import numpy as np

from .exceptions import ArgumentError, ArgumentTypeError, shown


def as_generator(seed: None | int | np.random.Generator) -> np.random.Generator:
    """Turn ``seed`` into a Generator; the same int always gives the same stream.

    Raises
    ------
    ArgumentTypeError
        Not None, an int or a Generator (a bool or a float is not a seed).
    ArgumentError
        A negative int.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    message = f"seed must be None, a non-negative int or a numpy Generator, got {shown(seed)}"
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise ArgumentTypeError(message)
    if seed < 0:
        raise ArgumentError(message)
    return np.random.default_rng(int(seed))
