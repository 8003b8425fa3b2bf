"""How large a request body each service takes whole (not as a streamed upload), and the error
past it. A body is read into memory before it is parsed, so without a cap one POST of
512 MiB to DynamoDB holds 1.6 GB of server memory; with one, the request is refused as soon as
its Content-Length (or the bytes that arrived) pass the service's limit, and the rest is never
read.

Each limit is the service's largest valid request, with room for its encoding (JSON escapes,
base64, URL encoding): AWS refuses larger ones at its front door.
"""

from __future__ import annotations

from dataclasses import dataclass

from overcast.errors import ServiceError

MiB = 1 << 20


@dataclass(frozen=True)
class BodyLimit:
    size: int
    code: str = "RequestEntityTooLarge"
    status: int = 413
    #: The refusal's message; {size} is the limit, {operation} the operation refused.
    message: str = "Request body is larger than the {size} bytes this service accepts"
    #: The message when the operation is not known yet ({operation} is not used).
    fallback: str = ""
    #: (operation, code) where an operation refuses with another code than `code`.
    codes: tuple[tuple[str, str], ...] = ()

    def error(self, operation: str | None = None) -> ServiceError:
        message = self.message if operation or not self.fallback else self.fallback
        code = dict(self.codes).get(operation or "", self.code)
        return ServiceError(code, message.format(size=self.size, operation=operation), self.status)


#: Anything else: a request body AWS takes whole is a few MB at most (CloudWatch PutMetricData
#: 1 MB, a CloudFormation template 1 MB).
DEFAULT = BodyLimit(32 * MiB)

#: By signing name (the service of the request's credential scope).
LIMITS: dict[str, BodyLimit] = {
    # BatchWriteItem and TransactWriteItems: 16 MB of items, and their JSON.
    "dynamodb": BodyLimit(16 * MiB + 64 * 1024),
    # A message of 1 MiB (or a batch of that much) URL-encoded: up to three bytes a byte.
    "sqs": BodyLimit(4 * MiB),
    # 256 KB messages, URL-encoded in the query protocol.
    "sns": BodyLimit(2 * MiB),
    # PutLogEvents: 1 MB of events, JSON-escaped.
    "logs": BodyLimit(8 * MiB),
    # CreateFunction and UpdateFunctionCode: a 50 MB zip, base64 in JSON (AWS's own figure).
    # AWS recorded: RequestEntityTooLargeException, naming the operation.
    "lambda": BodyLimit(
        70_167_211,
        "RequestEntityTooLargeException",
        413,
        "Request must be smaller than {size} bytes for the {operation} operation",
        "Request must be smaller than {size} bytes for this operation",
        # Invocations refuse with their modelled error.
        (("Invoke", "RequestTooLargeException"), ("InvokeWithResponseStream", "RequestTooLargeException")),
    ),
    # XML request bodies (DeleteObjects, CompleteMultipartUpload); uploads are streamed.
    "s3": BodyLimit(32 * MiB, "MaxMessageLengthExceeded", 400, "Your request was too big."),
}

#: S3's browser-based upload (POST Object) carries the object itself, up to 5 GB.
FORM_UPLOAD = BodyLimit(
    5 * 1024 * MiB, "EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed size"
)


def limit_for(signing_name: str | None) -> BodyLimit:
    return LIMITS.get(signing_name or "", DEFAULT)
