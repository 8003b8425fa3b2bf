"""Capabilities, certificate authority rotation, insights and EKS Anywhere subscriptions."""

from __future__ import annotations

import pytest

from .conftest import NODE_ROLE, unique


def test_capabilities(eks, make_cluster):
    name = make_cluster()
    role = "arn:aws:iam::000000000000:role/capabilities"
    created = eks.create_capability(
        clusterName=name, capabilityName="ack", type="ACK", roleArn=role, deletePropagationPolicy="RETAIN"
    )["capability"]
    assert created["status"] == "CREATING" and created["type"] == "ACK"
    with pytest.raises(eks.exceptions.InvalidParameterException, match="argoCd"):
        eks.create_capability(
            clusterName=name,
            capabilityName="argo",
            type="ARGOCD",
            roleArn=role,
            deletePropagationPolicy="RETAIN",
        )
    argo = eks.create_capability(
        clusterName=name, capabilityName="argo", type="ARGOCD", roleArn=role, deletePropagationPolicy="RETAIN",
        configuration={"argoCd": {"awsIdc": {"idcInstanceArn": "arn:aws:sso:::instance/ssoins-1"}}},
    )["capability"]  # fmt: skip
    assert argo["configuration"]["argoCd"]["serverUrl"].startswith("https://")
    listed = eks.list_capabilities(clusterName=name)["capabilities"]
    assert [c["capabilityName"] for c in listed] == ["ack", "argo"]
    update = eks.update_capability(clusterName=name, capabilityName="ack", roleArn=role)["update"]
    assert (
        eks.describe_update(name=name, updateId=update["id"], capabilityName="ack")["update"]["status"]
        == "Successful"
    )
    eks.delete_capability(clusterName=name, capabilityName="ack")
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_capability(clusterName=name, capabilityName="ack")


def test_certificate_authority_rotation(eks, make_cluster):
    name = make_cluster()
    original = eks.list_certificate_authorities(clusterName=name)["certificateAuthorities"]
    assert [ca["signingStatus"] for ca in original] == ["IN_USE"]
    successor = eks.create_certificate_authority(clusterName=name)["certificateAuthority"]
    assert successor["signingStatus"] == "NOT_USED"
    with pytest.raises(eks.exceptions.InvalidRequestException, match="in use"):
        eks.delete_certificate_authority(clusterName=name, certificateAuthorityId=original[0]["id"])
    eks.activate_certificate_authority(clusterName=name, certificateAuthorityId=successor["id"])
    statuses = {
        ca["id"]: ca["signingStatus"]
        for ca in eks.list_certificate_authorities(clusterName=name)["certificateAuthorities"]
    }
    assert statuses == {original[0]["id"]: "NOT_USED", successor["id"]: "IN_USE"}
    data = eks.describe_certificate_authority(clusterName=name, certificateAuthorityId=successor["id"])
    assert (
        eks.describe_cluster(name=name)["cluster"]["certificateAuthority"]["data"]
        == data["certificateAuthority"]["data"]
    )
    eks.delete_certificate_authority(clusterName=name, certificateAuthorityId=original[0]["id"])
    assert len(eks.list_certificate_authorities(clusterName=name)["certificateAuthorities"]) == 1


def test_insights_follow_the_cluster_state(eks, network, make_cluster):
    name = make_cluster(version="1.33")
    eks.create_nodegroup(clusterName=name, nodegroupName="ng", subnets=network["subnets"], nodeRole=NODE_ROLE)
    skew = next(
        i for i in eks.list_insights(clusterName=name)["insights"] if i["name"] == "Kubelet version skew"
    )
    assert skew["insightStatus"]["status"] == "PASSING"
    eks.update_cluster_version(name=name, version="1.34")
    insight = eks.describe_insight(clusterName=name, id=skew["id"])["insight"]
    assert insight["insightStatus"]["status"] == "WARNING" and insight["resources"][0]["arn"].startswith(
        "arn:aws:eks:"
    )
    only = eks.list_insights(clusterName=name, filter={"categories": ["MISCONFIGURATION"]})["insights"]
    assert [i["category"] for i in only] == ["MISCONFIGURATION"]
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_insights_refresh(clusterName=name)
    assert eks.start_insights_refresh(clusterName=name)["status"] == "IN_PROGRESS"
    assert eks.describe_insights_refresh(clusterName=name)["status"] == "COMPLETED"


def test_eks_anywhere_subscriptions(eks):
    created = eks.create_eks_anywhere_subscription(
        name=unique("sub"), term={"duration": 12, "unit": "MONTHS"}, licenseQuantity=2, autoRenew=False
    )["subscription"]
    assert created["status"] == "ACTIVE" and len(created["licenses"]) == 2
    assert (created["expirationDate"] - created["effectiveDate"]).days == 365
    with pytest.raises(eks.exceptions.InvalidParameterException, match="12 or 36"):
        eks.create_eks_anywhere_subscription(name=unique("sub"), term={"duration": 6, "unit": "MONTHS"})
    assert (
        eks.update_eks_anywhere_subscription(id=created["id"], autoRenew=True)["subscription"]["autoRenew"]
        is True
    )
    assert created["id"] in [s["id"] for s in eks.list_eks_anywhere_subscriptions()["subscriptions"]]
    assert eks.delete_eks_anywhere_subscription(id=created["id"])["subscription"]["status"] == "DELETING"
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_eks_anywhere_subscription(id=created["id"])
