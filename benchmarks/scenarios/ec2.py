"""EC2: DescribeInstances filtered by one tag value in a fleet of 10,000 instances (ten match;
the tag index answers, so the cost follows the result, not the fleet), and RunInstances of one
instance in the default VPC."""

from overcast.services.ssm.public import latest_ami
from scenarios import AwsCall, ClientFactory, Scenario

FLEET = 10_000
#: Instances per tag value: the filtered Describe returns this many.
MATCHES = 10
#: The ids of Amazon's public images are the same on every run (they come from SSM's table).
IMAGE_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def _image(client: ClientFactory) -> str:
    return client("ssm").get_parameter(Name=IMAGE_PARAMETER)["Parameter"]["Value"]


def _fleet(client: ClientFactory) -> None:
    ec2 = client("ec2")
    image = _image(client)
    vpc = ec2.create_vpc(CidrBlock="10.200.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.200.0.0/16")["Subnet"]["SubnetId"]
    for group in range(FLEET // MATCHES):
        ec2.run_instances(
            ImageId=image,
            InstanceType="t3.nano",
            SubnetId=subnet,
            MinCount=MATCHES,
            MaxCount=MATCHES,
            TagSpecifications=[
                {"ResourceType": "instance", "Tags": [{"Key": "app", "Value": f"app-{group}"}]}
            ],
        )


def _default_vpc(client: ClientFactory) -> None:
    client("ec2").describe_vpcs()


SCENARIOS = (
    Scenario(
        name="ec2-describe-instances-by-tag",
        summary="EC2 DescribeInstances, tag:app filter matching 10 of 10,000 instances (ec2 protocol)",
        requests=(
            AwsCall("ec2", "DescribeInstances", {"Filters": [{"Name": "tag:app", "Values": ["app-421"]}]}),
        ),
        setup=_fleet,
    ),
    Scenario(
        name="ec2-run-instances",
        summary="EC2 RunInstances of one t3.nano in the default VPC (instance, interface, root volume)",
        requests=(
            AwsCall(
                "ec2",
                "RunInstances",
                {
                    "ImageId": latest_ami("us-east-1", IMAGE_PARAMETER.rsplit("/", 1)[-1]),
                    "InstanceType": "t3.nano",
                    "MinCount": 1,
                    "MaxCount": 1,
                },
            ),
        ),
        setup=_default_vpc,
    ),
)
