import pytest

from overcast.common.arns import Arn, build_arn, parse_arn, partition


@pytest.mark.parametrize(
    "region,expected",
    [
        ("us-east-1", "aws"),
        ("eu-central-2", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("ap-newplace-9", "aws"),
        ("nowhere", "aws"),
    ],
)
def test_partition(region, expected):
    assert partition(region) == expected


def test_build_arn_takes_its_partition_from_the_region():
    assert build_arn("sqs", "us-east-1", "123456789012", "q") == "arn:aws:sqs:us-east-1:123456789012:q"
    assert build_arn("sqs", "cn-north-1", "1", "q") == "arn:aws-cn:sqs:cn-north-1:1:q"


def test_a_global_service_arn_names_no_region_but_keeps_the_partition():
    assert (
        build_arn("iam", "us-gov-west-1", "1", "role/r", global_service=True)
        == "arn:aws-us-gov:iam::1:role/r"
    )


def test_parse_arn_keeps_colons_of_the_resource():
    assert parse_arn("arn:aws:lambda:us-east-1:1:function:f:3") == Arn(
        "aws", "lambda", "us-east-1", "1", "function:f:3"
    )
    assert parse_arn("arn:aws:s3:::bucket/key") == Arn("aws", "s3", "", "", "bucket/key")


@pytest.mark.parametrize(
    "text", ["", "arn", "arn:aws:sqs", "urn:aws:sqs:r:a:q", "arn::sqs:r:a:q", "arn:aws::r:a:q"]
)
def test_parse_arn_refuses_what_is_not_an_arn(text):
    assert parse_arn(text) is None


def test_build_and_parse_round_trip():
    text = build_arn("logs", "eu-west-1", "1", "log-group:/a/b:*")
    assert parse_arn(text) == Arn("aws", "logs", "eu-west-1", "1", "log-group:/a/b:*")
