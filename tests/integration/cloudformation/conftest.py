"""CloudFormation fixtures: the client, unique stack names, and a helper that waits for a
stack to finish what it is doing."""

from __future__ import annotations

import time
import uuid

import pytest


@pytest.fixture(scope="session")
def cfn(client):
    return client("cloudformation")


@pytest.fixture
def stack_name() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


def settle(cfn, stack: str, timeout: float = 60) -> dict:
    """The stack once it is no longer *_IN_PROGRESS."""
    deadline = time.monotonic() + timeout
    while True:
        found = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        if not found["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def outputs(stack: dict) -> dict[str, str]:
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def resources(cfn, stack: str) -> dict[str, dict]:
    return {
        resource["LogicalResourceId"]: resource
        for resource in cfn.describe_stack_resources(StackName=stack)["StackResources"]
    }
