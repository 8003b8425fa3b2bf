"""The AWS/* metrics Overcast's services publish, and the metrics Logs derives (metric filters,
Embedded Metric Format), read back through CloudWatch."""

from __future__ import annotations

import importlib
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

create_function = importlib.import_module("tests.integration.lambda.helpers").create


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def total(cw, namespace: str, name: str, dims: list[dict], statistic: str = "Sum") -> float | None:
    now = datetime.now(UTC)
    points = cw.get_metric_statistics(
        Namespace=namespace, MetricName=name, Dimensions=dims, Period=60, Statistics=[statistic],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1),
    )["Datapoints"]  # fmt: skip
    if not points:
        return None
    values = [p[statistic] for p in points]
    return max(values) if statistic == "Maximum" else sum(values)


def eventually(check, timeout: float = 40.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def test_sqs_publishes_its_metrics(fast):
    sqs, cw = fast("sqs"), fast("cloudwatch")
    name = unique("orders")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received[0]["ReceiptHandle"])
    dims = [{"Name": "QueueName", "Value": name}]
    eventually(lambda: total(cw, "AWS/SQS", "NumberOfMessagesDeleted", dims) == 1)
    assert total(cw, "AWS/SQS", "NumberOfMessagesSent", dims) == 3
    assert total(cw, "AWS/SQS", "NumberOfMessagesReceived", dims) == 2
    metrics = {m["MetricName"] for m in cw.list_metrics(Namespace="AWS/SQS", Dimensions=dims)["Metrics"]}
    assert {
        "NumberOfMessagesSent",
        "NumberOfMessagesReceived",
        "NumberOfMessagesDeleted",
        "SentMessageSize",
    } <= metrics


def test_lambda_publishes_its_metrics(fast):
    lam, cw = fast("lambda"), fast("cloudwatch")
    name = create_function(
        lam,
        "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('no')\n    return 1\n",
    )
    lam.invoke(FunctionName=name, Payload=b"{}")
    lam.invoke(FunctionName=name, Payload=json.dumps({"fail": True}).encode())
    dims = [{"Name": "FunctionName", "Value": name}]
    eventually(lambda: total(cw, "AWS/Lambda", "Invocations", dims) == 2)
    assert total(cw, "AWS/Lambda", "Errors", dims) == 1
    assert total(cw, "AWS/Lambda", "Duration", dims, "Maximum") > 0
    assert total(cw, "AWS/Lambda", "ConcurrentExecutions", dims, "Maximum") >= 1


def test_metric_filters_and_emf_become_metrics(fast):
    logs, cw = fast("logs"), fast("cloudwatch")
    group = unique("/app/orders")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    ns = unique("Orders")
    logs.put_metric_filter(
        logGroupName=group,
        filterName="latency",
        filterPattern="{ $.latency > 0 }",
        metricTransformations=[
            {
                "metricName": "Latency",
                "metricNamespace": ns,
                "metricValue": "$.latency",
                "unit": "Milliseconds",
            }
        ],
    )
    emf = {
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [
            {"Namespace": ns, "Dimensions": [["Service"]], "Metrics": [{"Name": "Orders", "Unit": "Count"}]}
        ]},
        "Service": "checkout",
        "Orders": 4,
    }  # fmt: skip
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now, "message": json.dumps({"latency": 120})},
            {"timestamp": now, "message": json.dumps({"latency": 80})},
            {"timestamp": now, "message": json.dumps(emf)},
        ],
    )
    eventually(lambda: total(cw, ns, "Latency", []) == 200)
    assert total(cw, ns, "Orders", [{"Name": "Service", "Value": "checkout"}]) == 4


def test_embedded_metric_format_in_lambda_logs(fast):
    lam, cw = fast("lambda"), fast("cloudwatch")
    ns = unique("Checkout")
    source = (
        "import json, time\n"
        "def handler(event, context):\n"
        "    print(json.dumps({'_aws': {'Timestamp': int(time.time() * 1000), 'CloudWatchMetrics': [\n"
        f"        {{'Namespace': '{ns}', 'Dimensions': [['Service']], 'Metrics': [{{'Name': 'Orders', 'Unit': 'Count'}}]}}]}},\n"
        "        'Service': 'cart', 'Orders': event['orders']}))\n"
        "    return 'ok'\n"
    )
    name = create_function(lam, source)
    for orders in (2, 5):
        lam.invoke(FunctionName=name, Payload=json.dumps({"orders": orders}).encode())
    dims = [{"Name": "Service", "Value": "cart"}]
    eventually(lambda: total(cw, ns, "Orders", dims) == 7)
    assert total(cw, ns, "Orders", dims, "Maximum") == 5


def test_sns_publishes_its_metrics(fast):
    sns, cw = fast("sns"), fast("cloudwatch")
    name = unique("news")
    topic = sns.create_topic(Name=name)["TopicArn"]
    sns.publish(TopicArn=topic, Message="hello")
    sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": "a", "Message": "hi"}, {"Id": "b", "Message": "yo"}],
    )
    dims = [{"Name": "TopicName", "Value": name}]
    eventually(lambda: total(cw, "AWS/SNS", "NumberOfMessagesPublished", dims) == 3)
    assert total(cw, "AWS/SNS", "PublishSize", dims) == 9


