"""Access keys, login profiles, virtual MFA devices; and the credential records behind every key
IAM and STS issue, which identify a request's principal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import struct
import time
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.iam import ids
from overcast.services.iam.base import (
    GLOBAL,
    IamBase,
    already_exists,
    check_path,
    delete_conflict,
    invalid_input,
    limit_exceeded,
    no_such_entity,
    now,
    tag_list,
    validation_error,
)
from overcast.services.iam.entities import check_name
from overcast.signing import matches

if TYPE_CHECKING:
    # Methods here that use what other mixins give the Provider declare `self: Provider`. mypy
    # accepts an explicit self type only if it is a supertype of the class or a protocol
    # (python/mypy#7191), hence the `type: ignore[misc]` on each of their `def` lines.
    from overcast.services.iam.provider import Provider

ACCESS_KEYS_PER_USER = 2
#: A virtual MFA device's name: its serial number ARN is at most 256 characters.
MAX_MFA_NAME = 226


def totp(seed_base32: str, step: int) -> str:
    """RFC 6238 six-digit code of a virtual MFA device for one 30-second step."""
    key = base64.b32decode(seed_base32)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def totp_step(seed: str, code: str, window: int = 2) -> int | None:
    """The step `code` is valid for, near now, or None."""
    current = int(time.time()) // 30
    for step in range(current - window, current + window + 1):
        if matches(totp(seed, step), code or ""):
            return step
    return None


def qr_png(text: str) -> bytes:
    """The QR code an authenticator app scans, as AWS returns it in QRCodePNG."""
    import segno  # only needed here; keeps it off the startup path

    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=4, border=4)
    return buffer.getvalue()


class CredentialsMixin(IamBase):
    # -- the credential records ---------------------------------------------------------------

    def credential(self, key_id: str) -> dict | None:
        return self.tables["credentials"].get(GLOBAL, key_id)

    def save_credential(self, key_id: str, record: dict) -> None:
        self.generation += 1
        self.tables["credentials"].put(GLOBAL, key_id, record)

    def _caller_user(self, context, params) -> str | None:
        """The user an access-key or password call is about: UserName, else the calling user
        (None for the account's root)."""
        if params.get("UserName"):
            return params["UserName"]
        identity = context.extra.get("identity") or {}
        return identity.get("UserName") if identity.get("Kind") == "user" else None

    # -- access keys -----------------------------------------------------------------------------

    def create_access_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = self._caller_user(context, params)
        user = self.entity("user", context.account, name) if name else None
        owned = user["AccessKeys"] if user else self._root_keys(context.account)
        if len(owned) >= ACCESS_KEYS_PER_USER:
            raise limit_exceeded(f"Cannot exceed quota for AccessKeysPerUser: {ACCESS_KEYS_PER_USER}")
        key_id = ids.access_key_id(context.account)
        record = {
            "Kind": "user" if user else "root",
            "Account": context.account,
            "Secret": ids.secret_access_key(),
            "Status": "Active",
            "CreateDate": now(),
        }
        if user:
            record.update(UserName=user["UserName"], UserId=user["UserId"])
        with self.store.transaction():
            self.save_credential(key_id, record)
            if user:
                user["AccessKeys"].append(key_id)
                self._save("user", context.account, user)
            else:
                self._put("account", context.account, "root-keys", [*owned, key_id])
        key = {
            "AccessKeyId": key_id,
            "Status": "Active",
            "SecretAccessKey": record["Secret"],
            "CreateDate": record["CreateDate"],
        }
        if user:
            key["UserName"] = user["UserName"]
        return {"AccessKey": key}

    def _root_keys(self, account: str) -> list[str]:
        return self._get("account", account, "root-keys") or []

    def _owned_key(self: Provider, context: RequestContext, params: dict) -> tuple[dict | None, dict]:  # type: ignore[misc]
        name = self._caller_user(context, params)
        user = self.entity("user", context.account, name) if name else None
        key_id = params["AccessKeyId"]
        owned = user["AccessKeys"] if user else self._root_keys(context.account)
        record = self.credential(key_id) if key_id in owned else None
        if record is None:
            raise no_such_entity(f"The Access Key with id {key_id} cannot be found.")
        return user, record

    def list_access_keys(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = self._caller_user(context, params)
        user = self.entity("user", context.account, name) if name else None
        keys = []
        for key_id in user["AccessKeys"] if user else self._root_keys(context.account):
            record = self.credential(key_id)
            if record:
                item = {"AccessKeyId": key_id, "Status": record["Status"], "CreateDate": record["CreateDate"]}
                if user:
                    item["UserName"] = user["UserName"]
                keys.append(item)
        return {**self.paginate(keys, params, "AccessKeyMetadata")}

    def update_access_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, record = self._owned_key(context, params)
        record["Status"] = params["Status"]
        self.save_credential(params["AccessKeyId"], record)
        return {}

    def delete_access_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user, _ = self._owned_key(context, params)
        key_id = params["AccessKeyId"]
        with self.store.transaction():
            self.generation += 1
            self.tables["credentials"].delete(GLOBAL, key_id)
            if user:
                user["AccessKeys"].remove(key_id)
                self._save("user", context.account, user)
            else:
                self._put(
                    "account",
                    context.account,
                    "root-keys",
                    [k for k in self._root_keys(context.account) if k != key_id],
                )
        return {}

    def get_access_key_last_used(self, context, params):
        key_id = params["AccessKeyId"]
        record = self.credential(key_id)
        if record is None or record["Kind"] == "session" or record["Account"] != context.account:
            raise ServiceError("AccessDenied", "The access key does not exist in this account.", 403)
        used = record.get("LastUsed") or {}
        result = {
            "AccessKeyLastUsed": {
                "ServiceName": used.get("ServiceName", "N/A"),
                "Region": used.get("Region", "N/A"),
                **({"LastUsedDate": used["LastUsedDate"]} if "LastUsedDate" in used else {}),
            }
        }
        if record.get("UserName"):
            result["UserName"] = record["UserName"]
        return result

    def note_key_used(self, key_id: str, record: dict, service: str, region: str) -> None:
        """Last-used info, written at most once a minute per key so requests stay cheap."""
        used = record.get("LastUsed") or {}
        stamp = now()
        last = used.get("LastUsedDate")
        if last is not None and (stamp - last).total_seconds() < 60 and used.get("ServiceName") == service:
            return
        record["LastUsed"] = {"LastUsedDate": stamp, "ServiceName": service, "Region": region}
        self.tables["credentials"].put(GLOBAL, key_id, record)

    # -- login profiles and passwords -------------------------------------------------------------

    def _check_password(self, account: str, password: str) -> None:
        rules = self._get("account", account, "password-policy")
        if not rules:
            return
        checks = [
            len(password) >= rules.get("MinimumPasswordLength", 6),
            not rules.get("RequireSymbols") or any(not c.isalnum() for c in password),
            not rules.get("RequireNumbers") or any(c.isdigit() for c in password),
            not rules.get("RequireUppercaseCharacters") or any(c.isupper() for c in password),
            not rules.get("RequireLowercaseCharacters") or any(c.islower() for c in password),
        ]
        if not all(checks):
            raise ServiceError(
                "PasswordPolicyViolation", "Password does not conform to the account password policy.", 400
            )

    def create_login_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user = self.entity(
            "user", context.account, params.get("UserName") or self._caller_user(context, params)
        )
        if user.get("LoginProfile"):
            raise already_exists(f"Login Profile for user {user['UserName']} already exists.")
        self._check_password(context.account, params.get("Password") or "")
        user["LoginProfile"] = {
            "CreateDate": now(),
            "PasswordResetRequired": bool(params.get("PasswordResetRequired")),
            "PasswordHash": _hash(params.get("Password") or ""),
        }
        self._save("user", context.account, user)
        return {"LoginProfile": self._login_shape(user)}

    @staticmethod
    def _login_shape(user: dict) -> dict:
        profile = user["LoginProfile"]
        return {
            "UserName": user["UserName"],
            "CreateDate": profile["CreateDate"],
            "PasswordResetRequired": profile["PasswordResetRequired"],
        }

    def _login_user(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user = self.entity(
            "user", context.account, params.get("UserName") or self._caller_user(context, params)
        )
        if not user.get("LoginProfile"):
            raise no_such_entity(f"Login Profile for User {user['UserName']} cannot be found.")
        return user

    def get_login_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return {"LoginProfile": self._login_shape(self._login_user(context, params))}

    def update_login_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user = self._login_user(context, params)
        if params.get("Password") is not None:
            self._check_password(context.account, params["Password"])
            user["LoginProfile"]["PasswordHash"] = _hash(params["Password"])
        if params.get("PasswordResetRequired") is not None:
            user["LoginProfile"]["PasswordResetRequired"] = params["PasswordResetRequired"]
        self._save("user", context.account, user)
        return {}

    def delete_login_profile(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user = self._login_user(context, params)
        user["LoginProfile"] = None
        self._save("user", context.account, user)
        return {}

    def change_password(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = self._caller_user(context, {})
        if not name:
            raise invalid_input("Only IAM users can change their own password.")
        user = self._login_user(context, {"UserName": name})
        if not hmac.compare_digest(
            user["LoginProfile"]["PasswordHash"],
            _hash(params["OldPassword"], user["LoginProfile"]["PasswordHash"]),
        ):
            raise ServiceError("InvalidUserType", "The old password is incorrect.", 400)
        self._check_password(context.account, params["NewPassword"])
        user["LoginProfile"]["PasswordHash"] = _hash(params["NewPassword"])
        user["LoginProfile"]["PasswordResetRequired"] = False
        self._save("user", context.account, user)
        return {}

    # -- virtual MFA devices ---------------------------------------------------------------------

    def create_virtual_mfa_device(self, context, params):
        name = check_name(params["VirtualMFADeviceName"], "virtualMFADeviceName")
        if len(name) > MAX_MFA_NAME:
            # The model gives no maximum, but the device's serial number (its ARN) is at most
            # 256 characters, which leaves 226 for the name after "arn:aws:iam::<account>:mfa/".
            raise validation_error(
                "1 validation error detected: Value at 'virtualMFADeviceName' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_MFA_NAME}"
            )
        path = check_path(params.get("Path"))
        serial = self.arn(context, context.account, f"mfa{path}{name}")
        if self._get("mfa_devices", context.account, serial) is not None:
            raise already_exists("MFADevice entity at the same path and name already exists.")
        seed = base64.b32encode(os.urandom(40)).decode()
        record = {
            "SerialNumber": serial,
            "Seed": seed,
            "User": None,
            "EnableDate": None,
            "Tags": tag_list(params.get("Tags")),
            "LastStep": None,
        }
        self._put("mfa_devices", context.account, serial, record)
        alias = self._get("account", context.account, "alias")
        uri = f"otpauth://totp/{name}@{alias or context.account}?secret={seed}"
        return {
            "VirtualMFADevice": {
                "SerialNumber": serial,
                "Base32StringSeed": seed.encode(),
                "QRCodePNG": qr_png(uri),
                **({"Tags": record["Tags"]} if record["Tags"] else {}),
            }
        }

    def _mfa(self, account: str, serial: str) -> dict:
        record = self._get("mfa_devices", account, serial)
        if record is None:
            raise no_such_entity(f"VirtualMFADevice with serial number {serial} doesn't exist.")
        return record

    def enable_mfa_device(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user = self.entity("user", context.account, params["UserName"])
        device = self._mfa(context.account, params["SerialNumber"])
        if device["User"]:
            raise already_exists("MFA Device is already in use.")
        first = totp_step(device["Seed"], params["AuthenticationCode1"], window=10)
        if first is None or totp(device["Seed"], first + 1) != params["AuthenticationCode2"]:
            raise ServiceError(
                "InvalidAuthenticationCode", "Authentication code for device is not valid.", 403
            )
        device.update(User=user["UserName"], EnableDate=now(), LastStep=first + 1)
        user["MFADevices"].append(device["SerialNumber"])
        with self.store.transaction():
            self._put("mfa_devices", context.account, device["SerialNumber"], device)
            self._save("user", context.account, user)
        return {}

    def resync_mfa_device(self, context, params):
        device = self._mfa(context.account, params["SerialNumber"])
        first = totp_step(device["Seed"], params["AuthenticationCode1"], window=10)
        if first is None or totp(device["Seed"], first + 1) != params["AuthenticationCode2"]:
            raise ServiceError(
                "InvalidAuthenticationCode", "Authentication code for device is not valid.", 403
            )
        return {}

    def deactivate_mfa_device(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        user = self.entity(
            "user", context.account, params.get("UserName") or self._caller_user(context, params)
        )
        serial = params["SerialNumber"]
        if serial not in user["MFADevices"]:
            raise no_such_entity(f"MFA Device with serial number {serial} does not exist.")
        device = self._mfa(context.account, serial)
        device.update(User=None, EnableDate=None)
        user["MFADevices"].remove(serial)
        with self.store.transaction():
            self._put("mfa_devices", context.account, serial, device)
            self._save("user", context.account, user)
        return {}

    def delete_virtual_mfa_device(self, context, params):
        device = self._mfa(context.account, params["SerialNumber"])
        if device["User"]:
            raise delete_conflict("MFA device is still in use.")
        self._delete("mfa_devices", context.account, device["SerialNumber"])
        return {}

    def list_mfa_devices(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = self._caller_user(context, params)
        if not name:
            return {"MFADevices": [], "IsTruncated": False}
        user = self.entity("user", context.account, name)
        devices = []
        for serial in user["MFADevices"]:
            device = self._get("mfa_devices", context.account, serial)
            if device:
                devices.append(
                    {"UserName": user["UserName"], "SerialNumber": serial, "EnableDate": device["EnableDate"]}
                )
        return self.paginate(devices, params, "MFADevices")

    def list_virtual_mfa_devices(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        status = params.get("AssignmentStatus") or "Any"
        found = []
        for device in self._all("mfa_devices", context.account):
            assigned = device["User"] is not None
            if (status == "Assigned" and not assigned) or (status == "Unassigned" and assigned):
                continue
            item = {"SerialNumber": device["SerialNumber"]}
            if assigned:
                user = self._get("users", context.account, device["User"])
                if user:
                    item["User"] = self.user_shape(user, full=False)
                item["EnableDate"] = device["EnableDate"]
            if device.get("Tags"):
                item["Tags"] = device["Tags"]
            found.append(item)
        return self.paginate(found, params, "VirtualMFADevices")

    def get_mfa_device(self, context, params):
        device = self._mfa(context.account, params["SerialNumber"])
        result = {"SerialNumber": device["SerialNumber"]}
        if device["User"]:
            result.update(UserName=device["User"], EnableDate=device["EnableDate"])
        return result

    def verify_mfa(self, account: str, serial: str, code: str | None) -> bool:
        """An STS call's SerialNumber/TokenCode: the device must be an enabled one of the
        account's and the code current and not used before."""
        device = self._get("mfa_devices", account, serial) if serial else None
        if device is None or not device["User"] or not code:
            return False
        step = totp_step(device["Seed"], code)
        if step is None or (device.get("LastStep") is not None and step <= device["LastStep"]):
            return False  # wrong, or already used: a one-time code is good once
        device["LastStep"] = step
        self._put("mfa_devices", account, serial, device)
        return True


def _hash(password: str, stored: str | None = None) -> str:
    salt = bytes.fromhex(stored.split("$")[0]) if stored else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 10_000)
    return f"{salt.hex()}${digest.hex()}"


class CredentialReportMixin(IamBase):
    """GenerateCredentialReport / GetCredentialReport: the account's users and the state of
    their credentials, as AWS's CSV."""

    _COLUMNS = (
        "user",
        "arn",
        "user_creation_time",
        "password_enabled",
        "password_last_used",
        "password_last_changed",
        "password_next_rotation",
        "mfa_active",
        "access_key_1_active",
        "access_key_1_last_rotated",
        "access_key_1_last_used_date",
        "access_key_1_last_used_region",
        "access_key_1_last_used_service",
        "access_key_2_active",
        "access_key_2_last_rotated",
        "access_key_2_last_used_date",
        "access_key_2_last_used_region",
        "access_key_2_last_used_service",
        "cert_1_active",
        "cert_1_last_rotated",
        "cert_2_active",
        "cert_2_last_rotated",
    )

    def generate_credential_report(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        existed = self._get("account", context.account, "credential-report") is not None

        def stamp(value) -> str:
            return value.strftime("%Y-%m-%dT%H:%M:%S+00:00") if value else "N/A"

        rows = [",".join(self._COLUMNS)]
        root_keys = [self.credential(k) for k in self._root_keys(context.account)]
        root_certificates = self._get("account", context.account, "root-signing-certificates") or []
        #: (name, ARN, created, login profile, MFA devices, access keys, signing certificates);
        #: the root has no user record.
        users: list[tuple[str, str, Any, dict | None, list, list, list]] = [
            (
                "<root_account>",
                self.arn(context, context.account, "root"),
                None,
                None,
                [],
                root_keys,
                root_certificates,
            )
        ]
        for user in self._all("users", context.account):
            keys = [self.credential(k) for k in user["AccessKeys"]]
            users.append(
                (
                    user["UserName"],
                    user["Arn"],
                    user["CreateDate"],
                    user.get("LoginProfile"),
                    user.get("MFADevices") or [],
                    keys,
                    user.get("SigningCertificates") or [],
                )
            )
        for name, arn, created, login, mfa, keys, certificates in users:
            row = [
                name,
                arn,
                stamp(created) if created else "N/A",
                "true" if login else ("not_supported" if created is None else "false"),
                "N/A",
                stamp(login["CreateDate"]) if login else "N/A",
                "N/A",
                "true" if mfa else "false",
            ]
            for index in range(2):
                key = keys[index] if index < len(keys) and keys[index] else None
                used = (key or {}).get("LastUsed") or {}
                row += [
                    "true" if key and key["Status"] == "Active" else "false",
                    stamp(key["CreateDate"]) if key else "N/A",
                    stamp(used.get("LastUsedDate")),
                    used.get("Region", "N/A"),
                    used.get("ServiceName", "N/A"),
                ]
            for index in range(2):
                certificate = certificates[index] if index < len(certificates) else None
                row += [
                    "true" if certificate and certificate["Status"] == "Active" else "false",
                    stamp(certificate["UploadDate"]) if certificate else "N/A",
                ]
            rows.append(",".join(row))
        self._put(
            "account",
            context.account,
            "credential-report",
            {"Content": ("\n".join(rows)).encode(), "GeneratedTime": now()},
        )
        if existed:
            return {"State": "COMPLETE"}
        return {"State": "STARTED", "Description": "No report exists. Starting a new report generation task"}

    def get_credential_report(self, context, params):
        report = self._get("account", context.account, "credential-report")
        if report is None:
            raise ServiceError("ReportNotPresent", "Credential report not present", 410)
        return {
            "Content": report["Content"],
            "ReportFormat": "text/csv",
            "GeneratedTime": report["GeneratedTime"],
        }
