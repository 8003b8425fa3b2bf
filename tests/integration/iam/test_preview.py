"""IAM's preview operations: delegation requests, role templates, workload identity providers,
their outbound signers and resource policy, and workload identity templates."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.integration.iam.conftest import unique


def code(error) -> str:
    return error.value.response["Error"]["Code"]


PERMISSIONS = {
    "PolicyTemplateArn": "arn:aws:iam::aws:policy-template/ReadOnly",
    "Parameters": [{"Name": "bucket", "Values": ["b1"], "Type": "string"}],
}


def test_delegation_request_lifecycle(signed):
    partner = signed("iam", "620000000001")
    owner = signed("iam", "620000000002")
    created = partner.create_delegation_request(
        OwnerAccountId="620000000002",
        Description="read the bucket",
        Permissions=PERMISSIONS,
        RequestorWorkflowId="workflow-1",
        NotificationChannel="arn:aws:sns:us-east-1:620000000001:topic",
        SessionDuration=3600,
    )
    request_id = created["DelegationRequestId"]
    got = partner.get_delegation_request(DelegationRequestId=request_id)["DelegationRequest"]
    assert (got["State"], got["RequestorId"], got["Permissions"]) == (
        "UNASSIGNED",
        "620000000001",
        PERMISSIONS,
    )

    with pytest.raises(ClientError) as error:
        owner.accept_delegation_request(DelegationRequestId=request_id)
    assert code(error) == "InvalidInput"  # nobody owns it yet
    with pytest.raises(ClientError) as error:
        signed("iam", "620000000003").associate_delegation_request(DelegationRequestId=request_id)
    assert code(error) == "InvalidInput"  # it names another owner account

    owner.associate_delegation_request(DelegationRequestId=request_id)
    owner.update_delegation_request(DelegationRequestId=request_id, Notes="looks fine")
    got = owner.get_delegation_request(DelegationRequestId=request_id)["DelegationRequest"]
    assert (got["State"], got["Notes"], got["OwnerAccountId"]) == (
        "PENDING_APPROVAL",
        "looks fine",
        "620000000002",
    )
    listed = owner.list_delegation_requests(OwnerId=got["OwnerId"])
    assert [r["DelegationRequestId"] for r in listed["DelegationRequests"]] == [request_id]
    assert listed["isTruncated"] is False

    owner.accept_delegation_request(DelegationRequestId=request_id)
    owner.send_delegation_token(DelegationRequestId=request_id)
    assert (
        owner.get_delegation_request(DelegationRequestId=request_id)["DelegationRequest"]["State"]
        == "FINALIZED"
    )
    with pytest.raises(ClientError) as error:
        owner.reject_delegation_request(DelegationRequestId=request_id, Notes="too late")
    assert code(error) == "InvalidInput"

    summary = owner.get_human_readable_summary(
        EntityArn=f"arn:aws:iam::620000000001:delegation-request/{request_id}"
    )
    assert summary["SummaryState"] == "NOT_AVAILABLE"
    with pytest.raises(ClientError) as error:
        owner.get_delegation_request(DelegationRequestId="missing-request-0001")
    assert code(error) == "NoSuchEntity"


def test_rejected_delegation_request_stays_rejected(signed):
    partner, owner = signed("iam", "620000000011"), signed("iam", "620000000012")
    request_id = partner.create_delegation_request(
        Description="d",
        Permissions=PERMISSIONS,
        RequestorWorkflowId="workflow-2",
        NotificationChannel="channel-1",
        SessionDuration=900,
    )["DelegationRequestId"]
    owner.associate_delegation_request(DelegationRequestId=request_id)
    owner.reject_delegation_request(DelegationRequestId=request_id, Notes="no")
    got = owner.get_delegation_request(DelegationRequestId=request_id)["DelegationRequest"]
    assert (got["State"], got["RejectionReason"]) == ("REJECTED", "no")
    for change in (owner.accept_delegation_request, owner.update_delegation_request):
        with pytest.raises(ClientError) as error:
            change(DelegationRequestId=request_id)
        assert code(error) == "InvalidInput"


def test_role_templates_are_aws_owned(client):
    iam = client("iam")
    for call in (iam.get_role_template_version, iam.acquire_role):
        with pytest.raises(ClientError) as error:
            call(TemplateArn="arn:aws:iam::aws:role-template/Example")
        assert code(error) == "NoSuchEntity"


def test_workload_identity_provider_and_signers(signed):
    iam = signed("iam", "620000000021")
    name = unique("wip")
    created = iam.create_workload_identity_provider(
        ProviderName=name,
        Scheme="SPIFFE",
        WorkloadIdentityDomain="example.org",
        Tags=[{"Key": "k", "Value": "v"}],
    )
    arn = created["Arn"]
    assert created["ProviderName"] == name and created["ResourceScope"] == "ACCOUNT"
    assert created["OutboundSigners"]["X509"] == [] and len(created["OutboundSigners"]["Jwt"]) >= 1
    with pytest.raises(ClientError) as error:
        iam.create_workload_identity_provider(ProviderName=name, Scheme="NONE")
    assert code(error) == "EntityAlreadyExists"
    assert [p["Arn"] for p in iam.list_workload_identity_providers()["WorkloadIdentityProviders"]] == [arn]

    ca = {"X509": {"CertificateAuthorityId": "ca-one", "AccountId": "620000000021"}}
    iam.create_workload_identity_provider_outbound_signer(
        WorkloadIdentityProviderArn=arn, OutboundSigner=ca, SigningDelayInHours=2
    )
    with pytest.raises(ClientError) as error:
        iam.create_workload_identity_provider_outbound_signer(
            WorkloadIdentityProviderArn=arn, OutboundSigner=ca
        )
    assert code(error) == "EntityAlreadyExists"
    x509 = iam.get_workload_identity_provider(WorkloadIdentityProviderArn=arn)["OutboundSigners"]["X509"]
    assert [s["Status"] for s in x509] == ["IN_TRANSITION"]
    assert (x509[0]["StartSigningTime"] - created["CreateDate"]).total_seconds() >= 2 * 3600 - 5

    with pytest.raises(ClientError) as error:
        iam.delete_workload_identity_provider_outbound_signer(
            WorkloadIdentityProviderArn=arn, OutboundSigner=ca
        )
    assert code(error) == "InvalidInput"  # still due to sign: disable first
    iam.disable_workload_identity_provider_outbound_signer(WorkloadIdentityProviderArn=arn, SignerType="X509")
    signers = iam.list_workload_identity_provider_outbound_signers(WorkloadIdentityProviderArn=arn)[
        "OutboundSigners"
    ]
    assert [(s["SignerType"], s["Status"]) for s in signers if s["SignerType"] == "X509"] == [
        ("X509", "VALIDATING")
    ]
    iam.enable_workload_identity_provider_outbound_signer(WorkloadIdentityProviderArn=arn, SignerType="X509")
    x509 = iam.get_workload_identity_provider(WorkloadIdentityProviderArn=arn)["OutboundSigners"]["X509"]
    assert [s["Status"] for s in x509] == ["IN_TRANSITION"] and "EndSigningTime" not in x509[0]

    with pytest.raises(ClientError) as error:
        iam.delete_workload_identity_provider(WorkloadIdentityProviderArn=arn)
    assert code(error) == "DeleteConflict"  # an X.509 signer remains
    iam.disable_workload_identity_provider_outbound_signer(WorkloadIdentityProviderArn=arn, SignerType="X509")
    deleted = iam.delete_workload_identity_provider_outbound_signer(
        WorkloadIdentityProviderArn=arn, OutboundSigner=ca
    )
    assert deleted["Status"] == "SUCCEEDED"

    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    with pytest.raises(ClientError) as error:
        iam.get_workload_identity_provider_resource_policy(WorkloadIdentityProviderArn=arn)
    assert code(error) == "NoSuchEntity"
    iam.put_workload_identity_provider_resource_policy(WorkloadIdentityProviderArn=arn, PolicyDocument=policy)
    got = iam.get_workload_identity_provider_resource_policy(WorkloadIdentityProviderArn=arn)
    assert (got["Arn"], got["PolicyDocument"]) == (arn, json.loads(policy))  # the SDK decodes documents
    with pytest.raises(ClientError) as error:
        iam.put_workload_identity_provider_resource_policy(
            WorkloadIdentityProviderArn=arn, PolicyDocument="{"
        )
    assert code(error) == "MalformedPolicyDocument"
    iam.delete_workload_identity_provider_resource_policy(WorkloadIdentityProviderArn=arn)

    iam.tag_workload_identity_provider(WorkloadIdentityProviderArn=arn, Tags=[{"Key": "k2", "Value": "v2"}])
    iam.untag_workload_identity_provider(WorkloadIdentityProviderArn=arn, TagKeys=["k"])
    assert iam.list_workload_identity_provider_tags(WorkloadIdentityProviderArn=arn)["Tags"] == [
        {"Key": "k2", "Value": "v2"}
    ]

    task = iam.delete_workload_identity_provider(WorkloadIdentityProviderArn=arn)["DeletionTaskId"]
    status = iam.get_workload_identity_provider_deletion_status(DeletionTaskId=task)
    assert (status["WorkloadIdentityProviderArn"], status["Status"]) == (arn, "SUCCEEDED")
    with pytest.raises(ClientError) as error:
        iam.get_workload_identity_provider(WorkloadIdentityProviderArn=arn)
    assert code(error) == "NoSuchEntity"


def test_workload_identity_signer_rotation(signed):
    iam = signed("iam", "620000000022")
    arn = iam.create_workload_identity_provider(ProviderName=unique("rot"), Scheme="SPIFFE")["Arn"]
    first = {"X509": {"CertificateAuthorityId": "ca-first", "AccountId": "620000000022"}}
    second = {"X509": {"CertificateAuthorityId": "ca-second", "AccountId": "620000000022"}}
    with pytest.raises(ClientError) as error:
        iam.update_workload_identity_provider_outbound_signer(
            WorkloadIdentityProviderArn=arn, OutboundSigner=second
        )
    assert code(error) == "NoSuchEntity"
    iam.create_workload_identity_provider_outbound_signer(
        WorkloadIdentityProviderArn=arn, OutboundSigner=first
    )
    iam.update_workload_identity_provider_outbound_signer(
        WorkloadIdentityProviderArn=arn, OutboundSigner=second, SigningDelayInHours=3
    )
    signers = iam.list_workload_identity_provider_outbound_signers(WorkloadIdentityProviderArn=arn)[
        "OutboundSigners"
    ]
    x509 = {
        s["Configuration"]["X509"]["CertificateAuthorityId"]: s for s in signers if s["SignerType"] == "X509"
    }
    assert set(x509) == {"ca-first", "ca-second"}
    assert all(s["Status"] == "IN_TRANSITION" for s in x509.values())


def test_workload_identity_templates(signed):
    iam = signed("iam", "620000000023")
    provider = iam.create_workload_identity_provider(ProviderName=unique("tpl"), Scheme="SPIFFE")["Arn"]
    attestation = json.dumps({"Version": "2012-10-17", "Statement": []})
    created = iam.create_workload_identity_template(
        Name="ci-jobs",
        WorkloadIdentityProviderArn=provider,
        PathPattern="ci/{aws:PrincipalAccount}",
        AttestationPolicy=attestation,
        Description="CI",
    )
    arn = created["Arn"]
    assert created["AttestationPolicy"] == json.loads(attestation) and created["Tags"] == []
    got = iam.get_workload_identity_template(WorkloadIdentityTemplateArn=arn)
    assert got["PathPattern"] == "ci/{aws:PrincipalAccount}" and "AttestationPolicy" not in got
    listed = iam.list_workload_identity_templates(WorkloadIdentityProviderArn=provider)[
        "WorkloadIdentityTemplates"
    ]
    assert [t["Name"] for t in listed] == ["ci-jobs"]
    with pytest.raises(ClientError) as error:
        iam.delete_workload_identity_provider(WorkloadIdentityProviderArn=provider)
    assert code(error) == "DeleteConflict"

    with pytest.raises(ClientError) as error:
        iam.create_workload_identity_template(Name="no-pattern", WorkloadIdentityProviderArn=provider)
    assert code(error) == "InvalidInput"
    with pytest.raises(ClientError) as error:
        iam.create_workload_identity_template(
            TemplateDefinition={
                "TemplateDefinitionArn": "arn:aws:iam::aws:workload-identity-template-definition/x"
            }
        )
    assert code(error) == "NoSuchEntity"

    iam.delete_workload_identity_template_attestation_policy(WorkloadIdentityTemplateArn=arn)
    with pytest.raises(ClientError) as error:
        iam.get_workload_identity_template_attestation_policy(WorkloadIdentityTemplateArn=arn)
    assert code(error) == "NoSuchEntity"
    iam.put_workload_identity_template_attestation_policy(
        WorkloadIdentityTemplateArn=arn, AttestationPolicy=attestation
    )
    assert iam.get_workload_identity_template_attestation_policy(WorkloadIdentityTemplateArn=arn)[
        "AttestationPolicy"
    ] == json.loads(attestation)
    iam.tag_workload_identity_template(WorkloadIdentityTemplateArn=arn, Tags=[{"Key": "t", "Value": "1"}])
    assert iam.list_workload_identity_template_tags(WorkloadIdentityTemplateArn=arn)["Tags"] == [
        {"Key": "t", "Value": "1"}
    ]
    iam.untag_workload_identity_template(WorkloadIdentityTemplateArn=arn, TagKeys=["t"])
    assert iam.delete_workload_identity_template(WorkloadIdentityTemplateArn=arn)["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as error:
        iam.delete_workload_identity_template(WorkloadIdentityTemplateArn=arn)
    assert code(error) == "NoSuchEntity"