def test_eventbridge_publishes_its_metrics(fast):
    events, sqs, cw = fast("events"), fast("sqs"), fast("cloudwatch")
    url = sqs.create_queue(QueueName=unique("hits"))["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    missing = queue.rsplit(":", 1)[0] + ":" + unique("gone")
    source = unique("app.orders")
    on_default, on_custom, failing = unique("r-default"), unique("r-custom"), unique("r-failing")
    bus = unique("orders-bus")
    events.create_event_bus(Name=bus)
    pattern = json.dumps({"source": [source]})
    for rule, bus_name, target in (
        (on_default, "default", queue),
        (on_custom, bus, queue),
        (failing, "default", missing),
    ):
        events.put_rule(Name=rule, EventBusName=bus_name, EventPattern=pattern)
        events.put_targets(
            Rule=rule,
            EventBusName=bus_name,
            Targets=[
                {
                    "Id": "t",
                    "Arn": target,
                    "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
                }
            ],
        )
    entry = {"Source": source, "DetailType": "placed", "Detail": "{}"}
    events.put_events(Entries=[entry, {**entry, "EventBusName": bus}])

    def rule_dims(rule: str, bus_name: str = "default") -> list[dict]:
        dims = [{"Name": "RuleName", "Value": rule}]
        return dims if bus_name == "default" else [{"Name": "EventBusName", "Value": bus_name}, *dims]

    eventually(lambda: total(cw, "AWS/Events", "FailedInvocations", rule_dims(failing)) == 1)
    # Only RuleName: the default bus's rule; EventBusName and RuleName: the custom bus's.
    assert total(cw, "AWS/Events", "TriggeredRules", rule_dims(on_default)) == 1
    assert total(cw, "AWS/Events", "TriggeredRules", rule_dims(on_custom, bus)) == 1
    assert total(cw, "AWS/Events", "TriggeredRules", rule_dims(on_custom)) is None
    assert total(cw, "AWS/Events", "Invocations", rule_dims(on_default)) == 1
    assert total(cw, "AWS/Events", "Invocations", rule_dims(failing)) == 1
    assert total(cw, "AWS/Events", "FailedInvocations", rule_dims(on_default)) is None
    assert total(cw, "AWS/Events", "MatchedEvents", []) >= 2  # the account's, every rule's
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2)["Messages"]


def test_stream_invocations_publish_iterator_age(fast):
    lam, ddb, cw = fast("lambda"), fast("dynamodb"), fast("cloudwatch")
    table = unique("tbl")
    stream = ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    name = create_function(lam, "def handler(event, context):\n    return len(event['Records'])\n")
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}})
    time.sleep(1.1)  # the record waits in the stream before the mapping exists
    lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=name, StartingPosition="TRIM_HORIZON")
    dims = [{"Name": "FunctionName", "Value": name}]
    age = eventually(lambda: total(cw, "AWS/Lambda", "IteratorAge", dims, "Maximum"))
    assert age >= 1000  # milliseconds: at least the second it waited
    eventually(lambda: total(cw, "AWS/Lambda", "Invocations", dims))  # published once it returns


def test_dynamodb_publishes_its_metrics(fast):
    ddb, cw = fast("dynamodb"), fast("cloudwatch")
    table = unique("orders")
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-status",
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    big = "x" * 1500  # 2 write units an item
    for n in range(3):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"o{n}"}, "status": {"S": "new"}, "body": {"S": big}})
    ddb.get_item(TableName=table, Key={"pk": {"S": "o1"}}, ConsistentRead=True)
    ddb.query(
        TableName=table,
        IndexName="by-status",
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "new"}},
    )
    try:
        ddb.put_item(
            TableName=table, Item={"pk": {"S": "o1"}}, ConditionExpression="attribute_not_exists(pk)"
        )
    except ddb.exceptions.ConditionalCheckFailedException:
        pass
    try:
        ddb.get_item(TableName=unique("missing"), Key={"pk": {"S": "a"}})
    except ddb.exceptions.ResourceNotFoundException:
        pass
    table_dims = [{"Name": "TableName", "Value": table}]
    index_dims = [*table_dims, {"Name": "GlobalSecondaryIndexName", "Value": "by-status"}]

    def by_operation(operation: str) -> list[dict]:
        return [*table_dims, {"Name": "Operation", "Value": operation}]

    eventually(lambda: total(cw, "AWS/DynamoDB", "ConditionalCheckFailedRequests", table_dims) == 1)
    # Three puts of 2 units on the table and 2 on the index each; the put its condition refused
    # consumed the 2 units of the item it found.
    assert total(cw, "AWS/DynamoDB", "ConsumedWriteCapacityUnits", table_dims) == 14
    assert total(cw, "AWS/DynamoDB", "ConsumedWriteCapacityUnits", index_dims) == 6
    # A strongly consistent read of a 1.5 KB item: 1 unit; the index query: 3 items, 4.5 KB, 0.5 each 4 KB.
    assert total(cw, "AWS/DynamoDB", "ConsumedReadCapacityUnits", index_dims) == 1.0
    assert total(cw, "AWS/DynamoDB", "ConsumedReadCapacityUnits", table_dims) == 2.0
    assert total(cw, "AWS/DynamoDB", "SuccessfulRequestLatency", by_operation("PutItem"), "SampleCount") == 3
    assert total(cw, "AWS/DynamoDB", "SuccessfulRequestLatency", by_operation("GetItem"), "Maximum") > 0
    assert total(cw, "AWS/DynamoDB", "ReturnedItemCount", by_operation("Query")) == 3
    assert total(cw, "AWS/DynamoDB", "UserErrors", []) >= 1
