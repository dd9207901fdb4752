"""Writing files the way every command does: one check of the target, one writer.

:func:`check_target` is called before any work (so that a refused write costs nothing) and :func:`write_output`
calls it again just before writing:

- only regular files are written: a directory, a device (``/dev/null``), a FIFO, a socket or a symbolic link is
  refused, with or without ``overwrite``;
- an existing file is replaced only when ``overwrite`` is true, and keeps its permission mode (and its owner where
  the system allows);
- the directory must exist: a missing one is named, never created;
- the data go to a hidden temporary file beside the target, which is then renamed over it, so that a reader never
  sees half a file; the temporary file is removed on any error, on Ctrl-C and on SIGTERM;
- every error is an :class:`~bmes_bayes.exceptions.OutputError` naming the caller's path, never the temporary file.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import threading
from pathlib import Path

from .exceptions import OutputError

__all__ = ["Terminated", "check_target", "write_output", "on_interrupt", "interrupted", "stop_if_interrupted"]


class Terminated(BaseException):
    """Raised in place of SIGTERM's default action, so that cleanup (``finally``, ``except BaseException``) runs.

    A ``BaseException`` like ``KeyboardInterrupt``: an ``except Exception`` on the way does not swallow it.
    """


def raise_terminated(signum, frame) -> None:  # noqa: ARG001 - a signal handler's signature
    """A SIGTERM handler that unwinds the stack (see :class:`Terminated`)."""
    raise Terminated()


_INTERRUPTED = threading.Event()


def on_interrupt(signum, frame) -> None:  # noqa: ARG001 - a signal handler's signature
    """The command line's SIGINT handler: remembers the Ctrl-C, then raises ``KeyboardInterrupt`` as Python's own does.

    Remembering it matters because a library may swallow the ``KeyboardInterrupt``: one raised while a class is
    being created comes out as a ``RuntimeError`` (``__set_name__``), and an optional import guarded by
    ``except Exception`` then carries on. The command line asks :func:`interrupted` before it reports an error or
    success, and long loops call :func:`stop_if_interrupted` at each block, so a Ctrl-C always ends the run.
    """
    _INTERRUPTED.set()
    raise KeyboardInterrupt


def interrupted() -> bool:
    """Whether :func:`on_interrupt` has seen a Ctrl-C in this process (never true when it is not installed)."""
    return _INTERRUPTED.is_set()


def stop_if_interrupted() -> None:
    """Raise ``KeyboardInterrupt`` again if a Ctrl-C was seen and swallowed on its way up.

    A check per block of long work: the Monte-Carlo chunks, Sobol's blocks, the atlas.
    """
    if _INTERRUPTED.is_set():
        raise KeyboardInterrupt


_KINDS = [(stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket")]


def _what_is(mode: int) -> str | None:
    """What a non-regular file is ("a directory", "a FIFO (named pipe)", ...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _refused(path: Path, kind: str) -> OutputError:
    if kind == "a directory":
        return OutputError(f"{path} is a directory; give a file name", path)
    if kind == "a symbolic link":
        return OutputError(f"{path} is a symbolic link (to {os.readlink(path)}); bmes-bayes writes only regular "
                           "files and does not follow links: give the real path or another name", path)
    return OutputError(f"{path} is {kind}, not a regular file; bmes-bayes writes only regular files: give a file "
                       "name", path)


def check_target(path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """The path as a :class:`~pathlib.Path` if a regular file can be written there; else raise.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    overwrite : bool, default False
        Whether an existing regular file may be replaced.

    Raises
    ------
    OutputError
        The path exists and ``overwrite`` is false; it is a directory, device, FIFO, socket or symbolic link (whatever
        ``overwrite`` says); its directory is missing or not writable; the file is read-only.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        from .exceptions import ArgumentTypeError, shown

        raise ArgumentTypeError(f"the output path must be a str or path-like, got {shown(path)}")
    text = os.fsdecode(os.fspath(path))
    if not text or "\0" in text:
        raise OutputError(f"{text!r} is not a usable file name", text)
    if text.endswith(("/", os.sep)):
        raise OutputError(f"{text} names a directory; give a file name", text)
    path = Path(text)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        blocker = next((p for p in reversed(path.parents) if os.path.lexists(p) and not p.is_dir()), path.parent)
        raise OutputError(f"cannot write {path}: {blocker} is not a directory", path) from None
    except OSError as exc:  # a name too long, no search permission, a loop of links...
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}", path) from None
    if st is not None:
        kind = _what_is(st.st_mode)
        if kind is not None:
            raise _refused(path, kind)
        if not overwrite:
            raise OutputError(f"{path} exists; pass overwrite=True (--force on the command line) to replace it", path)
        if not os.access(path, os.W_OK):
            raise OutputError(f"cannot replace {path}: the file is read-only", path)
    parent = path.parent
    if not parent.is_dir():
        if os.path.lexists(parent):
            raise OutputError(f"cannot write {path}: {parent} is not a directory", path)
        raise OutputError(f"cannot write {path}: the directory {parent} does not exist (create it first)", path)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: the directory {parent} is not writable", path)
    return path


@contextlib.contextmanager
def _sigterm_unwinds():
    """While writing.

    If SIGTERM would kill the process outright, let it unwind first (the temporary file is removed on the way) and then
    die of the signal as it would have. A program with its own SIGTERM handler (the command line) keeps it; outside the
    main thread nothing can be changed.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    except Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)  # the default action, now that nothing is left behind
        raise
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _temporary(path: Path) -> tuple[int, Path]:
    """A new hidden file beside ``path``, created with mode 0o666 less the umask (as a new file would be)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name[:200]}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def write_output(path: str | os.PathLike, data: str | bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` (text as UTF-8, bytes as they are) to the regular file ``path``, atomically.

    The target is checked as by :func:`check_target`; an existing file (``overwrite=True``) keeps its permission
    mode. Returns the path.

    Raises
    ------
    OutputError
        As :func:`check_target`, or when the system refuses the write (disk full, permission), naming ``path``.
    """
    path = check_target(path, overwrite=overwrite)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        old = os.lstat(path)
    except FileNotFoundError:
        old = None
    with _sigterm_unwinds():
        tmp = None
        try:
            fd, tmp = _temporary(path)
            with os.fdopen(fd, "wb") as fh:
                if old is not None:
                    if hasattr(os, "fchown"):
                        with contextlib.suppress(OSError):  # another owner: only root may keep it
                            os.fchown(fh.fileno(), old.st_uid, old.st_gid)
                    os.chmod(tmp, stat.S_IMODE(old.st_mode))
                fh.write(payload)
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}", path) from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
    return path
