"""Origins beyond a plain bucket: Overcast's own API Gateway stage reached over loopback,
an S3 website endpoint, compression and HEAD; and the guide's CLI deployment step
(`aws cloudfront create-invalidation --paths "/*"`)."""

from __future__ import annotations

import gzip
import json
import uuid

from tests.integration.cloudfront.helpers import custom_origin, distribution_config, get


def test_api_gateway_origin(client, endpoint):
    apigw = client("apigateway")
    cloudfront = client("cloudfront")
    api = apigw.create_rest_api(name=f"cf-{uuid.uuid4().hex[:8]}")
    resource = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="hello")[
        "id"
    ]
    apigw.put_method(restApiId=api["id"], resourceId=resource, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api["id"],
        resourceId=resource,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    apigw.put_method_response(restApiId=api["id"], resourceId=resource, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api["id"],
        resourceId=resource,
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": '{"from": "api"}'},
    )
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    origin = custom_origin(
        f"{api['id']}.execute-api.us-east-1.amazonaws.com", 443, origin_id="api", path="/prod"
    )
    origin["CustomOriginConfig"]["OriginProtocolPolicy"] = "https-only"
    distribution = cloudfront.create_distribution(DistributionConfig=distribution_config([origin]))[
        "Distribution"
    ]
    status, headers, body = get(endpoint, distribution["Id"], "/hello")
    assert status == 200, body
    assert json.loads(body) == {"from": "api"}
    assert headers["X-Cache"] == "Miss from cloudfront"


def test_website_origin_compression_and_head(client, endpoint):
    s3 = client("s3")
    cloudfront = client("cloudfront")
    bucket = f"web-{uuid.uuid4().hex[:10]}"
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
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    page = b"<p>" + b"hello website " * 200 + b"</p>"
    s3.put_object(Bucket=bucket, Key="docs/index.html", Body=page, ContentType="text/html")
    origin = custom_origin(f"{bucket}.s3-website-us-east-1.amazonaws.com", 80)
    config = distribution_config([origin], behaviour={"Compress": True})
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    # The website endpoint serves the folder's index document.
    status, headers, body = get(endpoint, distribution["Id"], "/docs/", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == page
    status, headers, body = get(endpoint, distribution["Id"], "/docs/")
    assert status == 200 and body == page and "Content-Encoding" not in headers
    status, headers, body = get(endpoint, distribution["Id"], "/docs/", method="HEAD")
    assert status == 200 and body == b""


def test_guide_invalidation_command(client, aws):
    cloudfront = client("cloudfront")
    bucket = f"guide-{uuid.uuid4().hex[:8]}"
    distribution = cloudfront.create_distribution(
        DistributionConfig=distribution_config(
            [
                {
                    "Id": "s3",
                    "DomainName": f"{bucket}.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ]
        )
    )["Distribution"]
    result = aws(
        "cloudfront", "create-invalidation", "--distribution-id", distribution["Id"], "--paths", "/*"
    )
    assert result["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/*"]
    listed = aws("cloudfront", "list-distributions")
    assert distribution["Id"] in [item["Id"] for item in listed["DistributionList"]["Items"]]


def test_head_then_get_gets_the_body(client, endpoint):
    s3 = client("s3")
    cloudfront = client("cloudfront")
    bucket = f"head-{uuid.uuid4().hex[:10]}"
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
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"body")
    origin = {
        "Id": "s3",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    distribution = cloudfront.create_distribution(DistributionConfig=distribution_config([origin]))[
        "Distribution"
    ]
    status, headers, body = get(endpoint, distribution["Id"], "/a.txt", method="HEAD")
    assert (status, body) == (200, b"") and headers["Content-Length"] == "4"
    assert get(endpoint, distribution["Id"], "/a.txt")[2] == b"body"
    # A range is answered as asked and leaves the cached whole object alone.
    status, _, body = get(endpoint, distribution["Id"], "/a.txt", headers={"Range": "bytes=1-2"})
    assert (status, body) == (206, b"od")
    assert get(endpoint, distribution["Id"], "/a.txt")[2] == b"body"
    # A cached object's ETag answered with 304 Not Modified.
    etag = get(endpoint, distribution["Id"], "/a.txt")[1]["ETag"]
    status, headers, body = get(endpoint, distribution["Id"], "/a.txt", headers={"If-None-Match": etag})
    assert (status, body, headers["X-Cache"]) == (304, b"", "Hit from cloudfront")
