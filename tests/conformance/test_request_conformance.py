"""Request conformance: botocore's own serializer is the oracle for our parsers.

For every operation of every service in `services.py`, and every protocol the service speaks,
hypothesis builds inputs from the operation's input shape; botocore serializes them exactly as a
client puts them on the wire (serializer -> prepare_request_dict -> AWSRequest.prepare()); we
rebuild the HTTP request from those bytes and check that

  1. `match_operation` finds the operation again (or its wire-identical twin, see TWINS),
  2. `parse_request(validate=False)` gives back the input, after `expected()` applies what the
     wire genuinely loses (each loss named below with its reason),
  3. `parse_request(validate=True)` accepts it: the inputs are generated within the model's
     constraints, so validation must pass whenever the wire lost nothing the model requires.

What the wire genuinely loses (`Expectation`, each with its reason at the line):
  * every text form: an rfc822 (HTTP date) timestamp keeps whole seconds, and botocore writes
    header timestamps in whole seconds whatever their format;
  * query/ec2: an empty structure or map writes no field; ec2 writes nothing for an empty list
    (query writes `Name=`); list items and map values that wrote nothing are gone;
  * rest: an empty list in a header or the query string, an empty `headers` map, an empty
    blob/string payload and a top-level None are not sent; header names arrive lower-cased; an
    absent rest-json structure payload is sent as `{}`; Content-Length / Content-Type arrive
    even when the member bound to them was not set;
  * rest-xml: an empty flattened list or map writes no element; a member sharing its element
    name with a flattened list (S3's deprecated CloudFunctionConfiguration.Event) arrives in
    the list;
  * a querystring-map key equal to another query member's name overwrites it (such inputs are
    skipped with `assume`), and wire-identical operations route to one twin (TWINS).

Examples per operation: 30 by default; tests/conformance/settings.py has the knobs (e.g. 100
examples for a long run, or every service botocore ships, ~445).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import AWSRequest, prepare_request_dict
from botocore.serialize import create_serializer
from hypothesis import assume, given
from hypothesis import strategies as st

from overcast.http import Request
from overcast.protocols import match_operation, parse_request
from overcast.protocols.models import available_services, protocols_of, service_model
from overcast.protocols.parsers.rest import _SIGNING_QUERY_KEYS, _uri_query_literals
from tests.conformance.services import SERVICES
from tests.conformance.settings import SERVICES as CHOSEN_SERVICES
from tests.conformance.settings import examples, hypothesis_settings
from tests.conformance.strategies import values

EXAMPLES = examples(default=30)
ENDPOINT = "http://localhost:4566"

#: Operations left out, with the reason. Event-stream inputs are frames, not one request body
#: (none of the covered services has one today; the rule keeps new ones out until supported).
EXCLUDED: dict[tuple[str, str], str] = {}


def _excluded_reason(operation: Any) -> str | None:
    if operation.has_event_stream_input:
        return "event-stream input: a stream of frames, not a request body"
    return EXCLUDED.get((operation.service_model.service_name, operation.name))


#: Operations AWS answers at the same method, path and query as another: the router can only
#: pick one, so the other must come back as its twin. A deprecated operation loses to its
#: replacement; S3's ListDirectoryBuckets is served at the S3 Express endpoint, not path style.
TWINS = {
    ("s3", "GetBucketLifecycle"): "GetBucketLifecycleConfiguration",
    ("s3", "PutBucketLifecycle"): "PutBucketLifecycleConfiguration",
    ("s3", "GetBucketNotification"): "GetBucketNotificationConfiguration",
    ("s3", "PutBucketNotification"): "PutBucketNotificationConfiguration",
    ("s3", "ListDirectoryBuckets"): "ListBuckets",
}


def _services() -> list[str]:
    """OVERCAST_CONFORMANCE_SERVICES: "all" for every service botocore ships, or a comma list;
    default the covered services of services.py."""
    chosen = CHOSEN_SERVICES
    if chosen == "all":
        return available_services()
    return [name.strip() for name in chosen.split(",") if name.strip()] or list(SERVICES)


def _cases() -> list:
    cases = []
    for service in _services():
        model = service_model(service)
        for protocol in protocols_of(model):
            for name in model.operation_names:
                cases.append(pytest.param(service, name, protocol, id=f"{service}.{name}[{protocol}]"))
    return cases


# ---------------------------------------------------------------------------- the wire


def wire_request(operation: Any, protocol: str, params: dict) -> Request:
    """The HTTP request a botocore client sends for `params`, as the server would hand it to us."""
    serializer = create_serializer(protocol, include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url=ENDPOINT)
    prepared = AWSRequest(
        method=request_dict["method"],
        url=request_dict["url"],
        data=request_dict["body"],
        headers=request_dict["headers"],
    ).prepare()
    url = urlsplit(prepared.url)
    headers: dict[str, str] = {}
    for name, value in prepared.headers.items():
        headers[name.lower()] = value.decode("latin-1") if isinstance(value, bytes) else value
    headers["host"] = url.netloc
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return Request(prepared.method, url.path or "/", url.query, headers, body)


# ---------------------------------------------------------------------------- what survives

MISSING = object()


class Expectation:
    """What the parser must give back for an input: the input minus what the wire loses.
    `lossy` records that something the input held cannot arrive, so validation of that example
    may rightly fail (a required member that was an empty list, say)."""

    def __init__(self, protocol: str) -> None:
        self.protocol = protocol
        self.lossy = False

    def lose(self) -> object:
        self.lossy = True
        return MISSING

    # -- top level --------------------------------------------------------------------

    def input(self, operation: Any, params: dict) -> dict:
        shape = operation.input_shape
        if shape is None:
            return {}
        if self.protocol in ("query", "ec2"):
            return self.form(shape, params, top=True)
        if self.protocol == "smithy-rpc-v2-cbor":
            return params  # CBOR carries every value exactly (timestamps always epoch, tag 1)
        if self.protocol == "json":
            return self.native(shape, params)
        return self.rest(shape, params)

    def rest(self, shape: Any, params: dict) -> dict:
        out = {}
        payload = shape.serialization.get("payload")
        for name, value in params.items():
            member = shape.members[name]
            location = member.serialization.get("location")
            if value is None:
                self.lose()  # botocore's rest serializers skip a top-level None (a null document)
                continue
            if name == payload:
                kept = self.payload(member, value)
            elif location in ("uri", "querystring"):
                kept = self.text_location(member, value)
            elif location == "header":
                kept = self.header(member, value)
            elif location == "headers":
                # HTTP header names are case-insensitive: they arrive lower-cased.
                kept = {key.lower(): item for key, item in value.items()} if value else self.lose()
            elif self.protocol == "rest-xml":
                kept = self.xml(member, value)
            else:
                kept = self.native(member, value)
            if kept is not MISSING:
                out[name] = kept
        if payload is not None and payload not in params and self.protocol == "rest-json":
            member = shape.members[payload]
            if member.type_name == "structure" and not member.serialization.get("eventstream"):
                # botocore sends `{}` for an absent structure payload: it arrives as empty.
                out[payload] = {}
        return out

    def payload(self, member: Any, value: Any) -> Any:
        if member.type_name in ("blob", "string"):
            # An empty body is no body: the member cannot be told present.
            return value if value else self.lose()
        if self.protocol == "rest-xml":
            return self.xml(member, value)
        return self.native(member, value)

    def text_location(self, member: Any, value: Any) -> Any:
        if member.type_name == "list":
            if not value:
                return self.lose()  # `?a=1&a=2`: no key can say "empty list"
            return [self.timestamp(member.member, item, "iso8601") for item in value]
        if member.type_name == "map":
            kept = {}
            for key, item in value.items():
                if isinstance(item, list) and not item:
                    self.lose()
                    continue
                kept[key] = item
            return kept if kept else self.lose()
        return self.timestamp(member, value, "iso8601")

    def header(self, member: Any, value: Any) -> Any:
        if member.type_name == "list":
            if not value:
                return self.lose()  # botocore does not send a header for an empty list
            return [_seconds(item) if isinstance(item, datetime) else item for item in value]
        if member.type_name == "timestamp":
            return _seconds(value)  # botocore writes header timestamps in whole seconds
        return value

    def timestamp(self, shape: Any, value: Any, default: str) -> Any:
        if shape.type_name != "timestamp":
            return value
        if shape.serialization.get("timestampFormat", default).lower() == "rfc822":
            return _seconds(value)  # an HTTP date has whole seconds
        return value

    # -- JSON bodies --------------------------------------------------------------------

    def native(self, shape: Any, value: Any) -> Any:
        """JSON keeps every value; only a timestamp the model writes as an HTTP date is cut."""
        type_name = shape.type_name
        if type_name == "structure" and not shape.metadata.get("document"):
            return {name: self.native(shape.members[name], item) for name, item in value.items()}
        if type_name == "list":
            return [self.native(shape.member, item) for item in value]
        if type_name == "map":
            return {key: self.native(shape.value, item) for key, item in value.items()}
        return self.timestamp(shape, value, "unixtimestamp")

    # -- XML bodies ---------------------------------------------------------------------

    def xml(self, shape: Any, value: Any) -> Any:
        type_name = shape.type_name
        if type_name == "structure":
            if shape.metadata.get("document"):
                return value
            out: dict[str, Any] = {}
            lists = _flattened_list_by_element(shape)
            for name, item in value.items():
                member = shape.members[name]
                kept = self.xml(member, item)
                if kept is MISSING:
                    continue
                owner = lists.get(member.serialization.get("name", name))
                if owner is not None and owner != name:
                    # It shares its element name with a flattened list (S3's deprecated
                    # CloudFunctionConfiguration.Event beside Events): the list receives it.
                    out.setdefault(owner, []).append(kept)
                elif owner == name:
                    out.setdefault(name, []).extend(kept)
                else:
                    out[name] = kept
            return out
        if type_name == "list":
            if not value and shape.serialization.get("flattened"):
                return self.lose()  # a flattened list is its items: none, no element
            return [self.xml(shape.member, item) for item in value]
        if type_name == "map":
            if not value and shape.serialization.get("flattened"):
                return self.lose()
            return {key: self.xml(shape.value, item) for key, item in value.items()}
        return self.timestamp(shape, value, "iso8601")

    # -- query / ec2 forms ----------------------------------------------------------------

    def form(self, shape: Any, value: Any, top: bool = False) -> Any:
        type_name = shape.type_name
        if type_name == "structure":
            out = {}
            for name, item in value.items():
                kept = self.form(shape.members[name], item)
                if kept is not MISSING:
                    out[name] = kept
            if not out and not top:
                return self.lose()  # an empty structure writes no field: it cannot arrive
            return out
        if type_name == "list":
            if not value:
                # query writes `Name=` for an empty list; ec2 writes nothing.
                return [] if self.protocol == "query" else self.lose()
            items = [self.form(shape.member, item) for item in value]
            kept = [item for item in items if item is not MISSING]
            return kept if kept else self.lose()
        if type_name == "map":
            if not value:
                return self.lose()  # no entries, no fields
            kept = {}
            for key, item in value.items():
                item = self.form(shape.value, item)
                if item is not MISSING:
                    kept[key] = item
            return kept
        return self.timestamp(shape, value, "iso8601")


def _flattened_list_by_element(shape: Any) -> dict[str, str]:
    return {
        member.serialization.get("name", name): name
        for name, member in shape.members.items()
        if member.type_name == "list" and member.serialization.get("flattened")
    }


def _seconds(value: datetime) -> datetime:
    return value.replace(microsecond=0)


# ---------------------------------------------------------------------------- the test


def _query_map_collides(operation: Any, params: dict) -> bool:
    """A map-of-querystring key equal to another member's query key (or one the requestUri or
    signing uses) overwrites it on the wire: botocore merges the map into the query string."""
    shape = operation.input_shape
    if shape is None:
        return False
    claimed = set(_uri_query_literals(operation.http.get("requestUri", ""))) | _SIGNING_QUERY_KEYS
    maps = []
    for name, member in shape.members.items():
        if member.serialization.get("location") != "querystring":
            continue
        if member.type_name == "map":
            maps.append(name)
        else:
            claimed.add(member.serialization.get("name", name))
    return any(key in claimed for name in maps for key in params.get(name, {}))


#: Headers the client library writes on its own: Content-Length on every request with a body,
#: Content-Type (application/json) on a rest-json body.
TRANSPORT_HEADERS = ("content-length", "content-type")


def _add_transport_headers(operation: Any, request: Request, params: dict, expected: dict) -> None:
    """A member bound to a transport header (S3's ContentLength, a rest-json contentType) that
    the client did not set still arrives: the server sees the transport's value."""
    shape = operation.input_shape
    if shape is None or operation.service_model.protocol not in ("rest-json", "rest-xml"):
        return
    for name, member in shape.members.items():
        if member.serialization.get("location") != "header" or name in params:
            continue
        header = member.serialization.get("name", "").lower()
        if header in TRANSPORT_HEADERS and header in request.headers:
            value = request.headers[header]
            expected[name] = int(value) if member.type_name in ("integer", "long") else value


def _strategy(operation: Any) -> Any:
    shape = operation.input_shape
    if shape is None:
        return st.just({})
    return values(shape, "input")


@pytest.mark.parametrize(("service", "operation_name", "protocol"), _cases())
def test_request_round_trip(service: str, operation_name: str, protocol: str) -> None:
    model = service_model(service)
    operation = model.operation_model(operation_name)
    reason = _excluded_reason(operation)
    if reason:
        pytest.skip(reason)
    expected_name = TWINS.get((service, operation_name), operation_name)

    @hypothesis_settings(EXAMPLES)
    @given(_strategy(operation))
    def check(params: dict) -> None:
        assume(not _query_map_collides(operation, params))
        request = wire_request(operation, protocol, params)

        matched, uri_params = match_operation(model, protocol, request)
        assert matched.name == expected_name, f"routed to {matched.name}"
        # A twin is parsed as the operation the client meant: the router cannot know it.
        matched = operation

        expectation = Expectation(protocol)
        expected = expectation.input(operation, params)
        _add_transport_headers(operation, request, params, expected)
        parsed = parse_request(matched, protocol, request, uri_params, validate=False)
        assert parsed == expected

        if not expectation.lossy:
            parse_request(matched, protocol, request, uri_params, validate=True)

    check()
