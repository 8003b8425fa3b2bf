"""The filter expression language: what each keyword reads, the complex keywords' scopes,
precedence, and the expressions X-Ray refuses."""

from __future__ import annotations

import pytest

from overcast.services.xray.filters import FilterError, View, compile_filter

TRACE = View(
    responsetime=2.0,
    duration=3.0,
    http={"status": 500.0, "url": "https://shop.example/cart", "method": "GET", "useragent": "curl/8"},
    flags={"fault": True, "error": False, "throttle": False, "partial": False},
    annotations={"flow": ["checkout"], "items": [3.0], "vip": [True]},
    users=["alice"],
    services={
        ("api", "AWS::Lambda"): View(responsetime=1.0, flags={"error": True}, name="api", type="AWS::Lambda")
    },
    edges={(("api", "AWS::Lambda"), ("DynamoDB", "AWS::DynamoDB::Table")): View(responsetime=0.25)},
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("responsetime > 1", True),
        ("duration <= 2", False),
        ("fault", True),
        ("fault = false", False),
        ("!fault", False),
        ("ok", False),
        ("http.status = 500", True),
        ("http.status != 500", False),
        ('http.url BEGINSWITH "https://shop"', True),
        ('http.url ENDSWITH "/cart"', True),
        ('http.useragent CONTAINS "curl"', True),
        ('user = "alice"', True),
        ('annotation.flow = "checkout"', True),
        ("annotation.items >= 3", True),
        ("annotation.vip = true", True),
        ("annotation.missing", False),
        ('service("api")', True),
        ('service("api") { error }', True),
        ('service("api") { fault }', False),
        ('service(id(name: "api", type: "AWS::Lambda"))', True),
        ('service(id(type: "AWS::EC2::Instance"))', False),
        ('edge("api", "DynamoDB") { responsetime < 0.5 }', True),
        ('edge("api", "S3")', False),
        ("fault AND responsetime > 5 OR duration > 1", True),
        ("fault AND (responsetime > 5 OR duration > 10)", False),
        ("(fault || error) && !throttle", True),
        ("not fault or error", False),
    ],
)
def test_expressions(expression, expected):
    assert compile_filter(expression)(TRACE) is expected


@pytest.mark.parametrize(
    "expression",
    [
        "responsetime >",
        "nosuch = 1",
        'http.status = "x"',
        "responsetime",
        'service("a"',
        "fault = 3",
        "edge()",
    ],
)
def test_refused(expression):
    with pytest.raises(FilterError):
        compile_filter(expression)
