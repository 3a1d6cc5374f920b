"""auth.py: who may use the server; refusals are logged, keys never are."""

from __future__ import annotations

import logging

from semantic_kernel_realtime.server.auth import Credentials


def test_a_refused_client_is_logged_without_its_key(caplog) -> None:
    credentials = Credentials("sk-the-right-key")
    with caplog.at_level(logging.WARNING, logger="semantic_kernel_realtime.server.auth"):
        assert not credentials.accepts(None)
        assert not credentials.accepts("sk-a-wrong-key")
        assert not credentials.accepts("sk-a-wrong-key", allow_secret=False)
        assert credentials.accepts("sk-the-right-key")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "refused a client: no API key presented (the server requires one)",
        "refused a client: the API key or client secret it presented is wrong",
        "refused a client: the API key it presented is wrong",
    ]
    assert not any("sk-" in message for message in messages)


def test_an_open_server_logs_nothing(caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="semantic_kernel_realtime.server.auth"):
        assert Credentials(None).accepts(None)
    assert caplog.records == []
