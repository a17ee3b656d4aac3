"""Validate parsed YAML into strict models, each problem located at its line and column.

Shared by the loader, the gazetteer (``places.py``), the importers and the subscriber
settings, so that every content file's messages read alike."""

from __future__ import annotations

import difflib
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from newsletter.errors import Problem
from newsletter.model import describe
from newsletter.yamlsource import Document, Loc

M = TypeVar("M", bound=BaseModel)

_TYPE_MESSAGES = {
    "missing": "required field is missing",
    "string_type": "expected text",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of fields",
    "model_type": "expected a mapping of fields",
    "model_attributes_type": "expected a mapping of fields",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
}


def _message(error: Any, model: type[BaseModel]) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        known = _known_fields(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        if close:
            return f'unknown field; did you mean "{close[0]}"?'
        return "unknown field; expected one of: " + ", ".join(known)
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind == "literal_error":
        expected = error["ctx"]["expected"].replace("'", "").replace(" or ", ", ")
        return f"expected one of: {expected}; got {describe(error['input'])}"
    if kind == "string_pattern_mismatch":
        return f"not a valid value: {describe(error['input'])}"
    if kind in _TYPE_MESSAGES:
        text = _TYPE_MESSAGES[kind]
        return text if kind == "missing" else f"{text}; got {describe(error['input'])}"
    return f"{error['msg']}; got {describe(error['input'])}"


def _known_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    """Follow ``loc`` through the model's fields to list the names valid at that place."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if hasattr(current, "model_fields") else None
        if info is None:
            return []
        current = _model_in(info.annotation)
        if current is None:
            return []
    return list(current.model_fields) if hasattr(current, "model_fields") else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def validate(doc: Document, model: type[M], problems: list[Problem]) -> M | None:
    """Validate ``doc`` against ``model``; append located problems and return None on failure."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        for error in exc.errors():
            # Drop pydantic's union-branch and validator-function suffixes from locations.
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
            at_key = error["type"] in ("extra_forbidden", "missing")
            problems.append(doc.problem(loc, _message(error, model), at_key=at_key))
        return None
