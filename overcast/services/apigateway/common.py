"""What the API Gateway control plane shares: ids, errors in its words, timestamps, the
JSON-patch operations every Update* takes, and the output of stored records."""

from __future__ import annotations

import copy
import secrets
import string
import time
from functools import lru_cache
from typing import Any

from overcast.errors import ServiceError

_ALPHABET = string.ascii_lowercase + string.digits


def new_id(length: int = 10) -> str:
    """An id as API Gateway makes them: lower-case letters and digits (`a1b2c3d4e5`)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def now() -> float:
    return time.time()


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message, 404)


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message, 400)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, 409)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message, 429)


def public(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record without its private members (those named with a leading `_`)."""
    return {key: value for key, value in record.items() if not key.startswith("_") and value is not None}


# -- patch operations ----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _shape(name: str):
    from overcast import protocols

    return protocols.service_model("apigateway").shape_for(name)


def _coerce(shape: Any, value: Any) -> Any:
    """A patch value (always a string on the wire) as the member's type."""
    if shape is None or value is None or not isinstance(value, str):
        return value
    kind = shape.type_name
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise bad_request(f"Invalid value '{value}' for a boolean.")
        return value.lower() == "true"
    if kind in ("integer", "long"):
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"Invalid value '{value}' for an integer.") from None
    if kind in ("double", "float"):
        try:
            return float(value)
        except ValueError:
            raise bad_request(f"Invalid value '{value}' for a number.") from None
    return value


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def split_path(path: str) -> list[str]:
    if not path.startswith("/"):
        raise bad_request(f"Invalid patch path {path}")
    return [_unescape(part) for part in path[1:].split("/")]


def apply_patch(
    record: dict[str, Any],
    operations: list[dict[str, Any]] | None,
    shape_name: str,
    *,
    readonly: tuple[str, ...] = ("id",),
    special: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The record after the patch operations (add, remove, replace, copy, move) on its members:
    maps take `/member/key`, lists of strings `/member/value` (add appends, remove removes that
    value), scalars `/member` (coerced to the member's type). `special` maps a first path
    segment to a function(record, op, segments) for members with rules of their own."""
    out = copy.deepcopy(record)
    shape = _shape(shape_name)
    for operation in operations or []:
        op = operation.get("op")
        path = operation.get("path") or ""
        segments = split_path(path)
        head = segments[0]
        if special and head in special:
            special[head](out, operation, segments)
            continue
        member = shape.members.get(head)
        if member is None or head in readonly:
            raise bad_request(f"Invalid patch path {path}")
        value = operation.get("value")
        if op in ("copy", "move"):
            source = split_path(operation.get("from") or "")
            found = _get_path(out, source)
            if found is None:
                raise bad_request(f"Invalid patch path {operation.get('from')}")
            if op == "move":
                _remove_path(out, source)
            _set_path(out, segments, found)
            continue
        if op not in ("add", "remove", "replace"):
            raise bad_request(
                f"Invalid patch operation specified. Must be 'add'|'remove'|'replace'|'copy'|'move'. Found '{op}'"
            )
        if member.type_name == "list":
            items = list(out.get(head) or [])
            item = segments[1] if len(segments) > 1 else value
            if op == "add":
                if item is not None and item not in items:
                    items.append(item)
            elif op == "remove":
                if item is None:
                    items = []
                elif item in items:
                    items.remove(item)
            elif len(segments) == 1:
                items = [part for part in str(value or "").split(",") if part]
            else:
                items = [value if existing == item else existing for existing in items]
            out[head] = items
        elif member.type_name == "map" and len(segments) > 1:
            key = "/".join(segments[1:])
            mapping = dict(out.get(head) or {})
            if op == "remove":
                mapping.pop(key, None)
            else:
                mapping[key] = _coerce(member.value, value)
            out[head] = mapping
        elif member.type_name == "structure" and len(segments) > 1:
            nested = dict(out.get(head) or {})
            sub = member.members.get(segments[1])
            if sub is None:
                raise bad_request(f"Invalid patch path {path}")
            if op == "remove":
                nested.pop(segments[1], None)
            elif sub.type_name == "list":
                nested[segments[1]] = [part for part in str(value or "").split(",") if part]
            else:
                nested[segments[1]] = _coerce(sub, value)
            out[head] = nested
        elif op == "remove":
            out.pop(head, None)
        else:
            out[head] = _coerce(member, value)
    return out


def _get_path(record: dict[str, Any], segments: list[str]) -> Any:
    value: Any = record
    for segment in segments:
        if not isinstance(value, dict):
            return None
        value = value.get(segment)
    return value


def _set_path(record: dict[str, Any], segments: list[str], value: Any) -> None:
    for segment in segments[:-1]:
        record = record.setdefault(segment, {})
    record[segments[-1]] = value


def _remove_path(record: dict[str, Any], segments: list[str]) -> None:
    for segment in segments[:-1]:
        record = record.get(segment) or {}
    record.pop(segments[-1], None)
