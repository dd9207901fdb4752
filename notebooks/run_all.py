#!/usr/bin/env python3
"""Execute the notebooks top to bottom with nbclient, fail on any error, and optionally store their outputs.

Usage (from the repository root, with the venv that has the ``test`` extra installed)::

    .venv/bin/python notebooks/run_all.py            # execute each notebook in a temporary copy; check it
    .venv/bin/python notebooks/run_all.py --write    # ... and store the fresh outputs in notebooks/*.ipynb
    .venv/bin/python notebooks/run_all.py 02_scenario_explorer.ipynb

Each notebook runs in a temporary directory, so nothing it might write lands in the repository, in a kernel that is
guaranteed to be *this* interpreter (a ``python3`` kernel spec pointing at ``sys.executable`` is put first on
``JUPYTER_PATH``: a user-level ``python3`` kernel spec for another Python cannot shadow it).

A notebook fails the check when a cell raises, when anything is written to stderr (a warning in a stored notebook
is noise to a newcomer), when an output shows an absolute path of this machine, or when it does not start with a
Markdown sentence and end with a "What to try next" Markdown cell.

Stored outputs are cleaned: no execution timings, and the text fallback of a widget (a long ``VBox(children=...)``
repr that viewers without a kernel would show) is replaced by one line saying what the controls are.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TIMEOUT = 300  # seconds per cell
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_TEXT = "Interactive controls (ipywidgets): run the notebook in Jupyter to use them."


def notebooks() -> list[Path]:
    """Every notebook of this directory, in name order."""
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


@contextlib.contextmanager
def this_python_kernel() -> Iterator[str]:
    """A ``python3`` kernel spec for ``sys.executable``, first on ``JUPYTER_PATH`` while the block runs."""
    with tempfile.TemporaryDirectory(prefix="bmes-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / "python3"
        spec_dir.mkdir(parents=True)
        spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (ipykernel)", "language": "python",
                "metadata": {"debugger": True, "supported_encryption": ["curve"]}}
        (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
        old = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "MPLBACKEND", "PYDEVD_DISABLE_FILE_VALIDATION")}
        os.environ["JUPYTER_PATH"] = os.pathsep.join([tmp] + ([old["JUPYTER_PATH"]] if old["JUPYTER_PATH"] else []))
        os.environ.pop("MPLBACKEND", None)  # CI sets Agg; a notebook draws inline
        os.environ["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # debugpy's frozen-modules notice on stderr
        try:
            yield "python3"
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def kernel_python(kernel_name: str = "python3") -> str:
    """The interpreter the named kernel spec resolves to (jupyter_client maps a bare ``python`` to this one)."""
    from jupyter_client.kernelspec import KernelSpecManager

    argv0 = KernelSpecManager().get_kernel_spec(kernel_name).argv[0]
    bare = {"python", f"python{sys.version_info[0]}", f"python{sys.version_info[0]}.{sys.version_info[1]}"}
    return sys.executable if argv0 in bare else argv0


def _kernel_config():
    """Encrypt the kernel's local sockets where pyzmq can (and so avoid the kernel's warning that it cannot)."""
    import zmq
    from traitlets.config import Config

    config = Config()
    if zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    return config


def execute(path: Path, *, timeout: int = TIMEOUT):
    """Execute ``path`` in a temporary copy; return ``(notebook, seconds)``. Raises on the first failing cell."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    with this_python_kernel() as kernel, tempfile.TemporaryDirectory(prefix="bmes-nb-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copy(path, copy)
        client = NotebookClient(nb, timeout=timeout, iopub_timeout=30, kernel_name=kernel, record_timing=False,
                                store_widget_state=True, resources={"metadata": {"path": tmp}},
                                config=_kernel_config())
        start = time.perf_counter()
        client.execute()
        seconds = time.perf_counter() - start
    clean(nb)
    return nb, seconds


def clean(nb) -> None:
    """Remove execution noise from stored outputs (in place)."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_MIME in data:
                data["text/plain"] = WIDGET_TEXT


def problems(nb, name: str) -> list[str]:
    """What is wrong with an executed notebook (an empty list when nothing is)."""
    found = []
    cells = nb.cells
    if not cells or cells[0].cell_type != "markdown" or not cells[0].source.strip():
        found.append(f"{name}: must start with a Markdown cell saying what it shows")
    if not cells or cells[-1].cell_type != "markdown" or "what to try next" not in cells[-1].source.lower():
        found.append(f"{name}: must end with a Markdown cell 'What to try next'")
    private = [str(ROOT), str(Path.home()), tempfile.gettempdir() + os.sep, sys.prefix]
    pattern = re.compile("|".join(re.escape(p) for p in private if p and p != os.sep))
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"{name}, cell {i}: {out.get('ename')}: {out.get('evalue')}")
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found.append(f"{name}, cell {i}: wrote to stderr: {out.get('text', '')[:300]!r}")
            texts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items()
                                              if k.startswith("text/") and isinstance(v, str)]
            for text in texts:
                m = pattern.search(text)
                if m:
                    found.append(f"{name}, cell {i}: output shows a local path ({m.group(0)!r})")
    m = pattern.search(json.dumps(nb.metadata.get("widgets", {})))
    if m:
        found.append(f"{name}: stored widget state shows a local path ({m.group(0)!r})")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to run (default: all of notebooks/)")
    parser.add_argument("--write", action="store_true", help="store the fresh outputs in the notebooks")
    args = parser.parse_args(argv)
    paths = [HERE / Path(n).name for n in args.names] if args.names else notebooks()
    failed = False
    for path in paths:
        try:
            nb, seconds = execute(path)
        except Exception as exc:  # nbclient's CellExecutionError carries the traceback text
            print(f"FAIL {path.name}\n{exc}", file=sys.stderr)
            failed = True
            continue
        found = problems(nb, path.name)
        status = "FAIL" if found else "ok  "
        print(f"{status} {path.name}  {seconds:.1f} s")
        for p in found:
            print(f"     {p}", file=sys.stderr)
        failed |= bool(found)
        if args.write and not found:
            import nbformat

            nbformat.write(nb, path)
            print(f"     wrote outputs to notebooks/{path.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
