"""What a CloudTrail event says about one API call: the data tables that classify operations
(read-only, data event, global service, resources) and the rendering of a stored record into
the event JSON AWS writes.

A record is captured cheaply when the request is served (recorder.py) and rendered here only
when someone reads it (LookupEvents, delivery to S3), so recording costs the request path
almost nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from overcast.common.arns import partition
from overcast.common.times import iso_seconds

EVENT_VERSION = "1.09"

#: Operation name prefixes AWS records with readOnly true.
READ_ONLY_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "Head",
    "Lookup",
    "Search",
    "Query",
    "Scan",
    "BatchGet",
    "TransactGet",
    "Simulate",
    "Select",
    "Estimate",
    "Preview",
    "Check",
    "Validate",
    "Test",
    "Decode",
    "Detect",
    "Receive",
    "Download",
    "Poll",
    "View",
    "Export",
)
#: Exceptions to the prefix rule, both ways.
READ_ONLY_EXCEPTIONS = {
    ("sts", "GetSessionToken"): False,  # issues credentials: AWS marks it a write
    ("sts", "GetFederationToken"): False,
    ("lambda", "InvokeAsync"): False,
    ("s3", "SelectObjectContent"): True,
    ("kms", "GenerateDataKey"): True,
    ("kms", "Decrypt"): True,
    ("kms", "Encrypt"): True,
}

#: Services AWS records in us-east-1 whatever region the client names (global endpoints).
GLOBAL_SERVICES = frozenset(
    {
        "iam",
        "cloudfront",
        "route53",
        "route53domains",
        "organizations",
        "waf",
        "globalaccelerator",
        "shield",
        "budgets",
        "ce",
        "account",
        "health",
        "support",
    }
)

#: eventSource where CloudTrail's name differs from the model's endpoint prefix.
EVENT_SOURCE_OVERRIDES = {
    "email": "ses",
    "streams.dynamodb": "dynamodb",
    "runtime.lambda": "lambda",
    "data.iot": "iotdata",
    "runtime.sagemaker": "sagemaker",
    "execute-api": "apigateway",
    "api.ecr": "ecr",
}

#: Data events (object/item/message level), by service: the operations, and the resource
#: type AWS names them under in event selectors. Everything else is a management event.
DATA_EVENTS: dict[str, tuple[str, frozenset[str]]] = {
    "s3": (
        "AWS::S3::Object",
        frozenset(
            {
                "AbortMultipartUpload",
                "CompleteMultipartUpload",
                "CopyObject",
                "CreateMultipartUpload",
                "DeleteObject",
                "DeleteObjects",
                "DeleteObjectTagging",
                "GetObject",
                "GetObjectAcl",
                "GetObjectAttributes",
                "GetObjectLegalHold",
                "GetObjectRetention",
                "GetObjectTagging",
                "GetObjectTorrent",
                "HeadObject",
                "ListObjects",
                "ListObjectsV2",
                "ListObjectVersions",
                "ListParts",
                "ListMultipartUploads",
                "PutObject",
                "PutObjectAcl",
                "PutObjectLegalHold",
                "PutObjectRetention",
                "PutObjectTagging",
                "RestoreObject",
                "SelectObjectContent",
                "UploadPart",
                "UploadPartCopy",
            }
        ),
    ),
    "lambda": ("AWS::Lambda::Function", frozenset({"Invoke", "InvokeWithResponseStream", "InvokeAsync"})),
    "dynamodb": (
        "AWS::DynamoDB::Table",
        frozenset(
            {
                "GetItem",
                "PutItem",
                "UpdateItem",
                "DeleteItem",
                "Query",
                "Scan",
                "BatchGetItem",
                "BatchWriteItem",
                "TransactGetItems",
                "TransactWriteItems",
                "ExecuteStatement",
                "BatchExecuteStatement",
                "ExecuteTransaction",
            }
        ),
    ),
    "sqs": (
        "AWS::SQS::Queue",
        frozenset(
            {
                "SendMessage",
                "SendMessageBatch",
                "ReceiveMessage",
                "DeleteMessage",
                "DeleteMessageBatch",
                "ChangeMessageVisibility",
                "ChangeMessageVisibilityBatch",
            }
        ),
    ),
    "sns": ("AWS::SNS::Topic", frozenset({"Publish", "PublishBatch"})),
    "kinesis": (
        "AWS::Kinesis::Stream",
        frozenset(
            {
                "PutRecord",
                "PutRecords",
                "GetRecords",
                "GetShardIterator",
                "SubscribeToShard",
            }
        ),
    ),
}

#: Which request parameters name a resource, and its CloudTrail resource type. LookupEvents'
#: Resources (and the ResourceName / ResourceType lookup attributes) come from these.
RESOURCE_PARAMETERS: dict[str, tuple[tuple[str, str], ...]] = {
    "s3": (("Bucket", "AWS::S3::Bucket"), ("Key", "AWS::S3::Object")),
    "sqs": (("QueueUrl", "AWS::SQS::Queue"), ("QueueName", "AWS::SQS::Queue")),
    "sns": (("TopicArn", "AWS::SNS::Topic"), ("Name", "AWS::SNS::Topic")),
    "dynamodb": (("TableName", "AWS::DynamoDB::Table"),),
    "lambda": (("FunctionName", "AWS::Lambda::Function"),),
    "iam": (
        ("UserName", "AWS::IAM::User"),
        ("RoleName", "AWS::IAM::Role"),
        ("GroupName", "AWS::IAM::Group"),
        ("PolicyArn", "AWS::IAM::Policy"),
        ("AccessKeyId", "AWS::IAM::AccessKey"),
        ("InstanceProfileName", "AWS::IAM::InstanceProfile"),
    ),
    "sts": (("RoleArn", "AWS::IAM::Role"),),
    "kms": (("KeyId", "AWS::KMS::Key"),),
    "secretsmanager": (("SecretId", "AWS::SecretsManager::Secret"), ("Name", "AWS::SecretsManager::Secret")),
    "cloudtrail": (("Name", "AWS::CloudTrail::Trail"), ("TrailName", "AWS::CloudTrail::Trail")),
    "logs": (("logGroupName", "AWS::Logs::LogGroup"),),
    "kinesis": (("StreamName", "AWS::Kinesis::Stream"),),
    "ec2": (("InstanceId", "AWS::EC2::Instance"), ("VpcId", "AWS::EC2::VPC")),
}

#: Top-level request members a service's events name differently from its API.
REQUEST_RENAMES = {"s3.amazonaws.com": {"bucket": "bucketName"}}

#: Request members AWS never writes into an event in clear.
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
SECRET_MEMBERS = frozenset(
    {
        "SecretAccessKey",
        "SecretString",
        "SecretBinary",
        "Password",
        "NewPassword",
        "OldPassword",
        "PrivateKey",
        "Plaintext",
        "SessionToken",
        "AuthenticationCode1",
        "AuthenticationCode2",
        "TokenCode",
        "SAMLAssertion",
        "WebIdentityToken",
        "CiphertextBlob",
        # Lambda's environment variables (a sensitive shape), which Lambda keeps only encrypted.
        "Variables",
    }
)
#: Secret-looking members AWS still writes in responses (AssumeRole's session token).
RESPONSE_SHOWN = frozenset({"SessionToken"})
#: An event larger than this (as JSON) loses its request and response payloads, like AWS's
#: events over CloudTrail's size limit.
MAX_EVENT_CHARS = 100_000


class Operation:
    """Everything about an operation the recorder needs, computed once per operation."""

    __slots__ = (
        "data_type",
        "event_source",
        "global_region",
        "name",
        "read_only",
        "resources",
        "service",
    )

    def __init__(self, service: str, name: str, endpoint_prefix: str) -> None:
        self.service = service
        self.name = name
        prefix = EVENT_SOURCE_OVERRIDES.get(endpoint_prefix, endpoint_prefix)
        self.event_source = f"{prefix}.amazonaws.com"
        self.read_only = READ_ONLY_EXCEPTIONS.get((service, name), name.startswith(READ_ONLY_PREFIXES))
        data = DATA_EVENTS.get(service)
        self.data_type = data[0] if data is not None and name in data[1] else None
        self.global_region = service in GLOBAL_SERVICES
        self.resources = RESOURCE_PARAMETERS.get(service, ())


@lru_cache(maxsize=4096)
def operation(service: str, name: str, endpoint_prefix: str) -> Operation:
    return Operation(service, name, endpoint_prefix)


def global_region(region: str) -> str:
    """Where AWS records a global service's calls: the partition's first region."""
    return {"aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}.get(partition(region), "us-east-1")


def event_id(ts_us: int, request_id: str) -> str:
    """A UUID (version 7 layout) made of the event's millisecond and a hash of its request
    id (unique per request), so it costs nothing until an event is read, and is stable."""
    ms = ts_us // 1000
    rand = int.from_bytes(hashlib.blake2b(request_id.encode(), digest_size=10).digest(), "big")
    return (
        f"{ms >> 16:08x}-{ms & 0xFFFF:04x}-7{(rand >> 68) & 0xFFF:03x}-{8 | (rand >> 66) & 3:x}"
        f"{(rand >> 54) & 0xFFF:03x}-{rand & 0xFFFFFFFFFFFF:012x}"
    )


def event_id_ms(event_id: str) -> int | None:
    """The millisecond an event id was issued in, or None if it is not one of ours."""
    parts = event_id.split("-")
    if len(parts) != 5 or len(parts[0]) != 8 or len(parts[1]) != 4 or not parts[2].startswith("7"):
        return None
    try:
        return (int(parts[0], 16) << 16) | int(parts[1], 16)
    except ValueError:
        return None


# -- rendering ---------------------------------------------------------------------------------


def iso_time(ts_us: int) -> str:
    return iso_seconds(ts_us // 1_000_000)


def java_time(value: datetime) -> str:
    # CloudTrail writes timestamps inside requestParameters/responseElements the way its Java
    # serializer does: "Nov 26, 2026, 7:22:45 PM".
    value = value.astimezone(UTC)
    hour = value.hour % 12 or 12
    return f"{value:%b} {value.day}, {value.year}, {hour}:{value:%M:%S} {'AM' if value.hour < 12 else 'PM'}"


def elements(value: Any, response: bool = False) -> Any:
    """API members as CloudTrail writes them: lowerCamelCase names, secrets hidden (left out of
    responses, as AWS leaves out a new secret access key), blobs and streams left out,
    timestamps in CloudTrail's style."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "ResponseMetadata":
                continue
            name = key[:1].lower() + key[1:] if isinstance(key, str) else key
            if key in SECRET_MEMBERS:
                if not response:
                    out[name] = HIDDEN
                elif key in RESPONSE_SHOWN:
                    out[name] = item
                continue
            rendered = elements(item, response)
            if rendered is not _OMIT:
                out[name] = rendered
        return out
    if isinstance(value, list):
        return [item for item in (elements(v, response) for v in value) if item is not _OMIT]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, datetime):
        return java_time(value)
    if isinstance(value, Decimal):
        return float(value)
    return _OMIT  # bytes, streams, anything else binary


