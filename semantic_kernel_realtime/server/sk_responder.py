"""A responder backed by any Semantic Kernel ``ChatCompletionClientBase``: a chat model as the brain.

Rules:
- The conversation's GA items become a ``ChatHistory``: the instructions as the system message, user
  messages as their words (audio as its transcript, ``[inaudible audio]`` without one), assistant
  messages as their text/transcript, function calls and outputs as ``FunctionCallContent`` /
  ``FunctionResultContent`` (tool role).
- Session tools are offered the way the service's own settings class expects them, through Semantic
  Kernel's function-choice machinery: each GA function tool becomes a ``KernelFunctionMetadata`` (its
  JSON schema kept), and the service's own ``_update_function_choice_settings_callback()`` writes them into
  its settings (chat-completions ``{"type": "function", "function": {...}}`` for OpenAI, Gemini's
  declarations, the flat realtime shape when the brain is a realtime client ...), with the session's
  ``tool_choice`` as the choice type (``auto``, ``required``, ``none``; a named function is ``required``).
  No kernel and no auto-invocation: the calls go back to the realtime client, which runs them, as with
  the real service. A service without function calling gets no tools.
- Text is streamed as it arrives; function calls (assembled from the streamed fragments) are yielded
  when the stream ends. Imported on demand: importing the server does not import Semantic Kernel.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from semantic_kernel.connectors.ai.chat_completion_client_base import ChatCompletionClientBase
from semantic_kernel.connectors.ai.function_call_choice_configuration import FunctionCallChoiceConfiguration
from semantic_kernel.connectors.ai.function_choice_type import FunctionChoiceType
from semantic_kernel.contents import (
    AuthorRole,
    ChatHistory,
    ChatMessageContent,
    FunctionCallContent,
    FunctionResultContent,
    StreamingChatMessageContent,
)
from semantic_kernel.functions.kernel_function_metadata import KernelFunctionMetadata
from semantic_kernel.functions.kernel_parameter_metadata import KernelParameterMetadata

from semantic_kernel_realtime.server.responder import (
    FunctionCall,
    ResponseRequest,
    TextDelta,
    function_tools,
    user_words,
)

INAUDIBLE = "[inaudible audio]"


class ChatCompletionResponder:
    """Answers with a Semantic Kernel chat completion service."""

    def __init__(self, service: ChatCompletionClientBase, settings: Any | None = None) -> None:
        self.service = service
        self.settings = settings
        self.name = f"sk-chat:{getattr(service, 'ai_model_id', type(service).__name__)}"

    async def respond(self, request: ResponseRequest) -> AsyncIterator[TextDelta | FunctionCall]:
        history = to_chat_history(request)
        settings = self._settings(request)
        chunks: list[StreamingChatMessageContent] = []
        async for messages in self.service.get_streaming_chat_message_contents(history, settings):
            for message in messages[:1]:  # one choice
                chunks.append(message)
                text = message.content or ""
                if text:
                    yield TextDelta(text)
        if not chunks:
            return
        whole = chunks[0]
        for chunk in chunks[1:]:
            whole = whole + chunk
        for item in whole.items:
            if isinstance(item, FunctionCallContent) and item.name:
                arguments = item.arguments if isinstance(item.arguments, str) else json.dumps(item.arguments or {})
                yield FunctionCall(item.name, arguments or "{}")

    def _settings(self, request: ResponseRequest) -> Any:
        settings_class = self.service.get_prompt_execution_settings_class()
        settings = settings_class.model_validate(self.settings.model_dump()) if self.settings else settings_class()
        tools = function_tools(request.tools)
        choice = _CHOICES.get(request.tool_choice if isinstance(request.tool_choice, str) else "required")
        if not tools or choice is None or not getattr(self.service, "SUPPORTS_FUNCTION_CALLING", False):
            return settings
        update = self.service._update_function_choice_settings_callback()
        update(FunctionCallChoiceConfiguration(available_functions=[tool_metadata(t) for t in tools]), settings,
               choice)
        return settings


_CHOICES = {"auto": FunctionChoiceType.AUTO, "required": FunctionChoiceType.REQUIRED,
            "none": FunctionChoiceType.NONE}


def tool_metadata(tool: dict[str, Any]) -> KernelFunctionMetadata:
    """A GA function tool as Semantic Kernel's function metadata (``plugin-function`` names split back)."""
    plugin, dash, function = tool["name"].partition("-")
    schema = tool.get("parameters") or {}
    properties = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    return KernelFunctionMetadata(
        name=function if dash else plugin, plugin_name=plugin if dash else None,
        description=tool.get("description") or "", is_prompt=False,
        parameters=[KernelParameterMetadata(name=name, description=(spec or {}).get("description"),
                                            is_required=name in required, schema_data=spec or {"type": "string"})
                    for name, spec in properties.items()],
    )


def to_chat_history(request: ResponseRequest) -> ChatHistory:
    history = ChatHistory(system_message=request.instructions or None)
    names: dict[str, str] = {}
    for item in request.items:
        kind = item.get("type")
        if kind == "message":
            role = item.get("role")
            if role == "user":
                history.add_user_message(user_words(item) or INAUDIBLE)
            elif role == "assistant":
                history.add_assistant_message("".join(
                    c.get("text") or c.get("transcript") or "" for c in item.get("content") or ()))
            elif role == "system":
                history.add_system_message("".join(c.get("text") or "" for c in item.get("content") or ()))
        elif kind == "function_call":
            names[item.get("call_id") or ""] = item["name"]
            history.add_message(ChatMessageContent(role=AuthorRole.ASSISTANT, items=[
                FunctionCallContent(id=item.get("call_id"), name=item["name"], arguments=item.get("arguments"))]))
        elif kind == "function_call_output":
            call_id = item["call_id"]
            history.add_message(ChatMessageContent(role=AuthorRole.TOOL, items=[
                FunctionResultContent(id=call_id, name=names.get(call_id, "function"), result=item.get("output"))]))
    return history
