"""The IAM policy engine: parse and validate policy documents, and decide requests the way AWS
documents. Standalone (no service imports), so any service can authorize against it:

    from overcast import policy
    bucket_policy = policy.parse(text, policy.RESOURCE, policy_id="bucket-policy")
    decision = policy.evaluate(
        policy.AuthorizationRequest(policy.Principal.anonymous(), "s3:GetObject", object_arn),
        resource_policy=bucket_policy,
    )
    decision.allowed, decision.decision, decision.matched
"""

from overcast.policy.document import (
    IDENTITY,
    RESOURCE,
    TRUST,
    MalformedPolicy,
    Policy,
    Statement,
    parse,
)
from overcast.policy.evaluate import (
    ALLOWED,
    ANONYMOUS,
    ASSUMED_ROLE,
    EXPLICIT_DENY,
    FEDERATED_USER,
    IMPLICIT_DENY,
    ROOT,
    SERVICE,
    USER,
    WEB_IDENTITY,
    AuthorizationRequest,
    Decision,
    MatchedStatement,
    Principal,
    evaluate,
)

__all__ = [
    "ALLOWED",
    "ANONYMOUS",
    "ASSUMED_ROLE",
    "EXPLICIT_DENY",
    "FEDERATED_USER",
    "IDENTITY",
    "IMPLICIT_DENY",
    "RESOURCE",
    "ROOT",
    "SERVICE",
    "TRUST",
    "USER",
    "WEB_IDENTITY",
    "AuthorizationRequest",
    "Decision",
    "MalformedPolicy",
    "MatchedStatement",
    "Policy",
    "Principal",
    "Statement",
    "evaluate",
    "parse",
]
