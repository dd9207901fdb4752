"""Perturbing one clinical parameter at a time: the shared machinery of the one-at-a-time analyses.

A clinical parameter seen as a scalar (:class:`_Entry`: a row entry, the rest of its row co-varied proportionally, or
an odds ratio), its point value, its plausible range and CDF under its prior marginal, its search scale (logit for a
probability, log for an odds ratio), and the batch of parameter sets with one entry changed each. Used by
:mod:`.one_way`, :mod:`.admissible` and :mod:`.tuning`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from .. import _checks
from ..exceptions import ArgumentTypeError
from ..parameters import Draws
from ..spec import OddsRatioPrior

if TYPE_CHECKING:  # pragma: no cover
    from ..model import BmesModel

PLAUSIBLE = 0.95    # default central prior probability of a parameter's plausible range


def target_index(model: "BmesModel", target: str, target_state: str | None, ev, *,
                 required: bool = False) -> tuple[str, int, np.ndarray]:
    """The target's variable (``model.target_name``), the index of ``target_state`` and the point posterior.

    Where ``target_state`` is optional (``required=False``) None means the point model's most probable state, as
    the callers' docstrings say; where it is required, None is refused rather than guessed: which state to study
    (or tune) is the question itself, and the current top is seldom the one a user forgot to name.
    """
    target = model.target_name(target)
    states = model.network[target].states
    if target_state is None and required:
        raise ArgumentTypeError(f"target_state is required: one of the states of {target} "
                                f"({', '.join(states)}), not None")
    ti = None if target_state is None else _checks.state(states, target_state, of=target, name="target_state")
    point = model.query(ev, target).posterior[0]
    return target, int(np.argmax(point)) if ti is None else ti, point


@dataclass(frozen=True)
class _Entry:
    """One clinical parameter as a scalar: a row entry (proportional co-variation of the rest) or an odds ratio."""

    index: int          # into spec.parameters
    entry: int | None   # state index for a row, None for an odds ratio
    label: str
    kind: str           # "probability", "base_rate" or "odds_ratio"
    node: str
    state: str


def _entries(model: "BmesModel", indices: Sequence[int]) -> list[_Entry]:
    """The scalar clinical parameters of the prior parameters ``indices``.

    An odds ratio itself, a two-state row its stated (or second) entry, a longer row each entry of its support (a
    structural zero never moves).
    """
    out = []
    for i in indices:
        p = model.priors.parameters[i]
        if isinstance(p, OddsRatioPrior):
            out.append(_Entry(i, None, f"OR of {p.node}={p.target} for {p.parent}={p.parent_state}", "odds_ratio",
                              p.node, p.target))
            continue
        given = ", ".join(f"{q}={s}" for q, s in p.given)
        if len(p.states) == 2:
            ks = [p.focus if p.focus is not None else 1]
        else:
            ks = [int(k) for k in p.support]  # a structural zero is no parameter: it never moves
        for k in ks:
            if p.kind == "base_rate":
                label = f"base rate {p.node}={p.states[k]}" + (f" | {given}" if given else "")
            else:
                label = f"P({p.node}={p.states[k]}" + (f" | {given})" if given else ")")
            out.append(_Entry(i, k, label, "base_rate" if p.kind == "base_rate" else "probability", p.node,
                              p.states[k]))
    return out


def _row_with(row: np.ndarray, k: int, x: np.ndarray) -> np.ndarray:
    """Rows ``(len(x), K)``: entry k set to x, the others scaled proportionally (their ratios kept)."""
    x = np.asarray(x, dtype=float)
    rest = 1.0 - row[k]
    scale = (1.0 - x) / rest
    out = row[None, :] * scale[:, None]
    out[:, k] = x
    return out


def _entry_draws(model: "BmesModel", entries: Sequence[_Entry], values: np.ndarray) -> Draws:
    """A Draws with one parameter set per ``(entry, value)`` pair: the point model with that one value changed."""
    point = model.point_parameters
    n = len(entries)
    vals = [np.repeat(v, n, axis=0) for v in point.values]
    for row_i, (e, x) in enumerate(zip(entries, values)):
        if e.entry is None:
            vals[e.index][row_i] = x
        else:
            vals[e.index][row_i] = _row_with(point.values[e.index][0], e.entry, np.array([x]))[0]
    return Draws(model.priors, tuple(vals))


def plausible_range(model: "BmesModel", e: _Entry, plausible: float) -> tuple[float, float]:
    """The central ``plausible`` range of the parameter's prior marginal.

    Its ``(1 - plausible)/2`` and ``(1 + plausible)/2`` quantiles, of Beta(a_k, a0 - a_k) for a row entry or of the
    log-normal of an odds ratio.
    """
    from scipy import special  # the functions scipy.stats.norm and .beta call, bit for bit, without loading stats

    p = model.priors.parameters[e.index]
    q = np.array([(1 - plausible) / 2, (1 + plausible) / 2])
    if isinstance(p, OddsRatioPrior):
        lo, hi = np.exp(np.log(p.median) + p.log_sd * special.ndtri(q))
    else:
        a = p.alpha
        lo, hi = special.betaincinv(a[e.entry], a.sum() - a[e.entry], q)
    return float(lo), float(hi)


def entry_cdf(model: "BmesModel", e: _Entry, x: float) -> float:
    """The prior marginal's CDF at ``x``."""
    from scipy import special

    p = model.priors.parameters[e.index]
    if isinstance(p, OddsRatioPrior):
        if x <= 0:
            return 0.0
        return float(special.ndtr((np.log(x) - np.log(p.median)) / p.log_sd)) if np.isfinite(x) else 1.0
    if x <= 0 or x >= 1:  # outside the Beta's support (scipy.stats clips the same way)
        return 0.0 if x <= 0 else 1.0
    a = p.alpha
    return float(special.betainc(a[e.entry], a.sum() - a[e.entry], x))


def point_value(model: "BmesModel", e: _Entry) -> float:
    """The parameter's value in the point model."""
    v = model.point_parameters.values[e.index][0]
    return float(v if e.entry is None else v[e.entry])


# ------------------------------------------------------------------------------------------- the search scale
def to_scale(e: _Entry, x: float | np.ndarray) -> np.ndarray:
    """A value on the search scale: logit for a probability, log for an odds ratio."""
    x = np.asarray(x, dtype=float)
    return np.log(x) if e.entry is None else np.log(x) - np.log1p(-x)


def from_scale(e: _Entry, t: np.ndarray) -> np.ndarray:
    """The inverse of :func:`to_scale`."""
    t = np.asarray(t, dtype=float)
    return np.exp(t) if e.entry is None else 1.0 / (1.0 + np.exp(-t))


def domain(e: _Entry, *, eps: float, odds_ratio: tuple[float, float] | None) -> tuple[float, float]:
    """The searched domain on the search scale.

    ``[eps, 1 - eps]`` for a probability, ``odds_ratio`` for an odds ratio.
    """
    if e.entry is None:
        lo, hi = cast("tuple[float, float]", odds_ratio)   # given for every odds ratio
        return float(np.log(lo)), float(np.log(hi))
    return float(to_scale(e, eps)), float(to_scale(e, 1 - eps))
