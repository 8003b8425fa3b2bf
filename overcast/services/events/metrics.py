"""EventBridge's AWS/Events metrics: matched events, triggered rules, invocations and failed
invocations. As AWS publishes them, a metric with only the RuleName dimension is the default
bus's rule's; one with EventBusName and RuleName a custom bus's; one with no dimension the
account's in the region."""

from __future__ import annotations

from typing import TYPE_CHECKING

from overcast.services.cloudwatch.publish import publish_metric

if TYPE_CHECKING:
    from overcast.runtime import Runtime

NAMESPACE = "AWS/Events"


def rule_dimensions(bus: str, rule: str) -> dict[str, str]:
    return {"RuleName": rule} if bus == "default" else {"EventBusName": bus, "RuleName": rule}


def rule_arn_dimensions(rule_arn: str) -> dict[str, str]:
    """The dimensions of a rule named by its ARN (`rule/NAME` on the default bus,
    `rule/BUS/NAME` on another)."""
    path = rule_arn.split(":", 5)[-1].removeprefix("rule/")
    bus, _, name = path.rpartition("/")
    return rule_dimensions(bus or "default", name)


def count(runtime: Runtime, scope: str, metric: str, *dimension_sets: dict[str, str]) -> None:
    """One more of `metric` in the scope's account and region, under each dimension set."""
    account, _, region = scope.partition("/")
    for dimensions in dimension_sets:
        publish_metric(runtime, account, region, NAMESPACE, metric, dimensions, 1, "Count")
