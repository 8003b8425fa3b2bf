"""Resource policies, Contributor Insights and Kinesis streaming destinations through boto3."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.integration.dynamodb.helpers import make_table


def error_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def policy(action: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": [action], "Resource": "*"}
            ],
        }
    )


def arn_of(ddb, name: str) -> str:
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]


def test_resource_policy_revisions(ddb):
    name = make_table(ddb)
    arn = arn_of(ddb, name)
    prefix = "Resource-based policy not found for the provided ResourceArn: "
    assert error_of(ddb.get_resource_policy, ResourceArn=arn) == ("PolicyNotFoundException", prefix + arn)
    first = ddb.put_resource_policy(
        ResourceArn=arn, Policy=policy("dynamodb:*"), ExpectedRevisionId="NO_POLICY"
    )["RevisionId"]
    got = ddb.get_resource_policy(ResourceArn=arn)
    assert got["RevisionId"] == first and json.loads(got["Policy"])["Statement"][0]["Action"] == [
        "dynamodb:*"
    ]
    # The same policy again is no change; another is a later revision.
    assert ddb.put_resource_policy(ResourceArn=arn, Policy=policy("dynamodb:*"))["RevisionId"] == first
    second = ddb.put_resource_policy(
        ResourceArn=arn, Policy=policy("dynamodb:GetItem"), ExpectedRevisionId=first
    )["RevisionId"]
    assert int(second) > int(first)
    assert error_of(
        ddb.put_resource_policy, ResourceArn=arn, Policy=policy("dynamodb:PutItem"), ExpectedRevisionId=first
    ) == (
        "PolicyNotFoundException",
        prefix + f"Requested update for policy with revision id {first}, but the policy associated to target"
        f" table {name} has revision id {second}.",
    )
    assert error_of(
        ddb.put_resource_policy,
        ResourceArn=arn,
        Policy=policy("dynamodb:PutItem"),
        ExpectedRevisionId="NO_POLICY",
    ) == (
        "PolicyNotFoundException",
        prefix + f"Requested policy update expecting none to be present for table {name}, but a policy exists"
        f" with revision id {second}.",
    )
    assert error_of(ddb.delete_resource_policy, ResourceArn=arn, ExpectedRevisionId="unknown")[0] == (
        "PolicyNotFoundException"
    )
    assert ddb.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId=second)["RevisionId"] == second
    assert error_of(ddb.get_resource_policy, ResourceArn=arn)[0] == "PolicyNotFoundException"
    for call in (ddb.get_resource_policy, ddb.delete_resource_policy):
        assert error_of(call, ResourceArn=arn + "x") == (
            "ResourceNotFoundException",
            f"Requested resource not found: Table: {name}x not found",
        )
    assert error_of(ddb.put_resource_policy, ResourceArn=arn, Policy="{not json")[0] == "ValidationException"


def test_stream_resource_policy(ddb):
    name = make_table(ddb, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    stream = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    revision = ddb.put_resource_policy(ResourceArn=stream, Policy=policy("dynamodb:GetRecords"))["RevisionId"]
    assert ddb.get_resource_policy(ResourceArn=stream)["RevisionId"] == revision
    assert error_of(ddb.get_resource_policy, ResourceArn=arn_of(ddb, name))[0] == "PolicyNotFoundException"


def test_contributor_insights(ddb):
    gsi = {
        "IndexName": "byV",
        "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }
    name = make_table(
        ddb, ExtraAttributes=[{"AttributeName": "v", "AttributeType": "S"}], GlobalSecondaryIndexes=[gsi]
    )
    assert ddb.describe_contributor_insights(TableName=name)["ContributorInsightsStatus"] == "DISABLED"
    enabled = ddb.update_contributor_insights(TableName=name, ContributorInsightsAction="ENABLE")
    assert enabled["ContributorInsightsStatus"] == "ENABLING"
    described = ddb.describe_contributor_insights(TableName=name)
    assert described["ContributorInsightsStatus"] == "ENABLED"
    assert described["ContributorInsightsMode"] == "ACCESSED_AND_THROTTLED_KEYS"
    assert [rule.split("-")[1] for rule in described["ContributorInsightsRuleList"]] == [
        "PKC",
        "PKT",
        "SKC",
        "SKT",
    ]
    ddb.update_contributor_insights(
        TableName=name,
        IndexName="byV",
        ContributorInsightsAction="ENABLE",
        ContributorInsightsMode="THROTTLED_KEYS",
    )
    index = ddb.describe_contributor_insights(TableName=name, IndexName="byV")
    assert index["IndexName"] == "byV" and index["ContributorInsightsMode"] == "THROTTLED_KEYS"
    assert len(index["ContributorInsightsRuleList"]) == 1
    listed = ddb.list_contributor_insights(TableName=name)["ContributorInsightsSummaries"]
    assert {(s["TableName"], s.get("IndexName")) for s in listed} == {(name, None), (name, "byV")}
    assert (
        ddb.update_contributor_insights(TableName=name, ContributorInsightsAction="DISABLE")[
            "ContributorInsightsStatus"
        ]
        == "DISABLING"
    )
    assert ddb.describe_contributor_insights(TableName=name)["ContributorInsightsStatus"] == "DISABLED"
    assert error_of(ddb.describe_contributor_insights, TableName=name, IndexName="nope")[0] == (
        "ResourceNotFoundException"
    )
    assert error_of(ddb.describe_contributor_insights, TableName=name + "x")[0] == "ResourceNotFoundException"


def test_kinesis_destinations_need_a_stream(ddb):
    name = make_table(ddb)
    stream = "arn:aws:kinesis:us-east-1:000000000000:stream/none"
    assert ddb.describe_kinesis_streaming_destination(TableName=name)["KinesisDataStreamDestinations"] == []
    assert error_of(ddb.enable_kinesis_streaming_destination, TableName=name, StreamArn=stream) == (
        "ValidationException",
        "User does not have a permission to use kinesis stream",
    )
    assert error_of(ddb.enable_kinesis_streaming_destination, TableName="bad-table", StreamArn=stream) == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: bad-table not found",
    )
    assert error_of(ddb.update_kinesis_streaming_destination, TableName=name, StreamArn=stream) == (
        "ValidationException",
        "Streaming destination cannot be updated with given parameters: UpdateKinesisStreamingConfiguration"
        " cannot be null or contain only null values",
    )
    assert error_of(ddb.disable_kinesis_streaming_destination, TableName=name, StreamArn=stream) == (
        "ValidationException",
        "Table is not in a valid state to enable Kinesis Streaming Destination: No streaming destination with"
        f" streamArn: {stream} found for table with tableName: {name}",
    )


def test_a_table_policy_is_enforced(enforced):
    """Under --enforce-iam a Deny in a table's policy reaches even the account's root, while the
    owner can still manage the policy itself."""
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=enforced.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    name = make_table(ddb, range_key=None)
    arn = arn_of(ddb, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": ["dynamodb:*"], "Resource": arn}],
    }
    ddb.put_resource_policy(ResourceArn=arn, Policy=json.dumps(deny))
    code, _ = error_of(ddb.get_item, TableName=name, Key={"pk": {"S": "a"}})
    assert code == "AccessDeniedException"
    ddb.delete_resource_policy(ResourceArn=arn)
    assert ddb.get_item(TableName=name, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
