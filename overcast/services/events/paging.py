"""Pages of EventBridge's list operations that botocore gives no paginator (ListEventBuses,
ListArchives, ...): the same tamper-checked tokens as every service, over a list in its
listing order (these resources number in the hundreds at most)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from overcast.common.pagination import decode_token, encode_token
from overcast.services.events import errors
from overcast.store import Store


def page_items(
    store: Store,
    operation: str,
    params: dict,
    items: Iterable[Any],
    result_key: str,
    *,
    bind: str = "",
    limit_key: str = "Limit",
    default_limit: int = 100,
) -> dict[str, Any]:
    """One page of `items`: {result_key: [...]} and NextToken when more follow."""
    listing = list(items)
    start = 0
    token = params.get("NextToken")
    if token:
        try:
            start = decode_token(store, operation, token, bind)
        except ValueError:
            raise errors.validation("The provided NextToken is not valid.") from None
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise errors.validation("The provided NextToken is not valid.")
    limit = params.get(limit_key)
    end = start + (limit if isinstance(limit, int) and limit > 0 else default_limit)
    out: dict[str, Any] = {result_key: listing[start:end]}
    if end < len(listing):
        out["NextToken"] = encode_token(store, operation, end, bind)
    return out
