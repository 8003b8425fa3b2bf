"""The S3 event records the notification code builds and where it sends them."""

from __future__ import annotations

import json

from overcast.context import RequestContext
from overcast.services.s3.notifications import NotificationOperations, customer_id


class FakeBus:
    def __init__(self):
        self.published, self.delivered = [], []

    def has_subscribers(self, topic):
        return True

    def publish(self, topic, event):
        self.published.append((topic, event))

    def deliver(self, arn, message, **options):
        self.delivered.append((arn, json.loads(message), options))


class FakeConfigs:
    def __init__(self, configuration):
        self.configuration = configuration

    def get(self, bucket, kind, default=None):
        return self.configuration if kind == "notification" else default


class Runtime:
    def __init__(self):
        self.bus = FakeBus()


class Notifier(NotificationOperations):
    def __init__(self, configuration):
        self.runtime = Runtime()
        self.configs = FakeConfigs(configuration)


BUCKET = {"Name": "photos", "Account": "111111111111", "Region": "eu-west-1"}
OBJECT = {"Key": "uploads/a b.jpg", "Size": 12, "ETag": '"abc"', "VersionId": "v1"}


def test_matching_configurations_receive_aws_shaped_records():
    notifier = Notifier(
        {
            "QueueConfigurations": [
                {
                    "Id": "jpg",
                    "QueueArn": "arn:aws:sqs:eu-west-1:111111111111:q",
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "Suffix", "Value": ".jpg"}]}},
                }
            ],
            "TopicConfigurations": [
                {
                    "Id": "deletes",
                    "TopicArn": "arn:aws:sns:eu-west-1:111111111111:t",
                    "Events": ["s3:ObjectRemoved:*"],
                }
            ],
            "EventBridgeConfiguration": {},
        }
    )
    context = RequestContext.internal("s3", "111111111111", "eu-west-1")
    notifier.object_event(context, BUCKET, "ObjectCreated:Put", OBJECT)
    ((arn, message, options),) = notifier.runtime.bus.delivered
    assert arn == "arn:aws:sqs:eu-west-1:111111111111:q" and options == {"subject": "Amazon S3 Notification"}
    record = message["Records"][0]
    assert record["eventVersion"] == "2.1" and record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put" and record["awsRegion"] == "eu-west-1"
    assert record["s3"]["configurationId"] == "jpg"
    assert record["s3"]["bucket"] == {
        "name": "photos",
        "ownerIdentity": {"principalId": customer_id("111111111111")},
        "arn": "arn:aws:s3:::photos",
    }
    assert record["s3"]["object"]["key"] == "uploads/a+b.jpg"
    assert record["s3"]["object"]["size"] == 12 and record["s3"]["object"]["eTag"] == "abc"
    assert record["s3"]["object"]["versionId"] == "v1" and record["s3"]["object"]["sequencer"]
    topics = [topic for topic, _ in notifier.runtime.bus.published]
    assert topics == ["s3:event", "events:put"]
    bridge = notifier.runtime.bus.published[1][1]
    assert bridge["source"] == "aws.s3" and bridge["detail-type"] == "Object Created"
    assert (
        bridge["detail"]["reason"] == "PutObject" and bridge["detail"]["object"]["key"] == "uploads/a b.jpg"
    )


def test_events_outside_the_filters_are_not_delivered():
    notifier = Notifier(
        {
            "QueueConfigurations": [
                {"Id": "x", "QueueArn": "arn:aws:sqs:eu-west-1:1:q", "Events": ["s3:ObjectRemoved:Delete"]}
            ]
        }
    )
    context = RequestContext.internal("s3", "111111111111", "eu-west-1")
    notifier.object_event(context, BUCKET, "ObjectCreated:Put", OBJECT)
    notifier.object_event(context, BUCKET, "ObjectRemoved:DeleteMarkerCreated", OBJECT)
    assert notifier.runtime.bus.delivered == []
    notifier.object_event(context, BUCKET, "ObjectRemoved:Delete", {"Key": "k"})
    ((_, message, _),) = notifier.runtime.bus.delivered
    assert "size" not in message["Records"][0]["s3"]["object"]


def test_no_event_is_built_when_nothing_would_receive_it():
    notifier = Notifier(None)
    notifier.runtime.bus.has_subscribers = lambda topic: False
    built = []
    notifier.event_record = lambda *args: built.append(args)
    notifier.object_event(
        RequestContext.internal("s3", "111111111111", "eu-west-1"), BUCKET, "ObjectCreated:Put", OBJECT
    )
    assert built == [] and notifier.runtime.bus.published == []


def test_the_bus_tells_whether_a_topic_has_subscribers(runtime):
    bus = runtime.bus
    assert not bus.has_subscribers("s3:event")
    stop = bus.subscribe("s3:event", lambda event: None)
    assert bus.has_subscribers("s3:event") and not bus.has_subscribers("other")
    stop()
    assert not bus.has_subscribers("s3:event")


