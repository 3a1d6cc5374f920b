"""The sans-I/O protocol layer: wire messages <-> Semantic Kernel realtime events, one codec per wire protocol.

Rules: nothing here does I/O or imports asyncio, sockets or aiortc; everything is a pure function or a
small state object (like ``h11``). ``base`` is protocol-neutral: the :class:`Codec` seam, its
:class:`Capabilities` and the signals layers above react to. Each wire protocol is a package with its
codec: ``openai`` (OpenAI Realtime GA). Decoding is tolerant (never raises; malformed input becomes a
``MalformedServerEvent``); encoding is strict (raises ``EncodeError``).

The names below are the OpenAI GA ones this package always exported; they live in ``protocol.openai``.
"""

from semantic_kernel_realtime.errors import EncodeError, ProtocolError
from semantic_kernel_realtime.events import MalformedServerEvent
from semantic_kernel_realtime.protocol._build import audio_bytes, pcm_audio_event
from semantic_kernel_realtime.protocol.base import Capabilities, Codec, split_function_name
from semantic_kernel_realtime.protocol.openai.codec import OpenAICodec
from semantic_kernel_realtime.protocol.openai.decode import Decoder, decode_event
from semantic_kernel_realtime.protocol.openai.encode import (
    encode_event,
    function_call_item,
    function_output_item,
    item_create,
    message_item,
    serialize_result,
)
from semantic_kernel_realtime.protocol.openai.event_types import BETA_TO_GA, CLIENT_EVENT_TYPES, canonical_type
from semantic_kernel_realtime.protocol.openai.requests import (
    buffer_clear,
    buffer_commit,
    item_delete,
    item_retrieve,
    item_truncate,
    mcp_approval,
    response_cancel,
    response_create,
)
from semantic_kernel_realtime.protocol.openai.session import as_realtime_settings, session_config, session_update_event
from semantic_kernel_realtime.protocol.openai.settings import (
    AzureRealtimeExecutionSettings,
    InputAudioTranscription,
    NoiseReduction,
    RealtimeExecutionSettings,
    TurnDetection,
)
from semantic_kernel_realtime.protocol.openai.state import ConversationState
from semantic_kernel_realtime.protocol.openai.tools import (
    function_tool,
    function_tools,
    update_settings_from_function_choice,
)

__all__ = [
    "BETA_TO_GA",
    "CLIENT_EVENT_TYPES",
    "AzureRealtimeExecutionSettings",
    "Capabilities",
    "Codec",
    "ConversationState",
    "Decoder",
    "EncodeError",
    "InputAudioTranscription",
    "MalformedServerEvent",
    "NoiseReduction",
    "OpenAICodec",
    "ProtocolError",
    "RealtimeExecutionSettings",
    "TurnDetection",
    "as_realtime_settings",
    "buffer_clear",
    "buffer_commit",
    "item_delete",
    "item_retrieve",
    "item_truncate",
    "mcp_approval",
    "response_cancel",
    "response_create",
    "audio_bytes",
    "canonical_type",
    "decode_event",
    "encode_event",
    "function_call_item",
    "function_output_item",
    "function_tool",
    "function_tools",
    "item_create",
    "message_item",
    "pcm_audio_event",
    "serialize_result",
    "session_config",
    "session_update_event",
    "split_function_name",
    "update_settings_from_function_choice",
]
