"""IAM enforcement (`--enforce-iam`, ENFORCE_IAM=1): every request is signed correctly by live
credentials and allowed by the policies AWS would consult, or refused in the service's own
words. Installed as a request check by IAM's provider when the setting is on."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from overcast import policy
from overcast.common.arns import partition
from overcast.common.times import iso_seconds
from overcast.errors import ServiceError
from overcast.policy import actions
from overcast.services.base import BaseProvider, arn_account, overrides
from overcast.signing import signer_key, verify_request

#: (error code, HTTP status) of each service's AccessDenied.
DENIALS: dict[str, tuple[str, int]] = {
    "s3": ("AccessDenied", 403),
    "sqs": ("AccessDenied", 403),
    "iam": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "dynamodb": ("AccessDeniedException", 400),
    "lambda": ("AccessDeniedException", 403),
    "logs": ("AccessDeniedException", 400),
    "kms": ("AccessDeniedException", 400),
    "secretsmanager": ("AccessDeniedException", 400),
    "kinesis": ("AccessDeniedException", 400),
    "events": ("AccessDeniedException", 400),
    "states": ("AccessDeniedException", 400),
    "ssm": ("AccessDeniedException", 400),
    "ec2": ("UnauthorizedOperation", 403),
    "cloudformation": ("AccessDenied", 403),
    "monitoring": ("AccessDenied", 403),
    "cloudtrail": ("AccessDeniedException", 400),
    "apigateway": ("AccessDeniedException", 403),
    "ecr": ("AccessDeniedException", 400),
}
_JSON_PROTOCOLS = ("json", "rest-json", "smithy-rpc-v2-cbor")
#: What the root user of the resource's owner may always do, whatever its resource policy denies
#: (S3: "the root principal in a bucket owner's account can perform GetBucketPolicy,
#: PutBucketPolicy, and DeleteBucketPolicy ... even if their bucket policy explicitly denies" it).
_ROOT_KEEPS: dict[str, frozenset[str]] = {
    "s3": frozenset({"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}),
    "dynamodb": frozenset(
        {"dynamodb:GetResourcePolicy", "dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy"}
    ),
}
#: Actions no resource policy can grant another account: AWS reserves them to the resource
#: owner's account ("Cross-account permissions don't apply to the following actions", SQS; the
#: bucket policy operations need "the bucket owner's account", S3).
_OWNER_ONLY: dict[str, frozenset[str]] = {
    "sqs": frozenset(
        f"sqs:{name}"
        for name in (
            "AddPermission",
            "CancelMessageMoveTask",
            "CreateQueue",
            "DeleteQueue",
            "ListMessageMoveTasks",
            "ListQueues",
            "ListQueueTags",
            "RemovePermission",
            "SetQueueAttributes",
            "StartMessageMoveTask",
            "TagQueue",
            "UntagQueue",
        )
    ),
    "s3": frozenset({"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}),
}
_NOT_GRANTABLE = policy.Decision(policy.IMPLICIT_DENY, denied_by="resource")

_EXPLICIT = {
    "identity": "with an explicit deny in an identity-based policy",
    "resource": "with an explicit deny in a resource-based policy",
    "permissions-boundary": "with an explicit deny in a permissions boundary",
    "session": "with an explicit deny in a session policy",
}
_IMPLICIT = {
    "identity": "because no identity-based policy allows the {action} action",
    "resource": "because no resource-based policy allows the {action} action",
    "permissions-boundary": "because no permissions boundary allows the {action} action",
    "session": "because no session policy allows the {action} action",
}


#: The secret a root key (`test`, or a 12-digit account id) signs with under --enforce-iam.
ROOT_SECRET = "test"
#: Services that take unsigned requests and authorize them as the anonymous principal against
#: the resource's policy (S3 also its ACLs); every other service refuses an unsigned request.
ANONYMOUS_SERVICES = frozenset({"s3", "sqs"})


def is_root_key(access_key_id: str) -> bool:
    """`test`, or a 12-digit account id: the root user of that account (DESIGN.md §1)."""
    return access_key_id == "test" or (len(access_key_id) == 12 and access_key_id.isdigit())


def _anonymous_operation(operation) -> bool:
    """An operation AWS serves without a signature (its model says so: STS
    AssumeRoleWithWebIdentity and AssumeRoleWithSAML, Cognito's sign-in operations)."""
    if getattr(operation, "auth_type", None) == "none":
        return True
    definition = getattr(operation, "_operation_model", None) or {}
    return list(definition.get("auth") or ()) == ["smithy.api#noAuth"]


def _missing_token(protocol: str) -> ServiceError:
    if protocol == "json":
        return ServiceError(
            "MissingAuthenticationTokenException", "Request is missing Authentication Token", 400
        )
    if protocol in _JSON_PROTOCOLS:
        return ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
    return ServiceError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)


