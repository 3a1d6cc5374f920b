"""Transports move JSON text, bytes and audio frames between this process and a realtime service.

Rules: a transport knows no Semantic Kernel type and no protocol event shapes beyond "a JSON text
message"; it never imports ``semantic_kernel_realtime.protocol`` or the client. Failures surface as the
typed errors of :mod:`semantic_kernel_realtime.errors` (the standard library only, so this layer may import it).
"""

from semantic_kernel_realtime.errors import (
    AuthenticationError,
    ConnectionClosedError,
    ConnectionFailedError,
    TransportError,
)
from semantic_kernel_realtime.transports.base import MediaTransport, Transport

__all__ = [
    "AuthenticationError",
    "ConnectionClosedError",
    "ConnectionFailedError",
    "MediaTransport",
    "Transport",
    "TransportError",
]
