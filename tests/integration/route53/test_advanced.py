"""Route 53's newer zone features: record set protections that ChangeResourceRecordSets and
DeleteHostedZone respect, tiers and features, Change History on the ADVANCED tier, and health
check sources."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.route53.conftest import a_record, change


def test_protections(route53, zone):
    name = "locked." + zone["Name"]
    change(route53, zone["Id"], ("CREATE", a_record(name, "192.0.2.1")))
    route53.create_resource_record_set_protections(
        HostedZoneId=zone["Id"], Protections=[{"RecordName": name, "RecordType": "A", "Comment": "keep"}]
    )
    listed = route53.list_resource_record_set_protections(HostedZoneId=zone["Id"])[
        "ResourceRecordSetProtections"
    ]
    assert listed == [{"RecordName": name, "RecordType": "A", "Comment": "keep"}]
    with pytest.raises(ClientError) as caught:
        change(route53, zone["Id"], ("UPSERT", a_record(name, "192.0.2.2")))
    assert caught.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert "protected" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        route53.create_resource_record_set_protections(
            HostedZoneId=zone["Id"], Protections=[{"RecordName": name, "RecordType": "A"}]
        )
    assert caught.value.response["Error"]["Code"] == "ProtectionAlreadyExists"
    with pytest.raises(ClientError) as caught:
        route53.create_resource_record_set_protections(
            HostedZoneId=zone["Id"], Protections=[{"RecordName": "x.elsewhere.org", "RecordType": "A"}]
        )
    assert caught.value.response["Error"]["Code"] == "InvalidResourceRecordSetProtectionBatch"
    route53.delete_resource_record_set_protections(
        HostedZoneId=zone["Id"], Protections=[{"RecordName": name, "RecordType": "A"}]
    )
    change(route53, zone["Id"], ("UPSERT", a_record(name, "192.0.2.2")))


def test_zone_with_protections_cannot_be_deleted(route53, zone):
    route53.create_resource_record_set_protections(
        HostedZoneId=zone["Id"], Protections=[{"RecordName": "future." + zone["Name"], "RecordType": "TXT"}]
    )
    with pytest.raises(ClientError) as caught:
        route53.delete_hosted_zone(Id=zone["Id"])
    assert caught.value.response["Error"]["Code"] == "HostedZoneNotEmpty"


def test_change_history_on_the_advanced_tier(route53, zone):
    with pytest.raises(ClientError) as caught:
        route53.list_hosted_zone_change_batches(HostedZoneId=zone["Id"])
    assert caught.value.response["Error"]["Code"] == "FeatureNotEnabled"
    route53.update_hosted_zone_tier(HostedZoneId=zone["Id"], HostedZoneTier="ADVANCED")
    got = route53.get_hosted_zone(Id=zone["Id"])["HostedZone"]
    assert got["Config"]["HostedZoneTier"] == "ADVANCED"
    assert got["Features"]["ChangeHistory"]["Status"] == "ENABLED"
    first = change(route53, zone["Id"], ("CREATE", a_record("h." + zone["Name"], "192.0.2.1")))["ChangeInfo"][
        "Id"
    ].split("/")[-1]
    change(
        route53,
        zone["Id"],
        ("UPSERT", a_record("h." + zone["Name"], "192.0.2.2")),
        ("CREATE", a_record("i." + zone["Name"], "192.0.2.3")),
    )
    batches = route53.list_hosted_zone_change_batches(HostedZoneId=zone["Id"])["ChangeBatchSummaries"]
    assert [b["ChangeCount"] for b in batches] == [1, 2] and batches[0]["ChangeId"] == first
    one = route53.get_hosted_zone_change_batch(HostedZoneId=zone["Id"], ChangeId=first)
    assert one["ChangeBatch"]["Changes"][0]["ResourceRecordSet"]["ResourceRecords"] == [
        {"Value": "192.0.2.1"}
    ]
    changes = route53.list_resource_record_set_changes(
        HostedZoneId=zone["Id"], RecordName="h." + zone["Name"]
    )["ResourceRecordSetChanges"]
    assert [c["Action"] for c in changes] == ["CREATE", "UPSERT"]


def test_features(route53, zone):
    with pytest.raises(ClientError) as caught:
        route53.update_hosted_zone_features(HostedZoneId=zone["Id"], EnablePublicDNSFallback=True)
    assert caught.value.response["Error"]["Code"] == "InvalidInput"  # private zones only
    route53.update_hosted_zone_features(
        HostedZoneId=zone["Id"], ChangeGuardrails=[{"Name": "NS_FORMAT_CHECK", "Status": "ENABLED"}]
    )
    route53.update_hosted_zone_tier(HostedZoneId=zone["Id"], HostedZoneTier="ADVANCED")
    route53.update_hosted_zone_features(HostedZoneId=zone["Id"], EnableAcceleratedRecovery=True)
    features = route53.get_hosted_zone(Id=zone["Id"])["HostedZone"]["Features"]
    assert features["AcceleratedRecoveryStatus"] in ("ENABLING", "ENABLED")
    assert features["ChangeGuardrails"] == [{"Name": "NS_FORMAT_CHECK", "Status": "ENABLED"}]
    time.sleep(1.1)
    assert (
        route53.get_hosted_zone(Id=zone["Id"])["HostedZone"]["Features"]["AcceleratedRecoveryStatus"]
        == "ENABLED"
    )


def test_health_check_sources(route53):
    config = {
        "VpcId": "vpc-12345678",
        "SubnetConfigurationList": [
            {"SubnetId": "subnet-1", "AvailabilityZoneId": "use1-az1", "SecurityGroupIdList": ["sg-1"]},
            {"SubnetId": "subnet-2", "AvailabilityZoneId": "use1-az2", "SecurityGroupIdList": ["sg-1"]},
        ],
    }
    created = route53.create_health_check_source(
        CallerReference=uuid.uuid4().hex, HealthCheckSourceConfig=config
    )
    source_id = created["HealthCheckSourceId"]
    assert created["HealthCheckSourceStatus"] == "CREATE_PENDING"
    with pytest.raises(ClientError) as caught:
        route53.delete_health_check_source(HealthCheckSourceId=source_id)
    assert caught.value.response["Error"]["Code"] == "InvalidInput"
    time.sleep(1.1)
    assert (
        route53.get_health_check_source(HealthCheckSourceId=source_id)["HealthCheckSource"][
            "HealthCheckSourceStatus"
        ]
        == "CREATE_COMPLETED"
    )
    assert source_id in [
        s["HealthCheckSourceId"] for s in route53.list_health_check_sources()["HealthCheckSources"]
    ]
    assert route53.list_health_checks_by_source(HealthCheckSourceId=source_id)["HealthChecks"] == []
    assert (
        route53.delete_health_check_source(HealthCheckSourceId=source_id)["HealthCheckSourceStatus"]
        == "DELETE_PENDING"
    )
    time.sleep(1.1)
    with pytest.raises(ClientError) as caught:
        route53.get_health_check_source(HealthCheckSourceId=source_id)
    assert caught.value.response["Error"]["Code"] == "NoSuchHealthCheckSource"
