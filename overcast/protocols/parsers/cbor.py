"""`smithy-rpc-v2-cbor`: the input is one CBOR map in the body (CloudWatch speaks it now).

Inverse of botocore's RpcV2CBORSerializer: blobs are byte strings, timestamps tag 1 (epoch
seconds, integer or float), member keys the members' serialized names.
"""

from __future__ import annotations

from typing import Any

import cbor2

from overcast.protocols.parsers.native import compiler_for
from overcast.protocols.parsers.plans import ABSENT, build_plan_once
from overcast.protocols.parsers.scalars import Convert, Malformed

_plans: dict[Any, Convert | None] = {}


def _plan(operation: Any) -> Convert | None:
    plan = _plans.get(operation, ABSENT)
    return plan if plan is not ABSENT else build_plan_once(_plans, operation, _build, operation)


def _build(operation: Any) -> Convert | None:
    shape = operation.input_shape
    return None if shape is None else compiler_for(operation.service_model, "cbor").compile(shape)


def decode_cbor_map(body: bytes) -> dict:
    if not body:
        return {}
    try:
        data = cbor2.loads(body)
    except Exception as error:  # cbor2 raises several types (CBORDecodeError, ValueError, ...)
        raise Malformed(f"Could not parse request body as CBOR: {error}") from None
    if type(data) is not dict:
        raise Malformed("Could not parse request body as CBOR: expected a map")
    return data


def parse(operation: Any, request: Any, uri_params: dict[str, str]) -> dict:
    plan = _plan(operation)
    data = decode_cbor_map(request.body)
    if plan is None:
        return {}
    return plan(data)
