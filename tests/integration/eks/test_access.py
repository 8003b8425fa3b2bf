"""Access entries and access policies, EKS Pod Identity associations, OIDC identity providers."""

from __future__ import annotations

import boto3
import pytest

from .conftest import ROLE, unique

ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


@pytest.fixture(scope="module")
def iam_user(client, endpoint):
    """An IAM user with keys, and an EKS client signed by it."""
    iam = client("iam")
    name = unique("eks-admin")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )
    return {"arn": arn, "session": session, "eks": session.client("eks", endpoint_url=endpoint)}


def test_access_entries_need_the_api_authentication_mode(eks, make_cluster):
    name = make_cluster()
    with pytest.raises(eks.exceptions.InvalidRequestException, match=r"one of \[API, API_AND_CONFIG_MAP\]"):
        eks.create_access_entry(clusterName=name, principalArn=ROLE)


def test_the_creator_gets_an_admin_access_entry(iam_user, network):
    eks = iam_user["eks"]
    name = unique("c")
    eks.create_cluster(
        name=name, roleArn=ROLE, resourcesVpcConfig={"subnetIds": network["subnets"]},
        accessConfig={"authenticationMode": "API"},
    )  # fmt: skip
    try:
        assert eks.list_access_entries(clusterName=name)["accessEntries"] == [iam_user["arn"]]
        policies = eks.list_associated_access_policies(clusterName=name, principalArn=iam_user["arn"])
        assert [p["policyArn"] for p in policies["associatedAccessPolicies"]] == [ADMIN]
        assert policies["associatedAccessPolicies"][0]["accessScope"] == {"type": "cluster", "namespaces": []}
    finally:
        eks.delete_cluster(name=name)


def test_access_entries_and_policies(eks, make_cluster):
    name = make_cluster(
        accessConfig={
            "authenticationMode": "API_AND_CONFIG_MAP",
            "bootstrapClusterCreatorAdminPermissions": False,
        }
    )
    principal = "arn:aws:iam::000000000000:role/developers"
    entry = eks.create_access_entry(clusterName=name, principalArn=principal, kubernetesGroups=["devs"])[
        "accessEntry"
    ]
    assert entry["type"] == "STANDARD"
    assert entry["username"] == "arn:aws:sts::000000000000:assumed-role/developers/{{SessionName}}"
    assert entry["accessEntryArn"].startswith(
        f"arn:aws:eks:us-east-1:000000000000:access-entry/{name}/role/000000000000/developers/"
    )
    with pytest.raises(eks.exceptions.ResourceInUseException):
        eks.create_access_entry(clusterName=name, principalArn=principal)
    node = "arn:aws:iam::000000000000:role/nodes"
    with pytest.raises(eks.exceptions.InvalidParameterException, match="kubernetesGroups"):
        eks.create_access_entry(clusterName=name, principalArn=node, type="EC2_LINUX", kubernetesGroups=["x"])
    assert (
        eks.create_access_entry(clusterName=name, principalArn=node, type="EC2_LINUX")["accessEntry"][
            "username"
        ]
        == "system:node:{{EC2PrivateDNSName}}"
    )

    associated = eks.associate_access_policy(
        clusterName=name, principalArn=principal, policyArn=VIEW,
        accessScope={"type": "namespace", "namespaces": ["team-a"]},
    )["associatedAccessPolicy"]  # fmt: skip
    assert associated["accessScope"] == {"type": "namespace", "namespaces": ["team-a"]}
    with pytest.raises(eks.exceptions.InvalidParameterException, match="not a valid access policy"):
        eks.associate_access_policy(
            clusterName=name, principalArn=principal, policyArn="arn:aws:eks::aws:cluster-access-policy/Nope",
            accessScope={"type": "cluster"},
        )  # fmt: skip
    with pytest.raises(eks.exceptions.InvalidParameterException, match="type EC2_LINUX"):
        eks.associate_access_policy(
            clusterName=name, principalArn=node, policyArn=VIEW, accessScope={"type": "cluster"}
        )
    assert eks.list_access_entries(clusterName=name, associatedPolicyArn=VIEW)["accessEntries"] == [principal]
    assert sorted(eks.list_access_entries(clusterName=name)["accessEntries"]) == sorted([principal, node])
    assert VIEW in [p["arn"] for p in eks.list_access_policies()["accessPolicies"]]
    updated = eks.update_access_entry(clusterName=name, principalArn=principal, username="dev")["accessEntry"]
    assert updated["username"] == "dev" and updated["kubernetesGroups"] == ["devs"]
    eks.disassociate_access_policy(clusterName=name, principalArn=principal, policyArn=VIEW)
    assert (
        eks.list_associated_access_policies(clusterName=name, principalArn=principal)[
            "associatedAccessPolicies"
        ]
        == []
    )
    eks.delete_access_entry(clusterName=name, principalArn=principal)
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_access_entry(clusterName=name, principalArn=principal)


