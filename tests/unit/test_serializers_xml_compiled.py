"""The generated XML structure writers and the fast timestamp paths: same bytes and same parse
as the general path gives, for the cases a straight-line writer could get wrong (escaping,
enums, flattened lists of structures, nesting, absent members, timestamp forms)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

from overcast.protocols.serializers.common import EPOCH, iso8601, iso8601_millis

from .wire import parsed, respond

UTC = UTC


def test_listing_entries_escape_and_keep_every_member():
    when = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    contents = [
        {
            "Key": "a&b<c>\r.txt",
            "LastModified": when,
            "ETag": '"e"',
            "Size": 3,
            "StorageClass": "STANDARD",
            "ChecksumAlgorithm": ["CRC32", "SHA256"],
            "ChecksumType": "FULL_OBJECT",
            "Owner": {"ID": "id&1", "DisplayName": "me"},
        },
        {
            "Key": "plain",
            "LastModified": "2025-01-02T03:04:05.000Z",
            "ETag": '"f"',
            "Size": 0,
            "StorageClass": "NOT_AN_ENUM_<VALUE>",
        },  # an unknown value is written (escaped) all the same
        {"Key": "plain2", "Size": 1, "StorageClass": "NOT_AN_ENUM_<VALUE>"},
    ]
    output = {
        "Name": "b",
        "Prefix": "",
        "MaxKeys": 1000,
        "KeyCount": 3,
        "IsTruncated": False,
        "Contents": contents,
    }
    response = respond("s3", "ListObjectsV2", "rest-xml", output)
    body = response.body.decode()
    assert "<Key>a&amp;b&lt;c&gt;&#13;.txt</Key>" in body
    assert "<ChecksumAlgorithm>CRC32</ChecksumAlgorithm><ChecksumAlgorithm>SHA256</ChecksumAlgorithm>" in body
    assert body.count("<StorageClass>NOT_AN_ENUM_&lt;VALUE&gt;</StorageClass>") == 2
    assert "<LastModified>2025-01-02T03:04:05.678Z</LastModified>" in body
    result = parsed(response, "s3", "ListObjectsV2", "rest-xml")
    first, second, third = result["Contents"]
    assert first["Key"] == "a&b<c>\r.txt" and first["Owner"] == {"ID": "id&1", "DisplayName": "me"}
    assert first["LastModified"] == when and first["ChecksumAlgorithm"] == ["CRC32", "SHA256"]
    assert second["LastModified"] == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert "LastModified" not in third and third["StorageClass"] == "NOT_AN_ENUM_<VALUE>"


def test_nested_structures_and_lists_write_every_level():
    # EC2 nests deepest: items holding lists of items holding structures.
    launched = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    output = {
        "Reservations": [
            {
                "ReservationId": "r-1",
                "Instances": [
                    {
                        "InstanceId": "i-1",
                        "LaunchTime": launched,
                        "State": {"Code": 16, "Name": "running"},
                        "Tags": [{"Key": "k<", "Value": "v&"}],
                        "NetworkInterfaces": [
                            {"NetworkInterfaceId": "eni-1", "Groups": [{"GroupId": "sg-1", "GroupName": "g"}]}
                        ],
                    }
                ],
            }
        ]
    }
    response = respond("ec2", "DescribeInstances", "ec2", output)
    result = parsed(response, "ec2", "DescribeInstances", "ec2")
    instance = result["Reservations"][0]["Instances"][0]
    assert instance["State"] == {"Code": 16, "Name": "running"} and instance["LaunchTime"] == launched
    assert instance["Tags"] == [{"Key": "k<", "Value": "v&"}]
    assert instance["NetworkInterfaces"][0]["Groups"] == [{"GroupId": "sg-1", "GroupName": "g"}]


def test_query_timestamps_keep_their_own_layout():
    # Only S3/EC2's millisecond flavour takes a stored wire text as it is; IAM writes seconds.
    created = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    response = respond(
        "iam",
        "ListUsers",
        "query",
        {
            "Users": [
                {
                    "UserName": "a",
                    "UserId": "1",
                    "Arn": "arn",
                    "Path": "/",
                    "CreateDate": "2024-05-01T12:00:00.000Z",
                }
            ],
            "IsTruncated": False,
        },
    )
    assert b"<CreateDate>2024-05-01T12:00:00Z</CreateDate>" in response.body
    assert parsed(response, "iam", "ListUsers", "query")["Users"][0]["CreateDate"] == created


def test_millisecond_text_matches_isoformat_from_every_input_form():
    rng = random.Random(7)
    for _ in range(20000):
        moment = EPOCH + timedelta(milliseconds=rng.randrange(-2 * 10**12, 4 * 10**12))
        expected = moment.isoformat(timespec="milliseconds")[:-6] + "Z"
        micros = (moment - EPOCH) // timedelta(microseconds=1)
        assert iso8601_millis(moment) == expected
        assert iso8601_millis(micros / 1e6) == expected
        assert iso8601_millis(expected) == expected
    fine = datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert iso8601_millis(fine) == "2025-01-02T03:04:05.123456Z"
    assert (
        iso8601_millis(((fine - EPOCH) // timedelta(microseconds=1)) / 1e6) == "2025-01-02T03:04:05.123456Z"
    )
    assert iso8601_millis(0) == "1970-01-01T00:00:00.000Z"
    assert (
        iso8601_millis(datetime(2025, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1))))
        == "2025-01-02T03:04:05.000Z"
    )
    assert iso8601(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2025-01-02T03:04:05Z"
