"""The exact fast path of the contraction engine for a log-linear node with many parents.

A log-linear node ``X`` (:class:`~bmes_bayes.compile.FactoredTable` with ``weights``) has
``P(x | u) = prod_j w_j(u_j, x) / Z(u)``, ``Z(u) = sum_x prod_j w_j(u_j, x)``. ``1 / Z`` does not factor over the
parents, so it is needed at every parent configuration the evidence allows; the generic path builds it as one
table and then contracts it with everything else. Here, instead:

1. every variable of the query other than ``X``, its weighted parents ``U`` and the target is summed out first,
   component by component (each component's tables contracted down to the variables of ``U``/``X``/target it
   touches), so what is left are small factors over subsets of ``U + {X, target}``;
2. a few parents ``C`` are conditioned on (chosen by degree in the graph those factors make over ``U``) until the
   other parents fall apart into components, which are packed into two blocks ``A`` and ``B`` of about equal size;
   given ``c``, the prior of ``U`` and the weights factor into an ``A`` part and a ``B`` part;
3. per parameter set and ``c``: ``Z = WA WB^T`` (one matrix product, inner dimension ``K``), ``1/Z`` in place, and
   ``T = (1/Z) VB`` (one matrix product, inner dimension ``|B|``, computed as its transpose), where ``VA``, ``VB``
   are the weights times the prior and likelihood factors of each block; the result is
   ``sum_c VC(c, x) sum_a VA(a, x) T(a, x)``.

Parameter sets whose normaliser operands (all the weights, the prior of ``B``) are bit for bit the same share the two
products, and only the sum over ``A`` is done per set: Sobol's cross-sample repeats them in every row that changes
only a finding's likelihood or a prior outside ``B`` (about a quarter of its rows for a hip with sudden onset). Each
block operand (and each weight factor, taken and scaled) is then made once for the groups that agree on its own inputs
(:func:`_distinct`): most rows of the cross-sample change one block only. Draws from the priors never repeat, and
cost only the searches (about 1% of a query).

Block configurations whose prior is exactly zero under every parameter set (a pregnant man) are dropped before the
products: they contribute exactly zero. Every block operand is built with the states of ``X`` first (``(S, C, X,
rows)``), the layout in which the products read them fastest (as transposed views, no copies) and in which the
products of the blocks' factors have long inner loops; sub-batches are sized by the real operand sizes
(:data:`FAST_BYTES`), so the temporaries stay in cache.

The result is exact (the same sums in another order: agreement with the generic path to rounding). A source of
parameter draws for Monte-Carlo may ask for single precision (``source.precision == "single"``, see
:class:`~bmes_bayes.compile.DrawnTables`): the block operands and both products are then float32 (about half the
time), the sum over ``C`` and the normalisation float64; each factor is scaled to a maximum of 1 per parameter set
(the scales go into ``log P(evidence)``) and each weight factor too (its scale cancels in ``1 / Z``), so every
operand is at most 1 and no product overflows. What float32 could lose is an operand below its smallest normal
number (about 1.2e-38); such a term is multiplied by at most ``1 / min Z`` later. ``L = sum_x prod_j min_u w_j(u,
x)`` (over the weight factors) is a lower bound of every ``Z`` of a parameter set that costs nothing beside it, so
when ``n_configs * 1.2e-38 / L`` is not below ``SINGLE_LOSS`` of the result for every parameter set (or the result is
not finite), the query is evaluated again in double precision (none of the 27 shipped scenarios needs that). The
agreement with double precision (within 1e-6 on every posterior) is measured in ``tests/inference/test_loglinear.py``.

When the structure does not fit (the node observed, several log-linear nodes, a target factor spanning both blocks) or the
result underflows or is zero (impossible evidence), :func:`query` returns None and the engine takes its generic path,
which also decides impossible evidence and the log-space retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import opt_einsum as oe

from ..compile import FactoredTable

__all__ = ["query", "FAST_BYTES", "SINGLE_LOSS"]

FAST_BYTES = 4 * 2**20   # the normaliser of one sub-batch (parameter sets x C x A x B doubles) stays under this

BLOCK_BYTES = 8 * 2**20   # one block operand (parameter sets x C x block x X doubles) of a batch stays under this

NORMAL_FLOOR = 1e-290    # as the engine's: below this the generic path (with its log-space retry) takes over

SINGLE_LOSS = 1e-9       # single precision: the most that underflow may take from a result, relative to it


@dataclass(frozen=True)
class _Layout:
    """The structure of one fast query: what to contract first, the conditioning set and the two blocks."""

    node: str                                    # the log-linear node X
    target: str
    components: tuple[tuple[tuple[int, ...], str], ...]  # (operand indices, equation) summed out first
    passed: tuple[int, ...]                      # operands used as they are
    c_vars: tuple[str, ...]
    a_vars: tuple[str, ...]
    b_vars: tuple[str, ...]
    factor_terms: tuple[str, ...]                # terms of the factors after step 1 (passed, then messages)
    level: tuple[str, ...]                       # per factor: "C", "A" or "B"
    weight_level: tuple[str, ...]                # per weight group: "C", "A" or "B"
    weight_terms: tuple[str, ...]
    final: str                                   # layout of the last product (sample, C, X[, target])
    out: str                                     # output term (sample[, target])


def query(engine, plan, source, hard: Mapping[str, int], soft: Mapping[str, np.ndarray]):
    """``(posterior, log P(evidence))`` by the fast path, or None when it does not apply (see the module notes)."""
    factored = getattr(source, "factored_nodes", ())
    if plan.target_observed or not factored:
        return None
    cands = [n for n in plan.nodes if n in factored and n not in hard and n not in plan.scalars]
    if len(cands) != 1 or any(n in factored and n in hard for n in plan.nodes):
        return None
    node = cands[0]
    table = source.table(node, {a: hard[a] for a in plan.fixed_axes[node]})
    if not isinstance(table, FactoredTable) or table.weights is None:
        return None
    ops, eq, log_const = engine._operands(plan, source, hard, soft, "scaled", skip=node)
    terms = eq.split("->")[0].split(",") if ops else []
    weights = [(arr, axes) for arr, axes in table.weights]
    key = (eq, node, tuple(axes for _, axes in weights), plan.target)
    layout = engine._fast_plans.get(key)
    if layout is None:
        layout = _layout(engine, plan, node, terms, [axes for _, axes in weights]) or False
        engine._fast_plans.put(key, layout)
    if layout is False:
        return None
    single = getattr(source, "precision", "double") == "single"
    out = _evaluate(engine, layout, ops, [w for w, _ in weights], source.n_samples, np.float32) if single else None
    if out is None:
        out = _evaluate(engine, layout, ops, [w for w, _ in weights], source.n_samples, np.float64)
    if out is None:
        return None
    raw, log_const = out[0], log_const + out[1]
    z = raw.sum(axis=1)
    if not (np.isfinite(log_const).all() and np.isfinite(z).all() and (z > NORMAL_FLOOR).all()):
        return None
    return raw / z[:, None], log_const + np.log(z)


# ------------------------------------------------------------------------------------------------- structure
def _components(nodes: list[str], edges: list[set[str]]) -> list[list[str]]:
    """Connected components of ``nodes`` linked by the sets in ``edges`` (order of ``nodes`` kept)."""
    parent = {n: n for n in nodes}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for edge in edges:
        members = [n for n in edge if n in parent]
        for a in members[1:]:
            parent[find(a)] = find(members[0])
    groups: dict[str, list[str]] = {}
    for n in nodes:
        groups.setdefault(find(n), []).append(n)
    return list(groups.values())


def _layout(engine, plan, node: str, terms: list[str], weight_axes: list[tuple[str, ...]]) -> _Layout | None:
    net, sym = engine.net, engine._symbol
    s0 = oe.get_symbol(0)
    name = {v: k for k, v in sym.items()}
    order = engine._order
    target = plan.target
    card = lambda vs: int(np.prod([net[v].card for v in vs], dtype=np.int64))  # noqa: E731
    by_order = lambda vs: tuple(sorted(set(vs), key=order.__getitem__))  # noqa: E731
    scopes = [{name[c] for c in t if c != s0} for t in terms]
    u_vars = by_order(a for axes in weight_axes for a in axes)
    keep = set(u_vars) | {node, target}
    # 1. sum out everything else, one connected component at a time
    elim = by_order(v for sc in scopes for v in sc if v not in keep)
    components, used = [], set()
    messages: list[set[str]] = []
    for comp in _components(list(elim), scopes):
        idx = tuple(i for i, sc in enumerate(scopes) if sc & set(comp))
        used |= set(idx)
        boundary = by_order(v for i in idx for v in scopes[i] if v in keep)
        components.append((idx, ",".join(terms[i] for i in idx) + "->" + s0 + "".join(sym[v] for v in boundary)))
        messages.append(set(boundary))
    passed = tuple(i for i in range(len(terms)) if i not in used)
    f_scopes = [scopes[i] for i in passed] + messages
    # 2. condition on parents of high degree until the rest falls apart into small components
    edges = [sc & set(u_vars) for sc in f_scopes] + [set(a) for a in weight_axes]
    c_vars = [target] if target in u_vars else []
    while True:
        rest = [u for u in u_vars if u not in c_vars]
        comps = _components(rest, edges)
        sizes = [card(c) for c in comps]
        if not comps or max(sizes) ** 2 <= 4 * int(np.prod(sizes, dtype=np.int64)):
            break
        big = comps[int(np.argmax(sizes))]
        degree = {u: len(set().union(*[e for e in edges if u in e]) & set(rest)) for u in big}
        c_vars.append(max(big, key=lambda u: (degree[u], -order[u])))
    blocks: list[list[str]] = [[], []]
    for comp in sorted(comps, key=card, reverse=True):
        blocks[int(card(blocks[1]) < card(blocks[0]))] += comp
    c_order, a_vars, b_vars = by_order(c_vars), by_order(blocks[0]), by_order(blocks[1])

    def level(scope: set[str]) -> str | None:
        if scope & set(a_vars) and scope & set(b_vars):
            return None
        if scope & set(a_vars):
            return "A"
        return "B" if scope & set(b_vars) else "C"

    levels = [level(sc) for sc in f_scopes]
    weight_levels = [level(set(a)) for a in weight_axes]
    if None in levels or None in weight_levels:
        return None
    extra = target not in set(c_order) | {node}
    if extra and any(target in sc and lv != "C" for sc, lv in zip(f_scopes, levels)):
        return None
    factor_terms = tuple(terms[i] for i in passed) + tuple(eq.split("->")[1] for _, eq in components)
    final = s0 + "".join(sym[v] for v in c_order) + sym[node] + (sym[target] if extra else "")
    out = s0 + sym[target]
    return _Layout(node=node, target=target, components=tuple(components), passed=passed, c_vars=c_order, a_vars=a_vars,
                   b_vars=b_vars, factor_terms=factor_terms, level=tuple(lv for lv in levels if lv is not None),
                   weight_level=tuple(lv for lv in weight_levels if lv is not None),
                   weight_terms=tuple(s0 + "".join(sym[a] for a in axes) + sym[node] for axes in weight_axes),
                   final=final, out=out)


# ------------------------------------------------------------------------------------------------- evaluation
def _placed(arr: np.ndarray, term: str, layout: str) -> np.ndarray:
    """``arr`` (axes ``term``) transposed and reshaped to broadcast against ``layout`` (no copy)."""
    has = [c for c in layout if c in term]
    if list(term) != has:
        arr = arr.transpose([term.index(c) for c in has])
    shape = [arr.shape[has.index(c)] if c in term else 1 for c in layout]
    return arr.reshape(shape)


def _product(items: list[tuple[np.ndarray, str]], layout: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The broadcast product of ``items`` in ``layout`` (a C-contiguous array, or a view of one).

    Factors are multiplied from the one whose last axis in ``layout`` comes last to the one whose last axis comes
    first, each on the left of the product so far (``factor * product``): the array grows one axis at a time towards
    the front (about twice the final size in all, instead of one full-size pass per factor), and in every step the
    axes the new factor lacks are the trailing, contiguous ones of the product, so numpy's inner loops run over all of
    them at once (the factor is constant there) instead of over a few states. With ``shape`` the result is a fresh
    C-contiguous array of that shape; without, it keeps size 1 on the axes no factor has (numpy broadcasts it later,
    for free).
    """
    last = lambda term: max([layout.index(c) for c in term] or [0])  # noqa: E731
    out = None
    for arr, term in sorted(items, key=lambda it: last(it[1]), reverse=True):
        arr = _placed(arr, term, layout)
        out = arr if out is None else np.multiply(arr, out, order="C")
    if out is None:
        # float32, the narrowest: a product with these ones keeps the precision of its other operand
        return np.ones(shape if shape is not None else (1,) * len(layout), dtype=np.float32)
    if shape is None:
        return out
    return out if out.shape == shape and out.flags.c_contiguous else np.array(np.broadcast_to(out, shape))


