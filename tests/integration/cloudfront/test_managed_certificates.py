"""A distribution tenant's CloudFront-managed certificate (an ACM certificate validated over
HTTP, issued once the tenant's domains point at its connection group in Route 53), the DNS
check of a tenant's domains, RTMP distributions as CloudFront answers them since it
discontinued them, and config defaults AWS fills in."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.cloudfront.helpers import custom_origin, distribution_config


def _tenant(cloudfront, domains: list[str], **extra) -> dict:
    config = distribution_config([custom_origin("127.0.0.1", 9)], ConnectionMode="tenant-only")
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    return cloudfront.create_distribution_tenant(
        DistributionId=distribution["Id"],
        Name=f"t-{uuid.uuid4().hex[:8]}",
        Domains=[{"Domain": d} for d in domains],
        **extra,
    )["DistributionTenant"]


def _zone(route53, name: str) -> str:
    created = route53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)
    return created["HostedZone"]["Id"].split("/")[-1]


def _cname(route53, zone_id: str, name: str, target: str) -> None:
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": name,
                        "Type": "CNAME",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": target}],
                    },
                }
            ]
        },
    )


def test_managed_certificate_issued_once_dns_points_at_cloudfront(client):
    cloudfront, route53, acm = client("cloudfront"), client("route53"), client("acm")
    apex = f"m{uuid.uuid4().hex[:8]}.example"
    www, shop = f"www.{apex}", f"shop.{apex}"
    tenant = _tenant(
        cloudfront,
        [www, shop],
        ManagedCertificateRequest={"ValidationTokenHost": "cloudfront", "PrimaryDomainName": www},
    )
    endpoint = cloudfront.get_connection_group(Identifier=tenant["ConnectionGroupId"])["ConnectionGroup"][
        "RoutingEndpoint"
    ]
    # No zone holds the domains yet: their DNS cannot be read.
    checks = cloudfront.verify_dns_configuration(Identifier=tenant["Id"])["DnsConfigurationList"]
    assert {c["Domain"]: c["Status"] for c in checks} == {
        www: "unknown-configuration",
        shop: "unknown-configuration",
    }
    details = cloudfront.get_managed_certificate_details(Identifier=tenant["Name"])[
        "ManagedCertificateDetails"
    ]
    assert details["CertificateStatus"] == "pending-validation"
    assert details["ValidationTokenHost"] == "cloudfront"
    assert sorted(d["Domain"] for d in details["ValidationTokenDetails"]) == sorted([www, shop])
    assert all(
        d["RedirectFrom"].startswith(f"http://{d['Domain']}/.well-known/pki-validation/")
        for d in details["ValidationTokenDetails"]
    )
    certificate = acm.describe_certificate(CertificateArn=details["CertificateArn"])["Certificate"]
    assert certificate["ManagedBy"] == "CLOUDFRONT" and certificate["DomainName"] == www
    assert certificate["SubjectAlternativeNames"] == [www, shop]

    zone_id = _zone(route53, apex)
    _cname(route53, zone_id, www, endpoint)
    _cname(route53, zone_id, shop, "elsewhere.example.net")
    checks = cloudfront.verify_dns_configuration(Identifier=tenant["Id"])["DnsConfigurationList"]
    by_domain = {c["Domain"]: c for c in checks}
    assert by_domain[www]["Status"] == "valid-configuration"
    assert by_domain[shop]["Status"] == "invalid-configuration"
    assert "elsewhere.example.net" in by_domain[shop]["Reason"]
    one = cloudfront.verify_dns_configuration(Identifier=tenant["Id"], Domain=shop)["DnsConfigurationList"]
    assert [c["Domain"] for c in one] == [shop]
    details = cloudfront.get_managed_certificate_details(Identifier=tenant["Id"])["ManagedCertificateDetails"]
    assert details["CertificateStatus"] == "pending-validation"
    assert [d["Domain"] for d in details["ValidationTokenDetails"]] == [shop]

    _cname(route53, zone_id, shop, endpoint)
    details = cloudfront.get_managed_certificate_details(Identifier=tenant["Arn"])[
        "ManagedCertificateDetails"
    ]
    assert details["CertificateStatus"] == "issued"
    assert "ValidationTokenDetails" not in details
    issued = acm.describe_certificate(CertificateArn=details["CertificateArn"])["Certificate"]
    assert issued["Status"] == "ISSUED"


def test_self_hosted_token_waits_and_tenant_without_certificate(client):
    cloudfront = client("cloudfront")
    domain = f"s{uuid.uuid4().hex[:8]}.example"
    hosted = _tenant(cloudfront, [domain], ManagedCertificateRequest={"ValidationTokenHost": "self-hosted"})
    details = cloudfront.get_managed_certificate_details(Identifier=hosted["Id"])["ManagedCertificateDetails"]
    assert (details["CertificateStatus"], details["ValidationTokenHost"]) == (
        "pending-validation",
        "self-hosted",
    )
    plain = _tenant(cloudfront, [f"p{uuid.uuid4().hex[:8]}.example"])
    with pytest.raises(ClientError) as failure:
        cloudfront.get_managed_certificate_details(Identifier=plain["Id"])
    assert failure.value.response["Error"]["Code"] == "EntityNotFound"
    with pytest.raises(ClientError) as failure:
        cloudfront.verify_dns_configuration(Identifier="dt_nosuchtenant")
    assert failure.value.response["Error"]["Code"] == "EntityNotFound"


def test_http_validation_is_for_cloudfront_managed_certificates(client):
    with pytest.raises(ClientError) as failure:
        client("acm").request_certificate(DomainName="h.example.com", ValidationMethod="HTTP")
    assert failure.value.response["Error"]["Code"] == "ValidationException"


def test_rtmp_distributions_are_discontinued(client):
    cloudfront = client("cloudfront")
    listed = cloudfront.list_streaming_distributions()["StreamingDistributionList"]
    assert (listed["Quantity"], listed["IsTruncated"], listed["MaxItems"]) == (0, False, 100)
    config = {
        "CallerReference": uuid.uuid4().hex,
        "S3Origin": {"DomainName": "media.s3.amazonaws.com", "OriginAccessIdentity": ""},
        "Comment": "rtmp",
        "TrustedSigners": {"Enabled": False, "Quantity": 0},
        "Enabled": True,
    }
    for call, params in (
        (cloudfront.create_streaming_distribution, {"StreamingDistributionConfig": config}),
        (
            cloudfront.create_streaming_distribution_with_tags,
            {
                "StreamingDistributionConfigWithTags": {
                    "StreamingDistributionConfig": config,
                    "Tags": {"Items": []},
                }
            },
        ),
    ):
        with pytest.raises(ClientError) as failure:
            call(**params)
        assert failure.value.response["Error"]["Code"] == "AccessDenied"
        assert failure.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    for call, params in (
        (cloudfront.get_streaming_distribution, {"Id": "EXXXXXXXXXXXXX"}),
        (cloudfront.get_streaming_distribution_config, {"Id": "EXXXXXXXXXXXXX"}),
        (cloudfront.delete_streaming_distribution, {"Id": "EXXXXXXXXXXXXX", "IfMatch": "E1"}),
        (
            cloudfront.update_streaming_distribution,
            {"Id": "EXXXXXXXXXXXXX", "IfMatch": "E1", "StreamingDistributionConfig": config},
        ),
    ):
        with pytest.raises(ClientError) as failure:
            call(**params)
        assert failure.value.response["Error"]["Code"] == "NoSuchStreamingDistribution"
        assert failure.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_defaults_aws_fills_in(client):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    cloudfront = client("cloudfront")
    origin = custom_origin("127.0.0.1", 8080)
    created = cloudfront.create_distribution(DistributionConfig=distribution_config([origin]))
    custom = created["Distribution"]["DistributionConfig"]["Origins"]["Items"][0]["CustomOriginConfig"]
    assert (custom["OriginReadTimeout"], custom["OriginKeepaliveTimeout"]) == (30, 5)
    fetched = cloudfront.get_distribution(Id=created["Distribution"]["Id"])["Distribution"]
    assert fetched["DistributionConfig"]["Origins"]["Items"][0]["CustomOriginConfig"] == custom

    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    config = {"CallerReference": uuid.uuid4().hex, "Name": f"k-{uuid.uuid4().hex[:8]}", "EncodedKey": pem}
    key = cloudfront.create_public_key(PublicKeyConfig=config)
    assert key["PublicKey"]["PublicKeyConfig"] == {**config, "Comment": ""}
    got = cloudfront.get_public_key(Id=key["PublicKey"]["Id"])
    assert got["PublicKey"]["PublicKeyConfig"] == {**config, "Comment": ""}
    cloudfront.delete_public_key(Id=key["PublicKey"]["Id"], IfMatch=key["ETag"])
