"""Who signed a request: the account and principal behind an access key id (DESIGN.md §1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from overcast.common.arns import partition
from overcast.context import DEFAULT_ACCOUNT, RequestContext

#: Key ids IAM (AKIA) and STS (ASIA) issue; only these are looked up.
_ISSUED_PREFIXES = ("AKIA", "ASIA")


def account_for_key(access_key_id: str | None) -> str:
    """A 12-digit access key id names its account; any other key is the default account's
    unless IAM or STS issued it (see identify)."""
    if access_key_id and len(access_key_id) == 12 and access_key_id.isdigit():
        return access_key_id
    return DEFAULT_ACCOUNT


def identify(
    context: RequestContext,
    access_key_id: str | None,
    resolve_key: Callable[[str], dict[str, Any] | None],
) -> None:
    """Fill in account and principal: the user or role session behind a key IAM or STS issued
    (its record, from `resolve_key` — runtime.resolve_key — in context.extra["identity"]),
    else the root of the key's account."""
    context.access_key_id = access_key_id
    if access_key_id and len(access_key_id) == 20 and access_key_id.startswith(_ISSUED_PREFIXES):
        record = resolve_key(access_key_id)
        if record is not None:
            context.account = record["Account"]
            context.principal_arn = record["Arn"]
            context.principal_id = record["UserId"]
            context.extra["identity"] = record
            return
    context.account = account_for_key(access_key_id)
    context.principal_arn = f"arn:{partition(context.region)}:iam::{context.account}:root"
    context.principal_id = context.account
