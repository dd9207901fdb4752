"""Sphinx configuration: the API reference from numpydoc docstrings, the notebooks as tutorials, the CLI from its parser.

Build (warnings are errors, as in CI)::

    pip install '.[docs]'
    sphinx-build -W --keep-going -b html docs docs/_build/html

The notebooks are rendered with the outputs they are stored with (``notebooks/run_all.py --write`` refreshes them,
and the test suite executes them), so the build does not run them again.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import bmes_bayes  # noqa: E402
from _generate import write_cli_page, write_tutorials  # noqa: E402

project = "bmes-bayes"
author = "bmes-bayes developers"
copyright = "2026, bmes-bayes developers"
release = version = bmes_bayes.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
]

# Generated at build time from the sources they document (never edited, never committed).
write_tutorials(ROOT / "notebooks", HERE / "tutorials")
write_cli_page(HERE / "cli.md")

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "**.ipynb_checkpoints", "_generate.py"]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"            # numpydoc's Parameters sections carry the types
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False   # the autosummary templates list members once
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

nb_execution_mode = "off"             # stored outputs are the product; tests/test_notebooks.py executes them
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "colon_fence"]
suppress_warnings = ["mystnb.unknown_mime_type"]

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "pandas": ("https://pandas.pydata.org/docs", None),
}
# The build must not need the network (CI machines reach only the package registries): intersphinx is used
# only when BMES_DOCS_INTERSPHINX=1.
import os  # noqa: E402

if os.environ.get("BMES_DOCS_INTERSPHINX") != "1":
    intersphinx_mapping = {}

html_theme = "furo"
html_title = f"bmes-bayes {release}"
html_static_path: list[str] = []
