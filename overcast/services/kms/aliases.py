"""KMS aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases. `alias/aws/` is AWS's own:
its names are listed in every account (with a target once the managed key exists) and refused
to customers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.kms import keys as k
from overcast.store import scope

if TYPE_CHECKING:
    from overcast.services.kms.provider import Provider


def _check_prefix(name: str) -> None:
    """CreateAlias, UpdateAlias and DeleteAlias all document AliasName as `alias/` followed by
    the name; without the prefix the name is invalid input, not an unknown alias."""
    if not name.startswith("alias/"):
        raise ServiceError("ValidationException", 'Alias must start with the prefix "alias/". Please see '
                           "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")  # fmt: skip


def _check_name(name: str) -> None:
    _check_prefix(name)
    if name.startswith(k.AWS_ALIAS_PREFIX):
        # AWS refuses the reserved prefix as an authorization failure, with an empty message.
        raise ServiceError("NotAuthorizedException", "")
    if not k.ALIAS_NAME.match(name):
        raise ServiceError(
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'aliasName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        )


class AliasOperations:
    def _alias_target_key(self: Provider, context: RequestContext, target: str) -> dict[str, Any]:  # type: ignore[misc]
        if target.startswith("alias/") or (target.startswith("arn:") and ":alias/" in target):
            raise ServiceError("ValidationException", "Aliases must refer to keys. Not aliases")
        account, region, key = self.key_for(context, target, aliases=False)
        if (account, region) != (context.account, context.region):
            raise k.not_found(k.key_arn(region, account, key["KeyId"]))
        if key["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
            raise k.state_error(key, k.key_arn(region, account, key["KeyId"]))
        if key["KeyManager"] == "AWS":
            raise ServiceError("NotFoundException", "Alias target key is an AWS managed key.")
        return key

    def create_alias(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["AliasName"]
        _check_name(name)
        key = self._alias_target_key(context, params["TargetKeyId"])
        sc = scope(context.account, context.region)
        with self.store.transaction():
            if self.t_aliases.get(sc, name) is not None:
                raise ServiceError(
                    "AlreadyExistsException",
                    f"An alias with the name {k.alias_arn(context.region, context.account, name)} already exists",
                )
            now = datetime.now(UTC)
            self.t_aliases.put(
                sc, name, {"TargetKeyId": key["KeyId"], "CreationDate": now, "LastUpdatedDate": now}
            )
        return {}

    def update_alias(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["AliasName"]
        _check_prefix(name)
        if name.startswith(k.AWS_ALIAS_PREFIX):
            raise ServiceError("InvalidAliasNameException", "Cannot update alias with prefix 'alias/aws/'")
        sc = scope(context.account, context.region)
        with self.store.transaction():
            record = self.t_aliases.get(sc, name)
            if record is None:
                raise k.alias_not_found(k.alias_arn(context.region, context.account, name))
            key = self._alias_target_key(context, params["TargetKeyId"])
            _, _, old = self.key_for(context, record["TargetKeyId"])
            if (old["KeySpec"], old["KeyUsage"]) != (key["KeySpec"], key["KeyUsage"]):
                raise ServiceError(
                    "ValidationException",
                    "The new target key must have the same key spec and key usage as the current target key.",
                )
            record.update(TargetKeyId=key["KeyId"], LastUpdatedDate=datetime.now(UTC))
            self.t_aliases.put(sc, name, record)
        return {}

    def delete_alias(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params["AliasName"]
        _check_prefix(name)
        if name.startswith(k.AWS_ALIAS_PREFIX):
            raise ServiceError("InvalidAliasNameException", "Cannot delete alias with prefix 'alias/aws/'")
        sc = scope(context.account, context.region)
        with self.store.transaction():
            if not self.t_aliases.delete(sc, name):
                raise k.alias_not_found(k.alias_arn(context.region, context.account, name))
        return {}

    def list_aliases(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region = context.account, context.region
        sc = scope(account, region)
        wanted = None
        if params.get("KeyId"):
            _, _, key = self.key_for(context, params["KeyId"], aliases=False)
            wanted = key["KeyId"]
        stored = dict(self.t_aliases.scan(sc))
        entries: list[dict[str, Any]] = []
        for name in sorted(set(stored) | (set() if wanted else set(k.MANAGED_ALIASES))):
            record = stored.get(name)
            if record is not None and self.load(account, region, record["TargetKeyId"]) is None:
                continue  # its key is gone
            if wanted is not None and (record is None or record["TargetKeyId"] != wanted):
                continue
            entry: dict[str, Any] = {"AliasName": name, "AliasArn": k.alias_arn(region, account, name)}
            if record is not None:
                entry.update(
                    TargetKeyId=record["TargetKeyId"],
                    CreationDate=record["CreationDate"],
                    LastUpdatedDate=record["LastUpdatedDate"],
                )
            entries.append(entry)
        return paginate_list(
            self.store, "kms", "ListAliases", params, entries, bad_token=_bad_marker, default_limit=100,
            bind=f"{sc}/{wanted or ''}",
        )  # fmt: skip


def _bad_marker() -> ServiceError:
    return ServiceError("InvalidMarkerException", "Invalid marker")
