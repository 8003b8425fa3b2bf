"""Key policies under --enforce-iam, as AWS evaluates them.

IAM's own check (every request) lets a principal of the key's account through on an identity
policy alone, as it does for a bucket or a queue. A KMS key is stricter: its key policy must
allow the request, directly or by delegating to the account (a statement whose principal is
the account's root), and only then do the caller's IAM policies count. So KMS's
check_request evaluates the key policy again with the key policy required (as a role's trust
policy is), and lets a grant for the principal and operation stand in for it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from overcast import policy
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.kms import crypto
from overcast.services.kms import keys as k

if TYPE_CHECKING:
    from overcast.services.kms.provider import Provider

#: Operations that act on one key, by the request member that names it.
KEY_MEMBERS: dict[str, str] = {
    operation: "KeyId"
    for operation in (
        "CancelKeyDeletion", "CreateGrant", "Decapsulate", "DeleteImportedKeyMaterial", "DeriveSharedSecret",
        "DescribeKey", "DisableKey", "DisableKeyRotation", "EnableKey", "EnableKeyRotation", "Encapsulate",
        "Encrypt", "GenerateDataKey", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext", "GenerateMac", "GetKeyLastUsage", "GetKeyPolicy",
        "GetKeyRotationStatus", "GetParametersForImport", "GetPublicKey", "ImportKeyMaterial", "ListGrants",
        "ListKeyPolicies", "ListKeyRotations", "ListResourceTags", "PutKeyPolicy", "ReplicateKey",
        "RevokeGrant", "RotateKeyOnDemand", "ScheduleKeyDeletion", "Sign", "TagResource", "UntagResource",
        "UpdateKeyDescription", "UpdatePrimaryRegion", "Verify", "VerifyMac",
    )
} | {"ReEncrypt": "DestinationKeyId"}  # fmt: skip


@lru_cache(maxsize=1024)
def _key_policy(text: str) -> policy.Policy | None:
    try:
        parsed = policy.parse(text, policy.RESOURCE)
    except policy.MalformedPolicy:
        return None
    parsed.policy_id, parsed.policy_type = "key-policy", "resource"
    return parsed


def _denied(principal: policy.Principal, action: str, arn: str) -> ServiceError:
    return ServiceError(
        "AccessDeniedException",
        f"User: {principal.arn} is not authorized to perform: {action} on resource: {arn} "
        f"because no resource-based policy allows the {action} action",
    )


class KeyPolicyChecks:
    def check_request(self: Provider, context: RequestContext, params: dict[str, Any]) -> None:  # type: ignore[misc]
        if not self.runtime.config.enforce_iam or context.extra.get("internal"):
            return
        identity = context.extra.get("identity")
        root = identity is None or identity.get("Kind") == "root" or identity.get("SessionType") == "root"
        operation = context.operation_name
        given = self._named_key(context, operation, params)
        if given is None:
            return
        try:
            account, region, key_id = self.locate(context.account, context.region, given)
        except ServiceError:
            return  # the handler answers an unknown key
        key = self.load(account, region, key_id)
        if key is None or (root and account == context.account):
            return  # the key account's root: IAM's own check has applied the key policy's denials
        arn = k.key_arn(region, account, key_id)
        iam = self.runtime.provider("iam")
        principal = iam.principal_for(identity, context.account, context.region)
        identity_policies, boundaries, sessions = (
            ([], None, None) if identity is None else iam.policies_for(identity, context.account)
        )
        action = f"kms:{operation}"
        values = {"kms:CallerAccount": context.account, "kms:ViaService": ""}
        request = policy.AuthorizationRequest(principal, action, arn, account, values, context.region)
        decision = policy.evaluate(
            request, identity_policies, _key_policy(key.get("Policy") or json.dumps({})), boundaries, sessions,
            resource_required=True,
        )  # fmt: skip
        if decision.allowed or self.grants_allowing(account, region, key_id, principal.arn, operation):
            return
        raise _denied(principal, action, arn)

    def _named_key(self, context: RequestContext, operation: str, params: dict[str, Any]) -> str | None:
        member = KEY_MEMBERS.get(operation)
        if member is not None:
            value = params.get(member)
            return value if isinstance(value, str) else None
        if operation == "Decrypt":
            if isinstance(params.get("KeyId"), str):
                return str(params["KeyId"])
            try:
                return crypto.blob_header(bytes(params.get("CiphertextBlob") or b"")).key_id
            except crypto.BadCiphertext:
                return None
        return None
