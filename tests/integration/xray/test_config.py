"""X-Ray's configuration: sampling rules and targets, groups, encryption through KMS,
resource policies, tags, indexing rules and the segment destination."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def xray(client):
    return client("xray")


def rule(name: str, **changes) -> dict:
    return {
        "RuleName": name,
        "ResourceARN": "*",
        "Priority": 100,
        "FixedRate": 0.2,
        "ReservoirSize": 4,
        "ServiceName": "shop-*",
        "ServiceType": "*",
        "Host": "*",
        "HTTPMethod": "*",
        "URLPath": "*",
        "Version": 1,
        **changes,
    }


def code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def test_the_default_rule_exists_and_cannot_be_deleted(xray):
    records = xray.get_sampling_rules()["SamplingRuleRecords"]
    default = next(r["SamplingRule"] for r in records if r["SamplingRule"]["RuleName"] == "Default")
    assert (default["Priority"], default["FixedRate"], default["ReservoirSize"]) == (10000, 0.05, 1)
    with pytest.raises(ClientError) as error:
        xray.delete_sampling_rule(RuleName="Default")
    assert code(error) == "InvalidRequestException"
    with pytest.raises(ClientError):
        xray.update_sampling_rule(SamplingRuleUpdate={"RuleName": "Default", "Host": "x"})


def test_sampling_rules_are_created_updated_and_deleted(xray):
    name = f"r-{uuid.uuid4().hex[:8]}"
    created = xray.create_sampling_rule(SamplingRule=rule(name), Tags=[{"Key": "team", "Value": "shop"}])
    arn = created["SamplingRuleRecord"]["SamplingRule"]["RuleARN"]
    assert arn.endswith(f":sampling-rule/{name}")
    with pytest.raises(ClientError) as error:
        xray.create_sampling_rule(SamplingRule=rule(name))
    assert code(error) == "InvalidRequestException"
    with pytest.raises(ClientError):
        xray.create_sampling_rule(SamplingRule=rule(f"{name}x", FixedRate=1.5))
    updated = xray.update_sampling_rule(SamplingRuleUpdate={"RuleARN": arn, "FixedRate": 0.5})
    assert updated["SamplingRuleRecord"]["SamplingRule"]["FixedRate"] == 0.5
    assert xray.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "shop"}]
    names = [r["SamplingRule"]["RuleName"] for r in xray.get_sampling_rules()["SamplingRuleRecords"]]
    assert names.index(name) < names.index("Default")  # ordered by priority
    xray.delete_sampling_rule(RuleName=name)
    with pytest.raises(ClientError):
        xray.delete_sampling_rule(RuleName=name)


def test_sampling_targets_share_the_reservoir_among_clients(xray):
    name = f"t-{uuid.uuid4().hex[:8]}"
    xray.create_sampling_rule(SamplingRule=rule(name, ReservoirSize=10, FixedRate=0.1))
    now = time.time()

    def report(client_id: str) -> dict:
        return {
            "RuleName": name,
            "ClientID": client_id,
            "Timestamp": now,
            "RequestCount": 10,
            "SampledCount": 2,
        }

    first = xray.get_sampling_targets(SamplingStatisticsDocuments=[report("a" * 24)])
    target = first["SamplingTargetDocuments"][0]
    assert (target["FixedRate"], target["ReservoirQuota"], target["Interval"]) == (0.1, 10, 10)
    second = xray.get_sampling_targets(
        SamplingStatisticsDocuments=[report("b" * 24), {**report("c" * 24), "RuleName": "nope"}]
    )
    assert second["SamplingTargetDocuments"][0]["ReservoirQuota"] == 5
    assert second["UnprocessedStatistics"][0]["RuleName"] == "nope"
    summaries = xray.get_sampling_statistic_summaries()["SamplingStatisticSummaries"]
    mine = next(s for s in summaries if s["RuleName"] == name)
    assert (mine["RequestCount"], mine["SampledCount"]) == (20, 4)


def test_groups_validate_their_filter_expression(xray):
    name = f"g-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as error:
        xray.create_group(GroupName=name, FilterExpression="responsetime >")
    assert code(error) == "InvalidRequestException"
    group = xray.create_group(GroupName=name, FilterExpression="fault", Tags=[{"Key": "k", "Value": "v"}])[
        "Group"
    ]
    assert group["InsightsConfiguration"] == {"InsightsEnabled": False, "NotificationsEnabled": False}
    assert xray.get_group(GroupARN=group["GroupARN"])["Group"]["FilterExpression"] == "fault"
    updated = xray.update_group(
        GroupName=name, FilterExpression="error", InsightsConfiguration={"InsightsEnabled": True}
    )
    assert updated["Group"]["FilterExpression"] == "error"
    assert updated["Group"]["InsightsConfiguration"]["InsightsEnabled"] is True
    names = [g["GroupName"] for g in xray.get_groups()["Groups"]]
    assert "Default" in names and name in names
    xray.tag_resource(ResourceARN=group["GroupARN"], Tags=[{"Key": "k2", "Value": "v2"}])
    xray.untag_resource(ResourceARN=group["GroupARN"], TagKeys=["k"])
    assert xray.list_tags_for_resource(ResourceARN=group["GroupARN"])["Tags"] == [
        {"Key": "k2", "Value": "v2"}
    ]
    xray.delete_group(GroupName=name)
    with pytest.raises(ClientError):
        xray.get_group(GroupName=name)
    with pytest.raises(ClientError) as error:
        xray.list_tags_for_resource(ResourceARN=group["GroupARN"])
    assert code(error) == "ResourceNotFoundException"


def test_encryption_with_a_kms_key(xray, client):
    key_id = client("kms").create_key()["KeyMetadata"]["KeyId"]
    config = xray.put_encryption_config(Type="KMS", KeyId=key_id)["EncryptionConfig"]
    assert config["Type"] == "KMS" and config["KeyId"].endswith(key_id)
    assert xray.get_encryption_config()["EncryptionConfig"]["KeyId"] == config["KeyId"]
    with pytest.raises(ClientError) as error:
        xray.put_encryption_config(Type="KMS", KeyId="alias/does-not-exist")
    assert code(error) == "InvalidRequestException"
    assert xray.put_encryption_config(Type="NONE")["EncryptionConfig"] == {"Type": "NONE", "Status": "ACTIVE"}


def test_resource_policies_keep_revisions(xray):
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "xray:PutTraceSegments",
                    "Resource": "*",
                }
            ],
        }
    )
    first = xray.put_resource_policy(PolicyName="sns", PolicyDocument=document)["ResourcePolicy"]
    second = xray.put_resource_policy(
        PolicyName="sns", PolicyDocument=document, PolicyRevisionId=first["PolicyRevisionId"]
    )["ResourcePolicy"]
    assert second["PolicyRevisionId"] != first["PolicyRevisionId"]
    with pytest.raises(ClientError) as error:
        xray.put_resource_policy(
            PolicyName="sns", PolicyDocument=document, PolicyRevisionId=first["PolicyRevisionId"]
        )
    assert code(error) == "InvalidPolicyRevisionIdException"
    with pytest.raises(ClientError) as error:
        xray.put_resource_policy(PolicyName="bad", PolicyDocument="{not json")
    assert code(error) == "MalformedPolicyDocumentException"
    assert [p["PolicyName"] for p in xray.list_resource_policies()["ResourcePolicies"]] == ["sns"]
    xray.delete_resource_policy(PolicyName="sns")
    assert xray.list_resource_policies()["ResourcePolicies"] == []


def test_indexing_rules_and_destination(xray):
    assert [r["Name"] for r in xray.get_indexing_rules()["IndexingRules"]] == ["Default"]
    updated = xray.update_indexing_rule(
        Name="Default", Rule={"Probabilistic": {"DesiredSamplingPercentage": 5}}
    )
    assert updated["IndexingRule"]["Rule"]["Probabilistic"]["DesiredSamplingPercentage"] == 5
    with pytest.raises(ClientError) as error:
        xray.update_indexing_rule(Name="Other", Rule={"Probabilistic": {"DesiredSamplingPercentage": 5}})
    assert code(error) == "ResourceNotFoundException"
    assert xray.get_trace_segment_destination()["Destination"] == "XRay"
    xray.put_telemetry_records(TelemetryRecords=[{"Timestamp": time.time(), "SegmentsReceivedCount": 1}])


def test_anomalies_boost_a_rule_with_a_sampling_rate_boost(xray):
    name = f"b-{uuid.uuid4().hex[:8]}"
    boost = {"MaxRate": 0.8, "CooldownWindowMinutes": 5}
    xray.create_sampling_rule(SamplingRule=rule(name, SamplingRateBoost=boost))
    now = time.time()
    stats = [{"RuleName": name, "ClientID": "d" * 24, "Timestamp": now, "RequestCount": 1, "SampledCount": 1}]

    def anomaly(rule_name: str, count: int) -> dict:
        return {
            "RuleName": rule_name,
            "ServiceName": "shop",
            "Timestamp": now,
            "AnomalyCount": count,
            "TotalCount": 10,
            "SampledAnomalyCount": count,
        }

    quiet = xray.get_sampling_targets(
        SamplingStatisticsDocuments=stats, SamplingBoostStatisticsDocuments=[anomaly(name, 0)]
    )
    assert "SamplingBoost" not in quiet["SamplingTargetDocuments"][0]
    out = xray.get_sampling_targets(
        SamplingStatisticsDocuments=stats,
        SamplingBoostStatisticsDocuments=[anomaly(name, 2), anomaly("Default", 1)],
    )
    target = out["SamplingTargetDocuments"][0]
    assert target["SamplingBoost"]["BoostRate"] == 0.8
    assert target["SamplingBoost"]["BoostRateTTL"].timestamp() == pytest.approx(now + 300, abs=5)
    assert [u["RuleName"] for u in out["UnprocessedBoostStatistics"]] == ["Default"]
