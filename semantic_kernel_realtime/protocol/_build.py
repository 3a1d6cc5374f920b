"""Fast construction of Semantic Kernel content models on the decode hot path.

Rules: decode builds SK models from values it has already checked (the few fields it reads), so
re-running pydantic validation per event would only burn CPU. :func:`builder` precomputes a model's
defaults once and returns a constructor that fills the instance slots directly, exactly what
``model_construct`` does minus its per-call introspection. Only pass values of the declared types.

Output audio (:func:`audio_content`) is a real ``AudioContent`` holding the PCM bytes, whose private
``_data_uri`` (a pydantic ``DataUri``, the costly part) is built once, only when something asks for it;
``.data`` and :func:`audio_bytes` return the bytes directly. The two models built for every output audio
frame (:func:`audio_event`, :func:`audio_content`, both at once: :func:`decoded_audio_event`) and for every
text or transcript delta (:func:`text_event`, :func:`text_content`) have hand-written constructors:
positional arguments and a literal ``__dict__``, a third cheaper than :func:`builder`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.binary_content import BinaryContent
from semantic_kernel.contents.realtime_events import RealtimeAudioEvent, RealtimeTextEvent
from semantic_kernel.contents.streaming_text_content import StreamingTextContent
from semantic_kernel.contents.utils.data_uri import DataUri

M = TypeVar("M", bound=BaseModel)

_new = object.__new__
# pydantic keeps these in slots of BaseModel; their descriptors set them without a __setattr__ detour
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


def builder(cls: type[M], **fixed: Any) -> Callable[..., M]:
    """Return ``build(**fields) -> cls`` that creates an instance without validation.

    ``fixed`` are constant field values shared by every instance (immutable values only). Fields with
    a default factory get a fresh value per instance unless passed; required fields must be passed.
    """
    template: dict[str, Any] = {}
    factories: list[tuple[str, Callable[[], Any]]] = []
    for name, field in cls.model_fields.items():
        if field.default_factory is not None:
            factories.append((name, field.default_factory))  # type: ignore[arg-type]
        elif field.default is not PydanticUndefined:
            template[name] = field.default
    template.update(fixed)
    private_defaults = (
        {name: attr.get_default() for name, attr in cls.__private_attributes__.items()}  # type: ignore[union-attr]
        if cls.__private_attributes__
        else None
    )

    def build(**fields: Any) -> M:
        obj = _new(cls)
        values = {**template, **fields}
        for name, factory in factories:
            if name not in fields:
                values[name] = factory()
        _set_dict(obj, values)
        _set_fields_set(obj, set(fields))
        _set_extra(obj, None)
        _set_private(obj, None if private_defaults is None else private_defaults.copy())
        return obj

    return build


_data_uri = builder(DataUri, data_format="base64")


class _LazyAudioPrivate(dict):
    """``AudioContent.__pydantic_private__`` whose ``_data_uri`` is built from the PCM bytes on first read."""

    __slots__ = ("mime_type", "pcm")

    def __missing__(self, key: str) -> Any:
        if key != "_data_uri":
            raise KeyError(key)
        uri = _data_uri(data_bytes=self.pcm, mime_type=self.mime_type, parameters={})
        self["_data_uri"] = uri
        return uri

    def _materialised(self) -> dict[str, Any]:
        if not dict.__contains__(self, "_data_uri"):
            self["_data_uri"]  # noqa: B018 - triggers __missing__ once
        return dict(dict.items(self))

    # Anything that looks at the whole mapping (pydantic's copy, equality, pickling) sees the decoded value.
    def items(self):  # type: ignore[override]
        return self._materialised().items()

    def keys(self):  # type: ignore[override]
        return self._materialised().keys()

    def values(self):  # type: ignore[override]
        return self._materialised().values()

    def __iter__(self):  # type: ignore[override]
        return iter(self._materialised())

    def __len__(self) -> int:
        return len(self._materialised())

    def __reduce__(self):  # type: ignore[override]
        return (dict, (self._materialised(),))

    def __eq__(self, other: object) -> bool:
        return self._materialised() == (other._materialised() if isinstance(other, _LazyAudioPrivate) else other)

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> dict[str, Any]:
        return self._materialised()

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        return copy.deepcopy(self._materialised(), memo)


class DecodedAudioContent(AudioContent):
    """The ``AudioContent`` of decoded output audio (an ``AudioContent`` in every respect).

    Its ``data`` reads the bytes directly: Semantic Kernel's ``BinaryContent.data`` looks the private
    ``_data_uri`` up five times through pydantic's ``__getattr__`` (~10 µs per read on the hot path).
    """

    @property  # type: ignore[override]
    def data(self) -> bytes:
        return audio_bytes(self)

    @data.setter
    def data(self, value: Any) -> None:
        BinaryContent.data.fset(self, value)  # type: ignore[attr-defined]


def _defaults(cls: type[BaseModel]) -> dict[str, Any]:
    return {name: field.default for name, field in cls.model_fields.items() if field.default is not PydanticUndefined}


_AUDIO_CONTENT_DEFAULTS = _defaults(DecodedAudioContent)  # every field but "metadata" (a default factory)
assert set(DecodedAudioContent.model_fields) == {*_AUDIO_CONTENT_DEFAULTS, "metadata"}
assert set(RealtimeAudioEvent.model_fields) == {"service_type", "service_event", "audio"}
assert not RealtimeAudioEvent.__private_attributes__
assert set(RealtimeTextEvent.model_fields) == {"service_type", "service_event", "text"}
assert not RealtimeTextEvent.__private_attributes__
_TEXT_CONTENT_DEFAULTS = _defaults(StreamingTextContent)
assert set(StreamingTextContent.model_fields) == {*_TEXT_CONTENT_DEFAULTS, "metadata", "text", "choice_index"}
assert not StreamingTextContent.__private_attributes__


def audio_content(pcm: bytes, mime_type: str) -> AudioContent:
    """An ``AudioContent`` of received audio bytes (its ``DataUri`` is built only if asked for)."""
    content = _new(DecodedAudioContent)
    _set_dict(content, {**_AUDIO_CONTENT_DEFAULTS, "metadata": {}})
    _set_fields_set(content, set())
    _set_extra(content, None)
    private = _LazyAudioPrivate()
    private.mime_type = mime_type
    private.pcm = pcm
    _set_private(content, private)
    return content


def decoded_audio_event(service_type: str, service_event: Any, pcm: bytes, mime_type: str) -> RealtimeAudioEvent:
    """``audio_event(service_type, service_event, audio_content(pcm, mime_type))`` in one call: the hot path."""
    content = _new(DecodedAudioContent)
    _set_dict(content, {**_AUDIO_CONTENT_DEFAULTS, "metadata": {}})
    _set_fields_set(content, set())
    _set_extra(content, None)
    private = _LazyAudioPrivate()
    private.mime_type = mime_type
    private.pcm = pcm
    _set_private(content, private)
    event = _new(RealtimeAudioEvent)
    _set_dict(event, {"service_event": service_event, "service_type": service_type, "audio": content})
    _set_fields_set(event, {"service_event", "service_type", "audio"})
    _set_extra(event, None)
    _set_private(event, None)
    return event


def text_content(text: str, metadata: dict[str, Any]) -> StreamingTextContent:
    """``StreamingTextContent(choice_index=0, text=text, metadata=metadata)`` without validation."""
    content = _new(StreamingTextContent)
    _set_dict(content, {**_TEXT_CONTENT_DEFAULTS, "metadata": metadata, "text": text, "choice_index": 0})
    _set_fields_set(content, {"text", "metadata"})
    _set_extra(content, None)
    _set_private(content, None)
    return content


def text_event(service_type: str, service_event: Any, text: StreamingTextContent) -> RealtimeTextEvent:
    """``RealtimeTextEvent(service_type=..., service_event=..., text=...)`` without validation."""
    event = _new(RealtimeTextEvent)
    _set_dict(event, {"service_event": service_event, "service_type": service_type, "text": text})
    _set_fields_set(event, {"service_event", "service_type", "text"})
    _set_extra(event, None)
    _set_private(event, None)
    return event


def pcm_audio_event(service_type: str, pcm: bytes, mime_type: str = "audio/pcm") -> RealtimeAudioEvent:
    """A received-audio event for raw bytes, the same content decoded base64 audio becomes."""
    return audio_event(service_type, None, audio_content(pcm, mime_type))


def audio_event(service_type: str, service_event: Any, audio: AudioContent) -> RealtimeAudioEvent:
    """``RealtimeAudioEvent(service_type=..., service_event=..., audio=...)`` without validation."""
    event = _new(RealtimeAudioEvent)
    _set_dict(event, {"service_event": service_event, "service_type": service_type, "audio": audio})
    _set_fields_set(event, {"service_event", "service_type", "audio"})
    _set_extra(event, None)
    _set_private(event, None)
    return event


def audio_size(event: RealtimeAudioEvent) -> int:
    """The length of an audio event's bytes, read without building anything (the receive queue's byte count)."""
    content = event.audio  # a plain attribute read: faster than going through __dict__
    private = content.__pydantic_private__
    if type(private) is _LazyAudioPrivate and dict.get(private, "_data_uri") is None:
        return len(private.pcm)
    return len(audio_bytes(content))


def audio_bytes(content: BinaryContent) -> bytes:
    """The bytes of an ``AudioContent`` (what ``.data`` returns), without pydantic's private-attribute detour."""
    private = content.__pydantic_private__
    if type(private) is _LazyAudioPrivate:
        uri = dict.get(private, "_data_uri")
        if uri is None:
            return private.pcm
    else:
        uri = private.get("_data_uri") if private else None
    if uri is None:
        return b""
    if uri.data_array is not None:
        return uri.data_array.tobytes()
    return uri.data_bytes or b""
