"""ACM's ACME endpoints end to end: an endpoint, an external account binding and a domain
pre-validated through a Route 53 zone (ACM writes the record there), then an ACME client
written here (RFC 8555: JWS-signed requests, external account binding, an order, a CSR)
gets a certificate for the domain from the endpoint's URL on port 4566."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Client:
    """The least ACME client: ES256 account key, POST-as-GET, nonces from each answer."""

    def __init__(self, directory_url: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64(numbers.x.to_bytes(32, "big")),
            "y": b64(numbers.y.to_bytes(32, "big")),
        }
        with urllib.request.urlopen(directory_url, timeout=10) as reply:
            self.directory = json.loads(reply.read())
        self.nonce = self._fresh_nonce()
        self.kid: str | None = None

    def _fresh_nonce(self) -> str:
        request = urllib.request.Request(self.directory["newNonce"], method="HEAD")
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.headers["Replay-Nonce"]

    def jws(self, url: str, payload, key_header: dict) -> bytes:
        protected = b64(json.dumps({"alg": "ES256", "nonce": self.nonce, "url": url, **key_header}).encode())
        body = "" if payload is None else b64(json.dumps(payload).encode())
        r, s = decode_dss_signature(self.key.sign(f"{protected}.{body}".encode(), ec.ECDSA(hashes.SHA256())))
        return json.dumps(
            {
                "protected": protected,
                "payload": body,
                "signature": b64(r.to_bytes(32, "big") + s.to_bytes(32, "big")),
            }
        ).encode()

    def post(self, url: str, payload=None, use_jwk: bool = False) -> tuple[int, Any, bytes]:
        header = {"jwk": self.jwk} if use_jwk else {"kid": self.kid}
        request = urllib.request.Request(
            url,
            data=self.jws(url, payload, header),
            method="POST",
            headers={"Content-Type": "application/jose+json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as reply:
                status, headers, body = reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        self.nonce = headers.get("Replay-Nonce") or self._fresh_nonce()
        return status, headers, body

    def register(self, key_id: str, mac_key: str) -> int:
        url = self.directory["newAccount"]
        protected = b64(json.dumps({"alg": "HS256", "kid": key_id, "url": url}).encode())
        payload = b64(json.dumps(self.jwk).encode())
        mac = hmac.new(
            base64.urlsafe_b64decode(mac_key + "=" * (-len(mac_key) % 4)),
            f"{protected}.{payload}".encode(),
            hashlib.sha256,
        )
        binding = {"protected": protected, "payload": payload, "signature": b64(mac.digest())}
        status, headers, _ = self.post(
            url, {"termsOfServiceAgreed": True, "externalAccountBinding": binding}, use_jwk=True
        )
        self.kid = headers.get("Location")
        return status


def wait(describe, status: str, timeout: float = 15) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        found = describe()
        if found["Status"] == status:
            return found
        assert time.monotonic() < deadline, found
        time.sleep(0.2)


def test_acme_endpoint_issues_to_an_acme_client(acm, route53):
    domain = f"acme{uuid.uuid4().hex[:6]}.test"
    zone_id = route53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"][
        "Id"
    ].split("/")[-1]
    endpoint_arn = acm.create_acme_endpoint(
        AuthorizationBehavior="PRE_APPROVED",
        CertificateAuthority={
            "PublicCertificateAuthority": {"AllowedKeyAlgorithms": ["EC_prime256v1", "RSA_2048"]}
        },
        CertificateTags=[{"Key": "issued-by", "Value": "acme"}],
    )["AcmeEndpointArn"]
    endpoint = wait(
        lambda: acm.describe_acme_endpoint(AcmeEndpointArn=endpoint_arn)["AcmeEndpoint"], "ACTIVE"
    )
    binding = acm.create_acme_external_account_binding(
        AcmeEndpointArn=endpoint_arn,
        RoleArn="arn:aws:iam::000000000000:role/acme",
        Expiration={"Value": 1, "Type": "DAYS"},
    )["ExternalAccountBinding"]
    credentials = acm.get_acme_external_account_binding_credentials(
        AcmeExternalAccountBindingArn=binding["AcmeExternalAccountBindingArn"]
    )
    validation_arn = acm.create_acme_domain_validation(
        AcmeEndpointArn=endpoint_arn,
        DomainName=domain,
        PrevalidationOptions={
            "DnsPrevalidation": {
                "HostedZoneId": zone_id,
                "DomainScope": {"ExactDomain": "ENABLED", "Subdomains": "ENABLED", "Wildcards": "DISABLED"},
            }
        },
    )["AcmeDomainValidationArn"]
    validation = wait(
        lambda: acm.describe_acme_domain_validation(AcmeDomainValidationArn=validation_arn)[
            "AcmeDomainValidation"
        ],
        "VALID",
    )
    record = validation["PrevalidationDetails"]["DnsPrevalidation"]["ResourceRecord"]
    names = [r["Name"] for r in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]]
    assert record["Name"] in names  # ACM wrote the record into the zone

    client = Client(endpoint["EndpointUrl"])
    assert client.directory["meta"]["externalAccountRequired"] is True
    assert client.register(credentials["KeyId"], credentials["MacKey"]) == 201
    accounts = acm.list_acme_accounts(AcmeEndpointArn=endpoint_arn)["AcmeAccounts"]
    assert [a["AccountUrl"] for a in accounts] == [client.kid] and accounts[0]["Status"] == "VALID"

    status, _, body = client.post(
        client.directory["newOrder"], {"identifiers": [{"type": "dns", "value": f"*.{domain}"}]}
    )
    assert status == 400 and json.loads(body)["type"] == "urn:ietf:params:acme:error:rejectedIdentifier"
    host = f"www.{domain}"
    status, headers, body = client.post(
        client.directory["newOrder"], {"identifiers": [{"type": "dns", "value": host}]}
    )
    assert status == 201, body
    order = json.loads(body)
    assert order["status"] == "ready"
    status, _, body = client.post(order["authorizations"][0])
    assert json.loads(body)["status"] == "valid"

    cert_key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(cert_key, hashes.SHA256())
    )
    status, _, body = client.post(
        order["finalize"], {"csr": b64(csr.public_bytes(serialization.Encoding.DER))}
    )
    assert status == 200, body
    finalized = json.loads(body)
    assert finalized["status"] == "valid"
    status, headers, pem_chain = client.post(finalized["certificate"])
    assert status == 200 and headers["Content-Type"] == "application/pem-certificate-chain"
    chain = x509.load_pem_x509_certificates(pem_chain)
    assert chain[0].public_key().public_numbers() == cert_key.public_key().public_numbers()
    assert chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == [host]
    chain[0].verify_directly_issued_by(chain[1])
    issued = [
        c
        for c in acm.list_certificates(Includes={"keyTypes": ["EC_prime256v1"]})["CertificateSummaryList"]
        if c["DomainName"] == host
    ]
    assert len(issued) == 1 and issued[0]["Status"] == "ISSUED"

    acm.revoke_acme_account(AcmeEndpointArn=endpoint_arn, AccountUrl=client.kid)
    status, _, body = client.post(
        client.directory["newOrder"], {"identifiers": [{"type": "dns", "value": host}]}
    )
    assert status == 403 and json.loads(body)["type"] == "urn:ietf:params:acme:error:unauthorized"


def test_acme_requests_need_a_fresh_nonce_and_a_binding(acm):
    endpoint_arn = acm.create_acme_endpoint(
        AuthorizationBehavior="PRE_APPROVED",
        CertificateAuthority={"PublicCertificateAuthority": {"AllowedKeyAlgorithms": ["EC_prime256v1"]}},
    )["AcmeEndpointArn"]
    endpoint = wait(
        lambda: acm.describe_acme_endpoint(AcmeEndpointArn=endpoint_arn)["AcmeEndpoint"], "ACTIVE"
    )
    client = Client(endpoint["EndpointUrl"])
    status, _, body = client.post(
        client.directory["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=True
    )
    assert status == 400 and json.loads(body)["type"] == "urn:ietf:params:acme:error:externalAccountRequired"
    client.nonce = "made-up"
    status, _, body = client.post(
        client.directory["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=True
    )
    assert json.loads(body)["type"] == "urn:ietf:params:acme:error:badNonce"
    binding = acm.create_acme_external_account_binding(
        AcmeEndpointArn=endpoint_arn, RoleArn="arn:aws:iam::000000000000:role/acme"
    )
    binding_arn = binding["ExternalAccountBinding"]["AcmeExternalAccountBindingArn"]
    credentials = acm.get_acme_external_account_binding_credentials(AcmeExternalAccountBindingArn=binding_arn)
    acm.revoke_acme_external_account_binding(AcmeExternalAccountBindingArn=binding_arn)
    assert client.register(credentials["KeyId"], credentials["MacKey"]) == 403
    acm.delete_acme_endpoint(AcmeEndpointArn=endpoint_arn)
    with pytest.raises(ClientError) as caught:
        acm.describe_acme_endpoint(AcmeEndpointArn=endpoint_arn)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
