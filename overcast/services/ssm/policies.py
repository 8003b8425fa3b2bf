"""Parameter policies (Advanced and Intelligent-Tiering parameters): Expiration deletes the
parameter at its time; ExpirationNotification and NoChangeNotification are checked and kept
(their events go to EventBridge, which Overcast does not have yet)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from overcast.common import jsontext
from overcast.errors import ServiceError

MAX_POLICIES = 10
UNITS = ("Days", "Hours")


def _attribute_error(message: str) -> ServiceError:
    return ServiceError("InvalidPolicyAttributeException", message)


def _count(attributes: dict[str, Any], name: str, policy_type: str) -> None:
    value = attributes.get(name)
    if not isinstance(value, str) or not value.isdigit() or int(value) < 1:
        raise _attribute_error(f"A policy attribute or its value is invalid: {name} in {policy_type}.")
    if attributes.get("Unit") not in UNITS:
        raise _attribute_error(f"A policy attribute or its value is invalid: Unit in {policy_type}.")


def _timestamp(attributes: dict[str, Any]) -> float:
    text = attributes.get("Timestamp")
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise _attribute_error(
            "A policy attribute or its value is invalid: Timestamp in Expiration."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def parse(text: str) -> tuple[list[dict[str, Any]], float | None]:
    """The policies of a PutParameter as the model's ParameterInlinePolicy list, and the time
    the parameter expires (None without an Expiration policy)."""
    try:
        given = jsontext.loads(text)
    except ValueError:
        raise ServiceError("InvalidPolicyTypeException", "The policy is not a valid JSON document.") from None
    if isinstance(given, dict):
        given = [given]
    if not isinstance(given, list):
        raise ServiceError("InvalidPolicyTypeException", "The policy is not a valid JSON document.")
    if len(given) > MAX_POLICIES:
        raise ServiceError(
            "PoliciesLimitExceededException", f"You can specify up to {MAX_POLICIES} policies."
        )
    seen: set[str] = set()
    expires: float | None = None
    out = []
    for policy in given:
        if not isinstance(policy, dict):
            raise ServiceError("InvalidPolicyTypeException", "The policy is not a valid JSON document.")
        policy_type = policy.get("Type")
        attributes = policy.get("Attributes")
        if policy_type not in ("Expiration", "ExpirationNotification", "NoChangeNotification"):
            raise ServiceError(
                "InvalidPolicyTypeException", f"The following policy type is not supported: {policy_type}."
            )
        if policy_type in seen:
            raise ServiceError(
                "IncompatiblePolicyException", f"There is more than one policy of type {policy_type}."
            )
        seen.add(policy_type)
        if not isinstance(attributes, dict):
            raise _attribute_error(
                f"A policy attribute or its value is invalid: Attributes in {policy_type}."
            )
        if policy_type == "Expiration":
            expires = _timestamp(attributes)
        elif policy_type == "ExpirationNotification":
            _count(attributes, "Before", policy_type)
        else:
            _count(attributes, "After", policy_type)
        out.append(
            {
                "PolicyText": json.dumps(policy, separators=(",", ":")),
                "PolicyType": policy_type,
                "PolicyStatus": "Pending",
            }
        )
    if "ExpirationNotification" in seen and "Expiration" not in seen:
        raise ServiceError(
            "IncompatiblePolicyException",
            "An ExpirationNotification policy needs an Expiration policy on the same parameter.",
        )
    return out, expires
