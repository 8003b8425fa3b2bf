"""EC2 tests run each in an account of its own (a 12-digit access key id is that account), so
that every test starts from a fresh default VPC."""

from __future__ import annotations

import random
import time

import boto3
import pytest


def fresh_account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


@pytest.fixture
def account() -> str:
    return fresh_account()


@pytest.fixture
def session(account):
    return boto3.session.Session(
        aws_access_key_id=account, aws_secret_access_key="test", region_name="us-east-1"
    )


@pytest.fixture
def ec2(session, endpoint):
    return session.client("ec2", endpoint_url=endpoint)


def code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def wait_for(check, timeout: float = 15.0, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(step)


def latest_al2023(ec2) -> str:
    images = ec2.describe_images(
        Owners=["amazon"],
        Filters=[
            {"Name": "name", "Values": ["al2023-ami-*"]},
            {"Name": "architecture", "Values": ["x86_64"]},
        ],
    )["Images"]
    return sorted(images, key=lambda image: image["CreationDate"])[-1]["ImageId"]


def instance(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def wait_state(ec2, instance_id: str, state: str) -> dict:
    return wait_for(lambda: (found := instance(ec2, instance_id))["State"]["Name"] == state and found)
