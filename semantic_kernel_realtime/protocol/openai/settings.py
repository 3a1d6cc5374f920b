"""Execution settings for realtime sessions: Semantic Kernel's family, extended to the whole GA session.

Rules: :class:`RealtimeExecutionSettings` subclasses SK's ``OpenAIRealtimeExecutionSettings`` so it works
wherever SK expects those (function-choice preparation, ``get_prompt_execution_settings_class``). It
accepts the GA shapes (``audio/pcm`` formats, format objects, ``speed``, transcription models by any
name) *and* the legacy literals SK documents (``pcm16``, ``g711_ulaw``, ``g711_alaw``, ``modalities``,
flat ``voice``, ``input_audio_transcription``).
- Every field of the ``openai`` package's GA session types has a home here, so nothing a user sets is
  dropped: where SK's own classes lack a field they are extended (:class:`TurnDetection` with
  ``idle_timeout_ms``, :class:`InputAudioTranscription` with ``languages``/``keywords``/``delay``,
  :class:`NoiseReduction` with ``strength``), never coerced into a narrower shape. The session kind is
  ``session_type`` (``realtime`` or ``transcription``). :meth:`RealtimeExecutionSettings.from_session`
  is the way back from a GA session object (``tests/protocol/openai/test_session_roundtrip.py`` checks
  that every GA field survives settings -> ``session.update`` -> settings).
- Turning settings into a GA ``session.update`` is :mod:`semantic_kernel_realtime.protocol.session`'s job,
  not this class's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field
from semantic_kernel.connectors.ai.open_ai.prompt_execution_settings.open_ai_realtime_execution_settings import (
    InputAudioTranscription as _SKInputAudioTranscription,
)
from semantic_kernel.connectors.ai.open_ai.prompt_execution_settings.open_ai_realtime_execution_settings import (
    OpenAIRealtimeExecutionSettings,
)
from semantic_kernel.connectors.ai.open_ai.prompt_execution_settings.open_ai_realtime_execution_settings import (
    TurnDetection as _SKTurnDetection,
)
from semantic_kernel.kernel_pydantic import KernelBaseModel

AudioFormatName = Literal["audio/pcm", "audio/pcmu", "audio/pcma", "pcm16", "g711_ulaw", "g711_alaw"]


class TurnDetection(_SKTurnDetection):
    """SK's turn detection plus the GA ``idle_timeout_ms`` (server VAD: respond after that much silence)."""

    idle_timeout_ms: int | None = None


class InputAudioTranscription(KernelBaseModel):
    """Input transcription settings; ``model`` is any transcription model name the service knows."""

    model: str | None = None
    language: str | None = None
    prompt: str | None = None
    languages: list[str] | None = None
    keywords: list[str] | None = None
    delay: Literal["minimal", "low", "medium", "high", "xhigh"] | None = None


class NoiseReduction(KernelBaseModel):
    """Input noise reduction: ``near_field`` or ``far_field``, and its ``strength``."""

    type: str | None = None
    strength: float | None = None


class RealtimeExecutionSettings(OpenAIRealtimeExecutionSettings):
    """Settings for a realtime session (OpenAI Realtime GA)."""

    session_type: Literal["realtime", "transcription"] | None = None
    """``transcription``: a transcription-only session (voice activity detection and transcripts, no
    responses); ``None`` or ``realtime``: a conversation."""
    modalities: Sequence[Literal["audio", "text"]] | None = None
    """Legacy name of ``output_modalities``."""
    input_audio_format: AudioFormatName | Mapping[str, Any] | None = None  # type: ignore[assignment]
    output_audio_format: AudioFormatName | Mapping[str, Any] | None = None  # type: ignore[assignment]
    # A mapping stays a mapping (every key kept; the session builder keeps what its type defines and refuses
    # an unknown turn detection type with an EncodeError before anything connects).
    input_audio_transcription: (  # type: ignore[assignment]
        InputAudioTranscription | _SKInputAudioTranscription | Mapping[str, Any] | None) = None
    turn_detection: TurnDetection | _SKTurnDetection | Mapping[str, Any] | None = None  # type: ignore[assignment]
    input_audio_noise_reduction: NoiseReduction | Mapping[str, Any] | None = None  # type: ignore[assignment]
    voice: str | Mapping[str, str] | None = None  # type: ignore[assignment]
    speed: Annotated[float | None, Field(ge=0.25, le=1.5)] = None
    tool_choice: str | Mapping[str, Any] | None = None  # type: ignore[assignment]
    max_output_tokens: Annotated[int, Field(gt=0, le=4096)] | Literal["inf"] | None = None  # type: ignore[assignment]
    """SK's own field puts ``gt=0`` on the union and crashes on the documented ``"inf"``."""
    include: list[str] | None = None
    """Extra fields in server outputs (``item.input_audio_transcription.logprobs``)."""
    tracing: str | Mapping[str, Any] | None = None
    """``"auto"`` or ``{"workflow_name", "group_id", "metadata"}``."""
    truncation: str | Mapping[str, Any] | None = None
    """``"auto"``, ``"disabled"`` or ``{"type": "retention_ratio", ...}``."""
    prompt: Mapping[str, Any] | None = None
    """A prompt template reference ``{"id", "variables", "version"}``."""
    reasoning: Mapping[str, Any] | None = None
    """``{"effort": ...}`` for reasoning realtime models."""
    parallel_tool_calls: bool | None = None

    @classmethod
    def from_session(cls, session: Mapping[str, Any]) -> RealtimeExecutionSettings:
        """Settings from a GA session object (what ``session.update`` / ``session.created`` carry).

        Only the fields present are set; a ``null`` that means *off* (``turn_detection``,
        ``transcription``, ``noise_reduction``) is kept as an explicit ``None``.
        """
        values: dict[str, Any] = {}
        kind = session.get("type")
        if kind is not None:
            values["session_type"] = kind
        for wire, name in _TOP_LEVEL:
            if session.get(wire) is not None:
                values[name] = session[wire]
        audio = session.get("audio") or {}
        for part, fields in (("input", _AUDIO_INPUT), ("output", _AUDIO_OUTPUT)):
            section = audio.get(part) or {}
            for wire, name in fields:
                if wire in section and (section[wire] is not None or name in _NULL_MEANS_OFF):
                    values[name] = section[wire]
        return cls(**values)


#: GA top-level session keys and the settings field each becomes.
_TOP_LEVEL = (("model", "ai_model_id"), ("output_modalities", "output_modalities"),
              ("instructions", "instructions"), ("tools", "tools"), ("tool_choice", "tool_choice"),
              ("max_output_tokens", "max_output_tokens"), ("include", "include"), ("tracing", "tracing"),
              ("truncation", "truncation"), ("prompt", "prompt"), ("reasoning", "reasoning"),
              ("parallel_tool_calls", "parallel_tool_calls"))
_AUDIO_INPUT = (("format", "input_audio_format"), ("transcription", "input_audio_transcription"),
                ("noise_reduction", "input_audio_noise_reduction"), ("turn_detection", "turn_detection"))
_AUDIO_OUTPUT = (("format", "output_audio_format"), ("voice", "voice"), ("speed", "speed"))
_NULL_MEANS_OFF = frozenset({"input_audio_transcription", "input_audio_noise_reduction", "turn_detection"})


class AzureRealtimeExecutionSettings(RealtimeExecutionSettings):
    """Settings for Azure OpenAI realtime sessions (same GA shape)."""
