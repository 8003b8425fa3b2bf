"""Table encryption through this KMS: the key an SSESpecification names (or DynamoDB's AWS
managed key, alias/aws/dynamodb) is resolved by KMS when the table is created or changed, so
the SSEDescription names a real key and a missing or unusable key is refused as DynamoDB does
(a ValidationException carrying KMS's own error)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.runtime import Runtime

#: DynamoDB's AWS managed key, used when the specification names no key of its own.
AWS_MANAGED_KEY = "alias/aws/dynamodb"


def kms_validation_error(error: ServiceError) -> ServiceError:
    """KMS's refusal as DynamoDB passes it on."""
    return ServiceError(
        "ValidationException",
        f"KMS validation error: com.amazonaws.services.kms.model.{error.code}: {error.message} "
        f"(Service: AWSKMS; Status Code: 400; Error Code: {error.code}; Request ID: {uuid.uuid4()}; "
        "Proxy: null)",
    )


def sse_description(runtime: Runtime, account: str, region: str, key_id: str | None) -> dict[str, str]:
    """The SSEDescription of a table encrypted under `key_id` (None: the AWS managed key)."""
    try:
        arn = runtime.provider("kms").key_arn_for(account, region, key_id or AWS_MANAGED_KEY)
    except ServiceError as error:
        raise kms_validation_error(error) from None
    return {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": arn}
