"""Viewer mTLS's resources: a trust store made from a real CA bundle in S3 (its certificates
counted), refused for a bundle that is not one; a connection function whose test runs its
code; both named by the distribution that uses them."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.integration.cloudfront.helpers import distribution_config, s3_origin


def _ca(name: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def test_trust_store_and_connection_function(client):
    s3 = client("s3")
    cloudfront = client("cloudfront")
    bucket = f"cas-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="bundle.pem", Body=_ca("root one") + _ca("root two"))
    s3.put_object(Bucket=bucket, Key="junk.pem", Body=b"not a certificate")
    source = {
        "CaCertificatesBundleS3Location": {"Bucket": bucket, "Key": "bundle.pem", "Region": "us-east-1"}
    }
    created = cloudfront.create_trust_store(
        Name=f"ts-{uuid.uuid4().hex[:6]}", CaCertificatesBundleSource=source
    )
    store = created["TrustStore"]
    assert store["NumberOfCaCertificates"] == 2 and store["Status"] == "active"
    junk = {"CaCertificatesBundleS3Location": {"Bucket": bucket, "Key": "junk.pem", "Region": "us-east-1"}}
    with pytest.raises(ClientError) as failure:
        cloudfront.create_trust_store(Name=f"ts-{uuid.uuid4().hex[:6]}", CaCertificatesBundleSource=junk)
    assert failure.value.response["Error"]["Code"] == "InvalidArgument"

    code = b"function handler(connection) { console.log('sni ' + connection.sni); return {allow: connection.sni === 'ok.example.com'}; }"
    function = cloudfront.create_connection_function(
        Name=f"cf-{uuid.uuid4().hex[:6]}",
        ConnectionFunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"},
        ConnectionFunctionCode=code,
    )
    summary = function["ConnectionFunctionSummary"]
    result = cloudfront.test_connection_function(
        Id=summary["Id"],
        IfMatch=function["ETag"],
        ConnectionObject=json.dumps({"sni": "ok.example.com"}).encode(),
    )["ConnectionFunctionTestResult"]
    assert json.loads(result["ConnectionFunctionOutput"]) == {"allow": True}
    assert result["ConnectionFunctionExecutionLogs"] == ["sni ok.example.com"]
    published = cloudfront.publish_connection_function(Id=summary["Id"], IfMatch=function["ETag"])
    assert published["ConnectionFunctionSummary"]["Stage"] == "LIVE"

    config = distribution_config(
        [s3_origin(bucket)],
        ViewerMtlsConfig={"Mode": "required", "TrustStoreConfig": {"TrustStoreId": store["Id"]}},
        ConnectionFunctionAssociation={"Id": summary["Id"]},
    )
    distribution = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    by_store = cloudfront.list_distributions_by_trust_store(TrustStoreIdentifier=store["Id"])[
        "DistributionList"
    ]
    assert [item["Id"] for item in by_store["Items"]] == [distribution["Id"]]
    by_function = cloudfront.list_distributions_by_connection_function(
        ConnectionFunctionIdentifier=summary["Id"]
    )
    assert [item["Id"] for item in by_function["DistributionList"]["Items"]] == [distribution["Id"]]
    with pytest.raises(ClientError) as failure:
        cloudfront.delete_trust_store(Id=store["Id"], IfMatch=created["ETag"])
    assert failure.value.response["Error"]["Code"] == "CannotDeleteEntityWhileInUse"
