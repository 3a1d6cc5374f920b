"""The names telemetry uses: OpenTelemetry GenAI semantic conventions where they exist, realtime extensions otherwise.

Rules:
- Every span attribute, metric and operation name the telemetry emits is a constant here, and each is
  listed in :data:`ATTRIBUTES` or :data:`METRICS` with what it holds; ``docs/observability.md`` shows the
  same tables (a test keeps them equal).
- Standard names are the GenAI conventions' (``gen_ai.*``, ``error.type``, ``server.*``). Realtime
  extensions, which no convention defines yet, live under ``gen_ai.realtime.`` (the prefix .NET's realtime
  session telemetry uses), so they are easy to tell apart and to drop.
- Attributes marked *sensitive* (content: instructions, transcripts, tool arguments and results) are set
  only when Semantic Kernel's sensitive switch is on.
"""

from __future__ import annotations

# -- operation names (gen_ai.operation.name) ---------------------------------------------------------------
OP_SESSION = "realtime"  # an extension: the conventions have no realtime session operation yet
OP_RESPONSE = "chat"
OP_TOOL = "execute_tool"

# -- span attributes ---------------------------------------------------------------------------------------
OPERATION = "gen_ai.operation.name"
PROVIDER = "gen_ai.provider.name"
REQUEST_MODEL = "gen_ai.request.model"
RESPONSE_MODEL = "gen_ai.response.model"
RESPONSE_ID = "gen_ai.response.id"
FINISH_REASONS = "gen_ai.response.finish_reasons"
TIME_TO_FIRST_CHUNK = "gen_ai.response.time_to_first_chunk"
INPUT_TOKENS = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_TYPE = "gen_ai.tool.type"
TOOL_ARGUMENTS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
TOOL_DEFINITIONS = "gen_ai.tool.definitions"
SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
INPUT_MESSAGES = "gen_ai.input.messages"
OUTPUT_MESSAGES = "gen_ai.output.messages"
ERROR_TYPE = "error.type"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
TOKEN_TYPE = "gen_ai.token.type"

# realtime extensions
RT_PROTOCOL = "gen_ai.realtime.protocol"
RT_TRANSPORT = "gen_ai.realtime.transport"
RT_VOICE = "gen_ai.realtime.voice"
RT_OUTPUT_MODALITIES = "gen_ai.realtime.output_modalities"
RT_INPUT_AUDIO_TOKENS = "gen_ai.realtime.usage.input_audio_tokens"
RT_INPUT_TEXT_TOKENS = "gen_ai.realtime.usage.input_text_tokens"
RT_INPUT_CACHED_TOKENS = "gen_ai.realtime.usage.input_cached_tokens"
RT_OUTPUT_AUDIO_TOKENS = "gen_ai.realtime.usage.output_audio_tokens"
RT_OUTPUT_TEXT_TOKENS = "gen_ai.realtime.usage.output_text_tokens"
RT_TIME_TO_FIRST_AUDIO = "gen_ai.realtime.time_to_first_audio"
RT_INTERRUPTED = "gen_ai.realtime.interrupted"
RT_BARGE_INS = "gen_ai.realtime.barge_ins"
RT_RECONNECTS = "gen_ai.realtime.reconnects"
RT_RESPONSES = "gen_ai.realtime.responses"
RT_MODALITY = "gen_ai.realtime.modality"
RT_LATENCY_STAGE = "gen_ai.realtime.latency.stage"

