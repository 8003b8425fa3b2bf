"""A user's other credentials: SSH public keys (CodeCommit), X.509 signing certificates, and
service-specific credentials (CodeCommit Git credentials, Keyspaces passwords, Bedrock API
keys). Each lives on its user's record; the root's signing certificates on the account."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import string
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.iam import ids
from overcast.services.iam.base import (
    IamBase,
    delete_conflict,
    invalid_input,
    limit_exceeded,
    no_such_entity,
    now,
    validation_error,
)

if TYPE_CHECKING:
    from overcast.services.iam.provider import Provider

SSH_KEYS_PER_USER = 5
SIGNING_CERTIFICATES_PER_USER = 2
SERVICE_CREDENTIALS_PER_SERVICE = 2
MIN_SSH_KEY_BITS = 2048
_ALNUM = string.ascii_uppercase + string.digits
_WORD = re.compile(r"^\w+$")
#: (user or None for the root, that holder's signing certificates), and one of them.
Holder = tuple[dict | None, list]
Held = tuple[dict | None, list, dict]


class CredentialStyle(NamedTuple):
    """How a service's specific credentials look: a user name and password (CodeCommit,
    Keyspaces), or an API key alias and secret that may expire (Bedrock)."""

    api_key: bool
    alias_prefix: str = ""


#: The services that accept service-specific credentials (IAM user guide).
SERVICE_CREDENTIAL_STYLES: dict[str, CredentialStyle] = {
    "codecommit.amazonaws.com": CredentialStyle(api_key=False),
    "cassandra.amazonaws.com": CredentialStyle(api_key=False),
    "bedrock.amazonaws.com": CredentialStyle(api_key=True, alias_prefix="BedrockAPIKey"),
}


def bad_public_key(message: str = "The public key is not valid.") -> ServiceError:
    return ServiceError("InvalidPublicKey", message, 400)


def malformed_certificate(message: str) -> ServiceError:
    return ServiceError("MalformedCertificate", message, 400)


def _unrecognized_encoding() -> ServiceError:
    return ServiceError(
        "UnrecognizedPublicKeyEncoding", "The public key must be encoded in ssh-rsa or PEM format.", 400
    )


def parse_ssh_key(body: str) -> Any:
    """The public key an SSH-RSA or PEM body holds; AWS takes RSA keys of 2048 bits or more."""
    text = body.strip()
    key: Any
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
        else:
            key = serialization.load_ssh_public_key(text.encode())
    except UnsupportedAlgorithm:
        raise _unrecognized_encoding() from None
    except (ValueError, TypeError, IndexError):
        raise bad_public_key() from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise _unrecognized_encoding()
    if key.key_size < MIN_SSH_KEY_BITS:
        raise bad_public_key(f"The public key must be at least {MIN_SSH_KEY_BITS} bits long.")
    return key


def ssh_fingerprint(key: Any) -> str:
    """The MD5 fingerprint AWS shows: colon-separated hex of the key's OpenSSH wire form."""
    blob = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).split()[1]
    digest = hashlib.md5(base64.b64decode(blob), usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def parse_certificate(body: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(body.strip().encode())
    except (ValueError, UnsupportedAlgorithm):
        raise malformed_certificate(
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        ) from None


def check_word_id(value: str, member: str) -> str:
    # The model's pattern ([\w]+) is not checked by the protocol layer; IAM checks it.
    if not _WORD.match(value):
        raise validation_error(
            f"1 validation error detected: Value at '{member}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w]+"
        )
    return value


def _service_style(service: str) -> CredentialStyle:
    style = SERVICE_CREDENTIAL_STYLES.get(service)
    if style is None:
        raise no_such_entity(f"No such service {service} is supported for Service Specific Credentials")
    return style


def _generated_password(length: int = 44) -> str:
    alphabet = string.ascii_letters + string.digits + "+/="
    return "".join(secrets.choice(alphabet) for _ in range(length))


class KeysMixin(IamBase):
    def _key_owner(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        """UserName's user, else the calling user; the account's root holds no SSH keys or
        service credentials, so it stands for a user with none."""
        name = self._caller_user(context, params)
        if name is None:
            return {"UserName": "", "SSHPublicKeys": [], "ServiceCredentials": []}
        return self.entity("user", context.account, name)

    # -- SSH public keys -------------------------------------------------------------------------

    def upload_ssh_public_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user = self.entity("user", context.account, params["UserName"])
        key = parse_ssh_key(params["SSHPublicKeyBody"])
        fingerprint = ssh_fingerprint(key)
        keys = user.setdefault("SSHPublicKeys", [])
        if any(k["Fingerprint"] == fingerprint for k in keys):
            raise ServiceError(
                "DuplicateSSHPublicKey", "The public key is already associated with the user.", 400
            )
        if len(keys) >= SSH_KEYS_PER_USER:
            raise limit_exceeded(f"Cannot exceed quota for PublicKeysPerUser: {SSH_KEYS_PER_USER}")
        record = {
            # 20 characters, as AWS's (APKAEIBAERJR2EXAMPLE), not the 21 of an entity's unique id.
            "SSHPublicKeyId": ids.unique_id("ssh-key")[:20],
            "Fingerprint": fingerprint,
            "SSHPublicKeyBody": key.public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
            ).decode(),
            "Status": "Active",
            "UploadDate": now(),
        }
        keys.append(record)
        with self.store.transaction():
            self._save("user", context.account, user)
        return {"SSHPublicKey": self._ssh_shape(user, record)}

    @staticmethod
    def _ssh_shape(user: dict, record: dict, encoding: str = "SSH") -> dict:
        body = record["SSHPublicKeyBody"]
        if encoding == "PEM":
            key = serialization.load_ssh_public_key(body.encode())
            body = key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode()
        return {"UserName": user["UserName"], **record, "SSHPublicKeyBody": body}

    def _ssh_key(self: Provider, context: RequestContext, params: dict) -> tuple[dict, dict]:  # type: ignore[misc]
        user = self.entity("user", context.account, params["UserName"])
        key_id = params["SSHPublicKeyId"]
        for record in user.get("SSHPublicKeys") or []:
            if record["SSHPublicKeyId"] == key_id:
                return user, record
        raise no_such_entity(f"The Public Key with id {key_id} cannot be found.")

    def get_ssh_public_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, record = self._ssh_key(context, params)
        return {"SSHPublicKey": self._ssh_shape(user, record, params["Encoding"])}

    def list_ssh_public_keys(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user = self._key_owner(context, params)
        keys = [
            {"UserName": user["UserName"], **{k: r[k] for k in ("SSHPublicKeyId", "Status", "UploadDate")}}
            for r in user.get("SSHPublicKeys") or []
        ]
        return self.paginate(keys, params, "SSHPublicKeys")

    def update_ssh_public_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, record = self._ssh_key(context, params)
        record["Status"] = params["Status"]
        with self.store.transaction():
            self._save("user", context.account, user)
        return {}

    def delete_ssh_public_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, record = self._ssh_key(context, params)
        user["SSHPublicKeys"].remove(record)
        with self.store.transaction():
            self._save("user", context.account, user)
        return {}

    # -- signing certificates --------------------------------------------------------------------

    def _certificate_holder(self: Provider, context: RequestContext, params: dict) -> Holder:  # type: ignore[misc]
        """The user whose signing certificates a call is about (None: the account's root),
        and that holder's list of certificates."""
        name = self._caller_user(context, params)
        if name is None:
            return None, self._get("account", context.account, "root-signing-certificates") or []
        user = self.entity("user", context.account, name)
        return user, user.setdefault("SigningCertificates", [])

    def _save_certificates(self: Provider, account: str, user: dict | None, certificates: list) -> None:  # type: ignore[misc]
        with self.store.transaction():
            if user is None:
                self._put("account", account, "root-signing-certificates", certificates)
            else:
                user["SigningCertificates"] = certificates
                self._save("user", account, user)

    def upload_signing_certificate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, certificates = self._certificate_holder(context, params)
        certificate = parse_certificate(params["CertificateBody"])
        if certificate.not_valid_after_utc < now():
            raise ServiceError("InvalidCertificate", "The certificate has expired.", 400)
        fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
        if any(c["Fingerprint"] == fingerprint for c in certificates):
            raise ServiceError("DuplicateCertificate", "The certificate is already registered.", 409)
        if len(certificates) >= SIGNING_CERTIFICATES_PER_USER:
            raise limit_exceeded(
                f"Cannot exceed quota for CertificatesPerUser: {SIGNING_CERTIFICATES_PER_USER}"
            )
        record = {
            "CertificateId": "".join(
                secrets.choice(_ALNUM) for _ in range(28)
            ),  # TA7SMP42TDN5Z26OBPJE7EXAMPLE
            "CertificateBody": params["CertificateBody"],
            "Status": "Active",
            "UploadDate": now(),
            "Fingerprint": fingerprint,
        }
        self._save_certificates(context.account, user, [*certificates, record])
        return {"Certificate": self._certificate_shape(user, record)}

    @staticmethod
    def _certificate_shape(user: dict | None, record: dict) -> dict:
        shape = {k: record[k] for k in ("CertificateId", "CertificateBody", "Status", "UploadDate")}
        if user is not None:
            shape["UserName"] = user["UserName"]
        return shape

    def _signing_certificate(self: Provider, context: RequestContext, params: dict) -> Held:  # type: ignore[misc]
        user, certificates = self._certificate_holder(context, params)
        for record in certificates:
            if record["CertificateId"] == params["CertificateId"]:
                return user, certificates, record
        raise no_such_entity(f"The Certificate with id {params['CertificateId']} cannot be found.")

    def list_signing_certificates(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, certificates = self._certificate_holder(context, params)
        return self.paginate([self._certificate_shape(user, c) for c in certificates], params, "Certificates")

    def update_signing_certificate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, certificates, record = self._signing_certificate(context, params)
        record["Status"] = params["Status"]
        self._save_certificates(context.account, user, certificates)
        return {}

    def delete_signing_certificate(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, certificates, record = self._signing_certificate(context, params)
        certificates.remove(record)
        self._save_certificates(context.account, user, certificates)
        return {}

    # -- service-specific credentials ------------------------------------------------------------

    def create_service_specific_credential(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user = self.entity("user", context.account, params["UserName"])
        service = params["ServiceName"]
        style = _service_style(service)
        age = params.get("CredentialAgeDays")
        if age is not None and not style.api_key:
            raise invalid_input(f"CredentialAgeDays is not supported for {service}.")
        held = user.setdefault("ServiceCredentials", [])
        if sum(1 for c in held if c["ServiceName"] == service) >= SERVICE_CREDENTIALS_PER_SERVICE:
            raise limit_exceeded(
                f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: "
                f"{SERVICE_CREDENTIALS_PER_SERVICE}"
            )
        created = now()
        record: dict[str, Any] = {
            "ServiceSpecificCredentialId": "ACCA" + "".join(secrets.choice(_ALNUM) for _ in range(16)),
            "ServiceName": service,
            "Status": "Active",
            "CreateDate": created,
        }
        if style.api_key:
            suffix = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(4))
            record["ServiceCredentialAlias"] = f"{style.alias_prefix}-{suffix}-at-{context.account}"
            if age is not None:
                record["ExpirationDate"] = created + timedelta(days=age)
        else:
            record["ServiceUserName"] = f"{user['UserName']}-at-{context.account}"
        record["Secret"] = self._new_service_secret(record, style)
        held.append(record)
        with self.store.transaction():
            self._save("user", context.account, user)
        return {"ServiceSpecificCredential": self._service_credential_shape(user, record, secret=True)}

    @staticmethod
    def _new_service_secret(record: dict, style: CredentialStyle) -> str:
        if not style.api_key:
            return _generated_password()
        # A Bedrock API key carries its alias, as AWS's do (ABSK + base64 of alias:secret).
        raw = f"{record['ServiceCredentialAlias']}:{_generated_password(40)}"
        return "ABSK" + base64.b64encode(raw.encode()).decode()

    @staticmethod
    def _service_credential_shape(user: dict, record: dict, secret: bool = False) -> dict:
        shape = {k: v for k, v in record.items() if k != "Secret"}
        shape["UserName"] = user["UserName"]
        if secret:
            key = "ServiceCredentialSecret" if "ServiceCredentialAlias" in record else "ServicePassword"
            shape[key] = record["Secret"]
        return shape

    def _service_credential(self: Provider, context: RequestContext, params: dict) -> tuple[dict, dict]:  # type: ignore[misc]
        credential_id = check_word_id(params["ServiceSpecificCredentialId"], "serviceSpecificCredentialId")
        user = self._key_owner(context, params)
        for record in user.get("ServiceCredentials") or []:
            if record["ServiceSpecificCredentialId"] == credential_id:
                return user, record
        raise no_such_entity(f"No such credential {credential_id} exists")

    def list_service_specific_credentials(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        service = params.get("ServiceName")
        if service is not None:
            _service_style(service)
        if params.get("AllUsers"):
            users = sorted(self._all("users", context.account), key=lambda u: u["UserName"])
        else:
            users = [self._key_owner(context, params)]
        listed = [
            self._service_credential_shape(user, record)
            for user in users
            for record in user.get("ServiceCredentials") or []
            if service is None or record["ServiceName"] == service
        ]
        # AWS leaves IsTruncated out of a complete list (recorded).
        page = self.paginate(listed, params, "ServiceSpecificCredentials")
        if not page["IsTruncated"]:
            del page["IsTruncated"]
        return page

    def update_service_specific_credential(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, record = self._service_credential(context, params)
        record["Status"] = params["Status"]
        with self.store.transaction():
            self._save("user", context.account, user)
        return {}

    def reset_service_specific_credential(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, record = self._service_credential(context, params)
        record["Secret"] = self._new_service_secret(record, SERVICE_CREDENTIAL_STYLES[record["ServiceName"]])
        with self.store.transaction():
            self._save("user", context.account, user)
        return {"ServiceSpecificCredential": self._service_credential_shape(user, record, secret=True)}

    def delete_service_specific_credential(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, record = self._service_credential(context, params)
        user["ServiceCredentials"].remove(record)
        with self.store.transaction():
            self._save("user", context.account, user)
        return {}


def user_key_conflict(user: dict) -> ServiceError | None:
    """DeleteUser's refusal while the user still holds keys, certificates or service credentials."""
    if user.get("SSHPublicKeys") or user.get("SigningCertificates") or user.get("ServiceCredentials"):
        return delete_conflict("Cannot delete entity, must remove referenced objects first.")
    return None