_OMIT = object()


def user_identity(record: Record) -> dict:
    arn, principal_id, account, key = (
        record.principal_arn,
        record.principal_id,
        record.account,
        record.access_key_id,
    )
    identity: dict[str, Any] = {}
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
    if resource.startswith("assumed-role/"):
        _, role, *_session = resource.split("/")
        role_principal = principal_id.split(":")[0] if principal_id else ""
        identity = {
            "type": "AssumedRole",
            "principalId": principal_id,
            "arn": arn,
            "accountId": account,
            "accessKeyId": key or "",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_principal,
                    "arn": f"arn:{arn.split(':')[1]}:iam::{account}:role/{role}",
                    "accountId": account,
                    "userName": role,
                },
                "attributes": {
                    "creationDate": iso_time(record.ts_us),
                    "mfaAuthenticated": "true" if record.mfa else "false",
                },
            },
        }
    elif resource.startswith("user/"):
        identity = {
            "type": "IAMUser",
            "principalId": principal_id,
            "arn": arn,
            "accountId": account,
            "accessKeyId": key or "",
            "userName": resource.rsplit("/", 1)[1],
        }
    elif resource.startswith("federated-user/"):
        identity = {
            "type": "FederatedUser",
            "principalId": principal_id,
            "arn": arn,
            "accountId": account,
            "accessKeyId": key or "",
        }
    else:
        identity = {
            "type": "Root",
            "principalId": principal_id or account,
            "arn": arn,
            "accountId": account,
            "accessKeyId": key or "",
        }
    if not identity["accessKeyId"]:
        del identity["accessKeyId"]
    return identity


