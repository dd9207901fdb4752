"""The one seed helper: ``None | int | numpy.random.Generator`` -> Generator. ``seed=0`` is a real seed."""

from __future__ import annotations

import numpy as np

from .exceptions import BmesError, shown



def as_generator(seed: None | int | np.random.Generator) -> np.random.Generator:
    """Turn ``seed`` into a Generator; the same int always gives the same stream."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (bool, float)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise BmesError(f"seed must be None, a non-negative int or a numpy Generator, got {shown(seed)}")
    return np.random.default_rng(int(seed))
