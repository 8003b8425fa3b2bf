"""Hypothesis strategies that build values for any botocore shape.

`values(shape, direction)` gives the values a botocore client could send (direction "input":
within the model's length/range/enum constraints, so validation passes) or receive (direction
"output": any value of the type). Values are botocore's Python forms: dicts, lists, bytes,
timezone-aware datetimes, int, float, bool, str.
"""

from __future__ import annotations

import math
import re
import struct
from datetime import UTC, datetime, timedelta
from functools import cache

from hypothesis import strategies as st

from overcast import services
from overcast.protocols.wire import wire_of

MAX_DEPTH = 4
MAX_ITEMS = 3

#: Characters any of the six protocols can carry in a string body (no surrogates, no controls
#: XML 1.0 cannot hold).
BODY_TEXT = st.characters(min_codepoint=0x20, max_codepoint=0x2FFF, blacklist_categories=("Cs", "Cc"))
#: Characters HTTP headers carry unchanged (visible ASCII, no surrounding whitespace).
HEADER_TEXT = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
#: Characters of an HTTP header *name* (RFC 9110 token), lower-case: a `headers` prefix map's
#: keys become header names, which HTTP neither keeps the case of nor lets hold ':' or spaces.
HEADER_NAME_TEXT = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~")
#: Characters botocore accepts in a host label (`hostLabel` members become part of the host
#: name). Dots are left out: a dotted label cannot be told from the endpoint's own dots.
HOST_LABEL_TEXT = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Millisecond precision, 1970..2100: what every timestamp format carries without loss.
TIMESTAMPS = st.integers(min_value=0, max_value=4_102_444_800_000).map(
    lambda ms: _EPOCH + timedelta(milliseconds=ms)
)

JSON_DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(BODY_TEXT, max_size=8),
    lambda children: (
        st.lists(children, max_size=MAX_ITEMS)
        | st.dictionaries(st.text(BODY_TEXT, max_size=8), children, max_size=MAX_ITEMS)
    ),
    max_leaves=6,
)


def values(shape, direction: str = "input", location: str | None = None, depth: int = 0):
    """A strategy for values of `shape`. `location` is the member's HTTP location (header,
    querystring, uri, ...), which narrows what text can travel there unchanged."""
    constrained = direction == "input"
    metadata = shape.metadata if constrained else {}
    type_name = shape.type_name
    if depth > 2 * MAX_DEPTH:
        return st.nothing()  # a recursive shape that requires itself: give up on this branch
    if type_name == "structure":
        return _structure(shape, direction, depth)
    if type_name in ("list", "map"):
        low = metadata.get("min", 0)
        high = max(low, min(MAX_ITEMS if depth < MAX_DEPTH else 0, metadata.get("max", MAX_ITEMS)))
        if high == 0:
            return st.just([] if type_name == "list" else {})
        if type_name == "list":
            return st.lists(values(shape.member, direction, location, depth + 1), min_size=low, max_size=high)
        key_location = "header-name" if location == "headers" else location
        keys = values(shape.key, direction, key_location, depth + 1)
        return st.dictionaries(
            keys, values(shape.value, direction, location, depth + 1), min_size=low, max_size=high
        )
    if type_name == "string":
        enum = shape.metadata.get("enum")
        if enum and constrained:
            return st.sampled_from(enum)
        alphabet = _ALPHABETS.get(location, BODY_TEXT)
        low = metadata.get("min", 0)
        if location in ("uri", "hostLabel"):
            low = max(low, 1)  # an empty path segment or host label cannot be sent
        pattern = metadata.get("pattern")
        if constrained and pattern and shape.name in _checked_patterns():
            return _matching(pattern, low, metadata.get("max", 64), location)
        high = metadata.get("max", 12)
        high = max(low, min(high, low + 12))
        return st.text(alphabet, min_size=low, max_size=high)
    if type_name in ("integer", "long", "short", "byte"):
        bound = 2**31 - 1 if type_name == "integer" else 2**53
        low = metadata.get("min", -bound)
        high = metadata.get("max", bound)
        return st.integers(min_value=int(low), max_value=int(high))
    if type_name in ("float", "double"):
        low = metadata.get("min")
        high = metadata.get("max")
        width = 32 if type_name == "float" else 64
        if width == 32:
            # A bound like 0.01 has no exact float32: move it inward to the nearest one that has.
            low = None if low is None else _float32(low, upward=True)
            high = None if high is None else _float32(high, upward=False)
        return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False, width=width)
    if type_name == "boolean":
        return st.booleans()
    if type_name == "blob":
        low = metadata.get("min", 0)
        return st.binary(min_size=low, max_size=max(low, min(16, metadata.get("max", 16))))
    if type_name == "timestamp":
        return TIMESTAMPS
    if type_name == "document" or shape.metadata.get("document"):
        return JSON_DOCUMENTS
    raise NotImplementedError(f"no strategy for shape type {type_name}")


