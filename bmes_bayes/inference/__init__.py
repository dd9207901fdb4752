"""Exact inference backends behind one small interface.

A backend answers, for a :class:`~bmes_bayes.compile.TableSource` (the point model's tables or a batch of drawn
ones) and evidence given as state indices (``hard``) and likelihood vectors (``soft``):

- ``query(source, hard, soft, target)``: a :class:`QueryResult`, the posterior ``(S, K)`` and ``log P(e)`` ``(S,)``
  for every parameter set, raising :class:`ZeroEvidence` when the evidence is impossible for one of them;
- ``possible(source, hard, soft, target)``: whether the evidence has non-zero probability, per parameter set;
- ``relevant_nodes(target, hard, soft)``: the nodes a query can depend on (the ancestral set);
- ``clear_cache()``.

Implementations: :class:`~bmes_bayes.inference.contraction.Engine` (the default: batched tensor contraction),
:class:`~bmes_bayes.inference.enumeration.Enumeration` (brute force, the reference the tests hold the engine to) and
the pgmpy adapter (:mod:`bmes_bayes.inference.pgmpy_adapter`, the one module that imports pgmpy), which turns the
model into a pgmpy network for an independent check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np

from ..compile import TableSource
from .contraction import Engine, QueryResult, ZeroEvidence
from .enumeration import Enumeration

__all__ = ["Backend", "Engine", "Enumeration", "QueryResult", "ZeroEvidence"]


class Backend(Protocol):
    """What the model asks of an inference engine."""

    def query(self, source: TableSource, hard: Mapping[str, int], soft: Mapping[str, np.ndarray],
              target: str) -> QueryResult:
        """P(target | hard, soft) under every parameter set of ``source``, with ``log P(evidence)``."""
        ...

    def possible(self, source: TableSource, hard: Mapping[str, int], soft: Mapping[str, np.ndarray],
                 target: str | None = None) -> np.ndarray:
        """Whether the evidence has non-zero probability under each parameter set of ``source``: a boolean array."""
        ...

    def relevant_nodes(self, target: str, hard: frozenset[str], soft: frozenset[str]) -> tuple[str, ...]:
        """The nodes that can enter P(target | evidence), in network order."""
        ...

    def clear_cache(self) -> None:
        """Forget every cached plan and result (they are rebuilt on demand; results do not change)."""
        ...
