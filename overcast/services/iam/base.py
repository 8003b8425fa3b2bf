"""What every part of the IAM provider shares: the store layout, errors in IAM's words,
pagination, documents on the wire."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from overcast import policy
from overcast.common.arns import build_arn
from overcast.common.pagination import decode_token, encode_token
from overcast.common.tagging import DEFAULT_MESSAGES, MAX_TAGS, TagProblem, TagRules, add_tags, tag_map
from overcast.common.tagging import tag_list as common_tag_list
from overcast.errors import ServiceError
from overcast.services.base import BaseProvider
from overcast.store import scope

#: Access keys and session credentials are looked up by key id alone, whatever the account.
GLOBAL = "global"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def no_such_entity(message: str) -> ServiceError:
    return ServiceError("NoSuchEntity", message, 404)


def already_exists(message: str) -> ServiceError:
    return ServiceError("EntityAlreadyExists", message, 409)


def delete_conflict(message: str) -> ServiceError:
    return ServiceError("DeleteConflict", message, 409)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceeded", message, 409)


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInput", message, 400)


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


def malformed(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocument", message, 400)


def encode_document(text: str) -> str:
    """IAM returns policy documents URL-encoded (RFC 3986); the SDKs decode them."""
    return quote(text, safe="")


def parse_document(
    text: str, kind: str = policy.IDENTITY, limit: int | None = None, what: str = ""
) -> policy.Policy:
    if limit is not None and len("".join(text.split())) > limit:
        raise limit_exceeded(f"Cannot exceed quota for {what or 'PolicySize'}: {limit}")
    try:
        parsed = policy.parse(text, kind)
    except policy.MalformedPolicy as error:
        raise malformed(str(error)) from None
    # IAM stores no empty policy (resource policies of other services may be empty, so the
    # shared parser allows it), and its permission policies need the 2012-10-17 language
    # (trust policies may still be 2008-10-17, as AWS's older examples are).
    if not parsed.statements:
        raise malformed("Syntax errors in policy.")
    if kind == policy.IDENTITY and parsed.version != "2012-10-17":
        raise malformed("Policy document must be version 2012-10-17 or greater.")
    return parsed


def check_path(path: str | None, name: str = "path") -> str:
    path = path or "/"
    if not (path.startswith("/") and path.endswith("/")):
        raise validation_error(
            f"The specified value for {name} is invalid. It must begin and end with / and contain only "
            "alphanumeric characters and/or / characters."
        )
    return path


def _refuse_tag(problem: TagProblem, key: str) -> ServiceError:
    # Too many is a LimitExceeded (409); every other problem is the caller's InvalidInput.
    if problem is TagProblem.TOO_MANY:
        return limit_exceeded("The number of tags has reached the maximum limit.")
    if problem is TagProblem.DUPLICATE_KEY:
        return invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    return invalid_input(DEFAULT_MESSAGES[problem].format(key=key, limit=MAX_TAGS))


TAG_RULES = TagRules(refuse=_refuse_tag)


def _refuse_case_duplicates(tags: Iterable[dict] | None) -> list[dict]:
    # IAM tag keys are case-insensitive: "a" and "A" in one request are the same key twice.
    tags = list(tags or [])
    keys = [str(t.get("Key", "")).lower() for t in tags]
    if len(set(keys)) != len(keys):
        raise _refuse_tag(TagProblem.DUPLICATE_KEY, "")
    return tags


def tag_list(tags: Iterable[dict] | None) -> list[dict]:
    """The Tags of a Create<X> request, checked, as IAM stores them."""
    return common_tag_list(tag_map(_refuse_case_duplicates(tags), TAG_RULES))


def merge_tags(existing: list[dict], new: list[dict]) -> list[dict]:
    new = _refuse_case_duplicates(new)
    merged = add_tags({t["Key"]: t["Value"] for t in existing}, new, TAG_RULES)
    return common_tag_list(merged)


class IamBase(BaseProvider):
    service = "iam"

    def __init__(self, runtime) -> None:
        super().__init__(runtime)
        self.tables = {
            name: self.store.table("iam", name)
            for name in (
                "users",
                "groups",
                "roles",
                "policies",
                "attachments",
                "instance_profiles",
                "mfa_devices",
                "oidc_providers",
                "saml_providers",
                "account",
                "credentials",
                "server_certificates",
                "features",
                "access_log",
                "preview",
            )
        }
        #: Bumped on every IAM write, so caches of parsed policies know when to refresh.
        self.generation = 0

    # -- store helpers ---------------------------------------------------------------------------

    def _get(self, table: str, account: str, key: str) -> Any:
        return self.tables[table].get(scope(account), key.lower())

    def _put(self, table: str, account: str, key: str, value: Any) -> None:
        self.generation += 1
        self.tables[table].put(scope(account), key.lower(), value)

    def _delete(self, table: str, account: str, key: str) -> bool:
        self.generation += 1
        return self.tables[table].delete(scope(account), key.lower())

    def _all(self, table: str, account: str) -> list:
        return [value for _, value in self.tables[table].scan(scope(account))]

    @staticmethod
    def arn(context_or_region: Any, account: str, resource: str, service: str = "iam") -> str:
        region = getattr(context_or_region, "region", context_or_region) or "us-east-1"
        return build_arn(service, region, account, resource, global_service=True)

    def paginate(self, items: list, params: dict, member: str) -> dict:
        """IAM's Marker/MaxItems/IsTruncated pagination over an in-order list: every IAM list
        operation pages the same way (botocore's paginators agree), so the result member is
        all that differs. The marker is an opaque, tamper-checked offset (common.pagination)."""
        start = 0
        marker = params.get("Marker")
        if marker:
            try:
                start = decode_token(self.store, "iam", marker, bind=member)
            except ValueError:
                raise validation_error("Invalid Marker.") from None
            if not isinstance(start, int) or start < 0:
                raise validation_error("Invalid Marker.")
        size = params.get("MaxItems") or 100
        page = items[start : start + size]
        result: dict[str, Any] = {member: page, "IsTruncated": start + size < len(items)}
        if result["IsTruncated"]:
            result["Marker"] = encode_token(self.store, "iam", start + size, bind=member)
        return result

    # -- policy lookups shared by evaluation and the API ----------------------------------------

    def managed_policy(self, account: str, arn: str) -> dict | None:
        """A managed policy record (customer's or AWS's) by ARN, with its default document."""
        from overcast.services.iam.catalog import aws_managed

        parts = arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("policy/"):
            return None
        if parts[4] == "aws":
            return aws_managed().get(arn.replace(f"arn:{parts[1]}:", "arn:aws:", 1))
        if parts[4] != account:
            return None
        record = self._get("policies", account, parts[5].rsplit("/", 1)[-1])
        if record is None or record["Arn"] != arn:
            return None
        return record

    @staticmethod
    def document_of(record: dict, version: str | None = None) -> str:
        version = version or record["DefaultVersionId"]
        if "Versions" in record:
            return record["Versions"][version]["Document"]
        return json.dumps(record["Document"])
