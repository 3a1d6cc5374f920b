"""Settings -> the Gemini Live ``setup`` message; kernel functions -> function declarations.

Rules:
- Only what the user set is sent; dict-valued settings are sent with their keys in camelCase (the wire's
  spelling; the service reads both), except inside JSON schemas, whose keys are property names.
- ``response_modalities`` are upper-cased; OpenAI's ``output_modalities`` / ``modalities`` map to them and
  ``audio`` wins over ``text`` (a Live session has one output modality). Settings of another class that
  answer in audio also ask for ``outputAudioTranscription`` (OpenAI transcribes the audio it speaks), so
  the same application settings get the answer's words on either provider.
- A tool is a ``functionDeclarations`` entry named like Semantic Kernel's fully qualified names,
  ``plugin-function`` (the decoder splits it back); its ``parameters`` are the kernel function's JSON schema in
  the Live API's Schema dialect (upper-case ``type``, ``nullable`` for ``null`` unions, unknown keywords
  dropped). A function without parameters declares none.
- The model is set by the codec (``models/<name>`` unless the name is already a resource path).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.functions.kernel_function_metadata import KernelFunctionMetadata

from semantic_kernel_realtime.errors import EncodeError
from semantic_kernel_realtime.protocol.gemini.settings import GoogleLiveExecutionSettings

_MODALITIES = {"audio": "AUDIO", "text": "TEXT"}
_GENERATION_FIELDS = {
    "temperature": "temperature", "top_p": "topP", "top_k": "topK", "max_output_tokens": "maxOutputTokens",
    "candidate_count": "candidateCount", "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty", "seed": "seed", "enable_affective_dialog": "enableAffectiveDialog",
}
_SCHEMA_KEYS = frozenset({
    "anyOf", "default", "description", "enum", "example", "format", "items", "maxItems", "maxLength",
    "maxProperties", "maximum", "minItems", "minLength", "minProperties", "minimum", "nullable", "pattern",
    "properties", "propertyOrdering", "required", "title", "type",
})


def model_path(model: str) -> str:
    """``models/<name>`` for a bare model name; a resource path (with a ``/``) unchanged."""
    return model if "/" in model else f"models/{model}"


def as_live_settings(settings: PromptExecutionSettings | None) -> GoogleLiveExecutionSettings:
    """Our settings class from any SK settings object (OpenAI realtime settings included), by field name."""
    if settings is None:
        return GoogleLiveExecutionSettings()
    if isinstance(settings, GoogleLiveExecutionSettings):
        return settings
    fields = GoogleLiveExecutionSettings.model_fields
    given = {name: getattr(settings, name) for name in settings.model_fields_set if name != "extension_data"}
    given.update({k: v for k, v in settings.extension_data.items() if k not in given})
    values: dict[str, Any] = {}
    for name, value in given.items():
        if name in ("output_modalities", "modalities") and value:
            values.setdefault("response_modalities", list(value))
        elif name == "input_audio_transcription":
            values[name] = value is not None
        elif name == "turn_detection" and value is None:
            values["automatic_activity_detection"] = {"disabled": True}
        elif name == "voice" and not isinstance(value, str):
            continue  # a custom OpenAI voice object has no Gemini meaning
        elif name == "max_output_tokens" and not isinstance(value, int):
            continue  # OpenAI's "inf"
        elif name in fields and name not in ("tools", "extension_data", "function_choice_behavior"):
            values[name] = value.model_dump(exclude_none=True) if isinstance(value, BaseModel) else value
    values["function_choice_behavior"] = settings.function_choice_behavior
    modalities = {str(m).lower() for m in values.get("response_modalities") or ("audio",)}
    if "audio" in modalities:
        # OpenAI always transcribes the audio it speaks: ask Gemini for the same, so the app still gets the words
        values.setdefault("output_audio_transcription", True)
    return GoogleLiveExecutionSettings(**values)


def setup_config(settings: PromptExecutionSettings | None) -> dict[str, Any]:
    """The ``setup`` object for ``settings`` (without ``model``)."""
    s = as_live_settings(settings)
    setup: dict[str, Any] = {}
    generation: dict[str, Any] = {}
    if s.response_modalities:
        wanted = {_MODALITIES.get(str(m).lower(), str(m).upper()) for m in s.response_modalities}
        unknown = wanted - {"AUDIO", "TEXT"}
        if unknown:
            raise EncodeError(f"response_modalities: unknown modality {sorted(unknown)}; use AUDIO or TEXT")
        generation["responseModalities"] = ["AUDIO"] if "AUDIO" in wanted else ["TEXT"]
    for name, wire in _GENERATION_FIELDS.items():
        value = getattr(s, name)
        if value is not None:
            generation[wire] = value
    speech: dict[str, Any] = {}
    if s.voice is not None:
        speech["voiceConfig"] = {"prebuiltVoiceConfig": {"voiceName": s.voice}}
    if s.language_code is not None:
        speech["languageCode"] = s.language_code
    if speech:
        generation["speechConfig"] = speech
    if generation:
        setup["generationConfig"] = generation
    if s.instructions is not None:
        setup["systemInstruction"] = {"parts": [{"text": s.instructions}]}
    if s.tools:
        setup["tools"] = list(s.tools)
    realtime: dict[str, Any] = {}
    if s.automatic_activity_detection is not None:
        realtime["automaticActivityDetection"] = camel_keys(s.automatic_activity_detection)
    if s.activity_handling is not None:
        realtime["activityHandling"] = s.activity_handling
    if s.turn_coverage is not None:
        realtime["turnCoverage"] = s.turn_coverage
    if realtime:
        setup["realtimeInputConfig"] = realtime
    for name, wire in (("input_audio_transcription", "inputAudioTranscription"),
                       ("output_audio_transcription", "outputAudioTranscription"),
                       ("session_resumption", "sessionResumption")):
        value = getattr(s, name)
        if value is True:
            setup[wire] = {}
        elif isinstance(value, Mapping):
            setup[wire] = camel_keys(value)
    if s.context_window_compression is not None:
        setup["contextWindowCompression"] = camel_keys(s.context_window_compression)
    if s.proactivity is not None:
        setup["proactivity"] = camel_keys(s.proactivity)
    if s.extra_setup:
        setup.update(camel_keys(s.extra_setup))
    return setup


def camel_keys(value: Any) -> Any:
    """``value`` with every dict key in camelCase (``silence_duration_ms`` -> ``silenceDurationMs``)."""
    if isinstance(value, Mapping):
        return {_camel(str(k)): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


# -- tools -------------------------------------------------------------------------------------------


def function_declaration(metadata: KernelFunctionMetadata) -> dict[str, Any]:
    """One ``functionDeclarations`` entry for a kernel function."""
    offered = [p for p in metadata.parameters if p.include_in_function_choices]
    declaration: dict[str, Any] = {"name": metadata.fully_qualified_name,
                                   "description": metadata.description or ""}
    if offered:
        declaration["parameters"] = {
            "type": "OBJECT",
            "properties": {p.name: schema(p.schema_data or {"type": "string"}) for p in offered},
            "required": [p.name for p in offered if p.is_required],
        }
    return declaration


def function_tools(functions: list[KernelFunctionMetadata]) -> list[dict[str, Any]]:
    """The ``tools`` list: one tool with every function's declaration (empty for no function)."""
    return [{"functionDeclarations": [function_declaration(f) for f in functions]}] if functions else []


