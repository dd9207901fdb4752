"""Compile parameter values into conditional probability tables.

A table for node X has shape ``(S, *cards of X's parents, card of X)``: a leading sample axis, then the parents in
network order, then X. The engine asks a *table source* for tables already sliced by the hard evidence
(``fixed``), so a log-linear node with many parents is only ever built for the parent states the evidence allows.

A source may also hand over a log-linear node as a :class:`FactoredTable`: the CPT never materialised, but as two
blocks of unnormalised weights and the inverse of their normaliser, ``P(x | u) = wA(uA, x) wB(uB, x) / Z(u)`` with
``Z(u) = sum_x wA(uA, x) wB(uB, x)`` (one batched matrix product). For the diagnosis (9 states, 14 parents) this
replaces a ``(S, parents..., 9)`` table by a ``(S, parents...)`` normaliser, so the engine contracts 9 times less
data and never writes the full CPT.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Protocol

import numpy as np

from .parameters import Draws
from .spec import LogLinearCPD, NetworkSpec, PriorSpec, TableCPD

__all__ = ["TableSource", "FactoredTable", "FullTables", "DrawnTables", "compile_node", "compile_all", "factor_node"]


class TableSource(Protocol):
    """Anything that hands the engine CPTs sliced by evidence."""

    n_samples: int

    def table(self, node: str, fixed: Mapping[str, int]) -> "np.ndarray | FactoredTable":
        """CPT of ``node`` with the axes of ``fixed`` variables removed: ``(S, *unfixed parents, [node])``."""
        ...

    def subset(self, start: int, stop: int) -> "TableSource":
        """The same tables for parameter sets ``start:stop`` only."""
        ...


class FactoredTable:
    """A CPT as a product of named factors: ``P = prod(factors) * inverse_norm``, never materialised.

    Each factor is an array ``(S, *axes)`` with its axis names (network variables, observed ones removed).

    Parameters
    ----------
    factors : sequence of (array, axes), optional
        The factors themselves. When omitted they are built, on first use, from ``weights``: two blocks of weights
        and the inverse of their normaliser.
    weights : sequence of (array, axes), optional
        The unnormalised weights of a log-linear node, ``P(x | u) = prod_j w_j(u_j, x) / sum_x prod_j w_j(u_j, x)``:
        arrays ``(S, *axes, K)`` over disjoint sets of free parents (the first one, over no parent, holds the
        product of the groups the evidence fixes), the node's own state last and never sliced. The engine's fast
        path reads these and never builds the normaliser over every parent configuration.
    node : str, optional
        The log-linear node (needed with ``weights``).
    state : int, optional
        The node's observed state, or None.
    order : mapping of str to int, optional
        Network order of the variables (how the lazily built blocks lay out their axes).
    """

    def __init__(self, factors=None, *, weights=None, node: str | None = None, state: int | None = None,
                 order: Mapping[str, int] | None = None):
        if factors is None and weights is None:
            raise ValueError("FactoredTable needs factors or weights")
        if factors is not None:
            self.__dict__["factors"] = tuple(factors)
        self.weights = None if weights is None else tuple(weights)
        self.node, self.state, self.order = node, state, order

    @cached_property
    def factors(self) -> tuple[tuple[np.ndarray, tuple[str, ...]], ...]:
        """The CPT as named factors ``(array (S, *axes), axes)``, built on first use from the weights."""
        if self.weights is None or self.node is None or self.order is None:
            raise ValueError("a FactoredTable needs its factors or its weights, node and order")
        return _normaliser_blocks(self.weights, self.node, self.state, self.order)


def _slice(arr: np.ndarray, axes: tuple[str, ...], fixed: Mapping[str, int]) -> np.ndarray:
    if not fixed:
        return arr
    idx = tuple([slice(None)] + [fixed.get(a, slice(None)) for a in axes])
    return arr[idx]


def _param_index(spec: PriorSpec) -> dict[int, int]:
    return {id(p): i for i, p in enumerate(spec.parameters)}


def _compile_table(cpd: TableCPD, net: NetworkSpec, draws: Draws, where: dict[int, int], fixed: Mapping[str, int]) -> np.ndarray:
    rows = np.stack([draws.values[where[id(r)]] for r in cpd.rows], axis=1)  # (S, n_rows, K)
    t = draws.spec.tempering
    if t != 1.0 and net[cpd.node].role == "finding":  # the declared calibration: rows ** t, renormalised
        tempered = rows ** t
        if t > 1.0:  # a tiny positive entry must not underflow to an impossible 0 (entries of 0 stay 0)
            tempered = np.where((tempered <= 0) & (rows > 0), np.finfo(float).tiny, tempered)
        rows = tempered / tempered.sum(axis=-1, keepdims=True)
    shape = (rows.shape[0], *(net[p].card for p in cpd.parents), net[cpd.node].card)
    return _slice(rows.reshape(shape), (*cpd.parents, cpd.node), fixed)


def _compile_loglinear(cpd: LogLinearCPD, net: NetworkSpec, draws: Draws, where: dict[int, int], fixed: Mapping[str, int]) -> np.ndarray:
    node = net[cpd.node]
    k = node.card
    s = draws.n_samples
    free = [p for p in cpd.parents if p not in fixed]

    def placed(arr: np.ndarray, parents: tuple[str, ...]) -> np.ndarray:
        """``arr`` with axes (S, *parents, K): fix what is fixed, put the rest on its axis of the output.

        ``parents`` is in network order, as ``free`` is, so the kept axes are already in output order.
        """
        arr = _slice(arr, parents, {p: fixed[p] for p in parents if p in fixed})
        shape = [arr.shape[0]] + [1] * len(free) + [k]
        for p in parents:
            if p not in fixed:
                shape[1 + free.index(p)] = net[p].card
        return arr.reshape(shape)

    # weights = base rate x odds ratios, built by broadcasting products (no log/exp passes over the big array);
    # each parent's factor is small, so the array grows one parent at a time to its final sliced shape
    base = np.stack([draws.values[where[id(r)]] for r in cpd.base_rows], axis=1)
    w = placed(base.reshape((s, *(net[p].card for p in cpd.base_parents), k)), cpd.base_parents)
    by_parent: dict[str, np.ndarray] = {}
    for eff in cpd.effects:
        arr = by_parent.get(eff.parent)
        if arr is None:
            arr = by_parent[eff.parent] = np.ones((s, net[eff.parent].card, k))
        arr[:, net[eff.parent].states.index(eff.parent_state), node.states.index(eff.target)] = (
            draws.values[where[id(eff)]]
        )
    for parent in cpd.parents:  # network order: the broadcast grows axis by axis
        if parent in by_parent:
            w = w * placed(by_parent[parent], (parent,))
    full = (s, *(net[p].card for p in free), k)
    if w.shape == full and w.base is None and w.flags.writeable:  # normalise in place: no second full-size array
        w /= w.sum(axis=-1, keepdims=True)
        out = w
    else:
        w = np.broadcast_to(w, full)
        out = w / w.sum(axis=-1, keepdims=True)
    if cpd.node in fixed:
        out = out[..., fixed[cpd.node]]
    return out


def _effect_factors(cpd: LogLinearCPD, net: NetworkSpec, draws: Draws, where: dict[int, int]) -> dict[str, np.ndarray]:
    """Per parent with effects: ``(S, card of parent, K)`` odds-ratio multipliers (1 where no effect is stated)."""
    node = net[cpd.node]
    s = draws.n_samples
    by_parent: dict[str, np.ndarray] = {}
    for eff in cpd.effects:
        arr = by_parent.get(eff.parent)
        if arr is None:
            arr = by_parent[eff.parent] = np.ones((s, net[eff.parent].card, node.card))
        arr[:, net[eff.parent].states.index(eff.parent_state), node.states.index(eff.target)] = (
            draws.values[where[id(eff)]]
        )
    return by_parent


def _factor_loglinear(cpd: LogLinearCPD, net: NetworkSpec, draws: Draws, where: dict[int, int],
                      fixed: Mapping[str, int]) -> FactoredTable:
    """A log-linear CPT as its weight groups (see :class:`FactoredTable`).

    The two blocks ``wA * wB * (1 / Z)`` are built from them only when a consumer asks for ``factors``.
    """
    k = net[cpd.node].card
    s = draws.n_samples
    # the weight groups: base rates over the base parents, one odds-ratio factor per parent with effects
    base = np.stack([draws.values[where[id(r)]] for r in cpd.base_rows], axis=1)
    base = base.reshape((s, *(net[p].card for p in cpd.base_parents), k))
    groups: list[tuple[np.ndarray, tuple[str, ...]]] = [(base, tuple(cpd.base_parents))]
    groups += [(arr, (p,)) for p, arr in _effect_factors(cpd, net, draws, where).items()]
    const = np.ones((s, k))
    free_groups: list[tuple[np.ndarray, tuple[str, ...]]] = []
    for arr, axes in groups:
        arr = _slice(arr, axes, {a: fixed[a] for a in axes if a in fixed})
        axes = tuple(a for a in axes if a not in fixed)
        if axes:
            free_groups.append((arr, axes))
        else:
            const = const * arr
    return FactoredTable(weights=((const, ()), *free_groups), node=cpd.node, state=fixed.get(cpd.node),
                         order={n: i for i, n in enumerate(net.names)})


def _normaliser_blocks(weights, node: str, state: int | None,
                       order: Mapping[str, int]) -> tuple[tuple[np.ndarray, tuple[str, ...]], ...]:
    """``wA * wB * (1 / Z)``: a log-linear node's weight groups as two blocks and the inverse normaliser.

    The two weight blocks range over disjoint parent sets.

    The parents that carry weights are split, in network order, into two blocks of about equal size;
    ``Z(uA, uB) = wA(uA, :) . wB(uB, :)`` is one batched matrix product, so the cost is about ``|A| |B| K``
    multiply-adds and the largest array has ``|A| |B|`` entries.
    """
    (const, _), *free_groups = weights
    s, k = const.shape
    card = {a: arr.shape[1 + i] for arr, axes in free_groups for i, a in enumerate(axes)}
    # units: parents that share a group must stay in the same block (a base table over several parents)
    units: list[set[str]] = []
    for _, axes in free_groups:
        merged = set(axes)
        for u in [u for u in units if u & merged]:
            merged |= u
            units.remove(u)
        units.append(merged)
    units.sort(key=lambda u: min(map(order.__getitem__, u)))
    size = [int(np.prod([card[a] for a in u], dtype=np.int64)) for u in units]
    # block A = a prefix of the units, chosen to balance |A| and |B|
    cut = min(range(len(units) + 1),
              key=lambda i: max(int(np.prod(size[:i], dtype=np.int64)), int(np.prod(size[i:], dtype=np.int64))))
    block_axes = [tuple(sorted(set().union(*units[:cut]), key=order.__getitem__)),
                  tuple(sorted(set().union(*units[cut:]), key=order.__getitem__))]
    blocks: list[np.ndarray] = []
    for bi, axes in enumerate(block_axes):
        w = const.reshape((s,) + (1,) * len(axes) + (k,)) if bi == 0 else None
        for arr, gaxes in free_groups:
            if not set(gaxes) <= set(axes):
                continue
            shape = [s] + [1] * len(axes) + [k]
            perm = sorted(range(len(gaxes)), key=lambda j: axes.index(gaxes[j]))
            arr = arr.transpose([0, *(1 + j for j in perm), len(gaxes) + 1])
            for j in perm:
                shape[1 + axes.index(gaxes[j])] = card[gaxes[j]]
            arr = arr.reshape(shape)
            w = arr if w is None else w * arr
        if w is None:
            w = np.ones((s,) + (1,) * len(axes) + (k,))
        blocks.append(np.broadcast_to(w, (s, *(card[a] for a in axes), k)))
    wa, wb = blocks
    na = int(np.prod(wa.shape[1:-1], dtype=np.int64))
    nb = int(np.prod(wb.shape[1:-1], dtype=np.int64))
    # both operands C-contiguous: numpy hands a transposed (strided) operand of a batched product to a generic loop
    # about 20x slower than BLAS, so the small copy of wB in (S, K, |B|) layout pays for itself many times
    z = np.matmul(np.ascontiguousarray(wa.reshape(s, na, k)),
                  np.ascontiguousarray(wb.reshape(s, nb, k).transpose(0, 2, 1)))
    inv = np.reciprocal(z, out=z).reshape((s, *(card[a] for a in block_axes[0] + block_axes[1])))
    factors: list[tuple[np.ndarray, tuple[str, ...]]] = []
    for w, axes in zip(blocks, block_axes):
        if state is not None:
            factors.append((w[..., state], axes))
        else:
            factors.append((w, (*axes, node)))
    factors.append((inv, block_axes[0] + block_axes[1]))
    return tuple(factors)


def compile_node(spec: PriorSpec, net: NetworkSpec, draws: Draws, node: str, fixed: Mapping[str, int] | None = None,
                 _where: dict[int, int] | None = None) -> np.ndarray:
    """CPT of ``node`` for every parameter set in ``draws``, sliced by ``fixed`` (variable -> state index)."""
    where = _where if _where is not None else _param_index(spec)
    cpd = spec.cpds[node]
    fixed = fixed or {}
    if isinstance(cpd, TableCPD):
        return _compile_table(cpd, net, draws, where, fixed)
    return _compile_loglinear(cpd, net, draws, where, fixed)


def factor_node(spec: PriorSpec, net: NetworkSpec, draws: Draws, node: str, fixed: Mapping[str, int] | None = None,
                _where: dict[int, int] | None = None) -> np.ndarray | FactoredTable:
    """Like :func:`compile_node`, but a log-linear node comes back as a :class:`FactoredTable` (never materialised)."""
    cpd = spec.cpds[node]
    if isinstance(cpd, TableCPD):
        return compile_node(spec, net, draws, node, fixed, _where)
    return _factor_loglinear(cpd, net, draws, _where if _where is not None else _param_index(spec), fixed or {})


def compile_all(spec: PriorSpec, net: NetworkSpec, draws: Draws) -> dict[str, np.ndarray]:
    """Full CPTs of every node (no slicing)."""
    where = _param_index(spec)
    return {name: compile_node(spec, net, draws, name, None, where) for name in net.names}


class FullTables:
    """Table source over complete CPT arrays: slicing is a numpy view."""

    def __init__(self, net: NetworkSpec, tables: Mapping[str, np.ndarray]):
        self.net = net
        self.tables = dict(tables)
        self._axes = {v.name: (*v.parents, v.name) for v in net.variables}
        self.n_samples = max(int(t.shape[0]) for t in self.tables.values())

    def table(self, node: str, fixed: Mapping[str, int]) -> np.ndarray:
        """The CPT of ``node`` sliced at the states in ``fixed``, one leading axis per parameter set."""
        return _slice(self.tables[node], self._axes[node], fixed)

    def subset(self, start: int, stop: int) -> "FullTables":
        """The parameter sets ``start`` to ``stop`` (exclusive) only."""
        """Parameter sets ``start:stop`` (tables shared by every set, with a sample axis of 1, stay shared)."""
        return FullTables(self.net, {k: v if v.shape[0] == 1 else v[start:stop] for k, v in self.tables.items()})

    def with_table(self, node: str, table: np.ndarray) -> "FullTables":
        """A copy in which ``node`` has another CPT (same axes); broadcasting of the sample axis is allowed."""
        tables = dict(self.tables)
        tables[node] = table
        return FullTables(self.net, tables)


class DrawnTables:
    """Table source that compiles each node from parameter draws on demand, only for the unfixed states.

    Log-linear nodes are handed over factored (:class:`FactoredTable`), never as a full CPT; ``factored_nodes``
    names them, so the engine knows which tables to ask for by their weights.

    ``precision`` is "double" (the default: every exact query) or "single", which Monte-Carlo callers pass (the
    uncertainty draws, Sobol indices): the engine's fast path for a log-linear node may then compute in float32, at
    about half the time, within 1e-6 of double precision on every posterior (its module notes say how that is kept;
    the generic path stays in double precision).
    """

    def __init__(self, spec: PriorSpec, net: NetworkSpec, draws: Draws, *, precision: str = "double"):
        if precision not in ("double", "single"):
            raise ValueError(f"precision must be 'double' or 'single', not {precision!r}")
        self.spec, self.net, self.draws, self.precision = spec, net, draws, precision
        self.n_samples = draws.n_samples
        self._where = _param_index(spec)
        self.factored_nodes = frozenset(n for n, cpd in spec.cpds.items() if isinstance(cpd, LogLinearCPD))

    def table(self, node: str, fixed: Mapping[str, int]) -> np.ndarray | FactoredTable:
        """The CPT of ``node`` sliced at the states in ``fixed``; factored for a log-linear node."""
        return factor_node(self.spec, self.net, self.draws, node, fixed, self._where)

    def subset(self, start: int, stop: int) -> "DrawnTables":
        """The parameter sets ``start`` to ``stop`` (exclusive) only."""
        return DrawnTables(self.spec, self.net, self.draws.subset(start, stop), precision=self.precision)

