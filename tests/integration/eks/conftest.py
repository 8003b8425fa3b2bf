"""EKS fixtures: a VPC with subnets in two Availability Zones, and a cluster factory."""

from __future__ import annotations

import base64
import uuid

import pytest

ROLE = "arn:aws:iam::000000000000:role/eks-cluster"
NODE_ROLE = "arn:aws:iam::000000000000:role/eks-node"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="module")
def eks(client):
    return client("eks")


@pytest.fixture(scope="module")
def network(client) -> dict:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate("ab")
    ]
    return {"vpc": vpc, "subnets": subnets}


@pytest.fixture
def make_cluster(eks, network):
    """`make_cluster(**extra)` → a new cluster's name (deleted, with its node groups, after the test)."""
    made: list[str] = []

    def make(**extra) -> str:
        name = unique("c")
        eks.create_cluster(
            name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": network["subnets"]}, **extra
        )
        made.append(name)
        return name

    yield make
    for name in made:
        try:
            for group in eks.list_nodegroups(clusterName=name)["nodegroups"]:
                eks.delete_nodegroup(clusterName=name, nodegroupName=group)
            for profile in eks.list_fargate_profiles(clusterName=name)["fargateProfileNames"]:
                eks.delete_fargate_profile(clusterName=name, fargateProfileName=profile)
            eks.delete_cluster(name=name)
        except eks.exceptions.ResourceNotFoundException:
            pass


def eks_token(session, cluster: str, when: str | None = None) -> str:
    """The bearer token `aws eks get-token` makes: a presigned STS GetCallerIdentity URL that
    signs the x-k8s-aws-id header with the cluster's name."""
    sts = session.client("sts", region_name="us-east-1")

    def inject(request, **_):
        request.headers["x-k8s-aws-id"] = cluster

    sts.meta.events.register("before-sign.sts.GetCallerIdentity", inject)
    url = sts.generate_presigned_url("get_caller_identity", Params={}, ExpiresIn=60, HttpMethod="GET")
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")
