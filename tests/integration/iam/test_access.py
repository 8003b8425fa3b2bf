"""Service last accessed reports from what the server saw, policies granting service access,
and the account-wide settings (account properties, STS preferences, outbound federation,
Organizations features of a standalone account)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import allow, unique


def error_of(error) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def test_service_last_accessed_for_user_group_and_policy(signed):
    iam = signed("iam", "610000000001")
    user, group = unique("reader"), unique("readers")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=allow("s3:*"))
    iam.put_group_policy(GroupName=group, PolicyName="queues", PolicyDocument=allow("sqs:List*"))
    policy_arn = iam.create_policy(PolicyName=unique("p"), PolicyDocument=allow("s3:ListAllMyBuckets"))[
        "Policy"
    ]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    signed("s3", key["AccessKeyId"], key["SecretAccessKey"], region="eu-west-1").list_buckets()
    user_arn = iam.get_user(UserName=user)["User"]["Arn"]

    job = iam.generate_service_last_accessed_details(Arn=user_arn, Granularity="ACTION_LEVEL")["JobId"]
    report = iam.get_service_last_accessed_details(JobId=job)
    assert (report["JobStatus"], report["JobType"]) == ("COMPLETED", "ACTION_LEVEL")
    services = {s["ServiceNamespace"]: s for s in report["ServicesLastAccessed"]}
    assert set(services) == {"s3", "sqs"}  # what the user's and its group's policies allow
    s3 = services["s3"]
    assert s3["ServiceName"] == "Amazon Simple Storage Service"
    assert s3["LastAuthenticatedRegion"] == "eu-west-1" and s3["TotalAuthenticatedEntities"] == 1
    assert [a["ActionName"] for a in s3["TrackedActionsLastAccessed"]] == ["ListAllMyBuckets"]
    assert "LastAuthenticated" not in services["sqs"] and services["sqs"]["TotalAuthenticatedEntities"] == 0
    with pytest.raises(ClientError) as error:
        iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="s3")
    assert error_of(error)[0] == "InvalidInput"

    group_arn = iam.get_group(GroupName=group)["Group"]["Arn"]
    job = iam.generate_service_last_accessed_details(Arn=group_arn)["JobId"]
    group_report = iam.get_service_last_accessed_details(JobId=job)
    assert group_report["JobType"] == "SERVICE_LEVEL"
    s3 = {s["ServiceNamespace"]: s for s in group_report["ServicesLastAccessed"]}["s3"]
    assert s3["LastAuthenticatedEntity"] == user_arn
    entities = iam.get_service_last_accessed_details_with_entities(JobId=job, ServiceNamespace="s3")
    assert [(e["EntityInfo"]["Arn"], e["EntityInfo"]["Type"]) for e in entities["EntityDetailsList"]] == [
        (user_arn, "USER")
    ]

    job = iam.generate_service_last_accessed_details(Arn=policy_arn)["JobId"]
    policy_report = iam.get_service_last_accessed_details(JobId=job)["ServicesLastAccessed"]
    assert [(s["ServiceNamespace"], s.get("LastAuthenticatedEntity")) for s in policy_report] == [
        ("s3", user_arn)
    ]

    # A user created again under the same name is a new user: it has accessed nothing.
    iam.detach_group_policy(GroupName=group, PolicyArn=policy_arn)
    iam.remove_user_from_group(GroupName=group, UserName=user)
    iam.delete_user_policy(UserName=user, PolicyName="s3")
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=user)
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=allow("s3:*"))
    job = iam.generate_service_last_accessed_details(Arn=user_arn)["JobId"]
    fresh = iam.get_service_last_accessed_details(JobId=job)["ServicesLastAccessed"]
    assert [(s["ServiceNamespace"], s["TotalAuthenticatedEntities"]) for s in fresh] == [("s3", 0)]

    with pytest.raises(ClientError) as error:
        iam.generate_service_last_accessed_details(Arn="arn:aws:iam::610000000001:user/nobody")
    assert error_of(error)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as error:
        iam.get_service_last_accessed_details(JobId="00000000-0000-0000-0000-000000000000")
    assert error_of(error)[0] == "NoSuchEntity"


def test_list_policies_granting_service_access(signed):
    iam = signed("iam", "610000000002")
    user, group = unique("u"), unique("g")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="own", PolicyDocument=allow("s3:GetObject"))
    iam.put_group_policy(GroupName=group, PolicyName="shared", PolicyDocument=allow("*"))
    iam.attach_user_policy(UserName=user, PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    user_arn = iam.get_user(UserName=user)["User"]["Arn"]
    answer = iam.list_policies_granting_service_access(
        Arn=user_arn, ServiceNamespaces=["s3", "sqs", "dynamodb"]
    )
    granted = {e["ServiceNamespace"]: e["Policies"] for e in answer["PoliciesGrantingServiceAccess"]}
    assert granted["s3"] == [
        {"PolicyName": "own", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": user},
        {"PolicyName": "shared", "PolicyType": "INLINE", "EntityType": "GROUP", "EntityName": group},
    ]
    assert {p["PolicyName"] for p in granted["sqs"]} == {"shared", "AmazonSQSFullAccess"}
    assert [p["PolicyName"] for p in granted["dynamodb"]] == ["shared"]


def test_account_properties_and_sts_preferences(signed):
    iam = signed("iam", "610000000003")
    assert iam.get_account_properties()["Properties"] == {}
    iam.put_account_properties(Properties={"RoleManager/Enabled": "true"})
    iam.put_account_properties(Properties={"RoleManager/Mode": "strict"})
    assert iam.get_account_properties()["Properties"] == {
        "RoleManager/Enabled": "true",
        "RoleManager/Mode": "strict",
    }
    for bad in ({"NoNamespace": "x"}, {"A/one": "1", "B/two": "2"}):
        with pytest.raises(ClientError) as error:
            iam.put_account_properties(Properties=bad)
        assert error_of(error)[0] == "InvalidInput"

    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2


def test_outbound_web_identity_federation(signed):
    iam = signed("iam", "610000000004")
    with pytest.raises(ClientError) as error:
        iam.get_outbound_web_identity_federation_info()
    assert error_of(error)[0] == "FeatureDisabled"
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert issuer.startswith("https://") and issuer.endswith(".tokens.sts.global.api.aws")
    with pytest.raises(ClientError) as error:
        iam.enable_outbound_web_identity_federation()
    assert error_of(error)[0] == "FeatureEnabled"
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)
    iam.disable_outbound_web_identity_federation()
    with pytest.raises(ClientError) as error:
        iam.disable_outbound_web_identity_federation()
    assert error_of(error)[0] == "FeatureDisabled"


@pytest.mark.parametrize(
    "operation",
    [
        "list_organizations_features",
        "enable_organizations_root_credentials_management",
        "disable_organizations_root_credentials_management",
        "enable_organizations_root_sessions",
        "disable_organizations_root_sessions",
        "enable_organization_level_resources",
        "disable_organization_level_resources",
    ],
)
def test_organizations_features_need_an_organization(client, operation):
    with pytest.raises(ClientError) as error:
        getattr(client("iam"), operation)()
    assert error_of(error) == (
        "OrganizationNotFoundException",
        "The request was rejected because no organization is associated with your account.",
    )


def test_organizations_access_report_needs_an_organization(client):
    iam = client("iam")
    with pytest.raises(ClientError) as error:
        iam.generate_organizations_access_report(EntityPath="o-a1b2c3d4e5/r-f6g7h8i9j0example")
    assert error_of(error)[0] == "OrganizationNotFoundException"
    with pytest.raises(ClientError) as error:
        iam.get_organizations_access_report(JobId="examplea-1234-b567-cde8-90fg123abcd4")
    assert error_of(error)[0] == "NoSuchEntity"


def test_service_last_accessed_for_a_role_session(signed):
    from tests.integration.iam.conftest import trust

    iam = signed("iam", "610000000005")
    role = iam.create_role(
        RoleName=unique("worker"), AssumeRolePolicyDocument=trust({"AWS": "610000000005"})
    )["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="queues", PolicyDocument=allow("sqs:*"))
    credentials = signed("sts", "610000000005").assume_role(
        RoleArn=role["Arn"], RoleSessionName="worker-session"
    )["Credentials"]
    session = (credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    signed("sqs", *session).list_queues()
    job = iam.generate_service_last_accessed_details(Arn=role["Arn"])["JobId"]
    services = iam.get_service_last_accessed_details(JobId=job)["ServicesLastAccessed"]
    assert [(s["ServiceNamespace"], s["TotalAuthenticatedEntities"]) for s in services] == [("sqs", 1)]
    assert services[0]["LastAuthenticatedRegion"] == "us-east-1"
