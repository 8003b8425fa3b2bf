"""The `json` protocol (JSON 1.0 / 1.1): the whole input is one JSON object in the body.

Inverse of botocore's JSONSerializer: member keys are the members' serialized names, blobs are
base64 strings, timestamps epoch seconds (or the member's `timestampFormat`), floats may be the
strings "NaN"/"Infinity"/"-Infinity".
"""

from __future__ import annotations

import json
import re
from typing import Any

from overcast.protocols.parsers.native import input_plan
from overcast.protocols.parsers.scalars import Malformed

_DECODER = json.JSONDecoder()


def decode_json_object(body: bytes) -> dict:
    """The request body as a JSON object; an empty body is an empty object (some SDKs send none
    for operations without input). AWS takes UTF-8 only, so the body is decoded as that and
    handed to the decoder directly (json.loads adds encoding sniffing and two regex passes)."""
    if not body:
        return {}
    try:
        text = body.decode("utf-8")
        if text[0].isspace() or text[-1].isspace():
            text = text.strip()
            if not text:
                return {}
        data, end = _DECODER.raw_decode(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise Malformed(f"Could not parse request body into json: {_reason(error)}") from None
    if end != len(text):
        raise Malformed("Could not parse request body into json: unexpected data after the object")
    if type(data) is not dict:
        raise Malformed("Could not parse request body into json: expected an object")
    refuse_lone_surrogates(text, data)
    return data


def refuse_lone_surrogates(text: str | bytes, data: Any) -> None:
    """Malformed if `data`, decoded from the JSON `text`, holds half a surrogate pair (checked
    only when the text has a surrogate escape, so most bodies cost one substring test)."""
    if isinstance(text, bytes):
        if b"\\u" not in text:
            return
        text = text.decode("latin-1")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
        raise Malformed("Could not parse request body into json: invalid UTF-16 surrogate in a string")


#: A \uD800-\uDFFF escape: half of a surrogate pair, which alone is no character. The decoder
#: joins a proper pair into one character and keeps a lone half, which no UTF-8 can encode.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _reason(error: Exception) -> str:
    return str(error).split("\n", 1)[0]


def parse(operation: Any, request: Any, uri_params: dict[str, str]) -> dict:
    plan = input_plan(operation, "json")
    data = decode_json_object(request.body)
    if plan is None:
        return {}
    return plan(data)
