"""Execution settings of a Gemini Live session: the fields of the ``setup`` message, Semantic Kernel style.

Rules: :class:`GoogleLiveExecutionSettings` is a ``PromptExecutionSettings`` whose fields name what the Live
API's ``setup`` configures (:mod:`.setup` maps them; nothing here knows the wire). Field names follow
Semantic Kernel's Google and realtime settings where one exists (``temperature``, ``top_p``, ``top_k``,
``max_output_tokens``, ``candidate_count``, ``instructions``, ``voice``); dict-valued fields take the Live
API's own objects in camelCase or snake_case. ``tools`` holds function declarations and is set by the
function-choice behavior. Settings of another class (OpenAI's included) convert by field name
(:func:`~.setup.as_live_settings`), so the same application settings open a session on either provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import Field
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings


class GoogleLiveExecutionSettings(PromptExecutionSettings):
    """Settings for a Gemini Live session (the ``setup`` message)."""

    instructions: str | None = None
    """The system instruction."""
    response_modalities: Sequence[str] | None = None
    """``["AUDIO"]`` or ``["TEXT"]`` (any case; OpenAI's ``output_modalities`` / ``modalities`` map here)."""
    voice: str | None = None
    """A prebuilt voice name (``Puck``, ``Charon``, ``Kore``, ...): ``speechConfig.voiceConfig``."""
    language_code: str | None = None
    """The speech language (``speechConfig.languageCode``), e.g. ``en-US``."""
    temperature: Annotated[float | None, Field(ge=0.0, le=2.0)] = None
    top_p: float | None = None
    top_k: int | None = None
    max_output_tokens: Annotated[int | None, Field(ge=1)] = None
    candidate_count: Annotated[int | None, Field(ge=1)] = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: int | None = None
    input_audio_transcription: bool | Mapping[str, Any] | None = None
    """True (or ``{}``) transcribes the user's audio (``inputTranscription`` messages)."""
    output_audio_transcription: bool | Mapping[str, Any] | None = None
    """True (or ``{}``) transcribes the model's audio (``outputTranscription`` messages)."""
    automatic_activity_detection: Mapping[str, Any] | None = None
    """The service's voice activity detection: ``disabled``, ``startOfSpeechSensitivity``,
    ``endOfSpeechSensitivity``, ``prefixPaddingMs``, ``silenceDurationMs``."""
    activity_handling: str | None = None
    """``START_OF_ACTIVITY_INTERRUPTS`` (barge-in, the default) or ``NO_INTERRUPTION``."""
    turn_coverage: str | None = None
    session_resumption: bool | Mapping[str, Any] | None = None
    """True (or ``{}``) asks for resumption handles; ``{"handle": ...}`` resumes a session."""
    context_window_compression: Mapping[str, Any] | None = None
    """E.g. ``{"slidingWindow": {}}`` or ``{"triggerTokens": 25600, "slidingWindow": {"targetTokens": 12800}}``."""
    proactivity: Mapping[str, Any] | None = None
    enable_affective_dialog: bool | None = None
    tools: list[dict[str, Any]] | None = Field(
        default=None, description="Set by the function choice behavior: the kernel's functions as declarations."
    )
    extra_setup: Mapping[str, Any] | None = None
    """Fields merged into ``setup`` as given (for what the class does not model)."""
