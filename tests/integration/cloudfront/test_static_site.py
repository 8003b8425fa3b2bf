"""The guide's static site: an S3 bucket reached through origin access control and its bucket
policy, a distribution, the page fetched through the data plane (miss, then hit), an
invalidation that really purges it."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.cloudfront.helpers import distribution_config, get, oac_policy, s3_origin, stats


@pytest.fixture
def site(client, endpoint):
    s3 = client("s3")
    cloudfront = client("cloudfront")
    bucket = f"site-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    s3.put_object(Bucket=bucket, Key="404.html", Body=b"<h1>missing</h1>", ContentType="text/html")
    oac = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": f"oac-{bucket}",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    config = distribution_config([s3_origin(bucket, oac)], DefaultRootObject="index.html")
    created = cloudfront.create_distribution(DistributionConfig=config)
    distribution = created["Distribution"]
    return s3, cloudfront, bucket, distribution, created["ETag"]


def test_oac_needs_the_bucket_policy(site, endpoint):
    s3, _, bucket, distribution, _ = site
    status, _, body = get(endpoint, distribution["Id"], "/404.html")
    assert status == 403 and b"AccessDenied" in body
    s3.put_bucket_policy(Bucket=bucket, Policy=oac_policy(bucket, distribution["ARN"]))
    # The 403 stays cached for the error caching minimum TTL (10 s): another path is fetched.
    status, _, body = get(endpoint, distribution["Id"], "/")
    assert status == 200 and body == b"<h1>home</h1>"


def test_policy_for_another_distribution_is_refused(site, endpoint):
    s3, _, bucket, distribution, _ = site
    other = distribution["ARN"][:-3] + "XYZ"
    s3.put_bucket_policy(Bucket=bucket, Policy=oac_policy(bucket, other))
    status, _, _ = get(endpoint, distribution["Id"], "/index.html")
    assert status == 403


def test_miss_then_hit_then_invalidation(site, endpoint):
    s3, cloudfront, bucket, distribution, _ = site
    s3.put_bucket_policy(Bucket=bucket, Policy=oac_policy(bucket, distribution["ARN"]))
    before = stats(endpoint)["origin_fetches"]
    status, headers, body = get(endpoint, distribution["Id"], "/index.html")
    assert status == 200 and body == b"<h1>home</h1>"
    assert headers["X-Cache"] == "Miss from cloudfront"
    assert headers["Via"].endswith(".cloudfront.net (CloudFront)")
    assert headers["X-Amz-Cf-Id"] and headers["X-Amz-Cf-Pop"]
    assert headers["Content-Type"] == "text/html"
    status, headers, body = get(endpoint, distribution["Id"], "/index.html")
    assert headers["X-Cache"] == "Hit from cloudfront" and "Age" in headers
    assert stats(endpoint)["origin_fetches"] == before + 1  # one miss, one origin fetch

    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>v2</h1>", ContentType="text/html")
    assert get(endpoint, distribution["Id"], "/index.html")[2] == b"<h1>home</h1>"  # still cached
    invalidation = cloudfront.create_invalidation(
        DistributionId=distribution["Id"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": "deploy-1"},
    )["Invalidation"]
    assert invalidation["Status"] == "InProgress"
    status, headers, body = get(endpoint, distribution["Id"], "/index.html")
    assert body == b"<h1>v2</h1>" and headers["X-Cache"] == "Miss from cloudfront"
    listed = cloudfront.list_invalidations(DistributionId=distribution["Id"])["InvalidationList"]
    assert [item["Id"] for item in listed["Items"]] == [invalidation["Id"]]


def test_default_root_object_and_host_header(site, endpoint):
    s3, _, bucket, distribution, _ = site
    s3.put_bucket_policy(Bucket=bucket, Policy=oac_policy(bucket, distribution["ARN"]))
    import urllib.request

    for host in (distribution["DomainName"], f"{distribution['Id']}.cloudfront.localhost.localstack.cloud"):
        request = urllib.request.Request(f"{endpoint}/", headers={"Host": host})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.read() == b"<h1>home</h1>"


def test_custom_error_response(client, endpoint):
    s3 = client("s3")
    cloudfront = client("cloudfront")
    bucket = f"spa-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"app", ContentType="text/html")
    config = distribution_config(
        [s3_origin(bucket)],
        CustomErrorResponses={
            "Quantity": 1,
            "Items": [
                {
                    "ErrorCode": 403,
                    "ResponsePagePath": "/index.html",
                    "ResponseCode": "200",
                    "ErrorCachingMinTTL": 0,
                }
            ],
        },
    )
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    public = {
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
    import json

    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public))
    status, _, body = get(endpoint, distribution["Id"], "/some/client/route")
    assert status == 200 and body == b"app"
