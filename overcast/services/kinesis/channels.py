"""Kinesis channels: a channel is the configuration of a delivery from data streams to Amazon S3
(a general purpose bucket, or S3 Tables streaming tables). Channels are kept as resources with
their ARNs, states and tags; CreateChannel and UpdateChannel settle from CREATING/UPDATING to
ACTIVE as AWS's asynchronous operations do. The configuration is validated against the model
and stored and returned as given where the documentation leaves its meaning open.

Table (scope = account/region):
  channels  channel name → the channel (its configuration, status, tags)
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common import tagging
from overcast.common.arns import parse_arn
from overcast.errors import ServiceError
from overcast.store import scope as store_scope

from .errors import in_use, invalid, not_found
from .queues import RESOURCE_TAG_RULES, SETTLE_SECONDS
from .records import kms_error

if TYPE_CHECKING:
    from overcast.context import RequestContext

    from .provider import Provider

CHANNEL_NAME = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
ROLE_ARN = re.compile(r"^arn:aws[-a-z0-9]*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+$")
# The documentation gives no default freshness; 300 seconds is what an absent value is stored as.
DEFAULT_FRESHNESS = 300


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def channel_status(row: dict[str, Any]) -> str:
    return row["pending"] if time.time() < row["settled"] else "ACTIVE"


def channel_description(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ChannelName": row["ChannelName"],
        "ChannelARN": row["ChannelARN"],
        "ChannelId": row["ChannelId"],
        "ChannelStatus": channel_status(row),
        "ChannelCreationTimestamp": _when(row["created"]),
        "ServiceExecutionRoleARN": row["ServiceExecutionRoleARN"],
        "StreamConfigurationList": [
            {
                "StreamARN": s["StreamARN"],
                "StreamCreationTimestamp": _when(s["created"]),
                "RecordConfiguration": s["RecordConfiguration"],
            }
            for s in row["streams"]
        ],
        "LoggingConfiguration": row["LoggingConfiguration"],
    }
    for field in (
        "S3DestinationConfiguration",
        "S3TablesDestinationConfiguration",
        "EncryptionConfiguration",
    ):
        if row.get(field) is not None:
            out[field] = row[field]
    return out


class ChannelsMixin:
    def init_channels(self: Provider) -> None:  # type: ignore[misc]
        self.channels = self.store.table("kinesis", "channels")

    def _channel(self: Provider, arn: str) -> tuple[str, dict[str, Any]]:  # type: ignore[misc]
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "kinesis" or not parsed.resource.startswith("channel/"):
            raise invalid(f"Invalid ChannelARN: {arn}")
        scope = store_scope(parsed.account, parsed.region)
        row = self.channels.get(scope, parsed.resource.split("/", 1)[1])
        if row is None or row["ChannelARN"] != arn:
            raise not_found(f"Channel {arn} under account {parsed.account} not found.")
        return scope, row

    def create_channel(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["ChannelName"]
        if not CHANNEL_NAME.match(name):
            raise invalid(f"Invalid ChannelName: {name}. It must match [a-zA-Z0-9_.-]{{1,128}}.")
        role = params["ServiceExecutionRoleARN"]
        if not ROLE_ARN.match(role):
            raise invalid(f"Invalid ServiceExecutionRoleARN: {role}.")
        s3, tables = params.get("S3DestinationConfiguration"), params.get("S3TablesDestinationConfiguration")
        if (s3 is None) == (tables is None):
            raise invalid(
                "Exactly one of S3DestinationConfiguration and S3TablesDestinationConfiguration must be given."
            )
        destination = dict(s3 or tables or {})
        destination.setdefault("DataFreshnessInSeconds", DEFAULT_FRESHNESS)
        if s3 is not None and "DeadLetterQueueS3Configuration" not in destination:
            # S3DestinationDescription always has one: failed records go beside the delivered ones.
            storage = destination["StorageConfiguration"]
            destination["DeadLetterQueueS3Configuration"] = {
                "BucketARN": storage["BucketARN"],
                "ExpectedBucketOwner": storage["ExpectedBucketOwner"],
            }
        encryption = params.get("EncryptionConfiguration")
        if encryption is not None:
            # The key must be one KMS can use, as AWS checks it when the channel is made.
            try:
                self.runtime.provider("kms").key_arn_for(context.account, context.region, encryption["KeyId"])
            except ServiceError as error:
                raise kms_error(error) from None
        logging_config = params.get("LoggingConfiguration") or {"CloudWatchLogs": {"Enabled": False}}
        tags = tagging.tag_map(params.get("Tags"), RESOURCE_TAG_RULES)
        scope = self.scope_of(context)
        now = time.time()
        with self.store.transaction():
            if self.channels.get(scope, name) is not None:
                raise in_use(f"Channel {name} under account {context.account} already exists.")
            streams = []
            for config in params["StreamConfigurationList"]:
                _, stream = self._stream_of_arn(config["StreamARN"])
                record = config["RecordConfiguration"]
                if record.get("RecordFormatType") == "GSR_JSON" and not record.get("GSRSchemaARN"):
                    raise invalid("GSRSchemaARN must be given for the GSR_JSON record format.")
                streams.append(
                    {
                        "StreamARN": stream["StreamARN"],
                        "created": stream["created"],
                        "RecordConfiguration": record,
                    }
                )
            row = {
                "ChannelName": name,
                "ChannelARN": f"arn:aws:kinesis:{context.region}:{context.account}:channel/{name}",
                "ChannelId": secrets.token_hex(16),
                "created": now,
                "settled": now + SETTLE_SECONDS,
                "pending": "CREATING",
                "ServiceExecutionRoleARN": role,
                "streams": streams,
                "S3DestinationConfiguration": destination if s3 is not None else None,
                "S3TablesDestinationConfiguration": destination if tables is not None else None,
                "EncryptionConfiguration": encryption,
                "LoggingConfiguration": logging_config,
                "tags": tags,
            }
            self.channels.put(scope, name, row)
        return {"ChannelDescription": channel_description(row)}

    def describe_channel(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, row = self._channel(params["ChannelARN"])
        return {"ChannelDescription": channel_description(row)}

    def update_channel(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            scope, row = self._channel(params["ChannelARN"])
            status = channel_status(row)
            if status != "ACTIVE":
                raise in_use(f"Channel {row['ChannelARN']} is {status}; it can be updated once it is ACTIVE.")
            for field in ("S3DestinationConfiguration", "S3TablesDestinationConfiguration"):
                given = params.get(field)
                if given is None:
                    continue
                if row.get(field) is None:
                    raise invalid(f"{field} cannot be given: the channel's destination is of the other kind.")
                row[field]["DataFreshnessInSeconds"] = given["DataFreshnessInSeconds"]
            if params.get("LoggingConfiguration") is not None:
                row["LoggingConfiguration"] = params["LoggingConfiguration"]
            row["settled"] = time.time() + SETTLE_SECONDS
            row["pending"] = "UPDATING"
            self.channels.put(scope, row["ChannelName"], row)
        return {"ChannelDescription": channel_description(row)}

    def delete_channel(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            scope, row = self._channel(params["ChannelARN"])
            self.channels.delete(scope, row["ChannelName"])
        return {}

    def list_channels(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        rows, token = self.stream_filtered_page(context, params, self.channels, "ListChannels", "ChannelName")
        out: dict[str, Any] = {
            "ChannelSummaries": [
                {
                    "ChannelName": row["ChannelName"],
                    "ChannelARN": row["ChannelARN"],
                    "ChannelId": row["ChannelId"],
                    "ChannelStatus": channel_status(row),
                    "ChannelCreationTimestamp": _when(row["created"]),
                    "ChannelDestinationType": "S3" if row.get("S3DestinationConfiguration") else "S3_TABLES",
                    "Streams": [
                        {"StreamARN": s["StreamARN"], "StreamCreationTimestamp": _when(s["created"])}
                        for s in row["streams"]
                    ],
                }
                for row in rows
            ]
        }
        if token:
            out["NextToken"] = token
        return out
