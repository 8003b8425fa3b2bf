"""The managed-node fleet: hybrid activations (CreateActivation, DescribeActivations,
DeleteActivation), the nodes themselves (DescribeInstanceInformation,
DescribeInstanceProperties, DeregisterManagedInstance, UpdateManagedInstanceRole, ListNodes,
ListNodesSummary), Session Manager (StartSession, ResumeSession, TerminateSession,
DescribeSessions, GetConnectionStatus) and just-in-time access requests. No node is managed
(nodes.py), so node lookups find nothing and refuse as AWS refuses ids it does not manage."""

from __future__ import annotations

import secrets
import string
import time
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from overcast.common.pagination import paginate_list
from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.ssm import docparams, nodes

if TYPE_CHECKING:
    from overcast.services.ssm.provider import Provider

DEFAULT_ACTIVATION_SECONDS = 24 * 3600
MAX_ACTIVATION_SECONDS = 30 * 24 * 3600
_CODE_ALPHABET = string.ascii_letters + string.digits + "+/"
_ACTIVATION_FILTERS = {
    "ActivationIds": "ActivationId",
    "DefaultInstanceName": "DefaultInstanceName",
    "IamRole": "IamRole",
}
#: InstanceInformation filter keys (Filters) beyond the enumerated legacy ones.
_INFO_FILTER_KEYS = frozenset(
    {"InstanceIds", "AgentVersion", "PingStatus", "PlatformTypes", "ActivationIds", "IamRole", "ResourceType",
     "AssociationStatus", "tag-key"}
)  # fmt: skip
_SESSION_FILTER_KEYS = frozenset(
    {"InvokedAfter", "InvokedBefore", "Target", "Owner", "Status", "SessionId", "AccessType"}
)


def _bad_token() -> ServiceError:
    return ServiceError("InvalidNextToken", "The specified token isn't valid.")


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


#: Filter keys whose values come from a fixed set.
_FILTER_VALUES = {
    "PingStatus": frozenset({"Online", "ConnectionLost", "Inactive"}),
    "PlatformTypes": frozenset({"Windows", "Linux", "MacOS"}),
    "ResourceType": frozenset({"ManagedInstance", "EC2Instance"}),
    "AssociationStatus": frozenset({"Pending", "Success", "Failed"}),
}


def _check_instance_filters(
    context: RequestContext, entries: list[tuple[str, list[str]]], bad_value: str
) -> None:
    for key, values in entries:
        if key not in _INFO_FILTER_KEYS and key != "DocumentName" and not key.startswith("tag:"):
            raise ServiceError("InvalidFilterKey", f"The filter key {key} is not valid.")
        if not values:
            raise ServiceError(bad_value, f"The filter {key} needs a value.")
        unknown = [value for value in values if key in _FILTER_VALUES and value not in _FILTER_VALUES[key]]
        if unknown:
            raise ServiceError(bad_value, f"The filter value {unknown[0]} is not valid for {key}.")
        if key == "InstanceIds":
            nodes.require_managed(context, values)


