"""Secrets Manager: secrets with versions and staging labels, resource policies, tags,
replication to other regions (replication.py) and rotation that runs a Lambda function's
four steps (rotation.py).

One row per secret (table "secrets", keyed by name), holding its versions: a secret's
versions are read and changed together, and AWS keeps at most about a hundred of them."""

from __future__ import annotations

import re
import secrets as random_source
import string
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from overcast import config
from overcast.common import tagging
from overcast.common.arns import build_arn, parse_arn
from overcast.common.pagination import decode_token, encode_token, paginate_list
from overcast.context import RequestContext
from overcast.services.base import BaseProvider
from overcast.services.secretsmanager import errors
from overcast.services.secretsmanager.crypt import CryptMixin, has_value
from overcast.services.secretsmanager.filters import check_filters, matches_filters
from overcast.services.secretsmanager.passwords import random_password
from overcast.services.secretsmanager.policies import PolicyMixin
from overcast.services.secretsmanager.replication import ReplicationMixin
from overcast.services.secretsmanager.rotation import RotationMixin
from overcast.store import scope as store_scope

CURRENT, PREVIOUS, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"
_NAME = re.compile(r"^[A-Za-z0-9/_+=.@!-]+$")
_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
#: How many versions AWS keeps; the oldest ones without a label go first.
MAX_VERSIONS = 100
TAG_RULES = tagging.TagRules(
    refuse=tagging.refusals(
        "ValidationException",
        {
            tagging.TagProblem.TOO_MANY: (
                "InvalidRequestException",
                "The request failed because it would exceed the maximum number of tags (50).",
            )
        },
    ),
    max_tags=50,
)


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise errors.validation(
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
        )


def require_token(params: dict) -> None:
    """The SDKs and the CLI fill ClientRequestToken in; a request without one is refused."""
    if not params.get("ClientRequestToken"):
        raise errors.invalid_request(
            "You must provide a ClientRequestToken value. We recommend a UUID-type value."
        )


