"""Writing the network in the formats other tools read: BIF, XMLBIF, XDSL (GeNIe), Hugin NET and UAI.

Every probability is written to full double precision (the shortest text that reads back as the same double);
titles and descriptions are cleaned to one line without control characters. The exported files are generated
(``bmes-bayes export``), never kept in git or shipped in the wheel.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from ._io import check_target, write_output
from .exceptions import BmesError

if TYPE_CHECKING:  # pragma: no cover
    from .model import BmesModel

__all__ = ["export", "export_text", "FORMATS"]

Format = Literal["bif", "xmlbif", "xdsl", "net", "uai"]
#: Export formats and their file extensions (pyAgrum picks its reader by extension: XMLBIF must end in .bifxml).
FORMATS: dict[str, str] = {"bif": ".bif", "xmlbif": ".bifxml", "xdsl": ".xdsl", "net": ".net", "uai": ".uai"}


def _num(x: float) -> str:
    """Shortest text that reads back as exactly the same double."""
    return repr(float(x))


# ------------------------------------------------------------------------------------ free text leaving the package
# Titles and descriptions are the user's free text; each format constrains where they go. XML 1.0 forbids most
# control characters even when escaped; an XML comment may not contain "--" or end with "-"; a Hugin NET comment
# ends at the line end; BIF and SMILE take the network's name as an identifier.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _one_line(text: object) -> str:
    """Free text as one line that every format can carry.

    Control characters (and those XML forbids) dropped, every run of whitespace, newlines included, made one space.
    """
    return " ".join(_CONTROL.sub("", str(text)).split())


def _xml_comment(text: object) -> str:
    """Text for inside ``<!-- ... -->``: one line, no "--", not ending in "-" (XML 1.0, section 2.5)."""
    out = _one_line(text)
    while "--" in out:
        out = out.replace("--", "- -")
    return out + " " if out.endswith("-") else out


def _identifier(name: str) -> str:
    """A network name as a C-like identifier (BIF's ``network`` and SMILE's ``id``): other characters become '_'."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", _one_line(name)) or "network"
    return out if out[0].isalpha() else f"n_{out}"


def _bif(model: "BmesModel") -> str:
    net = model.network
    # no properties: pyAgrum's BIF parser rejects them (descriptions travel in the XMLBIF copy)
    out = [f"network {_identifier(net.name)} {{", "}"]
    for v in net.variables:
        out += [f"variable {v.name} {{", f"  type discrete [ {v.card} ] {{ {', '.join(v.states)} }};", "}"]
    for v in net.variables:
        head = f"probability ( {v.name}" + (f" | {', '.join(v.parents)} )" if v.parents else " )")
        table = np.asarray(model.tables.tables[v.name][0])
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
    out = ["<?xml version='1.0' encoding='utf-8'?>", '<BIF VERSION="0.3">', "<NETWORK>", f"<NAME>{escape(net.name)}</NAME>"]
    for v in net.variables:
        out.append('<VARIABLE TYPE="nature">')
        out.append(f"  <NAME>{escape(v.name)}</NAME>")
        out += [f"  <OUTCOME>{escape(s)}</OUTCOME>" for s in v.states]
        out.append(f"  <PROPERTY>description = {escape(_one_line(v.description))}</PROPERTY>")
        out.append("</VARIABLE>")
    for v in net.variables:
        out.append("<DEFINITION>")
        out.append(f"  <FOR>{escape(v.name)}</FOR>")
        out += [f"  <GIVEN>{escape(p)}</GIVEN>" for p in v.parents]
        # XMLBIF tables list the parents slowest and the child fastest: our (*parents, card) layout, flattened
        flat = np.asarray(model.tables.tables[v.name][0]).ravel()
        out.append("  <TABLE>" + " ".join(_num(x) for x in flat) + "</TABLE>")
        out.append("</DEFINITION>")
    out += ["</NETWORK>", "</BIF>"]
    return "\n".join(out) + "\n"


