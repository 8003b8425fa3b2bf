"""How an item sits in the store: a row `[size, body]`, where size is the item's DynamoDB size
(computed once, at write time) and body is the item's DynamoDB JSON text. Reads that return
items as they are (GetItem, Query and Scan without filter or projection) splice that text
into the response, never building the item's Python objects.

Items holding binary values, and rows written before this layout, keep the item itself as
the body (a dict); every reader accepts both forms, so old state files load unchanged."""

from __future__ import annotations

import json
from json.encoder import (  # type: ignore[attr-defined]  # typeshed does not declare the C encoder
    c_make_encoder,
    encode_basestring_ascii,
)

from overcast.protocols.serializers.json import encode_any

# The C encoder made once (JSONEncoder.encode builds one per call). No `default`: a bytes
# value (B, BS) raises TypeError, and that item keeps the dict form.
_chunks = c_make_encoder(None, None, encode_basestring_ascii, None, ":", ",", False, False, True)
_decode = json.JSONDecoder().decode


def pack(item: dict) -> str | dict:
    try:
        return "".join(_chunks(item, 0))
    except TypeError:
        return item


def unpack(body: str | dict) -> dict:
    return _decode(body) if isinstance(body, str) else body


def text(body: str | dict) -> str:
    """The item's JSON text as the wire carries it (bytes as base64)."""
    return body if type(body) is str else encode_any(body).decode()
