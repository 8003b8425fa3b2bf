"""CloudTrail's pure parts: operation classification, event rendering, selectors, log file and
digest naming, RSA signing, the recorder's store layout and retention."""

from __future__ import annotations

import asyncio
import gzip
import json
from datetime import UTC, datetime

import pytest

from overcast import protocols
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request
from overcast.services.cloudtrail import events, logfiles, trails
from overcast.services.cloudtrail.events import Record, event_id, event_id_ms, operation
from overcast.services.cloudtrail.recorder import CHUNK_SPAN_US, RETENTION_US, Recorder
from overcast.store import Store, scope


@pytest.mark.parametrize(
    "service, name, prefix, source, read_only, data_type",
    [
        ("sts", "GetCallerIdentity", "sts", "sts.amazonaws.com", True, None),
        ("s3", "PutObject", "s3", "s3.amazonaws.com", False, "AWS::S3::Object"),
        ("s3", "CreateBucket", "s3", "s3.amazonaws.com", False, None),
        ("s3", "HeadObject", "s3", "s3.amazonaws.com", True, "AWS::S3::Object"),
        ("dynamodb", "PutItem", "dynamodb", "dynamodb.amazonaws.com", False, "AWS::DynamoDB::Table"),
        ("dynamodb", "DescribeTable", "dynamodb", "dynamodb.amazonaws.com", True, None),
        ("lambda", "Invoke", "lambda", "lambda.amazonaws.com", False, "AWS::Lambda::Function"),
        ("ses", "SendEmail", "email", "ses.amazonaws.com", False, None),
        ("iam", "ListUsers", "iam", "iam.amazonaws.com", True, None),
        ("sts", "GetSessionToken", "sts", "sts.amazonaws.com", False, None),
    ],
)
def test_operation_classification(service, name, prefix, source, read_only, data_type):
    op = operation(service, name, prefix)
    assert (op.event_source, op.read_only, op.data_type) == (source, read_only, data_type)


def test_global_services():
    assert operation("iam", "CreateUser", "iam").global_region
    assert not operation("sts", "AssumeRole", "sts").global_region
    assert events.global_region("eu-west-1") == "us-east-1"
    assert events.global_region("cn-north-1") == "cn-north-1"


def test_event_ids_carry_their_millisecond():
    ts = 1_780_000_000_123_456
    one, two = event_id(ts, "req-1"), event_id(ts, "req-2")
    assert one != two and one == event_id(ts, "req-1")
    assert event_id_ms(one) == ts // 1000
    assert len(one) == 36 and one[14] == "7" and one[19] in "89ab"
    assert event_id_ms("6f1c1e1a-0b1c-4d8e-9f00-112233445566") is None


def test_user_identity_kinds():
    def identity(arn, principal="AIDAEXAMPLE"):
        return events.user_identity(
            Record(
                [
                    0,
                    None,
                    "X",
                    "s",
                    True,
                    None,
                    "us-east-1",
                    "111122223333",
                    arn,
                    principal,
                    "AKIAEXAMPLE",
                    "",
                    "",
                    False,
                    "r",
                    None,
                    None,
                    None,
                    None,
                    [],
                ]
            )
        )

    user = identity("arn:aws:iam::111122223333:user/alice")
    assert user["type"] == "IAMUser" and user["userName"] == "alice"
    role = identity("arn:aws:sts::111122223333:assumed-role/admin/sess", "AROAEXAMPLE:sess")
    assert role["type"] == "AssumedRole"
    assert role["sessionContext"]["sessionIssuer"] == {
        "type": "Role",
        "principalId": "AROAEXAMPLE",
        "arn": "arn:aws:iam::111122223333:role/admin",
        "accountId": "111122223333",
        "userName": "admin",
    }
    assert identity("arn:aws:iam::111122223333:root", "111122223333")["type"] == "Root"
    assert events.username("arn:aws:sts::1:assumed-role/admin/sess") == "sess"
    assert events.username("arn:aws:iam::1:user/path/bob") == "bob"


def test_elements_are_camel_cased_without_secrets_or_blobs():
    rendered = events.elements(
        {
            "UserName": "bob",
            "SecretAccessKey": "s3cr3t",
            "ZipFile": b"PK..",
            "Tags": [{"Key": "a", "Value": "b"}],
            "Expiration": datetime(2026, 11, 26, 19, 5, 9, tzinfo=UTC),
            "ResponseMetadata": {"RequestId": "x"},
        }
    )
    assert rendered == {
        "userName": "bob",
        "secretAccessKey": events.HIDDEN,
        "tags": [{"key": "a", "value": "b"}],
        "expiration": "Nov 26, 2026, 7:05:09 PM",
    }


