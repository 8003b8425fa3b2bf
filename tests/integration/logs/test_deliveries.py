"""CloudWatch Logs vended-log deliveries through boto3: sources, destinations and their
policies, deliveries, configuration templates."""

from __future__ import annotations

import json
import uuid

import pytest

ACCOUNT, REGION = "000000000000", "us-east-1"
DISTRIBUTION = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1Q5F5862X9VJ5"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def logs(client):
    return client("logs")


def error_of(raised) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def test_delivery_destination_lifecycle(logs):
    name = unique("dd")
    made = logs.put_delivery_destination(
        name=name,
        outputFormat="json",
        deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::bucket-a"},
        tags={"key1": "value1"},
    )["deliveryDestination"]
    assert made == {
        "name": name,
        "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:delivery-destination:{name}",
        "deliveryDestinationType": "S3",
        "outputFormat": "json",
        "deliveryDestinationConfiguration": {"destinationResourceArn": "arn:aws:s3:::bucket-a"},
        "tags": {"key1": "value1"},
    }
    with pytest.raises(logs.exceptions.ConflictException):
        logs.put_delivery_destination(
            name=name,
            deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::bucket-b"},
            tags={"k": "v"},
        )
    with pytest.raises(logs.exceptions.ValidationException):
        logs.put_delivery_destination(
            name=name,
            outputFormat="plain",
            deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::bucket-b"},
        )
    logs.put_delivery_destination(
        name=name, deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::bucket-b"}
    )
    got = logs.get_delivery_destination(name=name)["deliveryDestination"]
    assert got["deliveryDestinationConfiguration"]["destinationResourceArn"] == "arn:aws:s3:::bucket-b"
    assert got["outputFormat"] == "json"
    listed = logs.describe_delivery_destinations(names=[name])["deliveryDestinations"]
    assert [d["name"] for d in listed] == [name]
    logs.delete_delivery_destination(name=name)
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as raised:
        logs.get_delivery_destination(name=name)
    assert error_of(raised) == (
        "ResourceNotFoundException",
        "Requested Delivery Destination does not exist in this account.",
    )


def test_delivery_destination_validation(logs):
    with pytest.raises(logs.exceptions.ValidationException) as raised:
        logs.put_delivery_destination(
            name=unique("dd"),
            outputFormat="foobar",
            deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::b"},
        )
    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value 'foobar' at 'outputFormat' failed to satisfy constraint: "
        "Member must satisfy enum value set: [w3c, raw, json, plain, parquet]",
    )
    with pytest.raises(logs.exceptions.ValidationException):
        logs.put_delivery_destination(
            name=unique("dd"),
            deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:sqs:us-east-1:1:q"},
        )
    with pytest.raises(logs.exceptions.ValidationException):
        logs.put_delivery_destination(name=unique("dd"))
    xray = logs.put_delivery_destination(name=unique("dd"), deliveryDestinationType="XRAY")
    assert xray["deliveryDestination"]["deliveryDestinationType"] == "XRAY"


def test_delivery_destination_policy(logs):
    name = unique("dd")
    logs.put_delivery_destination(
        name=name, deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::b"}
    )
    assert logs.get_delivery_destination_policy(deliveryDestinationName=name)["policy"] == {}
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                    "Action": "logs:CreateDelivery",
                    "Resource": "*",
                }
            ],
        }
    )
    put = logs.put_delivery_destination_policy(deliveryDestinationName=name, deliveryDestinationPolicy=policy)
    assert put["policy"] == {"deliveryDestinationPolicy": policy}
    got = logs.get_delivery_destination_policy(deliveryDestinationName=name)["policy"]
    assert got == {"deliveryDestinationPolicy": policy}
    assert "policy" not in logs.get_delivery_destination(name=name)["deliveryDestination"]
    with pytest.raises(logs.exceptions.ValidationException):
        logs.put_delivery_destination_policy(deliveryDestinationName=name, deliveryDestinationPolicy="{nope")
    with pytest.raises(logs.exceptions.ValidationException):  # a resource policy names its principal
        logs.put_delivery_destination_policy(
            deliveryDestinationName=name,
            deliveryDestinationPolicy=json.dumps({"Statement": [{"Effect": "Allow", "Action": "logs:*"}]}),
        )
    logs.delete_delivery_destination_policy(deliveryDestinationName=name)
    assert logs.get_delivery_destination_policy(deliveryDestinationName=name)["policy"] == {}
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_delivery_destination_policy(
            deliveryDestinationName=unique("gone"), deliveryDestinationPolicy=policy
        )