def when(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def day_seconds() -> float:
    return config.tuning("OVERCAST_SECRETSMANAGER_DAY_SECONDS")


def compact(out: dict[str, Any]) -> dict[str, Any]:
    """AWS returns only the members that have a value."""
    return {key: value for key, value in out.items() if value is not None}


class Provider(RotationMixin, ReplicationMixin, PolicyMixin, CryptMixin, BaseProvider):
    service = "secretsmanager"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.secrets = self.store.table("secretsmanager", "secrets")
        self.init_rotation()

    # -- lookup --------------------------------------------------------------------------------

    @staticmethod
    def scope_of(context: RequestContext) -> str:
        return store_scope(context.account, context.region)

    def scope_for(self, context: RequestContext, secret_id: str) -> str:
        """Where the secret lives: an ARN may name another account (whose resource policy lets
        the caller in, under --enforce-iam); a name is the caller's own."""
        arn = parse_arn(secret_id) if secret_id.startswith("arn:") else None
        if arn is not None and arn.account and arn.account.isdigit():
            return store_scope(arn.account, context.region)
        return self.scope_of(context)

    def lookup(self, scope: str, secret_id: str) -> dict | None:
        """The secret a name, a full ARN or a partial ARN (without the random suffix) names; a
        secret whose recovery window has passed is gone."""
        if secret_id.startswith("arn:"):
            arn = parse_arn(secret_id)
            if arn is None or not arn.resource.startswith("secret:"):
                return None
            name = arn.resource[len("secret:") :]
            record = None
            if _SUFFIX.search(name):
                record = self.secrets.get(scope, name[:-7])
                if record is not None and record["ARN"] != secret_id:
                    record = None
            if record is None:
                record = self.secrets.get(scope, name)
                if record is not None and not record["ARN"].startswith(secret_id):
                    record = None
        else:
            record = self.secrets.get(scope, secret_id)
        if record is not None and record.get("DeleteAt") is not None and record["DeleteAt"] <= time.time():
            self.purge(scope, record)
            return None
        return record

    def secret(
        self, context: RequestContext, secret_id: str, *, deleted: bool = False, write: bool = False
    ) -> dict:
        """The secret, or AWS's error: missing, scheduled for deletion (unless `deleted`), or a
        replica when the request would change it (`write`)."""
        if not secret_id.startswith("arn:"):
            check_name(secret_id)
        record = self.lookup(self.scope_for(context, secret_id), secret_id)
        if record is None:
            raise errors.not_found()
        if record.get("Deleted") is not None and not deleted:
            raise errors.invalid_request(errors.MARKED_FOR_DELETION)
        if write and record.get("Primary"):
            raise errors.invalid_parameter(errors.REPLICA_READ_ONLY)
        return record

    def save(self, scope: str, record: dict, *, changed: bool = True) -> None:
        if changed:
            record["Changed"] = time.time()
        self.secrets.put(scope, record["Name"], record)
        self.sync_replicas(scope, record)

    def purge(self, scope: str, record: dict) -> None:
        self.secrets.delete(scope, record["Name"])
        self.unschedule(scope, record["Name"])
        self.drop_replicas(scope, record)

    # -- versions ------------------------------------------------------------------------------

    @staticmethod
    def holder(record: dict, stage: str) -> str | None:
        for version_id, version in record["Versions"].items():
            if stage in version["Stages"]:
                return version_id
        return None

    def attach(self, record: dict, version_id: str, stages: list[str]) -> None:
        """Put `stages` on the version, taking each off the version that had it; AWSCURRENT
        leaves AWSPREVIOUS on the version it moved from."""
        versions = record["Versions"]
        for stage in stages:
            old = self.holder(record, stage)
            if old == version_id:
                continue
            if old is not None:
                versions[old]["Stages"].remove(stage)
            if stage == CURRENT and old is not None:
                previous = self.holder(record, PREVIOUS)
                if previous is not None:
                    versions[previous]["Stages"].remove(PREVIOUS)
                versions[old]["Stages"].append(PREVIOUS)
                # A version that stops being current is no longer pending either.
                if PENDING in versions[old]["Stages"] and PENDING not in stages:
                    versions[old]["Stages"].remove(PENDING)
            versions[version_id]["Stages"].append(stage)
        self.trim_versions(record)

    @staticmethod
    def trim_versions(record: dict) -> None:
        versions = record["Versions"]
        unlabelled = [vid for vid, version in versions.items() if not version["Stages"]]
        while len(versions) > MAX_VERSIONS and unlabelled:
            del versions[unlabelled.pop(0)]

    @staticmethod
    def value_of(params: dict, *, required: bool) -> dict | None:
        has_string, has_binary = "SecretString" in params, "SecretBinary" in params
        if has_string and has_binary:
            raise errors.invalid_parameter(
                "You can't specify both a binary secret value and a string secret value in the same secret."
            )
        if has_string:
            return {"String": params["SecretString"]}
        if has_binary:
            return {"Binary": bytes(params["SecretBinary"])}
        if required:
            raise errors.invalid_request("You must provide either SecretString or SecretBinary.")
        return None

    def add_version(
        self, record: dict, token: str | None, value: dict, stages: list[str]
    ) -> tuple[str, bool]:
        """Add a version with `value` (or fill in the placeholder a rotation made for `token`):
        (version id, whether anything changed). The same token with the same value is the
        same request again; with another value it is refused."""
        version_id = token or str(uuid.uuid4())
        existing = record["Versions"].get(version_id)
        if existing is not None:
            held = self.plain(record, version_id, existing) if has_value(existing) else {}
            if held == value:
                return version_id, False
            if held:
                raise errors.exists(
                    f"You can't use ClientRequestToken {version_id} because that value is already in use for a "
                    f"version of secret {record['ARN']}."
                )
            existing.update(self.seal(record, version_id, value))
        else:
            sealed = self.seal(record, version_id, value)
            record["Versions"][version_id] = {**sealed, "Created": time.time(), "Stages": []}
        if self.holder(record, CURRENT) is None and CURRENT not in stages:
            stages = [*stages, CURRENT]  # the first value of a secret is its current one
        self.attach(record, version_id, stages)
        return version_id, True

    # -- secrets -------------------------------------------------------------------------------

    def create_secret(self, context: RequestContext, params: dict) -> dict:
        name = params["Name"]
        check_name(name)
        value = self.value_of(params, required=False)
        if value is not None:
            require_token(params)
        tags = tagging.tag_map(params.get("Tags"), TAG_RULES)
        scope = self.scope_of(context)
        kms_key = self.check_kms_key(context, params.get("KmsKeyId"))
        with self.store.transaction():
            existing = self.lookup(scope, name)
            if existing is not None:
                if existing.get("Deleted") is not None:
                    raise errors.invalid_request(
                        "You can't create this secret because a secret with this name is already scheduled for deletion."
                    )
                token = params.get("ClientRequestToken")
                if token and token in existing["Versions"] and value is not None:
                    held = existing["Versions"][token]
                    if has_value(held) and self.plain(existing, token, held) == value:
                        return {"ARN": existing["ARN"], "Name": name, "VersionId": token}
                    self.add_version(existing, token, value, [CURRENT])  # refused: another value
                raise errors.exists(f"The operation failed because the secret {name} already exists.")
            suffix = "".join(random_source.choice(string.ascii_letters + string.digits) for _ in range(6))
            now = time.time()
            record: dict[str, Any] = {
                "ARN": build_arn(
                    "secretsmanager", context.region, context.account, f"secret:{name}-{suffix}"
                ),
                "Name": name,
                "Created": now,
                "Versions": {},
            }
            if params.get("Tags") is not None:
                record["Tags"] = tagging.tag_list(tags)
            for member in ("Description", "Type"):
                if params.get(member):
                    record[member] = params[member]
            if kms_key:
                record["KmsKeyId"] = kms_key
            out: dict[str, Any] = {"ARN": record["ARN"], "Name": name}
            if value is not None:
                out["VersionId"], _ = self.add_version(
                    record, params.get("ClientRequestToken"), value, [CURRENT]
                )
            self.save(scope, record)
            if params.get("AddReplicaRegions"):
                out["ReplicationStatus"] = self.replicate(
                    scope,
                    record,
                    params["AddReplicaRegions"],
                    bool(params.get("ForceOverwriteReplicaSecret")),
                )
            return out

    def create_managed_secret(
        self, account: str, region: str, name: str, value: str, owning_service: str
    ) -> str:
        """A secret another AWS service keeps for one of its resources (EventBridge's connection
        credentials): marked as AWS marks it, with OwningService and the reserved tag
        aws:secretsmanager:owningService. Returns its ARN."""
        context = RequestContext.internal(owning_service, account, region)
        created = self.create_secret(
            context, {"Name": name, "SecretString": value, "ClientRequestToken": str(uuid.uuid4())}
        )
        scope = self.scope_of(context)
        with self.store.transaction():
            record = self.secrets.get(scope, name)
            record["OwningService"] = owning_service
            record["Tags"] = [{"Key": "aws:secretsmanager:owningService", "Value": owning_service}]
            self.save(scope, record, changed=False)
        return str(created["ARN"])

    def put_secret_value(self, context: RequestContext, params: dict) -> dict:
        value = self.value_of(params, required=True)
        assert value is not None
        require_token(params)
        stages = params.get("VersionStages") or [CURRENT]
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            self.check_value_access(context, record)
            version_id, changed = self.add_version(
                record, params.get("ClientRequestToken"), value, list(stages)
            )
            if changed:
                self.save(scope, record)
            return {
                "ARN": record["ARN"],
                "Name": record["Name"],
                "VersionId": version_id,
                "VersionStages": list(record["Versions"][version_id]["Stages"]),
            }

    def update_secret(self, context: RequestContext, params: dict) -> dict:
        value = self.value_of(params, required=False)
        if value is not None:
            require_token(params)
        scope = self.scope_for(context, params["SecretId"])
        kms_key = self.check_kms_key(context, params.get("KmsKeyId"))
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            if params.get("Description") is not None:
                record["Description"] = params["Description"]
            if params.get("Type") is not None:
                record["Type"] = params["Type"]
            if kms_key:
                record["KmsKeyId"] = kms_key
            out: dict[str, Any] = {"ARN": record["ARN"], "Name": record["Name"]}
            if value is not None:
                out["VersionId"], _ = self.add_version(
                    record, params.get("ClientRequestToken"), value, [CURRENT]
                )
            self.save(scope, record)
            return out

    def get_secret_value(self, context: RequestContext, params: dict) -> dict:
        record = self.secret(context, params["SecretId"])
        self.check_value_access(context, record)
        version_id, version = self.version(record, params.get("VersionId"), params.get("VersionStage"))
        self.touch(self.scope_for(context, params["SecretId"]), record, version)
        return self.value_entry(record, version_id, version)

    @staticmethod
    def check_value_access(context: RequestContext, record: dict) -> None:
        """Another account cannot use the AWS managed key: it reads and writes values only of
        secrets encrypted with a customer managed key."""
        if record["ARN"].split(":")[4] != context.account and not record.get("KmsKeyId"):
            raise errors.invalid_request(
                "You can't access a secret from a different AWS account if you encrypt the secret with the "
                "default KMS service key."
            )

    def version(self, record: dict, version_id: str | None, stage: str | None) -> tuple[str, dict]:
        """The version a request names (by id, label, or both), with a value; AWSCURRENT by default."""
        if version_id:
            version = record["Versions"].get(version_id)
            if version is None or not has_value(version):
                raise errors.value_not_found("VersionId", version_id)
            if stage and stage not in version["Stages"]:
                raise errors.invalid_request(
                    "You provided a VersionStage that is not associated to the provided VersionId."
                )
            return version_id, version
        stage = stage or CURRENT
        holder = self.holder(record, stage)
        if holder is None or not has_value(record["Versions"][holder]):
            raise errors.value_not_found("staging label", stage)
        return holder, record["Versions"][holder]

    def touch(self, scope: str, record: dict, version: dict) -> None:
        """AWS records the day a secret was last read: one write a day at most."""
        today = float(int(time.time() // 86400) * 86400)
        if record.get("Accessed") != today or version.get("Accessed") != today:
            with self.store.transaction():
                fresh = self.secrets.get(scope, record["Name"])
                if fresh is None:
                    return
                fresh["Accessed"] = today
                for held in fresh["Versions"].values():
                    if held["Created"] == version["Created"]:
                        held["Accessed"] = today
                self.secrets.put(scope, record["Name"], fresh)

    def value_entry(self, record: dict, version_id: str, version: dict) -> dict:
        out: dict[str, Any] = {
            "ARN": record["ARN"],
            "Name": record["Name"],
            "VersionId": version_id,
            "VersionStages": list(version["Stages"]),
            "CreatedDate": when(version["Created"]),
        }
        value = self.plain(record, version_id, version)
        if "String" in value:
            out["SecretString"] = value["String"]
        else:
            out["SecretBinary"] = value["Binary"]
        return out

    def describe_secret(self, context: RequestContext, params: dict) -> dict:
        record = self.secret(context, params["SecretId"], deleted=True)
        out = self.summary(record)
        out["VersionIdsToStages"] = out.pop("SecretVersionsToStages", None)
        out["ReplicationStatus"] = self.replication_status(record) or None
        return compact(out)

    def summary(self, record: dict) -> dict[str, Any]:
        rotation = record.get("Rotation") or {}
        return {
            "ARN": record["ARN"],
            "Name": record["Name"],
            "Type": record.get("Type"),
            "Description": record.get("Description"),
            "KmsKeyId": record.get("KmsKeyId"),
            "RotationEnabled": rotation.get("Enabled", False) if rotation else None,
            "RotationLambdaARN": rotation.get("Lambda"),
            "RotationRules": rotation.get("Rules"),
            "LastRotatedDate": when(record.get("Rotated")),
            "LastChangedDate": when(record.get("Changed")),
            "LastAccessedDate": when(record.get("Accessed")),
            "DeletedDate": when(record.get("Deleted")),
            "NextRotationDate": when(rotation.get("Next")) if rotation.get("Enabled") else None,
            "Tags": record.get("Tags"),
            "SecretVersionsToStages": {
                vid: list(version["Stages"])
                for vid, version in record["Versions"].items()
                if version["Stages"]
            }
            or None,
            "OwningService": record.get("OwningService"),
            "CreatedDate": when(record["Created"]),
            "PrimaryRegion": record.get("Primary") or record.get("Region"),
        }

    def delete_secret(self, context: RequestContext, params: dict) -> dict:
        window = params.get("RecoveryWindowInDays")
        force = params.get("ForceDeleteWithoutRecovery")
        if window is not None and not 7 <= window <= 30:
            raise errors.invalid_parameter(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
            )
        if force and window is not None:
            raise errors.invalid_parameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
            )
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            if force and self.lookup(scope, params["SecretId"]) is None:
                return self.deleted_anyway(context, params["SecretId"])
            record = self.secret(context, params["SecretId"], deleted=bool(force), write=True)
            if record.get("Replicas"):
                raise errors.invalid_parameter(
                    f"You can't delete secret {record['ARN']} that still has replica regions "
                    f"[{', '.join(sorted(record['Replicas']))}]"
                )
            now = time.time()
            if force:
                self.purge(scope, record)
                deletion = now
            else:
                deletion = now + (window or 30) * day_seconds()
                record["Deleted"] = now
                record["DeleteAt"] = deletion
                self.save(scope, record, changed=False)
            return {"ARN": record["ARN"], "Name": record["Name"], "DeletionDate": when(deletion)}

    @staticmethod
    def deleted_anyway(context: RequestContext, secret_id: str) -> dict:
        """AWS answers a forced deletion of a secret that does not exist as if it had deleted
        it (so that retried deletions succeed)."""
        if secret_id.startswith("arn:"):
            arn = secret_id
            name = _SUFFIX.sub("", secret_id.split(":secret:", 1)[-1])
        else:
            check_name(secret_id)
            name = secret_id
            suffix = "".join(random_source.choice(string.ascii_letters + string.digits) for _ in range(6))
            arn = build_arn("secretsmanager", context.region, context.account, f"secret:{name}-{suffix}")
        return {"ARN": arn, "Name": name, "DeletionDate": when(time.time())}

    def restore_secret(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], deleted=True, write=True)
            record.pop("Deleted", None)
            record.pop("DeleteAt", None)
            self.save(scope, record)
            return {"ARN": record["ARN"], "Name": record["Name"]}

    def list_secrets(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_of(context)
        include_deleted = params.get("IncludePlannedDeletion")
        filters = params.get("Filters") or []
        check_filters(filters)
        found = []
        for _, record in list(self.secrets.scan(scope)):
            if record.get("DeleteAt") is not None and record["DeleteAt"] <= time.time():
                with self.store.transaction():
                    self.purge(scope, record)
                continue
            if record.get("Deleted") is not None and not include_deleted:
                continue
            if matches_filters(record, filters):
                found.append(record)
        sort_key = {
            "created-date": lambda r: r["Created"],
            "last-accessed-date": lambda r: r.get("Accessed") or 0.0,
            "last-changed-date": lambda r: r.get("Changed") or 0.0,
            "name": lambda r: r["Name"],
        }[params.get("SortBy") or "created-date"]
        found.sort(key=sort_key, reverse=params.get("SortOrder") == "desc")
        return paginate_list(
            self.store,
            "secretsmanager",
            "ListSecrets",
            params,
            found,
            bad_token=lambda: errors.invalid_parameter("Invalid NextToken value."),
            default_limit=100,
            render=lambda record: compact(self.summary(record)),
            bind=repr((filters, params.get("SortBy"), params.get("SortOrder"), include_deleted)),
        )

    def list_secret_version_ids(self, context: RequestContext, params: dict) -> dict:
        record = self.secret(context, params["SecretId"], deleted=True)
        include_deprecated = params.get("IncludeDeprecated")
        versions = [
            compact(
                {
                    "VersionId": vid,
                    "VersionStages": list(version["Stages"]) or None,
                    "LastAccessedDate": when(version.get("Accessed")),
                    "CreatedDate": when(version["Created"]),
                    "KmsKeyIds": [record.get("KmsKeyId") or "DefaultEncryptionKey"],
                }
            )
            for vid, version in record["Versions"].items()
            if has_value(version) and (version["Stages"] or include_deprecated)
        ]
        # botocore defines no paginator for ListSecretVersionIds: the token is an offset.
        start = 0
        if params.get("NextToken"):
            try:
                start = int(
                    decode_token(self.store, "ListSecretVersionIds", params["NextToken"], record["ARN"])
                )
            except (ValueError, TypeError):
                raise errors.invalid_parameter("Invalid NextToken value.") from None
        end = start + (params.get("MaxResults") or 100)
        page: dict[str, Any] = {"Versions": versions[start:end]}
        if end < len(versions):
            page["NextToken"] = encode_token(self.store, "ListSecretVersionIds", end, record["ARN"])
        return {**page, "ARN": record["ARN"], "Name": record["Name"]}

    def batch_get_secret_value(self, context: RequestContext, params: dict) -> dict:
        ids, filters = params.get("SecretIdList"), params.get("Filters")
        if ids and filters:
            raise errors.invalid_parameter(
                "Either 'SecretIdList' or 'Filters' must be provided, but not both."
            )
        if not ids and not filters:
            raise errors.invalid_parameter("Either 'SecretIdList' or 'Filters' must be provided.")
        if ids and params.get("MaxResults") is not None:
            raise errors.invalid_parameter(
                "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided."
            )
        values: list[dict] = []
        failures: list[dict] = []
        if filters:
            listed = self.list_secrets(
                context,
                {"Filters": filters, **{k: params[k] for k in ("MaxResults", "NextToken") if k in params}},
            )
            names = [entry["ARN"] for entry in listed["SecretList"]]
            token = listed.get("NextToken")
        else:
            names, token = list(ids or []), None
        for secret_id in names:
            try:
                values.append(self.get_secret_value(context, {"SecretId": secret_id}))
            except Exception as error:  # each secret's failure is reported, not raised
                code = getattr(error, "code", None)
                if code is None:
                    raise
                failures.append(
                    {"SecretId": secret_id, "ErrorCode": code, "Message": getattr(error, "message", "")}
                )
        return compact({"SecretValues": values, "Errors": failures, "NextToken": token})

    def get_random_password(self, context: RequestContext, params: dict) -> dict:
        return {"RandomPassword": random_password(params)}

    def update_secret_version_stage(self, context: RequestContext, params: dict) -> dict:
        stage = params["VersionStage"]
        remove_from, move_to = params.get("RemoveFromVersionId"), params.get("MoveToVersionId")
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            versions = record["Versions"]
            for version_id in (remove_from, move_to):
                if version_id and version_id not in versions:
                    raise errors.invalid_parameter(f"Not a valid version: {version_id}")
            holder = self.holder(record, stage)
            if remove_from and holder != remove_from:
                raise errors.invalid_parameter(
                    f"Staging label {stage} is not attached to version {remove_from}, so you can't remove it."
                )
            if move_to and holder is not None and holder != move_to and holder != remove_from:
                raise errors.invalid_parameter(
                    f"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently "
                    f"attached to version {holder}, so you must explicitly reference that version in "
                    "RemoveFromVersionId."
                )
            if stage == CURRENT and not move_to:
                raise errors.invalid_parameter(
                    "You can only move staging label AWSCURRENT to a different secret version. It can't be "
                    "completely removed."
                )
            if move_to:
                self.attach(record, move_to, [stage])
            elif remove_from:
                versions[remove_from]["Stages"].remove(stage)
            self.save(scope, record)
            return {"ARN": record["ARN"], "Name": record["Name"]}

    # -- tags ----------------------------------------------------------------------------------

    def tag_resource(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            existing = {tag["Key"]: tag["Value"] for tag in record.get("Tags") or []}
            record["Tags"] = tagging.tag_list(tagging.add_tags(existing, params["Tags"], TAG_RULES))
            self.save(scope, record)
        return {}

    def untag_resource(self, context: RequestContext, params: dict) -> dict:
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            existing = {tag["Key"]: tag["Value"] for tag in record.get("Tags") or []}
            record["Tags"] = tagging.tag_list(tagging.remove_tags(existing, params["TagKeys"]))
            self.save(scope, record)
        return {}

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        parsed = parse_arn(arn)
        if parsed is None:
            return None
        record = self.lookup(store_scope(parsed.account, parsed.region), arn)
        return {tag["Key"]: tag["Value"] for tag in record.get("Tags") or []} if record else None

    # -- KMS -----------------------------------------------------------------------------------

    def check_kms_key(self, context: RequestContext, key_id: str | None) -> str | None:
        """The KmsKeyId as given, recorded and returned as AWS does. KMS's provider is not on
        this branch: keys are not checked nor used to encrypt yet (see README)."""
        return key_id or None
