"""JSON a client wrote inside a parameter (a policy, a filter policy, a message structure, an
invocation payload), parsed with its nesting bounded.

Python's decoder recurses once per level and dies with RecursionError (a 500) on input such as
10,000 nested brackets; the code that walks a parsed document recurses too. `loads` refuses a
document nested deeper than `max_depth` with `TooDeep`, a `json.JSONDecodeError`: every caller
that already answers malformed JSON with its service's own validation error answers this the
same way, without a clause of its own.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

#: Deeper than any policy or filter policy AWS accepts, shallow enough that code walking the
#: parsed document recursively stays far from Python's recursion limit.
MAX_DEPTH = 100
#: For payloads handed on rather than walked (Lambda invocation payloads): AWS's JSON parser
#: allows some hundreds of levels; Python's decoder cannot go much past 900 under a server.
MAX_PAYLOAD_DEPTH = 500

#: A JSON string literal (escapes included), so brackets inside strings are not counted.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class TooDeep(json.JSONDecodeError):
    """A document nested deeper than the parser allows."""

    def __init__(self, document: str, max_depth: int) -> None:
        super().__init__(f"JSON nested deeper than {max_depth} levels", document, 0)


def nesting(text: str) -> int:
    """How deeply `text`'s arrays and objects nest (brackets inside strings not counted)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(0, max(accumulate(_STEP[char] for char in brackets)))


def loads(document: str | bytes | bytearray, max_depth: int = MAX_DEPTH, **options: Any) -> Any:
    """`json.loads(document, **options)`, refusing (TooDeep) a document nested deeper than `max_depth`;
    other malformed input raises json.JSONDecodeError (a ValueError) as json.loads does."""
    text = document if isinstance(document, str) else _decode(document)
    # Fewer opening brackets than the limit cannot nest past it: most documents skip the scan.
    if text.count("[") + text.count("{") > max_depth and nesting(text) > max_depth:
        raise TooDeep(text, max_depth)
    try:
        return json.loads(text, **options)
    except RecursionError:  # only if the caller already sits deep in the stack
        raise TooDeep(text, max_depth) from None


def _decode(document: bytes | bytearray) -> str:
    """The text of a document given as bytes, in the encoding json.loads would find (UTF-8,
    with or without a BOM, or UTF-16/32), refusing what is no text in it."""
    data = bytes(document)
    try:
        return data.decode(json.detect_encoding(data))  # strict: an encoded lone surrogate is no text
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(f"invalid text: {error.reason}", "", error.start) from None