def _normaliser(wa: np.ndarray, wc: np.ndarray, pa: np.ndarray, wbt: np.ndarray, pb: np.ndarray, out: np.ndarray,
                zbuf: np.ndarray, tbuf: np.ndarray, *, starts: np.ndarray | None = None,
                at: tuple[np.ndarray | None, ...] = (None,) * 4) -> None:
    """``out[s, c, x] = sum_a VA[s, c, a, x] sum_b VB[s, c, b, x] / Z[s, c, a, b]``, ``Z = WA WB^T``: the arithmetic.

    The blocks come as their factors, each with the states of ``X`` before the block's rows: ``wa`` ``(S, C or 1, X,
    A)`` and ``wc`` ``(S, C, X, 1)`` (``WA = wa wc``), ``wbt`` ``(S, 1, X, B)`` (``WB``), and the blocks' priors ``pa``,
    ``pb`` ``(S or 1, C or 1, X or 1, rows)`` (``VA = pa wa``, ``VB = pb wbt``). Two matrix products and one
    reciprocal per configuration of the parents the evidence allows, in sub-batches of ``len(zbuf)`` parameter sets
    (``zbuf``: the buffer of ``Z``, ``tbuf``: of ``VB^T (1/Z)^T``). The elementwise products are formed one
    sub-batch at a time, into buffers reused from one to the next, so that they are still in cache when the matrix
    products read them (built for a whole batch they cost three times as much). The layout with ``X`` first is the
    one in which both matrix products read their operands fastest (BLAS takes the transposed views without a copy).
    The sum over ``A`` is one more product: with ``pa`` when the prior of ``A`` has no ``X`` (``VA`` is then never
    multiplied out), with ones after multiplying by ``pa`` otherwise (a strided ``sum`` costs four times as much).
    Everything else in the fast path prepares these operands. ``benchmarks/bench_sensitivity.py`` times this function
    alone on operands of the real shapes, the arithmetic floor of the fast path on the machine it runs on.

    With ``starts`` (``R + 1`` bounds), the operands of the normaliser (``wa``, ``wc``, ``wbt``, ``pb``) are given once
    per group of parameter sets that share them (``R`` groups), and ``pa`` and ``out`` once per set, the sets of group
    ``r`` being ``starts[r]:starts[r + 1]``: ``Z`` and ``VB^T (1/Z)^T`` are computed once per group, and only the sum
    over ``A`` once per set. ``at`` gives, for ``wa``, ``pa``, ``wbt`` and ``pb``, the index of each group's (for
    ``pa``: each set's) operand in them, when operands are given once for several groups (None: one per group, in
    order, or one for all).
    """
    step = len(zbuf)
    n_a, n_b = wa.shape[-1], wbt.shape[-1]
    wbuf = np.empty((step, wc.shape[1], wa.shape[2], n_a), dtype=zbuf.dtype)
    vbuf = np.empty((step, max(pb.shape[1], wbt.shape[1]), wbt.shape[2], n_b), dtype=zbuf.dtype)
    ones = np.ones((n_a, 1), dtype=zbuf.dtype)
    starts = np.arange(len(out) + 1) if starts is None else starts   # one set per group
    groups = len(starts) - 1
    wa_at, pa_at, wbt_at, pb_at = at

    def cut(arr: np.ndarray, i: int, j: int, idx: np.ndarray | None = None) -> np.ndarray:
        if len(arr) == 1:
            return arr
        return arr[i:j] if idx is None else np.take(arr, idx[i:j], axis=0)

    for i in range(0, groups, step):
        j = min(groups, i + step)
        w_a, w_b = cut(wa, i, j, wa_at), cut(wbt, i, j, wbt_at)
        wat = np.multiply(w_a, cut(wc, i, j), out=wbuf[: j - i])
        z = np.matmul(wat.transpose(0, 1, 3, 2), w_b, out=zbuf[: j - i])
        np.divide(1.0, z, out=z)   # as np.reciprocal, bit for bit, at twice its speed
        vbt = np.multiply(cut(pb, i, j, pb_at), w_b, out=vbuf[: j - i])
        t = np.matmul(vbt, z.transpose(0, 1, 3, 2), out=tbuf[: j - i])
        np.multiply(t, w_a, out=t)
        s, e = int(starts[i]), int(starts[j])
        if e - s > j - i:   # groups of several sets: each set's own sum over A, of its group's T
            t = np.take(t, np.repeat(np.arange(j - i), np.diff(starts[i : j + 1])), axis=0)
        p = pa if len(pa) == 1 else pa[s:e] if pa_at is None else np.take(pa, pa_at[s:e], axis=0)
        if pa.shape[2] == 1:   # the prior of A without X: the weights of the sum over A
            out[s:e] = np.matmul(t, p.reshape(p.shape[0], p.shape[1], n_a, 1))[..., 0]
        else:
            np.multiply(t, p, out=t)
            out[s:e] = np.matmul(t, ones)[..., 0]


