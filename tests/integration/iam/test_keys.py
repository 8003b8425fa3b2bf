"""SSH public keys, signing certificates, server certificates and service-specific credentials."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.integration.cloudformation.conftest import outputs, settle
from tests.integration.iam.conftest import unique


def error_of(error) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def openssh(key) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )


def self_signed(key, days: int = 30, name: str = "overcast.test") -> str:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.now(UTC) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def private_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="module")
def keys():
    return [rsa_key(), rsa_key()]


def test_ssh_public_key_lifecycle(client, keys):
    iam = client("iam")
    name = unique("ssh")
    iam.create_user(UserName=name)
    body = openssh(keys[0])
    uploaded = iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=body)["SSHPublicKey"]
    key_id = uploaded["SSHPublicKeyId"]
    assert key_id.startswith("APKA") and len(key_id) == 20
    blob = base64.b64decode(body.split()[1])
    expected = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    assert uploaded["Fingerprint"].replace(":", "") == expected
    assert (uploaded["UserName"], uploaded["Status"], uploaded["SSHPublicKeyBody"]) == (name, "Active", body)

    pem = iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="PEM")["SSHPublicKey"]
    assert pem["SSHPublicKeyBody"].startswith("-----BEGIN PUBLIC KEY-----")
    assert serialization.load_pem_public_key(pem["SSHPublicKeyBody"].encode()).public_numbers() == (
        keys[0].public_key().public_numbers()
    )

    with pytest.raises(ClientError) as error:
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=body)
    assert error_of(error)[0] == "DuplicateSSHPublicKey"

    iam.update_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Status="Inactive")
    listed = iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"]
    assert [(k["SSHPublicKeyId"], k["Status"], k["UserName"]) for k in listed] == [(key_id, "Inactive", name)]

    with pytest.raises(ClientError) as error:
        iam.delete_user(UserName=name)
    assert error_of(error)[0] == "DeleteConflict"
    iam.delete_ssh_public_key(UserName=name, SSHPublicKeyId=key_id)
    with pytest.raises(ClientError) as error:
        iam.get_ssh_public_key(UserName=name, SSHPublicKeyId=key_id, Encoding="SSH")
    assert error_of(error) == ("NoSuchEntity", f"The Public Key with id {key_id} cannot be found.")
    iam.delete_user(UserName=name)


def test_ssh_public_key_refusals(client):
    iam = client("iam")
    name = unique("sshbad")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as error:
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody="ssh-rsa not-base64")
    assert error_of(error)[0] == "InvalidPublicKey"
    with pytest.raises(ClientError) as error:
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=openssh(rsa_key(1024)))
    assert error_of(error)[0] == "InvalidPublicKey"
    with pytest.raises(ClientError) as error:
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody="ssh-foo AAAAB3NzaC1yc2E")
    assert error_of(error)[0] == "UnrecognizedPublicKeyEncoding"
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ClientError) as error:
        iam.upload_ssh_public_key(UserName=name, SSHPublicKeyBody=openssh(ec_key))
    assert error_of(error)[0] == "UnrecognizedPublicKeyEncoding"
    with pytest.raises(ClientError) as error:
        iam.upload_ssh_public_key(UserName="nobody-" + name, SSHPublicKeyBody="ssh-rsa AAAA")
    assert error_of(error)[0] == "NoSuchEntity"


def test_signing_certificate_lifecycle(client, keys):
    iam = client("iam")
    name = unique("signer")
    iam.create_user(UserName=name)
    body = self_signed(keys[0])
    certificate = iam.upload_signing_certificate(UserName=name, CertificateBody=body)["Certificate"]
    certificate_id = certificate["CertificateId"]
    assert (certificate["UserName"], certificate["Status"], certificate["CertificateBody"]) == (
        name,
        "Active",
        body,
    )
    with pytest.raises(ClientError) as error:
        iam.upload_signing_certificate(UserName=name, CertificateBody=body)
    assert error_of(error)[0] == "DuplicateCertificate"
    with pytest.raises(ClientError) as error:
        iam.upload_signing_certificate(UserName=name, CertificateBody="-----BEGIN CERTIFICATE-----\nxx\n")
    assert error_of(error)[0] == "MalformedCertificate"

    iam.update_signing_certificate(UserName=name, CertificateId=certificate_id, Status="Inactive")
    listed = iam.list_signing_certificates(UserName=name)["Certificates"]
    assert [(c["CertificateId"], c["Status"]) for c in listed] == [(certificate_id, "Inactive")]
    iam.upload_signing_certificate(UserName=name, CertificateBody=self_signed(keys[1]))
    with pytest.raises(ClientError) as error:
        iam.upload_signing_certificate(UserName=name, CertificateBody=self_signed(keys[1], name="third"))
    assert error_of(error) == ("LimitExceeded", "Cannot exceed quota for CertificatesPerUser: 2")
    iam.delete_signing_certificate(UserName=name, CertificateId=certificate_id)
    with pytest.raises(ClientError) as error:
        iam.delete_signing_certificate(UserName=name, CertificateId=certificate_id)
    assert error_of(error)[0] == "NoSuchEntity"
    assert len(iam.list_signing_certificates(UserName=name)["Certificates"]) == 1


def test_server_certificate_lifecycle(client, keys):
    iam = client("iam")
    name = unique("server-cert")
    body = self_signed(keys[0], days=90)
    uploaded = iam.upload_server_certificate(
        ServerCertificateName=name,
        Path="/cloudfront/",
        CertificateBody=body,
        PrivateKey=private_pem(keys[0]),
        CertificateChain=self_signed(keys[1]),
        Tags=[{"Key": "team", "Value": "edge"}],
    )
    metadata = uploaded["ServerCertificateMetadata"]
    assert metadata["Arn"] == f"arn:aws:iam::000000000000:server-certificate/cloudfront/{name}"
    assert metadata["ServerCertificateId"].startswith("ASCA")
    expiry = x509.load_pem_x509_certificate(body.encode()).not_valid_after_utc
    assert metadata["Expiration"] == expiry
    assert uploaded["Tags"] == [{"Key": "team", "Value": "edge"}]

    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    # The body comes back without the PEM's final newline, as IAM keeps it.
    assert body.endswith("\n") and got["CertificateBody"] == body.rstrip()
    assert got["Tags"] == [{"Key": "team", "Value": "edge"}]
    assert got["ServerCertificateMetadata"] == metadata

    with pytest.raises(ClientError) as error:
        iam.upload_server_certificate(
            ServerCertificateName=name, CertificateBody=body, PrivateKey=private_pem(keys[0])
        )
    assert error_of(error)[0] == "EntityAlreadyExists"
    with pytest.raises(ClientError) as error:
        iam.upload_server_certificate(
            ServerCertificateName=name + "-x", CertificateBody=body, PrivateKey=private_pem(keys[1])
        )
    assert error_of(error)[0] == "KeyPairMismatch"
    with pytest.raises(ClientError) as error:
        iam.upload_server_certificate(
            ServerCertificateName=name + "-y", CertificateBody="nope", PrivateKey="nope"
        )
    assert error_of(error)[0] == "MalformedCertificate"

    iam.tag_server_certificate(ServerCertificateName=name, Tags=[{"Key": "env", "Value": "test"}])
    iam.untag_server_certificate(ServerCertificateName=name, TagKeys=["team"])
    assert iam.list_server_certificate_tags(ServerCertificateName=name)["Tags"] == [
        {"Key": "env", "Value": "test"}
    ]

    renamed = name + "-renamed"
    iam.update_server_certificate(
        ServerCertificateName=name, NewServerCertificateName=renamed, NewPath="/elb/"
    )
    iam.untag_server_certificate(ServerCertificateName=renamed, TagKeys=["env"])
    assert "Tags" not in iam.get_server_certificate(ServerCertificateName=renamed)["ServerCertificate"]
    listed = iam.list_server_certificates(PathPrefix="/elb/")["ServerCertificateMetadataList"]
    assert [(m["ServerCertificateName"], m["Path"]) for m in listed] == [(renamed, "/elb/")]
    assert iam.list_server_certificates(PathPrefix="/cloudfront/")["ServerCertificateMetadataList"] == []
    with pytest.raises(ClientError) as error:
        iam.get_server_certificate(ServerCertificateName=name)
    assert error_of(error) == ("NoSuchEntity", f"The Server Certificate with name {name} cannot be found.")
    iam.delete_server_certificate(ServerCertificateName=renamed)
    with pytest.raises(ClientError) as error:
        iam.delete_server_certificate(ServerCertificateName=renamed)
    assert error_of(error)[0] == "NoSuchEntity"


@pytest.mark.parametrize("service", ["codecommit.amazonaws.com", "cassandra.amazonaws.com"])
def test_service_specific_credential_lifecycle(client, service):
    iam = client("iam")
    name = unique("git")
    iam.create_user(UserName=name)
    created = iam.create_service_specific_credential(UserName=name, ServiceName=service)[
        "ServiceSpecificCredential"
    ]
    credential_id = created["ServiceSpecificCredentialId"]
    assert created["ServiceUserName"] == f"{name}-at-000000000000"
    assert created["Status"] == "Active" and len(created["ServicePassword"]) >= 40
    assert credential_id.startswith("ACCA") and len(credential_id) == 20
    assert "ServiceCredentialSecret" not in created

    answer = iam.list_service_specific_credentials(UserName=name, ServiceName=service)
    assert "IsTruncated" not in answer  # AWS leaves it out of a complete list
    listed = answer["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed] == [credential_id]
    assert "ServicePassword" not in listed[0]
    other = "cassandra.amazonaws.com" if service.startswith("codecommit") else "codecommit.amazonaws.com"
    assert (
        iam.list_service_specific_credentials(UserName=name, ServiceName=other)["ServiceSpecificCredentials"]
        == []
    )

    iam.update_service_specific_credential(
        UserName=name, ServiceSpecificCredentialId=credential_id, Status="Inactive"
    )
    reset = iam.reset_service_specific_credential(UserName=name, ServiceSpecificCredentialId=credential_id)
    assert reset["ServiceSpecificCredential"]["Status"] == "Inactive"
    assert reset["ServiceSpecificCredential"]["ServicePassword"] != created["ServicePassword"]

    iam.create_service_specific_credential(UserName=name, ServiceName=service)
    with pytest.raises(ClientError) as error:
        iam.create_service_specific_credential(UserName=name, ServiceName=service)
    assert error_of(error)[0] == "LimitExceeded"
    with pytest.raises(ClientError) as error:
        iam.delete_user(UserName=name)
    assert error_of(error) == (
        "DeleteConflict",
        "Cannot delete entity, must remove referenced objects first.",
    )
    iam.delete_service_specific_credential(UserName=name, ServiceSpecificCredentialId=credential_id)


def test_service_specific_credential_refusals(client):
    iam = client("iam")
    name = unique("git")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as error:
        iam.create_service_specific_credential(
            UserName="ghost-" + name, ServiceName="codecommit.amazonaws.com"
        )
    assert error_of(error) == ("NoSuchEntity", f"The user with name ghost-{name} cannot be found.")
    for service in ("lambda.amazonaws.com", "o3on3n3onosneo"):
        with pytest.raises(ClientError) as error:
            iam.create_service_specific_credential(UserName=name, ServiceName=service)
        assert error_of(error) == (
            "NoSuchEntity",
            f"No such service {service} is supported for Service Specific Credentials",
        )
    with pytest.raises(ClientError) as error:
        iam.update_service_specific_credential(
            UserName=name, ServiceSpecificCredentialId="wrong-id-with-hyphens-xx", Status="Active"
        )
    assert error_of(error)[0] == "ValidationError"
    created = iam.create_service_specific_credential(UserName=name, ServiceName="codecommit.amazonaws.com")
    with pytest.raises(ClientError) as error:
        iam.update_service_specific_credential(
            UserName=name,
            ServiceSpecificCredentialId=created["ServiceSpecificCredential"]["ServiceSpecificCredentialId"],
            Status="Invalid",
        )
    assert error_of(error) == (
        "ValidationError",
        "1 validation error detected: Value at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set",
    )
    with pytest.raises(ClientError) as error:
        iam.reset_service_specific_credential(
            UserName=name, ServiceSpecificCredentialId="satisfiesregexbutstillinvalid"
        )
    assert error_of(error) == ("NoSuchEntity", "No such credential satisfiesregexbutstillinvalid exists")


def test_bedrock_api_key_expires(client):
    iam = client("iam")
    name = unique("bedrock")
    iam.create_user(UserName=name)
    created = iam.create_service_specific_credential(
        UserName=name, ServiceName="bedrock.amazonaws.com", CredentialAgeDays=5
    )["ServiceSpecificCredential"]
    assert created["ServiceCredentialAlias"].endswith("-at-000000000000")
    assert created["ServiceCredentialSecret"].startswith("ABSK")
    assert "ServicePassword" not in created and "ServiceUserName" not in created
    assert created["ExpirationDate"] - created["CreateDate"] == timedelta(days=5)
    listed = iam.list_service_specific_credentials(AllUsers=True, ServiceName="bedrock.amazonaws.com")
    assert created["ServiceSpecificCredentialId"] in [
        c["ServiceSpecificCredentialId"] for c in listed["ServiceSpecificCredentials"]
    ]


def test_signing_certificates_in_credential_report_and_summary(signed, keys):
    iam = signed("iam", "630000000001")
    name = unique("reported")
    iam.create_user(UserName=name)
    first = iam.upload_signing_certificate(UserName=name, CertificateBody=self_signed(keys[0]))["Certificate"]
    iam.upload_signing_certificate(UserName=name, CertificateBody=self_signed(keys[1]))
    iam.update_signing_certificate(UserName=name, CertificateId=first["CertificateId"], Status="Inactive")
    iam.generate_credential_report()
    report = iam.get_credential_report()["Content"].decode().splitlines()
    header = report[0].split(",")
    row = dict(
        zip(header, next(line for line in report if line.startswith(name + ",")).split(","), strict=True)
    )
    assert (row["cert_1_active"], row["cert_2_active"]) == ("false", "true")
    assert row["cert_1_last_rotated"] != "N/A"

    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["AssumeRolePolicySizeQuota"] == 2048 and summary["ServerCertificates"] == 0
    iam.upload_server_certificate(
        ServerCertificateName=unique("counted"),
        CertificateBody=self_signed(keys[0]),
        PrivateKey=private_pem(keys[0]),
    )
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 1


def test_the_root_lists_no_user_keys_and_holds_its_own_signing_certificates(signed, keys):
    root = signed("iam", "630000000002")
    assert root.list_ssh_public_keys()["SSHPublicKeys"] == []
    assert root.list_service_specific_credentials()["ServiceSpecificCredentials"] == []
    with pytest.raises(ClientError) as error:
        root.reset_service_specific_credential(ServiceSpecificCredentialId="ACCA12345ABCDEXAMPLE")
    assert error_of(error) == ("NoSuchEntity", "No such credential ACCA12345ABCDEXAMPLE exists")
    certificate = root.upload_signing_certificate(CertificateBody=self_signed(keys[0]))["Certificate"]
    assert "UserName" not in certificate
    assert [c["CertificateId"] for c in root.list_signing_certificates()["Certificates"]] == [
        certificate["CertificateId"]
    ]
    assert root.get_account_summary()["SummaryMap"]["AccountSigningCertificatesPresent"] == 1
    root.delete_signing_certificate(CertificateId=certificate["CertificateId"])
    assert root.get_account_summary()["SummaryMap"]["AccountSigningCertificatesPresent"] == 0


def test_server_certificate_through_cloudformation(client, keys):
    """AWS::IAM::ServerCertificate uploads the certificate (Ref is its name, Arn its ARN), moves
    it to another Path in place, and deletes it with the stack."""
    cfn, iam = client("cloudformation"), client("iam")
    name, stack = unique("cfn-cert"), unique("cert-stack")
    body = self_signed(keys[0])

    def template(path: str) -> str:
        return json.dumps(
            {
                "Resources": {
                    "Certificate": {
                        "Type": "AWS::IAM::ServerCertificate",
                        "Properties": {
                            "ServerCertificateName": name,
                            "Path": path,
                            "CertificateBody": body,
                            "PrivateKey": private_pem(keys[0]),
                            "Tags": [{"Key": "team", "Value": "edge"}],
                        },
                    }
                },
                "Outputs": {
                    "Name": {"Value": {"Ref": "Certificate"}},
                    "Arn": {"Value": {"Fn::GetAtt": ["Certificate", "Arn"]}},
                },
            }
        )

    cfn.create_stack(StackName=stack, TemplateBody=template("/"), Capabilities=["CAPABILITY_IAM"])
    created = settle(cfn, stack)
    assert created["StackStatus"] == "CREATE_COMPLETE", created.get("StackStatusReason")
    arn = f"arn:aws:iam::000000000000:server-certificate/{name}"
    assert outputs(created) == {"Name": name, "Arn": arn}
    got = iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"]
    assert got["ServerCertificateMetadata"]["Arn"] == arn and got["Tags"] == [
        {"Key": "team", "Value": "edge"}
    ]
    assert got["CertificateBody"] == body.rstrip()

    cfn.update_stack(StackName=stack, TemplateBody=template("/edge/"), Capabilities=["CAPABILITY_IAM"])
    updated = settle(cfn, stack)
    assert updated["StackStatus"] == "UPDATE_COMPLETE", updated.get("StackStatusReason")
    assert outputs(updated)["Arn"] == f"arn:aws:iam::000000000000:server-certificate/edge/{name}"
    assert (
        iam.get_server_certificate(ServerCertificateName=name)["ServerCertificate"][
            "ServerCertificateMetadata"
        ]["Path"]
        == "/edge/"
    )

    cfn.delete_stack(StackName=stack)
    cfn.get_waiter("stack_delete_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
    )
    with pytest.raises(ClientError) as raised:
        iam.get_server_certificate(ServerCertificateName=name)
    assert (
        raised.value.response["Error"]["Message"]
        == f"The Server Certificate with name {name} cannot be found."
    )
