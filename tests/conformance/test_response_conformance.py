"""Response conformance: our serializer → botocore's own response parser gives the output back.

For every operation of every covered service (tests/conformance/services.py), in every
protocol the service answers, hypothesis generates output dicts from the output shape; each is
serialized with `serialize_response` and the response is parsed the way botocore's client does
(`endpoint.convert_to_response_dict` + `parsers.create_parser(protocol).parse`): header names
lower-cased as uvicorn sends them, a blob payload wrapped in a `StreamingBody`, HEAD bodies
dropped as the server drops them, S3 GetBucketLocation finished by botocore's handler. Errors
are checked per service and protocol: every modelled error shape with generated fields, plus
generic errors, parsed the way the client does (generic parse, then the modelled shape found by
code) for Code, Message, Type, status, request id and fields.

Examples per case: 10 by default (the ~3,450 cases take about a minute with `-n 2`; 30 take
about two and a half); tests/conformance/settings.py has the knobs.

What the wire genuinely cannot carry is normalised in `expected()` (each rule says why), and
what a provider must not produce (a status outside 2xx, header names that are not HTTP tokens)
is removed from the generated value in `sendable()` before serializing.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from botocore.awsrequest import HeadersDict
from botocore.handlers import parse_get_bucket_location
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from hypothesis import given
from hypothesis import strategies as st

from overcast.context import RequestContext
from overcast.errors import ServiceError, internal_error, not_implemented, validation_error
from overcast.http import Request
from overcast.protocols.models import protocols_of, query_model, service_model
from overcast.protocols.serializers import serialize_error, serialize_response
from overcast.protocols.serializers.xml import member_tag
from tests.conformance.services import SERVICES
from tests.conformance.settings import examples, hypothesis_settings
from tests.conformance.strategies import BODY_TEXT, values

EXAMPLES = examples(default=10)
REQUEST_ID = "8f3c1a52-4d7e-4b1a-9c0e-1f2e3d4c5b6a"
XML_PROTOCOLS = ("query", "ec2", "rest-xml")
HTTP_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

#: Outputs this test cannot check, and why.
EXCLUDED_REASONS = {
    "eventstream": "output is an AWS event stream (binary framed events), which botocore parses "
    "with its EventStream reader from a live socket, not with the protocol parser",
}


def _exclusion(operation) -> str | None:
    shape = operation.output_shape
    if shape is not None and shape.event_stream_name:
        return "eventstream"
    return None


def _cases():
    cases, excluded = [], []
    for service in SERVICES:
        model = service_model(service)
        for protocol in protocols_of(model):
            for name in model.operation_names:
                case = pytest.param(service, name, protocol, id=f"{service}.{name}.{protocol}")
                if _exclusion(model.operation_model(name)):
                    excluded.append((service, name, protocol))
                else:
                    cases.append(case)
    return cases, excluded


CASES, EXCLUDED = _cases()


def _context(operation=None) -> RequestContext:
    method = operation.http.get("method", "POST") if operation is not None else "POST"
    return RequestContext(request=Request(method, "/", "", {}), request_id=REQUEST_ID)


# ---------------------------------------------------------------------------------------------
# The client side, as botocore's endpoint does it.


def _wire(operation, response) -> tuple[dict, bytes]:
    """The response as botocore receives it through uvicorn and urllib3."""
    headers = HeadersDict({name.lower(): str(value) for name, value in response.headers.items()})
    body = response.body
    if not isinstance(body, (bytes, bytearray)):
        body = b"".join(body.read() if hasattr(body, "read") else list(body))
    if operation is not None and operation.http.get("method") == "HEAD":
        body = b""  # the server sends no body to a HEAD request
    if "content-length" not in headers:
        headers["content-length"] = str(len(body))  # what the server adds
    return headers, bytes(body)


def botocore_parse(operation, protocol: str, response) -> dict:
    headers, body = _wire(operation, response)
    response_dict = {
        "headers": headers,
        "status_code": response.status,
        "context": {"operation_name": operation.name},
    }
    if response.status < 300 and operation.has_streaming_output:
        response_dict["body"] = StreamingBody(io.BytesIO(body), headers.get("content-length"))
    else:
        response_dict["body"] = body
    parsed = create_parser(protocol).parse(response_dict, operation.output_shape)
    if operation.service_model.service_name == "s3" and operation.name == "GetBucketLocation":
        parse_get_bucket_location(parsed, _FakeHttpResponse(body))
    payload = operation.get_streaming_output()
    if payload is not None:
        name = operation.output_shape.serialization["payload"]
        if isinstance(parsed.get(name), StreamingBody):
            parsed[name] = parsed[name].read()
    return parsed


class _FakeHttpResponse:
    def __init__(self, content: bytes) -> None:
        self.content = content
        self.raw = io.BytesIO(content)


# ---------------------------------------------------------------------------------------------
# What may be sent, and what comes back.


def sendable(operation, protocol: str, output: dict) -> dict:
    """Removes from a generated output what no provider may return."""
    shape = operation.output_shape
    output = dict(output)
    for name, member in shape.members.items():
        if name not in output:
            continue
        location = member.serialization.get("location")
        value = output[name]
        if location == "statusCode":
            # A success must have a 2xx status (botocore parses >= 300 as an error); 204 and 205
            # cannot carry the body members the same output may hold.
            output[name] = (200, 201, 202, 203)[value % 4]
        elif location == "headers":
            # Header names are HTTP tokens; anything else is rejected by the server.
            output[name] = {k: v for k, v in value.items() if k and set(k) <= HTTP_TOKEN}
        elif location == "header" and member.type_name == "list":
            # botocore splits list headers on every comma, quoted or not, and an empty list
            # is an empty header it reads as [""]: only comma-free items in non-empty lists
            # survive it.
            items = [item for item in value if not (isinstance(item, str) and ("," in item or '"' in item))]
            if items:
                output[name] = items
            else:
                del output[name]
        elif _empty_union(member, value):
            del output[name]
        else:
            output[name] = _valid(member, protocol, value)
    payload = operation.get_streaming_output()
    if payload is not None:
        payload_name = shape.serialization["payload"]
        for name, member in shape.members.items():
            if member.serialization.get("name", "").lower() == "content-length":
                # Content-Length describes the streamed body: botocore checks it while reading.
                output[name] = len(output.get(payload_name) or b"")
    return output


def _shared_elements(shape) -> dict[str, list[str]]:
    """Members of an XML structure written under the same element name, grouped by it (S3's
    deprecated notification configurations have both `Event` and a flattened `Events` of
    `<Event>`s)."""
    groups: dict[str, list[str]] = {}
    for name, member in shape.members.items():
        if not member.serialization.get("location") and not member.serialization.get("xmlAttribute"):
            groups.setdefault(member_tag(name, member), []).append(name)
    return {tag: names for tag, names in groups.items() if len(names) > 1}


def _valid(shape, protocol: str, value):
    """`value` without what no provider may return, found at any depth:

    * a union with no member set (the strategy's fallback at its depth limit): a union holds
      exactly one member, and botocore rejects anything else;
    * in XML, members sharing an element name: botocore reads every such element into each of
      them (and several into a scalar member as a list of nodes), so only the list member may
      be set, with at most one item."""
    type_name = shape.type_name
    if type_name == "structure" and not shape.metadata.get("document"):
        value = {
            name: _valid(shape.members[name], protocol, v)
            for name, v in value.items()
            if not _empty_union(shape.members[name], v)
        }
        if protocol in XML_PROTOCOLS:
            for names in _shared_elements(shape).values():
                keep = next((n for n in names if shape.members[n].type_name == "list"), names[0])
                for name in names:
                    if name != keep:
                        value.pop(name, None)
                if keep in value and isinstance(value[keep], list):
                    value[keep] = value[keep][:1]
        return value
    if type_name == "list":
        return [
            _valid(shape.member, protocol, item) for item in value if not _empty_union(shape.member, item)
        ]
    if type_name == "map":
        return {
            k: _valid(shape.value, protocol, v) for k, v in value.items() if not _empty_union(shape.value, v)
        }
    return value


def _empty_union(shape, value) -> bool:
    return shape.type_name == "structure" and bool(shape.metadata.get("union")) and value == {}


def expected(operation, protocol: str, output: dict, content_length: int, content_type: str | None) -> dict:
    """What botocore can give back for `output`, with each loss the wire forces."""
    shape = operation.output_shape
    method = operation.http.get("method")
    result = {}
    status_member = None
    for name, value in output.items():
        member = shape.members[name]
        location = member.serialization.get("location")
        if value is None:
            continue  # absent and null are the same on every wire
        if location == "statusCode":
            status_member = name
        elif location == "header":
            if (
                member.type_name == "timestamp"
                and member.serialization.get("timestampFormat", "rfc822") == "rfc822"
            ):
                value = _whole_seconds(value)  # an HTTP date has no fraction of a second
            elif member.type_name == "list":
                value = [_expect(member.member, protocol, item) for item in value]
        elif location == "headers":
            # uvicorn sends header names lower-cased, and the prefix map's keys with them.
            value = {k.lower(): v for k, v in value.items()}
        elif method == "HEAD":
            continue  # a HEAD response has no body
        else:
            value = _expect(member, protocol, value)
            if value is _ABSENT:
                continue
        result[name] = value
    payload = shape.serialization.get("payload")
    if payload is not None and payload not in result and protocol.startswith("rest") and method != "HEAD":
        # An absent payload is an empty body, which botocore reads as an empty value.
        member = shape.members[payload]
        if not member.serialization.get("eventstream"):
            result[payload] = {"blob": b"", "string": ""}.get(member.type_name, {})
    for name, member in shape.members.items():
        if name in result:
            continue
        location = member.serialization.get("location")
        if location == "statusCode":
            # botocore always reports the status code; without the member it is the default.
            result[name] = operation.http.get("responseCode", 200)
        elif location == "headers":
            result[name] = {}  # botocore always reports a prefix map, empty or not
        elif location == "header" and member.serialization.get("name", "").lower() == "content-length":
            result[name] = content_length  # the server always sends it
        elif location == "header" and member.serialization.get("name", "").lower() == "content-type":
            if content_type is not None:
                result[name] = content_type  # a body always says what it is
    if status_member is not None:
        result[status_member] = output[status_member]
    if operation.service_model.service_name == "s3" and operation.name == "GetBucketLocation":
        # The document is the one element; an empty one reads as None (us-east-1).
        result["LocationConstraint"] = output.get("LocationConstraint") or None
    return result


_ABSENT = object()


def _expect(shape, protocol: str, value):
    type_name = shape.type_name
    xml = protocol in XML_PROTOCOLS
    if type_name == "structure":
        if shape.metadata.get("document"):
            return _document(value, protocol)
        out = {}
        for name, member_value in value.items():
            if member_value is None:
                continue
            converted = _expect(shape.members[name], protocol, member_value)
            if converted is not _ABSENT:
                out[name] = converted
        if xml:
            for names in _shared_elements(shape).values():
                # The one list item also reads as the scalar members sharing its element.
                items = [item for n in names for item in (out.get(n) or []) if isinstance(out.get(n), list)]
                for n in names:
                    if items:
                        out[n] = items if shape.members[n].type_name == "list" else items[0]
        return out
    if type_name == "list":
        if xml and not value and shape.serialization.get("flattened"):
            return _ABSENT  # a flattened list is its repeated elements: none, no member
        return [_expect(shape.member, protocol, item) for item in value]
    if type_name == "map":
        if xml and not value and shape.serialization.get("flattened"):
            return _ABSENT  # likewise for a flattened map
        return {k: _expect(shape.value, protocol, v) for k, v in value.items()}
    if type_name == "timestamp":
        return _instant(value)
    return value


def _document(value, protocol: str):
    if value is None:
        return _ABSENT  # a null document member is indistinguishable from an absent one
    if protocol == "smithy-rpc-v2-cbor" and isinstance(value, dict):
        # botocore's CBOR decoder drops null map entries everywhere.
        return {k: _document(v, protocol) for k, v in value.items() if v is not None}
    return value


def _instant(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(value, UTC)


def _whole_seconds(value) -> datetime:
    return _instant(value).replace(microsecond=0)


# ---------------------------------------------------------------------------------------------
# Outputs.


def check_output(server_operation, protocol: str, output: dict) -> None:
    """`server_operation` is what the dispatcher hands the serializer (the current model's);
    the client parses with the model it was built from."""
    operation = _client_model(server_operation.service_model, protocol).operation_model(server_operation.name)
    output = sendable(operation, protocol, output)
    response = serialize_response(server_operation, protocol, output, _context(operation))
    parsed = botocore_parse(operation, protocol, response)
    metadata = parsed.pop("ResponseMetadata")
    assert metadata.get("RequestId") == REQUEST_ID, metadata
    headers = _wire(operation, response)[0]
    want = expected(operation, protocol, output, int(headers["content-length"]), headers.get("content-type"))
    assert parsed == want, response.body[:2000]


@pytest.mark.parametrize("service, operation, protocol", CASES)
def test_output_roundtrip(service: str, operation: str, protocol: str) -> None:
    operation_model = service_model(service).operation_model(operation)
    shape = operation_model.output_shape
    if shape is None:
        check_output_none(operation_model, protocol)
        return

    @hypothesis_settings(EXAMPLES)
    @given(values(shape, "output"))
    def roundtrip(output):
        check_output(operation_model, protocol, output)

    roundtrip()


def check_output_none(operation, protocol: str) -> None:
    response = serialize_response(operation, protocol, {}, _context(operation))
    assert response.status < 300
    parsed = botocore_parse(operation, protocol, response)
    if protocol == "smithy-rpc-v2-cbor":
        # botocore's RPCv2 parser fills ResponseMetadata only for operations with an output.
        assert response.headers["x-amzn-RequestId"] == REQUEST_ID
    else:
        assert parsed["ResponseMetadata"].get("RequestId") == REQUEST_ID
    assert set(parsed) == {"ResponseMetadata"}


def test_exclusions_are_few() -> None:
    """The excluded operations are exactly those with event-stream outputs."""
    assert all(_exclusion(service_model(s).operation_model(o)) in EXCLUDED_REASONS for s, o, _ in EXCLUDED)
    assert len(EXCLUDED) < 20, EXCLUDED


# ---------------------------------------------------------------------------------------------
# Errors.

ERROR_CASES = [
    pytest.param(service, protocol, id=f"{service}.{protocol}")
    for service in SERVICES
    for protocol in protocols_of(service_model(service))
]


def _client_model(model, protocol: str):
    """The model the client that speaks `protocol` was built from."""
    return query_model(model) if protocol == "query" else model


def _probe_operation(model):
    """An operation whose (non-HEAD) response the errors are parsed against."""
    for name in model.operation_names:
        operation = model.operation_model(name)
        if operation.http.get("method") != "HEAD" and not _exclusion(operation):
            return operation
    raise AssertionError("no operation to probe")


def client_error(model, protocol: str, response) -> dict:
    """botocore's client view of an error response: generic parse, then the modelled shape's
    fields (endpoint._add_modeled_error_fields), then SQS's QueryErrorCode override."""
    client_model = _client_model(model, protocol)
    operation = _probe_operation(client_model)
    headers, body = _wire(operation, response)
    response_dict = {
        "headers": headers,
        "status_code": response.status,
        "body": body,
        "context": {"operation_name": operation.name},
    }
    parser = create_parser(protocol)
    parsed = parser.parse(response_dict, operation.output_shape)
    shape = client_model.shape_for_error_code(parsed["Error"]["Code"])
    if shape is not None:
        parsed.update(parser.parse(response_dict, shape))
    return parsed


def _wire_codes(model, protocol: str, shape) -> tuple[str, str | None]:
    """(Error.Code, Error.QueryErrorCode) a client of `protocol` sees for a modelled error."""
    query_shape = query_model(model).shape_for(shape.name)
    if protocol in XML_PROTOCOLS:
        return _client_model(model, protocol).shape_for(shape.name).error_code, None
    if "awsQueryCompatible" in model.metadata:
        return query_shape.error_code, shape.name
    return shape.name, None


def _wire_message(protocol: str, message: str) -> str | None:
    # botocore reads an XML error's elements as text, and an empty element's text is None.
    return message if message or protocol not in XML_PROTOCOLS else None


def _message_member(shape) -> str | None:
    return next((name for name in shape.members if name.lower() == "message"), None)


@pytest.mark.parametrize("service, protocol", ERROR_CASES)
def test_modelled_errors(service: str, protocol: str) -> None:
    model = service_model(service)
    shapes = model.error_shapes
    if not shapes:
        pytest.skip(f"{service} models no errors")

    @hypothesis_settings(max(1, EXAMPLES // 2))
    @given(st.data())
    def roundtrip(data):
        for shape in shapes:
            fields = data.draw(values(shape, "output"), label=shape.name)
            message = data.draw(st.text(BODY_TEXT, max_size=20), label="message")
            check_modelled_error(model, protocol, shape, message, fields)

    roundtrip()


def check_modelled_error(model, protocol: str, shape, message: str, fields: dict) -> None:
    message_member = _message_member(shape)
    fields = {k: v for k, v in fields.items() if k != message_member}
    for name, member in shape.members.items():
        if member.serialization.get("location") == "headers" and name in fields:
            fields[name] = {k: v for k, v in fields[name].items() if k and set(k) <= HTTP_TOKEN}
    error = ServiceError(shape.name, message, **fields)
    response = serialize_error(model, None, protocol, error, _context())
    parsed = client_error(model, protocol, response)
    code, query_error_code = _wire_codes(model, protocol, shape)
    modelled_status = (query_model(model).shape_for(shape.name).metadata.get("error") or {}).get(
        "httpStatusCode"
    )
    assert response.status == (modelled_status or 400)
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"].get("QueryErrorCode") == query_error_code
    assert parsed["Error"]["Message"] == _wire_message(protocol, message)
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    # Fields come back through the modelled parse, which only runs when the client's model maps
    # the code to the shape (SQS's JSON model has no query codes: botocore drops them too).
    if _client_model(model, protocol).shape_for_error_code(code) is not None:
        for name, value in fields.items():
            member = shape.members[name]
            if member.serialization.get("location") == "headers":
                want = {k.lower(): v for k, v in value.items()}
            elif member.serialization.get("location") == "header" and member.type_name == "timestamp":
                want = _whole_seconds(value)
            else:
                want = _expect(member, protocol, value)
            if want is _ABSENT:
                assert name not in parsed
            else:
                assert parsed.get(name) == want, (name, response.body)


GENERIC_ERRORS = [
    ServiceError("InvalidParameterValue", 'Value <x> & "y" for parameter is invalid.'),
    ServiceError("ThrottlingException", "Rate exceeded", 400),
    ServiceError("AccessDenied", "User is not authorized", 403),
    validation_error("1 validation error detected: Value null at 'name' failed to satisfy constraint"),
    internal_error(),
    not_implemented("svc", "Operation"),
]


@pytest.mark.parametrize("service, protocol", ERROR_CASES)
@pytest.mark.parametrize("error", GENERIC_ERRORS, ids=lambda e: e.code)
def test_generic_errors(service: str, protocol: str, error: ServiceError) -> None:
    model = service_model(service)
    response = serialize_error(model, None, protocol, error, _context())
    parsed = client_error(model, protocol, response)
    modelled = query_model(model).shape_for_error_code(error.code) or _shape_named(model, error.code)
    if modelled is None:
        assert response.status == error.status
        assert parsed["Error"]["Code"] == error.code
    assert parsed["Error"]["Message"] == error.message
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    if protocol in ("query",) or (protocol == "rest-xml" and service != "s3"):
        assert parsed["Error"]["Type"] == (
            "Sender" if error.sender_fault and error.status < 500 else "Receiver"
        )


def _shape_named(model, name: str):
    return next((shape for shape in model.error_shapes if shape.name == name), None)
