"""Turn each YAML scalar into a value, refusing every one that YAML would silently reinterpret.

YAML 1.1 (PyYAML's dialect) reads ``190:20:30`` as 685230, ``0x10`` as 16, ``010`` as 8,
``1_000`` as 1000, ``yes``/``no``/``on``/``off`` as booleans, ``.inf`` as infinity and
``2021-11-04 10:00`` as a date and time. An editor who wrote any of these meant what they
typed, so each is refused with a message naming YAML's reading. Only plain decimal numbers,
``true``/``false``, ``null``/``~``, dates written YYYY-MM-DD (real days only) and text remain.
Explicit tags (``!!int``, ``!!python/object``, ``!anything``) are refused too: content never
needs them. Every file read by the loader goes through here, so every field gets these rules.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import yaml

MAX_DIGITS = 18  # far above any count or issue number, far below int()'s 4,300-digit limit

_TAG = "tag:yaml.org,2002:"
_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
# C0 and C1 controls except tab and newline, and lone surrogates (from "\ud800" escapes): no
# edition can show them, and a surrogate cannot even be written out as UTF-8.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_BOOLEAN_WORDS = {"yes": "true", "on": "true", "no": "false", "off": "false"}
_QUOTE = "; put it in quotes if it is text"


class ScalarError(ValueError):
    """A scalar that cannot be read as written; the message is for the editor."""


def _plain(node: yaml.ScalarNode) -> bool:
    return node.style in (None, "")  # the C parser gives "" for plain, the Python one None


def explicit_tag(loader: Any, node: yaml.Node) -> bool:
    """Whether ``node`` carries a tag the editor wrote, rather than the one YAML resolved."""
    if isinstance(node, yaml.ScalarNode):
        implicit = (True, False) if _plain(node) else (False, True)
        return bool(node.tag != loader.resolve(yaml.ScalarNode, node.value, implicit))
    kind = yaml.MappingNode if isinstance(node, yaml.MappingNode) else yaml.SequenceNode
    return bool(node.tag != loader.resolve(kind, None, (True, False)))


def tag_refused(node: yaml.Node) -> str:
    """The message for a value that carries an explicit tag."""
    shown = "!!" + node.tag.removeprefix(_TAG) if node.tag.startswith(_TAG) else node.tag
    return f"explicit YAML tags ({shown}) are not accepted; write the value without a tag"


def check_text(text: str) -> str:
    """Return ``text`` unless it holds a control character; raise ScalarError if it does."""
    found = _CONTROL.search(text)
    if found:
        code = f"U+{ord(found[0]):04X}"
        raise ScalarError(
            f"the text holds the control character {code} at character {found.start() + 1}, "
            "which no edition can show; remove it"
        )
    return text


def _reading(loader: Any, node: yaml.ScalarNode) -> str:
    """What PyYAML would make of a short scalar, for the message (never for a long one)."""
    if len(node.value) > 40:
        return "a number"
    try:
        value = loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError):
        return "a number"
    if isinstance(value, float) and math.isnan(value):
        return "not-a-number"
    if isinstance(value, float) and math.isinf(value):
        return "infinity" if value > 0 else "minus infinity"
    return f"the number {value}"


def construct(loader: Any, node: yaml.ScalarNode) -> Any:
    """Build the value of a scalar ``node``; raise ScalarError naming YAML's reading."""
    value: str = node.value
    tag = node.tag.removeprefix(_TAG)
    if explicit_tag(loader, node):
        raise ScalarError(tag_refused(node))
    if tag == "str" or not _plain(node):
        return check_text(value)
    if tag == "null":
        return None
    if tag == "bool":
        word = value.lower()
        if word in ("true", "false"):
            return word == "true"
        raise ScalarError(
            f'"{value}" is read by YAML as {_BOOLEAN_WORDS[word]}; write {_BOOLEAN_WORDS[word]}, '
            "or put it in quotes if it is text"
        )
    if tag == "int":
        if _INT.match(value):
            if len(value.lstrip("+-")) > MAX_DIGITS:
                raise ScalarError(
                    f"a number of {len(value.lstrip('+-'))} digits is too large; "
                    f"at most {MAX_DIGITS} digits are accepted{_QUOTE}"
                )
            return int(value)
        raise ScalarError(f'"{value}" is read by YAML as {_reading(loader, node)}{_QUOTE}')
    if tag == "float":
        if _FLOAT.match(value) and len(value) <= 40:
            number = float(value)
            if math.isfinite(number):
                return number
        raise ScalarError(f'"{value}" is read by YAML as {_reading(loader, node)}{_QUOTE}')
    if tag == "timestamp":
        return _date(value)
    # The remaining implicit tags (merge "<<" and value "=") have no meaning as a value.
    return check_text(value)


def _date(value: str) -> dt.date:
    match = _DATE.match(value)
    if not match:
        raise ScalarError(
            f'"{value}" is read by YAML as a date and time; write a date as YYYY-MM-DD, '
            f"like 2021-11-04{_QUOTE}"
        )
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ScalarError(f"{value} is not a real date: {exc}") from None