_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def _check_identifiers(model: "BmesModel", fmt: str) -> None:
    """XDSL and Hugin NET need C-like identifiers for variables (and XDSL for states too)."""
    bad = [v.name for v in model.network.variables if not _IDENTIFIER.match(v.name)]
    if fmt == "xdsl":
        bad += [f"{v.name}={s}" for v in model.network.variables for s in v.states if not _IDENTIFIER.match(s)]
    if bad:
        raise BmesError(f"cannot export to {fmt}: these names are not identifiers (a letter, then letters, digits "
                        f"or underscores): {', '.join(bad)}")


def _grid_positions(model: "BmesModel") -> dict[str, tuple[int, int]]:
    """Node centres for tools that store a layout (GeNIe, Hugin): one row per role, findings by stage."""
    net = model.network
    rows: list[list[str]] = [
        [v.name for v in net.variables if v.role == "context"],
        [v.name for v in net.variables if v.role == "risk_factor"],
        [v.name for v in net.variables if v.role == "diagnosis"],
    ]
    findings = [v.name for v in net.variables if v.role == "finding"]
    rows += [findings[i:i + 10] for i in range(0, len(findings), 10)]
    out = {}
    for r, names in enumerate(rows):
        for c, name in enumerate(names):
            out[name] = (100 + 160 * c + (80 if len(names) < 10 else 0) * (10 - len(names)) // 2, 60 + 110 * r)
    return out


def _xdsl(model: "BmesModel") -> str:
    """GeNIe/SMILE XDSL.

    SMILE stores a CPT as a flattened array whose most significant coordinate is the first parent and whose least
    significant is the node itself (BayesFusion, "SMILE Wrappers: Multidimensional arrays"): our
    ``(*parents, node)`` layout in C order. Probabilities are one space-separated line with no trailing blank
    (pgmpy's reader splits on single spaces; pyAgrum's reads one value past trailing whitespace).
    """
    from xml.sax.saxutils import escape, quoteattr

    _check_identifiers(model, "xdsl")
    net = model.network
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           "<!-- " + _xml_comment(f"{net.title}: bmes-bayes {model.info.package_version}, network {net.version}, "
                                  f"model {model.info.digest[:12]}. Not a clinical device.") + " -->",
           f'<smile version="1.0" id={quoteattr(_identifier(net.name))} numsamples="10000" discsamples="10000">',
           "  <nodes>"]
    for v in net.variables:
        out.append(f'    <cpt id="{v.name}">')
        out += [f'      <state id="{s}" />' for s in v.states]
        if v.parents:
            out.append(f"      <parents>{' '.join(v.parents)}</parents>")
        flat = np.asarray(model.tables.tables[v.name][0]).ravel()
        out.append("      <probabilities>" + " ".join(_num(x) for x in flat) + "</probabilities>")
        out.append("    </cpt>")
    out += ["  </nodes>", "  <extensions>",
            f'    <genie version="1.0" app={quoteattr("bmes-bayes " + model.info.package_version)} '
            f"name={quoteattr(_one_line(net.title))}>",
            f"      <comment>{escape(_one_line(net.description))}</comment>"]
    pos = _grid_positions(model)
    for v in net.variables:
        x, y = pos[v.name]
        # <name> stays the id: pyAgrum renames a variable to its <name> when they differ
        out += [f'      <node id="{v.name}">', f"        <name>{v.name}</name>",
                '        <interior color="e5f6f7" />', '        <outline color="000080" />',
                '        <font color="000000" name="Arial" size="8" />',
                f"        <position>{x - 70} {y - 20} {x + 70} {y + 20}</position>",
                f"        <comment>{escape(_one_line(v.description))}</comment>", "      </node>"]
    out += ["    </genie>", "  </extensions>", "</smile>"]
    return "\n".join(out) + "\n"


def _net_label(text: str) -> str:
    """A Hugin NET string: one line, no double quote or backslash (the format has no escapes)."""
    return '"' + _one_line(text).replace("\\", "/").replace('"', "'") + '"'


def _nested_lines(table: np.ndarray, fmt=None):
    """Lines of a nested parenthesised table (Hugin NET ``data``): the first axis outermost, the last innermost."""
    fmt = fmt or _num
    shape = table.shape[:-1]
    if not shape:
        yield "(" + " ".join(fmt(x) for x in table) + ")"
        return
    for idx in np.ndindex(shape):
        opens = 1 + next((len(idx) - j for j in range(len(idx)) if all(i == 0 for i in idx[j:])), 0)
        closes = 1 + next((len(idx) - j for j in range(len(idx))
                           if all(i == n - 1 for i, n in zip(idx[j:], shape[j:]))), 0)
        yield "(" * opens + " ".join(fmt(x) for x in table[idx]) + ")" * closes


