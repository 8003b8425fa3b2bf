"""Fixtures for the Auto Scaling tests: clients, an AMI, a launch template, subnets, and a
wait for a group's instances to reach a state."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(scope="module")
def asg(client):
    return client("autoscaling")


@pytest.fixture(scope="module")
def ec2(client):
    return client("ec2")


@pytest.fixture(scope="module")
def cloudwatch(client):
    return client("cloudwatch")


@pytest.fixture(scope="module")
def image(ec2) -> str:
    return ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


@pytest.fixture(scope="module")
def template(ec2, image) -> dict[str, Any]:
    name = f"asg-lt-{uuid.uuid4().hex[:8]}"
    return ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"}
    )["LaunchTemplate"]


@pytest.fixture(scope="module")
def subnets(ec2) -> list[str]:
    found = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    return [s["SubnetId"] for s in sorted(found, key=lambda s: s["AvailabilityZone"])][:2]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_for(check: Callable[[], Any], timeout: float = 30, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting: last value {value!r}")
        time.sleep(interval)


def group_of(asg, name: str) -> dict[str, Any]:
    return asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]


def in_service(asg, name: str, count: int) -> list[str] | None:
    instances = group_of(asg, name)["Instances"]
    ids = [i["InstanceId"] for i in instances if i["LifecycleState"] == "InService"]
    return ids if len(ids) == count and len(instances) == count else None
