"""Reading the files a user points the package at: regular files only, and never more than a byte cap.

A model, prior, scenario, alert, test-cost or validation file, a network to import, a hand-written model card: each
is read through :func:`read_limited`. A path that is not a regular file once symlinks are followed (``/dev/zero``,
a FIFO, a socket, a directory) is refused at once, without reading or waiting; a FIFO swapped in after the check
cannot block either, since the file is opened non-blocking and checked again on the open descriptor; and the read
stops one byte past the cap, whatever the file claims its size is. The caps live in :mod:`bmes_bayes.limits`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["FileRefused", "decode_utf8", "read_limited", "read_text_limited", "refuse_message"]


class FileRefused(Exception):
    """Internal: the file cannot be read; ``reason`` says why in words (callers wrap it in their own error)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def read_limited(path: str | os.PathLike, limit: int, *, what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises
    ------
    FileRefused
        Missing or unreadable, not a regular file (a device, FIFO, socket or directory, also behind a symlink),
        or larger than ``limit`` bytes; ``reason`` names the problem (the caller adds the path).
    """
    name = os.fspath(path)
    try:
        info = os.stat(name)  # follows symlinks: a link to a regular file is fine, a link to /dev/zero is not
    except FileNotFoundError:
        raise FileRefused("cannot read the file: no such file or directory") from None
    except (OSError, ValueError) as exc:
        raise FileRefused(f"cannot read the file: {getattr(exc, 'strerror', None) or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        target = f" (a symlink to {os.path.realpath(name)})" if os.path.islink(name) else ""
        raise FileRefused(f"cannot read the file: it is {_kind(info.st_mode)}{target}, not a regular {what}")
    if info.st_size > limit:
        raise FileRefused(f"the file is {info.st_size:,} bytes; a {what} may be at most {limit:,}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        raise FileRefused(f"cannot read the file: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between the stat and the open
            raise FileRefused(f"cannot read the file: it is {_kind(os.fstat(fd).st_mode)}, not a regular {what}")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise FileRefused(f"the file is more than {limit:,} bytes; a {what} may be at most {limit:,}")
    return data


def decode_utf8(data: bytes) -> str:
    """``data`` as UTF-8 text (a decoding failure is a :class:`FileRefused`)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRefused(f"cannot read the file: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_text_limited(path: str | os.PathLike, limit: int, *, what: str = "file") -> str:
    """:func:`read_limited` decoded as UTF-8 (a decoding failure is a :class:`FileRefused` too)."""
    return decode_utf8(read_limited(path, limit, what=what))


def refuse_message(path: str | os.PathLike | Path, exc: FileRefused) -> str:
    """``<path>: <reason>``, the form every caller reports."""
    return f"{os.fspath(path)}: {exc.reason}"
