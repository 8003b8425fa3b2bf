"""Pages for the Logs list operations botocore defines no paginator for (DescribeLookupTables,
ListSyslogConfigurations, DescribeImportTasks, ...): the same tamper-checked tokens as
`common.pagination`, with the member names given here instead of read from botocore."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from overcast.common.pagination import decode_token, encode_token
from overcast.errors import ServiceError
from overcast.store import Store


def page_keys(
    store: Store,
    operation: str,
    params: dict,
    scan: Callable[[str | None], Iterable[tuple[str, Any]]],
    *,
    result_key: str,
    limit: int,
    bad_token: Callable[[], ServiceError],
    render: Callable[[Any], Any] = lambda item: item,
    bind: str = "",
) -> dict:
    """One page of `scan(after)` (key, item) pairs after the position `nextToken` holds."""
    after = None
    if params.get("nextToken"):
        try:
            after = decode_token(store, operation, params["nextToken"], bind)
        except ValueError:
            raise bad_token() from None
        if not isinstance(after, str):
            raise bad_token()
    rows = list(islice(scan(after), limit + 1))
    out: dict[str, Any] = {result_key: [render(item) for _, item in rows[:limit]]}
    if len(rows) > limit:
        out["nextToken"] = encode_token(store, operation, rows[limit - 1][0], bind)
    return out
