"""Request parsers on hand-written wire requests: the intricate corners (query flattening, rest-xml
payloads, headers, aws-chunked, CBOR, compression) and malformed input -> the protocol's error."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime

import cbor2
import pytest

from overcast.errors import ServiceError
from overcast.http import Request
from overcast.protocols import match_operation, parse_request
from overcast.protocols.models import service_model
from overcast.protocols.parsers.rest import decode_aws_chunked, split_header_list

FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
UTC = UTC


def parse(
    service: str,
    method: str,
    path: str,
    query: str = "",
    headers: dict | None = None,
    body: bytes = b"",
    protocol: str = "",
    validate: bool = False,
) -> dict:
    model = service_model(service)
    protocol = protocol or model.protocol
    req = Request(method, path, query, {"host": "localhost:4566", **(headers or {})}, body)
    operation, uri_params = match_operation(model, protocol, req)
    return parse_request(operation, protocol, req, uri_params, validate=validate)


def form(service: str, body: str, protocol: str = "") -> dict:
    return parse(service, "POST", "/", headers=FORM, body=body.encode(), protocol=protocol)


# ---------------------------------------------------------------------------- query / ec2


def test_query_lists_maps_and_nested_structures() -> None:
    body = (
        "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3At&Message=hi+there"
        "&MessageAttributes.entry.1.Name=color&MessageAttributes.entry.1.Value.DataType=String"
        "&MessageAttributes.entry.1.Value.StringValue=blue"
        "&MessageAttributes.entry.2.Name=blob&MessageAttributes.entry.2.Value.DataType=Binary"
        "&MessageAttributes.entry.2.Value.BinaryValue=AAEC"
    )
    assert form("sns", body) == {
        "TopicArn": "arn:aws:sns:us-east-1:1:t",
        "Message": "hi there",
        "MessageAttributes": {
            "color": {"DataType": "String", "StringValue": "blue"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"},
        },
    }


def test_query_member_lists_in_index_order_and_empty_list() -> None:
    body = (
        "Action=PutMetricData&Version=2010-08-01&Namespace=App"
        "&MetricData.member.2.MetricName=b&MetricData.member.1.MetricName=a"
        "&MetricData.member.1.Dimensions.member.1.Name=Env&MetricData.member.1.Dimensions.member.1.Value=prod"
        "&MetricData.member.1.Timestamp=2024-01-02T03%3A04%3A05.678Z&MetricData.member.1.Value=1.5"
        "&MetricData.member.2.Values="
    )
    assert form("cloudwatch", body, "query") == {
        "Namespace": "App",
        "MetricData": [
            {
                "MetricName": "a",
                "Dimensions": [{"Name": "Env", "Value": "prod"}],
                "Timestamp": datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
                "Value": 1.5,
            },
            {"MetricName": "b", "Values": []},  # `Name=` is botocore's empty list
        ],
    }


def test_ec2_lists_and_capitalised_names() -> None:
    body = (
        "Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=2"
        "&SecurityGroupId.1=sg-1&SecurityGroupId.2=sg-2"
        "&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name"
        "&TagSpecification.1.Tag.1.Value=web&EbsOptimized=true"
    )
    assert form("ec2", body) == {
        "ImageId": "ami-1",
        "MinCount": 1,
        "MaxCount": 2,
        "SecurityGroupIds": ["sg-1", "sg-2"],
        "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
        "EbsOptimized": True,
    }


def test_sqs_query_takes_botocore_and_legacy_names() -> None:
    botocore_names = (
        "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=q"
        "&Entries.1.Id=a&Entries.1.MessageBody=x"
        "&Entries.1.MessageAttributes.1.key=k&Entries.1.MessageAttributes.1.value.DataType=String"
        "&Entries.1.MessageAttributes.1.value.StringValue=v"
    )
    legacy_names = (
        "Action=SendMessageBatch&Version=2012-11-05&QueueUrl=q"
        "&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=k"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v"
    )
    expected = {
        "QueueUrl": "q",
        "Entries": [
            {
                "Id": "a",
                "MessageBody": "x",
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
            }
        ],
    }
    assert form("sqs", botocore_names, "query") == expected
    assert form("sqs", legacy_names, "query") == expected
    legacy_attributes = "Action=GetQueueAttributes&QueueUrl=q&AttributeName.1=All&AttributeName.2=Policy"
    assert form("sqs", legacy_attributes, "query") == {"QueueUrl": "q", "AttributeNames": ["All", "Policy"]}


def test_sqs_query_posted_to_the_queue_url_takes_it_from_the_path() -> None:
    parsed = parse(
        "sqs",
        "POST",
        "/000000000000/my-queue",
        headers=FORM,
        body=b"Action=SendMessage&MessageBody=hi",
        protocol="query",
    )
    assert parsed == {"QueueUrl": "http://localhost:4566/000000000000/my-queue", "MessageBody": "hi"}
    parsed = parse(
        "sqs", "POST", "/", headers=FORM, body=b"Action=SendMessage&MessageBody=hi", protocol="query"
    )
    assert "QueueUrl" not in parsed


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("Action=AssumeRole&RoleArn=r&RoleSessionName=s&DurationSeconds=abc", "MalformedInput"),
        ("Action=AssumeRole&RoleArn=r&RoleSessionName=s&DurationSeconds=1.5", "MalformedInput"),
        ("Action=AssumeRole&RoleArn=r&RoleSessionName=s&DurationSeconds=", "MalformedInput"),
        ("Action=AssumeRole&RoleArn=r&RoleSessionName=s&Tags.member.1.Key.x=y", "MalformedInput"),
    ],
)
def test_query_undecodable_values(body: str, code: str) -> None:
    with pytest.raises(ServiceError) as raised:
        form("sts", body)
    assert (raised.value.code, raised.value.status) == (code, 400)


def test_ec2_undecodable_value() -> None:
    with pytest.raises(ServiceError) as raised:
        form("ec2", "Action=RunInstances&MinCount=one&MaxCount=1")
    assert raised.value.code == "InvalidParameterValue"


# ---------------------------------------------------------------------------- json


def json_request(service: str, target: str, payload: object, raw: bytes | None = None) -> dict:
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {"x-amz-target": target, "content-type": "application/x-amz-json-1.0"}
    return parse(service, "POST", "/", headers=headers, body=body, protocol="json")


def test_json_blobs_timestamps_and_special_floats() -> None:
    parsed = json_request(
        "kinesis",
        "Kinesis_20131202.PutRecord",
        {"StreamName": "s", "Data": base64.b64encode(b"\x00hi").decode(), "PartitionKey": "p", "Unknown": 1},
    )
    assert parsed == {"StreamName": "s", "Data": b"\x00hi", "PartitionKey": "p"}  # unknown keys ignored
    parsed = json_request(
        "cloudwatch",
        "GraniteServiceVersion20100801.PutMetricData",
        {
            "Namespace": "n",
            "MetricData": [
                {
                    "MetricName": "m",
                    "Value": "NaN",
                    "Timestamp": 1700000000.25,
                    "Values": ["Infinity", "-Infinity", 2],
                }
            ],
        },
    )
    datum = parsed["MetricData"][0]
    assert datum["Value"] != datum["Value"]  # NaN
    assert datum["Values"] == [float("inf"), float("-inf"), 2.0]
    assert datum["Timestamp"] == datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=UTC)


def test_json_null_is_absent() -> None:
    assert json_request("dynamodb", "DynamoDB_20120810.DescribeTable", {"TableName": "t", "Extra": None}) == {
        "TableName": "t"
    }
    assert json_request("dynamodb", "DynamoDB_20120810.ListTables", {"Limit": None}) == {}


@pytest.mark.parametrize(
    ("payload", "raw", "message"),
    [
        (None, b"{not json", "Could not parse request body into json"),
        (None, b"[1, 2]", "expected an object"),
        ({"TableName": True}, None, "class java.lang.Boolean can not be converted to an String"),
        ({"TableName": 5}, None, "TruncatingBigNumber can not be converted to an String"),
        ({"TableName": "t", "Limit": "many"}, None, "can not be converted to an Integer"),
    ],
)
def test_json_malformed_is_a_serialization_exception(
    payload: object, raw: bytes | None, message: str
) -> None:
    with pytest.raises(ServiceError) as raised:
        json_request("dynamodb", "DynamoDB_20120810.Scan", payload, raw)
    assert (raised.value.code, raised.value.status) == ("SerializationException", 400)
    assert message in raised.value.message


def test_json_bad_base64_is_a_serialization_exception() -> None:
    with pytest.raises(ServiceError) as raised:
        json_request(
            "kinesis", "Kinesis_20131202.PutRecord", {"StreamName": "s", "Data": "!!", "PartitionKey": "p"}
        )
    assert raised.value.code == "SerializationException"


# ---------------------------------------------------------------------------- rest-xml


def test_s3_put_object_headers_metadata_and_raw_body() -> None:
    parsed = parse(
        "s3",
        "PUT",
        "/bucket/dir/file.txt",
        headers={
            "content-type": "text/plain",
            "content-length": "5",
            "x-amz-meta-owner": "me",
            "x-amz-meta-team": "core",
            "expires": "Wed, 21 Oct 2026 07:28:00 GMT",
            "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z",
            "x-amz-tagging": "a=b",
        },
        body=b"hello",
    )
    assert parsed == {
        "Bucket": "bucket",
        "Key": "dir/file.txt",
        "ContentType": "text/plain",
        "ContentLength": 5,
        "Metadata": {"owner": "me", "team": "core"},
        "Expires": datetime(2026, 10, 21, 7, 28, tzinfo=UTC),
        "ObjectLockRetainUntilDate": datetime(2030, 1, 1, tzinfo=UTC),
        "Tagging": "a=b",
        "Body": b"hello",
    }


def test_s3_structure_payload_with_namespace() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet>'
        b"<Tag><Key>env</Key><Value>prod</Value></Tag><Tag><Key>team</Key><Value></Value></Tag>"
        b"</TagSet></Tagging>"
    )
    parsed = parse("s3", "PUT", "/bucket", "tagging", body=body)
    assert parsed == {
        "Bucket": "bucket",
        "Tagging": {"TagSet": [{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": ""}]},
    }


def test_s3_xml_attribute_and_flattened_lists() -> None:
    acl = (
        b'<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList>'
        b'<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">'
        b"<ID>abc</ID></Grantee><Permission>READ</Permission></Grant>"
        b"</AccessControlList><Owner><ID>abc</ID></Owner></AccessControlPolicy>"
    )
    parsed = parse("s3", "PUT", "/bucket", "acl", body=acl)
    assert parsed["AccessControlPolicy"] == {
        "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "READ"}],
        "Owner": {"ID": "abc"},
    }
    complete = (
        b"<CompleteMultipartUpload><Part><ETag>&quot;e1&quot;</ETag><PartNumber>1</PartNumber></Part>"
        b"<Part><ETag>e2</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>"
    )
    parsed = parse("s3", "POST", "/bucket/key", "uploadId=u1", body=complete)
    assert parsed == {
        "Bucket": "bucket",
        "Key": "key",
        "UploadId": "u1",
        "MultipartUpload": {"Parts": [{"ETag": '"e1"', "PartNumber": 1}, {"ETag": "e2", "PartNumber": 2}]},
    }


def test_route53_body_members_and_uri_label() -> None:
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
        b"<ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>a.example.com</Name>"
        b"<Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>1.2.3.4</Value></ResourceRecord>"
        b"</ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch>"
        b"</ChangeResourceRecordSetsRequest>"
    )
    parsed = parse("route53", "POST", "/2013-04-01/hostedzone/Z123/rrset/", body=body)
    assert parsed == {
        "HostedZoneId": "Z123",
        "ChangeBatch": {
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": "a.example.com",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "1.2.3.4"}],
                    },
                }
            ]
        },
    }


@pytest.mark.parametrize(
    "body",
    [
        b"<Tagging><TagSet>",
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Tagging>&a;</Tagging>',
    ],
)
def test_s3_malformed_xml(body: bytes) -> None:
    with pytest.raises(ServiceError) as raised:
        parse("s3", "PUT", "/bucket", "tagging", body=body)
    assert (raised.value.code, raised.value.status) == ("MalformedXML", 400)


def test_s3_bad_parameter_is_invalid_argument() -> None:
    with pytest.raises(ServiceError) as raised:
        parse("s3", "PUT", "/bucket/key", "partNumber=one&uploadId=u")
    assert (raised.value.code, raised.value.status) == ("InvalidArgument", 400)


def test_route53_malformed_xml_is_invalid_input() -> None:
    with pytest.raises(ServiceError) as raised:
        parse("route53", "POST", "/2013-04-01/hostedzone/Z1/rrset/", body=b"<oops")
    assert raised.value.code == "InvalidInput"


def test_header_lists() -> None:
    assert split_header_list("ETag, Checksum ,ObjectParts") == ["ETag", "Checksum", "ObjectParts"]
    assert split_header_list('a, "b,c", "say \\"hi\\""') == ["a", "b,c", 'say "hi"']
    parsed = parse(
        "s3", "GET", "/bucket/key", "attributes", headers={"x-amz-object-attributes": "ETag,ObjectSize"}
    )
    assert parsed["ObjectAttributes"] == ["ETag", "ObjectSize"]


def test_aws_chunked_body_and_trailer() -> None:
    body = (
        b"5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n"
        b"0;chunk-signature=000\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
    )
    assert decode_aws_chunked(body) == (b"hello world", {"x-amz-checksum-crc32": "AAAAAA=="})
    parsed = parse(
        "s3",
        "PUT",
        "/bucket/key",
        headers={"content-encoding": "aws-chunked", "x-amz-decoded-content-length": "11"},
        body=body,
    )
    assert parsed["Body"] == b"hello world"
    assert parsed["ChecksumCRC32"] == "AAAAAA=="
    assert "ContentEncoding" not in parsed  # aws-chunked describes the transfer, not the object


# ---------------------------------------------------------------------------- rest-json


def test_rest_json_querystring_lists_and_raw_blob_payload() -> None:
    parsed = parse(
        "lambda",
        "POST",
        "/2015-03-31/functions/my-fn/invocations",
        "Qualifier=live",
        headers={"x-amz-invocation-type": "Event", "x-amz-client-context": "e30="},
        body=b'{"raw": true}',
    )
    assert parsed == {
        "FunctionName": "my-fn",
        "Qualifier": "live",
        "InvocationType": "Event",
        "ClientContext": "e30=",
        "Payload": b'{"raw": true}',
    }


def test_rest_json_querystring_map_takes_unclaimed_keys() -> None:
    parsed = parse(
        "apigateway",
        "POST",
        "/restapis",
        "mode=import&failonwarnings=true&endpointConfigurationTypes=REGIONAL",
        body=b"{}",
    )
    assert parsed == {
        "failOnWarnings": True,
        "parameters": {"endpointConfigurationTypes": "REGIONAL"},
        "body": b"{}",
    }


def test_jsonvalue_header_is_base64_json() -> None:
    attributes = base64.b64encode(json.dumps({"a": "b"}).encode()).decode()
    parsed = parse(
        "lex-runtime",
        "POST",
        "/bot/b/alias/a/user/u/content",
        headers={"x-amz-lex-session-attributes": attributes, "content-type": "text/plain; charset=utf-8"},
        body=b"hi",
    )
    assert parsed["sessionAttributes"] == {"a": "b"}
    assert parsed["inputStream"] == b"hi"


def test_rest_json_malformed_body() -> None:
    with pytest.raises(ServiceError) as raised:
        parse("lambda", "POST", "/2015-03-31/functions", body=b'{"FunctionName": ')
    assert (raised.value.code, raised.value.status) == ("SerializationException", 400)


def test_host_label_from_the_host_when_no_header_carries_it() -> None:
    model = service_model("s3control")
    req = Request(
        "GET",
        "/v20180820/accessgrantsinstance",
        "",
        {"host": "123456789012.localhost:4566"},
        b"",
    )
    operation, uri_params = match_operation(model, "rest-xml", req)
    parsed = parse_request(operation, "rest-xml", req, uri_params, validate=False)
    assert parsed == {"AccountId": "123456789012"}


# ---------------------------------------------------------------------------- cbor


CBOR_HEADERS = {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}


def cbor_request(
    operation: str, payload: object, raw: bytes | None = None, headers: dict | None = None
) -> dict:
    body = raw if raw is not None else cbor2.dumps(payload)
    path = f"/service/GraniteServiceVersion20100801/operation/{operation}"
    return parse(
        "cloudwatch",
        "POST",
        path,
        headers={**CBOR_HEADERS, **(headers or {})},
        body=body,
        protocol="smithy-rpc-v2-cbor",
    )


def test_cbor_timestamps_blobs_and_numbers() -> None:
    payload = {
        "Namespace": "n",
        "MetricData": [{"MetricName": "m", "Timestamp": cbor2.CBORTag(1, 1700000000.5), "Value": 2}],
    }
    parsed = cbor_request("PutMetricData", payload)
    assert parsed == {
        "Namespace": "n",
        "MetricData": [
            {
                "MetricName": "m",
                "Timestamp": datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC),
                "Value": 2.0,
            }
        ],
    }


def test_cbor_malformed() -> None:
    with pytest.raises(ServiceError) as raised:
        cbor_request("PutMetricData", None, raw=b"\xa1\x61")
    assert (raised.value.code, raised.value.status) == ("SerializationException", 400)
    with pytest.raises(ServiceError) as raised:
        cbor_request("PutMetricData", {"Namespace": b"bytes not text"})
    assert raised.value.code == "SerializationException"


def test_gzip_request_compression() -> None:
    body = gzip.compress(cbor2.dumps({"Namespace": "n", "MetricData": [{"MetricName": "m"}]}))
    parsed = cbor_request("PutMetricData", None, raw=body, headers={"content-encoding": "gzip"})
    assert parsed == {"Namespace": "n", "MetricData": [{"MetricName": "m"}]}
