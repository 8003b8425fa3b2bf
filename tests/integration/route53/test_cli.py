"""The guide's Route 53 command, as written, through the real aws CLI: an UPSERT of an alias
record to a CloudFront distribution, then the name resolving through Overcast's DNS."""

from __future__ import annotations

import json
import os
import subprocess
import uuid

from tests.conftest import BIN, CREDENTIALS
from tests.integration.route53.conftest import answers


def run(endpoint: str, *args: str) -> dict:
    result = subprocess.run(
        [str(BIN / "aws"), "--endpoint-url", endpoint, "--output", "json", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **CREDENTIALS}, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else {}


def test_guide_alias_to_cloudfront(r53_server, dns_port):
    domain = f"cli{uuid.uuid4().hex[:6]}.example.com"
    created = run(
        r53_server.endpoint,
        "route53",
        "create-hosted-zone",
        "--name",
        domain,
        "--caller-reference",
        uuid.uuid4().hex,
    )
    zone_id = created["HostedZone"]["Id"].split("/")[-1]
    batch = {
        "Changes": [
            {
                "Action": "UPSERT",
                "ResourceRecordSet": {
                    "Name": f"www.{domain}",
                    "Type": "A",
                    "AliasTarget": {
                        "HostedZoneId": "Z2FDTNDATAQYW2",
                        "DNSName": "d111111abcdef8.cloudfront.net",
                        "EvaluateTargetHealth": False,
                    },
                },
            }
        ]
    }
    changed = run(
        r53_server.endpoint,
        "route53",
        "change-resource-record-sets",
        "--hosted-zone-id",
        zone_id,
        "--change-batch",
        json.dumps(batch),
    )
    assert changed["ChangeInfo"]["Status"] == "PENDING"
    run(
        r53_server.endpoint,
        "route53",
        "wait",
        "resource-record-sets-changed",
        "--id",
        changed["ChangeInfo"]["Id"],
    )
    listed = run(r53_server.endpoint, "route53", "list-resource-record-sets", "--hosted-zone-id", zone_id)
    alias = next(r for r in listed["ResourceRecordSets"] if r["Type"] == "A")
    assert alias["AliasTarget"]["DNSName"] == "d111111abcdef8.cloudfront.net."
    assert answers(dns_port, f"www.{domain}") == ["127.0.0.1"]
