"""Operation matching: the route table for rest protocols (S3's tricky routes above all), the
target header, the Action parameter, the RPC v2 path, and the errors for unknown operations."""

from __future__ import annotations

import pytest

from overcast.errors import ServiceError
from overcast.http import Request
from overcast.protocols.models import service_model
from overcast.protocols.operations import match_operation, routes_for


def request(
    method: str, path: str, query: str = "", headers: dict | None = None, body: bytes = b""
) -> Request:
    return Request(method, path, query, {"host": "localhost:4566", **(headers or {})}, body)


def route(
    service: str, method: str, path: str, query: str = "", headers: dict | None = None, protocol: str = ""
):
    model = service_model(service)
    operation, params = match_operation(
        model, protocol or model.protocol, request(method, path, query, headers)
    )
    return operation.name, params


# ---------------------------------------------------------------------------- S3


@pytest.mark.parametrize(
    ("method", "path", "query", "headers", "expected"),
    [
        ("GET", "/", "", {}, "ListBuckets"),
        ("GET", "/bucket", "", {}, "ListObjects"),
        ("GET", "/bucket/", "", {}, "ListObjects"),
        ("GET", "/bucket", "list-type=2", {}, "ListObjectsV2"),
        ("GET", "/bucket", "list-type=2&prefix=a%2F&delimiter=%2F", {}, "ListObjectsV2"),
        ("GET", "/bucket", "list-type=1", {}, "ListObjects"),  # only list-type=2 is V2
        ("GET", "/bucket", "acl", {}, "GetBucketAcl"),
        ("GET", "/bucket", "acl=", {}, "GetBucketAcl"),
        ("GET", "/bucket", "versions", {}, "ListObjectVersions"),
        ("GET", "/bucket", "uploads", {}, "ListMultipartUploads"),
        ("GET", "/bucket", "location", {}, "GetBucketLocation"),
        ("GET", "/bucket", "policy", {}, "GetBucketPolicy"),
        ("GET", "/bucket", "tagging", {}, "GetBucketTagging"),
        ("GET", "/bucket", "lifecycle", {}, "GetBucketLifecycleConfiguration"),  # not the deprecated twin
        ("GET", "/bucket", "notification", {}, "GetBucketNotificationConfiguration"),
        ("GET", "/bucket", "analytics", {}, "ListBucketAnalyticsConfigurations"),
        ("GET", "/bucket", "analytics&id=a1", {}, "GetBucketAnalyticsConfiguration"),
        ("PUT", "/bucket", "", {}, "CreateBucket"),
        ("PUT", "/bucket", "versioning", {}, "PutBucketVersioning"),
        ("HEAD", "/bucket", "", {}, "HeadBucket"),
        ("DELETE", "/bucket", "", {}, "DeleteBucket"),
        ("POST", "/bucket", "delete", {}, "DeleteObjects"),
        ("GET", "/bucket/key", "", {}, "GetObject"),
        ("GET", "/bucket/key", "x-id=GetObject", {}, "GetObject"),
        ("GET", "/bucket/key", "uploadId=u1", {}, "ListParts"),
        ("GET", "/bucket/key", "acl", {}, "GetObjectAcl"),
        ("GET", "/bucket/key", "tagging", {}, "GetObjectTagging"),
        ("GET", "/bucket/key", "attributes", {}, "GetObjectAttributes"),
        ("HEAD", "/bucket/key", "", {}, "HeadObject"),
        ("PUT", "/bucket/key", "", {}, "PutObject"),
        ("PUT", "/bucket/key", "x-id=PutObject", {}, "PutObject"),
        ("PUT", "/bucket/key", "", {"x-amz-copy-source": "src/key"}, "CopyObject"),
        ("PUT", "/bucket/key", "partNumber=1&uploadId=u1", {}, "UploadPart"),
        (
            "PUT",
            "/bucket/key",
            "partNumber=1&uploadId=u1",
            {"x-amz-copy-source": "src/key"},
            "UploadPartCopy",
        ),
        ("PUT", "/bucket/key", "acl", {}, "PutObjectAcl"),
        ("POST", "/bucket/key", "uploads", {}, "CreateMultipartUpload"),
        ("POST", "/bucket/key", "uploadId=u1", {}, "CompleteMultipartUpload"),
        ("POST", "/bucket/key", "restore", {}, "RestoreObject"),
        ("POST", "/bucket/key", "select&select-type=2", {}, "SelectObjectContent"),
        ("DELETE", "/bucket/key", "", {}, "DeleteObject"),
        ("DELETE", "/bucket/key", "uploadId=u1", {}, "AbortMultipartUpload"),
    ],
)
def test_s3_routes(method: str, path: str, query: str, headers: dict, expected: str) -> None:
    assert route("s3", method, path, query, headers)[0] == expected


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("/bucket/key", "key"),
        ("/bucket/dir/sub/file.txt", "dir/sub/file.txt"),
        ("/bucket/dir/", "dir/"),  # the trailing slash is part of the key
        ("/bucket//leading", "/leading"),
        ("/bucket/a%20b/c%2Bd", "a b/c+d"),
        ("/bucket/%E2%9C%93", "\u2713"),
        ("/bucket/a%2Fb", "a/b"),  # an encoded '/' in a key is a '/'
        ("/bucket/%25", "%"),
    ],
)
def test_s3_greedy_key_keeps_slashes_and_decodes(path: str, key: str) -> None:
    name, params = route("s3", "GET", path)
    assert name == "GetObject"
    assert params == {"Bucket": "bucket", "Key": key}


