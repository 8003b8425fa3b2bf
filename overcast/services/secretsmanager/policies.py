"""Resource policies: one per secret (named `default`), validated by the shared policy engine,
and judged public when it lets a principal outside the account (or anyone) act on the secret."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from overcast import policy
from overcast.context import RequestContext
from overcast.errors import ServiceError

if TYPE_CHECKING:
    from overcast.services.secretsmanager.provider import Provider

#: Principals that stand for "broad access": anyone, and an unrelated account.
_OUTSIDERS = (
    policy.Principal.anonymous(),
    policy.Principal(arn="arn:aws:iam::999999999999:root", account="999999999999"),
)


@lru_cache(maxsize=1)
def _actions() -> tuple[str, ...]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("secretsmanager")
    return tuple(f"secretsmanager:{name}" for name in model.operation_names)


def _parse(text: str) -> policy.Policy:
    try:
        return policy.parse(text, policy.RESOURCE)
    except policy.MalformedPolicy as error:
        raise ServiceError(
            "MalformedPolicyDocumentException",
            str(error) or "This resource policy contains a syntax error.",
            400,
        ) from None


def is_public(document: policy.Policy, arn: str, account: str) -> bool:
    for principal in _OUTSIDERS:
        if principal.account == account:
            continue
        for action in _actions():
            request = policy.AuthorizationRequest(principal, action, arn, resource_account=account)
            if policy.evaluate(request, resource_policy=document).allowed:
                return True
    return False


PUBLIC = (
    "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad "
    "access to the secret."
)


class PolicyMixin:
    def put_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            document = _parse(params["ResourcePolicy"])
            if params.get("BlockPublicPolicy") and is_public(document, record["ARN"], context.account):
                raise ServiceError("PublicPolicyException", PUBLIC, 400)
            record["Policy"] = params["ResourcePolicy"]
            self.save(scope, record)
            return {"ARN": record["ARN"], "Name": record["Name"]}

    def get_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # A replica's policy is the primary's business: even reading it is refused there.
        record = self.secret(context, params["SecretId"], write=True)
        out = {"ARN": record["ARN"], "Name": record["Name"]}
        if record.get("Policy"):
            out["ResourcePolicy"] = record["Policy"]
        return out

    def delete_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_for(context, params["SecretId"])
        with self.store.transaction():
            record = self.secret(context, params["SecretId"], write=True)
            record.pop("Policy", None)
            self.save(scope, record)
            return {"ARN": record["ARN"], "Name": record["Name"]}

    def list_resource_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        record = self.secret(context, params["SecretId"])
        names = [{"Name": "default"}] if record.get("Policy") else []
        return {"ResourcePolicies": names}

    def validate_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        arn = "*"
        if params.get("SecretId"):
            arn = self.secret(context, params["SecretId"])["ARN"]
        problems: list[dict] = []
        try:
            document = policy.parse(params["ResourcePolicy"], policy.RESOURCE)
        except policy.MalformedPolicy as error:
            problems.append({"CheckName": "SYNTAX_CHECK", "ErrorMessage": str(error)})
        else:
            if is_public(document, arn, context.account):
                problems.append({"CheckName": "PUBLIC_ACCESS_CHECK", "ErrorMessage": PUBLIC})
        return {"PolicyValidationPassed": not problems, "ValidationErrors": problems}

    def resource_policy(self: Provider, arn: str) -> str | None:  # type: ignore[misc]
        from overcast.common.arns import parse_arn
        from overcast.store import scope as store_scope

        parsed = parse_arn(arn)
        if parsed is None:
            return None
        record = self.lookup(store_scope(parsed.account, parsed.region), arn)
        policy_text = record.get("Policy") if record else None
        return policy_text if isinstance(policy_text, str) else None
