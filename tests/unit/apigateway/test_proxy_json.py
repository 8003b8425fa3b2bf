"""The Lambda proxy integration's JSON: the event encoded compactly, the function's answer read
whatever Python's json module may have written."""

from __future__ import annotations

import json
import math

from overcast.services.apigateway.integrations import _dumps, _loads


def test_event_round_trips_through_the_functions_parser() -> None:
    event = {"path": "/ünï", "headers": {"a": "b"}, "requestContext": {"requestTimeEpoch": 1}, "body": None}
    assert json.loads(_dumps(event)) == event


def test_an_integer_wider_than_64_bits_is_still_encoded() -> None:
    event = {"requestContext": {"authorizer": {"big": 2**70}}}
    assert json.loads(_dumps(event)) == event


def test_answers_with_nan_or_infinity_are_read_as_python_writes_them() -> None:
    answer = json.dumps({"statusCode": 200, "body": "x", "headers": {"n": math.inf}}).encode()
    assert _loads(answer)["headers"]["n"] == math.inf


def test_malformed_answers_raise_value_error() -> None:
    for payload in (b"{", b"not json", b""):
        try:
            _loads(payload)
        except ValueError:
            continue
        raise AssertionError(f"{payload!r} was accepted")
