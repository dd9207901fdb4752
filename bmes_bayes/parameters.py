"""Parameter values: the point estimate, seeded draws from the prior uncertainty, and quantile transforms.

A :class:`Draws` holds one array per clinical parameter of a :class:`~bmes_bayes.spec.PriorSpec`, each with a
leading sample axis: a probability row has shape ``(S, K)``, an odds ratio ``(S,)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from .spec import OddsRatioPrior, PriorSpec, RowPrior

__all__ = ["Draws", "point_draws", "sample_draws", "n_uniform_inputs", "draws_from_uniform"]


@dataclass(frozen=True, eq=False)
class Draws:
    """Values of every parameter for S parameter sets (aligned with ``spec.parameters``)."""

    spec: PriorSpec
    values: tuple[np.ndarray, ...]

    @property
    def n_samples(self) -> int:
        return int(self.values[0].shape[0]) if self.values else 1

    def subset(self, start: int, stop: int) -> "Draws":
        """Parameter sets ``start:stop`` (views, no copy)."""
        return Draws(self.spec, tuple(v[start:stop] for v in self.values))

    def replace(self, index: int, value: np.ndarray) -> "Draws":
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


def sample_draws(spec: PriorSpec, n: int, rng: np.random.Generator) -> Draws:
    """``n`` parameter sets drawn from the prior uncertainty, parameter by parameter in file order.

    Rows are Dirichlet (Beta for two states) with mean ``value`` and total ``concentration``; odds ratios are
    log-normal with median ``value``; fixed parameters repeat their value. The order of draws depends only on the
    prior files, so the same generator state gives the same draws whatever the evidence.
    """
    vals = []
    for p in spec.parameters:
        if isinstance(p, RowPrior):
            if p.fixed:
                vals.append(np.broadcast_to(p.mean, (n, len(p.mean))).copy())
            else:
                vals.append(_dirichlet(p.alpha, p.support, rng, n))
        else:
            if p.fixed:
                vals.append(np.full(n, p.median))
            else:
                vals.append(np.exp(np.log(p.median) + p.log_sd * rng.standard_normal(n)))
    return Draws(spec, tuple(vals))


def _dirichlet(alpha: np.ndarray, support: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """Dirichlet draws on the states of ``support``; structural zeros (alpha 0) stay exactly zero."""
    if len(support) == len(alpha):
        return rng.dirichlet(alpha, size=n)
    out = np.zeros((n, len(alpha)))
    out[:, support] = rng.dirichlet(alpha[support], size=n)
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
            g[:, p.support] = special.gammaincinv(p.alpha[None, p.support], np.clip(block, 1e-12, 1 - 1e-12))
            vals[i] = g / g.sum(axis=1, keepdims=True)
        else:
            z = special.ndtri(np.clip(block[:, 0], 1e-12, 1 - 1e-12))
            vals[i] = np.exp(np.log(p.median) + p.log_sd * z)
    if col != u.shape[1]:
        raise ValueError(f"expected {col} uniform inputs, got {u.shape[1]}")
    return Draws(spec, tuple(vals))
