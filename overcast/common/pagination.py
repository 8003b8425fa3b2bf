"""Pagination tokens for list operations: one scheme for every service.

    return paginate_keys(
        self.store, "sqs", "ListQueues", params,
        lambda after: self.queues.scan(scope, prefix=prefix, start_after=after),
        bad_token=lambda: errors.invalid_parameter("Invalid NextToken value."),
        default_limit=1000, bind=prefix, render=lambda name, queue: queue.url,
    )

Which request member carries the token, which response member returns it, which member
limits the page and which holds the items come from botocore's paginator definition of the
operation (`paginators-1.json`), so a service names none of them. A token is opaque to
clients (base64url) and tamper-checked: it carries an HMAC under a secret kept in the store,
so tokens survive a restart as AWS's do, and a token that was altered, forged, issued for
another operation, or issued for other request parameters (`bind`) is refused with the error
the service gives (`bad_token`).

Two ways to walk the items:
  paginate_keys  items in key order, read from a position: a store scan (`start_after`), so a
                 page costs its size, and a page boundary holds when items are added or removed.
  paginate_list  an in-memory list already in its listing order; the token holds an offset.

Data-plane cursors that are part of an API's documented shape (S3's ContinuationToken and
KeyMarker, DynamoDB's LastEvaluatedKey, SQS receipt handles) are not tokens: they stay as AWS
defines them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from overcast.store import Store

T = TypeVar("T")

#: Where the secret lives: a table of Overcast's own, not a service's.
SECRET_TABLE = ("overcast", "secrets")
SECRET_SCOPE = "overcast"
SECRET_KEY = "pagination"
_MAC_BYTES = 16


@dataclass(frozen=True)
class PaginatorSpec:
    """An operation's paginator, as botocore defines it."""

    input_token: str
    output_token: str
    limit_key: str | None
    result_key: str
    more_results: str | None  # IAM's IsTruncated


@lru_cache(maxsize=512)
def paginator_spec(service: str, operation: str) -> PaginatorSpec:
    """The paginator botocore defines for `operation` of `service` (botocore's service name,
    "lambda", "logs", ...). A KeyError for an operation botocore does not paginate: pagination
    is part of the API's shape, not the emulator's choice."""
    from botocore.loaders import create_loader

    definitions = create_loader().load_service_model(service, "paginators-1")["pagination"]
    entry = definitions[operation]

    def single(name: str) -> str:
        value = entry[name]
        if not isinstance(value, str):
            # Several tokens or result members (DynamoDB Query's Items/Count/ScannedCount):
            # a cursor of the API's own shape, not one of these tokens.
            raise KeyError(f"{service} {operation}: {name} {value!r} is not a single member")
        return value

    return PaginatorSpec(
        input_token=single("input_token"),
        output_token=single("output_token"),
        limit_key=entry.get("limit_key"),
        result_key=single("result_key") if isinstance(entry["result_key"], str) else entry["result_key"][0],
        more_results=entry.get("more_results"),
    )


# -- the secret -----------------------------------------------------------------------------

_secrets: weakref.WeakKeyDictionary[Store, bytes] = weakref.WeakKeyDictionary()
_watched: weakref.WeakSet[Store] = weakref.WeakSet()
_watch_lock = threading.Lock()


def _secret(store: Store) -> bytes:
    secret = _secrets.get(store)
    if secret is not None:
        return secret
    table = store.table(*SECRET_TABLE)
    # One transaction makes get-or-create atomic across threads. No lock of ours is held
    # around it: a thread inside a store transaction may be on its way here.
    with store.transaction():
        stored = table.get(SECRET_SCOPE, SECRET_KEY)
        if stored is None:
            stored = os.urandom(32).hex()
            table.put(SECRET_SCOPE, SECRET_KEY, stored)
    with _watch_lock:
        if store not in _watched:
            _watched.add(store)
            store.on_reset(_forget_secret(weakref.ref(store)))
    _secrets[store] = secret = bytes.fromhex(stored)
    return secret


