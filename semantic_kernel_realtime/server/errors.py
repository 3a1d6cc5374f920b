"""The one API error of the server, rendered the way the live service renders its errors.

Rules:
- Whatever the server refuses, wherever (a client event, an HTTP request, a transcription), is an
  :class:`ApiError`: ``code``, ``message``, ``param`` (dotted path or None), ``type``
  (``invalid_request_error`` unless said otherwise), the HTTP ``status`` it answers with, and the
  ``event_id`` of the client event it refers to (None when there is none).
- ``to_event()`` gives the ``error`` server event
  (``{"type": "error", "event_id": "event_…", "error": {type, code, message, param, event_id}}``);
  ``to_response()`` the HTTP answer (``{"error": {message, type, code, param}}`` with ``status``);
  ``fields`` the bare error object other events embed (``…input_audio_transcription.failed``).
  No module builds these shapes by hand.
- The narrower classes (:class:`~.validation.EventValidationError`, ``SessionUpdateError``,
  ``ConversationError``, ``SecretRefused``) are thin subclasses that only name where the error arose.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from semantic_kernel_realtime.server import ids

__all__ = ["ApiError", "call_id_not_found"]


class ApiError(Exception):
    """An error the server reports to its peer in the live service's shape."""

    def __init__(
        self,
        code: str,
        message: str,
        param: str | None = None,
        *,
        type: str = "invalid_request_error",
        status: int = 400,
        event_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.param = param
        self.type = type
        self.status = status
        self.event_id = event_id

    @property
    def fields(self) -> dict[str, Any]:
        """The error object as events embed it: ``type``, ``code``, ``message``, ``param``."""
        return {"type": self.type, "code": self.code, "message": self.message, "param": self.param}

    def to_event(self) -> dict[str, Any]:
        """The ``error`` server event (a fresh ``event_id``; ``error.event_id`` names the client event)."""
        return {"type": "error", "event_id": ids.event_id(), "error": {**self.fields, "event_id": self.event_id}}

    def to_response(self) -> web.Response:
        """The HTTP answer: ``{"error": {...}}`` with this error's status."""
        body = {"message": self.message, "type": self.type, "code": self.code, "param": self.param}
        return web.json_response({"error": body}, status=self.status)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, param={self.param!r})"


def call_id_not_found() -> ApiError:
    """The service's answer for a ``call_id`` that names no live call of the caller (HTTP 404)."""
    return ApiError("call_id_not_found", "No session found for the provided call_id.", "call_id", status=404)
