"""Access control lists: canned ACLs, grant headers and AccessControlPolicy documents, as
S3 stores and reports them."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from overcast.services.s3.configstore import invalid_argument, s3_error

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
PUBLIC_GROUPS = (ALL_USERS, AUTHENTICATED_USERS)
PERMISSIONS = ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP")
#: The canonical user id AWS documents for the EC2 "aws-exec-read" grant.
_EC2_READER = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"

BUCKET_CANNED = ("private", "public-read", "public-read-write", "authenticated-read", "log-delivery-write")
OBJECT_CANNED = (
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
)

#: Grant members: the permission each grants, and its header.
_GRANT_HEADERS = {
    "GrantFullControl": ("FULL_CONTROL", "x-amz-grant-full-control"),
    "GrantRead": ("READ", "x-amz-grant-read"),
    "GrantReadACP": ("READ_ACP", "x-amz-grant-read-acp"),
    "GrantWrite": ("WRITE", "x-amz-grant-write"),
    "GrantWriteACP": ("WRITE_ACP", "x-amz-grant-write-acp"),
}
_GRANTEE = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*"?([^",]*)"?\s*(?:,|$)')
#: A canonical user id: 64 lower-case hex digits.
_CANONICAL_ID = re.compile(r"[0-9a-f]{64}")


def malformed_acl() -> Exception:
    return s3_error(
        "MalformedACLError",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


@lru_cache(maxsize=1024)
def canonical_id(account: str) -> str:
    """The account's canonical user id (64 hex digits, stable per account)."""
    return hashlib.sha256(f"overcast-canonical-user/{account}".encode()).hexdigest()


def owner(account: str) -> dict:
    return {"ID": canonical_id(account)}


def _user(user_id: str) -> dict:
    return {"Type": "CanonicalUser", "ID": user_id}


def _group(uri: str) -> dict:
    return {"Type": "Group", "URI": uri}


def canned(acl: str, account: str, bucket_owner: str | None = None) -> list[dict]:
    """The grants of a canned ACL for a resource owned by `account`."""
    grants = [{"Grantee": _user(canonical_id(account)), "Permission": "FULL_CONTROL"}]
    if acl in ("public-read", "public-read-write"):
        grants.append({"Grantee": _group(ALL_USERS), "Permission": "READ"})
    if acl == "public-read-write":
        grants.append({"Grantee": _group(ALL_USERS), "Permission": "WRITE"})
    if acl == "authenticated-read":
        grants.append({"Grantee": _group(AUTHENTICATED_USERS), "Permission": "READ"})
    if acl == "aws-exec-read":
        grants.append({"Grantee": _user(_EC2_READER), "Permission": "READ"})
    if acl == "log-delivery-write":
        grants.append({"Grantee": _group(LOG_DELIVERY), "Permission": "WRITE"})
        grants.append({"Grantee": _group(LOG_DELIVERY), "Permission": "READ_ACP"})
    if acl in ("bucket-owner-read", "bucket-owner-full-control") and bucket_owner and bucket_owner != account:
        permission = "READ" if acl == "bucket-owner-read" else "FULL_CONTROL"
        grants.append({"Grantee": _user(canonical_id(bucket_owner)), "Permission": permission})
    return grants


def grants_from_request(
    params: dict, account: str, allowed_canned: tuple[str, ...], bucket_owner: str | None = None
) -> list[dict] | None:
    """The grants a Put*Acl / PutObject / CreateBucket request asks for, or None if it names
    none. Raises S3's errors for conflicting or invalid input."""
    acl = params.get("ACL")
    headers = {name: params[name] for name in _GRANT_HEADERS if params.get(name)}
    policy = params.get("AccessControlPolicy")
    if acl is not None and headers:
        raise s3_error("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed")
    if (acl is not None or headers) and policy is not None:
        raise s3_error("UnexpectedContent", "This request does not support content")
    if acl is not None:
        if acl not in allowed_canned:
            raise invalid_argument("", "x-amz-acl", acl)
        return canned(acl, account, bucket_owner)
    if headers:
        grants = []
        for name, (permission, header) in _GRANT_HEADERS.items():
            if name in headers:
                for grantee in _parse_grantees(headers[name], header):
                    grants.append({"Grantee": grantee, "Permission": permission})
        return grants
    if policy is not None:
        return _grants_from_policy(policy)
    return None


