"""What other services rely on: Provider.lookup (ACM reads its DNS validation records with it)
answers what the DNS server would, for any account's zone."""

from __future__ import annotations

from overcast.context import RequestContext


def test_lookup_answers_from_the_zones(runtime):
    route53 = runtime.provider("route53")
    context = RequestContext.internal("route53", "111111111111")
    zone = route53.create_hosted_zone(context, {"Name": "contract.test", "CallerReference": "c1"})[
        "HostedZone"
    ]
    route53.change_resource_record_sets(
        context,
        {
            "HostedZoneId": zone["Id"].split("/")[-1],
            "ChangeBatch": {
                "Changes": [
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            "Name": "_abc.contract.test",
                            "Type": "CNAME",
                            "TTL": 300,
                            "ResourceRecords": [{"Value": "_def.acm-validations.aws."}],
                        },
                    }
                ]
            },
        },
    )
    assert route53.lookup("_ABC.contract.test.", "CNAME") == ["_def.acm-validations.aws."]
    assert route53.lookup("_missing.contract.test", "CNAME") == []
    assert route53.lookup("elsewhere.example", "CNAME") == []
