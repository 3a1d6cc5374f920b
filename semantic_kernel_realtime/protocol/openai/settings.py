"""Execution settings for realtime sessions: Semantic Kernel's family, fixed for the GA protocol.

Rules: :class:`RealtimeExecutionSettings` subclasses SK's ``OpenAIRealtimeExecutionSettings`` so it works
wherever SK expects those (function-choice preparation, ``get_prompt_execution_settings_class``). It
accepts the GA shapes (``audio/pcm`` formats, format objects, ``speed``, transcription models by any
name) *and* the legacy literals SK documents (``pcm16``, ``g711_ulaw``, ``g711_alaw``, ``modalities``,
flat ``voice``, ``input_audio_transcription``). Turning them into a GA ``session.update`` is
:mod:`semantic_kernel_realtime.protocol.session`'s job, not this class's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import Field
from semantic_kernel.connectors.ai.open_ai.prompt_execution_settings.open_ai_realtime_execution_settings import (
    OpenAIRealtimeExecutionSettings,
    TurnDetection,
)
from semantic_kernel.kernel_pydantic import KernelBaseModel

AudioFormatName = Literal["audio/pcm", "audio/pcmu", "audio/pcma", "pcm16", "g711_ulaw", "g711_alaw"]


class InputAudioTranscription(KernelBaseModel):
    """Input transcription settings; ``model`` is any transcription model name the service knows."""

    model: str | None = None
    language: str | None = None
    prompt: str | None = None


class RealtimeExecutionSettings(OpenAIRealtimeExecutionSettings):
    """Settings for a realtime session (OpenAI Realtime GA)."""

    modalities: Sequence[Literal["audio", "text"]] | None = None
    """Legacy name of ``output_modalities``."""
    input_audio_format: AudioFormatName | Mapping[str, Any] | None = None  # type: ignore[assignment]
    output_audio_format: AudioFormatName | Mapping[str, Any] | None = None  # type: ignore[assignment]
    input_audio_transcription: InputAudioTranscription | Mapping[str, Any] | None = None  # type: ignore[assignment]
    turn_detection: TurnDetection | Mapping[str, Any] | None = None  # type: ignore[assignment]
    input_audio_noise_reduction: Mapping[str, Any] | None = None  # type: ignore[assignment]
    voice: str | Mapping[str, str] | None = None  # type: ignore[assignment]
    speed: Annotated[float | None, Field(ge=0.25, le=1.5)] = None
    tool_choice: str | Mapping[str, Any] | None = None  # type: ignore[assignment]
    max_output_tokens: Annotated[int, Field(gt=0, le=4096)] | Literal["inf"] | None = None  # type: ignore[assignment]
    """SK's own field puts ``gt=0`` on the union and crashes on the documented ``"inf"``."""


class AzureRealtimeExecutionSettings(RealtimeExecutionSettings):
    """Settings for Azure OpenAI realtime sessions (same GA shape)."""
