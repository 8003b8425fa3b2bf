"""Managed policies: customer policies with versions, the AWS managed catalog, attachments."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import allow, trust, unique


def code(error) -> str:
    return error.value.response["Error"]["Code"]


def test_customer_policy_versions(client):
    iam = client("iam")
    name = unique("pol")
    created = iam.create_policy(
        PolicyName=name, Path="/team/", PolicyDocument=allow("s3:*"), Description="desc"
    )["Policy"]
    arn = created["Arn"]
    assert arn == f"arn:aws:iam::000000000000:policy/team/{name}"
    assert (
        created["DefaultVersionId"] == "v1"
        and created["AttachmentCount"] == 0
        and created["PolicyId"].startswith("ANPA")
    )
    assert "Description" not in created  # AWS does not echo it
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "desc" and got["Tags"] == []
    listed = iam.list_policies(Scope="Local", PathPrefix="/team/")["Policies"]
    assert [p["PolicyName"] for p in listed] == [name] and "Description" not in listed[0]
    with pytest.raises(ClientError) as error:
        iam.create_policy(PolicyName=name, PolicyDocument=allow("s3:*"))
    assert code(error) == "EntityAlreadyExists"
    for index in range(2, 6):
        version = iam.create_policy_version(
            PolicyArn=arn, PolicyDocument=allow(f"sqs:Action{index}"), SetAsDefault=index == 3
        )["PolicyVersion"]
        assert version["VersionId"] == f"v{index}"
    with pytest.raises(ClientError) as error:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=allow("sns:*"))
    assert code(error) == "LimitExceeded"
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    assert [v["IsDefaultVersion"] for v in versions] == [False, False, True, False, False]
    document = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]["Document"]
    assert document["Statement"][0]["Action"] == "sqs:Action3"
    with pytest.raises(ClientError) as error:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert code(error) == "DeleteConflict"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    for version in ("v2", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as error:
        iam.get_policy(PolicyArn=arn)
    assert code(error) == "NoSuchEntity"


@pytest.mark.parametrize(
    "document, message",
    [
        ("not json", "Syntax errors in policy."),
        (
            json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            "Policy statement must contain actions.",
        ),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "GetObject", "Resource": "*"}],
                }
            ),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "bucket"}],
                }
            ),
            'Resource bucket must be in ARN format or "*".',
        ),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Sid": "a", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                        {"Sid": "a", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                    ],
                }
            ),
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}],
                }
            ),
            "Policy document should not specify a principal.",
        ),
    ],
)
def test_malformed_documents(client, document, message):
    with pytest.raises(ClientError) as error:
        client("iam").create_policy(PolicyName=unique("bad"), PolicyDocument=document)
    assert code(error) == "MalformedPolicyDocument"
    assert error.value.response["Error"]["Message"] == message
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_policy_size_limit(client):
    big = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": [f"s3:Action{i:05d}" for i in range(500)], "Resource": "*"}
            ],
        }
    )
    with pytest.raises(ClientError) as error:
        client("iam").create_policy(PolicyName=unique("big"), PolicyDocument=big)
    assert code(error) == "LimitExceeded"
    assert error.value.response["Error"]["Message"] == "Cannot exceed quota for PolicySize: 6144"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/PowerUserAccess",
        "arn:aws:iam::aws:policy/AmazonS3FullAccess",
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
        "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
        "arn:aws:iam::aws:policy/AmazonSQSFullAccess",
        "arn:aws:iam::aws:policy/AmazonSNSFullAccess",
        "arn:aws:iam::aws:policy/CloudWatchLogsFullAccess",
        "arn:aws:iam::aws:policy/IAMFullAccess",
    ],
)
def test_aws_managed_catalog(client, arn):
    iam = client("iam")
    found = iam.get_policy(PolicyArn=arn)["Policy"]
    assert found["Arn"] == arn and found["PolicyId"].startswith("ANPA")
    document = iam.get_policy_version(PolicyArn=arn, VersionId=found["DefaultVersionId"])["PolicyVersion"][
        "Document"
    ]
    assert document["Statement"]


def test_real_documents(client):
    iam = client("iam")
    basic = iam.get_policy_version(
        PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", VersionId="v1"
    )["PolicyVersion"]["Document"]
    assert basic["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ]
    admin = iam.get_policy_version(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess", VersionId="v1")[
        "PolicyVersion"
    ]["Document"]
    assert admin["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    aws_scope = iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]
    assert {"ReadOnlyAccess", "AmazonSQSFullAccess"} <= {p["PolicyName"] for p in aws_scope}


def test_attach_detach_and_entities(client):
    iam = client("iam")
    user, group, role = unique("u"), unique("g"), unique("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    arn = iam.create_policy(PolicyName=unique("p"), PolicyDocument=allow("s3:*"))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [user]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == [group]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    assert arn in [p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]]
    with pytest.raises(ClientError) as error:
        iam.delete_policy(PolicyArn=arn)
    assert code(error) == "DeleteConflict"
    with pytest.raises(ClientError) as error:
        iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    assert code(error) == "NoSuchEntity"
    assert (
        error.value.response["Error"]["Message"]
        == "Policy arn:aws:iam::aws:policy/NoSuchPolicy does not exist or is not attachable."
    )
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    with pytest.raises(ClientError) as error:
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    assert code(error) == "NoSuchEntity"
    iam.delete_policy(PolicyArn=arn)


def test_attached_policies_quota(client):
    iam = client("iam")
    role = unique("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    arns = [
        iam.create_policy(PolicyName=unique("q"), PolicyDocument=allow("s3:*"))["Policy"]["Arn"]
        for _ in range(11)
    ]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    with pytest.raises(ClientError) as error:
        iam.attach_role_policy(RoleName=role, PolicyArn=arns[10])
    assert code(error) == "LimitExceeded"


def test_policy_tags(client):
    iam = client("iam")
    arn = iam.create_policy(
        PolicyName=unique("t"), PolicyDocument=allow("s3:*"), Tags=[{"Key": "a", "Value": "1"}]
    )["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


@pytest.mark.parametrize(
    "tags, expected",
    [
        ([{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}], "InvalidInput"),
        ([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}], "InvalidInput"),
        ([{"Key": "bad#key", "Value": "1"}], "InvalidInput"),
        ([{"Key": "aws:reserved", "Value": "1"}], "InvalidInput"),
    ],
)
def test_policy_tags_refused(client, tags, expected):
    iam = client("iam")
    with pytest.raises(ClientError) as error:
        iam.create_policy(PolicyName=unique("t"), PolicyDocument=allow("s3:*"), Tags=tags)
    assert code(error) == expected


def _statement(**fields):
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **fields}


@pytest.mark.parametrize(
    "document, message",
    [
        # A resource is a string: a null alone names none.
        ({"Version": "2012-10-17", "Statement": [_statement(Resource=None)]}, "Syntax errors in policy."),
        # The statement block holds one statement or more.
        ({"Version": "2012-10-17", "Statement": []}, "Syntax errors in policy."),
        # A permission policy needs the 2012-10-17 language.
        ({"Statement": [_statement()]}, "Policy document must be version 2012-10-17 or greater."),
        (
            {"Version": "2008-10-17", "Statement": [_statement()]},
            "Policy document must be version 2012-10-17 or greater.",
        ),
        (
            {"Version": "2011-01-01", "Statement": [_statement()]},
            "Policy document must be version 2012-10-17 or greater.",
        ),
    ],
)
def test_policy_grammar_refusals(client, document, message):
    iam = client("iam")
    with pytest.raises(ClientError) as error:
        iam.create_policy(PolicyName=unique("g"), PolicyDocument=json.dumps(document))
    assert error.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert error.value.response["Error"]["Message"] == message
    user = unique("gu")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as error:
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(document))
    assert error.value.response["Error"]["Message"] == message


@pytest.mark.parametrize(
    "document",
    [
        # A condition key without a vendor prefix, empty condition blocks (whatever their
        # operator), and a null among resources are all accepted, as AWS accepts them.
        {"Version": "2012-10-17", "Statement": [_statement(Condition={"StringEquals": {"team": "a"}})]},
        {"Version": "2012-10-17", "Statement": [_statement(Condition={})]},
        {"Version": "2012-10-17", "Statement": [_statement(Condition={"x": {}, "y": {}})]},
        {
            "Version": "2012-10-17",
            "Statement": [_statement(Resource=["arn:aws:kms:*:123456789012:key/*", None])],
        },
        {
            "Version": "2012-10-17",
            "Statement": [_statement(Condition={"StringEquals": {"aws:PrincipalTag/team": "a"}})],
        },
    ],
)
def test_policy_grammar_accepts(client, document):
    iam = client("iam")
    arn = iam.create_policy(PolicyName=unique("g"), PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"] == document


def test_trust_policy_may_be_2008_10_17(client):
    iam = client("iam")
    document = {
        "Version": "2008-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=unique("old"), AssumeRolePolicyDocument=json.dumps(document))["Role"]
    assert role["AssumeRolePolicyDocument"] == document
