"""The session engine: one per connection, transport-agnostic.

Rules:
- Input: wire text (``receive_text``), decoded dicts (``receive``) or raw PCM16 24 kHz (``push_audio``,
  e.g. from a WebRTC track). Output: server event dicts handed to ``emit`` (synchronous, in order) and
  response audio handed to an :class:`~semantic_kernel_realtime.server.sinks.AudioSink`.
- Every client event is validated with the openai GA types first (:mod:`.validation`); a bad event gets
  an ``error`` event (``invalid_request_error``, code, message, param, the event's ``event_id``) and the
  session goes on. Valid events are dispatched through ``_HANDLERS`` (event type -> method), with the
  ``null``s the GA types allow removed (:func:`~.validation.without_nulls`): handlers never see them.
- Bounded (:class:`~.limits.ServerLimits`): the input buffer keeps at most ``max_input_audio_ms`` (the
  oldest audio goes; one ``input_audio_buffer_overflow`` error per filling), and while turn detection
  hears no speech it keeps only what a speech start could still claim (``prefix_padding_ms`` and the
  VAD's look-back), so a session streaming silence holds flat memory. The conversation is bounded in
  items and stored audio (:mod:`.conversation`); retrieving audio reuses its stored encoding.
- Handlers never block: responses, transcription and speech synthesis run as tasks (engines in worker
  threads). ``close()`` cancels them all and waits, leaving no task behind.
- One response at a time may write to the default conversation; another ``response.create`` meanwhile
  gets ``conversation_already_has_active_response``. Out-of-band responses (``conversation: "none"``)
  may run alongside.
- Server VAD's ``idle_timeout_ms``: once a response to the default conversation is done and its audio has
  had time to play (``response.done`` plus the audio's duration), that much more time without the user
  speaking (and without another response) emits ``input_audio_buffer.timeout_triggered``, commits the
  buffer and, with ``create_response``, answers, as the live service does.
- A transcription session (``type: "transcription"``, set while the session is fresh) detects turns and
  transcribes each (``...transcription.delta``, ``.segment``, ``.completed``) and never responds: a
  ``response.create`` there is refused.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import logging
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from semantic_kernel_realtime.server import audio_formats, ids, session_config, speech_calls
from semantic_kernel_realtime.server.conversation import Conversation
from semantic_kernel_realtime.server.errors import ApiError
from semantic_kernel_realtime.server.limits import ServerLimits
from semantic_kernel_realtime.server.responder import Responder, ResponseRequest, RuleResponder
from semantic_kernel_realtime.server.response_runner import ResponsePlan, ResponseRun
from semantic_kernel_realtime.server.sinks import AudioSink, Emit, WebSocketAudioSink
from semantic_kernel_realtime.server.speech import hints
from semantic_kernel_realtime.server.speech.base import Synthesizer, Transcriber
from semantic_kernel_realtime.server.speech.fallback import ToneSynthesizer
from semantic_kernel_realtime.server.usage import UsageMeter
from semantic_kernel_realtime.server.vad import ServerVad, SpeechStarted
from semantic_kernel_realtime.server.validation import (
    EventValidationError,
    parse_client_message,
    session_resource,
    validate_client_event,
    without_nulls,
)

logger = logging.getLogger(__name__)

MIN_COMMIT_MS = 100
#: audio kept before the speech start the VAD may still report (its 100 ms window, a partial frame)
_VAD_LOOKBACK_MS = 500


class SessionEngine:
    """The GA protocol state machine of one realtime session."""

    def __init__(
        self,
        emit: Emit,
        *,
        sink: AudioSink | None = None,
        responder: Responder | None = None,
        transcriber: Transcriber | None = None,
        synthesizer: Synthesizer | None = None,
        model: str | None = None,
        session: dict[str, Any] | None = None,
        limits: ServerLimits | None = None,
    ) -> None:
        self._emit = emit
        self.limits = limits or ServerLimits()
        self.sink: AudioSink = sink if sink is not None else WebSocketAudioSink(emit)
        self.responder: Responder = responder or RuleResponder()
        self.transcriber = transcriber
        self.synthesizer: Synthesizer = synthesizer or ToneSynthesizer()
        self.session = session_config.default_session(model, session)
        self.conversation = Conversation(max_items=self.limits.max_conversation_items,
                                         max_audio_bytes=self.limits.max_stored_audio_bytes,
                                         on_drop=self._item_dropped)
        self.conversation_id = ids.conversation_id()
        self.audio_started = False
        self.usage = UsageMeter()
        self.closed = False
        self._active: ResponseRun | None = None  # the response writing to the default conversation
        self._out_of_band: set[ResponseRun] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._transcripts: dict[str, asyncio.Task[str | None]] = {}
        # input audio buffer (PCM16 24 kHz) and its place on the session's audio timeline
        self._buffer = bytearray()
        self._buffer_start_ms = 0
        self._timeline_ms = 0
        self._timeline_bytes = 0
        self._vad: ServerVad | None = None
        self._vad_origin_ms = 0
        self._speech_item: str | None = None
        self._overflow_reported = False  # the input buffer dropped audio since the last commit/clear
        self._idle_timer: asyncio.TimerHandle | None = None
        self._responses_started = 0
        self._reset_vad()

    # --- public surface used by transports ---------------------------------------------------------

    def start(self) -> None:
        """Send ``session.created``; call once, right after the connection is accepted."""
        self.emit({"type": "session.created", "event_id": ids.event_id(), "session": session_resource(self.session)})
        logger.info(
            "session %s created (responder=%s, transcriber=%s, synthesizer=%s)", self.session["id"],
            self.responder.name, getattr(self.transcriber, "name", None), self.synthesizer.name,
        )

    def emit(self, event: dict[str, Any]) -> None:
        if not self.closed:
            self._emit(event)

    def receive_text(self, text: str | bytes) -> None:
        """Handle one wire message (a JSON client event)."""
        try:
            model, raw = parse_client_message(text)
        except EventValidationError as exc:
            self.emit(exc.to_event())
            return
        self._dispatch(model, raw)

    def receive(self, event: dict[str, Any]) -> None:
        """Handle one decoded client event."""
        try:
            model = validate_client_event(event)
        except EventValidationError as exc:
            self.emit(exc.to_event())
            return
        self._dispatch(model, without_nulls(model, event))

    def push_audio(self, pcm16: bytes) -> None:
        """Append PCM16 24 kHz mono to the input buffer (what ``input_audio_buffer.append`` does)."""
        if self._append_input(pcm16):
            self.emit(self._overflow_error().to_event())

    def _append_input(self, pcm16: bytes) -> bool:
        """Buffer and detect; True when the buffer has just begun dropping its oldest audio."""
        if self.closed or not pcm16:
            return False
        self._buffer += pcm16
        self._timeline_bytes += len(pcm16)
        self._timeline_ms = audio_formats.duration_ms(self._timeline_bytes)
        if self._vad is not None:
            for boundary in self._vad.feed(pcm16):
                if isinstance(boundary, SpeechStarted):
                    self._speech_started(self._vad_origin_ms + boundary.audio_start_ms)
                else:
                    self._speech_stopped(self._vad_origin_ms + boundary.audio_end_ms)
            if not self._vad.in_speech:  # only the padding before a speech start may still be committed
                self._drop_input_before(self._timeline_ms - self._padding_ms() - _VAD_LOOKBACK_MS, slack_ms=1000)
        overflow = len(self._buffer) > self.limits.max_input_audio_bytes
        if overflow:
            self._drop_input_before(self._timeline_ms - self.limits.max_input_audio_ms, slack_ms=0)
        first = overflow and not self._overflow_reported
        self._overflow_reported |= overflow
        return first

    def _drop_input_before(self, keep_from_ms: int, *, slack_ms: int) -> None:
        """Drop buffered audio older than ``keep_from_ms`` (once at least ``slack_ms`` more than that)."""
        drop_ms = keep_from_ms - self._buffer_start_ms
        if drop_ms <= slack_ms:
            return
        drop = drop_ms * audio_formats.BYTES_PER_MS
        if drop >= len(self._buffer):
            self._buffer.clear()
            self._buffer_start_ms = self._timeline_ms
        else:
            del self._buffer[:drop]
            self._buffer_start_ms += drop_ms

    def _overflow_error(self) -> ApiError:
        return ApiError(
            "input_audio_buffer_overflow",
            f"The input audio buffer holds at most {self.limits.max_input_audio_ms} ms of audio; the oldest audio "
            "was dropped. Commit or clear the buffer.",
        )

    def _padding_ms(self) -> int:
        return (session_config.turn_detection(self.session) or {}).get("prefix_padding_ms") or 0

    async def close(self) -> None:
        """End the session: cancel responses and transcriptions, wait for them, emit nothing more, and let
        go of the session's audio and items at once (the engine and its runs reference each other, so
        the engine itself waits for a cyclic garbage collection; its megabytes must not)."""
        self.closed = True
        self._cancel_idle_timer()
        tasks = [t for t in self._tasks if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._transcripts.clear()
        self._active = None
        self._out_of_band.clear()
        self.conversation.clear()
        self._buffer = bytearray()
        self._vad = None

    @property
    def active_response(self) -> ResponseRun | None:
        return self._active

    # --- dispatch ------------------------------------------------------------------------------

    def _dispatch(self, model: BaseModel | None, raw: dict[str, Any]) -> None:
        handler = _HANDLERS[raw["type"]]
        try:
            handler(self, model, raw)
        except ApiError as exc:
            exc.event_id = raw.get("event_id")
            self.emit(exc.to_event())
        except Exception as exc:  # a server bug must not end the session; report it like the service does
            logger.exception("handling %s failed", raw["type"])
            self.emit(ApiError("internal_error", f"{type(exc).__name__}: {exc}", type="server_error", status=500,
                               event_id=raw.get("event_id")).to_event())

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- session ------------------------------------------------------------------------------

    def _on_session_update(self, model: BaseModel, raw: dict[str, Any]) -> None:
        before = session_config.turn_detection(self.session)
        fresh = not self.conversation.items and self._responses_started == 0
        self.session = session_config.merge_session(self.session, raw["session"], audio_started=self.audio_started,
                                                    fresh=fresh)
        if session_config.turn_detection(self.session) != before:
            self._reset_vad()
        self.emit({"type": "session.updated", "event_id": ids.event_id(), "session": session_resource(self.session)})

    # --- conversation items ----------------------------------------------------------------------

    def _on_item_create(self, model: BaseModel, raw: dict[str, Any]) -> None:
        item = copy.deepcopy(raw["item"])
        item.setdefault("id", ids.item_id())
        if item["type"] in _REALTIME_ITEM_TYPES:  # MCP items carry neither ``object`` nor ``status``
            item.setdefault("object", "realtime.item")
            item["status"] = "completed"
        if item["type"] == "function_call":
            item.setdefault("call_id", ids.call_id())
        audio = self._take_item_audio(item)
        previous = self.conversation.insert(item, raw.get("previous_item_id"))
        if audio is not None:
            self.conversation.set_audio(item["id"], audio)
            self._start_transcript(item, events=False)
        self.emit({"type": "conversation.item.added", "event_id": ids.event_id(), "previous_item_id": previous,
                   "item": copy.deepcopy(item)})
        self.emit({"type": "conversation.item.done", "event_id": ids.event_id(), "previous_item_id": previous,
                   "item": copy.deepcopy(item)})

    def _take_item_audio(self, item: dict[str, Any]) -> bytes | None:
        """Move base64 ``input_audio`` out of the item (events carry transcripts, not audio)."""
        audio = None
        for index, content in enumerate(item.get("content") or ()):
            if content.get("type") == "input_audio" and content.get("audio") is not None:
                data = _b64decode(content.pop("audio"), f"item.content[{index}].audio")
                audio = audio_formats.decode(data, session_config.input_format(self.session))
                content.setdefault("transcript", None)
        return audio

    def _item_dropped(self, item_id: str) -> None:
        """The conversation dropped its oldest item (over its bound): forget what the engine kept for it."""
        self._transcripts.pop(item_id, None)

    def _on_item_delete(self, model: BaseModel, raw: dict[str, Any]) -> None:
        self.conversation.delete(raw["item_id"])
        self._transcripts.pop(raw["item_id"], None)
        self.emit({"type": "conversation.item.deleted", "event_id": ids.event_id(), "item_id": raw["item_id"]})

    def _on_item_retrieve(self, model: BaseModel, raw: dict[str, Any]) -> None:
        item = copy.deepcopy(self.conversation.get(raw["item_id"]))
        for content in item.get("content") or ():
            fmt = _AUDIO_FORMAT_OF.get(content.get("type"))
            audio = self.conversation.audio_base64(item["id"], fmt(self.session)) if fmt is not None else None
            if audio is not None:
                content["audio"] = audio  # the stored encoding itself: retrieving again copies nothing
        self.emit({"type": "conversation.item.retrieved", "event_id": ids.event_id(), "item": item})

    def _on_item_truncate(self, model: BaseModel, raw: dict[str, Any]) -> None:
        item = self.conversation.get(raw["item_id"])
        contents = item.get("content") or []
        index = raw["content_index"]
        if item.get("role") != "assistant" or not (0 <= index < len(contents)) \
                or contents[index].get("type") != "output_audio":
            raise ApiError("invalid_value", "Only assistant audio content can be truncated.", "content_index")
        pcm = self.conversation.audio(item["id"]) or b""
        length_ms = audio_formats.duration_ms(len(pcm))
        end_ms = raw["audio_end_ms"]
        if end_ms < 0 or end_ms > length_ms:
            raise ApiError(
                "invalid_value", f"audio_end_ms ({end_ms}) must be between 0 and the audio duration ({length_ms} ms).",
                "audio_end_ms",
            )
        self.conversation.set_audio(item["id"], pcm[: end_ms * audio_formats.BYTES_PER_MS])
        contents[index]["transcript"] = ""  # the service drops text the user has not heard
        self.emit({"type": "conversation.item.truncated", "event_id": ids.event_id(), "item_id": item["id"],
                   "content_index": index, "audio_end_ms": end_ms})

    # --- input audio buffer ----------------------------------------------------------------------

    def _on_append(self, model: BaseModel | None, raw: dict[str, Any]) -> None:  # None: a plain append
        data = _b64decode(raw["audio"], "audio")
        if self._append_input(audio_formats.decode(data, session_config.input_format(self.session))):
            raise self._overflow_error()

    def _on_commit(self, model: BaseModel, raw: dict[str, Any]) -> None:
        if audio_formats.duration_ms(len(self._buffer)) < MIN_COMMIT_MS:
            raise ApiError(
                "input_audio_buffer_commit_empty",
                f"Error committing input audio buffer: buffer too small. Expected at least {MIN_COMMIT_MS}ms of "
                f"audio, but buffer only has {audio_formats.duration_ms(len(self._buffer))}ms of audio.",
            )
        self._commit(self._speech_item or ids.item_id())
        self._reset_vad()

    def _on_clear(self, model: BaseModel, raw: dict[str, Any]) -> None:
        self._buffer.clear()
        self._buffer_start_ms = self._timeline_ms
        self._overflow_reported = False
        self._reset_vad()
        self.emit({"type": "input_audio_buffer.cleared", "event_id": ids.event_id()})

    def _on_output_clear(self, model: BaseModel, raw: dict[str, Any]) -> None:
        if not self.sink.clear():
            raise ApiError(
                "unsupported_for_transport", "output_audio_buffer.clear is only supported over WebRTC and SIP.",
                "type",
            )

    def _commit(self, item_id: str) -> None:
        pcm = bytes(self._buffer)
        self._buffer.clear()
        self._buffer_start_ms = self._timeline_ms
        self._overflow_reported = False
        self._speech_item = None
        item = {"id": item_id, "object": "realtime.item", "type": "message", "status": "completed",
                "role": "user", "content": [{"type": "input_audio", "transcript": None}]}
        previous = self.conversation.insert(item)
        self.conversation.set_audio(item_id, pcm)
        self.emit({"type": "input_audio_buffer.committed", "event_id": ids.event_id(),
                   "previous_item_id": previous, "item_id": item_id})
        self.emit({"type": "conversation.item.added", "event_id": ids.event_id(), "previous_item_id": previous,
                   "item": copy.deepcopy(item)})
        self.emit({"type": "conversation.item.done", "event_id": ids.event_id(), "previous_item_id": previous,
                   "item": copy.deepcopy(item)})
        self._start_transcript(item, events=session_config.transcription(self.session) is not None
                               or session_config.is_transcription(self.session))

    def _reset_vad(self) -> None:
        detection = session_config.turn_detection(self.session)
        self._speech_item = None
        if detection is None:
            self._vad = None
            return
        self._vad = ServerVad(
            threshold=detection.get("threshold", 0.5), silence_duration_ms=detection.get("silence_duration_ms", 500)
        )
        self._vad_origin_ms = self._timeline_ms

    def _speech_started(self, start_ms: int) -> None:
        self._cancel_idle_timer()
        detection = session_config.turn_detection(self.session) or {}
        self._drop_input_before(start_ms - self._padding_ms(), slack_ms=0)
        self._speech_item = ids.item_id()
        self.emit({"type": "input_audio_buffer.speech_started", "event_id": ids.event_id(),
                   "audio_start_ms": start_ms, "item_id": self._speech_item})
        if detection.get("interrupt_response", True) and self._active is not None:
            self._active.cancel("turn_detected")

    def _speech_stopped(self, end_ms: int) -> None:
        item_id = self._speech_item or ids.item_id()
        self.emit({"type": "input_audio_buffer.speech_stopped", "event_id": ids.event_id(),
                   "audio_end_ms": end_ms, "item_id": item_id})
        self._commit(item_id)
        detection = session_config.turn_detection(self.session) or {}
        if detection.get("create_response", True) and not session_config.is_transcription(self.session):
            if self._active is not None and not self._active.cancelling:
                logger.info("session %s: VAD turn ended during an active response; no new response",
                            self.session["id"])
                return
            self._start_response(self._plan(None))

    # --- idle timeout ----------------------------------------------------------------------------

    def _arm_idle_timer(self, played_ms: int) -> None:
        """After a response: time the user's silence from the end of its playback (server VAD only)."""
        self._cancel_idle_timer()
        detection = session_config.turn_detection(self.session) or {}
        idle_ms = detection.get("idle_timeout_ms")
        if self.closed or detection.get("type") != "server_vad" or not idle_ms or idle_ms <= 0:
            return
        self._idle_timer = asyncio.get_running_loop().call_later((played_ms + idle_ms) / 1000, self._idle_timeout)

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _idle_timeout(self) -> None:
        self._idle_timer = None
        if self.closed or self._active is not None or (self._vad is not None and self._vad.in_speech):
            return
        item_id = ids.item_id()
        self.emit({"type": "input_audio_buffer.timeout_triggered", "event_id": ids.event_id(),
                   "audio_start_ms": self._buffer_start_ms, "audio_end_ms": self._timeline_ms, "item_id": item_id})
        self._commit(item_id)
        self._reset_vad()
        detection = session_config.turn_detection(self.session) or {}
        if detection.get("create_response", True) and not session_config.is_transcription(self.session):
            self._start_response(self._plan(None))

    # --- transcription ---------------------------------------------------------------------------

    def _start_transcript(self, item: dict[str, Any], *, events: bool) -> None:
        """Transcribe an audio item once: for the responder, and with events when the session asks."""
        if self.transcriber is None:
            if events:
                self._transcription_failed(item["id"], ApiError(
                    "transcriber_unavailable", "No speech recogniser is installed in this server.",
                    type="transcription_error"))
            return
        self._transcripts[item["id"]] = self._spawn(self._transcribe(item, events), f"transcribe {item['id']}")

    def _transcription_failed(self, item_id: str, error: ApiError) -> None:
        self.emit({"type": "conversation.item.input_audio_transcription.failed", "event_id": ids.event_id(),
                   "item_id": item_id, "content_index": 0, "error": error.fields})

    async def _transcribe(self, item: dict[str, Any], events: bool) -> str | None:
        pcm = self.conversation.audio(item["id"]) or b""
        options = session_config.transcription(self.session) or {}
        assert self.transcriber is not None
        if not pcm:  # an idle timeout commits an empty buffer: nothing was said
            return ""
        try:
            text = await speech_calls.transcribe(
                self.transcriber, pcm, language=options.get("language"), prompt=options.get("prompt"),
                keywords=hints.session_keywords(options, self.session.get("tools")),
            )
        except Exception as exc:
            logger.warning("transcription of %s failed: %s", item["id"], exc)
            if events:
                self._transcription_failed(item["id"], ApiError(
                    "audio_unintelligible", f"The audio could not be transcribed: {type(exc).__name__}.",
                    type="transcription_error"))
            return None
        for content in item.get("content") or ():
            if content.get("type") == "input_audio":
                content["transcript"] = text
                break
        if events:
            where = {"item_id": item["id"], "content_index": 0}
            if text:
                self.emit({"type": "conversation.item.input_audio_transcription.delta", "event_id": ids.event_id(),
                           **where, "delta": text})
                self.emit({"type": "conversation.item.input_audio_transcription.segment", "event_id": ids.event_id(),
                           **where, "id": ids.segment_id(), "text": text, "speaker": "A", "start": 0.0,
                           "end": round(len(pcm) / (2 * audio_formats.RATE), 3)})
            self.emit({"type": "conversation.item.input_audio_transcription.completed", "event_id": ids.event_id(),
                       **where, "transcript": text,
                       "usage": {"type": "duration", "seconds": round(len(pcm) / (2 * audio_formats.RATE), 3)}})
        return text

    # --- responses -----------------------------------------------------------------------------

    def _on_response_create(self, model: BaseModel, raw: dict[str, Any]) -> None:
        if session_config.is_transcription(self.session):
            raise ApiError("invalid_request", "Responses are not available in a transcription session.", "type")
        plan = self._plan(raw.get("response"))
        if plan.conversation and self._active is not None and not self._active.cancelling:
            raise ApiError(
                "conversation_already_has_active_response",
                f"Conversation already has an active response in progress: {self._active.id}. Wait until the "
                "response is finished before creating a new one.",
            )
        self._start_response(plan)

    def _on_response_cancel(self, model: BaseModel, raw: dict[str, Any]) -> None:
        wanted = raw.get("response_id")
        candidates = ([self._active] if self._active else []) + list(self._out_of_band)
        run = next((r for r in candidates if wanted in (None, r.id) and not r.cancelling), None)
        if run is None or not run.cancel("client_cancelled"):
            raise ApiError(
                "response_cancel_not_active", "Cancellation failed: no active response found.",
                "response_id" if wanted else None,
            )

    def _plan(self, params: dict[str, Any] | None) -> ResponsePlan:
        params = params or {}
        s = self.session
        output = (params.get("audio") or {}).get("output") or {}
        voice = output.get("voice", s["audio"]["output"].get("voice"))
        input_items = None
        if params.get("input") is not None:
            input_items = []
            for item in params["input"]:
                item = copy.deepcopy(item)
                item.setdefault("id", ids.item_id())
                self._take_item_audio(item)
                input_items.append(item)
        return ResponsePlan(
            conversation=params.get("conversation", "auto") != "none",
            input_items=input_items,
            instructions=params.get("instructions", s.get("instructions") or ""),
            tools=params.get("tools", s.get("tools") or []),
            tool_choice=params.get("tool_choice", s.get("tool_choice") or "auto"),
            output_modalities=params.get("output_modalities") or s.get("output_modalities") or ["audio"],
            output_format=output.get("format") or session_config.output_format(s),
            voice=voice.get("id") if isinstance(voice, dict) else voice,
            speed=s["audio"]["output"].get("speed") or 1.0,
            max_output_tokens=params.get("max_output_tokens", s.get("max_output_tokens", "inf")),
            metadata=params.get("metadata"),
        )

    def _start_response(self, plan: ResponsePlan) -> None:
        self._cancel_idle_timer()
        self._responses_started += 1
        run = ResponseRun(self, plan)
        after = None
        if plan.conversation:
            if self._active is not None:  # being cancelled: start once it has finished
                after = self._active.task
            self._active = run
        else:
            self._out_of_band.add(run)
        self.usage.request_started()
        run.start(after)
        assert run.task is not None
        self._tasks.add(run.task)
        run.task.add_done_callback(self._tasks.discard)

    def audio_output_started(self) -> None:
        self.audio_started = True

    def response_finished(self, run: ResponseRun) -> None:
        if self._active is run:
            self._active = None
            self._arm_idle_timer(run.output_audio_ms)
        self._out_of_band.discard(run)

    async def build_request(self, plan: ResponsePlan) -> ResponseRequest:
        """The responder's view: items with audio transcripts filled in (awaiting running transcriptions)."""
        items = plan.input_items if plan.input_items is not None else self.conversation.items
        view = []
        for item in items:
            task = self._transcripts.get(item.get("id", ""))
            if task is not None:
                await asyncio.wait([task])
            view.append(copy.deepcopy(item))
        return ResponseRequest(
            items=view, instructions=plan.instructions, tools=plan.tools, tool_choice=plan.tool_choice,
            output_modalities=tuple(plan.output_modalities), metadata=plan.metadata,
        )

