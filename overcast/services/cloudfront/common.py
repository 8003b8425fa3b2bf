"""What CloudFront's parts share: ids as AWS shapes them, its errors, and the account scope
(CloudFront is global: its resources belong to the account, not to a region)."""

from __future__ import annotations

import secrets
import string
import time
import uuid
from typing import Any

from overcast.errors import ServiceError
from overcast.store import scope as store_scope

_UPPER = string.ascii_uppercase + string.digits
_LOWER = string.ascii_lowercase + string.digits

#: The host the data plane's domain names end in.
DOMAIN_SUFFIX = ".cloudfront.net"


def scope(account: str) -> str:
    return store_scope(account)


def upper_id(first: str = "E", length: int = 14) -> str:
    """An id like AWS's distribution ids: E2QWRUHAPOMQZL."""
    return first + "".join(secrets.choice(_UPPER) for _ in range(length - 1))


def new_uuid() -> str:
    return str(uuid.uuid4())


def new_etag() -> str:
    return upper_id("E", 14)


def now() -> float:
    return time.time()


def arn(account: str, resource: str) -> str:
    return f"arn:aws:cloudfront::{account}:{resource}"


def error(code: str, message: str, status: int = 400) -> ServiceError:
    return ServiceError(code, message, status)


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidArgument", message, 400)


def precondition_failed() -> ServiceError:
    return ServiceError(
        "PreconditionFailed",
        "The precondition given in one or more of the request-header fields evaluated to false.",
        412,
    )


def if_match_missing() -> ServiceError:
    return ServiceError(
        "InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.", 400
    )


def check_if_match(params: dict[str, Any], etag: str) -> None:
    """An update or delete names the version it replaces: missing → InvalidIfMatchVersion,
    another version → PreconditionFailed."""
    given = params.get("IfMatch")
    if not given:
        raise if_match_missing()
    if given != etag:
        raise precondition_failed()


def max_items(params: dict[str, Any], default: int = 100) -> int:
    text = params.get("MaxItems")
    if text in (None, ""):
        return default
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise invalid("The value of MaxItems is not valid.") from None
    if value < 0:
        raise invalid("The value of MaxItems is not valid.")
    return value


def page(items: list[Any], params: dict[str, Any], key: Any = None) -> tuple[list[Any], str | None, int]:
    """One page of `items` (already in order) after the request's Marker: (page, next marker,
    MaxItems). The marker is the id of the last item given (`key(item)`)."""
    limit = max_items(params)
    marker = params.get("Marker") or ""
    key = key or (lambda item: item["Id"])
    if marker:
        keys = [key(item) for item in items]
        start = keys.index(marker) + 1 if marker in keys else 0
        items = items[start:]
    chosen = items[:limit]
    following = key(chosen[-1]) if len(items) > limit and chosen else None
    return chosen, following, limit


def listing(items: list[Any], params: dict[str, Any], key: Any = None, with_marker: bool = True) -> dict:
    """A CloudFront list: Marker, NextMarker, MaxItems, IsTruncated, Quantity, Items."""
    chosen, following, limit = page(items, params, key)
    result: dict[str, Any] = {"MaxItems": limit, "Quantity": len(chosen)}
    if with_marker:
        result["Marker"] = params.get("Marker") or ""
        result["IsTruncated"] = following is not None
    if chosen:
        result["Items"] = chosen
    if following is not None:
        result["NextMarker"] = following
    return result
