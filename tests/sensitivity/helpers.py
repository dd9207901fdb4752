"""Shared helpers of the sensitivity tests: small networks written to a temporary directory, and CPTs with one entry
changed and its row co-varied (the brute-force side of the checks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import bmes_bayes
from bmes_bayes.model import BmesModel
from bmes_bayes.sensitivity import covary

TOL = 1e-9
HIP = {"joint": "hip", "onset": "sudden"}                     # risk factors, age and sex unobserved
TOY_EV = {"sign": "high", "test": "pos"}
TOY_FULL = {"sex": "female", "pregnant": "no", "risk": "yes", "sign": "mid", "test": "pos"}


# ------------------------------------------------------------------------------------------------ helpers
def _network(tmp: Path, name: str, variables: str, nodes: str) -> BmesModel:
    (tmp / "networks").mkdir(parents=True, exist_ok=True)
    (tmp / "priors").mkdir(exist_ok=True)
    (tmp / "networks" / f"{name}.yaml").write_text(f'name: {name}\nversion: "1"\nvariables:\n{variables}')
    (tmp / "priors" / f"{name}.yaml").write_text(f"nodes:\n{nodes}")
    return bmes_bayes.load_model(tmp)


def _point_tables(model) -> dict[str, np.ndarray]:
    return {k: v[0].copy() for k, v in model._tables.tables.items()}


def _with_entry(model, node, parent_states, state, x, scheme="proportional"):
    """CPTs (no sample axis) with one entry set to x and its row co-varied: the brute-force side of the tests."""
    net = model.network
    tables = _point_tables(model)
    r = tuple(net[p].states.index(parent_states[p]) for p in net[node].parents)
    k = net[node].states.index(state)
    tables[node][r] = covary(tables[node][r], k, x, scheme)[0]
    return tables
