"""A connector is configuration: an endpoint (the vendor), a link (how bytes move), a codec (the wire protocol).

Rules:
- :class:`Connector` subclasses are thin: their fields build an :class:`~.endpoints.Endpoint`
  (``realtime_endpoint``); the class
  names its ``link`` (:func:`websocket_link` or :func:`~.webrtc.webrtc_link`) and its ``codec_class``.
  Nothing else differs between the SK-named connector classes.
- A link opens nothing: it returns an unopened transport for one connection, fetching credentials
  (tokens, ephemeral secrets) on every call.
- A connector that cannot be configured (no credential, no endpoint) raises :class:`ConfigurationError`
  from its constructor, naming the environment variables that would supply what is missing: nothing
  connects without credentials.
- Timeouts and limits are fields (``open_timeout``, ``close_timeout`` from the client; ``ping_interval``,
  ``ping_timeout``, ``max_message_size`` here), handed to every transport the link makes.
- With Semantic Kernel's diagnostics switch on, every session also gets the package's OpenTelemetry
  spans and metrics (``telemetry.auto_telemetry``), as SK's own services do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from pydantic import Field, ValidationError
from semantic_kernel.exceptions import ServiceInitializationError

from semantic_kernel_realtime import errors
from semantic_kernel_realtime.client.base import RealtimeClientBase
from semantic_kernel_realtime.client.hooks import SessionHooks
from semantic_kernel_realtime.connectors.endpoints import Endpoint
from semantic_kernel_realtime.connectors.sideband import SidebandTransport
from semantic_kernel_realtime.protocol.base import Codec
from semantic_kernel_realtime.protocol.openai import OpenAICodec
from semantic_kernel_realtime.telemetry.tracing import auto_telemetry
from semantic_kernel_realtime.transports.base import Transport
from semantic_kernel_realtime.transports.websocket import WebSocketTransport

#: ``link(client, endpoint) -> unopened transport`` for one connection.
Link = Callable[[Any, Endpoint], Awaitable[Transport]]

__all__ = ["ConfigurationError", "Connector", "settings_error", "websocket_link"]


class ConfigurationError(errors.ConfigurationError, ServiceInitializationError):
    """:class:`semantic_kernel_realtime.errors.ConfigurationError`, also Semantic Kernel's
    ``ServiceInitializationError`` (what its own services raise), so either ``except`` catches it."""


def settings_error(exc: ValidationError, prefix: str) -> ConfigurationError:
    """A Semantic Kernel settings class refused a value (from an argument, the environment or ``.env``)."""
    problems = "; ".join(
        f"{prefix}{str(error['loc'][0]).upper()}: {error['msg']}" if error.get("loc") else error["msg"]
        for error in exc.errors(include_url=False)
    )
    names = tuple(f"{prefix}{str(e['loc'][0]).upper()}" for e in exc.errors(include_url=False) if e.get("loc"))
    return ConfigurationError(f"invalid setting: {problems}", environment_variables=names)


async def websocket_link(client: Connector, endpoint: Endpoint) -> Transport:
    """A WebSocket to the endpoint's realtime URL for the client's model, authenticated now (over the
    endpoint's ``ssl_context`` when it has one); with the client's ``call_id`` set, a sideband of that call
    (:mod:`.sideband`)."""
    options = {"ssl": getattr(endpoint, "ssl_context", None), "open_timeout": client.open_timeout or 10.0,
               "close_timeout": client.close_timeout, "ping_interval": client.ping_interval,
               "ping_timeout": client.ping_timeout, "max_size": client.max_message_size}
    call_id = getattr(client, "call_id", None)
    if call_id:
        return SidebandTransport(endpoint.sideband_url(call_id), await endpoint.auth_headers(), call_id=call_id,
                                 **options)
    return WebSocketTransport(endpoint.websocket_url(client.ai_model_id), await endpoint.auth_headers(), **options)


class Connector(RealtimeClientBase):
    """A realtime client made of an endpoint, a link and a codec (see the module rules)."""

    codec_class: ClassVar[type[Codec] | None] = OpenAICodec
    link: ClassVar[Link]

    ping_interval: float | None = Field(
        default=20.0, description="Seconds between keepalive pings over WebSocket (None: no pings).")
    ping_timeout: float | None = Field(
        default=20.0, description="Seconds without a pong before the peer is taken for dead (None: forever).")
    max_message_size: int | None = Field(
        default=16 * 2**20, description="Largest message accepted over WebSocket, in bytes (None: unlimited).")

    @property
    def realtime_endpoint(self) -> Endpoint:
        """The vendor's endpoint, built from this connector's fields."""
        raise NotImplementedError

    async def _create_transport(self) -> Transport:
        return await type(self).link(self, self.realtime_endpoint)

    def _session_hooks(self) -> tuple[SessionHooks, ...]:
        return (*super()._session_hooks(), *auto_telemetry(self))