def _bridge(event_name, obj, lifecycle=False):
    notifier = Notifier({"EventBridgeConfiguration": {}})
    context = RequestContext.internal("s3", "111111111111", "eu-west-1")
    if lifecycle:
        context.extra["lifecycle"] = True
    notifier.object_event(context, BUCKET, event_name, obj)
    ((_, event),) = [item for item in notifier.runtime.bus.published if item[0] == "events:put"]
    return event["detail-type"], event["detail"]


def test_eventbridge_details_follow_the_kind_of_event():
    kind, detail = _bridge("ObjectAcl:Put", OBJECT)
    assert kind == "Object ACL Updated" and "reason" not in detail
    assert detail["object"] == {"key": "uploads/a b.jpg", "etag": "abc", "version-id": "v1"}
    kind, detail = _bridge("ObjectTagging:Delete", {**OBJECT, "VersionId": "null"})
    assert kind == "Object Tags Deleted" and detail["object"] == {"key": "uploads/a b.jpg", "etag": "abc"}
    kind, detail = _bridge("ObjectRestore:Post", {**OBJECT, "StorageClass": "DEEP_ARCHIVE"})
    assert kind == "Object Restore Initiated" and detail["source-storage-class"] == "DEEP_ARCHIVE"
    assert detail["object"] == {"key": "uploads/a b.jpg", "size": 12, "etag": "abc", "version-id": "v1"}
    kind, detail = _bridge(
        "ObjectRestore:Completed",
        {**OBJECT, "StorageClass": "GLACIER", "Restore": {"Ready": 0, "Expiry": 86400.0}},
    )
    assert kind == "Object Restore Completed" and "source-ip-address" not in detail
    assert (
        detail["restore-expiry-time"] == "1970-01-02T00:00:00Z"
        and detail["source-storage-class"] == "GLACIER"
    )
    kind, detail = _bridge("ObjectRemoved:DeleteMarkerCreated", OBJECT, lifecycle=True)
    assert kind == "Object Deleted" and detail["reason"] == "Lifecycle Expiration"
    assert detail["deletion-type"] == "Delete Marker Created" and detail["requester"] == "s3.amazonaws.com"
    assert "source-ip-address" not in detail and set(detail["object"]) == {"key", "version-id", "sequencer"}
    kind, detail = _bridge("ObjectRemoved:Delete", OBJECT)
    assert (detail["reason"], detail["deletion-type"]) == ("DeleteObject", "Permanently Deleted")
    kind, detail = _bridge("LifecycleTransition", {**OBJECT, "StorageClass": "GLACIER"}, lifecycle=True)
    assert kind == "Object Storage Class Changed" and detail["destination-storage-class"] == "GLACIER"
    assert "sequencer" not in detail["object"] and detail["requester"] == "s3.amazonaws.com"


def test_records_of_tagging_and_delete_markers():
    notifier = Notifier(
        {
            "QueueConfigurations": [
                {
                    "Id": "all",
                    "QueueArn": "arn:aws:sqs:eu-west-1:1:q",
                    "Events": ["s3:ObjectTagging:*", "s3:ObjectRemoved:*"],
                }
            ]
        }
    )
    context = RequestContext.internal("s3", "111111111111", "eu-west-1")
    notifier.object_event(context, BUCKET, "ObjectTagging:Put", OBJECT)
    notifier.object_event(
        context, BUCKET, "ObjectRemoved:DeleteMarkerCreated", {"Key": "k", "VersionId": "m1"}
    )
    tagged, marker = [
        message["Records"][0]["s3"]["object"] for _, message, _ in notifier.runtime.bus.delivered
    ]
    assert tagged == {"key": "uploads/a+b.jpg", "eTag": "abc", "versionId": "v1"}
    assert (
        marker["eTag"] == "d41d8cd98f00b204e9800998ecf8427e"
        and marker["versionId"] == "m1"
        and marker["sequencer"]
    )


def test_event_version_follows_the_kind_of_event():
    notifier = Notifier(
        {
            "QueueConfigurations": [
                {"Id": "all", "QueueArn": "arn:aws:sqs:eu-west-1:111111111111:q", "Events": []}
            ]
        }
    )
    context = RequestContext.internal("s3", "111111111111", "eu-west-1")
    versions = {
        name: notifier.event_record(context, BUCKET, name, OBJECT, "all")["eventVersion"]
        for name in (
            "ObjectCreated:Put",
            "ObjectRemoved:Delete",
            "ObjectTagging:Put",
            "ObjectAcl:Put",
            "LifecycleExpiration:Delete",
            "ObjectRestore:Delete",
            "Replication:OperationFailedReplication",
        )
    }
    assert versions == {
        "ObjectCreated:Put": "2.1",
        "ObjectRemoved:Delete": "2.1",
        "ObjectTagging:Put": "2.3",
        "ObjectAcl:Put": "2.3",
        "LifecycleExpiration:Delete": "2.3",
        "ObjectRestore:Delete": "2.3",
        "Replication:OperationFailedReplication": "2.2",
    }