def test_delivery_source_lifecycle(logs):
    name = unique("ds")
    made = logs.put_delivery_source(
        name=name, resourceArn=DISTRIBUTION, logType="ACCESS_LOGS", tags={"key1": "value1"}
    )["deliverySource"]
    assert made == {
        "name": name,
        "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:delivery-source:{name}",
        "resourceArns": [DISTRIBUTION],
        "service": "cloudfront",
        "logType": "ACCESS_LOGS",
        "tags": {"key1": "value1"},
    }
    with pytest.raises(logs.exceptions.ConflictException):
        logs.put_delivery_source(name=name, resourceArn=DISTRIBUTION + "X", logType="ACCESS_LOGS")
    assert logs.get_delivery_source(name=name)["deliverySource"]["service"] == "cloudfront"
    found = logs.describe_delivery_sources(resourceArns=[DISTRIBUTION])["deliverySources"]
    assert name in [s["name"] for s in found]
    logs.delete_delivery_source(name=name)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_delivery_source(name=name)


def test_delivery_source_validation(logs):
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as raised:
        logs.put_delivery_source(name=unique("ds"), resourceArn="arn:aws:s3:::bucket", logType="ACCESS_LOGS")
    assert error_of(raised) == ("ResourceNotFoundException", "Cannot access provided service.")
    with pytest.raises(logs.exceptions.ValidationException):
        logs.put_delivery_source(name=unique("ds"), resourceArn=DISTRIBUTION, logType="EVENT_LOGS")


def test_deliveries_pair_a_source_and_a_destination(logs):
    source, destination = unique("ds"), unique("dd")
    logs.put_delivery_source(name=source, resourceArn=DISTRIBUTION, logType="ACCESS_LOGS")
    destination_arn = logs.put_delivery_destination(
        name=destination, deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::b"}
    )["deliveryDestination"]["arn"]
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as raised:
        logs.create_delivery(deliverySourceName=unique("none"), deliveryDestinationArn=destination_arn)
    assert error_of(raised)[1] == "Requested Delivery Source does not exist in this account."
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.create_delivery(deliverySourceName=source, deliveryDestinationArn=destination_arn + "x")
    with pytest.raises(logs.exceptions.ValidationException):
        logs.create_delivery(
            deliverySourceName=source, deliveryDestinationArn=destination_arn, recordFields=["no-such-field"]
        )
    delivery = logs.create_delivery(deliverySourceName=source, deliveryDestinationArn=destination_arn)[
        "delivery"
    ]
    assert delivery["arn"] == f"arn:aws:logs:{REGION}:{ACCOUNT}:delivery:{delivery['id']}"
    assert delivery["deliveryDestinationType"] == "S3"
    assert delivery["recordFields"][:3] == ["date", "time", "x-edge-location"]
    assert delivery["s3DeliveryConfiguration"] == {
        "suffixPath": "AWSLogs/{account-id}/CloudFront/",
        "enableHiveCompatiblePath": False,
    }
    assert logs.get_delivery(id=delivery["id"])["delivery"] == delivery
    with pytest.raises(logs.exceptions.ConflictException):
        logs.create_delivery(deliverySourceName=source, deliveryDestinationArn=destination_arn)
    with pytest.raises(logs.exceptions.ConflictException):
        logs.delete_delivery_source(name=source)
    with pytest.raises(logs.exceptions.ConflictException):
        logs.delete_delivery_destination(name=destination)
    logs.update_delivery_configuration(
        id=delivery["id"],
        recordFields=["date", "c-ip"],
        fieldDelimiter=",",
        s3DeliveryConfiguration={"enableHiveCompatiblePath": True},
    )
    updated = logs.get_delivery(id=delivery["id"])["delivery"]
    assert updated["recordFields"] == ["date", "c-ip"] and updated["fieldDelimiter"] == ","
    assert updated["s3DeliveryConfiguration"]["enableHiveCompatiblePath"] is True
    listed = logs.describe_deliveries(deliverySourceNames=[source])["deliveries"]
    assert [d["id"] for d in listed] == [delivery["id"]]
    logs.delete_delivery(id=delivery["id"])
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as raised:
        logs.get_delivery(id=delivery["id"])
    assert error_of(raised)[1] == "Requested Delivery does not exist in this account."
    logs.delete_delivery_source(name=source)
    logs.delete_delivery_destination(name=destination)


