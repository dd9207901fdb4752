"""Pages generated at build time from what they document: the tutorials (the notebooks) and the CLI reference."""

from __future__ import annotations

import shutil
from pathlib import Path


def write_tutorials(source: Path, target: Path) -> None:
    """Copy the notebooks (with their stored outputs) into the docs tree, replacing an older copy."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir()
    for notebook in sorted(source.glob("[0-9]*.ipynb")):
        shutil.copy2(notebook, target / notebook.name)


def write_cli_page(target: Path) -> None:
    """Write the command-line reference from the parser itself, so it cannot drift from ``--help``."""
    import argparse
    import os

    from bmes_bayes.cli import build_parser

    os.environ["COLUMNS"] = "100"   # argparse wraps to the terminal: fix the width so the page is reproducible

    parser = build_parser()
    lines = [
        "# Command line",
        "",
        "Generated from `bmes-bayes --help` and each subcommand's `--help`.",
        "Bad input exits 2 with a one-line message; `-o -` writes to standard output.",
        "",
        "```text",
        parser.format_help().rstrip(),
        "```",
        "",
    ]
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        lines += [f"## `bmes-bayes {name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
    target.write_text("\n".join(lines), encoding="utf-8")
