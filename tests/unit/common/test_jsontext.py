"""The bounded JSON parser for client-written documents."""

from __future__ import annotations

import json

import pytest

from overcast.common import jsontext


def test_documents_within_the_bound_parse_as_json_loads_does() -> None:
    document = '{"a": [1, {"b": "[[[[ not brackets ]]]]"}], "c": "\\"{"}'
    assert jsontext.loads(document) == json.loads(document)
    assert jsontext.loads(document.encode()) == json.loads(document)
    nested = "[" * 100 + "]" * 100
    assert jsontext.loads(nested) == json.loads(nested)


@pytest.mark.parametrize("depth", [101, 10_000, 1_000_000])
def test_deeper_documents_are_refused_as_malformed_json(depth: int) -> None:
    with pytest.raises(json.JSONDecodeError, match="nested deeper than 100"):
        jsontext.loads('{"a":' + "[" * depth + "]" * depth + "}")


def test_the_bound_is_the_callers() -> None:
    nested = "[" * 300 + "]" * 300
    assert jsontext.loads(nested, jsontext.MAX_PAYLOAD_DEPTH) == json.loads(nested)
    with pytest.raises(jsontext.TooDeep):
        jsontext.loads(nested)


def test_brackets_inside_strings_do_not_count() -> None:
    assert jsontext.nesting('["' + "[" * 500 + '"]') == 1
    assert jsontext.nesting('["\\\\", [["x"]]]') == 3


def test_unclosed_documents_are_still_malformed() -> None:
    with pytest.raises(json.JSONDecodeError):
        jsontext.loads("[" * 50)
    with pytest.raises(ValueError):
        jsontext.loads(b"\xff{}")


def test_bytes_decode_as_json_loads_decodes_them() -> None:
    for data in (b'\xef\xbb\xbf{"a": 1}', '{"a": 1}'.encode("utf-16"), b'{"a": "\xc3\xa9"}'):
        assert jsontext.loads(data) == json.loads(data)


def test_an_encoded_lone_surrogate_is_no_text() -> None:
    with pytest.raises(ValueError):
        jsontext.loads(b'{"a": "\xed\xb2\x80"}')
