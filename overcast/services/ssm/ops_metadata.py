"""OpsMetadata (Create/Get/Update/Delete/ListOpsMetadata): key-value metadata attached to a
resource id (Application Manager's `/aws/ssm/<app>/appmanager`, ...), named by an ARN
built from that id."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from overcast.common.arns import build_arn
from overcast.common.pagination import decode_token, encode_token
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import records

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

_RESOURCE_ID = re.compile(r"^/?[a-zA-Z0-9\-_./]+$")
#: AWS's limit on the metadata keys of one OpsMetadata object.
KEY_LIMIT = 5
_LIST_FILTERS = ("ResourceId",)
_LISTED = ("ResourceId", "OpsMetadataArn", "LastModifiedDate", "LastModifiedUser", "CreationDate")


def _invalid(message: str) -> ServiceError:
    return ServiceError("OpsMetadataInvalidArgumentException", message)


def _missing(arn: str) -> ServiceError:
    return ServiceError("OpsMetadataNotFoundException", f"OpsMetadata object {arn} does not exist.")


def _key_of(arn: str) -> str:
    """The stored key (the resource id without its leading slash) an OpsMetadata ARN names."""
    return arn.split(":opsmetadata/", 1)[-1]


def _check_keys(metadata: dict[str, Any]) -> None:
    if len(metadata) > KEY_LIMIT:
        raise ServiceError(
            "OpsMetadataKeyLimitExceededException",
            f"An OpsMetadata object can have at most {KEY_LIMIT} metadata keys.",
        )


class OpsMetadataMixin:
    def create_ops_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        resource_id = params["ResourceId"]
        if not _RESOURCE_ID.match(resource_id):
            raise _invalid(f"ResourceId {resource_id} is not valid.")
        metadata = params.get("Metadata") or {}
        _check_keys(metadata)
        key = resource_id.lstrip("/")
        arn = build_arn("ssm", context.region, context.account, f"opsmetadata/{key}")
        where, now = self._scope(context), time.time()
        tags = self._checked_tags(params.get("Tags"))
        with self.store.transaction():
            if self.ops_metadata.get(where, key) is not None:
                raise ServiceError(
                    "OpsMetadataAlreadyExistsException",
                    f"OpsMetadata object for {resource_id} already exists.",
                )
            self.ops_metadata.put(
                where, key,
                {"ResourceId": resource_id, "OpsMetadataArn": arn, "Metadata": metadata, "CreationDate": now,
                 "LastModifiedDate": now, "LastModifiedUser": context.principal_arn, "tags": tags},
            )  # fmt: skip
        return {"OpsMetadataArn": arn}

    def _ops_metadata_record(self: Provider, context: RequestContext, arn: str) -> dict[str, Any]:  # type: ignore[misc]
        record = self.ops_metadata.get(self._scope(context), _key_of(arn))
        if record is None:
            raise _missing(arn)
        return record

    def get_ops_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self._ops_metadata_record(context, params["OpsMetadataArn"])
        keys = sorted(record["Metadata"])
        start = 0
        if params.get("NextToken"):
            try:
                start = int(
                    decode_token(self.store, "GetOpsMetadata", params["NextToken"], record["OpsMetadataArn"])
                )
            except (ValueError, TypeError):
                raise _invalid("The NextToken is not valid.") from None
        end = start + (params.get("MaxResults") or 10)
        out: dict[str, Any] = {
            "ResourceId": record["ResourceId"],
            "Metadata": {k: record["Metadata"][k] for k in keys[start:end]},
        }
        if end < len(keys):
            out["NextToken"] = encode_token(self.store, "GetOpsMetadata", end, record["OpsMetadataArn"])
        return out

    def update_ops_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            record = self._ops_metadata_record(context, params["OpsMetadataArn"])
            metadata = dict(record["Metadata"])
            missing = [k for k in params.get("KeysToDelete") or () if k not in metadata]
            if missing:
                raise _invalid(f"Metadata keys {', '.join(missing)} do not exist.")
            metadata.update(params.get("MetadataToUpdate") or {})
            for key in params.get("KeysToDelete") or ():
                metadata.pop(key, None)
            _check_keys(metadata)
            record.update(
                Metadata=metadata, LastModifiedDate=time.time(), LastModifiedUser=context.principal_arn
            )
            self.ops_metadata.put(self._scope(context), _key_of(record["OpsMetadataArn"]), record)
        return {"OpsMetadataArn": record["OpsMetadataArn"]}

    def delete_ops_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            self._ops_metadata_record(context, params["OpsMetadataArn"])
            self.ops_metadata.delete(self._scope(context), _key_of(params["OpsMetadataArn"]))
        return {}

    def list_ops_metadata(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        filters = params.get("Filters") or []
        for given in filters:
            if given["Key"] not in _LIST_FILTERS:
                raise _invalid(
                    f"Filter key {given['Key']} is not valid. Valid keys: {', '.join(_LIST_FILTERS)}."
                )
        found = [
            {k: record[k] for k in _LISTED}
            for _, record in self.ops_metadata.scan(self._scope(context))
            if all(record["ResourceId"] in f["Values"] for f in filters)
        ]
        return records.page(self.store, "ListOpsMetadata", params, found)
