"""The few graph algorithms the model needs, on ``{node: parents}``, without loading networkx.

networkx (about 0.1 s to import) is kept for what it does best, listing every cycle of a malformed network; a
well-formed network is read, ordered, queried and drawn without it.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

__all__ = ["topological_order", "ancestors", "cycles"]


def topological_order(parents: Mapping[str, Iterable[str]], position: Mapping[str, int]) -> list[str] | None:
    """Every node after its parents; among the nodes ready at each step, the one of lowest ``position`` first.

    The same order as networkx's ``lexicographical_topological_sort(graph, key=position)`` (Kahn's algorithm
    with a heap). Parents that are not nodes are ignored. None when the parents form a cycle.
    """
    children: dict[str, list[str]] = {n: [] for n in parents}
    waiting = {n: 0 for n in parents}
    for n, ps in parents.items():
        for p in ps:
            if p in children:
                children[p].append(n)
                waiting[n] += 1
    ready = [(position[n], n) for n, k in waiting.items() if k == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, n = heapq.heappop(ready)
        order.append(n)
        for c in children[n]:
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(ready, (position[c], c))
    return order if len(order) == len(parents) else None


def ancestors(parents: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    """Each node's ancestors (parents, their parents, ...), as networkx's ``ancestors`` gives them."""
    out = {}
    for n in parents:
        seen: set[str] = set()
        stack = [p for p in parents[n] if p in parents]
        while stack:
            p = stack.pop()
            if p not in seen:
                seen.add(p)
                stack.extend(q for q in parents[p] if q in parents)
        out[n] = frozenset(seen - {n})
    return out


def cycles(parents: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every elementary cycle, as networkx's ``simple_cycles`` lists them (networkx is loaded only here)."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(parents)
    graph.add_edges_from((p, n) for n, ps in parents.items() for p in ps if p in parents)
    return [list(c) for c in nx.simple_cycles(graph)]
