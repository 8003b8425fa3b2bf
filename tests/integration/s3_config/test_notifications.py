"""Notification configuration: stored and validated as S3 does (events are checked in the
unit tests, delivery where the target services run)."""

from __future__ import annotations

from tests.integration.s3_config.conftest import error_code

QUEUE = "arn:aws:sqs:us-east-1:000000000000:cfg-events"
TOPIC = "arn:aws:sns:us-east-1:000000000000:cfg-topic"


def test_configuration_round_trip(s3, bucket):
    assert s3.get_bucket_notification_configuration(Bucket=bucket).keys() <= {"ResponseMetadata"}
    configuration = {
        "QueueConfigurations": [
            {
                "Id": "uploads",
                "QueueArn": QUEUE,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {
                    "Key": {
                        "FilterRules": [
                            {"Name": "prefix", "Value": "uploads/"},
                            {"Name": "suffix", "Value": ".csv"},
                        ]
                    }
                },
            }
        ],
        "TopicConfigurations": [{"TopicArn": TOPIC, "Events": ["s3:ObjectRemoved:Delete"]}],
        "EventBridgeConfiguration": {},
    }
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=configuration, SkipDestinationValidation=True
    )
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"][0]["Filter"]["Key"]["FilterRules"] == [
        {"Name": "Prefix", "Value": "uploads/"},
        {"Name": "Suffix", "Value": ".csv"},
    ]
    assert got["QueueConfigurations"][0]["Events"] == ["s3:ObjectCreated:*"]
    assert got["TopicConfigurations"][0]["TopicArn"] == TOPIC and got["TopicConfigurations"][0]["Id"]
    assert got["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)


def test_invalid_configurations(s3, bucket):
    def put(configuration):
        return error_code(
            s3.put_bucket_notification_configuration,
            Bucket=bucket,
            NotificationConfiguration=configuration,
            SkipDestinationValidation=True,
        )

    assert put({"QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:Nope"]}]}) == (
        "InvalidArgument",
        400,
        "The event is not supported for notifications",
    )
    bad_rule = {"Key": {"FilterRules": [{"Name": "middle", "Value": "x"}]}}
    assert put(
        {"QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"], "Filter": bad_rule}]}
    )[:2] == ("InvalidArgument", 400)
    for partial in ({"Name": "prefix"}, {"Value": "x"}):
        half_rule = {"Key": {"FilterRules": [partial]}}
        assert put(
            {
                "QueueConfigurations": [
                    {"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"], "Filter": half_rule}
                ]
            }
        )[:2] == ("MalformedXML", 400)
    overlapping = {
        "QueueConfigurations": [
            {"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]},
            {"QueueArn": QUEUE + "2", "Events": ["s3:ObjectCreated:Put"]},
        ]
    }
    assert put(overlapping)[2].startswith("Configurations overlap")
    assert put({"QueueConfigurations": [{"QueueArn": "not-an-arn", "Events": ["s3:ObjectCreated:*"]}]})[
        :2
    ] == ("InvalidArgument", 400)


def test_destinations_are_validated(s3, bucket):
    code, status, message = error_code(
        s3.put_bucket_notification_configuration,
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    assert (code, status, message) == (
        "InvalidArgument",
        400,
        "Unable to validate the following destination configurations",
    )


def test_events_reach_an_sqs_queue(s3, client, bucket):
    import json
    import time

    sqs = client("sqs")
    queue_url = sqs.create_queue(QueueName=f"{bucket}-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "csv-uploads",
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".csv"}]}},
                }
            ]
        },
    )

    def receive(count):
        bodies, deadline = [], time.monotonic() + 10
        while len(bodies) < count and time.monotonic() < deadline:
            for message in sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", []):
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bodies

    (test_event,) = receive(1)  # AWS checks the destination with a test event
    assert test_event["Event"] == "s3:TestEvent" and test_event["Bucket"] == bucket
    s3.put_object(Bucket=bucket, Key="skip.txt", Body=b"no")
    s3.put_object(Bucket=bucket, Key="data/report 1.csv", Body=b"a,b\n")
    (notification,) = receive(1)
    record = notification["Records"][0]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["configurationId"] == "csv-uploads"
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["object"]["key"] == "data/report+1.csv" and record["s3"]["object"]["size"] == 4


