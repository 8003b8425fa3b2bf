"""Add-ons: the version catalogue, installing, updating and removing them."""

from __future__ import annotations

import json

import pytest


def test_addon_versions_are_filtered_by_kubernetes_version(eks):
    every = {a["addonName"]: a for a in eks.describe_addon_versions()["addons"]}
    assert {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver", "eks-pod-identity-agent"} <= set(every)
    proxy = eks.describe_addon_versions(addonName="kube-proxy", kubernetesVersion="1.33")["addons"][0]
    assert [v["addonVersion"] for v in proxy["addonVersions"]] == ["v1.33.5-eksbuild.4"]
    assert proxy["addonVersions"][0]["compatibilities"] == [
        {"clusterVersion": "1.33", "platformVersions": ["*"], "defaultVersion": True}
    ]
    storage = eks.describe_addon_versions(types=["storage"])["addons"]
    assert storage and {a["type"] for a in storage} == {"storage"}
    schema = eks.describe_addon_configuration(addonName="coredns", addonVersion="v1.12.4-eksbuild.1")
    assert "replicaCount" in json.loads(schema["configurationSchema"])["properties"]


def test_an_addon_is_installed_updated_and_removed(eks, make_cluster):
    name = make_cluster(version="1.33")
    with pytest.raises(eks.exceptions.InvalidParameterException, match="not supported"):
        eks.create_addon(clusterName=name, addonName="no-such-addon")
    addon = eks.create_addon(
        clusterName=name, addonName="vpc-cni", configurationValues='{"env": {"WARM_IP_TARGET": "5"}}',
        podIdentityAssociations=[{"serviceAccount": "aws-node", "roleArn": "arn:aws:iam::000000000000:role/cni"}],
    )["addon"]  # fmt: skip
    assert addon["status"] == "CREATING" and addon["addonVersion"] == "v1.20.4-eksbuild.1"
    assert len(addon["podIdentityAssociations"]) == 1
    owned = eks.list_pod_identity_associations(clusterName=name)["associations"][0]
    assert owned["ownerArn"] == addon["addonArn"] and owned["namespace"] == "kube-system"
    with pytest.raises(eks.exceptions.InvalidParameterException, match="owned by"):
        eks.delete_pod_identity_association(clusterName=name, associationId=owned["associationId"])
    with pytest.raises(eks.exceptions.ResourceInUseException, match="Addon already exists"):
        eks.create_addon(clusterName=name, addonName="vpc-cni")
    with pytest.raises(eks.exceptions.InvalidParameterException, match="ConfigurationValue"):
        eks.create_addon(clusterName=name, addonName="coredns", configurationValues="[1, 2]")
    update = eks.update_addon(clusterName=name, addonName="vpc-cni", addonVersion="v1.19.6-eksbuild.1")[
        "update"
    ]
    assert update["type"] == "AddonUpdate"
    assert eks.list_updates(name=name, addonName="vpc-cni")["updateIds"] == [update["id"]]
    described = eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]
    assert described["status"] == "ACTIVE" and described["addonVersion"] == "v1.19.6-eksbuild.1"
    assert eks.list_addons(clusterName=name)["addons"] == ["vpc-cni"]
    assert eks.delete_addon(clusterName=name, addonName="vpc-cni")["addon"]["status"] == "DELETING"
    assert eks.list_pod_identity_associations(clusterName=name)["associations"] == []
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_addon(clusterName=name, addonName="vpc-cni")
