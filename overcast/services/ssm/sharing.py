"""Resource policies (PutResourcePolicy, GetResourcePolicies, DeleteResourcePolicy) on
advanced-tier parameters and on the account's OpsItemGroup, with AWS's optimistic
concurrency: an update or a delete names the policy's id and the hash it last read."""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.arns import parse_arn
from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import names

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

MAX_POLICY_BYTES = 1024
#: The OpsItemGroup every account has; it holds at most one policy.
OPS_ITEM_GROUP = "opsitemgroup/default"


def _invalid(member: str, message: str) -> ServiceError:
    return ServiceError("ResourcePolicyInvalidParameterException", message, ParameterNames=[member])


def _hash(policy: str) -> str:
    return hashlib.sha256(policy.encode()).hexdigest()


def _checked_policy(text: str) -> str:
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise ServiceError(
            "ResourcePolicyLimitExceededException",
            f"The policy exceeds the maximum size of {MAX_POLICY_BYTES} bytes.",
            Limit=MAX_POLICY_BYTES,
            LimitType="PolicySize",
        )
    try:
        document = jsontext.loads(text)
    except ValueError:
        raise ServiceError(
            "MalformedResourcePolicyDocumentException", "The policy is not valid JSON."
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("Statement"), (list, dict)):
        raise ServiceError(
            "MalformedResourcePolicyDocumentException", "The policy document must have a Statement."
        )
    return text


class SharingMixin:
    def _policy_holder(self: Provider, context: RequestContext, arn: str) -> tuple[str, str, dict]:  # type: ignore[misc]
        """(table key, kind, record) of the resource an ARN names, or AWS's error."""
        parsed = parse_arn(arn)
        if parsed is None or parsed.service != "ssm":
            raise _invalid("ResourceArn", f"The resource ARN {arn} is not valid.")
        if parsed.account != context.account or parsed.region != context.region:
            raise ServiceError("ResourceNotFoundException", f"The resource {arn} could not be found.")
        where = self._scope(context)
        if parsed.resource == OPS_ITEM_GROUP:
            record = self.settings.get(where, "opsitemgroup") or {}
            return "opsitemgroup", "OpsItemGroup", record
        if not parsed.resource.startswith("parameter/"):
            raise _invalid("ResourceArn", f"The resource ARN {arn} is not valid.")
        name = names.from_arn(arn)
        key = names.key(name)
        record = self._live(where, key)
        if record is None:
            raise ServiceError("ResourceNotFoundException", f"The parameter {name} could not be found.")
        if record["Tier"] != "Advanced":
            raise _invalid("ResourceArn", "To share a parameter, it must be in the advanced parameter tier.")
        return key, "Parameter", record

    def _save_policies(self: Provider, context: RequestContext, key: str, kind: str, record: dict) -> None:  # type: ignore[misc]
        where = self._scope(context)
        if kind == "OpsItemGroup":
            self.settings.put(where, "opsitemgroup", record)
        else:
            self.parameters.put(where, key, record)

    @staticmethod
    def _find(record: dict, policy_id: str | None, policy_hash: str | None) -> dict:
        for policy in record.get("resource_policies") or []:
            if policy["PolicyId"] == policy_id:
                if policy["PolicyHash"] != policy_hash:
                    raise ServiceError(
                        "ResourcePolicyConflictException",
                        "The hash provided in the call doesn't match the stored hash.",
                    )
                return dict(policy)
        raise ServiceError(
            "ResourcePolicyNotFoundException",
            "No policies with the specified policy ID and hash could be found.",
        )

    def put_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        text = _checked_policy(params["Policy"])
        with self.store.transaction():
            key, kind, record = self._policy_holder(context, params["ResourceArn"])
            held: list[dict[str, Any]] = list(record.get("resource_policies") or [])
            if params.get("PolicyId"):
                if not params.get("PolicyHash"):
                    raise _invalid("PolicyHash", "PolicyHash is required to update a policy.")
                current = self._find(record, params["PolicyId"], params["PolicyHash"])
                held = [p for p in held if p["PolicyId"] != current["PolicyId"]]
                policy_id = current["PolicyId"]
            else:
                if kind == "OpsItemGroup" and held:
                    raise ServiceError(
                        "ResourcePolicyLimitExceededException",
                        "Only one policy can be attached to an OpsItemGroup.",
                        Limit=1,
                        LimitType="PolicyCount",
                    )
                policy_id = uuid.uuid4().hex
            entry = {"PolicyId": policy_id, "PolicyHash": _hash(text), "Policy": text}
            record["resource_policies"] = [*held, entry]
            self._save_policies(context, key, kind, record)
        return {"PolicyId": policy_id, "PolicyHash": entry["PolicyHash"]}

    def get_resource_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _, _, record = self._policy_holder(context, params["ResourceArn"])
        return paginate_list(
            self.store, "ssm", "GetResourcePolicies", params, list(record.get("resource_policies") or []),
            bad_token=lambda: _invalid("NextToken", "The NextToken is not valid."), default_limit=50,
            bind=params["ResourceArn"],
        )  # fmt: skip

    def delete_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        for member in ("PolicyId", "PolicyHash"):
            if not params.get(member):
                raise _invalid(member, f"{member} is required to delete a policy.")
        with self.store.transaction():
            key, kind, record = self._policy_holder(context, params["ResourceArn"])
            current = self._find(record, params["PolicyId"], params["PolicyHash"])
            record["resource_policies"] = [
                p for p in record.get("resource_policies") or [] if p["PolicyId"] != current["PolicyId"]
            ]
            self._save_policies(context, key, kind, record)
        return {}
