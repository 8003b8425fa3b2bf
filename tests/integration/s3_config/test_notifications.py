"""Notification configuration: stored and validated as S3 does (events are checked in the
unit tests, delivery where the target services run)."""

from __future__ import annotations

from tests.integration.s3_config.conftest import error_code

QUEUE = "arn:aws:sqs:us-east-1:000000000000:cfg-events"
TOPIC = "arn:aws:sns:us-east-1:000000000000:cfg-topic"


def test_configuration_round_trip(s3, bucket):
    assert s3.get_bucket_notification_configuration(Bucket=bucket).keys() <= {"ResponseMetadata"}
    configuration = {
        "QueueConfigurations": [{"Id": "uploads", "QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"},
                                                                    {"Name": "suffix", "Value": ".csv"}]}}}],
        "TopicConfigurations": [{"TopicArn": TOPIC, "Events": ["s3:ObjectRemoved:Delete"]}],
        "EventBridgeConfiguration": {},
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration,
                                              SkipDestinationValidation=True)
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"] == configuration["QueueConfigurations"]
    assert got["TopicConfigurations"][0]["TopicArn"] == TOPIC and got["TopicConfigurations"][0]["Id"]
    assert got["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)


def test_invalid_configurations(s3, bucket):
    def put(configuration):
        return error_code(s3.put_bucket_notification_configuration, Bucket=bucket,
                          NotificationConfiguration=configuration, SkipDestinationValidation=True)

    assert put({"QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:Nope"]}]}) == (
        "InvalidArgument", 400, "The event is not supported for notifications")
    bad_rule = {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}}
    assert put({"QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"], "Filter": bad_rule}]})[:2] \
        == ("InvalidArgument", 400)
    overlapping = {"QueueConfigurations": [
        {"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]},
        {"QueueArn": QUEUE + "2", "Events": ["s3:ObjectCreated:Put"]},
    ]}
    assert put(overlapping)[2].startswith("Configurations overlap")
    assert put({"QueueConfigurations": [{"QueueArn": "not-an-arn", "Events": ["s3:ObjectCreated:*"]}]})[:2] == (
        "InvalidArgument", 400)


def test_destinations_are_validated(s3, bucket):
    code, status, message = error_code(
        s3.put_bucket_notification_configuration, Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}]})
    assert (code, status, message) == ("InvalidArgument", 400,
                                       "Unable to validate the following destination configurations")
