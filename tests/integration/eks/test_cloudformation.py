"""EKS's CloudFormation types: a stack with a VPC, a cluster, a node group, a Fargate profile,
an add-on, an access entry, a pod identity association and an OIDC provider; updated in place
and deleted."""

from __future__ import annotations

import json
import uuid

from tests.integration.cloudformation.conftest import outputs, settle

ROLE = "arn:aws:iam::000000000000:role/eks"


def _template(desired: int, logging: list[str]) -> str:
    subnet = lambda cidr, zone: {  # noqa: E731
        "Type": "AWS::EC2::Subnet",
        "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr, "AvailabilityZone": zone},
    }
    subnets = [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]
    return json.dumps(
        {
            "Resources": {
                "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.60.0.0/16"}},
                "SubnetA": subnet("10.60.1.0/24", "us-east-1a"),
                "SubnetB": subnet("10.60.2.0/24", "us-east-1b"),
                "Cluster": {
                    "Type": "AWS::EKS::Cluster",
                    "Properties": {
                        "RoleArn": ROLE,
                        "Version": "1.34",
                        "ResourcesVpcConfig": {"SubnetIds": subnets},
                        "AccessConfig": {"AuthenticationMode": "API"},
                        "Logging": {"ClusterLogging": {"EnabledTypes": [{"Type": t} for t in logging]}},
                        "Tags": [{"Key": "team", "Value": "platform"}],
                    },
                },
                "Nodes": {
                    "Type": "AWS::EKS::Nodegroup",
                    "Properties": {
                        "ClusterName": {"Ref": "Cluster"},
                        "NodeRole": ROLE,
                        "Subnets": subnets,
                        "ScalingConfig": {"MinSize": 1, "MaxSize": 4, "DesiredSize": desired},
                        "Labels": {"Role.Kind": "web"},
                    },
                },
                "Fargate": {
                    "Type": "AWS::EKS::FargateProfile",
                    "Properties": {
                        "ClusterName": {"Ref": "Cluster"},
                        "PodExecutionRoleArn": ROLE,
                        "Selectors": [{"Namespace": "jobs", "Labels": [{"Key": "app", "Value": "batch"}]}],
                    },
                },
                "Cni": {
                    "Type": "AWS::EKS::Addon",
                    "Properties": {"ClusterName": {"Ref": "Cluster"}, "AddonName": "vpc-cni"},
                },
                "Admins": {
                    "Type": "AWS::EKS::AccessEntry",
                    "Properties": {
                        "ClusterName": {"Ref": "Cluster"},
                        "PrincipalArn": "arn:aws:iam::000000000000:role/admins",
                        "AccessPolicies": [
                            {
                                "PolicyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                                "AccessScope": {"Type": "cluster"},
                            }
                        ],
                    },
                },
                "AppIdentity": {
                    "Type": "AWS::EKS::PodIdentityAssociation",
                    "Properties": {
                        "ClusterName": {"Ref": "Cluster"},
                        "Namespace": "default",
                        "ServiceAccount": "app",
                        "RoleArn": ROLE,
                    },
                },
                "Oidc": {
                    "Type": "AWS::EKS::IdentityProviderConfig",
                    "Properties": {
                        "ClusterName": {"Ref": "Cluster"},
                        "Type": "OIDC",
                        "Oidc": {"ClientId": "kube", "IssuerUrl": "https://idp.example.com"},
                    },
                },
            },
            "Outputs": {
                "Name": {"Value": {"Ref": "Cluster"}},
                "Endpoint": {"Value": {"Fn::GetAtt": ["Cluster", "Endpoint"]}},
                "Arn": {"Value": {"Fn::GetAtt": ["Cluster", "Arn"]}},
                "NodesArn": {"Value": {"Fn::GetAtt": ["Nodes", "Arn"]}},
                "AssociationId": {"Value": {"Fn::GetAtt": ["AppIdentity", "AssociationId"]}},
            },
        }
    )


def test_a_stack_of_eks_resources(client):
    cfn, eks = client("cloudformation"), client("eks")
    stack = f"eks-{uuid.uuid4().hex[:8]}"
    stack_id = cfn.create_stack(StackName=stack, TemplateBody=_template(2, ["api"]))["StackId"]
    created = settle(cfn, stack)
    assert created["StackStatus"] == "CREATE_COMPLETE", created.get("StackStatusReason")
    out = outputs(created)
    name = out["Name"]
    cluster = eks.describe_cluster(name=name)["cluster"]
    # The endpoint follows the host a client addressed; a stack's (no client) is on localhost.
    assert (
        out["Endpoint"].split("/_aws/")[1]
        == cluster["endpoint"].split("/_aws/")[1]
        == f"eks/000000000000/us-east-1/{name}"
    )
    assert cluster["arn"] == out["Arn"]
    assert cluster["tags"]["team"] == "platform"
    assert {"types": ["api"], "enabled": True} in cluster["logging"]["clusterLogging"]
    [group] = eks.list_nodegroups(clusterName=name)["nodegroups"]
    described = eks.describe_nodegroup(clusterName=name, nodegroupName=group)["nodegroup"]
    assert described["nodegroupArn"] == out["NodesArn"] and described["labels"] == {"Role.Kind": "web"}
    [profile] = eks.list_fargate_profiles(clusterName=name)["fargateProfileNames"]
    selectors = eks.describe_fargate_profile(clusterName=name, fargateProfileName=profile)["fargateProfile"][
        "selectors"
    ]
    assert selectors == [{"namespace": "jobs", "labels": {"app": "batch"}}]
    assert eks.list_addons(clusterName=name)["addons"] == ["vpc-cni"]
    policies = eks.list_associated_access_policies(
        clusterName=name, principalArn="arn:aws:iam::000000000000:role/admins"
    )
    assert [p["policyArn"].rsplit("/", 1)[1] for p in policies["associatedAccessPolicies"]] == [
        "AmazonEKSClusterAdminPolicy"
    ]
    assert (
        eks.describe_pod_identity_association(clusterName=name, associationId=out["AssociationId"])[
            "association"
        ]["serviceAccount"]
        == "app"
    )
    assert len(eks.list_identity_provider_configs(clusterName=name)["identityProviderConfigs"]) == 1

    cfn.update_stack(StackName=stack, TemplateBody=_template(3, ["api", "audit"]))
    updated = settle(cfn, stack)
    assert updated["StackStatus"] == "UPDATE_COMPLETE", updated.get("StackStatusReason")
    assert (
        eks.describe_nodegroup(clusterName=name, nodegroupName=group)["nodegroup"]["scalingConfig"][
            "desiredSize"
        ]
        == 3
    )
    assert {"types": ["api", "audit"], "enabled": True} in eks.describe_cluster(name=name)["cluster"][
        "logging"
    ]["clusterLogging"]

    cfn.delete_stack(StackName=stack)
    deleted = settle(cfn, stack_id)
    assert deleted["StackStatus"] == "DELETE_COMPLETE", deleted.get("StackStatusReason")
    assert name not in eks.list_clusters()["clusters"]
