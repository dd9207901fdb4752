"""Parameter values: the point estimate, seeded draws from the prior uncertainty, and quantile transforms.

A :class:`Draws` holds one array per clinical parameter of a :class:`~bmes_bayes.spec.PriorSpec`, each with a
leading sample axis: a probability row has shape ``(S, K)``, an odds ratio ``(S,)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .spec import OddsRatioPrior, PriorSpec, RowPrior

__all__ = ["Draws", "Streams", "point_draws", "sample_draws", "n_uniform_inputs", "draws_from_uniform"]


@dataclass(frozen=True, eq=False)
class Draws:
    """Values of every parameter for S parameter sets (aligned with ``spec.parameters``)."""

    spec: PriorSpec
    values: tuple[np.ndarray, ...]

    @property
    def n_samples(self) -> int:
        """The number of parameter sets (1 for the point parameters)."""
        return int(self.values[0].shape[0]) if self.values else 1

    def subset(self, start: int, stop: int) -> "Draws":
        """The parameter sets ``start`` to ``stop`` (exclusive) only."""
        """Parameter sets ``start:stop`` (views, no copy)."""
        return Draws(self.spec, tuple(v[start:stop] for v in self.values))

    def take(self, indices: np.ndarray) -> "Draws":
        """The parameter sets at ``indices`` (a copy)."""
        return Draws(self.spec, tuple(v[indices] for v in self.values))

    def replace(self, index: int, value: np.ndarray) -> "Draws":
        """The same draws with parameter ``index`` replaced by ``value``."""
        vals = list(self.values)
        vals[index] = value
        return Draws(self.spec, tuple(vals))


def point_draws(spec: PriorSpec) -> Draws:
    """The point model: row means and odds-ratio medians, as one parameter set."""
    vals = []
    for p in spec.parameters:
        if isinstance(p, RowPrior):
            vals.append(p.mean[None, :].copy())
        else:
            vals.append(np.array([p.median]))
    return Draws(spec, tuple(vals))


class Streams:
    """One random stream per parameter, all derived from one generator.

    Parameter ``i`` draws from its own ``numpy.random.Generator`` (a ``SeedSequence`` child with spawn key
    ``(i,)`` of entropy taken once from ``rng``), so its values depend on the seed and on nothing else: not on which
    other parameters are drawn, nor in what order. A stream is created when first used and then consumed in order,
    chunk after chunk.
    """

    def __init__(self, rng: np.random.Generator):
        self._entropy = [int(x) for x in rng.integers(0, 2**63, size=4)]  # one call: a reused Generator moves on
        self._streams: dict[int, np.random.Generator] = {}

    def __getitem__(self, index: int) -> np.random.Generator:
        gen = self._streams.get(index)
        if gen is None:
            gen = np.random.default_rng(np.random.SeedSequence(self._entropy, spawn_key=(index,)))
            self._streams[index] = gen
        return gen


def sample_draws(spec: PriorSpec, n: int, streams: "Streams | np.random.Generator",
                 only: "frozenset[int] | None" = None) -> Draws:
    """``n`` parameter sets drawn from the prior uncertainty, each parameter from its own stream.

    Rows are Dirichlet (Beta for two states) with mean ``value`` and total ``concentration``; odds ratios are
    log-normal with median ``value``. Fixed parameters, and those not in ``only`` (when given: the parameters that
    can move the answer, :func:`bmes_bayes.draws.relevant_parameters`), repeat their point value (a read-only view
    that takes no memory per set) and consume no random numbers; since each parameter has its own stream, the draws
    of the others do not change. A Generator given as ``streams`` is turned into :class:`Streams` first.
    """
    if isinstance(streams, np.random.Generator):
        streams = Streams(streams)
    vals = []
    for i, p in enumerate(spec.parameters):
        drawn = not p.fixed and (only is None or i in only)
        if isinstance(p, RowPrior):
            if drawn:
                vals.append(_dirichlet(p.alpha, p.support, streams[i], n))
            else:
                vals.append(np.broadcast_to(p.mean, (n, len(p.mean))))
        else:
            if drawn:
                vals.append(np.exp(np.log(p.median) + p.log_sd * streams[i].standard_normal(n)))
            else:
                vals.append(np.broadcast_to(np.float64(p.median), (n,)))
    return Draws(spec, tuple(vals))


TINY = np.finfo(float).tiny   # the smallest normal double, 2.2e-308: the floor of a drawn probability


def _floor(rows: np.ndarray) -> np.ndarray:
    """Rows whose draw underflowed (an entry of exactly 0 or subnormal: a tiny concentration).

    Those entries raised to :data:`TINY`, the row renormalised. Rows without one are returned untouched, so ordinary
    draws stay bit-identical.

    A Dirichlet entry with a small alpha is below 1e-308 with a large probability (for alpha = 1e-3, about half
    the time), which double precision stores as 0: the draw would then rule out evidence that the model (and the
    prior) allow. The true value is below the floor, so the change is below 1e-307 on the probability scale.
    """
    zero = rows < TINY
    if not zero.any():
        return rows
    bad = zero.any(axis=1)
    fixed = np.where(zero[bad], TINY, rows[bad])
    rows = rows.copy()
    rows[bad] = fixed / fixed.sum(axis=1, keepdims=True)
    return rows


def _dirichlet(alpha: np.ndarray, support: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """Dirichlet draws on the states of ``support``.

    Structural zeros (alpha 0) stay exactly zero, an entry that underflowed is floored at :data:`TINY` (see
    :func:`_floor`).
    """
    if len(support) == len(alpha):
        return _floor(rng.dirichlet(alpha, size=n))
    out = np.zeros((n, len(alpha)))
    out[:, support] = _floor(rng.dirichlet(alpha[support], size=n))
    return out


def _log_rows(alpha: np.ndarray, u: np.ndarray, g: np.ndarray, support: np.ndarray, k: int) -> np.ndarray:
    """Rows normalised in log space where Gamma quantiles underflowed.

    ``log g = (log u + ln Gamma(alpha + 1)) / alpha`` for an underflowed quantile (the small-g form of the regularised
    incomplete gamma, P(alpha, g) = g^alpha / Gamma(alpha + 1) (1 + O(g))), ``log g`` itself otherwise; then floored at
    :data:`TINY`.
    """
    from scipy import special  # imported when used: drawing and querying never need scipy (a faster start)

    with np.errstate(divide="ignore"):
        log_g = np.where(g > 0, np.log(g), (np.log(u) + special.gammaln(alpha + 1)) / alpha)
    log_p = log_g - special.logsumexp(log_g, axis=1, keepdims=True)
    out = np.zeros((len(u), k))
    out[:, support] = _floor(np.exp(log_p))
    return out


def n_uniform_inputs(p: RowPrior | OddsRatioPrior) -> int:
    """How many independent uniform inputs drive parameter ``p`` (0 when it is fixed; one per allowed state)."""
    if p.fixed:
        return 0
    return len(p.support) if isinstance(p, RowPrior) else 1


def draws_from_uniform(spec: PriorSpec, u: np.ndarray, *, parameters: Sequence[int] | None = None) -> Draws:
    """Parameter sets from independent uniforms ``u`` of shape ``(S, total inputs)`` by inverse CDFs.

    A Dirichlet row uses one Gamma(alpha_k) quantile per state, normalised; an odds ratio its log-normal quantile.
    The joint distribution is exactly the prior's, so Sobol indices and quantile sweeps can use it.

    Parameters
    ----------
    parameters : sequence of int, optional
        Indices (into ``spec.parameters``) of the parameters that ``u`` drives, in this order; every other
        parameter keeps its point value. Default: every parameter, in file order.
    """
    from scipy import special  # imported when used: drawing and querying never need scipy (a faster start)

    u = np.asarray(u, dtype=float)
    n = u.shape[0]
    driven = range(len(spec.parameters)) if parameters is None else list(parameters)
    point = point_draws(spec)
    vals = [np.repeat(v, n, axis=0) for v in point.values]
    col = 0
    for i in driven:
        p = spec.parameters[i]
        k = n_uniform_inputs(p)
        block = u[:, col : col + k]
        col += k
        if k == 0:
            continue
        if isinstance(p, RowPrior):
            g = np.zeros((n, len(p.mean)))
            u_row = np.clip(block, 1e-12, 1 - 1e-12)
            g[:, p.support] = special.gammaincinv(p.alpha[None, p.support], u_row)
            with np.errstate(invalid="ignore"):  # 0 / 0 where every quantile underflowed: replaced just below
                vals[i] = g / g.sum(axis=1, keepdims=True)
            under = (g[:, p.support] <= 0).any(axis=1)
            if under.any():  # a tiny alpha: the Gamma quantile underflowed (a row of zeros would even give 0/0)
                vals[i][under] = _log_rows(p.alpha[p.support], u_row[under], g[under][:, p.support], p.support,
                                           len(p.mean))
        else:
            z = special.ndtri(np.clip(block[:, 0], 1e-12, 1 - 1e-12))
            vals[i] = np.exp(np.log(p.median) + p.log_sd * z)
    if col != u.shape[1]:
        raise ValueError(f"expected {col} uniform inputs, got {u.shape[1]}")
    return Draws(spec, tuple(vals))