def _forget_secret(owner: weakref.ref[Store]) -> Callable[[], None]:
    # A reset or an import replaces the secrets table: read the secret again afterwards.
    def forget() -> None:
        store = owner()
        if store is not None:
            _secrets.pop(store, None)

    return forget


# -- tokens ---------------------------------------------------------------------------------


def _mac(store: Store, operation: str, bind: str, payload: bytes) -> bytes:
    message = b"\0".join((operation.encode(), bind.encode(), payload))
    return hmac.new(_secret(store), message, hashlib.sha256).digest()[:_MAC_BYTES]


def encode_token(store: Store, operation: str, position: Any, bind: str = "") -> str:
    """An opaque token for `position` (any JSON value), valid only for `operation` and `bind`."""
    payload = json.dumps(position, separators=(",", ":")).encode()
    raw = _mac(store, operation, bind, payload) + payload
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(store: Store, operation: str, token: str, bind: str = "") -> Any:
    """The position a token of encode_token() holds; ValueError when it is not one of ours,
    for this operation and `bind`."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
    mac, payload = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    if len(mac) != _MAC_BYTES or not hmac.compare_digest(mac, _mac(store, operation, bind, payload)):
        raise ValueError("token refused")
    return json.loads(payload)


# -- pages ----------------------------------------------------------------------------------


def _limit(spec: PaginatorSpec, params: Mapping[str, Any], default_limit: int) -> int:
    # The model's range on the limit member was checked before the handler ran.
    given = params.get(spec.limit_key) if spec.limit_key else None
    return given if isinstance(given, int) and given > 0 else default_limit


def _output(spec: PaginatorSpec, page: list[Any], token: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {spec.result_key: page}
    if token is not None:
        out[spec.output_token] = token
    if spec.more_results:
        out[spec.more_results] = token is not None
    return out


def _position(
    store: Store,
    operation: str,
    spec: PaginatorSpec,
    params: Mapping[str, Any],
    bind: str,
    bad_token: Callable[[], Exception],
) -> Any:
    token = params.get(spec.input_token)
    if not token:
        return None
    if not isinstance(token, str):
        raise bad_token()
    try:
        return decode_token(store, operation, token, bind)
    except ValueError:
        raise bad_token() from None


def paginate_keys(
    store: Store,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    scan: Callable[[str | None], Iterable[tuple[str, T]]],
    *,
    bad_token: Callable[[], Exception],
    default_limit: int,
    render: Callable[[str, T], Any] = lambda key, item: item,
    bind: str = "",
) -> dict[str, Any]:
    """One page of the items `scan(after)` yields as (key, item) in key order, strictly after
    key `after` (None: from the first). Returns `{result_key: [render(key, item), ...]}` plus
    the output token when more items follow (and IsTruncated where the paginator has it)."""
    spec = paginator_spec(service, operation)
    after = _position(store, operation, spec, params, bind, bad_token)
    if after is not None and not isinstance(after, str):
        raise bad_token()
    limit = _limit(spec, params, default_limit)
    rows = list(islice(scan(after), limit + 1))
    token = encode_token(store, operation, rows[limit - 1][0], bind) if len(rows) > limit else None
    return _output(spec, [render(key, item) for key, item in rows[:limit]], token)


def paginate_list(
    store: Store,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    items: Sequence[T],
    *,
    bad_token: Callable[[], Exception],
    default_limit: int,
    render: Callable[[T], Any] = lambda item: item,
    bind: str = "",
) -> dict[str, Any]:
    """One page of `items` (a list in its listing order), like paginate_keys. The token holds
    an offset: for lists held in memory or rebuilt per call, where no key orders the items."""
    spec = paginator_spec(service, operation)
    start = _position(store, operation, spec, params, bind, bad_token) or 0
    if not isinstance(start, int) or isinstance(start, bool) or start < 0:
        raise bad_token()
    end = start + _limit(spec, params, default_limit)
    token = encode_token(store, operation, end, bind) if end < len(items) else None
    return _output(spec, [render(item) for item in items[start:end]], token)
