"""Server certificates (the ones ELB and CloudFront use from IAM): the PEM body, chain and
private key are parsed, the key must match the certificate, and the expiry comes from it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.iam import ids
from overcast.services.iam.base import (
    IamBase,
    already_exists,
    check_path,
    limit_exceeded,
    no_such_entity,
    now,
    tag_list,
)
from overcast.services.iam.entities import check_name
from overcast.services.iam.keys import malformed_certificate, parse_certificate

if TYPE_CHECKING:
    from overcast.services.iam.provider import Provider

SERVER_CERTIFICATES_PER_ACCOUNT = 20
_PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def _check_key_pair(certificate: x509.Certificate, private_key_pem: str) -> None:
    try:
        key = serialization.load_pem_private_key(private_key_pem.strip().encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise malformed_certificate(
            "Unable to parse private key. Please ensure it is in PEM format."
        ) from None
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    mine = key.public_key().public_bytes(serialization.Encoding.DER, public)
    theirs = certificate.public_key().public_bytes(serialization.Encoding.DER, public)
    if mine != theirs:
        raise ServiceError(
            "KeyPairMismatch", "The private key does not match the public key in the certificate.", 400
        )


def _check_chain(chain: str) -> None:
    blocks = _PEM_BLOCK.findall(chain)
    if not blocks:
        raise malformed_certificate("Unable to parse certificate chain. Please ensure it is in PEM format.")
    for block in blocks:
        parse_certificate(block)


class ServerCertificatesMixin(IamBase):
    def _server_certificate(self, account: str, name: str) -> dict:
        record = self._get("server_certificates", account, name)
        if record is None:
            raise no_such_entity(f"The Server Certificate with name {name} cannot be found.")
        return record

    def upload_server_certificate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = check_name(params["ServerCertificateName"], "serverCertificateName")
        path = check_path(params.get("Path"))
        if self._get("server_certificates", context.account, name) is not None:
            raise already_exists(f"The Server Certificate with name {name} already exists.")
        certificate = parse_certificate(params["CertificateBody"])
        _check_key_pair(certificate, params["PrivateKey"])
        if params.get("CertificateChain"):
            _check_chain(params["CertificateChain"])
        tags = tag_list(params.get("Tags"))
        if len(self._all("server_certificates", context.account)) >= SERVER_CERTIFICATES_PER_ACCOUNT:
            raise limit_exceeded(
                f"Cannot exceed quota for ServerCertificatesPerAccount: {SERVER_CERTIFICATES_PER_ACCOUNT}"
            )
        record = {
            "Path": path,
            "ServerCertificateName": name,
            "ServerCertificateId": ids.unique_id("server-certificate"),
            "Arn": self.arn(context, context.account, f"server-certificate{path}{name}"),
            "UploadDate": now(),
            "Expiration": certificate.not_valid_after_utc,
            # IAM keeps the body without its trailing whitespace (AWS recorded the PEM's final
            # newline dropped).
            "CertificateBody": params["CertificateBody"].rstrip(),
            "CertificateChain": params.get("CertificateChain"),
            "Tags": tags,
        }
        with self.store.transaction():
            self._put("server_certificates", context.account, name, record)
        result: dict = {"ServerCertificateMetadata": self._server_certificate_metadata(record)}
        if tags:
            result["Tags"] = tags
        return result

    @staticmethod
    def _server_certificate_metadata(record: dict) -> dict:
        keys = ("Path", "ServerCertificateName", "ServerCertificateId", "Arn", "UploadDate", "Expiration")
        return {k: record[k] for k in keys}

    def get_server_certificate(self, context: RequestContext, params: dict) -> dict:
        record = self._server_certificate(context.account, params["ServerCertificateName"])
        shape = {
            "ServerCertificateMetadata": self._server_certificate_metadata(record),
            "CertificateBody": record["CertificateBody"],
        }
        if record.get("Tags"):
            shape["Tags"] = record["Tags"]
        if record.get("CertificateChain"):
            shape["CertificateChain"] = record["CertificateChain"]
        return {"ServerCertificate": shape}

    def list_server_certificates(self, context: RequestContext, params: dict) -> dict:
        prefix = params.get("PathPrefix") or "/"
        records = sorted(
            self._all("server_certificates", context.account), key=lambda r: r["ServerCertificateName"]
        )
        listed = [self._server_certificate_metadata(r) for r in records if r["Path"].startswith(prefix)]
        return self.paginate(listed, params, "ServerCertificateMetadataList")

    def update_server_certificate(self, context: RequestContext, params: dict) -> dict:
        record = self._server_certificate(context.account, params["ServerCertificateName"])
        old_name = record["ServerCertificateName"]
        new_name = params.get("NewServerCertificateName") or old_name
        check_name(new_name, "newServerCertificateName")
        if new_name.lower() != old_name.lower() and self._get(
            "server_certificates", context.account, new_name
        ):
            raise already_exists(f"The Server Certificate with name {new_name} already exists.")
        path = check_path(params.get("NewPath") or record["Path"], "newPath")
        record.update(
            ServerCertificateName=new_name,
            Path=path,
            Arn=self.arn(context, context.account, f"server-certificate{path}{new_name}"),
        )
        with self.store.transaction():
            self._delete("server_certificates", context.account, old_name)
            self._put("server_certificates", context.account, new_name, record)
        return {}

    def delete_server_certificate(self, context: RequestContext, params: dict) -> dict:
        record = self._server_certificate(context.account, params["ServerCertificateName"])
        with self.store.transaction():
            self._delete("server_certificates", context.account, record["ServerCertificateName"])
        return {}
