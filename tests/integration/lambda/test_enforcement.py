"""Lambda on a server started with --enforce-iam: execution roles must exist and trust Lambda,
and the function's own calls are authorized as its role session."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from .helpers import unique, zip_bytes

ACCOUNT = "000000000000"
CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
CALLER = """
import boto3
def handler(event, context):
    out = {"arn": boto3.client("sts").get_caller_identity()["Arn"]}
    try:
        boto3.client("sqs").list_queues()
        out["sqs"] = "allowed"
    except Exception as error:
        out["sqs"] = error.response["Error"]["Code"]
    try:
        boto3.client("s3").list_buckets()
        out["s3"] = "allowed"
    except Exception as error:
        out["s3"] = error.response["Error"]["Code"]
    return out
"""


@pytest.fixture(scope="module")
def root(enforced):
    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    return lambda service: session.client(service, endpoint_url=enforced.endpoint)


def role(iam, service: str = "lambda.amazonaws.com", allow: str | None = None) -> str:
    name = unique("exec")
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(document))["Role"]["Arn"]
    if allow:
        iam.put_role_policy(
            RoleName=name,
            PolicyName="p",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": allow, "Resource": "*"}],
                }
            ),
        )
    return arn


def create(lam, role_arn: str, source: str = "def handler(e, c):\n    return 1\n") -> str:
    name = unique("fn")
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": zip_bytes({"handler.py": source})},
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200}
    )
    return name


def refused(error) -> tuple[str, str, int]:
    response = error.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_role_that_does_not_exist_is_refused(root):
    lam = root("lambda")
    with pytest.raises(ClientError) as error:
        create(lam, f"arn:aws:iam::{ACCOUNT}:role/{unique('missing')}")
    assert refused(error) == ("InvalidParameterValueException", CANNOT_ASSUME, 400)


def test_role_that_does_not_trust_lambda_is_refused(root):
    lam, iam = root("lambda"), root("iam")
    with pytest.raises(ClientError) as error:
        create(lam, role(iam, service="ec2.amazonaws.com"))
    assert refused(error) == ("InvalidParameterValueException", CANNOT_ASSUME, 400)
    name = create(lam, role(iam))
    for bad in (
        role(iam, service="ecs-tasks.amazonaws.com"),
        f"arn:aws:iam::{ACCOUNT}:role/{unique('gone')}",
    ):
        with pytest.raises(ClientError) as error:
            lam.update_function_configuration(FunctionName=name, Role=bad)
        assert refused(error) == ("InvalidParameterValueException", CANNOT_ASSUME, 400)
    good = role(iam)
    assert lam.update_function_configuration(FunctionName=name, Role=good)["Role"] == good


def test_function_calls_are_authorized_as_its_role_session(root):
    lam, iam = root("lambda"), root("iam")
    role_arn = role(iam, allow="s3:ListAllMyBuckets")
    name = create(lam, role_arn, CALLER)
    response = lam.invoke(FunctionName=name, Payload=b"{}")
    result = json.loads(response["Payload"].read())
    assert "FunctionError" not in response, result
    assert result["arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role_arn.rsplit('/', 1)[1]}/{name}"
    assert result["s3"] == "allowed"
    assert result["sqs"] == "AccessDenied"
