"""errors.py: one ApiError, rendered as the live service renders an error event and an HTTP error."""

import json

import pytest
from aiohttp import web

from semantic_kernel_realtime.server.auth import SecretRefused
from semantic_kernel_realtime.server.conversation import ConversationError
from semantic_kernel_realtime.server.errors import ApiError
from semantic_kernel_realtime.server.session_config import SessionUpdateError
from semantic_kernel_realtime.server.validation import EventValidationError, validate_server_event


def test_event_shape_is_a_valid_ga_error_event():
    error = ApiError("invalid_value", "Nope.", "session.voice", event_id="evt_1")
    event = error.to_event()
    validate_server_event(event)
    assert event["type"] == "error" and event["event_id"].startswith("event_")
    assert event["error"] == {"type": "invalid_request_error", "code": "invalid_value", "message": "Nope.",
                              "param": "session.voice", "event_id": "evt_1"}
    assert error.to_event()["event_id"] != event["event_id"]  # each rendering is a new server event


def test_http_shape_and_status():
    response = ApiError("call_not_found", "No such call.", status=404).to_response()
    assert isinstance(response, web.Response) and response.status == 404
    assert response.content_type == "application/json"
    assert json.loads(response.text) == {"error": {"message": "No such call.", "type": "invalid_request_error",
                                                   "code": "call_not_found", "param": None}}


def test_server_errors_keep_their_type():
    error = ApiError("internal_error", "KeyError: 'x'", type="server_error", status=500)
    assert error.to_event()["error"]["type"] == "server_error"
    assert json.loads(error.to_response().text)["error"]["type"] == "server_error"


@pytest.mark.parametrize("error, status", [
    (EventValidationError("invalid_type", "m", "audio", "e1"), 400),
    (SessionUpdateError("invalid_value", "m", "session.type"), 400),
    (ConversationError("item_not_found", "m", "item_id"), 400),
    (SecretRefused("client_secret_expired", "m"), 401),
])
def test_the_narrow_errors_are_api_errors(error, status):
    assert isinstance(error, ApiError) and error.status == status
    assert error.fields == {"type": "invalid_request_error", "code": error.code, "message": "m", "param": error.param}
