"""Attribute values as DynamoDB keeps them: validation, number normalisation, item size, ordering,
and the order-preserving text encoding of key values that the store's indexes sort on.

Items stay in their wire form ({"name": {"S": "x"}}) from request to store to response, so a
read never converts anything: numbers are kept as their normalised text, binaries as bytes.
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal
from typing import Any

from overcast.errors import ServiceError

MAX_ITEM_SIZE = 400 * 1024
TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
_TYPE_SET = frozenset(TYPES)
SET_TYPES = {"SS": "S", "NS": "N", "BS": "B"}
_SET_NAMES = {"SS": "string set", "NS": "number set", "BS": "binary set"}

_CONTEXT = decimal.Context(prec=60, Emax=999, Emin=-999, traps=[decimal.InvalidOperation])


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def invalid(message: str) -> ServiceError:
    return validation("One or more parameter values were invalid: " + message)


# ----------------------------------------------------------------------------- numbers


def parse_number(text: str) -> Decimal:
    """A number attribute's value, checked against DynamoDB's range and precision."""
    try:
        if not isinstance(text, str) or not text or text != text.strip():
            raise decimal.InvalidOperation
        value = _CONTEXT.create_decimal(text)
    except (decimal.InvalidOperation, ValueError):
        raise validation("A value provided cannot be converted into a number") from None
    if not value.is_finite():
        raise validation("A value provided cannot be converted into a number")
    if not value:
        return Decimal(0)
    value = value.normalize(_CONTEXT)
    digits = len(value.as_tuple().digits)
    if digits > 38:
        raise validation("Attempting to store more than 38 significant digits in a Number")
    magnitude = value.adjusted()
    if magnitude > 125:
        raise validation(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        )
    if magnitude < -130:
        raise validation(
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        )
    return value


def format_number(value: Decimal) -> str:
    """DynamoDB's canonical text: no exponent, no trailing zeros, 0 for -0."""
    if not value:
        return "0"
    return format(value, "f")


# Already canonical: no sign on zero, no leading zeros, no exponent, no trailing fraction zeros,
# and too short to break the 38-digit or range limits. Most numbers clients send look so.
_CANONICAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]*[1-9])?")


def normalize_number(text: str) -> str:
    if type(text) is str and len(text) <= 38 and text != "-0" and _CANONICAL.fullmatch(text):
        return text
    return format_number(parse_number(text))


def arithmetic(left: Decimal, right: Decimal, subtract: bool) -> str:
    try:
        result = _CONTEXT.subtract(left, right) if subtract else _CONTEXT.add(left, right)
    except decimal.InvalidOperation:
        raise validation(
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        ) from None
    if result:
        digits = result.normalize(_CONTEXT).as_tuple().digits
        if len(digits) > 38:
            raise validation(
                "Number overflow. Attempting to store a number with magnitude larger than supported range"
            )
    return format_number(parse_number(str(result)))


# ----------------------------------------------------------------------------- validation


#: Documents (maps and lists) nest at most this many deep, as AWS allows.
MAX_NESTING = 31


def check_value(value: Any, key_hint: str = "", depth: int = 0) -> dict:
    """Validate one attribute value in place (normalising numbers); returns it. `depth` is how
    many maps and lists hold it."""
    if type(value) is not dict or len(value) != 1:
        if type(value) is dict and not value:
            raise validation(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
            )
        raise validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
        )
    ((kind, inner),) = value.items()
    if kind == "S" or kind == "B" or kind == "BOOL":
        return value
    if kind == "N":
        value["N"] = normalize_number(inner)
        return value
    if kind in SET_TYPES:
        if not inner:
            raise validation(
                f"One or more parameter values were invalid: An {_SET_NAMES[kind]}  may not be empty"
            )
        if kind == "NS":
            inner = [normalize_number(n) for n in inner]
            value["NS"] = inner
        if len(set(inner)) != len(inner):
            shown = ", ".join(str(v) if kind != "BS" else repr(v) for v in inner)
            raise invalid(f"Input collection [{shown}] contains duplicates.")
        return value
    if kind == "M" or kind == "L":
        if depth >= MAX_NESTING:
            raise validation(
                "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels"
                " beyond supported limit"
            )
        for nested in inner.values() if kind == "M" else inner:
            check_value(nested, depth=depth + 1)
        return value
    if kind == "NULL":
        if inner is not True:
            raise invalid("Null attribute value types must have the value of true")
        return value
    raise validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")


def check_item(item: dict) -> dict:
    for value in item.values():
        check_value(value)
    return item


# ----------------------------------------------------------------------------- sizes


def _number_size(text: str) -> int:
    digits = text.replace("-", "").replace(".", "").strip("0")
    return (len(digits) + 1) // 2 + 1


