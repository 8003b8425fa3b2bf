"""JSON bodies for the json and rest-json protocols (and the value conversion CBOR reuses).

A provider's output dict is almost always already the JSON body: member names are the keys,
and the C encoder's `default` hook turns the two non-JSON types botocore expects, bytes and
datetimes, into base64 and epoch seconds (the protocols' defaults). So a shape is walked in
Python only where the model asks for something else: a member renamed by `locationName`, a
timestamp with a `timestampFormat`, or (only when the fast encoder refuses one) a non-finite
float, which Smithy's JSON protocols write as the strings "NaN", "Infinity", "-Infinity".
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from overcast.http import Response
from overcast.protocols.models import wire
from overcast.protocols.serializers.common import (
    TIMESTAMP_TEXT,
    ErrorInfo,
    b64,
    base_headers,
    epoch_seconds,
    json_float,
    per_model,
)

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

    from overcast.context import RequestContext
    from overcast.errors import ServiceError

#: None means "the value is already its wire form".
Converter = Callable[[Any], Any] | None


#: A blob's base64 text never needs JSON escaping, yet the C encoder checks each of its
#: characters (several times base64 encoding's own cost: most of a KMS Encrypt's answer, of a
#: Kinesis GetRecords'). So while an encode runs, `_default` hands the encoder a short token
#: for a long blob instead, and the text is put in its place afterwards (`_dumps`). The token
#: is letters, digits and "_" (copied unescaped) with a random part no client sees, so no
#: string a client sent can pass for one.
_BLOB_TOKEN = f"blob{secrets.token_hex(12)}_"
_SPLICED_BLOB = 128
_blobs = threading.local()


def _default(value: Any) -> Any:
    """What the C encoder calls for types JSON lacks."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        text = b64(bytes(value))
        if len(text) >= _SPLICED_BLOB:
            pending = getattr(_blobs, "pending", None)
            if pending is not None:
                pending.append(text)
                return f"{_BLOB_TOKEN}{len(pending) - 1}"
        return text
    if hasattr(value, "utcoffset"):  # datetime
        return epoch_seconds(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class RawJson(bytes):
    """A top-level member value already in its JSON wire form (DynamoDB keeps items encoded):
    written verbatim. Only for members that need no conversion (no rename, no timestamps)."""

    __slots__ = ()


class Spliced(dict):
    """An output dict holding RawJson members; the body writer splices them in. Truthy even
    when every member is raw."""

    __slots__ = ()

    def __bool__(self) -> bool:
        return True


_encode_strict = json.JSONEncoder(
    separators=(",", ":"), default=_default, allow_nan=False, check_circular=False
).encode
_encode_any = json.JSONEncoder(separators=(",", ":"), default=_default, check_circular=False).encode


def _dumps(encode: Callable[[Any], str], value: Any) -> str:
    """`encode(value)`, with the long blobs' base64 text put in place of their tokens."""
    pending: list[str] = []
    _blobs.pending = pending
    try:
        text = encode(value)
    finally:
        _blobs.pending = None
    if not pending:
        return text
    parts = text.split(_BLOB_TOKEN)
    spliced = [parts[0]]
    for part in parts[1:]:
        number, quote, rest = part.partition('"')
        spliced += (pending[int(number)], quote, rest)
    return "".join(spliced)


def _encode(value: Any) -> str:
    return _dumps(_encode_strict, value)


_FastDumps = tuple[Callable[..., bytes], int]
_UNLOADED: Any = object()
_orjson: _FastDumps | None = _UNLOADED


def _fast_dumps() -> _FastDumps | None:
    """orjson's dumps and the options the protocols need, imported on the first answer (an
    idle server does without it); None where orjson is not installed (the standard library's
    encoder alone then: the same bodies, slower). orjson calls `_default` for what the
    protocols write otherwise than it would: datetimes (epoch seconds, not ISO text) and
    dataclasses (not JSON here either)."""
    global _orjson
    if _orjson is _UNLOADED:
        try:
            import orjson
        except ImportError:
            _orjson = None
        else:
            _orjson = (orjson.dumps, orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS)
    return _orjson


def _json_bytes(value: Any) -> bytes:
    """`_encode(value)` as UTF-8 bytes: through orjson, several times faster than the standard
    library's encoder on the small bodies most answers are, where it writes the same JSON
    (non-ASCII characters as UTF-8 rather than escapes: the same text to any JSON reader).
    The standard library encodes what orjson refuses (integers past 64 bits, lone
    surrogates, non-string keys) and anything holding `null`: orjson writes NaN and the
    infinities as null, where the fast path must refuse them (ValueError) as `_encode` does."""
    fast = _fast_dumps()
    if fast is not None:
        dumps, options = fast
        try:
            data = dumps(value, default=_default, option=options)
        except TypeError:  # orjson.JSONEncodeError: said (or refused) by the encoder below
            pass
        else:
            if b"null" not in data:
                return data
    return _encode(value).encode()


def _encode_lenient(value: Any) -> str:
    return _dumps(_encode_any, value)


class ValueCompiler:
    """Compiles, per shape, the conversion from a provider's value to what the encoder takes.

    `scalars` maps a type name to a factory `shape -> Converter`; `rename` says whether members
    travel under their `locationName` (JSON) or their member name (CBOR)."""

    def __init__(self, scalars: dict[str, Callable[[Shape], Converter]], rename: bool) -> None:
        self._scalars = scalars
        self._rename = rename
        self._structures: dict[str, Converter] = {}
        self._compiling: set[str] = set()
        #: structure name -> whether any value of it needs converting (see `_analyse`)
        self._needs: dict[str, bool] = {}

    def converter(self, shape: Shape) -> Converter:
        type_name = shape.type_name
        if type_name == "structure":
            if shape.metadata.get("document"):
                return None
            return self._structure(shape)
        if type_name == "list":
            item = self.converter(shape.member)
            if item is None:
                return None
            return lambda value: [None if entry is None else item(entry) for entry in value]
        if type_name == "map":
            entry_value = self.converter(shape.value)
            if entry_value is None:
                return None
            return lambda value: {k: None if v is None else entry_value(v) for k, v in value.items()}
        factory = self._scalars.get(type_name)
        return factory(shape) if factory is not None else None

    def body(self, shape: StructureShape, members: list[str]) -> Callable[[dict], dict]:
        """The converter for a top-level body holding only `members` (the others travel in
        headers, the status line or an event stream); it always builds a new dict."""
        table = self._member_table(shape, members)
        return _structure_converter(table)

    def _structure(self, shape: StructureShape) -> Converter:
        name = shape.name
        if name in self._structures:
            return self._structures[name]
        if name not in self._needs:
            self._analyse(shape)
        if not self._needs[name]:
            self._structures[name] = None
            return None
        if name in self._compiling:
            # A recursive shape that needs converting: defer to what it compiles to.
            structures = self._structures

            def deferred(value: Any) -> Any:
                convert = structures[name]
                assert convert is not None  # it needs converting, so it compiles to a converter
                return convert(value)

            return deferred
        self._compiling.add(name)
        try:
            result = _structure_converter(self._member_table(shape, list(shape.members)))
        finally:
            self._compiling.discard(name)
        self._structures[name] = result
        return result

    def _analyse(self, root: StructureShape) -> None:
        """Which structures reachable from `root` need converting: those with a renamed or
        converted member, and those that contain one. Recursive shapes (DynamoDB's
        AttributeValue holds maps and lists of itself) are solved as a fixed point, so a
        recursion alone does not force a walk."""
        direct: dict[str, bool] = {}
        contains: dict[str, set[str]] = {}
        pending = [root]
        while pending:
            shape = pending.pop()
            if shape.name in direct or shape.name in self._needs:
                continue
            direct[shape.name] = False
            contains[shape.name] = set()
            for member_name, member in shape.members.items():
                if self._rename and member.serialization.get("name", member_name) != member_name:
                    direct[shape.name] = True
                inner = member
                while inner.type_name in ("list", "map"):
                    inner = inner.member if inner.type_name == "list" else inner.value
                if inner.type_name == "structure" and not inner.metadata.get("document"):
                    contains[shape.name].add(inner.name)
                    pending.append(inner)
                elif inner.type_name != "structure" and self.converter(inner) is not None:
                    direct[shape.name] = True
        needs = dict(direct)
        changed = True
        while changed:
            changed = False
            for name, children in contains.items():
                if not needs[name] and any(needs.get(c, self._needs.get(c, False)) for c in children):
                    needs[name] = changed = True
        self._needs.update(needs)

    def _member_table(self, shape: StructureShape, members: list[str]) -> dict[str, tuple[str, Converter]]:
        table = {}
        for name in members:
            member = shape.members[name]
            wire = member.serialization.get("name", name) if self._rename else name
            table[name] = (wire, self.converter(member))
        return table


def _structure_converter(table: dict[str, tuple[str, Converter]]) -> Callable[[dict], dict]:
    def convert(value: dict) -> dict:
        out = {}
        for name, member_value in value.items():
            if member_value is None:
                continue
            entry = table.get(name)
            if entry is not None:
                wire, member_convert = entry
                out[wire] = member_value if member_convert is None else member_convert(member_value)
        return out

    return convert


def _timestamp_converter(shape: Shape) -> Converter:
    fmt = shape.serialization.get("timestampFormat", "unixTimestamp")
    # Epoch seconds are the default; the encoder's hook already produces them.
    return None if fmt == "unixTimestamp" else TIMESTAMP_TEXT[fmt]


JSON_SCALARS: dict[str, Callable[[Shape], Converter]] = {"timestamp": _timestamp_converter}
STRICT_JSON_SCALARS = {**JSON_SCALARS, "float": lambda shape: json_float, "double": lambda shape: json_float}


class JsonBodies:
    """Both compilers of one service: the fast one, and the one that also rewrites non-finite
    floats, used only when the fast encoding refuses a NaN or an infinity."""

    def __init__(self) -> None:
        self.fast = ValueCompiler(JSON_SCALARS, rename=True)
        self.strict = ValueCompiler(STRICT_JSON_SCALARS, rename=True)


def bodies_for(model: ServiceModel) -> JsonBodies:
    return per_model(model, "json", JsonBodies)


def encoder(
    build: Callable[[ValueCompiler], Callable[[Any], Any] | None], bodies: JsonBodies
) -> Callable[[Any], bytes]:
    """`value -> JSON bytes` for a value converted by `build(compiler)`."""
    fast = build(bodies.fast)
    strict: list = []

    def encode(value: Any) -> bytes:
        if type(value) is Spliced:
            return _splice(value, encode)
        try:
            return _json_bytes(value if fast is None else fast(value))
        except ValueError:
            # A NaN or infinity: redo with the floats written as Smithy says; documents that
            # still hold one get JavaScript's literals, the only form left.
            if not strict:
                strict.append(build(bodies.strict))
            converted = value if strict[0] is None else strict[0](value)
            return _encode_lenient(converted).encode()

    return encode


def _splice(value: Spliced, encode: Callable[[Any], bytes]) -> bytes:
    plain = {}
    raw = []
    for name, member in value.items():
        if type(member) is RawJson:
            raw.append(b'"%s":%s' % (name.encode(), member))
        else:
            plain[name] = member
    body = encode(plain) if plain else b"{}"
    if not raw:
        return body
    return body[:-1] + (b"," if len(body) > 2 else b"") + b",".join(raw) + b"}"


def encode_any(value: Any) -> bytes:
    """JSON for a value with no shape to follow (unmodelled error fields)."""
    try:
        return _json_bytes(value)
    except ValueError:
        return _encode_lenient(value).encode()


def body_members(shape: StructureShape | None) -> list[str]:
    if shape is None:
        return []
    return [
        name
        for name, member in shape.members.items()
        if not member.serialization.get("location") and not member.serialization.get("eventstream")
    ]


# ---------------------------------------------------------------------------------------------
# The json protocol.


def content_type(model: ServiceModel) -> str:
    return f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"


def compile_response(operation: OperationModel, protocol: str) -> Callable[[dict, RequestContext], Response]:
    model = operation.service_model
    with_host_id = wire(model).host_id
    ctype = content_type(model)
    shape = operation.output_shape
    if shape is None:

        def serialize_empty(output: dict, context: RequestContext) -> Response:
            return Response(200, base_headers(with_host_id, ctype, context), b"{}")

        return serialize_empty
    members = body_members(shape)
    if len(members) == len(shape.members):
        encode = encoder(lambda compiler: compiler.converter(shape), bodies_for(model))
    else:  # an event stream member stays out of the body
        encode = encoder(lambda compiler: compiler.body(shape, members), bodies_for(model))
    stream = next((n for n, m in shape.members.items() if m.serialization.get("eventstream")), None)
    if stream is not None:
        return _compile_stream_response(model, shape, stream, encode, with_host_id)

    def serialize_json(output: dict, context: RequestContext) -> Response:
        return Response(200, base_headers(with_host_id, ctype, context), encode(output))

    return serialize_json


def _compile_stream_response(
    model: ServiceModel,
    shape: StructureShape,
    stream: str,
    encode: Callable[[Any], bytes],
    with_host_id: bool,
) -> Callable[[dict, RequestContext], Response]:
    """An output with an event stream member: the body is the stream, its first message the
    initial-response carrying the other members (as botocore's JSON parser expects)."""
    from overcast.protocols.serializers import eventstream

    bodies = bodies_for(model)
    payloads: dict[str, Callable[[Any], bytes]] = {}

    def encode_payload(event_shape: Shape, value: Any) -> bytes:
        encode_event = payloads.get(event_shape.name)
        if encode_event is None:
            encode_event = payloads[event_shape.name] = encoder(
                lambda compiler: compiler.converter(event_shape), bodies
            )
        return encode_event(value)

    events = eventstream.compile_events(shape.members[stream], encode_payload, "application/json")

    def serialize_stream(output: dict, context: RequestContext) -> Response:
        rest = {k: v for k, v in output.items() if k != stream}
        first = eventstream.initial_response(encode(rest))
        body = eventstream.stream_messages(output.get(stream) or (), events, first)
        headers = base_headers(with_host_id, "application/vnd.amazon.eventstream", context)
        return Response(200, headers, body)

    return serialize_stream


def error_fields(
    model: ServiceModel, info: ErrorInfo, fields: dict, members: list[str] | None = None
) -> dict:
    """A raised error's fields as body entries: modelled members converted as the model says
    (only `members` of them when given), the rest as they are."""
    if not fields:
        return {}
    shape = info.shape
    if shape is None:
        return {k: v for k, v in fields.items() if v is not None}
    modelled = [
        name
        for name in (members if members is not None else body_members(shape))
        if name in fields and name != info.message_member
    ]
    out = per_model(model, "json", JsonBodies).fast.body(shape, modelled)(fields) if modelled else {}
    for name, value in fields.items():
        if value is not None and name not in shape.members:
            out[name] = value
    return out


def error_headers(model: ServiceModel, info: ErrorInfo, headers: dict[str, str]) -> None:
    headers["x-amzn-ErrorType"] = wire(model).json_error_namespace + info.code
    if "awsQueryCompatible" in model.metadata:
        # Clients built from the query model match on the query code (botocore reads this header).
        headers["x-amzn-query-error"] = f"{info.query_code};{'Sender' if info.sender else 'Receiver'}"


def serialize_error(
    model: ServiceModel, info: ErrorInfo, error: ServiceError, context: RequestContext
) -> Response:
    quirks = wire(model)
    body = {"__type": quirks.json_error_namespace + info.code}
    # A service that spells the message member otherwise (DynamoDB's "Message" beside a returned
    # Item) passes it among the fields, in place of the modelled one.
    spelled = any(name.lower() == "message" for name in error.fields)
    if not spelled and (error.message or not quirks.json_omit_empty_message):
        body[info.message_key] = error.message or ""
    body.update(error_fields(model, info, error.fields))
    headers = base_headers(wire(model).host_id, content_type(model), context)
    error_headers(model, info, headers)
    return Response(info.status, headers, encode_any(body))
