"""The live transcript: user and assistant lines, tool calls and results, from Semantic Kernel events.

The same printer serves a live session (events from ``client.receive()``) and ``replay`` (events
re-decoded from a session log), so both print the same transcript. It reads no wire name: the words come
from the protocol-neutral events (``RealtimeTextEvent`` deltas, ``TextDoneEvent``), completed calls and
service errors from the session's codec's signals, so it prints the same lines for every provider.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from semantic_kernel.contents.realtime_events import RealtimeFunctionResultEvent, RealtimeTextEvent

from semantic_kernel_realtime.events import TextDoneEvent
from semantic_kernel_realtime.protocol import OpenAICodec, serialize_result
from semantic_kernel_realtime.protocol.base import CallCompleted, Codec, ServiceError


class TranscriptPrinter:
    """Prints ``user: ...``, ``assistant: ...`` (streamed), ``tool call: ...`` and ``tool result: ...``.

    ``codec``: the session's codec class, whose signals say when a call is complete (default: OpenAI's).
    """

    def __init__(self, out: TextIO | None = None, codec: type[Codec] = OpenAICodec) -> None:
        self.out = out if out is not None else sys.stdout
        self.codec = codec
        self.lines: list[str] = []
        self._open: str | None = None  # the assistant line being streamed

    def handle(self, event: Any) -> None:
        if isinstance(event, TextDoneEvent):
            if event.role == "user":
                self._line(f"user: {event.text.strip() or '(no words recognised)'}")
            elif self._open is not None:
                self._end_line()
            elif event.text:
                self._line(f"assistant: {event.text}")
        elif isinstance(event, RealtimeTextEvent):
            if (event.text.metadata or {}).get("role") == "user":
                return  # the user's line is printed whole once its words are settled
            if self._open is None:
                self._open = "assistant: "
                self.out.write(self._open)
            self._open += event.text.text
            self.out.write(event.text.text)
            self.out.flush()
        elif isinstance(event, RealtimeFunctionResultEvent):
            self.tool_result(serialize_result(event.function_result.result))
        else:
            for signal in self.codec.signals(event):
                if isinstance(signal, CallCompleted):
                    self._line(f"tool call: {signal.call.name}({signal.call.arguments or ''})")
                elif isinstance(signal, ServiceError):
                    self._line(f"error from the service: {signal.message}")

    def tool_result(self, output: Any) -> None:
        self._line(f"tool result: {output}")

    def finish(self) -> None:
        self._end_line()

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
