"""The guide's static site, end to end: an S3 website bucket named after the domain, an ACM
certificate validated by Route 53 records (ISSUED), an alias record to the S3 website endpoint
resolved by Overcast's DNS server, and the page fetched from the resolved address with the
site's Host."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

from tests.integration.route53.conftest import answers, change, query

S3_WEBSITE_ZONE = "Z3AQBSTGFYJSTF"  # us-east-1's S3 website endpoint zone


def test_static_site(r53_client, r53_server, dns_port):
    s3, acm, route53 = r53_client("s3"), r53_client("acm"), r53_client("route53")
    domain = f"site{uuid.uuid4().hex[:6]}.test"
    host = f"www.{domain}"
    s3.create_bucket(Bucket=host)
    s3.put_bucket_website(
        Bucket=host,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "ErrorDocument": {"Key": "error.html"},
        },
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{host}/*",
            }
        ],
    }
    s3.delete_public_access_block(Bucket=host)  # new buckets block public policies, as on AWS
    s3.put_bucket_policy(Bucket=host, Policy=json.dumps(policy))
    s3.put_object(
        Bucket=host, Key="index.html", Body=b"<h1>hello from the static site</h1>", ContentType="text/html"
    )
    zone_id = route53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]

    arn = acm.request_certificate(DomainName=host, ValidationMethod="DNS", SubjectAlternativeNames=[domain])[
        "CertificateArn"
    ]
    options = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    change(
        route53,
        zone_id,
        *[
            (
                "UPSERT",
                {
                    "Name": o["ResourceRecord"]["Name"],
                    "Type": "CNAME",
                    "TTL": 300,
                    "ResourceRecords": [{"Value": o["ResourceRecord"]["Value"]}],
                },
            )
            for o in options
        ],
        (
            "CREATE",
            {
                "Name": host,
                "Type": "A",
                "AliasTarget": {
                    "HostedZoneId": S3_WEBSITE_ZONE,
                    "DNSName": "s3-website-us-east-1.amazonaws.com",
                    "EvaluateTargetHealth": False,
                },
            },
        ),
    )
    deadline = time.monotonic() + 20
    while acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] != "ISSUED":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    # The validation records themselves resolve through the DNS server, as ACM reads them.
    record = options[0]["ResourceRecord"]
    assert [r.to_text() for rrset in query(dns_port, record["Name"], "CNAME").answer for r in rrset] == [
        record["Value"]
    ]

    [address] = answers(dns_port, host)
    assert address == "127.0.0.1"
    request = urllib.request.Request(f"http://{address}:{r53_server.port}/", headers={"Host": host})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.read() == b"<h1>hello from the static site</h1>"
