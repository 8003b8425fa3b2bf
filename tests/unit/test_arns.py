import pytest

from overcast.arns import partition


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