@lru_cache(maxsize=1024)
def _resource_policy(text: str) -> policy.Policy | None:
    try:
        parsed = policy.parse(text, policy.RESOURCE)
    except policy.MalformedPolicy:
        return None
    parsed.policy_id, parsed.policy_type = "resource-policy", "resource"
    return parsed


def _token_error(service: str, protocol: str, expired: bool) -> ServiceError:
    if service == "s3":
        return (
            ServiceError("ExpiredToken", "The provided token has expired.", 400)
            if expired
            else ServiceError("InvalidToken", "The provided token is malformed or otherwise invalid.", 400)
        )
    if protocol in _JSON_PROTOCOLS:
        return (
            ServiceError(
                "ExpiredTokenException", "The security token included in the request is expired", 400
            )
            if expired
            else ServiceError(
                "UnrecognizedClientException", "The security token included in the request is invalid.", 400
            )
        )
    return (
        ServiceError("ExpiredToken", "The security token included in the request is expired", 400)
        if expired
        else ServiceError(
            "InvalidClientTokenId", "The security token included in the request is invalid.", 403
        )
    )


def _signer_mismatch(service: str, protocol: str) -> ServiceError:
    message = "The authorization header is malformed; the Credential is mal-formed."
    if service == "s3":
        return ServiceError("AuthorizationHeaderMalformed", message, 400)
    return ServiceError("IncompleteSignature", message, 400 if protocol not in _JSON_PROTOCOLS else 403)


def _session_token(request) -> str | None:
    token: str | None = request.headers.get("x-amz-security-token")
    if token is None and "X-Amz-Security-Token" in request.query_string:
        values = request.query.get("X-Amz-Security-Token")
        token = values[0] if values else None
    return token


def _tags(params: dict) -> dict[str, str]:
    tags = params.get("Tags") or params.get("tags")
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    if isinstance(tags, list):
        return {
            str(t.get("Key", t.get("key", ""))): str(t.get("Value", t.get("value", "")))
            for t in tags
            if isinstance(t, dict)
        }
    tagging = params.get("Tagging")
    if isinstance(tagging, str) and tagging:  # S3 x-amz-tagging: k=v&k2=v2
        from urllib.parse import parse_qsl

        return dict(parse_qsl(tagging, keep_blank_values=True))
    return {}