def test_responses_leave_out_secrets():
    rendered = events.elements(
        {"Credentials": {"AccessKeyId": "ASIA1", "SecretAccessKey": "s", "SessionToken": "t"}}, True
    )
    assert rendered == {"credentials": {"accessKeyId": "ASIA1", "sessionToken": "t"}}


def test_resources_from_parameters():
    op = operation("sqs", "CreateQueue", "sqs")
    assert events.resources(op, {"QueueName": "jobs"}, "111122223333", "eu-west-1") == [
        ("AWS::SQS::Queue", "jobs", "arn:aws:sqs:eu-west-1:111122223333:jobs")
    ]
    op = operation("s3", "PutObject", "s3")
    assert events.resources(op, {"Bucket": "b", "Key": "k/1"}, "1", "us-east-1") == [
        ("AWS::S3::Bucket", "b", "arn:aws:s3:::b"),
        ("AWS::S3::Object", "k/1", "arn:aws:s3:::b/k/1"),
    ]


# -- selectors ------------------------------------------------------------------------------------


def _record(name="PutObject", data_type="AWS::S3::Object", read_only=False, arn="arn:aws:s3:::b/k"):
    return Record(
        [
            0,
            None,
            name,
            "s3.amazonaws.com",
            read_only,
            data_type,
            "us-east-1",
            "1",
            "arn:aws:iam::1:root",
            "1",
            None,
            "",
            "",
            False,
            "r",
            None,
            None,
            None,
            None,
            [("AWS::S3::Object", "k", arn)] if data_type else [],
        ]
    )


def test_default_selectors_take_management_events_only():
    trail = {}
    assert trails.selects(trail, _record("CreateBucket", None))
    assert not trails.selects(trail, _record())


def test_basic_data_selectors():
    trail = {
        "EventSelectors": [
            {
                "ReadWriteType": "WriteOnly",
                "IncludeManagementEvents": False,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b/"]}],
            }
        ]
    }
    assert trails.selects(trail, _record())
    assert not trails.selects(trail, _record(arn="arn:aws:s3:::other/k"))
    assert not trails.selects(trail, _record("GetObject", read_only=True))
    assert not trails.selects(trail, _record("CreateBucket", None))
    everything = {
        "EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]
    }
    assert trails.selects(everything, _record(arn="arn:aws:s3:::any/key"))


def test_advanced_selectors():
    trail = {
        "AdvancedEventSelectors": [
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::b/"]},
                    {"Field": "eventName", "NotEquals": ["DeleteObject"]},
                ]
            }
        ]
    }
    assert trails.selects(trail, _record())
    assert not trails.selects(trail, _record("DeleteObject"))
    assert not trails.selects(trail, _record(arn="arn:aws:s3:::c/k"))
    assert not trails.selects(trail, _record("CreateBucket", None))
    assert trails.wants_data_events(trail)


def test_trail_name_rules():
    trails.check_name("my-audit_trail.1")
    for bad in ("a..b", "10.0.0.1", "ab", "x" * 129, "-ab", "ab_", "a b"):
        with pytest.raises(ServiceError) as caught:
            trails.check_name(bad)
        assert caught.value.code == "InvalidTrailNameException"


# -- files --------------------------------------------------------------------------------------------


def test_log_file_key_layout():
    when = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    key = logfiles.log_file_key("prefix/", "111122223333", "eu-west-1", when)
    assert key.startswith(
        "prefix/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/04/"
        "111122223333_CloudTrail_eu-west-1_20260304T0506Z_"
    )
    assert key.endswith(".json.gz") and len(key.rsplit("_", 1)[1]) == len("0123456789abcdef.json.gz")
    assert logfiles.log_file_key(None, "1", "r", when).startswith("AWSLogs/1/CloudTrail/r/")
    digest = logfiles.digest_file_key(None, "1", "eu-west-1", "t", "us-east-1", when)
    assert (
        digest
        == "AWSLogs/1/CloudTrail-Digest/eu-west-1/2026/03/04/1_CloudTrail-Digest_eu-west-1_t_us-east-1_20260304T050607Z.json.gz"
    )


