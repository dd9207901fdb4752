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

Format = Literal["bif", "xmlbif", "xdsl", "net", "uai"]
FORMATS: dict[str, str] = {"bif": ".bif", "xmlbif": ".xml", "xdsl": ".xdsl", "net": ".net", "uai": ".uai"}


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


def _writer(fmt: str):
    from pgmpy import readwrite as rw

    return {"bif": rw.BIFWriter, "xmlbif": rw.XMLBIFWriter, "xdsl": rw.XDSLWriter, "net": rw.NETWriter,
            "uai": rw.UAIWriter}[fmt]


def export_text(model: "BmesModel", fmt: Format) -> str:
    """The network in ``fmt`` as text."""
    if fmt not in FORMATS:
        raise BmesError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    bn = to_pgmpy(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        writer = _writer(fmt)(bn)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"model{FORMATS[fmt]}"
            if fmt == "bif":
                writer.write(str(path))
            else:
                writer.write_xmlbif(str(path)) if fmt == "xmlbif" else _write_other(writer, fmt, path)
            return path.read_text(encoding="utf-8")


def _write_other(writer, fmt: str, path: Path) -> None:
    for name in ("write", f"write_{fmt}", "write_xdsl", "write_net", "write_uai"):
        fn = getattr(writer, name, None)
        if callable(fn):
            fn(str(path))
            return
    raise BmesError(f"pgmpy cannot write {fmt}")


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
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