def _receive(sqs, queue_url, count, timeout=20):
    import json
    import time

    bodies, deadline = [], time.monotonic() + timeout
    while len(bodies) < count and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def _queue(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_events_reach_an_sns_topic(s3, client, bucket):
    import json

    sns, sqs = client("sns"), client("sqs")
    topic_arn = sns.create_topic(Name=f"{bucket}-topic")["TopicArn"]
    queue_url, queue_arn = _queue(sqs, f"{bucket}-via-sns")
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "TopicConfigurations": [
                {"Id": "deletes", "TopicArn": topic_arn, "Events": ["s3:ObjectRemoved:*"]}
            ]
        },
    )
    (test_event,) = _receive(sqs, queue_url, 1)
    assert test_event["Subject"] == "Amazon S3 Notification"
    assert json.loads(test_event["Message"])["Event"] == "s3:TestEvent"
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="gone")
    (envelope,) = _receive(sqs, queue_url, 1)
    assert envelope["Type"] == "Notification" and envelope["Subject"] == "Amazon S3 Notification"
    record = json.loads(envelope["Message"])["Records"][0]
    assert record["eventName"] == "ObjectRemoved:Delete" and record["s3"]["object"]["key"] == "gone"
    assert "size" not in record["s3"]["object"]


def test_events_invoke_a_lambda_function(s3, client, bucket):
    import importlib

    create = importlib.import_module("tests.integration.lambda.helpers").create  # "lambda" is a keyword

    sqs, lam = client("sqs"), client("lambda")
    queue_url, _ = _queue(sqs, f"{bucket}-from-lambda")
    # The function forwards the event it was invoked with to a queue the test reads.
    name = create(
        lam,
        "import boto3, json\ndef handler(event, context):\n"
        f"    boto3.client('sqs').send_message(QueueUrl={queue_url!r}, MessageBody=json.dumps(event))\n",
    )
    function_arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    missing = function_arn.rsplit(":", 1)[0] + ":no-such-function"
    code, status, _message = error_code(
        s3.put_bucket_notification_configuration,
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": missing, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    assert (code, status) == ("InvalidArgument", 400)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"Id": "thumbs", "LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:Put"]}
            ]
        },
    )
    s3.put_object(Bucket=bucket, Key="photo.jpg", Body=b"jpeg")
    (event,) = _receive(sqs, queue_url, 1, timeout=60)
    record = event["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put" and record["s3"]["configurationId"] == "thumbs"
    assert record["s3"]["object"]["key"] == "photo.jpg"


def _error(call, **kwargs) -> dict:
    import pytest
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return caught.value.response["Error"]


def test_unparsable_arns_are_named_by_destination_kind(s3, bucket):
    for member, arn_member, name in (
        ("QueueConfigurations", "QueueArn", "Queue"),
        ("TopicConfigurations", "TopicArn", "Topic"),
        ("LambdaFunctionConfigurations", "LambdaFunctionArn", "CloudFunction"),
    ):
        for skip in (False, True):
            error = _error(
                s3.put_bucket_notification_configuration,
                Bucket=bucket,
                SkipDestinationValidation=skip,
                NotificationConfiguration={
                    member: [{arn_member: "not-an-arn", "Events": ["s3:ObjectCreated:*"]}]
                },
            )
            assert (error["Code"], error["Message"], error["ArgumentName"], error["ArgumentValue"]) == (
                "InvalidArgument",
                "The ARN could not be parsed",
                name,
                "not-an-arn",
            )


def test_destinations_in_another_region_are_refused(s3, bucket):
    elsewhere = "arn:aws:sqs:eu-west-1:000000000000:cfg-events"
    error = _error(
        s3.put_bucket_notification_configuration,
        Bucket=bucket,
        SkipDestinationValidation=True,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": elsewhere, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    assert (error["Code"], error["Message"]) == (
        "InvalidArgument",
        "The notification destination service region is not valid for the bucket location constraint",
    )


def test_every_destination_that_fails_validation_is_listed(s3, bucket):
    missing = [QUEUE + "-missing-1", QUEUE + "-missing-2"]
    error = _error(
        s3.put_bucket_notification_configuration,
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": missing[0], "Events": ["s3:ObjectCreated:*"]},
                {"QueueArn": missing[1], "Events": ["s3:ObjectRemoved:*"]},
            ]
        },
    )
    assert error["Message"] == "Unable to validate the following destination configurations"
    assert {error["ArgumentName1"], error["ArgumentName2"]} == set(missing)
    assert error["ArgumentValue1"] == error["ArgumentValue2"] == "The destination queue does not exist"
    function = "arn:aws:lambda:us-east-1:000000000000:function:cfg-no-such-function"
    error = _error(
        s3.put_bucket_notification_configuration,
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": function, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    assert (error["ArgumentName1"], error["ArgumentValue1"]) == (
        f"{function}, null",
        f"Not authorized to invoke function [{function}]",
    )


