"""SSM documents against the real server: create/update/versions, formats, reads, filters,
sharing, tags, reviews of change templates, AWS-owned documents, and AWS's errors."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
import yaml
from botocore.exceptions import ClientError

COMMAND = {
    "schemaVersion": "2.2",
    "description": "Say hello",
    "parameters": {
        "Greeting": {"type": "String", "description": "What to say", "default": "hello"},
        "Count": {"type": "Integer", "default": 3},
        "Lines": {"type": "StringList", "default": ["a", "b"]},
    },
    "mainSteps": [
        {"action": "aws:runShellScript", "name": "say", "inputs": {"runCommand": ["echo {{ Greeting }}"]}}
    ],
}


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


@pytest.fixture
def name() -> str:
    return f"Doc-{uuid.uuid4().hex[:10]}"


def test_create_describes_the_content(ssm, name):
    content = json.dumps(COMMAND)
    made = ssm.create_document(
        Content=content, Name=name, DocumentType="Command", TargetType="/AWS::EC2::Instance",
        VersionName="Base", Tags=[{"Key": "team", "Value": "ops"}],
    )["DocumentDescription"]  # fmt: skip
    assert made["Hash"] == hashlib.sha256(content.encode()).hexdigest() and made["HashType"] == "Sha256"
    assert (made["Name"], made["Status"], made["DocumentVersion"]) == (name, "Active", "1")
    assert (made["LatestVersion"], made["DefaultVersion"], made["VersionName"]) == ("1", "1", "Base")
    assert (made["SchemaVersion"], made["DocumentFormat"], made["DocumentType"]) == ("2.2", "JSON", "Command")
    assert made["Description"] == "Say hello" and made["TargetType"] == "/AWS::EC2::Instance"
    assert made["PlatformTypes"] == ["Linux", "MacOS"]
    assert made["Parameters"] == [
        {"Name": "Greeting", "Type": "String", "Description": "What to say", "DefaultValue": "hello"},
        {"Name": "Count", "Type": "Integer", "DefaultValue": "3"},
        {"Name": "Lines", "Type": "StringList", "DefaultValue": '["a", "b"]'},
    ]
    assert made["Tags"] == [{"Key": "team", "Value": "ops"}]
    assert ssm.describe_document(Name=name)["Document"]["Hash"] == made["Hash"]
    with pytest.raises(ClientError) as error:
        ssm.create_document(Content=content, Name=name, DocumentType="Command")
    assert _code(error) == "DocumentAlreadyExists"
    assert error.value.response["Error"]["Message"] == "The specified document already exists."


@pytest.mark.parametrize(
    ("content", "document_format", "code"),
    [
        (yaml.safe_dump(COMMAND), "JSON", "InvalidDocumentContent"),
        ("{not json", "JSON", "InvalidDocumentContent"),
        (json.dumps({**COMMAND, "schemaVersion": "9.9"}), "JSON", "InvalidDocumentSchemaVersion"),
        (
            json.dumps({k: v for k, v in COMMAND.items() if k != "schemaVersion"}),
            "JSON",
            "InvalidDocumentContent",
        ),
        (json.dumps({**COMMAND, "mainSteps": []}), "JSON", "InvalidDocumentContent"),
        (json.dumps({**COMMAND, "parameters": {"P": {"type": "Float"}}}), "JSON", "InvalidDocumentContent"),
    ],
)
def test_content_is_validated(ssm, name, content, document_format, code):
    with pytest.raises(ClientError) as error:
        ssm.create_document(
            Content=content, Name=name, DocumentType="Command", DocumentFormat=document_format
        )
    assert _code(error) == code
    with pytest.raises(ClientError) as error:
        ssm.describe_document(Name=name)
    assert _code(error) == "InvalidDocument"


def test_reserved_name_prefix_is_refused(ssm):
    with pytest.raises(ClientError) as error:
        ssm.create_document(Content=json.dumps(COMMAND), Name="AWS-Mine", DocumentType="Command")
    assert _code(error) == "ValidationException"


def test_versions_names_and_default(ssm, name):
    ssm.create_document(Content=json.dumps(COMMAND), Name=name, DocumentType="Command", VersionName="Base")
    second = {**COMMAND, "description": "second"}
    updated = ssm.update_document(
        Content=yaml.safe_dump(second),
        Name=name,
        DocumentFormat="YAML",
        DocumentVersion="$LATEST",
        VersionName="Two",
    )["DocumentDescription"]
    assert (updated["DocumentVersion"], updated["LatestVersion"], updated["DefaultVersion"]) == (
        "2",
        "2",
        "1",
    )
    assert updated["DocumentFormat"] == "YAML"
    for duplicate, code in (
        ({"Content": yaml.safe_dump(second), "DocumentFormat": "YAML"}, "DuplicateDocumentContent"),
        (
            {"Content": json.dumps({**COMMAND, "description": "3"}), "VersionName": "Two"},
            "DuplicateDocumentVersionName",
        ),
        (
            {"Content": json.dumps({**COMMAND, "description": "4"}), "DocumentVersion": "1"},
            "InvalidDocumentVersion",
        ),
    ):
        with pytest.raises(ClientError) as error:
            ssm.update_document(Name=name, **duplicate)
        assert _code(error) == code
    # The default version is read unless another is named; content converts between formats.
    assert json.loads(ssm.get_document(Name=name)["Content"]) == COMMAND
    got = ssm.get_document(Name=name, VersionName="Two", DocumentFormat="JSON")
    assert (got["DocumentVersion"], got["DocumentFormat"]) == ("2", "JSON")
    assert json.loads(got["Content"]) == second
    assert yaml.safe_load(ssm.get_document(Name=name, DocumentFormat="YAML")["Content"]) == COMMAND
    # JSON is GetDocument's default format, even for a version written in YAML.
    by_default = ssm.get_document(Name=name, DocumentVersion="2")
    assert by_default["DocumentFormat"] == "JSON" and json.loads(by_default["Content"]) == second
    assert ssm.describe_document(Name=name, DocumentVersion="$LATEST")["Document"]["Description"] == "second"
    default = ssm.update_document_default_version(Name=name, DocumentVersion="2")["Description"]
    assert default == {"Name": name, "DefaultVersion": "2", "DefaultVersionName": "Two"}
    versions = ssm.list_document_versions(Name=name)["DocumentVersions"]
    assert [(v["DocumentVersion"], v["IsDefaultVersion"], v.get("VersionName")) for v in versions] == [
        ("1", False, "Base"),
        ("2", True, "Two"),
    ]
    with pytest.raises(ClientError) as error:
        ssm.get_document(Name=name, DocumentVersion="7")
    assert _code(error) == "InvalidDocument"


def test_delete_versions_and_documents(ssm, name):
    ssm.create_document(Content=json.dumps(COMMAND), Name=name, DocumentType="Command")
    for n in (2, 3):
        ssm.update_document(
            Content=json.dumps({**COMMAND, "description": str(n)}), Name=name, DocumentVersion="$LATEST"
        )
    with pytest.raises(ClientError) as error:
        ssm.delete_document(Name=name, DocumentVersion="1")
    assert _code(error) == "InvalidDocumentOperation"
    assert error.value.response["Error"]["Message"] == "Default version of the document can't be deleted."
    ssm.delete_document(Name=name, DocumentVersion="3")
    assert ssm.describe_document(Name=name)["Document"]["LatestVersion"] == "2"
    ssm.delete_document(Name=name)
    for call in (ssm.get_document, ssm.describe_document, ssm.delete_document):
        with pytest.raises(ClientError) as error:
            call(Name=name)
        assert _code(error) == "InvalidDocument"
        assert error.value.response["Error"]["Message"] == "The specified document does not exist."


def test_list_filters_and_paging(ssm, name):
    ssm.create_document(
        Content=json.dumps(COMMAND), Name=name, DocumentType="Command", Tags=[{"Key": "k", "Value": name}]
    )
    mine = ssm.list_documents(
        Filters=[{"Key": "Owner", "Values": ["Self"]}, {"Key": "Name", "Values": [name]}]
    )
    assert [d["Name"] for d in mine["DocumentIdentifiers"]] == [name]
    by_tag = ssm.list_documents(Filters=[{"Key": "tag:k", "Values": [name]}])["DocumentIdentifiers"]
    assert [d["Name"] for d in by_tag] == [name]
    amazon = ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Amazon"]}])["DocumentIdentifiers"]
    assert {"AWS-RunShellScript", "AWS-StartSSHSession"} <= {d["Name"] for d in amazon}
    assert all(d["Owner"] == "Amazon" for d in amazon)
    sessions = ssm.list_documents(DocumentFilterList=[{"key": "DocumentType", "value": "Session"}])
    assert {d["DocumentType"] for d in sessions["DocumentIdentifiers"]} == {"Session"}
    first = ssm.list_documents(MaxResults=2)
    assert len(first["DocumentIdentifiers"]) == 2 and first["NextToken"]
    names = [
        d["Name"]
        for page in ssm.get_paginator("list_documents").paginate()
        for d in page["DocumentIdentifiers"]
    ]
    assert name in names and len(names) == len(set(names))
    with pytest.raises(ClientError) as error:
        ssm.list_documents(Filters=[{"Key": "Colour", "Values": ["red"]}])
    assert _code(error) == "InvalidFilterKey"


def test_aws_owned_documents(ssm):
    shell = ssm.describe_document(Name="AWS-RunShellScript")["Document"]
    assert (shell["Owner"], shell["DocumentType"], shell["SchemaVersion"]) == ("Amazon", "Command", "1.2")
    assert [p["Name"] for p in shell["Parameters"]] == ["commands", "workingDirectory", "executionTimeout"]
    port = json.loads(ssm.get_document(Name="AWS-StartPortForwardingSession")["Content"])
    assert port["sessionType"] == "Port" and port["parameters"]["portNumber"]["default"] == "80"
    with pytest.raises(ClientError) as error:
        ssm.update_document(Name="AWS-RunShellScript", Content=json.dumps(COMMAND))
    assert _code(error) == "InvalidDocumentOperation"


def test_sharing_with_accounts(ssm, client, name):
    ssm.create_document(Content=json.dumps(COMMAND), Name=name, DocumentType="Command")
    ssm.modify_document_permission(Name=name, PermissionType="Share", AccountIdsToAdd=["111122223333"])
    shared = ssm.describe_document_permission(Name=name, PermissionType="Share")
    assert shared["AccountIds"] == ["111122223333"]
    assert shared["AccountSharingInfoList"] == [
        {"AccountId": "111122223333", "SharedDocumentVersion": "$DEFAULT"}
    ]
    other = client("ssm", aws_access_key_id="111122223333", aws_secret_access_key="test")
    arn = f"arn:aws:ssm:us-east-1:000000000000:document/{name}"
    assert other.describe_document(Name=arn)["Document"]["Owner"] == "000000000000"
    private = other.list_documents(Filters=[{"Key": "Owner", "Values": ["Private"]}])["DocumentIdentifiers"]
    assert name in [d["Name"] for d in private]
    ssm.modify_document_permission(Name=name, PermissionType="Share", AccountIdsToRemove=["111122223333"])
    with pytest.raises(ClientError) as error:
        other.describe_document(Name=arn)
    assert _code(error) == "InvalidDocument"
    ssm.modify_document_permission(Name=name, PermissionType="Share", AccountIdsToAdd=["All"])
    public = other.list_documents(Filters=[{"Key": "Owner", "Values": ["Public"]}])["DocumentIdentifiers"]
    assert name in [d["Name"] for d in public]
    with pytest.raises(ClientError) as error:
        ssm.modify_document_permission(
            Name=name, PermissionType="Share", AccountIdsToAdd=["all", "111122223333"]
        )
    assert _code(error) == "DocumentPermissionLimit"


def test_tags_on_documents(ssm, name):
    ssm.create_document(Content=json.dumps(COMMAND), Name=name, DocumentType="Command")
    ssm.add_tags_to_resource(ResourceType="Document", ResourceId=name, Tags=[{"Key": "a", "Value": "1"}])
    assert ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)["TagList"] == [
        {"Key": "a", "Value": "1"}
    ]
    ssm.remove_tags_from_resource(ResourceType="Document", ResourceId=name, TagKeys=["a"])
    assert ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name)["TagList"] == []
    with pytest.raises(ClientError) as error:
        ssm.list_tags_for_resource(ResourceType="Document", ResourceId=name + "-gone")
    assert _code(error) == "InvalidResourceId"


def test_change_template_review(ssm, name):
    template = {
        "schemaVersion": "0.3",
        "description": "change",
        "mainSteps": [{"name": "approve", "action": "aws:approve", "inputs": {"Approvers": ["a"]}}],
    }
    ssm.create_document(Content=json.dumps(template), Name=name, DocumentType="Automation.ChangeTemplate")
    assert ssm.describe_document(Name=name)["Document"]["ReviewStatus"] == "NOT_REVIEWED"
    ssm.update_document_metadata(Name=name, DocumentReviews={"Action": "SendForReview"})
    assert ssm.describe_document(Name=name)["Document"]["PendingReviewVersion"] == "1"
    ssm.update_document_metadata(
        Name=name, DocumentVersion="1",
        DocumentReviews={"Action": "Approve", "Comment": [{"Type": "Comment", "Content": "ok"}]},
    )  # fmt: skip
    described = ssm.describe_document(Name=name)["Document"]
    assert (described["ReviewStatus"], described["ApprovedVersion"]) == ("APPROVED", "1")
    history = ssm.list_document_metadata_history(Name=name, DocumentVersion="1", Metadata="DocumentReviews")
    responses = history["Metadata"]["ReviewerResponse"]
    assert [r["ReviewStatus"] for r in responses] == ["PENDING", "APPROVED"]
    assert responses[1]["Comment"] == [{"Type": "Comment", "Content": "ok"}]
    with pytest.raises(ClientError) as error:
        ssm.update_document_metadata(Name=name, DocumentReviews={"Action": "Reject"})
    assert _code(error) == "InvalidDocumentOperation"


def test_attachments_are_read_from_s3(ssm, client, name):
    s3 = client("s3")
    bucket = f"att-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="pkg/file.zip", Body=b"zipdata")
    package = {
        "schemaVersion": "2.0",
        "version": "1.0",
        "packages": {},
        "files": {"file.zip": {"checksums": {}}},
    }
    made = ssm.create_document(
        Content=json.dumps(package), Name=name, DocumentType="Package",
        Attachments=[{"Key": "S3FileUrl", "Values": [f"s3://{bucket}/pkg/file.zip"], "Name": "file.zip"}],
    )["DocumentDescription"]  # fmt: skip
    assert made["AttachmentsInformation"] == [{"Name": "file.zip"}]
    content = ssm.get_document(Name=name)["AttachmentsContent"]
    assert content[0]["Size"] == 7 and content[0]["Hash"] == hashlib.sha256(b"zipdata").hexdigest()
    with pytest.raises(ClientError) as error:
        ssm.create_document(
            Content=json.dumps(package), Name=name + "x", DocumentType="Package",
            Attachments=[{"Key": "S3FileUrl", "Values": [f"s3://{bucket}/missing"]}],
        )  # fmt: skip
    assert _code(error) == "InvalidDocumentContent"


def test_permission_type_outside_the_enum(ssm, name):
    ssm.create_document(Content=json.dumps(COMMAND), Name=name, DocumentType="Command")
    for call in (ssm.modify_document_permission, ssm.describe_document_permission):
        with pytest.raises(ClientError) as error:
            call(Name=name, PermissionType="Borrow")
        assert _code(error) == "InvalidPermissionType"
        assert "Member must satisfy enum value set: [Share]" in error.value.response["Error"]["Message"]
