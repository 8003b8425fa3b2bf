"""A durable Overcast keeps its distributions serving across a restart: the first request
after it (CloudFront not yet asked anything) reaches the distribution by Host; the edge
cache, like CloudFront's, starts empty."""

from __future__ import annotations

import uuid

import boto3

from tests.conftest import Server
from tests.integration.cloudfront.helpers import distribution_config, get, oac_policy, s3_origin


def _client(server: Server, service: str):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def test_distribution_serves_after_a_restart(tmp_path):
    data = str(tmp_path / "data")
    bucket = f"durable-{uuid.uuid4().hex[:8]}"
    first = Server("--data-dir", data, "--quiet")
    try:
        s3, cloudfront = _client(first, "s3"), _client(first, "cloudfront")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="index.html", Body=b"kept", ContentType="text/html")
        oac = cloudfront.create_origin_access_control(
            OriginAccessControlConfig={
                "Name": "durable",
                "SigningProtocol": "sigv4",
                "SigningBehavior": "always",
                "OriginAccessControlOriginType": "s3",
            }
        )["OriginAccessControl"]["Id"]
        distribution = cloudfront.create_distribution(
            DistributionConfig=distribution_config([s3_origin(bucket, oac)], DefaultRootObject="index.html")
        )["Distribution"]
        s3.put_bucket_policy(Bucket=bucket, Policy=oac_policy(bucket, distribution["ARN"]))
        assert get(first.endpoint, distribution["Id"], "/")[2] == b"kept"
    finally:
        first.stop()
    second = Server("--data-dir", data, "--quiet")
    try:
        import http.client

        host, port = second.endpoint.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/", headers={"Host": distribution["DomainName"]})
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"kept")
        assert response.getheader("X-Cache") == "Miss from cloudfront"
        connection.close()
        config = _client(second, "cloudfront").get_distribution_config(Id=distribution["Id"])
        assert config["DistributionConfig"]["DefaultRootObject"] == "index.html"
    finally:
        second.stop()
