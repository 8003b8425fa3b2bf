"""What every response serializer shares: timestamp and scalar text forms, the headers each
protocol stamps on a response, and how a raised `ServiceError` maps onto the service's model."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

    from overcast.context import RequestContext
    from overcast.errors import ServiceError

UTC = UTC
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# ---------------------------------------------------------------------------------------------
# Timestamps. Providers hand us aware datetimes; naive ones are taken as UTC and numbers as epoch
# seconds, so a handler never has to care which format the wire wants.


def to_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return EPOCH + timedelta(seconds=value)
    if isinstance(value, str):
        return to_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")))
    raise TypeError(f"not a timestamp: {value!r}")


def epoch_seconds(value: Any) -> int | float:
    """Whole seconds as an int, else a float: what AWS's JSON services send."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    delta = to_datetime(value) - EPOCH
    seconds = delta.days * 86400 + delta.seconds
    return seconds + delta.microseconds / 1e6 if delta.microseconds else seconds


def _utc_naive(value: Any) -> datetime:
    moment = to_datetime(value)
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None)


def iso8601(value: Any) -> str:
    """`2024-05-01T12:00:00Z`, with as many fraction digits as the value needs (milliseconds
    unless it carries microseconds), so nothing a provider stored is lost on the wire."""
    if value.__class__ is datetime and value.tzinfo is UTC and not value.microsecond:
        return value.isoformat(timespec="seconds")[:-6] + "Z"  # the common case, in one call
    moment = _utc_naive(value)
    micro = moment.microsecond
    if not micro:
        return moment.isoformat(timespec="seconds") + "Z"
    return moment.isoformat(timespec="microseconds" if micro % 1000 else "milliseconds") + "Z"


#: Whole UTC second (epoch) → its `YYYY-MM-DDTHH:MM:SS` text. Objects written together share
#: seconds, so a large listing formats most of its timestamps with one lookup; the table is
#: bounded and simply emptied when full.
_SECOND_TEXT: dict[int, str] = {}


def _second_text(whole: int) -> str:
    if len(_SECOND_TEXT) >= 4096:
        _SECOND_TEXT.clear()
    text = _SECOND_TEXT[whole] = (EPOCH + timedelta(seconds=whole)).isoformat(timespec="seconds")[:-6]
    return text


def iso8601_millis(value: Any) -> str:
    """`2024-05-01T12:00:00.000Z`: S3 and EC2 always print milliseconds, and some hand-written
    clients parse that exact layout."""
    kind = value.__class__
    if kind is datetime and value.tzinfo is UTC:
        micro = value.microsecond
        if not micro % 1000:
            # The common case: isoformat() of an aware datetime costs three times this.
            whole = round(value.timestamp() - micro / 1_000_000)
            text = _SECOND_TEXT.get(whole)
            if text is None:
                text = _second_text(whole)
            return f"{text}.{micro // 1000:03d}Z"
    elif kind is str and len(value) == 24 and value[23] == "Z" and value[10] == "T" and value[19] == ".":
        return value  # already this layout (a stored wire text): nothing to convert
    elif kind is float or kind is int:
        # Epoch seconds (what a large listing hands over: no datetime to build per entry),
        # whole milliseconds give or take the float's rounding; finer values go the long way.
        scaled = value * 1000
        millis = round(scaled)
        if abs(scaled - millis) < 0.0005:
            whole, millis = divmod(millis, 1000)
            text = _SECOND_TEXT.get(whole)
            if text is None:
                text = _second_text(whole)
            return f"{text}.{millis:03d}Z"
    moment = _utc_naive(value)
    if moment.microsecond % 1000:
        return moment.isoformat(timespec="microseconds") + "Z"
    return moment.isoformat(timespec="milliseconds") + "Z"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc822(value: Any) -> str:
    """The HTTP date (`Wed, 01 May 2024 12:00:00 GMT`): whole seconds, as HTTP defines it."""
    m = value if value.__class__ is datetime and value.tzinfo is UTC else _utc_naive(value)
    return (
        f"{_DAYS[m.weekday()]}, {m.day:02d} {_MONTHS[m.month - 1]} {m.year:04d} "
        f"{m.hour:02d}:{m.minute:02d}:{m.second:02d} GMT"
    )


def epoch_text(value: Any) -> str:
    return _number_text(epoch_seconds(value))


#: Text form of each modelled `timestampFormat`, for XML bodies and headers.
TIMESTAMP_TEXT: dict[str, Callable[[Any], str]] = {
    "iso8601": iso8601,
    "rfc822": rfc822,
    "unixTimestamp": epoch_text,
}


