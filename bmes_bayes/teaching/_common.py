"""What the teaching methods share.

The diagnosis variable, exact point-model queries with one item changed, entropy, labels, argument checks, the units of
weight of evidence, and the one way a renamed keyword is deprecated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from .. import _checks
from ..evidence import Evidence
from ..spec.network import diagnosis_variable  # noqa: F401 - the one definition, used by every teaching method

if TYPE_CHECKING:  # pragma: no cover
    from ..model import BmesModel

ALL_OTHERS = "all_others"        # the composite alternative "not h" in weight-of-evidence tables
DECIBANS_PER_NAT = 10.0 / math.log(10.0)
BITS_PER_NAT = 1.0 / math.log(2.0)
NEUTRAL = 1e-9                   # |weight| in nats below which a finding is called neutral
ROUNDOFF = 1e-12                 # information values above -ROUNDOFF are round-off of zero
CANDIDATE_ROLES = ("risk_factor", "finding")  # default "which test next" candidates: history questions and tests


# ======================================================================================= helpers
def _sorted_labels(model: "BmesModel", labels: Mapping[str, str]) -> dict[str, str]:
    order = {n: i for i, n in enumerate(model.network.names)}
    return {k: labels[k] for k in sorted(labels, key=order.__getitem__)}


def _with_hard(model: "BmesModel", ev: Evidence, var: str, index: int) -> Evidence:
    """``ev`` with ``var`` observed in state ``index`` (replacing any evidence already on ``var``)."""
    labels = {k: v for k, v in ev.labels.items() if k != var}
    labels[var] = model.network[var].states[index]
    return Evidence({**{k: v for k, v in ev.hard.items() if k != var}, var: index},
                    {k: v for k, v in ev.soft.items() if k != var}, _sorted_labels(model, labels))


def _with_soft(model: "BmesModel", ev: Evidence, var: str, likelihood: np.ndarray, label: str) -> Evidence:
    labels = {k: v for k, v in ev.labels.items() if k != var}
    labels[var] = label
    return Evidence({k: v for k, v in ev.hard.items() if k != var},
                    {**{k: v for k, v in ev.soft.items() if k != var}, var: np.asarray(likelihood, float)},
                    _sorted_labels(model, labels))


def _dist(model: "BmesModel", ev: Evidence, target: str) -> np.ndarray:
    """Exact P(target | ev) under the point model, as a 1-d array."""
    return np.asarray(model.query(ev, target).posterior[0], dtype=float)


def _entropy_bits(p: np.ndarray) -> float:
    p = np.asarray(p, dtype=float)
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def _label(evidence: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in evidence.items()) or "none (prior)"


def _check_variable(model: "BmesModel", name: object, what: str = "variable") -> str:
    return _checks.variable(model.network, name, what)


def _check_state(model: "BmesModel", var: str, state: object, name: str = "state") -> int:
    return _checks.state(model.network[var].states, state, of=var, name=name)



