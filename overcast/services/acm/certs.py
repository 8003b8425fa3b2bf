"""Real certificates: Overcast's local certificate authority (a root and an issuing
intermediate, generated once and kept in the store), certificates it issues for requested
domains, and X.509 parsing of imported ones (subject, SANs, validity, key algorithm)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: How long an issued certificate is valid (ACM's: 395 days).
VALIDITY_DAYS = 395
CA_NAME = "Overcast Local Root CA"
ISSUER_NAME = "Overcast Local Issuing CA"

_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "EC_prime256v1": ec.SECP256R1,
    "EC_secp384r1": ec.SECP384R1,
    "EC_secp521r1": ec.SECP521R1,
}
_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "TLS_WEB_SERVER_AUTHENTICATION",
    ExtendedKeyUsageOID.CLIENT_AUTH: "TLS_WEB_CLIENT_AUTHENTICATION",
    ExtendedKeyUsageOID.CODE_SIGNING: "CODE_SIGNING",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "EMAIL_PROTECTION",
    ExtendedKeyUsageOID.TIME_STAMPING: "TIME_STAMPING",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSP_SIGNING",
}


class CertificateProblem(ValueError):
    """An imported certificate, key or chain that ACM refuses, with ACM's words."""


def new_key(algorithm: str) -> Any:
    if algorithm.startswith("RSA_"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[4:]))
    return ec.generate_private_key(_CURVES[algorithm]())


def key_algorithm(public_key: Any) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA_{public_key.key_size}"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        names = {"secp256r1": "EC_prime256v1", "secp384r1": "EC_secp384r1", "secp521r1": "EC_secp521r1"}
        if public_key.curve.name in names:
            return names[public_key.curve.name]
    raise CertificateProblem("The certificate's key algorithm is not supported.")


def key_pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def encrypted_key_pem(pem: str, passphrase: bytes) -> str:
    key = serialization.load_pem_private_key(pem.encode(), None)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _signing_hash(key: Any) -> hashes.HashAlgorithm:
    return hashes.SHA256()


def new_authority() -> dict[str, str]:
    """A root CA and an intermediate it signs: PEMs of both certificates and keys."""
    now = dt.datetime.now(dt.UTC)
    root_key = new_key("RSA_2048")
    root = (
        x509.CertificateBuilder()
        .subject_name(_name(CA_NAME))
        .issuer_name(_name(CA_NAME))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(root_key, hashes.SHA256())
    )
    issuer_key = new_key("RSA_2048")
    issuer = (
        x509.CertificateBuilder()
        .subject_name(_name(ISSUER_NAME))
        .issuer_name(root.subject)
        .public_key(issuer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3000))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(root_key, hashes.SHA256())
    )
    return {
        "root": cert_pem(root),
        "root_key": key_pem(root_key),
        "issuer": cert_pem(issuer),
        "issuer_key": key_pem(issuer_key),
    }


def issue(authority: dict[str, str], domains: list[str], algorithm: str) -> dict[str, str]:
    """A certificate for `domains` (the first is its subject) signed by the authority's
    intermediate: PEMs of the certificate, its chain and its private key."""
    issuer_cert = x509.load_pem_x509_certificate(authority["issuer"].encode())
    issuer_key = serialization.load_pem_private_key(authority["issuer_key"].encode(), None)
    key = new_key(algorithm)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(domains[0]))
        .issuer_name(issuer_cert.subject)
        .public_key(key.public_key())
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                True,
                False,
                key_algorithm(key.public_key()).startswith("RSA"),
                False,
                False,
                False,
                False,
                False,
                False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return {
        "certificate": cert_pem(cert),
        "chain": authority["issuer"] + authority["root"],
        "key": key_pem(key),
    }


def issue_for_key(authority: dict[str, str], domains: list[str], public_key: Any) -> dict[str, str]:
    """A certificate for `domains` and a key its holder keeps (an ACME client's CSR):
    PEMs of the certificate and its chain."""
    issuer_cert = x509.load_pem_x509_certificate(authority["issuer"].encode())
    issuer_key = serialization.load_pem_private_key(authority["issuer_key"].encode(), None)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(domains[0]))
        .issuer_name(issuer_cert.subject)
        .public_key(public_key)
        .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=VALIDITY_DAYS))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return {"certificate": cert_pem(cert), "chain": authority["issuer"] + authority["root"]}


@dataclass
class Parsed:
    subject: str
    domain: str
    sans: list[str]
    serial: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    key_algorithm: str
    signature_algorithm: str
    key_usages: list[str]
    extended_key_usages: list[dict[str, str]]


