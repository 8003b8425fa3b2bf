"""The MD5 digests SQS returns with messages, computed exactly as AWS documents them (SDKs
that verify them, such as the Java and Go SDKs, compare byte for byte).

Message attributes are digested sorted by name; each contributes its name, its data type,
one transport byte (1 string, 2 binary, 3 string list, 4 binary list) and its value(s), every
string and binary prefixed with its length as a 4-byte big-endian integer.
"""

from __future__ import annotations

import hashlib
import struct

_LENGTH = struct.Struct(">I")


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def _put(parts: list[bytes], data: bytes) -> None:
    parts.append(_LENGTH.pack(len(data)))
    parts.append(data)


def md5_of_attributes(attributes: dict[str, dict]) -> str:
    """MD5OfMessageAttributes (and, with the same algorithm, MD5OfMessageSystemAttributes)."""
    parts: list[bytes] = []
    for name in sorted(attributes):
        value = attributes[name]
        _put(parts, name.encode("utf-8"))
        _put(parts, value["DataType"].encode("utf-8"))
        if value.get("StringValue") is not None:
            parts.append(b"\x01")
            _put(parts, value["StringValue"].encode("utf-8"))
        elif value.get("BinaryValue") is not None:
            parts.append(b"\x02")
            _put(parts, bytes(value["BinaryValue"]))
        elif value.get("StringListValues"):
            parts.append(b"\x03")
            for item in value["StringListValues"]:
                _put(parts, item.encode("utf-8"))
        elif value.get("BinaryListValues"):
            parts.append(b"\x04")
            for item in value["BinaryListValues"]:
                _put(parts, bytes(item))
    return hashlib.md5(b"".join(parts)).hexdigest()
