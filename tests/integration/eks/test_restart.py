"""A cluster and what hangs off it survive a restart, and its endpoint answers again at once
(the service is started with the state it has, so its path is served before any EKS call)."""

from __future__ import annotations

import boto3

from tests.conftest import Server

from .conftest import NODE_ROLE, ROLE, eks_token
from .test_kube import call


def _session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )


def test_clusters_survive_a_restart(tmp_path):
    data = str(tmp_path / "data")
    first = Server("--data-dir", data, "--quiet")
    try:
        session = _session()
        ec2, eks = (
            session.client("ec2", endpoint_url=first.endpoint),
            session.client("eks", endpoint_url=first.endpoint),
        )
        vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.70.{i}.0/24", AvailabilityZone=f"us-east-1{z}")[
                "Subnet"
            ]["SubnetId"]
            for i, z in enumerate("ab")
        ]
        eks.create_cluster(name="keep", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets})
        eks.create_nodegroup(clusterName="keep", nodegroupName="ng", subnets=subnets, nodeRole=NODE_ROLE)
        before = eks.describe_cluster(name="keep")["cluster"]
    finally:
        first.stop()
    second = Server("--data-dir", data, "--quiet")
    try:
        session = _session()
        path = before["endpoint"].split("/_aws/")[1]
        status, _ = call(f"{second.endpoint}/_aws/{path}", eks_token(session, "keep"))
        assert status == 503  # served, and the creator let in, before any EKS request
        eks = session.client("eks", endpoint_url=second.endpoint)
        after = eks.describe_cluster(name="keep")["cluster"]
        assert after["certificateAuthority"] == before["certificateAuthority"]
        assert after["identity"] == before["identity"] and after["status"] == "ACTIVE"
        assert eks.list_nodegroups(clusterName="keep")["nodegroups"] == ["ng"]
    finally:
        second.stop()
