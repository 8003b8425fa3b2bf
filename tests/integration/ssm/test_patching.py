"""Patch baselines, AWS's predefined baselines and defaults, patch groups, and the catalogue
and node answers AWS gives when it has nothing to list."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

RULES = {
    "PatchRules": [
        {
            "PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]},
            "ComplianceLevel": "HIGH",
            "ApproveAfterDays": 3,
        }
    ]
}


def _error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]


def _baseline(ssm, **extra) -> str:
    given = {"Name": f"base-{uuid.uuid4().hex[:8]}", "OperatingSystem": "AMAZON_LINUX_2023", **extra}
    return ssm.create_patch_baseline(**given)["BaselineId"]


def test_a_baseline_is_stored_with_aws_defaults(ssm):
    baseline_id = _baseline(
        ssm, ApprovalRules=RULES, ApprovedPatches=["kernel-6.1*", "openssl-1:3.0.8-1.amzn2023.x86_64"],
        RejectedPatches=["telnet"], RejectedPatchesAction="BLOCK", Description="security only",
        Tags=[{"Key": "env", "Value": "prod"}],
    )  # fmt: skip
    got = ssm.get_patch_baseline(BaselineId=baseline_id)
    assert got["OperatingSystem"] == "AMAZON_LINUX_2023"
    assert got["ApprovalRules"] == RULES
    assert got["ApprovedPatches"] == ["kernel-6.1*", "openssl-1:3.0.8-1.amzn2023.x86_64"]
    assert (got["RejectedPatches"], got["RejectedPatchesAction"]) == (["telnet"], "BLOCK")
    assert got["ApprovedPatchesComplianceLevel"] == "UNSPECIFIED"
    assert got["GlobalFilters"] == {"PatchFilters": []}
    assert got["PatchGroups"] == []
    tags = ssm.list_tags_for_resource(ResourceType="PatchBaseline", ResourceId=baseline_id)["TagList"]
    assert tags == [{"Key": "env", "Value": "prod"}]

    updated = ssm.update_patch_baseline(BaselineId=baseline_id, Description="changed", ApprovedPatches=[])
    assert (updated["Description"], updated["ApprovedPatches"], updated["RejectedPatches"]) == (
        "changed", [], ["telnet"],
    )  # fmt: skip
    assert ssm.delete_patch_baseline(BaselineId=baseline_id)["BaselineId"] == baseline_id
    assert _error(ssm.get_patch_baseline, BaselineId=baseline_id)["Code"] == "DoesNotExistException"


def test_windows_is_the_default_operating_system_and_checks_kb_ids(ssm):
    baseline_id = ssm.create_patch_baseline(
        Name=f"win-{uuid.uuid4().hex[:8]}", ApprovedPatches=["KB4567890"]
    )["BaselineId"]
    assert ssm.get_patch_baseline(BaselineId=baseline_id)["OperatingSystem"] == "WINDOWS"
    for bad in ({"ApprovedPatches": ["openssl"]}, {"RejectedPatches": ["KB12"]}):
        assert _error(ssm.create_patch_baseline, Name="bad-win", **bad)["Code"] == "ValidationException"


def test_bad_baselines_are_refused(ssm):
    both = {
        "PatchRules": [
            {
                "PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]},
                "ApproveAfterDays": 3,
                "ApproveUntilDate": "2030-01-01",
            }
        ]
    }
    windows_key = {"PatchFilters": [{"Key": "MSRC_SEVERITY", "Values": ["Critical"]}]}
    duplicate = {"PatchFilters": [{"Key": "PRODUCT", "Values": ["*"]}, {"Key": "PRODUCT", "Values": ["x"]}]}
    sources = [{"Name": "my-repo", "Products": ["*"], "Configuration": "[repo]"}]
    neither = {
        "PatchRules": [
            {"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]}}
        ]
    }
    waits = {
        "PatchRules": [
            {
                "PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["Required"]}]},
                "ApproveAfterDays": 0,
            }
        ]
    }
    for bad in (
        {"ApprovalRules": both},
        {"ApprovalRules": neither},
        {"OperatingSystem": "UBUNTU", "ApprovalRules": waits},
        {"GlobalFilters": windows_key},
        {"GlobalFilters": duplicate},
        {"OperatingSystem": "WINDOWS", "Sources": sources},
    ):
        assert _error(_baseline, ssm=ssm, **bad)["Code"] == "ValidationException", bad
    assert (
        _error(ssm.get_patch_baseline, BaselineId="not-a-baseline-id-at-all")["Code"] == "InvalidResourceId"
    )


def test_debian_family_rules_wait_for_no_release_date(ssm):
    rules = {
        "PatchRules": [{"PatchFilterGroup": {"PatchFilters": [{"Key": "PRIORITY", "Values": ["Required"]}]}}]
    }
    baseline_id = _baseline(ssm, OperatingSystem="DEBIAN", ApprovalRules=rules)
    assert ssm.get_patch_baseline(BaselineId=baseline_id)["ApprovalRules"] == rules


def test_predefined_baselines_and_the_default(ssm):
    aws = ssm.describe_patch_baselines(Filters=[{"Key": "OWNER", "Values": ["AWS"]}], MaxResults=100)[
        "BaselineIdentities"
    ]
    names = {b["OperatingSystem"]: b["BaselineName"] for b in aws}
    assert names["AMAZON_LINUX_2023"] == "AWS-AmazonLinux2023DefaultPatchBaseline"
    assert names["WINDOWS"] == "AWS-DefaultPatchBaseline"
    assert names["UBUNTU"] == "AWS-UbuntuDefaultPatchBaseline"
    default = ssm.get_default_patch_baseline(OperatingSystem="AMAZON_LINUX_2023")["BaselineId"]
    assert default.startswith("arn:aws:ssm:us-east-1:") and ":patchbaseline/pb-" in default
    predefined = ssm.get_patch_baseline(BaselineId=default)
    assert predefined["Name"] == "AWS-AmazonLinux2023DefaultPatchBaseline"
    assert predefined["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"] == 7

    mine = _baseline(ssm)
    ssm.register_default_patch_baseline(BaselineId=mine)
    try:
        assert ssm.get_default_patch_baseline(OperatingSystem="AMAZON_LINUX_2023")["BaselineId"] == mine
        listed = ssm.describe_patch_baselines(Filters=[{"Key": "OWNER", "Values": ["Self"]}])[
            "BaselineIdentities"
        ]
        assert [b["DefaultBaseline"] for b in listed if b["BaselineId"] == mine] == [True]
        assert _error(ssm.delete_patch_baseline, BaselineId=mine)["Code"] == "ResourceInUseException"
    finally:
        ssm.register_default_patch_baseline(BaselineId=default)
    assert ssm.get_default_patch_baseline(OperatingSystem="AMAZON_LINUX_2023")["BaselineId"] == default


def test_patch_groups(ssm):
    group = f"group-{uuid.uuid4().hex[:8]}"
    baseline_id = _baseline(ssm)
    assert (
        ssm.register_patch_baseline_for_patch_group(BaselineId=baseline_id, PatchGroup=group)["PatchGroup"]
        == group
    )
    again = _error(ssm.register_patch_baseline_for_patch_group, BaselineId=_baseline(ssm), PatchGroup=group)
    assert again["Code"] == "AlreadyExistsException"
    got = ssm.get_patch_baseline_for_patch_group(PatchGroup=group, OperatingSystem="AMAZON_LINUX_2023")
    assert got["BaselineId"] == baseline_id
    # For another operating system the group falls back on that system's default baseline.
    windows = ssm.get_patch_baseline_for_patch_group(PatchGroup=group)
    assert windows["BaselineId"] == ssm.get_default_patch_baseline()["BaselineId"]
    assert ssm.get_patch_baseline(BaselineId=baseline_id)["PatchGroups"] == [group]
    mappings = ssm.describe_patch_groups(Filters=[{"Key": "NAME_PREFIX", "Values": [group]}])["Mappings"]
    assert [(m["PatchGroup"], m["BaselineIdentity"]["BaselineId"]) for m in mappings] == [
        (group, baseline_id)
    ]
    state = ssm.describe_patch_group_state(PatchGroup=group)
    assert state["Instances"] == 0 and state["InstancesWithMissingPatches"] == 0
    assert _error(ssm.delete_patch_baseline, BaselineId=baseline_id)["Code"] == "ResourceInUseException"
    ssm.deregister_patch_baseline_for_patch_group(BaselineId=baseline_id, PatchGroup=group)
    assert (
        _error(ssm.deregister_patch_baseline_for_patch_group, BaselineId=baseline_id, PatchGroup=group)[
            "Code"
        ]
        == "InvalidResourceId"
    )
    assert (
        _error(
            ssm.register_patch_baseline_for_patch_group, BaselineId="pb-0123456789abcdef0", PatchGroup=group
        )["Code"]
        == "DoesNotExistException"
    )


def test_catalogue_and_node_answers(ssm):
    properties = ssm.describe_patch_properties(OperatingSystem="WINDOWS", Property="MSRC_SEVERITY")[
        "Properties"
    ]
    assert {"Name": "Critical"} in properties
    severities = ssm.describe_patch_properties(OperatingSystem="AMAZON_LINUX_2", Property="SEVERITY")[
        "Properties"
    ]
    assert {"Name": "Important"} in severities
    assert (
        ssm.describe_available_patches(Filters=[{"Key": "PRODUCT", "Values": ["WindowsServer2019"]}])[
            "Patches"
        ]
        == []
    )
    assert _error(ssm.describe_available_patches, Filters=[{"Key": "COLOR", "Values": ["x"]}])["Code"] == (
        "ValidationException"
    )
    windows_default = ssm.get_default_patch_baseline()["BaselineId"]
    assert (
        ssm.describe_effective_patches_for_patch_baseline(BaselineId=windows_default)["EffectivePatches"]
        == []
    )
    linux = _baseline(ssm)
    assert _error(ssm.describe_effective_patches_for_patch_baseline, BaselineId=linux)["Code"] == (
        "UnsupportedOperatingSystem"
    )
    instance = "i-0123456789abcdef0"
    assert ssm.describe_instance_patch_states(InstanceIds=[instance])["InstancePatchStates"] == []
    assert ssm.describe_instance_patch_states_for_patch_group(PatchGroup="any")["InstancePatchStates"] == []
    bad_filter = [{"Key": "Colour", "Values": ["1"], "Type": "Equal"}]
    assert (
        _error(ssm.describe_instance_patch_states_for_patch_group, PatchGroup="any", Filters=bad_filter)[
            "Code"
        ]
        == "InvalidFilter"
    )
    assert _error(ssm.describe_instance_patches, InstanceId=instance)["Code"] == "InvalidInstanceId"
    snapshot = _error(
        ssm.get_deployable_patch_snapshot_for_instance, InstanceId=instance, SnapshotId=str(uuid.uuid4())
    )
    assert snapshot["Code"] == "InvalidInstanceId"
