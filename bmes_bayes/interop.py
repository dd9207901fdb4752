"""The pgmpy adapter: the only module that imports pgmpy (which has renamed its main class twice).

It turns a compiled model into a ``pgmpy.models.DiscreteBayesianNetwork`` (for reference inference and
``check_model()``) and writes the network in the formats other tools read.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from .exceptions import BmesError

if TYPE_CHECKING:  # pragma: no cover
    from .model import BmesModel

__all__ = ["to_pgmpy", "export", "FORMATS", "pgmpy_tables"]

Format = Literal["bif", "xmlbif"]
FORMATS: dict[str, str] = {"bif": ".bif", "xmlbif": ".bifxml"}


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
    tables : dict, optional
        CPT arrays in the package's layout ``([1,] *parent cards, card)``; default the point model's.
    """
    DiscreteBayesianNetwork, TabularCPD = _pgmpy()
    net = model.network
    values = pgmpy_tables(net, tables if tables is not None else model._tables.tables)
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


def _values(model: "BmesModel") -> dict[str, np.ndarray]:
    return pgmpy_tables(model.network, model._tables.tables)


def _num(x: float) -> str:
    """Shortest text that reads back as exactly the same double."""
    return repr(float(x))


def _bif(model: "BmesModel") -> str:
    net = model.network
    # no properties: pyAgrum's BIF parser rejects them (descriptions travel in the XMLBIF copy)
    out = [f"network {net.name} {{", "}"]
    for v in net.variables:
        out += [f"variable {v.name} {{", f"  type discrete [ {v.card} ] {{ {', '.join(v.states)} }};", "}"]
    for v in net.variables:
        head = f"probability ( {v.name}" + (f" | {', '.join(v.parents)} )" if v.parents else " )")
        table = np.asarray(model._tables.tables[v.name][0])
        if not v.parents:
            out += [head + " {", "  table " + ", ".join(_num(x) for x in table) + ";", "}"]
            continue
        # one labelled line per parent configuration: pyAgrum's parser crashes on a long `table` list
        out.append(head + " {")
        for idx in np.ndindex(table.shape[:-1]):
            labels = ", ".join(net[p].states[i] for p, i in zip(v.parents, idx))
            out.append(f"  ( {labels} ) " + ", ".join(_num(x) for x in table[idx]) + ";")
        out.append("}")
    return "\n".join(out) + "\n"


def _xmlbif(model: "BmesModel") -> str:
    from xml.sax.saxutils import escape

    net = model.network
    values = _values(model)
    out = ["<?xml version='1.0' encoding='utf-8'?>", '<BIF VERSION="0.3">', "<NETWORK>", f"<NAME>{escape(net.name)}</NAME>"]
    for v in net.variables:
        out.append('<VARIABLE TYPE="nature">')
        out.append(f"  <NAME>{escape(v.name)}</NAME>")
        out += [f"  <OUTCOME>{escape(s)}</OUTCOME>" for s in v.states]
        out.append(f"  <PROPERTY>description = {escape(v.description)}</PROPERTY>")
        out.append("</VARIABLE>")
    for v in net.variables:
        out.append("<DEFINITION>")
        out.append(f"  <FOR>{escape(v.name)}</FOR>")
        out += [f"  <GIVEN>{escape(p)}</GIVEN>" for p in v.parents]
        # XMLBIF tables list the parents slowest and the child fastest: our (*parents, card) layout, flattened
        flat = np.asarray(model._tables.tables[v.name][0]).ravel()
        out.append("  <TABLE>" + " ".join(_num(x) for x in flat) + "</TABLE>")
        out.append("</DEFINITION>")
    out += ["</NETWORK>", "</BIF>"]
    return "\n".join(out) + "\n"


_WRITERS = {"bif": _bif, "xmlbif": _xmlbif}


def export_text(model: "BmesModel", fmt: Format) -> str:
    """The network in ``fmt`` as text (every probability written to full double precision)."""
    if fmt not in _WRITERS:
        raise BmesError(f"unknown export format {fmt!r}; choose one of {', '.join(_WRITERS)}")
    return _WRITERS[fmt](model)


def export(model: "BmesModel", fmt: Format, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the network to ``path`` in ``fmt`` atomically (refusing to overwrite unless asked)."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise BmesError(f"{path} exists; pass overwrite=True (--force on the command line) to replace it")
    text = export_text(model, fmt)
    atomic_write(path, text)
    return path


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
