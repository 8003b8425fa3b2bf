"""Bucket policies: validation with PutBucketPolicy's own messages, whether a policy is
public, and the decision for an unsigned request, which the IAM policy engine
(overcast.policy) makes."""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from typing import Any

from overcast import policy as iam
from overcast.common import jsontext
from overcast.services.s3.configstore import s3_error

ALLOW, DENY = "Allow", "Deny"

#: IAM action names for S3 that are not operation names.
_EXTRA_ACTIONS = {
    "ListBucket",
    "ListBucketVersions",
    "ListBucketMultipartUploads",
    "ListMultipartUploadParts",
    "ListAllMyBuckets",
    "GetObjectVersion",
    "GetObjectVersionAcl",
    "GetObjectVersionTagging",
    "GetObjectVersionAttributes",
    "GetObjectVersionForReplication",
    "GetObjectVersionTorrent",
    "DeleteObjectVersion",
    "DeleteObjectVersionTagging",
    "PutObjectVersionAcl",
    "PutObjectVersionTagging",
    "AbortMultipartUpload",
    "RestoreObject",
    "GetBucketObjectLockConfiguration",
    "PutBucketObjectLockConfiguration",
    "GetLifecycleConfiguration",
    "PutLifecycleConfiguration",
    "GetEncryptionConfiguration",
    "PutEncryptionConfiguration",
    "GetBucketNotification",
    "PutBucketNotification",
    "GetReplicationConfiguration",
    "PutReplicationConfiguration",
    "DeleteBucketPolicy",
    "GetAccelerateConfiguration",
    "PutAccelerateConfiguration",
    "GetAnalyticsConfiguration",
    "PutAnalyticsConfiguration",
    "GetInventoryConfiguration",
    "PutInventoryConfiguration",
    "GetMetricsConfiguration",
    "PutMetricsConfiguration",
    "GetIntelligentTieringConfiguration",
    "PutIntelligentTieringConfiguration",
    "GetBucketPublicAccessBlock",
    "PutBucketPublicAccessBlock",
    "BypassGovernanceRetention",
    "ObjectOwnerOverrideToBucketOwner",
    "ReplicateObject",
    "ReplicateDelete",
    "ReplicateTags",
    "PutBucketVersioning",
    "GetBucketVersioning",
    "GetBucketCORS",
    "PutBucketCORS",
    "GetBucketWebsite",
    "PutBucketWebsite",
    "DeleteBucketWebsite",
    "GetBucketLogging",
    "PutBucketLogging",
    "GetBucketRequestPayment",
    "PutBucketRequestPayment",
}

#: Operations whose IAM action is not the operation's own name.
OPERATION_ACTIONS = {
    "HeadObject": "GetObject",
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListParts": "ListMultipartUploadParts",
    "ListBuckets": "ListAllMyBuckets",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "UploadPartCopy": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "CopyObject": "PutObject",
    "DeleteObjects": "DeleteObject",
    "GetObjectAttributes": "GetObject",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "GetBucketCors": "GetBucketCORS",
    "PutBucketCors": "PutBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "DeleteBucketTagging": "PutBucketTagging",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
}

#: Actions on objects (their resource is arn:...:bucket/key); every other action is the bucket's.
_OBJECT_ACTION = re.compile(r"Object|MultipartUpload|^Replicate|^RestoreObject|^BypassGovernance")


@lru_cache(maxsize=1)
def known_actions() -> frozenset[str]:
    from overcast.protocols import service_model

    # Operations named after another action (HeadObject is s3:GetObject) are no actions.
    renamed = set(OPERATION_ACTIONS) - {"GetObjectAttributes"}
    names = (set(service_model("s3").operation_names) - renamed) | _EXTRA_ACTIONS
    return frozenset(name.lower() for name in names)


def action_for(operation: str) -> str:
    return "s3:" + OPERATION_ACTIONS.get(operation, operation)


