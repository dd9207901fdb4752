"""Reference engines, written independently of bmes_bayes.engine, that tests compare against.

- ``brute_force``: enumerates every configuration of the unobserved variables among the ancestors of the target and
  the evidence (the others are barren and sum to one), multiplies the CPT entries of each configuration, and sums.
- ``pgmpy_posterior``: pgmpy's VariableElimination on the same CPTs (a fresh engine for soft evidence, since
  pgmpy's ``virtual_evidence`` changes the engine it is called on).
- ``pyagrum_posterior``: pyAgrum's LazyPropagation on the XMLBIF export (read in double precision).
"""

from __future__ import annotations

import warnings

import numpy as np


def ancestral_set(net, names):
    keep = set(names)
    stack = list(names)
    while stack:
        for p in net[stack.pop()].parents:
            if p not in keep:
                keep.add(p)
                stack.append(p)
    return keep


def brute_force(model, hard: dict[str, str], target: str, soft: dict[str, np.ndarray] | None = None,
                tables: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """P(target | evidence) by explicit enumeration of the joint (unnormalised vector if P(e) = 0)."""
    net = model.network
    soft = soft or {}
    tables = tables if tables is not None else {k: v[0] for k, v in model._tables.tables.items()}
    keep = ancestral_set(net, [target, *hard, *soft])
    free = [v.name for v in net.variables if v.name in keep and v.name not in hard]
    pos = {n: i for i, n in enumerate(free)}
    shape = [net[n].card for n in free]

    def index_for(var):
        if var in hard:
            return net[var].states.index(hard[var])
        idx = np.arange(net[var].card).reshape([-1 if i == pos[var] else 1 for i in range(len(free))])
        return idx

    joint = np.ones(shape)
    for v in net.variables:
        if v.name not in keep:
            continue
        t = tables[v.name]
        entry = t[tuple(index_for(a) for a in (*v.parents, v.name))]
        joint = joint * np.broadcast_to(entry, shape) if np.ndim(entry) else joint * float(entry)
    for var, lik in soft.items():
        if var in hard:
            joint = joint * lik[net[var].states.index(hard[var])]
        else:
            joint = joint * np.asarray(lik).reshape([-1 if i == pos[var] else 1 for i in range(len(free))])
    if target in hard:
        out = np.zeros(net[target].card)
        out[net[target].states.index(hard[target])] = joint.sum()
        return out / out.sum() if out.sum() > 0 else out
    axes = tuple(i for i, n in enumerate(free) if n != target)
    vec = joint.sum(axis=axes)
    return vec / vec.sum() if vec.sum() > 0 else vec


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
