"""Execution settings -> a GA ``session.update`` client event.

Rules:
- Only fields the user set are sent; a field set explicitly to ``None`` where GA gives ``null`` a
  meaning (``turn_detection`` = manual turns, ``transcription`` / ``noise_reduction`` = off) is sent
  as ``null``.
- Legacy literals map to GA: ``pcm16`` -> ``{"type": "audio/pcm", "rate": 24000}``, ``g711_ulaw`` ->
  ``audio/pcmu``, ``g711_alaw`` -> ``audio/pcma``; ``modalities`` -> ``output_modalities`` (GA allows
  one modality: audio, which includes its transcript, wins over text); flat ``voice``/``speed`` ->
  ``audio.output``; ``input_audio_*`` -> ``audio.input``.
- Turn detection keeps only the fields its ``type`` defines, so the event validates strictly.
- Every GA session field is carried (``include``, ``tracing``, ``truncation``, ``prompt``, ``reasoning``,
  ``parallel_tool_calls``, the transcription ``languages``/``keywords``/``delay``, ``idle_timeout_ms``,
  noise reduction ``strength``); mappings pass through as given. ``session_type="transcription"`` gives a
  transcription session: only ``audio.input`` and ``include``, since that is all its type defines.
- ``audio/pcm`` on the wire is 24 kHz. A PCM format at another ``rate`` says what the *application* sends
  or wants (:func:`pcm_rate`): the wire still says 24000 and the client converts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings

from semantic_kernel_realtime.errors import EncodeError
from semantic_kernel_realtime.protocol.openai.settings import RealtimeExecutionSettings

_FORMATS: dict[str, dict[str, Any]] = {
    "audio/pcm": {"type": "audio/pcm", "rate": 24000},
    "pcm16": {"type": "audio/pcm", "rate": 24000},
    "audio/pcmu": {"type": "audio/pcmu"},
    "g711_ulaw": {"type": "audio/pcmu"},
    "audio/pcma": {"type": "audio/pcma"},
    "g711_alaw": {"type": "audio/pcma"},
}
_TURN_DETECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "server_vad": (
        "type", "create_response", "idle_timeout_ms", "interrupt_response",
        "prefix_padding_ms", "silence_duration_ms", "threshold",
    ),
    "semantic_vad": ("type", "create_response", "eagerness", "interrupt_response"),
}
_TRANSCRIPTION_FIELDS = ("model", "language", "prompt", "languages", "keywords", "delay")
_NOISE_REDUCTION_FIELDS = ("type", "strength")
#: Top-level GA fields passed through from settings as given (mappings copied).
_PASSTHROUGH = ("include", "tracing", "truncation", "prompt", "reasoning", "parallel_tool_calls")
#: Wire rate of ``audio/pcm``.
PCM_RATE = 24_000


def as_realtime_settings(settings: PromptExecutionSettings | None) -> RealtimeExecutionSettings:
    """Our settings class from any SK settings object (SK's own realtime settings included)."""
    if settings is None:
        return RealtimeExecutionSettings()
    if isinstance(settings, RealtimeExecutionSettings):
        return settings
    fields = RealtimeExecutionSettings.model_fields
    values: dict[str, Any] = {}
    for name in settings.model_fields_set:
        if name in fields and name != "extension_data":
            value = getattr(settings, name)
            values[name] = value.model_dump(exclude_none=True) if isinstance(value, BaseModel) else value
    for name, value in settings.extension_data.items():
        if name in fields and name not in values:
            values[name] = value
    values["function_choice_behavior"] = settings.function_choice_behavior
    return RealtimeExecutionSettings(**values)


def session_config(settings: PromptExecutionSettings | None, *, model: str | None = None) -> dict[str, Any]:
    """The GA session object (``type: realtime`` or ``transcription``) for ``settings``."""
    s = as_realtime_settings(settings)
    # SK settings keep constructor kwargs in extension_data (None included); assignments mark fields_set.
    explicit = s.model_fields_set | set(s.extension_data)
    transcription_only = s.session_type == "transcription"
    session: dict[str, Any] = {"type": "transcription" if transcription_only else "realtime"}
    if not transcription_only:
        _conversation_fields(s, session, model)
    if s.include is not None:
        session["include"] = list(s.include)

    audio_in: dict[str, Any] = {}
    audio_out: dict[str, Any] = {}
    if s.input_audio_format is not None:
        audio_in["format"] = _format(s.input_audio_format, "input_audio_format")
    if s.input_audio_transcription is not None:
        audio_in["transcription"] = _pick(s.input_audio_transcription, _TRANSCRIPTION_FIELDS)
    elif "input_audio_transcription" in explicit:
        audio_in["transcription"] = None
    if s.turn_detection is not None:
        audio_in["turn_detection"] = _turn_detection(s.turn_detection)
    elif "turn_detection" in explicit:
        audio_in["turn_detection"] = None
    if s.input_audio_noise_reduction is not None:
        audio_in["noise_reduction"] = _pick(s.input_audio_noise_reduction, _NOISE_REDUCTION_FIELDS)
    elif "input_audio_noise_reduction" in explicit:
        audio_in["noise_reduction"] = None
    if not transcription_only:
        if s.output_audio_format is not None:
            audio_out["format"] = _format(s.output_audio_format, "output_audio_format")
        if s.voice is not None:
            audio_out["voice"] = dict(s.voice) if isinstance(s.voice, Mapping) else s.voice
        if s.speed is not None:
            audio_out["speed"] = s.speed
    if audio_in or audio_out:
        session["audio"] = {k: v for k, v in (("input", audio_in), ("output", audio_out)) if v}
    return session


def _conversation_fields(s: RealtimeExecutionSettings, session: dict[str, Any], model: str | None) -> None:
    """The fields only a ``realtime`` session has."""
    if s.ai_model_id is not None or model:
        session["model"] = s.ai_model_id if s.ai_model_id is not None else model
    modalities = s.output_modalities if s.output_modalities is not None else s.modalities
    if modalities is not None:
        modalities = list(modalities)
        session["output_modalities"] = (["audio"] if "audio" in modalities else ["text"]) \
            if len(modalities) > 1 else modalities
    if s.instructions is not None:
        session["instructions"] = s.instructions
    if s.max_output_tokens is not None:
        session["max_output_tokens"] = s.max_output_tokens
    if s.tools is not None:
        session["tools"] = list(s.tools)
    if s.tool_choice is not None:
        session["tool_choice"] = dict(s.tool_choice) if isinstance(s.tool_choice, Mapping) else s.tool_choice
    for name in _PASSTHROUGH:
        if name == "include":
            continue
        value = getattr(s, name)
        if value is not None:
            session[name] = _copy(value)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


def pcm_rate(value: Any) -> int | None:
    """The sample rate a format setting names for PCM (``{"type": "audio/pcm", "rate": 16000}``), else None.

    G.711 formats are 8000 Hz; a bare ``audio/pcm`` / ``pcm16`` is 24000 Hz.
    """
    if value is None:
        return None
    fmt = _format(value, "format")
    if fmt.get("type") in ("audio/pcmu", "audio/pcma"):
        return 8000
    rate = value.get("rate") if isinstance(value, Mapping) else None
    return int(rate) if isinstance(rate, int) else PCM_RATE


def session_update_event(settings: PromptExecutionSettings | None, *, model: str | None = None) -> dict[str, Any]:
    """The ``session.update`` client event for ``settings``."""
    return {"type": "session.update", "session": session_config(settings, model=model)}


def _format(value: Any, field: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            return dict(_FORMATS[value])
        except KeyError:
            raise EncodeError(f"{field}: unknown audio format {value!r}; use one of {sorted(_FORMATS)}") from None
    if isinstance(value, Mapping) and value.get("type", "audio/pcm") in _FORMATS:
        fmt = {k: v for k, v in value.items() if k in ("type", "rate")}
        if "type" in fmt:
            fmt["type"] = _FORMATS[fmt["type"]]["type"]
        if fmt.get("type", "audio/pcm") == "audio/pcm" and "rate" in fmt:
            rate = fmt["rate"]
            if not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0:
                raise EncodeError(f"{field}: audio/pcm rate must be a positive integer (Hz), got {rate!r}")
            fmt["rate"] = PCM_RATE  # other rates are the application's: the client converts to 24 kHz
        elif fmt.get("type") != "audio/pcm":
            fmt.pop("rate", None)
        return fmt
    raise EncodeError(f"{field}: expected a format name or {{'type': 'audio/pcm'|...}}, got {value!r}")


def _pick(value: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    data = value.model_dump(exclude_none=True) if isinstance(value, BaseModel) else dict(value)
    return {k: data[k] for k in keys if data.get(k) is not None}


def _turn_detection(value: Any) -> dict[str, Any]:
    data = value.model_dump(exclude_none=True) if isinstance(value, BaseModel) else dict(value)
    kind = data.get("type", "server_vad")
    if kind not in _TURN_DETECTION_FIELDS:
        raise EncodeError(f"turn_detection: unknown type {kind!r}; use 'server_vad' or 'semantic_vad'")
    data["type"] = kind
    return {k: data[k] for k in _TURN_DETECTION_FIELDS[kind] if data.get(k) is not None}
