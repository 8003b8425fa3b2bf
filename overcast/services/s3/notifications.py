"""Event notifications: the bucket's configuration (SQS queues, SNS topics, Lambda functions,
EventBridge), validated as S3 does, and the events themselves in AWS's shape.

Every event is published on the bus topic "s3:event" (the S3 event record) while anything
subscribes to it (built only then: most buckets have no consumer at all); each matching
queue/topic/function configuration gets the notification message through bus.deliver; with
EventBridge enabled, the EventBridge-shaped event is published on "events:put"."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from overcast.bus import DeliveryError
from overcast.common.arns import partition
from overcast.common.times import iso_millis, iso_seconds
from overcast.context import RequestContext
from overcast.services.s3.configstore import invalid_argument, s3_error

if TYPE_CHECKING:
    # Methods here declare `self: Provider`: they run on the Provider this mixin is mixed into.
    # mypy accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.s3.provider import Provider

EVENT_NAMES = frozenset(
    {
        "s3:ReducedRedundancyLostObject",
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:ObjectRestore:*",
        "s3:ObjectRestore:Post",
        "s3:ObjectRestore:Completed",
        "s3:ObjectRestore:Delete",
        "s3:Replication:*",
        "s3:Replication:OperationFailedReplication",
        "s3:Replication:OperationNotTracked",
        "s3:Replication:OperationMissedThreshold",
        "s3:Replication:OperationReplicatedAfterThreshold",
        "s3:LifecycleExpiration:*",
        "s3:LifecycleExpiration:Delete",
        "s3:LifecycleExpiration:DeleteMarkerCreated",
        "s3:LifecycleTransition",
        "s3:IntelligentTiering",
        "s3:ObjectTagging:*",
        "s3:ObjectTagging:Put",
        "s3:ObjectTagging:Delete",
        "s3:ObjectAcl:Put",
        "s3:ObjectAnnotation:*",
        "s3:ObjectAnnotation:Put",
        "s3:ObjectAnnotation:Delete",
    }
)
#: (configuration list member, ARN member, service that owns the ARN)
KINDS = (
    ("QueueConfigurations", "QueueArn", "sqs"),
    ("TopicConfigurations", "TopicArn", "sns"),
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"),
)
#: The ArgumentName S3 gives for an ARN it cannot parse, per ARN member (its XML names).
_ARGUMENT_NAMES = {"QueueArn": "Queue", "TopicArn": "Topic", "LambdaFunctionArn": "CloudFunction"}
#: What S3 says of a queue or topic that does not exist when it validates destinations.
_MISSING_DESTINATION = {
    "sqs": "The destination queue does not exist",
    "sns": "The destination topic does not exist",
}
#: What S3 says of a destination whose policy does not let it publish this bucket's events.
_NOT_PERMITTED = {
    "sqs": "Permissions on the destination queue do not allow S3 to publish notifications from this bucket",
    "sns": "Permissions on the destination topic do not allow S3 to publish notifications from this bucket",
}
#: The action S3 needs on each kind of destination.
_DELIVERY_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction"}
SUBJECT = "Amazon S3 Notification"

#: EventBridge detail-type and reason per S3 event name.
_DETAIL_TYPES = {
    "ObjectCreated": "Object Created",
    "ObjectRemoved": "Object Deleted",
    "ObjectRestore:Post": "Object Restore Initiated",
    "ObjectRestore:Completed": "Object Restore Completed",
    "ObjectRestore:Delete": "Object Restore Expired",
    "ObjectTagging:Put": "Object Tags Added",
    "ObjectTagging:Delete": "Object Tags Deleted",
    "ObjectAcl:Put": "Object ACL Updated",
    "LifecycleTransition": "Object Storage Class Changed",
    "LifecycleExpiration": "Object Deleted",
}
_REASONS = {
    "Put": "PutObject",
    "Post": "POST Object",
    "Copy": "CopyObject",
    "CompleteMultipartUpload": "CompleteMultipartUpload",
}
#: Event families whose object carries its size and ETag; those that carry the ETag only (and
#: no sequencer). Removals carry neither.
_WITH_CONTENT = ("ObjectCreated", "ObjectRestore", "LifecycleTransition")
_WITH_ETAG = ("ObjectTagging", "ObjectAcl")
_EMPTY_ETAG = "d41d8cd98f00b204e9800998ecf8427e"

_sequence = itertools.count()


def _sequencer() -> str:
    """Ordered per key as AWS's are: a hex string that grows with time."""
    return f"{time.time_ns():016X}{next(_sequence) & 0xFF:02X}"