def test_log_file_content():
    raw, gz = logfiles.log_file(['{"a":1}', '{"b":2}'])
    assert json.loads(raw) == {"Records": [{"a": 1}, {"b": 2}]}
    assert gzip.decompress(gz) == raw


def test_rsa_signatures():
    key = logfiles.generate_key(1024)  # smaller than production keys: the arithmetic is the same
    signature = logfiles.sign(key, b"message")
    assert logfiles.verify(key, b"message", signature)
    assert not logfiles.verify(key, b"massage", signature)
    der = logfiles.public_key_der(key)
    assert der[0] == 0x30 and len(logfiles.fingerprint(key)) == 32


def test_digest_document_and_signing_string():
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 1, tzinfo=UTC)
    body = logfiles.digest_file(
        account="1",
        start=start,
        end=end,
        bucket="b",
        key="k",
        fingerprint="f",
        previous=None,
        logs=[
            {
                "s3Bucket": "b",
                "s3Object": "o",
                "hashValue": "h",
                "newestEventTime": "2026-01-01T00:30:00Z",
                "oldestEventTime": "2026-01-01T00:10:00Z",
            }
        ],
    )
    document = json.loads(body)
    assert document["previousDigestSignature"] is None
    assert document["newestEventTime"] == "2026-01-01T00:30:00Z"
    assert document["logFiles"][0]["hashAlgorithm"] == "SHA-256"
    signed = logfiles.signing_string(end, "b", "k", body, None).decode().split("\n")
    assert signed[0] == "2026-01-01T01:00:00Z" and signed[1] == "b/k" and signed[3] == "null"


# -- recorder -------------------------------------------------------------------------------------------


def _context(account="111122223333"):
    model = protocols.service_model("sts")
    context = RequestContext(request=Request("POST", "/", "", {"user-agent": "test/1"}), request_id="r-1")
    context.service, context.service_model = "sts", model
    context.operation = model.operation_model("GetCallerIdentity")
    context.account, context.principal_arn, context.principal_id = (
        account,
        f"arn:aws:iam::{account}:root",
        account,
    )
    return context


def test_recorder_writes_chunks_and_reads_newest_first():
    store = Store.open(None)
    recorder = Recorder(store)
    for i in range(5):
        context = _context()
        context.request_id = f"r-{i}"
        recorder.observe(context, {}, {"Account": "x"}, None)
    recorder.observe(_context(), {}, None, ServiceError("Throttling", "slow down"))
    recorder.flush()
    sc = scope("111122223333", "us-east-1")
    found = [r for _k, _i, r in recorder.records(sc, 0, 2**62)]
    assert [r.request_id for r in found[:6]][::-1][:5] == [f"r-{i}" for i in range(5)]
    assert found[0].error_code == "Throttling"
    assert store.table("cloudtrail", "events").count(sc) == 1
    recorder.observe(_context(), {}, None, None)
    recorder.flush()  # a young, small chunk takes later flushes' calls too
    assert store.table("cloudtrail", "events").count(sc) == 1
    assert len(list(recorder.records(sc, 0, 2**62))) == 7
    store.close()


def test_the_periodic_flush_writes_in_slices_oldest_first():
    store = Store.open(None)
    recorder = Recorder(store)
    for i in range(10):
        context = _context()
        context.request_id = f"r-{i}"
        recorder.observe(context, {}, None, None)
    sc = scope("111122223333", "us-east-1")
    assert recorder.flush(limit=4) is True
    assert [r.request_id for _k, _i, r in recorder.records(sc, 0, 2**62)][::-1] == [
        f"r-{i}" for i in range(4)
    ]
    assert len(recorder.pending) == 6
    asyncio.run(recorder.flush_in_slices())
    assert recorder.pending == []
    assert [r.request_id for _k, _i, r in recorder.records(sc, 0, 2**62)][::-1] == [
        f"r-{i}" for i in range(10)
    ]
    assert recorder.flush() is False
    store.close()


def test_retention_drops_events_older_than_90_days():
    store = Store.open(None)
    recorder = Recorder(store)
    recorder.observe(_context(), {}, None, None)
    recorder.flush()
    sc = scope("111122223333", "us-east-1")
    [(_key, _i, record)] = list(recorder.records(sc, 0, 2**62))
    assert recorder.expire(record.ts_us + RETENTION_US - 1_000_000) == 0
    assert recorder.expire(record.ts_us + RETENTION_US + CHUNK_SPAN_US + 1_000_000) == 1
    assert list(recorder.records(sc, 0, 2**62)) == []
    store.close()
