"""Where the shipped data files are: inside the wheel (``bmes_bayes/_data``) or in the source checkout."""

from __future__ import annotations

from pathlib import Path

from ..exceptions import Problem, SpecError

__all__ = ["shipped", "default_paths"]

_PACKAGE = Path(__file__).resolve().parent.parent
_ROOTS = (_PACKAGE / "_data", _PACKAGE.parent)   # the wheel's data, then the source checkout


def shipped(*parts: str, missing: str, subject: str = "model files", kind: str = "dir") -> Path:
    """The first shipped ``parts`` path that exists (a directory, or a file with ``kind="file"``).

    Raises
    ------
    SpecError
        With the message ``missing`` (about ``subject``) when none is installed with the package.
    """
    for root in _ROOTS:
        path = root.joinpath(*parts)
        if path.is_file() if kind == "file" else path.is_dir():
            return path
    raise SpecError([Problem(str(_PACKAGE), None, missing)], subject)


def default_paths() -> tuple[Path, Path]:
    """The shipped network file and prior directory (inside the wheel, or the source checkout)."""
    for root in _ROOTS:
        net = root / "networks" / "bmes.yaml"
        if net.is_file() and (root / "priors").is_dir():
            return net, root / "priors"
    raise SpecError([Problem(str(_PACKAGE), None, "the default network and priors are not installed with the package")])