def test_s3_unrouted_method_is_method_not_allowed() -> None:
    with pytest.raises(ServiceError) as raised:
        route("s3", "POST", "/bucket/key")
    assert raised.value.code == "MethodNotAllowed"
    assert raised.value.status == 405
    assert raised.value.fields == {"Method": "POST", "ResourceType": "OBJECT"}
    with pytest.raises(ServiceError) as raised:
        route("s3", "PATCH", "/bucket")
    assert raised.value.fields["ResourceType"] == "BUCKET"


def test_label_segments_decode_separately() -> None:
    # A non-greedy label with an encoded '/' stays one segment.
    name, params = route(
        "lambda",
        "GET",
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af/configuration",
    )
    assert name == "GetFunctionConfiguration"
    assert params == {"FunctionName": "arn:aws:lambda:us-east-1:1:function:f"}


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/2015-03-31/functions/", "ListFunctions"),
        ("GET", "/2015-03-31/functions", "ListFunctions"),
        ("GET", "/2015-03-31/functions/my-fn", "GetFunction"),
        ("POST", "/2015-03-31/functions", "CreateFunction"),
        ("POST", "/2015-03-31/functions/my-fn/invocations", "Invoke"),
        ("GET", "/2015-03-31/functions/my-fn/policy", "GetPolicy"),
        ("DELETE", "/2015-03-31/functions/my-fn/policy/stmt-1", "RemovePermission"),
    ],
)
def test_lambda_routes(method: str, path: str, expected: str) -> None:
    assert route("lambda", method, path)[0] == expected


def test_greedy_label_with_literal_suffix_prefers_the_longer_template() -> None:
    name, params = route("s3control", "GET", "/v20180820/mrap/instances/my/alias/policy")
    assert name == "GetMultiRegionAccessPointPolicy"
    assert params == {"name": "my/alias"}
    assert route("s3control", "GET", "/v20180820/mrap/instances/my/alias")[0] == "GetMultiRegionAccessPoint"


def test_unknown_rest_json_route() -> None:
    with pytest.raises(ServiceError) as raised:
        route("lambda", "GET", "/nothing/here")
    assert (raised.value.code, raised.value.status) == ("UnknownOperationException", 404)


def test_route_table_is_compiled_once() -> None:
    model = service_model("s3")
    assert routes_for(model) is routes_for(model)


# ---------------------------------------------------------------------------- json / query / cbor


def test_json_target() -> None:
    model = service_model("dynamodb")
    operation, params = match_operation(
        model, "json", request("POST", "/", headers={"x-amz-target": "DynamoDB_20120810.PutItem"})
    )
    assert (operation.name, params) == ("PutItem", {})
    with pytest.raises(ServiceError) as raised:
        match_operation(
            model, "json", request("POST", "/", headers={"x-amz-target": "DynamoDB_20120810.Nope"})
        )
    assert raised.value.code == "UnknownOperationException"


def test_query_action_from_body_or_query_string() -> None:
    model = service_model("sts")
    form = {"content-type": "application/x-www-form-urlencoded"}
    body = request("POST", "/", headers=form, body=b"Action=GetCallerIdentity&Version=2011-06-15")
    assert match_operation(model, "query", body)[0].name == "GetCallerIdentity"
    query = request("GET", "/", "Action=GetCallerIdentity&Version=2011-06-15")
    assert match_operation(model, "query", query)[0].name == "GetCallerIdentity"


def test_query_unknown_and_missing_action() -> None:
    model = service_model("sts")
    with pytest.raises(ServiceError) as raised:
        match_operation(model, "query", request("GET", "/", "Action=Nope"))
    assert raised.value.code == "InvalidAction"
    assert raised.value.message == "The action Nope is not valid for this web service."
    with pytest.raises(ServiceError) as raised:
        match_operation(model, "query", request("GET", "/"))
    assert raised.value.code == "MissingAction"


def test_rpc_v2_cbor_path() -> None:
    model = service_model("cloudwatch")
    path = "/service/GraniteServiceVersion20100801/operation/PutMetricData"
    assert match_operation(model, "smithy-rpc-v2-cbor", request("POST", path))[0].name == "PutMetricData"
    with pytest.raises(ServiceError) as raised:
        match_operation(model, "smithy-rpc-v2-cbor", request("POST", "/service/X/operation/Nope"))
    assert (raised.value.code, raised.value.status) == ("UnknownOperationException", 404)
