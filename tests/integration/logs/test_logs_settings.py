"""CloudWatch Logs through boto3: the newer group listing, group settings, metric filters,
destinations and policies."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def logs(client):
    return client("logs")


@pytest.fixture
def group(logs):
    name = f"/settings/{unique('g')}"
    logs.create_log_group(logGroupName=name, tags={"team": "blue"})
    yield name
    try:
        logs.put_log_group_deletion_protection(logGroupIdentifier=name, deletionProtectionEnabled=False)
        logs.delete_log_group(logGroupName=name)
    except logs.exceptions.ResourceNotFoundException:
        pass


def test_list_log_groups_by_regex_class_and_tags(logs, group):
    other = f"/other/{unique('g')}"
    logs.create_log_group(logGroupName=other, logGroupClass="INFREQUENT_ACCESS")
    found = logs.list_log_groups(logGroupNamePattern="^/settings/")["logGroups"]
    assert {"logGroupName": group, "logGroupArn": found[[g["logGroupName"] for g in found].index(group)]["logGroupArn"],
            "logGroupClass": "STANDARD"} in found  # fmt: skip
    assert all(g["logGroupName"].startswith("/settings/") for g in found)
    names = [g["logGroupName"] for g in logs.list_log_groups(logGroupClass="INFREQUENT_ACCESS")["logGroups"]]
    assert other in names and group not in names
    tagged = logs.list_log_groups(logGroupTags=[{"key": "team", "values": ["blue"]}])["logGroups"]
    assert [g["logGroupName"] for g in tagged if g["logGroupName"] in (group, other)] == [group]
    assert logs.list_log_groups(logGroupNamePattern="no-such-group-anywhere")["logGroups"] == []
    first = logs.list_log_groups(logGroupNamePattern=f"^{group}|^{other}", limit=1)
    second = logs.list_log_groups(
        logGroupNamePattern=f"^{group}|^{other}", limit=1, nextToken=first["nextToken"]
    )
    assert len(first["logGroups"]) == len(second["logGroups"]) == 1 and "nextToken" not in second
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.list_log_groups(logGroupNamePattern="^/xy", nextToken=first["nextToken"])
    with pytest.raises(logs.exceptions.InvalidParameterException) as error:
        logs.list_log_groups(logGroupNamePattern="(a+)+")
    assert "Member must satisfy regular expression pattern" in error.value.response["Error"]["Message"]
    logs.delete_log_group(logGroupName=other)


def test_deletion_protection_refuses_delete(logs, group):
    # Off is shown explicitly in a listing by prefix, left out in one by name pattern (as AWS does).
    assert (
        logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["deletionProtectionEnabled"]
        is False
    )
    name = group.rsplit("/", 1)[1]
    by_pattern = logs.describe_log_groups(logGroupNamePattern=name)["logGroups"]
    assert set(by_pattern[0]) == {
        "arn",
        "creationTime",
        "logGroupName",
        "logGroupArn",
        "logGroupClass",
        "metricFilterCount",
    }
    assert logs.describe_log_groups(logGroupNamePattern=name.upper())["logGroups"] == []  # case-sensitive
    logs.put_log_group_deletion_protection(logGroupIdentifier=group, deletionProtectionEnabled=True)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["deletionProtectionEnabled"]
    with pytest.raises(ClientError) as error:
        logs.delete_log_group(logGroupName=group)
    assert error.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Cannot delete log group with deletion protection enabled. Disable deletion protection first.",
    }
    logs.put_log_group_deletion_protection(logGroupIdentifier=group, deletionProtectionEnabled=False)
    logs.delete_log_group(logGroupName=group)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_log_group_deletion_protection(logGroupIdentifier=group, deletionProtectionEnabled=True)
    logs.create_log_group(logGroupName=group, deletionProtectionEnabled=True)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["deletionProtectionEnabled"]


def test_kms_key_bearer_token_and_storage_tier(logs, group, client):
    missing = "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    with pytest.raises(logs.exceptions.ClientError) as refused:
        logs.associate_kms_key(logGroupName=group, kmsKeyId=missing)
    group_arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    assert refused.value.response["Error"] == {
        "Code": "AccessDeniedException",
        "Message": f"The specified KMS key does not exist or is not allowed to be used with Arn '{group_arn}'",
    }
    key = client("kms").create_key()["KeyMetadata"]["Arn"]
    logs.associate_kms_key(logGroupName=group, kmsKeyId=key)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["kmsKeyId"] == key
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.associate_kms_key(logGroupName=group, kmsKeyId="not-an-arn")
    logs.disassociate_kms_key(logGroupName=group)
    assert "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    logs.put_bearer_token_authentication(logGroupIdentifier=group, bearerTokenAuthenticationEnabled=True)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0][
        "bearerTokenAuthenticationEnabled"
    ]
    assert logs.get_storage_tier_policy()["storageTier"] == "STANDARD"
    put = logs.put_storage_tier_policy(storageTier="INTELLIGENT_TIERING")
    got = logs.get_storage_tier_policy()
    assert got["storageTier"] == "INTELLIGENT_TIERING" and got["lastUpdatedTime"] == put["lastUpdatedTime"]
    logs.put_storage_tier_policy(storageTier="STANDARD")


def test_metric_filters(logs, group):
    transformation = {
        "metricName": "Errors",
        "metricNamespace": "App",
        "metricValue": "1",
        "defaultValue": 0.0,
    }
    logs.put_metric_filter(
        logGroupName=group, filterName="errors", filterPattern="ERROR", metricTransformations=[transformation]
    )
    logs.put_metric_filter(
        logGroupName=group,
        filterName="latency",
        filterPattern="{ $.latency > 0 }",
        metricTransformations=[
            {
                "metricName": "Latency",
                "metricNamespace": "App",
                "metricValue": "$.latency",
                "unit": "Milliseconds",
            }
        ],
    )
    described = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    assert [f["filterName"] for f in described] == ["errors", "latency"]
    assert described[0]["metricTransformations"] == [transformation]
    assert described[0]["applyOnTransformedLogs"] is False
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["metricFilterCount"] == 2
    by_metric = logs.describe_metric_filters(metricName="Latency", metricNamespace="App")["metricFilters"]
    assert [f["filterName"] for f in by_metric if f["logGroupName"] == group] == ["latency"]
    assert [f["filterName"] for f in logs.describe_metric_filters(logGroupName=group, filterNamePrefix="err")["metricFilters"]] == ["errors"]  # fmt: skip
    page = logs.describe_metric_filters(logGroupName=group, limit=1)
    assert len(page["metricFilters"]) == 1 and page["nextToken"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_metric_filter(
            logGroupName=group, filterName="bad", filterPattern='{ $.x = "unterminated',
            metricTransformations=[transformation],
        )  # fmt: skip
    with pytest.raises(logs.exceptions.InvalidParameterException) as error:
        logs.put_metric_filter(
            logGroupName=group, filterName="two", filterPattern="x",
            metricTransformations=[transformation, transformation],
        )  # fmt: skip
    assert "Member must have length less than or equal to 1" in str(error.value)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_metric_filter(
            logGroupName=unique("/missing"),
            filterName="x",
            filterPattern="",
            metricTransformations=[transformation],
        )
    for bad in (
        {"logGroupName": group, "filterName": "x:x"},
        {"logGroupName": "x!x", "filterName": "errors"},
    ):
        with pytest.raises(logs.exceptions.InvalidParameterException) as error:
            logs.delete_metric_filter(**bad)
        assert "Member must satisfy regular expression pattern" in error.value.response["Error"]["Message"]
    logs.delete_metric_filter(logGroupName=group, filterName="errors")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_metric_filter(logGroupName=group, filterName="errors")
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["metricFilterCount"] == 1


def test_destinations_and_their_tags(logs):
    name = unique("dest")
    target = "arn:aws:kinesis:us-east-1:000000000000:stream/s"
    role = "arn:aws:iam::000000000000:role/r"
    made = logs.put_destination(destinationName=name, targetArn=target, roleArn=role, tags={"a": "1"})[
        "destination"
    ]
    assert made["arn"] == f"arn:aws:logs:us-east-1:000000000000:destination:{name}"
    assert made["targetArn"] == target and "accessPolicy" not in made
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    logs.put_destination_policy(destinationName=name, accessPolicy=policy)
    [described] = logs.describe_destinations(DestinationNamePrefix=name)["destinations"]
    assert described["accessPolicy"] == policy
    assert logs.list_tags_for_resource(resourceArn=made["arn"])["tags"] == {"a": "1"}
    logs.tag_resource(resourceArn=made["arn"], tags={"b": "2"})
    logs.untag_resource(resourceArn=made["arn"], tagKeys=["a"])
    assert logs.list_tags_for_resource(resourceArn=made["arn"])["tags"] == {"b": "2"}
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_destination(
            destinationName=name, targetArn="arn:aws:sqs:us-east-1:000000000000:q", roleArn=role
        )
    logs.delete_destination(destinationName=name)
    assert logs.describe_destinations(DestinationNamePrefix=name)["destinations"] == []
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_destination(destinationName=name)


def test_resource_policies(logs):
    name = unique("policy")
    document = json.dumps({"Version": "2012-10-17", "Statement": []})
    put = logs.put_resource_policy(policyName=name, policyDocument=document)["resourcePolicy"]
    assert put["policyScope"] == "ACCOUNT" and put["policyDocument"] == document
    assert name in [p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]]
    logs.delete_resource_policy(policyName=name)
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as error:
        logs.delete_resource_policy(policyName=name)
    assert error.value.response["Error"]["Message"] == f"Policy with name [{name}] does not exist."
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_resource_policy(policyName=name, policyDocument="{not json")


def test_resource_policy_on_a_group(logs, group):
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    document = json.dumps({"Version": "2012-10-17", "Statement": []})
    put = logs.put_resource_policy(resourceArn=arn, policyDocument=document)
    assert put["resourcePolicy"]["policyScope"] == "RESOURCE" and put["revisionId"]
    [found] = logs.describe_resource_policies(resourceArn=arn)["resourcePolicies"]
    assert found["revisionId"] == put["revisionId"]
    with pytest.raises(ClientError) as error:
        logs.delete_resource_policy(resourceArn=arn, expectedRevisionId="stale")
    assert error.value.response["Error"]["Code"] == "OperationAbortedException"
    logs.delete_resource_policy(resourceArn=arn, expectedRevisionId=put["revisionId"])
    logs.put_resource_policy(resourceArn=arn, policyDocument=document)
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_resource_policies(resourceArn=arn)["resourcePolicies"] == []
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_resource_policy(resourceArn=arn + "-missing", policyDocument=document)


def test_account_data_protection_and_index_policies(logs, group):
    document = json.dumps({"Fields": ["RequestId", "UserId"]})
    put = logs.put_account_policy(
        policyName="indexes", policyDocument=document, policyType="FIELD_INDEX_POLICY",
        selectionCriteria='LogGroupNamePrefix IN ["/settings/"]',
    )["accountPolicy"]  # fmt: skip
    assert put["accountId"] == "000000000000" and put["scope"] == "ALL"
    [described] = logs.describe_account_policies(policyType="FIELD_INDEX_POLICY")["accountPolicies"]
    assert described["selectionCriteria"] == 'LogGroupNamePrefix IN ["/settings/"]'
    [inherited] = logs.describe_index_policies(logGroupIdentifiers=[group])["indexPolicies"]
    assert inherited["source"] == "ACCOUNT" and inherited["policyName"] == "indexes"
    own = json.dumps({"Fields": ["TraceId"]})
    logs.put_index_policy(logGroupIdentifier=group, policyDocument=own)
    [policy] = logs.describe_index_policies(logGroupIdentifiers=[group])["indexPolicies"]
    assert policy["source"] == "LOG_GROUP" and policy["policyDocument"] == own
    fields = logs.describe_field_indexes(logGroupIdentifiers=[group])["fieldIndexes"]
    assert [f["fieldIndexName"] for f in fields] == ["TraceId"]
    found = logs.list_log_groups(fieldIndexNames=["TraceId"])["logGroups"]
    assert group in [g["logGroupName"] for g in found]
    logs.delete_index_policy(logGroupIdentifier=group)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_index_policy(logGroupIdentifier=group)
    logs.delete_account_policy(policyName="indexes", policyType="FIELD_INDEX_POLICY")
    assert logs.describe_account_policies(policyType="FIELD_INDEX_POLICY")["accountPolicies"] == []

    protection = json.dumps(
        {
            "Name": "data-protection",
            "Version": "2021-06-01",
            "Statement": [
                {
                    "Sid": "audit",
                    "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
                    "Operation": {"Audit": {"FindingsDestination": {}}},
                },
                {
                    "Sid": "redact",
                    "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
                    "Operation": {"Deidentify": {"MaskConfig": {}}},
                },
            ],
        }
    )
    logs.put_data_protection_policy(logGroupIdentifier=group, policyDocument=protection)
    got = logs.get_data_protection_policy(logGroupIdentifier=group)
    assert got["policyDocument"] == protection and got["logGroupIdentifier"] == group
    assert (
        logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["dataProtectionStatus"]
        == "ACTIVATED"
    )
    logs.delete_data_protection_policy(logGroupIdentifier=group)
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier=group)
    swapped = json.loads(protection)
    swapped["Statement"].reverse()
    for wrong in ({"Statement": []}, swapped):
        with pytest.raises(logs.exceptions.InvalidParameterException):
            logs.put_data_protection_policy(logGroupIdentifier=group, policyDocument=json.dumps(wrong))


def test_transformers_apply_on_ingestion(logs, group):
    config = [{"parseJSON": {}}, {"addKeys": {"entries": [{"key": "env", "value": "prod"}]}}]
    tested = logs.test_transformer(transformerConfig=config, logEventMessages=['{"a":1}', "plain"])
    assert tested["transformedLogs"][0] == {
        "eventNumber": 1,
        "eventMessage": '{"a":1}',
        "transformedEventMessage": '{"a":1,"env":"prod"}',
    }
    assert "transformedEventMessage" not in tested["transformedLogs"][1]
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_transformer(logGroupIdentifier=group)
    logs.put_transformer(logGroupIdentifier=group, transformerConfig=config)
    got = logs.get_transformer(logGroupIdentifier=group)
    assert got["transformerConfig"] == config and got["logGroupIdentifier"] == group
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now, "message": '{"a":1}'}]
    )
    events = logs.get_log_events(logGroupName=group, logStreamName="s")["events"]
    assert [e["message"] for e in events] == ['{"a":1,"env":"prod"}']
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_transformer(logGroupIdentifier=group, transformerConfig=[{"addKeys": config[1]["addKeys"]}])
    logs.delete_transformer(logGroupIdentifier=group)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_transformer(logGroupIdentifier=group)


def test_subscription_destination_checked_before_group(logs, group):
    foreign = "arn:aws:lambda:us-east-1:123456789012:function:elsewhere"
    with pytest.raises(ClientError) as error:
        logs.put_subscription_filter(
            logGroupName="not-existing-log-group", filterName="f", filterPattern="", destinationArn=foreign
        )
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(logs.exceptions.InvalidParameterException) as error:
        logs.put_subscription_filter(
            logGroupName=group, filterName="f", filterPattern="",
            destinationArn="arn:aws:kinesis:us-east-1:000000000000:stream/s",
        )  # fmt: skip
    assert (
        error.value.response["Error"]["Message"]
        == "destinationArn for vendor kinesis cannot be used without roleArn"
    )


def test_group_name_and_identifier_together_is_a_validation_error(logs, group):
    with pytest.raises(ClientError) as error:
        logs.describe_log_streams(logGroupName=group, logGroupIdentifier=group)
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_data_protection_masks_on_ingestion(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now - 10, "message": "before a@b.io"}]
    )
    email = "arn:aws:dataprotection::aws:data-identifier/EmailAddress"
    policy = {
        "Name": "mask-emails",
        "Version": "2021-06-01",
        "Configuration": {"CustomDataIdentifier": [{"Name": "Ticket", "Regex": "TCK-[0-9]{4}"}]},
        "Statement": [
            {
                "Sid": "audit",
                "DataIdentifier": [email, "Ticket"],
                "Operation": {"Audit": {"FindingsDestination": {}}},
            },
            {
                "Sid": "mask",
                "DataIdentifier": [email, "Ticket"],
                "Operation": {"Deidentify": {"MaskConfig": {}}},
            },
        ],
    }
    logs.put_data_protection_policy(logGroupIdentifier=group, policyDocument=json.dumps(policy))
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now, "message": "user a@b.io opened TCK-1234"}],
    )
    masked = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName="s")["events"]]
    assert masked == ["before a@b.io", "user ****** opened ********"]
    plain = logs.get_log_events(logGroupName=group, logStreamName="s", unmask=True)["events"]
    assert [e["message"] for e in plain] == ["before a@b.io", "user a@b.io opened TCK-1234"]
    filtered = logs.filter_log_events(logGroupName=group, filterPattern="opened", unmask=True)["events"]
    assert [e["message"] for e in filtered] == ["user a@b.io opened TCK-1234"]
    assert [
        e["message"] for e in logs.filter_log_events(logGroupName=group, filterPattern="opened")["events"]
    ] == ["user ****** opened ********"]


def test_create_log_group_with_a_kms_key(logs, client):
    kms = client("kms")
    key = kms.create_key()["KeyMetadata"]
    name = f"kms-{key['KeyId'][:8]}"
    logs.create_log_group(logGroupName=name, kmsKeyId=key["Arn"])
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["kmsKeyId"] == key["Arn"]
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(logs.exceptions.ClientError) as refused:
        logs.create_log_group(logGroupName=name + "-disabled", kmsKeyId=key["Arn"])
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    assert not logs.describe_log_groups(logGroupNamePrefix=name + "-disabled")["logGroups"]
