"""Exact inference by tensor contraction, batched over parameter sets.

For a query (target, which variables carry hard evidence, which carry soft evidence) the engine plans once:
it drops barren nodes (every node outside the ancestral set of the target and the evidence), removes the axes of
observed variables (their tables are sliced, never summed), groups tables that share their axes, and lets
opt_einsum choose one contraction order. The plan and the compiled contraction are cached and reused for every
later query with the same signature and batch size, whatever the observed states are. Both caches are bounded
(least recently used first out, :data:`bmes_bayes.limits.PLAN_CACHE` and :data:`~bmes_bayes.limits.CONTRACTION_CACHE`
entries), so a long session of ever new evidence signatures keeps its memory; :meth:`Engine.clear_cache` empties
them.

Speed: every pairwise step of the contraction path runs as one batched matrix product (``numpy.matmul`` over the
sample axis and the other shared axes), or as a broadcast product when nothing is summed; ``numpy.einsum`` would
run those steps as unblocked loops. A table source may hand over a log-linear node factored
(:class:`~bmes_bayes.compile.FactoredTable`), so the largest CPT is never written out. Large batches are evaluated in
sub-batches so that the largest array stays under :data:`BATCH_BYTES`; each parameter set's result does not depend
on how many others are evaluated with it.

Numerics: tables of observed variables are rescaled to a maximum of 1 (the scale is carried in log space), so
evidence with a probability far below 1e-300 still gives a posterior. When the contraction still underflows, the
engine checks exactly (by contracting the 0/1 support of every table) whether the evidence is impossible, and if it
is not, contracts again in log space.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import opt_einsum as oe

from .. import limits
from .._graph import ancestors
from ..compile import FactoredTable, TableSource
from ..spec import NetworkSpec
from . import loglinear as _fastpath

__all__ = ["Engine", "ZeroEvidence", "QueryResult", "BATCH_BYTES"]

# the largest table or factor of one sub-batch stays under this many bytes: below glibc's largest dynamic mmap
# threshold (32 MiB), so a freed table's memory is reused by the next sub-batch instead of being handed back to the
# kernel and faulted in again (at 64 MiB a no-evidence run on the generic path spent 1.6 s of 4 in the kernel)
BATCH_BYTES = 24 * 2**20


NORMAL_FLOOR = 1e-290      # a contraction whose total falls below this is redone in log space (see Engine._query)


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
    out: str                                    # output term of the contraction
    fixed_axes: dict[str, tuple[str, ...]]      # per node: which of its axes are fixed by hard evidence
    free_size: int = 1                          # entries per parameter set of the largest sliced table


class _Cache:
    """A bounded, thread-safe least-recently-used mapping.

    Its size is read from :mod:`bmes_bayes.limits` at each insertion (``limit``: the attribute's name), so raising the
    bound there takes effect at once.
    """

    def __init__(self, limit: str):
        self._limit = limit
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            bound = max(1, int(getattr(limits, self._limit)))
            while len(self._data) > bound:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    def __getstate__(self) -> dict:
        """A copy of a model (pickled, e.g. sent to a Dask worker) starts with an empty cache and its own lock."""
        return {"_limit": self._limit}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["_limit"])  # type: ignore[misc]  # re-initialise this instance after unpickling


class Engine:
    """Exact posterior queries on one network structure; tables come from a :class:`TableSource`.

    Parameters
    ----------
    net : NetworkSpec
        The network structure queried.

    Notes
    -----
    ``fast`` (a class attribute, True by default) lets a query whose source hands over a log-linear node by its
    weights take the exact fast path of :mod:`bmes_bayes.inference.loglinear`; set it to False on an instance to
    force the generic contraction (the tests compare the two).
    """

    fast = True

    def __init__(self, net: NetworkSpec):
        self.net = net
        self._ancestors = ancestors({v.name: v.parents for v in net.variables})
        self._order = {n: i for i, n in enumerate(net.names)}
        self._symbol = {n: oe.get_symbol(i + 1) for i, n in enumerate(net.names)}
        self._plans = _Cache("PLAN_CACHE")
        self._fast_plans = _Cache("PLAN_CACHE")
        self._contractions = _Cache("CONTRACTION_CACHE")

    def clear_cache(self) -> None:
        """Forget every cached plan and contraction (they are rebuilt on demand; results do not change)."""
        self._plans.clear()
        self._fast_plans.clear()
        self._contractions.clear()

    # ------------------------------------------------------------------------------------- planning
    def relevant_nodes(self, target: str, hard: frozenset[str], soft: frozenset[str]) -> tuple[str, ...]:
        """The ancestral set of the target and the evidence, in network order (the nodes a query contracts)."""
        return self._plan(target, hard, soft).nodes

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
        out = s if target in hard else s + self._symbol[target]
        free_size = max([int(np.prod([self.net[a].card for a in g.axes], dtype=np.int64)) for g in groups.values()]
                        or [1])
        plan = _Plan(
            target=target, target_observed=target in hard, nodes=nodes, groups=list(groups.values()),
            scalars=scalars, soft=tuple(sorted(soft, key=self._order.__getitem__)), out=out, fixed_axes=fixed_axes,
            free_size=free_size,
        )
        self._plans.put(key, plan)
        return plan

    # ------------------------------------------------------------------------------------- operands
    def _term(self, axes: tuple[str, ...]) -> str:
        return oe.get_symbol(0) + "".join(self._symbol[a] for a in axes)

    def _operands(self, plan: _Plan, source: TableSource, hard: Mapping[str, int], soft: Mapping[str, np.ndarray],
                  mode: str, skip: str | None = None) -> tuple[list[np.ndarray], str, np.ndarray]:
        """Operands of the contraction, its equation, and the log of the constant factored out, per sample.

        ``mode`` is "scaled" (observed tables rescaled to max 1), "support" (0/1 tables) or "log" (log tables).
        Tables that share their axes are multiplied into one operand; a factored table adds one operand per factor.
        The table of ``skip`` is left out (the fast path handles it).
        """
        n = source.n_samples
        log_const = np.zeros(n)
        ops: list[np.ndarray] = []
        terms: list[str] = []

        def convert(t: np.ndarray) -> np.ndarray:
            if mode == "support":
                return (t > 0).astype(float)
            if mode == "log":
                with np.errstate(divide="ignore"):
                    return np.log(t)
            return t

        for group in plan.groups:
            acc = None
            for node, perm, observed in group.members:
                if node == skip:
                    continue
                t = source.table(node, {a: hard[a] for a in plan.fixed_axes[node]})
                if isinstance(t, FactoredTable):
                    for arr, axes in t.factors:
                        ops.append(convert(arr))
                        terms.append(self._term(axes))
                    continue
                if perm is not None:
                    t = t.transpose(perm)
                if mode == "scaled" and observed:
                    top = t.max(axis=tuple(range(1, t.ndim)), keepdims=True)
                    top = np.where(top > 0, top, 1.0)
                    t = t / top
                    log_const = log_const + np.log(top.reshape(-1))
                else:
                    t = convert(t)
                if acc is None:
                    acc = t
                else:
                    acc = acc + t if mode == "log" else acc * t
            if acc is not None:
                ops.append(acc)
                terms.append(self._term(group.axes))
        for node in plan.scalars:
            t = source.table(node, {a: hard[a] for a in plan.fixed_axes[node]})
            if isinstance(t, FactoredTable):  # every axis observed: the factors are per-sample scalars
                t = np.prod([arr.reshape(-1) for arr, _ in t.factors], axis=0)
            t = t.reshape(-1)
            with np.errstate(divide="ignore"):
                log_const = log_const + (np.log(t) if mode != "support" else np.log((t > 0).astype(float)))
        n_tables = len(ops)
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
            terms.append(self._symbol[v])
        # every table operand must carry the full batch on its sample axis
        width = max([n] + [op.shape[0] for op in ops[:n_tables]])
        ops = [op if i >= n_tables or op.shape[0] == width else np.broadcast_to(op, (width, *op.shape[1:]))
               for i, op in enumerate(ops)]
        if log_const.shape[0] != width:
            log_const = np.broadcast_to(log_const, (width,)).copy()
        return ops, ",".join(terms) + "->" + plan.out, log_const

    def _contract(self, eq: str, ops: list[np.ndarray]) -> np.ndarray:
        key = (eq, tuple(op.shape for op in ops))
        fn = self._contractions.get(key)
        if fn is None:
            fn = _Contraction(eq, key[1])
            self._contractions.put(key, fn)
        return fn(ops)

    # ------------------------------------------------------------------------------------- queries
    def batch_size(self, plan: _Plan) -> int:
        """Parameter sets per sub-batch: the largest sliced table of one sub-batch stays under BATCH_BYTES."""
        return max(1, BATCH_BYTES // (8 * plan.free_size))

    def query(self, source: TableSource, hard: Mapping[str, int], soft: Mapping[str, np.ndarray],
              target: str) -> QueryResult:
        """P(target | evidence) for every parameter set of ``source``, in sub-batches of bounded size.

        Raises
        ------
        ZeroEvidence
            When the evidence is impossible (exactly zero probability) for some parameter set.
        """
        plan = self._plan(target, frozenset(hard), frozenset(soft))
        if self.fast:
            result = _fastpath.query(self, plan, source, hard, soft)
            if result is not None:
                return QueryResult(*result)
        n, step = source.n_samples, self.batch_size(plan)
        if n <= step or not hasattr(source, "subset"):
            return self._query(plan, source, hard, soft)
        parts = [self._query(plan, source.subset(i, min(n, i + step)), hard, soft) for i in range(0, n, step)]
        return QueryResult(np.concatenate([p.posterior for p in parts]),
                           np.concatenate([p.log_evidence for p in parts]))

    def _query(self, plan: _Plan, source: TableSource, hard: Mapping[str, int],
               soft: Mapping[str, np.ndarray]) -> QueryResult:
        target = plan.target
        ops, eq, log_const = self._operands(plan, source, hard, soft, "scaled")
        raw = self._contract(eq, ops) if ops else np.ones_like(log_const)
        if plan.target_observed:
            raw = raw.reshape(-1, 1)
        z = raw.sum(axis=1)
        # below NORMAL_FLOOR the sum is made of subnormal numbers, which keep too few digits (a posterior of (0, 1)
        # instead of (0.3, 0.7)): those parameter sets are contracted again in log space
        bad = ~(np.isfinite(log_const) & (z > NORMAL_FLOOR) & np.isfinite(z))
        if bad.any():
            if not self._possible(plan, source, hard, soft).all():
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
        n, step = source.n_samples, self.batch_size(plan)
        if n <= step or not hasattr(source, "subset"):
            return self._possible(plan, source, hard, soft)
        return np.concatenate([self._possible(plan, source.subset(i, min(n, i + step)), hard, soft)
                               for i in range(0, n, step)])

    def _possible(self, plan: _Plan, source: TableSource, hard: Mapping[str, int],
                  soft: Mapping[str, np.ndarray]) -> np.ndarray:
        ops, eq, log_const = self._operands(plan, source, hard, soft, "support")
        count = self._contract(eq, ops) if ops else np.ones_like(log_const)
        count = count.reshape(count.shape[0], -1).sum(axis=1)
        return (count > 0) & np.isfinite(log_const)

    def _log_query(self, plan, source, hard, soft, raw, z, log_const, bad):
        """Recompute the samples that underflowed with a log-space contraction along the same path."""
        ops, eq, lconst = self._operands(plan, source, hard, soft, "log")
        logs = _log_contract(eq, ops)
        if plan.target_observed:
            logs = logs.reshape(-1, 1)
        top = logs.max(axis=1, keepdims=True)
        rescaled = np.exp(logs - top)
        raw = np.where(bad[:, None], rescaled, raw)
        new_z = rescaled.sum(axis=1)
        log_const = np.where(bad, lconst + top[:, 0], log_const)
        z = np.where(bad, new_z, z)
        return raw, z, log_const


class _Contraction:
    """One contraction equation for fixed operand shapes: the opt_einsum path, run as batched matrix products."""

    def __init__(self, eq: str, shapes: tuple[tuple[int, ...], ...], optimize: str = "auto"):
        self.eq = eq
        inputs, out = eq.split("->")
        terms = inputs.split(",")
        dim: dict[str, int] = {}
        for t, shape in zip(terms, shapes):
            dim.update(zip(t, shape))
        size = lambda t: int(np.prod([dim[c] for c in t], dtype=np.int64))  # noqa: E731
        # 1. absorb every operand into the smallest other operand whose axes contain its own (a Hadamard product
        #    that grows nothing), never into the largest operand: fewer terms for the path search, and the small
        #    factors meet each other before they meet the big one
        self.steps: list[tuple[tuple[int, ...], str]] = []
        shapes_left = list(shapes)
        while True:
            largest = max(size(t) for t in terms)
            merge = None
            for i, ti in enumerate(terms):
                into = [j for j, tj in enumerate(terms) if j != i and set(ti) <= set(tj) and size(tj) < largest
                        and (set(ti) != set(tj) or i < j)]
                if into:
                    merge = (i, min(into, key=lambda j: size(terms[j])))
                    break
            if merge is None:
                break
            i, j = merge
            self.steps.append(((i, j), f"{terms[i]},{terms[j]}->{terms[j]}"))
            kept_term, kept_shape = terms[j], shapes_left[j]
            for k in sorted(merge, reverse=True):
                del terms[k]
                del shapes_left[k]
            terms.append(kept_term)
            shapes_left.append(kept_shape)
        # 2. a path for what is left; with few operands the search is exhaustive enough to be good, and cheap
        opt = optimize if optimize != "auto" else ("branch-2" if len(terms) <= 10 else "greedy")
        _, info = oe.contract_path(",".join(terms) + "->" + out, *shapes_left, shapes=True, optimize=opt)
        self.steps += [(tuple(positions), step_eq) for positions, _, step_eq, _, _ in info.contraction_list]
        self.largest = int(info.largest_intermediate)

    def __call__(self, ops: list[np.ndarray]) -> np.ndarray:
        arrays = list(ops)
        if not self.steps:
            return np.einsum(self.eq, *arrays)
        for positions, step_eq in self.steps:
            picked = [arrays[i] for i in positions]
            for i in sorted(positions, reverse=True):
                del arrays[i]
            ins, out = step_eq.split("->")
            terms = ins.split(",")
            if len(picked) == 2 and picked[0].size + picked[1].size > SMALL_STEP:
                arrays.append(_pairwise(picked[0], terms[0], picked[1], terms[1], out))
            else:  # small steps (single queries): numpy's C einsum costs less than arranging a matmul
                arrays.append(np.einsum(step_eq, *picked))
        (result,) = arrays
        return result


SMALL_STEP = 4096  # elements in a pairwise step below which np.einsum beats a batched matmul


def _blas(x: np.ndarray) -> np.ndarray:
    """``x`` C-contiguous.

    Numpy runs a batched product with a strided (e.g. transposed-view) operand in a generic loop about 20x slower than
    BLAS, so copying the operand first is much the cheaper path.
    """
    return x if x.flags.c_contiguous else np.ascontiguousarray(x)


def _pairwise(a: np.ndarray, ta: str, b: np.ndarray, tb: str, out: str) -> np.ndarray:
    """``einsum(f"{ta},{tb}->{out}", a, b)`` as one batched matrix product (or a broadcast product).

    Axes are ordered as they lie in the larger operand, so that it is used in place (no transposed copy) whenever
    its layout allows it; only the smaller operand and the result are rearranged.
    """
    def private_sum(x: np.ndarray, t: str, other: str) -> tuple[np.ndarray, str]:
        drop = tuple(i for i, c in enumerate(t) if c not in other and c not in out)
        if not drop:
            return x, t
        return x.sum(axis=drop), "".join(c for c in t if c in other or c in out)

    a, ta = private_sum(a, ta, tb)
    b, tb = private_sum(b, tb, ta)
    if a.size < b.size:
        a, ta, b, tb = b, tb, a, ta
    size = {c: a.shape[i] for i, c in enumerate(ta)}
    size.update({c: b.shape[i] for i, c in enumerate(tb)})
    dims = lambda cs: [size[c] for c in cs]  # noqa: E731
    prod = lambda cs: int(np.prod(dims(cs), dtype=np.int64))  # noqa: E731
    batch = [c for c in ta if c in tb and c in out]
    free_a = [c for c in ta if c not in tb]
    free_b = [c for c in tb if c not in ta]
    con = [c for c in ta if c in tb and c not in out]
    if not con:
        shared = [c for c in ta if c in tb]
        y = b.transpose([tb.index(c) for c in shared + free_b])
        y = y.reshape([size[c] if c in tb else 1 for c in ta] + dims(free_b))
        res = a.reshape(a.shape + (1,) * len(free_b)) * y
        order = list(ta) + free_b
    else:
        pos = {c: i for i, c in enumerate(ta)}
        con_first = bool(free_a) and max(pos[c] for c in con) < min(pos[c] for c in free_a)
        if con_first:   # a is laid out (batch, con, free_a): result^T = b^T a
            x = a.transpose([pos[c] for c in batch + con + free_a]).reshape(prod(batch), prod(con), prod(free_a))
            y = b.transpose([tb.index(c) for c in batch + free_b + con]).reshape(prod(batch), prod(free_b), prod(con))
            res = np.matmul(_blas(y), _blas(x)).reshape(dims(batch) + dims(free_b) + dims(free_a))
            order = batch + free_b + free_a
        else:           # a is laid out (batch, free_a, con)
            x = a.transpose([pos[c] for c in batch + free_a + con]).reshape(prod(batch), prod(free_a), prod(con))
            y = b.transpose([tb.index(c) for c in batch + con + free_b]).reshape(prod(batch), prod(con), prod(free_b))
            res = np.matmul(_blas(x), _blas(y)).reshape(dims(batch) + dims(free_a) + dims(free_b))
            order = batch + free_a + free_b
    return res if order == list(out) else res.transpose([order.index(c) for c in out])


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
        total: Any = 0.0
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