def test_a_queue_named_by_two_configurations_gets_one_test_event(s3, client, bucket):
    sqs = client("sqs")
    queue_url, queue_arn = _queue(sqs, f"{bucket}-twice")
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "a/"}]}},
                },
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "b/"}]}},
                },
            ]
        },
    )
    messages = _receive(sqs, queue_url, 2, timeout=3)
    assert [message["Event"] for message in messages] == ["s3:TestEvent"]


def test_records_carry_what_aws_puts_in_each_kind_of_event(s3, client, bucket):
    sqs = client("sqs")
    queue_url, queue_arn = _queue(sqs, f"{bucket}-kinds")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "kinds",
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectRestore:*", "s3:ObjectTagging:*", "s3:ObjectRemoved:*"],
                }
            ]
        },
    )
    assert _receive(sqs, queue_url, 1)[0]["Event"] == "s3:TestEvent"
    version = s3.put_object(Bucket=bucket, Key="cold", Body=b"frozen", StorageClass="GLACIER")["VersionId"]
    s3.put_object_tagging(Bucket=bucket, Key="cold", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 1})
    records = {}
    for message in _receive(sqs, queue_url, 3):
        record = message["Records"][0]
        records[record["eventName"]] = record
    tagged = records["ObjectTagging:Put"]["s3"]["object"]
    assert tagged == {"key": "cold", "eTag": tagged["eTag"], "versionId": version}
    etag = tagged["eTag"]
    posted = records["ObjectRestore:Post"]["s3"]["object"]
    assert (posted["eTag"], posted["size"], posted["versionId"]) == (etag, 6, version) and posted["sequencer"]
    completed = records["ObjectRestore:Completed"]
    # S3 completes a restore on behalf of the owner, named by their customer id.
    owner = completed["s3"]["bucket"]["ownerIdentity"]["principalId"]
    assert owner.startswith("A") and owner != "000000000000"
    assert completed["userIdentity"]["principalId"] == f"AmazonCustomer:{owner}"
    restore = completed["glacierEventData"]["restoreEventData"]
    assert restore["lifecycleRestoreStorageClass"] == "GLACIER"
    assert restore["lifecycleRestorationExpiryTime"].endswith("T00:00:00.000Z")
    marker = s3.delete_object(Bucket=bucket, Key="cold")["VersionId"]
    (record,) = [message["Records"][0] for message in _receive(sqs, queue_url, 1)]
    assert record["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    removed = record["s3"]["object"]
    assert (removed["eTag"], removed["versionId"]) == ("d41d8cd98f00b204e9800998ecf8427e", marker)
    assert "size" not in removed and removed["sequencer"]


def test_delete_objects_announces_every_key_it_was_given(s3, client, bucket):
    sqs = client("sqs")
    queue_url, queue_arn = _queue(sqs, f"{bucket}-deletes")
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectRemoved:*"]}]
        },
    )
    _receive(sqs, queue_url, 1)  # the test event
    s3.put_object(Bucket=bucket, Key="real", Body=b"x")
    s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "real"}, {"Key": "dummy1"}, {"Key": "dummy2"}], "Quiet": True},
    )
    records = [body["Records"][0] for body in _receive(sqs, queue_url, 3)]
    assert sorted(r["s3"]["object"]["key"] for r in records) == ["dummy1", "dummy2", "real"]
    assert {r["eventName"] for r in records} == {"ObjectRemoved:Delete"}


def test_the_writers_trace_header_reaches_the_queue(s3, client, bucket):
    import json
    import time

    sqs = client("sqs")
    queue_url, queue_arn = _queue(sqs, f"{bucket}-traced")
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    _receive(sqs, queue_url, 1)  # the test event
    trace = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"

    def add_trace(request, **_):
        request.headers["X-Amzn-Trace-Id"] = trace

    s3.meta.events.register("before-send.s3.PutObject", add_trace)
    try:
        s3.put_object(Bucket=bucket, Key="traced", Body=b"x")
    finally:
        s3.meta.events.unregister("before-send.s3.PutObject", add_trace)
    deadline, messages = time.monotonic() + 20, []
    while not messages and time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=queue_url, AttributeNames=["AWSTraceHeader"], WaitTimeSeconds=1
        ).get("Messages", [])
    (message,) = messages
    assert json.loads(message["Body"])["Records"][0]["s3"]["object"]["key"] == "traced"
    assert message["Attributes"] == {"AWSTraceHeader": trace}
