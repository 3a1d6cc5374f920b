"""The protocol errors; their home is :mod:`semantic_kernel_realtime.errors` (this module is an alias)."""

from semantic_kernel_realtime.errors import EncodeError, ProtocolError

__all__ = ["EncodeError", "ProtocolError"]
