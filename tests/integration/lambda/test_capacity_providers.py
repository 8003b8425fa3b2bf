"""Capacity providers and tags on every taggable Lambda resource, through boto3."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .helpers import create, unique

ECHO = "def handler(event, context):\n    return event\n"
OPERATOR = "arn:aws:iam::000000000000:role/operator"
VPC = {"SubnetIds": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}


def test_capacity_provider_lifecycle(client):
    lam = client("lambda")
    name = unique("cp")
    created = lam.create_capacity_provider(
        CapacityProviderName=name,
        VpcConfig=VPC,
        PermissionsConfig={"CapacityProviderOperatorRoleArn": OPERATOR},
        Tags={"team": "a"},
    )["CapacityProvider"]
    arn = created["CapacityProviderArn"]
    assert arn == f"arn:aws:lambda:us-east-1:000000000000:capacity-provider:{name}"
    assert created["State"] == "Pending" and created["VpcConfig"] == VPC
    got = lam.get_capacity_provider(CapacityProviderName=name)["CapacityProvider"]
    assert got["State"] == "Active"
    assert (
        lam.get_capacity_provider(CapacityProviderName=arn)["CapacityProvider"]["CapacityProviderArn"] == arn
    )
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_capacity_provider(
            CapacityProviderName=name,
            VpcConfig=VPC,
            PermissionsConfig={"CapacityProviderOperatorRoleArn": OPERATOR},
        )
    listed = lam.list_capacity_providers(State="Active")["CapacityProviders"]
    assert arn in [p["CapacityProviderArn"] for p in listed]
    assert lam.list_capacity_providers(State="Failed")["CapacityProviders"] == []
    scaling = {
        "ScalingMode": "Manual",
        "ScalingPolicies": [
            {"PredefinedMetricType": "LambdaCapacityProviderAverageCPUUtilization", "TargetValue": 50.0}
        ],
    }
    updated = lam.update_capacity_provider(CapacityProviderName=name, CapacityProviderScalingConfig=scaling)
    assert updated["CapacityProvider"]["CapacityProviderScalingConfig"] == scaling
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_capacity_provider(
            CapacityProviderName=name, CapacityProviderScalingConfig={"ScalingMode": "Manual"}
        )
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "a"}
    lam.tag_resource(Resource=arn, Tags={"env": "dev"})
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "dev"}

    function = create(
        lam,
        ECHO,
        CapacityProviderConfig={"LambdaManagedInstancesCapacityProviderConfig": {"CapacityProviderArn": arn}},
        Publish=True,
    )
    versions = lam.list_function_versions_by_capacity_provider(CapacityProviderName=name)
    assert versions["CapacityProviderArn"] == arn
    assert sorted(v["FunctionArn"].rsplit(":", 1)[-1] for v in versions["FunctionVersions"]) == [
        "$LATEST",
        "1",
    ]
    put = lam.put_function_scaling_config(
        FunctionName=function, Qualifier="1", FunctionScalingConfig={"MinExecutionEnvironments": 1}
    )
    assert put["FunctionState"] == "Active"
    scaled = lam.get_function_scaling_config(FunctionName=function, Qualifier="1")
    assert scaled["RequestedFunctionScalingConfig"] == {"MinExecutionEnvironments": 1}
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.delete_capacity_provider(CapacityProviderName=name)
    lam.delete_function(FunctionName=function)
    deleted = lam.delete_capacity_provider(CapacityProviderName=name)["CapacityProvider"]
    assert deleted["State"] == "Deleting"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.get_capacity_provider(CapacityProviderName=name)
    assert raised.value.response["Error"]["Message"] == f"Capacity provider not found: {arn}"


def test_function_on_a_missing_capacity_provider_is_refused(client):
    lam = client("lambda")
    missing = "arn:aws:lambda:us-east-1:000000000000:capacity-provider:nope"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        create(
            lam,
            ECHO,
            CapacityProviderConfig={
                "LambdaManagedInstancesCapacityProviderConfig": {"CapacityProviderArn": missing}
            },
        )


@pytest.mark.parametrize(
    ("kind", "noun"),
    [
        ("function", "Function"),
        ("event-source-mapping", "Event source mapping"),
        ("capacity-provider", "Capacity provider"),
    ],
)
def test_tag_errors_name_the_resource(client, kind, noun):
    lam = client("lambda")
    ident = "0f0e4b7e-7c1a-4bde-9a31-2f5c1a2b3c4d" if kind == "event-source-mapping" else unique("x")
    arn = f"arn:aws:lambda:us-east-1:000000000000:{kind}:{ident}"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as raised:
        lam.list_tags(Resource=arn)
    assert raised.value.response["Error"]["Message"] == f"{noun} not found: {arn}"
    with pytest.raises(ClientError) as raised:
        lam.list_tags(Resource=f"arn:aws:lambda:us-east-1:000000000000:foobar:{ident}")
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_tags_on_code_signing_configs_and_mappings(client):
    lam = client("lambda")
    sqs = client("sqs")
    csc = lam.create_code_signing_config(
        AllowedPublishers={
            "SigningProfileVersionArns": ["arn:aws:signer:us-east-1:000000000000:/signing-profiles/p"]
        },
        Tags={"a": "1"},
    )["CodeSigningConfig"]["CodeSigningConfigArn"]
    assert lam.list_tags(Resource=csc)["Tags"] == {"a": "1"}
    function = create(lam, ECHO)
    queue = sqs.create_queue(QueueName=unique("q"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    mapping = lam.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=function, Enabled=False, Tags={"b": "2"}
    )
    assert "tags" not in mapping
    assert lam.list_tags(Resource=mapping["EventSourceMappingArn"])["Tags"] == {"b": "2"}
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.tag_resource(Resource=mapping["EventSourceMappingArn"], Tags={})
