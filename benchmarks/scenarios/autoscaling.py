"""Auto Scaling DescribeAutoScalingGroups of one group of ten in-service instances, among 50
groups (a store read by name and the group's shape with its instances)."""

from overcast.services.ssm.public import latest_ami
from scenarios import AwsCall, ClientFactory, Scenario

GROUPS = 50
IMAGE = "al2023-ami-kernel-default-x86_64"


def _groups(client: ClientFactory) -> None:
    ec2 = client("ec2")
    asg = client("autoscaling")
    ec2.create_launch_template(
        LaunchTemplateName="bench",
        LaunchTemplateData={"ImageId": latest_ami("us-east-1", IMAGE), "InstanceType": "t3.nano"},
    )
    for n in range(GROUPS):
        asg.create_auto_scaling_group(
            AutoScalingGroupName=f"bench-{n}",
            LaunchTemplate={"LaunchTemplateName": "bench", "Version": "$Latest"},
            MinSize=0,
            MaxSize=10,
            DesiredCapacity=10 if n == 7 else 0,
            AvailabilityZones=["us-east-1a", "us-east-1b"],
        )


SCENARIOS = (
    Scenario(
        name="autoscaling-describe-groups",
        summary="Auto Scaling DescribeAutoScalingGroups of one group of 10 instances among 50 (query)",
        requests=(
            AwsCall("autoscaling", "DescribeAutoScalingGroups", {"AutoScalingGroupNames": ["bench-7"]}),
        ),
        setup=_groups,
    ),
)