class FleetMixin:
    # -- activations -------------------------------------------------------------------------

    def create_activation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        now = time.time()
        expires = (
            _epoch(params["ExpirationDate"])
            if params.get("ExpirationDate")
            else now + DEFAULT_ACTIVATION_SECONDS
        )
        if expires <= now or expires > now + MAX_ACTIVATION_SECONDS:
            raise ServiceError(
                "InvalidParameters", "The expiration date must be in the future and at most 30 days from now."
            )
        tags = self._checked_tags(params.get("Tags"))
        activation_id = str(uuid.uuid4())
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(20))
        record: dict[str, Any] = {
            "ActivationId": activation_id,
            "IamRole": params["IamRole"],
            "RegistrationLimit": params.get("RegistrationLimit") or 1,
            "RegistrationsCount": 0,
            "ExpirationDate": expires,
            "CreatedDate": now,
            "tags": tags,
            "code": code,
        }
        for member in ("Description", "DefaultInstanceName", "RegistrationMetadata"):
            if params.get(member) is not None:
                record[member] = params[member]
        with self.store.transaction():
            self.activations.put(self._scope(context), activation_id, record)
        return {"ActivationId": activation_id, "ActivationCode": code}

    def describe_activations(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        records = [record for _, record in self.activations.scan(self._scope(context))]
        for entry in params.get("Filters") or []:
            member = _ACTIVATION_FILTERS.get(entry.get("FilterKey", ""))
            if member is None:
                raise ServiceError("InvalidFilter", f"The filter key {entry.get('FilterKey')} is not valid.")
            values = entry.get("FilterValues") or []
            records = [r for r in records if r.get(member) in values]
        records.sort(key=lambda r: r["CreatedDate"])
        now = time.time()

        def render(record: dict) -> dict:
            out = {
                key: value
                for key, value in record.items()
                if key[0].isupper() and key != "RegistrationMetadata"
            }
            out["Expired"] = record["ExpirationDate"] <= now
            out["Tags"] = [{"Key": k, "Value": v} for k, v in (record.get("tags") or {}).items()]
            return out

        return paginate_list(
            self.store,
            "ssm",
            "DescribeActivations",
            params,
            records,
            bad_token=_bad_token,
            default_limit=50,
            render=render,
        )

    def delete_activation(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.store.transaction():
            if not self.activations.delete(self._scope(context), params["ActivationId"]):
                raise ServiceError(
                    "InvalidActivation",
                    "The activation is not valid. Verify the activation ID and try again.",
                )
        return {}

    # -- nodes -------------------------------------------------------------------------------

    def describe_instance_information(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        entries = [(f["key"], f["valueSet"]) for f in params.get("InstanceInformationFilterList") or []]
        entries += [(f["Key"], f["Values"]) for f in params.get("Filters") or []]
        _check_instance_filters(context, entries, "InvalidInstanceInformationFilterValue")
        return paginate_list(
            self.store, "ssm", "DescribeInstanceInformation", params, nodes.managed_nodes(context),
            bad_token=_bad_token, default_limit=50,
        )  # fmt: skip

    def describe_instance_properties(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        entries = [(f["key"], f["valueSet"]) for f in params.get("InstancePropertyFilterList") or []]
        entries += [(f["Key"], f["Values"]) for f in params.get("FiltersWithOperator") or []]
        _check_instance_filters(context, entries, "InvalidInstancePropertyFilterValue")
        return paginate_list(
            self.store, "ssm", "DescribeInstanceProperties", params, nodes.managed_nodes(context),
            bad_token=_bad_token, default_limit=50,
        )  # fmt: skip

    def deregister_managed_instance(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        nodes.require_managed(context, [params["InstanceId"]])
        return {}

    def update_managed_instance_role(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        nodes.require_managed(context, [params["InstanceId"]])
        return {}

    def list_nodes(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        return paginate_list(
            self.store,
            "ssm",
            "ListNodes",
            params,
            nodes.managed_nodes(context),
            bad_token=_bad_token,
            default_limit=50,
        )

    def list_nodes_summary(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # A count per value of the aggregated attribute: no node, no value to count.
        return paginate_list(
            self.store, "ssm", "ListNodesSummary", params, [], bad_token=_bad_token, default_limit=50
        )

    # -- sessions ----------------------------------------------------------------------------
    # A session is a channel to the SSM Agent of a connected node. No agent runs here, so no
    # target is connected and no session ever starts: the reads answer AWS's empty state.

    def start_session(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        name = params.get("DocumentName")
        if name:
            document, version = self.document_for_run(context, name)
            if document["DocumentType"] != "Session":
                raise ServiceError("InvalidDocument", f"Document {name} is not a Session document.")
            docparams.resolve(version, params.get("Parameters"), "InvalidDocument")
        raise ServiceError("TargetNotConnected", f"{params['Target']} is not connected.")

    def resume_session(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        raise ServiceError("DoesNotExistException", f"Session {params['SessionId']} does not exist.")

    def terminate_session(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # AWS answers with the id whether or not the session exists (the call is idempotent).
        return {"SessionId": params["SessionId"]}

    def describe_sessions(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        for entry in params.get("Filters") or []:
            if entry["key"] not in _SESSION_FILTER_KEYS:
                raise ServiceError("InvalidFilterKey", f"The filter key {entry['key']} is not valid.")
        return paginate_list(
            self.store, "ssm", "DescribeSessions", params, [], bad_token=_bad_token, default_limit=50
        )

    def get_connection_status(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        target = params["Target"]
        connected = any(node["InstanceId"] == target for node in nodes.managed_nodes(context))
        return {"Target": target, "Status": "connected" if connected else "notconnected"}

    # -- just-in-time access ------------------------------------------------------------------

    def start_access_request(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        targets = params["Targets"]
        if (
            len(targets) != 1
            or targets[0].get("Key") != "InstanceIds"
            or len(targets[0].get("Values") or []) != 1
        ):
            raise ServiceError(
                "ValidationException", "An access request targets exactly one node by InstanceIds."
            )
        # Access is requested to a managed node; none is managed here, so none is found.
        node = targets[0]["Values"][0]
        raise ServiceError("ResourceNotFoundException", f"The node {node} was not found.")

    def get_access_token(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        # StartAccessRequest has never succeeded (see above): no request of that id exists.
        raise ServiceError(
            "ResourceNotFoundException", f"Access request {params['AccessRequestId']} was not found."
        )
