"""The errors users of semantic-kernel-realtime catch: one module, exported from the package root.

Rules:
- Every error raised to an application is a :class:`RealtimeError`. Network failures are the
  :class:`TransportError` family, never a library-specific exception; a user event that cannot become a
  wire event is an :class:`EncodeError` (a ``ValueError``); a client that cannot be built from its
  arguments and environment is a :class:`ConfigurationError`, raised by the constructor. Decoding never
  raises: a bad server event becomes a ``MalformedServerEvent`` on the receive queue (see
  :mod:`semantic_kernel_realtime.events`).
- ``retryable`` says whether reconnecting can help (a dropped network) or not (refused credentials,
  policy violations).
- Messages never contain a key, token or secret.

This module imports nothing but the standard library, so every layer (transports included) may use it.
"""

from __future__ import annotations

__all__ = [
    "AudioFileError",
    "AuthenticationError",
    "CallNotFoundError",
    "ConfigurationError",
    "ConnectionClosedError",
    "ConnectionFailedError",
    "ConnectionTimeoutError",
    "EncodeError",
    "ProtocolError",
    "RealtimeError",
    "TransportError",
]

#: Close codes that end a session for good: unsupported or invalid data, a policy violation, and the service's
#: own refusals (4000 range): the same request would be refused again. A network loss (1006), a server going
#: away (1001: a restart, or the session's duration cap) or an abnormal server close (1011) may be retried.
_FINAL_CLOSE_CODES = frozenset({1003, 1007, 1008, 4000, 4001, 4003})


class RealtimeError(Exception):
    """Base class of every error this package raises to an application."""

    retryable: bool = False


# -- configuration ---------------------------------------------------------------------------------


class ConfigurationError(RealtimeError, ValueError):
    """A client cannot be built: a required setting (a key, an endpoint) is missing or invalid.

    Raised by a connector's constructor, before anything connects (and by other constructors whose
    settings contradict each other, such as an agent session's ``approval_timeout`` against the client's
    ``function_timeout``). ``environment_variables`` names the
    variables that can supply what is missing (each may also come from the ``.env`` file passed as
    ``env_file_path``). The connectors raise it as a subclass that is also Semantic Kernel's
    ``ServiceInitializationError``, so handlers written for Semantic Kernel's own services catch it too.
    """

    def __init__(self, message: str, *, environment_variables: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.environment_variables = environment_variables


class AudioFileError(RealtimeError):
    """An audio file cannot be read (missing, not audio, corrupt) or speech cannot be synthesised; the
    message is one line naming the file (``read_audio_file``, ``synthesize_speech``)."""


# -- transports ------------------------------------------------------------------------------------


class TransportError(RealtimeError):
    """A network failure: base class of the transport errors."""

    def __init__(self, message: str, *, code: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class ConnectionFailedError(TransportError):
    """The connection could not be opened (refused, DNS, TLS, HTTP status other than 101/2xx)."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message, code=code, reason=reason)
        self.status = status


class ConnectionTimeoutError(ConnectionFailedError):
    """The connection did not open within ``open_timeout``: the credentials (a token provider) and the
    handshake share that one limit. Retryable: the next attempt may be quicker."""


class AuthenticationError(ConnectionFailedError):
    """The service refused the credentials: HTTP 401/403 at the handshake (``status``), or a close right after
    the session's configuration that says so (``code`` / ``reason``: Gemini Live accepts the WebSocket, then
    closes with 1007 or 1008 naming the API key). Not retryable: fix the key or token."""

    retryable = False


class CallNotFoundError(ConnectionFailedError):
    """A sideband connection (``call_id=...``) names no call it may attach to: the id is unknown, the call has
    ended, or it is another client's call (the service answers all three alike: HTTP 404
    ``call_id_not_found``). ``call_id`` is the id asked for. Not retryable: the same id is refused again."""

    retryable = False

    def __init__(self, message: str, *, call_id: str, status: int | None = 404) -> None:
        super().__init__(message, status=status)
        self.call_id = call_id


class ConnectionClosedError(TransportError):
    """An open connection ended. ``code``/``reason`` carry the close frame when there was one.

    ``clean`` is True for a normal close (1000/1001) by the peer; False for a dropped network or an
    abnormal close (1006 and friends). ``retryable``: a new connection may help: the network failed, or the
    peer is going away (1001, as a service at its duration cap or a restarting server closes); not after a
    normal close (1000: the peer ended the session) or a refusal (``_FINAL_CLOSE_CODES``).
    """

    def __init__(self, message: str, *, code: int | None = None, reason: str | None = None, clean: bool = False):
        super().__init__(message, code=code, reason=reason)
        self.clean = clean
        self.retryable = (not clean or code == 1001) and code not in _FINAL_CLOSE_CODES


# -- protocol --------------------------------------------------------------------------------------


class ProtocolError(RealtimeError):
    """Base class of wire-protocol errors."""


class EncodeError(ProtocolError, ValueError):
    """A user event cannot be turned into a valid client event of the session's wire protocol."""
