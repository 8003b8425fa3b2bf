"""With IAM enforced, AssumeRoleWithWebIdentity and AssumeRoleWithSAML accept only tokens their
identity provider really signed: a JWT checked against the issuer's JWKS (served here over HTTPS
by a small local provider with a self-signed certificate that the IAM OIDC provider's thumbprint
vouches for), a SAML response against the certificate in the SAML provider's metadata."""

from __future__ import annotations

import base64
import datetime
import hashlib
import http.server
import json
import socket
import ssl
import threading
import time

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from tests.integration.iam.conftest import unique

ACCOUNT = "000000000000"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def certificate_for(key, name: str) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )


class IdentityProvider:
    """An OIDC issuer on https://localhost:PORT publishing an RSA and an EC signing key."""

    def __init__(self, tmp_path) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        tls_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.certificate = certificate_for(tls_key, "localhost")
        (tmp_path / "tls.pem").write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        (tmp_path / "tls.key").write_bytes(
            tls_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.thumbprint = hashlib.sha1(self.certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
        rsa_numbers, ec_numbers = (
            self.rsa.public_key().public_numbers(),
            self.ec.public_key().public_numbers(),
        )
        jwks = {
            "keys": [
                {
                    "kty": "RSA",
                    "kid": "rsa-1",
                    "use": "sig",
                    "alg": "RS256",
                    "n": int_b64(rsa_numbers.n),
                    "e": int_b64(rsa_numbers.e),
                },
                {
                    "kty": "EC",
                    "kid": "ec-1",
                    "use": "sig",
                    "alg": "ES256",
                    "crv": "P-256",
                    "x": b64url(ec_numbers.x.to_bytes(32, "big")),
                    "y": b64url(ec_numbers.y.to_bytes(32, "big")),
                },
            ]
        }
        self.requests = 0
        provider = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                provider.requests += 1
                documents = {
                    "/.well-known/openid-configuration": {
                        "issuer": provider.issuer,
                        "jwks_uri": f"{provider.issuer}/keys",
                    },
                    "/keys": jwks,
                }
                body = json.dumps(documents.get(self.path, {})).encode()
                self.send_response(200 if self.path in documents else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp_path / "tls.pem", tmp_path / "tls.key")
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.host = f"localhost:{self.server.server_address[1]}"
        self.issuer = f"https://{self.host}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, claims: dict, kind: str = "rsa", key=None) -> str:
        header = {"alg": "RS256" if kind == "rsa" else "ES256", "kid": f"{kind}-1", "typ": "JWT"}
        signed = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}".encode()
        key = key or (self.rsa if kind == "rsa" else self.ec)
        if kind == "rsa":
            signature = key.sign(signed, padding.PKCS1v15(), hashes.SHA256())
        else:
            r, s = decode_dss_signature(key.sign(signed, ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return f"{signed.decode()}.{b64url(signature)}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def idp(tmp_path):
    provider = IdentityProvider(tmp_path)
    yield provider
    provider.stop()


def unsigned_sts(server):
    return boto3.client(
        "sts",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=Config(signature_version=UNSIGNED),
    )


def code_and_message(error) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def test_web_identity_tokens_must_carry_the_issuers_signature(enforced, signed, idp):
    iam = signed("iam", server_endpoint=enforced.endpoint)
    iam.create_open_id_connect_provider(
        Url=idp.issuer, ClientIDList=["my-app"], ThumbprintList=[idp.thumbprint]
    )
    provider_arn = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{idp.host}"
    role = unique("oidc-role")
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider_arn},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {f"{idp.host}:aud": "my-app", f"{idp.host}:sub": "repo:org/app"}
                        },
                    }
                ],
            }
        ),
    )
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    anonymous = unsigned_sts(enforced)  # AWS's SDKs send these calls unsigned
    claims = {"iss": idp.issuer, "aud": "my-app", "sub": "repo:org/app", "exp": int(time.time()) + 600}

    def assume(token):
        return anonymous.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="ci", WebIdentityToken=token
        )

    for kind in ("rsa", "ec"):
        out = assume(idp.token(claims, kind))
        assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/ci"
        assert out["SubjectFromWebIdentityToken"] == "repo:org/app"
    assert idp.requests == 2  # discovery and keys, fetched once and kept

    forged = idp.token(claims, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    tampered_head, _, tampered_signature = idp.token(claims).split(".")
    tampered = f"{tampered_head}.{b64url(json.dumps({**claims, 'sub': 'repo:org/other'}).encode())}.{tampered_signature}"
    for token in (forged, tampered):
        with pytest.raises(ClientError) as error:
            assume(token)
        assert code_and_message(error)[0] == "InvalidIdentityToken"
    with pytest.raises(ClientError) as error:
        assume(idp.token({**claims, "sub": "repo:org/other"}))  # well signed, but the trust policy says no
    assert code_and_message(error)[0] == "AccessDenied"
    with pytest.raises(ClientError) as error:
        assume(idp.token({**claims, "aud": "another-app"}))
    assert code_and_message(error) == ("InvalidIdentityToken", "Incorrect token audience")
    with pytest.raises(ClientError) as error:
        assume(idp.token({**claims, "exp": int(time.time()) - 60}))
    assert code_and_message(error)[0] == "ExpiredTokenException"
    with pytest.raises(ClientError) as error:
        assume(idp.token({**claims, "iss": "https://unknown.example.com"}))
    assert code_and_message(error) == (
        "InvalidIdentityToken",
        "No OpenIDConnect provider found in your account for https://unknown.example.com",
    )


def test_an_issuer_that_cannot_be_reached_or_whose_certificate_is_not_vouched_for(
    enforced, signed, idp, tmp_path
):
    iam = signed("iam", server_endpoint=enforced.endpoint)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    gone = f"localhost:{closed_port}"
    iam.create_open_id_connect_provider(Url=f"https://{gone}", ClientIDList=["a"], ThumbprintList=["0" * 40])
    iam.create_open_id_connect_provider(Url=idp.issuer, ClientIDList=["a"], ThumbprintList=["1" * 40])
    role = unique("oidc-x")
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{h}"},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                    }
                    for h in (gone, idp.host)
                ],
            }
        ),
    )
    anonymous = unsigned_sts(enforced)
    for issuer, expected in (
        (f"https://{gone}", ("IDPCommunicationError", None)),
        (
            idp.issuer,
            (
                "InvalidIdentityToken",
                "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint",
            ),
        ),
    ):
        token = idp.token({"iss": issuer, "aud": "a", "sub": "s", "exp": int(time.time()) + 600})
        with pytest.raises(ClientError) as error:
            anonymous.assume_role_with_web_identity(
                RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{role}", RoleSessionName="xx", WebIdentityToken=token
            )
        got = code_and_message(error)
        assert got[0] == expected[0] and (expected[1] is None or got[1] == expected[1])


