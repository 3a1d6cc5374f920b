"""The transport errors; their home is :mod:`semantic_kernel_realtime.errors` (this module is an alias)."""

from semantic_kernel_realtime.errors import (
    AuthenticationError,
    ConnectionClosedError,
    ConnectionFailedError,
    TransportError,
)

__all__ = ["AuthenticationError", "ConnectionClosedError", "ConnectionFailedError", "TransportError"]
