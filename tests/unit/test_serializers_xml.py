"""The XML protocols' intricate bits, byte for byte: query result wrappers, ec2 naming and lists,
SQS's restored query model, S3's namespaces, root names and attributes, and every XML error
envelope. Each case also goes through botocore's parser where the point is what clients read."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from xml.etree import ElementTree

from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser

from overcast.context import RequestContext
from overcast.errors import ServiceError, internal_error
from overcast.http import Request
from overcast.protocols.models import query_model, service_model
from overcast.protocols.serializers import serialize_error, serialize_response

REQUEST_ID = "c6104cbe-af31-11e0-8154-cbc7ccf896c7"
UTC = UTC


def context() -> RequestContext:
    return RequestContext(request=Request("POST", "/", "", {}), request_id=REQUEST_ID)


def respond(service: str, operation: str, protocol: str, output: dict):
    return serialize_response(service_model(service).operation_model(operation), protocol, output, context())


def parse(response, shape, protocol: str) -> dict:
    headers = HeadersDict({k.lower(): v for k, v in response.headers.items()})
    return create_parser(protocol).parse(
        {"status_code": response.status, "headers": headers, "body": response.body}, shape
    )


def fail(service: str, protocol: str, error: ServiceError, operation: str | None = None):
    model = service_model(service)
    op = model.operation_model(operation) if operation else None
    return serialize_error(model, op, protocol, error, context())


# -- query ------------------------------------------------------------------------------------


def test_query_result_wrapper_and_metadata():
    response = respond(
        "sts",
        "GetCallerIdentity",
        "query",
        {"UserId": "AIDA", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/a&b"},
    )
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/xml"
    assert response.headers["x-amzn-RequestId"] == REQUEST_ID
    assert response.body == (
        b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        b"<GetCallerIdentityResult><UserId>AIDA</UserId><Account>123456789012</Account>"
        b"<Arn>arn:aws:iam::123456789012:user/a&amp;b</Arn></GetCallerIdentityResult>"
        b"<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>"
        b"</GetCallerIdentityResponse>"
    )


def test_query_operation_without_output_has_only_metadata():
    response = respond("iam", "DeleteUser", "query", {})
    assert response.body == (
        b'<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        b"<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>"
        b"</DeleteUserResponse>"
    )


def test_query_member_lists_maps_and_timestamps():
    created = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    response = respond(
        "iam",
        "ListUsers",
        "query",
        {
            "Users": [{"UserName": "a", "UserId": "1", "Arn": "arn", "Path": "/", "CreateDate": created}],
            "IsTruncated": False,
        },
    )
    # Members come in model order, as AWS writes them, whatever the order of the output dict.
    assert b"<Users><member><Path>/</Path><UserName>a</UserName><UserId>1</UserId>" in response.body
    assert b"<CreateDate>2024-05-01T12:00:00Z</CreateDate>" in response.body
    assert b"<IsTruncated>false</IsTruncated>" in response.body
    op = service_model("iam").operation_model("ListUsers")
    assert parse(response, op.output_shape, "query")["Users"][0]["CreateDate"] == created


def test_query_entry_key_value_maps():
    response = respond("sns", "GetTopicAttributes", "query", {"Attributes": {"Policy": "{}", "Owner": "1"}})
    assert b"<Attributes><entry><key>Policy</key><value>{}</value></entry>" in response.body


def test_sqs_query_speaks_the_last_query_model():
    response = respond(
        "sqs",
        "ReceiveMessage",
        "query",
        {
            "Messages": [
                {
                    "MessageId": "m-1",
                    "Body": "<hi>",
                    "Attributes": {"SentTimestamp": "1"},
                    "MessageAttributes": {"colour": {"StringValue": "red", "DataType": "String"}},
                }
            ]
        },
    )
    body = response.body
    assert body.startswith(
        b'<ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">'
        b"<ReceiveMessageResult><Message><MessageId>m-1</MessageId>"
    )
    assert b"<Body>&lt;hi&gt;</Body>" in body
    assert b"<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>" in body
    assert b"<MessageAttribute><Name>colour</Name><Value><StringValue>red</StringValue>" in body
    legacy = query_model(service_model("sqs")).operation_model("ReceiveMessage")
    parsed = parse(response, legacy.output_shape, "query")
    assert parsed["Messages"][0]["Attributes"] == {"SentTimestamp": "1"}


def test_sqs_query_flattened_url_list():
    response = respond("sqs", "ListQueues", "query", {"QueueUrls": ["http://q/1", "http://q/2"]})
    assert (
        b"<ListQueuesResult><QueueUrl>http://q/1</QueueUrl><QueueUrl>http://q/2</QueueUrl></ListQueuesResult>"
        in response.body
    )


def test_cloudwatch_query_keeps_its_own_model():
    response = respond(
        "cloudwatch", "ListDashboards", "query", {"DashboardEntries": [{"DashboardName": "d"}]}
    )
    assert response.body.startswith(
        b'<ListDashboardsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">'
        b"<ListDashboardsResult><DashboardEntries><member>"
    )


# -- ec2 --------------------------------------------------------------------------------------


def test_ec2_request_id_item_lists_and_location_names():
    launched = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    response = respond(
        "ec2",
        "DescribeInstances",
        "ec2",
        {
            "Reservations": [
                {
                    "ReservationId": "r-1",
                    "Instances": [
                        {"InstanceId": "i-1", "LaunchTime": launched, "Tags": [{"Key": "k", "Value": "v"}]}
                    ],
                }
            ]
        },
    )
    assert response.headers["Content-Type"] == "text/xml;charset=UTF-8"
    assert (
        response.body
        == (
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            b"<requestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</requestId>"
            b"<reservationSet><item><reservationId>r-1</reservationId><instancesSet><item>"
            b"<tagSet><item><key>k</key><value>v</value></item></tagSet>"  # model order: the Instance shape lists Tags early
            b"<instanceId>i-1</instanceId><launchTime>2024-01-02T03:04:05.000Z</launchTime>"
            b"</item></instancesSet></item></reservationSet>"
            b"</DescribeInstancesResponse>"
        )
    )
    op = service_model("ec2").operation_model("DescribeInstances")
    parsed = parse(response, op.output_shape, "ec2")
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID
    assert parsed["Reservations"][0]["Instances"][0]["LaunchTime"] == launched


def test_ec2_empty_list_is_an_empty_element():
    response = respond("ec2", "DescribeInstances", "ec2", {"Reservations": []})
    assert b"<reservationSet></reservationSet>" in response.body
    op = service_model("ec2").operation_model("DescribeInstances")
    assert parse(response, op.output_shape, "ec2")["Reservations"] == []


# -- S3 ---------------------------------------------------------------------------------------


def test_s3_namespace_root_name_and_xsi_type_attribute():
    response = respond(
        "s3",
        "GetBucketAcl",
        "rest-xml",
        {
            "Owner": {"ID": "owner"},
            "Grants": [
                {"Grantee": {"Type": "CanonicalUser", "ID": "owner"}, "Permission": "FULL_CONTROL"},
                {
                    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                    "Permission": "READ",
                },
            ],
        },
    )
    root = ElementTree.fromstring(response.body)
    assert root.tag == "{http://s3.amazonaws.com/doc/2006-03-01/}AccessControlPolicy"
    assert (
        b'<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">'
        in response.body
    )
    assert response.headers["x-amz-request-id"] == REQUEST_ID
    assert "x-amz-id-2" in response.headers
    op = service_model("s3").operation_model("GetBucketAcl")
    parsed = parse(response, op.output_shape, "rest-xml")
    assert [g["Grantee"]["Type"] for g in parsed["Grants"]] == ["CanonicalUser", "Group"]
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID


def test_s3_list_objects_flattened_contents():
    modified = datetime(2024, 1, 1, tzinfo=UTC)
    response = respond(
        "s3",
        "ListObjectsV2",
        "rest-xml",
        {
            "Name": "b",
            "KeyCount": 2,
            "IsTruncated": False,
            "Contents": [{"Key": "a", "LastModified": modified, "Size": 1}, {"Key": "b&c", "Size": 2}],
            "CommonPrefixes": [{"Prefix": "p/"}],
        },
    )
    body = response.body
    assert body.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    )
    assert (
        b"<Contents><Key>a</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><Size>1</Size></Contents>"
        in body
    )
    assert b"<Contents><Key>b&amp;c</Key>" in body
    assert b"<CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>" in body


def test_s3_get_bucket_location_is_the_root_text():
    response = respond("s3", "GetBucketLocation", "rest-xml", {"LocationConstraint": "eu-west-1"})
    assert response.body.endswith(
        b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>'
    )
    us_east = respond("s3", "GetBucketLocation", "rest-xml", {})
    assert ElementTree.fromstring(us_east.body).text is None


def test_s3_structure_payload_named_after_the_member():
    response = respond(
        "s3",
        "CopyObject",
        "rest-xml",
        {
            "CopyObjectResult": {"ETag": '"e"', "LastModified": datetime(2024, 1, 1, tzinfo=UTC)},
            "VersionId": "v1",
        },
    )
    assert (
        b'<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"e"</ETag>' in response.body
    )
    assert response.headers["x-amz-version-id"] == "v1"
    retention = respond("s3", "GetObjectRetention", "rest-xml", {"Retention": {"Mode": "GOVERNANCE"}})
    assert b"<Retention " in retention.body  # the member's locationName, not its shape's name


def test_s3_object_headers_metadata_and_streaming_body():
    modified = datetime(2024, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    retain = datetime(2030, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)
    stream = io.BytesIO(b"hello")
    response = respond(
        "s3",
        "GetObject",
        "rest-xml",
        {
            "Body": stream,
            "ContentLength": 5,
            "ContentType": "text/plain",
            "LastModified": modified,
            "ObjectLockRetainUntilDate": retain,
            "Metadata": {"colour": "red"},
            "DeleteMarker": False,
            "TagCount": 3,
        },
    )
    assert response.body is stream  # handed to the server to stream, untouched
    headers = response.headers
    assert headers["Content-Length"] == "5"
    assert headers["Content-Type"] == "text/plain"
    assert headers["Last-Modified"] == "Sat, 03 Feb 2024 04:05:06 GMT"
    assert headers["x-amz-object-lock-retain-until-date"] == "2030-01-01T00:00:00.123Z"
    assert headers["x-amz-meta-colour"] == "red"
    assert headers["x-amz-delete-marker"] == "false"
    assert headers["x-amz-tagging-count"] == "3"

    chunks = iter([b"a", b"b"])
    assert respond("s3", "GetObject", "rest-xml", {"Body": chunks}).body is chunks
    assert respond("s3", "GetObject", "rest-xml", {"Body": b"raw"}).body == b"raw"


def test_s3_head_object_and_delete_use_modelled_status():
    assert respond("s3", "DeleteObject", "rest-xml", {}).status == 204
    assert respond("s3", "DeleteObject", "rest-xml", {}).body == b""
    head = respond("s3", "HeadObject", "rest-xml", {"ContentLength": 1024, "ETag": '"x"'})
    assert head.headers["Content-Length"] == "1024" and head.body == b""


# -- XML errors -------------------------------------------------------------------------------


def test_query_error_envelope_and_modelled_status():
    response = fail("iam", "query", ServiceError("NoSuchEntity", "The user with name x cannot be found."))
    assert response.status == 404  # raised by name with the default status: the model's status
    assert response.body == (
        b'<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        b"<Code>NoSuchEntity</Code><Message>The user with name x cannot be found.</Message></Error>"
        b"<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"
    )


def test_query_error_uses_the_aws_query_error_code():
    response = fail("iam", "query", ServiceError("ConcurrentModificationException", "busy"))
    assert b"<Code>ConcurrentModification</Code>" in response.body
    assert response.status == 409
    sqs = fail("sqs", "query", ServiceError("QueueDoesNotExist", "no queue"))
    assert b"<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in sqs.body
    assert b'xmlns="http://queue.amazonaws.com/doc/2012-11-05/"' in sqs.body
    # Raising by the query code finds the same shape.
    again = fail("sqs", "query", ServiceError("AWS.SimpleQueueService.NonExistentQueue", "no queue"))
    assert again.body == sqs.body


def test_query_server_fault_is_receiver():
    response = fail("sts", "query", internal_error())
    assert response.status == 500
    assert b"<Type>Receiver</Type><Code>InternalFailure</Code>" in response.body


def test_ec2_error_envelope():
    response = fail(
        "ec2", "ec2", ServiceError("InvalidInstanceID.NotFound", "The instance ID 'i-1' does not exist")
    )
    assert response.status == 400
    assert response.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>'
        b"<Message>The instance ID 'i-1' does not exist</Message></Error></Errors>"
        b"<RequestID>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestID></Response>"
    )
    op = service_model("ec2").operation_model("DescribeInstances")
    parsed = parse(response, op.output_shape, "ec2")
    assert parsed["Error"]["Code"] == "InvalidInstanceID.NotFound"
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID


def test_s3_error_envelope_with_unmodelled_fields():
    response = fail(
        "s3",
        "rest-xml",
        ServiceError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName="missing"),
    )
    assert response.status == 404
    assert response.body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code>'
        b"<Message>The specified bucket does not exist</Message><BucketName>missing</BucketName>"
        b"<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId><HostId>"
        + response.headers["x-amz-id-2"].encode()
        + b"</HostId></Error>"
    )
    op = service_model("s3").operation_model("ListObjectsV2")
    parsed = parse(response, op.output_shape, "rest-xml")
    assert parsed["Error"] == {
        "Code": "NoSuchBucket",
        "Message": "The specified bucket does not exist",
        "BucketName": "missing",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID


def test_s3_modelled_error_status():
    assert fail("s3", "rest-xml", ServiceError("NoSuchKey", "gone")).status == 404
    assert fail("s3", "rest-xml", ServiceError("BucketAlreadyExists", "taken")).status == 409


def test_route53_error_response_envelope():
    response = fail(
        "route53", "rest-xml", ServiceError("NoSuchHostedZone", "No hosted zone found with ID: Z1")
    )
    assert response.status == 404
    assert response.body.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
        b"<Error><Type>Sender</Type><Code>NoSuchHostedZone</Code>"
    )
    assert response.headers["x-amzn-RequestId"] == REQUEST_ID


def test_xml_errors_escape_messages():
    response = fail("sns", "query", ServiceError("InvalidParameter", 'bad <value> & "quote"\r'))
    assert b'<Message>bad &lt;value&gt; &amp; "quote"&#13;</Message>' in response.body
    parsed = parse(response, service_model("sns").operation_model("Publish").output_shape, "query")
    assert parsed["Error"]["Message"] == 'bad <value> & "quote"\r'


def test_timestamps_accept_naive_and_epoch_values():
    naive = datetime(2024, 1, 1, 12, 0, 0)
    for value in (
        naive,
        naive.replace(tzinfo=UTC),
        1704110400,
        1704110400.0,
        naive.replace(tzinfo=timezone(timedelta(hours=2))) + timedelta(hours=2),
    ):
        response = respond(
            "sts",
            "GetSessionToken",
            "query",
            {
                "Credentials": {
                    "AccessKeyId": "a",
                    "SecretAccessKey": "s",
                    "SessionToken": "t",
                    "Expiration": value,
                }
            },
        )
        assert b"<Expiration>2024-01-01T12:00:00Z</Expiration>" in response.body, value


def test_query_service_without_namespace_omits_xmlns():
    from botocore.model import ServiceModel

    model = ServiceModel(
        {
            "metadata": {
                "protocol": "query",
                "apiVersion": "2024-01-01",
                "endpointPrefix": "bare",
                "serviceId": "Bare",
                "signatureVersion": "v4",
            },
            "operations": {
                "Ping": {
                    "name": "Ping",
                    "http": {"method": "POST", "requestUri": "/"},
                    "output": {"shape": "PingResult", "resultWrapper": "PingResult"},
                }
            },
            "shapes": {
                "PingResult": {"type": "structure", "members": {"Pong": {"shape": "S"}}},
                "S": {"type": "string"},
            },
        },
        service_name="bare",
    )
    response = serialize_response(model.operation_model("Ping"), "query", {"Pong": "x"}, context())
    assert response.body.startswith(b"<PingResponse><PingResult><Pong>x</Pong></PingResult>")
    error = serialize_error(model, None, "query", ServiceError("Nope", "no"), context())
    assert error.body.startswith(b"<ErrorResponse><Error>")
