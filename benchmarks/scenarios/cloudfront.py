"""CloudFront's data plane: a cached GET of a 1 KiB S3 object through a distribution (edge
cache hit: behaviour, cache key, headers), and the same GET with caching disabled (every
request a miss: one in-process S3 origin fetch under the bucket policy's check).

A distribution's id exists only after setup; each distribution is reached by an alias
instead (Host `hit.cf-bench.example`, `miss.cf-bench.example`), the same pipeline with a fixed
address."""

import json
import urllib.request

from scenarios import ClientFactory, HttpRequest, Scenario

BUCKET = "cf-bench-origin"
HIT = "hit.cf-bench.example"
MISS = "miss.cf-bench.example"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
#: Aliases need a certificate; CloudFront takes an ACM ARN in us-east-1 (not looked up here).
CERTIFICATE = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"


def _distribution(client: ClientFactory, alias: str, policy: str) -> None:
    s3 = client("s3")
    cloudfront = client("cloudfront")
    if BUCKET not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key="1k.txt", Body=b"x" * 1024, ContentType="text/plain")
    oac = cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": alias,
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": alias,
            "Aliases": {"Quantity": 1, "Items": [alias]},
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "s3",
                        "DomainName": f"{BUCKET}.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                        "OriginAccessControlId": oac,
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "s3",
                "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": policy,
            },
            "ViewerCertificate": {"ACMCertificateArn": CERTIFICATE, "SSLSupportMethod": "sni-only"},
            "Comment": "bench",
            "Enabled": True,
        }
    )["Distribution"]
    statements = []
    try:
        statements = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    except Exception:  # no policy yet
        statements = []
    statements.append(
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution["ARN"]}},
        }
    )
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    endpoint = s3.meta.endpoint_url
    request = urllib.request.Request(f"{endpoint}/1k.txt", headers={"Host": alias})
    with urllib.request.urlopen(request, timeout=10) as response:  # the first miss fills the cache
        assert response.status == 200 and len(response.read()) == 1024


def _get(alias: str) -> HttpRequest:
    return HttpRequest("GET", "/1k.txt", (("Host", alias),))


SCENARIOS = (
    Scenario(
        name="cloudfront-cached-get-1k",
        summary="CloudFront GET of a 1 KiB S3 object from the edge cache (X-Cache: Hit)",
        setup=lambda client: _distribution(client, HIT, CACHING_OPTIMIZED),
        requests=(_get(HIT),),
    ),
    Scenario(
        name="cloudfront-miss-get-1k",
        summary="CloudFront GET of a 1 KiB S3 object, caching disabled: one OAC-checked S3 fetch each",
        setup=lambda client: _distribution(client, MISS, CACHING_DISABLED),
        requests=(_get(MISS),),
    ),
)
