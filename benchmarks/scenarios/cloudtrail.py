"""CloudTrail scenarios.

What recording costs every other request is measured with the STS scenario against two
Overcasts, one recording and one with CloudTrail left out (the SERVICES setting), the latter
standing in for the reference server so the ratio is the recorded/unrecorded throughput:

    .venv/bin/python benchmarks/run.py sts-get-caller-identity --rounds 5 --duration 3 \\
        --reference-cmd "env OVERCAST_SERVICES=sts {python} -m overcast start --ephemeral --port {port} --host {host}"
"""

from scenarios import AwsCall, Scenario


def _setup(make_client) -> None:
    sts = make_client("sts")
    for _ in range(200):
        sts.get_caller_identity()


SCENARIOS = (
    Scenario(
        name="cloudtrail-lookup-events",
        summary="CloudTrail LookupEvents: the newest 50 events (JSON protocol, store read, event rendering)",
        requests=(AwsCall("cloudtrail", "LookupEvents", {"MaxResults": 50}),),
        setup=_setup,
    ),
    Scenario(
        name="cloudtrail-lookup-by-name",
        summary="CloudTrail LookupEvents filtered by EventName (chunk summaries skip non-matching chunks)",
        requests=(
            AwsCall(
                "cloudtrail",
                "LookupEvents",
                {
                    "MaxResults": 10,
                    "LookupAttributes": [
                        {"AttributeKey": "EventName", "AttributeValue": "GetCallerIdentity"}
                    ],
                },
            ),
        ),
        setup=_setup,
    ),
)
