"""Scalar decoding shared by every request parser.

Two families: *text* converters turn the strings a URI label, query parameter, header, form
field or XML element carries into Python values; *native* converters check and coerce what a
JSON or CBOR decoder already produced. Both raise `Malformed`, which the protocol dispatcher
turns into that protocol's AWS error: bad input never escapes as a traceback.
"""

from __future__ import annotations

import binascii
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

Convert = Callable[[Any], Any]

UTC = UTC
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Malformed(Exception):
    """A value the wire carried cannot be what the model says. `in_body` tells a body that does
    not decode from a parameter (URI, header, query) that does not: some services answer the
    two differently (S3: MalformedXML vs InvalidArgument)."""

    def __init__(self, message: str, in_body: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.in_body = in_body


# ---------------------------------------------------------------------------- timestamps


def epoch_to_datetime(seconds: float | int) -> datetime:
    try:
        # timedelta rounds to whole microseconds (half-even), which recovers what botocore
        # wrote as `(seconds * 10**6 + micros) / 10**6` exactly.
        return _EPOCH + timedelta(seconds=seconds)
    except (OverflowError, ValueError):  # out of datetime's range, NaN, infinity
        raise Malformed(f"Invalid timestamp {seconds!r}") from None


def _epoch_text(text: str) -> datetime:
    whole, dot, fraction = text.strip().partition(".")
    if dot and fraction.isdigit() and whole.lstrip("-").isdigit() and text.isascii():
        # Exact decimal: no float rounding between the client's digits and ours.
        micros = int((fraction + "000000")[:6])
        sign = -1 if whole.startswith("-") else 1
        return _EPOCH + timedelta(seconds=int(whole), microseconds=sign * micros)
    return epoch_to_datetime(text_float(text))


def _iso8601(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _rfc822(text: str) -> datetime:
    value = parsedate_to_datetime(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


_TIMESTAMP_PARSERS: dict[str, Callable[[str], datetime]] = {
    "iso8601": _iso8601,
    "rfc822": _rfc822,
    "unixtimestamp": _epoch_text,
}


def parse_timestamp_text(text: str, preferred: str) -> datetime:
    """`preferred` is the format the model (or the location's default) names. Services accept the
    other two as well (AWS's deserializers are lenient there), so we try them after it."""
    first = _TIMESTAMP_PARSERS[preferred]
    try:
        return first(text)
    except (ValueError, TypeError, OverflowError, IndexError):
        pass
    for _name, parser in _TIMESTAMP_PARSERS.items():
        if parser is first:
            continue
        try:
            return parser(text)
        except (ValueError, TypeError, OverflowError, IndexError):
            continue
    raise Malformed(f"Invalid timestamp value: {text!r}")


# ---------------------------------------------------------------------------- text scalars


def text_string(text: str) -> str:
    return text


def text_integer(text: str) -> int:
    # int() also reads "1_000" and non-ASCII digits, which no AWS service takes.
    if not text.isascii() or "_" in text:
        raise Malformed(f"Invalid integer value: {text!r}")
    try:
        return int(text.strip())
    except ValueError:
        raise Malformed(f"Invalid integer value: {text!r}") from None


_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def text_float(text: str) -> float:
    special = _SPECIAL_FLOATS.get(text)
    if special is not None:
        return special
    if not text.isascii() or "_" in text:
        raise Malformed(f"Invalid number value: {text!r}")
    try:
        value = float(text.strip())
    except ValueError:
        raise Malformed(f"Invalid number value: {text!r}") from None
    # float() also takes "nan"/"inf" spellings AWS does not; only the three above are valid.
    if math.isnan(value) or math.isinf(value):
        raise Malformed(f"Invalid number value: {text!r}")
    return value


_BOOLEANS = {"true": True, "false": False}


def text_boolean(text: str) -> bool:
    value = _BOOLEANS.get(text.strip().lower())
    if value is None:
        raise Malformed(f"Invalid boolean value: {text!r}")
    return value


def decode_base64(text: str | bytes) -> bytes:
    # strict_mode refuses what b64decode(validate=True) refuses (characters off the alphabet,
    # misplaced padding), without its regular expression pass over the whole value.
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        raise Malformed("Invalid base64 value") from None


def text_blob(text: str) -> bytes:
    return decode_base64(text.strip())


def text_timestamp(preferred: str) -> Convert:
    def convert(text: str) -> datetime:
        return parse_timestamp_text(text, preferred)

    return convert


def text_converter(shape: Any, default_timestamp_format: str) -> Convert:
    """The converter from text for a scalar shape. `default_timestamp_format` is the location's
    default (query/XML bodies and query strings: iso8601, headers: rfc822)."""
    type_name = shape.type_name
    if type_name == "timestamp":
        fmt = shape.serialization.get("timestampFormat", default_timestamp_format).lower()
        return text_timestamp(fmt)
    converter = TEXT_SCALARS.get(type_name)
    if converter is None:
        raise TypeError(f"no text form for shape type {type_name}")
    return converter


TEXT_SCALARS: dict[str, Convert] = {
    "string": text_string,
    "character": text_string,
    "integer": text_integer,
    "long": text_integer,
    "short": text_integer,
    "byte": text_integer,
    "bigInteger": text_integer,
    "float": text_float,
    "double": text_float,
    "bigDecimal": text_float,
    "boolean": text_boolean,
    "blob": text_blob,
}


# ---------------------------------------------------------------------------- native scalars

#: The Java class names Coral's JSON deserializer reports for a value of the wrong type, so our
#: SerializationException reads like AWS's ("class java.lang.Boolean can not be converted to an
#: String").
_JAVA_CLASS = {
    bool: "java.lang.Boolean",
    int: "com.amazon.coral.value.json.numbers.TruncatingBigNumber",
    float: "com.amazon.coral.value.json.numbers.TruncatingBigNumber",
    str: "java.lang.String",
    list: "java.util.ArrayList",
    dict: "java.util.LinkedHashMap",
    bytes: "java.nio.ByteBuffer",
    datetime: "java.util.Date",
}
_JAVA_TARGET = {
    "string": "String",
    "integer": "Integer",
    "long": "Long",
    "short": "Short",
    "byte": "Byte",
    "float": "Float",
    "double": "Double",
    "boolean": "Boolean",
    "blob": "ByteBuffer",
    "timestamp": "Date",
}


def java_class(value: Any) -> str:
    return _JAVA_CLASS.get(type(value), type(value).__name__)


def wrong_type(value: Any, type_name: str) -> Malformed:
    java = java_class(value)
    target = _JAVA_TARGET.get(type_name, type_name)
    return Malformed(f"class {java} can not be converted to an {target}")


def native_string(value: Any) -> str:
    if type(value) is not str:
        raise wrong_type(value, "string")
    return value


def native_integer(value: Any) -> int:
    kind = type(value)
    if kind is int:
        return value
    if kind is float and value.is_integer():
        return int(value)
    raise wrong_type(value, "integer")


def native_float(value: Any) -> float:
    kind = type(value)
    if kind is float:
        return value
    if kind is int:
        return float(value)
    if kind is str:
        special = _SPECIAL_FLOATS.get(value)
        if special is not None:
            return special
    raise wrong_type(value, "double")


def native_boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise wrong_type(value, "boolean")
    return value


def native_any(value: Any) -> Any:
    return value


def json_blob(value: Any) -> bytes:
    if type(value) is not str:
        raise wrong_type(value, "blob")
    return decode_base64(value)


def json_timestamp(preferred: str) -> Convert:
    def convert(value: Any) -> datetime:
        kind = type(value)
        if kind is int or kind is float:
            return epoch_to_datetime(value)
        if kind is str:
            return parse_timestamp_text(value, preferred)
        raise wrong_type(value, "timestamp")

    return convert


def cbor_blob(value: Any) -> bytes:
    kind = type(value)
    if kind is bytes:
        return value
    if kind is bytearray:
        return bytes(value)
    raise wrong_type(value, "blob")


def cbor_timestamp(value: Any) -> datetime:
    kind = type(value)
    if kind is datetime:
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if kind is int or kind is float:
        # An untagged epoch number: the spec wants tag 1, but the instant is unambiguous.
        return epoch_to_datetime(value)
    raise wrong_type(value, "timestamp")


def cbor_millis_timestamp(value: Any) -> datetime:
    """A timestamp of the JSON protocol's CBOR variant: epoch milliseconds, or a tagged instant."""
    kind = type(value)
    if kind is int or kind is float:
        return epoch_to_datetime(value / 1000)
    return cbor_timestamp(value)


NATIVE_SCALARS: dict[str, Convert] = {
    "string": native_string,
    "character": native_string,
    "integer": native_integer,
    "long": native_integer,
    "short": native_integer,
    "byte": native_integer,
    "bigInteger": native_integer,
    "float": native_float,
    "double": native_float,
    "bigDecimal": native_float,
    "boolean": native_boolean,
}
