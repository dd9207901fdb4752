"""Safe YAML loading that remembers line numbers and never turns yes/no into booleans.

Only :class:`yaml.SafeLoader` is used (no tags that build Python objects). Scalars follow the YAML 1.2 core schema:
``true``/``false`` are the only booleans (``yes``, ``no``, ``on``, ``off`` stay text), ``1e-6`` is a number (PyYAML's
YAML 1.1 rules would read it as text), ``010`` is ten (not octal eight), ``2024-01-31`` is text (not a date), and
``.nan``/``.inf`` are floats, which the validators then refuse where a finite number is needed. Duplicate keys,
empty files, oversized files and alias "bombs" are reported as problems with their line instead of being silently
accepted or exhausting memory; a path that is not a regular file (``/dev/zero``, a FIFO) is refused without being
read (:func:`bmes_bayes._read.read_limited`; the caps are in :mod:`bmes_bayes.limits`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from . import limits
from ._read import FileRefused, decode_utf8, read_limited
from .exceptions import Problem

__all__ = ["LinedDict", "LinedList", "load_yaml", "read_yaml", "line_of", "MAX_BYTES", "MAX_NODES"]

MAX_BYTES = limits.MAX_FILE_BYTES   # a model file is tens of kilobytes (the bound is read from limits at call time)
MAX_NODES = limits.MAX_YAML_NODES   # YAML nodes after expanding aliases (guards against "billion laughs" files)


class LinedDict(dict):
    """A mapping from YAML that knows the line of itself and of each key."""

    line: int | None = None
    key_lines: dict


class LinedList(list):
    """A sequence from YAML that knows its line."""

    line: int | None = None


# libyaml's parser when PyYAML has it (about 5x faster: most of a cold start was spent scanning the prior files);
# constructors and resolvers stay PyYAML's safe ones, and libyaml's nodes carry the same line marks
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[valid-type,misc]  # a base chosen at import time
    """The safe loader (libyaml's parser if present) with YAML 1.2 core-schema scalars and line bookkeeping."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[tuple[int, str]] = []

    def construct_mapping(self, node, deep=False):  # noqa: D102 - PyYAML hook
        self.flatten_mapping(node)
        out = LinedDict()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                key = _node_text(key_node)
            if key in out:
                self.duplicate_keys.append((key_node.start_mark.line + 1, str(key)))
            out[key] = self.construct_object(value_node, deep=True)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out

    def construct_sequence(self, node, deep=False):  # noqa: D102 - PyYAML hook
        out = LinedList(self.construct_object(child, deep=True) for child in node.value)
        out.line = node.start_mark.line + 1
        return out

    def construct_yaml12_int(self, node):  # noqa: D102 - PyYAML hook
        text = self.construct_scalar(node)
        sign, body = (-1, text[1:]) if text[:1] == "-" else (1, text.lstrip("+"))
        try:
            if body.startswith("0o"):
                return sign * int(body[2:], 8)
            if body.startswith("0x"):
                return sign * int(body[2:], 16)
            return sign * int(body, 10)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise yaml.constructor.ConstructorError(
                None, None, f"an integer of {len(body)} digits is too long", node.start_mark) from None


def _node_text(node: yaml.Node) -> str:
    """A short text for a key that is not a scalar (``[a, b]`` as a key), without expanding it."""
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    kind = "list" if isinstance(node, yaml.SequenceNode) else "mapping"
    return f"<{kind} at line {node.start_mark.line + 1}>"


_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_REPLACED = tuple(f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "timestamp"))

_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+.0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml12_int)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)


def _expanded_size(root: yaml.Node, limit: int) -> int | None:
    """Number of nodes once every alias is expanded (capped just above ``limit``); None for a recursive alias."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            if isinstance(node, yaml.MappingNode):
                children = [c for pair in node.value for c in pair]
            else:
                children = list(node.value)
            sizes[key] = min(limit + 1, 1 + sum(sizes[id(c)] for c in children))
            continue
        if key in sizes:
            continue
        if key in active:
            return None
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        active.add(key)
        stack.append((node, True))
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        for child in children:
            if id(child) in active:
                return None
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def load_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Read one YAML file safely. Returns the data (None if unusable) and the problems found.

    Never raises for a bad file: unreadable, not a regular file, not UTF-8, larger than
    :data:`bmes_bayes.limits.MAX_FILE_BYTES`, empty, not valid YAML, nested too deeply or expanding through aliases
    beyond :data:`bmes_bayes.limits.MAX_YAML_NODES` all come back as a :class:`Problem` with the file and, where
    there is one, the line.
    """
    data, problems, _ = read_yaml(path)
    return data, problems


def read_yaml(path: Path) -> tuple[Any, list[Problem], bytes | None]:
    """:func:`load_yaml`, plus the bytes that were parsed (None when the file could not be read).

    A digest of the file is then of the very bytes read, read once.
    """
    name = str(path)
    try:
        raw = read_limited(path, limits.MAX_FILE_BYTES, what="model file")
        text = decode_utf8(raw)
    except FileRefused as exc:
        return None, [Problem(name, None, exc.reason)], None
    data, problems = _parse(name, text)
    return data, problems, raw


def _parse(name: str, text: str) -> tuple[Any, list[Problem]]:
    max_nodes = limits.MAX_YAML_NODES
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(name, None, "the file is empty (no YAML content)")]
        size = _expanded_size(node, max_nodes)
        if size is None:
            return None, [Problem(name, node.start_mark.line + 1, "not valid YAML: an alias refers to itself")]
        if size > max_nodes:
            return None, [Problem(name, node.start_mark.line + 1,
                                  f"the file expands to more than {max_nodes:,} YAML nodes through aliases")]
        data = loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else None
        if line is None and isinstance(exc, yaml.reader.ReaderError):
            line = text.count("\n", 0, exc.position) + 1
        reason = (getattr(exc, "problem", None) or str(exc)).splitlines()[0]
        if "nesting depth" in reason:  # libyaml's own guard against deep nesting (PyYAML's parser recurses instead)
            return None, [Problem(name, None, "not valid YAML for a model file: nested too deeply")]
        return None, [Problem(name, line, f"not valid YAML: {reason}")]
    except RecursionError:
        return None, [Problem(name, None, "not valid YAML for a model file: nested too deeply")]
    finally:
        if loader is not None:
            loader.dispose()
    problems = [Problem(name, line, f"duplicate key {key!r}") for line, key in loader.duplicate_keys]
    return data, problems


def line_of(container: Any, key: Any = None) -> int | None:
    """Line of ``container[key]`` (or of the container itself) when the YAML loader recorded it."""
    if key is not None and isinstance(container, LinedDict):
        try:
            return container.key_lines.get(key, container.line)
        except TypeError:  # an unhashable key cannot be in the mapping
            return container.line
    return getattr(container, "line", None)
