"""JSON, rest-json and CBOR: content types, headers and their value formats, status codes,
payloads, non-finite floats, recursive shapes, and the JSON-family error envelopes (including
SQS's query-compatible error header as botocore's client reads it)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import cbor2
from botocore.awsrequest import HeadersDict
from botocore.model import ServiceModel
from botocore.parsers import create_parser

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request
from overcast.protocols.models import service_model
from overcast.protocols.serializers import compile_response, serialize_error, serialize_response

REQUEST_ID = "0a6f1a3e-2d5c-4b0f-8c1e-9d8e7f6a5b4c"
UTC = UTC


def context() -> RequestContext:
    return RequestContext(request=Request("POST", "/", "", {}), request_id=REQUEST_ID)


def respond(service: str, operation: str, protocol: str, output: dict, model: ServiceModel | None = None):
    model = model or service_model(service)
    return serialize_response(model.operation_model(operation), protocol, output, context())


def parse(response, shape, protocol: str) -> dict:
    headers = HeadersDict({k.lower(): v for k, v in response.headers.items()})
    return create_parser(protocol).parse(
        {"status_code": response.status, "headers": headers, "body": response.body}, shape
    )


def fail(service: str, protocol: str, error: ServiceError):
    return serialize_error(service_model(service), None, protocol, error, context())


# -- json -------------------------------------------------------------------------------------


def test_json_content_type_follows_the_json_version():
    assert (
        respond("dynamodb", "ListTables", "json", {}).headers["Content-Type"] == "application/x-amz-json-1.0"
    )
    assert respond("kms", "ListKeys", "json", {}).headers["Content-Type"] == "application/x-amz-json-1.1"


def test_json_blobs_timestamps_and_identity_fast_path():
    created = datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=UTC)
    response = respond(
        "dynamodb",
        "DescribeTable",
        "json",
        {"Table": {"TableName": "t", "CreationDateTime": created, "ItemCount": 3}},
    )
    assert json.loads(response.body) == {
        "Table": {"TableName": "t", "CreationDateTime": 1704067200.5, "ItemCount": 3}
    }
    query = respond(
        "dynamodb", "Query", "json", {"Items": [{"b": {"B": b"\x00\xff"}, "n": {"M": {"x": {"BS": [b"a"]}}}}]}
    )
    assert json.loads(query.body) == {"Items": [{"b": {"B": "AP8="}, "n": {"M": {"x": {"BS": ["YQ=="]}}}}]}


def test_json_raw_members_are_spliced_verbatim():
    from overcast.protocols.serializers.json import RawJson, Spliced

    body = respond(
        "dynamodb", "Scan", "json", Spliced(Count=1, Items=RawJson(b'[{"k":{"S":"\\u00e9"}}]'))
    ).body
    assert body == b'{"Count":1,"Items":[{"k":{"S":"\\u00e9"}}]}'
    assert json.loads(body) == {"Count": 1, "Items": [{"k": {"S": "\u00e9"}}]}
    only_raw = respond("dynamodb", "GetItem", "json", Spliced(Item=RawJson(b'{"k":{"N":"1"}}'))).body
    assert only_raw == b'{"Item":{"k":{"N":"1"}}}'


def test_json_long_blobs_at_any_depth_are_base64_as_botocore_reads_them():
    # Long blobs skip the encoder's escaping (serializers/json.py _dumps): the body must still
    # be the same JSON, whatever else it holds, a NaN included.
    blobs = [bytes(range(256)) * 3, b"\xff" * 4096, b"short"]
    model = service_model("kinesis")
    operation = model.operation_model("GetRecords")
    records = [
        {"SequenceNumber": str(n), "Data": data, "PartitionKey": 'blob0123456789_0"x'}
        for n, data in enumerate(blobs)
    ]
    output = {"Records": records, "MillisBehindLatest": 0}
    response = serialize_response(operation, "json", output, context())
    parsed = parse(response, operation.output_shape, "json")
    assert [r["Data"] for r in parsed["Records"]] == blobs
    assert all(r["PartitionKey"] == 'blob0123456789_0"x' for r in parsed["Records"])
    assert json.loads(response.body)["Records"][1]["Data"] == base64.b64encode(blobs[1]).decode()
    kms = service_model("kms").operation_model("Encrypt")
    encrypted = serialize_response(kms, "json", {"CiphertextBlob": blobs[1], "KeyId": "k"}, context())
    assert parse(encrypted, kms.output_shape, "json")["CiphertextBlob"] == blobs[1]
    nan = respond(
        "dynamodb",
        "Query",
        "json",
        {"Items": [{"b": {"B": blobs[0]}}], "ConsumedCapacity": {"CapacityUnits": float("nan")}},
    )
    assert json.loads(nan.body)["Items"][0]["b"]["B"] == base64.b64encode(blobs[0]).decode()
    assert json.loads(nan.body)["ConsumedCapacity"]["CapacityUnits"] == "NaN"


def test_json_naive_and_numeric_timestamps_are_utc_epoch_seconds():
    for value in (datetime(2024, 1, 1), 1704067200, datetime(2024, 1, 1, tzinfo=UTC)):
        response = respond("dynamodb", "DescribeTable", "json", {"Table": {"CreationDateTime": value}})
        assert json.loads(response.body)["Table"]["CreationDateTime"] == 1704067200


def test_json_non_finite_floats_are_strings():
    response = respond(
        "dynamodb",
        "Query",
        "json",
        {"ConsumedCapacity": {"CapacityUnits": float("nan"), "ReadCapacityUnits": float("inf")}},
    )
    assert json.loads(response.body) == {
        "ConsumedCapacity": {"CapacityUnits": "NaN", "ReadCapacityUnits": "Infinity"}
    }


def test_plans_are_compiled_once():
    operation = service_model("sts").operation_model("GetCallerIdentity")
    assert compile_response(operation, "query") is compile_response(operation, "query")


# -- rest-json --------------------------------------------------------------------------------


def test_rest_json_renamed_members_and_status_code():
    response = respond(
        "apigatewayv2",
        "CreateApi",
        "rest-json",
        {"ApiId": "a1", "Name": "n", "CreatedDate": datetime(2024, 1, 1, tzinfo=UTC)},
    )
    assert response.status == 201  # the operation's modelled responseCode
    assert json.loads(response.body) == {"apiId": "a1", "name": "n", "createdDate": "2024-01-01T00:00:00Z"}
    assert response.headers["Content-Type"] == "application/json"


def test_rest_json_status_code_member_and_blob_payload():
    response = respond(
        "lambda",
        "Invoke",
        "rest-json",
        {"StatusCode": 202, "Payload": b"", "FunctionError": "Unhandled", "LogResult": "bG9n"},
    )
    assert response.status == 202
    assert response.headers["X-Amz-Function-Error"] == "Unhandled"
    assert response.headers["X-Amz-Log-Result"] == "bG9n"
    assert response.body == b""
    assert "Content-Type" not in response.headers  # no body, nothing to describe


def test_rest_json_no_content_status_sends_no_body():
    response = respond("apigateway", "DeleteRestApi", "rest-json", {})
    assert response.status == 202 and response.body == b""  # the modelled code
    deleted = respond("lambda", "DeleteFunction", "rest-json", {"StatusCode": 204})
    assert deleted.status == 204 and deleted.body == b""


# A model with what the covered services do not use: jsonvalue, list and epoch headers, and a
# recursive shape whose values need converting.
SYNTHETIC = ServiceModel(
    {
        "metadata": {
            "protocol": "rest-json",
            "apiVersion": "2024-01-01",
            "endpointPrefix": "synthetic",
            "serviceId": "Synthetic",
            "signatureVersion": "v4",
        },
        "operations": {
            "Get": {
                "name": "Get",
                "http": {"method": "GET", "requestUri": "/"},
                "output": {"shape": "GetOutput"},
            }
        },
        "shapes": {
            "GetOutput": {
                "type": "structure",
                "members": {
                    "Doc": {
                        "shape": "JsonString",
                        "location": "header",
                        "locationName": "x-doc",
                        "jsonvalue": True,
                    },
                    "Names": {"shape": "Names", "location": "header", "locationName": "x-names"},
                    "Seen": {"shape": "Epoch", "location": "header", "locationName": "x-seen"},
                    "Tree": {"shape": "Node"},
                },
            },
            "JsonString": {"type": "string"},
            "Names": {"type": "list", "member": {"shape": "Name"}},
            "Name": {"type": "string"},
            "Epoch": {"type": "timestamp", "timestampFormat": "unixTimestamp"},
            "Iso": {"type": "timestamp", "timestampFormat": "iso8601"},
            "Node": {
                "type": "structure",
                "members": {"At": {"shape": "Iso"}, "Children": {"shape": "Nodes"}},
            },
            "Nodes": {"type": "list", "member": {"shape": "Node"}},
        },
    },
    service_name="synthetic",
)


def test_jsonvalue_list_and_epoch_headers():
    seen = datetime(2024, 1, 1, 0, 0, 0, 250000, tzinfo=UTC)
    response = respond(
        "synthetic",
        "Get",
        "rest-json",
        {"Doc": {"a": [1, "b"]}, "Names": ["x", "y,z", "w"], "Seen": seen},
        SYNTHETIC,
    )
    assert json.loads(base64.b64decode(response.headers["x-doc"])) == {"a": [1, "b"]}
    assert response.headers["x-names"] == 'x, "y,z", w'  # smithy quotes items holding commas
    assert response.headers["x-seen"] == "1704067200.25"
    parsed = parse(response, SYNTHETIC.operation_model("Get").output_shape, "rest-json")
    assert parsed["Doc"] == {"a": [1, "b"]} and parsed["Seen"] == seen


def test_recursive_shape_is_converted_at_every_depth():
    at = datetime(2024, 1, 1, tzinfo=UTC)
    response = respond(
        "synthetic",
        "Get",
        "rest-json",
        {"Tree": {"At": at, "Children": [{"At": at, "Children": [{"At": at}]}]}},
        SYNTHETIC,
    )
    stamp = "2024-01-01T00:00:00Z"
    assert json.loads(response.body) == {
        "Tree": {"At": stamp, "Children": [{"At": stamp, "Children": [{"At": stamp}]}]}
    }


# -- cbor -------------------------------------------------------------------------------------


def test_cbor_headers_tags_and_floats():
    when = datetime(2024, 1, 1, tzinfo=UTC)
    response = respond(
        "cloudwatch",
        "GetMetricData",
        "smithy-rpc-v2-cbor",
        {"MetricDataResults": [{"Id": "m", "Timestamps": [when, 1704067260], "Values": [1.5, float("inf")]}]},
    )
    assert response.headers["Content-Type"] == "application/cbor"
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"
    decoded = cbor2.loads(response.body)
    timestamps = decoded["MetricDataResults"][0]["Timestamps"]
    assert [t.timestamp() if isinstance(t, datetime) else t.value for t in timestamps] == [
        1704067200,
        1704067260,
    ]
    parsed = parse(
        response,
        service_model("cloudwatch").operation_model("GetMetricData").output_shape,
        "smithy-rpc-v2-cbor",
    )
    assert parsed["MetricDataResults"][0]["Timestamps"][1] == datetime(2024, 1, 1, 0, 1, tzinfo=UTC)
    assert parsed["MetricDataResults"][0]["Values"] == [1.5, float("inf")]


def test_cbor_operation_without_output_has_no_body():
    response = respond("cloudwatch", "DeleteAlarms", "smithy-rpc-v2-cbor", {})
    assert response.status == 200 and response.body == b""
    assert response.headers["smithy-protocol"] == "rpc-v2-cbor"


# -- errors -----------------------------------------------------------------------------------


def test_json_error_envelope():
    response = fail(
        "dynamodb", "json", ServiceError("ResourceNotFoundException", "Requested resource not found")
    )
    assert response.status == 400
    assert response.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert json.loads(response.body) == {
        "__type": "ResourceNotFoundException",
        "message": "Requested resource not found",
    }


def test_json_error_modelled_fields_and_message_key():
    item = {"pk": {"S": "a"}}
    response = fail("dynamodb", "json", ServiceError("ConditionalCheckFailedException", "failed", Item=item))
    assert json.loads(response.body)["Item"] == item
    # Shapes that model "Message" get "Message".
    logs = fail("cloudwatch", "json", ServiceError("ConflictException", "conflict"))
    assert json.loads(logs.body)["Message"] == "conflict"
    assert logs.status == 409


def test_sqs_json_error_carries_the_query_code():
    response = fail("sqs", "json", ServiceError("QueueDoesNotExist", "The specified queue does not exist."))
    assert response.headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert json.loads(response.body)["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    parsed = parse(response, service_model("sqs").operation_model("GetQueueUrl").output_shape, "json")
    # botocore: Code is the query code, and its SQS handler raises QueryErrorCode's class.
    assert parsed["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert parsed["Error"]["QueryErrorCode"] == "QueueDoesNotExist"
    assert parsed["Error"]["Type"] == "Sender"
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID


def test_rest_json_error_header_and_body_fields():
    response = fail(
        "lambda",
        "rest-json",
        ServiceError(
            "TooManyRequestsException",
            "Rate exceeded",
            retryAfterSeconds="3",
            Type="User",
            Reason="CallerRateLimitExceeded",
        ),
    )
    assert response.status == 429
    assert response.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    assert response.headers["Retry-After"] == "3"
    assert json.loads(response.body) == {
        "message": "Rate exceeded",
        "Type": "User",
        "Reason": "CallerRateLimitExceeded",
    }
    shape = service_model("lambda").shape_for("TooManyRequestsException")
    parsed = parse(response, shape, "rest-json")
    assert parsed["retryAfterSeconds"] == "3" and parsed["Reason"] == "CallerRateLimitExceeded"


def test_cbor_error_envelope():
    response = fail(
        "cloudwatch", "smithy-rpc-v2-cbor", ServiceError("DashboardNotFoundError", "no such dashboard")
    )
    assert response.status == 404
    assert response.headers["x-amzn-query-error"] == "ResourceNotFound;Sender"
    assert cbor2.loads(response.body) == {"__type": "DashboardNotFoundError", "message": "no such dashboard"}
    # A query code two shapes share resolves to the shape of that name.
    shared = fail("cloudwatch", "smithy-rpc-v2-cbor", ServiceError("ResourceNotFound", "no such alarm"))
    assert cbor2.loads(shared.body)["__type"] == "ResourceNotFound"


def test_unmodelled_error_keeps_its_status_and_code():
    response = fail("kms", "json", ServiceError("AccessDeniedException", "nope", 403))
    assert response.status == 403
    assert json.loads(response.body) == {"__type": "AccessDeniedException", "message": "nope"}
    not_implemented = fail("kms", "json", ServiceError("NotImplemented", "not yet", 501, sender_fault=False))
    assert not_implemented.status == 501
