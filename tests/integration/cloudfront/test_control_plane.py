"""The control plane as AWS answers it: ETags and If-Match, CallerReference idempotency,
InProgress → Deployed, aliases no two distributions share, managed policies by AWS's ids,
resources in use, tags and the ListDistributionsBy* lookups."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudfront.helpers import CACHING_OPTIMIZED, distribution_config, s3_origin

CERTIFICATE = "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555"


def _code(failure: pytest.ExceptionInfo) -> str:
    return str(failure.value.response["Error"]["Code"])


def _config(**extra) -> dict:
    return distribution_config([s3_origin(f"b-{uuid.uuid4().hex[:8]}")], **extra)


def test_distribution_lifecycle(client):
    cloudfront = client("cloudfront")
    config = _config(DefaultRootObject="index.html")
    created = cloudfront.create_distribution(DistributionConfig=config)
    distribution = created["Distribution"]
    assert distribution["Status"] == "InProgress"
    assert distribution["DomainName"] == distribution["Id"].lower() + ".cloudfront.net"
    assert distribution["ARN"] == f"arn:aws:cloudfront::000000000000:distribution/{distribution['Id']}"
    assert created["Location"].endswith(f"/2020-05-31/distribution/{distribution['Id']}")
    stored = distribution["DistributionConfig"]
    assert stored["DefaultRootObject"] == "index.html"
    assert stored["Origins"] == config["Origins"] | {
        "Items": [
            dict(
                config["Origins"]["Items"][0],
                **{
                    "OriginPath": "",
                    "CustomHeaders": {"Quantity": 0},
                    "ConnectionAttempts": 3,
                    "ConnectionTimeout": 10,
                    "OriginShield": {"Enabled": False},
                },
            )
        ]
    }
    assert stored["PriceClass"] == "PriceClass_All" and stored["HttpVersion"] == "http2"

    # The same CallerReference and config: the same distribution; another config: refused.
    again = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    assert again["Id"] == distribution["Id"]
    with pytest.raises(ClientError) as failure:
        cloudfront.create_distribution(DistributionConfig=dict(config, Comment="other"))
    assert _code(failure) == "DistributionAlreadyExists"

    time.sleep(1.2)
    current = cloudfront.get_distribution(Id=distribution["Id"])
    assert current["Distribution"]["Status"] == "Deployed"
    with pytest.raises(ClientError) as failure:
        cloudfront.update_distribution(Id=distribution["Id"], DistributionConfig=config)
    assert _code(failure) == "InvalidIfMatchVersion"
    with pytest.raises(ClientError) as failure:
        cloudfront.update_distribution(Id=distribution["Id"], DistributionConfig=config, IfMatch="ESTALE")
    assert _code(failure) == "PreconditionFailed"
    with pytest.raises(ClientError) as failure:
        cloudfront.delete_distribution(Id=distribution["Id"], IfMatch=current["ETag"])
    assert _code(failure) == "DistributionNotDisabled"

    disabled = cloudfront.update_distribution(
        Id=distribution["Id"], DistributionConfig=dict(config, Enabled=False), IfMatch=current["ETag"]
    )
    assert disabled["ETag"] != current["ETag"]
    assert disabled["Distribution"]["Status"] == "InProgress"
    cloudfront.get_waiter("distribution_deployed").wait(Id=distribution["Id"], WaiterConfig={"Delay": 1})
    cloudfront.delete_distribution(Id=distribution["Id"], IfMatch=disabled["ETag"])
    with pytest.raises(ClientError) as failure:
        cloudfront.get_distribution(Id=distribution["Id"])
    assert _code(failure) == "NoSuchDistribution"


def test_config_checks(client):
    cloudfront = client("cloudfront")
    config = _config()
    config["DefaultCacheBehavior"]["TargetOriginId"] = "nowhere"
    with pytest.raises(ClientError) as failure:
        cloudfront.create_distribution(DistributionConfig=config)
    assert _code(failure) == "NoSuchOrigin"
    config = _config()
    config["Origins"]["Quantity"] = 2
    with pytest.raises(ClientError) as failure:
        cloudfront.create_distribution(DistributionConfig=config)
    assert _code(failure) == "InconsistentQuantities"
    config = _config()
    config["DefaultCacheBehavior"]["CachePolicyId"] = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as failure:
        cloudfront.create_distribution(DistributionConfig=config)
    assert _code(failure) == "NoSuchCachePolicy"
    with pytest.raises(ClientError) as failure:
        cloudfront.create_distribution(
            DistributionConfig=_config(Aliases={"Quantity": 1, "Items": ["a.example.com"]})
        )
    assert _code(failure) == "InvalidViewerCertificate"
    with pytest.raises(ClientError) as failure:
        cloudfront.create_distribution(
            DistributionConfig=_config(
                Aliases={"Quantity": 1, "Items": ["a.example.com"]},
                ViewerCertificate={"ACMCertificateArn": CERTIFICATE.replace("us-east-1", "eu-west-1")},
            )
        )
    assert _code(failure) == "InvalidViewerCertificate"


def test_aliases_are_unique_and_served_by_host(client, endpoint):
    cloudfront = client("cloudfront")
    alias = f"www-{uuid.uuid4().hex[:8]}.example.com"
    certificate = {"ACMCertificateArn": CERTIFICATE, "SSLSupportMethod": "sni-only"}
    first = cloudfront.create_distribution(
        DistributionConfig=_config(Aliases={"Quantity": 1, "Items": [alias]}, ViewerCertificate=certificate)
    )["Distribution"]
    with pytest.raises(ClientError) as failure:
        cloudfront.create_distribution(
            DistributionConfig=_config(
                Aliases={"Quantity": 1, "Items": [alias]}, ViewerCertificate=certificate
            )
        )
    assert _code(failure) == "CNAMEAlreadyExists"
    other = cloudfront.create_distribution(DistributionConfig=_config(ViewerCertificate=certificate))[
        "Distribution"
    ]
    conflicts = cloudfront.list_conflicting_aliases(DistributionId=other["Id"], Alias=alias)
    assert [item["DistributionId"] for item in conflicts["ConflictingAliasesList"]["Items"]] == [first["Id"]]
    # The alias is served (the bucket does not exist: S3's answer through the edge).
    import http.client

    host, port = endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/x", headers={"Host": alias})
    response = connection.getresponse()
    assert response.status == 404 and b"NoSuchBucket" in response.read()
    assert response.getheader("X-Amz-Cf-Id")
    connection.close()


def test_managed_policies_and_in_use(client):
    cloudfront = client("cloudfront")
    managed = cloudfront.list_cache_policies(Type="managed")["CachePolicyList"]["Items"]
    by_name = {
        item["CachePolicy"]["CachePolicyConfig"]["Name"]: item["CachePolicy"]["Id"] for item in managed
    }
    assert by_name["Managed-CachingOptimized"] == CACHING_OPTIMIZED
    assert (
        cloudfront.get_cache_policy(Id=CACHING_OPTIMIZED)["CachePolicy"]["CachePolicyConfig"]["MinTTL"] == 1
    )
    origin_policies = cloudfront.list_origin_request_policies(Type="managed")["OriginRequestPolicyList"][
        "Items"
    ]
    assert "216adef6-5c7f-47e4-b989-5492eafa07d3" in [
        item["OriginRequestPolicy"]["Id"] for item in origin_policies
    ]

    name = f"p-{uuid.uuid4().hex[:8]}"
    policy_config = {
        "Name": name,
        "MinTTL": 0,
        "DefaultTTL": 10,
        "MaxTTL": 100,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    }
    created = cloudfront.create_cache_policy(CachePolicyConfig=policy_config)
    policy_id = created["CachePolicy"]["Id"]
    with pytest.raises(ClientError) as failure:
        cloudfront.create_cache_policy(CachePolicyConfig=policy_config)
    assert _code(failure) == "CachePolicyAlreadyExists"
    config = _config()
    config["DefaultCacheBehavior"]["CachePolicyId"] = policy_id
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    listed = cloudfront.list_distributions_by_cache_policy_id(CachePolicyId=policy_id)["DistributionIdList"]
    assert listed["Items"] == [distribution["Id"]]
    with pytest.raises(ClientError) as failure:
        cloudfront.delete_cache_policy(Id=policy_id, IfMatch=created["ETag"])
    assert _code(failure) == "CachePolicyInUse"
    with pytest.raises(ClientError) as failure:
        cloudfront.delete_cache_policy(Id=CACHING_OPTIMIZED, IfMatch="E23ZP02F085DFQ")
    assert _code(failure) == "AccessDenied"
    updated = cloudfront.update_cache_policy(
        Id=policy_id, IfMatch=created["ETag"], CachePolicyConfig=dict(policy_config, DefaultTTL=20)
    )
    assert cloudfront.get_cache_policy_config(Id=policy_id)["CachePolicyConfig"]["DefaultTTL"] == 20
    assert updated["ETag"] != created["ETag"]


def test_tags_and_origin_access(client):
    cloudfront = client("cloudfront")
    created = cloudfront.create_distribution_with_tags(
        DistributionConfigWithTags={
            "DistributionConfig": _config(),
            "Tags": {"Items": [{"Key": "team", "Value": "web"}]},
        }
    )["Distribution"]
    cloudfront.tag_resource(Resource=created["ARN"], Tags={"Items": [{"Key": "env", "Value": "dev"}]})
    tags = cloudfront.list_tags_for_resource(Resource=created["ARN"])["Tags"]["Items"]
    assert {tag["Key"]: tag["Value"] for tag in tags} == {"team": "web", "env": "dev"}
    cloudfront.untag_resource(Resource=created["ARN"], TagKeys={"Items": ["team"]})
    assert [
        t["Key"] for t in cloudfront.list_tags_for_resource(Resource=created["ARN"])["Tags"]["Items"]
    ] == ["env"]
    with pytest.raises(ClientError) as failure:
        cloudfront.list_tags_for_resource(Resource=created["ARN"][:-2] + "ZZ")
    assert _code(failure) == "NoSuchResource"

    reference = str(uuid.uuid4())
    identity = cloudfront.create_cloud_front_origin_access_identity(
        CloudFrontOriginAccessIdentityConfig={"CallerReference": reference, "Comment": "legacy"}
    )
    same = cloudfront.create_cloud_front_origin_access_identity(
        CloudFrontOriginAccessIdentityConfig={"CallerReference": reference, "Comment": "legacy"}
    )
    assert same["CloudFrontOriginAccessIdentity"]["Id"] == identity["CloudFrontOriginAccessIdentity"]["Id"]
    assert identity["CloudFrontOriginAccessIdentity"]["S3CanonicalUserId"]
    listed = cloudfront.list_cloud_front_origin_access_identities()["CloudFrontOriginAccessIdentityList"]
    assert identity["CloudFrontOriginAccessIdentity"]["Id"] in [item["Id"] for item in listed["Items"]]
    # A distribution may name only an identity that exists.
    origin = s3_origin("legacy-bucket")
    origin["S3OriginConfig"]["OriginAccessIdentity"] = (
        "origin-access-identity/cloudfront/" + identity["CloudFrontOriginAccessIdentity"]["Id"]
    )
    cloudfront.create_distribution(DistributionConfig=distribution_config([origin]))
    for missing in ("origin-access-identity/cloudfront/E2NOSUCHID", "not-an-identity"):
        origin["S3OriginConfig"]["OriginAccessIdentity"] = missing
        with pytest.raises(ClientError) as failure:
            cloudfront.create_distribution(DistributionConfig=distribution_config([origin]))
        assert _code(failure) == "InvalidOriginAccessIdentity"
    oac = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": f"oac-{uuid.uuid4().hex[:8]}",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )
    oac_id = oac["OriginAccessControl"]["Id"]
    assert cloudfront.get_origin_access_control(Id=oac_id)["ETag"] == oac["ETag"]
    cloudfront.delete_origin_access_control(Id=oac_id, IfMatch=oac["ETag"])
    with pytest.raises(ClientError) as failure:
        cloudfront.get_origin_access_control(Id=oac_id)
    assert _code(failure) == "NoSuchOriginAccessControl"


def test_invalidation_completes(client):
    cloudfront = client("cloudfront")
    distribution = cloudfront.create_distribution(DistributionConfig=_config())["Distribution"]
    batch = {"Paths": {"Quantity": 1, "Items": ["/index.html"]}, "CallerReference": "r1"}
    first = cloudfront.create_invalidation(DistributionId=distribution["Id"], InvalidationBatch=batch)
    again = cloudfront.create_invalidation(DistributionId=distribution["Id"], InvalidationBatch=batch)
    assert again["Invalidation"]["Id"] == first["Invalidation"]["Id"]
    with pytest.raises(ClientError) as failure:
        cloudfront.create_invalidation(
            DistributionId=distribution["Id"],
            InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/other"]}, "CallerReference": "r1"},
        )
    assert _code(failure) == "InvalidationBatchAlreadyExists"
    cloudfront.get_waiter("invalidation_completed").wait(
        DistributionId=distribution["Id"], Id=first["Invalidation"]["Id"], WaiterConfig={"Delay": 1}
    )
    assert (
        cloudfront.get_invalidation(DistributionId=distribution["Id"], Id=first["Invalidation"]["Id"])[
            "Invalidation"
        ]["Status"]
        == "Completed"
    )
