"""Trust stores: a CA bundle and revocation lists read from S3, the listener that verifies
clients against it, the bundle handed back through its location, and AWS's refusals."""

from __future__ import annotations

import datetime

import pytest
import requests
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.integration.elbv2.helpers import default_network, unique


def _code(error: pytest.ExceptionInfo) -> str:
    return error.value.response["Error"]["Code"]


def _ca() -> tuple[bytes, bytes]:
    """(a CA certificate, a CRL it signed that revokes two serials), PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Test CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(name)
        .last_update(now)
        .next_update(now + datetime.timedelta(days=1))
    )
    for serial in (1001, 1002):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    crl = builder.sign(key, hashes.SHA256())
    return certificate.public_bytes(serialization.Encoding.PEM), crl.public_bytes(serialization.Encoding.PEM)


def test_trust_store_lifecycle(client):
    elb, s3 = client("elbv2"), client("s3")
    bucket = unique("trust")
    s3.create_bucket(Bucket=bucket)
    ca, crl = _ca()
    s3.put_object(Bucket=bucket, Key="ca.pem", Body=ca + ca)
    s3.put_object(Bucket=bucket, Key="crl.pem", Body=crl)
    s3.put_object(Bucket=bucket, Key="junk.pem", Body=b"not a certificate")
    name = unique("ts")
    store = elb.create_trust_store(
        Name=name, CaCertificatesBundleS3Bucket=bucket, CaCertificatesBundleS3Key="ca.pem"
    )["TrustStores"][0]
    assert (store["Status"], store["NumberOfCaCertificates"], store["TotalRevokedEntries"]) == (
        "ACTIVE",
        2,
        0,
    )
    arn = store["TrustStoreArn"]
    with pytest.raises(ClientError) as error:
        elb.create_trust_store(
            Name=name, CaCertificatesBundleS3Bucket=bucket, CaCertificatesBundleS3Key="ca.pem"
        )
    assert _code(error) == "DuplicateTrustStoreName"
    with pytest.raises(ClientError) as error:
        elb.create_trust_store(
            Name=unique("ts"), CaCertificatesBundleS3Bucket=bucket, CaCertificatesBundleS3Key="junk.pem"
        )
    assert _code(error) == "InvalidCaCertificatesBundle"
    with pytest.raises(ClientError) as error:
        elb.create_trust_store(
            Name=unique("ts"), CaCertificatesBundleS3Bucket=bucket, CaCertificatesBundleS3Key="none.pem"
        )
    assert _code(error) == "CaCertificatesBundleNotFound"

    revocation = elb.add_trust_store_revocations(
        TrustStoreArn=arn,
        RevocationContents=[{"S3Bucket": bucket, "S3Key": "crl.pem", "RevocationType": "CRL"}],
    )["TrustStoreRevocations"][0]
    assert revocation["NumberOfRevokedEntries"] == 2
    assert elb.describe_trust_stores(TrustStoreArns=[arn])["TrustStores"][0]["TotalRevokedEntries"] == 2
    location = elb.get_trust_store_ca_certificates_bundle(TrustStoreArn=arn)["Location"]
    assert requests.get(location).content == ca + ca
    assert requests.get(location.replace("signature=", "signature=0")).status_code == 403
    content = elb.get_trust_store_revocation_content(
        TrustStoreArn=arn, RevocationId=revocation["RevocationId"]
    )
    assert requests.get(content["Location"]).content == crl
    with pytest.raises(ClientError) as error:
        elb.describe_trust_store_revocations(TrustStoreArn=arn, RevocationIds=[999])
    assert _code(error) == "RevocationIdNotFound"

    # A listener that verifies clients against it keeps it in use.
    _, subnets = default_network(client("ec2"))
    lb = elb.create_load_balancer(Name=unique("mtls"), Subnets=subnets)["LoadBalancers"][0]
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "mtls.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    server = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=10))
        .sign(key, hashes.SHA256())
    )
    certificate_arn = client("acm").import_certificate(
        Certificate=server.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )["CertificateArn"]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=443,
        Certificates=[{"CertificateArn": certificate_arn}],
        MutualAuthentication={"Mode": "verify", "TrustStoreArn": arn},
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )["Listeners"][0]
    assert listener["MutualAuthentication"]["TrustStoreAssociationStatus"] == "active"
    associations = elb.describe_trust_store_associations(TrustStoreArn=arn)["TrustStoreAssociations"]
    assert associations == [{"ResourceArn": lb["LoadBalancerArn"]}]
    with pytest.raises(ClientError) as error:
        elb.delete_trust_store(TrustStoreArn=arn)
    assert _code(error) == "TrustStoreInUse"
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    elb.remove_trust_store_revocations(TrustStoreArn=arn, RevocationIds=[revocation["RevocationId"]])
    elb.delete_trust_store(TrustStoreArn=arn)
    with pytest.raises(ClientError) as error:
        elb.describe_trust_stores(TrustStoreArns=[arn])
    assert _code(error) == "TrustStoreNotFound"
    with pytest.raises(ClientError) as error:
        elb.get_resource_policy(ResourceArn=arn)
    assert _code(error) == "ResourceNotFound"
