"""AWS KMS with real cryptography: keys and their lifecycle (here), aliases (aliases.py), the
cryptographic operations (operations.py), grants, key policies and tags (grants.py), imported
key material, rotation, multi-Region replicas and custom key stores (material.py).

Time-driven changes (a key whose deletion window has passed goes; automatic rotation) happen
lazily, when a key is next read: nothing runs while nothing is pending.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from overcast.common.pagination import paginate_keys
from overcast.config import tuning
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.services.kms import keys as k
from overcast.services.kms.aliases import AliasOperations
from overcast.services.kms.authorization import KeyPolicyChecks
from overcast.services.kms.crypto import SPECS, UNSUPPORTED_SPECS, material_id, new_material
from overcast.services.kms.grants import GrantOperations
from overcast.services.kms.material import MaterialOperations
from overcast.services.kms.operations import CryptoOperations
from overcast.store import scope

DAY_TUNING = "OVERCAST_KMS_DAY_SECONDS"


def bad_marker() -> ServiceError:
    return ServiceError("InvalidMarkerException", "Invalid marker")


def dry_run() -> ServiceError:
    return ServiceError(
        "DryRunOperationException", "The request would have succeeded, but the DryRun option is set."
    )


class _RememberedRows:
    """A table whose rows are kept in memory once read (absent ones too), and dropped from
    memory when written: KMS resolves an alias on every call that names one."""

    def __init__(self, table) -> None:
        self._table = table
        self._rows: dict[tuple[str, str], Any] = {}

    def __getattr__(self, name: str):
        return getattr(self._table, name)

    def forget(self) -> None:
        self._rows.clear()

    def get(self, sc: str, key: str, default: Any = None) -> Any:
        try:
            row = self._rows[(sc, key)]
        except KeyError:
            row = self._table.get(sc, key)
            if len(self._rows) > 10_000:
                self._rows.clear()
            self._rows[(sc, key)] = row
        return default if row is None else dict(row)

    def put(self, sc: str, key: str, value: Any) -> None:
        self._rows.pop((sc, key), None)
        self._table.put(sc, key, value)

    def delete(self, sc: str, key: str) -> bool:
        self._rows.pop((sc, key), None)
        return self._table.delete(sc, key)


class Provider(
    CryptoOperations, AliasOperations, GrantOperations, MaterialOperations, KeyPolicyChecks, BaseProvider
):
    service = "kms"

    def __init__(self, runtime) -> None:
        super().__init__(runtime)
        self.t_keys = self.store.table("kms", "keys")
        self.t_aliases = _RememberedRows(self.store.table("kms", "aliases"))
        self.t_grants = self.store.table("kms", "grants")
        self.t_stores = self.store.table("kms", "custom_key_stores")
        #: (scope, key id) → key record, as last read or written.
        self._cache: dict[tuple[str, str], dict[str, Any]] = {}

    def state_replaced(self) -> None:
        self._cache.clear()
        self.t_aliases.forget()

    # -- reading and writing keys ----------------------------------------------------------------

    @staticmethod
    def day_seconds() -> float:
        return tuning(DAY_TUNING)

    def load(self, account: str, region: str, key_id: str) -> dict[str, Any] | None:
        """The key, after what its clock says has happened to it (deletion, rotation)."""
        sc = scope(account, region)
        key = self._cache.get((sc, key_id))
        if key is None:
            key = self.t_keys.get(sc, key_id)
            if key is None:
                return None
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[(sc, key_id)] = key
        if (
            key.get("DeleteAt") is not None
            or key.get("ExpiresAt") is not None
            or key.get("Rotation", {}).get("Next")
        ):
            return self._catch_up(account, region, key)
        return key

    def save(self, account: str, region: str, key: dict[str, Any]) -> None:
        sc = scope(account, region)
        self._cache.pop((sc, key["KeyId"]), None)
        self.t_keys.put(sc, key["KeyId"], key)

    def _catch_up(self, account: str, region: str, key: dict[str, Any]) -> dict[str, Any] | None:
        now = time.time()
        delete_at = key.get("DeleteAt")
        if (
            delete_at is not None
            and now >= delete_at
            and key["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion")
        ):
            with self.store.transaction():
                self.forget_key(account, region, key)
            return None
        expires_at = key.get("ExpiresAt")
        if expires_at is not None and now >= expires_at:
            # Imported key material that expires is deleted then; the key waits for new material.
            key = self.without_material(key)
            with self.store.transaction():
                self.save(account, region, key)
        rotation = key.get("Rotation") or {}
        due = rotation.get("Next")
        if rotation.get("Enabled") and due is not None and now >= due and key["KeyState"] == "Enabled":
            key = dict(key)
            with self.store.transaction():
                self.add_material(key, new_material(key["KeySpec"]), "AUTOMATIC")
                key["Rotation"] = {
                    **rotation,
                    "Next": now + rotation["PeriodInDays"] * self.day_seconds(),
                    "NextDate": datetime.now(UTC) + timedelta(days=rotation["PeriodInDays"]),
                }
                self.save(account, region, key)
                self.sync_replicas(account, region, key)
        return key

    def forget_key(self, account: str, region: str, key: dict[str, Any]) -> None:
        sc = scope(account, region)
        self._cache.pop((sc, key["KeyId"]), None)
        self.t_keys.delete(sc, key["KeyId"])
        for name, alias in list(self.t_aliases.scan(sc)):
            if alias.get("TargetKeyId") == key["KeyId"]:
                self.t_aliases.delete(sc, name)
        for grant_key, _ in list(self.t_grants.scan(sc, prefix=key["KeyId"] + "/")):
            self.t_grants.delete(sc, grant_key)
        if key.get("MultiRegion"):
            self._drop_region(account, region, key)

    def _drop_region(self, account: str, region: str, key: dict[str, Any]) -> None:
        for other in key.get("Regions", []):
            if other == region:
                continue
            peer = self.t_keys.get(scope(account, other), key["KeyId"])
            if peer is not None:
                peer["Regions"] = [r for r in peer.get("Regions", []) if r != region]
                self.save(account, other, peer)

    def add_material(self, key: dict[str, Any], material: bytes, kind: str) -> str:
        entry_id = material_id(material)
        entry = {"Id": entry_id, "Material": material, "Created": datetime.now(UTC), "Type": kind}
        key["Materials"] = [*key.get("Materials", []), entry]
        key["Current"] = entry_id
        return entry_id

    # -- resolving a KeyId -----------------------------------------------------------------------

    def locate(self, account: str, region: str, given: str) -> tuple[str, str, str]:
        """(account, region, key id) that a KeyId names: an id, a key ARN, an alias name or
        an alias ARN. Raises NotFoundException as KMS words it."""
        if given.startswith("arn:"):
            parts = given.split(":", 5)
            if len(parts) != 6 or parts[2] != "kms":
                raise ServiceError("NotFoundException", f"Invalid arn {given}")
            _, _, _, arn_region, arn_account, resource = parts
            if arn_region != region:
                raise ServiceError("NotFoundException", f"Invalid arn {arn_region}")
            if resource.startswith("alias/"):
                return self._alias_target(arn_account, arn_region, resource)
            if not resource.startswith("key/") or not k.KEY_ID.match(resource[4:]):
                raise k.invalid_key_id(given)
            return arn_account, arn_region, resource[4:]
        if given.startswith("alias/"):
            return self._alias_target(account, region, given)
        if not k.KEY_ID.match(given):
            raise k.invalid_key_id(given)
        return account, region, given

    def _alias_target(self, account: str, region: str, alias: str) -> tuple[str, str, str]:
        record = self.t_aliases.get(scope(account, region), alias)
        if record is None and alias in k.MANAGED_ALIASES:
            return account, region, self.managed_key(account, region, alias)
        if record is None or not record.get("TargetKeyId"):
            raise k.alias_not_found(k.alias_arn(region, account, alias))
        return account, region, record["TargetKeyId"]

    def managed_key(self, account: str, region: str, alias: str) -> str:
        """The AWS managed key behind `alias/aws/<service>`, created on its first use."""
        sc = scope(account, region)
        with self.store.transaction():
            record = self.t_aliases.get(sc, alias)
            if record is not None and record.get("TargetKeyId"):
                return str(record["TargetKeyId"])
            service = alias.removeprefix(k.AWS_ALIAS_PREFIX)
            key = self.new_key(
                "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", k.MANAGED_ALIASES[alias], "AWS_KMS",
                k.managed_policy(account, region, service), region, manager="AWS",
            )  # fmt: skip
            key["Rotation"] = {
                "Enabled": True,
                "PeriodInDays": 365,
                "Next": time.time() + 365 * self.day_seconds(),
                "NextDate": datetime.now(UTC) + timedelta(days=365),
            }
            self.save(account, region, key)
            now = datetime.now(UTC)
            self.t_aliases.put(
                sc, alias, {"TargetKeyId": key["KeyId"], "CreationDate": now, "LastUpdatedDate": now}
            )
            return str(key["KeyId"])

    def key_for(
        self, context: RequestContext, given: str, *, any_state: bool = True, aliases: bool = True
    ) -> tuple[str, str, dict[str, Any]]:
        """(account, region, key) a request names, or NotFoundException. With any_state
        False, a key that cannot be used now is refused (DisabledException, KMSInvalidState).
        With aliases False (the operations whose KeyId AWS documents as "key ID or key ARN"),
        an alias name or alias ARN is refused as an invalid key id."""
        if not aliases and (given.startswith("alias/") or ":alias/" in given):
            raise k.invalid_key_id(given)
        account, region, key_id = self.locate(context.account, context.region, given)
        key = self.load(account, region, key_id)
        if key is None:
            raise k.not_found(k.key_arn(region, account, key_id))
        if not any_state:
            self.check_usable(account, region, key)
        return account, region, key

    def check_usable(self, account: str, region: str, key: dict[str, Any]) -> None:
        state = key["KeyState"]
        if state == "Enabled":
            return
        arn = k.key_arn(region, account, key["KeyId"])
        if state == "Disabled":
            raise k.disabled(arn)
        raise k.state_error(key, arn)

    def new_key(
        self,
        key_spec: str,
        usage: str,
        description: str,
        origin: str,
        policy: str,
        region: str,
        *,
        manager: str = "CUSTOMER",
        multi_region: bool = False,
    ) -> dict[str, Any]:
        key_id = f"mrk-{uuid.uuid4().hex}" if multi_region else str(uuid.uuid4())
        key: dict[str, Any] = {
            "KeyId": key_id,
            "CreationDate": datetime.now(UTC),
            "Description": description,
            "KeyUsage": usage,
            "KeySpec": key_spec,
            "Origin": origin,
            "KeyManager": manager,
            "KeyState": "PendingImport" if origin == "EXTERNAL" else "Enabled",
            "MultiRegion": multi_region,
            "Region": region,
            "Policy": policy,
            "Tags": {},
            "Materials": [],
        }
        if multi_region:
            key["PrimaryRegion"] = region
            key["Regions"] = [region]
        if origin == "AWS_KMS":
            self.add_material(key, new_material(key_spec), "CREATED")
        return key

    # -- keys --------------------------------------------------------------------------------------

    def create_key(self, context: RequestContext, params: dict) -> dict:
        key_spec = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
        if params.get("KeySpec") and params.get("CustomerMasterKeySpec"):
            raise ServiceError(
                "ValidationException",
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request.",
            )
        if key_spec in UNSUPPORTED_SPECS:
            raise ServiceError(
                "UnsupportedOperationException", f"KeySpec {key_spec} is not supported in this region."
            )
        spec = SPECS[key_spec]
        usage = params.get("KeyUsage")
        if usage is None:
            if key_spec != "SYMMETRIC_DEFAULT":
                raise ServiceError(
                    "ValidationException",
                    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
                )
            usage = "ENCRYPT_DECRYPT"
        if usage not in spec.usages:
            raise ServiceError(
                "ValidationException", f"KeyUsage {usage} is not compatible with KeySpec {key_spec}"
            )
        origin = params.get("Origin") or "AWS_KMS"
        if origin in ("AWS_CLOUDHSM", "EXTERNAL_KEY_STORE") or params.get("CustomKeyStoreId"):
            raise self.custom_key_store_missing(context, params.get("CustomKeyStoreId"))
        if (
            origin == "EXTERNAL"
            and key_spec != "SYMMETRIC_DEFAULT"
            and not key_spec.startswith(("RSA", "ECC", "HMAC"))
        ):
            raise ServiceError(
                "UnsupportedOperationException", f"KeySpec {key_spec} does not support EXTERNAL origin."
            )
        multi_region = bool(params.get("MultiRegion"))
        if multi_region and origin != "AWS_KMS" and origin != "EXTERNAL":
            raise ServiceError(
                "UnsupportedOperationException", "Multi-Region keys are not supported in custom key stores."
            )
        policy = params.get("Policy") or k.default_policy(context.account, context.region)
        self.check_policy(policy)
        tags = self.check_tags(params.get("Tags"))
        key = self.new_key(
            key_spec,
            usage,
            params.get("Description") or "",
            origin,
            policy,
            context.region,
            multi_region=multi_region,
        )
        key["Tags"] = tags
        with self.store.transaction():
            self.save(context.account, context.region, key)
        return {"KeyMetadata": k.metadata(context.account, context.region, key)}

    def describe_key(self, context: RequestContext, params: dict) -> dict:
        self.check_grant_tokens(params)
        account, region, key = self.key_for(context, params["KeyId"])
        return {"KeyMetadata": k.metadata(account, region, key)}

    def list_keys(self, context: RequestContext, params: dict) -> dict:
        account, region = context.account, context.region
        sc = scope(account, region)

        def scan(after: str | None):
            for key_id, _ in self.t_keys.scan(sc, start_after=after):
                if self.load(account, region, key_id) is not None:
                    yield key_id, key_id

        return paginate_keys(
            self.store, "kms", "ListKeys", params, scan, bad_token=bad_marker, default_limit=100,
            render=lambda key_id, _: {"KeyId": key_id, "KeyArn": k.key_arn(region, account, key_id)},
        )  # fmt: skip

    def _customer_key(self, context: RequestContext, given: str) -> tuple[str, str, dict[str, Any]]:
        """A key the caller manages: AWS managed keys refuse changes."""
        account, region, key = self.key_for(context, given, aliases=False)
        if key["KeyManager"] == "AWS":
            raise ServiceError(
                "UnsupportedOperationException",
                f"{k.key_arn(region, account, key['KeyId'])} is an AWS managed key. You cannot perform this operation on it.",
            )
        return account, region, key

    def enable_key(self, context: RequestContext, params: dict) -> dict:
        account, region, key = self._customer_key(context, params["KeyId"])
        if key["KeyState"] not in ("Enabled", "Disabled"):
            raise k.state_error(key, k.key_arn(region, account, key["KeyId"]))
        with self.store.transaction():
            self.save(account, region, {**key, "KeyState": "Enabled"})
        return {}

    def disable_key(self, context: RequestContext, params: dict) -> dict:
        account, region, key = self._customer_key(context, params["KeyId"])
        if key["KeyState"] not in ("Enabled", "Disabled"):
            raise k.state_error(key, k.key_arn(region, account, key["KeyId"]))
        with self.store.transaction():
            self.save(account, region, {**key, "KeyState": "Disabled"})
        return {}

    def update_key_description(self, context: RequestContext, params: dict) -> dict:
        account, region, key = self._customer_key(context, params["KeyId"])
        if key["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
            raise k.state_error(key, k.key_arn(region, account, key["KeyId"]))
        with self.store.transaction():
            self.save(account, region, {**key, "Description": params["Description"]})
        return {}

    def schedule_key_deletion(self, context: RequestContext, params: dict) -> dict:
        account, region, key = self._customer_key(context, params["KeyId"])
        arn = k.key_arn(region, account, key["KeyId"])
        days = params.get("PendingWindowInDays", 30)
        if not 7 <= days <= 30:
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: "
                "Member must have value less than or equal to 30" if days > 30 else
                f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: "
                "Member must have value greater than or equal to 7",
            )  # fmt: skip
        if key["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
            raise k.state_error(key, arn)
        if (
            key.get("MultiRegion")
            and key.get("Region") == key.get("PrimaryRegion")
            and len(key.get("Regions", [])) > 1
        ):
            state = "PendingReplicaDeletion"
        else:
            state = "PendingDeletion"
        deletion = datetime.now(UTC) + timedelta(days=days)
        updated = {
            **key,
            "KeyState": state,
            "DeletionDate": deletion,
            "PendingDeletionWindowInDays": days,
            "DeleteAt": time.time() + days * self.day_seconds(),
            "StateBeforeDeletion": key["KeyState"],
        }
        with self.store.transaction():
            self.save(account, region, updated)
        out: dict[str, Any] = {
            "KeyId": arn,
            "DeletionDate": deletion,
            "KeyState": state,
            "PendingWindowInDays": days,
        }
        return out

    def cancel_key_deletion(self, context: RequestContext, params: dict) -> dict:
        account, region, key = self._customer_key(context, params["KeyId"])
        arn = k.key_arn(region, account, key["KeyId"])
        if key["KeyState"] not in ("PendingDeletion", "PendingReplicaDeletion"):
            raise k.state_error(key, arn)
        updated = {
            name: value
            for name, value in key.items()
            if name not in ("DeletionDate", "PendingDeletionWindowInDays", "DeleteAt", "StateBeforeDeletion")
        }
        # A key whose deletion is cancelled comes back disabled (PendingImport if it has no material).
        updated["KeyState"] = "Disabled" if key.get("Current") else "PendingImport"
        with self.store.transaction():
            self.save(account, region, updated)
        return {"KeyId": arn}

    def get_key_last_usage(self, context: RequestContext, params: dict) -> dict:
        account, region, key = self.key_for(context, params["KeyId"])
        out: dict[str, Any] = {
            "KeyId": k.key_arn(region, account, key["KeyId"]),
            "KeyCreationDate": key["CreationDate"],
            "TrackingStartDate": key["CreationDate"],
        }
        if key.get("LastUsage"):
            out["KeyLastUsage"] = key["LastUsage"]
        return out

    # -- IAM enforcement -------------------------------------------------------------------------

    def resource_policy(self, arn: str) -> str | None:
        """The key policy, for IAM's evaluation of requests on the key."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("key/") or not parts[3] or not parts[4]:
            return None
        key = self.load(parts[4], parts[3], parts[5][4:])
        return key.get("Policy") if key is not None else None

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        parts = arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("key/") or not parts[3] or not parts[4]:
            return None
        key = self.load(parts[4], parts[3], parts[5][4:])
        return dict(key.get("Tags") or {}) if key is not None else None
