"""Lifecycle hooks: an instance launching or terminating waits (Pending:Wait,
Terminating:Wait) until CompleteLifecycleAction or its heartbeat timeout, with a notification
to the hook's SQS queue or SNS topic and an EventBridge "Lifecycle Action" event."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from overcast.context import RequestContext
from overcast.errors import ServiceError
from overcast.services.autoscaling.common import now, stamp, validation
from overcast.services.autoscaling.fleet import LAUNCHING, TERMINATING

if TYPE_CHECKING:
    from overcast.services.autoscaling.provider import Provider

TRANSITIONS = (LAUNCHING, TERMINATING)
MAX_GLOBAL_TIMEOUT = 172800
PUBLIC = (
    "LifecycleHookName",
    "AutoScalingGroupName",
    "LifecycleTransition",
    "NotificationTargetARN",
    "RoleARN",
    "NotificationMetadata",
    "HeartbeatTimeout",
    "GlobalTimeout",
    "DefaultResult",
)


class HooksMixin:
    def hooks_for(self, group: dict[str, Any], transition: str) -> list[dict[str, Any]]:
        return [h for h in (group.get("_hooks") or {}).values() if h["LifecycleTransition"] == transition]

    def enter_wait(  # type: ignore[misc]
        self: Provider,
        scope: str,
        account: str,
        region: str,
        group: dict[str, Any],
        member: dict[str, Any],
        transition: str,
    ) -> None:
        hooks = self.hooks_for(group, transition)
        token = str(uuid.uuid4())
        moment = now()
        member["LifecycleState"] = "Pending:Wait" if transition == LAUNCHING else "Terminating:Wait"
        member["_wait"] = {
            "transition": transition,
            "token": token,
            "pending": {
                h["LifecycleHookName"]: {
                    "deadline": moment + h["HeartbeatTimeout"],
                    "global": moment + h["GlobalTimeout"],
                }
                for h in hooks
            },
            "result": "CONTINUE",
        }
        for hook in hooks:
            message = {
                "Origin": "EC2" if transition == LAUNCHING else "AutoScalingGroup",
                "Destination": "AutoScalingGroup" if transition == LAUNCHING else "EC2",
                "Service": "AWS Auto Scaling",
                "Time": stamp(moment),
                "AccountId": account,
                "RequestId": str(uuid.uuid4()),
                "LifecycleActionToken": token,
                "AutoScalingGroupName": group["AutoScalingGroupName"],
                "LifecycleHookName": hook["LifecycleHookName"],
                "EC2InstanceId": member["InstanceId"],
                "LifecycleTransition": transition,
            }
            if hook.get("NotificationMetadata"):
                message["NotificationMetadata"] = hook["NotificationMetadata"]
            target = hook.get("NotificationTargetARN")
            if target:
                self.runtime.bus.deliver(target, json.dumps(message), attempts=3)
            detail = {k: v for k, v in message.items() if k not in ("AccountId", "Time", "Service")}
            detail["Origin"] = message["Origin"]
            self.publish_event(
                account,
                region,
                "EC2 Instance-launch Lifecycle Action"
                if transition == LAUNCHING
                else "EC2 Instance-terminate Lifecycle Action",
                [group["AutoScalingGroupARN"]],
                detail,
            )

    def _walk_hooks(self: Provider, scope: str, account: str, region: str, group: dict[str, Any]) -> None:  # type: ignore[misc]
        """Hooks whose heartbeat ran out take their default result; a wait with every hook
        answered moves on."""
        moment = now()
        hooks = group.get("_hooks") or {}
        for member in list(group["Instances"]):
            wait = member.get("_wait")
            if not wait:
                continue
            for name, timers in list(wait["pending"].items()):
                if moment >= min(timers["deadline"], timers["global"]):
                    result = (hooks.get(name) or {}).get("DefaultResult", "ABANDON")
                    self._answer(wait, name, result)
            if not wait["pending"]:
                self._proceed(scope, account, region, group, member)

    @staticmethod
    def _answer(wait: dict[str, Any], hook: str, result: str) -> None:
        wait["pending"].pop(hook, None)
        if result == "ABANDON":
            wait["result"] = "ABANDON"

    def _proceed(  # type: ignore[misc]
        self: Provider, scope: str, account: str, region: str, group: dict[str, Any], member: dict[str, Any]
    ) -> None:
        wait = member.pop("_wait")
        if wait["transition"] == LAUNCHING:
            if wait["result"] == "ABANDON":
                self.terminate_now(scope, account, region, group, member)
                member["_cause"] = ""
            else:
                member["LifecycleState"] = "Pending:Proceed"
                self._in_service(account, region, group, member)
        else:
            member["LifecycleState"] = "Terminating:Proceed"
            self.terminate_now(scope, account, region, group, member)

    # -- operations ----------------------------------------------------------------------------

    def put_lifecycle_hook(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            hooks = group.setdefault("_hooks", {})
            name = params["LifecycleHookName"]
            existing = hooks.get(name)
            transition = params.get("LifecycleTransition") or (existing or {}).get("LifecycleTransition")
            if transition is None:
                raise validation("LifecycleTransition is required when creating a new lifecycle hook.")
            if transition not in TRANSITIONS:
                raise validation(f"Invalid Lifecycle Transition: {transition}")
            if existing is None and len(hooks) >= 50:
                raise ServiceError(
                    "LimitExceeded", "Maximum number of lifecycle hooks for this group reached"
                )
            heartbeat = int(
                params.get("HeartbeatTimeout") or (existing or {}).get("HeartbeatTimeout") or 3600
            )
            if not 30 <= heartbeat <= 7200:
                raise validation("Heartbeat timeout must be between 30 and 7200 seconds.")
            result = params.get("DefaultResult") or (existing or {}).get("DefaultResult") or "ABANDON"
            if result not in ("CONTINUE", "ABANDON"):
                raise validation(f"Invalid DefaultResult: {result}")
            hook = {
                **(existing or {}),
                "LifecycleHookName": name,
                "AutoScalingGroupName": group["AutoScalingGroupName"],
                "LifecycleTransition": transition,
                "HeartbeatTimeout": heartbeat,
                "GlobalTimeout": min(100 * heartbeat, MAX_GLOBAL_TIMEOUT),
                "DefaultResult": result,
            }
            for member in ("NotificationTargetARN", "RoleARN", "NotificationMetadata"):
                if params.get(member) is not None:
                    hook[member] = params[member]
            hooks[name] = hook
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        target = hook.get("NotificationTargetARN")
        if target and existing is None:
            self.runtime.bus.deliver(
                target,
                json.dumps(
                    {
                        "AccountId": context.account,
                        "RequestId": str(uuid.uuid4()),
                        "AutoScalingGroupARN": group["AutoScalingGroupARN"],
                        "AutoScalingGroupName": group["AutoScalingGroupName"],
                        "Service": "AWS Auto Scaling",
                        "Event": "autoscaling:TEST_NOTIFICATION",
                        "Time": stamp(now()),
                    }
                ),
                attempts=3,
            )
        return {}

    def delete_lifecycle_hook(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        scope = self.scope_of(context)
        with self.lock:
            group = self.group(scope, params["AutoScalingGroupName"])
            if params["LifecycleHookName"] not in (group.get("_hooks") or {}):
                raise validation(
                    f"No Lifecycle Hook found with name {params['LifecycleHookName']} for group "
                    f"{group['AutoScalingGroupName']}"
                )
            del group["_hooks"][params["LifecycleHookName"]]
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}

    def describe_lifecycle_hooks(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        group = self.group(self.scope_of(context), params["AutoScalingGroupName"])
        names = params.get("LifecycleHookNames")
        hooks = [
            {k: h[k] for k in PUBLIC if k in h}
            for n, h in (group.get("_hooks") or {}).items()
            if not names or n in names
        ]
        return {"LifecycleHooks": hooks}

    def describe_lifecycle_hook_types(self, context: RequestContext, params: dict) -> dict:
        return {"LifecycleHookTypes": list(TRANSITIONS)}

    def _waiting(  # type: ignore[misc]
        self: Provider, context: RequestContext, params: dict
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        scope = self.scope_of(context)
        group = self.group(scope, params["AutoScalingGroupName"])
        name = params["LifecycleHookName"]
        if name not in (group.get("_hooks") or {}):
            raise validation(
                f"No Lifecycle Hook found with name {name} for group {group['AutoScalingGroupName']}"
            )
        token, instance = params.get("LifecycleActionToken"), params.get("InstanceId")
        if not token and not instance:
            raise validation("Either LifecycleActionToken or InstanceId must be specified.")
        for member in group["Instances"]:
            wait = member.get("_wait")
            if not wait or name not in wait["pending"]:
                continue
            if (token and wait["token"] == token) or (not token and member["InstanceId"] == instance):
                return scope, group, member
        raise validation(
            f"No active Lifecycle Action found with token {token}"
            if token
            else f"No active Lifecycle Action found with instance ID {instance}"
        )

    def complete_lifecycle_action(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        result = params["LifecycleActionResult"]
        if result not in ("CONTINUE", "ABANDON"):
            raise validation(f"Invalid LifecycleActionResult: {result}")
        with self.lock:
            scope, group, member = self._waiting(context, params)
            self._answer(member["_wait"], params["LifecycleHookName"], result)
            if not member["_wait"]["pending"]:
                self._proceed(scope, context.account, context.region, group, member)
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        self.reconcile(scope, group["AutoScalingGroupName"])
        return {}

    def record_lifecycle_action_heartbeat(self: Provider, context: RequestContext, params: dict) -> dict:  # type: ignore[misc]
        with self.lock:
            scope, group, member = self._waiting(context, params)
            name = params["LifecycleHookName"]
            timers = member["_wait"]["pending"][name]
            timers["deadline"] = now() + group["_hooks"][name]["HeartbeatTimeout"]
            self.groups.put(scope, group["AutoScalingGroupName"], group)
        return {}