def timestamp_format(shape: Shape, default: str) -> str:
    return shape.serialization.get("timestampFormat") or default


# ---------------------------------------------------------------------------------------------
# Scalars as text (XML bodies, headers).

_SPECIAL_FLOATS = {math.inf: "Infinity", -math.inf: "-Infinity"}


def float_text(value: Any) -> str:
    if isinstance(value, float):
        if value != value:
            return "NaN"
        special = _SPECIAL_FLOATS.get(value)
        return special if special is not None else repr(value)
    return str(value)


def _number_text(value: int | float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def bool_text(value: Any) -> str:
    return "true" if value else "false"


def b64(value: Any) -> str:
    if isinstance(value, str):
        value = value.encode("utf-8")
    return base64.b64encode(value).decode("ascii")


def to_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def json_float(value: Any) -> Any:
    """Smithy's JSON protocols carry the non-finite doubles as strings."""
    if isinstance(value, float) and (value != value or value in _SPECIAL_FLOATS):
        return float_text(value)
    return value


# ---------------------------------------------------------------------------------------------
# Headers every response carries.


def host_id(context: RequestContext) -> str:
    """S3's `x-amz-id-2`: opaque to clients; derived from the request id so it is stable."""
    return context.extra.get("host_id") or base64.b64encode(context.request_id.encode()).decode()


def base_headers(with_host_id: bool, content_type: str | None, context: RequestContext) -> dict[str, str]:
    """The request id headers (`x-amz-request-id` and `x-amz-id-2` for a service whose overlay
    says `host_id`, else `x-amzn-RequestId`) and the content type."""
    if with_host_id:
        # S3 names itself in `Server` (its recorded answers carry `Server: AmazonS3`).
        headers = {
            "x-amz-request-id": context.request_id,
            "x-amz-id-2": host_id(context),
            "Server": "AmazonS3",
        }
    else:
        headers = {"x-amzn-RequestId": context.request_id}
    if content_type:
        headers["Content-Type"] = content_type
    # The server adds `Date` to every response, Overcast's own routes included.
    return headers


# ---------------------------------------------------------------------------------------------
# Errors: which modelled shape a raised error is, and what each protocol calls it.


@dataclass(frozen=True)
class ErrorInfo:
    shape: StructureShape | None
    #: The code JSON, CBOR and REST clients match on: the shape's name when modelled.
    code: str
    #: The code query (XML) clients match on: the shape's awsQueryError code when modelled.
    query_code: str
    status: int
    sender: bool
    #: The message member's wire name in a JSON-family body ("message" unless the shape says).
    message_key: str
    #: The message's member name in the shape, if modelled, so fields don't repeat it.
    message_member: str | None


_per_model: dict[tuple[int, str], tuple[Any, Any]] = {}


def per_model(model: ServiceModel, key: str, factory: Callable[[], Any]) -> Any:
    """A value computed once per service model (compilers, error tables). The entry holds the
    model itself, so its id cannot be reused while cached."""
    entry = _per_model.get((id(model), key))
    if entry is not None and entry[0] is model:
        return entry[1]
    value = factory()
    _per_model[(id(model), key)] = (model, value)
    return value


def _error_table(model: ServiceModel) -> dict[str, StructureShape]:
    table: dict[str, StructureShape] = {}
    for shape in model.error_shapes:
        table.setdefault(shape.error_code, shape)
    for shape in model.error_shapes:
        # The shape name wins over another shape's query code: it is what providers raise.
        table[shape.name] = shape
    return table


def resolve_error(model: ServiceModel, error: ServiceError) -> ErrorInfo:
    shape = per_model(model, "errors", lambda: _error_table(model)).get(error.code)
    status = error.status
    sender = error.sender_fault
    message_key = "message"
    message_member = None
    if shape is None:
        code = query_code = error.code
    else:
        code = shape.name
        query_code = shape.error_code
        modelled = shape.metadata.get("error") or {}
        if status == 400 and modelled.get("httpStatusCode"):
            # Raised by name with the default status: the model knows the real one.
            status = modelled["httpStatusCode"]
        if "senderFault" in modelled:
            sender = sender and modelled["senderFault"]
        for name, member in shape.members.items():
            if name.lower() == "message":
                message_member = name
                message_key = member.serialization.get("name", name)
                break
    return ErrorInfo(shape, code, query_code, status, sender and status < 500, message_key, message_member)


def response_code(operation: OperationModel | None) -> int:
    if operation is None:
        return 200
    return operation.http.get("responseCode", 200)


#: Status codes after which HTTP forbids a body.
NO_BODY_STATUS = frozenset({204, 304})
