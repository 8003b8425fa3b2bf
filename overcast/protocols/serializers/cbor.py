"""The smithy-rpc-v2-cbor protocol: the output structure as one CBOR map keyed by member names.

Timestamps travel as tag 1 (epoch seconds), blobs as byte strings, and floats natively, so
NaN and the infinities need nothing special. cbor2's C encoder does the work; a shape is
walked in Python only where a value may need conversion (timestamps given as numbers or naive
datetimes, blobs given as text).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import cbor2

from overcast.http import Response
from overcast.protocols.models import wire
from overcast.protocols.serializers.common import (
    UTC,
    ErrorInfo,
    base_headers,
    epoch_seconds,
    per_model,
    to_bytes,
)
from overcast.protocols.serializers.json import Converter, ValueCompiler, body_members, error_headers

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel, Shape

    from overcast.context import RequestContext
    from overcast.errors import ServiceError

CONTENT_TYPE = "application/cbor"


def _timestamp(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value  # the encoder writes it as tag 1 itself
    return cbor2.CBORTag(1, epoch_seconds(value))


def _blob(value: Any) -> Any:
    return value if isinstance(value, bytes) else to_bytes(value)


CBOR_SCALARS: dict[str, Callable[[Shape], Converter]] = {
    "timestamp": lambda shape: _timestamp,
    "blob": lambda shape: _blob,
}


def _encode(value: Any) -> bytes:
    return cbor2.dumps(value, datetime_as_timestamp=True, timezone=UTC)


def compiler_for(model: ServiceModel) -> ValueCompiler:
    return per_model(model, "cbor", lambda: ValueCompiler(CBOR_SCALARS, rename=False))


def _headers(with_host_id: bool, content_type: str | None, context: RequestContext) -> dict[str, str]:
    headers = base_headers(with_host_id, content_type, context)
    headers["smithy-protocol"] = "rpc-v2-cbor"
    return headers


def compile_response(operation: OperationModel, protocol: str) -> Callable[[dict, RequestContext], Response]:
    model = operation.service_model
    with_host_id = wire(model).host_id
    shape = operation.output_shape
    if shape is None:
        # No output: the protocol sends no body at all.
        def serialize_empty(output: dict, context: RequestContext) -> Response:
            return Response(200, _headers(with_host_id, None, context), b"")

        return serialize_empty
    compiler = compiler_for(model)
    members = body_members(shape)
    convert = (
        compiler.converter(shape) if len(members) == len(shape.members) else compiler.body(shape, members)
    )

    def serialize_cbor(output: dict, context: RequestContext) -> Response:
        body = _encode(output if convert is None else convert(output))
        return Response(200, _headers(with_host_id, CONTENT_TYPE, context), body)

    return serialize_cbor


def serialize_error(
    model: ServiceModel, info: ErrorInfo, error: ServiceError, context: RequestContext
) -> Response:
    body: dict[str, Any] = {"__type": info.code, info.message_key: error.message or ""}
    fields = {k: v for k, v in error.fields.items() if v is not None and k != info.message_member}
    if info.shape is not None and fields:
        modelled = [name for name in fields if name in info.shape.members]
        if modelled:
            body.update(compiler_for(model).body(info.shape, modelled)(fields))
        body.update({k: v for k, v in fields.items() if k not in info.shape.members})
    else:
        body.update(fields)
    headers = _headers(wire(model).host_id, CONTENT_TYPE, context)
    error_headers(model, info, headers)
    return Response(info.status, headers, _encode(body))


# -- the JSON protocol's CBOR variant (application/x-amz-cbor-1.1) --------------------------------
# The JSON protocol's bodies as CBOR, as the Java SDKs send Kinesis requests: no smithy-protocol
# header, its own content type, timestamps as epoch milliseconds, errors named by __type and by
# the x-amzn-ErrorType header as in the JSON protocol.

JSON_CBOR_CONTENT_TYPE = "application/x-amz-cbor-1.1"


def _millis(value: Any) -> Any:
    return round(epoch_seconds(value) * 1000)


JSON_CBOR_SCALARS: dict[str, Callable[[Shape], Converter]] = {
    "timestamp": lambda shape: _millis,
    "blob": lambda shape: _blob,
}


def json_cbor_compiler_for(model: ServiceModel) -> ValueCompiler:
    return per_model(model, "json-cbor", lambda: ValueCompiler(JSON_CBOR_SCALARS, rename=True))


def compile_json_cbor_response(
    operation: OperationModel, protocol: str
) -> Callable[[dict, RequestContext], Response]:
    model = operation.service_model
    with_host_id = wire(model).host_id
    shape = operation.output_shape
    if shape is None:

        def serialize_empty(output: dict, context: RequestContext) -> Response:
            return Response(200, base_headers(with_host_id, JSON_CBOR_CONTENT_TYPE, context), _encode({}))

        return serialize_empty
    compiler = json_cbor_compiler_for(model)
    members = body_members(shape)
    convert = (
        compiler.converter(shape) if len(members) == len(shape.members) else compiler.body(shape, members)
    )

    def serialize_json_cbor(output: dict, context: RequestContext) -> Response:
        body = _encode(output if convert is None else convert(output))
        return Response(200, base_headers(with_host_id, JSON_CBOR_CONTENT_TYPE, context), body)

    return serialize_json_cbor


def serialize_json_cbor_error(
    model: ServiceModel, info: ErrorInfo, error: ServiceError, context: RequestContext
) -> Response:
    body: dict[str, Any] = {"__type": info.code, "message": error.message or ""}
    fields = {k: v for k, v in error.fields.items() if v is not None and k != info.message_member}
    if info.shape is not None and fields:
        modelled = [name for name in fields if name in info.shape.members]
        if modelled:
            body.update(json_cbor_compiler_for(model).body(info.shape, modelled)(fields))
    headers = base_headers(wire(model).host_id, JSON_CBOR_CONTENT_TYPE, context)
    error_headers(model, info, headers)
    return Response(info.status, headers, _encode(body))
