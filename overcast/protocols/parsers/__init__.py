"""Request parsers for the six protocols botocore knows: the HTTP request back into the params
dict the client was given (each module is the inverse of its botocore serializer).

`parse_request` is the one entry point. It picks the protocol's parser, undoes request
compression, fills host labels, turns undecodable input into the protocol's AWS error and runs
validation. Per-operation parse plans are compiled on first use and kept.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from overcast.errors import ServiceError
from overcast.protocols.parsers import cbor, json, query, rest
from overcast.protocols.parsers.plans import ABSENT, build_plan_once
from overcast.protocols.parsers.scalars import Malformed, text_converter
from overcast.protocols.validation import validate_input
from overcast.protocols.wire import wire_of

if TYPE_CHECKING:
    from botocore.model import OperationModel

    from overcast.http import Request

Parser = Callable[[Any, Any, dict], dict]


def _rest_json(operation: Any, request: Any, uri_params: dict) -> dict:
    return rest.parse(operation, request, uri_params, "rest-json")


def _rest_xml(operation: Any, request: Any, uri_params: dict) -> dict:
    return rest.parse(operation, request, uri_params, "rest-xml")


PARSERS: dict[str, Parser] = {
    "query": query.parse,
    "ec2": query.parse_ec2,
    "json": json.parse,
    "rest-json": _rest_json,
    "rest-xml": _rest_xml,
    "smithy-rpc-v2-cbor": cbor.parse,
    "json-cbor": cbor.parse_json_cbor,
}

#: The error code (always a 400) each protocol answers for input that does not decode: a
#: malformed body, a number that is not one, bad base64 or timestamp. (code for the body, code
#: for a URI label, header or query parameter.)
MALFORMED_ERRORS: dict[str, tuple[str, str]] = {
    "json": ("SerializationException", "SerializationException"),
    "rest-json": ("SerializationException", "SerializationException"),
    "smithy-rpc-v2-cbor": ("SerializationException", "SerializationException"),
    "json-cbor": ("SerializationException", "SerializationException"),
    "query": ("MalformedInput", "MalformedInput"),
    "ec2": ("InvalidParameterValue", "InvalidParameterValue"),
    # S3's answers: a body that is not the XML it wants, an argument that is not a valid value.
    "rest-xml": ("MalformedXML", "InvalidArgument"),
}


def malformed_error(service: str, protocol: str, error: Malformed) -> ServiceError:
    """The protocol's error for undecodable input, or the service's own (`Wire.malformed_errors`)."""
    codes = wire_of(service).malformed_errors or MALFORMED_ERRORS[protocol]
    code = codes[0] if error.in_body else codes[1]
    message = error.message
    if code == "MalformedXML":
        message = "The XML you provided was not well-formed or did not validate against our published schema"
    return ServiceError(code, message, 400)


def parse_request(
    operation: OperationModel,
    protocol: str,
    request: Request,
    uri_params: dict[str, str],
    validate: bool = True,
) -> dict:
    parser = PARSERS[protocol]
    if operation.request_compression and request.body:
        request = _decompressed(request)
    try:
        params = parser(operation, request, uri_params)
        host_labels = _host_labels(operation)
        if host_labels is not None:
            _fill_host_labels(host_labels, request.host, params)
    except Malformed as error:
        raise malformed_error(operation.service_model.service_name, protocol, error) from None
    except RecursionError:
        raise malformed_error(
            operation.service_model.service_name, protocol, Malformed("Input nested too deeply")
        ) from None
    if validate:
        validate_input(operation, protocol, params)
    return params


# ---------------------------------------------------------------------------- compression

#: zlib window bits per Content-Encoding (gzip header, or the zlib one for deflate).
_WINDOW_BITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
#: A compressed request may not grow past this (a few KB of gzip can inflate to gigabytes);
#: the largest compressible AWS request (CloudWatch PutMetricData) is 1 MB uncompressed.
MAX_DECOMPRESSED = 16 * 1024 * 1024


def _decompress(body: bytes, window_bits: int) -> bytes:
    inflater = zlib.decompressobj(window_bits)
    data = inflater.decompress(body, MAX_DECOMPRESSED)
    if inflater.unconsumed_tail:
        raise ServiceError("RequestEntityTooLarge", "Request body is too large once decompressed", 413)
    data += inflater.flush()
    if not inflater.eof:
        raise zlib.error("truncated stream")
    return data


def _decompressed(request: Any) -> Any:
    """Operations with the `requestcompression` trait (CloudWatch PutMetricData) may arrive
    gzipped; only for those does Content-Encoding describe the transfer rather than the data."""
    encoding = request.headers.get("content-encoding", "").strip().lower()
    window_bits = _WINDOW_BITS.get(encoding)
    if window_bits is None:
        return request
    try:
        body = _decompress(request.body, window_bits)
    except zlib.error:
        raise ServiceError(
            "SerializationException", "The request body could not be decompressed", 400
        ) from None
    from overcast.http import Request

    headers = {k: v for k, v in request.headers.items() if k != "content-encoding"}
    return Request(
        request.method,
        request.raw_path,
        request.query_string,
        headers,
        body,
        client_ip=request.client_ip,
        scheme=request.scheme,
    )


# ---------------------------------------------------------------------------- host labels

_host_label_plans: dict[Any, Any] = {}


def _host_labels(operation: Any) -> tuple[re.Pattern, list[tuple[str, Any]]] | None:
    plan = _host_label_plans.get(operation, ABSENT)
    if plan is ABSENT:
        plan = build_plan_once(_host_label_plans, operation, _build_host_labels, operation)
    return plan


def _build_host_labels(operation: Any) -> tuple[re.Pattern, list[tuple[str, Any]]] | None:
    prefix = (operation.endpoint or {}).get("hostPrefix")
    shape = operation.input_shape
    if not prefix or shape is None or "{" not in prefix:
        return None
    # botocore formats the prefix with the members' names: `{AccountId}.`.
    labels = [
        (name, text_converter(member, "iso8601"))
        for name, member in shape.members.items()
        if member.serialization.get("hostLabel")
    ]
    # botocore allows letters, digits, '-' and '.' in a label. The shortest match wins: without
    # knowing the endpoint's own host we cannot tell a dot in the label from the prefix's own.
    pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[A-Za-z0-9.\\-]+?)", re.escape(prefix))
    return re.compile(pattern), labels


def _fill_host_labels(plan: tuple[re.Pattern, list], host: str, params: dict) -> None:
    pattern, labels = plan
    match = pattern.match(host)
    if match is None:
        return
    found = match.groupdict()
    for name, convert in labels:
        # A label the request also carries elsewhere (S3's x-amz-request-route header) is
        # already set; the host only fills what nothing else did.
        if name not in params and found.get(name):
            params[name] = convert(found[name])
