"""Filter pattern semantics, case by case."""

import json

import pytest

from overcast.services.logs.patterns import PatternError, compile_pattern

CASES = [
    ("", "anything", True),
    ("ERROR", "an ERROR here", True),
    ("ERROR", "an error here", False),  # case-sensitive
    ("ERROR Exception", "ERROR without the other", False),
    ("ERROR Exception", "Exception and ERROR", True),
    ('"Bad Request"', "got a Bad Request back", True),
    ("?ERROR ?WARN", "a WARN line", True),
    ("?ERROR ?WARN", "an INFO line", False),
    ("ERROR -timeout", "ERROR timeout", False),
    ("ERR*", "ERRNO 5", True),
    ("%ab+c%", "xabbbc", True),
    ("{ $.a = 1 }", json.dumps({"a": 1}), True),
    ("{ $.a = 1 }", json.dumps({"a": "1"}), True),
    ('{ $.a = "x*" }', json.dumps({"a": "xyz"}), True),
    ('{ $.a != "x" }', json.dumps({"a": "y"}), True),
    ('{ $.a != "x" }', json.dumps({"b": "y"}), False),
    ("{ $.list[1] = 2 }", json.dumps({"list": [1, 2]}), True),
    ("{ $.ok IS TRUE }", json.dumps({"ok": True}), True),
    ("{ $.v IS NULL }", json.dumps({"v": None}), True),
    ("{ ($.a = 1 || $.b = 2) && $.c >= 3 }", json.dumps({"b": 2, "c": 3}), True),
    ("{ $.a = 1 }", "not json", False),
    ("[a, b = 2*, c]", "x 200 z", True),
    ("[a, b = 2*, c]", "x 500 z", False),
    ("[a, b != 200, ...]", "x 404 more stuff", True),
    (
        '[ip, user, ts, request = "*GET*", status]',
        '1.2.3.4 - [10/Oct/2000:13:55:36] "GET /a HTTP/1.0" 200',
        True,
    ),
    ("[a, b > 10 || b < 2, c]", "x 1 z", True),
    ("[a, b > 1 && b < 5, c]", "x 9 z", False),
]


@pytest.mark.parametrize("pattern,message,expected", CASES)
def test_pattern(pattern, message, expected):
    assert compile_pattern(pattern)(message) is expected


@pytest.mark.parametrize("pattern", ["{ $.a = ", "{ a = 1 }", "[a, b = ", '"unterminated'])
def test_invalid_patterns(pattern):
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_extracted_values_of_space_delimited_fields():
    from overcast.services.logs.patterns import extracted_values

    line = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534'
    pattern = "[ip, identity, user_id, timestamp, request, status_code = 404, size]"
    assert extracted_values(pattern, line) == {
        "$ip": "127.0.0.1",
        "$identity": "-",
        "$user_id": "frank",
        "$timestamp": "10/Oct/2000:13:25:15 -0700",
        "$request": "GET /apache_pb.gif HTTP/1.0",
        "$status_code": "404",
        "$size": "1534",
    }
    assert extracted_values("[ip, ..., status = 404, size]", "1.2.3.4 a b 404 12") == {
        "$ip": "1.2.3.4",
        "$status": "404",
        "$size": "12",
    }
    assert extracted_values("[ip, status = 500]", "1.2.3.4 404") == {}
    assert extracted_values("{ $.a = 1 }", '{"a": 1}') == {}
