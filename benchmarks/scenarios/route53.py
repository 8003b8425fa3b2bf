"""Route 53: ChangeResourceRecordSets UPSERT of one A record (a change batch checked, applied
atomically, a change recorded, the DNS index updated) and ListResourceRecordSets of a page of
100 from a zone of 1,000 record sets.

A hosted zone's id exists only after setup, so setup writes it into the calls' parameters
(the dicts are shared with the AwsCall objects; requests are signed after setup)."""

import time

from scenarios import AwsCall, ClientFactory, Scenario

_UPSERT: dict = {
    "HostedZoneId": "",
    "ChangeBatch": {
        "Changes": [
            {
                "Action": "UPSERT",
                "ResourceRecordSet": {
                    "Name": "www.bench-route53.test.",
                    "Type": "A",
                    "TTL": 60,
                    "ResourceRecords": [{"Value": "192.0.2.10"}, {"Value": "192.0.2.11"}],
                },
            }
        ]
    },
}
_LIST: dict = {"HostedZoneId": "", "StartRecordName": "r500.bench-route53.test.", "MaxItems": "100"}


def _zone(client: ClientFactory) -> None:
    route53 = client("route53")
    zone_id = route53.create_hosted_zone(Name="bench-route53.test", CallerReference=str(time.time()))[
        "HostedZone"
    ]["Id"].split("/")[-1]
    for start in range(0, 1000, 500):
        route53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Changes": [
                    {
                        "Action": "CREATE",
                        "ResourceRecordSet": {
                            "Name": f"r{i}.bench-route53.test.",
                            "Type": "A",
                            "TTL": 300,
                            "ResourceRecords": [{"Value": f"10.0.{i >> 8}.{i & 255}"}],
                        },
                    }
                    for i in range(start, start + 500)
                ]
            },
        )
    _UPSERT["HostedZoneId"] = zone_id
    _LIST["HostedZoneId"] = zone_id


SCENARIOS = (
    Scenario(
        name="route53-change-resource-record-sets",
        summary="Route 53 ChangeResourceRecordSets, UPSERT of one A record (rest-xml, a transaction)",
        setup=_zone,
        requests=(AwsCall("route53", "ChangeResourceRecordSets", _UPSERT),),
    ),
    Scenario(
        name="route53-list-resource-record-sets",
        summary="Route 53 ListResourceRecordSets, a page of 100 from 1,000 record sets",
        setup=_zone,
        requests=(AwsCall("route53", "ListResourceRecordSets", _LIST),),
    ),
)
