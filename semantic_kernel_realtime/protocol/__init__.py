"""The sans-I/O OpenAI Realtime (GA) protocol layer: wire dicts <-> Semantic Kernel realtime events.

Rules: nothing here does I/O or imports asyncio, sockets or aiortc; everything is a pure function or
a small state object (like ``h11``). ``Decoder`` is tolerant (never raises, malformed input becomes a
``MalformedServerEvent``); ``encode_event`` is strict (raises ``EncodeError``). Session and tool mapping
live in ``session``/``tools``; cross-event memory in ``state``.
"""

from semantic_kernel_realtime.protocol._build import audio_bytes, pcm_audio_event
from semantic_kernel_realtime.protocol.decode import Decoder, MalformedServerEvent, decode_event, split_function_name
from semantic_kernel_realtime.protocol.encode import (
    encode_event,
    function_call_item,
    function_output_item,
    item_create,
    message_item,
    serialize_result,
)
from semantic_kernel_realtime.protocol.errors import EncodeError, ProtocolError
from semantic_kernel_realtime.protocol.event_types import BETA_TO_GA, CLIENT_EVENT_TYPES, canonical_type
from semantic_kernel_realtime.protocol.session import as_realtime_settings, session_config, session_update_event
from semantic_kernel_realtime.protocol.settings import (
    AzureRealtimeExecutionSettings,
    InputAudioTranscription,
    RealtimeExecutionSettings,
)
from semantic_kernel_realtime.protocol.state import ConversationState
from semantic_kernel_realtime.protocol.tools import function_tool, function_tools, update_settings_from_function_choice

__all__ = [
    "BETA_TO_GA",
    "CLIENT_EVENT_TYPES",
    "AzureRealtimeExecutionSettings",
    "ConversationState",
    "Decoder",
    "EncodeError",
    "InputAudioTranscription",
    "MalformedServerEvent",
    "ProtocolError",
    "RealtimeExecutionSettings",
    "as_realtime_settings",
    "audio_bytes",
    "pcm_audio_event",
    "canonical_type",
    "decode_event",
    "encode_event",
    "function_call_item",
    "function_output_item",
    "function_tool",
    "function_tools",
    "item_create",
    "message_item",
    "serialize_result",
    "session_config",
    "session_update_event",
    "split_function_name",
    "update_settings_from_function_choice",
]