def test_pod_identity_associations(eks, make_cluster):
    name = make_cluster()
    role = "arn:aws:iam::000000000000:role/app"
    association = eks.create_pod_identity_association(
        clusterName=name, namespace="default", serviceAccount="app", roleArn=role, tags={"a": "b"}
    )["association"]
    assert association["associationId"].startswith("a-") and len(association["associationId"]) == 19
    assert association["associationArn"].endswith(
        f"podidentityassociation/{name}/{association['associationId']}"
    )
    with pytest.raises(eks.exceptions.ResourceInUseException, match="Association already exists"):
        eks.create_pod_identity_association(
            clusterName=name, namespace="default", serviceAccount="app", roleArn=role
        )
    eks.create_pod_identity_association(
        clusterName=name, namespace="jobs", serviceAccount="app", roleArn=role
    )
    listed = eks.list_pod_identity_associations(clusterName=name, namespace="default")["associations"]
    assert [a["associationId"] for a in listed] == [association["associationId"]]
    other = "arn:aws:iam::000000000000:role/other"
    updated = eks.update_pod_identity_association(
        clusterName=name, associationId=association["associationId"], roleArn=other, targetRoleArn=role
    )["association"]
    assert updated["roleArn"] == other and updated["externalId"]
    assert eks.list_tags_for_resource(resourceArn=association["associationArn"])["tags"] == {"a": "b"}
    eks.delete_pod_identity_association(clusterName=name, associationId=association["associationId"])
    with pytest.raises(eks.exceptions.ResourceNotFoundException):
        eks.describe_pod_identity_association(clusterName=name, associationId=association["associationId"])


def test_oidc_identity_provider_configs(eks, make_cluster):
    name = make_cluster()
    oidc = {"identityProviderConfigName": "corp", "issuerUrl": "https://idp.example.com", "clientId": "kube",
            "usernameClaim": "email", "requiredClaims": {"aud": "kube"}}  # fmt: skip
    answer = eks.associate_identity_provider_config(clusterName=name, oidc=oidc, tags={"t": "1"})
    assert answer["update"]["type"] == "AssociateIdentityProviderConfig" and answer["tags"] == {"t": "1"}
    config = eks.describe_identity_provider_config(
        clusterName=name, identityProviderConfig={"type": "oidc", "name": "corp"}
    )["identityProviderConfig"]["oidc"]
    assert config["status"] == "ACTIVE" and config["requiredClaims"] == {"aud": "kube"}
    assert eks.list_identity_provider_configs(clusterName=name)["identityProviderConfigs"] == [
        {"type": "oidc", "name": "corp"}
    ]
    with pytest.raises(eks.exceptions.ResourceLimitExceededException):
        eks.associate_identity_provider_config(
            clusterName=name, oidc={**oidc, "identityProviderConfigName": "two"}
        )
    with pytest.raises(eks.exceptions.InvalidParameterException, match="https"):
        eks.associate_identity_provider_config(clusterName=name, oidc={**oidc, "issuerUrl": "http://x"})
    eks.disassociate_identity_provider_config(
        clusterName=name, identityProviderConfig={"type": "oidc", "name": "corp"}
    )
    assert eks.list_identity_provider_configs(clusterName=name)["identityProviderConfigs"] == []
