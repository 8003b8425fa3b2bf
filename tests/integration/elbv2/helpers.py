"""What the ELB tests share: the default VPC's subnets, unique names, the data plane's URL."""

from __future__ import annotations

import uuid


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def default_network(ec2) -> tuple[str, list[str]]:
    """(default VPC id, its first two subnets in different zones)."""
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    by_zone = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets}
    return vpc, sorted(by_zone.values())[:2]


def url(endpoint: str, name: str, path: str = "/") -> str:
    """The path form of a load balancer's URL (the machine resolves no *.localhost names)."""
    return f"{endpoint}/_aws/elb/{name}{path}"