# -- SAML -----------------------------------------------------------------------------------------


def _metadata(certificate: x509.Certificate) -> str:
    body = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()
    return (
        '<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" '
        'entityID="https://idp.example.com/saml"><IDPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing">'
        '<KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>'
        f"{body}</X509Certificate></X509Data></KeyInfo></KeyDescriptor></IDPSSODescriptor></EntityDescriptor>"
    )


def _response(
    role_arn: str,
    provider_arn: str,
    audience: str = "https://signin.aws.amazon.com/saml",
    subject: str = "jdoe",
) -> str:
    expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    return f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="r1" Version="2.0"><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="a1" Version="2.0"><saml:Issuer>https://idp.example.com/saml</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{expires}" Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotOnOrAfter="{expires}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>{provider_arn},{role_arn}</saml:AttributeValue></saml:Attribute><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>{subject}@example.com</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>"""


def _signed(xml: str, key, certificate) -> str:
    from lxml import etree
    from signxml import XMLSigner

    root = etree.fromstring(xml.encode())
    assertion = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Assertion")
    signed = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
        assertion,
        key=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        cert=certificate.public_bytes(serialization.Encoding.PEM).decode(),
    )
    root.replace(assertion, signed)
    return base64.b64encode(etree.tostring(root)).decode()


def test_saml_responses_must_be_signed_by_the_providers_certificate(enforced, signed):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = certificate_for(key, "idp.example.com")
    iam = signed("iam", server_endpoint=enforced.endpoint)
    provider_arn = iam.create_saml_provider(Name=unique("corp"), SAMLMetadataDocument=_metadata(certificate))[
        "SAMLProviderArn"
    ]
    role = unique("saml-role")
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider_arn},
                        "Action": "sts:AssumeRoleWithSAML",
                        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                    }
                ],
            }
        ),
    )
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    anonymous = unsigned_sts(enforced)

    def assume(assertion, role_arn=role_arn):
        return anonymous.assume_role_with_saml(
            RoleArn=role_arn, PrincipalArn=provider_arn, SAMLAssertion=assertion
        )

    out = assume(_signed(_response(role_arn, provider_arn), key, certificate))
    assert out["Subject"] == "jdoe" and out["Audience"] == "https://signin.aws.amazon.com/saml"
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/jdoe@example.com"

    good = base64.b64decode(_signed(_response(role_arn, provider_arn), key, certificate)).decode()
    tampered = base64.b64encode(good.replace(">jdoe<", ">admin<").encode()).decode()
    unsigned = base64.b64encode(_response(role_arn, provider_arn).encode()).decode()
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    foreign = _signed(
        _response(role_arn, provider_arn), other_key, certificate_for(other_key, "idp.example.com")
    )
    for assertion in (tampered, unsigned, foreign):
        with pytest.raises(ClientError) as error:
            assume(assertion)
        assert code_and_message(error) == ("InvalidIdentityToken", "Response signature invalid")

    with pytest.raises(ClientError) as error:
        assume(
            _signed(
                _response(role_arn, provider_arn, audience="https://elsewhere.example.com"), key, certificate
            )
        )
    assert code_and_message(error)[0] == "InvalidIdentityToken"
    other_role = unique("saml-other")
    iam.create_role(
        RoleName=other_role,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider_arn},
                        "Action": "sts:AssumeRoleWithSAML",
                    }
                ],
            }
        ),
    )
    with pytest.raises(ClientError) as error:  # the assertion's Role attribute grants only the first role
        assume(
            _signed(_response(role_arn, provider_arn), key, certificate),
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/{other_role}",
        )
    assert code_and_message(error)[0] == "AccessDenied"
    with pytest.raises(ClientError) as error:
        assume(_signed(_response(role_arn, provider_arn, subject="bad name!"), key, certificate))
    assert code_and_message(error) == (
        "InvalidIdentityToken",
        "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
    )
