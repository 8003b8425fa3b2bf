"""Compliance items and the summaries aggregated from them, resource data syncs, and Default
Host Management Configuration."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

SUMMARY = {
    "ExecutionTime": datetime(2026, 1, 1, tzinfo=UTC),
    "ExecutionId": "run-1",
    "ExecutionType": "Command",
}


def _error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]


def _node() -> str:
    return "i-" + secrets.token_hex(9)[:17]


def _put(ssm, node: str, compliance_type: str, items: list[dict], **extra) -> None:
    ssm.put_compliance_items(
        ResourceId=node, ResourceType="ManagedInstance", ComplianceType=compliance_type,
        ExecutionSummary=SUMMARY, Items=items, **extra,
    )  # fmt: skip


def test_items_are_put_listed_and_summarised(ssm):
    node, kind = _node(), f"Custom:T{uuid.uuid4().hex[:8]}"
    _put(ssm, node, kind, [
        {"Id": "av", "Title": "antivirus", "Severity": "CRITICAL", "Status": "NON_COMPLIANT", "Details": {"v": "1"}},
        {"Id": "fw", "Title": "firewall", "Severity": "LOW", "Status": "COMPLIANT"},
    ])  # fmt: skip
    items = ssm.list_compliance_items(ResourceIds=[node], ResourceTypes=["ManagedInstance"])[
        "ComplianceItems"
    ]
    assert {(i["Id"], i["Status"]) for i in items} == {("av", "NON_COMPLIANT"), ("fw", "COMPLIANT")}
    assert next(i for i in items if i["Id"] == "av")["Details"] == {"v": "1"}
    failing = ssm.list_compliance_items(
        ResourceIds=[node], Filters=[{"Key": "Status", "Values": ["NON_COMPLIANT"], "Type": "EQUAL"}]
    )["ComplianceItems"]
    assert [i["Id"] for i in failing] == ["av"]

    resource = ssm.list_resource_compliance_summaries(
        Filters=[{"Key": "ComplianceType", "Values": [kind], "Type": "EQUAL"}]
    )["ResourceComplianceSummaryItems"]
    assert len(resource) == 1
    assert (resource[0]["Status"], resource[0]["OverallSeverity"]) == ("NON_COMPLIANT", "CRITICAL")
    assert resource[0]["CompliantSummary"]["CompliantCount"] == 1
    assert resource[0]["NonCompliantSummary"]["SeveritySummary"]["CriticalCount"] == 1

    # A second node, compliant: the type's summary counts one resource of each status.
    _put(ssm, _node(), kind, [{"Id": "av", "Severity": "HIGH", "Status": "COMPLIANT"}])
    summary = ssm.list_compliance_summaries(
        Filters=[{"Key": "ComplianceType", "Values": [kind], "Type": "EQUAL"}]
    )["ComplianceSummaryItems"]
    assert summary[0]["CompliantSummary"]["CompliantCount"] == 1
    assert summary[0]["NonCompliantSummary"]["NonCompliantCount"] == 1

    # COMPLETE replaces the type's items; PARTIAL replaces only those it names.
    _put(ssm, node, kind, [{"Id": "av", "Severity": "CRITICAL", "Status": "COMPLIANT"}], UploadType="PARTIAL")
    items = ssm.list_compliance_items(ResourceIds=[node])["ComplianceItems"]
    assert {(i["Id"], i["Status"]) for i in items} == {("av", "COMPLIANT"), ("fw", "COMPLIANT")}
    _put(ssm, node, kind, [{"Id": "new", "Severity": "LOW", "Status": "COMPLIANT"}])
    assert [i["Id"] for i in ssm.list_compliance_items(ResourceIds=[node])["ComplianceItems"]] == ["new"]


def test_what_aws_validates(ssm):
    item = [{"Severity": "LOW", "Status": "COMPLIANT"}]
    assert _error(
        ssm.put_compliance_items, ResourceId=_node(), ResourceType="Bucket", ComplianceType="Custom:X",
        ExecutionSummary=SUMMARY, Items=item,
    )["Code"] == "InvalidResourceType"  # fmt: skip
    assert _error(
        ssm.put_compliance_items, ResourceId="my-server", ResourceType="ManagedInstance", ComplianceType="Custom:X",
        ExecutionSummary=SUMMARY, Items=item,
    )["Code"] == "InvalidResourceId"  # fmt: skip
    bad_filter = [{"Key": "Colour", "Values": ["x"], "Type": "EQUAL"}]
    assert _error(ssm.list_compliance_summaries, Filters=bad_filter)["Code"] == "InvalidFilter"
    node = _node()
    for n in range(10):
        _put(ssm, node, f"Custom:Type{n}", item)
    assert _error(_put, ssm=ssm, node=node, compliance_type="Custom:Type10", items=item)["Code"] == (
        "ComplianceTypeCountLimitExceededException"
    )


def test_resource_data_syncs(ssm, client):
    name = f"sync-{uuid.uuid4().hex[:8]}"
    destination = {
        "BucketName": f"no-bucket-{uuid.uuid4().hex[:8]}",
        "SyncFormat": "JsonSerDe",
        "Region": "us-east-1",
    }
    missing = _error(ssm.create_resource_data_sync, SyncName=name, S3Destination=destination)
    assert missing["Code"] == "ResourceDataSyncInvalidConfigurationException"
    bucket = f"sync-{uuid.uuid4().hex[:8]}"
    client("s3").create_bucket(Bucket=bucket)
    destination["BucketName"] = bucket
    ssm.create_resource_data_sync(SyncName=name, S3Destination=destination)
    again = _error(ssm.create_resource_data_sync, SyncName=name, S3Destination=destination)
    assert again["Code"] == "ResourceDataSyncAlreadyExistsException"
    listed = ssm.list_resource_data_sync()["ResourceDataSyncItems"]
    assert [s["S3Destination"]["BucketName"] for s in listed if s["SyncName"] == name] == [bucket]
    assert _error(
        ssm.update_resource_data_sync, SyncName=name, SyncType="SyncToDestination",
        SyncSource={"SourceType": "SingleAccountMultiRegions", "SourceRegions": ["us-east-1"]},
    )["Code"] == "ResourceDataSyncInvalidConfigurationException"  # fmt: skip
    ssm.delete_resource_data_sync(SyncName=name)
    assert _error(ssm.delete_resource_data_sync, SyncName=name)["Code"] == "ResourceDataSyncNotFoundException"

    source_name = f"source-{uuid.uuid4().hex[:8]}"
    organization = {
        "SourceType": "AWS_ORGANIZATIONS",
        "SourceRegions": ["us-east-1"],
        "AwsOrganizationsSource": {"OrganizationSourceType": "EntireOrganization"},
    }
    ssm.create_resource_data_sync(SyncName=source_name, SyncType="SyncFromSource", SyncSource=organization)
    try:
        found = [
            s for s in ssm.list_resource_data_sync(SyncType="SyncFromSource")["ResourceDataSyncItems"]
            if s["SyncName"] == source_name
        ]  # fmt: skip
        # No organization exists for the account: the state AWS reports for it.
        assert found[0]["SyncSource"]["State"] == "OrganizationNotExists"
        ssm.update_resource_data_sync(
            SyncName=source_name,
            SyncType="SyncFromSource",
            SyncSource={**organization, "SourceRegions": ["eu-west-1"]},
        )
        found = [
            s for s in ssm.list_resource_data_sync(SyncType="SyncFromSource")["ResourceDataSyncItems"]
            if s["SyncName"] == source_name
        ]  # fmt: skip
        assert found[0]["SyncSource"]["SourceRegions"] == ["eu-west-1"]
    finally:
        ssm.delete_resource_data_sync(SyncName=source_name, SyncType="SyncFromSource")
    assert _error(
        ssm.create_resource_data_sync, SyncName=source_name, SyncType="SyncFromSource",
        SyncSource={"SourceType": "AWS_ORGANIZATIONS", "SourceRegions": ["us-east-1"]},
    )["Code"] == "ResourceDataSyncInvalidConfigurationException"  # fmt: skip


def test_default_host_management_configuration(ssm, client):
    setting = "/ssm/managed-instance/default-ec2-instance-management-role"
    assert _error(ssm.register_default_host_management_configuration, PermissionModel="SELF_MANAGED")[
        "Code"
    ] == ("ValidationException")
    iam = client("iam")
    trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ssm.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    name = f"dhmc-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, Path="/service-role/", AssumeRolePolicyDocument=trust)["Role"][
        "Arn"
    ]
    # A self-managed role must exist.
    missing = role.replace(name, "no-such-role")
    assert (
        _error(
            ssm.register_default_host_management_configuration,
            PermissionModel="SELF_MANAGED",
            RoleArn=missing,
        )["Code"]
        == "ValidationException"
    )
    assert (
        ssm.register_default_host_management_configuration(PermissionModel="SELF_MANAGED", RoleArn=role)[
            "RoleArn"
        ]
        == role
    )
    try:
        assert (
            ssm.get_service_setting(SettingId=setting)["ServiceSetting"]["SettingValue"]
            == f"service-role/{name}"
        )
        other = "arn:aws:iam::000000000000:role/other"
        assert (
            _error(
                ssm.register_default_host_management_configuration,
                PermissionModel="SELF_MANAGED",
                RoleArn=other,
            )["Code"]
            == "ValidationException"
        )
        managed = ssm.register_default_host_management_configuration(
            PermissionModel="SERVICE_MANAGED", Overwrite=True
        )
        assert managed["RoleArn"].endswith(
            ":role/aws-reserved/ssm.amazonaws.com/AWSSystemsManagerDefaultEC2InstanceManagementRole"
        )
        # Systems Manager created the role, as AWS does.
        created = iam.get_role(RoleName="AWSSystemsManagerDefaultEC2InstanceManagementRole")["Role"]
        assert created["Arn"] == managed["RoleArn"]
    finally:
        ssm.deregister_default_host_management_configuration()
    assert ssm.get_service_setting(SettingId=setting)["ServiceSetting"]["Status"] == "Default"
