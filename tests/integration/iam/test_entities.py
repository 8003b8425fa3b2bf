"""Users, groups and roles through boto3 and the aws CLI."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import allow, trust, unique


def code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_user_lifecycle(client):
    iam = client("iam")
    name = unique("alice")
    created = iam.create_user(UserName=name, Path="/eng/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::000000000000:user/eng/{name}"
    assert created["UserId"].startswith("AIDA") and len(created["UserId"]) == 21
    fetched = iam.get_user(UserName=name.upper())["User"]  # names are case-insensitive
    assert fetched["UserName"] == name and fetched["Tags"] == [{"Key": "team", "Value": "blue"}]
    with pytest.raises(ClientError) as error:
        iam.create_user(UserName=name)
    assert code(error) == "EntityAlreadyExists"
    assert error.value.response["Error"]["Message"] == f"User with name {name} already exists."
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert any(u["UserName"] == name for u in iam.list_users(PathPrefix="/eng/")["Users"])
    assert not any(u["UserName"] == name for u in iam.list_users(PathPrefix="/ops/")["Users"])
    renamed = unique("alice2")
    iam.update_user(UserName=name, NewUserName=renamed)
    assert iam.get_user(UserName=renamed)["User"]["Arn"].endswith(f"user/eng/{renamed}")
    iam.delete_user(UserName=renamed)
    with pytest.raises(ClientError) as error:
        iam.get_user(UserName=renamed)
    assert code(error) == "NoSuchEntity"
    assert error.value.response["Error"]["Message"] == f"The user with name {renamed} cannot be found."
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_get_user_without_name_is_the_caller(client):
    assert client("iam").get_user()["User"]["Arn"] == "arn:aws:iam::000000000000:root"


def test_invalid_names_and_paths(client):
    iam = client("iam")
    with pytest.raises(ClientError) as error:
        iam.create_user(UserName="bad name")
    assert code(error) == "ValidationError"
    with pytest.raises(ClientError) as error:
        iam.create_user(UserName=unique("u"), Path="nopath")
    assert code(error) == "ValidationError"


def test_groups_and_membership(client):
    iam = client("iam")
    group, user = unique("devs"), unique("bob")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    with pytest.raises(ClientError) as error:
        iam.delete_group(GroupName=group)
    assert code(error) == "DeleteConflict"
    with pytest.raises(ClientError) as error:
        iam.delete_user(UserName=user)
    assert code(error) == "DeleteConflict"
    iam.remove_user_from_group(GroupName=group, UserName=user)
    iam.delete_group(GroupName=group)
    iam.delete_user(UserName=user)


def test_create_role_answers_what_aws_does(client):
    iam = client("iam")
    name = unique("role")
    created = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    assert sorted(created["Role"]) == [
        "Arn",
        "AssumeRolePolicyDocument",
        "CreateDate",
        "Path",
        "RoleId",
        "RoleName",
    ]
    got = iam.get_role(RoleName=name)["Role"]
    assert got["MaxSessionDuration"] == 3600 and got["RoleLastUsed"] == {}
    for arn in ("longpolicynamebutnoarn", "arn:aws:not-enough-parts"):
        with pytest.raises(ClientError) as error:
            iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        assert error.value.response["Error"]["Code"] == "ValidationError"
        assert error.value.response["Error"]["Message"] == "Invalid ARN:  Could not be parsed!"


def test_role_with_trust_policy_and_max_session_duration(client):
    iam = client("iam")
    name = unique("role")
    document = trust({"Service": "lambda.amazonaws.com"})
    role = iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=document,
        MaxSessionDuration=7200,
        Description="d",
        Tags=[{"Key": "k", "Value": "v"}],
    )["Role"]
    assert role["RoleId"].startswith("AROA")
    got = iam.get_role(RoleName=name)["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(document)  # botocore decodes the URL-encoded JSON
    assert got["MaxSessionDuration"] == 7200 and got["Description"] == "d"
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.tag_role(RoleName=name, Tags=[{"Key": "k2", "Value": "v2"}])
    iam.untag_role(RoleName=name, TagKeys=["k"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "k2", "Value": "v2"}]
    with pytest.raises(ClientError) as error:
        iam.update_role(RoleName=name, MaxSessionDuration=50000)
    assert code(error) == "ValidationError"
    iam.update_assume_role_policy(
        RoleName=name, PolicyDocument=trust({"AWS": "arn:aws:iam::000000000000:root"})
    )
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "AWS": "arn:aws:iam::000000000000:root"
    }


@pytest.mark.parametrize(
    "document, message",
    [
        ("{", "This policy contains invalid Json"),
        (
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",}]}',
            "This policy contains invalid Json",
        ),
        (
            json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
            ),
            "Missing required field Principal",
        ),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole", "Resource": "*"}
                    ],
                }
            ),
            "Has prohibited field Resource.",
        ),
        (
            trust({"AWS": "arn:aws:iam::000000000000:user/does-not-exist"}),
            'Invalid principal in policy: "AWS":"arn:aws:iam::000000000000:user/does-not-exist"',
        ),
        (trust({"AWS": "nobody"}), 'Invalid principal in policy: "AWS":"nobody"'),
    ],
)
def test_trust_policy_is_validated(client, document, message):
    with pytest.raises(ClientError) as error:
        client("iam").create_role(RoleName=unique("r"), AssumeRolePolicyDocument=document)
    assert code(error) == "MalformedPolicyDocument"
    assert error.value.response["Error"]["Message"] == message


def test_inline_policies_for_users_groups_and_roles(client):
    iam = client("iam")
    user, group, role = unique("u"), unique("g"), unique("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    document = allow("s3:GetObject", "arn:aws:s3:::b/*")
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=document)
    iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument=document)
    iam.put_role_policy(RoleName=role, PolicyName="p", PolicyDocument=document)
    assert iam.get_user_policy(UserName=user, PolicyName="p")["PolicyDocument"] == json.loads(document)
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["p"]
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["p"]
    with pytest.raises(ClientError) as error:
        iam.delete_role(RoleName=role)
    assert code(error) == "DeleteConflict"
    assert error.value.response["Error"]["Message"] == "Cannot delete entity, must delete policies first."
    with pytest.raises(ClientError) as error:
        iam.put_user_policy(
            UserName=user,
            PolicyName="bad",
            PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}
            ),
        )
    assert code(error) == "MalformedPolicyDocument"
    assert error.value.response["Error"]["Message"] == "Policy statement must contain resources."
    with pytest.raises(ClientError) as error:
        iam.get_role_policy(RoleName=role, PolicyName="missing")
    assert code(error) == "NoSuchEntity"
    iam.delete_role_policy(RoleName=role, PolicyName="p")
    iam.delete_role(RoleName=role)


def test_permissions_boundary(client):
    iam = client("iam")
    user, role = unique("u"), unique("r")
    boundary = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    iam.create_user(UserName=user, PermissionsBoundary=boundary)
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": boundary,
    }
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    iam.put_role_permissions_boundary(RoleName=role, PermissionsBoundary=boundary)
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    iam.delete_role_permissions_boundary(RoleName=role)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=role)["Role"]
    with pytest.raises(ClientError) as error:
        iam.put_user_permissions_boundary(
            UserName=user, PermissionsBoundary="arn:aws:iam::000000000000:policy/none"
        )
    assert code(error) == "NoSuchEntity"


def test_cli_user_and_role(aws):
    name = unique("cli-user")
    assert aws("iam", "create-user", "--user-name", name)["User"]["UserName"] == name
    role = unique("cli-role")
    out = aws(
        "iam",
        "create-role",
        "--role-name",
        role,
        "--assume-role-policy-document",
        trust({"Service": "ec2.amazonaws.com"}),
    )
    assert out["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ec2.amazonaws.com"
    }
    aws(
        "iam",
        "attach-role-policy",
        "--role-name",
        role,
        "--policy-arn",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    )
    attached = aws("iam", "list-attached-role-policies", "--role-name", role)["AttachedPolicies"]
    assert attached == [
        {
            "PolicyName": "AWSLambdaBasicExecutionRole",
            "PolicyArn": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        }
    ]
    result = aws("iam", "delete-user", "--user-name", unique("nobody"), check=False)
    assert result.returncode != 0 and "NoSuchEntity" in result.stderr


def test_list_pagination(client):
    iam = client("iam")
    prefix = f"/{unique('page')}/"
    names = sorted(unique("p") for _ in range(5))
    for name in names:
        iam.create_user(UserName=name, Path=prefix)
    first = iam.list_users(PathPrefix=prefix, MaxItems=2)
    assert first["IsTruncated"] and len(first["Users"]) == 2
    seen = [u["UserName"] for u in first["Users"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_users(PathPrefix=prefix, MaxItems=2, Marker=marker)
        seen += [u["UserName"] for u in page["Users"]]
        marker = page.get("Marker")
    assert seen == names
    paginated = [
        u["UserName"]
        for p in iam.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 2})
        for u in p["Users"]
    ]
    assert paginated == names
