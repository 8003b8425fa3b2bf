"""The query API's JSON answers: what a query service sends a client that asks for
`Accept: application/json` (SQS does, for GET and POST query requests alike).

    {"OpResponse": {"OpResult": {...}, "ResponseMetadata": {"RequestId": id}}}
    {"Error": {"Type": "Sender", "Code": code, "Message": message}, "RequestId": id}

Inside the result, members keep their model names; a map is the list of its entries, each
named as the query model names the entry's key and value (SQS: `[{"Name": .., "Value": ..}]`);
`Wire.query_json_names` renames the members AWS's JSON spells otherwise. Written on demand
from the query model (clients rarely ask), never on the XML path.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.http import Response
from overcast.protocols.models import wire

if TYPE_CHECKING:
    from botocore.model import OperationModel, Shape

    from overcast.context import RequestContext
    from overcast.protocols.serializers.common import ErrorInfo

CONTENT_TYPE = "application/json"


def wants_json(context: RequestContext) -> bool:
    """Whether the client asked for JSON and the service answers query requests in it."""
    accept = context.request.headers.get("accept")
    return accept is not None and "application/json" in accept


def response(operation: OperationModel, output: dict, context: RequestContext) -> Response:
    """The operation's output as JSON (`operation` is the query model's)."""
    shape = operation.output_shape
    names = wire(operation.service_model).query_json_names
    body: dict[str, Any] = {}
    if shape is not None:
        result = _structure(shape, output, names)
        wrapper = shape.serialization.get("resultWrapper")
        if wrapper:
            body[wrapper] = result
        else:
            body.update(result)
    body["ResponseMetadata"] = {"RequestId": context.request_id}
    return _answer(200, {f"{operation.name}Response": body}, context)


def error(info: ErrorInfo, message: str, context: RequestContext) -> Response:
    kind = "Sender" if info.sender else "Receiver"
    body = {"Error": {"Type": kind, "Code": info.query_code, "Message": message}}
    return _answer(info.status, {**body, "RequestId": context.request_id}, context)


def _answer(status: int, document: dict, context: RequestContext) -> Response:
    headers = {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": context.request_id}
    return Response(status, headers, json.dumps(document, separators=(",", ":")).encode())


def _structure(shape: Shape, value: dict, names: dict[tuple[str, str], str]) -> dict[str, Any]:
    members = shape.members
    out: dict[str, Any] = {}
    for name, item in value.items():
        member = members.get(name)
        if member is None or item is None:
            continue
        out[names.get((shape.name, name), name)] = _value(member, item, names)
    return out


def _value(shape: Shape, value: Any, names: dict[tuple[str, str], str]) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, value, names)
    if kind == "list":
        member = shape.member
        return [_value(member, item, names) for item in value]
    if kind == "map":
        key_name = shape.key.serialization.get("name", "key")
        value_shape = shape.value
        value_name = value_shape.serialization.get("name", "value")
        return [{key_name: k, value_name: _value(value_shape, v, names)} for k, v in value.items()]
    if kind == "blob":
        raw = value if isinstance(value, bytes) else str(value).encode()
        return base64.b64encode(raw).decode()
    if kind == "timestamp" and isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.timestamp()
    return value
