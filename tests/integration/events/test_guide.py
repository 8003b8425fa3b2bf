"""The user's guide's EventBridge commands, as written: a rule that invokes the notify-ops
Lambda function when an EC2 instance stops (the event sent with PutEvents in the exact shape
EC2 gives it, until EC2 exists), and S3's EventBridge notifications reaching the default bus."""

from __future__ import annotations

import importlib
import json

import boto3

# The Lambda tests' helpers ("lambda" is a keyword, so no import statement can name them).
_helpers = importlib.import_module("tests.integration.lambda.helpers")
_triggers = importlib.import_module("tests.integration.lambda.test_triggers")
create, RECORDER, recorded = _helpers.create, _triggers.RECORDER, _triggers.recorded

GUIDE_ACCOUNT = {"AWS_ACCESS_KEY_ID": "123456789012", "AWS_SECRET_ACCESS_KEY": "test"}


def guide_clients(endpoint: str):
    session = boto3.session.Session(
        aws_access_key_id="123456789012", aws_secret_access_key="test", region_name="us-east-1"
    )
    return {
        service: session.client(service, endpoint_url=endpoint) for service in ("events", "lambda", "logs")
    }


def ec2_state_change(state: str) -> dict:
    """An "EC2 Instance State-change Notification" as EC2 sends it."""
    return {
        "Source": "aws.ec2",
        "DetailType": "EC2 Instance State-change Notification",
        "Resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0abcd1234efgh5678"],
        "Detail": json.dumps({"instance-id": "i-0abcd1234efgh5678", "state": state}),
    }


def test_ec2_instance_stops_and_lambda_is_told(aws, endpoint):
    clients = guide_clients(endpoint)
    create(clients["lambda"], RECORDER, FunctionName="notify-ops")
    aws(
        "events", "put-rule", "--name", "ec2-stopped", "--event-pattern",
        '{\n    "source": ["aws.ec2"],\n    "detail-type": ["EC2 Instance State-change Notification"],\n'
        '    "detail": {"state": ["stopped"]}\n  }',
        "--state", "ENABLED", env=GUIDE_ACCOUNT,
    )  # fmt: skip
    aws(
        "events", "put-targets", "--rule", "ec2-stopped", "--targets",
        "Id=1,Arn=arn:aws:lambda:us-east-1:123456789012:function:notify-ops", env=GUIDE_ACCOUNT,
    )  # fmt: skip
    events = clients["events"]
    events.put_events(Entries=[ec2_state_change("running")])
    sent = events.put_events(Entries=[ec2_state_change("stopped")])
    [event] = recorded(clients["logs"], "notify-ops")
    assert event["id"] == sent["Entries"][0]["EventId"]
    assert event["detail"] == {"instance-id": "i-0abcd1234efgh5678", "state": "stopped"}
    assert event["source"] == "aws.ec2" and event["account"] == "123456789012"


def test_s3_eventbridge_notifications_reach_the_default_bus(client, name, queue):
    s3, events = client("s3"), client("events")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_notification_configuration(
        Bucket=name, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [name]}},
    }
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": queue.arn}])
    s3.put_object(Bucket=name, Key="photos/cat.png", Body=b"meow")
    [body] = queue.bodies()
    assert body["detail-type"] == "Object Created" and body["resources"] == [f"arn:aws:s3:::{name}"]
    assert body["detail"]["object"]["key"] == "photos/cat.png" and body["detail"]["object"]["size"] == 4


def test_api_calls_arrive_via_cloudtrail(client, name, make_queue):
    events, sqs = client("events"), client("sqs")
    writes, everything = make_queue(), make_queue()
    pattern = {"source": ["aws.sqs"], "detail-type": ["AWS API Call via CloudTrail"],
               "detail": {"requestParameters": {"queueName": [{"prefix": name}]}}}  # fmt: skip
    events.put_rule(Name=f"{name}-writes", EventPattern=json.dumps(pattern))
    events.put_targets(Rule=f"{name}-writes", Targets=[{"Id": "q", "Arn": writes.arn}])
    reads = {
        "source": ["aws.sqs"],
        "detail": {"eventName": ["GetQueueUrl"], "requestParameters": {"queueName": [{"prefix": name}]}},
    }
    events.put_rule(
        Name=f"{name}-all",
        EventPattern=json.dumps(reads),
        State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
    )
    events.put_targets(Rule=f"{name}-all", Targets=[{"Id": "q", "Arn": everything.arn}])
    sqs.create_queue(QueueName=f"{name}-made")
    sqs.get_queue_url(QueueName=f"{name}-made")
    [created] = writes.bodies(1)
    assert (
        created["detail"]["eventName"] == "CreateQueue"
        and created["detail"]["eventSource"] == "sqs.amazonaws.com"
    )
    assert created["detail"]["readOnly"] is False and created["account"] == "000000000000"
    [read] = everything.bodies(1)
    assert read["detail"]["eventName"] == "GetQueueUrl" and read["detail"]["readOnly"] is True
    assert writes.messages(1, timeout=1.5) == []  # the read reached only the rule that asks for reads
