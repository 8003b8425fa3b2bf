"""SimulatePrincipalPolicy and SimulateCustomPolicy answer from the policy engine."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import allow, unique

GUIDE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowS3ReadOnMyBucket",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": ["arn:aws:s3:::my-app-bucket", "arn:aws:s3:::my-app-bucket/*"],
            },
            {
                "Sid": "DenyDeleteFromProd",
                "Effect": "Deny",
                "Action": "s3:DeleteObject",
                "Resource": "arn:aws:s3:::prod-bucket/*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}},
            },
        ],
    },
    indent=2,
)


def results(response) -> dict:
    return {(r["EvalActionName"], r["EvalResourceName"]): r for r in response["EvaluationResults"]}


def test_simulate_custom_policy_with_the_guide_policy(client):
    iam = client("iam")
    out = results(
        iam.simulate_custom_policy(
            PolicyInputList=[GUIDE_POLICY, allow("*")],
            ActionNames=["s3:GetObject", "s3:DeleteObject"],
            ResourceArns=["arn:aws:s3:::my-app-bucket/report.csv", "arn:aws:s3:::prod-bucket/data"],
            ContextEntries=[
                {
                    "ContextKeyName": "aws:RequestedRegion",
                    "ContextKeyValues": ["eu-west-1"],
                    "ContextKeyType": "string",
                }
            ],
        )
    )
    read = out[("s3:GetObject", "arn:aws:s3:::my-app-bucket/report.csv")]
    assert read["EvalDecision"] == "allowed"
    sources = {(m["SourcePolicyId"], m["SourcePolicyType"]) for m in read["MatchedStatements"]}
    assert ("PolicyInputList.1", "IAM Policy") in sources
    first = next(m for m in read["MatchedStatements"] if m["SourcePolicyId"] == "PolicyInputList.1")
    assert first["StartPosition"] == {"Line": 4, "Column": 5}
    denied = out[("s3:DeleteObject", "arn:aws:s3:::prod-bucket/data")]
    assert denied["EvalDecision"] == "explicitDeny"
    assert [m["SourcePolicyId"] for m in denied["MatchedStatements"]] == ["PolicyInputList.1"]


def test_simulate_custom_policy_implicit_deny_and_missing_context(client):
    iam = client("iam")
    out = iam.simulate_custom_policy(
        PolicyInputList=[
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:ListBucket",
                            "Resource": "*",
                            "Condition": {"StringLike": {"s3:prefix": "home/*"}},
                        }
                    ],
                }
            )
        ],
        ActionNames=["s3:ListBucket", "sqs:SendMessage"],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in out] == ["implicitDeny", "implicitDeny"]
    assert out[0]["MissingContextValues"] == ["s3:prefix"]
    assert out[0]["EvalResourceName"] == "*"


def test_simulate_custom_policy_with_a_permissions_boundary(client):
    out = client("iam").simulate_custom_policy(
        PolicyInputList=[allow("*")],
        PermissionsBoundaryPolicyInputList=[allow("s3:*")],
        ActionNames=["s3:GetObject", "iam:CreateUser"],
    )["EvaluationResults"]
    assert [r["EvalDecision"] for r in out] == ["allowed", "implicitDeny"]
    assert out[1]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_simulate_with_a_resource_policy(client):
    resource_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::000000000000:user/reader"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::shared/*",
                }
            ],
        }
    )
    out = client("iam").simulate_custom_policy(
        PolicyInputList=[allow("sqs:*")],
        ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::shared/a"],
        ResourcePolicy=resource_policy,
        CallerArn="arn:aws:iam::000000000000:user/reader",
    )["EvaluationResults"]
    assert out[0]["EvalDecision"] == "allowed"
    assert out[0]["MatchedStatements"][0]["SourcePolicyType"] == "resource"


def test_simulate_principal_policy_for_a_user_with_groups_and_managed_policies(client):
    iam = client("iam")
    user, group = unique("sim-user"), unique("sim-group")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    iam.put_user_policy(
        UserName=user,
        PolicyName="no-delete",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Deny", "Action": "sqs:DeleteQueue", "Resource": "*"}],
            }
        ),
    )
    arn = iam.get_user(UserName=user)["User"]["Arn"]
    out = results(
        iam.simulate_principal_policy(
            PolicySourceArn=arn, ActionNames=["s3:GetObject", "s3:PutObject", "sqs:DeleteQueue"]
        )
    )
    assert out[("s3:GetObject", "*")]["EvalDecision"] == "allowed"
    assert (
        out[("s3:GetObject", "*")]["MatchedStatements"][0]["SourcePolicyId"]
        == "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    assert out[("s3:GetObject", "*")]["MatchedStatements"][0]["SourcePolicyType"] == "aws-managed"
    assert out[("s3:PutObject", "*")]["EvalDecision"] == "implicitDeny"
    assert out[("sqs:DeleteQueue", "*")]["EvalDecision"] == "explicitDeny"
    assert out[("sqs:DeleteQueue", "*")]["MatchedStatements"][0]["SourcePolicyType"] == "user"


def test_simulate_principal_policy_uses_policy_variables(client):
    iam = client("iam")
    user = unique("var-user")
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="home",
        PolicyDocument=allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*"),
    )
    arn = iam.get_user(UserName=user)["User"]["Arn"]
    out = iam.simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["s3:GetObject"],
        ResourceArns=[f"arn:aws:s3:::home/{user}/a", "arn:aws:s3:::home/other/a"],
    )
    assert [r["EvalDecision"] for r in out["EvaluationResults"]] == ["allowed", "implicitDeny"]


def test_simulate_errors_and_context_keys(client, aws):
    iam = client("iam")
    with pytest.raises(ClientError) as error:
        iam.simulate_principal_policy(
            PolicySourceArn="arn:aws:iam::000000000000:user/nobody-here", ActionNames=["s3:*"]
        )
    assert error.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError) as error:
        iam.simulate_custom_policy(PolicyInputList=["{bad"], ActionNames=["s3:GetObject"])
    assert error.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[GUIDE_POLICY])["ContextKeyNames"]
    assert keys == ["aws:RequestedRegion"]
    cli = aws(
        "iam",
        "simulate-custom-policy",
        "--policy-input-list",
        GUIDE_POLICY,
        "--action-names",
        "s3:ListBucket",
        "--resource-arns",
        "arn:aws:s3:::my-app-bucket",
    )
    assert cli["EvaluationResults"][0]["EvalDecision"] == "allowed"