def is_object_action(action: str) -> bool:
    name = action.split(":", 1)[-1]
    if name in ("ListBucket", "ListBucketVersions", "ListBucketMultipartUploads", "ListAllMyBuckets"):
        return False
    return bool(_OBJECT_ACTION.search(name))


# -- validation ---------------------------------------------------------------------------------

_STATEMENT_FIELDS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
_CONDITION_OPERATOR = re.compile(
    r"^(?:ForAnyValue:|ForAllValues:)?(String(?:Not)?Equals(?:IgnoreCase)?|String(?:Not)?Like|"
    r"Numeric(?:Not)?Equals|Numeric(?:LessThan|GreaterThan)(?:Equals)?|Date(?:Not)?Equals|"
    r"Date(?:LessThan|GreaterThan)(?:Equals)?|Bool|BinaryEquals|(?:Not)?IpAddress|"
    r"Arn(?:Not)?(?:Equals|Like))(?:IfExists)?$|^Null$"
)


def malformed(message: str):
    return s3_error("MalformedPolicy", message, 400)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def parse_policy(text: str, bucket: str, partition: str) -> dict:
    """The policy document, or MalformedPolicy with the message S3 gives."""
    if not text.lstrip().startswith("{"):
        raise malformed("Policies must be valid JSON and the first byte must be '{'")
    try:
        document = jsontext.loads(text)
    except ValueError:
        raise malformed("This policy contains invalid Json") from None
    if not isinstance(document, dict):
        raise malformed("This policy contains invalid Json")
    for name in document:
        if name not in ("Version", "Id", "Statement"):
            raise malformed(f"Unknown field {name}")
    if "Version" in document and document["Version"] not in ("2012-10-17", "2008-10-17"):
        raise malformed("The policy must contain a valid version string")
    if "Statement" not in document:
        raise malformed("Missing required field Statement")
    statements = _as_list(document["Statement"])
    if not statements:
        raise malformed("Could not parse the policy: Statement is empty!")
    for statement in statements:
        _check_statement(statement, bucket, partition)
    try:
        engine_policy(text)
    except iam.MalformedPolicy as error:
        raise malformed(str(error)) from None
    return document


def _check_statement(statement: Any, bucket: str, partition: str) -> None:
    if not isinstance(statement, dict):
        raise malformed("This policy contains invalid Json")
    for name in statement:
        if name not in _STATEMENT_FIELDS:
            raise malformed(f"Unknown field {name}")
    effect = statement.get("Effect")
    if effect is None:
        raise malformed("Missing required field Effect")
    if effect not in (ALLOW, DENY):
        raise malformed(f"Invalid effect: {effect}")
    if "Principal" not in statement and "NotPrincipal" not in statement:
        raise malformed("Missing required field Principal")
    _check_principal(statement.get("Principal", statement.get("NotPrincipal")))
    if "Action" not in statement and "NotAction" not in statement:
        raise malformed("Missing required field Action")
    if "Resource" not in statement and "NotResource" not in statement:
        raise malformed("Missing required field Resource")
    actions = _as_list(statement.get("Action", statement.get("NotAction")))
    for action in actions:
        if not isinstance(action, str) or not _valid_action(action):
            raise malformed("Policy has invalid action")
    resources = _as_list(statement.get("Resource", statement.get("NotResource")))
    prefix = f"arn:{partition}:s3:::"
    for resource in resources:
        if not isinstance(resource, str) or resource == "*":
            if resource == "*":
                continue
            raise malformed("Policy has invalid resource")
        if not resource.startswith(prefix) or not fnmatch.fnmatchcase(
            bucket, resource[len(prefix) :].split("/")[0]
        ):
            raise malformed("Policy has invalid resource")
    if "Action" in statement and "Resource" in statement and not _applies(actions, resources, prefix):
        raise malformed("Action does not apply to any resource(s) in statement")
    condition = statement.get("Condition")
    if condition is not None:
        if not isinstance(condition, dict):
            raise malformed("This policy contains invalid Json")
        for operator, block in condition.items():
            if not _CONDITION_OPERATOR.match(operator):
                raise malformed(f"Invalid Condition type : {operator}")
            if not isinstance(block, dict):
                raise malformed("This policy contains invalid Json")


