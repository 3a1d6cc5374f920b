"""Errors of the protocol layer.

Decoding never raises (a bad server event becomes a :class:`MalformedServerEvent`, see ``decode``);
encoding is strict and raises :class:`EncodeError` naming what is wrong with the user's event.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class of protocol-layer errors."""


class EncodeError(ProtocolError, ValueError):
    """A user event cannot be turned into a valid GA client event."""
