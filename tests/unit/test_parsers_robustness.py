"""Bad input never escapes as a traceback: whatever arrives, matching and parsing either succeed
or raise the protocol's ServiceError. Requests start as valid ones (botocore's bytes for
generated inputs) and are then damaged: bytes of the body flipped, cut or replaced, query
values and headers garbled."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from overcast.errors import ServiceError
from overcast.http import Request
from overcast.protocols import match_operation, parse_request
from overcast.protocols.models import service_model
from tests.conformance.strategies import values
from tests.conformance.test_request_conformance import wire_request

#: A few services per protocol, the ones with the most intricate inputs.
SAMPLE = [
    ("sts", "query"),
    ("sns", "query"),
    ("sqs", "query"),
    ("ec2", "ec2"),
    ("dynamodb", "json"),
    ("cloudwatch", "json"),
    ("lambda", "rest-json"),
    ("apigateway", "rest-json"),
    ("s3", "rest-xml"),
    ("route53", "rest-xml"),
    ("cloudwatch", "smithy-rpc-v2-cbor"),
]

GARBAGE = st.sampled_from(
    [
        "",
        "x",
        "-1",
        "1e400",
        "NaN",
        "nan",
        "1_0",
        "\u0661",
        "%zz",
        "{",
        "[]",
        "null",
        "true",
        "AAA=",
        "9" * 40,
    ]
)


@st.composite
def damaged_requests(draw: st.DrawFn) -> tuple:
    service, protocol = draw(st.sampled_from(SAMPLE))
    model = service_model(service)
    operation = model.operation_model(draw(st.sampled_from(sorted(model.operation_names))))
    params = draw(values(operation.input_shape, "input")) if operation.input_shape is not None else {}
    request = wire_request(operation, protocol, params)
    body, query, headers = request.body, request.query_string, dict(request.headers)
    damage = draw(st.sampled_from(["body-bytes", "body-cut", "body-junk", "query", "headers", "none"]))
    if damage == "body-bytes" and body:
        position = draw(st.integers(0, len(body) - 1))
        body = body[:position] + bytes([draw(st.integers(0, 255))]) + body[position + 1 :]
    elif damage == "body-cut" and body:
        body = body[: draw(st.integers(0, len(body) - 1))]
    elif damage == "body-junk":
        body = draw(st.binary(max_size=64))
    elif damage == "query" and query:
        pairs = query.split("&")
        index = draw(st.integers(0, len(pairs) - 1))
        key = pairs[index].partition("=")[0]
        pairs[index] = f"{key}={draw(GARBAGE)}"
        query = "&".join(pairs)
    elif damage == "headers":
        for name in list(headers):
            if name not in ("host", "x-amz-target") and draw(st.booleans()):
                headers[name] = draw(GARBAGE)
    if protocol in ("query", "ec2") and damage in ("body-bytes", "body-cut", "body-junk"):
        # Keep the action findable so the damage reaches the parser, not just the router.
        body = body + b"&Action=" + operation.name.encode()
    return model, protocol, Request(request.method, request.raw_path, query, headers, body)


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(damaged_requests())
def test_damaged_requests_give_service_errors(case: tuple) -> None:
    model, protocol, request = case
    try:
        operation, uri_params = match_operation(model, protocol, request)
        parse_request(operation, protocol, request, uri_params, validate=True)
    except ServiceError as error:
        assert 400 <= error.status < 500
        assert error.code