@lru_cache(maxsize=4096)
def username(principal_arn: str) -> str:
    """The Username LookupEvents reports: the user's name, a role session's name, or root."""
    resource = principal_arn.split(":", 5)[5] if principal_arn.count(":") >= 5 else ""
    if resource.startswith("assumed-role/"):
        return resource.rsplit("/", 1)[1]
    if resource.startswith(("user/", "federated-user/")):
        return resource.rsplit("/", 1)[1]
    return "root"


class Record:
    """One recorded call, as kept in the store (a list, see FIELDS) and rendered on demand."""

    FIELDS = (
        "ts_us",
        "stored_id",
        "event_name",
        "event_source",
        "read_only",
        "data_type",
        "region",
        "account",
        "principal_arn",
        "principal_id",
        "access_key_id",
        "source_ip",
        "user_agent",
        "mfa",
        "request_id",
        "params",
        "response",
        "error_code",
        "error_message",
        "resources",
    )
    __slots__ = FIELDS

    ts_us: int
    stored_id: str | None
    event_name: str
    event_source: str
    read_only: bool
    data_type: str | None
    region: str
    account: str
    principal_arn: str
    principal_id: str
    access_key_id: str | None
    source_ip: str
    user_agent: str
    mfa: bool
    request_id: str
    params: dict | None
    response: dict | None
    error_code: str | None
    error_message: str | None
    #: (type, name, ARN) of each resource the call names.
    resources: list[Sequence[str]]

    def __init__(self, values: list) -> None:
        for name, value in zip(self.FIELDS, values, strict=False):
            setattr(self, name, value)

    @property
    def event_id(self) -> str:
        if self.stored_id is None:
            self.stored_id = event_id(self.ts_us, self.request_id)
        return self.stored_id

    @property
    def username(self) -> str:
        return username(self.principal_arn)

    def event(self) -> dict:
        """The CloudTrail event, field for field as AWS writes it."""
        management = self.data_type is None
        event: dict[str, Any] = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": user_identity(self),
            "eventTime": iso_time(self.ts_us),
            "eventSource": self.event_source,
            "eventName": self.event_name,
            "awsRegion": self.region,
            "sourceIPAddress": self.source_ip,
            "userAgent": self.user_agent,
        }
        if self.error_code:
            event["errorCode"] = self.error_code
            if self.error_message:
                event["errorMessage"] = self.error_message
        params = (elements(self.params) or None) if self.params else None
        renames = REQUEST_RENAMES.get(self.event_source)
        if params and renames:
            params = {renames.get(name, name): value for name, value in params.items()}
        event["requestParameters"] = params
        event["responseElements"] = (elements(self.response, True) or None) if self.response else None
        event["requestID"] = self.request_id
        event["eventID"] = self.event_id
        event["readOnly"] = self.read_only
        if self.resources and not management:
            # AWS lists the object before its bucket, and names the owner of all but objects.
            event["resources"] = [
                {"type": rtype, "ARN": arn}
                if rtype == "AWS::S3::Object"
                else {"accountId": self.account, "type": rtype, "ARN": arn}
                for rtype, _name, arn in sorted(self.resources, key=lambda r: r[0] != "AWS::S3::Object")
            ]
        event["eventType"] = "AwsApiCall"
        event["managementEvent"] = management
        event["recipientAccountId"] = self.account
        event["eventCategory"] = "Management" if management else "Data"
        return event

    def json(self) -> str:
        event = self.event()
        text = json.dumps(event, separators=(",", ":"))
        if len(text) > MAX_EVENT_CHARS:
            # Like AWS, an event too large to deliver keeps its identity but not its payloads.
            for name in ("requestParameters", "responseElements"):
                if event[name] is not None:
                    event[name] = {"omitted": True, "reason": "the payload exceeds the event size limit"}
            text = json.dumps(event, separators=(",", ":"))
        return text

    def lookup_entry(self) -> dict:
        entry = {
            "EventId": self.event_id,
            "EventName": self.event_name,
            "ReadOnly": "true" if self.read_only else "false",
            "EventTime": datetime.fromtimestamp(self.ts_us // 1_000_000, UTC),
            "EventSource": self.event_source,
            "Username": self.username,
            "Resources": [
                {"ResourceType": rtype, "ResourceName": name} for rtype, name, _ in self.resources or ()
            ],
            "CloudTrailEvent": self.json(),
        }
        if self.access_key_id:
            entry["AccessKeyId"] = self.access_key_id
        return entry


#: How to name a resource's ARN from the name a request gives (an ARN is taken as it is).
ARN_TEMPLATES = {
    "AWS::S3::Bucket": "arn:{p}:s3:::{name}",
    "AWS::DynamoDB::Table": "arn:{p}:dynamodb:{region}:{account}:table/{name}",
    "AWS::Lambda::Function": "arn:{p}:lambda:{region}:{account}:function:{name}",
    "AWS::IAM::User": "arn:{p}:iam::{account}:user/{name}",
    "AWS::IAM::Role": "arn:{p}:iam::{account}:role/{name}",
    "AWS::IAM::Group": "arn:{p}:iam::{account}:group/{name}",
    "AWS::IAM::InstanceProfile": "arn:{p}:iam::{account}:instance-profile/{name}",
    "AWS::KMS::Key": "arn:{p}:kms:{region}:{account}:key/{name}",
    "AWS::SQS::Queue": "arn:{p}:sqs:{region}:{account}:{name}",
    "AWS::SNS::Topic": "arn:{p}:sns:{region}:{account}:{name}",
    "AWS::CloudTrail::Trail": "arn:{p}:cloudtrail:{region}:{account}:trail/{name}",
    "AWS::Kinesis::Stream": "arn:{p}:kinesis:{region}:{account}:stream/{name}",
    "AWS::Logs::LogGroup": "arn:{p}:logs:{region}:{account}:log-group:{name}",
    "AWS::SecretsManager::Secret": "arn:{p}:secretsmanager:{region}:{account}:secret:{name}",
    "AWS::EC2::Instance": "arn:{p}:ec2:{region}:{account}:instance/{name}",
    "AWS::EC2::VPC": "arn:{p}:ec2:{region}:{account}:vpc/{name}",
}


def resources(op: Operation, params: dict, account: str, region: str) -> list:
    """[(type, name, ARN)] of the resources a request names."""
    found = []
    bucket = None
    for member, rtype in op.resources:
        value = params.get(member)
        if not isinstance(value, str) or not value:
            continue
        if rtype == "AWS::S3::Bucket":
            bucket = value
        if rtype == "AWS::S3::Object":
            if bucket is None:
                continue
            found.append((rtype, value, f"arn:{partition(region)}:s3:::{bucket}/{value}"))
            continue
        name = value.rstrip("/").rsplit("/", 1)[-1] if member == "QueueUrl" else value
        if value.startswith("arn:"):
            arn = value
        else:
            arn = ARN_TEMPLATES.get(rtype, "{name}").format(
                p=partition(region), region=region, account=account, name=name
            )
        found.append((rtype, name if member == "QueueUrl" else value, arn))
    return found
