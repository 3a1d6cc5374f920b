"""Identifiers in the service's formats: ``event_…``, ``item_…``, ``resp_…``, ``call_…``, ``sess_…``, ``conv_…``.

Ids only need to be unique within a server's lifetime, not secret, so a plain PRNG is used (fast: random
bytes mapped onto the 62 letters and digits by one ``bytes.translate``, so the first 8 of them are a little
likelier, ~5.95 bits per character); ephemeral client secrets (``ek_…``) use :mod:`secrets`.
"""

from __future__ import annotations

import random
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits
_rng = random.Random()
_TO_ALPHABET = bytes(ord(_ALPHABET[byte % len(_ALPHABET)]) for byte in range(256))


def _new(prefix: str, length: int) -> str:
    return prefix + _rng.randbytes(length).translate(_TO_ALPHABET).decode()


def event_id() -> str:
    return _new("event_", 21)


def item_id() -> str:
    return _new("item_", 21)


def response_id() -> str:
    return _new("resp_", 21)


def call_id() -> str:
    return _new("call_", 16)


def segment_id() -> str:
    return _new("seg_", 16)


def session_id() -> str:
    return _new("sess_", 21)


def conversation_id() -> str:
    return _new("conv_", 21)


def client_secret() -> str:
    return "ek_" + secrets.token_urlsafe(24)