def _hugin_net(model: "BmesModel") -> str:
    """Hugin NET (the classic, "NET language" form).

    ``potential (X | P1 ... Pn)`` lists ``data`` nested by P1 (outermost) to Pn, with the distribution of X
    innermost (Hugin API Reference Manual, "The NET language": first parent varies slowest).
    """
    _check_identifiers(model, "net")
    net = model.network
    pos = _grid_positions(model)
    out = [f"% {_one_line(net.title)}", f"% bmes-bayes {model.info.package_version}, network {_one_line(net.version)}, "
           f"model {model.info.digest[:12]}. Educational and research model, not a clinical device.",
           "net", "{", "    node_size = (140 40);", f"    label = {_net_label(net.title)};", "}", ""]
    for v in net.variables:
        x, y = pos[v.name]
        out += [f"node {v.name}", "{", f"    label = {_net_label(v.description)};",
                f"    position = ({x} {y});",
                "    states = (" + " ".join(f'"{s}"' for s in v.states) + ");", "}", ""]
    for v in net.variables:
        head = f"potential ({v.name}" + (f" | {' '.join(v.parents)})" if v.parents else ")")
        table = np.asarray(model.tables.tables[v.name][0])
        out += [head, "{"]
        if v.parents:
            out.append(f"    % nested by {', '.join(v.parents)} (first slowest); innermost: {v.name}")
        lines = list(_nested_lines(table))
        lines[0] = "    data = " + lines[0]
        lines[-1] = lines[-1] + ";"
        out += [("    " + ln if i else ln) for i, ln in enumerate(lines)]
        out += ["}", ""]
    return "\n".join(out)


def _uai(model: "BmesModel") -> str:
    """UAI (the inference competitions' format, ``BAYES`` network).

    Variables are numbered in network order (``bmes-bayes variables``) and states in their listed order; the
    format carries no names. Each CPT's scope lists its parents then the child, and its table is listed with the
    last variable of the scope changing fastest (UAI 2008/2014 evaluation "Model Format"): our layout in C order.
    """
    net = model.network
    index = {n: i for i, n in enumerate(net.names)}
    out = ["BAYES", str(len(net.variables)), " ".join(str(v.card) for v in net.variables), str(len(net.variables))]
    for v in net.variables:
        scope = [index[p] for p in v.parents] + [index[v.name]]
        out.append(" ".join(str(x) for x in [len(scope), *scope]))
    for v in net.variables:
        table = np.asarray(model.tables.tables[v.name][0])
        out += ["", str(table.size)]
        out += [" " + " ".join(_num(x) for x in row) for row in table.reshape(-1, v.card)]
    return "\n".join(out) + "\n"


_WRITERS = {"bif": _bif, "xmlbif": _xmlbif, "xdsl": _xdsl, "net": _hugin_net, "uai": _uai}


def export_text(model: "BmesModel", fmt: Format) -> str:
    """The network in ``fmt`` as text (every probability written to full double precision).

    Parameters
    ----------
    model : BmesModel
        The model whose network and point CPTs are written.
    fmt : {"bif", "xmlbif", "xdsl", "net", "uai"}
        The file format.

    Returns
    -------
    str
        The file's text.
    """
    from . import _checks

    return _WRITERS[_checks.choice(fmt, "fmt", tuple(_WRITERS))](model)


def export(model: "BmesModel", fmt: Format, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the network to ``path`` in ``fmt`` atomically (refusing to overwrite unless asked).

    Parameters
    ----------
    model : BmesModel
        The model whose network and point CPTs are written.
    fmt : {"bif", "xmlbif", "xdsl", "net", "uai"}
        The file format (:func:`export_text`).
    path : str or Path
        The file to write.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    OutputError
        ``path`` exists (and ``overwrite`` is false), is not a regular file, or its directory is missing; checked
        before the network is written out.
    """
    check_target(path, overwrite=overwrite)
    return write_output(path, export_text(model, fmt), overwrite=overwrite)
