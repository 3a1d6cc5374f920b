"""ResponseSequencer: each tool result answered exactly once, never a request the service would refuse."""

from semantic_kernel_realtime.function_calling.sequencing import ACTIVE_RESPONSE, Ask, ResponseSequencer


def _calling(seq: ResponseSequencer, response_id: str, *call_ids: str) -> None:
    seq.response_started(response_id)
    for call_id in call_ids:
        seq.call_started(response_id, call_id)


def _asked() -> tuple[ResponseSequencer, Ask | None]:
    """Response r1 called a, a's output was sent and r1 ended: the request for the answer went out."""
    seq = ResponseSequencer()
    _calling(seq, "r1", "a")
    seq.output_sent("r1", "a")
    ask, _ = seq.response_done("r1", "completed")
    return seq, ask


def test_one_request_after_done_and_all_outputs_whatever_the_order():
    seq = ResponseSequencer()
    _calling(seq, "r1", "a", "b")
    assert seq.output_sent("r1", "a") is None
    assert seq.response_done("r1", "completed") == (None, [])  # b still running
    ask = seq.output_sent("r1", "b")
    assert isinstance(ask, Ask) and ask.allow_tools
    assert seq.output_sent("r1", "b") is None  # never twice


def test_outputs_before_done_ask_at_done():
    seq = ResponseSequencer()
    _calling(seq, "r1", "a")
    assert seq.output_sent("r1", "a") is None
    ask, running = seq.response_done("r1", "completed")
    assert ask is not None and running == []


def test_a_response_without_calls_asks_nothing():
    assert ResponseSequencer().response_done("r9", "completed") == (None, [])


def test_cancelled_response_returns_running_calls_and_asks_nothing():
    seq = ResponseSequencer()
    _calling(seq, "r1", "a", "b")
    seq.output_sent("r1", "a")
    assert seq.response_done("r1", "cancelled") == (None, ["b"])
    assert seq.output_sent("r1", "b") is None
    assert seq.is_stopped("r1")


def test_outputs_ready_while_another_response_runs_wait_for_its_end():
    seq = ResponseSequencer()
    _calling(seq, "r1", "a")
    seq.response_done("r1", "completed")
    seq.response_started("r2")  # the user spoke (or the app asked) while the tool ran
    assert seq.output_sent("r1", "a") is None  # the service would refuse a request now
    seq.output_added("a")  # added while r2 runs: r2 did not see it
    ask, _ = seq.response_done("r2", "completed")
    assert ask is not None


def test_a_response_that_started_after_the_output_was_added_answers_it():
    seq = ResponseSequencer()
    _calling(seq, "r1", "a", "b")
    seq.response_done("r1", "completed")
    seq.output_sent("r1", "a")
    seq.output_added("a")
    seq.response_started("r2")  # r2 sees a, b is still running
    assert seq.output_sent("r1", "b") is None
    seq.output_added("b")
    ask, _ = seq.response_done("r2", "completed")
    assert ask is not None  # b was not in view of r2: ask once
    seq.response_started("r3")
    assert seq.response_done("r3", "completed") == (None, [])  # and never again


def test_outputs_all_in_view_of_a_response_need_no_request():
    seq = ResponseSequencer()
    _calling(seq, "r1", "a")
    seq.response_done("r1", "completed")
    seq.response_started("r2")
    seq.output_sent("r1", "a")
    seq.output_added("a")
    seq.response_done("r2", "completed")
    seq.response_started("r3")  # e.g. the user's speech: it sees a
    assert seq.response_done("r3", "completed") == (None, [])
    assert seq.waiting == 0


def test_one_request_at_a_time_and_the_next_response_answers_it():
    seq, ask = _asked()
    assert ask is not None
    seq.call_started("r0", "x")  # calls of a response whose start we did not see
    seq.response_done("r0", "completed")
    assert seq.output_sent("r0", "x") is None  # our request is outstanding
    seq.response_started("r2")  # the answer to our request
    second, _ = seq.response_done("r2", "completed")
    assert second is not None and second.request_id != ask.request_id  # x was not covered by the first


def test_a_request_refused_for_an_active_response_waits_for_it_then_asks_again():
    seq, ask = _asked()
    assert seq.request_refused("someone_else", ACTIVE_RESPONSE) is None
    assert seq.request_refused(ask.request_id, ACTIVE_RESPONSE) is None  # a response we did not see yet
    seq.response_started("r_vad")
    again, _ = seq.response_done("r_vad", "completed")
    assert again is not None and again.request_id != ask.request_id


def test_a_refusal_that_comes_after_the_other_response_started_is_undone():
    seq, ask = _asked()
    seq.response_started("r_vad")  # looks like ours...
    assert seq.request_refused(ask.request_id, ACTIVE_RESPONSE) is None  # ...it was not
    again, _ = seq.response_done("r_vad", "completed")
    assert again is not None


def test_a_refusal_for_another_reason_gives_up():
    seq, ask = _asked()
    assert seq.request_refused(ask.request_id, "invalid_value") is None
    seq.response_started("r2")
    assert seq.response_done("r2", "completed") == (None, [])


def test_out_of_band_responses_neither_block_nor_answer():
    seq = ResponseSequencer()
    _calling(seq, "r1", "a")
    seq.response_done("r1", "completed")
    seq.output_added("a")
    seq.response_started("oob", in_conversation=False)
    assert seq.output_sent("r1", "a") is not None


def test_refused_calls_ask_for_an_answer_without_tools():
    seq = ResponseSequencer()
    _calling(seq, "r1", "a")
    seq.refused("r1")
    seq.output_sent("r1", "a")
    ask, _ = seq.response_done("r1", "completed")
    assert ask is not None and not ask.allow_tools


def test_a_lost_connection_asks_again_only_for_what_no_response_started_to_answer():
    seq, ask = _asked()
    assert ask is not None
    seq.response_started("r2")  # the answer to the request starts, then the connection is lost
    seq.connection_lost()
    assert seq.reconnected() is None  # r2 saw the output: asking again would answer it twice

    seq, ask = _asked()
    seq.connection_lost()  # the request went out, no response started for it
    again = seq.reconnected()
    assert again is not None and again.request_id != ask.request_id
