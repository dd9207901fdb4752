"""Work done aside in a forked child: the same result as a serial call, errors raised in the parent, no child left."""

from __future__ import annotations

import json
import os

import pytest

from bmes_bayes.report import _aside
from bmes_bayes.report._aside import aside, can_fork


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


OTHERS_RUNNING = _aside._others_running


def _enc(value) -> bytes:
    """A codec for the tests' results: JSON, with bytes as hex."""
    return json.dumps(value, default=lambda b: {"hex": b.hex()}).encode()


def _dec(data: bytes):
    return json.loads(data, object_hook=lambda d: bytes.fromhex(d["hex"]) if set(d) == {"hex"} else d)
needs_fork = pytest.mark.skipif(not hasattr(os, "fork") or _cpus() < 2, reason="no fork, or a single CPU")


@pytest.fixture(autouse=True)
def idle(monkeypatch):
    """An idle machine (nothing else wants a CPU), whatever else runs on this one while the tests do, and no other
    Python thread, whatever earlier tests left running (a progress bar's monitor thread outlives its bar)."""
    monkeypatch.setattr(_aside, "_others_running", lambda: 0)
    monkeypatch.setattr(_aside, "_threads", lambda: 1)


def test_without_fork_the_work_is_done_here_when_asked():
    calls = []
    with aside(lambda: calls.append(os.getpid()) or "done", _enc, _dec, fork=False) as pending:
        assert calls == []  # nothing started yet
        assert pending.result() == "done"
    assert calls == [os.getpid()]


@needs_fork
def test_the_work_runs_in_a_child_and_its_result_comes_back():
    parent = os.getpid()
    with aside(lambda: {"pid": os.getpid(), "data": bytes(range(256)) * 2000}, _enc, _dec) as pending:
        got = pending.result()
    assert got["pid"] != parent  # computed in another process
    assert got["data"] == bytes(range(256)) * 2000  # 512 KB: more than a pipe holds, read while the child writes


@needs_fork
def test_an_error_in_the_child_is_raised_here_by_doing_the_work_again():
    pids = []

    def fail():
        pids.append(os.getpid())  # only the parent's list survives: the child's append is lost with the child
        raise ZeroDivisionError("boom")

    with aside(fail, _enc, _dec) as pending:
        with pytest.raises(ZeroDivisionError, match="boom"):
            pending.result()
    assert pids == [os.getpid()]


@needs_fork
def test_leaving_the_block_early_collects_the_child():
    with pytest.raises(RuntimeError):
        with aside(lambda: b"x" * 1_000_000, _enc, _dec) as pending:  # the child blocks on a full pipe until it is closed
            child = pending._pid
            raise RuntimeError("the parent fails first")
    assert child is not None and pending._pid is None and pending._fd is None
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)  # already reaped (other tests' children, such as Dask's workers, may remain)


def test_no_fork_while_another_thread_runs(monkeypatch):
    import threading

    monkeypatch.setattr(_aside, "_threads", threading.active_count)  # the real count

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not can_fork()
    finally:
        stop.set()
        thread.join()


@needs_fork
def test_no_fork_when_the_other_cpus_are_busy(monkeypatch):
    assert can_fork()
    cpus = _cpus()
    monkeypatch.setattr(_aside, "_others_running", lambda: cpus - 1)
    assert not can_fork()
    with aside(os.getpid, _enc, _dec) as pending:
        assert pending.result() == os.getpid()  # done here


def test_others_running_counts_the_tasks_besides_this_one():
    n = OTHERS_RUNNING()  # the real count, not the idle fixture's
    assert n >= 0  # this process is running while it reads, and is not counted
