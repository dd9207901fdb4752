"""The pgmpy adapter: the only module that imports pgmpy (which has renamed its main class twice).

It turns a compiled model into a ``pgmpy.models.DiscreteBayesianNetwork`` (the reference engine of the tests and
``check_model()``), and reads the network formats other tools write (pgmpy's readers; UAI by a reader of our own).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import BmesError

if TYPE_CHECKING:  # pragma: no cover
    from ..model import BmesModel

__all__ = ["to_pgmpy", "pgmpy_tables", "read_network_file", "READERS"]


def _pgmpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.models import DiscreteBayesianNetwork
    return DiscreteBayesianNetwork, TabularCPD


def pgmpy_tables(net, tables: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Our ``(1, *parents, card)`` tables as pgmpy's ``(card, prod(parent cards))`` value arrays."""
    out = {}
    for v in net.variables:
        t = np.asarray(tables[v.name])
        if t.ndim == len(v.parents) + 2:
            t = t[0]
        out[v.name] = t.reshape(-1, v.card).T.copy()
    return out


def to_pgmpy(model: "BmesModel", tables: dict[str, np.ndarray] | None = None):
    """The model (or the same structure with other ``tables``) as a pgmpy ``DiscreteBayesianNetwork``.

    Parameters
    ----------
    model : BmesModel
        The model whose structure and states are used.
    tables : dict, optional
        CPT arrays in the package's layout ``([1,] *parent cards, card)``; default the point model's.

    Returns
    -------
    pgmpy.models.DiscreteBayesianNetwork
        The network with one ``TabularCPD`` per node.
    """
    DiscreteBayesianNetwork, TabularCPD = _pgmpy()
    net = model.network
    values = pgmpy_tables(net, tables if tables is not None else model.tables.tables)
    bn = DiscreteBayesianNetwork()
    bn.add_nodes_from(net.names)
    bn.add_edges_from((p, v.name) for v in net.variables for p in v.parents)
    cpds = []
    for v in net.variables:
        cpds.append(TabularCPD(
            v.name, v.card, values[v.name],
            evidence=list(v.parents) or None,
            evidence_card=[net[p].card for p in v.parents] or None,
            state_names={n: list(net[n].states) for n in (*v.parents, v.name)},
        ))
    bn.add_cpds(*cpds)
    return bn


# ------------------------------------------------------------------------------------------------ reading
READERS = {".bif": "BIFReader", ".bifxml": "XMLBIFReader", ".xml": "XMLBIFReader", ".xmlbif": "XMLBIFReader",
           ".xdsl": "XDSLReader", ".net": "NETReader", ".uai": "our UAI reader"}


def _read_uai(path: Path, text: str):
    """UAI (BAYES) by its specification.

    Each function's scope lists the parents then the child, and its table runs in C order over the scope (the child
    fastest). Read here rather than by pgmpy's UAIReader, which takes the child as the slowest axis, orders parents by
    the graph and cannot parse exponents ("1e-05").
    """
    tokens = text.split()
    pos = 0

    def take(kind=int):
        nonlocal pos
        if pos >= len(tokens):
            raise BmesError(f"{path}: the UAI file ends early (token {pos + 1} expected)")
        tok = tokens[pos]
        pos += 1
        try:
            return kind(tok)
        except ValueError:
            raise BmesError(f"{path}: UAI token {pos} is {tok!r}, expected a {kind.__name__}") from None

    kind = tokens[0] if tokens else ""
    pos = 1
    if kind != "BAYES":
        raise BmesError(f"{path}: only UAI 'BAYES' networks can be read (found {kind or 'an empty file'!r})")
    def take_count(what: str, low: int = 0) -> int:
        value = take()
        if value < low:
            raise BmesError(f"{path}: UAI token {pos} ({what}) is {value}, expected at least {low}")
        return value

    n = take_count("the number of variables", 1)
    cards = [take_count("a variable's number of states", 1) for _ in range(n)]
    n_functions = take_count("the number of functions")
    scopes: list[list[int]] = []
    for f in range(n_functions):
        k = take_count(f"the size of function {f}'s scope", 1)
        scope = [take() for _ in range(k)]
        bad = [i for i in scope if not 0 <= i < n]
        if bad:
            raise BmesError(f"{path}: function {f}'s scope names variable {bad[0]}; the file has variables 0 to {n - 1}")
        if len(set(scope)) != len(scope):
            raise BmesError(f"{path}: function {f}'s scope names a variable twice: {scope}")
        if any(scope[-1] == other[-1] for other in scopes):
            raise BmesError(f"{path}: two functions are tables of variable {scope[-1]}")
        scopes.append(scope)
    names = [f"var_{i}" for i in range(n)]
    states = {names[i]: tuple(str(j) for j in range(c)) for i, c in enumerate(cards)}
    parents: dict[str, tuple[str, ...]] = {}
    tables: dict[str, np.ndarray] = {}
    for scope in scopes:
        count = take_count("a table's number of values")
        values = np.array([take(float) for _ in range(count)])
        shape = [cards[i] for i in scope]
        if int(np.prod(shape)) != count:
            raise BmesError(f"{path}: a table has {count} values for a scope of size {int(np.prod(shape))}")
        child = names[scope[-1]]
        parents[child] = tuple(names[i] for i in scope[:-1])
        tables[child] = values.reshape(shape)
    missing = [m for m in names if m not in tables]
    if missing:
        raise BmesError(f"{path}: no probability table for {', '.join(missing)}")
    return names, states, parents, tables


