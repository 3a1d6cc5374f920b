"""Typed transport errors.

Every network failure a transport sees is raised as one of these, never as a library-specific exception.
``retryable`` tells a supervisor whether reconnecting can help (network blips) or not (bad credentials,
policy violations). Messages never contain credentials.
"""

from __future__ import annotations


class TransportError(Exception):
    """Base class of all transport errors."""

    retryable: bool = False

    def __init__(self, message: str, *, code: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class ConnectionFailedError(TransportError):
    """The connection could not be opened (refused, DNS, TLS, HTTP status other than 101/2xx)."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message, code=code)
        self.status = status


class AuthenticationError(ConnectionFailedError):
    """The service refused the credentials (HTTP 401/403). Not retryable: fix the key or token."""

    retryable = False


class ConnectionClosedError(TransportError):
    """An open connection ended. ``code``/``reason`` carry the close frame when there was one.

    ``clean`` is True for a normal close (1000/1001) by the peer; False for a dropped network or an
    abnormal close (1006 and friends).
    """

    def __init__(self, message: str, *, code: int | None = None, reason: str | None = None, clean: bool = False):
        super().__init__(message, code=code, reason=reason)
        self.clean = clean
        self.retryable = not clean and code not in (1008, 1003, 4000, 4001, 4003)
