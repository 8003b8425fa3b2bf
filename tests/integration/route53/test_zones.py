"""Hosted zones: create, read, list (by name, with paging), comments, private zones and their
VPCs, delegation sets, counts and limits, tags, and the errors Route 53 answers."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.route53.conftest import a_record, change


def test_zone_has_soa_and_ns_and_delegation(route53, zone):
    got = route53.get_hosted_zone(Id=zone["Id"])
    assert got["HostedZone"]["Name"] == zone["Name"]
    assert got["HostedZone"]["ResourceRecordSetCount"] == 2
    servers = got["DelegationSet"]["NameServers"]
    assert len(servers) == 4
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    assert [(r["Name"], r["Type"]) for r in records] == [(zone["Name"], "NS"), (zone["Name"], "SOA")]
    assert sorted(v["Value"] for v in records[0]["ResourceRecords"]) == sorted(s + "." for s in servers)


def test_caller_reference_is_unique(route53):
    reference = uuid.uuid4().hex
    route53.create_hosted_zone(Name="dup-ref.test", CallerReference=reference)
    with pytest.raises(ClientError) as caught:
        route53.create_hosted_zone(Name="other.test", CallerReference=reference)
    assert caught.value.response["Error"]["Code"] == "HostedZoneAlreadyExists"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_missing_zone(route53):
    with pytest.raises(ClientError) as caught:
        route53.get_hosted_zone(Id="ZNOTAZONE123")
    assert caught.value.response["Error"]["Code"] == "NoSuchHostedZone"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_delete_needs_an_empty_zone(route53, zone):
    change(route53, zone["Id"], ("CREATE", a_record("www." + zone["Name"], "10.0.0.1")))
    with pytest.raises(ClientError) as caught:
        route53.delete_hosted_zone(Id=zone["Id"])
    assert caught.value.response["Error"]["Code"] == "HostedZoneNotEmpty"
    change(route53, zone["Id"], ("DELETE", a_record("www." + zone["Name"], "10.0.0.1")))
    assert route53.delete_hosted_zone(Id=zone["Id"])["ChangeInfo"]["Status"] in ("PENDING", "INSYNC")
    with pytest.raises(ClientError):
        route53.get_hosted_zone(Id=zone["Id"])


def test_comment_and_count(route53, zone):
    before = route53.get_hosted_zone_count()["HostedZoneCount"]
    assert before >= 1
    route53.update_hosted_zone_comment(Id=zone["Id"], Comment="hello")
    assert route53.get_hosted_zone(Id=zone["Id"])["HostedZone"]["Config"]["Comment"] == "hello"
    limit = route53.get_hosted_zone_limit(Type="MAX_RRSETS_BY_ZONE", HostedZoneId=zone["Id"])
    assert limit["Count"] == 2 and limit["Limit"]["Value"] == 10000
    account = route53.get_account_limit(Type="MAX_HOSTED_ZONES_BY_OWNER")
    assert account["Count"] == before


def test_list_by_name_pages_in_dns_order(route53):
    suffix = uuid.uuid4().hex[:6]
    names = [f"b{suffix}.test.", f"a{suffix}.test.", f"x.a{suffix}.test."]
    for name in names:
        route53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)
    page = route53.list_hosted_zones_by_name(DNSName=f"a{suffix}.test", MaxItems="2")
    assert [z["Name"] for z in page["HostedZones"]] == [f"a{suffix}.test.", f"x.a{suffix}.test."]
    assert page["IsTruncated"] and page["NextDNSName"] == f"b{suffix}.test."
    following = route53.list_hosted_zones_by_name(
        DNSName=page["NextDNSName"], HostedZoneId=page["NextHostedZoneId"], MaxItems="1"
    )
    assert following["HostedZones"][0]["Name"] == f"b{suffix}.test."
    every = [
        z["Id"]
        for p in route53.get_paginator("list_hosted_zones").paginate(PaginationConfig={"PageSize": 2})
        for z in p["HostedZones"]
    ]
    assert len(every) == len(set(every)) >= 3


def test_private_zone_and_vpcs(route53, r53_client):
    import boto3

    east = r53_client("ec2").create_vpc(CidrBlock="10.11.0.0/16")["Vpc"]["VpcId"]
    west_client = boto3.client(
        "ec2",
        endpoint_url=route53.meta.endpoint_url,
        region_name="us-west-2",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    west = west_client.create_vpc(CidrBlock="10.12.0.0/16")["Vpc"]["VpcId"]
    for refused in (
        lambda: route53.create_hosted_zone(
            Name="nowhere.corp",
            CallerReference=uuid.uuid4().hex,
            VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-0000000000000000f"},
        ),
        lambda: route53.create_hosted_zone(  # the VPC lives in another region
            Name="nowhere.corp",
            CallerReference=uuid.uuid4().hex,
            VPC={"VPCRegion": "us-east-1", "VPCId": west},
        ),
    ):
        with pytest.raises(ClientError) as caught:
            refused()
        assert caught.value.response["Error"] == {
            "Code": "InvalidVPCId",
            "Message": "The VPC ID is invalid.",
            "Type": "Sender",
        }
    created = route53.create_hosted_zone(
        Name="internal.corp",
        CallerReference=uuid.uuid4().hex,
        VPC={"VPCRegion": "us-east-1", "VPCId": east},
        HostedZoneConfig={"PrivateZone": True, "Comment": "private"},
    )
    zone_id = created["HostedZone"]["Id"]
    assert created["HostedZone"]["Config"]["PrivateZone"] is True
    assert "DelegationSet" not in created and created["VPC"] == {"VPCRegion": "us-east-1", "VPCId": east}
    route53.associate_vpc_with_hosted_zone(
        HostedZoneId=zone_id, VPC={"VPCRegion": "us-west-2", "VPCId": west}
    )
    vpcs = route53.get_hosted_zone(Id=zone_id)["VPCs"]
    assert {v["VPCId"] for v in vpcs} == {east, west}
    by_vpc = route53.list_hosted_zones_by_vpc(VPCId=west, VPCRegion="us-west-2")["HostedZoneSummaries"]
    assert [z["HostedZoneId"] for z in by_vpc] == [zone_id.split("/")[-1]]
    route53.disassociate_vpc_from_hosted_zone(
        HostedZoneId=zone_id, VPC={"VPCRegion": "us-west-2", "VPCId": west}
    )
    with pytest.raises(ClientError) as caught:
        route53.disassociate_vpc_from_hosted_zone(
            HostedZoneId=zone_id, VPC={"VPCRegion": "us-east-1", "VPCId": east}
        )
    assert caught.value.response["Error"]["Code"] == "LastVPCAssociation"


def test_public_zone_takes_no_vpc(route53, zone):
    with pytest.raises(ClientError) as caught:
        route53.associate_vpc_with_hosted_zone(
            HostedZoneId=zone["Id"], VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-1"}
        )
    assert caught.value.response["Error"]["Code"] == "PublicZoneVPCAssociation"


def test_reusable_delegation_set(route53):
    created = route53.create_reusable_delegation_set(CallerReference=uuid.uuid4().hex)["DelegationSet"]
    set_id = created["Id"].split("/")[-1]
    zone = route53.create_hosted_zone(
        Name="delegated.test", CallerReference=uuid.uuid4().hex, DelegationSetId=set_id
    )
    assert zone["DelegationSet"]["NameServers"] == created["NameServers"]
    with pytest.raises(ClientError) as caught:
        route53.delete_reusable_delegation_set(Id=set_id)
    assert caught.value.response["Error"]["Code"] == "DelegationSetInUse"
    listed = route53.list_hosted_zones(DelegationSetId=set_id)["HostedZones"]
    assert [z["Id"] for z in listed] == [zone["HostedZone"]["Id"]]
    route53.delete_hosted_zone(Id=zone["HostedZone"]["Id"])
    route53.delete_reusable_delegation_set(Id=set_id)


def test_tags(route53, zone):
    route53.change_tags_for_resource(
        ResourceType="hostedzone",
        ResourceId=zone["Id"],
        AddTags=[{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}],
    )
    route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone["Id"], RemoveTagKeys=["env"])
    tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone["Id"])["ResourceTagSet"][
        "Tags"
    ]
    assert tags == [{"Key": "team", "Value": "blue"}]
    sets = route53.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=[zone["Id"]])[
        "ResourceTagSets"
    ]
    assert sets[0]["ResourceId"] == zone["Id"]


def test_dnssec_signing_keys(route53, zone):
    kms = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"
    with pytest.raises(ClientError) as caught:
        route53.enable_hosted_zone_dnssec(HostedZoneId=zone["Id"])
    assert caught.value.response["Error"]["Code"] == "KeySigningKeyWithActiveStatusNotFound"
    key = route53.create_key_signing_key(
        CallerReference=uuid.uuid4().hex,
        HostedZoneId=zone["Id"],
        KeyManagementServiceArn=kms,
        Name="ksk1",
        Status="ACTIVE",
    )["KeySigningKey"]
    assert key["Flag"] == 257 and key["DSRecord"].startswith(str(key["KeyTag"]))
    route53.enable_hosted_zone_dnssec(HostedZoneId=zone["Id"])
    assert route53.get_dnssec(HostedZoneId=zone["Id"])["Status"]["ServeSignature"] == "SIGNING"
    with pytest.raises(ClientError) as caught:
        route53.deactivate_key_signing_key(HostedZoneId=zone["Id"], Name="ksk1")
    assert caught.value.response["Error"]["Code"] == "KeySigningKeyInUse"
    route53.disable_hosted_zone_dnssec(HostedZoneId=zone["Id"])
    route53.deactivate_key_signing_key(HostedZoneId=zone["Id"], Name="ksk1")
    route53.delete_key_signing_key(HostedZoneId=zone["Id"], Name="ksk1")
    assert route53.get_dnssec(HostedZoneId=zone["Id"])["KeySigningKeys"] == []


def test_query_logging_needs_a_log_group(route53, zone):
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/route53/nothing-" + zone["Id"]
    with pytest.raises(ClientError) as caught:
        route53.create_query_logging_config(HostedZoneId=zone["Id"], CloudWatchLogsLogGroupArn=arn)
    assert caught.value.response["Error"]["Code"] == "NoSuchCloudWatchLogsLogGroup"


def test_traffic_policies(route53, zone):
    document = '{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"A","Endpoints":{"e":{"Type":"value","Value":"10.0.0.1"}},"StartEndpoint":"e"}'
    policy = route53.create_traffic_policy(Name=f"p-{uuid.uuid4().hex[:6]}", Document=document)[
        "TrafficPolicy"
    ]
    version = route53.create_traffic_policy_version(Id=policy["Id"], Document=document)["TrafficPolicy"]
    assert version["Version"] == 2
    instance = route53.create_traffic_policy_instance(
        HostedZoneId=zone["Id"],
        Name="tp." + zone["Name"],
        TTL=60,
        TrafficPolicyId=policy["Id"],
        TrafficPolicyVersion=2,
    )["TrafficPolicyInstance"]
    assert (
        route53.get_traffic_policy_instance(Id=instance["Id"])["TrafficPolicyInstance"]["State"] == "Applied"
    )
    made = [
        r
        for r in route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        if r.get("TrafficPolicyInstanceId")
    ]
    assert [(r["Name"], r["Type"], r["TTL"], r["ResourceRecords"]) for r in made] == [
        ("tp." + zone["Name"], "A", 60, [{"Value": "10.0.0.1"}])
    ]
    with pytest.raises(ClientError) as caught:
        route53.delete_traffic_policy(Id=policy["Id"], Version=2)
    assert caught.value.response["Error"]["Code"] == "TrafficPolicyInUse"
    route53.delete_traffic_policy_instance(Id=instance["Id"])
    listed = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    assert not [r for r in listed if r.get("TrafficPolicyInstanceId")]
    with pytest.raises(ClientError) as caught:
        route53.create_traffic_policy(Name="bad", Document="{}")
    assert caught.value.response["Error"]["Code"] == "InvalidTrafficPolicyDocument"


def test_geolocations(route53):
    assert route53.get_geo_location(CountryCode="US")["GeoLocationDetails"]["CountryName"] == "United States"
    with pytest.raises(ClientError) as caught:
        route53.get_geo_location(CountryCode="ZZ")
    assert caught.value.response["Error"]["Code"] == "NoSuchGeoLocation"
    page = route53.list_geo_locations(MaxItems="3")
    assert len(page["GeoLocationDetailsList"]) == 3 and page["IsTruncated"]
