"""What other services rely on: Provider.records_changed (Route 53 calls it after a change
batch, CloudFormation while a certificate resource waits) issues the certificates whose DNS
validation records Route 53 now answers, and leaves the others waiting."""

from __future__ import annotations

from overcast.context import RequestContext


def test_records_changed_issues_validated_certificates(runtime):
    acm = runtime.provider("acm")
    route53 = runtime.provider("route53")
    acm_context = RequestContext.internal("acm", "000000000000", "us-east-1")
    r53_context = RequestContext.internal("route53", "000000000000")
    arn = acm.request_certificate(
        acm_context, {"DomainName": "www.contract.test", "ValidationMethod": "DNS"}
    )["CertificateArn"]
    acm.records_changed()
    detail = acm.describe_certificate(acm_context, {"CertificateArn": arn})["Certificate"]
    assert detail["Status"] == "PENDING_VALIDATION"
    record = detail["DomainValidationOptions"][0]["ResourceRecord"]
    zone = route53.create_hosted_zone(r53_context, {"Name": "contract.test", "CallerReference": "c2"})[
        "HostedZone"
    ]
    route53.change_resource_record_sets(
        r53_context,
        {
            "HostedZoneId": zone["Id"].split("/")[-1],
            "ChangeBatch": {
                "Changes": [
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            "Name": record["Name"],
                            "Type": "CNAME",
                            "TTL": 300,
                            "ResourceRecords": [{"Value": record["Value"]}],
                        },
                    }
                ]
            },
        },
    )
    assert acm.describe_certificate(acm_context, {"CertificateArn": arn})["Certificate"]["Status"] == "ISSUED"


def test_certificate_exists(runtime):
    """Load balancer listeners check the certificates they name (certificate_exists)."""
    acm = runtime.provider("acm")
    context = RequestContext.internal("acm", "000000000000", "us-east-1")
    arn = acm.request_certificate(context, {"DomainName": "lb.contract.test", "ValidationMethod": "DNS"})[
        "CertificateArn"
    ]
    assert acm.certificate_exists(arn)
    assert not acm.certificate_exists(arn[:-4] + "0000")
    assert not acm.certificate_exists("arn:aws:iam::000000000000:server-certificate/x")
