from scenarios import AwsCall, Scenario

SCENARIOS = (
    Scenario(
        name="sts-get-caller-identity",
        summary="STS GetCallerIdentity: query protocol in, XML out, no state",
        requests=(AwsCall("sts", "GetCallerIdentity"),),
    ),
)
