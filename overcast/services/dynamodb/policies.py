"""Resource-based policies of DynamoDB tables and their streams (Put/Get/DeleteResourcePolicy),
with AWS's revision checks, and the `resource_policy` hook IAM enforcement reads them through
(an index's ARN answers its table's policy). Mixed into the Provider."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from overcast.common import jsontext
from overcast.common.arns import parse_arn
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.dynamodb.tables import table_not_found
from overcast.services.dynamodb.values import validation
from overcast.store import scope as make_scope

if TYPE_CHECKING:
    from overcast.services.dynamodb.provider import Provider

#: The revision a put expects when it means "there is no policy yet".
NO_POLICY = "NO_POLICY"
#: AWS's limit on a resource-based policy's size.
MAX_POLICY_BYTES = 20 * 1024
PREFIX = "Resource-based policy not found for the provided ResourceArn: "


def policy_not_found(detail: str) -> ServiceError:
    return ServiceError("PolicyNotFoundException", PREFIX + detail, 400)


def _split(arn: str) -> tuple[str, bool] | None:
    """(table name, whether the ARN is the table's stream) of a table, index or stream ARN."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "dynamodb" or not parsed.resource.startswith("table/"):
        return None
    parts = parsed.resource.split("/")
    return parts[1], len(parts) > 2 and parts[2] == "stream"


class PoliciesMixin:
    def _policy_target(self: Provider, context: RequestContext, arn: str) -> tuple[str, dict, str]:  # type: ignore[misc]
        """(scope, table record, record field) of the resource a policy operation names."""
        split = _split(arn)
        if split is None:
            raise validation(f"Invalid ResourceArn provided as input {arn}")
        name, is_stream = split
        parsed = parse_arn(arn)
        scope = make_scope(context.account, context.region)
        same_place = parsed is not None and (parsed.account, parsed.region) == (
            context.account,
            context.region,
        )
        record = self._tables.get(scope, name) if same_place else None
        if record is None:
            raise table_not_found(name)
        if is_stream:
            stream = record.get("stream")
            if not stream or stream["arn"] != arn:
                raise ServiceError(
                    "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found", 400
                )
            return scope, record, "stream_policy"
        return scope, record, "policy"

    def _check_revision(self: Provider, record: dict, current: dict | None, expected: str | None) -> None:  # type: ignore[misc]
        name = record["TableName"]
        if expected is None:
            return
        if expected == NO_POLICY:
            if current is not None:
                raise policy_not_found(
                    f"Requested policy update expecting none to be present for table {name}, but a policy"
                    f" exists with revision id {current['revision']}."
                )
            return
        if current is None or current["revision"] != expected:
            raise policy_not_found(
                f"Requested update for policy with revision id {expected}, but the policy associated to"
                f" target table {name} has revision id {current['revision'] if current else None}."
            )

    def _policy_entry(self: Provider, text: str, current: dict | None) -> dict:  # type: ignore[misc]
        """A checked policy document as stored, with its revision id: the time of the change in
        milliseconds, as AWS's (so later revisions compare greater)."""
        if len(text.encode()) > MAX_POLICY_BYTES:
            raise ServiceError(
                "LimitExceededException",
                f"Policy document size exceeds the maximum allowed size of {MAX_POLICY_BYTES} bytes",
                400,
            )
        try:
            document = jsontext.loads(text)
        except ValueError:
            raise validation("Invalid policy document: the document is not valid JSON") from None
        if not isinstance(document, dict) or not document.get("Statement"):
            raise validation("Invalid policy document: the document has no Statement")
        revision = str(max(int(time.time() * 1000), int(current["revision"]) + 1 if current else 0))
        return {"text": text, "document": document, "revision": revision}

    def put_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, record, field = self._policy_target(context, params["ResourceArn"])
        current = record.get(field)
        entry = self._policy_entry(params["Policy"], current)
        self._check_revision(record, current, params.get("ExpectedRevisionId"))
        if current is not None and current["document"] == entry["document"]:
            return {"RevisionId": current["revision"]}  # the same policy again changes nothing
        self._save(scope, {**record, field: entry})
        return {"RevisionId": entry["revision"]}

    def get_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        _scope, record, field = self._policy_target(context, params["ResourceArn"])
        current = record.get(field)
        if current is None:
            raise policy_not_found(params["ResourceArn"])
        return {"Policy": current["text"], "RevisionId": current["revision"]}

    def delete_resource_policy(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope, record, field = self._policy_target(context, params["ResourceArn"])
        current = record.get(field)
        expected = params.get("ExpectedRevisionId")
        if current is None:
            if expected is not None:
                self._check_revision(record, None, expected)
            raise policy_not_found(params["ResourceArn"])
        self._check_revision(record, current, expected)
        updated = dict(record)
        del updated[field]
        self._save(scope, updated)
        return {"RevisionId": current["revision"]}

    # -- IAM enforcement ------------------------------------------------------------------------

    def resource_policy(self: Provider, arn: str) -> str | None:  # type: ignore[misc]
        """The policy of the table (or its stream) an ARN names, for IAM's evaluation."""
        split = _split(arn)
        parsed = parse_arn(arn)
        if split is None or parsed is None:
            return None
        name, is_stream = split
        record = self._tables.get(make_scope(parsed.account, parsed.region), name)
        if record is None:
            return None
        current = record.get("stream_policy" if is_stream else "policy")
        return current["text"] if current else None
