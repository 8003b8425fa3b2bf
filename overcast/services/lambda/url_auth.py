"""Who may call a function URL: AuthType AWS_IAM callers, and under IAM enforcement anyone at
an AuthType NONE URL (which AWS serves only when the resource policy grants it to everyone).

As on AWS, the request must be SigV4-signed for the `lambda` service, and the signature must
be right: that is checked whatever the IAM enforcement setting (it costs only on AWS_IAM URLs).
A key whose secret Overcast does not know (any key but those IAM/STS issued and `test`) cannot be
checked and is taken at its word, as everywhere in Overcast.

Policies are consulted when IAM enforcement is on, as for every other request then: the caller
needs lambda:InvokeFunctionUrl from an identity policy (same account; the account's root may) or
from the function's resource policy (AddPermission with FunctionUrlAuthType AWS_IAM), and both
across accounts. With enforcement off a correctly signed request is enough."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from overcast import policy
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.http import Request
from overcast.identity import identify
from overcast.routing import credential_scope
from overcast.signing import is_presigned, signer_key, verify_request

from .names import function_arn

if TYPE_CHECKING:
    # The methods below run as the Provider this mixin is part of, so their self is typed as
    # it; mypy wants a self type to be a supertype of the class that declares the method, hence
    # the `type: ignore[misc]` on each of them.
    from .provider import Provider

FORBIDDEN = (
    "Forbidden. For troubleshooting Function URL authorization issues, see: "
    "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
)
ACTION = "lambda:InvokeFunctionUrl"
_ISSUED = ("AKIA", "ASIA")


class UrlAuthMixin:
    def url_caller(  # type: ignore[misc]
        self: Provider,
        request: Request,
        context: RequestContext,
        account: str,
        region: str,
        name: str,
        qualifier: str,
    ) -> dict | None:
        """The caller of an AWS_IAM URL (the event's requestContext.authorizer.iam), or None
        when the request is refused (AWS answers 403 Forbidden)."""
        scope = credential_scope(request)
        signed = request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256") or (
            is_presigned(request) and "X-Amz-Credential" in request.query_string
        )
        if scope is None or not signed or scope.service != "lambda":
            return None
        try:
            enforcing = bool(getattr(self.runtime.config, "enforce_iam", False))
            verify_request(
                request, self.runtime.secret_for, protocol="rest-json", strict=enforcing, service="lambda"
            )
        except ServiceError:
            return None
        key = scope.access_key_id
        if signer_key(request) != key:
            return None  # the scope names another key than the one whose signature was checked
        identify(context, key, self.runtime.resolve_key)
        identity = context.extra.get("identity")
        if getattr(self.runtime.config, "enforce_iam", False) and not self._url_allowed(
            request, context, identity, key, account, region, name, qualifier
        ):
            return None
        return {
            "accessKey": key,
            "accountId": context.account,
            "callerId": context.principal_id,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": context.principal_arn,
            "userId": context.principal_id,
        }

    def url_public(  # type: ignore[misc]
        self: Provider, request: Request, account: str, region: str, name: str, qualifier: str
    ) -> bool:
        """Whether an AuthType NONE URL may be called. AWS requires the function's resource
        policy to grant lambda:InvokeFunctionUrl to everyone (AddPermission with Principal "*" and
        FunctionUrlAuthType NONE); Overcast consults it under IAM enforcement only."""
        if not getattr(self.runtime.config, "enforce_iam", False):
            return True
        return self._url_decision(
            request, policy.Principal.anonymous(), [], None, None, "NONE", account, region, name, qualifier
        )

    def _url_allowed(  # type: ignore[misc]
        self: Provider,
        request: Request,
        context: RequestContext,
        identity: dict | None,
        key: str,
        account: str,
        region: str,
        name: str,
        qualifier: str,
    ) -> bool:
        if identity is None and len(key) == 20 and key.startswith(_ISSUED):
            return False  # issued once, deleted since
        if identity is not None and not _live(request, identity):
            return False
        root = identity is None or identity.get("Kind") == "root" or identity.get("SessionType") == "root"
        if root and context.account == account:
            return True  # the account's root may do anything in its account
        iam = self.runtime.provider("iam")
        principal = iam.principal_for(identity, context.account, region)
        identity_policies: list
        boundaries: list | None
        sessions: list | None
        if identity is None:
            identity_policies, boundaries, sessions = [], None, None
        else:
            identity_policies, boundaries, sessions = iam.policies_for(identity, context.account)
        return self._url_decision(
            request,
            principal,
            identity_policies,
            boundaries,
            sessions,
            "AWS_IAM",
            account,
            region,
            name,
            qualifier,
        )

    def _url_decision(  # type: ignore[misc]
        self: Provider,
        request: Request,
        principal: policy.Principal,
        identity_policies: list,
        boundaries,
        sessions,
        auth_type: str,
        account: str,
        region: str,
        name: str,
        qualifier: str,
    ) -> bool:
        resource = function_arn(account, region, name, qualifier or None)
        document = self.resource_policy(resource)
        resource_policy = None
        if document:
            try:
                resource_policy = policy.parse(json.dumps(document), policy.RESOURCE)
            except policy.MalformedPolicy:
                resource_policy = None
        values = {
            "lambda:FunctionUrlAuthType": auth_type,
            "aws:SourceIp": request.client_ip,
            "aws:SecureTransport": "true" if request.scheme == "https" else "false",
        }
        decision = policy.evaluate(
            policy.AuthorizationRequest(principal, ACTION, resource, account, values, region),
            identity_policies,
            resource_policy,
            boundaries,
            sessions,
        )
        return decision.allowed


def _live(request: Request, identity: dict) -> bool:
    """An active key; for session credentials, the matching token, not yet expired."""
    if identity.get("Status", "Active") != "Active":
        return False
    if identity.get("Kind") != "session":
        return True
    token = request.headers.get("x-amz-security-token")
    if token is None:
        values = request.query.get("X-Amz-Security-Token")
        token = values[0] if values else None
    if token != identity.get("SessionToken"):
        return False
    expiration = identity.get("Expiration")
    return expiration is None or expiration > datetime.now(UTC)
