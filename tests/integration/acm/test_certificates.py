"""ACM: DNS validation satisfied by a Route 53 zone issues a real certificate from Overcast's
CA; email validation waits; imports are parsed as X.509 with ACM's checks; listing filters;
private certificates export with an encrypted key, renew and revoke; tags and the account's
configuration."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from tests.integration.acm.conftest import ec_key, key_pem, make_cert, pem

PCA = "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/11111111-2222-3333-4444-555555555555"


def wait_for(acm, arn: str, status: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        if detail["Status"] == status:
            return detail
        assert time.monotonic() < deadline, detail["Status"]
        time.sleep(0.2)


def test_dns_validation_through_route53(acm, route53):
    domain = f"d{uuid.uuid4().hex[:8]}.test"
    zone_id = route53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    arn = acm.request_certificate(
        DomainName=f"www.{domain}",
        ValidationMethod="DNS",
        SubjectAlternativeNames=[f"*.{domain}"],
        KeyAlgorithm="EC_prime256v1",
    )["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Status"] == "PENDING_VALIDATION" and detail["Type"] == "AMAZON_ISSUED"
    options = detail["DomainValidationOptions"]
    assert [o["DomainName"] for o in options] == [f"www.{domain}", f"*.{domain}"]
    assert all(
        o["ResourceRecord"]["Type"] == "CNAME" and o["ValidationStatus"] == "PENDING_VALIDATION"
        for o in options
    )
    assert options[1]["ResourceRecord"]["Name"].endswith(f".{domain}.")
    with pytest.raises(ClientError) as caught:
        acm.get_certificate(CertificateArn=arn)
    assert caught.value.response["Error"]["Code"] == "RequestInProgressException"
    # The same domain in the same account gets the same record.
    again = acm.request_certificate(DomainName=f"www.{domain}", ValidationMethod="DNS")["CertificateArn"]
    again_record = acm.describe_certificate(CertificateArn=again)["Certificate"]["DomainValidationOptions"][
        0
    ]["ResourceRecord"]
    assert again_record == options[0]["ResourceRecord"]
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": o["ResourceRecord"]["Name"],
                        "Type": "CNAME",
                        "TTL": 300,
                        "ResourceRecords": [{"Value": o["ResourceRecord"]["Value"]}],
                    },
                }
                for o in options
            ]
        },
    )
    issued = wait_for(acm, arn, "ISSUED")
    assert all(o["ValidationStatus"] == "SUCCESS" for o in issued["DomainValidationOptions"])
    assert issued["KeyAlgorithm"] == "EC-prime256v1" and issued["NotAfter"] > issued["NotBefore"]
    got = acm.get_certificate(CertificateArn=arn)
    cert = x509.load_pem_x509_certificate(got["Certificate"].encode())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    )
    assert sans == [f"www.{domain}", f"*.{domain}"]
    chain = x509.load_pem_x509_certificates(got["CertificateChain"].encode())
    cert.verify_directly_issued_by(chain[0])
    chain[0].verify_directly_issued_by(chain[1])
    with pytest.raises(ClientError) as caught:
        acm.export_certificate(CertificateArn=arn, Passphrase=b"secret")
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_email_validation_stays_pending(acm):
    arn = acm.request_certificate(DomainName="mail.example.com", ValidationMethod="EMAIL")["CertificateArn"]
    option = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]
    assert option["ValidationStatus"] == "PENDING_VALIDATION"
    assert "admin@mail.example.com" in option["ValidationEmails"]
    acm.resend_validation_email(CertificateArn=arn, Domain="mail.example.com", ValidationDomain="example.com")
    option = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]
    assert option["ValidationDomain"] == "example.com" and "admin@example.com" in option["ValidationEmails"]
    with pytest.raises(ClientError) as caught:
        acm.resend_validation_email(
            CertificateArn=arn, Domain="mail.example.com", ValidationDomain="other.org"
        )
    assert caught.value.response["Error"]["Code"] == "InvalidDomainValidationOptionsException"


def test_idempotency_token(acm):
    token = uuid.uuid4().hex[:20]
    first = acm.request_certificate(DomainName="idem.example.com", IdempotencyToken=token)["CertificateArn"]
    assert (
        acm.request_certificate(DomainName="idem.example.com", IdempotencyToken=token)["CertificateArn"]
        == first
    )


def test_import_parses_the_certificate(acm):
    cert, key = make_cert("imported.example.com", sans=["imported.example.com", "alt.example.com"])
    arn = acm.import_certificate(
        Certificate=pem(cert), PrivateKey=key_pem(key), Tags=[{"Key": "k", "Value": "v"}]
    )["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Type"] == "IMPORTED" and detail["Status"] == "ISSUED"
    assert detail["DomainName"] == "imported.example.com"
    assert detail["SubjectAlternativeNames"] == ["imported.example.com", "alt.example.com"]
    assert detail["Subject"] == "CN=imported.example.com" and detail["KeyAlgorithm"] == "RSA-2048"
    assert detail["NotAfter"].timestamp() == pytest.approx(cert.not_valid_after_utc.timestamp(), abs=1)
    assert acm.get_certificate(CertificateArn=arn)["Certificate"].encode() == pem(cert)
    # Reimport onto the same ARN replaces the certificate.
    newer, newer_key = make_cert("renamed.example.com", key=ec_key())
    acm.import_certificate(CertificateArn=arn, Certificate=pem(newer), PrivateKey=key_pem(newer_key))
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["DomainName"] == "renamed.example.com" and detail["KeyAlgorithm"] == "EC-secp384r1"
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_import_checks(acm):
    cert, key = make_cert("a.example.com")
    _, other_key = make_cert("b.example.com")
    with pytest.raises(ClientError) as caught:
        acm.import_certificate(Certificate=pem(cert), PrivateKey=key_pem(other_key))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "does not match" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        acm.import_certificate(Certificate=pem(cert) + pem(cert), PrivateKey=key_pem(key))
    assert "more than one certificate" in caught.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as caught:
        acm.import_certificate(Certificate=b"not a certificate", PrivateKey=key_pem(key))
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    root, root_key = make_cert("Test Root", ca=True, days=365)
    leaf, leaf_key = make_cert("leaf.example.com", issuer=root, issuer_key=root_key)
    arn = acm.import_certificate(
        Certificate=pem(leaf), PrivateKey=key_pem(leaf_key), CertificateChain=pem(root)
    )["CertificateArn"]
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Issuer"] == "Test Root"
    stranger, _ = make_cert("Other Root", ca=True)
    with pytest.raises(ClientError) as caught:
        acm.import_certificate(
            Certificate=pem(leaf), PrivateKey=key_pem(leaf_key), CertificateChain=pem(stranger)
        )
    assert "certificate chain" in caught.value.response["Error"]["Message"]


def test_list_filters(acm):
    rsa_cert, rsa_key = make_cert("list-rsa.example.com")
    ec_cert, ec_private = make_cert("list-ec.example.com", key=ec_key())
    rsa_arn = acm.import_certificate(Certificate=pem(rsa_cert), PrivateKey=key_pem(rsa_key))["CertificateArn"]
    ec_arn = acm.import_certificate(Certificate=pem(ec_cert), PrivateKey=key_pem(ec_private))[
        "CertificateArn"
    ]
    default = {c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]}
    assert rsa_arn in default and ec_arn not in default  # RSA_2048 only unless asked
    ec_only = {
        c["CertificateArn"]
        for c in acm.list_certificates(Includes={"keyTypes": ["EC_secp384r1"]})["CertificateSummaryList"]
    }
    assert ec_arn in ec_only and rsa_arn not in ec_only
    pending = acm.list_certificates(CertificateStatuses=["PENDING_VALIDATION"])["CertificateSummaryList"]
    assert all(c["Status"] == "PENDING_VALIDATION" for c in pending)
    pages = list(acm.get_paginator("list_certificates").paginate(PaginationConfig={"PageSize": 1}))
    assert len(pages) >= 2


def test_private_certificate_export_renew_revoke(acm):
    arn = acm.request_certificate(DomainName="svc.internal", CertificateAuthorityArn=PCA)["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Type"] == "PRIVATE" and detail["Status"] == "ISSUED"
    exported = acm.export_certificate(CertificateArn=arn, Passphrase=b"correct horse")
    key = serialization.load_pem_private_key(exported["PrivateKey"].encode(), b"correct horse")
    cert = x509.load_pem_x509_certificate(exported["Certificate"].encode())
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "svc.internal"
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(exported["PrivateKey"].encode(), None)
    serial = detail["Serial"]
    acm.renew_certificate(CertificateArn=arn)
    renewed = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert renewed["RenewalSummary"]["RenewalStatus"] == "SUCCESS" and renewed["Serial"] != serial
    acm.revoke_certificate(CertificateArn=arn, RevocationReason="KEY_COMPROMISE")
    revoked = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert revoked["Status"] == "REVOKED" and revoked["RevocationReason"] == "KEY_COMPROMISE"


def test_tags_delete_and_account_configuration(acm):
    arn = acm.request_certificate(DomainName="tags.example.com")["CertificateArn"]
    acm.add_tags_to_certificate(
        CertificateArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    acm.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": "a"}])
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    acm.delete_certificate(CertificateArn=arn)
    with pytest.raises(ClientError) as caught:
        acm.describe_certificate(CertificateArn=arn)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    acm.put_account_configuration(ExpiryEvents={"DaysBeforeExpiry": 30}, IdempotencyToken="t1")
    assert acm.get_account_configuration()["ExpiryEvents"]["DaysBeforeExpiry"] == 30
    with pytest.raises(ClientError) as caught:
        acm.describe_certificate(CertificateArn="arn:aws:sqs:us-east-1:000000000000:queue-name")
    assert caught.value.response["Error"]["Code"] in ("InvalidArnException", "ValidationException")


def test_search_certificates(acm):
    marker = uuid.uuid4().hex[:8]
    rsa_cert, rsa_key = make_cert(
        f"search-{marker}.example.com", sans=[f"search-{marker}.example.com", f"api-{marker}.example.com"]
    )
    ec_cert, ec_private = make_cert(f"other-{marker}.example.com", key=ec_key())
    rsa_arn = acm.import_certificate(Certificate=pem(rsa_cert), PrivateKey=key_pem(rsa_key))["CertificateArn"]
    ec_arn = acm.import_certificate(Certificate=pem(ec_cert), PrivateKey=key_pem(ec_private))[
        "CertificateArn"
    ]

    def found(statement: dict) -> set[str]:
        return {r["CertificateArn"] for r in acm.search_certificates(FilterStatement=statement)["Results"]}

    by_name = {
        "Filter": {
            "X509AttributeFilter": {
                "Subject": {"CommonName": {"Value": marker, "ComparisonOperator": "CONTAINS"}}
            }
        }
    }
    assert found(by_name) == {rsa_arn, ec_arn}
    by_san = {
        "Filter": {
            "X509AttributeFilter": {
                "SubjectAlternativeName": {
                    "DnsName": {"Value": f"api-{marker}.example.com", "ComparisonOperator": "EQUALS"}
                }
            }
        }
    }
    assert found(by_san) == {rsa_arn}
    ec_only = {"Filter": {"X509AttributeFilter": {"KeyAlgorithm": "EC_secp384r1"}}}
    assert found({"And": [by_name, ec_only]}) == {ec_arn}
    assert found({"And": [by_name, {"Not": ec_only}]}) == {rsa_arn}
    imported = {"Filter": {"AcmCertificateMetadataFilter": {"Type": "IMPORTED"}}}
    assert {rsa_arn, ec_arn} <= found(imported)
    result = next(r for r in acm.search_certificates(FilterStatement=by_san)["Results"])
    assert result["X509Attributes"]["KeyAlgorithm"] == "RSA_2048"
    assert result["CertificateMetadata"]["AcmCertificateMetadata"]["Type"] == "IMPORTED"


def test_organization_operations_refused_outside_an_organization(acm):
    with pytest.raises(ClientError) as caught:
        acm.get_inventory_configuration()
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    arn = acm.request_certificate(DomainName="member.example.com")["CertificateArn"]
    with pytest.raises(ClientError) as caught:
        acm.renew_member_certificate(CertificateArn=arn)
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"


def test_an_imported_certificate_past_its_end_has_expired(acm):
    cert, key = make_cert("old.example.com", days=-1)  # valid until yesterday
    arn = acm.import_certificate(Certificate=pem(cert), PrivateKey=key_pem(key))["CertificateArn"]
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "EXPIRED"
    expired = acm.list_certificates(CertificateStatuses=["EXPIRED"])["CertificateSummaryList"]
    assert arn in [c["CertificateArn"] for c in expired]


def test_key_only_tags_pending_issuer_and_idempotent_account_configuration(acm):
    arn = acm.request_certificate(DomainName="keyonly.example.com")["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    # ACM names itself the issuer, and the subject, before the certificate is issued.
    assert (detail["Status"], detail["Issuer"], detail["Subject"]) == (
        "PENDING_VALIDATION",
        "Amazon",
        "CN=keyonly.example.com",
    )
    # As AWS answers (LocalStack's AWS-recorded snapshots): the key algorithm with a hyphen,
    # the export option, and a pending certificate's empty usages and signature algorithm.
    assert (detail["KeyAlgorithm"], detail["Options"]["Export"], detail["SignatureAlgorithm"]) == (
        "RSA-2048",
        "DISABLED",
        "SHA256WITHRSA",
    )
    assert detail["KeyUsages"] == [] and detail["ExtendedKeyUsages"] == []
    summary = next(c for c in acm.list_certificates()["CertificateSummaryList"] if c["CertificateArn"] == arn)
    assert summary["KeyAlgorithm"] == "RSA-2048"
    listed = acm.list_certificates(Includes={"keyTypes": ["RSA_2048"]})["CertificateSummaryList"]
    assert arn in [c["CertificateArn"] for c in listed]
    acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "with", "Value": "v"}, {"Key": "bare"}])
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [
        {"Key": "with", "Value": "v"},
        {"Key": "bare"},
    ]
    acm.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": "bare"}])
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "with", "Value": "v"}]
    acm.delete_certificate(CertificateArn=arn)

    token = uuid.uuid4().hex[:16]
    acm.put_account_configuration(ExpiryEvents={"DaysBeforeExpiry": 20}, IdempotencyToken=token)
    # The same token again is the same request: the original result, nothing changed.
    acm.put_account_configuration(ExpiryEvents={"DaysBeforeExpiry": 40}, IdempotencyToken=token)
    assert acm.get_account_configuration()["ExpiryEvents"]["DaysBeforeExpiry"] == 20
    acm.put_account_configuration(ExpiryEvents={"DaysBeforeExpiry": 40}, IdempotencyToken=token + "x")
    assert acm.get_account_configuration()["ExpiryEvents"]["DaysBeforeExpiry"] == 40
