"""numpydoc checks of the public API: every object listed in ``docs/api/index.rst``.

The objects are read from the page itself (its ``currentmodule`` and ``autosummary`` lines), so a name added to the
reference is checked from then on. :func:`numpydoc.validate.validate` runs on each, and these kinds of error fail
the test, because they are documentation rot a reader trips on:

- ``GL08``: no docstring at all;
- ``PR01``: a parameter of the signature that the Parameters section does not document;
- ``PR02``: a documented parameter that the signature does not have (renamed or removed);
- ``PR03``: parameters documented in another order than the signature's;
- ``PR07``: a documented parameter with no description;
- ``PR10``: a parameter line without a space before its colon (``x: int``), which numpydoc does not parse;
- ``RT01``: a function that returns a value but has no Returns section;
- ``RT03``: a Returns entry with no description.

For classes, ``PR01``, ``PR03`` and ``PR07`` are required only of the classes a user (or a backend author)
constructs: :class:`~bmes_bayes.BmesModel` and the inference backends. Result classes and exceptions are built by
the package; their fields are described in the class's prose or Attributes section, and ``PR02`` still catches a
stale Parameters entry on them. Style checks (summary wording, See Also, Examples) are left to ruff's pydocstyle
rules and to the doctests (``python -m pytest`` runs the docstring examples through ``--doctest-modules``).
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

validate_module = pytest.importorskip("numpydoc.validate", reason="numpydoc is in the docs extra")

API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "api" / "index.rst"
CHECKED = ("GL08", "PR01", "PR02", "PR03", "PR07", "PR10", "RT01", "RT03")
CONSTRUCTOR_CHECKS = ("PR01", "PR03", "PR07")     # on a class: about its constructor's parameters


def api_objects() -> list[str]:
    """Fully qualified names of the objects listed in the API reference, in page order."""
    names: list[str] = []
    module = None
    in_summary = False
    for line in API_PAGE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\.\. currentmodule::\s*(\S+)", line)
        if m:
            module = m.group(1)
            continue
        if line.startswith(".. autosummary::"):
            in_summary = True
            continue
        if in_summary:
            m = re.match(r"\s+([A-Za-z_][\w.]*)\s*$", line)
            if m and module:
                names.append(f"{module}.{m.group(1)}")
            elif line.strip() and not line.lstrip().startswith(":"):
                in_summary = False
    return names


def _user_constructed(obj: object) -> bool:
    from bmes_bayes import BmesModel
    from bmes_bayes.inference import Engine, Enumeration

    return obj in (BmesModel, Engine, Enumeration)


def test_the_api_page_lists_objects():
    names = api_objects()
    assert len(names) >= 40, names
    assert "bmes_bayes.BmesModel" in names and "bmes_bayes.sensitivity.one_way" in names


@pytest.mark.parametrize("name", api_objects())
def test_numpydoc(name):
    result = validate_module.validate(name)
    obj = validate_module.Validator._load_obj(name)
    skip = CONSTRUCTOR_CHECKS if inspect.isclass(obj) and not _user_constructed(obj) else ()
    errors = [f"{code}: {message}" for code, message in result["errors"] if code in CHECKED and code not in skip]
    assert not errors, f"{name} ({result['file']}:{result['file_line']}):\n" + "\n".join(errors)
