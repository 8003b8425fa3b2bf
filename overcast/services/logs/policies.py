"""Policies: resource policies (who may deliver to Logs), account policies, and a group's data
protection and field index policies, with the field indexes those declare.

Tables (scope = account/region):
  resource_policies     name → resource policy (account-scoped) | ARN → policy on one resource
  account_policies      type SEP name → account policy
  data_protection       group → {policyDocument, lastUpdatedTime}
  index_policies        group → {policyDocument, lastUpdateTime}
"""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from overcast.common import jsontext
from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError

from .masking import Masker, masker
from .patterns import PatternError, compile_pattern
from .shared import SEP, bad_token, group_name_of, invalid, not_found, now_ms
from .transform import ConfigError, check_config

if TYPE_CHECKING:
    from overcast.store import Table

    from .provider import Provider

#: Account-scoped resource policies a region holds, as AWS's quota says.
MAX_RESOURCE_POLICIES = 10
#: How many account policies of each type an account may have (AWS's quotas).
_ACCOUNT_POLICY_LIMITS = {
    "DATA_PROTECTION_POLICY": 1,
    "SUBSCRIPTION_FILTER_POLICY": 1,
    "FIELD_INDEX_POLICY": 40,
    "TRANSFORMER_POLICY": 20,
    "METRIC_EXTRACTION_POLICY": 5,
    "RETENTION_POLICY": 1,
}
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _limit_exceeded() -> ServiceError:
    return ServiceError("LimitExceededException", "Resource limit exceeded.", 400)


def _json_document(text: str, what: str) -> Any:
    try:
        return jsontext.loads(text)
    except ValueError:
        raise invalid(f"{what} is not a valid JSON document.") from None


def selects(criteria: str | None, group: str) -> bool:
    """Whether an account policy's selectionCriteria covers a group: `LogGroupName NOT IN [...]`
    excludes names, `LogGroupNamePrefix IN [...]` selects by prefix; none selects every group."""
    if not criteria:
        return True
    values = _QUOTED.findall(criteria)
    if criteria.lstrip().startswith("LogGroupNamePrefix"):
        return any(group.startswith(prefix) for prefix in values)
    if "NOT IN" in criteria:
        return group not in values
    return group in values


def _check_data_protection(document: Any) -> None:
    """AWS's shape for a data protection policy: two statements over data identifiers, the
    first auditing (Operation.Audit), the second masking (Operation.Deidentify)."""
    statements = document.get("Statement") if isinstance(document, dict) else None
    if not isinstance(statements, list) or len(statements) != 2:
        raise invalid("A data protection policy must contain exactly two statements: Audit, then Deidentify.")
    for statement, operation in zip(statements, ("Audit", "Deidentify"), strict=True):
        if not isinstance(statement, dict) or not statement.get("DataIdentifier"):
            raise invalid("DataIdentifier is required in every statement of a data protection policy.")
        if operation not in (statement.get("Operation") or {}):
            raise invalid(
                f"The data protection policy's {operation} statement is missing its {operation} operation."
            )


def _check_subscription_document(document: Any) -> None:
    if not isinstance(document, dict) or not isinstance(document.get("DestinationArn"), str):
        raise invalid("A subscription filter policy must name a DestinationArn.")
    try:
        compile_pattern(document.get("FilterPattern"))
    except PatternError as error:
        raise invalid(str(error) or "Invalid filter pattern") from None


def _check_transformer_document(document: Any) -> None:
    config = document.get("transformerConfig") if isinstance(document, dict) else None
    if not isinstance(config, list):
        raise invalid("A transformer policy must have a transformerConfig list.")
    try:
        check_config(config)
    except ConfigError as error:
        raise invalid(str(error)) from None


def _index_fields(document_text: str) -> list[str]:
    document = _json_document(document_text, "Policy document")
    fields = document.get("Fields") if isinstance(document, dict) else None
    if not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields):
        raise invalid("Index policy document must have a list of Fields.")
    return fields