def _filter_rules(configuration: dict) -> list[dict]:
    return ((configuration.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []


def _validate_filter(configuration: dict) -> None:
    seen = set()
    for rule in _filter_rules(configuration):
        if rule.get("Name") is None or rule.get("Value") is None:
            raise s3_error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        name = (rule.get("Name") or "").lower()
        if name not in ("prefix", "suffix"):
            raise invalid_argument(
                "filter rule name must be either prefix or suffix", "FilterRule.Name", rule.get("Name")
            )
        if name in seen:
            raise invalid_argument(
                f"Cannot specify more than one {name} rule in a filter.", "FilterRule.Name", rule.get("Name")
            )
        seen.add(name)
        if len(rule.get("Value") or "") > 1024:
            raise invalid_argument(
                "filter rule value cannot be longer than 1024", "FilterRule.Value", rule.get("Value")
            )


def _filter_values(configuration: dict) -> tuple[str, str]:
    values = {
        (rule.get("Name") or "").lower(): rule.get("Value") or "" for rule in _filter_rules(configuration)
    }
    return values.get("prefix", ""), values.get("suffix", "")


def _event_matches(pattern: str, event: str) -> bool:
    return pattern == event or (pattern.endswith(":*") and event.startswith(pattern[:-1]))


def _overlap(a: dict, b: dict) -> bool:
    if not any(_event_matches(x, y) or _event_matches(y, x) for x in a["Events"] for y in b["Events"]):
        return False
    (prefix_a, suffix_a), (prefix_b, suffix_b) = _filter_values(a), _filter_values(b)
    prefixes = prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a)
    suffixes = suffix_a.endswith(suffix_b) or suffix_b.endswith(suffix_a)
    return prefixes and suffixes


#: The eventVersion S3 gives each kind of event (AWS's event message structure): 2.2 for
#: replication, 2.3 for lifecycle, Intelligent-Tiering, ACL, tagging and restore deletion;
#: 2.1 for the rest.
_EVENT_VERSIONS = {
    "Replication": "2.2",
    "LifecycleExpiration": "2.3",
    "LifecycleTransition": "2.3",
    "IntelligentTiering": "2.3",
    "ObjectAcl": "2.3",
    "ObjectTagging": "2.3",
    "ObjectRestore:Delete": "2.3",
}


def customer_id(account: str) -> str:
    """The bucket owner's Amazon customer id, as S3 names owners in events ("A" and 13
    upper-case letters and digits, not the account number); derived from the account."""
    digest = base64.b32encode(hashlib.sha256(f"customer:{account}".encode()).digest()).decode()
    return "A" + digest[:13]


def _event_version(family: str, event_name: str) -> str:
    return _EVENT_VERSIONS.get(event_name) or _EVENT_VERSIONS.get(family) or "2.1"


class NotificationOperations:
    async def put_bucket_notification_configuration(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> dict:
        bucket = self.config_bucket(context, params)
        given = params.get("NotificationConfiguration") or {}
        stored: dict = {}
        every = []
        for member, arn_member, service in KINDS:
            configurations = []
            for configuration in given.get(member) or []:
                arn = configuration.get(arn_member) or ""
                parts = arn.split(":")
                if len(parts) < 6 or parts[0] != "arn" or parts[2] != service:
                    raise invalid_argument("The ARN could not be parsed", _ARGUMENT_NAMES[arn_member], arn)
                if parts[3] != bucket["Region"]:
                    # Queues, topics and functions receive only their own region's buckets' events.
                    raise invalid_argument(
                        "The notification destination service region is not valid for the "
                        "bucket location constraint",
                        _ARGUMENT_NAMES[arn_member],
                        arn,
                    )
                events = configuration.get("Events") or []
                if not events:
                    raise s3_error(
                        "MalformedXML",
                        "The XML you provided was not well-formed or did not validate "
                        "against our published schema",
                    )
                for event in events:
                    if event not in EVENT_NAMES:
                        raise invalid_argument("The event is not supported for notifications", "Event", event)
                _validate_filter(configuration)
                clean = {k: v for k, v in configuration.items() if v is not None}
                if _filter_rules(clean):
                    # S3 reads rule names in any case and reports them capitalised.
                    clean["Filter"] = {
                        "Key": {
                            "FilterRules": [
                                {"Name": rule["Name"].capitalize(), "Value": rule.get("Value") or ""}
                                for rule in _filter_rules(clean)
                            ]
                        }
                    }
                clean.setdefault("Id", str(uuid.uuid4()))
                configurations.append(clean)
                every.append(clean)
            if configurations:
                stored[member] = configurations
        for index, first in enumerate(every):
            for second in every[index + 1 :]:
                if _overlap(first, second):
                    raise invalid_argument(
                        "Configurations overlap. Configurations on the same bucket cannot share "
                        "a common event type.",
                        "Event",
                        first["Events"][0],
                    )
        if given.get("EventBridgeConfiguration") is not None:
            stored["EventBridgeConfiguration"] = {}
        if not params.get("SkipDestinationValidation"):
            await self._validate_destinations(context, bucket, stored)
        if stored:
            self.configs.put(bucket, "notification", stored)
        else:
            self.configs.delete(bucket, "notification")
        return {}

    async def _validate_destinations(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, stored: dict
    ) -> None:
        """AWS checks each queue and topic by sending it one s3:TestEvent (however many
        configurations name it), and that each function exists; it lists every destination
        that failed, numbered."""
        failed: dict[str, str] = {}
        test_event = json.dumps(
            {
                "Service": "Amazon S3",
                "Event": "s3:TestEvent",
                "Time": iso_millis(),
                "Bucket": bucket["Name"],
                "RequestId": context.request_id,
                "HostId": context.request_id,
            }
        )
        for member, arn_member, service in KINDS[:2]:
            for arn in dict.fromkeys(configuration[arn_member] for configuration in stored.get(member) or []):
                if not self._destination_consents(bucket, arn):
                    failed[arn] = _NOT_PERMITTED[service]
                    continue
                try:
                    await self.runtime.bus.deliver_now(arn, test_event, subject=SUBJECT)
                except DeliveryError as error:
                    failed[arn] = (
                        _MISSING_DESTINATION[service] if "does not exist" in str(error) else str(error)
                    )
        for arn in dict.fromkeys(
            configuration["LambdaFunctionArn"]
            for configuration in stored.get("LambdaFunctionConfigurations") or []
        ):
            if self._missing_function(arn) or not self._destination_consents(bucket, arn):
                # S3 names the function and its qualifier (none here) and says it may not invoke it.
                failed[f"{arn}, null"] = f"Not authorized to invoke function [{arn}]"
        if failed:
            fields = {}
            for number, (arn, reason) in enumerate(failed.items(), start=1):
                fields[f"ArgumentName{number}"] = arn
                fields[f"ArgumentValue{number}"] = reason
            raise s3_error(
                "InvalidArgument",
                "Unable to validate the following destination configurations",
                400,
                **fields,
            )

    def _destination_consents(self: Provider, bucket: dict, arn: str) -> bool:  # type: ignore[misc]
        """Under --enforce-iam, a destination of another account than the bucket's takes its
        events only where its policy lets s3.amazonaws.com send them for this bucket."""
        if not self.runtime.config.enforce_iam or arn.count(":") < 5:
            return True
        parts = arn.split(":")
        if parts[4] == bucket["Account"] or parts[2] not in _DELIVERY_ACTIONS:
            return True
        bucket_arn = f"arn:{partition(bucket['Region'])}:s3:::{bucket['Name']}"
        iam = self.runtime.provider("iam")
        return bool(
            iam.service_may_deliver(
                "s3.amazonaws.com", _DELIVERY_ACTIONS[parts[2]], arn, bucket_arn, bucket["Account"]
            )
        )

    def _missing_function(self: Provider, arn: str) -> str | None:  # type: ignore[misc]
        """Why a function cannot receive S3's events, or None. (AWS checks that the function
        exists and lets S3 invoke it; S3 sends functions no test event.)"""
        from overcast import services

        runtime = self.runtime
        if "lambda" not in services.implemented() or not runtime.config.service_enabled("lambda"):
            return f"Overcast does not run lambda, the service of {arn}"
        parts = arn.split(":")
        if len(parts) not in (7, 8) or parts[5] != "function":
            return "Not a function ARN"
        try:
            runtime.provider("lambda").resolve(
                parts[4], parts[3], parts[6], parts[7] if len(parts) == 8 else None
            )
        except Exception as error:
            return str(getattr(error, "message", error))
        return None

    def get_bucket_notification_configuration(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        bucket = self.config_bucket(context, params)
        return self.configs.get(bucket, "notification") or {}

    # -- events ---------------------------------------------------------------------------------

    def event_record(  # type: ignore[misc]
        self: Provider,
        context: RequestContext,
        bucket: dict,
        event_name: str,
        obj: dict,
        configuration_id: str,
    ) -> dict:
        now = datetime.now(UTC)
        family, _, detail = event_name.partition(":")
        s3_object = {"key": quote_plus(obj["Key"], safe="/~")}
        if family in _WITH_CONTENT:
            if obj.get("Size") is not None:
                s3_object["size"] = obj["Size"]
            if obj.get("ETag"):
                s3_object["eTag"] = obj["ETag"].strip('"')
        elif family in _WITH_ETAG and obj.get("ETag"):
            s3_object["eTag"] = obj["ETag"].strip('"')
        elif detail == "DeleteMarkerCreated":
            s3_object["eTag"] = _EMPTY_ETAG  # a delete marker's: the MD5 of no bytes
        version = obj.get("VersionId")
        if version and version != "null":
            s3_object["versionId"] = version
        if family not in _WITH_ETAG:
            s3_object["sequencer"] = obj.get("Sequencer") or _sequencer()
        if event_name == "ObjectRestore:Completed":
            # S3 itself completes a restore, on behalf of the bucket's owner.
            principal = f"AmazonCustomer:{customer_id(bucket['Account'])}"
        else:
            principal = f"AWS:{context.principal_id or context.account}"
        record = {
            "eventVersion": _event_version(family, event_name),
            "eventSource": "aws:s3",
            "awsRegion": bucket["Region"],
            "eventTime": iso_millis(now),
            "eventName": event_name,
            "userIdentity": {"principalId": principal},
            "requestParameters": {"sourceIPAddress": context.request.client_ip},
            "responseElements": {"x-amz-request-id": context.request_id, "x-amz-id-2": context.request_id},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": configuration_id,
                "bucket": {
                    "name": bucket["Name"],
                    "ownerIdentity": {"principalId": customer_id(bucket["Account"])},
                    "arn": f"arn:{partition(bucket['Region'])}:s3:::{bucket['Name']}",
                },
                "object": s3_object,
            },
        }
        if event_name == "ObjectRestore:Completed":
            record["glacierEventData"] = {
                "restoreEventData": {
                    "lifecycleRestorationExpiryTime": iso_millis(obj["Restore"]["Expiry"]),
                    "lifecycleRestoreStorageClass": obj.get("StorageClass") or "GLACIER",
                }
            }
        return record

    def wants_events(self: Provider, bucket: dict) -> bool:  # type: ignore[misc]
        """Whether an object event of this bucket would reach anyone (callers skip building it
        otherwise)."""
        return bool(self.configs.get(bucket, "notification")) or self.runtime.bus.has_subscribers("s3:event")

    def object_event(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, event_name: str, obj: dict
    ) -> None:
        """An object changed; event_name as AWS names it without the "s3:" prefix
        ("ObjectCreated:Put", "ObjectRemoved:DeleteMarkerCreated", ...). Delivers to the
        bucket's notification configuration through the bus's outbox: call it inside the store
        transaction that writes the change, so the two commit together."""
        if context.extra.get("lifecycle") and event_name.startswith("ObjectRemoved:"):
            # What the lifecycle worker deletes, AWS announces as lifecycle expirations.
            event_name = "LifecycleExpiration:" + event_name.partition(":")[2]
        if event_name == "ObjectRestore:Post" and obj.get("Restore"):
            self._complete_restore_later(bucket, obj)
        bus = self.runtime.bus
        configuration = self.configs.get(bucket, "notification")
        listened = bus.has_subscribers("s3:event")
        if not configuration and not listened:
            return  # nobody would receive the event: building it is most of its cost
        obj = {**obj, "Sequencer": obj.get("Sequencer") or _sequencer()}
        if listened:
            bus.publish("s3:event", self.event_record(context, bucket, event_name, obj, ""))
        if not configuration:
            return
        full_name = "s3:" + event_name
        key = obj["Key"]
        trace = context.request.headers.get("x-amzn-trace-id") if context.request is not None else None
        for member, arn_member, kind in KINDS:
            for target in configuration.get(member) or []:
                if not any(_event_matches(pattern, full_name) for pattern in target["Events"]):
                    continue
                prefix, suffix = _filter_values(target)
                if not (key.startswith(prefix) and key.endswith(suffix)):
                    continue
                record = self.event_record(context, bucket, event_name, obj, target["Id"])
                options: dict[str, Any] = {"subject": SUBJECT}
                if trace and kind == "sqs":
                    # The writer's X-Ray trace header reaches the queue as AWSTraceHeader.
                    options["system_attributes"] = {
                        "AWSTraceHeader": {"DataType": "String", "StringValue": trace}
                    }
                bus.deliver(target[arn_member], json.dumps({"Records": [record]}), **options)
        if "EventBridgeConfiguration" in configuration:
            bus.publish("events:put", self.eventbridge_event(context, bucket, event_name, obj))

    def _complete_restore_later(self: Provider, bucket: dict, obj: dict) -> None:  # type: ignore[misc]
        """Announce s3:ObjectRestore:Completed when the restored copy becomes readable, if the
        version is still there then. (Pending announcements do not survive a restart.)"""
        delay = obj["Restore"]["Ready"] - time.time()
        if delay <= 0:
            return  # an earlier restore already completed: only its expiry moved

        async def complete() -> None:
            await asyncio.sleep(delay)
            current = self.find_bucket(bucket["Name"])
            if current is None or current["Account"] != bucket["Account"]:
                return
            context = self.internal_context(current)
            if await self.find_object(context, current, obj["Key"], obj.get("VersionId")) is None:
                return
            self.object_event(context, current, "ObjectRestore:Completed", {**obj, "Sequencer": None})

        self.runtime.spawn(complete(), name=f"s3 restore of {bucket['Name']}/{obj['Key']}")

    def eventbridge_event(  # type: ignore[misc]
        self: Provider, context: RequestContext, bucket: dict, event_name: str, obj: dict
    ) -> dict:
        family, _, detail = event_name.partition(":")
        detail_type = _DETAIL_TYPES.get(event_name) or _DETAIL_TYPES.get(family, family)
        s3_object = {"key": obj["Key"]}
        if family in _WITH_CONTENT and obj.get("Size") is not None:
            s3_object["size"] = obj["Size"]
        if family in _WITH_CONTENT + _WITH_ETAG and obj.get("ETag"):
            s3_object["etag"] = obj["ETag"].strip('"')
        if obj.get("VersionId") and obj["VersionId"] != "null":
            s3_object["version-id"] = obj["VersionId"]
        if family in ("ObjectCreated", "ObjectRemoved", "LifecycleExpiration"):
            s3_object["sequencer"] = obj.get("Sequencer") or _sequencer()
        # What S3 does by itself (lifecycle) it requests as s3.amazonaws.com, from no address.
        by_s3 = family in ("LifecycleExpiration", "LifecycleTransition")
        body = {
            "version": "0",
            "bucket": {"name": bucket["Name"]},
            "object": s3_object,
            "request-id": context.request_id,
            "requester": "s3.amazonaws.com" if by_s3 else context.account,
        }
        if not by_s3 and event_name != "ObjectRestore:Completed":
            body["source-ip-address"] = context.request.client_ip
        if family == "ObjectCreated":
            body["reason"] = _REASONS.get(detail, detail)
        elif family in ("ObjectRemoved", "LifecycleExpiration"):
            body["reason"] = "Lifecycle Expiration" if by_s3 else "DeleteObject"
            body["deletion-type"] = (
                "Delete Marker Created" if detail == "DeleteMarkerCreated" else "Permanently Deleted"
            )
        elif family == "ObjectRestore":
            if event_name == "ObjectRestore:Completed":
                body["restore-expiry-time"] = iso_seconds(obj["Restore"]["Expiry"])
            body["source-storage-class"] = obj.get("StorageClass") or "GLACIER"
        elif family == "LifecycleTransition":
            body["destination-storage-class"] = obj.get("StorageClass") or "STANDARD"
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": "aws.s3",
            "account": bucket["Account"],
            "time": iso_seconds(),
            "region": bucket["Region"],
            "resources": [f"arn:{partition(bucket['Region'])}:s3:::{bucket['Name']}"],
            "detail": body,
        }
