"""Compile parameter values into conditional probability tables.

A table for node X has shape ``(S, *cards of X's parents, card of X)``: a leading sample axis, then the parents in
network order, then X. The engine asks a *table source* for tables already sliced by the hard evidence
(``fixed``), so a log-linear node with many parents is only ever built for the parent states the evidence allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

from .parameters import Draws
from .spec import LogLinearCPD, NetworkSpec, PriorSpec, TableCPD

__all__ = ["TableSource", "FullTables", "DrawnTables", "compile_node", "compile_all"]


class TableSource(Protocol):
    """Anything that hands the engine CPTs sliced by evidence."""

    n_samples: int

    def table(self, node: str, fixed: Mapping[str, int]) -> np.ndarray:
        """CPT of ``node`` with the axes of ``fixed`` variables removed: ``(S, *unfixed parents, [node])``."""
        ...


def _slice(arr: np.ndarray, axes: tuple[str, ...], fixed: Mapping[str, int]) -> np.ndarray:
    if not fixed:
        return arr
    idx = tuple([slice(None)] + [fixed.get(a, slice(None)) for a in axes])  # type: ignore[misc]
    return arr[idx]


def _param_index(spec: PriorSpec) -> dict[int, int]:
    return {id(p): i for i, p in enumerate(spec.parameters)}


def _compile_table(cpd: TableCPD, net: NetworkSpec, draws: Draws, where: dict[int, int], fixed: Mapping[str, int]) -> np.ndarray:
    rows = np.stack([draws.values[where[id(r)]] for r in cpd.rows], axis=1)  # (S, n_rows, K)
    shape = (rows.shape[0], *(net[p].card for p in cpd.parents), net[cpd.node].card)
    return _slice(rows.reshape(shape), (*cpd.parents, cpd.node), fixed)


def _compile_loglinear(cpd: LogLinearCPD, net: NetworkSpec, draws: Draws, where: dict[int, int], fixed: Mapping[str, int]) -> np.ndarray:
    node = net[cpd.node]
    k = node.card
    s = draws.n_samples
    free = [p for p in cpd.parents if p not in fixed]

    def placed(arr: np.ndarray, parents: tuple[str, ...]) -> np.ndarray:
        """``arr`` with axes (S, *parents, K): fix what is fixed, put the rest on its axis of the output.

        ``parents`` is in network order, as ``free`` is, so the kept axes are already in output order."""
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
    w = np.broadcast_to(w, (s, *(net[p].card for p in free), k))
    out = w / w.sum(axis=-1, keepdims=True)
    if cpd.node in fixed:
        out = out[..., fixed[cpd.node]]
    return out


def compile_node(spec: PriorSpec, net: NetworkSpec, draws: Draws, node: str, fixed: Mapping[str, int] | None = None,
                 _where: dict[int, int] | None = None) -> np.ndarray:
    """CPT of ``node`` for every parameter set in ``draws``, sliced by ``fixed`` (variable -> state index)."""
    where = _where if _where is not None else _param_index(spec)
    cpd = spec.cpds[node]
    fixed = fixed or {}
    if isinstance(cpd, TableCPD):
        return _compile_table(cpd, net, draws, where, fixed)
    return _compile_loglinear(cpd, net, draws, where, fixed)


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
        first = next(iter(self.tables.values()))
        self.n_samples = int(first.shape[0])

    def table(self, node: str, fixed: Mapping[str, int]) -> np.ndarray:
        return _slice(self.tables[node], self._axes[node], fixed)

    def with_table(self, node: str, table: np.ndarray) -> "FullTables":
        """A copy in which ``node`` has another CPT (same axes); broadcasting of the sample axis is allowed."""
        tables = dict(self.tables)
        tables[node] = table
        return FullTables(self.net, tables)


class DrawnTables:
    """Table source that compiles each node from parameter draws on demand, only for the unfixed states."""

    def __init__(self, spec: PriorSpec, net: NetworkSpec, draws: Draws):
        self.spec, self.net, self.draws = spec, net, draws
        self.n_samples = draws.n_samples
        self._where = _param_index(spec)

    def table(self, node: str, fixed: Mapping[str, int]) -> np.ndarray:
        return compile_node(self.spec, self.net, self.draws, node, fixed, self._where)

