"""OpsCenter: OpsItems with their filters, reserved OperationalData keys, related items and
events; OpsMetadata; GetOpsSummary over the OpsItems stored."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError


def _error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]


def _item(ssm, **extra) -> str:
    given = {"Title": "disk full", "Description": "the root volume is full", "Source": "ec2", **extra}
    return ssm.create_ops_item(**given)["OpsItemId"]


def _ids(ssm, *filters) -> set[str]:
    found, token = set(), None
    while True:
        page = ssm.describe_ops_items(OpsItemFilters=list(filters), **({"NextToken": token} if token else {}))
        found |= {s["OpsItemId"] for s in page["OpsItemSummaries"]}
        token = page.get("NextToken")
        if not token:
            return found


def test_an_ops_item_is_stored_and_updated(ssm):
    item_id = _item(ssm, Priority=2, Category="Performance", Severity="2", OpsItemType="/aws/issue",
                    Tags=[{"Key": "team", "Value": "ops"}])  # fmt: skip
    item = ssm.get_ops_item(OpsItemId=item_id)["OpsItem"]
    assert (item["Status"], item["Priority"], item["Category"], item["Severity"]) == (
        "Open",
        2,
        "Performance",
        "2",
    )
    assert item["OpsItemArn"].endswith(f":opsitem/{item_id}")
    assert item["OpsItemType"] == "/aws/issue"
    assert (item["Notifications"], item["RelatedOpsItems"]) == ([], [])
    version = item["Version"]
    ssm.add_tags_to_resource(ResourceType="OpsItem", ResourceId=item_id, Tags=[{"Key": "tier", "Value": "1"}])
    tags = ssm.list_tags_for_resource(ResourceType="OpsItem", ResourceId=item_id)["TagList"]
    assert {t["Key"] for t in tags} == {"team", "tier"}
    ssm.update_ops_item(
        OpsItemId=item_id, Status="InProgress", OperationalData={"owner": {"Value": "kim", "Type": "String"}}
    )
    updated = ssm.get_ops_item(OpsItemId=item_id)["OpsItem"]
    assert updated["Status"] == "InProgress" and updated["Version"] != version
    assert updated["OperationalData"] == {"owner": {"Value": "kim", "Type": "String"}}
    ssm.update_ops_item(OpsItemId=item_id, OperationalDataToDelete=["owner"])
    assert "owner" not in (ssm.get_ops_item(OpsItemId=item_id)["OpsItem"].get("OperationalData") or {})
    events = ssm.list_ops_item_events(
        Filters=[{"Key": "OpsItemId", "Values": [item_id], "Operator": "Equal"}]
    )
    assert {e["DetailType"] for e in events["Summaries"]} == {"OpsItem Create", "OpsItem Update"}
    ssm.delete_ops_item(OpsItemId=item_id)
    assert _error(ssm.get_ops_item, OpsItemId=item_id)["Code"] == "OpsItemNotFoundException"


def test_bad_ops_items_are_refused(ssm):
    for bad in (
        {"OperationalData": {"/aws/unknown": {"Value": "x"}}},
        {"OperationalData": {"ssmThing": {"Value": "x"}}},
        {"Category": "Weather"},
        {"Severity": "9"},
        {"OperationalData": {"big": {"Value": "x" * (21 * 1024)}}},
    ):
        error = _error(_item, ssm=ssm, **bad)
        assert error["Code"] == "OpsItemInvalidParameterException", bad


def test_dedup_string_refuses_a_second_open_item(ssm):
    dedup = {
        "/aws/dedup": {"Value": json.dumps({"dedupString": uuid.uuid4().hex}), "Type": "SearchableString"}
    }
    first = _item(ssm, OperationalData=dedup)
    with pytest.raises(ClientError) as info:
        _item(ssm, OperationalData=dedup)
    assert info.value.response["Error"]["Code"] == "OpsItemAlreadyExistsException"
    assert info.value.response["OpsItemId"] == first
    ssm.update_ops_item(OpsItemId=first, Status="Resolved")
    assert _item(ssm, OperationalData=dedup) != first


def test_describe_filters(ssm):
    marker = uuid.uuid4().hex[:10]
    resource = f"arn:aws:ec2:us-east-1:000000000000:instance/i-{marker}"
    searchable = {
        "/aws/resources": {"Value": json.dumps([{"arn": resource}]), "Type": "SearchableString"},
        "/aws/automations": {"Value": json.dumps([{"automationId": marker, "automationType": "AWS:SSM:Automation"}]),
                             "Type": "SearchableString"},
        "marker": {"Value": marker, "Type": "SearchableString"},
        "hidden": {"Value": marker, "Type": "String"},
    }  # fmt: skip
    first = _item(ssm, Title=f"first {marker}", Priority=1, OperationalData=searchable)
    planned = datetime(2030, 1, 1, tzinfo=UTC)
    second = _item(
        ssm, Title=f"second {marker}", Priority=3, Source=f"src-{marker}", PlannedStartTime=planned
    )
    assert _ids(ssm, {"Key": "Title", "Values": [marker], "Operator": "Contains"}) == {first, second}
    assert _ids(ssm, {"Key": "Title", "Values": [f"first {marker}"], "Operator": "Equal"}) == {first}
    both = {"Key": "Title", "Values": [marker], "Operator": "Contains"}
    assert _ids(ssm, both, {"Key": "Priority", "Values": ["3"], "Operator": "Equal"}) == {second}
    assert _ids(ssm, {"Key": "Source", "Values": [marker], "Operator": "Contains"}) == {second}
    assert _ids(ssm, {"Key": "ResourceId", "Values": [f"i-{marker}"], "Operator": "Contains"}) == {first}
    assert _ids(ssm, {"Key": "AutomationId", "Values": [marker], "Operator": "Equal"}) == {first}
    data = json.dumps({"key": "marker", "value": marker})
    assert _ids(ssm, {"Key": "OperationalData", "Values": [data], "Operator": "Equal"}) == {first}
    # A String (not SearchableString) entry is not searched.
    assert _ids(ssm, {"Key": "OperationalDataKey", "Values": ["hidden"], "Operator": "Equal"}) == set()
    assert first in _ids(ssm, {"Key": "OperationalDataValue", "Values": [marker], "Operator": "Contains"})
    earlier = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    assert {first, second} <= _ids(
        ssm, {"Key": "CreatedTime", "Values": [earlier], "Operator": "GreaterThan"}
    )
    assert not {first, second} & _ids(
        ssm, {"Key": "CreatedTime", "Values": [earlier], "Operator": "LessThan"}
    )
    after_2029 = {"Key": "PlannedStartTime", "Values": ["2029-12-31T00:00:00Z"], "Operator": "GreaterThan"}
    assert _ids(ssm, both, after_2029) == {second}
    assert ssm.get_ops_item(OpsItemId=second)["OpsItem"]["PlannedStartTime"] == planned
    summary = ssm.get_ops_summary(
        Filters=[{"Key": "AWS:OpsItem.OpsItemId", "Values": [second], "Type": "Equal"}]
    )
    content = summary["Entities"][0]["Data"]["AWS:OpsItem"]["Content"][0]
    assert content["PlannedStartTime"] == "2030-01-01T00:00:00.000Z"
    assert (content["Description"], content["Notifications"], content["OperationalData"]) == (
        "the root volume is full", "", "",
    )  # fmt: skip
    bad = {"Key": "Status", "Values": ["Open"], "Operator": "Contains"}
    assert _error(ssm.describe_ops_items, OpsItemFilters=[bad])["Code"] == "ValidationException"


def test_related_items(ssm):
    item_id = _item(ssm)
    uri = f"arn:aws:ssm-incidents::000000000000:incident-record/plan/{uuid.uuid4().hex[:8]}"
    association = ssm.associate_ops_item_related_item(
        OpsItemId=item_id, AssociationType="IsParentOf", ResourceType="AWS::SSMIncidents::IncidentRecord",
        ResourceUri=uri,
    )["AssociationId"]  # fmt: skip
    again = _error(
        ssm.associate_ops_item_related_item, OpsItemId=item_id, AssociationType="RelatesTo",
        ResourceType="AWS::SSMIncidents::IncidentRecord", ResourceUri=uri,
    )  # fmt: skip
    assert again["Code"] == "OpsItemRelatedItemAlreadyExistsException"
    listed = ssm.list_ops_item_related_items(OpsItemId=item_id)["Summaries"]
    assert [(s["AssociationId"], s["ResourceUri"]) for s in listed] == [(association, uri)]
    ssm.disassociate_ops_item_related_item(OpsItemId=item_id, AssociationId=association)
    assert ssm.list_ops_item_related_items(OpsItemId=item_id)["Summaries"] == []
    missing = _error(ssm.disassociate_ops_item_related_item, OpsItemId=item_id, AssociationId=association)
    assert missing["Code"] == "OpsItemRelatedItemAssociationNotFoundException"


def test_ops_metadata(ssm):
    resource = f"/aws/ssm/app-{uuid.uuid4().hex[:8]}/appmanager"
    arn = ssm.create_ops_metadata(ResourceId=resource, Metadata={"a": {"Value": "1"}, "b": {"Value": "2"}})[
        "OpsMetadataArn"
    ]
    assert arn.endswith(":opsmetadata" + resource)
    assert _error(ssm.create_ops_metadata, ResourceId=resource)["Code"] == "OpsMetadataAlreadyExistsException"
    # Tagged by what follows "opsmetadata" in its ARN, with or without the leading slash.
    ssm.add_tags_to_resource(
        ResourceType="OpsMetadata", ResourceId=resource, Tags=[{"Key": "app", "Value": "a"}]
    )
    tags = ssm.list_tags_for_resource(ResourceType="OpsMetadata", ResourceId=resource.lstrip("/"))["TagList"]
    assert tags == [{"Key": "app", "Value": "a"}]
    first = ssm.get_ops_metadata(OpsMetadataArn=arn, MaxResults=1)
    assert (first["ResourceId"], first["Metadata"]) == (resource, {"a": {"Value": "1"}})
    rest = ssm.get_ops_metadata(OpsMetadataArn=arn, NextToken=first["NextToken"])
    assert rest["Metadata"] == {"b": {"Value": "2"}} and "NextToken" not in rest
    ssm.update_ops_metadata(OpsMetadataArn=arn, MetadataToUpdate={"c": {"Value": "3"}}, KeysToDelete=["a"])
    assert set(ssm.get_ops_metadata(OpsMetadataArn=arn)["Metadata"]) == {"b", "c"}
    listed = ssm.list_ops_metadata(Filters=[{"Key": "ResourceId", "Values": [resource]}])["OpsMetadataList"]
    assert [m["OpsMetadataArn"] for m in listed] == [arn]
    ssm.delete_ops_metadata(OpsMetadataArn=arn)
    assert _error(ssm.get_ops_metadata, OpsMetadataArn=arn)["Code"] == "OpsMetadataNotFoundException"


def test_ops_summary_counts_the_stored_items(ssm):
    source = f"summary-{uuid.uuid4().hex[:8]}"
    for status in ("Open", "Open", "Resolved"):
        item_id = _item(ssm, Source=source)
        if status != "Open":
            ssm.update_ops_item(OpsItemId=item_id, Status=status)
    only_mine = [{"Key": "AWS:OpsItem.Source", "Values": [source], "Type": "Equal"}]
    summary = ssm.get_ops_summary(
        Filters=only_mine,
        Aggregators=[{"AggregatorType": "count", "TypeName": "AWS:OpsItem", "AttributeName": "Status"}],
    )
    counts = {e["Id"]: e["Data"]["AWS:OpsItem"]["Content"][0]["Count"] for e in summary["Entities"]}
    assert counts == {"Open": "2", "Resolved": "1"}
    listed = ssm.get_ops_summary(Filters=only_mine)["Entities"]
    assert len(listed) == 3 and all(
        e["Data"]["AWS:OpsItem"]["Content"][0]["Source"] == source for e in listed
    )
    missing = _error(ssm.get_ops_summary, SyncName="no-such-sync")
    assert missing["Code"] == "ResourceDataSyncNotFoundException"
