"""The transcript of a session: user and assistant lines, tool calls and results, for any codec.

Rules: the printer reads Semantic Kernel events, the protocol-neutral events of
:mod:`semantic_kernel_realtime.events` and the codec's signals, never a wire name, so it prints the same
lines for every provider, and a live session (events from ``client.receive()``) and its replay (events
re-decoded from a session log) print the same lines. The words come from ``RealtimeTextEvent`` deltas
(the assistant's, streamed as they arrive; the user's are not streamed) and ``TextDoneEvent`` (settled
words: the user's line, printed whole, ``(no words recognised)`` when empty; the end of the assistant's
streamed line, or the whole line when nothing streamed); completed calls and service errors come from the
codec's signals (``CallCompleted``, ``ServiceError``).
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from semantic_kernel.contents.realtime_events import RealtimeFunctionResultEvent, RealtimeTextEvent

from semantic_kernel_realtime.events import TextDoneEvent
from semantic_kernel_realtime.protocol import OpenAICodec, serialize_result
from semantic_kernel_realtime.protocol.base import CallCompleted, Codec, ServiceError

__all__ = ["TranscriptPrinter"]


class TranscriptPrinter:
    """Prints ``user:``, ``assistant:`` (streamed), ``tool call:`` and ``tool result:`` lines; keeps :attr:`lines`.

    Args:
        out: where to print (default: standard output).
        codec: the session's codec class, whose signals say when a call is complete (default: OpenAI's).
    """

    def __init__(self, out: TextIO | None = None, codec: type[Codec] = OpenAICodec) -> None:
        self.out = out if out is not None else sys.stdout
        self.codec = codec
        self.lines: list[str] = []
        self._open: str | None = None  # the assistant line being streamed
        self._handlers = {CallCompleted: self._call, ServiceError: self._error}

    def handle(self, event: Any) -> None:
        if isinstance(event, TextDoneEvent):
            self._text_done(event)
            return
        if isinstance(event, RealtimeTextEvent) and (event.text.metadata or {}).get("role") != "user":
            text = event.text.text or ""
            if self._open is None:
                self._open = "assistant: "
                self.out.write(self._open)
            self._open += text
            self.out.write(text)
            self.out.flush()
        elif isinstance(event, RealtimeFunctionResultEvent):
            self.tool_result(serialize_result(event.function_result.result))
        for signal in self.codec.signals(event):
            handler = self._handlers.get(type(signal))
            if handler is not None:
                handler(signal)

    def tool_result(self, output: Any) -> None:
        self._line(f"tool result: {output}")

    def finish(self) -> None:
        self._end_line()

    # -- settled words and signals ---------------------------------------------------------------------

    def _text_done(self, event: TextDoneEvent) -> None:
        if event.role == "user":
            self._line(f"user: {event.text.strip() or '(no words recognised)'}")
        elif self._open is not None:
            self._end_line()
        elif event.text:
            self._line(f"assistant: {event.text}")

    def _call(self, signal: CallCompleted) -> None:
        call = signal.call
        arguments = call.arguments if isinstance(call.arguments, str) or call.arguments is None else str(call.arguments)
        self._line(f"tool call: {call.name}({arguments or ''})")

    def _error(self, signal: ServiceError) -> None:
        self._line(f"error from the service: {signal.message}")

    # -- output --------------------------------------------------------------------------------------------

    def _end_line(self) -> None:
        if self._open is not None:
            self.lines.append(self._open)
            self.out.write("\n")
            self.out.flush()
            self._open = None

    def _line(self, text: str) -> None:
        self._end_line()
        self.lines.append(text)
        self.out.write(text + "\n")
        self.out.flush()
