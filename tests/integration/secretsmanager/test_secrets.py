"""Secrets, versions and labels, lookups, deletion and the errors AWS gives, with boto3 and the
aws CLI against the real server."""

from __future__ import annotations

import json
import re
import string
import uuid

import pytest
from botocore.exceptions import ClientError


def unique(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


@pytest.fixture
def sm(client):
    return client("secretsmanager")


def test_arn_has_a_six_character_suffix_and_every_form_finds_the_secret(sm):
    name = unique("app/db")
    arn = sm.create_secret(Name=name, SecretString="v")["ARN"]
    assert re.fullmatch(rf"arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}-[A-Za-z0-9]{{6}}", arn)
    for secret_id in (name, arn, arn[:-7]):
        assert sm.get_secret_value(SecretId=secret_id)["ARN"] == arn
    code, _ = error_of(sm.describe_secret, SecretId=arn[:-1] + ("x" if arn[-1] != "x" else "y"))
    assert code == "ResourceNotFoundException"


def test_versions_and_labels_move_as_aws_moves_them(sm):
    name = unique()
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    v3 = sm.put_secret_value(SecretId=name, SecretString="three", VersionStages=["custom"])["VersionId"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"], v3: ["custom"]}
    assert sm.get_secret_value(SecretId=name, VersionStage="custom")["SecretString"] == "three"
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v3, RemoveFromVersionId=v2
    )
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v2: ["AWSPREVIOUS"], v3: ["custom", "AWSCURRENT"]}
    # v1 lost its last label: deprecated, listed only on request.
    listed = {v["VersionId"] for v in sm.list_secret_version_ids(SecretId=name)["Versions"]}
    assert listed == {v2, v3}
    listed = {
        v["VersionId"] for v in sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    }
    assert listed == {v1, v2, v3}
    code, message = error_of(
        sm.update_secret_version_stage, SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v1
    )
    assert code == "InvalidParameterException"
    assert f"currently attached to version {v3}" in message
    code, _ = error_of(
        sm.update_secret_version_stage, SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=v3
    )
    assert code == "InvalidParameterException"


def test_client_request_token_is_idempotent(sm):
    name = unique()
    sm.create_secret(Name=name, SecretString="a")
    token = str(uuid.uuid4())
    first = sm.put_secret_value(SecretId=name, SecretString="b", ClientRequestToken=token)
    again = sm.put_secret_value(SecretId=name, SecretString="b", ClientRequestToken=token)
    assert first["VersionId"] == again["VersionId"] == token
    code, message = error_of(sm.put_secret_value, SecretId=name, SecretString="c", ClientRequestToken=token)
    assert (code, message) == (
        "ResourceExistsException",
        f"You can't use ClientRequestToken {token} because that value is already in use for a version of "
        f"secret {first['ARN']}.",
    )


def test_binary_values_and_bad_input(sm):
    name = unique()
    sm.create_secret(Name=name, SecretBinary=b"\x00\x01")
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == b"\x00\x01"
    code, message = error_of(sm.create_secret, Name=unique(), SecretString="a", SecretBinary=b"b")
    assert code == "InvalidParameterException"
    assert (
        message
        == "You can't specify both a binary secret value and a string secret value in the same secret."
    )
    code, message = error_of(sm.create_secret, Name="bad name?", SecretString="a")
    assert code == "ValidationException"
    assert message.startswith("Invalid name.")
    code, _ = error_of(sm.create_secret, Name=unique(), SecretString="x" * 65537)
    assert code in ("ValidationException", "InvalidParameterException")
    code, message = error_of(sm.create_secret, Name=name, SecretString="again")
    assert code == "ResourceExistsException"
    assert message == f"The operation failed because the secret {name} already exists."
    code, message = error_of(sm.get_secret_value, SecretId=name, VersionId=str(uuid.uuid4()))
    assert code == "ResourceNotFoundException"
    code, message = error_of(sm.get_secret_value, SecretId=name, VersionStage="nope")
    assert message == "Secrets Manager can't find the specified secret value for staging label: nope"
    empty = unique()
    sm.create_secret(Name=empty)
    code, message = error_of(sm.get_secret_value, SecretId=empty)
    assert message == "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"


