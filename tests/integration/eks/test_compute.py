"""Managed node groups and Fargate profiles."""

from __future__ import annotations

import pytest

from .conftest import NODE_ROLE


def test_a_node_group_takes_aws_defaults_and_updates(eks, network, make_cluster):
    name = make_cluster()
    group = eks.create_nodegroup(
        clusterName=name,
        nodegroupName="ng",
        subnets=network["subnets"],
        nodeRole=NODE_ROLE,
        labels={"tier": "web"},
    )["nodegroup"]
    assert group["status"] == "CREATING"
    assert group["scalingConfig"] == {"minSize": 1, "maxSize": 2, "desiredSize": 2}
    assert group["instanceTypes"] == ["t3.medium"] and group["diskSize"] == 20
    assert group["amiType"] == "AL2023_x86_64_STANDARD" and group["capacityType"] == "ON_DEMAND"
    assert group["version"] == "1.34" and group["releaseVersion"].startswith("1.34.")
    assert group["nodegroupArn"].startswith(f"arn:aws:eks:us-east-1:000000000000:nodegroup/{name}/ng/")
    eks.get_waiter("nodegroup_active").wait(clusterName=name, nodegroupName="ng", WaiterConfig={"Delay": 1})
    with pytest.raises(eks.exceptions.ResourceInUseException, match="NodeGroup already exists"):
        eks.create_nodegroup(
            clusterName=name, nodegroupName="ng", subnets=network["subnets"], nodeRole=NODE_ROLE
        )
    with pytest.raises(eks.exceptions.InvalidParameterException, match="max size"):
        eks.update_nodegroup_config(clusterName=name, nodegroupName="ng", scalingConfig={"desiredSize": 5})

    update = eks.update_nodegroup_config(
        clusterName=name,
        nodegroupName="ng",
        scalingConfig={"minSize": 0, "maxSize": 5, "desiredSize": 3},
        labels={"addOrUpdateLabels": {"zone": "a"}, "removeLabels": ["tier"]},
        taints={"addOrUpdateTaints": [{"key": "gpu", "value": "yes", "effect": "NO_SCHEDULE"}]},
    )["update"]
    assert update["type"] == "ConfigUpdate"
    assert {"type": "DesiredSize", "value": "3"} in update["params"]
    group = eks.describe_nodegroup(clusterName=name, nodegroupName="ng")["nodegroup"]
    assert group["scalingConfig"] == {"minSize": 0, "maxSize": 5, "desiredSize": 3}
    assert group["labels"] == {"zone": "a"}
    assert group["taints"] == [{"key": "gpu", "value": "yes", "effect": "NO_SCHEDULE"}]
    assert eks.list_updates(name=name, nodegroupName="ng")["updateIds"] == [update["id"]]
    assert eks.list_updates(name=name)["updateIds"] == []

    with pytest.raises(eks.exceptions.InvalidParameterException, match="newer version"):
        eks.update_nodegroup_version(clusterName=name, nodegroupName="ng", version="1.35")
    with pytest.raises(eks.exceptions.ResourceInUseException, match="nodegroups attached"):
        eks.delete_cluster(name=name)
    assert eks.list_nodegroups(clusterName=name)["nodegroups"] == ["ng"]
    assert eks.delete_nodegroup(clusterName=name, nodegroupName="ng")["nodegroup"]["status"] == "DELETING"
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_nodegroup(clusterName=name, nodegroupName="ng")


def test_an_older_node_group_is_upgraded_to_its_cluster(eks, network, make_cluster):
    name = make_cluster(version="1.33")
    eks.create_nodegroup(
        clusterName=name, nodegroupName="old", subnets=network["subnets"], nodeRole=NODE_ROLE
    )
    eks.update_cluster_version(name=name, version="1.34")
    assert eks.describe_nodegroup(clusterName=name, nodegroupName="old")["nodegroup"]["version"] == "1.33"
    update = eks.update_nodegroup_version(clusterName=name, nodegroupName="old")["update"]
    assert update["type"] == "VersionUpdate" and {"type": "Version", "value": "1.34"} in update["params"]
    assert eks.describe_nodegroup(clusterName=name, nodegroupName="old")["nodegroup"]["version"] == "1.34"


def test_node_groups_use_launch_templates_from_ec2(eks, client, network, make_cluster):
    name = make_cluster()
    template = client("ec2").create_launch_template(
        LaunchTemplateName=f"lt-{name}", LaunchTemplateData={"InstanceType": "m5.large"}
    )["LaunchTemplate"]
    group = eks.create_nodegroup(
        clusterName=name, nodegroupName="lt", subnets=network["subnets"], nodeRole=NODE_ROLE,
        launchTemplate={"id": template["LaunchTemplateId"]},
    )["nodegroup"]  # fmt: skip
    assert group["launchTemplate"] == {
        "name": f"lt-{name}", "id": template["LaunchTemplateId"], "version": "1",
    }  # fmt: skip
    assert "diskSize" not in group
    with pytest.raises(eks.exceptions.InvalidParameterException, match="does not exist"):
        eks.create_nodegroup(
            clusterName=name, nodegroupName="x", subnets=network["subnets"], nodeRole=NODE_ROLE,
            launchTemplate={"name": "no-such-template"},
        )  # fmt: skip


def test_fargate_profiles(eks, network, make_cluster):
    name = make_cluster()
    role = "arn:aws:iam::000000000000:role/pods"
    profile = eks.create_fargate_profile(
        clusterName=name, fargateProfileName="fp", podExecutionRoleArn=role, subnets=network["subnets"],
        selectors=[{"namespace": "default", "labels": {"app": "web"}}],
    )["fargateProfile"]  # fmt: skip
    assert profile["status"] == "CREATING" and profile["fargateProfileArn"].startswith(
        f"arn:aws:eks:us-east-1:000000000000:fargateprofile/{name}/fp/"
    )
    assert (
        eks.describe_fargate_profile(clusterName=name, fargateProfileName="fp")["fargateProfile"]["status"]
        == "ACTIVE"
    )
    assert eks.list_fargate_profiles(clusterName=name)["fargateProfileNames"] == ["fp"]
    with pytest.raises(eks.exceptions.InvalidParameterException, match="selectors"):
        eks.create_fargate_profile(
            clusterName=name, fargateProfileName="none", podExecutionRoleArn=role, selectors=[]
        )
    with pytest.raises(eks.exceptions.ResourceInUseException, match="fargate profiles attached"):
        eks.delete_cluster(name=name)
    eks.delete_fargate_profile(clusterName=name, fargateProfileName="fp")
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_fargate_profile(clusterName=name, fargateProfileName="fp")
