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


def _get(address: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(address, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_rest_api_requests_publish_api_gateway_metrics(fast):
    apigw, cw = fast("apigateway"), fast("cloudwatch")
    endpoint = cw.meta.endpoint_url
    name = unique("shop")
    api = apigw.create_rest_api(name=name)
    item = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="item")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=item, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api["id"], resourceId=item, httpMethod="GET", type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )  # fmt: skip
    apigw.put_method_response(restApiId=api["id"], resourceId=item, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api["id"], resourceId=item, httpMethod="GET", statusCode="200",
        responseTemplates={"application/json": '{"ok": true}'},
    )  # fmt: skip
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    apigw.update_stage(
        restApiId=api["id"], stageName="prod",
        patchOperations=[{"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"}],
    )  # fmt: skip
    base = f"{endpoint}/_aws/execute-api/{api['id']}/prod"
    assert [_get(f"{base}/item") for _ in range(3)] == [200, 200, 200]
    assert _get(f"{base}/nothing-here") == 403  # Missing Authentication Token: a 4XX
    by_api = [{"Name": "ApiName", "Value": name}]
    by_stage = [*by_api, {"Name": "Stage", "Value": "prod"}]
    eventually(lambda: total(cw, "AWS/ApiGateway", "Count", by_stage) == 4)
    assert total(cw, "AWS/ApiGateway", "Count", by_api) == 4
    assert total(cw, "AWS/ApiGateway", "4XXError", by_stage) == 1
    assert total(cw, "AWS/ApiGateway", "5XXError", by_stage) == 0
    assert total(cw, "AWS/ApiGateway", "4XXError", by_stage, "Average") == 0.25  # the error rate
    assert total(cw, "AWS/ApiGateway", "Latency", by_stage, "SampleCount") == 4
    # Only the requests that reached the integration have an IntegrationLatency.
    assert total(cw, "AWS/ApiGateway", "IntegrationLatency", by_stage, "SampleCount") == 3
    detailed = [*by_api, {"Name": "Method", "Value": "GET"}, {"Name": "Resource", "Value": "/item"},
                {"Name": "Stage", "Value": "prod"}]  # fmt: skip
    assert total(cw, "AWS/ApiGateway", "Count", detailed) == 3
    listed = cw.list_metrics(Namespace="AWS/ApiGateway", Dimensions=by_api)["Metrics"]
    assert {"Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"} <= {
        m["MetricName"] for m in listed
    }


def test_http_api_requests_publish_api_gateway_metrics(fast):
    apigw, cw = fast("apigatewayv2"), fast("cloudwatch")
    endpoint = cw.meta.endpoint_url
    api_id = apigw.create_api(Name=unique("http"), ProtocolType="HTTP")["ApiId"]
    integration = apigw.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
        IntegrationUri=f"{endpoint}/_overcast/health", PayloadFormatVersion="1.0",
    )["IntegrationId"]  # fmt: skip
    apigw.create_route(ApiId=api_id, RouteKey="GET /health", Target=f"integrations/{integration}")
    apigw.create_stage(
        ApiId=api_id, StageName="prod", AutoDeploy=True,
        DefaultRouteSettings={"DetailedMetricsEnabled": True},
    )  # fmt: skip
    base = f"{endpoint}/_aws/execute-api/{api_id}/prod"
    assert [_get(f"{base}/health") for _ in range(2)] == [200, 200]
    assert _get(f"{base}/missing") == 404
    by_stage = [{"Name": "ApiId", "Value": api_id}, {"Name": "Stage", "Value": "prod"}]
    eventually(lambda: total(cw, "AWS/ApiGateway", "Count", by_stage) == 3)
    assert total(cw, "AWS/ApiGateway", "Count", [{"Name": "ApiId", "Value": api_id}]) == 3
    assert total(cw, "AWS/ApiGateway", "4xx", by_stage) == 1
    assert total(cw, "AWS/ApiGateway", "5xx", by_stage) == 0
    assert total(cw, "AWS/ApiGateway", "IntegrationLatency", by_stage, "SampleCount") == 2
    assert total(cw, "AWS/ApiGateway", "DataProcessed", by_stage) > 0
    by_route = [*by_stage, {"Name": "Route", "Value": "GET /health"}]
    assert total(cw, "AWS/ApiGateway", "Count", by_route) == 2


