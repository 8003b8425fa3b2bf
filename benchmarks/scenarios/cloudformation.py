"""CloudFormation: DescribeStacks of one 10-resource stack (what every deploy tool polls while
it waits), DescribeStackEvents of it and DescribeEvents (its events by operation). The stack's
creation and deletion time is measured by benchmarks/cloudformation_stack.py."""

import time

from scenarios import AwsCall, ClientFactory, Scenario

STACK = "bench-stack"


def template(count: int) -> str:
    """`count` resources: queues, topics and tables in turn, with outputs naming them."""
    kinds = (
        "    Type: AWS::SQS::Queue\n",
        "    Type: AWS::SNS::Topic\n",
        "    Type: AWS::DynamoDB::Table\n"
        "    Properties:\n"
        "      BillingMode: PAY_PER_REQUEST\n"
        "      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n"
        "      KeySchema: [{AttributeName: id, KeyType: HASH}]\n",
    )
    lines = ["Resources:\n"]
    for index in range(count):
        lines.append(f"  R{index}:\n{kinds[index % len(kinds)]}")
    lines.append("Outputs:\n")
    for index in range(count):
        lines.append(f"  O{index}: {{Value: !Ref R{index}}}\n")
    return "".join(lines)


def _stack(client: ClientFactory) -> None:
    cfn = client("cloudformation")
    if cfn.list_stacks(StackStatusFilter=["CREATE_COMPLETE"])["StackSummaries"]:
        return  # the other scenario made it
    cfn.create_stack(StackName=STACK, TemplateBody=template(10))
    while cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"].endswith("IN_PROGRESS"):
        time.sleep(0.05)


SCENARIOS = (
    Scenario(
        name="cloudformation-describe-stacks",
        summary="CloudFormation DescribeStacks of a 10-resource stack with 10 outputs",
        setup=_stack,
        requests=(AwsCall("cloudformation", "DescribeStacks", {"StackName": STACK}),),
    ),
    Scenario(
        name="cloudformation-describe-stack-events",
        summary="CloudFormation DescribeStackEvents of a 10-resource stack (first page)",
        setup=_stack,
        requests=(AwsCall("cloudformation", "DescribeStackEvents", {"StackName": STACK}),),
    ),
    Scenario(
        name="cloudformation-describe-events",
        summary="CloudFormation DescribeEvents of a 10-resource stack's operations (first page)",
        setup=_stack,
        requests=(AwsCall("cloudformation", "DescribeEvents", {"StackName": STACK}),),
    ),
)
