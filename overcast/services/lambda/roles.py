"""Execution roles. Without IAM enforcement any well-formed role ARN is accepted and functions
run with their account's credentials, as Overcast's clients do. With enforcement on, the role
must exist and trust lambda.amazonaws.com (as AWS checks at CreateFunction and
UpdateFunctionConfiguration), and each function runs with real credentials of its role's
session `assumed-role/ROLE/FUNCTION`, so what the handler calls is authorized as that role."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import unquote

from overcast import policy
from overcast.context import RequestContext
from overcast.errors import ServiceError

from .names import invalid

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

LAMBDA_PRINCIPAL = "lambda.amazonaws.com"
CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
#: Credentials are renewed (with new environments) when less than this is left of them.
RENEW_MARGIN_SECONDS = 900


class RolesMixin:
    @property
    def enforcing_iam(self: Provider) -> bool:  # type: ignore[misc]
        return bool(getattr(self.runtime.config, "enforce_iam", False))

    def check_execution_role(self: Provider, context: RequestContext, role_arn: str) -> None:  # type: ignore[misc]
        """InvalidParameterValueException unless Lambda may assume the role (enforcement only)."""
        if self.enforcing_iam and not self._lambda_may_assume(role_arn, context.region):
            raise invalid(CANNOT_ASSUME)

    def _lambda_may_assume(self: Provider, role_arn: str, region: str) -> bool:  # type: ignore[misc]
        parts = role_arn.split(":", 5)
        if len(parts) != 6 or not parts[4].isdigit():
            return False
        account, name = parts[4], parts[5].rsplit("/", 1)[-1]
        iam = self.runtime.provider("iam")
        try:
            role = iam.get_role(RequestContext.internal("iam", account, region), {"RoleName": name})["Role"]
        except ServiceError:
            return False
        if role["Arn"] != role_arn:
            return False  # same name under another path: not the role the function names
        try:
            trust = policy.parse(unquote(role["AssumeRolePolicyDocument"]), policy.TRUST)
        except policy.MalformedPolicy:
            return False
        trust.policy_id, trust.policy_type = role_arn, "resource"
        request = policy.AuthorizationRequest(
            policy.Principal.service(LAMBDA_PRINCIPAL), "sts:AssumeRole", role_arn, account, {}, region
        )
        return policy.evaluate(request, [], trust).allowed

    def execution_credentials(self: Provider, role_arn: str, function_name: str, region: str) -> dict | None:  # type: ignore[misc]
        """AssumeRole's Credentials for the function's role session (enforcement only; None
        otherwise). Raises InvalidParameterValueException when Lambda cannot assume the role."""
        if not self.enforcing_iam:
            return None
        sts = self.runtime.provider("sts")
        try:
            issued = sts.credentials_for_service(
                role_arn, function_name, LAMBDA_PRINCIPAL, region, duration=12 * 3600
            )
        except ServiceError:
            raise invalid(CANNOT_ASSUME) from None
        credentials = dict(issued["Credentials"])
        expiration = credentials["Expiration"]
        credentials["renew_at"] = expiration.timestamp() - RENEW_MARGIN_SECONDS
        return credentials

    @staticmethod
    def credentials_stale(credentials: dict | None) -> bool:
        return credentials is not None and time.time() >= credentials["renew_at"]