class Enforcer:
    def __init__(self, runtime, iam) -> None:
        self.runtime = runtime
        self.iam = iam

    # -- the check ---------------------------------------------------------------------------

    def check(self, context, params: dict) -> None:
        if context.extra.get("internal"):
            return
        service, protocol = context.service, context.protocol
        identity = context.extra.get("identity")
        key_id = context.access_key_id
        if identity is not None and identity.get("Kind") == "session":
            self._check_credentials(context, identity, service, protocol)
        elif key_id is not None and _session_token(context.request) is not None:
            # A long-term key with a session token: AWS refuses the token rather than ignore it.
            raise _token_error(service, protocol, False)
        elif identity is not None:
            self._check_credentials(context, identity, service, protocol)
        # Every signature is verified, with the secret of the key that made it; a key no one
        # issued (nor a root key, see Runtime.secret_for) is refused, as is a scheme that is not SigV4
        # (S3 also verifies SigV2).
        verify_request(
            context.request, self.runtime.secret_for, protocol=protocol, strict=True, service=service
        )
        signer = context.extra.get("form_signer") or signer_key(context.request)
        if signer != key_id:
            # The caller (the credential scope's key) must be the key whose signature was checked.
            raise _signer_mismatch(service, protocol)

        anonymous = key_id is None
        if anonymous:
            operation = context.operation
            if operation is not None and _anonymous_operation(operation):
                return  # authenticated by what it carries (a web identity token, a SAML assertion)
            if service not in ANONYMOUS_SERVICES:
                raise _missing_token(protocol)
        if anonymous and service == "s3":
            return  # S3 decides unsigned requests itself: bucket policy, ACLs, public access block
        if service == "s3" and params:
            self._check_s3_region(context, params)
        model = context.service_model
        prefix = (
            (model.metadata.get("signingName") or model.metadata.get("endpointPrefix") or service)
            if model
            else service
        )
        arn_partition = partition(context.region)
        targets = actions.resolve(
            service, prefix, context.operation_name, params or {}, context, arn_partition
        )
        if targets:
            self.authorize(context, params, targets)

    def service_may(
        self, service_principal: str, action: str, target_arn: str, source_arn: str, source_account: str
    ) -> bool:
        """Whether the target's resource policy lets a service principal do `action` for the
        source resource (a delivery across accounts needs the target owner's consent)."""
        target_service = target_arn.split(":", 3)[2] if target_arn.count(":") >= 5 else ""
        if target_service not in self.runtime.providers and not self.runtime.serves(target_service):
            return False
        provider = self.runtime.provider(target_service)
        resource_policy, owner = self._resource(provider, target_service, target_arn)
        values = {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account}
        region = target_arn.split(":", 4)[3]
        request = policy.AuthorizationRequest(
            policy.Principal.service(service_principal), action, target_arn, owner, values, region
        )
        return policy.evaluate(request, (), resource_policy).allowed

    def _check_s3_region(self, context, params: dict) -> None:
        """A SigV4 credential scopes the request to a region; S3 refuses one scoped to a region
        other than the bucket's (else a policy conditioned on aws:RequestedRegion could be met
        by naming any region in the scope)."""
        name = params.get("Bucket")
        scope_region = (
            context.region
            if context.request.headers.get("authorization", "").startswith("AWS4-")
            or "X-Amz-Credential" in context.request.query_string
            else ""
        )
        if not name or not scope_region or "s3" not in self.runtime.providers:
            return
        bucket = self.runtime.provider("s3").find_bucket(name)
        if bucket is None or bucket["Region"] == scope_region:
            return
        if context.operation_name == "CreateBucket":
            return  # the handler answers BucketAlreadyOwnedByYou / BucketAlreadyExists
        expected = bucket["Region"]
        if "X-Amz-Credential" in context.request.query_string:
            raise ServiceError(
                "AuthorizationQueryParametersError",
                f"Error parsing the X-Amz-Credential parameter; the region '{scope_region}' is wrong; "
                f"expecting '{expected}'",
                400,
                Region=expected,
            )
        raise ServiceError(
            "AuthorizationHeaderMalformed",
            f"The authorization header is malformed; the region '{scope_region}' is wrong; "
            f"expecting '{expected}'",
            400,
            Region=expected,
        )

    def authorize(self, context, params: dict | None, targets: list[tuple[str, str]]) -> None:
        """Raise the service's denial unless the caller may do each (action, resource): for
        the request as a whole, or for one item of a batch that S3 authorizes item by item
        (DeleteObjects answers a denied key in its Errors)."""
        service = context.service
        identity = context.extra.get("identity")
        anonymous = context.access_key_id is None
        root = not anonymous and (
            identity is None or identity.get("Kind") == "root" or identity.get("SessionType") == "root"
        )
        if root:
            self._check_root(context, params or {}, identity, service, targets)
            return
        if anonymous:
            principal = policy.Principal.anonymous()
            identity_policies, boundaries, sessions = [], None, None
        else:
            principal = self.iam.principal_for(identity, context.account, context.region)
            identity_policies, boundaries, sessions = self.iam.policies_for(identity, context.account)
        values = self._context_values(context, params or {}, identity)
        provider = self.runtime.provider(service) if service in self.runtime.providers else None
        tags_of = (
            provider.resource_tags if provider is not None and overrides(provider, "resource_tags") else None
        )
        for action, resource in targets:
            resource_policy, owner = self._resource(provider, service, resource)
            if action in _OWNER_ONLY.get(service, ()) and owner not in (None, "", context.account):
                raise self._denied(context, principal, action, resource, _NOT_GRANTABLE, True)
            checked = values
            if tags_of is not None and resource != "*":
                # A service that can name a resource's tags opts in to aws:ResourceTag/<key>.
                tags = tags_of(resource) or {}
                checked = {**values, **{f"aws:ResourceTag/{k}": v for k, v in tags.items()}}
            request = policy.AuthorizationRequest(principal, action, resource, owner, checked, context.region)
            decision = policy.evaluate(request, identity_policies, resource_policy, boundaries, sessions)
            if not decision.allowed and not self._acl_grants(
                provider, decision, principal, action, resource, owner, context
            ):
                foreign = owner not in (None, "", context.account)
                raise self._denied(context, principal, action, resource, decision, foreign)

    def _acl_grants(self, provider, decision, principal, action, resource, owner, context) -> bool:
        """An ACL stands in for a resource policy for a principal of another account whose own
        policies allow the action (AWS's cross-account evaluation: identity AND resource)."""
        if owner in (None, "", context.account) or decision.decision == policy.EXPLICIT_DENY:
            return False
        if principal.kind == policy.ANONYMOUS or decision.denied_by != "resource":
            return False
        return self._acl_allows(provider, action, resource, context)

    def _check_root(self, context, params: dict, identity: dict | None, service: str, targets) -> None:
        """The root user has no identity policies and may do anything in its account, except what
        a resource policy explicitly denies it (a Deny to "*" or to the account reaches root).
        In another account's resource it may do only what that resource's policy (for S3, or
        its ACL) grants it, as any principal of another account."""
        provider = self.runtime.provider(service) if service in self.runtime.providers else None
        with_policies = provider is not None and overrides(provider, "resource_policy")
        principal = None
        values: dict[str, Any] = {}  # worked out with the principal, when a Deny makes it matter
        for action, resource in targets:
            if with_policies:
                resource_policy, owner = self._resource(provider, service, resource)
            else:
                resource_policy, owner = None, self._owner(provider, resource)
            foreign = owner not in (None, "", context.account)
            if foreign and action in _OWNER_ONLY.get(service, ()):
                principal = principal or self.iam.principal_for(identity, context.account, context.region)
                raise self._denied(context, principal, action, resource, _NOT_GRANTABLE, True)
            if not foreign:
                if resource_policy is None or not any(s.effect == "Deny" for s in resource_policy.statements):
                    continue
                if action in _ROOT_KEEPS.get(service, ()):
                    continue  # so that an owner can never lock itself out of its own resource
            if principal is None:
                principal = self.iam.principal_for(identity, context.account, context.region)
                values = self._context_values(context, params, identity)
            request = policy.AuthorizationRequest(principal, action, resource, owner, values, context.region)
            decision = policy.evaluate(request, (), resource_policy)
            if decision.decision == policy.EXPLICIT_DENY or (
                foreign and not decision.allowed and not self._acl_allows(provider, action, resource, context)
            ):
                raise self._denied(context, principal, action, resource, decision, foreign)

    @staticmethod
    def _owner(provider: BaseProvider | None, resource: str) -> str | None:
        if resource == "*":
            return None
        return provider.resource_owner(resource) if provider is not None else arn_account(resource)

    @staticmethod
    def _acl_allows(provider: BaseProvider | None, action: str, resource: str, context) -> bool:
        """Whether the resource's ACL grants another account the action (S3's access control
        lists, which a service with ACLs answers through acl_allows)."""
        check = getattr(provider, "acl_allows", None)
        return bool(check is not None and check(action, resource, context.account))

    def _check_credentials(self, context, identity: dict, service: str, protocol: str) -> None:
        if identity.get("Status", "Active") != "Active":
            raise _token_error(service, protocol, False)
        if identity.get("Kind") != "session":
            return
        token = _session_token(context.request)
        if token != identity.get("SessionToken"):
            raise _token_error(service, protocol, False)
        expiration = identity.get("Expiration")
        if expiration is not None and expiration <= datetime.now(UTC):
            raise _token_error(service, protocol, True)

    @staticmethod
    def _context_values(context, params: dict, identity: dict | None) -> dict[str, Any]:
        request = context.request
        values: dict[str, Any] = {
            "aws:SourceIp": request.client_ip,
            "aws:SecureTransport": "true" if request.scheme == "https" else "false",
        }
        agent = request.headers.get("user-agent")
        if agent:
            values["aws:UserAgent"] = agent
        if identity is not None and identity.get("Kind") == "session":
            values["aws:MultiFactorAuthPresent"] = "true" if identity.get("MFA") else "false"
            values["aws:TokenIssueTime"] = iso_seconds(identity["CreateDate"])
            if identity.get("MFA") and identity.get("MFAAuthTime"):
                values["aws:MultiFactorAuthAge"] = str(int(time.time() - identity["MFAAuthTime"].timestamp()))
            if identity.get("SourceIdentity"):
                values["aws:SourceIdentity"] = identity["SourceIdentity"]
        tags = _tags(params)
        if tags:
            for key, value in tags.items():
                values[f"aws:RequestTag/{key}"] = value
            values["aws:TagKeys"] = list(tags)
        if context.service == "s3":
            for member, key in (
                ("Prefix", "s3:prefix"),
                ("Delimiter", "s3:delimiter"),
                ("MaxKeys", "s3:max-keys"),
                ("ACL", "s3:x-amz-acl"),
                ("ServerSideEncryption", "s3:x-amz-server-side-encryption"),
            ):
                if params.get(member) is not None:
                    values[key] = str(params[member])
        return values

    def _resource(
        self, provider: BaseProvider | None, service: str, resource: str
    ) -> tuple[policy.Policy | None, str | None]:
        """The resource's policy and owning account, as its service tells them."""
        if provider is None:
            return None, arn_account(resource)
        owner = provider.resource_owner(resource)
        if resource == "*":
            return None, owner
        text = provider.resource_policy(resource)
        if isinstance(text, dict):
            text = json.dumps(text)
        return (_resource_policy(text) if text else None), owner

    def _denied(
        self,
        context,
        principal: policy.Principal,
        action: str,
        resource: str,
        decision: policy.Decision,
        foreign: bool = False,
    ) -> ServiceError:
        service = context.service
        if service == "s3" and (principal.kind == policy.ANONYMOUS or foreign):
            # S3 explains a denial only to a principal of the bucket owner's account.
            return ServiceError("AccessDenied", "Access Denied", 403)
        code, status = DENIALS.get(service) or (
            ("AccessDeniedException", 400) if context.protocol in _JSON_PROTOCOLS else ("AccessDenied", 403)
        )
        shown = f'"{resource}"' if service == "s3" else resource
        subject = "anonymous" if principal.kind == policy.ANONYMOUS else principal.arn
        if decision.decision == policy.EXPLICIT_DENY:
            reason = _EXPLICIT.get(decision.denied_by, _EXPLICIT["identity"])
        else:
            reason = _IMPLICIT.get(decision.denied_by, _IMPLICIT["identity"]).format(action=action)
        where = "" if resource == "*" else f" on resource: {shown}"
        shown_action = action.replace("sns:", "SNS:", 1) if service == "sns" else action
        message = f"User: {subject} is not authorized to perform: {shown_action}{where} {reason}"
        if service == "ec2":
            sts = self.runtime.provider("sts")
            encoded = sts.encode_authorization_message(
                {
                    "allowed": False,
                    "explicitDeny": decision.decision == policy.EXPLICIT_DENY,
                    "matchedStatements": {
                        "items": [{"statementId": m.sid or "", "effect": m.effect} for m in decision.matched]
                    },
                    "failures": {"items": []},
                    "context": {
                        "principal": {"id": principal.user_id, "arn": principal.arn},
                        "action": action,
                        "resource": resource,
                        "conditions": {"items": []},
                    },
                }
            )
            message = f"You are not authorized to perform this operation. {message}. Encoded authorization failure message: {encoded}"
        return ServiceError(code, message, status)
