from semantic_kernel_realtime.function_calling.sequencing import ResponseSequencer


def test_one_create_after_done_and_all_outputs_whatever_the_order():
    seq = ResponseSequencer()
    seq.call_started("r1", "a")
    seq.call_started("r1", "b")
    assert seq.output_sent("r1", "a") is False
    assert seq.response_done("r1", "completed") == (False, [])  # b still running
    assert seq.output_sent("r1", "b") is True
    assert seq.output_sent("r1", "b") is False  # never twice


def test_outputs_before_done_ask_at_done():
    seq = ResponseSequencer()
    seq.call_started("r1", "a")
    assert seq.output_sent("r1", "a") is False
    assert seq.response_done("r1", "completed") == (True, [])


def test_a_response_without_calls_asks_nothing():
    assert ResponseSequencer().response_done("r9", "completed") == (False, [])


def test_cancelled_response_returns_running_calls_and_asks_nothing():
    seq = ResponseSequencer()
    seq.call_started("r1", "a")
    seq.call_started("r1", "b")
    seq.output_sent("r1", "a")
    assert seq.response_done("r1", "cancelled") == (False, ["b"])
    assert seq.output_sent("r1", "b") is False
    assert seq.is_stopped("r1")
