"""Reference engines, written independently of the package's engines, that tests compare against.

- :func:`enumerate_joint`: *the* brute-force reference, the one enumerator of the test suite. It builds the joint of
  the variables a query can depend on (the others are barren and sum to one) in log space, every CPT and likelihood
  vector added as a log factor at the observed state of each hard finding, rescales by its largest entry before summing (so nothing
  underflows, down to the smallest subnormal), and gives every marginal and ``log P(e)``; ``P(e) = 0`` exactly when
  every configuration has a zero factor. It works on plain arrays (names in topological order, parents, tables
  ``(*parent cards, card)``), so the differential run (``tests/random_networks.py``) feeds it the generator's own
  tables and :func:`brute_force` feeds it a model's.
- :func:`brute_force`, :func:`model_exact`, :func:`model_joint`: a model's posterior, every marginal and log P(e),
  its full joint, all by :func:`log_joint` (a conflict's P(e) and the CD distance's joint use them too).
- ``pgmpy_posterior``: pgmpy's VariableElimination on the same CPTs (a fresh engine for soft evidence, since
  pgmpy's ``virtual_evidence`` changes the engine it is called on).
- ``pyagrum_posterior``: pyAgrum's LazyPropagation on the XMLBIF export (read in double precision).

Why an enumerator of the tests rather than the package's ``bmes_bayes.inference.enumeration.Enumeration``: the
package's backend multiplies in linear space, so a product of tiny entries (1e-300, 5e-324, which the differential
run draws on purpose) underflows to zero and it would call possible evidence impossible; and it reads its tables
through the package's own ``compile`` path, where a reference must not depend on the code under test. The
package's ``Enumeration`` is itself held to this reference (``tests/inference/test_enumeration.py``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Exact:
    """Brute-force answer: every marginal of the enumerated variables (None if P(e) = 0) and log P(e) (-inf if
    impossible)."""

    marginals: dict[str, np.ndarray] | None
    log_evidence: float


def needed(names: Sequence[str], parents: Mapping[str, Sequence[str]], query) -> set[str]:
    """The variables a query on ``query`` can depend on: one pass over the network from its last variable to its
    first (``names`` is topological), keeping a variable that is queried or is a parent of one kept."""
    keep = set(query)
    for n in reversed(names):
        if n in keep:
            keep.update(parents[n])
    return keep


def log_joint(names: Sequence[str], parents: Mapping[str, Sequence[str]], tables: Mapping[str, np.ndarray],
              hard: Mapping[str, int] | None = None, soft: Mapping[str, np.ndarray] | None = None,
              query: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """The log of the unnormalised joint, one axis per free (unobserved) variable, and those variables' names.

    ``hard`` maps a variable to the index of its observed state, ``soft`` to its likelihood vector. With ``query``
    (the target's name, say) only the variables the query and the evidence can depend on are enumerated; without
    it, every variable.
    """
    hard, soft = dict(hard or {}), dict(soft or {})
    keep = set(names) if query is None else needed(names, parents, [*query, *hard, *soft])
    card = {n: np.shape(tables[n])[-1] for n in names if n in keep}
    free = [n for n in names if n in keep and n not in hard]
    axis = {n: i for i, n in enumerate(free)}
    shape = [card[n] for n in free]

    def spread(log_table: np.ndarray, axes: tuple[str, ...]) -> np.ndarray:
        """The table's observed axes taken at their finding, the others laid along the joint's axes."""
        log_table = log_table[tuple(hard[a] if a in hard else slice(None) for a in axes)]
        rest = [a for a in axes if a not in hard]
        perm = sorted(range(len(rest)), key=lambda j: axis[rest[j]])
        full = [1] * len(shape)
        for a in rest:
            full[axis[a]] = card[a]
        return np.transpose(log_table, perm).reshape(full)

    logj = np.zeros(shape)
    with np.errstate(divide="ignore"):
        for n in names:
            if n in keep:
                logj += spread(np.log(np.asarray(tables[n], dtype=float)), (*parents[n], n))
        for n, lik in soft.items():
            logj += spread(np.log(np.asarray(lik, dtype=float)), (n,))
    return logj, free


def enumerate_joint(names: Sequence[str], parents: Mapping[str, Sequence[str]], tables: Mapping[str, np.ndarray],
                    hard: Mapping[str, int] | None = None, soft: Mapping[str, np.ndarray] | None = None,
                    query: Sequence[str] | None = None) -> Exact:
    """Every marginal of the enumerated variables and log P(e), by :func:`log_joint` rescaled by its largest entry
    before summing (see the module doc); with ``query``, only the variables it and the evidence depend on."""
    hard = dict(hard or {})
    logj, free = log_joint(names, parents, tables, hard, soft, query)
    top = logj.max()
    if top == -np.inf:
        return Exact(None, -math.inf)
    w = np.exp(logj - top, out=logj)  # in place: the joint can be large
    total = w.sum()
    marginals = {n: w.sum(axis=tuple(j for j in range(len(free)) if j != i)) / total for i, n in enumerate(free)}
    marginals.update({n: np.eye(np.shape(tables[n])[-1])[i] for n, i in hard.items()})
    return Exact(marginals, float(top + math.log(total)))


def _arrays(model, tables=None) -> tuple[list[str], dict[str, tuple[str, ...]], dict[str, np.ndarray]]:
    """A model's variables in network order, their parents, and its point CPTs (or ``tables``)."""
    net = model.network
    tables = tables if tables is not None else {k: v[0] for k, v in model._tables.tables.items()}
    return [v.name for v in net.variables], {v.name: tuple(v.parents) for v in net.variables}, tables


def model_exact(model, hard: dict[str, str], target: str | None = None, soft: dict[str, np.ndarray] | None = None,
                tables: dict[str, np.ndarray] | None = None) -> Exact:
    """:func:`enumerate_joint` on a model's point CPTs (or on ``tables``, one array per node without a sample
    axis), hard findings given as state names; only what ``target`` and the evidence depend on when ``target`` is
    given, else the full joint."""
    net = model.network
    return enumerate_joint(*_arrays(model, tables), {n: net[n].states.index(s) for n, s in hard.items()}, soft,
                           query=None if target is None else [target])


def model_joint(model, tables: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """A model's full joint distribution, one axis per variable in network order (a small model only)."""
    return np.exp(log_joint(*_arrays(model, tables))[0])


def brute_force(model, hard: dict[str, str], target: str, soft: dict[str, np.ndarray] | None = None,
                tables: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """P(target | evidence) by :func:`enumerate_joint` on the model's point CPTs (or on ``tables``, one array per
    node without a sample axis); a vector of zeros when P(e) = 0."""
    exact = model_exact(model, hard, target, soft, tables)
    return np.zeros(model.network[target].card) if exact.marginals is None else exact.marginals[target]


def pgmpy_posterior(model, hard: dict[str, str], target: str, soft: dict[str, np.ndarray] | None = None,
                    bn=None) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.inference import VariableElimination

        from bmes_bayes.interop import to_pgmpy

        bn = bn if bn is not None else to_pgmpy(model)
        ve = VariableElimination(bn)
        virtual = []
        for var, lik in (soft or {}).items():
            card = model.network[var].card
            virtual.append(TabularCPD(var, card, np.asarray(lik, float).reshape(card, 1),
                                      state_names={var: list(model.network[var].states)}))
        if target in hard:
            out = np.zeros(model.network[target].card)
            out[model.network[target].states.index(hard[target])] = 1.0
            return out
        q = ve.query([target], evidence=dict(hard) or None, virtual_evidence=virtual or None, show_progress=False)
        states = q.state_names[target]
        return np.array([q.values[states.index(s)] for s in model.network[target].states])


def pyagrum_posterior(gum_bn, model, hard: dict[str, str], target: str, soft=None) -> np.ndarray:
    import pyagrum as gum

    ie = gum.LazyPropagation(gum_bn)
    ev = dict(hard)
    for var, lik in (soft or {}).items():
        ev[var] = [float(x) for x in lik]
    ie.setEvidence(ev)
    ie.makeInference()
    post = ie.posterior(target)
    var = gum_bn.variable(target)
    labels = [var.label(i) for i in range(var.domainSize())]
    return np.array([post[{target: s}] for s in model.network[target].states]) if labels else np.array([])
