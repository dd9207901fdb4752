"""The package's layers and its import graph, read from the code (``python -m bmes_bayes._layers``).

Each module belongs to one layer (:data:`LAYERS`, the table of ``docs/architecture.md``). An import is read from
the source with :mod:`ast`, never by importing anything:

- *eager*: at module level (what loads when the module loads); an ``if TYPE_CHECKING:`` block is left out (type
  hints only, never run);
- *lazy*: inside a function (what loads when that function first runs).

The rules (``tests/test_layers.py``): an eager import never reaches a higher layer; a lazy one may only where
:data:`LAZY_UP` allows it (the model's public alias methods calling the analyses, never its set-up; any
result's ``.plot()`` calling ``plotting``);
only :data:`PGMPY_HOME` imports pgmpy.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

__all__ = ["LAYERS", "LAZY_UP", "PGMPY_HOME", "Import", "layer_of", "imports", "modules", "violations", "main"]

PACKAGE = "bmes_bayes"
ROOT = Path(__file__).resolve().parent

#: layer number -> (name, module prefixes). A module belongs to the layer of its longest matching prefix.
LAYERS: dict[int, tuple[str, tuple[str, ...]]] = {
    0: ("foundation", ("exceptions", "limits", "_checks", "_io", "_read", "_seed", "_yaml", "_version", "_deprecation", "_graph", "display")),
    1: ("spec", ("spec",)),
    2: ("parameters", ("parameters",)),
    3: ("compile", ("compile",)),
    4: ("inference", ("inference",)),
    5: ("evidence", ("evidence",)),
    6: ("results", ("results",)),
    7: ("model", ("model", "importer")),
    8: ("draws", ("draws",)),
    9: ("analyses", ("sensitivity", "teaching", "atlas", "validation", "scenarios", "conflict", "delta")),
    10: ("views", ("plotting", "report", "export", "drawing", "model_card", "interop")),
    11: ("interface", ("cli", "__main__", "__init__", "_layers")),
}

#: (importing layer prefix, imported layer prefix): lazy imports allowed to go up.
LAZY_UP: tuple[tuple[str, str], ...] = (
    ("model", "sensitivity"), ("model", "teaching"), ("model", "atlas"), ("model", "results.marginals"),
    ("model", "plotting"), ("model", "conflict"), ("model", "delta"), ("model", "drawing"),
    ("spec.alerts", "teaching"),  # AlertConfig.assess(uncertainty): a thin alias of teaching.alerts.AlertCheck
    ("*", "plotting"),  # a result's .plot() hands its frame to plotting: frame in, Axes out
)

PGMPY_HOME = "inference.pgmpy_adapter"

#: Former homes kept so that old imports keep working; the package itself imports the new homes. (``scenarios``
#: stays the public name of the scenario library, which lives in ``spec.scenarios``.)
SHIMS = ("conflict", "delta", "drawing", "interop", "model_card")


@dataclass(frozen=True)
class Import:
    """One import of a package module by another: where, and whether it runs when the module loads."""

    source: str      # importing module, relative to the package ("sensitivity.one_way")
    target: str      # imported module ("model"), or an outside top-level package ("pgmpy")
    line: int
    lazy: bool       # inside a function
    internal: bool   # a module of this package
    function: str = ""  # the innermost enclosing function, if any


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package by its dotted name relative to the package (``__init__`` for the top)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def layer_of(module: str) -> int:
    """The layer of a module (its longest matching prefix in :data:`LAYERS`)."""
    best, best_len = None, -1
    for number, (_, prefixes) in LAYERS.items():
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = number, len(p)
    if best is None:
        raise KeyError(f"module {module!r} is in no layer of bmes_bayes._layers.LAYERS: add it there")
    return best


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(module: str, is_package: bool, level: int, name: str | None) -> str:
    """The dotted name (relative to the package) of ``from <level dots><name> import ...`` inside ``module``."""
    base = module.split(".") if module != "__init__" else []
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, *(name.split(".") if name else [])])


def imports(known: dict[str, Path] | None = None) -> list[Import]:
    """Every import in the package, eager and lazy, internal and external (``TYPE_CHECKING`` blocks left out)."""
    known = known if known is not None else modules()
    out: list[Import] = []
    for module, path in known.items():
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

        def visit(node: ast.AST, lazy: bool, func: str = "") -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and _is_type_checking(child):
                    for sub in child.orelse:
                        visit(sub, lazy, func)
                    continue
                is_def = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                inner = lazy or is_def
                inner_func = str(getattr(child, "name", "<lambda>")) if is_def else func
                if isinstance(child, ast.ImportFrom):
                    if child.level:
                        target = _resolve(module, is_package, child.level, child.module)
                        for alias in child.names:  # "from . import limits" imports a module
                            name = f"{target}.{alias.name}" if target else alias.name
                            hit = name if name in known else target
                            out.append(Import(module, hit or "__init__", child.lineno, lazy, True, func))
                    elif child.module and child.module.split(".")[0] == PACKAGE:
                        rest = child.module.split(".", 1)[1] if "." in child.module else "__init__"
                        out.append(Import(module, rest, child.lineno, lazy, True, func))
                    elif child.module:
                        out.append(Import(module, child.module.split(".")[0], child.lineno, lazy, False))
                elif isinstance(child, ast.Import):
                    for alias in child.names:
                        top = alias.name.split(".")[0]
                        if top == PACKAGE:
                            rest = alias.name.split(".", 1)[1] if "." in alias.name else "__init__"
                            out.append(Import(module, rest, child.lineno, lazy, True, func))
                        else:
                            out.append(Import(module, top, child.lineno, lazy, False))
                visit(child, inner, inner_func)

        visit(tree, False)
    return out


def _with_parents(found: list[Import], known: dict[str, Path]) -> list[Import]:
    """Each internal import, plus one import of every package above its target.

    Python runs ``a/__init__.py`` before ``a.b``, so importing ``results.posterior`` loads whatever
    ``results/__init__`` loads.
    """
    out = []
    for imp in found:
        out.append(imp)
        if not imp.internal:
            continue
        parts = imp.target.split(".")
        for k in range(1, len(parts)):
            parent = ".".join(parts[:k])
            if parent in known and parent != imp.source and not imp.source.startswith(parent + "."):
                out.append(Import(imp.source, parent, imp.line, imp.lazy, True, imp.function))
    return out


def _allowed_lazy(source: str, target: str, function: str = "") -> bool:
    if source == "model" and function.startswith("_"):  # only the model's public alias methods, never its set-up
        return False
    return any((a == "*" or source == a or source.startswith(a + ".")) and (target == b or target.startswith(b + "."))
               for a, b in LAZY_UP)


def violations(found: list[Import] | None = None, known: dict[str, Path] | None = None) -> list[str]:
    """Every breach of the rules, as ``file:line: what``; empty when the package is layered."""
    known = known if known is not None else modules()
    found = _with_parents(found if found is not None else imports(known), known)
    out = []
    for imp in found:
        where = f"{known[imp.source].relative_to(ROOT.parent)}:{imp.line}"
        if not imp.internal:
            if imp.target == "pgmpy" and imp.source != PGMPY_HOME:
                out.append(f"{where}: imports pgmpy; only {PACKAGE}.{PGMPY_HOME} may")
            continue
        if imp.source == imp.target:
            continue
        if imp.target in SHIMS and imp.source not in SHIMS and imp.source != "__init__":
            out.append(f"{where}: {imp.source} imports {imp.target}, a former home kept for users; import its new home")
        up = layer_of(imp.target) > layer_of(imp.source)
        if up and not imp.lazy:
            out.append(f"{where}: {imp.source} (layer {layer_of(imp.source)}) imports {imp.target} "
                       f"(layer {layer_of(imp.target)}) when it loads")
        elif up and not _allowed_lazy(imp.source, imp.target, imp.function):
            out.append(f"{where}: {imp.source} (layer {layer_of(imp.source)}) imports {imp.target} "
                       f"(layer {layer_of(imp.target)}) inside a function; not an allowed alias (LAZY_UP)")
    return out


def cycles(found: list[Import] | None = None) -> list[list[str]]:
    """Strongly connected groups of modules, largest first.

    Eager and lazy imports together, except the declared lazy ones of :data:`LAZY_UP` (the model's aliases call the
    analyses that take the model: a cycle by design).
    """
    found = found if found is not None else imports()
    graph: dict[str, set[str]] = defaultdict(set)
    for imp in found:
        if not imp.internal or imp.source == imp.target:
            continue
        if imp.lazy and _allowed_lazy(imp.source, imp.target, imp.function) and layer_of(imp.target) > layer_of(imp.source):
            continue
        graph[imp.source].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:  # Tarjan, recursive (the graph is small)
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in list(graph):
        if v not in index:
            strong(v)
    return sorted(groups, key=len, reverse=True)


def main(argv: list[str] | None = None) -> int:
    """Print the layers with their modules and sizes, the imports between layers, cycles and breaches."""
    known = modules()
    found = imports(known)
    print(f"{PACKAGE}: {len(known)} modules, {sum(len(p.read_text(encoding='utf-8').splitlines()) for p in known.values()):,} lines")
    for number, (name, _) in LAYERS.items():
        members = [m for m in known if layer_of(m) == number]
        sizes = ", ".join(f"{m} {len(known[m].read_text(encoding='utf-8').splitlines())}" for m in members)
        print(f"  {number:>2} {name:<11} {sizes}")
    edges: dict[tuple[str, str], set[str]] = defaultdict(set)
    for imp in found:
        if imp.internal and imp.source != imp.target:
            edges[(imp.source, imp.target)].add("lazy" if imp.lazy else "eager")
    print("\nimports (module -> module; lazy = inside a function):")
    for (a, b), kinds in sorted(edges.items()):
        arrow = "->" if layer_of(b) <= layer_of(a) else "=> UP"
        print(f"  {a} {arrow} {b}{'' if kinds == {'eager'} else ' (' + '/'.join(sorted(kinds)) + ')'}")
    groups = cycles(found)
    print(f"\nimport cycles: {len(groups)}" + "".join(f"\n  {' <-> '.join(g)}" for g in groups))
    bad = violations(found, known)
    print(f"breaches of the layer rules: {len(bad)}" + "".join(f"\n  {b}" for b in bad))
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
