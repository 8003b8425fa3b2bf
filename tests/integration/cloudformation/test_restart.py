"""A durable Overcast stopped in the middle of a deployment: after the restart the stack is
failed with the reason, not left in progress forever, and can be deleted."""

from __future__ import annotations

import boto3

from tests.conftest import Server
from tests.integration.cloudformation.conftest import settle
from tests.integration.cloudformation.test_wait import waiting

WAITING = """
Resources:
  Signalled:
    Type: AWS::CloudFormation::WaitCondition
    CreationPolicy:
      ResourceSignal: {Count: 1, Timeout: PT1H}
"""


def client(server: Server):
    return boto3.client(
        "cloudformation",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_a_deployment_cut_short_by_a_restart_fails(tmp_path):
    data = str(tmp_path / "data")
    first = Server("--data-dir", data, "--quiet")
    try:
        cfn = client(first)
        stack_id = cfn.create_stack(StackName="interrupted", TemplateBody=WAITING)["StackId"]
        waiting(cfn, "interrupted", "Signalled")
    finally:
        first.stop(kill=True)
    second = Server("--data-dir", data, "--quiet")
    try:
        cfn = client(second)
        stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_FAILED"
        assert stack["StackStatusReason"] == "Overcast stopped while the stack was being deployed"
        cfn.delete_stack(StackName=stack_id)
        assert settle(cfn, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    finally:
        second.stop()