def _per_set(ufunc: np.ufunc, arr: np.ndarray) -> np.ndarray:
    """``ufunc.reduce`` of ``arr`` ``(S, m[, k])`` over ``m``, for each set (and each of ``k``).

    Through a transposed copy, reduced over its leading axis: numpy reduces a few entries per row 10-30x slower.
    """
    return ufunc.reduce(np.ascontiguousarray(np.moveaxis(arr, 1, 0)), axis=0)


@lru_cache(maxsize=64)
def _coefficients(m: int) -> np.ndarray:
    """``m`` fixed random weights of :func:`_projection` (the same for every call)."""
    coef = np.random.default_rng(0x5EED).uniform(0.5, 1.0, m)
    coef.setflags(write=False)
    return coef


def _projection(rows: list[np.ndarray], n: int) -> np.ndarray:
    """One number per set: its entries of every array of ``rows`` ``(n, m)`` times fixed random weights, summed."""
    key = np.zeros(n)
    for r in rows:
        key += r @ _coefficients(r.shape[1])
    return key


def _varies(arr: np.ndarray, n: int) -> bool:
    """Whether ``arr`` can differ from set to set: a sample axis of ``n``, not broadcast along it."""
    return bool(arr.ndim and arr.shape[0] == n and arr.strides[0])