@cache
def _checked_patterns() -> frozenset[str]:
    """String shapes whose model pattern some service validates (Wire.checked_patterns)."""
    names: set[str] = set()
    for service in services.implemented():
        names |= wire_of(service).checked_patterns
    return frozenset(names)


#: Characters a location cannot carry unchanged, for values generated from a pattern.
_UNSAFE = {"headers": re.compile(r"[^\x21-\x7e]"), "header": re.compile(r"[^\x21-\x7e]")}


def _matching(pattern: str, low: int, high: int, location: str | None):
    """Strings that fully match `pattern` (a shape the service validates against it), within
    the length bounds and what `location` carries."""
    unsafe = _UNSAFE.get(location or "", re.compile(r"[\x00-\x1f\ud800-\udfff]"))
    return st.from_regex(pattern, fullmatch=True).filter(
        lambda text: low <= len(text) <= high and (location != "uri" or text) and not unsafe.search(text)
    )


def _structure(shape, direction: str, depth: int):
    if shape.metadata.get("document"):
        return JSON_DOCUMENTS
    members = shape.members
    required = set(shape.required_members) if direction == "input" else set()
    if shape.metadata.get("union"):
        if depth >= MAX_DEPTH or not members:
            choices = [name for name, m in members.items() if m.type_name not in ("structure", "list", "map")]
            if not choices:
                return st.just({})
        else:
            choices = list(members)
        return st.sampled_from(sorted(choices)).flatmap(
            lambda name: values(members[name], direction, _location(members[name]), depth + 1).map(
                lambda value: {name: value}
            )
        )
    fixed = {}
    optional = {}
    for name, member in members.items():
        if member.metadata.get("eventstream") or getattr(member, "serialization", {}).get("eventstream"):
            continue
        strategy = values(member, direction, _location(member), depth + 1)
        if name in required or member.metadata.get("idempotencyToken"):
            fixed[name] = strategy
        elif depth < MAX_DEPTH:
            optional[name] = strategy
    return st.fixed_dictionaries(fixed, optional=optional)


def _float32(value: float, upward: bool) -> float:
    """The float32 nearest `value` on the inside of a bound (upward for a minimum)."""
    rounded = struct.unpack(">f", struct.pack(">f", value))[0]
    if (upward and rounded < value) or (not upward and rounded > value):
        bits = struct.unpack(">i", struct.pack(">f", rounded))[0]
        step = 1 if (rounded >= 0) == upward else -1
        if rounded == 0:
            return math.copysign(1.401298464324817e-45, 1 if upward else -1)
        rounded = struct.unpack(">f", struct.pack(">i", bits + step))[0]
    return rounded


_ALPHABETS = {
    "header": HEADER_TEXT,
    "headers": HEADER_TEXT,
    "header-name": HEADER_NAME_TEXT,
    "hostLabel": HOST_LABEL_TEXT,
}


def _location(member) -> str | None:
    if member.serialization.get("hostLabel"):
        return "hostLabel"
    return member.serialization.get("location")
