"""AWS's public parameters, Secrets Manager references, parameter policies and the
parameter-store service settings, against the real server (boto3 and the aws CLI)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

AMI = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_latest_amazon_linux_is_stable_and_per_region(client, ssm):
    first = ssm.get_parameter(Name=AMI)["Parameter"]
    assert first["Value"].startswith("ami-") and len(first["Value"]) == 21
    assert ssm.get_parameter(Name=AMI)["Parameter"]["Value"] == first["Value"]
    other = client("ssm", region_name="eu-west-1").get_parameter(Name=AMI)["Parameter"]["Value"]
    assert other != first["Value"]
    listed = ssm.get_paginator("get_parameters_by_path").paginate(Path="/aws/service/ami-amazon-linux-latest")
    names = {p["Name"] for page in listed for p in page["Parameters"]}
    assert AMI in names and "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2" in names


def test_global_infrastructure(ssm):
    base = "/aws/service/global-infrastructure"
    assert (
        ssm.get_parameter(Name=f"{base}/regions/eu-west-1/longName")["Parameter"]["Value"]
        == "Europe (Ireland)"
    )
    regions = ssm.get_paginator("get_parameters_by_path").paginate(Path=f"{base}/regions")
    codes = {p["Value"] for page in regions for p in page["Parameters"]}
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= codes
    assert (
        ssm.get_parameter(Name=f"{base}/services/ssm/longName")["Parameter"]["Value"] == "AWS Systems Manager"
    )
    with pytest.raises(ClientError) as error:
        ssm.get_parameter(Name=f"{base}/regions/nowhere-1")
    assert _code(error) == "ParameterNotFound"


def test_ec2_image_parameters_are_checked_against_images(ssm, path):
    ami = ssm.get_parameter(Name=AMI)["Parameter"]["Value"]
    ssm.put_parameter(Name=f"{path}/img", Value=ami, Type="String", DataType="aws:ec2:image")
    assert ssm.get_parameter(Name=f"{path}/img")["Parameter"]["DataType"] == "aws:ec2:image"
    # Neither to nor from aws:ec2:image: the data type of such a parameter is fixed.
    with pytest.raises(ClientError) as error:
        ssm.put_parameter(Name=f"{path}/img", Value="text now", DataType="text", Overwrite=True)
    assert _code(error) == "ValidationException"
    ssm.put_parameter(Name=f"{path}/plain", Value="x", Type="String")
    with pytest.raises(ClientError) as error:
        ssm.put_parameter(Name=f"{path}/plain", Value=ami, DataType="aws:ec2:image", Overwrite=True)
    assert _code(error) == "ValidationException"
    # AWS answers, then checks the image; one that does not exist leaves no parameter.
    ssm.put_parameter(
        Name=f"{path}/gone", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image"
    )
    with pytest.raises(ClientError) as error:
        ssm.get_parameter(Name=f"{path}/gone")
    assert _code(error) == "ParameterNotFound"


def test_secrets_manager_references(ssm):
    with pytest.raises(ClientError) as error:
        ssm.get_parameter(Name="/aws/reference/secretsmanager/absent")
    assert _code(error) == "ValidationException"
    with pytest.raises(ClientError) as error:
        ssm.get_parameter(Name="/aws/reference/secretsmanager/absent", WithDecryption=True)
    assert _code(error) == "ParameterNotFound"
    assert error.value.response["Error"]["Message"] == (
        "An error occurred (ParameterNotFound) when referencing Secrets Manager: "
        "Secret aws/reference/secretsmanager/absent not found."
    )


def test_expiration_deletes_the_parameter_at_its_time(ssm, path):
    at = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    policies = [
        {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": at}},
        {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "1", "Unit": "Days"}},
        {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "2", "Unit": "Hours"}},
    ]
    name = f"{path}/expiring"
    out = ssm.put_parameter(
        Name=name, Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policies)
    )
    assert out["Tier"] == "Advanced"
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert [p["PolicyType"] for p in described["Policies"]] == [
        "Expiration", "ExpirationNotification", "NoChangeNotification"
    ]  # fmt: skip
    assert described["Policies"][0]["PolicyStatus"] == "Pending"
    deadline = time.time() + 10
    while time.time() < deadline:
        found = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
        if not found:
            break
        time.sleep(0.3)
    assert not found  # the timer deleted it, no read needed
    with pytest.raises(ClientError) as error:
        ssm.get_parameter(Name=name)
    assert _code(error) == "ParameterNotFound"


@pytest.mark.parametrize(
    ("policy", "code"),
    [
        ([{"Type": "Nope", "Version": "1.0", "Attributes": {}}], "InvalidPolicyTypeException"),
        ([{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "soon"}}], "InvalidPolicyAttributeException"),
        ([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "x", "Unit": "Days"}}],
         "InvalidPolicyAttributeException"),
        ([{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "1", "Unit": "Weeks"}}],
         "InvalidPolicyAttributeException"),
    ],
)  # fmt: skip
def test_bad_policies(ssm, path, policy, code):
    with pytest.raises(ClientError) as error:
        ssm.put_parameter(
            Name=f"{path}/p", Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policy)
        )
    assert _code(error) == code


def test_policies_need_the_advanced_tier(ssm, path):
    policy = json.dumps(
        [{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "1", "Unit": "Days"}}]
    )
    with pytest.raises(ClientError) as error:
        ssm.put_parameter(Name=f"{path}/p", Value="v", Type="String", Tier="Standard", Policies=policy)
    assert _code(error) == "ValidationException"
    assert (
        ssm.put_parameter(
            Name=f"{path}/q", Value="v", Type="String", Tier="Intelligent-Tiering", Policies=policy
        )["Tier"]
        == "Advanced"
    )


def test_service_settings(client, path):
    ssm = client("ssm", region_name="ap-south-1")  # settings are the account's, per region
    tier = "/ssm/parameter-store/default-parameter-tier"
    default = ssm.get_service_setting(SettingId=tier)["ServiceSetting"]
    assert (default["SettingValue"], default["Status"]) == ("Standard", "Default")
    ssm.update_service_setting(SettingId=default["ARN"], SettingValue="Advanced")
    changed = ssm.get_service_setting(SettingId=tier)["ServiceSetting"]
    assert (changed["SettingValue"], changed["Status"]) == ("Advanced", "Customized")
    assert ssm.put_parameter(Name=f"{path}/by-default", Value="v", Type="String")["Tier"] == "Advanced"
    reset = ssm.reset_service_setting(SettingId=tier)["ServiceSetting"]
    assert (reset["SettingValue"], reset["Status"]) == ("Standard", "Default")
    with pytest.raises(ClientError) as error:
        ssm.update_service_setting(SettingId=tier, SettingValue="Premium")
    assert _code(error) == "ValidationException"
    with pytest.raises(ClientError) as error:
        ssm.get_service_setting(SettingId="/ssm/parameter-store/nothing")
    assert _code(error) == "ServiceSettingNotFound"
    high = ssm.get_service_setting(SettingId="/ssm/parameter-store/high-throughput-enabled")["ServiceSetting"]
    assert high["SettingValue"] == "false"


def test_the_aws_cli(aws, path):
    name = f"{path}/cli"
    assert (
        aws("ssm", "put-parameter", "--name", name, "--value", "a,b", "--type", "StringList")["Version"] == 1
    )
    got = aws("ssm", "get-parameter", "--name", name)["Parameter"]
    assert got["Value"] == "a,b" and got["Type"] == "StringList"
    listed = aws("ssm", "get-parameters-by-path", "--path", path, "--recursive")["Parameters"]
    assert [p["Name"] for p in listed] == [name]
    described = aws("ssm", "describe-parameters", "--parameter-filters", f"Key=Name,Values={name}")
    assert described["Parameters"][0]["Type"] == "StringList"
    aws("ssm", "label-parameter-version", "--name", name, "--labels", "prod")
    assert aws("ssm", "get-parameter", "--name", f"{name}:prod")["Parameter"]["Selector"] == ":prod"
    assert len(aws("ssm", "get-parameter-history", "--name", name)["Parameters"]) == 1
    assert aws("ssm", "delete-parameter", "--name", name) is None
    failed = aws("ssm", "get-parameter", "--name", name, check=False)
    assert failed.returncode != 0 and "ParameterNotFound" in failed.stderr


def test_resource_policies_on_an_advanced_parameter(ssm, path):
    name = f"{path}/shared"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tier="Advanced")
    arn = ssm.get_parameter(Name=name)["Parameter"]["ARN"]
    policy = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "ssm:GetParameter",
                       "Resource": arn}],
    })  # fmt: skip
    put = ssm.put_resource_policy(ResourceArn=arn, Policy=policy)
    listed = ssm.get_resource_policies(ResourceArn=arn)["Policies"]
    assert listed == [{"PolicyId": put["PolicyId"], "PolicyHash": put["PolicyHash"], "Policy": policy}]
    changed = policy.replace("111122223333", "444455556666")
    with pytest.raises(ClientError) as error:
        ssm.put_resource_policy(ResourceArn=arn, Policy=changed, PolicyId=put["PolicyId"], PolicyHash="stale")
    assert _code(error) == "ResourcePolicyConflictException"
    updated = ssm.put_resource_policy(
        ResourceArn=arn, Policy=changed, PolicyId=put["PolicyId"], PolicyHash=put["PolicyHash"]
    )
    assert updated["PolicyId"] == put["PolicyId"] and updated["PolicyHash"] != put["PolicyHash"]
    # An overwrite of the parameter keeps its policies.
    ssm.put_parameter(Name=name, Value="w", Overwrite=True)
    assert len(ssm.get_resource_policies(ResourceArn=arn)["Policies"]) == 1
    with pytest.raises(ClientError) as error:
        ssm.delete_resource_policy(ResourceArn=arn, PolicyId="nope", PolicyHash=updated["PolicyHash"])
    assert _code(error) == "ResourcePolicyNotFoundException"
    ssm.delete_resource_policy(ResourceArn=arn, PolicyId=put["PolicyId"], PolicyHash=updated["PolicyHash"])
    assert ssm.get_resource_policies(ResourceArn=arn)["Policies"] == []


def test_resource_policy_refusals(ssm, path):
    ssm.put_parameter(Name=f"{path}/standard", Value="v", Type="String")
    arn = ssm.get_parameter(Name=f"{path}/standard")["Parameter"]["ARN"]
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    for request, code in [
        (dict(ResourceArn=arn, Policy=policy), "ResourcePolicyInvalidParameterException"),
        (dict(ResourceArn=arn + "-absent", Policy=policy), "ResourceNotFoundException"),
        (dict(ResourceArn=arn, Policy="{not json"), "MalformedResourcePolicyDocumentException"),
        (dict(ResourceArn=arn, Policy=json.dumps({"Statement": [], "Sid": "x" * 1100})),
         "ResourcePolicyLimitExceededException"),
    ]:  # fmt: skip
        with pytest.raises(ClientError) as error:
            ssm.put_resource_policy(**request)
        assert _code(error) == code, request
    group = "arn:aws:ssm:us-east-1:000000000000:opsitemgroup/default"
    first = ssm.put_resource_policy(ResourceArn=group, Policy=policy)
    with pytest.raises(ClientError) as error:
        ssm.put_resource_policy(ResourceArn=group, Policy=policy)
    assert _code(error) == "ResourcePolicyLimitExceededException"
    ssm.delete_resource_policy(ResourceArn=group, PolicyId=first["PolicyId"], PolicyHash=first["PolicyHash"])
