"""Who is asking, where, and for what: built once per request, handed to the provider."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel

    from overcast.http import Request

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"


@dataclass
class RequestContext:
    request: Request
    request_id: str
    service: str = ""
    #: The wire protocol the client spoke (a service may accept several).
    protocol: str = ""
    service_model: ServiceModel | None = None
    operation: OperationModel | None = None
    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    access_key_id: str | None = None
    #: The ARN of the calling principal.
    principal_arn: str = ""
    principal_id: str = ""
    extra: dict = field(default_factory=dict)
    #: The HTTP status of a success where AWS answers other than the model says and the output
    #: has no member for it (S3 RestoreObject: 202 for a new restore, 200 for an extended one).
    status: int | None = None
    #: When the request arrived (time.perf_counter), for the latency services publish.
    started: float = field(default_factory=time.perf_counter)
    #: What the request failed with, and its parsed input then (the request log keeps both).
    error: Exception | None = None
    params: dict | None = None

    @property
    def operation_name(self) -> str:
        return self.operation.name if self.operation is not None else ""

    @classmethod
    def internal(
        cls, service: str, account: str, region: str = DEFAULT_REGION, principal_arn: str = ""
    ) -> RequestContext:
        """A context for one service calling another's handlers from Python (an SQS poller of
        Lambda's, CloudTrail writing to S3): no HTTP request behind it."""
        from overcast.common.arns import partition
        from overcast.http import Request

        return cls(
            request=Request("POST", "/", "", {}),
            request_id="internal",
            service=service,
            account=account,
            region=region,
            principal_arn=principal_arn or f"arn:{partition(region)}:iam::{account}:root",
            principal_id=account,
            extra={"internal": True},
        )
