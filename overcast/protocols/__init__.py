"""The protocol layer: every AWS wire protocol, driven by botocore's service models.

No service builds XML, JSON or CBOR itself. The request side lives in `parsers/` (with
`operations.py` to find the operation and `validation.py` to check input against the model),
the response side in `serializers/`. The functions below are the whole interface the server uses.

Values crossing this boundary are what a botocore client passes and receives: structures are
dicts keyed by member name, lists are lists, maps are dicts, blobs are bytes, timestamps are
timezone-aware `datetime`s, integers/longs are int, floats/doubles are float, booleans bool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.protocols.models import protocols_of, service_model, unrouted_operation
from overcast.protocols.operations import match_operation
from overcast.protocols.parsers import parse_request
from overcast.protocols.serializers import serialize_error, serialize_response

if TYPE_CHECKING:
    from botocore.model import ServiceModel

    from overcast.http import Request

__all__ = [
    "detect_protocol",
    "match_operation",
    "parse_request",
    "protocols_of",
    "serialize_error",
    "serialize_response",
    "service_model",
    "streams_input",
    "unrouted_operation",
]


def streams_input(operation) -> bool:
    """Whether the operation's input payload is a streaming blob (its body may arrive as a
    BodyStream rather than bytes)."""
    shape = operation.input_shape
    if shape is None:
        return False
    payload = shape.serialization.get("payload")
    if payload is None:
        return False
    member = shape.members[payload]
    return member.type_name == "blob" and bool(
        member.serialization.get("streaming") or member.metadata.get("streaming")
    )


#: The content type of the JSON protocol's CBOR variant (the Java SDKs' default for Kinesis).
JSON_CBOR_TYPE = "application/x-amz-cbor-1.1"


def detect_protocol(model: ServiceModel, request: Request) -> str:
    """The protocol this client spoke, among those the service answers."""
    protocols = protocols_of(model)
    headers = request.headers
    if protocols[0] == "json" and headers.get("content-type", "").startswith(JSON_CBOR_TYPE):
        # The JSON protocol with CBOR bodies, which the Java SDKs speak to Kinesis.
        return "json-cbor"
    if len(protocols) == 1:
        return protocols[0]
    if "smithy-protocol" in headers and "smithy-rpc-v2-cbor" in protocols:
        return "smithy-rpc-v2-cbor"
    if "x-amz-target" in headers and "json" in protocols:
        return "json"
    content_type = headers.get("content-type", "")
    # The JSON protocols only POST; a GET is a query request (of its Action, or of none).
    if "query" in protocols and (
        "x-www-form-urlencoded" in content_type
        or "Action=" in request.query_string
        or request.method == "GET"
    ):
        return "query"
    return protocols[0]