def _rows_of(arr: np.ndarray, sets: slice | np.ndarray) -> np.ndarray:
    """The rows ``sets`` (a slice: a view; indices: a copy) of ``arr``'s sample axis."""
    return arr[sets] if isinstance(sets, slice) else np.take(arr, sets, axis=0)


def _grouped(arrays: list[np.ndarray], n: int, sets: np.ndarray, keys: dict | None
             ) -> tuple[np.ndarray, np.ndarray] | None:
    """Among the sets ``sets``, those on which all of ``arrays`` agree bit for bit, or None when all differ.

    ``(first, label)``: ``first`` the positions in ``sets`` of each group's first set, ``label`` each position's
    group, groups numbered in the order of their first sets. An array without a sample axis of ``n``, or broadcast
    along it, is the same for every set. Candidates are sets with equal random projections of their entries (one
    matrix-vector product per array, six times cheaper than hashing their bits; ``keys`` keeps each array's rows
    and projection for other calls on the same arrays); then every set is compared bit for bit with its group's
    first, and one that differs (two sets whose projections collide) becomes a group of its own: a collision costs
    sharing, never correctness.
    """
    keys = {} if keys is None else keys
    rows, key = [], np.zeros(n)
    for a in arrays:
        if not _varies(a, n):
            continue
        if id(a) not in keys:
            r = np.ascontiguousarray(a).reshape(n, -1)
            keys[id(a)] = (a, r, _projection([r], n))   # (the array kept alive: its id stays its own)
        _, r, k = keys[id(a)]
        rows.append(r)
        key = key + k
    m = len(sets)
    if not rows:
        return np.zeros(1, dtype=np.intp), np.zeros(m, dtype=np.intp)
    _, first, label = np.unique(key[sets], return_index=True, return_inverse=True)
    if len(first) == m:
        return None
    head = first[label]   # each position's candidate group's first position
    other = np.flatnonzero(head != np.arange(m))
    same = np.ones(len(other), dtype=bool)
    for r in rows:
        bits = r.view(np.dtype(f"u{r.itemsize}"))
        same &= (np.take(bits, sets[other], axis=0) == np.take(bits, sets[head[other]], axis=0)).all(axis=1)
    head[other[~same]] = other[~same]
    is_head = np.zeros(m, dtype=bool)
    is_head[head] = True
    if is_head.all():
        return None
    number = np.cumsum(is_head) - 1   # groups numbered in the order of their first sets
    return np.flatnonzero(is_head), number[head]


