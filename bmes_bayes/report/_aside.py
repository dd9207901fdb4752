"""One piece of work done aside, in a forked child process, while this process does another.

Rendering a report splits into two independent halves of about equal cost (the fixed figures and half the optional
sections; the other half), each mostly Python inside matplotlib, so threads would not overlap them. :func:`aside` forks
a child that computes one half and sends back its result, encoded as bytes by the caller's ``encode`` (plain data,
never serialised Python objects), through a pipe while the parent computes the other. The child inherits every
module already imported (import matplotlib before forking, so it is imported once), never returns into the caller's
code (it always leaves by ``os._exit``, so no ``atexit`` handler runs and no output buffer is flushed twice), and the
result is the same object a serial call gives, so the report's bytes do not depend on it.

Forking is used only where it is safe and useful (:func:`can_fork`): POSIX ``os.fork``, no other Python thread
running (a fork copies locks held by other threads, which the child could wait on forever), and a CPU to spare.
Otherwise, and whenever the child fails, the work is done here, serially; an error is then raised here, with its
own traceback.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

__all__ = ["aside", "can_fork"]

T = TypeVar("T")


def _others_running() -> float:
    """Tasks other than this one that want a CPU now.

    Linux's count of runnable tasks (``/proc/loadavg``) less this process; elsewhere the one-minute load average.
    """
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return int(f.read().split()[3].split("/")[0]) - 1
    except (OSError, ValueError, IndexError):
        try:
            return os.getloadavg()[0]
        except (AttributeError, OSError):
            return 0.0


def _threads() -> int:
    """Python threads alive in this process, this one included (a progress bar's monitor thread counts too)."""
    return threading.active_count()


def can_fork() -> bool:
    """Whether work can usefully be done in a forked child.

    POSIX fork, no other Python thread, two or more CPUs, and one of them free for the child: no more tasks other than
    this one want a CPU now than there are CPUs less two. On a machine whose other CPUs are busy a child only adds its
    start-up cost (measured: 4% slower for a report with the second core taken by other work).
    """
    if not hasattr(os, "fork") or _threads() > 1:
        return False
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    return cpus >= 2 and _others_running() <= cpus - 2


class Pending(Generic[T]):
    """The result of ``fn()``, computed in a forked child (``pid``) or, failing that, here."""

    def __init__(self, fn: Callable[[], T], pid: int | None, fd: int | None,
                 decode: Callable[[bytes], T] | None = None):
        self._fn, self._pid, self._fd, self._decode = fn, pid, fd, decode

    def result(self) -> T:
        """Wait for the child and return its result; compute it here if there is no child or it failed."""
        data = b""
        if self._fd is not None:
            with os.fdopen(self._fd, "rb") as pipe:
                self._fd = None
                data = pipe.read()
        if self._reap() == 0 and data and self._decode is not None:
            return self._decode(data)
        return self._fn()

    def _reap(self) -> int | None:
        """Close the pipe if it is still open (a child still writing then stops) and collect the child's exit code."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._pid is None:
            return None
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        return os.waitstatus_to_exitcode(status)


def _child(fn: Callable[[], T], encode: Callable[[T], bytes], fd: int) -> None:
    """In the forked child: compute, write the encoded result to ``fd`` and leave, never returning."""
    code = 1
    try:
        data = encode(fn())
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(data)
        code = 0
    except BaseException:  # noqa: BLE001 - the parent computes it again and raises the error itself
        pass
    finally:
        os._exit(code)


@contextmanager
def aside(fn: Callable[[], T], encode: Callable[[T], bytes], decode: Callable[[bytes], T], *,
          fork: bool = True) -> Iterator[Pending[T]]:
    """Start ``fn()`` in a forked child (when ``fork`` and :func:`can_fork`); ``.result()`` of the value given waits.

    Leaving the block always collects the child, even when the block raises (the child then stops at its next write).

    Parameters
    ----------
    fn : callable
        Takes no argument.
    encode, decode : callable
        Turn ``fn``'s result into bytes (in the child) and back (here): ``decode(encode(x))`` must equal ``x``.
    fork : bool, default True
        False: no child; ``result()`` calls ``fn()`` here.

    Yields
    ------
    Pending
    """
    if not (fork and can_fork()):
        yield Pending(fn, None, None)
        return
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        yield Pending(fn, None, None)
        return
    if pid == 0:  # pragma: no cover - the child (coverage is not collected there)
        os.close(read)
        _child(fn, encode, write)
    os.close(write)
    pending: Pending[T] = Pending(fn, pid, read, decode)
    try:
        yield pending
    finally:
        pending._reap()