def test_deletion_window_restore_and_force(sm):
    name = unique()
    sm.create_secret(Name=name, SecretString="v")
    for window in (6, 31):
        code, message = error_of(sm.delete_secret, SecretId=name, RecoveryWindowInDays=window)
        assert code == "InvalidParameterException"
    code, _ = error_of(
        sm.delete_secret, SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True
    )
    assert code == "InvalidParameterException"
    out = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    described = sm.describe_secret(SecretId=name)
    assert "DeletedDate" in described
    assert (out["DeletionDate"] - described["DeletedDate"]).days == 7
    for call in (sm.get_secret_value, sm.put_secret_value):
        kwargs = {"SecretId": name}
        if call == sm.put_secret_value:
            kwargs["SecretString"] = "x"
        code, message = error_of(call, **kwargs)
        assert (code, message) == (
            "InvalidRequestException",
            "You can't perform this operation on the secret because it was marked for deletion.",
        )
    code, _ = error_of(sm.create_secret, Name=name, SecretString="v")
    assert code == "InvalidRequestException"
    assert name not in [s["Name"] for s in sm.list_secrets()["SecretList"]]
    assert name in [s["Name"] for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]]
    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    code, _ = error_of(sm.describe_secret, SecretId=name)
    assert code == "ResourceNotFoundException"


def test_list_filters_sort_and_pages(sm):
    tag = unique("team")
    names = [unique("listed") for _ in range(3)]
    for i, name in enumerate(names):
        sm.create_secret(
            Name=name, SecretString="v", Description=f"Number {i}", Tags=[{"Key": tag, "Value": f"v{i}"}]
        )
    by_tag = sm.list_secrets(Filters=[{"Key": "tag-key", "Values": [tag]}])["SecretList"]
    assert [s["Name"] for s in by_tag] == names
    desc = sm.list_secrets(Filters=[{"Key": "tag-key", "Values": [tag]}], SortOrder="desc")["SecretList"]
    assert [s["Name"] for s in desc] == names[::-1]
    assert [
        s["Name"]
        for s in sm.list_secrets(Filters=[{"Key": "description", "Values": ["number 1"]}])["SecretList"]
    ] == [names[1]]
    negated = sm.list_secrets(
        Filters=[{"Key": "tag-key", "Values": [tag]}, {"Key": "tag-value", "Values": ["!v0"]}]
    )
    assert [s["Name"] for s in negated["SecretList"]] == names[1:]
    page = sm.list_secrets(Filters=[{"Key": "tag-key", "Values": [tag]}], MaxResults=2)
    assert len(page["SecretList"]) == 2
    rest = sm.list_secrets(
        Filters=[{"Key": "tag-key", "Values": [tag]}], MaxResults=2, NextToken=page["NextToken"]
    )
    assert [s["Name"] for s in rest["SecretList"]] == names[2:]
    assert "NextToken" not in rest
    batch = sm.batch_get_secret_value(Filters=[{"Key": "tag-key", "Values": [tag]}])
    assert sorted(v["Name"] for v in batch["SecretValues"]) == sorted(names)
    batch = sm.batch_get_secret_value(SecretIdList=[names[0], "missing-secret"])
    assert [v["Name"] for v in batch["SecretValues"]] == [names[0]]
    assert batch["Errors"][0]["SecretId"] == "missing-secret"
    assert batch["Errors"][0]["ErrorCode"] == "ResourceNotFoundException"


