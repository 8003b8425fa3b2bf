"""Instance profiles, account alias, identity providers, service-linked roles, summaries."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import allow, trust, unique

SAML_METADATA = (
    """<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"
entityID="https://idp.example.com/saml"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>
"""
    + "MIIC" * 220
    + """</X509Certificate></X509Data></KeyInfo></KeyDescriptor></IDPSSODescriptor>
</EntityDescriptor>"""
)


def code(error) -> str:
    return error.value.response["Error"]["Code"]


def test_instance_profiles(client):
    iam = client("iam")
    profile, role = unique("ip"), unique("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    created = iam.create_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
    assert (
        created["Arn"] == f"arn:aws:iam::000000000000:instance-profile/{profile}" and created["Roles"] == []
    )
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert [
        r["RoleName"]
        for r in iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]
    ] == [role]
    assert [
        p["InstanceProfileName"]
        for p in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
    ] == [profile]
    with pytest.raises(ClientError) as error:
        iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert code(error) == "LimitExceeded"
    with pytest.raises(ClientError) as error:
        iam.delete_instance_profile(InstanceProfileName=profile)
    assert code(error) == "DeleteConflict"
    with pytest.raises(ClientError) as error:
        iam.delete_role(RoleName=role)
    assert code(error) == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)
    with pytest.raises(ClientError) as error:
        iam.get_instance_profile(InstanceProfileName=profile)
    assert code(error) == "NoSuchEntity"


def test_account_alias(signed):
    iam = signed("iam", "333344445555")
    iam.create_account_alias(AccountAlias="my-team-alias")
    assert iam.list_account_aliases()["AccountAliases"] == ["my-team-alias"]
    with pytest.raises(ClientError) as error:
        signed("iam", "333344445556").create_account_alias(AccountAlias="my-team-alias")
    assert code(error) == "EntityAlreadyExists"
    with pytest.raises(ClientError) as error:
        iam.create_account_alias(AccountAlias="Bad_Alias")
    assert code(error) == "ValidationError"
    iam.delete_account_alias(AccountAlias="my-team-alias")
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_oidc_and_saml_providers(client):
    iam = client("iam")
    host = f"{unique('issuer')}.example.com"
    arn = iam.create_open_id_connect_provider(
        Url=f"https://{host}", ClientIDList=["app"], ThumbprintList=["a" * 40]
    )["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::000000000000:oidc-provider/{host}"
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == host and got["ClientIDList"] == ["app"]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="other")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["app", "other"]
    with pytest.raises(ClientError) as error:
        iam.create_open_id_connect_provider(Url=f"https://{host}", ThumbprintList=["a" * 40])
    assert code(error) == "EntityAlreadyExists"
    assert arn in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as error:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert code(error) == "NoSuchEntity"

    name = unique("idp")
    saml = iam.create_saml_provider(Name=name, SAMLMetadataDocument=SAML_METADATA)["SAMLProviderArn"]
    assert saml == f"arn:aws:iam::000000000000:saml-provider/{name}"
    assert iam.get_saml_provider(SAMLProviderArn=saml)["SAMLMetadataDocument"] == SAML_METADATA
    assert saml in [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
    iam.delete_saml_provider(SAMLProviderArn=saml)


def test_service_linked_role(signed):
    iam = signed("iam", "444455557777")
    role = iam.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForElasticLoadBalancing"
    assert role["Path"] == "/aws-service-role/elasticloadbalancing.amazonaws.com/"
    assert role["AssumeRolePolicyDocument"]["Statement"][0] == {
        "Effect": "Allow",
        "Principal": {"Service": "elasticloadbalancing.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert attached == [
        {
            "PolicyName": "AWSElasticLoadBalancingServiceRolePolicy",
            "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy",
        }
    ]
    with pytest.raises(ClientError) as error:
        iam.delete_role(RoleName=role["RoleName"])
    assert code(error) == "UnmodifiableEntity"
    task = iam.delete_service_linked_role(RoleName=role["RoleName"])["DeletionTaskId"]
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError):
        iam.get_role(RoleName=role["RoleName"])


@pytest.mark.parametrize(
    ("service", "name", "policy"),
    [
        (
            "eks-fargate.amazonaws.com",
            "AWSServiceRoleForAmazonEKSForFargate",
            "AmazonEKSForFargateServiceRolePolicy",
        ),
        ("ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM", "AmazonSSMServiceRolePolicy"),
        ("dms.amazonaws.com", "AWSServiceRoleForDMSServerless", "AWSDMSServerlessServiceRolePolicy"),
        (
            "custom-resource.application-autoscaling.amazonaws.com",
            "AWSServiceRoleForApplicationAutoScaling_CustomResource",
            "AWSApplicationAutoscalingCustomResourcePolicy",
        ),
    ],
)
def test_service_linked_role_catalogue(signed, service, name, policy):
    iam = signed("iam", "444455557778")
    role = iam.create_service_linked_role(AWSServiceName=service)["Role"]
    assert role["RoleName"] == name
    assert role["Arn"] == f"arn:aws:iam::444455557778:role/aws-service-role/{service}/{name}"
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == [policy]
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []
    details = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    listed = next(r for r in details if r["RoleName"] == name)["AttachedManagedPolicies"]
    assert [p["PolicyName"] for p in listed] == [policy]
    with pytest.raises(ClientError) as error:
        iam.create_service_linked_role(AWSServiceName=service)
    assert error.value.response["Error"]["Message"].split()[3] == name
    iam.delete_service_linked_role(RoleName=name)


def test_service_linked_role_custom_suffix(signed):
    iam = signed("iam", "444455557779")
    with pytest.raises(ClientError) as error:
        iam.create_service_linked_role(AWSServiceName="ssm.amazonaws.com", CustomSuffix="mine")
    assert error.value.response["Error"] == {
        "Code": "InvalidInput",
        "Message": "Custom suffix is not allowed for ssm.amazonaws.com",
        "Type": "Sender",
    }
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="mine")[
        "Role"
    ]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling_mine"
    attached = iam.list_attached_role_policies(RoleName=role["RoleName"])["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AutoScalingServiceRolePolicy"]


def test_account_authorization_details_and_summary(signed):
    iam = signed("iam", "555566667777")
    iam.create_user(UserName="detail-user")
    iam.create_group(GroupName="detail-group")
    iam.add_user_to_group(GroupName="detail-group", UserName="detail-user")
    iam.put_user_policy(UserName="detail-user", PolicyName="inline", PolicyDocument=allow("s3:*"))
    iam.create_role(RoleName="detail-role", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
    iam.attach_role_policy(RoleName="detail-role", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    arn = iam.create_policy(PolicyName="detail-policy", PolicyDocument=allow("sqs:*"))["Policy"]["Arn"]
    details = iam.get_account_authorization_details()
    user = details["UserDetailList"][0]
    assert user["UserName"] == "detail-user" and user["GroupList"] == ["detail-group"]
    assert user["UserPolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "s3:*"
    role = details["RoleDetailList"][0]
    assert role["AttachedManagedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    ]
    assert {p["Arn"] for p in details["Policies"]} == {arn, "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and len(only_roles["RoleDetailList"]) == 1
    summary = iam.get_account_summary()["SummaryMap"]
    assert (
        summary["Users"] == 1
        and summary["Groups"] == 1
        and summary["Roles"] == 1
        and summary["Policies"] == 1
    )


def test_update_oidc_provider_context_and_identity_center(client):
    iam = client("iam")
    host = f"{unique('idp')}.example.com"
    arn = iam.create_open_id_connect_provider(Url=f"https://{host}", ClientIDList=["app"])[
        "OpenIDConnectProviderArn"
    ]
    context_provider = {
        "SubjectSourceKey": "sub",
        "KeyDefinitionList": [{"SourceKey": "email", "TargetKey": "mail"}],
    }
    instance = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, ContextProvider=context_provider)
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, IdentityCenterInstanceArn=instance)
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ContextProvider"] == context_provider and got["IdentityCenterInstanceArn"] == instance
    refused = [
        {"ContextProvider": context_provider, "RemoveContextProvider": True},
        {"IdentityCenterInstanceArn": instance, "RemoveIdentityCenterInstance": True},
        {"ContextProvider": context_provider, "IdentityCenterInstanceArn": instance},
        {"RemoveContextProvider": True},  # the Identity Center association goes first
        {},
    ]
    for change in refused:
        with pytest.raises(ClientError) as error:
            iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, **change)
        assert code(error) == "InvalidInput", change
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveIdentityCenterInstance=True)
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveContextProvider=True)
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert "ContextProvider" not in got and "IdentityCenterInstanceArn" not in got
    with pytest.raises(ClientError) as error:
        iam.update_open_id_connect_provider(
            OpenIDConnectProviderArn="arn:aws:iam::000000000000:oidc-provider/missing.example.com",
            RemoveContextProvider=True,
        )
    assert code(error) == "NoSuchEntity"