def _valid_action(action: str) -> bool:
    if action == "*":
        return True
    service, _, name = action.partition(":")
    if service.lower() != "s3" or not name:
        return False
    if "*" in name or "?" in name:
        return bool(re.fullmatch(r"[A-Za-z*?]+", name))
    return name.lower() in known_actions()


def _applies(actions: list, resources: list, prefix: str) -> bool:
    for resource in resources:
        if resource == "*":
            return True
        on_object = "/" in resource[len(prefix) :]
        for action in actions:
            if action == "*" or "*" in action or "?" in action:
                return True
            if is_object_action(action) == on_object:
                return True
    return False


def _check_principal(principal: Any) -> None:
    if principal == "*":
        return
    if not isinstance(principal, dict) or not principal:
        raise malformed("Invalid principal in policy")
    for kind, values in principal.items():
        if kind not in ("AWS", "Service", "CanonicalUser", "Federated"):
            raise malformed("Invalid principal in policy")
        for value in _as_list(values):
            if not isinstance(value, str) or not value:
                raise malformed("Invalid principal in policy")
            if (
                kind == "AWS"
                and value != "*"
                and not (
                    re.fullmatch(r"\d{12}", value)
                    or re.fullmatch(r"arn:[a-z-]+:(iam|sts)::(\d{12}|aws):.+", value)
                )
            ):
                raise malformed("Invalid principal in policy")


# -- evaluation ---------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def engine_policy(text: str) -> iam.Policy:
    """The policy engine's parsed form of a stored bucket policy (parsed once per text)."""
    return iam.parse(text, iam.RESOURCE, policy_id="bucket-policy")


def decide_anonymous(
    text: str, action: str, resource: str, account: str, region: str, keys: dict[str, Any]
) -> str | None:
    """ALLOW, DENY, or None (no statement applies) for an unsigned caller, by the IAM policy
    engine's evaluation of the bucket policy."""
    if "Condition" not in text and "${" not in text:
        # Without conditions or variables the answer depends on nothing but these: a static
        # site's few hot keys are decided once.
        return _decide_unconditional(text, action, resource, account, region)
    return _decide(text, action, resource, account, region, keys)


@lru_cache(maxsize=4096)
def _decide_unconditional(text: str, action: str, resource: str, account: str, region: str) -> str | None:
    return _decide(text, action, resource, account, region, {})


def _decide(
    text: str, action: str, resource: str, account: str, region: str, keys: dict[str, Any]
) -> str | None:
    request = iam.AuthorizationRequest(
        iam.Principal.anonymous(), action, resource, resource_account=account, context=keys, region=region
    )
    decision = iam.evaluate(request, resource_policy=engine_policy(text))
    if decision.decision == iam.EXPLICIT_DENY:
        return DENY
    return ALLOW if decision.allowed else None


#: Condition keys that pin a statement to known callers, so a "*" principal is not public.
_RESTRICTING_KEYS = {
    "aws:sourceip",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:principalarn",
    "aws:userid",
    "aws:principalorgpaths",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
}


def is_public(document: dict) -> bool:
    """Whether the policy grants access to anyone (AWS's "public" test, simplified to its core:
    an Allow to a wildcard principal that no restricting condition key pins down)."""
    for statement in _as_list(document.get("Statement", [])):
        if statement.get("Effect") != ALLOW:
            continue
        principal = statement.get("Principal")
        wildcard = principal == "*" or (
            isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", []))
        )
        if not wildcard:
            continue
        keys = {key.lower() for block in (statement.get("Condition") or {}).values() for key in block}
        if not keys & _RESTRICTING_KEYS:
            return True
    return False
