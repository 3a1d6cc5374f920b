"""Hypothesis strategies for valid GA client events, built from the ``openai`` package's own pydantic models.

Every model becomes a fixed dictionary of its fields under their JSON names: required fields always, the
others sometimes; ``Optional`` fields may be ``null``; unions draw from every member; literals from their
values. Strings come from a small printable alphabet and lists are short, so the events stay cheap to
answer (the point is to reach every handler with every shape, not to send large payloads).
"""

from __future__ import annotations

import typing
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel

from semantic_kernel_realtime.server.validation import _CLIENT_MODELS

TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
JSON_SCALARS = st.none() | st.booleans() | st.integers(-1000, 1000) | TEXT
JSON = JSON_SCALARS | st.lists(JSON_SCALARS, max_size=2) | st.dictionaries(TEXT, JSON_SCALARS, max_size=2)
NUMBERS = st.floats(allow_nan=False, allow_infinity=False)

_SCALARS: dict[Any, st.SearchStrategy[Any]] = {
    str: TEXT,
    bool: st.booleans(),
    int: st.integers(-(2**63), 2**63 - 1),  # what JSON parsers (orjson) read as integers
    float: NUMBERS | st.integers(-10, 10),
    object: JSON,
    type(None): st.none(),
}
_models: dict[type[BaseModel], st.SearchStrategy[dict[str, Any]]] = {}


def for_type(annotation: Any) -> st.SearchStrategy[Any]:
    """A strategy for JSON values that validate as ``annotation`` (strictly, as the server checks)."""
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return for_model(annotation)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return for_type(args[0])
    if origin is typing.Union:
        return st.one_of([for_type(arg) for arg in args])
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is list:
        return st.lists(for_type(args[0]), max_size=2)
    if origin is dict:
        return st.dictionaries(TEXT, for_type(args[1]), max_size=2)
    raise TypeError(f"no strategy for {annotation!r}")


def for_model(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    if model not in _models:
        _models[model] = st.deferred(lambda: _fields(model))
    return _models[model]


def _fields(model: type[BaseModel]) -> st.SearchStrategy[dict[str, Any]]:
    required, optional = {}, {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        (required if field.is_required() else optional)[key] = for_type(field.annotation)
    return st.fixed_dictionaries(required, optional=optional)


def client_events() -> st.SearchStrategy[dict[str, Any]]:
    """Any GA client event (every type the installed openai package declares)."""
    return st.one_of([for_model(model) for _, model in sorted(_CLIENT_MODELS.items())])
