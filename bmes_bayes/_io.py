"""Writing files the way every command does: refuse to replace an existing file unless asked, and write atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .exceptions import BmesError

__all__ = ["atomic_write", "write_new"]


def atomic_write(path: Path, text: str | bytes) -> None:
    """Write ``text`` (UTF-8; or bytes as they are) to ``path`` via a temporary file in the same directory and a rename.

    A reader never sees a half-written file, and an interrupted write leaves the old file as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(text, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(text)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_new(path: str | Path, text: str | bytes, *, overwrite: bool = False) -> Path:
    """Write ``text`` to ``path`` atomically; raise :class:`BmesError` if it exists and ``overwrite`` is false."""
    path = Path(path)
    if path.is_dir():
        raise BmesError(f"{path} is a directory; give a file name")
    if path.exists() and not overwrite:
        raise BmesError(f"{path} exists; pass overwrite=True (--force on the command line) to replace it")
    atomic_write(path, text)
    return path
