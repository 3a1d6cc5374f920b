"""The server's judge: client and server events checked against the ``openai`` package's GA types.

Rules:
- The schema is the installed ``openai`` package (``openai.types.realtime``), never our client codec.
- Dispatch on the ``type`` string to the one GA model for that type, then validate it with pydantic in
  strict mode (no ``"5"`` for an integer) and reject every field the model does not declare, at any depth
  (the openai models allow extra fields by default, the service does not).
- Failures raise :class:`EventValidationError` (an :class:`~.errors.ApiError`) with the service's error
  vocabulary: ``code`` (``invalid_json``, ``invalid_event``, ``invalid_value``, ``invalid_type``,
  ``missing_required_parameter``, ``unknown_parameter``), a ``message`` and the dotted ``param`` path
  (``session.tools[0].meta``).
- Numbers with a documented range (``speed`` 0.25..1.5, VAD ``threshold`` 0..1, ``max_output_tokens``
  1..4096) are refused outside it with the service's codes (``decimal_above_max_value``,
  ``integer_below_min_value`` ...).
- A ``null`` the GA types allow means *absent* (:func:`without_nulls`), except in the fields whose null
  the GA docs define as "turn it off" (:data:`CLEARED_BY_NULL`: ``turn_detection``, ``transcription``,
  ``noise_reduction``, ``tracing``). Free-form values (a tool's JSON schema, ``metadata``) are not touched.
- ``session.created`` / ``session.updated`` may carry the session's ``id``, ``object`` and ``expires_at``
  (what the live service sends); those are checked against ``RealtimeSessionCreateResponse``.
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from openai.types.realtime import RealtimeClientEvent, RealtimeServerEvent
from openai.types.realtime.realtime_session_create_response import RealtimeSessionCreateResponse
from openai.types.realtime.realtime_transcription_session_create_response import (
    RealtimeTranscriptionSessionCreateResponse,
)
from pydantic import BaseModel, TypeAdapter, ValidationError

from semantic_kernel_realtime.server.errors import ApiError

__all__ = [
    "EventValidationError",
    "client_event_types",
    "parse_client_message",
    "server_event_types",
    "session_resource",
    "validate_client_event",
    "validate_server_event",
    "validate_session",
    "without_nulls",
]


class EventValidationError(ApiError, ValueError):
    """An event (or a request's session) does not match the GA schema."""

    def __init__(self, code: str, message: str, param: str | None = None, event_id: str | None = None) -> None:
        super().__init__(code, message, param, event_id=event_id)


def _models_by_type(union: Any) -> dict[str, type[BaseModel]]:
    """Map each member's ``type`` literal to the member model of an ``Annotated[Union[...]]`` alias."""
    members = typing.get_args(typing.get_args(union)[0])
    table: dict[str, type[BaseModel]] = {}
    for model in members:
        (literal,) = typing.get_args(model.model_fields["type"].annotation)
        table[literal] = model
    return table


_CLIENT_MODELS = _models_by_type(RealtimeClientEvent)
_SERVER_MODELS = _models_by_type(RealtimeServerEvent)
_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {}
_SESSION_RESPONSES = {"realtime": TypeAdapter(RealtimeSessionCreateResponse),
                      "transcription": TypeAdapter(RealtimeTranscriptionSessionCreateResponse)}
# Keys the live service adds to the session object of session.created / session.updated.
_SESSION_EVENT_EXTRAS = frozenset(RealtimeSessionCreateResponse.model_fields) - {"type"}
_TRANSCRIPTION_RESOURCE_FIELDS = frozenset(RealtimeTranscriptionSessionCreateResponse.model_fields)
#: Turn detection as a transcription session resource shows it (its type has no other fields).
_TRANSCRIPTION_TURN_DETECTION_FIELDS = frozenset({"type", "threshold", "prefix_padding_ms", "silence_duration_ms"})
_SESSION_EVENTS = frozenset({"session.created", "session.updated"})
_SESSION_RESOURCE_FIELDS = frozenset(
    field.alias or name for name, field in RealtimeSessionCreateResponse.model_fields.items()
)


def session_resource(session: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``session`` with only the fields the GA session resource has (what ``session.created`` /
    ``session.updated`` and a minted secret show): request-only fields such as ``parallel_tool_calls``
    are kept by the session but not echoed."""
    if session.get("type") != "transcription":
        return {key: copy.deepcopy(value) for key, value in session.items() if key in _SESSION_RESOURCE_FIELDS}
    shown = {key: copy.deepcopy(value) for key, value in session.items() if key in _TRANSCRIPTION_RESOURCE_FIELDS}
    detection = ((shown.get("audio") or {}).get("input") or {}).get("turn_detection")
    if isinstance(detection, dict):
        shown["audio"]["input"]["turn_detection"] = {
            k: v for k, v in detection.items() if k in _TRANSCRIPTION_TURN_DETECTION_FIELDS}
    return shown


def client_event_types() -> frozenset[str]:
    """Every GA client event type the installed openai package knows."""
    return frozenset(_CLIENT_MODELS)


def server_event_types() -> frozenset[str]:
    """Every GA server event type the installed openai package knows."""
    return frozenset(_SERVER_MODELS)


def parse_client_message(text: str | bytes) -> tuple[BaseModel | None, dict[str, Any]]:
    """Decode one wire message, validate it (:func:`validate_client_event`) and drop its nulls
    (:func:`without_nulls`): the typed model and the dict to act on.

    A plain audio append (``type``, a string ``audio``, perhaps a string ``event_id``: the one event a
    client sends 50 times a second) is accepted without the generic walk, since every check of the strict
    path passes for it and leaves it as it is: its model is ``None`` (its handler reads the dict) and the
    dict is the parsed one."""
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise EventValidationError("invalid_json", f"The server could not parse the event as JSON: {exc}.") from None
    if _plain_append(obj):
        return None, obj
    model = validate_client_event(obj)
    return model, without_nulls(model, obj)


def _plain_append(obj: Any) -> bool:
    if type(obj) is not dict or obj.get("type") != "input_audio_buffer.append" or type(obj.get("audio")) is not str:
        return False
    size = len(obj)
    return size == 2 or (size == 3 and type(obj.get("event_id")) is str)


def validate_client_event(obj: Any) -> BaseModel:
    """Validate a decoded client event; raise :class:`EventValidationError` on any deviation."""
    return _validate(obj, _CLIENT_MODELS, allowed_extras={})


def validate_session(session: Any) -> dict[str, Any]:
    """Check a request's ``session`` object (client secrets, WebRTC calls) as a ``session.update`` would be.

    Realtime and transcription sessions; errors name ``session...``."""
    if not isinstance(session, dict):
        raise EventValidationError("invalid_type", "Invalid type for 'session': expected an object.", "session")
    event = {"type": "session.update", "session": session}
    return without_nulls(validate_client_event(event), event)["session"]


#: fields whose explicit ``null`` turns a feature off (GA docs); every other allowed ``null`` means absent
CLEARED_BY_NULL = frozenset({"turn_detection", "transcription", "noise_reduction", "tracing"})


def without_nulls(model: BaseModel, raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` (the JSON that validated as ``model``) without the optional fields set to ``null``, at any
    depth of the typed structure, except :data:`CLEARED_BY_NULL`. Returns a new dict; ``raw`` is kept."""
    out = dict(raw)
    for name, field in type(model).model_fields.items():
        key = field.alias or name
        if key not in out:
            continue
        if out[key] is None:
            if not field.is_required() and key not in CLEARED_BY_NULL:
                del out[key]
            continue
        out[key] = _without_nulls_in(getattr(model, name), out[key])
    return out


def _without_nulls_in(parsed: Any, raw: Any) -> Any:
    if isinstance(parsed, BaseModel) and isinstance(raw, dict):
        return without_nulls(parsed, raw)
    if isinstance(parsed, (list, tuple)) and isinstance(raw, list) and len(parsed) == len(raw):
        return [_without_nulls_in(p, r) for p, r in zip(parsed, raw, strict=True)]
    return raw


def validate_server_event(obj: Any) -> BaseModel:
    """Validate a decoded server event the same strict way (tests run everything the server sends through it)."""
    model = _validate(obj, _SERVER_MODELS, allowed_extras=_server_allowed_extras(obj))
    if obj["type"] in _SESSION_EVENTS:
        kind = obj["session"].get("type") if isinstance(obj.get("session"), dict) else None
        adapter = _SESSION_RESPONSES.get(kind, _SESSION_RESPONSES["realtime"])
        session_model = _validate_with(adapter, obj["session"], prefix=("session",))
        _reject_extras(session_model, ("session",), {})
    return model


def _server_allowed_extras(obj: Any) -> dict[tuple[str | int, ...], frozenset[str]]:
    if isinstance(obj, Mapping) and obj.get("type") in _SESSION_EVENTS:
        return {("session",): _SESSION_EVENT_EXTRAS}
    return {}


def _validate(
    obj: Any,
    models: Mapping[str, type[BaseModel]],
    allowed_extras: Mapping[tuple[str | int, ...], frozenset[str]],
) -> BaseModel:
    if not isinstance(obj, dict):
        raise EventValidationError("invalid_event", "The event must be a JSON object.")
    event_id = obj.get("event_id") if isinstance(obj.get("event_id"), str) else None
    kind = obj.get("type")
    if kind is None:
        raise EventValidationError("invalid_event", "The 'type' field is missing.", "type", event_id)
    model_cls = models.get(kind) if isinstance(kind, str) else None
    if model_cls is None:
        supported = ", ".join(f"'{name}'" for name in sorted(models))
        raise EventValidationError(
            "invalid_value", f"Invalid value: {_short(kind)}. Supported values are: {supported}.", "type", event_id
        )
    adapter = _ADAPTERS.get(model_cls)
    if adapter is None:
        adapter = _ADAPTERS[model_cls] = TypeAdapter(model_cls)
    try:
        model = _validate_with(adapter, obj, prefix=())
        _reject_extras(model, (), allowed_extras)
        if models is _CLIENT_MODELS:
            _check_ranges(obj)
    except EventValidationError as exc:
        exc.event_id = event_id
        raise
    return model


def _validate_with(adapter: TypeAdapter[Any], obj: Any, prefix: tuple[str | int, ...]) -> Any:
    try:
        return adapter.validate_python(obj, strict=True)
    except ValidationError as exc:
        raise _to_event_error(exc.errors(include_url=False), prefix) from None


def _reject_extras(
    value: Any, path: tuple[str | int, ...], allowed: Mapping[tuple[str | int, ...], frozenset[str]]
) -> None:
    """Walk a validated model; any field the schema does not declare is an unknown parameter."""
    if isinstance(value, BaseModel):
        extra = set(value.model_extra or ()) - allowed.get(path, frozenset())
        if extra:
            param = _param(path + (sorted(extra)[0],))
            raise EventValidationError("unknown_parameter", f"Unknown parameter: '{param}'.", param)
        for name in type(value).model_fields:
            _reject_extras(getattr(value, name), path + (name,), allowed)
    elif isinstance(value, list | tuple):
        for index, element in enumerate(value):
            _reject_extras(element, path + (index,), allowed)


# --- documented numeric ranges (the GA docs state them; the types cannot) ------------------------------

#: path in a client event -> (kind, minimum, maximum), both inclusive
_RANGES: dict[tuple[str, ...], tuple[str, float, float]] = {
    ("session", "audio", "output", "speed"): ("decimal", 0.25, 1.5),
    ("session", "audio", "input", "turn_detection", "threshold"): ("decimal", 0.0, 1.0),
    ("session", "max_output_tokens"): ("integer", 1, 4096),
    ("response", "max_output_tokens"): ("integer", 1, 4096),
}


def _check_ranges(obj: dict[str, Any]) -> None:
    """Refuse a number outside its documented range as the service does (``decimal_above_max_value`` ...)."""
    for path, (kind, low, high) in _RANGES.items():
        value: Any = obj
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, int | float) or isinstance(value, bool) or low <= value <= high:
            continue
        side, word, sign, bound = ("below", "minimum", ">=", low) if value < low else ("above", "maximum", "<=", high)
        param = _param(path)
        raise EventValidationError(
            f"{kind}_{side}_{'min' if side == 'below' else 'max'}_value",
            f"Invalid '{param}': {kind} {side} {word} value. Expected a value {sign} {bound}, but got {value} "
            "instead.", param,
        )


# --- pydantic errors -> the service's error vocabulary -------------------------------------------------

_TYPE_NAMES = frozenset({"str", "int", "float", "bool", "none", "dict", "list", "object"})
_DISCRIMINATORS = frozenset({"type", "role"})


def _is_union_tag(part: str | int) -> bool:
    """Pydantic puts the union member's name in ``loc``; field names are lower snake case."""
    return isinstance(part, str) and (part in _TYPE_NAMES or not part.islower() or "[" in part or "-" in part)


def _branches(loc: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    return [loc[: i + 1] for i, part in enumerate(loc) if _is_union_tag(part)]


def _to_event_error(errors: list[Any], prefix: tuple[str | int, ...]) -> EventValidationError:
    # A union member whose discriminator literal did not match is the wrong branch, not the user's mistake.
    wrong: dict[tuple[str | int, ...], str] = {}
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] == "literal_error" and loc and loc[-1] in _DISCRIMINATORS and _branches(loc):
            branch = _branches(loc)[-1]
            if loc[:-1] == branch:
                wrong[branch] = wrong.get(branch, "") + str(loc[-1])
    relevant = [e for e in errors if not any(b in wrong for b in _branches(tuple(e["loc"])))]
    if relevant:
        return _describe(relevant[0], prefix)
    # Every branch was wrong: the discriminator itself is bad. Prefer 'role' (type matched) over 'type'.
    def at(name: str) -> list[Any]:
        return [e for e in errors if e["loc"] and e["loc"][-1] == name and _branches(tuple(e["loc"]))]

    role_only = [e for e in at("role") if "type" not in wrong.get(_branches(tuple(e["loc"]))[-1], "")]
    chosen = role_only or at("type") or errors
    expected = sorted({_expected(e) for e in chosen if e["loc"][-1] == chosen[0]["loc"][-1]} - {""})
    first = chosen[0]
    param = _param(prefix + _clean(tuple(first["loc"])))
    return EventValidationError(
        "invalid_value",
        f"Invalid value for '{param}': {_short(first.get('input'))}. Supported values are: {', '.join(expected)}.",
        param,
    )


def _expected(err: Any) -> str:
    ctx = err.get("ctx") or {}
    return str(ctx.get("expected", ""))


def _describe(err: Any, prefix: tuple[str | int, ...]) -> EventValidationError:
    param = _param(prefix + _clean(tuple(err["loc"])))
    kind = err["type"]
    if kind == "missing":
        return EventValidationError("missing_required_parameter", f"Missing required parameter: '{param}'.", param)
    if kind.endswith("_type") or kind in {"model_attributes_type", "is_instance_of", "dataclass_type"}:
        return EventValidationError("invalid_type", f"Invalid type for '{param}': {err['msg']}.", param)
    return EventValidationError("invalid_value", f"Invalid value for '{param}': {err['msg']}.", param)


def _clean(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    return tuple(part for part in loc if not _is_union_tag(part))


def _param(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
