"""EventBridge: PutEvents of one event that one of a hundred rules matches, delivered to an
SQS queue (the issue's figure: the other 99 rules match on other sources, so the index on the
pattern's `source` keeps them out of the way); and PutEvents that no rule matches (the request
path and the index alone). Delivery latency is measured by benchmarks/events_delivery.py.

The same matched PutEvents beside 1 and 1,000 rules on other sources shows that matching
costs the same however many rules do not match on `source`."""

import json

from scenarios import AwsCall, ClientFactory, Scenario

RULES = 100
DETAIL = json.dumps({"orderId": "abc123", "state": "placed", "total": 99.99})


def _rules(name: str, others: int = RULES - 1):
    def setup(client: ClientFactory) -> None:
        events, sqs = client("events"), client("sqs")
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for index in range(others):
            events.put_rule(
                Name=f"{name}-{index}", EventPattern=json.dumps({"source": [f"other.app{index}"]})
            )
        pattern = {"source": ["orders.app"], "detail": {"state": ["placed"]}}
        events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])

    return setup


def _put(source: str) -> AwsCall:
    return AwsCall(
        "events",
        "PutEvents",
        {"Entries": [{"Source": source, "DetailType": "Order Placed", "Detail": DETAIL}]},
    )


SCENARIOS = (
    Scenario(
        name="events-put-1-of-100-to-sqs",
        summary="EventBridge PutEvents: one event matched by 1 of 100 rules, delivered to an SQS queue",
        setup=_rules("bench-events"),
        requests=(_put("orders.app"),),
    ),
    Scenario(
        name="events-put-1-of-2-to-sqs",
        summary="EventBridge PutEvents: one event matched by 1 of 2 rules, delivered to an SQS queue",
        setup=_rules("bench-events-2", others=1),
        requests=(_put("orders.app"),),
    ),
    Scenario(
        name="events-put-1-of-1001-to-sqs",
        summary="EventBridge PutEvents: one event matched by 1 of 1,001 rules, delivered to an SQS queue",
        setup=_rules("bench-events-1001", others=1000),
        requests=(_put("orders.app"),),
    ),
    Scenario(
        name="events-put-unmatched",
        summary="EventBridge PutEvents: one event no rule matches (100 rules on other sources)",
        setup=_rules("bench-events-none"),
        requests=(_put("nobody.listens"),),
    ),
)
