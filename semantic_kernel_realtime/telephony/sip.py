"""OpenAI SIP calls: verify the incoming-call webhook, accept / reject / refer / hang up, run the call sideband.

Rules (https://platform.openai.com/docs/guides/realtime-sip):
- A call to the project's SIP address reaches the app as a signed ``realtime.call.incoming`` webhook.
  :meth:`SipCalls.incoming_call` verifies the Standard Webhooks signature with the ``openai`` package's own
  check (``client.webhooks.unwrap``: HMAC-SHA256, a five-minute replay window) and raises its
  ``InvalidWebhookSignatureError`` for a bad or stale one; answer the webhook with HTTP 400 then.
- :meth:`SipCalls.accept` sends the session the app decided, built from Semantic Kernel settings and the
  kernel's functions exactly as a WebSocket session's ``session.update`` would be (the OpenAI codec's
  ``session_object``); ``reject`` / ``refer`` / ``hangup`` are the service's call-control requests, made
  with the ``openai`` client (its retries, errors and timeouts).
- The audio flows between the phone and the service; the app runs the call from the *sideband*: a
  WebSocket session on ``/v1/realtime?call_id=...`` (:class:`OpenAISipSideband`, an
  ``OpenAIRealtimeWebsocket`` whose URL names the call). Kernel functions run there as on any session;
  the session ends when the call does (hang-up, refer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openai import AsyncOpenAI
from openai.types.webhooks import RealtimeCallIncomingWebhookEvent
from pydantic import Field
from semantic_kernel.connectors.ai.prompt_execution_settings import PromptExecutionSettings
from semantic_kernel.kernel import Kernel

from semantic_kernel_realtime.connectors.openai import DEFAULT_BASE_URL, OpenAIRealtimeWebsocket
from semantic_kernel_realtime.protocol.openai.codec import OpenAICodec

__all__ = ["OpenAISipSideband", "SipCalls"]

#: the ``accept`` request's own fields (the rest of a session object travels as extra body fields)
_ACCEPT_FIELDS = frozenset({"audio", "include", "instructions", "max_output_tokens", "model", "output_modalities",
                            "parallel_tool_calls", "prompt", "reasoning", "tool_choice", "tools", "tracing",
                            "truncation"})


class SipCalls:
    """The SIP calls of one OpenAI project (or the embedded server standing in for it).

    Args:
        webhook_secret: the webhook's signing secret (``whsec_...``).
        api_key / base_url: for the call-control requests; or pass ``client`` (an ``AsyncOpenAI``).
    """

    def __init__(self, *, webhook_secret: str, api_key: str | None = None, base_url: str = DEFAULT_BASE_URL,
                 client: AsyncOpenAI | None = None) -> None:
        self.webhook_secret = webhook_secret
        self.openai = client or AsyncOpenAI(api_key=api_key, base_url=base_url)

    def incoming_call(self, payload: str | bytes,
                      headers: Mapping[str, str]) -> RealtimeCallIncomingWebhookEvent | None:
        """The verified ``realtime.call.incoming`` event of a webhook request (None for another event type).

        Raises ``openai.InvalidWebhookSignatureError`` when the signature is bad, missing or stale."""
        event = self.openai.webhooks.unwrap(payload, headers, secret=self.webhook_secret)
        return event if isinstance(event, RealtimeCallIncomingWebhookEvent) else None

    async def accept(self, call_id: str, settings: PromptExecutionSettings | None = None,
                     kernel: Kernel | None = None, *, model: str | None = None) -> dict[str, Any]:
        """Answer the call with the session ``settings`` (and ``kernel``'s functions as tools); returns the
        session object sent."""
        session = OpenAICodec.session_object(OpenAICodec.prepare_settings(settings, kernel), model=model)
        session.pop("type", None)
        known = {key: value for key, value in session.items() if key in _ACCEPT_FIELDS}
        extra = {key: value for key, value in session.items() if key not in _ACCEPT_FIELDS}
        await self.openai.realtime.calls.accept(call_id, type="realtime", **known, extra_body=extra or None)
        return {"type": "realtime", **session}

    async def reject(self, call_id: str, status_code: int = 603) -> None:
        """Decline the call with a SIP status (603 Decline by default)."""
        await self.openai.realtime.calls.reject(call_id, status_code=status_code)

    async def refer(self, call_id: str, target_uri: str) -> None:
        """Transfer the call to ``target_uri`` (``tel:+1...`` or ``sip:...``): it leaves this project."""
        await self.openai.realtime.calls.refer(call_id, target_uri=target_uri)

    async def hangup(self, call_id: str) -> None:
        """End the call."""
        await self.openai.realtime.calls.hangup(call_id)

    def sideband(self, call_id: str, **kwargs: Any) -> OpenAISipSideband:
        """A realtime client on the call's sideband, with this project's key and URL (``kwargs`` go to it)."""
        return OpenAISipSideband(call_id=call_id, api_key=self.openai.api_key, base_url=str(self.openai.base_url),
                                 **kwargs)


class OpenAISipSideband(OpenAIRealtimeWebsocket):
    """The sideband of a SIP call: ``OpenAIRealtimeWebsocket(call_id=...)`` (``connectors/sideband.py``) with
    the id required: ``wss://.../v1/realtime?call_id=<id>``, a realtime session on the call.

    Use it as any realtime client (settings, kernel, ``receive()``): kernel functions run here while the
    caller talks to the model over the phone."""

    call_id: str = Field(description="The call's id (``realtime.call.incoming``'s ``data.call_id``).")

