"""Trails deliver gzip JSON log files and signed digest files to S3; recorded events survive
a restart and a kill -9. These tests run servers of their own, with delivery every second."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import time

import boto3
import pytest

from overcast.services.cloudtrail import logfiles
from tests.conftest import Server
from tests.integration.cloudtrail.policies import allow_trail_topic, trail_bucket

ACCOUNT = "123456789012"
LOG_KEY = re.compile(
    r"audit/AWSLogs/123456789012/CloudTrail/us-east-1/\d{4}/\d{2}/\d{2}/"
    r"123456789012_CloudTrail_us-east-1_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz"
)
DIGEST_KEY = re.compile(
    r"audit/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/\d{4}/\d{2}/\d{2}/"
    r"123456789012_CloudTrail-Digest_us-east-1_deliverer_us-east-1_\d{8}T\d{6}Z\.json\.gz"
)


def clients(endpoint: str):
    session = boto3.session.Session(
        aws_access_key_id=ACCOUNT, aws_secret_access_key="test", region_name="us-east-1"
    )
    return (
        session.client("s3", endpoint_url=endpoint),
        session.client("cloudtrail", endpoint_url=endpoint),
        session.client("sts", endpoint_url=endpoint),
    )


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out waiting")


def keys(s3, bucket: str, pattern: re.Pattern) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    return [o["Key"] for o in listed if pattern.fullmatch(o["Key"])]


def records(s3, bucket: str, key: str) -> list[dict]:
    raw = gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return json.loads(raw)["Records"]


@pytest.fixture(scope="module")
def fast_server():
    server = Server(
        "--ephemeral",
        "--quiet",
        env={
            "OVERCAST_CLOUDTRAIL_DELIVERY_SECONDS": "1",
            "OVERCAST_CLOUDTRAIL_DIGEST_SECONDS": "2",
        },
    )
    yield server
    server.stop()


def test_logging_trail_delivers_logs_and_signed_digests(fast_server):
    s3, ct, sts = clients(fast_server.endpoint)
    trail_bucket(s3, "audit-logs")
    ct.create_trail(
        Name="deliverer", S3BucketName="audit-logs", S3KeyPrefix="audit", EnableLogFileValidation=True
    )
    ct.start_logging(Name="deliverer")
    request_id = sts.get_caller_identity()["ResponseMetadata"]["RequestId"]

    def delivered_call():
        for key in keys(s3, "audit-logs", LOG_KEY):
            for record in records(s3, "audit-logs", key):
                if record["requestID"] == request_id:
                    return key, record
        return None

    log_key, record = wait_for(delivered_call)
    assert record["eventName"] == "GetCallerIdentity" and record["eventSource"] == "sts.amazonaws.com"
    assert record["managementEvent"] is True
    status = ct.get_trail_status(Name="deliverer")
    assert status["IsLogging"] is True and "LatestDeliveryTime" in status

    # Digests: each lists the log files since the previous one, hashes them, chains and is signed.
    def digest_listing_log():
        for key in sorted(keys(s3, "audit-logs", DIGEST_KEY)):
            body = gzip.decompress(s3.get_object(Bucket="audit-logs", Key=key)["Body"].read())
            if any(f["s3Object"] == log_key for f in json.loads(body)["logFiles"]):
                return key
        return None

    digest_key = wait_for(digest_listing_log)
    obj = s3.get_object(Bucket="audit-logs", Key=digest_key)
    body = gzip.decompress(obj["Body"].read())
    digest = json.loads(body)
    assert digest["awsAccountId"] == ACCOUNT
    assert digest["digestS3Bucket"] == "audit-logs" and digest["digestS3Object"] == digest_key
    assert digest["digestSignatureAlgorithm"] == "SHA256withRSA"
    [listed] = [f for f in digest["logFiles"] if f["s3Object"] == log_key]
    raw_log = gzip.decompress(s3.get_object(Bucket="audit-logs", Key=log_key)["Body"].read())
    assert listed["hashValue"] == hashlib.sha256(raw_log).hexdigest()
    assert listed["hashAlgorithm"] == "SHA-256"

    [public] = ct.list_public_keys()["PublicKeyList"]
    assert public["Fingerprint"] == digest["digestPublicKeyFingerprint"]
    key = _parse_rsa_public_key(public["Value"])
    signature = obj["Metadata"]["signature"]
    assert obj["Metadata"]["signature-algorithm"] == "SHA256withRSA"
    end = digest["digestEndTime"]
    signed = "\n".join(
        (
            end,
            f"audit-logs/{digest_key}",
            hashlib.sha256(body).hexdigest(),
            digest["previousDigestSignature"] or "null",
        )
    ).encode()
    assert logfiles.verify(key, signed, signature)
    assert not logfiles.verify(key, signed + b"x", signature)

    # The next digest names this one and its hash.
    def next_digest():
        for other in sorted(keys(s3, "audit-logs", DIGEST_KEY)):
            content = json.loads(
                gzip.decompress(s3.get_object(Bucket="audit-logs", Key=other)["Body"].read())
            )
            if content["previousDigestS3Object"] == digest_key:
                return content
        return None

    following = wait_for(next_digest)
    assert following["previousDigestHashValue"] == hashlib.sha256(body).hexdigest()
    assert following["previousDigestSignature"] == signature

    ct.stop_logging(Name="deliverer")


def test_data_event_selectors_deliver_object_calls(fast_server):
    s3, ct, _sts = clients(fast_server.endpoint)
    trail_bucket(s3, "data-logs")
    s3.create_bucket(Bucket="watched")
    ct.create_trail(Name="data-trail", S3BucketName="data-logs")
    ct.put_event_selectors(
        TrailName="data-trail",
        EventSelectors=[
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": False,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::watched/"]}],
            }
        ],
    )
    ct.start_logging(Name="data-trail")
    time.sleep(0.5)  # the selection applies to calls from now on
    s3.put_object(Bucket="watched", Key="doc.txt", Body=b"hello")
    s3.get_object(Bucket="watched", Key="doc.txt")  # a read: not selected (WriteOnly)
    s3.put_object(Bucket="data-logs", Key="elsewhere.txt", Body=b"x")  # another bucket

    pattern = re.compile(r"AWSLogs/123456789012/CloudTrail/us-east-1/.+\.json\.gz")

    def delivered():
        found = [r for key in keys(s3, "data-logs", pattern) for r in records(s3, "data-logs", key)]
        return found if any(r["eventName"] == "PutObject" for r in found) else None

    found = wait_for(delivered)
    names = {r["eventName"] for r in found}
    assert "GetObject" not in names and "CreateBucket" not in names  # no management events either
    [put] = [r for r in found if r["eventName"] == "PutObject"]
    assert put["managementEvent"] is False and put["eventCategory"] == "Data"
    assert put["resources"] == [
        {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::watched/doc.txt"},
        {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::watched"},
    ]
    assert (
        put["requestParameters"]["bucketName"] == "watched" and put["requestParameters"]["key"] == "doc.txt"
    )
    assert "body" not in put["requestParameters"]
    ct.stop_logging(Name="data-trail")


def test_missing_bucket_is_a_delivery_error(fast_server):
    s3, ct, sts = clients(fast_server.endpoint)
    trail_bucket(s3, "short-lived")
    ct.create_trail(Name="orphan", S3BucketName="short-lived")
    ct.start_logging(Name="orphan")
    # The trail may deliver its first events before the bucket goes: empty it until it can go.
    for _ in range(50):
        for found in s3.list_objects_v2(Bucket="short-lived").get("Contents", []):
            s3.delete_object(Bucket="short-lived", Key=found["Key"])
        try:
            s3.delete_bucket(Bucket="short-lived")
            break
        except s3.exceptions.ClientError as error:
            assert error.response["Error"]["Code"] == "BucketNotEmpty"
    sts.get_caller_identity()
    status = wait_for(
        lambda: (lambda s: s if s.get("LatestDeliveryError") else None)(ct.get_trail_status(Name="orphan"))
    )
    assert status["LatestDeliveryError"] == "NoSuchBucket"
    ct.delete_trail(Name="orphan")


@pytest.mark.parametrize("kill", [False, True])
def test_events_survive_restart(tmp_path, kill):
    data_dir = str(tmp_path / "data")
    # Stopped cleanly, the server writes what it has not flushed yet (a flush interval longer
    # than the test proves it); killed, it loses at most the last flush interval.
    flush = "0.25" if kill else "600"
    server = Server("--data-dir", data_dir, "--quiet", env={"OVERCAST_CLOUDTRAIL_FLUSH_SECONDS": flush})
    try:
        _s3, _ct, sts = clients(server.endpoint)
        request_id = sts.get_caller_identity()["ResponseMetadata"]["RequestId"]
        if kill:
            time.sleep(1.0)  # recording reaches the store within a quarter second
        server.stop(kill=kill)
    finally:
        if server.process.poll() is None:
            server.stop(kill=True)
    server = Server("--data-dir", data_dir, "--quiet")
    try:
        _s3, ct, _sts = clients(server.endpoint)
        events = ct.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}]
        )
        assert [json.loads(e["CloudTrailEvent"])["requestID"] for e in events["Events"]] == [request_id]
    finally:
        server.stop()


def _parse_rsa_public_key(der: bytes) -> dict:
    """n and e of a DER RSAPublicKey (SEQUENCE of two INTEGERs)."""

    def read(data: bytes, at: int) -> tuple[int, int, int]:
        tag, length, at = data[at], data[at + 1], at + 2
        if length & 0x80:
            size = length & 0x7F
            length, at = int.from_bytes(data[at : at + size], "big"), at + size
        return tag, length, at

    tag, _length, at = read(der, 0)
    assert tag == 0x30
    values = []
    for _ in range(2):
        tag, length, at = read(der, at)
        assert tag == 0x02
        values.append(int.from_bytes(der[at : at + length], "big"))
        at += length
    return {"n": values[0], "e": values[1]}


def test_trail_notifies_its_topic_and_feeds_its_log_group(fast_server):
    session = boto3.session.Session(
        aws_access_key_id=ACCOUNT, aws_secret_access_key="test", region_name="us-east-1"
    )
    s3, ct, sts = clients(fast_server.endpoint)
    sns, sqs, logs, iam = (
        session.client(name, endpoint_url=fast_server.endpoint) for name in ("sns", "sqs", "logs", "iam")
    )
    trail_bucket(s3, "notified-logs")
    topic = allow_trail_topic(sns, sns.create_topic(Name="trail-files")["TopicArn"])
    queue = sqs.create_queue(QueueName="trail-files")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    logs.create_log_group(logGroupName="trail-events")
    group_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:trail-events:*"
    role = iam.create_role(
        RoleName="trail-to-logs",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    ct.create_trail(
        Name="notifier",
        S3BucketName="notified-logs",
        SnsTopicName="trail-files",
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=role,
    )
    ct.start_logging(Name="notifier")
    request_id = sts.get_caller_identity()["ResponseMetadata"]["RequestId"]

    def notified_key():
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            body = json.loads(message["Body"])
            assert set(body) == {"s3Bucket", "s3ObjectKey"} and body["s3Bucket"] == "notified-logs"
            [object_key] = body["s3ObjectKey"]
            if any(r["requestID"] == request_id for r in records(s3, "notified-logs", object_key)):
                return object_key
        return None

    object_key = wait_for(notified_key)
    assert object_key.startswith(f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/")

    def logged_event():
        found = logs.filter_log_events(
            logGroupName="trail-events", logStreamNames=[f"{ACCOUNT}_CloudTrail_us-east-1"]
        ).get("events", [])
        return [
            json.loads(e["message"]) for e in found if json.loads(e["message"])["requestID"] == request_id
        ]

    [event] = wait_for(logged_event)
    assert event["eventName"] == "GetCallerIdentity" and event["eventSource"] == "sts.amazonaws.com"
    status = ct.get_trail_status(Name="notifier")
    assert status["LatestNotificationTime"] and status["LatestCloudWatchLogsDeliveryTime"]
    assert status["LatestNotificationAttemptSucceeded"] and "LatestNotificationError" not in status
