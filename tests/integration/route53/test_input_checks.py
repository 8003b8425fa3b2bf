"""Route 53's answers to badly formed input, as AWS words them: a change's shape checked for
every action (DELETE included), the 1,000-record quota of a batch (an UPSERT's records counted
twice), characters a name may not hold, an unknown action, a tagged zone named by its
`/hostedzone/` path, a query logging config's log group ARN, and health check defaults."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.route53.conftest import a_record, change


def refused(call, **params) -> dict:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]


def test_delete_needs_the_full_record_set(route53, zone):
    name = "del." + zone["Name"].rstrip(".")
    change(route53, zone["Id"], ("CREATE", a_record(name, "10.0.0.1")))
    err = refused(
        route53.change_resource_record_sets,
        HostedZoneId=zone["Id"],
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": {"Name": name, "Type": "A"}}]},
    )
    assert err["Code"] == "InvalidInput"
    assert err["Message"] == (
        "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or "
        f"TrafficPolicyInstanceId], but found none in Change with [Action=DELETE, Name={name}, Type=A, "
        "SetIdentifier=null]"
    )


def test_policy_without_set_identifier_names_the_action(route53, zone):
    record = a_record("w." + zone["Name"], "10.0.0.1", Weight=10)
    err = refused(
        route53.change_resource_record_sets,
        HostedZoneId=zone["Id"],
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]},
    )
    assert err["Code"] == "InvalidInput"
    assert err["Message"] == (
        f"Invalid request: Missing field 'SetIdentifier' in Change with [Action=UPSERT, Name=w.{zone['Name']}, "
        "Type=A, SetIdentifier=null]"
    )


def test_batch_holds_at_most_1000_records_upserts_counted_twice(route53, zone):
    values = [f"10.0.{i // 250}.{i % 250}" for i in range(250)]
    four = [("CREATE", a_record(f"r{i}.{zone['Name']}", *values)) for i in range(4)]
    change(route53, zone["Id"], *four)  # exactly 1,000
    with pytest.raises(ClientError) as caught:
        change(route53, zone["Id"], *four, ("CREATE", a_record("one." + zone["Name"], "10.9.9.9")))
    assert caught.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert caught.value.response["Error"]["Message"] == "Number of records limit of 1000 exceeded."
    two = [("UPSERT", a_record(f"r{i}.{zone['Name']}", *values)) for i in range(2)]
    change(route53, zone["Id"], *two)  # 500 records, counted as 1,000
    with pytest.raises(ClientError) as caught:
        change(route53, zone["Id"], *two, ("UPSERT", a_record("one." + zone["Name"], "10.9.9.9")))
    assert caught.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert caught.value.response["Error"]["Message"] == "Number of records limit of 1000 exceeded."


@pytest.mark.parametrize("character", [" ", "\t"])
def test_unsupported_characters_in_names(route53, zone, character):
    name = f"i{character}d.{zone['Name']}"
    message = f"FATAL problem: UnsupportedCharacter (Value contains unsupported characters) encountered with '{character}'"
    err = refused(route53.list_resource_record_sets, HostedZoneId=zone["Id"], StartRecordName=name)
    assert (err["Code"], err["Message"]) == ("InvalidInput", message)
    with pytest.raises(ClientError) as caught:
        change(route53, zone["Id"], ("CREATE", a_record(name, "10.0.0.1")))
    assert caught.value.response["Error"]["Code"] == "InvalidChangeBatch"
    assert caught.value.response["Error"]["Message"] == message
    # An escaped space is a name's own character.
    escaped = f"i\\ d.{zone['Name']}"
    route53.list_resource_record_sets(HostedZoneId=zone["Id"], StartRecordName=escaped)


def test_start_record_type_needs_a_name(route53, zone):
    err = refused(route53.list_resource_record_sets, HostedZoneId=zone["Id"], StartRecordType="A")
    assert (err["Code"], err["Message"]) == ("InvalidInput", "The input is not valid")


def test_unknown_action_is_an_xml_schema_error(route53, zone):
    err = refused(
        route53.change_resource_record_sets,
        HostedZoneId=zone["Id"],
        ChangeBatch={
            "Changes": [
                {"Action": "INVALID_ACTION", "ResourceRecordSet": a_record("x." + zone["Name"], "10.0.0.1")}
            ]
        },
    )
    assert err["Code"] == "InvalidInput"
    assert err["Message"] == (
        "Invalid XML ; cvc-enumeration-valid: Value 'INVALID_ACTION' is not facet-valid with respect to "
        "enumeration '[CREATE, DELETE, UPSERT]'. It must be a value from the enumeration."
    )


def test_tags_name_a_zone_by_its_id_not_its_path(route53, zone):
    path = "/hostedzone/" + zone["Id"]
    for call, extra in (
        (route53.change_tags_for_resource, {"AddTags": [{"Key": "k", "Value": "v"}]}),
        (route53.list_tags_for_resource, {}),
    ):
        err = refused(call, ResourceType="hostedzone", ResourceId=path, **extra)
        assert err["Code"] == "InvalidInput"
        assert err["Message"] == (
            f"1 validation error detected: Value '{path}' at 'resourceId' failed to satisfy constraint: "
            "Member must have length less than or equal to 32"
        )
    err = refused(
        route53.change_tags_for_resource,
        ResourceType="hostedzone",
        ResourceId=path[:32],
        AddTags=[{"Key": "k", "Value": "v"}],
    )
    assert err["Code"] == "NoSuchHostedZone"
    route53.change_tags_for_resource(
        ResourceType="hostedzone", ResourceId=zone["Id"], AddTags=[{"Key": "k", "Value": "v"}]
    )
    tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone["Id"])["ResourceTagSet"]
    assert tags == {
        "ResourceType": "hostedzone",
        "ResourceId": zone["Id"],
        "Tags": [{"Key": "k", "Value": "v"}],
    }


def test_query_logging_needs_a_log_group_arn_in_us_east_1(route53, zone):
    for arn in (
        "arn:aws:logs:us-east-1:000000000000:foo-bar:foo",
        "arn:aws:logs:us-west-1:000000000000:log-group:/aws/route53/x",
    ):
        err = refused(
            route53.create_query_logging_config, HostedZoneId=zone["Id"], CloudWatchLogsLogGroupArn=arn
        )
        assert (err["Code"], err["Message"]) == (
            "InvalidInput",
            "The ARN for the CloudWatch Logs log group is invalid",
        )
    err = refused(
        route53.create_query_logging_config,
        HostedZoneId=zone["Id"],
        CloudWatchLogsLogGroupArn="arn:aws:logs:us-east-1:000000000000:log-group:/aws/route53/missing-group",
    )
    assert err["Code"] == "NoSuchCloudWatchLogsLogGroup"


def test_health_check_defaults_and_unknown_id(route53):
    config = {"IPAddress": "127.0.0.1", "Port": 9, "Type": "HTTP", "ResourcePath": "/"}
    check = route53.create_health_check(CallerReference="sni-default-http", HealthCheckConfig=config)
    assert check["HealthCheck"]["HealthCheckConfig"]["EnableSNI"] is False
    secure = route53.create_health_check(
        CallerReference="sni-default-https", HealthCheckConfig={**config, "Type": "HTTPS"}
    )
    assert secure["HealthCheck"]["HealthCheckConfig"]["EnableSNI"] is True
    for ident in (check["HealthCheck"]["Id"], secure["HealthCheck"]["Id"]):
        route53.delete_health_check(HealthCheckId=ident)
    err = refused(route53.get_health_check, HealthCheckId="unknown")
    assert (err["Code"], err["Message"]) == (
        "NoSuchHealthCheck",
        "A health check with id unknown does not exist.",
    )


def test_vpc_association_with_a_public_zone(route53, zone):
    err = refused(
        route53.associate_vpc_with_hosted_zone,
        HostedZoneId=zone["Id"],
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"},
    )
    assert err["Code"] == "PublicZoneVPCAssociation"
    assert err["Message"] == (
        "You're trying to associate a VPC with a public hosted zone. Amazon Route 53 doesn't support "
        "associating a VPC with a public hosted zone."
    )
