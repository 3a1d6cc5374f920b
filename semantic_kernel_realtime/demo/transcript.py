"""The live transcript: user and assistant lines, tool calls and results, from Semantic Kernel events.

The same printer serves a live session (events from ``client.receive()``) and ``replay`` (events
re-decoded from a session log), so both print the same transcript.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from semantic_kernel.contents.realtime_events import (
    RealtimeFunctionCallEvent,
    RealtimeFunctionResultEvent,
    RealtimeTextEvent,
)

from semantic_kernel_realtime.protocol import serialize_result

USER_TRANSCRIPT_DONE = "conversation.item.input_audio_transcription.completed"
ASSISTANT_DELTAS = ("response.output_audio_transcript.delta", "response.output_text.delta")
ASSISTANT_DONE = ("response.output_audio_transcript.done", "response.output_text.done")
CALL_DONE = "response.function_call_arguments.done"


class TranscriptPrinter:
    """Prints ``user: ...``, ``assistant: ...`` (streamed), ``tool call: ...`` and ``tool result: ...``."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out if out is not None else sys.stdout
        self.lines: list[str] = []
        self._open: str | None = None  # the assistant line being streamed

    def handle(self, event: Any) -> None:
        etype = event.service_type
        if etype == USER_TRANSCRIPT_DONE:
            transcript = (event.service_event or {}).get("transcript") or ""
            self._line(f"user: {transcript.strip() or '(no words recognised)'}")
        elif etype in ASSISTANT_DELTAS and isinstance(event, RealtimeTextEvent):
            if self._open is None:
                self._open = "assistant: "
                self.out.write(self._open)
            self._open += event.text.text
            self.out.write(event.text.text)
            self.out.flush()
        elif etype in ASSISTANT_DONE:
            self._end_line()
        elif etype == CALL_DONE and isinstance(event, RealtimeFunctionCallEvent):
            call = event.function_call
            self._line(f"tool call: {call.name}({call.arguments or ''})")
        elif isinstance(event, RealtimeFunctionResultEvent):
            self.tool_result(serialize_result(event.function_result.result))
        elif etype == "error":
            error = (event.service_event or {}).get("error") or {}
            self._line(f"error from the service: {error.get('message') or error}")

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