class Policies:
    @property
    def resource_policies(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "resource_policies")

    @property
    def account_policies(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "account_policies")

    @property
    def data_protection(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "data_protection")

    @property
    def index_policies(self: Provider) -> Table:  # type: ignore[misc]
        return self.store.table("logs", "index_policies")

    # -- resource policies -------------------------------------------------------------------

    def put_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name, arn = params.get("policyName"), params.get("resourceArn")
        document = params.get("policyDocument")
        if not document:
            raise invalid("policyDocument is required.")
        _json_document(document, "Policy document")
        if arn:
            if ":log-group:" in arn:
                self._group(scope, group_name_of(arn))  # a policy on a group needs the group
            key = arn
            existing = self.resource_policies.get(scope, key)
            expected = params.get("expectedRevisionId")
            if existing and expected and existing.get("revisionId") != expected:
                raise ServiceError(
                    "OperationAbortedException",
                    "The revision ID does not match the policy's current revision.",
                    400,
                )
            record = {
                "policyDocument": document,
                "lastUpdatedTime": now_ms(),
                "policyScope": "RESOURCE",
                "resourceArn": arn,
                "revisionId": uuid.uuid4().hex,
            }
            if name:
                record["policyName"] = name
        else:
            if not name:
                raise invalid("policyName is required for an account-scoped resource policy.")
            key = name
            existing = self.resource_policies.get(scope, key)
            account_scoped = [
                k for k, p in self.resource_policies.scan(scope) if p["policyScope"] == "ACCOUNT"
            ]
            if existing is None and len(account_scoped) >= MAX_RESOURCE_POLICIES:
                raise _limit_exceeded()
            record = {
                "policyName": name,
                "policyDocument": document,
                "lastUpdatedTime": now_ms(),
                "policyScope": "ACCOUNT",
            }
        self.resource_policies.put(scope, key, record)
        out: dict[str, Any] = {"resourcePolicy": record}
        if "revisionId" in record:
            out["revisionId"] = record["revisionId"]
        return out

    def describe_resource_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        arn, wanted_scope = params.get("resourceArn"), params.get("policyScope")
        found = [
            policy
            for _, policy in self.resource_policies.scan(scope)
            if (not arn or policy.get("resourceArn") == arn)
            and (not wanted_scope or policy["policyScope"] == wanted_scope)
        ]
        return paginate_list(
            self.store, "logs", "DescribeResourcePolicies", params, found, bad_token=bad_token,
            default_limit=50, bind=f"{arn}{SEP}{wanted_scope}",
        )  # fmt: skip

    def delete_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        name, arn = params.get("policyName"), params.get("resourceArn")
        key = arn or name
        if not key:
            raise invalid("Either policyName or resourceArn is required.")
        existing = self.resource_policies.get(scope, key)
        if existing is None:
            raise not_found(f"Policy with name [{key}] does not exist.")
        expected = params.get("expectedRevisionId")
        if expected and existing.get("revisionId") != expected:
            raise ServiceError(
                "OperationAbortedException",
                "The revision ID does not match the policy's current revision.",
                400,
            )
        self.resource_policies.delete(scope, key)
        return {}

    # -- account policies --------------------------------------------------------------------

    def put_account_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        kind, name = params["policyType"], params["policyName"]
        document = params["policyDocument"]
        parsed = _json_document(document, "Policy document")
        if kind == "DATA_PROTECTION_POLICY":
            _check_data_protection(parsed)
        elif kind == "FIELD_INDEX_POLICY":
            _index_fields(document)
        elif kind == "SUBSCRIPTION_FILTER_POLICY":
            _check_subscription_document(parsed)
        elif kind == "TRANSFORMER_POLICY":
            _check_transformer_document(parsed)
        key = kind + SEP + name
        existing = self.account_policies.get(scope, key)
        if (
            existing is None
            and self.account_policies.count(scope, kind + SEP) >= _ACCOUNT_POLICY_LIMITS[kind]
        ):
            raise _limit_exceeded()
        record = {
            "policyName": name,
            "policyDocument": document,
            "lastUpdatedTime": now_ms(),
            "policyType": kind,
            "scope": params.get("scope") or "ALL",
            "accountId": context.account,
        }
        if params.get("selectionCriteria"):
            record["selectionCriteria"] = params["selectionCriteria"]
        if not params.get("dryRun"):
            self.account_policies.put(scope, key, record)
        return {"accountPolicy": record}

    def describe_account_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        kind, name = params["policyType"], params.get("policyName")
        accounts = params.get("accountIdentifiers")
        if accounts and context.account not in accounts:
            return {"accountPolicies": []}
        found = [
            p
            for _, p in self.account_policies.scan(scope, prefix=kind + SEP)
            if not name or p["policyName"] == name
        ]
        return {"accountPolicies": found}

    def delete_account_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        key = params["policyType"] + SEP + params["policyName"]
        if self.account_policies.get(scope, key) is None:
            raise not_found("Policy with name [" + params["policyName"] + "] does not exist.")
        if not params.get("dryRun"):
            self.account_policies.delete(scope, key)
        return {}

    # -- data protection -------------------------------------------------------------------

    def put_data_protection_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        identifier = params["logGroupIdentifier"]
        group = self._group(scope, group_name_of(identifier))
        _check_data_protection(_json_document(params["policyDocument"], "Policy document"))
        record = {"policyDocument": params["policyDocument"], "lastUpdatedTime": now_ms()}
        with self.store.transaction():
            self.data_protection.put(scope, group["logGroupName"], record)
            group["dataProtectionStatus"] = "ACTIVATED"
            self.groups.put(scope, group["logGroupName"], group)
        return {"logGroupIdentifier": identifier, **record}

    def get_data_protection_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        identifier = params["logGroupIdentifier"]
        group = self._group(scope, group_name_of(identifier))
        record = self.data_protection.get(scope, group["logGroupName"]) or {}
        return {"logGroupIdentifier": identifier, **record}

    def delete_data_protection_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        group = self._group(scope, group_name_of(params["logGroupIdentifier"]))
        with self.store.transaction():
            if not self.data_protection.delete(scope, group["logGroupName"]):
                raise not_found("The specified log group does not have a data protection policy.")
            group["dataProtectionStatus"] = "DELETED"
            self.groups.put(scope, group["logGroupName"], group)
        return {}

    # -- field indexes -----------------------------------------------------------------------

    def _index_policy_of(self: Provider, scope: str, group: str, identifier: str) -> dict | None:  # type: ignore[misc]
        own = self.index_policies.get(scope, group)
        if own is not None:
            return {"logGroupIdentifier": identifier, **own, "source": "LOG_GROUP"}
        for _, policy in self.account_policies.scan(scope, prefix="FIELD_INDEX_POLICY" + SEP):
            if selects(policy.get("selectionCriteria"), group):
                return {
                    "logGroupIdentifier": identifier,
                    "lastUpdateTime": policy["lastUpdatedTime"],
                    "policyDocument": policy["policyDocument"],
                    "policyName": policy["policyName"],
                    "source": "ACCOUNT",
                }
        return None

    def indexed_fields(self: Provider, scope: str, group: str) -> list[str]:  # type: ignore[misc]
        """The fields a group's index policy (its own, else the account's) indexes."""
        policy = self._index_policy_of(scope, group, group)
        return _index_fields(policy["policyDocument"]) if policy else []

    def put_index_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        identifier = params["logGroupIdentifier"]
        group = self._group(scope, group_name_of(identifier))
        _index_fields(params["policyDocument"])
        record = {"lastUpdateTime": now_ms(), "policyDocument": params["policyDocument"]}
        self.index_policies.put(scope, group["logGroupName"], record)
        return {"indexPolicy": {"logGroupIdentifier": identifier, **record, "source": "LOG_GROUP"}}

    def describe_index_policies(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        found = []
        for identifier in params["logGroupIdentifiers"]:
            group = self._group(scope, group_name_of(identifier))
            policy = self._index_policy_of(scope, group["logGroupName"], identifier)
            if policy is not None:
                found.append(policy)
        return {"indexPolicies": found}

    def delete_index_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        group = self._group(scope, group_name_of(params["logGroupIdentifier"]))
        if not self.index_policies.delete(scope, group["logGroupName"]):
            raise not_found("The specified log group does not have an index policy.")
        return {}

    def describe_field_indexes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self._scope(context)
        categories = set(params.get("indexCategories") or ())
        found = []
        for identifier in params["logGroupIdentifiers"]:
            group = self._group(scope, group_name_of(identifier))
            if categories and "CUSTOM" not in categories:
                continue
            for field in self.indexed_fields(scope, group["logGroupName"]):
                found.append(
                    {
                        "logGroupIdentifier": identifier,
                        "fieldIndexName": field,
                        "type": "FIELD_INDEX",
                        "indexCategory": "CUSTOM",
                    }
                )
        return {"fieldIndexes": found}

    def account_subscriptions(self: Provider, scope: str, group: str) -> list[dict]:  # type: ignore[misc]
        """The account's subscription filter policies that select a group, shaped as the group's
        own subscription filters are."""
        found = []
        for _, policy in self.account_policies.scan(scope, prefix="SUBSCRIPTION_FILTER_POLICY" + SEP):
            if not selects(policy.get("selectionCriteria"), group):
                continue
            document = json.loads(policy["policyDocument"])
            found.append(
                {
                    "filterName": policy["policyName"],
                    "filterPattern": document.get("FilterPattern") or "",
                    "destinationArn": document["DestinationArn"],
                }
            )
        return found

    def masker_for(self: Provider, scope: str, group: str) -> Masker | None:  # type: ignore[misc]
        """The masking a group's data protection policy (its own, else the account's) applies."""
        own = self.data_protection.get(scope, group)
        if own is not None:
            return masker(own["policyDocument"])
        for _, policy in self.account_policies.scan(scope, prefix="DATA_PROTECTION_POLICY" + SEP):
            if selects(policy.get("selectionCriteria"), group):
                return masker(policy["policyDocument"])
        return None

    def drop_group_policies(self: Provider, scope: str, group: str) -> None:  # type: ignore[misc]
        """A deleted group's own policies go with it."""
        self.data_protection.delete(scope, group)
        self.index_policies.delete(scope, group)
        for key, policy in list(self.resource_policies.scan(scope, prefix="arn:")):
            arn = policy.get("resourceArn", "")
            if ":log-group:" in arn and group_name_of(arn) == group:
                self.resource_policies.delete(scope, key)