def _parse_grantees(text: str, header: str) -> list[dict]:
    grantees = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _GRANTEE.match(text, position)
        if match is None or match.end() == position:
            raise invalid_argument("Argument format not recognized", header, text)
        kind, value = match.groups()
        if kind == "id":
            if not _CANONICAL_ID.fullmatch(value):
                raise invalid_argument("Invalid id", "id", value)
            grantees.append(_user(value))
        elif kind == "uri":
            if value not in (ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY):
                raise invalid_argument("Invalid group uri", "uri", value)
            grantees.append(_group(value))
        else:
            raise s3_error(
                "UnresolvableGrantByEmailAddress",
                "The e-mail address you provided does not match any account on record.",
                EmailAddress=value,
            )
        position = match.end()
    return grantees


def _grants_from_policy(policy: dict) -> list[dict]:
    owner_id = (policy.get("Owner") or {}).get("ID")
    if not owner_id:
        raise malformed_acl()
    grants = []
    for grant in policy.get("Grants") or []:
        if grant.get("Permission") not in PERMISSIONS:
            raise malformed_acl()
    if not _CANONICAL_ID.fullmatch(owner_id):
        raise invalid_argument("Invalid id", "CanonicalUser/ID", owner_id)
    for grant in policy.get("Grants") or []:
        grantee = grant.get("Grantee") or {}
        permission = grant["Permission"]
        kind = grantee.get("Type")
        if kind == "CanonicalUser":
            if not _CANONICAL_ID.fullmatch(grantee.get("ID") or ""):
                raise invalid_argument("Invalid id", "CanonicalUser/ID", grantee.get("ID") or "")
            grants.append({"Grantee": _user(grantee["ID"]), "Permission": permission})
        elif kind == "Group":
            if grantee.get("URI") not in (ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY):
                raise invalid_argument("Invalid group uri", "Group/URI", grantee.get("URI") or "")
            grants.append({"Grantee": _group(grantee["URI"]), "Permission": permission})
        elif kind == "AmazonCustomerByEmail":
            raise s3_error(
                "UnresolvableGrantByEmailAddress",
                "The e-mail address you provided does not match any account on record.",
                EmailAddress=grantee.get("EmailAddress") or "",
            )
        else:
            raise malformed_acl()
    return grants


def owner_only(grants: list[dict], account: str) -> bool:
    """Whether the grants give full control to the owner and nothing to anyone else: the one
    ACL a bucket with ACLs disabled accepts."""
    own = canonical_id(account)
    return all(
        grant["Grantee"].get("ID") == own and grant["Permission"] == "FULL_CONTROL" for grant in grants
    )


def is_public(grants: list[dict]) -> bool:
    return any(grant["Grantee"].get("URI") in PUBLIC_GROUPS for grant in grants)


#: action → (whether the object's ACL decides it, else the bucket's; the permission it needs).
PERMISSION_FOR_ACTION: dict[str, tuple[bool, str]] = {
    "s3:ListBucket": (False, "READ"),
    "s3:ListBucketVersions": (False, "READ"),
    "s3:ListBucketMultipartUploads": (False, "READ"),
    "s3:PutObject": (False, "WRITE"),
    "s3:DeleteObject": (False, "WRITE"),
    "s3:GetBucketAcl": (False, "READ_ACP"),
    "s3:PutBucketAcl": (False, "WRITE_ACP"),
    "s3:GetObject": (True, "READ"),
    "s3:GetObjectVersion": (True, "READ"),
    "s3:GetObjectAcl": (True, "READ_ACP"),
    "s3:PutObjectAcl": (True, "WRITE_ACP"),
}


def grants_account(grants: list[dict], permission: str, account: str) -> bool:
    """Whether the grants give a signed caller of `account` the permission: to its canonical
    user id, to authenticated users or to all users."""
    wanted = canonical_id(account)
    return any(
        grant["Permission"] in (permission, "FULL_CONTROL")
        and (grant["Grantee"].get("ID") == wanted or grant["Grantee"].get("URI") in PUBLIC_GROUPS)
        for grant in grants
    )


def allows(grants: list[dict], permission: str, authenticated: bool) -> bool:
    """Whether a public grant (AllUsers, or AuthenticatedUsers for a signed caller) gives the
    permission."""
    groups = PUBLIC_GROUPS if authenticated else (ALL_USERS,)
    return any(
        grant["Grantee"].get("URI") in groups and grant["Permission"] in (permission, "FULL_CONTROL")
        for grant in grants
    )
