"""Who signed a request: the account and principal behind an access key id (DESIGN.md §1)."""

from __future__ import annotations

from overcast.arns import partition
from overcast.context import DEFAULT_ACCOUNT, RequestContext


def account_for_key(access_key_id: str | None) -> str:
    """A 12-digit access key id names its account; any other key is the default account's
    (the IAM issue adds keys that IAM and STS issue)."""
    if access_key_id and len(access_key_id) == 12 and access_key_id.isdigit():
        return access_key_id
    return DEFAULT_ACCOUNT


def identify(context: RequestContext, access_key_id: str | None) -> None:
    """Fill in account and principal. Without IAM-issued keys every caller is its account's root."""
    context.access_key_id = access_key_id
    context.account = account_for_key(access_key_id)
    context.principal_arn = f"arn:{partition(context.region)}:iam::{context.account}:root"
    context.principal_id = context.account
