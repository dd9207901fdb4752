"""The pgmpy adapter: the only module that imports pgmpy (which has renamed its main class twice).

It turns a compiled model into a ``pgmpy.models.DiscreteBayesianNetwork`` (for reference inference and
``check_model()``) and writes the network in the formats other tools read.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from ._io import check_target, write_output
from .exceptions import BmesError

if TYPE_CHECKING:  # pragma: no cover
    from .model import BmesModel

__all__ = ["to_pgmpy", "export", "FORMATS", "pgmpy_tables", "read_network_file", "READERS"]

Format = Literal["bif", "xmlbif", "xdsl", "net", "uai"]
#: Export formats and their file extensions (pyAgrum picks its reader by extension: XMLBIF must end in .bifxml).
FORMATS: dict[str, str] = {"bif": ".bif", "xmlbif": ".bifxml", "xdsl": ".xdsl", "net": ".net", "uai": ".uai"}


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


def _num(x: float) -> str:
    """Shortest text that reads back as exactly the same double."""
    return repr(float(x))


# ------------------------------------------------------------------------------------ free text leaving the package
# Titles and descriptions are the user's free text; each format constrains where they go. XML 1.0 forbids most
# control characters even when escaped; an XML comment may not contain "--" or end with "-"; a Hugin NET comment
# ends at the line end; BIF and SMILE take the network's name as an identifier.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _one_line(text: object) -> str:
    """Free text as one line that every format can carry: control characters (and those XML forbids) dropped,
    every run of whitespace, newlines included, made one space."""
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
        flat = np.asarray(model._tables.tables[v.name][0]).ravel()
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
        flat = np.asarray(model._tables.tables[v.name][0]).ravel()
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
        table = np.asarray(model._tables.tables[v.name][0])
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
        table = np.asarray(model._tables.tables[v.name][0])
        out += ["", str(table.size)]
        out += [" " + " ".join(_num(x) for x in row) for row in table.reshape(-1, v.card)]
    return "\n".join(out) + "\n"


_WRITERS = {"bif": _bif, "xmlbif": _xmlbif, "xdsl": _xdsl, "net": _hugin_net, "uai": _uai}


def export_text(model: "BmesModel", fmt: Format) -> str:
    """The network in ``fmt`` as text (every probability written to full double precision)."""
    from . import _checks

    return _WRITERS[_checks.choice(fmt, "fmt", tuple(_WRITERS))](model)


def export(model: "BmesModel", fmt: Format, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the network to ``path`` in ``fmt`` atomically (refusing to overwrite unless asked).

    Raises
    ------
    OutputError
        ``path`` exists (and ``overwrite`` is false), is not a regular file, or its directory is missing; checked
        before the network is written out.
    """
    check_target(path, overwrite=overwrite)
    return write_output(path, export_text(model, fmt), overwrite=overwrite)


# ------------------------------------------------------------------------------------------------ reading
READERS = {".bif": "BIFReader", ".bifxml": "XMLBIFReader", ".xml": "XMLBIFReader", ".xmlbif": "XMLBIFReader",
           ".xdsl": "XDSLReader", ".net": "NETReader", ".uai": "our UAI reader"}


def _read_uai(path: Path, text: str):
    """UAI (BAYES) by its specification: each function's scope lists the parents then the child, and its table runs
    in C order over the scope (the child fastest). Read here rather than by pgmpy's UAIReader, which takes the
    child as the slowest axis, orders parents by the graph and cannot parse exponents ("1e-05")."""
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
    scopes = []
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
    precision (pyAgrum parses BIF and NET as C++ floats). Returns the variable names (in file order), their states,
    their parents, and each CPT as an array ``(*parent cards, card)`` in the order of ``parents``.

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
    from . import _checks, limits
    from ._read import FileRefused, decode_utf8, read_limited
    from .exceptions import Problem, SpecError

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
