"""Pages for CloudTrail listings botocore defines no paginator for (ListEventDataStores,
ListQueries, ListChannels, ...): the same tamper-checked offset tokens as the shared helper,
with the listing's own member names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from overcast.common.pagination import decode_token, encode_token
from overcast.services.cloudtrail import trails as rules
from overcast.store import Store


def bad_token() -> Exception:
    return rules.error("InvalidNextTokenException", "Invalid NextToken.")


def page(
    store: Store,
    operation: str,
    params: dict,
    items: Sequence[Any],
    result_key: str,
    *,
    default_limit: int,
    limit_key: str = "MaxResults",
    bind: str = "",
) -> dict[str, Any]:
    start = 0
    if params.get("NextToken"):
        try:
            start = decode_token(store, operation, params["NextToken"], bind)
        except ValueError:
            raise bad_token() from None
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise bad_token()
    end = start + (params.get(limit_key) or default_limit)
    out: dict[str, Any] = {result_key: list(items[start:end])}
    if end < len(items):
        out["NextToken"] = encode_token(store, operation, end, bind)
    return out