def test_s3_request_metrics_follow_the_bucket_metrics_configuration(fast):
    s3, cw = fast("s3"), fast("cloudwatch")
    bucket = unique("metered")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="before", Body=b"not counted: no configuration yet")
    s3.put_bucket_metrics_configuration(
        Bucket=bucket, Id="EntireBucket", MetricsConfiguration={"Id": "EntireBucket"}
    )
    s3.put_bucket_metrics_configuration(
        Bucket=bucket, Id="logs", MetricsConfiguration={"Id": "logs", "Filter": {"Prefix": "logs/"}}
    )
    s3.put_object(Bucket=bucket, Key="logs/a", Body=b"x" * 100)
    s3.put_object(Bucket=bucket, Key="data/b", Body=b"y" * 50)
    assert s3.get_object(Bucket=bucket, Key="logs/a")["Body"].read() == b"x" * 100
    s3.list_objects_v2(Bucket=bucket)
    try:
        s3.get_object(Bucket=bucket, Key="logs/missing")
    except s3.exceptions.NoSuchKey:
        pass

    def dims(filter_id: str) -> list[dict]:
        return [{"Name": "BucketName", "Value": bucket}, {"Name": "FilterId", "Value": filter_id}]

    eventually(lambda: total(cw, "AWS/S3", "AllRequests", dims("EntireBucket")) == 5)
    assert total(cw, "AWS/S3", "AllRequests", dims("logs")) == 3  # the requests for logs/ objects
    assert total(cw, "AWS/S3", "PutRequests", dims("EntireBucket")) == 2
    assert total(cw, "AWS/S3", "GetRequests", dims("logs")) == 2
    assert total(cw, "AWS/S3", "ListRequests", dims("EntireBucket")) == 1
    assert total(cw, "AWS/S3", "ListRequests", dims("logs")) is None
    assert total(cw, "AWS/S3", "4xxErrors", dims("logs")) == 1
    assert total(cw, "AWS/S3", "BytesUploaded", dims("EntireBucket")) == 150
    assert total(cw, "AWS/S3", "BytesDownloaded", dims("logs")) == 100
    assert total(cw, "AWS/S3", "TotalRequestLatency", dims("EntireBucket"), "SampleCount") == 5
    # Without its configuration, the filter's metrics stop.
    s3.delete_bucket_metrics_configuration(Bucket=bucket, Id="logs")
    s3.put_object(Bucket=bucket, Key="logs/c", Body=b"z")
    eventually(lambda: total(cw, "AWS/S3", "PutRequests", dims("EntireBucket")) == 3)
    assert total(cw, "AWS/S3", "PutRequests", dims("logs")) == 1


def test_s3_publishes_daily_storage_metrics():
    import boto3

    from tests.conftest import Server

    server = Server(
        "--ephemeral", "--quiet",
        env={"OVERCAST_S3_LIFECYCLE_DAY_SECONDS": "1", "OVERCAST_CLOUDWATCH_FLUSH_SECONDS": "0.2"},
    )  # fmt: skip
    try:
        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
        )
        s3 = session.client("s3", endpoint_url=server.endpoint)
        cw = session.client("cloudwatch", endpoint_url=server.endpoint)
        bucket = unique("stored")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="a", Body=b"a" * 1000)
        s3.put_object(Bucket=bucket, Key="b", Body=b"b" * 24, StorageClass="STANDARD_IA")
        by_count = [
            {"Name": "BucketName", "Value": bucket},
            {"Name": "StorageType", "Value": "AllStorageTypes"},
        ]
        standard = [
            {"Name": "BucketName", "Value": bucket},
            {"Name": "StorageType", "Value": "StandardStorage"},
        ]
        infrequent = [
            {"Name": "BucketName", "Value": bucket},
            {"Name": "StorageType", "Value": "StandardIAStorage"},
        ]
        eventually(lambda: total(cw, "AWS/S3", "NumberOfObjects", by_count, "Maximum") == 2)
        eventually(lambda: total(cw, "AWS/S3", "BucketSizeBytes", standard, "Maximum") == 1000)
        assert total(cw, "AWS/S3", "BucketSizeBytes", infrequent, "Maximum") == 24
    finally:
        server.stop()
