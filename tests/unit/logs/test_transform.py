"""Log transformer processors, applied as AWS documents them."""

from __future__ import annotations

import json

import pytest

from overcast.services.logs.transform import ConfigError, check_config, transform


def run(config, message):
    check_config(config)
    out = transform(config, message)
    return None if out is None else json.loads(out)


def test_parse_json_then_json_mutators():
    config = [
        {"parseJSON": {}},
        {"addKeys": {"entries": [{"key": "env", "value": "prod"}, {"key": "lvl", "value": "x"}]}},
        {"renameKeys": {"entries": [{"key": "lvl", "renameTo": "level"}]}},
        {"copyValue": {"entries": [{"source": "user.id", "target": "uid"}]}},
        {"moveKeys": {"entries": [{"source": "secret", "target": "hidden.secret"}]}},
        {"deleteKeys": {"withKeys": ["hidden"]}},
    ]
    out = run(config, '{"lvl":"warn","user":{"id":"u1"},"secret":"s"}')
    assert out == {"user": {"id": "u1"}, "env": "prod", "level": "warn", "uid": "u1"}


def test_parse_json_into_destination_and_failure():
    assert run([{"parseJSON": {"destination": "body"}}], '{"a":1}') == {"body": {"a": 1}}
    assert run([{"parseJSON": {}}], "not json") is None


def test_string_mutators_and_type_converter():
    config = [
        {"parseKeyValue": {"fieldDelimiter": ";", "keyValueDelimiter": ":"}},
        {"upperCaseString": {"withKeys": ["a"]}},
        {"lowerCaseString": {"withKeys": ["b"]}},
        {"trimString": {"withKeys": ["c"]}},
        {"splitString": {"entries": [{"source": "d", "delimiter": ","}]}},
        {"substituteString": {"entries": [{"source": "e", "from": "[0-9]+", "to": "#"}]}},
        {"typeConverter": {"entries": [{"key": "n", "type": "integer"}, {"key": "t", "type": "boolean"}]}},
    ]
    out = run(config, "a:x;b:Y;c: pad ;d:1,2;e:ab12cd3;n:7;t:TRUE")
    assert out == {"a": "X", "b": "y", "c": "pad", "d": ["1", "2"], "e": "ab#cd#", "n": 7, "t": True}


def test_csv_grok_and_date_time():
    assert run([{"csv": {"columns": ["x", "y"]}}], '1,"two, 2"') == {"x": "1", "y": "two, 2"}
    assert run([{"csv": {}}], "a,b") == {"column_1": "a", "column_2": "b"}
    grok = [{"grok": {"match": "%{IP:client} %{WORD:method} %{URIPATHPARAM:path} %{NUMBER:bytes:int}"}}]
    assert run(grok, "10.0.0.1 GET /i?x=1 512") == {
        "client": "10.0.0.1",
        "method": "GET",
        "path": "/i?x=1",
        "bytes": 512,
    }
    dates = [
        {"parseJSON": {}},
        {
            "dateTimeConverter": {
                "source": "ts",
                "target": "iso",
                "matchPatterns": ["yyyy-MM-dd HH:mm:ss"],
                "sourceTimezone": "Europe/Paris",
            }
        },
    ]
    assert run(dates, '{"ts":"2024-01-02 03:04:05"}')["iso"] == "2024-01-02T02:04:05.000Z"


def test_list_to_map():
    config = [
        {"parseJSON": {}},
        {"listToMap": {"source": "items", "key": "k", "valueKey": "v", "flatten": True}},
    ]
    assert run(config, '{"items":[{"k":"a","v":1},{"k":"b","v":2}]}')["a"] == 1


@pytest.mark.parametrize(
    "config",
    [
        [],
        [{"addKeys": {"entries": [{"key": "a", "value": "b"}]}}],
        [{"grok": {"match": "%{WORD:a}"}}, {"grok": {"match": "%{WORD:b}"}}],
        [{"parseJSON": {}}, {"parseVPC": {}}],
        [{"grok": {"match": "%{NOSUCHPATTERN:a}"}}],
        [{"parseJSON": {}, "csv": {}}],
        [{"parseVPC": {"source": "body"}}],
    ],
)
def test_configs_aws_refuses(config):
    with pytest.raises(ConfigError):
        check_config(config)


def test_values_a_processor_cannot_take_fail_only_that_event():
    huge_time = [
        {"parseJSON": {}},
        {"dateTimeConverter": {"source": "a", "target": "b", "matchPatterns": ["UNIX_SECONDS"]}},
    ]
    assert run(huge_time, '{"a": 1e308}') is None
    infinite = [{"parseJSON": {}}, {"typeConverter": {"entries": [{"key": "a", "type": "integer"}]}}]
    assert run(infinite, '{"a": "1e400"}') is None
    assert run(infinite, '{"a": "7.9"}') == {"a": 7}
    missing_group = [
        {"parseJSON": {}},
        {"substituteString": {"entries": [{"source": "a", "from": "x", "to": "\\9"}]}},
    ]
    assert run(missing_group, '{"a": "x"}') is None
