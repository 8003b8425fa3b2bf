"""`smithy-rpc-v2-cbor`: the input is one CBOR map in the body (CloudWatch speaks it now).

Inverse of botocore's RpcV2CBORSerializer: blobs are byte strings, timestamps tag 1 (epoch
seconds, integer or float), member keys the members' serialized names.
"""

from __future__ import annotations

from typing import Any

import cbor2

from overcast.protocols.parsers.native import input_plan
from overcast.protocols.parsers.scalars import Malformed


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


def parse_json_cbor(operation: Any, request: Any, uri_params: dict[str, str]) -> dict:
    """The JSON protocol's CBOR variant (application/x-amz-cbor-1.1): the JSON input as a CBOR
    map, blobs as byte strings, timestamps as epoch milliseconds."""
    plan = input_plan(operation, "cbor-millis")
    data = decode_cbor_map(request.body)
    if plan is None:
        return {}
    return plan(data)


def parse(operation: Any, request: Any, uri_params: dict[str, str]) -> dict:
    plan = input_plan(operation, "cbor")
    data = decode_cbor_map(request.body)
    if plan is None:
        return {}
    return plan(data)
