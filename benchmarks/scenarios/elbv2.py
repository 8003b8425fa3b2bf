"""The application load balancer's data plane: a GET through a listener rule that forwards to
a trivial warm Python Lambda function (ALB's event and the response mapped back), and a GET
answered by a fixed-response default action (rule evaluation alone).

A load balancer's DNS name holds an id that exists only after setup, so requests take its path
form, `/_aws/elb/<name>/...`, whose name is fixed."""

import io
import time
import zipfile

from botocore.exceptions import ClientError

from scenarios import ClientFactory, HttpRequest, Scenario

NAME = "bench-alb"
FUNCTION = "bench-alb-target"
HANDLER = (
    "def handler(event, context):\n"
    "    return {'statusCode': 200, 'headers': {'Content-Type': 'application/json'}, 'body': '{\"ok\": true}'}\n"
)


def _function(client: ClientFactory) -> str:
    lam = client("lambda")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", HANDLER)
    try:
        lam.create_function(
            FunctionName=FUNCTION,
            Runtime="python3.12",
            Handler="handler.handler",
            Role="arn:aws:iam::000000000000:role/bench",
            Code={"ZipFile": buffer.getvalue()},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceConflictException":
            raise
    for _ in range(200):
        if lam.get_function(FunctionName=FUNCTION)["Configuration"]["State"] == "Active":
            break
        time.sleep(0.05)
    lam.invoke(FunctionName=FUNCTION, Payload=b"{}")
    arn: str = lam.get_function(FunctionName=FUNCTION)["Configuration"]["FunctionArn"]
    return arn


def _alb(client: ClientFactory) -> None:
    ec2, elb = client("ec2"), client("elbv2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    zones = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets}
    lb = elb.create_load_balancer(Name=NAME, Subnets=sorted(zones.values())[:2])["LoadBalancers"][0]
    if elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        return
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {
                    "StatusCode": "200",
                    "ContentType": "text/plain",
                    "MessageBody": "ok",
                },
            }
        ],
    )["Listeners"][0]
    group = elb.create_target_group(Name="bench-alb-fn", TargetType="lambda")["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": _function(client)}])
    for priority, path in enumerate(("/static/*", "/api/v1/*", "/admin/*"), start=1):
        elb.create_rule(
            ListenerArn=listener["ListenerArn"],
            Priority=priority,
            Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": [path]}}],
            Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
        )
    elb.create_rule(
        ListenerArn=listener["ListenerArn"],
        Priority=10,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/fn/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )


SCENARIOS = (
    Scenario(
        name="elbv2-alb-lambda",
        summary="ALB GET through a forward rule to a Lambda target group (warm Python handler)",
        setup=_alb,
        requests=(HttpRequest("GET", f"/_aws/elb/{NAME}/fn/item?id=1", (("Accept", "application/json"),)),),
    ),
    Scenario(
        name="elbv2-alb-fixed-response",
        summary="ALB GET past four path rules to the listener's fixed-response default action",
        setup=_alb,
        requests=(HttpRequest("GET", f"/_aws/elb/{NAME}/other", (("Accept", "text/plain"),)),),
    ),
)