#: attribute -> (spans it is set on, what it holds, sensitive)
ATTRIBUTES: dict[str, tuple[str, str, bool]] = {
    OPERATION: ("all", "`realtime` (session), `chat` (response), `execute_tool` (tool call)", False),
    PROVIDER: ("all", "`openai`, `azure.ai.openai`, ... (the connector's `MODEL_PROVIDER_NAME`)", False),
    REQUEST_MODEL: ("session, response", "the model (deployment) the client asked for", False),
    RESPONSE_MODEL: ("session, response", "the model the service says it runs", False),
    SERVER_ADDRESS: ("session", "the service's host", False),
    SERVER_PORT: ("session", "the service's port", False),
    RESPONSE_ID: ("response", "the service's response id", False),
    FINISH_REASONS: ("response", "`[status]`: `completed`, `cancelled`, `failed`, `incomplete`", False),
    TIME_TO_FIRST_CHUNK: ("response", "seconds from the response's start to its first audio or text (not where the "
                                      "service signals no start: Gemini Live)", False),
    INPUT_TOKENS: ("session, response", "input tokens (the session's: summed over its responses)", False),
    OUTPUT_TOKENS: ("session, response", "output tokens (summed on the session)", False),
    TOOL_NAME: ("tool", "the function's fully qualified name (`plugin-function`)", False),
    TOOL_CALL_ID: ("tool", "the call's id", False),
    TOOL_TYPE: ("tool", "`function`", False),
    TOOL_DEFINITIONS: ("session", "the tools the service confirmed, as JSON", False),
    ERROR_TYPE: ("all", "why it did not complete: an exception class, `cancelled`, `failed`, `timeout`, ...", False),
    TOOL_ARGUMENTS: ("tool", "the call's arguments (JSON text)", True),
    TOOL_RESULT: ("tool", "the output sent back to the model", True),
    SYSTEM_INSTRUCTIONS: ("session", "the instructions the service confirmed", True),
    INPUT_MESSAGES: ("response", "the user's words since the previous response (transcripts, typed text), "
                                 "as GenAI messages JSON", True),
    OUTPUT_MESSAGES: ("response", "the response's text or audio transcript, as GenAI messages JSON", True),
    RT_PROTOCOL: ("session", "the codec's wire protocol (`openai-ga`, ...)", False),
    RT_TRANSPORT: ("session", "`websocket` or `webrtc`", False),
    RT_VOICE: ("session", "the output voice", False),
    RT_OUTPUT_MODALITIES: ("session", "`[\"audio\"]`, `[\"text\"]`", False),
    RT_INPUT_AUDIO_TOKENS: ("session, response", "input tokens that were audio", False),
    RT_INPUT_TEXT_TOKENS: ("session, response", "input tokens that were text", False),
    RT_INPUT_CACHED_TOKENS: ("session, response", "input tokens served from the cache", False),
    RT_OUTPUT_AUDIO_TOKENS: ("session, response", "output tokens that were audio", False),
    RT_OUTPUT_TEXT_TOKENS: ("session, response", "output tokens that were text", False),
    RT_TIME_TO_FIRST_AUDIO: ("response", "seconds from the response's start to its first audio", False),
    RT_INTERRUPTED: ("response", "true when the user spoke while it ran (barge-in)", False),
    RT_RESPONSES: ("session", "responses in the session", False),
    RT_BARGE_INS: ("session", "times the user spoke while a response ran", False),
    RT_RECONNECTS: ("session", "connections after the first in the session", False),
}

# -- metrics -----------------------------------------------------------------------------------------------
M_OPERATION_DURATION = "gen_ai.client.operation.duration"
M_TOKEN_USAGE = "gen_ai.client.token.usage"
M_TURN_LATENCY = "gen_ai.realtime.turn.latency"
M_BARGE_INS = "gen_ai.realtime.barge_ins"
M_RECONNECTS = "gen_ai.realtime.reconnects"

#: metric -> (instrument, unit, what it measures, attributes besides operation/provider/model)
METRICS: dict[str, tuple[str, str, str, str]] = {
    M_OPERATION_DURATION: ("histogram", "s", "a session, a response or a tool call, from start to end",
                           f"`{ERROR_TYPE}` when it failed"),
    M_TOKEN_USAGE: ("histogram", "{token}", "tokens per response",
                    f"`{TOKEN_TYPE}` (`input`/`output`), `{RT_MODALITY}` (`audio`/`text`/`other`)"),
    M_TURN_LATENCY: ("histogram", "s", "the figures of each `TurnLatencyEvent`",
                     f"`{RT_LATENCY_STAGE}`: `voice_to_voice`, `speech_stopped`, `transcript`, "
                     "`first_tool_call`, `time_to_first_audio`, `response`, `tool`"),
    M_BARGE_INS: ("counter", "{barge_in}", "the user spoke while a response ran", ""),
    M_RECONNECTS: ("counter", "{reconnect}", "connections after the first in a session", ""),
}

#: TurnLatencyEvent field -> the stage recorded in :data:`M_TURN_LATENCY` (tools are recorded one by one).
TURN_STAGES: dict[str, str] = {
    "voice_to_voice_ms": "voice_to_voice",
    "speech_stopped_ms": "speech_stopped",
    "transcript_ms": "transcript",
    "first_tool_call_ms": "first_tool_call",
    "time_to_first_audio_ms": "time_to_first_audio",
    "response_ms": "response",
}

#: Explicit histogram buckets (seconds / tokens), as the GenAI conventions advise.
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
