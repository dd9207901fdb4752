"""The relative test costs (``priors/teaching/test_costs.yaml``) used to rank "which test next" by value per cost.

:func:`load_test_costs` reads and validates a cost file with the package's reader pattern
(:mod:`bmes_bayes.spec._reader`): every problem at once with its line, unknown keys named with the valid ones, and the
one provenance rule (a ``source`` or an ``expert_judgement`` for every cost).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import _checks
from .._yaml import line_of
from ..exceptions import ArgumentError, Problem, shown, unknown_name_message
from ._paths import default_paths
from ._reader import Reader
from .network import NetworkSpec, load_network

__all__ = ["load_test_costs"]

_TOP_KEYS = ("costs", "unit", "note")
_COST_KEYS = ("cost", "source", "expert_judgement", "note")


def load_test_costs(path: str | Path | None = None, *, network: NetworkSpec | None = None) -> dict[str, float]:
    """Relative costs of observing each finding, from ``priors/teaching/test_costs.yaml`` (or ``path``).

    Parameters
    ----------
    path : path, optional
        A YAML file in the format of ``priors/teaching/test_costs.yaml``. Default: the shipped file.
    network : NetworkSpec, optional
        The network whose variables the file must name. Default: the shipped network.

    Returns
    -------
    dict
        ``{variable: cost}``, every cost a positive finite number (relative units; see the file).

    Raises
    ------
    SpecError
        Every problem with its line: unknown variable (with the closest name), a cost that is not a positive number,
        a cost without provenance (a ``source`` or an ``expert_judgement``, non-empty text), unknown keys (with the
        valid ones).
    """
    p = _checks.path(path) if path is not None else default_paths()[1] / "teaching" / "test_costs.yaml"
    if network is None:
        network = load_network(default_paths()[0])
    file = str(p)
    reader = Reader("test cost file")
    data, _ = reader.read(p)
    if data is None:
        reader.fail()
    if isinstance(data, dict):
        reader.unknown_keys(data, _TOP_KEYS, file, "the test cost file")
    costs_node = data.get("costs") if isinstance(data, dict) else None
    if not isinstance(costs_node, dict):
        reader.fail(Problem(file, line_of(data, "costs") if isinstance(data, dict) else line_of(data),
                            "a test cost file must hold a 'costs' mapping"))
    out: dict[str, float] = {}
    for var, item in costs_node.items():
        line = line_of(costs_node, var)
        before = len(reader.problems)
        if not isinstance(var, str) or var not in network:
            reader.problem(file, line, unknown_name_message("variable", var, network.names))
        if not isinstance(item, dict):
            reader.problem(file, line, f"{var}: expected a mapping with 'cost' and 'source' or 'expert_judgement'")
            continue
        reader.unknown_keys(item, _COST_KEYS, file, f"the cost of {var!r}")
        cost: Any = item.get("cost")
        try:
            cost = _checks.positive(cost, "cost")
        except ArgumentError:  # not a number, a bool, 0 or less, infinite, an int beyond the float range...
            reader.problem(file, line_of(item, "cost") or line, f"{var}: cost must be a positive number, got {shown(cost)}")
        reader.provenance(item, file, str(var), line=line)
        if len(reader.problems) == before:
            out[str(var)] = float(cost)
    reader.done()
    return out
