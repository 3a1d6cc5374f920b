"""One response, from ``response.created`` to ``response.done``.

Rules:
- Events follow the GA order: ``response.created``, ``rate_limits.updated``, then per output item
  ``response.output_item.added`` / ``conversation.item.added`` / ``response.content_part.added`` /
  deltas / ``*.done`` / ``response.output_item.done`` / ``conversation.item.done``, then
  ``response.done`` with ``usage``. Out-of-band responses (``conversation: "none"``) skip the
  ``conversation.item.*`` events and leave the conversation alone.
- Audio output: text is gathered into sentences, each sentence synthesised (in a worker thread), its
  transcript deltas sent, then its audio written to the sink in 20 ms chunks. Text output: one
  ``response.output_text.delta`` per responder chunk.
- Cancelling the task with a ``cancel_reason`` set closes the open item as ``incomplete`` and ends with
  ``status: cancelled``; cancelling without a reason (session closing) sends nothing more.
- The runner sees its session only through :class:`ResponseHost` (the engine is one): it emits events,
  reads and writes the conversation, writes audio to the sink, speaks with the synthesizer, asks the
  responder, and reports back (``audio_output_started``, ``response_finished``). Usage (estimates, see
  :mod:`.usage`) is accounted explicitly with ``host.usage.record`` before ``response.done`` is sent.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Protocol

from semantic_kernel_realtime.server import audio_formats, ids, speech_calls
from semantic_kernel_realtime.server.conversation import Conversation
from semantic_kernel_realtime.server.responder import FunctionCall, Responder, ResponseRequest, TextDelta
from semantic_kernel_realtime.server.sinks import AudioPart, AudioSink
from semantic_kernel_realtime.server.speech.base import Synthesizer
from semantic_kernel_realtime.server.usage import UsageMeter, audio_tokens, input_tokens, response_usage

logger = logging.getLogger(__name__)

CHUNK_BYTES = audio_formats.BYTES_PER_MS * 20
_SENTENCE_END = re.compile(r"[.!?]['\")\]]*\s*$")


@dataclass
class ResponsePlan:
    """What ``response.create`` (or VAD) asked for, resolved against the session."""

    conversation: bool
    input_items: list[dict[str, Any]] | None
    instructions: str
    tools: list[dict[str, Any]]
    tool_choice: Any
    output_modalities: list[str]
    output_format: dict[str, Any]
    voice: str | None
    speed: float
    max_output_tokens: int | str
    metadata: dict[str, Any] | None


def _carry_on_after_cancel() -> None:
    """The running task handled its cancellation and goes on to report it. Python 3.11+ counts pending
    cancellations (``Task.cancelling``); clear ours so later awaits are not treated as cancelled. Python
    3.10 has no such count: catching ``CancelledError`` is all it takes there."""
    task = asyncio.current_task()
    if sys.version_info >= (3, 11) and task is not None and task.cancelling():
        task.uncancel()


class ResponseHost(Protocol):
    """The session a response runs in, as the runner may use it."""

    #: the default conversation (out-of-band responses only read their own input)
    conversation: Conversation
    conversation_id: str
    sink: AudioSink
    synthesizer: Synthesizer
    responder: Responder
    usage: UsageMeter

    def emit(self, event: dict[str, Any]) -> None:
        """Send one server event (in order; nothing once the session is closed)."""
        ...

    async def build_request(self, plan: ResponsePlan) -> ResponseRequest:
        """The responder's view of the plan's items (transcripts awaited)."""
        ...

    def audio_output_started(self) -> None:
        """The session has produced assistant audio (its voice is fixed from now on)."""
        ...

    def response_finished(self, run: ResponseRun) -> None:
        """``run`` sent ``response.done``: it no longer holds the conversation."""
        ...


@dataclass
class _OpenMessage:
    item: dict[str, Any]
    output_index: int
    audio: bool
    text: str = ""
    pcm: bytearray = field(default_factory=bytearray)
    pending: list[str] = field(default_factory=list)  # chunks not yet spoken
    part: AudioPart | None = None


class ResponseRun:
    """Runs one response as a task owned by the engine."""

    def __init__(self, host: ResponseHost, plan: ResponsePlan) -> None:
        self.host = host
        self.plan = plan
        self.id = ids.response_id()
        self.cancel_reason: str | None = None
        self.task: asyncio.Task[None] | None = None
        self.conversation_id = host.conversation_id if plan.conversation else None
        self._output: list[dict[str, Any]] = []
        self._message: _OpenMessage | None = None
        self._output_text_tokens = 0
        self._output_audio_ms = 0
        self._input_tokens = (0, 0)
        self._incomplete = False
        self._started = False

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self, after: asyncio.Task[None] | None = None) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run(after), name=f"response {self.id}")

    def cancel(self, reason: str) -> bool:
        """Ask the running response to stop; False when it already finished."""
        if self.task is None or self.task.done() or self.cancel_reason is not None:
            return False
        self.cancel_reason = reason
        if self._started:  # a task cancelled before its first step would never run its own cleanup
            self.task.cancel()
        return True

    @property
    def output_audio_ms(self) -> int:
        """Milliseconds of audio this response produced (what a listener hears after its ``response.done``)."""
        return self._output_audio_ms

    @property
    def cancelling(self) -> bool:
        return self.cancel_reason is not None

    async def _run(self, after: asyncio.Task[None] | None) -> None:
        self._started = True
        status, details = "completed", None
        created = False
        try:
            if after is not None:  # the previous response is being cancelled: let it finish first
                await asyncio.wait([after])
            if self.cancel_reason is not None:  # cancelled before it began
                raise asyncio.CancelledError
            self._emit("response.created", response=self._resource("in_progress", None))
            self._rate_limits()
            created = True
            request = await self.host.build_request(self.plan)
            self._input_tokens = input_tokens(request.items, request.instructions, self.host.conversation)
            await self._produce(request)
            await self._close_message(interrupted=self._incomplete)
            if self._incomplete:
                status, details = "incomplete", {"type": "incomplete", "reason": "max_output_tokens"}
        except asyncio.CancelledError:
            if self.cancel_reason is None:
                raise
            _carry_on_after_cancel()
            if not created:
                self._emit("response.created", response=self._resource("in_progress", None))
            await self._close_message(interrupted=True)
            status, details = "cancelled", {"type": "cancelled", "reason": self.cancel_reason}
        except Exception as exc:  # a responder or engine failure ends the response, not the session
            logger.exception("response %s failed", self.id)
            await self._close_message(interrupted=True)
            status = "failed"
            details = {"type": "failed", "error": {"type": "server_error", "code": "responder_error",
                                                   "message": f"{type(exc).__name__}: {exc}"}}
        used = self._usage()
        self.host.usage.record(used)
        self._emit("response.done", response=self._resource(status, details, used))
        self.host.response_finished(self)

    # --- producing output ------------------------------------------------------------------------

    async def _produce(self, request: ResponseRequest) -> None:
        limit = self.plan.max_output_tokens
        async for output in self.host.responder.respond(request):
            if isinstance(output, FunctionCall):
                await self._close_message(interrupted=False)
                self._function_call(output)
                continue
            if not isinstance(output, TextDelta) or not output.text:
                continue
            if isinstance(limit, int) and self._output_text_tokens >= limit:
                self._incomplete = True
                return
            self._output_text_tokens += 1
            await self._text(output.text)

    def _open_message(self) -> _OpenMessage:
        audio = "audio" in self.plan.output_modalities
        item = {"id": ids.item_id(), "object": "realtime.item", "type": "message", "status": "in_progress",
                "role": "assistant", "content": []}
        message = _OpenMessage(item=item, output_index=len(self._output), audio=audio)
        self._output.append(item)
        self._item_added(item, message.output_index)
        part = {"type": "audio", "transcript": ""} if audio else {"type": "text", "text": ""}
        self._emit("response.content_part.added", **self._where(message), part=part)
        if audio:
            message.part = AudioPart(self.id, item["id"], message.output_index, 0, self.plan.output_format)
        self._message = message
        return message

    async def _text(self, chunk: str) -> None:
        message = self._message or self._open_message()
        if not message.audio:
            message.text += chunk
            self._emit("response.output_text.delta", **self._where(message), delta=chunk)
            return
        message.pending.append(chunk)
        if _SENTENCE_END.search(chunk):
            await self._speak(message)

    async def _speak(self, message: _OpenMessage) -> None:
        """Synthesise the pending sentence, send its transcript deltas, then its audio."""
        if not message.pending:
            return
        sentence = "".join(message.pending)
        pcm = await speech_calls.synthesize(
            self.host.synthesizer, sentence.strip(), voice=self.plan.voice, speed=self.plan.speed
        )
        for chunk in message.pending:
            message.text += chunk
            self._emit("response.output_audio_transcript.delta", **self._where(message), delta=chunk)
        message.pending.clear()
        self.host.audio_output_started()
        assert message.part is not None
        for offset in range(0, len(pcm), CHUNK_BYTES):
            chunk_pcm = pcm[offset : offset + CHUNK_BYTES]
            await self.host.sink.write(message.part, chunk_pcm)
            message.pcm += chunk_pcm
            self._output_audio_ms += audio_formats.duration_ms(len(chunk_pcm))

    async def _close_message(self, *, interrupted: bool) -> None:
        message = self._message
        if message is None:
            return
        if message.audio:
            if not interrupted:
                await self._speak(message)
            assert message.part is not None
            await self.host.sink.end(message.part, interrupted=interrupted)
        self._message = None  # from here on nothing awaits: the item is closed exactly once
        where = self._where(message)
        if message.audio:
            self._emit("response.output_audio.done", **where)
            self._emit("response.output_audio_transcript.done", **where, transcript=message.text)
            self._emit("response.content_part.done", **where, part={"type": "audio", "transcript": message.text})
            message.item["content"] = [{"type": "output_audio", "transcript": message.text}]
            if self.plan.conversation:
                self.host.conversation.set_audio(message.item["id"], bytes(message.pcm))
        else:
            self._emit("response.output_text.done", **where, text=message.text)
            self._emit("response.content_part.done", **where, part={"type": "text", "text": message.text})
            message.item["content"] = [{"type": "output_text", "text": message.text}]
        message.item["status"] = "incomplete" if interrupted else "completed"
        self._item_done(message.item, message.output_index)

    def _function_call(self, call: FunctionCall) -> None:
        call_id = ids.call_id()
        item = {"id": ids.item_id(), "object": "realtime.item", "type": "function_call", "status": "in_progress",
                "name": call.name, "call_id": call_id, "arguments": ""}
        output_index = len(self._output)
        self._output.append(item)
        self._item_added(item, output_index)
        where = {"response_id": self.id, "item_id": item["id"], "output_index": output_index, "call_id": call_id}
        self._emit("response.function_call_arguments.delta", **where, delta=call.arguments)
        self._emit("response.function_call_arguments.done", **where, name=call.name, arguments=call.arguments)
        self._output_text_tokens += max(1, len(call.arguments) // 4)
        item.update(arguments=call.arguments, status="completed")
        self._item_done(item, output_index)

    # --- event helpers ---------------------------------------------------------------------------

    def _emit(self, kind: str, **fields: Any) -> None:
        self.host.emit({"type": kind, "event_id": ids.event_id(), **fields})

    def _where(self, message: _OpenMessage) -> dict[str, Any]:
        return {"response_id": self.id, "item_id": message.item["id"], "output_index": message.output_index,
                "content_index": 0}

    def _item_added(self, item: dict[str, Any], output_index: int) -> None:
        self._emit("response.output_item.added", response_id=self.id, output_index=output_index, item=dict(item))
        if self.plan.conversation:
            previous = self.host.conversation.insert(item)
            self._emit("conversation.item.added", previous_item_id=previous, item=dict(item))

    def _item_done(self, item: dict[str, Any], output_index: int) -> None:
        self._emit("response.output_item.done", response_id=self.id, output_index=output_index, item=dict(item))
        if self.plan.conversation and item["id"] in self.host.conversation:
            self._emit("conversation.item.done", previous_item_id=self.host.conversation.previous_id(item["id"]),
                       item=dict(item))

    def _rate_limits(self) -> None:
        self._emit("rate_limits.updated", rate_limits=self.host.usage.rate_limits())

    def _resource(self, status: str, details: dict[str, Any] | None,
                  used: dict[str, Any] | None = None) -> dict[str, Any]:
        done = status != "in_progress"
        return {
            "object": "realtime.response",
            "id": self.id,
            "status": status,
            "status_details": details,
            "output": [dict(item) for item in self._output] if done else [],
            "conversation_id": self.conversation_id,
            "output_modalities": list(self.plan.output_modalities),
            "max_output_tokens": self.plan.max_output_tokens,
            "audio": {"output": {"format": dict(self.plan.output_format), "voice": self.plan.voice}},
            "usage": used,
            "metadata": self.plan.metadata,
        }

    def _usage(self) -> dict[str, Any]:
        """This response's usage so far (pure: the caller accounts it)."""
        text_in, audio_in = self._input_tokens
        return response_usage(text_in, audio_in, self._output_text_tokens, audio_tokens(self._output_audio_ms))
