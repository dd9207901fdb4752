"""The package's layering, checked from the code (``bmes_bayes._layers`` reads imports with ``ast``).

The rules are those of ``docs/architecture.md``; each test builds a deliberate breach in a scratch package first, so
that the check is shown able to fail.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bmes_bayes import _layers

PACKAGE = Path(_layers.__file__).resolve().parent


def test_every_module_has_a_layer():
    missing = []
    for name in _layers.modules():
        try:
            _layers.layer_of(name)
        except KeyError:
            missing.append(name)
    assert not missing, f"modules in no layer of bmes_bayes._layers.LAYERS: {missing}"


def test_no_module_imports_a_layer_above_it_and_only_the_adapter_imports_pgmpy():
    assert _layers.violations() == []


def test_no_import_cycles():
    assert _layers.cycles() == []


def test_the_check_catches_an_upward_import_a_set_up_import_and_pgmpy(tmp_path, monkeypatch):
    """A scratch package with one breach of each kind: every one is reported, with file and line."""
    pkg = tmp_path / "bmes_bayes"
    (pkg / "inference").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "exceptions.py").write_text("")
    (pkg / "inference" / "__init__.py").write_text("")
    (pkg / "inference" / "pgmpy_adapter.py").write_text("import pgmpy\n")
    (pkg / "spec.py").write_text("from .model import BmesModel\n")                     # eager, upward
    (pkg / "model.py").write_text("class BmesModel:\n    def __init__(self):\n        from .teaching import x\n"
                                  "    def explain(self):\n        from .teaching import explain\n")
    (pkg / "teaching.py").write_text("import pgmpy.models\nfrom .exceptions import BmesError\n")
    monkeypatch.setattr(_layers, "ROOT", pkg)
    found = _layers.violations(known=_layers.modules(pkg))
    text = "\n".join(found)
    assert "bmes_bayes/spec.py:1: spec (layer 1) imports model (layer 7) when it loads" in text
    assert "bmes_bayes/model.py:3: model (layer 7) imports teaching (layer 9) inside a function" in text
    assert "model.py:5" not in text                       # a public alias method may call its analysis
    assert "bmes_bayes/teaching.py:1: imports pgmpy" in text
    assert "pgmpy_adapter.py" not in text
    assert len(found) == 3


def test_importing_a_module_counts_the_packages_above_it(tmp_path, monkeypatch):
    """``from ..results.display import X`` runs ``results/__init__.py`` first: if that loads a result (layer 6),
    a spec module importing it breaks the rule although its own import names only the display module."""
    pkg = tmp_path / "bmes_bayes"
    (pkg / "results").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "display.py").write_text("")
    (pkg / "results" / "__init__.py").write_text("from .posterior import Posterior\n")
    (pkg / "results" / "posterior.py").write_text("")
    (pkg / "results" / "display.py").write_text("")
    (pkg / "spec.py").write_text("from .results.display import X\nfrom .display import X\n")
    layers = dict(_layers.LAYERS)
    layers[0] = ("foundation", (*layers[0][1], "results.display"))   # as the display base was before it moved
    monkeypatch.setattr(_layers, "LAYERS", layers)
    monkeypatch.setattr(_layers, "ROOT", pkg)
    found = _layers.violations(known=_layers.modules(pkg))
    assert found == ["bmes_bayes/spec.py:1: spec (layer 1) imports results (layer 6) when it loads"], found


def test_the_cycle_finder_finds_a_cycle(tmp_path):
    pkg = tmp_path / "bmes_bayes"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "spec.py").write_text("from . import parameters\n")
    (pkg / "parameters.py").write_text("def f():\n    from . import spec\n")
    found = _layers.imports(_layers.modules(pkg))
    assert _layers.cycles(found) == [["parameters", "spec"]]


ANALYSES_AND_VIEWS = [name for name in _layers.modules() if _layers.layer_of(name) >= 8]


@pytest.mark.parametrize("name", ANALYSES_AND_VIEWS)
def test_no_analysis_or_view_touches_a_private_attribute_of_the_model(name):
    """``model._anything`` (or ``self.model._anything``) in an analysis or a view: the model's public surface
    (``tables``, ``point_parameters``, ``relevant_nodes``, ``query``, ...) is what they may use."""
    path = _layers.modules()[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            base_name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
            if re.fullmatch(r"(model|m|toy)", base_name):
                bad.append(f"{path.name}:{node.lineno}: {base_name}.{node.attr}")
    assert not bad, bad


def test_the_models_analysis_methods_are_thin_aliases_with_the_functions_signature():
    """Each analysis method of BmesModel has exactly its function's parameters (after ``model``), with the same
    defaults, and its body is one call: the documentation lives on the function, and the two cannot drift."""
    import importlib
    import inspect

    from bmes_bayes import BmesModel

    source = Path(inspect.getsourcefile(BmesModel)).read_text(encoding="utf-8")
    tree = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == "BmesModel")
    checked = []
    for meth in tree.body:
        if not isinstance(meth, ast.FunctionDef):
            continue
        imports = [n for n in meth.body if isinstance(n, ast.ImportFrom) and n.level == 1]
        if len(imports) != 1 or not imports[0].module.startswith(("sensitivity.", "teaching.", "atlas")):
            continue
        module = importlib.import_module(f"bmes_bayes.{imports[0].module}")
        func = getattr(module, imports[0].names[0].name)
        method = getattr(BmesModel, meth.name)
        want = list(inspect.signature(func).parameters.values())[1:]
        got = list(inspect.signature(method).parameters.values())[1:]
        assert [(p.name, p.kind, p.default) for p in got] == [(p.name, p.kind, p.default) for p in want], meth.name
        statements = [n for n in meth.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        assert len(statements) == 2 and isinstance(statements[1], ast.Return), meth.name   # the import and the call
        assert "method form of" in (method.__doc__ or ""), meth.name
        checked.append(meth.name)
    assert len(checked) >= 14, checked


def test_the_package_imports_new_homes_not_the_former_ones(tmp_path, monkeypatch):
    """``bmes_bayes.interop`` and the other former homes re-export for users; a module of the package importing
    one is reported (here a scratch package's cli importing interop)."""
    pkg = tmp_path / "bmes_bayes"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "export.py").write_text("")
    (pkg / "interop.py").write_text("from .export import export\n")
    (pkg / "cli.py").write_text("def main():\n    from .interop import export\n")
    monkeypatch.setattr(_layers, "ROOT", pkg)
    assert _layers.violations(known=_layers.modules(pkg)) == [
        "bmes_bayes/cli.py:2: cli imports interop, a former home kept for users; import its new home"]
