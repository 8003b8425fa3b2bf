"""KMS grants, key policies and tags.

A grant is a row of the `grants` table keyed `<key id>/<grant id>`. Its grant token is opaque
to clients: `base64(TOKEN_MAGIC + grant id + 16 random bytes)`; a token of any other shape is
InvalidGrantTokenException, as AWS refuses a token it did not issue.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.pagination import paginate_list
from overcast.common.tagging import TagProblem, TagRules, add_tags, refusals, remove_tags, tag_map
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.kms import keys as k
from overcast.store import scope

if TYPE_CHECKING:
    from overcast.services.kms.provider import Provider

TOKEN_MAGIC = b"OVCKMSG1"
GRANT_ID_LENGTH = 64
MAX_POLICY = 32768

KMS_TAGS = TagRules(
    refuse=refusals(
        "TagException",
        {
            TagProblem.RESERVED_KEY: "Tags beginning with aws: are reserved",
            TagProblem.DUPLICATE_KEY: "Duplicate tag keys",
            TagProblem.TOO_MANY: "Too many tags",
        },
    )
)

#: Operations a grant may allow, by the key usage that can perform them.
GRANT_OPERATIONS: dict[str, frozenset[str]] = {
    "ENCRYPT_DECRYPT": frozenset({
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
        "ReEncryptTo", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
    }),
    "SIGN_VERIFY": frozenset({"Sign", "Verify", "GetPublicKey"}),
    "GENERATE_VERIFY_MAC": frozenset({"GenerateMac", "VerifyMac"}),
    "KEY_AGREEMENT": frozenset({"DeriveSharedSecret", "GetPublicKey"}),
    "ENCAPSULATE_DECAPSULATE": frozenset({"Encapsulate", "Decapsulate", "GetPublicKey"}),
}  # fmt: skip
_ANY_KEY_OPERATIONS = frozenset({"CreateGrant", "RetireGrant", "DescribeKey"})


def _bad_marker() -> ServiceError:
    return ServiceError("InvalidMarkerException", "Invalid marker")


def grant_token(grant_id: str) -> str:
    return base64.b64encode(TOKEN_MAGIC + bytes.fromhex(grant_id) + os.urandom(16)).decode()


def token_grant_id(token: str) -> str | None:
    """The grant id a token names, or None when it is not a token KMS issued."""
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(TOKEN_MAGIC) or len(raw) != len(TOKEN_MAGIC) + 32 + 16:
        return None
    return raw[len(TOKEN_MAGIC) : len(TOKEN_MAGIC) + 32].hex()


def _invalid_token() -> ServiceError:
    return ServiceError("InvalidGrantTokenException", "Grant token is invalid.")


class GrantOperations:
    # -- checks shared with other operations -----------------------------------------------------

    def check_grant_tokens(self, params: dict) -> None:
        for token in params.get("GrantTokens") or ():
            if token_grant_id(token) is None:
                raise _invalid_token()

    def check_tags(self, given: Any) -> dict[str, str]:
        return tag_map(_pairs(given), KMS_TAGS)

    def check_policy(self, policy: str) -> None:
        if len(policy) > MAX_POLICY:
            raise ServiceError("LimitExceededException", "Policy exceeds the maximum size of 32 KB.")
        try:
            document = jsontext.loads(policy)
        except ValueError:
            raise ServiceError("MalformedPolicyDocumentException", "The new key policy will not allow you to "
                               "update the key policy in the future.") from None  # fmt: skip
        statements = document.get("Statement") if isinstance(document, dict) else None
        if not isinstance(statements, (list, dict)) or not statements:
            raise ServiceError(
                "MalformedPolicyDocumentException", "Policy contains a statement with no principal."
            )
        for statement in statements if isinstance(statements, list) else [statements]:
            if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
                raise ServiceError(
                    "MalformedPolicyDocumentException", "Policy contains an invalid statement."
                )
            if "Principal" not in statement and "NotPrincipal" not in statement:
                raise ServiceError(
                    "MalformedPolicyDocumentException", "Policy contains a statement with no principal."
                )

    # -- key policies ----------------------------------------------------------------------------

    def get_key_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params.get("PolicyName") or "default"
        _, _, key = self.key_for(context, params["KeyId"], aliases=False)
        if name != "default":
            raise ServiceError("NotFoundException", "No such policy exists")
        return {"Policy": key["Policy"], "PolicyName": "default"}

    def put_key_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params.get("PolicyName") or "default"
        account, region, key = self.key_for(context, params["KeyId"], aliases=False)
        if key["KeyManager"] == "AWS":
            raise ServiceError(
                "UnsupportedOperationException", "You cannot change the key policy of an AWS managed key."
            )
        if name != "default":
            raise ServiceError("NotFoundException", "No such policy exists")
        if key["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
            raise k.state_error(key, k.key_arn(region, account, key["KeyId"]))
        self.check_policy(params["Policy"])
        with self.store.transaction():
            self.save(account, region, {**key, "Policy": params["Policy"]})
        return {}

    def list_key_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.key_for(context, params["KeyId"], aliases=False)
        return paginate_list(
            self.store,
            "kms",
            "ListKeyPolicies",
            params,
            ["default"],
            bad_token=_bad_marker,
            default_limit=100,
        )

    # -- tags ------------------------------------------------------------------------------------

    def _taggable(self: Provider, context: RequestContext, given: str) -> tuple[str, str, dict]:  # type: ignore[misc]
        account, region, key = self.key_for(context, given, aliases=False)
        arn = k.key_arn(region, account, key["KeyId"])
        if key["KeyManager"] == "AWS":
            raise ServiceError("NotFoundException", f"Key '{arn}' does not exist")
        if key["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
            raise k.state_error(key, arn)
        return account, region, key

    def tag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key = self._taggable(context, params["KeyId"])
        with self.store.transaction():
            self.save(
                account, region, {**key, "Tags": add_tags(key.get("Tags"), _pairs(params["Tags"]), KMS_TAGS)}
            )
        return {}

    def untag_resource(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key = self._taggable(context, params["KeyId"])
        with self.store.transaction():
            self.save(account, region, {**key, "Tags": remove_tags(key.get("Tags"), params["TagKeys"])})
        return {}

    def list_resource_tags(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, key = self.key_for(context, params["KeyId"], aliases=False)
        tags = [
            {"TagKey": name, "TagValue": value} for name, value in sorted((key.get("Tags") or {}).items())
        ]
        return paginate_list(self.store, "kms", "ListResourceTags", params, tags, bad_token=_bad_marker,
                             default_limit=50, bind=key["KeyId"])  # fmt: skip

    # -- grants ----------------------------------------------------------------------------------

    def create_grant(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        self.check_grant_tokens(params)
        account, region, key = self.key_for(context, params["KeyId"], aliases=False)
        arn = k.key_arn(region, account, key["KeyId"])
        if key["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion", "Unavailable"):
            raise k.state_error(key, arn)
        if key["KeyState"] == "Disabled":
            raise k.disabled(arn)
        operations = params["Operations"]
        allowed = GRANT_OPERATIONS.get(key["KeyUsage"], frozenset()) | _ANY_KEY_OPERATIONS
        for operation in operations:
            if operation not in allowed:
                raise ServiceError("ValidationException", f"Grant operations {operation} are not valid for a key with "
                                   f"KeyUsage {key['KeyUsage']}.")  # fmt: skip
        grantee = params.get("GranteePrincipal") or params.get("GranteeServicePrincipal")
        if not grantee:
            raise ServiceError(
                "ValidationException", "GranteePrincipal or GranteeServicePrincipal is required."
            )
        constraints = params.get("Constraints") or {}
        if constraints and key["KeySpec"] != "SYMMETRIC_DEFAULT":
            raise ServiceError(
                "ValidationException", "Encryption context constraints are valid only for symmetric keys."
            )
        sc = scope(account, region)
        name = params.get("Name")
        with self.store.transaction():
            if name:
                # A grant with the same name and the same parameters is the same grant (idempotent).
                for _, existing in self.t_grants.scan(sc, prefix=key["KeyId"] + "/"):
                    if existing.get("Name") == name and existing["Request"] == _grant_request(params):
                        return {
                            "GrantToken": grant_token(existing["GrantId"]),
                            "GrantId": existing["GrantId"],
                        }
            grant_id = hashlib.sha256(os.urandom(32)).hexdigest()
            if params.get("DryRun"):
                raise ServiceError(
                    "DryRunOperationException",
                    "The request would have succeeded, but the DryRun option is set.",
                )
            grant: dict[str, Any] = {
                "KeyId": arn,
                "GrantId": grant_id,
                "CreationDate": datetime.now(UTC),
                "IssuingAccount": f"arn:aws:iam::{context.account}:root",
                "Operations": list(operations),
                "Request": _grant_request(params),
            }
            for field in ("Name", "GranteePrincipal", "RetiringPrincipal", "GranteeServicePrincipal",
                          "RetiringServicePrincipal"):  # fmt: skip
                if params.get(field):
                    grant[field] = params[field]
            if constraints:
                grant["Constraints"] = constraints
            self.t_grants.put(sc, f"{key['KeyId']}/{grant_id}", grant)
        return {"GrantToken": grant_token(grant_id), "GrantId": grant_id}

    def _grant_rows(  # type: ignore[misc]
        self: Provider, account: str, region: str, key_id: str | None = None
    ) -> list[dict[str, Any]]:
        rows = self.t_grants.scan(scope(account, region), prefix=f"{key_id}/" if key_id else "")
        return sorted((grant for _, grant in rows), key=lambda grant: grant["CreationDate"])

    @staticmethod
    def _grant_entry(grant: dict[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in grant.items() if name != "Request"}

    def list_grants(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key = self.key_for(context, params["KeyId"], aliases=False)
        grants = self._grant_rows(account, region, key["KeyId"])
        if params.get("GrantId"):
            grants = [grant for grant in grants if grant["GrantId"] == params["GrantId"]]
        for field in ("GranteePrincipal", "GranteeServicePrincipal"):
            if params.get(field):
                grants = [grant for grant in grants if grant.get(field) == params[field]]
        return paginate_list(self.store, "kms", "ListGrants", params, grants, bad_token=_bad_marker, default_limit=50,
                             render=self._grant_entry, bind=key["KeyId"])  # fmt: skip

    def list_retirable_grants(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        principal = params.get("RetiringPrincipal") or params.get("RetiringServicePrincipal")
        if not principal:
            raise ServiceError(
                "ValidationException", "RetiringPrincipal or RetiringServicePrincipal is required."
            )
        grants = [
            grant
            for grant in self._grant_rows(context.account, context.region)
            if principal in (grant.get("RetiringPrincipal"), grant.get("RetiringServicePrincipal"))
        ]
        return paginate_list(self.store, "kms", "ListRetirableGrants", params, grants, bad_token=_bad_marker,
                             default_limit=50, render=self._grant_entry, bind=principal)  # fmt: skip

    def _delete_grant(  # type: ignore[misc]
        self: Provider, account: str, region: str, key_id: str, grant_id: str, dry_run: bool
    ) -> None:
        sc = scope(account, region)
        with self.store.transaction():
            if self.t_grants.get(sc, f"{key_id}/{grant_id}") is None:
                raise ServiceError("NotFoundException", f"Grant ID {grant_id} not found")
            if dry_run:
                raise ServiceError(
                    "DryRunOperationException",
                    "The request would have succeeded, but the DryRun option is set.",
                )
            self.t_grants.delete(sc, f"{key_id}/{grant_id}")

    def revoke_grant(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        account, region, key = self.key_for(context, params["KeyId"], aliases=False)
        grant_id = params["GrantId"]
        if len(grant_id) != GRANT_ID_LENGTH:
            raise ServiceError("InvalidGrantIdException", f"Invalid grant ID {grant_id}")
        self._delete_grant(account, region, key["KeyId"], grant_id, bool(params.get("DryRun")))
        return {}

    def retire_grant(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        token = params.get("GrantToken")
        if token:
            grant_id = token_grant_id(token)
            if grant_id is None:
                raise _invalid_token()
            for _, grant in self.t_grants.scan(scope(context.account, context.region)):
                if grant["GrantId"] == grant_id:
                    key_id = grant["KeyId"].rsplit("/", 1)[-1]
                    self._delete_grant(
                        context.account, context.region, key_id, grant_id, bool(params.get("DryRun"))
                    )
                    return {}
            raise ServiceError("NotFoundException", f"Grant ID {grant_id} not found")
        if not params.get("KeyId") or not params.get("GrantId"):
            raise ServiceError(
                "ValidationException", "Either GrantToken, or both KeyId and GrantId must be specified."
            )
        account, region, key = self.key_for(context, params["KeyId"], aliases=False)
        if len(params["GrantId"]) != GRANT_ID_LENGTH:
            raise ServiceError("InvalidGrantIdException", f"Invalid grant ID {params['GrantId']}")
        self._delete_grant(account, region, key["KeyId"], params["GrantId"], bool(params.get("DryRun")))
        return {}

    def grants_allowing(  # type: ignore[misc]
        self: Provider, account: str, region: str, key_id: str, grantee: str, operation: str
    ) -> bool:
        """Whether a grant on the key lets `grantee` (a principal ARN) perform `operation`."""
        return any(
            operation in grant["Operations"]
            and grantee in (grant.get("GranteePrincipal"), grant.get("GranteeServicePrincipal"))
            for grant in self._grant_rows(account, region, key_id)
        )


def _pairs(tags: list[dict[str, str]] | None) -> list[dict[str, str]] | None:
    """KMS's {"TagKey", "TagValue"} tags as the {"Key", "Value"} pairs `tagging` reads."""
    if tags is None:
        return None
    return [{"Key": tag.get("TagKey", ""), "Value": tag.get("TagValue", "")} for tag in tags]


def _grant_request(params: dict) -> str:
    """What makes two CreateGrant requests with one Name the same grant."""
    fields = ("GranteePrincipal", "RetiringPrincipal", "Operations", "Constraints", "GranteeServicePrincipal",
              "RetiringServicePrincipal")  # fmt: skip
    return json.dumps({field: params.get(field) for field in fields}, sort_keys=True, default=str)