def value_size(value: dict) -> int:
    ((kind, inner),) = value.items()
    if kind == "S":
        return len(inner.encode("utf-8")) if not inner.isascii() else len(inner)
    if kind == "N":
        return _number_size(inner)
    if kind == "B":
        return len(inner)
    if kind == "BOOL" or kind == "NULL":
        return 1
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in inner)
    if kind == "NS":
        return sum(_number_size(n) for n in inner)
    if kind == "BS":
        return sum(len(b) for b in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + value_size(v) + 1 for k, v in inner.items())
    # L
    return 3 + sum(value_size(v) + 1 for v in inner)


def item_size(item: dict) -> int:
    """The item's size as DynamoDB bills and limits it: names plus values (developer guide,
    "Item sizes and formats")."""
    total = 0
    for name, value in item.items():
        total += (len(name) if name.isascii() else len(name.encode("utf-8"))) + value_size(value)
    return total


# ----------------------------------------------------------------------------- comparison


def number(value: dict) -> Decimal:
    return Decimal(value["N"])


def equal(a: dict | None, b: dict | None) -> bool:
    if a is None or b is None:
        return False
    ((ka, va),) = a.items()
    ((kb, vb),) = b.items()
    if ka != kb:
        return False
    if ka == "N":
        return Decimal(va) == Decimal(vb)
    if ka in SET_TYPES:
        if ka == "NS":
            return {Decimal(x) for x in va} == {Decimal(x) for x in vb}
        return set(va) == set(vb)
    if ka == "L":
        return len(va) == len(vb) and all(equal(x, y) for x, y in zip(va, vb, strict=False))
    if ka == "M":
        return va.keys() == vb.keys() and all(equal(va[k], vb[k]) for k in va)
    return va == vb


def ordered(a: dict | None, b: dict | None) -> int | None:
    """-1/0/1 when a and b are comparable scalars of one type (N, S, B); None otherwise."""
    if a is None or b is None:
        return None
    ((ka, va),) = a.items()
    ((kb, vb),) = b.items()
    if ka != kb or ka not in ("N", "S", "B"):
        return None
    if ka == "N":
        va, vb = Decimal(va), Decimal(vb)
    elif ka == "S":
        va, vb = va.encode("utf-8"), vb.encode("utf-8")
    return (va > vb) - (va < vb)


def contains_value(container: list, element: dict, kind: str) -> bool:
    ((ekind, evalue),) = element.items()
    if kind in SET_TYPES:
        if SET_TYPES[kind] != ekind:
            return False
        if ekind == "N":
            target = Decimal(evalue)
            return any(Decimal(x) == target for x in container)
        return evalue in container
    return any(equal(x, element) for x in container)


# ----------------------------------------------------------------------------- key encoding
#
# Keys in the store are text compared by codepoint (UTF-8 byte order, DynamoDB's order for S
# and B). Each key component is encoded so that (1) order is preserved and (2) no encoding is a
# prefix of another: every component ends with "\x00\x01" and a "\x00" inside a value is
# escaped as "\x00\xff". A component starts with a type tag ("s", "b", or a number's sign
# class), never with U+10FFFF, so `encoded + HIGH` bounds everything that extends `encoded`.

TERMINATOR = "\x00\x01"
HIGH = "\U0010ffff"


def _escape(text: str) -> str:
    return text.replace("\x00", "\x00\xff") if "\x00" in text else text


#: A positive whole number as DynamoDB spells it (most numeric keys): its encoding needs no Decimal.
_WHOLE = re.compile(r"[1-9][0-9]{0,37}").fullmatch


def encode_number(text: str) -> str:
    if _WHOLE(text):
        # value = 0.<digits without trailing zeros> x 10^len(text)
        return f"3{len(text) + 200:03d}{text.rstrip('0')}" + TERMINATOR
    value = Decimal(text)
    if not value:
        return "2" + TERMINATOR
    sign, digits, _exponent = value.as_tuple()
    mantissa = "".join(map(str, digits)).rstrip("0")
    # value = 0.<mantissa> x 10^position
    position = value.adjusted() + 1 + 200
    if sign:
        complement = mantissa.translate(_COMPLEMENT)
        return f"1{999 - position:03d}{complement}~" + TERMINATOR
    return f"3{position:03d}{mantissa}" + TERMINATOR


_COMPLEMENT = str.maketrans("0123456789", "9876543210")


def encode_key_value(value: dict) -> str:
    ((kind, inner),) = value.items()
    if kind == "S":
        return "s" + _escape(inner) + TERMINATOR
    if kind == "N":
        return encode_number(inner)
    return "b" + _escape(inner.decode("latin-1")) + TERMINATOR


def encode_prefix(value: dict) -> str:
    """The encoding of every S/B key value that begins with `value` shares this prefix."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return "s" + _escape(inner)
    return "b" + _escape(inner.decode("latin-1"))


def size_gb_estimate() -> list[float]:
    return [0.0, 1.0]