def test_all_filter_matches_word_starts_split_at_separators_and_capitals(sm):
    # AWS indexes names, descriptions and tags by words: split at / _ + = . @ - and before
    # each capitalised word, matched from a word's start, ignoring case.
    u = uuid.uuid4().hex[:6]
    names = {
        "one": f"SecretOne{u}",
        "two": f"SecretTwo{u}",
        "third": f"Thirdsecret{u}",
        "slash": f"prod/AppBeta/{u}",
        "upper": f"uat/COMPANY/{u}",
        "partial": f"uat/COMPANYthings/{u}",
    }
    for key, name in names.items():
        sm.create_secret(Name=name, SecretString="s", Description="DescTwo" if key == "two" else "")

    def found(value: str) -> set[str]:
        listed = sm.list_secrets(Filters=[{"Key": "all", "Values": [value]}])["SecretList"]
        return {s["Name"] for s in listed} & set(names.values())

    assert found("secret") >= {names["one"], names["two"]}
    assert names["third"] not in found("secret")
    assert found("ret") == set()
    assert found("d t") == {names["two"]}
    assert found("Beta") == {names["slash"]}
    assert found("company") == {names["upper"]}
    assert found("things") == set()
    assert found("Ythings") == {names["partial"]}
    assert found("+") == set()
    for name in names.values():
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def test_tags_update_and_description(sm):
    name = unique()
    sm.create_secret(Name=name, SecretString="v")
    assert "Tags" not in sm.describe_secret(SecretId=name)
    sm.tag_resource(SecretId=name, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    sm.untag_resource(SecretId=name, TagKeys=["a"])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    code, _ = error_of(
        sm.tag_resource, SecretId=name, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    )
    assert code in ("InvalidRequestException", "ValidationException")
    out = sm.update_secret(SecretId=name, Description="now described", SecretString="v2")
    described = sm.describe_secret(SecretId=name)
    assert described["Description"] == "now described"
    assert described["VersionIdsToStages"][out["VersionId"]] == ["AWSCURRENT"]


def test_random_password_options(sm):
    assert len(sm.get_random_password()["RandomPassword"]) == 32
    password = sm.get_random_password(PasswordLength=60, ExcludePunctuation=True, ExcludeUppercase=True)[
        "RandomPassword"
    ]
    assert len(password) == 60
    assert set(password) <= set(string.ascii_lowercase + string.digits)
    assert set(password) & set(string.digits) and set(password) & set(string.ascii_lowercase)
    password = sm.get_random_password(PasswordLength=40, ExcludeCharacters="abc")["RandomPassword"]
    assert not set(password) & set("abc")
    password = sm.get_random_password(
        PasswordLength=200,
        ExcludeLowercase=True,
        ExcludeUppercase=True,
        ExcludePunctuation=True,
        IncludeSpace=True,
    )["RandomPassword"]
    assert set(password) <= set(string.digits + " ")
    assert " " in password  # 200 draws from 11 characters: all digits is a one-in-10^8 chance
    # A space is never a required type: four characters hold lower, upper, digit and punctuation.
    assert len(sm.get_random_password(PasswordLength=4, IncludeSpace=True)["RandomPassword"]) == 4
    code, _ = error_of(
        sm.get_random_password,
        ExcludeNumbers=True,
        ExcludePunctuation=True,
        ExcludeUppercase=True,
        ExcludeLowercase=True,
    )
    assert code == "InvalidParameterException"


def test_resource_policies_and_block_public_policy(sm):
    name = unique()
    arn = sm.create_secret(Name=name, SecretString="v")["ARN"]
    public = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
        ],
    }
    private = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    }
    code, _ = error_of(
        sm.put_resource_policy, SecretId=name, ResourcePolicy=json.dumps(public), BlockPublicPolicy=True
    )
    assert code == "PublicPolicyException"
    sm.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(private), BlockPublicPolicy=True)
    got = sm.get_resource_policy(SecretId=name)
    assert (got["ARN"], json.loads(got["ResourcePolicy"])) == (arn, private)
    assert sm.validate_resource_policy(ResourcePolicy=json.dumps(private))["PolicyValidationPassed"] is True
    result = sm.validate_resource_policy(ResourcePolicy=json.dumps(public))
    assert result["PolicyValidationPassed"] is False
    assert result["ValidationErrors"][0]["CheckName"] == "PUBLIC_ACCESS_CHECK"
    code, _ = error_of(sm.put_resource_policy, SecretId=name, ResourcePolicy="{not json")
    assert code == "MalformedPolicyDocumentException"
    sm.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)


def test_replica_is_a_read_only_secret_kept_in_sync(client):
    sm = client("secretsmanager")
    west = client("secretsmanager", region_name="eu-west-1")
    name = unique()
    arn = sm.create_secret(Name=name, SecretString="v1", AddReplicaRegions=[{"Region": "eu-west-1"}])["ARN"]
    replica = west.describe_secret(SecretId=name)
    assert replica["ARN"] == arn.replace("us-east-1", "eu-west-1")
    assert replica["PrimaryRegion"] == "us-east-1"
    assert sm.describe_secret(SecretId=name)["ReplicationStatus"][0]["Status"] == "InSync"
    sm.put_secret_value(SecretId=name, SecretString="v2")
    assert west.get_secret_value(SecretId=name)["SecretString"] == "v2"
    code, message = error_of(west.put_secret_value, SecretId=name, SecretString="x")
    assert code == "InvalidParameterException"
    assert (
        message
        == "Operation not permitted on a replica secret. Call must be made in primary secret's region."
    )
    for call in (west.get_resource_policy, west.delete_resource_policy):
        assert error_of(call, SecretId=name) == ("InvalidParameterException", message)
    west.stop_replication_to_replica(SecretId=name)
    west.put_secret_value(SecretId=name, SecretString="standalone")
    assert "ReplicationStatus" not in sm.describe_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v2"
    sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "eu-central-1"}])
    central = client("secretsmanager", region_name="eu-central-1")
    assert central.get_secret_value(SecretId=name)["SecretString"] == "v2"
    sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-central-1"])
    code, _ = error_of(central.describe_secret, SecretId=name)
    assert code == "ResourceNotFoundException"


def test_aws_cli(aws):
    name = unique("cli")
    created = aws("secretsmanager", "create-secret", "--name", name, "--secret-string", '{"user":"admin"}')
    assert created["Name"] == name
    value = aws("secretsmanager", "get-secret-value", "--secret-id", name)
    assert json.loads(value["SecretString"]) == {"user": "admin"}
    listed = aws("secretsmanager", "list-secrets", "--filters", f"Key=name,Values={name}")
    assert [s["Name"] for s in listed["SecretList"]] == [name]
    deleted = aws("secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery")
    assert deleted["ARN"] == created["ARN"]
