"""EKS: DescribeCluster of a cluster in a VPC, what kubectl's credential plugin, Terraform and
CDK poll (rest-json, one read and the endpoint built from the request's host)."""

from scenarios import AwsCall, Scenario

_NAME = "bench-cluster"


def _setup(client) -> None:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.90.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate("ab")
    ]
    client("eks").create_cluster(
        name=_NAME, roleArn="arn:aws:iam::000000000000:role/eks", resourcesVpcConfig={"subnetIds": subnets}
    )


SCENARIOS = (
    Scenario(
        name="eks-describe-cluster",
        summary="EKS DescribeCluster (rest-json GET, one read)",
        requests=(AwsCall("eks", "DescribeCluster", {"name": _NAME}),),
        setup=_setup,
    ),
)
