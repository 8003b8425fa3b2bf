"""The value codec: Python values <-> bytes, exact for every type a provider keeps.

CBOR (RFC 8949, via cbor2's C extension) rather than JSON with tagged objects: CBOR carries
bytes, tz-aware datetimes, Decimals, big ints, sets and int-vs-float natively, and its tags
are out of band, so no user dict can ever be mistaken for an encoded bytes/datetime value (a
DynamoDB map attribute named "$b" would be, under a JSON tagging scheme). It is also safe to
decode from an untrusted export (no code runs) and any CBOR tool can read a stored value.

What comes back is what went in, types included, with the usual JSON-like widening: a
tuple returns as a list, a frozenset as a set, a bytearray as bytes, and a datetime in a
named zone (ZoneInfo) as the same instant with a fixed UTC offset.

One gap in cbor2: it writes Decimal NaN/Infinity as floats and Decimal('-0') as 0. Values
holding a Decimal are therefore re-encoded with a private tag carrying the Decimal's exact
text. Detecting them from the fast encoding's bytes keeps every Decimal-free value on the
single C call.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import cbor2

__all__ = ["DECIMAL_TEXT_TAG", "decode", "encode"]

# A tag from CBOR's first-come-first-served range that no registered tag uses ("OVCD").
DECIMAL_TEXT_TAG = 0x4F564344

# cbor2 writes a Decimal as tag 4 followed by a 2-array (0xC4 0x82) and NaN/Infinity, float or
# Decimal, as one of three half floats (0xF9 then 7E00, 7C00 or FC00; every other float is a
# double, 0xFB). A match may be a coincidence inside a string or bytes; that only costs the exact
# re-encoding, never correctness. The half floats are looked for whole: a lone F9 is in most
# blobs of a few hundred random bytes (an encrypted message body).
_DECIMAL_MARKERS = (b"\xc4\x82", b"\xf9")
_NAN, _INFINITY, _MINUS_INFINITY = b"\xf9\x7e\x00", b"\xf9\x7c\x00", b"\xf9\xfc\x00"


def _encode_decimal(encoder: cbor2.CBOREncoder, value: Decimal) -> None:
    encoder.encode(cbor2.CBORTag(DECIMAL_TEXT_TAG, str(value)))


def _tag_hook(tag: cbor2.CBORTag, immutable: bool) -> Any:
    if tag.tag == DECIMAL_TEXT_TAG:
        return Decimal(tag.value)
    return tag


def encode(value: Any) -> bytes:
    """Encode a value. Raises TypeError/ValueError for what cannot round-trip exactly
    (objects of unknown types, naive datetimes)."""
    try:
        data = cbor2.dumps(value)
        if value.__class__ is bytes:
            # Holds no Decimal, and a search would mostly hit: F9 is in nearly every KiB of
            # binary data (an S3 object's row), each hit a second, slower encoding.
            return data
        # One-byte searches first: they are memchr, several times faster than a two-byte search.
        if (b"\xc4" in data and _DECIMAL_MARKERS[0] in data) or (
            _DECIMAL_MARKERS[1] in data and (_NAN in data or _INFINITY in data or _MINUS_INFINITY in data)
        ):
            data = cbor2.dumps(value, encoders={Decimal: _encode_decimal})
    except cbor2.CBOREncodeError as exc:
        # A naive datetime has no instant to store; guessing a zone would change the value.
        raise TypeError(
            f"store values must be JSON-like (incl. bytes, tz-aware datetime, Decimal): {exc}"
        ) from exc
    return data


def decode(data: bytes) -> Any:
    return cbor2.loads(data, tag_hook=_tag_hook)
