"""Read YAML safely while remembering where every value came from.

PyYAML's ``compose()`` keeps each node's start mark; we walk the node tree ourselves so that
every value can be traced back to ``path:line`` and so that duplicate keys (which PyYAML would
silently resolve to the last one) are reported instead of dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from newsletter.errors import Problem, display_path

Loc = tuple[str | int, ...]


@dataclass
class Document:
    """A parsed YAML file: its data and the line of each value, keyed by its location."""

    path: Path
    data: Any
    marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    @cached_property
    def shown(self) -> str:
        """The path as shown in messages."""
        return display_path(self.path)

    def line(self, loc: Loc) -> int:
        """Return the 1-based line of ``loc``, or of its nearest located parent."""
        return self.position(loc)[0]

    def position(self, loc: Loc) -> tuple[int, int]:
        """Return the 1-based (line, column) of ``loc``, or of its nearest located parent."""
        while loc:
            if loc in self.marks:
                return self.marks[loc]
            loc = loc[:-1]
        return self.marks.get((), (1, 1))

    def problem(
        self, loc: Loc, message: str, severity: str = "error", at_key: bool = False
    ) -> Problem:
        """Build a problem located at the value of ``loc`` (or at its key) in this file."""
        line, column = self.position(loc) if at_key or loc not in self.values else self.values[loc]
        return Problem(self.shown, line, format_loc(loc), message, severity, column)


def format_loc(loc: Loc) -> str:
    """Render a location as the editor sees it: ``incidents[2].deaths``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


# libyaml's parser (about 40 times faster) when PyYAML was built with it; same safe constructor.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap"}


class _Walker:
    def __init__(self, doc: Document, loader: Any, lines: list[str]) -> None:
        self.doc = doc
        self.loader = loader
        self.lines = lines
        self.problems: list[Problem] = []

    def _value_mark(self, node: yaml.Node) -> tuple[int, int]:
        line, column = _mark(node)
        # A block scalar (| or >) starts at its indicator; point at its first line of text.
        if (
            isinstance(node, yaml.ScalarNode)
            and node.style in ("|", ">")
            and line < len(self.lines)
        ):
            text = self.lines[line]
            return line + 1, len(text) - len(text.lstrip()) + 1
        return line, column

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.doc.marks[loc] = _mark(node)
        self.doc.values[loc] = self._value_mark(node)
        if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_TAGS:
            # Our walk builds collections itself, so it must refuse tags PyYAML would refuse.
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"could not determine a constructor for the tag {node.tag!r}",
                node.start_mark,
            )
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int):
                    self.problems.append(
                        self.doc.problem(loc, f"keys must be plain names; got {key!r}")
                    )
                    continue
                key = str(key)
                if key in result:
                    first = self.doc.marks[(*loc, key)][0]
                    line, column = _mark(key_node)
                    self.problems.append(
                        Problem(
                            self.doc.shown,
                            line,
                            format_loc((*loc, key)),
                            f"duplicate key; it was already given on line {first}",
                            column=column,
                        )
                    )
                    continue
                self.doc.marks[(*loc, key)] = _mark(key_node)
                result[key] = self.build(value_node, (*loc, key))
                # Keep the key's own position: messages about a field point at its name.
                self.doc.marks[(*loc, key)] = _mark(key_node)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        if node.tag == _STR:  # most values are text: skip the constructor's bookkeeping
            return node.value
        return self.loader.construct_object(node, deep=True)


def read_yaml(path: Path) -> tuple[Document | None, list[Problem]]:
    """Parse ``path`` as a YAML mapping; return the document or the problems found."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(display_path(path), 0, "", f"cannot read file: {exc.strerror}")]
    shown = display_path(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, "", "file is not UTF-8 text; save it as UTF-8")]
    text = text.removeprefix("\ufeff")
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(shown, 1, "", "file is empty; expected a mapping of fields")]
        doc = Document(path, None)
        walker = _Walker(doc, loader, text.splitlines())
        doc.data = walker.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 0
        what = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(shown, line, "", f"invalid YAML: {what}", column=column)]
    except yaml.YAMLError as exc:
        return None, [Problem(shown, 1, "", f"invalid YAML: {exc}")]
    finally:
        loader.dispose()
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__ if doc.data is not None else "nothing"
        kinds = {"list": "a list", "str": "text", "int": "a number", "float": "a number"}
        return None, [
            Problem(shown, 1, "", f"expected a mapping of fields; got {kinds.get(kind, kind)}")
        ]
    return doc, walker.problems
