"""Read YAML safely while remembering where every value came from.

PyYAML's ``compose()`` keeps each node's start mark; we walk the node tree ourselves so that
every value can be traced back to ``path:line`` and so that duplicate keys (which PyYAML would
silently resolve to the last one) are reported instead of dropped. Before anything is built the
node graph is measured (``measure``): recursive aliases, alias bombs and deep nesting are refused
at no more cost than reading the text. Each scalar is then read by ``yamlscalar.construct``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from newsletter.errors import Problem, display_path
from newsletter.yamlscalar import ScalarError, construct, explicit_tag, tag_refused

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


# libyaml's parser (about 40 times faster) when PyYAML was built with it; same safe resolver.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Bounds on the composed node graph, checked before any value is built. Content files are a few
# levels deep and a few thousand nodes; an alias bomb of 400 bytes expands to billions.
MAX_DEPTH = 32
MAX_NODES = 500_000
MAX_ALIAS_NODES = 10_000  # nodes that aliases add on top of those written out
MAX_PROBLEMS = 50  # per file: a file of 100,000 bad values gets its first 50 reported


class _Refused(Exception):
    """The node graph is over a bound; nothing is built from it."""

    def __init__(self, node: yaml.Node, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.node, self.loc, self.message = node, loc, message


def _children(node: yaml.Node) -> list[tuple[str | int, yaml.Node]]:
    if isinstance(node, yaml.MappingNode):
        out: list[tuple[str | int, yaml.Node]] = []
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            out += [(name, key), (name, value)]
        return out
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    return []


def measure(root: yaml.Node) -> None:
    """Refuse a graph with a recursive alias, or over the depth, node or alias bounds.

    The walk is iterative and memoised by node identity, so a bomb of 9**9 leaves costs as much
    as its 90 written nodes: its expanded size is summed, never built."""
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, Loc, bool]] = [(root, (), False)]
    while stack:
        node, loc, done = stack.pop()
        key = id(node)
        kids = _children(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(kid)] for _, kid in kids)
            height[key] = 1 + max((height[id(kid)] for _, kid in kids), default=0)
            if height[key] > MAX_DEPTH:
                raise _Refused(node, loc, f"values are nested more than {MAX_DEPTH} levels deep")
            # The nodes below this one are at most all those seen so far; any excess is aliases'.
            if size[key] - len(size) > MAX_ALIAS_NODES:
                raise _Refused(node, loc, _too_many(size[key]))
            continue
        if key in size:
            continue
        if len(on_path) >= MAX_DEPTH:
            raise _Refused(node, loc, f"values are nested more than {MAX_DEPTH} levels deep")
        on_path.add(key)
        stack.append((node, loc, True))
        for part, kid in reversed(kids):  # reversed: visited in the order they are written
            if id(kid) in on_path:
                raise _Refused(
                    kid, loc, "an alias refers to a value that contains it (a recursive alias)"
                )
            if id(kid) not in size:
                stack.append((kid, (*loc, part), False))
    written = len(size)
    if written > MAX_NODES:
        raise _Refused(root, (), f"the file has {written} values; at most {MAX_NODES} are read")
    if size[id(root)] - written > MAX_ALIAS_NODES:
        raise _Refused(root, (), _too_many(size[id(root)]))


def _too_many(expanded: int) -> str:
    return (
        f"aliases expand the file to at least {expanded} values; aliases may add at most "
        f"{MAX_ALIAS_NODES}"
    )


class _Walker:
    def __init__(self, doc: Document, loader: Any, lines: list[str]) -> None:
        self.doc = doc
        self.loader = loader
        self.lines = lines
        self.problems: list[Problem] = []
        self.refused = False  # a value could not be read: the document is not validated

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

    def _refuse(self, loc: Loc, node: yaml.Node, message: str) -> None:
        self.refused = True
        if len(self.problems) < MAX_PROBLEMS:
            line, column = self._value_mark(node)
            self.problems.append(
                Problem(self.doc.shown, line, format_loc(loc), message, column=column)
            )

    def _scalar(self, node: yaml.ScalarNode, loc: Loc) -> Any:
        try:
            return construct(self.loader, node)
        except ScalarError as exc:
            self._refuse(loc, node, str(exc))
            return None

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.doc.marks[loc] = _mark(node)
        self.doc.values[loc] = self._value_mark(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, loc)
        if explicit_tag(self.loader, node):
            self._refuse(loc, node, tag_refused(node))
            return None
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        self.loader.flatten_mapping(node)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._refuse(loc, key_node, "keys must be plain names; got a list or mapping")
                continue
            try:
                key = construct(self.loader, key_node)
            except ScalarError as exc:
                self._refuse((*loc, str(key_node.value)), key_node, str(exc))
                continue
            if not isinstance(key, str | int) or isinstance(key, bool):
                got = key.isoformat() if isinstance(key, dt.date) else repr(key)
                self.problems.append(self.doc.problem(loc, f"keys must be plain names; got {got}"))
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


def _reader_problem(shown: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    """Locate a character the YAML reader refused (a raw NUL, say) at its own line and column."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return Problem(
        shown,
        line,
        "",
        f"the file holds the control character U+{code:04X}, which YAML does not allow; remove it",
        column=column,
    )


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
        measure(node)
        doc = Document(path, None)
        walker = _Walker(doc, loader, text.splitlines())
        doc.data = walker.build(node, ())
    except _Refused as exc:
        line, column = _mark(exc.node)
        where = format_loc(exc.loc[:4]) + ("..." if len(exc.loc) > 4 else "")
        return None, [Problem(shown, line, where, exc.message, column=column)]
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(shown, text, exc)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 0
        what = exc.problem or exc.context or "invalid YAML"
        return None, [Problem(shown, line, "", f"invalid YAML: {what}", column=column)]
    except yaml.YAMLError as exc:
        return None, [Problem(shown, 1, "", f"invalid YAML: {exc}")]
    except RecursionError:  # only PyYAML's pure-Python composer, without libyaml, gets here
        return None, [Problem(shown, 1, "", f"values are nested more than {MAX_DEPTH} levels deep")]
    finally:
        loader.dispose()
    if walker.refused:
        return None, walker.problems
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__ if doc.data is not None else "nothing"
        kinds = {"list": "a list", "str": "text", "int": "a number", "float": "a number"}
        return None, [
            Problem(shown, 1, "", f"expected a mapping of fields; got {kinds.get(kind, kind)}")
        ]
    return doc, walker.problems
