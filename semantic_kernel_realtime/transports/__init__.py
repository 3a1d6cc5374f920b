"""Transports move JSON text, bytes and audio frames between this process and a realtime service.

Rules: a transport knows no Semantic Kernel type and no protocol event shapes beyond "a JSON text
message"; it never imports ``semantic_kernel_realtime.protocol`` or the client. Failures surface as the
typed errors in :mod:`semantic_kernel_realtime.transports.errors`.
"""

from semantic_kernel_realtime.transports.base import MediaTransport, Transport
from semantic_kernel_realtime.transports.errors import (
    AuthenticationError,
    ConnectionClosedError,
    ConnectionFailedError,
    TransportError,
)

__all__ = [
    "AuthenticationError",
    "ConnectionClosedError",
    "ConnectionFailedError",
    "MediaTransport",
    "Transport",
    "TransportError",
]
