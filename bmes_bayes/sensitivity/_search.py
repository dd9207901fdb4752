"""The batched grid-and-bisection search of where a condition first holds, moving one parameter at a time.

Shared by :func:`~bmes_bayes.sensitivity.admissible_deviation` (where the most probable state stops being first) and
:func:`~bmes_bayes.sensitivity.tune` (where a posterior reaches a wanted value). Every parameter is moved on its
search scale (see :mod:`._perturb`): a grid of points, evaluated in one batched query, brackets the first crossing
on each searched side of the current value ``t0`` (the first grid point, going outward from ``t0``, where the
condition holds, and the grid point before it, or ``t0``); batched bisection then narrows every bracket at once,
one batched query per step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

Evaluate = Callable[[np.ndarray, np.ndarray], np.ndarray]   # (entry indices, points) -> one value per point
Crossed = Callable[[np.ndarray], np.ndarray]                # values -> whether the condition holds there


@dataclass(frozen=True)
class Crossings:
    """The brackets of the crossings found, one per (entry, side), grouped by entry, the sides in the order asked.

    ``inside`` is the end on the side of ``t0`` (the condition does not hold there), ``outside`` the end where it
    holds, ``value`` the evaluated value at ``outside``; all on the search scale.
    """

    entry: np.ndarray
    inside: np.ndarray
    outside: np.ndarray
    value: np.ndarray


def search(evaluate: Evaluate, crossed: Crossed, t0: np.ndarray, grid: np.ndarray, *, sides: Sequence[int],
           steps: int, tol: float = 0.0) -> Crossings:
    """Bracket and bisect the first crossing of a condition on each side of ``t0``, for many entries at once.

    Parameters
    ----------
    evaluate : callable
        ``evaluate(entries, points)``: one value per ``(entry index, point)`` pair, in one batched query.
    crossed : callable
        ``crossed(values)``: whether the condition holds at each value.
    t0 : numpy.ndarray
        ``(n,)`` the current value of each entry on its search scale (the condition does not hold there).
    grid : numpy.ndarray
        ``(n, G)`` the scan points of each entry, evaluated in one call (entry by entry, in grid order).
    sides : sequence of +1 and -1
        Search above ``t0`` (+1: the grid points above it, ascending) and/or below it (-1: those below, descending).
    steps : int
        At most this many bisection steps.
    tol : float, default 0
        Stop narrowing a bracket once it is this narrow (0: run every step). A bracket also stops when its midpoint
        rounds to one of its ends (double precision reached).

    Returns
    -------
    Crossings
        One bracket per entry and side on which the condition holds at some grid point.
    """
    n, g = grid.shape
    empty = np.empty(0)
    if n == 0:
        return Crossings(np.empty(0, dtype=int), empty, empty, empty)
    rows = np.arange(n)
    values = evaluate(np.repeat(rows, g), grid.ravel()).reshape(n, g)
    hits = crossed(values)
    parts = []
    for d in sides:
        order = np.argsort(d * grid, axis=1, kind="stable")       # outward from t0 on side d (the others first)
        pts, val, hit = (np.take_along_axis(a, order, axis=1) for a in (grid, values, hits))
        on_side = d * (pts - t0[:, None]) > 0
        first = hit & on_side
        found = first.any(axis=1)
        j = first.argmax(axis=1)
        before = np.maximum(j - 1, 0)
        inside = np.where((j > 0) & on_side[rows, before], pts[rows, before], t0)
        ok = np.flatnonzero(found)
        parts.append((ok, inside[ok], pts[ok, j[ok]], val[ok, j[ok]]))
    entry = np.concatenate([p[0] for p in parts])
    by_entry = np.argsort(entry, kind="stable")                   # grouped by entry, sides in the order asked
    a, b, vb = (np.concatenate([p[c] for p in parts])[by_entry] for c in (1, 2, 3))
    entry = entry[by_entry]
    a, b = a.astype(float), b.astype(float)
    active = np.ones(len(entry), dtype=bool)
    for _ in range(steps if len(entry) else 0):
        todo = np.flatnonzero(active & (np.abs(b - a) > tol))
        if not len(todo):
            break
        mid = (a[todo] + b[todo]) / 2
        stuck = (mid == a[todo]) | (mid == b[todo])               # at double precision already
        active[todo[stuck]] = False
        todo, mid = todo[~stuck], mid[~stuck]
        if not len(todo):
            continue
        got = evaluate(entry[todo], mid)
        hit = crossed(got)
        b[todo[hit]], vb[todo[hit]] = mid[hit], got[hit]
        a[todo[~hit]] = mid[~hit]
    return Crossings(entry, a, b, vb)
