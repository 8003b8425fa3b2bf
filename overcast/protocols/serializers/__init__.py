"""The response half of the protocol layer: an operation's output dict, or a raised
`ServiceError`, as the HTTP response each of the six protocols sends.

Every serializer is the exact inverse of botocore's response parser for its protocol
(`botocore/parsers.py`): that parser, given our response, returns the output again.

Per (operation, protocol) the model is compiled once into a plan, a closure that does only
what that output shape needs; `serialize_response` is a dict lookup and a call.

Values are botocore's: dicts, lists, bytes, timezone-aware datetimes (naive ones are UTC,
int/float are epoch seconds), int, float, bool, str. A streaming blob payload may also be a
file-like object or an iterator of byte chunks, passed to the server unchanged (see `rest`).
A key the output shape lacks is never dropped or passed through silently (see `strictness`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from overcast.protocols.models import has_legacy_query, query_model
from overcast.protocols.serializers import cbor, json, query, rest
from overcast.protocols.serializers.common import resolve_error
from overcast.protocols.serializers.strictness import output_check

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel

    from overcast.context import RequestContext
    from overcast.errors import ServiceError
    from overcast.http import Response

__all__ = ["serialize_error", "serialize_response"]

ResponsePlan = Callable[[dict, "RequestContext"], "Response"]

COMPILERS: dict[str, Callable[[OperationModel, str], ResponsePlan]] = {
    "query": query.compile_response,
    "ec2": query.compile_response,
    "json": json.compile_response,
    "rest-json": rest.compile_response,
    "rest-xml": rest.compile_response,
    "smithy-rpc-v2-cbor": cbor.compile_response,
    "json-cbor": cbor.compile_json_cbor_response,
}

# Keyed by the OperationModel object itself: botocore caches one per operation name, and the
# key keeps it alive, so identity is a sound and cheap key.
_plans: dict[tuple[OperationModel, str], ResponsePlan] = {}


def compile_response(operation: OperationModel, protocol: str) -> ResponsePlan:
    plan = _plans.get((operation, protocol))
    if plan is None:
        compiler = COMPILERS.get(protocol)
        if compiler is None:
            raise ValueError(f"unknown protocol {protocol!r}")
        plan = _plans[(operation, protocol)] = _checked(
            output_check(operation), compiler(operation, protocol)
        )
    return plan


def _checked(check: Callable[[dict], None], plan: ResponsePlan) -> ResponsePlan:
    """The plan, after the check of the output's keys against the model (`strictness`)."""

    def serialize(output: dict, context: RequestContext) -> Response:
        check(output)
        return plan(output, context)

    return serialize


def serialize_response(
    operation: OperationModel, protocol: str, output: dict, context: RequestContext
) -> Response:
    plan = _plans.get((operation, protocol)) or compile_response(operation, protocol)
    return plan(output, context)


def serialize_error(
    model: ServiceModel,
    operation: OperationModel | None,
    protocol: str,
    error: ServiceError,
    context: RequestContext,
) -> Response:
    if has_legacy_query(model):
        # The query model knows the codes and statuses the JSON model forgot.
        model = query_model(model)
    info = resolve_error(model, error)
    if protocol in ("query", "ec2", "rest-xml"):
        _xml_safe(error)
    if protocol in ("query", "ec2"):
        return query.serialize_error(model, protocol, info, error, context)
    if protocol == "json":
        return json.serialize_error(model, info, error, context)
    if protocol == "smithy-rpc-v2-cbor":
        return cbor.serialize_error(model, info, error, context)
    if protocol == "json-cbor":
        return cbor.serialize_json_cbor_error(model, info, error, context)
    if protocol in ("rest-json", "rest-xml"):
        return rest.serialize_error(model, operation, protocol, info, error, context)
    raise ValueError(f"unknown protocol {protocol!r}")


#: Characters XML 1.0 cannot carry, even as references: an error that echoes input holding one
#: (a bucket name of "%00") would be a body no client parses.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(error: ServiceError) -> None:
    """The error's message and fields with characters XML cannot carry replaced by U+FFFD."""
    if _NOT_XML.search(error.message):
        error.message = _NOT_XML.sub("\ufffd", error.message)
    for name, value in error.fields.items():
        if isinstance(value, str) and _NOT_XML.search(value):
            error.fields[name] = _NOT_XML.sub("\ufffd", value)
