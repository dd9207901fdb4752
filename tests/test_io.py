"""Writing files (issue 13, item 1): only regular files, never through a link or into a device, the replaced file's
mode kept, no directory created, the target checked before any work, no temporary left behind, the user's path in
every error. /dev/null is only ever checked, never written: writes that could reach it are made impossible first."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from bmes_bayes import _io
from bmes_bayes._io import check_target, write_output
from bmes_bayes.exceptions import BmesError, OutputError


@pytest.fixture
def no_replace(monkeypatch):
    """Make the final rename fail loudly: a test that expects a refusal can never write anything anywhere."""
    def refuse(src, dst):
        raise AssertionError(f"would have replaced {dst}")

    monkeypatch.setattr(_io.os, "replace", refuse)


def _leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_device_is_refused_with_or_without_overwrite(no_replace, overwrite):
    with pytest.raises(OutputError, match="/dev/null is a character device, not a regular file"):
        check_target("/dev/null", overwrite=overwrite)
    with pytest.raises(OutputError, match="not a regular file"):
        write_output("/dev/null", "x", overwrite=overwrite)


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_fifo_is_refused_and_stays_a_fifo(tmp_path, overwrite):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match=r"pipe is a FIFO \(named pipe\), not a regular file"):
        write_output(fifo, "x", overwrite=overwrite)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and _leftovers(tmp_path) == []


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_symbolic_link_is_refused_and_its_target_untouched(tmp_path, overwrite):
    real = tmp_path / "real.txt"
    real.write_text("precious")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with pytest.raises(OutputError, match="link.txt is a symbolic link"):
        write_output(link, "x", overwrite=overwrite)
    assert link.is_symlink() and real.read_text() == "precious"
    dangling = tmp_path / "dangling"  # a link to nothing is refused too (it would create its target)
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError, match="symbolic link"):
        write_output(dangling, "x", overwrite=overwrite)
    assert not (tmp_path / "nowhere").exists()
    to_null = tmp_path / "null"
    to_null.symlink_to("/dev/null")
    with pytest.raises(OutputError, match="symbolic link"):
        check_target(to_null, overwrite=True)


def test_a_directory_is_refused_without_suggesting_force(tmp_path):
    for overwrite in (False, True):
        with pytest.raises(OutputError) as exc:
            write_output(tmp_path, "x", overwrite=overwrite)
        assert str(exc.value) == f"{tmp_path} is a directory; give a file name"
    with pytest.raises(OutputError, match="names a directory"):
        check_target(f"{tmp_path}/new/")


def test_an_existing_file_is_replaced_only_when_asked(tmp_path):
    out = tmp_path / "m.txt"
    out.write_text("precious")
    with pytest.raises(OutputError, match="exists; pass overwrite=True"):
        write_output(out, "new")
    assert out.read_text() == "precious"
    write_output(out, "new", overwrite=True)
    assert out.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["m.txt"]


def test_the_replaced_file_keeps_its_mode_and_a_new_file_follows_the_umask(tmp_path):
    out = tmp_path / "secret.txt"
    out.write_text("old")
    out.chmod(0o600)
    write_output(out, "new", overwrite=True)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text() == "new"
    umask = os.umask(0o022)
    try:
        fresh = write_output(tmp_path / "fresh.txt", b"\x00\x01")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644 and fresh.read_bytes() == b"\x00\x01"


def test_a_missing_directory_is_named_and_not_created(tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "out.txt"
    with pytest.raises(OutputError) as exc:
        write_output(target, "x")
    assert str(exc.value) == f"cannot write {target}: the directory {target.parent} does not exist (create it first)"
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="is not a directory"):
        write_output(tmp_path / "file" / "out.txt", "x")


def test_a_directory_that_is_not_writable_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(_io.os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match=f"cannot write {tmp_path / 'out.txt'}: the directory .* is not writable"):
        write_output(tmp_path / "out.txt", "x")
    (tmp_path / "ro.txt").write_text("old")
    with pytest.raises(OutputError, match="ro.txt: the file is read-only"):
        write_output(tmp_path / "ro.txt", "x", overwrite=True)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes anywhere")
def test_a_real_read_only_directory_is_named(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="is not writable"):
            write_output(locked / "out.txt", "x")
    finally:
        locked.chmod(0o700)


def test_a_failed_write_names_the_users_path_and_leaves_no_temporary(tmp_path, monkeypatch):
    def full(src, dst):
        raise OSError(28, "No space left on device", str(src))

    monkeypatch.setattr(_io.os, "replace", full)
    out = tmp_path / "out.txt"
    with pytest.raises(OutputError) as exc:
        write_output(out, "x" * 1000)
    assert str(exc.value) == f"cannot write {out}: No space left on device"
    assert ".tmp" not in str(exc.value) and exc.value.path == str(out)
    assert list(tmp_path.iterdir()) == []


def test_output_errors_are_the_packages_and_oserrors(tmp_path):
    import bmes_bayes

    assert bmes_bayes.OutputError is OutputError and "OutputError" in bmes_bayes.__all__
    with pytest.raises(BmesError):
        check_target(tmp_path)
    with pytest.raises(OSError):
        check_target(tmp_path)


_BLOCKED_WRITE = """
import os, sys, time
from pathlib import Path
target = Path(sys.argv[1])
def stuck(src, dst):  # the temporary file is written; SIGTERM arrives before the rename
    Path(str(target) + ".ready").write_text(str(src))
    time.sleep(60)
os.replace = stuck
"""


def _terminate_when_ready(proc, target) -> str:
    ready = target.with_name(target.name + ".ready")
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the write never started"
        time.sleep(0.05)
    tmp = ready.read_text()
    assert os.path.exists(tmp)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    ready.unlink()
    return tmp


def test_sigterm_while_writing_removes_the_temporary_file(tmp_path):
    """A library caller with SIGTERM's default action: the temporary file is removed, then the process dies of the
    signal as it would have; the old file is untouched."""
    target = tmp_path / "out.txt"
    target.write_text("old")
    script = _BLOCKED_WRITE + textwrap.dedent("""
        from bmes_bayes._io import write_output
        write_output(target, "new" * 1000, overwrite=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script, str(target)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    tmp = _terminate_when_ready(proc, target)
    assert proc.returncode == -signal.SIGTERM
    assert not os.path.exists(tmp) and target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
