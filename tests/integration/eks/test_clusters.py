"""Clusters: creation with AWS's defaults, the VPC checks, versions, updates, deletion."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509

from .conftest import ROLE, unique


def test_a_cluster_is_created_with_aws_defaults(eks, client, network, make_cluster):
    name = unique("c")
    created = eks.create_cluster(
        name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": network["subnets"]}
    )
    try:
        cluster = created["cluster"]
        assert cluster["status"] == "CREATING"
        assert cluster["arn"] == f"arn:aws:eks:us-east-1:000000000000:cluster/{name}"
        assert cluster["version"] == "1.34" and cluster["platformVersion"].startswith("eks.")
        vpc = cluster["resourcesVpcConfig"]
        assert vpc["vpcId"] == network["vpc"] and vpc["subnetIds"] == network["subnets"]
        assert vpc["endpointPublicAccess"] is True and vpc["endpointPrivateAccess"] is False
        assert vpc["publicAccessCidrs"] == ["0.0.0.0/0"]
        assert cluster["kubernetesNetworkConfig"] == {"ipFamily": "ipv4", "serviceIpv4Cidr": "10.100.0.0/16"}
        assert cluster["accessConfig"] == {
            "bootstrapClusterCreatorAdminPermissions": True,
            "authenticationMode": "CONFIG_MAP",
        }
        assert {g["enabled"] for g in cluster["logging"]["clusterLogging"]} == {False}
        assert cluster["identity"]["oidc"]["issuer"].startswith(
            "https://oidc.eks.us-east-1.amazonaws.com/id/"
        )
        pem = base64.b64decode(cluster["certificateAuthority"]["data"])
        assert x509.load_pem_x509_certificate(pem).subject.rfc4514_string() == "CN=kubernetes"
        # EKS makes the cluster security group in the cluster's VPC.
        group = client("ec2").describe_security_groups(GroupIds=[vpc["clusterSecurityGroupId"]])[
            "SecurityGroups"
        ][0]
        assert group["VpcId"] == network["vpc"] and group["GroupName"].startswith(f"eks-cluster-sg-{name}-")
        eks.get_waiter("cluster_active").wait(name=name, WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        described = eks.describe_cluster(name=name)["cluster"]
        assert described["status"] == "ACTIVE"
        assert described["endpoint"].endswith(f"/_aws/eks/000000000000/us-east-1/{name}")
        assert described["health"]["issues"][0]["code"] == "ClusterUnreachable"
        assert name in eks.list_clusters()["clusters"]
    finally:
        eks.delete_cluster(name=name)
    with pytest.raises(eks.exceptions.ResourceNotFoundException, match=f"No cluster found for name: {name}"):
        eks.describe_cluster(name=name)
    ec2 = client("ec2")
    with pytest.raises(ec2.exceptions.ClientError):
        ec2.describe_security_groups(GroupIds=[vpc["clusterSecurityGroupId"]])


def test_bad_clusters_are_refused(eks, client, network, make_cluster):
    name = make_cluster()
    with pytest.raises(eks.exceptions.ResourceInUseException, match="Cluster already exists"):
        eks.create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": network["subnets"]})
    with pytest.raises(eks.exceptions.InvalidParameterException, match="at least two different AZs"):
        eks.create_cluster(
            name=unique("c"), roleArn=ROLE, resourcesVpcConfig={"subnetIds": network["subnets"][:1]}
        )
    with pytest.raises(eks.exceptions.InvalidParameterException, match="subnet-0000"):
        eks.create_cluster(
            name=unique("c"),
            roleArn=ROLE,
            resourcesVpcConfig={"subnetIds": [network["subnets"][0], "subnet-0000"]},
        )
    with pytest.raises(
        eks.exceptions.InvalidParameterException, match=r"unsupported Kubernetes version 1\.28"
    ):
        eks.create_cluster(
            name=unique("c"),
            roleArn=ROLE,
            version="1.28",
            resourcesVpcConfig={"subnetIds": network["subnets"]},
        )
    with pytest.raises(eks.exceptions.InvalidParameterException, match="role ARN"):
        eks.create_cluster(
            name=unique("c"),
            roleArn="arn:aws:s3:::bucket",
            resourcesVpcConfig={"subnetIds": network["subnets"]},
        )


def test_version_and_config_updates_are_recorded(eks, make_cluster):
    name = make_cluster(version="1.33")
    with pytest.raises(eks.exceptions.InvalidParameterException, match=r"from 1\.33 to 1\.35"):
        eks.update_cluster_version(name=name, version="1.35")
    update = eks.update_cluster_version(name=name, version="1.34")["update"]
    assert update["type"] == "VersionUpdate" and update["status"] == "InProgress"
    assert {"type": "Version", "value": "1.34"} in update["params"]
    assert eks.describe_update(name=name, updateId=update["id"])["update"]["status"] == "Successful"
    assert eks.describe_cluster(name=name)["cluster"]["version"] == "1.34"

    logging = eks.update_cluster_config(
        name=name, logging={"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]}
    )["update"]
    assert logging["type"] == "LoggingUpdate"
    groups = eks.describe_cluster(name=name)["cluster"]["logging"]["clusterLogging"]
    assert {"types": ["api", "audit"], "enabled": True} in groups
    access = eks.update_cluster_config(
        name=name, resourcesVpcConfig={"endpointPrivateAccess": True, "endpointPublicAccess": False}
    )["update"]
    assert access["type"] == "EndpointAccessUpdate"
    with pytest.raises(eks.exceptions.InvalidParameterException, match="cannot both be disabled"):
        eks.update_cluster_config(name=name, resourcesVpcConfig={"endpointPrivateAccess": False})
    with pytest.raises(eks.exceptions.InvalidParameterException, match="Only one type of update"):
        eks.update_cluster_config(
            name=name, logging={"clusterLogging": []}, accessConfig={"authenticationMode": "API"}
        )
    mode = eks.update_cluster_config(name=name, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})[
        "update"
    ]
    assert mode["type"] == "AccessConfigUpdate"
    with pytest.raises(
        eks.exceptions.InvalidParameterException, match="from API_AND_CONFIG_MAP to CONFIG_MAP"
    ):
        eks.update_cluster_config(name=name, accessConfig={"authenticationMode": "CONFIG_MAP"})
    ids = eks.list_updates(name=name)["updateIds"]
    assert {update["id"], logging["id"], access["id"], mode["id"]} <= set(ids)
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_update(name=name, updateId="00000000-0000-0000-0000-000000000000")


def test_deletion_protection_and_tags(eks, make_cluster):
    name = make_cluster(deletionProtection=True, tags={"team": "a"})
    arn = eks.describe_cluster(name=name)["cluster"]["arn"]
    with pytest.raises(eks.exceptions.InvalidRequestException, match="deletion protection"):
        eks.delete_cluster(name=name)
    eks.update_cluster_config(name=name, deletionProtection=False)
    eks.tag_resource(resourceArn=arn, tags={"env": "dev"})
    eks.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "dev"}
    with pytest.raises(eks.exceptions.NotFoundException):
        eks.list_tags_for_resource(resourceArn="arn:aws:eks:us-east-1:000000000000:cluster/nope")


def test_versions_follow_the_support_calendar(eks):
    versions = eks.describe_cluster_versions()["clusterVersions"]
    listed = [v["clusterVersion"] for v in versions]
    assert "1.35" in listed and "1.28" not in listed  # 1.28's extended support ended in 2025
    by = {v["clusterVersion"]: v for v in versions}
    assert by["1.34"]["defaultVersion"] is True
    assert {v["versionStatus"] for v in versions} <= {"STANDARD_SUPPORT", "EXTENDED_SUPPORT"}
    everything = eks.describe_cluster_versions(includeAll=True)["clusterVersions"]
    assert {"1.28", "1.35"} <= {v["clusterVersion"] for v in everything}
    only = eks.describe_cluster_versions(clusterVersions=["1.33"])["clusterVersions"]
    assert [v["clusterVersion"] for v in only] == ["1.33"]


def test_registered_clusters_wait_for_their_connector(eks):
    name = unique("r")
    cluster = eks.register_cluster(
        name=name,
        connectorConfig={"roleArn": "arn:aws:iam::000000000000:role/connector", "provider": "EKS_ANYWHERE"},
    )["cluster"]
    assert cluster["status"] == "PENDING" and cluster["connectorConfig"]["activationCode"]
    assert name not in eks.list_clusters()["clusters"]
    assert name in eks.list_clusters(include=["all"])["clusters"]
    with pytest.raises(eks.exceptions.InvalidParameterException):
        eks.delete_cluster(name=name)
    assert eks.deregister_cluster(name=name)["cluster"]["status"] == "DELETING"
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_cluster(name=name)