def schema(json_schema: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON schema in the Live API's Schema dialect."""
    out: dict[str, Any] = {}
    for key, value in json_schema.items():
        if key == "type":
            kinds = [value] if isinstance(value, str) else list(value or ())
            if "null" in kinds:
                out["nullable"] = True
            real = [k for k in kinds if k != "null"]
            if real:
                out["type"] = str(real[0]).upper()
        elif key == "properties" and isinstance(value, Mapping):
            out[key] = {name: schema(sub) for name, sub in value.items() if isinstance(sub, Mapping)}
        elif key == "items" and isinstance(value, Mapping):
            out[key] = schema(value)
        elif key == "anyOf" and isinstance(value, list):
            out[key] = [schema(sub) for sub in value if isinstance(sub, Mapping)]
        elif key == "enum" and isinstance(value, list):
            out[key] = [str(v) for v in value]
        elif key in _SCHEMA_KEYS:
            out[key] = value
    return out


def update_settings_from_function_choice(configuration: Any, settings: Any, choice_type: Any) -> None:
    """Callback for SK's ``prepare_settings_for_function_calling``: set ``tools`` (cleared with no function).

    The Live API's setup has no tool-choice field: ``required`` / ``none`` choices cannot be expressed, and
    the model decides when to call.
    """
    settings.tools = function_tools(configuration.available_functions or []) or None
