"""CloudFront Functions: the control plane's stages and ETags, TestFunction running the code
for real, a published viewer-request function rewriting the URI on the data plane, and a
KeyValueStore read through the cf module."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudfront.helpers import distribution_config, get

REWRITE = b"""
function handler(event) {
    var request = event.request;
    if (request.uri.endsWith('/')) {
        request.uri += 'index.html';
    } else if (!request.uri.includes('.')) {
        request.uri += '/index.html';
    }
    console.log('rewrote to ' + request.uri);
    return request;
}
"""

KVS_REDIRECT = b"""
import cf from 'cloudfront';
const kvs = cf.kvs('%s');
async function handler(event) {
    const target = await kvs.get(event.request.uri.substring(1)).catch(() => null);
    if (target === null) {
        return event.request;
    }
    return {statusCode: 302, statusDescription: 'Found', headers: {location: {value: target}}};
}
"""


def _event(uri: str) -> bytes:
    return json.dumps(
        {
            "version": "1.0",
            "context": {"eventType": "viewer-request"},
            "viewer": {"ip": "1.2.3.4"},
            "request": {"method": "GET", "uri": uri, "headers": {}, "cookies": {}, "querystring": {}},
        }
    ).encode()


def test_function_lifecycle_and_test_function(client):
    cloudfront = client("cloudfront")
    name = f"rewrite-{uuid.uuid4().hex[:8]}"
    created = cloudfront.create_function(
        Name=name, FunctionConfig={"Comment": "c", "Runtime": "cloudfront-js-1.0"}, FunctionCode=REWRITE
    )
    assert created["FunctionSummary"]["FunctionMetadata"]["Stage"] == "DEVELOPMENT"
    assert created["FunctionSummary"]["Status"] == "UNPUBLISHED"
    etag = created["ETag"]
    result = cloudfront.test_function(Name=name, IfMatch=etag, EventObject=_event("/docs/"))["TestResult"]
    assert json.loads(result["FunctionOutput"])["request"]["uri"] == "/docs/index.html"
    assert result["FunctionExecutionLogs"] == ["rewrote to /docs/index.html"]
    assert result["FunctionErrorMessage"] == ""

    with pytest.raises(ClientError) as failure:
        cloudfront.publish_function(Name=name, IfMatch="WRONG")
    assert failure.value.response["Error"]["Code"] == "PreconditionFailed"
    published = cloudfront.publish_function(Name=name, IfMatch=etag)["FunctionSummary"]
    assert published["FunctionMetadata"]["Stage"] == "LIVE"
    live = cloudfront.describe_function(Name=name, Stage="LIVE")
    assert cloudfront.get_function(Name=name, Stage="LIVE")["FunctionCode"].read() == REWRITE
    names = [f["Name"] for f in cloudfront.list_functions(Stage="LIVE")["FunctionList"]["Items"]]
    assert name in names
    assert live["ETag"]


def test_function_that_throws_reports_its_error(client):
    cloudfront = client("cloudfront")
    name = f"thrower-{uuid.uuid4().hex[:8]}"
    code = b"function handler(event) { throw new Error('boom'); }"
    etag = cloudfront.create_function(
        Name=name, FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"}, FunctionCode=code
    )["ETag"]
    result = cloudfront.test_function(Name=name, IfMatch=etag, EventObject=_event("/"))["TestResult"]
    assert "boom" in result["FunctionErrorMessage"]


def test_code_that_does_not_compile_is_refused(client):
    cloudfront = client("cloudfront")
    with pytest.raises(ClientError) as failure:
        cloudfront.create_function(
            Name=f"broken-{uuid.uuid4().hex[:8]}",
            FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"},
            FunctionCode=b"function handler(event { return 1 }",
        )
    assert failure.value.response["Error"]["Code"] == "InvalidArgument"


def test_viewer_request_function_rewrites_the_uri(client, endpoint):
    s3 = client("s3")
    cloudfront = client("cloudfront")
    bucket = f"fn-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{bucket}/*",
                    }
                ],
            }
        ),
    )
    s3.put_object(Bucket=bucket, Key="docs/index.html", Body=b"docs page")
    name = f"rewrite-{uuid.uuid4().hex[:8]}"
    etag = cloudfront.create_function(
        Name=name, FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-1.0"}, FunctionCode=REWRITE
    )["ETag"]
    arn = cloudfront.publish_function(Name=name, IfMatch=etag)["FunctionSummary"]["FunctionMetadata"][
        "FunctionARN"
    ]
    origin = {
        "Id": "s3",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = distribution_config(
        [origin],
        behaviour={
            "FunctionAssociations": {
                "Quantity": 1,
                "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}],
            }
        },
    )
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    status, _, body = get(endpoint, distribution["Id"], "/docs")
    assert (status, body) == (200, b"docs page")
    status, _, body = get(endpoint, distribution["Id"], "/docs/")
    assert (status, body) == (200, b"docs page")
    # A function in use cannot be deleted.
    etag = cloudfront.describe_function(Name=name)["ETag"]
    with pytest.raises(ClientError) as failure:
        cloudfront.delete_function(Name=name, IfMatch=etag)
    assert failure.value.response["Error"]["Code"] == "FunctionInUse"


def test_key_value_store_read_by_a_function(client):
    s3 = client("s3")
    cloudfront = client("cloudfront")
    bucket = f"kvs-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    data = {"data": [{"key": "old", "value": "https://example.com/new"}]}
    s3.put_object(Bucket=bucket, Key="kvs.json", Body=json.dumps(data).encode())
    store = cloudfront.create_key_value_store(
        Name=f"redirects-{uuid.uuid4().hex[:8]}",
        ImportSource={"SourceType": "S3", "SourceARN": f"arn:aws:s3:::{bucket}/kvs.json"},
    )["KeyValueStore"]
    assert store["Status"] == "READY"
    name = f"kvs-{uuid.uuid4().hex[:8]}"
    etag = cloudfront.create_function(
        Name=name,
        FunctionConfig={
            "Comment": "",
            "Runtime": "cloudfront-js-2.0",
            "KeyValueStoreAssociations": {"Quantity": 1, "Items": [{"KeyValueStoreARN": store["ARN"]}]},
        },
        FunctionCode=KVS_REDIRECT % store["Id"].encode(),
    )["ETag"]
    result = cloudfront.test_function(Name=name, IfMatch=etag, EventObject=_event("/old"))["TestResult"]
    output = json.loads(result["FunctionOutput"])
    assert result["FunctionErrorMessage"] == ""
    assert output["response"]["statusCode"] == 302
    assert output["response"]["headers"]["location"]["value"] == "https://example.com/new"
    result = cloudfront.test_function(Name=name, IfMatch=etag, EventObject=_event("/other"))["TestResult"]
    assert json.loads(result["FunctionOutput"])["request"]["uri"] == "/other"
