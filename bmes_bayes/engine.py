"""Exact inference by tensor contraction, batched over parameter sets.

For a query (target, which variables carry hard evidence, which carry soft evidence) the engine plans once:
it drops barren nodes (every node outside the ancestral set of the target and the evidence), removes the axes of
observed variables (their tables are sliced, never summed), groups tables that share their axes, and lets
opt_einsum choose one contraction order. The plan and the compiled contraction are cached and reused for every
later query with the same signature and batch size, whatever the observed states are.

Numerics: tables of observed variables are rescaled to a maximum of 1 (the scale is carried in log space), so
evidence with a probability far below 1e-300 still gives a posterior. When the contraction still underflows, the
engine checks exactly (by contracting the 0/1 support of every table) whether the evidence is impossible, and if it
is not, contracts again in log space.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import opt_einsum as oe

from .cpt import TableSource
from .spec import NetworkSpec

__all__ = ["Engine", "ZeroEvidence", "QueryResult"]


class ZeroEvidence(Exception):
    """Internal: the evidence has probability exactly zero for some parameter set."""


@dataclass(frozen=True)
class QueryResult:
    """Normalised posterior ``(S, K)`` of the target and ``log P(evidence)`` per parameter set ``(S,)``."""

    posterior: np.ndarray
    log_evidence: np.ndarray


@dataclass
class _Group:
    axes: tuple[str, ...]                       # canonical (network-order) axes without the sample axis
    members: list[tuple[str, tuple[int, ...] | None, bool]]  # (node, transpose or None, node is observed)


@dataclass
class _Plan:
    target: str
    target_observed: bool
    nodes: tuple[str, ...]
    groups: list[_Group]
    scalars: list[str]                          # nodes whose table is fully sliced away
    soft: tuple[str, ...]
    eq: str
    fixed_axes: dict[str, tuple[str, ...]]      # per node: which of its axes are fixed by hard evidence
    expressions: dict[int, object] = field(default_factory=dict)


class Engine:
    """Exact posterior queries on one network structure; tables come from a :class:`TableSource`."""

    def __init__(self, net: NetworkSpec):
        self.net = net
        graph = nx.DiGraph()
        graph.add_nodes_from(net.names)
        for v in net.variables:
            graph.add_edges_from((p, v.name) for p in v.parents)
        self._ancestors = {n: frozenset(nx.ancestors(graph, n)) for n in net.names}
        self._order = {n: i for i, n in enumerate(net.names)}
        self._symbol = {n: oe.get_symbol(i + 1) for i, n in enumerate(net.names)}
        self._plans: dict[tuple, _Plan] = {}

    # ------------------------------------------------------------------------------------- planning
    def _plan(self, target: str, hard: frozenset[str], soft: frozenset[str]) -> _Plan:
        key = (target, hard, soft)
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        keep = {target} | hard | soft
        for n in list(keep):
            keep |= self._ancestors[n]
        nodes = tuple(n for n in self.net.names if n in keep)
        groups: dict[tuple[str, ...], _Group] = {}
        scalars: list[str] = []
        fixed_axes: dict[str, tuple[str, ...]] = {}
        for n in nodes:
            axes = (*self.net[n].parents, n)
            fixed_axes[n] = tuple(a for a in axes if a in hard)
            free = tuple(a for a in axes if a not in hard)
            if not free:
                scalars.append(n)
                continue
            canon = tuple(sorted(free, key=self._order.__getitem__))
            perm = None if canon == free else tuple([0] + [1 + free.index(a) for a in canon])
            groups.setdefault(canon, _Group(canon, [])).members.append((n, perm, n in hard))
        s = oe.get_symbol(0)
        terms = [s + "".join(self._symbol[a] for a in g.axes) for g in groups.values()]
        terms += [self._symbol[v] for v in sorted(soft, key=self._order.__getitem__)]
        out = s if target in hard else s + self._symbol[target]
        eq = ",".join(terms) + "->" + out
        plan = _Plan(
            target=target, target_observed=target in hard, nodes=nodes, groups=list(groups.values()),
            scalars=scalars, soft=tuple(sorted(soft, key=self._order.__getitem__)), eq=eq, fixed_axes=fixed_axes,
        )
        self._plans[key] = plan
        return plan

    # ------------------------------------------------------------------------------------- operands
    def _operands(self, plan: _Plan, source: TableSource, hard: Mapping[str, int], soft: Mapping[str, np.ndarray],
                  mode: str) -> tuple[list[np.ndarray], np.ndarray]:
        """Operands of the contraction and the log of the constant factored out, per sample.

        ``mode`` is "scaled" (observed tables rescaled to max 1), "support" (0/1 tables) or "log" (log tables).
        """
        n = source.n_samples
        log_const = np.zeros(n)
        ops: list[np.ndarray] = []
        for group in plan.groups:
            acc = None
            for node, perm, observed in group.members:
                t = source.table(node, {a: hard[a] for a in plan.fixed_axes[node]})
                if perm is not None:
                    t = t.transpose(perm)
                if mode == "support":
                    t = (t > 0).astype(float)
                elif mode == "log":
                    with np.errstate(divide="ignore"):
                        t = np.log(t)
                elif observed:
                    top = t.max(axis=tuple(range(1, t.ndim)), keepdims=True)
                    top = np.where(top > 0, top, 1.0)
                    t = t / top
                    log_const = log_const + np.log(top.reshape(-1))
                if acc is None:
                    acc = t
                else:
                    acc = acc + t if mode == "log" else acc * t
            ops.append(acc)
        for node in plan.scalars:
            t = source.table(node, {a: hard[a] for a in plan.fixed_axes[node]}).reshape(-1)
            with np.errstate(divide="ignore"):
                log_const = log_const + (np.log(t) if mode != "support" else np.log((t > 0).astype(float)))
        for v in plan.soft:
            vec = np.asarray(soft[v], dtype=float)
            if mode == "support":
                ops.append((vec > 0).astype(float))
            elif mode == "log":
                with np.errstate(divide="ignore"):
                    ops.append(np.log(vec))
            else:
                top = vec.max()
                ops.append(vec / top)
                log_const = log_const + np.log(top)
        # every operand must carry the full batch on its sample axis
        width = max([n] + [op.shape[0] for op in ops[: len(plan.groups)]])
        ops = [op if i >= len(plan.groups) or op.shape[0] == width else np.broadcast_to(op, (width, *op.shape[1:]))
               for i, op in enumerate(ops)]
        if log_const.shape[0] != width:
            log_const = np.broadcast_to(log_const, (width,)).copy()
        return ops, log_const

    def _contract(self, plan: _Plan, ops: list[np.ndarray]) -> np.ndarray:
        shapes = tuple(op.shape for op in ops)
        expr = plan.expressions.get(hash(shapes))
        if expr is None:
            expr = plan.expressions[hash(shapes)] = oe.contract_expression(plan.eq, *shapes, optimize="auto")
        return expr(*ops)

    # ------------------------------------------------------------------------------------- queries
    def query(self, source: TableSource, hard: Mapping[str, int], soft: Mapping[str, np.ndarray],
              target: str) -> QueryResult:
        """P(target | evidence) for every parameter set of ``source``.

        Raises
        ------
        ZeroEvidence
            When the evidence is impossible (exactly zero probability) for some parameter set.
        """
        plan = self._plan(target, frozenset(hard), frozenset(soft))
        ops, log_const = self._operands(plan, source, hard, soft, "scaled")
        raw = self._contract(plan, ops) if ops else np.ones_like(log_const)
        if plan.target_observed:
            raw = raw.reshape(-1, 1)
        z = raw.sum(axis=1)
        bad = ~(np.isfinite(log_const) & (z > 0) & np.isfinite(z))
        if bad.any():
            if not self.possible(source, hard, soft, target, plan=plan).all():
                raise ZeroEvidence()
            raw, z, log_const = self._log_query(plan, source, hard, soft, raw, z, log_const, bad)
        post = raw / z[:, None]
        if plan.target_observed:
            k = self.net[target].card
            post = np.zeros((post.shape[0], k))
            post[:, hard[target]] = 1.0
        return QueryResult(post, log_const + np.log(z))

    def possible(self, source: TableSource, hard: Mapping[str, int], soft: Mapping[str, np.ndarray],
                 target: str | None = None, *, plan: _Plan | None = None) -> np.ndarray:
        """Whether the evidence has non-zero probability, per parameter set: exact, by counting support."""
        if plan is None:
            target = target if target is not None else (next(iter(hard), None) or next(iter(soft)))
            plan = self._plan(target, frozenset(hard), frozenset(soft))
        ops, log_const = self._operands(plan, source, hard, soft, "support")
        count = self._contract(plan, ops) if ops else np.ones_like(log_const)
        count = count.reshape(count.shape[0], -1).sum(axis=1)
        return (count > 0) & np.isfinite(log_const)

    def _log_query(self, plan, source, hard, soft, raw, z, log_const, bad):
        """Recompute the samples that underflowed with a log-space contraction along the same path."""
        ops, lconst = self._operands(plan, source, hard, soft, "log")
        logs = _log_contract(plan.eq, ops)
        if plan.target_observed:
            logs = logs.reshape(-1, 1)
        top = logs.max(axis=1, keepdims=True)
        rescaled = np.exp(logs - top)
        raw = np.where(bad[:, None], rescaled, raw)
        new_z = rescaled.sum(axis=1)
        log_const = np.where(bad, lconst + top[:, 0], log_const)
        z = np.where(bad, new_z, z)
        return raw, z, log_const


def _log_contract(eq: str, log_ops: list[np.ndarray]) -> np.ndarray:
    """Contract ``eq`` on operands given as logs; returns the log of the result (a log-sum-exp einsum)."""
    inputs, output = eq.split("->")
    terms = inputs.split(",")
    arrays = list(log_ops)
    if not arrays:
        return np.zeros(())
    _, info = oe.contract_path(eq, *[np.exp(np.minimum(a, 0)) for a in arrays], optimize="auto")
    for positions, _, step_eq, _, _ in info.contraction_list:
        step_in, step_out = step_eq.split("->")
        step_terms = step_in.split(",")
        picked = [arrays[i] for i in positions]
        for i in sorted(positions, reverse=True):
            del arrays[i]
            del terms[i]
        union = "".join(dict.fromkeys("".join(step_terms)))
        total = 0.0
        for arr, term in zip(picked, step_terms):
            # move the operand's axes into union order, with size-1 axes for labels it lacks
            order = sorted(range(len(term)), key=lambda j: union.index(term[j]))
            arr = np.transpose(arr, order)
            shape = [1] * len(union)
            for j in order:
                shape[union.index(term[j])] = arr.shape[order.index(j)]
            total = total + arr.reshape(shape)
        drop = tuple(i for i, c in enumerate(union) if c not in step_out)
        if drop:
            top = np.max(total, axis=drop, keepdims=True)
            top_safe = np.where(np.isfinite(top), top, 0.0)
            with np.errstate(divide="ignore"):
                total = np.log(np.sum(np.exp(total - top_safe), axis=drop, keepdims=True)) + top_safe
            total = np.squeeze(total, axis=drop)
        kept = "".join(c for c in union if c in step_out)
        total = np.transpose(total, [kept.index(c) for c in step_out]) if kept != step_out else total
        arrays.append(total)
        terms.append(step_out)
    (result,) = arrays
    return result
