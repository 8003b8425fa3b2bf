"""A log group's KMS key through this KMS: CreateLogGroup and AssociateKmsKey ask KMS for the
key, and refuse one that does not exist or cannot be used as CloudWatch Logs does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.runtime import Runtime


def check_log_key(runtime: Runtime, account: str, region: str, key_id: str, resource_arn: str) -> None:
    """Refuse `key_id` for `resource_arn` (a log group's ARN, or query results') unless KMS
    has it usable in the resource's account and region."""
    try:
        runtime.provider("kms").key_arn_for(account, region, key_id)
    except ServiceError:
        raise ServiceError(
            "AccessDeniedException",
            f"The specified KMS key does not exist or is not allowed to be used with Arn '{resource_arn}'",
        ) from None
