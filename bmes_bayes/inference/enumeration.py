"""Exact inference by explicit enumeration of the joint: the reference backend.

For each parameter set it multiplies, for every configuration of the unobserved variables in the ancestral set of
the target and the evidence, the CPT entries of that configuration (and any soft-evidence likelihoods), and sums
out all but the target. Nothing is planned, grouped or rescaled, so it shares no code path with the contraction
engine; it is what the tests hold the engine to. Its cost is the size of the joint, so it refuses a query whose
joint would exceed :data:`MAX_JOINT` entries.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..compile import DrawnTables, FactoredTable, FullTables, TableSource, compile_all
from ..exceptions import TooLargeError
from ..spec import NetworkSpec
from .contraction import QueryResult, ZeroEvidence

__all__ = ["Enumeration", "MAX_JOINT", "ancestral_set"]

MAX_JOINT = 2**24  # entries of the enumerated joint of one parameter set (128 MiB in double precision)


def ancestral_set(net: NetworkSpec, names) -> set[str]:
    """The named variables and all their ancestors."""
    keep = set(names)
    stack = list(names)
    while stack:
        for p in net[stack.pop()].parents:
            if p not in keep:
                keep.add(p)
                stack.append(p)
    return keep


def full_tables(source: TableSource, net: NetworkSpec) -> dict[str, np.ndarray]:
    """Every CPT of ``source`` as a full array ``(S, *parent cards, card)``."""
    if isinstance(source, FullTables):
        return dict(source.tables)
    if isinstance(source, DrawnTables):
        return compile_all(source.spec, source.net, source.draws)
    out = {}
    for v in net.variables:  # any other source: its own tables, with factored ones multiplied out
        t = source.table(v.name, {})
        if isinstance(t, FactoredTable):
            axes = (*v.parents, v.name)
            full = np.ones((source.n_samples, *(net[a].card for a in axes)))
            for arr, names in t.factors:
                shape = [arr.shape[0]] + [net[a].card if a in names else 1 for a in axes]
                order = [0] + [1 + names.index(a) for a in axes if a in names]
                full = full * np.transpose(arr, order).reshape(shape)
            t = full
        out[v.name] = t
    return out


class Enumeration:
    """The brute-force backend: the same ``query``/``possible`` interface as the contraction engine.

    Parameters
    ----------
    net : NetworkSpec
        The network structure queried.
    """

    def __init__(self, net: NetworkSpec):
        self.net = net

    def relevant_nodes(self, target: str, hard: frozenset[str], soft: frozenset[str]) -> tuple[str, ...]:
        """The ancestral set of the target and the evidence, in network order."""
        keep = ancestral_set(self.net, [target, *hard, *soft])
        return tuple(n for n in self.net.names if n in keep)

    def clear_cache(self) -> None:
        """Nothing is cached."""

    def joint(self, tables: Mapping[str, np.ndarray], hard: Mapping[str, int], soft: Mapping[str, np.ndarray],
              target: str, s: int) -> tuple[np.ndarray, list[str]]:
        """The unnormalised joint of parameter set ``s`` over the free ancestral variables, and their names."""
        net = self.net
        keep = ancestral_set(net, [target, *hard, *soft])
        free = [v.name for v in net.variables if v.name in keep and v.name not in hard]
        shape = [net[n].card for n in free]
        size = int(np.prod(shape, dtype=np.float64))
        if size > MAX_JOINT:
            raise TooLargeError(f"enumerating this query needs a joint of {size:,} entries (at most {MAX_JOINT:,}); "
                                "use the contraction engine")
        pos = {n: i for i, n in enumerate(free)}

        def index_for(var):
            if var in hard:
                return hard[var]
            return np.arange(net[var].card).reshape([-1 if i == pos[var] else 1 for i in range(len(free))])

        joint = np.ones(shape)
        for v in net.variables:
            if v.name not in keep:
                continue
            t = tables[v.name]
            t = t[s if t.shape[0] > 1 else 0]
            entry = t[tuple(index_for(a) for a in (*v.parents, v.name))]
            joint = joint * np.broadcast_to(entry, shape) if np.ndim(entry) else joint * float(entry)
        for var, lik in soft.items():
            lik = np.asarray(lik, dtype=float)
            if var in hard:
                joint = joint * lik[hard[var]]
            else:
                joint = joint * lik.reshape([-1 if i == pos[var] else 1 for i in range(len(free))])
        return joint, free

    def query(self, source: TableSource, hard: Mapping[str, int], soft: Mapping[str, np.ndarray],
              target: str) -> QueryResult:
        """P(target | evidence) and log P(evidence) for every parameter set of ``source``.

        Raises
        ------
        ZeroEvidence
            When the evidence is impossible for some parameter set.
        """
        tables = full_tables(source, self.net)
        k = self.net[target].card
        posts, logs = [], []
        for s in range(source.n_samples):
            joint, free = self.joint(tables, hard, soft, target, s)
            if target in hard:
                z = joint.sum()
                vec = np.zeros(k)
                vec[hard[target]] = z
            else:
                vec = joint.sum(axis=tuple(i for i, n in enumerate(free) if n != target))
                z = vec.sum()
            if not z > 0:
                raise ZeroEvidence()
            posts.append(vec / z)
            logs.append(np.log(z))
        return QueryResult(np.array(posts), np.array(logs))

    def possible(self, source: TableSource, hard: Mapping[str, int], soft: Mapping[str, np.ndarray],
                 target: str | None = None) -> np.ndarray:
        """Whether the evidence has non-zero probability, per parameter set."""
        tables = full_tables(source, self.net)
        target = target if target is not None else (next(iter(hard), None) or next(iter(soft)))
        return np.array([self.joint(tables, hard, soft, target, s)[0].sum() > 0 for s in range(source.n_samples)])
