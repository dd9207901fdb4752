"""Safe YAML loading that remembers line numbers and never turns yes/no into booleans."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .exceptions import Problem

__all__ = ["LinedDict", "LinedList", "load_yaml", "line_of"]


class LinedDict(dict):
    """A mapping from YAML that knows the line of itself and of each key."""

    line: int | None = None
    key_lines: dict


class LinedList(list):
    """A sequence from YAML that knows its line."""

    line: int | None = None


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans (true/false only) and line bookkeeping."""

    def __init__(self, stream):
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
                key = str(key)
            if key in out:
                self.duplicate_keys.append((key_node.start_mark.line + 1, str(key)))
            out[key] = self.construct_object(value_node, deep=True)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out

    def construct_sequence(self, node, deep=False):  # noqa: D102 - PyYAML hook
        out = LinedList(self.construct_object(child, deep=True) for child in node.value)
        out.line = node.start_mark.line + 1
        return out


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)


def load_yaml(path: Path) -> tuple[Any, list[Problem]]:
    """Read one YAML file safely. Returns the data (None if unreadable) and the problems found."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(name, None, f"cannot read the file: {exc}")]
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(name, line, f"not valid YAML: {reason}")]
    finally:
        loader.dispose()
    problems = [Problem(name, line, f"duplicate key {key!r}") for line, key in loader.duplicate_keys]
    return data, problems


def line_of(container: Any, key: Any = None) -> int | None:
    """Line of ``container[key]`` (or of the container itself) when the YAML loader recorded it."""
    if key is not None and isinstance(container, LinedDict):
        return container.key_lines.get(key, container.line)
    return getattr(container, "line", None)