def read_network_file(path: str | Path) -> tuple[list[str], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]],
                                                 dict[str, np.ndarray]]:
    """Read a discrete Bayesian network with pgmpy's readers (BIF, XMLBIF, XDSL, Hugin NET, UAI).

    pgmpy's readers are used, not pyAgrum's, because pgmpy is already a dependency and keeps probabilities in double
    precision (pyAgrum parses BIF and NET as C++ floats).

    Parameters
    ----------
    path : str or Path
        A ``.bif``, ``.bifxml``/``.xml``, ``.xdsl``, ``.net`` or ``.uai`` file.

    Returns
    -------
    names : list of str
        The variable names, in file order.
    states : dict
        The states of each variable.
    parents : dict
        The parents of each variable.
    cpts : dict
        Each CPT as an array ``(*parent cards, card)`` in the order of ``parents``.

    Raises
    ------
    BmesError
        An unknown extension (naming the known ones), or a file pgmpy cannot parse (with its reason).
    SpecError
        A file that is missing, not a regular file (a device, FIFO or directory, also behind a symlink), not UTF-8,
        or larger than ``bmes_bayes.limits.MAX_IMPORT_BYTES``: refused without being read.
    """
    return read_network(path)[:4]


def read_network(path: str | Path):
    """:func:`read_network_file` and the bytes read (for a digest of exactly what was parsed, read once)."""
    from .. import _checks, limits
    from .._read import FileRefused, decode_utf8, read_limited
    from ..exceptions import Problem, SpecError

    path = _checks.path(path)
    ext = "".join(path.suffixes[-1:]).lower()
    if ext not in READERS:
        raise BmesError(f"{path}: unknown network format {ext or '(no extension)'!r}; "
                        f"known: {', '.join(sorted(READERS))}")
    try:
        raw = read_limited(path, limits.MAX_IMPORT_BYTES, what="network file")
        text = decode_utf8(raw)
    except FileRefused as exc:
        raise SpecError([Problem(str(path), None, exc.reason)], "network file") from None
    if ext == ".uai":
        return (*_read_uai(path, text), raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy import readwrite

        reader_cls = getattr(readwrite, READERS[ext])
        try:
            if READERS[ext] == "XMLBIFReader":
                # pgmpy splits every <PROPERTY> on "=" and fails on text with a second "=" (">=60 years"):
                # properties carry no probabilities, so they are dropped before parsing
                text = re.sub(r"<PROPERTY>.*?</PROPERTY>", "", text, flags=re.S)
                bn = reader_cls(string=text).get_model()
            elif READERS[ext] == "XDSLReader":  # parsed as bytes, so that an XML encoding declaration is allowed
                bn = reader_cls(string=raw).get_model()
            else:
                bn = reader_cls(string=text).get_model()
        except Exception as exc:  # noqa: BLE001 - any parse failure of a foreign file becomes our error
            raise BmesError(f"{path}: pgmpy's {READERS[ext]} cannot read it ({type(exc).__name__}: {exc})") from None
    names = [str(n) for n in bn.nodes()]
    states: dict[str, tuple[str, ...]] = {}
    parents: dict[str, tuple[str, ...]] = {}
    tables: dict[str, np.ndarray] = {}
    for cpd in bn.get_cpds():
        var = str(cpd.variable)
        ev = [str(e) for e in cpd.variables[1:]]                            # pgmpy: first parent slowest
        names_of = {str(k): tuple(str(s) for s in v) for k, v in cpd.state_names.items()}
        states[var] = names_of[var]
        parents[var] = tuple(ev)
        values = np.asarray(cpd.get_values(), dtype=float)                  # (card, prod(parent cards))
        cards = [len(names_of[p]) for p in ev]
        tables[var] = values.T.reshape(*cards, len(states[var])) if ev else values[:, 0]
    missing = [n for n in names if n not in tables]
    if missing:
        raise BmesError(f"{path}: no probability table for {', '.join(missing)}")
    return names, states, parents, tables, raw
