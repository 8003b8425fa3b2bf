"""Delegation requests (a partner asks an account for temporary access), their human-readable
summaries, and role templates (AWS-owned: none exists in an Overcast account).

A delegation request moves UNASSIGNED → ASSIGNED (an owner associates it) → PENDING_APPROVAL
(updated) → ACCEPTED or REJECTED → FINALIZED (its token sent). Requests are addressed across
accounts by id, so they are stored outside any account's scope."""

from __future__ import annotations

import secrets
import string
from typing import Any

from overcast.context import RequestContext
from overcast.services.iam.base import GLOBAL, IamBase, invalid_input, no_such_entity, now

#: What each transition may start from.
_FROM = {
    "associate": {"UNASSIGNED"},
    "update": {"ASSIGNED", "PENDING_APPROVAL"},
    "accept": {"ASSIGNED", "PENDING_APPROVAL"},
    "reject": {"ASSIGNED", "PENDING_APPROVAL"},
    "send": {"ACCEPTED"},
}
_SHOWN = (
    "DelegationRequestId",
    "OwnerAccountId",
    "Description",
    "RequestMessage",
    "Permissions",
    "OwnerId",
    "ApproverId",
    "State",
    "RequestorId",
    "CreateDate",
    "SessionDuration",
    "RedirectUrl",
    "Notes",
    "RejectionReason",
    "OnlySendByOwner",
    "UpdatedTime",
)


def _caller(context: RequestContext) -> str:
    return context.principal_arn or f"arn:aws:iam::{context.account}:root"


class DelegationMixin(IamBase):
    def _delegation(self, request_id: str) -> dict:
        record = self.tables["preview"].get(GLOBAL, f"delegation/{request_id}")
        if record is None:
            raise no_such_entity(f"Delegation request {request_id} not found.")
        return record

    def _save_delegation(self, record: dict) -> None:
        record["UpdatedTime"] = now()
        with self.store.transaction():
            self.tables["preview"].put(GLOBAL, f"delegation/{record['DelegationRequestId']}", record)

    def _transition(self, context: RequestContext, request_id: str, step: str) -> dict:
        record = self._delegation(request_id)
        if step != "associate" and record.get("OwnerAccountId") not in (None, context.account):
            raise no_such_entity(f"Delegation request {request_id} not found.")
        if record["State"] not in _FROM[step]:
            raise invalid_input(
                f"Delegation request {request_id} is {record['State']}: it cannot be changed so."
            )
        return record

    def create_delegation_request(self, context: RequestContext, params: dict) -> dict:
        request_id = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(24))
        created = now()
        record: dict[str, Any] = {
            "DelegationRequestId": request_id,
            "State": "UNASSIGNED",
            "RequestorId": context.account,
            "CreateDate": created,
            "UpdatedTime": created,
            **{k: params[k] for k in ("Description", "Permissions", "SessionDuration")},
        }
        for member in ("OwnerAccountId", "RequestMessage", "RedirectUrl", "OnlySendByOwner"):
            if params.get(member) is not None:
                record[member] = params[member]
        # Kept for the requestor, not shown to the owner (GetDelegationRequest has no member for them).
        record["Private"] = {k: params[k] for k in ("RequestorWorkflowId", "NotificationChannel")}
        self._save_delegation(record)
        return {
            "DelegationRequestId": request_id,
            "ConsoleDeepLink": f"https://console.aws.amazon.com/iam/home#/delegation-requests/{request_id}",
        }

    def get_delegation_request(self, context: RequestContext, params: dict) -> dict:
        record = self._delegation(params["DelegationRequestId"])
        if context.account not in (record["RequestorId"], record.get("OwnerAccountId")):
            raise no_such_entity(f"Delegation request {params['DelegationRequestId']} not found.")
        shape = {k: record[k] for k in _SHOWN if k in record}
        result: dict[str, Any] = {"DelegationRequest": shape}
        if params.get("DelegationPermissionCheck"):
            # The permissions name a policy template Overcast cannot resolve: it cannot say.
            result.update(PermissionCheckStatus="COMPLETE", PermissionCheckResult="UNSURE")
        return result

    def list_delegation_requests(self, context: RequestContext, params: dict) -> dict:
        owner = params.get("OwnerId") or _caller(context)
        records = [r for _, r in self.tables["preview"].scan(GLOBAL, prefix="delegation/")]
        owned = sorted(
            (r for r in records if r.get("OwnerId") == owner),
            key=lambda r: (r["CreateDate"], r["DelegationRequestId"]),
        )
        page = self.paginate(
            [{k: r[k] for k in _SHOWN if k in r} for r in owned], params, "DelegationRequests"
        )
        return {
            "DelegationRequests": page["DelegationRequests"],
            "isTruncated": page["IsTruncated"],
            **({"Marker": page["Marker"]} if "Marker" in page else {}),
        }

    def associate_delegation_request(self, context: RequestContext, params: dict) -> dict:
        record = self._transition(context, params["DelegationRequestId"], "associate")
        if record.get("OwnerAccountId") not in (None, context.account):
            raise invalid_input("The delegation request is for another account.")
        record.update(OwnerAccountId=context.account, OwnerId=_caller(context), State="ASSIGNED")
        self._save_delegation(record)
        return {}

    def update_delegation_request(self, context: RequestContext, params: dict) -> dict:
        record = self._transition(context, params["DelegationRequestId"], "update")
        if params.get("Notes") is not None:
            record["Notes"] = params["Notes"]
        record["State"] = "PENDING_APPROVAL"
        self._save_delegation(record)
        return {}

    def accept_delegation_request(self, context: RequestContext, params: dict) -> dict:
        record = self._transition(context, params["DelegationRequestId"], "accept")
        record.update(State="ACCEPTED", ApproverId=_caller(context))
        self._save_delegation(record)
        return {}

    def reject_delegation_request(self, context: RequestContext, params: dict) -> dict:
        record = self._transition(context, params["DelegationRequestId"], "reject")
        record["State"] = "REJECTED"
        if params.get("Notes") is not None:
            record["RejectionReason"] = params["Notes"]
        self._save_delegation(record)
        return {}

    def send_delegation_token(self, context: RequestContext, params: dict) -> dict:
        record = self._transition(context, params["DelegationRequestId"], "send")
        if record.get("OnlySendByOwner") and record.get("OwnerId") != _caller(context):
            raise invalid_input("Only the owner of the delegation request can send its token.")
        record["State"] = "FINALIZED"
        self._save_delegation(record)
        return {}

    def get_human_readable_summary(self, context: RequestContext, params: dict) -> dict:
        arn = params["EntityArn"]
        locale = params.get("Locale") or "en"
        resource = arn.split(":", 5)[-1]
        if not resource.startswith("delegation-request/"):
            return {"SummaryState": "NOT_SUPPORTED", "Locale": locale}
        self._delegation(resource.split("/", 1)[1])
        # AWS writes the summary with a language model; there is none here to write it.
        return {"SummaryState": "NOT_AVAILABLE", "Locale": locale}

    # -- role templates: AWS-owned, none in an Overcast account ----------------------------------------

    def get_role_template_version(self, context: RequestContext, params: dict) -> dict:
        raise no_such_entity(f"Role template {params['TemplateArn']} does not exist.")

    def acquire_role(self, context: RequestContext, params: dict) -> dict:
        raise no_such_entity(f"Role template {params['TemplateArn']} does not exist.")
