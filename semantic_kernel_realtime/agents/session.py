"""RealtimeAgentSession: realtime agents live on one client (WebSocket, WebRTC or Gemini Live).

Rules:
- ``async with RealtimeAgentSession(agent, client) as session:`` opens the client's session configured for
  ``agent`` and consumes its receive queue; ``async for event in session`` yields, in order, every client
  event (audio, transcripts, ``TextDoneEvent``, errors, ``SessionEndedEvent``, the raw events) and the agent
  events of :mod:`semantic_kernel_realtime.events` (agent started/ended, handoff, tool started/ended,
  guardrail tripped, approval requested, agent error). Audio, text and interruptions go in through the
  session (``send_audio``, ``send_text``, ``interrupt``); approvals through ``approve`` / ``reject``.
- Every agent reachable through handoffs gets a *session kernel*: its kernel's plugins and filters (the
  plugin objects shared, not copied), a ``handoffs`` plugin with its ``transfer_to_<agent>`` functions
  (:mod:`.handoffs`) and the session's tool filter (tool events, approvals).
- A handoff, where the service takes a new configuration mid-session (``capabilities.reconfigurable``), is one
  ``session.update`` with the new agent's instructions, tools and voice, and its kernel for the calls, queued
  before the handoff's output (so in order with it; the response that follows is the new agent's). The voice
  changes only while the conversation holds no assistant message (services refuse a new voice once they
  spoke). Where it does not (Gemini Live): the setup declares every agent's functions and names the first
  agent's in its instructions (``Tools you may call now: ...``); a handoff swaps the kernel used for calls
  (which sends nothing) and its output is a note with the new agent's instructions and tools.
- Output guardrails (:mod:`.guardrails`) read the current agent's assistant transcript deltas. A trip emits
  :class:`GuardrailTrippedEvent`, interrupts the client (``client.interrupt(item)``: the response is
  cancelled and the item cut to what was heard, :mod:`..client.playback`) and, once the cancelled response
  ended, asks the model for the fallback line (``codec.scripted_response``); the fallback response is not
  checked.
- A call of a function that needs approval waits for ``approve(call_id)``; ``reject`` or no answer within
  ``approval_timeout`` seconds means it never runs and the model gets an error output saying so. Pending
  approvals are rejected when the session ends. The wait is part of the call, so the client's
  ``function_timeout`` (30 s by default) must be longer than ``approval_timeout`` (20 s by default): when an
  agent needs approvals and it is not, the session refuses to start (``ConfigurationError``), since an
  approval could then come after its call timed out.
- Nothing here reads a wire name: the codec's capabilities and protocol-neutral events only.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from semantic_kernel.connectors.ai.function_choice_behavior import FunctionChoiceBehavior
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.contents.audio_content import AudioContent
from semantic_kernel.contents.chat_history import ChatHistory
from semantic_kernel.contents.function_call_content import FunctionCallContent
from semantic_kernel.contents.realtime_events import (
    RealtimeAudioEvent,
    RealtimeEvents,
    RealtimeFunctionCallEvent,
    RealtimeTextEvent,
)
from semantic_kernel.contents.text_content import TextContent
from semantic_kernel.contents.utils.author_role import AuthorRole
from semantic_kernel.functions import FunctionResult, KernelPlugin
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.agents.agent import RealtimeAgent
from semantic_kernel_realtime.agents.guardrails import TranscriptWatch, Trip
from semantic_kernel_realtime.agents.handoffs import (
    HANDOFF_PLUGIN,
    Handoff,
    as_handoff,
    handoff_function,
    handoff_note,
    handoff_plugin,
    tools_line,
)
from semantic_kernel_realtime.client.base import RealtimeClientBase
from semantic_kernel_realtime.errors import ConfigurationError
from semantic_kernel_realtime.events import (
    AgentEndedEvent,
    AgentErrorEvent,
    AgentStartedEvent,
    ApprovalRequestedEvent,
    GuardrailTrippedEvent,
    HandoffEvent,
    ResponseDoneEvent,
    TextDoneEvent,
    ToolEndedEvent,
    ToolStartedEvent,
)

__all__ = ["RealtimeAgentSession"]

logger = logging.getLogger("semantic_kernel_realtime.agents")

_DONE = object()


class RealtimeAgentSession:
    """One live session of realtime agents over ``client`` (see the module rules)."""

    def __init__(self, agent: RealtimeAgent, client: RealtimeClientBase, *, approval_timeout: float = 20.0,
                 chat_history: ChatHistory | None = None) -> None:
        self._start = agent
        self._agent = agent
        self._client = client
        self._chat_history = chat_history
        self.approval_timeout = approval_timeout
        self._agents = _reachable(agent)
        self._check_timeouts()
        self._kernels: dict[str, Kernel] = {}
        self._events: asyncio.Queue[Any] = asyncio.Queue()
        self._pump: asyncio.Task[None] | None = None
        self._approvals: dict[str, asyncio.Future[tuple[bool, str | None]]] = {}
        self._watch = TranscriptWatch()
        self._responding = False
        self._fallback: str | None = None
        self._unchecked_response = False  # the fallback line's response: not checked

    # -- public API ----------------------------------------------------------------------------------

    @property
    def agent(self) -> RealtimeAgent:
        """The agent that has the conversation now."""
        return self._agent

    @property
    def client(self) -> RealtimeClientBase:
        return self._client

    @property
    def chat_history(self) -> ChatHistory:
        """The whole conversation so far, across every agent that had it (the client's live mirror)."""
        return self._client.chat_history

    def kernel_of(self, agent: RealtimeAgent) -> Kernel:
        """The session kernel of ``agent`` (its plugins, its handoff functions, the session's tool filter)."""
        return self._kernels[agent.name]

    async def __aenter__(self) -> RealtimeAgentSession:
        client = self._client
        self._check_timeouts()  # either may have changed since the session was made
        self._kernels = {agent.name: self._session_kernel(agent) for agent in self._agents}
        reconfigurable = self._codec().capabilities.reconfigurable
        first = self._kernels[self._start.name]
        opening = first if reconfigurable else _union(self._kernels.values())
        await client.create_session(chat_history=self._chat_history, settings=self._settings(self._start),
                                    kernel=opening)
        if opening is not first:
            await client.update_session(kernel=first)  # sends nothing: calls run on the first agent's kernel
        self._emit(AgentStartedEvent(agent=self._start.name, cause="the session started with this agent"))
        self._pump = asyncio.create_task(self._run(), name="RealtimeAgentSession.receive")
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    def _check_timeouts(self) -> None:
        function_timeout = self._client.function_timeout
        if function_timeout is None or not any(agent.needs_approval for agent in self._agents):
            return
        if function_timeout <= self.approval_timeout:
            raise ConfigurationError(
                f"approval_timeout ({self.approval_timeout:g} s) must be shorter than the client's function_timeout "
                f"({function_timeout:g} s): the wait for approval is part of the call, so an approval could come "
                "after the call timed out. Lower approval_timeout or raise the client's function_timeout.")

    async def close(self) -> None:
        """Close the client's session; the event iteration ends after the session's last events."""
        for future in self._approvals.values():
            if not future.done():
                future.set_result((False, "the session ended"))
        await self._client.close_session()
        if self._pump is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump

    def __aiter__(self) -> AsyncIterator[RealtimeEvents]:
        return self.events()

    async def events(self) -> AsyncIterator[RealtimeEvents]:
        """The session's events in order, until the session ended."""
        queue = self._events
        while True:
            event = await queue.get()
            if event is _DONE:
                queue.put_nowait(_DONE)  # release other consumers too
                return
            yield event

    async def send_audio(self, pcm16: bytes) -> None:
        """Speak into the session (PCM16 at the client's ``input_audio_sample_rate``)."""
        await self._client.send(RealtimeAudioEvent(audio=AudioContent(data=pcm16, mime_type="audio/pcm")))

    async def send_text(self, text: str, *, respond: bool = True) -> None:
        """Say ``text`` as the user; ask for a response unless ``respond`` is False."""
        await self._client.send(RealtimeTextEvent(text=TextContent(text=text)))
        if respond:
            await self._client.request_response()

    async def interrupt(self) -> None:
        """Stop the assistant now (cancel the response, cut what was not heard)."""
        await self._client.interrupt()

    def approve(self, call_id: str) -> None:
        """Let the waiting call ``call_id`` run."""
        self._decide(call_id, True, None)

    def reject(self, call_id: str, reason: str = "the user rejected it") -> None:
        """Refuse the waiting call ``call_id``: it never runs and the model gets ``reason``."""
        self._decide(call_id, False, reason)

    async def hand_off(self, handoff: Handoff | RealtimeAgent, reason: str | None = None) -> str:
        """Give the conversation to another agent now (what a ``transfer_to_<agent>`` call does); returns
        the output the model gets for the handoff call."""
        handoff = as_handoff(handoff)
        source, target = self._agent, handoff.agent
        if target.name not in self._kernels:
            raise ValueError(f"{target.name} is not reachable from {self._start.name} through handoffs")
        if handoff.on_handoff is not None:
            await self._guarded(source, handoff.on_handoff, source, target, reason)
        self._agent = target
        client, kernel = self._client, self._kernels[target.name]
        if self._codec().capabilities.reconfigurable:
            spoke = any(message.role == AuthorRole.ASSISTANT and not all(isinstance(item, FunctionCallContent)
                                                                          for item in message.items)
                        for message in client.chat_history.messages)
            await client.update_session(settings=self._settings(target, voice=not spoke), kernel=kernel)
            output = f"Transferred to {target.name}."
        else:
            await client.update_session(kernel=kernel)
            output = handoff_note(target, target.instructions, _tool_names(kernel))
        self._emit(AgentEndedEvent(agent=source.name, cause=f"it handed the conversation to {target.name}"))
        self._emit(HandoffEvent(from_agent=source.name, to_agent=target.name, input=reason))
        self._emit(AgentStartedEvent(agent=target.name, cause=f"{source.name} handed the conversation over"))
        return output

    # -- configuration ------------------------------------------------------------------------------

    def _codec(self) -> Any:
        codec = self._client.codec_class
        if codec is None:
            raise TypeError(f"{type(self._client).__name__} names no wire protocol")
        return codec

    def _settings(self, agent: RealtimeAgent, voice: bool = True) -> PromptExecutionSettings:
        base = agent.settings  # another provider's settings are the codec's to convert (by field name)
        settings = base.model_copy(deep=True) if base is not None else \
            self._client.get_prompt_execution_settings_class()()
        fields = type(settings).model_fields
        instructions = agent.instructions or ""
        if not self._codec().capabilities.reconfigurable and agent.name in self._kernels:
            instructions = f"{instructions}\n{tools_line(_tool_names(self._kernels[agent.name]))}".strip()
        if "instructions" in fields:
            settings.instructions = instructions
        if "voice" in fields and (agent.voice is not None or not voice):
            settings.voice = agent.voice if voice else None
        if settings.function_choice_behavior is None:
            settings.function_choice_behavior = agent.function_choice_behavior or FunctionChoiceBehavior.Auto()
        return settings

    def _session_kernel(self, agent: RealtimeAgent) -> Kernel:
        source = agent.kernel
        kernel = Kernel(plugins=dict(source.plugins))
        kernel.function_invocation_filters = list(source.function_invocation_filters)
        kernel.auto_function_invocation_filters = list(source.auto_function_invocation_filters)
        handoffs = [as_handoff(target) for target in agent.handoffs]
        if handoffs:
            kernel.add_plugin(handoff_plugin(handoff_function(h, self.hand_off) for h in handoffs))
        kernel.add_filter("auto_function_invocation", self._tool_filter(agent))
        return kernel

    # -- tools and approvals ------------------------------------------------------------------------

    def _tool_filter(self, agent: RealtimeAgent) -> Callable[[Any, Callable[[Any], Awaitable[None]]], Awaitable[None]]:
        async def realtime_agent_tools(context: Any, next: Callable[[Any], Awaitable[None]]) -> None:
            function = context.function
            if function.plugin_name == HANDOFF_PLUGIN:
                await next(context)
                return
            name = function.fully_qualified_name
            call = context.function_call_content
            call_id = (call.call_id or call.id) if call is not None else None
            arguments = {key: value for key, value in (context.arguments or {}).items()}
            if agent.requires_approval(name):
                approved, why = await self._approval(agent, name, call_id or "", arguments)
                if not approved:
                    refusal = f"Error: the call to {name} was rejected ({why}); it did not run."
                    context.function_result = FunctionResult(function=function.metadata, value=refusal)
                    self._emit(ToolEndedEvent(agent=agent.name, name=name, call_id=call_id, result=refusal,
                                              approved=False, cause=f"the call was rejected: {why}"))
                    return
            self._emit(ToolStartedEvent(agent=agent.name, name=name, call_id=call_id, arguments=arguments))
            await next(context)
            result = context.function_result.value if context.function_result is not None else None
            self._emit(ToolEndedEvent(agent=agent.name, name=name, call_id=call_id, result=result))

        return realtime_agent_tools

    async def _approval(self, agent: RealtimeAgent, name: str, call_id: str,
                        arguments: dict[str, Any]) -> tuple[bool, str | None]:
        future: asyncio.Future[tuple[bool, str | None]] = asyncio.get_running_loop().create_future()
        self._approvals[call_id] = future
        self._emit(ApprovalRequestedEvent(agent=agent.name, name=name, call_id=call_id, arguments=arguments))
        try:
            return await asyncio.wait_for(future, self.approval_timeout)
        except asyncio.TimeoutError:
            return False, f"no approval within {self.approval_timeout:g} s"
        finally:
            self._approvals.pop(call_id, None)

    def _decide(self, call_id: str, approved: bool, reason: str | None) -> None:
        future = self._approvals.get(call_id)
        if future is None or future.done():
            raise KeyError(f"no call {call_id!r} waits for approval")
        future.set_result((approved, reason))

    # -- the receive path ---------------------------------------------------------------------------

    def _emit(self, event: Any) -> None:
        self._events.put_nowait(event)

    async def _run(self) -> None:
        try:
            async for event in self._client.receive():
                try:
                    await self._react(event)
                except Exception as exc:
                    logger.exception("the agent session failed to handle %s", type(event).__name__)
                    self._emit(AgentErrorEvent(agent=self._agent.name, error=exc,
                                               cause=f"handling {type(event).__name__} failed: {exc}"))
                self._emit(event)
        finally:
            self._emit(AgentEndedEvent(agent=self._agent.name, cause="the session ended"))
            self._emit(_DONE)

    async def _react(self, event: Any) -> None:
        trip: Trip | None = None
        item_id: str | None = None
        if isinstance(event, RealtimeTextEvent):
            metadata = event.text.metadata or {}
            if metadata.get("role") == "assistant":
                self._responding = True
                item_id = metadata.get("item_id")
                if item_id and not self._unchecked_response:
                    trip = await self._watch.delta(item_id, event.text.text or "", self._agent.output_guardrails)
        elif isinstance(event, TextDoneEvent):
            if event.role == "assistant" and event.item_id and not self._unchecked_response:
                item_id = event.item_id
                trip = await self._watch.done(item_id, event.text, self._agent.output_guardrails)
        elif isinstance(event, RealtimeFunctionCallEvent):
            self._responding = True
        elif isinstance(event, ResponseDoneEvent):
            self._responding = False
            if self._fallback is not None:
                await self._say_fallback()
            else:
                self._unchecked_response = False
        if trip is not None:
            await self._tripped(item_id, trip)

    async def _tripped(self, item_id: str | None, trip: Trip) -> None:
        agent = self._agent
        line = trip.guardrail.fallback_line or agent.fallback_line
        self._emit(GuardrailTrippedEvent(agent=agent.name, guardrail=trip.guardrail.name, item_id=item_id,
                                         text=trip.text, fallback=line, cause=trip.reason))
        await self._client.interrupt(item_id)
        if line is not None:
            self._fallback = line
            if not self._responding:
                await self._say_fallback()

    async def _say_fallback(self) -> None:
        line, self._fallback = self._fallback, None
        assert line is not None
        self._unchecked_response = True
        for event in self._codec().scripted_response(line):
            await self._client.send(event)

    async def _guarded(self, agent: RealtimeAgent, callback: Callable[..., Any], *args: Any) -> None:
        try:
            result = callback(*args)
            if inspect.isawaitable(result):
                await result
        except Exception as exc:
            logger.exception("a handoff callback of %s failed", agent.name)
            self._emit(AgentErrorEvent(agent=agent.name, error=exc, cause=f"the handoff callback failed: {exc}"))


def _reachable(start: RealtimeAgent) -> list[RealtimeAgent]:
    """``start`` and every agent its handoffs reach, in breadth-first order; names must be unique."""
    found: dict[str, RealtimeAgent] = {}
    queue = [start]
    while queue:
        agent = queue.pop(0)
        known = found.get(agent.name)
        if known is not None:
            if known is not agent:
                raise ValueError(f"two different agents are named {agent.name!r}: agent names must be unique")
            continue
        found[agent.name] = agent
        queue.extend(as_handoff(target).agent for target in agent.handoffs)
    return list(found.values())


def _tool_names(kernel: Kernel) -> list[str]:
    return [metadata.fully_qualified_name for metadata in kernel.get_full_list_of_function_metadata()]


def _union(kernels: Any) -> Kernel:
    """A kernel declaring every agent's functions (Gemini Live: tools are declared once, in ``setup``)."""
    functions: dict[str, dict[str, Any]] = {}
    for kernel in kernels:
        for plugin_name, plugin in kernel.plugins.items():
            functions.setdefault(plugin_name, {}).update(plugin.functions)
    return Kernel(plugins={name: KernelPlugin(name=name, functions=list(fns.values()))
                           for name, fns in functions.items()})
