"""`overcast.mock_aws`: moto's shape (decorator of functions, coroutines and classes; context
manager), the environment pointed at an in-process Overcast and restored, fresh state each time."""

from __future__ import annotations

import asyncio
import os
import unittest

import boto3
import pytest

from overcast import mock_aws
from overcast.testing import MOCK_ACCOUNT, shared_server

NAMES = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def test_the_context_manager_points_boto3_at_overcast_and_restores_the_environment(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-token")
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    before = {name: os.environ.get(name) for name in NAMES}
    with mock_aws():
        assert os.environ["AWS_ENDPOINT_URL"] == shared_server().endpoint
        assert "AWS_SESSION_TOKEN" not in os.environ and "AWS_PROFILE" not in os.environ
        identity = boto3.client("sts", region_name="us-east-1").get_caller_identity()
        assert identity["Account"] == MOCK_ACCOUNT
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="mocked")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["mocked"]
    assert {name: os.environ.get(name) for name in NAMES} == before


def test_each_outermost_activation_starts_empty_and_nesting_keeps_state():
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        sqs.create_queue(QueueName="first")
        with mock_aws():  # nested: same state, same environment
            assert len(boto3.client("sqs", region_name="us-east-1").list_queues()["QueueUrls"]) == 1
        assert os.environ["AWS_ACCESS_KEY_ID"] == MOCK_ACCOUNT
    with mock_aws():
        assert "QueueUrls" not in boto3.client("sqs", region_name="us-east-1").list_queues()


@mock_aws
def test_as_a_bare_decorator():
    boto3.client("dynamodb", region_name="eu-west-1").create_table(
        TableName="things",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert boto3.client("dynamodb", region_name="eu-west-1").list_tables()["TableNames"] == ["things"]


@mock_aws(region="eu-central-1")
def test_with_arguments_and_the_default_region():
    assert boto3.session.Session().region_name == "eu-central-1"


def test_a_coroutine_function():
    @mock_aws
    async def work() -> str:
        return boto3.client("sts").get_caller_identity()["Account"]

    assert asyncio.run(work()) == MOCK_ACCOUNT


@mock_aws
class TestCaseWithSetUp(unittest.TestCase):
    def setUp(self) -> None:
        self.sqs = boto3.client("sqs", region_name="us-east-1")
        self.url = self.sqs.create_queue(QueueName="made-in-setup")["QueueUrl"]

    def test_set_up_ran_inside_the_mock(self) -> None:
        self.sqs.send_message(QueueUrl=self.url, MessageBody="hi")
        assert self.sqs.receive_message(QueueUrl=self.url)["Messages"][0]["Body"] == "hi"

    def test_each_test_starts_from_its_own_set_up(self) -> None:
        assert self.sqs.list_queues()["QueueUrls"] == [self.url]


@mock_aws
class TestPytestStyleClass:
    def setup_method(self, method) -> None:
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="from-setup")

    def test_sees_the_bucket(self) -> None:
        assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == ["from-setup"]


def test_outside_the_mock_nothing_points_at_overcast():
    with mock_aws():
        pass
    assert os.environ.get("AWS_ENDPOINT_URL", "") != shared_server().endpoint


def test_a_function_raising_still_restores(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)

    @mock_aws
    def broken() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        broken()
    assert "AWS_ENDPOINT_URL" not in os.environ
