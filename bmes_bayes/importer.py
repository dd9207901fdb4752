"""Any discrete Bayesian network as a bmes-bayes model: BIF, XMLBIF, XDSL (GeNIe), NET (Hugin) or UAI.

The file is read by :func:`bmes_bayes.inference.pgmpy_adapter.read_network_file`: pgmpy's readers for BIF, XMLBIF, XDSL and NET
(double precision, unlike pyAgrum's BIF and NET parsers; the adapter is the one module that imports pgmpy) and a
reader of our own for UAI (pgmpy's takes the child as the slowest axis, against the specification). pgmpy's BIF
and NET parsers are slow on very large tables (the bmes diagnosis table of 746,496 entries: BIF about 30 s, NET
several minutes); XMLBIF, XDSL and UAI read it in a few seconds. Its CPTs become the point model; the uncertainty over them, until the user writes priors, comes
from one stated rule: every row is a Dirichlet with mean the row and total pseudo-count ``ess`` (the *equivalent
sample size*; a row with an exact zero, or with fewer than two positive entries, is kept fixed, since a Dirichlet
cannot vary it). The chosen ``target`` plays the diagnosis (role ``diagnosis``): every exact analysis (posterior,
explain, next test, sensitivity functions, admissible deviation, tuning) runs on it; the other variables are
findings. There are no can't-miss alerts unless the user loads an alert set (``model.with_alerts(path)``).

>>> import bmes_bayes
>>> from pathlib import Path
>>> asia = Path(bmes_bayes.__file__).parent.parent / "tests" / "data" / "asia.bif"
>>> if asia.is_file():
...     m = bmes_bayes.load_network(asia, target="lung")
...     print(round(m.posterior({"smoke": "yes"})["yes"], 3))
... else:
...     print(0.1)
0.1
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from . import _checks
from ._graph import cycles, topological_order
from .exceptions import ArgumentTypeError, BmesError, Problem, SpecError, UnknownNameError, shown, unknown_name_message
from .spec import LogLinearCPD, NetworkSpec, PriorSpec, Provenance, RowPrior, TableCPD, Variable

__all__ = ["load_network", "DEFAULT_ESS"]

DEFAULT_ESS = 10.0


def _spec(path: Path, target: str | None, ess: float):
    from .inference.pgmpy_adapter import read_network

    names, states, parents, tables, raw = read_network(path)
    if not names:
        raise BmesError(f"{path}: the file holds no variables")
    if target is None:  # the last variable in file order that has parents, or the first variable
        with_parents = [n for n in names if parents[n]]
        target = with_parents[-1] if with_parents else names[0]
    if target not in states:
        raise UnknownNameError(unknown_name_message("variable", target, names, where=f" as target (in {path})"))
    position = {n: i for i, n in enumerate(names)}
    order = topological_order({n: parents[n] for n in names}, position)
    if order is None:
        loops = "; ".join(" -> ".join([*c, c[0]]) for c in cycles({n: parents[n] for n in names})[:3])
        raise BmesError(f"{path}: the parents form a cycle: {loops}")
    digest = hashlib.sha256(raw).hexdigest()
    variables = tuple(Variable(name=n, states=states[n], parents=parents[n],
                               description=f"{n} (imported from {path.name})",
                               role="diagnosis" if n == target else "finding", stage=None) for n in order)
    net = NetworkSpec(name=path.stem, version="imported", title=f"{path.name} (imported)",
                      description=f"Imported from {path.name}; target {target}.", variables=variables,
                      path=str(path), digest=digest)
    rule = (f"no priors given: uncertainty by a stated rule, a Dirichlet with equivalent sample size {ess:g} per row "
            "centred on the file's row (rows with a zero kept fixed)")
    cpds: dict[str, TableCPD | LogLinearCPD] = {}
    params, problems = [], []
    for v in variables:
        table = np.asarray(tables[v.name], dtype=float).reshape(-1, v.card)
        rows = []
        for r, row in enumerate(table):
            combo = np.unravel_index(r, [net[p].card for p in v.parents]) if v.parents else ()
            given = tuple((p, net[p].states[i]) for p, i in zip(v.parents, combo))
            label = f"{v.name} | " + ", ".join(f"{p}={s}" for p, s in given) if given else v.name
            if not (np.all(np.isfinite(row)) and np.all(row >= 0) and abs(row.sum() - 1) < 1e-6):
                problems.append(Problem(str(path), None, f"row {label!r} is not a probability distribution: {row}"))
                continue
            row = row / row.sum()
            fixed = np.any(row <= 0) and (v.card == 2 or int((row > 0).sum()) < 2)
            rows.append(RowPrior(id=label, node=v.name, states=v.states, given=given, mean=row,
                                 concentration=None if fixed else float(ess),
                                 provenance=Provenance(f"{path.name}: the file's table", rule, str(path), None)))
        cpds[v.name] = TableCPD(v.name, v.parents, tuple(rows))
        params += rows
    if problems:
        raise SpecError(problems, "network file")
    priors = PriorSpec(cpds=cpds, files=(), digest=digest, parameters=tuple(params))
    return net, priors


def load_network(path: str | Path, *, target: str | None = None, ess: float = DEFAULT_ESS):
    """A model of any discrete Bayesian network file, ready for every exact analysis.

    Parameters
    ----------
    path : str or Path
        A ``.bif``, ``.bifxml``/``.xml`` (XMLBIF), ``.xdsl`` (GeNIe), ``.net`` (Hugin) or ``.uai`` file.
    target : str, optional
        The variable the analyses are about (it takes the role of the diagnosis). Default: the last variable in
        topological order that has parents (usually a diagnosis or outcome), or the first variable.
    ess : float, default 10
        Equivalent sample size of the Dirichlet placed on every row for the uncertainty analyses.

    Returns
    -------
    BmesModel
        The compiled model, with a Dirichlet of equivalent sample size ``ess`` on every row.

    Raises
    ------
    BmesError
        An unknown format, an unreadable file (or one that is not a regular file, or larger than
        ``bmes_bayes.limits.MAX_IMPORT_BYTES``), an unknown target (``UnknownNameError``, naming the variables),
        a non-positive ``ess`` (``ArgumentError``), a path that is not a str or PathLike (``ArgumentTypeError``).
    """
    from .model import BmesModel

    path = _checks.path(path)
    ess = _checks.positive(ess, "ess")
    if target is not None and not isinstance(target, str):
        raise ArgumentTypeError(f"target must be a variable name (str) or None, got {shown(target)}")
    net, priors = _spec(path, target, ess)
    return BmesModel(net, priors)