def _b64decode(text: str, param: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError("invalid_value", f"Invalid value for '{param}': expected base64-encoded audio.",
                            param) from None


#: item types that are ``realtime.item`` objects with a ``status`` (the GA MCP items are neither)
_REALTIME_ITEM_TYPES = frozenset({"message", "function_call", "function_call_output"})

#: content types whose stored audio a retrieve returns, and the session format it is returned in
_AUDIO_FORMAT_OF: dict[str | None, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "input_audio": session_config.input_format,
    "output_audio": session_config.output_format,
}

_HANDLERS: dict[str, Callable[[SessionEngine, BaseModel, dict[str, Any]], None]] = {
    "session.update": SessionEngine._on_session_update,
    "conversation.item.create": SessionEngine._on_item_create,
    "conversation.item.delete": SessionEngine._on_item_delete,
    "conversation.item.retrieve": SessionEngine._on_item_retrieve,
    "conversation.item.truncate": SessionEngine._on_item_truncate,
    "input_audio_buffer.append": SessionEngine._on_append,
    "input_audio_buffer.commit": SessionEngine._on_commit,
    "input_audio_buffer.clear": SessionEngine._on_clear,
    "output_audio_buffer.clear": SessionEngine._on_output_clear,
    "response.create": SessionEngine._on_response_create,
    "response.cancel": SessionEngine._on_response_cancel,
}