def _shared(arrays: list[np.ndarray], n: int, *, keys: dict | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """Groups of the ``n`` parameter sets on which all of ``arrays`` agree bit for bit, or None when all differ.

    ``(order, starts)``: ``order`` lists the sets group by group (groups in the order of their first set, each
    group's sets in their order), ``starts`` the ``G + 1`` bounds of the groups in it. How sets are compared:
    :func:`_grouped`.
    """
    if n < 2:
        return None
    found = _grouped(arrays, n, np.arange(n), keys)
    if found is None:
        return None
    _, group = found
    order = np.argsort(group, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(group))])
    return order, starts


def _distinct(arrays: list[np.ndarray], n: int, sets: np.ndarray, keys: dict | None = None
              ) -> tuple[np.ndarray, np.ndarray] | None:
    """One set for each kind among ``sets``: those that agree on all of ``arrays`` share one.

    ``(first, label)``: ``first`` the positions in ``sets`` of the first set of each kind, ``label`` each position's
    kind (an index into ``first``); None when all differ. How sets are compared: :func:`_grouped`.
    """
    return _grouped(arrays, n, sets, keys) if len(sets) > 1 else None


def _scaled(arrays: list[np.ndarray], terms: tuple[str, ...], n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """``arrays`` divided by their largest entry of each parameter set (of all, without a sample axis), as float32.

    Also the sum of the logs of those scales per set. A factor that is zero everywhere keeps a scale of 1.
    """
    s0 = oe.get_symbol(0)
    out, log_scale = [], np.zeros(n)
    for arr, term in zip(arrays, terms):
        per_set = term[:1] == s0 and arr.ndim > 1
        top = _per_set(np.maximum, arr.reshape(arr.shape[0], -1)) if per_set else np.array([arr.max()])
        top = np.where(top > 0, top, 1.0)
        scaled = np.empty(arr.shape, dtype=np.float32)
        out.append(np.divide(arr, top.reshape((-1,) + (1,) * (arr.ndim - 1) if per_set else ()), out=scaled,
                             casting="same_kind"))
        log_scale = log_scale + np.log(top)
    return out, log_scale


def _evaluate(engine, lay: _Layout, ops: list[np.ndarray], weights: list[np.ndarray], n: int, dtype: type
              ) -> tuple[np.ndarray, np.ndarray | float] | None:
    """``(raw, log scale)`` by the two products in ``dtype``: raw is parameter sets x target states (float64).

    ``log scale`` is what the factors were divided by (0 in double precision; in float32 each factor is scaled to a
    maximum of 1), to add to ``log P(evidence)``. None when no block configuration is left, or, in float32, when
    underflow could have cost more than :data:`SINGLE_LOSS` of a result (see the module notes).
    """
    net, sym = engine.net, engine._symbol
    s0 = oe.get_symbol(0)
    k = net[lay.node].card
    factors = [ops[i] for i in lay.passed]
    for idx, eq in lay.components:
        factors.append(engine._contract(eq, [ops[i] for i in idx]))
    single = dtype == np.float32
    if single:
        factors, log_scale = _scaled(factors, lay.factor_terms, n)
    items = list(zip(factors, lay.factor_terms))
    witems = list(zip(weights, lay.weight_terms))   # as given: scaled below, only where read
    cards = lambda vs: [net[v].card for v in vs]  # noqa: E731
    n_c = int(np.prod(cards(lay.c_vars), dtype=np.int64))
    x = sym[lay.node]
    c_syms = "".join(sym[v] for v in lay.c_vars)

    def support(which: str, names: tuple[str, ...]) -> np.ndarray:
        """Block configurations that can be non-zero under some parameter set.

        The product of each factor's support over the sample axis contains the support of the product, so
        dropping the others is exact.
        """
        lay_v = c_syms + "".join(sym[v] for v in names) + x
        shape = (*cards(lay.c_vars), *cards(names), k)
        mask = np.ones(shape, dtype=bool)
        for arr, term in [it for it, lv in zip(items + witems, lay.level + lay.weight_level) if lv == which]:
            nz = (arr != 0).any(axis=0) if term[0] == s0 else arr != 0
            mask = mask & _placed(nz, term.lstrip(s0), lay_v)
        m = int(np.prod(cards(names), dtype=np.int64))
        return np.flatnonzero(mask.reshape(n_c, m, k).any(axis=(0, 2)))

    def over_c(arr: np.ndarray, sets: int, tail: tuple[int, ...], flat: tuple[int, ...]) -> np.ndarray:
        """``arr`` (sample axis, the axes of C, then the axes ``tail``) as ``(sets, C or 1, *flat)``.

        C's axes become one: all of C's configurations, or 1 when no factor has a variable of C (numpy broadcasts it
        later); ``tail`` is filled out where a factor lacks an axis and reshaped to ``flat``.
        """
        n_cv = len(c_syms)
        c_shape = tuple(cards(lay.c_vars)) if any(d > 1 for d in arr.shape[1 : 1 + n_cv]) else (1,) * n_cv
        arr = np.broadcast_to(arr, (sets, *c_shape, *tail))
        return arr.reshape(sets, int(np.prod(c_shape, dtype=np.int64)), *flat)

    def block(which: str, names: tuple[str, ...], rows: np.ndarray, its: list, sets: slice | np.ndarray,
              weights: bool):
        """The weights (``W``) or the prior (``P``) of one block from ``its`` for ``sets``, kept rows only.

        ``sets`` is a slice or the indices of the sets. ``W`` is ``(S, C or 1, X, rows)``, C-contiguous; ``P`` is
        ``(S or 1, C or 1, X or 1, rows)``. Each keeps size 1 on ``C`` when none of its factors has a variable of
        ``C`` (the products broadcast it), so what does not depend on ``C`` is built once, not once per configuration
        of ``C``; and ``P`` keeps size 1 on ``X`` when none of the block's prior and likelihood factors has ``X``.
        """
        syms = "".join(sym[v] for v in names)
        m = int(np.prod(cards(names), dtype=np.int64))
        full = len(rows) == m
        mine = [(_rows_of(a, sets) if t[0] == s0 and a.shape[0] > 1 else a, t)
                for (a, t), lv in zip(its, lay.weight_level if weights else lay.level) if lv == which]
        if weights:
            count = len(range(n)[sets]) if isinstance(sets, slice) else len(sets)
            w = _product(mine, s0 + c_syms + x + syms)
            w = np.ascontiguousarray(over_c(w, count, (k, *cards(names)), (k, m)))
            return w if full else np.take(w, rows, axis=-1)   # 3x faster than w[..., rows]
        has_x = any(x in t for _, t in mine)
        p = _product(mine, s0 + c_syms + (x if has_x else "") + syms)
        p = over_c(p, p.shape[0], (*((k,) if has_x else ()), *cards(names)), (k if has_x else 1, m))
        return p if full else np.take(p, rows, axis=-1)

    rows_a, rows_b = support("A", lay.a_vars), support("B", lay.b_vars)
    n_a, n_b = len(rows_a), len(rows_b)
    if n_a == 0 or n_b == 0:
        return None
    # Sets that share every operand of the normaliser (all the weights, the prior of B: Sobol's cross-sample rows
    # that change only a finding's likelihood or a prior of A or C) share its products: one group of sets each, its
    # first set standing for it. Then each block operand is built once for the groups (or, the prior of A, the sets)
    # that agree on its own inputs: a row of the cross-sample that changes one odds ratio of block B changes WB only.
    keys: dict[int, tuple] = {}
    level_of = lambda its, levels, which: [a for (a, _), lv in zip(its, levels) if lv == which]  # noqa: E731
    groups = _shared(weights + level_of(items, lay.level, "B"), n, keys=keys)
    if groups is None:
        order, starts, heads, of_set = None, None, np.arange(n), None
    else:
        order, starts = groups
        heads = order[starts[:-1]]
        of_set = np.empty(n, dtype=np.intp)   # each set's group
        of_set[order] = np.repeat(np.arange(len(heads)), np.diff(starts))
    n_g = len(heads)

    def one_per(arrays: list[np.ndarray], sets: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """:func:`_distinct`, searched only where sets repeat (draws from the priors never do).

        That is among groups of sets, or where none of the arrays varies from set to set (all alike, found without
        a search).
        """
        if groups is None and any(_varies(a, n) for a in arrays):
            return None
        return _distinct(arrays, n, sets, keys)

    distinct = {("A", True): one_per(level_of(witems, lay.weight_level, "A"), heads),
                ("B", True): one_per(level_of(witems, lay.weight_level, "B"), heads),
                ("B", False): one_per(level_of(items, lay.level, "B"), heads),
                ("A", False): one_per(level_of(items, lay.level, "A"), np.arange(n) if order is None else order)}
    # Each weight array is taken (and, in float32, scaled) where it is read: C's at every group, A's and B's at one
    # group of each kind of their block's weights (their positions in ``distinct``).
    placed_w, low = [], np.ones((1, k))
    for (w, term), lv in zip(witems, lay.weight_level):
        found = distinct.get((lv, True))
        if _varies(w, n) and (groups is not None or found is not None):
            w = np.take(w, heads if found is None else heads[found[0]], axis=0)
        if single:
            w = _scaled([w], (term,), len(w))[0][0]   # the scales of the weights cancel in 1 / Z
            # a lower bound of every Z of a group: sum_x prod_j min_u w_j(u, x) (the weights are small)
            least = _per_set(np.minimum, w.reshape(w.shape[0], -1, k))
            low = low * (least if found is None or len(least) == 1 else least[found[1]])
        placed_w.append((w, term))
    witems = placed_w
    z_low = None
    if single:   # each set's: its group's
        low_z = low.sum(axis=1)
        z_low = np.broadcast_to(low_z if of_set is None or len(low_z) == 1 else low_z[of_set], (n,))
    # the weights over C enter the normaliser (with block A) and the final product (each set: its group's)
    wc_items = [it for it, lv in zip(witems, lay.weight_level) if lv == "C"]
    wc_g = _product(wc_items, s0 + c_syms + x, (n_g, *cards(lay.c_vars), k)).reshape(n_g, n_c, k, 1)
    if of_set is not None:
        wc_items = [(np.take(w, of_set, axis=0) if w.shape[0] > 1 else w, t) for w, t in wc_items]
    s_x = np.empty((n, n_c, k))

    def operand(which: str, names: tuple[str, ...], rows: np.ndarray, weights: bool, lo: int, hi: int):
        """One block operand for the groups ``lo:hi`` (the prior of A: the sets, in group order), and their indices.

        The operand is built once for each kind of its inputs among them; the index gives each group's (set's) in it
        (None: one each, in order, or one for all).
        """
        found = distinct[which, weights]
        its = witems if weights else items
        # the sets at the positions lo:hi: the weights are held at the groups (one of each kind, when found), so
        # positions index them; the prior of B is read at the groups' first sets, that of A at every set, in group
        # order (None: position i is set i)
        at_sets = None if weights or order is None else heads if which == "B" else order
        if found is None:   # no two alike
            return block(which, names, rows, its, slice(lo, hi) if at_sets is None else at_sets[lo:hi], weights), None
        first, label = found
        need, at = np.unique(label[lo:hi], return_inverse=True)
        sets = need if weights else first[need] if at_sets is None else at_sets[first[need]]
        return block(which, names, rows, its, sets, weights), (None if len(need) == 1 else at)

    step = max(1, FAST_BYTES // (8 * n_c * n_a * n_b))
    # the block operands are small beside the normaliser: built for many groups at once (a few numpy calls per
    # batch, not per sub-batch), then sliced for the products; operands given once for several groups let a batch
    # hold as many more groups
    fewer = min([len(found[1]) / len(found[0]) for found in distinct.values() if found is not None] or [1.0])
    outer = max(step, int(BLOCK_BYTES // (8 * n_c * (n_a + n_b) * k) * fewer))
    zbuf: np.ndarray = np.empty((min(step, n_g), n_c, n_a, n_b), dtype=dtype)
    tbuf = np.empty((min(step, n_g), n_c, k, n_a), dtype=dtype)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for g0 in range(0, n_g, outer):
            g1 = min(n_g, g0 + outer)
            i0, j0 = (g0, g1) if starts is None else (int(starts[g0]), int(starts[g1]))
            wa, wa_at = operand("A", lay.a_vars, rows_a, True, g0, g1)
            pa, pa_at = operand("A", lay.a_vars, rows_a, False, i0, j0)
            wbt, wbt_at = operand("B", lay.b_vars, rows_b, True, g0, g1)
            pb, pb_at = operand("B", lay.b_vars, rows_b, False, g0, g1)
            _normaliser(wa, wc_g[g0:g1], pa, wbt, pb, s_x[i0:j0], zbuf, tbuf,
                        starts=None if starts is None else starts[g0 : g1 + 1] - starts[g0],
                        at=(wa_at, pa_at, wbt_at, pb_at))
        if order is not None:   # back from group order to the sets' order
            s_x[order] = s_x.copy()
        final_shape = (n, *cards(lay.c_vars), k) + ((net[lay.target].card,) if len(lay.final) > len(c_syms) + 2
                                                   else ())
        c_items = [it for it, lv in zip(items, lay.level) if lv == "C"] + wc_items
        total = _product(c_items + [(s_x.reshape(n, *cards(lay.c_vars), k), s0 + c_syms + x)], lay.final,
                         final_shape)
    drop = tuple(i for i, c in enumerate(lay.final) if c not in lay.out)
    raw = (total.sum(axis=drop) if drop else total).reshape(n, -1)
    if not single:
        return raw, 0.0
    assert z_low is not None
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        lost = n_c * n_a * n_b * np.finfo(np.float32).tiny / z_low   # the most that underflow can take, per set
        if not (np.isfinite(raw).all() and (lost <= SINGLE_LOSS * raw.sum(axis=1)).all()):
            return None
    return raw, log_scale