def _pem_blocks(text: str, kind: str) -> list[str]:
    marker = f"-----BEGIN {kind}-----"
    return [
        marker + block.split(f"-----END {kind}-----")[0] + f"-----END {kind}-----\n"
        for block in text.split(marker)[1:]
    ]


def _rdn_text(name: x509.Name) -> str:
    return name.rfc4514_string()


def parse(certificate: x509.Certificate) -> Parsed:
    try:
        common = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        common = []
    sans: list[str] = []
    try:
        ext = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        sans = [str(v) for v in ext.value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        pass
    domain = str(common[0].value) if common else (sans[0] if sans else "")
    if domain and domain not in sans:
        sans.insert(0, domain)
    usages: list[str] = []
    try:
        ku = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        for attr, name in (
            ("digital_signature", "DIGITAL_SIGNATURE"),
            ("content_commitment", "NON_REPUDIATION"),
            ("key_encipherment", "KEY_ENCIPHERMENT"),
            ("data_encipherment", "DATA_ENCIPHERMENT"),
            ("key_agreement", "KEY_AGREEMENT"),
            ("key_cert_sign", "CERTIFICATE_SIGNING"),
            ("crl_sign", "CRL_SIGNING"),
        ):
            if getattr(ku, attr):
                usages.append(name)
    except x509.ExtensionNotFound:
        pass
    extended: list[dict[str, str]] = []
    try:
        eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        extended = [{"Name": _EKU_NAMES.get(oid, "CUSTOM"), "OID": oid.dotted_string} for oid in eku]
    except x509.ExtensionNotFound:
        pass
    hash_name = (
        certificate.signature_hash_algorithm.name.upper() if certificate.signature_hash_algorithm else "NONE"
    )
    algorithm = key_algorithm(certificate.public_key())
    signature = f"{hash_name}WITH{'RSA' if algorithm.startswith('RSA') else 'ECDSA'}"
    serial = certificate.serial_number.to_bytes((certificate.serial_number.bit_length() + 7) // 8 or 1, "big")
    return Parsed(
        subject=_rdn_text(certificate.subject),
        domain=domain,
        sans=sans,
        serial=":".join(f"{b:02x}" for b in serial),
        issuer=", ".join(str(a.value) for a in certificate.issuer.get_attributes_for_oid(NameOID.COMMON_NAME))
        or _rdn_text(certificate.issuer),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        key_algorithm=algorithm,
        signature_algorithm=signature,
        key_usages=usages,
        extended_key_usages=extended,
    )


def load_import(
    certificate: bytes, private_key: bytes, chain: bytes | None
) -> tuple[x509.Certificate, str, str | None]:
    """Check an ImportCertificate's parts as ACM does: (certificate, key PEM, chain PEM)."""
    text = certificate.decode("utf-8", "replace")
    blocks = _pem_blocks(text, "CERTIFICATE")
    if not blocks:
        raise CertificateProblem(
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        )
    if len(blocks) > 1:
        raise CertificateProblem(
            "The certificate field contains more than one certificate. You can specify only one certificate in this field."
        )
    try:
        cert = x509.load_pem_x509_certificate(blocks[0].encode())
    except ValueError:
        raise CertificateProblem(
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        ) from None
    try:
        key = serialization.load_pem_private_key(private_key, None)
    except (ValueError, TypeError):
        raise CertificateProblem("The private key is not supported.") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise CertificateProblem("The private key is not supported.")
    if key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ):
        raise CertificateProblem("The private key does not match the public key in the certificate.")
    key_algorithm(cert.public_key())
    chain_pem = None
    if chain:
        chain_blocks = _pem_blocks(chain.decode("utf-8", "replace"), "CERTIFICATE")
        if not chain_blocks:
            raise CertificateProblem(
                "Unable to parse the certificate chain. Please ensure it is in PEM format."
            )
        try:
            chain_certs = [x509.load_pem_x509_certificate(b.encode()) for b in chain_blocks]
        except ValueError:
            raise CertificateProblem(
                "Unable to parse the certificate chain. Please ensure it is in PEM format."
            ) from None
        if chain_certs[0].subject != cert.issuer:
            raise CertificateProblem("Could not validate the certificate with the certificate chain.")
        try:
            cert.verify_directly_issued_by(chain_certs[0])
        except (ValueError, TypeError, Exception):
            raise CertificateProblem(
                "Could not validate the certificate with the certificate chain."
            ) from None
        chain_pem = "".join(chain_blocks)
    return cert, key_pem(key), chain_pem
