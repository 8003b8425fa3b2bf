"""Another account reaches a function by its ARN only where the function's resource-based policy
allows it, as on AWS."""

from __future__ import annotations

import json

import boto3
import pytest

from .helpers import create

ECHO = "def handler(event, context):\n    return {'echo': event}\n"
OTHER = "111122223333"


def test_invocation_from_another_account_follows_the_resource_policy(client, endpoint):
    lam = client("lambda")
    other = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=OTHER,
        aws_secret_access_key="test",
    )
    name = create(lam, ECHO)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    with pytest.raises(other.exceptions.ClientError) as raised:
        other.invoke(FunctionName=arn, Payload=b"{}")
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: arn:aws:iam::{OTHER}:root is not authorized to perform: lambda:InvokeFunction on resource: "
        f"{arn} because no resource-based policy allows the lambda:InvokeFunction action"
    )
    lam.add_permission(
        FunctionName=name, StatementId="other", Action="lambda:InvokeFunction", Principal=OTHER
    )
    answer = other.invoke(FunctionName=arn, Payload=json.dumps({"k": 1}))
    assert json.loads(answer["Payload"].read()) == {"echo": {"k": 1}}
    with pytest.raises(other.exceptions.ClientError) as raised:
        other.get_function(FunctionName=arn)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    lam.add_permission(FunctionName=name, StatementId="read", Action="lambda:GetFunction", Principal=OTHER)
    assert other.get_function(FunctionName=arn)["Configuration"]["FunctionArn"] == arn
    # A plain name still means the caller's own account.
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.invoke(FunctionName=name, Payload=b"{}")


def test_a_policy_granting_everything_opens_the_function_operations(client, endpoint):
    lam = client("lambda")
    other = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=OTHER,
        aws_secret_access_key="t",
    )
    name = create(lam, ECHO)
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    with pytest.raises(other.exceptions.ClientError) as raised:
        other.publish_version(FunctionName=arn)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    lam.add_permission(FunctionName=name, StatementId="all", Action="lambda:*", Principal=OTHER)
    assert other.publish_version(FunctionName=arn)["Version"] == "1"
    other.tag_resource(Resource=arn, Tags={"from": "other"})
    assert lam.list_tags(Resource=arn)["Tags"] == {"from": "other"}
    other.put_function_concurrency(FunctionName=arn, ReservedConcurrentExecutions=5)
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    other.delete_function(FunctionName=arn)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)


def test_layers_are_shared_through_their_version_policy(client, endpoint):
    from .helpers import zip_bytes

    lam = client("lambda")
    other = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=OTHER,
        aws_secret_access_key="t",
    )
    layer = lam.publish_layer_version(
        LayerName="shared-layer", Content={"ZipFile": zip_bytes({"python/s.py": ""})}
    )
    arn = layer["LayerVersionArn"]
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.get_layer_version_by_arn(Arn=arn)
    lam.add_layer_version_permission(
        LayerName="shared-layer",
        VersionNumber=layer["Version"],
        StatementId="other",
        Action="lambda:GetLayerVersion",
        Principal=OTHER,
    )
    assert other.get_layer_version_by_arn(Arn=arn)["LayerVersionArn"] == arn
    name_arn = layer["LayerArn"]
    assert (
        other.get_layer_version(LayerName=name_arn, VersionNumber=layer["Version"])["LayerVersionArn"] == arn
    )