def test_one_delivery_per_destination_type(logs):
    source = unique("ds")
    logs.put_delivery_source(name=source, resourceArn=DISTRIBUTION, logType="ACCESS_LOGS")
    arns = [
        logs.put_delivery_destination(
            name=unique("dd"),
            deliveryDestinationConfiguration={"destinationResourceArn": f"arn:aws:s3:::b{i}"},
        )["deliveryDestination"]["arn"]
        for i in range(2)
    ]
    logs.create_delivery(deliverySourceName=source, deliveryDestinationArn=arns[0])
    with pytest.raises(logs.exceptions.ConflictException) as raised:
        logs.create_delivery(deliverySourceName=source, deliveryDestinationArn=arns[1])
    assert "same Delivery Destination Type" in error_of(raised)[1]


def test_describe_pages_and_configuration_templates(logs):
    prefix = unique("dd")
    names = [f"{prefix}-{i}" for i in (2, 0, 1)]  # created out of name order
    for name in names:
        logs.put_delivery_destination(
            name=name, deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::b"}
        )
    page = logs.describe_delivery_destinations(names=names, limit=2)
    rest = logs.describe_delivery_destinations(names=names, limit=2, nextToken=page["nextToken"])
    # In the order they were created, as AWS lists them.
    assert [d["name"] for d in page["deliveryDestinations"] + rest["deliveryDestinations"]] == names
    with pytest.raises(logs.exceptions.ValidationException):
        logs.describe_delivery_destinations(nextToken="forged")
    templates = logs.describe_configuration_templates(service="cloudfront", deliveryDestinationTypes=["S3"])
    [template] = templates["configurationTemplates"]
    assert template["logType"] == "ACCESS_LOGS" and template["resourceType"] == "distribution"
    assert "parquet" in template["allowedOutputFormats"]
    assert {"name": "date", "mandatory": False} in template["allowedFields"]
    every = logs.get_paginator("describe_configuration_templates").paginate(PaginationConfig={"PageSize": 5})
    assert sum(len(p["configurationTemplates"]) for p in every) > 5


def test_cross_account_delivery_needs_the_destination_policy(client):
    owner = client("logs", aws_access_key_id="111111111111", aws_secret_access_key="x")
    sender = client("logs", aws_access_key_id="222222222222", aws_secret_access_key="x")
    destination = unique("dd")
    arn = owner.put_delivery_destination(
        name=destination, deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::shared"}
    )["deliveryDestination"]["arn"]
    assert ":111111111111:" in arn
    source = unique("ds")
    sender.put_delivery_source(
        name=source, resourceArn="arn:aws:cloudfront::222222222222:distribution/E2", logType="ACCESS_LOGS"
    )
    with pytest.raises(sender.exceptions.AccessDeniedException):
        sender.create_delivery(deliverySourceName=source, deliveryDestinationArn=arn)
    grant = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "222222222222"},
                "Action": "logs:CreateDelivery",
                "Resource": arn,
            }
        ],
    }
    owner.put_delivery_destination_policy(
        deliveryDestinationName=destination, deliveryDestinationPolicy=json.dumps(grant)
    )
    delivery = sender.create_delivery(deliverySourceName=source, deliveryDestinationArn=arn)["delivery"]
    assert delivery["deliveryDestinationArn"] == arn and ":222222222222:" in delivery["arn"]
    with pytest.raises(owner.exceptions.ConflictException):
        owner.delete_delivery_destination(name=destination)
    sender.delete_delivery(id=delivery["id"])
    owner.delete_delivery_destination(name=destination)


def test_tags_on_delivery_resources_and_lookup_tables(logs):
    source = logs.put_delivery_source(
        name=unique("ds"), resourceArn=DISTRIBUTION, logType="ACCESS_LOGS", tags={"team": "a"}
    )["deliverySource"]
    logs.tag_resource(resourceArn=source["arn"], tags={"env": "dev"})
    assert logs.list_tags_for_resource(resourceArn=source["arn"])["tags"] == {"team": "a", "env": "dev"}
    logs.untag_resource(resourceArn=source["arn"], tagKeys=["team", "env"])
    assert logs.list_tags_for_resource(resourceArn=source["arn"])["tags"] == {}
    assert "tags" not in logs.get_delivery_source(name=source["name"])["deliverySource"]
    table = logs.create_lookup_table(lookupTableName=unique("t").replace("-", "_"), tableBody="a\n1\n")
    logs.tag_resource(resourceArn=table["lookupTableArn"], tags={"k": "v"})
    assert logs.list_tags_for_resource(resourceArn=table["lookupTableArn"])["tags"] == {"k": "v"}
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.list_tags_for_resource(resourceArn=source["arn"] + "-gone")
