"""What an alarm does on a transition: its actions (an SNS message in AWS's alarm body, a
Lambda invocation with the alarm event, others recorded as not supported locally), muted by
an active mute rule or an ActionsSuppressor, and the "CloudWatch Alarm State Change" event
EventBridge receives."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from overcast.services.cloudwatch.evaluate import iso
from overcast.store import scope as store_scope

if TYPE_CHECKING:
    from overcast.services.cloudwatch.provider import Provider

SEP = "\x1f"

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-north-1": "EU (Stockholm)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ca-central-1": "Canada (Central)",
    "sa-east-1": "South America (Sao Paulo)",
}


def lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def alarm_period(alarm: dict[str, Any]) -> int:
    """The period an alarm evaluates: its own, or its metric queries' shortest."""
    if alarm.get("Period"):
        return int(alarm["Period"])
    periods = [
        int(q.get("Period") or (q.get("MetricStat") or {}).get("Period") or 60)
        for q in alarm.get("Metrics") or []
    ]
    return min(periods) if periods else 60


class ActionsMixin:
    def take_actions(self: Provider, scope: str, alarm: dict[str, Any], old_state: str, now: float) -> None:  # type: ignore[misc]
        if not alarm.get("ActionsEnabled", True):
            return
        if alarm["_kind"] == "composite" and alarm.get("ActionsSuppressor"):
            suppressed = self.suppressed(scope, alarm)
            alarm["ActionsSuppressedBy"] = "Alarm" if suppressed else "None"
            alarm["ActionsSuppressedReason"] = (
                f"Alarm {alarm['ActionsSuppressor']} is in ALARM state." if suppressed else ""
            )
            self.alarms.put(scope, alarm["AlarmName"], alarm)
            if suppressed:
                self.add_history(
                    scope, alarm, "Action", "Actions suppressed by the ActionsSuppressor alarm", "{}", now
                )
                return
        if self.muted(scope, alarm["AlarmName"]):
            self.add_history(
                scope, alarm, "Action", "Alarm actions muted by an active alarm mute rule", "{}", now
            )
            return
        member = {"ALARM": "AlarmActions", "OK": "OKActions", "INSUFFICIENT_DATA": "InsufficientDataActions"}[
            alarm["StateValue"]
        ]
        account, region = scope.split("/")
        for arn in alarm.get(member) or []:
            service = arn.split(":")[2]
            if service == "sns":
                body = json.dumps(self.sns_message(account, region, alarm, old_state))
                subject = (
                    f'{alarm["StateValue"]}: "{alarm["AlarmName"]}" in {REGION_NAMES.get(region, region)}'
                )
                self.runtime.bus.deliver(arn, body, subject=subject[:100], attempts=5, on_failure=None)
                summary = f"Successfully executed action {arn}"
            elif service == "lambda":
                self.runtime.bus.deliver(
                    arn, self.lambda_event(account, region, alarm, old_state), attempts=3
                )
                summary = f"Successfully executed action {arn}"
            elif service == "autoscaling" and self.scaling_action(arn, alarm):
                summary = f"Successfully executed action {arn}"
            else:
                summary = (
                    f'Failed to execute action {arn}. Received error: "The action is not supported locally."'
                )
            self.add_history(
                scope,
                alarm,
                "Action",
                summary,
                json.dumps(
                    {
                        "actionState": "Succeeded" if summary.startswith("Success") else "Failed",
                        "stateUpdateTimestamp": int(now * 1000),
                    }
                ),
                now,
            )

    def scaling_action(self: Provider, arn: str, alarm: dict[str, Any]) -> bool:  # type: ignore[misc]
        """Run the scaling policy an alarm action names: EC2 Auto Scaling's (its ARN names an
        autoScalingGroupName) or Application Auto Scaling's (a resource). False when the
        service is not served or the policy does not exist."""
        owner = "autoscaling" if ":autoScalingGroupName/" in arn else "application-autoscaling"
        if not self.runtime.serves(owner):
            return False
        if owner == "autoscaling":
            return self.runtime.provider("autoscaling").alarm_fired(arn, alarm)
        return self.runtime.provider("application-autoscaling").alarm_fired(arn, alarm)

    def sns_message(  # type: ignore[misc]
        self: Provider, account: str, region: str, alarm: dict[str, Any], old_state: str
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "AlarmName": alarm["AlarmName"],
            "AlarmDescription": alarm.get("AlarmDescription"),
            "AWSAccountId": account,
            "AlarmConfigurationUpdatedTimestamp": iso(alarm["AlarmConfigurationUpdatedTimestamp"]),
            "NewStateValue": alarm["StateValue"],
            "NewStateReason": alarm["StateReason"],
            "StateChangeTime": iso(alarm["StateUpdatedTimestamp"]),
            "Region": REGION_NAMES.get(region, region),
            "AlarmArn": alarm["AlarmArn"],
            "OldStateValue": old_state,
            "OKActions": alarm.get("OKActions") or [],
            "AlarmActions": alarm.get("AlarmActions") or [],
            "InsufficientDataActions": alarm.get("InsufficientDataActions") or [],
        }
        if alarm["_kind"] == "composite":
            message["AlarmRule"] = alarm["AlarmRule"]
            return message
        if alarm["_kind"] == "log":
            config = alarm["ScheduledQueryConfiguration"]
            message["Trigger"] = {
                "QueryString": config["QueryString"],
                "LogGroupIdentifiers": config.get("LogGroupIdentifiers") or [],
                "AggregationExpression": config["AggregationExpression"],
                "QueryResultsToEvaluate": alarm["QueryResultsToEvaluate"],
                "QueryResultsToAlarm": alarm["QueryResultsToAlarm"],
                "ComparisonOperator": alarm["ComparisonOperator"],
                "Threshold": alarm["Threshold"],
                "TreatMissingData": alarm["TreatMissingData"],
            }
            return message
        trigger: dict[str, Any]
        if alarm.get("MetricName") is not None:
            trigger = {
                "MetricName": alarm["MetricName"],
                "Namespace": alarm["Namespace"],
                "StatisticType": "Statistic" if alarm.get("Statistic") else "ExtendedStatistic",
                "Statistic": (alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "").upper()
                if alarm.get("Statistic")
                else alarm.get("ExtendedStatistic"),
                "Unit": alarm.get("Unit"),
                "Dimensions": [
                    {"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions") or []
                ],
                "Period": alarm["Period"],
            }
        else:
            trigger = {"Period": alarm_period(alarm), "Metrics": lower_keys(alarm["Metrics"])}
        trigger.update(
            {
                "EvaluationPeriods": alarm["EvaluationPeriods"],
                "DatapointsToAlarm": alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"],
                "ComparisonOperator": alarm["ComparisonOperator"],
                "Threshold": alarm.get("Threshold"),
                "TreatMissingData": alarm.get("TreatMissingData") or "missing",
                "EvaluateLowSampleCountPercentile": alarm.get("EvaluateLowSampleCountPercentile") or "",
            }
        )
        message["Trigger"] = trigger
        return message

    def lambda_event(  # type: ignore[misc]
        self: Provider, account: str, region: str, alarm: dict[str, Any], old_state: str
    ) -> dict[str, Any]:
        history = self.last_states(region, account, alarm)
        configuration: dict[str, Any] = {"description": alarm.get("AlarmDescription")}
        if alarm["_kind"] == "composite":
            configuration["alarmRule"] = alarm["AlarmRule"]
        elif alarm["_kind"] == "log":
            configuration["scheduledQueryConfiguration"] = lower_keys(alarm["ScheduledQueryConfiguration"])
        elif alarm.get("MetricName") is not None:
            configuration["metrics"] = [
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, alarm["AlarmArn"])),
                    "metricStat": {
                        "metric": {
                            "namespace": alarm["Namespace"],
                            "name": alarm["MetricName"],
                            "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []},
                        },
                        "period": alarm["Period"],
                        "stat": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
                        **({"unit": alarm["Unit"]} if alarm.get("Unit") else {}),
                    },
                    "returnData": True,
                }
            ]
        else:
            configuration["metrics"] = lower_keys(alarm["Metrics"])
        return {
            "source": "aws.cloudwatch",
            "alarmArn": alarm["AlarmArn"],
            "accountId": account,
            "time": iso(alarm["StateUpdatedTimestamp"]).replace("+0000", "+0000"),
            "region": region,
            "alarmData": {
                "alarmName": alarm["AlarmName"],
                "state": history["state"],
                "previousState": history.get("previousState", {"value": old_state}),
                "configuration": configuration,
            },
        }

    def state_change_event(  # type: ignore[misc]
        self: Provider, account: str, region: str, alarm: dict[str, Any], old_state: str
    ) -> dict[str, Any]:
        """The "CloudWatch Alarm State Change" event EventBridge's default bus receives."""
        shaped = self.lambda_event(account, region, alarm, old_state)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "CloudWatch Alarm State Change",
            "source": "aws.cloudwatch",
            "account": account,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(alarm["StateUpdatedTimestamp"])),
            "region": region,
            "resources": [alarm["AlarmArn"]],
            "detail": shaped["alarmData"],
        }

    def last_states(self: Provider, region: str, account: str, alarm: dict[str, Any]) -> dict[str, Any]:  # type: ignore[misc]
        state: dict[str, Any] = {
            "value": alarm["StateValue"],
            "reason": alarm["StateReason"],
            "timestamp": iso(alarm["StateUpdatedTimestamp"]),
        }
        if alarm.get("StateReasonData"):
            state["reasonData"] = alarm["StateReasonData"]
        previous: dict[str, Any] | None = None
        scope = store_scope(account, region)
        updates = [
            item
            for _, item in self.history.scan(scope, prefix=alarm["AlarmName"] + SEP, reverse=True, limit=20)
            if item["HistoryItemType"] == "StateUpdate"
        ]
        if len(updates) >= 1:
            data = json.loads(updates[0]["HistoryData"])
            old = data.get("oldState", {})
            previous = {"value": old.get("stateValue"), "reason": old.get("stateReason", "")}
            if len(updates) >= 2:
                previous["timestamp"] = iso(updates[1]["Timestamp"])
        out = {"state": state}
        if previous:
            out["previousState"] = previous
        return out
