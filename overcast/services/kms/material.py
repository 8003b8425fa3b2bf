"""Key material over a key's life: rotation (automatic and on demand), imported key material,
multi-Region replicas, and custom key stores.

Custom key stores: there is no CloudHSM here, so a CloudHSM key store is refused as AWS refuses
a cluster it cannot find. An external key store's configuration is kept; connecting it tries
its proxy's endpoint, which never speaks the XKS API here, so the store ends FAILED with the
connection error AWS reports for that case.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding

from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.kms import crypto
from overcast.services.kms import keys as k
from overcast.store import scope

if TYPE_CHECKING:
    from overcast.services.kms.provider import Provider

MAX_ON_DEMAND_ROTATIONS = 10
IMPORT_TOKEN_HOURS = 24
ROTATION_DAYS = (90, 2560)


def _unsupported(message: str) -> ServiceError:
    return ServiceError("UnsupportedOperationException", message)


def _bad_marker() -> ServiceError:
    return ServiceError("InvalidMarkerException", "Invalid marker")


def _unwrap(private_der: bytes, algorithm: str, wrapped: bytes) -> bytes:
    private = crypto.load_private(private_der)
    modulus_bytes = private.key_size // 8
    digest: hashes.HashAlgorithm = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    try:
        if algorithm.startswith("RSA_AES_KEY_WRAP"):
            aes_key = private.decrypt(wrapped[:modulus_bytes], oaep)
            return aes_key_unwrap_with_padding(aes_key, wrapped[modulus_bytes:])
        if algorithm == "RSAES_PKCS1_V1_5":
            return bytes(private.decrypt(wrapped, padding.PKCS1v15()))
        return bytes(private.decrypt(wrapped, oaep))
    except (ValueError, InvalidUnwrap):
        raise ServiceError("InvalidCiphertextException", "") from None


def _valid_material(key_spec: str, material: bytes) -> bool:
    if key_spec == "SYMMETRIC_DEFAULT":
        return len(material) == 32
    if key_spec.startswith("HMAC_"):
        return len(material) == crypto.SPECS[key_spec].size
    try:
        private = crypto.load_private(material)
        crypto.public_der(material)
    except (ValueError, TypeError):
        return False
    return bool(private)


class MaterialOperations:
    # -- rotation ----------------------------------------------------------------------------------

    def _rotatable(  # type: ignore[misc]
        self: Provider, context: RequestContext, given: str, on_demand: bool = False
    ) -> tuple[str, str, dict[str, Any], str]:
        account, region, key = self._customer_key(context, given)
        arn = k.key_arn(region, account, key["KeyId"])
        self.check_usable(account, region, key)
        if key["KeySpec"] != "SYMMETRIC_DEFAULT":
            # AWS words this refusal on RotateKeyOnDemand not at all.
            raise _unsupported(
                ""
                if on_demand
                else f"{arn} key spec is {key['KeySpec']} which is not valid for this operation."
            )
        if key["Origin"] != "AWS_KMS" and not (on_demand and key["Origin"] == "EXTERNAL"):
            raise _unsupported(f"{arn} origin is {key['Origin']} which is not valid for this operation.")
        if key.get("MultiRegion") and key.get("Region") != key.get("PrimaryRegion"):
            raise _unsupported(f"{arn} is not a multi-region primary key.")
        return account, region, key, arn

    def enable_key_rotation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key, _ = self._rotatable(context, params["KeyId"])
        days = params.get("RotationPeriodInDays", 365)
        if not ROTATION_DAYS[0] <= days <= ROTATION_DAYS[1]:
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{days}' at 'rotationPeriodInDays' failed to satisfy constraint: "
                f"Member must have value {'greater than or equal to 90' if days < 90 else 'less than or equal to 2560'}",
            )
        now = time.time()
        rotation = {
            "Enabled": True,
            "PeriodInDays": days,
            "Next": now + days * self.day_seconds(),
            "NextDate": datetime.fromtimestamp(now, UTC) + timedelta(days=days),
        }
        with self.store.transaction():
            self.save(account, region, {**key, "Rotation": rotation})
        return {}

    def disable_key_rotation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key, _ = self._rotatable(context, params["KeyId"])
        rotation = {**(key.get("Rotation") or {}), "Enabled": False, "Next": None}
        with self.store.transaction():
            self.save(account, region, {**key, "Rotation": rotation})
        return {}

    def get_key_rotation_status(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key = self.key_for(context, params["KeyId"], aliases=False)
        arn = k.key_arn(region, account, key["KeyId"])
        if key["KeySpec"] != "SYMMETRIC_DEFAULT":
            raise _unsupported(f"{arn} key spec is {key['KeySpec']} which is not valid for this operation.")
        rotation = key.get("Rotation") or {}
        out: dict[str, Any] = {"KeyRotationEnabled": bool(rotation.get("Enabled")), "KeyId": arn}
        if rotation.get("Enabled"):
            out["RotationPeriodInDays"] = rotation["PeriodInDays"]
            out["NextRotationDate"] = rotation["NextDate"]
        return out

    def rotate_key_on_demand(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key, arn = self._rotatable(context, params["KeyId"], on_demand=True)
        if key["Origin"] == "EXTERNAL":
            return self._rotate_to_pending_material(account, region, key, arn)
        done = sum(1 for entry in key.get("Materials", []) if entry["Type"] == "ON_DEMAND")
        if done >= MAX_ON_DEMAND_ROTATIONS:
            raise ServiceError(
                "LimitExceededException",
                "The on-demand rotations limit has been reached for the given keyId. "
                f"No more on-demand rotations can be performed for this key: {arn}",
            )
        key = dict(key)
        with self.store.transaction():
            self.add_material(key, crypto.new_material("SYMMETRIC_DEFAULT"), "ON_DEMAND")
            self.save(account, region, key)
            self.sync_replicas(account, region, key)
        return {"KeyId": arn}

    def _rotate_to_pending_material(  # type: ignore[misc]
        self: Provider, account: str, region: str, key: dict[str, Any], arn: str
    ) -> dict:
        """An imported key rotates on demand to the material imported as NEW_KEY_MATERIAL."""
        pending = key.get("PendingMaterial")
        if not pending:
            raise k.invalid_state(f"No available key material pending rotation for the key: {arn}.")
        materials = [
            {**entry, "Type": "ON_DEMAND", "Created": datetime.now(UTC)} if entry["Id"] == pending else entry
            for entry in key["Materials"]
        ]
        updated = {**key, "Materials": materials, "Current": pending, "PendingMaterial": None}
        with self.store.transaction():
            self.save(account, region, updated)
        return {"KeyId": arn}

    def list_key_rotations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key = self.key_for(context, params["KeyId"], aliases=False)
        arn = k.key_arn(region, account, key["KeyId"])
        if key["KeySpec"] != "SYMMETRIC_DEFAULT":
            raise _unsupported(f"{arn} key spec is {key['KeySpec']} which is not valid for this operation.")
        include_all = params.get("IncludeKeyMaterial") == "ALL_KEY_MATERIAL"
        rotations = []
        for entry in key.get("Materials", []):
            if entry["Type"] in ("CREATED", "IMPORTED") and not include_all:
                continue
            item: dict[str, Any] = {"KeyId": key["KeyId"], "KeyMaterialId": entry["Id"],
                                    "KeyMaterialState": "CURRENT" if entry["Id"] == key.get("Current") else "NON_CURRENT"}  # fmt: skip
            if entry["Type"] in ("AUTOMATIC", "ON_DEMAND"):
                item.update(RotationDate=entry["Created"], RotationType=entry["Type"])
            rotations.append(item)
        return paginate_list(self.store, "kms", "ListKeyRotations", params, rotations, bad_token=_bad_marker,
                             default_limit=100, bind=key["KeyId"])  # fmt: skip

    # -- imported key material ------------------------------------------------------------------------

    def _external(  # type: ignore[misc]
        self: Provider, context: RequestContext, given: str
    ) -> tuple[str, str, dict[str, Any], str]:
        account, region, key = self._customer_key(context, given)
        arn = k.key_arn(region, account, key["KeyId"])
        if key["Origin"] != "EXTERNAL":
            raise _unsupported(f"{arn} origin is {key['Origin']} which is not valid for this operation.")
        if key["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion", "Unavailable"):
            raise k.state_error(key, arn)
        return account, region, key, arn

    def get_parameters_for_import(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key, arn = self._external(context, params["KeyId"])
        spec = params["WrappingKeySpec"]
        algorithm = params["WrappingAlgorithm"]
        if spec == "SM2" or algorithm == "SM2PKE":
            raise _unsupported("SM2 wrapping keys are supported only in China Regions.")
        if algorithm == "RSAES_PKCS1_V1_5":
            raise _unsupported("The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported.")
        wrapping = crypto.new_material(spec)
        token = os.urandom(16) + key["KeyId"].encode()
        valid_to = datetime.now(UTC) + timedelta(hours=IMPORT_TOKEN_HOURS)
        pending = {"Token": token, "WrappingKey": wrapping, "Algorithm": algorithm, "ValidTo": valid_to}
        with self.store.transaction():
            self.save(account, region, {**key, "Import": pending})
        return {
            "KeyId": arn,
            "ImportToken": token,
            "PublicKey": crypto.public_der(wrapping),
            "ParametersValidTo": valid_to,
        }

    def import_key_material(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key, arn = self._external(context, params["KeyId"])
        pending = key.get("Import")
        token = params["ImportToken"]
        if pending is None or token != pending["Token"]:
            raise ServiceError("InvalidImportTokenException", "Import token is invalid.")
        if pending["ValidTo"] < datetime.now(UTC):
            raise ServiceError("ExpiredImportTokenException", "Import token has expired.")
        # AWS's default: the material expires, so a request without ValidTo must say it does not.
        model = params.get("ExpirationModel") or "KEY_MATERIAL_EXPIRES"
        valid_to = params.get("ValidTo")
        if model == "KEY_MATERIAL_EXPIRES" and valid_to is None:
            raise ServiceError(
                "ValidationException",
                "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
            )
        if model == "KEY_MATERIAL_DOES_NOT_EXPIRE" and valid_to is not None:
            raise ServiceError(
                "ValidationException",
                "A validTo date cannot be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
            )
        if valid_to is not None and valid_to.timestamp() <= time.time():
            raise ServiceError("ValidationException", "The ValidTo date must be in the future.")
        material = _unwrap(pending["WrappingKey"], pending["Algorithm"], params["EncryptedKeyMaterial"])
        if not _valid_material(key["KeySpec"], material):
            raise ServiceError("IncorrectKeyMaterialException", "The key material is not valid for this key.")
        new_id = crypto.material_id(material)
        seen = key.get("MaterialIdsSeen") or []
        if params.get("ImportType") == "NEW_KEY_MATERIAL" and key.get("Current") and new_id not in seen:
            return self._import_pending(account, region, key, arn, new_id, material, seen)
        if seen and new_id not in seen and params.get("ImportType") != "NEW_KEY_MATERIAL":
            raise ServiceError("IncorrectKeyMaterialException", "The key material does not match the key material "
                               f"previously imported into {arn}.")  # fmt: skip
        updated = {name: value for name, value in key.items() if name != "Import"}
        if k.material_by_id(updated, new_id) is None:
            updated["Materials"] = [*updated.get("Materials", []), {"Id": new_id, "Material": material,
                                    "Created": datetime.now(UTC), "Type": "IMPORTED"}]  # fmt: skip
        updated.update(
            Current=new_id,
            MaterialIdsSeen=sorted({*seen, new_id}),
            ExpirationModel=model,
            ValidTo=valid_to,
            ExpiresAt=valid_to.timestamp() if valid_to is not None else None,
        )
        if key["KeyState"] == "PendingImport":
            updated["KeyState"] = "Enabled"
        with self.store.transaction():
            self.save(account, region, updated)
        return {"KeyId": arn, "KeyMaterialId": new_id}

    def _import_pending(  # type: ignore[misc]
        self: Provider, account: str, region: str, key: dict[str, Any], arn: str, new_id: str, material: bytes,
        seen: list[str],
    ) -> dict:  # fmt: skip
        """New key material for a key that has some: it waits for RotateKeyOnDemand."""
        if key.get("PendingMaterial"):
            raise k.invalid_state(
                f"New key material (id: {new_id}) cannot be imported into KMS key {key['KeyId']}, because another "
                f"key material (id: {key['PendingMaterial']}) is pending rotation."
            )
        entry = {"Id": new_id, "Material": material, "Created": datetime.now(UTC), "Type": "IMPORTED"}
        updated = {name: value for name, value in key.items() if name != "Import"}
        updated.update(
            Materials=[*key["Materials"], entry],
            PendingMaterial=new_id,
            MaterialIdsSeen=sorted({*seen, new_id}),
        )
        with self.store.transaction():
            self.save(account, region, updated)
        return {"KeyId": arn, "KeyMaterialId": new_id}

    def delete_imported_key_material(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key, arn = self._external(context, params["KeyId"])
        with self.store.transaction():
            self.save(account, region, self.without_material(key))
        return {"KeyId": arn, **({"KeyMaterialId": key["Current"]} if key.get("Current") else {})}

    @staticmethod
    def without_material(key: dict[str, Any]) -> dict[str, Any]:
        updated = {
            name: value
            for name, value in key.items()
            if name not in ("ValidTo", "ExpiresAt", "ExpirationModel")
        }
        updated.update(Materials=[], Current=None)
        if key["KeyState"] in ("Enabled", "Disabled"):
            updated["KeyState"] = "PendingImport"
        return updated

    # -- multi-Region keys ---------------------------------------------------------------------------

    def sync_replicas(self: Provider, account: str, region: str, key: dict[str, Any]) -> None:  # type: ignore[misc]
        """Give every replica of a multi-Region key the primary's key material."""
        if not key.get("MultiRegion"):
            return
        for other in key.get("Regions", []):
            if other == region:
                continue
            peer = self.t_keys.get(scope(account, other), key["KeyId"])
            if peer is not None:
                self.save(account, other, {**peer, "Materials": key["Materials"], "Current": key["Current"]})

    def replicate_key(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key = self._customer_key(context, params["KeyId"])
        arn = k.key_arn(region, account, key["KeyId"])
        if not key.get("MultiRegion") or key.get("Region") != key.get("PrimaryRegion"):
            raise _unsupported(f"{arn} is not a multi-region primary key.")
        replica_region = params["ReplicaRegion"]
        if replica_region == region:
            raise ServiceError(
                "ValidationException", f"Invalid replica region {replica_region}: it is the primary's region."
            )
        if key["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
            raise k.state_error(key, arn)
        policy = params.get("Policy") or k.default_policy(account, replica_region)
        self.check_policy(policy)
        tags = self.check_tags(params.get("Tags"))
        with self.store.transaction():
            if self.t_keys.get(scope(account, replica_region), key["KeyId"]) is not None:
                raise ServiceError(
                    "AlreadyExistsException",
                    f"Replica key {k.key_arn(replica_region, account, key['KeyId'])} already exists.",
                )
            regions = [*key.get("Regions", [region]), replica_region]
            replica = {
                **{
                    name: value
                    for name, value in key.items()
                    if name not in ("Rotation", "Import", "Tags", "DeleteAt")
                },
                "Region": replica_region,
                # A replica has its own description (none by default), policy and tags.
                "Description": params.get("Description", ""),
                "Policy": policy,
                "Tags": tags,
                "CreationDate": datetime.now(UTC),
                "Regions": regions,
            }
            self.save(account, replica_region, replica)
            for other in regions:
                if other == replica_region:
                    continue
                peer = self.t_keys.get(scope(account, other), key["KeyId"])
                if peer is not None:
                    self.save(account, other, {**peer, "Regions": regions})
        return {
            "ReplicaKeyMetadata": k.metadata(account, replica_region, replica),
            "ReplicaPolicy": policy,
        } | (
            {"ReplicaTags": [{"TagKey": name, "TagValue": value} for name, value in tags.items()]}
            if tags
            else {}
        )

    def update_primary_region(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key = self._customer_key(context, params["KeyId"])
        arn = k.key_arn(region, account, key["KeyId"])
        if not key.get("MultiRegion"):
            raise _unsupported(f"{arn} is not a multi-region key.")
        if key.get("Region") != key.get("PrimaryRegion"):
            raise _unsupported(f"{arn} is not a multi-region primary key.")
        target = params["PrimaryRegion"]
        if target not in key.get("Regions", []):
            raise k.not_found(k.key_arn(target, account, key["KeyId"]))
        with self.store.transaction():
            for other in key.get("Regions", []):
                peer = self.t_keys.get(scope(account, other), key["KeyId"])
                if peer is not None:
                    self.save(account, other, {**peer, "PrimaryRegion": target})
        return {}

    # -- custom key stores ---------------------------------------------------------------------------

    def custom_key_store_missing(  # type: ignore[misc]
        self: Provider, context: RequestContext, store_id: str | None
    ) -> ServiceError:
        """The error for a key to create in a custom key store: none here can hold keys."""
        if not store_id:
            return ServiceError("ValidationException", "CustomKeyStoreId is required for this Origin.")
        record = self.t_stores.get(scope(context.account, context.region), store_id)
        if record is None:
            return ServiceError(
                "CustomKeyStoreNotFoundException", f"Custom key store {store_id} does not exist."
            )
        return ServiceError(
            "CustomKeyStoreInvalidStateException",
            f"Custom key store {store_id} is {record['ConnectionState']}: it must be CONNECTED.",
        )

    def _store(self: Provider, context: RequestContext, store_id: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.t_stores.get(scope(context.account, context.region), store_id)
        if record is None:
            raise ServiceError(
                "CustomKeyStoreNotFoundException", f"Custom key store {store_id} does not exist."
            )
        return dict(record)

    def create_custom_key_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        kind = params.get("CustomKeyStoreType") or "AWS_CLOUDHSM"
        if kind == "AWS_CLOUDHSM":
            cluster = params.get("CloudHsmClusterId")
            if not cluster:
                raise ServiceError(
                    "ValidationException", "CloudHsmClusterId is required for an AWS_CLOUDHSM key store."
                )
            raise ServiceError(
                "CloudHsmClusterNotFoundException", f"Cannot find CloudHSM cluster with ID {cluster}."
            )
        for field in (
            "XksProxyUriEndpoint",
            "XksProxyUriPath",
            "XksProxyAuthenticationCredential",
            "XksProxyConnectivity",
        ):
            if not params.get(field):
                raise ServiceError(
                    "ValidationException", f"{field} is required for an EXTERNAL_KEY_STORE key store."
                )
        if params["XksProxyConnectivity"] == "VPC_ENDPOINT_SERVICE":
            raise ServiceError(
                "XksProxyVpcEndpointServiceNotFoundException",
                f"Cannot find VPC endpoint service {params.get('XksProxyVpcEndpointServiceName')}.",
            )
        sc = scope(context.account, context.region)
        name = params["CustomKeyStoreName"]
        with self.store.transaction():
            for _, existing in self.t_stores.scan(sc):
                if existing["CustomKeyStoreName"] == name:
                    raise ServiceError(
                        "CustomKeyStoreNameInUseException", f"Custom key store name {name} is in use."
                    )
                if (existing.get("XksProxyUriEndpoint"), existing.get("XksProxyUriPath")) == (
                    params["XksProxyUriEndpoint"], params["XksProxyUriPath"]
                ):  # fmt: skip
                    raise ServiceError(
                        "XksProxyUriInUseException", "The XKS proxy URI is in use by another key store."
                    )
            store_id = f"cks-{uuid.uuid4().hex[:17]}"
            self.t_stores.put(sc, store_id, {
                "CustomKeyStoreId": store_id,
                "CustomKeyStoreName": name,
                "CustomKeyStoreType": kind,
                "ConnectionState": "DISCONNECTED",
                "CreationDate": datetime.now(UTC),
                "XksProxyUriEndpoint": params["XksProxyUriEndpoint"],
                "XksProxyUriPath": params["XksProxyUriPath"],
                "XksProxyConnectivity": params["XksProxyConnectivity"],
                "AccessKeyId": params["XksProxyAuthenticationCredential"]["AccessKeyId"],
            })  # fmt: skip
        return {"CustomKeyStoreId": store_id}

    def describe_custom_key_stores(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        stores = [record for _, record in self.t_stores.scan(scope(context.account, context.region))]
        if params.get("CustomKeyStoreId"):
            stores = [record for record in stores if record["CustomKeyStoreId"] == params["CustomKeyStoreId"]]
            if not stores:
                raise ServiceError(
                    "CustomKeyStoreNotFoundException",
                    f"Custom key store {params['CustomKeyStoreId']} does not exist.",
                )
        if params.get("CustomKeyStoreName"):
            stores = [
                record for record in stores if record["CustomKeyStoreName"] == params["CustomKeyStoreName"]
            ]
            if not stores:
                raise ServiceError(
                    "CustomKeyStoreNotFoundException",
                    f"Custom key store {params['CustomKeyStoreName']} does not exist.",
                )
        return paginate_list(self.store, "kms", "DescribeCustomKeyStores", params, stores, bad_token=_bad_marker,
                             default_limit=100, render=_store_entry)  # fmt: skip

    def update_custom_key_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._store(context, params["CustomKeyStoreId"])
        if params.get("CloudHsmClusterId") or params.get("KeyStorePassword"):
            raise ServiceError(
                "ValidationException", "These parameters are valid only for AWS_CLOUDHSM key stores."
            )
        if record["ConnectionState"] != "DISCONNECTED" and any(
            params.get(field) for field in ("XksProxyUriEndpoint", "XksProxyUriPath", "XksProxyConnectivity")
        ):
            raise ServiceError(
                "CustomKeyStoreInvalidStateException", "The custom key store must be disconnected."
            )
        for field, stored in (("NewCustomKeyStoreName", "CustomKeyStoreName"), ("XksProxyUriEndpoint", None),
                              ("XksProxyUriPath", None), ("XksProxyConnectivity", None)):  # fmt: skip
            if params.get(field):
                record[stored or field] = params[field]
        if params.get("XksProxyAuthenticationCredential"):
            record["AccessKeyId"] = params["XksProxyAuthenticationCredential"]["AccessKeyId"]
        with self.store.transaction():
            self.t_stores.put(scope(context.account, context.region), record["CustomKeyStoreId"], record)
        return {}

    def delete_custom_key_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._store(context, params["CustomKeyStoreId"])
        if record["ConnectionState"] not in ("DISCONNECTED", "FAILED"):
            raise ServiceError(
                "CustomKeyStoreInvalidStateException", "The custom key store must be disconnected."
            )
        with self.store.transaction():
            self.t_stores.delete(scope(context.account, context.region), record["CustomKeyStoreId"])
        return {}

    def connect_custom_key_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._store(context, params["CustomKeyStoreId"])
        if record["ConnectionState"] == "CONNECTED":
            return {}
        reachable = _reachable(record["XksProxyUriEndpoint"])
        record.update(
            ConnectionState="FAILED",
            ConnectionErrorCode="XKS_PROXY_INVALID_RESPONSE" if reachable else "XKS_PROXY_NOT_REACHABLE",
        )
        with self.store.transaction():
            self.t_stores.put(scope(context.account, context.region), record["CustomKeyStoreId"], record)
        return {}

    def disconnect_custom_key_store(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._store(context, params["CustomKeyStoreId"])
        record["ConnectionState"] = "DISCONNECTED"
        record.pop("ConnectionErrorCode", None)
        with self.store.transaction():
            self.t_stores.put(scope(context.account, context.region), record["CustomKeyStoreId"], record)
        return {}


def _reachable(endpoint: str) -> bool:
    parsed = urlparse(endpoint)
    if not parsed.hostname:
        return False
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 443), timeout=2):
            return True
    except OSError:
        return False


def _store_entry(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: record[name]
        for name in (
            "CustomKeyStoreId",
            "CustomKeyStoreName",
            "CustomKeyStoreType",
            "ConnectionState",
            "CreationDate",
        )
    }
    if record.get("ConnectionErrorCode"):
        out["ConnectionErrorCode"] = record["ConnectionErrorCode"]
    out["XksProxyConfiguration"] = {
        "Connectivity": record["XksProxyConnectivity"],
        "AccessKeyId": record["AccessKeyId"],
        "UriEndpoint": record["XksProxyUriEndpoint"],
        "UriPath": record["XksProxyUriPath"],
    }
    return out
